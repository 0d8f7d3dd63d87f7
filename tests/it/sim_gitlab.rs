//! The sim's GitLab REST v4 over real HTTP: pipelines, jobs, deployments and commits decode with
//! the wire types the provider uses (and so do GitLab's published examples), lists agree with the
//! world, the page headers walk every item once, and retry and cancel change what later requests
//! see.

use crate::common;

use std::time::Duration;

use flightdeck_core::wire::gitlab::{Commit, Deployment, Job, Pipeline, Status};
use flightdeck_sim::world::{RunKind, RunOutcome, epoch};
use flightdeck_sim::{Sim, SimConfig};
use serde_json::Value;

async fn frozen() -> Sim {
    Sim::start(SimConfig {
        speed: 0.0,
        ..Default::default()
    })
    .await
    .expect("the sim starts")
}

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().expect("reqwest builds")
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

async fn get(sim: &Sim, path: &str) -> reqwest::Response {
    http()
        .get(format!("{}/api/v4{path}", sim.endpoints().gitlab))
        .header("PRIVATE-TOKEN", "glpat-sim")
        .send()
        .await
        .expect("the GitLab server answers")
}

fn project_id(sim: &Sim, name: &str) -> u64 {
    sim.shared
        .world
        .service(name)
        .expect("the service exists")
        .project_id
}

#[tokio::test]
async fn pipelines_match_the_world_and_page_with_gitlab_headers() {
    let sim = frozen().await;
    let id = project_id(&sim, "shipping-rates");
    let mut want: Vec<u64> = sim
        .shared
        .world
        .runs("shipping-rates", epoch())
        .iter()
        .map(|r| r.id)
        .collect();
    want.reverse();

    // Every page once, following x-next-page until it is empty.
    let mut got = Vec::new();
    let mut page = "1".to_string();
    let mut pages = 0;
    while !page.is_empty() {
        let r = get(
            &sim,
            &format!("/projects/{id}/pipelines?per_page=8&page={page}"),
        )
        .await;
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "x-total"), want.len().to_string());
        assert_eq!(
            header(&r, "x-total-pages"),
            want.len().div_ceil(8).to_string()
        );
        page = header(&r, "x-next-page");
        let items: Vec<Pipeline> = r
            .json()
            .await
            .expect("pipelines decode with the wire types");
        got.extend(items.iter().map(|p| p.id));
        pages += 1;
    }
    assert_eq!(pages, want.len().div_ceil(8));
    assert_eq!(got, want, "newest first, each pipeline once");

    // The URL-encoded path names the same project.
    let by_path: Vec<Pipeline> = get(
        &sim,
        "/projects/acme%2Fshipping-rates/pipelines?per_page=100",
    )
    .await
    .json()
    .await
    .expect("decodes");
    assert_eq!(by_path.len(), want.len().min(100));
    assert_eq!(by_path[0].id, want[0]);

    // Filters.
    let failed: Vec<Pipeline> = get(
        &sim,
        &format!("/projects/{id}/pipelines?status=failed&per_page=100"),
    )
    .await
    .json()
    .await
    .expect("decodes");
    let want_failed = sim
        .shared
        .world
        .runs("shipping-rates", epoch())
        .iter()
        .filter(|r| r.outcome == RunOutcome::Failure && r.finished <= epoch())
        .count();
    assert!(want_failed > 0, "the flaky service failed now and then");
    assert_eq!(failed.len(), want_failed);
    assert!(failed.iter().all(|p| p.status == Status::Failed));
    let actor = &sim.shared.world.runs("shipping-rates", epoch())[0].actor;
    let mine: Vec<Pipeline> = get(
        &sim,
        &format!("/projects/{id}/pipelines?username={actor}&per_page=100"),
    )
    .await
    .json()
    .await
    .expect("decodes");
    assert!(!mine.is_empty() && mine.len() < want.len());

    // Services on GitHub are not GitLab projects.
    let r = get(&sim, "/projects/acme%2Fpayments-api/pipelines").await;
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.expect("JSON error");
    assert_eq!(body["message"], "404 Project Not Found");
}

#[tokio::test]
async fn deployments_tell_the_worlds_deploy_story() {
    let sim = frozen().await;
    let name = "shipping-rates";
    let id = project_id(&sim, name);
    let world = &sim.shared.world;
    let deploys: Vec<_> = world
        .runs(name, epoch())
        .into_iter()
        .filter(|r| r.kind == RunKind::Deploy)
        .collect();
    assert!(!deploys.is_empty(), "the story deploys {name}");

    // Every page once, oldest first by default, with GitLab's headers.
    let mut all: Vec<Deployment> = Vec::new();
    let mut page = "1".to_string();
    let mut total = String::new();
    while !page.is_empty() {
        let r = get(
            &sim,
            &format!("/projects/{id}/deployments?per_page=5&page={page}"),
        )
        .await;
        assert_eq!(r.status(), 200);
        total = header(&r, "x-total");
        assert!(header(&r, "link").contains("rel=\"first\""));
        page = header(&r, "x-next-page");
        let items: Vec<Deployment> = r
            .json()
            .await
            .expect("deployments decode with the wire type");
        all.extend(items);
    }
    assert_eq!(total, all.len().to_string());
    assert!(all.windows(2).all(|w| w[0].id < w[1].id), "ordered by id");
    let mut iids: Vec<u64> = all.iter().map(|d| d.iid).collect();
    iids.sort_unstable();
    assert_eq!(iids, (1..=all.len() as u64).collect::<Vec<_>>());

    // Each deploy run deployed its commit to staging, then production, from its pipeline.
    for run in &deploys {
        let envs: Vec<&str> = all
            .iter()
            .filter(|d| d.sha == run.commit.sha)
            .map(|d| d.environment.name.as_str())
            .collect();
        if run.finished <= epoch() {
            assert_eq!(envs, ["staging", "production"], "run {}", run.id);
        }
        for d in all.iter().filter(|d| d.sha == run.commit.sha) {
            let job = d.deployable.as_ref().expect("a job ran it");
            assert_eq!(job.pipeline.id, run.id);
            assert_eq!(job.pipeline.sha, run.commit.sha);
            assert_eq!(d.git_ref, "main");
            assert_eq!(
                d.user.as_ref().map(|u| u.username.as_str()),
                Some(run.actor.as_str())
            );
        }
    }
    assert_eq!(
        all.len(),
        deploys
            .iter()
            .map(|r| all.iter().filter(|d| d.sha == r.commit.sha).count())
            .sum::<usize>(),
        "no deployment outside the story"
    );

    // Production's newest finished deployment is what Kubernetes runs.
    let production: Vec<Deployment> = get(
        &sim,
        &format!(
            "/projects/{id}/deployments?environment=production&status=success&order_by=created_at&sort=desc"
        ),
    )
    .await
    .json()
    .await
    .expect("decodes");
    assert!(
        production
            .iter()
            .all(|d| d.environment.name == "production" && d.status == Status::Success)
    );
    assert_eq!(
        production[0].sha[..7],
        world.rollout(name, epoch()).tag,
        "the newest successful production deployment is the rollout"
    );
    let wall = sim.shared.clock.now();
    for d in &all {
        assert!(d.created_at <= wall && d.updated_at.is_some_and(|t| t <= wall));
    }

    // Unchanged: a conditional request is a 304.
    let path = format!(
        "{}/api/v4/projects/{id}/deployments",
        sim.endpoints().gitlab
    );
    let first = http().get(&path).send().await.expect("answers");
    let etag = header(&first, "etag");
    assert!(!etag.is_empty(), "an ETag");
    let again = http()
        .get(&path)
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("answers");
    assert_eq!(again.status(), 304);

    // A bad order is GitLab's 400.
    let r = get(&sim, &format!("/projects/{id}/deployments?order_by=colour")).await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn a_pipelines_commit_carries_its_title() {
    let sim = frozen().await;
    let id = project_id(&sim, "shipping-rates");
    let run = sim.shared.world.runs("shipping-rates", epoch())[0].clone();
    let pipeline: Pipeline = get(&sim, &format!("/projects/{id}/pipelines/{}", run.id))
        .await
        .json()
        .await
        .expect("decodes");
    assert_eq!(pipeline.sha, run.commit.sha);
    assert_eq!(pipeline.git_ref, "main");
    let commit: Commit = get(
        &sim,
        &format!("/projects/{id}/repository/commits/{}", pipeline.sha),
    )
    .await
    .json()
    .await
    .expect("a commit decodes");
    assert_eq!(commit.id, run.commit.sha);
    assert_eq!(
        Some(commit.title.as_str()),
        run.commit.message.lines().next()
    );
    let short: Commit = get(
        &sim,
        &format!("/projects/{id}/repository/commits/{}", &pipeline.sha[..8]),
    )
    .await
    .json()
    .await
    .expect("a short sha finds it too");
    assert_eq!(short.id, commit.id);
    let r = get(
        &sim,
        &format!("/projects/{id}/repository/commits/{}", "0".repeat(40)),
    )
    .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_failed_pipeline_shows_its_failed_job_and_trace() {
    let sim = frozen().await;
    let id = project_id(&sim, "shipping-rates");
    let run = sim
        .shared
        .world
        .runs("shipping-rates", epoch())
        .into_iter()
        .rev()
        .find(|r| r.outcome == RunOutcome::Failure && r.finished <= epoch())
        .expect("a failed run");
    let pipeline: Pipeline = get(&sim, &format!("/projects/{id}/pipelines/{}", run.id))
        .await
        .json()
        .await
        .expect("decodes");
    assert_eq!(pipeline.status, Status::Failed);
    assert_eq!(pipeline.sha, run.commit.sha);
    assert!(
        pipeline.user.is_some() && pipeline.detailed_status.is_some(),
        "the single pipeline has the details"
    );
    assert!(pipeline.duration.is_some_and(|d| d > 0.0));

    let jobs: Vec<Job> = get(&sim, &format!("/projects/{id}/pipelines/{}/jobs", run.id))
        .await
        .json()
        .await
        .expect("jobs decode");
    assert_eq!(jobs.len(), 3);
    let failed: Vec<&Job> = jobs.iter().filter(|j| j.status == Status::Failed).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].failure_reason.as_deref(), Some("script_failure"));
    assert_eq!(failed[0].pipeline.id, run.id);

    let single: Job = get(&sim, &format!("/projects/{id}/jobs/{}", failed[0].id))
        .await
        .json()
        .await
        .expect("a job decodes");
    assert_eq!(single.id, failed[0].id);
    let trace = get(&sim, &format!("/projects/{id}/jobs/{}/trace", failed[0].id)).await;
    assert!(header(&trace, "content-type").starts_with("text/plain"));
    let text = trace.text().await.expect("text");
    assert!(
        text.contains("section_start:"),
        "GitLab's collapsible sections"
    );
    assert!(
        text.contains("ERROR: Job failed: exit code"),
        "the runner's verdict"
    );
}

async fn wait_for(sim: &Sim, path: &str, check: impl Fn(&Pipeline) -> bool) -> Pipeline {
    for _ in 0..600 {
        let p: Pipeline = get(sim, path).await.json().await.expect("decodes");
        if check(&p) {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the pipeline at {path} never reached the state");
}

#[tokio::test]
async fn retry_and_cancel_change_the_pipelines() {
    // 60x: a pipeline runs for a few wall seconds.
    let sim = Sim::start(SimConfig {
        speed: 60.0,
        ..Default::default()
    })
    .await
    .expect("the sim starts");
    let id = project_id(&sim, "shipping-rates");
    let client = http();
    let base = format!("{}/api/v4/projects/{id}", sim.endpoints().gitlab);

    let run = sim
        .shared
        .world
        .runs("shipping-rates", epoch())
        .into_iter()
        .rev()
        .find(|r| r.outcome == RunOutcome::Failure && r.finished < epoch())
        .expect("a failed run");
    let before: Vec<Job> = get(&sim, &format!("/projects/{id}/pipelines/{}/jobs", run.id))
        .await
        .json()
        .await
        .expect("decodes");
    let r = client
        .post(format!("{base}/pipelines/{}/retry", run.id))
        .header("PRIVATE-TOKEN", "glpat-sim")
        .send()
        .await
        .expect("answers");
    assert_eq!(r.status(), 201);
    let retried: Pipeline = r.json().await.expect("the pipeline comes back");
    assert!(
        !retried.status.is_finished(),
        "the retried pipeline runs again: {:?}",
        retried.status
    );
    let done = wait_for(&sim, &format!("/projects/{id}/pipelines/{}", run.id), |p| {
        p.status.is_finished()
    })
    .await;
    assert_eq!(done.status, Status::Success);
    let after: Vec<Job> = get(&sim, &format!("/projects/{id}/pipelines/{}/jobs", run.id))
        .await
        .json()
        .await
        .expect("decodes");
    let failed_before: Vec<u64> = before
        .iter()
        .filter(|j| j.status != Status::Success)
        .map(|j| j.id)
        .collect();
    assert!(after.iter().all(|j| j.status == Status::Success));
    assert!(
        after.iter().all(|j| !failed_before.contains(&j.id)),
        "retried jobs are new jobs"
    );
    let all: Vec<Job> = get(
        &sim,
        &format!(
            "/projects/{id}/pipelines/{}/jobs?include_retried=true",
            run.id
        ),
    )
    .await
    .json()
    .await
    .expect("decodes");
    assert!(
        all.len() > after.len(),
        "the old attempts are still there when asked for"
    );

    // Start a pipeline, then cancel it while it runs.
    let r = client
        .post(format!("{base}/pipeline?ref=main"))
        .header("PRIVATE-TOKEN", "glpat-sim")
        .send()
        .await
        .expect("answers");
    assert_eq!(r.status(), 201);
    let created: Pipeline = r.json().await.expect("decodes");
    assert_eq!(created.source.as_deref(), Some("api"));
    wait_for(
        &sim,
        &format!("/projects/{id}/pipelines/{}", created.id),
        |p| p.status == Status::Running,
    )
    .await;
    let r = client
        .post(format!("{base}/pipelines/{}/cancel", created.id))
        .send()
        .await
        .expect("answers");
    assert_eq!(r.status(), 200);
    let cancelled: Pipeline = r.json().await.expect("decodes");
    assert_eq!(cancelled.status, Status::Canceled);
    let listed: Vec<Pipeline> = get(
        &sim,
        &format!("/projects/{id}/pipelines?status=canceled&per_page=100"),
    )
    .await
    .json()
    .await
    .expect("decodes");
    assert!(listed.iter().any(|p| p.id == created.id));
}

#[test]
fn published_payloads_decode_with_the_same_types() {
    let Some(list) = common::fixture("gitlab/pipelines__list-project-pipelines.json") else {
        return;
    };
    let list: Vec<Pipeline> = serde_json::from_str(&list).expect("the list example decodes");
    assert_eq!(list[0].status, Status::Pending);
    assert_eq!(list[1].source.as_deref(), Some("web"));

    let Some(one) = common::fixture("gitlab/pipelines__get-single-pipeline.json") else {
        return;
    };
    let one: Pipeline = serde_json::from_str(&one).expect("the single-pipeline example decodes");
    assert_eq!(one.status, Status::Success);
    assert_eq!(one.duration, Some(34.0));
    assert_eq!(one.user.as_ref().map(|u| u.username.as_str()), Some("root"));

    let Some(jobs) = common::fixture("gitlab/jobs__list-pipeline-jobs.json") else {
        return;
    };
    let jobs: Vec<Job> = serde_json::from_str(&jobs).expect("the jobs example decodes");
    assert_eq!(jobs.len(), 2);
    assert_eq!(
        jobs[0].failure_reason.as_deref(),
        Some("stuck_or_timeout_failure")
    );
    assert_eq!(jobs[1].artifacts.len(), 4);

    let Some(job) = common::fixture("gitlab/jobs__get-single-job.json") else {
        return;
    };
    let job: Job = serde_json::from_str(&job).expect("the single-job example decodes");
    assert_eq!(job.name, "rubocop");
    assert_eq!(job.status, Status::Failed);
}
