//! The delivery history's GraphQL reads: REST needs a request per deployment for its statuses
//! and one per commit for its pull requests, where one GraphQL query reads a page of
//! deployments with their statuses for many repositories, or the pull requests of fifty commits.
//! Compares stay REST (one per deployment is inherent). A query GitHub refuses (an Enterprise
//! Server without these fields, an error answer) makes the caller read through REST instead.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::GithubApi;
use super::super::api::decode;
use crate::providers::http::{self, Failure};
use flightdeck_core::model::delivery::Outcome;
use flightdeck_core::sanitize;

/// Repositories per deployments query: each page asks a status connection per deployment, so
/// 25 repositories of 100 deployments cost GitHub about 25 points.
pub const REPOS_PER_QUERY: usize = 25;
/// Commits per pull-request query (about 3 points).
pub const COMMITS_PER_QUERY: usize = 50;
/// Statuses read per deployment, newest: a deployment's life is a handful of them.
const STATUSES: usize = 20;

/// One repository's next deployments page to ask for.
#[derive(Debug, Clone)]
pub struct PageAsk<'a> {
    pub slug: &'a str,
    pub environment: &'a str,
    pub first: usize,
    pub after: Option<String>,
}

/// One deployment as GraphQL gives it, decoded and sanitised.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub id: u64,
    pub sha: String,
    pub creator: String,
    pub created: DateTime<Utc>,
    /// The newest `success`, `failure` or `error` status, and when.
    pub end: Option<(Outcome, DateTime<Utc>)>,
    /// It will not change again: an outcome, or a state that ends without one (`inactive`,
    /// `abandoned`, `destroyed`).
    pub settled: bool,
}

/// One repository's page: its deployments newest first, and the cursor of the next page.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub nodes: Vec<Node>,
    pub next: Option<String>,
}

/// The deployments query for `asks`: one aliased repository each, sharing a fragment.
pub fn deployments_query(asks: &[PageAsk<'_>]) -> String {
    let vars: Vec<String> = (0..asks.len())
        .map(|i| format!("$o{i}: String!, $n{i}: String!, $e{i}: [String!], $a{i}: String"))
        .collect();
    let fields: Vec<String> = asks
        .iter()
        .enumerate()
        .map(|(i, a)| {
            format!(
                "  r{i}: repository(owner: $o{i}, name: $n{i}) {{ deployments(environments: $e{i}, first: {}, after: $a{i}, orderBy: {{field: CREATED_AT, direction: DESC}}) {{ ...Page }} }}",
                a.first.clamp(1, 100)
            )
        })
        .collect();
    format!(
        "query History({vars}) {{\n  rateLimit {{ cost remaining resetAt }}\n{fields}\n}}\n\
         fragment Page on DeploymentConnection {{\n  pageInfo {{ hasNextPage endCursor }}\n  \
         nodes {{ databaseId commitOid createdAt state creator {{ login }} statuses(last: {STATUSES}) {{ nodes {{ state createdAt }} }} }}\n}}\n",
        vars = vars.join(", "),
        fields = fields.join("\n"),
    )
}

/// The pull-request query for `commits` (repository slug, sha), grouped per repository.
pub fn pulls_query(repos: &[(&str, Vec<&str>)]) -> String {
    let mut vars = Vec::new();
    let mut fields = Vec::new();
    for (i, (_, shas)) in repos.iter().enumerate() {
        vars.push(format!("$o{i}: String!, $n{i}: String!"));
        let objects: Vec<String> = (0..shas.len())
            .map(|j| {
                vars.push(format!("$s{i}_{j}: GitObjectID!"));
                format!("c{j}: object(oid: $s{i}_{j}) {{ ...Pulls }}")
            })
            .collect();
        fields.push(format!(
            "  r{i}: repository(owner: $o{i}, name: $n{i}) {{ {} }}",
            objects.join(" ")
        ));
    }
    format!(
        "query HistoryPulls({vars}) {{\n  rateLimit {{ cost remaining resetAt }}\n{fields}\n}}\n\
         fragment Pulls on Commit {{\n  associatedPullRequests(first: 5) {{ nodes {{ number mergedAt labels(first: 20) {{ nodes {{ name }} }} }} }}\n}}\n",
        vars = vars.join(", "),
        fields = fields.join("\n"),
    )
}

#[derive(Debug, Deserialize)]
struct Conn<T> {
    #[serde(default = "Vec::new")]
    nodes: Vec<Option<T>>,
    #[serde(rename = "pageInfo", default)]
    page_info: Option<PageInfo>,
}

#[derive(Debug, Deserialize)]
struct PageInfo {
    #[serde(rename = "hasNextPage")]
    has_next: bool,
    #[serde(rename = "endCursor")]
    end: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Login {
    #[serde(default)]
    login: String,
}

#[derive(Debug, Deserialize)]
struct Status {
    state: String,
    #[serde(rename = "createdAt")]
    created: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
struct Deployment {
    #[serde(rename = "databaseId")]
    id: Option<u64>,
    #[serde(rename = "commitOid", default)]
    sha: Option<String>,
    #[serde(rename = "createdAt")]
    created: DateTime<Utc>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    creator: Option<Login>,
    #[serde(default)]
    statuses: Option<Conn<Status>>,
}

#[derive(Debug, Deserialize)]
struct RepoDeployments {
    deployments: Option<Conn<Deployment>>,
}

#[derive(Debug, Deserialize)]
struct Label {
    name: String,
}

#[derive(Debug, Deserialize)]
struct Pull {
    number: u64,
    #[serde(rename = "mergedAt")]
    merged: Option<DateTime<Utc>>,
    #[serde(default)]
    labels: Option<Conn<Label>>,
}

#[derive(Debug, Deserialize)]
struct CommitPulls {
    #[serde(rename = "associatedPullRequests")]
    pulls: Option<Conn<Pull>>,
}

/// A deployment's end from its statuses, in whatever order they come: the newest terminal one.
fn end_of(statuses: &[Status]) -> Option<(Outcome, DateTime<Utc>)> {
    statuses
        .iter()
        .filter_map(|s| {
            let o = match s.state.to_ascii_uppercase().as_str() {
                "SUCCESS" => Outcome::Success,
                "FAILURE" => Outcome::Failure,
                "ERROR" => Outcome::Error,
                _ => return None,
            };
            Some((o, s.created))
        })
        .max_by_key(|(_, at)| *at)
}

impl Deployment {
    fn node(self) -> Option<Node> {
        let statuses: Vec<Status> = self
            .statuses
            .map(|c| c.nodes.into_iter().flatten().collect())
            .unwrap_or_default();
        let end = end_of(&statuses);
        let ended_without = |s: &str| {
            matches!(
                s.to_ascii_uppercase().as_str(),
                "INACTIVE" | "ABANDONED" | "DESTROYED"
            )
        };
        let settled = end.is_some()
            || statuses.iter().any(|s| ended_without(&s.state))
            || self.state.as_deref().is_some_and(ended_without);
        Some(Node {
            id: self.id?,
            sha: sanitize::ident(self.sha.as_deref().unwrap_or_default()),
            creator: self
                .creator
                .map(|c| sanitize::ident(&c.login))
                .unwrap_or_default(),
            created: self.created,
            end,
            settled,
        })
    }
}

/// A GraphQL answer's data, or why there is none: a rate limit (the scheduler holds), or an
/// error the caller answers by reading through REST.
fn data_of(headers: &reqwest::header::HeaderMap, text: &str) -> Result<Value, Failure> {
    let answer: Value = decode(text)?;
    if let Some(f) = super::super::sweep::limited(&answer, headers) {
        return Err(f);
    }
    match answer.get("data").filter(|d| d.is_object()) {
        // Partial data with errors (a repository it could not resolve) is used as it is.
        Some(d) => Ok(d.clone()),
        None => {
            let why = answer
                .pointer("/errors/0/message")
                .and_then(Value::as_str)
                .map(|m| sanitize::excerpt(m, 80))
                .unwrap_or_else(|| "no data".into());
            Err(Failure::Malformed(format!("GraphQL: {why}")))
        }
    }
}

impl GithubApi {
    /// One page of deployments for each of `asks` (at most [`REPOS_PER_QUERY`]), in order; a
    /// repository GitHub could not resolve answers `None`.
    pub async fn history_pages(&self, asks: &[PageAsk<'_>]) -> Result<Vec<Option<Page>>, Failure> {
        let mut vars = serde_json::Map::new();
        for (i, a) in asks.iter().enumerate() {
            let (owner, name) = a.slug.split_once('/').unwrap_or((a.slug, ""));
            vars.insert(format!("o{i}"), json!(owner));
            vars.insert(format!("n{i}"), json!(name));
            vars.insert(format!("e{i}"), json!([a.environment]));
            vars.insert(format!("a{i}"), json!(a.after));
        }
        let body = json!({
            "query": deployments_query(asks),
            "variables": vars,
            "operationName": "History",
        });
        let (headers, text) = self.graphql(&body).await?;
        let data = data_of(&headers, &text)?;
        let mut out = Vec::with_capacity(asks.len());
        for i in 0..asks.len() {
            let Some(v) = data.get(format!("r{i}")).filter(|v| !v.is_null()) else {
                out.push(None);
                continue;
            };
            let repo: RepoDeployments = serde_json::from_value(v.clone())
                .map_err(|e| Failure::Malformed(http::decode_error(&e)))?;
            let conn = repo.deployments.ok_or_else(|| {
                Failure::Malformed("GraphQL: a repository without deployments".into())
            })?;
            let next = conn
                .page_info
                .filter(|p| p.has_next)
                .and_then(|p| p.end)
                .map(|c| sanitize::line(&c));
            let nodes = conn
                .nodes
                .into_iter()
                .flatten()
                .filter_map(Deployment::node)
                .collect();
            out.push(Some(Page { nodes, next }));
        }
        Ok(out)
    }

    /// The merged pull request (number, labels) behind each of `commits` (slug, sha), at most
    /// [`COMMITS_PER_QUERY`]; a commit with none, or one GitHub does not know, answers
    /// `(None, [])`, as REST's empty list does.
    pub async fn history_pulls(
        &self,
        commits: &[(&str, &str)],
    ) -> Result<Vec<(Option<u64>, Vec<String>)>, Failure> {
        // Grouped per repository, keeping where each commit sits in the answer.
        let mut repos: Vec<(&str, Vec<&str>)> = Vec::new();
        let mut at = Vec::with_capacity(commits.len());
        for (slug, sha) in commits {
            let i = match repos.iter().position(|(s, _)| s == slug) {
                Some(i) => i,
                None => {
                    repos.push((slug, vec![]));
                    repos.len() - 1
                }
            };
            at.push((i, repos[i].1.len()));
            repos[i].1.push(sha);
        }
        let mut vars = serde_json::Map::new();
        for (i, (slug, shas)) in repos.iter().enumerate() {
            let (owner, name) = slug.split_once('/').unwrap_or((slug, ""));
            vars.insert(format!("o{i}"), json!(owner));
            vars.insert(format!("n{i}"), json!(name));
            for (j, sha) in shas.iter().enumerate() {
                vars.insert(format!("s{i}_{j}"), json!(sha));
            }
        }
        let body = json!({
            "query": pulls_query(&repos),
            "variables": vars,
            "operationName": "HistoryPulls",
        });
        let (headers, text) = self.graphql(&body).await?;
        let data = data_of(&headers, &text)?;
        let mut out = Vec::with_capacity(commits.len());
        for (i, j) in at {
            let v = data
                .pointer(&format!("/r{i}/c{j}"))
                .filter(|v| !v.is_null());
            let Some(v) = v else {
                out.push((None, vec![]));
                continue;
            };
            let c: CommitPulls = serde_json::from_value(v.clone())
                .map_err(|e| Failure::Malformed(http::decode_error(&e)))?;
            let merged = c
                .pulls
                .into_iter()
                .flat_map(|p| p.nodes.into_iter().flatten())
                .find(|p| p.merged.is_some());
            out.push(merged.map_or((None, vec![]), |p| {
                let labels = p
                    .labels
                    .into_iter()
                    .flat_map(|l| l.nodes.into_iter().flatten())
                    .map(|l| sanitize::line(&l.name))
                    .collect();
                (Some(p.number), labels)
            }));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queries_alias_each_repository_and_commit_once() {
        let asks = [
            PageAsk {
                slug: "acme/a",
                environment: "production",
                first: 10,
                after: None,
            },
            PageAsk {
                slug: "acme/b",
                environment: "production",
                first: 100,
                after: Some("x".into()),
            },
        ];
        let q = deployments_query(&asks);
        assert_eq!(q.matches("repository(owner:").count(), 2);
        assert!(q.contains("first: 10, after: $a0"));
        assert!(q.contains("first: 100, after: $a1"));
        let p = pulls_query(&[("acme/a", vec!["abc", "def"]), ("acme/b", vec!["123"])]);
        assert!(p.contains("c1: object(oid: $s0_1)"));
        assert!(p.contains("r1: repository(owner: $o1, name: $n1) { c0: object(oid: $s1_0)"));
    }

    #[test]
    fn a_deployment_ends_at_its_newest_terminal_status_and_inactive_alone_settles_it() {
        let d = |statuses: Value, state: &str| -> Node {
            let v = json!({
                "databaseId": 7, "commitOid": "abc1234", "createdAt": "2026-03-01T10:00:00Z",
                "state": state, "creator": { "login": "jdoe\u{1b}[31m" },
                "statuses": { "nodes": statuses },
            });
            serde_json::from_value::<Deployment>(v)
                .expect("decodes")
                .node()
                .expect("an id")
        };
        // Oldest first, as GitHub lists them: the success, then its supersession.
        let ok = d(
            json!([
                { "state": "IN_PROGRESS", "createdAt": "2026-03-01T10:00:01Z" },
                { "state": "SUCCESS", "createdAt": "2026-03-01T10:05:00Z" },
                { "state": "INACTIVE", "createdAt": "2026-03-02T10:05:00Z" },
            ]),
            "INACTIVE",
        );
        assert_eq!(ok.end.map(|e| e.0), Some(Outcome::Success));
        assert!(ok.settled);
        assert_eq!(ok.creator, "jdoe^[[31m", "the escape is shown, not obeyed");
        let open = d(
            json!([{ "state": "IN_PROGRESS", "createdAt": "2026-03-01T10:00:01Z" }]),
            "IN_PROGRESS",
        );
        assert!(open.end.is_none() && !open.settled);
        let dropped = d(
            json!([{ "state": "INACTIVE", "createdAt": "2026-03-01T10:00:01Z" }]),
            "INACTIVE",
        );
        assert!(dropped.end.is_none() && dropped.settled);
    }
}
