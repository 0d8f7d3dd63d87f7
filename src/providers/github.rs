//! GitHub Actions through octocrab: workflow runs, jobs, deployments and job logs of every
//! service with `github.com/project-slug`, polled politely (conditional requests, adaptive
//! intervals, rate limits honoured), and re-run, cancel and dispatch on request.
//!
//! It also holds the CI poller GitLab shares ([`CiProvider`]): one task per host that polls what
//! `update` says is on screen, quickly while something runs and slowly when nothing moves.
//!
//! ETags are ours, not octocrab's cache layer: that layer answers a 304 with the cached body as
//! a 200, and the cockpit must know nothing changed so that it sends no message and draws
//! nothing. So every poll goes through octocrab's `_get_with_headers` with `If-None-Match`, and
//! a 304 ends the poll there.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use octocrab::Octocrab;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;
use tokio::sync::{Notify, OnceCell, Semaphore};

use super::http::{self, Backoff, Failure, RateLimit};
use super::{Context, Provider};
use crate::config::{Config, GithubSource};
use flightdeck_core::model::join::{RunState, ServiceTarget};
use flightdeck_core::model::pipelines::{
    Deployment, Host, Job, JobRef, LOG_BUFFER_LINES, LogLine, Run, RunKey, Step, Watch,
};
use flightdeck_core::sanitize;
use flightdeck_core::update::pipelines::{Command, Dispatch, Msg as PipelinesMsg};
use flightdeck_core::update::{Effect, Msg, SourceEvent};

/// Runs asked for per repository and poll: enough for the screen and the summaries.
pub const RUNS_PER_PAGE: usize = 20;
/// Deployments asked for per repository and poll.
const DEPLOYMENTS_PER_PAGE: usize = 20;
/// Log lines sent first, so the end of a log shows at once; the rest follows in bigger chunks.
const LOG_FIRST_CHUNK: usize = 200;
const LOG_CHUNK: usize = 2000;
/// GitHub asks for at least a second between requests that change something.
const MUTATION_SPACING: StdDuration = StdDuration::from_secs(1);
/// An unchanged source still reports once in this long, so its age never looks stale.
const STATUS_EVERY: Duration = Duration::seconds(60);

/// GitHub's REST shapes, as much of them as the cockpit reads; unknown fields are ignored, so
/// the published examples and newer servers decode alike.
pub mod wire {
    use chrono::{DateTime, Utc};
    use serde::Deserialize;

    #[derive(Debug, Clone, Deserialize)]
    pub struct User {
        pub login: String,
    }

    #[derive(Debug, Clone, Deserialize)]
    pub struct HeadCommit {
        #[serde(default)]
        pub message: String,
    }

    #[derive(Debug, Clone, Deserialize)]
    pub struct Run {
        pub id: u64,
        #[serde(default)]
        pub name: Option<String>,
        #[serde(default)]
        pub head_branch: Option<String>,
        #[serde(default)]
        pub head_sha: String,
        #[serde(default)]
        pub path: Option<String>,
        #[serde(default)]
        pub display_title: Option<String>,
        #[serde(default)]
        pub run_number: u64,
        #[serde(default)]
        pub event: String,
        #[serde(default)]
        pub status: Option<String>,
        #[serde(default)]
        pub conclusion: Option<String>,
        #[serde(default)]
        pub workflow_id: u64,
        #[serde(default)]
        pub html_url: Option<String>,
        pub created_at: DateTime<Utc>,
        pub updated_at: DateTime<Utc>,
        #[serde(default)]
        pub run_started_at: Option<DateTime<Utc>>,
        #[serde(default)]
        pub run_attempt: Option<u32>,
        #[serde(default)]
        pub actor: Option<User>,
        #[serde(default)]
        pub triggering_actor: Option<User>,
        #[serde(default)]
        pub head_commit: Option<HeadCommit>,
    }

    #[derive(Debug, Clone, Deserialize)]
    pub struct RunList {
        #[serde(default)]
        pub total_count: u64,
        pub workflow_runs: Vec<Run>,
    }

    #[derive(Debug, Clone, Deserialize)]
    pub struct Step {
        pub name: String,
        pub status: String,
        #[serde(default)]
        pub conclusion: Option<String>,
        pub number: u32,
        #[serde(default)]
        pub started_at: Option<DateTime<Utc>>,
        #[serde(default)]
        pub completed_at: Option<DateTime<Utc>>,
    }

    #[derive(Debug, Clone, Deserialize)]
    pub struct Job {
        pub id: u64,
        pub name: String,
        pub status: String,
        #[serde(default)]
        pub conclusion: Option<String>,
        #[serde(default)]
        pub started_at: Option<DateTime<Utc>>,
        #[serde(default)]
        pub completed_at: Option<DateTime<Utc>>,
        #[serde(default)]
        pub html_url: Option<String>,
        #[serde(default)]
        pub steps: Vec<Step>,
    }

    #[derive(Debug, Clone, Deserialize)]
    pub struct JobList {
        #[serde(default)]
        pub total_count: u64,
        pub jobs: Vec<Job>,
    }

    #[derive(Debug, Clone, Deserialize)]
    pub struct Deployment {
        pub id: u64,
        #[serde(default)]
        pub sha: String,
        #[serde(rename = "ref", default)]
        pub git_ref: String,
        pub environment: String,
        #[serde(default)]
        pub creator: Option<User>,
        pub created_at: DateTime<Utc>,
        pub updated_at: DateTime<Utc>,
    }

    #[derive(Debug, Clone, Deserialize)]
    pub struct DeploymentStatus {
        pub state: String,
        pub created_at: DateTime<Utc>,
        #[serde(default)]
        pub updated_at: Option<DateTime<Utc>>,
        #[serde(default)]
        pub log_url: Option<String>,
        #[serde(default)]
        pub target_url: Option<String>,
    }

    /// `POST .../dispatches` with `return_run_details`.
    #[derive(Debug, Clone, Deserialize)]
    pub struct DispatchDetails {
        #[serde(default)]
        pub workflow_run_id: Option<u64>,
        #[serde(default)]
        pub html_url: Option<String>,
    }

    #[derive(Debug, Clone, Deserialize)]
    pub struct RateResource {
        pub limit: u64,
        pub remaining: u64,
        pub reset: i64,
    }

    /// `GET /rate_limit`.
    #[derive(Debug, Clone, Deserialize)]
    pub struct RateLimitOverview {
        pub rate: RateResource,
    }
}

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

/// Splits a log into lines, keeping at most the buffer's worth of the newest.
fn log_lines(text: &str, host: Host) -> Vec<LogLine> {
    let lines: Vec<&str> = text.lines().collect();
    let from = lines
        .len()
        .saturating_sub(LOG_BUFFER_LINES + LOG_BUFFER_LINES / 10);
    let mut out: Vec<LogLine> = lines[from..]
        .iter()
        .filter_map(|l| match host {
            Host::Github => tidy_github_line(l),
            Host::Gitlab => Some(*l),
        })
        .map(|l| {
            let mut line = LogLine::decode(l);
            if let Some(rest) = line.text.strip_prefix("##[group]") {
                line = LogLine::decode(&format!("▸ {rest}"));
            } else if let Some(rest) = line.text.strip_prefix("##[error]") {
                line = LogLine::decode(&format!("\u{1b}[31mError: {rest}\u{1b}[0m"));
            }
            line
        })
        .collect();
    let from = out.len().saturating_sub(LOG_BUFFER_LINES);
    out.drain(..from);
    out
}

// ---------------------------------------------------------------------------------------------
// Auth.
// ---------------------------------------------------------------------------------------------

/// The host gh keys its `hosts.yml` by, from the API URL: `github.com` for api.github.com,
/// else the URL's host (GitHub Enterprise Server).
pub fn gh_host(api_url: &str) -> String {
    let rest = api_url.split_once("://").map_or(api_url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    if host == "api.github.com" {
        "github.com".into()
    } else {
        host.to_string()
    }
}

/// A token from the environment (`token_env`, `GH_TOKEN`, `GITHUB_TOKEN`, and gh's enterprise
/// variables for other hosts), else from gh's `hosts.yml` for the host.
pub fn token_without_command(
    source: &GithubSource,
    env: &dyn Fn(&str) -> Option<String>,
    hosts_yml: Option<&str>,
) -> Option<String> {
    let host = gh_host(&source.api_url);
    let mut names: Vec<&str> = source.token_env.as_deref().into_iter().collect();
    // As gh does: GH_TOKEN is for github.com only, so a github.com token is never sent to an
    // Enterprise host (or to the demo's sim on 127.0.0.1).
    if host == "github.com" {
        names.extend(["GH_TOKEN", "GITHUB_TOKEN"]);
    } else {
        names.extend(["GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN"]);
    }
    if let Some(t) = names.iter().find_map(|n| {
        env(n)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }) {
        return Some(t);
    }
    let doc: serde_norway::Value = serde_norway::from_str(hosts_yml?).ok()?;
    let token = doc.get(host.as_str())?.get("oauth_token")?.as_str()?.trim();
    (!token.is_empty()).then(|| token.to_string())
}

/// Where gh keeps `hosts.yml`.
fn gh_hosts_path(env: &dyn Fn(&str) -> Option<String>) -> Option<std::path::PathBuf> {
    if let Some(dir) = env("GH_CONFIG_DIR") {
        return Some(std::path::PathBuf::from(dir).join("hosts.yml"));
    }
    if let Some(dir) = env("XDG_CONFIG_HOME") {
        return Some(std::path::PathBuf::from(dir).join("gh/hosts.yml"));
    }
    env("HOME").map(|h| std::path::PathBuf::from(h).join(".config/gh/hosts.yml"))
}

/// The token to use, or `None` to go unauthenticated (public repositories, 60 requests an
/// hour). Never logged or shown.
pub async fn resolve_token(source: &GithubSource) -> Result<Option<String>, String> {
    let env = |k: &str| std::env::var(k).ok();
    let hosts = gh_hosts_path(&env).and_then(|p| std::fs::read_to_string(p).ok());
    if let Some(t) = token_without_command(source, &env, hosts.as_deref()) {
        return Ok(Some(t));
    }
    match &source.token_command {
        Some(cmd) => http::token_from_command(cmd).await.map(Some),
        None => Ok(None),
    }
}

// ---------------------------------------------------------------------------------------------
// The API client.
// ---------------------------------------------------------------------------------------------

/// GitHub's REST API through octocrab, with conditional requests, the rate-limit budget as
/// last seen, and a bound on requests in flight.
pub struct GithubApi {
    octo: Octocrab,
    base: String,
    in_flight: Semaphore,
    budget: Mutex<Option<RateLimit>>,
    timeout: StdDuration,
}

/// A conditional GET's answer: a new body (with its ETag), or "not modified".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch {
    NotModified,
    Fresh { body: String, etag: Option<String> },
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl GithubApi {
    pub fn new(
        api_url: &str,
        token: Option<String>,
        max_in_flight: usize,
        timeout: StdDuration,
    ) -> Result<Self, String> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let base = api_url.trim_end_matches('/').to_string();
        let mut b = Octocrab::builder()
            .base_uri(base.as_str())
            .map_err(|e| format!("`{}` is not a usable API URL: {e}", sanitize::line(&base)))?
            // Our own policy retries, after a wait the status bar shows; octocrab's would
            // retry at once and hide it.
            .add_retry_config(octocrab::service::middleware::retry::RetryConfig::None)
            .set_connect_timeout(Some(timeout.min(http::CONNECT_TIMEOUT)))
            .set_read_timeout(Some(timeout))
            .add_header(reqwest::header::USER_AGENT, http::USER_AGENT.to_string())
            .add_header(
                reqwest::header::ACCEPT,
                "application/vnd.github+json".to_string(),
            )
            .add_header(
                "x-github-api-version"
                    .parse()
                    .map_err(|_| "bad header".to_string())?,
                "2022-11-28".to_string(),
            );
        if let Some(t) = token {
            http::check_token(&t)?;
            b = b.personal_token(t);
        }
        let octo = b
            .build()
            .map_err(|e| format!("cannot build the GitHub client: {e}"))?;
        Ok(Self {
            octo,
            base,
            in_flight: Semaphore::new(max_in_flight.max(1)),
            budget: Mutex::new(None),
            timeout,
        })
    }

    /// The budget as the last answer gave it.
    pub fn budget(&self) -> Option<RateLimit> {
        *lock(&self.budget)
    }

    fn octo_failure(&self, e: &octocrab::Error) -> Failure {
        // octocrab wraps transport errors; their text is the only portable way to tell them.
        let text = format!("{e:?}").to_lowercase();
        if text.contains("timed out") || text.contains("timeout") || text.contains("elapsed") {
            Failure::Timeout(self.timeout)
        } else if text.contains("connect") || text.contains("refused") || text.contains("dns") {
            Failure::Connect(sanitize::line(&self.base))
        } else if text.contains("utf")
            || text.contains("body")
            || text.contains("closed")
            || text.contains("incomplete")
        {
            Failure::Malformed(sanitize::line(&e.to_string()))
        } else {
            Failure::Other(sanitize::line(&e.to_string()))
        }
    }

    /// Sends one request and reads the whole answer, within the in-flight bound and the
    /// timeout; records the rate-limit headers of every answer, 304s included.
    async fn send(
        &self,
        post: Option<Option<&serde_json::Value>>,
        path: &str,
        headers: HeaderMap,
    ) -> Result<(StatusCode, HeaderMap, String), Failure> {
        let _permit = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| Failure::Other("shutting down".into()))?;
        http::bounded(self.timeout, async {
            let res = match post {
                None => self.octo._get_with_headers(path, Some(headers)).await,
                Some(body) => self.octo._post(path, body).await,
            }
            .map_err(|e| self.octo_failure(&e))?;
            let status = res.status();
            let headers = res.headers().clone();
            if let Some(limit) = RateLimit::from_headers(&headers) {
                *lock(&self.budget) = Some(limit);
            }
            let body = self
                .octo
                .body_to_string(res)
                .await
                .map_err(|e| self.octo_failure(&e))?;
            if let Some(f) = http::classify(status, &headers, body.as_bytes()) {
                return Err(f);
            }
            Ok((status, headers, body))
        })
        .await
    }

    /// A conditional GET: `etag` from the last fresh answer.
    pub async fn get(&self, path: &str, etag: Option<&str>) -> Result<Fetch, Failure> {
        let mut h = HeaderMap::new();
        if let Some(v) = etag.and_then(|e| HeaderValue::from_str(e).ok()) {
            h.insert(reqwest::header::IF_NONE_MATCH, v);
        }
        let (status, headers, body) = self.send(None, path, h).await?;
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetch::NotModified);
        }
        let etag = headers
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(Fetch::Fresh { body, etag })
    }

    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        match self.get(path, None).await? {
            Fetch::Fresh { body, .. } => decode(&body),
            Fetch::NotModified => Err(Failure::Malformed("304 to an unconditional request".into())),
        }
    }

    pub async fn post(
        &self,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<String, Failure> {
        self.send(Some(body), path, HeaderMap::new())
            .await
            .map(|(_, _, b)| b)
    }

    /// Who the token authenticates as.
    pub async fn login(&self) -> Result<String, Failure> {
        let u: wire::User = self.get_json("/user").await?;
        Ok(sanitize::ident(&u.login))
    }

    /// A job's whole log (GitHub answers with a redirect to a short-lived URL, followed here).
    pub async fn job_log(&self, repo: &str, job: u64) -> Result<String, Failure> {
        match self
            .get(&format!("/repos/{repo}/actions/jobs/{job}/logs"), None)
            .await?
        {
            Fetch::Fresh { body, .. } => Ok(body),
            Fetch::NotModified => Ok(String::new()),
        }
    }
}

fn decode<T: DeserializeOwned>(body: &str) -> Result<T, Failure> {
    serde_json::from_str(body).map_err(|e| Failure::Malformed(sanitize::line(&e.to_string())))
}

// ---------------------------------------------------------------------------------------------
// The CI poller both hosts share.
// ---------------------------------------------------------------------------------------------

/// A repository (project) to poll, with the service it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub repo: String,
    pub service: String,
    pub name: String,
}

/// What a host remembers between polls of one repository.
#[derive(Debug, Clone, Default)]
pub struct RepoState {
    /// ETag of each conditional GET, by path.
    pub etags: HashMap<String, String>,
    pub runs: Vec<Run>,
    pub deployments: Vec<(wire::Deployment, Option<wire::DeploymentStatus>)>,
    /// GitLab: the full pipeline as last fetched, by id, with the `updated_at` it had.
    pub details: HashMap<u64, (DateTime<Utc>, Run)>,
    /// Something runs or deploys: poll quickly.
    pub busy: bool,
    pub next_due: Option<DateTime<Utc>>,
    pub failures: u32,
    pub error: Option<String>,
}

/// A run's jobs and the ETag to ask with next time; `None` when nothing changed.
pub type JobsAnswer = Option<(Vec<Job>, Option<String>)>;

/// What a CI host does for the poller.
pub trait Backend: Send + Sync + 'static {
    const HOST: Host;
    /// One poll of a repository; messages only for what changed.
    fn poll(
        &self,
        t: &Target,
        st: &mut RepoState,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<PipelinesMsg>, Failure>> + Send;
    /// The jobs of a run; `None` when unchanged since `etag`.
    fn jobs(
        &self,
        run: &RunKey,
        etag: Option<&str>,
    ) -> impl Future<Output = Result<JobsAnswer, Failure>> + Send;
    fn log(&self, job: &JobRef) -> impl Future<Output = Result<String, Failure>> + Send;
    /// Carries out an action; the run it created, when the host says.
    fn act(
        &self,
        command: &Command,
    ) -> impl Future<Output = Result<Option<RunKey>, Failure>> + Send;
    fn login(&self) -> impl Future<Output = Result<String, Failure>> + Send;
    /// What the status bar says about the budget (`4870/5000`).
    fn budget(&self) -> Option<String>;
}

/// How a poller paces itself.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    pub idle: Duration,
    pub running: Duration,
    pub max_in_flight: usize,
    pub backoff: Backoff,
}

impl Pacing {
    pub fn new(idle_secs: u64, running_secs: u64, max_in_flight: usize) -> Self {
        let idle = Duration::seconds(idle_secs.max(1) as i64);
        Self {
            idle,
            running: Duration::seconds(running_secs.max(1) as i64),
            max_in_flight: max_in_flight.max(1),
            backoff: Backoff {
                base: StdDuration::from_secs(5),
                max: idle
                    .to_std()
                    .unwrap_or(StdDuration::from_secs(60))
                    .max(StdDuration::from_secs(60)),
            },
        }
    }
}

#[derive(Debug, Default)]
struct Control {
    targets: Vec<Target>,
    /// Poll everything until `update` says what is on screen.
    watch: Option<Watch>,
    refresh: bool,
    /// Repositories to poll at once (an action changed them).
    urgent: BTreeSet<String>,
}

struct Shared<B: Backend> {
    cx: Context,
    pacing: Pacing,
    backend: OnceCell<Arc<B>>,
    control: Mutex<Control>,
    wake: Notify,
    log_generation: AtomicU64,
    last_mutation: tokio::sync::Mutex<Option<Instant>>,
}

/// A CI provider: one poll task, actions and logs as tasks of their own.
pub struct CiProvider<B: Backend> {
    shared: Arc<Shared<B>>,
    select: fn(&ServiceTarget) -> Option<&String>,
}

impl<B: Backend> CiProvider<B> {
    /// Starts the poll task; `connect` builds the backend (it may run a token command).
    pub fn start<F, Fut>(
        cx: &Context,
        pacing: Pacing,
        select: fn(&ServiceTarget) -> Option<&String>,
        connect: F,
    ) -> Self
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = Result<B, String>> + Send + 'static,
    {
        let shared = Arc::new(Shared {
            cx: cx.clone(),
            pacing,
            backend: OnceCell::new(),
            control: Mutex::default(),
            wake: Notify::new(),
            log_generation: AtomicU64::new(0),
            last_mutation: tokio::sync::Mutex::new(None),
        });
        tokio::spawn(poll_loop(shared.clone(), connect));
        Self { shared, select }
    }

    fn carry_out(&self, command: Command) {
        let shared = self.shared.clone();
        match command {
            Command::Watch(_) => {}
            Command::Log(job) => {
                let generation = shared.log_generation.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::spawn(fetch_log(shared, job, generation));
            }
            action => {
                tokio::spawn(act(shared, action));
            }
        }
    }
}

impl<B: Backend> Provider for CiProvider<B> {
    fn targets(&mut self, targets: &[ServiceTarget]) {
        let mine: Vec<Target> = targets
            .iter()
            .filter_map(|t| {
                let repo = (self.select)(t)?;
                Some(Target {
                    repo: sanitize::ident(repo.trim()),
                    service: t.service.clone(),
                    name: t.name.clone(),
                })
            })
            .filter(|t| !t.repo.is_empty())
            .collect();
        lock(&self.shared.control).targets = mine;
        self.shared.wake.notify_one();
    }

    fn refresh(&mut self) {
        lock(&self.shared.control).refresh = true;
        self.shared.wake.notify_one();
    }

    fn command(&mut self, effect: &Effect) -> bool {
        let Effect::Pipelines(command) = effect else {
            return false;
        };
        if let Command::Watch(w) = command {
            lock(&self.shared.control).watch = Some(w.clone());
            self.shared.wake.notify_one();
            // Every CI provider needs to know what is on screen.
            return false;
        }
        if command.host() != Some(B::HOST) {
            return false;
        }
        self.carry_out(command.clone());
        true
    }
}

async fn send<B: Backend>(shared: &Shared<B>, msg: Msg) {
    let _ = shared.cx.tx.send(msg).await;
}

async fn report<B: Backend>(shared: &Shared<B>, event: SourceEvent) {
    send(
        shared,
        Msg::Source {
            id: B::HOST.source(),
            event,
        },
    )
    .await;
}

/// How fast the cockpit's clock runs against the wall (the demo's runs faster), measured, so
/// waits in cockpit time become the right real sleeps.
struct Pace {
    real0: Instant,
    cockpit0: DateTime<Utc>,
}

impl Pace {
    fn real_wait(&self, now: DateTime<Utc>, wait: Duration) -> StdDuration {
        let real = self.real0.elapsed().as_secs_f64();
        let rate = if real > 0.2 {
            (now - self.cockpit0).num_milliseconds() as f64 / 1000.0 / real
        } else {
            1.0
        };
        let secs = wait.num_milliseconds().max(0) as f64 / 1000.0 / rate.max(0.01);
        // At most a second: a clock that speeds up, or a changed watch, is noticed soon.
        StdDuration::from_secs_f64(secs.clamp(0.01, 1.0))
    }
}

/// Waits up to `wait`, or until something wakes the poller.
async fn nap<B: Backend>(shared: &Shared<B>, wait: StdDuration) {
    tokio::select! {
        _ = tokio::time::sleep(wait) => {}
        _ = shared.wake.notified() => {}
    }
}

/// What the status bar was last told, so an unchanged state sends nothing.
#[derive(Debug, Clone, PartialEq)]
enum Reported {
    Ok {
        detail: Option<String>,
        at: DateTime<Utc>,
    },
    Failed {
        error: String,
        retry_at: Option<DateTime<Utc>>,
    },
}

struct JobsWatch {
    run: RunKey,
    etag: Option<String>,
    next_due: Option<DateTime<Utc>>,
    failures: u32,
}

async fn poll_loop<B, F, Fut>(shared: Arc<Shared<B>>, connect: F)
where
    B: Backend,
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Result<B, String>> + Send + 'static,
{
    report(&shared, SourceEvent::Connecting).await;
    let pace = Pace {
        real0: Instant::now(),
        cockpit0: shared.cx.clock.now(),
    };
    let backend = loop {
        match connect().await {
            Ok(b) => break Arc::new(b),
            Err(e) => {
                let now = shared.cx.clock.now();
                let wait = shared.pacing.idle;
                report(
                    &shared,
                    SourceEvent::Failed {
                        error: e,
                        at: now,
                        retry_at: Some(now + wait),
                    },
                )
                .await;
                let until = now + wait;
                while shared.cx.clock.now() < until {
                    nap(
                        &shared,
                        pace.real_wait(shared.cx.clock.now(), until - shared.cx.clock.now()),
                    )
                    .await;
                    if std::mem::take(&mut lock(&shared.control).refresh) {
                        break;
                    }
                }
            }
        }
    };
    let _ = shared.backend.set(backend.clone());
    {
        let (b, s) = (backend.clone(), shared.clone());
        tokio::spawn(async move {
            if let Ok(login) = b.login().await {
                send(
                    &s,
                    Msg::Pipelines(PipelinesMsg::Login {
                        host: B::HOST,
                        login,
                    }),
                )
                .await;
            }
        });
    }

    let mut states: HashMap<String, RepoState> = HashMap::new();
    let mut jobs: Option<JobsWatch> = None;
    let mut blocked: Option<(DateTime<Utc>, String)> = None;
    let mut reported: Option<Reported> = None;
    let mut last_ok: Option<DateTime<Utc>> = None;
    loop {
        let now = shared.cx.clock.now();
        let (targets, watch, refresh, urgent) = {
            let mut c = lock(&shared.control);
            let urgent = std::mem::take(&mut c.urgent);
            (
                c.targets.clone(),
                c.watch.clone(),
                std::mem::take(&mut c.refresh),
                urgent,
            )
        };
        states.retain(|repo, _| targets.iter().any(|t| &t.repo == repo));
        if refresh {
            states.values_mut().for_each(|s| s.next_due = None);
            if let Some(j) = &mut jobs {
                j.next_due = None;
            }
            blocked = blocked.filter(|(until, _)| *until > now + Duration::seconds(1));
        }
        for repo in &urgent {
            if let Some(s) = states.get_mut(repo) {
                s.next_due = None;
            }
        }
        let visible = |t: &Target| {
            watch
                .as_ref()
                .is_none_or(|w| w.all || w.pinned.contains(&t.service))
        };
        let open_run = watch
            .as_ref()
            .and_then(|w| w.run.clone())
            .filter(|r| r.host == B::HOST);
        if jobs.as_ref().map(|j| &j.run) != open_run.as_ref() {
            jobs = open_run.map(|run| JobsWatch {
                run,
                etag: None,
                next_due: None,
                failures: 0,
            });
        }
        if let Some((until, _)) = &blocked
            && now >= *until
        {
            blocked = None;
        }

        let mut changed = false;
        if blocked.is_none() {
            let due: Vec<Target> = targets
                .iter()
                .filter(|t| visible(t))
                .filter(|t| {
                    states
                        .get(&t.repo)
                        .is_none_or(|s| s.next_due.is_none_or(|d| d <= now))
                })
                .cloned()
                .collect();
            let polls: Vec<_> = due
                .into_iter()
                .map(|t| {
                    let mut st = states.remove(&t.repo).unwrap_or_default();
                    let b = backend.clone();
                    async move {
                        let r = b.poll(&t, &mut st, now).await;
                        (t, st, r)
                    }
                })
                .collect();
            // Each repository's news goes out as soon as its poll ends, not after the slowest.
            let mut results =
                futures::stream::iter(polls).buffer_unordered(shared.pacing.max_in_flight);
            while let Some((t, mut st, r)) = results.next().await {
                let done = shared.cx.clock.now();
                match r {
                    Ok(msgs) => {
                        changed |= !msgs.is_empty();
                        for m in msgs {
                            send(&shared, Msg::Pipelines(m)).await;
                        }
                        st.failures = 0;
                        st.error = None;
                        let every = if st.busy {
                            shared.pacing.running
                        } else {
                            shared.pacing.idle
                        };
                        // Paced from when the poll started, so the interval is what the
                        // user configured however long the answers took.
                        st.next_due = Some(now + every);
                        last_ok.get_or_insert(done);
                    }
                    Err(Failure::Limited {
                        wait,
                        primary,
                        message,
                    }) => {
                        let until = done + Duration::from_std(wait).unwrap_or(shared.pacing.idle);
                        let what = if primary {
                            "rate limit exhausted"
                        } else {
                            "secondary rate limit"
                        };
                        let budget = backend
                            .budget()
                            .map(|b| format!(" ({b})"))
                            .unwrap_or_default();
                        let why = if message.is_empty() {
                            String::new()
                        } else {
                            format!(": {message}")
                        };
                        blocked = Some((until, format!("{what}{budget}{why}; last data kept")));
                        st.next_due = Some(until);
                    }
                    Err(f) => {
                        st.failures += 1;
                        st.error = Some(f.describe(&t.repo));
                        let wait = shared.pacing.backoff.delay(st.failures);
                        st.next_due =
                            Some(done + Duration::from_std(wait).unwrap_or(shared.pacing.idle));
                    }
                }
                states.insert(t.repo.clone(), st);
            }
            if let Some(j) = &mut jobs
                && j.next_due.is_none_or(|d| d <= now)
            {
                let running = states
                    .get(&j.run.repo)
                    .and_then(|s| s.runs.iter().find(|r| r.key == j.run))
                    .is_none_or(|r| !r.state.is_done());
                let done = shared.cx.clock.now();
                match backend.jobs(&j.run, j.etag.as_deref()).await {
                    Ok(Some((list, etag))) => {
                        let busy = running || list.iter().any(|job| !job.state.is_done());
                        j.etag = etag;
                        j.failures = 0;
                        j.next_due = Some(
                            done + if busy {
                                shared.pacing.running
                            } else {
                                shared.pacing.idle
                            },
                        );
                        send(
                            &shared,
                            Msg::Pipelines(PipelinesMsg::Jobs {
                                run: j.run.clone(),
                                jobs: list,
                            }),
                        )
                        .await;
                    }
                    Ok(None) => {
                        j.next_due = Some(
                            done + if running {
                                shared.pacing.running
                            } else {
                                shared.pacing.idle
                            },
                        );
                    }
                    Err(f) => {
                        j.failures += 1;
                        let wait = Duration::from_std(shared.pacing.backoff.delay(j.failures))
                            .unwrap_or(shared.pacing.idle);
                        j.next_due = Some(done + wait);
                        let error = f.describe("jobs");
                        send(
                            &shared,
                            Msg::Pipelines(PipelinesMsg::JobsFailed {
                                run: j.run.clone(),
                                error,
                            }),
                        )
                        .await;
                    }
                }
            }
        }

        // The status bar: what is wrong, else healthy with the budget; unchanged, nothing.
        let now = shared.cx.clock.now();
        let failing: Vec<(&String, Option<DateTime<Utc>>)> = targets
            .iter()
            .filter_map(|t| states.get(&t.repo))
            .filter_map(|s| s.error.as_ref().map(|e| (e, s.next_due)))
            .collect();
        let next = if let Some((until, why)) = &blocked {
            Some(Reported::Failed {
                error: why.clone(),
                retry_at: Some(*until),
            })
        } else if let Some((first, _)) = failing.first() {
            let more = if failing.len() > 1 {
                format!(" (+{} more failing)", failing.len() - 1)
            } else {
                String::new()
            };
            Some(Reported::Failed {
                error: format!("{first}{more}"),
                retry_at: failing.iter().filter_map(|(_, d)| *d).min(),
            })
        } else if last_ok.is_some() {
            Some(Reported::Ok {
                detail: backend.budget(),
                at: now,
            })
        } else {
            None
        };
        let send_it = match (&next, &reported) {
            (None, _) => false,
            (Some(Reported::Ok { detail, at }), Some(Reported::Ok { detail: d0, at: a0 })) => {
                changed || detail != d0 || *at - *a0 >= STATUS_EVERY
            }
            (Some(n), Some(r)) => n != r,
            (Some(_), None) => true,
        };
        if send_it && let Some(n) = next {
            let event = match &n {
                Reported::Ok { detail, at } => SourceEvent::Ok {
                    at: *at,
                    detail: detail.clone(),
                },
                Reported::Failed { error, retry_at } => SourceEvent::Failed {
                    error: error.clone(),
                    at: now,
                    retry_at: *retry_at,
                },
            };
            report(&shared, event).await;
            reported = Some(n);
        }

        // Sleep until the next poll is due (or a second, to notice a faster clock), or until
        // woken by a new watch, a refresh or an action.
        let mut wake_at: Option<DateTime<Utc>> = blocked.as_ref().map(|(u, _)| *u);
        if blocked.is_none() {
            for t in targets.iter().filter(|t| visible(t)) {
                let due = states.get(&t.repo).and_then(|s| s.next_due).unwrap_or(now);
                wake_at = Some(wake_at.map_or(due, |w| w.min(due)));
            }
            if let Some(d) = jobs.as_ref().map(|j| j.next_due.unwrap_or(now)) {
                wake_at = Some(wake_at.map_or(d, |w| w.min(d)));
            }
        }
        let wait = wake_at.map_or(Duration::seconds(60), |w| w - now);
        if wait > Duration::zero() {
            nap(&shared, pace.real_wait(now, wait)).await;
        } else {
            tokio::task::yield_now().await;
        }
    }
}

async fn fetch_log<B: Backend>(shared: Arc<Shared<B>>, job: JobRef, generation: u64) {
    let current = |s: &Shared<B>| s.log_generation.load(Ordering::SeqCst) == generation;
    let Some(backend) = shared.backend.get().cloned() else {
        send(
            &shared,
            Msg::Pipelines(PipelinesMsg::LogFailed {
                job,
                error: "not connected yet".into(),
            }),
        )
        .await;
        return;
    };
    let text = match backend.log(&job).await {
        Ok(t) => t,
        Err(f) => {
            if current(&shared) {
                send(
                    &shared,
                    Msg::Pipelines(PipelinesMsg::LogFailed {
                        error: f.describe("log"),
                        job,
                    }),
                )
                .await;
            }
            return;
        }
    };
    let mut lines = log_lines(&text, B::HOST);
    let mut first = true;
    loop {
        if !current(&shared) {
            return;
        }
        let take = if first { LOG_FIRST_CHUNK } else { LOG_CHUNK };
        first = false;
        let chunk = lines.split_off(lines.len().saturating_sub(take));
        let complete = lines.is_empty();
        send(
            &shared,
            Msg::Pipelines(PipelinesMsg::Log {
                job: job.clone(),
                lines: chunk,
                complete,
            }),
        )
        .await;
        if complete {
            return;
        }
        // Let the cockpit draw the newest lines before the rest arrives.
        tokio::task::yield_now().await;
    }
}

/// What the user sees an action called.
fn action_name(command: &Command) -> String {
    match command {
        Command::RerunFailed(r) => format!("re-run failed jobs of {} run {}", r.repo, r.id),
        Command::Rerun(r) => format!("re-run {} run {}", r.repo, r.id),
        Command::Cancel(r) => format!("cancel {} run {}", r.repo, r.id),
        Command::Dispatch(d) => format!("dispatch {} on {} ({})", d.workflow, d.repo, d.git_ref),
        Command::Watch(_) | Command::Log(_) => String::new(),
    }
}

async fn act<B: Backend>(shared: Arc<Shared<B>>, command: Command) {
    let what = action_name(&command);
    let repo = match &command {
        Command::RerunFailed(r) | Command::Rerun(r) | Command::Cancel(r) => r.repo.clone(),
        Command::Dispatch(d) => d.repo.clone(),
        Command::Watch(_) | Command::Log(_) => return,
    };
    // The provider refuses on its own too: the confirm gate is not the only line of defence.
    if shared.cx.read_only {
        send(
            &shared,
            Msg::Pipelines(PipelinesMsg::ActionFailed {
                what,
                error: "refused, flightdeck runs read-only".into(),
            }),
        )
        .await;
        return;
    }
    let Some(backend) = shared.backend.get().cloned() else {
        send(
            &shared,
            Msg::Pipelines(PipelinesMsg::ActionFailed {
                what,
                error: "not connected yet".into(),
            }),
        )
        .await;
        return;
    };
    {
        let mut last = shared.last_mutation.lock().await;
        if let Some(at) = *last
            && at.elapsed() < MUTATION_SPACING
        {
            tokio::time::sleep(MUTATION_SPACING - at.elapsed()).await;
        }
        *last = Some(Instant::now());
    }
    let service = {
        let c = lock(&shared.control);
        c.targets
            .iter()
            .find(|t| t.repo == repo)
            .map(|t| t.service.clone())
    }
    .or_else(|| match &command {
        Command::Dispatch(Dispatch { service, .. }) => Some(service.clone()),
        _ => None,
    })
    .unwrap_or_default();
    let msg = match backend.act(&command).await {
        Ok(run) => PipelinesMsg::ActionDone { what, service, run },
        Err(f) => PipelinesMsg::ActionFailed {
            what,
            error: f.describe(&repo),
        },
    };
    send(&shared, Msg::Pipelines(msg)).await;
    lock(&shared.control).urgent.insert(repo);
    shared.wake.notify_one();
}

// ---------------------------------------------------------------------------------------------
// GitHub as a backend.
// ---------------------------------------------------------------------------------------------

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
        for i in newest.into_values() {
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
        let unsettled = st
            .deployments
            .iter()
            .any(|(_, s)| !is_terminal_deploy(s.as_ref()));
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
        st.busy = st.runs.iter().any(|r| !r.state.is_done()) || unsettled;
        Ok(msgs)
    }
}

impl Backend for GithubApi {
    const HOST: Host = Host::Github;

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
}

/// The GitHub provider, when `[github]` is configured.
pub fn start(config: &Config, cx: &Context) -> Option<CiProvider<GithubApi>> {
    let source = config.github.clone()?;
    let pacing = Pacing::new(
        source.poll_idle_secs,
        source.poll_running_secs,
        source.max_in_flight,
    );
    Some(CiProvider::start(
        cx,
        pacing,
        |t| t.github.as_ref(),
        move || {
            let source = source.clone();
            async move {
                let token = resolve_token(&source).await?;
                GithubApi::new(
                    &source.api_url,
                    token,
                    source.max_in_flight,
                    http::REQUEST_TIMEOUT,
                )
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_come_from_the_environment_then_gh() {
        let source = GithubSource::default();
        let env = |k: &str| (k == "GITHUB_TOKEN").then(|| "from-env".to_string());
        assert_eq!(
            token_without_command(&source, &env, None).as_deref(),
            Some("from-env")
        );
        let none = |_: &str| None;
        let hosts = "github.com:\n  user: jdoe\n  oauth_token: from-gh\n  git_protocol: https\n";
        assert_eq!(
            token_without_command(&source, &none, Some(hosts)).as_deref(),
            Some("from-gh")
        );
        let ghes = GithubSource {
            api_url: "https://ghe.acme.example/api/v3".into(),
            ..GithubSource::default()
        };
        assert_eq!(
            token_without_command(&ghes, &none, Some(hosts)),
            None,
            "another host's token is not used"
        );
        let configured = GithubSource {
            token_env: Some("ACME_GH".into()),
            ..GithubSource::default()
        };
        let both = |k: &str| match k {
            "ACME_GH" => Some("configured".to_string()),
            "GH_TOKEN" => Some("generic".to_string()),
            _ => None,
        };
        assert_eq!(
            token_without_command(&configured, &both, None).as_deref(),
            Some("configured")
        );
        assert_eq!(
            token_without_command(&ghes, &both, None),
            None,
            "a github.com token is never sent to another host"
        );
    }

    #[test]
    fn gh_hosts_are_named_like_gh_names_them() {
        assert_eq!(gh_host("https://api.github.com"), "github.com");
        assert_eq!(
            gh_host("https://ghe.acme.example/api/v3"),
            "ghe.acme.example"
        );
        assert_eq!(gh_host("http://127.0.0.1:8080"), "127.0.0.1:8080");
    }

    #[test]
    fn log_lines_lose_timestamps_and_keep_colours() {
        let text = "2026-03-02T08:00:01.0000000Z ##[group]Run npm test\n2026-03-02T08:00:02.0000000Z \u{1b}[31mFAIL\u{1b}[0m src/a.test.ts\n2026-03-02T08:00:03.0000000Z ##[endgroup]\n2026-03-02T08:00:04.0000000Z ##[error]Process completed with exit code 1.\n";
        let lines = log_lines(text, Host::Github);
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
