//! Drawing. `view` is a function of the model (and the theme, which is fixed at start): it reads,
//! never changes state, and never computes anything whose cost grows with the data. Colours come
//! from semantic theme roles, never raw colours.

mod alerts;
pub mod chart;
mod columns;
mod create;
mod delivery;
mod docs;
mod log_line;
mod markdown_line;
mod onboarding;
mod overview;
mod pipelines;
mod service;
mod service_charts;
mod summary;
mod text;
pub mod theme;
pub mod widgets;
mod work;
mod workloads;

use std::collections::{BTreeMap, BTreeSet};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use unicode_truncate::UnicodeTruncateStr;
use unicode_width::UnicodeWidthStr;

use flightdeck_core::model::source::SourceKind;
use flightdeck_core::model::time::{age, until};
use flightdeck_core::model::{FetchState, Level, MIN_SIZE, Model, Overlay, Screen, SourceStatus};
use theme::{Role, Theme};
pub use widgets::centered;

/// Draws the whole cockpit.
pub fn view(model: &Model, theme: &Theme, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        too_small(theme, frame, area);
        return;
    }
    let [tabs, main, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_tabs(model, theme, frame, tabs);
    if let Some(first_run) = &model.first_run {
        draw_first_run(&first_run.config_path, theme, frame, main);
    } else {
        draw_screen(model, theme, frame, main);
        draw_staleness(model, theme, frame, main);
    }
    draw_status(model, theme, frame, status);
    match &model.overlay {
        Some(Overlay::Help { scroll }) => widgets::help(model, *scroll, theme, frame, main),
        Some(Overlay::Palette(p)) => widgets::palette(p, theme, frame, main),
        Some(Overlay::Confirm(c)) => widgets::confirm(c, &model.keymap, theme, frame, main),
        Some(Overlay::Tour { page }) => onboarding::tour(model, *page, theme, frame, main),
        None => {}
    }
}

/// While a source of this screen fails (or went stale), its last good data stays on screen:
/// the screen's top line says, at its right end, how old the oldest of it is.
fn draw_staleness(model: &Model, theme: &Theme, frame: &mut Frame, main: Rect) {
    let kinds = model.screen.source_kinds();
    let oldest = model
        .sources
        .iter()
        .filter(|s| kinds.contains(&s.id.kind))
        .filter(|s| matches!(s.state, FetchState::Failing { .. }) || s.is_stale(model.now))
        .filter_map(|s| s.fetched_at)
        .min();
    let Some(at) = oldest else { return };
    let text = format!(" stale {} ", age(model.now, at));
    let width = Span::raw(text.as_str()).width() as u16;
    // Two columns for the panel's corner, and room for the title at the left.
    if main.width < width + 40 {
        return;
    }
    let rect = Rect {
        x: main.right() - width - 2,
        y: main.y,
        width,
        height: 1,
    };
    frame.render_widget(Span::styled(text, theme.style(Role::Stale)), rect);
}

fn too_small(theme: &Theme, frame: &mut Frame, area: Rect) {
    let text = vec![
        Line::styled("terminal too small", theme.style(Role::Warning)),
        Line::styled(
            format!(
                "{}x{}, need {}x{}",
                area.width, area.height, MIN_SIZE.0, MIN_SIZE.1
            ),
            theme.style(Role::Muted),
        ),
    ];
    let y = area.height.saturating_sub(2) / 2;
    let rect = Rect {
        x: area.x,
        y: area.y + y,
        width: area.width,
        height: area.height.min(2),
    };
    frame.render_widget(Paragraph::new(text).centered(), rect);
}

fn draw_tabs(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    // The name goes first when there is room; the tabs always fit in 80 columns.
    let mut spans = if area.width >= 90 {
        vec![Span::styled(" flightdeck ", theme.style(Role::Title))]
    } else {
        vec![]
    };
    // The key that jumps there, from the keymap: screens need not sit at their digit.
    let tabs: Vec<(Screen, String)> = Screen::ALL
        .iter()
        .map(|s| {
            let key = model
                .keymap
                .keys(jump_action(*s))
                .first()
                .map(ToString::to_string)
                .unwrap_or_default();
            (*s, key)
        })
        .collect();
    // When every title does not fit, the other tabs' titles are cut to the longest that does:
    // the open screen's title stays whole and every key stays visible.
    let badge = if model.read_only { 12 } else { 0 };
    let room = usize::from(area.width).saturating_sub(badge);
    let used = |cut: usize| -> usize {
        tabs.iter()
            .map(|(s, key)| {
                let title = s.title().chars().count();
                let title = if *s == model.screen {
                    title
                } else {
                    title.min(cut)
                };
                key.chars().count() + title + 3
            })
            .sum::<usize>()
            + spans
                .iter()
                .map(|s| s.content.chars().count())
                .sum::<usize>()
    };
    let cut = (0..=32usize).rev().find(|c| used(*c) <= room).unwrap_or(0);
    for (screen, key) in &tabs {
        let role = if *screen == model.screen {
            Role::TabActive
        } else {
            Role::Tab
        };
        let title: String = if *screen == model.screen {
            screen.title().to_string()
        } else {
            screen.title().chars().take(cut).collect()
        };
        spans.push(Span::styled(format!(" {key} {title} "), theme.style(role)));
    }
    if model.read_only {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(" READ-ONLY ", theme.style(Role::Warning)));
    }
    frame.render_widget(Line::from(spans).style(theme.style(Role::Header)), area);
}

fn jump_action(screen: Screen) -> flightdeck_core::keymap::Action {
    use flightdeck_core::keymap::Action;
    match screen {
        Screen::Overview => Action::ScreenOverview,
        Screen::Pipelines => Action::ScreenPipelines,
        Screen::Workloads => Action::ScreenWorkloads,
        Screen::Alerts => Action::ScreenAlerts,
        Screen::Docs => Action::ScreenDocs,
        Screen::Onboarding => Action::ScreenOnboarding,
        Screen::Work => Action::ScreenWork,
        Screen::Delivery => Action::ScreenDelivery,
        Screen::Create => Action::ScreenCreate,
    }
}

fn draw_screen(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    match model.screen {
        Screen::Overview => overview::draw(model, theme, frame, area),
        Screen::Pipelines => pipelines::draw(model, theme, frame, area),
        Screen::Workloads => workloads::draw(model, theme, frame, area),
        Screen::Alerts => alerts::draw(model, theme, frame, area),
        Screen::Docs => docs::draw(model, theme, frame, area),
        Screen::Onboarding => onboarding::draw(model, theme, frame, area),
        Screen::Work => work::draw(model, theme, frame, area),
        Screen::Delivery => delivery::draw(model, theme, frame, area),
        Screen::Create => create::draw(model, theme, frame, area),
    }
}

/// A screen with nothing to list yet says why: nothing configured, its sources connecting or
/// failing, or no provider for them in this build. Never fake rows.
pub fn empty_state(model: &Model, screen: Screen, theme: &Theme, frame: &mut Frame, area: Rect) {
    let list = model.list(screen);
    let block = widgets::panel(format!(" {} ", screen.title()), true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let body = widgets::filter_line(list, inner, theme, frame);

    let sources: Vec<_> = model.sources_for(screen).collect();
    let mut lines = Vec::new();
    if sources.is_empty() {
        lines.push(Line::styled(
            format!("Nothing is configured for {}.", screen.title()),
            theme.style(Role::Text),
        ));
        lines.push(Line::styled(
            format!("It needs {}.", screen.needs()),
            theme.style(Role::Muted),
        ));
        lines.push(Line::default());
        lines.push(Line::styled(
            "See docs/configuration.md, or try the demo organisation: flightdeck --demo",
            theme.style(Role::Muted),
        ));
    } else {
        for s in sources {
            let (text, role) = match &s.state {
                FetchState::Unsupported => (
                    format!(
                        "{} is configured, but this build does not read it yet.",
                        s.id.label()
                    ),
                    Role::Muted,
                ),
                FetchState::Connecting => (format!("{}: connecting…", s.id.label()), Role::Muted),
                FetchState::Ok => (
                    format!("{}: connected, nothing to show.", s.id.label()),
                    Role::Text,
                ),
                FetchState::Failing { error, .. } => {
                    (format!("{}: {error}", s.id.label()), Role::Critical)
                }
            };
            lines.push(Line::styled(text, theme.style(role)));
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
}

fn draw_first_run(config_path: &str, theme: &Theme, frame: &mut Frame, area: Rect) {
    let key = theme.style(Role::Key);
    let text = vec![
        Line::styled("Welcome to flightdeck", theme.style(Role::Title)),
        Line::default(),
        Line::styled(
            "One screen for your services, CI pipelines, Kubernetes workloads, alerts and docs.",
            theme.style(Role::Text),
        ),
        Line::default(),
        Line::from(vec![
            Span::styled("No config was found at ", theme.style(Role::Muted)),
            Span::styled(config_path.to_string(), theme.style(Role::Accent)),
        ]),
        Line::default(),
        Line::from(vec![
            Span::styled("Try it now: ", theme.style(Role::Text)),
            Span::styled("flightdeck --demo", key),
            Span::styled(
                " runs the cockpit on a built-in simulated organisation,",
                theme.style(Role::Text),
            ),
        ]),
        Line::styled("no credentials needed.", theme.style(Role::Text)),
        Line::default(),
        Line::from(vec![
            Span::styled("Configure it: ", theme.style(Role::Text)),
            Span::styled("copy config.example.toml to the path above", key),
            Span::styled(" and point it at your", theme.style(Role::Text)),
        ]),
        Line::styled(
            "catalog-info.yaml files, GitHub, Kubernetes contexts and Alertmanagers (docs/configuration.md).",
            theme.style(Role::Text),
        ),
        Line::default(),
        Line::from(vec![
            Span::styled("?", key),
            Span::styled(" keys   ", theme.style(Role::Muted)),
            Span::styled(":", key),
            Span::styled(" palette   ", theme.style(Role::Muted)),
            Span::styled("q", key),
            Span::styled(" quit", theme.style(Role::Muted)),
        ]),
    ];
    let rect = centered(area, 96, text.len() as u16 + 4);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .block(widgets::panel(" first run ", false, theme)),
        rect,
    );
}

fn draw_status(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let hint = hint_line(model, theme);
    let hint_width = hint.width() as u16;
    let [left, right] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(hint_width)]).areas(area);
    let spans: Vec<Span> = if let Some(notice) = &model.notice {
        let role = match notice.level {
            Level::Info => Role::Info,
            Level::Warning => Role::Warning,
            Level::Error => Role::Critical,
        };
        vec![Span::styled(
            format!(" {} ", notice.text),
            theme.style(role),
        )]
    } else if model.sources.is_empty() {
        vec![Span::styled(
            " no sources configured",
            theme.style(Role::Muted),
        )]
    } else {
        // The long form when it fits, else a short one that keeps only what is wrong; errors
        // are cut before anything else, so the ages and retry countdowns stay.
        let room = usize::from(left.width);
        let short = room.saturating_sub(1);
        let whole = |form, width| {
            let spans = source_spans(model, theme, form, usize::MAX);
            (spans.iter().map(Span::width).sum::<usize>() <= width).then_some(spans)
        };
        whole(Form::Long, room)
            .or_else(|| whole(Form::Names, short))
            .or_else(|| whole(Form::Counted, short))
            .or_else(|| fitted(model, theme, Form::Names, short, MIN_ERROR))
            .or_else(|| fitted(model, theme, Form::Counted, short, MIN_ERROR))
            .or_else(|| fitted(model, theme, Form::Failing, short, 1))
            .unwrap_or_else(|| {
                // Still too long: cut it, and say so, a column short of the key hints.
                fit_spans(source_spans(model, theme, Form::Failing, 0), short)
            })
    };
    frame.render_widget(Line::from(spans).style(theme.style(Role::StatusBar)), left);
    frame.render_widget(hint.style(theme.style(Role::StatusBar)), right);
}

/// The fewest columns an error keeps before a shorter form of the bar is tried.
const MIN_ERROR: usize = 12;

/// The sources in `form` within `width` columns, the failing sources' errors cut (with "…") to
/// one width: the widest that lets them all fit, so a short error leaves its room to the long
/// ones rather than each getting an equal share; `None` when that leaves less than `least`.
fn fitted<'a>(
    model: &Model,
    theme: &Theme,
    form: Form,
    width: usize,
    least: usize,
) -> Option<Vec<Span<'a>>> {
    let total = |spans: &[Span]| spans.iter().map(Span::width).sum::<usize>();
    let joined = same_cause(model).1;
    let mut errors: Vec<usize> = model
        .sources
        .iter()
        .enumerate()
        .filter(|(i, _)| !joined.contains(i))
        .filter_map(|(_, s)| match &s.state {
            FetchState::Failing { error, .. } => Some(UnicodeWidthStr::width(error.as_str())),
            _ => None,
        })
        .collect();
    if errors.is_empty() {
        return None;
    }
    let bare = total(&source_spans(model, theme, form, 0));
    // Each error brings its ", " before the age or countdown.
    let mut left = width.checked_sub(bare + 2 * errors.len())?;
    // The shortest errors first: each that fits within an equal share of what is left keeps
    // all of its width, and the rest share what remains.
    errors.sort_unstable();
    let mut cut = usize::MAX;
    for (k, w) in errors.iter().enumerate() {
        let share = left / (errors.len() - k);
        if *w > share {
            cut = share;
            break;
        }
        left -= w;
    }
    (cut >= least).then(|| source_spans(model, theme, form, cut))
}

/// Failing sources of one kind that fail for the same reason (a GitHub host that is down takes
/// its runs and its issues with it) share one entry, so the bar says the reason once, whole,
/// rather than twice cut short. The reason is what follows the first `: ` of the error, which
/// names the call before it. Gives the names that join each first source's entry, by index,
/// and the indices of the sources that joined another's.
fn same_cause(model: &Model) -> (BTreeMap<usize, Vec<String>>, BTreeSet<usize>) {
    let mut first: BTreeMap<(SourceKind, &str), usize> = BTreeMap::new();
    let mut joining: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut joined = BTreeSet::new();
    for (i, s) in model.sources.iter().enumerate() {
        let FetchState::Failing { error, .. } = &s.state else {
            continue;
        };
        let cause = error.split_once(": ").map_or(error.as_str(), |(_, c)| c);
        match first.get(&(s.id.kind, cause)) {
            Some(&leader) => {
                joining.entry(leader).or_default().push(s.id.label());
                joined.insert(i);
            }
            None => {
                first.insert((s.id.kind, cause), i);
            }
        }
    }
    (joining, joined)
}

/// `spans` cut to `width` columns, the cut marked with "…".
fn fit_spans(spans: Vec<Span<'_>>, width: usize) -> Vec<Span<'_>> {
    let total: usize = spans.iter().map(Span::width).sum();
    if total <= width {
        return spans;
    }
    let mut out = Vec::new();
    let mut used = 0;
    let room = width.saturating_sub(1);
    for span in spans {
        let w = span.width();
        if used + w <= room {
            used += w;
            out.push(span);
            continue;
        }
        let (cut, _) = span.content.unicode_truncate(room - used);
        out.push(Span::styled(cut.to_string(), span.style));
        out.push(Span::styled("…", span.style));
        break;
    }
    out
}

/// How much the status bar says of each source, from the most to the least.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// Every source with its age and detail.
    Long,
    /// Every source by name; only the unhealthy ones say why.
    Names,
    /// The healthy sources counted, the others by name.
    Counted,
    /// The healthy sources counted, the failing ones by name, the rest left out.
    Failing,
}

/// One entry per source: a mark, its name, and its state (age, retry countdown, error). A
/// failing source's error is cut to `error_room` columns; what follows it (the age of the data
/// still shown, the retry countdown) never is.
fn source_spans<'a>(model: &Model, theme: &Theme, form: Form, error_room: usize) -> Vec<Span<'a>> {
    let short = form != Form::Long;
    let counted = matches!(form, Form::Counted | Form::Failing);
    let mut spans = Vec::new();
    if counted {
        let healthy = model
            .sources
            .iter()
            .filter(|s| s.state == FetchState::Ok && !s.is_stale(model.now))
            .count();
        if healthy > 0 {
            spans.push(Span::styled(" ● ", theme.style(Role::Ok)));
            spans.push(Span::styled(
                format!("{healthy} ok "),
                theme.style(Role::Text),
            ));
        }
    }
    // Counted: what fails first, then what is stale, connecting or unsupported.
    let order: Vec<(usize, &SourceStatus)> = if counted {
        let (mut first, rest): (Vec<_>, Vec<_>) = model
            .sources
            .iter()
            .enumerate()
            .partition(|(_, s)| matches!(s.state, FetchState::Failing { .. }));
        first.extend(rest);
        first
    } else {
        model.sources.iter().enumerate().collect()
    };
    let (joining, joined) = same_cause(model);
    for (i, s) in order {
        if joined.contains(&i) {
            continue;
        }
        if counted && s.state == FetchState::Ok && !s.is_stale(model.now) {
            continue;
        }
        if form == Form::Failing && !matches!(s.state, FetchState::Failing { .. }) {
            continue;
        }
        let (mark, role, text) = match &s.state {
            FetchState::Unsupported => (
                "·",
                Role::Muted,
                if short { String::new() } else { "n/a".into() },
            ),
            FetchState::Connecting => ("…", Role::Muted, String::new()),
            FetchState::Ok if s.is_stale(model.now) => (
                "◌",
                Role::Stale,
                s.fetched_at
                    .map_or("stale".into(), |at| format!("stale {}", age(model.now, at))),
            ),
            FetchState::Ok if short => ("●", Role::Ok, String::new()),
            FetchState::Ok => {
                let mut t = s.fetched_at.map_or(String::new(), |at| age(model.now, at));
                if let Some(d) = &s.detail {
                    t = format!("{t} {d}");
                }
                ("●", Role::Ok, t)
            }
            FetchState::Failing {
                error, retry_at, ..
            } => {
                let mut parts = vec![text::truncate(error, error_room).into_owned()];
                if let Some(at) = s.fetched_at {
                    // The last good data stays on screen: say how old it is.
                    parts.push(format!("stale {}", age(model.now, at)));
                }
                if let Some(r) = retry_at {
                    parts.push(format!("retry {}", until(model.now, *r)));
                }
                parts.retain(|p| !p.is_empty());
                ("✗", Role::Critical, parts.join(", "))
            }
        };
        spans.push(Span::styled(format!(" {mark} "), theme.style(role)));
        let mut name = s.id.label();
        for other in joining.get(&i).into_iter().flatten() {
            name.push_str(", ");
            name.push_str(other);
        }
        spans.push(Span::styled(name, theme.style(Role::Text)));
        if !text.is_empty() {
            spans.push(Span::styled(format!(" {text}"), theme.style(Role::Muted)));
        }
        spans.push(Span::raw(" "));
    }
    spans
}

fn hint_line<'a>(model: &Model, theme: &Theme) -> Line<'a> {
    use flightdeck_core::keymap::Action;
    let key = |a: Action| {
        model
            .keymap
            .keys(a)
            .first()
            .map(|k| k.to_string())
            .unwrap_or_default()
    };
    let k = theme.style(Role::Key);
    let m: Style = theme.style(Role::Muted);
    Line::from(vec![
        Span::styled(key(Action::Help), k),
        Span::styled(" help ", m),
        Span::styled(key(Action::Palette), k),
        Span::styled(" palette ", m),
        Span::styled(key(Action::Quit), k),
        Span::styled(" quit ", m),
    ])
}
