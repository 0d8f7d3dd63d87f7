//! The open pull requests the story has for each of the world's GitHub-hosted services, with
//! their pushes and reviews: a pure function of the seed, the service and the moment, so the
//! server's run schedule and the `pulls` handlers read the same PRs, and a PR view can be tested
//! against the same PRs every run.

use chrono::{DateTime, Duration, Utc};

use crate::ci::DEMO_USER;
use crate::world::{
    CiHost, Commit, RunKind, RunOutcome, ScheduledRun, Service, World, epoch, hash, hash_str,
};

const BRANCHES: &[&str] = &[
    "fix/retry-budget",
    "feat/structured-logs",
    "chore/bump-deps",
    "fix/timeout-config",
];
const TITLES: &[&str] = &[
    "Retry idempotent calls with a budget",
    "Log as JSON with trace ids",
    "Bump dependencies",
    "Make the upstream timeout configurable",
];
const LABELS: &[&str] = &["bug", "enhancement", "dependencies", "needs-review"];
const REVIEW_STATES: &[&str] = &["APPROVED", "CHANGES_REQUESTED", "COMMENTED"];

/// Pull-request runs get ids from here on: past the world's (10e9 + …) and below launched
/// services' (80e9) and dispatched runs (90e9).
pub const PULL_RUN_IDS: u64 = 70_000_000_000;

/// One open pull request as the story has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    pub number: u64,
    pub title: String,
    pub author: String,
    pub branch: &'static str,
    /// The newest pushed head at the moment asked about.
    pub head_sha: String,
    /// Every push of the head branch so far, `(sha, at)`, oldest first: each ran CI.
    pub pushes: Vec<(String, DateTime<Utc>)>,
    pub draft: bool,
    pub labels: Vec<String>,
    pub requested: Vec<String>,
    pub created: DateTime<Utc>,
    /// `(reviewer, state, at)`, oldest first; only those submitted by the moment asked about.
    pub reviews: Vec<(String, String, DateTime<Utc>)>,
    pub mergeable: bool,
}

impl Pull {
    /// When anything about it last changed: GitHub moves `updated_at` on pushes and reviews.
    pub fn updated(&self) -> DateTime<Utc> {
        let pushed = self.pushes.last().map(|p| p.1);
        let reviewed = self.reviews.last().map(|r| r.2);
        [Some(self.created), pushed, reviewed]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(self.created)
    }
}

pub(super) fn sha_of(seed: u64, keys: &[u64]) -> String {
    (0..3)
        .map(|i| {
            let mut k = keys.to_vec();
            k.push(i);
            format!("{:016x}", hash(seed, &k))
        })
        .collect::<String>()
        .chars()
        .take(40)
        .collect()
}

/// The open PRs of a service at `now`, newest first: none to three, authored and reviewed by
/// its team. They were opened before the story began (so their times do not move with the
/// clock); some get a second push and reviews while the story runs. The demo user's team's
/// first service always has one of the demo user's own, so "mine first" has something to show.
pub fn pulls(world: &World, svc: &Service, now: DateTime<Utc>) -> Vec<Pull> {
    // Repositories created from templates start with no pull requests.
    if !world
        .services
        .iter()
        .any(|s| s.name == svc.name && s.repo == svc.repo)
    {
        return Vec::new();
    }
    let seed = world.config.seed;
    let key = hash_str(&svc.name);
    let members: Vec<&str> = world
        .teams
        .iter()
        .find(|t| t.name == svc.owner)
        .map(|t| t.members.iter().map(String::as_str).collect())
        .unwrap_or_default();
    if members.is_empty() {
        return Vec::new();
    }
    let mine = members.contains(&DEMO_USER)
        && world
            .services
            .iter()
            .find(|s| s.owner == svc.owner && s.ci == CiHost::Github)
            .is_some_and(|s| s.name == svc.name);
    let pick = |h: u64| members[(h % members.len() as u64) as usize].to_string();
    let count = (hash(seed, &[key, 1]) % 4).max(u64::from(mine));
    let start = epoch();
    let mut out: Vec<Pull> = (0..count)
        .map(|i| {
            let h = |n: u64| hash(seed, &[key, 2, i, n]);
            let at = (h(0) % TITLES.len() as u64) as usize;
            let author = if mine && i == 0 {
                DEMO_USER.to_string()
            } else {
                pick(h(1))
            };
            let others: Vec<&str> = members.iter().copied().filter(|m| *m != author).collect();
            let created = start - Duration::minutes(30 + (h(2) % (72 * 60)) as i64);
            let mut pushes = vec![(sha_of(seed, &[key, 3, i]), created)];
            if h(8).is_multiple_of(3) {
                // A fix pushed while the story runs: its checks run in the demo's first minutes.
                let again = start + Duration::minutes(2 + (h(9) % 25) as i64);
                pushes.push((sha_of(seed, &[key, 3, i, 1]), again));
            }
            pushes.retain(|p| p.1 <= now);
            let reviews: Vec<(String, String, DateTime<Utc>)> = (0..h(3) % 3)
                .filter_map(|r| {
                    let who = others.get((h(10 + r) % others.len().max(1) as u64) as usize)?;
                    let state = REVIEW_STATES[(h(20 + r) % REVIEW_STATES.len() as u64) as usize];
                    // The second review comes during the story.
                    let at = if r == 0 {
                        created + Duration::minutes(10)
                    } else {
                        start + Duration::minutes(5 + (h(30 + r) % 40) as i64)
                    };
                    Some((who.to_string(), state.to_string(), at))
                })
                .filter(|r| r.2 <= now)
                .collect();
            let requested: Vec<String> = others
                .iter()
                .filter(|o| !reviews.iter().any(|(w, _, _)| w == *o))
                .take((h(4) % 2) as usize)
                .map(|o| o.to_string())
                .collect();
            Pull {
                number: 100 + i,
                title: TITLES[at].to_string(),
                author,
                branch: BRANCHES[at],
                head_sha: pushes.last().map(|p| p.0.clone()).unwrap_or_default(),
                pushes,
                draft: h(5) % 5 == 0,
                labels: vec![LABELS[(h(6) % LABELS.len() as u64) as usize].to_string()],
                requested,
                created,
                reviews,
                mergeable: h(7) % 4 != 0,
            }
        })
        .filter(|p| !p.pushes.is_empty())
        .collect();
    out.sort_by_key(|p| std::cmp::Reverse(p.number));
    out
}

/// The CI runs of a service's open PRs at `now`: one `pull_request` run per push of each
/// head, so a PR's checks and its runs come from the same jobs.
pub fn pull_runs(world: &World, svc: &Service, now: DateTime<Utc>) -> Vec<ScheduledRun> {
    let seed = world.config.seed;
    let key = hash_str(&svc.name);
    let mut out = Vec::new();
    for p in pulls(world, svc, now) {
        for (n, (sha, at)) in p.pushes.iter().enumerate() {
            let h = hash(seed, &[key, 6, p.number, n as u64]);
            let outcome = if h.is_multiple_of(4) {
                RunOutcome::Failure
            } else {
                RunOutcome::Success
            };
            let created = *at + Duration::seconds(20);
            if created > now {
                continue;
            }
            let queued = Duration::seconds(5 + (h % 20) as i64);
            let duration = Duration::seconds(150 + (h % 240) as i64);
            out.push(ScheduledRun {
                id: PULL_RUN_IDS + (key % 1_000_000) * 1000 + p.number * 10 + n as u64,
                service: svc.name.clone(),
                kind: RunKind::Ci,
                // Numbered past the schedule's runs, like dispatched ones.
                number: 5000 + p.number * 10 + n as u64,
                commit: Commit {
                    sha: sha.clone(),
                    message: p.title.clone(),
                    author: p.author.clone(),
                    at: *at,
                },
                actor: p.author.clone(),
                created,
                started: created + queued,
                finished: created + queued + duration,
                outcome,
                environments: vec![],
                failing_job: (outcome == RunOutcome::Failure).then_some((h % 3) as usize),
                pull: Some((p.number, p.branch)),
            });
        }
    }
    out
}
