//! The sim's clock against the wall: whatever speed the story runs at, nothing it serves lies in
//! the wall clock's future, so real clients (amtool, kubectl) that judge times by their own
//! clock accept what it says and what they send back.

use std::process::Command;
use std::time::Duration;

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::Client;
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::Value;

use flightdeck_sim::world::{CiHost, epoch};
use flightdeck_sim::{Sim, SimConfig, kubernetes};

/// Keys whose times are about the future by nature: when an alert or silence will end, when a
/// pod's grace period runs out.
const FUTURE_BY_NATURE: [&str; 3] = ["endsAt", "deletionTimestamp", "expiresAt"];

/// Every RFC 3339 time in `v` with the key it sits under.
fn times(v: &Value, key: &str, out: &mut Vec<(String, DateTime<Utc>)>) {
    match v {
        Value::String(s) => {
            if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                out.push((key.to_string(), t.with_timezone(&Utc)));
            }
        }
        Value::Array(a) => a.iter().for_each(|x| times(x, key, out)),
        Value::Object(o) => o.iter().for_each(|(k, x)| times(x, k, out)),
        _ => {}
    }
}

fn assert_past(what: &str, v: &Value, wall: DateTime<Utc>) -> usize {
    let mut found = Vec::new();
    times(v, "", &mut found);
    let checked: Vec<_> = found
        .into_iter()
        .filter(|(k, _)| !FUTURE_BY_NATURE.contains(&k.as_str()))
        .collect();
    for (k, t) in &checked {
        assert!(t <= &wall, "{what}: {k} = {t} is after the wall's {wall}");
    }
    checked.len()
}

async fn get(url: String, token: Option<(&str, &str)>) -> Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut req = reqwest::Client::new().get(&url);
    if let Some((h, v)) = token {
        req = req.header(h, v);
    }
    let resp = req.send().await.expect("the sim answers");
    assert!(resp.status().is_success(), "{url}: {}", resp.status());
    resp.json().await.expect("JSON")
}

/// A sim whose story has run ten minutes (at 120x, five seconds of wall).
async fn ten_story_minutes_in() -> Sim {
    let sim = Sim::start(SimConfig {
        speed: 120.0,
        ..SimConfig::default()
    })
    .await
    .expect("the sim starts");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while sim.shared.story_now() < epoch() + chrono::Duration::minutes(10) {
        assert!(
            std::time::Instant::now() < deadline,
            "the story did not advance"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sim
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amtool_adds_a_silence_ten_story_minutes_in() {
    let sim = ten_story_minutes_in().await;
    let out = Command::new("amtool")
        .args([
            &format!("--alertmanager.url={}", sim.endpoints().alertmanager),
            "silence",
            "add",
            "alertname=KubePodCrashLooping",
            "--duration=10m",
            "--comment=looking",
            "--author=oncall",
        ])
        .output()
        .expect("amtool runs (it ships with prometheus-alertmanager)");
    assert!(
        out.status.success(),
        "amtool silence add: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let silences = get(
        format!("{}/api/v2/silences", sim.endpoints().alertmanager),
        None,
    )
    .await;
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let made = silences
        .as_array()
        .and_then(|a| a.iter().find(|s| s["id"] == id.as_str()))
        .expect("the new silence is listed");
    assert_eq!(made["status"]["state"], "active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_served_time_is_after_the_wall_clock() {
    let sim = ten_story_minutes_in().await;
    let e = sim.endpoints().clone();
    let world = &sim.shared.world;
    let github = world
        .services
        .iter()
        .find(|s| s.incident)
        .expect("the incident's service");
    let gitlab = world
        .services
        .iter()
        .find(|s| s.ci == CiHost::Gitlab)
        .expect("a GitLab service");

    let answers = [
        (
            "runs",
            get(
                format!("{}/repos/{}/actions/runs", e.github, github.repo),
                None,
            )
            .await,
        ),
        (
            "deployments",
            get(
                format!("{}/repos/{}/deployments", e.github, github.repo),
                None,
            )
            .await,
        ),
        (
            "commits",
            get(format!("{}/repos/{}/commits", e.github, github.repo), None).await,
        ),
        (
            "pipelines",
            get(
                format!(
                    "{}/api/v4/projects/{}/pipelines",
                    e.gitlab, gitlab.project_id
                ),
                Some(("PRIVATE-TOKEN", "glpat-sim")),
            )
            .await,
        ),
        (
            "gitlab deployments",
            get(
                format!(
                    "{}/api/v4/projects/{}/deployments",
                    e.gitlab, gitlab.project_id
                ),
                Some(("PRIVATE-TOKEN", "glpat-sim")),
            )
            .await,
        ),
        (
            "gitlab commit",
            get(
                format!(
                    "{}/api/v4/projects/{}/repository/commits/main",
                    e.gitlab, gitlab.project_id
                ),
                Some(("PRIVATE-TOKEN", "glpat-sim")),
            )
            .await,
        ),
        (
            "alerts",
            get(format!("{}/api/v2/alerts", e.alertmanager), None).await,
        ),
    ];
    let wall = Utc::now();
    for (what, v) in &answers {
        assert!(assert_past(what, v, wall) > 0, "{what} carries times");
    }
    // Silences: a pending one starts in the future by nature; the others' times are past.
    let silences = get(format!("{}/api/v2/silences", e.alertmanager), None).await;
    let wall = Utc::now();
    for s in silences.as_array().expect("a list") {
        let mut s = s.clone();
        if s["status"]["state"] == "pending" {
            s["startsAt"] = Value::Null;
        }
        assert_past("silences", &s, wall);
    }

    let _ = rustls::crypto::ring::default_provider().install_default();
    kubernetes::write_kubeconfig(&sim.shared).expect("the kubeconfig is written");
    let kubeconfig = Kubeconfig::read_from(sim.kubeconfig()).expect("the kubeconfig parses");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("kube reads the kubeconfig");
    let client = Client::try_from(config).expect("a kube client");
    let pods = Api::<Pod>::all(client.clone())
        .list(&ListParams::default())
        .await
        .expect("pods");
    let events = Api::<Event>::all(client)
        .list(&ListParams::default())
        .await
        .expect("events");
    let wall = Utc::now();
    let pods = serde_json::to_value(&pods.items).expect("pods serialise");
    let events = serde_json::to_value(&events.items).expect("events serialise");
    assert!(assert_past("pods", &pods, wall) > 0);
    assert!(assert_past("events", &events, wall) > 0);
}
