//! Markdown lines, laid out in `update`, as ratatui spans: each tone mapped to a theme role,
//! search matches and the chosen link drawn over the runs. The Docs viewer and the onboarding
//! steps show Markdown the same way from here.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::theme::{Role, Theme};
use flightdeck_core::model::markdown::{self, Tone};

fn tone_role(tone: Tone) -> Role {
    match tone {
        Tone::Text => Role::Text,
        Tone::Heading => Role::Title,
        Tone::Muted | Tone::Quote | Tone::Comment => Role::Muted,
        Tone::Code => Role::Accent,
        Tone::Link => Role::Link,
        Tone::Note => Role::Info,
        Tone::Tip | Tone::Str => Role::Ok,
        Tone::Warning => Role::Warning,
        Tone::Danger => Role::Critical,
        Tone::Keyword => Role::Key,
        Tone::Number => Role::Running,
    }
}

fn run_style(style: markdown::Style, selected_link: Option<u32>, theme: &Theme) -> Style {
    if selected_link.is_some() && style.link == selected_link {
        return theme.style(Role::Selection);
    }
    let mut s = theme.style(tone_role(style.tone));
    if style.bold {
        s = s.add_modifier(Modifier::BOLD);
    }
    if style.italic {
        s = s.add_modifier(Modifier::ITALIC);
    }
    if style.strike {
        s = s.add_modifier(Modifier::CROSSED_OUT);
    }
    if style.tone == Tone::Link {
        s = s.add_modifier(Modifier::UNDERLINED);
    }
    s
}

/// One laid-out line as ratatui spans, with search matches drawn over its runs.
pub(super) fn styled<'a>(
    line: &'a markdown::Line,
    hits: &[(usize, usize, usize)],
    current: Option<(usize, usize, usize)>,
    selected_link: Option<u32>,
    theme: &Theme,
) -> Line<'a> {
    let mut spans = Vec::with_capacity(line.runs.len() + 2 * hits.len());
    let mut cursor = 0usize;
    let push = |from: usize, to: usize, style: Style, spans: &mut Vec<Span<'a>>| {
        if let Some(text) = line.text.get(from..to)
            && !text.is_empty()
        {
            spans.push(Span::styled(text, style));
        }
    };
    for run in &line.runs {
        let (start, end) = (run.start as usize, run.end as usize);
        if cursor < start {
            push(cursor, start, Style::default(), &mut spans);
        }
        let base = run_style(run.style, selected_link, theme);
        let mut at = start;
        for &(_, hs, he) in hits {
            if he <= at || hs >= end {
                continue;
            }
            let (hs, he) = (hs.max(at), he.min(end));
            push(at, hs, base, &mut spans);
            let is_current = current.is_some_and(|c| c.1 <= hs && he <= c.2 && hits.contains(&c));
            let role = if is_current {
                Role::Selection
            } else {
                Role::Match
            };
            push(hs, he, theme.style(role), &mut spans);
            at = he;
        }
        push(at, end, base, &mut spans);
        cursor = end;
    }
    Line::from(spans)
}

/// A laid-out line with no search or link marks.
pub(super) fn plain<'a>(line: &'a markdown::Line, theme: &Theme) -> Line<'a> {
    styled(line, &[], None, None, theme)
}
