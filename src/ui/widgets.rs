//! Pieces shared by the screens: overlays (help, palette), the one-line input, centring.

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use flightdeck_core::model::palette::PALETTE_ROWS;
use flightdeck_core::model::{Confirm, Model, Palette, TextInput};

use super::theme::{Role, Theme};

/// A bordered panel titled `title`; the border of the one with the keyboard stands out.
pub fn panel<'a>(title: impl Into<Cow<'a, str>>, focused: bool, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(if focused {
            Role::BorderFocused
        } else {
            Role::Border
        }))
        .title(Span::styled(title, theme.style(Role::Title)))
}

/// A rectangle of at most `width` x `height`, centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// `prompt` and the input's text, with a visible cursor while it has the keyboard.
pub fn input_line(
    prompt: &str,
    input: &TextInput,
    focused: bool,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let text = input.text();
    let split = text
        .char_indices()
        .nth(input.cursor())
        .map_or(text.len(), |(i, _)| i);
    let (before, after) = text.split_at(split);
    let mut spans = vec![
        Span::styled(prompt.to_string(), theme.style(Role::Key)),
        Span::styled(before.to_string(), theme.style(Role::Text)),
    ];
    if focused {
        let mut rest = after.chars();
        let under = rest.next().map_or(" ".to_string(), |c| c.to_string());
        spans.push(Span::styled(under, theme.style(Role::Selection)));
        spans.push(Span::styled(
            rest.as_str().to_string(),
            theme.style(Role::Text),
        ));
    } else {
        spans.push(Span::styled(after.to_string(), theme.style(Role::Text)));
        spans.push(Span::styled(
            "  (filter; / edit, esc clear)",
            theme.style(Role::Muted),
        ));
    }
    frame.render_widget(Line::from(spans), area);
}

/// The help overlay, generated from the live keymap so it never drifts from what keys do.
pub fn help(model: &Model, scroll: usize, theme: &Theme, frame: &mut Frame, area: Rect) {
    let mut lines = Vec::new();
    let mut group = "";
    for (action, keys) in model.keymap.help() {
        if action.group() != group {
            group = action.group();
            if !lines.is_empty() {
                lines.push(Line::default());
            }
            lines.push(Line::styled(group.to_string(), theme.style(Role::Title)));
        }
        let keys = keys
            .iter()
            .map(|k| k.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        lines.push(Line::from(vec![
            Span::styled(format!("  {keys:<14}"), theme.style(Role::Key)),
            Span::styled(format!("{:<16}", action.name()), theme.style(Role::Muted)),
            Span::styled(action.description().to_string(), theme.style(Role::Text)),
        ]));
    }
    let rect = centered(area, 96, area.height.saturating_sub(2));
    let visible = usize::from(rect.height.saturating_sub(2));
    let scroll = scroll.min(lines.len().saturating_sub(visible));
    let shown: Vec<Line> = lines.into_iter().skip(scroll).take(visible).collect();
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(shown).block(panel(" keys (esc closes, j/k scroll) ", true, theme)),
        rect,
    );
}

/// The `:` palette: the query, then the best matches.
pub fn palette(p: &Palette, theme: &Theme, frame: &mut Frame, area: Rect) {
    let height = (PALETTE_ROWS as u16 + 3).min(area.height);
    let rect = Rect {
        y: area.y + 1,
        ..centered(area, 70, height)
    };
    frame.render_widget(Clear, rect);
    let block = panel(" go to ", true, theme);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [query, rows] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    input_line(": ", &p.input, true, theme, frame, query);
    let visible = usize::from(rows.height);
    let lines: Vec<Line> = p
        .matches
        .iter()
        .enumerate()
        .skip(p.cursor.offset)
        .take(visible)
        .filter_map(|(row, i)| p.items.get(*i).map(|item| (row, item)))
        .map(|(row, item)| {
            let style = if row == p.cursor.selected {
                theme.style(Role::Selection)
            } else {
                theme.style(Role::Text)
            };
            Line::from(vec![
                Span::styled(format!(" {:<48}", item.label), style),
                Span::styled(format!(" {}", item.kind), theme.style(Role::Muted)),
            ])
        })
        .collect();
    if lines.is_empty() {
        frame.render_widget(Line::styled(" no match", theme.style(Role::Muted)), rows);
    } else {
        frame.render_widget(Paragraph::new(lines), rows);
    }
}

/// The confirmation of an action that changes something elsewhere: what it will do, and y/n.
/// Its lines wrap rather than being cut: a silence's matchers or the run a cancel stops are
/// what the user is agreeing to. Past the screen's height it keeps the answer line and says
/// how many lines it could not show.
pub fn confirm(c: &Confirm, theme: &Theme, frame: &mut Frame, area: Rect) {
    use unicode_width::UnicodeWidthStr;
    let title = format!(" {} ? ", c.title);
    let longest = c.lines.iter().map(|l| l.width() + 3).max().unwrap_or(0);
    let width = longest
        .max(title.width() + 4)
        .clamp(CONFIRM_MIN_WIDTH, CONFIRM_MAX_WIDTH)
        .min(usize::from(area.width));
    let text_w = width.saturating_sub(3).max(1);
    let mut body: Vec<Line> = Vec::new();
    // A title wider than the border is said again, whole, in the body.
    if title.width() + 2 > width {
        for part in super::text::wrap(&c.title, text_w) {
            body.push(Line::styled(format!(" {part}"), theme.style(Role::Warning)));
        }
    }
    for l in &c.lines {
        for part in super::text::wrap(l, text_w) {
            body.push(Line::styled(format!(" {part}"), theme.style(Role::Text)));
        }
    }
    let room = usize::from(area.height).saturating_sub(4);
    if body.len() > room {
        let hidden = body.len() + 1 - room;
        body.truncate(room.saturating_sub(1));
        body.push(Line::styled(
            format!(" … {hidden} more lines; a taller terminal shows them"),
            theme.style(Role::Muted),
        ));
    }
    body.push(Line::default());
    body.push(Line::from(vec![
        Span::styled(" y", theme.style(Role::Key)),
        Span::styled(" do it   ", theme.style(Role::Muted)),
        Span::styled("n", theme.style(Role::Key)),
        Span::styled("/", theme.style(Role::Muted)),
        Span::styled("esc", theme.style(Role::Key)),
        Span::styled(" cancel", theme.style(Role::Muted)),
    ]));
    let height = u16::try_from(body.len() + 2).unwrap_or(u16::MAX);
    let rect = centered(area, u16::try_from(width).unwrap_or(u16::MAX), height);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(body).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.style(Role::Warning))
                .title(Span::styled(title, theme.style(Role::Warning))),
        ),
        rect,
    );
}

/// The confirmation's width: no narrower than it was, so short questions look as before, and
/// no wider than a comfortable line at 200 columns.
const CONFIRM_MIN_WIDTH: usize = 72;
const CONFIRM_MAX_WIDTH: usize = 110;
