//! The sim's GitLab REST v4: pipelines and jobs of the world's GitLab-hosted services, in the
//! shapes of [`flightdeck_core::wire::gitlab`], with GitLab's page headers, so the cockpit's GitLab
//! provider runs against it unchanged. Runs become pipelines and deploy jobs deployments; the
//! run/attempt model, the deployments and the job logs are the GitHub server's, so both hosts
//! tell the same story.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::json;

use super::Shared;
use super::ci::{
    self, Attempt, DEMO_USER, DISPATCHED_IDS, DeploymentView, JobEnd, JobPlan, Overlay, Retry,
    gitlab_trace, run_of_job,
};
use super::rest::{etag_matches, etag_of, page_of, paging, param};
use super::world::{CiHost, RunKind, RunOutcome, ScheduledRun, Service, World, hash};
use flightdeck_core::sync::lock;
use flightdeck_core::wire::gitlab::{
    Commit, Deployable, DeployablePipeline, Deployment, DetailedStatus, Environment, Job,
    JobCommit, JobPipeline, Pipeline, Runner, Status, User,
};
use flightdeck_core::wire::percent_encode;

mod create;

struct Gitlab {
    shared: Arc<Shared>,
    overlay: Mutex<Overlay>,
}

type Gl = State<Arc<Gitlab>>;
type Params = Query<Vec<(String, String)>>;

/// An error in GitLab's shape: `{"message": "404 Project Not Found"}`.
struct GlError(StatusCode, String);

impl IntoResponse for GlError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "message": self.1 }))).into_response()
    }
}

fn not_found(what: &str) -> GlError {
    GlError(StatusCode::NOT_FOUND, format!("404 {what} Not Found"))
}

type GlResult = Result<Response, GlError>;

pub fn router(shared: Arc<Shared>) -> Router {
    let gl = Arc::new(Gitlab {
        shared,
        overlay: Mutex::default(),
    });
    Router::new()
        .route("/api/v4/user", get(user))
        .route("/api/v4/projects/{id}", get(project))
        // Created projects (publish:gitlab), in their own module.
        .route("/api/v4/namespaces/{id}", get(create::namespace))
        .route("/api/v4/projects", post(create::create_project))
        .route(
            "/api/v4/projects/{id}/repository/commits",
            post(create::create_commit),
        )
        .route(
            "/api/v4/projects/{id}/repository/files/{file}/raw",
            get(create::raw_file),
        )
        .route("/api/v4/projects/{id}/pipelines", get(list_pipelines))
        .route("/api/v4/projects/{id}/pipeline", post(create_pipeline))
        .route("/api/v4/projects/{id}/pipelines/{pid}", get(get_pipeline))
        .route("/api/v4/projects/{id}/pipelines/{pid}/jobs", get(list_jobs))
        .route("/api/v4/projects/{id}/pipelines/{pid}/retry", post(retry))
        .route("/api/v4/projects/{id}/pipelines/{pid}/cancel", post(cancel))
        .route("/api/v4/projects/{id}/jobs/{jid}", get(get_job))
        .route("/api/v4/projects/{id}/jobs/{jid}/trace", get(trace))
        .route("/api/v4/projects/{id}/deployments", get(list_deployments))
        .route(
            "/api/v4/projects/{id}/repository/commits/{sha}",
            get(get_commit),
        )
        .route("/api/v4/projects/{id}/repository/compare", get(compare))
        .fallback(|| async { GlError(StatusCode::NOT_FOUND, "404 Not Found".into()) })
        .with_state(gl)
}

impl Gitlab {
    fn world(&self) -> &World {
        &self.shared.world
    }

    /// The wall time a story time is served as.
    fn wall(&self, story: DateTime<Utc>) -> DateTime<Utc> {
        self.shared.wall(story)
    }

    /// A story span as the wall seconds GitLab reports durations in.
    fn seconds(&self, story: chrono::Duration) -> f64 {
        self.shared.clock.wall_span(story).num_milliseconds() as f64 / 1000.0
    }

    fn base(&self) -> &str {
        &self.shared.endpoints.gitlab
    }

    /// `:id` is the numeric project id or the URL-encoded path (the router has decoded it).
    fn project(&self, id: &str) -> Result<&Service, GlError> {
        if let Some(svc) = self
            .world()
            .services
            .iter()
            .filter(|s| s.ci == CiHost::Gitlab)
            .find(|s| s.project_id.to_string() == id || s.repo.eq_ignore_ascii_case(id))
        {
            return Ok(svc);
        }
        // A created project once its first commit launched it (the service is leaked for the
        // sim's life, so it outlives the lock).
        lock(&self.shared.created)
            .launched_project(id)
            .map(|l| l.service)
            .ok_or_else(|| not_found("Project"))
    }

    /// Every pipeline of a project created by `now`, oldest first (their position is the iid).
    fn pipelines(&self, svc: &Service, now: DateTime<Utc>) -> Vec<ScheduledRun> {
        let mut all = self.world().runs(&svc.name, now);
        all.extend(
            lock(&self.shared.created)
                .launched_project(&svc.project_id.to_string())
                .map(|l| l.runs(now))
                .unwrap_or_default(),
        );
        all.extend(
            lock(&self.overlay)
                .dispatched
                .iter()
                .filter(|r| r.service == svc.name && r.created <= now)
                .cloned(),
        );
        all.sort_by_key(|r| (r.created, r.id));
        all
    }

    fn pipeline(
        &self,
        svc: &Service,
        pid: &str,
        now: DateTime<Utc>,
    ) -> Result<(usize, ScheduledRun), GlError> {
        let pid: u64 = pid.parse().map_err(|_| not_found("Pipeline"))?;
        self.pipelines(svc, now)
            .into_iter()
            .enumerate()
            .find(|(_, r)| r.id == pid)
            .ok_or_else(|| not_found("Pipeline"))
    }

    fn attempts(&self, run: &ScheduledRun) -> Vec<Attempt> {
        lock(&self.overlay).attempts(self.world(), run)
    }
}

fn user_json(gl: &Gitlab, login: &str) -> User {
    let world = gl.world();
    let id = world
        .people
        .iter()
        .position(|p| p.login == login)
        .map_or(1, |i| 40 + i as u64);
    let name = world
        .person(login)
        .map_or_else(|| login.to_string(), |p| p.display_name.clone());
    User {
        id,
        username: login.to_string(),
        name,
        state: Some("active".into()),
        avatar_url: Some(format!(
            "{}/uploads/-/system/user/avatar/{id}/avatar.png",
            gl.base()
        )),
        web_url: Some(format!("{}/{login}", gl.base())),
    }
}

/// A pipeline's status at `now` from its latest attempt.
fn pipeline_status(a: &Attempt, now: DateTime<Utc>) -> Status {
    if now < a.started {
        return Status::Pending;
    }
    match a.conclusion(now) {
        None => Status::Running,
        Some(JobEnd::Success | JobEnd::Skipped) => Status::Success,
        Some(JobEnd::Failure) => Status::Failed,
        Some(JobEnd::Cancelled) => Status::Canceled,
    }
}

fn job_status(a: &Attempt, j: &JobPlan, now: DateTime<Utc>) -> Status {
    if j.end_as == JobEnd::Skipped && j.end <= now {
        Status::Skipped
    } else if now < a.started {
        Status::Pending
    } else if now < j.start {
        Status::Created
    } else if now < j.end {
        Status::Running
    } else {
        match j.end_as {
            JobEnd::Success => Status::Success,
            JobEnd::Failure => Status::Failed,
            JobEnd::Cancelled => Status::Canceled,
            JobEnd::Skipped => Status::Skipped,
        }
    }
}

fn detailed(status: Status, path: &str) -> DetailedStatus {
    let (text, group) = match status {
        Status::Success => ("passed", "success"),
        Status::Failed => ("failed", "failed"),
        Status::Canceled => ("canceled", "canceled"),
        Status::Running => ("running", "running"),
        Status::Skipped => ("skipped", "skipped"),
        Status::Created => ("created", "created"),
        _ => ("pending", "pending"),
    };
    DetailedStatus {
        icon: format!("status_{group}"),
        text: text.into(),
        label: text.into(),
        group: group.into(),
        tooltip: Some(text.into()),
        has_details: true,
        details_path: Some(path.into()),
        illustration: None,
        favicon: Some(format!("/assets/ci_favicons/favicon_status_{group}.png")),
    }
}

fn pipeline_json(
    gl: &Gitlab,
    svc: &Service,
    iid: usize,
    run: &ScheduledRun,
    a: &Attempt,
    now: DateTime<Utc>,
    full: bool,
) -> Pipeline {
    let status = pipeline_status(a, now);
    let path = format!("/{}/-/pipelines/{}", svc.repo, run.id);
    let finished = (status.is_finished()).then(|| a.finished());
    let started = (now >= a.started).then_some(run.started);
    let mut p = Pipeline {
        id: run.id,
        iid: iid as u64 + 1,
        project_id: svc.project_id,
        status,
        source: Some(
            if run.id >= DISPATCHED_IDS {
                "api"
            } else {
                "push"
            }
            .into(),
        ),
        git_ref: "main".into(),
        sha: run.commit.sha.clone(),
        name: Some(if run.kind == RunKind::Deploy {
            "Deploy".into()
        } else {
            "Build pipeline".into()
        }),
        web_url: format!("{}{path}", gl.base()),
        created_at: gl.wall(run.created),
        updated_at: gl.wall(a.updated(now)),
        before_sha: None,
        tag: None,
        user: None,
        started_at: None,
        finished_at: None,
        committed_at: None,
        duration: None,
        queued_duration: None,
        coverage: None,
        detailed_status: None,
    };
    if full {
        p.before_sha = Some("0000000000000000000000000000000000000000".into());
        p.tag = Some(false);
        p.user = Some(user_json(gl, &run.actor));
        p.started_at = started.map(|t| gl.wall(t));
        p.finished_at = finished.map(|t| gl.wall(t));
        p.committed_at = Some(gl.wall(run.commit.at));
        p.duration = finished
            .map(|f| gl.seconds(f - run.started))
            .map(f64::round);
        p.queued_duration = started.map(|s| gl.seconds(s - run.created).round());
        p.detailed_status = Some(detailed(status, &path));
    }
    p
}

fn job_json(
    gl: &Gitlab,
    svc: &Service,
    run: &ScheduledRun,
    a: &Attempt,
    j: &JobPlan,
    now: DateTime<Utc>,
) -> Job {
    let status = job_status(a, j, now);
    let person = gl.world().person(&run.commit.author);
    let started = (now >= j.start && status != Status::Skipped).then_some(j.start);
    let finished = status.is_finished().then_some(j.end);
    Job {
        id: j.id,
        name: j.name.clone(),
        stage: j.stage.clone(),
        status,
        git_ref: "main".into(),
        tag: false,
        allow_failure: false,
        coverage: None,
        created_at: gl.wall(j.created),
        started_at: started.map(|t| gl.wall(t)),
        finished_at: finished.map(|t| gl.wall(t)),
        duration: match (started, finished) {
            (Some(s), Some(f)) => Some(gl.seconds(f - s)),
            (Some(s), None) => Some(gl.seconds(now - s)),
            _ => None,
        },
        queued_duration: started.map(|s| gl.seconds(s - j.created)),
        failure_reason: (status == Status::Failed).then(|| "script_failure".into()),
        commit: JobCommit {
            id: run.commit.sha.clone(),
            short_id: run.commit.sha[..8].to_string(),
            title: run
                .commit
                .message
                .lines()
                .next()
                .unwrap_or_default()
                .to_string(),
            message: run.commit.message.clone(),
            author_name: person
                .map_or_else(|| run.commit.author.clone(), |p| p.display_name.clone()),
            author_email: person.map_or_else(
                || format!("{}@acme.example", run.commit.author),
                |p| p.email.clone(),
            ),
            created_at: gl.wall(run.commit.at),
        },
        pipeline: JobPipeline {
            id: run.id,
            project_id: svc.project_id,
            git_ref: "main".into(),
            sha: run.commit.sha.clone(),
            status: pipeline_status(a, now),
        },
        web_url: format!("{}/{}/-/jobs/{}", gl.base(), svc.repo, j.id),
        user: Some(user_json(gl, &run.actor)),
        runner: started.map(|_| Runner {
            id: 12 + j.id % 3,
            description: Some(format!("acme-runners-{}", 1 + j.id % 3)),
            active: Some(true),
            is_shared: Some(true),
            name: Some("gitlab-runner".into()),
        }),
        artifacts: vec![],
        artifacts_expire_at: None,
        tag_list: vec!["docker".into(), "linux".into()],
    }
}

/// GitLab's paging: `page`/`per_page` (default 20, at most 100), and the `x-*` headers and
/// `Link` that describe the result.
fn paged<T: serde::Serialize + Clone>(
    base_url: &str,
    params: &[(String, String)],
    items: &[T],
) -> Response {
    let (per_page, page) = paging(params, 20);
    let total = items.len();
    let pages = total.div_ceil(per_page).max(1);
    let mut r = Json(page_of(items, per_page, page)).into_response();
    let h: &mut HeaderMap = r.headers_mut();
    let next = if page < pages {
        (page + 1).to_string()
    } else {
        String::new()
    };
    let prev = if page > 1 {
        (page - 1).to_string()
    } else {
        String::new()
    };
    for (name, value) in [
        ("x-page", page.to_string()),
        ("x-per-page", per_page.to_string()),
        ("x-next-page", next),
        ("x-prev-page", prev),
        ("x-total", total.to_string()),
        ("x-total-pages", pages.to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    let link_to = |p: usize, rel: &str| {
        let mut q: Vec<String> = params
            .iter()
            .filter(|(k, _)| k != "page" && k != "per_page")
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect();
        q.push(format!("page={p}"));
        q.push(format!("per_page={per_page}"));
        format!("<{base_url}?{}>; rel=\"{rel}\"", q.join("&"))
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(link_to(page - 1, "prev"));
    }
    if page < pages {
        links.push(link_to(page + 1, "next"));
    }
    links.push(link_to(1, "first"));
    links.push(link_to(pages, "last"));
    if let Ok(v) = HeaderValue::from_str(&links.join(", ")) {
        h.insert(header::LINK, v);
    }
    r
}

async fn user(State(gl): Gl) -> GlResult {
    Ok(Json(user_json(&gl, DEMO_USER)).into_response())
}

async fn project(State(gl): Gl, Path(id): Path<String>) -> GlResult {
    if let Some(v) = create::created_project(&gl, &id) {
        return Ok(Json(v).into_response());
    }
    let svc = gl.project(&id)?;
    let (namespace, name) = svc.repo.split_once('/').unwrap_or(("acme", &svc.name));
    Ok(Json(json!({
        "id": svc.project_id,
        "description": svc.description,
        "name": name,
        "name_with_namespace": format!("{namespace} / {name}"),
        "path": name,
        "path_with_namespace": svc.repo,
        "default_branch": "main",
        "web_url": format!("{}/{}", gl.base(), svc.repo),
        "http_url_to_repo": format!("{}/{}.git", gl.base(), svc.repo),
        "visibility": "private",
        "namespace": { "id": 7, "name": namespace, "path": namespace, "kind": "group", "full_path": namespace },
    }))
    .into_response())
}

async fn list_pipelines(State(gl): Gl, Path(id): Path<String>, Query(params): Params) -> GlResult {
    let svc = gl.project(&id)?;
    let now = gl.shared.story_now();
    let all = gl.pipelines(svc, now);
    let overlay = lock(&gl.overlay);
    let mut items: Vec<Pipeline> = all
        .iter()
        .enumerate()
        .map(|(iid, r)| pipeline_json(&gl, svc, iid, r, &overlay.latest(gl.world(), r), now, false))
        .zip(all.iter())
        .filter(|(p, r)| {
            param(&params, "status").is_none_or(|s| p.status.as_str() == s)
                && param(&params, "ref").is_none_or(|x| x == p.git_ref)
                && param(&params, "sha").is_none_or(|x| x == p.sha)
                && param(&params, "username").is_none_or(|u| u.eq_ignore_ascii_case(&r.actor))
                && param(&params, "source").is_none_or(|s| Some(s) == p.source.as_deref())
                && match param(&params, "scope") {
                    Some("running") => p.status == Status::Running,
                    Some("pending") => p.status == Status::Pending,
                    Some("finished") => p.status.is_finished(),
                    Some("tags") => false,
                    _ => true,
                }
        })
        .map(|(p, _)| p)
        .collect();
    drop(overlay);
    let ascending = param(&params, "sort") == Some("asc");
    match param(&params, "order_by") {
        Some("updated_at") => items.sort_by_key(|p| (p.updated_at, p.id)),
        _ => items.sort_by_key(|p| (p.created_at, p.id)),
    }
    if !ascending {
        items.reverse();
    }
    let url = format!("{}/api/v4/projects/{}/pipelines", gl.base(), svc.project_id);
    Ok(paged(&url, &params, &items))
}

async fn get_pipeline(State(gl): Gl, Path((id, pid)): Path<(String, String)>) -> GlResult {
    let svc = gl.project(&id)?;
    let now = gl.shared.story_now();
    let (iid, run) = gl.pipeline(svc, &pid, now)?;
    let a = lock(&gl.overlay).latest(gl.world(), &run);
    Ok(Json(pipeline_json(&gl, svc, iid, &run, &a, now, true)).into_response())
}

async fn list_jobs(
    State(gl): Gl,
    Path((id, pid)): Path<(String, String)>,
    Query(params): Params,
) -> GlResult {
    let svc = gl.project(&id)?;
    let now = gl.shared.story_now();
    let (_, run) = gl.pipeline(svc, &pid, now)?;
    let attempts = gl.attempts(&run);
    let Some(latest) = attempts.last() else {
        return Ok(Json(Vec::<Job>::new()).into_response());
    };
    let include_retried = param(&params, "include_retried") == Some("true");
    let mut jobs: Vec<Job> = Vec::new();
    for a in attempts.iter().rev() {
        if !include_retried && a.number != latest.number {
            break;
        }
        for j in &a.jobs {
            if !jobs.iter().any(|k| k.id == j.id) {
                jobs.push(job_json(&gl, svc, &run, a, j, now));
            }
        }
    }
    let scopes: Vec<&str> = params
        .iter()
        .filter(|(k, _)| k == "scope[]" || k == "scope")
        .map(|(_, v)| v.as_str())
        .collect();
    if !scopes.is_empty() {
        jobs.retain(|j| scopes.contains(&j.status.as_str()));
    }
    // GitLab lists a pipeline's jobs newest first.
    jobs.sort_by_key(|j| std::cmp::Reverse(j.id));
    let url = format!(
        "{}/api/v4/projects/{}/pipelines/{}/jobs",
        gl.base(),
        svc.project_id,
        run.id
    );
    Ok(paged(&url, &params, &jobs))
}

fn find_job(
    gl: &Gitlab,
    svc: &Service,
    jid: &str,
    now: DateTime<Utc>,
) -> Result<(ScheduledRun, Attempt, JobPlan), GlError> {
    let jid: u64 = jid.parse().map_err(|_| not_found("Job"))?;
    let run = gl
        .pipelines(svc, now)
        .into_iter()
        .find(|r| r.id == run_of_job(jid))
        .ok_or_else(|| not_found("Job"))?;
    let attempts = gl.attempts(&run);
    let latest = attempts.last().cloned().ok_or_else(|| not_found("Job"))?;
    let job = attempts
        .iter()
        .flat_map(|a| a.jobs.iter())
        .find(|j| j.id == jid)
        .cloned()
        .ok_or_else(|| not_found("Job"))?;
    Ok((run, latest, job))
}

async fn get_job(State(gl): Gl, Path((id, jid)): Path<(String, String)>) -> GlResult {
    let svc = gl.project(&id)?;
    let now = gl.shared.story_now();
    let (run, a, job) = find_job(&gl, svc, &jid, now)?;
    Ok(Json(job_json(&gl, svc, &run, &a, &job, now)).into_response())
}

async fn trace(State(gl): Gl, Path((id, jid)): Path<(String, String)>) -> GlResult {
    let svc = gl.project(&id)?;
    let now = gl.shared.story_now();
    let (run, _, job) = find_job(&gl, svc, &jid, now)?;
    if now < job.start || job.end_as == JobEnd::Skipped {
        return Err(GlError(StatusCode::NOT_FOUND, "404 Not Found".into()));
    }
    let text = gitlab_trace(&gl.shared.clock, gl.world(), &run, &job, now);
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

/// Retries the failed and canceled jobs of a finished pipeline (GitLab keeps the ones that
/// passed), answering with the pipeline as it now is.
async fn retry(State(gl): Gl, Path((id, pid)): Path<(String, String)>) -> GlResult {
    let svc = gl.project(&id)?;
    let now = gl.shared.story_now();
    let (iid, run) = gl.pipeline(svc, &pid, now)?;
    let a = {
        let mut overlay = lock(&gl.overlay);
        let latest = overlay.latest(gl.world(), &run);
        let retryable = matches!(
            latest.conclusion(now),
            Some(JobEnd::Failure | JobEnd::Cancelled)
        );
        if retryable {
            overlay.retries.entry(run.id).or_default().push(Retry {
                at: now,
                failed_only: true,
            });
        }
        overlay.latest(gl.world(), &run)
    };
    Ok((
        StatusCode::CREATED,
        Json(pipeline_json(&gl, svc, iid, &run, &a, now, true)),
    )
        .into_response())
}

/// Cancels a running pipeline; GitLab answers 200 whatever the pipeline's state.
async fn cancel(State(gl): Gl, Path((id, pid)): Path<(String, String)>) -> GlResult {
    let svc = gl.project(&id)?;
    let now = gl.shared.story_now();
    let (iid, run) = gl.pipeline(svc, &pid, now)?;
    let a = {
        let mut overlay = lock(&gl.overlay);
        let latest = overlay.latest(gl.world(), &run);
        if latest.conclusion(now).is_none() {
            overlay.cancels.insert((run.id, latest.number), now);
        }
        overlay.latest(gl.world(), &run)
    };
    Ok(Json(pipeline_json(&gl, svc, iid, &run, &a, now, true)).into_response())
}

/// Starts a pipeline on a ref (`POST /projects/:id/pipeline?ref=main`), as a user or a script
/// would; GitLab answers 201 with the new pipeline.
async fn create_pipeline(
    State(gl): Gl,
    Path(id): Path<String>,
    Query(params): Params,
    body: Option<Json<serde_json::Value>>,
) -> GlResult {
    let svc = gl.project(&id)?;
    let body_ref = body
        .as_ref()
        .and_then(|Json(b)| b.get("ref"))
        .and_then(|r| r.as_str())
        .map(str::to_string);
    let Some(git_ref) = param(&params, "ref").map(str::to_string).or(body_ref) else {
        return Err(GlError(
            StatusCode::BAD_REQUEST,
            "400 Bad request - ref is missing".into(),
        ));
    };
    if git_ref != "main" {
        return Err(GlError(
            StatusCode::BAD_REQUEST,
            "Reference not found".into(),
        ));
    }
    let now = gl.shared.story_now();
    let world = gl.world();
    let Some(commit) = world.commits(&svc.name, now).into_iter().next() else {
        return Err(GlError(
            StatusCode::BAD_REQUEST,
            "Reference not found".into(),
        ));
    };
    let run = {
        let mut overlay = lock(&gl.overlay);
        let n = overlay.dispatched.len() as u64;
        let id = DISPATCHED_IDS + n;
        let duration =
            chrono::Duration::seconds(150 + (hash(world.config.seed, &[id]) % 120) as i64);
        let run = ScheduledRun {
            id,
            service: svc.name.clone(),
            kind: RunKind::Ci,
            number: 1000 + n,
            commit,
            actor: DEMO_USER.into(),
            created: now,
            started: now + chrono::Duration::seconds(4),
            finished: now + chrono::Duration::seconds(4) + duration,
            outcome: RunOutcome::Success,
            environments: vec![],
            failing_job: None,
            pull: None,
        };
        overlay.dispatched.push(run.clone());
        run
    };
    let (iid, run) = gl.pipeline(svc, &run.id.to_string(), now)?;
    let a = lock(&gl.overlay).latest(world, &run);
    Ok((
        StatusCode::CREATED,
        Json(pipeline_json(&gl, svc, iid, &run, &a, now, true)),
    )
        .into_response())
}

/// A deployment of the shared story in GitLab's shape; `iid` counts the project's deployments
/// from 1, oldest first.
fn deployment_json(
    gl: &Gitlab,
    svc: &Service,
    iid: u64,
    d: &DeploymentView,
    latest: &Attempt,
    now: DateTime<Utc>,
) -> Deployment {
    let job = job_json(gl, svc, &d.run, latest, &d.job, now);
    let status = match job.status {
        Status::Running | Status::Success | Status::Failed | Status::Canceled => job.status,
        _ => Status::Created,
    };
    let updated = if d.job.end <= now {
        d.job.end
    } else {
        d.job.start
    };
    let production = d.environment == "production";
    let external_url = if production {
        format!("https://{}.acme.example", svc.name)
    } else {
        format!("https://{}.{}.acme.example", svc.name, d.environment)
    };
    Deployment {
        id: d.job.id,
        iid,
        git_ref: "main".into(),
        sha: d.run.commit.sha.clone(),
        created_at: gl.wall(d.job.start),
        updated_at: Some(gl.wall(updated)),
        status,
        environment: Environment {
            id: svc.project_id * 10 + if production { 1 } else { 2 },
            name: d.environment.to_string(),
            external_url: Some(external_url),
        },
        user: Some(user_json(gl, &d.run.actor)),
        deployable: Some(Deployable {
            id: job.id,
            name: job.name,
            stage: job.stage,
            status: job.status,
            git_ref: job.git_ref,
            tag: job.tag,
            created_at: Some(job.created_at),
            started_at: job.started_at,
            finished_at: job.finished_at,
            duration: job.duration,
            pipeline: DeployablePipeline {
                id: d.run.id,
                sha: d.run.commit.sha.clone(),
                git_ref: "main".into(),
                status: Some(job.pipeline.status),
                created_at: Some(gl.wall(d.run.created)),
                updated_at: Some(gl.wall(latest.updated(now))),
                web_url: Some(format!(
                    "{}/{}/-/pipelines/{}",
                    gl.base(),
                    svc.repo,
                    d.run.id
                )),
            },
            commit: Some(job.commit),
            user: job.user,
            web_url: Some(job.web_url),
        }),
    }
}

/// The deployments of a project, filtered by `environment` and `status` and ordered by
/// `order_by` (`id` by default) and `sort` (`asc` by default, as GitLab does). Conditional:
/// an `If-None-Match` naming the answer's ETag gets a 304.
async fn list_deployments(
    State(gl): Gl,
    Path(id): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> GlResult {
    let svc = gl.project(&id)?;
    let now = gl.shared.story_now();
    let runs = gl.pipelines(svc, now);
    let mut items: Vec<Deployment> = {
        let overlay = lock(&gl.overlay);
        let mut all = ci::deployments(gl.world(), &overlay, &runs, now);
        all.reverse();
        all.iter()
            .enumerate()
            .map(|(i, d)| {
                let latest = overlay.latest(gl.world(), &d.run);
                deployment_json(&gl, svc, i as u64 + 1, d, &latest, now)
            })
            .collect()
    };
    // `updated_after`/`updated_before` (GitLab requires `order_by=updated_at` with them).
    let bound = |k: &str| {
        param(&params, k)
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let (after, before) = (bound("updated_after"), bound("updated_before"));
    if (after.is_some() || before.is_some()) && param(&params, "order_by") != Some("updated_at") {
        return Err(GlError(
            StatusCode::BAD_REQUEST,
            "400 Bad request - `updated_after` and `updated_before` need order_by=updated_at"
                .into(),
        ));
    }
    items.retain(|d| {
        let updated = d.updated_at.unwrap_or(d.created_at);
        param(&params, "environment").is_none_or(|e| e == d.environment.name)
            && param(&params, "status").is_none_or(|s| s == d.status.as_str())
            && after.is_none_or(|a| updated > a)
            && before.is_none_or(|b| updated < b)
    });
    match param(&params, "order_by") {
        Some("iid") => items.sort_by_key(|d| d.iid),
        Some("created_at") => items.sort_by_key(|d| (d.created_at, d.id)),
        Some("updated_at") => items.sort_by_key(|d| (d.updated_at, d.id)),
        Some("finished_at") => {
            items.sort_by_key(|d| (d.deployable.as_ref().and_then(|j| j.finished_at), d.id))
        }
        Some("ref") => items.sort_by(|a, b| a.git_ref.cmp(&b.git_ref).then(a.id.cmp(&b.id))),
        Some("id") | None => items.sort_by_key(|d| d.id),
        Some(other) => {
            return Err(GlError(
                StatusCode::BAD_REQUEST,
                format!("400 Bad request - order_by does not have a valid value: {other}"),
            ));
        }
    }
    if param(&params, "sort") == Some("desc") {
        items.reverse();
    }
    let (per_page, page) = paging(&params, 20);
    let body =
        serde_json::to_vec(&(page_of(&items, per_page, page), items.len())).unwrap_or_default();
    let etag = etag_of(&body);
    if etag_matches(headers.get(header::IF_NONE_MATCH), &etag) {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(v) = HeaderValue::from_str(&etag) {
            r.headers_mut().insert(header::ETAG, v);
        }
        return Ok(r);
    }
    let url = format!(
        "{}/api/v4/projects/{}/deployments",
        gl.base(),
        svc.project_id
    );
    let mut r = paged(&url, &params, &items);
    if let Ok(v) = HeaderValue::from_str(&etag) {
        r.headers_mut().insert(header::ETAG, v);
    }
    Ok(r)
}

/// `GET /projects/:id/repository/compare?from=&to=`: the commits reachable from `to` and not
/// from `from`, oldest first (delivery history reads what a deployment brought). History is
/// linear, so one side is always an ancestor.
async fn compare(State(gl): Gl, Path(id): Path<String>, Query(params): Params) -> GlResult {
    let svc = gl.project(&id)?;
    let now = gl.shared.story_now();
    let commits = gl.world().commits(&svc.name, now);
    let find = |r: Option<&str>| {
        let r = r.unwrap_or_default();
        commits
            .iter()
            .position(|c| c.sha == r || (r.len() >= 7 && c.sha.starts_with(r)))
            .ok_or_else(|| not_found("Ref"))
    };
    let (from, to) = (find(param(&params, "from"))?, find(param(&params, "to"))?);
    // Newest first in the world: a larger index is older.
    let brought: Vec<Commit> = (to..from.max(to))
        .rev()
        .map(|i| commit_of(&gl, svc, &commits, i))
        .collect();
    let head = commit_of(&gl, svc, &commits, to);
    Ok(Json(json!({
        "commit": head,
        "commits": brought,
        "diffs": [],
        "compare_timeout": false,
        "compare_same_ref": from == to,
        "web_url": format!("{}/{}/-/compare/{}...{}", gl.base(), svc.repo, commits[from].sha, commits[to].sha),
    }))
    .into_response())
}

/// The `i`th newest commit of `commits` in GitLab's shape.
fn commit_of(gl: &Gitlab, svc: &Service, commits: &[crate::world::Commit], i: usize) -> Commit {
    let c = &commits[i];
    let person = gl.world().person(&c.author);
    let at = Some(gl.wall(c.at));
    Commit {
        id: c.sha.clone(),
        short_id: c.sha[..8].to_string(),
        title: c.message.lines().next().unwrap_or_default().to_string(),
        message: c.message.clone(),
        author_name: person.map_or_else(|| c.author.clone(), |p| p.display_name.clone()),
        author_email: person
            .map_or_else(|| format!("{}@acme.example", c.author), |p| p.email.clone()),
        authored_date: at,
        committed_date: at,
        created_at: at,
        parent_ids: commits
            .get(i + 1)
            .map(|p| vec![p.sha.clone()])
            .unwrap_or_default(),
        web_url: Some(format!("{}/{}/-/commit/{}", gl.base(), svc.repo, c.sha)),
    }
}

/// One commit of the default branch by its sha (or a prefix of at least 7), or `main` for the
/// newest.
async fn get_commit(State(gl): Gl, Path((id, sha)): Path<(String, String)>) -> GlResult {
    let svc = gl.project(&id)?;
    let now = gl.shared.story_now();
    let commits = gl.world().commits(&svc.name, now);
    let at = if sha == "main" {
        (!commits.is_empty()).then_some(0)
    } else {
        commits
            .iter()
            .position(|c| c.sha == sha || (sha.len() >= 7 && c.sha.starts_with(&sha)))
    };
    let Some(i) = at else {
        return Err(not_found("Commit"));
    };
    Ok(Json(commit_of(&gl, svc, &commits, i)).into_response())
}
