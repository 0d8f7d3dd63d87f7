//! The golden signals' budgets: the Overview with 200 services' sparklines drawn at 200x60
//! (under 1 ms), and a 7-day chart's answer decoded and laid out (under 10 ms).

use std::hint::black_box;

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use flightdeck::config::theme::{ColorSupport, load_theme};
use flightdeck::providers::catalog::load_files;
use flightdeck::providers::prometheus::by_service;
use flightdeck::ui::chart;
use flightdeck_core::keymap::Keymap;
use flightdeck_core::message::{Msg, catalog, signals as signals_msg};
use flightdeck_core::model::catalog::Origin;
use flightdeck_core::model::signals::{Answer, Range, Series, Signal, Unit, step_for};
use flightdeck_core::model::{FetchState, Model, SourceId, SourceKind, SourceStatus};
use flightdeck_core::update::update;
use flightdeck_core::wire::prometheus::{QueryData, decode};

const SERVICES: usize = 200;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:30:00Z")
        .map(|t| t.to_utc())
        .unwrap_or_default()
}

fn model(dir: &std::path::Path) -> Model {
    let mut text = String::new();
    for n in 0..SERVICES {
        text.push_str(&format!(
            "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: service-{n:04}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-{}\n",
            n % 20
        ));
    }
    let file = dir.join("catalog-info.yaml");
    std::fs::write(&file, text).expect("write descriptors");
    let entities = load_files([file.as_path()]).entities;
    let mut m = Model::new(Keymap::defaults(), now());
    for (k, n) in [
        (SourceKind::Catalog, "catalog"),
        (SourceKind::Prometheus, "prod"),
    ] {
        let mut s = SourceStatus::new(SourceId::new(k, n), FetchState::Ok);
        s.fetched_at = Some(now());
        m.sources.push(s);
    }
    m.signals.enabled = true;
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
            at: now(),
        }),
    );
    let end = now().timestamp();
    for signal in Signal::ALL {
        let series = (0..SERVICES)
            .map(|n| {
                let points = (0..=60)
                    .map(|i| {
                        (
                            end - 3600 + i * 60,
                            ((n as i64 * 7 + i) % 13) as f64 / 100.0,
                        )
                    })
                    .collect();
                (format!("service-{n:04}"), Series { points })
            })
            .collect();
        update(
            &mut m,
            Msg::Signals(signals_msg::Msg::Loaded {
                range: Range::Hour,
                signal,
                answer: Answer {
                    series,
                    fetched_at: Some(now()),
                    start: end - 3600,
                    end,
                    step: 60,
                    warnings: vec![],
                },
                chart: false,
                generation: 0,
            }),
        );
    }
    m
}

/// A `query_range` answer for one service over 7 days at a 200-column chart's step.
fn week_body() -> (String, i64, i64) {
    let step = step_for(Range::Week, 200, 15);
    let end = now().timestamp();
    let start = end - Range::Week.seconds();
    let values: Vec<String> = (0..=(Range::Week.seconds() / step))
        .map(|i| format!("[{},\"{}\"]", start + i * step, (i % 17) as f64 / 1000.0))
        .collect();
    (
        format!(
            "{{\"status\":\"success\",\"data\":{{\"resultType\":\"matrix\",\"result\":[{{\"metric\":{{\"service\":\"payments-api\"}},\"values\":[{}]}}]}}}}",
            values.join(",")
        ),
        start,
        end,
    )
}

fn bench(c: &mut Criterion) {
    let Ok(dir) = tempfile::tempdir() else { return };
    let m = model(dir.path());
    assert_eq!(m.catalog.overview.rows.len(), SERVICES);
    let theme = load_theme("dark", ColorSupport::TrueColor).expect("dark loads");
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("a test terminal");
    c.bench_function(
        "signals/overview view 200 services with sparklines 200x60",
        |b| {
            b.iter(|| {
                terminal
                    .draw(|f| flightdeck::ui::view(black_box(&m), &theme, f))
                    .expect("draws");
            })
        },
    );
    let (body, start, end) = week_body();
    let services = vec!["payments-api".to_string()];
    c.bench_function("signals/7d chart decoded and laid out", |b| {
        b.iter(|| {
            let (data, _) = decode::<QueryData>(black_box(body.as_bytes())).expect("decodes");
            let series = by_service(data, "service", &services);
            let s = series.get("payments-api").expect("the service");
            black_box(chart::chart(
                s,
                (start, end),
                (190, 8),
                Unit::Ratio,
                &[(start + 3600, '▲'), (end - 7200, '!')],
            ))
        })
    });
}

criterion_group!(signals, bench);
