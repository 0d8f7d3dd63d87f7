//! Open pull requests of the world's GitHub-hosted services, with their reviews: a pure function
//! of the seed and the service, so a PR view can be tested against the same PRs every run. The
//! shapes follow api.github.com's `pulls` endpoints closely enough for octocrab to decode them.

use axum::extract::{Path, State};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::world::{Service, World, hash, hash_str};

use super::json::{minimal_repo_json, user_json};
use super::server::{ApiError, ApiResult, Gh, Params, json_ok, paged};
use crate::rest::{link_header, page_of, paging, ts};

const BRANCHES: &[&str] = &[
    "fix/retry-budget",
    "feat/structured-logs",
    "chore/bump-deps",
    "fix/timeout-config",
];
const TITLES: &[&str] = &[
    "Retry idempotent calls with a budget",
    "Log as JSON with trace ids",
    "Bump dependencies",
    "Make the upstream timeout configurable",
];
const LABELS: &[&str] = &["bug", "enhancement", "dependencies", "needs-review"];
const REVIEW_STATES: &[&str] = &["APPROVED", "CHANGES_REQUESTED", "COMMENTED"];

/// One open pull request as the story has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    pub number: u64,
    pub title: String,
    pub author: String,
    pub branch: String,
    pub head_sha: String,
    pub draft: bool,
    pub labels: Vec<String>,
    pub requested: Vec<String>,
    pub created: DateTime<Utc>,
    /// `(reviewer, state, at)`, oldest first.
    pub reviews: Vec<(String, String, DateTime<Utc>)>,
    pub mergeable: bool,
}

fn sha_of(seed: u64, keys: &[u64]) -> String {
    (0..3)
        .map(|i| {
            let mut k = keys.to_vec();
            k.push(i);
            format!("{:016x}", hash(seed, &k))
        })
        .collect::<String>()
        .chars()
        .take(40)
        .collect()
}

/// The open PRs of a service, newest first: none to three, authored and reviewed by its team.
pub fn pulls(world: &World, svc: &Service, now: DateTime<Utc>) -> Vec<Pull> {
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
    let pick = |h: u64| members[(h % members.len() as u64) as usize].to_string();
    let count = hash(seed, &[key, 1]) % 4;
    let mut out: Vec<Pull> = (0..count)
        .map(|i| {
            let h = |n: u64| hash(seed, &[key, 2, i, n]);
            let at = (h(0) % TITLES.len() as u64) as usize;
            let author = pick(h(1));
            let others: Vec<&str> = members.iter().copied().filter(|m| *m != author).collect();
            let created = now - Duration::minutes(30 + (h(2) % (72 * 60)) as i64);
            let reviews: Vec<(String, String, DateTime<Utc>)> = (0..h(3) % 3)
                .filter_map(|r| {
                    let who = others.get((h(10 + r) % others.len().max(1) as u64) as usize)?;
                    let state = REVIEW_STATES[(h(20 + r) % REVIEW_STATES.len() as u64) as usize];
                    let at = created + Duration::minutes(10 + 20 * r as i64);
                    Some((who.to_string(), state.to_string(), at.min(now)))
                })
                .collect();
            let requested: Vec<String> = others
                .iter()
                .filter(|o| !reviews.iter().any(|(w, _, _)| w == *o))
                .take((h(4) % 2) as usize)
                .map(|o| o.to_string())
                .collect();
            Pull {
                number: 100 + i,
                title: TITLES[at].to_string(),
                author,
                branch: BRANCHES[at].to_string(),
                head_sha: sha_of(seed, &[key, 3, i]),
                draft: h(5) % 5 == 0,
                labels: vec![LABELS[(h(6) % LABELS.len() as u64) as usize].to_string()],
                requested,
                created,
                reviews,
                mergeable: h(7) % 4 != 0,
            }
        })
        .collect();
    out.sort_by_key(|p| std::cmp::Reverse(p.number));
    out
}

fn pull_json(gh: &super::server::Github, svc: &Service, p: &Pull, full: bool) -> Value {
    let base = gh.base();
    let world = gh.world();
    let clock = &gh.shared.clock;
    let repo = minimal_repo_json(base, world, svc);
    let url = format!("{base}/repos/{}/pulls/{}", svc.repo, p.number);
    let html = format!("{base}/{}/pull/{}", svc.repo, p.number);
    let updated = p.reviews.last().map_or(p.created, |r| r.2);
    let mut v = json!({
        "url": url,
        "id": hash(world.config.seed, &[hash_str(&svc.name), 4, p.number]) % 1_000_000_000,
        "node_id": format!("PR_{}", p.number),
        "html_url": html,
        "diff_url": format!("{html}.diff"),
        "patch_url": format!("{html}.patch"),
        "issue_url": format!("{base}/repos/{}/issues/{}", svc.repo, p.number),
        "commits_url": format!("{url}/commits"),
        "review_comments_url": format!("{url}/comments"),
        "review_comment_url": format!("{base}/repos/{}/pulls/comments{{/number}}", svc.repo),
        "comments_url": format!("{base}/repos/{}/issues/{}/comments", svc.repo, p.number),
        "statuses_url": format!("{base}/repos/{}/statuses/{}", svc.repo, p.head_sha),
        "number": p.number,
        "state": "open",
        "locked": false,
        "title": p.title,
        "user": user_json(base, world, &p.author),
        "body": format!("{}.\n\nPart of the {} service's roadmap.", p.title, svc.name),
        "labels": p.labels.iter().enumerate().map(|(i, l)| json!({
            "id": 1000 + i, "node_id": format!("LA_{l}"), "url": format!("{base}/repos/{}/labels/{l}", svc.repo),
            "name": l, "description": null, "color": "ededed", "default": false,
        })).collect::<Vec<_>>(),
        "milestone": null,
        "active_lock_reason": null,
        "created_at": ts(clock, p.created),
        "updated_at": ts(clock, updated),
        "closed_at": null,
        "merged_at": null,
        "merge_commit_sha": null,
        "assignee": null,
        "assignees": [],
        "requested_reviewers": p.requested.iter().map(|r| user_json(base, world, r)).collect::<Vec<_>>(),
        "requested_teams": [],
        "head": {
            "label": format!("{}:{}", world.org, p.branch),
            "ref": p.branch,
            "sha": p.head_sha,
            "user": user_json(base, world, &p.author),
            "repo": repo.clone(),
        },
        "base": {
            "label": format!("{}:main", world.org),
            "ref": "main",
            "sha": sha_of(world.config.seed, &[hash_str(&svc.name), 5, p.number]),
            "user": user_json(base, world, &p.author),
            "repo": repo,
        },
        "_links": {
            "self": {"href": url},
            "html": {"href": html},
        },
        "author_association": "MEMBER",
        "auto_merge": null,
        "draft": p.draft,
    });
    if full && let Some(o) = v.as_object_mut() {
        // Only the single-PR answer carries mergeability, as GitHub's does.
        let state = match (p.mergeable, p.reviews.iter().any(|r| r.1 == "APPROVED")) {
            (false, _) => "dirty",
            (true, true) => "clean",
            (true, false) => "blocked",
        };
        o.insert("mergeable".into(), json!(p.mergeable));
        o.insert("mergeable_state".into(), json!(state));
        o.insert("merged".into(), json!(false));
        o.insert("rebaseable".into(), json!(p.mergeable));
        o.insert("comments".into(), json!(0));
        o.insert("review_comments".into(), json!(p.reviews.len()));
        o.insert("commits".into(), json!(1 + p.number % 3));
        o.insert("additions".into(), json!(10 + p.number % 90));
        o.insert("deletions".into(), json!(p.number % 40));
        o.insert("changed_files".into(), json!(1 + p.number % 7));
        o.insert("maintainer_can_modify".into(), json!(false));
        o.insert("merged_by".into(), json!(null));
    }
    v
}

/// `GET /repos/{owner}/{repo}/pulls`: the open ones (the only ones the story has).
pub(super) async fn list_pulls(
    State(gh): Gh,
    Path((owner, repo)): Path<(String, String)>,
    params: Params,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.story_now();
    let state = crate::rest::param(&params, "state").unwrap_or("open");
    let all = if matches!(state, "open" | "all") {
        pulls(gh.world(), svc, now)
    } else {
        Vec::new()
    };
    let (per_page, page) = paging(&params, 30);
    let items: Vec<Value> = page_of(&all, per_page, page)
        .iter()
        .map(|p| pull_json(&gh, svc, p, false))
        .collect();
    let path = format!("/repos/{}/pulls", svc.repo);
    let link = link_header(
        &format!("{}{path}", gh.base()),
        &params,
        per_page,
        page,
        all.len(),
    );
    Ok(paged(json!(items), link))
}

fn find(gh: &super::server::Github, svc: &Service, number: &str) -> Result<Pull, ApiError> {
    let n: u64 = number.parse().map_err(|_| ApiError::not_found())?;
    pulls(gh.world(), svc, gh.shared.story_now())
        .into_iter()
        .find(|p| p.number == n)
        .ok_or_else(ApiError::not_found)
}

/// `GET /repos/{owner}/{repo}/pulls/{number}`, with mergeability.
pub(super) async fn get_pull(
    State(gh): Gh,
    Path((owner, repo, number)): Path<(String, String, String)>,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let p = find(&gh, svc, &number)?;
    Ok(json_ok(pull_json(&gh, svc, &p, true)))
}

/// `GET /repos/{owner}/{repo}/pulls/{number}/reviews`, oldest first as GitHub lists them.
pub(super) async fn list_reviews(
    State(gh): Gh,
    Path((owner, repo, number)): Path<(String, String, String)>,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let p = find(&gh, svc, &number)?;
    let base = gh.base();
    let world = gh.world();
    let html = format!("{base}/{}/pull/{}", svc.repo, p.number);
    let items: Vec<Value> = p
        .reviews
        .iter()
        .enumerate()
        .map(|(i, (who, state, at))| {
            let id = p.number * 100 + i as u64;
            json!({
                "id": id,
                "node_id": format!("PRR_{id}"),
                "user": user_json(base, world, who),
                "body": if state == "APPROVED" { "" } else { "A question inline." },
                "state": state,
                "html_url": format!("{html}#pullrequestreview-{id}"),
                "pull_request_url": format!("{base}/repos/{}/pulls/{}", svc.repo, p.number),
                "author_association": "MEMBER",
                "_links": {"html": {"href": html}, "pull_request": {"href": format!("{base}/repos/{}/pulls/{}", svc.repo, p.number)}},
                "submitted_at": ts(&gh.shared.clock, *at),
                "commit_id": p.head_sha,
            })
        })
        .collect();
    Ok(json_ok(json!(items)))
}
