//! The golden signals end to end with the real thing: Debian's `prometheus` scrapes the sim's
//! `/metrics` every second, evaluates the alert rules the sim ships, and sends to the real
//! `prometheus-alertmanager`. The cockpit's Prometheus client must read the same numbers the
//! HTTP API gives for the same PromQL, and the alert Prometheus fires from the sim's story must
//! reach the cockpit's Alertmanager client. Missing binaries fail the run in CI and say plainly
//! that these tests did not run elsewhere.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration as StdDuration, Instant};

use flightdeck::config::PrometheusSource;
use flightdeck::providers::alertmanager::Auth;
use flightdeck::providers::prometheus::{Ask, PromClient, read_signals};
use flightdeck_core::model::signals::{self, Range, Signal};
use flightdeck_sim::{Sim, SimConfig};
use serde_json::Value;

use crate::alertmanager_real::{RealAm, find_binary};

/// A running `prometheus`, stopped when dropped.
pub(crate) struct RealProm {
    child: Child,
    pub(crate) url: String,
    _dir: tempfile::TempDir,
}

impl RealProm {
    /// Starts Prometheus scraping `sim` and sending to `alertmanager`, or says why not.
    pub(crate) fn start(sim: &Sim, alertmanager: Option<&str>) -> Option<RealProm> {
        let Some(bin) = find_binary("prometheus") else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "prometheus is missing and CI requires these tests: apt-get install -y prometheus"
                );
            }
            eprintln!("did not run: prometheus is not installed (apt-get install -y prometheus)");
            return None;
        };
        let dir = tempfile::tempdir().expect("a temp dir");
        let rules = dir.path().join("alerts.rules.yml");
        std::fs::write(&rules, flightdeck_sim::metrics::ALERT_RULES).expect("write the rules");
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            flightdeck_sim::metrics::prometheus_config(
                &sim.endpoints().metrics,
                &rules,
                alertmanager,
                "1s",
            ),
        )
        .expect("write the config");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log.level=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("prometheus starts");
        let prom = RealProm {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let deadline = Instant::now() + StdDuration::from_secs(30);
        let ready = format!("{}/-/ready", prom.url);
        loop {
            let ok = Command::new("curl")
                .args(["-fsS", "-o", "/dev/null", &ready])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                break;
            }
            assert!(Instant::now() < deadline, "prometheus did not become ready");
            std::thread::sleep(StdDuration::from_millis(200));
        }
        Some(prom)
    }

    /// An instant query through the HTTP API, decoded here without the cockpit's types:
    /// service → value.
    async fn instant(&self, expr: &str, time: i64) -> Vec<(String, f64)> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let body: Value = reqwest::Client::new()
            .get(format!("{}/api/v1/query", self.url))
            .query(&[("query", expr), ("time", &time.to_string())])
            .send()
            .await
            .expect("prometheus answers")
            .json()
            .await
            .expect("JSON");
        assert_eq!(body["status"], "success", "{expr}: {body}");
        body["data"]["result"]
            .as_array()
            .expect("a vector")
            .iter()
            .map(|r| {
                (
                    r["metric"]["service"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    r["value"][1]
                        .as_str()
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(f64::NAN),
                )
            })
            .collect()
    }
}

impl Drop for RealProm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn source(url: &str) -> PrometheusSource {
    PrometheusSource {
        name: "real".into(),
        url: url.into(),
        token_env: None,
        token_command: None,
        basic_auth_user: None,
        basic_auth_password_env: None,
        scrape_interval_secs: 1,
        service_label: "service".into(),
        queries: Default::default(),
    }
}

fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9 * a.abs().max(1.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_agree_with_the_api_and_the_fired_alert_reaches_the_cockpit() {
    // Thirty times faster: the bad deploy lands 10 s in and degrades payments-api for 30 s.
    let sim = Sim::start(SimConfig {
        speed: 30.0,
        ..SimConfig::default()
    })
    .await
    .expect("the sim starts");
    let Some(am) = RealAm::start() else { return };
    let Some(prom) = RealProm::start(&sim, Some(&am.url)) else {
        return;
    };
    let services: Vec<String> = sim
        .shared
        .world
        .services
        .iter()
        .map(|s| s.name.clone())
        .collect();

    // The alert Prometheus fires from the sim's metrics, read by the cockpit's own client of
    // the real Alertmanager.
    let am_client = am.client();
    let deadline = Instant::now() + StdDuration::from_secs(90);
    let fired = loop {
        let alerts = am_client.alerts().await.unwrap_or_default();
        if let Some(a) = alerts.into_iter().find(|a| {
            a.name() == "HighErrorRate"
                && a.labels.get("service").map(String::as_str) == Some("payments-api")
        }) {
            break a;
        }
        assert!(
            Instant::now() < deadline,
            "HighErrorRate never reached the Alertmanager"
        );
        tokio::time::sleep(StdDuration::from_millis(500)).await;
    };
    assert_eq!(
        fired.labels.get("severity").map(String::as_str),
        Some("critical")
    );
    assert!(
        fired
            .annotations
            .get("summary")
            .is_some_and(|s| s.contains("payments-api")),
        "{:?}",
        fired.annotations
    );

    // The signals as the cockpit reads them: one query per signal for every service, plus
    // one for the alert history.
    let src = source(&prom.url);
    let client =
        PromClient::new("real", &prom.url, Auth::None, StdDuration::from_secs(10)).expect("client");
    // The cockpit reads up to the last whole second; the alert's evaluation may be later
    // within the second it reached the Alertmanager.
    tokio::time::sleep(StdDuration::from_secs(2)).await;
    let now = chrono::Utc::now().timestamp();
    let ask = Ask {
        services: services.clone(),
        history: Range::Day,
        ..Ask::default()
    };
    let round = read_signals(&client, &src, &ask, now, &|| false)
        .await
        .expect("the signals read");
    assert_eq!(
        round.queries,
        Signal::ALL.len() + 2,
        "one query per signal, two for the alert history"
    );
    assert!(round.warnings.is_empty(), "{:?}", round.warnings);

    // Each service's newest point equals the same PromQL through the API at that instant.
    let mut compared = 0;
    for (range, signal, answer) in &round.answers {
        let window = signals::window_for(answer.step, 1);
        let names: Vec<&str> = services.iter().map(String::as_str).collect();
        let expr = signals::render(signal.default_template(), "service", &names, &window);
        let theirs = prom.instant(&expr, answer.end).await;
        assert_eq!(*range, Range::Hour);
        for (service, value) in &theirs {
            let ours = answer
                .series
                .get(service)
                .and_then(|s| s.points.last())
                .unwrap_or_else(|| panic!("{signal:?} has no series for {service}"));
            assert_eq!(ours.0, answer.end, "{signal:?} {service}: the newest point");
            assert!(
                same(ours.1, *value),
                "{signal:?} {service}: cockpit {} vs API {value}",
                ours.1
            );
            compared += 1;
        }
    }
    assert!(compared >= services.len() * 4, "compared {compared} values");

    // The story shows: payments-api errs and slows while its neighbours do not, and the
    // OOM-killed pod's service sits at its memory limit.
    let last = |signal: Signal, service: &str| {
        round
            .answers
            .iter()
            .find(|(_, s, _)| *s == signal)
            .and_then(|(_, _, a)| a.series.get(service)?.last())
            .unwrap_or(f64::NAN)
    };
    assert!(last(Signal::ErrorRatio, "payments-api") > 0.05);
    assert!(last(Signal::ErrorRatio, "ledger") < 0.01);
    assert!(last(Signal::LatencyP99, "payments-api") > last(Signal::LatencyP99, "ledger"));
    assert!(last(Signal::RequestRate, "ledger") > 1.0);
    let oom = sim
        .shared
        .world
        .services
        .iter()
        .find(|s| s.trouble == flightdeck_sim::world::Trouble::OomKills)
        .expect("a service with OOM kills");
    assert!(same(last(Signal::Memory, &oom.name), 1.0));

    // The alert history has the firing span, still open.
    let spans = round
        .history
        .get("payments-api")
        .unwrap_or_else(|| panic!("payments-api's alert history: {:?}", round.history));
    assert!(
        spans
            .iter()
            .any(|s| s.alert == "HighErrorRate" && s.end.is_none()),
        "{spans:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_error_is_the_sources_state_in_words() {
    let sim = Sim::start(SimConfig::default())
        .await
        .expect("the sim starts");
    let Some(prom) = RealProm::start(&sim, None) else {
        return;
    };
    let client =
        PromClient::new("real", &prom.url, Auth::None, StdDuration::from_secs(10)).expect("client");
    let err = client
        .query("sum by (service) (rate(http_requests_total[", None)
        .await
        .expect_err("a parse error");
    assert!(err.starts_with("query: "), "{err}");
    assert!(err.contains("bad_data"), "{err}");
    // Until the first scrape is in, there is nothing but Prometheus' own labels; wait for the
    // series itself, since a loaded machine can answer `labels` and `series` from different
    // moments of that first ingestion.
    let deadline = Instant::now() + StdDuration::from_secs(30);
    loop {
        let (labels, _) = client.labels().await.expect("labels");
        let (series, _) = client
            .series("http_requests_total{service=\"ledger\"}")
            .await
            .expect("series");
        if labels.iter().any(|l| l == "service") && !series.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no scrape of ledger's requests: labels {labels:?}, {} series",
            series.len()
        );
        tokio::time::sleep(StdDuration::from_millis(300)).await;
    }
    let (rules, _) = client.rules().await.expect("rules");
    assert!(
        rules
            .groups
            .iter()
            .flat_map(|g| &g.rules)
            .any(|r| r.name == "HighErrorRate" && r.query.contains("http_requests_total")),
        "{rules:?}"
    );
}
