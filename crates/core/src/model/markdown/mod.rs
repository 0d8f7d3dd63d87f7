//! Markdown as a terminal shows it. A page is parsed once into blocks ([`parse`]), then laid out
//! once per width into styled lines ([`layout`]) that the view draws only for the visible slice,
//! so a 1 MB page scrolls at the cost of one screenful. MkDocs' extensions that TechDocs sites use
//! (admonitions, details, content tabs, include directives, front matter) are read here as well,
//! since pulldown-cmark knows only CommonMark and GitHub's extensions. Pure: no IO, no ratatui.

mod highlight;
mod layout;
mod mkdocs;
mod parse;
#[cfg(test)]
mod props;

pub use layout::layout;
pub use parse::{outline, parse, slugify};

use pulldown_cmark::Alignment as CmarkAlign;
use unicode_width::UnicodeWidthStr;

/// What a piece of text is; the view gives each a theme role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Tone {
    #[default]
    Text,
    Heading,
    Muted,
    Code,
    Link,
    Quote,
    /// Admonition kinds, by what they mean: note/info, tip/success, warning, danger/error.
    Note,
    Tip,
    Warning,
    Danger,
    /// Syntax colours inside code blocks.
    Keyword,
    Str,
    Comment,
    Number,
}

/// How a run of text is drawn. `link` is the 1-based number of the link it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Style {
    pub tone: Tone,
    pub bold: bool,
    pub italic: bool,
    pub strike: bool,
    pub link: Option<u32>,
}

impl Style {
    pub fn tone(tone: Tone) -> Style {
        Style {
            tone,
            ..Style::default()
        }
    }
}

/// Inline text in one style, before wrapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    pub style: Style,
}

/// A byte range of a line's text drawn in `style`. Runs are sorted and never overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub start: u32,
    pub end: u32,
    pub style: Style,
}

/// One terminal line of a laid-out page: its plain text (what search runs over) and style runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    pub runs: Vec<Run>,
    /// The 1-based line of the Markdown source this comes from, for `$EDITOR +line`.
    pub source_line: u32,
    /// Set on the first line of a heading: its index in [`Doc::headings`].
    pub heading: Option<u32>,
}

impl Line {
    fn push(&mut self, text: &str, style: Style) {
        if text.is_empty() {
            return;
        }
        let start = self.text.len() as u32;
        self.text.push_str(text);
        let end = self.text.len() as u32;
        match self.runs.last_mut() {
            Some(last) if last.style == style && last.end == start => last.end = end,
            _ => self.runs.push(Run { start, end, style }),
        }
    }

    /// Display width in cells.
    pub fn width(&self) -> usize {
        self.text.width()
    }

    /// The text of a run.
    pub fn slice(&self, run: &Run) -> &str {
        self.text
            .get(run.start as usize..run.end as usize)
            .unwrap_or("")
    }
}

/// A heading of a page, for the palette, anchors and the outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    pub text: String,
    /// The id MkDocs gives it (`first-five-minutes`), or the one written as `{#id}`.
    pub anchor: String,
}

/// A link of a page, numbered from 1 in reading order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub target: String,
    pub text: String,
}

/// A parsed page: blocks to lay out, and what the viewer needs to navigate it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Doc {
    pub blocks: Vec<Block>,
    /// The front matter's `title`, else the first level-1 heading.
    pub title: Option<String>,
    pub headings: Vec<Heading>,
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Paragraph {
        spans: Vec<Span>,
        line: u32,
    },
    Heading {
        level: u8,
        spans: Vec<Span>,
        index: u32,
        line: u32,
    },
    Code {
        lang: String,
        text: String,
        line: u32,
    },
    List {
        start: Option<u64>,
        items: Vec<Item>,
        line: u32,
    },
    Quote {
        blocks: Vec<Block>,
        line: u32,
    },
    Table {
        aligns: Vec<Alignment>,
        rows: Vec<Vec<Vec<Span>>>,
        line: u32,
    },
    Rule {
        line: u32,
    },
    /// `!!! warning "Title"`, `??? note`, `=== "Tab"`, or a GitHub `> [!NOTE]`.
    Admonition {
        kind: String,
        title: String,
        tone: Tone,
        blocks: Vec<Block>,
        line: u32,
    },
    /// Something shown as a muted remark rather than rendered: an include directive, raw HTML.
    Remark {
        text: String,
        line: u32,
    },
}

/// A table column's alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alignment {
    None,
    Left,
    Center,
    Right,
}

impl From<CmarkAlign> for Alignment {
    fn from(a: CmarkAlign) -> Self {
        match a {
            CmarkAlign::None => Alignment::None,
            CmarkAlign::Left => Alignment::Left,
            CmarkAlign::Center => Alignment::Center,
            CmarkAlign::Right => Alignment::Right,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub task: Option<bool>,
    pub blocks: Vec<Block>,
}

/// A page laid out for one width.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    pub width: u16,
    pub lines: Vec<Line>,
    /// Per heading (index as in [`Doc::headings`]), the line it starts on.
    pub heading_lines: Vec<usize>,
    /// Per link (index = number - 1), the first line it appears on.
    pub link_lines: Vec<usize>,
}

impl Layout {
    /// The line of the heading whose anchor is `anchor`.
    pub fn anchor_line(&self, doc: &Doc, anchor: &str) -> Option<usize> {
        let anchor = anchor.trim_start_matches('#');
        doc.headings
            .iter()
            .position(|h| h.anchor == anchor)
            .or_else(|| {
                let wanted = slugify(anchor);
                doc.headings.iter().position(|h| h.anchor == wanted)
            })
            .and_then(|i| self.heading_lines.get(i).copied())
    }
}

/// Every place `query` occurs in the laid-out lines, as (line, byte start, byte end). Case is
/// ignored for ASCII queries, which keeps byte offsets equal between the text and its folded form.
pub fn find(lines: &[Line], query: &str) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    if query.is_empty() {
        return out;
    }
    let fold = query.is_ascii();
    let needle = if fold {
        query.to_ascii_lowercase()
    } else {
        query.to_string()
    };
    let mut buf = String::new();
    for (n, line) in lines.iter().enumerate() {
        let hay: &str = if fold {
            buf.clear();
            buf.push_str(&line.text);
            buf.make_ascii_lowercase();
            &buf
        } else {
            &line.text
        };
        let mut from = 0;
        while let Some(i) = hay[from..].find(&needle) {
            let start = from + i;
            out.push((n, start, start + needle.len()));
            from = start + needle.len().max(1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(layout: &Layout) -> Vec<&str> {
        layout.lines.iter().map(|l| l.text.as_str()).collect()
    }

    #[test]
    fn slugs_match_mkdocs() {
        assert_eq!(slugify("First five minutes"), "first-five-minutes");
        assert_eq!(slugify("What's new? (2024)"), "whats-new-2024");
        assert_eq!(slugify("  a -- b  "), "a-b");
    }

    #[test]
    fn paragraphs_wrap_at_the_width_and_never_exceed_it() {
        let doc = parse("one two three four five six seven eight nine ten eleven twelve");
        let l = layout(&doc, 20);
        assert!(l.lines.len() > 2);
        assert!(
            l.lines.iter().all(|line| line.width() <= 20),
            "{:?}",
            texts(&l)
        );
        let joined: Vec<&str> = l.lines.iter().flat_map(|x| x.text.split(' ')).collect();
        assert_eq!(
            joined.join(" "),
            "one two three four five six seven eight nine ten eleven twelve"
        );
    }

    #[test]
    fn front_matter_is_hidden_and_names_the_page() {
        let doc = parse("---\ntitle: Crash looping\ntags: [x]\n---\n# Something else\n\ntext\n");
        assert_eq!(doc.title.as_deref(), Some("Crash looping"));
        let l = layout(&doc, 40);
        assert!(!texts(&l).iter().any(|t| t.contains("tags")));
        assert_eq!(
            l.lines[0].source_line, 5,
            "line numbers count the hidden front matter"
        );
    }

    #[test]
    fn admonitions_become_boxes_with_their_body_parsed() {
        let doc = parse(
            "!!! warning \"Careful now\"\n    Body with **bold**.\n\n    - a list\n\nAfter.\n",
        );
        match &doc.blocks[0] {
            Block::Admonition {
                kind,
                title,
                tone,
                blocks,
                ..
            } => {
                assert_eq!(
                    (kind.as_str(), title.as_str(), *tone),
                    ("warning", "Careful now", Tone::Warning)
                );
                assert!(matches!(blocks[1], Block::List { .. }));
            }
            other => panic!("expected an admonition, got {other:?}"),
        }
        let l = layout(&doc, 30);
        assert!(l.lines[0].text.starts_with("╭─ ⚠ Careful now"));
        assert!(l.lines.iter().all(|x| x.width() <= 30));
        assert!(texts(&l).contains(&"After."));
    }

    #[test]
    fn an_admonition_shown_as_an_example_inside_a_fence_stays_code() {
        let doc = parse("```\n!!! warn\n    Defining admonitions can be addicting.\n```\n");
        assert!(matches!(&doc.blocks[0], Block::Code { text, .. } if text.contains("!!! warn")));
    }

    #[test]
    fn include_directives_are_a_muted_remark() {
        let doc = parse(
            "{%\n  include-markdown \"../common/get-repository.md\"\n  heading-offset=1\n%}\n\nNext.\n",
        );
        assert!(
            matches!(&doc.blocks[0], Block::Remark { text, .. } if text.contains("../common/get-repository.md"))
        );
        assert!(matches!(&doc.blocks[1], Block::Paragraph { .. }));
    }

    #[test]
    fn links_are_numbered_and_images_show_their_alt_text() {
        let doc = parse(
            "See [the guide](guide.md#setup) and [site](https://x.example).\n\n![Logo](logo.svg)\n",
        );
        assert_eq!(doc.links.len(), 2);
        assert_eq!(
            doc.links[0],
            Link {
                target: "guide.md#setup".into(),
                text: "the guide".into()
            }
        );
        let l = layout(&doc, 80);
        assert!(l.lines[0].text.contains("the guide[1]"), "{:?}", texts(&l));
        assert!(l.lines[0].text.contains("site[2]"));
        assert!(texts(&l).contains(&"[image: Logo]"));
        assert_eq!(l.link_lines, vec![0, 0]);
    }

    #[test]
    fn task_lists_tables_and_code_render() {
        let doc = parse(
            "- [x] done\n- [ ] todo\n\n| a | b |\n|---|--:|\n| long cell text | 2 |\n\n```python\ndef f(): # note\n    return \"s\"\n```\n",
        );
        let l = layout(&doc, 40);
        let t = texts(&l);
        assert!(t.contains(&"☑ done") && t.contains(&"☐ todo"), "{t:?}");
        assert!(
            t.iter().any(|x| x.starts_with("a              │ b")),
            "{t:?}"
        );
        assert!(t.iter().any(|x| x.contains("─┼─")));
        assert!(t.contains(&"┌─ python"));
        let def = l
            .lines
            .iter()
            .find(|x| x.text.contains("def f"))
            .expect("code line");
        assert!(
            def.runs
                .iter()
                .any(|r| r.style.tone == Tone::Keyword && def.slice(r) == "def")
        );
        assert!(def.runs.iter().any(|r| r.style.tone == Tone::Comment));
    }

    #[test]
    fn narrow_tables_share_the_width() {
        let doc = parse(
            "| x | y |\n|---|---|\n| aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb |\n",
        );
        let l = layout(&doc, 30);
        assert!(l.lines.iter().all(|x| x.width() <= 30), "{:?}", texts(&l));
    }

    #[test]
    fn anchors_find_their_heading_line() {
        let doc = parse(
            "# Crash looping\n\nIntro.\n\n## First five minutes\n\nDo this.\n\n## First five minutes\n",
        );
        let l = layout(&doc, 60);
        let line = l.anchor_line(&doc, "#first-five-minutes").expect("anchor");
        assert_eq!(l.lines[line].text, "First five minutes");
        assert_eq!(doc.headings[2].anchor, "first-five-minutes_1");
        assert!(l.anchor_line(&doc, "nope").is_none());
    }

    #[test]
    fn search_finds_every_occurrence_ignoring_case() {
        let doc = parse("Pods crash. A pod that CRASHES.\n\nno match here\n");
        let l = layout(&doc, 80);
        let hits = find(&l.lines, "crash");
        assert_eq!(hits.len(), 2);
        assert_eq!(&l.lines[hits[1].0].text[hits[1].1..hits[1].2], "CRASH");
    }

    #[test]
    fn github_alerts_become_admonitions() {
        let doc = parse("> [!WARNING]\n> Do not restart the ledger.\n");
        assert!(matches!(
            &doc.blocks[0],
            Block::Admonition {
                tone: Tone::Warning,
                ..
            }
        ));
    }
}
