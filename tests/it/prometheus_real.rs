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
use flightdeck::providers::prometheus::{Ask, PromClient, read_expr, read_signals};
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
        Signal::ALL.len() + 3,
        "one query per signal, three for the alert history"
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
    // Its start is exact (ALERTS_FOR_STATE), not a step's: the second Prometheus says the
    // alert became active, whatever the history's step.
    let (alerts, _) = client.alerts().await.expect("alerts");
    let active_at = alerts["alerts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["labels"]["alertname"] == "HighErrorRate")
        .and_then(|a| a["activeAt"].as_str())
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .unwrap_or_else(|| panic!("HighErrorRate's activeAt: {alerts}"));
    let span = spans
        .iter()
        .find(|s| s.alert == "HighErrorRate" && s.end.is_none())
        .expect("the open span");
    assert!(
        (span.start - active_at.timestamp()).abs() <= 1,
        "span starts {} but the alert became active at {active_at}",
        span.start
    );

    // A service's own query (its `flightdeck.dev/prometheus-request-rate` annotation) is read
    // instead of the batched one, for it alone: here twice its rate.
    let ask = Ask {
        services: services.clone(),
        history: Range::Day,
        own: [(
            "ledger".to_string(),
            [(
                Signal::RequestRate,
                "2 * sum(rate(http_requests_total{$selector}[$window]))".to_string(),
            )]
            .into(),
        )]
        .into(),
        ..Ask::default()
    };
    let own = read_signals(&client, &src, &ask, now, &|| false)
        .await
        .expect("the signals read");
    assert_eq!(own.queries, Signal::ALL.len() + 4, "one more, for ledger");
    let rate = |round: &flightdeck::providers::prometheus::Round, service: &str| {
        round
            .answers
            .iter()
            .find(|(_, s, _)| *s == Signal::RequestRate)
            .and_then(|(_, _, a)| a.series.get(service)?.last())
            .unwrap_or(f64::NAN)
    };
    assert!(
        same(rate(&own, "ledger"), 2.0 * rate(&round, "ledger")),
        "ledger's own query: {} vs {}",
        rate(&own, "ledger"),
        rate(&round, "ledger")
    );
    assert!(same(
        rate(&own, "payments-api"),
        rate(&round, "payments-api")
    ));

    // The config's `[prometheus.queries]` replaces a default for every service; a service's
    // own query still wins.
    let mut global = src.clone();
    global.queries.insert(
        "request_rate".into(),
        "3 * sum by ($by) (rate(http_requests_total{$selector}[$window]))".into(),
    );
    let both = read_signals(&client, &global, &ask, now, &|| false)
        .await
        .expect("the signals read");
    assert!(same(
        rate(&both, "payments-api"),
        3.0 * rate(&round, "payments-api")
    ));
    assert!(same(rate(&both, "ledger"), 2.0 * rate(&round, "ledger")));
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
    // The alert detail's graph: the rule split at its comparison, the left side read for the
    // alert's own series (ledger's, not the others'), the right side the threshold.
    let alert = (
        "HighErrorRate".to_string(),
        vec![
            ("alertname".to_string(), "HighErrorRate".to_string()),
            ("service".to_string(), "ledger".to_string()),
        ],
    );
    // A rate needs two scrapes of ledger: until then the left side has no series for it.
    let deadline = Instant::now() + StdDuration::from_secs(30);
    let (graph, answer) = loop {
        let now = chrono::Utc::now().timestamp();
        let graph = read_expr(&client, &source(&prom.url), &alert, now).await;
        match graph.answer.clone() {
            Ok(answer) => break (graph, answer),
            Err(e) => assert!(Instant::now() < deadline, "the left side read: {e}"),
        }
        tokio::time::sleep(StdDuration::from_millis(300)).await;
    };
    assert_eq!((graph.op.as_str(), graph.threshold), (">", Some(0.05)));
    assert!(graph.left.contains("http_requests_total"), "{}", graph.left);
    let series = answer.series.get("").expect("ledger's series");
    let theirs = prom.instant(&graph.left, answer.end).await;
    let ledger = theirs
        .iter()
        .find(|(s, _)| s == "ledger")
        .map(|(_, v)| *v)
        .expect("ledger in the API's answer");
    let ours = series.points.last().expect("a point");
    assert_eq!(ours.0, answer.end);
    assert!(same(ours.1, ledger), "cockpit {} vs API {ledger}", ours.1);
}

/// `flightdeck metrics` joins each service's mean time to recovery from Prometheus' alert
/// history: HighErrorRate fires on payments-api's bad deploy and resolves when it ends, and
/// the binary's MTTR matches how long the API showed it firing (to the history's step).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_joins_mttr_from_prometheus_alert_history() {
    // Twelve times faster: the story's thirty-minute cycle takes 150 s, its bad deploy
    // degrades payments-api from 25 s to 100 s in, and the one-minute error ratio falls under
    // the threshold well before the next cycle's (at 30 times, cycles overlap in the window
    // and the alert never resolves).
    let sim = Sim::start(SimConfig {
        speed: 12.0,
        ..SimConfig::default()
    })
    .await
    .expect("the sim starts");
    let Some(prom) = RealProm::start(&sim, None) else {
        return;
    };
    // Watch the alert through the API: when it is first seen firing and when it is gone.
    let expr = "ALERTS{alertname=\"HighErrorRate\",alertstate=\"firing\",service=\"payments-api\"}";
    let deadline = Instant::now() + StdDuration::from_secs(220);
    let mut fired: Option<i64> = None;
    let resolved = loop {
        let now = chrono::Utc::now().timestamp();
        let firing = !prom.instant(expr, now).await.is_empty();
        match (fired, firing) {
            (None, true) => fired = Some(now),
            (Some(_), false) => break now,
            _ => {}
        }
        assert!(
            Instant::now() < deadline,
            "HighErrorRate did not fire and resolve (fired: {fired:?})"
        );
        tokio::time::sleep(StdDuration::from_millis(500)).await;
    };
    let observed = resolved - fired.expect("it fired");

    let home = tempfile::tempdir().expect("a temp dir");
    let mut config = std::fs::read_to_string(sim.flightdeck_config()).expect("the sim's config");
    config.push_str(&format!(
        "\n[[prometheus]]\nname = \"real\"\nurl = \"{}\"\nscrape_interval_secs = 1\n",
        prom.url
    ));
    let path = home.path().join("config.toml");
    std::fs::write(&path, config).expect("write the config");
    let out = tokio::task::spawn_blocking(move || {
        let h = home;
        Command::new(env!("CARGO_BIN_EXE_flightdeck"))
            .arg("--config")
            .arg(&path)
            .args(["metrics", "--json", "--since", "1d"])
            .args(["--service", "payments-api"])
            .env("HOME", h.path())
            .env("XDG_CACHE_HOME", h.path().join("cache"))
            .env("XDG_DATA_HOME", h.path().join("data"))
            .env_remove("FLIGHTDECK_CONFIG")
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs")
    })
    .await
    .expect("joined");
    assert!(
        out.status.success(),
        "metrics exits 0: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let row = &json["services"][0];
    assert_eq!(row["name"], "payments-api");
    assert!(row["alerts_resolved"].as_u64() >= Some(1), "{row}");
    let mttr = row["alert_mttr_secs"]
        .as_i64()
        .unwrap_or_else(|| panic!("an MTTR: {row}"));
    // Two days over at most 10,000 points: a 18 s step; the API was polled every half second,
    // and the history's start is when the alert became active (pending), before it fired.
    assert!(
        (mttr - observed).abs() <= 18 + 8,
        "MTTR {mttr} s, the API showed it firing {observed} s"
    );
}
