//! The CI poller GitHub and GitLab share ([`CiProvider`]): one task per host that polls what
//! `update` says is on screen, quickly while something runs and slowly when nothing moves, and
//! fetches logs and carries out actions through the host's [`Backend`].

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use tokio::sync::{Notify, OnceCell};

use super::github::scheduler::{Priority, with_priority};
use super::github::wire;
use super::http::{Backoff, Failure};
use super::{Context, Provider};
use flightdeck_core::message::pipelines::{Command, Dispatch, Msg as PipelinesMsg};
use flightdeck_core::message::{Effect, Msg, SourceEvent};
use flightdeck_core::model::join::ServiceTarget;
use flightdeck_core::model::pipelines::pulls::PullKey;
use flightdeck_core::model::pipelines::{
    Deployment, Host, Job, JobRef, LOG_BUFFER_LINES, LogLine, Run, RunKey, Watch,
};
use flightdeck_core::sanitize;
use flightdeck_core::sync::lock;

/// Log lines sent first, so the end of a log shows at once; the rest follows in bigger chunks.
const LOG_FIRST_CHUNK: usize = 200;
const LOG_CHUNK: usize = 2000;
/// GitHub asks for at least a second between requests that change something.
const MUTATION_SPACING: StdDuration = StdDuration::from_secs(1);
/// An unchanged source still reports once in this long, so its age never looks stale.
const STATUS_EVERY: Duration = Duration::seconds(60);

/// Splits a log into lines, keeping at most the buffer's worth of the newest.
pub(crate) fn log_lines<B: Backend>(text: &str) -> Vec<LogLine> {
    let lines: Vec<&str> = text.lines().collect();
    let from = lines
        .len()
        .saturating_sub(LOG_BUFFER_LINES + LOG_BUFFER_LINES / 10);
    let mut out: Vec<LogLine> = lines[from..]
        .iter()
        .filter_map(|l| B::tidy_line(l))
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
    /// GitLab: commit titles by sha (pipelines carry only the sha; a commit never changes).
    pub commit_titles: HashMap<String, String>,
    /// GitLab: the deployments last sent.
    pub sent_deployments: Vec<Deployment>,
    /// GitHub: the PR view is up, so poll the open PRs too.
    pub want_pulls: bool,
    /// GitHub: the open PRs as last polled, and what was last sent of them.
    pub pulls: Vec<super::github::wire::PullCache>,
    pub sent_pulls: Option<Vec<flightdeck_core::model::pipelines::pulls::Pull>>,
    /// Something runs or deploys: poll quickly.
    pub busy: bool,
    /// The sweep's fingerprint as of the last REST poll: a sweep that shows another one sends
    /// the next REST poll at once.
    pub glance: Option<u64>,
    /// When REST last read this repository (a sweep only says whether to).
    pub rest_at: Option<DateTime<Utc>>,
    /// The fingerprint of the sweep that sent this REST poll, kept once it succeeds.
    pub pending_glance: Option<u64>,
    pub next_due: Option<DateTime<Utc>>,
    pub failures: u32,
    pub error: Option<String>,
}

/// What a sweep says of one repository: a fingerprint of its latest check suites and
/// deployments (a change means REST has news to read), and whether anything of it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Glance {
    pub print: u64,
    pub busy: bool,
    /// A commit REST saw running shows no suite running any more: that run ended, whatever
    /// the print says (the watched commits are not in the print, which would otherwise move
    /// each time the set REST saw running changed, and send a second REST read).
    pub ended: bool,
}

impl Glance {
    /// Whether this sweep shows nothing REST has not read: `mark` is the print of the sweep
    /// that sent the last REST read, `rest_busy` whether that read saw anything running.
    pub fn unchanged(&self, mark: Option<u64>, rest_busy: bool) -> bool {
        if self.ended {
            return false;
        }
        match mark {
            // Nor can a sweep that sees nothing running tell when what REST saw running ends:
            // the sweep reads the suites of the heads and of the commits REST saw running, and
            // a run with no suite there (its commit unresolved, more of them than are watched)
            // ends moving nothing the sweep reads (up to REST_EVERY). REST reads it until it
            // ends.
            Some(p) => p == self.print && (self.busy || !rest_busy),
            // The first sweep after a REST read no sweep sent has no mark to compare with: it
            // sets one, unless the two looks disagree on whether anything runs. A run that
            // ended (or started) between them would otherwise be the mark, and show only when
            // something else moved.
            None => rest_busy == self.busy,
        }
    }
}

/// A run's jobs and the ETag to ask with next time; `None` when nothing changed.
pub type JobsAnswer = Option<(Vec<Job>, Option<String>)>;
/// Runs and the ETag to ask with next time; `None` when nothing changed.
pub type RunsAnswer = Option<(Vec<Run>, Option<String>)>;

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
    /// The runs of a pull request's head branch; hosts without pull requests have none.
    fn pull_runs(
        &self,
        _t: &Target,
        _branch: &str,
        _etag: Option<&str>,
    ) -> impl Future<Output = Result<RunsAnswer, Failure>> + Send {
        async { Ok(None) }
    }
    /// Carries out an action; the run it created, when the host says.
    fn act(
        &self,
        command: &Command,
    ) -> impl Future<Output = Result<Option<RunKey>, Failure>> + Send;
    fn login(&self) -> impl Future<Output = Result<String, Failure>> + Send;
    /// A raw log line as the log view shows it; `None` drops it.
    fn tidy_line(raw: &str) -> Option<&str> {
        Some(raw)
    }
    /// What the status bar says about the budget (`4870/5000`).
    fn budget(&self) -> Option<String>;
    /// Many repositories' latest activity in one request (GitHub's GraphQL); `None` when the
    /// host has no such read, and every repository is polled through REST.
    /// Each repository comes with the commits of the runs REST last saw running, whose ends
    /// the sweep watches too.
    fn sweep(
        &self,
        _repos: &[(String, Vec<String>)],
    ) -> impl Future<Output = Option<Result<HashMap<String, Glance>, Failure>>> + Send {
        async { None }
    }
    /// What sweeping `repos` repositories costs of the host's points budget, when it sweeps.
    fn sweep_points(&self, _repos: usize) -> Option<f64> {
        None
    }
}

/// How a poller paces itself.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    pub idle: Duration,
    pub running: Duration,
    pub max_in_flight: usize,
    pub backoff: Backoff,
    /// The host's request budget a minute (GitHub's scheduler); repository polls stretch
    /// their intervals to stay within their share of it. `None`: no budget (GitLab).
    pub budget_per_min: Option<f64>,
}

/// Of the host's budget, what repository polls of running work may spend, and what the idle
/// sweep may: the rest is for what the user asks (jobs, logs, actions) and the other feeds.
const BUSY_SHARE: f64 = 0.5;
const IDLE_SHARE: f64 = 1.0 / 12.0;
/// Requests one repository poll costs, about: its runs and its deployments (a deployment
/// not yet settled adds its statuses).
const POLL_COST: f64 = 2.0;

/// A repository the sweep keeps seeing unchanged is still read through REST this often, in
/// case a change passed the sweep by (a run on a branch it does not look at).
const REST_EVERY: Duration = Duration::minutes(10);
/// GraphQL points a minute the sweep of running work may spend: GitHub gives 5,000 an hour;
/// this is three fifths of it.
const SWEEP_POINTS_PER_MIN: f64 = 50.0;

/// The wait a limit answer asks for, and what the status bar says of it.
fn limit_block<B: Backend>(
    backend: &B,
    f: &Failure,
    at: DateTime<Utc>,
    pacing: &Pacing,
) -> (DateTime<Utc>, String) {
    let Failure::Limited {
        wait,
        primary,
        message,
    } = f
    else {
        return (at + pacing.idle, f.describe("GitHub"));
    };
    let until = at + Duration::from_std(*wait).unwrap_or(pacing.idle);
    let what = if *primary {
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
    (until, format!("{what}{budget}{why}; last data kept"))
}

/// The intervals of busy and idle repositories not pinned by the user, stretched so that
/// `busy` and `idle` repositories polled at them stay within their shares of the budget;
/// pinned ones keep the configured intervals (and are counted against the busy share first).
pub fn intervals(pacing: &Pacing, pinned: usize, busy: usize, idle: usize) -> (Duration, Duration) {
    let Some(per_min) = pacing.budget_per_min else {
        return (pacing.running, pacing.idle);
    };
    let stretch = |n: usize, share: f64, floor: Duration| {
        if n == 0 || share <= 0.0 {
            return floor;
        }
        let secs = n as f64 * POLL_COST * 60.0 / share;
        floor.max(Duration::milliseconds((secs * 1000.0) as i64))
    };
    let pinned_cost = pinned as f64 * POLL_COST * 60.0 / pacing.running.num_seconds().max(1) as f64;
    let busy_share = (per_min * BUSY_SHARE - pinned_cost).max(per_min * BUSY_SHARE / 4.0);
    (
        stretch(busy, busy_share, pacing.running),
        stretch(idle, per_min * IDLE_SHARE, pacing.idle),
    )
}

impl Pacing {
    pub fn new(idle_secs: u64, running_secs: u64, max_in_flight: usize) -> Self {
        let idle = Duration::seconds(idle_secs.max(1) as i64);
        Self {
            idle,
            running: Duration::seconds(running_secs.max(1) as i64),
            max_in_flight: max_in_flight.max(1),
            budget_per_min: None,
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
    /// The catalog has said which repositories to read (perhaps none of this host's).
    told: bool,
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
        {
            let mut c = lock(&self.shared.control);
            c.targets = mine;
            c.told = true;
        }
        self.shared.wake.notify_one();
    }

    fn kinds(&self) -> &'static [flightdeck_core::model::SourceKind] {
        B::HOST.kinds()
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

/// The PR whose runs are shown: its runs are polled like an open run's jobs.
struct PullRunsWatch {
    pull: PullKey,
    branch: String,
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
            if let Ok(login) = with_priority(Priority::Now, b.login()).await {
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
    let mut pull_runs: Option<PullRunsWatch> = None;
    let mut wanted_pulls = false;
    let mut blocked: Option<(DateTime<Utc>, String)> = None;
    let mut reported: Option<Reported> = None;
    let mut last_ok: Option<DateTime<Utc>> = None;
    loop {
        let now = shared.cx.clock.now();
        let (targets, watch, refresh, urgent, told) = {
            let mut c = lock(&shared.control);
            let urgent = std::mem::take(&mut c.urgent);
            (
                c.targets.clone(),
                c.watch.clone(),
                std::mem::take(&mut c.refresh),
                urgent,
                c.told,
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
        // What the user started or opened: polled first and at the configured pace.
        let is_pinned = |t: &Target| {
            watch
                .as_ref()
                .is_some_and(|w| w.pinned.contains(&t.service))
        };
        let (busy_every, idle_every) = {
            let (mut pinned, mut busy, mut idle) = (0, 0, 0);
            for t in targets.iter().filter(|t| visible(t)) {
                match states.get(&t.repo) {
                    _ if is_pinned(t) => pinned += 1,
                    Some(s) if s.busy => busy += 1,
                    _ => idle += 1,
                }
            }
            match backend.sweep_points(busy) {
                // A check costs a share of one request: the sweep's pace is the points budget's.
                Some(points) => {
                    let secs = points * 60.0 / SWEEP_POINTS_PER_MIN;
                    (
                        shared
                            .pacing
                            .running
                            .max(Duration::milliseconds((secs * 1000.0) as i64)),
                        shared.pacing.idle,
                    )
                }
                None => intervals(&shared.pacing, pinned, busy, idle),
            }
        };
        let sweeps = backend.sweep_points(0).is_some();
        let open_run = watch
            .as_ref()
            .and_then(|w| w.run.clone())
            .filter(|r| r.host == B::HOST);
        // The PR view just came up: its PRs are polled now, not at each repository's next turn.
        let want_pulls = watch.as_ref().is_some_and(|w| w.pulls);
        if want_pulls && !wanted_pulls {
            states.values_mut().for_each(|s| s.next_due = None);
        }
        wanted_pulls = want_pulls;
        let open_pull = watch
            .as_ref()
            .and_then(|w| w.pull.clone())
            .filter(|(p, _)| p.host == B::HOST);
        if pull_runs.as_ref().map(|p| (&p.pull, &p.branch))
            != open_pull.as_ref().map(|(p, b)| (p, b))
        {
            pull_runs = open_pull.map(|(pull, branch)| PullRunsWatch {
                pull,
                branch,
                etag: None,
                next_due: None,
                failures: 0,
            });
        }
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
            let mut due: Vec<Target> = targets
                .iter()
                .filter(|t| visible(t))
                .filter(|t| {
                    states
                        .get(&t.repo)
                        .is_none_or(|s| s.next_due.is_none_or(|d| d <= now))
                })
                .cloned()
                .collect();
            // On a host that sweeps, repositories REST has read lately are asked in one sweep
            // whether anything moved; only those where it did are read through REST. What the
            // user pinned or acted on, a refresh, a failing or new repository, and every one
            // once in REST_EVERY go straight to REST.
            // The PR view reads each repository's open PRs in its REST poll (conditionally).
            if sweeps && !refresh && !want_pulls {
                let (rest, glance): (Vec<Target>, Vec<Target>) = due.into_iter().partition(|t| {
                    is_pinned(t)
                        || urgent.contains(&t.repo)
                        || states.get(&t.repo).is_none_or(|s| {
                            s.failures > 0 || s.rest_at.is_none_or(|at| now - at >= REST_EVERY)
                        })
                });
                due = rest;
                let mut glance = glance;
                if !glance.is_empty() {
                    // Those due soon join this sweep, so repositories whose turns fell apart
                    // share one request instead of each costing its own.
                    for t in targets.iter().filter(|t| visible(t) && !is_pinned(t)) {
                        let Some(st) = states.get(&t.repo) else {
                            continue;
                        };
                        let half = if st.busy { busy_every } else { idle_every } / 2;
                        let soon = st.next_due.is_some_and(|d| d > now && d <= now + half);
                        let fresh =
                            st.failures == 0 && st.rest_at.is_some_and(|at| now - at < REST_EVERY);
                        if soon && fresh && !urgent.contains(&t.repo) {
                            glance.push(t.clone());
                        }
                    }
                }
                if !glance.is_empty() {
                    let busy = glance
                        .iter()
                        .any(|t| states.get(&t.repo).is_some_and(|s| s.busy));
                    let repos: Vec<(String, Vec<String>)> = glance
                        .iter()
                        .map(|t| {
                            let mut running: Vec<String> = Vec::new();
                            for r in states.get(&t.repo).map_or(&[][..], |s| &s.runs[..]) {
                                if !r.state.is_done() && !running.contains(&r.sha) {
                                    running.push(r.sha.clone());
                                }
                            }
                            (t.repo.clone(), running)
                        })
                        .collect();
                    let priority = if busy {
                        Priority::Running
                    } else {
                        Priority::Idle
                    };
                    match with_priority(priority, backend.sweep(&repos)).await {
                        None => due.extend(glance),
                        Some(Ok(seen)) => {
                            tracing::debug!(
                                repos = repos.len(),
                                busy_every = busy_every.num_seconds(),
                                "sweep"
                            );
                            for t in glance {
                                let Some(st) = states.get_mut(&t.repo) else {
                                    continue;
                                };
                                let unchanged = |g: &Glance| g.unchanged(st.glance, st.busy);
                                match seen.get(&t.repo) {
                                    // Unchanged since REST read it. Busy as either says:
                                    // REST sees older runs, the sweep newer branches.
                                    Some(g) if unchanged(g) => {
                                        st.glance = Some(g.print);
                                        st.next_due = Some(
                                            now + if g.busy || st.busy {
                                                busy_every
                                            } else {
                                                idle_every
                                            },
                                        );
                                    }
                                    Some(g) => {
                                        st.pending_glance = Some(g.print);
                                        due.push(t);
                                    }
                                    None => due.push(t),
                                }
                            }
                            last_ok.get_or_insert(now);
                        }
                        Some(Err(f @ Failure::Limited { .. })) => {
                            let (until, why) =
                                limit_block(&*backend, &f, shared.cx.clock.now(), &shared.pacing);
                            for t in &glance {
                                if let Some(st) = states.get_mut(&t.repo) {
                                    st.next_due = Some(until);
                                }
                            }
                            blocked = Some((until, why));
                            due.clear();
                        }
                        // A sweep that fails costs nothing but falls back to REST this round.
                        Some(Err(_)) => due.extend(glance),
                    }
                }
            }
            // Set at a rate limit: the polls of this round not yet sent are not sent (the host
            // asked to wait; 9 more requests went out after a secondary limit). They keep their
            // state and stay due, for the first round after the wait.
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let polls: Vec<_> = due
                .into_iter()
                .map(|t| {
                    let mut st = states.remove(&t.repo).unwrap_or_default();
                    st.want_pulls = want_pulls;
                    let b = backend.clone();
                    let stop = stop.clone();
                    let priority = if is_pinned(&t) || urgent.contains(&t.repo) {
                        Priority::Now
                    } else if st.busy {
                        Priority::Running
                    } else {
                        Priority::Idle
                    };
                    with_priority(priority, async move {
                        if stop.load(std::sync::atomic::Ordering::Relaxed) {
                            return (t, st, None);
                        }
                        let r = b.poll(&t, &mut st, now).await;
                        (t, st, Some(r))
                    })
                })
                .collect();
            // Each repository's news goes out as soon as its poll ends, not after the slowest.
            let mut results =
                futures::stream::iter(polls).buffer_unordered(shared.pacing.max_in_flight);
            while let Some((t, mut st, r)) = results.next().await {
                let done = shared.cx.clock.now();
                let Some(r) = r else {
                    states.insert(t.repo.clone(), st);
                    continue;
                };
                match r {
                    Ok(msgs) => {
                        changed |= !msgs.is_empty();
                        for m in msgs {
                            send(&shared, Msg::Pipelines(m)).await;
                        }
                        st.failures = 0;
                        st.error = None;
                        st.rest_at = Some(now);
                        // Compared with the next sweep's; none: the next sweep sets it.
                        st.glance = st.pending_glance.take();
                        let every = match (is_pinned(&t), st.busy) {
                            (true, true) => shared.pacing.running,
                            (true, false) => shared.pacing.idle,
                            (false, true) => busy_every,
                            (false, false) => idle_every,
                        };
                        // Paced from when the poll started, so the interval is what the
                        // user configured however long the answers took.
                        st.next_due = Some(now + every);
                        last_ok.get_or_insert(done);
                    }
                    Err(f @ Failure::Limited { .. }) => {
                        stop.store(true, std::sync::atomic::Ordering::Relaxed);
                        let (until, why) = limit_block(&*backend, &f, done, &shared.pacing);
                        blocked = Some((until, why));
                        st.next_due = Some(until);
                        st.pending_glance = None;
                        // Not read: REST reads it after the wait, not a sweep.
                        st.rest_at = None;
                    }
                    Err(f) => {
                        st.failures += 1;
                        st.pending_glance = None;
                        st.error = Some(f.describe(&t.repo));
                        let wait = shared.pacing.backoff.delay(st.failures);
                        st.next_due =
                            Some(done + Duration::from_std(wait).unwrap_or(shared.pacing.idle));
                    }
                }
                states.insert(t.repo.clone(), st);
            }
            if let Some(j) = &mut jobs
                && blocked.is_none()
                && j.next_due.is_none_or(|d| d <= now)
            {
                let running = states
                    .get(&j.run.repo)
                    .and_then(|s| s.runs.iter().find(|r| r.key == j.run))
                    .is_none_or(|r| !r.state.is_done());
                let done = shared.cx.clock.now();
                match with_priority(Priority::Now, backend.jobs(&j.run, j.etag.as_deref())).await {
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

        if blocked.is_none()
            && let Some(w) = &mut pull_runs
            && w.next_due.is_none_or(|d| d <= now)
            && let Some(t) = targets.iter().find(|t| t.repo == w.pull.repo)
        {
            let done = shared.cx.clock.now();
            match with_priority(
                Priority::Now,
                backend.pull_runs(t, &w.branch, w.etag.as_deref()),
            )
            .await
            {
                Ok(answer) => {
                    w.failures = 0;
                    let mut busy = false;
                    if let Some((runs, etag)) = answer {
                        busy = runs.iter().any(|r| !r.state.is_done());
                        w.etag = etag;
                        send(
                            &shared,
                            Msg::Pipelines(PipelinesMsg::PullRuns {
                                pull: w.pull.clone(),
                                runs,
                            }),
                        )
                        .await;
                    }
                    w.next_due = Some(
                        done + if busy {
                            shared.pacing.running
                        } else {
                            shared.pacing.idle
                        },
                    );
                }
                Err(f) => {
                    w.failures += 1;
                    let wait = Duration::from_std(shared.pacing.backoff.delay(w.failures))
                        .unwrap_or(shared.pacing.idle);
                    w.next_due = Some(done + wait);
                    let error = f.describe("pull request runs");
                    send(
                        &shared,
                        Msg::Pipelines(PipelinesMsg::ActionFailed {
                            what: format!("runs of #{}", w.pull.number),
                            error,
                        }),
                    )
                    .await;
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
        } else if told && targets.is_empty() {
            // No service of the catalog lives on this host: nothing can fail, and "connecting"
            // forever would read as a host that never answers.
            Some(Reported::Ok {
                detail: Some("no repositories in the catalog".into()),
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
            if let Some(d) = pull_runs.as_ref().map(|p| p.next_due.unwrap_or(now)) {
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
    let text = match with_priority(Priority::Now, backend.log(&job)).await {
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
    let mut lines = log_lines::<B>(&text);
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
    let msg = match with_priority(Priority::Now, backend.act(&command)).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_that_sees_nothing_run_leaves_to_rest_what_rest_saw_running() {
        let quiet = Glance {
            print: 7,
            busy: false,
            ended: false,
        };
        let busy = Glance {
            print: 7,
            busy: true,
            ended: false,
        };
        assert!(
            quiet.unchanged(Some(7), false),
            "nothing runs, nothing moved"
        );
        assert!(
            busy.unchanged(Some(7), true),
            "its suites will say when it ends"
        );
        assert!(
            busy.unchanged(Some(7), false),
            "busy as the sweep says: paced so"
        );
        assert!(
            !quiet.unchanged(Some(7), true),
            "what REST saw running has no suite the sweep reads: REST reads it"
        );
        assert!(!quiet.unchanged(Some(8), false), "the print moved");
        assert!(quiet.unchanged(None, false) && !quiet.unchanged(None, true));
        let ended = Glance {
            ended: true,
            ..busy
        };
        assert!(
            !ended.unchanged(Some(7), true),
            "a watched run ended: REST reads it though the print stood still"
        );
    }

    #[test]
    fn intervals_stretch_to_stay_within_the_budget() {
        let mut pacing = Pacing::new(60, 5, 4);
        assert_eq!(
            intervals(&pacing, 0, 50, 50),
            (pacing.running, pacing.idle),
            "no budget, no stretching"
        );
        pacing.budget_per_min = Some(300.0);
        // A few repositories fit at the configured pace.
        assert_eq!(intervals(&pacing, 0, 3, 5), (pacing.running, pacing.idle));
        // 50 busy ones share 150 requests a minute: each every 40 s; 50 idle ones share 25.
        let (busy, idle) = intervals(&pacing, 0, 50, 50);
        assert_eq!(busy, Duration::seconds(40));
        assert_eq!(idle, Duration::seconds(240));
        // Pinned repositories are polled at the configured pace, out of the busy share.
        // (2 at 5 s take 48 a minute of the 150: the other 50 share 102, each every ~59 s).
        let (busy, _) = intervals(&pacing, 2, 50, 0);
        assert_eq!(busy.num_seconds(), 58);
    }
}
