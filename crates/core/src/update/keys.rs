//! Where a keystroke goes: the open overlay first (help, palette), then a text input when it has
//! the keyboard, then the keymap's action in the current screen's layers, then the global one.
//! No screen matches raw keys outside its text inputs and dialogs, so `?` shows every key.

use crate::keymap::{Action, Key, Layer};
use crate::model::input::{Edit, InputKey};
use crate::model::palette::{PALETTE_ROWS, PaletteCommand};
use crate::model::{
    Level, Model, Overlay, Palette, PaletteItem, PaletteTarget, Screen, SourceKind,
};

use super::feedback::notify;
use super::{alerts, create, delivery, docs, onboarding, overview, pipelines, work, workloads};
use crate::message::Effect;

pub(super) fn on_key(model: &mut Model, key: Key) -> Vec<Effect> {
    match &model.overlay {
        Some(Overlay::Help { .. }) => return on_help_key(model, key),
        Some(Overlay::Palette(_)) => return on_palette_key(model, key),
        Some(Overlay::Confirm(_)) => return on_confirm_key(model, key),
        Some(Overlay::Tour { .. }) => {
            let (mut effects, passed_on) = onboarding::on_tour_key(model, &key);
            if passed_on {
                effects.extend(on_key(model, key));
            }
            return effects;
        }
        None => {}
    }
    if let Some(effects) = screen_key(model, &key) {
        return effects;
    }
    if model.list(model.screen).filtering {
        return on_filter_key(model, key);
    }
    let Some(action) = model.keymap.action_in(layers(model), &key) else {
        return vec![];
    };
    if let Some((screen, name)) =
        overview::filtered_jump(model, action).or_else(|| alerts::filtered_jump(model, action))
    {
        return open_filtered(model, screen, &name);
    }
    match screen_action(model, action) {
        Some(effects) => effects,
        None => on_action(model, action),
    }
}

/// Opens `screen` with its filter set to `name` (a panel of the Service screen, opened whole).
fn open_filtered(model: &mut Model, screen: Screen, name: &str) -> Vec<Effect> {
    let list = model.list_mut(screen);
    list.filter.clear();
    list.filter.apply(Edit::Paste(name.to_string()));
    list.filtering = false;
    refiltered(model, screen);
    if screen == Screen::Workloads {
        workloads::select_trouble(model);
    }
    model.screen = screen;
    vec![Effect::Render]
}

pub(super) fn on_paste(model: &mut Model, text: String) -> Vec<Effect> {
    if let Some(Overlay::Palette(p)) = &mut model.overlay {
        if p.input.apply(Edit::Paste(text)) {
            p.refilter();
        }
        return vec![Effect::Render];
    }
    let screen = model.screen;
    if screen == Screen::Work && work::on_paste(model, &text) {
        return vec![Effect::Render];
    }
    if screen == Screen::Create && create::on_paste(model, &text) {
        return vec![Effect::Render];
    }
    let list = model.list_mut(screen);
    if list.filtering {
        list.filter.apply(Edit::Paste(text));
        return refiltered(model, screen);
    }
    vec![]
}

fn on_action(model: &mut Model, action: Action) -> Vec<Effect> {
    let screen = model.screen;
    let height = model.list_height;
    let rows = row_count(model, screen);
    let move_to = |model: &mut Model, f: &dyn Fn(crate::model::Cursor) -> crate::model::Cursor| {
        let list = model.list_mut(screen);
        // Even a move that stays (`k` on the top row) says the user chose this row.
        list.chosen = true;
        let moved = f(list.cursor);
        if moved == list.cursor {
            vec![]
        } else {
            list.cursor = moved;
            vec![Effect::Render]
        }
    };
    match action {
        Action::Quit => {
            model.quit = true;
            vec![Effect::SaveSnapshot, Effect::Quit]
        }
        Action::Help => {
            model.overlay = Some(Overlay::Help { scroll: 0 });
            vec![Effect::Render]
        }
        Action::Palette => {
            model.overlay = Some(Overlay::Palette(Palette::new(palette_items(model))));
            vec![Effect::Render]
        }
        Action::Filter => {
            let list = model.list_mut(screen);
            list.filtering = true;
            vec![Effect::Render]
        }
        Action::Back => {
            let list = model.list_mut(screen);
            if list.filter.is_empty() {
                return vec![];
            }
            list.filter.clear();
            refiltered(model, screen)
        }
        Action::NextPanel | Action::PrevPanel => {
            let step = if action == Action::NextPanel {
                1
            } else {
                Screen::ALL.len() - 1
            };
            let next = Screen::ALL[(screen.index() + step) % Screen::ALL.len()];
            go_to(model, next)
        }
        Action::ScreenOverview => go_to(model, Screen::Overview),
        Action::ScreenPipelines => go_to(model, Screen::Pipelines),
        Action::ScreenWorkloads => go_to(model, Screen::Workloads),
        Action::ScreenAlerts => go_to(model, Screen::Alerts),
        Action::ScreenDocs => go_to(model, Screen::Docs),
        Action::ScreenOnboarding => go_to(model, Screen::Onboarding),
        Action::ScreenWork => go_to(model, Screen::Work),
        Action::ScreenDelivery => go_to(model, Screen::Delivery),
        Action::ScreenCreate => go_to(model, Screen::Create),
        Action::Down => move_to(model, &|c| c.moved(1, rows, height)),
        Action::Up => move_to(model, &|c| c.moved(-1, rows, height)),
        Action::PageDown => move_to(model, &|c| c.moved(height as isize, rows, height)),
        Action::PageUp => move_to(model, &|c| c.moved(-(height as isize), rows, height)),
        Action::Top => move_to(model, &|c| c.to(0, rows, height)),
        Action::Bottom => move_to(model, &|c| c.to(usize::MAX, rows, height)),
        // The Overview joins every source, so refreshing it refreshes them all.
        Action::Refresh if screen == Screen::Overview => refresh(model, &SourceKind::ALL),
        Action::Refresh => refresh(model, screen.source_kinds()),
        Action::Redraw => vec![Effect::FullRedraw],
        Action::Suspend => vec![Effect::Suspend],
        other => {
            let what = other.description();
            notify(
                model,
                Level::Info,
                format!("{what}: nothing selected on {} to act on", screen.title()),
            );
            vec![Effect::Render]
        }
    }
}

/// Asks the providers of `kinds`, and only those, to fetch now.
fn refresh(model: &mut Model, kinds: &[SourceKind]) -> Vec<Effect> {
    let what = if kinds.len() == SourceKind::ALL.len() {
        "every source".to_string()
    } else {
        let names: Vec<&str> = kinds.iter().map(|k| k.label()).collect();
        names.join(", ")
    };
    notify(model, Level::Info, format!("refreshing {what}"));
    vec![Effect::Refresh(kinds.to_vec()), Effect::Render]
}

fn go_to(model: &mut Model, screen: Screen) -> Vec<Effect> {
    if model.screen == screen {
        return vec![];
    }
    model.screen = screen;
    vec![Effect::Render]
}

fn on_help_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let action = model.keymap.action(&key);
    let last = help_last_scroll(model);
    let Some(Overlay::Help { scroll }) = &mut model.overlay else {
        return vec![];
    };
    let before = *scroll;
    match action {
        Some(Action::Back | Action::Help | Action::Quit) => {
            model.overlay = None;
            return vec![Effect::Render];
        }
        Some(Action::Down) => *scroll += 1,
        Some(Action::Up) => *scroll = scroll.saturating_sub(1),
        Some(Action::PageDown) => *scroll += HELP_PAGE,
        Some(Action::PageUp) => *scroll = scroll.saturating_sub(HELP_PAGE),
        Some(Action::Top) => *scroll = 0,
        Some(Action::Bottom) => *scroll = last,
        _ => {}
    }
    *scroll = (*scroll).min(last);
    if *scroll == before {
        vec![]
    } else {
        vec![Effect::Render]
    }
}

/// How far the help can scroll: its lines (a heading per section, a blank line between
/// sections) less the rows it shows (the terminal less the tab and status bars, a row of margin
/// above and below, and the borders; the view clamps the same way).
fn help_last_scroll(model: &Model) -> usize {
    let sections = model.keymap.help_for(layers(model));
    let shown: Vec<usize> = sections
        .iter()
        .map(|(_, actions)| actions.len())
        .filter(|n| *n > 0)
        .collect();
    let lines = shown.iter().map(|n| n + 1).sum::<usize>() + shown.len().saturating_sub(1);
    let visible = usize::from(model.size.1).saturating_sub(6);
    lines.saturating_sub(visible)
}

/// Lines a page key scrolls the help by: its height on the smallest terminal it fits.
const HELP_PAGE: usize = 10;

/// The keymap layers live on the current screen and sub-view, most specific first; the global
/// layer is under them all. The help, the footer hints and the key lookup all start here.
pub fn layers(model: &Model) -> &'static [Layer] {
    use crate::model::alerts::AlertsView;
    use crate::model::docs::Focus;
    use crate::model::workloads::View;
    match model.screen {
        Screen::Overview => &[Layer::Overview],
        Screen::Pipelines if model.pipelines.log.is_some() => &[Layer::PipelineLog],
        Screen::Pipelines => &[Layer::Pipelines],
        Screen::Workloads => match model.workloads.view {
            View::List => &[Layer::Workloads],
            View::Events => &[Layer::Events],
            View::Describe => &[Layer::Describe],
            View::Logs => &[Layer::Logs],
            View::Revisions => &[Layer::Revisions],
            View::Forwards => &[Layer::Forwards],
        },
        Screen::Alerts => match model.alerts.view {
            AlertsView::Alerts => &[Layer::Alerts],
            AlertsView::Silences => &[Layer::Silences],
        },
        Screen::Docs if model.docs.focus == Focus::Page && model.docs.open.is_some() => {
            &[Layer::DocsPage, Layer::Docs]
        }
        Screen::Docs => &[Layer::Docs],
        Screen::Onboarding => &[Layer::Onboarding],
        Screen::Work => &[Layer::Work],
        Screen::Delivery => &[Layer::Delivery],
        Screen::Create => &[Layer::Create],
    }
}

fn on_confirm_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let Some(Overlay::Confirm(confirm)) = model.overlay.take() else {
        return vec![];
    };
    match model.keymap.action_in_only(Layer::Confirm, &key) {
        Some(Action::ConfirmYes) => {
            notify(model, Level::Info, format!("{}: sent", confirm.title));
            vec![*confirm.on_yes, Effect::Render]
        }
        Some(Action::ConfirmNo) => {
            notify(model, Level::Info, format!("{}: cancelled", confirm.title));
            vec![Effect::Render]
        }
        _ => {
            // Any other key keeps the question open: a stray key never confirms.
            model.overlay = Some(Overlay::Confirm(confirm));
            vec![]
        }
    }
}

fn on_palette_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let input = InputKey::read(&model.keymap, &key);
    let Some(Overlay::Palette(palette)) = &mut model.overlay else {
        return vec![];
    };
    let len = palette.matches.len();
    match input {
        Some(InputKey::Cancel) => {
            model.overlay = None;
            vec![Effect::Render]
        }
        Some(InputKey::Accept) => {
            let target = palette.selected().map(|i| i.target.clone());
            model.overlay = None;
            match target {
                Some(target) => choose(model, target),
                None => vec![Effect::Render],
            }
        }
        Some(InputKey::Next) => {
            palette.cursor = palette.cursor.moved(1, len, PALETTE_ROWS);
            vec![Effect::Render]
        }
        Some(InputKey::Prev) => {
            palette.cursor = palette.cursor.moved(-1, len, PALETTE_ROWS);
            vec![Effect::Render]
        }
        Some(InputKey::Edit(edit)) => {
            if palette.input.apply(edit) {
                palette.refilter();
            }
            vec![Effect::Render]
        }
        None => vec![],
    }
}

fn choose(model: &mut Model, target: PaletteTarget) -> Vec<Effect> {
    match target {
        PaletteTarget::Screen(s) => {
            model.screen = s;
            vec![Effect::Render]
        }
        PaletteTarget::Command(PaletteCommand::Help) => {
            model.overlay = Some(Overlay::Help { scroll: 0 });
            vec![Effect::Render]
        }
        PaletteTarget::Command(PaletteCommand::Quit) => on_action(model, Action::Quit),
        PaletteTarget::Command(PaletteCommand::Refresh) => refresh(model, &SourceKind::ALL),
        PaletteTarget::Command(PaletteCommand::EditConfig) => match model.config_path.clone() {
            Some(path) => {
                notify(
                    model,
                    Level::Info,
                    "config edited; restart flightdeck to apply it",
                );
                vec![Effect::External(crate::message::External::Editor {
                    path,
                    line: None,
                })]
            }
            None => {
                notify(model, Level::Warning, "no config file is loaded");
                vec![Effect::Render]
            }
        },
        PaletteTarget::Service(service) => overview::open_service(model, &service),
        PaletteTarget::Row {
            screen: Screen::Overview,
            key,
        } => overview::open_row(model, &key),
        PaletteTarget::Row {
            screen: Screen::Docs,
            key,
        } => docs::open_key(model, &key),
        PaletteTarget::Row {
            screen: Screen::Onboarding,
            key,
        } => onboarding::open_key(model, &key),
        PaletteTarget::Scope { context, namespace } => {
            model.screen = Screen::Workloads;
            workloads::set_scope(model, context.as_deref(), namespace.as_deref())
        }
        PaletteTarget::Row { screen, key } => {
            model.screen = screen;
            let found = match screen {
                Screen::Pipelines => pipelines::select_key(model, &key),
                Screen::Workloads => workloads::select_key(model, &key),
                Screen::Alerts => alerts::select_key(model, &key),
                Screen::Overview
                | Screen::Docs
                | Screen::Onboarding
                | Screen::Work
                | Screen::Delivery
                | Screen::Create => true,
            };
            if !found {
                notify(model, Level::Warning, "that item is no longer listed");
            }
            vec![Effect::Render]
        }
    }
}

/// Everything the palette can jump to, screens first.
pub(super) fn palette_items(model: &Model) -> Vec<PaletteItem> {
    let mut items: Vec<PaletteItem> = Screen::ALL
        .iter()
        .map(|s| PaletteItem {
            label: s.title().to_string(),
            kind: "screen",
            target: PaletteTarget::Screen(*s),
        })
        .collect();
    for (label, command) in [
        ("Help: keys", PaletteCommand::Help),
        ("Refresh all sources", PaletteCommand::Refresh),
        ("Edit the config file", PaletteCommand::EditConfig),
        ("Quit", PaletteCommand::Quit),
    ] {
        items.push(PaletteItem {
            label: label.to_string(),
            kind: "command",
            target: PaletteTarget::Command(command),
        });
    }
    overview::palette_items(model, &mut items);
    pipelines::palette_items(model, &mut items);
    workloads::palette_items(model, &mut items);
    alerts::palette_items(model, &mut items);
    docs::palette_items(model, &mut items);
    onboarding::palette_items(model, &mut items);
    items
}

fn on_filter_key(model: &mut Model, key: Key) -> Vec<Effect> {
    let input = InputKey::read(&model.keymap, &key);
    let screen = model.screen;
    let list = model.list_mut(screen);
    match input {
        Some(InputKey::Cancel) => {
            list.filtering = false;
            list.filter.clear();
            refiltered(model, screen)
        }
        Some(InputKey::Accept) => {
            list.filtering = false;
            vec![Effect::Render]
        }
        Some(InputKey::Edit(edit)) => {
            if list.filter.apply(edit) {
                refiltered(model, screen)
            } else {
                vec![Effect::Render]
            }
        }
        Some(InputKey::Next | InputKey::Prev) | None => vec![],
    }
}

/// The filter of `screen` changed: recompute what its list shows and reset the cursor.
fn refiltered(model: &mut Model, screen: Screen) -> Vec<Effect> {
    screen_refilter(model, screen);
    let rows = row_count(model, screen);
    let height = model.list_height;
    let list = model.list_mut(screen);
    list.cursor = list.cursor.to(0, rows, height);
    vec![Effect::Render]
}

/// How many rows the list of `screen` has now.
fn row_count(model: &Model, screen: Screen) -> usize {
    match screen {
        Screen::Overview => overview::row_count(model),
        Screen::Pipelines => pipelines::row_count(model),
        Screen::Workloads => workloads::row_count(model),
        Screen::Alerts => alerts::row_count(model),
        Screen::Docs => docs::row_count(model),
        Screen::Onboarding => onboarding::row_count(model),
        Screen::Work => work::row_count(model),
        Screen::Delivery => delivery::row_count(model),
        Screen::Create => create::row_count(model),
    }
}

/// Lets the current screen take raw keys first, while it has a form or input open.
fn screen_key(model: &mut Model, key: &Key) -> Option<Vec<Effect>> {
    match model.screen {
        Screen::Overview => overview::on_key(model, key),
        Screen::Pipelines => pipelines::on_key(model, key),
        Screen::Workloads => workloads::on_key(model, key),
        Screen::Alerts => alerts::on_key(model, key),
        Screen::Docs => docs::on_key(model, key),
        Screen::Onboarding => onboarding::on_key(model, key),
        Screen::Work => work::on_key(model, key),
        Screen::Delivery => None,
        Screen::Create => create::on_key(model, key),
    }
}

/// Lets the current screen handle `action` first.
fn screen_action(model: &mut Model, action: crate::keymap::Action) -> Option<Vec<Effect>> {
    match model.screen {
        Screen::Overview => overview::on_action(model, action),
        Screen::Pipelines => pipelines::on_action(model, action),
        Screen::Workloads => workloads::on_action(model, action),
        Screen::Alerts => alerts::on_action(model, action),
        Screen::Docs => docs::on_action(model, action),
        Screen::Onboarding => onboarding::on_action(model, action),
        Screen::Work => {
            // An open incident's `enter` goes on to the alert that opened it (its dedup key is
            // the alert's fingerprint), in the Alerts screen; `esc` comes back.
            if action == Action::Open
                && let Some(fingerprint) = work::alert_of_open_incident(model)
                && model.alerts.by_fingerprint(&fingerprint).is_some()
            {
                model.screen = Screen::Alerts;
                alerts::reopen_detail(model, &fingerprint);
                return Some(vec![Effect::Render]);
            }
            work::on_action(model, action)
        }
        Screen::Delivery => delivery::on_action(model, action),
        Screen::Create => create::on_action(model, action),
    }
}

/// The filter of `screen` changed: its screen recomputes what it shows.
fn screen_refilter(model: &mut Model, screen: Screen) {
    match screen {
        Screen::Overview => overview::refilter(model),
        Screen::Pipelines => pipelines::refilter(model),
        Screen::Workloads => workloads::refilter(model),
        Screen::Alerts => alerts::refilter(model),
        Screen::Docs => docs::refilter(model),
        Screen::Onboarding => onboarding::refilter(model),
        Screen::Work => work::refilter(model),
        Screen::Delivery => delivery::refilter(model),
        Screen::Create => create::refilter(model),
    }
}
