//! What flows into and out of `update`: the messages it takes (`Msg`) and the effects it returns
//! (`Effect`), one file per domain for that domain's messages and provider commands. It sits below
//! `model` (a confirmation stores the effect it will run) and below `update`; it imports only
//! the model's data types (never `model`'s root, never `update`), so no import runs in a circle.

pub mod alerts;
pub mod catalog;
pub mod create;
pub mod delivery;
pub mod docs;
pub mod onboarding;
pub mod pipelines;
pub mod signals;
pub mod work;
pub mod workloads;

use chrono::{DateTime, Utc};

use crate::keymap::Key;
use crate::model::join::ServiceTarget;
use crate::model::source::{SourceId, SourceKind};

/// Everything that can happen to the cockpit.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// A key press, already translated from the terminal's event.
    Key(Key),
    /// Bracketed paste into whatever input has the keyboard.
    Paste(String),
    Resize {
        width: u16,
        height: u16,
    },
    /// Time passed. Sent once a second; redraws only when something shown would change.
    Tick(DateTime<Utc>),
    /// A source's connection state changed.
    Source {
        id: SourceId,
        event: SourceEvent,
    },
    Catalog(catalog::Msg),
    Pipelines(pipelines::Msg),
    Workloads(workloads::Msg),
    Alerts(alerts::Msg),
    Docs(docs::Msg),
    Onboarding(onboarding::Msg),
    Signals(signals::Msg),
    Work(work::Msg),
    Delivery(delivery::Msg),
    Create(create::Msg),
    /// The terminal was handed back after an external program ran; `Err` says why it failed.
    Resumed {
        outcome: Result<(), String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceEvent {
    Connecting,
    /// Data arrived (or was confirmed unchanged) at `at`.
    Ok {
        at: DateTime<Utc>,
        detail: Option<String>,
    },
    Failed {
        error: String,
        at: DateTime<Utc>,
        retry_at: Option<DateTime<Utc>>,
    },
}

/// What `update` asks the outside world to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Something visible changed: draw (coalesced by the runner).
    Render,
    /// Clear the terminal and draw everything again (after a garbled screen).
    FullRedraw,
    Quit,
    /// Hand the terminal back and stop the process, as ctrl-z does in a shell; on `fg` the
    /// terminal is taken again and everything redrawn.
    Suspend,
    /// Fetch now from the providers of these kinds, instead of waiting for the next poll.
    Refresh(Vec<SourceKind>),
    /// Copy to the clipboard through OSC 52, which works over SSH and in tmux.
    Copy(String),
    /// Open a URL in a browser, or show it where none is reachable.
    OpenUrl(String),
    /// Save the remote data for the next start.
    SaveSnapshot,
    /// The catalog changed: this is what each provider should now watch.
    /// Shared with the catalog's record of what was announced: one copy of every target.
    Targets(std::sync::Arc<Vec<ServiceTarget>>),
    Catalog(catalog::Command),
    Pipelines(pipelines::Command),
    Workloads(workloads::Command),
    Alerts(alerts::Command),
    Docs(docs::Command),
    Onboarding(onboarding::Command),
    Signals(signals::Command),
    Work(work::Command),
    Delivery(delivery::Command),
    Create(create::Command),
    /// Several effects one confirmation runs together (an alert's silence and its incident's
    /// acknowledgement).
    Batch(Vec<Effect>),
    /// Hand the terminal to another program ($EDITOR, $PAGER) and take it back afterwards.
    External(External),
    /// Hand the terminal to an interactive shell in a pod's container (the Kubernetes exec
    /// API, as `kubectl exec -it` attaches) and take it back when the shell exits.
    Shell(crate::model::workloads::ShellTarget),
    /// Data the model let go of, to free away from the loop.
    Discard(Discard),
}

/// Data the model replaced, for the runner to free on a worker thread (dropping the last
/// `Discard` frees it): a poll's previous answer can be tens of thousands of small allocations,
/// and freeing them is no reason to make a key wait.
#[derive(Clone)]
pub struct Discard(std::sync::Arc<dyn std::any::Any + Send + Sync>);

impl Discard {
    pub fn new(value: impl std::any::Any + Send + Sync) -> Self {
        Discard(std::sync::Arc::new(value))
    }
}

impl PartialEq for Discard {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Discard {}

impl std::fmt::Debug for Discard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Discard")
    }
}

/// A program the cockpit hands the terminal to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum External {
    /// `$EDITOR` (else `vi`) on a file, at a line when known.
    Editor { path: String, line: Option<usize> },
    /// `$PAGER` (else `less -R`) over a text.
    Pager { text: String },
}
