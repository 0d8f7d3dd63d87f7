//! The Overview: one line per service with what each source says about it, most urgent first,
//! and the catalog's Problems view. It draws only the visible slice of the rows `update`
//! already joined, sorted, grouped and filtered; the Service screen is in `service.rs`, the
//! cells both show in `summary.rs`.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::columns::Column;
use super::summary::{
    alerts_text, ci_text, deploy_text, docs_text, health_mark, health_role, pods_text,
};
use super::text::{fit, truncate_start};
use super::theme::{Role, Theme};
use flightdeck_core::model::catalog::ProblemLevel;
use flightdeck_core::model::overview::{Grouping, Health, Line as ListLine, ServiceRow};
use flightdeck_core::model::signals::{Range, Signal, format_value};
use flightdeck_core::model::{Model, Screen};

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let ov = &model.catalog.overview;
    if ov.problems_open {
        draw_problems(model, theme, frame, area);
    } else if ov.page.is_some() {
        super::service::draw(model, theme, frame, area);
    } else if model.catalog.entities.is_empty() {
        super::empty_state(model, Screen::Overview, theme, frame, area);
    } else {
        draw_list(model, theme, frame, area);
    }
}

/// The text of one service row's cells, in the table's order after the health mark; built once
/// per visible row, to measure the columns and then to draw them.
struct Cells {
    health: Health,
    texts: [(String, Style); 12],
}

const HEADERS: [&str; 12] = [
    "NAME",
    "OWNER",
    "SYSTEM",
    "LIFECYCLE",
    "CI",
    "DEPLOYED",
    "PODS",
    "ALERTS",
    "DOCS",
    "ERRORS 1h",
    "P99 1h",
    "ON CALL",
];

/// Sparkline cells: ten columns of the last hour and the newest value.
const SPARK: usize = 10;

impl Cells {
    fn of(model: &Model, row: &ServiceRow, theme: &Theme) -> Cells {
        let text = theme.style(Role::Text);
        let muted = theme.style(Role::Muted);
        let owner = if row.owner.is_empty() {
            "—"
        } else {
            row.owner.as_str()
        };
        Cells {
            health: row.health,
            texts: [
                (row.name.clone(), text),
                (owner.to_string(), muted),
                (row.system.clone(), muted),
                (row.lifecycle.clone(), muted),
                ci_text(model, &row.ci, theme),
                deploy_text(model, &row.deploy, theme),
                pods_text(model, &row.pods, theme),
                alerts_text(model, &row.alerts, theme),
                docs_text(&row.docs, theme),
                signal_text(model, &row.name, Signal::ErrorRatio, theme),
                signal_text(model, &row.name, Signal::LatencyP99, theme),
                oncall_text(model, &row.service, theme),
            ],
        }
    }
}

/// Who holds the service's pager, and its open PagerDuty incidents when it has any; empty
/// without on-call data.
fn oncall_text(model: &Model, service: &str, theme: &Theme) -> (String, Style) {
    let Some(w) = model.work.by_service.get(service) else {
        return (String::new(), theme.style(Role::Muted));
    };
    let name = w.oncall.as_ref().map_or("–", |o| o.now.as_str());
    match w.incidents {
        0 => (name.to_string(), theme.style(Role::Muted)),
        1 => (format!("{name} · 1 incident"), theme.style(Role::Critical)),
        n => (
            format!("{name} · {n} incidents"),
            theme.style(Role::Critical),
        ),
    }
}

/// A signal's sparkline over the last hour and its newest value; empty without Prometheus.
/// Past the alert rules' thresholds (5% errors, 1 s p99) it takes the warning colour, but the
/// tall blocks say it without colour too.
fn signal_text(model: &Model, service: &str, signal: Signal, theme: &Theme) -> (String, Style) {
    let signals = &model.signals;
    if !signals.enabled {
        return (String::new(), theme.style(Role::Muted));
    }
    let Some((answer, series)) = signals
        .answers
        .get(&(Range::Hour, signal))
        .and_then(|a| Some((a, a.series.get(service)?)))
    else {
        return ("–".into(), theme.style(Role::Muted));
    };
    let last = series.last().unwrap_or(f64::NAN);
    let text = format!(
        "{} {}",
        super::chart::spark(
            series,
            (answer.start, answer.end),
            SPARK,
            super::chart::floor(signal.unit())
        ),
        format_value(signal.unit(), last)
    );
    let bad = match signal {
        Signal::ErrorRatio => last > 0.05,
        Signal::LatencyP99 => last > 1.0,
        _ => false,
    };
    (
        text,
        theme.style(if bad { Role::Warning } else { Role::Text }),
    )
}

/// Widths of the health mark and the nine cells, shared by the visible rows' content. The name
/// identifies a row and the source cells are why the screen exists: they stay whole; the owner
/// is cut before them, and system and lifecycle, which only add context, give way first.
fn widths_of(rows: &[&Cells], width: usize, signals: bool, oncall: bool) -> Vec<usize> {
    let want = |i: usize| {
        super::columns::widest(
            rows.iter()
                .filter_map(|r| r.texts.get(i).map(|t| t.0.as_str())),
        )
    };
    // A source cell is at least as wide as its usual text ("✓ 10m", "3f2a1c9 10m"), so the
    // columns do not shift as ages tick from 9m to 10m.
    let mut cols = vec![
        Column::whole("", 1, 255),
        Column::new(HEADERS[0], 8, want(0), 200),
        Column::new(HEADERS[1], 8, want(1), 150),
        Column::whole(HEADERS[2], want(2), 90).optional(),
        Column::whole(HEADERS[3], want(3), 80).optional(),
        Column::whole(HEADERS[4], want(4).max(5), 170),
        Column::whole(HEADERS[5], want(5).max(11), 160),
        Column::whole(HEADERS[6], want(6).max(6), 180),
        Column::whole(HEADERS[7], want(7), 190),
        Column::whole(HEADERS[8], want(8), 100).optional(),
    ];
    // The signal columns exist only with a Prometheus source, so a cockpit without one lays
    // out exactly as before.
    // Optional columns exist only with their source, so a cockpit without one lays out
    // exactly as before; an absent column has width 0 at its place.
    let mut at = (0..cols.len()).collect::<Vec<usize>>();
    if signals {
        cols.push(Column::whole(HEADERS[9], want(9).max(SPARK + 6), 120).optional());
        cols.push(Column::whole(HEADERS[10], want(10).max(SPARK + 6), 110).optional());
        at.extend([10, 11]);
    }
    // On call gives way first of the optional columns: the service screen says it too.
    if oncall {
        cols.push(Column::whole(HEADERS[11], want(11), 85).optional());
        at.push(12);
    }
    let shared = super::columns::share(&cols, width, 1);
    let mut widths = vec![0; HEADERS.len() + 1];
    for (i, w) in at.into_iter().zip(shared) {
        widths[i] = w;
    }
    widths
}

fn draw_list(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let ov = &model.catalog.overview;
    let list = model.list(Screen::Overview);
    let mut title = format!(" Overview · {} of {} services ", ov.shown, ov.rows.len());
    if ov.grouping != Grouping::None {
        title.push_str(&format!("· {} ", ov.grouping.label()));
    }
    if ov.mine {
        title.push_str("· mine ");
    }
    let mut block = super::widgets::panel(title, true, theme);
    let problems = model.catalog.problems.len();
    if problems > 0 {
        block = block.title_bottom(Line::from(vec![
            Span::styled(
                format!(
                    " {problems} catalog problem{} ",
                    if problems == 1 { "" } else { "s" }
                ),
                theme.style(Role::Warning),
            ),
            Span::styled("(: problems) ", theme.style(Role::Muted)),
        ]));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rest = super::widgets::filter_line(list, inner, theme, frame);
    let [header, body] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(rest);
    // Only the visible rows are measured and drawn: the cost does not grow with the data.
    let height = usize::from(body.height);
    let offset = list.cursor.offset.min(ov.lines.len().saturating_sub(1));
    let cells: Vec<Option<Cells>> = ov
        .lines
        .iter()
        .skip(offset)
        .take(height)
        .map(|line| match line {
            ListLine::Service(r) => ov.rows.get(*r).map(|row| Cells::of(model, row, theme)),
            ListLine::Group { .. } => None,
        })
        .collect();
    let measured: Vec<&Cells> = cells.iter().flatten().collect();
    let cols = widths_of(
        &measured,
        usize::from(inner.width),
        model.signals.enabled,
        model.work.oncall.is_some(),
    );
    let h = theme.style(Role::Header);
    let mut head = Vec::new();
    for (label, &w) in std::iter::once("").chain(HEADERS).zip(&cols) {
        if w > 0 {
            head.push(Span::styled(fit(label, w), h));
            head.push(Span::styled(" ", h));
        }
    }
    frame.render_widget(Line::from(head).style(h), header);

    if ov.lines.is_empty() {
        let why = if ov.mine && ov.rows.iter().all(|r| !r.mine) {
            "None of the services is yours (owned by your Groups). m shows every service."
                .to_string()
        } else if ov.rows.is_empty() {
            format!(
                "The catalog holds {} entities but no Component. {}",
                model.catalog.entities.len(),
                if problems > 0 {
                    "See its problems (: problems)."
                } else {
                    ""
                }
            )
        } else {
            "No service matches the filter. Esc clears it.".to_string()
        };
        frame.render_widget(
            Paragraph::new(why)
                .style(theme.style(Role::Muted))
                .wrap(Wrap { trim: false }),
            body,
        );
    } else {
        let visible = ov.lines.iter().skip(offset).zip(&cells);
        for (n, (y, (line, row))) in (body.y..body.bottom()).zip(visible).enumerate() {
            let selected = offset + n == list.cursor.selected;
            let area = Rect {
                y,
                height: 1,
                ..body
            };
            match line {
                ListLine::Group {
                    label,
                    count,
                    worst,
                } => {
                    let style = if selected {
                        theme.style(Role::Selection)
                    } else {
                        theme.style(Role::Accent)
                    };
                    let line = Line::from(vec![
                        Span::styled(
                            format!("{} ", health_mark(*worst)),
                            theme.style(health_role(*worst)),
                        ),
                        Span::styled(format!("{label} ({count})"), style),
                    ]);
                    frame.render_widget(line, area);
                }
                ListLine::Service(_) => {
                    if let Some(row) = row {
                        draw_row(row, &cols, selected, theme, frame.buffer_mut(), area);
                    }
                }
            }
        }
    }
}

/// One service row, written straight into the buffer: each cell at its column, unpadded, so
/// a 200-column row costs its text, not its width.
fn draw_row(
    cells: &Cells,
    cols: &[usize],
    selected: bool,
    theme: &Theme,
    buf: &mut Buffer,
    area: Rect,
) {
    let selection = theme.style(Role::Selection);
    if selected {
        buf.set_style(area, selection);
    }
    let sel = |s: Style| if selected { s.patch(selection) } else { s };
    let mut x = area.x;
    let right = area.right();
    let mark = (
        health_mark(cells.health),
        theme.style(health_role(cells.health)),
    );
    let texts = std::iter::once((mark.0, mark.1))
        .chain(cells.texts.iter().map(|(t, s)| (t.as_str(), sel(*s))));
    for ((s, style), &width) in texts.zip(cols) {
        if x >= right || width == 0 {
            continue;
        }
        let w = usize::from(right - x).min(width);
        if s.width() > w {
            buf.set_stringn(x, area.y, fit(s, w), w, style);
        } else {
            buf.set_stringn(x, area.y, s, w, style);
        }
        x = x.saturating_add(w as u16 + 1);
    }
}

fn draw_problems(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let problems = &model.catalog.problems;
    let cursor = model.catalog.overview.problems_cursor;
    let block = super::widgets::panel(
        format!(" Catalog problems · {} ", problems.len()),
        true,
        theme,
    )
    .title_bottom(Line::from(vec![
        Span::styled(" enter", theme.style(Role::Key)),
        Span::styled(" edit the file  ", theme.style(Role::Muted)),
        Span::styled("esc", theme.style(Role::Key)),
        Span::styled(" back ", theme.style(Role::Muted)),
    ]));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if problems.is_empty() {
        frame.render_widget(
            Paragraph::new("Every descriptor loaded cleanly.").style(theme.style(Role::Ok)),
            inner,
        );
        return;
    }
    // The selected problem in full below the list: a table cell cuts long messages.
    let [list_area, detail] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(3)]).areas(inner);
    if let Some(p) = problems.get(cursor.selected) {
        frame.render_widget(
            Paragraph::new(p.to_string())
                .style(theme.style(Role::Text))
                .wrap(Wrap { trim: false })
                .block(
                    Block::default()
                        .borders(Borders::TOP)
                        .border_style(theme.style(Role::Border)),
                ),
            detail,
        );
    }
    let inner = list_area;
    let width = usize::from(inner.width);
    let place_w = (width / 3).clamp(16, 48);
    let lines: Vec<Line> = problems
        .iter()
        .enumerate()
        .skip(cursor.offset)
        .take(usize::from(inner.height))
        .map(|(i, p)| {
            let selected = i == cursor.selected;
            let (mark, role) = match p.level {
                ProblemLevel::Error => ("✗ ", Role::Critical),
                ProblemLevel::Warning => ("▲ ", Role::Warning),
            };
            let place = p.place.as_ref().map(|p| {
                // The end of a long path says more than its start.
                truncate_start(&p.to_string(), place_w).into_owned()
            });
            let base = if selected {
                theme.style(Role::Selection)
            } else {
                theme.style(Role::Text)
            };
            let mut message = String::new();
            if let Some(e) = &p.entity {
                message.push_str(e);
                message.push_str(": ");
            }
            message.push_str(&p.message);
            Line::from(vec![
                Span::styled(mark, theme.style(role)),
                Span::styled(
                    fit(place.as_deref().unwrap_or("(Backstage API)"), place_w),
                    if selected {
                        base
                    } else {
                        theme.style(Role::Muted)
                    },
                ),
                Span::styled(" ", base),
                Span::styled(fit(&message, width.saturating_sub(place_w + 3)), base),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
