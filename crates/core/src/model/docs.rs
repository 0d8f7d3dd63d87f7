//! Docs: every service's TechDocs site as the provider read it from disk, the page open in the
//! viewer (parsed once, laid out once per width), its history, and the in-page search. A runbook
//! an alert points at opens here, so the on-call engineer never leaves the cockpit for it.

use std::collections::BTreeSet;

use super::input::TextInput;
use super::markdown::{self, Doc, Heading};

/// One service's docs: the MkDocs site beside its descriptor, or its docs/ tree or README.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Site {
    /// Catalog ref of the service, `component:default/payments-api`.
    pub service: String,
    /// The entity's name, which runbook URLs carry as a path segment.
    pub name: String,
    /// `site_name` of mkdocs.yml, else the service's name.
    pub site_name: String,
    /// `site_url` of mkdocs.yml: runbook URLs under it resolve into this site.
    pub site_url: Option<String>,
    /// The docs directory on disk, for messages.
    pub root: String,
    /// The navigation tree, flattened in reading order.
    pub nav: Vec<NavEntry>,
    /// Every Markdown page, sorted by path.
    pub pages: Vec<Page>,
}

impl Site {
    pub fn page(&self, path: &str) -> Option<&Page> {
        self.pages
            .binary_search_by(|p| p.path.as_str().cmp(path))
            .ok()
            .and_then(|i| self.pages.get(i))
    }

    pub(crate) fn page_index(&self, path: &str) -> Option<usize> {
        self.pages
            .binary_search_by(|p| p.path.as_str().cmp(path))
            .ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NavEntry {
    /// 0 for top-level entries.
    pub depth: u8,
    pub title: String,
    pub target: NavTarget,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NavTarget {
    /// A page, by its path under the docs dir (`runbooks/crash-looping.md`).
    Page(String),
    /// A heading that groups the entries below it.
    Section,
    /// A link out of the site.
    External(String),
}

/// A Markdown page of a site. The provider fills `path`, `file` and `markdown`; `update` fills
/// the index fields when the site arrives.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// Path under the docs dir, `/`-separated.
    pub path: String,
    /// The file on disk, for `$EDITOR`.
    pub file: String,
    /// The page's text, sanitised at read time.
    pub markdown: String,
    /// Front matter title, first `#` heading, or the file name.
    pub title: String,
    pub headings: Vec<Heading>,
    /// The text lower-cased once, so a search over thousands of pages is a plain scan.
    pub folded: String,
}

/// Which panel of the Docs screen has the keyboard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Focus {
    #[default]
    Nav,
    Page,
}

/// A row of the navigation panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NavRow {
    /// A service's site, as a heading.
    Site { site: usize },
    /// An entry of a site's nav tree.
    Entry { site: usize, entry: usize },
    /// A page that matches the filter, and why (`title`, `§ Heading`, a line of text).
    Hit {
        site: usize,
        page: usize,
        anchor: Option<String>,
        why: String,
    },
}

/// A page in the viewer: where it was, and where the user was on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub service: String,
    pub path: String,
    pub scroll: usize,
}

/// The page open in the viewer, parsed, and laid out for the current width.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenPage {
    pub service: String,
    pub path: String,
    pub file: String,
    pub title: String,
    pub doc: Doc,
    pub layout: markdown::Layout,
    /// First visible line.
    pub scroll: usize,
    /// The link chosen with `]`/`[` (0-based), which Enter follows.
    pub link: Option<usize>,
}

/// The in-page search (`/`, then `n`/`N`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageSearch {
    pub input: TextInput,
    /// The input has the keyboard.
    pub typing: bool,
    /// (line, byte start, byte end) of every match.
    pub hits: Vec<(usize, usize, usize)>,
    /// Index into `hits` of the current match.
    pub current: usize,
}

/// What the cockpit knows about docs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocsState {
    /// Sorted by service name.
    pub sites: Vec<Site>,
    /// Services whose docs could not be read, and why.
    pub errors: Vec<(String, String)>,
    /// The provider has answered at least once.
    pub loaded: bool,
    /// The navigation panel's rows, after the filter.
    pub rows: Vec<NavRow>,
    pub focus: Focus,
    pub open: Option<OpenPage>,
    pub back: Vec<Place>,
    pub forward: Vec<Place>,
    pub search: PageSearch,
    /// Every (service, page path) opened this session; onboarding checks for a runbook in it.
    pub opened: BTreeSet<(String, String)>,
}

impl DocsState {
    pub(crate) fn has_docs(&self, service: &str) -> bool {
        self.sites.iter().any(|s| s.service == service)
    }

    pub fn site(&self, service: &str) -> Option<&Site> {
        self.sites.iter().find(|s| s.service == service)
    }

    /// A runbook page (under a `runbooks/` dir, or named so) of one of `services` that was opened.
    pub(crate) fn opened_runbook_of(&self, services: &[String]) -> Option<(String, String)> {
        self.opened
            .iter()
            .find(|(service, path)| {
                services.contains(service) && path.to_ascii_lowercase().contains("runbook")
            })
            .cloned()
    }
}

/// Width of the navigation panel for a terminal of `size`, borders included.
pub fn nav_width(size: (u16, u16)) -> u16 {
    (size.0 / 4).clamp(22, 36)
}

/// Cells the page text gets: what the navigation panel, the page's borders and its scroll
/// column leave. `view` splits the screen with the same numbers.
pub fn page_width(size: (u16, u16)) -> u16 {
    size.0.saturating_sub(nav_width(size) + 3).max(20)
}

/// Lines of page text on screen: the terminal less tabs, status bar, the page's borders, its
/// title line and its footer line.
pub(crate) fn page_height(size: (u16, u16)) -> usize {
    usize::from(size.1).saturating_sub(6).max(1)
}
