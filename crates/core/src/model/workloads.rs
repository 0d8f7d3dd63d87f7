//! Workloads: the compact, pure picture of what runs in the watched Kubernetes contexts (pods,
//! Deployments, StatefulSets, DaemonSets, ReplicaSets, Events), the rows the screen shows, the
//! per-service roll-ups the Overview and Alerts read, and the Describe and Logs views' state.
//! The provider converts kube's objects into these types, dropping everything the cockpit never
//! shows, so 10,000 pods stay small; nothing here knows about kube.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::cursor::Cursor;
use super::input::TextInput;
use super::join::PodSummary;
use crate::sanitize::StyledRun;

/// A name many objects share: a context, namespace, node, owner, image tag, container name or
/// service ref. Held once in [`Strings`] and shared, so 10,000 pods do not hold 10,000 copies
/// of their namespace; cloning one copies no text.
pub type Name = Arc<str>;

/// Where an object lives: the context it was seen in, its namespace and name. Rows, members and
/// the troubled lists clone the keys of `WorkloadsState::pods`, sharing their text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjRef {
    pub context: Name,
    pub namespace: Name,
    pub name: Name,
}

/// A 64-bit fingerprint of an object's namespace and name, the same for the same pair within
/// one process. A watch feed remembers what it reported by fingerprint, 9 bytes an object
/// instead of two strings (a busy cluster keeps 50,000 events), and names what vanished in a
/// re-list by fingerprint too ([`Change::Vanished`]).
pub fn fingerprint(namespace: &str, name: &str) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    // `DefaultHasher::new` has fixed keys: every instance hashes alike.
    let mut h = DefaultHasher::new();
    (namespace, name).hash(&mut h);
    h.finish()
}

impl ObjRef {
    pub fn new(context: &str, namespace: &str, name: &str) -> Self {
        Self {
            context: context.into(),
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

/// The shared copies of the names workload objects repeat. Names no object holds any more are
/// let go once the set has doubled since it was last swept, so it never grows without bound.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Strings {
    names: HashSet<Name>,
    lists: HashSet<Arc<[Name]>>,
    ports: HashSet<Arc<[u16]>>,
    swept_at: usize,
}

impl Strings {
    /// The shared copy of `s`.
    pub fn name(&mut self, s: &str) -> Name {
        if let Some(n) = self.names.get(s) {
            return n.clone();
        }
        let n: Name = s.into();
        self.names.insert(n.clone());
        n
    }

    /// The shared copy of `n`, dropping `n`'s own when one exists.
    pub fn share(&mut self, n: &mut Name) {
        match self.names.get(&**n) {
            Some(shared) => *n = shared.clone(),
            None => {
                self.names.insert(n.clone());
            }
        }
    }

    /// The shared copy of a list of names (a pod's services, its containers): the pods of one
    /// workload all hold the same one.
    pub(crate) fn share_list(&mut self, list: &mut Arc<[Name]>) {
        match self.lists.get(&**list) {
            Some(shared) => *list = shared.clone(),
            None => {
                let mut names: Vec<Name> = list.to_vec();
                for n in &mut names {
                    self.share(n);
                }
                let shared: Arc<[Name]> = names.into();
                self.lists.insert(shared.clone());
                *list = shared;
            }
        }
    }

    /// The shared copy of a pod's declared ports: the pods of one workload all hold the same.
    pub(crate) fn share_ports(&mut self, ports: &mut Arc<[u16]>) {
        match self.ports.get(&**ports) {
            Some(shared) => *ports = shared.clone(),
            None => {
                self.ports.insert(ports.clone());
            }
        }
    }

    /// Lets go of what nothing else holds, when the sets have doubled since the last sweep.
    fn sweep(&mut self) {
        let size = self.names.len() + self.lists.len();
        if size < 2 * self.swept_at + 1024 {
            return;
        }
        self.lists.retain(|l| Arc::strong_count(l) > 1);
        self.names.retain(|n| Arc::strong_count(n) > 1);
        self.ports.retain(|p| Arc::strong_count(p) > 1);
        self.swept_at = self.names.len() + self.lists.len();
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.names.len() + self.lists.len()
    }
}

/// The kinds the cockpit watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Kind {
    Pod,
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    Event,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Pod => "Pod",
            Kind::Deployment => "Deployment",
            Kind::StatefulSet => "StatefulSet",
            Kind::DaemonSet => "DaemonSet",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::Event => "Event",
        }
    }

    /// kubectl's short name, used in the screen's first column.
    pub fn short(self) -> &'static str {
        match self {
            Kind::Pod => "po",
            Kind::Deployment => "deploy",
            Kind::StatefulSet => "sts",
            Kind::DaemonSet => "ds",
            Kind::ReplicaSet => "rs",
            Kind::Event => "ev",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "Pod" => Kind::Pod,
            "Deployment" => Kind::Deployment,
            "StatefulSet" => Kind::StatefulSet,
            "DaemonSet" => Kind::DaemonSet,
            "ReplicaSet" => Kind::ReplicaSet,
            "Event" => Kind::Event,
            _ => return None,
        })
    }
}

/// How much attention something needs; rows sort by it, worst first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub enum Trouble {
    #[default]
    None,
    /// Rolling out: expected to settle by itself.
    Busy,
    Warning,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Phase {
    Pending,
    Running,
    Succeeded,
    Failed,
    Unknown,
}

impl Phase {
    pub fn parse(s: &str) -> Phase {
        match s {
            "Pending" => Phase::Pending,
            "Running" => Phase::Running,
            "Succeeded" => Phase::Succeeded,
            "Failed" => Phase::Failed,
            _ => Phase::Unknown,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Phase::Pending => "Pending",
            Phase::Running => "Running",
            Phase::Succeeded => "Succeeded",
            Phase::Failed => "Failed",
            Phase::Unknown => "Unknown",
        }
    }
}

/// A container's last termination, as `kubectl describe` shows under "Last State".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Termination {
    pub reason: String,
    pub exit_code: i32,
    pub finished: Option<DateTime<Utc>>,
}

/// The one reason that matters about a pod, worst first when several apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PodReason {
    CrashLoopBackOff {
        container: String,
        last: Option<Termination>,
    },
    /// The last termination was an OOM kill, while the container runs again.
    OomKilled {
        container: String,
        last: Termination,
    },
    ImagePull {
        reason: String,
        image: String,
    },
    /// A waiting reason other than the above (ContainerCreating, CreateContainerConfigError).
    Waiting {
        reason: String,
    },
    /// Pending and not scheduled: the scheduler's message says why.
    Unschedulable {
        message: String,
    },
    /// A container ended, and the pod is not restarting it.
    Terminated {
        reason: String,
        exit_code: i32,
    },
    /// Being deleted.
    Terminating,
    /// The pod's own reason (Evicted, NodeLost) on a failed pod.
    Failed {
        reason: String,
    },
}

impl PodReason {
    /// The short name the Overview shows: `CrashLoopBackOff`, `OOMKilled`, `Pending`.
    pub fn short(&self) -> String {
        match self {
            PodReason::CrashLoopBackOff { .. } => "CrashLoopBackOff".into(),
            PodReason::OomKilled { .. } => "OOMKilled".into(),
            PodReason::ImagePull { reason, .. } | PodReason::Waiting { reason } => reason.clone(),
            PodReason::Unschedulable { .. } => "Pending".into(),
            PodReason::Terminated { reason, .. } | PodReason::Failed { reason } => reason.clone(),
            PodReason::Terminating => "Terminating".into(),
        }
    }

    /// One line with the detail that explains it.
    pub fn describe(&self, now: DateTime<Utc>) -> String {
        let last = |t: &Termination| {
            let when = t
                .finished
                .map(|f| format!(", {} ago", super::time::age(now, f)))
                .unwrap_or_default();
            format!("{} exit {}{when}", t.reason, t.exit_code)
        };
        match self {
            PodReason::CrashLoopBackOff {
                container,
                last: Some(t),
            } => {
                format!("CrashLoopBackOff {container}: last {}", last(t))
            }
            PodReason::CrashLoopBackOff {
                container,
                last: None,
            } => format!("CrashLoopBackOff {container}"),
            PodReason::OomKilled { container, last: t } => {
                format!("OOMKilled {container}: {}", last(t))
            }
            PodReason::ImagePull { reason, image } => format!("{reason} {image}"),
            PodReason::Waiting { reason } => reason.clone(),
            PodReason::Unschedulable { message } if message.is_empty() => {
                "Pending: not scheduled".into()
            }
            PodReason::Unschedulable { message } => format!("Pending: {message}"),
            PodReason::Terminated { reason, exit_code } => format!("{reason} (exit {exit_code})"),
            PodReason::Terminating => "Terminating".into(),
            PodReason::Failed { reason } => reason.clone(),
        }
    }

    pub fn trouble(&self) -> Trouble {
        match self {
            PodReason::CrashLoopBackOff { .. }
            | PodReason::ImagePull { .. }
            | PodReason::Failed { .. }
            | PodReason::Unschedulable { .. } => Trouble::Critical,
            PodReason::Terminated { reason, .. } if reason != "Completed" => Trouble::Critical,
            PodReason::OomKilled { .. } => Trouble::Warning,
            PodReason::Waiting { reason }
                if reason != "ContainerCreating" && reason != "PodInitializing" =>
            {
                Trouble::Critical
            }
            PodReason::Waiting { .. } | PodReason::Terminating => Trouble::Busy,
            PodReason::Terminated { .. } => Trouble::None,
        }
    }
}

/// What owns an object, by kind and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub kind: Name,
    pub name: Name,
}

/// A pod, reduced to what the screen, the roll-ups and the actions need. Every name but its
/// own is shared with the other pods through [`Strings`] once the model holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pod {
    pub namespace: Name,
    pub name: Name,
    /// Catalog refs of the services whose selector matches the pod's labels.
    pub services: Arc<[Name]>,
    pub phase: Phase,
    pub ready: u16,
    pub containers: Arc<[Name]>,
    pub restarts: u32,
    pub created: Option<DateTime<Utc>>,
    pub node: Option<Name>,
    pub owner: Option<Owner>,
    pub reason: Option<Box<PodReason>>,
    /// When a container last terminated (for restarts in the last hour).
    pub last_restart: Option<DateTime<Utc>>,
    /// The image tag of the first container.
    pub tag: Option<Name>,
    /// The TCP ports its containers declare, in order: the port-forward prompt's defaults.
    #[serde(default)]
    pub ports: Arc<[u16]>,
}

impl Pod {
    pub fn trouble(&self) -> Trouble {
        let by_reason = self.reason.as_ref().map_or(Trouble::None, |r| r.trouble());
        let not_ready = match self.phase {
            Phase::Running if (self.ready as usize) < self.containers.len() => Trouble::Warning,
            Phase::Pending => Trouble::Busy,
            Phase::Failed | Phase::Unknown => Trouble::Critical,
            _ => Trouble::None,
        };
        by_reason.max(not_ready)
    }

    pub fn is_ready(&self) -> bool {
        self.phase == Phase::Running
            && self.ready as usize == self.containers.len()
            && !self.containers.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RolloutState {
    Complete,
    Progressing,
    /// The rollout exceeded its progress deadline.
    Stalled,
    Paused,
}

impl RolloutState {
    pub fn name(self) -> &'static str {
        match self {
            RolloutState::Complete => "complete",
            RolloutState::Progressing => "progressing",
            RolloutState::Stalled => "stalled",
            RolloutState::Paused => "paused",
        }
    }
}

/// A Deployment, StatefulSet or DaemonSet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workload {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
    pub services: Vec<String>,
    pub desired: u32,
    pub updated: u32,
    pub ready: u32,
    pub available: u32,
    pub revision: Option<u64>,
    pub tag: Option<String>,
    pub rollout: RolloutState,
    /// The condition message that explains a stalled or progressing rollout.
    pub message: Option<String>,
    pub created: Option<DateTime<Utc>>,
}

impl Workload {
    pub fn trouble(&self) -> Trouble {
        match self.rollout {
            RolloutState::Stalled => Trouble::Critical,
            _ if self.desired > 0 && self.available == 0 => Trouble::Critical,
            RolloutState::Progressing => Trouble::Busy,
            _ if self.ready < self.desired => Trouble::Warning,
            _ => Trouble::None,
        }
    }
}

/// A ReplicaSet: to find a pod's Deployment, and a revision to roll back to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaSet {
    pub namespace: String,
    pub name: String,
    pub deployment: Option<String>,
    pub revision: Option<u64>,
    pub tag: Option<String>,
    /// The first container's whole image, for the rollback's image diff.
    #[serde(default)]
    pub image: Option<String>,
    /// `kubernetes.io/change-cause`, as `kubectl rollout history` shows it.
    #[serde(default)]
    pub change_cause: Option<String>,
    #[serde(default)]
    pub created: Option<DateTime<Utc>>,
}

/// One revision of a Deployment in the rollback list: its ReplicaSet, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub revision: u64,
    pub replicaset: String,
    pub image: String,
    pub change_cause: String,
    pub created: Option<DateTime<Utc>>,
    /// The template the Deployment runs now (the highest revision).
    pub current: bool,
}

/// The Revisions view: a Deployment's revisions to roll back to, rebuilt when its
/// ReplicaSets change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revisions {
    pub target: Target,
    pub rows: Vec<Revision>,
    pub cursor: Cursor,
}

/// An Event, its repeated names shared through [`Strings`] once the model holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub namespace: Name,
    pub name: Name,
    /// The kind and name of the object it is about.
    pub kind: Name,
    pub object: Name,
    pub reason: Name,
    pub message: String,
    pub warning: bool,
    pub count: u32,
    pub last: Option<DateTime<Utc>>,
    pub source: Name,
}

/// CPU and memory of a pod from metrics.k8s.io, when the cluster serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub cpu_millis: u64,
    pub memory_bytes: u64,
}

/// What the user may do in a namespace, from SelfSubjectAccessReviews. `None`: not known yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    pub restart: Option<bool>,
    pub scale: Option<bool>,
    pub delete_pods: Option<bool>,
    /// `create pods/exec`: a shell into a container.
    #[serde(default)]
    pub exec: Option<bool>,
    /// `create pods/portforward`.
    #[serde(default)]
    pub port_forward: Option<bool>,
}

/// How one watched scope (a namespace, or the whole cluster) is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScopeState {
    Syncing,
    Synced,
    /// The API answered 403: shown, and the other scopes keep working.
    Forbidden(String),
    Failing {
        error: String,
        retry_at: Option<DateTime<Utc>>,
    },
}

/// One watched context.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ContextState {
    pub name: String,
    /// The status-bar source it reports as.
    pub source: String,
    /// Namespace (`*` for every namespace) → state.
    pub scopes: BTreeMap<String, ScopeState>,
    pub access: BTreeMap<String, Access>,
    /// metrics.k8s.io is served.
    pub metrics: bool,
}

/// A change the provider saw, already converted and sanitised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Pod(Pod),
    Workload(Workload),
    ReplicaSet(ReplicaSet),
    Event(Event),
    Deleted {
        kind: Kind,
        namespace: String,
        name: String,
    },
    /// Objects of `kind` in this context that a re-list no longer lists, or that a stopped
    /// feed had reported, by [`fingerprint`].
    Vanished {
        kind: Kind,
        fingerprints: HashSet<u64>,
    },
}

/// A row of the Workloads screen.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Row {
    Workload {
        kind: Kind,
        key: ObjRef,
    },
    Pod(ObjRef),
    /// Pods no watched workload owns, per context and namespace.
    Orphans {
        context: Name,
        namespace: Name,
    },
}

/// Which view the Workloads screen shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    #[default]
    List,
    Events,
    Describe,
    Logs,
    Revisions,
    /// The port-forwards this cockpit runs, with their state.
    Forwards,
}

/// The object a Describe, an action or a log stream is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub kind: Kind,
    pub key: ObjRef,
}

/// The Describe view: the object as YAML, fetched on demand.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Describe {
    pub request: u64,
    pub title: String,
    pub lines: Vec<String>,
    pub loading: bool,
    pub error: Option<String>,
    pub scroll: usize,
    pub search: TextInput,
    pub searching: bool,
    pub query: String,
}

/// Log stream options, as kubectl logs takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogOptions {
    pub follow: bool,
    pub tail: Option<i64>,
    pub since_secs: Option<i64>,
    pub previous: bool,
}

impl Default for LogOptions {
    fn default() -> Self {
        Self {
            follow: true,
            tail: Some(TAILS[0]),
            since_secs: None,
            previous: false,
        }
    }
}

/// The tail lengths `t` cycles through.
pub(crate) const TAILS: [i64; 3] = [200, 2_000, 10_000];
/// The `since` windows `s` cycles through, in seconds (`None`: everything kept).
pub(crate) const SINCES: [Option<i64>; 4] = [None, Some(300), Some(3_600), Some(6 * 3_600)];

/// One source of a log view: a container of a pod.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogSource {
    pub key: ObjRef,
    pub container: Option<String>,
    /// What prefixes its lines when several pods are merged.
    pub prefix: String,
}

/// One log line, sanitised, with its colours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub source: u16,
    pub text: String,
    pub runs: Vec<StyledRun>,
}

/// The Logs view: a bounded buffer of lines and where the user is in it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Logs {
    pub id: u64,
    pub title: String,
    pub sources: Vec<LogSource>,
    pub options: LogOptions,
    pub lines: VecDeque<LogLine>,
    /// The sequence number of `lines[0]`; lines dropped from the front keep their numbers.
    pub first_seq: u64,
    pub capacity: usize,
    /// Lines dropped because the buffer was full.
    pub dropped: u64,
    /// Stick to the newest line. Off: paused, the view stays where the user is.
    pub follow: bool,
    /// The selected line's sequence number while paused.
    pub cursor: u64,
    /// The first shown line's sequence number while paused.
    pub top: u64,
    pub wrap: bool,
    pub search: TextInput,
    pub searching: bool,
    pub query: String,
    /// Sources whose stream ended, with why when it failed.
    pub ended: BTreeMap<u16, Option<String>>,
}

impl Logs {
    pub fn end_seq(&self) -> u64 {
        self.first_seq + self.lines.len() as u64
    }

    pub fn line(&self, seq: u64) -> Option<&LogLine> {
        seq.checked_sub(self.first_seq)
            .and_then(|i| self.lines.get(i as usize))
    }

    /// Appends, dropping the oldest lines beyond the capacity, and keeps a paused view on the
    /// lines it showed while they still exist.
    pub fn push(&mut self, lines: impl IntoIterator<Item = LogLine>) {
        for line in lines {
            self.lines.push_back(line);
        }
        let cap = self.capacity.max(1);
        while self.lines.len() > cap {
            self.lines.pop_front();
            self.first_seq += 1;
            self.dropped += 1;
        }
        self.cursor = self.cursor.max(self.first_seq);
        self.top = self.top.max(self.first_seq);
    }

    /// The selected line: the newest while following.
    pub fn selected(&self) -> Option<u64> {
        if self.lines.is_empty() {
            None
        } else if self.follow {
            Some(self.end_seq() - 1)
        } else {
            Some(self.cursor.clamp(self.first_seq, self.end_seq() - 1))
        }
    }

    /// The line as the pager and the clipboard get it: with its pod prefix when merged.
    pub fn plain(&self, line: &LogLine) -> String {
        match self.sources.get(usize::from(line.source)) {
            Some(s) if self.sources.len() > 1 => format!("{} {}", s.prefix, line.text),
            _ => line.text.clone(),
        }
    }
}

/// The container picker a shell opens first when the pod has several containers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContainerPicker {
    pub pod: Option<ObjRef>,
    pub containers: Vec<String>,
    pub selected: usize,
}

/// What the shell asks the app loop to attach to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellTarget {
    pub pod: ObjRef,
    pub container: String,
}

/// The port-forward prompt: `local:remote` for a pod, filled with its first declared port.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ForwardPrompt {
    pub pod: Option<ObjRef>,
    /// The pod's declared ports, shown beside the input.
    pub ports: Vec<u16>,
    pub input: TextInput,
}

/// How one port-forward is doing, as its provider reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForwardState {
    Starting,
    /// Bound and accepting on this address.
    Listening,
    /// It could not start, or its listener failed: nothing accepts on the port now.
    Failed(String),
}

/// One port-forward: a local listener whose connections each reach the pod's port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    pub id: u64,
    pub pod: ObjRef,
    /// The local port asked for (0: any free one, `bound` says which).
    pub local: u16,
    pub remote: u16,
    /// Where it listens once bound: `127.0.0.1:8080`.
    pub bound: Option<String>,
    pub state: ForwardState,
    /// Connections open now, and accepted since it started.
    pub open: u32,
    pub total: u64,
    /// The last connection's error, if any (the pod refused the port, the stream broke).
    pub last_error: Option<String>,
}

/// `8080`, `8080:80` or `:80` (any free local port) into (local, remote); `None` when it is
/// not that shape or a remote port is 0.
pub fn parse_ports(text: &str) -> Option<(u16, u16)> {
    let text = text.trim();
    let (local, remote) = match text.split_once(':') {
        Some((l, r)) if l.trim().is_empty() => (0, r.trim().parse().ok()?),
        Some((l, r)) => (l.trim().parse().ok()?, r.trim().parse().ok()?),
        None => {
            let p = text.parse().ok()?;
            (p, p)
        }
    };
    (remote != 0).then_some((local, remote))
}

/// The scale prompt: how many replicas for which workload.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScalePrompt {
    pub target: Option<Target>,
    pub current: u32,
    pub input: TextInput,
}

/// Most events kept at once; the oldest go first. Events are short-lived hints, and a busy
/// cluster makes thousands an hour.
pub(crate) const MAX_EVENTS: usize = 5_000;

/// What the cockpit knows about workloads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkloadsState {
    pub contexts: Vec<ContextState>,
    pub pods: HashMap<ObjRef, Pod>,
    pub workloads: HashMap<(Kind, ObjRef), Workload>,
    pub replicasets: HashMap<ObjRef, ReplicaSet>,
    pub events: HashMap<ObjRef, Event>,
    pub usage: HashMap<ObjRef, Usage>,
    pub log_buffer_lines: usize,
    /// The rows the list shows, after sort and filter.
    pub rows: Vec<Row>,
    /// Pods under each shown workload, as a range of `members` (see [`Self::pods_of`]).
    pub children: HashMap<Row, std::ops::Range<usize>>,
    pub members: Vec<ObjRef>,
    /// Show workloads only, without their pods.
    pub collapsed: bool,
    pub view: View,
    pub events_rows: Vec<ObjRef>,
    pub events_title: String,
    pub events_cursor: Cursor,
    pub describe: Option<Describe>,
    pub logs: Option<Logs>,
    pub scale: Option<ScalePrompt>,
    pub revisions: Option<Revisions>,
    pub picker: Option<ContainerPicker>,
    pub forward_prompt: Option<ForwardPrompt>,
    pub forwards: Vec<Forward>,
    pub forwards_cursor: Cursor,
    pub next_request: u64,
    summaries: HashMap<String, PodSummary>,
    /// The services whose roll-up the last rebuild changed (came, went or moved), for the
    /// Overview to join again; taken by [`Self::take_moved_summaries`].
    moved_summaries: Vec<String>,
    troubled: HashMap<String, Vec<ObjRef>>,
    strings: Strings,
    /// Whether a change since the rows were built may move, add or remove a row. Most pod
    /// changes (a restart counted, a container ready) leave every row where it is: the rows
    /// hold keys, so the view reads the new data without the rows being rebuilt.
    rows_stale: bool,
    /// Pods whose trouble (the sort key) changed and nothing else that places them: their rows
    /// move within their group, and the group among the others, without regrouping every pod.
    moved: Vec<ObjRef>,
    /// The shown groups in row order with the trouble they sort by, kept for [`Self::moved`].
    groups: Vec<(Trouble, Row)>,
}

impl WorkloadsState {
    /// The roll-up of a service's pods across every watched context.
    pub fn pod_summary(&self, service_ref: &str) -> Option<&PodSummary> {
        self.summaries.get(service_ref)
    }

    /// The services whose roll-up changed since this was last asked.
    pub fn take_moved_summaries(&mut self) -> Vec<String> {
        std::mem::take(&mut self.moved_summaries)
    }

    /// A service's pods that need attention, worst first: what the Alerts detail lists.
    pub fn troubled_pods(&self, service_ref: &str) -> Vec<&Pod> {
        self.troubled
            .get(service_ref)
            .map(|keys| keys.iter().filter_map(|k| self.pods.get(k)).collect())
            .unwrap_or_default()
    }

    pub(crate) fn context_mut(&mut self, name: &str) -> &mut ContextState {
        if let Some(i) = self.contexts.iter().position(|c| c.name == name) {
            return &mut self.contexts[i];
        }
        self.contexts.push(ContextState {
            name: name.to_string(),
            source: name.to_string(),
            ..Default::default()
        });
        let last = self.contexts.len() - 1;
        &mut self.contexts[last]
    }

    /// The revisions of a Deployment, newest first, from its ReplicaSets in the model.
    pub fn revisions_of(&self, target: &Target) -> Vec<Revision> {
        let mut rows: Vec<Revision> = self
            .replicasets
            .iter()
            .filter(|(k, r)| {
                k.context == target.key.context
                    && k.namespace == target.key.namespace
                    && r.deployment.as_deref() == Some(&*target.key.name)
            })
            .filter_map(|(_, r)| {
                Some(Revision {
                    revision: r.revision?,
                    replicaset: r.name.clone(),
                    image: r
                        .image
                        .clone()
                        .or_else(|| r.tag.clone())
                        .unwrap_or_default(),
                    change_cause: r.change_cause.clone().unwrap_or_default(),
                    created: r.created,
                    current: false,
                })
            })
            .collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.revision));
        if let Some(first) = rows.first_mut() {
            first.current = true;
        }
        rows
    }

    pub fn access(&self, key: &ObjRef) -> Access {
        self.contexts
            .iter()
            .find(|c| *c.name == *key.context)
            .and_then(|c| c.access.get(&*key.namespace).copied())
            .unwrap_or_default()
    }

    /// Applies a batch of changes from one context.
    pub fn apply(&mut self, context: &str, changes: Vec<Change>) {
        let context = self.strings.name(context);
        for change in changes {
            match change {
                Change::Pod(mut p) => {
                    let strings = &mut self.strings;
                    strings.share(&mut p.namespace);
                    strings.share_list(&mut p.services);
                    strings.share_list(&mut p.containers);
                    strings.share_ports(&mut p.ports);
                    for n in [p.node.as_mut(), p.tag.as_mut()].into_iter().flatten() {
                        strings.share(n);
                    }
                    if let Some(o) = &mut p.owner {
                        strings.share(&mut o.kind);
                        strings.share(&mut o.name);
                    }
                    let key = ObjRef {
                        context: context.clone(),
                        namespace: p.namespace.clone(),
                        name: p.name.clone(),
                    };
                    // The rows are regrouped only when the pod is new or its owner (the group)
                    // or its services (what a filter scopes by) changed; when only its trouble
                    // (the sort key) changed, its row moves.
                    match self.pods.get(&key) {
                        Some(old) if old.owner == p.owner && old.services == p.services => {
                            if old.trouble() != p.trouble() {
                                self.moved.push(key.clone());
                            }
                        }
                        _ => self.rows_stale = true,
                    }
                    self.pods.insert(key, p);
                }
                Change::Workload(w) => {
                    self.rows_stale = true;
                    let key = self.key(&context, &w.namespace, &w.name);
                    self.workloads.insert((w.kind, key), w);
                }
                Change::ReplicaSet(r) => {
                    self.rows_stale = true;
                    let key = self.key(&context, &r.namespace, &r.name);
                    self.replicasets.insert(key, r);
                }
                Change::Event(mut e) => {
                    let strings = &mut self.strings;
                    for n in [
                        &mut e.namespace,
                        &mut e.kind,
                        &mut e.object,
                        &mut e.reason,
                        &mut e.source,
                    ] {
                        strings.share(n);
                    }
                    let key = ObjRef {
                        context: context.clone(),
                        namespace: e.namespace.clone(),
                        name: e.name.clone(),
                    };
                    self.events.insert(key, e);
                }
                Change::Deleted {
                    kind,
                    namespace,
                    name,
                } => {
                    self.rows_stale |= kind != Kind::Event;
                    let key = ObjRef {
                        context: context.clone(),
                        namespace: namespace.into(),
                        name: name.into(),
                    };
                    match kind {
                        Kind::Pod => {
                            self.pods.remove(&key);
                            self.usage.remove(&key);
                        }
                        Kind::ReplicaSet => {
                            self.replicasets.remove(&key);
                        }
                        Kind::Event => {
                            self.events.remove(&key);
                        }
                        k => {
                            self.workloads.remove(&(k, key));
                        }
                    }
                }
                Change::Vanished { kind, fingerprints } => {
                    self.rows_stale |= kind != Kind::Event;
                    let gone = |k: &ObjRef| {
                        k.context == context
                            && fingerprints.contains(&fingerprint(&k.namespace, &k.name))
                    };
                    match kind {
                        Kind::Pod => {
                            self.pods.retain(|k, _| !gone(k));
                            self.usage.retain(|k, _| !gone(k));
                        }
                        Kind::ReplicaSet => self.replicasets.retain(|k, _| !gone(k)),
                        Kind::Event => self.events.retain(|k, _| !gone(k)),
                        kind => self.workloads.retain(|(wk, k), _| *wk != kind || !gone(k)),
                    }
                }
            }
        }
        if self.events.len() > MAX_EVENTS {
            let mut by_age: Vec<(Option<DateTime<Utc>>, ObjRef)> = self
                .events
                .iter()
                .map(|(k, e)| (e.last, k.clone()))
                .collect();
            by_age.sort();
            let excess = self.events.len() - MAX_EVENTS;
            for (_, k) in by_age.into_iter().take(excess) {
                self.events.remove(&k);
            }
        }
        self.strings.sweep();
    }

    /// A key with shared context and namespace.
    fn key(&mut self, context: &Name, namespace: &str, name: &str) -> ObjRef {
        ObjRef {
            context: context.clone(),
            namespace: self.strings.name(namespace),
            name: name.into(),
        }
    }

    /// How many shared names and name lists the model holds.
    #[cfg(test)]
    pub(crate) fn shared_names(&self) -> usize {
        self.strings.len()
    }

    /// The workload a pod belongs to, through its ReplicaSet for Deployments.
    pub(crate) fn owner_of(&self, key: &ObjRef, pod: &Pod) -> Option<(Kind, ObjRef)> {
        let owner = pod.owner.as_ref()?;
        let at = |name: &str| ObjRef::new(&key.context, &key.namespace, name);
        match owner.kind.as_ref() {
            "ReplicaSet" => {
                let rs = self.replicasets.get(&at(&owner.name));
                let deployment = match rs.and_then(|r| r.deployment.clone()) {
                    Some(d) => d,
                    // Before its ReplicaSet arrives, the name says it: `<deployment>-<hash>`.
                    None => owner.name.rsplit_once('-').map(|(d, _)| d.to_string())?,
                };
                let k = (Kind::Deployment, at(&deployment));
                self.workloads.contains_key(&k).then_some(k)
            }
            kind => {
                let kind = Kind::parse(kind)?;
                let k = (kind, at(&owner.name));
                self.workloads.contains_key(&k).then_some(k)
            }
        }
    }

    /// Recomputes the per-service roll-ups, the troubled pods and the rows, after data or the
    /// filter changed. `filter` is the screen's `/` text.
    pub fn rebuild(&mut self, filter: &str, now: DateTime<Utc>) {
        self.rebuild_summaries(now);
        self.rebuild_rows(filter);
    }

    /// After a batch: the roll-ups always, the rows only when a change may have moved one.
    /// Returns whether the rows changed.
    pub fn rebuild_after_batch(&mut self, filter: &str, now: DateTime<Utc>) -> bool {
        self.rebuild_summaries(now);
        if self.rows_stale {
            self.rebuild_rows(filter);
            true
        } else if self.moved.is_empty() {
            false
        } else {
            self.move_rows(filter)
        }
    }

    /// Puts the rows of pods whose trouble changed where a full rebuild would: each re-sorted
    /// within its group, and a group whose worst trouble changed re-sorted among the groups.
    /// Only the touched groups are read; the rows are then laid out again from the groups.
    fn move_rows(&mut self, filter: &str) -> bool {
        let moved = std::mem::take(&mut self.moved);
        let filter = Filter::parse(filter);
        let mut touched: Vec<Row> = Vec::new();
        for key in &moved {
            let Some(pod) = self.pods.get(key) else {
                continue;
            };
            let row = match self.owner_of(key, pod) {
                Some((kind, key)) => Row::Workload { kind, key },
                None => Row::Orphans {
                    context: key.context.clone(),
                    namespace: key.namespace.clone(),
                },
            };
            if self.children.contains_key(&row) && !touched.contains(&row) {
                touched.push(row);
            }
        }
        if touched.is_empty() {
            return false;
        }
        let pods = &self.pods;
        let trouble = |k: &ObjRef| pods.get(k).map_or(Trouble::None, Pod::trouble);
        let mut regroup = false;
        for row in &touched {
            let Some(range) = self.children.get(row).cloned() else {
                continue;
            };
            let members = &mut self.members[range];
            members.sort_by(|a, b| {
                trouble(b)
                    .cmp(&trouble(a))
                    .then_with(|| a.name.cmp(&b.name))
            });
            let own = match row {
                Row::Workload { kind, key } => self
                    .workloads
                    .get(&(*kind, key.clone()))
                    .filter(|w| {
                        filter.scope(&key.context, &key.namespace, &w.services)
                            && filter.text_matches(&key.name)
                    })
                    .map_or(Trouble::None, Workload::trouble),
                _ => Trouble::None,
            };
            let worst = members.iter().map(trouble).fold(own, Trouble::max);
            if let Some(group) = self.groups.iter_mut().find(|(_, r)| r == row)
                && group.0 != worst
            {
                group.0 = worst;
                regroup = true;
            }
        }
        if regroup {
            self.groups
                .sort_by(|a, b| by_trouble_then_place(a.0, &a.1, b.0, &b.1));
        }
        let mut rows = Vec::with_capacity(self.rows.len());
        let mut members = Vec::with_capacity(self.members.len());
        let mut children = HashMap::with_capacity(self.children.len());
        for (_, row) in &self.groups {
            let Some(range) = self.children.get(row) else {
                continue;
            };
            let start = members.len();
            rows.push(row.clone());
            for key in &self.members[range.clone()] {
                if !self.collapsed {
                    rows.push(Row::Pod(key.clone()));
                }
                members.push(key.clone());
            }
            children.insert(row.clone(), start..members.len());
        }
        self.rows = rows;
        self.members = members;
        self.children = children;
        true
    }

    fn rebuild_summaries(&mut self, now: DateTime<Utc>) {
        let hour_ago = now - Duration::hours(1);
        // Borrowed keys: one allocation per service, not per pod.
        let mut summaries: HashMap<&str, PodSummary> = HashMap::new();
        let mut worst: HashMap<&str, (Trouble, String)> = HashMap::new();
        let mut troubled: HashMap<&str, Vec<(Trouble, &ObjRef)>> = HashMap::new();
        for (key, pod) in &self.pods {
            let trouble = pod.trouble();
            for service in pod.services.iter() {
                let s = summaries.entry(service.as_ref()).or_default();
                s.total += 1;
                if pod.is_ready() {
                    s.ready += 1;
                }
                if pod.last_restart.is_some_and(|at| at >= hour_ago) {
                    s.restarts_last_hour = s.restarts_last_hour.saturating_add(pod.restarts);
                }
                if trouble >= Trouble::Warning {
                    let label = pod
                        .reason
                        .as_ref()
                        .map_or_else(|| pod.phase.name().to_string(), |r| r.short());
                    let w = worst
                        .entry(service.as_ref())
                        .or_insert((Trouble::None, String::new()));
                    if trouble > w.0 || (trouble == w.0 && label < w.1) {
                        *w = (trouble, label);
                    }
                    troubled
                        .entry(service.as_ref())
                        .or_default()
                        .push((trouble, key));
                }
            }
        }
        for (service, (_, label)) in worst {
            if let Some(s) = summaries.get_mut(service) {
                s.worst = Some(label);
            }
        }
        // What moved, compared with the roll-ups of the last rebuild: services that came or
        // changed, then services whose last pod went.
        for (service, summary) in &summaries {
            if self.summaries.get(*service) != Some(summary) {
                self.moved_summaries.push((*service).to_string());
            }
        }
        for service in self.summaries.keys() {
            if !summaries.contains_key(service.as_str()) {
                self.moved_summaries.push(service.clone());
            }
        }
        let summaries = summaries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        self.troubled = troubled
            .into_iter()
            .map(|(service, mut list)| {
                list.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
                (
                    service.to_string(),
                    list.into_iter().map(|(_, k)| k.clone()).collect(),
                )
            })
            .collect();
        self.summaries = summaries;
    }

    fn rebuild_rows(&mut self, filter: &str) {
        self.rows_stale = false;
        self.moved.clear();
        let filter = Filter::parse(filter);
        // Borrowed lookups, so that 10,000 pods cost no allocation until the rows are built.
        let rs_owner: HashMap<(&str, &str, &str), &str> = self
            .replicasets
            .iter()
            .filter_map(|(k, r)| {
                r.deployment.as_deref().map(|d| {
                    (
                        (k.context.as_ref(), k.namespace.as_ref(), k.name.as_ref()),
                        d,
                    )
                })
            })
            .collect();
        let watched: HashSet<(Kind, &str, &str, &str)> = self
            .workloads
            .keys()
            .map(|(kind, k)| {
                (
                    *kind,
                    k.context.as_ref(),
                    k.namespace.as_ref(),
                    k.name.as_ref(),
                )
            })
            .collect();
        let mut groups: HashMap<GroupKey<'_>, Group<'_>> = HashMap::new();
        for (key, pod) in &self.pods {
            if !filter.scope(&key.context, &key.namespace, &pod.services) {
                continue;
            }
            let (ctx, ns) = (key.context.as_ref(), key.namespace.as_ref());
            let owner = pod.owner.as_ref().and_then(|o| {
                let (kind, name) = match o.kind.as_ref() {
                    "ReplicaSet" => {
                        let deployment = match rs_owner.get(&(ctx, ns, o.name.as_ref())) {
                            Some(d) => *d,
                            // Before its ReplicaSet arrives, the name says it.
                            None => o.name.rsplit_once('-')?.0,
                        };
                        (Kind::Deployment, deployment)
                    }
                    kind => (Kind::parse(kind)?, o.name.as_ref()),
                };
                watched
                    .contains(&(kind, ctx, ns, name))
                    .then_some((kind, name))
            });
            let group = match owner {
                Some((kind, name)) => GroupKey::Workload(kind, ctx, ns, name),
                None => GroupKey::Orphans(ctx, ns),
            };
            let owner_name = owner.map_or("", |(_, n)| n);
            if !filter.text_matches(&key.name) && !filter.text_matches(owner_name) {
                continue;
            }
            let trouble = pod.trouble();
            let entry = groups.entry(group).or_insert((Trouble::None, Vec::new()));
            entry.0 = entry.0.max(trouble);
            entry.1.push((trouble, key));
        }
        for ((kind, key), w) in &self.workloads {
            if filter.scope(&key.context, &key.namespace, &w.services)
                && filter.text_matches(&key.name)
            {
                let entry = groups
                    .entry(GroupKey::Workload(
                        *kind,
                        &key.context,
                        &key.namespace,
                        &key.name,
                    ))
                    .or_insert((Trouble::None, Vec::new()));
                entry.0 = entry.0.max(w.trouble());
            }
        }
        let mut ordered: Vec<(Trouble, Row, Members<'_>)> = groups
            .into_iter()
            .map(|(g, (t, pods))| (t, g.row(), pods))
            .collect();
        ordered.sort_by(|a, b| by_trouble_then_place(a.0, &a.1, b.0, &b.1));
        let collapsed = self.collapsed;
        let mut rows =
            Vec::with_capacity(ordered.len() + if collapsed { 0 } else { self.pods.len() });
        let mut members = Vec::with_capacity(self.pods.len());
        let mut children = HashMap::with_capacity(ordered.len());
        let mut groups = Vec::with_capacity(ordered.len());
        for (worst, row, mut pods) in ordered {
            pods.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
            let start = members.len();
            rows.push(row.clone());
            for (_, k) in pods {
                if !collapsed {
                    rows.push(Row::Pod(k.clone()));
                }
                members.push(k.clone());
            }
            children.insert(row.clone(), start..members.len());
            groups.push((worst, row));
        }
        self.rows = rows;
        self.members = members;
        self.children = children;
        self.groups = groups;
        self.moved.clear();
    }

    /// The pods listed under a workload or orphan row.
    pub fn pods_of(&self, row: &Row) -> &[ObjRef] {
        self.children
            .get(row)
            .and_then(|r| self.members.get(r.clone()))
            .unwrap_or(&[])
    }

    /// The target of a row: the object itself, or for an orphan group nothing.
    pub fn target(&self, row: &Row) -> Option<Target> {
        match row {
            Row::Workload { kind, key } => Some(Target {
                kind: *kind,
                key: key.clone(),
            }),
            Row::Pod(key) => Some(Target {
                kind: Kind::Pod,
                key: key.clone(),
            }),
            Row::Orphans { .. } => None,
        }
    }

    /// Events about `targets` (and, for a Deployment, its ReplicaSets and pods), newest first.
    pub(crate) fn events_for(&self, rows: &[Row]) -> Vec<ObjRef> {
        let mut wanted: HashSet<(&str, &str, &str, &str)> = HashSet::new();
        let mut all = false;
        for row in rows {
            match row {
                Row::Workload { kind, key } => {
                    wanted.insert((&key.context, &key.namespace, kind.name(), &key.name));
                    for (rk, rs) in &self.replicasets {
                        if rk.context == key.context
                            && rk.namespace == key.namespace
                            && rs.deployment.as_deref() == Some(key.name.as_ref())
                        {
                            wanted.insert((&rk.context, &rk.namespace, "ReplicaSet", &rk.name));
                        }
                    }
                    for pod in self.pods_of(row) {
                        wanted.insert((&pod.context, &pod.namespace, "Pod", &pod.name));
                    }
                }
                Row::Pod(key) => {
                    wanted.insert((&key.context, &key.namespace, "Pod", &key.name));
                }
                Row::Orphans { .. } => all = true,
            }
        }
        let mut found: Vec<(&ObjRef, &Event)> = self
            .events
            .iter()
            .filter(|(k, e)| {
                all || wanted.contains(&(
                    k.context.as_ref(),
                    k.namespace.as_ref(),
                    e.kind.as_ref(),
                    e.object.as_ref(),
                ))
            })
            .collect();
        found.sort_by(|a, b| b.1.last.cmp(&a.1.last).then_with(|| a.0.cmp(b.0)));
        found.into_iter().map(|(k, _)| k.clone()).collect()
    }
}

/// A row while rows are built, borrowing its names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum GroupKey<'a> {
    Workload(Kind, &'a str, &'a str, &'a str),
    Orphans(&'a str, &'a str),
}

impl GroupKey<'_> {
    fn row(&self) -> Row {
        match *self {
            GroupKey::Workload(kind, ctx, ns, name) => Row::Workload {
                kind,
                key: ObjRef::new(ctx, ns, name),
            },
            GroupKey::Orphans(ctx, ns) => Row::Orphans {
                context: ctx.into(),
                namespace: ns.into(),
            },
        }
    }
}

/// The order of group rows: the worst trouble first; then workloads before orphan groups, by
/// namespace, name, context.
fn by_trouble_then_place(a: Trouble, a_row: &Row, b: Trouble, b_row: &Row) -> std::cmp::Ordering {
    fn place(row: &Row) -> (u8, &str, &str, &str) {
        match row {
            Row::Workload { key, .. } => (0, &key.namespace, &key.name, &key.context),
            Row::Orphans { context, namespace } => (2, namespace, "", context),
            // Pods are not groups; they never reach here.
            Row::Pod(key) => (3, &key.namespace, &key.name, &key.context),
        }
    }
    b.cmp(&a).then_with(|| place(a_row).cmp(&place(b_row)))
}

/// A row's pods with their trouble, and the worst of them.
type Members<'a> = Vec<(Trouble, &'a ObjRef)>;
type Group<'a> = (Trouble, Members<'a>);

/// The screen's `/` filter: `service:x`, `ns:x`, `ctx:x` narrow the scope; other words must
/// appear in the pod's or its workload's name (case-insensitive).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub service: Option<String>,
    pub namespace: Option<String>,
    pub context: Option<String>,
    pub words: Vec<String>,
}

impl Filter {
    pub fn parse(text: &str) -> Filter {
        let mut f = Filter::default();
        for word in text.split_whitespace() {
            let lower = word.to_lowercase();
            if let Some(v) = lower.strip_prefix("service:") {
                f.service = Some(v.to_string());
            } else if let Some(v) = lower
                .strip_prefix("ns:")
                .or_else(|| lower.strip_prefix("namespace:"))
            {
                f.namespace = Some(v.to_string());
            } else if let Some(v) = lower
                .strip_prefix("ctx:")
                .or_else(|| lower.strip_prefix("context:"))
            {
                f.context = Some(v.to_string());
            } else {
                f.words.push(lower);
            }
        }
        f
    }

    /// A service matches by its catalog ref or its name (`payments-api`).
    pub fn scope<S: AsRef<str>>(&self, context: &str, namespace: &str, services: &[S]) -> bool {
        self.context
            .as_deref()
            .is_none_or(|c| context.eq_ignore_ascii_case(c))
            && self
                .namespace
                .as_deref()
                .is_none_or(|n| namespace.eq_ignore_ascii_case(n))
            && self.service.as_deref().is_none_or(|s| {
                services.iter().any(|r| {
                    let r = r.as_ref().to_lowercase();
                    r == s || r.rsplit('/').next() == Some(s)
                })
            })
    }

    pub(crate) fn text_matches(&self, name: &str) -> bool {
        if self.words.is_empty() {
            return true;
        }
        let name = name.to_lowercase();
        self.words.iter().all(|w| name.contains(w.as_str()))
    }
}

/// The short form of a service ref: `component:default/payments-api` → `payments-api`.
pub fn service_name(service_ref: &str) -> &str {
    service_ref.rsplit('/').next().unwrap_or(service_ref)
}

/// A pod's name without its workload's prefix, for merged log lines: `7f9c-abcde`.
pub(crate) fn pod_prefix(pod: &str, workload: Option<&str>) -> String {
    match workload
        .and_then(|w| pod.strip_prefix(w))
        .map(|s| s.trim_start_matches('-'))
    {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => pod.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(namespace: &str, name: &str) -> Pod {
        Pod {
            namespace: namespace.into(),
            name: name.into(),
            services: ["component:default/payments-api".into()].into(),
            phase: Phase::Running,
            ready: 1,
            containers: ["api".into()].into(),
            restarts: 0,
            created: None,
            node: Some("node-1".into()),
            owner: Some(Owner {
                kind: "ReplicaSet".into(),
                name: "payments-api-7f9c".into(),
            }),
            reason: None,
            last_restart: None,
            tag: Some("v1".into()),
            ports: [8080].into(),
        }
    }

    /// A batch that only changes counters leaves the rows as a full rebuild would have them,
    /// without rebuilding them; a new pod, or one whose trouble changed, changes them.
    #[test]
    fn rows_are_rebuilt_only_when_a_row_may_move() {
        let t = DateTime::<Utc>::UNIX_EPOCH;
        let mut w = WorkloadsState::default();
        let pods = |restarts: u32| -> Vec<Change> {
            (0..5)
                .map(|i| {
                    let mut p = pod("payments", &format!("payments-api-7f9c-{i}"));
                    p.restarts = restarts;
                    Change::Pod(p)
                })
                .collect()
        };
        w.apply("prod", pods(0));
        assert!(w.rebuild_after_batch("", t), "new pods add rows");
        w.apply("prod", pods(1));
        assert!(
            !w.rebuild_after_batch("", t),
            "restarts counted move no row"
        );
        let kept = w.rows.clone();
        w.rebuild("", t);
        assert_eq!(kept, w.rows, "the rows kept are those a full rebuild makes");

        let mut crashing = pod("payments", "payments-api-7f9c-3");
        crashing.reason = Some(Box::new(PodReason::CrashLoopBackOff {
            container: "api".into(),
            last: None,
        }));
        w.apply("prod", vec![Change::Pod(crashing)]);
        assert!(w.rebuild_after_batch("", t), "a pod in trouble sorts first");
        assert_eq!(
            w.rows.get(1),
            Some(&Row::Pod(ObjRef::new(
                "prod",
                "payments",
                "payments-api-7f9c-3"
            ))),
            "moved to the top of its group"
        );
        w.apply(
            "prod",
            vec![Change::Deleted {
                kind: Kind::Pod,
                namespace: "payments".into(),
                name: "payments-api-7f9c-0".into(),
            }],
        );
        assert!(w.rebuild_after_batch("", t), "a deleted pod's row goes");
        assert_eq!(w.pods.len(), 4);
    }

    /// Pods whose trouble alone changed move where a full rebuild puts them, whatever the
    /// filter and grouping: within their group, and their group among the others when its worst
    /// trouble changed (a workload's own trouble counted only where the filter shows it).
    #[test]
    fn moved_rows_land_where_a_full_rebuild_puts_them() {
        let t = DateTime::<Utc>::UNIX_EPOCH;
        let services = ["checkout", "ledger", "payments"];
        let mut setup = Vec::new();
        for (n, name) in services.iter().enumerate() {
            setup.push(Change::Workload(Workload {
                kind: Kind::Deployment,
                namespace: format!("ns-{}", n % 2),
                name: format!("{name}-api"),
                services: vec![format!("component:default/{name}-api")],
                desired: 4,
                updated: 4,
                ready: 4,
                available: 4,
                revision: Some(1),
                tag: None,
                // One workload in trouble of its own, so its group is never quiet.
                rollout: if n == 1 {
                    RolloutState::Stalled
                } else {
                    RolloutState::Complete
                },
                message: None,
                created: None,
            }));
            setup.push(Change::ReplicaSet(ReplicaSet {
                namespace: format!("ns-{}", n % 2),
                name: format!("{name}-api-5d8f"),
                deployment: Some(format!("{name}-api")),
                revision: Some(1),
                tag: None,
                image: None,
                change_cause: None,
                created: None,
            }));
        }
        let pod_at = |i: usize, crash: bool| {
            let n = i % services.len();
            let mut p = pod(
                &format!("ns-{}", n % 2),
                &format!("{}-api-5d8f-{i:02}", services[n]),
            );
            p.services = [format!("component:default/{}-api", services[n]).into()].into();
            // Every fifth pod has no watched owner: the namespace's orphans.
            p.owner = (!i.is_multiple_of(5)).then(|| Owner {
                kind: "ReplicaSet".into(),
                name: format!("{}-api-5d8f", services[n]).into(),
            });
            p.reason = crash.then(|| {
                Box::new(PodReason::CrashLoopBackOff {
                    container: "api".into(),
                    last: None,
                })
            });
            p
        };
        setup.extend((0..30).map(|i| Change::Pod(pod_at(i, i == 7))));
        let mut crashing = [false; 30];
        crashing[7] = true;
        let mut seed = 0x2545_f491_u64;
        for filter in ["", "api-5d8f-1", "service:ledger-api", "checkout"] {
            for collapsed in [false, true] {
                let mut w = WorkloadsState {
                    collapsed,
                    ..WorkloadsState::default()
                };
                w.apply("prod", setup.clone());
                w.rebuild(filter, t);
                for round in 0..40 {
                    // A few pods flip in or out of a crash loop: trouble changes, nothing else.
                    let mut batch = Vec::new();
                    for _ in 0..3 {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        let i = (seed % 30) as usize;
                        crashing[i] = !crashing[i];
                        batch.push(Change::Pod(pod_at(i, crashing[i])));
                    }
                    w.apply("prod", batch);
                    w.rebuild_after_batch(filter, t);
                    let mut full = w.clone();
                    full.rebuild(filter, t);
                    let at = format!("filter {filter:?}, collapsed {collapsed}, round {round}");
                    assert_eq!(w.rows, full.rows, "{at}");
                    assert_eq!(w.members, full.members, "{at}");
                    assert_eq!(w.children, full.children, "{at}");
                }
            }
        }
    }

    #[test]
    fn pods_share_their_repeated_names_and_rows_share_the_keys() {
        let mut state = WorkloadsState::default();
        let changes = (0..3)
            .map(|i| Change::Pod(pod("shop", &format!("payments-api-7f9c-{i}"))))
            .collect();
        state.apply("prod", changes);
        state.rebuild("", DateTime::<Utc>::UNIX_EPOCH);
        let pods: Vec<(&ObjRef, &Pod)> = state.pods.iter().collect();
        let (k0, p0) = pods[0];
        for (k, p) in &pods[1..] {
            assert!(Arc::ptr_eq(&k.context, &k0.context));
            assert!(Arc::ptr_eq(&k.namespace, &k0.namespace));
            assert!(Arc::ptr_eq(&p.services, &p0.services));
            assert!(Arc::ptr_eq(&p.containers, &p0.containers));
            let (node, node0) = (p.node.as_ref(), p0.node.as_ref());
            assert!(Arc::ptr_eq(node.expect("a node"), node0.expect("a node")));
            assert!(
                Arc::ptr_eq(&k.name, &p.name),
                "the key shares the pod's name"
            );
        }
        let row_key = state
            .rows
            .iter()
            .find_map(|r| match r {
                Row::Pod(k) => Some(k),
                _ => None,
            })
            .expect("a pod row");
        let (key, _) = state.pods.get_key_value(row_key).expect("the row's pod");
        assert!(Arc::ptr_eq(&row_key.name, &key.name), "rows copy no text");
    }

    #[test]
    fn names_nothing_holds_are_let_go() {
        let mut state = WorkloadsState::default();
        // Pods come and go in namespaces of their own, as a cluster churns for days.
        for round in 0..20 {
            let changes = (0..200)
                .map(|i| Change::Pod(pod(&format!("ns-{round}-{i}"), &format!("p-{i}"))))
                .collect();
            state.apply("prod", changes);
            let deleted = (0..200)
                .map(|i| Change::Deleted {
                    kind: Kind::Pod,
                    namespace: format!("ns-{round}-{i}"),
                    name: format!("p-{i}"),
                })
                .collect();
            state.apply("prod", deleted);
        }
        assert!(state.pods.is_empty());
        assert!(
            state.shared_names() < 2 * 1024 + 200,
            "{} shared names kept for 4,000 namespaces seen",
            state.shared_names()
        );
    }

    #[test]
    fn a_relist_forgets_what_vanished_by_fingerprint_in_its_context_only() {
        let mut state = WorkloadsState::default();
        for context in ["prod", "staging"] {
            let changes = (0..3)
                .map(|i| Change::Pod(pod("shop", &format!("p-{i}"))))
                .collect();
            state.apply(context, changes);
        }
        let gone = [fingerprint("shop", "p-0"), fingerprint("shop", "p-2")];
        state.apply(
            "prod",
            vec![Change::Vanished {
                kind: Kind::Pod,
                fingerprints: gone.into_iter().collect(),
            }],
        );
        let mut left: Vec<String> = state
            .pods
            .keys()
            .map(|k| format!("{}/{}", k.context, k.name))
            .collect();
        left.sort();
        assert_eq!(
            left,
            ["prod/p-1", "staging/p-0", "staging/p-1", "staging/p-2"]
        );
        assert_ne!(fingerprint("shop", "p-0"), fingerprint("shopp", "-0"));
    }
}
