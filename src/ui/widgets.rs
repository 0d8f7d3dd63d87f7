//! Pieces shared by the screens: overlays (help, palette), the one-line input, centring.

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use flightdeck_core::keymap::{Action, Key, KeyCode, Keymap, Layer};
use flightdeck_core::model::palette::PALETTE_ROWS;
use flightdeck_core::model::{Confirm, ListView, Model, Palette, TextInput};
use flightdeck_core::update::layers;

use super::text::{fit, truncate};
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

/// Splits a list's filter line off the bottom of `area` and draws it there, while the filter is
/// typed or holds text (otherwise the line takes no room); the rest is the list's.
pub fn filter_line(list: &ListView, area: Rect, theme: &Theme, frame: &mut Frame) -> Rect {
    let shown = list.filtering || !list.filter.is_empty();
    let [rest, line] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(u16::from(shown))]).areas(area);
    if shown {
        input_line("/", &list.filter, list.filtering, theme, frame, line);
    }
    rest
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

/// The widest key cell in the help: a longer list shows the keys that fit and `…`, so one action
/// with many keys does not squeeze every description (docs/keybindings.md lists them all).
const HELP_KEYS_WIDTH: usize = 14;

fn help_keys(keys: &[Key]) -> String {
    use unicode_width::UnicodeWidthStr;
    let mut cell = String::new();
    for (i, key) in keys.iter().enumerate() {
        let key = key.to_string();
        let joined = if cell.is_empty() {
            key
        } else {
            format!("{cell} {key}")
        };
        // Room for ` …` unless this is the last key.
        let room = if i + 1 < keys.len() {
            HELP_KEYS_WIDTH - 2
        } else {
            HELP_KEYS_WIDTH
        };
        if joined.width() > room {
            return if cell.is_empty() {
                truncate(&joined, HELP_KEYS_WIDTH).into_owned()
            } else {
                format!("{cell} …")
            };
        }
        cell = joined;
    }
    if cell.is_empty() {
        cell.push_str("(unbound)");
    }
    cell
}

/// The help overlay, generated from the live keymap so it never drifts from what keys do.
pub fn help(model: &Model, scroll: usize, theme: &Theme, frame: &mut Frame, area: Rect) {
    use unicode_width::UnicodeWidthStr;
    let sections = model.keymap.help_for(layers(model));
    let rows: Vec<(String, &str, &str)> = sections
        .iter()
        .flat_map(|(_, actions)| actions)
        .map(|(action, keys)| (help_keys(keys), action.name(), action.description()))
        .collect();
    // Columns as wide as their widest cell (by display width), two spaces apart, so a long key
    // list or name never runs into the next column; only the description is cut.
    let key_width = rows.iter().map(|r| r.0.width()).max().unwrap_or(0);
    let name_width = rows.iter().map(|r| r.1.width()).max().unwrap_or(0);
    let rect = centered(area, 110, area.height.saturating_sub(2));
    let text_width = usize::from(rect.width.saturating_sub(2));
    let description_width = text_width.saturating_sub(2 + key_width + 2 + name_width + 2);
    let mut lines = Vec::new();
    let mut rows = rows.into_iter();
    for (layer, actions) in &sections {
        if actions.is_empty() {
            continue;
        }
        if !lines.is_empty() {
            lines.push(Line::default());
        }
        let title = match layer {
            Layer::Global => String::from("global (every screen)"),
            other => other.title().to_string(),
        };
        lines.push(Line::styled(title, theme.style(Role::Title)));
        for (keys, name, description) in rows.by_ref().take(actions.len()) {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {}  ", fit(&keys, key_width)),
                    theme.style(Role::Key),
                ),
                Span::styled(
                    format!("{}  ", fit(name, name_width)),
                    theme.style(Role::Muted),
                ),
                Span::styled(
                    truncate(description, description_width).into_owned(),
                    theme.style(Role::Text),
                ),
            ]));
        }
    }
    // No taller than what it lists.
    let rect = centered(
        area,
        rect.width,
        rect.height
            .min(u16::try_from(lines.len() + 2).unwrap_or(u16::MAX)),
    );
    let visible = usize::from(rect.height.saturating_sub(2));
    let last = lines.len().saturating_sub(visible);
    let scroll = scroll.min(last);
    let title = if last == 0 {
        String::from(" keys (esc closes) ")
    } else {
        format!(
            " keys {}-{} of {} (j/k pgdn/pgup scroll, esc closes) ",
            scroll + 1,
            (scroll + visible).min(lines.len()),
            lines.len()
        )
    };
    let shown: Vec<Line> = lines.into_iter().skip(scroll).take(visible).collect();
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(shown).block(panel(title, true, theme)), rect);
}

/// Hints for a view whose actions act on something particular (an alert's runbook): each
/// action's first key from the keymap, with the words given; unbound actions are left out.
pub fn action_hints<'a>(model: &Model, items: &[(Action, &str)], theme: &Theme) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    for (action, what) in items {
        let Some(key) = model.keymap.keys(*action).first() else {
            continue;
        };
        let sep = if spans.is_empty() { " " } else { " · " };
        spans.push(Span::styled(sep, theme.style(Role::Muted)));
        spans.push(Span::styled(key.to_string(), theme.style(Role::Key)));
        spans.push(Span::styled(format!(" {what}"), theme.style(Role::Muted)));
    }
    spans
}

/// The answers a popup takes (a question's, the tour's), from the keymap: each action's first
/// `most` keys, `/` between them (an upper-case letter beside its lower-case one is not
/// repeated), and its label.
pub fn answers<'a>(keymap: &Keymap, layer: Layer, most: usize, theme: &Theme) -> Line<'a> {
    let mut spans = vec![Span::raw(" ")];
    for (i, &action) in layer.hints().iter().enumerate() {
        let keys = keymap.keys(action);
        let shown: Vec<String> = keys
            .iter()
            .filter(|k| match k.code {
                KeyCode::Char(c) if c.is_ascii_uppercase() => {
                    !keys.contains(&Key::char(c.to_ascii_lowercase()))
                }
                _ => true,
            })
            .take(most)
            .map(|k| k.to_string())
            .collect();
        if shown.is_empty() {
            continue;
        }
        if i > 0 {
            spans.push(Span::raw("   "));
        }
        for (j, key) in shown.into_iter().enumerate() {
            if j > 0 {
                spans.push(Span::styled("/", theme.style(Role::Muted)));
            }
            spans.push(Span::styled(key, theme.style(Role::Key)));
        }
        spans.push(Span::styled(
            format!(" {}", action.label()),
            theme.style(Role::Muted),
        ));
    }
    Line::from(spans)
}

/// The footer hints of the current screen, from the keymap: each hinted action's first key and
/// its label, as many as fit in `width` columns.
pub fn key_hints<'a>(model: &Model, width: usize, theme: &Theme) -> Line<'a> {
    use unicode_width::UnicodeWidthStr;
    let mut spans = Vec::new();
    let mut used = 0;
    for (_, key, label) in model.keymap.hints(layers(model)) {
        let gap = if spans.is_empty() { 1 } else { 3 };
        let need = gap + key.width() + 1 + label.width();
        if used + need > width {
            break;
        }
        used += need;
        let sep = if spans.is_empty() { " " } else { " · " };
        spans.push(Span::styled(sep, theme.style(Role::Muted)));
        spans.push(Span::styled(key, theme.style(Role::Key)));
        spans.push(Span::styled(format!(" {label}"), theme.style(Role::Muted)));
    }
    Line::from(spans)
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
pub fn confirm(c: &Confirm, keymap: &Keymap, theme: &Theme, frame: &mut Frame, area: Rect) {
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
    // `y` and `n/esc`: the key that cancels from any popup is worth showing too.
    body.push(answers(keymap, Layer::Confirm, 2, theme));
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
