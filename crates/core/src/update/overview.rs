//! The catalog's part of `update` and the Overview and Service screens: merges what the catalog
//! providers send, tells the other providers what to watch, and keeps the joined rows (sorted,
//! grouped, filtered) cached in the model so `view` and `status` only read them.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use crate::keymap::{Action, Key};
use crate::model::catalog::{
    Batch, Entity, Kind, RelationKind, Touched, annotations, cmp_ignore_case, short_ref, target_of,
};
use crate::model::join::{PodSummary, RunState, ServiceTarget};
use crate::model::overview::{Cell, Grouping, Health, Line, Related, ServicePage, ServiceRow, Why};
use crate::model::{FetchState, Level, Model, PaletteItem, PaletteTarget, Screen, SourceKind};

use super::feedback::{UrlUse, notify, url_effect};
use crate::message::{Effect, External};

// The providers still name these through `update`; the rest of the code imports `message`.
pub use crate::message::catalog::{Command, Msg};

pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Loaded {
            origin,
            entities,
            problems,
            at,
        } => {
            let batch = Batch {
                entities,
                problems,
                fetched_at: at,
            };
            let me = model.me.clone();
            let (touched, old) = model.catalog.replace(origin, batch, me.as_deref());
            // Tens of thousands of entities are freed off the loop.
            let discard = old.map(|b| Effect::Discard(crate::message::Discard::new(b)));
            let mut effects = match touched {
                // A catalog restored from the snapshot was never announced in this run.
                Touched::Nothing => {
                    let mut effects = announce(model);
                    effects.extend(discard);
                    return effects;
                }
                Touched::All => {
                    rejoin(model);
                    announce(model)
                }
                Touched::Some(refs) => {
                    rejoin_some(model, &refs);
                    announce_some(model, &refs)
                }
            };
            effects.extend(discard);
            effects.push(Effect::Render);
            effects
        }
        Msg::GitEmail(email) => {
            if model.catalog.git_email == email {
                return vec![];
            }
            model.catalog.git_email = email;
            model.catalog.rebuild(model.me.as_deref());
            rejoin(model);
            vec![Effect::Render]
        }
    }
}

/// `Effect::Targets` when what the providers should watch differs from what they were told.
fn announce(model: &mut Model) -> Vec<Effect> {
    let targets = model.catalog.targets();
    if model.catalog.announced.as_deref() == Some(&targets) {
        return vec![];
    }
    // One copy, shared by what was announced and the effect that announces it.
    let targets = std::sync::Arc::new(targets);
    model.catalog.announced = Some(std::sync::Arc::clone(&targets));
    vec![Effect::Targets(targets)]
}

/// [`announce`] after only the entities `refs` changed: their targets are put in place in
/// what was announced, and the providers hear again only when a join key moved.
fn announce_some(model: &mut Model, refs: &std::collections::BTreeSet<String>) -> Vec<Effect> {
    let catalog = &model.catalog;
    let Some(announced) = catalog.announced.as_ref() else {
        return announce(model);
    };
    let mut targets = Vec::new();
    for r in refs {
        let Some(e) = catalog.get(r).filter(|e| e.kind == Kind::Component) else {
            continue;
        };
        let t = target_of(e);
        match announced.iter().position(|a| a.service == t.service) {
            Some(i) if announced.get(i) == Some(&t) => {}
            Some(i) => targets.push((i, t)),
            None => return announce(model),
        }
    }
    if targets.is_empty() {
        return vec![];
    }
    let Some(announced) = model.catalog.announced.as_mut() else {
        return vec![];
    };
    // Copied only when a provider still holds the list announced before.
    let list = std::sync::Arc::make_mut(announced);
    for (i, t) in targets {
        if let Some(slot) = list.get_mut(i) {
            *slot = t;
        }
    }
    vec![Effect::Targets(std::sync::Arc::clone(announced))]
}

/// Rows in the screen's list now.
pub(crate) fn row_count(model: &Model) -> usize {
    model.catalog.overview.lines.len()
}

/// The Overview has no text input of its own (the `/` filter is the shared one).
pub(crate) fn on_key(_model: &mut Model, _key: &Key) -> Option<Vec<Effect>> {
    None
}

/// Handles an action on this screen; `None` leaves it to the global keys.
pub(crate) fn on_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    if model.catalog.overview.problems_open {
        return on_problems_action(model, action);
    }
    if model.catalog.overview.page.is_some() {
        return on_page_action(model, action);
    }
    match action {
        Action::Open => {
            let cursor = model.list(Screen::Overview).cursor.selected;
            let service = model
                .catalog
                .overview
                .row_at(cursor)
                .map(|r| r.service.clone());
            Some(match service {
                Some(s) => open_service(model, &s),
                None => vec![],
            })
        }
        Action::ToggleGroup => {
            let ov = &mut model.catalog.overview;
            ov.grouping = ov.grouping.next();
            Some(relist(model))
        }
        Action::ToggleMine => {
            if model.catalog.identity.is_none() && !model.catalog.overview.mine {
                notify(
                    model,
                    Level::Warning,
                    "who you are is unknown: set [general] me = \"user:default/<you>\", or a git user.email that a User's profile.email has",
                );
                return Some(vec![Effect::Render]);
            }
            model.catalog.overview.mine = !model.catalog.overview.mine;
            Some(relist(model))
        }
        Action::Copy => {
            let cursor = model.list(Screen::Overview).cursor.selected;
            let service = model
                .catalog
                .overview
                .row_at(cursor)
                .map(|r| r.service.clone())?;
            notify(model, Level::Info, format!("copied {service}"));
            Some(vec![Effect::Copy(service), Effect::Render])
        }
        _ => {
            let service = selected_service(model)?;
            service_action(model, &service, action)
        }
    }
}

/// An item action on the Overview's selected service: done when it has a meaning for a
/// service, otherwise the user is told what it needs, never "nothing selected" beside a
/// highlighted row.
fn service_action(model: &mut Model, service: &str, action: Action) -> Option<Vec<Effect>> {
    let entity = model.catalog.services().find(|e| e.entity_ref == service);
    let name = entity.map_or(service, |e| e.display_name()).to_string();
    let needs = match action {
        Action::Describe => return Some(open_service(model, service)),
        Action::OpenUrl => {
            let url = entity.and_then(|e| e.links.first()).map(|l| l.url.clone());
            return Some(match url {
                Some(url) => url_effect(model, UrlUse::Open, &url),
                None => {
                    notify(
                        model,
                        Level::Info,
                        format!("{name} has no links (metadata.links)"),
                    );
                    vec![Effect::Render]
                }
            });
        }
        Action::Edit => {
            let place = entity.and_then(|e| match &e.origin {
                crate::model::catalog::EntityOrigin::File { place, .. } => Some(place.clone()),
                _ => None,
            });
            return Some(match place {
                Some(p) => vec![Effect::External(External::Editor {
                    path: p.path.to_string(),
                    line: Some(p.line as usize),
                })],
                None => {
                    notify(
                        model,
                        Level::Info,
                        format!(
                            "{name} has no descriptor file to edit (it came from the Backstage API or the config)"
                        ),
                    );
                    vec![Effect::Render]
                }
            });
        }
        Action::Logs | Action::Events => ("a pod or a workload", Screen::Workloads),
        Action::Silence | Action::Acknowledge => ("an alert", Screen::Alerts),
        Action::RerunFailed | Action::Rerun | Action::Cancel => ("a run", Screen::Pipelines),
        _ => return None,
    };
    let (what, screen) = needs;
    notify(
        model,
        Level::Info,
        format!(
            "{}: needs {what}; open {name} (enter), then its {}",
            action.description(),
            screen.title()
        ),
    );
    Some(vec![Effect::Render])
}

/// On the Service screen, a screen's key (2-5) opens that screen filtered to the service. This
/// says which and with what; the key router carries it out, as it alone reaches every screen's
/// filter.
pub(crate) fn filtered_jump(model: &Model, action: Action) -> Option<(Screen, String)> {
    let ov = &model.catalog.overview;
    if model.screen != Screen::Overview || ov.problems_open {
        return None;
    }
    let page = ov.page.as_ref()?;
    let screen = match action {
        Action::ScreenPipelines => Screen::Pipelines,
        Action::ScreenWorkloads => Screen::Workloads,
        Action::ScreenAlerts => Screen::Alerts,
        Action::ScreenDocs => Screen::Docs,
        _ => return None,
    };
    Some((screen, page.title.clone()))
}

/// Keys while the Service screen is open.
fn on_page_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    let page = model.catalog.overview.page.as_ref()?;
    let related: Vec<&Related> = page.depends_on.iter().chain(&page.dependency_of).collect();
    let count = related.len();
    let selected = related
        .get(model.catalog.overview.related_cursor)
        .map(|r| (r.entity_ref.clone(), r.service));
    let service = page.service.clone();
    let first_link = page.links.first().map(|(_, url)| url.clone());
    let ov = &mut model.catalog.overview;
    match action {
        Action::Back => {
            match ov.back.pop() {
                Some(previous) => {
                    ov.page = None;
                    return Some(show_page(model, &previous, false));
                }
                None => {
                    ov.page = None;
                    ov.related_cursor = 0;
                }
            }
            Some(vec![Effect::Render])
        }
        Action::Down | Action::Up | Action::Top | Action::Bottom => {
            let before = ov.related_cursor;
            ov.related_cursor = match action {
                Action::Down => (before + 1).min(count.saturating_sub(1)),
                Action::Up => before.saturating_sub(1),
                Action::Top => 0,
                _ => count.saturating_sub(1),
            };
            Some(if ov.related_cursor == before {
                vec![]
            } else {
                vec![Effect::Render]
            })
        }
        Action::Open => Some(match selected {
            Some((entity_ref, true)) => {
                model.catalog.overview.back.push(service);
                show_page(model, &entity_ref, false)
            }
            Some((entity_ref, false)) => {
                notify(
                    model,
                    Level::Info,
                    format!("{entity_ref} is not a service in the catalog"),
                );
                vec![Effect::Render]
            }
            None => vec![],
        }),
        Action::ChartRange => {
            if !model.signals.enabled {
                notify(
                    model,
                    Level::Info,
                    "no charts without a Prometheus: add a [[prometheus]] to the config",
                );
                return Some(vec![Effect::Render]);
            }
            model.signals.range = model.signals.range.next();
            Some(vec![Effect::Render])
        }
        Action::Copy => {
            notify(model, Level::Info, format!("copied {service}"));
            Some(vec![Effect::Copy(service), Effect::Render])
        }
        Action::OpenUrl => Some(match first_link {
            Some(url) => url_effect(model, UrlUse::Open, &url),
            None => {
                notify(
                    model,
                    Level::Info,
                    "this service has no links (metadata.links)",
                );
                vec![Effect::Render]
            }
        }),
        // The list's own keys make no sense under the Service screen.
        Action::Filter
        | Action::ToggleGroup
        | Action::ToggleMine
        | Action::PageDown
        | Action::PageUp => Some(vec![]),
        _ => None,
    }
}

/// Keys while the Problems view is open.
fn on_problems_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    let len = model.catalog.problems.len();
    let height = model.list_height;
    let ov = &mut model.catalog.overview;
    let before = ov.problems_cursor;
    let moved = match action {
        Action::Back => {
            ov.problems_open = false;
            return Some(vec![Effect::Render]);
        }
        Action::Down => before.moved(1, len, height),
        Action::Up => before.moved(-1, len, height),
        Action::PageDown => before.moved(height as isize, len, height),
        Action::PageUp => before.moved(-(height as isize), len, height),
        Action::Top => before.to(0, len, height),
        Action::Bottom => before.to(usize::MAX, len, height),
        Action::Open | Action::Edit => {
            let place = model
                .catalog
                .problems
                .get(before.selected)
                .and_then(|p| p.place.clone());
            return Some(match place {
                Some(p) => vec![External::Editor {
                    path: p.path.to_string(),
                    line: Some(p.line as usize),
                }]
                .into_iter()
                .map(Effect::External)
                .collect(),
                None => {
                    notify(
                        model,
                        Level::Info,
                        "this problem has no file (it came from the Backstage API)",
                    );
                    vec![Effect::Render]
                }
            });
        }
        Action::Filter | Action::ToggleGroup | Action::ToggleMine => return Some(vec![]),
        _ => return None,
    };
    ov.problems_cursor = moved;
    Some(if moved == before {
        vec![]
    } else {
        vec![Effect::Render]
    })
}

/// Opens the Service screen of `service` from anywhere (the palette, Enter on a row).
pub fn open_service(model: &mut Model, service: &str) -> Vec<Effect> {
    model.catalog.overview.back.clear();
    show_page(model, service, true)
}

fn show_page(model: &mut Model, service: &str, from_outside: bool) -> Vec<Effect> {
    model.screen = Screen::Overview;
    model.catalog.overview.problems_open = false;
    match build_page(model, service) {
        Some(page) => {
            model.catalog.overview.page = Some(page);
            model.catalog.overview.related_cursor = 0;
            if from_outside {
                select_service(model, service);
            }
        }
        None => notify(
            model,
            Level::Warning,
            format!("{service} is not in the catalog"),
        ),
    }
    vec![Effect::Render]
}

/// A palette entry that names a row of the Overview (`problems` is the Problems view).
pub(crate) fn open_row(model: &mut Model, key: &str) -> Vec<Effect> {
    model.screen = Screen::Overview;
    if key == PROBLEMS_KEY {
        model.catalog.overview.page = None;
        model.catalog.overview.problems_open = true;
        model.catalog.overview.problems_cursor = Default::default();
    }
    vec![Effect::Render]
}

const PROBLEMS_KEY: &str = "problems";

/// Recomputes the visible lines after the filter changed.
pub fn refilter(model: &mut Model) {
    let filter = Filter::parse(model.list(Screen::Overview).filter.text());
    let ov = &model.catalog.overview;
    let visible: Vec<usize> = ov
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| (!ov.mine || r.mine) && filter.matches(r))
        .map(|(i, _)| i)
        .collect();
    let shown = visible.len();
    let lines = match ov.grouping {
        Grouping::None => visible.into_iter().map(Line::Service).collect(),
        g => group(&ov.rows, visible, g),
    };
    let ov = &mut model.catalog.overview;
    ov.lines = lines;
    ov.shown = shown;
}

/// Rows under group headers; groups ordered by their most urgent service, then label.
fn group(rows: &[ServiceRow], visible: Vec<usize>, g: Grouping) -> Vec<Line> {
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for i in visible {
        let r = &rows[i];
        let key = match g {
            Grouping::System => r.system.as_str(),
            _ => r.owner.as_str(),
        };
        groups.entry(key).or_default().push(i);
    }
    let mut ordered: Vec<(Health, &str, Vec<usize>)> = groups
        .into_iter()
        .map(|(k, v)| {
            (
                v.iter()
                    .map(|i| rows[*i].health)
                    .min()
                    .unwrap_or(Health::Unknown),
                k,
                v,
            )
        })
        .collect();
    ordered.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
    let mut lines = Vec::new();
    for (worst, label, members) in ordered {
        let label = if label.is_empty() {
            match g {
                Grouping::System => "(no system)".to_string(),
                _ => "(no owner)".to_string(),
            }
        } else {
            label.to_string()
        };
        lines.push(Line::Group {
            label,
            count: members.len(),
            worst,
        });
        lines.extend(members.into_iter().map(Line::Service));
    }
    lines
}

/// Mine or grouping changed: the lines change, the selected service stays selected.
fn relist(model: &mut Model) -> Vec<Effect> {
    let selected = selected_service(model);
    refilter(model);
    keep_selection(model, selected.as_deref());
    vec![Effect::Render]
}

fn selected_service(model: &Model) -> Option<String> {
    let cursor = model.list(Screen::Overview).cursor.selected;
    model
        .catalog
        .overview
        .row_at(cursor)
        .map(|r| r.service.clone())
}

fn keep_selection(model: &mut Model, service: Option<&str>) {
    let ov = &model.catalog.overview;
    let rows = ov.lines.len();
    let index = service.and_then(|s| {
        ov.lines.iter().position(
            |l| matches!(l, Line::Service(i) if ov.rows.get(*i).is_some_and(|r| r.service == s)),
        )
    });
    let height = model.list_height;
    model
        .list_mut(Screen::Overview)
        .reselect(index, rows, height);
}

fn select_service(model: &mut Model, service: &str) {
    select_key(model, service);
}

/// The selected service, to find it again after a jump away and back.
pub(crate) fn selected_key(model: &Model) -> Option<String> {
    selected_service(model)
}

/// Selects the row of `service`; false when it is not listed.
pub(crate) fn select_key(model: &mut Model, service: &str) -> bool {
    let ov = &model.catalog.overview;
    let index = ov.lines.iter().position(
        |l| matches!(l, Line::Service(i) if ov.rows.get(*i).is_some_and(|r| r.service == service)),
    );
    let (rows, height) = (ov.lines.len(), model.list_height);
    match index {
        Some(i) => {
            model.list_mut(Screen::Overview).choose(i, rows, height);
            true
        }
        None => false,
    }
}

/// Entries this screen adds to the `:` palette: every service, and the Problems view.
pub fn palette_items(model: &Model, items: &mut Vec<PaletteItem>) {
    let problems = model.catalog.problems.len();
    if problems > 0 || !model.catalog.entities.is_empty() {
        items.push(PaletteItem {
            label: format!("Catalog problems ({problems})"),
            kind: "command",
            target: PaletteTarget::Row {
                screen: Screen::Overview,
                key: PROBLEMS_KEY.into(),
            },
        });
    }
    for e in model.catalog.services() {
        items.push(PaletteItem {
            label: e.name.clone(),
            kind: "service",
            target: PaletteTarget::Service(e.entity_ref.clone()),
        });
    }
}

/// The `/` filter: free words match name, owner, system or lifecycle; `owner:x`, `system:y`,
/// `lifecycle:z` and `name:n` match that field. Every term must match.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Filter {
    words: Vec<String>,
    fields: Vec<(Field, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Owner,
    System,
    Lifecycle,
}

impl Filter {
    pub fn parse(text: &str) -> Filter {
        let mut f = Filter::default();
        for term in text.split_whitespace() {
            let term = term.to_lowercase();
            let field = term.split_once(':').and_then(|(k, v)| {
                let field = match k {
                    "name" => Field::Name,
                    "owner" => Field::Owner,
                    "system" => Field::System,
                    "lifecycle" => Field::Lifecycle,
                    _ => return None,
                };
                Some((field, v.to_string()))
            });
            match field {
                Some((_, v)) if v.is_empty() => {}
                Some(fv) => f.fields.push(fv),
                None => f.words.push(term),
            }
        }
        f
    }

    pub fn matches(&self, r: &ServiceRow) -> bool {
        self.words.iter().all(|w| r.haystack.contains(w.as_str()))
            && self.fields.iter().all(|(field, v)| {
                let hay = match field {
                    Field::Name => &r.name,
                    Field::Owner => r.owner_ref.as_ref().unwrap_or(&r.owner),
                    Field::System => &r.system,
                    Field::Lifecycle => &r.lifecycle,
                };
                contains_lower(hay, v)
            })
    }
}

fn contains_lower(hay: &str, needle: &str) -> bool {
    if hay.is_ascii() {
        hay.as_bytes()
            .windows(needle.len().max(1))
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
            || needle.is_empty()
    } else {
        hay.to_lowercase().contains(needle)
    }
}

/// Joins every service with what each domain says about it, sorts by attention, and
/// refreshes the list and the open Service screen. Called whenever the catalog, a summary
/// source or a source's state changes.
pub fn rejoin(model: &mut Model) {
    let selected = selected_service(model);
    // Sized to the services: grown by doubling, 20,000 rows of about 600 bytes held a
    // 32,768-row buffer (8 MB of it empty).
    let mut rows: Vec<ServiceRow> = Vec::with_capacity(model.catalog.components.len());
    rows.extend(model.catalog.services().map(|e| join_row(model, e)));
    sort_rows(&mut rows);
    model.catalog.overview.rows = rows;
    rows_changed(model, selected);
}

/// [`rejoin`] after a change that moved only the services `refs` (catalog entities edited, or
/// their pods' or alerts' summary moved): their rows are joined again and put back in order,
/// the rest stay as they were.
pub fn rejoin_some(model: &mut Model, refs: &std::collections::BTreeSet<String>) {
    // Most of the services: joining them all is no dearer, and sorts once from scratch.
    if refs.len() * 2 > model.catalog.overview.rows.len() {
        return rejoin(model);
    }
    let selected = selected_service(model);
    let fresh: Vec<ServiceRow> = refs
        .iter()
        .filter_map(|r| model.catalog.get(r))
        .filter(|e| e.kind == Kind::Component)
        .map(|e| join_row(model, e))
        .collect();
    let rows = &mut model.catalog.overview.rows;
    // Where each fresh row goes: a scan for a few, an index for more (100 rows of 20,000
    // looked up by a scan each cost as much as joining them all).
    let at: Vec<Option<usize>> = if fresh.len() <= 4 {
        fresh
            .iter()
            .map(|f| rows.iter().position(|r| r.service == f.service))
            .collect()
    } else {
        let index: HashMap<&str, usize> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.service.as_str(), i))
            .collect();
        fresh
            .iter()
            .map(|f| index.get(f.service.as_str()).copied())
            .collect()
    };
    let mut placed: Vec<usize> = Vec::with_capacity(fresh.len());
    let mut pushed = false;
    for (row, at) in fresh.into_iter().zip(at) {
        match at.and_then(|i| rows.get_mut(i).map(|slot| (i, slot))) {
            Some((i, slot)) => {
                *slot = row;
                placed.push(i);
            }
            None => {
                rows.push(row);
                pushed = true;
            }
        }
    }
    // Rows that kept their health and name stay between their neighbours, and the list in
    // order: most changes (a newer run, a pod count) move none, and sorting 20,000 rows
    // costs more than the rest of the join. One row out of place moves to where it belongs
    // among the others, which are in order; a few are taken out and put back each where it
    // belongs; more are sorted, the list nearly in order.
    match placed[..] {
        _ if pushed => sort_rows(rows),
        [i] if !in_order_at(rows, i) => move_into_place(rows, i),
        _ if placed.iter().all(|&i| in_order_at(rows, i)) => {}
        _ if placed.len() <= REINSERT_AT_MOST => reinsert(rows, placed),
        _ => sort_rows(rows),
    }
    rows_changed(model, selected);
}

/// How many rows joined again are put back one by one rather than sorted with the rest.
const REINSERT_AT_MOST: usize = 16;

/// Takes the rows at `placed` out (the others, untouched, are in order) and puts each back
/// where it belongs.
fn reinsert(rows: &mut Vec<ServiceRow>, mut placed: Vec<usize>) {
    placed.sort_unstable();
    placed.dedup();
    let mut taken: Vec<ServiceRow> = Vec::with_capacity(placed.len());
    for &i in placed.iter().rev() {
        if i < rows.len() {
            taken.push(rows.remove(i));
        }
    }
    for row in taken {
        let at = rows.partition_point(|r| row_order(r, &row).is_le());
        rows.insert(at, row);
    }
}

/// Moves the row at `i` to its place among the others, which are in order.
fn move_into_place(rows: &mut [ServiceRow], i: usize) {
    let (earlier, rest) = rows.split_at(i);
    let Some((row, later)) = rest.split_first() else {
        return;
    };
    let before = earlier.partition_point(|r| row_order(r, row).is_le());
    let after = later.partition_point(|r| row_order(r, row).is_lt());
    if before < i {
        rows[before..=i].rotate_right(1);
    } else if after > 0 {
        rows[i..=i + after].rotate_left(1);
    }
}

/// Whether the row at `i` is in order with the rows beside it.
fn in_order_at(rows: &[ServiceRow], i: usize) -> bool {
    let Some(row) = rows.get(i) else {
        return false;
    };
    let before = i.checked_sub(1).and_then(|p| rows.get(p));
    before.is_none_or(|b| row_order(b, row).is_le())
        && rows.get(i + 1).is_none_or(|a| row_order(row, a).is_le())
}

/// The catalog services that `keys` name: a key is a service's ref, or a name that every
/// service of that name answers to (what alerts fall back to when a label names no ref).
pub(crate) fn refs_of(model: &Model, keys: &[String]) -> std::collections::BTreeSet<String> {
    let mut refs = std::collections::BTreeSet::new();
    let mut names: Vec<&str> = Vec::new();
    for key in keys {
        if model.catalog.get(key).is_some() {
            refs.insert(key.clone());
        } else {
            names.push(key);
        }
    }
    if !names.is_empty() {
        refs.extend(
            model
                .catalog
                .services()
                // As `alert_summary` falls back: the name part of the (lower-case) ref.
                .filter(|e| {
                    e.entity_ref
                        .rsplit_once('/')
                        .is_some_and(|(_, name)| names.contains(&name))
                })
                .map(|e| e.entity_ref.clone()),
        );
    }
    refs
}

/// The list, the selection, the open Service screen and the problems cursor after the rows
/// changed.
fn rows_changed(model: &mut Model, selected: Option<String>) {
    model.catalog.overview.joined_at = Some(model.now);
    refilter(model);
    keep_selection(model, selected.as_deref());
    refresh_page(model);
    let problems = model.catalog.problems.len();
    let height = model.list_height;
    let ov = &mut model.catalog.overview;
    ov.problems_cursor = ov
        .problems_cursor
        .to(ov.problems_cursor.selected, problems, height);
}

/// Most urgent first (critical, failing, warning, healthy, unknown), then by name.
pub fn sort_rows(rows: &mut [ServiceRow]) {
    rows.sort_by(row_order);
}

fn row_order(a: &ServiceRow, b: &ServiceRow) -> std::cmp::Ordering {
    a.health
        .cmp(&b.health)
        .then_with(|| cmp_ignore_case(&a.name, &b.name))
}

fn join_row(model: &Model, e: &Entity) -> ServiceRow {
    let t = target_of(e);
    let owner = e
        .spec
        .owner
        .as_deref()
        .map(|o| short_ref(o, "group"))
        .unwrap_or_default();
    let system = e
        .spec
        .system
        .as_deref()
        .map(|s| short_ref(s, "system"))
        .unwrap_or_default();
    let lifecycle = e.spec.lifecycle.clone().unwrap_or_default();
    let ci = ci_cell(model, &t);
    let deploy = deploy_cell(model, &t);
    let pods = pods_cell(model, &t);
    let alerts = alerts_cell(model, &t);
    let docs = docs_cell(model, e, &t);
    let health = health(&ci, &deploy, &pods, &alerts);
    let haystack = format!("{} {} {} {}", e.name, owner, system, lifecycle).to_lowercase();
    ServiceRow {
        service: e.entity_ref.clone(),
        name: e.name.clone(),
        mine: model.catalog.is_mine(e),
        owner_ref: e.spec.owner.clone(),
        owner,
        system,
        lifecycle,
        ci,
        deploy,
        pods,
        alerts,
        docs,
        health,
        haystack,
    }
}

/// The kinds of source whose state the rows' empty cells read ([`why_empty`]'s callers, and
/// the alerts cell's "answered"): a state change of another kind (the catalog's, docs') moves
/// no cell.
pub(crate) const READ_BY_ROWS: &[SourceKind] = &[
    SourceKind::Github,
    SourceKind::Gitlab,
    SourceKind::Kubernetes,
    SourceKind::Alertmanager,
];

/// Why a source of `kinds` has nothing for a service: not configured, connecting, failing,
/// unsupported, or answered with nothing (`nothing`).
fn why_empty(
    model: &Model,
    kinds: &[SourceKind],
    what: &'static str,
    nothing: Cow<'static, str>,
) -> Why {
    let sources: Vec<_> = model
        .sources
        .iter()
        .filter(|s| kinds.contains(&s.id.kind))
        .collect();
    if sources.is_empty() {
        return Why::NotConfigured(what);
    }
    if let Some(error) = sources.iter().find_map(|s| match &s.state {
        FetchState::Failing { error, .. } => Some(format!("{}: {error}", s.id.label())),
        _ => None,
    }) {
        return Why::Failing(error);
    }
    if sources.iter().any(|s| s.state == FetchState::Connecting) {
        return Why::Loading;
    }
    if sources.iter().all(|s| s.state == FetchState::Unsupported) {
        return Why::Unsupported;
    }
    Why::Nothing(nothing)
}

/// The explanations every service without a key shares (the annotation keys spelled out, as
/// [`annotations`] has them).
const NO_CI_KEY: &str = "no github.com/project-slug or gitlab.com/project-slug annotation";
const NO_KUBE_KEY: &str =
    "no backstage.io/kubernetes-id or backstage.io/kubernetes-label-selector annotation";
const NO_DOCS_KEY: &str =
    "no backstage.io/techdocs-ref annotation, and no docs/ or README.md beside the descriptor";

fn ci_kinds(t: &ServiceTarget) -> Result<&'static [SourceKind], Why> {
    match (&t.github, &t.gitlab) {
        (Some(_), _) => Ok(&[SourceKind::Github]),
        (None, Some(_)) => Ok(&[SourceKind::Gitlab]),
        (None, None) => Err(Why::NoKey(Cow::Borrowed(NO_CI_KEY))),
    }
}

fn ci_cell(model: &Model, t: &ServiceTarget) -> Cell<Box<crate::model::join::CiSummary>> {
    if let Some(s) = model.pipelines.ci_summary(&t.service) {
        return Cell::Value {
            value: Box::new(s.clone()),
            source: Some(s.source.clone()),
        };
    }
    match ci_kinds(t) {
        Ok(kinds) => Cell::Empty(why_empty(
            model,
            kinds,
            "CI source",
            Cow::Borrowed("no default-branch run yet"),
        )),
        Err(why) => Cell::Empty(why),
    }
}

fn deploy_cell(model: &Model, t: &ServiceTarget) -> Cell<Box<crate::model::join::DeploySummary>> {
    if let Some(s) = model.pipelines.deploy_summary(&t.service) {
        return Cell::Value {
            value: Box::new(s.clone()),
            source: Some(s.source.clone()),
        };
    }
    match ci_kinds(t) {
        Ok(kinds) => Cell::Empty(why_empty(
            model,
            kinds,
            "CI source",
            Cow::Borrowed("no deployment recorded"),
        )),
        Err(why) => Cell::Empty(why),
    }
}

fn pods_cell(model: &Model, t: &ServiceTarget) -> Cell<Box<PodSummary>> {
    let Some(k) = &t.kubernetes else {
        return Cell::Empty(Why::NoKey(Cow::Borrowed(NO_KUBE_KEY)));
    };
    if let Some(p) = model.workloads.pod_summary(&t.service) {
        return Cell::Value {
            value: Box::new(p.clone()),
            source: None,
        };
    }
    let where_ = k
        .namespace
        .as_deref()
        .map(|n| format!(" in {n}"))
        .unwrap_or_default();
    Cell::Empty(why_empty(
        model,
        &[SourceKind::Kubernetes],
        "Kubernetes",
        Cow::Owned(format!("no pods match {}{where_}", k.selector)),
    ))
}

fn alerts_cell(model: &Model, t: &ServiceTarget) -> Cell<crate::model::join::AlertSummary> {
    let summary = model.alerts.alert_summary(&t.service);
    let answered = model.sources.iter().any(|s| {
        s.id.kind == SourceKind::Alertmanager
            && (s.state == FetchState::Ok || s.fetched_at.is_some())
    });
    if summary.total() > 0 || answered {
        return Cell::Value {
            value: summary,
            source: None,
        };
    }
    Cell::Empty(why_empty(
        model,
        &[SourceKind::Alertmanager],
        "Alertmanager",
        Cow::Borrowed("no alerts"),
    ))
}

fn docs_cell(model: &Model, e: &Entity, t: &ServiceTarget) -> Cell<bool> {
    if model.docs.has_docs(&t.service) {
        return Cell::Value {
            value: true,
            source: None,
        };
    }
    match (&t.docs, e.annotation(annotations::TECHDOCS)) {
        (Some(dir), _) => Cell::Empty(Why::Nothing(Cow::Owned(format!(
            "docs at {} not read yet",
            dir.display()
        )))),
        (None, Some(r)) if r.trim_start().starts_with("url:") => {
            Cell::Empty(Why::NoKey(Cow::Owned(format!(
                "docs are remote ({} {r}); only dir: docs are read",
                annotations::TECHDOCS
            ))))
        }
        _ => Cell::Empty(Why::NoKey(Cow::Borrowed(NO_DOCS_KEY))),
    }
}

/// A service's health from its cells; see [`Health`] for the rules.
pub fn health(
    ci: &Cell<Box<crate::model::join::CiSummary>>,
    deploy: &Cell<Box<crate::model::join::DeploySummary>>,
    pods: &Cell<Box<PodSummary>>,
    alerts: &Cell<crate::model::join::AlertSummary>,
) -> Health {
    let a = alerts.value();
    let p = pods.value();
    let d = deploy.value();
    let production =
        |env: &str| env.eq_ignore_ascii_case("production") || env.eq_ignore_ascii_case("prod");
    let crash_looping = p.is_some_and(|p| {
        p.worst.as_deref() == Some("CrashLoopBackOff") || (p.total > 0 && p.ready == 0)
    });
    if a.is_some_and(|a| a.critical > 0)
        || d.is_some_and(|d| d.state == RunState::Failure && production(&d.environment))
        || crash_looping
    {
        return Health::Critical;
    }
    if ci.value().is_some_and(|c| c.state == RunState::Failure)
        || d.is_some_and(|d| d.state == RunState::Failure)
    {
        return Health::Failing;
    }
    if a.is_some_and(|a| a.warning > 0)
        || p.is_some_and(|p| p.ready < p.total || p.restarts_last_hour > 0)
    {
        return Health::Warning;
    }
    if ci.value().is_some() || d.is_some() || p.is_some() || a.is_some() {
        Health::Healthy
    } else {
        Health::Unknown
    }
}

/// Builds the open Service screen again, when one is open: after a join, and when a delivery
/// history (its time to production) arrives.
pub fn refresh_page(model: &mut Model) {
    let open = model
        .catalog
        .overview
        .page
        .as_ref()
        .map(|p| p.service.clone());
    if let Some(service) = open {
        let page = build_page(model, &service);
        let ov = &mut model.catalog.overview;
        if let Some(p) = &page {
            let related = p.depends_on.len() + p.dependency_of.len();
            ov.related_cursor = ov.related_cursor.min(related.saturating_sub(1));
        }
        ov.page = page;
    }
}

/// Builds the Service screen of `service` from the catalog and the joined rows.
fn build_page(model: &Model, service: &str) -> Option<ServicePage> {
    let catalog = &model.catalog;
    let e = catalog.get(service)?;
    let rows: HashMap<&str, (usize, Health)> = catalog
        .overview
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.service.as_str(), (i, r.health)))
        .collect();
    let related = |kind: RelationKind| -> Vec<Related> {
        catalog
            .related(service, kind)
            .map(|target| {
                let other = catalog.get(target);
                let is_service = other.is_some_and(|o| o.kind == Kind::Component);
                Related {
                    entity_ref: target.to_string(),
                    label: short_ref(target, "component"),
                    health: rows.get(target).map(|(_, h)| *h),
                    service: is_service,
                    missing: other.is_none(),
                }
            })
            .collect()
    };
    let members = e
        .spec
        .owner
        .as_deref()
        .map(|o| {
            catalog
                .members_of(o)
                .into_iter()
                .map(|m| {
                    m.spec
                        .profile
                        .as_ref()
                        .and_then(|p| p.display_name.clone())
                        .unwrap_or_else(|| m.name.clone())
                })
                .collect()
        })
        .unwrap_or_default();
    let requested = crate::model::create::requested_at(e);
    let t = target_of(e);
    let mut keys = Vec::new();
    if let Some(g) = &t.github {
        keys.push(("GitHub".to_string(), g.clone()));
    }
    if let Some(g) = &t.gitlab {
        keys.push(("GitLab".to_string(), g.clone()));
    }
    if let Some(k) = &t.kubernetes {
        let ns = k
            .namespace
            .as_deref()
            .map(|n| format!(" in {n}"))
            .unwrap_or_default();
        keys.push(("Kubernetes".to_string(), format!("{}{ns}", k.selector)));
    }
    if !t.alert_names.is_empty() {
        keys.push(("Alerts".to_string(), t.alert_names.join(", ")));
    }
    if let Some(d) = &t.docs {
        keys.push(("Docs".to_string(), d.display().to_string()));
    }
    let apis = catalog
        .related(service, RelationKind::ProvidesApi)
        .map(|a| format!("provides {}", short_ref(a, "api")))
        .chain(
            catalog
                .related(service, RelationKind::ConsumesApi)
                .map(|a| format!("consumes {}", short_ref(a, "api"))),
        )
        .collect();
    Some(ServicePage {
        service: service.to_string(),
        row: rows.get(service).map(|(i, _)| *i),
        title: e.name.clone(),
        description: e
            .description
            .as_deref()
            .map(|d| d.trim_end().lines().map(str::to_string).collect())
            .unwrap_or_default(),
        spec_type: e.spec.spec_type.clone().unwrap_or_default(),
        members,
        links: e
            .links
            .iter()
            .map(|l| {
                (
                    l.title.clone().unwrap_or_else(|| l.url.clone()),
                    l.url.clone(),
                )
            })
            .collect(),
        origin: e.origin.label(),
        depends_on: related(RelationKind::DependsOn),
        dependency_of: related(RelationKind::DependencyOf),
        apis,
        changes: model
            .pipelines
            .changes(service)
            .iter()
            .take(8)
            .cloned()
            .collect(),
        keys,
        markers: super::signals::markers(model, service, &e.name),
        template: e
            .annotations
            .get(crate::model::create::SOURCE_TEMPLATE)
            .cloned(),
        requested,
        to_production: requested.and_then(|r| to_production(model, service, r)),
    })
}

/// A template-made service's time from its request to its first healthy production deployment:
/// the delivery history's verdict when it holds the service, else the first successful
/// production deployment the pollers hold, else what the Create screen saw in this session.
fn to_production(
    model: &Model,
    service: &str,
    requested: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::Duration> {
    let history = model
        .delivery
        .histories
        .get(service)
        .and_then(|h| crate::model::create::golden::time_to_production(requested, &h.history))
        .map(chrono::Duration::seconds);
    let polled = || {
        model
            .pipelines
            .first_production_success(service, requested)
            .map(|at| at - requested)
    };
    let road = || {
        let run = model.create.run.as_ref()?;
        let at = run
            .road
            .iter()
            .find(|m| m.label == crate::model::create::screen::PRODUCTION_STAGE)?
            .reached?;
        (run.service.as_deref() == Some(service)).then(|| at - run.started.unwrap_or(at))
    };
    history.or_else(polled).or_else(road)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_terms_are_fields_or_words() {
        let f = Filter::parse("Owner:Team-A pay lifecycle: x:y");
        assert_eq!(f.fields, vec![(Field::Owner, "team-a".to_string())]);
        assert_eq!(f.words, vec!["pay".to_string(), "x:y".to_string()]);
    }

    #[test]
    fn the_shared_explanations_name_the_annotation_keys() {
        use annotations::*;
        assert_eq!(
            NO_CI_KEY,
            format!("no {GITHUB} or {GITLAB_SLUG} annotation")
        );
        assert_eq!(
            NO_KUBE_KEY,
            format!("no {KUBE_ID} or {KUBE_SELECTOR} annotation")
        );
        assert_eq!(
            NO_DOCS_KEY,
            format!("no {TECHDOCS} annotation, and no docs/ or README.md beside the descriptor")
        );
    }

    /// A row whose health moved goes to its place among the others, earlier or later, and
    /// so do two: the list is what sorting it whole makes.
    #[test]
    fn one_row_out_of_place_moves_to_where_a_sort_puts_it() {
        let row = |name: &str, health: Health| ServiceRow {
            service: format!("component:default/{name}"),
            name: name.into(),
            owner: String::new(),
            owner_ref: None,
            system: String::new(),
            lifecycle: String::new(),
            ci: Cell::Empty(Why::Loading),
            deploy: Cell::Empty(Why::Loading),
            pods: Cell::Empty(Why::Loading),
            alerts: Cell::Empty(Why::Loading),
            docs: Cell::Empty(Why::Loading),
            health,
            mine: false,
            haystack: name.into(),
        };
        let base: Vec<ServiceRow> = [
            ("a", Health::Critical),
            ("b", Health::Failing),
            ("c", Health::Warning),
            ("d", Health::Healthy),
            ("e", Health::Healthy),
            ("f", Health::Unknown),
        ]
        .into_iter()
        .map(|(n, h)| row(n, h))
        .collect();
        for at in 0..base.len() {
            for health in [
                Health::Critical,
                Health::Failing,
                Health::Warning,
                Health::Healthy,
                Health::Unknown,
            ] {
                let mut rows = base.clone();
                rows[at].health = health;
                let mut sorted = rows.clone();
                sort_rows(&mut sorted);
                if !in_order_at(&rows, at) {
                    move_into_place(&mut rows, at);
                }
                assert_eq!(rows, sorted, "row {at} becomes {health:?}");
                // With a second row changed too, both are put back where a sort puts them.
                for other in (0..base.len()).filter(|o| *o != at) {
                    let mut rows = base.clone();
                    rows[at].health = health;
                    rows[other].health = base[base.len() - 1 - other].health;
                    let mut sorted = rows.clone();
                    sort_rows(&mut sorted);
                    reinsert(&mut rows, vec![other, at]);
                    assert_eq!(
                        rows, sorted,
                        "row {at} becomes {health:?}, row {other} moves"
                    );
                }
            }
        }
    }

    #[test]
    fn a_key_names_a_service_by_ref_or_by_the_name_in_its_ref() {
        use crate::keymap::Keymap;
        use crate::model::catalog::{Kind, Origin, Spec, test_entity};
        let entity =
            |name: &str| std::sync::Arc::new(test_entity(Kind::Component, name, Spec::default()));
        let mut m = Model::new(Keymap::defaults(), chrono::DateTime::UNIX_EPOCH);
        update(
            &mut m,
            Msg::Loaded {
                origin: Origin::Files,
                entities: vec![entity("Payments-API"), entity("ledger")],
                problems: vec![],
                at: chrono::DateTime::UNIX_EPOCH,
            },
        );
        let keys = [
            "component:default/ledger".to_string(),
            "payments-api".to_string(),
            "ghost".to_string(),
        ];
        assert_eq!(
            refs_of(&m, &keys).into_iter().collect::<Vec<_>>(),
            ["component:default/ledger", "component:default/payments-api"],
            "a ref as itself, a name as the service whose ref ends in it, an unknown name as none"
        );
    }

    #[test]
    fn contains_ignores_ascii_case() {
        assert!(contains_lower("Team-Payments", "payments"));
        assert!(!contains_lower("team", "teams"));
        assert!(contains_lower("Müller-Team", "team"));
    }
}
