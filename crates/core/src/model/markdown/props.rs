//! Property tests of the docs viewer's Markdown: any page, however hostile, parses and lays out
//! at any width without a panic, in bounded time and output, and no laid-out line holds a
//! control or invisible format character. `PROPTEST_CASES` sets the case count (256 default).

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::{layout, parse};
use crate::sanitize;

/// Markdown syntax mixed with what hides or rewrites text on a terminal.
const PIECES: &[&str] = &[
    "# ",
    "## ",
    "- ",
    "1. ",
    "> ",
    "```\n",
    "```rust\n",
    "`",
    "**",
    "_",
    "[a](",
    "](https://x.example/",
    ")",
    "|a|b|\n|-|-|\n",
    "| x |",
    "<b>",
    "&amp;",
    "!!! note\n    ",
    "    ",
    "\n",
    "\n\n",
    "\t",
    "\r",
    "\x1b[2J",
    "\x1b]0;t\x07",
    "\u{9b}31m",
    "\u{202e}",
    "\u{2066}",
    "\u{200b}",
    "\u{feff}",
    "\u{ad}",
    "\x00",
    "\x7f",
    "\u{85}",
    "\u{2028}",
    "支付",
    "😀",
    "e\u{301}",
    "word ",
    "x",
    " ",
];

fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}' | '\u{ad}')
}

fn page() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(PIECES);
    prop_oneof![
        8 => prop::collection::vec(piece.clone(), 0..80).prop_map(|p| p.concat()),
        1 => (piece, 500usize..4000).prop_map(|(p, n)| p.repeat(n)),
        1 => any::<String>(),
    ]
}

#[test]
fn any_page_lays_out_without_a_hidden_character_in_bounded_time() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let ran = std::cell::Cell::new(0usize);
    let result = runner.run(&(page(), 8u16..160), |(raw, width)| {
        ran.set(ran.get() + 1);
        let start = Instant::now();
        // As the docs provider reads a file.
        let text = sanitize::text(&raw);
        let laid = layout::layout(&parse::parse(&text), width);
        for line in &laid.lines {
            prop_assert!(
                !line.text.chars().any(hidden),
                "{raw:?} laid out {:?}",
                line.text
            );
        }
        // Bounded output: lines linear in the input, each no wider than the page. (A bound in
        // bytes was wrong: an admonition's nine-byte header draws a box of three-byte border
        // characters the page's width across.)
        prop_assert!(
            laid.lines.len() <= text.len() * 2 + 4096,
            "{} lines out of {} bytes in",
            laid.lines.len(),
            text.len()
        );
        for line in &laid.lines {
            prop_assert!(
                line.text.chars().count() <= usize::from(width).max(8) * 2,
                "a line of {} chars at width {width}",
                line.text.chars().count()
            );
        }
        prop_assert!(
            start.elapsed() < Duration::from_secs(2),
            "took {:?}",
            start.elapsed()
        );
        Ok(())
    });
    println!("properties: markdown: {} pages laid out", ran.get());
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Found by the property above: 4,000 nested quotes or list items overflowed the stack while
/// being laid out, aborting the process. Deeper than the limit, content joins its parent.
#[test]
fn a_page_nested_thousands_deep_lays_out() {
    for piece in ["> ", "1. ", "- > "] {
        let text = format!("{}deep", piece.repeat(4000));
        let laid = layout::layout(&parse::parse(&text), 80);
        assert!(
            laid.lines.iter().any(|l| l.text.contains("deep")),
            "{piece:?}: the innermost text is shown"
        );
    }
}

/// Admonitions nested far past the cap lay out in bounded output, the innermost text shown
/// (nesting them recursed once per level before the cap).
#[test]
fn admonitions_nested_deep_lay_out_in_bounded_output() {
    let mut text = String::new();
    for depth in 0..200 {
        text.push_str(&"    ".repeat(depth));
        text.push_str("!!! note\n");
    }
    text.push_str(&"    ".repeat(200));
    text.push_str("deep\n");
    let laid = layout::layout(&parse::parse(&text), 34);
    let out: usize = laid.lines.iter().map(|l| l.text.len()).sum();
    assert!(
        out <= text.len() * 16 + 4096,
        "{out} bytes out of {}",
        text.len()
    );
    assert!(laid.lines.iter().any(|l| l.text.contains("deep")));
}
