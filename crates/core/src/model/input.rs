//! A one-line text input (the `/` filter, the palette's query, every form field) as pure data,
//! so `update` edits it and `view` draws it, and the one translation of keys into edits, so all
//! inputs answer the same keys. Cursor positions are in chars, never bytes.

use crate::keymap::{Key, KeyCode};

/// An editable line of text with a cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
    /// Cursor position in chars.
    cursor: usize,
}

/// What the user did to a text input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Insert(char),
    /// Bracketed paste: newlines become spaces, since the input is one line.
    Paste(String),
    Backspace,
    Delete,
    Left,
    Right,
    Home,
    End,
    /// ctrl-w, alt- or ctrl-backspace: delete the word before the cursor.
    DeleteWord,
    /// ctrl-u: delete to the start.
    DeleteToStart,
}

impl Edit {
    /// The edit a key makes in a one-line input, if it is one (readline's keys).
    pub(crate) fn for_key(key: &Key) -> Option<Edit> {
        let Key {
            code, ctrl, alt, ..
        } = *key;
        Some(match code {
            KeyCode::Char('w') if ctrl => Edit::DeleteWord,
            KeyCode::Char('u') if ctrl => Edit::DeleteToStart,
            KeyCode::Char('a') if ctrl => Edit::Home,
            KeyCode::Char('e') if ctrl => Edit::End,
            KeyCode::Char(c) if !ctrl && !alt => Edit::Insert(c),
            KeyCode::Backspace if alt || ctrl => Edit::DeleteWord,
            KeyCode::Backspace => Edit::Backspace,
            KeyCode::Delete => Edit::Delete,
            KeyCode::Left => Edit::Left,
            KeyCode::Right => Edit::Right,
            KeyCode::Home => Edit::Home,
            KeyCode::End => Edit::End,
            _ => return None,
        })
    }
}

impl TextInput {
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
                let clean: String = s
                    .chars()
                    .map(|c| {
                        if c == '\n' || c == '\r' || c == '\t' {
                            ' '
                        } else {
                            c
                        }
                    })
                    .filter(|c| !c.is_control())
                    .collect();
                if clean.is_empty() {
                    return false;
                }
                let at = self.byte_at(self.cursor);
                self.text.insert_str(at, &clean);
                self.cursor += clean.chars().count();
                true
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
                self.cursor = 0;
                false
            }
            Edit::End => {
                self.cursor = self.len();
                false
            }
            Edit::DeleteWord => {
                let chars: Vec<char> = self.text.chars().collect();
                let mut start = self.cursor;
                while start > 0 && chars[start - 1] == ' ' {
                    start -= 1;
                }
                while start > 0 && chars[start - 1] != ' ' {
                    start -= 1;
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
                if self.cursor == 0 {
                    return false;
                }
                let to = self.byte_at(self.cursor);
                self.text.replace_range(..to, "");
                self.cursor = 0;
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn with(code: KeyCode, ctrl: bool, alt: bool) -> Key {
        Key {
            code,
            ctrl,
            alt,
            ..Key::new(code)
        }
    }

    #[rstest]
    #[case::letter(with(KeyCode::Char('x'), false, false), Some(Edit::Insert('x')))]
    #[case::upper_case(with(KeyCode::Char('G'), false, false), Some(Edit::Insert('G')))]
    #[case::ctrl_w_deletes_a_word(with(KeyCode::Char('w'), true, false), Some(Edit::DeleteWord))]
    #[case::ctrl_u_deletes_to_start(
        with(KeyCode::Char('u'), true, false),
        Some(Edit::DeleteToStart)
    )]
    #[case::ctrl_a_goes_home(with(KeyCode::Char('a'), true, false), Some(Edit::Home))]
    #[case::ctrl_e_goes_to_end(with(KeyCode::Char('e'), true, false), Some(Edit::End))]
    #[case::other_ctrl_letter(with(KeyCode::Char('x'), true, false), None)]
    #[case::alt_letter(with(KeyCode::Char('x'), false, true), None)]
    #[case::backspace(with(KeyCode::Backspace, false, false), Some(Edit::Backspace))]
    #[case::alt_backspace_deletes_a_word(
        with(KeyCode::Backspace, false, true),
        Some(Edit::DeleteWord)
    )]
    #[case::ctrl_backspace_deletes_a_word(
        with(KeyCode::Backspace, true, false),
        Some(Edit::DeleteWord)
    )]
    #[case::delete(with(KeyCode::Delete, false, false), Some(Edit::Delete))]
    #[case::left(with(KeyCode::Left, false, false), Some(Edit::Left))]
    #[case::right(with(KeyCode::Right, false, false), Some(Edit::Right))]
    #[case::home(with(KeyCode::Home, false, false), Some(Edit::Home))]
    #[case::end(with(KeyCode::End, false, false), Some(Edit::End))]
    #[case::enter_is_not_an_edit(with(KeyCode::Enter, false, false), None)]
    #[case::up_is_not_an_edit(with(KeyCode::Up, false, false), None)]
    fn keys_make_edits(#[case] key: Key, #[case] edit: Option<Edit>) {
        assert_eq!(Edit::for_key(&key), edit);
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

    #[test]
    fn delete_word_and_to_start() {
        let mut t = typed("service=pay team=core  ");
        t.apply(Edit::DeleteWord);
        assert_eq!(t.text(), "service=pay ");
        t.apply(Edit::DeleteToStart);
        assert!(t.is_empty());
    }
}
