//! DORA's five delivery metrics, computed from a service's production deployment history.
//! Pure: the providers fetch deployments, the commits each brought and critical alert starts;
//! this file holds the definitions (docs/metrics.md is their prose) so the cockpit, the Delivery
//! screen and `flightdeck metrics` all count the same way.

pub mod screen;
pub mod trail;

use chrono::{DateTime, Duration, Utc};
use regex::Regex;
use serde::{Deserialize, Serialize};

/// How a deployment ended, by its last status. `Error` is GitHub's `error` and GitLab's
/// `canceled`; both count as failed, as the definitions say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    Error,
}

/// One commit a deployment brought, with the labels of the pull requests that merged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub sha: String,
    /// The first line of the commit message.
    pub title: String,
    pub author: String,
    /// The committer date: where lead time starts.
    pub committed: DateTime<Utc>,
    #[serde(default)]
    pub labels: Vec<String>,
    /// The pull request that merged it, when there is one.
    #[serde(default)]
    pub pull: Option<u64>,
}

/// One production deployment of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    pub id: u64,
    pub sha: String,
    pub creator: String,
    pub created: DateTime<Utc>,
    /// The last status and when it was set; `None` while it has not ended (it counts nowhere).
    pub end: Option<(Outcome, DateTime<Utc>)>,
    /// The commits in it and not in the previous successful production deployment.
    pub changes: Vec<Change>,
}

/// What the definitions leave configurable.
#[derive(Debug, Clone)]
pub struct Rules {
    /// A critical alert starting this long after a deployment ended makes it failed.
    pub alert_within: Duration,
    /// A deployment starting this long after a failed one is rework.
    pub rework_within: Duration,
    /// Commit titles that mark an unplanned fix.
    pub fix_pattern: Regex,
    /// Pull-request labels that mark an unplanned fix (compared without case).
    pub fix_labels: Vec<String>,
}

/// The annotation naming a service's production environment (default `production`).
pub const ENVIRONMENT_ANNOTATION: &str = "flightdeck.dev/production-environment";

/// The default unplanned-fix pattern of the definitions.
pub const DEFAULT_FIX_PATTERN: &str = r"(?i)^(revert|hotfix)\b";

impl Default for Rules {
    fn default() -> Self {
        Self {
            alert_within: Duration::hours(1),
            rework_within: Duration::hours(24),
            // A literal known to compile; an empty never-matching fallback keeps this total.
            fix_pattern: Regex::new(DEFAULT_FIX_PATTERN)
                .unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|_| unreachable!())),
            fix_labels: vec!["hotfix".into(), "incident".into()],
        }
    }
}

impl Rules {
    /// The rules from a config's words: a pattern, labels, and two durations (`1h`, `24h`).
    /// Says which one does not read.
    pub fn from_settings(
        pattern: &str,
        labels: &[String],
        alert_within: &str,
        rework_within: &str,
    ) -> Result<Self, String> {
        let fix_pattern = Regex::new(pattern).map_err(|e| format!("rework_pattern: {e}"))?;
        let span = |name: &str, v: &str| {
            super::alerts::parse_duration(v)
                .ok_or_else(|| format!("{name}: `{v}` is not a duration"))
        };
        Ok(Self {
            alert_within: span("failure_alert_window", alert_within)?,
            rework_within: span("rework_window", rework_within)?,
            fix_pattern,
            fix_labels: labels.to_vec(),
        })
    }
}

/// Why a deployment counts as failed (the first reason that holds, in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failed {
    /// Its last status is `failure` or `error`.
    Status,
    /// The next production deployment put back a version live before it.
    RolledBack,
    /// A critical alert of the service started within `alert_within` after it.
    Alert,
}

/// Why a deployment is rework (an unplanned fix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rework {
    Rollback,
    /// It brought a commit whose title matches the pattern.
    Revert,
    /// It brought a commit of a pull request with a fix label.
    Label,
    /// It started within `rework_within` after a failed deployment.
    AfterFailure,
}

/// What the definitions say about one deployment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Verdict {
    pub failed: Option<Failed>,
    pub rework: Option<Rework>,
    /// For a failed deployment: when the next successful, not failed, deployment succeeded.
    pub recovered: Option<DateTime<Utc>>,
}

/// Classifies every deployment of one service. `deployments` oldest first (by creation);
/// `critical_alerts` the start times of the service's critical alerts, in any order.
pub fn classify(
    deployments: &[Deployment],
    critical_alerts: &[DateTime<Utc>],
    rules: &Rules,
) -> Vec<Verdict> {
    let mut alerts = critical_alerts.to_vec();
    alerts.sort_unstable();
    let mut out: Vec<Verdict> = vec![Verdict::default(); deployments.len()];
    // Versions that were live (succeeded) before each deployment, and the one live last, for
    // rollbacks: kept as the loop goes, so a service's history is read once, not once per
    // deployment.
    let mut live: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
    let mut current: Option<&str> = None;
    let mut rollbacks = vec![false; deployments.len()];
    for (i, d) in deployments.iter().enumerate() {
        let Some((outcome, ended)) = d.end else {
            continue;
        };
        // It puts back a version that was live before the one live when it started, rather
        // than a new version or a redeploy of the live one.
        rollbacks[i] = current.is_some_and(|c| c != d.sha) && live.contains(d.sha.as_str());
        let next = deployments.get(i + 1);
        let rolled_back = next.is_some_and(|n| {
            n.sha != d.sha
                && live.contains(n.sha.as_str())
                && matches!(n.end, Some((Outcome::Success, _)))
        });
        let alerted = outcome == Outcome::Success && {
            let from = alerts.partition_point(|a| *a < ended);
            alerts
                .get(from)
                .is_some_and(|a| *a <= ended + rules.alert_within)
        };
        let v = &mut out[i];
        v.failed = match outcome {
            Outcome::Failure | Outcome::Error => Some(Failed::Status),
            Outcome::Success if rolled_back => Some(Failed::RolledBack),
            Outcome::Success if alerted => Some(Failed::Alert),
            Outcome::Success => None,
        };
        if outcome == Outcome::Success {
            live.insert(d.sha.as_str());
            current = Some(d.sha.as_str());
        }
    }
    // Rework and recovery need the failures first.
    let mut failed_ends: Vec<DateTime<Utc>> = deployments
        .iter()
        .zip(&out)
        .filter(|(_, v)| v.failed.is_some())
        .filter_map(|(d, _)| d.end.map(|(_, at)| at))
        .collect();
    failed_ends.sort_unstable();
    for (i, d) in deployments.iter().enumerate() {
        if d.end.is_none() {
            continue;
        }
        let is_rollback = rollbacks[i];
        // A failure that ended before this one started was created before it too.
        let from = failed_ends.partition_point(|at| *at < d.created - rules.rework_within);
        let after_failure = failed_ends.get(from).is_some_and(|at| *at <= d.created);
        let rework = if is_rollback {
            Some(Rework::Rollback)
        } else if d
            .changes
            .iter()
            .any(|c| rules.fix_pattern.is_match(&c.title))
        {
            Some(Rework::Revert)
        } else if d.changes.iter().any(|c| {
            c.labels
                .iter()
                .any(|l| rules.fix_labels.iter().any(|f| f.eq_ignore_ascii_case(l)))
        }) {
            Some(Rework::Label)
        } else if after_failure {
            Some(Rework::AfterFailure)
        } else {
            None
        };
        out[i].rework = rework;
        if out[i].failed.is_some() {
            out[i].recovered = deployments[i + 1..]
                .iter()
                .zip(&out[i + 1..])
                .find(|(n, nv)| matches!(n.end, Some((Outcome::Success, _))) && nv.failed.is_none())
                .and_then(|(n, _)| n.end.map(|(_, at)| at));
        }
    }
    out
}

/// A half-open span of time: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Window {
    /// The `days` before `end`.
    pub fn last(days: i64, end: DateTime<Utc>) -> Self {
        Self {
            start: end - Duration::days(days),
            end,
        }
    }

    /// The window of the same length just before this one.
    pub fn previous(&self) -> Self {
        Self {
            start: self.start - (self.end - self.start),
            end: self.start,
        }
    }

    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }

    pub fn days(&self) -> f64 {
        (self.end - self.start).num_seconds() as f64 / 86_400.0
    }
}

/// What a window's metrics are computed from; services add into one tally for a rollup.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Ended production deployments created in the window.
    pub deployments: u64,
    pub successful: u64,
    pub failed: u64,
    pub rework: u64,
    pub lead_secs: Vec<i64>,
    pub recovery_secs: Vec<i64>,
    /// Failed deployments with no recovery yet.
    pub unrecovered: u64,
}

impl Tally {
    /// Adds one service's classified deployments that were created in `window`.
    pub fn add(&mut self, deployments: &[Deployment], verdicts: &[Verdict], window: Window) {
        for (d, v) in deployments.iter().zip(verdicts) {
            let Some((outcome, ended)) = d.end else {
                continue;
            };
            if !window.contains(d.created) {
                continue;
            }
            self.deployments += 1;
            if outcome == Outcome::Success {
                self.successful += 1;
                // Lead time: from each brought commit to the success. Computed here, into the
                // one tally, rather than kept per deployment.
                self.lead_secs.extend(
                    d.changes
                        .iter()
                        .map(|c| (ended - c.committed).num_seconds().max(0)),
                );
            }
            if v.failed.is_some() {
                self.failed += 1;
                match v.recovered {
                    Some(at) => self.recovery_secs.push((at - ended).num_seconds().max(0)),
                    None => self.unrecovered += 1,
                }
            }
            if v.rework.is_some() {
                self.rework += 1;
            }
        }
    }

    pub fn metrics(mut self, window: Window) -> Metrics {
        self.lead_secs.sort_unstable();
        self.recovery_secs.sort_unstable();
        let days = window.days().max(f64::MIN_POSITIVE);
        let rate = |n: u64| (self.deployments > 0).then(|| n as f64 / self.deployments as f64);
        Metrics {
            deployments: self.deployments,
            successful_deployments: self.successful,
            failed_deployments: self.failed,
            rework_deployments: self.rework,
            deployments_per_day: self.successful as f64 / days,
            deployments_per_week: self.successful as f64 * 7.0 / days,
            lead_time_median_secs: percentile(&self.lead_secs, 50),
            lead_time_p90_secs: percentile(&self.lead_secs, 90),
            lead_time_changes: self.lead_secs.len() as u64,
            change_failure_rate: rate(self.failed),
            recovery_time_median_secs: percentile(&self.recovery_secs, 50),
            recoveries: self.recovery_secs.len() as u64,
            unrecovered: self.unrecovered,
            rework_rate: rate(self.rework),
        }
    }
}

/// The nearest-rank percentile of sorted values: the smallest value with at least `p`% of the
/// values at or below it (so the median of an even count is the lower middle one).
pub fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (sorted.len() * p as usize).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// The five metrics of one window and the counts behind them. `None` where there is nothing
/// to compute from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    pub deployments: u64,
    pub successful_deployments: u64,
    pub failed_deployments: u64,
    pub rework_deployments: u64,
    pub deployments_per_day: f64,
    pub deployments_per_week: f64,
    pub lead_time_median_secs: Option<i64>,
    pub lead_time_p90_secs: Option<i64>,
    pub lead_time_changes: u64,
    pub change_failure_rate: Option<f64>,
    pub recovery_time_median_secs: Option<i64>,
    pub recoveries: u64,
    pub unrecovered: u64,
    pub rework_rate: Option<f64>,
}

/// DORA's performance bands (Accelerate State of DevOps Report 2023; docs/metrics.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Elite,
    High,
    Medium,
    Low,
}

impl Band {
    pub fn name(self) -> &'static str {
        match self {
            Self::Elite => "elite",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }
}

/// The bands of the four metrics DORA bands; rework rate has none published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Bands {
    pub deployment_frequency: Option<Band>,
    pub lead_time: Option<Band>,
    pub change_failure_rate: Option<Band>,
    pub recovery_time: Option<Band>,
}

const DAY: i64 = 86_400;

impl Metrics {
    pub fn bands(&self) -> Bands {
        let freq = (self.deployments > 0).then(|| {
            let per_day = self.deployments_per_day;
            if per_day >= 1.0 {
                Band::Elite
            } else if per_day * 7.0 >= 1.0 {
                Band::High
            } else if per_day * 30.0 >= 1.0 {
                Band::Medium
            } else {
                Band::Low
            }
        });
        let by_secs = |s: i64, elite: i64, high: i64, medium: i64| {
            if s < elite {
                Band::Elite
            } else if s < high {
                Band::High
            } else if s < medium {
                Band::Medium
            } else {
                Band::Low
            }
        };
        Bands {
            deployment_frequency: freq,
            lead_time: self
                .lead_time_median_secs
                .map(|s| by_secs(s, DAY, 7 * DAY, 30 * DAY)),
            change_failure_rate: self.change_failure_rate.map(|r| {
                if r <= 0.05 {
                    Band::Elite
                } else if r <= 0.10 {
                    Band::High
                } else if r <= 0.15 {
                    Band::Medium
                } else {
                    Band::Low
                }
            }),
            recovery_time: self
                .recovery_time_median_secs
                .map(|s| by_secs(s, 3600, DAY, 7 * DAY)),
        }
    }
}

/// One service's history, classified once; windows are cheap sums over it.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub deployments: Vec<Deployment>,
    pub verdicts: Vec<Verdict>,
}

impl History {
    /// Sorts the deployments oldest first and classifies them.
    pub fn new(
        mut deployments: Vec<Deployment>,
        critical_alerts: &[DateTime<Utc>],
        rules: &Rules,
    ) -> Self {
        deployments.sort_by_key(|d| (d.created, d.id));
        let verdicts = classify(&deployments, critical_alerts, rules);
        Self {
            deployments,
            verdicts,
        }
    }

    pub fn metrics(&self, window: Window) -> Metrics {
        let mut t = Tally::default();
        t.add(&self.deployments, &self.verdicts, window);
        t.metrics(window)
    }
}

/// Rework share from the ticket side: of the tickets resolved in a window, those labelled (or
/// typed) bug or incident, the unplanned work. Offered beside the deployment rework rate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketShare {
    /// Tickets resolved in the window.
    pub resolved: u64,
    /// Of those, bugs and incidents (`Ticket::is_bug`).
    pub rework: u64,
    /// `rework / resolved`; `None` when nothing was resolved.
    pub share: Option<f64>,
}

/// The rework share of `tickets`, each with the time it was resolved.
pub fn ticket_share<'a>(
    tickets: impl IntoIterator<Item = (DateTime<Utc>, &'a super::work::Ticket)>,
    window: Window,
) -> TicketShare {
    let mut out = TicketShare::default();
    for (at, t) in tickets {
        if !window.contains(at) {
            continue;
        }
        out.resolved += 1;
        if t.is_bug() {
            out.rework += 1;
        }
    }
    out.share = (out.resolved > 0).then(|| out.rework as f64 / out.resolved as f64);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default()
            + Duration::hours(h)
    }

    fn change(title: &str, at: i64) -> Change {
        Change {
            sha: format!("c{at}"),
            title: title.into(),
            author: "jdoe".into(),
            committed: t(at),
            labels: vec![],
            pull: None,
        }
    }

    /// A deployment of `sha` created at hour `h`, ending an hour later as `outcome`.
    fn dep(id: u64, sha: &str, h: i64, outcome: Outcome, changes: Vec<Change>) -> Deployment {
        Deployment {
            id,
            sha: sha.into(),
            creator: "jdoe".into(),
            created: t(h),
            end: Some((outcome, t(h + 1))),
            changes,
        }
    }

    fn ok(id: u64, sha: &str, h: i64) -> Deployment {
        dep(id, sha, h, Outcome::Success, vec![])
    }

    fn window() -> Window {
        Window {
            start: t(0),
            end: t(24 * 30),
        }
    }

    #[test]
    fn a_failure_or_error_status_fails_and_the_next_clean_success_recovers() {
        let d = vec![
            ok(1, "a", 0),
            dep(2, "b", 48, Outcome::Failure, vec![]),
            dep(3, "b", 50, Outcome::Error, vec![]),
            ok(4, "c", 100),
        ];
        let h = History::new(d, &[], &Rules::default());
        assert_eq!(h.verdicts[1].failed, Some(Failed::Status));
        assert_eq!(h.verdicts[2].failed, Some(Failed::Status));
        assert_eq!(h.verdicts[1].recovered, Some(t(101)));
        let m = h.metrics(window());
        assert_eq!(m.deployments, 4);
        assert_eq!(m.failed_deployments, 2);
        assert_eq!(m.successful_deployments, 2);
        assert_eq!(m.change_failure_rate, Some(0.5));
        // Recoveries: 101-49 = 52 h and 101-51 = 50 h; the lower middle of two.
        assert_eq!(m.recovery_time_median_secs, Some(50 * 3600));
        assert_eq!(m.recoveries, 2);
    }

    #[test]
    fn putting_back_an_earlier_version_fails_the_one_it_replaces_and_is_rework() {
        let d = vec![
            ok(1, "a", 0),
            ok(2, "b", 10),
            ok(3, "a", 12),
            ok(4, "c", 60),
        ];
        let h = History::new(d, &[], &Rules::default());
        assert_eq!(h.verdicts[1].failed, Some(Failed::RolledBack));
        assert_eq!(h.verdicts[2].rework, Some(Rework::Rollback));
        assert_eq!(h.verdicts[2].failed, None, "the rollback itself is healthy");
        assert_eq!(
            h.verdicts[1].recovered,
            Some(t(13)),
            "the rollback is the recovery"
        );
        assert_eq!(h.verdicts[3].rework, None, "two days later is no rework");
    }

    #[test]
    fn redeploying_the_live_version_is_no_rollback() {
        let d = vec![ok(1, "a", 0), ok(2, "b", 10), ok(3, "b", 12)];
        let h = History::new(d, &[], &Rules::default());
        assert_eq!(h.verdicts[1].failed, None);
        assert_eq!(h.verdicts[2].rework, None);
    }

    #[test]
    fn a_critical_alert_within_the_hour_after_fails_it() {
        let d = vec![ok(1, "a", 0), ok(2, "b", 10), ok(3, "c", 40)];
        // b ends at 11: an alert at 11:30 counts; c ends at 41: an alert at 42:30 does not.
        let alerts = [t(11) + Duration::minutes(30), t(42) + Duration::minutes(30)];
        let h = History::new(d, &alerts, &Rules::default());
        assert_eq!(h.verdicts[1].failed, Some(Failed::Alert));
        assert_eq!(h.verdicts[2].failed, None);
        assert_eq!(h.verdicts[2].rework, None, "29 h after the failure");
        let before = [t(10)];
        let h = History::new(
            vec![ok(1, "a", 0), ok(2, "b", 10)],
            &before,
            &Rules::default(),
        );
        assert_eq!(
            h.verdicts[1].failed, None,
            "an alert before it ended is not its doing"
        );
    }

    #[test]
    fn reverts_hotfix_titles_and_labels_are_rework() {
        let mut labelled = change("Tighten the retry budget", 3);
        labelled.labels = vec!["Incident".into()];
        let d = vec![
            ok(1, "a", 0),
            dep(
                2,
                "b",
                100,
                Outcome::Success,
                vec![change("Revert \"Add cache\"", 99)],
            ),
            dep(
                3,
                "c",
                200,
                Outcome::Success,
                vec![change("hotfix: null price", 199)],
            ),
            dep(4, "d", 300, Outcome::Success, vec![labelled]),
            dep(
                5,
                "e",
                400,
                Outcome::Success,
                vec![change("Reverted nothing", 399)],
            ),
        ];
        let h = History::new(d, &[], &Rules::default());
        let rework: Vec<Option<Rework>> = h.verdicts.iter().map(|v| v.rework).collect();
        assert_eq!(
            rework,
            [
                None,
                Some(Rework::Revert),
                Some(Rework::Revert),
                Some(Rework::Label),
                None
            ]
        );
        assert_eq!(h.metrics(window()).rework_rate, Some(3.0 / 5.0));
    }

    #[test]
    fn a_deployment_within_a_day_after_a_failed_one_is_rework() {
        let d = vec![
            ok(1, "a", 0),
            dep(2, "b", 10, Outcome::Failure, vec![]),
            ok(3, "c", 30),
            ok(4, "d", 40),
        ];
        let h = History::new(d, &[], &Rules::default());
        assert_eq!(
            h.verdicts[2].rework,
            Some(Rework::AfterFailure),
            "19 h after"
        );
        assert_eq!(h.verdicts[3].rework, None, "29 h after");
    }

    #[test]
    fn lead_time_runs_from_each_commit_to_success_over_successful_deployments_only() {
        let d = vec![
            dep(
                1,
                "a",
                10,
                Outcome::Success,
                vec![change("x", 0), change("y", 5)],
            ),
            dep(2, "b", 20, Outcome::Failure, vec![change("z", 19)]),
            dep(
                3,
                "c",
                30,
                Outcome::Success,
                vec![change("z", 19), change("w", 29)],
            ),
        ];
        let h = History::new(d, &[], &Rules::default());
        let m = h.metrics(window());
        // 11 h, 6 h, 12 h, 2 h → sorted 2, 6, 11, 12: median (lower middle) 6, p90 12.
        assert_eq!(m.lead_time_changes, 4);
        assert_eq!(m.lead_time_median_secs, Some(6 * 3600));
        assert_eq!(m.lead_time_p90_secs, Some(12 * 3600));
    }

    #[test]
    fn windows_count_by_creation_and_the_previous_window_is_as_long() {
        let d = vec![ok(1, "a", 0), ok(2, "b", 24 * 30), ok(3, "c", 24 * 31)];
        let h = History::new(d, &[], &Rules::default());
        let now = Window::last(30, t(24 * 60));
        assert_eq!(h.metrics(now).deployments, 2);
        assert_eq!(h.metrics(now.previous()).deployments, 1);
        let m = h.metrics(now);
        assert!((m.deployments_per_week - 2.0 * 7.0 / 30.0).abs() < 1e-9);
    }

    #[test]
    fn nothing_to_compute_from_is_none_and_pending_counts_nowhere() {
        let pending = Deployment {
            end: None,
            ..ok(1, "a", 0)
        };
        let m = History::new(vec![pending], &[], &Rules::default()).metrics(window());
        assert_eq!(m.deployments, 0);
        assert_eq!(m.change_failure_rate, None);
        assert_eq!(m.lead_time_median_secs, None);
        assert_eq!(m.bands().deployment_frequency, None);
    }

    #[test]
    fn bands_follow_the_published_thresholds() {
        let mut m = History::default().metrics(window());
        m.deployments = 40;
        m.deployments_per_day = 40.0 / 30.0;
        m.lead_time_median_secs = Some(2 * DAY);
        m.change_failure_rate = Some(0.12);
        m.recovery_time_median_secs = Some(30 * 60);
        let b = m.bands();
        assert_eq!(b.deployment_frequency, Some(Band::Elite));
        assert_eq!(b.lead_time, Some(Band::High));
        assert_eq!(b.change_failure_rate, Some(Band::Medium));
        assert_eq!(b.recovery_time, Some(Band::Elite));
        m.deployments_per_day = 2.0 / 30.0;
        assert_eq!(m.bands().deployment_frequency, Some(Band::Medium));
    }

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 90), Some(7));
        assert_eq!(percentile(&[1, 2, 3, 4], 50), Some(2));
        assert_eq!(percentile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), Some(9));
    }

    #[test]
    fn the_ticket_rework_share_counts_bugs_and_incidents_resolved_in_the_window() {
        use crate::model::work::{Ticket, TicketSource};
        let t0 = DateTime::<Utc>::UNIX_EPOCH + Duration::days(100);
        let ticket = |labels: &[&str]| Ticket {
            source: TicketSource::Github,
            key: "a#1".into(),
            id: "o/a#1".into(),
            title: String::new(),
            status: "closed".into(),
            done: true,
            rank: 5,
            priority: String::new(),
            kind: "issue".into(),
            assignee: None,
            mine: false,
            project: None,
            components: vec![],
            pagerduty_service: None,
            repo: Some("o/a".into()),
            labels: labels.iter().map(|l| (*l).to_string()).collect(),
            sprint: None,
            created: t0,
            updated: t0,
            url: None,
            incident_key: None,
        };
        let (bug, incident, docs) = (
            ticket(&["bug"]),
            ticket(&["Incident"]),
            ticket(&["documentation"]),
        );
        let w = Window::last(7, t0);
        let share = ticket_share(
            [
                (t0 - Duration::days(1), &bug),
                (t0 - Duration::days(2), &incident),
                (t0 - Duration::days(3), &docs),
                (t0 - Duration::days(4), &docs),
                // Outside the window: not counted.
                (t0 - Duration::days(8), &bug),
                (t0, &bug),
            ],
            w,
        );
        assert_eq!((share.resolved, share.rework), (4, 2));
        assert_eq!(share.share, Some(0.5));
        assert_eq!(ticket_share([], w).share, None);
    }
}
