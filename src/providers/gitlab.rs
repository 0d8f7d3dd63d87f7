//! GitLab CI through reqwest: pipelines, deployments, jobs and job traces of every service with
//! `gitlab.com/project-slug` or `gitlab.com/project-id`, and retry, cancel and new pipelines on
//! request. It decodes the same wire types the sim serves ([`flightdeck_core::wire::gitlab`]) and polls
//! through the CI poller it shares with GitHub, so both hosts behave alike.

pub mod history;

use std::collections::HashMap;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

use super::Context;
use super::ci::{Backend, CiProvider, JobsAnswer, Pacing, RepoState, Target};
use super::http::{self, Failure};
use crate::config::{Config, GitlabSource};
use flightdeck_core::message::pipelines::{Command, Msg as PipelinesMsg};
use flightdeck_core::model::join::RunState;
use flightdeck_core::model::pipelines::{Deployment, Host, Job, JobRef, Run, RunKey};
use flightdeck_core::sanitize;
use flightdeck_core::wire::gitlab::{self as wire, Status};

/// Pipelines asked for per project and poll.
pub const PIPELINES_PER_PAGE: usize = 20;
/// Deployments asked for per project and poll, newest first, every environment: the model
/// picks production's (else the newest) for the Deploy column, as it does for GitHub's.
pub const DEPLOYMENTS_PER_PAGE: usize = 20;

/// A pipeline's or job's state.
pub fn state_of(s: Status) -> RunState {
    match s {
        Status::Created
        | Status::WaitingForResource
        | Status::Preparing
        | Status::Pending
        | Status::Scheduled => RunState::Queued,
        Status::Running | Status::Canceling => RunState::Running,
        Status::Success => RunState::Success,
        Status::Failed => RunState::Failure,
        Status::Canceled => RunState::Cancelled,
        Status::Skipped => RunState::Skipped,
        Status::Manual | Status::Unknown => RunState::Other,
    }
}

/// A pipeline as a run. The list endpoint lacks the user and times; `full`, the single
/// pipeline, has them.
pub fn decode_pipeline(
    p: &wire::Pipeline,
    project: &str,
    service: &str,
    service_name: &str,
) -> Run {
    let state = state_of(p.status);
    Run {
        key: RunKey {
            host: Host::Gitlab,
            repo: project.to_string(),
            id: p.id,
        },
        service: service.to_string(),
        service_name: service_name.to_string(),
        number: p.iid,
        workflow: sanitize::line(p.name.as_deref().unwrap_or("pipeline")),
        workflow_ref: String::new(),
        branch: sanitize::line(&p.git_ref),
        event: sanitize::ident(p.source.as_deref().unwrap_or_default()),
        actor: p
            .user
            .as_ref()
            .map_or_else(String::new, |u| sanitize::ident(&u.username)),
        status: p.status.as_str().to_string(),
        conclusion: None,
        state,
        attempt: 1,
        created: p.created_at,
        started: p.started_at,
        updated: p.updated_at,
        finished: p
            .finished_at
            .or_else(|| state.is_done().then_some(p.updated_at)),
        title: String::new(),
        sha: sanitize::ident(&p.sha),
        url: sanitize::url(&p.web_url),
    }
}

/// A deployment as the Deploy column and the change list read it. GitLab's deployment carries
/// its own status; there is no separate status list as on GitHub.
pub fn decode_deployment(d: &wire::Deployment) -> Deployment {
    Deployment {
        id: d.id,
        environment: sanitize::line(&d.environment.name),
        sha: sanitize::ident(&d.sha),
        git_ref: sanitize::line(&d.git_ref),
        state: state_of(d.status),
        status: d.status.as_str().to_string(),
        creator: d
            .user
            .as_ref()
            .map_or_else(String::new, |u| sanitize::ident(&u.username)),
        created: d.created_at,
        updated: d
            .deployable
            .as_ref()
            .and_then(|j| j.finished_at)
            .or(d.updated_at)
            .unwrap_or(d.created_at),
        url: d
            .deployable
            .as_ref()
            .and_then(|j| j.web_url.as_deref())
            .and_then(sanitize::url),
    }
}

pub fn decode_job(j: &wire::Job) -> Job {
    Job {
        id: j.id,
        name: sanitize::line(&j.name),
        stage: sanitize::line(&j.stage),
        state: state_of(j.status),
        status: j.status.as_str().to_string(),
        started: j.started_at,
        finished: j.finished_at,
        steps: Vec::new(),
        url: sanitize::url(&j.web_url),
    }
}

/// `:id` in GitLab's paths: a numeric id as is, a `group/project` path URL-encoded.
pub fn project_id(project: &str) -> String {
    flightdeck_core::wire::percent_encode(project)
}

/// GitLab's REST v4 over the shared reqwest client.
pub struct GitlabApi {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    in_flight: Semaphore,
    timeout: StdDuration,
}

impl GitlabApi {
    pub fn new(
        api_url: &str,
        token: Option<String>,
        max_in_flight: usize,
        timeout: StdDuration,
    ) -> Result<Self, String> {
        if let Some(t) = &token {
            http::check_token(t)?;
        }
        let root = api_url.trim_end_matches('/');
        let base = if root.ends_with("/api/v4") {
            root.to_string()
        } else {
            format!("{root}/api/v4")
        };
        Ok(Self {
            http: http::client(timeout)?,
            base,
            token,
            in_flight: Semaphore::new(max_in_flight.max(1)),
            timeout,
        })
    }

    /// Sends a request; `Ok(None)` is a 304 to a conditional GET.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        etag: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> Result<Option<(String, Option<String>)>, Failure> {
        let _permit = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| Failure::Other("shutting down".into()))?;
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.header("PRIVATE-TOKEN", t);
        }
        if let Some(e) = etag {
            req = req.header(reqwest::header::IF_NONE_MATCH, e);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        http::bounded(self.timeout, async {
            let res = req
                .send()
                .await
                .map_err(|e| Failure::from_reqwest(&e, &self.base, self.timeout))?;
            let status = res.status();
            let headers = res.headers().clone();
            let bytes = res
                .bytes()
                .await
                .map_err(|e| Failure::from_reqwest(&e, &self.base, self.timeout))?;
            if status == StatusCode::NOT_MODIFIED {
                return Ok(None);
            }
            if let Some(f) = http::classify(status, &headers, &bytes) {
                return Err(f);
            }
            let etag = headers
                .get(reqwest::header::ETAG)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let text = String::from_utf8(bytes.to_vec())
                .map_err(|_| Failure::Malformed("not UTF-8".into()))?;
            Ok(Some((text, etag)))
        })
        .await
    }

    pub(crate) async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        let (body, _) = self
            .send(reqwest::Method::GET, path, None, None)
            .await?
            .ok_or_else(|| Failure::Malformed("304 to an unconditional request".into()))?;
        decode(&body)
    }

    pub(crate) async fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<T, Failure> {
        let (body, _) = self
            .send(reqwest::Method::POST, path, None, body)
            .await?
            .ok_or_else(|| Failure::Malformed("304 to a POST".into()))?;
        decode(&body)
    }

    /// One poll of a project: its pipelines and its deployments, each a conditional request.
    async fn poll_project(
        &self,
        t: &Target,
        st: &mut RepoState,
        now: DateTime<Utc>,
    ) -> Result<Vec<PipelinesMsg>, Failure> {
        let mut msgs = Vec::new();
        msgs.extend(self.poll_pipelines(t, st, now).await?);
        msgs.extend(self.poll_deployments(t, st, now).await?);
        st.busy = st.runs.iter().any(|r| !r.state.is_done())
            || st.sent_deployments.iter().any(|d| !d.state.is_done());
        Ok(msgs)
    }

    /// The pipelines of a project, newest first, with the user and times the list lacks
    /// fetched once per change of each pipeline, and the commit's title once per sha.
    async fn poll_pipelines(
        &self,
        t: &Target,
        st: &mut RepoState,
        now: DateTime<Utc>,
    ) -> Result<Option<PipelinesMsg>, Failure> {
        let id = project_id(&t.repo);
        let path =
            format!("/projects/{id}/pipelines?per_page={PIPELINES_PER_PAGE}&order_by=id&sort=desc");
        let etag = st.etags.get(&path).cloned();
        let Some((body, etag)) = self
            .send(reqwest::Method::GET, &path, etag.as_deref(), None)
            .await?
        else {
            return Ok(None);
        };
        let list: Vec<wire::Pipeline> = decode(&body)?;
        let mut runs = Vec::with_capacity(list.len());
        let mut details: HashMap<u64, (DateTime<Utc>, Run)> = HashMap::new();
        for p in &list {
            let run = match st.details.get(&p.id) {
                Some((updated, run)) if *updated == p.updated_at => run.clone(),
                _ => {
                    let full: wire::Pipeline = self
                        .get_json(&format!("/projects/{id}/pipelines/{}", p.id))
                        .await?;
                    let mut run = decode_pipeline(&full, &t.repo, &t.service, &t.name);
                    run.title = self.commit_title(&id, &full.sha, st).await?;
                    run
                }
            };
            details.insert(p.id, (p.updated_at, run.clone()));
            runs.push(run);
        }
        // Only once every detail arrived is the ETag kept: a failure part-way retries it all.
        match etag {
            Some(e) => st.etags.insert(path, e),
            None => st.etags.remove(&path),
        };
        st.details = details;
        let shas: std::collections::HashSet<&str> = list.iter().map(|p| p.sha.as_str()).collect();
        st.commit_titles
            .retain(|sha, _| shas.contains(sha.as_str()));
        if runs == st.runs {
            return Ok(None);
        }
        st.runs = runs.clone();
        Ok(Some(PipelinesMsg::Runs {
            host: Host::Gitlab,
            repo: t.repo.clone(),
            service: t.service.clone(),
            runs,
            at: now,
        }))
    }

    /// A commit's title, the first line of its message; empty when the commit is gone.
    async fn commit_title(
        &self,
        id: &str,
        sha: &str,
        st: &mut RepoState,
    ) -> Result<String, Failure> {
        if let Some(title) = st.commit_titles.get(sha) {
            return Ok(title.clone());
        }
        let path = format!("/projects/{id}/repository/commits/{}", project_id(sha));
        let title = match self.get_json::<wire::Commit>(&path).await {
            Ok(c) => sanitize::line(&c.title),
            Err(Failure::Status { code: 404, .. }) => String::new(),
            Err(e) => return Err(e),
        };
        st.commit_titles.insert(sha.to_string(), title.clone());
        Ok(title)
    }

    /// The newest deployments of every environment; a message only when they changed.
    async fn poll_deployments(
        &self,
        t: &Target,
        st: &mut RepoState,
        now: DateTime<Utc>,
    ) -> Result<Option<PipelinesMsg>, Failure> {
        let path = format!(
            "/projects/{}/deployments?per_page={DEPLOYMENTS_PER_PAGE}&order_by=created_at&sort=desc",
            project_id(&t.repo)
        );
        let etag = st.etags.get(&path).cloned();
        let Some((body, etag)) = self
            .send(reqwest::Method::GET, &path, etag.as_deref(), None)
            .await?
        else {
            return Ok(None);
        };
        let list: Vec<wire::Deployment> = decode(&body)?;
        match etag {
            Some(e) => st.etags.insert(path, e),
            None => st.etags.remove(&path),
        };
        let deployments: Vec<Deployment> = list.iter().map(decode_deployment).collect();
        if deployments == st.sent_deployments {
            return Ok(None);
        }
        st.sent_deployments = deployments.clone();
        Ok(Some(PipelinesMsg::Deployments {
            host: Host::Gitlab,
            repo: t.repo.clone(),
            service: t.service.clone(),
            deployments,
            at: now,
        }))
    }
}

fn decode<T: DeserializeOwned>(body: &str) -> Result<T, Failure> {
    serde_json::from_str(body).map_err(|e| Failure::Malformed(http::decode_error(&e)))
}

impl Backend for GitlabApi {
    const HOST: Host = Host::Gitlab;

    async fn poll(
        &self,
        t: &Target,
        st: &mut RepoState,
        now: DateTime<Utc>,
    ) -> Result<Vec<PipelinesMsg>, Failure> {
        self.poll_project(t, st, now).await
    }

    async fn jobs(&self, run: &RunKey, etag: Option<&str>) -> Result<JobsAnswer, Failure> {
        let path = format!(
            "/projects/{}/pipelines/{}/jobs?per_page=100",
            project_id(&run.repo),
            run.id
        );
        let Some((body, etag)) = self.send(reqwest::Method::GET, &path, etag, None).await? else {
            return Ok(None);
        };
        let list: Vec<wire::Job> = decode(&body)?;
        let mut jobs: Vec<Job> = list.iter().map(decode_job).collect();
        // GitLab lists newest first; the pipeline reads in the order its jobs were made.
        jobs.sort_by_key(|j| j.id);
        Ok(Some((jobs, etag)))
    }

    async fn log(&self, job: &JobRef) -> Result<String, Failure> {
        let path = format!(
            "/projects/{}/jobs/{}/trace",
            project_id(&job.run.repo),
            job.id
        );
        Ok(self
            .send(reqwest::Method::GET, &path, None, None)
            .await?
            .map(|(b, _)| b)
            .unwrap_or_default())
    }

    async fn act(&self, command: &Command) -> Result<Option<RunKey>, Failure> {
        let pipeline = |r: &RunKey, verb: &str| {
            format!(
                "/projects/{}/pipelines/{}/{verb}",
                project_id(&r.repo),
                r.id
            )
        };
        match command {
            // GitLab retries failed and cancelled jobs; a whole re-run is a new pipeline.
            Command::RerunFailed(r) | Command::Rerun(r) => {
                let _: wire::Pipeline = self.post_json(&pipeline(r, "retry"), None).await?;
                Ok(None)
            }
            Command::Cancel(r) => {
                let _: wire::Pipeline = self.post_json(&pipeline(r, "cancel"), None).await?;
                Ok(None)
            }
            Command::Dispatch(d) => {
                let variables: Vec<serde_json::Value> = d
                    .inputs
                    .iter()
                    .map(|(k, v)| serde_json::json!({ "key": k, "value": v }))
                    .collect();
                let body = serde_json::json!({ "ref": d.git_ref, "variables": variables });
                let path = format!(
                    "/projects/{}/pipeline?ref={}",
                    project_id(&d.repo),
                    project_id(&d.git_ref)
                );
                let p: wire::Pipeline = self.post_json(&path, Some(&body)).await?;
                Ok(Some(RunKey {
                    host: Host::Gitlab,
                    repo: d.repo.clone(),
                    id: p.id,
                }))
            }
            Command::Watch(_) | Command::Log(_) => Ok(None),
        }
    }

    async fn login(&self) -> Result<String, Failure> {
        let u: wire::User = self.get_json("/user").await?;
        Ok(sanitize::ident(&u.username))
    }

    fn budget(&self) -> Option<String> {
        None
    }
}

/// The token: the configured variable (default `GITLAB_TOKEN`), else the token command, else
/// none (public projects). Never logged or shown.
pub async fn resolve_token(source: &GitlabSource) -> Result<Option<String>, String> {
    let name = source.token_env.as_deref().unwrap_or("GITLAB_TOKEN");
    http::resolve_token(&[name], source.token_command.as_deref()).await
}

/// The GitLab provider, when `[gitlab]` is configured.
pub fn start(config: &Config, cx: &Context) -> Option<CiProvider<GitlabApi>> {
    let source = config.gitlab.clone()?;
    // GitLab's API has no published per-request budget for these endpoints; a few requests
    // in flight keep a self-hosted instance comfortable.
    let pacing = Pacing::new(source.poll_idle_secs, source.poll_running_secs, 4);
    Some(CiProvider::start(
        cx,
        pacing,
        |t| t.gitlab.as_ref(),
        move || {
            let source = source.clone();
            async move {
                let token = resolve_token(&source).await?;
                GitlabApi::new(&source.api_url, token, 4, http::REQUEST_TIMEOUT)
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_paths_are_encoded_and_ids_kept() {
        assert_eq!(project_id("acme/shipping-rates"), "acme%2Fshipping-rates");
        assert_eq!(project_id("1009"), "1009");
    }
}
