//! The GitHub and GitLab providers over real HTTP against the sim: what they decode matches
//! the sim's API, actions change the sim's state, and faults (rate limits, 5xx, malformed
//! bodies, a hanging server) end in a clear status with the last data kept. The published
//! fixtures decode with the same types.

use crate::common;

use std::time::{Duration, Instant};

use chrono::Utc;
use flightdeck::clock::Clock;
use flightdeck::providers::ci::{Backend, CiProvider, Pacing, RepoState, Target};
use flightdeck::providers::github::{self, GithubApi};
use flightdeck::providers::gitlab::{self, GitlabApi};
use flightdeck::providers::http::Backoff;
use flightdeck::providers::{Context, Provider};
use flightdeck_core::keymap::Keymap;
use flightdeck_core::message::pipelines::{Command, Dispatch, Msg as PMsg};
use flightdeck_core::message::{Effect, Msg, SourceEvent};
use flightdeck_core::model::join::{RunState, ServiceTarget};
use flightdeck_core::model::pipelines::{Host, JobRef, RunKey};
use flightdeck_core::model::{FetchState, Model, Screen, SourceStatus};
use flightdeck_core::update::update;
use flightdeck_sim::world::CiHost;
use flightdeck_sim::{Fault, FaultKind, Sim, SimConfig};
use serde_json::Value;
use tokio::sync::mpsc;

const TOKEN: &str = "sim-test-token";

async fn sim(speed: f64) -> Sim {
    Sim::start(SimConfig {
        speed,
        ..SimConfig::default()
    })
    .await
    .expect("the sim starts")
}

fn target(sim: &Sim, name: &str) -> Target {
    let svc = sim
        .shared
        .world
        .service(name)
        .expect("a service of the world");
    Target {
        repo: svc.repo.clone(),
        service: format!("component:default/{name}"),
        name: name.into(),
    }
}

fn service_target(sim: &Sim, name: &str) -> ServiceTarget {
    let svc = sim
        .shared
        .world
        .service(name)
        .expect("a service of the world");
    let slug = Some(svc.repo.clone());
    ServiceTarget {
        service: format!("component:default/{name}"),
        name: name.into(),
        github: slug.clone().filter(|_| svc.ci == CiHost::Github),
        gitlab: slug.filter(|_| svc.ci == CiHost::Gitlab),
        kubernetes: None,
        alert_names: vec![],
        docs: None,
        prometheus: vec![],
    }
}

/// The sim's own answer, read with plain reqwest (following the log redirect).
async fn raw(url: &str) -> (u16, String) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let c = reqwest::Client::new();
    let r = c
        .get(url)
        // Another token: the sim keeps a budget per token, and the provider's must not move.
        .header("authorization", "Bearer raw-reader")
        .header("user-agent", "test")
        .send()
        .await
        .expect("the sim answers");
    (r.status().as_u16(), r.text().await.expect("a body"))
}

async fn raw_json(url: &str) -> Value {
    serde_json::from_str(&raw(url).await.1).expect("JSON")
}

fn github_api(sim: &Sim, timeout: Duration) -> GithubApi {
    GithubApi::new(&sim.endpoints().github, Some(TOKEN.into()), 4, timeout).expect("a client")
}

#[tokio::test]
async fn github_runs_jobs_logs_and_deployments_match_the_sims_api() {
    let sim = sim(0.0).await;
    let base = sim.endpoints().github.clone();
    let api = github_api(&sim, Duration::from_secs(5));
    let t = target(&sim, "payments-api");
    let mut st = RepoState::default();
    let msgs = api.poll(&t, &mut st, Utc::now()).await.expect("a poll");
    let runs = msgs
        .iter()
        .find_map(|m| match m {
            PMsg::Runs { runs, .. } => Some(runs.clone()),
            _ => None,
        })
        .expect("runs");
    let want = raw_json(&format!(
        "{base}/repos/{}/actions/runs?per_page={}",
        t.repo,
        github::RUNS_PER_PAGE
    ))
    .await;
    let want = want["workflow_runs"].as_array().expect("runs").clone();
    assert_eq!(runs.len(), want.len());
    for (got, w) in runs.iter().zip(&want) {
        assert_eq!(Some(got.key.id), w["id"].as_u64());
        assert_eq!(Some(got.number), w["run_number"].as_u64());
        assert_eq!(Some(got.status.as_str()), w["status"].as_str());
        assert_eq!(got.conclusion.as_deref(), w["conclusion"].as_str());
        assert_eq!(Some(got.branch.as_str()), w["head_branch"].as_str());
        assert_eq!(Some(got.workflow.as_str()), w["name"].as_str());
        assert_eq!(Some(got.event.as_str()), w["event"].as_str());
        assert_eq!(
            Some(got.actor.as_str()),
            w["triggering_actor"]["login"].as_str()
        );
        assert_eq!(
            Some(got.title.as_str()),
            w["head_commit"]["message"]
                .as_str()
                .and_then(|m| m.lines().next())
        );
    }

    // Each environment's newest deployment carries its latest status.
    let deployments = msgs
        .iter()
        .find_map(|m| match m {
            PMsg::Deployments { deployments, .. } => Some(deployments.clone()),
            _ => None,
        })
        .expect("deployments");
    let production = deployments
        .iter()
        .filter(|d| d.environment == "production")
        .max_by_key(|d| d.created)
        .expect("a production deployment");
    let statuses = raw_json(&format!(
        "{base}/repos/{}/deployments/{}/statuses",
        t.repo, production.id
    ))
    .await;
    assert_eq!(
        Some(production.status.as_str()),
        statuses[0]["state"].as_str()
    );

    // Nothing changed: the next poll is all 304s, sends nothing, and costs no budget.
    let before = api.budget().expect("a budget was seen");
    let again = api
        .poll(&t, &mut st, Utc::now())
        .await
        .expect("a second poll");
    assert!(
        again.is_empty(),
        "an unchanged repository sends nothing: {again:?}"
    );
    assert_eq!(
        api.budget(),
        Some(before),
        "304s cost nothing against the primary limit"
    );

    // Jobs and steps of a finished run, and its first job's log.
    let run = runs
        .iter()
        .find(|r| r.state.is_done())
        .expect("a finished run");
    let (jobs, _) = api
        .jobs(&run.key, None)
        .await
        .expect("jobs")
        .expect("fresh");
    let want = raw_json(&format!(
        "{base}/repos/{}/actions/runs/{}/jobs",
        t.repo, run.key.id
    ))
    .await;
    let want = want["jobs"].as_array().expect("jobs").clone();
    assert_eq!(
        jobs.iter().map(|j| j.name.as_str()).collect::<Vec<_>>(),
        want.iter()
            .filter_map(|j| j["name"].as_str())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        jobs[0].steps.len(),
        want[0]["steps"].as_array().map_or(0, Vec::len)
    );
    let job = JobRef {
        run: run.key.clone(),
        id: jobs[0].id,
        name: jobs[0].name.clone(),
    };
    let log = api.log(&job).await.expect("a log");
    let (status, want_log) = raw(&format!(
        "{base}/repos/{}/actions/jobs/{}/logs",
        t.repo, job.id
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(log, want_log);
    assert!(log.lines().count() > 5, "a real log: {log}");
}

#[tokio::test]
async fn gitlab_pipelines_jobs_and_traces_match_the_sims_api() {
    let sim = sim(0.0).await;
    let base = sim.endpoints().gitlab.clone();
    let api =
        GitlabApi::new(&base, Some(TOKEN.into()), 4, Duration::from_secs(5)).expect("a client");
    let t = target(&sim, "shipping-rates");
    let mut st = RepoState::default();
    let msgs = api.poll(&t, &mut st, Utc::now()).await.expect("a poll");
    let [
        PMsg::Runs { runs, .. },
        PMsg::Deployments {
            deployments,
            host: Host::Gitlab,
            ..
        },
    ] = msgs.as_slice()
    else {
        panic!("a runs and a deployments message: {msgs:?}")
    };
    let id = gitlab::project_id(&t.repo);

    // Deployments are the sim's, newest first; production's newest is what Kubernetes runs
    // once it has finished.
    let want = raw_json(&format!(
        "{base}/api/v4/projects/{id}/deployments?per_page={}&order_by=created_at&sort=desc",
        gitlab::DEPLOYMENTS_PER_PAGE
    ))
    .await;
    let want = want.as_array().expect("deployments").clone();
    assert!(!deployments.is_empty(), "the story deploys");
    assert_eq!(
        deployments.iter().map(|d| d.id).collect::<Vec<_>>(),
        want.iter()
            .filter_map(|d| d["id"].as_u64())
            .collect::<Vec<_>>()
    );
    let production = deployments
        .iter()
        .filter(|d| d.environment == "production" && d.state.is_done())
        .max_by_key(|d| d.created)
        .expect("a finished production deployment");
    assert_eq!(production.state, RunState::Success);
    assert_eq!(
        production.sha[..7],
        sim.shared
            .world
            .rollout("shipping-rates", sim.shared.story_now())
            .tag
    );

    let want = raw_json(&format!(
        "{base}/api/v4/projects/{id}/pipelines?per_page={}",
        gitlab::PIPELINES_PER_PAGE
    ))
    .await;
    let want = want.as_array().expect("pipelines").clone();
    assert_eq!(
        runs.iter().map(|r| r.key.id).collect::<Vec<_>>(),
        want.iter()
            .filter_map(|p| p["id"].as_u64())
            .collect::<Vec<_>>()
    );
    for (got, w) in runs.iter().zip(&want) {
        assert_eq!(Some(got.status.as_str()), w["status"].as_str());
        assert_eq!(Some(got.branch.as_str()), w["ref"].as_str());
        let full = raw_json(&format!(
            "{base}/api/v4/projects/{id}/pipelines/{}",
            got.key.id
        ))
        .await;
        assert_eq!(
            Some(got.actor.as_str()),
            full["user"]["username"].as_str(),
            "the user comes from the single pipeline"
        );
        // The sha is the pipeline's; the title is its commit's, which pipelines do not carry.
        assert_eq!(Some(got.sha.as_str()), w["sha"].as_str());
        let commit = raw_json(&format!(
            "{base}/api/v4/projects/{id}/repository/commits/{}",
            got.sha
        ))
        .await;
        assert!(!got.title.is_empty(), "pipeline {} has a title", got.key.id);
        assert_eq!(Some(got.title.as_str()), commit["title"].as_str());
    }

    // Nothing changed: the next poll sends nothing.
    let again = api
        .poll(&t, &mut st, Utc::now())
        .await
        .expect("a second poll");
    assert!(
        again.is_empty(),
        "an unchanged project sends nothing: {again:?}"
    );
    let run = runs
        .iter()
        .find(|r| r.state.is_done())
        .expect("a finished pipeline");
    let (jobs, _) = api
        .jobs(&run.key, None)
        .await
        .expect("jobs")
        .expect("fresh");
    let want = raw_json(&format!(
        "{base}/api/v4/projects/{id}/pipelines/{}/jobs",
        run.key.id
    ))
    .await;
    assert_eq!(jobs.len(), want.as_array().map_or(0, Vec::len));
    let job = jobs
        .iter()
        .find(|j| j.started.is_some())
        .expect("a job that ran");
    let trace = api
        .log(&JobRef {
            run: run.key.clone(),
            id: job.id,
            name: job.name.clone(),
        })
        .await
        .expect("a trace");
    let (_, want_trace) = raw(&format!(
        "{base}/api/v4/projects/{id}/jobs/{}/trace",
        job.id
    ))
    .await;
    assert_eq!(trace, want_trace);
}

#[tokio::test]
async fn github_rerun_dispatch_and_cancel_change_the_sim() {
    let sim = sim(40.0).await;
    let base = sim.endpoints().github.clone();
    let api = github_api(&sim, Duration::from_secs(5));
    let t = target(&sim, "cart-service");
    let failed = raw_json(&format!(
        "{base}/repos/{}/actions/runs?status=failure&per_page=1",
        t.repo
    ))
    .await;
    let id = failed["workflow_runs"][0]["id"]
        .as_u64()
        .expect("the flaky service has a failed run");
    let key = RunKey {
        host: Host::Github,
        repo: t.repo.clone(),
        id,
    };
    api.act(&Command::RerunFailed(key.clone()))
        .await
        .expect("re-run accepted");
    let run = raw_json(&format!("{base}/repos/{}/actions/runs/{id}", t.repo)).await;
    assert_eq!(
        run["run_attempt"].as_u64(),
        Some(2),
        "a second attempt exists"
    );
    assert_ne!(run["status"].as_str(), Some("completed"));

    let dispatch = Dispatch {
        host: Host::Github,
        repo: t.repo.clone(),
        service: t.service.clone(),
        workflow: "ci.yml".into(),
        git_ref: "main".into(),
        inputs: vec![("level".into(), "debug".into())],
    };
    let new = api
        .act(&Command::Dispatch(dispatch))
        .await
        .expect("dispatch accepted")
        .expect("the run's id");
    let run = raw_json(&format!("{base}/repos/{}/actions/runs/{}", t.repo, new.id)).await;
    assert_eq!(run["event"].as_str(), Some("workflow_dispatch"));
    // Let it start (six sim seconds), then cancel it.
    tokio::time::sleep(Duration::from_millis(400)).await;
    api.act(&Command::Cancel(new.clone()))
        .await
        .expect("cancel accepted");
    let mut conclusion = None;
    for _ in 0..50 {
        let run = raw_json(&format!("{base}/repos/{}/actions/runs/{}", t.repo, new.id)).await;
        conclusion = run["conclusion"].as_str().map(str::to_string);
        if conclusion.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(conclusion.as_deref(), Some("cancelled"));
}

#[tokio::test]
async fn gitlab_retry_new_pipeline_and_cancel_change_the_sim() {
    let sim = sim(40.0).await;
    let base = sim.endpoints().gitlab.clone();
    let api = GitlabApi::new(&base, None, 4, Duration::from_secs(5)).expect("a client");
    let t = target(&sim, "shipping-rates");
    let id = gitlab::project_id(&t.repo);
    let failed = raw_json(&format!(
        "{base}/api/v4/projects/{id}/pipelines?status=failed&per_page=1"
    ))
    .await;
    let pid = failed[0]["id"]
        .as_u64()
        .expect("the flaky project has a failed pipeline");
    api.act(&Command::RerunFailed(RunKey {
        host: Host::Gitlab,
        repo: t.repo.clone(),
        id: pid,
    }))
    .await
    .expect("retry");
    let p = raw_json(&format!("{base}/api/v4/projects/{id}/pipelines/{pid}")).await;
    assert_ne!(p["status"].as_str(), Some("failed"), "retried: {p}");

    let dispatch = Dispatch {
        host: Host::Gitlab,
        repo: t.repo.clone(),
        service: t.service.clone(),
        workflow: String::new(),
        git_ref: "main".into(),
        inputs: vec![],
    };
    let new = api
        .act(&Command::Dispatch(dispatch))
        .await
        .expect("created")
        .expect("its id");
    tokio::time::sleep(Duration::from_millis(300)).await;
    api.act(&Command::Cancel(new.clone()))
        .await
        .expect("cancel");
    let p = raw_json(&format!("{base}/api/v4/projects/{id}/pipelines/{}", new.id)).await;
    assert!(
        matches!(p["status"].as_str(), Some("canceled" | "canceling")),
        "{p}"
    );
}

/// A GitHub provider against the sim with short timeouts and waits, its messages applied to a
/// model as the cockpit would.
struct Harness {
    provider: CiProvider<GithubApi>,
    rx: mpsc::Receiver<Msg>,
    model: Model,
}

impl Harness {
    fn start(sim: &Sim, read_only: bool) -> Self {
        let (tx, rx) = mpsc::channel(1024);
        let cx = Context {
            tx,
            clock: Clock::System,
            read_only,
        };
        let mut pacing = Pacing::new(1, 1, 2);
        pacing.backoff = Backoff {
            base: Duration::from_millis(200),
            max: Duration::from_secs(1),
        };
        let url = sim.endpoints().github.clone();
        let mut provider = CiProvider::start(
            &cx,
            pacing,
            |t| t.github.as_ref(),
            move || {
                let url = url.clone();
                async move { GithubApi::new(&url, Some(TOKEN.into()), 2, Duration::from_secs(1)) }
            },
        );
        provider.targets(&[service_target(sim, "payments-api")]);
        let mut model = Model::new(Keymap::defaults(), Utc::now());
        model.screen = Screen::Pipelines;
        model.sources.push(SourceStatus::new(
            Host::Github.source(),
            FetchState::Unsupported,
        ));
        Self {
            provider,
            rx,
            model,
        }
    }

    /// Applies messages until `until` holds for one, or panics after `secs`.
    async fn until(&mut self, secs: u64, what: &str, until: impl Fn(&Msg, &Model) -> bool) -> Msg {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let msg = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "waited {secs}s for {what}; source: {:?}",
                        self.model.sources
                    )
                })
                .expect("the provider runs");
            for e in update(&mut self.model, msg.clone()) {
                if let Effect::Pipelines(c @ Command::Watch(_)) = &e {
                    self.provider.command(&Effect::Pipelines(c.clone()));
                }
            }
            if until(&msg, &self.model) {
                return msg;
            }
        }
    }

    async fn healthy_with_data(&mut self) {
        self.until(10, "runs", |_, m| !m.pipelines.runs.is_empty())
            .await;
        self.until(10, "an ok status", |_, m| {
            m.sources[0].state == FetchState::Ok
        })
        .await;
    }

    async fn failing(&mut self, what: &str) -> String {
        let msg = self
            .until(10, what, |m, _| {
                matches!(
                    m,
                    Msg::Source {
                        event: SourceEvent::Failed { .. },
                        ..
                    }
                )
            })
            .await;
        let Msg::Source {
            event: SourceEvent::Failed { error, .. },
            ..
        } = msg
        else {
            unreachable!("matched above")
        };
        error
    }
}

fn fault(kind: FaultKind, times: Option<u32>) -> Fault {
    Fault {
        service: Some("github".into()),
        path_prefix: Some("/repos".into()),
        kind,
        times,
    }
}

#[tokio::test]
async fn an_exhausted_rate_limit_says_when_it_resets_and_keeps_the_data() {
    let sim = sim(0.0).await;
    let mut h = Harness::start(&sim, false);
    h.healthy_with_data().await;
    assert!(
        h.model.sources[0]
            .detail
            .as_deref()
            .is_some_and(|d| d.ends_with("/5000")),
        "the budget shows: {:?}",
        h.model.sources[0].detail
    );
    sim.shared
        .faults
        .add(fault(FaultKind::RateLimit { reset_in_secs: 600 }, None));
    h.provider.refresh();
    let error = h.failing("the rate limit").await;
    assert!(error.contains("rate limit exhausted"), "{error}");
    assert!(
        !h.model.pipelines.runs.is_empty(),
        "the last data stays on screen"
    );
    let FetchState::Failing {
        retry_at: Some(at), ..
    } = &h.model.sources[0].state
    else {
        panic!("failing")
    };
    let wait = *at - Utc::now();
    assert!(
        wait > chrono::Duration::seconds(500) && wait <= chrono::Duration::seconds(601),
        "resets in {wait}"
    );
    // While limited, nothing more is asked of the server.
    let before: u64 = sim
        .shared
        .stats
        .rows()
        .iter()
        .filter(|r| r.key.service == "github")
        .map(|r| r.count)
        .sum();
    h.provider.refresh();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after: u64 = sim
        .shared
        .stats
        .rows()
        .iter()
        .filter(|r| r.key.service == "github")
        .map(|r| r.count)
        .sum();
    assert_eq!(before, after, "no request while the limit lasts");
}

/// Issue 20: after a secondary rate limit the rest of that poll round was still sent (9 more
/// requests). The round stops at the limit, and the next waits for its retry-after.
#[tokio::test]
async fn a_secondary_limit_stops_the_round_and_the_next_waits_for_retry_after() {
    let sim = sim(0.0).await;
    let mut h = Harness::start(&sim, false);
    let targets: Vec<ServiceTarget> = sim
        .shared
        .world
        .services
        .iter()
        .filter(|s| s.ci == CiHost::Github)
        .map(|s| service_target(&sim, &s.name))
        .collect();
    let repos = targets.len() as u64;
    assert!(repos >= 6, "a round of several repositories: {repos}");
    h.provider.targets(&targets);
    h.healthy_with_data().await;
    let github = |sim: &Sim| -> u64 {
        sim.shared
            .stats
            .rows()
            .iter()
            .filter(|r| r.key.service == "github" && r.key.endpoint.starts_with("/repos"))
            .map(|r| r.count)
            .sum()
    };
    // Let the first round end (the host's budget spreads it over a few seconds: nothing is
    // asked for 700 ms), then limit the first request of the next one.
    let mut seen = github(&sim);
    loop {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let now = github(&sim);
        if now == seen {
            break;
        }
        seen = now;
    }
    sim.shared.faults.add(fault(
        FaultKind::SecondaryLimit {
            retry_after_secs: 3,
        },
        Some(1),
    ));
    let before = github(&sim);
    h.provider.refresh();
    let error = h.failing("the secondary limit").await;
    assert!(error.contains("secondary rate limit"), "{error}");
    let limited = Instant::now();
    // Let what was in flight at the limit land.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let round = github(&sim) - before;
    eprintln!("{round} requests in the round of {repos} repositories that met the limit");
    // The limited request and at most what was already in flight (two at once here).
    assert!(
        round <= 3,
        "{round} requests after the limit in a round of {repos}"
    );
    // Nothing until the retry-after has passed, however often the loop wakes.
    h.provider.refresh();
    while limited.elapsed() < Duration::from_millis(2500) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        github(&sim) - before,
        round,
        "nothing sent during retry-after"
    );
    h.until(10, "recovery after the wait", |_, m| {
        m.sources[0].state == FetchState::Ok
    })
    .await;
    assert!(github(&sim) - before > round, "polling resumed");
}

#[rstest::rstest]
#[case::server_error(FaultKind::Status { code: 502 }, "HTTP 502", true)]
#[case::hanging(FaultKind::Hang, "no answer within 1s", true)]
#[case::secondary_limit(FaultKind::SecondaryLimit { retry_after_secs: 1 }, "secondary rate limit", true)]
// A malformed or cut body only reaches a client on a 200; later polls are 304s, so these
// faults meet the first poll.
#[case::malformed(FaultKind::Malformed, "malformed answer", false)]
#[case::truncated(FaultKind::Truncated, "malformed answer", false)]
#[tokio::test]
async fn failures_are_reported_and_survived(
    #[case] kind: FaultKind,
    #[case] says: &str,
    #[case] after_data: bool,
) {
    let sim = sim(0.0).await;
    if !after_data {
        sim.shared.faults.add(fault(kind.clone(), Some(1)));
    }
    let mut h = Harness::start(&sim, false);
    if after_data {
        h.healthy_with_data().await;
        sim.shared.faults.add(fault(kind, Some(1)));
        h.provider.refresh();
    }
    let error = h.failing(says).await;
    assert!(error.contains(says), "{error}");
    if !says.contains("rate limit") {
        // A limit holds for the whole host; anything else names the repository.
        assert!(
            error.contains("acme/payments-api"),
            "names what failed: {error}"
        );
    }
    h.until(15, "recovery", |_, m| {
        m.sources[0].state == FetchState::Ok && !m.pipelines.runs.is_empty()
    })
    .await;
}

#[tokio::test]
async fn read_only_refuses_in_the_provider_too() {
    let sim = sim(0.0).await;
    let mut h = Harness::start(&sim, true);
    h.healthy_with_data().await;
    let key = h.model.pipelines.runs[0].key.clone();
    assert!(h.provider.command(&Effect::Pipelines(Command::Rerun(key))));
    let msg = h
        .until(5, "the refusal", |m, _| {
            matches!(m, Msg::Pipelines(PMsg::ActionFailed { .. }))
        })
        .await;
    let Msg::Pipelines(PMsg::ActionFailed { error, .. }) = msg else {
        unreachable!("matched above")
    };
    assert!(error.contains("read-only"), "{error}");
    let posts: u64 = sim
        .shared
        .stats
        .rows()
        .iter()
        .filter(|r| r.key.method == "POST")
        .map(|r| r.count)
        .sum();
    assert_eq!(posts, 0, "nothing was sent");
}

#[test]
fn published_github_payloads_decode_with_the_providers_types() {
    let Some(runs) = common::fixture("github/actions__list-workflow-runs-for-repo.json") else {
        return;
    };
    let list: github::wire::RunList = serde_json::from_str(&runs).expect("runs decode");
    let run = github::decode_run(
        list.workflow_runs[0].clone(),
        "octo-org/octo-repo",
        "component:default/x",
        "x",
    );
    assert_eq!(run.key.id, 30433642);
    assert_eq!(run.branch, "master");
    assert_eq!(run.state, RunState::Queued);
    assert_eq!(run.started, None, "a queued run has not started");
    assert_eq!(run.actor, "octocat");
    let Some(one) = common::fixture("github/actions__get-workflow-run.json") else {
        return;
    };
    let one: github::wire::Run = serde_json::from_str(&one).expect("a run decodes");
    assert_eq!(one.run_number, 562);

    let Some(jobs) = common::fixture("github/actions__list-jobs-for-workflow-run.json") else {
        return;
    };
    let jobs: github::wire::JobList = serde_json::from_str(&jobs).expect("jobs decode");
    let job = github::decode_job(jobs.jobs[0].clone());
    assert_eq!(job.state, RunState::Success);
    assert!(!job.steps.is_empty());
    let Some(job) = common::fixture("github/actions__get-job-for-workflow-run.json") else {
        return;
    };
    let job: github::wire::Job = serde_json::from_str(&job).expect("a job decodes");
    assert_eq!(job.id, 399444496);

    let Some(deployments) = common::fixture("github/repos__list-deployments.json") else {
        return;
    };
    let deployments: Vec<github::wire::Deployment> =
        serde_json::from_str(&deployments).expect("deployments decode");
    let Some(statuses) = common::fixture("github/repos__list-deployment-statuses.json") else {
        return;
    };
    let statuses: Vec<github::wire::DeploymentStatus> =
        serde_json::from_str(&statuses).expect("statuses decode");
    let d = github::decode_deployment(deployments[0].clone(), statuses.first());
    assert_eq!(d.environment, "production");
    assert_eq!(d.status, "success");
    assert_eq!(d.state, RunState::Success);

    let Some(rate) = common::fixture("github/rate-limit__get.json") else {
        return;
    };
    let rate: github::wire::RateLimitOverview =
        serde_json::from_str(&rate).expect("the rate limit decodes");
    assert_eq!(rate.rate.limit, 5000);
}

#[test]
fn published_gitlab_payloads_decode_with_the_providers_types() {
    use flightdeck_core::wire::gitlab as wire;
    let Some(list) = common::fixture("gitlab/pipelines__list-project-pipelines.json") else {
        return;
    };
    let list: Vec<wire::Pipeline> = serde_json::from_str(&list).expect("pipelines decode");
    assert!(!list.is_empty());
    let Some(one) = common::fixture("gitlab/pipelines__get-single-pipeline.json") else {
        return;
    };
    let one: wire::Pipeline = serde_json::from_str(&one).expect("a pipeline decodes");
    let run = gitlab::decode_pipeline(&one, "group/project", "component:default/x", "x");
    assert_eq!(run.key.id, one.id);
    assert_eq!(
        run.actor,
        one.user
            .as_ref()
            .map(|u| u.username.clone())
            .unwrap_or_default()
    );
    let Some(jobs) = common::fixture("gitlab/jobs__list-pipeline-jobs.json") else {
        return;
    };
    let jobs: Vec<wire::Job> = serde_json::from_str(&jobs).expect("jobs decode");
    let job = gitlab::decode_job(&jobs[0]);
    assert_eq!(job.id, jobs[0].id);
    let Some(single) = common::fixture("gitlab/jobs__get-single-job.json") else {
        return;
    };
    let _: wire::Job = serde_json::from_str(&single).expect("a job decodes");
}
