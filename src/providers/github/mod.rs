//! GitHub Actions through octocrab: workflow runs, jobs, deployments and job logs of every
//! service with `github.com/project-slug`, polled politely (conditional requests, adaptive
//! intervals, rate limits honoured), and re-run, cancel and dispatch on request. The polling
//! itself is the CI poller both hosts share ([`super::ci`]); this is GitHub's [`Backend`] for it.

mod api;
pub mod auth;
pub mod history;
pub mod issues;
pub mod pulls;
pub mod scheduler;
pub mod sweep;
pub mod wire;

pub use api::{Fetch, GithubApi};
pub use auth::{gh_host, resolve_token, token_without_command};

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::providers::Context;
use crate::providers::ci::{Backend, CiProvider, JobsAnswer, Pacing, RepoState, Target};
use crate::providers::http::{self, Failure};
use api::decode;
use flightdeck_core::message::pipelines::{Command, Msg as PipelinesMsg};
use flightdeck_core::model::join::RunState;
use flightdeck_core::model::pipelines::{Deployment, Host, Job, JobRef, Run, RunKey, Step};
use flightdeck_core::sanitize;

pub const RUNS_PER_PAGE: usize = 20;
/// Deployments asked for per repository and poll.
const DEPLOYMENTS_PER_PAGE: usize = 20;
/// A run's state from GitHub's status and conclusion.
pub fn run_state(status: &str, conclusion: Option<&str>) -> RunState {
    match status {
        "completed" => match conclusion {
            Some("success") => RunState::Success,
            Some("failure" | "timed_out" | "startup_failure") => RunState::Failure,
            Some("cancelled") => RunState::Cancelled,
            Some("skipped" | "neutral") => RunState::Skipped,
            _ => RunState::Other,
        },
        "in_progress" => RunState::Running,
        "queued" | "requested" | "pending" => RunState::Queued,
        _ => RunState::Other,
    }
}

/// Decodes one run, sanitising every string.
pub fn decode_run(w: wire::Run, repo: &str, service: &str, service_name: &str) -> Run {
    let status = sanitize::ident(w.status.as_deref().unwrap_or("unknown"));
    let conclusion = w.conclusion.as_deref().map(sanitize::ident);
    let state = run_state(&status, conclusion.as_deref());
    let title = w
        .head_commit
        .as_ref()
        .map(|c| c.message.as_str())
        .or(w.display_title.as_deref())
        .unwrap_or_default();
    let workflow_ref = w
        .path
        .as_deref()
        .and_then(|p| p.rsplit('/').next())
        .filter(|f| !f.is_empty())
        .map_or_else(|| w.workflow_id.to_string(), sanitize::ident);
    let actor = w
        .triggering_actor
        .as_ref()
        .or(w.actor.as_ref())
        .map_or_else(String::new, |u| sanitize::ident(&u.login));
    Run {
        key: RunKey {
            host: Host::Github,
            repo: repo.to_string(),
            id: w.id,
        },
        service: service.to_string(),
        service_name: service_name.to_string(),
        number: w.run_number,
        workflow: sanitize::line(w.name.as_deref().unwrap_or("workflow")),
        workflow_ref,
        branch: sanitize::line(w.head_branch.as_deref().unwrap_or_default()),
        event: sanitize::ident(&w.event),
        actor,
        finished: state.is_done().then_some(w.updated_at),
        started: w
            .run_started_at
            .or(Some(w.created_at))
            .filter(|_| state != RunState::Queued),
        status,
        conclusion,
        state,
        attempt: w.run_attempt.unwrap_or(1),
        created: w.created_at,
        updated: w.updated_at,
        title: sanitize::line(title.lines().next().unwrap_or_default()),
        sha: sanitize::ident(&w.head_sha),
        url: w.html_url.as_deref().and_then(sanitize::url),
    }
}

pub fn decode_job(w: wire::Job) -> Job {
    let status = sanitize::ident(&w.status);
    Job {
        id: w.id,
        name: sanitize::line(&w.name),
        stage: String::new(),
        state: run_state(&status, w.conclusion.as_deref()),
        status,
        started: w.started_at,
        finished: w.completed_at,
        steps: w
            .steps
            .into_iter()
            .map(|s| Step {
                number: s.number,
                name: sanitize::line(&s.name),
                state: run_state(&s.status, s.conclusion.as_deref()),
                started: s.started_at,
                finished: s.completed_at,
            })
            .collect(),
        url: w.html_url.as_deref().and_then(sanitize::url),
    }
}

/// A deployment with its latest status (`None` while it has none).
pub fn decode_deployment(
    w: wire::Deployment,
    status: Option<&wire::DeploymentStatus>,
) -> Deployment {
    let (state, word, updated, url) = match status {
        Some(s) => {
            let state = match s.state.as_str() {
                "success" => RunState::Success,
                "failure" | "error" => RunState::Failure,
                "in_progress" => RunState::Running,
                "queued" | "pending" => RunState::Queued,
                // Superseded by a newer deployment: it did succeed when it ran.
                "inactive" => RunState::Success,
                _ => RunState::Other,
            };
            let url = s
                .log_url
                .as_deref()
                .or(s.target_url.as_deref())
                .and_then(sanitize::url);
            (
                state,
                sanitize::ident(&s.state),
                s.updated_at.unwrap_or(s.created_at),
                url,
            )
        }
        None => (RunState::Queued, "created".to_string(), w.updated_at, None),
    };
    Deployment {
        id: w.id,
        environment: sanitize::line(&w.environment),
        sha: sanitize::ident(&w.sha),
        git_ref: sanitize::line(&w.git_ref),
        state,
        status: word,
        creator: w
            .creator
            .map_or_else(String::new, |u| sanitize::ident(&u.login)),
        created: w.created_at,
        updated,
        url,
    }
}

/// Strips GitHub's per-line timestamp and turns its workflow commands into plain words, so
/// the log reads like the web view's.
pub fn tidy_github_line(raw: &str) -> Option<&str> {
    let line = match raw.split_once(' ') {
        Some((ts, rest)) if ts.len() >= 20 && ts.ends_with('Z') && ts.as_bytes()[4] == b'-' => rest,
        _ => raw,
    };
    if line.starts_with("##[endgroup]") {
        return None;
    }
    Some(line)
}

fn is_terminal_deploy(s: Option<&wire::DeploymentStatus>) -> bool {
    s.is_some_and(|s| {
        matches!(
            s.state.as_str(),
            "success" | "failure" | "error" | "inactive"
        )
    })
}

impl GithubApi {
    /// A conditional GET remembered in `st` under `path`.
    async fn fetch(&self, st: &mut RepoState, path: String) -> Result<Option<String>, Failure> {
        match self
            .get(&path, st.etags.get(&path).map(String::as_str))
            .await?
        {
            Fetch::NotModified => Ok(None),
            Fetch::Fresh { body, etag } => {
                match etag {
                    Some(e) => st.etags.insert(path, e),
                    None => st.etags.remove(&path),
                };
                Ok(Some(body))
            }
        }
    }

    async fn poll_repo(
        &self,
        t: &Target,
        st: &mut RepoState,
        now: DateTime<Utc>,
    ) -> Result<Vec<PipelinesMsg>, Failure> {
        let mut msgs = Vec::new();
        let mut runs_changed = false;
        let runs_path = format!("/repos/{}/actions/runs?per_page={RUNS_PER_PAGE}", t.repo);
        if let Some(body) = self.fetch(st, runs_path.clone()).await? {
            let list: wire::RunList = decode(&body).inspect_err(|_| {
                // A body that does not decode must not be skipped by the next 304.
                st.etags.remove(&runs_path);
            })?;
            let runs: Vec<Run> = list
                .workflow_runs
                .into_iter()
                .map(|r| decode_run(r, &t.repo, &t.service, &t.name))
                .collect();
            if runs != st.runs {
                runs_changed = true;
                st.runs = runs.clone();
                msgs.push(PipelinesMsg::Runs {
                    host: Host::Github,
                    repo: t.repo.clone(),
                    service: t.service.clone(),
                    runs,
                    at: now,
                });
            }
        }
        let deploy_path = format!(
            "/repos/{}/deployments?per_page={DEPLOYMENTS_PER_PAGE}",
            t.repo
        );
        let mut deploys_changed = false;
        if let Some(body) = self.fetch(st, deploy_path.clone()).await? {
            let list: Vec<wire::Deployment> = decode(&body).inspect_err(|_| {
                st.etags.remove(&deploy_path);
            })?;
            let old: HashMap<u64, Option<wire::DeploymentStatus>> =
                st.deployments.drain(..).map(|(d, s)| (d.id, s)).collect();
            st.deployments = list
                .into_iter()
                .map(|d| {
                    let s = old.get(&d.id).cloned().flatten();
                    (d, s)
                })
                .collect();
            deploys_changed = true;
        }
        // The latest status of each environment's newest deployment: fetched when the list
        // changed or while it has not settled; otherwise nothing can have moved.
        let mut newest: BTreeMap<String, usize> = BTreeMap::new();
        for (i, (d, _)) in st.deployments.iter().enumerate() {
            let e = newest.entry(d.environment.clone()).or_insert(i);
            if st.deployments[*e].0.created_at < d.created_at {
                *e = i;
            }
        }
        let newest: Vec<usize> = newest.into_values().collect();
        for &i in &newest {
            let (d, s) = &st.deployments[i];
            if !deploys_changed && is_terminal_deploy(s.as_ref()) {
                continue;
            }
            let path = format!("/repos/{}/deployments/{}/statuses?per_page=1", t.repo, d.id);
            if let Some(body) = self.fetch(st, path.clone()).await? {
                let list: Vec<wire::DeploymentStatus> = decode(&body).inspect_err(|_| {
                    st.etags.remove(&path);
                })?;
                let latest = list.into_iter().max_by_key(|s| s.created_at);
                if st.deployments[i]
                    .1
                    .as_ref()
                    .map(|s| (&s.state, s.created_at))
                    != latest.as_ref().map(|s| (&s.state, s.created_at))
                {
                    st.deployments[i].1 = latest;
                    deploys_changed = true;
                }
            }
        }
        // Only each environment's newest deployment has its status read: an older one with
        // none is history, not work in progress (counting it kept every repository with two
        // deployments to an environment busy, polled every few seconds for ever).
        let unsettled = newest
            .iter()
            .any(|&i| !is_terminal_deploy(st.deployments[i].1.as_ref()));
        if deploys_changed {
            let deployments = st
                .deployments
                .iter()
                .map(|(d, s)| decode_deployment(d.clone(), s.as_ref()))
                .collect();
            msgs.push(PipelinesMsg::Deployments {
                host: Host::Github,
                repo: t.repo.clone(),
                service: t.service.clone(),
                deployments,
                at: now,
            });
        }
        if st.want_pulls
            && let Some(m) = self.poll_pulls(t, st, runs_changed, now).await?
        {
            msgs.push(m);
        }
        let checking = st.want_pulls && st.pulls.iter().any(|p| !p.checks.done());
        st.busy = st.runs.iter().any(|r| !r.state.is_done()) || unsettled || checking;
        Ok(msgs)
    }
}

impl Backend for GithubApi {
    const HOST: Host = Host::Github;

    fn tidy_line(raw: &str) -> Option<&str> {
        tidy_github_line(raw)
    }

    async fn poll(
        &self,
        t: &Target,
        st: &mut RepoState,
        now: DateTime<Utc>,
    ) -> Result<Vec<PipelinesMsg>, Failure> {
        self.poll_repo(t, st, now).await
    }

    async fn jobs(&self, run: &RunKey, etag: Option<&str>) -> Result<JobsAnswer, Failure> {
        let path = format!(
            "/repos/{}/actions/runs/{}/jobs?per_page=100",
            run.repo, run.id
        );
        match self.get(&path, etag).await? {
            Fetch::NotModified => Ok(None),
            Fetch::Fresh { body, etag } => {
                let list: wire::JobList = decode(&body)?;
                Ok(Some((
                    list.jobs.into_iter().map(decode_job).collect(),
                    etag,
                )))
            }
        }
    }

    async fn log(&self, job: &JobRef) -> Result<String, Failure> {
        self.job_log(&job.run.repo, job.id).await
    }

    async fn pull_runs(
        &self,
        t: &Target,
        branch: &str,
        etag: Option<&str>,
    ) -> Result<crate::providers::ci::RunsAnswer, Failure> {
        self.branch_runs(t, branch, etag).await
    }

    async fn act(&self, command: &Command) -> Result<Option<RunKey>, Failure> {
        let runs =
            |r: &RunKey, verb: &str| format!("/repos/{}/actions/runs/{}/{verb}", r.repo, r.id);
        match command {
            Command::RerunFailed(r) => self
                .post(&runs(r, "rerun-failed-jobs"), None)
                .await
                .map(|_| None),
            Command::Rerun(r) => self.post(&runs(r, "rerun"), None).await.map(|_| None),
            Command::Cancel(r) => self.post(&runs(r, "cancel"), None).await.map(|_| None),
            Command::Dispatch(d) => {
                let inputs: serde_json::Map<String, serde_json::Value> = d
                    .inputs
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect();
                let body = serde_json::json!({ "ref": d.git_ref, "inputs": inputs, "return_run_details": true });
                let path = format!(
                    "/repos/{}/actions/workflows/{}/dispatches",
                    d.repo, d.workflow
                );
                let answer = self.post(&path, Some(&body)).await?;
                // Older servers answer 204 with no body: the run shows at the next poll.
                let details: Option<wire::DispatchDetails> = serde_json::from_str(&answer).ok();
                Ok(details.and_then(|x| x.workflow_run_id).map(|id| RunKey {
                    host: Host::Github,
                    repo: d.repo.clone(),
                    id,
                }))
            }
            Command::Watch(_) | Command::Log(_) => Ok(None),
        }
    }

    async fn login(&self) -> Result<String, Failure> {
        GithubApi::login(self).await
    }

    fn budget(&self) -> Option<String> {
        GithubApi::budget(self).map(|b| b.label())
    }

    async fn sweep(
        &self,
        repos: &[(String, Vec<String>)],
    ) -> Option<Result<HashMap<String, crate::providers::ci::Glance>, Failure>> {
        Some(GithubApi::sweep(self, repos).await)
    }

    fn sweep_points(&self, repos: usize) -> Option<f64> {
        self.sweeps()
            .then_some(repos as f64 * sweep::POINTS_PER_REPO)
    }
}

/// The GitHub provider, when `[github]` is configured.
pub fn start(config: &Config, cx: &Context) -> Option<CiProvider<GithubApi>> {
    let source = config.github.clone()?;
    let mut pacing = Pacing::new(
        source.poll_idle_secs,
        source.poll_running_secs,
        source.max_in_flight,
    );
    pacing.budget_per_min = Some(source.requests_per_sec * 60.0);
    Some(CiProvider::start(
        cx,
        pacing,
        |t| t.github.as_ref(),
        move || {
            let source = source.clone();
            async move {
                let token = resolve_token(&source).await?;
                GithubApi::for_source(&source, token, http::REQUEST_TIMEOUT)
                    .map(|api| api.with_sweep(source.sweep))
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_lose_timestamps_and_keep_colours() {
        let text = "2026-03-02T08:00:01.0000000Z ##[group]Run npm test\n2026-03-02T08:00:02.0000000Z \u{1b}[31mFAIL\u{1b}[0m src/a.test.ts\n2026-03-02T08:00:03.0000000Z ##[endgroup]\n2026-03-02T08:00:04.0000000Z ##[error]Process completed with exit code 1.\n";
        let lines = crate::providers::ci::log_lines::<GithubApi>(text);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "▸ Run npm test",
                "FAIL src/a.test.ts",
                "Error: Process completed with exit code 1."
            ]
        );
        assert_eq!(lines[1].runs.len(), 1, "the red of FAIL is kept");
    }

    #[test]
    fn states_follow_status_and_conclusion() {
        assert_eq!(run_state("completed", Some("timed_out")), RunState::Failure);
        assert_eq!(run_state("in_progress", None), RunState::Running);
        assert_eq!(run_state("waiting", None), RunState::Other);
        assert_eq!(
            run_state("completed", Some("action_required")),
            RunState::Other
        );
    }
}
