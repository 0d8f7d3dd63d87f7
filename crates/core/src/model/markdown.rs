//! Markdown as a terminal shows it. A page is parsed once into blocks ([`parse`]), then laid out
//! once per width into styled lines ([`layout`]) that the view draws only for the visible slice,
//! so a 1 MB page scrolls at the cost of one screenful. MkDocs' extensions that TechDocs sites use
//! (admonitions, details, content tabs, include directives, front matter) are read here as well,
//! since pulldown-cmark knows only CommonMark and GitHub's extensions. Pure: no IO, no ratatui.

use pulldown_cmark::{
    Alignment as CmarkAlign, BlockQuoteKind, CodeBlockKind, Event, HeadingLevel, Options, Parser,
    Tag, TagEnd,
};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

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

/// Parses a page. Never fails: what cannot be rendered is shown as text.
pub fn parse(source: &str) -> Doc {
    let (title, body, first_line) = front_matter(source);
    let mut cx = Context {
        headings: Vec::new(),
        links: Vec::new(),
        anchors: Default::default(),
    };
    let blocks = parse_blocks(body, first_line, &mut cx);
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

/// Splits off YAML front matter (`---` … `---` at the very start): hidden, but its `title`
/// names the page. Returns the body and the 1-based source line it starts on.
fn front_matter(source: &str) -> (Option<String>, &str, u32) {
    let Some(rest) = source
        .strip_prefix("---\n")
        .or_else(|| source.strip_prefix("---\r\n"))
    else {
        return (None, source, 1);
    };
    let mut offset = 0;
    for (n, line) in rest.split_inclusive('\n').enumerate() {
        let trimmed = line.trim_end();
        if n > 0 && (trimmed == "---" || trimmed == "...") || n == 0 && trimmed == "---" {
            let yaml = &rest[..offset];
            let title = yaml.lines().find_map(|l| {
                l.strip_prefix("title:")
                    .map(|t| t.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
            });
            let body = &rest[offset + line.len()..];
            return (title.filter(|t| !t.is_empty()), body, n as u32 + 3);
        }
        offset += line.len();
    }
    // No closing fence: not front matter after all.
    (None, source, 1)
}

/// A run of the page: plain Markdown, or one of MkDocs' line-based extensions around it.
enum Segment {
    Markdown {
        text: String,
        first_line: u32,
    },
    Admonition {
        kind: String,
        title: String,
        body: String,
        first_line: u32,
        line: u32,
    },
    Remark {
        text: String,
        line: u32,
    },
}

fn parse_blocks(source: &str, first_line: u32, cx: &mut Context) -> Vec<Block> {
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
                let tone = admonition_tone(&kind);
                let inner = parse_blocks(&body, first_line, cx);
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

/// Finds admonitions, details, content tabs and `{% … %}` directives outside code fences.
fn segments(source: &str, first_line: u32) -> Vec<Segment> {
    let lines: Vec<&str> = source
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut out = Vec::new();
    let mut chunk_start = 0;
    let mut fence: Option<(char, usize)> = None;
    let mut i = 0;
    let flush = |out: &mut Vec<Segment>, from: usize, to: usize| {
        if from < to && lines[from..to].iter().any(|l| !l.trim().is_empty()) {
            out.push(Segment::Markdown {
                text: lines[from..to].join("\n"),
                first_line: first_line + from as u32,
            });
        }
    };
    while i < lines.len() {
        let line = lines[i];
        if let Some((ch, len)) = fence {
            if closes_fence(line, ch, len) {
                fence = None;
            }
            i += 1;
            continue;
        }
        if let Some(f) = opens_fence(line) {
            fence = Some(f);
            i += 1;
            continue;
        }
        if let Some((kind, title)) = admonition_header(line) {
            flush(&mut out, chunk_start, i);
            let mut j = i + 1;
            while j < lines.len() && (lines[j].trim().is_empty() || indent_of(lines[j]) >= 4) {
                j += 1;
            }
            let mut end = j;
            while end > i + 1 && lines[end - 1].trim().is_empty() {
                end -= 1;
            }
            let body = lines[i + 1..end]
                .iter()
                .map(|l| dedent(l, 4))
                .collect::<Vec<_>>()
                .join("\n");
            out.push(Segment::Admonition {
                kind,
                title,
                body,
                first_line: first_line + i as u32 + 1,
                line: first_line + i as u32,
            });
            i = end;
            chunk_start = end;
            continue;
        }
        if line.trim_start().starts_with("{%") {
            flush(&mut out, chunk_start, i);
            let mut j = i;
            let mut directive = String::new();
            while j < lines.len() {
                directive.push_str(lines[j].trim());
                directive.push(' ');
                j += 1;
                if lines[j - 1].contains("%}") {
                    break;
                }
            }
            out.push(Segment::Remark {
                text: describe_directive(&directive),
                line: first_line + i as u32,
            });
            i = j;
            chunk_start = j;
            continue;
        }
        i += 1;
    }
    flush(&mut out, chunk_start, lines.len());
    out
}

fn indent_of(line: &str) -> usize {
    let mut n = 0;
    for c in line.chars() {
        match c {
            ' ' => n += 1,
            '\t' => n += 4 - n % 4,
            _ => break,
        }
    }
    n
}

/// Removes up to `n` columns of leading indentation.
fn dedent(line: &str, n: usize) -> &str {
    let mut cols = 0;
    for (i, c) in line.char_indices() {
        if cols >= n {
            return &line[i..];
        }
        match c {
            ' ' => cols += 1,
            '\t' => cols += 4 - cols % 4,
            _ => return &line[i..],
        }
    }
    ""
}

fn opens_fence(line: &str) -> Option<(char, usize)> {
    if indent_of(line) > 3 {
        return None;
    }
    let t = line.trim_start();
    let ch = t.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = t.chars().take_while(|c| *c == ch).count();
    (len >= 3).then_some((ch, len))
}

fn closes_fence(line: &str, ch: char, len: usize) -> bool {
    let t = line.trim();
    t.chars().take_while(|c| *c == ch).count() >= len && t.chars().all(|c| c == ch)
}

/// `!!! note "Title"`, `??? tip`, `???+ warning "T"`, `=== "Tab"` → (kind, title).
fn admonition_header(line: &str) -> Option<(String, String)> {
    if indent_of(line) > 3 {
        return None;
    }
    let t = line.trim();
    if let Some(rest) = t.strip_prefix("===") {
        let title = rest.trim().trim_start_matches('+').trim();
        let title = title.strip_prefix('"')?.strip_suffix('"')?;
        return Some(("tab".into(), title.to_string()));
    }
    let rest = t
        .strip_prefix("!!!")
        .or_else(|| t.strip_prefix("???+"))
        .or_else(|| t.strip_prefix("???"))?;
    if !rest.starts_with(' ') {
        return None;
    }
    let rest = rest.trim();
    let (kind_part, title) = match rest.find('"') {
        Some(q) => {
            let title = rest[q + 1..]
                .trim_end()
                .strip_suffix('"')
                .unwrap_or(&rest[q + 1..]);
            (rest[..q].trim(), Some(title.to_string()))
        }
        None => (rest, None),
    };
    // `!!! note inline end "T"`: the first word is the kind, the rest are placement classes.
    let kind = kind_part.split_whitespace().next()?.to_ascii_lowercase();
    if !kind
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return None;
    }
    let title = title.unwrap_or_else(|| capitalise(&kind));
    Some((kind, title))
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn admonition_tone(kind: &str) -> Tone {
    match kind {
        "tip" | "hint" | "important" | "success" | "check" | "done" => Tone::Tip,
        "warning" | "warn" | "caution" | "attention" => Tone::Warning,
        "danger" | "error" | "failure" | "fail" | "missing" | "bug" => Tone::Danger,
        "tab" => Tone::Heading,
        _ => Tone::Note,
    }
}

fn describe_directive(directive: &str) -> String {
    let inner = directive
        .trim()
        .trim_start_matches("{%")
        .trim_end()
        .trim_end_matches("%}")
        .trim();
    let mut words = inner.split_whitespace();
    let name = words.next().unwrap_or("directive");
    let file = inner.split('"').nth(1);
    match file {
        Some(f) => format!("⟨{name} {f}: not shown in the terminal⟩"),
        None => format!("⟨{name}: not shown in the terminal⟩"),
    }
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

struct Walker<'c> {
    cx: &'c mut Context,
    stack: Vec<Frame>,
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

/// Lays a parsed page out for `width` cells.
pub fn layout(doc: &Doc, width: u16) -> Layout {
    let w = usize::from(width.max(8));
    let mut lines = Vec::new();
    layout_blocks(&doc.blocks, w, &mut lines);
    let mut heading_lines = vec![0; doc.headings.len()];
    let mut link_lines = vec![usize::MAX; doc.links.len()];
    for (i, line) in lines.iter().enumerate() {
        if let Some(h) = line.heading
            && let Some(slot) = heading_lines.get_mut(h as usize)
        {
            *slot = i;
        }
        for run in &line.runs {
            if let Some(n) = run.style.link
                && let Some(slot) = link_lines.get_mut(n as usize - 1)
                && *slot == usize::MAX
            {
                *slot = i;
            }
        }
    }
    for l in &mut link_lines {
        if *l == usize::MAX {
            *l = 0;
        }
    }
    Layout {
        width,
        lines,
        heading_lines,
        link_lines,
    }
}

fn layout_blocks(blocks: &[Block], w: usize, out: &mut Vec<Line>) {
    for (i, block) in blocks.iter().enumerate() {
        if i > 0 {
            let line = out.last().map_or(0, |l| l.source_line);
            out.push(Line {
                source_line: line,
                ..Line::default()
            });
        }
        layout_block(block, w, out);
    }
}

fn layout_block(block: &Block, w: usize, out: &mut Vec<Line>) {
    match block {
        Block::Paragraph { spans, line } => wrap_spans(spans, w, *line, out),
        Block::Heading {
            level,
            spans,
            index,
            line,
        } => {
            let spans: Vec<Span> = spans
                .iter()
                .map(|s| Span {
                    text: s.text.clone(),
                    style: Style {
                        tone: if s.style.tone == Tone::Text {
                            Tone::Heading
                        } else {
                            s.style.tone
                        },
                        bold: true,
                        ..s.style
                    },
                })
                .collect();
            let mut prefix = Vec::new();
            if *level >= 3 {
                prefix.push(Span {
                    text: format!("{} ", "#".repeat(usize::from(*level))),
                    style: Style::tone(Tone::Muted),
                });
            }
            let start = out.len();
            let all: Vec<Span> = prefix.into_iter().chain(spans).collect();
            wrap_spans(&all, w, *line, out);
            if let Some(first) = out.get_mut(start) {
                first.heading = Some(*index);
            }
            if *level <= 2 {
                let underline_width = out[start..]
                    .iter()
                    .map(Line::width)
                    .max()
                    .unwrap_or(0)
                    .min(w);
                let ch = if *level == 1 { "═" } else { "─" };
                let mut l = Line {
                    source_line: *line,
                    ..Line::default()
                };
                l.push(&ch.repeat(underline_width), Style::tone(Tone::Heading));
                out.push(l);
            }
        }
        Block::Code { lang, text, line } => {
            let mut head = Line {
                source_line: *line,
                ..Line::default()
            };
            head.push(
                &format!("┌─ {}", if lang.is_empty() { "code" } else { lang }),
                Style::tone(Tone::Muted),
            );
            out.push(head);
            let inner = w.saturating_sub(2).max(1);
            for (n, src) in text.split('\n').enumerate() {
                let styled = highlight(lang, src);
                let line_no = *line + 1 + n as u32;
                for mut piece in hard_wrap(&styled, inner) {
                    piece.source_line = line_no;
                    out.push(prefixed(piece, "│ ", Style::tone(Tone::Muted)));
                }
            }
        }
        Block::List { start, items, line } => {
            for (n, item) in items.iter().enumerate() {
                let marker = match (item.task, start) {
                    (Some(true), _) => "☑ ".to_string(),
                    (Some(false), _) => "☐ ".to_string(),
                    (None, Some(s)) => format!("{}. ", s + n as u64),
                    (None, None) => "• ".to_string(),
                };
                let mw = marker.width();
                let mut inner = Vec::new();
                layout_blocks(&item.blocks, w.saturating_sub(mw).max(4), &mut inner);
                if inner.is_empty() {
                    inner.push(Line {
                        source_line: *line,
                        ..Line::default()
                    });
                }
                let marker_style = match item.task {
                    Some(true) => Style::tone(Tone::Tip),
                    _ => Style::tone(Tone::Muted),
                };
                let pad = " ".repeat(mw);
                for (k, l) in inner.into_iter().enumerate() {
                    if k == 0 {
                        out.push(prefixed(l, &marker, marker_style));
                    } else {
                        out.push(prefixed(l, &pad, Style::default()));
                    }
                }
            }
        }
        Block::Quote { blocks, .. } => {
            let mut inner = Vec::new();
            layout_blocks(blocks, w.saturating_sub(2).max(4), &mut inner);
            for mut l in inner {
                for r in &mut l.runs {
                    if r.style.tone == Tone::Text {
                        r.style.tone = Tone::Quote;
                        r.style.italic = true;
                    }
                }
                out.push(prefixed(l, "│ ", Style::tone(Tone::Muted)));
            }
        }
        Block::Table { aligns, rows, line } => layout_table(aligns, rows, w, *line, out),
        Block::Rule { line } => {
            let mut l = Line {
                source_line: *line,
                ..Line::default()
            };
            l.push(&"─".repeat(w), Style::tone(Tone::Muted));
            out.push(l);
        }
        Block::Admonition {
            kind,
            title,
            tone,
            blocks,
            line,
        } => {
            let border = Style::tone(*tone);
            let icon = match tone {
                Tone::Tip => "✓ ",
                Tone::Warning => "⚠ ",
                Tone::Danger => "✗ ",
                Tone::Heading => "▸ ",
                _ => "ℹ ",
            };
            if w < 12 {
                let mut head = Line {
                    source_line: *line,
                    ..Line::default()
                };
                head.push(
                    &format!("{icon}{title}"),
                    Style {
                        bold: true,
                        ..border
                    },
                );
                out.push(head);
                layout_blocks(blocks, w, out);
                return;
            }
            let inner_w = w - 4;
            let label = format!("─ {icon}{title} ");
            let label = truncate(&label, w - 2);
            let mut head = Line {
                source_line: *line,
                ..Line::default()
            };
            head.push("╭", border);
            head.push(
                &label,
                Style {
                    bold: true,
                    ..border
                },
            );
            head.push(&"─".repeat(w.saturating_sub(2 + label.width())), border);
            head.push("╮", border);
            out.push(head);
            let mut inner = Vec::new();
            layout_blocks(blocks, inner_w, &mut inner);
            if kind == "tab" && inner.is_empty() {
                inner.push(Line::default());
            }
            for l in inner {
                let pad = inner_w.saturating_sub(l.width());
                let mut boxed = prefixed(l, "│ ", border);
                boxed.push(&" ".repeat(pad), Style::default());
                boxed.push(" │", border);
                out.push(boxed);
            }
            let mut foot = Line {
                source_line: *line,
                ..Line::default()
            };
            foot.push(&format!("╰{}╯", "─".repeat(w - 2)), border);
            out.push(foot);
        }
        Block::Remark { text, line } => {
            let spans = vec![Span {
                text: text.clone(),
                style: Style {
                    italic: true,
                    ..Style::tone(Tone::Muted)
                },
            }];
            wrap_spans(&spans, w, *line, out);
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.width() <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if used + cw + 1 > max {
            break;
        }
        used += cw;
        out.push(c);
    }
    out.push('…');
    out
}

/// A line with `prefix` put in front, its runs shifted.
fn prefixed(mut line: Line, prefix: &str, style: Style) -> Line {
    // In place: a 1 MB page has tens of thousands of nested lines, and a copy each would double
    // the cost of a layout.
    if prefix.is_empty() {
        return line;
    }
    let shift = prefix.len() as u32;
    line.text.insert_str(0, prefix);
    for r in &mut line.runs {
        r.start += shift;
        r.end += shift;
    }
    match line.runs.first_mut() {
        Some(first) if first.style == style && first.start == shift => first.start = 0,
        _ => line.runs.insert(
            0,
            Run {
                start: 0,
                end: shift,
                style,
            },
        ),
    }
    line
}

/// An empty line with room for a line of `w` cells, so pushing words rarely reallocates.
fn new_line(source_line: u32, w: usize) -> Line {
    Line {
        text: String::with_capacity(w + 8),
        runs: Vec::with_capacity(4),
        source_line,
        heading: None,
    }
}

/// Word-wraps inline spans to `w` cells; words longer than a line are broken.
fn wrap_spans(spans: &[Span], w: usize, source_line: u32, out: &mut Vec<Line>) {
    let mut line = new_line(source_line, w);
    let mut used = 0usize;
    let mut space: Option<Style> = None;
    let mut any = false;
    for span in spans {
        let text = span.text.as_str();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('\n') {
                out.push(std::mem::replace(&mut line, new_line(source_line, w)));
                used = 0;
                space = None;
                rest = r;
                continue;
            }
            if rest.starts_with(' ') {
                if used > 0 {
                    space = Some(span.style);
                }
                rest = rest.trim_start_matches(' ');
                continue;
            }
            let end = rest.find([' ', '\n']).unwrap_or(rest.len());
            let word = &rest[..end];
            rest = &rest[end..];
            let ww = word.width();
            let gap = usize::from(space.is_some());
            if used > 0 && used + gap + ww > w {
                out.push(std::mem::replace(&mut line, new_line(source_line, w)));
                used = 0;
                space = None;
            }
            if let Some(style) = space.take() {
                // A space between words keeps the style of what it separates, except links'
                // underline-worthy tone, which would make the gap look like part of the link.
                let style = if style.link.is_some() && span.style.link != style.link {
                    Style::default()
                } else {
                    style
                };
                line.push(" ", style);
                used += 1;
            }
            if ww <= w.saturating_sub(used) {
                line.push(word, span.style);
                used += ww;
            } else {
                // Longer than a whole line: break it wherever the line is full.
                for c in word.chars() {
                    let cw = c.width().unwrap_or(0);
                    if used + cw > w && used > 0 {
                        out.push(std::mem::replace(&mut line, new_line(source_line, w)));
                        used = 0;
                    }
                    let mut buf = [0u8; 4];
                    line.push(c.encode_utf8(&mut buf), span.style);
                    used += cw;
                }
            }
            any = true;
        }
    }
    if any || !line.text.is_empty() {
        out.push(line);
    }
}

/// Breaks a line at exactly `w` cells (code is never re-flowed).
fn hard_wrap(line: &Line, w: usize) -> Vec<Line> {
    if line.width() <= w {
        return vec![line.clone()];
    }
    let mut out = Vec::new();
    let mut cur = Line::default();
    let mut used = 0;
    for run in &line.runs {
        for c in line.slice(run).chars() {
            let cw = c.width().unwrap_or(0);
            if used + cw > w && used > 0 {
                out.push(std::mem::take(&mut cur));
                used = 0;
            }
            let mut buf = [0u8; 4];
            cur.push(c.encode_utf8(&mut buf), run.style);
            used += cw;
        }
    }
    out.push(cur);
    out
}

fn layout_table(
    aligns: &[Alignment],
    rows: &[Vec<Vec<Span>>],
    w: usize,
    source_line: u32,
    out: &mut Vec<Line>,
) {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    if cols == 0 {
        return;
    }
    let cell_width = |cell: &Vec<Span>| cell.iter().map(|s| s.text.width()).sum::<usize>();
    let mut natural = vec![1usize; cols];
    for row in rows {
        for (c, cell) in row.iter().enumerate() {
            natural[c] = natural[c].max(cell_width(cell));
        }
    }
    // Share the width: columns that fit keep their size, the rest split what is left.
    let sep = 3;
    let avail = w.saturating_sub(sep * (cols - 1)).max(cols);
    let mut widths = natural.clone();
    if natural.iter().sum::<usize>() > avail {
        let mut left = avail;
        let mut open: Vec<usize> = (0..cols).collect();
        loop {
            let share = (left / open.len().max(1)).max(1);
            let (small, big): (Vec<usize>, Vec<usize>) =
                open.iter().partition(|&&c| natural[c] <= share);
            if small.is_empty() {
                for &c in &big {
                    widths[c] = share;
                }
                break;
            }
            for &c in &small {
                widths[c] = natural[c];
                left = left.saturating_sub(natural[c]);
            }
            open = big;
            if open.is_empty() {
                break;
            }
        }
    }
    let border = Style::tone(Tone::Muted);
    for (r, row) in rows.iter().enumerate() {
        let mut cells: Vec<Vec<Line>> = Vec::with_capacity(cols);
        for (c, width) in widths.iter().enumerate() {
            let mut lines = Vec::new();
            if let Some(cell) = row.get(c) {
                let spans: Vec<Span> = if r == 0 {
                    cell.iter()
                        .map(|s| Span {
                            text: s.text.clone(),
                            style: Style {
                                bold: true,
                                ..s.style
                            },
                        })
                        .collect()
                } else {
                    cell.clone()
                };
                wrap_spans(&spans, *width, source_line, &mut lines);
            }
            cells.push(lines);
        }
        let height = cells.iter().map(Vec::len).max().unwrap_or(0).max(1);
        for k in 0..height {
            let mut line = Line {
                source_line: source_line + r as u32,
                ..Line::default()
            };
            for c in 0..cols {
                if c > 0 {
                    line.push(" │ ", border);
                }
                let piece = cells[c].get(k).cloned().unwrap_or_default();
                let pad = widths[c].saturating_sub(piece.width());
                let (before, after) = match aligns.get(c) {
                    Some(Alignment::Right) => (pad, 0),
                    Some(Alignment::Center) => (pad / 2, pad - pad / 2),
                    _ => (0, pad),
                };
                line.push(&" ".repeat(before), Style::default());
                let shift = line.text.len() as u32;
                line.text.push_str(&piece.text);
                line.runs.extend(piece.runs.iter().map(|r| Run {
                    start: r.start + shift,
                    end: r.end + shift,
                    ..*r
                }));
                if c + 1 < cols {
                    line.push(&" ".repeat(after), Style::default());
                }
            }
            out.push(line);
        }
        if r == 0 && rows.len() > 1 {
            let mut rule = Line {
                source_line,
                ..Line::default()
            };
            let parts: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
            rule.push(&parts.join("─┼─"), border);
            out.push(rule);
        }
    }
}

/// Keywords of the languages docs show most, sorted for a binary search; one list serves all, since a word that is a
/// keyword in one language is rarely an identifier worth colouring differently in another.
const KEYWORDS: &[&str] = &[
    "False",
    "None",
    "True",
    "as",
    "async",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "def",
    "default",
    "defer",
    "do",
    "elif",
    "else",
    "enum",
    "except",
    "export",
    "extends",
    "false",
    "finally",
    "fn",
    "for",
    "from",
    "func",
    "function",
    "go",
    "if",
    "impl",
    "import",
    "in",
    "interface",
    "let",
    "loop",
    "match",
    "mod",
    "mut",
    "new",
    "nil",
    "null",
    "package",
    "pass",
    "pub",
    "raise",
    "return",
    "self",
    "static",
    "struct",
    "switch",
    "this",
    "throw",
    "trait",
    "true",
    "try",
    "type",
    "use",
    "var",
    "void",
    "while",
    "with",
    "yield",
];

/// A light syntax colouring for one line of code: comments, strings, numbers and keywords. A
/// full grammar engine would cost megabytes of binary for little gain in a terminal.
fn highlight(lang: &str, src: &str) -> Line {
    let mut line = Line::default();
    let lang = lang.to_ascii_lowercase();
    let hash_comments = matches!(
        lang.as_str(),
        "python"
            | "py"
            | "yaml"
            | "yml"
            | "bash"
            | "sh"
            | "shell"
            | "console"
            | "toml"
            | "ruby"
            | "rb"
            | "dockerfile"
            | "make"
            | "makefile"
            | "ini"
            | "conf"
            | "r"
            | "perl"
    );
    let slash_comments = !matches!(
        lang.as_str(),
        "python"
            | "py"
            | "yaml"
            | "yml"
            | "toml"
            | "ini"
            | ""
            | "text"
            | "txt"
            | "plantuml"
            | "mermaid"
            | "markdown"
            | "md"
            | "json"
    );
    let sql_comments = matches!(lang.as_str(), "sql" | "lua" | "haskell");
    let plain = matches!(
        lang.as_str(),
        "" | "text" | "txt" | "plantuml" | "mermaid" | "markdown" | "md" | "console" | "log"
    );
    if plain {
        line.push(src, Style::tone(Tone::Code));
        return line;
    }
    let bytes = src.as_bytes();
    let mut i = 0;
    let mut word_start: Option<usize> = None;
    let flush_word = |line: &mut Line, from: usize, to: usize| {
        let word = &src[from..to];
        let tone = if KEYWORDS.binary_search(&word).is_ok() {
            Tone::Keyword
        } else if word.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            Tone::Number
        } else {
            Tone::Code
        };
        line.push(word, Style::tone(tone));
    };
    while i < bytes.len() {
        let b = bytes[i];
        let is_word = b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
        if is_word {
            word_start.get_or_insert(i);
            i += 1;
            continue;
        }
        if let Some(ws) = word_start.take() {
            flush_word(&mut line, ws, i);
        }
        let rest = &src[i..];
        if (hash_comments && b == b'#')
            || (slash_comments && rest.starts_with("//"))
            || (sql_comments && rest.starts_with("--"))
        {
            line.push(
                rest,
                Style {
                    italic: true,
                    ..Style::tone(Tone::Comment)
                },
            );
            return line;
        }
        if b == b'"' || b == b'\'' || b == b'`' {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != b {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(bytes.len());
            // Byte indices may land inside a multi-byte char after an escape; back off to a boundary.
            let end = (end..=bytes.len())
                .find(|e| src.is_char_boundary(*e))
                .unwrap_or(bytes.len());
            line.push(&src[i..end], Style::tone(Tone::Str));
            i = end;
            continue;
        }
        let end = (i + 1..=bytes.len())
            .find(|e| src.is_char_boundary(*e))
            .unwrap_or(bytes.len());
        line.push(&src[i..end], Style::tone(Tone::Code));
        i = end;
    }
    if let Some(ws) = word_start {
        flush_word(&mut line, ws, bytes.len());
    }
    line
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
    fn keywords_are_sorted_for_the_binary_search() {
        assert!(KEYWORDS.windows(2).all(|w| w[0] < w[1]));
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
