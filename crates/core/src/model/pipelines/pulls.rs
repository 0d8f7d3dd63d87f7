//! Pull requests of the services' repositories, as the Pipelines screen's second view shows them
//! (the gh habit: open PRs with their checks, review state and mergeability, mine first), and
//! which runs belong to one. Pure data; the provider decodes and sanitises, `update` sorts.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Filter, Host, Run, contains_lower, status_matches_state};
use crate::model::join::RunState;

/// Names one pull request everywhere: the host, the repository and its number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PullKey {
    pub host: Host,
    pub repo: String,
    pub number: u64,
}

/// A PR's checks counted by how they stand: check runs and commit statuses of its head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checks {
    pub passed: u32,
    pub failed: u32,
    /// Queued or running.
    pub pending: u32,
    /// Skipped, neutral, cancelled or unknown: neither blocking nor passing.
    pub other: u32,
}

impl Checks {
    pub fn add(&mut self, state: RunState) {
        match state {
            RunState::Success => self.passed += 1,
            RunState::Failure => self.failed += 1,
            RunState::Queued | RunState::Running => self.pending += 1,
            RunState::Cancelled | RunState::Skipped | RunState::Other => self.other += 1,
        }
    }

    pub fn total(&self) -> u32 {
        self.passed + self.failed + self.pending + self.other
    }

    /// One state for the row's mark: any failure fails, then anything pending runs.
    pub fn state(&self) -> Option<RunState> {
        if self.total() == 0 {
            None
        } else if self.failed > 0 {
            Some(RunState::Failure)
        } else if self.pending > 0 {
            Some(RunState::Running)
        } else {
            Some(RunState::Success)
        }
    }

    pub fn done(&self) -> bool {
        self.pending == 0
    }
}

/// Where the reviews of a PR stand, as gh's `REVIEW` column says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Review {
    Approved,
    ChangesRequested,
    /// Reviewers are asked and none has decided.
    Required,
    Commented,
    #[default]
    None,
}

impl Review {
    /// From the reviews, oldest first, as `(reviewer, state)` in GitHub's words, and how many
    /// reviewers are still asked. Each reviewer's latest deciding review counts (a comment after
    /// an approval does not undo it); one request for changes outweighs approvals.
    pub fn from_reviews(reviews: &[(String, String)], requested: usize) -> Review {
        let mut latest: BTreeMap<&str, &str> = BTreeMap::new();
        let mut commented = false;
        for (who, state) in reviews {
            match state.as_str() {
                "APPROVED" | "CHANGES_REQUESTED" | "DISMISSED" => {
                    latest.insert(who, state);
                }
                "COMMENTED" => commented = true,
                _ => {}
            }
        }
        if latest.values().any(|s| *s == "CHANGES_REQUESTED") {
            Review::ChangesRequested
        } else if latest.values().any(|s| *s == "APPROVED") {
            Review::Approved
        } else if requested > 0 {
            Review::Required
        } else if commented {
            Review::Commented
        } else {
            Review::None
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Review::Approved => "approved",
            Review::ChangesRequested => "changes requested",
            Review::Required => "review required",
            Review::Commented => "commented",
            Review::None => "no review",
        }
    }
}

/// An open pull request with what the PR view shows of it. Every string is sanitised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    pub key: PullKey,
    /// The catalog ref of the service the repository belongs to.
    pub service: String,
    pub service_name: String,
    pub title: String,
    pub author: String,
    /// The head branch, and the branch it merges into.
    pub branch: String,
    pub base: String,
    /// The head commit's full SHA.
    pub sha: String,
    pub draft: bool,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub checks: Checks,
    pub review: Review,
    /// Logins asked to review and not yet reviewing.
    pub requested: Vec<String>,
    /// `None` while GitHub is still computing it.
    pub mergeable: Option<bool>,
    /// GitHub's `mergeable_state` (`clean`, `dirty`, `blocked`, `behind`, `unstable`, ...).
    pub merge_state: String,
    pub url: Option<String>,
}

impl Pull {
    /// Whether it can merge, in a word: a draft first, then conflicts, then what blocks it.
    pub fn merge_word(&self) -> &str {
        if self.draft {
            return "draft";
        }
        match (self.mergeable, self.merge_state.as_str()) {
            (Some(false), _) | (_, "dirty") => "conflicts",
            (None, _) | (_, "unknown" | "") => "checking",
            (_, "clean" | "has_hooks") => "mergeable",
            (_, state) => state,
        }
    }

    pub fn short_sha(&self) -> &str {
        self.sha.get(..7).unwrap_or(&self.sha)
    }

    /// Whether `run` is one of this PR's: same repository, and its head is the PR's head
    /// commit or branch.
    pub fn owns(&self, run: &Run) -> bool {
        run.key.host == self.key.host
            && run.key.repo == self.key.repo
            && (run.sha == self.sha || (!self.branch.is_empty() && run.branch == self.branch))
    }

    /// Whether the `/` filter's terms let it through; `me` as for runs.
    pub fn passes(&self, f: &Filter, me: &[String]) -> bool {
        let any = |wanted: &[String], test: &dyn Fn(&str) -> bool| {
            wanted.is_empty() || wanted.iter().any(|w| test(w))
        };
        let is_me = |who: &str| me.iter().any(|m| m.eq_ignore_ascii_case(who));
        any(&f.status, &|w| self.status_matches(w))
            && any(&f.branch, &|w| contains_lower(&self.branch, w))
            && any(&f.actor, &|w| {
                if w == "me" {
                    is_me(&self.author)
                } else {
                    contains_lower(&self.author, w)
                }
            })
            && any(&f.service, &|w| {
                contains_lower(&self.service_name, w) || contains_lower(&self.key.repo, w)
            })
            && any(&f.host, &|w| self.key.host.label() == w)
            // A workflow names no PR: the term passes them all rather than hide every row.
            && self.words_match(&f.words)
    }

    fn words_match(&self, words: &[String]) -> bool {
        words.iter().all(|w| {
            [
                &self.service_name,
                &self.title,
                &self.branch,
                &self.author,
                &self.key.repo,
            ]
            .iter()
            .any(|field| contains_lower(field, w))
                || self.status_matches(w)
                || w.strip_prefix('#')
                    .is_some_and(|n| n == self.key.number.to_string())
        })
    }

    /// `status:` on a PR: its checks' state, its review (`approved`, `changes`, `review`) or
    /// whether it merges (`draft`, `conflicts`, `mergeable`, `blocked`).
    fn status_matches(&self, wanted: &str) -> bool {
        let review = match wanted {
            "approved" => Some(Review::Approved),
            "changes" | "changes_requested" => Some(Review::ChangesRequested),
            "review" | "required" | "review_required" => Some(Review::Required),
            _ => None,
        };
        review == Some(self.review)
            || self.merge_word() == wanted
            || (wanted == "draft" && self.draft)
            || self
                .checks
                .state()
                .is_some_and(|s| status_matches_state(s, wanted))
    }
}

/// The PR view's state: the open PRs by repository, merged and sorted (mine first), the rows
/// the filter lets through, and the PR whose runs are shown.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PullsState {
    /// The PR view is up instead of the runs.
    pub shown: bool,
    /// By host and repository, as last fetched.
    pub repos: BTreeMap<(Host, String), Vec<Pull>>,
    /// Every open PR: mine first, then those asking me to review, then the rest; each group
    /// most recently updated first.
    pub all: Vec<Pull>,
    /// Indices into `all` of the rows shown.
    pub visible: Vec<usize>,
    /// The PR whose runs the run list shows (`enter` on a PR), and the PR view's cursor to go
    /// back to.
    pub scope: Option<Pull>,
    /// The runs of a PR, as last fetched for it (they are rarely among the newest runs). They
    /// are kept after leaving the PR: its runs' watch may answer "not modified" when the same
    /// PR is opened again before the poller saw it closed, and nothing else would bring them.
    pub runs: Vec<Run>,
    /// Whose runs `runs` are.
    pub runs_of: Option<PullKey>,
    /// The cursor of the view not shown, kept for switching back.
    pub stashed: crate::model::cursor::Cursor,
}

impl PullsState {
    /// Rebuilds the merged, sorted list after a repository's PRs changed.
    pub fn rebuild(&mut self, me: &[String]) {
        let is_me = |who: &str| me.iter().any(|m| m.eq_ignore_ascii_case(who));
        let mut all: Vec<Pull> = self.repos.values().flatten().cloned().collect();
        all.sort_by(|a, b| {
            let rank = |p: &Pull| {
                if is_me(&p.author) {
                    0
                } else if p.requested.iter().any(|r| is_me(r)) {
                    1
                } else {
                    2
                }
            };
            rank(a)
                .cmp(&rank(b))
                .then_with(|| b.updated.cmp(&a.updated))
                .then_with(|| a.key.cmp(&b.key))
        });
        self.all = all;
    }

    /// Recomputes the rows shown from the filter text; `mine` keeps only the user's own PRs.
    pub fn refilter(&mut self, filter_text: &str, me: &[String], mine: bool) {
        let f = Filter::parse(filter_text);
        let is_me = |who: &str| me.iter().any(|m| m.eq_ignore_ascii_case(who));
        self.visible = self
            .all
            .iter()
            .enumerate()
            .filter(|(_, p)| !mine || is_me(&p.author))
            .filter(|(_, p)| p.passes(&f, me))
            .map(|(i, _)| i)
            .collect();
    }

    pub fn selected(&self, row: usize) -> Option<&Pull> {
        self.visible.get(row).and_then(|i| self.all.get(*i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(who: &str, state: &str) -> (String, String) {
        (who.into(), state.into())
    }

    #[test]
    fn the_latest_deciding_review_of_each_reviewer_counts() {
        assert_eq!(Review::from_reviews(&[], 0), Review::None);
        assert_eq!(Review::from_reviews(&[], 2), Review::Required);
        assert_eq!(
            Review::from_reviews(&[r("a", "COMMENTED")], 0),
            Review::Commented
        );
        assert_eq!(
            Review::from_reviews(&[r("a", "APPROVED"), r("a", "COMMENTED")], 1),
            Review::Approved,
            "a comment after an approval keeps it"
        );
        assert_eq!(
            Review::from_reviews(&[r("a", "CHANGES_REQUESTED"), r("a", "APPROVED")], 0),
            Review::Approved,
            "a later approval replaces the same reviewer's request for changes"
        );
        assert_eq!(
            Review::from_reviews(&[r("a", "APPROVED"), r("b", "CHANGES_REQUESTED")], 0),
            Review::ChangesRequested
        );
    }

    #[test]
    fn checks_fail_before_they_run_and_run_before_they_pass() {
        let mut c = Checks::default();
        assert_eq!(c.state(), None);
        c.add(RunState::Success);
        c.add(RunState::Skipped);
        assert_eq!(c.state(), Some(RunState::Success));
        c.add(RunState::Running);
        assert_eq!(c.state(), Some(RunState::Running));
        c.add(RunState::Failure);
        assert_eq!(c.state(), Some(RunState::Failure));
        assert_eq!(c.total(), 4);
    }
}
