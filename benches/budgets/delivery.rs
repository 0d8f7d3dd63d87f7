//! The delivery budget: all five DORA metrics, with the previous window beside them, for 200
//! services over 90 days (≈50,000 production deployments, three commits each) in under 50 ms.
//! Classifying is measured with the windows, as a fresh history needs both. The Delivery
//! screen's budgets over the same 200 services: its `view` at 200x60 under 1 ms, and switching
//! the window or the grouping (every row recomputed in `update`) under 16 ms.

use std::hint::black_box;

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group};

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use flightdeck::config::theme::{ColorSupport, load_theme};
use flightdeck::providers::catalog::load_files;
use flightdeck_core::keymap::{Key, KeyCode, Keymap};
use flightdeck_core::message::delivery::Msg as DeliveryMsg;
use flightdeck_core::message::{Msg, catalog};
use flightdeck_core::model::catalog::Origin;
use flightdeck_core::model::delivery::{
    Change, Deployment, History, Outcome, Rules, Tally, Window,
};
use flightdeck_core::model::{FetchState, Model, SourceId, SourceKind, SourceStatus};
use flightdeck_core::update::update;

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

/// A cockpit with the 200 services in its catalog and their histories arrived, on the Delivery
/// screen at 200x60.
fn screen_model(data: &[(Vec<Deployment>, Vec<DateTime<Utc>>)]) -> Model {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut text = String::new();
    for n in 0..SERVICES {
        text.push_str(&format!(
            "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: service-{n:04}\n  annotations:\n    github.com/project-slug: acme/service-{n:04}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-{}\n  system: system-{}\n",
            n % 20,
            n % 7
        ));
    }
    let file = dir.path().join("catalog-info.yaml");
    std::fs::write(&file, text).expect("write descriptors");
    let entities = load_files([file.as_path()]).entities;
    let now = start() + Duration::days(90);
    let mut m = Model::new(Keymap::defaults(), now);
    let mut github = SourceStatus::new(SourceId::new(SourceKind::Github, "github"), FetchState::Ok);
    github.fetched_at = Some(now);
    m.sources.push(github);
    update(
        &mut m,
        Msg::Resize {
            width: 200,
            height: 60,
        },
    );
    update(
        &mut m,
        Msg::Catalog(catalog::Msg::Loaded {
            origin: Origin::Files,
            entities,
            problems: vec![],
            at: now,
        }),
    );
    update(&mut m, Msg::Key(Key::char('8')));
    for (n, (deployments, _)) in data.iter().enumerate() {
        update(
            &mut m,
            Msg::Delivery(DeliveryMsg::History {
                service: format!("component:default/service-{n:04}"),
                at: now,
                deployments: deployments.clone(),
            }),
        );
    }
    assert_eq!(
        m.delivery.rows.len(),
        SERVICES as usize,
        "a row per service"
    );
    m
}

fn screen(c: &mut Criterion) {
    let data: Vec<(Vec<Deployment>, Vec<DateTime<Utc>>)> = (0..SERVICES).map(history).collect();
    let theme = load_theme("dark", ColorSupport::TrueColor).expect("dark loads");
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("a test terminal");
    let m = screen_model(&data);
    c.bench_function("delivery screen view 200x60, 200 services", |b| {
        b.iter(|| {
            terminal
                .draw(|f| flightdeck::ui::view(black_box(&m), &theme, f))
                .expect("draws");
        })
    });
    let mut timeline = m.clone();
    update(&mut timeline, Msg::Key(Key::new(KeyCode::Enter)));
    assert!(timeline.delivery.timeline.is_some());
    c.bench_function("delivery timeline view 200x60, 90 days", |b| {
        b.iter(|| {
            terminal
                .draw(|f| flightdeck::ui::view(black_box(&timeline), &theme, f))
                .expect("draws");
        })
    });
    let mut switching = m.clone();
    c.bench_function("delivery switch window, 200 services x 90 days", |b| {
        b.iter(|| black_box(update(&mut switching, Msg::Key(Key::char('w')))))
    });
    let mut grouping = m;
    c.bench_function("delivery switch grouping, 200 services x 90 days", |b| {
        b.iter(|| black_box(update(&mut grouping, Msg::Key(Key::char('z')))))
    });
}

criterion_group!(delivery, bench, screen);
