//! The Docs screen's part of `update`: sites arriving from the provider, the navigation panel
//! and its full-text filter, the page viewer (links, anchors, history, in-page search), the
//! palette's titles and headings, and runbook URLs resolved into a service's docs.

use crate::keymap::{Action, Key};
use crate::model::docs::{
    Focus, NavRow, NavTarget, OpenPage, Place, Site, page_height, page_width,
};
use crate::model::input::InputKey;
use crate::model::markdown;
use crate::model::{Level, Model, PaletteItem, PaletteTarget, Screen};

use super::feedback::{UrlUse, notify, url_effect};
use crate::message::{Effect, External};

// The providers still name these through `update`; the rest of the code imports `message`.
pub use crate::message::docs::{Command, Msg};

/// History kept per direction; older places are dropped.
const HISTORY: usize = 100;

/// Separates service, path and anchor in a palette key.
const KEY_SEP: char = '\u{1f}';

pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Loaded { mut sites, errors } => {
            for site in &mut sites {
                index_site(site);
            }
            sites.sort_by(|a, b| a.name.cmp(&b.name));
            let docs = &mut model.docs;
            docs.sites = sites;
            docs.errors = errors;
            docs.loaded = true;
            refilter(model);
            // The open page may have changed on disk (an edit): show the new text where the
            // user was.
            if let Some(open) = model.docs.open.take() {
                let place = Place {
                    service: open.service.clone(),
                    path: open.path.clone(),
                    scroll: open.scroll,
                };
                if !show(model, &place.service, &place.path, None) {
                    model.docs.open = Some(open);
                } else if let Some(o) = &mut model.docs.open {
                    o.scroll = place.scroll.min(max_anchor_scroll(o));
                }
            }
            vec![Effect::Render]
        }
    }
}

/// Fills the index of every page: title, headings and the folded text the filter scans.
fn index_site(site: &mut Site) {
    for page in &mut site.pages {
        let (title, headings) = markdown::outline(&page.markdown);
        page.title = title.unwrap_or_else(|| file_title(&page.path));
        page.headings = headings;
        page.folded = page.markdown.to_lowercase();
    }
    site.pages.sort_by(|a, b| a.path.cmp(&b.path));
}

/// `runbooks/crash-looping.md` → `crash-looping`.
fn file_title(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.strip_suffix(".md").unwrap_or(name);
    if stem.eq_ignore_ascii_case("index") || stem.eq_ignore_ascii_case("readme") {
        let parent = path.rsplit('/').nth(1).unwrap_or("Home");
        return parent.to_string();
    }
    stem.to_string()
}

/// Rows in the navigation panel now.
pub(crate) fn row_count(model: &Model) -> usize {
    model.docs.rows.len()
}

/// Recomputes the navigation rows: the whole tree, or the pages the filter finds by title,
/// heading or text.
pub fn refilter(model: &mut Model) {
    let query = model.list(Screen::Docs).filter.text().trim().to_lowercase();
    let docs = &mut model.docs;
    let mut rows = Vec::new();
    if query.is_empty() {
        for (s, site) in docs.sites.iter().enumerate() {
            rows.push(NavRow::Site { site: s });
            rows.extend((0..site.nav.len()).map(|e| NavRow::Entry { site: s, entry: e }));
        }
    } else {
        for (s, site) in docs.sites.iter().enumerate() {
            for (p, page) in site.pages.iter().enumerate() {
                if let Some((anchor, why)) = page_match(page, &query) {
                    rows.push(NavRow::Hit {
                        site: s,
                        page: p,
                        anchor,
                        why,
                    });
                }
            }
        }
    }
    docs.rows = rows;
}

/// Whether a page matches `query` (lower case), best reason first: title, heading, text.
fn page_match(page: &crate::model::docs::Page, query: &str) -> Option<(Option<String>, String)> {
    if page.title.to_lowercase().contains(query) || page.path.to_lowercase().contains(query) {
        return Some((None, "title".into()));
    }
    if let Some(h) = page
        .headings
        .iter()
        .find(|h| h.text.to_lowercase().contains(query))
    {
        return Some((Some(h.anchor.clone()), format!("§ {}", h.text)));
    }
    let at = page.folded.find(query)?;
    // The line around the match, so the row says why it matched.
    let start = page.folded[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = page.folded[at..]
        .find('\n')
        .map_or(page.folded.len(), |i| at + i);
    let line = page.markdown.get(start..end).unwrap_or("").trim();
    Some((None, line.chars().take(80).collect()))
}

/// Takes raw keys while the page search is typed; every other key goes through the keymap.
pub(crate) fn on_key(model: &mut Model, key: &Key) -> Option<Vec<Effect>> {
    if model.screen != Screen::Docs {
        return None;
    }
    if model.docs.search.typing {
        return Some(search_key(model, key));
    }
    None
}

/// The open page's own actions: next and previous match and link, back and forward.
fn page_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    if model.docs.focus != Focus::Page || model.docs.open.is_none() {
        return None;
    }
    match action {
        Action::FindNext => Some(step_hit(model, 1)),
        Action::FindPrev => Some(step_hit(model, -1)),
        Action::LinkNext => Some(step_link(model, 1)),
        Action::LinkPrev => Some(step_link(model, -1)),
        Action::PageBack => Some(go_back(model)),
        Action::PageForward => Some(go_forward(model)),
        _ => None,
    }
}

fn search_key(model: &mut Model, key: &Key) -> Vec<Effect> {
    match InputKey::read(&model.keymap, key) {
        Some(InputKey::Cancel) => {
            let s = &mut model.docs.search;
            s.typing = false;
            s.input.clear();
            s.hits.clear();
            vec![Effect::Render]
        }
        Some(InputKey::Accept) => {
            model.docs.search.typing = false;
            vec![Effect::Render]
        }
        Some(InputKey::Edit(edit)) => {
            if model.docs.search.input.apply(edit) {
                research(model);
                jump_to_hit_from_scroll(model);
            }
            vec![Effect::Render]
        }
        Some(InputKey::Next | InputKey::Prev) | None => vec![],
    }
}

/// Recomputes the matches of the page search over the laid-out lines.
fn research(model: &mut Model) {
    let query = model.docs.search.input.text().to_string();
    let hits = match &model.docs.open {
        Some(open) => markdown::find(&open.layout.lines, &query),
        None => Vec::new(),
    };
    let s = &mut model.docs.search;
    s.hits = hits;
    s.current = 0;
}

/// Selects the first match at or below the top of the screen and scrolls to it.
fn jump_to_hit_from_scroll(model: &mut Model) {
    let scroll = model.docs.open.as_ref().map_or(0, |o| o.scroll);
    let s = &mut model.docs.search;
    if s.hits.is_empty() {
        return;
    }
    s.current = s.hits.iter().position(|h| h.0 >= scroll).unwrap_or(0);
    let line = s.hits[s.current].0;
    scroll_to_show(model, line);
}

fn step_hit(model: &mut Model, delta: isize) -> Vec<Effect> {
    let s = &mut model.docs.search;
    if s.hits.is_empty() {
        let text = if s.input.is_empty() {
            "no search: / to search this page".to_string()
        } else {
            format!("`{}` is not on this page", s.input.text())
        };
        notify(model, Level::Info, text);
        return vec![Effect::Render];
    }
    let n = s.hits.len() as isize;
    s.current = (s.current as isize + delta).rem_euclid(n) as usize;
    let line = s.hits[s.current].0;
    scroll_to_show(model, line);
    vec![Effect::Render]
}

/// Scrolls so that `line` is visible, a few lines below the top when it was off screen.
fn scroll_to_show(model: &mut Model, line: usize) {
    let height = page_height(model.size);
    let size = model.size;
    if let Some(open) = &mut model.docs.open
        && (line < open.scroll || line >= open.scroll + height)
    {
        open.scroll = line.saturating_sub(height / 4).min(max_scroll(open, size));
    }
}

fn max_scroll(open: &OpenPage, size: (u16, u16)) -> usize {
    open.layout.lines.len().saturating_sub(page_height(size))
}

/// How far an anchor or a restored place may scroll: its line at the top even on a short page,
/// so a runbook opens on the heading it names.
fn max_anchor_scroll(open: &OpenPage) -> usize {
    open.layout.lines.len().saturating_sub(1)
}

fn step_link(model: &mut Model, delta: isize) -> Vec<Effect> {
    let height = page_height(model.size);
    let Some(open) = &mut model.docs.open else {
        return vec![];
    };
    let lines = &open.layout.link_lines;
    if lines.is_empty() {
        notify(model, Level::Info, "this page has no links");
        return vec![Effect::Render];
    }
    let visible = |i: usize| lines[i] >= open.scroll && lines[i] < open.scroll + height;
    let next = match open.link {
        // A selection scrolled off screen restarts from what is visible.
        Some(i) if visible(i) => (i as isize + delta).rem_euclid(lines.len() as isize) as usize,
        _ if delta > 0 => (0..lines.len())
            .find(|&i| lines[i] >= open.scroll)
            .unwrap_or(0),
        _ => (0..lines.len())
            .rev()
            .find(|&i| lines[i] < open.scroll + height)
            .unwrap_or(lines.len() - 1),
    };
    open.link = Some(next);
    let line = lines[next];
    scroll_to_show(model, line);
    if let Some(link) = model.docs.open.as_ref().and_then(|o| o.doc.links.get(next)) {
        let text = format!(
            "[{}] {} → {}  (enter follows, y copies, o opens)",
            next + 1,
            link.text,
            link.target
        );
        notify(model, Level::Info, text);
    }
    vec![Effect::Render]
}

/// Handles an action on this screen; `None` leaves it to the global keys.
pub(crate) fn on_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    if let Some(effects) = page_action(model, action) {
        return Some(effects);
    }
    let page = model.docs.focus == Focus::Page && model.docs.open.is_some();
    match action {
        Action::NextPanel | Action::PrevPanel => {
            model.docs.open.as_ref()?;
            model.docs.focus = if page { Focus::Nav } else { Focus::Page };
            Some(vec![Effect::Render])
        }
        Action::Open if page => Some(follow_selected_link(model)),
        Action::Open => Some(open_selected_row(model)),
        Action::Back if page => {
            if !model.docs.search.hits.is_empty() || !model.docs.search.input.is_empty() {
                model.docs.search = Default::default();
            } else if !model.docs.back.is_empty() {
                return Some(go_back(model));
            } else {
                model.docs.focus = Focus::Nav;
            }
            Some(vec![Effect::Render])
        }
        Action::Filter if page => {
            let s = &mut model.docs.search;
            s.typing = true;
            s.input.clear();
            s.hits.clear();
            Some(vec![Effect::Render])
        }
        Action::Down
        | Action::Up
        | Action::PageDown
        | Action::PageUp
        | Action::Top
        | Action::Bottom
            if page =>
        {
            let height = page_height(model.size) as isize;
            let size = model.size;
            let open = model.docs.open.as_mut()?;
            // Past the last screenful only when an anchor put it there; moving down never
            // scrolls further, and never jumps back up either.
            let max = max_scroll(open, size).max(open.scroll);
            let to = match action {
                Action::Down => open.scroll.saturating_add(1),
                Action::Up => open.scroll.saturating_sub(1),
                Action::PageDown => open.scroll.saturating_add_signed(height - 1),
                Action::PageUp => open.scroll.saturating_add_signed(-(height - 1)),
                Action::Top => 0,
                _ => max_scroll(open, size),
            }
            .min(max);
            if to == open.scroll {
                return Some(vec![]);
            }
            open.scroll = to;
            Some(vec![Effect::Render])
        }
        Action::Edit => Some(edit(model)),
        Action::Copy => Some(copy(model)),
        Action::OpenUrl => Some(open_url(model)),
        _ => None,
    }
}

fn edit(model: &mut Model) -> Vec<Effect> {
    let target = if model.docs.focus == Focus::Page {
        model.docs.open.as_ref().map(|o| {
            let line = o
                .layout
                .lines
                .get(o.scroll)
                .map(|l| l.source_line as usize)
                .filter(|l| *l > 0);
            (o.file.clone(), line)
        })
    } else {
        selected_page(model)
            .map(|(site, page)| (model.docs.sites[site].pages[page].file.clone(), None))
    };
    match target {
        Some((path, line)) => vec![
            Effect::External(External::Editor { path, line }),
            // Read the sites again once the editor is closed, so the edit shows.
            Effect::Docs(Command::Reload),
        ],
        None => {
            notify(model, Level::Info, "edit: select a page first");
            vec![Effect::Render]
        }
    }
}

/// A link to a place in the docs (a page, an anchor), as opposed to one with a scheme of its
/// own (`https:`, `mailto:`, `javascript:`, `file:`), which leaves the viewer through the URL
/// check: a scheme is letters, digits, `+`, `-`, `.` before a `:` that comes before any `/`.
fn is_page_link(target: &str) -> bool {
    let end = target.find(['/', '?', '#']).unwrap_or(target.len());
    !target[..end].split_once(':').is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    })
}

/// The URL a link points at, made absolute against the site for site-relative links.
fn link_url(model: &Model, target: &str) -> String {
    if target.contains("://") || target.starts_with("mailto:") {
        return target.to_string();
    }
    let site_url = model
        .docs
        .open
        .as_ref()
        .and_then(|o| model.docs.site(&o.service))
        .and_then(|s| s.site_url.clone());
    match (site_url, &model.docs.open) {
        (Some(base), Some(open)) => {
            let (path, anchor) = split_anchor(target);
            let resolved = resolve_relative(&open.path, path).unwrap_or_else(|| path.to_string());
            let html = resolved
                .strip_suffix(".md")
                .map_or(resolved.clone(), |p| format!("{p}/"));
            let html = html.strip_suffix("index/").unwrap_or(&html).to_string();
            let anchor = anchor.map_or(String::new(), |a| format!("#{a}"));
            format!("{}/{}{}", base.trim_end_matches('/'), html, anchor)
        }
        _ => target.to_string(),
    }
}

fn copy(model: &mut Model) -> Vec<Effect> {
    let text = match selected_link(model) {
        Some(target) => {
            let url = link_url(model, &target);
            return url_effect(model, UrlUse::Copy, &url);
        }
        None => match (&model.docs.focus, &model.docs.open) {
            (Focus::Page, Some(o)) => o.file.clone(),
            _ => match selected_page(model) {
                Some((s, p)) => model.docs.sites[s].pages[p].file.clone(),
                None => {
                    notify(model, Level::Info, "copy: select a link or a page first");
                    return vec![Effect::Render];
                }
            },
        },
    };
    notify(model, Level::Info, format!("copied {text}"));
    vec![Effect::Copy(text), Effect::Render]
}

fn open_url(model: &mut Model) -> Vec<Effect> {
    let Some(target) = selected_link(model) else {
        notify(model, Level::Info, "open: select a link with ] first");
        return vec![Effect::Render];
    };
    let url = link_url(model, &target);
    if is_page_link(&target) {
        follow(model, &target)
    } else {
        url_effect(model, UrlUse::Open, &url)
    }
}

fn selected_link(model: &Model) -> Option<String> {
    if model.docs.focus != Focus::Page {
        return None;
    }
    let open = model.docs.open.as_ref()?;
    open.link
        .and_then(|i| open.doc.links.get(i))
        .map(|l| l.target.clone())
}

/// The page of the selected navigation row, as (site, page) indices.
fn selected_page(model: &Model) -> Option<(usize, usize)> {
    let row = model
        .docs
        .rows
        .get(model.list(Screen::Docs).cursor.selected)?;
    match row {
        NavRow::Entry { site, entry } => {
            let s = model.docs.sites.get(*site)?;
            match &s.nav.get(*entry)?.target {
                NavTarget::Page(path) => s.page_index(path).map(|p| (*site, p)),
                _ => None,
            }
        }
        NavRow::Hit { site, page, .. } => Some((*site, *page)),
        NavRow::Site { site } => {
            let s = model.docs.sites.get(*site)?;
            home_page(s).map(|p| (*site, p))
        }
    }
}

/// The page a site opens on: its first nav page, else index.md, else the first page.
fn home_page(site: &Site) -> Option<usize> {
    site.nav
        .iter()
        .find_map(|e| match &e.target {
            NavTarget::Page(p) => site.page_index(p),
            _ => None,
        })
        .or_else(|| site.page_index("index.md"))
        .or_else(|| site.page_index("README.md"))
        .or_else(|| (!site.pages.is_empty()).then_some(0))
}

fn open_selected_row(model: &mut Model) -> Vec<Effect> {
    let Some(row) = model
        .docs
        .rows
        .get(model.list(Screen::Docs).cursor.selected)
        .cloned()
    else {
        return vec![];
    };
    if let NavRow::Entry { site, entry } = &row
        && let Some(NavTarget::External(url)) = model
            .docs
            .sites
            .get(*site)
            .and_then(|s| s.nav.get(*entry))
            .map(|e| e.target.clone())
    {
        return url_effect(model, UrlUse::Open, &url);
    }
    let Some((site, page)) = selected_page(model) else {
        return vec![];
    };
    let service = model.docs.sites[site].service.clone();
    let path = model.docs.sites[site].pages[page].path.clone();
    let anchor = match &row {
        NavRow::Hit { anchor, .. } => anchor.clone(),
        _ => None,
    };
    let filter = model.list(Screen::Docs).filter.text().trim().to_string();
    let mut effects = navigate(model, &service, &path, anchor.as_deref());
    // A text hit lands on the matching line, with the filter as the page search.
    if anchor.is_none() && matches!(row, NavRow::Hit { .. }) && !filter.is_empty() {
        model.docs.search.input.clear();
        model
            .docs
            .search
            .input
            .apply(crate::model::input::Edit::Paste(filter));
        research(model);
        if let Some(open) = &mut model.docs.open {
            open.scroll = 0;
        }
        jump_to_hit_from_scroll(model);
        effects.push(Effect::Render);
    }
    effects
}

fn follow_selected_link(model: &mut Model) -> Vec<Effect> {
    match selected_link(model) {
        Some(target) => follow(model, &target),
        None => {
            notify(
                model,
                Level::Info,
                "] selects the next link, then enter follows it",
            );
            vec![Effect::Render]
        }
    }
}

/// Follows a link of the open page: an anchor, a page of the same site, or a URL out.
fn follow(model: &mut Model, target: &str) -> Vec<Effect> {
    if !is_page_link(target) {
        let url = link_url(model, target);
        return url_effect(model, UrlUse::Open, &url);
    }
    let Some(open) = &model.docs.open else {
        return vec![];
    };
    let (service, current) = (open.service.clone(), open.path.clone());
    let (path, anchor) = split_anchor(target);
    if path.is_empty() {
        return navigate(model, &service, &current, anchor);
    }
    let resolved = resolve_relative(&current, path);
    let page = resolved
        .as_deref()
        .and_then(|p| model.docs.site(&service).and_then(|s| find_page(s, p)));
    match page {
        Some(page) => navigate(model, &service, &page, anchor),
        None => {
            notify(
                model,
                Level::Warning,
                format!("{target}: no such page in these docs"),
            );
            vec![Effect::Render]
        }
    }
}

fn split_anchor(target: &str) -> (&str, Option<&str>) {
    match target.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (target, None),
    }
}

/// Resolves `target` against the directory of the page `from`; `None` when it leaves the
/// docs dir. A leading `/` means the docs root.
fn resolve_relative(from: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        let mut p: Vec<&str> = from.split('/').collect();
        p.pop();
        p
    };
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    let mut out = parts.join("/");
    if target.ends_with('/') && !out.is_empty() {
        out.push('/');
    }
    Some(out)
}

/// The page a docs path names, trying what MkDocs' URLs leave out (`.md`, `index.md`).
fn find_page(site: &Site, path: &str) -> Option<String> {
    let path = path.trim_start_matches('/');
    let base = path.trim_end_matches('/');
    let stem = base.strip_suffix(".html").unwrap_or(base);
    let candidates = [
        path.to_string(),
        format!("{stem}.md"),
        format!("{stem}/index.md"),
        format!("{stem}/README.md"),
        if stem.is_empty() {
            "index.md".to_string()
        } else {
            String::new()
        },
        if stem.is_empty() {
            "README.md".to_string()
        } else {
            String::new()
        },
    ];
    candidates
        .into_iter()
        .find(|c| !c.is_empty() && site.page(c).is_some())
}

/// Opens a page, remembering where the user was.
fn navigate(model: &mut Model, service: &str, path: &str, anchor: Option<&str>) -> Vec<Effect> {
    let here = model.docs.open.as_ref().map(|o| Place {
        service: o.service.clone(),
        path: o.path.clone(),
        scroll: o.scroll,
    });
    if !show(model, service, path, anchor) {
        notify(
            model,
            Level::Warning,
            format!("{path}: not found in the docs of {service}"),
        );
        return vec![Effect::Render];
    }
    if let Some(here) = here {
        push_bounded(&mut model.docs.back, here);
        model.docs.forward.clear();
    }
    if let Some(anchor) = anchor
        && model
            .docs
            .open
            .as_ref()
            .is_some_and(|o| o.layout.anchor_line(&o.doc, anchor).is_none())
    {
        notify(
            model,
            Level::Info,
            format!("#{anchor} is not a heading of this page; showing its top"),
        );
    }
    vec![Effect::Render]
}

fn push_bounded(stack: &mut Vec<Place>, place: Place) {
    stack.push(place);
    if stack.len() > HISTORY {
        stack.remove(0);
    }
}

/// Moves the tree's cursor to the page shown, so the tree says where the user is.
fn follow_in_tree(model: &mut Model, service: &str, path: &str) {
    let Some(site) = model.docs.sites.iter().position(|s| s.service == service) else {
        return;
    };
    let sites = &model.docs.sites;
    let at = model.docs.rows.iter().position(|r| match r {
        NavRow::Entry { site: s, entry } => {
            *s == site
                && matches!(sites[site].nav.get(*entry).map(|e| &e.target), Some(NavTarget::Page(p)) if p == path)
        }
        NavRow::Hit { site: s, page, .. } => *s == site && sites[site].pages.get(*page).is_some_and(|p| p.path == path),
        NavRow::Site { .. } => false,
    });
    if let Some(at) = at {
        let (len, height) = (model.docs.rows.len(), model.list_height);
        let list = model.list_mut(Screen::Docs);
        list.cursor = list.cursor.to(at, len, height);
    }
}

/// Puts a page in the viewer, parsed and laid out for the current width, at `anchor`.
fn show(model: &mut Model, service: &str, path: &str, anchor: Option<&str>) -> bool {
    let Some(page) = model.docs.site(service).and_then(|s| s.page(path)) else {
        return false;
    };
    let doc = markdown::parse(&page.markdown);
    let layout = markdown::layout(&doc, page_width(model.size));
    let scroll = anchor
        .and_then(|a| layout.anchor_line(&doc, a))
        .unwrap_or(0);
    let mut open = OpenPage {
        service: service.to_string(),
        path: path.to_string(),
        file: page.file.clone(),
        title: page.title.clone(),
        doc,
        layout,
        scroll: 0,
        link: None,
    };
    open.scroll = scroll.min(max_anchor_scroll(&open));
    model
        .docs
        .opened
        .insert((service.to_string(), path.to_string()));
    follow_in_tree(model, service, path);
    model.docs.open = Some(open);
    model.docs.focus = Focus::Page;
    let query_kept = !model.docs.search.input.is_empty();
    model.docs.search.typing = false;
    if query_kept {
        research(model);
    }
    true
}

fn go_back(model: &mut Model) -> Vec<Effect> {
    let Some(place) = model.docs.back.pop() else {
        notify(model, Level::Info, "no page to go back to");
        return vec![Effect::Render];
    };
    if let Some(o) = &model.docs.open {
        let here = Place {
            service: o.service.clone(),
            path: o.path.clone(),
            scroll: o.scroll,
        };
        push_bounded(&mut model.docs.forward, here);
    }
    restore(model, place)
}

fn go_forward(model: &mut Model) -> Vec<Effect> {
    let Some(place) = model.docs.forward.pop() else {
        notify(model, Level::Info, "no page to go forward to");
        return vec![Effect::Render];
    };
    if let Some(o) = &model.docs.open {
        let here = Place {
            service: o.service.clone(),
            path: o.path.clone(),
            scroll: o.scroll,
        };
        push_bounded(&mut model.docs.back, here);
    }
    restore(model, place)
}

fn restore(model: &mut Model, place: Place) -> Vec<Effect> {
    let same = model
        .docs
        .open
        .as_ref()
        .is_some_and(|o| o.service == place.service && o.path == place.path);
    if !same && !show(model, &place.service, &place.path, None) {
        notify(
            model,
            Level::Warning,
            format!("{} is gone from the docs", place.path),
        );
        return vec![Effect::Render];
    }
    if let Some(o) = &mut model.docs.open {
        o.scroll = place.scroll.min(max_anchor_scroll(o));
        o.link = None;
    }
    vec![Effect::Render]
}

/// The terminal changed size: lay the open page out again for the new width, keeping the
/// same source line at the top.
pub(crate) fn resized(model: &mut Model) {
    let width = page_width(model.size);
    let Some(open) = &mut model.docs.open else {
        return;
    };
    if open.layout.width == width {
        open.scroll = open.scroll.min(max_anchor_scroll(open));
        return;
    }
    let top = open
        .layout
        .lines
        .get(open.scroll)
        .map_or(0, |l| l.source_line);
    open.layout = markdown::layout(&open.doc, width);
    open.scroll = open
        .layout
        .lines
        .iter()
        .position(|l| l.source_line >= top)
        .unwrap_or(0);
    open.scroll = open.scroll.min(max_anchor_scroll(open));
    if !model.docs.search.input.is_empty() {
        research(model);
    }
}

/// Entries this screen adds to the `:` palette: every page's title and every heading.
pub fn palette_items(model: &Model, items: &mut Vec<PaletteItem>) {
    for site in &model.docs.sites {
        for page in &site.pages {
            items.push(PaletteItem {
                label: format!("{} › {}", site.name, page.title),
                kind: "doc",
                target: PaletteTarget::Row {
                    screen: Screen::Docs,
                    key: palette_key(&site.service, &page.path, None),
                },
            });
            for h in page
                .headings
                .iter()
                .filter(|h| h.level > 1 || h.text != page.title)
            {
                items.push(PaletteItem {
                    label: format!("{} › {} › {}", site.name, page.title, h.text),
                    kind: "heading",
                    target: PaletteTarget::Row {
                        screen: Screen::Docs,
                        key: palette_key(&site.service, &page.path, Some(&h.anchor)),
                    },
                });
            }
        }
    }
}

fn palette_key(service: &str, path: &str, anchor: Option<&str>) -> String {
    format!("{service}{KEY_SEP}{path}{KEY_SEP}{}", anchor.unwrap_or(""))
}

/// A palette entry of this screen was chosen: open its page at its heading.
pub(crate) fn open_key(model: &mut Model, key: &str) -> Vec<Effect> {
    let mut parts = key.splitn(3, KEY_SEP);
    let (Some(service), Some(path), anchor) = (parts.next(), parts.next(), parts.next()) else {
        return vec![Effect::Render];
    };
    let anchor = anchor.filter(|a| !a.is_empty());
    model.screen = Screen::Docs;
    navigate(model, service, path, anchor)
}

/// Opens the page a runbook URL points at, at its anchor, on the Docs screen. The URL may be
/// relative to the service's docs (`runbooks/crash-looping.md#first-five-minutes`), under the
/// site's `site_url`, or any URL whose path has the service's name followed by the page's path
/// in its docs. `None` when it does not lead into the service's docs.
pub fn open_runbook(model: &mut Model, service_ref: &str, url: &str) -> Option<Vec<Effect>> {
    let site = model
        .docs
        .sites
        .iter()
        .find(|s| s.service == service_ref)
        .or_else(|| model.docs.sites.iter().find(|s| s.name == service_ref))?;
    let (path, anchor) = split_anchor(url.trim());
    let path = path.split('?').next().unwrap_or(path);
    let in_docs = if let Some((_, rest)) = path.split_once("://") {
        let url_path = rest.find('/').map_or("", |i| &rest[i..]);
        match &site.site_url {
            Some(base) if path.starts_with(base.trim_end_matches('/')) => {
                path[base.trim_end_matches('/').len()..].to_string()
            }
            _ => {
                let segs: Vec<&str> = url_path.split('/').collect();
                let at = segs.iter().rposition(|s| *s == site.name)?;
                segs[at + 1..].join("/")
            }
        }
    } else {
        path.to_string()
    };
    let page = find_page(site, &resolve_relative("", &in_docs)?)?;
    let service = site.service.clone();
    model.screen = Screen::Docs;
    Some(navigate(model, &service, &page, anchor))
}
