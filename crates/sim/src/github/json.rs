//! The JSON shapes api.github.com answers with, built from the world and the CI model.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::world::{
    Commit, RunKind, ScheduledRun, Service, SimClock, World, epoch, hash, hash_str,
};

use crate::ci::{Attempt, DEMO_USER, DISPATCHED_IDS, DeploymentView, JobEnd, JobPlan};
use crate::rest::ts;

pub(super) fn user_id(world: &World, login: &str) -> u64 {
    world
        .people
        .iter()
        .position(|p| p.login == login)
        .map_or(1, |i| 583_000 + i as u64)
}

/// GitHub's simple-user object.
pub(super) fn user_json(base: &str, world: &World, login: &str) -> Value {
    let id = user_id(world, login);
    let api = format!("{base}/users/{login}");
    json!({
        "login": login,
        "id": id,
        "node_id": format!("U_kgDO{id:08X}"),
        "avatar_url": format!("{base}/avatars/u/{id}?v=4"),
        "gravatar_id": "",
        "url": api,
        "html_url": format!("{base}/{login}"),
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": "User",
        "user_view_type": "public",
        "site_admin": false,
    })
}

pub(super) fn org_json(base: &str, org: &str) -> Value {
    let api = format!("{base}/users/{org}");
    json!({
        "login": org,
        "id": 9_100_001,
        "node_id": "O_kgDOAIrg4Q",
        "avatar_url": format!("{base}/avatars/u/9100001?v=4"),
        "gravatar_id": "",
        "url": api,
        "html_url": format!("{base}/{org}"),
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": "Organization",
        "user_view_type": "public",
        "site_admin": false,
    })
}

pub(super) fn repo_id(world: &World, svc: &Service) -> u64 {
    match world.services.iter().position(|s| s.name == svc.name) {
        Some(i) => 712_000_000 + i as u64,
        // A launched service keeps the id its repository was created with.
        None => 800_000_000 + (hash_str(&svc.repo) % 1_000_000),
    }
}

/// GitHub's minimal-repository object, as runs embed it.
pub(super) fn minimal_repo_json(base: &str, world: &World, svc: &Service) -> Value {
    let api = format!("{base}/repos/{}", svc.repo);
    let id = repo_id(world, svc);
    let mut v = json!({
        "id": id,
        "node_id": format!("R_kgDOK{id:08X}"),
        "name": svc.name,
        "full_name": svc.repo,
        "private": true,
        "owner": org_json(base, &world.org),
        "html_url": format!("{base}/{}", svc.repo),
        "description": svc.description,
        "fork": false,
        "url": api,
    });
    // The URL templates every repository object carries, relative to its API URL.
    const TEMPLATES: &[(&str, &str)] = &[
        ("archive_url", "/{archive_format}{/ref}"),
        ("assignees_url", "/assignees{/user}"),
        ("blobs_url", "/git/blobs{/sha}"),
        ("branches_url", "/branches{/branch}"),
        ("collaborators_url", "/collaborators{/collaborator}"),
        ("comments_url", "/comments{/number}"),
        ("commits_url", "/commits{/sha}"),
        ("compare_url", "/compare/{base}...{head}"),
        ("contents_url", "/contents/{+path}"),
        ("contributors_url", "/contributors"),
        ("deployments_url", "/deployments"),
        ("downloads_url", "/downloads"),
        ("events_url", "/events"),
        ("forks_url", "/forks"),
        ("git_commits_url", "/git/commits{/sha}"),
        ("git_refs_url", "/git/refs{/sha}"),
        ("git_tags_url", "/git/tags{/sha}"),
        ("issue_comment_url", "/issues/comments{/number}"),
        ("issue_events_url", "/issues/events{/number}"),
        ("issues_url", "/issues{/number}"),
        ("keys_url", "/keys{/key_id}"),
        ("labels_url", "/labels{/name}"),
        ("languages_url", "/languages"),
        ("merges_url", "/merges"),
        ("milestones_url", "/milestones{/number}"),
        (
            "notifications_url",
            "/notifications{?since,all,participating}",
        ),
        ("pulls_url", "/pulls{/number}"),
        ("releases_url", "/releases{/id}"),
        ("stargazers_url", "/stargazers"),
        ("statuses_url", "/statuses/{sha}"),
        ("subscribers_url", "/subscribers"),
        ("subscription_url", "/subscription"),
        ("tags_url", "/tags"),
        ("teams_url", "/teams"),
        ("trees_url", "/git/trees{/sha}"),
        ("hooks_url", "/hooks"),
    ];
    if let Some(o) = v.as_object_mut() {
        for (key, suffix) in TEMPLATES {
            o.insert((*key).into(), json!(format!("{api}{suffix}")));
        }
    }
    v
}

pub(super) fn workflow_id(world: &World, svc: &Service, kind: RunKind) -> u64 {
    // A launched service's workflows are numbered past the world's.
    let i = world
        .services
        .iter()
        .position(|s| s.name == svc.name)
        .map_or_else(|| 100_000 + hash_str(&svc.repo) % 100_000, |i| i as u64);
    81_000_000 + i * 10 + if kind == RunKind::Ci { 1 } else { 2 }
}

pub(super) fn workflow_file(kind: RunKind) -> &'static str {
    match kind {
        RunKind::Ci => "ci.yml",
        RunKind::Deploy => "deploy.yml",
    }
}

pub(super) fn workflow_name(kind: RunKind) -> &'static str {
    match kind {
        RunKind::Ci => "CI",
        RunKind::Deploy => "Deploy",
    }
}

pub(super) fn workflow_json(
    c: &SimClock,
    base: &str,
    world: &World,
    svc: &Service,
    kind: RunKind,
) -> Value {
    let id = workflow_id(world, svc, kind);
    let file = workflow_file(kind);
    json!({
        "id": id,
        "node_id": format!("W_kwDOK{id:08X}"),
        "name": workflow_name(kind),
        "path": format!(".github/workflows/{file}"),
        "state": "active",
        "created_at": ts(c, epoch() - Duration::days(400)),
        "updated_at": ts(c, epoch() - Duration::days(12)),
        "url": format!("{base}/repos/{}/actions/workflows/{id}", svc.repo),
        "html_url": format!("{base}/{}/blob/main/.github/workflows/{file}", svc.repo),
        "badge_url": format!("{base}/{}/workflows/{}/badge.svg", svc.repo, workflow_name(kind)),
    })
}

pub(super) fn person_name(world: &World, login: &str) -> (String, String) {
    world.person(login).map_or_else(
        || (login.to_string(), format!("{login}@acme.example")),
        |p| (p.display_name.clone(), p.email.clone()),
    )
}

pub(super) fn tree_sha(sha: &str) -> String {
    let h = hash(hash_str(sha), &[7]);
    format!("{h:016x}{:016x}{:08x}", hash(h, &[1]), h as u32)
}

pub(super) fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// The branch a run ran on: its pull request's head, else the default branch.
pub(super) fn run_branch(run: &ScheduledRun) -> &'static str {
    run.pull.map_or("main", |(_, branch)| branch)
}

/// What started a run, in GitHub's words.
pub(super) fn run_event(run: &ScheduledRun) -> &'static str {
    if run.id >= DISPATCHED_IDS {
        "workflow_dispatch"
    } else if run.pull.is_some() {
        "pull_request"
    } else {
        "push"
    }
}

pub(super) fn run_json(
    c: &SimClock,
    base: &str,
    world: &World,
    svc: &Service,
    run: &ScheduledRun,
    attempt: &Attempt,
    now: DateTime<Utc>,
) -> Value {
    let api = format!("{base}/repos/{}/actions/runs/{}", svc.repo, run.id);
    let wid = workflow_id(world, svc, run.kind);
    let (name, email) = person_name(world, &run.commit.author);
    let status = attempt.status(now);
    let conclusion = attempt.conclusion(now).map(JobEnd::github);
    let triggering = if attempt.number > 1 {
        DEMO_USER
    } else {
        run.actor.as_str()
    };
    let event = run_event(run);
    let pulls: Vec<Value> = run
        .pull
        .iter()
        .map(|(number, branch)| {
            json!({
                "url": format!("{base}/repos/{}/pulls/{number}", svc.repo),
                "id": number,
                "number": number,
                "head": {"ref": branch, "sha": run.commit.sha},
                "base": {"ref": "main"},
            })
        })
        .collect();
    let check_suite = run.id / 10 + u64::from(attempt.number) * 7;
    json!({
        "id": run.id,
        "name": workflow_name(run.kind),
        "node_id": format!("WFR_kwLOK{:X}", run.id),
        "check_suite_id": check_suite,
        "check_suite_node_id": format!("CS_kwDOK{check_suite:X}"),
        "head_branch": run_branch(run),
        "head_sha": run.commit.sha,
        "path": format!(".github/workflows/{}", workflow_file(run.kind)),
        "display_title": first_line(&run.commit.message),
        "run_number": run.number,
        "event": event,
        "status": status,
        "conclusion": conclusion,
        "workflow_id": wid,
        "url": api,
        "html_url": format!("{base}/{}/actions/runs/{}", svc.repo, run.id),
        "pull_requests": pulls,
        "created_at": ts(c, run.created),
        "updated_at": ts(c, attempt.updated(now)),
        "actor": user_json(base, world, &run.actor),
        "run_attempt": attempt.number,
        "referenced_workflows": [],
        "run_started_at": ts(c, attempt.created),
        "triggering_actor": user_json(base, world, triggering),
        "jobs_url": format!("{api}/jobs"),
        "logs_url": format!("{api}/logs"),
        "check_suite_url": format!("{base}/repos/{}/check-suites/{check_suite}", svc.repo),
        "artifacts_url": format!("{api}/artifacts"),
        "cancel_url": format!("{api}/cancel"),
        "rerun_url": format!("{api}/rerun"),
        "previous_attempt_url": (attempt.number > 1).then(|| format!("{api}/attempts/{}", attempt.number - 1)),
        "workflow_url": format!("{base}/repos/{}/actions/workflows/{wid}", svc.repo),
        "head_commit": {
            "id": run.commit.sha,
            "tree_id": tree_sha(&run.commit.sha),
            "message": run.commit.message,
            "timestamp": ts(c, run.commit.at),
            "author": { "name": name, "email": email },
            "committer": { "name": "GitHub", "email": "noreply@github.com" },
        },
        "repository": minimal_repo_json(base, world, svc),
        "head_repository": minimal_repo_json(base, world, svc),
    })
}

/// A job's status at `now`: GitHub's `status`, `conclusion`, and when it (will have) started.
pub(super) fn job_state(job: &JobPlan, now: DateTime<Utc>) -> (&'static str, Option<&'static str>) {
    if job.end_as == JobEnd::Skipped && job.end <= now {
        ("completed", Some("skipped"))
    } else if now < job.start {
        ("queued", None)
    } else if now < job.end {
        ("in_progress", None)
    } else {
        ("completed", Some(job.end_as.github()))
    }
}

pub(super) fn job_json(
    c: &SimClock,
    base: &str,
    svc: &Service,
    run: &ScheduledRun,
    job: &JobPlan,
    now: DateTime<Utc>,
) -> Value {
    let (status, conclusion) = job_state(job, now);
    let steps: Vec<Value> = job
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (st, concl, started, completed) =
                if s.end_as == JobEnd::Skipped && s.end <= now && job.end <= now {
                    ("completed", Some("skipped"), Some(s.start), Some(s.end))
                } else if now < s.start {
                    ("queued", None, None, None)
                } else if now < s.end {
                    ("in_progress", None, Some(s.start), None)
                } else {
                    (
                        "completed",
                        Some(s.end_as.github()),
                        Some(s.start),
                        Some(s.end),
                    )
                };
            json!({
                "name": s.name,
                "status": st,
                "conclusion": concl,
                "number": i + 1,
                "started_at": started.map(|t| ts(c, t)),
                "completed_at": completed.map(|t| ts(c, t)),
            })
        })
        .collect();
    let runner = (status != "queued").then(|| (job.id % 20) + 1);
    json!({
        "id": job.id,
        "run_id": run.id,
        "workflow_name": workflow_name(run.kind),
        "head_branch": run_branch(run),
        "run_url": format!("{base}/repos/{}/actions/runs/{}", svc.repo, run.id),
        "run_attempt": job.attempt,
        "node_id": format!("CR_kwDOK{:X}", job.id),
        "head_sha": run.commit.sha,
        "url": format!("{base}/repos/{}/actions/jobs/{}", svc.repo, job.id),
        "html_url": format!("{base}/{}/actions/runs/{}/job/{}", svc.repo, run.id, job.id),
        "status": status,
        "conclusion": conclusion,
        "created_at": ts(c, job.created),
        "started_at": ts(c, if status == "queued" { job.created } else { job.start }),
        "completed_at": (status == "completed").then(|| ts(c, job.end)),
        "name": job.name,
        "steps": steps,
        "check_run_url": format!("{base}/repos/{}/check-runs/{}", svc.repo, job.id),
        "labels": ["ubuntu-latest"],
        "runner_id": runner,
        "runner_name": runner.map(|n| format!("GitHub Actions {n}")),
        "runner_group_id": runner.map(|_| 0),
        "runner_group_name": runner.map(|_| "GitHub Actions"),
    })
}

pub(super) fn deployment_json(
    c: &SimClock,
    base: &str,
    world: &World,
    svc: &Service,
    d: &DeploymentView,
    now: DateTime<Utc>,
) -> Value {
    let api = format!("{base}/repos/{}/deployments/{}", svc.repo, d.job.id);
    // Updated when its last status was: a running deploy's end lies ahead, and no time served
    // may lie after the clock.
    let updated = if d.job.end <= now {
        d.job.end
    } else {
        (d.job.start + Duration::seconds(1)).min(now)
    };
    json!({
        "url": api,
        "id": d.job.id,
        "node_id": format!("DE_kwDOK{:X}", d.job.id),
        "sha": d.run.commit.sha,
        "ref": "main",
        "task": "deploy",
        "payload": {},
        "original_environment": d.environment,
        "environment": d.environment,
        "description": format!("Deploy {} to {}", &d.run.commit.sha[..7], d.environment),
        "creator": user_json(base, world, &d.run.actor),
        "created_at": ts(c, d.job.start),
        "updated_at": ts(c, updated),
        "statuses_url": format!("{api}/statuses"),
        "repository_url": format!("{base}/repos/{}", svc.repo),
        "transient_environment": false,
        "production_environment": d.environment == "production",
    })
}

/// A deployment's statuses at `now`, newest first: queued, in progress, how it ended, and
/// inactive once a later deployment to the same environment succeeded.
pub(super) fn statuses_json(
    c: &SimClock,
    base: &str,
    world: &World,
    svc: &Service,
    d: &DeploymentView,
    all: &[DeploymentView],
    now: DateTime<Utc>,
) -> Vec<Value> {
    let mut states: Vec<(&str, DateTime<Utc>)> = vec![("queued", d.job.start)];
    let running = (d.job.start + Duration::seconds(1)).min(d.job.end);
    if running <= now {
        states.push(("in_progress", running));
    }
    if d.job.end <= now {
        let end = match d.job.end_as {
            JobEnd::Success => "success",
            JobEnd::Failure => "failure",
            JobEnd::Cancelled | JobEnd::Skipped => "error",
        };
        states.push((end, d.job.end));
        if d.job.end_as == JobEnd::Success {
            let superseded = all
                .iter()
                .filter(|o| {
                    o.environment == d.environment
                        && o.job.end_as == JobEnd::Success
                        && o.job.end > d.job.end
                        && o.job.end <= now
                })
                .map(|o| o.job.end)
                .min();
            if let Some(at) = superseded {
                states.push(("inactive", at));
            }
        }
    }
    let env_url = if d.environment == "production" {
        format!("https://{}.acme.example", svc.name)
    } else {
        format!("https://{}.{}.acme.example", svc.name, d.environment)
    };
    states
        .iter()
        .enumerate()
        .rev()
        .map(|(k, (state, at))| {
            let id = d.job.id * 10 + k as u64;
            json!({
                "url": format!("{base}/repos/{}/deployments/{}/statuses/{id}", svc.repo, d.job.id),
                "id": id,
                "node_id": format!("DES_kwDOK{id:X}"),
                "state": state,
                "creator": user_json(base, world, &d.run.actor),
                "description": match *state {
                    "success" => "Deployment finished successfully.",
                    "failure" => "Deployment failed.",
                    "error" => "Deployment was cancelled.",
                    "inactive" => "Superseded by a newer deployment.",
                    _ => "",
                },
                "environment": d.environment,
                "target_url": format!("{base}/{}/actions/runs/{}/job/{}", svc.repo, d.run.id, d.job.id),
                "log_url": format!("{base}/{}/actions/runs/{}/job/{}", svc.repo, d.run.id, d.job.id),
                "environment_url": env_url,
                "created_at": ts(c, *at),
                "updated_at": ts(c, *at),
                "deployment_url": format!("{base}/repos/{}/deployments/{}", svc.repo, d.job.id),
                "repository_url": format!("{base}/repos/{}", svc.repo),
            })
        })
        .collect()
}

pub(super) fn commit_json(
    clock: &SimClock,
    base: &str,
    world: &World,
    svc: &Service,
    c: &Commit,
    parent: Option<&Commit>,
) -> Value {
    let (name, email) = person_name(world, &c.author);
    let api = format!("{base}/repos/{}/commits/{}", svc.repo, c.sha);
    let parents: Vec<Value> = parent
        .map(|p| {
            json!({
                "sha": p.sha,
                "url": format!("{base}/repos/{}/commits/{}", svc.repo, p.sha),
                "html_url": format!("{base}/{}/commit/{}", svc.repo, p.sha),
            })
        })
        .into_iter()
        .collect();
    json!({
        "url": api,
        "sha": c.sha,
        "node_id": format!("C_kwDOK{}", &c.sha[..16]),
        "html_url": format!("{base}/{}/commit/{}", svc.repo, c.sha),
        "comments_url": format!("{api}/comments"),
        "commit": {
            "url": format!("{base}/repos/{}/git/commits/{}", svc.repo, c.sha),
            "author": { "name": name, "email": email, "date": ts(clock, c.at) },
            "committer": { "name": "GitHub", "email": "noreply@github.com", "date": ts(clock, c.at) },
            "message": c.message,
            "tree": { "url": format!("{base}/repos/{}/git/trees/{}", svc.repo, tree_sha(&c.sha)), "sha": tree_sha(&c.sha) },
            "comment_count": 0,
            "verification": { "verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null },
        },
        "author": user_json(base, world, &c.author),
        "committer": user_json(base, world, "web-flow"),
        "parents": parents,
    })
}
