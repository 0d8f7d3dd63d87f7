//! The Docs screen: every service's navigation tree beside the page in the viewer. The page is
//! laid out in `update`; this draws only the visible lines (as `markdown_line` styles them),
//! marking search matches and the chosen link.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::markdown_line;
use super::text::{fit, truncate};
use super::theme::{Role, Theme};
use flightdeck_core::keymap::Action;
use flightdeck_core::model::docs::{Focus, NavRow, NavTarget, OpenPage, nav_width};
use flightdeck_core::model::{Model, Screen};

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let docs = &model.docs;
    if docs.sites.is_empty() && docs.open.is_none() {
        if docs.errors.is_empty() {
            super::empty_state(model, Screen::Docs, theme, frame, area);
        } else {
            draw_errors(model, theme, frame, area);
        }
        return;
    }
    let nav_w = nav_width((area.width, area.height)).min(area.width / 2);
    let [nav, page] =
        Layout::horizontal([Constraint::Length(nav_w), Constraint::Fill(1)]).areas(area);
    draw_nav(model, theme, frame, nav);
    draw_page(model, theme, frame, page);
}

fn draw_errors(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let block = super::widgets::panel(" Docs ", true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = vec![Line::styled(
        "No docs could be read:",
        theme.style(Role::Text),
    )];
    for (service, error) in model
        .docs
        .errors
        .iter()
        .take(usize::from(inner.height.saturating_sub(1)))
    {
        lines.push(Line::from(vec![
            Span::styled(format!("  {service}: "), theme.style(Role::Text)),
            Span::styled(error.clone(), theme.style(Role::Critical)),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_nav(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let docs = &model.docs;
    let list = model.list(Screen::Docs);
    let focused = docs.focus == Focus::Nav || docs.open.is_none();
    let title = if list.filter.is_empty() {
        format!(" Docs · {} ", docs.sites.len())
    } else {
        format!(" Docs · {} found ", docs.rows.len())
    };
    let block = super::widgets::panel(title, focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows_area = super::widgets::filter_line(list, inner, theme, frame);
    let width = usize::from(rows_area.width);
    let height = usize::from(rows_area.height);
    let open = docs.open.as_ref();
    let mut lines = Vec::with_capacity(height);
    for (i, row) in docs
        .rows
        .iter()
        .enumerate()
        .skip(list.cursor.offset)
        .take(height)
    {
        let selected = i == list.cursor.selected;
        let (text, role) = match row {
            NavRow::Site { site } => {
                let s = &docs.sites[*site];
                (format!("▾ {}", s.name), Role::Title)
            }
            NavRow::Entry { site, entry } => {
                let s = &docs.sites[*site];
                let e = &s.nav[*entry];
                let indent = "  ".repeat(usize::from(e.depth) + 1);
                match &e.target {
                    NavTarget::Page(path) => {
                        let here = open.is_some_and(|o| o.service == s.service && &o.path == path);
                        let mark = if here { "● " } else { "" };
                        (
                            format!("{indent}{mark}{}", e.title),
                            if here { Role::Accent } else { Role::Text },
                        )
                    }
                    NavTarget::Section => (format!("{indent}{}", e.title), Role::Header),
                    NavTarget::External(_) => (format!("{indent}↗ {}", e.title), Role::Link),
                }
            }
            NavRow::Hit {
                site, page, why, ..
            } => {
                let s = &docs.sites[*site];
                let p = &s.pages[*page];
                (format!("{} › {} · {why}", s.name, p.title), Role::Text)
            }
        };
        let style = if selected && focused {
            theme.style(Role::Selection)
        } else if selected {
            theme.style(role).add_modifier(Modifier::REVERSED)
        } else {
            theme.style(role)
        };
        let mut text = truncate(&text, width).into_owned();
        let pad = width.saturating_sub(unicode_width::UnicodeWidthStr::width(text.as_str()));
        if selected {
            text.push_str(&" ".repeat(pad));
        }
        lines.push(Line::styled(text, style));
    }
    if lines.is_empty() && !list.filter.is_empty() {
        lines.push(Line::styled("no page matches", theme.style(Role::Muted)));
    }
    frame.render_widget(Paragraph::new(lines), rows_area);
}

fn draw_page(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let docs = &model.docs;
    let Some(open) = &docs.open else {
        let block = super::widgets::panel(" Page ", false, theme);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let key = theme.style(Role::Key);
        let muted = theme.style(Role::Muted);
        let mut lines = vec![
            Line::styled("Choose a page on the left.", theme.style(Role::Text)),
            Line::default(),
        ];
        for (action, what) in [
            (Action::Open, "open the page"),
            (Action::NextPanel, "switch between the tree and the page"),
            (Action::Filter, "find pages by title, heading or text"),
            (
                Action::Palette,
                "jump to any page or heading of any service",
            ),
            (Action::Edit, "edit the page in $EDITOR"),
        ] {
            let Some(k) = model.keymap.keys(action).first() else {
                continue;
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {}", fit(&k.to_string(), 8)), key),
                Span::styled(what, muted),
            ]));
        }
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    };
    let focused = docs.focus == Focus::Page;
    let site_name = docs
        .site(&open.service)
        .map_or(open.service.as_str(), |s| s.site_name.as_str());
    let block = super::widgets::panel(format!(" {} › {} ", site_name, open.title), focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let [text_area, bar] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(1)]).areas(body);

    let total = open.layout.lines.len();
    let height = usize::from(text_area.height);
    let percent = if total <= height {
        100
    } else {
        (open.scroll + height).min(total) * 100 / total
    };
    let position = format!(
        "{}–{}/{} {percent}%",
        open.scroll + 1,
        (open.scroll + height).min(total),
        total
    );
    let [path_area, pos_area] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(position.len() as u16 + 1),
    ])
    .areas(header);
    frame.render_widget(
        Line::styled(
            truncate(&open.path, usize::from(path_area.width)),
            theme.style(Role::Muted),
        ),
        path_area,
    );
    frame.render_widget(
        Line::styled(position, theme.style(Role::Muted)).right_aligned(),
        pos_area,
    );

    let hits = &docs.search.hits;
    let current = hits.get(docs.search.current).copied();
    let selected_link = open.link.map(|i| i as u32 + 1);
    let first_hit = hits.partition_point(|h| h.0 < open.scroll);
    let mut h = first_hit;
    let mut lines = Vec::with_capacity(height);
    for (n, line) in open
        .layout
        .lines
        .iter()
        .enumerate()
        .skip(open.scroll)
        .take(height)
    {
        let start = h;
        while h < hits.len() && hits[h].0 == n {
            h += 1;
        }
        lines.push(markdown_line::styled(
            line,
            &hits[start..h],
            current,
            selected_link,
            theme,
        ));
    }
    frame.render_widget(Paragraph::new(lines), text_area);
    draw_scrollbar(open, theme, frame, bar);
    draw_footer(model, theme, frame, footer);
}

fn draw_scrollbar(open: &OpenPage, theme: &Theme, frame: &mut Frame, area: Rect) {
    let total = open.layout.lines.len();
    let height = usize::from(area.height);
    if total <= height || height == 0 {
        return;
    }
    let thumb = (height * height / total).max(1);
    let top = (open.scroll * (height - thumb)) / total.saturating_sub(height).max(1);
    let lines: Vec<Line> = (0..height)
        .map(|i| {
            if (top..top + thumb).contains(&i) {
                Line::styled("┃", theme.style(Role::BorderFocused))
            } else {
                Line::styled("│", theme.style(Role::Border))
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

fn first_key(model: &Model, action: Action) -> String {
    model
        .keymap
        .keys(action)
        .first()
        .map(|k| k.to_string())
        .unwrap_or_default()
}

fn draw_footer(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let search = &model.docs.search;
    if search.typing {
        super::widgets::input_line("search: ", &search.input, true, theme, frame, area);
        return;
    }
    let key = theme.style(Role::Key);
    let muted = theme.style(Role::Muted);
    let spans = if !search.input.is_empty() {
        let found = if search.hits.is_empty() {
            "not found".to_string()
        } else {
            format!("{}/{}", search.current + 1, search.hits.len())
        };
        vec![
            Span::styled(
                format!("/{} ", search.input.text()),
                theme.style(Role::Input),
            ),
            Span::styled(format!("{found}  "), muted),
            Span::styled(first_key(model, Action::FindNext), key),
            Span::styled("/", muted),
            Span::styled(first_key(model, Action::FindPrev), key),
            Span::styled(" next/prev  ", muted),
            Span::styled(first_key(model, Action::Back), key),
            Span::styled(" clear", muted),
        ]
    } else {
        return frame.render_widget(
            super::widgets::key_hints(model, usize::from(area.width), theme),
            area,
        );
    };
    frame.render_widget(Line::from(spans), area);
}
