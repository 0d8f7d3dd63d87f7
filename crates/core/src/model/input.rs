//! A text input (the `/` filter, the palette's query, every form field; several lines for a
//! template's textarea) as pure data, so `update` edits it and `view` draws it, and the one
//! translation of keys into edits, so all inputs answer the same keys. Cursor positions are in
//! chars, never bytes.

use crate::keymap::{Action, Key, KeyCode, Keymap, Layer};

/// An editable line of text with a cursor; or, made with [`TextInput::multiline`], several
/// lines, kept as one string with `\n` between them so the value keeps its newlines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
    /// Cursor position in chars.
    cursor: usize,
    multiline: bool,
    /// The first line its box shows: moved by [`TextInput::scroll_to_cursor`] after an edit, so
    /// the view draws without working out where the cursor went.
    top: usize,
    /// The cursor's (line, column) and the number of lines, worked out once per edit.
    at: (usize, usize),
    line_count: usize,
}

/// What the user did to a text input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Insert(char),
    /// Bracketed paste: newlines become spaces in a one-line input, and stay in a multi-line one.
    Paste(String),
    /// A line break (a multi-line input only).
    Newline,
    /// The cursor a line up or down, at the same column or the line's end (multi-line only).
    LineUp,
    LineDown,
    Backspace,
    Delete,
    Left,
    Right,
    /// The start or end of the line the cursor is on.
    Home,
    End,
    /// Delete the word before the cursor (ctrl-w, alt- or ctrl-backspace by default).
    DeleteWord,
    /// Delete to the start of the line (ctrl-u by default).
    DeleteToStart,
}

/// What a key means while a text input has the keyboard: an edit, or one of the input's own
/// moves. Read from the keymap's `input` layer, so a user can rebind every one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputKey {
    Edit(Edit),
    Accept,
    Cancel,
    Next,
    Prev,
}

impl InputKey {
    /// The meaning of a key in a text input, if it has one: a binding of the `input` layer, or
    /// else a character typed without ctrl or alt.
    pub(crate) fn read(keymap: &Keymap, key: &Key) -> Option<InputKey> {
        use Action as A;
        let edit = match keymap.action_in_only(Layer::Input, key) {
            Some(A::InputAccept) => return Some(InputKey::Accept),
            Some(A::InputCancel) => return Some(InputKey::Cancel),
            Some(A::InputNext) => return Some(InputKey::Next),
            Some(A::InputPrev) => return Some(InputKey::Prev),
            Some(A::InputLeft) => Edit::Left,
            Some(A::InputRight) => Edit::Right,
            Some(A::InputStart) => Edit::Home,
            Some(A::InputEnd) => Edit::End,
            Some(A::InputBackspace) => Edit::Backspace,
            Some(A::InputDelete) => Edit::Delete,
            Some(A::InputDeleteWord) => Edit::DeleteWord,
            Some(A::InputDeleteToStart) => Edit::DeleteToStart,
            _ => match key.code {
                KeyCode::Char(c) if !key.ctrl && !key.alt => Edit::Insert(c),
                _ => return None,
            },
        };
        Some(InputKey::Edit(edit))
    }
}

impl InputKey {
    /// The meaning of a key in a multi-line input: a binding of the `textarea` layer, read
    /// before the `input` layer's (so `enter` starts a line here and accepts everywhere else).
    pub(crate) fn read_area(keymap: &Keymap, key: &Key) -> Option<InputKey> {
        match keymap.action_in_only(Layer::TextArea, key) {
            Some(Action::TextAreaNewline) => Some(InputKey::Edit(Edit::Newline)),
            Some(Action::TextAreaLineUp) => Some(InputKey::Edit(Edit::LineUp)),
            Some(Action::TextAreaLineDown) => Some(InputKey::Edit(Edit::LineDown)),
            Some(Action::TextAreaSubmit) => Some(InputKey::Accept),
            _ => InputKey::read(keymap, key),
        }
    }
}

impl TextInput {
    /// An empty input that keeps several lines.
    pub fn multiline() -> Self {
        Self {
            multiline: true,
            ..Self::default()
        }
    }

    pub fn is_multiline(&self) -> bool {
        self.multiline
    }

    /// The first line the input's box shows.
    pub fn top(&self) -> usize {
        self.top
    }

    /// The cursor as (line, column), both in chars from zero.
    pub fn row_col(&self) -> (usize, usize) {
        self.at
    }

    /// How many lines the text has (one for an empty input).
    pub fn line_count(&self) -> usize {
        self.line_count.max(1)
    }

    fn locate(&self) -> (usize, usize) {
        let mut row = 0;
        let mut col = 0;
        for c in self.text.chars().take(self.cursor) {
            if c == '\n' {
                row += 1;
                col = 0;
            } else {
                col += 1;
            }
        }
        (row, col)
    }

    /// The lines of the text (one, empty, for an empty input).
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.text.split('\n')
    }

    /// Moves the first shown line so the cursor's line is among the `rows` a box shows.
    pub fn scroll_to_cursor(&mut self, rows: usize) {
        let (row, _) = self.row_col();
        let rows = rows.max(1);
        if row < self.top {
            self.top = row;
        } else if row >= self.top + rows {
            self.top = row + 1 - rows;
        }
    }

    /// The char index of the start of the line the cursor is on, and of its end.
    fn line_bounds(&self) -> (usize, usize) {
        let chars: Vec<char> = self.text.chars().collect();
        let mut start = self.cursor.min(chars.len());
        while start > 0 && chars[start - 1] != '\n' {
            start -= 1;
        }
        let mut end = self.cursor.min(chars.len());
        while end < chars.len() && chars[end] != '\n' {
            end += 1;
        }
        (start, end)
    }

    /// The char index of (line, column), the column clamped to the line's length.
    fn index_of(&self, row: usize, col: usize) -> usize {
        let mut index = 0;
        for (r, line) in self.lines().enumerate() {
            let len = line.chars().count();
            if r == row {
                return index + col.min(len);
            }
            index += len + 1;
        }
        self.len()
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn clear(&mut self) {
        self.text.clear();
        self.cursor = 0;
        self.top = 0;
        self.at = (0, 0);
        self.line_count = 1;
    }

    fn byte_at(&self, char_index: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_index)
            .map_or(self.text.len(), |(i, _)| i)
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    /// Applies an edit; returns whether the text changed.
    pub fn apply(&mut self, edit: Edit) -> bool {
        let changed = self.edit(edit);
        self.at = self.locate();
        self.line_count = self.text.matches('\n').count() + 1;
        changed
    }

    fn edit(&mut self, edit: Edit) -> bool {
        match edit {
            Edit::Insert(c) => {
                if c.is_control() {
                    return false;
                }
                let at = self.byte_at(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
                true
            }
            Edit::Paste(s) => {
                let multiline = self.multiline;
                let clean: String = s
                    .replace("\r\n", "\n")
                    .chars()
                    .map(|c| match c {
                        '\n' if multiline => '\n',
                        '\n' | '\r' | '\t' => ' ',
                        c => c,
                    })
                    .filter(|c| *c == '\n' || !c.is_control())
                    .collect();
                if clean.is_empty() {
                    return false;
                }
                let at = self.byte_at(self.cursor);
                self.text.insert_str(at, &clean);
                self.cursor += clean.chars().count();
                true
            }
            Edit::Newline => {
                if !self.multiline {
                    return false;
                }
                let at = self.byte_at(self.cursor);
                self.text.insert(at, '\n');
                self.cursor += 1;
                true
            }
            Edit::LineUp | Edit::LineDown => {
                let (row, col) = self.row_col();
                let rows = self.line_count();
                let to = match edit {
                    Edit::LineUp => row.checked_sub(1),
                    _ => Some(row + 1).filter(|r| *r < rows),
                };
                if let Some(to) = to {
                    self.cursor = self.index_of(to, col);
                }
                false
            }
            Edit::Backspace => {
                if self.cursor == 0 {
                    return false;
                }
                let at = self.byte_at(self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
                true
            }
            Edit::Delete => {
                if self.cursor >= self.len() {
                    return false;
                }
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
                true
            }
            Edit::Left => {
                self.cursor = self.cursor.saturating_sub(1);
                false
            }
            Edit::Right => {
                self.cursor = (self.cursor + 1).min(self.len());
                false
            }
            Edit::Home => {
                self.cursor = self.line_bounds().0;
                false
            }
            Edit::End => {
                self.cursor = self.line_bounds().1;
                false
            }
            Edit::DeleteWord => {
                let chars: Vec<char> = self.text.chars().collect();
                let mut start = self.cursor;
                // A line break is a word's edge too, and is deleted alone like a space.
                while start > 0 && chars[start - 1] == ' ' {
                    start -= 1;
                }
                if start == self.cursor && start > 0 && chars[start - 1] == '\n' {
                    start -= 1;
                } else {
                    while start > 0 && chars[start - 1] != ' ' && chars[start - 1] != '\n' {
                        start -= 1;
                    }
                }
                if start == self.cursor {
                    return false;
                }
                let (from, to) = (self.byte_at(start), self.byte_at(self.cursor));
                self.text.replace_range(from..to, "");
                self.cursor = start;
                true
            }
            Edit::DeleteToStart => {
                let start = self.line_bounds().0;
                if self.cursor == start {
                    return false;
                }
                let (from, to) = (self.byte_at(start), self.byte_at(self.cursor));
                self.text.replace_range(from..to, "");
                self.cursor = start;
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn edit_of(keymap: &Keymap, key: &Key) -> Option<Edit> {
        match InputKey::read(keymap, key) {
            Some(InputKey::Edit(edit)) => Some(edit),
            _ => None,
        }
    }

    #[rstest]
    #[case::letter("x", Some(Edit::Insert('x')))]
    #[case::upper_case("G", Some(Edit::Insert('G')))]
    #[case::ctrl_w_deletes_a_word("ctrl-w", Some(Edit::DeleteWord))]
    #[case::ctrl_u_deletes_to_start("ctrl-u", Some(Edit::DeleteToStart))]
    #[case::ctrl_a_goes_home("ctrl-a", Some(Edit::Home))]
    #[case::ctrl_e_goes_to_end("ctrl-e", Some(Edit::End))]
    #[case::other_ctrl_letter("ctrl-x", None)]
    #[case::alt_letter("alt-x", None)]
    #[case::backspace("backspace", Some(Edit::Backspace))]
    #[case::alt_backspace_deletes_a_word("alt-backspace", Some(Edit::DeleteWord))]
    #[case::ctrl_backspace_deletes_a_word("ctrl-backspace", Some(Edit::DeleteWord))]
    #[case::delete("delete", Some(Edit::Delete))]
    #[case::left("left", Some(Edit::Left))]
    #[case::right("right", Some(Edit::Right))]
    #[case::home("home", Some(Edit::Home))]
    #[case::end("end", Some(Edit::End))]
    #[case::enter_is_not_an_edit("enter", None)]
    #[case::up_is_not_an_edit("up", None)]
    fn keys_make_edits(#[case] key: &str, #[case] edit: Option<Edit>) {
        // Keys written as the keymap's files write them, read as the cockpit reads them.
        let key: Key = key.parse().expect("the keymap's notation");
        let read = edit_of(&Keymap::defaults(), &key);
        assert_eq!(read, edit);
    }

    #[rstest]
    #[case::enter_accepts("enter", InputKey::Accept)]
    #[case::esc_cancels("esc", InputKey::Cancel)]
    #[case::tab_goes_on("tab", InputKey::Next)]
    #[case::ctrl_n_goes_on("ctrl-n", InputKey::Next)]
    #[case::up_goes_back("up", InputKey::Prev)]
    #[case::ctrl_p_goes_back("ctrl-p", InputKey::Prev)]
    // `j`, `k` and `q` move and quit in lists; in a field they are letters.
    #[case::j_is_typed("j", InputKey::Edit(Edit::Insert('j')))]
    #[case::q_is_typed("q", InputKey::Edit(Edit::Insert('q')))]
    fn an_input_has_its_own_moves(#[case] key: &str, #[case] expected: InputKey) {
        let key: Key = key.parse().expect("the keymap's notation");
        assert_eq!(InputKey::read(&Keymap::defaults(), &key), Some(expected));
    }

    #[test]
    fn the_input_keys_follow_the_users_bindings() {
        let overrides = [
            ("input-delete-word".to_string(), vec!["ctrl-h".to_string()]),
            ("input-start".to_string(), vec!["home".to_string()]),
        ]
        .into_iter()
        .collect();
        let keymap = Keymap::with_overrides(&overrides).expect("no clash");
        let read = |key: &str| edit_of(&keymap, &key.parse().expect("the keymap's notation"));
        assert_eq!(read("ctrl-h"), Some(Edit::DeleteWord));
        // Unbound from delete-word and from start: a ctrl letter with no binding does nothing.
        assert_eq!(read("ctrl-w"), None);
        assert_eq!(read("ctrl-a"), None);
        assert_eq!(read("home"), Some(Edit::Home));
    }

    #[test]
    fn an_input_binding_may_reuse_a_global_key() {
        // ctrl-u pages up in lists; in a field it deletes to the start. The clash check knows the
        // input layer replaces the global one.
        let keymap = Keymap::defaults();
        assert_eq!(keymap.action(&Key::ctrl('u')), Some(Action::PageUp));
        assert_eq!(
            InputKey::read(&keymap, &Key::ctrl('u')),
            Some(InputKey::Edit(Edit::DeleteToStart))
        );
    }

    fn typed(s: &str) -> TextInput {
        let mut t = TextInput::default();
        for c in s.chars() {
            t.apply(Edit::Insert(c));
        }
        t
    }

    #[test]
    fn edits_work_on_chars_not_bytes() {
        let mut t = typed("müller");
        t.apply(Edit::Left);
        t.apply(Edit::Left);
        t.apply(Edit::Backspace);
        assert_eq!(t.text(), "müler");
        t.apply(Edit::Home);
        t.apply(Edit::Delete);
        assert_eq!(t.text(), "üler");
        assert_eq!(t.cursor(), 0);
    }

    #[test]
    fn paste_is_one_line_and_drops_controls() {
        let mut t = typed("a");
        assert!(t.apply(Edit::Paste("b\nc\x1b[31md".into())));
        assert_eq!(t.text(), "ab c[31md");
    }

    fn area(s: &str) -> TextInput {
        let mut t = TextInput::multiline();
        t.apply(Edit::Paste(s.into()));
        t
    }

    #[test]
    fn a_multiline_input_keeps_its_lines() {
        let mut t = area("first\r\nsecond");
        assert_eq!(t.text(), "first\nsecond");
        assert_eq!(t.row_col(), (1, 6));
        t.apply(Edit::Newline);
        t.apply(Edit::Insert('x'));
        assert_eq!(t.text(), "first\nsecond\nx");
        assert_eq!(t.lines().collect::<Vec<_>>(), ["first", "second", "x"]);
        // A one-line input takes no line break, typed or pasted.
        let mut one = typed("a");
        assert!(!one.apply(Edit::Newline));
        one.apply(Edit::Paste("b\nc".into()));
        assert_eq!(one.text(), "ab c");
    }

    #[test]
    fn up_and_down_keep_the_column_or_the_lines_end() {
        let mut t = area("a long line\nab\nanother line");
        t.apply(Edit::LineUp);
        assert_eq!(t.row_col(), (1, 2), "the short line's end");
        t.apply(Edit::LineUp);
        assert_eq!(t.row_col(), (0, 2));
        t.apply(Edit::LineUp);
        assert_eq!(t.row_col(), (0, 2), "nothing above the first line");
        t.apply(Edit::End);
        assert_eq!(t.row_col(), (0, 11), "end is the line's end");
        t.apply(Edit::LineDown);
        assert_eq!(t.row_col(), (1, 2));
        t.apply(Edit::End);
        t.apply(Edit::LineDown);
        t.apply(Edit::End);
        assert_eq!(t.row_col(), (2, 12));
        t.apply(Edit::Home);
        assert_eq!(t.row_col(), (2, 0), "home is the line's start");
        t.apply(Edit::LineDown);
        assert_eq!(t.row_col(), (2, 0), "nothing below the last line");
    }

    #[test]
    fn line_edits_stop_at_the_line() {
        let mut t = area("one two\nthree four");
        t.apply(Edit::DeleteToStart);
        assert_eq!(t.text(), "one two\n");
        t.apply(Edit::DeleteWord);
        assert_eq!(t.text(), "one two", "the line break goes alone");
        t.apply(Edit::DeleteWord);
        assert_eq!(t.text(), "one ");
        t.apply(Edit::Backspace);
        t.apply(Edit::Newline);
        t.apply(Edit::Backspace);
        assert_eq!(t.text(), "one");
    }

    #[test]
    fn the_box_scrolls_to_the_cursor() {
        let mut t = area("1\n2\n3\n4\n5\n6");
        t.scroll_to_cursor(3);
        assert_eq!(t.top(), 3, "lines 4-6 show with the cursor on 6");
        for _ in 0..5 {
            t.apply(Edit::LineUp);
        }
        t.scroll_to_cursor(3);
        assert_eq!(t.top(), 0);
    }

    #[rstest]
    #[case::enter_starts_a_line("enter", InputKey::Edit(Edit::Newline))]
    #[case::up_moves_a_line("up", InputKey::Edit(Edit::LineUp))]
    #[case::down_moves_a_line("down", InputKey::Edit(Edit::LineDown))]
    #[case::ctrl_s_submits("ctrl-s", InputKey::Accept)]
    #[case::tab_still_goes_on("tab", InputKey::Next)]
    #[case::letters_are_typed("j", InputKey::Edit(Edit::Insert('j')))]
    fn a_textarea_reads_its_layer_first(#[case] key: &str, #[case] expected: InputKey) {
        let key: Key = key.parse().expect("the keymap's notation");
        assert_eq!(
            InputKey::read_area(&Keymap::defaults(), &key),
            Some(expected)
        );
    }

    #[test]
    fn delete_word_and_to_start() {
        let mut t = typed("service=pay team=core  ");
        t.apply(Edit::DeleteWord);
        assert_eq!(t.text(), "service=pay ");
        t.apply(Edit::DeleteToStart);
        assert!(t.is_empty());
    }
}
