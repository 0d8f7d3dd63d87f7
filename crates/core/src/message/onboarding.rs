//! What the onboarding provider tells `update` (the path, the progress, check results), and the
//! work `update` asks of it.

use crate::model::onboarding::{CheckKind, CheckResult, PathSpec, Progress};

/// Messages from the onboarding provider.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// A path was read; `source` says from where.
    PathLoaded {
        spec: PathSpec,
        source: String,
    },
    PathFailed {
        source: String,
        error: String,
    },
    /// The saved progress of the path (`None`: nothing saved yet).
    ProgressLoaded {
        progress: Option<Progress>,
        error: Option<String>,
    },
    /// Whether the first-launch tour was already finished or skipped on this machine.
    TourState {
        done: bool,
    },
    /// The catalog was announced again: it may name an onboarding.yaml now.
    CatalogChanged,
    Checked {
        step: String,
        result: CheckResult,
    },
    /// Saving the progress failed.
    SaveFailed {
        error: String,
    },
}

/// A check for the provider to run with its real clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRequest {
    pub step: String,
    pub kind: CheckKind,
    pub context: Option<String>,
    pub namespace: Option<String>,
    pub alertmanager: Option<String>,
    pub environment: Option<String>,
    /// Repositories (`org/repo`) to look in: the step's, else the user's team's services'.
    pub repos: Vec<String>,
}

/// Work for the onboarding provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Read the path from this onboarding.yaml.
    LoadFile(String),
    /// Read the saved progress of the path titled `key`.
    LoadProgress {
        key: String,
    },
    /// Save the progress of the path titled `key` (atomically).
    Save {
        key: String,
        progress: Progress,
    },
    RunChecks(Vec<CheckRequest>),
    /// Remember that the tour was finished or skipped.
    TourDone,
}
