//! The API server's storage: the cluster's objects with resource versions, rebuilt per
//! workload only when the world says that workload changed, and a window of changes that
//! watches replay from a resourceVersion (older than the window answers 410 Gone).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;

use super::model::{
    self, Built, DeployHistory, KINDS, Kind, NamespaceObj, Next, Nodes, Obj, Time, Workload,
    WorkloadOverlay,
};
use crate::world::{self, World};

/// How often the world is looked at again, in wall time.
pub const TICK: StdDuration = StdDuration::from_millis(250);
/// How long changes stay replayable, in wall time, and how many at most.
const HISTORY_WINDOW: StdDuration = StdDuration::from_secs(300);
const HISTORY_MAX: usize = 200_000;
/// How long a paginated list's snapshot stays readable through its continue token.
const PAGED_TTL: StdDuration = StdDuration::from_secs(300);

#[derive(Debug, Clone)]
pub struct Entry {
    pub obj: Arc<Obj>,
    pub rv: u64,
}

/// One workload's objects (or the namespaces), each kind sorted by name.
#[derive(Debug, Clone)]
pub struct Group {
    pub kinds: [Vec<Entry>; KINDS],
    pub next_change: Time,
}

/// (namespace, workload name); the namespaces live under ("", "").
pub type GroupKey = (String, String);

#[derive(Debug, Clone)]
pub struct Snapshot {
    pub rv: u64,
    pub groups: BTreeMap<GroupKey, Arc<Group>>,
}

/// A position in a list, for `continue`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub group: GroupKey,
    pub name: String,
}

impl Snapshot {
    /// Entries of `kind` in `namespace` (all when `None`), in a stable order, after `after`.
    pub fn entries<'a>(
        &'a self,
        kind: Kind,
        namespace: Option<&'a str>,
        after: Option<&'a Cursor>,
    ) -> impl Iterator<Item = (&'a GroupKey, &'a Entry)> + 'a {
        let start = match (after, namespace) {
            (Some(c), _) => c.group.clone(),
            (None, Some(ns)) => (ns.to_string(), String::new()),
            (None, None) => (String::new(), String::new()),
        };
        self.groups
            .range(start..)
            .take_while(move |(k, _)| namespace.is_none_or(|ns| k.0 == ns))
            .flat_map(move |(k, g)| {
                let list = &g.kinds[kind.index()];
                let skip = match after {
                    Some(c) if c.group == *k => {
                        list.partition_point(|e| e.obj.name() <= c.name.as_str())
                    }
                    _ => 0,
                };
                list[skip..].iter().map(move |e| (k, e))
            })
    }

    pub fn get<'a>(&'a self, kind: Kind, namespace: &'a str, name: &str) -> Option<&'a Entry> {
        if kind == Kind::Namespace {
            return self
                .entries(kind, None, None)
                .map(|(_, e)| e)
                .find(|e| e.obj.name() == name);
        }
        self.entries(kind, Some(namespace), None)
            .map(|(_, e)| e)
            .find(|e| e.obj.name() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    Added,
    Modified,
    Deleted,
}

impl ChangeType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "ADDED",
            Self::Modified => "MODIFIED",
            Self::Deleted => "DELETED",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Change {
    pub rv: u64,
    pub ty: ChangeType,
    pub obj: Arc<Obj>,
}

/// The requested resourceVersion is older than the retained window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gone {
    pub oldest: u64,
}

pub struct Store {
    workloads: Vec<Arc<Workload>>,
    namespaces: Vec<NamespaceObj>,
    overlays: HashMap<GroupKey, WorkloadOverlay>,
    deploys: HashMap<String, DeployHistory>,
    nodes: Nodes,
    snapshot: Arc<Snapshot>,
    history: VecDeque<(Instant, Change)>,
    compacted: u64,
    rv: u64,
    dirty: HashSet<GroupKey>,
    last_refresh: Option<Instant>,
    paged: HashMap<u64, (Arc<Snapshot>, Instant)>,
}

/// Namespaces that exist besides the systems'.
pub const RESTRICTED: &str = "restricted";
const EXTRA_NAMESPACES: &[&str] = &["default", "kube-system", "monitoring", RESTRICTED];

/// The system the second cluster runs, and how many replicas each of its services has there.
pub const WEST_SYSTEM: &str = "storefront";
const WEST_REPLICAS: usize = 2;
const WEST_NAMESPACES: &[&str] = &["default", "kube-system"];

impl Store {
    pub fn new(world: &World) -> Self {
        let mut workloads: Vec<Workload> =
            world.services.iter().map(Workload::from_service).collect();
        workloads.extend(Workload::infrastructure());
        let mut names: Vec<String> = world.systems.iter().map(|s| s.name.clone()).collect();
        names.extend(world.services.iter().map(|s| s.namespace.clone()));
        names.extend(EXTRA_NAMESPACES.iter().map(|s| (*s).to_string()));
        Self::with(workloads, names)
    }

    /// The second cluster (the kubeconfig's second context): a regional one running only the
    /// storefront system, two replicas of each service, with no monitoring or restricted
    /// namespace, so switching context changes what is listed.
    pub fn west(world: &World) -> Self {
        let workloads: Vec<Workload> = world
            .services
            .iter()
            .filter(|s| s.system == WEST_SYSTEM)
            .map(|s| Workload {
                replicas: WEST_REPLICAS,
                ..Workload::from_service(s)
            })
            .collect();
        let mut names: Vec<String> = workloads.iter().map(|w| w.namespace.clone()).collect();
        names.extend(WEST_NAMESPACES.iter().map(|s| (*s).to_string()));
        Self::with(workloads, names)
    }

    fn with(workloads: Vec<Workload>, mut names: Vec<String>) -> Self {
        let workloads: Vec<Arc<Workload>> = workloads.into_iter().map(Arc::new).collect();
        let total_pods = workloads.iter().map(|w| w.replicas).sum();
        names.sort();
        names.dedup();
        let base = epoch_base();
        let namespaces = names
            .into_iter()
            .map(|name| {
                let days = 200 - (world::hash_str(&name) % 60) as i64;
                NamespaceObj {
                    name,
                    created: world::epoch() - Duration::days(days),
                }
            })
            .collect();
        Self {
            workloads,
            namespaces,
            overlays: HashMap::new(),
            deploys: HashMap::new(),
            nodes: Nodes::new(total_pods),
            snapshot: Arc::new(Snapshot {
                rv: base,
                groups: BTreeMap::new(),
            }),
            history: VecDeque::new(),
            compacted: base,
            rv: base,
            dirty: HashSet::new(),
            last_refresh: None,
            paged: HashMap::new(),
        }
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.clone()
    }

    pub fn rv(&self) -> u64 {
        self.rv
    }

    /// Brings the objects up to sim time `now` if a tick has passed or a user changed
    /// something. Only workloads whose next change is due are rebuilt.
    pub fn refresh(&mut self, world: &World, now: Time) {
        let due = self.last_refresh.is_none_or(|t| t.elapsed() >= TICK);
        if !due && self.dirty.is_empty() {
            return;
        }
        self.last_refresh = Some(Instant::now());
        let first = self.snapshot.groups.is_empty();
        let mut changes = Vec::new();
        let mut replaced: Vec<(GroupKey, Arc<Group>)> = Vec::new();

        let ns_key: GroupKey = (String::new(), String::new());
        if first {
            let objs = self
                .namespaces
                .iter()
                .cloned()
                .map(Obj::Namespace)
                .collect();
            let mut kinds: [Vec<Entry>; KINDS] = Default::default();
            kinds[Kind::Namespace.index()] = diff(&[], objs, &mut self.rv, &mut changes);
            replaced.push((
                ns_key,
                Arc::new(Group {
                    kinds,
                    next_change: Time::MAX_UTC,
                }),
            ));
        }
        for i in 0..self.workloads.len() {
            let w = self.workloads[i].clone();
            let key: GroupKey = (w.namespace.clone(), w.name.clone());
            let old = self.snapshot.groups.get(&key).cloned();
            let stale =
                old.as_ref().is_none_or(|g| g.next_change <= now) || self.dirty.contains(&key);
            if !stale {
                continue;
            }
            let (built, next_change) = self.build(world, &w, &key, now);
            let empty: [Vec<Entry>; KINDS] = Default::default();
            let old_kinds = old.as_ref().map_or(&empty, |g| &g.kinds);
            let mut kinds: [Vec<Entry>; KINDS] = Default::default();
            let Built {
                deployments,
                replicasets,
                pods,
                events,
            } = built;
            for (kind, objs) in [
                (Kind::Deployment, deployments),
                (Kind::ReplicaSet, replicasets),
                (Kind::Pod, pods),
                (Kind::Event, events),
            ] {
                kinds[kind.index()] =
                    diff(&old_kinds[kind.index()], objs, &mut self.rv, &mut changes);
            }
            replaced.push((key, Arc::new(Group { kinds, next_change })));
        }
        self.dirty.clear();
        if replaced.is_empty() {
            return;
        }
        let snapshot = Arc::make_mut(&mut self.snapshot);
        for (key, group) in replaced {
            snapshot.groups.insert(key, group);
        }
        snapshot.rv = self.rv;
        if first {
            // The initial objects are the state a watch starts from, not changes to replay.
            self.compacted = self.rv;
            return;
        }
        let wall = Instant::now();
        self.history.extend(changes.into_iter().map(|c| (wall, c)));
        while let Some((at, change)) = self.history.front() {
            if wall.duration_since(*at) <= HISTORY_WINDOW && self.history.len() <= HISTORY_MAX {
                break;
            }
            self.compacted = change.rv;
            self.history.pop_front();
        }
        self.paged.retain(|_, (_, at)| at.elapsed() < PAGED_TTL);
    }

    fn build(
        &mut self,
        world: &World,
        w: &Arc<Workload>,
        key: &GroupKey,
        now: Time,
    ) -> (Built, Time) {
        let mut next = Next::new(now, now + Duration::hours(6));
        let history = if w.from_world {
            let cached = self.deploys.get(&w.name).filter(|h| h.valid_until > now);
            let h = match cached {
                Some(h) => h.clone(),
                None => {
                    let h = model::deploy_history(world, &w.name, now);
                    self.deploys.insert(w.name.clone(), h.clone());
                    h
                }
            };
            next.reached(h.valid_until);
            Some(h)
        } else {
            None
        };
        let overlay = self.overlays.get(key).cloned().unwrap_or_default();
        let versions = model::versions(w, history.as_ref(), &overlay, now, &mut next);
        let built = model::build_workload(w, &versions, &overlay, &self.nodes, now, &mut next);
        (built, next.at)
    }

    /// Changes after `rv`, oldest first; `Gone` when `rv` is older than the window.
    pub fn changes_since(&self, rv: u64) -> Result<Vec<Change>, Gone> {
        if rv < self.compacted {
            return Err(Gone {
                oldest: self.compacted,
            });
        }
        let from = self.history.partition_point(|(_, c)| c.rv <= rv);
        Ok(self.history.range(from..).map(|(_, c)| c.clone()).collect())
    }

    /// Keeps this snapshot readable for the continue tokens of a paginated list.
    pub fn keep_for_paging(&mut self, snapshot: &Arc<Snapshot>) {
        self.paged
            .entry(snapshot.rv)
            .or_insert_with(|| (snapshot.clone(), Instant::now()));
    }

    pub fn paged(&self, rv: u64) -> Option<Arc<Snapshot>> {
        if rv == self.snapshot.rv {
            return Some(self.snapshot.clone());
        }
        self.paged.get(&rv).map(|(s, _)| s.clone())
    }

    /// Adds a workload that appeared after the start (a launched service), once; its objects
    /// come with the next refresh as ADDED changes a watch replays.
    pub fn adopt(&mut self, w: Workload) {
        if self
            .workloads
            .iter()
            .any(|o| o.namespace == w.namespace && o.name == w.name)
        {
            return;
        }
        self.dirty.insert((w.namespace.clone(), w.name.clone()));
        self.workloads.push(Arc::new(w));
    }

    pub fn overlay_mut(&mut self, namespace: &str, name: &str) -> &mut WorkloadOverlay {
        let key = (namespace.to_string(), name.to_string());
        self.dirty.insert(key.clone());
        self.overlays.entry(key).or_default()
    }
}

/// Where this start's resourceVersions begin: the start's wall-clock milliseconds in the high
/// bits. A client that watches from a version it got before the sim restarted is then older
/// than anything this start holds and gets 410 Gone, as from a real API server whose history
/// no longer has that version, and re-lists; counting from zero again made such a version
/// look current (or from the future) and the client kept objects that no longer exist.
fn epoch_base() -> u64 {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    // 2^20 versions per millisecond between two starts; 2^41 ms is the year 2039 and more.
    millis << 20
}

/// Merges a workload's freshly built objects of one kind into its previous entries: equal
/// objects keep their resourceVersion, others get a new one and a change to replay.
fn diff(old: &[Entry], mut new: Vec<Obj>, rv: &mut u64, changes: &mut Vec<Change>) -> Vec<Entry> {
    new.sort_by(|a, b| a.name().cmp(b.name()));
    let mut out = Vec::with_capacity(new.len());
    let mut old_iter = old.iter().peekable();
    let mut record = |ty, obj: Arc<Obj>, rv: &mut u64| {
        *rv += 1;
        changes.push(Change { rv: *rv, ty, obj });
        *rv
    };
    for obj in new {
        while let Some(o) = old_iter.next_if(|o| o.obj.name() < obj.name()) {
            record(ChangeType::Deleted, o.obj.clone(), rv);
        }
        match old_iter.next_if(|o| o.obj.name() == obj.name()) {
            Some(o) if *o.obj == obj => out.push(o.clone()),
            Some(_) => {
                let obj = Arc::new(obj);
                let at = record(ChangeType::Modified, obj.clone(), rv);
                out.push(Entry { obj, rv: at });
            }
            None => {
                let obj = Arc::new(obj);
                let at = record(ChangeType::Added, obj.clone(), rv);
                out.push(Entry { obj, rv: at });
            }
        }
    }
    for o in old_iter {
        record(ChangeType::Deleted, o.obj.clone(), rv);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;

    #[test]
    fn the_crash_shows_as_modified_pods_and_old_versions_are_gone() {
        let world = World::new(SimConfig::default());
        let mut store = Store::new(&world);
        store.refresh(&world, world::epoch());
        let snap = store.snapshot();
        let pods: Vec<_> = snap.entries(Kind::Pod, Some("payments"), None).collect();
        assert!(!pods.is_empty());
        let start_rv = store.rv();
        assert!(
            store
                .changes_since(start_rv)
                .expect("current rv is replayable")
                .is_empty()
        );

        // Force a rebuild far enough into the story that payments-api crash-loops.
        store.last_refresh = None;
        store.refresh(&world, world::epoch() + Duration::minutes(9));
        let changes = store.changes_since(start_rv).expect("still in the window");
        assert!(
            changes
                .iter()
                .any(|c| c.ty == ChangeType::Added && c.obj.kind() == Kind::Pod)
        );
        assert!(
            changes
                .iter()
                .any(|c| c.ty == ChangeType::Deleted && c.obj.kind() == Kind::Pod)
        );
        let crashing = store
            .snapshot()
            .entries(Kind::Pod, Some("payments"), None)
            .filter(|(_, e)| matches!(&*e.obj, Obj::Pod(p) if p.workload.name == "payments-api" && p.timeline.restarts > 0))
            .count();
        assert_eq!(crashing, 3, "every payments-api pod restarts");
        assert!(changes.windows(2).all(|w| w[0].rv < w[1].rv));
        assert_eq!(
            store.changes_since(0).err(),
            Some(Gone { oldest: start_rv })
        );
    }

    #[test]
    fn an_adopted_workload_appears_as_added_objects() {
        let world = World::new(SimConfig::default());
        let mut store = Store::new(&world);
        let now = world::epoch();
        store.refresh(&world, now);
        let rv = store.rv();
        let mut w = Workload::infrastructure().remove(0);
        w.name = "billing".into();
        w.namespace = "default".into();
        w.created = now;
        store.adopt(w.clone());
        store.adopt(w);
        store.refresh(&world, now + Duration::minutes(1));
        let added: Vec<Kind> = store
            .changes_since(rv)
            .expect("in the window")
            .iter()
            .filter(|c| c.ty == ChangeType::Added)
            .map(|c| c.obj.kind())
            .collect();
        assert!(added.contains(&Kind::Deployment), "{added:?}");
        assert!(added.contains(&Kind::Pod), "{added:?}");
        let deployments = store
            .snapshot()
            .entries(Kind::Deployment, Some("default"), None)
            .count();
        assert_eq!(deployments, 1, "adopted once");
    }

    #[test]
    fn paging_resumes_after_the_cursor() {
        let world = World::new(SimConfig::default());
        let mut store = Store::new(&world);
        store.refresh(&world, world::epoch());
        let snap = store.snapshot();
        let all: Vec<String> = snap
            .entries(Kind::Pod, None, None)
            .map(|(_, e)| e.obj.name().to_string())
            .collect();
        let (k, e) = snap
            .entries(Kind::Pod, None, None)
            .nth(4)
            .expect("more than five pods");
        let cursor = Cursor {
            group: k.clone(),
            name: e.obj.name().to_string(),
        };
        let rest: Vec<String> = snap
            .entries(Kind::Pod, None, Some(&cursor))
            .map(|(_, e)| e.obj.name().to_string())
            .collect();
        assert_eq!(rest, all[5..]);
    }
}
