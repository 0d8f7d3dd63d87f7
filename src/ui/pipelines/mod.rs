//! The Pipelines screen: every service's runs in one table (newest or failing first), the open
//! run's jobs and steps, a job's log with its own colours and search, and the dispatch form.
//! Rows are built only for the visible slice; everything sorted or filtered was done in
//! `update`.

mod pulls;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table};

use super::columns::Column;
use super::log_line;
use super::text::truncate;
use super::theme::{Role, Theme};
use super::widgets;
use flightdeck_core::keymap::Action;
use flightdeck_core::model::join::RunState;
use flightdeck_core::model::pipelines::{
    Detail, DispatchForm, FormField, LogView, Run, state_word,
};
use flightdeck_core::model::time::{age, duration};
use flightdeck_core::model::{Model, Screen, TextInput};

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let p = &model.pipelines;
    if let Some(log) = &p.log {
        draw_log(model, log, theme, frame, area);
    } else if let Some(detail) = &p.detail {
        draw_detail(model, detail, theme, frame, area);
    } else if p.prs.shown {
        pulls::draw(model, theme, frame, area);
    } else if p.runs.is_empty() && p.prs.scope.is_none() {
        super::empty_state(model, Screen::Pipelines, theme, frame, area);
    } else {
        draw_list(model, theme, frame, area);
    }
    if let Some(form) = &p.form {
        draw_form(form, theme, frame, area);
    }
}

/// The mark and role of a state: the mark carries the meaning without colour too.
fn mark(state: RunState) -> (&'static str, Role) {
    match state {
        RunState::Success => ("✓", Role::Ok),
        RunState::Failure => ("✗", Role::Critical),
        RunState::Running => ("●", Role::Running),
        RunState::Queued => ("○", Role::Warning),
        RunState::Cancelled => ("⊘", Role::Muted),
        RunState::Skipped => ("-", Role::Muted),
        RunState::Other => ("?", Role::Warning),
    }
}

pub(super) fn block<'a>(title: String, mut hint: Line<'a>, theme: &Theme) -> Block<'a> {
    // A space before the corner, as before the title.
    hint.push_span(Span::raw(" "));
    super::widgets::panel(title, true, theme).title_bottom(hint.right_aligned())
}

fn draw_list(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let p = &model.pipelines;
    let list = model.list(Screen::Pipelines);
    let mut title = match &p.prs.scope {
        Some(pr) => format!(
            " Pipelines: runs of {} #{} {} ({}) · {}",
            pr.service_name,
            pr.key.number,
            pr.branch,
            pr.short_sha(),
            p.visible.len(),
        ),
        None => format!(" Pipelines: {} of {} runs", p.visible.len(), p.runs.len()),
    };
    if p.mine {
        title.push_str(" · mine");
    }
    if p.failing_first {
        title.push_str(" · failing first");
    }
    title.push(' ');
    // The hints share the bottom border with nothing; leave its corners free.
    let hint = super::widgets::key_hints(model, usize::from(area.width.saturating_sub(4)), theme);
    let b = block(title, hint, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let table_area = widgets::filter_line(list, inner, theme, frame);
    let height = usize::from(table_area.height.saturating_sub(1));
    if p.visible.is_empty() {
        let words = if p.prs.scope.is_some() && list.filter.is_empty() {
            "No run of this pull request yet (fetching its branch's runs)."
        } else {
            "No run matches the filter."
        };
        let text = Line::styled(words, theme.style(Role::Muted));
        frame.render_widget(Paragraph::new(text), table_area);
        return;
    }
    let now = model.now;
    let offset = list.cursor.offset.min(p.visible.len().saturating_sub(1));
    // Only the visible runs are measured and drawn: the cost does not grow with the data.
    let runs: Vec<(usize, &Run)> = p.visible[offset..p.visible.len().min(offset + height)]
        .iter()
        .enumerate()
        .filter_map(|(i, idx)| p.runs.get(*idx).map(|r| (offset + i, r)))
        .collect();
    let cells: Vec<[String; 13]> = runs.iter().map(|(_, r)| run_cells(r, now)).collect();
    let want = |i: usize| {
        super::columns::widest(cells.iter().filter_map(|c| c.get(i).map(String::as_str)))
    };
    // The service, the run's number and its age say which run a row is; the state word, the
    // event and the attempt repeat the mark or add context, so they give way first.
    let cols = [
        Column::whole("", 1, 255),
        Column::whole(HEADERS[1], want(1), 60).optional(),
        Column::new(HEADERS[2], 8, want(2), 200),
        Column::new(HEADERS[3], 6, want(3), 150),
        Column::whole(HEADERS[4], want(4), 190),
        Column::new(HEADERS[5], 6, want(5), 120),
        Column::whole(HEADERS[6], want(6), 40).optional(),
        Column::new(HEADERS[7], 6, want(7), 110),
        Column::whole(HEADERS[8], want(8), 30).optional(),
        Column::whole(HEADERS[9], want(9).max(3), 180),
        Column::whole(HEADERS[10], want(10).max(5), 140),
        // The SHA says which commit ran, as `git log` and the host's pages quote it; the
        // title beside it gives way first.
        Column::whole(HEADERS[11], want(11), 105).optional(),
        Column::new(HEADERS[12], 8, want(12), 100),
    ];
    let widths = super::columns::share(&cols, usize::from(table_area.width), 1);
    let shown = |i: &usize| widths.get(*i).is_some_and(|w| *w > 0);
    let rows: Vec<Row> = runs
        .iter()
        .zip(&cells)
        .map(|((i, r), texts)| {
            let row = run_row(r, texts, &widths, theme);
            if *i == list.cursor.selected {
                row.style(theme.style(Role::Selection))
            } else {
                row
            }
        })
        .collect();
    let header: Vec<&str> = (0..HEADERS.len())
        .filter(shown)
        .filter_map(|i| HEADERS.get(i).copied())
        .collect();
    let constraints: Vec<Constraint> = widths
        .iter()
        .filter(|w| **w > 0)
        .map(|w| Constraint::Length(u16::try_from(*w).unwrap_or(u16::MAX)))
        .collect();
    let table = Table::new(rows, constraints)
        .header(Row::new(header).style(theme.style(Role::Header)))
        .column_spacing(1);
    frame.render_widget(table, table_area);
}

const HEADERS: [&str; 13] = [
    "", "state", "service", "workflow", "#", "branch", "event", "actor", "try", "age", "took",
    "sha", "commit",
];

/// A run's cells as text, in the table's order: built once per visible run, to measure the
/// columns and then to draw them.
fn run_cells(r: &Run, now: chrono::DateTime<chrono::Utc>) -> [String; 13] {
    let attempt = if r.attempt > 1 {
        r.attempt.to_string()
    } else {
        String::new()
    };
    [
        mark(r.state).0.to_string(),
        state_word(r.state).to_string(),
        r.service_name.clone(),
        r.workflow.clone(),
        r.number.to_string(),
        r.branch.clone(),
        r.event.clone(),
        r.actor.clone(),
        attempt,
        age(now, r.started.unwrap_or(r.created)),
        r.duration(now).map(duration).unwrap_or_default(),
        r.short_sha().to_string(),
        r.title.clone(),
    ]
}

fn run_row<'a>(r: &Run, texts: &[String; 13], widths: &[usize], theme: &Theme) -> Row<'a> {
    let (_, role) = mark(r.state);
    let muted = theme.style(Role::Muted);
    let text = theme.style(Role::Text);
    let styles = [
        theme.style(role),
        theme.style(role),
        text,
        text,
        muted,
        text,
        muted,
        text,
        theme.style(Role::Warning),
        muted,
        muted,
        theme.style(Role::Accent),
        text,
    ];
    let cells: Vec<Cell> = texts
        .iter()
        .zip(styles)
        .zip(widths)
        .filter(|(_, w)| **w > 0)
        .map(|((t, style), w)| Cell::from(Span::styled(truncate(t, *w).into_owned(), style)))
        .collect();
    Row::new(cells)
}

fn draw_detail(model: &Model, detail: &Detail, theme: &Theme, frame: &mut Frame, area: Rect) {
    let run = model.pipelines.run(&detail.run);
    let title = match run {
        Some(r) => format!(" {} · {} #{} ", r.service_name, r.workflow, r.number),
        None => format!(" {} run {} ", detail.run.repo, detail.run.id),
    };
    let b = block(
        title,
        Line::from(super::widgets::action_hints(
            model,
            &[
                (Action::Logs, "log"),
                (Action::RerunFailed, Action::RerunFailed.label()),
                (Action::Rerun, Action::Rerun.label()),
                (Action::Cancel, Action::Cancel.label()),
                (Action::OpenUrl, "open"),
                (Action::Back, "back"),
            ],
            theme,
        )),
        theme,
    );
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let [head, jobs_area, steps_area] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Percentage(50),
        Constraint::Fill(1),
    ])
    .areas(inner);
    let muted = theme.style(Role::Muted);
    let text = theme.style(Role::Text);
    if let Some(r) = run {
        let (m, role) = mark(r.state);
        let mut first = vec![
            Span::styled(format!("{m} {} ", state_word(r.state)), theme.style(role)),
            Span::styled(format!("{} ", r.branch), text),
            Span::styled(format!("{} by {} ", r.event, r.actor), muted),
            Span::styled(format!("attempt {} ", r.attempt), muted),
        ];
        if let Some(d) = r.duration(model.now) {
            first.push(Span::styled(format!("took {} ", duration(d)), muted));
        }
        first.push(Span::styled(
            format!(
                "started {} ago",
                age(model.now, r.started.unwrap_or(r.created))
            ),
            muted,
        ));
        let second = Line::from(vec![
            Span::styled(
                format!("{} ", r.sha.get(..7).unwrap_or(&r.sha)),
                theme.style(Role::Accent),
            ),
            Span::styled(r.title.as_str(), text),
        ]);
        frame.render_widget(Paragraph::new(vec![Line::from(first), second]), head);
    }
    let Some(jobs) = &detail.jobs else {
        let line = match &detail.error {
            Some(e) => Line::styled(e.as_str(), theme.style(Role::Critical)),
            None => Line::styled("loading jobs…", muted),
        };
        frame.render_widget(Paragraph::new(line), jobs_area);
        return;
    };
    let height = usize::from(jobs_area.height.saturating_sub(1));
    let offset = detail.cursor.offset.min(jobs.len().saturating_sub(1));
    let rows: Vec<Row> = jobs
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, j)| {
            let (m, role) = mark(j.state);
            let took = j
                .started
                .map(|s| duration(j.finished.unwrap_or(model.now) - s))
                .unwrap_or_default();
            let row = Row::new(vec![
                Cell::from(Span::styled(m, theme.style(role))),
                Cell::from(Span::styled(j.name.as_str(), text)),
                Cell::from(Span::styled(j.stage.as_str(), muted)),
                Cell::from(Span::styled(j.status.as_str(), theme.style(role))),
                Cell::from(Span::styled(took, muted)),
            ]);
            if i == detail.cursor.selected {
                row.style(theme.style(Role::Selection))
            } else {
                row
            }
        })
        .collect();
    let widths = [
        Constraint::Length(1),
        Constraint::Fill(2),
        Constraint::Length(10),
        Constraint::Length(11),
        Constraint::Length(8),
    ];
    let table = Table::new(rows, widths)
        .header(
            Row::new(vec!["", "job", "stage", "status", "took"]).style(theme.style(Role::Header)),
        )
        .column_spacing(1);
    frame.render_widget(table, jobs_area);
    if let Some(e) = &detail.error {
        frame.render_widget(
            Paragraph::new(Line::styled(e.as_str(), theme.style(Role::Critical))),
            steps_area,
        );
        return;
    }
    let Some(job) = jobs.get(detail.cursor.selected) else {
        return;
    };
    let mut lines = vec![Line::styled(
        format!("steps of {}", job.name),
        theme.style(Role::Title),
    )];
    if job.steps.is_empty() {
        lines.push(Line::styled(
            "this host reports no steps; l shows the log",
            muted,
        ));
    }
    for s in job
        .steps
        .iter()
        .take(usize::from(steps_area.height.saturating_sub(1)))
    {
        let (m, role) = mark(s.state);
        let took = s
            .started
            .map(|st| duration(s.finished.unwrap_or(model.now) - st))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(format!(" {m} "), theme.style(role)),
            Span::styled(format!("{:>2} ", s.number), muted),
            Span::styled(format!("{:<40} ", s.name), text),
            Span::styled(took, muted),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), steps_area);
}

fn draw_log(model: &Model, log: &LogView, theme: &Theme, frame: &mut Frame, area: Rect) {
    let job = log.job.as_ref();
    let mut title = match job {
        Some(j) => format!(
            " log: {} · {} run {} · {} lines",
            j.name,
            j.run.repo,
            j.run.id,
            log.lines.len()
        ),
        None => " log ".to_string(),
    };
    if log.dropped > 0 {
        title.push_str(&format!(" (+{} older not kept)", log.dropped));
    }
    if !log.complete {
        title.push_str(" · loading…");
    }
    title.push(' ');
    let b = block(
        title,
        super::widgets::key_hints(model, usize::from(area.width.saturating_sub(4)), theme),
        theme,
    );
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let show_search = log.searching || !log.search.is_empty();
    let [body, bottom] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(u16::from(show_search || log.error.is_some())),
    ])
    .areas(inner);
    if let Some(e) = &log.error {
        frame.render_widget(
            Line::styled(e.as_str(), theme.style(Role::Critical)),
            bottom,
        );
    } else if show_search {
        draw_search(&log.search, log, theme, frame, bottom);
    }
    let height = usize::from(body.height);
    let needle = log.search.text().to_lowercase();
    let base = theme.style(Role::Text);
    let matched = theme.style(Role::Match);
    let current = log.current.and_then(|i| log.matches.get(i)).copied();
    // `update` keeps `top` for the height it knows; a taller frame shows the last page whole.
    let top = log.top.min(log.lines.len().saturating_sub(height));
    let gutter = (top + height).max(1).to_string().len();
    let lines: Vec<Line> = log.lines[top..log.lines.len().min(top + height)]
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let n = log.dropped + top + i + 1;
            let role = if Some(top + i) == current {
                Role::Selection
            } else {
                Role::Muted
            };
            let mut spans = vec![Span::styled(format!("{n:>gutter$} "), theme.style(role))];
            spans.extend(log_line::spans(&l.text, &l.runs, &needle, base, matched));
            Line::from(spans)
        })
        .collect();
    if lines.is_empty() && log.error.is_none() {
        let text = if log.complete {
            "the log is empty"
        } else {
            "fetching the log…"
        };
        frame.render_widget(Line::styled(text, theme.style(Role::Muted)), body);
        return;
    }
    frame.render_widget(Paragraph::new(lines), body);
    let _ = model;
}

fn draw_search(input: &TextInput, log: &LogView, theme: &Theme, frame: &mut Frame, area: Rect) {
    let count = match (log.current, log.matches.len()) {
        (_, 0) if !input.is_empty() => " no match".to_string(),
        (Some(i), n) => format!(" {}/{n}", i + 1),
        (None, n) if n > 0 => format!(" {n} matches"),
        _ => String::new(),
    };
    let [prompt, text, info] = Layout::horizontal([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(count.chars().count() as u16),
    ])
    .areas(area);
    frame.render_widget(Span::styled("/", theme.style(Role::Key)), prompt);
    field(input, log.searching, theme, frame, text);
    frame.render_widget(Span::styled(count, theme.style(Role::Muted)), info);
}

fn draw_form(form: &DispatchForm, theme: &Theme, frame: &mut Frame, area: Rect) {
    let title = match form.host {
        flightdeck_core::model::pipelines::Host::Github => {
            format!(" dispatch {} on {} ", form.workflow, form.repo)
        }
        flightdeck_core::model::pipelines::Host::Gitlab => {
            format!(" new pipeline on {} ", form.repo)
        }
    };
    let height = (form.inputs.len() as u16) + 5 + u16::from(form.error.is_some());
    let rect = widgets::centered(area, 72, height);
    frame.render_widget(Clear, rect);
    let b = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::Popup))
        .title(Span::styled(title, theme.style(Role::Title)))
        .title_bottom(
            Line::from(Span::styled(
                " tab next · enter dispatch · esc cancel ",
                theme.style(Role::Muted),
            ))
            .right_aligned(),
        );
    let inner = b.inner(rect);
    frame.render_widget(b, rect);
    let mut rows: Vec<Rect> =
        Layout::vertical(vec![Constraint::Length(1); usize::from(inner.height)])
            .split(inner)
            .to_vec();
    rows.reverse();
    let mut next = || rows.pop().unwrap_or_default();
    let label = |s: &str| Span::styled(s.to_string(), theme.style(Role::Muted));
    let r = next();
    let [l, f] = Layout::horizontal([Constraint::Length(8), Constraint::Fill(1)]).areas(r);
    frame.render_widget(label(" ref"), l);
    field(&form.git_ref, form.focus == FormField::Ref, theme, frame, f);
    frame.render_widget(
        label(" inputs (name = value; values are sent as text)"),
        next(),
    );
    for (i, (k, v)) in form.inputs.iter().enumerate() {
        let r = next();
        let [pad, kf, eq, vf] = Layout::horizontal([
            Constraint::Length(2),
            Constraint::Length(22),
            Constraint::Length(3),
            Constraint::Fill(1),
        ])
        .areas(r);
        frame.render_widget(label(""), pad);
        field(k, form.focus == FormField::Key(i), theme, frame, kf);
        frame.render_widget(label(" = "), eq);
        field(v, form.focus == FormField::Value(i), theme, frame, vf);
    }
    if let Some(e) = &form.error {
        frame.render_widget(
            Line::styled(format!(" {e}"), theme.style(Role::Critical)),
            next(),
        );
    }
}

/// A form field: its text on the input colour, with a cursor while it has the keyboard.
fn field(input: &TextInput, focused: bool, theme: &Theme, frame: &mut Frame, area: Rect) {
    let style = theme.style(Role::Input);
    let text = input.text();
    let split = text
        .char_indices()
        .nth(input.cursor())
        .map_or(text.len(), |(i, _)| i);
    let (before, after) = text.split_at(split);
    let mut spans = vec![Span::styled(before.to_string(), style)];
    if focused {
        let mut rest = after.chars();
        let under = rest.next().map_or(" ".to_string(), |c| c.to_string());
        spans.push(Span::styled(under, theme.style(Role::Selection)));
        spans.push(Span::styled(rest.as_str().to_string(), style));
    } else {
        spans.push(Span::styled(after.to_string(), style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(style), area);
}
