//! The `:` command palette: one fuzzy list over screens, services, pods, alerts and docs, so a
//! few letters and Enter jump anywhere. Matching is nucleo's, run in `update` per keystroke;
//! labels are converted for the matcher once, and a query that extends the previous one scores
//! only the previous matches, so typing stays fast over tens of thousands of items.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Matcher, Utf32String};

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
    /// Each item's label as the matcher reads it, made once when the palette opens.
    haystacks: Vec<Utf32String>,
    /// The query `matches` was computed for; a query extending it can only narrow the set.
    scored_for: String,
    scorer: Scorer,
}

/// nucleo's matcher, kept for the palette's life: it owns the scratch memory scoring reuses.
#[derive(Clone, Default)]
struct Scorer(Matcher);

impl std::fmt::Debug for Scorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scorer")
    }
}

/// Scratch memory, not state: two palettes with the same items and query are equal.
impl PartialEq for Scorer {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Characters that give a query term a special meaning in nucleo's syntax (`!` negation,
/// `^`/`$` anchors, `'` substring, `\` escapes). Extending such a term can widen what matches
/// (`!a` → `!ab`), so narrowing from the previous matches is only sound without them.
const SPECIAL: [char; 5] = ['!', '^', '$', '\'', '\\'];

/// Rows the palette shows at most.
pub const PALETTE_ROWS: usize = 12;

impl Palette {
    pub fn new(items: Vec<PaletteItem>) -> Self {
        let matches = (0..items.len()).collect();
        let haystacks = items
            .iter()
            .map(|it| Utf32String::from(it.label.as_str()))
            .collect();
        Self {
            input: TextInput::default(),
            items,
            matches,
            cursor: Cursor::default(),
            haystacks,
            scored_for: String::new(),
            scorer: Scorer::default(),
        }
    }

    /// Recomputes `matches` for the current query. With an empty query every item shows, in
    /// the order given. When the query extends the previous one (a letter typed), only the
    /// previous matches are scored again: a fuzzy match of the longer query is one of the shorter.
    pub fn refilter(&mut self) {
        let query = self.input.text().trim().to_string();
        if query.is_empty() {
            self.matches = (0..self.items.len()).collect();
        } else {
            let narrowing = !self.scored_for.is_empty()
                && query.starts_with(&self.scored_for)
                && !query.contains(SPECIAL);
            let mut candidates = if narrowing {
                std::mem::take(&mut self.matches)
            } else {
                (0..self.items.len()).collect()
            };
            // Scored in the given order, so ties below keep screens before rows.
            candidates.sort_unstable();
            let pattern = Pattern::parse(&query, CaseMatching::Smart, Normalization::Smart);
            let matcher = &mut self.scorer.0;
            let mut scored: Vec<(usize, u32)> = candidates
                .into_iter()
                .filter_map(|i| {
                    let hay = self.haystacks.get(i)?;
                    pattern.score(hay.slice(..), matcher).map(|s| (i, s))
                })
                .collect();
            scored.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            self.matches = scored.into_iter().map(|(i, _)| i).collect();
        }
        self.scored_for = query;
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

    fn many() -> Palette {
        let words = [
            "payments",
            "Pay-Ledger",
            "step 2: check",
            "rollout",
            "päyment",
            "ledger",
        ];
        Palette::new(
            (0..300)
                .map(|i| PaletteItem {
                    label: format!("{} {i}", words[i % words.len()]),
                    kind: "row",
                    target: PaletteTarget::Service(format!("s{i}")),
                })
                .collect(),
        )
    }

    /// Typing letter by letter (narrowing from the previous matches) ends where typing the
    /// whole query at once (scoring every item) does, for plain and special queries alike.
    #[test]
    fn narrowing_while_typing_matches_a_fresh_search() {
        for query in [
            "pay 1", "PayL", "led 2", "!led", "pay$", "'ledg", "step 2", "pa",
        ] {
            let mut typed = many();
            for c in query.chars() {
                typed.input.apply(Edit::Insert(c));
                typed.refilter();
            }
            let mut fresh = many();
            fresh.input.apply(Edit::Paste(query.into()));
            fresh.refilter();
            assert_eq!(typed.matches, fresh.matches, "query {query:?}");
            assert!(
                !fresh.matches.is_empty() || query == "pay$",
                "{query:?} finds items"
            );
        }
    }

    /// Deleting a letter widens the matches again.
    #[test]
    fn backspace_widens_again() {
        let mut p = many();
        p.input.apply(Edit::Paste("ledger 29".into()));
        p.refilter();
        let narrow = p.matches.len();
        p.input.apply(Edit::Backspace);
        p.refilter();
        assert!(p.matches.len() > narrow);
    }
}
