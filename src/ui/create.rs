//! The Create screen: the templates, a template's form page by page with each field's check,
//! the review of what the run will create (values, repository, catalog entry, the files as a
//! tree), and the run's steps with their times and log. Draws only what `update` prepared.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use unicode_width::UnicodeWidthStr;

use super::text::{truncate, truncate_start};
use super::theme::{Role, Theme};
use super::widgets::{input_line, panel};
use flightdeck_core::keymap::Action;
use flightdeck_core::model::create::screen::{Stage, StepState, shown_default};
use flightdeck_core::model::create::{Field, FieldKind, Picker, RunEnd, Template};
use flightdeck_core::model::input::TextInput;
use flightdeck_core::model::time::duration;
use flightdeck_core::model::{Model, Screen};

/// Choices shown under a picker field at most.
const CHOICES_SHOWN: usize = 6;

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    match model.create.stage {
        Stage::Pick => draw_pick(model, theme, frame, area),
        Stage::Form => draw_form(model, theme, frame, area),
        Stage::Review => draw_review(model, theme, frame, area),
        Stage::Run => draw_run(model, theme, frame, area),
    }
}

fn template(model: &Model) -> Option<&Template> {
    let form = model.create.form.as_ref()?;
    model.create.templates.as_ref()?.get(form.template)
}

fn draw_pick(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let st = &model.create;
    let Some(templates) = &st.templates else {
        let block = panel(" Create ", true, theme);
        let line = Line::styled("Reading the templates…", theme.style(Role::Muted));
        frame.render_widget(Paragraph::new(line).block(block), area);
        return;
    };
    let list = model.list(Screen::Create);
    let title = format!(" Create · {} templates ", templates.len());
    let block = panel(title, true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let problems = st.problems.len().min(4) as u16;
    let rest = super::widgets::filter_line(list, inner, theme, frame);
    let [rows_area, problems_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(problems)]).areas(rest);
    let width = usize::from(rows_area.width);
    let mut lines: Vec<Line> = Vec::new();
    if templates.is_empty() {
        lines.push(Line::styled(
            "No templates: the catalog has no `kind: Template` entity.",
            theme.style(Role::Text),
        ));
        lines.push(Line::styled(
            format!("The Create screen needs {}.", Screen::Create.needs()),
            theme.style(Role::Muted),
        ));
        lines.push(Line::styled(
            "docs/templates.md says how to write one.",
            theme.style(Role::Muted),
        ));
    }
    let name_width = 24.min(width / 3);
    for (row, i) in st
        .matches
        .iter()
        .enumerate()
        .skip(list.cursor.offset)
        .take(usize::from(rows_area.height))
    {
        let Some(t) = templates.get(*i) else {
            continue;
        };
        let about = t
            .description
            .as_deref()
            .map(|d| d.lines().next().unwrap_or_default())
            .unwrap_or_default();
        let rest = format!(
            "{}{}{}",
            t.display_name(),
            if about.is_empty() { "" } else { " — " },
            about
        );
        let line = Line::from(vec![
            Span::styled(
                format!(" {:<name_width$} ", truncate(&t.name, name_width)),
                theme.style(Role::Accent),
            ),
            Span::styled(
                truncate(&rest, width.saturating_sub(name_width + 2)).into_owned(),
                theme.style(Role::Text),
            ),
        ]);
        lines.push(if row == list.cursor.selected {
            line.style(theme.style(Role::Selection))
        } else {
            line
        });
    }
    frame.render_widget(Paragraph::new(lines), rows_area);
    let problem_lines: Vec<Line> = st
        .problems
        .iter()
        .take(usize::from(problems))
        .map(|p| Line::styled(truncate(p, width).into_owned(), theme.style(Role::Warning)))
        .collect();
    frame.render_widget(Paragraph::new(problem_lines), problems_area);
}

fn draw_form(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let (Some(form), Some(t)) = (model.create.form.as_ref(), template(model)) else {
        return;
    };
    let Some(page) = t.pages.get(form.page) else {
        return;
    };
    let title = format!(
        " Create · {} · page {}/{}: {} ",
        t.display_name(),
        form.page + 1,
        t.pages.len(),
        page.title
    );
    let block = panel(title, true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let before: usize = t.pages.iter().take(form.page).map(|p| p.fields.len()).sum();
    let mut y = inner.y;
    let bottom = inner.y + inner.height;
    if let Some(d) = &page.description {
        frame.render_widget(
            Line::styled(truncate(d, width).into_owned(), theme.style(Role::Muted)),
            Rect::new(inner.x, y, inner.width, 1),
        );
        y += 2;
    }
    for (k, field) in page.fields.iter().enumerate() {
        if y + 2 > bottom {
            break;
        }
        let i = before + k;
        let focused = k == form.field;
        let mark = if field.required { " *" } else { "" };
        let kind = match (&field.kind, &field.picker) {
            (_, Some(Picker::Owner { .. })) => "an owner from the catalog".into(),
            (_, Some(Picker::Entity { .. })) => "an entity from the catalog".into(),
            (_, Some(Picker::RepoUrl { .. })) => "host?owner=o&repo=r".into(),
            (_, Some(Picker::Other(name))) => name.clone(),
            (FieldKind::Enum(_), _) => "one of".into(),
            (FieldKind::Boolean, _) => "yes/no".into(),
            (FieldKind::Integer | FieldKind::Number, _) => "number".into(),
            (FieldKind::StringArray, _) => "a,b,c".into(),
            (FieldKind::String, _) if field.multiline => {
                // Where the cursor is among the lines, since the box shows only some of them,
                // and the key that accepts the page here, where `enter` starts a line.
                let lines = form.inputs.get(i).map_or(1, TextInput::line_count);
                let row = form.inputs.get(i).map_or(0, |t| t.row_col().0);
                let submit = model
                    .keymap
                    .keys(Action::TextAreaSubmit)
                    .first()
                    .filter(|_| focused)
                    .map(|k| format!(" · {k} accepts"))
                    .unwrap_or_default();
                format!("text, line {}/{lines}{submit}", row + 1)
            }
            (FieldKind::String, _) => String::new(),
        };
        let label_role = if focused { Role::Accent } else { Role::Text };
        frame.render_widget(
            Line::from(vec![
                Span::styled(
                    format!("{}{mark}", field.label()),
                    theme.style(label_role).add_modifier(Modifier::BOLD),
                ),
                Span::styled(format!("  {kind}"), theme.style(Role::Muted)),
            ]),
            Rect::new(inner.x, y, inner.width, 1),
        );
        y += 1;
        match form.inputs.get(i) {
            Some(input) if input.is_multiline() => {
                // A textarea shows its `rows` lines from its first shown line; the rest scrolls.
                let rows = field.rows.min(usize::from(bottom.saturating_sub(y)));
                let area = Rect::new(inner.x, y, inner.width, rows as u16);
                textarea(input, field, focused, theme, frame, area);
                y += rows as u16;
            }
            input => {
                let row = Rect::new(inner.x, y, inner.width, 1);
                one_line(input, field, focused, theme, frame, row);
                y += 1;
            }
        }
        let note = match form.errors.get(i).and_then(Option::as_ref) {
            Some(e) => Some((e.clone(), Role::Critical)),
            None if focused => field
                .help
                .clone()
                .or_else(|| field.description.clone())
                .map(|h| (h, Role::Muted)),
            None => None,
        };
        if let Some((text, role)) = note
            && y < bottom
        {
            frame.render_widget(
                Line::styled(format!("  {}", truncate(&text, width)), theme.style(role)),
                Rect::new(inner.x, y, inner.width, 1),
            );
            y += 1;
        }
        if focused && !form.matching.is_empty() {
            for c in form.matching.iter().take(CHOICES_SHOWN) {
                if y >= bottom {
                    break;
                }
                frame.render_widget(
                    Line::styled(format!("    {c}"), theme.style(Role::Info)),
                    Rect::new(inner.x, y, inner.width, 1),
                );
                y += 1;
            }
        }
        y += 1;
    }
}

/// A one-line field: its default while empty and not focused, else its text.
fn one_line(
    input: Option<&TextInput>,
    field: &Field,
    focused: bool,
    theme: &Theme,
    frame: &mut Frame,
    row: Rect,
) {
    let width = usize::from(row.width);
    match input {
        Some(input) if input.is_empty() && !focused => {
            let shown = field
                .default
                .as_ref()
                .map(|d| format!("  {} (default)", shown_default(d)))
                .unwrap_or_default();
            frame.render_widget(Line::styled(shown, theme.style(Role::Muted)), row);
        }
        Some(input) if focused => input_line("> ", input, true, theme, frame, row),
        Some(input) => frame.render_widget(
            Line::from(vec![
                Span::styled("> ", theme.style(Role::Muted)),
                Span::styled(
                    truncate(input.text(), width.saturating_sub(2)).into_owned(),
                    theme.style(Role::Text),
                ),
            ]),
            row,
        ),
        None => {}
    }
}

/// A multi-line field: the lines its box shows, a bar down the left, the cursor on its line,
/// and the default while it is empty and not focused.
fn textarea(
    input: &TextInput,
    field: &Field,
    focused: bool,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let width = usize::from(area.width).saturating_sub(2);
    let bar = Span::styled(
        "│ ",
        theme.style(if focused { Role::Key } else { Role::Muted }),
    );
    if input.is_empty() && !focused {
        let shown = field
            .default
            .as_ref()
            .map(|d| format!("{} (default)", shown_default(d)))
            .unwrap_or_default();
        frame.render_widget(
            Line::from(vec![
                bar,
                Span::styled(
                    truncate(&shown, width).into_owned(),
                    theme.style(Role::Muted),
                ),
            ]),
            Rect::new(area.x, area.y, area.width, area.height.min(1)),
        );
        return;
    }
    let (row, col) = input.row_col();
    for (k, line) in input
        .lines()
        .enumerate()
        .skip(input.top())
        .take(usize::from(area.height))
    {
        let y = area.y + (k - input.top()) as u16;
        let mut spans = vec![bar.clone()];
        if focused && k == row {
            // The cursor's cell, shown as the one-line input shows it.
            let split = line.char_indices().nth(col).map_or(line.len(), |(i, _)| i);
            let (before, after) = line.split_at(split);
            let mut rest = after.chars();
            let under = rest.next().map_or(" ".to_string(), |c| c.to_string());
            // What is just before the cursor says more than the line's start.
            let before = truncate_start(before, width.saturating_sub(1)).into_owned();
            let room = width.saturating_sub(before.width() + 1);
            spans.push(Span::styled(before, theme.style(Role::Text)));
            spans.push(Span::styled(under, theme.style(Role::Selection)));
            spans.push(Span::styled(
                truncate(rest.as_str(), room).into_owned(),
                theme.style(Role::Text),
            ));
        } else {
            spans.push(Span::styled(
                truncate(line, width).into_owned(),
                theme.style(Role::Text),
            ));
        }
        frame.render_widget(Line::from(spans), Rect::new(area.x, y, area.width, 1));
    }
}

fn draw_review(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let name = template(model).map_or("", |t| t.display_name());
    let block = panel(format!(" Create · {name} · review "), true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let p = match &model.create.review {
        None => {
            let line = Line::styled(
                "Checking the values and building the files (a dry run: nothing is created)…",
                theme.style(Role::Muted),
            );
            frame.render_widget(Paragraph::new(line), inner);
            return;
        }
        Some(Err(errors)) => {
            let mut lines = vec![Line::styled(
                "Refused: nothing would be created. esc goes back to the form.",
                theme.style(Role::Critical),
            )];
            lines.extend(
                errors
                    .iter()
                    .map(|e| Line::styled(format!("  {e}"), theme.style(Role::Text))),
            );
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
            return;
        }
        Some(Ok(p)) => p,
    };
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(inner);
    let half = usize::from(left.width);
    let head = |s: &str| Line::styled(s.to_string(), theme.style(Role::Header));
    let text = |s: String| Line::styled(truncate(&s, half).into_owned(), theme.style(Role::Text));
    let mut lines = vec![head("Values")];
    lines.extend(p.values.iter().map(|(k, v)| text(format!("  {k} = {v}"))));
    lines.push(head("Creates"));
    lines.extend(
        p.repositories
            .iter()
            .map(|r| text(format!("  repository {r}"))),
    );
    if let Some(c) = &p.catalog {
        lines.push(text(format!("  catalog entry {c}")));
    }
    lines.push(head("Steps"));
    lines.extend(
        p.steps
            .iter()
            .map(|(id, name, action)| text(format!("  {id}: {name} ({action})"))),
    );
    frame.render_widget(Paragraph::new(lines), left);

    let height = usize::from(right.height.saturating_sub(1));
    let cursor = model.create.review_cursor;
    let offset = cursor.saturating_sub(height.saturating_sub(1));
    let mut tree = vec![head(&format!("Files ({})", p.files.len()))];
    for (i, (line, file)) in p.tree.iter().enumerate().skip(offset).take(height) {
        let size = file
            .and_then(|f| p.files.get(f))
            .map(|f| format!("  {} B", f.bytes))
            .unwrap_or_default();
        let l = Line::from(vec![
            Span::styled(
                truncate(line, usize::from(right.width).saturating_sub(size.len())).into_owned(),
                theme.style(Role::Text),
            ),
            Span::styled(size, theme.style(Role::Muted)),
        ]);
        tree.push(if i == cursor {
            l.style(theme.style(Role::Selection))
        } else {
            l
        });
    }
    frame.render_widget(Paragraph::new(tree), right);
}

fn draw_run(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(run) = &model.create.run else {
        return;
    };
    let block = panel(format!(" Create · {} · run ", run.template), true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let mut lines: Vec<Line> = Vec::new();
    for (i, s) in run.steps.iter().enumerate() {
        let (mark, role, time) = match s.state {
            StepState::Waiting => ("·", Role::Muted, String::new()),
            StepState::Running => ("…", Role::Running, String::new()),
            StepState::Done { millis } => ("✓", Role::Ok, format!("  {millis} ms")),
            StepState::Skipped => ("-", Role::Muted, "  skipped (if: false)".into()),
            StepState::Reused => ("✓", Role::Ok, "  done before, reused".into()),
            StepState::Failed => ("✗", Role::Critical, "  failed".into()),
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {mark} "), theme.style(role)),
            Span::styled(
                format!("[{}/{}] {} ({})", i + 1, run.steps.len(), s.name, s.action),
                theme.style(Role::Text),
            ),
            Span::styled(time, theme.style(Role::Muted)),
        ]));
    }
    lines.push(Line::default());
    match &run.end {
        None => {}
        Some(RunEnd::Created { links, created }) => {
            lines.push(Line::styled(
                "Created. The catalog and CI are read again: the service is in the cockpit.",
                theme.style(Role::Ok),
            ));
            for c in created {
                lines.push(Line::styled(format!("  {c}"), theme.style(Role::Text)));
            }
            for (title, to) in links {
                lines.push(Line::styled(
                    format!("  {title}: {to}"),
                    theme.style(Role::Link),
                ));
            }
            if !run.road.is_empty() {
                lines.push(Line::styled(
                    "Road to production (time since the request)",
                    theme.style(Role::Header),
                ));
            }
            for m in &run.road {
                let (mark, role, when) = match (m.reached, run.started) {
                    (Some(at), Some(start)) => {
                        ("✓", Role::Ok, format!("  {}", duration(at - start)))
                    }
                    (Some(_), None) => ("✓", Role::Ok, String::new()),
                    (None, _) => ("·", Role::Muted, "  waiting".to_string()),
                };
                lines.push(Line::from(vec![
                    Span::styled(format!(" {mark} "), theme.style(role)),
                    Span::styled(m.label.clone(), theme.style(Role::Text)),
                    Span::styled(when, theme.style(Role::Muted)),
                ]));
            }
        }
        Some(RunEnd::Failed {
            step,
            error,
            done,
            created,
            resumable,
        }) => {
            lines.push(Line::styled(
                format!("Step {step} failed: {error}"),
                theme.style(Role::Critical),
            ));
            lines.push(Line::styled(
                if done.is_empty() {
                    "No step had finished.".to_string()
                } else {
                    format!("Done: {}", done.join(", "))
                },
                theme.style(Role::Text),
            ));
            if created.is_empty() {
                lines.push(Line::styled(
                    "Nothing was created elsewhere.",
                    theme.style(Role::Text),
                ));
            } else {
                lines.push(Line::styled("Already created:", theme.style(Role::Text)));
                for c in created {
                    lines.push(Line::styled(format!("  {c}"), theme.style(Role::Text)));
                }
            }
            if *resumable {
                let key = model
                    .keymap
                    .keys(flightdeck_core::keymap::Action::CreateResume)
                    .first()
                    .map_or_else(|| "create-resume".to_string(), ToString::to_string);
                lines.push(Line::styled(
                    format!("{key} resumes from the failed step; done steps are not redone."),
                    theme.style(Role::Muted),
                ));
            }
        }
        Some(RunEnd::Refused(reasons)) => {
            lines.push(Line::styled(
                "Refused: nothing was created.",
                theme.style(Role::Warning),
            ));
            for r in reasons {
                lines.push(Line::styled(format!("  {r}"), theme.style(Role::Text)));
            }
        }
    }
    let room = usize::from(inner.height).saturating_sub(lines.len() + 1);
    if room > 0 && !run.log.is_empty() {
        lines.push(Line::styled("Log", theme.style(Role::Header)));
        let skip = run.log.len().saturating_sub(room);
        lines.extend(run.log.iter().skip(skip).map(|l| {
            Line::styled(
                format!("  {}", truncate(l, width.saturating_sub(2))),
                theme.style(Role::Muted),
            )
        }));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
