//! A light syntax colouring for code blocks: comments, strings, numbers and keywords, enough to
//! tell them apart at a glance without a grammar per language.

use super::{Line, Style, Tone};

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
pub(super) fn highlight(lang: &str, src: &str) -> Line {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_sorted_for_the_binary_search() {
        assert!(KEYWORDS.windows(2).all(|w| w[0] < w[1]));
    }
}
