//! What the Alertmanager providers tell `update`, and the silences `update` asks of them.

use chrono::{DateTime, Utc};

use crate::model::alerts::{InstanceData, SilenceDraft};

/// Messages from the Alertmanager providers.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// Sent once at start: the configured Alertmanagers and who the user is.
    Configured {
        /// Name and service label of each Alertmanager, in config order.
        instances: Vec<(String, String)>,
        created_by: String,
        utc_offset_secs: i32,
        ack_minutes: i64,
    },
    /// One poll of one Alertmanager.
    Fetched {
        instance: String,
        at: DateTime<Utc>,
        data: InstanceData,
    },
    /// A silence was created or updated; `id` is the one the server answered with.
    SilenceSaved {
        instance: String,
        id: String,
    },
    SilenceExpired {
        instance: String,
        id: String,
    },
    /// A silence or expiry failed; `error` says why in the server's words.
    ActionFailed {
        instance: String,
        action: String,
        error: String,
    },
}

/// Work for the Alertmanager providers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Create (or, with an id, update) a silence on these Alertmanagers.
    CreateSilence {
        instances: Vec<String>,
        draft: SilenceDraft,
    },
    /// Expire a silence on these Alertmanagers.
    ExpireSilence { instances: Vec<String>, id: String },
}
