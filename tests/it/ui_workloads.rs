//! The Workloads screen as a user sees it, kept as insta snapshots with styles: the list
//! (trouble first, a forbidden namespace), its events, and a merged log view paused on a
//! search match. Sizes 120x40 and 80x24; time is fixed, never the real clock.

use chrono::{DateTime, Duration, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use flightdeck::config::theme::ColorSupport;
use flightdeck::ui;
use flightdeck::ui::theme::Theme;
use flightdeck_core::keymap::{Key, KeyCode, Keymap};
use flightdeck_core::message::workloads::{Command, Msg as WMsg};
use flightdeck_core::message::{Effect, Msg};
use flightdeck_core::model::workloads::{
    Change, Event, Kind, LogLine, Owner, Phase, Pod, PodReason, ReplicaSet, RolloutState, Row,
    ScopeState, Termination, Workload,
};
use flightdeck_core::model::{Model, Screen};
use flightdeck_core::update::update;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:30:00Z")
        .expect("a fixed time")
        .with_timezone(&Utc)
}

fn theme() -> Theme {
    flightdeck::config::theme::load_theme("dark", ColorSupport::TrueColor).expect("dark loads")
}

fn render(model: &Model, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    let mut m = model.clone();
    update(&mut m, Msg::Resize { width, height });
    terminal.draw(|f| ui::view(&m, &theme(), f)).expect("draws");
    format!("{:?}", terminal.backend().buffer())
}

fn pod(
    ns: &str,
    name: &str,
    rs: &str,
    service: &str,
    reason: Option<PodReason>,
    ready: u16,
    restarts: u32,
) -> Pod {
    Pod {
        namespace: ns.into(),
        name: name.into(),
        services: [format!("component:default/{service}").into()].into(),
        phase: if matches!(reason, Some(PodReason::Unschedulable { .. })) {
            Phase::Pending
        } else {
            Phase::Running
        },
        ready,
        containers: [service.into()].into(),
        restarts,
        created: Some(now() - Duration::minutes(42)),
        node: Some("ip-10-0-0-11".into()),
        owner: Some(Owner {
            kind: "ReplicaSet".into(),
            name: rs.into(),
        }),
        reason: reason.map(Box::new),
        last_restart: None,
        tag: Some("3f2a1c9".into()),
        ports: [8080].into(),
    }
}

fn deployment(
    ns: &str,
    name: &str,
    ready: u32,
    rollout: RolloutState,
    message: Option<&str>,
) -> Workload {
    Workload {
        kind: Kind::Deployment,
        namespace: ns.into(),
        name: name.into(),
        services: vec![format!("component:default/{name}")],
        desired: 3,
        updated: 3,
        ready,
        available: ready,
        revision: Some(14),
        tag: Some("3f2a1c9".into()),
        rollout,
        message: message.map(str::to_string),
        created: Some(now() - Duration::days(3)),
    }
}

fn rs(ns: &str, name: &str, deployment: &str) -> ReplicaSet {
    ReplicaSet {
        namespace: ns.into(),
        name: name.into(),
        deployment: Some(deployment.into()),
        revision: Some(14),
        tag: None,
        image: None,
        change_cause: None,
        created: None,
    }
}

pub(crate) fn model() -> Model {
    let mut m = Model::new(Keymap::defaults(), now());
    m.screen = Screen::Workloads;
    update(
        &mut m,
        Msg::Workloads(WMsg::Configured {
            contexts: vec![("prod".into(), "prod".into())],
            log_buffer_lines: 100,
        }),
    );
    let crash = PodReason::CrashLoopBackOff {
        container: "payments-api".into(),
        last: Some(Termination {
            reason: "Error".into(),
            exit_code: 1,
            finished: Some(now() - Duration::minutes(1)),
        }),
    };
    let oom = PodReason::OomKilled {
        container: "recommendations".into(),
        last: Termination {
            reason: "OOMKilled".into(),
            exit_code: 137,
            finished: Some(now() - Duration::minutes(7)),
        },
    };
    let pending = PodReason::Unschedulable {
        message: "0/3 nodes are available: 3 Insufficient memory.".into(),
    };
    let changes = vec![
        Change::Workload(deployment(
            "payments",
            "payments-api",
            1,
            RolloutState::Stalled,
            Some("ReplicaSet \"payments-api-7d9f\" has timed out progressing."),
        )),
        Change::Workload(deployment(
            "storefront",
            "recommendations",
            3,
            RolloutState::Complete,
            None,
        )),
        Change::Workload(deployment(
            "storefront",
            "catalog-search",
            2,
            RolloutState::Progressing,
            None,
        )),
        Change::ReplicaSet(rs("payments", "payments-api-7d9f", "payments-api")),
        Change::ReplicaSet(rs("storefront", "recommendations-5c8b", "recommendations")),
        Change::ReplicaSet(rs("storefront", "catalog-search-66d1", "catalog-search")),
        Change::Pod(pod(
            "payments",
            "payments-api-7d9f-x2k8d",
            "payments-api-7d9f",
            "payments-api",
            Some(crash.clone()),
            0,
            6,
        )),
        Change::Pod(pod(
            "payments",
            "payments-api-7d9f-q8v4n",
            "payments-api-7d9f",
            "payments-api",
            Some(crash),
            0,
            5,
        )),
        Change::Pod(pod(
            "payments",
            "payments-api-7d9f-mm2lp",
            "payments-api-7d9f",
            "payments-api",
            None,
            1,
            0,
        )),
        Change::Pod(pod(
            "storefront",
            "recommendations-5c8b-7hq2z",
            "recommendations-5c8b",
            "recommendations",
            Some(oom),
            1,
            3,
        )),
        Change::Pod(pod(
            "storefront",
            "recommendations-5c8b-b9x1c",
            "recommendations-5c8b",
            "recommendations",
            None,
            1,
            0,
        )),
        Change::Pod(pod(
            "storefront",
            "catalog-search-66d1-p0w9e",
            "catalog-search-66d1",
            "catalog-search",
            Some(pending),
            0,
            0,
        )),
        Change::Pod(pod(
            "storefront",
            "catalog-search-66d1-aa7k2",
            "catalog-search-66d1",
            "catalog-search",
            None,
            1,
            0,
        )),
        Change::Event(Event {
            namespace: "payments".into(),
            name: "payments-api-7d9f-x2k8d.1".into(),
            kind: "Pod".into(),
            object: "payments-api-7d9f-x2k8d".into(),
            reason: "BackOff".into(),
            message: "Back-off restarting failed container payments-api".into(),
            warning: true,
            count: 14,
            last: Some(now() - Duration::seconds(30)),
            source: "kubelet".into(),
        }),
        Change::Event(Event {
            namespace: "payments".into(),
            name: "payments-api.1".into(),
            kind: "Deployment".into(),
            object: "payments-api".into(),
            reason: "ScalingReplicaSet".into(),
            message: "Scaled up replica set payments-api-7d9f to 3".into(),
            warning: false,
            count: 1,
            last: Some(now() - Duration::minutes(9)),
            source: "deployment-controller".into(),
        }),
    ];
    update(
        &mut m,
        Msg::Workloads(WMsg::Batch {
            context: "prod".into(),
            changes,
        }),
    );
    update(
        &mut m,
        Msg::Workloads(WMsg::Scope {
            context: "prod".into(),
            namespace: "restricted".into(),
            state: ScopeState::Forbidden("403".into()),
        }),
    );
    m
}

#[test]
fn list_120x40() {
    insta::assert_snapshot!(render(&model(), 120, 40));
}

#[test]
fn list_80x24() {
    insta::assert_snapshot!(render(&model(), 80, 24));
}

#[test]
fn list_200x50() {
    insta::assert_snapshot!(render(&model(), 200, 50));
}

#[test]
fn events_of_a_deployment_120x40() {
    let mut m = model();
    update(&mut m, Msg::Key(Key::char('E')));
    insta::assert_snapshot!(render(&m, 120, 40));
}

pub(crate) fn logs_model() -> Model {
    let mut m = model();
    let i = m
        .workloads
        .rows
        .iter()
        .position(|r| matches!(r, Row::Workload { key, .. } if &*key.name == "payments-api"))
        .expect("the row");
    m.list_mut(Screen::Workloads).cursor.selected = i;
    let effects = update(&mut m, Msg::Key(Key::char('l')));
    let id = effects
        .iter()
        .find_map(|e| match e {
            Effect::Workloads(Command::StartLogs { id, .. }) => Some(*id),
            _ => None,
        })
        .expect("logs start");
    let text = [
        "{\"level\":\"info\",\"msg\":\"request served\",\"path\":\"/v1/payments\",\"status\":200}",
        "{\"level\":\"error\",\"msg\":\"upstream ledger timed out\",\"attempt\":2}",
        "\u{1b}[31mERROR\u{1b}[0m connection pool exhausted after 30s",
        "{\"level\":\"warn\",\"msg\":\"slow request\",\"duration_ms\":1428}",
        "a very long line that goes on and on to show what wrapping does to lines that do not fit the width of the terminal at all, even at 120 columns",
    ];
    let lines: Vec<LogLine> = (0..30)
        .map(|i| {
            let (text, runs) = flightdeck_core::sanitize::log_line(text[i % text.len()]);
            LogLine {
                source: (i % 3) as u16,
                text,
                runs,
            }
        })
        .collect();
    update(&mut m, Msg::Workloads(WMsg::LogLines { id, lines }));
    m
}

#[test]
fn merged_logs_following_120x40() {
    insta::assert_snapshot!(render(&logs_model(), 120, 40));
}

#[test]
fn logs_paused_on_a_search_match_wrapped_80x24() {
    let mut m = logs_model();
    update(
        &mut m,
        Msg::Resize {
            width: 80,
            height: 24,
        },
    );
    for key in [Key::char('w'), Key::char('/')] {
        update(&mut m, Msg::Key(key));
    }
    for c in "pool".chars() {
        update(&mut m, Msg::Key(Key::char(c)));
    }
    update(&mut m, Msg::Key(Key::new(KeyCode::Enter)));
    update(&mut m, Msg::Key(Key::char('N')));
    insta::assert_snapshot!(render(&m, 80, 24));
}

#[test]
fn logs_80x24() {
    insta::assert_snapshot!(render(&logs_model(), 80, 24));
}

/// payments-api with three revisions: the crashing one it runs and two to roll back to.
fn revisions_model() -> Model {
    let mut m = model();
    let revision = |name: &str, n: u64, tag: &str, cause: &str, hours: i64| {
        Change::ReplicaSet(ReplicaSet {
            revision: Some(n),
            image: Some(format!("ghcr.io/acme/payments-api:{tag}")),
            change_cause: Some(cause.into()),
            created: Some(now() - Duration::hours(hours)),
            ..rs("payments", name, "payments-api")
        })
    };
    update(
        &mut m,
        Msg::Workloads(WMsg::Batch {
            context: "prod".into(),
            changes: vec![
                revision(
                    "payments-api-7d9f",
                    14,
                    "3a4ffd3",
                    "deploy 3a4ffd3: retry card declines",
                    0,
                ),
                revision(
                    "payments-api-5c4b",
                    13,
                    "9f8e7d6",
                    "deploy 9f8e7d6: fix rounding of refunds",
                    26,
                ),
                revision(
                    "payments-api-8b2d",
                    12,
                    "1c2d3e4",
                    "deploy 1c2d3e4: bump the HTTP client",
                    73,
                ),
            ],
        }),
    );
    let i = m
        .workloads
        .rows
        .iter()
        .position(|r| matches!(r, Row::Workload { key, .. } if &*key.name == "payments-api"))
        .expect("the row");
    m.list_mut(Screen::Workloads).cursor.selected = i;
    update(&mut m, Msg::Key(Key::char('u')));
    m
}

#[test]
fn revisions_of_a_deployment_120x40() {
    insta::assert_snapshot!(render(&revisions_model(), 120, 40));
}

#[test]
fn rollback_confirmation_shows_the_image_diff_80x24() {
    let mut m = revisions_model();
    update(&mut m, Msg::Key(Key::new(KeyCode::Enter)));
    insta::assert_snapshot!(render(&m, 80, 24));
}

/// The port-forward prompt over the list, then the panel with one forward listening (a
/// connection open, the last one's error) and one that could not listen.
#[test]
fn port_forwards_prompt_and_panel_120x40() {
    use flightdeck_core::model::workloads::ForwardState;
    let mut m = model();
    let i = m
        .workloads
        .rows
        .iter()
        .position(|r| matches!(r, Row::Pod(_)))
        .expect("a pod row");
    m.list_mut(Screen::Workloads).cursor.selected = i;
    update(&mut m, Msg::Key(Key::char('F')));
    insta::assert_snapshot!("port_forward_prompt_120x40", render(&m, 120, 40));
    let mut ids = Vec::new();
    for spec in ["18080:8080", ":9090"] {
        if ids.len() == 1 {
            update(&mut m, Msg::Key(Key::char('f')));
            update(&mut m, Msg::Key(Key::char('F')));
        }
        update(&mut m, Msg::Key(Key::ctrl('u')));
        for c in spec.chars() {
            update(&mut m, Msg::Key(Key::char(c)));
        }
        let effects = update(&mut m, Msg::Key(Key::new(KeyCode::Enter)));
        for e in effects {
            if let Effect::Workloads(Command::StartForward { id, .. }) = e {
                ids.push(id);
            }
        }
    }
    assert_eq!(ids.len(), 2);
    let report = |id, bound: Option<&str>, state, open, total, last_error: Option<&str>| {
        Msg::Workloads(WMsg::Forward {
            id,
            bound: bound.map(str::to_string),
            state,
            open,
            total,
            last_error: last_error.map(str::to_string),
        })
    };
    update(
        &mut m,
        report(
            ids[0],
            Some("127.0.0.1:18080"),
            ForwardState::Listening,
            1,
            4,
            Some("error forwarding port 8080: connection reset"),
        ),
    );
    update(
        &mut m,
        report(
            ids[1],
            None,
            ForwardState::Failed("cannot listen on 127.0.0.1:0: address in use".into()),
            0,
            0,
            None,
        ),
    );
    insta::assert_snapshot!("port_forwards_panel_120x40", render(&m, 120, 40));
}
