//! Generated hostile text through the sanitisers and the docs viewer's renderer: no panic, and
//! no control or invisible format character in what they return or in any rendered cell. A
//! seeded generator (no extra dependency) with a bounded case count, so CI runs the same cases
//! every time; `FLIGHTDECK_FUZZ_CASES` raises it locally.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use flightdeck::config::theme::{ColorSupport, load_theme};
use flightdeck::ui;
use flightdeck_core::keymap::{Key, KeyCode, Keymap};
use flightdeck_core::message::Msg;
use flightdeck_core::message::docs::Msg as DocsMsg;
use flightdeck_core::model::docs::{Page, Site};
use flightdeck_core::model::{Model, Screen};
use flightdeck_core::sanitize;
use flightdeck_core::update::update;

/// Pieces hostile text is made of: escape sequences, C0/C1, bidi and zero-width characters,
/// CR and tabs, Markdown syntax, wide and combining characters.
pub(crate) const PIECES: &[&str] = &[
    "\x1b]0;pwned\x07",
    "\x1b[2J",
    "\x1bP+q\x1b\\",
    "\u{9b}31m",
    "\r",
    "\t",
    "\n",
    "\r\n",
    "\u{202e}",
    "\u{2066}",
    "\u{200b}",
    "\u{feff}",
    "\u{ad}",
    "\u{200d}",
    "\x00",
    "\x7f",
    "\u{85}",
    "\u{2028}",
    "# ",
    "## ",
    "- ",
    "1. ",
    "```",
    "`",
    "**",
    "[a](",
    ")",
    "](https://x.example/",
    "> ",
    "|a|b|\n|-|-|\n",
    "<b>",
    "&amp;",
    "支付",
    "😀",
    "e\u{301}",
    "word ",
    "x",
    " ",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: enough spread for choosing pieces.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn text(&mut self) -> String {
        let n = (self.next() % 40) as usize;
        (0..n)
            .map(|_| PIECES[(self.next() % PIECES.len() as u64) as usize])
            .collect()
    }
}

pub(crate) fn hidden(c: char, newline_ok: bool) -> bool {
    (c.is_control() && !(newline_ok && c == '\n'))
        || matches!(c, '\u{200b}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}' | '\u{ad}')
}

fn cases() -> usize {
    std::env::var("FLIGHTDECK_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400)
}

#[test]
fn sanitisers_never_return_a_hidden_character() {
    let mut rng = Rng(0x5eed_f00d);
    let n = cases() * 10;
    for _ in 0..n {
        let s = rng.text();
        for (out, nl) in [
            (sanitize::line(&s), false),
            (sanitize::ident(&s), false),
            (sanitize::text(&s), true),
            (sanitize::log_line(&s).0, false),
            (sanitize::excerpt(&s, 20), false),
        ] {
            assert!(!out.chars().any(|c| hidden(c, nl)), "{s:?} -> {out:?}");
        }
        if let Some(url) = sanitize::url(&s) {
            assert!(
                url.chars().all(|c| c.is_ascii_graphic()),
                "{s:?} -> {url:?}"
            );
        }
    }
    println!("sanitisers: {n} generated inputs");
}

#[test]
fn the_docs_viewer_renders_no_hidden_character() {
    let theme = load_theme("dark", ColorSupport::TrueColor).expect("dark loads");
    let mut rng = Rng(0xd0c5_0001);
    let n = cases() / 4;
    for _ in 0..n {
        let raw = rng.text();
        let site = Site {
            service: "component:default/x".into(),
            name: "x".into(),
            site_name: "X".into(),
            root: "/repo/docs".into(),
            pages: vec![Page {
                path: "index.md".into(),
                file: "/repo/docs/index.md".into(),
                // As the docs provider reads a file.
                markdown: sanitize::text(&raw),
                ..Page::default()
            }],
            ..Site::default()
        };
        let mut m = Model::new(Keymap::defaults(), chrono::DateTime::UNIX_EPOCH);
        update(
            &mut m,
            Msg::Resize {
                width: 60,
                height: 16,
            },
        );
        update(
            &mut m,
            Msg::Docs(DocsMsg::Loaded {
                sites: vec![site],
                errors: vec![],
            }),
        );
        m.screen = Screen::Docs;
        update(&mut m, Msg::Key(Key::new(KeyCode::Enter)));
        let mut terminal = Terminal::new(TestBackend::new(60, 16)).expect("a test terminal");
        terminal.draw(|f| ui::view(&m, &theme, f)).expect("draws");
        for cell in terminal.backend().buffer().content() {
            assert!(
                !cell.symbol().chars().any(|c| hidden(c, false)),
                "{raw:?} drew {:?}",
                cell.symbol()
            );
        }
    }
    println!("docs viewer: {n} generated pages rendered");
}
