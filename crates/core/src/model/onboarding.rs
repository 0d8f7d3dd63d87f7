//! Onboarding: the organisation's guided path for new hires (phases, steps, docs to read,
//! services to explore, a buddy), what the cockpit verified of it by itself, the progress kept
//! across restarts, and the first-launch tour of the cockpit. The path is data: from the config's
//! `[onboarding]` or from an onboarding.yaml the catalog names.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::markdown;

/// The path as the organisation writes it, in the config or in onboarding.yaml.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PathSpec {
    #[serde(default)]
    pub title: Option<String>,
    /// Who to ask: a name, or a catalog ref (`user:default/asingh`).
    #[serde(default)]
    pub buddy: Option<String>,
    #[serde(default)]
    pub phases: Vec<PhaseSpec>,
}

/// `Day 1`, `Week 1`, `Month 1`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseSpec {
    pub name: String,
    #[serde(default)]
    pub steps: Vec<StepSpec>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// Stable id: progress is kept by it, so a reworded title keeps its tick.
    pub id: String,
    pub title: String,
    /// Markdown: what to do and why.
    #[serde(default)]
    pub text: String,
    /// What the cockpit verifies; none means the step is ticked by hand.
    #[serde(default)]
    pub check: Option<CheckKind>,
    /// `kube-pods`: the kube context (default: the first configured).
    #[serde(default)]
    pub context: Option<String>,
    /// `kube-pods`: the namespace (default: that of one of your team's services).
    #[serde(default)]
    pub namespace: Option<String>,
    /// `alertmanager`: which one, by name (default: the first configured).
    #[serde(default)]
    pub alertmanager: Option<String>,
    /// `deployed`: the environment (default `staging`).
    #[serde(default)]
    pub environment: Option<String>,
    /// `ci-run`, `deployed`: the repository (`org/repo`; default: your team's services').
    #[serde(default)]
    pub repo: Option<String>,
    /// Docs pages to read: `service:path/in/docs.md#anchor`.
    #[serde(default)]
    pub docs: Vec<String>,
    /// Services to explore, by name.
    #[serde(default)]
    pub services: Vec<String>,
    /// A Software Template (name or `template:namespace/name`) the step creates a service
    /// from: `enter` on it opens the Create screen on its form.
    #[serde(default)]
    pub template: Option<String>,
}

/// The checks the cockpit runs with its real providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckKind {
    /// Your GitHub token works (`GET /user`).
    GithubToken,
    /// You can list pods in a namespace of a context.
    KubePods,
    /// Alertmanager answers (`/-/ready`).
    Alertmanager,
    /// You belong to a Group that owns a service.
    CatalogGroup,
    /// CI has a run triggered by you.
    CiRun,
    /// A deployment created by you (to staging by default).
    Deployed,
    /// You opened a runbook of your team's service in the docs viewer.
    RunbookOpened,
}

impl CheckKind {
    /// What the check verifies, for the step's detail.
    pub fn describe(self) -> &'static str {
        match self {
            CheckKind::GithubToken => "your GitHub token works",
            CheckKind::KubePods => "you can list pods",
            CheckKind::Alertmanager => "Alertmanager is reachable",
            CheckKind::CatalogGroup => "you belong to a Group that owns a service",
            CheckKind::CiRun => "CI has a run triggered by you",
            CheckKind::Deployed => "you deployed",
            CheckKind::RunbookOpened => "you opened a runbook of your team's service",
        }
    }
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub ok: bool,
    /// What was seen: `signed in as jdoe`, `403 Forbidden listing pods in payments`.
    pub found: String,
    /// When it failed: the exact next thing to do.
    pub next: Option<String>,
    pub at: DateTime<Utc>,
    /// For `deployed`: when that deployment was created (the time to first deploy ends there).
    #[serde(default)]
    pub event_at: Option<DateTime<Utc>>,
}

/// What survives a restart, saved in the platform data dir.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// When the user first saw the path.
    pub started_at: Option<DateTime<Utc>>,
    /// Steps done, by id, with when: ticked by hand or verified.
    #[serde(default)]
    pub done: BTreeMap<String, DateTime<Utc>>,
    /// When the first deployment by the user was created.
    #[serde(default)]
    pub first_deploy_at: Option<DateTime<Utc>>,
    /// The first-launch tour was finished or skipped.
    #[serde(default)]
    pub tour_done: bool,
}

impl Progress {
    /// How long since the path was started, and the time to first deploy once there is one.
    pub fn elapsed(
        &self,
        now: DateTime<Utc>,
    ) -> (Option<chrono::Duration>, Option<chrono::Duration>) {
        (
            self.started_at.map(|s| now - s),
            self.started_at
                .zip(self.first_deploy_at)
                .map(|(s, d)| d - s),
        )
    }
}

/// A row of the onboarding list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Phase(usize),
    Step { phase: usize, step: usize },
}

/// One page of the first-launch tour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TourPage {
    pub title: &'static str,
    pub lines: &'static [&'static str],
}

/// The tour: what each panel is and the keys that matter. Key names here are the defaults; the
/// view adds the live keymap's keys where they differ.
pub const TOUR: &[TourPage] = &[
    TourPage {
        title: "Welcome to flightdeck",
        lines: &[
            "One screen for your services, their CI, their pods, their alerts and their docs.",
            "This tour takes a minute. Enter or → next, ← back, Esc or any other key closes it;",
            "replay it any time from the palette (:) with \"tour\".",
        ],
    },
    TourPage {
        title: "The tabs",
        lines: &[
            "1 Overview: every service, worst first: CI, deploys, pods, alerts, docs.",
            "2 Pipelines: CI runs and deploys. 3 Workloads: pods, logs, events.",
            "4 Alerts: what is firing, silences. 5 Docs: runbooks and TechDocs.",
            "6 Onboarding: your path, with steps the cockpit checks for you.",
        ],
    },
    TourPage {
        title: "Moving around",
        lines: &[
            "j/k or arrows move, g/G top and bottom, Enter opens, Esc goes back.",
            "Tab switches panels (on Docs: the tree and the page).",
            "/ filters the list in place; : jumps anywhere: screens, services, pods, docs headings.",
        ],
    },
    TourPage {
        title: "Acting safely",
        lines: &[
            "l logs, s silence, R re-run failed jobs, y copy, o open in a browser, e edit.",
            "Anything that changes something elsewhere asks first and shows what it will do;",
            "--read-only refuses it all. The status bar says which source is stale or failing.",
        ],
    },
    TourPage {
        title: "Practise on the demo",
        lines: &[
            "flightdeck --demo runs a simulated organisation: a bad deploy of payments-api",
            "makes its pods crash-loop and alerts fire; a fix resolves it every 30 minutes.",
            "Triage it: Alerts → the alert → its runbook (Docs) → the pods → the deploy.",
        ],
    },
];

/// Each step's laid-out text, by step id.
pub(crate) type StepTexts = Vec<(String, Vec<markdown::Line>)>;

/// A source as zero config found it, started with no config file in a repository with a
/// descriptor: what was found, or how to add it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundSource {
    pub source: String,
    /// `None`: not configured.
    pub found: Option<String>,
    pub how: String,
}

/// What the cockpit knows about onboarding.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OnboardingState {
    /// Started without a config file: each source the repository gave, found or not. The
    /// Onboarding screen lists them, so they are not only on stderr.
    pub found: Vec<FoundSource>,
    pub path: Option<PathSpec>,
    /// Where the path came from: `the config`, or a file.
    pub source: Option<String>,
    /// The onboarding.yaml named by the catalog, once asked for, so it is read once.
    pub catalog_file: Option<String>,
    /// A path that failed to load, and why.
    pub error: Option<String>,
    /// Phases and steps in order, for the list.
    pub rows: Vec<Row>,
    /// The latest result of each verified step, by id.
    pub results: BTreeMap<String, CheckResult>,
    /// Steps whose check is under way.
    pub checking: BTreeSet<String>,
    pub progress: Progress,
    /// The saved progress has been read (until then nothing is saved over it).
    pub progress_loaded: bool,
    /// How many docs pages had been opened when the runbook checks last looked, so opening
    /// another re-runs them.
    pub opened_seen: usize,
    /// Every step's text laid out for the detail panel's width: (width, [(step id, lines)]).
    pub detail: Option<(u16, StepTexts)>,
}

impl OnboardingState {
    pub fn step(&self, phase: usize, step: usize) -> Option<&StepSpec> {
        self.path.as_ref()?.phases.get(phase)?.steps.get(step)
    }

    pub fn is_done(&self, id: &str) -> bool {
        self.progress.done.contains_key(id)
    }

    /// (done, total) steps.
    pub fn counts(&self) -> (usize, usize) {
        let Some(path) = &self.path else {
            return (0, 0);
        };
        let steps = path.phases.iter().flat_map(|p| &p.steps);
        let total = steps.clone().count();
        (steps.filter(|s| self.is_done(&s.id)).count(), total)
    }
}

/// Width of the step list panel; the detail panel gets the rest.
pub fn list_width(width: u16) -> u16 {
    (width * 2 / 5).clamp(28, 50)
}

/// Cells of the detail panel's text.
pub(crate) fn detail_width(width: u16) -> u16 {
    width.saturating_sub(list_width(width) + 2).max(20)
}
