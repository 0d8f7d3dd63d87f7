//! The cockpit's state: what the user sees and what the sources told us. Pure data and pure
//! functions: no IO, no clock (the time arrives in messages), no terminal, no async.
//! `update` is the only place it changes; `view` only reads it.

pub mod alerts;
pub mod catalog;
pub mod create;
pub mod cursor;
pub mod delivery;
pub mod docs;
pub mod input;
pub mod join;
pub mod markdown;
pub mod matchers;
pub mod nav;
pub mod onboarding;
pub mod overview;
pub mod palette;
pub mod pipelines;
pub mod screen;
pub mod signals;
pub mod source;
pub mod time;
pub mod work;
pub mod workloads;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::keymap::Keymap;
pub use cursor::Cursor;
pub use input::TextInput;
pub use palette::{Palette, PaletteItem, PaletteTarget};
pub use screen::Screen;
pub use source::{FetchState, Fetched, Remote, SourceId, SourceKind, SourceStatus};

/// A floating layer over the current screen. At most one at a time.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help {
        scroll: usize,
    },
    Palette(Palette),
    /// An action that changes something elsewhere, waiting for `y` or `n`.
    Confirm(Confirm),
    /// The first-launch tour of the cockpit, at this page.
    Tour {
        page: usize,
    },
}

/// What a confirmation shows and what it does on `y`. The effect is plain data, so the dialog
/// can show exactly what will happen.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    /// `Re-run failed jobs of ci #42`.
    pub title: String,
    /// What will happen, line by line (target, scope, side effects).
    pub lines: Vec<String>,
    pub on_yes: Box<crate::message::Effect>,
}

/// A message for the user in the status line, with how serious it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub level: Level,
    /// Ticks seen since it appeared. Its lifetime is counted in ticks (one a second on the
    /// wall), not in the model's clock: in the demo that clock runs ten times faster, and a
    /// notice timed by it was gone in under a second.
    pub ticks: u32,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Level {
    Info,
    Warning,
    Error,
}

/// Per-screen list state: the cursor and the `/` filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListView {
    pub cursor: Cursor,
    pub filter: TextInput,
    /// The filter input has the keyboard.
    pub filtering: bool,
    /// The user put the cursor on an item (moved it, or a jump selected one). Until then it
    /// stays on the top row, the most urgent, however the rows change underneath it.
    pub chosen: bool,
}

impl ListView {
    /// After the rows were rebuilt: the cursor goes to `found`, the chosen item's new row, so it
    /// follows the item rather than the index; to the nearest row when the item vanished; and
    /// to the top while the user has chosen nothing.
    pub(crate) fn reselect(&mut self, found: Option<usize>, rows: usize, height: usize) {
        let index = if self.chosen {
            found.unwrap_or(self.cursor.selected)
        } else {
            0
        };
        self.cursor = self.cursor.to(index, rows, height);
    }

    /// A jump put the cursor on row `index`: it is the user's choice from now on.
    pub(crate) fn choose(&mut self, index: usize, rows: usize, height: usize) {
        self.chosen = true;
        self.cursor = self.cursor.to(index, rows, height);
    }
}

/// Why the cockpit shows a first-run screen instead of data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstRun {
    /// Where the config was looked for.
    pub config_path: String,
}

/// The whole state of the cockpit.
#[derive(Debug, Clone)]
pub struct Model {
    /// The latest time a message brought. The only clock `update` and `view` know.
    pub now: DateTime<Utc>,
    pub screen: Screen,
    pub overlay: Option<Overlay>,
    pub lists: BTreeMap<Screen, ListView>,
    /// Where `esc` goes back to, newest last.
    pub back: Vec<nav::Place>,
    pub keymap: Keymap,
    pub read_only: bool,
    pub sources: Vec<SourceStatus>,
    pub first_run: Option<FirstRun>,
    pub notice: Option<Notice>,
    /// Terminal size in cells, from the last resize.
    pub size: (u16, u16),
    /// Height of the main list area, derived from `size` by the layout rules in `update`.
    pub list_height: usize,
    pub quit: bool,
    /// When the data on screen was loaded from the previous run's snapshot, and how old it
    /// was then.
    pub warm_start: Option<DateTime<Utc>>,
    /// How often the remote data is saved for the next start, and when it last was.
    pub snapshot_every: chrono::Duration,
    pub snapshot_saved: DateTime<Utc>,
    /// Who the user is, as a catalog ref (`user:default/jdoe`), when known.
    pub me: Option<String>,
    /// Where the config was loaded from, for "edit config" and messages.
    pub config_path: Option<String>,
    pub catalog: catalog::CatalogState,
    pub pipelines: pipelines::PipelinesState,
    pub workloads: workloads::WorkloadsState,
    pub alerts: alerts::AlertsState,
    pub docs: docs::DocsState,
    pub onboarding: onboarding::OnboardingState,
    pub signals: signals::SignalsState,
    pub work: work::WorkState,
    pub delivery: delivery::screen::DeliveryState,
    pub create: create::screen::CreateState,
}

impl Model {
    pub fn new(keymap: Keymap, now: DateTime<Utc>) -> Self {
        Self {
            now,
            screen: Screen::Overview,
            overlay: None,
            lists: Screen::ALL
                .iter()
                .map(|s| (*s, ListView::default()))
                .collect(),
            back: Vec::new(),
            keymap,
            read_only: false,
            sources: Vec::new(),
            first_run: None,
            notice: None,
            size: (80, 24),
            list_height: 24usize.saturating_sub(CHROME_ROWS),
            quit: false,
            warm_start: None,
            snapshot_every: chrono::Duration::minutes(5),
            snapshot_saved: now,
            me: None,
            config_path: None,
            catalog: Default::default(),
            pipelines: Default::default(),
            workloads: Default::default(),
            alerts: Default::default(),
            docs: Default::default(),
            onboarding: Default::default(),
            signals: Default::default(),
            work: Default::default(),
            delivery: Default::default(),
            create: Default::default(),
        }
    }

    pub fn list(&self, screen: Screen) -> &ListView {
        static EMPTY: std::sync::OnceLock<ListView> = std::sync::OnceLock::new();
        self.lists
            .get(&screen)
            .unwrap_or_else(|| EMPTY.get_or_init(ListView::default))
    }

    pub fn list_mut(&mut self, screen: Screen) -> &mut ListView {
        self.lists.entry(screen).or_default()
    }

    /// Sources that feed `screen`.
    pub fn sources_for(&self, screen: Screen) -> impl Iterator<Item = &SourceStatus> {
        self.sources
            .iter()
            .filter(move |s| screen.source_kinds().contains(&s.id.kind))
    }

    pub(crate) fn source_mut(&mut self, id: &SourceId) -> Option<&mut SourceStatus> {
        self.sources.iter_mut().find(|s| &s.id == id)
    }
}

/// Rows the screen frame takes around a list: tabs, list border and header, status bar.
pub(crate) const CHROME_ROWS: usize = 6;

/// The smallest terminal the cockpit draws in; below it, it says so instead.
pub const MIN_SIZE: (u16, u16) = (60, 16);
