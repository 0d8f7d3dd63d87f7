//! Selection and going back, as the on-call user walks it: an alert, its pods, its runbook, the
//! palette, and `esc` back along the way, each landing on the item meant.

use rstest::rstest;

use super::alerts::{code, model, press, select_alert};
use super::update;
use crate::keymap::KeyCode;
use crate::message::{Msg, workloads::Msg as WorkloadsMsg};
use crate::model::alerts::LineKind;
use crate::model::workloads::{Change, Owner, Phase, Pod, PodReason};
use crate::model::{Model, Screen};

fn pod(namespace: &str, name: &str, service: &str, crashing: bool) -> Pod {
    let owner = name.rsplit_once('-').map_or(name, |(o, _)| o);
    Pod {
        namespace: namespace.into(),
        name: name.into(),
        services: [format!("component:default/{service}").into()].into(),
        phase: Phase::Running,
        ready: u16::from(!crashing),
        containers: ["app".into()].into(),
        restarts: if crashing { 12 } else { 0 },
        created: None,
        node: Some("node-1".into()),
        owner: Some(Owner {
            kind: "ReplicaSet".into(),
            name: owner.into(),
        }),
        reason: crashing.then(|| {
            Box::new(PodReason::CrashLoopBackOff {
                container: "app".into(),
                last: None,
            })
        }),
        last_restart: None,
        tag: Some("v1".into()),
        ports: [8080].into(),
    }
}

/// The alerts of `alerts::tests::model`, payments-api's pods (one crash-looping) below many of
/// another service's on Workloads, where the cursor was left far down, and payments-api's
/// runbook in its docs.
fn cockpit() -> Model {
    use crate::model::docs::{Page, Site};
    let mut m = model();
    let mut changes: Vec<Change> = (0..60)
        .map(|i| Change::Pod(pod("books", &format!("ledger-5d4-{i:04}"), "ledger", false)))
        .collect();
    for (name, crashing) in [
        ("payments-api-7f9c-aaaa", false),
        ("payments-api-7f9c-bbbb", false),
        ("payments-api-7f9c-zzzz", true),
    ] {
        changes.push(Change::Pod(pod("shop", name, "payments-api", crashing)));
    }
    update(
        &mut m,
        Msg::Workloads(WorkloadsMsg::Batch {
            context: "prod".into(),
            changes,
        }),
    );
    let rows = m.workloads.rows.len();
    let height = m.list_height;
    m.list_mut(Screen::Workloads).choose(rows - 1, rows, height);
    let site = Site {
        service: "component:default/payments-api".into(),
        name: "payments-api".into(),
        site_name: "Payments API".into(),
        site_url: Some("https://docs.acme.example/payments-api/".into()),
        root: "/repo/docs".into(),
        nav: vec![],
        pages: vec![Page {
            path: "runbooks/crash-looping.md".into(),
            file: "/repo/docs/runbooks/crash-looping.md".into(),
            markdown: "# Crash looping\n\nPods restart.\n".into(),
            ..Page::default()
        }],
    };
    update(
        &mut m,
        Msg::Docs(super::docs::Msg::Loaded {
            sites: vec![site],
            errors: vec![],
        }),
    );
    for merged in &mut m.alerts.merged {
        if merged.service.as_ref() == "payments-api" {
            merged.service_ref = Some("component:default/payments-api".into());
        }
    }
    m.screen = Screen::Alerts;
    select_alert(&mut m, "KubePodCrashLooping");
    m
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Keys(&'static str),
    Code(KeyCode),
    Paste(&'static str),
}
use Step::{Code, Keys, Paste};

const ENTER: Step = Code(KeyCode::Enter);
const ESC: Step = Code(KeyCode::Esc);

/// The name of the alert whose detail is open, or of the selected alert.
fn alert_name(m: &Model, detail: bool) -> Option<String> {
    let state = &m.alerts;
    let merged = if detail {
        state.by_fingerprint(&state.detail.as_ref()?.fingerprint)?
    } else {
        state
            .alert_at_row(m.list(Screen::Alerts).cursor.selected)?
            .1
    };
    state.alert(merged).map(|a| a.name().to_string())
}

/// What the user sees: the screen, the open alert detail, and the selected item there.
fn seen(m: &Model) -> (Screen, Option<String>, Option<String>) {
    let detail = alert_name(m, true).filter(|_| m.screen == Screen::Alerts);
    let selected = match m.screen {
        Screen::Alerts => alert_name(m, false),
        Screen::Workloads => super::workloads::selected_key(m),
        Screen::Docs => m.docs.open.as_ref().map(|o| o.path.clone()),
        _ => None,
    };
    (m.screen, detail, selected)
}

const CRASHING_POD: &str = "pod prod/shop/payments-api-7f9c-zzzz";

#[rstest]
#[case::pods_of_the_alert_selected(
    vec![ENTER, Keys("3")],
    (Screen::Workloads, None, Some(CRASHING_POD)),
)]
#[case::esc_from_the_pods_back_to_the_alert(
    vec![ENTER, Keys("3"), ESC],
    (Screen::Alerts, Some("KubePodCrashLooping"), Some("KubePodCrashLooping")),
)]
#[case::esc_again_closes_the_alert(
    vec![ENTER, Keys("3"), ESC, ESC],
    (Screen::Alerts, None, Some("KubePodCrashLooping")),
)]
#[case::runbook_of_the_alert(
    vec![ENTER, Keys("o")],
    (Screen::Docs, None, Some("runbooks/crash-looping.md")),
)]
#[case::esc_from_the_runbook_back_to_the_alert(
    vec![ENTER, Keys("o"), ESC],
    (Screen::Alerts, Some("KubePodCrashLooping"), Some("KubePodCrashLooping")),
)]
#[case::pods_then_back_then_runbook_then_back(
    vec![ENTER, Keys("3"), ESC, Keys("o"), ESC, ESC],
    (Screen::Alerts, None, Some("KubePodCrashLooping")),
)]
#[case::palette_selects_a_pod(
    vec![Keys(":"), Paste("zzzz"), ENTER],
    (Screen::Workloads, None, Some(CRASHING_POD)),
)]
#[case::palette_selects_an_alert_and_enter_opens_it(
    vec![Keys(":"), Paste("DiskFilling"), ENTER, ENTER],
    (Screen::Alerts, Some("DiskFilling"), Some("DiskFilling")),
)]
#[case::esc_after_a_palette_jump_goes_back(
    vec![ENTER, Keys(":"), Paste("zzzz"), ENTER, ESC],
    (Screen::Alerts, Some("KubePodCrashLooping"), Some("KubePodCrashLooping")),
)]
#[case::a_filter_typed_after_landing_is_cleared_first(
    vec![Keys("3"), Keys("/x"), ENTER, ESC],
    (Screen::Workloads, None, Some("orphans prod/shop")),
)]
#[case::then_esc_goes_back(
    vec![Keys("3"), Keys("/x"), ENTER, ESC, ESC],
    (Screen::Alerts, None, Some("KubePodCrashLooping")),
)]
fn selection_and_going_back(
    #[case] steps: Vec<Step>,
    #[case] expected: (Screen, Option<&str>, Option<&str>),
) {
    let mut m = cockpit();
    for step in steps {
        match step {
            Keys(keys) => {
                press(&mut m, keys);
            }
            Code(c) => {
                code(&mut m, c);
            }
            Paste(text) => {
                update(&mut m, Msg::Paste(text.into()));
            }
        }
    }
    let (screen, detail, selected) = seen(&m);
    assert_eq!(
        (screen, detail.as_deref(), selected.as_deref()),
        expected,
        "{:?}",
        m.notice
    );
}

/// The Workloads jump scrolls the selected pod into view.
#[test]
fn the_selected_pod_is_in_view() {
    let mut m = cockpit();
    code(&mut m, KeyCode::Enter);
    press(&mut m, "3");
    let cursor = m.list(Screen::Workloads).cursor;
    assert!(cursor.offset <= cursor.selected && cursor.selected < cursor.offset + m.list_height);
}

#[test]
fn the_back_stack_is_bounded() {
    let mut m = cockpit();
    for _ in 0..100 {
        press(&mut m, "2");
        press(&mut m, "4");
    }
    assert!(m.back.len() <= crate::model::nav::MAX_BACK);
}

/// A resolved alert's detail keeps its text, but not "state active" under "no longer firing".
#[test]
fn a_resolved_alerts_detail_says_resolved() {
    let mut m = cockpit();
    code(&mut m, KeyCode::Enter);
    for instance in ["prod-a", "prod-b"] {
        let mut data = m.alerts.instances[0]
            .data()
            .map(|d| d.value.clone())
            .expect("data");
        data.alerts.retain(|a| a.name() != "KubePodCrashLooping");
        let at = m.now;
        update(
            &mut m,
            Msg::Alerts(super::alerts::Msg::Fetched {
                instance: instance.into(),
                at,
                data,
            }),
        );
    }
    let detail = m.alerts.detail.as_ref().expect("the detail stays open");
    let state = detail
        .lines
        .iter()
        .find(|l| l.key == "state")
        .expect("a state line");
    assert_eq!(state.text, "resolved (no longer firing)");
    assert_eq!(state.kind, LineKind::Muted);
}

/// Until the user chooses a row, the cursor stays on the top one, the most urgent, however the
/// rows move underneath: a more urgent alert arriving takes the top and the cursor.
#[test]
fn untouched_the_cursor_stays_on_the_top_row() {
    let mut m = model();
    assert_eq!(m.list(Screen::Alerts).cursor.selected, 0);
    let top_before = m.alerts.rows.first().cloned();
    let mut data = m.alerts.instances[0]
        .data()
        .map(|d| d.value.clone())
        .expect("data");
    let mut urgent = data.alerts[0].clone();
    urgent.labels.insert("alertname".into(), "Aaa".into());
    urgent.labels.insert("service".into(), "aardvark".into());
    urgent.fingerprint = crate::wire::alertmanager::fingerprint(&urgent.labels);
    urgent.derive();
    data.alerts.push(urgent);
    let at = m.now;
    update(
        &mut m,
        Msg::Alerts(super::alerts::Msg::Fetched {
            instance: "prod-a".into(),
            at,
            data,
        }),
    );
    assert_ne!(m.alerts.rows.first().cloned(), top_before, "a new top row");
    assert_eq!(m.list(Screen::Alerts).cursor.selected, 0);
}

/// At 3 a.m. the on-call path is `4`, `enter`: the top row is the worst service's group, and
/// `enter` there opens its most urgent alert rather than folding the group away; `z` folds.
#[test]
fn enter_on_the_top_group_opens_its_worst_alert_and_z_folds_it() {
    let mut m = cockpit();
    let list = m.list_mut(Screen::Alerts);
    list.cursor.selected = 0;
    list.chosen = false;
    assert!(
        matches!(
            m.alerts.rows.first(),
            Some(crate::model::alerts::Row::Service { .. })
        ),
        "the top row is a group header"
    );
    code(&mut m, KeyCode::Enter);
    assert_eq!(
        alert_name(&m, true).as_deref(),
        Some("KubePodCrashLooping"),
        "enter on the group opened its worst alert"
    );
    assert_eq!(m.list(Screen::Alerts).cursor.selected, 1);

    code(&mut m, KeyCode::Esc);
    let before = m.alerts.rows.len();
    press(&mut m, "z");
    assert!(
        m.alerts.rows.len() < before,
        "z folds the selected alert's group"
    );
    assert_eq!(m.list(Screen::Alerts).cursor.selected, 0, "on its header");
    code(&mut m, KeyCode::Enter);
    assert_eq!(m.alerts.rows.len(), before, "enter unfolds a folded group");
}
