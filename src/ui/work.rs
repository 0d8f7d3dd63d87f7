//! The Work screen: tickets and incidents from Jira, GitHub and PagerDuty grouped by service,
//! each group headed by who is on call for it; `enter` opens a ticket with its description and
//! comments laid out as Markdown, the Jira statuses it can move to, and the comment being
//! written. Only the visible rows are built.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::text::fit;
use super::theme::{Role, Theme};
use flightdeck_core::model::time::age;
use flightdeck_core::model::work::{Detail, Row, Ticket, TicketSource};
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
    let show_filter = list.filtering || !list.filter.is_empty();
    let [rows_area, filter_area] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(u16::from(show_filter)),
    ])
    .areas(inner);
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
    let lines: Vec<Line> = work
        .rows
        .iter()
        .enumerate()
        .skip(list.cursor.offset)
        .take(usize::from(rows_area.height))
        .map(|(i, row)| {
            let line = match row {
                Row::Group { service, count } => {
                    group_line(model, service.as_deref(), *count, width, theme)
                }
                Row::Ticket(r) => match work.ticket(*r) {
                    Some(t) => ticket_line(model, t, width, theme),
                    None => Line::default(),
                },
            };
            if i == list.cursor.selected {
                line.style(theme.style(Role::Selection))
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), rows_area);
    if filter_area.height > 0 {
        super::widgets::input_line("/", &list.filter, list.filtering, theme, frame, filter_area);
    }
}

fn group_line<'a>(
    model: &Model,
    service: Option<&str>,
    count: usize,
    width: usize,
    theme: &Theme,
) -> Line<'a> {
    let name = match service {
        Some(s) => model
            .catalog
            .get(s)
            .map_or_else(|| s.to_string(), |e| e.display_name().to_string()),
        None => "no service".to_string(),
    };
    let mut spans = vec![Span::styled(
        format!("{name} ({count})"),
        theme.style(Role::Header).add_modifier(Modifier::BOLD),
    )];
    if let Some(on) = service
        .and_then(|s| model.work.by_service.get(s))
        .and_then(|w| w.oncall.as_ref())
    {
        let next = on
            .next
            .as_deref()
            .map(|n| format!(", next {n}"))
            .unwrap_or_default();
        spans.push(Span::styled(
            fit(
                &format!("  on call {}{next}", on.now),
                width.saturating_sub(name.len() + 6),
            ),
            theme.style(Role::Muted),
        ));
    }
    Line::from(spans)
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

fn ticket_line<'a>(model: &Model, t: &Ticket, width: usize, theme: &Theme) -> Line<'a> {
    let mark = if t.mine { "●" } else { " " };
    let assignee = t.assignee.as_deref().unwrap_or("unassigned");
    let fixed = 2 + 11 + 9 + 13 + 16 + 5;
    let title_w = width.saturating_sub(fixed).max(8);
    Line::from(vec![
        Span::styled(format!(" {mark}"), theme.style(Role::Accent)),
        Span::styled(fit(&t.key, 10) + " ", theme.style(status_role(t))),
        Span::styled(fit(&t.priority, 8) + " ", theme.style(status_role(t))),
        Span::styled(fit(&t.status, 12) + " ", theme.style(Role::Text)),
        Span::styled(fit(&t.title, title_w) + " ", theme.style(Role::Text)),
        Span::styled(fit(assignee, 15) + " ", theme.style(Role::Muted)),
        Span::styled(fit(&age(model.now, t.created), 4), theme.style(Role::Muted)),
    ])
}

fn draw_detail(model: &Model, d: &Detail, theme: &Theme, frame: &mut Frame, area: Rect) {
    let ticket = model
        .work
        .every_ticket()
        .find(|(_, t)| t.source == d.source && t.id == d.id)
        .map(|(_, t)| t);
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
        let mut facts = vec![
            format!("{} {}", t.kind, t.status),
            format!(
                "priority {}",
                if t.priority.is_empty() {
                    "none"
                } else {
                    &t.priority
                }
            ),
            format!("assignee {}", t.assignee.as_deref().unwrap_or("nobody")),
            format!("opened {} ago", age(model.now, t.created)),
        ];
        if let Some(s) = &t.sprint {
            facts.push(s.clone());
        }
        if let Some(s) = model
            .work
            .service_of
            .iter()
            .find(|(r, _)| {
                model
                    .work
                    .ticket(**r)
                    .is_some_and(|x| x.id == t.id && x.source == t.source)
            })
            .map(|(_, s)| s)
        {
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
    if !d.loaded {
        head.push(Line::styled("loading…", theme.style(Role::Muted)));
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
