//! "Is my change in production, and healthy?": for each commit pushed to a service's default
//! branch, its trail — merged, its CI run, deployed to staging, deployed to production, pods on
//! a version with it ready, alerts since — from what the cockpit already holds (the CI runs and
//! deployments it polls, the pods it watches, the alerts it reads). Pure; `update` rebuilds the
//! trails when those change and something shows them.
//!
//! A deployment holds a commit when it deploys that commit, or when it was created after the
//! commit's push on the same branch: deploys take the branch's head, so a later one carries
//! every earlier commit.

use chrono::{DateTime, Utc};

use crate::model::Model;
use crate::model::alerts::Severity;
use crate::model::join::RunState;
use crate::model::workloads::Pod;

/// Where a change stands at one step of its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Done, at that time.
    Done(DateTime<Utc>),
    /// Under way since then.
    Running(DateTime<Utc>),
    /// Failed then, and nothing later has done it.
    Failed(DateTime<Utc>),
    /// Not started.
    Waiting,
}

impl Step {
    pub fn done_at(self) -> Option<DateTime<Utc>> {
        match self {
            Step::Done(at) => Some(at),
            _ => None,
        }
    }
}

/// One change's trail.
#[derive(Debug, Clone, PartialEq)]
pub struct Trail {
    /// The service's catalog ref and short name.
    pub service: String,
    pub service_name: String,
    pub sha: String,
    pub title: String,
    /// Who pushed it (the run's actor).
    pub author: String,
    pub mine: bool,
    /// When it reached the branch (its CI run's creation).
    pub merged: DateTime<Utc>,
    pub ci: Step,
    pub staging: Step,
    pub production: Step,
    /// Pods of the service on a version that holds it, ready, and all pods of the service;
    /// `None` while it is not in production or no pods are known.
    pub pods: Option<(usize, usize)>,
    /// Alerts of the service that started since it reached production, and whether one of
    /// them is critical.
    pub alerts_since: usize,
    pub critical_since: bool,
    pub url: Option<String>,
}

impl Trail {
    /// Where it is now, in a word or two.
    pub fn stage(&self) -> &'static str {
        match (self.ci, self.staging, self.production) {
            (Step::Failed(_), _, _) => "CI failed",
            (_, _, Step::Done(_)) if self.critical_since => "in production, alerting",
            (_, _, Step::Done(_)) => "in production",
            (_, _, Step::Running(_)) => "deploying to production",
            (_, _, Step::Failed(_)) => "production deploy failed",
            (_, Step::Done(_), _) => "in staging",
            (_, Step::Running(_), _) => "deploying to staging",
            (_, Step::Failed(_), _) => "staging deploy failed",
            (Step::Running(_), _, _) => "in CI",
            (Step::Done(_), _, _) => "CI passed",
            _ => "merged",
        }
    }
}

/// The newest `limit` changes of `service` (a catalog ref), newest first; only the user's when
/// `mine`. `production` names the service's production environment.
pub fn trails(
    model: &Model,
    service: &str,
    production: &str,
    mine: bool,
    limit: usize,
) -> Vec<Trail> {
    let pods: Vec<&Pod> = model
        .workloads
        .pods
        .values()
        .filter(|p| p.services.iter().any(|s| &**s == service))
        .collect();
    trails_with(model, service, &pods, production, mine, limit)
}

/// The user's newest changes over every service, newest first, the pods indexed once.
pub fn my_changes(model: &Model, per_service: usize) -> Vec<Trail> {
    let mut pods: std::collections::HashMap<&str, Vec<&Pod>> = Default::default();
    for p in model.workloads.pods.values() {
        for s in p.services.iter() {
            pods.entry(&**s).or_default().push(p);
        }
    }
    let mut out = Vec::new();
    for e in model.catalog.services() {
        let production = e
            .annotation(super::ENVIRONMENT_ANNOTATION)
            .unwrap_or("production");
        let of = pods
            .get(e.entity_ref.as_str())
            .map_or(&[][..], Vec::as_slice);
        out.extend(trails_with(
            model,
            &e.entity_ref,
            of,
            production,
            true,
            per_service,
        ));
    }
    out.sort_by_key(|t| std::cmp::Reverse(t.merged));
    out
}

fn trails_with(
    model: &Model,
    service: &str,
    pods: &[&Pod],
    production: &str,
    mine: bool,
    limit: usize,
) -> Vec<Trail> {
    let me = model.pipelines.me();
    let is_me = |actor: &str| me.iter().any(|m| m.eq_ignore_ascii_case(actor));
    let mut out = Vec::new();
    for ((_, _), repo) in model
        .pipelines
        .repos
        .iter()
        .filter(|(_, r)| r.service == service)
    {
        // Pushes to the branch the deployments take, each commit once, by its first run that is
        // not a deploy workflow's own.
        let branch = repo
            .deployments
            .iter()
            .map(|d| d.git_ref.as_str())
            .find(|g| repo.runs.iter().any(|r| r.branch == *g));
        let mut seen = std::collections::HashSet::new();
        let mut runs: Vec<&crate::model::pipelines::Run> = repo
            .runs
            .iter()
            .filter(|r| branch.is_none_or(|b| r.branch == b) && r.event == "push")
            .filter(|r| !r.workflow.to_lowercase().contains("deploy"))
            .collect();
        runs.sort_by_key(|r| std::cmp::Reverse(r.created));
        for run in runs {
            if !seen.insert(run.sha.as_str()) {
                continue;
            }
            if mine && !is_me(&run.actor) {
                continue;
            }
            let at = run.created;
            let env_step = |env: &str| {
                let holding = || {
                    repo.deployments
                        .iter()
                        .filter(move |d| d.environment.eq_ignore_ascii_case(env))
                        .filter(move |d| d.sha == run.sha || d.created >= at)
                };
                if let Some(done) = holding()
                    .filter(|d| d.state == RunState::Success)
                    .map(|d| d.updated)
                    .min()
                {
                    Step::Done(done)
                } else if let Some(d) =
                    holding().find(|d| matches!(d.state, RunState::Running | RunState::Queued))
                {
                    Step::Running(d.created)
                } else if let Some(d) =
                    holding().find(|d| matches!(d.state, RunState::Failure | RunState::Cancelled))
                {
                    Step::Failed(d.updated)
                } else {
                    Step::Waiting
                }
            };
            let ci = match run.state {
                RunState::Success | RunState::Skipped => Step::Done(run.finished.unwrap_or(at)),
                RunState::Failure | RunState::Cancelled => Step::Failed(run.finished.unwrap_or(at)),
                RunState::Running | RunState::Queued | RunState::Other => {
                    Step::Running(run.started.unwrap_or(at))
                }
            };
            let staging = env_step("staging");
            let prod = env_step(production);
            let (pods, alerts_since, critical_since) = match prod.done_at() {
                Some(live) => {
                    // The versions that hold it: production deployments of it or after it.
                    let tags: Vec<&str> = repo
                        .deployments
                        .iter()
                        .filter(|d| d.environment.eq_ignore_ascii_case(production))
                        .filter(|d| d.state == RunState::Success)
                        .filter(|d| d.sha == run.sha || d.created >= at)
                        .map(|d| d.sha.get(..7).unwrap_or(&d.sha))
                        .collect();
                    let total = pods.len();
                    let mut ready = 0;
                    for p in pods {
                        let on_it = p.tag.as_deref().is_some_and(|t| {
                            tags.iter().any(|v| t.starts_with(v) || v.starts_with(t))
                        });
                        if on_it && p.is_ready() {
                            ready += 1;
                        }
                    }
                    let alerts: Vec<_> = model
                        .alerts
                        .merged
                        .iter()
                        .filter(|m| m.service_ref.as_deref() == Some(service))
                        .filter_map(|m| model.alerts.alert(m))
                        .filter(|a| a.starts_at >= live)
                        .collect();
                    (
                        (total > 0).then_some((ready, total)),
                        alerts.len(),
                        alerts.iter().any(|a| a.severity == Severity::Critical),
                    )
                }
                None => (None, 0, false),
            };
            out.push(Trail {
                service: service.to_string(),
                service_name: run.service_name.clone(),
                sha: run.sha.clone(),
                title: run.title.clone(),
                author: run.actor.clone(),
                mine: is_me(&run.actor),
                merged: at,
                ci,
                staging,
                production: prod,
                pods,
                alerts_since,
                critical_since,
                url: run.url.clone(),
            });
            if out.len() >= limit {
                return out;
            }
        }
    }
    out
}

/// One deployment that carried a change (or tried to) to an environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Carried {
    pub environment: String,
    /// The commit it deployed (the change itself, or a later one holding it).
    pub sha: String,
    pub state: RunState,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// A change opened from "My changes": its trail, and what stands behind each step.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeDetail {
    pub trail: Trail,
    /// The pull request that merged it and its labels, when the delivery history has it.
    pub pull: Option<(u64, Vec<String>)>,
    /// The pull request's page, made beside the run's page when both are known.
    pub pull_url: Option<String>,
    /// Per environment, the deployments holding it up to the first that succeeded, oldest first.
    pub deployments: Vec<Carried>,
    /// The service's alerts started since it reached production: name, critical, start.
    pub alerts: Vec<(String, bool, DateTime<Utc>)>,
}

impl ChangeDetail {
    /// What `o` opens and `y` copies: the pull request, else the run.
    pub fn url(&self) -> Option<&str> {
        self.pull_url.as_deref().or(self.trail.url.as_deref())
    }
}

/// The detail of `trail` from what the cockpit holds: the deployments of its service that hold
/// it, the pull request the delivery history knows for it, the alerts since production.
pub fn detail(model: &Model, trail: &Trail) -> ChangeDetail {
    let mut deployments: Vec<Carried> = Vec::new();
    for repo in model
        .pipelines
        .repos
        .values()
        .filter(|r| r.service == trail.service)
    {
        let mut holding: Vec<_> = repo
            .deployments
            .iter()
            .filter(|d| d.sha == trail.sha || d.created >= trail.merged)
            .collect();
        holding.sort_by_key(|d| (d.created, d.id));
        let mut landed: Vec<&str> = Vec::new();
        for d in holding {
            if landed
                .iter()
                .any(|e| e.eq_ignore_ascii_case(&d.environment))
            {
                continue;
            }
            if d.state == RunState::Success {
                landed.push(&d.environment);
            }
            deployments.push(Carried {
                environment: d.environment.clone(),
                sha: d.sha.clone(),
                state: d.state,
                created: d.created,
                updated: d.updated,
            });
        }
    }
    deployments.sort_by_key(|d| d.created);
    let pull = model
        .delivery
        .histories
        .get(&trail.service)
        .into_iter()
        .flat_map(|h| h.history.deployments.iter())
        .flat_map(|d| d.changes.iter())
        .find(|c| c.sha == trail.sha)
        .and_then(|c| c.pull.map(|n| (n, c.labels.clone())));
    // A run's page is `<repository page>/actions/runs/<id>`: the pull request's is beside it.
    let pull_url = match (&pull, &trail.url) {
        (Some((n, _)), Some(run)) => run
            .split_once("/actions/runs/")
            .map(|(repo, _)| format!("{repo}/pull/{n}")),
        _ => None,
    };
    let alerts = match trail.production.done_at() {
        Some(live) => {
            let mut a: Vec<(String, bool, DateTime<Utc>)> = model
                .alerts
                .merged
                .iter()
                .filter(|m| m.service_ref.as_deref() == Some(trail.service.as_str()))
                .filter_map(|m| model.alerts.alert(m))
                .filter(|a| a.starts_at >= live)
                .map(|a| {
                    (
                        a.name().to_string(),
                        a.severity == Severity::Critical,
                        a.starts_at,
                    )
                })
                .collect();
            a.sort_by_key(|(_, _, at)| *at);
            a
        }
        None => vec![],
    };
    ChangeDetail {
        trail: trail.clone(),
        pull,
        pull_url,
        deployments,
        alerts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keymap::Keymap;
    use crate::model::pipelines::{Deployment, Host, RepoData, Run, RunKey};
    use chrono::{Duration, TimeZone};

    fn t(m: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
            .single()
            .unwrap_or_default()
            + Duration::minutes(m)
    }

    fn run(id: u64, workflow: &str, sha: &str, actor: &str, at: i64, state: RunState) -> Run {
        Run {
            key: RunKey {
                host: Host::Github,
                repo: "acme/pay".into(),
                id,
            },
            service: "component:default/pay".into(),
            service_name: "pay".into(),
            number: id,
            workflow: workflow.into(),
            workflow_ref: "ci.yml".into(),
            branch: "main".into(),
            event: "push".into(),
            actor: actor.into(),
            status: "completed".into(),
            conclusion: None,
            state,
            attempt: 1,
            created: t(at),
            started: Some(t(at)),
            updated: t(at + 3),
            finished: state.is_done().then(|| t(at + 3)),
            title: format!("Change {sha}"),
            sha: sha.into(),
            url: None,
        }
    }

    fn deployment(id: u64, env: &str, sha: &str, at: i64, state: RunState) -> Deployment {
        Deployment {
            id,
            environment: env.into(),
            sha: sha.into(),
            git_ref: "main".into(),
            state,
            status: String::new(),
            creator: "bot".into(),
            created: t(at),
            updated: t(at + 2),
            url: None,
        }
    }

    #[test]
    fn a_change_moves_from_ci_to_staging_to_production_and_is_held_by_later_deploys() {
        let mut m = Model::new(Keymap::defaults(), t(60));
        m.pipelines.logins.insert(Host::Github, "jdoe".into());
        m.pipelines.repos.insert(
            (Host::Github, "acme/pay".into()),
            RepoData {
                runs: vec![
                    run(1, "CI", "aaaaaaa1", "jdoe", 0, RunState::Success),
                    run(2, "Deploy", "ddddddd1", "bot", 10, RunState::Success),
                    run(3, "CI", "bbbbbbb2", "asingh", 20, RunState::Success),
                    run(4, "CI", "ccccccc3", "jdoe", 40, RunState::Running),
                ],
                deployments: vec![
                    deployment(1, "staging", "ddddddd1", 10, RunState::Success),
                    deployment(2, "production", "ddddddd1", 12, RunState::Success),
                    deployment(3, "staging", "eeeeeee2", 25, RunState::Success),
                    deployment(4, "production", "eeeeeee2", 27, RunState::Running),
                ],
                service: "component:default/pay".into(),
                fetched_at: Some(t(50)),
            },
        );
        let all = trails(&m, "component:default/pay", "production", false, 10);
        let shas: Vec<&str> = all.iter().map(|t| t.sha.as_str()).collect();
        assert_eq!(
            shas,
            ["ccccccc3", "bbbbbbb2", "aaaaaaa1"],
            "deploy runs are no change"
        );
        assert_eq!(all[0].stage(), "in CI");
        assert_eq!(all[1].staging, Step::Done(t(27)));
        assert_eq!(all[1].production, Step::Running(t(27)));
        assert_eq!(all[1].stage(), "deploying to production");
        assert_eq!(
            all[2].production,
            Step::Done(t(14)),
            "the deploy after it holds it"
        );
        assert_eq!(all[2].stage(), "in production");
        let mine = trails(&m, "component:default/pay", "production", true, 10);
        assert_eq!(mine.len(), 2);
        assert!(mine.iter().all(|t| t.mine && t.author == "jdoe"));
        assert_eq!(
            trails(&m, "component:default/pay", "production", false, 1).len(),
            1
        );
    }
}
