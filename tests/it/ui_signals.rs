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
