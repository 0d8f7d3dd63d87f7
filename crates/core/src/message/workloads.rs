//! What the Kubernetes provider tells `update`, and the work `update` asks of it.

use crate::model::workloads::{
    Access, Change, ForwardState, LogLine, LogOptions, LogSource, ObjRef, ScopeState, Target, Usage,
};

/// Messages from the Kubernetes provider.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// The contexts the provider watches (context, status-bar source name) and the log buffer.
    Configured {
        contexts: Vec<(String, String)>,
        log_buffer_lines: usize,
    },
    /// Changes seen in one context, coalesced over a short window.
    Batch {
        context: String,
        changes: Vec<Change>,
    },
    /// How a watched namespace (`*`: all) of a context is doing.
    Scope {
        context: String,
        namespace: String,
        state: ScopeState,
    },
    /// What the user may do in a namespace.
    Access {
        context: String,
        namespace: String,
        access: Access,
    },
    /// Pod usage from metrics.k8s.io: replaces the context's previous numbers.
    Usage {
        context: String,
        pods: Vec<(String, String, Usage)>,
        served: bool,
    },
    /// The answer to a Describe: YAML, or why not.
    Described {
        request: u64,
        result: Result<String, String>,
    },
    LogLines {
        id: u64,
        lines: Vec<LogLine>,
    },
    /// A source of a log view ended (a finished pod, or an error).
    LogEnded {
        id: u64,
        source: u16,
        error: Option<String>,
    },
    ActionDone {
        what: String,
    },
    ActionFailed {
        what: String,
        error: String,
    },
    /// A shell session ended and the cockpit has the terminal again: the command's exit code,
    /// or why it could not attach.
    ShellEnded {
        pod: String,
        container: String,
        result: Result<i32, String>,
    },
    /// How a port-forward is doing now.
    Forward {
        id: u64,
        bound: Option<String>,
        state: ForwardState,
        open: u32,
        total: u64,
        last_error: Option<String>,
    },
}

/// Work for the Kubernetes provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Describe {
        request: u64,
        target: Target,
    },
    StartLogs {
        id: u64,
        sources: Vec<LogSource>,
        options: LogOptions,
    },
    StopLogs {
        id: u64,
    },
    /// `kubectl rollout restart`.
    Restart {
        target: Target,
    },
    Scale {
        target: Target,
        replicas: u32,
    },
    DeletePod {
        key: ObjRef,
    },
    /// `kubectl rollout undo --to-revision`: the Deployment's template becomes the
    /// ReplicaSet's again, if that ReplicaSet still has this revision.
    Rollback {
        target: Target,
        revision: u64,
        replicaset: String,
    },
    /// Listen on `local` (0: any free port) and forward each connection to the pod's `remote`.
    StartForward {
        id: u64,
        pod: ObjRef,
        local: u16,
        remote: u16,
    },
    StopForward {
        id: u64,
    },
}
