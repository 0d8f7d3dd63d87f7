//! Zero config where the user already is: with no config file, a git repository holding a
//! `catalog-info.yaml` is enough. Its descriptor, its GitHub or GitLab remote, the kubeconfig's
//! current context and a GitHub token from the environment or gh's login become the config, and
//! each source says whether it was found and, when not, how to add it. `flightdeck init` writes
//! the same findings as a commented config file (never a token, only where one comes from).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::config::{Config, GithubSource, GitlabSource, KubernetesSource};

/// Points the GitHub source at another API (GitHub Enterprise Server, or the sim) when the
/// remote's host alone does not say where its API is.
pub const GITHUB_API_ENV: &str = "FLIGHTDECK_GITHUB_API_URL";
/// The same for GitLab; setting it makes the remote a GitLab one whatever its host.
pub const GITLAB_API_ENV: &str = "FLIGHTDECK_GITLAB_API_URL";

/// One source, found or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub source: &'static str,
    /// What was found, or `None` for "not configured".
    pub found: Option<String>,
    /// How to add it when it was not found.
    pub how: &'static str,
}

/// The config made from the repository, and what was found for each source.
#[derive(Debug, Clone)]
pub struct Discovered {
    pub root: PathBuf,
    pub descriptor: PathBuf,
    pub config: Config,
    pub findings: Vec<Finding>,
}

/// A remote's host and `owner/name` path, from the https, ssh and scp-like forms git accepts.
pub fn parse_remote(url: &str) -> Option<(String, String)> {
    let url = url.trim();
    let (host, path) = if let Some((scheme, rest)) = url.split_once("://") {
        if !matches!(scheme, "https" | "http" | "ssh" | "git") {
            return None;
        }
        let (authority, path) = rest.split_once('/')?;
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        // ssh's port is not the web's; an http(s) port is kept, as the API lives beside it.
        let host = if scheme == "ssh" || scheme == "git" {
            host.split(':').next().unwrap_or(host)
        } else {
            host
        };
        (host.to_string(), path)
    } else {
        // scp-like: git@github.com:owner/name.git
        let (authority, path) = url.split_once(':')?;
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        (host.to_string(), path)
    };
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    (!host.is_empty() && path.contains('/')).then(|| (host, path.to_string()))
}

/// The root of the git work tree holding `dir`.
fn git_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

fn origin_url(root: &Path) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["remote", "get-url", "origin"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The kubeconfig kubectl would read and its current context.
fn current_context(env: &dyn Fn(&str) -> Option<String>) -> Option<(PathBuf, String)> {
    let path = match env("KUBECONFIG").filter(|s| !s.is_empty()) {
        Some(list) => PathBuf::from(list.split(':').next()?),
        None => PathBuf::from(env("HOME")?).join(".kube/config"),
    };
    let text = std::fs::read_to_string(&path).ok()?;
    let doc: serde_norway::Value = serde_norway::from_str(&text).ok()?;
    let context = doc.get("current-context")?.as_str()?.trim().to_string();
    (!context.is_empty()).then_some((path, context))
}

/// Discovers a config from the repository holding `cwd`, or `None` when `cwd` is in no git
/// repository with a descriptor at its root.
pub fn discover(cwd: &Path, env: &dyn Fn(&str) -> Option<String>) -> Option<Discovered> {
    let root = git_root(cwd)?;
    let descriptor = ["catalog-info.yaml", "catalog-info.yml"]
        .iter()
        .map(|n| root.join(n))
        .find(|p| p.is_file())?;
    let mut config = Config::default();
    config.catalog.current_repo = true;
    let mut findings = vec![Finding {
        source: "catalog",
        found: Some(flightdeck_core::sanitize::line(
            &descriptor.display().to_string(),
        )),
        how: "",
    }];

    let remote = origin_url(&root).and_then(|u| parse_remote(&u));
    let gitlab_api = env(GITLAB_API_ENV).filter(|s| !s.is_empty());
    let github_api = env(GITHUB_API_ENV).filter(|s| !s.is_empty());
    match remote {
        Some((host, path)) if gitlab_api.is_some() || host.contains("gitlab") => {
            let api_url = gitlab_api.unwrap_or_else(|| format!("https://{host}"));
            findings.push(Finding {
                source: "gitlab",
                found: Some(format!("{path} on {api_url} (the origin remote)")),
                how: "",
            });
            config.gitlab = Some(GitlabSource {
                api_url,
                ..GitlabSource::default()
            });
        }
        Some((host, path)) => {
            let api_url = github_api.unwrap_or_else(|| {
                if host == "github.com" {
                    "https://api.github.com".to_string()
                } else {
                    format!("https://{host}/api/v3")
                }
            });
            findings.push(Finding {
                source: "github",
                found: Some(format!("{path} on {api_url} (the origin remote)")),
                how: "",
            });
            let source = GithubSource {
                api_url,
                ..GithubSource::default()
            };
            // Where the token would come from, never the token; the provider resolves it
            // itself, and only for this host.
            let hosts = crate::providers::github::auth::gh_hosts_path(env)
                .and_then(|p| std::fs::read_to_string(p).ok());
            let host_key = crate::providers::github::auth::gh_host(&source.api_url);
            let from_env = if host_key == "github.com" {
                ["GH_TOKEN", "GITHUB_TOKEN"]
            } else {
                ["GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN"]
            }
            .into_iter()
            .find(|n| env(n).is_some_and(|v| !v.trim().is_empty()));
            let found = match from_env {
                Some(name) => Some(format!("${name}, sent only to {host_key}")),
                None => crate::providers::github::auth::token_without_command(
                    &source,
                    &|_| None,
                    hosts.as_deref(),
                )
                .map(|_| format!("gh's login for {host_key}")),
            };
            findings.push(Finding {
                source: "github token",
                found,
                how: "export GH_TOKEN, or run `gh auth login` (public repositories work without)",
            });
            config.github = Some(source);
        }
        None => findings.push(Finding {
            source: "github/gitlab",
            found: None,
            how: "add an origin remote (`git remote add origin URL`), or a [github] or [gitlab] table",
        }),
    }

    match current_context(env) {
        Some((path, context)) => {
            findings.push(Finding {
                source: "kubernetes",
                found: Some(format!(
                    "context {context} of {}",
                    flightdeck_core::sanitize::line(&path.display().to_string())
                )),
                how: "",
            });
            config.kubernetes = Some(KubernetesSource::default());
        }
        None => findings.push(Finding {
            source: "kubernetes",
            found: None,
            how: "a kubeconfig with a current context ($KUBECONFIG or ~/.kube/config)",
        }),
    }
    findings.push(Finding {
        source: "alertmanager",
        found: None,
        how: "`flightdeck init`, then an [[alertmanager]] table with its url",
    });
    Some(Discovered {
        root,
        descriptor,
        config,
        findings,
    })
}

/// The findings, one line each, for stderr or the first screen.
pub fn describe(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| match &f.found {
            Some(what) => format!("{:<13} found: {what}", f.source),
            None => format!("{:<13} not configured: {}", f.source, f.how),
        })
        .collect()
}

/// A commented config file from what was found: sources found are written, the others are
/// left as comments saying how to add them. Tokens never appear, only where they come from.
pub fn init_file(d: &Discovered) -> String {
    let mut out = String::from(
        "# flightdeck config, written by `flightdeck init` from what it found in this repository.\n\
         # Every key: docs/configuration.md. Tokens are never written here: name an environment\n\
         # variable (token_env) or a command (token_command).\n\n",
    );
    out.push_str("# Found:\n");
    for line in describe(&d.findings) {
        out.push_str(&format!("#   {line}\n"));
    }
    out.push_str(
        "\n[catalog]\n# This repository's catalog-info.yaml is read when flightdeck starts inside it.\n\
         current_repo = true\n# paths = [\"~/src/*/catalog-info.yaml\"]\n",
    );
    match &d.config.github {
        Some(g) => out.push_str(&format!(
            "\n[github]\napi_url = \"{}\"\n# The token: $GH_TOKEN, $GITHUB_TOKEN or gh's login for this host, or:\n\
             # token_env = \"GITHUB_TOKEN\"\n# token_command = \"gh auth token\"\n",
            g.api_url
        )),
        None => out.push_str("\n# [github]\n# api_url = \"https://api.github.com\"\n"),
    }
    match &d.config.gitlab {
        Some(g) => out.push_str(&format!(
            "\n[gitlab]\napi_url = \"{}\"\n# token_env = \"GITLAB_TOKEN\"\n",
            g.api_url
        )),
        None => out.push_str(
            "\n# [gitlab]\n# api_url = \"https://gitlab.com\"\n# token_env = \"GITLAB_TOKEN\"\n",
        ),
    }
    if d.config.kubernetes.is_some() {
        out.push_str("\n[kubernetes]\n# Empty: the kubeconfig's current context.\ncontexts = []\n");
    } else {
        out.push_str("\n# [kubernetes]\n# contexts = [\"prod\"]\n");
    }
    out.push_str(
        "\n# [[alertmanager]]\n# name = \"prod\"\n# url = \"https://alertmanager.example\"\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_in_every_form_git_accepts() {
        let gh = Some(("github.com".to_string(), "acme/payments-api".to_string()));
        assert_eq!(parse_remote("https://github.com/acme/payments-api.git"), gh);
        assert_eq!(parse_remote("https://github.com/acme/payments-api"), gh);
        assert_eq!(parse_remote("git@github.com:acme/payments-api.git"), gh);
        assert_eq!(
            parse_remote("ssh://git@github.com/acme/payments-api.git"),
            gh
        );
        assert_eq!(
            parse_remote("ssh://git@github.com:22/acme/payments-api"),
            gh
        );
        assert_eq!(
            parse_remote("https://gitlab.example.com/group/sub/app.git"),
            Some(("gitlab.example.com".into(), "group/sub/app".into()))
        );
        assert_eq!(
            parse_remote("http://127.0.0.1:4100/acme/ledger.git"),
            Some(("127.0.0.1:4100".into(), "acme/ledger".into()))
        );
        assert_eq!(parse_remote("/srv/git/app.git"), None);
        assert_eq!(parse_remote("file:///srv/git/app.git"), None);
    }
}
