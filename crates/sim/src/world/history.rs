//! Ninety days of delivery history before the story's recent hours: commits merged through pull
//! requests, and production deploys with different profiles (a daily elite service, a weekly one
//! with long lead times, one with rollbacks and hotfixes, one whose failure took a day to
//! recover). Pure functions of the seed, like the rest of the world; the deploy runs it plans
//! become GitHub's and GitLab's deployments through the same CI model as the recent ones.

use chrono::{DateTime, Duration, Utc};

use super::{Commit, HISTORY, RunKind, RunOutcome, ScheduledRun, World, epoch, hash, run_id};

/// How far back the delivery history reaches before the recent hours.
pub const DAYS: i64 = 90;
/// Deploy-run sequence numbers of the history start here, far below the cycles' ones.
const SEQ: i64 = -900_000;
/// Commit numbers of the history start here, apart from CI's and the cycles' ones.
const COMMIT_SEQ: i64 = 2_000_000;

/// How a service delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Two deploys a day, small changes, hours of lead time, nothing fails.
    Elite,
    /// A deploy a week with a week's commits in it.
    Weekly,
    /// Daily deploys; now and then a bad one, rolled back, then a hotfix.
    Rocky,
    /// Every other day; one failure forty days ago that took more than a day to fix.
    SlowRecovery,
    /// Every other day, a failed deploy once in a while, fixed hours later.
    Steady,
}

impl Profile {
    pub fn of(name: &str) -> Self {
        match name {
            "catalog-search" => Self::Elite,
            "ledger" => Self::Weekly,
            "checkout-web" => Self::Rocky,
            "order-router" => Self::SlowRecovery,
            _ => Self::Steady,
        }
    }
}

/// A merged pull request: the one behind each history commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    pub number: u64,
    pub title: String,
    pub author: String,
    pub labels: Vec<&'static str>,
    pub merged: DateTime<Utc>,
    pub merge_sha: String,
}

/// A service's planned history: commits oldest first (each merged by its pull request), and
/// deploy runs oldest first.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub commits: Vec<(Commit, Pull)>,
    pub deploys: Vec<ScheduledRun>,
}

const FEATURES: &[&str] = &[
    "Add request tracing to the HTTP handlers",
    "Cache the price list for five minutes",
    "Log the upstream status on retries",
    "Split the handler module",
    "Tidy error messages for 4xx responses",
    "Raise the pool size under load",
    "Paginate the admin listing",
    "Drop the unused feature flag",
];
const FIXES: &[&str] = &[
    "Hotfix: guard against a null price",
    "Fix the currency rounding in totals",
    "Hotfix: restore the old session cookie name",
];

impl World {
    /// The history of `service` (empty for an unknown one). Everything in it lies before the
    /// recent hours, so it is the same at every story instant: planned once, then shared.
    pub fn history(&self, service: &str) -> std::sync::Arc<Plan> {
        let mut known = flightdeck_core::sync::lock(&self.histories);
        known
            .entry(service.to_string())
            .or_insert_with(|| std::sync::Arc::new(self.plan_history(service)))
            .clone()
    }

    fn plan_history(&self, service: &str) -> Plan {
        let Some(svc) = self.service(service) else {
            return Plan::default();
        };
        let si = self.service_index(service);
        let seed = self.config.seed;
        let profile = Profile::of(service);
        let end = epoch() - HISTORY;
        let start = end - Duration::days(DAYS);
        let mut plan = Plan::default();
        let mut seq = 0i64;
        let mut pr = 0u64;
        // Commits merged since the last deploy's commit, waiting for the next deploy.
        let mut t = start + Duration::minutes((hash(seed, &[si, 51]) % 600) as i64);
        let mut last_commit_at = start;
        let mut live: Vec<Commit> = Vec::new();
        let mut slow_failure_done = false;
        let mut add_commit = |plan: &mut Plan, at: DateTime<Utc>, title: String, labels| {
            pr += 1;
            let key = hash(seed, &[si, pr, 53]);
            let author = self.pick_member(&svc.owner, key);
            let sha = self.sha(service, COMMIT_SEQ + pr as i64);
            let commit = Commit {
                sha: sha.clone(),
                message: format!("{title} (#{pr})"),
                author: author.clone(),
                at,
            };
            plan.commits.push((
                commit.clone(),
                Pull {
                    number: pr,
                    title,
                    author,
                    labels,
                    merged: at,
                    merge_sha: sha,
                },
            ));
            commit
        };
        while t < end - Duration::hours(12) {
            seq += 1;
            let key = hash(seed, &[si, seq as u64, 57]);
            let (gap, commits) = match profile {
                Profile::Elite => (
                    Duration::hours(10) + Duration::minutes((key % 180) as i64),
                    1 + key % 2,
                ),
                Profile::Weekly => (Duration::days(7), 4 + key % 5),
                Profile::Rocky => (
                    Duration::hours(22) + Duration::minutes((key % 240) as i64),
                    1 + key % 3,
                ),
                Profile::SlowRecovery | Profile::Steady => (
                    Duration::hours(44) + Duration::minutes((key % 300) as i64),
                    1 + key % 3,
                ),
            };
            // The commits of this deploy, spread between the last one and a while before it.
            let lead = match profile {
                Profile::Elite => Duration::hours(4),
                Profile::Weekly => gap,
                _ => Duration::hours(16),
            };
            let from = (t - lead).max(last_commit_at + Duration::minutes(1));
            let span = (t - Duration::minutes(20) - from)
                .num_seconds()
                .max(commits as i64);
            let mut head = None;
            for k in 0..commits {
                let at = from + Duration::seconds(span * (k as i64 + 1) / (commits as i64 + 1));
                let title = FEATURES[((key >> 8) + k) as usize % FEATURES.len()].to_string();
                let labels = vec!["enhancement"];
                head = Some(add_commit(&mut plan, at, title, labels));
                last_commit_at = at;
            }
            let Some(head) = head else {
                break;
            };
            let fails = match profile {
                Profile::Elite | Profile::Weekly | Profile::Rocky => false,
                Profile::SlowRecovery => !slow_failure_done && t >= end - Duration::days(40),
                Profile::Steady => key.is_multiple_of(13),
            };
            let bad = profile == Profile::Rocky && key.is_multiple_of(5) && live.len() > 1;
            self.push_deploy(&mut plan, si, seq, &head, t, !fails);
            if fails {
                // Fixed later: hours for most; more than a day for the slow one, with a second
                // failed try on the way.
                let mut next = t + Duration::hours(3);
                if profile == Profile::SlowRecovery {
                    slow_failure_done = true;
                    seq += 1;
                    self.push_deploy(&mut plan, si, seq, &head, next, false);
                    next = t + Duration::hours(26);
                }
                seq += 1;
                let fix = add_commit(
                    &mut plan,
                    next - Duration::minutes(30),
                    FIXES[(key % FIXES.len() as u64) as usize].replace("Hotfix: ", "Fix: "),
                    vec!["incident"],
                );
                last_commit_at = next - Duration::minutes(30);
                self.push_deploy(&mut plan, si, seq, &fix, next, true);
                live.push(fix);
                t = next + gap;
                continue;
            }
            if bad {
                // Rolled back to the version before it within two hours, then fixed forward.
                let Some(back) = live.last().cloned() else {
                    break;
                };
                seq += 1;
                let rollback_at = t + Duration::minutes(90);
                self.push_deploy(&mut plan, si, seq, &back, rollback_at, true);
                seq += 1;
                let fix_at = t + Duration::hours(5);
                let fix = add_commit(
                    &mut plan,
                    fix_at - Duration::minutes(40),
                    FIXES[(key % FIXES.len() as u64) as usize].to_string(),
                    vec!["hotfix"],
                );
                last_commit_at = fix_at - Duration::minutes(40);
                self.push_deploy(&mut plan, si, seq, &fix, fix_at, true);
                live.push(fix);
                t = fix_at + gap;
                continue;
            }
            live.push(head);
            t += gap;
        }
        plan
    }

    fn push_deploy(
        &self,
        plan: &mut Plan,
        si: u64,
        seq: i64,
        head: &Commit,
        created: DateTime<Utc>,
        succeeds: bool,
    ) {
        let key = hash(self.config.seed, &[si, seq as u64, 59]);
        let actor = head.author.clone();
        let took = Duration::seconds(150 + (key % 200) as i64);
        plan.deploys.push(ScheduledRun {
            id: run_id(si, RunKind::Deploy, SEQ + seq),
            service: self.services[si as usize].name.clone(),
            kind: RunKind::Deploy,
            number: 0,
            commit: head.clone(),
            actor,
            created,
            started: created + Duration::seconds(4),
            finished: created + Duration::seconds(4) + took,
            outcome: if succeeds {
                RunOutcome::Success
            } else {
                RunOutcome::Failure
            },
            environments: vec!["staging", "production"],
            // The production job, so staging is live and production is what failed.
            failing_job: (!succeeds).then_some(1),
            pull: None,
        });
    }

    /// The pull request that merged `sha`, when the history has one.
    pub fn pull_of(&self, service: &str, sha: &str) -> Option<Pull> {
        self.history(service)
            .commits
            .iter()
            .find(|(c, _)| c.sha == sha)
            .map(|(_, p)| p.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::SimConfig;

    fn world() -> World {
        World::new(SimConfig::default())
    }

    #[test]
    fn profiles_differ_as_described() {
        let w = world();
        let elite = w.history("catalog-search");
        assert!(
            elite.deploys.len() as i64 >= 2 * DAYS - 10,
            "about two a day"
        );
        let weekly = w.history("ledger");
        assert!((12..=14).contains(&weekly.deploys.len()), "one a week");
        let rocky = w.history("checkout-web");
        let shas: Vec<&str> = rocky
            .deploys
            .iter()
            .map(|d| d.commit.sha.as_str())
            .collect();
        let rollbacks = (1..shas.len())
            .filter(|&i| shas[..i - 1].contains(&shas[i]) && shas[i - 1] != shas[i])
            .count();
        assert!(rollbacks >= 3, "rollbacks now and then: {rollbacks}");
        assert!(
            rocky
                .commits
                .iter()
                .any(|(_, p)| p.labels.contains(&"hotfix")),
            "hotfixes carry the label"
        );
        let slow = w.history("order-router");
        let failed: Vec<&ScheduledRun> = slow
            .deploys
            .iter()
            .filter(|d| d.outcome == RunOutcome::Failure)
            .collect();
        assert_eq!(failed.len(), 2, "a failure and a failed second try");
        let recovered = slow
            .deploys
            .iter()
            .find(|d| d.created > failed[1].created)
            .map(|d| d.finished - failed[0].finished);
        assert!(recovered.is_some_and(|r| r > Duration::hours(24)));
    }

    #[test]
    fn history_lies_before_the_recent_hours_and_commits_precede_their_deploys() {
        let w = world();
        for svc in &w.services {
            let plan = w.history(&svc.name);
            let end = epoch() - HISTORY;
            assert!(plan.deploys.iter().all(|d| d.finished < end));
            for d in &plan.deploys {
                assert!(
                    d.commit.at < d.created,
                    "{}: commit after its deploy",
                    svc.name
                );
            }
            let mut times: Vec<_> = plan.commits.iter().map(|(c, _)| c.at).collect();
            let sorted = times.clone();
            times.sort();
            assert_eq!(times, sorted, "commits are merged in order");
        }
    }
}
