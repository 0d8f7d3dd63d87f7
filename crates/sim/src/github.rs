//! The sim's GitHub REST API: workflow runs, jobs, logs, deployments and commits of the world's
//! GitHub-hosted services, in api.github.com's shapes, with its ETags, rate-limit headers and
//! pagination, so the cockpit's octocrab client cannot tell it from the real service.
//!
//! Runs follow the world's schedule; what users do to them (re-runs, cancels, dispatches) lives
//! in an overlay here. The run/attempt/job model is shared with the GitLab server, which tells the
//! same story as pipelines.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{Body, to_bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::Shared;
use super::world::{
    CiHost, Commit, RunKind, RunOutcome, ScheduledRun, Service, World, epoch, hash, hash_str,
};

/// Primary rate limit per token, and for callers without one (GitHub counts those per IP).
const LIMIT_AUTHENTICATED: u64 = 5000;
const LIMIT_ANONYMOUS: u64 = 60;
/// The user every token authenticates as.
pub const DEMO_USER: &str = "jdoe";
/// Dispatched runs get ids from here on, far from the world's scheduled ids.
pub const DISPATCHED_IDS: u64 = 90_000_000_000;

// ---------------------------------------------------------------------------------------------
// The CI model shared with GitLab: attempts of a run and the jobs of an attempt.
// ---------------------------------------------------------------------------------------------

/// How a job ended, or will end, in its plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobEnd {
    Success,
    Failure,
    Cancelled,
    Skipped,
}

impl JobEnd {
    pub fn github(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Cancelled => "cancelled",
            Self::Skipped => "skipped",
        }
    }
}

/// One step of a job with its planned times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepPlan {
    pub name: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub end_as: JobEnd,
}

/// One job of one attempt, as planned: whether it is queued, running or done at an instant
/// follows from its times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobPlan {
    pub id: u64,
    pub index: usize,
    pub name: String,
    /// The stage (GitLab) or environment (deploy jobs) it belongs to.
    pub stage: String,
    pub environment: Option<&'static str>,
    /// The attempt it ran in; jobs kept by "re-run failed jobs" keep their older attempt.
    pub attempt: u32,
    pub created: DateTime<Utc>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub end_as: JobEnd,
    pub steps: Vec<StepPlan>,
}

/// One attempt of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub number: u32,
    pub created: DateTime<Utc>,
    pub started: DateTime<Utc>,
    pub jobs: Vec<JobPlan>,
}

impl Attempt {
    /// When the last job ends.
    pub fn finished(&self) -> DateTime<Utc> {
        self.jobs
            .iter()
            .map(|j| j.end)
            .max()
            .unwrap_or(self.started)
    }

    /// `None` while running at `now`.
    pub fn conclusion(&self, now: DateTime<Utc>) -> Option<JobEnd> {
        if now < self.finished() {
            return None;
        }
        let any = |e| self.jobs.iter().any(|j| j.end_as == e);
        Some(if any(JobEnd::Failure) {
            JobEnd::Failure
        } else if any(JobEnd::Cancelled) {
            JobEnd::Cancelled
        } else {
            JobEnd::Success
        })
    }

    /// GitHub's run status at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> &'static str {
        if now < self.started {
            "queued"
        } else if now < self.finished() {
            "in_progress"
        } else {
            "completed"
        }
    }

    /// The latest instant at or before `now` at which something about the attempt changed.
    pub fn updated(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let mut t = self.created;
        for j in &self.jobs {
            for at in [j.start, j.end] {
                if at <= now && at > t {
                    t = at;
                }
            }
        }
        t
    }
}

/// A re-run requested through the API.
#[derive(Debug, Clone)]
pub struct Retry {
    pub at: DateTime<Utc>,
    pub failed_only: bool,
}

/// What users changed: re-runs, cancels and dispatched runs, keyed by run id.
#[derive(Debug, Default)]
pub struct Overlay {
    pub retries: HashMap<u64, Vec<Retry>>,
    /// `(run id, attempt)` → when it was cancelled.
    pub cancels: HashMap<(u64, u32), DateTime<Utc>>,
    pub dispatched: Vec<ScheduledRun>,
}

impl Overlay {
    /// Every attempt of `run`, oldest first.
    pub fn attempts(&self, world: &World, run: &ScheduledRun) -> Vec<Attempt> {
        let language = world
            .service(&run.service)
            .map_or("typescript", |s| s.language.as_str());
        let natural = run.finished - run.started;
        let mut out: Vec<Attempt> = Vec::new();
        let first_cancel = self.cancels.get(&(run.id, 1)).copied();
        let first = if run.outcome == RunOutcome::Cancelled {
            // The world cancelled it: someone pressed cancel at `finished`, part-way through a
            // run that would have gone on longer.
            let stretched = natural + natural * 3 / 5;
            plan_attempt(
                run,
                language,
                1,
                run.created,
                run.started,
                stretched,
                None,
                Some(run.finished),
                &[],
            )
        } else {
            let failing = (run.outcome == RunOutcome::Failure)
                .then_some(run.failing_job)
                .flatten();
            plan_attempt(
                run,
                language,
                1,
                run.created,
                run.started,
                natural,
                failing,
                first_cancel,
                &[],
            )
        };
        out.push(first);
        for (i, retry) in self.retries.get(&run.id).into_iter().flatten().enumerate() {
            let number = i as u32 + 2;
            let queued = Duration::seconds(3 + (hash_str(&run.service) % 9) as i64);
            let keep: Vec<JobPlan> = match (retry.failed_only, out.last()) {
                (true, Some(prev)) => prev
                    .jobs
                    .iter()
                    .filter(|j| j.end_as == JobEnd::Success)
                    .cloned()
                    .collect(),
                _ => vec![],
            };
            let cancel = self.cancels.get(&(run.id, number)).copied();
            out.push(plan_attempt(
                run,
                language,
                number,
                retry.at,
                retry.at + queued,
                natural,
                None,
                cancel,
                &keep,
            ));
        }
        out
    }

    /// The latest attempt of `run`.
    pub fn latest(&self, world: &World, run: &ScheduledRun) -> Attempt {
        let mut all = self.attempts(world, run);
        let fallback = Attempt {
            number: 1,
            created: run.created,
            started: run.started,
            jobs: vec![],
        };
        all.pop().unwrap_or(fallback)
    }
}

struct JobDef {
    name: String,
    stage: &'static str,
    environment: Option<&'static str>,
    /// Share of the run's duration this job takes.
    share: f64,
    needs: Option<usize>,
    steps: Vec<(String, u32)>,
}

/// The toolchain set-up step and the build, test and lint commands for a language.
fn toolchain(language: &str) -> (&'static str, &'static str, &'static str, &'static str) {
    match language {
        "rust" => (
            "Set up Rust",
            "cargo build --release --locked",
            "cargo test --locked",
            "cargo clippy -- -D warnings",
        ),
        "go" => (
            "Set up Go",
            "go build ./...",
            "go test -race ./...",
            "golangci-lint run",
        ),
        "java" => (
            "Set up JDK 21",
            "./mvnw -B package -DskipTests",
            "./mvnw -B verify",
            "./mvnw -B spotless:check",
        ),
        "kotlin" => (
            "Set up JDK 21",
            "./gradlew assemble",
            "./gradlew test",
            "./gradlew ktlintCheck",
        ),
        "python" => (
            "Set up Python 3.12",
            "pip install -r requirements.txt",
            "pytest -q",
            "ruff check .",
        ),
        _ => (
            "Set up Node.js 22",
            "npm ci && npm run build",
            "npm test",
            "npm run lint",
        ),
    }
}

fn job_defs(run: &ScheduledRun, language: &str) -> Vec<JobDef> {
    let (setup, build, test, lint) = toolchain(language);
    let steps = |main: &str| {
        vec![
            ("Set up job".to_string(), 2),
            ("Run actions/checkout@v4".to_string(), 3),
            (setup.to_string(), 8),
            (format!("Run {main}"), 80),
            ("Post Run actions/checkout@v4".to_string(), 1),
            ("Complete job".to_string(), 1),
        ]
    };
    match run.kind {
        RunKind::Ci => vec![
            JobDef {
                name: "build".into(),
                stage: "build",
                environment: None,
                share: 0.35,
                needs: None,
                steps: steps(build),
            },
            JobDef {
                name: "test".into(),
                stage: "test",
                environment: None,
                share: 0.65,
                needs: Some(0),
                steps: steps(test),
            },
            JobDef {
                name: "lint".into(),
                stage: "test",
                environment: None,
                share: 0.25,
                needs: Some(0),
                steps: steps(lint),
            },
        ],
        RunKind::Deploy => {
            let n = run.environments.len().max(1) as f64;
            run.environments
                .iter()
                .enumerate()
                .map(|(i, env)| JobDef {
                    name: format!("deploy ({env})"),
                    stage: "deploy",
                    environment: Some(env),
                    share: 1.0 / n,
                    needs: i.checked_sub(1),
                    steps: vec![
                        ("Set up job".into(), 2),
                        ("Run actions/checkout@v4".into(), 3),
                        ("Log in to the registry".into(), 5),
                        (format!("Deploy to {env}"), 30),
                        ("Wait for the rollout".into(), 55),
                        ("Complete job".into(), 1),
                    ],
                })
                .collect()
        }
    }
}

/// Job ids carry their run, attempt and index, so a job can be found from its id alone.
pub fn job_id(run_id: u64, attempt: u32, index: usize) -> u64 {
    run_id * 1000 + u64::from(attempt.min(99)) * 10 + index as u64
}

/// The run id inside a job id.
pub fn run_of_job(job_id: u64) -> u64 {
    job_id / 1000
}

#[allow(clippy::too_many_arguments)]
fn plan_attempt(
    run: &ScheduledRun,
    language: &str,
    number: u32,
    created: DateTime<Utc>,
    started: DateTime<Utc>,
    duration: Duration,
    failing: Option<usize>,
    cancel_at: Option<DateTime<Utc>>,
    keep: &[JobPlan],
) -> Attempt {
    let defs = job_defs(run, language);
    let mut jobs: Vec<JobPlan> = Vec::with_capacity(defs.len());
    for (i, def) in defs.iter().enumerate() {
        if let Some(kept) = keep.iter().find(|j| j.index == i) {
            jobs.push(kept.clone());
            continue;
        }
        let needed = def.needs.and_then(|n| jobs.get(n));
        let (start, blocked) = match needed {
            Some(n) if n.attempt == number => (n.end.max(started), n.end_as != JobEnd::Success),
            _ => (started, false),
        };
        let natural_end =
            start + Duration::milliseconds((duration.num_milliseconds() as f64 * def.share) as i64);
        let (end, end_as) = if blocked {
            (start, JobEnd::Skipped)
        } else if failing == Some(i) {
            (natural_end, JobEnd::Failure)
        } else {
            (natural_end, JobEnd::Success)
        };
        let (start, end, end_as) = match cancel_at {
            Some(c) if c < end && end_as != JobEnd::Skipped => (start.min(c), c, JobEnd::Cancelled),
            _ => (start, end, end_as),
        };
        let steps = plan_steps(&def.steps, start, natural_end, end, end_as);
        jobs.push(JobPlan {
            id: job_id(run.id, number, i),
            index: i,
            name: def.name.clone(),
            stage: def.stage.to_string(),
            environment: def.environment,
            attempt: number,
            created,
            start,
            end,
            end_as,
            steps,
        });
    }
    Attempt {
        number,
        created,
        started,
        jobs,
    }
}

/// Splits a job's time over its steps by weight. The main step (the heaviest) carries a
/// failure; a cancel cuts whichever step is running; steps after either are skipped, except
/// the job's own tear-down.
fn plan_steps(
    steps: &[(String, u32)],
    start: DateTime<Utc>,
    natural_end: DateTime<Utc>,
    end: DateTime<Utc>,
    end_as: JobEnd,
) -> Vec<StepPlan> {
    let total: u32 = steps.iter().map(|(_, w)| w).sum::<u32>().max(1);
    let span = (natural_end - start).num_milliseconds().max(0);
    let main = steps
        .iter()
        .enumerate()
        .max_by_key(|(_, (_, w))| *w)
        .map(|(i, _)| i)
        .unwrap_or(0);
    let mut out = Vec::with_capacity(steps.len());
    let mut acc = 0u32;
    for (i, (name, w)) in steps.iter().enumerate() {
        let s = start + Duration::milliseconds(span * i64::from(acc) / i64::from(total));
        acc += w;
        let e = start + Duration::milliseconds(span * i64::from(acc) / i64::from(total));
        let last = i + 1 == steps.len();
        let plan = match end_as {
            JobEnd::Skipped => StepPlan {
                name: name.clone(),
                start,
                end: start,
                end_as: JobEnd::Skipped,
            },
            JobEnd::Failure if i == main => StepPlan {
                name: name.clone(),
                start: s,
                end: e,
                end_as: JobEnd::Failure,
            },
            JobEnd::Failure if i > main && !last => StepPlan {
                name: name.clone(),
                start: e,
                end: e,
                end_as: JobEnd::Skipped,
            },
            JobEnd::Cancelled if s >= end => StepPlan {
                name: name.clone(),
                start: end,
                end,
                end_as: JobEnd::Skipped,
            },
            JobEnd::Cancelled if e > end => StepPlan {
                name: name.clone(),
                start: s,
                end,
                end_as: JobEnd::Cancelled,
            },
            _ => StepPlan {
                name: name.clone(),
                start: s,
                end: e,
                end_as: JobEnd::Success,
            },
        };
        out.push(plan);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Job logs: plausible runner output, shared with GitLab's traces.
// ---------------------------------------------------------------------------------------------

/// What a step prints, without timestamps. The main step of a failing job shows the failure.
fn step_output(run: &ScheduledRun, svc: &Service, job: &JobPlan, step: &StepPlan) -> Vec<String> {
    let (setup, build, test, lint) = toolchain(&svc.language);
    let failed = step.end_as == JobEnd::Failure;
    let name = step.name.as_str();
    let mut out = Vec::new();
    if name == "Set up job" {
        out.push("Current runner version: '2.321.0'".into());
        out.push("##[group]Runner Image".into());
        out.push("Image: ubuntu-24.04".into());
        out.push("Version: 20260223.1.0".into());
        out.push("##[endgroup]".into());
        out.push("##[group]GITHUB_TOKEN Permissions".into());
        out.push("Contents: read".into());
        out.push("Deployments: write".into());
        out.push("##[endgroup]".into());
        out.push("Prepare workflow directory".into());
        out.push("Prepare all required actions".into());
        out.push("Getting action download info".into());
        out.push(format!("Complete job name: {}", job.name));
    } else if name == "Run actions/checkout@v4" {
        out.push("##[group]Run actions/checkout@v4".into());
        out.push("with:".into());
        out.push(format!("  repository: {}", svc.repo));
        out.push("##[endgroup]".into());
        out.push(format!("Syncing repository: {}", svc.repo));
        out.push("\u{1b}[36;1m[command]/usr/bin/git\u{1b}[0m -c protocol.version=2 fetch --no-tags --prune --no-recurse-submodules --depth=1 origin".into());
        out.push(format!(
            "HEAD is now at {} {}",
            &run.commit.sha[..7],
            run.commit.message
        ));
    } else if name == setup {
        out.push(format!(
            "##[group]Run {}",
            setup.to_lowercase().replace(' ', "-")
        ));
        out.push("##[endgroup]".into());
        out.push(format!("{setup}: found in the tool cache"));
    } else if name == "Log in to the registry" {
        out.push("Logging into ghcr.io...".into());
        out.push("Login Succeeded!".into());
    } else if let Some(env) = name.strip_prefix("Deploy to ") {
        let tag = &run.commit.sha[..7];
        out.push(format!(
            "##[group]Run kubectl -n {} set image deployment/{} app=ghcr.io/{}:{tag}",
            svc.namespace, svc.name, svc.repo
        ));
        out.push(format!("\u{1b}[36;1mkubectl --context {env} -n {} set image deployment/{} app=ghcr.io/{}:{tag}\u{1b}[0m", svc.namespace, svc.name, svc.repo));
        out.push("##[endgroup]".into());
        out.push(format!("deployment.apps/{} image updated", svc.name));
    } else if name == "Wait for the rollout" {
        let n = svc.replicas.max(1);
        for i in 0..n {
            out.push(format!("Waiting for deployment \"{}\" rollout to finish: {i} of {n} updated replicas are available...", svc.name));
        }
        out.push(format!(
            "deployment \"{}\" successfully rolled out",
            svc.name
        ));
    } else if let Some(cmd) = name.strip_prefix("Run ") {
        out.push(format!("##[group]Run {cmd}"));
        out.push(format!("\u{1b}[36;1m{cmd}\u{1b}[0m"));
        out.push("shell: /usr/bin/bash -e {0}".into());
        out.push("##[endgroup]".into());
        out.extend(command_output(
            svc,
            cmd,
            cmd == build,
            cmd == test,
            cmd == lint,
            failed,
        ));
        if failed {
            out.push(format!(
                "##[error]Process completed with exit code {}.",
                exit_code(&svc.language)
            ));
        }
    } else if name.starts_with("Post ") {
        out.push("Post job cleanup.".into());
    } else if name == "Complete job" {
        out.push("Cleaning up orphan processes".into());
    }
    if step.end_as == JobEnd::Cancelled {
        out.push("##[error]The operation was canceled.".into());
    }
    out
}

fn exit_code(language: &str) -> u8 {
    match language {
        "rust" => 101,
        _ => 1,
    }
}

/// Output of a build, test or lint command; a failure shows what failed.
fn command_output(
    svc: &Service,
    cmd: &str,
    is_build: bool,
    is_test: bool,
    is_lint: bool,
    failed: bool,
) -> Vec<String> {
    let red = |s: &str| format!("\u{1b}[31m{s}\u{1b}[0m");
    let green = |s: &str| format!("\u{1b}[32m{s}\u{1b}[0m");
    let crate_name = svc.name.replace('-', "_");
    let mut out = Vec::new();
    match (svc.language.as_str(), is_build, is_test, is_lint) {
        ("rust", true, _, _) => {
            out.push(format!(
                "   \u{1b}[1m\u{1b}[32mCompiling\u{1b}[0m {} v0.4.2 (/home/runner/work/{0}/{0})",
                svc.name
            ));
            if failed {
                out.push(red("error[E0308]: mismatched types"));
                out.push("  --> src/handlers.rs:88:24".into());
                out.push(red("error: could not compile due to 1 previous error"));
            } else {
                out.push("    \u{1b}[1m\u{1b}[32mFinished\u{1b}[0m `release` profile [optimized] target(s) in 1m 12s".to_string());
            }
        }
        ("rust", _, true, _) => {
            out.push("running 48 tests".into());
            out.push(format!(
                "test {crate_name}::handlers::tests::rejects_empty_body ... {}",
                green("ok")
            ));
            if failed {
                out.push(format!(
                    "test {crate_name}::store::tests::retries_on_conflict ... {}",
                    red("FAILED")
                ));
                out.push(String::new());
                out.push("failures:".into());
                out.push(format!(
                    "---- {crate_name}::store::tests::retries_on_conflict stdout ----"
                ));
                out.push(
                    "thread 'store::tests::retries_on_conflict' panicked at src/store.rs:214:9:"
                        .into(),
                );
                out.push("assertion `left == right` failed: the second write wins".into());
                out.push("  left: 1".into());
                out.push(" right: 2".into());
                out.push(format!(
                    "test result: {}. 47 passed; 1 failed; 0 ignored",
                    red("FAILED")
                ));
            } else {
                out.push(format!(
                    "test result: {}. 48 passed; 0 failed; 0 ignored; finished in 3.41s",
                    green("ok")
                ));
            }
        }
        ("go", _, true, _) => {
            if failed {
                out.push("--- FAIL: TestCartTotalsWithDiscount (0.02s)".into());
                out.push("    cart_test.go:57: total = 41.99, want 39.99".into());
                out.push(red("FAIL"));
                out.push(format!(
                    "FAIL\tgithub.com/{}/internal/cart\t0.412s",
                    svc.repo
                ));
            } else {
                out.push(format!(
                    "ok  \tgithub.com/{}/internal/cart\t0.398s",
                    svc.repo
                ));
                out.push(format!(
                    "ok  \tgithub.com/{}/internal/http\t0.201s",
                    svc.repo
                ));
            }
        }
        ("python", _, true, _) => {
            if failed {
                out.push(format!("tests/test_scoring.py ..{}.....", red("F")));
                out.push(red("FAILED tests/test_scoring.py::test_threshold_for_new_customers - AssertionError: assert 0.71 < 0.7"));
                out.push(red("1 failed, 63 passed in 4.12s"));
            } else {
                out.push("tests/test_scoring.py ........".into());
                out.push(green("64 passed in 4.02s"));
            }
        }
        ("java" | "kotlin", _, true, _) => {
            if failed {
                out.push(red(
                    "[ERROR] Tests run: 212, Failures: 1, Errors: 0, Skipped: 0",
                ));
                out.push(red("[ERROR] PaymentAuthorisationTest.declinesExpiredCards:88 expected: <DECLINED> but was: <APPROVED>"));
                out.push(red("[ERROR] BUILD FAILURE"));
            } else {
                out.push("[INFO] Tests run: 212, Failures: 0, Errors: 0, Skipped: 0".into());
                out.push(green("[INFO] BUILD SUCCESS"));
            }
        }
        (_, _, true, _) => {
            if failed {
                out.push(format!("{} src/checkout.test.ts", red("FAIL")));
                out.push("  ● checkout › shows the card error from the payments API".into());
                out.push("    expect(received).toContain(expected)".into());
                out.push(red("Tests: 1 failed, 87 passed, 88 total"));
            } else {
                out.push(format!("{} src/checkout.test.ts", green("PASS")));
                out.push("Tests: 88 passed, 88 total".into());
            }
        }
        (_, _, _, true) => {
            if failed {
                out.push(red("src/handlers: unused variable `retries`"));
                out.push(red("Found 1 error."));
            } else {
                out.push(green("All checks passed!"));
            }
        }
        _ => {
            if failed {
                out.push(red(&format!("{cmd}: build failed")));
            } else {
                out.push(format!("{cmd}: done"));
            }
        }
    }
    out
}

/// A job's log as GitHub serves it: each line prefixed with its time (seven fractional
/// digits), and only what has happened by `now`.
pub fn github_log(world: &World, run: &ScheduledRun, job: &JobPlan, now: DateTime<Utc>) -> String {
    let Some(svc) = world.service(&run.service) else {
        return String::new();
    };
    let mut text = String::new();
    for step in &job.steps {
        if step.end_as == JobEnd::Skipped || step.start > now {
            continue;
        }
        let lines = step_output(run, svc, job, step);
        let span = (step.end - step.start).num_milliseconds().max(0);
        let n = lines.len().max(1) as i64;
        for (i, line) in lines.iter().enumerate() {
            let at = step.start + Duration::milliseconds(span * i as i64 / n);
            if at > now {
                break;
            }
            let frac = at.timestamp_subsec_nanos() / 100;
            text.push_str(&format!(
                "{}.{frac:07}Z {line}\n",
                at.format("%Y-%m-%dT%H:%M:%S")
            ));
        }
    }
    text
}

/// A job's trace as GitLab serves it: collapsible sections, `$ command` echoes, and the
/// runner's verdict at the end.
pub fn gitlab_trace(
    world: &World,
    run: &ScheduledRun,
    job: &JobPlan,
    now: DateTime<Utc>,
) -> String {
    let Some(svc) = world.service(&run.service) else {
        return String::new();
    };
    let mut text = String::from("\u{1b}[0KRunning with gitlab-runner 17.9.0 (c4cbe9dd)\n");
    text.push_str("\u{1b}[0K  on acme-runners-1 xK2pQ9aB, system ID: s_5f0c1e2d3a4b\n");
    for (i, step) in job.steps.iter().enumerate() {
        if step.end_as == JobEnd::Skipped || step.start > now {
            continue;
        }
        let section = format!("step_{i}");
        text.push_str(&format!(
            "section_start:{}:{section}\r\u{1b}[0K\u{1b}[36;1m{}\u{1b}[0;m\n",
            step.start.timestamp(),
            step.name
        ));
        for line in step_output(run, svc, job, step) {
            if line.starts_with("##[") {
                continue;
            }
            text.push_str(&line);
            text.push('\n');
        }
        if step.end <= now {
            text.push_str(&format!(
                "section_end:{}:{section}\r\u{1b}[0K\n",
                step.end.timestamp()
            ));
        }
    }
    if job.end <= now {
        match job.end_as {
            JobEnd::Success => text.push_str("\u{1b}[32;1mJob succeeded\u{1b}[0;m\n"),
            JobEnd::Failure => text.push_str(&format!(
                "\u{1b}[31;1mERROR: Job failed: exit code {}\u{1b}[0;m\n",
                exit_code(&svc.language)
            )),
            JobEnd::Cancelled => {
                text.push_str("\u{1b}[31;1mERROR: Job failed: canceled\u{1b}[0;m\n")
            }
            JobEnd::Skipped => {}
        }
    }
    text
}

// ---------------------------------------------------------------------------------------------
// Helpers shared with the other REST servers.
// ---------------------------------------------------------------------------------------------

/// RFC 3339 in UTC with `Z`, as GitHub writes times.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A strong ETag from the body: two differently seeded 64-bit hashes, hex.
pub fn etag_of(body: &[u8]) -> String {
    let a = body.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    let b = hash(a, &[body.len() as u64, a.rotate_left(17)]);
    format!("\"{a:016x}{b:016x}\"")
}

/// Whether an `If-None-Match` value names `etag` (a list, `*`, and weak forms count).
pub fn etag_matches(if_none_match: Option<&HeaderValue>, etag: &str) -> bool {
    let Some(v) = if_none_match.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    v.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/") == etag)
}

/// Percent-encodes a query component.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `per_page` (default `default`, at most 100) and `page` (from 1) from a query.
pub fn paging(params: &[(String, String)], default: usize) -> (usize, usize) {
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.parse::<usize>().ok())
    };
    let per_page = get("per_page").unwrap_or(default).clamp(1, 100);
    let page = get("page").unwrap_or(1).max(1);
    (per_page, page)
}

/// The slice of `items` on `page`.
pub fn page_of<T: Clone>(items: &[T], per_page: usize, page: usize) -> Vec<T> {
    items
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .cloned()
        .collect()
}

/// GitHub's `Link` header for `total` items: prev, next, last and first, each keeping the
/// request's other parameters.
pub fn link_header(
    url: &str,
    params: &[(String, String)],
    per_page: usize,
    page: usize,
    total: usize,
) -> Option<String> {
    let last = total.div_ceil(per_page).max(1);
    let with_page = |p: usize| {
        let mut q: Vec<String> = params
            .iter()
            .filter(|(k, _)| k != "page" && k != "per_page")
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        q.push(format!("per_page={per_page}"));
        q.push(format!("page={p}"));
        format!("<{url}?{}>", q.join("&"))
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(format!("{}; rel=\"prev\"", with_page((page - 1).min(last))));
    }
    if page < last {
        links.push(format!("{}; rel=\"next\"", with_page(page + 1)));
        links.push(format!("{}; rel=\"last\"", with_page(last)));
    }
    if page > 1 {
        links.push(format!("{}; rel=\"first\"", with_page(1)));
    }
    (!links.is_empty()).then(|| links.join(", "))
}

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An error answered in GitHub's shape.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub String);

impl ApiError {
    fn not_found() -> Self {
        Self(StatusCode::NOT_FOUND, "Not Found".into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "message": self.1,
            "documentation_url": "https://docs.github.com/rest",
            "status": self.0.as_str(),
        });
        (self.0, Json(body)).into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

// ---------------------------------------------------------------------------------------------
// The server.
// ---------------------------------------------------------------------------------------------

struct Github {
    shared: Arc<Shared>,
    overlay: Mutex<Overlay>,
    buckets: Mutex<HashMap<u64, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    limit: u64,
    used: u64,
    /// Wall-clock Unix seconds: clients compute their waits from the real clock.
    reset: i64,
}

type Gh = State<Arc<Github>>;
type Params = Query<Vec<(String, String)>>;

pub fn router(shared: Arc<Shared>) -> Router {
    let gh = Arc::new(Github {
        shared,
        overlay: Mutex::default(),
        buckets: Mutex::default(),
    });
    Router::new()
        .route("/user", get(user))
        .route("/rate_limit", get(rate_limit))
        .route("/repos/{owner}/{repo}", get(repository))
        .route("/repos/{owner}/{repo}/commits", get(list_commits))
        .route("/repos/{owner}/{repo}/deployments", get(list_deployments))
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
        .fallback(|| async { ApiError::not_found() })
        .layer(axum::middleware::from_fn_with_state(gh.clone(), api_layer))
        .with_state(gh)
}

/// Rate limits, ETags and GitHub's headers around every API request. `/rate_limit` and the
/// log download (served from "another host" on GitHub) are not counted.
async fn api_layer(State(gh): Gh, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path == "/rate_limit" || path.starts_with("/_logs/") {
        return next.run(req).await;
    }
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty());
    let authenticated = auth.is_some();
    let key = auth.map_or(0, hash_str);
    let wall = Utc::now().timestamp();
    let bucket = {
        let mut buckets = lock(&gh.buckets);
        let limit = if authenticated {
            LIMIT_AUTHENTICATED
        } else {
            LIMIT_ANONYMOUS
        };
        let b = buckets.entry(key).or_insert(Bucket {
            limit,
            used: 0,
            reset: wall + 3600,
        });
        if wall >= b.reset {
            b.used = 0;
            b.reset = wall + 3600;
        }
        *b
    };
    if bucket.used >= bucket.limit {
        let message = if authenticated {
            "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID."
        } else {
            "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.) If you reach out to GitHub Support for help, please include the request ID."
        };
        let body = json!({
            "message": message,
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
        });
        let mut r = (StatusCode::FORBIDDEN, Json(body)).into_response();
        rate_headers(r.headers_mut(), &bucket);
        return r;
    }
    let is_get = req.method() == Method::GET || req.method() == Method::HEAD;
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(req).await;
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, 64 << 20).await.unwrap_or_default();
    if is_get && parts.status == StatusCode::OK {
        let etag = etag_of(&bytes);
        if etag_matches(if_none_match.as_ref(), &etag) {
            // GitHub: a 304 to a correctly authorised conditional request costs nothing.
            let mut r = StatusCode::NOT_MODIFIED.into_response();
            let h = r.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&etag) {
                h.insert(header::ETAG, v);
            }
            common_headers(h);
            rate_headers(h, &bucket);
            return r;
        }
        if let Ok(v) = HeaderValue::from_str(&etag) {
            parts.headers.insert(header::ETAG, v);
        }
    }
    let counted = {
        let mut buckets = lock(&gh.buckets);
        let b = buckets.entry(key).or_insert(bucket);
        b.used += 1;
        *b
    };
    common_headers(&mut parts.headers);
    rate_headers(&mut parts.headers, &counted);
    Response::from_parts(parts, Body::from(bytes))
}

fn common_headers(h: &mut HeaderMap) {
    // GitHub names the charset; some clients key their decoding on the exact value.
    if h.get(header::CONTENT_TYPE)
        .is_some_and(|v| v == "application/json")
    {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    h.insert(
        "x-github-api-version-selected",
        HeaderValue::from_static("2022-11-28"),
    );
    h.insert(
        "x-github-media-type",
        HeaderValue::from_static("github.v3; format=json"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=60, s-maxage=60"),
    );
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Authorization, Cookie, X-GitHub-OTP"),
    );
}

fn rate_headers(h: &mut HeaderMap, b: &Bucket) {
    let remaining = b.limit.saturating_sub(b.used);
    for (name, value) in [
        ("x-ratelimit-limit", b.limit.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-used", b.used.to_string()),
        ("x-ratelimit-reset", b.reset.to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    h.insert("x-ratelimit-resource", HeaderValue::from_static("core"));
}

impl Github {
    fn world(&self) -> &World {
        &self.shared.world
    }

    fn base(&self) -> &str {
        &self.shared.endpoints.github
    }

    /// The GitHub-hosted service behind `owner/repo` (GitHub matches names case-insensitively).
    fn service(&self, owner: &str, repo: &str) -> Result<&Service, ApiError> {
        let full = format!("{owner}/{repo}");
        self.world()
            .services
            .iter()
            .find(|s| s.ci == CiHost::Github && s.repo.eq_ignore_ascii_case(&full))
            .ok_or_else(ApiError::not_found)
    }

    /// Every run of a service created by `now`, newest first, dispatched ones included.
    fn runs(&self, svc: &Service, now: DateTime<Utc>) -> Vec<ScheduledRun> {
        let mut runs = self.world().runs(&svc.name, now);
        runs.extend(
            lock(&self.overlay)
                .dispatched
                .iter()
                .filter(|r| r.service == svc.name && r.created <= now)
                .cloned(),
        );
        runs.sort_by_key(|r| std::cmp::Reverse((r.created, r.id)));
        runs
    }

    fn run(&self, svc: &Service, id: u64, now: DateTime<Utc>) -> Result<ScheduledRun, ApiError> {
        if id >= DISPATCHED_IDS {
            return lock(&self.overlay)
                .dispatched
                .iter()
                .find(|r| r.id == id && r.service == svc.name)
                .cloned()
                .ok_or_else(ApiError::not_found);
        }
        self.world()
            .runs(&svc.name, now)
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(ApiError::not_found)
    }

    fn attempts(&self, run: &ScheduledRun) -> Vec<Attempt> {
        lock(&self.overlay).attempts(self.world(), run)
    }

    fn latest(&self, run: &ScheduledRun) -> Attempt {
        lock(&self.overlay).latest(self.world(), run)
    }
}

fn json_ok(value: Value) -> Response {
    Json(value).into_response()
}

fn paged(value: Value, link: Option<String>) -> Response {
    let mut r = Json(value).into_response();
    if let Some(v) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        r.headers_mut().insert(header::LINK, v);
    }
    r
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

// ---------------------------------------------------------------------------------------------
// JSON shapes.
// ---------------------------------------------------------------------------------------------

fn user_id(world: &World, login: &str) -> u64 {
    world
        .people
        .iter()
        .position(|p| p.login == login)
        .map_or(1, |i| 583_000 + i as u64)
}

/// GitHub's simple-user object.
fn user_json(base: &str, world: &World, login: &str) -> Value {
    let id = user_id(world, login);
    let api = format!("{base}/users/{login}");
    json!({
        "login": login,
        "id": id,
        "node_id": format!("U_kgDO{id:08X}"),
        "avatar_url": format!("{base}/avatars/u/{id}?v=4"),
        "gravatar_id": "",
        "url": api,
        "html_url": format!("{base}/{login}"),
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": "User",
        "user_view_type": "public",
        "site_admin": false,
    })
}

fn org_json(base: &str, org: &str) -> Value {
    let api = format!("{base}/users/{org}");
    json!({
        "login": org,
        "id": 9_100_001,
        "node_id": "O_kgDOAIrg4Q",
        "avatar_url": format!("{base}/avatars/u/9100001?v=4"),
        "gravatar_id": "",
        "url": api,
        "html_url": format!("{base}/{org}"),
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": "Organization",
        "user_view_type": "public",
        "site_admin": false,
    })
}

fn repo_id(world: &World, svc: &Service) -> u64 {
    712_000_000
        + world
            .services
            .iter()
            .position(|s| s.name == svc.name)
            .unwrap_or(0) as u64
}

/// GitHub's minimal-repository object, as runs embed it.
fn minimal_repo_json(base: &str, world: &World, svc: &Service) -> Value {
    let api = format!("{base}/repos/{}", svc.repo);
    let id = repo_id(world, svc);
    let mut v = json!({
        "id": id,
        "node_id": format!("R_kgDOK{id:08X}"),
        "name": svc.name,
        "full_name": svc.repo,
        "private": true,
        "owner": org_json(base, &world.org),
        "html_url": format!("{base}/{}", svc.repo),
        "description": svc.description,
        "fork": false,
        "url": api,
    });
    // The URL templates every repository object carries, relative to its API URL.
    const TEMPLATES: &[(&str, &str)] = &[
        ("archive_url", "/{archive_format}{/ref}"),
        ("assignees_url", "/assignees{/user}"),
        ("blobs_url", "/git/blobs{/sha}"),
        ("branches_url", "/branches{/branch}"),
        ("collaborators_url", "/collaborators{/collaborator}"),
        ("comments_url", "/comments{/number}"),
        ("commits_url", "/commits{/sha}"),
        ("compare_url", "/compare/{base}...{head}"),
        ("contents_url", "/contents/{+path}"),
        ("contributors_url", "/contributors"),
        ("deployments_url", "/deployments"),
        ("downloads_url", "/downloads"),
        ("events_url", "/events"),
        ("forks_url", "/forks"),
        ("git_commits_url", "/git/commits{/sha}"),
        ("git_refs_url", "/git/refs{/sha}"),
        ("git_tags_url", "/git/tags{/sha}"),
        ("issue_comment_url", "/issues/comments{/number}"),
        ("issue_events_url", "/issues/events{/number}"),
        ("issues_url", "/issues{/number}"),
        ("keys_url", "/keys{/key_id}"),
        ("labels_url", "/labels{/name}"),
        ("languages_url", "/languages"),
        ("merges_url", "/merges"),
        ("milestones_url", "/milestones{/number}"),
        (
            "notifications_url",
            "/notifications{?since,all,participating}",
        ),
        ("pulls_url", "/pulls{/number}"),
        ("releases_url", "/releases{/id}"),
        ("stargazers_url", "/stargazers"),
        ("statuses_url", "/statuses/{sha}"),
        ("subscribers_url", "/subscribers"),
        ("subscription_url", "/subscription"),
        ("tags_url", "/tags"),
        ("teams_url", "/teams"),
        ("trees_url", "/git/trees{/sha}"),
        ("hooks_url", "/hooks"),
    ];
    if let Some(o) = v.as_object_mut() {
        for (key, suffix) in TEMPLATES {
            o.insert((*key).into(), json!(format!("{api}{suffix}")));
        }
    }
    v
}

fn workflow_id(world: &World, svc: &Service, kind: RunKind) -> u64 {
    let i = world
        .services
        .iter()
        .position(|s| s.name == svc.name)
        .unwrap_or(0) as u64;
    81_000_000 + i * 10 + if kind == RunKind::Ci { 1 } else { 2 }
}

fn workflow_file(kind: RunKind) -> &'static str {
    match kind {
        RunKind::Ci => "ci.yml",
        RunKind::Deploy => "deploy.yml",
    }
}

fn workflow_name(kind: RunKind) -> &'static str {
    match kind {
        RunKind::Ci => "CI",
        RunKind::Deploy => "Deploy",
    }
}

fn workflow_json(base: &str, world: &World, svc: &Service, kind: RunKind) -> Value {
    let id = workflow_id(world, svc, kind);
    let file = workflow_file(kind);
    json!({
        "id": id,
        "node_id": format!("W_kwDOK{id:08X}"),
        "name": workflow_name(kind),
        "path": format!(".github/workflows/{file}"),
        "state": "active",
        "created_at": ts(epoch() - Duration::days(400)),
        "updated_at": ts(epoch() - Duration::days(12)),
        "url": format!("{base}/repos/{}/actions/workflows/{id}", svc.repo),
        "html_url": format!("{base}/{}/blob/main/.github/workflows/{file}", svc.repo),
        "badge_url": format!("{base}/{}/workflows/{}/badge.svg", svc.repo, workflow_name(kind)),
    })
}

fn person_name(world: &World, login: &str) -> (String, String) {
    world.person(login).map_or_else(
        || (login.to_string(), format!("{login}@acme.example")),
        |p| (p.display_name.clone(), p.email.clone()),
    )
}

fn tree_sha(sha: &str) -> String {
    let h = hash(hash_str(sha), &[7]);
    format!("{h:016x}{:016x}{:08x}", hash(h, &[1]), h as u32)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

fn run_json(
    base: &str,
    world: &World,
    svc: &Service,
    run: &ScheduledRun,
    attempt: &Attempt,
    now: DateTime<Utc>,
) -> Value {
    let api = format!("{base}/repos/{}/actions/runs/{}", svc.repo, run.id);
    let wid = workflow_id(world, svc, run.kind);
    let (name, email) = person_name(world, &run.commit.author);
    let status = attempt.status(now);
    let conclusion = attempt.conclusion(now).map(JobEnd::github);
    let triggering = if attempt.number > 1 {
        DEMO_USER
    } else {
        run.actor.as_str()
    };
    let event = if run.id >= DISPATCHED_IDS {
        "workflow_dispatch"
    } else {
        "push"
    };
    let check_suite = run.id / 10 + u64::from(attempt.number) * 7;
    json!({
        "id": run.id,
        "name": workflow_name(run.kind),
        "node_id": format!("WFR_kwLOK{:X}", run.id),
        "check_suite_id": check_suite,
        "check_suite_node_id": format!("CS_kwDOK{check_suite:X}"),
        "head_branch": "main",
        "head_sha": run.commit.sha,
        "path": format!(".github/workflows/{}", workflow_file(run.kind)),
        "display_title": first_line(&run.commit.message),
        "run_number": run.number,
        "event": event,
        "status": status,
        "conclusion": conclusion,
        "workflow_id": wid,
        "url": api,
        "html_url": format!("{base}/{}/actions/runs/{}", svc.repo, run.id),
        "pull_requests": [],
        "created_at": ts(run.created),
        "updated_at": ts(attempt.updated(now)),
        "actor": user_json(base, world, &run.actor),
        "run_attempt": attempt.number,
        "referenced_workflows": [],
        "run_started_at": ts(attempt.created),
        "triggering_actor": user_json(base, world, triggering),
        "jobs_url": format!("{api}/jobs"),
        "logs_url": format!("{api}/logs"),
        "check_suite_url": format!("{base}/repos/{}/check-suites/{check_suite}", svc.repo),
        "artifacts_url": format!("{api}/artifacts"),
        "cancel_url": format!("{api}/cancel"),
        "rerun_url": format!("{api}/rerun"),
        "previous_attempt_url": (attempt.number > 1).then(|| format!("{api}/attempts/{}", attempt.number - 1)),
        "workflow_url": format!("{base}/repos/{}/actions/workflows/{wid}", svc.repo),
        "head_commit": {
            "id": run.commit.sha,
            "tree_id": tree_sha(&run.commit.sha),
            "message": run.commit.message,
            "timestamp": ts(run.commit.at),
            "author": { "name": name, "email": email },
            "committer": { "name": "GitHub", "email": "noreply@github.com" },
        },
        "repository": minimal_repo_json(base, world, svc),
        "head_repository": minimal_repo_json(base, world, svc),
    })
}

/// A job's status at `now`: GitHub's `status`, `conclusion`, and when it (will have) started.
fn job_state(job: &JobPlan, now: DateTime<Utc>) -> (&'static str, Option<&'static str>) {
    if job.end_as == JobEnd::Skipped && job.end <= now {
        ("completed", Some("skipped"))
    } else if now < job.start {
        ("queued", None)
    } else if now < job.end {
        ("in_progress", None)
    } else {
        ("completed", Some(job.end_as.github()))
    }
}

fn job_json(
    base: &str,
    svc: &Service,
    run: &ScheduledRun,
    job: &JobPlan,
    now: DateTime<Utc>,
) -> Value {
    let (status, conclusion) = job_state(job, now);
    let steps: Vec<Value> = job
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (st, c, started, completed) =
                if s.end_as == JobEnd::Skipped && s.end <= now && job.end <= now {
                    ("completed", Some("skipped"), Some(s.start), Some(s.end))
                } else if now < s.start {
                    ("queued", None, None, None)
                } else if now < s.end {
                    ("in_progress", None, Some(s.start), None)
                } else {
                    (
                        "completed",
                        Some(s.end_as.github()),
                        Some(s.start),
                        Some(s.end),
                    )
                };
            json!({
                "name": s.name,
                "status": st,
                "conclusion": c,
                "number": i + 1,
                "started_at": started.map(ts),
                "completed_at": completed.map(ts),
            })
        })
        .collect();
    let runner = (status != "queued").then(|| (job.id % 20) + 1);
    json!({
        "id": job.id,
        "run_id": run.id,
        "workflow_name": workflow_name(run.kind),
        "head_branch": "main",
        "run_url": format!("{base}/repos/{}/actions/runs/{}", svc.repo, run.id),
        "run_attempt": job.attempt,
        "node_id": format!("CR_kwDOK{:X}", job.id),
        "head_sha": run.commit.sha,
        "url": format!("{base}/repos/{}/actions/jobs/{}", svc.repo, job.id),
        "html_url": format!("{base}/{}/actions/runs/{}/job/{}", svc.repo, run.id, job.id),
        "status": status,
        "conclusion": conclusion,
        "created_at": ts(job.created),
        "started_at": ts(if status == "queued" { job.created } else { job.start }),
        "completed_at": (status == "completed").then(|| ts(job.end)),
        "name": job.name,
        "steps": steps,
        "check_run_url": format!("{base}/repos/{}/check-runs/{}", svc.repo, job.id),
        "labels": ["ubuntu-latest"],
        "runner_id": runner,
        "runner_name": runner.map(|n| format!("GitHub Actions {n}")),
        "runner_group_id": runner.map(|_| 0),
        "runner_group_name": runner.map(|_| "GitHub Actions"),
    })
}

/// One deployment: a deploy job's environment in one attempt. Its id is the job's id.
#[derive(Debug, Clone)]
struct DeploymentView {
    run: ScheduledRun,
    job: JobPlan,
    environment: &'static str,
}

fn deployment_json(base: &str, world: &World, svc: &Service, d: &DeploymentView) -> Value {
    let api = format!("{base}/repos/{}/deployments/{}", svc.repo, d.job.id);
    json!({
        "url": api,
        "id": d.job.id,
        "node_id": format!("DE_kwDOK{:X}", d.job.id),
        "sha": d.run.commit.sha,
        "ref": "main",
        "task": "deploy",
        "payload": {},
        "original_environment": d.environment,
        "environment": d.environment,
        "description": format!("Deploy {} to {}", &d.run.commit.sha[..7], d.environment),
        "creator": user_json(base, world, &d.run.actor),
        "created_at": ts(d.job.start),
        "updated_at": ts(d.job.end),
        "statuses_url": format!("{api}/statuses"),
        "repository_url": format!("{base}/repos/{}", svc.repo),
        "transient_environment": false,
        "production_environment": d.environment == "production",
    })
}

/// A deployment's statuses at `now`, newest first: queued, in progress, how it ended, and
/// inactive once a later deployment to the same environment succeeded.
fn statuses_json(
    base: &str,
    world: &World,
    svc: &Service,
    d: &DeploymentView,
    all: &[DeploymentView],
    now: DateTime<Utc>,
) -> Vec<Value> {
    let mut states: Vec<(&str, DateTime<Utc>)> = vec![("queued", d.job.start)];
    let running = (d.job.start + Duration::seconds(1)).min(d.job.end);
    if running <= now {
        states.push(("in_progress", running));
    }
    if d.job.end <= now {
        let end = match d.job.end_as {
            JobEnd::Success => "success",
            JobEnd::Failure => "failure",
            JobEnd::Cancelled | JobEnd::Skipped => "error",
        };
        states.push((end, d.job.end));
        if d.job.end_as == JobEnd::Success {
            let superseded = all
                .iter()
                .filter(|o| {
                    o.environment == d.environment
                        && o.job.end_as == JobEnd::Success
                        && o.job.end > d.job.end
                        && o.job.end <= now
                })
                .map(|o| o.job.end)
                .min();
            if let Some(at) = superseded {
                states.push(("inactive", at));
            }
        }
    }
    let env_url = if d.environment == "production" {
        format!("https://{}.acme.example", svc.name)
    } else {
        format!("https://{}.{}.acme.example", svc.name, d.environment)
    };
    states
        .iter()
        .enumerate()
        .rev()
        .map(|(k, (state, at))| {
            let id = d.job.id * 10 + k as u64;
            json!({
                "url": format!("{base}/repos/{}/deployments/{}/statuses/{id}", svc.repo, d.job.id),
                "id": id,
                "node_id": format!("DES_kwDOK{id:X}"),
                "state": state,
                "creator": user_json(base, world, &d.run.actor),
                "description": match *state {
                    "success" => "Deployment finished successfully.",
                    "failure" => "Deployment failed.",
                    "error" => "Deployment was cancelled.",
                    "inactive" => "Superseded by a newer deployment.",
                    _ => "",
                },
                "environment": d.environment,
                "target_url": format!("{base}/{}/actions/runs/{}/job/{}", svc.repo, d.run.id, d.job.id),
                "log_url": format!("{base}/{}/actions/runs/{}/job/{}", svc.repo, d.run.id, d.job.id),
                "environment_url": env_url,
                "created_at": ts(*at),
                "updated_at": ts(*at),
                "deployment_url": format!("{base}/repos/{}/deployments/{}", svc.repo, d.job.id),
                "repository_url": format!("{base}/repos/{}", svc.repo),
            })
        })
        .collect()
}

fn commit_json(
    base: &str,
    world: &World,
    svc: &Service,
    c: &Commit,
    parent: Option<&Commit>,
) -> Value {
    let (name, email) = person_name(world, &c.author);
    let api = format!("{base}/repos/{}/commits/{}", svc.repo, c.sha);
    let parents: Vec<Value> = parent
        .map(|p| {
            json!({
                "sha": p.sha,
                "url": format!("{base}/repos/{}/commits/{}", svc.repo, p.sha),
                "html_url": format!("{base}/{}/commit/{}", svc.repo, p.sha),
            })
        })
        .into_iter()
        .collect();
    json!({
        "url": api,
        "sha": c.sha,
        "node_id": format!("C_kwDOK{}", &c.sha[..16]),
        "html_url": format!("{base}/{}/commit/{}", svc.repo, c.sha),
        "comments_url": format!("{api}/comments"),
        "commit": {
            "url": format!("{base}/repos/{}/git/commits/{}", svc.repo, c.sha),
            "author": { "name": name, "email": email, "date": ts(c.at) },
            "committer": { "name": "GitHub", "email": "noreply@github.com", "date": ts(c.at) },
            "message": c.message,
            "tree": { "url": format!("{base}/repos/{}/git/trees/{}", svc.repo, tree_sha(&c.sha)), "sha": tree_sha(&c.sha) },
            "comment_count": 0,
            "verification": { "verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null },
        },
        "author": user_json(base, world, &c.author),
        "committer": user_json(base, world, "web-flow"),
        "parents": parents,
    })
}

// ---------------------------------------------------------------------------------------------
// Handlers.
// ---------------------------------------------------------------------------------------------

async fn user(State(gh): Gh) -> ApiResult {
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
            json!(ts(epoch() - Duration::days(700))),
        );
        o.insert("updated_at".into(), json!(ts(epoch() - Duration::days(3))));
    }
    Ok(json_ok(v))
}

async fn rate_limit(State(gh): Gh, headers: HeaderMap) -> ApiResult {
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

async fn repository(State(gh): Gh, Path((owner, repo)): Path<(String, String)>) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let world = gh.world();
    let now = gh.shared.now();
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
            ("pushed_at", json!(ts(pushed))),
            ("created_at", json!(ts(epoch() - Duration::days(400)))),
            ("updated_at", json!(ts(pushed))),
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
fn run_matches(
    run: &ScheduledRun,
    attempt: &Attempt,
    params: &[(String, String)],
    now: DateTime<Utc>,
) -> bool {
    let event = if run.id >= DISPATCHED_IDS {
        "workflow_dispatch"
    } else {
        "push"
    };
    let ok = |name: &str, value: &str| {
        param(params, name).is_none_or(|want| want.eq_ignore_ascii_case(value))
    };
    if !(ok("branch", "main")
        && ok("event", event)
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

fn list_runs_of(
    gh: &Github,
    svc: &Service,
    kind: Option<RunKind>,
    params: &[(String, String)],
    path: &str,
) -> ApiResult {
    let now = gh.shared.now();
    let world = gh.world();
    let (per_page, page) = paging(params, 30);
    let overlay = lock(&gh.overlay);
    let matching: Vec<(ScheduledRun, Attempt)> = gh
        .world()
        .runs(&svc.name, now)
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
        .map(|(r, a)| run_json(gh.base(), world, svc, r, a, now))
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

async fn list_runs(
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

fn workflow_kind(world: &World, svc: &Service, workflow: &str) -> Result<RunKind, ApiError> {
    [RunKind::Ci, RunKind::Deploy]
        .into_iter()
        .find(|k| {
            workflow == workflow_file(*k) || workflow == workflow_id(world, svc, *k).to_string()
        })
        .ok_or_else(ApiError::not_found)
}

async fn list_workflows(State(gh): Gh, Path((owner, repo)): Path<(String, String)>) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let wf: Vec<Value> = [RunKind::Ci, RunKind::Deploy]
        .iter()
        .map(|k| workflow_json(gh.base(), gh.world(), svc, *k))
        .collect();
    Ok(json_ok(json!({ "total_count": wf.len(), "workflows": wf })))
}

async fn get_workflow(
    State(gh): Gh,
    Path((owner, repo, workflow)): Path<(String, String, String)>,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let kind = workflow_kind(gh.world(), svc, &workflow)?;
    Ok(json_ok(workflow_json(gh.base(), gh.world(), svc, kind)))
}

async fn list_workflow_runs(
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

async fn dispatch(
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
    let now = gh.shared.now();
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

fn parse_id(s: &str) -> Result<u64, ApiError> {
    s.parse().map_err(|_| ApiError::not_found())
}

async fn get_run(
    State(gh): Gh,
    Path((owner, repo, run_id)): Path<(String, String, String)>,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.now();
    let run = gh.run(svc, parse_id(&run_id)?, now)?;
    let attempt = gh.latest(&run);
    Ok(json_ok(run_json(
        gh.base(),
        gh.world(),
        svc,
        &run,
        &attempt,
        now,
    )))
}

async fn get_run_attempt(
    State(gh): Gh,
    Path((owner, repo, run_id, attempt)): Path<(String, String, String, String)>,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.now();
    let run = gh.run(svc, parse_id(&run_id)?, now)?;
    let n = parse_id(&attempt)?;
    let attempt = gh
        .attempts(&run)
        .into_iter()
        .find(|a| u64::from(a.number) == n)
        .ok_or_else(ApiError::not_found)?;
    Ok(json_ok(run_json(
        gh.base(),
        gh.world(),
        svc,
        &run,
        &attempt,
        now,
    )))
}

async fn list_jobs(
    State(gh): Gh,
    Path((owner, repo, run_id)): Path<(String, String, String)>,
    Query(params): Params,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.now();
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
        .map(|j| job_json(gh.base(), svc, &run, j, now))
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
fn find_job(
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

async fn get_job(
    State(gh): Gh,
    Path((owner, repo, job_id)): Path<(String, String, String)>,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.now();
    let (run, job) = find_job(&gh, svc, parse_id(&job_id)?, now)?;
    Ok(json_ok(job_json(gh.base(), svc, &run, &job, now)))
}

/// The signature on a log URL, so a URL works only as handed out and only for a minute.
fn log_signature(job_id: u64, expires: i64) -> String {
    format!("{:016x}", hash(0x5eed, &[job_id, expires as u64]))
}

async fn job_logs(
    State(gh): Gh,
    Path((owner, repo, job_id)): Path<(String, String, String)>,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.now();
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

async fn raw_log(
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
    let now = gh.shared.now();
    match find_job(&gh, svc, id, now) {
        Ok((run, job)) => {
            let text = github_log(gh.world(), &run, &job, now);
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
        }
        Err(e) => e.into_response(),
    }
}

fn accepted() -> Response {
    (StatusCode::ACCEPTED, Json(json!({}))).into_response()
}

fn created() -> Response {
    (StatusCode::CREATED, Json(json!({}))).into_response()
}

async fn rerun_with(
    gh: &Github,
    owner: &str,
    repo: &str,
    run_id: &str,
    failed_only: bool,
) -> ApiResult {
    let svc = gh.service(owner, repo)?;
    let now = gh.shared.now();
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

async fn rerun(
    State(gh): Gh,
    Path((owner, repo, run_id)): Path<(String, String, String)>,
) -> ApiResult {
    rerun_with(&gh, &owner, &repo, &run_id, false).await
}

async fn rerun_failed(
    State(gh): Gh,
    Path((owner, repo, run_id)): Path<(String, String, String)>,
) -> ApiResult {
    rerun_with(&gh, &owner, &repo, &run_id, true).await
}

async fn cancel(
    State(gh): Gh,
    Path((owner, repo, run_id)): Path<(String, String, String)>,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.now();
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
fn deployments(gh: &Github, svc: &Service, now: DateTime<Utc>) -> Vec<DeploymentView> {
    let mut out = Vec::new();
    for run in gh
        .runs(svc, now)
        .into_iter()
        .filter(|r| r.kind == RunKind::Deploy)
    {
        for attempt in gh.attempts(&run) {
            for job in attempt.jobs.iter().filter(|j| j.attempt == attempt.number) {
                let Some(environment) = job.environment else {
                    continue;
                };
                if job.start > now || job.end_as == JobEnd::Skipped {
                    continue;
                }
                out.push(DeploymentView {
                    run: run.clone(),
                    job: job.clone(),
                    environment,
                });
            }
        }
    }
    out.sort_by_key(|d| std::cmp::Reverse((d.job.start, d.job.id)));
    out
}

async fn list_deployments(
    State(gh): Gh,
    Path((owner, repo)): Path<(String, String)>,
    Query(params): Params,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.now();
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
        .map(|d| deployment_json(gh.base(), gh.world(), svc, d))
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

async fn get_deployment(
    State(gh): Gh,
    Path((owner, repo, id)): Path<(String, String, String)>,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let id = parse_id(&id)?;
    let all = deployments(&gh, svc, gh.shared.now());
    let d = all
        .iter()
        .find(|d| d.job.id == id)
        .ok_or_else(ApiError::not_found)?;
    Ok(json_ok(deployment_json(gh.base(), gh.world(), svc, d)))
}

async fn list_statuses(
    State(gh): Gh,
    Path((owner, repo, id)): Path<(String, String, String)>,
    Query(params): Params,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let id = parse_id(&id)?;
    let now = gh.shared.now();
    let all = deployments(&gh, svc, now);
    let d = all
        .iter()
        .find(|d| d.job.id == id)
        .ok_or_else(ApiError::not_found)?;
    let statuses = statuses_json(gh.base(), gh.world(), svc, d, &all, now);
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

async fn list_commits(
    State(gh): Gh,
    Path((owner, repo)): Path<(String, String)>,
    Query(params): Params,
) -> ApiResult {
    let svc = gh.service(&owner, &repo)?;
    let now = gh.shared.now();
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
            .map(|t| t.with_timezone(&Utc))
    };
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
        .map(|(c, p)| commit_json(gh.base(), gh.world(), svc, c, p.as_ref()))
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
