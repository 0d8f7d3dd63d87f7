//! flightdeck's pure core: the cockpit's state (`model`), its one state transition (`update`,
//! with the messages it takes and the effects it returns), the keymap as data, the sanitiser
//! every remote string passes, the snapshot's format and the wire types shared with the
//! simulated organisation. Nothing here does IO, reads a clock, awaits or draws: this crate
//! depends on no async, HTTP, Kubernetes or terminal crate, so the compiler keeps it that way.

pub mod keymap;
pub mod message;
pub mod model;
pub mod sanitize;
pub mod snapshot;
pub mod suggest;
pub mod sync;
pub mod update;
pub mod wire;
