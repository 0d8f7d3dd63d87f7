//! Open pull requests of a repository with their checks, reviews and mergeability, polled only
//! while the PR view is up. The list is one conditional request; a PR's own page and reviews
//! are asked again only when the list says it changed (GitHub moves `updated_at` on pushes and
//! reviews) or while GitHub is still computing mergeability, and its head's check runs and
//! statuses only for a new head or while a check is pending. Settled, a poll costs one 304.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::api::decode;
use super::{GithubApi, run_state, wire};
use crate::providers::ci::{RepoState, Target};
use crate::providers::http::Failure;
use flightdeck_core::message::pipelines::Msg as PipelinesMsg;
use flightdeck_core::model::join::RunState;
use flightdeck_core::model::pipelines::Host;
use flightdeck_core::model::pulls::{Checks, Pull, PullKey, Review};
use flightdeck_core::sanitize;
use flightdeck_core::wire::percent_encode;

/// Open PRs asked for per repository (the newest first, as GitHub lists them).
const PULLS_PER_PAGE: usize = 30;

#[derive(Debug, Clone, Deserialize)]
pub struct Ref {
    #[serde(rename = "ref", default)]
    pub git_ref: String,
    #[serde(default)]
    pub sha: String,
}

/// An item of `GET /repos/{o}/{r}/pulls`.
#[derive(Debug, Clone, Deserialize)]
pub struct PullItem {
    pub number: u64,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub user: Option<wire::User>,
    pub head: Ref,
    pub base: Ref,
    #[serde(default)]
    pub draft: Option<bool>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub requested_reviewers: Vec<wire::User>,
}

/// What only the single PR carries.
#[derive(Debug, Clone, Deserialize)]
pub struct PullDetail {
    #[serde(default)]
    pub mergeable: Option<bool>,
    #[serde(default)]
    pub mergeable_state: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReviewItem {
    #[serde(default)]
    pub user: Option<wire::User>,
    #[serde(default)]
    pub state: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckRun {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub conclusion: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckRunList {
    #[serde(default)]
    pub total_count: u64,
    #[serde(default)]
    pub check_runs: Vec<CheckRun>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StatusItem {
    #[serde(default)]
    pub state: String,
}

/// `GET /repos/{o}/{r}/commits/{ref}/status`.
#[derive(Debug, Clone, Deserialize)]
pub struct CombinedStatus {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub statuses: Vec<StatusItem>,
}

/// A commit status's state as a run state (`pending` runs; `error` fails).
pub fn status_state(state: &str) -> RunState {
    match state {
        "success" => RunState::Success,
        "failure" | "error" => RunState::Failure,
        "pending" => RunState::Running,
        _ => RunState::Other,
    }
}

/// The checks of a head: each check run and each commit status counted once. The combined
/// state itself is not counted: with no statuses GitHub says `pending` for a settled head.
pub fn count_checks(runs: &[CheckRun], statuses: &CombinedStatus) -> Checks {
    let mut c = Checks::default();
    for r in runs {
        c.add(run_state(&r.status, r.conclusion.as_deref()));
    }
    for s in &statuses.statuses {
        c.add(status_state(&s.state));
    }
    c
}

/// What the poller remembers of one PR between polls.
#[derive(Debug, Clone)]
pub struct PullCache {
    pub item: PullItem,
    /// Asked again when `item.updated_at` moves.
    pub seen_update: Option<DateTime<Utc>>,
    pub detail: Option<PullDetail>,
    pub reviews: Vec<(String, String)>,
    /// The head the checks were counted for.
    pub checks_sha: String,
    pub checks: Checks,
}

/// Decodes one PR for the model, sanitising every string.
pub fn decode_pull(c: &PullCache, t: &Target) -> Pull {
    let requested: Vec<String> = c
        .item
        .requested_reviewers
        .iter()
        .map(|u| sanitize::ident(&u.login))
        .collect();
    let detail = c.detail.as_ref();
    Pull {
        key: PullKey {
            host: Host::Github,
            repo: t.repo.clone(),
            number: c.item.number,
        },
        service: t.service.clone(),
        service_name: t.name.clone(),
        title: sanitize::line(&c.item.title),
        author: c
            .item
            .user
            .as_ref()
            .map_or_else(String::new, |u| sanitize::ident(&u.login)),
        branch: sanitize::line(&c.item.head.git_ref),
        base: sanitize::line(&c.item.base.git_ref),
        sha: sanitize::ident(&c.item.head.sha),
        draft: c.item.draft.unwrap_or(false),
        created: c.item.created_at,
        updated: c.item.updated_at,
        checks: c.checks,
        review: Review::from_reviews(&c.reviews, requested.len()),
        requested,
        mergeable: detail.and_then(|d| d.mergeable),
        merge_state: detail
            .and_then(|d| d.mergeable_state.as_deref())
            .map(sanitize::ident)
            .unwrap_or_default(),
        url: c.item.html_url.as_deref().and_then(sanitize::url),
    }
}

impl GithubApi {
    /// Polls the open PRs of `t`; a message only when what the view shows changed.
    /// `runs_changed`: the repository's runs moved, so a re-run may have changed a settled head's
    /// checks.
    pub(super) async fn poll_pulls(
        &self,
        t: &Target,
        st: &mut RepoState,
        runs_changed: bool,
        now: DateTime<Utc>,
    ) -> Result<Option<PipelinesMsg>, Failure> {
        let list_path = format!(
            "/repos/{}/pulls?state=open&per_page={PULLS_PER_PAGE}",
            t.repo
        );
        if let Some(body) = self.fetch(st, list_path.clone()).await? {
            let items: Vec<PullItem> = decode(&body).inspect_err(|_| {
                st.etags.remove(&list_path);
            })?;
            let mut old = std::mem::take(&mut st.pulls);
            st.pulls = items
                .into_iter()
                .map(
                    |item| match old.iter().position(|c| c.item.number == item.number) {
                        Some(i) => {
                            let mut c = old.swap_remove(i);
                            c.item = item;
                            c
                        }
                        None => PullCache {
                            item,
                            seen_update: None,
                            detail: None,
                            reviews: Vec::new(),
                            checks_sha: String::new(),
                            checks: Checks::default(),
                        },
                    },
                )
                .collect();
            // Closed PRs' conditional answers are not needed again.
            for gone in old {
                let n = gone.item.number;
                st.etags
                    .retain(|path, _| !path.contains(&format!("/pulls/{n}")));
            }
        }
        for i in 0..st.pulls.len() {
            let (number, updated, sha, stale_merge, checks_due) = {
                let c = &st.pulls[i];
                (
                    c.item.number,
                    c.item.updated_at,
                    c.item.head.sha.clone(),
                    c.detail.as_ref().is_none_or(|d| d.mergeable.is_none()),
                    c.checks_sha != c.item.head.sha || !c.checks.done() || runs_changed,
                )
            };
            if st.pulls[i].seen_update != Some(updated) || stale_merge {
                let path = format!("/repos/{}/pulls/{number}", t.repo);
                if let Some(body) = self.fetch(st, path.clone()).await? {
                    let d: PullDetail = decode(&body).inspect_err(|_| {
                        st.etags.remove(&path);
                    })?;
                    st.pulls[i].detail = Some(d);
                }
                let path = format!("/repos/{}/pulls/{number}/reviews?per_page=100", t.repo);
                if let Some(body) = self.fetch(st, path.clone()).await? {
                    let list: Vec<ReviewItem> = decode(&body).inspect_err(|_| {
                        st.etags.remove(&path);
                    })?;
                    st.pulls[i].reviews = list
                        .into_iter()
                        .map(|r| {
                            let who = r
                                .user
                                .map_or_else(String::new, |u| sanitize::ident(&u.login));
                            (who, sanitize::ident(&r.state))
                        })
                        .collect();
                }
                st.pulls[i].seen_update = Some(updated);
            }
            if checks_due && !sha.is_empty() {
                let at = percent_encode(&sha);
                let runs_path = format!("/repos/{}/commits/{at}/check-runs?per_page=100", t.repo);
                let status_path = format!("/repos/{}/commits/{at}/status", t.repo);
                let runs = self.fetch(st, runs_path.clone()).await?;
                let status = self.fetch(st, status_path.clone()).await?;
                // A 304 to either keeps what was counted; a new head always answers fresh.
                if runs.is_some() || status.is_some() || st.pulls[i].checks_sha != sha {
                    let runs = match runs {
                        Some(body) => Some(decode::<CheckRunList>(&body).inspect_err(|_| {
                            st.etags.remove(&runs_path);
                        })?),
                        None => None,
                    };
                    let status = match status {
                        Some(body) => Some(decode::<CombinedStatus>(&body).inspect_err(|_| {
                            st.etags.remove(&status_path);
                        })?),
                        None => None,
                    };
                    if let (Some(runs), Some(status)) = (runs, status) {
                        st.pulls[i].checks = count_checks(&runs.check_runs, &status);
                        st.pulls[i].checks_sha = sha;
                    } else {
                        // Half an answer cannot be counted: ask both again next time.
                        st.etags.remove(&runs_path);
                        st.etags.remove(&status_path);
                    }
                }
            }
        }
        let pulls: Vec<Pull> = st.pulls.iter().map(|c| decode_pull(c, t)).collect();
        if st.sent_pulls.as_ref() == Some(&pulls) {
            return Ok(None);
        }
        st.sent_pulls = Some(pulls.clone());
        Ok(Some(PipelinesMsg::Pulls {
            host: Host::Github,
            repo: t.repo.clone(),
            service: t.service.clone(),
            pulls,
            at: now,
        }))
    }

    /// The runs of a PR's head branch, newest first; `None` when unchanged since `etag`.
    pub(super) async fn branch_runs(
        &self,
        t: &Target,
        branch: &str,
        etag: Option<&str>,
    ) -> Result<crate::providers::ci::RunsAnswer, Failure> {
        let path = format!(
            "/repos/{}/actions/runs?branch={}&per_page={}",
            t.repo,
            percent_encode(branch),
            super::RUNS_PER_PAGE
        );
        match self.get(&path, etag).await? {
            super::Fetch::NotModified => Ok(None),
            super::Fetch::Fresh { body, etag } => {
                let list: wire::RunList = decode(&body)?;
                let runs = list
                    .workflow_runs
                    .into_iter()
                    .map(|r| super::decode_run(r, &t.repo, &t.service, &t.name))
                    .collect();
                Ok(Some((runs, etag)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_count_runs_and_statuses_but_not_an_empty_combined_state() {
        let runs = vec![
            CheckRun {
                status: "completed".into(),
                conclusion: Some("success".into()),
            },
            CheckRun {
                status: "in_progress".into(),
                conclusion: None,
            },
        ];
        let none = CombinedStatus {
            state: "pending".into(),
            statuses: vec![],
        };
        let c = count_checks(&runs, &none);
        assert_eq!((c.passed, c.pending, c.total()), (1, 1, 2));
        let one = CombinedStatus {
            state: "failure".into(),
            statuses: vec![StatusItem {
                state: "error".into(),
            }],
        };
        assert_eq!(
            count_checks(&runs[..1], &one).state(),
            Some(RunState::Failure)
        );
    }
}
