//! The GitHub routes delivery history needs: compare two commits (what a deployment brought)
//! and the pull requests associated with a commit (their labels mark hotfixes). Both read the
//! world's linear history of the default branch.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::json::{commit_json, user_json};
use super::server::{ApiError, ApiResult, Gh, Params, json_ok, paged};
use crate::rest::{link_header, page_of, paging, param, ts};
use crate::world::Commit;

/// GitHub returns at most this many commits in one comparison without paging.
const COMPARE_UNPAGED: usize = 250;

/// `GET /repos/{owner}/{repo}/compare/{base}...{head}`: the commits reachable from head and not
/// from base, oldest first. History is linear, so one side is always an ancestor.
pub(super) async fn compare(
    State(gh): Gh,
    Path((owner, repo, basehead)): Path<(String, String, String)>,
    Query(params): Params,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.story_now();
    let Some((base, head)) = basehead.split_once("...") else {
        return Err(ApiError::not_found());
    };
    // Newest first, as the world keeps them.
    let commits = gh.world().commits(&svc.name, now);
    let find = |r: &str| {
        commits
            .iter()
            .position(|c| r.len() >= 7 && c.sha.starts_with(r))
            .ok_or_else(|| {
                ApiError(
                    StatusCode::NOT_FOUND,
                    format!("No commit found for SHA: {r}"),
                )
            })
    };
    let (b, h) = (find(base)?, find(head)?);
    let (status, ahead, behind) = match b.cmp(&h) {
        std::cmp::Ordering::Equal => ("identical", 0, 0),
        // A smaller index is newer: head is newer than base.
        std::cmp::Ordering::Greater => ("ahead", b - h, 0),
        std::cmp::Ordering::Less => ("behind", 0, h - b),
    };
    let brought: Vec<(Commit, Option<Commit>)> = (h..h + ahead)
        .rev()
        .map(|i| (commits[i].clone(), commits.get(i + 1).cloned()))
        .collect();
    let paged_asked = param(&params, "page").is_some() || param(&params, "per_page").is_some();
    let (items, link) = if paged_asked {
        let (per_page, page) = paging(&params, 30);
        let link = link_header(
            &format!("{}/repos/{}/compare/{basehead}", gh.base(), svc.repo),
            &params,
            per_page,
            page,
            brought.len(),
        );
        (page_of(&brought, per_page, page), link)
    } else {
        (
            brought.iter().take(COMPARE_UNPAGED).cloned().collect(),
            None,
        )
    };
    let to_json = |(c, p): &(Commit, Option<Commit>)| {
        commit_json(&gh.shared.clock, gh.base(), gh.world(), svc, c, p.as_ref())
    };
    let base_json = to_json(&(commits[b].clone(), commits.get(b + 1).cloned()));
    let merge_base = commits[b.max(h)].clone();
    let merge_base_json = to_json(&(merge_base, commits.get(b.max(h) + 1).cloned()));
    let html = format!("{}/{}/compare/{basehead}", gh.base(), svc.repo);
    let body = json!({
        "url": format!("{}/repos/{}/compare/{basehead}", gh.base(), svc.repo),
        "html_url": html,
        "permalink_url": html,
        "diff_url": format!("{html}.diff"),
        "patch_url": format!("{html}.patch"),
        "base_commit": base_json,
        "merge_base_commit": merge_base_json,
        "status": status,
        "ahead_by": ahead,
        "behind_by": behind,
        "total_commits": ahead,
        "commits": items.iter().map(to_json).collect::<Vec<Value>>(),
        "files": [],
    });
    Ok(paged(body, link))
}

/// `GET /repos/{owner}/{repo}/commits/{sha}/pulls`: the merged pull request behind a commit of
/// the history (none for the others).
pub(super) async fn commit_pulls(
    State(gh): Gh,
    Path((owner, repo, sha)): Path<(String, String, String)>,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.story_now();
    let world = gh.world();
    let Some(commit) = world
        .commits(&svc.name, now)
        .into_iter()
        .find(|c| sha.len() >= 7 && c.sha.starts_with(&sha))
    else {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("No commit found for SHA: {sha}"),
        ));
    };
    let c = &gh.shared.clock;
    let base = gh.base();
    let pulls: Vec<Value> = world
        .pull_of(&svc.name, &commit.sha)
        .into_iter()
        .map(|p| {
            let api = format!("{base}/repos/{}/pulls/{}", svc.repo, p.number);
            let opened = p.merged - chrono::Duration::hours(3);
            json!({
                "url": api,
                "id": 7_000_000 + svc.project_id * 10_000 + p.number,
                "number": p.number,
                "state": "closed",
                "locked": false,
                "title": p.title,
                "user": user_json(base, world, &p.author),
                "body": null,
                "labels": p.labels.iter().enumerate().map(|(i, l)| json!({
                    "id": 600 + i as u64,
                    "name": l,
                    "color": if *l == "enhancement" { "a2eeef" } else { "d73a4a" },
                    "default": *l == "enhancement",
                    "description": null,
                })).collect::<Vec<Value>>(),
                "created_at": ts(c, opened),
                "updated_at": ts(c, p.merged),
                "closed_at": ts(c, p.merged),
                "merged_at": ts(c, p.merged),
                "merge_commit_sha": p.merge_sha,
                "draft": false,
                "html_url": format!("{base}/{}/pull/{}", svc.repo, p.number),
                "base": { "ref": "main", "label": "acme:main" },
                "head": { "ref": format!("pr-{}", p.number), "label": format!("acme:pr-{}", p.number) },
                "author_association": "MEMBER",
            })
        })
        .collect();
    Ok(json_ok(Value::Array(pulls)))
}
