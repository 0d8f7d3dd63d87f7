//! From source to blocks: the MkDocs pre-pass's segments, each Markdown one walked through
//! pulldown-cmark's events, with headings and links numbered across the whole page.

use pulldown_cmark::{
    BlockQuoteKind, CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd,
};

use super::mkdocs::{Segment, admonition_tone, capitalise, front_matter, segments};
use super::{Alignment, Block, Doc, Heading, Item, Link, Span, Style, Tone};

/// Parses a page. Never fails: what cannot be rendered is shown as text.
pub fn parse(source: &str) -> Doc {
    let (title, body, first_line) = front_matter(source);
    let mut cx = Context {
        headings: Vec::new(),
        links: Vec::new(),
        anchors: Default::default(),
    };
    let blocks = parse_blocks(body, first_line, &mut cx, 0);
    let title = title.or_else(|| {
        cx.headings
            .iter()
            .find(|h| h.level == 1)
            .map(|h| h.text.clone())
    });
    Doc {
        blocks,
        title,
        headings: cx.headings,
        links: cx.links,
    }
}

/// The title and headings only, for indexing many pages: the same walk, with no blocks kept.
pub fn outline(source: &str) -> (Option<String>, Vec<Heading>) {
    let doc = parse(source);
    (doc.title, doc.headings)
}

/// Numbers every heading and link across a page's segments, and keeps anchors unique.
struct Context {
    headings: Vec<Heading>,
    links: Vec<Link>,
    anchors: std::collections::HashMap<String, usize>,
}

impl Context {
    /// MkDocs makes repeated ids unique with `_1`, `_2`.
    fn unique_anchor(&mut self, base: String) -> String {
        let n = self.anchors.entry(base.clone()).or_insert(0);
        let anchor = if *n == 0 { base } else { format!("{base}_{n}") };
        *n += 1;
        anchor
    }
}

/// `depth`: the admonitions this source is inside. Past [`MAX_NESTING`] an admonition's body is
/// read as its parent's plain content, as deep quotes and lists are: a page of admonitions
/// nested thousands deep otherwise recursed without bound and laid out every line once per
/// level.
fn parse_blocks(source: &str, first_line: u32, cx: &mut Context, depth: usize) -> Vec<Block> {
    let mut blocks = Vec::new();
    for segment in segments(source, first_line) {
        match segment {
            Segment::Markdown { text, first_line } => {
                blocks.extend(parse_markdown(&text, first_line, cx))
            }
            Segment::Admonition {
                kind,
                title,
                body,
                first_line,
                line,
            } => {
                if depth >= MAX_NESTING {
                    blocks.extend(parse_markdown(&body, first_line, cx));
                    continue;
                }
                let tone = admonition_tone(&kind);
                let inner = parse_blocks(&body, first_line, cx, depth + 1);
                blocks.push(Block::Admonition {
                    kind,
                    title,
                    tone,
                    blocks: inner,
                    line,
                });
            }
            Segment::Remark { text, line } => blocks.push(Block::Remark { text, line }),
        }
    }
    blocks
}

/// Where a block or inline sequence is being collected while walking the events.
enum Frame {
    Root(Vec<Block>),
    Quote {
        kind: Option<BlockQuoteKind>,
        blocks: Vec<Block>,
        line: u32,
    },
    List {
        start: Option<u64>,
        items: Vec<Item>,
        line: u32,
    },
    Item {
        task: Option<bool>,
        blocks: Vec<Block>,
    },
    Table {
        aligns: Vec<Alignment>,
        rows: Vec<Vec<Vec<Span>>>,
        row: Vec<Vec<Span>>,
        line: u32,
    },
}

impl Frame {
    fn blocks(&mut self) -> Option<&mut Vec<Block>> {
        match self {
            Frame::Root(b) | Frame::Quote { blocks: b, .. } | Frame::Item { blocks: b, .. } => {
                Some(b)
            }
            _ => None,
        }
    }
}

/// The deepest nesting of quotes and lists kept; deeper ones are read as their parent's
/// content. A page of 4,000 `> ` or `1. ` nested that deep, and laying it out recursed until
/// the stack overflowed and the process aborted.
const MAX_NESTING: usize = 16;

struct Walker<'c> {
    cx: &'c mut Context,
    stack: Vec<Frame>,
    /// Containers opened past [`MAX_NESTING`] and not yet closed: their ends pop nothing.
    flattened: usize,
    inline: Vec<Span>,
    styles: Vec<Style>,
    code: Option<(String, String, u32)>,
    heading: Option<(u8, Option<String>, u32)>,
    image: Option<String>,
    html: Option<(String, u32)>,
    line_starts: Vec<usize>,
    first_line: u32,
    block_line: u32,
}

impl Walker<'_> {
    fn line_of(&self, offset: usize) -> u32 {
        let idx = self.line_starts.partition_point(|&s| s <= offset);
        self.first_line + idx.saturating_sub(1) as u32
    }

    fn style(&self) -> Style {
        self.styles.last().copied().unwrap_or_default()
    }

    fn push_block(&mut self, block: Block) {
        for frame in self.stack.iter_mut().rev() {
            if let Some(blocks) = frame.blocks() {
                blocks.push(block);
                return;
            }
        }
    }

    /// Text written straight inside a tight list item becomes a paragraph of it.
    fn flush_inline(&mut self) {
        if self.inline.is_empty() || self.heading.is_some() {
            return;
        }
        if matches!(self.stack.last(), Some(Frame::Table { .. })) {
            return;
        }
        let spans = std::mem::take(&mut self.inline);
        let line = self.block_line;
        self.push_block(Block::Paragraph { spans, line });
    }

    fn text(&mut self, text: &str) {
        if let Some((_, code, _)) = &mut self.code {
            code.push_str(text);
        } else if let Some(alt) = &mut self.image {
            alt.push_str(text);
        } else if let Some((html, _)) = &mut self.html {
            html.push_str(text);
        } else {
            let style = self.style();
            self.inline.push(Span {
                text: text.to_string(),
                style,
            });
        }
    }

    fn modify(&mut self, f: impl FnOnce(&mut Style)) {
        let mut s = self.style();
        f(&mut s);
        self.styles.push(s);
    }

    fn event(&mut self, event: Event<'_>, offset: usize) {
        match event {
            Event::Start(tag) => self.start(tag, offset),
            Event::End(end) => self.end(end),
            Event::Text(t) => self.text(&t),
            Event::Code(t) => {
                let mut style = self.style();
                style.tone = Tone::Code;
                self.inline.push(Span {
                    text: t.to_string(),
                    style,
                });
            }
            Event::InlineMath(t) | Event::DisplayMath(t) => {
                let mut style = self.style();
                style.tone = Tone::Code;
                self.inline.push(Span {
                    text: t.to_string(),
                    style,
                });
            }
            Event::Html(t) => self.text(&t),
            Event::InlineHtml(t) => {
                let tag = t.trim().to_ascii_lowercase();
                if tag.starts_with("<br") {
                    self.text("\n");
                }
                // Other inline tags (<kbd>, <sup>, <span>) carry no text of their own.
            }
            Event::FootnoteReference(label) => {
                self.inline.push(Span {
                    text: format!("[^{label}]"),
                    style: Style::tone(Tone::Muted),
                });
            }
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.text("\n"),
            Event::Rule => {
                self.flush_inline();
                let line = self.line_of(offset);
                self.push_block(Block::Rule { line });
            }
            Event::TaskListMarker(done) => {
                if let Some(Frame::Item { task, .. }) = self.stack.last_mut() {
                    *task = Some(done);
                }
            }
        }
    }

    fn start(&mut self, tag: Tag<'_>, offset: usize) {
        let line = self.line_of(offset);
        if self.stack.len() >= MAX_NESTING
            && matches!(
                tag,
                Tag::BlockQuote(_) | Tag::List(_) | Tag::Item | Tag::FootnoteDefinition(_)
            )
        {
            self.flush_inline();
            self.block_line = line;
            self.flattened += 1;
            return;
        }
        match tag {
            Tag::Paragraph => {
                self.flush_inline();
                self.block_line = line;
            }
            Tag::Heading { level, id, .. } => {
                self.flush_inline();
                self.heading = Some((heading_level(level), id.map(|s| s.to_string()), line));
            }
            Tag::BlockQuote(kind) => {
                self.flush_inline();
                self.stack.push(Frame::Quote {
                    kind,
                    blocks: Vec::new(),
                    line,
                });
            }
            Tag::CodeBlock(kind) => {
                self.flush_inline();
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .trim_start_matches('.')
                        .to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((lang, String::new(), line));
            }
            Tag::HtmlBlock => {
                self.flush_inline();
                self.html = Some((String::new(), line));
            }
            Tag::List(start) => {
                self.flush_inline();
                self.stack.push(Frame::List {
                    start,
                    items: Vec::new(),
                    line,
                });
            }
            Tag::Item => {
                self.block_line = line;
                self.stack.push(Frame::Item {
                    task: None,
                    blocks: Vec::new(),
                });
            }
            Tag::FootnoteDefinition(label) => {
                self.flush_inline();
                self.stack.push(Frame::Quote {
                    kind: None,
                    blocks: Vec::new(),
                    line,
                });
                self.block_line = line;
                self.inline.push(Span {
                    text: format!("[^{label}]: "),
                    style: Style::tone(Tone::Muted),
                });
            }
            Tag::Table(aligns) => {
                self.flush_inline();
                let aligns = aligns.into_iter().map(Alignment::from).collect();
                self.stack.push(Frame::Table {
                    aligns,
                    rows: Vec::new(),
                    row: Vec::new(),
                    line,
                });
            }
            Tag::TableHead | Tag::TableRow | Tag::TableCell => {}
            Tag::Emphasis => self.modify(|s| s.italic = true),
            Tag::Strong => self.modify(|s| s.bold = true),
            Tag::Strikethrough => self.modify(|s| s.strike = true),
            Tag::Superscript | Tag::Subscript => self.modify(|_| {}),
            Tag::Link { dest_url, .. } => {
                self.cx.links.push(Link {
                    target: dest_url.to_string(),
                    text: String::new(),
                });
                let n = self.cx.links.len() as u32;
                self.modify(|s| {
                    s.tone = Tone::Link;
                    s.link = Some(n);
                });
                // Remember where the link text starts, to record it at the end.
                self.inline.push(Span {
                    text: String::new(),
                    style: Style {
                        link: Some(n),
                        ..Style::tone(Tone::Link)
                    },
                });
            }
            Tag::Image { .. } => self.image = Some(String::new()),
            Tag::MetadataBlock(_) => {}
            Tag::DefinitionList | Tag::DefinitionListTitle | Tag::DefinitionListDefinition => {
                self.flush_inline();
                self.block_line = line;
            }
        }
    }

    fn end(&mut self, end: TagEnd) {
        // Events nest, so the containers left out are the innermost open ones.
        if self.flattened > 0
            && matches!(
                end,
                TagEnd::BlockQuote(_) | TagEnd::List(_) | TagEnd::Item | TagEnd::FootnoteDefinition
            )
        {
            self.flush_inline();
            self.flattened -= 1;
            return;
        }
        match end {
            TagEnd::Paragraph | TagEnd::DefinitionListTitle | TagEnd::DefinitionListDefinition => {
                self.flush_inline()
            }
            TagEnd::Heading(_) => {
                let Some((level, id, line)) = self.heading.take() else {
                    return;
                };
                let spans = std::mem::take(&mut self.inline);
                let text: String = spans
                    .iter()
                    .map(|s| s.text.as_str())
                    .collect::<String>()
                    .trim()
                    .to_string();
                let anchor = match id {
                    Some(id) => id,
                    None => self.cx.unique_anchor(slugify(&text)),
                };
                let index = self.cx.headings.len() as u32;
                self.cx.headings.push(Heading {
                    level,
                    text,
                    anchor,
                });
                self.push_block(Block::Heading {
                    level,
                    spans,
                    index,
                    line,
                });
            }
            TagEnd::BlockQuote(_) | TagEnd::FootnoteDefinition => {
                self.flush_inline();
                if let Some(Frame::Quote { kind, blocks, line }) = self.stack.pop() {
                    let block = match kind {
                        Some(k) => {
                            let (kind, tone) = match k {
                                BlockQuoteKind::Note => ("note", Tone::Note),
                                BlockQuoteKind::Tip => ("tip", Tone::Tip),
                                BlockQuoteKind::Important => ("important", Tone::Note),
                                BlockQuoteKind::Warning => ("warning", Tone::Warning),
                                BlockQuoteKind::Caution => ("caution", Tone::Danger),
                            };
                            Block::Admonition {
                                kind: kind.into(),
                                title: capitalise(kind),
                                tone,
                                blocks,
                                line,
                            }
                        }
                        None => Block::Quote { blocks, line },
                    };
                    self.push_block(block);
                }
            }
            TagEnd::CodeBlock => {
                if let Some((lang, mut text, line)) = self.code.take() {
                    if text.ends_with('\n') {
                        text.pop();
                    }
                    self.push_block(Block::Code { lang, text, line });
                }
            }
            TagEnd::HtmlBlock => {
                if let Some((html, line)) = self.html.take() {
                    let text = html.trim();
                    // Comments are for the writer; other HTML is shown as written, muted.
                    if !(text.is_empty() || text.starts_with("<!--") && text.ends_with("-->")) {
                        self.push_block(Block::Remark {
                            text: text.to_string(),
                            line,
                        });
                    }
                }
            }
            TagEnd::List(_) => {
                self.flush_inline();
                if let Some(Frame::List { start, items, line }) = self.stack.pop() {
                    self.push_block(Block::List { start, items, line });
                }
            }
            TagEnd::Item => {
                self.flush_inline();
                if let Some(Frame::Item { task, blocks }) = self.stack.pop()
                    && let Some(Frame::List { items, .. }) = self.stack.last_mut()
                {
                    items.push(Item { task, blocks });
                }
            }
            TagEnd::Table => {
                if let Some(Frame::Table {
                    aligns, rows, line, ..
                }) = self.stack.pop()
                {
                    self.push_block(Block::Table { aligns, rows, line });
                }
            }
            TagEnd::TableHead | TagEnd::TableRow => {
                if let Some(Frame::Table { rows, row, .. }) = self.stack.last_mut() {
                    rows.push(std::mem::take(row));
                }
            }
            TagEnd::TableCell => {
                let cell = std::mem::take(&mut self.inline);
                if let Some(Frame::Table { row, .. }) = self.stack.last_mut() {
                    row.push(cell);
                }
            }
            TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript => {
                self.styles.pop();
            }
            TagEnd::Link => {
                let style = self.styles.pop().unwrap_or_default();
                if let Some(n) = style.link {
                    let from = self
                        .inline
                        .iter()
                        .rposition(|s| s.text.is_empty() && s.style.link == Some(n))
                        .unwrap_or(self.inline.len());
                    let text: String = self.inline[from..]
                        .iter()
                        .map(|s| s.text.as_str())
                        .collect();
                    if let Some(link) = self.cx.links.get_mut(n as usize - 1) {
                        link.text = text.trim().to_string();
                    }
                    self.inline.push(Span {
                        text: format!("[{n}]"),
                        style: Style {
                            link: Some(n),
                            ..Style::tone(Tone::Muted)
                        },
                    });
                }
            }
            TagEnd::Image => {
                if let Some(alt) = self.image.take() {
                    let alt = alt.trim();
                    let text = if alt.is_empty() {
                        "[image]".to_string()
                    } else {
                        format!("[image: {alt}]")
                    };
                    let mut style = self.style();
                    style.tone = if style.link.is_some() {
                        Tone::Link
                    } else {
                        Tone::Muted
                    };
                    self.inline.push(Span { text, style });
                }
            }
            TagEnd::MetadataBlock(_) | TagEnd::DefinitionList => {}
        }
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

fn parse_markdown(text: &str, first_line: u32, cx: &mut Context) -> Vec<Block> {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM;
    let line_starts = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut walker = Walker {
        cx,
        stack: vec![Frame::Root(Vec::new())],
        flattened: 0,
        inline: Vec::new(),
        styles: Vec::new(),
        code: None,
        heading: None,
        image: None,
        html: None,
        line_starts,
        first_line,
        block_line: first_line,
    };
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        walker.event(event, range.start);
    }
    walker.flush_inline();
    // Unbalanced frames cannot happen with pulldown-cmark, but never lose content if they do.
    let mut root = Vec::new();
    while let Some(frame) = walker.stack.pop() {
        match frame {
            Frame::Root(b) => root.splice(0..0, b).for_each(drop),
            Frame::Quote { blocks, .. } | Frame::Item { blocks, .. } => root.extend(blocks),
            Frame::List { .. } | Frame::Table { .. } => {}
        }
    }
    // Drop the empty marker spans that only delimited link text.
    strip_markers(&mut root);
    root
}

fn strip_markers(blocks: &mut [Block]) {
    for b in blocks {
        match b {
            Block::Paragraph { spans, .. } | Block::Heading { spans, .. } => {
                spans.retain(|s| !s.text.is_empty())
            }
            Block::List { items, .. } => {
                items.iter_mut().for_each(|i| strip_markers(&mut i.blocks))
            }
            Block::Quote { blocks, .. } | Block::Admonition { blocks, .. } => strip_markers(blocks),
            Block::Table { rows, .. } => {
                for cell in rows.iter_mut().flatten() {
                    cell.retain(|s| !s.text.is_empty());
                }
            }
            Block::Code { .. } | Block::Rule { .. } | Block::Remark { .. } => {}
        }
    }
}

/// The id MkDocs' table of contents gives a heading: ASCII word characters, spaces and
/// hyphens kept, lower-cased, runs of spaces and hyphens joined into one hyphen.
pub fn slugify(text: &str) -> String {
    let kept: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-' || c.is_whitespace())
        .collect();
    let mut out = String::with_capacity(kept.len());
    let mut dash = false;
    for c in kept.trim().chars() {
        if c == '-' || c.is_whitespace() {
            dash = true;
        } else {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}
