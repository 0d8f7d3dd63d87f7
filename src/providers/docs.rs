//! Reads every service's docs from disk, the way TechDocs lays them out: `mkdocs.yml` (its
//! `nav`, `docs_dir`, `site_name`, `site_url`) and the Markdown under its docs dir; without a
//! `nav`, awesome-pages' `.pages` files or the file tree with index.md first; without mkdocs,
//! docs/ or README.md beside the descriptor. The only file IO of the docs viewer is here.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_norway::Value;
use tokio::sync::mpsc;

use super::{Context, Provider};
use flightdeck_core::message::docs::{Command, Msg as DocsMsg};
use flightdeck_core::message::{Effect, Msg};
use flightdeck_core::model::docs::{NavEntry, NavTarget, Page, Site};
use flightdeck_core::model::join::ServiceTarget;
use flightdeck_core::sanitize;

/// Pages larger than this are not docs anyone reads in a terminal; they are skipped.
const MAX_PAGE_BYTES: u64 = 8 * 1024 * 1024;
/// A site with more pages than this is cut short rather than freezing the cockpit.
const MAX_PAGES: usize = 5_000;
/// How deep a nav tree or a directory walk goes.
const MAX_DEPTH: u8 = 8;

/// One service whose docs are read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DocsTarget {
    service: String,
    name: String,
    dir: PathBuf,
}

pub struct DocsProvider {
    tx: mpsc::Sender<Msg>,
    targets: Vec<DocsTarget>,
    /// Bumped on every load; a load that finishes after a newer one started is dropped.
    generation: Arc<AtomicU64>,
}

impl DocsProvider {
    pub fn new(cx: &Context) -> Self {
        Self {
            tx: cx.tx.clone(),
            targets: Vec::new(),
            generation: Arc::default(),
        }
    }

    fn load(&self) {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let targets = self.targets.clone();
        let tx = self.tx.clone();
        let generation = self.generation.clone();
        let mine = generation.fetch_add(1, Ordering::SeqCst) + 1;
        handle.spawn(async move {
            let read = tokio::task::spawn_blocking(move || read_all(&targets)).await;
            let Ok((sites, errors)) = read else { return };
            if generation.load(Ordering::SeqCst) == mine {
                let _ = tx.send(Msg::Docs(DocsMsg::Loaded { sites, errors })).await;
            }
        });
    }
}

impl Provider for DocsProvider {
    fn targets(&mut self, targets: &[ServiceTarget]) {
        let next: Vec<DocsTarget> = targets
            .iter()
            .filter_map(|t| {
                t.docs.as_ref().map(|dir| DocsTarget {
                    service: t.service.clone(),
                    name: t.name.clone(),
                    dir: dir.clone(),
                })
            })
            .collect();
        if next != self.targets || self.generation.load(Ordering::SeqCst) == 0 {
            self.targets = next;
            self.load();
        }
    }

    fn kinds(&self) -> &'static [flightdeck_core::model::SourceKind] {
        &[flightdeck_core::model::SourceKind::Catalog]
    }

    fn refresh(&mut self) {
        self.load();
    }

    fn command(&mut self, effect: &Effect) -> bool {
        match effect {
            Effect::Docs(Command::Reload) => {
                self.load();
                true
            }
            _ => false,
        }
    }
}

fn read_all(targets: &[DocsTarget]) -> (Vec<Site>, Vec<(String, String)>) {
    let mut sites = Vec::new();
    let mut errors = Vec::new();
    for t in targets {
        match read_site(&t.service, &t.name, &t.dir) {
            Ok(site) => sites.push(site),
            Err(e) => errors.push((t.service.clone(), e)),
        }
    }
    (sites, errors)
}

/// Reads one service's docs from `dir`: a directory with mkdocs.yml, a mkdocs.yml file, a
/// directory with docs/ or README.md, or a directory of Markdown files.
pub fn read_site(service: &str, name: &str, dir: &Path) -> Result<Site, String> {
    let (root_dir, mkdocs) = if dir.is_file() {
        (
            dir.parent().unwrap_or(Path::new(".")).to_path_buf(),
            Some(dir.to_path_buf()),
        )
    } else {
        let found = ["mkdocs.yml", "mkdocs.yaml"]
            .iter()
            .map(|f| dir.join(f))
            .find(|p| p.is_file());
        (dir.to_path_buf(), found)
    };
    let mut site = Site {
        service: service.to_string(),
        name: name.to_string(),
        site_name: name.to_string(),
        ..Site::default()
    };
    let nav_yaml = if let Some(file) = &mkdocs {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let config: Value = serde_norway::from_str(&text)
            .map_err(|e| format!("{}: {}", file.display(), sanitize::line(&e.to_string())))?;
        if let Some(n) = config.get("site_name").and_then(Value::as_str) {
            site.site_name = sanitize::line(n);
        }
        site.site_url = config
            .get("site_url")
            .and_then(Value::as_str)
            .and_then(sanitize::url);
        let docs_dir = config
            .get("docs_dir")
            .and_then(Value::as_str)
            .unwrap_or("docs");
        let docs = root_dir.join(docs_dir);
        if !docs.is_dir() {
            return Err(format!(
                "{}: docs_dir {} is not a directory",
                file.display(),
                docs.display()
            ));
        }
        site.root = docs.display().to_string();
        config.get("nav").cloned()
    } else if root_dir.join("docs").is_dir() {
        site.root = root_dir.join("docs").display().to_string();
        None
    } else if root_dir.join("README.md").is_file() {
        let file = root_dir.join("README.md");
        site.root = root_dir.display().to_string();
        site.pages.push(read_page(&file, "README.md")?);
        site.nav.push(NavEntry {
            depth: 0,
            title: page_title(&site.pages[0]),
            target: NavTarget::Page("README.md".into()),
        });
        return Ok(site);
    } else if has_markdown(&root_dir) {
        site.root = root_dir.display().to_string();
        None
    } else {
        return Err(format!(
            "no mkdocs.yml, docs/ or README.md in {}",
            dir.display()
        ));
    };
    let docs_dir = PathBuf::from(&site.root);
    collect_pages(&docs_dir, &docs_dir, 0, &mut site.pages);
    site.pages.sort_by(|a, b| a.path.cmp(&b.path));
    site.nav = match nav_yaml {
        Some(Value::Sequence(items)) => {
            let mut nav = Vec::new();
            nav_items(&items, &docs_dir, "", 0, &site.pages, &mut nav);
            nav
        }
        _ => tree_nav(&docs_dir, "", 0, &site.pages),
    };
    Ok(site)
}

fn has_markdown(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "md"))
        })
        .unwrap_or(false)
}

fn read_page(file: &Path, path: &str) -> Result<Page, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let markdown = sanitize::text(&String::from_utf8_lossy(&bytes));
    Ok(Page {
        path: sanitize::line(path),
        file: file.display().to_string(),
        title: quick_title(&markdown).unwrap_or_else(|| path.to_string()),
        markdown,
        ..Page::default()
    })
}

/// The page's front matter title or first `# ` heading, for nav entries without a title. The
/// full parse happens in `update`; this only needs the first lines.
fn quick_title(markdown: &str) -> Option<String> {
    let mut lines = markdown.lines();
    if markdown.starts_with("---") {
        lines.next();
        for l in lines.by_ref() {
            if let Some(t) = l.strip_prefix("title:") {
                return Some(t.trim().trim_matches(|c| c == '"' || c == '\'').to_string());
            }
            if l.trim_end() == "---" {
                break;
            }
        }
    }
    lines.take(50).find_map(|l| {
        l.strip_prefix("# ")
            .map(|t| t.trim().trim_end_matches('#').trim().to_string())
    })
}

fn page_title(page: &Page) -> String {
    page.title.clone()
}

/// Every Markdown file under `dir`, hidden directories skipped.
fn collect_pages(root: &Path, dir: &Path, depth: u8, out: &mut Vec<Page>) {
    if depth > MAX_DEPTH || out.len() >= MAX_PAGES {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            collect_pages(root, &path, depth + 1, out);
        } else if name.ends_with(".md") && meta.len() <= MAX_PAGE_BYTES && out.len() < MAX_PAGES {
            let rel = relative(root, &path);
            if let Ok(page) = read_page(&path, &rel) {
                out.push(page);
            }
        }
    }
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect::<Vec<_>>()
        .join("/")
}

fn find<'a>(pages: &'a [Page], path: &str) -> Option<&'a Page> {
    pages
        .binary_search_by(|p| p.path.as_str().cmp(path))
        .ok()
        .map(|i| &pages[i])
}

/// `how-tos` → `How tos`, as MkDocs titles a directory.
fn dir_title(name: &str) -> String {
    let spaced = name.replace(['-', '_'], " ");
    let mut c = spaced.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Converts a `nav` list (of mkdocs.yml or a `.pages` file) under `prefix` of the docs dir.
fn nav_items(
    items: &[Value],
    docs: &Path,
    prefix: &str,
    depth: u8,
    pages: &[Page],
    out: &mut Vec<NavEntry>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    for item in items {
        match item {
            Value::String(s) => nav_item(None, s, docs, prefix, depth, pages, out),
            Value::Mapping(map) => {
                for (k, v) in map {
                    let title = k.as_str().map(sanitize::line);
                    match v {
                        Value::String(s) => nav_item(title, s, docs, prefix, depth, pages, out),
                        Value::Sequence(children) => {
                            out.push(NavEntry {
                                depth,
                                title: title.unwrap_or_default(),
                                target: NavTarget::Section,
                            });
                            nav_items(children, docs, prefix, depth + 1, pages, out);
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

fn nav_item(
    title: Option<String>,
    target: &str,
    docs: &Path,
    prefix: &str,
    depth: u8,
    pages: &[Page],
    out: &mut Vec<NavEntry>,
) {
    let target = target.trim();
    if target == "..." {
        // awesome-pages' "everything else": the pages and directories not named elsewhere.
        return;
    }
    if target.contains("://") {
        if let Some(url) = sanitize::url(target) {
            out.push(NavEntry {
                depth,
                title: title.unwrap_or_else(|| url.clone()),
                target: NavTarget::External(url),
            });
        }
        return;
    }
    let path = if prefix.is_empty() {
        target.to_string()
    } else {
        format!("{prefix}/{target}")
    };
    if let Some(page) = find(pages, &path) {
        out.push(NavEntry {
            depth,
            title: title.unwrap_or_else(|| page.title.clone()),
            target: NavTarget::Page(path),
        });
    } else if docs.join(&path).is_dir() {
        let name = target.rsplit('/').next().unwrap_or(target);
        out.push(NavEntry {
            depth,
            title: title.unwrap_or_else(|| dir_title(name)),
            target: NavTarget::Section,
        });
        out.extend(tree_nav(docs, &path, depth + 1, pages));
    } else {
        // A nav entry naming a missing page still shows, so the gap is visible.
        out.push(NavEntry {
            depth,
            title: format!(
                "{} (missing)",
                title.unwrap_or_else(|| sanitize::line(target))
            ),
            target: NavTarget::Section,
        });
    }
}

/// The nav of a directory without one in mkdocs.yml: its `.pages` file if any, else index.md
/// (or README.md) first, the other pages by name, then the subdirectories as sections.
fn tree_nav(docs: &Path, prefix: &str, depth: u8, pages: &[Page]) -> Vec<NavEntry> {
    let mut out = Vec::new();
    if depth > MAX_DEPTH {
        return out;
    }
    let dir = if prefix.is_empty() {
        docs.to_path_buf()
    } else {
        docs.join(prefix)
    };
    if let Ok(text) = std::fs::read_to_string(dir.join(".pages"))
        && let Ok(pages_file) = serde_norway::from_str::<Value>(&text)
        && let Some(Value::Sequence(items)) = pages_file.get("nav")
    {
        nav_items(items, docs, prefix, depth, pages, &mut out);
        return out;
    }
    let here = |p: &&Page| {
        let rest = if prefix.is_empty() {
            Some(p.path.as_str())
        } else {
            p.path
                .strip_prefix(prefix)
                .and_then(|r| r.strip_prefix('/'))
        };
        rest.is_some_and(|r| !r.contains('/'))
    };
    let mut files: Vec<&Page> = pages.iter().filter(here).collect();
    files.sort_by_key(|p| {
        let name = p.path.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
        (name != "index.md" && name != "readme.md", p.path.clone())
    });
    for p in files {
        out.push(NavEntry {
            depth,
            title: p.title.clone(),
            target: NavTarget::Page(p.path.clone()),
        });
    }
    let mut dirs: Vec<String> = pages
        .iter()
        .filter_map(|p| {
            let rest = if prefix.is_empty() {
                Some(p.path.as_str())
            } else {
                p.path
                    .strip_prefix(prefix)
                    .and_then(|r| r.strip_prefix('/'))
            };
            rest.and_then(|r| r.split_once('/'))
                .map(|(d, _)| d.to_string())
        })
        .collect();
    dirs.dedup();
    for d in dirs {
        out.push(NavEntry {
            depth,
            title: dir_title(&d),
            target: NavTarget::Section,
        });
        let sub = if prefix.is_empty() {
            d.clone()
        } else {
            format!("{prefix}/{d}")
        };
        out.extend(tree_nav(docs, &sub, depth + 1, pages));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_tree_puts_index_first_and_subdirectories_after_pages() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let docs = dir.path().join("docs");
        std::fs::create_dir_all(docs.join("runbooks")).expect("mkdir");
        std::fs::write(docs.join("b.md"), "# Bee\n").expect("write");
        std::fs::write(docs.join("index.md"), "# Home\n").expect("write");
        std::fs::write(docs.join("runbooks/crash-looping.md"), "# Crash looping\n").expect("write");
        let site = read_site("component:default/x", "x", dir.path()).expect("reads");
        let titles: Vec<(u8, &str)> = site
            .nav
            .iter()
            .map(|e| (e.depth, e.title.as_str()))
            .collect();
        assert_eq!(
            titles,
            vec![
                (0, "Home"),
                (0, "Bee"),
                (0, "Runbooks"),
                (1, "Crash looping")
            ]
        );
    }

    #[test]
    fn a_readme_alone_is_a_one_page_site_and_nothing_is_an_error() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let err = read_site("component:default/x", "x", dir.path()).expect_err("nothing there");
        assert!(err.contains("no mkdocs.yml"), "{err}");
        std::fs::write(dir.path().join("README.md"), "# Readme\x1b[31m\n").expect("write");
        let site = read_site("component:default/x", "x", dir.path()).expect("reads");
        assert_eq!(site.pages.len(), 1);
        assert!(
            !site.pages[0].markdown.contains('\x1b'),
            "page text is sanitised"
        );
    }
}
