//! Open pull requests of a repository with their checks, reviews and mergeability, polled only
//! while the PR view is up. The list is one conditional request; a PR's own page and reviews
//! are asked again only when the list says it changed (GitHub moves `updated_at` on pushes and
//! reviews) or while GitHub is still computing mergeability, and its head's check runs and
//! statuses only for a new head or while a check is pending. Settled, a poll costs one 304.

use chrono::{DateTime, Utc};

use super::api::decode;
pub use super::wire::{
    CheckRun, CheckRunList, CombinedStatus, PullCache, PullDetail, PullItem, Ref, ReviewItem,
    StatusItem,
};
use super::{GithubApi, run_state, wire};
use crate::providers::ci::{RepoState, Target};
use crate::providers::http::Failure;
use flightdeck_core::message::pipelines::Msg as PipelinesMsg;
use flightdeck_core::model::join::RunState;
use flightdeck_core::model::pipelines::Host;
use flightdeck_core::model::pipelines::pulls::{Checks, Pull, PullKey, Review};
use flightdeck_core::sanitize;
use flightdeck_core::wire::percent_encode;

/// Open PRs asked for per repository (the newest first, as GitHub lists them).
const PULLS_PER_PAGE: usize = 30;

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
            // Closed PRs' conditional answers are not needed again: their page, reviews and
            // their head's checks (`/pulls/1` only, never `/pulls/12`).
            for gone in old {
                forget(st, &format!("/repos/{}/pulls/{}", t.repo, gone.item.number));
                if !gone.checks_sha.is_empty() {
                    forget(st, &commit_prefix(&t.repo, &gone.checks_sha));
                }
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
                        // A push moved the head: the old head's answers are not asked again.
                        let before = std::mem::replace(&mut st.pulls[i].checks_sha, sha.clone());
                        if !before.is_empty() && before != sha {
                            forget(st, &commit_prefix(&t.repo, &before));
                        }
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

/// Drops the conditional answers kept for `prefix` and what lies under it (`prefix/…`,
/// `prefix?…`), and nothing that merely starts with the same characters.
fn forget(st: &mut RepoState, prefix: &str) {
    st.etags.retain(|path, _| {
        path.strip_prefix(prefix)
            .is_none_or(|rest| !(rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')))
    });
}

/// Where a commit's checks are read: `/repos/{repo}/commits/{sha}`.
fn commit_prefix(repo: &str, sha: &str) -> String {
    format!("/repos/{repo}/commits/{}", percent_encode(sha))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgetting_a_pull_keeps_its_longer_numbered_neighbours_and_other_heads() {
        let mut st = RepoState::default();
        for path in [
            "/repos/a/b/pulls/1",
            "/repos/a/b/pulls/1/reviews?per_page=100",
            "/repos/a/b/pulls/12",
            "/repos/a/b/pulls/100/reviews?per_page=100",
            "/repos/a/b/commits/abc/status",
            "/repos/a/b/commits/abcd/status",
        ] {
            st.etags.insert(path.to_string(), "e".into());
        }
        forget(&mut st, "/repos/a/b/pulls/1");
        forget(&mut st, &commit_prefix("a/b", "abc"));
        let mut left: Vec<&str> = st.etags.keys().map(String::as_str).collect();
        left.sort_unstable();
        assert_eq!(
            left,
            [
                "/repos/a/b/commits/abcd/status",
                "/repos/a/b/pulls/100/reviews?per_page=100",
                "/repos/a/b/pulls/12",
            ]
        );
    }

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
