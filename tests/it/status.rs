//! `flightdeck status` against the simulated organisation over real HTTP: the same providers
//! and join as the cockpit, the JSON of docs/status-json.md, and exit codes as monitoring
//! plugins give them (0 healthy, 1 warning, 2 critical, 3 unknown).

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
    assert_eq!(
        report.warnings,
        ["catalog:backstage did not answer within 2s; what it shows is missing"],
        "a line names the silent source"
    );
    assert_eq!(json["warnings"], serde_json::json!(report.warnings));
    assert_eq!(json["errors"], serde_json::json!([]));
    hold.abort();
}

/// A server on 127.0.0.1 that accepts connections and never answers; dropped with the handle.
async fn silent_server() -> (String, tokio::task::JoinHandle<()>) {
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
    (url, hold)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_follow_the_services_and_an_unknown_name_is_unknown() {
    let (_sim, config) = sim_and_config().await;
    let (model, answered) = collect(&config, Clock::System, args().timeout).await;
    let report = |a: StatusArgs| {
        let r = Report::new(&model, &a, &answered);
        (r.exit_code, r.errors.clone(), r.json())
    };
    assert_eq!(
        report(args()).1,
        Vec::<String>::new(),
        "every source answered"
    );

    // Each service alone gives the code of its health.
    let mut seen = BTreeSet::new();
    for row in &model.catalog.overview.rows {
        let (code, errors, _) = report(StatusArgs {
            service: Some(row.name.clone()),
            ..args()
        });
        let expected = match row.health.label() {
            "critical" => 2,
            "failing" | "warning" => 1,
            _ => 0,
        };
        assert_eq!(code, expected, "{} is {}", row.name, row.health.label());
        assert!(errors.is_empty(), "{errors:?}");
        seen.insert(code);
    }
    assert!(
        seen.len() > 1,
        "the sim has services of several codes: {seen:?}"
    );

    // A name that is no service's: unknown, with the nearest names.
    let (code, errors, json) = report(StatusArgs {
        service: Some("ledgr".into()),
        ..args()
    });
    assert_eq!(code, 3, "an unknown service is not healthy");
    assert_eq!(errors, [r#"no service named "ledgr"; nearest: ledger"#]);
    assert_eq!(json["exit_code"], 3);
    assert_eq!(json["errors"][0], errors[0].as_str());
    assert_eq!(json["services"], serde_json::json!([]));
    let (code, errors, _) = report(StatusArgs {
        service: Some("component:default/payment-api".into()),
        ..args()
    });
    assert_eq!(code, 3);
    assert!(
        errors[0].ends_with("nearest: payments-api"),
        "a ref is judged by its name: {errors:?}"
    );
    let (code, errors, _) = report(StatusArgs {
        owner: Some("team-paymnts".into()),
        ..args()
    });
    assert_eq!(code, 3, "an unknown owner is not healthy");
    assert_eq!(
        errors,
        [r#"no owner named "team-paymnts"; nearest: team-payments"#]
    );
    let (code, errors, _) = report(StatusArgs {
        service: Some("zzzzzzzz".into()),
        ..args()
    });
    assert_eq!(code, 3);
    assert!(errors[0].contains("none near it"), "{errors:?}");
}

#[tokio::test]
async fn no_source_answering_is_unknown() {
    let (url, hold) = silent_server().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let toml = format!("[[alertmanager]]\nname = \"prod\"\nurl = \"{url}\"\n");
    let config = flightdeck::config::load_str(&toml, &dir.path().join("config.toml"), None)
        .expect("a valid config")
        .config;
    let a = StatusArgs {
        timeout: Duration::from_millis(1500),
        ..args()
    };
    let (model, answered) = collect(&config, Clock::System, a.timeout).await;
    let report = Report::new(&model, &a, &answered);
    assert_eq!(report.exit_code, 3, "nothing answered: nothing to judge");
    assert!(
        report
            .errors
            .iter()
            .any(|e| e == "no source answered within 2s"),
        "{:?}",
        report.errors
    );
    assert_eq!(
        report.warnings,
        ["alertmanager:prod did not answer within 2s; what it shows is missing"]
    );
    hold.abort();
}

#[tokio::test]
async fn a_silent_catalog_that_leaves_no_service_is_unknown() {
    let (url, hold) = silent_server().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let toml = format!("[catalog]\ncurrent_repo = false\n\n[catalog.backstage]\nurl = \"{url}\"\n");
    let config = flightdeck::config::load_str(&toml, &dir.path().join("config.toml"), None)
        .expect("a valid config")
        .config;
    let a = StatusArgs {
        timeout: Duration::from_millis(1500),
        ..args()
    };
    let (model, answered) = collect(&config, Clock::System, a.timeout).await;
    let report = Report::new(&model, &a, &answered);
    assert_eq!(report.exit_code, 3, "no service to judge");
    for error in [
        "the catalog lists no service",
        "the services may be incomplete: catalog:backstage did not answer",
    ] {
        assert!(
            report.errors.iter().any(|e| e == error),
            "{error}: {:?}",
            report.errors
        );
    }
    hold.abort();
}

/// Runs the real binary's `status` with its data and cache dirs in `home`.
fn status_bin(home: &std::path::Path, extra: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .arg("status")
        .args(extra)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env_remove("FLIGHTDECK_CONFIG")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the binary runs")
}

#[test]
fn a_missing_or_bad_config_is_unknown() {
    let home = tempfile::tempdir().expect("a temp dir");
    let out = status_bin(home.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "no config: {stderr}");
    assert!(stderr.contains("no config at"), "{stderr}");
    let missing = home.path().join("nowhere.toml");
    let out = status_bin(home.path(), &["--config", &missing.display().to_string()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(3),
        "a config named but absent: {stderr}"
    );
    assert!(stderr.contains("nowhere.toml"), "{stderr}");

    let bad = home.path().join("bad.toml");
    std::fs::write(&bad, "[catalog\npaths = 3\n").expect("write");
    let out = status_bin(home.path(), &["--config", &bad.display().to_string()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "a bad config: {stderr}");
    assert!(stderr.contains("bad.toml"), "names the file: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_exits_3_for_an_unknown_service_and_says_the_nearest() {
    let (sim, _) = sim_and_config().await;
    let home = tempfile::tempdir().expect("a temp dir");
    let config = sim.flightdeck_config().display().to_string();
    let out = tokio::task::spawn_blocking({
        let home = home.path().to_path_buf();
        move || {
            status_bin(
                &home,
                &[
                    "--config",
                    &config,
                    "--service",
                    "ledgr",
                    "--json",
                    "--timeout",
                    "20",
                ],
            )
        }
    })
    .await
    .expect("joined");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(r#"flightdeck status: no service named "ledgr"; nearest: ledger"#),
        "{stderr}"
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert_eq!(json["exit_code"], 3);
    assert!(
        !home.path().join("data").exists(),
        "status writes no onboarding progress"
    );
}

/// GitLab-hosted services deploy in the same story as GitHub's: `deploy` is set for every
/// service, with a version the world deployed to production, and no later than the report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_has_a_production_deploy_gitlab_hosted_ones_too() {
    use flightdeck_sim::world::CiHost;
    let (sim, config) = sim_and_config().await;
    let (model, answered) = collect(&config, Clock::System, args().timeout).await;
    let json = Report::new(&model, &args(), &answered).json();
    let generated: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(json["generated_at"].clone()).expect("generated_at is a time");
    let world = &sim.shared.world;
    assert!(
        world.services.iter().any(|s| s.ci == CiHost::Gitlab),
        "the sim has GitLab-hosted services"
    );
    let now = sim.shared.story_now();
    for svc in &world.services {
        let row = json["services"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["name"] == svc.name.as_str()))
            .unwrap_or_else(|| panic!("{} is listed", svc.name));
        let d = &row["deploy"]["value"];
        assert!(
            !d.is_null(),
            "{} ({:?}) has a deploy: {}",
            svc.name,
            svc.ci,
            row["deploy"]
        );
        assert_eq!(d["environment"], "production", "{}: {d}", svc.name);
        let deployed: Vec<String> = world
            .deploy_runs(&svc.name, now)
            .iter()
            .map(|r| r.commit.sha[..7].to_string())
            .collect();
        let version = d["version"].as_str().unwrap_or_default().to_string();
        assert!(
            deployed.contains(&version),
            "{}: {version} is one of the world's deploys",
            svc.name
        );
        let since: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(d["since"].clone()).expect("since is a time");
        assert!(
            since <= generated,
            "{}: {since} after {generated}",
            svc.name
        );
    }
}
