//! What the catalog providers tell `update`, and what they could be asked. Their payloads are the
//! catalog's model types.

use chrono::{DateTime, Utc};

use crate::model::catalog::{Entity, Origin, Problem};

/// Messages from the catalog providers.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// Everything one origin holds now; it replaces what that origin sent before. The
    /// entities are shared: the catalog keeps these very ones.
    Loaded {
        origin: Origin,
        entities: Vec<std::sync::Arc<Entity>>,
        problems: Vec<Problem>,
        at: DateTime<Utc>,
    },
    /// The git config's `user.email` in the current directory, to guess who the user is.
    GitEmail(Option<String>),
}

/// Work for the catalog providers. Reloading is `Effect::Refresh`; nothing else is asked of
/// them yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {}
