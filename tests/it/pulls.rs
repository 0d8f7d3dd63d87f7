//! The PR view's provider against the sim over real HTTP: open PRs with their checks (check
//! runs and commit statuses of the head), review state and mergeability match the sim's own
//! answers; a settled repository costs one conditional request per poll; a PR's runs are its
//! branch's. The published GitHub payloads decode with the same types.

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use flightdeck::providers::ci::{Backend, RepoState, Target};
use flightdeck::providers::github::GithubApi;
use flightdeck::providers::github::pulls::{
    CheckRunList, CombinedStatus, PullItem, count_checks, status_state,
};
use flightdeck_core::message::pipelines::Msg as PMsg;
use flightdeck_core::model::join::RunState;
use flightdeck_core::model::pipelines::pulls::{Pull, Review};
use flightdeck_sim::world::CiHost;
use flightdeck_sim::{Sim, SimConfig};
use serde_json::Value;

const TOKEN: &str = "sim-pulls-token";

async fn frozen() -> Sim {
    Sim::start(SimConfig {
        speed: 0.0,
        ..SimConfig::default()
    })
    .await
    .expect("the sim starts")
}

fn github_targets(sim: &Sim) -> Vec<Target> {
    sim.shared
        .world
        .services
        .iter()
        .filter(|s| s.ci == CiHost::Github)
        .map(|s| Target {
            repo: s.repo.clone(),
            service: format!("component:default/{}", s.name),
            name: s.name.clone(),
        })
        .collect()
}

async fn raw_json(url: &str) -> Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let body = reqwest::Client::new()
        .get(url)
        // Another token: the provider's budget and counts stay its own.
        .header("authorization", "Bearer raw-reader")
        .header("user-agent", "test")
        .send()
        .await
        .expect("the sim answers")
        .text()
        .await
        .expect("a body");
    serde_json::from_str(&body).expect("JSON")
}

/// Requests the sim counted for the PR endpoints, by route.
fn pull_requests_counted(sim: &Sim) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for r in sim.shared.stats.rows() {
        if r.key.service == "github"
            && (r.key.endpoint.contains("/pulls") || r.key.endpoint.contains("/commits/"))
        {
            *out.entry(format!("{} {}", r.key.endpoint, r.key.status))
                .or_default() += r.count;
        }
    }
    out
}

async fn poll_all(api: &GithubApi, targets: &[Target], states: &mut [RepoState]) -> Vec<Pull> {
    let mut out = Vec::new();
    for (t, st) in targets.iter().zip(states.iter_mut()) {
        st.want_pulls = true;
        for m in api.poll(t, st, Utc::now()).await.expect("a poll") {
            if let PMsg::Pulls { pulls, .. } = m {
                out.extend(pulls);
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_prs_carry_the_sims_checks_reviews_and_mergeability() {
    let sim = frozen().await;
    let base = sim.endpoints().github.clone();
    let api = GithubApi::new(&base, Some(TOKEN.into()), 4, Duration::from_secs(5)).expect("api");
    let targets = github_targets(&sim);
    let mut states: Vec<RepoState> = targets.iter().map(|_| RepoState::default()).collect();
    let pulls = poll_all(&api, &targets, &mut states).await;
    assert!(pulls.len() >= 5, "the seeded world has open PRs: {pulls:?}");
    // The first round: each repository's list, then each PR's page, reviews, check runs and
    // status once.
    let first: u64 = pull_requests_counted(&sim).values().sum();
    assert_eq!(
        first,
        (targets.len() + 4 * pulls.len()) as u64,
        "{:?}",
        pull_requests_counted(&sim)
    );
    eprintln!(
        "first round: {first} requests for {} repositories and {} open PRs",
        targets.len(),
        pulls.len()
    );
    assert!(
        pulls.iter().any(|p| p.author == "jdoe"),
        "the demo user has a PR of their own"
    );
    for p in &pulls {
        let one = raw_json(&format!(
            "{base}/repos/{}/pulls/{}",
            p.key.repo, p.key.number
        ))
        .await;
        assert_eq!(Some(p.sha.as_str()), one["head"]["sha"].as_str());
        assert_eq!(Some(p.branch.as_str()), one["head"]["ref"].as_str());
        assert_eq!(p.mergeable, one["mergeable"].as_bool());
        assert_eq!(
            Some(p.merge_state.as_str()),
            one["mergeable_state"].as_str()
        );
        let checks = raw_json(&format!(
            "{base}/repos/{}/commits/{}/check-runs",
            p.key.repo, p.sha
        ))
        .await;
        let status = raw_json(&format!(
            "{base}/repos/{}/commits/{}/status",
            p.key.repo, p.sha
        ))
        .await;
        let total = checks["total_count"].as_u64().unwrap_or(0)
            + status["statuses"].as_array().map_or(0, |s| s.len() as u64);
        assert_eq!(
            u64::from(p.checks.total()),
            total,
            "{}#{}",
            p.key.repo,
            p.key.number
        );
        assert!(total > 0, "every PR head ran CI");
        let failed = checks["check_runs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["conclusion"] == "failure")
            .count();
        assert_eq!(p.checks.failed as usize, failed);
        let reviews = raw_json(&format!(
            "{base}/repos/{}/pulls/{}/reviews",
            p.key.repo, p.key.number
        ))
        .await;
        let pairs: Vec<(String, String)> = reviews
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                (
                    r["user"]["login"].as_str().unwrap_or_default().to_string(),
                    r["state"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let requested = one["requested_reviewers"].as_array().map_or(0, Vec::len);
        assert_eq!(p.review, Review::from_reviews(&pairs, requested));
        assert!(p.url.is_some(), "the PR's page passed the URL check");
    }
    assert!(
        pulls.iter().any(|p| p.checks.failed > 0) && pulls.iter().any(|p| p.checks.failed == 0),
        "some PRs fail their checks, some pass"
    );

    // Settled, a second round asks each repository's PR list once, answered 304, and nothing
    // else about PRs; no message is sent.
    let before = pull_requests_counted(&sim);
    let again = poll_all(&api, &targets, &mut states).await;
    assert!(again.is_empty(), "nothing changed, nothing sent");
    let after = pull_requests_counted(&sim);
    let delta: BTreeMap<&String, u64> = after
        .iter()
        .map(|(k, v)| (k, v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, d)| *d > 0)
        .collect();
    let list = "/repos/{owner}/{repo}/pulls 304".to_string();
    assert_eq!(
        delta,
        BTreeMap::from([(&list, targets.len() as u64)]),
        "one 304 per repository"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prs_runs_are_the_runs_of_its_head_branch() {
    let sim = frozen().await;
    let base = sim.endpoints().github.clone();
    let api = GithubApi::new(&base, Some(TOKEN.into()), 4, Duration::from_secs(5)).expect("api");
    let targets = github_targets(&sim);
    let mut states: Vec<RepoState> = targets.iter().map(|_| RepoState::default()).collect();
    let pulls = poll_all(&api, &targets, &mut states).await;
    let p = pulls.first().expect("an open PR");
    let t = targets
        .iter()
        .find(|t| t.repo == p.key.repo)
        .expect("its target");
    let (runs, etag) = api
        .pull_runs(t, &p.branch, None)
        .await
        .expect("the branch's runs")
        .expect("a fresh answer");
    assert!(!runs.is_empty(), "the PR's head ran CI");
    assert!(runs.iter().all(|r| p.owns(r)), "every run is the PR's");
    assert!(runs.iter().all(|r| r.event == "pull_request"));
    assert!(
        runs.iter().any(|r| r.sha == p.sha),
        "its head's run is among them"
    );
    let unchanged = api
        .pull_runs(t, &p.branch, etag.as_deref())
        .await
        .expect("asked again");
    assert!(unchanged.is_none(), "a conditional request answers 304");
    // The main list's runs are not the PR's.
    let main = states
        .iter()
        .flat_map(|s| s.runs.iter())
        .filter(|r| r.key.repo == p.key.repo)
        .collect::<Vec<_>>();
    assert!(main.iter().all(|r| r.branch == "main" && !p.owns(r)));
}

#[test]
fn published_pull_and_check_payloads_decode_with_the_providers_types() {
    let Some(list) = common::fixture("github/pulls__list.json") else {
        return;
    };
    let items: Vec<PullItem> = serde_json::from_str(&list).expect("the PR list decodes");
    let first = items.first().expect("an item");
    assert_eq!(first.number, 1347);
    assert_eq!(first.head.git_ref, "new-topic");
    assert_eq!(
        first.user.as_ref().map(|u| u.login.as_str()),
        Some("octocat")
    );
    assert!(!first.requested_reviewers.is_empty());
    let Some(checks) = common::fixture("github/checks__list-for-ref.json") else {
        return;
    };
    let checks: CheckRunList = serde_json::from_str(&checks).expect("check runs decode");
    assert_eq!(checks.total_count as usize, checks.check_runs.len());
    let Some(status) = common::fixture("github/repos__get-combined-status-for-ref.json") else {
        return;
    };
    let status: CombinedStatus = serde_json::from_str(&status).expect("the status decodes");
    assert_eq!(status.state, "success");
    assert!(
        status
            .statuses
            .iter()
            .all(|s| status_state(&s.state) == RunState::Success)
    );
    let c = count_checks(&checks.check_runs, &status);
    assert_eq!(
        c.total() as usize,
        checks.check_runs.len() + status.statuses.len()
    );
}

/// Presses `key` until the screen shows `text` (a few tries, each waiting up to three seconds).
fn press_until(t: &crate::e2e_tmux::Tmux, key: &str, text: &str) {
    for _ in 0..5 {
        t.keys(&[key]);
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_secs(3) {
            if t.tmux(&["capture-pane", "-p", "-t", "t"]).contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    panic!(
        "{key} never showed {text:?}:\n{}",
        t.tmux(&["capture-pane", "-p", "-t", "t"])
    );
}

/// The real binary against the sim in tmux: `2` then `p` lists the open PRs with the demo
/// user's own first, `enter` lists that PR's runs (fetched for its branch), `esc` goes back.
#[test]
fn the_pr_view_in_the_real_binary() {
    use crate::e2e_tmux::{Tmux, assert_restored, script};
    let Some(t) = Tmux::new("prs") else { return };
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sim = rt.block_on(frozen());
    t.start(&script(
        &t,
        &format!(
            "--no-snapshot --config {}",
            sim.flightdeck_config().display()
        ),
    ));
    t.wait_for("Overview");
    // The first launch's tour opens when the onboarding path has loaded, and closes at any
    // key, which it then takes: a key is pressed again until the screen shows what it does.
    press_until(&t, "2", "Pipelines:");
    press_until(&t, "p", "open pull requests · mine first");
    // Rows arrive a repository at a time through the request queue: wait for the user's own
    // PR to have arrived, then it must lead.
    t.wait_for(" checks ");
    let prs = t.wait_for("jdoe");
    let first = prs
        .lines()
        .skip_while(|l| !l.contains("checks"))
        .nth(1)
        .unwrap_or_default();
    assert!(first.contains("jdoe"), "mine first:\n{prs}");
    assert!(prs.contains("approved") || prs.contains("review"), "{prs}");
    t.keys(&["Enter"]);
    t.wait_for("runs of");
    let runs = t.wait_for(" CI ");
    assert!(
        runs.contains("pull_request") || runs.contains("jdoe"),
        "{runs}"
    );
    t.keys(&["Escape"]);
    t.wait_for("open pull requests · mine first");
    t.keys(&["q"]);
    assert_restored(&t);
    drop(sim);
}
