//! The Alerts screen as an on-call engineer sees it, kept as insta snapshots with styles: the
//! grouped list, muted alerts shown, a filter with a broken matcher, the alert detail, the
//! silence form and the silences list, at 120x40 and 80x24; and hostile annotations drawn with
//! no control or format character in any cell. Time is fixed, never the real clock.

use chrono::{DateTime, Duration, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

use flightdeck::config::theme::{ColorSupport, load_theme};
use flightdeck::providers::alertmanager::{decode_alert, decode_silence};
use flightdeck_core::keymap::{Key, KeyCode, Keymap};
use flightdeck_core::message::alerts::Msg as AlertsMsg;
use flightdeck_core::message::{Msg, SourceEvent};
use flightdeck_core::model::alerts::InstanceData;
use flightdeck_core::model::{FetchState, Model, Screen, SourceId, SourceKind, SourceStatus};
use flightdeck_core::update::update;
use flightdeck_core::wire::alertmanager::{GettableAlert, GettableSilence};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:30:00Z")
        .expect("a fixed time")
        .with_timezone(&Utc)
}

fn at(minutes_ago: i64) -> String {
    (now() - Duration::minutes(minutes_ago)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

const ACK_ID: &str = "0f1e2d3c-4b5a-4978-8877-665544332211";

fn alert(
    labels: serde_json::Value,
    annotations: serde_json::Value,
    minutes_ago: i64,
    muted: Option<&str>,
) -> GettableAlert {
    let labels: flightdeck_core::wire::alertmanager::LabelSet =
        serde_json::from_value(labels).expect("labels are a map of strings");
    let (state, silenced, inhibited) = match muted {
        Some("inhibited") => ("suppressed", json!([]), json!(["0000000000000001"])),
        Some(id) => ("suppressed", json!([id]), json!([])),
        None => ("active", json!([]), json!([])),
    };
    serde_json::from_value(json!({
        "labels": labels,
        "annotations": annotations,
        "receivers": [{"name": "pagerduty-oncall"}],
        "fingerprint": flightdeck_core::wire::alertmanager::fingerprint(&labels),
        "startsAt": at(minutes_ago),
        "updatedAt": at(0),
        "endsAt": at(-5),
        "status": {"state": state, "silencedBy": silenced, "inhibitedBy": inhibited},
        "generatorURL": "http://prometheus.acme.example/graph?g0.expr=up",
    }))
    .expect("a gettable alert")
}

fn hostile_annotations() -> serde_json::Value {
    let mut huge = String::new();
    let mut n = 0;
    while huge.len() < 100 * 1024 {
        n += 1;
        huge.push_str(&format!(
            "line {n}: \u{1b}[5mblink\u{1b}[0m bell\u{7} tab\there \u{9b}31m\n"
        ));
    }
    json!({
        "summary": "\u{1b}]0;pwned\u{7}\u{1b}[31mred",
        "bidi": "Approve \u{202e}dnufer\u{202c} payment \u{2066}now\u{2069}\u{200b}",
        "description": huge,
        "runbook_url": "https://runbooks.example.invalid/\u{1b}[2Jwiped",
    })
}

fn data() -> InstanceData {
    let rb = |s: &str| format!("https://docs.acme.example/payments-api/runbooks/{s}");
    let alerts = vec![
        alert(
            json!({"alertname": "KubePodCrashLooping", "service": "payments-api", "severity": "critical", "namespace": "payments"}),
            json!({"summary": "Pods of payments-api are crash looping",
                   "description": "Every pod of deployment payments-api restarted more than 3 times in 5 minutes.",
                   "runbook_url": rb("crash-looping.md#first-five-minutes")}),
            12,
            None,
        ),
        alert(
            json!({"alertname": "HighErrorRate", "service": "payments-api", "severity": "critical"}),
            json!({"summary": "payments-api answers more than 5% of requests with 5xx", "runbook_url": rb("high-error-rate.md")}),
            11,
            Some(ACK_ID),
        ),
        alert(
            json!({"alertname": "LatencyHigh", "service": "payments-api", "severity": "warning"}),
            json!({"summary": "p99 above 2s"}),
            9,
            Some("inhibited"),
        ),
        alert(
            json!({"alertname": "ContainerOOMKilled", "service": "recommendations", "severity": "warning"}),
            json!({"summary": "A container of recommendations was OOM killed"}),
            130,
            None,
        ),
        alert(
            json!({"alertname": "HostileAnnotationsTest", "severity": "info", "namespace": "monitoring",
                   "instance": "web\u{202e}exe.txt\u{202c}-1\u{200b}"}),
            hostile_annotations(),
            360,
            None,
        ),
        alert(
            json!({"alertname": "Watchdog", "severity": "none"}),
            json!({"summary": "An alert that should always be firing, to show the pipeline works."}),
            360,
            None,
        ),
    ];
    let silence: GettableSilence = serde_json::from_value(json!({
        "id": ACK_ID, "status": {"state": "active"}, "updatedAt": at(3),
        "matchers": [{"name": "alertname", "value": "HighErrorRate", "isRegex": false, "isEqual": true},
                     {"name": "service", "value": "payments-api", "isRegex": false}],
        "startsAt": at(3), "endsAt": at(-12), "createdBy": "asingh", "comment": "ACK! asingh is looking"
    }))
    .expect("a gettable silence");
    let pending: GettableSilence = serde_json::from_value(json!({
        "id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "status": {"state": "pending"}, "updatedAt": at(60),
        "matchers": [{"name": "namespace", "value": "fulfilment", "isRegex": false},
                     {"name": "alertname", "value": "Kube.*", "isRegex": true}],
        "startsAt": at(-120), "endsAt": at(-240), "createdBy": "kmuller@acme.example",
        "comment": "Planned node pool upgrade: pods will restart."
    }))
    .expect("a gettable silence");
    InstanceData {
        alerts: alerts.into_iter().map(decode_alert).collect(),
        silences: vec![decode_silence(silence), decode_silence(pending)],
        version: Some("0.25.0".into()),
        cluster: None,
    }
}

pub(crate) fn model() -> Model {
    let mut m = Model::new(Keymap::defaults(), now());
    let id = SourceId::new(SourceKind::Alertmanager, "prod");
    m.sources = vec![SourceStatus::new(id.clone(), FetchState::Unsupported)];
    m.screen = Screen::Alerts;
    update(
        &mut m,
        Msg::Alerts(AlertsMsg::Configured {
            instances: vec![("prod".into(), "service".into())],
            created_by: "jdoe".into(),
            utc_offset_secs: 0,
            ack_minutes: 15,
        }),
    );
    update(
        &mut m,
        Msg::Alerts(AlertsMsg::Fetched {
            instance: "prod".into(),
            at: now(),
            data: data(),
        }),
    );
    update(
        &mut m,
        Msg::Source {
            id,
            event: SourceEvent::Ok {
                at: now(),
                detail: Some("v0.25.0".into()),
            },
        },
    );
    m
}

fn sized(mut m: Model, width: u16, height: u16) -> Model {
    update(&mut m, Msg::Resize { width, height });
    m
}

fn draw(m: &Model) -> ratatui::buffer::Buffer {
    let theme = load_theme("dark", ColorSupport::TrueColor).expect("dark loads");
    let mut terminal =
        Terminal::new(TestBackend::new(m.size.0, m.size.1)).expect("a test terminal");
    terminal
        .draw(|f| flightdeck::ui::view(m, &theme, f))
        .expect("draws");
    terminal.backend().buffer().clone()
}

fn render(m: &Model) -> String {
    format!("{:?}", draw(m))
}

fn press(m: &mut Model, keys: &str) {
    for c in keys.chars() {
        update(m, Msg::Key(Key::char(c)));
    }
}

fn key(m: &mut Model, code: KeyCode) {
    update(m, Msg::Key(Key::new(code)));
}

fn select(m: &mut Model, name: &str) {
    let rows = m.alerts.rows.clone();
    for (i, row) in rows.iter().enumerate() {
        if let flightdeck_core::model::alerts::Row::Alert(a) = row
            && m.alerts
                .alert(&m.alerts.merged[*a])
                .is_some_and(|a| a.name() == name)
        {
            m.list_mut(Screen::Alerts).cursor.selected = i;
            return;
        }
    }
    panic!("{name} is not listed");
}

const SIZES: [(u16, u16); 3] = [(120, 40), (80, 24), (200, 50)];

#[test]
fn the_list_grouped_by_service() {
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("list_{w}x{h}"), render(&sized(model(), w, h)));
    }
}

#[test]
fn muted_alerts_shown_and_a_filter() {
    let mut m = sized(model(), 120, 40);
    press(&mut m, "M");
    insta::assert_snapshot!("muted_shown_120x40", render(&m));
    press(&mut m, "/severity=~\"crit.*\" service=~\"(\"");
    insta::assert_snapshot!("filter_with_a_broken_matcher_120x40", render(&m));
}

#[test]
fn the_alert_detail() {
    for (w, h) in SIZES {
        let mut m = sized(model(), w, h);
        select(&mut m, "KubePodCrashLooping");
        key(&mut m, KeyCode::Enter);
        insta::assert_snapshot!(format!("detail_{w}x{h}"), render(&m));
    }
}

#[test]
fn the_silence_form() {
    for (w, h) in SIZES {
        let mut m = sized(model(), w, h);
        select(&mut m, "KubePodCrashLooping");
        press(&mut m, "s");
        press(&mut m, "rolling back 3f2a1c9");
        insta::assert_snapshot!(format!("silence_form_{w}x{h}"), render(&m));
    }
}

#[test]
fn the_silences_list() {
    for (w, h) in SIZES {
        let mut m = sized(model(), w, h);
        press(&mut m, "S");
        insta::assert_snapshot!(format!("silences_{w}x{h}"), render(&m));
    }
}

#[test]
fn the_silence_edit_form() {
    for (w, h) in SIZES {
        let mut m = sized(model(), w, h);
        press(&mut m, "Se");
        assert!(m.alerts.form.is_some(), "e opens the form on the silence");
        insta::assert_snapshot!(format!("silence_edit_{w}x{h}"), render(&m));
    }
}

fn is_control_or_format(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{ad}' | '\u{61c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

#[test]
fn hostile_annotations_render_harmlessly() {
    for (w, h) in SIZES {
        let mut m = sized(model(), w, h);
        let mut screens = vec![draw(&m)];
        select(&mut m, "HostileAnnotationsTest");
        key(&mut m, KeyCode::Enter);
        let lines = m.alerts.detail.as_ref().map_or(0, |d| d.lines.len());
        assert!(
            lines > 1000,
            "the 100 KB text is wrapped, not dropped ({lines} lines)"
        );
        while m
            .alerts
            .detail
            .as_ref()
            .is_some_and(|d| d.scroll + 1 < d.lines.len())
        {
            screens.push(draw(&m));
            key(&mut m, KeyCode::PageDown);
        }
        key(&mut m, KeyCode::Esc);
        press(&mut m, "s");
        screens.push(draw(&m));
        for buffer in &screens {
            for cell in buffer.content() {
                assert!(
                    !cell.symbol().chars().any(is_control_or_format),
                    "{w}x{h}: a cell holds {:?}",
                    cell.symbol()
                );
            }
        }
        let text: String = screens[0].content().iter().map(|c| c.symbol()).collect();
        assert!(
            text.contains("^[]0;pwned^G^[[31mred"),
            "the escape is shown in caret form, so tampering is visible"
        );
    }
}

/// Columns share the width by content: at 80 columns an alert's name is whole, the summary
/// beside it gives way first.
#[test]
fn alert_names_are_whole_at_80_columns() {
    let screen = render(&sized(model(), 80, 24));
    for name in [
        "KubePodCrashLooping",
        "ContainerOOMKilled",
        "HostileAnnotationsTest",
        "Watchdog",
    ] {
        assert!(
            screen.contains(&format!("{name} ")),
            "{name} is cut:\n{screen}"
        );
    }
}

/// The alert detail graphs its rule's expression (from Prometheus' `rules`) over the last six
/// hours with the threshold dotted across: here the crash loop's restarts rising past 0.5.
#[test]
fn the_alert_detail_graphs_its_expression() {
    use flightdeck_core::message::signals::Msg as SignalsMsg;
    use flightdeck_core::model::signals::{Answer, ExprGraph, Series};
    let end = now().timestamp();
    let start = end - 6 * 3600;
    let points = (0..=108)
        .map(|i| (start + i * 200, if i < 80 { 0.02 } else { 1.4 }))
        .collect();
    for (w, h) in [(120, 40), (80, 24)] {
        let mut m = sized(model(), w, h);
        select(&mut m, "KubePodCrashLooping");
        key(&mut m, KeyCode::Enter);
        let generation = m.signals.want.generation;
        update(
            &mut m,
            Msg::Signals(SignalsMsg::Expr {
                graph: ExprGraph {
                    alert: "KubePodCrashLooping".into(),
                    left: "max_over_time(kube_pod_container_status_waiting_reason{reason=\"CrashLoopBackOff\"}[5m])".into(),
                    op: ">=".into(),
                    right: "0.5".into(),
                    threshold: Some(0.5),
                    answer: Ok(Answer {
                        series: [(String::new(), Series { points: Vec::clone(&points) })].into(),
                        fetched_at: None,
                        start,
                        end,
                        step: 200,
                        warnings: vec![],
                    }),
                },
                generation,
            }),
        );
        let screen = render(&m);
        if h >= 40 {
            assert!(screen.contains("┄"), "the threshold line: {screen}");
            assert!(
                screen.contains("0.500┤"),
                "the threshold labelled: {screen}"
            );
        }
        insta::assert_snapshot!(format!("detail_expr_{w}x{h}"), screen);
    }
}
