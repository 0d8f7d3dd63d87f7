//! Workloads budgets: `view` under 1 ms at 200x60 with 10,000 pods (list and a full log view),
//! the cost of one coalesced batch of pod changes at that size, and of 500 log lines (a 100 ms
//! batch of a 5,000 lines/s stream) into a full 10,000-line buffer.

use std::hint::black_box;

use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, criterion_group};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use flightdeck::config::theme::{ColorSupport, load_theme};
use flightdeck_core::keymap::{Key, Keymap};
use flightdeck_core::message::workloads::{Command, Msg as WMsg};
use flightdeck_core::message::{Effect, Msg};
use flightdeck_core::model::workloads::{
    Change, Kind, LogLine, Owner, Phase, Pod, PodReason, ReplicaSet, RolloutState, Row, Workload,
};
use flightdeck_core::model::{Model, Screen};
use flightdeck_core::update::update;

const SERVICES: usize = 200;
const PODS_PER_SERVICE: usize = 50;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:30:00Z")
        .expect("a fixed time")
        .with_timezone(&Utc)
}

fn pod(svc: usize, i: usize) -> Pod {
    let name = format!("service-{svc:03}");
    Pod {
        namespace: format!("ns-{}", svc % 3).into(),
        name: format!("{name}-7d9f6c5b8-{i:05}").into(),
        services: [format!("component:default/{name}").into()].into(),
        phase: Phase::Running,
        ready: 1,
        containers: [name.as_str().into()].into(),
        restarts: (i % 7) as u32,
        created: Some(now() - Duration::minutes((i * 3) as i64)),
        node: Some(format!("ip-10-0-{}-{}", i % 4, i % 250).into()),
        owner: Some(Owner {
            kind: "ReplicaSet".into(),
            name: format!("{name}-7d9f6c5b8").into(),
        }),
        reason: (i.is_multiple_of(97)).then(|| {
            Box::new(PodReason::CrashLoopBackOff {
                container: name.clone(),
                last: None,
            })
        }),
        last_restart: None,
        tag: Some("3f2a1c9".into()),
        ports: [8080].into(),
    }
}

fn changes() -> Vec<Change> {
    let mut out = Vec::new();
    for s in 0..SERVICES {
        let name = format!("service-{s:03}");
        let ns = format!("ns-{}", s % 3);
        out.push(Change::Workload(Workload {
            kind: Kind::Deployment,
            namespace: ns.clone(),
            name: name.clone(),
            services: vec![format!("component:default/{name}")],
            desired: PODS_PER_SERVICE as u32,
            updated: PODS_PER_SERVICE as u32,
            ready: PODS_PER_SERVICE as u32,
            available: PODS_PER_SERVICE as u32,
            revision: Some(12),
            tag: Some("3f2a1c9".into()),
            rollout: RolloutState::Complete,
            message: None,
            created: Some(now()),
        }));
        out.push(Change::ReplicaSet(ReplicaSet {
            namespace: ns,
            name: format!("{name}-7d9f6c5b8"),
            deployment: Some(name),
            revision: Some(12),
            tag: None,
            image: None,
            change_cause: None,
            created: None,
        }));
        out.extend((0..PODS_PER_SERVICE).map(|i| Change::Pod(pod(s, s * PODS_PER_SERVICE + i))));
    }
    out
}

fn model() -> Model {
    let mut m = Model::new(Keymap::defaults(), now());
    m.screen = Screen::Workloads;
    update(
        &mut m,
        Msg::Workloads(WMsg::Configured {
            contexts: vec![("prod".into(), "prod".into())],
            log_buffer_lines: 10_000,
        }),
    );
    update(
        &mut m,
        Msg::Workloads(WMsg::Batch {
            context: "prod".into(),
            changes: changes(),
        }),
    );
    update(
        &mut m,
        Msg::Resize {
            width: 200,
            height: 60,
        },
    );
    assert_eq!(m.workloads.pods.len(), SERVICES * PODS_PER_SERVICE);
    // Somewhere in the middle, as a user scrolling would be.
    for _ in 0..40 {
        update(&mut m, Msg::Key(Key::char('j')));
    }
    m
}

fn log_lines(n: usize) -> Vec<LogLine> {
    (0..n)
        .map(|i| {
            let (text, runs) = flightdeck_core::sanitize::log_line(&format!(
                "2026-03-02T09:30:00Z \u{1b}[32mINFO\u{1b}[0m request {i} served in 12ms path=/v1/payments status=200"
            ));
            LogLine { source: (i % 50) as u16, text, runs }
        })
        .collect()
}

fn logs_model() -> (Model, u64) {
    let mut m = model();
    let i = m
        .workloads
        .rows
        .iter()
        .position(|r| matches!(r, Row::Workload { .. }))
        .expect("a workload row");
    m.list_mut(Screen::Workloads).cursor.selected = i;
    let effects = update(&mut m, Msg::Key(Key::char('l')));
    let id = effects
        .iter()
        .find_map(|e| match e {
            Effect::Workloads(Command::StartLogs { id, .. }) => Some(*id),
            _ => None,
        })
        .expect("logs start");
    update(
        &mut m,
        Msg::Workloads(WMsg::LogLines {
            id,
            lines: log_lines(10_000),
        }),
    );
    (m, id)
}

fn bench(c: &mut Criterion) {
    let theme = load_theme("dark", ColorSupport::TrueColor).expect("dark loads");
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("a test terminal");
    let m = model();
    c.bench_function("workloads view 200x60, 10k pods", |b| {
        b.iter(|| {
            terminal
                .draw(|f| flightdeck::ui::view(black_box(&m), &theme, f))
                .expect("draws");
        })
    });

    // The view function alone, without ratatui's diff and the test backend's flush.
    c.bench_function("workloads view only 200x60, 10k pods", |b| {
        b.iter(|| {
            terminal.current_buffer_mut().reset();
            flightdeck::ui::view(black_box(&m), &theme, &mut terminal.get_frame());
        })
    });

    let (mut logs, id) = logs_model();
    update(&mut logs, Msg::Key(Key::char('w')));
    c.bench_function("workloads log view 200x60, 10k lines, wrapped", |b| {
        b.iter(|| {
            terminal
                .draw(|f| flightdeck::ui::view(black_box(&logs), &theme, f))
                .expect("draws");
        })
    });

    c.bench_function("workloads log view only 200x60, 10k lines, wrapped", |b| {
        b.iter(|| {
            terminal.current_buffer_mut().reset();
            flightdeck::ui::view(black_box(&logs), &theme, &mut terminal.get_frame());
        })
    });

    let batch = log_lines(500);
    c.bench_function("workloads 500 log lines into a full 10k buffer", |b| {
        b.iter(|| {
            update(
                &mut logs,
                Msg::Workloads(WMsg::LogLines {
                    id,
                    lines: batch.clone(),
                }),
            )
        })
    });

    // A rollout's worth of changes: 100 pods of a 10,000-pod model in one coalesced batch.
    let mut m = model();
    let changed: Vec<Change> = (0..100)
        .map(|i| Change::Pod(pod(i % SERVICES, i)))
        .collect();
    c.bench_function("workloads batch of 100 pod changes, 10k pods", |b| {
        b.iter(|| {
            update(
                &mut m,
                Msg::Workloads(WMsg::Batch {
                    context: "prod".into(),
                    changes: changed.clone(),
                }),
            )
        })
    });

    // The common batch of a working cluster: 100 existing pods' counters change (a restart
    // counted), which moves no row. Alternating counts, so every batch is a real change.
    let existing = |restarts: u32| -> Vec<Change> {
        (0..100)
            .map(|i| {
                let s = (i * 7) % SERVICES;
                let mut p = pod(s, s * PODS_PER_SERVICE + i % PODS_PER_SERVICE);
                p.restarts = restarts;
                Change::Pod(p)
            })
            .collect()
    };
    let (odd, even) = (existing(1), existing(2));
    alternating(
        c,
        "workloads batch of 100 counter changes, 10k pods",
        &mut m,
        [&odd, &even],
    );

    // What every batch cost before rows were kept: the roll-ups and every row rebuilt. Measured
    // in the same run as the batches above, so a loaded machine slows both alike.
    let now = m.now;
    c.bench_function(
        "workloads full rebuild (the old per-batch cost), 10k pods",
        |b| b.iter(|| m.workloads.rebuild("", now)),
    );

    // A batch where 5 of the 100 pods go into (and out of) CrashLoopBackOff: rows move.
    let moving = |crash: bool| -> Vec<Change> {
        let mut changes = existing(3);
        for c in changes.iter_mut().take(5) {
            if let Change::Pod(p) = c {
                p.reason = if crash {
                    Some(Box::new(PodReason::CrashLoopBackOff {
                        container: "api".into(),
                        last: None,
                    }))
                } else {
                    None
                };
            }
        }
        changes
    };
    let (crash, calm) = (moving(true), moving(false));
    alternating(
        c,
        "workloads batch of 100 pod changes, 5 rows move, 10k pods",
        &mut m,
        [&crash, &calm],
    );

    // The same batches with the services in the catalog, 2,000 of them (the 200 that run the
    // pods among them), as a large organisation's cockpit holds them: the Overview's rows are
    // joined again only for the services whose pods' roll-up moved.
    load_catalog(&mut m, CATALOG_SERVICES);
    alternating(
        c,
        "workloads batch of 100 counter changes, 10k pods, 2000 services",
        &mut m,
        [&odd, &even],
    );
    alternating(
        c,
        "workloads batch of 100 pod changes, 5 rows move, 10k pods, 2000 services",
        &mut m,
        [&crash, &calm],
    );
}

/// Services in the catalog of the benches that join pods to services.
const CATALOG_SERVICES: usize = 2_000;

/// `n` Components named as the pods' services are, each joined to its pods by its
/// kubernetes-id.
fn load_catalog(m: &mut Model, n: usize) {
    use flightdeck_core::message::catalog::Msg as CMsg;
    use flightdeck_core::model::catalog::{Entity, EntityOrigin, Kind as EKind, Origin, Spec};
    let entities = (0..n)
        .map(|i| {
            let name = format!("service-{i:03}");
            std::sync::Arc::new(Entity {
                kind: EKind::Component,
                namespace: "default".into(),
                entity_ref: format!("component:default/{name}"),
                title: None,
                description: None,
                annotations: [("backstage.io/kubernetes-id".to_string(), name.clone())].into(),
                tags: vec![],
                links: vec![],
                spec: Spec {
                    spec_type: Some("service".into()),
                    lifecycle: Some("production".into()),
                    owner: Some(format!("group:default/team-{}", i % 25)),
                    ..Spec::default()
                },
                docs_dir: None,
                origin: EntityOrigin::Config {
                    path: "the bench".into(),
                },
                name,
            })
        })
        .collect();
    update(
        m,
        Msg::Catalog(CMsg::Loaded {
            origin: Origin::Files,
            entities,
            problems: vec![],
            at: now(),
        }),
    );
    assert_eq!(m.catalog.overview.rows.len(), n);
}

criterion_group!(workloads, bench);

/// Benches a batch that alternates between two versions each iteration, so every batch is a
/// real change to take in.
fn alternating(c: &mut Criterion, name: &str, m: &mut Model, versions: [&Vec<Change>; 2]) {
    let mut flip = false;
    c.bench_function(name, |b| {
        b.iter(|| {
            flip = !flip;
            update(
                m,
                Msg::Workloads(WMsg::Batch {
                    context: "prod".into(),
                    changes: versions[usize::from(flip)].clone(),
                }),
            )
        })
    });
}
