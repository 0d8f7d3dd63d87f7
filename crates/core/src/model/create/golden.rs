//! Golden paths, measured: how long a service created from a template took from the request
//! (`flightdeck.dev/created-at`) to its first healthy production deployment, and how much of
//! production is deployed by services made from templates. Pure sums over the delivery history.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::delivery::{History, Outcome, Window, percentile};

/// Seconds from `requested` to the first production deployment created at or after it that
/// succeeded and that the definitions do not count as failed; `None` while there is none.
pub fn time_to_production(requested: DateTime<Utc>, history: &History) -> Option<i64> {
    history
        .deployments
        .iter()
        .zip(&history.verdicts)
        .filter(|(d, v)| d.created >= requested && v.failed.is_none())
        .filter_map(|(d, _)| match d.end {
            Some((Outcome::Success, at)) => Some(at),
            _ => None,
        })
        .min()
        .map(|at| (at - requested).num_seconds())
}

/// One service, as the adoption sums need it.
pub struct ServiceSide<'a> {
    /// `backstage.io/source-template`, when a template made it.
    pub template: Option<&'a str>,
    /// `flightdeck.dev/created-at`, parsed.
    pub requested: Option<DateTime<Utc>>,
    pub history: &'a History,
}

/// The org's golden-path figures over a window.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Adoption {
    pub services: usize,
    /// Services with `backstage.io/source-template`.
    pub template_services: usize,
    /// Ended production deployments created in the window, and those of template services.
    pub deployments: u64,
    pub template_deployments: u64,
    /// `template_deployments / deployments`; `None` without deployments.
    pub share: Option<f64>,
    /// Median time to production of the services whose first healthy production deployment
    /// fell in the window, and how many those are.
    pub time_to_production_median_secs: Option<i64>,
    pub reached_production: usize,
}

pub fn adoption<'a>(
    services: impl IntoIterator<Item = ServiceSide<'a>>,
    window: Window,
) -> Adoption {
    let mut out = Adoption::default();
    let mut ttp = Vec::new();
    for s in services {
        out.services += 1;
        let deployed = s
            .history
            .deployments
            .iter()
            .filter(|d| d.end.is_some() && window.contains(d.created))
            .count() as u64;
        out.deployments += deployed;
        if s.template.is_some() {
            out.template_services += 1;
            out.template_deployments += deployed;
        }
        if let Some(requested) = s.requested
            && let Some(secs) = time_to_production(requested, s.history)
            && window.contains(requested + chrono::Duration::seconds(secs))
        {
            ttp.push(secs);
        }
    }
    ttp.sort_unstable();
    out.reached_production = ttp.len();
    out.time_to_production_median_secs = percentile(&ttp, 50);
    out.share =
        (out.deployments > 0).then(|| out.template_deployments as f64 / out.deployments as f64);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::delivery::{Deployment, Rules};
    use chrono::{Duration, TimeZone};

    fn at(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
            .single()
            .expect("time")
            + Duration::hours(h)
    }

    fn deploy(id: u64, created: i64, outcome: Outcome, ended: i64) -> Deployment {
        Deployment {
            id,
            sha: format!("{id:07}"),
            creator: "ci".into(),
            created: at(created),
            end: Some((outcome, at(ended))),
            changes: vec![],
        }
    }

    #[test]
    fn time_to_production_is_the_first_healthy_success_after_the_request() {
        let history = History::new(
            vec![
                deploy(1, 1, Outcome::Failure, 2),
                deploy(2, 3, Outcome::Success, 5),
                deploy(3, 6, Outcome::Success, 7),
            ],
            &[],
            &Rules::default(),
        );
        assert_eq!(time_to_production(at(0), &history), Some(5 * 3600));
        assert_eq!(time_to_production(at(4), &history), Some(3 * 3600));
        assert_eq!(time_to_production(at(8), &history), None);
    }

    #[test]
    fn adoption_counts_template_deployments_and_the_median_time() {
        let golden = History::new(
            vec![
                deploy(1, 2, Outcome::Success, 3),
                deploy(2, 10, Outcome::Success, 11),
            ],
            &[],
            &Rules::default(),
        );
        let other = History::new(
            vec![
                deploy(3, 2, Outcome::Success, 3),
                deploy(4, 4, Outcome::Failure, 5),
            ],
            &[],
            &Rules::default(),
        );
        let window = Window {
            start: at(0),
            end: at(24),
        };
        let a = adoption(
            [
                ServiceSide {
                    template: Some("template:default/rust-service"),
                    requested: Some(at(1)),
                    history: &golden,
                },
                ServiceSide {
                    template: None,
                    requested: None,
                    history: &other,
                },
            ],
            window,
        );
        assert_eq!(
            (
                a.services,
                a.template_services,
                a.deployments,
                a.template_deployments
            ),
            (2, 1, 4, 2)
        );
        assert_eq!(a.share, Some(0.5));
        assert_eq!(
            (a.time_to_production_median_secs, a.reached_production),
            (Some(2 * 3600), 1)
        );
    }
}
