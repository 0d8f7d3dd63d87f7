//! The docs screen's part of `update`: placeholder until its issue fills it.

use crate::config::keymap::{Action, Key};
use crate::model::{Model, PaletteItem};

use super::Effect;

/// Messages from the docs providers.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {}

/// Work for the docs providers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {}

pub fn update(_model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {}
}

/// Rows in the screen's list now.
pub fn row_count(_model: &Model) -> usize {
    0
}

/// Takes raw keys while the screen has a form or input open; `None` lets them through.
pub fn on_key(_model: &mut Model, _key: &Key) -> Option<Vec<Effect>> {
    None
}

/// Handles an action on this screen; `None` leaves it to the global keys.
pub fn on_action(_model: &mut Model, _action: Action) -> Option<Vec<Effect>> {
    None
}

/// Recomputes the screen's visible rows after its filter changed.
pub fn refilter(_model: &mut Model) {}

/// Entries this screen adds to the `:` palette.
pub fn palette_items(_model: &Model, _items: &mut Vec<PaletteItem>) {}
