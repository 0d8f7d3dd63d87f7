//! GitHub's REST shapes, as much of them as the cockpit reads; unknown fields are ignored, so
//! the published examples and newer servers decode alike.

use chrono::{DateTime, Utc};
use flightdeck_core::model::pipelines::pulls::Checks;
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

/// A label as an issue carries it.
#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    pub name: String,
}

/// An issue from `GET /repos/{owner}/{repo}/issues`; pull requests are in that list too, with
/// `pull_request` set.
#[derive(Debug, Clone, Deserialize)]
pub struct Issue {
    pub number: u64,
    pub title: String,
    pub state: String,
    #[serde(default)]
    pub body: Option<String>,
    pub user: Option<User>,
    #[serde(default)]
    pub assignees: Vec<User>,
    #[serde(default)]
    pub assignee: Option<User>,
    #[serde(default)]
    pub labels: Vec<Label>,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    pub html_url: Option<String>,
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
}

/// A comment from `GET /repos/{owner}/{repo}/issues/{number}/comments`.
#[derive(Debug, Clone, Deserialize)]
pub struct IssueComment {
    pub user: Option<User>,
    #[serde(default)]
    pub body: Option<String>,
    pub created_at: DateTime<Utc>,
}

// Pull requests (`GET /repos/{o}/{r}/pulls`, a PR, its reviews, its head's checks), and what the
// PR poller keeps of each between polls.

#[derive(Debug, Clone, Deserialize)]
pub struct Ref {
    #[serde(rename = "ref", default)]
    pub git_ref: String,
    #[serde(default)]
    pub sha: String,
}

/// An item of `GET /repos/{o}/{r}/pulls`.
#[derive(Debug, Clone, Deserialize)]
pub struct PullItem {
    pub number: u64,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub user: Option<User>,
    pub head: Ref,
    pub base: Ref,
    #[serde(default)]
    pub draft: Option<bool>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub requested_reviewers: Vec<User>,
}

/// What only the single PR carries.
#[derive(Debug, Clone, Deserialize)]
pub struct PullDetail {
    #[serde(default)]
    pub mergeable: Option<bool>,
    #[serde(default)]
    pub mergeable_state: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReviewItem {
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub state: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckRun {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub conclusion: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckRunList {
    #[serde(default)]
    pub total_count: u64,
    #[serde(default)]
    pub check_runs: Vec<CheckRun>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StatusItem {
    #[serde(default)]
    pub state: String,
}

/// `GET /repos/{o}/{r}/commits/{ref}/status`.
#[derive(Debug, Clone, Deserialize)]
pub struct CombinedStatus {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub statuses: Vec<StatusItem>,
}

/// What the poller remembers of one PR between polls.
#[derive(Debug, Clone)]
pub struct PullCache {
    pub item: PullItem,
    /// Asked again when `item.updated_at` moves.
    pub seen_update: Option<DateTime<Utc>>,
    pub detail: Option<PullDetail>,
    pub reviews: Vec<(String, String)>,
    /// The head the checks were counted for.
    pub checks_sha: String,
    pub checks: Checks,
}
