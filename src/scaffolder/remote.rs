//! Skeletons of templates held in a GitHub repository (registered by URL in Backstage): read
//! through the contents API of that repository at the template's ref, in the host's one request
//! queue, with its token only. Every path and size is checked before a byte joins the workspace,
//! since a repository's listing is remote data like any other.

use serde::Deserialize;

use super::skeleton::clean_path;
use crate::config::GithubSource;
use crate::providers::github::GithubApi;
use crate::providers::github::scheduler::{Priority, with_priority};
use crate::providers::github::{gh_host, resolve_token};
use crate::providers::http::Failure;
use flightdeck_core::sanitize;
use flightdeck_core::wire::{base64, percent_encode};

/// A directory of a GitHub repository at a ref: where a remote template's relative paths start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteDir {
    /// `github.com`, or an Enterprise host (`host:port` for the sim), as the URL gave it.
    pub host: String,
    pub owner: String,
    pub repo: String,
    /// The branch, tag or commit of the URL.
    pub reference: String,
    /// The directory inside the repository, `/`-separated, no leading or trailing `/`.
    pub dir: String,
}

/// A skeleton of more files than this is refused rather than read a request a file.
pub const MAX_FILES: usize = 500;
/// The contents API serves files up to 1 MB; a skeleton's files are far smaller.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// The whole skeleton, read into memory.
pub const MAX_TOTAL_BYTES: usize = 16 * 1024 * 1024;
/// Directories deeper than this are a mistake (or a loop), not a skeleton.
const MAX_DEPTH: usize = 16;

impl RemoteDir {
    /// A GitHub URL of a file or directory (`https://HOST/OWNER/REPO/blob|tree/REF/PATH`), with
    /// or without Backstage's `url:` prefix. A file's URL gives the directory it is in. The ref
    /// is taken as one path segment (a branch with `/` in its name is not told apart).
    pub fn parse(location: &str) -> Option<RemoteDir> {
        let url = location.strip_prefix("url:").unwrap_or(location);
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))?;
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let mut parts = rest.split('/');
        let host = parts.next().filter(|h| !h.is_empty())?;
        let owner = parts.next().filter(|s| !s.is_empty())?;
        let repo = parts.next().filter(|s| !s.is_empty())?;
        let kind = parts.next()?;
        let reference = parts.next().filter(|s| !s.is_empty())?;
        let path: Vec<&str> = parts.filter(|s| !s.is_empty()).collect();
        let dir = match kind {
            // A file: its directory.
            "blob" => path.split_last().map(|(_, d)| d.join("/"))?,
            "tree" => path.join("/"),
            _ => return None,
        };
        let ok = |s: &str| !s.is_empty() && s != "." && s != "..";
        if !ok(owner) || !ok(repo) || !ok(reference) || path.iter().any(|p| !ok(p)) {
            return None;
        }
        Some(RemoteDir {
            host: host.to_lowercase(),
            owner: owner.to_string(),
            repo: repo.trim_end_matches(".git").to_string(),
            reference: reference.to_string(),
            dir,
        })
    }

    /// `host/owner/repo@ref:dir`, as messages name it.
    pub fn shown(&self) -> String {
        format!(
            "{}/{}/{}@{}:{}",
            self.host, self.owner, self.repo, self.reference, self.dir
        )
    }

    /// The directory `rel` (`./skeleton`) names beside this one; it may not leave the
    /// repository.
    pub fn join(&self, rel: &str) -> Result<RemoteDir, String> {
        let mut parts: Vec<&str> = self.dir.split('/').filter(|s| !s.is_empty()).collect();
        for p in rel.split('/') {
            match p {
                "" | "." => {}
                ".." => {
                    parts
                        .pop()
                        .ok_or_else(|| format!("{rel} leaves the repository {}", self.repo))?;
                }
                p => parts.push(p),
            }
        }
        Ok(RemoteDir {
            dir: parts.join("/"),
            ..self.clone()
        })
    }
}

/// Why a remote template cannot be read from here, if it cannot: its token goes only to the
/// configured GitHub host.
pub fn refusal(remote: &RemoteDir, github: Option<&GithubSource>) -> Option<String> {
    let Some(gh) = github else {
        return Some(format!(
            "the template is held at {}; no [github] source is configured to read it through",
            remote.shown()
        ));
    };
    let host = gh_host(&gh.api_url);
    (host != remote.host).then(|| {
        format!(
            "the template is held at {}, not on the configured GitHub host ({host}); its token is not sent elsewhere",
            remote.shown()
        )
    })
}

/// One entry of a contents API answer: a directory lists these; a file is one with content.
#[derive(Debug, Deserialize)]
struct Entry {
    #[serde(rename = "type")]
    kind: String,
    path: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    encoding: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Contents {
    Dir(Vec<Entry>),
    File(Entry),
}

/// Every file under `at`, by path relative to it, sorted: what `skeleton::read_dir` gives for a
/// directory on disk.
pub async fn read_dir(
    github: Option<&GithubSource>,
    at: &RemoteDir,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    if let Some(why) = refusal(at, github) {
        return Err(why);
    }
    let Some(gh) = github else {
        return Err("no [github] source is configured".into());
    };
    let token = resolve_token(gh).await?;
    let api = GithubApi::for_source(gh, token, std::time::Duration::from_secs(30))?;
    // The user is waiting on it: it goes before the pollers' reading.
    with_priority(Priority::Now, walk(&api, at)).await
}

async fn walk(api: &GithubApi, at: &RemoteDir) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut total = 0usize;
    // Directories still to list, by path in the repository, with their depth.
    let mut todo = vec![(at.dir.clone(), 0usize)];
    let prefix = if at.dir.is_empty() {
        String::new()
    } else {
        format!("{}/", at.dir)
    };
    while let Some((dir, depth)) = todo.pop() {
        let listing = match get(api, at, &dir).await? {
            Contents::Dir(entries) => entries,
            Contents::File(_) if dir == at.dir => {
                return Err(format!(
                    "{} is a file, not a skeleton directory",
                    at.shown()
                ));
            }
            Contents::File(_) => continue,
        };
        for entry in listing {
            let rel = entry_rel(&prefix, &dir, &entry.path)
                .map_err(|e| format!("{}: {e}", at.shown()))?;
            match entry.kind.as_str() {
                "dir" if depth + 1 >= MAX_DEPTH => {
                    return Err(format!(
                        "{}: directories deeper than {MAX_DEPTH}",
                        at.shown()
                    ));
                }
                "dir" => todo.push((entry.path.clone(), depth + 1)),
                "file" => {
                    if out.len() >= MAX_FILES {
                        return Err(format!(
                            "{}: more than {MAX_FILES} files in the skeleton",
                            at.shown()
                        ));
                    }
                    if entry.size.is_some_and(|s| s > MAX_FILE_BYTES as u64) {
                        return Err(format!("{rel}: larger than {} KiB", MAX_FILE_BYTES / 1024));
                    }
                    let bytes = file(api, at, &entry.path).await?;
                    if bytes.len() > MAX_FILE_BYTES {
                        return Err(format!("{rel}: larger than {} KiB", MAX_FILE_BYTES / 1024));
                    }
                    total += bytes.len();
                    if total > MAX_TOTAL_BYTES {
                        return Err(format!(
                            "{}: more than {} MiB in all",
                            at.shown(),
                            MAX_TOTAL_BYTES / 1024 / 1024
                        ));
                    }
                    out.push((rel, bytes));
                }
                // Links and submodules point out of the skeleton: named, never followed.
                other => {
                    return Err(format!(
                        "{rel}: a {} in the skeleton, which is not read",
                        sanitize::ident(other)
                    ));
                }
            }
        }
    }
    if out.is_empty() {
        return Err(format!("{} holds no files", at.shown()));
    }
    out.sort();
    Ok(out)
}

/// The path of a listed entry relative to the skeleton (whose path in the repository ends in
/// `prefix`), checked: the listing of `dir` names paths in the repository, and each must be
/// in `dir`, stay in the skeleton, and have a name that can be written as it is.
fn entry_rel(prefix: &str, dir: &str, path: &str) -> Result<String, String> {
    let outside = || {
        format!(
            "the listing names {}, outside the skeleton",
            sanitize::line(path)
        )
    };
    let in_dir = dir.is_empty() || path.starts_with(&format!("{dir}/"));
    let rel = path
        .strip_prefix(prefix)
        .filter(|_| in_dir)
        .ok_or_else(outside)?;
    let rel = clean_path(rel).map_err(|_| outside())?;
    if rel.is_empty() {
        return Err("an entry with no name".into());
    }
    // A name with control characters would reach the new repository as it is.
    if rel.chars().any(char::is_control) {
        return Err(format!(
            "{} has control characters in its name",
            sanitize::line(&rel)
        ));
    }
    Ok(rel)
}

fn contents_path(at: &RemoteDir, path: &str) -> String {
    let path: Vec<String> = path.split('/').map(percent_encode).collect();
    format!(
        "/repos/{}/{}/contents/{}?ref={}",
        percent_encode(&at.owner),
        percent_encode(&at.repo),
        path.join("/"),
        percent_encode(&at.reference)
    )
}

async fn get(api: &GithubApi, at: &RemoteDir, path: &str) -> Result<Contents, String> {
    api.get_json(&contents_path(at, path))
        .await
        .map_err(|f: Failure| f.describe(&format!("reading {}", at.shown())))
}

async fn file(api: &GithubApi, at: &RemoteDir, path: &str) -> Result<Vec<u8>, String> {
    let shown = sanitize::line(path);
    match get(api, at, path).await? {
        Contents::File(Entry {
            content: Some(content),
            encoding,
            ..
        }) if encoding.as_deref().is_none_or(|e| e == "base64") => {
            // GitHub wraps the base64 in lines.
            let joined: String = content.split_whitespace().collect();
            base64::decode(&joined).ok_or_else(|| format!("{shown}: its content is not base64"))
        }
        _ => Err(format!("{shown}: the answer holds no file content")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_url_gives_its_directory_and_a_skeleton_beside_it() {
        let at = RemoteDir::parse(
            "url:https://github.com/acme/software-templates/blob/main/templates/worker/template.yaml",
        )
        .expect("a GitHub URL");
        assert_eq!(
            at,
            RemoteDir {
                host: "github.com".into(),
                owner: "acme".into(),
                repo: "software-templates".into(),
                reference: "main".into(),
                dir: "templates/worker".into(),
            }
        );
        assert_eq!(
            at.join("./skeleton").map(|d| d.dir),
            Ok("templates/worker/skeleton".into())
        );
        assert_eq!(
            at.join("../shared/skeleton").map(|d| d.dir),
            Ok("templates/shared/skeleton".into())
        );
        assert!(
            at.join("../../../etc").is_err(),
            "not out of the repository"
        );
        let tree = RemoteDir::parse("http://127.0.0.1:4000/acme/t/tree/v1/skel/").expect("tree");
        assert_eq!(
            (tree.host.as_str(), tree.dir.as_str()),
            ("127.0.0.1:4000", "skel")
        );
    }

    #[test]
    fn what_is_not_a_github_file_or_tree_url_is_not_read() {
        for bad in [
            "file:/srv/templates/x/template.yaml",
            "url:https://gitlab.com/acme/t",
            "url:https://github.com/acme/t/commits/main",
            "url:https://github.com/acme/../blob/main/x.yaml",
            "https://github.com/acme/t/blob/main/../x/template.yaml",
        ] {
            assert_eq!(RemoteDir::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_listing_names_only_paths_inside_the_skeleton() {
        let prefix = "templates/x/skeleton/";
        let dir = "templates/x/skeleton/src";
        assert_eq!(
            entry_rel(prefix, dir, "templates/x/skeleton/src/main.rs"),
            Ok("src/main.rs".into())
        );
        for bad in [
            "templates/x/other/main.rs",
            "templates/x/skeleton/lib/main.rs",
            "templates/x/skeleton/src/../../../../etc/passwd",
            "/etc/passwd",
            "templates/x/skeleton/src/\u{1b}[31mred",
        ] {
            assert!(entry_rel(prefix, dir, bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_token_goes_only_to_its_own_host() {
        let at = RemoteDir::parse("https://github.example.com/a/b/blob/main/t.yaml").expect("url");
        let gh = GithubSource {
            api_url: "https://api.github.com".into(),
            ..GithubSource::default()
        };
        let why = refusal(&at, Some(&gh)).expect("another host");
        assert!(why.contains("not on the configured GitHub host"), "{why}");
        assert!(refusal(&at, None).is_some());
        let same = RemoteDir::parse("https://github.com/a/b/blob/main/t.yaml").expect("url");
        assert_eq!(refusal(&same, Some(&gh)), None);
    }
}
