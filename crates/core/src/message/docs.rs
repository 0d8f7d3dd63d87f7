//! What the docs provider tells `update`, and what `update` asks of it.

use crate::model::docs::Site;

/// Messages from the docs provider.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// Every service's docs as read from disk now, and the services whose docs failed to read.
    Loaded {
        sites: Vec<Site>,
        errors: Vec<(String, String)>,
    },
}

/// Work for the docs provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Read every site again (after the user edited a page).
    Reload,
}
