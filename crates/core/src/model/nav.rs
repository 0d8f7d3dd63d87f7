//! Where the user was, kept so that `esc` can go back across screens like a browser's back
//! button. Apart from the model, so a screen's state can be named without the whole model.

use super::Cursor;
use super::screen::Screen;

/// How many places `esc` can go back through; older ones are forgotten.
pub(crate) const MAX_BACK: usize = 32;

/// A screen, how many layers (detail, view, form) were open on it and its filter: `esc` pops
/// the back stack only where the jump landed, and first closes a layer or clears a filter the
/// user opened or typed since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spot {
    pub screen: Screen,
    pub depth: u8,
    pub filter: String,
}

/// A place to go back to: the screen, its selected item by identity (the row may have moved
/// since), and the detail that was open there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub screen: Screen,
    /// The selected item's key, as the screen's `select_key` finds it again.
    pub selected: Option<String>,
    /// The cursor, for screens without item keys and when the item vanished.
    pub cursor: Cursor,
    pub chosen: bool,
    /// The open detail's key (an alert's fingerprint, a service on the Overview).
    pub detail: Option<String>,
    /// Where the jump from here landed.
    pub landed: Spot,
}
