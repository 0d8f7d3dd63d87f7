//! The tickets and on-call side of the story, shared by the sim's PagerDuty and Jira servers and
//! the descriptors that join them to services: who of each team is on call when, the incident
//! payments-api's crash loop opens each cycle (held by team-payments' on-call, keyed by the
//! crash-loop alert's fingerprint), the Jira bug it files, and a standing backlog in which `jdoe`
//! has tickets. Pure functions of the world and story time, like the world itself.

use chrono::{DateTime, Duration, Utc};

use crate::alertmanager::story_labels;
use crate::world::{self, CYCLE, World, epoch, hash_str};
use flightdeck_core::wire::alertmanager::fingerprint;

/// One on-call shift length, in story time.
pub const SHIFT: Duration = Duration::hours(8);
/// The payments-api incident is triggered this long after the crash-loop alert fires.
const PAGE_AFTER: Duration = Duration::seconds(30);
/// The sim's own user: what `currentUser()` and `/users/me` answer for any token.
pub const ME: &str = "jdoe";

/// A PagerDuty-style id: `P` and six characters from a hash of `what`.
pub fn pd_id(prefix: char, what: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut h = hash_str(what);
    let mut out = String::from(prefix);
    for _ in 0..6 {
        out.push(char::from(ALPHABET[(h % 36) as usize]));
        h /= 36;
    }
    out
}

pub fn service_id(service: &str) -> String {
    pd_id('P', &format!("service/{service}"))
}

pub fn policy_id(team: &str) -> String {
    pd_id('P', &format!("policy/{team}"))
}

pub fn schedule_id(team: &str) -> String {
    pd_id('P', &format!("schedule/{team}"))
}

pub fn user_id(login: &str) -> String {
    pd_id('P', &format!("user/{login}"))
}

/// The Jira project of a team: `team-payments` → `PAY`.
pub fn project_key(team: &str) -> String {
    let t = team.trim_start_matches("team-");
    t.chars().take(3).collect::<String>().to_uppercase()
}

/// One shift of a team's schedule: `[start, end)` in story time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    pub team: String,
    pub login: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// The shifts of `team` that overlap `[from, until]`: its members take turns, one shift each.
pub fn shifts(world: &World, team: &str, from: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Shift> {
    let Some(t) = world.teams.iter().find(|t| t.name == team) else {
        return vec![];
    };
    if t.members.is_empty() {
        return vec![];
    }
    let len = SHIFT.num_seconds();
    let first = (from - epoch()).num_seconds().div_euclid(len);
    let last = (until - epoch()).num_seconds().div_euclid(len);
    // Each team starts its rotation at a different member.
    let offset = (hash_str(team) % t.members.len() as u64) as i64;
    (first..=last.max(first))
        .map(|n| {
            let who = (n + offset).rem_euclid(t.members.len() as i64) as usize;
            Shift {
                team: team.to_string(),
                login: t.members[who].clone(),
                start: epoch() + Duration::seconds(n * len),
                end: epoch() + Duration::seconds((n + 1) * len),
            }
        })
        .collect()
}

/// Who holds `team`'s pager at `at`.
pub fn on_call(world: &World, team: &str, at: DateTime<Utc>) -> Option<String> {
    shifts(world, team, at, at)
        .into_iter()
        .next()
        .map(|s| s.login)
}

/// An incident as the story opens it, before what users did to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryIncident {
    pub id: String,
    pub number: u64,
    pub title: String,
    pub details: String,
    pub service: String,
    pub team: String,
    pub urgency: &'static str,
    pub created: DateTime<Utc>,
    /// Assigned to.
    pub holder: String,
    /// Acknowledged by the story itself (the long-running ones), and when.
    pub acknowledged: Option<DateTime<Utc>>,
    /// When the story resolves it (the alert resolved), if by `at`.
    pub resolved: Option<DateTime<Utc>>,
    /// The dedup key: the fingerprint of the alert that opened it.
    pub incident_key: Option<String>,
}

/// Incidents opened up to `at` within `lookback`, oldest first.
pub fn incidents(world: &World, at: DateTime<Utc>, lookback: Duration) -> Vec<StoryIncident> {
    let mut out = Vec::new();
    // Each crash-loop alert of the story pages its team's on-call.
    let mut alerts = world.alerts(at, lookback);
    alerts.retain(|a| a.name == "KubePodCrashLooping");
    for a in alerts {
        let Some(svc) = world.service(&a.service) else {
            continue;
        };
        let created = a.starts_at + PAGE_AFTER;
        if created > at {
            continue;
        }
        let cycle = (a.starts_at - epoch())
            .num_seconds()
            .div_euclid(CYCLE.num_seconds());
        let number = 1000 + cycle.max(0) as u64;
        let holder = on_call(world, &svc.owner, created).unwrap_or_default();
        out.push(StoryIncident {
            id: pd_id('Q', &format!("incident/{}/{cycle}", svc.name)),
            number,
            title: format!(
                "[FIRING:1] KubePodCrashLooping {} ({})",
                svc.name, svc.namespace
            ),
            details: a.description.clone(),
            service: svc.name.clone(),
            team: svc.owner.clone(),
            urgency: "high",
            created,
            holder,
            acknowledged: None,
            resolved: a.ends_at,
            incident_key: Some(fingerprint(&story_labels(world, &a))),
        });
    }
    // A standing low-urgency incident, held by `jdoe`: storefront latency, acknowledged.
    if let Some(svc) = world
        .services
        .iter()
        .find(|s| s.owner == "team-storefront" && s.trouble == world::Trouble::FlakyCi)
    {
        let created = epoch() - Duration::hours(3);
        out.insert(
            0,
            StoryIncident {
                id: pd_id('Q', &format!("incident/{}/latency", svc.name)),
                number: 998,
                title: format!("{} p99 latency above 800ms", svc.name),
                details: "The p99 of checkout requests through the cart has been above 800ms for 30 minutes.".into(),
                service: svc.name.clone(),
                team: svc.owner.clone(),
                urgency: "low",
                created,
                holder: ME.into(),
                acknowledged: Some(created + Duration::minutes(4)),
                resolved: None,
                incident_key: None,
            },
        );
    }
    out
}

/// Ninety days of resolved incidents before the story starts: each service paged now and then
/// (none to five times), each page held by its team's on-call and resolved within hours. Read
/// by the metrics' ticket rework share; none is open, so the queues never show them.
pub fn incident_history(world: &World) -> Vec<StoryIncident> {
    const TITLES: [&str; 3] = [
        "error rate above 5%",
        "p99 latency above 1s",
        "pods crash-looping",
    ];
    let mut out = Vec::new();
    for svc in &world.services {
        let key = hash_str(&svc.name);
        let h = |k: u64, n: u64| world::hash(world.config.seed, &[key, 31, k, n]);
        for k in 0..h(0, 0) % 6 {
            let created = epoch()
                - Duration::days(3 + (h(k, 1) % 87) as i64)
                - Duration::minutes((h(k, 2) % 1440) as i64);
            let title = TITLES[(h(k, 3) % 3) as usize];
            out.push(StoryIncident {
                id: pd_id('Q', &format!("incident/{}/history/{k}", svc.name)),
                number: 0,
                title: format!("{} {title}", svc.name),
                details: format!("{} {title}; resolved when it recovered.", svc.name),
                service: svc.name.clone(),
                team: svc.owner.clone(),
                urgency: "high",
                created,
                holder: on_call(world, &svc.owner, created).unwrap_or_default(),
                acknowledged: Some(created + Duration::minutes(3)),
                resolved: Some(created + Duration::minutes(20 + (h(k, 4) % 300) as i64)),
                incident_key: None,
            });
        }
    }
    // Numbered in the order they were opened, below the story's own (998 and up).
    out.sort_by_key(|i| i.created);
    for (n, i) in out.iter_mut().enumerate() {
        i.number = 100 + n as u64;
    }
    out
}

/// A Jira issue as the story files it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryIssue {
    pub key: String,
    pub project: String,
    pub summary: String,
    pub description: String,
    pub kind: &'static str,
    pub priority: &'static str,
    /// The story's status (users move it through transitions).
    pub status: &'static str,
    pub assignee: Option<String>,
    pub reporter: String,
    pub service: String,
    pub labels: Vec<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// When it was resolved (moved to a done status), while it is.
    pub resolved: Option<DateTime<Utc>>,
    /// The incident that filed it.
    pub incident: Option<String>,
}

/// The backlog every team keeps: (summary, type, priority, status, labels).
const BACKLOG: &[(&str, &str, &str, &str, &[&str])] = &[
    (
        "Retry budget is exhausted under load",
        "Bug",
        "High",
        "In Progress",
        &["bug"],
    ),
    (
        "Add request tracing to the slow endpoints",
        "Story",
        "Medium",
        "To Do",
        &[],
    ),
    (
        "Upgrade the base image",
        "Task",
        "Low",
        "To Do",
        &["maintenance"],
    ),
    (
        "Error page shows a stack trace",
        "Bug",
        "Medium",
        "In Review",
        &["bug"],
    ),
];

/// Every issue filed up to `at`: each service's backlog, and a bug for each crash-loop incident.
pub fn issues(world: &World, at: DateTime<Utc>) -> Vec<StoryIssue> {
    let mut out = Vec::new();
    let mut numbers: std::collections::BTreeMap<String, u64> = Default::default();
    let mut next = |project: &str| {
        let n = numbers.entry(project.to_string()).or_insert(0);
        *n += 1;
        format!("{project}-{n}")
    };
    for (i, svc) in world.services.iter().enumerate().take(12) {
        let project = project_key(&svc.owner);
        let members = world
            .teams
            .iter()
            .find(|t| t.name == svc.owner)
            .map(|t| t.members.clone())
            .unwrap_or_default();
        for (j, (summary, kind, priority, status, labels)) in BACKLOG.iter().enumerate() {
            // Two of four per service, by turns, so a team's queue is not four copies.
            if (i + j) % 2 == 1 {
                continue;
            }
            let created = epoch() - Duration::hours(20 + (i * 7 + j * 13) as i64);
            let assignee = members.get((i + j) % members.len().max(1)).cloned();
            out.push(StoryIssue {
                key: next(&project),
                project: project.clone(),
                summary: format!("{}: {}", svc.name, summary),
                description: format!(
                    "## What\n\n{summary} in **{}**.\n\n## Why\n\n- customers notice\n- the on-call is paged for it\n\nSee `docs/runbooks` of the service.",
                    svc.name
                ),
                kind,
                priority,
                status,
                assignee,
                reporter: members.first().cloned().unwrap_or_default(),
                service: svc.name.clone(),
                labels: labels.iter().map(|l| (*l).to_string()).collect(),
                created,
                updated: created + Duration::hours(2),
                resolved: None,
                incident: None,
            });
        }
    }
    // `jdoe` has tickets in the payments queue too: a review of the checkout contract.
    out.push(StoryIssue {
        key: next("PAY"),
        project: "PAY".into(),
        summary: "payments-api: review the checkout contract with storefront".into(),
        description:
            "The checkout web client sends amounts in cents; agree on the **currency** field."
                .into(),
        kind: "Task",
        priority: "Medium",
        status: "To Do",
        assignee: Some(ME.into()),
        reporter: "asingh".into(),
        service: "payments-api".into(),
        labels: vec![],
        created: epoch() - Duration::hours(5),
        updated: epoch() - Duration::hours(5),
        resolved: None,
        incident: None,
    });
    // Ninety days of resolved issues before the story starts, one every six days or so per
    // service: bugs, incidents (by type, or a task labelled `incident`) and planned work, for
    // the metrics' ticket rework share.
    for svc in world.services.iter().take(12) {
        let project = project_key(&svc.owner);
        let key = hash_str(&svc.name);
        let members = world
            .teams
            .iter()
            .find(|t| t.name == svc.owner)
            .map(|t| t.members.clone())
            .unwrap_or_default();
        let member = |n: u64| {
            members
                .get((n % members.len().max(1) as u64) as usize)
                .cloned()
        };
        for k in 0..15u64 {
            let h = |n: u64| world::hash(world.config.seed, &[key, 30, k, n]);
            let created =
                epoch() - Duration::days(6 * k as i64 + 3) - Duration::hours((h(0) % 48) as i64);
            let (summary, kind, labels): (&str, &'static str, Vec<String>) = match h(1) % 10 {
                0..=2 => ("Refund total is off by a cent", "Bug", vec!["bug".into()]),
                3 => ("Checkout outage during the sale", "Incident", vec![]),
                4 => (
                    "Follow up the outage's postmortem",
                    "Task",
                    vec!["incident".into()],
                ),
                5..=7 => ("Add the build version to the health page", "Story", vec![]),
                _ => ("Rotate the service's credentials", "Task", vec![]),
            };
            let resolved = created + Duration::hours(4 + (h(2) % 90) as i64);
            out.push(StoryIssue {
                key: next(&project),
                project: project.clone(),
                summary: format!("{}: {summary}", svc.name),
                description: format!("{summary} in **{}**. Done.", svc.name),
                kind,
                priority: "Medium",
                status: "Done",
                assignee: member(h(3)),
                reporter: member(h(4)).unwrap_or_default(),
                service: svc.name.clone(),
                labels,
                created,
                updated: resolved,
                resolved: Some(resolved),
                incident: None,
            });
        }
    }
    for inc in incidents(world, at, CYCLE * 3) {
        let Some(key) = inc.incident_key.as_ref() else {
            continue;
        };
        let project = project_key(&inc.team);
        out.push(StoryIssue {
            key: format!("{project}-{}", inc.number),
            project,
            summary: format!("{} crash loops after deploy", inc.service),
            description: format!(
                "Filed from PagerDuty incident #{} ({}).\n\n{}\n\nAlert fingerprint `{key}`.",
                inc.number, inc.id, inc.details
            ),
            kind: "Bug",
            priority: "Highest",
            status: if inc.resolved.is_some() {
                "Done"
            } else {
                "To Do"
            },
            assignee: Some(inc.holder.clone()),
            reporter: inc.holder.clone(),
            service: inc.service.clone(),
            labels: vec!["incident".into()],
            created: inc.created + Duration::minutes(1),
            updated: inc.resolved.unwrap_or(inc.created + Duration::minutes(1)),
            resolved: inc.resolved,
            incident: Some(inc.id.clone()),
        });
    }
    out.retain(|i| i.created <= at);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;

    #[test]
    fn the_crash_pages_payments_on_call_and_files_a_bug() {
        let w = World::new(SimConfig::default());
        let at = epoch() + world::ALERT_FIRES + Duration::minutes(2);
        let inc = incidents(&w, at, CYCLE);
        let page = inc
            .iter()
            .find(|i| i.service == "payments-api" && i.resolved.is_none())
            .expect("an incident");
        assert_eq!(Some(page.holder.clone()), on_call(&w, "team-payments", at));
        assert!(page.incident_key.is_some() && page.resolved.is_none());
        let bugs = issues(&w, at);
        assert!(bugs.iter().any(|b| b.incident.as_ref() == Some(&page.id)));
        assert!(
            bugs.iter()
                .any(|b| b.assignee.as_deref() == Some(ME) && b.project == "PAY")
        );
        assert!(
            bugs.iter()
                .any(|b| b.assignee.as_deref() == Some(ME) && b.project == "STO")
        );
    }

    #[test]
    fn ninety_days_of_resolved_tickets_lie_before_the_story_and_none_is_open() {
        let w = World::new(SimConfig::default());
        let history = incident_history(&w);
        assert!(!history.is_empty());
        assert!(history.iter().all(|i| {
            i.resolved.is_some_and(|r| i.created < r && r < epoch())
                && i.incident_key.is_none()
                && i.number < 998
        }));
        let resolved: Vec<StoryIssue> = issues(&w, epoch())
            .into_iter()
            .filter(|i| i.resolved.is_some() && i.incident.is_none())
            .collect();
        assert_eq!(
            resolved.len(),
            12 * 15,
            "fifteen per core service, beside the pages' bugs"
        );
        assert!(
            resolved
                .iter()
                .all(|i| i.status == "Done" && i.resolved.is_some_and(|r| r < epoch()))
        );
        let kinds: std::collections::BTreeSet<&str> = resolved.iter().map(|i| i.kind).collect();
        assert!(kinds.contains("Bug") && kinds.contains("Incident") && kinds.contains("Story"));
        // The keys of the standing backlog are as they were: the history is numbered after it.
        assert!(
            issues(&w, epoch())
                .iter()
                .any(|i| i.key == "PAY-9" && i.assignee.as_deref() == Some(ME))
        );
    }

    #[test]
    fn shifts_rotate_through_the_team() {
        let w = World::new(SimConfig::default());
        let s = shifts(&w, "team-data", epoch(), epoch() + SHIFT * 2);
        assert_eq!(s.len(), 3);
        assert_ne!(s[0].login, s[1].login);
        assert_eq!(s[0].end, s[1].start);
    }
}
