//! One handler per route of the GitHub server.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::world::{
    Commit, RunKind, RunOutcome, ScheduledRun, Service, World, epoch, hash, hash_str,
};

use super::json::{
    commit_json, deployment_json, job_json, minimal_repo_json, org_json, person_name, run_json,
    statuses_json, user_json, workflow_file, workflow_id, workflow_json,
};
use super::server::{
    ApiError, ApiResult, Bucket, Gh, Github, LIMIT_ANONYMOUS, LIMIT_AUTHENTICATED, Params,
    common_headers, json_ok, paged, rate_headers,
};
use crate::ci::{
    self, Attempt, DEMO_USER, DISPATCHED_IDS, DeploymentView, JobEnd, JobPlan, Retry, github_log,
    run_of_job,
};
use crate::rest::{link_header, page_of, paging, param, ts};
use flightdeck_core::sync::lock;

pub(super) async fn user(State(gh): Gh) -> ApiResult {
    let world = gh.world();
    let (name, email) = person_name(world, DEMO_USER);
    let mut v = user_json(gh.base(), world, DEMO_USER);
    if let Some(o) = v.as_object_mut() {
        o.insert("name".into(), json!(name));
        o.insert("email".into(), json!(email));
        o.insert("company".into(), json!("Acme"));
        o.insert("blog".into(), json!(""));
        o.insert("location".into(), json!(null));
        o.insert("hireable".into(), json!(null));
        o.insert("bio".into(), json!(null));
        o.insert("twitter_username".into(), json!(null));
        o.insert("public_repos".into(), json!(0));
        o.insert("public_gists".into(), json!(0));
        o.insert("followers".into(), json!(3));
        o.insert("following".into(), json!(2));
        o.insert(
            "created_at".into(),
            json!(ts(&gh.shared.clock, epoch() - Duration::days(700))),
        );
        o.insert(
            "updated_at".into(),
            json!(ts(&gh.shared.clock, epoch() - Duration::days(3))),
        );
    }
    Ok(json_ok(v))
}

pub(super) async fn rate_limit(State(gh): Gh, headers: HeaderMap) -> ApiResult {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty());
    let wall = Utc::now().timestamp();
    let b = lock(&gh.buckets)
        .get(&auth.map_or(0, hash_str))
        .copied()
        .unwrap_or(Bucket {
            limit: if auth.is_some() {
                LIMIT_AUTHENTICATED
            } else {
                LIMIT_ANONYMOUS
            },
            used: 0,
            reset: wall + 3600,
        });
    let core = json!({ "limit": b.limit, "used": b.used, "remaining": b.limit.saturating_sub(b.used), "reset": b.reset });
    let fresh =
        |limit: u64| json!({ "limit": limit, "used": 0, "remaining": limit, "reset": wall + 60 });
    let mut r = json_ok(json!({
        "resources": {
            "core": core,
            "search": fresh(30),
            "graphql": fresh(5000),
            "integration_manifest": fresh(5000),
            "source_import": fresh(100),
            "code_scanning_upload": fresh(1000),
            "actions_runner_registration": fresh(10000),
            "scim": fresh(15000),
            "dependency_snapshots": fresh(100),
            "code_search": fresh(10),
        },
        "rate": core,
    }));
    common_headers(r.headers_mut());
    rate_headers(r.headers_mut(), &b);
    Ok(r)
}

pub(super) async fn repository(
    State(gh): Gh,
    Path((owner, repo)): Path<(String, String)>,
) -> ApiResult {
    // A created repository answers in its own shape, launched or not.
    if let Some(r) = super::git::created_repository(&gh, &owner, &repo) {
        return Ok(r);
    }
    let svc = gh.service(&owner, &repo)?;
    let world = gh.world();
    let now = gh.shared.story_now();
    let pushed = world
        .commits(&svc.name, now)
        .first()
        .map_or(epoch(), |c| c.at);
    let mut v = minimal_repo_json(gh.base(), world, svc);
    if let Some(o) = v.as_object_mut() {
        let base = gh.base();
        for (k, val) in [
            (
                "git_url",
                json!(format!("git://127.0.0.1/{}.git", svc.repo)),
            ),
            ("ssh_url", json!(format!("git@127.0.0.1:{}.git", svc.repo))),
            ("clone_url", json!(format!("{base}/{}.git", svc.repo))),
            ("svn_url", json!(format!("{base}/{}", svc.repo))),
            ("mirror_url", json!(null)),
            (
                "homepage",
                json!(format!("https://{}.acme.example", svc.name)),
            ),
            ("language", json!(svc.language)),
            ("forks_count", json!(0)),
            ("stargazers_count", json!(4)),
            ("watchers_count", json!(4)),
            ("size", json!(2048)),
            ("default_branch", json!("main")),
            ("open_issues_count", json!(3)),
            ("is_template", json!(false)),
            ("topics", json!([svc.system, svc.language])),
            ("has_issues", json!(true)),
            ("has_projects", json!(false)),
            ("has_wiki", json!(false)),
            ("has_pages", json!(false)),
            ("has_downloads", json!(true)),
            ("has_discussions", json!(false)),
            ("archived", json!(false)),
            ("disabled", json!(false)),
            ("visibility", json!("private")),
            ("pushed_at", json!(ts(&gh.shared.clock, pushed))),
            (
                "created_at",
                json!(ts(&gh.shared.clock, epoch() - Duration::days(400))),
            ),
            ("updated_at", json!(ts(&gh.shared.clock, pushed))),
            (
                "permissions",
                json!({ "admin": false, "maintain": false, "push": true, "triage": true, "pull": true }),
            ),
            ("allow_forking", json!(false)),
            ("web_commit_signoff_required", json!(false)),
            ("forks", json!(0)),
            ("open_issues", json!(3)),
            ("watchers", json!(4)),
            ("network_count", json!(0)),
            ("subscribers_count", json!(5)),
            ("organization", org_json(base, &world.org)),
        ] {
            o.insert(k.into(), val);
        }
    }
    Ok(json_ok(v))
}

/// Whether a run passes the list filters GitHub documents (branch, event, actor, head_sha, and
/// status, which may name a conclusion).
pub(super) fn run_matches(
    run: &ScheduledRun,
    attempt: &Attempt,
    params: &[(String, String)],
    now: DateTime<Utc>,
) -> bool {
    let ok = |name: &str, value: &str| {
        param(params, name).is_none_or(|want| want.eq_ignore_ascii_case(value))
    };
    if !(ok("branch", super::json::run_branch(run))
        && ok("event", super::json::run_event(run))
        && ok("actor", &run.actor)
        && ok("head_sha", &run.commit.sha))
    {
        return false;
    }
    match param(params, "status") {
        None => true,
        Some(want) => {
            let status = attempt.status(now);
            let conclusion = attempt.conclusion(now).map(JobEnd::github);
            match want {
                "requested" | "waiting" | "pending" => false,
                "queued" | "in_progress" | "completed" => status == want,
                other => conclusion == Some(other),
            }
        }
    }
}

pub(super) fn list_runs_of(
    gh: &Github,
    svc: &Service,
    kind: Option<RunKind>,
    params: &[(String, String)],
    path: &str,
) -> ApiResult {
    let now = gh.shared.story_now();
    let world = gh.world();
    let (per_page, page) = paging(params, 30);
    let scheduled = gh.scheduled_runs(svc, now);
    let overlay = lock(&gh.overlay);
    let matching: Vec<(ScheduledRun, Attempt)> = scheduled
        .into_iter()
        .chain(
            overlay
                .dispatched
                .iter()
                .filter(|r| r.service == svc.name && r.created <= now)
                .cloned(),
        )
        .filter(|r| kind.is_none_or(|k| r.kind == k))
        .map(|r| {
            let a = overlay.latest(world, &r);
            (r, a)
        })
        .filter(|(r, a)| run_matches(r, a, params, now))
        .collect();
    drop(overlay);
    let mut matching = matching;
    matching.sort_by_key(|(r, _)| std::cmp::Reverse((r.created, r.id)));
    let total = matching.len();
    let runs: Vec<Value> = page_of(&matching, per_page, page)
        .iter()
        .map(|(r, a)| run_json(&gh.shared.clock, gh.base(), world, svc, r, a, now))
        .collect();
    let link = link_header(
        &format!("{}{path}", gh.base()),
        params,
        per_page,
        page,
        total,
    );
    Ok(paged(
        json!({ "total_count": total, "workflow_runs": runs }),
        link,
    ))
}

pub(super) async fn list_runs(
    State(gh): Gh,
    Path((owner, repo)): Path<(String, String)>,
    Query(params): Params,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    list_runs_of(
        &gh,
        svc,
        None,
        &params,
        &format!("/repos/{}/actions/runs", svc.repo),
    )
}

pub(super) fn workflow_kind(
    world: &World,
    svc: &Service,
    workflow: &str,
) -> Result<RunKind, ApiError> {
    [RunKind::Ci, RunKind::Deploy]
        .into_iter()
        .find(|k| {
            workflow == workflow_file(*k) || workflow == workflow_id(world, svc, *k).to_string()
        })
        .ok_or_else(ApiError::not_found)
}

pub(super) async fn list_workflows(
    State(gh): Gh,
    Path((owner, repo)): Path<(String, String)>,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let wf: Vec<Value> = [RunKind::Ci, RunKind::Deploy]
        .iter()
        .map(|k| workflow_json(&gh.shared.clock, gh.base(), gh.world(), svc, *k))
        .collect();
    Ok(json_ok(json!({ "total_count": wf.len(), "workflows": wf })))
}

pub(super) async fn get_workflow(
    State(gh): Gh,
    Path((owner, repo, workflow)): Path<(String, String, String)>,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let kind = workflow_kind(gh.world(), svc, &workflow)?;
    Ok(json_ok(workflow_json(
        &gh.shared.clock,
        gh.base(),
        gh.world(),
        svc,
        kind,
    )))
}

pub(super) async fn list_workflow_runs(
    State(gh): Gh,
    Path((owner, repo, workflow)): Path<(String, String, String)>,
    Query(params): Params,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let kind = workflow_kind(gh.world(), svc, &workflow)?;
    list_runs_of(
        &gh,
        svc,
        Some(kind),
        &params,
        &format!("/repos/{}/actions/workflows/{workflow}/runs", svc.repo),
    )
}

pub(super) async fn dispatch(
    State(gh): Gh,
    Path((owner, repo, workflow)): Path<(String, String, String)>,
    body: Option<Json<Value>>,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let world = gh.world();
    let kind = workflow_kind(world, svc, &workflow)?;
    let body = body.map(|Json(v)| v).unwrap_or(Value::Null);
    let Some(git_ref) = body.get("ref").and_then(Value::as_str) else {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid request.\n\n\"ref\" wasn't supplied.".into(),
        ));
    };
    if let Some(inputs) = body.get("inputs") {
        let strings = inputs
            .as_object()
            .is_some_and(|o| o.values().all(Value::is_string));
        if !strings {
            return Err(ApiError(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid request.\n\nFor 'properties/inputs', values must be strings.".into(),
            ));
        }
    }
    let now = gh.shared.story_now();
    let commits = world.commits(&svc.name, now);
    let branch = git_ref.trim_start_matches("refs/heads/");
    let commit = if branch == "main" {
        commits.first().cloned()
    } else {
        commits
            .iter()
            .find(|c| c.sha.starts_with(branch) && branch.len() >= 7)
            .cloned()
    };
    let Some(commit) = commit else {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("No ref found for: {git_ref}"),
        ));
    };
    let id = {
        let mut overlay = lock(&gh.overlay);
        let n = overlay.dispatched.len() as u64;
        let same_kind = world
            .runs(&svc.name, now)
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.number)
            .max()
            .unwrap_or(0);
        let id = DISPATCHED_IDS + n;
        let key = hash(world.config.seed, &[id]);
        let duration = Duration::seconds(150 + (key % 120) as i64);
        // Numbered well past the schedule's runs (a thousand runs is days of demo), so run
        // numbers stay unique per workflow.
        let number = same_kind + 1000 + n;
        overlay.dispatched.push(ScheduledRun {
            id,
            service: svc.name.clone(),
            kind,
            number,
            commit,
            actor: DEMO_USER.into(),
            created: now,
            started: now + Duration::seconds(6),
            finished: now + Duration::seconds(6) + duration,
            outcome: RunOutcome::Success,
            environments: if kind == RunKind::Deploy {
                vec!["staging", "production"]
            } else {
                vec![]
            },
            failing_job: None,
            pull: None,
        });
        id
    };
    if body.get("return_run_details").and_then(Value::as_bool) == Some(true) {
        let base = gh.base();
        return Ok(json_ok(json!({
            "workflow_run_id": id,
            "run_url": format!("{base}/repos/{}/actions/runs/{id}", svc.repo),
            "html_url": format!("{base}/{}/actions/runs/{id}", svc.repo),
        })));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) fn parse_id(s: &str) -> Result<u64, ApiError> {
    s.parse().map_err(|_| ApiError::not_found())
}

pub(super) async fn get_run(
    State(gh): Gh,
    Path((owner, repo, run_id)): Path<(String, String, String)>,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.story_now();
    let run = gh.run(svc, parse_id(&run_id)?, now)?;
    let attempt = gh.latest(&run);
    Ok(json_ok(run_json(
        &gh.shared.clock,
        gh.base(),
        gh.world(),
        svc,
        &run,
        &attempt,
        now,
    )))
}

pub(super) async fn get_run_attempt(
    State(gh): Gh,
    Path((owner, repo, run_id, attempt)): Path<(String, String, String, String)>,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.story_now();
    let run = gh.run(svc, parse_id(&run_id)?, now)?;
    let n = parse_id(&attempt)?;
    let attempt = gh
        .attempts(&run)
        .into_iter()
        .find(|a| u64::from(a.number) == n)
        .ok_or_else(ApiError::not_found)?;
    Ok(json_ok(run_json(
        &gh.shared.clock,
        gh.base(),
        gh.world(),
        svc,
        &run,
        &attempt,
        now,
    )))
}

pub(super) async fn list_jobs(
    State(gh): Gh,
    Path((owner, repo, run_id)): Path<(String, String, String)>,
    Query(params): Params,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.story_now();
    let run = gh.run(svc, parse_id(&run_id)?, now)?;
    let attempts = gh.attempts(&run);
    let jobs: Vec<JobPlan> = if param(&params, "filter") == Some("all") {
        // Every job of every attempt, once: kept jobs appear in later attempts too.
        let mut all: Vec<JobPlan> = Vec::new();
        for a in attempts.iter().rev() {
            for j in &a.jobs {
                if !all.iter().any(|k| k.id == j.id) {
                    all.push(j.clone());
                }
            }
        }
        all
    } else {
        attempts.last().map(|a| a.jobs.clone()).unwrap_or_default()
    };
    let (per_page, page) = paging(&params, 30);
    let total = jobs.len();
    let items: Vec<Value> = page_of(&jobs, per_page, page)
        .iter()
        .map(|j| job_json(&gh.shared.clock, gh.base(), svc, &run, j, now))
        .collect();
    let link = link_header(
        &format!(
            "{}/repos/{}/actions/runs/{}/jobs",
            gh.base(),
            svc.repo,
            run.id
        ),
        &params,
        per_page,
        page,
        total,
    );
    Ok(paged(json!({ "total_count": total, "jobs": items }), link))
}

/// The job with `id` in `svc`, with its run, as of `now`.
pub(super) fn find_job(
    gh: &Github,
    svc: &Service,
    id: u64,
    now: DateTime<Utc>,
) -> Result<(ScheduledRun, JobPlan), ApiError> {
    let run = gh.run(svc, run_of_job(id), now)?;
    let job = gh
        .attempts(&run)
        .into_iter()
        .flat_map(|a| a.jobs)
        .find(|j| j.id == id)
        .ok_or_else(ApiError::not_found)?;
    Ok((run, job))
}

pub(super) async fn get_job(
    State(gh): Gh,
    Path((owner, repo, job_id)): Path<(String, String, String)>,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.story_now();
    let (run, job) = find_job(&gh, svc, parse_id(&job_id)?, now)?;
    Ok(json_ok(job_json(
        &gh.shared.clock,
        gh.base(),
        svc,
        &run,
        &job,
        now,
    )))
}

/// The signature on a log URL, so a URL works only as handed out and only for a minute.
pub(super) fn log_signature(job_id: u64, expires: i64) -> String {
    format!("{:016x}", hash(0x5eed, &[job_id, expires as u64]))
}

pub(super) async fn job_logs(
    State(gh): Gh,
    Path((owner, repo, job_id)): Path<(String, String, String)>,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.story_now();
    let (_, job) = find_job(&gh, svc, parse_id(&job_id)?, now)?;
    if now < job.start {
        return Err(ApiError::not_found());
    }
    let expires = Utc::now().timestamp() + 60;
    let location = format!(
        "{}/_logs/{}/jobs/{}?expires={expires}&sig={}",
        gh.base(),
        svc.repo,
        job.id,
        log_signature(job.id, expires)
    );
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

pub(super) async fn raw_log(
    State(gh): Gh,
    Path((owner, repo, job_id)): Path<(String, String, String)>,
    Query(params): Params,
) -> Response {
    let expired = || {
        (
            StatusCode::FORBIDDEN,
            "AuthenticationFailed: the log URL expired or is not signed\n",
        )
            .into_response()
    };
    let Some(expires) = param(&params, "expires").and_then(|e| e.parse::<i64>().ok()) else {
        return expired();
    };
    let Ok(id) = job_id.parse::<u64>() else {
        return expired();
    };
    if param(&params, "sig") != Some(log_signature(id, expires).as_str())
        || Utc::now().timestamp() > expires
    {
        return expired();
    }
    let Ok(svc) = gh.service(&owner, &repo) else {
        return ApiError::not_found().into_response();
    };
    let now = gh.shared.story_now();
    match find_job(&gh, svc, id, now) {
        Ok((run, job)) => {
            let text = github_log(&gh.shared.clock, svc, &run, &job, now);
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
        }
        Err(e) => e.into_response(),
    }
}

pub(super) fn accepted() -> Response {
    (StatusCode::ACCEPTED, Json(json!({}))).into_response()
}

pub(super) fn created() -> Response {
    (StatusCode::CREATED, Json(json!({}))).into_response()
}

pub(super) async fn rerun_with(
    gh: &Github,
    owner: &str,
    repo: &str,
    run_id: &str,
    failed_only: bool,
) -> ApiResult {
    let svc = gh.service(owner, repo)?;
    let now = gh.shared.story_now();
    let run = gh.run(svc, parse_id(run_id)?, now)?;
    let mut overlay = lock(&gh.overlay);
    let latest = overlay.latest(gh.world(), &run);
    if latest.status(now) != "completed" {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "This workflow run is not completed.".into(),
        ));
    }
    if failed_only && latest.conclusion(now) == Some(JobEnd::Success) {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "This workflow run has no failed jobs to re-run.".into(),
        ));
    }
    overlay.retries.entry(run.id).or_default().push(Retry {
        at: now,
        failed_only,
    });
    Ok(created())
}

pub(super) async fn rerun(
    State(gh): Gh,
    Path((owner, repo, run_id)): Path<(String, String, String)>,
) -> ApiResult {
    rerun_with(&gh, &owner, &repo, &run_id, false).await
}

pub(super) async fn rerun_failed(
    State(gh): Gh,
    Path((owner, repo, run_id)): Path<(String, String, String)>,
) -> ApiResult {
    rerun_with(&gh, &owner, &repo, &run_id, true).await
}

pub(super) async fn cancel(
    State(gh): Gh,
    Path((owner, repo, run_id)): Path<(String, String, String)>,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.story_now();
    let run = gh.run(svc, parse_id(&run_id)?, now)?;
    let mut overlay = lock(&gh.overlay);
    let latest = overlay.latest(gh.world(), &run);
    if latest.status(now) == "completed" {
        return Err(ApiError(
            StatusCode::CONFLICT,
            "Cannot cancel a workflow run that is completed.".into(),
        ));
    }
    overlay.cancels.insert((run.id, latest.number), now);
    Ok(accepted())
}

/// Every deployment of `svc` that exists at `now`, newest first.
pub(super) fn deployments(gh: &Github, svc: &Service, now: DateTime<Utc>) -> Vec<DeploymentView> {
    let runs = gh.runs(svc, now);
    ci::deployments(gh.world(), &lock(&gh.overlay), &runs, now)
}

pub(super) async fn list_deployments(
    State(gh): Gh,
    Path((owner, repo)): Path<(String, String)>,
    Query(params): Params,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.story_now();
    let all = deployments(&gh, svc, now);
    let matching: Vec<DeploymentView> = all
        .into_iter()
        .filter(|d| {
            param(&params, "environment").is_none_or(|e| e == d.environment)
                && param(&params, "sha").is_none_or(|s| s == d.run.commit.sha)
                && param(&params, "ref")
                    .is_none_or(|r| r == "main" || r == "refs/heads/main" || r == d.run.commit.sha)
                && param(&params, "task").is_none_or(|t| t == "deploy")
        })
        .collect();
    let (per_page, page) = paging(&params, 30);
    let items: Vec<Value> = page_of(&matching, per_page, page)
        .iter()
        .map(|d| deployment_json(&gh.shared.clock, gh.base(), gh.world(), svc, d, now))
        .collect();
    let link = link_header(
        &format!("{}/repos/{}/deployments", gh.base(), svc.repo),
        &params,
        per_page,
        page,
        matching.len(),
    );
    Ok(paged(Value::Array(items), link))
}

pub(super) async fn get_deployment(
    State(gh): Gh,
    Path((owner, repo, id)): Path<(String, String, String)>,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let id = parse_id(&id)?;
    let now = gh.shared.story_now();
    let all = deployments(&gh, svc, now);
    let d = all
        .iter()
        .find(|d| d.job.id == id)
        .ok_or_else(ApiError::not_found)?;
    Ok(json_ok(deployment_json(
        &gh.shared.clock,
        gh.base(),
        gh.world(),
        svc,
        d,
        now,
    )))
}

pub(super) async fn list_statuses(
    State(gh): Gh,
    Path((owner, repo, id)): Path<(String, String, String)>,
    Query(params): Params,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let id = parse_id(&id)?;
    let now = gh.shared.story_now();
    let all = deployments(&gh, svc, now);
    let d = all
        .iter()
        .find(|d| d.job.id == id)
        .ok_or_else(ApiError::not_found)?;
    let statuses = statuses_json(&gh.shared.clock, gh.base(), gh.world(), svc, d, &all, now);
    let (per_page, page) = paging(&params, 30);
    let link = link_header(
        &format!("{}/repos/{}/deployments/{id}/statuses", gh.base(), svc.repo),
        &params,
        per_page,
        page,
        statuses.len(),
    );
    Ok(paged(
        Value::Array(page_of(&statuses, per_page, page)),
        link,
    ))
}

pub(super) async fn list_commits(
    State(gh): Gh,
    Path((owner, repo)): Path<(String, String)>,
    Query(params): Params,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.story_now();
    let commits = gh.world().commits(&svc.name, now);
    let from = match param(&params, "sha") {
        None | Some("main") | Some("refs/heads/main") => 0,
        Some(sha) => commits
            .iter()
            .position(|c| c.sha.starts_with(sha) && sha.len() >= 7)
            .ok_or_else(|| {
                ApiError(
                    StatusCode::NOT_FOUND,
                    "No commit found for SHA: ".to_string() + sha,
                )
            })?,
    };
    let time = |k: &str| {
        param(&params, k)
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
            .map(|t| gh.shared.clock.story(t.with_timezone(&Utc)))
    };
    // The client's bounds are wall times; commits carry story times.
    let (since, until) = (time("since"), time("until"));
    let with_parent: Vec<(Commit, Option<Commit>)> = commits
        .iter()
        .enumerate()
        .skip(from)
        .filter(|(_, c)| {
            param(&params, "author").is_none_or(|a| a.eq_ignore_ascii_case(&c.author))
                && since.is_none_or(|s| c.at >= s)
                && until.is_none_or(|u| c.at <= u)
        })
        .map(|(i, c)| (c.clone(), commits.get(i + 1).cloned()))
        .collect();
    let (per_page, page) = paging(&params, 30);
    let items: Vec<Value> = page_of(&with_parent, per_page, page)
        .iter()
        .map(|(c, p)| commit_json(&gh.shared.clock, gh.base(), gh.world(), svc, c, p.as_ref()))
        .collect();
    let link = link_header(
        &format!("{}/repos/{}/commits", gh.base(), svc.repo),
        &params,
        per_page,
        page,
        with_parent.len(),
    );
    Ok(paged(Value::Array(items), link))
}
