//! The `pulls` endpoints over the story's open pull requests (`pull_story`): lists, a PR, its
//! reviews, and its head's check runs and combined status, shaped closely enough to
//! api.github.com's for octocrab to decode them.

use axum::extract::{Path, State};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::world::{ScheduledRun, Service, hash, hash_str};

use super::json::{minimal_repo_json, user_json};
use super::pull_story::{Pull, pulls, sha_of};
use super::server::{ApiError, ApiResult, Gh, Params, json_ok, paged};
use crate::rest::{link_header, page_of, paging, ts};

fn pull_json(gh: &super::server::Github, svc: &Service, p: &Pull, full: bool) -> Value {
    let base = gh.base();
    let world = gh.world();
    let clock = &gh.shared.clock;
    let repo = minimal_repo_json(base, world, svc);
    let url = format!("{base}/repos/{}/pulls/{}", svc.repo, p.number);
    let html = format!("{base}/{}/pull/{}", svc.repo, p.number);
    let updated = p.updated();
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

/// The runs whose head is `git_ref` (a sha or a branch name), with their latest attempts.
fn runs_at(
    gh: &super::server::Github,
    svc: &Service,
    git_ref: &str,
    now: DateTime<Utc>,
) -> Vec<(ScheduledRun, crate::ci::Attempt)> {
    gh.runs(svc, now)
        .into_iter()
        .filter(|r| {
            r.commit.sha == git_ref
                || r.pull.is_some_and(|(_, branch)| branch == git_ref)
                || (r.pull.is_none() && git_ref == "main")
        })
        .map(|r| {
            let a = gh.latest(&r);
            (r, a)
        })
        .collect()
}

/// `GET /repos/{owner}/{repo}/commits/{ref}/check-runs`: GitHub Actions makes one check run
/// per job, so these are the jobs of the latest attempt of every run at that head.
pub(super) async fn check_runs(
    State(gh): Gh,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
    params: Params,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.story_now();
    let base = gh.base();
    let clock = &gh.shared.clock;
    let mut all: Vec<Value> = Vec::new();
    for (run, attempt) in runs_at(&gh, svc, &git_ref, now) {
        for job in &attempt.jobs {
            let (status, conclusion) = super::json::job_state(job, now);
            let html = format!("{base}/{}/actions/runs/{}/job/{}", svc.repo, run.id, job.id);
            all.push(json!({
                "id": job.id,
                "head_sha": run.commit.sha,
                "node_id": format!("CR_kwDOK{:X}", job.id),
                "external_id": format!("{:x}", job.id),
                "url": format!("{base}/repos/{}/check-runs/{}", svc.repo, job.id),
                "html_url": html,
                "details_url": html,
                "status": status,
                "conclusion": conclusion,
                "started_at": (status != "queued").then(|| ts(clock, job.start)),
                "completed_at": (status == "completed").then(|| ts(clock, job.end)),
                "output": {"title": null, "summary": null, "text": null, "annotations_count": 0,
                    "annotations_url": format!("{base}/repos/{}/check-runs/{}/annotations", svc.repo, job.id)},
                "name": job.name,
                "check_suite": {"id": run.id / 10 + u64::from(attempt.number) * 7},
                "app": {"id": 15368, "slug": "github-actions", "name": "GitHub Actions"},
                "pull_requests": [],
            }));
        }
    }
    let total = all.len();
    let (per_page, page) = paging(&params, 30);
    let items: Vec<Value> = page_of(&all, per_page, page).to_vec();
    let link = link_header(
        &format!("{base}/repos/{}/commits/{git_ref}/check-runs", svc.repo),
        &params,
        per_page,
        page,
        total,
    );
    Ok(paged(
        json!({"total_count": total, "check_runs": items}),
        link,
    ))
}

/// `GET /repos/{owner}/{repo}/commits/{ref}/status`: the combined commit status. Actions
/// reports through check runs, not statuses; the one status here is a contributor-licence
/// check of the kind outside apps post, which passes once the head is pushed. With no
/// statuses GitHub's combined state reads `pending`, as here for other refs.
pub(super) async fn combined_status(
    State(gh): Gh,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.story_now();
    let base = gh.base();
    let clock = &gh.shared.clock;
    let pull = pulls(gh.world(), svc, now)
        .into_iter()
        .find(|p| p.head_sha == git_ref || p.branch == git_ref);
    let statuses: Vec<Value> = pull
        .iter()
        .map(|p| {
            let at = p.pushes.last().map_or(p.created, |x| x.1) + Duration::seconds(5);
            json!({
                "url": format!("{base}/repos/{}/statuses/{}", svc.repo, p.head_sha),
                "avatar_url": null,
                "id": hash(gh.world().config.seed, &[hash_str(&svc.name), 7, p.number]) % 1_000_000_000,
                "node_id": format!("SC_{}", p.number),
                "state": "success",
                "description": "All contributors have signed the CLA.",
                "target_url": format!("{base}/{}/pull/{}#cla", svc.repo, p.number),
                "context": "license/cla",
                "created_at": ts(clock, at),
                "updated_at": ts(clock, at),
            })
        })
        .collect();
    let sha = pull
        .as_ref()
        .map_or(git_ref.clone(), |p| p.head_sha.clone());
    let state = if statuses.is_empty() {
        "pending"
    } else {
        "success"
    };
    Ok(json_ok(json!({
        "state": state,
        "statuses": statuses,
        "sha": sha,
        "total_count": statuses.len(),
        "repository": minimal_repo_json(base, gh.world(), svc),
        "commit_url": format!("{base}/repos/{}/commits/{sha}", svc.repo),
        "url": format!("{base}/repos/{}/commits/{sha}/status", svc.repo),
    })))
}
