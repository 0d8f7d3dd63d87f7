//! GitLab REST v4 as it travels on the wire: pipelines, jobs, deployments and commits. The sim serves these types and
//! the cockpit's GitLab provider decodes them, so both agree on one definition.
//!
//! Shapes follow GitLab's API docs. Fields that only the single-object endpoints carry (a
//! pipeline's `user`, `duration`, `detailed_status`) are optional, unknown fields are ignored,
//! and a status GitLab adds later decodes as `Unknown` rather than failing the whole list.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::millis;

/// A pipeline's or a job's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Created,
    WaitingForResource,
    Preparing,
    Pending,
    Running,
    Success,
    Failed,
    Canceling,
    Canceled,
    Skipped,
    Manual,
    Scheduled,
    /// A status this client does not know yet.
    #[serde(other)]
    Unknown,
}

impl Status {
    /// Whether nothing more will happen to it.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            Self::Success | Self::Failed | Self::Canceled | Self::Skipped
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::WaitingForResource => "waiting_for_resource",
            Self::Preparing => "preparing",
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Success => "success",
            Self::Failed => "failed",
            Self::Canceling => "canceling",
            Self::Canceled => "canceled",
            Self::Skipped => "skipped",
            Self::Manual => "manual",
            Self::Scheduled => "scheduled",
            Self::Unknown => "unknown",
        }
    }
}

/// A user as pipelines and jobs embed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: u64,
    pub username: String,
    pub name: String,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub avatar_url: Option<String>,
    #[serde(default)]
    pub web_url: Option<String>,
}

/// How GitLab's UI shows a status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailedStatus {
    pub icon: String,
    pub text: String,
    pub label: String,
    pub group: String,
    #[serde(default)]
    pub tooltip: Option<String>,
    #[serde(default)]
    pub has_details: bool,
    #[serde(default)]
    pub details_path: Option<String>,
    #[serde(default)]
    pub illustration: Option<serde_json::Value>,
    #[serde(default)]
    pub favicon: Option<String>,
}

/// A pipeline. The list endpoint sends the first block of fields; the single-pipeline
/// endpoint adds the rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    pub id: u64,
    pub iid: u64,
    pub project_id: u64,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub sha: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub web_url: String,
    #[serde(with = "millis")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "millis")]
    pub updated_at: DateTime<Utc>,

    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_sha: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "millis::option"
    )]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "millis::option"
    )]
    pub finished_at: Option<DateTime<Utc>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "millis::option"
    )]
    pub committed_at: Option<DateTime<Utc>>,
    /// Seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued_duration: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detailed_status: Option<DetailedStatus>,
}

/// The commit a job ran on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobCommit {
    pub id: String,
    pub short_id: String,
    pub title: String,
    pub message: String,
    pub author_name: String,
    pub author_email: String,
    #[serde(with = "millis")]
    pub created_at: DateTime<Utc>,
}

/// The pipeline a job belongs to, as jobs embed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobPipeline {
    pub id: u64,
    pub project_id: u64,
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub sha: String,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Runner {
    pub id: u64,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub is_shared: Option<bool>,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    pub file_type: String,
    pub size: u64,
    pub filename: String,
    #[serde(default)]
    pub file_format: Option<String>,
}

/// A job of a pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: u64,
    pub name: String,
    pub stage: String,
    pub status: Status,
    #[serde(rename = "ref")]
    pub git_ref: String,
    #[serde(default)]
    pub tag: bool,
    #[serde(default)]
    pub allow_failure: bool,
    #[serde(default)]
    pub coverage: Option<f64>,
    #[serde(with = "millis")]
    pub created_at: DateTime<Utc>,
    #[serde(default, with = "millis::option")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, with = "millis::option")]
    pub finished_at: Option<DateTime<Utc>>,
    /// Seconds.
    #[serde(default)]
    pub duration: Option<f64>,
    #[serde(default)]
    pub queued_duration: Option<f64>,
    #[serde(default)]
    pub failure_reason: Option<String>,
    pub commit: JobCommit,
    pub pipeline: JobPipeline,
    pub web_url: String,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub runner: Option<Runner>,
    #[serde(default)]
    pub artifacts: Vec<Artifact>,
    #[serde(default, with = "millis::option")]
    pub artifacts_expire_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub tag_list: Vec<String>,
}

/// The pipeline a deployment's job belongs to, as deployments embed it (no `project_id`, unlike
/// a job's own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployablePipeline {
    pub id: u64,
    pub sha: String,
    #[serde(rename = "ref", default)]
    pub git_ref: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "millis::option"
    )]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "millis::option"
    )]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_url: Option<String>,
}

/// The job that ran a deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployable {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub stage: String,
    pub status: Status,
    #[serde(rename = "ref", default)]
    pub git_ref: String,
    #[serde(default)]
    pub tag: bool,
    #[serde(default, with = "millis::option")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, with = "millis::option")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, with = "millis::option")]
    pub finished_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub duration: Option<f64>,
    #[serde(default)]
    pub commit: Option<JobCommit>,
    pub pipeline: DeployablePipeline,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub web_url: Option<String>,
}

/// An environment as a deployment names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub external_url: Option<String>,
}

/// A deployment (`GET /projects/:id/deployments`). Its `status` is one of created, running,
/// success, failed, canceled, skipped or blocked (the last decodes as `Unknown`). `deployable`
/// is null for a deployment made through the API without a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub id: u64,
    pub iid: u64,
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub sha: String,
    #[serde(with = "millis")]
    pub created_at: DateTime<Utc>,
    #[serde(default, with = "millis::option")]
    pub updated_at: Option<DateTime<Utc>>,
    pub status: Status,
    pub environment: Environment,
    #[serde(default)]
    pub deployable: Option<Deployable>,
    #[serde(default)]
    pub user: Option<User>,
}

/// A commit of a repository (`GET /projects/:id/repository/commits/:sha`): pipelines carry only
/// the sha, so the title comes from here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    pub id: String,
    pub short_id: String,
    pub title: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub author_name: String,
    #[serde(default)]
    pub author_email: String,
    #[serde(default, with = "millis::option")]
    pub authored_date: Option<DateTime<Utc>>,
    #[serde(default, with = "millis::option")]
    pub committed_date: Option<DateTime<Utc>>,
    #[serde(default, with = "millis::option")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub parent_ids: Vec<String>,
    #[serde(default)]
    pub web_url: Option<String>,
}
