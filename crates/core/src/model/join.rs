//! The join's contract: what each domain (pipelines, workloads, alerts, docs) says about one
//! service, keyed by the service's catalog ref (`component:default/payments-api`), and what the
//! catalog tells each provider to watch. The Overview and Service screens read only these, so
//! domains can change inside without breaking the join.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::source::SourceId;

/// The state of a CI run or deployment, normalised across GitHub and GitLab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RunState {
    Queued,
    Running,
    Success,
    Failure,
    Cancelled,
    Skipped,
    /// Anything else a provider reports (waiting, manual, action_required, ...).
    Other,
}

impl RunState {
    pub fn is_done(self) -> bool {
        matches!(
            self,
            RunState::Success | RunState::Failure | RunState::Cancelled | RunState::Skipped
        )
    }
}

/// The latest default-branch CI run of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CiSummary {
    pub state: RunState,
    pub workflow: String,
    pub branch: String,
    /// When it started (or was created, while queued).
    pub at: DateTime<Utc>,
    pub source: SourceId,
}

/// What runs in an environment (production first) and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploySummary {
    pub environment: String,
    /// Short sha or tag.
    pub version: String,
    pub state: RunState,
    pub since: DateTime<Utc>,
    pub source: SourceId,
}

/// A service's pods across the watched contexts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodSummary {
    pub ready: usize,
    pub total: usize,
    pub restarts_last_hour: u32,
    /// The reason that matters most (CrashLoopBackOff, OOMKilled, ImagePullBackOff, Pending).
    pub worst: Option<String>,
}

/// Firing alerts of a service by severity (silenced and inhibited ones not counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertSummary {
    pub critical: usize,
    pub warning: usize,
    pub other: usize,
}

impl AlertSummary {
    pub fn total(&self) -> usize {
        self.critical + self.warning + self.other
    }
}

/// Something that changed a service: a deploy or a CI run. The alert detail marks the newest
/// change before an alert started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub at: DateTime<Utc>,
    pub kind: ChangeKind,
    /// One line: `deploy 3f2a1c9 to production by asingh`, `ci #42 failure on main`.
    pub label: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeKind {
    Deploy,
    Run,
}

/// Where the workloads of a service are found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubeTarget {
    /// A label selector: `backstage.io/kubernetes-label-selector`, else
    /// `backstage.io/kubernetes-id=<id>`.
    pub selector: String,
    /// `backstage.io/kubernetes-namespace`, else every namespace the config allows.
    pub namespace: Option<String>,
}

/// What the catalog tells the providers about one service: the join keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceTarget {
    /// Catalog ref, `component:default/payments-api`: the key of every summary.
    pub service: String,
    /// The entity's name, which alerts carry in their `service` label by default.
    pub name: String,
    /// `github.com/project-slug`: `org/repo`.
    pub github: Option<String>,
    /// `gitlab.com/project-slug` or `gitlab.com/project-id`.
    pub gitlab: Option<String>,
    pub kubernetes: Option<KubeTarget>,
    /// `prometheus.io/alert`: alert names that belong to the service (`all` for every one).
    pub alert_names: Vec<String>,
    /// The docs root: a `mkdocs.yml` directory, or the directory holding docs/ or README.md.
    pub docs: Option<PathBuf>,
    /// `flightdeck.dev/prometheus-<signal>` annotations: the service's own PromQL per
    /// golden signal (signal key, query), read instead of the batched template.
    #[serde(default)]
    pub prometheus: Vec<(String, String)>,
}
