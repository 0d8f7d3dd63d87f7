//! The one sanitiser every string from outside (APIs, files, processes) passes through, once, when
//! it is decoded: remote text can otherwise rewrite the screen, set the title, write the clipboard
//! or reorder what is displayed (CWE-150, Trojan Source). Render code may assume clean text.
//!
//! Controls are replaced by visible forms rather than deleted, so tampering shows; invisible
//! format characters are removed; log lines keep their SGR colours as style runs. Pure code: no
//! ratatui types, so `model/` can use it.

/// A colour named by an SGR sequence: one of the 256 palette entries (0–15 are the 8/16 basic
/// colours) or a 24-bit colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Color8 {
    Indexed(u8),
    Rgb(u8, u8, u8),
}

/// The part of a terminal's graphic rendition a log view shows. Blink, conceal and strike-through
/// are left out on purpose: conceal would hide text, blink only distracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SgrStyle {
    pub fg: Option<Color8>,
    pub bg: Option<Color8>,
    pub bold: bool,
    pub dim: bool,
    pub italic: bool,
    pub underline: bool,
    pub reverse: bool,
}

/// Byte range `start..end` of the plain text of a log line drawn in `style`. Text outside every
/// run has the default style; runs are sorted, never overlap, never empty, and fall on char
/// boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StyledRun {
    pub start: usize,
    pub end: usize,
    pub style: SgrStyle,
}

/// Tab stops every this many columns in multi-line text and logs.
const TAB_WIDTH: usize = 4;

/// For single-line fields (names, titles, table cells, the status bar): every control, including
/// `\n`, `\r` and `\t`, is shown in caret or hex form, bidi controls as `<U+202E>` markers;
/// invisible characters are removed.
pub fn line(s: &str) -> String {
    sanitize(s, Mode::Line)
}

/// For identifiers used as join keys (label names and values, entity refs): like [`line`], but
/// bidi and other format characters are removed rather than marked, so that a key decorated with
/// invisible characters still matches; controls are still made visible. ZWJ and ZWNJ inside
/// emoji and script clusters stay, as in [`line`], so both sides of a join agree.
pub fn ident(s: &str) -> String {
    sanitize(s, Mode::Ident)
}

/// For multi-line text (descriptions, annotations, docs, commit messages): keeps `\n`, reads
/// `\r\n` (and CRs that end a line) as `\n`, shows a lone `\r` as `^M` — it hid the text before
/// it, which a reader must see — expands tabs to the next multiple of four columns; everything
/// else as [`line`].
pub fn text(s: &str) -> String {
    if is_clean(s, Mode::Text) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut writer = Writer::new(Mode::Text);
    for (n, raw) in s.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
            writer.start_line(out.len());
        }
        writer.push(&mut out, raw.trim_end_matches('\r'));
    }
    out
}

/// For CI and container log lines: SGR sequences become style runs; every other escape sequence
/// (CSI, OSC, DCS, SOS, PM, APC, nF and single-character escapes, and their 8-bit C1 forms) is
/// dropped whole with its payload; the text between is sanitised as [`line`] does, except that
/// tabs are expanded and a lone `\r` keeps only what follows it (a progress bar redrawn in place); a trailing line
/// ending (`\n`, `\r\n`) is dropped. Returns the plain text (what search runs over) and the
/// styled runs over it.
pub fn log_line(s: &str) -> (String, Vec<StyledRun>) {
    let s = s.trim_end_matches(['\r', '\n']);
    if is_clean(s, Mode::Log) {
        return (s.to_owned(), Vec::new());
    }
    let mut log = LogBuilder {
        out: String::with_capacity(s.len()),
        runs: Vec::new(),
        style: SgrStyle::default(),
        run_start: 0,
        writer: Writer::new(Mode::Log),
    };
    let bytes = s.as_bytes();
    let mut text_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // ESC, CR and the lead byte of U+0080–U+00BF are never UTF-8 continuation bytes, so a
        // match here is always at a char boundary.
        let seq = match bytes[i] {
            0x1b => escape_sequence(bytes, i + 1),
            b'\r' => Some((i + 1, Seq::CarriageReturn)),
            0xc2 => bytes.get(i + 1).and_then(|&b| c1_sequence(bytes, b, i + 2)),
            _ => None,
        };
        let Some((end, seq)) = seq else {
            i += 1;
            continue;
        };
        log.text(&s[text_start..i]);
        match seq {
            Seq::Sgr { params_start } => log.sgr(&s[params_start..end - 1]),
            Seq::Dropped => {}
            Seq::CarriageReturn => {
                // The line's own ending is trimmed above, so this CR is followed by more: it
                // rewrites the line from its start, as a progress bar does.
                log.clear();
            }
        }
        i = end;
        text_start = end;
    }
    log.text(&s[text_start..]);
    log.finish()
}

/// A URL that is safe to show, copy (OSC 52) or open: `http` or `https`, a non-empty ASCII host,
/// no whitespace, control or format character, no backslash (read as `/` by browsers but not by
/// every checker), and none of `^`, `<`, `>`: a URL may not hold them raw (RFC 3986), and they are
/// what this sanitiser writes for controls (`^[`, `\u{9b}`, `<U+202E>`), so text that was
/// sanitised never passes for the URL it hid. Surrounding whitespace is trimmed; non-ASCII in the path, query and fragment
/// is percent-encoded, so the result is printable ASCII and can go into an OSC 8 link.
pub fn url(s: &str) -> Option<String> {
    let s = s.trim();
    if s.chars()
        .any(|c| c.is_whitespace() || c.is_control() || is_format(c) || "\\^<>".contains(c))
    {
        return None;
    }
    let (scheme, rest) = s.split_once("://")?;
    let scheme = if scheme.eq_ignore_ascii_case("https") {
        "https"
    } else if scheme.eq_ignore_ascii_case("http") {
        "http"
    } else {
        return None;
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    if !authority.bytes().all(is_authority_byte) {
        return None;
    }
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let host = if host_port.starts_with('[') {
        host_port
            .split(']')
            .next()
            .unwrap_or(host_port)
            .trim_start_matches('[')
    } else {
        host_port.split(':').next().unwrap_or(host_port)
    };
    if host.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    out.push_str(scheme);
    out.push_str("://");
    out.push_str(authority);
    for c in tail.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push('%');
                push_hex(&mut out, u32::from(b), 2, true);
            }
        }
    }
    Some(out)
}

/// At most `max` characters of remote text for a message about it, as [`line`] shows them, with
/// `…` when cut: enough to recognise what came back, never a whole body (which can hold a
/// secret, a page of HTML, or screenfuls of one line).
pub fn excerpt(s: &str, max: usize) -> String {
    let head: String = s.chars().take(max.saturating_add(1)).collect();
    let mut out = line(head.trim());
    if out.chars().count() > max {
        out = out.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
    }
    out
}

/// Makes serde_json output safe to print to a terminal. serde_json escapes only U+0000–U+001F,
/// so DEL, C1, format characters (bidi, zero-width) and the line/paragraph separators are
/// escaped here as `\u007f`, `\u009b`, `\u202e`; the JSON still parses to the same value. Raw
/// `\n` and `\t` are kept: they are the whitespace of pretty-printed output.
pub fn json_for_terminal(s: &str) -> String {
    let needs_escape = |c: char| {
        !matches!(c, '\n' | '\t')
            && (c.is_control() || is_format(c) || matches!(c, '\u{2028}' | '\u{2029}'))
    };
    if !s.chars().any(needs_escape) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if needs_escape(c) {
            let mut units = [0; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str("\\u");
                push_hex(&mut out, u32::from(*unit), 4, false);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// How a character is treated by every sanitiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Shown as it is.
    Plain,
    /// Cc: C0, DEL, C1.
    Control,
    /// U+2028, U+2029: a line break to some renderers, none to a terminal.
    Separator,
    /// Characters that change how other text is displayed without showing themselves: bidi
    /// embeddings, overrides, isolates and marks, the deprecated format controls U+206A–206F and
    /// the interlinear annotation controls U+FFF9–FFFB (which can hide the text they wrap).
    Marked,
    /// Zero-width characters with no display purpose in our fields: zero width space, word
    /// joiner, soft hyphen, BOM, invisible math operators, Mongolian vowel separator, shorthand
    /// and musical format controls, the language tag.
    Invisible,
    /// ZWNJ, ZWJ and the Egyptian hieroglyph format controls: meaningful only inside emoji and
    /// script clusters, so kept only between two non-ASCII characters.
    Joiner,
    /// Tag characters: meaningful only in emoji flag sequences after U+1F3F4 WAVING BLACK FLAG.
    Tag,
}

fn classify(c: char) -> Class {
    match c {
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => Class::Control,
        ' '..='~' => Class::Plain,
        '\u{ad}'
        | '\u{180e}'
        | '\u{200b}'
        | '\u{2060}'..='\u{2064}'
        | '\u{feff}'
        | '\u{1bca0}'..='\u{1bca3}'
        | '\u{1d173}'..='\u{1d17a}'
        | '\u{e0001}' => Class::Invisible,
        '\u{61c}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{206f}'
        | '\u{fff9}'..='\u{fffb}' => Class::Marked,
        '\u{200c}' | '\u{200d}' | '\u{13430}'..='\u{1343f}' => Class::Joiner,
        '\u{2028}' | '\u{2029}' => Class::Separator,
        '\u{e0020}'..='\u{e007f}' => Class::Tag,
        _ => Class::Plain,
    }
}

/// Unicode general category Cf (format), as of Unicode 16: the characters handled above plus
/// the prepended concatenation marks, which are visible and so left alone by the sanitisers.
fn is_format(c: char) -> bool {
    matches!(
        classify(c),
        Class::Marked | Class::Invisible | Class::Joiner | Class::Tag
    ) || matches!(
        c,
        '\u{600}'..='\u{605}'
            | '\u{6dd}'
            | '\u{70f}'
            | '\u{890}'..='\u{891}'
            | '\u{8e2}'
            | '\u{110bd}'
            | '\u{110cd}'
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Line,
    Ident,
    Text,
    Log,
}

impl Mode {
    fn keeps_newlines(self) -> bool {
        self == Mode::Text
    }

    fn expands_tabs(self) -> bool {
        matches!(self, Mode::Text | Mode::Log)
    }

    fn marks_format(self) -> bool {
        self != Mode::Ident
    }
}

/// True when `s` comes out of `mode` unchanged, so the common case costs one scan and one copy.
fn is_clean(s: &str, mode: Mode) -> bool {
    let bytes = s.as_bytes();
    let keep_nl = mode.keeps_newlines();
    let Some(first) = bytes
        .iter()
        .position(|&b| !((b' '..=b'~').contains(&b) || (keep_nl && b == b'\n')))
    else {
        return true;
    };
    // Everything before `first` is ASCII, so it is a char boundary.
    s[first..].chars().all(|c| match classify(c) {
        Class::Plain => true,
        Class::Control => keep_nl && c == '\n',
        _ => false,
    })
}

fn sanitize(s: &str, mode: Mode) -> String {
    if is_clean(s, mode) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    Writer::new(mode).push(&mut out, s);
    out
}

/// Appends sanitised text to a string, remembering enough of the current line to expand tabs.
struct Writer {
    mode: Mode,
    /// A byte offset in the output on the current line, and the display column it starts at;
    /// advanced at each tab so that measuring stays linear in the line's length.
    col_pos: usize,
    col: usize,
}

impl Writer {
    fn new(mode: Mode) -> Self {
        Writer {
            mode,
            col_pos: 0,
            col: 0,
        }
    }

    /// The output's line now starts at byte `at`, column 0.
    fn start_line(&mut self, at: usize) {
        self.col_pos = at;
        self.col = 0;
    }

    fn push(&mut self, out: &mut String, s: &str) {
        let mut rest = s;
        loop {
            // Printable ASCII is most of every input: copy it in bulk.
            let clean = rest
                .bytes()
                .position(|b| !(b' '..=b'~').contains(&b))
                .unwrap_or(rest.len());
            out.push_str(&rest[..clean]);
            let mut chars = rest[clean..].chars();
            let Some(c) = chars.next() else {
                return;
            };
            rest = chars.as_str();
            self.push_char(out, c, rest.chars().next());
        }
    }

    /// One character that is not printable ASCII; `next` is the one after it in the input.
    fn push_char(&mut self, out: &mut String, c: char, next: Option<char>) {
        match classify(c) {
            Class::Plain => out.push(c),
            Class::Control => self.control(out, c),
            Class::Separator if self.mode.keeps_newlines() => {
                out.push('\n');
                self.start_line(out.len());
            }
            Class::Separator => push_marker(out, c),
            Class::Marked if self.mode.marks_format() => push_marker(out, c),
            Class::Marked | Class::Invisible => {}
            Class::Joiner => {
                let inside = |x: Option<char>| {
                    x.is_some_and(|x| !x.is_ascii() && classify(x) == Class::Plain)
                };
                if inside(out.chars().next_back()) && inside(next) {
                    out.push(c);
                }
            }
            Class::Tag => {
                let in_flag = out
                    .chars()
                    .next_back()
                    .is_some_and(|p| p == '\u{1f3f4}' || classify(p) == Class::Tag);
                if in_flag {
                    out.push(c);
                }
            }
        }
    }

    fn control(&mut self, out: &mut String, c: char) {
        match c {
            '\n' if self.mode.keeps_newlines() => {
                out.push('\n');
                self.start_line(out.len());
            }
            '\t' if self.mode.expands_tabs() => {
                let col = self.col + unicode_width::UnicodeWidthStr::width(&out[self.col_pos..]);
                let spaces = TAB_WIDTH - col % TAB_WIDTH;
                out.extend(std::iter::repeat_n(' ', spaces));
                self.col_pos = out.len();
                self.col = col + spaces;
            }
            '\u{7f}' => out.push_str("^?"),
            '\u{0}'..='\u{1f}' => {
                out.push('^');
                // C0 caret notation: ESC (0x1B) is ^[, BEL (0x07) is ^G.
                out.push(char::from(c as u8 + 0x40));
            }
            _ => push_marker(out, c),
        }
    }
}

/// `<U+202E>`: visible, searchable, and unlike the character itself harmless.
fn push_marker(out: &mut String, c: char) {
    out.push_str("<U+");
    push_hex(out, c as u32, 4, true);
    out.push('>');
}

/// Hex digits of `v`, at least `width` of them, without going through `fmt`.
fn push_hex(out: &mut String, v: u32, width: usize, upper: bool) {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let len = ((32 - v.leading_zeros() as usize).div_ceil(4)).max(width);
    for shift in (0..len).rev() {
        out.push(char::from(digits[((v >> (shift * 4)) & 0xf) as usize]));
    }
}

fn is_authority_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=:@[]".contains(&b)
}

/// What an escape sequence found in a log line does.
enum Seq {
    /// `CSI params m`; the params end one byte before the sequence does.
    Sgr {
        params_start: usize,
    },
    /// Anything else: dropped with its payload.
    Dropped,
    CarriageReturn,
}

/// The sequence introduced by an ESC whose next byte is at `i`: its end and kind, or `None` when
/// the ESC introduces nothing (end of line, a control, non-ASCII), and is then shown as `^[`.
fn escape_sequence(bytes: &[u8], i: usize) -> Option<(usize, Seq)> {
    match *bytes.get(i)? {
        b'[' => Some(csi(bytes, i + 1)),
        b']' => Some((string_end(bytes, i + 1, true), Seq::Dropped)),
        b'P' | b'X' | b'^' | b'_' => Some((string_end(bytes, i + 1, false), Seq::Dropped)),
        // nF: intermediates then a final byte (charset designation, DECALN, …).
        0x20..=0x2f => {
            let mut j = i;
            while bytes.get(j).is_some_and(|b| (0x20..=0x2f).contains(b)) {
                j += 1;
            }
            let end = if bytes.get(j).is_some_and(|b| (0x30..=0x7e).contains(b)) {
                j + 1
            } else {
                j
            };
            Some((end, Seq::Dropped))
        }
        // Fp, Fe, Fs: one final byte (save cursor, index, full reset, …).
        0x30..=0x7e => Some((i + 1, Seq::Dropped)),
        _ => None,
    }
}

/// An 8-bit C1 introducer (U+0080–U+009F, whose second UTF-8 byte is `b`) whose payload starts
/// at `i`. Only the ones that open a sequence are dropped here; the other C1 controls are made
/// visible like any control.
fn c1_sequence(bytes: &[u8], b: u8, i: usize) -> Option<(usize, Seq)> {
    match b {
        0x9b => Some(csi(bytes, i)),
        0x9d => Some((string_end(bytes, i, true), Seq::Dropped)),
        0x90 | 0x98 | 0x9e | 0x9f => Some((string_end(bytes, i, false), Seq::Dropped)),
        _ => None,
    }
}

/// A control sequence whose parameters start at `i`. A byte that cannot continue it ends it
/// there (the byte is then shown as text); a sequence cut off by the end of the line is dropped.
fn csi(bytes: &[u8], i: usize) -> (usize, Seq) {
    let mut j = i;
    let mut private = false;
    while let Some(&b) = bytes.get(j).filter(|b| (0x30..=0x3f).contains(*b)) {
        private |= (b'<'..=b'?').contains(&b);
        j += 1;
    }
    let params_end = j;
    while bytes.get(j).is_some_and(|b| (0x20..=0x2f).contains(b)) {
        j += 1;
    }
    match bytes.get(j) {
        Some(b'm') if j == params_end && !private => (j + 1, Seq::Sgr { params_start: i }),
        Some(0x40..=0x7e) => (j + 1, Seq::Dropped),
        _ => (j, Seq::Dropped),
    }
}

/// The end of a control string (OSC, DCS, SOS, PM, APC) whose payload starts at `i`: after the
/// ST (`ESC \` or U+009C), after BEL for OSC, after CAN or SUB (which cancel it), or at an ESC
/// that starts another sequence. Unterminated, it runs to the end of the line.
fn string_end(bytes: &[u8], i: usize, bel_ends: bool) -> usize {
    let mut j = i;
    while j < bytes.len() {
        match bytes[j] {
            0x07 if bel_ends => return j + 1,
            0x18 | 0x1a => return j + 1,
            0x1b if bytes.get(j + 1) == Some(&b'\\') => return j + 2,
            0x1b => return j,
            0xc2 if bytes.get(j + 1) == Some(&0x9c) => return j + 2,
            _ => j += 1,
        }
    }
    j
}

struct LogBuilder {
    out: String,
    runs: Vec<StyledRun>,
    style: SgrStyle,
    /// Where the text in `style` began.
    run_start: usize,
    writer: Writer,
}

impl LogBuilder {
    fn text(&mut self, s: &str) {
        if !s.is_empty() {
            self.writer.push(&mut self.out, s);
        }
    }

    fn sgr(&mut self, params: &str) {
        let mut next = self.style;
        apply_sgr(&mut next, params);
        if next != self.style {
            self.close_run();
            self.style = next;
            self.run_start = self.out.len();
        }
    }

    fn clear(&mut self) {
        self.out.clear();
        self.runs.clear();
        self.run_start = 0;
        self.writer.start_line(0);
    }

    fn close_run(&mut self) {
        let end = self.out.len();
        if self.style == SgrStyle::default() || end == self.run_start {
            return;
        }
        match self.runs.last_mut() {
            Some(last) if last.end == self.run_start && last.style == self.style => last.end = end,
            _ => self.runs.push(StyledRun {
                start: self.run_start,
                end,
                style: self.style,
            }),
        }
    }

    fn finish(mut self) -> (String, Vec<StyledRun>) {
        self.close_run();
        (self.out, self.runs)
    }
}

/// Applies the parameters of one SGR sequence (`1;38;5;208`, `38:2::255:0:0`, empty for reset).
/// Unknown or malformed parameters are ignored, as terminals do.
fn apply_sgr(style: &mut SgrStyle, params: &str) {
    let mut groups = params.split(';');
    while let Some(group) = groups.next() {
        if group.contains(':') {
            // ITU T.416 sub-parameters: `38:5:n`, `38:2:[colourspace]:r:g:b`, `4:3` (curly).
            let mut sub = group.split(':');
            match number(sub.next()) {
                Some(38) => style.fg = colon_colour(sub).or(style.fg),
                Some(48) => style.bg = colon_colour(sub).or(style.bg),
                Some(4) => style.underline = number(sub.next()).is_none_or(|n| n != 0),
                Some(n) => apply_simple(style, n),
                None => {}
            }
            continue;
        }
        match number(Some(group)).or(if group.is_empty() { Some(0) } else { None }) {
            Some(n @ (38 | 48 | 58)) => {
                let colour = match number(groups.next()) {
                    Some(5) => number(groups.next()).and_then(byte).map(Color8::Indexed),
                    Some(2) => {
                        let (r, g, b) = (groups.next(), groups.next(), groups.next());
                        rgb(number(r), number(g), number(b))
                    }
                    _ => None,
                };
                match (n, colour) {
                    (38, Some(c)) => style.fg = Some(c),
                    (48, Some(c)) => style.bg = Some(c),
                    // 58 (underline colour) is consumed so its arguments are not read as SGRs.
                    _ => {}
                }
            }
            Some(n) => apply_simple(style, n),
            None => {}
        }
    }
}

fn apply_simple(style: &mut SgrStyle, n: u32) {
    match n {
        0 => *style = SgrStyle::default(),
        1 => style.bold = true,
        2 => style.dim = true,
        3 => style.italic = true,
        4 | 21 => style.underline = true,
        7 => style.reverse = true,
        22 => {
            style.bold = false;
            style.dim = false;
        }
        23 => style.italic = false,
        24 => style.underline = false,
        27 => style.reverse = false,
        30..=37 => style.fg = Some(Color8::Indexed((n - 30) as u8)),
        39 => style.fg = None,
        40..=47 => style.bg = Some(Color8::Indexed((n - 40) as u8)),
        49 => style.bg = None,
        90..=97 => style.fg = Some(Color8::Indexed((n - 90 + 8) as u8)),
        100..=107 => style.bg = Some(Color8::Indexed((n - 100 + 8) as u8)),
        _ => {}
    }
}

fn colon_colour<'a>(mut sub: impl Iterator<Item = &'a str>) -> Option<Color8> {
    match number(sub.next())? {
        5 => number(sub.next()).and_then(byte).map(Color8::Indexed),
        2 => {
            // Both `2:r:g:b` (common) and `2:cs:r:g:b` (the standard, with a colour space id).
            let mut v: [Option<&str>; 4] = [None; 4];
            let mut count = 0;
            for (slot, part) in v.iter_mut().zip(sub.by_ref()) {
                *slot = Some(part);
                count += 1;
            }
            let [a, b, c, d] = v;
            if count == 4 {
                rgb(number(b), number(c), number(d))
            } else {
                rgb(number(a), number(b), number(c))
            }
        }
        _ => None,
    }
}

fn rgb(r: Option<u32>, g: Option<u32>, b: Option<u32>) -> Option<Color8> {
    Some(Color8::Rgb(byte(r?)?, byte(g?)?, byte(b?)?))
}

fn byte(n: u32) -> Option<u8> {
    u8::try_from(n).ok()
}

/// A decimal parameter; `None` when absent, empty or out of range.
fn number(s: Option<&str>) -> Option<u32> {
    let s = s?;
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const RED: SgrStyle = SgrStyle {
        fg: Some(Color8::Indexed(1)),
        bg: None,
        bold: false,
        dim: false,
        italic: false,
        underline: false,
        reverse: false,
    };

    #[rstest]
    #[case::osc_title("\x1b]0;x\x07", "^[]0;x^G")]
    #[case::erase_display("\x1b[2J", "^[[2J")]
    #[case::dcs("\x1bP…\x1b\\", "^[P…^[\\")]
    #[case::c1_csi("\u{9b}31m", "<U+009B>31m")]
    #[case::cr("\r", "^M")]
    #[case::tab("\t", "^I")]
    #[case::newline("a\nb", "a^Jb")]
    #[case::del_and_bs("x\u{7f}\u{8}", "x^?^H")]
    #[case::nul("\0", "^@")]
    #[case::rlo("\u{202e}", "<U+202E>")]
    #[case::isolate("a\u{2066}b\u{2069}", "a<U+2066>b<U+2069>")]
    #[case::arabic_letter_mark("\u{61c}", "<U+061C>")]
    #[case::zero_width_space("\u{200b}", "")]
    #[case::soft_hyphen_bom_wj("soft\u{ad}hy\u{feff}p\u{2060}h", "softhyph")]
    #[case::line_separator("a\u{2028}b", "a<U+2028>b")]
    #[case::alertmanager_annotation("\u{1b}]0;pwned\u{7}\u{1b}[31mred", "^[]0;pwned^G^[[31mred")]
    #[case::emoji_zwj_family("👨\u{200d}👩\u{200d}👧", "👨\u{200d}👩\u{200d}👧")]
    #[case::zwj_between_ascii("a\u{200d}b\u{200c}c", "abc")]
    #[case::zwj_at_edges("\u{200d}😀\u{200d}", "😀")]
    #[case::zwnj_persian("می\u{200c}خواهم", "می\u{200c}خواهم")]
    #[case::devanagari_zwj("क्\u{200d}ष", "क्\u{200d}ष")]
    #[case::flag_tags(
        "\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}",
        "\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}"
    )]
    #[case::stray_tags("ok\u{e0041}\u{e0001}", "ok")]
    #[case::clean_unicode("payments-api · 支付 ✅", "payments-api · 支付 ✅")]
    fn line_makes_controls_visible(#[case] input: &str, #[case] expected: &str) {
        assert_eq!(line(input), expected);
    }

    #[rstest]
    #[case::bidi_removed("pay\u{202e}ments", "payments")]
    #[case::zero_width_removed("team\u{200b}-a\u{feff}", "team-a")]
    #[case::controls_visible("svc\x1b[2J", "svc^[[2J")]
    #[case::isolates_removed("\u{2067}critical\u{2069}", "critical")]
    #[case::emoji_kept("🧑\u{200d}💻", "🧑\u{200d}💻")]
    fn ident_removes_format_characters(#[case] input: &str, #[case] expected: &str) {
        assert_eq!(ident(input), expected);
    }

    #[rstest]
    #[case::keeps_newlines("a\nb\n", "a\nb\n")]
    #[case::crlf("one\r\ntwo\r\n", "one\ntwo\n")]
    #[case::lone_cr_shown("10%\r50%\r100%\ndone", "10%^M50%^M100%\ndone")]
    #[case::cr_hides_nothing("see runbook\rall fine", "see runbook^Mall fine")]
    #[case::trailing_cr("abc\r", "abc")]
    #[case::lone_cr("\r", "")]
    #[case::tab_at_start("\tx", "    x")]
    #[case::tab_mid_column("ab\tc", "ab  c")]
    #[case::tab_after_wide("支\tx", "支  x")]
    #[case::tabs_per_line("abc\td\n\te", "abc d\n    e")]
    #[case::escape_visible("\x1b]0;x\x07", "^[]0;x^G")]
    #[case::bidi_marked("a\u{202e}b", "a<U+202E>b")]
    #[case::zero_width_removed("x\u{200b}y", "xy")]
    #[case::paragraph_separator("a\u{2029}\tb", "a\n    b")]
    fn text_keeps_lines(#[case] input: &str, #[case] expected: &str) {
        assert_eq!(text(input), expected);
    }

    fn plain(s: &str) -> String {
        log_line(s).0
    }

    #[rstest]
    #[case::osc_title("\x1b]0;x\x07", "")]
    #[case::erase_display("\x1b[2J", "")]
    #[case::dcs("\x1bP…\x1b\\", "")]
    #[case::c1_csi("\u{9b}31m", "")]
    #[case::cr("\r", "")]
    #[case::tab("\t", "    ")]
    #[case::rlo("\u{202e}", "<U+202E>")]
    #[case::zero_width_space("\u{200b}", "")]
    #[case::osc8_link(
        "see \x1b]8;;https://evil.example/\x1b\\here\x1b]8;;\x1b\\ now",
        "see here now"
    )]
    #[case::osc52_clipboard("a\x1b]52;c;cm0gLXJmIH4=\x07b", "ab")]
    #[case::osc_c1_st("a\u{9d}2;title\u{9c}b", "ab")]
    #[case::apc_pm_sos("1\x1b_apc\x1b\\2\x1b^pm\x1b\\3\x1bXsos\x1b\\4", "1234")]
    #[case::c1_dcs("a\u{90}q#0;2;0;0;0\u{9c}b", "ab")]
    #[case::cursor_moves("\x1b[H\x1b[10;20Hx\x1b[?25l\x1b[K", "x")]
    #[case::private_m_not_sgr("\x1b[>4;2mx", "x")]
    #[case::charset_and_reset("\x1b(Bx\x1bc\x1b#8y", "xy")]
    #[case::unterminated_osc("ok\x1b]0;no end", "ok")]
    #[case::cut_off_csi("ok\x1b[31", "ok")]
    #[case::can_cancels_osc("\x1b]0;x\x18shown", "shown")]
    #[case::lone_esc("a\x1b", "a^[")]
    #[case::esc_before_control("a\x1b\x07b", "a^[^Gb")]
    #[case::control_breaks_csi("\x1b[3\x081m", "^H1m")]
    #[case::other_c1_visible("a\u{85}b", "a<U+0085>b")]
    #[case::progress("\x1b[32m10%\x1b[0m\r\x1b[32m100%\x1b[0m", "100%")]
    #[case::crlf("done\r\n", "done")]
    #[case::inner_newline("a\nb\n", "a^Jb")]
    #[case::tab_after_sgr("\x1b[1mab\x1b[0m\tc", "ab  c")]
    #[case::alertmanager_annotation("\u{1b}]0;pwned\u{7}\u{1b}[31mred", "red")]
    fn log_line_drops_sequences(#[case] input: &str, #[case] expected: &str) {
        assert_eq!(plain(input), expected);
    }

    fn run(start: usize, end: usize, style: SgrStyle) -> StyledRun {
        StyledRun { start, end, style }
    }

    fn fg(c: Color8) -> SgrStyle {
        SgrStyle {
            fg: Some(c),
            ..SgrStyle::default()
        }
    }

    #[rstest]
    #[case::basic_red("\x1b[31mred\x1b[0m plain", vec![run(0, 3, RED)])]
    #[case::empty_reset("\x1b[31mred\x1b[m plain", vec![run(0, 3, RED)])]
    #[case::bright("\x1b[91mx", vec![run(0, 1, fg(Color8::Indexed(9)))])]
    #[case::indexed_256("\x1b[38;5;208mx", vec![run(0, 1, fg(Color8::Indexed(208)))])]
    #[case::truecolor("\x1b[38;2;1;2;3mx", vec![run(0, 1, fg(Color8::Rgb(1, 2, 3)))])]
    #[case::truecolor_colon("\x1b[38:2:1:2:3mx", vec![run(0, 1, fg(Color8::Rgb(1, 2, 3)))])]
    #[case::truecolor_colon_colourspace("\x1b[38:2::1:2:3mx", vec![run(0, 1, fg(Color8::Rgb(1, 2, 3)))])]
    #[case::indexed_colon("\x1b[38:5:42mx", vec![run(0, 1, fg(Color8::Indexed(42)))])]
    #[case::backgrounds(
        "\x1b[41ma\x1b[48;5;17mb\x1b[48;2;9;8;7mc\x1b[103md\x1b[49me",
        vec![
            run(0, 1, SgrStyle { bg: Some(Color8::Indexed(1)), ..SgrStyle::default() }),
            run(1, 2, SgrStyle { bg: Some(Color8::Indexed(17)), ..SgrStyle::default() }),
            run(2, 3, SgrStyle { bg: Some(Color8::Rgb(9, 8, 7)), ..SgrStyle::default() }),
            run(3, 4, SgrStyle { bg: Some(Color8::Indexed(11)), ..SgrStyle::default() }),
        ]
    )]
    #[case::attributes(
        "\x1b[1;2;3;4;7mx\x1b[22;23;24;27my",
        vec![run(0, 1, SgrStyle { bold: true, dim: true, italic: true, underline: true, reverse: true, ..SgrStyle::default() })]
    )]
    #[case::combined_and_default_fg(
        "\x1b[1;31mab\x1b[39mc\x1b[0md",
        vec![
            run(0, 2, SgrStyle { bold: true, ..RED }),
            run(2, 3, SgrStyle { bold: true, ..SgrStyle::default() }),
        ]
    )]
    #[case::same_style_merged("\x1b[31ma\x1b[31mb\x1b[1m\x1b[22mc", vec![run(0, 3, RED)])]
    #[case::out_of_range_ignored("\x1b[31m\x1b[38;5;300mx", vec![run(0, 1, RED)])]
    #[case::underline_colour_consumed("\x1b[58;5;4mx", vec![])]
    #[case::curly_underline("\x1b[4:3mx\x1b[4:0my", vec![run(0, 1, SgrStyle { underline: true, ..SgrStyle::default() })])]
    #[case::offsets_after_dropped("\x1b]0;t\x07ab\x1b[2K\x1b[31mcd", vec![run(2, 4, RED)])]
    #[case::offsets_in_bytes("é\x1b[31mü", vec![run(2, 4, RED)])]
    #[case::c1_sgr("\u{9b}31mx", vec![run(0, 1, RED)])]
    #[case::cr_clears_runs("\x1b[31mold\rnew", vec![run(0, 3, RED)])]
    fn log_line_keeps_sgr_as_runs(#[case] input: &str, #[case] expected: Vec<StyledRun>) {
        assert_eq!(log_line(input).1, expected);
    }

    #[rstest]
    #[case::https(
        "https://github.com/acme/payments/actions/runs/1",
        Some("https://github.com/acme/payments/actions/runs/1")
    )]
    #[case::http_upper(
        "HTTP://grafana:3000/d/x?var=1#p",
        Some("http://grafana:3000/d/x?var=1#p")
    )]
    #[case::trimmed("  https://x.example/a \n", Some("https://x.example/a"))]
    #[case::userinfo_and_ipv6("https://u:p@[::1]:8080/", Some("https://u:p@[::1]:8080/"))]
    #[case::non_ascii_path(
        "https://wiki.example/Zürich",
        Some("https://wiki.example/Z%C3%BCrich")
    )]
    #[case::javascript("javascript:alert(1)", None)]
    #[case::file("file:///etc/passwd", None)]
    #[case::no_scheme("github.com/acme", None)]
    #[case::empty_host("https:///path", None)]
    #[case::port_only("https://:443/", None)]
    #[case::escape("https://x.example/\x1b]0;t\x07", None)]
    #[case::bidi("https://x.example/\u{202e}fdp.exe", None)]
    #[case::zero_width("https://x\u{200b}.example/", None)]
    #[case::inner_space("https://x.example/a b", None)]
    #[case::backslash("https://evil.example\\@good.example/", None)]
    #[case::idn_host("https://exämple.com/", None)]
    #[case::caret_form("https://x.example/^[]0;t^G", None)]
    #[case::marker_form("https://x.example/<U+202E>fdp.exe", None)]
    fn url_allows_only_plain_http(#[case] input: &str, #[case] expected: Option<&str>) {
        assert_eq!(url(input).as_deref(), expected);
    }

    #[rstest]
    #[case::plain("{\"a\":\"b\"}", "{\"a\":\"b\"}")]
    #[case::pretty_whitespace("{\n  \"a\": 1\n}", "{\n  \"a\": 1\n}")]
    #[case::del_c1("\"\u{7f}\u{9b}31m\"", "\"\\u007f\\u009b31m\"")]
    #[case::bidi("\"\u{202e}\"", "\"\\u202e\"")]
    #[case::zero_width("\"\u{200b}\u{feff}\"", "\"\\u200b\\ufeff\"")]
    #[case::astral_format("\"\u{e0001}\"", "\"\\udb40\\udc01\"")]
    #[case::raw_cr("\"\r\"", "\"\\u000d\"")]
    fn json_escapes_what_serde_leaves(#[case] input: &str, #[case] expected: &str) {
        assert_eq!(json_for_terminal(input), expected);
    }

    #[test]
    fn json_for_terminal_round_trips_through_serde() {
        let value = serde_json::json!({
            "annotation": "\u{1b}]0;pwned\u{7}\u{1b}[31mred\u{9b}2J\u{202e}\u{200b}\u{7f}",
            "emoji": "👨\u{200d}👩",
        });
        let raw = serde_json::to_string_pretty(&value).expect("a json value serialises");
        let safe = json_for_terminal(&raw);
        assert!(
            safe.chars()
                .all(|c| c == '\n' || (!c.is_control() && !is_format(c))),
            "{safe:?}"
        );
        let back: serde_json::Value = serde_json::from_str(&safe).expect("escaped json parses");
        assert_eq!(back, value);
    }

    #[test]
    fn clean_input_is_returned_as_is() {
        for s in ["", "payments-api", "Grüße · 支付 · 😀", "a b c"] {
            assert_eq!(line(s), s);
            assert_eq!(ident(s), s);
            assert_eq!(text(s), s);
            assert_eq!(log_line(s), (s.to_owned(), Vec::new()));
        }
        assert_eq!(text("two\nlines"), "two\nlines");
    }

    #[rstest]
    #[case::short("  oops ", 10, "oops")]
    #[case::cut("abcdefghijkl", 5, "abcd…")]
    #[case::controls("a\x1b[31mb\nc", 20, "a^[[31mb^Jc")]
    #[case::cut_after_caret("\x1b\x1b\x1b\x1b", 3, "^[…")]
    fn excerpt_is_short_and_clean(#[case] input: &str, #[case] max: usize, #[case] want: &str) {
        assert_eq!(excerpt(input, max), want);
    }

    #[test]
    fn hex_has_at_least_the_width_asked() {
        let mut out = String::new();
        push_hex(&mut out, 0x9b, 4, true);
        push_hex(&mut out, 0x1d173, 4, true);
        push_hex(&mut out, 0, 2, false);
        assert_eq!(out, "009B1D17300");
    }
}
