//! The sweep: one GraphQL query reads the latest check suites (on each repository's recently
//! pushed branches) and deployments of many repositories, so the poller learns which of them
//! changed for one request instead of two or three each; REST then reads the details of only
//! those. GraphQL has no workflow runs (their state lives on check suites), so a sweep says
//! *that* something moved, never what.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

use super::GithubApi;
use super::api::decode;
use crate::providers::ci::Glance;
use crate::providers::http::{self, Failure, RateLimit};

/// Repositories per query: 50 cost GitHub 3 to 4 points (each asks 6 connections: its refs,
/// three branches' suites, the default branch's suites, its deployments; and one more per
/// watched commit).
pub const BATCH: usize = 50;
/// Branches, newest head first, whose head commit's suites are read.
const BRANCHES: usize = 3;
/// Suites per head commit, and deployments per repository (newest).
const SUITES: usize = 3;
const DEPLOYMENTS: usize = 5;
/// GraphQL points one repository costs in a sweep (GitHub rounds a query's requests / 100).
pub const POINTS_PER_REPO: f64 = (3 + BRANCHES + WATCHED) as f64 / 100.0;

/// Commits per repository whose suites are read besides the heads': those of runs REST saw
/// running.
pub const WATCHED: usize = 2;

/// The query for `n` repositories: one aliased field each, sharing a fragment. The default
/// branch is asked by name as well as among the newest heads: a repository with three newer
/// pull-request branches would otherwise hide its main branch's run (the Overview's CI cell),
/// and its completion would wait for some other change to move the fingerprint.
pub fn query(n: usize) -> String {
    query_watching(&vec![0; n])
}

/// [`query`], with `watched[i]` commits of repository `i` (`$s{i}_{k}`) read by id: a run
/// REST saw running on a commit that is no longer a branch head (a newer push, or a deploy of
/// a newer commit, moved the head) ends on a suite no head shows, and its end would wait for
/// something else to move the fingerprint.
pub fn query_watching(watched: &[usize]) -> String {
    let vars: Vec<String> = watched
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let mut v = format!("$o{i}: String!, $n{i}: String!");
            for k in 0..*w {
                v.push_str(&format!(", $s{i}_{k}: GitObjectID!"));
            }
            v
        })
        .collect();
    let fields: Vec<String> = watched
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let commits: String = (0..*w)
                .map(|k| format!(" w{k}: object(oid: $s{i}_{k}) {{ ...Suites }}"))
                .collect();
            format!("  r{i}: repository(owner: $o{i}, name: $n{i}) {{ ...Latest{commits} }}")
        })
        .collect();
    format!(
        "query Sweep({vars}) {{\n  rateLimit {{ cost remaining resetAt }}\n{fields}\n}}\n\
         fragment Suites on Commit {{ oid checkSuites(last: {SUITES}) {{ nodes {{ databaseId status conclusion }} }} }}\n\
         fragment Latest on Repository {{\n  nameWithOwner\n  \
         defaultBranchRef {{ name target {{ ... on Commit {{ oid checkSuites(last: {SUITES}) {{ nodes {{ databaseId status conclusion }} }} }} }} }}\n  \
         refs(refPrefix: \"refs/heads/\", first: {BRANCHES}, orderBy: {{field: TAG_COMMIT_DATE, direction: DESC}}) {{\n    \
         nodes {{ name target {{ ... on Commit {{ oid checkSuites(last: {SUITES}) {{ nodes {{ databaseId status conclusion }} }} }} }} }}\n  }}\n  \
         deployments(last: {DEPLOYMENTS}) {{ nodes {{ databaseId latestStatus {{ state }} }} }}\n}}\n",
        vars = vars.join(", "),
        fields = fields.join("\n"),
    )
}

#[derive(Debug, Deserialize)]
struct Repo {
    #[serde(rename = "nameWithOwner")]
    name: String,
    #[serde(rename = "defaultBranchRef", default)]
    default_branch: Option<Ref>,
    refs: Option<Nodes<Ref>>,
    deployments: Option<Nodes<Deployment>>,
    /// The watched commits (see [`query_watching`]), `null` for one GitHub does not know.
    #[serde(default)]
    w0: Option<Commit>,
    #[serde(default)]
    w1: Option<Commit>,
}

#[derive(Debug, Deserialize, Hash)]
struct Nodes<T> {
    #[serde(default = "Vec::new")]
    nodes: Vec<Option<T>>,
}

#[derive(Debug, Deserialize, Hash)]
struct Ref {
    name: String,
    target: Option<Commit>,
}

#[derive(Debug, Deserialize, Hash)]
struct Commit {
    #[serde(default)]
    oid: Option<String>,
    #[serde(rename = "checkSuites")]
    check_suites: Option<Nodes<Suite>>,
}

#[derive(Debug, Deserialize, Hash)]
struct Suite {
    #[serde(rename = "databaseId")]
    id: Option<u64>,
    status: Option<String>,
    conclusion: Option<String>,
}

#[derive(Debug, Deserialize, Hash)]
struct Deployment {
    #[serde(rename = "databaseId")]
    id: Option<u64>,
    #[serde(rename = "latestStatus")]
    latest: Option<Status>,
}

#[derive(Debug, Deserialize, Hash)]
struct Status {
    state: String,
}

impl Repo {
    fn glance(&self) -> Glance {
        // The heads and deployments only: the watched commits change with what REST saw.
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (
            &self.name,
            &self.default_branch,
            &self.refs,
            &self.deployments,
        )
            .hash(&mut h);
        let running = |c: &Commit| {
            c.check_suites
                .iter()
                .flat_map(|s| s.nodes.iter().flatten())
                .any(|s| s.status.as_deref().is_some_and(|st| st != "COMPLETED"))
        };
        let watched = || self.w0.iter().chain(self.w1.iter());
        let running_suite = self
            .refs
            .iter()
            .flat_map(|r| r.nodes.iter().flatten())
            .chain(self.default_branch.iter())
            .filter_map(|r| r.target.as_ref())
            .chain(watched())
            .any(running);
        let ended = watched().any(|c| !running(c));
        let unsettled = self
            .deployments
            .iter()
            .flat_map(|d| d.nodes.iter().flatten())
            .any(|d| {
                d.latest.as_ref().is_none_or(|s| {
                    !matches!(
                        s.state.as_str(),
                        "SUCCESS" | "FAILURE" | "ERROR" | "INACTIVE"
                    )
                })
            });
        Glance {
            print: h.finish(),
            busy: running_suite || unsettled,
            ended,
        }
    }
}

/// A GraphQL answer's rate-limit refusal: a 200 whose errors say `RATE_LIMITED`, with the
/// points bucket's reset in the headers.
pub(super) fn limited(body: &Value, headers: &HeaderMap) -> Option<Failure> {
    let errors = body.get("errors")?.as_array()?;
    let hit = errors
        .iter()
        .find(|e| e.get("type").and_then(Value::as_str) == Some("RATE_LIMITED"))?;
    let message = hit
        .get("message")
        .and_then(Value::as_str)
        .map(flightdeck_core::sanitize::line)
        .unwrap_or_default();
    let wait = RateLimit::from_headers(headers)
        .map(|l| {
            let now = http::server_now(headers)
                .map_or_else(|| chrono::Utc::now().timestamp(), |d| d.timestamp());
            std::time::Duration::from_secs(l.reset.saturating_sub(now).max(1) as u64)
        })
        .unwrap_or(http::DEFAULT_LIMIT_WAIT);
    Some(Failure::Limited {
        wait,
        primary: true,
        message,
    })
}

impl GithubApi {
    /// One sweep of `repos` (`owner/name`), a query per [`BATCH`]: each repository found, with
    /// what it shows now. A repository GitHub could not resolve is left out (REST says why).
    /// `repos` come with the commits of the runs REST saw running (at most [`WATCHED`] are
    /// read).
    pub async fn sweep(
        &self,
        repos: &[(String, Vec<String>)],
    ) -> Result<HashMap<String, Glance>, Failure> {
        let mut out = HashMap::new();
        for batch in repos.chunks(BATCH) {
            let mut vars = serde_json::Map::new();
            let mut asked = Vec::new();
            let mut watched = Vec::new();
            for (repo, running) in batch {
                let Some((owner, name)) = repo.split_once('/') else {
                    continue;
                };
                let i = asked.len();
                vars.insert(format!("o{i}"), json!(owner));
                vars.insert(format!("n{i}"), json!(name));
                // A commit id is hex; anything else would be refused and fail the whole query.
                let commits: Vec<&String> = running
                    .iter()
                    .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit()))
                    .take(WATCHED)
                    .collect();
                for (k, sha) in commits.iter().enumerate() {
                    vars.insert(format!("s{i}_{k}"), json!(sha));
                }
                watched.push(commits.len());
                asked.push(repo);
            }
            if asked.is_empty() {
                continue;
            }
            let body = json!({
                "query": query_watching(&watched),
                "variables": vars,
                "operationName": "Sweep",
            });
            let (headers, text) = self.graphql(&body).await?;
            let answer: Value = decode(&text)?;
            if let Some(f) = limited(&answer, &headers) {
                self.scheduler().limited(&f);
                return Err(f);
            }
            let Some(data) = answer.get("data").filter(|d| d.is_object()) else {
                let why = answer
                    .pointer("/errors/0/message")
                    .and_then(Value::as_str)
                    .map(|m| flightdeck_core::sanitize::excerpt(m, 80))
                    .unwrap_or_else(|| "no data".into());
                return Err(Failure::Malformed(format!("GraphQL: {why}")));
            };
            for (i, repo) in asked.iter().enumerate() {
                let Some(v) = data.get(format!("r{i}")).filter(|v| !v.is_null()) else {
                    continue;
                };
                let r: Repo = serde_json::from_value(v.clone())
                    .map_err(|e| Failure::Malformed(http::decode_error(&e)))?;
                out.insert((*repo).clone(), r.glance());
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_names_each_repository_once_and_parses() {
        let q = query(3);
        assert_eq!(q.matches("repository(owner:").count(), 3);
        assert!(q.contains("$o2: String!, $n2: String!"));
        assert!(q.contains("fragment Latest on Repository"));
    }

    #[test]
    fn a_watched_commit_is_asked_by_id_and_its_end_moves_the_print() {
        let q = query_watching(&[2, 0]);
        assert!(q.contains("$o0: String!, $n0: String!, $s0_0: GitObjectID!, $s0_1: GitObjectID!"));
        assert!(q.contains("w1: object(oid: $s0_1) { ...Suites }"));
        assert!(!q.contains("$s1_0"), "{q}");
        let repo = |status: &str| -> Repo {
            serde_json::from_value(json!({
                "nameWithOwner": "acme/pay",
                "refs": { "nodes": [ { "name": "main", "target": { "oid": "def", "checkSuites": { "nodes": [
                    { "databaseId": 8, "status": "COMPLETED", "conclusion": "SUCCESS" } ] } } } ] },
                "w0": { "oid": "abc", "checkSuites": { "nodes": [
                    { "databaseId": 7, "status": status, "conclusion": null } ] } },
                "w1": null
            }))
            .expect("decodes")
        };
        let running = repo("IN_PROGRESS").glance();
        let ended = repo("COMPLETED").glance();
        assert!(running.busy && !running.ended, "the watched run still runs");
        assert!(!ended.busy && ended.ended, "its end is news for REST");
        assert_eq!(
            running.print, ended.print,
            "which commits are watched is not in the print"
        );
    }

    #[test]
    fn a_running_suite_or_unsettled_deployment_is_busy_and_any_change_shows() {
        let repo = |status: &str, deploy: &str| -> Repo {
            serde_json::from_value(json!({
                "nameWithOwner": "acme/pay",
                "refs": { "nodes": [ { "name": "main", "target": { "oid": "abc", "checkSuites": { "nodes": [
                    { "databaseId": 7, "status": status, "conclusion": null } ] } } } ] },
                "deployments": { "nodes": [ { "databaseId": 3, "latestStatus": { "state": deploy } } ] }
            }))
            .expect("decodes")
        };
        let idle = repo("COMPLETED", "SUCCESS").glance();
        assert!(!idle.busy);
        assert!(repo("IN_PROGRESS", "SUCCESS").glance().busy);
        assert!(repo("COMPLETED", "IN_PROGRESS").glance().busy);
        assert_ne!(idle.print, repo("COMPLETED", "FAILURE").glance().print);
        assert_eq!(idle.print, repo("COMPLETED", "SUCCESS").glance().print);
    }

    #[test]
    fn a_rate_limited_answer_waits_for_the_points_reset() {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("x-ratelimit-limit", "5000"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1772438460"),
            ("date", "Mon, 02 Mar 2026 08:00:00 GMT"),
        ] {
            h.insert(k, v.parse().expect("header"));
        }
        let body = json!({"errors":[{"type":"RATE_LIMITED","message":"API rate limit already exceeded for user ID 1."}]});
        let Some(Failure::Limited { wait, primary, .. }) = limited(&body, &h) else {
            panic!("a limit")
        };
        assert!(primary);
        assert_eq!(wait.as_secs(), 60);
    }
}
