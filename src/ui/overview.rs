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

use super::summary::{
    alerts_text, ci_text, deploy_text, docs_text, health_mark, health_role, pods_text,
};
use super::text::{fit, truncate_start};
use super::theme::{Role, Theme};
use flightdeck_core::model::catalog::ProblemLevel;
use flightdeck_core::model::overview::{Grouping, Line as ListLine, ServiceRow};
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

/// Column widths for the terminal's width: narrow terminals drop lifecycle, then system.
struct Columns {
    name: usize,
    owner: usize,
    system: usize,
    lifecycle: usize,
}

const CI_W: usize = 8;
const DEPLOY_W: usize = 14;
const PODS_W: usize = 8;
const ALERTS_W: usize = 7;
const DOCS_W: usize = 7;

impl Columns {
    fn for_width(width: usize) -> Columns {
        let fixed = 2 + CI_W + DEPLOY_W + PODS_W + ALERTS_W + DOCS_W + 5;
        let rest = width.saturating_sub(fixed);
        let (system, lifecycle) = if rest >= 70 {
            (14, 12)
        } else if rest >= 52 {
            (12, 0)
        } else {
            (0, 0)
        };
        let owner = if rest >= 70 { 16 } else { 14 };
        let gaps = usize::from(system > 0) + usize::from(lifecycle > 0) + 1;
        let name = rest
            .saturating_sub(owner + system + lifecycle + gaps)
            .max(8);
        Columns {
            name,
            owner,
            system,
            lifecycle,
        }
    }
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
    let show_filter = list.filtering || !list.filter.is_empty();
    let [header, body, filter] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(u16::from(show_filter)),
    ])
    .areas(inner);
    let cols = Columns::for_width(usize::from(inner.width));
    let h = theme.style(Role::Header);
    let mut head = vec![
        Span::styled("  ", h),
        Span::styled(fit("NAME", cols.name), h),
        Span::styled(" ", h),
        Span::styled(fit("OWNER", cols.owner), h),
    ];
    if cols.system > 0 {
        head.push(Span::styled(" ", h));
        head.push(Span::styled(fit("SYSTEM", cols.system), h));
    }
    if cols.lifecycle > 0 {
        head.push(Span::styled(" ", h));
        head.push(Span::styled(fit("LIFECYCLE", cols.lifecycle), h));
    }
    for (label, w) in [
        ("CI", CI_W),
        ("DEPLOYED", DEPLOY_W),
        ("PODS", PODS_W),
        ("ALERTS", ALERTS_W),
        ("DOCS", DOCS_W),
    ] {
        head.push(Span::styled(" ", h));
        head.push(Span::styled(fit(label, w), h));
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
        let height = usize::from(body.height);
        let offset = list.cursor.offset.min(ov.lines.len().saturating_sub(1));
        let visible = ov.lines.iter().enumerate().skip(offset).take(height);
        for (y, (i, line)) in (body.y..body.bottom()).zip(visible) {
            let selected = i == list.cursor.selected;
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
                ListLine::Service(r) => {
                    if let Some(row) = ov.rows.get(*r) {
                        draw_row(model, row, &cols, selected, theme, frame.buffer_mut(), area);
                    }
                }
            }
        }
    }
    if filter.height > 0 {
        super::widgets::input_line("/", &list.filter, list.filtering, theme, frame, filter);
    }
}

/// One service row, written straight into the buffer: each cell at its column, unpadded, so
/// a 200-column row costs its text, not its width.
fn draw_row(
    model: &Model,
    row: &ServiceRow,
    cols: &Columns,
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
    let text = sel(theme.style(Role::Text));
    let muted = sel(theme.style(Role::Muted));
    let mut x = area.x;
    let right = area.right();
    let mut put = |s: &str, width: usize, style: Style| {
        if x >= right || width == 0 {
            return;
        }
        let w = usize::from(right - x).min(width);
        if s.width() > w {
            buf.set_stringn(x, area.y, fit(s, w), w, style);
        } else {
            buf.set_stringn(x, area.y, s, w, style);
        }
        x = x.saturating_add(w as u16 + 1);
    };
    put(
        health_mark(row.health),
        1,
        theme.style(health_role(row.health)),
    );
    put(&row.name, cols.name, text);
    put(
        if row.owner.is_empty() {
            "—"
        } else {
            &row.owner
        },
        cols.owner,
        muted,
    );
    put(&row.system, cols.system, muted);
    put(&row.lifecycle, cols.lifecycle, muted);
    for ((s, style), w) in [
        (ci_text(model, &row.ci, theme), CI_W),
        (deploy_text(model, &row.deploy, theme), DEPLOY_W),
        (pods_text(model, &row.pods, theme), PODS_W),
        (alerts_text(model, &row.alerts, theme), ALERTS_W),
        (docs_text(&row.docs, theme), DOCS_W),
    ] {
        put(&s, w, sel(style));
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
