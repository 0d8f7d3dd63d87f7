//! From blocks to lines for one width: word-wrapping, boxes around code and admonitions, and
//! tables that share the width between their columns.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::highlight::highlight;
use super::{Alignment, Block, Doc, Layout, Line, Run, Span, Style, Tone};

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
