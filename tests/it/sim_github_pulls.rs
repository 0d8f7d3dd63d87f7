//! The sim's pull requests against the real octocrab client: open PRs of every GitHub-hosted
//! service decode with octocrab's models, the single PR carries mergeability, reviews list, and
//! the same seed gives the same PRs.

use chrono::Utc;
use flightdeck_sim::{Sim, SimConfig};
use octocrab::Octocrab;
use octocrab::params::State;

const OWNER: &str = "acme";

async fn frozen(seed: u64) -> Sim {
    Sim::start(SimConfig {
        speed: 0.0,
        seed,
        ..Default::default()
    })
    .await
    .expect("the sim starts")
}

fn crab(sim: &Sim) -> Octocrab {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Octocrab::builder()
        .base_uri(sim.endpoints().github.as_str())
        .expect("the sim's URL is a URI")
        .personal_token("t0ken".to_string())
        .build()
        .expect("octocrab builds")
}

/// `(repo, number, head sha, author, draft, review states)` of every open PR.
async fn open_pulls(sim: &Sim) -> Vec<(String, u64, String, String, bool, Vec<String>)> {
    let gh = crab(sim);
    let mut out = Vec::new();
    for repo in [
        "payments-api",
        "cart-service",
        "ledger",
        "inventory",
        "fraud-check",
    ] {
        let page = gh
            .pulls(OWNER, repo)
            .list()
            .state(State::Open)
            .per_page(100)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{repo}: octocrab decodes the list: {e}"));
        for pr in page.items {
            let full = gh
                .pulls(OWNER, repo)
                .get(pr.number)
                .await
                .expect("octocrab decodes the PR");
            assert!(full.mergeable.is_some(), "the single PR says if it merges");
            assert!(full.mergeable_state.is_some());
            let head = full.head.sha.clone();
            assert_eq!(head.len(), 40, "a full SHA");
            // The head's checks decode as octocrab's check runs: one per job of its CI run.
            let checks = gh
                .checks(OWNER, repo)
                .list_check_runs_for_git_ref(octocrab::params::repos::Commitish(head.clone()))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{repo}#{}: check runs decode: {e}", pr.number));
            assert!(checks.total_count > 0, "the head ran CI");
            assert!(checks.check_runs.iter().all(|c| c.head_sha == head));
            let reviews = gh
                .pulls(OWNER, repo)
                .list_reviews(pr.number)
                .send()
                .await
                .expect("octocrab decodes the reviews");
            let states: Vec<String> = reviews
                .items
                .iter()
                .map(|r| format!("{:?}", r.state))
                .collect();
            assert!(
                pr.created_at.is_some_and(|c| c <= Utc::now()),
                "created in the past"
            );
            out.push((
                repo.to_string(),
                pr.number,
                head,
                pr.user.map(|u| u.login).unwrap_or_default(),
                pr.draft.unwrap_or(false),
                states,
            ));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_pulls_decode_with_octocrab_and_follow_the_seed() {
    let a = frozen(7).await;
    let b = frozen(7).await;
    let first = open_pulls(&a).await;
    assert!(!first.is_empty(), "the seeded world has open PRs");
    assert!(
        first.iter().any(|p| !p.5.is_empty()),
        "some PRs are reviewed: {first:?}"
    );
    assert_eq!(first, open_pulls(&b).await, "same seed, same PRs");
    let missing = crab(&a).pulls(OWNER, "payments-api").get(9999).await;
    assert!(missing.is_err(), "an unknown PR is a 404");
}
