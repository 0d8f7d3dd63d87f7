//! Alerts from one or several Alertmanagers, as an on-call engineer triages them: deduplicated
//! across HA pairs, grouped by service then alert name, filtered with the matcher syntax, and
//! the silences that mute them. Everything derived (merge, groups, filter, per-service counts,
//! wrapped detail text) is computed here when data or the filter changes, never while drawing.

use std::cmp::Reverse;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use smallvec::{SmallVec, smallvec};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::cursor::Cursor;
use super::input::TextInput;
use super::join::{AlertSummary, ServiceTarget};
use super::matchers::Filter;
use super::source::Fetched;
pub use crate::wire::alertmanager::{AlertState, LabelSet, Matcher, SilenceState};

/// How bad an alert is, from its `severity` label, in the order the list shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    Critical,
    Error,
    Warning,
    Info,
    /// No severity label, or one this code does not know (`none` for the Watchdog).
    Other,
}

impl Severity {
    pub fn of(label: Option<&str>) -> Severity {
        match label.map(str::to_ascii_lowercase).as_deref() {
            Some("critical" | "page" | "emergency" | "fatal" | "p1") => Severity::Critical,
            Some("error" | "major" | "high" | "p2") => Severity::Error,
            Some("warning" | "warn" | "minor" | "medium" | "p3") => Severity::Warning,
            Some("info" | "informational" | "low" | "p4" | "p5") => Severity::Info,
            _ => Severity::Other,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Other => "-",
        }
    }
}

/// One alert as one Alertmanager reported it; every string was sanitised by the provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub fingerprint: String,
    pub labels: LabelSet,
    /// Values are multi-line text.
    pub annotations: LabelSet,
    /// Labels whose value sanitising changed: a silence matcher built from the shown value would
    /// not match the real one, so the silence form leaves them out.
    #[serde(default)]
    pub tainted: Vec<String>,
    pub starts_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub state: AlertState,
    pub silenced_by: Vec<String>,
    pub inhibited_by: Vec<String>,
    #[serde(default)]
    pub muted_by: Vec<String>,
    pub receivers: Vec<String>,
    /// Only when it is a plain http(s) URL.
    pub generator_url: Option<String>,
    /// The `runbook_url` annotation, only when it is a plain http(s) URL.
    pub runbook_url: Option<String>,
    pub severity: Severity,
    /// Lower-cased text the free-text filter searches: label values and the summary.
    pub search: String,
}

impl Alert {
    /// Fills the derived fields (severity, search text) from labels and annotations.
    pub fn derive(&mut self) {
        self.severity = Severity::of(self.labels.get("severity").map(String::as_str));
        let mut search = String::new();
        for v in self.labels.values() {
            search.push_str(v);
            search.push(' ');
        }
        if let Some(s) = self.annotations.get("summary") {
            search.push_str(s);
        }
        self.search = search.to_lowercase();
    }

    pub fn name(&self) -> &str {
        self.labels.get("alertname").map_or("", String::as_str)
    }

    pub fn summary(&self) -> &str {
        self.annotations
            .get("summary")
            .or_else(|| self.annotations.get("message"))
            .or_else(|| self.annotations.get("description"))
            .map_or("", String::as_str)
    }

    /// Silenced, inhibited or muted by a time interval.
    pub fn is_muted(&self) -> bool {
        self.state == AlertState::Suppressed
            || !self.silenced_by.is_empty()
            || !self.inhibited_by.is_empty()
            || !self.muted_by.is_empty()
    }
}

/// A silence as one Alertmanager reported it; strings sanitised by the provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Silence {
    pub id: String,
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
    pub state: SilenceState,
}

impl Silence {
    /// An acknowledgement: a short silence with the recognisable comment the `a` key writes.
    pub fn is_ack(&self) -> bool {
        self.comment.starts_with(ACK_PREFIX)
    }
}

/// The comment of an acknowledgement starts with this, as karma's does, so people and tools
/// (kthxbye) recognise it.
pub(crate) const ACK_PREFIX: &str = "ACK!";

/// An Alertmanager's HA cluster as its status reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cluster {
    /// `ready`, `settling` or `disabled`.
    pub status: String,
    /// This instance's peer name.
    pub name: Option<String>,
    pub peers: Vec<String>,
}

/// What one Alertmanager said at one poll. The status' configuration is never part of it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InstanceData {
    pub alerts: Vec<Alert>,
    pub silences: Vec<Silence>,
    pub version: Option<String>,
    pub cluster: Option<Cluster>,
}

impl InstanceData {
    /// Equal in what the screen shows: alerts are re-sent every few seconds, which moves their
    /// `updatedAt` and `endsAt` without changing anything a person would see.
    pub(crate) fn same_shown(&self, other: &InstanceData) -> bool {
        self.version == other.version
            && self.silences == other.silences
            && self.alerts.len() == other.alerts.len()
            && self.alerts.iter().zip(&other.alerts).all(|(a, b)| {
                a.fingerprint == b.fingerprint
                    && a.state == b.state
                    && a.starts_at == b.starts_at
                    && a.silenced_by == b.silenced_by
                    && a.inhibited_by == b.inhibited_by
                    && a.muted_by == b.muted_by
                    && a.annotations == b.annotations
            })
    }
}

/// One configured Alertmanager and its last data.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub name: String,
    /// The label that names an alert's service.
    pub service_label: String,
    data: Option<Fetched<InstanceData>>,
    /// What merging needs of `data`, read from it once; `None` until the next rebuild.
    prep: Option<Prep>,
}

impl Instance {
    pub fn new(name: String, service_label: String, data: Option<Fetched<InstanceData>>) -> Self {
        Instance {
            name,
            service_label,
            data,
            prep: None,
        }
    }

    pub fn data(&self) -> Option<&Fetched<InstanceData>> {
        self.data.as_ref()
    }

    /// Moves the data out, as when the configuration is reloaded.
    pub(crate) fn take_data(&mut self) -> Option<Fetched<InstanceData>> {
        self.prep = None;
        self.data.take()
    }

    /// Takes a poll's data; says whether anything shown changed, and hands back the data it
    /// replaces. Unchanged alerts keep what was read from them, so an unchanged poll costs no
    /// rebuild.
    pub(crate) fn set_data(
        &mut self,
        data: Fetched<InstanceData>,
    ) -> (bool, Option<Fetched<InstanceData>>) {
        let changed = self
            .data
            .as_ref()
            .is_none_or(|old| !old.value.same_shown(&data.value));
        if changed {
            self.prep = None;
        }
        (changed, self.data.replace(data))
    }
}

/// What merging, grouping and filtering need of one Alertmanager's alerts, read once when its
/// data arrives: label maps are trees of separately allocated strings, slow to walk 5,000 at a
/// time, so a rebuild reads these plain numbers instead.
#[derive(Debug, Clone, Default, PartialEq)]
struct Prep {
    alerts: Vec<Prepared>,
    /// The distinct alert names, which `Prepared::name` indexes.
    names: Vec<Box<str>>,
    /// The distinct values of the service label, which `Prepared::service` indexes.
    services: Vec<Box<str>>,
    /// Whether each alert passes the filter `passes_for`, when known: filled as rebuilds and
    /// refilters need it, so alerts that another instance also reported are never matched.
    passes: Vec<Option<bool>>,
    passes_for: String,
}

#[derive(Debug, Clone, PartialEq)]
struct Prepared {
    fp: FpKey,
    name: u32,
    service: Option<u32>,
    severity: Severity,
    muted: bool,
    starts_at: DateTime<Utc>,
}

impl Prep {
    fn of(data: Option<&Fetched<InstanceData>>, service_label: &str) -> Prep {
        let alerts = data.map_or(&[][..], |d| &d.value.alerts[..]);
        let mut names: FxHashMap<&str, u32> = FxHashMap::default();
        let mut services: FxHashMap<&str, u32> = FxHashMap::default();
        let intern = |map: &mut FxHashMap<_, u32>, s| {
            let next = map.len() as u32;
            *map.entry(s).or_insert(next)
        };
        let prepared = alerts
            .iter()
            .map(|a| Prepared {
                fp: FpKey::of(&a.fingerprint),
                name: intern(&mut names, a.name()),
                service: a
                    .labels
                    .get(service_label)
                    .map(|s| intern(&mut services, s.as_str())),
                severity: a.severity,
                muted: a.is_muted(),
                starts_at: a.starts_at,
            })
            .collect();
        let table = |map: FxHashMap<&str, u32>| {
            let mut out = vec![Box::<str>::default(); map.len()];
            for (s, i) in map {
                out[i as usize] = s.into();
            }
            out
        };
        Prep {
            alerts: prepared,
            names: table(names),
            services: table(services),
            passes: vec![None; alerts.len()],
            passes_for: String::new(),
        }
    }

    /// Forgets the filter's answers when the filter is not the one they were for.
    fn filter_is(&mut self, text: &str) {
        if self.passes_for != text {
            self.passes.fill(None);
            text.clone_into(&mut self.passes_for);
        }
    }
}

/// An alert shown once however many Alertmanagers reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedAlert {
    /// Where the alert's data is: `instances[inst].data.alerts[idx]`.
    pub inst: usize,
    pub idx: usize,
    /// Indices of every instance that reported it, first one included.
    pub seen_on: SmallVec<[usize; 2]>,
    /// The service's catalog ref, when the label names a catalog service.
    pub service_ref: Option<Arc<str>>,
    /// The service's name as shown: the catalog name, else the raw label, else empty. Shared
    /// by every alert of the service, so a rebuild does not copy it per alert.
    pub service: Arc<str>,
}

/// A silence shown once however many Alertmanagers of an HA pair hold it.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedSilence {
    pub inst: usize,
    pub idx: usize,
    pub seen_on: SmallVec<[usize; 2]>,
}

/// A row of the alerts list.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    /// A service's header: its counts over the alerts shown below it.
    Service {
        service: String,
        service_ref: Option<String>,
        counts: AlertSummary,
        shown: usize,
        collapsed: bool,
    },
    /// Index into `merged`.
    Alert(usize),
}

/// Which list the screen shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AlertsView {
    #[default]
    Alerts,
    Silences,
}

/// What a line of the alert detail is, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Heading,
    /// `key` in the key column, text beside it.
    Field,
    /// A continuation of a wrapped value.
    Text,
    Link,
    Muted,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailLine {
    pub kind: LineKind,
    pub key: String,
    pub text: String,
}

/// The open alert detail: its text wrapped for one width, kept until the width changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    pub fingerprint: String,
    pub scroll: usize,
    pub width: usize,
    pub lines: Vec<DetailLine>,
}

/// Duration presets of the silence form, then a typed duration.
pub const PRESETS: [&str; 5] = ["15m", "1h", "4h", "until tomorrow 09:00", "typed"];
pub const PRESET_TYPED: usize = 4;
pub(crate) const PRESET_TOMORROW: usize = 3;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FormField {
    #[default]
    Matchers,
    Duration,
    Comment,
}

/// The silence form, as pure data: `update` edits it, `view` draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct SilenceForm {
    pub matchers: TextInput,
    pub preset: usize,
    pub typed: TextInput,
    pub comment: TextInput,
    pub focus: FormField,
    /// Indices into `merged` of every alert the matchers select now.
    pub preview: Vec<usize>,
    /// What is wrong with the form, shown under it.
    pub error: Option<String>,
    /// Instances the silence goes to (one per HA cluster).
    pub targets: Vec<usize>,
    /// Set when the form edits an existing silence: Alertmanager replaces a silence posted
    /// with its id, so the edit keeps its history instead of stacking a second one.
    pub editing: Option<Editing>,
}

/// The silence a form edits.
#[derive(Debug, Clone, PartialEq)]
pub struct Editing {
    pub id: String,
    pub starts_at: DateTime<Utc>,
}

/// When a silence ends, in terms the provider turns into the server's clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SilenceEnd {
    /// This many seconds from now.
    For(i64),
    /// At this local instant (for `until tomorrow 09:00`).
    At(DateTime<Utc>),
    /// An acknowledgement extended: from the later of its end and now, this many seconds on.
    Extend {
        ends_at: DateTime<Utc>,
        by_secs: i64,
    },
}

/// A silence to create or update, ready for the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilenceDraft {
    /// Set to update in place (extend an acknowledgement).
    pub id: Option<String>,
    pub matchers: Vec<Matcher>,
    /// Kept when updating, so the server can update in place.
    pub starts_at: Option<DateTime<Utc>>,
    pub end: SilenceEnd,
    pub created_by: String,
    pub comment: String,
}

/// What the cockpit knows about alerts.
#[derive(Debug, Clone, Default)]
pub struct AlertsState {
    pub instances: Vec<Instance>,
    /// Author of silences: `[general] created_by`, else the user's name.
    pub created_by: String,
    /// The local time zone's offset, for `until tomorrow 09:00`.
    pub utc_offset_secs: i32,
    /// How long an acknowledgement silences, and how much extending it adds.
    pub ack_minutes: i64,
    pub merged: Vec<MergedAlert>,
    /// Active and pending silences, active ones ending soonest first.
    pub silences: Vec<MergedSilence>,
    /// Per entry of `silences`, how many alerts firing now its matchers select, counted when
    /// the data changes so the silences list reads a number.
    pub silence_matches: Vec<usize>,
    pub rows: Vec<Row>,
    /// Alerts the filter let through but the muted toggle hides.
    pub hidden_muted: usize,
    /// Alerts shown (not counting headers).
    pub shown: usize,
    pub filter_errors: Vec<String>,
    pub show_muted: bool,
    pub collapsed: BTreeSet<String>,
    /// The catalog named services at the last rebuild, so an unmatched label means something.
    pub catalog_known: bool,
    pub view: AlertsView,
    /// The cursor of the list not shown now, put back when switching.
    pub other_cursor: Cursor,
    pub detail: Option<Detail>,
    pub form: Option<SilenceForm>,
    summaries: HashMap<String, AlertSummary>,
    /// The keys (service refs, or names where the label named no catalog service) whose
    /// summary the last rebuilds changed, for the Overview to join again; taken by
    /// [`Self::take_moved_summaries`].
    moved_summaries: Vec<String>,
    fingerprints: FxHashMap<FpKey, usize>,
    /// Per merged alert, what grouping needs, so regrouping reads no alert data.
    facts: Vec<Facts>,
    /// How many service ranks `facts` uses.
    service_ranks: usize,
    /// The last filter text and its parse, so a refresh does not recompile its regexes.
    filter: Option<(String, Filter)>,
}

/// A fingerprint as a map key: Alertmanager's 16 lower-case hex digits as their number, so
/// merging copies no string; anything else as it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum FpKey {
    Hex(u64),
    Text(Box<str>),
}

impl FpKey {
    /// The fingerprint as a number, when it is Alertmanager's 16 hex digits.
    fn number(&self) -> Option<u64> {
        match self {
            FpKey::Hex(n) => Some(*n),
            FpKey::Text(_) => None,
        }
    }

    fn of(fingerprint: &str) -> FpKey {
        if let Ok(bytes) = <[u8; 16]>::try_from(fingerprint.as_bytes()) {
            // Without a branch per digit: the digits are random, so branches would mispredict.
            let (mut n, mut bad) = (0u64, 0u8);
            for b in bytes {
                let digit = HEX_DIGIT[usize::from(b)];
                bad |= digit;
                n = n << 4 | u64::from(digit & 0xf);
            }
            if bad & NOT_HEX == 0 {
                return FpKey::Hex(n);
            }
        }
        FpKey::Text(fingerprint.into())
    }
}

/// Marks a byte that is not a lower-case hex digit in [`HEX_DIGIT`].
const NOT_HEX: u8 = 0x80;

/// Each byte's value as a lower-case hex digit, else [`NOT_HEX`].
const HEX_DIGIT: [u8; 256] = {
    let mut table = [NOT_HEX; 256];
    let mut d = 0;
    while d < 10 {
        table[b'0' as usize + d] = d as u8;
        d += 1;
    }
    let mut d = 0;
    while d < 6 {
        table[b'a' as usize + d] = 10 + d as u8;
        d += 1;
    }
    table
};

/// What grouping and sorting need of a merged alert, as plain numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Facts {
    /// Rank of its service's shown name (unnamed last); equal names, equal ranks.
    service: usize,
    /// Rank of its alert name.
    name: usize,
    severity: Severity,
    muted: bool,
    /// Whether the `/` filter lets it through.
    passes: bool,
    starts_at: DateTime<Utc>,
    /// Its fingerprint as a number, which orders as the hex text does; `None` for another
    /// form, compared as text.
    fp: Option<u64>,
}

/// Ranks packed into the sort key take 29 bits each: far more services and alert names than
/// alerts anyone holds.
const SORT_RANK_MASK: u64 = (1 << 29) - 1;

/// Dense ranks of `0..n` in the order `cmp` gives: equal items share a rank.
fn ranks(n: usize, cmp: impl Fn(usize, usize) -> std::cmp::Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|&a, &b| cmp(a, b));
    let mut rank = vec![0; n];
    let mut r = 0;
    for (k, &i) in order.iter().enumerate() {
        if k > 0 && cmp(order[k - 1], i) != std::cmp::Ordering::Equal {
            r += 1;
        }
        rank[i] = r;
    }
    rank
}

impl AlertsState {
    /// The keys whose summary changed since this was last asked: service refs, or names
    /// (what [`Self::alert_summary`] falls back to).
    pub fn take_moved_summaries(&mut self) -> Vec<String> {
        std::mem::take(&mut self.moved_summaries)
    }

    /// Firing, unmuted alerts of a service by severity, for the Overview.
    pub(crate) fn alert_summary(&self, service: &str) -> super::join::AlertSummary {
        self.summaries
            .get(service)
            .or_else(|| {
                service
                    .rsplit_once('/')
                    .and_then(|(_, name)| self.summaries.get(name))
            })
            .copied()
            .unwrap_or_default()
    }

    pub(crate) fn instance_index(&self, name: &str) -> Option<usize> {
        self.instances.iter().position(|i| i.name == name)
    }

    pub fn alert(&self, merged: &MergedAlert) -> Option<&Alert> {
        self.instances
            .get(merged.inst)?
            .data
            .as_ref()?
            .value
            .alerts
            .get(merged.idx)
    }

    pub fn silence(&self, merged: &MergedSilence) -> Option<&Silence> {
        self.instances
            .get(merged.inst)?
            .data
            .as_ref()?
            .value
            .silences
            .get(merged.idx)
    }

    /// The merged alert with this fingerprint.
    pub fn by_fingerprint(&self, fingerprint: &str) -> Option<&MergedAlert> {
        self.fingerprints
            .get(&FpKey::of(fingerprint))
            .and_then(|i| self.merged.get(*i))
    }

    /// A silence by id, from whichever instance has it.
    pub fn silence_by_id(&self, id: &str) -> Option<&Silence> {
        self.instances
            .iter()
            .filter_map(|i| i.data.as_ref())
            .flat_map(|d| d.value.silences.iter())
            .find(|s| s.id == id)
    }

    /// The alert under the list's cursor, when the row is an alert.
    pub(crate) fn alert_at_row(&self, row: usize) -> Option<(usize, &MergedAlert)> {
        match self.rows.get(row)? {
            Row::Alert(i) => Some((*i, self.merged.get(*i)?)),
            Row::Service { .. } => None,
        }
    }

    /// Merges the instances' data and recomputes the per-service counts, then the rows.
    /// `targets` are the catalog's services, to name an alert's service by its catalog entry.
    ///
    /// Reads each instance's [`Prep`] rather than its alerts: an alert's labels are walked
    /// only when its instance's data is new, and for the filter when no earlier rebuild or
    /// refilter answered it. What grouping and sorting need is kept beside `merged` as plain
    /// numbers, so a later `refilter` does not walk the merge again.
    pub fn rebuild(&mut self, targets: &[ServiceTarget], filter_text: &str) {
        self.catalog_known = !targets.is_empty();
        self.parse_filter(filter_text);
        let Some((_, filter)) = &self.filter else {
            return;
        };
        let mut memo = filter.memo();
        // Targets by name and by the alert names they claim, as indices; on duplicates the
        // last one wins, as when collecting into a map.
        let mut by_name: FxHashMap<&str, usize> = FxHashMap::default();
        let mut by_alert: FxHashMap<&str, usize> = FxHashMap::default();
        for (t, target) in targets.iter().enumerate() {
            by_name.insert(target.name.as_str(), t);
            for n in &target.alert_names {
                if n.as_str() != "all" {
                    by_alert.insert(n.as_str(), t);
                }
            }
        }
        // Every distinct (catalog ref, shown name) an alert resolves to is a slot, made once:
        // alerts share its strings, and grouping and counting work on its index.
        let mut slots: Vec<(Option<Arc<str>>, Arc<str>)> = Vec::new();
        let new_slot = |slots: &mut Vec<_>, service_ref: Option<&str>, service: &str| {
            slots.push((service_ref.map(Arc::from), Arc::from(service)));
            slots.len() - 1
        };
        // Firing, unmuted alerts per slot by severity, for the Overview's counts.
        let mut counts: Vec<AlertSummary> = Vec::new();
        let mut target_slots: Vec<Option<usize>> = vec![None; targets.len()];
        let mut raw_slots: FxHashMap<&str, usize> = FxHashMap::default();
        let mut no_service: Option<usize> = None;
        let mut name_ids: FxHashMap<&str, usize> = FxHashMap::default();
        let capacity = self.merged.len();
        // Per merged alert: its slot and name id (ranked below), then its facts. The last
        // rebuild's buffers are reused: allocating them anew costs more than filling them.
        let mut found: Vec<(usize, usize)> = Vec::with_capacity(capacity);
        let mut facts = std::mem::take(&mut self.facts);
        facts.clear();
        let mut merged = std::mem::take(&mut self.merged);
        merged.clear();
        self.fingerprints.clear();
        let mut silence_ids: HashMap<&str, usize> = HashMap::new();
        let mut silences: Vec<MergedSilence> = Vec::new();
        for (inst, instance) in self.instances.iter_mut().enumerate() {
            let Instance {
                service_label,
                data,
                prep,
                ..
            } = instance;
            let Some(data) = data.as_ref() else { continue };
            let prep = prep.get_or_insert_with(|| Prep::of(Some(data), service_label));
            prep.filter_is(filter_text);
            let Prep {
                alerts: prepared,
                names,
                services,
                passes,
                ..
            } = prep;
            // The instance's names and label values, resolved once each rather than per alert.
            let name_of: Vec<(usize, Option<usize>)> = names
                .iter()
                .map(|n| {
                    let next = name_ids.len();
                    let id = *name_ids.entry(&**n).or_insert(next);
                    (id, by_alert.get(&**n).copied())
                })
                .collect();
            let service_of: Vec<Option<usize>> = services
                .iter()
                .map(|l| by_name.get(&**l).copied())
                .collect();
            let mut raw_of: Vec<Option<usize>> = vec![None; services.len()];
            for (idx, (p, passes)) in prepared.iter().zip(passes.iter_mut()).enumerate() {
                match self.fingerprints.entry(p.fp.clone()) {
                    Entry::Occupied(e) => {
                        if let Some(merged) = merged.get_mut(*e.get()) {
                            merged.seen_on.push(inst);
                        }
                        continue;
                    }
                    Entry::Vacant(e) => {
                        e.insert(merged.len());
                    }
                }
                let (name_id, by_alert) = name_of[p.name as usize];
                let label = p.service.map(|s| s as usize);
                let slot = match (label.and_then(|l| service_of[l]).or(by_alert), label) {
                    (Some(t), _) => *target_slots[t].get_or_insert_with(|| {
                        new_slot(&mut slots, Some(&targets[t].service), &targets[t].name)
                    }),
                    (None, Some(l)) => *raw_of[l].get_or_insert_with(|| {
                        let value: &str = &services[l];
                        *raw_slots
                            .entry(value)
                            .or_insert_with(|| new_slot(&mut slots, None, value))
                    }),
                    (None, None) => {
                        *no_service.get_or_insert_with(|| new_slot(&mut slots, None, ""))
                    }
                };
                let (service_ref, service) = &slots[slot];
                if !p.muted && !service.is_empty() {
                    if counts.len() <= slot {
                        counts.resize(slot + 1, AlertSummary::default());
                    }
                    count(&mut counts[slot], p.severity);
                }
                let passes = *passes.get_or_insert_with(|| {
                    data.value
                        .alerts
                        .get(idx)
                        .is_some_and(|a| filter.matches_memo(&a.labels, &a.search, &mut memo))
                });
                facts.push(Facts {
                    service: 0,
                    name: 0,
                    severity: p.severity,
                    muted: p.muted,
                    passes,
                    starts_at: p.starts_at,
                    fp: p.fp.number(),
                });
                merged.push(MergedAlert {
                    inst,
                    idx,
                    seen_on: smallvec![inst],
                    service_ref: service_ref.clone(),
                    service: service.clone(),
                });
                found.push((slot, name_id));
            }
            for (idx, silence) in data.value.silences.iter().enumerate() {
                if silence.state == SilenceState::Expired {
                    continue;
                }
                match silence_ids.get(silence.id.as_str()) {
                    Some(&m) => silences[m].seen_on.push(inst),
                    None => {
                        silence_ids.insert(silence.id.as_str(), silences.len());
                        silences.push(MergedSilence {
                            inst,
                            idx,
                            seen_on: smallvec![inst],
                        });
                    }
                }
            }
        }
        self.filter_errors.clone_from(&filter.errors);
        self.merged = merged;
        // The order the list groups in, as ranks: services by name (unnamed last), alert
        // names by name. Equal names get equal ranks, so grouping goes by the name shown.
        let service_rank = ranks(slots.len(), |a, b| {
            let (a, b) = (&*slots[a].1, &*slots[b].1);
            (a.is_empty(), a).cmp(&(b.is_empty(), b))
        });
        let names: Vec<&str> = {
            let mut names = vec![""; name_ids.len()];
            for (n, &id) in &name_ids {
                names[id] = n;
            }
            names
        };
        let name_rank = ranks(names.len(), |a, b| names[a].cmp(names[b]));
        self.service_ranks = service_rank.iter().map(|r| r + 1).max().unwrap_or(0);
        for (f, &(slot, name)) in facts.iter_mut().zip(&found) {
            f.service = service_rank[slot];
            f.name = name_rank[name];
        }
        self.facts = facts;

        let silence_key = |m: &MergedSilence| {
            self.instances
                .get(m.inst)
                .and_then(|i| i.data.as_ref())
                .and_then(|d| d.value.silences.get(m.idx))
                .map(|s| (s.state != SilenceState::Active, s.ends_at, s.id.clone()))
        };
        silences.sort_by_cached_key(silence_key);
        // Matched by the silence's own matchers rather than Alertmanager's `silencedBy`, so a
        // pending silence says what it will mute once it starts.
        self.silence_matches = silences
            .iter()
            .map(|m| {
                self.instances
                    .get(m.inst)
                    .and_then(|i| i.data.as_ref())
                    .and_then(|d| d.value.silences.get(m.idx))
                    .map_or(0, |s| {
                        preview(&self.instances, &self.merged, &s.matchers).len()
                    })
            })
            .collect();
        self.silences = silences;

        let before = std::mem::take(&mut self.summaries);
        for ((service_ref, service), c) in slots.iter().zip(&counts) {
            if c.total() == 0 {
                continue;
            }
            let key = service_ref.as_deref().unwrap_or(service);
            let s = self.summaries.entry(key.to_string()).or_default();
            s.critical += c.critical;
            s.warning += c.warning;
            s.other += c.other;
        }
        for (key, summary) in &self.summaries {
            if before.get(key) != Some(summary) {
                self.moved_summaries.push(key.clone());
            }
        }
        for key in before.keys() {
            if !self.summaries.contains_key(key) {
                self.moved_summaries.push(key.clone());
            }
        }
        self.regroup();
    }

    /// Parses the `/` filter unless it is the one parsed last.
    fn parse_filter(&mut self, filter_text: &str) {
        if self
            .filter
            .as_ref()
            .is_none_or(|(text, _)| text != filter_text)
        {
            self.filter = Some((filter_text.to_string(), Filter::parse(filter_text)));
        }
    }

    /// Recomputes the rows for the `/` filter, the muted toggle and the collapsed services.
    pub fn refilter(&mut self, filter_text: &str) {
        self.parse_filter(filter_text);
        let Some((_, filter)) = &self.filter else {
            return;
        };
        self.filter_errors.clone_from(&filter.errors);
        let mut memo = filter.memo();
        for (m, f) in self.merged.iter().zip(self.facts.iter_mut()) {
            let alert = self
                .instances
                .get(m.inst)
                .and_then(|i| i.data.as_ref())
                .and_then(|d| d.value.alerts.get(m.idx));
            f.passes = alert.is_some_and(|a| filter.matches_memo(&a.labels, &a.search, &mut memo));
        }
        // Kept with the instances' data too, so the next poll's rebuild matches only new alerts.
        for prep in self.instances.iter_mut().filter_map(|i| i.prep.as_mut()) {
            prep.filter_is(filter_text);
        }
        for (m, f) in self.merged.iter().zip(&self.facts) {
            let slot = self
                .instances
                .get_mut(m.inst)
                .and_then(|i| i.prep.as_mut())
                .and_then(|p| p.passes.get_mut(m.idx));
            if let Some(slot) = slot {
                *slot = Some(f.passes);
            }
        }
        self.regroup();
    }

    /// The rows from the facts kept by `rebuild` and `refilter`: the alerts the filter and the
    /// muted toggle let through, grouped by service (services with the worst alert first, then
    /// by name), inside by alert name, then severity, newest first.
    fn regroup(&mut self) {
        let mut hidden_muted = 0;
        let mut worst = vec![Severity::Other; self.service_ranks];
        let mut keep: Vec<(u64, Reverse<DateTime<Utc>>, usize)> =
            Vec::with_capacity(self.facts.len());
        for (i, f) in self.facts.iter().enumerate() {
            if !f.passes {
                continue;
            }
            if f.muted && !self.show_muted {
                hidden_muted += 1;
                continue;
            }
            let w = &mut worst[f.service];
            *w = (*w).min(f.severity);
            keep.push((0, Reverse(f.starts_at), i));
        }
        // One number per alert for all but the time; the fingerprint breaks the rare tie.
        for (key, _, i) in &mut keep {
            let f = &self.facts[*i];
            *key = (worst[f.service] as u64) << 61
                | (f.service as u64 & SORT_RANK_MASK) << 32
                | (f.name as u64 & SORT_RANK_MASK) << 3
                | f.severity as u64;
        }
        let fingerprint = |i: usize| {
            self.merged
                .get(i)
                .and_then(|m| self.alert(m))
                .map_or("", |a| a.fingerprint.as_str())
        };
        keep.sort_unstable_by(|a, b| {
            (a.0, a.1).cmp(&(b.0, b.1)).then_with(|| {
                match (self.facts[a.2].fp, self.facts[b.2].fp) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    _ => fingerprint(a.2).cmp(fingerprint(b.2)),
                }
            })
        });
        let mut rows = Vec::with_capacity(keep.len() + 16);
        let mut start = 0;
        while start < keep.len() {
            let first = keep[start].2;
            let service = self.facts[first].service;
            let mut end = start;
            let mut counts = AlertSummary::default();
            while end < keep.len() && self.facts[keep[end].2].service == service {
                count(&mut counts, self.facts[keep[end].2].severity);
                end += 1;
            }
            let m = &self.merged[first];
            let collapsed = self.collapsed.contains(&*m.service);
            rows.push(Row::Service {
                service_ref: m.service_ref.as_deref().map(str::to_string),
                service: m.service.to_string(),
                counts,
                shown: end - start,
                collapsed,
            });
            if !collapsed {
                rows.extend(keep[start..end].iter().map(|&(_, _, i)| Row::Alert(i)));
            }
            start = end;
        }
        self.shown = keep.len();
        self.hidden_muted = hidden_muted;
        self.rows = rows;
        if let Some(form) = &mut self.form {
            let matchers = super::matchers::parse_matchers(form.matchers.text());
            form.preview = match matchers {
                Ok(ms) => preview(&self.instances, &self.merged, &ms),
                Err(_) => Vec::new(),
            };
        }
    }

    /// Instances to send a silence to so that it reaches every Alertmanager that reported
    /// `seen_on`: one per HA cluster, since a cluster gossips silences to its peers.
    pub(crate) fn silence_targets(&self, seen_on: &[usize]) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for &i in seen_on {
            let cluster = |i: usize| {
                self.instances
                    .get(i)
                    .and_then(|x| x.data.as_ref())
                    .and_then(|d| d.value.cluster.as_ref())
            };
            let covered = out.iter().any(|&j| match (cluster(i), cluster(j)) {
                (Some(a), Some(b)) => {
                    a.status != "disabled" && b.status != "disabled" && same_cluster(a, b)
                }
                _ => false,
            });
            if !covered {
                out.push(i);
            }
        }
        out
    }
}

fn same_cluster(a: &Cluster, b: &Cluster) -> bool {
    let named_in = |x: &Cluster, y: &Cluster| x.name.as_ref().is_some_and(|n| y.peers.contains(n));
    named_in(a, b) || named_in(b, a)
}

fn count(counts: &mut AlertSummary, severity: Severity) {
    match severity {
        Severity::Critical | Severity::Error => counts.critical += 1,
        Severity::Warning => counts.warning += 1,
        Severity::Info | Severity::Other => counts.other += 1,
    }
}

/// Indices into `merged` of the alerts every matcher selects.
pub fn preview(instances: &[Instance], merged: &[MergedAlert], matchers: &[Matcher]) -> Vec<usize> {
    let compiled: Vec<_> = match matchers
        .iter()
        .map(Matcher::compile)
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(c) if !c.is_empty() => c,
        _ => return Vec::new(),
    };
    merged
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            instances
                .get(m.inst)
                .and_then(|i| i.data.as_ref())
                .and_then(|d| d.value.alerts.get(m.idx))
                .is_some_and(|a| compiled.iter().all(|c| c.matches(&a.labels)))
        })
        .map(|(i, _)| i)
        .collect()
}

/// Matchers that select this alert: every label except those sanitising changed, each an
/// exact match, as amtool and karma prefill them.
pub(crate) fn matchers_for(alert: &Alert) -> Vec<Matcher> {
    alert
        .labels
        .iter()
        .filter(|(name, _)| !alert.tainted.contains(name))
        .map(|(name, value)| Matcher {
            name: name.clone(),
            value: value.clone(),
            is_regex: false,
            is_equal: true,
        })
        .collect()
}

/// Reads a duration as Alertmanager and amtool write them: `90m`, `1h30m`, `2d`, `1w`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut total = Duration::zero();
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = std::mem::take(&mut digits).parse().ok()?;
        let unit = match c {
            's' => Duration::seconds(n),
            'm' => Duration::minutes(n),
            'h' => Duration::hours(n),
            'd' => Duration::days(n),
            'w' => Duration::weeks(n),
            _ => return None,
        };
        total += unit;
    }
    if !digits.is_empty() {
        return None;
    }
    (total > Duration::zero()).then_some(total)
}

/// The next 09:00 in the local zone after tomorrow begins, as UTC.
pub(crate) fn tomorrow_at_nine(now: DateTime<Utc>, utc_offset_secs: i32) -> DateTime<Utc> {
    let offset = Duration::seconds(i64::from(utc_offset_secs));
    let local = now + offset;
    let day = local.date_naive().succ_opt().unwrap_or(local.date_naive());
    let nine = day
        .and_hms_opt(9, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(local);
    nine - offset
}

/// Width of the detail's text column for a terminal of `size`, so `update` wraps for exactly
/// the width the view draws. Wide terminals show the service context beside the text.
pub(crate) fn detail_text_width(size: (u16, u16)) -> usize {
    let inner = usize::from(size.0).saturating_sub(2);
    if usize::from(size.0) >= DETAIL_SIDE_MIN_WIDTH {
        inner.saturating_sub(DETAIL_SIDE_WIDTH + 1)
    } else {
        inner
    }
    .max(10)
}

/// From this terminal width on, the service context sits beside the detail text.
pub const DETAIL_SIDE_MIN_WIDTH: usize = 110;
pub const DETAIL_SIDE_WIDTH: usize = 44;
/// Width of the key column of the detail.
pub const KEY_WIDTH: usize = 16;

/// The detail's lines for `alert`, values wrapped to fit `width` beside the key column.
pub(crate) fn detail_lines(
    state: &AlertsState,
    merged: &MergedAlert,
    alert: &Alert,
    width: usize,
) -> Vec<DetailLine> {
    let value_width = width.saturating_sub(KEY_WIDTH + 1).max(8);
    let mut lines = Vec::new();
    let heading = |lines: &mut Vec<DetailLine>, text: &str| {
        lines.push(DetailLine {
            kind: LineKind::Heading,
            key: String::new(),
            text: text.to_string(),
        })
    };
    let field = |lines: &mut Vec<DetailLine>, key: &str, value: &str, kind: LineKind| {
        let wrapped = wrap(value, value_width);
        if wrapped.is_empty() {
            lines.push(DetailLine {
                kind,
                key: key.to_string(),
                text: String::new(),
            });
        }
        for (n, text) in wrapped.into_iter().enumerate() {
            let (kind, key) = if n == 0 {
                (kind, key.to_string())
            } else {
                (LineKind::Text, String::new())
            };
            lines.push(DetailLine { kind, key, text });
        }
    };
    heading(&mut lines, "State");
    let state_text = match alert.state {
        AlertState::Active => "active",
        AlertState::Suppressed => "suppressed",
        AlertState::Unprocessed => "unprocessed",
        AlertState::Unknown => "unknown",
    };
    field(&mut lines, "state", state_text, LineKind::Field);
    for id in &alert.silenced_by {
        let text = match state.silence_by_id(id) {
            Some(s) => format!("{} ({}): {}", s.created_by, id, s.comment),
            None => id.clone(),
        };
        field(&mut lines, "silenced by", &text, LineKind::Warning);
    }
    for fp in &alert.inhibited_by {
        let text = match state.by_fingerprint(fp).and_then(|m| state.alert(m)) {
            Some(a) => format!(
                "{} {} ({fp})",
                a.name(),
                a.labels.get("service").map_or("", String::as_str)
            ),
            None => fp.clone(),
        };
        field(&mut lines, "inhibited by", &text, LineKind::Warning);
    }
    for name in &alert.muted_by {
        field(&mut lines, "muted by", name, LineKind::Warning);
    }
    let seen: Vec<&str> = merged
        .seen_on
        .iter()
        .filter_map(|i| state.instances.get(*i))
        .map(|i| i.name.as_str())
        .collect();
    field(
        &mut lines,
        "alertmanagers",
        &seen.join(", "),
        LineKind::Field,
    );
    field(
        &mut lines,
        "receivers",
        &alert.receivers.join(", "),
        LineKind::Field,
    );
    field(
        &mut lines,
        "fingerprint",
        &alert.fingerprint,
        LineKind::Muted,
    );

    heading(&mut lines, "Runbook");
    match (&alert.runbook_url, alert.annotations.get("runbook_url")) {
        (Some(url), _) => field(&mut lines, "runbook_url", url, LineKind::Link),
        (None, Some(raw)) => field(
            &mut lines,
            "runbook_url",
            &format!("not a plain http(s) URL, not opened: {raw}"),
            LineKind::Warning,
        ),
        (None, None) => field(&mut lines, "runbook_url", "none", LineKind::Muted),
    }
    match &alert.generator_url {
        Some(url) => field(&mut lines, "generatorURL", url, LineKind::Link),
        None => field(&mut lines, "generatorURL", "none", LineKind::Muted),
    }

    heading(&mut lines, "Annotations");
    for (name, value) in &alert.annotations {
        if name == "runbook_url" {
            continue;
        }
        field(&mut lines, name, value, LineKind::Field);
    }
    heading(&mut lines, "Labels");
    for (name, value) in &alert.labels {
        field(&mut lines, name, value, LineKind::Field);
    }
    lines
}

/// Wraps text to `width` display columns: at spaces when it can, inside words when it must.
/// Newlines in the text start new lines. Done once per width, never while drawing.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for para in text.split('\n') {
        if para.width() <= width {
            out.push(para.to_string());
            continue;
        }
        let mut line = String::new();
        let mut line_w = 0;
        for word in para.split(' ') {
            let w = word.width();
            if line_w > 0 && line_w + 1 + w <= width {
                line.push(' ');
                line.push_str(word);
                line_w += 1 + w;
                continue;
            }
            if line_w > 0 {
                out.push(std::mem::take(&mut line));
                line_w = 0;
            }
            if w <= width {
                line.push_str(word);
                line_w = w;
                continue;
            }
            for c in word.chars() {
                let cw = c.width().unwrap_or(0);
                if line_w + cw > width {
                    out.push(std::mem::take(&mut line));
                    line_w = 0;
                }
                line.push(c);
                line_w += cw;
            }
        }
        out.push(line);
    }
    while out.last().is_some_and(String::is_empty) && out.len() > 1 {
        out.pop();
    }
    out
}

/// Every instance's data by name, for the snapshot.
pub fn saved(state: &AlertsState) -> BTreeMap<String, Fetched<InstanceData>> {
    state
        .instances
        .iter()
        .filter_map(|i| i.data.clone().map(|d| (i.name.clone(), d)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("00000000000000ff", Some(255))]
    #[case("fedcba9876543210", Some(0xfedc_ba98_7654_3210))]
    #[case("FEDCBA9876543210", None)]
    #[case("00000000000000g0", None)]
    #[case("0000000000000ff", None)]
    #[case("00000000000000ff0", None)]
    #[case("00000000000000\u{e9}", None)]
    fn fingerprints_as_numbers_only_in_alertmanagers_form(
        #[case] text: &str,
        #[case] number: Option<u64>,
    ) {
        let key = FpKey::of(text);
        assert_eq!(key.number(), number);
        if number.is_none() {
            assert_eq!(key, FpKey::Text(text.into()), "kept as text, exactly");
        }
    }

    #[rstest]
    #[case("15m", Some(15 * 60))]
    #[case("1h30m", Some(90 * 60))]
    #[case("2d", Some(2 * 86400))]
    #[case("1w", Some(7 * 86400))]
    #[case("90", None)]
    #[case("1x", None)]
    #[case("", None)]
    #[case("0m", None)]
    fn durations_parse_like_amtool(#[case] text: &str, #[case] secs: Option<i64>) {
        assert_eq!(parse_duration(text).map(|d| d.num_seconds()), secs);
    }

    #[rstest]
    #[case::morning_utc("2026-03-02T08:00:00Z", 0, "2026-03-03T09:00:00Z")]
    #[case::late_evening_utc("2026-03-02T23:30:00Z", 0, "2026-03-03T09:00:00Z")]
    #[case::ahead_of_utc("2026-03-02T23:30:00Z", 3600, "2026-03-04T08:00:00Z")]
    #[case::behind_utc("2026-03-02T03:00:00Z", -5 * 3600, "2026-03-02T14:00:00Z")]
    fn tomorrow_nine_is_local(#[case] now: &str, #[case] offset: i32, #[case] expected: &str) {
        let now: DateTime<Utc> = now.parse().expect("valid time");
        let expected: DateTime<Utc> = expected.parse().expect("valid time");
        assert_eq!(tomorrow_at_nine(now, offset), expected);
    }

    #[test]
    fn wrapping_keeps_words_and_breaks_long_ones() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\nb", 10), vec!["a", "b"]);
        assert!(
            wrap(&"word ".repeat(20_000), 80)
                .iter()
                .all(|l| l.width() <= 80)
        );
    }
}
