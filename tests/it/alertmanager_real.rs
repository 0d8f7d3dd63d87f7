//! The Alertmanager provider against the real thing: Debian's `prometheus-alertmanager`, started
//! here on 127.0.0.1 with a temporary storage path and clustering off, checked against `amtool`;
//! and against the sim's Alertmanager for failures a real server will not produce on demand
//! (500s, malformed bodies, hangs). A missing server fails the run in CI and says plainly that
//! these tests did not run elsewhere.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use flightdeck::clock::Clock;
use flightdeck::config::theme::{ColorSupport, load_theme};
use flightdeck::config::{AlertmanagerSource, Config};
use flightdeck::providers::alertmanager::{AlertmanagerProvider, AmClient, Auth};
use flightdeck::providers::{Context, Provider};
use flightdeck_core::keymap::Keymap;
use flightdeck_core::message::alerts::Msg as AlertsMsg;
use flightdeck_core::message::{Msg, SourceEvent};
use flightdeck_core::model::alerts::{InstanceData, SilenceDraft, SilenceEnd};
use flightdeck_core::model::{FetchState, Model, Screen, SourceId, SourceKind, SourceStatus};
use flightdeck_core::sanitize;
use flightdeck_core::update::update;
use flightdeck_core::wire::alertmanager::{GettableAlert, GettableSilence, Matcher};
use flightdeck_sim::{Fault, FaultKind, Sim, SimConfig};
use serde_json::json;
use tokio::sync::mpsc;

/// A secret inside the server's config; it must never come out of the provider.
const RECEIVER_SECRET: &str = "am-test-webhook-secret-3f9a";

/// A running `prometheus-alertmanager`, stopped when dropped.
pub(crate) struct RealAm {
    child: Child,
    pub(crate) url: String,
    _dir: tempfile::TempDir,
}

pub(crate) fn find_binary(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

impl RealAm {
    /// Starts a server, or says why not: in CI a missing server fails the test.
    pub(crate) fn start() -> Option<RealAm> {
        let Some(bin) = find_binary("prometheus-alertmanager") else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "prometheus-alertmanager is missing and CI requires these tests: apt-get install -y prometheus-alertmanager"
                );
            }
            eprintln!(
                "did not run: prometheus-alertmanager is not installed (apt-get install -y prometheus-alertmanager)"
            );
            return None;
        };
        let dir = tempfile::tempdir().expect("a temp dir");
        let config = dir.path().join("am.yml");
        std::fs::write(
            &config,
            format!(
                "route:\n  receiver: \"null\"\n  group_by: [\"alertname\"]\nreceivers:\n  - name: \"null\"\n  - name: \"unused-webhook\"\n    webhook_configs:\n      - url: \"http://127.0.0.1:9/hook/{RECEIVER_SECRET}\"\n"
            ),
        )
        .expect("write the config");
        // An ephemeral port, picked by the OS and freed just before the server takes it.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .arg("--log.level=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("prometheus-alertmanager starts");
        let am = RealAm {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        am.wait_ready();
        Some(am)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + StdDuration::from_secs(20);
        let ready = format!("{}/-/ready", self.url);
        while Instant::now() < deadline {
            let answered = Command::new("curl")
                .args(["-fsS", "-o", "/dev/null", &ready])
                .stderr(Stdio::null())
                .status();
            match answered {
                Ok(s) if s.success() => return,
                Ok(_) => std::thread::sleep(StdDuration::from_millis(100)),
                // Without curl, give the server the second it needs.
                Err(_) => {
                    std::thread::sleep(StdDuration::from_secs(2));
                    return;
                }
            }
        }
        panic!(
            "prometheus-alertmanager did not become ready at {}",
            self.url
        );
    }

    pub(crate) fn client(&self) -> AmClient {
        AmClient::new("real", &self.url, Auth::None, StdDuration::from_secs(10)).expect("a client")
    }

    fn amtool(&self, args: &[&str]) -> String {
        let out = Command::new("amtool")
            .arg(format!("--alertmanager.url={}", self.url))
            .args(args)
            .output()
            .expect("amtool runs (it ships with prometheus-alertmanager)");
        assert!(
            out.status.success(),
            "amtool {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    async fn post_alerts(&self, alerts: serde_json::Value) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let r = reqwest::Client::new()
            .post(format!("{}/api/v2/alerts", self.url))
            .json(&alerts)
            .send()
            .await
            .expect("the server answers");
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    }
}

impl Drop for RealAm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Escape sequences, bidi overrides, zero-width characters and a 100 KB text: what a careless
/// or hostile template can put into annotations.
fn hostile_annotations() -> serde_json::Value {
    let mut huge = String::new();
    let mut n = 0;
    while huge.len() < 100 * 1024 {
        n += 1;
        huge.push_str(&format!(
            "line {n}: \u{1b}[5mblink\u{1b}[0m bell\u{7} tab\there \u{9b}31m c1\n"
        ));
    }
    json!({
        "summary": "\u{1b}]0;pwned\u{7}\u{1b}[31mred",
        "bidi": "Approve \u{202e}dnufer\u{202c} payment \u{2066}now\u{2069} zero\u{200b}width",
        "dcs": "\u{1b}P+q544e\u{1b}\\ after",
        "clear": "\u{1b}[2J\r\rspoofed",
        "description": huge,
        "runbook_url": "https://runbooks.example.invalid/\u{1b}[2Jwiped",
    })
}

fn has_control_or_format(s: &str) -> bool {
    s.chars().any(|c| {
        c.is_control() && c != '\n'
            || matches!(c, '\u{ad}' | '\u{61c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
    })
}

async fn wait_for<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + StdDuration::from_secs(20);
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(StdDuration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_read_through_the_provider_match_amtool() {
    let Some(am) = RealAm::start() else { return };
    am.post_alerts(json!([
        {"labels": {"alertname": "HighLatency", "service": "payments-api", "severity": "critical"},
         "annotations": {"summary": "p99 > 2s", "runbook_url": "https://runbooks.example/HighLatency"},
         "generatorURL": "http://prom.example/graph?g0.expr=up"},
        {"labels": {"alertname": "DiskFilling", "service": "ledger", "severity": "warning"}},
        {"labels": {"alertname": "Hostile", "severity": "info"}, "annotations": hostile_annotations()},
    ]))
    .await;
    let client = am.client();
    let ours = wait_for("three alerts", async || {
        client.alerts().await.ok().filter(|a| a.len() == 3)
    })
    .await;
    let theirs: Vec<GettableAlert> =
        serde_json::from_str(&am.amtool(&["alert", "query", "-o", "json"]))
            .expect("amtool prints the API's alerts");
    let fps = |it: &mut dyn Iterator<Item = String>| it.collect::<BTreeSet<_>>();
    assert_eq!(
        fps(&mut ours.iter().map(|a| a.fingerprint.clone())),
        fps(&mut theirs.iter().map(|a| a.fingerprint.clone()))
    );
    for theirs in &theirs {
        let mine = ours
            .iter()
            .find(|a| a.fingerprint == theirs.fingerprint)
            .expect("same alert");
        assert_eq!(
            mine.labels, theirs.labels,
            "clean labels come through unchanged"
        );
        assert_eq!(mine.starts_at, theirs.starts_at);
        for (k, v) in &theirs.annotations {
            assert_eq!(
                mine.annotations.get(k),
                Some(&sanitize::text(v)),
                "annotation {k} is the server's, sanitised once"
            );
        }
        for v in mine.annotations.values().chain(mine.labels.values()) {
            assert!(
                !has_control_or_format(v),
                "no control or format character survives decoding: {v:?}"
            );
        }
    }
    let latency = ours
        .iter()
        .find(|a| a.name() == "HighLatency")
        .expect("posted");
    assert_eq!(
        latency.runbook_url.as_deref(),
        Some("https://runbooks.example/HighLatency")
    );
    assert_eq!(
        latency.generator_url.as_deref(),
        Some("http://prom.example/graph?g0.expr=up")
    );
    let hostile = ours.iter().find(|a| a.name() == "Hostile").expect("posted");
    assert_eq!(
        hostile.runbook_url, None,
        "a URL with an escape sequence is never offered to open"
    );
    assert!(
        hostile.annotations["description"].len() >= 100 * 1024,
        "the long text is kept, only made harmless"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_gives_version_and_cluster_but_never_the_config() {
    let Some(am) = RealAm::start() else { return };
    let client = am.client();
    let (version, cluster) = client.status().await.expect("status answers");
    assert!(version.starts_with("0."), "{version}");
    assert_eq!(cluster.status, "disabled", "clustering is off");
    let data = client.fetch(true).await.expect("a poll works");
    assert_eq!(data.version.as_deref(), Some(version.as_str()));
    let kept = format!(
        "{data:?}{}",
        serde_json::to_string(&data).expect("serialises")
    );
    assert!(
        !kept.contains(RECEIVER_SECRET),
        "the status config never enters the model"
    );
}

fn draft(matchers: &[(&str, &str)], comment: &str, end: SilenceEnd) -> SilenceDraft {
    SilenceDraft {
        id: None,
        matchers: matchers
            .iter()
            .map(|(n, v)| Matcher {
                name: (*n).into(),
                value: (*v).into(),
                is_regex: false,
                is_equal: true,
            })
            .collect(),
        starts_at: None,
        end,
        created_by: "flightdeck-test".into(),
        comment: comment.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silences_made_here_are_listed_by_amtool_and_expire() {
    let Some(am) = RealAm::start() else { return };
    am.post_alerts(json!([{"labels": {"alertname": "HighLatency", "service": "payments-api"}}]))
        .await;
    let client = am.client();
    let id = client
        .create_silence(
            &draft(
                &[("alertname", "HighLatency")],
                "rolling back 3f2a1c9",
                SilenceEnd::For(3600),
            ),
            Utc::now(),
        )
        .await
        .expect("the silence is created");
    let listed: Vec<GettableSilence> =
        serde_json::from_str(&am.amtool(&["silence", "query", "-o", "json"]))
            .expect("amtool lists silences as JSON");
    let s = listed
        .iter()
        .find(|s| s.id == id)
        .expect("amtool lists the new silence");
    assert_eq!(
        (s.comment.as_str(), s.created_by.as_str()),
        ("rolling back 3f2a1c9", "flightdeck-test")
    );
    assert!(
        (s.ends_at - s.starts_at - Duration::hours(1))
            .num_seconds()
            .abs()
            <= 5
    );
    let muted = wait_for("the alert to be silenced", async || {
        client
            .alerts()
            .await
            .ok()?
            .into_iter()
            .find(|a| a.silenced_by.contains(&id))
    })
    .await;
    assert!(muted.is_muted());

    client
        .expire_silence(&id)
        .await
        .expect("the silence expires");
    let active = am.amtool(&["silence", "query", "-q"]);
    assert!(
        !active.contains(&id),
        "amtool no longer lists it as active: {active}"
    );
    let expired = am.amtool(&["silence", "query", "--expired", "-q"]);
    assert!(
        expired.contains(&id),
        "amtool lists it as expired: {expired}"
    );
    let ours = client.silences().await.expect("silences");
    assert!(
        ours.iter()
            .any(|s| s.id == id && s.state == flightdeck_core::model::alerts::SilenceState::Expired)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silences_made_with_amtool_show_here() {
    let Some(am) = RealAm::start() else { return };
    let id = am
        .amtool(&[
            "silence",
            "add",
            "alertname=DiskFilling",
            "service=~led.*",
            "-c",
            "disk resize \u{1b}[31mtonight",
            "-a",
            "kmuller",
            "-d",
            "2h",
        ])
        .trim()
        .to_string();
    let ours = am.client().silences().await.expect("silences");
    let s = ours
        .iter()
        .find(|s| s.id == id)
        .expect("the provider lists amtool's silence");
    assert_eq!(s.created_by, "kmuller");
    assert_eq!(s.comment, sanitize::text("disk resize \u{1b}[31mtonight"));
    assert!(!has_control_or_format(&s.comment));
    assert_eq!(s.matchers.len(), 2);
    assert!(
        s.matchers
            .iter()
            .any(|m| m.name == "service" && m.is_regex && m.value == "led.*")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledgement_is_extended_not_stacked() {
    let Some(am) = RealAm::start() else { return };
    let client = am.client();
    let ack = draft(
        &[("alertname", "HighLatency")],
        "ACK! jdoe is looking",
        SilenceEnd::For(15 * 60),
    );
    let id = client
        .create_silence(&ack, Utc::now())
        .await
        .expect("ack created");
    let first = client
        .silences()
        .await
        .expect("silences")
        .into_iter()
        .find(|s| s.id == id)
        .expect("listed");
    let extended = SilenceDraft {
        id: Some(id.clone()),
        starts_at: Some(first.starts_at),
        end: SilenceEnd::Extend {
            ends_at: first.ends_at,
            by_secs: 15 * 60,
        },
        ..ack
    };
    let new_id = client
        .create_silence(&extended, Utc::now())
        .await
        .expect("ack extended");
    let active: Vec<_> = client
        .silences()
        .await
        .expect("silences")
        .into_iter()
        .filter(|s| s.state == flightdeck_core::model::alerts::SilenceState::Active && s.is_ack())
        .collect();
    assert_eq!(active.len(), 1, "one acknowledgement, extended: {active:?}");
    assert_eq!(active[0].id, new_id);
    assert!(
        (active[0].ends_at - first.ends_at - Duration::minutes(15))
            .num_seconds()
            .abs()
            <= 5
    );
}

fn model_with(instance: &str) -> Model {
    let mut m = Model::new(Keymap::defaults(), Utc::now());
    m.sources.push(SourceStatus::new(
        SourceId::new(SourceKind::Alertmanager, instance),
        FetchState::Unsupported,
    ));
    update(
        &mut m,
        Msg::Resize {
            width: 120,
            height: 40,
        },
    );
    m.screen = Screen::Alerts;
    m
}

fn render(model: &Model, width: u16, height: u16) -> ratatui::buffer::Buffer {
    let theme = load_theme("dark", ColorSupport::TrueColor).expect("the dark theme loads");
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height))
        .expect("a test terminal");
    terminal
        .draw(|f| flightdeck::ui::view(model, &theme, f))
        .expect("draws");
    terminal.backend().buffer().clone()
}

fn assert_harmless(buffer: &ratatui::buffer::Buffer, what: &str) {
    for cell in buffer.content() {
        assert!(
            !has_control_or_format(cell.symbol()),
            "{what}: cell {:?} holds a control or format character",
            cell.symbol()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_annotations_from_the_real_server_render_harmlessly() {
    let Some(am) = RealAm::start() else { return };
    am.post_alerts(json!([{"labels": {"alertname": "Hostile", "severity": "critical", "service": "pay\u{202e}ments"},
                           "annotations": hostile_annotations()}]))
    .await;
    let client = am.client();
    let data = wait_for("the hostile alert", async || {
        client
            .fetch(true)
            .await
            .ok()
            .filter(|d| !d.alerts.is_empty())
    })
    .await;
    let mut m = model_with("real");
    update(
        &mut m,
        Msg::Alerts(AlertsMsg::Fetched {
            instance: "real".into(),
            at: Utc::now(),
            data,
        }),
    );
    assert_eq!(m.alerts.rows.len(), 2, "the service header and the alert");
    for (w, h) in [(120, 40), (80, 24)] {
        update(
            &mut m,
            Msg::Resize {
                width: w,
                height: h,
            },
        );
        m.alerts.detail = None;
        m.list_mut(Screen::Alerts).cursor.selected = 1;
        assert_harmless(&render(&m, w, h), "the list");
        update(
            &mut m,
            Msg::Key(flightdeck_core::keymap::Key::new(
                flightdeck_core::keymap::KeyCode::Enter,
            )),
        );
        assert!(m.alerts.detail.is_some(), "the detail opens");
        for _ in 0..40 {
            assert_harmless(&render(&m, w, h), "the detail");
            update(
                &mut m,
                Msg::Key(flightdeck_core::keymap::Key::new(
                    flightdeck_core::keymap::KeyCode::PageDown,
                )),
            );
        }
    }
}

/// Applies what a provider sends until `done` says stop.
async fn drive(
    m: &mut Model,
    rx: &mut mpsc::Receiver<Msg>,
    what: &str,
    mut done: impl FnMut(&Model, &Msg) -> bool,
) {
    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(30);
    loop {
        let msg = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .expect("the provider keeps its channel open");
        let stop = done(m, &msg);
        update(m, msg);
        if stop {
            return;
        }
    }
}

fn config_for(name: &str, url: &str, poll_interval_secs: u64) -> Config {
    Config {
        alertmanager: vec![AlertmanagerSource {
            name: name.into(),
            url: url.into(),
            token_env: None,
            token_command: None,
            basic_auth_user: None,
            basic_auth_password_env: None,
            poll_interval_secs,
            service_label: "service".into(),
        }],
        ..Config::default()
    }
}

fn fetched_has(msg: &Msg, name: &str) -> bool {
    matches!(msg, Msg::Alerts(AlertsMsg::Fetched { data, .. }) if data.alerts.iter().any(|a| a.name() == name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newly_fired_alert_shows_within_one_polling_interval() {
    let Some(am) = RealAm::start() else { return };
    let (tx, mut rx) = mpsc::channel(64);
    let interval = 5;
    let _provider = AlertmanagerProvider::start(
        &config_for("real", &am.url, interval),
        &Context {
            tx,
            clock: Clock::System,
            read_only: false,
        },
    )
    .expect("one Alertmanager configured");
    let mut m = model_with("real");
    drive(&mut m, &mut rx, "the first poll", |_, msg| {
        matches!(msg, Msg::Alerts(AlertsMsg::Fetched { .. }))
    })
    .await;
    let fired = Instant::now();
    am.post_alerts(json!([{"labels": {"alertname": "JustFired", "severity": "critical"}}]))
        .await;
    // A poll already in flight when the alert was posted may miss it; the next one may not.
    // Counted in polls, not timed: the wall-clock figure is printed for the closing note.
    let mut polls = 0;
    drive(&mut m, &mut rx, "the new alert", |_, msg| {
        if matches!(msg, Msg::Alerts(AlertsMsg::Fetched { .. })) {
            polls += 1;
        }
        fetched_has(msg, "JustFired")
    })
    .await;
    eprintln!(
        "a newly fired alert showed after {:.2}s, at poll {polls} after it fired (interval {interval}s)",
        fired.elapsed().as_secs_f64()
    );
    assert!(
        polls <= 2,
        "shown within one polling interval: the poll in flight, then the next; took {polls} polls"
    );
    assert!(
        m.alerts
            .merged
            .iter()
            .any(|x| m.alerts.alert(x).is_some_and(|a| a.name() == "JustFired"))
    );
}

fn fault(kind: FaultKind) -> Fault {
    Fault {
        service: Some("alertmanager".into()),
        path_prefix: Some("/api/v2/alerts".into()),
        kind,
        times: None,
    }
}

/// The sim's Alertmanager failing in three ways: each time the source says what is wrong and
/// the alerts of the last good poll stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_source_says_why_and_keeps_its_last_data() {
    let sim = Sim::start(SimConfig {
        speed: 0.0,
        ..SimConfig::default()
    })
    .await
    .expect("the sim starts");
    let (tx, mut rx) = mpsc::channel(64);
    let mut provider = AlertmanagerProvider::start(
        &config_for("sim", &sim.endpoints().alertmanager, 1),
        &Context {
            tx,
            clock: Clock::System,
            read_only: false,
        },
    )
    .expect("one Alertmanager configured");
    let mut m = model_with("sim");
    drive(&mut m, &mut rx, "the first poll", |_, msg| {
        matches!(
            msg,
            Msg::Source {
                event: SourceEvent::Ok { .. },
                ..
            }
        )
    })
    .await;
    let before = m.alerts.merged.len();
    assert!(before > 0, "the sim has firing alerts");

    for (kind, expected) in [
        (FaultKind::Status { code: 500 }, "alerts: HTTP 500"),
        (FaultKind::Malformed, "alerts: malformed answer"),
        (FaultKind::Hang, "alerts: no answer within 3s"),
    ] {
        sim.shared.faults.clear();
        sim.shared.faults.add(fault(kind.clone()));
        provider.refresh();
        let mut error = String::new();
        drive(&mut m, &mut rx, "a failure", |_, msg| match msg {
            Msg::Source {
                event:
                    SourceEvent::Failed {
                        error: e, retry_at, ..
                    },
                ..
            } => {
                assert!(retry_at.is_some(), "a failure says when the next try is");
                error = e.clone();
                true
            }
            _ => false,
        })
        .await;
        assert!(error.starts_with(expected), "{kind:?}: {error}");
        assert!(matches!(m.sources[0].state, FetchState::Failing { .. }));
        assert_eq!(
            m.alerts.merged.len(),
            before,
            "{kind:?}: the last good alerts stay"
        );
        sim.shared.faults.clear();
        provider.refresh();
        drive(&mut m, &mut rx, "recovery", |_, msg| {
            matches!(
                msg,
                Msg::Source {
                    event: SourceEvent::Ok { .. },
                    ..
                }
            )
        })
        .await;
        assert_eq!(m.sources[0].state, FetchState::Ok);
    }
}

/// The sim's story runs faster than the wall, but it judges silences by the wall: a silence made
/// with the cockpit's (wall) clock is accepted and active there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silences_on_the_sim_use_the_cockpits_clock() {
    let sim = Sim::start(SimConfig {
        speed: 10.0,
        ..SimConfig::default()
    })
    .await
    .expect("the sim starts");
    let clock = Clock::System;
    let client = AmClient::new(
        "sim",
        &sim.endpoints().alertmanager,
        Auth::None,
        StdDuration::from_secs(5),
    )
    .expect("client");
    let data: InstanceData = client.fetch(true).await.expect("a poll works");
    let target = data
        .alerts
        .iter()
        .find(|a| !a.is_muted() && a.name() != "Watchdog")
        .expect("a firing alert");
    let id = client
        .create_silence(
            &draft(
                &[("alertname", target.name())],
                "demo silence",
                SilenceEnd::For(3600),
            ),
            clock.now(),
        )
        .await
        .expect("accepted by the sim");
    let s = client
        .silences()
        .await
        .expect("silences")
        .into_iter()
        .find(|s| s.id == id)
        .expect("listed");
    assert_eq!(
        s.state,
        flightdeck_core::model::alerts::SilenceState::Active
    );
    // A start the request took to arrive is moved to the server's now, as Alertmanager does.
    let span = s.ends_at - s.starts_at;
    assert!(
        span <= Duration::hours(1) && span > Duration::hours(1) - Duration::seconds(1),
        "{span}"
    );
    let muted = client
        .alerts()
        .await
        .expect("alerts")
        .into_iter()
        .find(|a| a.name() == target.name())
        .expect("still firing");
    assert!(muted.silenced_by.contains(&id));
    client.expire_silence(&id).await.expect("expires");
}

fn press(
    m: &mut Model,
    key: flightdeck_core::keymap::Key,
) -> Vec<flightdeck_core::message::Effect> {
    update(m, Msg::Key(key))
}

/// The karma habit, end to end: a silence made with amtool is edited in the cockpit (`S`, `e`,
/// a new duration, `enter`, `y`), the provider posts it with its id, and amtool then lists the
/// silence with its new end, still one silence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silence_edited_here_shows_its_new_end_in_amtool() {
    use flightdeck_core::keymap::{Key, KeyCode};
    let Some(am) = RealAm::start() else { return };
    let id = am
        .amtool(&[
            "silence",
            "add",
            "alertname=DiskFilling",
            "-c",
            "disk resize",
            "-a",
            "kmuller",
            "-d",
            "1h",
        ])
        .trim()
        .to_string();
    let (tx, mut rx) = mpsc::channel(64);
    let mut provider = AlertmanagerProvider::start(
        &config_for("real", &am.url, 60),
        &Context {
            tx,
            clock: Clock::System,
            read_only: false,
        },
    )
    .expect("one Alertmanager configured");
    let mut m = model_with("real");
    drive(&mut m, &mut rx, "the silence", |_, msg| {
        matches!(msg, Msg::Alerts(AlertsMsg::Fetched { data, .. }) if data.silences.iter().any(|s| s.id == id))
    })
    .await;
    m.now = Utc::now();
    press(&mut m, Key::char('S'));
    press(&mut m, Key::char('e'));
    let typed = m
        .alerts
        .form
        .as_ref()
        .expect("the edit form opens")
        .typed
        .text()
        .chars()
        .count();
    for _ in 0..typed {
        press(&mut m, Key::new(KeyCode::Backspace));
    }
    for c in "3h".chars() {
        press(&mut m, Key::char(c));
    }
    press(&mut m, Key::new(KeyCode::Enter));
    let edited_at = Utc::now();
    let effects = press(&mut m, Key::char('y'));
    let effect = effects
        .iter()
        .find(|e| matches!(e, flightdeck_core::message::Effect::Alerts(_)))
        .expect("confirming sends the silence to the provider");
    assert!(provider.command(effect));
    drive(&mut m, &mut rx, "the saved silence", |_, msg| {
        matches!(
            msg,
            Msg::Alerts(AlertsMsg::SilenceSaved { .. } | AlertsMsg::ActionFailed { .. })
        )
    })
    .await;
    let listed: Vec<GettableSilence> =
        serde_json::from_str(&am.amtool(&["silence", "query", "-o", "json"]))
            .expect("amtool lists silences as JSON");
    assert_eq!(listed.len(), 1, "edited in place, not stacked: {listed:?}");
    let s = &listed[0];
    assert_eq!(
        s.id, id,
        "Alertmanager kept the id of the silence it replaced"
    );
    let ends = s.ends_at;
    let off = (ends - (edited_at + Duration::hours(3)))
        .num_seconds()
        .abs();
    assert!(
        off <= 10,
        "amtool shows the new end, 3h from the edit: {ends}"
    );
}
