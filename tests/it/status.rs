//! `flightdeck status` against the simulated organisation over real HTTP: the same providers
//! and join as the cockpit, the JSON of docs/status-json.md, and exit codes that follow the
//! services' health.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;

use flightdeck::clock::Clock;
use flightdeck::status::{JSON_VERSION, Report, StatusArgs, collect};
use flightdeck_sim::{Sim, SimConfig};

fn args() -> StatusArgs {
    StatusArgs {
        json: true,
        service: None,
        owner: None,
        mine: false,
        timeout: Duration::from_secs(20),
    }
}

async fn sim_and_config() -> (Sim, flightdeck::config::Config) {
    let sim = Sim::start(SimConfig::default())
        .await
        .expect("the sim starts");
    let loaded =
        flightdeck::config::load(&sim.flightdeck_config()).expect("the sim writes a valid config");
    (sim, loaded.config)
}

fn strs<'a>(v: &'a Value, key: &str) -> Vec<&'a str> {
    v.as_array()
        .map(|a| a.iter().filter_map(|x| x[key].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_json_lists_every_service_of_the_sim_with_its_catalog_facts() {
    let (sim, config) = sim_and_config().await;
    let (model, answered) = collect(&config, Clock::System, args().timeout).await;
    let report = Report::new(&model, &args(), &answered);
    let json = report.json();

    assert_eq!(json["version"], JSON_VERSION);
    let world = &sim.shared.world;
    let services = &json["services"];
    let names: BTreeSet<&str> = strs(services, "name").into_iter().collect();
    let expected: BTreeSet<&str> = world.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, expected, "one row per service of the sim");
    for s in services.as_array().expect("services is an array") {
        let name = s["name"].as_str().expect("a name");
        let svc = world.service(name).expect("the sim knows it");
        assert_eq!(s["ref"], format!("component:default/{name}"));
        assert_eq!(s["owner"], format!("group:default/{}", svc.owner));
        assert_eq!(s["system"], svc.system.as_str());
        assert_eq!(s["lifecycle"], svc.lifecycle.as_str());
        assert_eq!(
            s["mine"],
            svc.owner == "team-storefront",
            "the sim's config says me = jdoe, of team-storefront"
        );
        for cell in ["ci", "deploy", "pods", "alerts", "docs"] {
            let c = &s[cell];
            assert!(
                c["value"].is_null() != c["why"].is_null(),
                "{name}.{cell} has a value or says why: {c}"
            );
        }
        assert!(
            ["critical", "failing", "warning", "healthy", "unknown"]
                .contains(&s["health"].as_str().unwrap_or(""))
        );
    }
    // Both catalog origins answered, and they agree, so nothing is a duplicate or dangling.
    let sources = &json["sources"];
    for id in ["catalog", "catalog:backstage"] {
        let s = sources
            .as_array()
            .and_then(|a| a.iter().find(|s| s["id"] == id))
            .unwrap_or_else(|| panic!("{id} is listed in {sources}"));
        assert_eq!(s["state"], "ok", "{s}");
    }
    assert_eq!(json["me"], "user:default/jdoe");
    let problems = json["problems"].as_array().expect("problems is an array");
    assert!(
        problems.iter().all(|p| p["level"] == "warning"),
        "{problems:?}"
    );

    // The exit code follows the worst health shown and whether every source answered.
    let worst = strs(services, "health")
        .into_iter()
        .map(|h| match h {
            "critical" => 2,
            "failing" | "warning" => 1,
            _ => 0,
        })
        .max()
        .unwrap_or(0);
    let silent = sources.as_array().is_some_and(|a| {
        a.iter()
            .any(|s| s["state"] == "failing" || s["state"] == "no_answer")
    });
    let expected_code = if silent { worst.max(1) } else { worst };
    assert_eq!(json["exit_code"], expected_code);
    assert_eq!(u64::from(report.exit_code), expected_code);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_filters_by_service_owner_and_mine() {
    let (sim, config) = sim_and_config().await;
    let (model, answered) = collect(&config, Clock::System, args().timeout).await;
    let only = |a: StatusArgs| -> Vec<String> {
        let r = Report::new(&model, &a, &answered);
        let mut v: Vec<String> = strs(&r.json()["services"], "name")
            .into_iter()
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        only(StatusArgs {
            service: Some("Ledger".into()),
            ..args()
        }),
        ["ledger"]
    );
    assert_eq!(
        only(StatusArgs {
            service: Some("component:default/ledger".into()),
            ..args()
        }),
        ["ledger"]
    );
    let payments: Vec<String> = {
        let mut v: Vec<String> = sim
            .shared
            .world
            .services
            .iter()
            .filter(|s| s.owner == "team-payments")
            .map(|s| s.name.clone())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        only(StatusArgs {
            owner: Some("team-payments".into()),
            ..args()
        }),
        payments
    );
    assert_eq!(
        only(StatusArgs {
            owner: Some("group:default/team-payments".into()),
            ..args()
        }),
        payments
    );
    let mine: Vec<String> = {
        let mut v: Vec<String> = sim
            .shared
            .world
            .services
            .iter()
            .filter(|s| s.owner == "team-storefront")
            .map(|s| s.name.clone())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        only(StatusArgs {
            mine: true,
            ..args()
        }),
        mine
    );
    let text = Report::new(
        &model,
        &StatusArgs {
            json: false,
            ..args()
        },
        &answered,
    )
    .text();
    for name in &mine {
        assert!(
            text.contains(name.as_str()),
            "the table lists {name}:\n{text}"
        );
    }
    assert!(text.contains("sources: catalog ok"), "{text}");
}

#[tokio::test]
async fn a_source_that_never_answers_is_reported_and_warns() {
    // A Backstage that accepts connections and never answers: status waits for the timeout,
    // then says so.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = listener.accept().await {
            held.push(conn);
        }
    });
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(
        dir.path().join("catalog-info.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: solo\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n",
    )
    .expect("write");
    let toml = format!(
        "[catalog]\npaths = [\"{}\"]\ncurrent_repo = false\n\n[catalog.backstage]\nurl = \"{url}\"\n",
        dir.path().join("*.yaml").display()
    );
    let config = flightdeck::config::load_str(&toml, &dir.path().join("config.toml"), None)
        .expect("a valid config")
        .config;
    let a = StatusArgs {
        timeout: Duration::from_millis(1500),
        ..args()
    };
    let (model, answered) = collect(&config, Clock::System, a.timeout).await;
    let report = Report::new(&model, &a, &answered);
    let json = report.json();
    let state = |id: &str| {
        json["sources"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["id"] == id))
            .map(|s| s["state"].clone())
    };
    assert_eq!(state("catalog"), Some("ok".into()));
    assert_eq!(state("catalog:backstage"), Some("no_answer".into()));
    assert_eq!(strs(&json["services"], "name"), ["solo"]);
    assert_eq!(report.exit_code, 1, "a silent source is a warning");
    hold.abort();
}
