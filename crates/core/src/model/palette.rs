//! The `:` command palette: one fuzzy list over screens, services, pods, alerts and docs, so a
//! few letters and Enter jump anywhere. Matching is nucleo's, run in `update` per keystroke.

use nucleo_matcher::Matcher;
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};

use super::cursor::Cursor;
use super::input::TextInput;
use super::screen::Screen;

/// Where choosing an item takes the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaletteTarget {
    Screen(Screen),
    /// Replay or skip the first-launch tour, show help, and other cockpit commands.
    Command(PaletteCommand),
    /// A service, by its catalog ref.
    Service(String),
    /// Any other entry a screen registers: the screen and the key of the row to select.
    Row {
        screen: Screen,
        key: String,
    },
    /// Workloads narrowed to a context and a namespace (`None`: every one).
    Scope {
        context: Option<String>,
        namespace: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaletteCommand {
    Help,
    Quit,
    Refresh,
    /// Open the config file in `$EDITOR`.
    EditConfig,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaletteItem {
    /// What is matched and shown: `payments-api`, `Alerts`.
    pub label: String,
    /// The kind, shown beside it: `service`, `screen`, `pod`.
    pub kind: &'static str,
    pub target: PaletteTarget,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Palette {
    pub input: TextInput,
    pub items: Vec<PaletteItem>,
    /// Indices into `items`, best match first.
    pub matches: Vec<usize>,
    pub cursor: Cursor,
}

/// Rows the palette shows at most.
pub const PALETTE_ROWS: usize = 12;

impl Palette {
    pub fn new(items: Vec<PaletteItem>) -> Self {
        let matches = (0..items.len()).collect();
        Self {
            input: TextInput::default(),
            items,
            matches,
            cursor: Cursor::default(),
        }
    }

    /// Recomputes `matches` for the current query. With an empty query every item shows, in
    /// the order given.
    pub fn refilter(&mut self) {
        let query = self.input.text().trim();
        if query.is_empty() {
            self.matches = (0..self.items.len()).collect();
        } else {
            let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
            let mut matcher = Matcher::new(nucleo_matcher::Config::DEFAULT);
            let labels: Vec<(usize, &str)> = self
                .items
                .iter()
                .enumerate()
                .map(|(i, it)| (i, it.label.as_str()))
                .collect();
            let mut scored: Vec<(usize, u32)> = labels
                .iter()
                .filter_map(|(i, label)| {
                    let mut buf = Vec::new();
                    let haystack = nucleo_matcher::Utf32Str::new(label, &mut buf);
                    pattern.score(haystack, &mut matcher).map(|s| (*i, s))
                })
                .collect();
            // Best score first; ties keep the given order, so screens stay before rows.
            scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            self.matches = scored.into_iter().map(|(i, _)| i).collect();
        }
        self.cursor = Cursor::default();
    }

    pub fn selected(&self) -> Option<&PaletteItem> {
        self.matches
            .get(self.cursor.selected)
            .and_then(|i| self.items.get(*i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::input::Edit;

    fn screens() -> Palette {
        Palette::new(
            Screen::ALL
                .iter()
                .map(|s| PaletteItem {
                    label: s.title().to_string(),
                    kind: "screen",
                    target: PaletteTarget::Screen(*s),
                })
                .collect(),
        )
    }

    #[test]
    fn a_few_letters_find_the_screen() {
        let mut p = screens();
        for c in "alr".chars() {
            p.input.apply(Edit::Insert(c));
        }
        p.refilter();
        assert_eq!(
            p.selected().map(|i| &i.target),
            Some(&PaletteTarget::Screen(Screen::Alerts))
        );
    }

    #[test]
    fn no_match_selects_nothing() {
        let mut p = screens();
        for c in "zzzq".chars() {
            p.input.apply(Edit::Insert(c));
        }
        p.refilter();
        assert!(p.selected().is_none());
        assert!(p.matches.is_empty());
    }
}
