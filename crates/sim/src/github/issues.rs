//! Issues of the world's GitHub-hosted services, as `GET /repos/{owner}/{repo}/issues` serves
//! them: a small backlog per service (some the team left unassigned, some `jdoe` holds or
//! opened), and on payments-api a bug for each crash-loop page (`bug` + `incident`, held by the
//! on-call engineer who was paged, closed when the alert resolves). Open pull requests are in the
//! list too, marked by `pull_request`, as GitHub lists them.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::json::{minimal_repo_json, user_json};
use super::pull_story::pulls;
use super::server::{ApiError, Gh, Github, Params, Posted, paged};
use crate::rest::{link_header, page_of, paging, param, ts};
use crate::work::{ME, incidents};
use crate::world::{CYCLE, Service, World, epoch, hash, hash_str};
use flightdeck_core::sync::lock;

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
    // A larger backlog when the config asks for one: triage items, most unassigned, every
    // seventh a bug, filed before the story starts.
    for k in 0..world.config.issue_backlog as u64 {
        let bug = k.is_multiple_of(7);
        out.push(StoryIssue {
            number: 0,
            title: format!("Triage item {}", k + 1),
            body: format!("Filed from the support queue for **{}**.", svc.name),
            author: teammate(k + 40),
            assignee: (k % 4 == 3).then(|| teammate(k + 41)),
            labels: if bug { vec!["bug"] } else { vec!["triage"] },
            created: epoch() - Duration::hours(1) - Duration::minutes(k as i64),
            closed: None,
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
    // Numbers count up in filing order, stepping over the hundreds the story's pull requests
    // hold (issues and pull requests share one sequence on GitHub).
    let mut next = 1;
    for i in &mut out {
        if next == PULL_NUMBERS.start {
            next = PULL_NUMBERS.end;
        }
        i.number = next;
        next += 1;
    }
    out
}

/// The numbers the story's pull requests take.
const PULL_NUMBERS: std::ops::Range<u64> = 100..200;

/// A comment on an issue: the story's, or one a client posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryComment {
    pub id: u64,
    pub author: String,
    pub body: String,
    pub created: DateTime<Utc>,
}

/// What the story's people said on `issue` by `now`: the on-call's notes on a page's bug, a
/// closing word on every closed issue, and a word or two from the team on some of the backlog.
pub fn story_comments(
    world: &World,
    svc: &Service,
    issue: &StoryIssue,
    now: DateTime<Utc>,
) -> Vec<StoryComment> {
    let seed = world.config.seed;
    let key = hash_str(&svc.name);
    let id = |n: u64| 2_000_000_000 + hash(seed, &[key, 11, issue.number, n]) % 1_000_000_000;
    let mut out = Vec::new();
    let paged = issue.labels.contains(&"incident") && issue.title.starts_with("Crash loop");
    if paged {
        out.push(StoryComment {
            id: id(0),
            author: issue.author.clone(),
            body: "Acknowledged the page. The crash loop started with the last deploy; \
                   looking at its diff now."
                .into(),
            created: issue.created + Duration::minutes(3),
        });
    } else if issue.closed.is_none() && !hash(seed, &[key, 12, issue.number]).is_multiple_of(3) {
        out.push(StoryComment {
            id: id(0),
            author: issue
                .assignee
                .clone()
                .unwrap_or_else(|| issue.author.clone()),
            body: format!(
                "Seen again on `{}` this week; adding it to the next sprint.",
                svc.name
            ),
            created: issue.created + Duration::hours(4),
        });
    }
    if let Some(closed) = issue.closed {
        out.push(StoryComment {
            id: id(1),
            author: issue
                .assignee
                .clone()
                .unwrap_or_else(|| issue.author.clone()),
            body: if paged {
                "Rolled back; the pods are ready again. Closing.".into()
            } else {
                "Fixed in the last deploy. Closing.".into()
            },
            created: closed,
        });
    }
    out.retain(|c| c.created <= now);
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
    let comments = all_comments(gh, svc, i, now);
    // A comment updates its issue, as on GitHub (and so changes the list's ETag).
    let updated = comments
        .iter()
        .map(|c| c.created)
        .chain(closed)
        .fold(i.created, DateTime::max);
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
        "comments": comments.len(),
        "closed_at": closed.map(|c| ts(clock, c)),
        "created_at": ts(clock, i.created),
        "updated_at": ts(clock, updated),
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

/// The story's comments on `issue` and those clients posted, oldest first.
fn all_comments(
    gh: &Github,
    svc: &Service,
    issue: &StoryIssue,
    now: DateTime<Utc>,
) -> Vec<StoryComment> {
    let mut out = story_comments(gh.world(), svc, issue, now);
    if let Some(posted) = lock(&gh.comments).get(&(svc.repo.to_ascii_lowercase(), issue.number)) {
        out.extend(posted.iter().map(|p| StoryComment {
            id: p.id,
            author: p.author.clone(),
            body: p.body.clone(),
            created: p.created,
        }));
    }
    out
}

fn comment_json(gh: &Github, svc: &Service, number: u64, c: &StoryComment) -> Value {
    let base = gh.base();
    let clock = &gh.shared.clock;
    json!({
        "id": c.id,
        "node_id": format!("IC_{}", c.id),
        "url": format!("{base}/repos/{}/issues/comments/{}", svc.repo, c.id),
        "html_url": format!("{base}/{}/issues/{number}#issuecomment-{}", svc.repo, c.id),
        "issue_url": format!("{base}/repos/{}/issues/{number}", svc.repo),
        "body": c.body,
        "user": user_json(base, gh.world(), &c.author),
        "created_at": ts(clock, c.created),
        "updated_at": ts(clock, c.created),
        "author_association": "MEMBER",
    })
}

/// The issue `number` of `svc` as filed by `now`, or GitHub's 404.
fn issue_numbered(
    gh: &Github,
    svc: &Service,
    number: &str,
    now: DateTime<Utc>,
) -> Result<StoryIssue, ApiError> {
    let number: u64 = number.parse().map_err(|_| ApiError::not_found())?;
    issues(gh.world(), svc, now)
        .into_iter()
        .find(|i| i.number == number)
        .ok_or_else(ApiError::not_found)
}

/// `GET /repos/{owner}/{repo}/issues/{number}/comments`: oldest first, paged like GitHub
/// (30 by default, `per_page` up to 100, a `Link` header).
pub(super) async fn list_comments(
    State(gh): Gh,
    Path((owner, repo, number)): Path<(String, String, String)>,
    params: Params,
) -> super::server::ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.story_now();
    let issue = issue_numbered(&gh, svc, &number, now)?;
    let all: Vec<Value> = all_comments(&gh, svc, &issue, now)
        .iter()
        .map(|c| comment_json(&gh, svc, issue.number, c))
        .collect();
    let (per_page, page) = paging(&params, 30);
    let path = format!("/repos/{}/issues/{}/comments", svc.repo, issue.number);
    let link = link_header(
        &format!("{}{path}", gh.base()),
        &params,
        per_page,
        page,
        all.len(),
    );
    Ok(paged(json!(page_of(&all, per_page, page)), link))
}

/// `POST /repos/{owner}/{repo}/issues/{number}/comments` with `{"body": …}`: recorded as the
/// token's user (the sim has one), answered 201 with the comment; 422 without a body.
pub(super) async fn create_comment(
    State(gh): Gh,
    Path((owner, repo, number)): Path<(String, String, String)>,
    Json(request): Json<Value>,
) -> super::server::ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.story_now();
    let issue = issue_numbered(&gh, svc, &number, now)?;
    let body = request
        .get("body")
        .and_then(Value::as_str)
        .filter(|b| !b.trim().is_empty())
        .ok_or_else(|| ApiError(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed".into()))?;
    let comment = {
        let mut all = lock(&gh.comments);
        let list = all
            .entry((svc.repo.to_ascii_lowercase(), issue.number))
            .or_default();
        let seed = gh.world().config.seed;
        let n = list.len() as u64;
        let p = Posted {
            id: 3_000_000_000
                + hash(seed, &[hash_str(&svc.name), 13, issue.number, n]) % 1_000_000_000,
            author: crate::ci::DEMO_USER.to_string(),
            body: body.to_string(),
            created: now,
        };
        list.push(p.clone());
        StoryComment {
            id: p.id,
            author: p.author,
            body: p.body,
            created: p.created,
        }
    };
    Ok((
        StatusCode::CREATED,
        Json(comment_json(&gh, svc, issue.number, &comment)),
    )
        .into_response())
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
