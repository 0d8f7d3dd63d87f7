//! Delivery history from GitLab's REST API: a project's production deployments (each carries
//! its own status, so there is no status list to read) and the commits each brought (compare
//! with the previous successful one), into the same per-repository history GitHub's fills. A
//! later read asks only for deployments updated since the newest one it saw.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{GitlabApi, project_id};
use crate::providers::github::history::RepoHistory;
use crate::providers::http::Failure;
use flightdeck_core::model::delivery::{Change, Deployment, Outcome};
use flightdeck_core::sanitize;
use flightdeck_core::wire::gitlab::{self as wire, Status};
use flightdeck_core::wire::percent_encode;

const PER_PAGE: usize = 100;

#[derive(Debug, Deserialize)]
struct Comparison {
    #[serde(default)]
    commits: Vec<wire::Commit>,
}

/// A deployment's outcome and when it was reached, by its status: `canceled` counts as
/// GitHub's `error` (failed), as the definitions say; running ones have none yet.
fn end_of(d: &wire::Deployment) -> Option<(Outcome, DateTime<Utc>)> {
    let outcome = match d.status {
        Status::Success => Outcome::Success,
        Status::Failed => Outcome::Failure,
        Status::Canceled => Outcome::Error,
        _ => return None,
    };
    let at = d
        .deployable
        .as_ref()
        .and_then(|j| j.finished_at)
        .or(d.updated_at)
        .unwrap_or(d.created_at);
    Some((outcome, at))
}

impl GitlabApi {
    /// One project's history from `since` on (and the deployment before it), updated in
    /// `repo` in place. A first read pages back by creation; a later one asks only for what
    /// was updated after the newest update it saw (GitLab's `updated_after`).
    pub async fn history(
        &self,
        project: &str,
        environment: &str,
        since: DateTime<Utc>,
        repo: &mut RepoHistory,
    ) -> Result<(), Failure> {
        let id = project_id(project);
        let env = percent_encode(environment);
        let deep = repo.covers.is_none_or(|c| since < c);
        let watermark = repo.updated_after.filter(|_| !deep);
        for page in 1.. {
            let path = match watermark {
                Some(w) => format!(
                    "/projects/{id}/deployments?environment={env}&order_by=updated_at&sort=desc&updated_after={}&per_page={PER_PAGE}&page={page}",
                    percent_encode(&w.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                ),
                None => format!(
                    "/projects/{id}/deployments?environment={env}&order_by=created_at&sort=desc&per_page={PER_PAGE}&page={page}"
                ),
            };
            let list: Vec<wire::Deployment> = self.get_json(&path).await?;
            let n = list.len();
            let mut reached = false;
            for w in list {
                // A first read keeps the newest deployment older than `since` (the base of
                // what the first in the window brought) and none older: their compares would
                // be read for nothing.
                let old = watermark.is_none() && w.created_at < since;
                if old && reached {
                    continue;
                }
                reached |= old;
                let updated = w.updated_at.unwrap_or(w.created_at);
                repo.updated_after = Some(repo.updated_after.map_or(updated, |u| u.max(updated)));
                let end = end_of(&w);
                if end.is_some() || w.status == Status::Skipped {
                    repo.settled.insert(w.id);
                }
                let d = repo.deployments.entry(w.id).or_insert_with(|| Deployment {
                    id: w.id,
                    sha: sanitize::ident(&w.sha),
                    creator: w
                        .user
                        .as_ref()
                        .map(|u| sanitize::ident(&u.username))
                        .unwrap_or_default(),
                    created: w.created_at,
                    end: None,
                    changes: vec![],
                });
                d.end = end;
            }
            if reached || n < PER_PAGE {
                break;
            }
        }
        if deep {
            repo.covers = Some(since);
        }
        // What each ended deployment brought: compare with the previous successful one.
        let wanted = crate::providers::github::history::compares_wanted(repo);
        for (_, key) in &wanted {
            if repo.compares.contains_key(key) {
                continue;
            }
            let Some((from, to)) = key.split_once("...") else {
                continue;
            };
            let path = format!("/projects/{id}/repository/compare?from={from}&to={to}");
            let c: Comparison = self.get_json(&path).await?;
            let changes = c
                .commits
                .iter()
                .map(|c| Change {
                    sha: sanitize::ident(&c.id),
                    title: sanitize::line(&c.title),
                    author: sanitize::line(&c.author_name),
                    committed: c.committed_date.or(c.created_at).unwrap_or_default(),
                    // GitLab's merge requests (and their labels) would cost a request per
                    // commit; the title pattern alone marks GitLab rework.
                    labels: vec![],
                    pull: None,
                })
                .collect();
            repo.compares.insert(key.clone(), changes);
        }
        crate::providers::github::history::join(repo, wanted);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_canceled_deployment_failed_at_its_jobs_end_and_a_running_one_has_no_end() {
        let d = |status: &str| -> wire::Deployment {
            serde_json::from_value(serde_json::json!({
                "id": 1, "iid": 1, "ref": "main", "sha": "abc1234",
                "created_at": "2026-03-01T10:00:00.000Z", "updated_at": "2026-03-01T10:09:00.000Z",
                "status": status, "environment": { "id": 1, "name": "production" },
                "deployable": { "id": 9, "name": "deploy", "stage": "deploy", "status": status,
                    "ref": "main", "tag": false, "finished_at": "2026-03-01T10:05:00.000Z",
                    "pipeline": { "id": 3, "sha": "abc1234", "ref": "main" } },
            }))
            .expect("decodes")
        };
        let (o, at) = end_of(&d("canceled")).expect("an end");
        assert_eq!(o, Outcome::Error);
        assert_eq!(at.to_rfc3339(), "2026-03-01T10:05:00+00:00");
        assert_eq!(end_of(&d("success")).map(|e| e.0), Some(Outcome::Success));
        assert_eq!(end_of(&d("running")), None);
    }
}
