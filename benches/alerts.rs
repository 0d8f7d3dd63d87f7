//! The alerts budgets: 5,000 alerts from three Alertmanagers (an HA pair and a third) merged,
//! grouped and filtered under 5 ms; the Alerts `view` under 1 ms at 200x60. Draws into
//! ratatui's TestBackend (the buffer work is the same as on a terminal).

use std::hint::black_box;

use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use flightdeck::config::keymap::Keymap;
use flightdeck::config::theme::{ColorSupport, load_theme};
use flightdeck::model::alerts::{Alert, InstanceData, Severity};
use flightdeck::model::join::ServiceTarget;
use flightdeck::model::{Model, Screen};
use flightdeck::update::alerts::Msg as AlertsMsg;
use flightdeck::update::{Msg, update};
use flightdeck::wire::alertmanager::{AlertState, LabelSet, fingerprint};

const ALERTS: usize = 5_000;
const SERVICES: usize = 200;
const NAMES: [&str; 8] = [
    "KubePodCrashLooping",
    "HighErrorRate",
    "HighLatency",
    "ContainerOOMKilled",
    "DiskFilling",
    "CertificateExpiring",
    "KubeDeploymentReplicasMismatch",
    "TargetDown",
];
const SEVERITIES: [&str; 4] = ["critical", "warning", "info", "none"];

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:30:00Z")
        .expect("a fixed time")
        .with_timezone(&Utc)
}

fn alert(i: usize) -> Alert {
    let mut labels = LabelSet::new();
    labels.insert("alertname".into(), NAMES[i % NAMES.len()].into());
    labels.insert("service".into(), format!("svc-{}", i % SERVICES));
    labels.insert("severity".into(), SEVERITIES[i % SEVERITIES.len()].into());
    labels.insert("namespace".into(), format!("ns-{}", i % 20));
    labels.insert("pod".into(), format!("svc-{}-{i}", i % SERVICES));
    let mut annotations = LabelSet::new();
    annotations.insert(
        "summary".into(),
        format!(
            "{} on pod {i} of svc-{}",
            NAMES[i % NAMES.len()],
            i % SERVICES
        ),
    );
    let mut a = Alert {
        fingerprint: fingerprint(&labels),
        labels,
        annotations,
        tainted: vec![],
        starts_at: now() - Duration::minutes((i % 600) as i64),
        updated_at: now(),
        ends_at: now() + Duration::minutes(5),
        state: if i.is_multiple_of(10) {
            AlertState::Suppressed
        } else {
            AlertState::Active
        },
        silenced_by: if i.is_multiple_of(10) {
            vec!["s".into()]
        } else {
            vec![]
        },
        inhibited_by: vec![],
        muted_by: vec![],
        receivers: vec!["default".into()],
        generator_url: None,
        runbook_url: None,
        severity: Severity::Other,
        search: String::new(),
    };
    a.derive();
    a
}

/// Alerts 0..3000 come from the HA pair (both report them), 3000..5000 from the third.
fn model() -> Model {
    let mut m = Model::new(Keymap::defaults(), now());
    m.screen = Screen::Alerts;
    update(
        &mut m,
        Msg::Resize {
            width: 200,
            height: 60,
        },
    );
    update(
        &mut m,
        Msg::Alerts(AlertsMsg::Configured {
            instances: ["prod-a", "prod-b", "eu"]
                .iter()
                .map(|n| ((*n).into(), "service".into()))
                .collect(),
            created_by: "bench".into(),
            utc_offset_secs: 0,
            ack_minutes: 15,
        }),
    );
    let pair: Vec<Alert> = (0..3_000).map(alert).collect();
    let third: Vec<Alert> = (3_000..ALERTS).map(alert).collect();
    for (name, alerts) in [("prod-a", pair.clone()), ("prod-b", pair), ("eu", third)] {
        let data = InstanceData {
            alerts,
            silences: vec![],
            version: Some("0.25.0".into()),
            cluster: None,
        };
        update(
            &mut m,
            Msg::Alerts(AlertsMsg::Fetched {
                instance: name.into(),
                at: now(),
                data,
            }),
        );
    }
    assert_eq!(m.alerts.merged.len(), ALERTS);
    m
}

fn targets() -> Vec<ServiceTarget> {
    (0..SERVICES)
        .map(|i| ServiceTarget {
            service: format!("component:default/svc-{i}"),
            name: format!("svc-{i}"),
            github: None,
            gitlab: None,
            kubernetes: None,
            alert_names: vec![],
            docs: None,
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut m = model();
    let targets = targets();
    c.bench_function("alerts merge+group+filter 5000 from 3 AMs", |b| {
        b.iter(|| {
            m.alerts.rebuild(
                black_box(&targets),
                black_box("severity=~\"critical|warning\" alertname!=Watchdog"),
            );
            black_box(m.alerts.rows.len())
        })
    });
    c.bench_function("alerts refilter 5000 (matcher + words)", |b| {
        b.iter(|| {
            m.alerts.refilter(black_box("service=~\"svc-1.*\" crash"));
            black_box(m.alerts.rows.len())
        })
    });
    m.alerts.rebuild(&targets, "");
    let theme = load_theme("dark", ColorSupport::TrueColor).expect("dark loads");
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("a test terminal");
    // The same frame with nothing on the Alerts screen: what the shell and the terminal
    // buffer cost by themselves on this machine, to read the screen's own cost against.
    let mut empty = Model::new(Keymap::defaults(), now());
    empty.screen = Screen::Alerts;
    update(
        &mut empty,
        Msg::Resize {
            width: 200,
            height: 60,
        },
    );
    c.bench_function("shell view 200x60, empty alerts screen (baseline)", |b| {
        b.iter(|| {
            terminal
                .draw(|f| flightdeck::ui::view(black_box(&empty), &theme, f))
                .expect("draws");
        })
    });
    c.bench_function("alerts view 200x60, 5000 alerts", |b| {
        b.iter(|| {
            terminal
                .draw(|f| flightdeck::ui::view(black_box(&m), &theme, f))
                .expect("draws");
        })
    });
    // The view function alone: no diff against the previous buffer, no flush to the backend.
    c.bench_function("alerts view only 200x60, 5000 alerts", |b| {
        b.iter(|| {
            terminal.current_buffer_mut().reset();
            let mut frame = terminal.get_frame();
            flightdeck::ui::view(black_box(&m), &theme, &mut frame);
            black_box(&frame);
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
