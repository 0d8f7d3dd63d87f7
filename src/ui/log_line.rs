//! Log text as spans: the colours the program wrote (its SGR runs) under the search's matches.
//! The Pipelines job log, the Workloads logs and the describe view draw text this one way, so a
//! match looks the same wherever it is found.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;

use super::theme::ANSI16;
use flightdeck_core::sanitize::{Color8, SgrStyle, StyledRun};

/// `text` cut into spans at its colour runs and at every case-insensitive match of `needle`:
/// `base`, then the run's own colours, then `matched` over a match. Matching is ASCII only; a
/// line with other characters is shown unmarked rather than cut inside a character.
pub(super) fn spans<'a>(
    text: &'a str,
    runs: &[StyledRun],
    needle: &str,
    base: Style,
    matched: Style,
) -> Vec<Span<'a>> {
    let mut cuts: Vec<usize> = vec![0, text.len()];
    for r in runs {
        cuts.extend([r.start, r.end]);
    }
    let mut hits: Vec<(usize, usize)> = Vec::new();
    if !needle.is_empty() && text.is_ascii() {
        let lower = text.to_ascii_lowercase();
        let needle = needle.to_ascii_lowercase();
        let mut from = 0;
        while let Some(i) = lower[from..].find(&needle) {
            let start = from + i;
            hits.push((start, start + needle.len()));
            cuts.extend([start, start + needle.len()]);
            from = start + needle.len();
        }
    }
    cuts.retain(|c| *c <= text.len() && text.is_char_boundary(*c));
    cuts.sort_unstable();
    cuts.dedup();
    cuts.windows(2)
        .map(|w| {
            let (a, b) = (w[0], w[1]);
            let mut style = base;
            if let Some(r) = runs.iter().find(|r| r.start <= a && b <= r.end) {
                style = style.patch(sgr_style(&r.style));
            }
            if hits.iter().any(|(s, e)| *s <= a && b <= *e) {
                style = style.patch(matched);
            }
            Span::styled(&text[a..b], style)
        })
        .collect()
}

/// The log's own rendition as a ratatui style, laid over the theme's text style.
fn sgr_style(s: &SgrStyle) -> Style {
    let mut style = Style::default();
    if let Some(fg) = s.fg {
        style = style.fg(color(fg));
    }
    if let Some(bg) = s.bg {
        style = style.bg(color(bg));
    }
    for (on, m) in [
        (s.bold, Modifier::BOLD),
        (s.dim, Modifier::DIM),
        (s.italic, Modifier::ITALIC),
        (s.underline, Modifier::UNDERLINED),
        (s.reverse, Modifier::REVERSED),
    ] {
        if on {
            style = style.add_modifier(m);
        }
    }
    style
}

/// A log colour as the terminal's palette entry: the first sixteen by name, so themes of the
/// terminal apply to them as they do to the log in a shell.
fn color(c: Color8) -> Color {
    match c {
        Color8::Indexed(i) => ANSI16
            .get(usize::from(i))
            .copied()
            .unwrap_or(Color::Indexed(i)),
        Color8::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(spans: &[Span<'a>]) -> Vec<String> {
        spans.iter().map(|s| s.content.to_string()).collect()
    }

    #[test]
    fn marks_every_case_insensitive_match() {
        let (base, hit) = (
            Style::default(),
            Style::default().add_modifier(Modifier::BOLD),
        );
        let spans = spans("Error: error", &[], "ERROR", base, hit);
        assert_eq!(texts(&spans), ["Error", ": ", "error"]);
        assert_eq!(spans[0].style, hit);
        assert_eq!(spans[1].style, base);
    }

    #[test]
    fn a_line_with_wide_characters_is_not_cut() {
        let spans = spans(
            "漢字 error",
            &[],
            "error",
            Style::default(),
            Style::default(),
        );
        assert_eq!(texts(&spans), ["漢字 error"]);
    }

    #[test]
    fn the_first_sixteen_colours_are_named() {
        assert_eq!(color(Color8::Indexed(1)), Color::Red);
        assert_eq!(color(Color8::Indexed(15)), Color::White);
        assert_eq!(color(Color8::Indexed(16)), Color::Indexed(16));
    }
}
