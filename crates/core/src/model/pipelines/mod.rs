//! Pipelines: CI runs, jobs, deployments and job logs from GitHub Actions and GitLab CI, as the
//! providers decoded them (already sanitised), plus what the Pipelines screen derives from them:
//! the filtered and sorted rows, the per-service summaries the Overview joins, the run detail,
//! the log view and the dispatch form. Pure data and pure functions.

pub mod pulls;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::cursor::Cursor;
use super::input::TextInput;
use super::join::{Change, ChangeKind, CiSummary, DeploySummary, RunState};
use super::source::{SourceId, SourceKind};
use crate::sanitize::StyledRun;

/// How many log lines the log view keeps; older ones are dropped (the pager says so).
pub const LOG_BUFFER_LINES: usize = 10_000;
/// Changes kept per service for the Service screen and the alert detail.
const CHANGES_PER_SERVICE: usize = 50;
/// Inputs a dispatch form takes (GitHub documented ten for years; more are refused by some
/// servers, so the form stays within the documented number).
pub(crate) const MAX_DISPATCH_INPUTS: usize = 10;

/// Which CI system a run comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Host {
    Github,
    Gitlab,
}

impl Host {
    pub fn label(self) -> &'static str {
        match self {
            Host::Github => "github",
            Host::Gitlab => "gitlab",
        }
    }

    /// The source kind a host's provider reads, as the providers' `kinds` wants it.
    pub fn kinds(self) -> &'static [SourceKind] {
        match self {
            Host::Github => &[SourceKind::Github],
            Host::Gitlab => &[SourceKind::Gitlab],
        }
    }

    pub fn source(self) -> SourceId {
        match self {
            Host::Github => SourceId::new(SourceKind::Github, "github"),
            Host::Gitlab => SourceId::new(SourceKind::Gitlab, "gitlab"),
        }
    }
}

/// Names one run everywhere: the host, the repository (`org/repo`, or a GitLab project path
/// or id) and the run's (pipeline's) id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RunKey {
    pub host: Host,
    pub repo: String,
    pub id: u64,
}

/// A workflow run (GitHub) or pipeline (GitLab).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    pub key: RunKey,
    /// The catalog ref of the service the repository belongs to.
    pub service: String,
    /// The service's short name, as the table shows it.
    pub service_name: String,
    pub number: u64,
    pub workflow: String,
    /// What dispatching this workflow again names: the workflow file (`ci.yml`) or id.
    pub workflow_ref: String,
    pub branch: String,
    pub event: String,
    pub actor: String,
    /// The host's own words: `in_progress`, `completed`, `running`, ...
    pub status: String,
    pub conclusion: Option<String>,
    pub state: RunState,
    pub attempt: u32,
    pub created: DateTime<Utc>,
    pub started: Option<DateTime<Utc>>,
    pub updated: DateTime<Utc>,
    /// When it ended, once it has.
    pub finished: Option<DateTime<Utc>>,
    /// The head commit's first line.
    pub title: String,
    pub sha: String,
    pub url: Option<String>,
}

impl Run {
    /// How long it ran, or has been running at `now`.
    pub fn duration(&self, now: DateTime<Utc>) -> Option<Duration> {
        let start = self.started?;
        Some(self.finished.unwrap_or(now) - start)
    }

    /// The commit as people quote it: its first seven hex digits.
    pub fn short_sha(&self) -> &str {
        self.sha.get(..7).unwrap_or(&self.sha)
    }
}

/// One step of a GitHub job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub number: u32,
    pub name: String,
    pub state: RunState,
    pub started: Option<DateTime<Utc>>,
    pub finished: Option<DateTime<Utc>>,
}

/// A job of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub id: u64,
    pub name: String,
    /// GitLab's stage; empty on GitHub.
    pub stage: String,
    pub state: RunState,
    pub status: String,
    pub started: Option<DateTime<Utc>>,
    pub finished: Option<DateTime<Utc>>,
    pub steps: Vec<Step>,
    pub url: Option<String>,
}

/// A deployment with its latest status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    pub id: u64,
    pub environment: String,
    pub sha: String,
    pub git_ref: String,
    pub state: RunState,
    /// The latest status in the host's words (`success`, `inactive`, ...).
    pub status: String,
    pub creator: String,
    pub created: DateTime<Utc>,
    /// When the latest status was set.
    pub updated: DateTime<Utc>,
    pub url: Option<String>,
}

/// A job whose log is asked for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobRef {
    pub run: RunKey,
    pub id: u64,
    pub name: String,
}

/// One line of a job log: plain text (what search runs over) and its colours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub text: String,
    pub runs: Vec<StyledRun>,
}

impl LogLine {
    /// Decodes a raw log line: SGR colours kept as runs, every other control sanitised.
    pub fn decode(raw: &str) -> Self {
        let (text, runs) = crate::sanitize::log_line(raw);
        Self { text, runs }
    }
}

/// The log view of one job: a bounded buffer filled newest first, and a search over it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogView {
    pub job: Option<JobRef>,
    /// Oldest first. At most [`LOG_BUFFER_LINES`].
    pub lines: Vec<LogLine>,
    /// Lines of the log that were never kept, above the first one shown.
    pub dropped: usize,
    /// Every line has arrived.
    pub complete: bool,
    pub error: Option<String>,
    /// First line shown.
    pub top: usize,
    /// Stay at the end as lines arrive (a log opens at its last lines).
    pub follow: bool,
    pub search: TextInput,
    pub searching: bool,
    /// Indices of lines that match the search, ascending.
    pub matches: Vec<usize>,
    /// Index into `matches` of the current one.
    pub current: Option<usize>,
}

impl LogView {
    pub fn new(job: JobRef) -> Self {
        Self {
            job: Some(job),
            follow: true,
            ..Self::default()
        }
    }

    /// Lines older than those held arrived: they go on top, within the buffer's bound.
    /// The newest chunk comes first, so `older` never follows anything already held.
    pub(crate) fn prepend(&mut self, older: Vec<LogLine>, height: usize) {
        let room = LOG_BUFFER_LINES.saturating_sub(self.lines.len());
        let n = older.len();
        let keep = n.min(room);
        self.dropped += n - keep;
        let mut lines: Vec<LogLine> = older.into_iter().skip(n - keep).collect();
        lines.append(&mut self.lines);
        self.lines = lines;
        if self.follow {
            self.top = self.bottom(height);
        } else {
            self.top += keep;
        }
        self.research();
        // The current match keeps pointing at the same line.
    }

    /// The first line of the last page.
    pub fn bottom(&self, height: usize) -> usize {
        self.lines.len().saturating_sub(height.max(1))
    }

    pub fn scroll(&mut self, delta: isize, height: usize) {
        let bottom = self.bottom(height);
        self.top = self.top.saturating_add_signed(delta).min(bottom);
        self.follow = self.top == bottom;
    }

    /// Recomputes the matches of the search text (case-insensitive, on the plain text).
    pub(crate) fn research(&mut self) {
        let needle = self.search.text().to_lowercase();
        let before = self.current.and_then(|i| self.matches.get(i).copied());
        self.matches = if needle.is_empty() {
            Vec::new()
        } else {
            self.lines
                .iter()
                .enumerate()
                .filter(|(_, l)| contains_lower(&l.text, &needle))
                .map(|(i, _)| i)
                .collect()
        };
        self.current = match before {
            Some(line) => self
                .matches
                .iter()
                .position(|m| *m >= line)
                .or(self.matches.len().checked_sub(1)),
            None => None,
        };
    }

    /// Moves to the next (or previous) match and scrolls it into view.
    pub fn jump(&mut self, forward: bool, height: usize) -> bool {
        if self.matches.is_empty() {
            return false;
        }
        let len = self.matches.len();
        let next = match self.current {
            None => {
                // From the top of the screen: the first match at or below it, else wrap.
                let from = self.matches.iter().position(|m| *m >= self.top);
                if forward {
                    from.unwrap_or(0)
                } else {
                    from.map_or(len - 1, |i| (i + len - 1) % len)
                }
            }
            Some(i) if forward => (i + 1) % len,
            Some(i) => (i + len - 1) % len,
        };
        self.current = Some(next);
        let line = self.matches[next];
        let height = height.max(1);
        if line < self.top || line >= self.top + height {
            self.top = line.saturating_sub(height / 2).min(self.bottom(height));
        }
        self.follow = self.top == self.bottom(height);
        true
    }

    /// The text handed to `$PAGER`: every held line, with a note on what was not kept.
    pub(crate) fn pager_text(&self) -> String {
        let mut out = String::new();
        if self.dropped > 0 {
            out.push_str(&format!(
                "[{} earlier lines not kept: the log buffer holds {LOG_BUFFER_LINES}]\n",
                self.dropped
            ));
        }
        for l in &self.lines {
            out.push_str(&l.text);
            out.push('\n');
        }
        out
    }
}

/// The open run: its jobs (fetched on demand) and which one is selected.
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    pub run: RunKey,
    /// `None` until the jobs arrive.
    pub jobs: Option<Vec<Job>>,
    pub cursor: Cursor,
    pub error: Option<String>,
    /// Open the log of the most telling job once the jobs arrive (`l` on the list).
    pub log_when_loaded: bool,
}

/// Which field of the dispatch form has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    Ref,
    Key(usize),
    Value(usize),
}

/// The workflow-dispatch form: the ref and the inputs, as plain text.
#[derive(Debug, Clone, PartialEq)]
pub struct DispatchForm {
    pub host: Host,
    pub repo: String,
    pub service: String,
    pub workflow: String,
    pub workflow_ref: String,
    pub git_ref: TextInput,
    pub inputs: Vec<(TextInput, TextInput)>,
    pub focus: FormField,
    pub error: Option<String>,
}

impl DispatchForm {
    pub fn fields(&self) -> Vec<FormField> {
        let mut f = vec![FormField::Ref];
        for i in 0..self.inputs.len() {
            f.push(FormField::Key(i));
            f.push(FormField::Value(i));
        }
        f
    }

    pub fn focused(&mut self) -> &mut TextInput {
        match self.focus {
            FormField::Key(i) if i < self.inputs.len() => &mut self.inputs[i].0,
            FormField::Value(i) if i < self.inputs.len() => &mut self.inputs[i].1,
            _ => &mut self.git_ref,
        }
    }

    /// Keeps exactly one empty input row at the end (up to the maximum), so there is always
    /// room for one more without a key to add it.
    pub(crate) fn tidy(&mut self) {
        while self.inputs.len() > 1
            && self
                .inputs
                .iter()
                .rev()
                .take(2)
                .all(|(k, v)| k.is_empty() && v.is_empty())
        {
            self.inputs.pop();
        }
        let last_used = self
            .inputs
            .last()
            .is_none_or(|(k, v)| !k.is_empty() || !v.is_empty());
        if last_used && self.inputs.len() < MAX_DISPATCH_INPUTS {
            self.inputs
                .push((TextInput::default(), TextInput::default()));
        }
        let max = self.inputs.len().saturating_sub(1);
        self.focus = match self.focus {
            FormField::Key(i) => FormField::Key(i.min(max)),
            FormField::Value(i) => FormField::Value(i.min(max)),
            f => f,
        };
    }

    /// The inputs as the API takes them; an error names what is wrong.
    pub fn values(&self) -> Result<(String, Vec<(String, String)>), String> {
        let git_ref = self.git_ref.text().trim().to_string();
        if git_ref.is_empty() {
            return Err("the ref (branch, tag or sha) is empty".into());
        }
        let mut inputs: Vec<(String, String)> = Vec::new();
        for (k, v) in &self.inputs {
            let key = k.text().trim();
            if key.is_empty() {
                if !v.is_empty() {
                    return Err(format!("the value `{}` has no input name", v.text()));
                }
                continue;
            }
            if inputs.iter().any(|(seen, _)| seen == key) {
                return Err(format!("the input `{key}` is given twice"));
            }
            inputs.push((key.to_string(), v.text().to_string()));
        }
        Ok((git_ref, inputs))
    }
}

/// What the pipelines providers should poll, as `update` last told them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Watch {
    /// A screen showing every service's pipelines is up (Overview, Pipelines).
    pub all: bool,
    /// Services polled even when not shown: the open run's and those with a run the user
    /// started here, until it ends.
    pub pinned: BTreeSet<String>,
    /// The open run, whose jobs are polled while it runs.
    pub run: Option<RunKey>,
    /// The pull-request view is up: poll the open PRs too.
    pub pulls: bool,
    /// The PR whose runs are shown, with its head branch.
    pub pull: Option<(pulls::PullKey, String)>,
}

/// `/` filter terms of the Pipelines screen: `status:failure branch:main actor:me workflow:ci
/// service:pay` and plain words, all of which must match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    pub status: Vec<String>,
    pub branch: Vec<String>,
    pub actor: Vec<String>,
    pub workflow: Vec<String>,
    pub service: Vec<String>,
    pub host: Vec<String>,
    pub words: Vec<String>,
}

impl Filter {
    pub fn parse(text: &str) -> Self {
        let mut f = Filter::default();
        for term in text.split_whitespace() {
            let lower = term.to_lowercase();
            let (field, value) = match lower.split_once(':') {
                Some((k, v)) if !v.is_empty() => (k.to_string(), v.to_string()),
                _ => (String::new(), lower.clone()),
            };
            match field.as_str() {
                "status" | "state" | "is" => f.status.push(value),
                "branch" | "ref" => f.branch.push(value),
                "actor" | "by" | "user" => f.actor.push(value),
                "workflow" | "wf" => f.workflow.push(value),
                "service" | "svc" | "repo" => f.service.push(value),
                "host" => f.host.push(value),
                _ => f.words.push(lower),
            }
        }
        f
    }

    /// Whether `run` passes; `me` are the names that `actor:me` stands for.
    pub fn matches(&self, run: &Run, me: &[String]) -> bool {
        let any = |wanted: &[String], test: &dyn Fn(&str) -> bool| {
            wanted.is_empty() || wanted.iter().any(|w| test(w))
        };
        any(&self.status, &|w| status_matches(run, w))
            && any(&self.branch, &|w| contains_lower(&run.branch, w))
            && any(&self.actor, &|w| {
                if w == "me" {
                    me.iter().any(|m| m.eq_ignore_ascii_case(&run.actor))
                } else {
                    contains_lower(&run.actor, w)
                }
            })
            && any(&self.workflow, &|w| {
                contains_lower(&run.workflow, w) || contains_lower(&run.workflow_ref, w)
            })
            && any(&self.service, &|w| {
                contains_lower(&run.service_name, w) || contains_lower(&run.key.repo, w)
            })
            && any(&self.host, &|w| run.key.host.label() == w)
            && self.words.iter().all(|w| {
                [
                    &run.service_name,
                    &run.workflow,
                    &run.branch,
                    &run.actor,
                    &run.title,
                    &run.key.repo,
                ]
                .iter()
                .any(|field| contains_lower(field, w))
                    || status_matches(run, w)
            })
    }
}

/// `failure`, `failed`, `success`, `running`, `queued`, `cancelled` (either spelling),
/// `skipped`, `done`, or the host's own status or conclusion word.
fn status_matches(run: &Run, wanted: &str) -> bool {
    if wanted == "done" || wanted == "completed" || wanted == "finished" {
        return run.state.is_done();
    }
    status_matches_state(run.state, wanted)
        || run.status == wanted
        || run.conclusion.as_deref() == Some(wanted)
}

/// Whether `state` is what a `status:` word names (`failure`, `running`, `done`, ...).
pub(crate) fn status_matches_state(state: RunState, wanted: &str) -> bool {
    let named = match wanted {
        "failure" | "failed" | "fail" | "red" => Some(RunState::Failure),
        "success" | "passed" | "ok" | "green" => Some(RunState::Success),
        "running" | "in_progress" | "active" => Some(RunState::Running),
        "queued" | "pending" | "waiting" => Some(RunState::Queued),
        "cancelled" | "canceled" => Some(RunState::Cancelled),
        "skipped" => Some(RunState::Skipped),
        "done" | "completed" | "finished" => return state.is_done(),
        _ => None,
    };
    named == Some(state)
}

pub(crate) fn contains_lower(hay: &str, needle_lower: &str) -> bool {
    if hay.is_ascii() && needle_lower.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle_lower.as_bytes());
        n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
    } else {
        hay.to_lowercase().contains(needle_lower)
    }
}

/// The short word and the sort rank of a state: failures first when sorting by attention.
pub fn state_word(state: RunState) -> &'static str {
    match state {
        RunState::Queued => "queued",
        RunState::Running => "running",
        RunState::Success => "success",
        RunState::Failure => "failure",
        RunState::Cancelled => "cancelled",
        RunState::Skipped => "skipped",
        RunState::Other => "other",
    }
}

fn attention(state: RunState) -> u8 {
    match state {
        RunState::Failure => 0,
        RunState::Running => 1,
        RunState::Queued => 2,
        RunState::Other => 3,
        RunState::Cancelled => 4,
        RunState::Success => 5,
        RunState::Skipped => 6,
    }
}

/// Runs and deployments of one repository, as last fetched.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RepoData {
    pub runs: Vec<Run>,
    pub deployments: Vec<Deployment>,
    pub service: String,
    pub fetched_at: Option<DateTime<Utc>>,
}

/// What the cockpit knows about pipelines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PipelinesState {
    /// By host and repository.
    pub repos: BTreeMap<(Host, String), RepoData>,
    /// Every run of every repository, newest first.
    pub runs: Vec<Run>,
    /// Indices into `runs` of the rows shown, in the order shown.
    pub visible: Vec<usize>,
    /// Only runs whose actor is the user.
    pub mine: bool,
    /// Failing runs first, then running, then the rest; newest first within each.
    pub failing_first: bool,
    /// The user's login on each host, from its `/user`.
    pub logins: BTreeMap<Host, String>,
    /// The catalog's name for the user (`user:default/jdoe` → `jdoe`).
    pub me_name: Option<String>,
    pub detail: Option<Detail>,
    pub log: Option<LogView>,
    pub form: Option<DispatchForm>,
    /// Services pinned by an action the user took here.
    pub pinned: BTreeSet<String>,
    /// What the providers were last told to poll.
    pub watched: Option<Watch>,
    /// The pull-request view.
    pub prs: pulls::PullsState,
    ci: BTreeMap<String, CiSummary>,
    deploys: BTreeMap<String, DeploySummary>,
    changes: BTreeMap<String, Vec<Change>>,
    /// The services whose CI or deploy summary moved since [`Self::take_moved_summaries`]:
    /// the Overview joins again only their rows.
    moved_summaries: BTreeSet<String>,
}

impl PipelinesState {
    /// The services (catalog refs) whose CI or deploy summary changed since this was last asked.
    pub fn take_moved_summaries(&mut self) -> BTreeSet<String> {
        std::mem::take(&mut self.moved_summaries)
    }

    /// The latest default-branch CI run of `service` (a catalog ref).
    pub(crate) fn ci_summary(&self, service: &str) -> Option<&super::join::CiSummary> {
        self.ci.get(service)
    }

    /// What runs in production (else the newest environment) for `service`.
    pub(crate) fn deploy_summary(&self, service: &str) -> Option<&super::join::DeploySummary> {
        self.deploys.get(service)
    }

    /// Deploys and runs of `service`, newest first.
    pub fn changes(&self, service: &str) -> &[super::join::Change] {
        self.changes.get(service).map_or(&[], Vec::as_slice)
    }

    /// Names `actor:me` and "my runs" stand for.
    pub fn me(&self) -> Vec<String> {
        let mut me: Vec<String> = self.logins.values().cloned().collect();
        me.extend(self.me_name.clone());
        me
    }

    pub fn run(&self, key: &RunKey) -> Option<&Run> {
        self.repos
            .get(&(key.host, key.repo.clone()))?
            .runs
            .iter()
            .find(|r| &r.key == key)
    }

    /// The run of the selected row.
    pub fn selected(&self, cursor: Cursor) -> Option<&Run> {
        self.visible
            .get(cursor.selected)
            .and_then(|i| self.runs.get(*i))
    }

    /// Rebuilds the merged run list and every summary of `service` after its data changed.
    pub fn rebuild(&mut self, services: &[String]) {
        let mut runs: Vec<Run> = self
            .repos
            .values()
            .flat_map(|r| r.runs.iter().cloned())
            .collect();
        // The open PR's runs, fetched for it, join the list unless a poll already brought them;
        // those kept from a PR no longer open do not.
        let open = self.prs.scope.as_ref().map(|p| &p.key);
        if open.is_some() && open == self.prs.runs_of.as_ref() {
            let known: BTreeSet<RunKey> = runs.iter().map(|r| r.key.clone()).collect();
            runs.extend(
                self.prs
                    .runs
                    .iter()
                    .filter(|r| !known.contains(&r.key))
                    .cloned(),
            );
        }
        runs.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.key.cmp(&a.key)));
        self.runs = runs;
        for service in services {
            self.summarise(service);
        }
    }

    /// When `service`'s first production deployment created at or after `since` succeeded, among
    /// the deployments the pollers hold (a golden path's "in production"; older ones are the
    /// delivery history's).
    pub fn first_production_success(
        &self,
        service: &str,
        since: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        self.repos
            .values()
            .filter(|r| r.service == service)
            .flat_map(|r| r.deployments.iter())
            .filter(|d| {
                matches!(
                    d.environment.to_lowercase().as_str(),
                    "production" | "prod" | "live"
                )
            })
            .filter(|d| d.created >= since && d.state == RunState::Success)
            .map(|d| d.updated)
            .min()
    }

    fn summarise(&mut self, service: &str) {
        let repos: Vec<&RepoData> = self
            .repos
            .values()
            .filter(|r| r.service == service)
            .collect();
        let source = |host: Host| host.source();
        // CI: the newest run on a default-looking branch, preferring workflows that are not
        // deploys (the Deploy column says those).
        let candidates = || repos.iter().flat_map(|r| r.runs.iter());
        let on_default =
            |r: &&Run| matches!(r.branch.as_str(), "main" | "master" | "trunk" | "develop");
        let not_deploy = |r: &&Run| !r.workflow.to_lowercase().contains("deploy");
        let newest =
            |it: &mut dyn Iterator<Item = &Run>| it.max_by_key(|r| (r.created, r.key.id)).cloned();
        let ci_run = newest(&mut candidates().filter(on_default).filter(not_deploy))
            .or_else(|| newest(&mut candidates().filter(on_default)))
            .or_else(|| newest(&mut candidates()));
        let ci = ci_run.map(|r| CiSummary {
            state: r.state,
            workflow: r.workflow.clone(),
            branch: r.branch.clone(),
            at: r.started.unwrap_or(r.created),
            source: source(r.key.host),
        });
        // Deploy: production's newest deployment, else the newest of any environment.
        let deployments = || {
            repos
                .iter()
                .flat_map(|r| r.deployments.iter().map(move |d| (r, d)))
        };
        let is_prod = |e: &str| matches!(e.to_lowercase().as_str(), "production" | "prod" | "live");
        let pick = deployments()
            .filter(|(_, d)| is_prod(&d.environment))
            .max_by_key(|(_, d)| (d.created, d.id))
            .or_else(|| deployments().max_by_key(|(_, d)| (d.created, d.id)));
        let deploy = pick.map(|(repo, d)| DeploySummary {
            environment: d.environment.clone(),
            version: d.sha.get(..7).unwrap_or(&d.sha).to_string(),
            state: d.state,
            since: d.updated,
            source: source(repo.runs.first().map_or(Host::Github, |r| r.key.host)),
        });
        let mut changes: Vec<Change> = Vec::new();
        for r in &repos {
            for d in &r.deployments {
                changes.push(Change {
                    at: d.created,
                    kind: ChangeKind::Deploy,
                    label: format!(
                        "deploy {} to {} by {} ({})",
                        d.sha.get(..7).unwrap_or(&d.sha),
                        d.environment,
                        d.creator,
                        d.status
                    ),
                    url: d.url.clone(),
                });
            }
            for run in &r.runs {
                changes.push(Change {
                    at: run.started.unwrap_or(run.created),
                    kind: ChangeKind::Run,
                    label: format!(
                        "{} #{} {} on {} ({})",
                        run.workflow,
                        run.number,
                        state_word(run.state),
                        run.branch,
                        run.short_sha()
                    ),
                    url: run.url.clone(),
                });
            }
        }
        changes.sort_by_key(|c| std::cmp::Reverse(c.at));
        changes.truncate(CHANGES_PER_SERVICE);
        if changes.is_empty() {
            self.changes.remove(service);
        } else {
            self.changes.insert(service.to_string(), changes);
        }
        if self.ci.get(service) != ci.as_ref() || self.deploys.get(service) != deploy.as_ref() {
            self.moved_summaries.insert(service.to_string());
        }
        match ci {
            Some(ci) => self.ci.insert(service.to_string(), ci),
            None => self.ci.remove(service),
        };
        match deploy {
            Some(deploy) => self.deploys.insert(service.to_string(), deploy),
            None => self.deploys.remove(service),
        };
    }

    /// Recomputes the rows shown from the filter text, "my runs" and the sort.
    pub fn refilter(&mut self, filter_text: &str) {
        let filter = Filter::parse(filter_text);
        let me = self.me();
        let mine = self.mine;
        let scope = self.prs.scope.as_ref();
        let mut visible: Vec<usize> = self
            .runs
            .iter()
            .enumerate()
            .filter(|(_, r)| scope.is_none_or(|p| p.owns(r)))
            .filter(|(_, r)| !mine || me.iter().any(|m| m.eq_ignore_ascii_case(&r.actor)))
            .filter(|(_, r)| filter.matches(r, &me))
            .map(|(i, _)| i)
            .collect();
        if self.failing_first {
            // Stable: newest first within each state.
            visible.sort_by_key(|i| self.runs.get(*i).map_or(u8::MAX, |r| attention(r.state)));
        }
        self.visible = visible;
        self.prs.refilter(filter_text, &me, mine);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(s: &str) -> LogLine {
        LogLine {
            text: s.into(),
            runs: vec![],
        }
    }

    #[test]
    fn the_log_buffer_keeps_the_newest_lines_within_its_bound() {
        let mut v = LogView::new(JobRef {
            run: RunKey {
                host: Host::Github,
                repo: "a/b".into(),
                id: 1,
            },
            id: 2,
            name: "test".into(),
        });
        v.prepend(
            (0..LOG_BUFFER_LINES - 10)
                .map(|i| line(&format!("new {i}")))
                .collect(),
            20,
        );
        v.prepend((0..30).map(|i| line(&format!("old {i}"))).collect(), 20);
        assert_eq!(v.lines.len(), LOG_BUFFER_LINES);
        assert_eq!(v.dropped, 20);
        assert_eq!(
            v.lines[0].text, "old 20",
            "the newest of the older lines are kept"
        );
        assert_eq!(v.top, v.bottom(20), "following the end");
        assert!(v.pager_text().starts_with("[20 earlier lines not kept"));
    }

    #[test]
    fn search_jumps_and_wraps() {
        let mut v = LogView::default();
        v.prepend(
            (0..100)
                .map(|i| line(if i % 30 == 0 { "ERROR here" } else { "fine" }))
                .collect(),
            10,
        );
        v.search
            .apply(crate::model::input::Edit::Paste("error".into()));
        v.research();
        assert_eq!(v.matches, vec![0, 30, 60, 90]);
        v.top = 0;
        assert!(v.jump(true, 10));
        assert_eq!(v.current, Some(0));
        assert!(v.jump(false, 10));
        assert_eq!(
            v.current,
            Some(3),
            "backwards from the first wraps to the last"
        );
        assert!(v.top <= 90 && 90 < v.top + 10, "the match is on screen");
    }

    #[test]
    fn filter_terms_name_fields() {
        let f = Filter::parse("status:failure Branch:main actor:me workflow:ci service:pay flaky");
        assert_eq!(f.status, ["failure"]);
        assert_eq!(f.branch, ["main"]);
        assert_eq!(f.actor, ["me"]);
        assert_eq!(f.workflow, ["ci"]);
        assert_eq!(f.service, ["pay"]);
        assert_eq!(f.words, ["flaky"]);
    }

    #[test]
    fn the_form_keeps_one_empty_row_and_checks_names() {
        let mut form = DispatchForm {
            host: Host::Github,
            repo: "a/b".into(),
            service: "component:default/b".into(),
            workflow: "CI".into(),
            workflow_ref: "ci.yml".into(),
            git_ref: TextInput::default(),
            inputs: vec![],
            focus: FormField::Ref,
            error: None,
        };
        form.tidy();
        assert_eq!(form.inputs.len(), 1);
        assert!(form.values().is_err(), "an empty ref is refused");
        form.git_ref
            .apply(crate::model::input::Edit::Paste("main".into()));
        form.inputs[0]
            .0
            .apply(crate::model::input::Edit::Paste("level".into()));
        form.tidy();
        assert_eq!(form.inputs.len(), 2, "a fresh empty row follows a used one");
        assert_eq!(
            form.values(),
            Ok(("main".into(), vec![("level".into(), String::new())]))
        );
    }
}
