//! Watching: one kube::runtime watcher per (context, kind, namespace or cluster) with the union
//! of the services' selectors, its objects converted at once to the compact model (so nothing
//! large is kept), and a per-context batcher that coalesces changes for ~100 ms into one
//! message. A 403 marks that namespace forbidden and waits for a refresh; other errors back off
//! and let the watcher resume (or re-list after 410 Gone) as kube does. No periodic re-list.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{Event as K8sEvent, Pod};
use kube::runtime::watcher::{self, Event, watcher};
use kube::{Api, Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tokio::sync::{Notify, Semaphore, mpsc, watch};

use super::convert::{self, Services};
use crate::clock::Clock;
use crate::providers::http::Failure;
use flightdeck_core::message::workloads::Msg as WMsg;
use flightdeck_core::message::{Msg, SourceEvent};
use flightdeck_core::model::join::ServiceTarget;
use flightdeck_core::model::workloads::{Access, Change, Kind, ScopeState, fingerprint};
use flightdeck_core::model::{SourceId, SourceKind};
use flightdeck_core::wire::selector::{self, LabelSelector};

/// How long changes are gathered before they go to the loop as one message.
pub const COALESCE: StdDuration = StdDuration::from_millis(100);
/// The most changes one message carries; a big initial sync goes in a few.
const MAX_BATCH: usize = 2_000;
/// A batch waits while the loop has this many messages or more still to read, for at most
/// `BACKLOG_WAIT`: a loop busy with other sources at start-up otherwise found a cluster's whole
/// initial sync queued in its channel (50,000 events, 24 MB, at the peak of a 200-service org).
/// Waiting here stops the batcher reading its feeds, whose watchers then stop reading the API.
const LOOP_BACKLOG: usize = 16;
const BACKLOG_WAIT: StdDuration = StdDuration::from_secs(1);
/// Backoff between retries of a failing watch.
const MIN_BACKOFF: StdDuration = StdDuration::from_millis(500);
const MAX_BACKOFF: StdDuration = StdDuration::from_secs(30);
/// A feed counts as recovered, and its backoff starts small again, only after it stayed synced
/// this long: a re-list that a 410 ends straight away is not a recovery, and resetting on it
/// made a repeating 410 a tight re-list loop (about 70 requests a second).
const STABLE: StdDuration = StdDuration::from_secs(20);
/// A watch that resumed from its resourceVersion after an error sends nothing until something
/// changes (kube reports no event when the watch is re-established), so a feed still quiet this
/// long after its retry, with its server answering, is synced again: its data was right all
/// along. Without this a dropped watch read "failing" until the next change, minutes later.
const RESUMED: StdDuration = StdDuration::from_secs(2);
/// A forbidden scope is tried again after this long, or at a refresh.
const FORBIDDEN_RETRY: StdDuration = StdDuration::from_secs(600);
/// Objects per page of an initial list. Each page is held whole, as the API's full objects,
/// while it is converted: smaller pages keep that peak small (10,000 pods in pages of 500,
/// many kinds at once, cost the process about 50 MB it never gave back).
const PAGE_SIZE: u32 = 100;
/// Initial lists of one context running at once; the other feeds wait their turn.
pub const INITIAL_LISTS: usize = 2;
/// The server-side timeout asked of each watch (`timeoutSeconds`), as kube's default: the
/// server ends the watch after this long and the watcher resumes it from its resourceVersion.
pub const WATCH_SECS: u32 = 290;
/// Connecting gives up after this long (or the request deadline, if shorter).
const CONNECT_TIMEOUT: StdDuration = StdDuration::from_secs(10);
/// A healthy but quiet context still tells the status bar it is live this often.
const HEARTBEAT: StdDuration = StdDuration::from_secs(60);

/// The namespace watched, or `*` for every namespace.
pub const ALL: &str = "*";

/// Which services an object belongs to, from the catalog's targets.
#[derive(Debug, Default)]
pub struct Matcher {
    targets: Vec<(String, LabelSelector, Option<Vec<String>>)>,
    /// (label, value) → targets whose selector is that one equality.
    by_eq: HashMap<(String, String), Vec<usize>>,
    other: Vec<usize>,
}

impl Matcher {
    pub fn new(targets: &[ServiceTarget], namespaces: &[String]) -> Self {
        let mut m = Matcher::default();
        for t in targets {
            let Some(k) = &t.kubernetes else { continue };
            let Ok(sel) = LabelSelector::parse(&k.selector) else {
                tracing::warn!(service = %t.service, selector = %k.selector, "unreadable label selector");
                continue;
            };
            let ns = match &k.namespace {
                Some(ns) => Some(vec![ns.clone()]),
                None if !namespaces.is_empty() => Some(namespaces.to_vec()),
                None => None,
            };
            let i = m.targets.len();
            match sel.single_eq() {
                Some((key, value)) => m
                    .by_eq
                    .entry((key.to_string(), value.to_string()))
                    .or_default()
                    .push(i),
                None => m.other.push(i),
            }
            m.targets.push((t.service.clone(), sel, ns));
        }
        m
    }

    fn in_scope(&self, i: usize, namespace: &str) -> bool {
        self.targets[i]
            .2
            .as_ref()
            .is_none_or(|nss| nss.iter().any(|n| n == namespace))
    }
}

impl Services for Matcher {
    fn services(&self, namespace: &str, labels: Option<&BTreeMap<String, String>>) -> Vec<String> {
        let mut hits: Vec<usize> = Vec::new();
        if let Some(labels) = labels {
            for (k, v) in labels {
                if let Some(is) = self.by_eq.get(&(k.clone(), v.clone())) {
                    hits.extend(is.iter().copied().filter(|i| self.in_scope(*i, namespace)));
                }
            }
        }
        hits.extend(self.other.iter().copied().filter(|i| {
            self.in_scope(*i, namespace)
                && self.targets[*i]
                    .1
                    .matches(|k| labels.and_then(|l| l.get(k)).map(String::as_str))
        }));
        hits.sort_unstable();
        hits.dedup();
        hits.into_iter()
            .map(|i| self.targets[i].0.clone())
            .collect()
    }
}

/// Namespace (or `*`) → the selector to watch it with (`None`: everything in it).
pub type Plan = BTreeMap<String, Option<String>>;

pub fn plan(targets: &[ServiceTarget], namespaces: &[String]) -> Plan {
    let mut scopes: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for t in targets {
        let Some(k) = &t.kubernetes else { continue };
        let nss: Vec<String> = match &k.namespace {
            Some(ns) => vec![ns.clone()],
            None if !namespaces.is_empty() => namespaces.to_vec(),
            None => vec![ALL.to_string()],
        };
        for ns in nss {
            scopes.entry(ns).or_default().push(&k.selector);
        }
    }
    scopes
        .into_iter()
        .map(|(ns, sels)| (ns, selector::union(&sels)))
        .collect()
}

/// What a feed tells its context's batcher. Nearly every message is a change, so boxing it
/// would only add an allocation per object.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum FeedMsg {
    Change(Change),
    State {
        scope: String,
        kind: Kind,
        state: FeedState,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedState {
    Syncing,
    Synced,
    Forbidden(String),
    Failing {
        error: String,
        retry_in: StdDuration,
    },
    /// The server does not serve the kind (an old cluster, or the sim without it).
    Absent,
}

/// A kind the feeds can watch and convert.
pub trait Watched:
    Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static
{
    const KIND: Kind;
    fn convert(&self, m: &Matcher) -> Option<Change>;
}

impl Watched for Pod {
    const KIND: Kind = Kind::Pod;
    fn convert(&self, m: &Matcher) -> Option<Change> {
        convert::pod(self, m).map(Change::Pod)
    }
}
impl Watched for Deployment {
    const KIND: Kind = Kind::Deployment;
    fn convert(&self, m: &Matcher) -> Option<Change> {
        convert::deployment(self, m).map(Change::Workload)
    }
}
impl Watched for StatefulSet {
    const KIND: Kind = Kind::StatefulSet;
    fn convert(&self, m: &Matcher) -> Option<Change> {
        convert::statefulset(self, m).map(Change::Workload)
    }
}
impl Watched for DaemonSet {
    const KIND: Kind = Kind::DaemonSet;
    fn convert(&self, m: &Matcher) -> Option<Change> {
        convert::daemonset(self, m).map(Change::Workload)
    }
}
impl Watched for ReplicaSet {
    const KIND: Kind = Kind::ReplicaSet;
    fn convert(&self, _: &Matcher) -> Option<Change> {
        convert::replicaset(self).map(Change::ReplicaSet)
    }
}
impl Watched for K8sEvent {
    const KIND: Kind = Kind::Event;
    fn convert(&self, _: &Matcher) -> Option<Change> {
        convert::event(self).map(Change::Event)
    }
}

/// The client's own deadlines for a request deadline of `timeout`: a connect timeout, and a
/// read timeout longer than a watch's server-side timeout (an open watch is quiet for up to
/// `WATCH_SECS`), counted from each request sent rather than from when a pooled connection
/// went idle. Long-lived streams (logs that may be quiet for hours) use a client without the
/// read timeout. Without these a server that accepted and never answered held a request forever.
pub fn deadlines(config: &mut kube::Config, timeout: StdDuration) {
    config.connect_timeout = Some(timeout.min(CONNECT_TIMEOUT));
    config.read_timeout = Some(StdDuration::from_secs(u64::from(WATCH_SECS)) + timeout);
    config.reset_reader_on_write = true;
}

/// Everything a feed needs; stopping it (through `stop`) deletes what it reported.
pub struct Feed {
    pub client: Client,
    pub scope: String,
    pub selector: Option<String>,
    pub matcher: Arc<Matcher>,
    pub tx: mpsc::Sender<FeedMsg>,
    pub stop: watch::Receiver<bool>,
    pub refresh: Arc<Notify>,
    /// Bounds the initial lists of a context running at once (`INITIAL_LISTS`).
    pub gate: Arc<Semaphore>,
    /// How long a page of a list may take; a watch may stay quiet `WATCH_SECS` longer.
    pub deadline: StdDuration,
}

fn api<K>(client: Client, scope: &str) -> Api<K>
where
    K: Watched + Resource<Scope = k8s_openapi::NamespaceResourceScope>,
{
    if scope == ALL {
        Api::all(client)
    } else {
        Api::namespaced(client, scope)
    }
}

fn status_code(e: &watcher::Error) -> Option<u16> {
    match e {
        watcher::Error::InitialListFailed(kube::Error::Api(s))
        | watcher::Error::WatchStartFailed(kube::Error::Api(s))
        | watcher::Error::WatchFailed(kube::Error::Api(s)) => Some(s.code),
        watcher::Error::WatchError(s) => Some(s.code),
        _ => None,
    }
}

/// An error in words, without anything an auth plugin printed.
pub fn describe_error(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => format!(
            "HTTP {}: {}",
            s.code,
            flightdeck_core::sanitize::line(&s.message)
        ),
        kube::Error::Auth(a) => auth_error(a),
        // Refused, reset, DNS or TLS, read from the causes as for every other source: the
        // client's own words were "ServiceError: client error (SendRequest)".
        other => match Failure::from_transport(other, "the API server", StdDuration::ZERO) {
            Failure::Connect(why) => why,
            _ => flightdeck_core::sanitize::line(&other.to_string()),
        },
    }
}

/// Auth failures name the plugin and its exit status only: its output may hold prompts or
/// secrets and never reaches the screen.
fn auth_error(e: &kube::client::AuthError) -> String {
    use kube::client::AuthError;
    match e {
        AuthError::AuthExecRun { out, .. } => format!("auth plugin failed ({})", out.status),
        AuthError::AuthExecStart(io) => format!("auth plugin cannot start: {io}"),
        AuthError::AuthExecParse(_) | AuthError::AuthExec(_) => {
            "auth plugin gave no usable credential".into()
        }
        other => {
            let text = other.to_string();
            // Messages that quote a command line may carry its environment: keep the first words.
            flightdeck_core::sanitize::line(&text.chars().take(120).collect::<String>())
        }
    }
}

fn watch_error(e: &watcher::Error) -> String {
    match e {
        watcher::Error::InitialListFailed(k) => format!("list: {}", describe_error(k)),
        watcher::Error::WatchStartFailed(k) => format!("watch: {}", describe_error(k)),
        watcher::Error::WatchFailed(k) => format!("watch: {}", describe_error(k)),
        watcher::Error::WatchError(s) => format!(
            "watch: HTTP {}: {}",
            s.code,
            flightdeck_core::sanitize::line(&s.message)
        ),
        other => flightdeck_core::sanitize::line(&other.to_string()),
    }
}

/// Runs one watcher until stopped: converts, reports, and on a re-list deletes what vanished.
pub async fn run<K>(mut f: Feed)
where
    K: Watched + Resource<Scope = k8s_openapi::NamespaceResourceScope>,
{
    let kind = K::KIND;
    let mut config = watcher::Config::default()
        .page_size(PAGE_SIZE)
        .timeout(WATCH_SECS);
    if let Some(sel) = &f.selector {
        config = config.labels(sel);
    }
    // What this feed reported, by fingerprint: a busy cluster's 50,000 events take 0.6 MB
    // this way, and took 6.5 MB as pairs of names.
    let mut known: HashSet<u64> = HashSet::new();
    let mut relisting: Option<HashSet<u64>> = None;
    let mut backoff = MIN_BACKOFF;
    // How long a failing feed waits before asking whether its server answers again.
    let mut probe_every = RESUMED;
    let mut synced_at: Option<std::time::Instant> = None;
    let mut state = FeedState::Syncing;
    let tx = f.tx.clone();
    let scope = f.scope.clone();
    let report = |state: FeedState| {
        let tx = tx.clone();
        let scope = scope.clone();
        async move { tx.send(FeedMsg::State { scope, kind, state }).await.is_ok() }
    };
    report(FeedState::Syncing).await;
    'outer: loop {
        // Held until this watcher's initial list is done (or fails).
        let mut permit = tokio::select! {
            _ = f.stop.changed() => break 'outer,
            p = f.gate.clone().acquire_owned() => p.ok(),
        };
        let mut stream = watcher(api::<K>(f.client.clone(), &f.scope), config.clone()).boxed();
        // A new watcher lists first; `Init` starts a re-list, `InitDone` ends one.
        let mut listing = true;
        let mut waiting_since = tokio::time::Instant::now();
        loop {
            let resuming = matches!(state, FeedState::Failing { .. });
            if !resuming {
                probe_every = RESUMED;
            }
            // A list page must come within the deadline; an open watch may be quiet until its
            // server-side timeout, and then kube resumes it, so longer than that is stuck too
            // (a watch whose start was never answered).
            let allowed = if listing {
                f.deadline
            } else {
                f.deadline + StdDuration::from_secs(u64::from(WATCH_SECS))
            };
            let item = tokio::select! {
                _ = f.stop.changed() => break 'outer,
                item = stream.next() => item,
                // `next` keeps its place in the stream when this branch wins.
                _ = tokio::time::sleep(probe_every), if resuming => {
                    if answers::<K>(&f).await {
                        state = FeedState::Synced;
                        synced_at = Some(std::time::Instant::now());
                        report(FeedState::Synced).await;
                    } else {
                        // A server that keeps failing is asked less and less often, like
                        // every other retry (capped backoff), not every two seconds.
                        probe_every = (probe_every * 2).min(MAX_BACKOFF);
                    }
                    continue;
                }
                _ = tokio::time::sleep_until(waiting_since + allowed) => {
                    // Stuck: abandon this watcher (its connection closes) and start again
                    // after the backoff, as after any other failure.
                    drop(stream);
                    drop(permit.take());
                    let what = if listing { "list" } else { "watch" };
                    let error = format!("{what}: no answer within {}s", f.deadline.as_secs());
                    let wait = next_wait(&mut backoff, &mut synced_at);
                    state = FeedState::Failing { error, retry_in: wait };
                    tracing::info!(?kind, scope = %f.scope, state = ?state, "watch stuck");
                    if !report(state.clone()).await {
                        break 'outer;
                    }
                    tokio::select! {
                        _ = f.stop.changed() => break 'outer,
                        _ = tokio::time::sleep(wait) => {}
                        _ = f.refresh.notified() => {}
                    }
                    continue 'outer;
                }
                // `r` while the feed is not synced restarts it at once: a list or watch that
                // hangs would otherwise wait out its deadline.
                _ = f.refresh.notified(), if state != FeedState::Synced => {
                    tracing::info!(?kind, scope = %f.scope, "feed restarted at a refresh");
                    drop(stream);
                    drop(permit.take());
                    continue 'outer;
                }
            };
            waiting_since = tokio::time::Instant::now();
            let Some(item) = item else { break };
            let event = match item {
                Ok(e) => e,
                Err(e) => {
                    drop(permit.take());
                    let code = status_code(&e);
                    let error = watch_error(&e);
                    let wait = match code {
                        Some(403) => {
                            state = FeedState::Forbidden(error);
                            FORBIDDEN_RETRY
                        }
                        Some(404) => {
                            state = FeedState::Absent;
                            report(state.clone()).await;
                            // Not served: nothing to watch until the plan changes.
                            let _ = f.stop.changed().await;
                            break 'outer;
                        }
                        _ => {
                            let w = next_wait(&mut backoff, &mut synced_at);
                            state = FeedState::Failing { error, retry_in: w };
                            w
                        }
                    };
                    tracing::info!(?kind, scope = %f.scope, state = ?state, "watch error");
                    if !report(state.clone()).await {
                        break 'outer;
                    }
                    tokio::select! {
                        _ = f.stop.changed() => break 'outer,
                        _ = tokio::time::sleep(wait) => {}
                        _ = f.refresh.notified() => {}
                    }
                    if matches!(state, FeedState::Forbidden(_)) {
                        // A fresh watcher: kube's would retry the list at once, every time.
                        continue 'outer;
                    }
                    // The deadline counts from the retry, not from before the backoff.
                    waiting_since = tokio::time::Instant::now();
                    continue;
                }
            };
            if state != FeedState::Synced && !matches!(event, Event::Init | Event::InitApply(_)) {
                state = FeedState::Synced;
                synced_at = Some(std::time::Instant::now());
                report(FeedState::Synced).await;
            }
            let key = |o: &K| {
                let meta = o.meta();
                fingerprint(
                    meta.namespace.as_deref().unwrap_or_default(),
                    meta.name.as_deref().unwrap_or_default(),
                )
            };
            let sent = match event {
                Event::Init => {
                    listing = true;
                    relisting = Some(HashSet::new());
                    true
                }
                Event::InitApply(o) => {
                    if let Some(r) = relisting.as_mut() {
                        r.insert(key(&o));
                    }
                    send_obj(&f, &o).await
                }
                Event::InitDone => {
                    listing = false;
                    drop(permit.take());
                    let fresh = relisting.take().unwrap_or_default();
                    let gone: HashSet<u64> = known.difference(&fresh).copied().collect();
                    known = fresh;
                    gone.is_empty()
                        || f.tx
                            .send(FeedMsg::Change(Change::Vanished {
                                kind,
                                fingerprints: gone,
                            }))
                            .await
                            .is_ok()
                }
                Event::Apply(o) => {
                    known.insert(key(&o));
                    send_obj(&f, &o).await
                }
                Event::Delete(o) => {
                    known.remove(&key(&o));
                    f.tx.send(FeedMsg::Change(Change::Deleted {
                        kind,
                        namespace: o.namespace().unwrap_or_default(),
                        name: o.name_any(),
                    }))
                    .await
                    .is_ok()
                }
            };
            if !sent {
                return;
            }
        }
    }
    // Stopped: what this feed reported goes, so a replaced plan leaves nothing behind.
    if !known.is_empty() {
        let _ =
            f.tx.send(FeedMsg::Change(Change::Vanished {
                kind,
                fingerprints: known,
            }))
            .await;
    }
}

/// Whether the feed's server answers a one-object list now (within `RESUMED`): a resumed watch
/// on a server that hangs or fails must not read as synced.
async fn answers<K>(f: &Feed) -> bool
where
    K: Watched + Resource<Scope = k8s_openapi::NamespaceResourceScope>,
{
    let mut params = kube::api::ListParams::default().limit(1);
    if let Some(sel) = &f.selector {
        params = params.labels(sel);
    }
    let api = api::<K>(f.client.clone(), &f.scope);
    let probe = api.list_metadata(&params);
    matches!(tokio::time::timeout(RESUMED, probe).await, Ok(Ok(_)))
}

/// The wait before the next try, growing; it starts small again only after the feed stayed
/// synced for `STABLE`.
fn next_wait(backoff: &mut StdDuration, synced_at: &mut Option<std::time::Instant>) -> StdDuration {
    if synced_at.take().is_some_and(|t| t.elapsed() >= STABLE) {
        *backoff = MIN_BACKOFF;
    }
    let w = jittered(*backoff);
    *backoff = (*backoff * 2).min(MAX_BACKOFF);
    w
}

/// `wait` plus up to a quarter more, so the feeds of a context that failed together (a
/// restarted API server) do not all come back in the same instant. The clock's nanoseconds are
/// random enough for spreading retries.
fn jittered(wait: StdDuration) -> StdDuration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let quarter = (wait / 4).as_nanos().max(1) as u64;
    (wait + StdDuration::from_nanos(u64::from(nanos) % quarter)).min(MAX_BACKOFF + MAX_BACKOFF / 4)
}

async fn send_obj<K: Watched>(f: &Feed, o: &K) -> bool {
    match o.convert(&f.matcher) {
        // Kinds other than events need a service; events are joined to objects in the model.
        Some(Change::Pod(p)) if p.services.is_empty() => true,
        Some(Change::Workload(w)) if w.services.is_empty() => true,
        Some(c) => f.tx.send(FeedMsg::Change(c)).await.is_ok(),
        None => true,
    }
}

/// Starts the six feeds of one scope.
pub fn start_scope(
    client: &Client,
    scope: &str,
    selector: Option<String>,
    matcher: &Arc<Matcher>,
    tx: &mpsc::Sender<FeedMsg>,
    (stop, refresh, gate): (&watch::Receiver<bool>, &Arc<Notify>, &Arc<Semaphore>),
    deadline: StdDuration,
) -> Vec<tokio::task::JoinHandle<()>> {
    let feed = |selector: Option<String>| Feed {
        client: client.clone(),
        scope: scope.to_string(),
        selector,
        matcher: matcher.clone(),
        tx: tx.clone(),
        stop: stop.clone(),
        refresh: refresh.clone(),
        gate: gate.clone(),
        deadline,
    };
    vec![
        tokio::spawn(run::<Pod>(feed(selector.clone()))),
        tokio::spawn(run::<Deployment>(feed(selector.clone()))),
        tokio::spawn(run::<ReplicaSet>(feed(selector.clone()))),
        tokio::spawn(run::<StatefulSet>(feed(selector.clone()))),
        tokio::spawn(run::<DaemonSet>(feed(selector))),
        // Events carry no labels of the service: every event of the scope, joined in the model.
        tokio::spawn(run::<K8sEvent>(feed(None))),
    ]
}

/// Returns once the loop has fewer than `LOOP_BACKLOG` messages waiting, or after
/// `BACKLOG_WAIT`.
async fn until_drained(out: &mpsc::Sender<Msg>) {
    let deadline = tokio::time::Instant::now() + BACKLOG_WAIT;
    while out.max_capacity() - out.capacity() >= LOOP_BACKLOG
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(StdDuration::from_millis(5)).await;
    }
}

/// Per context: gathers changes for `COALESCE` into one message, rolls feed states up per
/// namespace and into the context's status-bar source, and asks for RBAC answers of every
/// namespace it sees.
pub async fn batcher(
    context: String,
    source: String,
    client: Client,
    mut rx: mpsc::Receiver<FeedMsg>,
    out: mpsc::Sender<Msg>,
    clock: Clock,
) {
    let id = SourceId::new(SourceKind::Kubernetes, source);
    let mut states: BTreeMap<(String, Kind), FeedState> = BTreeMap::new();
    let mut reported: BTreeMap<String, ScopeState> = BTreeMap::new();
    let mut reviewed: BTreeSet<String> = BTreeSet::new();
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    loop {
        let first = tokio::select! {
            m = rx.recv() => match m { Some(m) => m, None => return },
            _ = heartbeat.tick() => {
                if healthy(&states) && out.send(Msg::Source { id: id.clone(), event: SourceEvent::Ok { at: clock.now(), detail: detail(&reported) } }).await.is_err() {
                    return;
                }
                continue;
            }
        };
        let mut changes = Vec::new();
        let mut states_changed = false;
        let mut take = |m: FeedMsg, changes: &mut Vec<Change>| match m {
            FeedMsg::Change(c) => changes.push(c),
            FeedMsg::State { scope, kind, state } => {
                states.insert((scope, kind), state);
                states_changed = true;
            }
        };
        take(first, &mut changes);
        let deadline = tokio::time::Instant::now() + COALESCE;
        while changes.len() < MAX_BATCH {
            tokio::select! {
                m = rx.recv() => match m { Some(m) => take(m, &mut changes), None => break },
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        let mut fresh_namespaces = Vec::new();
        for c in &changes {
            let ns: &str = match c {
                Change::Pod(p) => &p.namespace,
                Change::Workload(w) => &w.namespace,
                _ => continue,
            };
            if !reviewed.contains(ns) {
                reviewed.insert(ns.to_string());
                fresh_namespaces.push(ns.to_string());
            }
        }
        for ns in fresh_namespaces {
            tokio::spawn(review(client.clone(), context.clone(), ns, out.clone()));
        }
        let had_changes = !changes.is_empty();
        if had_changes {
            until_drained(&out).await;
            let batch = WMsg::Batch {
                context: context.clone(),
                changes,
            };
            if out.send(Msg::Workloads(batch)).await.is_err() {
                return;
            }
        }
        if states_changed {
            let scopes = roll_up(&states, clock.now());
            for (ns, s) in &scopes {
                if reported.get(ns) != Some(s) {
                    let msg = WMsg::Scope {
                        context: context.clone(),
                        namespace: ns.clone(),
                        state: s.clone(),
                    };
                    if out.send(Msg::Workloads(msg)).await.is_err() {
                        return;
                    }
                }
            }
            reported = scopes;
        }
        if states_changed || had_changes {
            let at = clock.now();
            let failing = reported.values().find_map(|s| match s {
                ScopeState::Failing { error, retry_at } => Some((error.clone(), *retry_at)),
                _ => None,
            });
            let event = match failing {
                Some((error, retry_at)) => Some(SourceEvent::Failed {
                    error,
                    at,
                    retry_at,
                }),
                None if healthy(&states) => Some(SourceEvent::Ok {
                    at,
                    detail: detail(&reported),
                }),
                None => None,
            };
            if let Some(event) = event
                && out
                    .send(Msg::Source {
                        id: id.clone(),
                        event,
                    })
                    .await
                    .is_err()
            {
                return;
            }
        }
    }
}

fn healthy(states: &BTreeMap<(String, Kind), FeedState>) -> bool {
    !states.is_empty()
        && states.values().all(|s| {
            matches!(
                s,
                FeedState::Synced | FeedState::Forbidden(_) | FeedState::Absent
            )
        })
}

fn roll_up(
    states: &BTreeMap<(String, Kind), FeedState>,
    now: chrono::DateTime<chrono::Utc>,
) -> BTreeMap<String, ScopeState> {
    let mut out: BTreeMap<String, ScopeState> = BTreeMap::new();
    for ((scope, _), s) in states {
        let next = match s {
            FeedState::Absent => continue,
            FeedState::Synced => ScopeState::Synced,
            FeedState::Syncing => ScopeState::Syncing,
            FeedState::Forbidden(e) => ScopeState::Forbidden(e.clone()),
            FeedState::Failing { error, retry_in } => ScopeState::Failing {
                error: error.clone(),
                retry_at: Some(now + chrono::Duration::from_std(*retry_in).unwrap_or_default()),
            },
        };
        let rank = |s: &ScopeState| match s {
            ScopeState::Synced => 0,
            ScopeState::Syncing => 1,
            ScopeState::Failing { .. } => 2,
            ScopeState::Forbidden(_) => 3,
        };
        match out.get(scope) {
            Some(cur) if rank(cur) >= rank(&next) => {}
            _ => {
                out.insert(scope.clone(), next);
            }
        }
    }
    out
}

fn detail(scopes: &BTreeMap<String, ScopeState>) -> Option<String> {
    let forbidden: Vec<&str> = scopes
        .iter()
        .filter(|(_, s)| matches!(s, ScopeState::Forbidden(_)))
        .map(|(ns, _)| ns.as_str())
        .collect();
    let watched = scopes.len() - forbidden.len();
    let mut text = if scopes.contains_key(ALL) {
        "all namespaces".to_string()
    } else {
        format!("{watched} ns")
    };
    if !forbidden.is_empty() {
        text.push_str(&format!(", forbidden: {}", forbidden.join(",")));
    }
    Some(text)
}

/// Asks the API server what the user may do in `namespace`: restart (patch deployments),
/// scale (patch deployments/scale), delete pods, and open a shell or a port-forward (create
/// pods/exec, pods/portforward).
pub async fn review(client: Client, context: String, namespace: String, out: mpsc::Sender<Msg>) {
    use k8s_openapi::api::authorization::v1::{
        ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
    };
    let api: Api<SelfSubjectAccessReview> = Api::all(client);
    let ask = |verb: &str, group: &str, resource: &str, sub: Option<&str>| {
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    namespace: Some(namespace.clone()),
                    verb: Some(verb.into()),
                    group: Some(group.into()),
                    resource: Some(resource.into()),
                    subresource: sub.map(str::to_string),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let api = api.clone();
        async move {
            match api.create(&kube::api::PostParams::default(), &review).await {
                Ok(r) => r.status.map(|s| s.allowed),
                Err(e) => {
                    tracing::info!(error = %describe_error(&e), "access review failed");
                    None
                }
            }
        }
    };
    let (restart, scale, delete_pods, exec, port_forward) = tokio::join!(
        ask("patch", "apps", "deployments", None),
        ask("patch", "apps", "deployments", Some("scale")),
        ask("delete", "", "pods", None),
        ask("create", "", "pods", Some("exec")),
        ask("create", "", "pods", Some("portforward")),
    );
    let access = Access {
        restart,
        scale,
        delete_pods,
        exec,
        port_forward,
    };
    let _ = out
        .send(Msg::Workloads(WMsg::Access {
            context,
            namespace,
            access,
        }))
        .await;
}
