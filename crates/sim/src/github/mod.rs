//! The sim's GitHub REST API: workflow runs, jobs, logs, deployments, commits and issues of the world's
//! GitHub-hosted services, in api.github.com's shapes, with its ETags, rate-limit headers and
//! pagination, so the cockpit's octocrab client cannot tell it from the real service.
//!
//! Runs follow the world's schedule; what users do to them (re-runs, cancels, dispatches) lives
//! in the CI model's overlay ([`crate::ci`]), which the GitLab server shares.

mod git;
mod graphql;
mod handlers;
mod history;
mod issues;
mod json;
mod pull_story;
mod pulls;
mod server;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::{get, post};

use crate::Shared;
use handlers::{
    cancel, dispatch, get_deployment, get_job, get_run, get_run_attempt, get_workflow, job_logs,
    list_commits, list_deployments, list_jobs, list_runs, list_statuses, list_workflow_runs,
    list_workflows, rate_limit, raw_log, repository, rerun, rerun_failed, user,
};
use history::{commit_pulls, compare};
use server::{ApiError, Github, api_layer};

pub fn router(shared: Arc<Shared>) -> Router {
    let gh = Arc::new(Github {
        shared,
        overlay: Mutex::default(),
        buckets: Mutex::default(),
        comments: Mutex::default(),
        quiet_since: Mutex::default(),
    });
    Router::new()
        .route("/user", get(user))
        .route("/graphql", post(graphql::graphql))
        .route("/_sim/quiet", post(server::quiet).delete(server::quiet))
        .route("/rate_limit", get(rate_limit))
        .route("/repos/{owner}/{repo}", get(repository))
        .route("/repos/{owner}/{repo}/commits", get(list_commits))
        .route("/repos/{owner}/{repo}/pulls", get(pulls::list_pulls))
        .route("/repos/{owner}/{repo}/issues", get(issues::list_issues))
        .route(
            "/repos/{owner}/{repo}/issues/{number}/comments",
            get(issues::list_comments).post(issues::create_comment),
        )
        .route("/repos/{owner}/{repo}/pulls/{number}", get(pulls::get_pull))
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/reviews",
            get(pulls::list_reviews),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{git_ref}/check-runs",
            get(pulls::check_runs),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{git_ref}/status",
            get(pulls::combined_status),
        )
        .route("/repos/{owner}/{repo}/deployments", get(list_deployments))
        .route("/repos/{owner}/{repo}/compare/{basehead}", get(compare))
        .route(
            "/repos/{owner}/{repo}/commits/{sha}/pulls",
            get(commit_pulls),
        )
        .route(
            "/repos/{owner}/{repo}/deployments/{id}",
            get(get_deployment),
        )
        .route(
            "/repos/{owner}/{repo}/deployments/{id}/statuses",
            get(list_statuses),
        )
        .route(
            "/repos/{owner}/{repo}/actions/workflows",
            get(list_workflows),
        )
        .route(
            "/repos/{owner}/{repo}/actions/workflows/{workflow}",
            get(get_workflow),
        )
        .route(
            "/repos/{owner}/{repo}/actions/workflows/{workflow}/runs",
            get(list_workflow_runs),
        )
        .route(
            "/repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches",
            post(dispatch),
        )
        .route("/repos/{owner}/{repo}/actions/runs", get(list_runs))
        .route("/repos/{owner}/{repo}/actions/runs/{run_id}", get(get_run))
        .route(
            "/repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt}",
            get(get_run_attempt),
        )
        .route(
            "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs",
            get(list_jobs),
        )
        .route(
            "/repos/{owner}/{repo}/actions/runs/{run_id}/rerun",
            post(rerun),
        )
        .route(
            "/repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs",
            post(rerun_failed),
        )
        .route(
            "/repos/{owner}/{repo}/actions/runs/{run_id}/cancel",
            post(cancel),
        )
        .route("/repos/{owner}/{repo}/actions/jobs/{job_id}", get(get_job))
        .route(
            "/repos/{owner}/{repo}/actions/jobs/{job_id}/logs",
            get(job_logs),
        )
        .route("/_logs/{owner}/{repo}/jobs/{job_id}", get(raw_log))
        .merge(git::routes())
        .fallback(|| async { ApiError::not_found() })
        .layer(axum::middleware::from_fn_with_state(gh.clone(), api_layer))
        .with_state(gh)
}
