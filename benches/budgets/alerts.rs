//! The alerts budgets: 5,000 alerts from three Alertmanagers (an HA pair and a third) merged,
//! grouped and filtered under 5 ms; the Alerts `view` under 1 ms at 200x60. Draws into
//! ratatui's TestBackend (the buffer work is the same as on a terminal).
//!
//! Merging is measured through `update`, as the loop runs it, with a catalog of the alerts'
//! 200 services: when one Alertmanager's poll brings changed data (what happens every few
//! seconds), and when every alert is read afresh (a configuration reload, or the first polls).

use std::hint::black_box;

use chrono::{DateTime, Duration, Utc};
use criterion::{BatchSize, Criterion, criterion_group};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use flightdeck::config::theme::{ColorSupport, load_theme};
use flightdeck_core::keymap::{Key, KeyCode, Keymap};
use flightdeck_core::message::alerts::Msg as AlertsMsg;
use flightdeck_core::message::catalog::Msg as CatalogMsg;
use flightdeck_core::message::{Effect, Msg};
use flightdeck_core::model::alerts::{Alert, InstanceData, Severity};
use flightdeck_core::model::catalog::Origin;
use flightdeck_core::model::{Model, Screen};
use flightdeck_core::update::update;
use flightdeck_core::wire::alertmanager::{AlertState, LabelSet, fingerprint};

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

const FILTER: &str = "severity=~\"critical|warning\" alertname!=Watchdog";

fn instance_data(alerts: Vec<Alert>) -> InstanceData {
    InstanceData {
        alerts,
        silences: vec![],
        version: Some("0.25.0".into()),
        cluster: None,
    }
}

/// Returns the effects, as the loop gets them: the replaced data among them is freed on a
/// worker thread there, and outside the timed part here.
fn fetched(m: &mut Model, instance: &str, data: InstanceData) -> Vec<Effect> {
    update(
        m,
        Msg::Alerts(AlertsMsg::Fetched {
            instance: instance.into(),
            at: now(),
            data,
        }),
    )
}

fn configure(m: &mut Model) {
    update(
        m,
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
}

/// The catalog the alerts' `service` labels name, read from descriptors as the cockpit reads
/// them.
fn load_catalog(m: &mut Model) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("catalog-info.yaml");
    let docs: Vec<String> = (0..SERVICES)
        .map(|i| {
            format!(
                "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc-{i}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-{}\n",
                i % 10
            )
        })
        .collect();
    std::fs::write(&path, docs.join("---\n")).expect("writes the catalog");
    let loaded = flightdeck::providers::catalog::load_files([path.as_path()]);
    assert_eq!(loaded.entities.len(), SERVICES, "{:?}", loaded.problems);
    update(
        m,
        Msg::Catalog(CatalogMsg::Loaded {
            origin: Origin::Files,
            entities: loaded.entities,
            problems: loaded.problems,
            at: now(),
        }),
    );
}

/// Alerts 0..3000 come from the HA pair (both report them), 3000..5000 from the third.
/// Returns the model, filtered with [`FILTER`], and the pair's data.
fn model() -> (Model, Vec<Alert>) {
    let mut m = Model::new(Keymap::defaults(), now());
    m.screen = Screen::Alerts;
    update(
        &mut m,
        Msg::Resize {
            width: 200,
            height: 60,
        },
    );
    load_catalog(&mut m);
    configure(&mut m);
    let pair: Vec<Alert> = (0..3_000).map(alert).collect();
    let third: Vec<Alert> = (3_000..ALERTS).map(alert).collect();
    fetched(&mut m, "prod-a", instance_data(pair.clone()));
    fetched(&mut m, "prod-b", instance_data(pair.clone()));
    fetched(&mut m, "eu", instance_data(third));
    update(&mut m, Msg::Key(Key::char('/')));
    for c in FILTER.chars() {
        update(&mut m, Msg::Key(Key::char(c)));
    }
    update(&mut m, Msg::Key(Key::new(KeyCode::Enter)));
    assert_eq!(m.list(Screen::Alerts).filter.text(), FILTER);
    assert_eq!(m.alerts.merged.len(), ALERTS);
    assert!(
        m.alerts.merged.iter().all(|a| a.service_ref.is_some()),
        "every alert's service is a catalog service"
    );
    (m, pair)
}

fn bench(c: &mut Criterion) {
    let (mut m, pair) = model();
    // prod-a's poll alternates between two versions of its data, a few alerts apart, so
    // every poll is a change to merge.
    let mut moved = pair.clone();
    for a in moved.iter_mut().step_by(100) {
        a.starts_at -= Duration::minutes(1);
    }
    let versions = [pair, moved];
    let mut n = 0;
    c.bench_function(
        "alerts merge+group+filter 5000 from 3 AMs, one AM's poll changed",
        |b| {
            b.iter_batched(
                || {
                    n += 1;
                    instance_data(versions[n % 2].clone())
                },
                |data| {
                    let effects = fetched(&mut m, "prod-a", black_box(data));
                    (effects, black_box(m.alerts.rows.len()))
                },
                BatchSize::LargeInput,
            )
        },
    );
    c.bench_function(
        "alerts merge+group+filter 5000 from 3 AMs, every alert read afresh",
        |b| {
            b.iter(|| {
                // A configuration reload keeps each instance's data and reads it anew.
                configure(&mut m);
                black_box(m.alerts.rows.len())
            })
        },
    );
    c.bench_function("alerts refilter 5000 (matcher + words)", |b| {
        b.iter(|| {
            m.alerts.refilter(black_box("service=~\"svc-1.*\" crash"));
            black_box(m.alerts.rows.len())
        })
    });
    m.alerts.refilter("");
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

criterion_group!(alerts, bench);
