//! The Delivery screen: DORA's five metrics per service (or per owner or system), each with its
//! band as a letter and an arrow against the previous window, the count they come from, and a
//! bar per week of deployments and one of failures, so it reads without colour; and a service's
//! deployment timeline. Everything is computed in `update`; this draws the visible rows only.

use chrono::Duration;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::chart::{count_bars, count_spark};
use super::text::fit;
use super::theme::{Role, Theme};
use flightdeck_core::model::delivery::Band;
use flightdeck_core::model::delivery::screen::{
    Entry, Grouping, Timeline, Trend, Verdict, band_letter,
};
use flightdeck_core::model::delivery::trail::{ChangeDetail, Step, Trail};
use flightdeck_core::model::time::{age, duration};
use flightdeck_core::model::{Model, Screen};

/// Widths of the metric columns: deploys a week, lead time, change failure rate, recovery,
/// rework, and the count of deployments.
const COLS: [(&str, usize); 6] = [
    ("DEPLOY/WK", 9),
    ("LEAD MED", 9),
    ("CFR", 7),
    ("RECOVERY", 9),
    ("REWORK", 6),
    ("N", 4),
];
const NAME_MIN: usize = 12;
/// Wider than this a name column only adds blank space between the name and its numbers.
const NAME_MAX: usize = 32;

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let d = &model.delivery;
    if !d.enabled && d.histories.is_empty() {
        super::empty_state(model, Screen::Delivery, theme, frame, area);
        return;
    }
    if let Some(t) = &d.timeline {
        draw_timeline(model, t, theme, frame, area);
        return;
    }
    if let Some(change) = &d.change {
        draw_change(model, change, theme, frame, area);
        return;
    }
    if let Some(changes) = &d.changes {
        draw_changes(model, changes, theme, frame, area);
        return;
    }
    let mut title = format!(
        " Delivery · last {} · per {} · {} rows ",
        d.span.label(),
        d.grouping.label(),
        d.visible.len()
    );
    let s = &d.summary;
    if s.pending > 0 {
        title.push_str(&format!(
            "· reading history, {} of {} to come… ",
            s.pending, d.asked_services
        ));
    } else if let Some(at) = s.oldest_read {
        title.push_str(&format!("· read {} ago ", age(model.now, at)));
    }
    // A failed read keeps what was read before; the title says how many and the first why
    // (the rows' names are drawn as stale).
    if let Some(first) = &s.first_error {
        title.push_str(&format!("· {} not read: {first} ", s.failed));
    }
    let block = super::widgets::panel(title, true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let list = model.list(Screen::Delivery);
    let rest = super::widgets::filter_line(list, inner, theme, frame);
    let [header, rows_area, golden, legend] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(u16::from(d.golden.services > 0)),
        Constraint::Length(1),
    ])
    .areas(rest);
    let width = usize::from(inner.width);
    let bars = d.span.buckets();
    // A bar column is as wide as its heading at least.
    let bar_col = bars.max(7);
    let fixed: usize = COLS.iter().map(|(_, w)| w + 1).sum();
    // Both bar columns when they fit beside a readable name, else deployments only.
    let both = width >= NAME_MIN + 1 + fixed + 2 * (bar_col + 1);
    let bars_w = if both { 2 * (bar_col + 1) } else { bar_col + 1 };
    let name_w = width
        .saturating_sub(fixed + bars_w + 1)
        .clamp(NAME_MIN, NAME_MAX);
    let head_style = theme.style(Role::Header);
    let mut head = vec![Span::styled(fit("NAME", name_w + 1), head_style)];
    for (h, w) in COLS {
        head.push(Span::styled(format!("{h:>w$} "), head_style));
    }
    let per = if d.span.bucket() == Duration::days(1) {
        "DAILY"
    } else {
        "WEEKLY"
    };
    head.push(Span::styled(fit(per, bar_col + 1), head_style));
    if both {
        head.push(Span::styled(fit("FAILED", bar_col + 1), head_style));
    }
    frame.render_widget(Line::from(head), header);
    if d.visible.is_empty() {
        let why = if !list.filter.is_empty() {
            "No row matches the filter."
        } else if d.asked.is_some() {
            "Reading the delivery history…"
        } else {
            "No services in the catalog."
        };
        frame.render_widget(
            Paragraph::new(Line::styled(why, theme.style(Role::Muted))),
            rows_area,
        );
    }
    let selection = theme.style(Role::Selection);
    let buf = frame.buffer_mut();
    for (n, (i, row)) in d
        .visible
        .iter()
        .enumerate()
        .skip(list.cursor.offset)
        .take(usize::from(rows_area.height))
        .filter_map(|(i, r)| d.rows.get(*r).map(|row| (i, row)))
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
        let mut put = |text: &str, w: usize, right: bool, style: Style| {
            let end = area.right();
            if x >= end || w == 0 {
                return;
            }
            let w = usize::from(end - x).min(w);
            let text = if text.width() > w {
                fit(text, w)
            } else if right {
                format!("{text:>w$}")
            } else {
                text.to_string()
            };
            buf.set_stringn(x, area.y, text, w, sel(style));
            x = x.saturating_add(w as u16 + 1);
        };
        let name = if d.grouping == Grouping::Service {
            row.name.clone()
        } else {
            format!("{} ({})", row.name, row.services)
        };
        let name_role = if row.error.is_some() {
            Role::Stale
        } else {
            Role::Text
        };
        put(&name, name_w, false, theme.style(name_role));
        let m = &row.now;
        let t = &row.trends;
        let b = &row.bands;
        let nothing = m.deployments == 0;
        let cells: [(String, Option<Band>); 5] = [
            (
                if nothing {
                    "—".into()
                } else {
                    format!("{:.1}{}", m.deployments_per_week, arrow(t.frequency))
                },
                b.deployment_frequency,
            ),
            (secs(m.lead_time_median_secs, t.lead_time), b.lead_time),
            (
                pct(m.change_failure_rate, t.change_failure_rate),
                b.change_failure_rate,
            ),
            (
                secs(m.recovery_time_median_secs, t.recovery_time),
                b.recovery_time,
            ),
            (pct(m.rework_rate, t.rework_rate), None),
        ];
        for ((text, band), (_, w)) in cells.iter().zip(COLS) {
            let text = match band {
                Some(band) => format!("{text} {}", band_letter(*band)),
                None if w > 6 && text != "—" => format!("{text}  "),
                None => text.clone(),
            };
            put(&text, w, true, theme.style(band_role(*band)));
        }
        put(
            &m.deployments.to_string(),
            COLS[5].1,
            true,
            theme.style(if m.deployments < 5 {
                Role::Muted
            } else {
                Role::Text
            }),
        );
        put(
            &count_spark(&row.deploys, row.top),
            bar_col,
            false,
            theme.style(Role::Accent),
        );
        if both {
            let fails: String = row
                .failures
                .iter()
                .map(|f| if *f > 0 { '×' } else { '·' })
                .collect();
            put(&fails, bar_col, false, theme.style(Role::Critical));
        }
    }
    draw_golden(model, theme, frame, golden);
    draw_legend(model, theme, frame, legend);
}

/// The golden paths of the services listed, as `flightdeck metrics` reports them: how many a
/// template made, their share of production deployments in the window, and the median time
/// from request to production.
fn draw_golden(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let g = &model.delivery.golden;
    let mut text = format!(
        "golden paths: {} of {} services from templates",
        g.template_services, g.services
    );
    if let Some(share) = g.share {
        text.push_str(&format!(
            " · {:.0}% of production deployments ({} of {})",
            share * 100.0,
            g.template_deployments,
            g.deployments
        ));
    }
    if let Some(m) = g.time_to_production_median_secs {
        text.push_str(&format!(
            " · request to production, median {} ({} in the {})",
            duration(Duration::seconds(m)),
            g.reached_production,
            model.delivery.span.label()
        ));
    }
    frame.render_widget(
        Line::styled(fit(&text, usize::from(area.width)), theme.style(Role::Text)),
        area,
    );
}

fn draw_legend(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let d = &model.delivery;
    let text = format!(
        "band E elite · H high · M medium · L low · arrows against the {} before · N deployments (few: muted)",
        d.span.label()
    );
    frame.render_widget(
        Line::styled(
            fit(&text, usize::from(area.width)),
            theme.style(Role::Muted),
        ),
        area,
    );
}

fn arrow(t: Option<Trend>) -> &'static str {
    t.map_or("", Trend::arrow)
}

fn secs(s: Option<i64>, t: Option<Trend>) -> String {
    s.map_or_else(
        || "—".into(),
        |s| format!("{}{}", duration(Duration::seconds(s)), arrow(t)),
    )
}

fn pct(r: Option<f64>, t: Option<Trend>) -> String {
    r.map_or_else(|| "—".into(), |r| format!("{:.0}%{}", r * 100.0, arrow(t)))
}

fn band_role(b: Option<Band>) -> Role {
    match b {
        Some(Band::Elite | Band::High) => Role::Ok,
        Some(Band::Medium) => Role::Warning,
        Some(Band::Low) => Role::Critical,
        None => Role::Text,
    }
}

fn draw_timeline(model: &Model, t: &Timeline, theme: &Theme, frame: &mut Frame, area: Rect) {
    let title = format!(
        " {} · {} deployments in the last {} ",
        t.name,
        t.deployments,
        t.span.label()
    );
    let block = super::widgets::panel(title, true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let chart_h = (model.list_height / 3).clamp(4, 12);
    let [chart_area, marks_area, axis_area, legend, list_area] = Layout::vertical([
        Constraint::Length(chart_h as u16),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(inner);
    let width = usize::from(inner.width);
    let label_w = 4;
    let plot_w = width.saturating_sub(label_w + 1).max(1);
    // Days per column: a 90-day window at 80 columns puts two days in one.
    let per = t.bars.len().div_ceil(plot_w).max(1);
    let mut deploys = Vec::with_capacity(plot_w);
    let mut marks = String::with_capacity(plot_w);
    for chunk in t.bars.chunks(per) {
        deploys.push(chunk.iter().map(|b| b.deploys).sum::<u32>());
        let sum = |f: fn(&flightdeck_core::model::delivery::screen::Bar) -> u32| {
            chunk.iter().map(f).sum::<u32>()
        };
        // The worst thing that day: a rollback, else a failure, else rework.
        marks.push(if sum(|b| b.rollbacks) > 0 {
            '↩'
        } else if sum(|b| b.failed) > 0 {
            '✗'
        } else if sum(|b| b.rework) > 0 {
            '↻'
        } else {
            '─'
        });
    }
    let top = if per == 1 {
        t.top
    } else {
        deploys.iter().copied().max().unwrap_or(0)
    };
    // Columns a day when the days are fewer than the width: the chart spans the panel.
    let wide = (plot_w / deploys.len().max(1)).max(1);
    if wide > 1 {
        deploys = deploys
            .iter()
            .flat_map(|d| std::iter::repeat_n(*d, wide))
            .collect();
        marks = marks
            .chars()
            .flat_map(|m| std::iter::once(m).chain(std::iter::repeat_n('─', wide - 1)))
            .collect();
    }
    let rows = count_bars(&deploys, top, chart_h);
    let mut lines: Vec<Line> = Vec::with_capacity(chart_h);
    for (r, row) in rows.into_iter().enumerate() {
        let label = match r {
            0 => top.max(1).to_string(),
            _ if r + 1 == chart_h => "0".to_string(),
            _ => String::new(),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{label:>label_w$}┤"), theme.style(Role::Muted)),
            Span::styled(row, theme.style(Role::Accent)),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), chart_area);
    frame.render_widget(
        Line::from(vec![
            Span::styled(format!("{:>label_w$}└", ""), theme.style(Role::Muted)),
            Span::styled(marks, theme.style(Role::Critical)),
        ]),
        marks_area,
    );
    let start = t.start.format("%b %d").to_string();
    let span_w = deploys.len();
    let axis = format!(
        "{:>w$} {start}{:>rest$}",
        "",
        "now",
        w = label_w,
        rest = span_w.saturating_sub(start.len())
    );
    frame.render_widget(
        Line::styled(fit(&axis, width), theme.style(Role::Muted)),
        axis_area,
    );
    let per_label = if per == 1 {
        "a bar a day".to_string()
    } else {
        format!("a bar per {per} days")
    };
    frame.render_widget(
        Line::styled(
            fit(
                &format!("deployments, {per_label} · ✗ failed · ↩ rollback · ↻ rework"),
                width,
            ),
            theme.style(Role::Muted),
        ),
        legend,
    );
    let mut list: Vec<Line> = Vec::new();
    if t.entries.is_empty() {
        list.push(Line::styled(
            "No production deployment in the window.",
            theme.style(Role::Muted),
        ));
    }
    for e in t
        .entries
        .iter()
        .skip(t.scroll)
        .take(usize::from(list_area.height))
    {
        list.push(entry_line(model, e, width, theme));
    }
    frame.render_widget(Paragraph::new(list), list_area);
}

fn entry_line(model: &Model, e: &Entry, width: usize, theme: &Theme) -> Line<'static> {
    match e {
        Entry::Deploy {
            created,
            version,
            creator,
            took,
            verdict,
            rework,
            rollback,
            changes,
        } => {
            let role = match verdict {
                Verdict::Healthy => Role::Ok,
                Verdict::Running => Role::Running,
                Verdict::Failed | Verdict::RolledBack | Verdict::Alerted => Role::Critical,
            };
            let mut extra = Vec::new();
            if *rollback {
                extra.push("rollback".to_string());
            } else if let Some(r) = rework {
                extra.push(format!("rework ({})", rework_word(*r)));
            }
            let text = format!(
                "{:>4} ago  {version:<7} {creator:<10} took {:<6} {:<14} {changes} change{}{}",
                age(model.now, *created),
                took.map_or("—".into(), duration),
                verdict.label(),
                if *changes == 1 { "" } else { "s" },
                if extra.is_empty() {
                    String::new()
                } else {
                    format!(" · {}", extra.join(", "))
                },
            );
            Line::styled(
                fit(&text, width),
                theme.style(role).add_modifier(Modifier::BOLD),
            )
        }
        Entry::Change {
            sha,
            title,
            author,
            pull,
        } => {
            let pull = pull.map(|p| format!(" #{p}")).unwrap_or_default();
            let text = format!("          {sha:<7} {title} · {author}{pull}");
            Line::styled(fit(&text, width), theme.style(Role::Text))
        }
    }
}

fn rework_word(r: flightdeck_core::model::delivery::Rework) -> &'static str {
    use flightdeck_core::model::delivery::Rework;
    match r {
        Rework::Rollback => "rollback",
        Rework::Revert => "revert or hotfix",
        Rework::Label => "fix label",
        Rework::AfterFailure => "within a day of a failure",
    }
}

/// A step of a change's way as a mark that reads without colour: `✓` done, `…` under way,
/// `✗` failed, `·` not yet.
fn step_mark(step: Step) -> (&'static str, Role) {
    match step {
        Step::Done(_) => ("✓", Role::Ok),
        Step::Running(_) => ("…", Role::Running),
        Step::Failed(_) => ("✗", Role::Critical),
        Step::Waiting => ("·", Role::Muted),
    }
}

/// One line per change of mine, newest first: when it was merged, the service, the commit,
/// then each step's mark, the pods on it and the alerts since, and where it is in words.
fn draw_changes(model: &Model, changes: &[Trail], theme: &Theme, frame: &mut Frame, area: Rect) {
    let me = model.pipelines.me();
    let who = me.first().map_or("me", String::as_str);
    let title = format!(" My changes · {who} · {} ", changes.len());
    let block = super::widgets::panel(title, true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [header, body, legend] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let width = usize::from(inner.width);
    // Where it is comes right after its steps, so a narrow terminal cuts pods and alerts, not it.
    let title_w = width.saturating_sub(5 + 15 + 8 + 15 + 24 + 7 + 7).max(8);
    frame.render_widget(
        Line::styled(
            fit(
                &format!(
                    "{:>4} {:<14} {:<7} {:<title_w$} {:<15}{:<24}{:<7}ALERTS",
                    "AGE", "SERVICE", "COMMIT", "TITLE", "STEPS", "WHERE", "PODS"
                ),
                width,
            ),
            theme.style(Role::Header),
        ),
        header,
    );
    if changes.is_empty() {
        let why = if me.is_empty() {
            "Who you are is not known yet: the GitHub login comes from the token's /user."
        } else {
            "No change of yours on the services' default branches in the runs the cockpit holds."
        };
        frame.render_widget(
            Paragraph::new(Line::styled(why, theme.style(Role::Muted))),
            body,
        );
    }
    let list = model.list(Screen::Delivery);
    let selection = theme.style(Role::Selection);
    let mut lines = Vec::new();
    for (i, c) in changes
        .iter()
        .enumerate()
        .skip(list.cursor.offset)
        .take(usize::from(body.height))
    {
        let sel = |s: Style| {
            if i == list.cursor.selected {
                s.patch(selection)
            } else {
                s
            }
        };
        let mut spans = vec![Span::styled(
            format!(
                "{:>4} {:<14} {:<7} {} ",
                age(model.now, c.merged),
                fit(&c.service_name, 14),
                c.sha.get(..7).unwrap_or(&c.sha),
                fit(&c.title, title_w)
            ),
            sel(theme.style(Role::Text)),
        )];
        for (name, step) in [("CI", c.ci), ("stg", c.staging), ("prod", c.production)] {
            let (mark, role) = step_mark(step);
            spans.push(Span::styled(
                format!("{mark}{name} "),
                sel(theme.style(role)),
            ));
        }
        spans.push(Span::styled(
            format!("{:<24}", c.stage()),
            sel(theme.style(Role::Accent)),
        ));
        let pods = c.pods.map_or("—".to_string(), |(r, t)| format!("{r}/{t}"));
        spans.push(Span::styled(
            format!("{pods:<6} "),
            sel(theme.style(match c.pods {
                Some((r, t)) if r < t => Role::Warning,
                Some(_) => Role::Ok,
                None => Role::Muted,
            })),
        ));
        spans.push(Span::styled(
            c.alerts_since.to_string(),
            sel(theme.style(if c.critical_since {
                Role::Critical
            } else {
                Role::Text
            })),
        ));
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), body);
    frame.render_widget(
        Line::styled(
            fit(
                "✓ done · … under way · ✗ failed · · not yet · stg staging · PODS ready on a version with it · ALERTS started since production",
                width,
            ),
            theme.style(Role::Muted),
        ),
        legend,
    );
}

/// A change opened from My changes: the commit and its pull request, its CI run, each
/// deployment that carried it with when and how it ended, the pods on a version with it, and
/// the alerts since it reached production. A handful of lines, drawn as they come.
fn draw_change(model: &Model, c: &ChangeDetail, theme: &Theme, frame: &mut Frame, area: Rect) {
    let t = &c.trail;
    let short = t.sha.get(..7).unwrap_or(&t.sha);
    let title = format!(" {} · {short} · {} ", t.service_name, t.stage());
    let block = super::widgets::panel(title, true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let text = theme.style(Role::Text);
    let muted = theme.style(Role::Muted);
    let head = |s: &str| Line::styled(fit(s, width), theme.style(Role::Header));
    let mut lines = vec![
        Line::styled(fit(&t.title, width), text.add_modifier(Modifier::BOLD)),
        Line::styled(
            fit(
                &format!(
                    "{short} by {} · merged {} ago",
                    t.author,
                    age(model.now, t.merged)
                ),
                width,
            ),
            muted,
        ),
    ];
    lines.push(match &c.pull {
        Some((n, labels)) if labels.is_empty() => {
            Line::styled(fit(&format!("pull request #{n}"), width), text)
        }
        Some((n, labels)) => Line::styled(
            fit(&format!("pull request #{n} · {}", labels.join(", ")), width),
            text,
        ),
        None => Line::styled(
            fit(
                "pull request: not in the delivery history read so far",
                width,
            ),
            muted,
        ),
    });
    lines.push(Line::default());
    lines.push(head("RUN"));
    let (mark, role) = step_mark(t.ci);
    let when = |at: chrono::DateTime<chrono::Utc>| format!("{} ago", age(model.now, at));
    let ci_when = match t.ci {
        Step::Done(at) | Step::Running(at) | Step::Failed(at) => when(at),
        Step::Waiting => String::new(),
    };
    lines.push(Line::from(vec![
        Span::styled(format!("{mark} CI "), theme.style(role)),
        Span::styled(fit(&ci_when, width.saturating_sub(5)), text),
    ]));
    lines.push(Line::default());
    lines.push(head(&format!(
        "{:<12} {:<8} {:<10} {:<9} TOOK",
        "DEPLOYED TO", "COMMIT", "OUTCOME", "WHEN"
    )));
    if c.deployments.is_empty() {
        lines.push(Line::styled(
            fit("no deployment holds it yet", width),
            muted,
        ));
    }
    for d in &c.deployments {
        use flightdeck_core::model::join::RunState;
        let (mark, role, word) = match d.state {
            RunState::Success => ("✓", Role::Ok, "success"),
            RunState::Failure => ("✗", Role::Critical, "failed"),
            RunState::Cancelled => ("✗", Role::Critical, "cancelled"),
            RunState::Running => ("…", Role::Running, "deploying"),
            RunState::Queued => ("…", Role::Running, "queued"),
            RunState::Skipped => ("·", Role::Muted, "skipped"),
            RunState::Other => ("·", Role::Muted, "waiting"),
        };
        let took = if d.state.is_done() {
            duration(d.updated - d.created)
        } else {
            String::new()
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{mark} "), theme.style(role)),
            Span::styled(
                fit(
                    &format!(
                        "{:<10} {:<8} {:<10} {:<9} {took}",
                        fit(&d.environment, 10),
                        d.sha.get(..7).unwrap_or(&d.sha),
                        word,
                        when(d.created),
                    ),
                    width.saturating_sub(2),
                ),
                text,
            ),
        ]));
    }
    lines.push(Line::default());
    let pods = t.pods.map_or("—".to_string(), |(r, n)| {
        format!("{r} of {n} ready on a version with it")
    });
    lines.push(Line::styled(fit(&format!("PODS  {pods}"), width), text));
    lines.push(Line::default());
    lines.push(head(&format!(
        "ALERTS SINCE PRODUCTION  {}",
        c.alerts.len()
    )));
    for (name, critical, at) in &c.alerts {
        let role = if *critical {
            Role::Critical
        } else {
            Role::Warning
        };
        lines.push(Line::from(vec![
            Span::styled(if *critical { "! " } else { "▲ " }, theme.style(role)),
            Span::styled(
                fit(&format!("{name}  {}", when(*at)), width.saturating_sub(2)),
                text,
            ),
        ]));
    }
    let url = c.url().map_or("no page known".to_string(), |u| {
        if c.pull_url.is_some() {
            format!("o/y: the pull request {u}")
        } else {
            format!("o/y: the run {u}")
        }
    });
    lines.push(Line::default());
    lines.push(Line::styled(fit(&url, width), muted));
    let shown: Vec<Line> = lines.into_iter().take(usize::from(inner.height)).collect();
    frame.render_widget(Paragraph::new(shown), inner);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_say_nothing_with_a_dash_and_carry_their_trend() {
        assert_eq!(secs(None, None), "—");
        assert_eq!(secs(Some(3600), Some(Trend::Down)), "1h00m↓");
        assert_eq!(pct(Some(0.25), Some(Trend::Up)), "25%↑");
        assert_eq!(band_role(Some(Band::Low)), Role::Critical);
    }
}
