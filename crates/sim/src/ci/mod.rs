//! The CI model GitHub's and GitLab's servers share: attempts of a run and the jobs of each,
//! planned from the world's schedule, and the overlay of what users did to runs. Both hosts tell
//! the same story, one as workflow runs and one as pipelines.

mod logs;

pub use logs::{github_log, gitlab_trace};

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use crate::world::{RunKind, RunOutcome, ScheduledRun, World, hash_str};

/// The user every token authenticates as.
pub const DEMO_USER: &str = "jdoe";
/// Dispatched runs get ids from here on, far from the world's scheduled ids.
pub const DISPATCHED_IDS: u64 = 90_000_000_000;
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

/// One deployment: a deploy job's environment in one attempt. Its id is the job's id, so
/// GitHub's deployments and GitLab's tell the same story.
#[derive(Debug, Clone)]
pub struct DeploymentView {
    pub run: ScheduledRun,
    pub job: JobPlan,
    pub environment: &'static str,
}

/// Every deployment among `runs` that exists at `now` (its job has started), newest first.
pub fn deployments(
    world: &World,
    overlay: &Overlay,
    runs: &[ScheduledRun],
    now: DateTime<Utc>,
) -> Vec<DeploymentView> {
    let mut out = Vec::new();
    for run in runs.iter().filter(|r| r.kind == RunKind::Deploy) {
        for attempt in overlay.attempts(world, run) {
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
    /// The language of services the world does not hold (launched from templates), by name,
    /// so their jobs run their own toolchain.
    pub languages: HashMap<String, String>,
}

impl Overlay {
    /// Every attempt of `run`, oldest first.
    pub fn attempts(&self, world: &World, run: &ScheduledRun) -> Vec<Attempt> {
        let language = world
            .service(&run.service)
            .map(|s| s.language.as_str())
            .or_else(|| self.languages.get(&run.service).map(String::as_str))
            .unwrap_or("typescript");
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
pub(super) fn toolchain(
    language: &str,
) -> (&'static str, &'static str, &'static str, &'static str) {
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
