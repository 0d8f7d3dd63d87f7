//! Property tests over every decoder and renderer of outside text: payloads shaped as the real
//! APIs send them (taken from the sim) with hostile strings in their string fields, descriptors,
//! Markdown, log lines and config files. Each case must not panic, must finish in bounded time,
//! and must leave no control or invisible format character in any cell of the rendered screen.
//! `PROPTEST_CASES` sets the cases per property (256 by default); each property prints its count.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config as PropConfig, TestRunner};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::Value;

use crate::fuzz::{PIECES, hidden};
use flightdeck::config::theme::{ColorSupport, load_theme};
use flightdeck::providers::kubernetes::convert::{self, NoServices};
use flightdeck::ui::theme::Theme;
use flightdeck_core::keymap::Keymap;
use flightdeck_core::message::Msg;
use flightdeck_core::model::{Model, Screen};
use flightdeck_core::sanitize;
use flightdeck_core::update::update;
use flightdeck_sim::{Sim, SimConfig};

/// Each case's deadline: generous for a debug build on a loaded machine, and far below what
/// anything quadratic in a 20,000-character field would take.
const CASE_DEADLINE: Duration = Duration::from_secs(2);

fn runner() -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    TestRunner::new(PropConfig {
        cases,
        failure_persistence: None,
        ..PropConfig::default()
    })
}

/// Hostile text: escape sequences, C0/C1, bidi, zero-width, CR, Markdown syntax, wide and
/// combining characters, and sometimes one piece repeated thousands of times.
fn hostile() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(PIECES);
    prop_oneof![
        8 => prop::collection::vec(piece.clone(), 0..40).prop_map(|p| p.concat()),
        1 => (piece, 500usize..5000).prop_map(|(p, n)| p.repeat(n)),
        1 => any::<String>(),
    ]
}

fn string_leaves(v: &Value) -> usize {
    match v {
        Value::String(_) => 1,
        Value::Array(a) => a.iter().map(string_leaves).sum(),
        Value::Object(o) => o.values().map(string_leaves).sum(),
        _ => 0,
    }
}

/// `v` with the string leaves `replace` marks swapped for hostile ones, in document order.
fn mutate(v: &Value, replace: &mut impl Iterator<Item = Option<String>>) -> Value {
    match v {
        Value::String(s) => match replace.next().flatten() {
            Some(h) => Value::String(h),
            None => Value::String(s.clone()),
        },
        Value::Array(a) => Value::Array(a.iter().map(|x| mutate(x, replace)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), mutate(x, replace)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Which string leaves of `template` take any text and still decode (`decodes`): timestamps,
/// enums and numbers in strings do not, and a payload with one of them spoiled is refused
/// whole, so a case reaches the screen only if those stay as they were.
fn free_leaves(template: &Value, decodes: impl Fn(Value) -> bool) -> Vec<bool> {
    let n = string_leaves(template);
    (0..n)
        .map(|i| {
            let mut only = (0..n).map(|j| (j == i).then(|| "x\u{202e}\x1b[2J".to_string()));
            decodes(mutate(template, &mut only))
        })
        .collect()
}

/// The template with hostile text in its free string fields (each, more often than not) and,
/// now and then, in the others, so that refused payloads are exercised too.
fn hostile_json(template: Value, decodes: impl Fn(Value) -> bool) -> impl Strategy<Value = Value> {
    let free = free_leaves(&template, decodes);
    let leaves: Vec<_> = free
        .iter()
        .map(|&f| prop::option::weighted(if f { 0.6 } else { 0.02 }, hostile()))
        .collect();
    leaves.prop_map(move |r| mutate(&template, &mut r.into_iter()))
}

fn decodes_as<T: serde::de::DeserializeOwned>(v: Value) -> bool {
    serde_json::from_value::<T>(v).is_ok()
}

fn theme() -> Theme {
    load_theme("dark", ColorSupport::TrueColor).expect("the dark theme loads")
}

fn model() -> Model {
    let mut m = Model::new(Keymap::defaults(), chrono::Utc::now());
    let _ = update(
        &mut m,
        Msg::Resize {
            width: 100,
            height: 30,
        },
    );
    m
}

/// Draws each of `screens` and fails on a hidden character in any cell.
fn assert_clean_screens(
    m: &mut Model,
    theme: &Theme,
    screens: &[Screen],
) -> Result<(), TestCaseError> {
    for &screen in screens {
        m.screen = screen;
        let mut terminal = Terminal::new(TestBackend::new(100, 30)).expect("a test terminal");
        terminal
            .draw(|f| flightdeck::ui::view(m, theme, f))
            .expect("draws");
        for cell in terminal.backend().buffer().content() {
            prop_assert!(
                !cell.symbol().chars().any(|c| hidden(c, false)),
                "{screen:?} drew {:?}",
                cell.symbol()
            );
        }
    }
    Ok(())
}

fn timed(start: Instant) -> Result<(), TestCaseError> {
    prop_assert!(
        start.elapsed() < CASE_DEADLINE,
        "one case took {:?}",
        start.elapsed()
    );
    Ok(())
}

/// Runs `property` over `strategy`, printing how many cases ran and how many reached the screen.
fn run<S: Strategy>(
    name: &str,
    strategy: S,
    property: impl Fn(S::Value) -> Result<bool, TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let shown = std::cell::Cell::new(0usize);
    let total = std::cell::Cell::new(0usize);
    let result = runner().run(&strategy, |v| {
        total.set(total.get() + 1);
        if property(v)? {
            shown.set(shown.get() + 1);
        }
        Ok(())
    });
    println!(
        "properties: {name}: {} cases, {} decoded and drawn",
        total.get(),
        shown.get()
    );
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

/// Payload templates from a running sim, as its APIs serve them.
struct Templates {
    github_runs: Value,
    github_deployments: Value,
    gitlab_pipelines: Value,
    alerts: Value,
    pods: Value,
    events: Value,
    descriptor: String,
}

fn templates() -> Templates {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let sim = Sim::start(SimConfig {
            services: 12,
            pods_per_service: 2,
            ..SimConfig::default()
        })
        .await
        .expect("the sim starts");
        let e = sim.endpoints().clone();
        let http = reqwest::Client::new();
        let get = |url: String, token: &'static str| {
            let http = http.clone();
            async move {
                http.get(&url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .expect("the sim answers")
                    .json::<Value>()
                    .await
                    .expect("JSON")
            }
        };
        let runs = get(
            format!(
                "{}/repos/acme/payments-api/actions/runs?per_page=3",
                e.github
            ),
            "flightdeck-sim-token",
        )
        .await;
        let deployments = get(
            format!(
                "{}/repos/acme/payments-api/deployments?per_page=3",
                e.github
            ),
            "flightdeck-sim-token",
        )
        .await;
        let gitlab = get(
            format!(
                "{}/api/v4/projects/acme%2Fshipping-rates/pipelines?per_page=3",
                e.gitlab
            ),
            "flightdeck-sim-token",
        )
        .await;
        let alerts = get(
            format!("{}/api/v2/alerts", e.alertmanager),
            "flightdeck-sim-token",
        )
        .await;
        let pods = get(
            format!("{}/api/v1/namespaces/payments/pods?limit=2", e.kubernetes),
            flightdeck_sim::kubernetes::TOKEN,
        )
        .await;
        let events = get(
            format!("{}/api/v1/namespaces/payments/events?limit=3", e.kubernetes),
            flightdeck_sim::kubernetes::TOKEN,
        )
        .await;
        let descriptor =
            std::fs::read_to_string(sim.dir().join("repos/payments-api/catalog-info.yaml"))
                .expect("the sim writes descriptors");
        Templates {
            github_runs: runs["workflow_runs"].clone(),
            github_deployments: deployments,
            gitlab_pipelines: gitlab,
            alerts,
            pods: pods["items"].clone(),
            events: events["items"].clone(),
            descriptor,
        }
    })
}

fn non_empty(name: &str, v: &Value) {
    assert!(
        v.as_array().is_some_and(|a| !a.is_empty()),
        "the sim served no {name} to build payloads from: {v}"
    );
}

#[test]
fn outside_text_never_reaches_the_screen_as_a_control() {
    let t = templates();
    let theme = theme();
    let at = chrono::Utc::now();

    non_empty("GitHub runs", &t.github_runs);
    run(
        "GitHub runs",
        hostile_json(
            t.github_runs.clone(),
            decodes_as::<Vec<flightdeck::providers::github::wire::Run>>,
        ),
        |v| {
            let start = Instant::now();
            let Ok(wire) =
                serde_json::from_value::<Vec<flightdeck::providers::github::wire::Run>>(v)
            else {
                return Ok(false);
            };
            let runs = wire
                .into_iter()
                .map(|w| {
                    flightdeck::providers::github::decode_run(
                        w,
                        "acme/payments-api",
                        "component:default/payments-api",
                        "payments-api",
                    )
                })
                .collect();
            let mut m = model();
            let _ = update(
                &mut m,
                Msg::Pipelines(flightdeck_core::message::pipelines::Msg::Runs {
                    host: flightdeck_core::model::pipelines::Host::Github,
                    repo: "acme/payments-api".into(),
                    service: "component:default/payments-api".into(),
                    runs,
                    at,
                }),
            );
            assert_clean_screens(&mut m, &theme, &[Screen::Pipelines, Screen::Overview])?;
            timed(start)?;
            Ok(true)
        },
    );

    non_empty("GitHub deployments", &t.github_deployments);
    run(
        "GitHub deployments",
        hostile_json(
            t.github_deployments.clone(),
            decodes_as::<Vec<flightdeck::providers::github::wire::Deployment>>,
        ),
        |v| {
            let start = Instant::now();
            let Ok(wire) =
                serde_json::from_value::<Vec<flightdeck::providers::github::wire::Deployment>>(v)
            else {
                return Ok(false);
            };
            let deployments = wire
                .into_iter()
                .map(|d| flightdeck::providers::github::decode_deployment(d, None))
                .collect();
            let mut m = model();
            let _ = update(
                &mut m,
                Msg::Pipelines(flightdeck_core::message::pipelines::Msg::Deployments {
                    host: flightdeck_core::model::pipelines::Host::Github,
                    repo: "acme/payments-api".into(),
                    service: "component:default/payments-api".into(),
                    deployments,
                    at,
                }),
            );
            assert_clean_screens(&mut m, &theme, &[Screen::Pipelines, Screen::Overview])?;
            timed(start)?;
            Ok(true)
        },
    );

    non_empty("GitLab pipelines", &t.gitlab_pipelines);
    run(
        "GitLab pipelines",
        hostile_json(
            t.gitlab_pipelines.clone(),
            decodes_as::<Vec<flightdeck_core::wire::gitlab::Pipeline>>,
        ),
        |v| {
            let start = Instant::now();
            let Ok(wire) =
                serde_json::from_value::<Vec<flightdeck_core::wire::gitlab::Pipeline>>(v)
            else {
                return Ok(false);
            };
            let runs = wire
                .iter()
                .map(|p| {
                    flightdeck::providers::gitlab::decode_pipeline(
                        p,
                        "acme/shipping-rates",
                        "component:default/shipping-rates",
                        "shipping-rates",
                    )
                })
                .collect();
            let mut m = model();
            let _ = update(
                &mut m,
                Msg::Pipelines(flightdeck_core::message::pipelines::Msg::Runs {
                    host: flightdeck_core::model::pipelines::Host::Gitlab,
                    repo: "acme/shipping-rates".into(),
                    service: "component:default/shipping-rates".into(),
                    runs,
                    at,
                }),
            );
            assert_clean_screens(&mut m, &theme, &[Screen::Pipelines])?;
            timed(start)?;
            Ok(true)
        },
    );

    non_empty("alerts", &t.alerts);
    run(
        "Alertmanager alerts",
        hostile_json(
            t.alerts.clone(),
            decodes_as::<Vec<flightdeck_core::wire::alertmanager::GettableAlert>>,
        ),
        |v| {
            let start = Instant::now();
            let Ok(wire) = serde_json::from_value::<
                Vec<flightdeck_core::wire::alertmanager::GettableAlert>,
            >(v) else {
                return Ok(false);
            };
            let alerts = wire
                .into_iter()
                .map(flightdeck::providers::alertmanager::decode_alert)
                .collect();
            let mut m = model();
            m.alerts
                .instances
                .push(flightdeck_core::model::alerts::Instance::new(
                    "sim".into(),
                    "service".into(),
                    None,
                ));
            let _ = update(
                &mut m,
                Msg::Alerts(flightdeck_core::message::alerts::Msg::Fetched {
                    instance: "sim".into(),
                    at,
                    data: flightdeck_core::model::alerts::InstanceData {
                        alerts,
                        silences: vec![],
                        version: None,
                        cluster: None,
                    },
                }),
            );
            assert_clean_screens(&mut m, &theme, &[Screen::Alerts])?;
            // The first alert's detail, where multi-line summaries and descriptions show.
            let _ = update(
                &mut m,
                Msg::Key(flightdeck_core::keymap::Key::new(
                    flightdeck_core::keymap::KeyCode::Enter,
                )),
            );
            assert_clean_screens(&mut m, &theme, &[Screen::Alerts])?;
            timed(start)?;
            Ok(true)
        },
    );

    non_empty("pods", &t.pods);
    non_empty("events", &t.events);
    let both = (
        hostile_json(
            t.pods.clone(),
            decodes_as::<Vec<k8s_openapi::api::core::v1::Pod>>,
        ),
        hostile_json(
            t.events.clone(),
            decodes_as::<Vec<k8s_openapi::api::core::v1::Event>>,
        ),
    );
    run("Kubernetes pods and events", both, |(pods, events)| {
        use flightdeck_core::model::workloads::Change;
        use k8s_openapi::api::core::v1::{Event, Pod};
        let start = Instant::now();
        let (Ok(pods), Ok(events)) = (
            serde_json::from_value::<Vec<Pod>>(pods),
            serde_json::from_value::<Vec<Event>>(events),
        ) else {
            return Ok(false);
        };
        let mut changes: Vec<Change> = pods
            .iter()
            .filter_map(|p| convert::pod(p, &NoServices))
            .map(Change::Pod)
            .collect();
        changes.extend(events.iter().filter_map(convert::event).map(Change::Event));
        let mut m = model();
        let wmsg = flightdeck_core::message::workloads::Msg::Configured {
            contexts: vec![("sim".into(), "kubernetes".into())],
            log_buffer_lines: 100,
        };
        let _ = update(&mut m, Msg::Workloads(wmsg));
        let _ = update(
            &mut m,
            Msg::Workloads(flightdeck_core::message::workloads::Msg::Batch {
                context: "sim".into(),
                changes,
            }),
        );
        assert_clean_screens(&mut m, &theme, &[Screen::Workloads])?;
        timed(start)?;
        Ok(true)
    });

    let descriptor: Value = serde_norway::from_str(
        // The first of the file's documents: the Component.
        t.descriptor
            .trim_start_matches("---\n")
            .split("\n---")
            .next()
            .unwrap_or_default(),
    )
    .expect("the sim's descriptor is YAML");
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("catalog-info.yaml");
    let load = |v: &Value| {
        let yaml = serde_norway::to_string(v).expect("YAML out");
        std::fs::write(&path, yaml).expect("written");
        flightdeck::providers::catalog::load_files([path.as_path()])
    };
    let strategy = hostile_json(descriptor, |v| !load(&v).entities.is_empty());
    run("Backstage descriptors", strategy, |v| {
        let start = Instant::now();
        let loaded = load(&v);
        if loaded.entities.is_empty() {
            return Ok(false);
        }
        let mut m = model();
        let _ = update(
            &mut m,
            Msg::Catalog(flightdeck_core::message::catalog::Msg::Loaded {
                origin: flightdeck_core::model::catalog::Origin::Files,
                entities: loaded.entities,
                problems: loaded.problems,
                at,
            }),
        );
        assert_clean_screens(&mut m, &theme, &[Screen::Overview])?;
        // The first service's own screen.
        let _ = update(
            &mut m,
            Msg::Key(flightdeck_core::keymap::Key::new(
                flightdeck_core::keymap::KeyCode::Enter,
            )),
        );
        let now_on = m.screen;
        assert_clean_screens(&mut m, &theme, &[now_on])?;
        timed(start)?;
        Ok(true)
    });
}

/// Log lines as CI and pods send them, SGR colours among the hostile pieces: the sanitiser
/// keeps colours as styled runs and the text it returns holds no control character.
#[test]
fn log_lines_keep_no_control() {
    let sgr = prop::sample::select(
        &[
            "\x1b[31m",
            "\x1b[1;32m",
            "\x1b[0m",
            "\x1b[38;5;208m",
            "\x1b[m",
        ][..],
    );
    let line = prop::collection::vec(prop_oneof![hostile(), sgr.prop_map(String::from)], 0..20)
        .prop_map(|p| p.concat());
    run("log lines", line, |raw| {
        let start = Instant::now();
        let (text, runs) = sanitize::log_line(&raw);
        prop_assert!(
            !text.chars().any(|c| hidden(c, false)),
            "{raw:?} -> {text:?}"
        );
        prop_assert!(
            runs.len() <= text.len() + 1,
            "{} runs for {} bytes",
            runs.len(),
            text.len()
        );
        // Each control becomes at most a caret pair or a short escape; nothing grows without bound.
        prop_assert!(text.len() <= raw.len() * 8 + 8);
        timed(start)?;
        Ok(true)
    });
}

/// Config files of hostile text, and hostile values in a valid file: an error, never a panic,
/// and an error message with no control character in it.
#[test]
fn config_files_of_any_text_give_an_error_not_a_panic() {
    let valid = "[general]\nme = \"user:default/x\"\n\n[github]\napi_url = \"https://api.github.com\"\n\n[[alertmanager]]\nname = \"prod\"\nurl = \"http://am:9093\"\n";
    let text = prop_oneof![
        hostile(),
        hostile().prop_map(move |h| valid.replace("user:default/x", &h.replace(['"', '\\'], ""))),
        hostile().prop_map(move |h| format!("{valid}\n{h}")),
    ];
    run("config files", text, |text| {
        let start = Instant::now();
        match flightdeck::config::load_str(&text, std::path::Path::new("config.toml"), None) {
            Ok(_) => {}
            Err(e) => {
                let said = e.to_string();
                prop_assert!(!said.chars().any(|c| hidden(c, true)), "{said:?}");
            }
        }
        timed(start)?;
        Ok(true)
    });
}
