//! The Pipelines screen's pull-request view: open PRs of the services' repositories with their
//! checks, review state and mergeability, mine first. Rows are built only for the visible slice;
//! the sorting and filtering happened in `update`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use crate::ui::columns::Column;
use crate::ui::text::truncate;
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets;
use flightdeck_core::keymap::Action;
use flightdeck_core::model::join::RunState;
use flightdeck_core::model::pipelines::pulls::{Pull, Review};
use flightdeck_core::model::time::age;
use flightdeck_core::model::{Model, Screen};

const HEADERS: [&str; 11] = [
    "", "service", "#", "title", "author", "checks", "review", "merge", "branch", "sha", "updated",
];

/// The checks in a cell: the mark, then how many of all passed, or what holds them up.
fn checks_cell(p: &Pull) -> String {
    let c = p.checks;
    match c.state() {
        None => "-".into(),
        Some(RunState::Failure) => format!("✗ {} failing", c.failed),
        Some(RunState::Running) => format!("● {}/{}", c.passed, c.total()),
        Some(_) => format!("✓ {}/{}", c.passed, c.total()),
    }
}

fn checks_role(p: &Pull) -> Role {
    match p.checks.state() {
        Some(RunState::Failure) => Role::Critical,
        Some(RunState::Running) => Role::Running,
        Some(RunState::Success) => Role::Ok,
        _ => Role::Muted,
    }
}

fn review_role(r: Review) -> Role {
    match r {
        Review::Approved => Role::Ok,
        Review::ChangesRequested => Role::Critical,
        Review::Required => Role::Warning,
        Review::Commented | Review::None => Role::Muted,
    }
}

fn merge_role(p: &Pull) -> Role {
    match p.merge_word() {
        "mergeable" => Role::Ok,
        "conflicts" => Role::Critical,
        "draft" | "checking" => Role::Muted,
        _ => Role::Warning,
    }
}

fn cells(p: &Pull, now: chrono::DateTime<chrono::Utc>) -> [String; 11] {
    let mark = match p.checks.state() {
        Some(RunState::Failure) => "✗",
        Some(RunState::Running) => "●",
        Some(RunState::Success) => "✓",
        _ => " ",
    };
    [
        mark.to_string(),
        p.service_name.clone(),
        p.key.number.to_string(),
        p.title.clone(),
        p.author.clone(),
        checks_cell(p),
        p.review.word().to_string(),
        p.merge_word().to_string(),
        p.branch.clone(),
        p.short_sha().to_string(),
        age(now, p.updated),
    ]
}

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let p = &model.pipelines;
    let prs = &p.prs;
    let list = model.list(Screen::Pipelines);
    let mut title = format!(
        " Pipelines: {} of {} open pull requests",
        prs.visible.len(),
        prs.all.len()
    );
    title.push_str(if p.mine { " · mine" } else { " · mine first" });
    title.push(' ');
    // The run actions of the screen's layer have no run here: the hints name what works.
    let hint = Line::from(widgets::action_hints(
        model,
        &[
            (Action::Open, "its runs"),
            (Action::PullRequests, "runs"),
            (Action::Filter, "filter"),
            (Action::ToggleMine, "mine"),
            (Action::OpenUrl, "open"),
            (Action::Copy, "copy"),
        ],
        theme,
    ));
    let b = super::block(title, hint, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let table_area = widgets::filter_line(list, inner, theme, frame);
    if prs.visible.is_empty() {
        let text = if prs.all.is_empty() {
            "No open pull request yet (they load when this view is first shown)."
        } else {
            "No pull request matches the filter."
        };
        frame.render_widget(
            Paragraph::new(Line::styled(text, theme.style(Role::Muted))),
            table_area,
        );
        return;
    }
    let height = usize::from(table_area.height.saturating_sub(1));
    let offset = list.cursor.offset.min(prs.visible.len().saturating_sub(1));
    let shown: Vec<(usize, &Pull)> = prs.visible[offset..prs.visible.len().min(offset + height)]
        .iter()
        .enumerate()
        .filter_map(|(i, idx)| prs.all.get(*idx).map(|pr| (offset + i, pr)))
        .collect();
    let texts: Vec<[String; 11]> = shown.iter().map(|(_, pr)| cells(pr, model.now)).collect();
    let want = |i: usize| {
        crate::ui::columns::widest(texts.iter().filter_map(|c| c.get(i).map(String::as_str)))
    };
    // Service, number and title say which PR a row is; checks, review and merge are why the
    // view exists. Branch and sha add context and give way first.
    let cols = [
        Column::whole("", 1, 255),
        Column::new(HEADERS[1], 8, want(1), 200),
        Column::whole(HEADERS[2], want(2), 210),
        Column::new(HEADERS[3], 10, want(3), 150),
        Column::new(HEADERS[4], 5, want(4), 120),
        Column::whole(HEADERS[5], want(5), 190),
        Column::whole(HEADERS[6], want(6), 180),
        Column::whole(HEADERS[7], want(7), 170),
        Column::new(HEADERS[8], 6, want(8), 60).optional(),
        Column::whole(HEADERS[9], want(9), 50).optional(),
        Column::whole(HEADERS[10], want(10).max(7), 100),
    ];
    let widths = crate::ui::columns::share(&cols, usize::from(table_area.width), 1);
    let muted = theme.style(Role::Muted);
    let text = theme.style(Role::Text);
    let me = p.me();
    let rows: Vec<Row> = shown
        .iter()
        .zip(&texts)
        .map(|((i, pr), t)| {
            let author = if me.iter().any(|m| m.eq_ignore_ascii_case(&pr.author)) {
                theme.style(Role::Accent)
            } else {
                text
            };
            let styles = [
                theme.style(checks_role(pr)),
                text,
                muted,
                text,
                author,
                theme.style(checks_role(pr)),
                theme.style(review_role(pr.review)),
                theme.style(merge_role(pr)),
                text,
                theme.style(Role::Accent),
                muted,
            ];
            let row = Row::new(
                t.iter()
                    .zip(styles)
                    .zip(&widths)
                    .filter(|(_, w)| **w > 0)
                    .map(|((s, style), w)| {
                        Cell::from(Span::styled(truncate(s, *w).into_owned(), style))
                    })
                    .collect::<Vec<_>>(),
            );
            if *i == list.cursor.selected {
                row.style(theme.style(Role::Selection))
            } else {
                row
            }
        })
        .collect();
    let header: Vec<&str> = HEADERS
        .iter()
        .zip(&widths)
        .filter(|(_, w)| **w > 0)
        .map(|(h, _)| *h)
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
