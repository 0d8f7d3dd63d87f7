//! A list's cursor and its scrolling, apart from the model, so every screen's state can hold one
//! without importing the model that holds the screens.

/// A list's cursor. `offset` is the first visible row, kept by `update` so that `view` draws
/// only the visible slice without computing anything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub selected: usize,
    pub offset: usize,
}

impl Cursor {
    /// Moves by `delta` rows within `len`, keeping the selection inside a window of `height`.
    pub fn moved(self, delta: isize, len: usize, height: usize) -> Cursor {
        if len == 0 {
            return Cursor::default();
        }
        let selected = self.selected.saturating_add_signed(delta).min(len - 1);
        Cursor {
            selected,
            offset: self.offset,
        }
        .scrolled_into_view(len, height)
    }

    pub fn to(self, index: usize, len: usize, height: usize) -> Cursor {
        if len == 0 {
            return Cursor::default();
        }
        Cursor {
            selected: index.min(len - 1),
            offset: self.offset,
        }
        .scrolled_into_view(len, height)
    }

    pub(crate) fn scrolled_into_view(self, len: usize, height: usize) -> Cursor {
        let height = height.max(1);
        let mut offset = self.offset.min(len.saturating_sub(1));
        if self.selected < offset {
            offset = self.selected;
        } else if self.selected >= offset + height {
            offset = self.selected + 1 - height;
        }
        offset = offset.min(len.saturating_sub(height));
        Cursor {
            selected: self.selected,
            offset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_keeps_selection_visible() {
        let c = Cursor::default().moved(15, 100, 10);
        assert_eq!(
            c,
            Cursor {
                selected: 15,
                offset: 6
            }
        );
        let c = c.moved(-10, 100, 10);
        assert_eq!(
            c,
            Cursor {
                selected: 5,
                offset: 5
            }
        );
        let c = c.to(usize::MAX, 100, 10);
        assert_eq!(
            c,
            Cursor {
                selected: 99,
                offset: 90
            }
        );
        assert_eq!(Cursor::default().moved(3, 0, 10), Cursor::default());
    }
}
