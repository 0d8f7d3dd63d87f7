//! The delivery budget: all five DORA metrics, with the previous window beside them, for 200
//! services over 90 days (≈50,000 production deployments, three commits each) in under 50 ms.
//! Classifying is measured with the windows, as a fresh history needs both.

use std::hint::black_box;

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group};

use flightdeck_core::model::delivery::{
    Change, Deployment, History, Outcome, Rules, Tally, Window,
};

const SERVICES: u64 = 200;
const PER_SERVICE: u64 = 250;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// One service's 90 days: a deployment every ~8.6 h, one in nine failing, one in thirteen a
/// rollback, one in eleven bringing a revert, critical alerts now and then.
fn history(s: u64) -> (Vec<Deployment>, Vec<DateTime<Utc>>) {
    let step = Duration::minutes(90 * 24 * 60 / PER_SERVICE as i64);
    let mut out = Vec::with_capacity(PER_SERVICE as usize);
    let mut alerts = Vec::new();
    for i in 0..PER_SERVICE {
        let created = start() + step * i as i32 + Duration::seconds((s * 37 % 600) as i64);
        let outcome = if (i + s).is_multiple_of(9) {
            Outcome::Failure
        } else {
            Outcome::Success
        };
        let sha = if i > 2 && (i + s).is_multiple_of(13) {
            format!("{s}-{}", i - 2)
        } else {
            format!("{s}-{i}")
        };
        let changes = (0..3)
            .map(|k| Change {
                sha: format!("{s}-{i}-{k}"),
                title: if (i + k) % 11 == 0 {
                    "Revert \"Cache prices\"".into()
                } else {
                    "Add request tracing".into()
                },
                author: "jdoe".into(),
                committed: created - Duration::hours(3 + k as i64 * 5),
                labels: vec![],
                pull: Some(i * 3 + k),
            })
            .collect();
        if (i + s).is_multiple_of(17) {
            alerts.push(created + Duration::minutes(30));
        }
        out.push(Deployment {
            id: s * 1000 + i,
            sha,
            creator: "jdoe".into(),
            created,
            end: Some((outcome, created + Duration::minutes(6))),
            changes,
        });
    }
    (out, alerts)
}

fn bench(c: &mut Criterion) {
    let data: Vec<(Vec<Deployment>, Vec<DateTime<Utc>>)> = (0..SERVICES).map(history).collect();
    let total: usize = data.iter().map(|(d, _)| d.len()).sum();
    assert!(total >= 50_000, "the budget's size: {total}");
    let rules = Rules::default();
    let window = Window::last(30, start() + Duration::days(90));
    c.bench_function(
        "delivery: 200 services x 90 days, all metrics + previous window",
        |b| {
            b.iter(|| {
                let mut org = Tally::default();
                let mut org_prev = Tally::default();
                for (deployments, alerts) in &data {
                    let h = History::new(deployments.clone(), alerts, &rules);
                    black_box(h.metrics(window));
                    black_box(h.metrics(window.previous()));
                    org.add(&h.deployments, &h.verdicts, window);
                    org_prev.add(&h.deployments, &h.verdicts, window.previous());
                }
                black_box((org.metrics(window), org_prev.metrics(window.previous())))
            })
        },
    );
}

criterion_group!(delivery, bench);
