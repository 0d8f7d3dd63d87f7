//! MkDocs' line-based extensions that pulldown-cmark does not know: front matter, admonitions,
//! details, content tabs and `{% … %}` directives. A pre-pass cuts the page into segments of
//! plain Markdown and these, so the walker sees only CommonMark.

use super::Tone;

/// Splits off YAML front matter (`---` … `---` at the very start): hidden, but its `title`
/// names the page. Returns the body and the 1-based source line it starts on.
pub(super) fn front_matter(source: &str) -> (Option<String>, &str, u32) {
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
pub(super) enum Segment {
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

/// Finds admonitions, details, content tabs and `{% … %}` directives outside code fences.
pub(super) fn segments(source: &str, first_line: u32) -> Vec<Segment> {
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

pub(super) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub(super) fn admonition_tone(kind: &str) -> Tone {
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
