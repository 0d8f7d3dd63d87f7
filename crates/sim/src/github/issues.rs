//! Issues of the world's GitHub-hosted services, as `GET /repos/{owner}/{repo}/issues` serves
//! them: a small backlog per service (some the team left unassigned, some `jdoe` holds or
//! opened), and on payments-api a bug for each crash-loop page (`bug` + `incident`, held by the
//! on-call engineer who was paged, closed when the alert resolves). Open pull requests are in the
//! list too, marked by `pull_request`, as GitHub lists them.

use axum::extract::{Path, State};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::json::{minimal_repo_json, user_json};
use super::pull_story::pulls;
use super::server::{Gh, Github, Params, paged};
use crate::rest::{link_header, page_of, paging, param, ts};
use crate::work::{ME, incidents};
use crate::world::{CYCLE, Service, World, epoch, hash, hash_str};

/// One issue as the story files it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryIssue {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub author: String,
    pub assignee: Option<String>,
    pub labels: Vec<&'static str>,
    pub created: DateTime<Utc>,
    pub closed: Option<DateTime<Utc>>,
}

/// The backlog every service draws from: (title, labels, who holds it).
enum Holder {
    /// Nobody yet: the team's to pick up.
    Nobody,
    /// `jdoe`, when on the team; otherwise a teammate.
    Me,
    /// A teammate, opened by `jdoe`.
    OpenedByMe,
    Teammate,
}

const BACKLOG: &[(&str, &[&str], Holder)] = &[
    (
        "Flaky integration test on the retry path",
        &["bug"],
        Holder::Nobody,
    ),
    (
        "Document the timeout settings",
        &["documentation"],
        Holder::Me,
    ),
    (
        "Health check passes while the database is down",
        &["bug"],
        Holder::OpenedByMe,
    ),
    (
        "Dashboard link in the README is broken",
        &["good first issue"],
        Holder::Nobody,
    ),
    (
        "Drop the deprecated v1 endpoint",
        &["enhancement"],
        Holder::Teammate,
    ),
];

/// The issues of `svc` opened by `now` (closed ones included), oldest first.
pub fn issues(world: &World, svc: &Service, now: DateTime<Utc>) -> Vec<StoryIssue> {
    let seed = world.config.seed;
    let key = hash_str(&svc.name);
    let members: Vec<&str> = world
        .teams
        .iter()
        .find(|t| t.name == svc.owner)
        .map(|t| t.members.iter().map(String::as_str).collect())
        .unwrap_or_default();
    if members.is_empty() {
        return Vec::new();
    }
    let on_team = members.contains(&ME);
    let teammate = |n: u64| {
        let others: Vec<&str> = members.iter().copied().filter(|m| *m != ME).collect();
        let pool = if others.is_empty() { &members } else { &others };
        pool[(hash(seed, &[key, 7, n]) % pool.len() as u64) as usize].to_string()
    };
    let mut out = Vec::new();
    for (i, (title, labels, holder)) in BACKLOG.iter().enumerate() {
        let i = i as u64;
        // Three of five per service, by turns.
        if (key + i) % 5 >= 3 {
            continue;
        }
        let (author, assignee) = match holder {
            Holder::Nobody => (teammate(i), None),
            Holder::Me if on_team => (teammate(i), Some(ME.to_string())),
            Holder::Me | Holder::Teammate => (teammate(i), Some(teammate(i + 1))),
            Holder::OpenedByMe => (ME.to_string(), Some(teammate(i + 1))),
        };
        out.push(StoryIssue {
            number: 0,
            title: (*title).to_string(),
            body: format!("{title}.\n\nSeen on **{}**; see the runbook.", svc.name),
            author,
            assignee,
            labels: labels.to_vec(),
            created: epoch() - Duration::hours(30 + (hash(seed, &[key, 8, i]) % 200) as i64),
            closed: None,
        });
    }
    // Ninety days of closed issues before the story starts, one every five days or so: about
    // a third bugs, some incidents, the rest planned work (the metrics' ticket rework share).
    for k in 0..18u64 {
        let h = |n: u64| hash(seed, &[key, 10, k, n]);
        let created =
            epoch() - Duration::days(5 * k as i64 + 2) - Duration::hours((h(0) % 48) as i64);
        let (title, labels): (&str, Vec<&'static str>) = match h(1) % 9 {
            0..=2 => ("Wrong total after a partial refund", vec!["bug"]),
            3 => (
                "Outage of the upstream during the sale",
                vec!["bug", "incident"],
            ),
            4 | 5 => ("Expose the build version", vec!["enhancement"]),
            _ => ("Describe the on-call runbook", vec!["documentation"]),
        };
        out.push(StoryIssue {
            number: 0,
            title: title.to_string(),
            body: format!("{title}.\n\nFixed and closed."),
            author: teammate(k + 20),
            assignee: Some(teammate(k + 21)),
            labels,
            created,
            closed: Some(created + Duration::hours(6 + (h(2) % 66) as i64)),
        });
    }
    if svc.name == "payments-api" {
        for inc in incidents(world, now, CYCLE * 3) {
            if inc.service != svc.name || inc.incident_key.is_none() {
                continue;
            }
            out.push(StoryIssue {
                number: 0,
                title: format!("Crash loop after deploy (PagerDuty #{})", inc.number),
                body: format!(
                    "payments-api pods crash-loop after the deploy; PagerDuty incident #{} paged {}.\n\n{}",
                    inc.number, inc.holder, inc.details
                ),
                author: inc.holder.clone(),
                assignee: Some(inc.holder.clone()),
                labels: vec!["bug", "incident"],
                created: inc.created + Duration::minutes(2),
                closed: inc.resolved,
            });
        }
    }
    out.retain(|i| i.created <= now);
    out.sort_by_key(|i| i.created);
    for (n, i) in out.iter_mut().enumerate() {
        i.number = n as u64 + 1;
    }
    out
}

fn label_json(gh: &Github, svc: &Service, name: &str) -> Value {
    let color = match name {
        "bug" => "d73a4a",
        "incident" => "b60205",
        "documentation" => "0075ca",
        "enhancement" => "a2eeef",
        _ => "7057ff",
    };
    json!({
        "id": hash_str(name) % 1_000_000_000,
        "node_id": format!("LA_{name}"),
        "url": format!("{}/repos/{}/labels/{}", gh.base(), svc.repo, flightdeck_core::wire::percent_encode(name)),
        "name": name,
        "description": null,
        "color": color,
        "default": matches!(name, "bug" | "documentation" | "enhancement" | "good first issue"),
    })
}

fn issue_json(gh: &Github, svc: &Service, i: &StoryIssue, now: DateTime<Utc>) -> Value {
    let base = gh.base();
    let world = gh.world();
    let clock = &gh.shared.clock;
    let url = format!("{base}/repos/{}/issues/{}", svc.repo, i.number);
    let closed = i.closed.filter(|c| *c <= now);
    json!({
        "id": hash(world.config.seed, &[hash_str(&svc.name), 9, i.number]) % 1_000_000_000,
        "node_id": format!("I_{}", i.number),
        "url": url,
        "repository_url": format!("{base}/repos/{}", svc.repo),
        "labels_url": format!("{url}/labels{{/name}}"),
        "comments_url": format!("{url}/comments"),
        "events_url": format!("{url}/events"),
        "html_url": format!("{base}/{}/issues/{}", svc.repo, i.number),
        "number": i.number,
        "state": if closed.is_some() { "closed" } else { "open" },
        "state_reason": closed.map(|_| "completed"),
        "title": i.title,
        "body": i.body,
        "user": user_json(base, world, &i.author),
        "labels": i.labels.iter().map(|l| label_json(gh, svc, l)).collect::<Vec<_>>(),
        "assignee": i.assignee.as_ref().map(|a| user_json(base, world, a)),
        "assignees": i.assignee.iter().map(|a| user_json(base, world, a)).collect::<Vec<_>>(),
        "milestone": null,
        "locked": false,
        "active_lock_reason": null,
        "comments": 0,
        "closed_at": closed.map(|c| ts(clock, c)),
        "created_at": ts(clock, i.created),
        "updated_at": ts(clock, closed.unwrap_or(i.created)),
        "closed_by": null,
        "author_association": "MEMBER",
        "repository": minimal_repo_json(base, world, svc),
    })
}

/// An open pull request as the issues list shows it: an issue with `pull_request`.
fn pull_as_issue(gh: &Github, svc: &Service, p: &super::pull_story::Pull) -> Value {
    let base = gh.base();
    let world = gh.world();
    let url = format!("{base}/repos/{}/issues/{}", svc.repo, p.number);
    let html = format!("{base}/{}/pull/{}", svc.repo, p.number);
    json!({
        "id": hash(world.config.seed, &[hash_str(&svc.name), 4, p.number]) % 1_000_000_000,
        "node_id": format!("PR_{}", p.number),
        "url": url,
        "repository_url": format!("{base}/repos/{}", svc.repo),
        "html_url": html,
        "number": p.number,
        "state": "open",
        "title": p.title,
        "body": null,
        "user": user_json(base, world, &p.author),
        "labels": p.labels.iter().map(|l| label_json(gh, svc, l)).collect::<Vec<_>>(),
        "assignee": null,
        "assignees": [],
        "locked": false,
        "comments": 0,
        "created_at": ts(&gh.shared.clock, p.created),
        "updated_at": ts(&gh.shared.clock, p.created),
        "closed_at": null,
        "author_association": "MEMBER",
        "draft": p.draft,
        "pull_request": {
            "url": format!("{base}/repos/{}/pulls/{}", svc.repo, p.number),
            "html_url": html,
            "diff_url": format!("{html}.diff"),
            "patch_url": format!("{html}.patch"),
            "merged_at": null,
        },
    })
}

/// `GET /repos/{owner}/{repo}/issues`: `state` (open, closed, all), `labels` (all of them),
/// `assignee` (a login, `none`, `*`), `creator`, `since`; newest first as GitHub's default sort.
pub(super) async fn list_issues(
    State(gh): Gh,
    Path((owner, repo)): Path<(String, String)>,
    params: Params,
) -> super::server::ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.story_now();
    let state = param(&params, "state").unwrap_or("open");
    let labels: Vec<&str> = param(&params, "labels")
        .map(|l| {
            l.split(',')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let assignee = param(&params, "assignee");
    let creator = param(&params, "creator");
    let since = param(&params, "since")
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| gh.shared.clock.story(t.with_timezone(&Utc)));
    let mut items: Vec<(DateTime<Utc>, Value)> = issues(gh.world(), svc, now)
        .into_iter()
        .filter(|i| {
            let open = i.closed.is_none_or(|c| c > now);
            let state_ok = match state {
                "closed" => !open,
                "all" => true,
                _ => open,
            };
            let assignee_ok = match assignee {
                None => true,
                Some("none") => i.assignee.is_none(),
                Some("*") => i.assignee.is_some(),
                Some(a) => i
                    .assignee
                    .as_deref()
                    .is_some_and(|x| x.eq_ignore_ascii_case(a)),
            };
            state_ok
                && assignee_ok
                && creator.is_none_or(|c| i.author.eq_ignore_ascii_case(c))
                && labels
                    .iter()
                    .all(|l| i.labels.iter().any(|x| x.eq_ignore_ascii_case(l)))
                && since.is_none_or(|s| i.closed.unwrap_or(i.created) >= s)
        })
        .map(|i| (i.created, issue_json(&gh, svc, &i, now)))
        .collect();
    // Pull requests are issues too in this list, unless a filter leaves them out.
    if matches!(state, "open" | "all") && assignee.is_none_or(|a| a == "none") {
        items.extend(
            pulls(gh.world(), svc, now)
                .iter()
                .filter(|p| creator.is_none_or(|c| p.author.eq_ignore_ascii_case(c)))
                .filter(|p| {
                    labels
                        .iter()
                        .all(|l| p.labels.iter().any(|x| x.eq_ignore_ascii_case(l)))
                })
                .map(|p| (p.created, pull_as_issue(&gh, svc, p))),
        );
    }
    let ascending = param(&params, "direction") == Some("asc");
    items.sort_by_key(|(at, _)| *at);
    if !ascending {
        items.reverse();
    }
    let all: Vec<Value> = items.into_iter().map(|(_, v)| v).collect();
    let (per_page, page) = paging(&params, 30);
    let path = format!("/repos/{}/issues", svc.repo);
    let link = link_header(
        &format!("{}{path}", gh.base()),
        &params,
        per_page,
        page,
        all.len(),
    );
    Ok(paged(json!(page_of(&all, per_page, page)), link))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;

    #[test]
    fn payments_files_a_bug_per_page_and_jdoe_has_issues() {
        let w = World::new(SimConfig::default());
        let at = epoch() + crate::world::ALERT_FIRES + Duration::minutes(5);
        let pay = w.service("payments-api").expect("payments-api");
        let list = issues(&w, pay, at);
        let page = list
            .iter()
            .find(|i| i.labels.contains(&"incident") && i.closed.is_none())
            .expect("a bug for the open page");
        assert_eq!(
            page.assignee,
            crate::work::on_call(&w, "team-payments", at),
            "held by the engineer who was paged"
        );
        let cart = w.service("cart-service").expect("cart-service");
        let mine: Vec<StoryIssue> = w
            .services
            .iter()
            .flat_map(|s| issues(&w, s, at))
            .filter(|i| i.assignee.as_deref() == Some(ME) || i.author == ME)
            .collect();
        assert!(!mine.is_empty(), "jdoe holds or opened some");
        assert!(
            w.services
                .iter()
                .flat_map(|s| issues(&w, s, at))
                .any(|i| i.assignee.is_none()),
            "some wait for the team"
        );
        let numbers: Vec<u64> = issues(&w, cart, at).iter().map(|i| i.number).collect();
        assert!(numbers.iter().all(|n| *n < 100), "below the PR numbers");
    }
}
