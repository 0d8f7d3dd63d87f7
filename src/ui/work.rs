//! The Work screen: tickets and incidents from Jira, GitHub and PagerDuty grouped by service,
//! each group headed by who is on call for it; `enter` opens a ticket with its description and
//! comments laid out as Markdown, the Jira statuses it can move to, and the comment being
//! written. Only the visible rows are built.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::text::fit;
use super::theme::{Role, Theme};
use flightdeck_core::model::time::age;
use flightdeck_core::model::work::{Detail, KEY_WIDTH, Row, Ticket, TicketSource};
use flightdeck_core::model::{Model, Screen};

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let work = &model.work;
    if work.tickets.is_empty() && work.oncall.is_none() {
        super::empty_state(model, Screen::Work, theme, frame, area);
        return;
    }
    if let Some(d) = &work.detail {
        draw_detail(model, d, theme, frame, area);
        return;
    }
    let title = format!(" Work · {} open ", work.open);
    let block = super::widgets::panel(title, true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let list = model.list(Screen::Work);
    let rows_area = super::widgets::filter_line(list, inner, theme, frame);
    let width = usize::from(rows_area.width);
    if work.rows.is_empty() {
        let why = if list.filter.is_empty() {
            "Nothing in your queues."
        } else {
            "No ticket matches the filter."
        };
        frame.render_widget(
            Paragraph::new(Line::styled(why, theme.style(Role::Muted))),
            rows_area,
        );
    }
    // Each visible row is written straight into the buffer, cell by cell at its column: a
    // 200-column row costs its text, not its width, and nothing beyond the visible rows is read.
    let selection = theme.style(Role::Selection);
    let buf = frame.buffer_mut();
    for (n, (i, row)) in work
        .rows
        .iter()
        .enumerate()
        .skip(list.cursor.offset)
        .take(usize::from(rows_area.height))
        .enumerate()
    {
        let area = Rect {
            y: rows_area.y + n as u16,
            height: 1,
            ..rows_area
        };
        let selected = i == list.cursor.selected;
        if selected {
            buf.set_style(area, selection);
        }
        let sel = |s: Style| if selected { s.patch(selection) } else { s };
        let mut x = area.x;
        // A ticket's mark sits in the first two columns, its key right after it.
        if let Row::Ticket(r) = row
            && let Some(t) = work.ticket(*r)
        {
            let mark = if t.mine { " ●" } else { "  " };
            buf.set_stringn(x, area.y, mark, 2, sel(theme.style(Role::Accent)));
            x = x.saturating_add(2);
        }
        // Writes `text` in `w` columns and moves past them and one gap.
        let mut put = |text: &str, w: usize, style: Style| {
            let right = area.right();
            if x >= right || w == 0 {
                return;
            }
            let w = usize::from(right - x).min(w);
            if text.width() > w {
                buf.set_stringn(x, area.y, fit(text, w), w, sel(style));
            } else {
                buf.set_stringn(x, area.y, text, w, sel(style));
            }
            x = x.saturating_add(w as u16 + 1);
        };
        match row {
            Row::Group { service, count } => {
                let (name, oncall) = work
                    .headings
                    .get(service)
                    .map_or(("", None), |(n, o)| (n.as_str(), o.as_deref()));
                let head = format!("{name} ({count})");
                let head_w = head.width();
                put(
                    &head,
                    head_w + 1,
                    theme.style(Role::Header).add_modifier(Modifier::BOLD),
                );
                if let Some(on) = oncall {
                    put(on, width, theme.style(Role::Muted));
                }
            }
            Row::Ticket(r) => {
                if let Some(t) = work.ticket(*r) {
                    let role = theme.style(status_role(t));
                    // The key column is as wide as the widest key (measured at rebuild).
                    let key_w = work.key_width.max(KEY_WIDTH.0);
                    let title_w = width.saturating_sub(TICKET_FIXED + key_w + 1).max(8);
                    put(&t.key, key_w, role);
                    put(priority_cell(t), 8, role);
                    put(&t.status, 12, theme.style(Role::Text));
                    put(&t.title, title_w, theme.style(Role::Text));
                    put(
                        t.assignee.as_deref().unwrap_or("unassigned"),
                        15,
                        theme.style(Role::Muted),
                    );
                    put(&age(model.now, t.created), 4, theme.style(Role::Muted));
                }
            }
        }
    }
}

/// Columns of a ticket row besides the title and the key: mark, priority, status, assignee and
/// age, with the gaps between them.
const TICKET_FIXED: usize = 2 + 9 + 13 + 16 + 5;

/// What the priority column says: the priority, or for a GitHub issue, which has none, the
/// label that ranks it (`incident`, then `bug`, else its first).
fn priority_cell(t: &Ticket) -> &str {
    if t.source != TicketSource::Github {
        return &t.priority;
    }
    ["incident", "bug"]
        .iter()
        .find_map(|want| t.labels.iter().find(|l| l.eq_ignore_ascii_case(want)))
        .or(t.labels.first())
        .map_or("", String::as_str)
}

fn status_role(t: &Ticket) -> Role {
    match (t.source, t.status.as_str()) {
        (TicketSource::Pagerduty, "triggered") => Role::Critical,
        (TicketSource::Pagerduty, _) => Role::Warning,
        _ if t.rank == 0 => Role::Critical,
        _ if t.rank == 1 => Role::Warning,
        _ => Role::Text,
    }
}

fn draw_detail(model: &Model, d: &Detail, theme: &Theme, frame: &mut Frame, area: Rect) {
    let found = model.work.detail_ticket();
    let ticket = found.map(|(_, t)| t);
    let title = match ticket {
        Some(t) => format!(" {} · {} ", t.key, t.source.label()),
        None => format!(" {} ", d.id),
    };
    let block = super::widgets::panel(title, true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // The comment being written takes the last line.
    let [inner, compose_area] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(u16::from(d.compose.is_some())),
    ])
    .areas(inner);
    if let Some(input) = &d.compose {
        let prompt = match d.source {
            TicketSource::Pagerduty => "note: ",
            _ => "comment: ",
        };
        super::widgets::input_line(prompt, input, true, theme, frame, compose_area);
    }
    let width = usize::from(inner.width);
    let mut head: Vec<Line> = Vec::new();
    if let Some(t) = ticket {
        head.push(Line::styled(
            fit(&t.title, width),
            theme.style(Role::Title).add_modifier(Modifier::BOLD),
        ));
        let mut facts = vec![format!("{} {}", t.kind, t.status)];
        // GitHub issues have no priority; their labels say what there is.
        if t.source != TicketSource::Github {
            let priority = if t.priority.is_empty() {
                "none"
            } else {
                &t.priority
            };
            facts.push(format!("priority {priority}"));
        }
        facts.extend([
            format!("assignee {}", t.assignee.as_deref().unwrap_or("nobody")),
            format!("opened {} ago", age(model.now, t.created)),
        ]);
        if let Some(s) = &t.sprint {
            facts.push(s.clone());
        }
        if let Some(s) = found.and_then(|(r, _)| model.work.service_of.get(&r)) {
            facts.push(format!("service {}", s.rsplit('/').next().unwrap_or(s)));
        }
        head.push(Line::styled(
            fit(&facts.join(" · "), width),
            theme.style(Role::Muted),
        ));
        if !t.labels.is_empty() {
            head.push(Line::styled(
                fit(&format!("labels {}", t.labels.join(", ")), width),
                theme.style(Role::Muted),
            ));
        }
        if let Some(url) = &t.url {
            head.push(Line::styled(fit(url, width), theme.style(Role::Link)));
        }
    }
    if !d.links.is_empty() {
        head.push(Line::styled(
            fit(&format!("links {}", d.links.join(", ")), width),
            theme.style(Role::Muted),
        ));
    }
    if !d.transitions.is_empty() {
        let mut spans = vec![Span::styled("move to ", theme.style(Role::Muted))];
        for (i, (_, name)) in d.transitions.iter().enumerate() {
            let role = if i == d.chosen {
                Role::Selection
            } else {
                Role::Text
            };
            spans.push(Span::styled(format!(" {name} "), theme.style(role)));
        }
        head.push(Line::from(spans));
    }
    if let Some(t) = ticket.filter(|t| t.incident_key.is_some()) {
        let hints = super::widgets::action_hints(
            model,
            &[
                (
                    flightdeck_core::keymap::Action::Open,
                    "the alert that opened it",
                ),
                (flightdeck_core::keymap::Action::Acknowledge, "ack"),
                (flightdeck_core::keymap::Action::Resolve, "resolve"),
            ],
            theme,
        );
        let _ = t;
        head.push(Line::from(hints));
    }
    match &d.failed {
        _ if d.loaded => {}
        None => head.push(Line::styled("loading…", theme.style(Role::Muted))),
        Some(error) => {
            head.push(Line::styled(
                fit(&format!("could not be read: {error}"), width),
                theme.style(Role::Critical),
            ));
            head.push(Line::from(super::widgets::action_hints(
                model,
                &[(flightdeck_core::keymap::Action::Refresh, "read it again")],
                theme,
            )));
        }
    }
    head.push(Line::default());
    let body_rows = usize::from(inner.height).saturating_sub(head.len());
    head.extend(
        d.lines
            .iter()
            .skip(d.scroll)
            .take(body_rows)
            .map(|l| super::markdown_line::plain(l, theme)),
    );
    frame.render_widget(Paragraph::new(head), inner);
}
