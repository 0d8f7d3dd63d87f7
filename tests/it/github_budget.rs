//! GitHub within its limits: the sim's `/graphql` read by octocrab's GraphQL client as GitHub
//! answers it (aliases, variables, fragments, costs, errors), and the CI poller's sweep against
//! it: an organisation where nothing moves costs sweeps, not REST polls; a change made behind
//! the cockpit's back is read through REST for that repository only; a limit on `/graphql`
//! stops everything for its wait; and every request shares the host's budget.

use std::time::{Duration, Instant};

use flightdeck::clock::Clock;
use flightdeck::providers::ci::{CiProvider, Pacing};
use flightdeck::providers::github::{GithubApi, sweep};
use flightdeck::providers::http::Backoff;
use flightdeck::providers::{Context, Provider};
use flightdeck_core::message::pipelines::Msg as PMsg;
use flightdeck_core::message::{Msg, SourceEvent};
use flightdeck_core::model::join::ServiceTarget;
use flightdeck_core::model::pipelines::Run;
use flightdeck_sim::world::CiHost;
use flightdeck_sim::{Fault, FaultKind, Sim, SimConfig};
use serde_json::{Value, json};
use tokio::sync::mpsc;

const TOKEN: &str = "budget-test-token";

async fn sim(speed: f64) -> Sim {
    Sim::start(SimConfig {
        speed,
        ..SimConfig::default()
    })
    .await
    .expect("the sim starts")
}

fn github_targets(sim: &Sim) -> Vec<ServiceTarget> {
    sim.shared
        .world
        .services
        .iter()
        .filter(|s| s.ci == CiHost::Github)
        .map(|svc| ServiceTarget {
            service: format!("component:default/{}", svc.name),
            name: svc.name.clone(),
            github: Some(svc.repo.clone()),
            gitlab: None,
            kubernetes: None,
            alert_names: vec![],
            docs: None,
            prometheus: vec![],
        })
        .collect()
}

/// Requests the sim's GitHub server counted whose endpoint starts with `prefix`.
fn counted(sim: &Sim, prefix: &str) -> u64 {
    sim.shared
        .stats
        .rows()
        .iter()
        .filter(|r| r.key.service == "github" && r.key.endpoint.starts_with(prefix))
        .map(|r| r.count)
        .sum()
}

fn octocrab(sim: &Sim, token: &str) -> octocrab::Octocrab {
    let _ = rustls::crypto::ring::default_provider().install_default();
    octocrab::Octocrab::builder()
        .base_uri(sim.endpoints().github.as_str())
        .expect("a base")
        .personal_token(token.to_string())
        .build()
        .expect("a client")
}

async fn raw_json(sim: &Sim, path: &str) -> Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let r = reqwest::Client::new()
        .get(format!("{}{path}", sim.endpoints().github))
        .header("authorization", "Bearer raw-reader")
        .header("user-agent", "test")
        .send()
        .await
        .expect("the sim answers");
    r.json().await.expect("JSON")
}

/// GraphQL errors come with a 200, which octocrab's GraphQL call turns into an error of its
/// own: these are read raw.
async fn post_graphql(sim: &Sim, body: &Value) -> Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let r = reqwest::Client::new()
        .post(format!("{}/graphql", sim.endpoints().github))
        .header("authorization", "Bearer graphql-reader")
        .header("user-agent", "test")
        .json(body)
        .send()
        .await
        .expect("the sim answers");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()
            .get("x-ratelimit-resource")
            .and_then(|v| v.to_str().ok()),
        Some("graphql")
    );
    r.json().await.expect("JSON")
}

#[tokio::test]
async fn the_sims_graphql_answers_the_sweep_as_its_rest_api_reads() {
    let sim = sim(0.0).await;
    let repos: Vec<String> = github_targets(&sim)
        .into_iter()
        .filter_map(|t| t.github)
        .take(3)
        .collect();
    let mut vars = serde_json::Map::new();
    for (i, r) in repos
        .iter()
        .chain(["acme/no-such-repo".to_string()].iter())
        .enumerate()
    {
        let (o, n) = r.split_once('/').expect("owner/name");
        vars.insert(format!("o{i}"), json!(o));
        vars.insert(format!("n{i}"), json!(n));
    }
    let body = json!({ "query": sweep::query(repos.len() + 1), "variables": vars, "operationName": "Sweep" });
    let answer = post_graphql(&sim, &body).await;
    // Cost as GitHub counts it: 6 connections a repository, 4 repositories, 24 requests: 1.
    assert_eq!(answer["data"]["rateLimit"]["cost"], json!(1), "{answer}");
    assert_eq!(answer["data"]["rateLimit"]["remaining"], json!(4999));
    // An unknown repository: null with GitHub's NOT_FOUND error at its path.
    let missing = format!("r{}", repos.len());
    assert_eq!(answer["data"][&missing], Value::Null);
    assert_eq!(answer["errors"][0]["type"], json!("NOT_FOUND"));
    assert_eq!(answer["errors"][0]["path"], json!([missing]));
    for (i, repo) in repos.iter().enumerate() {
        let r = &answer["data"][format!("r{i}")];
        assert_eq!(r["nameWithOwner"], json!(repo));
        // The newest branch's head suites are the runs REST lists for that commit.
        let head = &r["refs"]["nodes"][0];
        let sha = head["target"]["oid"].as_str().expect("a head commit");
        let rest = raw_json(
            &sim,
            &format!("/repos/{repo}/actions/runs?head_sha={sha}&per_page=100"),
        )
        .await;
        let runs = rest["workflow_runs"].as_array().expect("runs");
        let suites = head["target"]["checkSuites"]["nodes"]
            .as_array()
            .expect("suites");
        assert!(!suites.is_empty(), "{repo}: {head}");
        for s in suites {
            let run = runs
                .iter()
                .find(|run| run["check_suite_id"] == s["databaseId"])
                .unwrap_or_else(|| panic!("{repo}: suite {s} has no run"));
            assert_eq!(
                s["status"].as_str().map(str::to_lowercase).as_deref(),
                run["status"].as_str(),
                "{repo}"
            );
        }
        // The default branch is read by name, its head the newest commit its runs were for,
        // however many pull-request branches were pushed after it.
        let main = &r["defaultBranchRef"];
        assert_eq!(main["name"], json!("main"), "{repo}: {r}");
        let main_runs = raw_json(
            &sim,
            &format!("/repos/{repo}/actions/runs?branch=main&per_page=100"),
        )
        .await;
        let newest_commit = main_runs["workflow_runs"]
            .as_array()
            .expect("runs")
            .iter()
            .max_by_key(|run| run["head_commit"]["timestamp"].as_str().map(str::to_string))
            .map(|run| run["head_sha"].clone());
        assert_eq!(Some(main["target"]["oid"].clone()), newest_commit, "{repo}");
        let main_suites = main["target"]["checkSuites"]["nodes"]
            .as_array()
            .expect("suites");
        assert!(!main_suites.is_empty(), "{repo}: {main}");
        // The newest deployment's latest status is REST's.
        let deps = r["deployments"]["nodes"].as_array().expect("deployments");
        if let Some(newest) = deps.last() {
            let id = newest["databaseId"].as_u64().expect("an id");
            let statuses =
                raw_json(&sim, &format!("/repos/{repo}/deployments/{id}/statuses")).await;
            assert_eq!(
                newest["latestStatus"]["state"]
                    .as_str()
                    .map(str::to_lowercase)
                    .as_deref(),
                statuses[0]["state"].as_str(),
                "{repo}"
            );
        }
    }
    // octocrab's own GraphQL call reads the same query for the known repositories alone.
    let octo = octocrab(&sim, "graphql-octocrab");
    let mut known = serde_json::Map::new();
    for (i, r) in repos.iter().enumerate() {
        let (o, n) = r.split_once('/').expect("owner/name");
        known.insert(format!("o{i}"), json!(o));
        known.insert(format!("n{i}"), json!(n));
    }
    let read: Value = octo
        .graphql(&json!({ "query": sweep::query(repos.len()), "variables": known }))
        .await
        .expect("octocrab reads it");
    // (It hands back the answer's `data`.)
    let data = read.get("data").unwrap_or(&read);
    assert_eq!(data["r0"], answer["data"]["r0"]);
    // A field the schema lacks is GitHub's error, not a crash or a guess.
    let bad = post_graphql(
        &sim,
        &json!({ "query": "{ repository(owner: \"acme\", name: \"payments-api\") { bogus } }" }),
    )
    .await;
    assert_eq!(
        bad["errors"][0]["message"],
        json!("Field 'bogus' doesn't exist on type 'Repository'")
    );
    // Not GraphQL at all: a parse error.
    let unparsable = post_graphql(&sim, &json!({ "query": "{ repository(" })).await;
    assert!(
        unparsable["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Parse error")),
        "{unparsable}"
    );
}

/// The GitHub provider over every GitHub repository of the sim, quick paces.
fn provider(sim: &Sim, tx: mpsc::Sender<Msg>) -> CiProvider<GithubApi> {
    let cx = Context {
        tx,
        clock: Clock::System,
        read_only: false,
    };
    let mut pacing = Pacing::new(1, 1, 4);
    pacing.backoff = Backoff {
        base: Duration::from_millis(200),
        max: Duration::from_secs(1),
    };
    pacing.budget_per_min = Some(300.0);
    let url = sim.endpoints().github.clone();
    let mut p = CiProvider::start(
        &cx,
        pacing,
        |t| t.github.as_ref(),
        move || {
            let url = url.clone();
            async move { GithubApi::new(&url, Some(TOKEN.into()), 4, Duration::from_secs(5)) }
        },
    );
    p.targets(&github_targets(sim));
    p
}

/// Waits until the sim has counted no REST request for `quiet` (sweeps go on).
async fn settle(sim: &Sim, quiet: Duration) {
    let mut seen = counted(sim, "/repos/");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        tokio::time::sleep(quiet).await;
        let now = counted(sim, "/repos/");
        if now == seen || Instant::now() > deadline {
            return;
        }
        seen = now;
    }
}

#[tokio::test]
async fn an_organisation_where_nothing_moves_costs_sweeps_not_rest_polls() {
    let sim = sim(0.0).await;
    let (tx, mut rx) = mpsc::channel(4096);
    let _p = provider(&sim, tx);
    let repos = github_targets(&sim).len() as u64;
    // The first round reads every repository through REST, within the budget: at five a
    // second (a second's worth at once), two seconds hold at most fifteen.
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let early = counted(&sim, "/repos/");
    assert!(early <= 16, "{early} requests in {:?}", start.elapsed());
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    // REST once per repository (runs, deployments, each environment's newest deployment's
    // statuses: about 4 requests, 8 s for 10 at 5 a second), then only sweeps: one request for
    // all, about once a second. The first sweep may send a repository whose two looks disagree
    // on whether anything runs back to REST once; so the count stands still for two sweeps
    // only once REST is done.
    settle(&sim, Duration::from_millis(2500)).await;
    let rest0 = counted(&sim, "/repos/");
    let graphql0 = counted(&sim, "/graphql");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let rest = counted(&sim, "/repos/") - rest0;
    let graphql = counted(&sim, "/graphql") - graphql0;
    eprintln!(
        "{repos} repositories: first round {rest0} REST; then in 4 s {rest} REST, {graphql} GraphQL"
    );
    assert!(rest0 >= 2 * repos, "every repository read once: {rest0}");
    assert_eq!(rest, 0, "nothing moved, so REST is not asked");
    assert!(
        (2..=6).contains(&graphql),
        "a sweep a second or so: {graphql}"
    );
    drain.abort();
}

#[tokio::test]
async fn a_change_behind_the_cockpits_back_is_read_through_rest_for_that_repository_only() {
    let sim = sim(0.0).await;
    let (tx, mut rx) = mpsc::channel(4096);
    let _p = provider(&sim, tx);
    // Every repository read once; the newest completed run of the first one.
    let targets = github_targets(&sim);
    let repo = targets[0].github.clone().expect("a repository");
    let mut newest = None;
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await else {
            continue;
        };
        if let Msg::Pipelines(PMsg::Runs { repo: r, runs, .. }) = &msg
            && *r == repo
        {
            newest = runs.iter().find(|r| r.state.is_done()).map(|r| r.key.id);
            break;
        }
    }
    let run = newest.expect("a finished run of the first repository");
    settle(&sim, Duration::from_millis(1500)).await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let drained = {
        let seen = seen.clone();
        tokio::spawn(async move {
            while let Some(m) = rx.recv().await {
                if let Msg::Pipelines(PMsg::Runs { repo, runs, .. }) = m {
                    seen.lock().expect("not poisoned").push((repo, runs));
                }
            }
        })
    };
    let runs_lists = |sim: &Sim| -> u64 {
        sim.shared
            .stats
            .rows()
            .iter()
            .filter(|r| r.key.endpoint == "/repos/{owner}/{repo}/actions/runs")
            .map(|r| r.count)
            .sum()
    };
    let before = runs_lists(&sim);
    // Someone else re-runs it (another token): a new attempt, a new check suite.
    let r = reqwest::Client::new()
        .post(format!(
            "{}/repos/{repo}/actions/runs/{run}/rerun",
            sim.endpoints().github
        ))
        .header("authorization", "Bearer someone-else")
        .header("user-agent", "test")
        .send()
        .await
        .expect("the sim answers");
    assert_eq!(r.status().as_u16(), 201);
    // Until the next sweep sees the change and its REST read sends the new attempt.
    let shows_rerun = |seen: &[(String, Vec<Run>)]| {
        seen.iter()
            .any(|(r, runs)| *r == repo && runs.iter().any(|x| x.key.id == run && x.attempt == 2))
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !shows_rerun(&seen.lock().expect("not poisoned")) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let reread = runs_lists(&sim) - before;
    drained.abort();
    let seen = seen.lock().expect("not poisoned").clone();
    assert!(
        shows_rerun(&seen),
        "the new attempt of {repo}'s run {run} sent within 30 s; sent: {:?}",
        seen.iter()
            .map(|(r, runs)| (r, runs.len()))
            .collect::<Vec<_>>()
    );
    // Only that repository's runs were read again.
    assert_eq!(
        reread, 1,
        "only the changed repository is read through REST"
    );
}

#[tokio::test]
async fn a_limit_on_graphql_holds_every_github_request_for_its_wait() {
    let sim = sim(0.0).await;
    let (tx, mut rx) = mpsc::channel(4096);
    let _p = provider(&sim, tx);
    // Wait for the sweeps to start (the first round is REST's).
    let deadline = Instant::now() + Duration::from_secs(30);
    while counted(&sim, "/graphql") == 0 && Instant::now() < deadline {
        while rx.try_recv().is_ok() {}
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(counted(&sim, "/graphql") > 0, "sweeps started");
    sim.shared.faults.add(Fault {
        service: Some("github".into()),
        path_prefix: Some("/graphql".into()),
        kind: FaultKind::SecondaryLimit {
            retry_after_secs: 3,
        },
        times: Some(1),
    });
    // The status says so, in GitHub's words.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut said = None;
    while Instant::now() < deadline && said.is_none() {
        if let Ok(Some(Msg::Source {
            event: SourceEvent::Failed { error, .. },
            ..
        })) = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await
        {
            said = Some(error);
        }
    }
    let said = said.expect("the source fails");
    assert!(said.contains("secondary rate limit"), "{said}");
    let limited = Instant::now();
    let at_limit = counted(&sim, "/");
    while limited.elapsed() < Duration::from_millis(2500) {
        while rx.try_recv().is_ok() {}
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // At most what was in flight when the answer came.
    assert!(
        counted(&sim, "/") - at_limit <= 1,
        "nothing sent during retry-after"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while counted(&sim, "/") == at_limit && Instant::now() < deadline {
        while rx.try_recv().is_ok() {}
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(counted(&sim, "/") > at_limit, "polling resumed");
}

/// Every deployment but each environment's newest has no status read; those kept every
/// repository with two deployments to an environment busy (polled every 5 s for ever, about
/// 1,000 requests a minute for 42 idle repositories).
#[tokio::test]
async fn a_repository_where_nothing_runs_is_not_busy() {
    use flightdeck::providers::ci::{Backend, RepoState, Target};
    let sim = sim(0.0).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let r = reqwest::Client::new()
        .post(format!("{}/_sim/quiet", sim.endpoints().github))
        .send()
        .await
        .expect("the sim answers");
    assert_eq!(r.status().as_u16(), 204);
    let api = GithubApi::new(
        &sim.endpoints().github,
        Some(TOKEN.into()),
        4,
        Duration::from_secs(5),
    )
    .expect("a client");
    for t in github_targets(&sim) {
        let target = Target {
            repo: t.github.clone().expect("a repository"),
            service: t.service.clone(),
            name: t.name.clone(),
        };
        let mut st = RepoState::default();
        api.poll(&target, &mut st, chrono::Utc::now())
            .await
            .expect("a poll");
        assert!(!st.deployments.is_empty(), "{}: deployments", target.repo);
        assert!(!st.busy, "{}: nothing runs", target.repo);
    }
}
