//! Tickets and on-call: Jira issues, GitHub issues, PagerDuty incidents and who holds each
//! team's pager, joined to the catalog's services (`jira/project-key` + `jira/component`,
//! `github.com/project-slug`, `pagerduty.com/service-id`).
//! The Work screen's rows, the per-service counts and the incident by alert fingerprint are
//! derived here once per change, so the views only read them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::catalog::Entity;
use super::source::Fetched;

/// Annotation keys the join reads.
pub mod annotations {
    pub const JIRA_PROJECT: &str = "jira/project-key";
    pub const JIRA_COMPONENT: &str = "jira/component";
    pub const PAGERDUTY_SERVICE: &str = "pagerduty.com/service-id";
    pub const GITHUB_SLUG: &str = "github.com/project-slug";
}

/// Where a ticket comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TicketSource {
    Pagerduty,
    Jira,
    Github,
}

impl TicketSource {
    pub const ALL: [TicketSource; 3] = [
        TicketSource::Pagerduty,
        TicketSource::Jira,
        TicketSource::Github,
    ];

    pub fn label(self) -> &'static str {
        match self {
            TicketSource::Pagerduty => "pagerduty",
            TicketSource::Jira => "jira",
            TicketSource::Github => "github",
        }
    }
}

/// One comment or note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketComment {
    pub author: String,
    pub at: Option<DateTime<Utc>>,
    pub body: String,
}

/// A ticket or incident, every string sanitised by its provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub source: TicketSource,
    /// What a person calls it: `PAY-12`, `#1004`, `payments-api#7`.
    pub key: String,
    /// What the API calls it: the Jira key, the PagerDuty incident id, `owner/repo#7`.
    pub id: String,
    pub title: String,
    pub status: String,
    /// Done, resolved: no longer in a queue.
    pub done: bool,
    /// 0 most urgent (Highest, P1, high urgency triggered) to 4; 5 when none is set.
    pub rank: u8,
    pub priority: String,
    /// Bug, Task, Story; `incident`.
    pub kind: String,
    pub assignee: Option<String>,
    /// Assigned to the user (Jira's `currentUser()`, PagerDuty's `From` user).
    pub mine: bool,
    pub project: Option<String>,
    pub components: Vec<String>,
    pub pagerduty_service: Option<String>,
    /// GitHub: the repository, `owner/repo`.
    #[serde(default)]
    pub repo: Option<String>,
    pub labels: Vec<String>,
    pub sprint: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub url: Option<String>,
    /// PagerDuty's dedup key: an Alertmanager alert's fingerprint when an alert opened it.
    pub incident_key: Option<String>,
}

impl Ticket {
    /// Counted as a bug or incident of its service: of type Bug or Incident, or labelled
    /// `bug` or `incident` (PagerDuty's incidents are all of kind `incident`).
    pub fn is_bug(&self) -> bool {
        self.kind.eq_ignore_ascii_case("bug")
            || self.kind.eq_ignore_ascii_case("incident")
            || self
                .labels
                .iter()
                .any(|l| l.eq_ignore_ascii_case("bug") || l.eq_ignore_ascii_case("incident"))
    }

    pub fn is_incident(&self) -> bool {
        self.source == TicketSource::Pagerduty
    }
}

/// The rank of a priority name: Jira's five, PagerDuty's P1..P5.
pub fn rank_of(priority: &str) -> u8 {
    match priority.to_ascii_lowercase().as_str() {
        "highest" | "blocker" | "p1" | "critical" => 0,
        "high" | "major" | "p2" => 1,
        "medium" | "p3" => 2,
        "low" | "minor" | "p4" => 3,
        "lowest" | "trivial" | "p5" => 4,
        _ => 5,
    }
}

/// One on-call shift of one escalation policy level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    pub policy: String,
    pub level: u32,
    pub user: String,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

/// A PagerDuty service and its escalation policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PdService {
    pub id: String,
    pub name: String,
    pub policy: String,
}

/// What PagerDuty says about on-call: each policy's shifts and each service's policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnCallData {
    pub shifts: Vec<Shift>,
    pub services: Vec<PdService>,
}

/// Who is on call for a service now, and who is next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnCall {
    pub now: String,
    pub until: Option<DateTime<Utc>>,
    pub next: Option<String>,
}

/// A service's open tickets and its on-call, for the Overview, the Service screen and status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceWork {
    pub open: usize,
    pub bugs: usize,
    /// Triggered or acknowledged PagerDuty incidents.
    pub incidents: usize,
    /// Open GitHub issues of the service's repository labelled `bug` and `incident`, by
    /// label: every open issue, not only the user's queue.
    #[serde(default)]
    pub labels: BTreeMap<String, usize>,
    pub oncall: Option<OnCall>,
}

/// The labels counted per service.
pub const COUNTED_LABELS: [&str; 2] = ["bug", "incident"];

/// A row of the Work screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// A service's heading (`None`: tickets no service claims), with its ticket count.
    Group {
        service: Option<String>,
        count: usize,
    },
    Ticket(TicketRef),
}

/// A ticket by source and index in that source's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TicketRef {
    pub source: TicketSource,
    pub index: usize,
}

/// The open ticket: what the list has, plus what only the ticket's own answer carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    pub source: TicketSource,
    pub id: String,
    /// Markdown, when loaded.
    pub description: Option<String>,
    pub comments: Vec<TicketComment>,
    pub links: Vec<String>,
    /// Jira: (transition id, target status) the ticket can move to.
    pub transitions: Vec<(String, String)>,
    pub chosen: usize,
    pub loaded: bool,
    /// Why the ticket's own answer could not be read, until `r` asks again.
    pub failed: Option<String>,
    pub scroll: usize,
    /// The description and comments laid out as Markdown for the detail's width, in `update`.
    pub lines: Vec<super::markdown::Line>,
    /// A comment (Jira) or note (PagerDuty) being written, when the input is open.
    pub compose: Option<super::input::TextInput>,
    /// Where the ticket sits in its source's list, found when the detail opens and again at
    /// each rebuild, so the view reads it without searching every ticket each frame.
    pub at: Option<TicketRef>,
}

#[derive(Debug, Clone, Default)]
pub struct WorkState {
    pub tickets: BTreeMap<TicketSource, Fetched<Vec<Ticket>>>,
    pub oncall: Option<Fetched<OnCallData>>,
    /// The open ticket, if any.
    pub detail: Option<Detail>,
    // Derived by `rebuild`:
    /// Each ticket's service (catalog ref), by source and index.
    pub service_of: BTreeMap<TicketRef, String>,
    /// Unfiltered rows, grouped and sorted.
    pub all_rows: Vec<Row>,
    /// How many of `all_rows` are tickets (the title's count), counted here so `view` need not.
    pub open: usize,
    /// Rows after the `/` filter.
    pub rows: Vec<Row>,
    pub by_service: BTreeMap<String, ServiceWork>,
    /// Open incidents by dedup key (an alert's fingerprint).
    pub by_incident_key: BTreeMap<String, TicketRef>,
    /// GitHub: the counted labels on every open issue of each repository (lower-case
    /// `owner/repo`), the user's queue or not.
    pub issue_labels: Option<Fetched<BTreeMap<String, BTreeMap<String, usize>>>>,
    /// Each group's heading as the Work screen shows it (the service's display name, or "no
    /// service"), and who is on call for it, made at rebuild so `view` only fits them.
    pub headings: BTreeMap<Option<String>, (String, Option<String>)>,
    /// The sources whose data is on screen, as last told to the providers (they poll those
    /// quickly and the rest in a slow sweep); `None` before the first telling.
    pub visible: Option<Vec<TicketSource>>,
    /// The key column's width: the widest open ticket's key within [`KEY_WIDTH`], measured at
    /// rebuild so `view` need not (a GitHub key, `checkout-web#21`, is longer than Jira's).
    pub key_width: usize,
}

/// The key column's narrowest and widest.
pub const KEY_WIDTH: (usize, usize) = (10, 24);

impl WorkState {
    pub fn ticket(&self, r: TicketRef) -> Option<&Ticket> {
        self.tickets.get(&r.source)?.value.get(r.index)
    }

    pub fn fetched_at(&self, source: TicketSource) -> Option<DateTime<Utc>> {
        self.tickets.get(&source).map(|f| f.fetched_at)
    }

    /// The open incident an alert opened, by its fingerprint.
    pub fn incident_for(&self, fingerprint: &str) -> Option<&Ticket> {
        self.by_incident_key
            .get(fingerprint)
            .and_then(|r| self.ticket(*r))
    }

    /// Where the ticket `id` of `source` is in its source's list.
    pub fn find(&self, source: TicketSource, id: &str) -> Option<TicketRef> {
        let index = self
            .tickets
            .get(&source)?
            .value
            .iter()
            .position(|t| t.id == id)?;
        Some(TicketRef { source, index })
    }

    /// The open detail's ticket and its place, when it is still in its source's list. The
    /// place found at the last rebuild is checked, and searched for again only when the list
    /// changed under it since.
    pub fn detail_ticket(&self) -> Option<(TicketRef, &Ticket)> {
        let d = self.detail.as_ref()?;
        let kept = d.at.filter(|r| {
            self.ticket(*r)
                .is_some_and(|t| t.source == d.source && t.id == d.id)
        });
        let r = kept.or_else(|| self.find(d.source, &d.id))?;
        self.ticket(r).map(|t| (r, t))
    }

    pub fn every_ticket(&self) -> impl Iterator<Item = (TicketRef, &Ticket)> {
        self.tickets.iter().flat_map(|(source, f)| {
            f.value.iter().enumerate().map(move |(index, t)| {
                (
                    TicketRef {
                        source: *source,
                        index,
                    },
                    t,
                )
            })
        })
    }

    /// Recomputes the join, the groups, the counts and the on-call of every service, in the
    /// order the screen shows them: groups by their most urgent ticket, tickets by rank then age
    /// (oldest first). `now` picks the current shift.
    pub fn rebuild<'a>(&mut self, services: impl Iterator<Item = &'a Entity>, now: DateTime<Utc>) {
        use annotations::*;
        let services: Vec<&Entity> = services.collect();
        let mut service_of = BTreeMap::new();
        let mut by_incident_key = BTreeMap::new();
        for (r, t) in self.every_ticket() {
            let found = services.iter().find(|e| match t.source {
                TicketSource::Jira => {
                    let project = e.annotation(JIRA_PROJECT).map(str::trim);
                    let component = e.annotation(JIRA_COMPONENT).map(str::trim);
                    project.is_some_and(|p| t.project.as_deref() == Some(p))
                        && component.is_none_or(|c| t.components.iter().any(|x| x == c))
                }
                TicketSource::Pagerduty => e
                    .annotation(PAGERDUTY_SERVICE)
                    .is_some_and(|id| t.pagerduty_service.as_deref() == Some(id.trim())),
                // GitHub matches repository names case-insensitively.
                TicketSource::Github => e.annotation(GITHUB_SLUG).is_some_and(|slug| {
                    t.repo
                        .as_deref()
                        .is_some_and(|r| r.eq_ignore_ascii_case(slug.trim()))
                }),
            });
            if let Some(e) = found {
                service_of.insert(r, e.entity_ref.clone());
            }
            if let Some(k) = &t.incident_key
                && !t.done
            {
                by_incident_key.insert(k.clone(), r);
            }
        }
        // Per service: counts, and the on-call of its escalation policy.
        let mut by_service: BTreeMap<String, ServiceWork> = BTreeMap::new();
        for (r, t) in self.every_ticket() {
            if t.done {
                continue;
            }
            if let Some(s) = service_of.get(&r) {
                let w = by_service.entry(s.clone()).or_default();
                w.open += 1;
                if t.is_incident() {
                    w.incidents += 1;
                } else if t.is_bug() {
                    w.bugs += 1;
                }
            }
        }
        if let Some(counts) = &self.issue_labels {
            for e in &services {
                let Some(slug) = e.annotation(GITHUB_SLUG) else {
                    continue;
                };
                if let Some(c) = counts.value.get(&slug.trim().to_ascii_lowercase())
                    && !c.is_empty()
                {
                    by_service.entry(e.entity_ref.clone()).or_default().labels = c.clone();
                }
            }
        }
        if let Some(oc) = &self.oncall {
            for e in &services {
                let Some(id) = e.annotation(PAGERDUTY_SERVICE) else {
                    continue;
                };
                let Some(svc) = oc.value.services.iter().find(|s| s.id == id.trim()) else {
                    continue;
                };
                if let Some(on) = on_call(&oc.value.shifts, &svc.policy, now) {
                    by_service.entry(e.entity_ref.clone()).or_default().oncall = Some(on);
                }
            }
        }
        // Groups: each service's open tickets, most urgent first.
        let mut groups: BTreeMap<Option<String>, Vec<TicketRef>> = BTreeMap::new();
        for (r, t) in self.every_ticket() {
            if t.done {
                continue;
            }
            groups
                .entry(service_of.get(&r).cloned())
                .or_default()
                .push(r);
        }
        let key = |r: &TicketRef| {
            self.ticket(*r)
                .map(|t| (t.rank, t.created, t.key.clone()))
                .unwrap_or((u8::MAX, now, String::new()))
        };
        let mut groups: Vec<(Option<String>, Vec<TicketRef>)> = groups.into_iter().collect();
        for (_, refs) in &mut groups {
            refs.sort_by_key(key);
        }
        groups.sort_by(|a, b| {
            // Tickets no service claims go last; otherwise by the first ticket's urgency.
            (a.0.is_none(), a.1.first().map(key)).cmp(&(b.0.is_none(), b.1.first().map(key)))
        });
        let mut headings = BTreeMap::new();
        for (service, _) in &groups {
            let name = match service {
                Some(s) => services
                    .iter()
                    .find(|e| &e.entity_ref == s)
                    .map_or_else(|| s.clone(), |e| e.display_name().to_string()),
                None => "no service".to_string(),
            };
            let oncall = service
                .as_ref()
                .and_then(|s| by_service.get(s))
                .and_then(|w| w.oncall.as_ref())
                .map(|on| match &on.next {
                    Some(n) => format!("on call {}, next {n}", on.now),
                    None => format!("on call {}", on.now),
                });
            headings.insert(service.clone(), (name, oncall));
        }
        let mut rows = Vec::new();
        for (service, refs) in groups {
            rows.push(Row::Group {
                service,
                count: refs.len(),
            });
            rows.extend(refs.into_iter().map(Row::Ticket));
        }
        self.service_of = service_of;
        let at = self
            .detail
            .as_ref()
            .and_then(|d| self.find(d.source, &d.id));
        if let Some(d) = self.detail.as_mut() {
            d.at = at;
        }
        self.headings = headings;
        self.by_service = by_service;
        self.by_incident_key = by_incident_key;
        self.open = rows.iter().filter(|r| matches!(r, Row::Ticket(_))).count();
        self.key_width = rows
            .iter()
            .filter_map(|r| match r {
                Row::Ticket(r) => self.ticket(*r),
                Row::Group { .. } => None,
            })
            .map(|t| unicode_width::UnicodeWidthStr::width(t.key.as_str()))
            .max()
            .unwrap_or(0)
            .clamp(KEY_WIDTH.0, KEY_WIDTH.1);
        self.all_rows = rows;
    }

    /// The rows whose ticket matches `filter` (key, title, status, assignee, labels, service),
    /// with the headings of groups that keep a ticket.
    pub fn refilter(&mut self, filter: &str) {
        let needle = filter.trim().to_lowercase();
        if needle.is_empty() {
            self.rows = self.all_rows.clone();
            return;
        }
        let mut out = Vec::new();
        let mut heading: Option<Row> = None;
        let mut kept: Vec<Row> = Vec::new();
        let flush = |heading: &mut Option<Row>, kept: &mut Vec<Row>, out: &mut Vec<Row>| {
            if let Some(Row::Group { service, .. }) = heading.take()
                && !kept.is_empty()
            {
                out.push(Row::Group {
                    service,
                    count: kept.len(),
                });
                out.append(kept);
            }
            kept.clear();
        };
        for row in &self.all_rows {
            match row {
                Row::Group { .. } => {
                    flush(&mut heading, &mut kept, &mut out);
                    heading = Some(row.clone());
                }
                Row::Ticket(r) => {
                    let Some(t) = self.ticket(*r) else { continue };
                    let service = self.service_of.get(r).map_or("", String::as_str);
                    let hay = [
                        t.key.as_str(),
                        &t.title,
                        &t.status,
                        t.assignee.as_deref().unwrap_or_default(),
                        &t.kind,
                        &t.priority,
                        service,
                    ];
                    let matches = hay.iter().any(|h| h.to_lowercase().contains(&needle))
                        || t.labels.iter().any(|l| l.to_lowercase().contains(&needle));
                    if matches {
                        kept.push(row.clone());
                    }
                }
            }
        }
        flush(&mut heading, &mut kept, &mut out);
        self.rows = out;
    }
}

/// The level-1 shift of `policy` at `now`, and the next person after it.
pub fn on_call(shifts: &[Shift], policy: &str, now: DateTime<Utc>) -> Option<OnCall> {
    let mut mine: Vec<&Shift> = shifts
        .iter()
        .filter(|s| s.policy == policy && s.level <= 1)
        .collect();
    mine.sort_by_key(|s| s.start);
    let current = mine
        .iter()
        .position(|s| s.start.is_none_or(|a| a <= now) && s.end.is_none_or(|b| now < b))?;
    let holder = mine[current];
    let next = mine[current + 1..]
        .iter()
        .find(|s| s.user != holder.user)
        .map(|s| s.user.clone());
    Some(OnCall {
        now: holder.user.clone(),
        until: holder.end,
        next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn at(m: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::minutes(m)
    }

    #[test]
    fn on_call_is_the_current_shift_and_next_is_someone_else() {
        let shift = |u: &str, a, b| Shift {
            policy: "P1".into(),
            level: 1,
            user: u.into(),
            start: Some(at(a)),
            end: Some(at(b)),
        };
        let shifts = vec![shift("b", 60, 120), shift("a", 0, 60), shift("b", 120, 180)];
        let on = on_call(&shifts, "P1", at(10)).expect("someone");
        assert_eq!(
            (on.now.as_str(), on.next.as_deref(), on.until),
            ("a", Some("b"), Some(at(60)))
        );
        assert_eq!(on_call(&shifts, "P2", at(10)), None);
        assert_eq!(on_call(&shifts, "P1", at(60)).map(|o| o.next), Some(None));
    }

    #[test]
    fn priorities_rank_across_sources() {
        assert!(rank_of("Highest") < rank_of("High"));
        assert_eq!(rank_of("P1"), rank_of("highest"));
        assert_eq!(rank_of("whatever"), 5);
    }
}
