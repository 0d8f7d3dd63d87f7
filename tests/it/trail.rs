//! "Where is my change": `flightdeck status --mine --json` against the sim names the user's
//! newest change and its trail, and each step agrees with what the sim's GitHub REST API says,
//! read here with a plain HTTP client (the run of that commit, the deployments after it).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use flightdeck::clock::Clock;
use flightdeck::status::{Report, StatusArgs, collect};
use flightdeck_sim::{Sim, SimConfig};

async fn get(client: &reqwest::Client, url: &str) -> Value {
    client
        .get(url)
        .header("authorization", "Bearer test")
        .send()
        .await
        .expect("the sim answers")
        .json()
        .await
        .expect("JSON")
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .expect("an RFC 3339 time")
        .to_utc()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_mine_gives_the_newest_change_of_mine_with_a_trail_the_rest_answers_agree_with() {
    // A frozen story: the runs and deployments do not move while both sides read them.
    let sim = Sim::start(SimConfig {
        speed: 0.0,
        ..SimConfig::default()
    })
    .await
    .expect("the sim starts");
    let loaded =
        flightdeck::config::load(&sim.flightdeck_config()).expect("the sim writes a valid config");
    let args = StatusArgs {
        json: true,
        service: None,
        owner: None,
        mine: true,
        timeout: Duration::from_secs(20),
    };
    let (model, answered) = collect(&loaded.config, Clock::System, args.timeout).await;
    let report = Report::new(&model, &args, &answered);
    let json = report.json();
    let change = &json["my_change"];
    assert!(change.is_object(), "a change of mine: {json:#}");

    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let base = &sim.shared.endpoints.github;
    let me = get(&client, &format!("{base}/user")).await["login"]
        .as_str()
        .expect("a login")
        .to_string();
    assert_eq!(
        change["author"],
        me.as_str(),
        "mine: pushed by the token's user"
    );
    let repo = format!("acme/{}", change["service"].as_str().expect("a service"));
    let runs = get(
        &client,
        &format!("{base}/repos/{repo}/actions/runs?per_page=100"),
    )
    .await;
    let runs = runs["workflow_runs"].as_array().expect("runs").clone();
    let sha = change["sha"].as_str().expect("a sha");
    let run = runs
        .iter()
        .find(|r| r["head_sha"] == sha && !r["name"].as_str().unwrap_or("").contains("Deploy"))
        .expect("the change is a CI run's head commit");
    assert_eq!(run["actor"]["login"], me.as_str());
    assert_eq!(time(&change["merged_at"]), time(&run["created_at"]));
    // No newer push of mine in any service's repository.
    for r in &sim.shared.world.services {
        if r.ci != flightdeck_sim::world::CiHost::Github {
            continue;
        }
        let theirs = get(
            &client,
            &format!("{base}/repos/acme/{}/actions/runs?per_page=100", r.name),
        )
        .await;
        for x in theirs["workflow_runs"].as_array().into_iter().flatten() {
            if x["actor"]["login"] == me.as_str()
                && x["head_branch"] == "main"
                && x["event"] == "push"
                && !x["name"].as_str().unwrap_or("").contains("Deploy")
            {
                assert!(
                    time(&x["created_at"]) <= time(&change["merged_at"]),
                    "{} has a newer push of mine than the one named",
                    r.name
                );
            }
        }
    }
    // Production: done exactly when a successful production deployment created at or after
    // the push exists, at the earliest such one's success.
    let deps = get(
        &client,
        &format!("{base}/repos/{repo}/deployments?environment=production&per_page=100"),
    )
    .await;
    let mut earliest: Option<DateTime<Utc>> = None;
    for d in deps.as_array().expect("deployments") {
        if d["sha"] != sha && time(&d["created_at"]) < time(&run["created_at"]) {
            continue;
        }
        let statuses = get(
            &client,
            &format!(
                "{base}/repos/{repo}/deployments/{}/statuses",
                d["id"].as_u64().expect("an id")
            ),
        )
        .await;
        if let Some(s) = statuses.as_array().and_then(|s| s.first())
            && s["state"] == "success"
        {
            let at = time(&s["created_at"]);
            earliest = Some(earliest.map_or(at, |e| e.min(at)));
        }
    }
    match earliest {
        Some(at) => {
            assert_eq!(change["production"]["state"], "done", "{change:#}");
            assert_eq!(time(&change["production"]["at"]), at);
        }
        None => assert_ne!(change["production"]["state"], "done", "{change:#}"),
    }
    let text = report.text();
    assert!(
        text.contains(&format!("my newest change: {}", &sha[..7])),
        "the text names it: {text}"
    );
}
