//! A one-line text input (the `/` filter, the palette's query, every form field) as pure data,
//! so `update` edits it and `view` draws it, and the one translation of keys into edits, so all
//! inputs answer the same keys. Cursor positions are in chars, never bytes.

use crate::keymap::{Action, Key, KeyCode, Keymap, Layer};

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
    /// Delete the word before the cursor (ctrl-w, alt- or ctrl-backspace by default).
    DeleteWord,
    /// Delete to the start (ctrl-u by default).
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

    #[test]
    fn delete_word_and_to_start() {
        let mut t = typed("service=pay team=core  ");
        t.apply(Edit::DeleteWord);
        assert_eq!(t.text(), "service=pay ");
        t.apply(Edit::DeleteToStart);
        assert!(t.is_empty());
    }
}
