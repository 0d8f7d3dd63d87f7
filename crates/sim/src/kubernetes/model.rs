//! The cluster as the world makes it at one sim instant: which Deployments, ReplicaSets, Pods
//! and Events exist and what state they are in. Objects are kept compact (no JSON) and built
//! per workload, each group knowing when it will next change, so 10,000 pods cost little
//! between changes.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::world::{self, Service, Trouble, World, hash, hash_str};

pub type Time = DateTime<Utc>;

/// Kubelet's crash-loop back-off: 10 s doubling to a 5 minute cap.
const BACKOFF_START_SECS: i64 = 10;
const BACKOFF_CAP_SECS: i64 = 300;
/// How long a broken container runs before it exits.
pub const CRASH_RUN: Duration = Duration::seconds(5);
/// From creation to a started container, and from start to ready.
const CREATE_TO_START: Duration = Duration::seconds(2);
const START_TO_READY: Duration = Duration::seconds(5);
/// How long a deleted pod shows as Terminating.
pub const GRACE: Duration = Duration::seconds(5);
/// The OOM-prone pod is killed this often.
const OOM_FIRST: Duration = Duration::minutes(4);
const OOM_EVERY: Duration = Duration::minutes(11);
/// A rollout deadline (`progressDeadlineSeconds`, the API server's default).
const PROGRESS_DEADLINE: Duration = Duration::seconds(600);
/// Events older than this are gone, as with the API server's default event TTL.
pub const EVENT_TTL: Duration = Duration::hours(1);
/// How long a stuck rollout waits after its healthy predecessor before it starts.
const STUCK_AFTER: Duration = Duration::seconds(90);
/// World deploys kept as ReplicaSets, so a Deployment has revisions to roll back to (the API
/// server keeps ten; five are enough to choose from and keep the object count small).
const DEPLOYS_KEPT: usize = 5;
/// Old ReplicaSets (scaled to zero) kept besides the current and the previous one.
const OLD_KEPT: usize = 4;
/// The annotation `kubectl rollout history` shows as CHANGE-CAUSE.
pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";

/// The resources the sim serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Namespace,
    Deployment,
    ReplicaSet,
    Pod,
    Event,
    StatefulSet,
    DaemonSet,
}

pub const KINDS: usize = 7;

impl Kind {
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn from_plural(s: &str) -> Option<Self> {
        Some(match s {
            "namespaces" => Self::Namespace,
            "deployments" => Self::Deployment,
            "replicasets" => Self::ReplicaSet,
            "pods" => Self::Pod,
            "events" => Self::Event,
            "statefulsets" => Self::StatefulSet,
            "daemonsets" => Self::DaemonSet,
            _ => return None,
        })
    }

    pub fn plural(self) -> &'static str {
        match self {
            Self::Namespace => "namespaces",
            Self::Deployment => "deployments",
            Self::ReplicaSet => "replicasets",
            Self::Pod => "pods",
            Self::Event => "events",
            Self::StatefulSet => "statefulsets",
            Self::DaemonSet => "daemonsets",
        }
    }

    pub fn singular(self) -> &'static str {
        match self {
            Self::Namespace => "namespace",
            Self::Deployment => "deployment",
            Self::ReplicaSet => "replicaset",
            Self::Pod => "pod",
            Self::Event => "event",
            Self::StatefulSet => "statefulset",
            Self::DaemonSet => "daemonset",
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Self::Namespace => "Namespace",
            Self::Deployment => "Deployment",
            Self::ReplicaSet => "ReplicaSet",
            Self::Pod => "Pod",
            Self::Event => "Event",
            Self::StatefulSet => "StatefulSet",
            Self::DaemonSet => "DaemonSet",
        }
    }

    pub fn api_version(self) -> &'static str {
        match self {
            Self::Namespace | Self::Pod | Self::Event => "v1",
            _ => "apps/v1",
        }
    }

    pub fn namespaced(self) -> bool {
        self != Self::Namespace
    }
}

/// Labels shared by every object of a workload, plus the one a ReplicaSet or Pod adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    pub base: Arc<Vec<(String, String)>>,
    pub template_hash: Option<String>,
}

impl Labels {
    pub fn get(&self, key: &str) -> Option<&str> {
        if key == "pod-template-hash" {
            return self.template_hash.as_deref();
        }
        self.base
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.base
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(
                self.template_hash
                    .as_deref()
                    .map(|h| ("pod-template-hash", h)),
            )
    }
}

/// What a workload's container is and where it comes from; shared by its objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    pub name: String,
    pub namespace: String,
    pub system: String,
    pub language: String,
    pub image_repo: String,
    pub port: u16,
    pub labels: Arc<Vec<(String, String)>>,
    /// The selector's labels (a subset of `labels`).
    pub selector: Arc<Vec<(String, String)>>,
    pub trouble: Trouble,
    pub incident: bool,
    pub replicas: usize,
    pub created: Time,
    /// Whether this is one of the world's services (its versions follow deploys).
    pub from_world: bool,
    /// For infrastructure workloads, the one version they run.
    pub fixed_tag: Option<String>,
}

impl Workload {
    pub fn from_service(svc: &Service) -> Self {
        let labels = vec![
            ("app.kubernetes.io/name".to_string(), svc.name.clone()),
            ("app.kubernetes.io/part-of".to_string(), svc.system.clone()),
            ("backstage.io/kubernetes-id".to_string(), svc.name.clone()),
        ];
        let selector = vec![
            ("app.kubernetes.io/name".to_string(), svc.name.clone()),
            ("backstage.io/kubernetes-id".to_string(), svc.name.clone()),
        ];
        Self {
            name: svc.name.clone(),
            namespace: svc.namespace.clone(),
            system: svc.system.clone(),
            language: svc.language.clone(),
            image_repo: format!("ghcr.io/acme/{}", svc.name),
            port: svc.container_port,
            labels: Arc::new(labels),
            selector: Arc::new(selector),
            trouble: svc.trouble,
            incident: svc.incident,
            replicas: svc.replicas,
            created: world::epoch() - Duration::days(90)
                + Duration::hours((hash_str(&svc.name) % 48) as i64),
            from_world: true,
            fixed_tag: None,
        }
    }

    /// A service launched from a template: created when its production deploy lands, running
    /// the pushed commit, labelled as its manifest labels it.
    pub fn launched(l: &crate::scaffold::Launch) -> Self {
        let svc = l.service;
        Self {
            name: svc.name.clone(),
            namespace: svc.namespace.clone(),
            system: svc.system.clone(),
            language: svc.language.clone(),
            image_repo: format!("ghcr.io/{}", svc.repo.to_lowercase()),
            port: svc.container_port,
            labels: Arc::new(l.labels.clone()),
            selector: Arc::new(l.selector.clone()),
            trouble: Trouble::None,
            incident: false,
            replicas: l.replicas,
            created: l.live_at(),
            from_world: false,
            fixed_tag: Some(l.commit.sha.chars().take(7).collect()),
        }
    }

    /// The cluster's own workloads, which no team owns and the world's story does not touch.
    pub fn infrastructure() -> Vec<Self> {
        let infra = [
            (
                "prometheus",
                "monitoring",
                "quay.io/prometheus/prometheus",
                "v3.2.1",
                9090u16,
                1usize,
            ),
            (
                "alertmanager",
                "monitoring",
                "quay.io/prometheus/alertmanager",
                "v0.28.1",
                9093,
                1,
            ),
            (
                "grafana",
                "monitoring",
                "docker.io/grafana/grafana",
                "11.5.2",
                3000,
                1,
            ),
            (
                "coredns",
                "kube-system",
                "registry.k8s.io/coredns/coredns",
                "v1.11.3",
                53,
                2,
            ),
        ];
        infra
            .into_iter()
            .map(|(name, ns, repo, tag, port, replicas)| {
                let labels = vec![
                    ("app.kubernetes.io/name".to_string(), name.to_string()),
                    ("app.kubernetes.io/part-of".to_string(), ns.to_string()),
                ];
                let selector = vec![("app.kubernetes.io/name".to_string(), name.to_string())];
                Self {
                    name: name.into(),
                    namespace: ns.into(),
                    system: ns.into(),
                    language: "go".into(),
                    image_repo: repo.into(),
                    port,
                    labels: Arc::new(labels),
                    selector: Arc::new(selector),
                    trouble: Trouble::None,
                    incident: false,
                    replicas,
                    created: world::epoch() - Duration::days(120),
                    from_world: false,
                    fixed_tag: Some(tag.into()),
                }
            })
            .collect()
    }
}

/// One version of a Deployment's pod template (one ReplicaSet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub tag: String,
    pub annotations: Vec<(String, String)>,
    /// Why this template exists, as `kubernetes.io/change-cause` says it.
    pub change_cause: String,
    /// When its rollout began.
    pub start: Time,
    pub revision: u64,
    /// The image is broken: its containers crash.
    pub crashing: bool,
    /// The image does not exist: its pods cannot pull it.
    pub missing_image: bool,
}

impl Version {
    /// `pod-template-hash`: ten characters from the alphabet the controller uses.
    pub fn template_hash(&self, workload: &str) -> String {
        let mut h = hash_str(workload) ^ hash_str(&self.tag).rotate_left(17);
        for (k, v) in &self.annotations {
            h = world::mix(h ^ hash_str(k) ^ hash_str(v).rotate_left(7));
        }
        safe_chars(world::mix(h), 10)
    }
}

/// The alphabet of generated Kubernetes names: no vowels, no look-alike digits.
pub fn safe_chars(mut h: u64, n: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut out = String::with_capacity(n);
    for _ in 0..n {
        out.push(ALPHABET[(h % ALPHABET.len() as u64) as usize] as char);
        h = world::mix(h);
    }
    out
}

/// A stable UID for an object, from what names it.
pub fn uid(kind: Kind, namespace: &str, name: &str) -> String {
    let a = hash(0x5eed, &[kind as u64, hash_str(namespace), hash_str(name)]);
    let b = world::mix(a);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (a >> 32) as u32,
        (a >> 16) as u16,
        a & 0xfff,
        (b >> 48) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceObj {
    pub name: String,
    pub created: Time,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub kind: &'static str,
    pub status: bool,
    pub reason: &'static str,
    pub message: String,
    pub last_update: Time,
    pub last_transition: Time,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentObj {
    pub workload: Arc<Workload>,
    pub spec_replicas: usize,
    pub generation: u64,
    pub revision: u64,
    pub image: String,
    pub template_annotations: Vec<(String, String)>,
    pub change_cause: String,
    pub replicas: usize,
    pub updated: usize,
    pub ready: usize,
    pub available: usize,
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaSetObj {
    pub workload: Arc<Workload>,
    pub name: String,
    pub labels: Labels,
    pub created: Time,
    pub revision: u64,
    pub image: String,
    pub template_annotations: Vec<(String, String)>,
    pub change_cause: String,
    pub desired: usize,
    pub replicas: usize,
    pub ready: usize,
}

/// Why a container instance ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The application exited with an error (crash loop).
    Error,
    OomKilled,
}

/// One run of a container, from start to (maybe) end; logs are generated per instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instance {
    pub start: Time,
    pub end: Option<(Time, Ending)>,
    /// Counts restarts: 0 is the first run.
    pub attempt: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    ContainerCreating,
    CrashLoopBackOff { backoff_secs: i64 },
    ErrImagePull,
    ImagePullBackOff,
}

impl Waiting {
    pub fn reason(self) -> &'static str {
        match self {
            Self::ContainerCreating => "ContainerCreating",
            Self::CrashLoopBackOff { .. } => "CrashLoopBackOff",
            Self::ErrImagePull => "ErrImagePull",
            Self::ImagePullBackOff => "ImagePullBackOff",
        }
    }
}

/// A pod's container over time, as kubelet reports it at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeline {
    /// The latest instance (running, or ended and waiting to restart); none before the first
    /// start.
    pub current: Option<Instance>,
    pub previous: Option<Instance>,
    pub waiting: Option<Waiting>,
    pub ready: bool,
    pub restarts: u32,
    /// Image pull attempts so far (for pods that cannot pull).
    pub pull_attempts: u32,
    /// When the first back-off began, for the BackOff event's first timestamp.
    pub first_backoff: Option<Time>,
    /// When the latest back-off began.
    pub last_backoff: Option<Time>,
}

/// How a pod behaves over its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Healthy,
    CrashLoop,
    OomKills,
    ImagePull,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodObj {
    pub workload: Arc<Workload>,
    pub name: String,
    /// Which replica of its ReplicaSet this is; a deleted pod's replacement takes its slot.
    pub slot: usize,
    pub rs_name: String,
    pub labels: Labels,
    pub template_annotations: Vec<(String, String)>,
    pub image: String,
    pub node: Arc<str>,
    pub node_ip: Arc<str>,
    pub ip: String,
    pub created: Time,
    pub deleting: Option<Time>,
    pub behaviour: Behaviour,
    pub timeline: Timeline,
}

impl PodObj {
    pub fn phase(&self) -> &'static str {
        if self.timeline.current.is_none() {
            "Pending"
        } else {
            "Running"
        }
    }
}

/// What an Event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Scheduled,
    Pulling,
    Pulled,
    Created,
    Started,
    BackOffRestart,
    OomKilling,
    FailedPull,
    ErrImagePull,
    BackOffPull,
    ImagePullBackOff,
    Killing,
    ScalingUp { from: usize, to: usize },
    ScalingDown { from: usize, to: usize },
}

impl Reason {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Scheduled => "Scheduled",
            Self::Pulling => "Pulling",
            Self::Pulled => "Pulled",
            Self::Created => "Created",
            Self::Started => "Started",
            Self::BackOffRestart | Self::BackOffPull => "BackOff",
            Self::OomKilling => "OOMKilling",
            Self::FailedPull | Self::ErrImagePull | Self::ImagePullBackOff => "Failed",
            Self::Killing => "Killing",
            Self::ScalingUp { .. } | Self::ScalingDown { .. } => "ScalingReplicaSet",
        }
    }

    pub fn warning(&self) -> bool {
        matches!(
            self,
            Self::BackOffRestart
                | Self::OomKilling
                | Self::FailedPull
                | Self::ErrImagePull
                | Self::ImagePullBackOff
        )
    }

    /// Distinguishes events of one object that share a reason name.
    fn key(&self) -> u64 {
        match self {
            Self::Scheduled => 1,
            Self::Pulling => 2,
            Self::Pulled => 3,
            Self::Created => 4,
            Self::Started => 5,
            Self::BackOffRestart => 6,
            Self::OomKilling => 7,
            Self::FailedPull => 8,
            Self::ErrImagePull => 9,
            Self::BackOffPull => 10,
            Self::ImagePullBackOff => 11,
            Self::Killing => 12,
            Self::ScalingUp { from, to } => 13 ^ ((*from as u64) << 8) ^ ((*to as u64) << 24),
            Self::ScalingDown { from, to } => 14 ^ ((*from as u64) << 8) ^ ((*to as u64) << 24),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventObj {
    pub name: String,
    pub workload: Arc<Workload>,
    pub involved_kind: Kind,
    pub involved_name: String,
    pub reason: Reason,
    /// The image, container or ReplicaSet the message names.
    pub subject: String,
    /// The node that reported it (kubelet events).
    pub host: Option<Arc<str>>,
    pub count: u32,
    pub first: Time,
    pub last: Time,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Obj {
    Namespace(NamespaceObj),
    Deployment(DeploymentObj),
    ReplicaSet(ReplicaSetObj),
    Pod(PodObj),
    Event(EventObj),
}

impl Obj {
    pub fn kind(&self) -> Kind {
        match self {
            Self::Namespace(_) => Kind::Namespace,
            Self::Deployment(_) => Kind::Deployment,
            Self::ReplicaSet(_) => Kind::ReplicaSet,
            Self::Pod(_) => Kind::Pod,
            Self::Event(_) => Kind::Event,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::Namespace(n) => &n.name,
            Self::Deployment(d) => &d.workload.name,
            Self::ReplicaSet(r) => &r.name,
            Self::Pod(p) => &p.name,
            Self::Event(e) => &e.name,
        }
    }

    pub fn namespace(&self) -> &str {
        match self {
            Self::Namespace(_) => "",
            Self::Deployment(d) => &d.workload.namespace,
            Self::ReplicaSet(r) => &r.workload.namespace,
            Self::Pod(p) => &p.workload.namespace,
            Self::Event(e) => &e.workload.namespace,
        }
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        fn find<'a>(v: &'a [(String, String)], key: &str) -> Option<&'a str> {
            v.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
        }
        match self {
            Self::Namespace(n) => (key == "kubernetes.io/metadata.name").then_some(n.name.as_str()),
            Self::Deployment(d) => find(&d.workload.labels, key),
            Self::ReplicaSet(r) => r.labels.get(key),
            Self::Pod(p) => p.labels.get(key),
            Self::Event(_) => None,
        }
    }

    /// The fields `fieldSelector` may name for this kind.
    pub fn supported_fields(kind: Kind) -> &'static [&'static str] {
        match kind {
            Kind::Pod => &[
                "metadata.name",
                "metadata.namespace",
                "status.phase",
                "spec.nodeName",
                "spec.restartPolicy",
                "status.podIP",
            ],
            Kind::Event => &[
                "metadata.name",
                "metadata.namespace",
                "involvedObject.name",
                "involvedObject.namespace",
                "involvedObject.kind",
                "involvedObject.uid",
                "involvedObject.apiVersion",
                "involvedObject.resourceVersion",
                "involvedObject.fieldPath",
                "reason",
                "reportingComponent",
                "source",
                "type",
            ],
            Kind::Namespace => &["metadata.name", "status.phase"],
            _ => &["metadata.name", "metadata.namespace"],
        }
    }

    pub fn field(&self, field: &str) -> Option<String> {
        match field {
            "metadata.name" => return Some(self.name().to_string()),
            "metadata.namespace" => return Some(self.namespace().to_string()),
            _ => {}
        }
        match self {
            Self::Namespace(_) => (field == "status.phase").then(|| "Active".to_string()),
            Self::Pod(p) => match field {
                "status.phase" => Some(p.phase().to_string()),
                "spec.nodeName" => Some(p.node.to_string()),
                "spec.restartPolicy" => Some("Always".to_string()),
                "status.podIP" => p.timeline.current.map(|_| p.ip.clone()),
                _ => None,
            },
            Self::Event(e) => match field {
                "involvedObject.name" => Some(e.involved_name.clone()),
                "involvedObject.namespace" => Some(e.workload.namespace.clone()),
                "involvedObject.kind" => Some(e.involved_kind.kind().to_string()),
                "involvedObject.uid" => Some(uid(
                    e.involved_kind,
                    &e.workload.namespace,
                    &e.involved_name,
                )),
                "involvedObject.apiVersion" => Some(e.involved_kind.api_version().to_string()),
                "involvedObject.fieldPath" => (e.involved_kind == Kind::Pod
                    && e.reason != Reason::Scheduled)
                    .then(|| format!("spec.containers{{{}}}", e.workload.name)),
                "reason" => Some(e.reason.name().to_string()),
                "type" => Some(
                    if e.reason.warning() {
                        "Warning"
                    } else {
                        "Normal"
                    }
                    .to_string(),
                ),
                "source" | "reportingComponent" => Some(event_source(&e.reason).to_string()),
                _ => None,
            },
            _ => None,
        }
    }
}

pub fn event_source(reason: &Reason) -> &'static str {
    match reason {
        Reason::Scheduled => "default-scheduler",
        Reason::ScalingUp { .. } | Reason::ScalingDown { .. } => "deployment-controller",
        Reason::OomKilling => "kernel-monitor",
        _ => "kubelet",
    }
}

/// What users changed through the API, on top of the world.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkloadOverlay {
    pub replicas: Option<usize>,
    /// The latest scale: when, and from how many.
    pub scaled: Option<(Time, usize)>,
    /// Template changes through the API (`kubectl rollout restart`, `set image`, `rollout
    /// undo`), oldest first.
    pub templates: Vec<(Time, TemplateChange)>,
    /// Deleted pods: (template hash, slot) → (generation, when).
    pub deleted: Vec<((String, usize), (u32, Time))>,
    /// Spec changes, for `metadata.generation`.
    pub spec_changes: u64,
}

/// A pod template a user set: its annotations, and the image tag and change-cause when they
/// changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateChange {
    pub tag: Option<String>,
    pub annotations: Vec<(String, String)>,
    pub change_cause: Option<String>,
}

impl WorkloadOverlay {
    fn deletion(&self, hash: &str, slot: usize) -> Option<(u32, Time)> {
        self.deleted
            .iter()
            .find(|((h, s), _)| h == hash && *s == slot)
            .map(|(_, d)| *d)
    }

    pub fn record_deletion(&mut self, hash: &str, slot: usize, at: Time) {
        match self
            .deleted
            .iter_mut()
            .find(|((h, s), _)| h == hash && *s == slot)
        {
            Some((_, d)) => *d = (d.0 + 1, at),
            None => self.deleted.push(((hash.to_string(), slot), (1, at))),
        }
    }
}

/// The versions a world service ran, from its deploys; cached until the next deploy lands.
#[derive(Debug, Clone)]
pub struct DeployHistory {
    /// (landed, tag, crashing, commit title), at most the latest `DEPLOYS_KEPT`.
    pub landed: Vec<(Time, String, bool, String)>,
    pub count: u64,
    pub valid_until: Time,
}

/// Reads the world's deploys of `name` that landed by `now`, and when that next changes.
pub fn deploy_history(world: &World, name: &str, now: Time) -> DeployHistory {
    let lookahead = now + Duration::minutes(10);
    let runs = world.deploy_runs(name, lookahead);
    let mut landed: Vec<(Time, String, bool, String)> = Vec::new();
    let mut count = 0;
    let mut valid_until = lookahead;
    let incident = world.service(name).is_some_and(|s| s.incident);
    for r in runs
        .iter()
        .filter(|r| r.outcome == world::RunOutcome::Success)
    {
        if r.finished <= now {
            count += 1;
            let into = (r.finished - world::epoch())
                .num_seconds()
                .rem_euclid(world::CYCLE.num_seconds());
            let crashing = incident
                && (world::BAD_DEPLOY_LANDS.num_seconds()..world::FIX_DEPLOY_LANDS.num_seconds())
                    .contains(&into);
            let title = r.commit.message.lines().next().unwrap_or("").to_string();
            landed.push((r.finished, r.commit.sha[..7].to_string(), crashing, title));
        } else {
            valid_until = valid_until.min(r.finished);
        }
    }
    landed.sort_by_key(|l| l.0);
    let keep = landed.len().saturating_sub(DEPLOYS_KEPT);
    landed.drain(..keep);
    DeployHistory {
        landed,
        count,
        valid_until,
    }
}

/// Tracks the earliest future instant at which anything built so far changes.
pub struct Next {
    now: Time,
    pub at: Time,
}

impl Next {
    pub fn new(now: Time, horizon: Time) -> Self {
        Self { now, at: horizon }
    }

    /// Whether `t` has been reached; if not, it is a future change point.
    pub fn reached(&mut self, t: Time) -> bool {
        if t <= self.now {
            true
        } else {
            self.at = self.at.min(t);
            false
        }
    }
}

fn backoff(k: u32) -> Duration {
    Duration::seconds((BACKOFF_START_SECS << k.min(8)).min(BACKOFF_CAP_SECS))
}

/// The container's state over time for a pod created at `created`.
pub fn timeline(behaviour: Behaviour, created: Time, now: Time, next: &mut Next) -> Timeline {
    let mut t = Timeline {
        current: None,
        previous: None,
        waiting: None,
        ready: false,
        restarts: 0,
        pull_attempts: 0,
        first_backoff: None,
        last_backoff: None,
    };
    let first_start = created + CREATE_TO_START;
    match behaviour {
        Behaviour::ImagePull => {
            // Pull attempts back off like restarts; each failure shows ErrImagePull briefly.
            let mut attempt_at = created + Duration::seconds(1);
            let mut k = 0;
            loop {
                if !next.reached(attempt_at) {
                    break;
                }
                t.pull_attempts = k + 1;
                let failed_until = attempt_at + Duration::seconds(2);
                if !next.reached(failed_until) {
                    t.waiting = Some(Waiting::ErrImagePull);
                    break;
                }
                t.waiting = Some(Waiting::ImagePullBackOff);
                t.first_backoff.get_or_insert(failed_until);
                t.last_backoff = Some(failed_until);
                attempt_at = failed_until + backoff(k);
                k += 1;
            }
            if t.pull_attempts == 0 {
                t.waiting = Some(Waiting::ContainerCreating);
            }
        }
        _ if !next.reached(first_start) => t.waiting = Some(Waiting::ContainerCreating),
        Behaviour::Healthy => {
            t.current = Some(Instance {
                start: first_start,
                end: None,
                attempt: 0,
            });
            t.ready = next.reached(first_start + START_TO_READY);
        }
        Behaviour::OomKills => {
            // The first kill comes a few minutes in, then one every OOM_EVERY.
            let into = (now - first_start - OOM_FIRST).num_seconds();
            let kills = if into < 0 {
                0
            } else {
                (into / OOM_EVERY.num_seconds()) as u32 + 1
            };
            let kill_at = |k: u32| first_start + OOM_FIRST + OOM_EVERY * k as i32;
            let start_of = |k: u32| {
                if k == 0 {
                    first_start
                } else {
                    kill_at(k - 1) + Duration::seconds(1)
                }
            };
            next.reached(kill_at(kills));
            if kills > 0 {
                // The container restarts a second after the kill.
                if !next.reached(start_of(kills)) {
                    t.current = Some(Instance {
                        start: start_of(kills - 1),
                        end: Some((kill_at(kills - 1), Ending::OomKilled)),
                        attempt: kills - 1,
                    });
                    t.restarts = kills - 1;
                    t.waiting = Some(Waiting::ContainerCreating);
                    if kills > 1 {
                        t.previous = Some(Instance {
                            start: start_of(kills - 2),
                            end: Some((kill_at(kills - 2), Ending::OomKilled)),
                            attempt: kills - 2,
                        });
                    }
                    return t;
                }
                t.previous = Some(Instance {
                    start: start_of(kills - 1),
                    end: Some((kill_at(kills - 1), Ending::OomKilled)),
                    attempt: kills - 1,
                });
            }
            t.current = Some(Instance {
                start: start_of(kills),
                end: None,
                attempt: kills,
            });
            t.restarts = kills;
            t.ready = next.reached(start_of(kills) + START_TO_READY);
        }
        Behaviour::CrashLoop => {
            let mut start = first_start;
            let mut k = 0u32;
            let mut previous = None;
            loop {
                let end = start + CRASH_RUN;
                if !next.reached(end) {
                    t.current = Some(Instance {
                        start,
                        end: None,
                        attempt: k,
                    });
                    t.previous = previous;
                    break;
                }
                let this = Instance {
                    start,
                    end: Some((end, Ending::Error)),
                    attempt: k,
                };
                // Kubelet restarts the first failure at once (the pod shows Error for a
                // moment); later ones wait out a growing back-off.
                let wait = match k {
                    0 => Duration::seconds(1),
                    _ => backoff(k - 1),
                };
                if k > 0 {
                    t.first_backoff.get_or_insert(end);
                    t.last_backoff = Some(end);
                }
                if !next.reached(end + wait) {
                    t.current = Some(this);
                    t.previous = previous;
                    t.waiting = (k > 0).then_some(Waiting::CrashLoopBackOff {
                        backoff_secs: wait.num_seconds(),
                    });
                    break;
                }
                previous = Some(this);
                start = end + wait;
                k += 1;
            }
            t.restarts = k;
        }
    }
    t
}

/// Every object of one workload at `now`, and when they next change.
#[derive(Debug, Default)]
pub struct Built {
    pub deployments: Vec<Obj>,
    pub replicasets: Vec<Obj>,
    pub pods: Vec<Obj>,
    pub events: Vec<Obj>,
}

/// Nodes the pods are spread over; enough that none holds more than about 110 pods.
pub struct Nodes {
    names: Vec<Arc<str>>,
    ips: Vec<Arc<str>>,
}

impl Nodes {
    pub fn new(total_pods: usize) -> Self {
        let n = (total_pods / 100 + 1).max(3);
        let names = (0..n)
            .map(|i| {
                Arc::from(format!(
                    "ip-10-0-{}-{}.eu-west-1.compute.internal",
                    i / 250,
                    10 + i % 240
                ))
            })
            .collect();
        let ips = (0..n)
            .map(|i| Arc::from(format!("10.0.{}.{}", i / 250, 10 + i % 240)))
            .collect();
        Self { names, ips }
    }

    fn pick(&self, pod: &str) -> (usize, Arc<str>, Arc<str>) {
        let i = (hash_str(pod) % self.names.len() as u64) as usize;
        (i, self.names[i].clone(), self.ips[i].clone())
    }
}

/// The versions a workload's Deployment shows now: the current template, the one before it,
/// older ones kept for rollbacks, and (for a workload whose rollout is stuck) the new one that
/// cannot start.
pub struct Versions {
    pub current: Version,
    pub previous: Option<Version>,
    /// Scaled to zero, newest first.
    pub older: Vec<Version>,
    pub stuck: Option<Version>,
}

pub fn versions(
    w: &Workload,
    history: Option<&DeployHistory>,
    overlay: &WorkloadOverlay,
    now: Time,
    next: &mut Next,
) -> Versions {
    // Template changes in time order: deploys of a new tag, and what users set through the API
    // (restart annotations, an image, a rollback to an old template).
    struct Step {
        at: Time,
        tag: Option<String>,
        annotations: Option<Vec<(String, String)>>,
        change_cause: Option<String>,
        crashing: Option<bool>,
    }
    let mut steps: Vec<Step> = Vec::new();
    let mut base_revision = 1u64;
    let initial_tag;
    match (history, &w.fixed_tag) {
        (_, Some(tag)) => initial_tag = tag.clone(),
        (Some(h), None) => {
            base_revision = (h.count + 1).saturating_sub(h.landed.len() as u64).max(1);
            initial_tag = format!("{:07x}", hash_str(&w.name) & 0xfff_ffff);
            for (at, tag, crashing, title) in &h.landed {
                steps.push(Step {
                    at: *at,
                    tag: Some(tag.clone()),
                    annotations: None,
                    change_cause: Some(format!("deploy {tag}: {title}")),
                    crashing: Some(*crashing),
                });
            }
        }
        (None, None) => initial_tag = format!("{:07x}", hash_str(&w.name) & 0xfff_ffff),
    }
    for (at, change) in &overlay.templates {
        if *at <= now {
            steps.push(Step {
                at: *at,
                tag: change.tag.clone(),
                annotations: Some(change.annotations.clone()),
                change_cause: change.change_cause.clone(),
                crashing: None,
            });
        }
    }
    steps.sort_by_key(|s| s.at);
    let mut current = Version {
        // The template before the deploys the sim keeps (or an infrastructure release).
        change_cause: format!("release {initial_tag}"),
        tag: initial_tag,
        annotations: Vec::new(),
        start: w.created,
        revision: base_revision,
        crashing: false,
        missing_image: false,
    };
    // Each step is a new template: one more revision. A template equal to an old one (a
    // rollback) reuses its ReplicaSet, which leaves the history and comes back as the newest,
    // as the deployment controller does.
    let mut history: Vec<Version> = Vec::new();
    for step in steps {
        let mut v = current.clone();
        if let Some(tag) = step.tag {
            // A tag set by hand crashes when the world's deploy of that tag did.
            v.crashing = step.crashing.unwrap_or_else(|| {
                std::iter::once(&current)
                    .chain(&history)
                    .find(|o| o.tag == tag)
                    .is_some_and(|o| o.crashing)
            });
            v.tag = tag;
        }
        if let Some(ann) = step.annotations {
            v.annotations = ann;
        }
        if let Some(cause) = step.change_cause {
            v.change_cause = cause;
        }
        v.start = step.at;
        v.revision = current.revision + 1;
        let hash = v.template_hash(&w.name);
        if current.template_hash(&w.name) == hash {
            // Nothing in the template changed: no new revision.
            current.change_cause = v.change_cause;
            continue;
        }
        history.retain(|o| o.template_hash(&w.name) != hash);
        history.push(std::mem::replace(&mut current, v));
    }
    history.reverse();
    history.truncate(OLD_KEPT + 1);
    let mut older = history.into_iter();
    let previous = older.next();
    let older: Vec<Version> = older.collect();
    let stuck = (w.trouble == Trouble::ImagePull).then(|| Version {
        tag: format!("{}-dirty", current.tag),
        annotations: current.annotations.clone(),
        change_cause: format!("deploy {}-dirty: a build from a dirty tree", current.tag),
        start: current.start + STUCK_AFTER,
        revision: current.revision + 1,
        crashing: false,
        missing_image: true,
    });
    let stuck = stuck.filter(|s| next.reached(s.start));
    Versions {
        current,
        previous,
        older,
        stuck,
    }
}

/// Builds a workload's Deployment, ReplicaSets, Pods and Events at `now`.
pub fn build_workload(
    w: &Arc<Workload>,
    vs: &Versions,
    overlay: &WorkloadOverlay,
    nodes: &Nodes,
    now: Time,
    next: &mut Next,
) -> Built {
    let mut out = Built::default();
    let replicas = overlay.replicas.unwrap_or(w.replicas);
    let step = step_for(replicas);
    let cur = &vs.current;
    let cur_hash = cur.template_hash(&w.name);
    let image_of = |v: &Version| format!("{}:{}", w.image_repo, v.tag);

    let behaviour_of = |v: &Version, slot: usize| {
        if v.missing_image {
            Behaviour::ImagePull
        } else if v.crashing {
            Behaviour::CrashLoop
        } else if w.trouble == Trouble::OomKills && slot == 0 {
            Behaviour::OomKills
        } else {
            Behaviour::Healthy
        }
    };

    let pods_of_rs = |v: &Version,
                      hash: &str,
                      slots: &mut dyn Iterator<Item = (usize, Time, Option<Time>)>,
                      out: &mut Built,
                      next: &mut Next| {
        let rs_name = format!("{}-{hash}", w.name);
        let labels = Labels {
            base: w.labels.clone(),
            template_hash: Some(hash.to_string()),
        };
        let mut count = (0usize, 0usize);
        for (slot, created, deleting) in slots {
            let deletion = overlay.deletion(hash, slot);
            let generation = deletion.map_or(0, |d| d.0);
            let mut emit = |generation: u32,
                            created: Time,
                            deleting: Option<Time>,
                            out: &mut Built,
                            next: &mut Next| {
                let name = format!(
                    "{rs_name}-{}",
                    safe_chars(
                        hash_str(&rs_name)
                            ^ world::mix(slot as u64 ^ (u64::from(generation) << 32)),
                        5
                    )
                );
                let (ni, node, node_ip) = nodes.pick(&name);
                let ip = format!("10.244.{}.{}", ni % 256, 2 + hash_str(&name) % 250);
                let behaviour = behaviour_of(v, slot);
                let timeline = timeline(behaviour, created, now, next);
                if deleting.is_none() {
                    count.0 += 1;
                    count.1 += usize::from(timeline.ready);
                }
                let pod = PodObj {
                    workload: w.clone(),
                    name,
                    slot,
                    rs_name: rs_name.clone(),
                    labels: labels.clone(),
                    template_annotations: v.annotations.clone(),
                    image: image_of(v),
                    node,
                    node_ip,
                    ip,
                    created,
                    deleting,
                    behaviour,
                    timeline,
                };
                pod_events(&pod, next, &mut out.events);
                out.pods.push(Obj::Pod(pod));
            };
            // A deleted pod shows as Terminating for a moment while its replacement starts.
            if let Some((g, at)) = deletion {
                if !next.reached(at + GRACE) {
                    emit(g - 1, created, Some(at), out, next);
                }
                let created = created.max(at);
                emit(g, created, deleting, out, next);
            } else {
                emit(generation, created, deleting, out, next);
            }
        }
        (rs_name, labels, count)
    };

    // The current version's pods, created one after another as its rollout proceeds; a
    // scale-up adds pods when it happens, a scale-down terminates the extra ones.
    let (scaled_at, scaled_from) = overlay.scaled.unwrap_or((w.created, replicas));
    let mut cur_slots: Vec<(usize, Time, Option<Time>)> = Vec::new();
    for i in 0..replicas.max(scaled_from) {
        let mut created = cur.start + step * i as i32;
        if i >= scaled_from && scaled_at > cur.start {
            created = created.max(scaled_at);
        }
        let deleting = if i >= replicas {
            if next.reached(scaled_at + GRACE) {
                continue;
            }
            Some(scaled_at)
        } else {
            None
        };
        if next.reached(created) {
            cur_slots.push((i, created, deleting));
        }
    }
    let (cur_rs, cur_labels, (cur_count, cur_ready)) =
        pods_of_rs(cur, &cur_hash, &mut cur_slots.into_iter(), &mut out, next);

    // The previous version's pods go as the new ones become ready.
    let mut prev_count = (0, 0);
    let mut prev_rs = None;
    if let Some(prev) = &vs.previous {
        let hash = prev.template_hash(&w.name);
        let step_prev = step;
        let mut slots = Vec::new();
        for i in 0..replicas {
            let replaced_at = cur.start + step * i as i32 + CREATE_TO_START + START_TO_READY;
            if next.reached(replaced_at + GRACE) {
                continue;
            }
            let deleting = next.reached(replaced_at).then_some(replaced_at);
            slots.push((i, prev.start + step_prev * i as i32, deleting));
        }
        let (name, labels, count) = pods_of_rs(prev, &hash, &mut slots.into_iter(), &mut out, next);
        prev_count = count;
        prev_rs = Some((prev, name, labels));
    }

    // A stuck rollout: one surge pod that never starts.
    let mut stuck_rs = None;
    if let Some(stuck) = &vs.stuck {
        let hash = stuck.template_hash(&w.name);
        let mut slots = std::iter::once((0usize, stuck.start, None));
        let (name, labels, count) = pods_of_rs(stuck, &hash, &mut slots, &mut out, next);
        stuck_rs = Some((stuck, name, labels, count));
    }

    // ReplicaSets, newest template first in revision.
    let rs = |v: &Version,
              name: String,
              labels: Labels,
              created: Time,
              desired: usize,
              count: (usize, usize)| {
        Obj::ReplicaSet(ReplicaSetObj {
            workload: w.clone(),
            name,
            labels,
            created,
            revision: v.revision,
            image: image_of(v),
            template_annotations: v.annotations.clone(),
            change_cause: v.change_cause.clone(),
            desired,
            replicas: count.0,
            ready: count.1,
        })
    };
    out.replicasets.push(rs(
        cur,
        cur_rs.clone(),
        cur_labels,
        cur.start,
        replicas,
        (cur_count, cur_ready),
    ));
    if let Some((prev, name, labels)) = prev_rs.clone() {
        out.replicasets
            .push(rs(prev, name, labels, prev.start, prev_count.0, prev_count));
    }
    if let Some((stuck, name, labels, count)) = stuck_rs.clone() {
        out.replicasets
            .push(rs(stuck, name, labels, stuck.start, 1, count));
    }
    // Older revisions stay as ReplicaSets scaled to zero: what a rollback goes back to.
    for old in &vs.older {
        let hash = old.template_hash(&w.name);
        let labels = Labels {
            base: w.labels.clone(),
            template_hash: Some(hash.clone()),
        };
        let name = format!("{}-{hash}", w.name);
        out.replicasets
            .push(rs(old, name, labels, old.start, 0, (0, 0)));
    }

    // The Deployment's status rolls the ReplicaSets up.
    let template = vs.stuck.as_ref().unwrap_or(cur);
    let (updated, new_rs) = match &stuck_rs {
        Some((_, name, _, count)) => (count.0, name.clone()),
        None => (cur_count, cur_rs.clone()),
    };
    let stuck_count = stuck_rs.as_ref().map_or((0, 0), |s| s.3);
    let total = cur_count + prev_count.0 + stuck_count.0;
    let ready = cur_ready + prev_count.1 + stuck_count.1;
    let complete =
        stuck_rs.is_none() && cur_count == replicas && cur_ready == replicas && prev_count.0 == 0;
    let progressing = if complete {
        Condition {
            kind: "Progressing",
            status: true,
            reason: "NewReplicaSetAvailable",
            message: format!("ReplicaSet \"{new_rs}\" has successfully progressed."),
            last_update: template.start,
            last_transition: template.start,
        }
    } else if next.reached(template.start + PROGRESS_DEADLINE) {
        Condition {
            kind: "Progressing",
            status: false,
            reason: "ProgressDeadlineExceeded",
            message: format!("ReplicaSet \"{new_rs}\" has timed out progressing."),
            last_update: template.start + PROGRESS_DEADLINE,
            last_transition: template.start + PROGRESS_DEADLINE,
        }
    } else {
        Condition {
            kind: "Progressing",
            status: true,
            reason: "ReplicaSetUpdated",
            message: format!("ReplicaSet \"{new_rs}\" is progressing."),
            last_update: template.start,
            last_transition: template.start,
        }
    };
    let max_unavailable = replicas / 4;
    let available_ok = ready + max_unavailable >= replicas;
    let available = Condition {
        kind: "Available",
        status: available_ok,
        reason: if available_ok {
            "MinimumReplicasAvailable"
        } else {
            "MinimumReplicasUnavailable"
        },
        message: if available_ok {
            "Deployment has minimum availability."
        } else {
            "Deployment does not have minimum availability."
        }
        .to_string(),
        last_update: template.start,
        last_transition: template.start,
    };
    out.deployments.push(Obj::Deployment(DeploymentObj {
        workload: w.clone(),
        spec_replicas: replicas,
        generation: template.revision + overlay.spec_changes,
        revision: template.revision,
        image: image_of(template),
        template_annotations: template.annotations.clone(),
        change_cause: template.change_cause.clone(),
        replicas: total,
        updated,
        ready,
        available: ready,
        conditions: vec![available, progressing],
    }));

    // The deployment controller's events for recent rollouts and scales.
    let dep_event = |reason: Reason, subject: &str, at: Time, out: &mut Built, next: &mut Next| {
        if next.reached(at) && !next.reached(at + EVENT_TTL) {
            out.events.push(Obj::Event(event(
                w,
                Kind::Deployment,
                &w.name,
                reason,
                subject,
                None,
                1,
                at,
                at,
            )));
        }
    };
    if vs.previous.is_some() || cur.start > w.created {
        dep_event(
            Reason::ScalingUp {
                from: 0,
                to: replicas,
            },
            &cur_rs,
            cur.start,
            &mut out,
            next,
        );
    }
    if let Some((_, name, _)) = &prev_rs {
        let done =
            cur.start + step * (replicas.max(1) as i32 - 1) + CREATE_TO_START + START_TO_READY;
        dep_event(
            Reason::ScalingDown {
                from: replicas,
                to: 0,
            },
            name,
            done,
            &mut out,
            next,
        );
    }
    if let Some((stuck, name, _, _)) = &stuck_rs {
        dep_event(
            Reason::ScalingUp { from: 0, to: 1 },
            name,
            stuck.start,
            &mut out,
            next,
        );
    }
    if let Some((at, from)) = overlay.scaled {
        let reason = if replicas >= from {
            Reason::ScalingUp { from, to: replicas }
        } else {
            Reason::ScalingDown { from, to: replicas }
        };
        dep_event(reason, &cur_rs, at, &mut out, next);
    }

    for list in [&mut out.replicasets, &mut out.pods, &mut out.events] {
        list.sort_by(|a, b| a.name().cmp(b.name()));
        list.dedup_by(|a, b| a.name() == b.name());
    }
    out
}

/// Time between pod creations in a rollout: ten seconds apiece, a minute in all at most.
fn step_for(replicas: usize) -> Duration {
    let per = 60_000 / replicas.max(1) as i64;
    Duration::milliseconds(per.min(10_000))
}

#[allow(clippy::too_many_arguments)]
fn event(
    w: &Arc<Workload>,
    involved_kind: Kind,
    involved_name: &str,
    reason: Reason,
    subject: &str,
    host: Option<Arc<str>>,
    count: u32,
    first: Time,
    last: Time,
) -> EventObj {
    // Like the API server's `<object>.<hex>` event names, stable for the same occurrence.
    let h = hash(
        1,
        &[
            hash_str(involved_name),
            reason.key(),
            first.timestamp() as u64,
        ],
    );
    EventObj {
        name: format!("{involved_name}.{:016x}", h),
        workload: w.clone(),
        involved_kind,
        involved_name: involved_name.to_string(),
        reason,
        subject: subject.to_string(),
        host,
        count,
        first,
        last,
    }
}

/// Kubelet's and the scheduler's events about one pod, kept for an hour after they last
/// happened.
fn pod_events(pod: &PodObj, next: &mut Next, out: &mut Vec<Obj>) {
    let w = &pod.workload;
    let c = pod.created;
    let t = &pod.timeline;
    let mut push = |reason: Reason,
                    subject: &str,
                    host: bool,
                    count: u32,
                    first: Time,
                    last: Time,
                    next: &mut Next| {
        if count == 0 || !next.reached(first) || next.reached(last + EVENT_TTL) {
            return;
        }
        let host = host.then(|| pod.node.clone());
        out.push(Obj::Event(event(
            w,
            Kind::Pod,
            &pod.name,
            reason,
            subject,
            host,
            count,
            first,
            last,
        )));
    };
    push(Reason::Scheduled, &pod.node, false, 1, c, c, next);
    let attempts = if pod.behaviour == Behaviour::ImagePull {
        t.pull_attempts
    } else {
        1
    };
    let pull = c + Duration::milliseconds(300);
    push(
        Reason::Pulling,
        &pod.image,
        true,
        attempts,
        pull,
        t.last_backoff.unwrap_or(pull),
        next,
    );
    if pod.behaviour == Behaviour::ImagePull {
        let last = t.last_backoff.unwrap_or(pull) + Duration::seconds(1);
        push(
            Reason::FailedPull,
            &pod.image,
            true,
            attempts,
            pull + Duration::seconds(1),
            last,
            next,
        );
        push(
            Reason::ErrImagePull,
            &pod.image,
            true,
            attempts,
            pull + Duration::seconds(1),
            last,
            next,
        );
        if let (Some(first), Some(last)) = (t.first_backoff, t.last_backoff) {
            push(
                Reason::BackOffPull,
                &pod.image,
                true,
                attempts,
                first,
                last,
                next,
            );
            push(
                Reason::ImagePullBackOff,
                &pod.image,
                true,
                attempts,
                first,
                last,
                next,
            );
        }
    } else if let Some(cur) = t.current {
        let runs = cur.attempt + 1;
        push(
            Reason::Pulled,
            &pod.image,
            true,
            1,
            c + Duration::seconds(1),
            c + Duration::seconds(1),
            next,
        );
        push(
            Reason::Created,
            &w.name,
            true,
            runs,
            c + CREATE_TO_START,
            cur.start,
            next,
        );
        push(
            Reason::Started,
            &w.name,
            true,
            runs,
            c + CREATE_TO_START,
            cur.start,
            next,
        );
        if let (Some(first), Some(last)) = (t.first_backoff, t.last_backoff)
            && pod.behaviour == Behaviour::CrashLoop
        {
            push(
                Reason::BackOffRestart,
                &w.name,
                true,
                t.restarts.max(1),
                first,
                last,
                next,
            );
        }
        // The latest kill ended the current instance (in the second before its restart) or
        // the previous one.
        let last_kill = cur.end.or(t.previous.and_then(|p| p.end));
        if pod.behaviour == Behaviour::OomKills
            && let Some((killed, _)) = last_kill
        {
            let kills = t.restarts + u32::from(cur.end.is_some());
            let first = c + CREATE_TO_START + OOM_FIRST;
            push(
                Reason::OomKilling,
                &w.name,
                true,
                kills,
                first,
                killed,
                next,
            );
        }
    }
    if let Some(at) = pod.deleting {
        push(Reason::Killing, &w.name, true, 1, at, at, next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Time {
        world::epoch() + Duration::seconds(secs)
    }

    #[test]
    fn crash_loop_backs_off_and_counts_restarts() {
        let created = at(0);
        let mut next = Next::new(at(1), at(10_000));
        let early = timeline(Behaviour::CrashLoop, created, at(1), &mut next);
        assert_eq!(early.waiting, Some(Waiting::ContainerCreating));
        assert_eq!(next.at, at(2), "the container starts two seconds in");

        // Runs 2..7, shows Error for a second, runs 8..13, backs off 10 s, runs 23..28,
        // backs off 20 s, runs 48..53.
        let mut next = Next::new(at(7), at(10_000));
        let first = timeline(Behaviour::CrashLoop, created, at(7), &mut next);
        assert_eq!(
            (first.restarts, first.waiting),
            (0, None),
            "terminated, not yet restarted"
        );
        assert_eq!(next.at, at(8));
        let mut next = Next::new(at(30), at(10_000));
        let t = timeline(Behaviour::CrashLoop, created, at(30), &mut next);
        assert_eq!(t.restarts, 2);
        assert_eq!(
            t.waiting,
            Some(Waiting::CrashLoopBackOff { backoff_secs: 20 })
        );
        assert_eq!(t.current.and_then(|i| i.end).map(|e| e.0), Some(at(28)));
        assert_eq!(t.previous.map(|i| i.start), Some(at(8)));
        assert_eq!(next.at, at(48));
        assert!(!t.ready);

        let mut next = Next::new(at(900), at(10_000));
        let later = timeline(Behaviour::CrashLoop, created, at(900), &mut next);
        assert!(
            later.restarts > 5,
            "restarts grow over time: {}",
            later.restarts
        );
    }

    #[test]
    fn oom_kills_leave_a_terminated_previous_instance() {
        let created = at(0);
        let mut next = Next::new(at(3600), at(100_000));
        let t = timeline(Behaviour::OomKills, created, at(3600), &mut next);
        // Kills at 4 min after the start (2 s in), then every 11 min: 6 by the hour.
        assert_eq!(t.restarts, 6);
        assert_eq!(
            t.previous.and_then(|p| p.end).map(|e| e.1),
            Some(Ending::OomKilled)
        );
        assert!(t.ready);
    }

    #[test]
    fn image_pull_never_starts() {
        let mut next = Next::new(at(600), at(100_000));
        let t = timeline(Behaviour::ImagePull, at(0), at(600), &mut next);
        assert!(t.current.is_none());
        assert!(t.pull_attempts >= 5);
        assert!(matches!(
            t.waiting,
            Some(Waiting::ImagePullBackOff | Waiting::ErrImagePull)
        ));
    }

    #[test]
    fn uids_are_stable_and_distinct() {
        assert_eq!(uid(Kind::Pod, "a", "b"), uid(Kind::Pod, "a", "b"));
        assert_ne!(uid(Kind::Pod, "a", "b"), uid(Kind::Pod, "a", "c"));
        assert_eq!(uid(Kind::Pod, "a", "b").len(), 36);
    }
}
