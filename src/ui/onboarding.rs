//! The Onboarding screen: the path's phases and steps beside the selected step's detail (what
//! the cockpit found, the next thing to do, the text, docs to read, services to explore), and
//! the first-launch tour drawn over any screen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::theme::{Role, Theme};
use flightdeck_core::keymap::Layer;
use flightdeck_core::model::onboarding::{Row, TOUR, list_width};
use flightdeck_core::model::time::{age, duration};
use flightdeck_core::model::{Model, Screen};

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let st = &model.onboarding;
    let Some(path) = &st.path else {
        if st.error.is_none() && !st.found.is_empty() {
            draw_found(model, theme, frame, area);
            return;
        }
        match &st.error {
            Some(error) => {
                let block = super::widgets::panel(" Onboarding ", true, theme);
                let lines = vec![
                    Line::styled(
                        "The onboarding path could not be read:",
                        theme.style(Role::Text),
                    ),
                    Line::styled(error.clone(), theme.style(Role::Critical)),
                ];
                frame.render_widget(
                    Paragraph::new(lines)
                        .wrap(Wrap { trim: false })
                        .block(block),
                    area,
                );
            }
            None => super::empty_state(model, Screen::Onboarding, theme, frame, area),
        }
        return;
    };
    let [list_area, detail_area] = Layout::horizontal([
        Constraint::Length(list_width(area.width)),
        Constraint::Fill(1),
    ])
    .areas(area);
    let (done, total) = st.counts();
    let title = format!(
        " {} · {done}/{total} ",
        path.title.as_deref().unwrap_or("Onboarding")
    );
    let block = super::widgets::panel(title, true, theme);
    let inner = block.inner(list_area);
    frame.render_widget(block, list_area);
    draw_list(model, theme, frame, inner);
    draw_detail(model, theme, frame, detail_area);
}

/// Started with no config file in a repository: what each source was found as, or how to add
/// it, as `flightdeck status` says on stderr.
fn draw_found(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let block = super::widgets::panel(
        " Onboarding · sources found in this repository ",
        true,
        theme,
    );
    let muted = theme.style(Role::Muted);
    let width = model
        .onboarding
        .found
        .iter()
        .map(|f| unicode_width::UnicodeWidthStr::width(f.source.as_str()))
        .max()
        .unwrap_or(0);
    let mut lines = vec![
        Line::styled(
            "No config file: flightdeck reads this repository's descriptor and what it can find.",
            theme.style(Role::Text),
        ),
        Line::default(),
    ];
    for f in &model.onboarding.found {
        let name = Span::styled(
            format!("{}  ", super::text::fit(&f.source, width)),
            theme.style(Role::Header),
        );
        lines.push(match &f.found {
            Some(what) => Line::from(vec![
                Span::styled("✓ ", theme.style(Role::Ok)),
                name,
                Span::styled("found: ", muted),
                Span::styled(what.clone(), theme.style(Role::Text)),
            ]),
            None => Line::from(vec![
                Span::styled("- ", theme.style(Role::Warning)),
                name,
                Span::styled("not configured: ", theme.style(Role::Warning)),
                Span::styled(f.how.clone(), muted),
            ]),
        });
    }
    lines.push(Line::default());
    lines.push(Line::styled(
        "`flightdeck init` writes these as a commented config file to edit (never a token).",
        muted,
    ));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

/// The mark and role of a step: done, failing check, checking, or to do.
fn mark(model: &Model, id: &str, checked: bool) -> (&'static str, Role) {
    let st = &model.onboarding;
    if st.is_done(id) {
        ("✓", Role::Ok)
    } else if st.checking.contains(id) {
        ("…", Role::Running)
    } else if st.results.get(id).is_some_and(|r| !r.ok) {
        ("✗", Role::Critical)
    } else if checked {
        ("?", Role::Muted)
    } else {
        ("○", Role::Muted)
    }
}

fn draw_list(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let st = &model.onboarding;
    let list = model.list(Screen::Onboarding);
    let rows_area = super::widgets::filter_line(list, area, theme, frame);
    let width = usize::from(rows_area.width);
    let lines: Vec<Line> = st
        .rows
        .iter()
        .enumerate()
        .skip(list.cursor.offset)
        .take(usize::from(rows_area.height))
        .map(|(i, row)| {
            let selected = i == list.cursor.selected;
            let line = match row {
                Row::Phase(p) => {
                    let name = st
                        .path
                        .as_ref()
                        .and_then(|x| x.phases.get(*p))
                        .map_or("", |x| x.name.as_str());
                    Line::styled(
                        name.to_string(),
                        theme.style(Role::Header).add_modifier(Modifier::BOLD),
                    )
                }
                Row::Step { phase, step } => match st.step(*phase, *step) {
                    Some(s) => {
                        let (m, role) = mark(model, &s.id, s.check.is_some());
                        let auto = if s.check.is_some() { " ⚙" } else { "" };
                        let text: String = format!(" {} {}", s.title, auto)
                            .chars()
                            .take(width.saturating_sub(3))
                            .collect();
                        Line::from(vec![
                            Span::styled(format!(" {m}"), theme.style(role)),
                            Span::styled(text, theme.style(Role::Text)),
                        ])
                    }
                    None => Line::default(),
                },
            };
            if selected {
                line.style(theme.style(Role::Selection))
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), rows_area);
}

fn draw_detail(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let st = &model.onboarding;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::Border));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(inner);

    // Where the user is on the path: time since start, time to first deploy, the buddy.
    let (since, to_deploy) = st.progress.elapsed(model.now);
    let muted = theme.style(Role::Muted);
    let mut spans = Vec::new();
    if let Some(started) = st.progress.started_at {
        spans.push(Span::styled(
            format!("started {} ago", age(model.now, started)),
            muted,
        ));
        let _ = since;
    }
    match to_deploy {
        Some(d) => spans.push(Span::styled(
            format!(" · first deploy {} after start", duration(d)),
            theme.style(Role::Ok),
        )),
        None => spans.push(Span::styled(" · no deploy yet", muted)),
    }
    if let Some(buddy) = st.path.as_ref().and_then(|p| p.buddy.as_ref()) {
        spans.push(Span::styled(" · ask ", muted));
        spans.push(Span::styled(buddy.clone(), theme.style(Role::Accent)));
    }
    let source = st.source.as_deref().unwrap_or("");
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(spans),
            Line::styled(format!("from {source}"), muted),
        ]),
        head,
    );

    let selected = st.rows.get(model.list(Screen::Onboarding).cursor.selected);
    let step = match selected {
        Some(Row::Step { phase, step }) => st.step(*phase, *step),
        _ => None,
    };
    let mut lines: Vec<Line> = Vec::new();
    match step {
        None => {
            lines.push(Line::styled(
                "Choose a step on the left.",
                theme.style(Role::Text),
            ));
            lines.push(Line::styled(
                "Steps marked ⚙ are checked by the cockpit itself; tick the others when done.",
                muted,
            ));
        }
        Some(s) => {
            let (m, role) = mark(model, &s.id, s.check.is_some());
            lines.push(Line::from(vec![
                Span::styled(format!("{m} "), theme.style(role)),
                Span::styled(
                    s.title.clone(),
                    theme.style(Role::Title).add_modifier(Modifier::BOLD),
                ),
            ]));
            if let Some(at) = st.progress.done.get(&s.id) {
                lines.push(Line::styled(
                    format!("done {} ago", age(model.now, *at)),
                    theme.style(Role::Ok),
                ));
            }
            if let Some(kind) = s.check {
                lines.push(Line::from(vec![
                    Span::styled("check  ", muted),
                    Span::styled(kind.describe().to_string(), theme.style(Role::Text)),
                ]));
                if st.checking.contains(&s.id) {
                    lines.push(Line::styled("checking…", theme.style(Role::Running)));
                }
                if let Some(r) = st.results.get(&s.id) {
                    lines.push(Line::from(vec![
                        Span::styled("found  ", muted),
                        Span::styled(
                            r.found.clone(),
                            theme.style(if r.ok { Role::Ok } else { Role::Critical }),
                        ),
                        Span::styled(format!("  ({} ago)", age(model.now, r.at)), muted),
                    ]));
                    if let Some(next) = &r.next {
                        lines.push(Line::from(vec![
                            Span::styled("next   ", muted),
                            Span::styled(next.clone(), theme.style(Role::Warning)),
                        ]));
                    }
                }
            }
            lines.push(Line::default());
            if let Some((_, all)) = &st.detail
                && let Some((_, text)) = all.iter().find(|(id, _)| *id == s.id)
            {
                for l in text {
                    lines.push(super::markdown_line::plain(l, theme));
                }
            }
            if !s.docs.is_empty() {
                lines.push(Line::default());
                lines.push(Line::styled("Read", theme.style(Role::Header)));
                for (i, d) in s.docs.iter().enumerate() {
                    let key = if i == 0 { "o " } else { "  " };
                    lines.push(Line::from(vec![
                        Span::styled(format!("  {key}"), theme.style(Role::Key)),
                        Span::styled(d.clone(), theme.style(Role::Link)),
                    ]));
                }
            }
            if let Some(t) = &s.template {
                let key = model
                    .keymap
                    .keys(flightdeck_core::keymap::Action::Open)
                    .first()
                    .map_or_else(|| "open".to_string(), ToString::to_string);
                lines.push(Line::default());
                lines.push(Line::from(vec![
                    Span::styled("Create  ", theme.style(Role::Header)),
                    Span::styled(format!("{key} "), theme.style(Role::Key)),
                    Span::styled(
                        format!("opens the Create screen on {t}"),
                        theme.style(Role::Accent),
                    ),
                ]));
            }
            if !s.services.is_empty() {
                lines.push(Line::default());
                lines.push(Line::from(vec![
                    Span::styled("Explore  ", theme.style(Role::Header)),
                    Span::styled(s.services.join(", "), theme.style(Role::Accent)),
                ]));
            }
        }
    }
    // A handful of lines: the step's text is laid out in `update`; the short status lines
    // (what a check found, what to do next) may wrap here.
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);

    frame.render_widget(
        super::widgets::key_hints(model, usize::from(foot.width), theme),
        foot,
    );
}

/// The first-launch tour: one page at a time, over whatever screen is shown.
pub fn tour(model: &Model, page: usize, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(p) = TOUR.get(page) else { return };
    let mut lines = vec![Line::default()];
    for l in p.lines {
        lines.push(Line::styled(format!(" {l}"), theme.style(Role::Text)));
    }
    lines.push(Line::default());
    let key = theme.style(Role::Key);
    let muted = theme.style(Role::Muted);
    let help_key = model
        .keymap
        .keys(flightdeck_core::keymap::Action::Help)
        .first()
        .map_or("?".to_string(), |k| k.to_string());
    let mut answers = super::widgets::answers(&model.keymap, Layer::Tour, 1, theme);
    answers.spans.extend([
        Span::raw("   "),
        Span::styled(help_key, key),
        Span::styled(" all keys (after)", muted),
    ]);
    lines.push(answers);
    let width = 92.min(area.width);
    let rect = super::centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(super::widgets::panel(
                format!(" tour {}/{}: {} ", page + 1, TOUR.len(), p.title),
                true,
                theme,
            )),
        rect,
    );
}
