//! Where remote data comes from and how fresh it is. Every piece of remote data carries its
//! source and fetch time, and a failing source keeps its last good data.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The kinds of source the cockpit reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SourceKind {
    Catalog,
    Github,
    Gitlab,
    Kubernetes,
    Alertmanager,
    Prometheus,
    Jira,
    Pagerduty,
}

impl SourceKind {
    pub const ALL: [SourceKind; 8] = [
        SourceKind::Catalog,
        SourceKind::Github,
        SourceKind::Gitlab,
        SourceKind::Kubernetes,
        SourceKind::Alertmanager,
        SourceKind::Prometheus,
        SourceKind::Jira,
        SourceKind::Pagerduty,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SourceKind::Catalog => "catalog",
            SourceKind::Github => "github",
            SourceKind::Gitlab => "gitlab",
            SourceKind::Kubernetes => "kubernetes",
            SourceKind::Alertmanager => "alertmanager",
            SourceKind::Prometheus => "prometheus",
            SourceKind::Jira => "jira",
            SourceKind::Pagerduty => "pagerduty",
        }
    }
}

/// One configured source: a kind and the name the config gives it (an Alertmanager's name, a
/// kube context), so two Alertmanagers are two sources.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SourceId {
    pub kind: SourceKind,
    pub name: String,
}

impl SourceId {
    pub fn new(kind: SourceKind, name: impl Into<String>) -> Self {
        Self {
            kind,
            name: name.into(),
        }
    }

    /// `github`, or `alertmanager:prod` when the name adds something.
    pub fn label(&self) -> String {
        if self.name.is_empty() || self.name == self.kind.label() {
            self.kind.label().to_string()
        } else {
            format!("{}:{}", self.kind.label(), self.name)
        }
    }
}

/// How a source is doing right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FetchState {
    /// Configured, but this build has no provider for it yet.
    Unsupported,
    /// First contact under way.
    Connecting,
    /// The last attempt worked.
    Ok,
    /// The last attempt failed; the last good data (if any) stays on screen.
    Failing {
        error: String,
        since: DateTime<Utc>,
        retry_at: Option<DateTime<Utc>>,
    },
}

/// A source as the status bar shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceStatus {
    pub id: SourceId,
    pub state: FetchState,
    /// When data last arrived from it (live or from the warm-start snapshot).
    pub fetched_at: Option<DateTime<Utc>>,
    /// The data on screen came from the previous run's snapshot, not from the source.
    pub from_snapshot: bool,
    /// After this long without fresh data, the source counts as stale.
    pub stale_after: Duration,
    /// Something the source wants the user to know (rate-limit budget, watched namespaces).
    pub detail: Option<String>,
}

impl SourceStatus {
    pub fn new(id: SourceId, state: FetchState) -> Self {
        Self {
            id,
            state,
            fetched_at: None,
            from_snapshot: false,
            stale_after: Duration::minutes(5),
            detail: None,
        }
    }

    pub fn is_stale(&self, now: DateTime<Utc>) -> bool {
        self.from_snapshot
            || self
                .fetched_at
                .is_some_and(|at| now - at > self.stale_after)
    }
}

/// Data fetched from a source, with when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fetched<T> {
    pub value: T,
    pub fetched_at: DateTime<Utc>,
}

/// Remote data: what we last had, and the state of getting more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Remote<T> {
    pub last: Option<Fetched<T>>,
    pub state: FetchState,
}

impl<T> Default for Remote<T> {
    fn default() -> Self {
        Self {
            last: None,
            state: FetchState::Connecting,
        }
    }
}

impl<T> Remote<T> {
    pub fn value(&self) -> Option<&T> {
        self.last.as_ref().map(|f| &f.value)
    }

    /// New data arrived: it replaces the last and the source is healthy.
    pub fn arrived(&mut self, value: T, at: DateTime<Utc>) {
        self.last = Some(Fetched {
            value,
            fetched_at: at,
        });
        self.state = FetchState::Ok;
    }

    /// A fetch failed: the last good data stays.
    pub fn failed(&mut self, error: String, at: DateTime<Utc>, retry_at: Option<DateTime<Utc>>) {
        let since = match &self.state {
            FetchState::Failing { since, .. } => *since,
            _ => at,
        };
        self.state = FetchState::Failing {
            error,
            since,
            retry_at,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_keeps_the_last_good_data_and_first_failure_time() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let mut r = Remote::default();
        r.arrived(vec![1, 2, 3], t0);
        r.failed("502".into(), t0 + Duration::seconds(10), None);
        r.failed("timeout".into(), t0 + Duration::seconds(20), None);
        assert_eq!(r.value(), Some(&vec![1, 2, 3]));
        assert_eq!(
            r.state,
            FetchState::Failing {
                error: "timeout".into(),
                since: t0 + Duration::seconds(10),
                retry_at: None
            }
        );
    }

    #[test]
    fn labels_name_the_instance_only_when_it_adds_something() {
        assert_eq!(
            SourceId::new(SourceKind::Github, "github").label(),
            "github"
        );
        assert_eq!(
            SourceId::new(SourceKind::Alertmanager, "prod").label(),
            "alertmanager:prod"
        );
    }
}
