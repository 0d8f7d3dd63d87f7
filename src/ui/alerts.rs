//! The alerts screen: firing alerts grouped by service, the alert detail with the service's
//! pods and recent changes beside it, the silence form and the silences list. It draws only the
//! visible slice of what `update` already grouped, filtered and wrapped.

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};
use unicode_width::UnicodeWidthStr;

use super::columns::Column;
use super::text::{fit, truncate_start};
use super::theme::{Role, Theme};
use super::widgets;
use super::widgets::centered;
use flightdeck_core::keymap::Action;
use flightdeck_core::model::alerts::{
    AlertState, AlertsView, DETAIL_SIDE_MIN_WIDTH, DETAIL_SIDE_WIDTH, Detail, FormField, KEY_WIDTH,
    LineKind, PRESET_TYPED, PRESETS, Row, Severity, SilenceForm, SilenceState,
};
use flightdeck_core::model::join::ChangeKind;
use flightdeck_core::model::time::{age, until};
use flightdeck_core::model::{Model, Screen, TextInput};

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let state = &model.alerts;
    let has_data = state.instances.iter().any(|i| i.data().is_some());
    if !has_data {
        super::empty_state(model, Screen::Alerts, theme, frame, area);
        return;
    }
    match (&state.detail, state.view) {
        (Some(detail), AlertsView::Alerts) => draw_detail(model, detail, theme, frame, area),
        (_, AlertsView::Alerts) => draw_list(model, theme, frame, area),
        (_, AlertsView::Silences) => draw_silences(model, theme, frame, area),
    }
    if let Some(form) = &state.form {
        draw_form(model, form, theme, frame, area);
    }
}

fn severity_role(s: Severity) -> Role {
    match s {
        Severity::Critical | Severity::Error => Role::Critical,
        Severity::Warning => Role::Warning,
        Severity::Info => Role::Info,
        Severity::Other => Role::Muted,
    }
}

/// A table cell: `text` fitted to one column less than `width`, then a space, so adjacent
/// columns never run together.
fn col(text: &str, width: usize) -> String {
    let mut s = fit(text, width.saturating_sub(1));
    if width > 0 {
        s.push(' ');
    }
    s
}

/// One table row written straight into the buffer, cell by cell, as a `Line` of [`col`] spans
/// would draw it but without building the padded strings: a 200-column row costs its text,
/// not its width.
struct RowWriter<'b> {
    buf: &'b mut Buffer,
    x: u16,
    y: u16,
    right: u16,
}

impl<'b> RowWriter<'b> {
    /// Starts a row over `area` (one line); a selected row takes `selection` over its width
    /// first, under every cell's own style, as a `Line`'s style does.
    fn new(buf: &'b mut Buffer, area: Rect, selection: Option<Style>) -> RowWriter<'b> {
        if let Some(style) = selection {
            buf.set_style(Rect { height: 1, ..area }, style);
        }
        RowWriter {
            buf,
            x: area.x,
            y: area.y,
            right: area.right(),
        }
    }

    /// The next `width` columns: every one takes `style`, and `text` is cut to one column
    /// less (with `…`), exactly as `Span::styled(col(text, width), style)`.
    fn col(&mut self, text: &str, width: usize, style: Style) {
        let start = self.x;
        self.x = self
            .x
            .saturating_add(u16::try_from(width).unwrap_or(u16::MAX));
        if start >= self.right || width == 0 {
            return;
        }
        let area = Rect {
            x: start,
            y: self.y,
            width: self.x.min(self.right) - start,
            height: 1,
        };
        self.buf.set_style(area, style);
        let room = width - 1;
        if text.width() <= room {
            Span::styled(text, style).render(area, self.buf);
        } else {
            Span::styled(fit(text, room), style).render(area, self.buf);
        }
    }

    /// `text` as it is, in its own width, unstyled.
    fn raw(&mut self, text: &str) {
        let start = self.x;
        self.x = self
            .x
            .saturating_add(u16::try_from(text.width()).unwrap_or(u16::MAX));
        if start < self.right {
            let area = Rect {
                x: start,
                y: self.y,
                width: self.x.min(self.right) - start,
                height: 1,
            };
            Span::raw(text).render(area, self.buf);
        }
    }
}

/// The body of a list screen: header, rows, and a footer for the filter or hints.
fn list_layout(inner: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(inner)
}

fn draw_list(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let state = &model.alerts;
    let list = model.list(Screen::Alerts);
    let mut title = format!(" Alerts · {} shown", state.shown);
    if state.hidden_muted > 0 {
        title.push_str(&format!(
            " · {} silenced/inhibited hidden",
            state.hidden_muted
        ));
    } else if state.show_muted {
        title.push_str(" · silenced/inhibited shown");
    }
    title.push(' ');
    let block = widgets::panel(title, true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [header, body, footer] = list_layout(inner);
    let width = usize::from(inner.width);
    let many = state.instances.len() > 1;
    let height = usize::from(body.height);
    let start = list.cursor.offset.min(state.rows.len());
    let end = (start + height).min(state.rows.len());
    // Only the visible rows are measured and drawn: the cost does not grow with the data.
    let cells: Vec<Option<AlertCells>> = state.rows[start..end]
        .iter()
        .map(|row| match row {
            Row::Alert(i) => AlertCells::of(model, *i, many),
            Row::Service { .. } => None,
        })
        .collect();
    let [_, sev_w, name_w, state_w, age_w, summary_w, am_w] = alert_widths(&cells, width);
    let head = theme.style(Role::Header);
    let mut w = RowWriter::new(frame.buffer_mut(), header, None);
    w.col("  SEVERITY", sev_w + 2, head);
    w.col("ALERT", name_w, head);
    w.col("STATE", state_w, head);
    w.col("AGE", age_w, head);
    w.col("SUMMARY", summary_w, head);
    if am_w > 0 {
        w.col("ALERTMANAGER", am_w, head);
    }

    if state.rows.is_empty() {
        let text = if state.shown == 0 && state.hidden_muted > 0 {
            format!(
                "Nothing firing that is not silenced or inhibited ({} muted). M shows them.",
                state.hidden_muted
            )
        } else if !list.filter.is_empty() {
            "No alert matches the filter.".to_string()
        } else {
            "Nothing is firing.".to_string()
        };
        frame.render_widget(
            Line::styled(format!(" {text}"), theme.style(Role::Muted)),
            body,
        );
    }
    for (n, (row, cells)) in state.rows[start..end].iter().zip(&cells).enumerate() {
        let index = start + n;
        let selected = index == list.cursor.selected;
        let rect = Rect {
            y: body.y + n as u16,
            height: 1,
            ..body
        };
        let line = match row {
            Row::Service {
                service,
                service_ref,
                counts,
                shown,
                collapsed,
            } => {
                let name = if service.is_empty() {
                    "(no service label)"
                } else {
                    service.as_str()
                };
                let mut spans = vec![
                    Span::styled(
                        if *collapsed { "▸ " } else { "▾ " },
                        theme.style(Role::Muted),
                    ),
                    Span::styled(name, theme.style(Role::Title)),
                    Span::styled(
                        format!("  {shown} alert{}", if *shown == 1 { "" } else { "s" }),
                        theme.style(Role::Muted),
                    ),
                ];
                for (n, label, role) in [
                    (counts.critical, "critical", Role::Critical),
                    (counts.warning, "warning", Role::Warning),
                    (counts.other, "other", Role::Info),
                ] {
                    if n > 0 {
                        spans.push(Span::styled(format!(" · {n} {label}"), theme.style(role)));
                    }
                }
                if service_ref.is_none() && !service.is_empty() && state.catalog_known {
                    spans.push(Span::styled(
                        "  (not in the catalog)",
                        theme.style(Role::Muted),
                    ));
                }
                Line::from(spans)
            }
            Row::Alert(_) => {
                let Some(c) = cells else { continue };
                let text_role = if c.muted { Role::Muted } else { Role::Text };
                let selection = selected.then(|| theme.style(Role::Selection));
                let mut w = RowWriter::new(frame.buffer_mut(), rect, selection);
                w.raw("  ");
                w.col(
                    c.severity.label(),
                    sev_w,
                    theme.style(severity_role(c.severity)),
                );
                w.col(c.name, name_w, theme.style(text_role));
                w.col(&c.state, state_w, theme.style(c.state_role));
                w.col(&c.age, age_w, theme.style(Role::Muted));
                w.col(c.summary, summary_w, theme.style(text_role));
                if am_w > 0 {
                    w.col(&c.seen_on, am_w, theme.style(Role::Muted));
                }
                continue;
            }
        };
        let line = if selected {
            line.style(theme.style(Role::Selection))
        } else {
            line
        };
        frame.render_widget(line, rect);
    }
    draw_footer(model, theme, frame, footer);
}

/// The text of one alert row's cells: built once per visible row, to measure the columns and
/// then to draw them.
struct AlertCells<'m> {
    severity: Severity,
    name: &'m str,
    state: Cow<'m, str>,
    state_role: Role,
    age: String,
    summary: &'m str,
    seen_on: String,
    muted: bool,
}

impl<'m> AlertCells<'m> {
    fn of(model: &'m Model, merged: usize, many: bool) -> Option<AlertCells<'m>> {
        let state = &model.alerts;
        let m = state.merged.get(merged)?;
        let alert = state.alert(m)?;
        let (state_text, state_role): (Cow<str>, Role) = if !alert.silenced_by.is_empty() {
            let by = alert
                .silenced_by
                .first()
                .and_then(|id| state.silence_by_id(id))
                .map_or(Cow::Borrowed("silenced"), |s| {
                    if s.is_ack() {
                        Cow::Owned(format!("acked {}", s.created_by))
                    } else {
                        Cow::Owned(format!("silenced {}", s.created_by))
                    }
                });
            (by, Role::Muted)
        } else if !alert.inhibited_by.is_empty() {
            ("inhibited".into(), Role::Muted)
        } else if !alert.muted_by.is_empty() {
            ("muted (time)".into(), Role::Muted)
        } else {
            match alert.state {
                AlertState::Active => ("active".into(), severity_role(alert.severity)),
                AlertState::Unprocessed => ("unprocessed".into(), Role::Running),
                AlertState::Suppressed => ("suppressed".into(), Role::Muted),
                AlertState::Unknown => ("unknown".into(), Role::Muted),
            }
        };
        let mut seen_on = String::new();
        if many {
            for inst in m.seen_on.iter().filter_map(|i| state.instances.get(*i)) {
                if !seen_on.is_empty() {
                    seen_on.push(',');
                }
                seen_on.push_str(&inst.name);
            }
        }
        Some(AlertCells {
            severity: alert.severity,
            name: alert.name(),
            state: state_text,
            state_role,
            age: age(model.now, alert.starts_at),
            summary: first_line(alert.summary()),
            seen_on,
            muted: alert.is_muted(),
        })
    }
}

/// Widths of the indent and the alert columns, each with its trailing space, shared by the
/// visible alerts' content. The alert's name and severity identify it and stay; the summary
/// takes what is left and is cut first; which Alertmanager saw it only adds context.
fn alert_widths(cells: &[Option<AlertCells>], width: usize) -> [usize; 7] {
    let rows: Vec<&AlertCells> = cells.iter().flatten().collect();
    let name = super::columns::widest(rows.iter().map(|c| c.name)) + 1;
    let state = super::columns::widest(rows.iter().map(|c| c.state.as_ref())) + 1;
    let age = super::columns::widest(rows.iter().map(|c| c.age.as_str())) + 1;
    let summary = super::columns::widest(rows.iter().map(|c| c.summary)) + 1;
    let seen_on = super::columns::widest(rows.iter().map(|c| c.seen_on.as_str()));
    // One Alertmanager: no column says which.
    let am = if seen_on == 0 {
        Column::new("", 0, 0, 50)
    } else {
        Column::new("ALERTMANAGER ", 0, seen_on + 1, 50).optional()
    };
    let cols = [
        Column::whole("  ", 2, 255),
        Column::whole("SEVERITY ", 9, 250),
        Column::new("ALERT ", 13, name, 200),
        Column::new("STATE ", 8, state, 150),
        Column::whole("AGE ", age.max(5), 190),
        Column::new("SUMMARY ", 12, summary, 100),
        am,
    ];
    let mut out = [0; 7];
    for (o, w) in out.iter_mut().zip(super::columns::share(&cols, width, 0)) {
        *o = w;
    }
    out
}

fn first_line(s: &str) -> &str {
    s.split('\n').next().unwrap_or("")
}

/// The filter being typed, its errors, or the screen's keys.
fn draw_footer(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let list = model.list(Screen::Alerts);
    let errors = &model.alerts.filter_errors;
    if list.filtering || !list.filter.is_empty() {
        let mut spans = input_spans(
            "/",
            &list.filter,
            list.filtering,
            usize::from(area.width) * 2 / 3,
            theme,
        );
        if let Some(e) = errors.first() {
            spans.push(Span::styled(format!("  {e}"), theme.style(Role::Critical)));
        } else if !list.filtering {
            spans.push(Span::styled(
                "  (filter: name=value, =~, !=, !~, words; / edit, esc clear)",
                theme.style(Role::Muted),
            ));
        }
        frame.render_widget(Line::from(spans), area);
    } else {
        frame.render_widget(
            super::widgets::key_hints(model, usize::from(area.width), theme),
            area,
        );
    }
}

/// An input's text with its cursor. Text wider than `width` scrolls so the cursor stays
/// visible: the window ends just after the cursor.
fn input_spans<'a>(
    prompt: &str,
    input: &TextInput,
    focused: bool,
    width: usize,
    theme: &Theme,
) -> Vec<Span<'a>> {
    let text = input.text();
    let split = text
        .char_indices()
        .nth(input.cursor())
        .map_or(text.len(), |(i, _)| i);
    let (before, after) = text.split_at(split);
    let room = width.saturating_sub(prompt.width() + 1).max(1);
    let before = truncate_start(before, room).into_owned();
    let style = theme.style(Role::Input);
    let mut spans = vec![
        Span::styled(prompt.to_string(), theme.style(Role::Key)),
        Span::styled(before, style),
    ];
    if focused {
        let mut rest = after.chars();
        let under = rest.next().map_or(" ".to_string(), |c| c.to_string());
        spans.push(Span::styled(under, theme.style(Role::Selection)));
        spans.push(Span::styled(rest.as_str().to_string(), style));
    } else {
        spans.push(Span::styled(after.to_string(), style));
    }
    spans
}

/// An input's text over as many lines of `width` columns as it needs, with its cursor.
fn wrapped_input<'a>(
    input: &TextInput,
    focused: bool,
    width: usize,
    theme: &Theme,
) -> Vec<Vec<Span<'a>>> {
    let style = theme.style(Role::Input);
    let width = width.max(2);
    let mut rows: Vec<Vec<Span>> = Vec::new();
    let mut row: Vec<Span> = Vec::new();
    let mut run = String::new();
    let mut used = 0;
    let cursor = focused.then(|| input.cursor());
    let at_end = cursor == Some(input.text().chars().count());
    let chars = input.text().chars().map(Some).chain(at_end.then_some(None));
    for (i, c) in chars.enumerate() {
        let shown = c.unwrap_or(' ');
        let w = unicode_width::UnicodeWidthChar::width(shown).unwrap_or(0);
        if used + w > width {
            row.push(Span::styled(std::mem::take(&mut run), style));
            rows.push(std::mem::take(&mut row));
            used = 0;
        }
        used += w;
        if cursor == Some(i) {
            row.push(Span::styled(std::mem::take(&mut run), style));
            row.push(Span::styled(
                shown.to_string(),
                theme.style(Role::Selection),
            ));
        } else if c.is_some() {
            run.push(shown);
        }
    }
    row.push(Span::styled(run, style));
    rows.push(row);
    rows
}

/// Plot rows of an alert's expression graph.
const EXPR_ROWS: u16 = 4;

/// The alert's expression graphed: a line naming the comparison, the left side's chart with
/// the threshold dotted across, its time axis; or why there is no graph.
fn expr_lines(
    g: &flightdeck_core::model::signals::ExprGraph,
    width: u16,
    theme: &Theme,
) -> Vec<Line<'static>> {
    use flightdeck_core::model::signals::{Unit, format_value};
    let muted = theme.style(Role::Muted);
    let head = format!("{} {} {}", g.left, g.op, g.right);
    let mut lines = vec![Line::from(vec![
        Span::styled(fit("expr", KEY_WIDTH), muted),
        Span::raw(" "),
        // Cut in the middle: the comparison and the threshold at the end stay readable.
        Span::styled(
            super::text::truncate_middle(&head, usize::from(width).saturating_sub(KEY_WIDTH + 1))
                .into_owned(),
            theme.style(Role::Text),
        ),
    ])];
    match &g.answer {
        Ok(answer) => {
            let Some(series) = answer.series.get("") else {
                return lines;
            };
            let plot = usize::from(width).saturating_sub(9).max(1);
            let rows = super::chart::chart_with(
                series,
                (answer.start, answer.end),
                (plot, usize::from(EXPR_ROWS)),
                Unit::Number,
                &[],
                g.threshold,
            );
            let last = rows.len().saturating_sub(1);
            lines.extend(rows.into_iter().enumerate().map(|(i, r)| {
                Line::styled(
                    r,
                    if i == last {
                        muted
                    } else {
                        theme.style(Role::Accent)
                    },
                )
            }));
            let now = series
                .last()
                .map_or("–".to_string(), |v| format_value(Unit::Number, v));
            let span = flightdeck_core::model::time::coarse(chrono::Duration::seconds(
                answer.end - answer.start,
            ));
            lines.push(Line::styled(format!("{:8}-{span} … now {now}", ""), muted));
        }
        Err(why) => lines.push(Line::styled(
            format!("{:w$} no graph: {why}", "", w = KEY_WIDTH),
            muted,
        )),
    }
    lines
}

fn draw_detail(model: &Model, detail: &Detail, theme: &Theme, frame: &mut Frame, area: Rect) {
    let state = &model.alerts;
    let merged = state.by_fingerprint(&detail.fingerprint);
    let alert = merged.and_then(|m| state.alert(m));
    let title = match alert {
        Some(a) => format!(
            " {} · {} · {} · since {} ",
            a.name(),
            merged.map_or("", |m| &*m.service),
            a.severity.label(),
            age(model.now, a.starts_at)
        ),
        None => " alert no longer firing (esc back) ".to_string(),
    };
    let block = widgets::panel(title, true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let side = usize::from(area.width) >= DETAIL_SIDE_MIN_WIDTH;
    let [main, footer] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
    let (text_area, context_area) = if side {
        let [t, _, c] = Layout::horizontal([
            Constraint::Fill(1),
            Constraint::Length(1),
            Constraint::Length(DETAIL_SIDE_WIDTH as u16),
        ])
        .areas(main);
        (t, c)
    } else {
        let context_h = if main.height >= 16 { 7 } else { 0 };
        let [t, c] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(context_h)]).areas(main);
        (t, c)
    };
    // The PagerDuty incident the alert opened, matched by its fingerprint as the dedup key.
    let incident = model.work.incident_for(&detail.fingerprint);
    let text_area = match incident {
        Some(t) => {
            let [head, rest] =
                Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(text_area);
            let role = if t.status == "triggered" {
                Role::Critical
            } else {
                Role::Warning
            };
            let text = format!(
                "PagerDuty {} {} · held by {} · since {}",
                t.key,
                t.status,
                t.assignee.as_deref().unwrap_or("nobody"),
                age(model.now, t.created)
            );
            frame.render_widget(
                Line::from(vec![
                    Span::styled(fit("incident", KEY_WIDTH), theme.style(Role::Muted)),
                    Span::raw(" "),
                    Span::styled(
                        fit(&text, usize::from(head.width).saturating_sub(KEY_WIDTH + 1)),
                        theme.style(role),
                    ),
                ]),
                head,
            );
            rest
        }
        None => text_area,
    };
    // The rule's expression over the last hours with its threshold, when Prometheus has it
    // and there is room to read the text under it too.
    let graph = model
        .signals
        .expr
        .as_ref()
        .filter(|g| alert.is_some_and(|a| a.name() == g.alert));
    let text_area = match graph {
        Some(g) if text_area.height >= 14 => {
            let [head, rest] =
                Layout::vertical([Constraint::Length(EXPR_ROWS + 3), Constraint::Fill(1)])
                    .areas(text_area);
            frame.render_widget(Paragraph::new(expr_lines(g, head.width, theme)), head);
            rest
        }
        _ => text_area,
    };
    let height = usize::from(text_area.height);
    let start = detail.scroll.min(detail.lines.len());
    let end = (start + height).min(detail.lines.len());
    let lines: Vec<Line> = detail.lines[start..end]
        .iter()
        .map(|l| {
            let role = match l.kind {
                LineKind::Heading => Role::Title,
                LineKind::Field | LineKind::Text => Role::Text,
                LineKind::Link => Role::Link,
                LineKind::Muted => Role::Muted,
                LineKind::Warning => Role::Warning,
            };
            if l.kind == LineKind::Heading {
                Line::styled(l.text.clone(), theme.style(role))
            } else {
                Line::from(vec![
                    Span::styled(fit(&l.key, KEY_WIDTH), theme.style(Role::Muted)),
                    Span::raw(" "),
                    Span::styled(l.text.clone(), theme.style(role)),
                ])
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), text_area);
    if context_area.height > 0
        && let (Some(m), Some(a)) = (merged, alert)
    {
        draw_context(
            model,
            m.service_ref.as_deref(),
            a.starts_at,
            theme,
            frame,
            context_area,
            side,
        );
    }
    let more = if detail.lines.len() > end {
        format!(" · {} more lines (j/pgdn)", detail.lines.len() - end)
    } else {
        String::new()
    };
    // The detail's actions name what they act on here (the runbook), with the keymap's keys.
    let mut hints = super::widgets::action_hints(
        model,
        &[
            (Action::Copy, "copy runbook"),
            (Action::OpenUrl, "open runbook"),
            (Action::Silence, "silence"),
            (Action::Acknowledge, "ack"),
            (Action::Back, "back"),
        ],
        theme,
    );
    hints.push(Span::styled(more, theme.style(Role::Muted)));
    frame.render_widget(Line::from(hints), footer);
}

/// Beside the alert: the service's pods in trouble and its deploys and runs, the newest change
/// before the alert started marked, since that is the first suspect.
fn draw_context(
    model: &Model,
    service_ref: Option<&str>,
    started: chrono::DateTime<chrono::Utc>,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    side: bool,
) {
    let width = usize::from(area.width);
    let mut lines = vec![Line::styled(
        if side { "Pods" } else { "Pods and changes" },
        theme.style(Role::Title),
    )];
    let Some(service) = service_ref else {
        lines.push(Line::styled(
            "not in the catalog: no pods or changes known",
            theme.style(Role::Muted),
        ));
        frame.render_widget(Paragraph::new(lines), area);
        return;
    };
    match model.workloads.pod_summary(service) {
        Some(p) => {
            let role = if p.worst.is_some() || p.ready < p.total {
                Role::Critical
            } else {
                Role::Ok
            };
            let mut text = format!(
                "{}/{} ready · {} restarts in 1h",
                p.ready, p.total, p.restarts_last_hour
            );
            if let Some(w) = &p.worst {
                text.push_str(&format!(" · {w}"));
            }
            lines.push(Line::styled(fit(&text, width), theme.style(role)));
        }
        None => lines.push(Line::styled("no pods known", theme.style(Role::Muted))),
    }
    // What changed before this: the newest changes in production when it started, each with
    // how long it had been live then (the trail the Delivery screen's My changes shows).
    if let Some((fp, live)) = &model.delivery.before_alert
        && model
            .alerts
            .detail
            .as_ref()
            .is_some_and(|d| &d.fingerprint == fp)
        && !live.is_empty()
    {
        lines.push(Line::styled(
            "Changes live when it started",
            theme.style(Role::Title),
        ));
        for t in live {
            let live_for = t
                .production
                .done_at()
                .map(|at| flightdeck_core::model::time::coarse(started - at))
                .unwrap_or_default();
            let text = fit(
                &format!(
                    "» {} {} · {} · live {live_for} before",
                    t.sha.get(..7).unwrap_or(&t.sha),
                    t.title,
                    t.author
                ),
                width,
            );
            lines.push(Line::styled(text, theme.style(Role::Warning)));
        }
    }
    if side {
        lines.push(Line::default());
        lines.push(Line::styled("Deploys and runs", theme.style(Role::Title)));
    }
    let changes = model.pipelines.changes(service);
    if changes.is_empty() {
        lines.push(Line::styled(
            "no deploys or runs known",
            theme.style(Role::Muted),
        ));
    }
    let room = usize::from(area.height).saturating_sub(lines.len());
    // Newest first: the first change at or before the start is the newest one before it.
    let suspect = changes.iter().take(200).position(|c| c.at <= started);
    let first = match suspect {
        Some(s) if s >= room => s + 1 - room,
        _ => 0,
    };
    for (i, c) in changes.iter().enumerate().skip(first).take(room) {
        let mark = if Some(i) == suspect { "◆ " } else { "  " };
        let kind = match c.kind {
            ChangeKind::Deploy => "deploy",
            ChangeKind::Run => "run",
        };
        let text = fit(
            &format!("{mark}{:>4} {kind} {}", age(model.now, c.at), c.label),
            width,
        );
        let role = if Some(i) == suspect {
            Role::Warning
        } else {
            Role::Text
        };
        lines.push(Line::styled(text, theme.style(role)));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_silences(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let state = &model.alerts;
    let list = model.list(Screen::Alerts);
    let block = widgets::panel(
        format!(" Silences · {} active or pending ", state.silences.len()),
        true,
        theme,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [header, body, footer] = list_layout(inner);
    let width = usize::from(inner.width);
    let (state_w, time_w, match_w, by_w) = (9, 16, 8, 22);
    let fixed = state_w + time_w + match_w + by_w + 1;
    let matchers_w = (width.saturating_sub(fixed) / 2).max(10);
    let comment_w = width.saturating_sub(fixed + matchers_w);
    let head = theme.style(Role::Header);
    frame.render_widget(
        Line::from(vec![
            Span::styled(col(" STATE", state_w + 1), head),
            Span::styled(col("TIME LEFT", time_w), head),
            Span::styled(col("ALERTS", match_w), head),
            Span::styled(col("BY", by_w), head),
            Span::styled(col("MATCHERS", matchers_w), head),
            Span::styled(col("COMMENT", comment_w), head),
        ]),
        header,
    );
    if state.silences.is_empty() {
        frame.render_widget(
            Line::styled(" No active or pending silence.", theme.style(Role::Muted)),
            body,
        );
    }
    let height = usize::from(body.height);
    let start = list.cursor.offset.min(state.silences.len());
    let end = (start + height).min(state.silences.len());
    for (n, m) in state.silences[start..end].iter().enumerate() {
        let Some(s) = state.silence(m) else { continue };
        let (label, role, time) = match s.state {
            SilenceState::Active => (
                "active",
                Role::Ok,
                format!("ends in {}", until(model.now, s.ends_at)),
            ),
            SilenceState::Pending => (
                "pending",
                Role::Info,
                format!("starts in {}", until(model.now, s.starts_at)),
            ),
            SilenceState::Expired => (
                "expired",
                Role::Muted,
                format!("ended {}", age(model.now, s.ends_at)),
            ),
            SilenceState::Unknown => ("unknown", Role::Muted, String::new()),
        };
        let matchers = flightdeck_core::model::matchers::format_matchers(&s.matchers);
        let line = Line::from(vec![
            Span::raw(" "),
            Span::styled(
                col(if s.is_ack() { "ack" } else { label }, state_w),
                theme.style(role),
            ),
            Span::styled(col(&time, time_w), theme.style(Role::Muted)),
            Span::styled(
                col(
                    &state
                        .silence_matches
                        .get(start + n)
                        .map_or_else(String::new, usize::to_string),
                    match_w,
                ),
                theme.style(Role::Text),
            ),
            Span::styled(col(&s.created_by, by_w), theme.style(Role::Text)),
            Span::styled(col(&matchers, matchers_w), theme.style(Role::Accent)),
            Span::styled(
                col(first_line(&s.comment), comment_w),
                theme.style(Role::Text),
            ),
        ]);
        let line = if start + n == list.cursor.selected {
            line.style(theme.style(Role::Selection))
        } else {
            line
        };
        frame.render_widget(
            line,
            Rect {
                y: body.y + n as u16,
                height: 1,
                ..body
            },
        );
    }
    draw_footer(model, theme, frame, footer);
}

fn draw_form(model: &Model, form: &SilenceForm, theme: &Theme, frame: &mut Frame, area: Rect) {
    const PREVIEW_ROWS: usize = 6;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::Warning))
        .style(theme.style(Role::Popup))
        .title(Span::styled(
            match &form.editing {
                Some(e) => format!(" Edit silence {} ", e.id),
                None => " Silence ".to_string(),
            },
            theme.style(Role::Warning),
        ));
    let inner = block.inner(centered(area, 90, 3));
    let label = |text: &str, field: Option<FormField>| -> Span<'static> {
        let focused = field.is_some_and(|f| f == form.focus);
        let style: Style = if focused {
            theme.style(Role::Key)
        } else {
            theme.style(Role::Muted)
        };
        Span::styled(fit(text, 11), style)
    };
    let field_w = usize::from(inner.width).saturating_sub(11);
    let mut lines: Vec<Line> = Vec::new();
    // The matchers are what the silence hides: shown whole over as many lines as they need,
    // never scrolled so their start goes out of sight.
    for (i, mut row) in wrapped_input(
        &form.matchers,
        form.focus == FormField::Matchers,
        field_w,
        theme,
    )
    .into_iter()
    .enumerate()
    {
        let lead = if i == 0 {
            label("Matchers", Some(FormField::Matchers))
        } else {
            Span::raw(" ".repeat(11))
        };
        row.insert(0, lead);
        lines.push(Line::from(row));
    }
    let extra = u16::try_from(lines.len().saturating_sub(1)).unwrap_or(0);
    let mut duration = vec![label("Duration", Some(FormField::Duration))];
    for (i, p) in PRESETS.iter().enumerate() {
        let chosen = i == form.preset;
        let style = if chosen {
            theme.style(Role::Selection)
        } else {
            theme.style(Role::Text)
        };
        if i == PRESET_TYPED {
            duration.push(Span::styled("typed: ", style));
            duration.extend(input_spans(
                "",
                &form.typed,
                form.focus == FormField::Duration && chosen,
                12,
                theme,
            ));
        } else {
            duration.push(Span::styled(format!(" {p} "), style));
            duration.push(Span::raw(" "));
        }
    }
    lines.push(Line::from(duration));
    let mut comment = vec![label("Comment", Some(FormField::Comment))];
    comment.extend(input_spans(
        "",
        &form.comment,
        form.focus == FormField::Comment,
        field_w,
        theme,
    ));
    lines.push(Line::from(comment));
    lines.push(Line::from(vec![
        label("Author", None),
        Span::styled(model.alerts.created_by.clone(), theme.style(Role::Text)),
    ]));
    let targets: Vec<&str> = form
        .targets
        .iter()
        .filter_map(|i| model.alerts.instances.get(*i))
        .map(|i| i.name.as_str())
        .collect();
    lines.push(Line::from(vec![
        label("On", None),
        Span::styled(targets.join(", "), theme.style(Role::Text)),
    ]));
    match &form.error {
        Some(e) => lines.push(Line::styled(format!(" {e}"), theme.style(Role::Critical))),
        None => lines.push(Line::default()),
    }
    lines.push(Line::styled(
        format!("Silences {} alert(s) firing now:", form.preview.len()),
        theme.style(Role::Title),
    ));
    let width = usize::from(inner.width);
    for i in form.preview.iter().take(PREVIEW_ROWS) {
        let Some(m) = model.alerts.merged.get(*i) else {
            continue;
        };
        let Some(a) = model.alerts.alert(m) else {
            continue;
        };
        lines.push(Line::from(vec![
            Span::styled(
                fit(&format!("  {}", a.severity.label()), 11),
                theme.style(severity_role(a.severity)),
            ),
            Span::styled(
                fit(
                    &format!("{} {}", a.name(), m.service),
                    width.saturating_sub(11),
                ),
                theme.style(Role::Text),
            ),
        ]));
    }
    if form.preview.len() > PREVIEW_ROWS {
        lines.push(Line::styled(
            format!("  and {} more", form.preview.len() - PREVIEW_ROWS),
            theme.style(Role::Muted),
        ));
    }
    let rect = centered(area, 90, 11 + PREVIEW_ROWS as u16 + extra);
    frame.render_widget(Clear, rect);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [body, hints] = Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
    frame.render_widget(Paragraph::new(lines), body);
    frame.render_widget(
        Line::styled(
            " tab next field · ←/→ preset · enter review and confirm · esc cancel",
            theme.style(Role::Muted),
        ),
        hints,
    );
}
