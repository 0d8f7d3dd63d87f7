//! A one-line text input (the `/` filter, the palette's query) as pure data, so `update` edits
//! it and `view` draws it. Cursor positions are in chars, never bytes.

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
    /// ctrl-w: delete the word before the cursor.
    DeleteWord,
    /// ctrl-u: delete to the start.
    DeleteToStart,
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
    use super::*;

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
