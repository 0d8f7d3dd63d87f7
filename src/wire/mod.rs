//! Wire types: the JSON shapes of the remote APIs, shared by the sim that serves them and the
//! providers that decode them, so both sides agree on one definition.

pub mod alertmanager;
pub mod gitlab;
