//! The golden signals as pictures: the Overview's sparklines (errors and p99 over the last
//! hour) and what they look like at 200 and 80 columns, from answers shaped like the sim's
//! story (payments-api's bad deploy 40 minutes ago).

use flightdeck_core::message::Msg;
use flightdeck_core::message::signals::Msg as SignalsMsg;
use flightdeck_core::model::signals::{Answer, Range, Series, Signal};
use flightdeck_core::update::update;

use crate::ui_overview::{model, render, with_story};

/// An hour at one point a minute; `bad` from minute 20 on for payments-api.
fn answer(signal: Signal, names: &[&str]) -> Answer {
    let end = 1_772_443_800; // 2026-03-02T09:30:00Z, the model's now
    let start = end - 3600;
    let series = names
        .iter()
        .map(|name| {
            let points = (0..=60)
                .map(|i| {
                    let bad = *name == "payments-api" && (20..50).contains(&i);
                    let v = match (signal, bad) {
                        (Signal::ErrorRatio, true) => 0.25,
                        (Signal::ErrorRatio, false) => 0.002,
                        (Signal::LatencyP99, true) => 4.8,
                        (Signal::LatencyP99, false) => 0.12 + (i % 5) as f64 * 0.01,
                        (_, _) => 10.0,
                    };
                    (start + i * 60, v)
                })
                .collect();
            (name.to_string(), Series { points })
        })
        .collect();
    Answer {
        series,
        fetched_at: None,
        start,
        end,
        step: 60,
        warnings: vec![],
    }
}

fn with_signals() -> flightdeck_core::model::Model {
    let mut m = model();
    with_story(&mut m);
    let names: Vec<String> = m
        .catalog
        .overview
        .rows
        .iter()
        .map(|r| r.name.clone())
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    for signal in Signal::ALL {
        update(
            &mut m,
            Msg::Signals(SignalsMsg::Loaded {
                range: Range::Hour,
                signal,
                answer: answer(signal, &names),
                chart: false,
                generation: 0,
            }),
        );
    }
    m
}

#[rstest::rstest]
#[case(200, 50)]
#[case(80, 24)]
fn overview_with_sparklines(#[case] w: u16, #[case] h: u16) {
    let m = with_signals();
    let screen = render(&m, w, h);
    if w >= 160 {
        assert!(screen.contains("ERRORS 1h"), "{screen}");
        assert!(
            screen.contains("25.0%") || screen.contains("0.2%"),
            "{screen}"
        );
    }
    insta::assert_snapshot!(format!("overview_sparklines_{w}x{h}"), screen);
}

/// The story on the Service screen's six hours, every 200 s: payments-api's bad deploy two
/// hours ago raises its errors and p99 until the rollback fifty minutes later.
const END: i64 = 1_772_443_800;
const DEPLOY: i64 = END - 7200;
const ROLLBACK: i64 = END - 3000;
const FIRED: i64 = DEPLOY + 300;
const RESOLVED: i64 = END - 2400;

fn six_hours(signal: Signal) -> Answer {
    let start = END - Range::SixHours.seconds();
    let points = (0..=108)
        .map(|i| {
            let t = start + i * 200;
            let bad = (DEPLOY..ROLLBACK).contains(&t);
            let v = match (signal, bad) {
                (Signal::ErrorRatio, true) => 0.25,
                (Signal::ErrorRatio, false) => 0.002,
                (Signal::LatencyP99, true) => 4.8,
                (Signal::LatencyP99, false) => 0.4,
                (Signal::LatencyP50, _) => 0.05,
                (Signal::RequestRate, _) => 40.0,
                (Signal::Cpu, _) => 0.3,
                (Signal::Memory, _) => 0.6,
            };
            (t, v)
        })
        .collect();
    Answer {
        series: [("payments-api".to_string(), Series { points })].into(),
        fetched_at: None,
        start,
        end: END,
        step: 200,
        warnings: vec![],
    }
}

/// payments-api's Service screen at six hours, with its deploys (from GitHub's deployments)
/// and its alert's start and end (from Prometheus' history).
fn service_at_six_hours() -> flightdeck_core::model::Model {
    use chrono::DateTime;
    use flightdeck_core::keymap::Key;
    use flightdeck_core::message::pipelines::Msg as PMsg;
    use flightdeck_core::model::join::RunState;
    use flightdeck_core::model::pipelines::{Deployment, Host};
    use flightdeck_core::model::signals::AlertSpan;
    let mut m = with_signals();
    let at = |t: i64| DateTime::from_timestamp(t, 0).expect("a time");
    let deployment = |id: u64, sha: &str, t: i64| Deployment {
        id,
        environment: "production".into(),
        sha: sha.into(),
        git_ref: "main".into(),
        state: RunState::Success,
        status: "success".into(),
        creator: "asingh".into(),
        created: at(t),
        updated: at(t + 60),
        url: None,
    };
    update(
        &mut m,
        Msg::Pipelines(PMsg::Deployments {
            host: Host::Github,
            repo: "acme/payments-api".into(),
            service: "component:default/payments-api".into(),
            deployments: vec![
                deployment(10, "5b1d2e0a", ROLLBACK),
                deployment(9, "3f2a1c9d", DEPLOY),
            ],
            at: at(END),
        }),
    );
    flightdeck_core::update::overview::open_service(&mut m, "component:default/payments-api");
    update(&mut m, Msg::Key(Key::char('t')));
    assert_eq!(m.signals.range, Range::SixHours);
    let generation = m.signals.want.generation;
    for signal in Signal::ALL {
        update(
            &mut m,
            Msg::Signals(SignalsMsg::Loaded {
                range: Range::SixHours,
                signal,
                answer: six_hours(signal),
                chart: true,
                generation,
            }),
        );
    }
    update(
        &mut m,
        Msg::Signals(SignalsMsg::History {
            spans: [(
                "payments-api".to_string(),
                vec![AlertSpan {
                    alert: "HighErrorRate".into(),
                    start: FIRED,
                    end: Some(RESOLVED),
                    critical: true,
                }],
            )]
            .into(),
        }),
    );
    m
}

/// Where `t` falls on a plot `width` columns wide over six hours ending at `END`.
fn column(t: i64, width: usize) -> usize {
    let start = END - Range::SixHours.seconds();
    ((t - start) as f64 / (END - start) as f64 * (width - 1) as f64).round() as usize
}

#[rstest::rstest]
#[case(200, 50)]
#[case(120, 40)]
#[case(80, 24)]
fn service_charts_with_deploy_and_alert_markers(#[case] w: u16, #[case] h: u16) {
    use flightdeck_core::model::signals::chart_layout;
    let m = service_at_six_hours();
    let screen = render(&m, w, h);
    // Each chart's axis row: the markers at the columns of their times.
    let (_, plot) = chart_layout(w - 2);
    let plot = usize::from(plot);
    let axis: Vec<char> = screen
        .lines()
        .find(|l| l.contains('└') && l.contains('▲'))
        .unwrap_or_else(|| panic!("an axis row with markers:\n{screen}"))
        .chars()
        .skip_while(|c| *c != '└')
        .skip(1)
        .take(plot)
        .collect();
    for (t, mark) in [
        (DEPLOY, '▲'),
        (FIRED, '!'),
        (ROLLBACK, '▲'),
        (RESOLVED, '✓'),
    ] {
        assert_eq!(
            axis.get(column(t, plot)),
            Some(&mark),
            "{mark} at {t} on a {plot}-column plot: {}",
            axis.iter().collect::<String>()
        );
    }
    assert!(screen.contains("-6h"), "{screen}");
    assert!(screen.contains("25.0%"), "the errors' scale: {screen}");
    insta::assert_snapshot!(format!("service_charts_{w}x{h}"), screen);
}
