//! `POST /graphql`: the part of GitHub's GraphQL schema the cockpit's sweep reads (each
//! repository's recently pushed branches with their heads' check suites, and its latest
//! deployments with their latest status), parsed and executed as GraphQL (aliases, variables,
//! fragments, inline fragments), with the cost, node count and `rateLimit` GitHub reports and a
//! points bucket of its own per token.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use graphql_parser::query::{
    Definition, Document, Field, FragmentDefinition, OperationDefinition, Selection, SelectionSet,
    TypeCondition, Value as Gql,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::json::{run_branch, statuses_json};
use super::server::{Bucket, Gh, Github, common_headers};
use crate::ci::{Attempt, DeploymentView, JobEnd};
use crate::rest::{ts, wall_ts};
use crate::world::{ScheduledRun, Service, hash_str};
use flightdeck_core::sync::lock;

/// GraphQL's primary limit: points an hour per token, its own bucket beside REST's.
const POINTS_PER_HOUR: u64 = 5000;
/// GitHub refuses a query that could return more nodes than this.
const NODE_LIMIT: u64 = 500_000;
/// The bucket key of a token's GraphQL points, beside its REST bucket.
const GRAPHQL_SALT: u64 = 0x6772_6170_686c_0000;

#[derive(Debug, Deserialize)]
pub(super) struct Request {
    query: String,
    #[serde(default)]
    variables: Option<Map<String, Value>>,
    #[serde(default, rename = "operationName")]
    operation_name: Option<String>,
}

fn errors(list: Vec<Value>) -> Value {
    json!({ "errors": list })
}

fn error(message: impl Into<String>) -> Value {
    json!({ "message": message.into() })
}

pub(super) async fn graphql(
    State(gh): Gh,
    headers: HeaderMap,
    body: Result<Json<Request>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
    else {
        // GitHub's GraphQL API takes no anonymous calls.
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({
                "message": "This endpoint requires you to be authenticated.",
                "documentation_url": "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql",
            })),
        )
            .into_response();
    };
    let Ok(Json(req)) = body else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "message": "Problems parsing JSON", "documentation_url": "https://docs.github.com/graphql" })),
        )
            .into_response();
    };
    let key = hash_str(auth) ^ GRAPHQL_SALT;
    let wall = Utc::now().timestamp();
    let bucket = {
        let mut buckets = lock(&gh.buckets);
        let b = buckets.entry(key).or_insert(Bucket {
            limit: POINTS_PER_HOUR,
            used: 0,
            reset: wall + 3600,
        });
        if wall >= b.reset {
            b.used = 0;
            b.reset = wall + 3600;
        }
        *b
    };
    let doc = match graphql_parser::parse_query::<&str>(&req.query) {
        Ok(d) => d,
        Err(e) => {
            let first = e.to_string();
            let first = first.lines().next().unwrap_or_default().to_string();
            return answer(
                errors(vec![error(format!("Parse error: {first}"))]),
                &bucket,
            );
        }
    };
    let fragments: HashMap<&str, &FragmentDefinition<&str>> = doc
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::Fragment(f) => Some((f.name, f)),
            Definition::Operation(_) => None,
        })
        .collect();
    let Some(selection) = operation(&doc, req.operation_name.as_deref()) else {
        return answer(
            errors(vec![error(
                "No operation to run: name one with operationName, or send one query",
            )]),
            &bucket,
        );
    };
    let vars = req.variables.unwrap_or_default();
    let cx = Cx {
        gh: &gh,
        vars: &vars,
        fragments: &fragments,
        now: gh.shared.story_now(),
    };
    let (requests, nodes) = cx.count(selection, "Query", 1);
    if nodes > NODE_LIMIT {
        return answer(
            errors(vec![json!({
                "type": "MAX_NODE_LIMIT_EXCEEDED",
                "message": format!("This query requests up to {nodes} possible nodes which exceeds the maximum limit of {NODE_LIMIT}."),
            })]),
            &bucket,
        );
    }
    let cost = ((requests as f64 / 100.0).round() as u64).max(1);
    if bucket.used + cost > bucket.limit {
        let mut exhausted = bucket;
        exhausted.used = exhausted.limit;
        return answer(
            errors(vec![json!({
                "type": "RATE_LIMITED",
                "code": "graphql_rate_limit",
                "message": "API rate limit already exceeded for user ID 1.",
            })]),
            &exhausted,
        );
    }
    let charged = {
        let mut buckets = lock(&gh.buckets);
        let b = buckets.entry(key).or_insert(bucket);
        b.used += cost;
        *b
    };
    let mut errs = Vec::new();
    let data = cx.select(
        &Node::Query(Limits {
            cost,
            nodes,
            bucket: charged,
        }),
        selection,
        &mut Vec::new(),
        &mut errs,
    );
    let mut body = json!({ "data": data });
    if !errs.is_empty() {
        body["errors"] = Value::Array(errs);
    }
    let mut r = answer(body, &charged);
    history_label(&mut r, req.operation_name.as_deref());
    r
}

/// The delivery history's queries are counted apart from the sweep's (`/graphql History`), so
/// a measurement can tell what reading history cost.
fn history_label(r: &mut Response, operation: Option<&str>) {
    if let Some(op) = operation.filter(|o| o.starts_with("History")) {
        r.extensions_mut()
            .insert(crate::control::EndpointLabel(format!("/graphql {op}")));
    }
}

fn answer(body: Value, b: &Bucket) -> Response {
    let mut r = (StatusCode::OK, Json(body)).into_response();
    let h = r.headers_mut();
    common_headers(h);
    let remaining = b.limit.saturating_sub(b.used);
    for (name, value) in [
        ("x-ratelimit-limit", b.limit.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-used", b.used.to_string()),
        ("x-ratelimit-reset", b.reset.to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    h.insert("x-ratelimit-resource", HeaderValue::from_static("graphql"));
    r
}

/// The selection of the operation to run: the named one, or the only one.
fn operation<'d>(
    doc: &'d Document<'d, &'d str>,
    name: Option<&str>,
) -> Option<&'d SelectionSet<'d, &'d str>> {
    let mut chosen = None;
    for d in &doc.definitions {
        let Definition::Operation(o) = d else {
            continue;
        };
        let named = match o {
            OperationDefinition::Query(q) => q.name,
            OperationDefinition::Mutation(m) => m.name,
            OperationDefinition::Subscription(s) => s.name,
            OperationDefinition::SelectionSet(_) => None,
        };
        if name.is_some() && named != name {
            continue;
        }
        if chosen.is_some() {
            // Several operations and no name to choose by.
            return None;
        }
        chosen = Some(o);
    }
    match chosen? {
        OperationDefinition::Query(q) => Some(&q.selection_set),
        OperationDefinition::SelectionSet(s) => Some(s),
        // The sim serves reads only.
        OperationDefinition::Mutation(_) | OperationDefinition::Subscription(_) => None,
    }
}

#[derive(Debug, Clone, Copy)]
struct Limits {
    cost: u64,
    nodes: u64,
    bucket: Bucket,
}

/// What a repository's fields are read from, computed once per repository and query.
struct RepoData<'g> {
    svc: &'g Service,
    /// Every run with its latest attempt, newest first.
    runs: Vec<(ScheduledRun, Attempt)>,
    /// Every deployment, newest first, with its latest status's state and time.
    deployments: Vec<(DeploymentView, String, String)>,
    /// Delivery history: every deployment's statuses (state, time), newest first, in the
    /// order of `deployments`.
    statuses: Vec<Vec<(String, String)>>,
}

/// A value being resolved: an object of some GraphQL type.
enum Node<'g, 'r> {
    Query(Limits),
    RateLimit(Limits),
    Repository(&'r RepoData<'g>),
    Ref(&'r RepoData<'g>, &'static str, String),
    Commit(&'r RepoData<'g>, String),
    CheckSuite(&'r RepoData<'g>, usize),
    WorkflowRun(&'r RepoData<'g>, usize),
    Deployment(&'r RepoData<'g>, usize),
    DeploymentStatus(&'r RepoData<'g>, usize),
    Connection(Vec<Node<'g, 'r>>, usize),
    // Delivery history's types: a page of a connection with its `pageInfo`, a deployment's
    // creator and statuses, a commit's pull requests and their labels.
    Paged(Vec<Node<'g, 'r>>, usize, usize, bool),
    PageInfo(usize, bool),
    Actor(String),
    Status(String, String),
    PullRequest(crate::world::history::Pull),
    Label(&'static str),
}

impl Node<'_, '_> {
    fn typename(&self) -> &'static str {
        match self {
            Node::Query(_) => "Query",
            Node::RateLimit(_) => "RateLimit",
            Node::Repository(_) => "Repository",
            Node::Ref(..) => "Ref",
            Node::Commit(..) => "Commit",
            Node::CheckSuite(..) => "CheckSuite",
            Node::WorkflowRun(..) => "WorkflowRun",
            Node::Deployment(..) => "Deployment",
            Node::DeploymentStatus(..) => "DeploymentStatus",
            Node::Connection(..) => "Connection",
            Node::Paged(..) => "Connection",
            Node::PageInfo(..) => "PageInfo",
            Node::Actor(..) => "User",
            Node::Status(..) => "DeploymentStatus",
            Node::PullRequest(..) => "PullRequest",
            Node::Label(..) => "Label",
        }
    }
}

/// What a field resolved to.
enum Out<'g, 'r> {
    Leaf(Value),
    Object(Node<'g, 'r>),
    /// A repository, resolved below its own field (it owns the data its fields read).
    Repo(Box<RepoData<'g>>),
    List(Vec<Node<'g, 'r>>),
}

struct Cx<'a> {
    gh: &'a Github,
    vars: &'a Map<String, Value>,
    fragments: &'a HashMap<&'a str, &'a FragmentDefinition<'a, &'a str>>,
    now: DateTime<Utc>,
}

/// The connection types' element type, for counting through fragments.
fn field_type(parent: &str, field: &str) -> &'static str {
    match (parent, field) {
        ("Query", "repository") => "Repository",
        ("Query", "rateLimit") => "RateLimit",
        ("Repository", "refs") => "RefConnection",
        ("Repository", "defaultBranchRef") => "Ref",
        ("Repository", "deployments") => "DeploymentConnection",
        ("RefConnection", "nodes") => "Ref",
        ("Ref", "target") => "Commit",
        ("Commit", "checkSuites") => "CheckSuiteConnection",
        ("CheckSuiteConnection", "nodes") => "CheckSuite",
        ("CheckSuite", "workflowRun") => "WorkflowRun",
        ("DeploymentConnection", "nodes") => "Deployment",
        ("Deployment", "latestStatus") => "DeploymentStatus",
        // Delivery history.
        ("Deployment", "statuses") => "DeploymentStatusConnection",
        ("DeploymentStatusConnection", "nodes") => "DeploymentStatus",
        ("Repository", "object") => "Commit",
        ("Commit", "associatedPullRequests") => "PullRequestConnection",
        ("PullRequestConnection", "nodes") => "PullRequest",
        ("PullRequest", "labels") => "LabelConnection",
        ("LabelConnection", "nodes") => "Label",
        _ => "",
    }
}

impl<'a> Cx<'a> {
    fn arg<'b>(&self, field: &Field<'b, &'b str>, name: &str) -> Option<Value> {
        field
            .arguments
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| self.value(v))
            .filter(|v| !v.is_null())
    }

    fn value<'b>(&self, v: &Gql<'b, &'b str>) -> Value {
        match v {
            Gql::Variable(n) => self.vars.get(*n).cloned().unwrap_or(Value::Null),
            Gql::Int(n) => n.as_i64().map_or(Value::Null, Value::from),
            Gql::Float(f) => json!(f),
            Gql::String(s) => Value::String(s.clone()),
            Gql::Boolean(b) => Value::Bool(*b),
            Gql::Null => Value::Null,
            Gql::Enum(e) => Value::String((*e).to_string()),
            Gql::List(l) => Value::Array(l.iter().map(|x| self.value(x)).collect()),
            Gql::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| ((*k).to_string(), self.value(x)))
                    .collect(),
            ),
        }
    }

    /// The fields of a selection on an object of type `on`, fragments expanded.
    fn fields<'s>(
        &self,
        set: &'s SelectionSet<'a, &'a str>,
        on: &str,
        out: &mut Vec<&'s Field<'a, &'a str>>,
    ) where
        'a: 's,
    {
        for item in &set.items {
            match item {
                Selection::Field(f) => out.push(f),
                Selection::InlineFragment(i) => {
                    let applies = i
                        .type_condition
                        .as_ref()
                        .is_none_or(|TypeCondition::On(t)| type_matches(t, on));
                    if applies {
                        self.fields(&i.selection_set, on, out);
                    }
                }
                Selection::FragmentSpread(s) => {
                    if let Some(f) = self.fragments.get(s.fragment_name) {
                        let TypeCondition::On(t) = &f.type_condition;
                        if type_matches(t, on) {
                            // The fragment lives as long as the document.
                            self.fields(&f.selection_set, on, out);
                        }
                    }
                }
            }
        }
    }

    /// GitHub's cost: each connection needs as many requests as its parents can return
    /// nodes; the node count is what every connection could return in all.
    fn count(&self, set: &SelectionSet<'a, &'a str>, on: &str, parents: u64) -> (u64, u64) {
        let mut fields = Vec::new();
        self.fields(set, on, &mut fields);
        let (mut requests, mut nodes) = (0u64, 0u64);
        for f in fields {
            let ty = field_type(on, f.name);
            let page = self
                .arg(f, "first")
                .or_else(|| self.arg(f, "last"))
                .and_then(|v| v.as_u64());
            let inner = match page {
                Some(n) => {
                    requests = requests.saturating_add(parents);
                    let n = parents.saturating_mul(n.clamp(1, 100));
                    nodes = nodes.saturating_add(n);
                    n
                }
                None => parents,
            };
            if !ty.is_empty() {
                let (r, n) = self.count(&f.selection_set, ty, inner);
                requests = requests.saturating_add(r);
                nodes = nodes.saturating_add(n);
            }
        }
        (requests, nodes)
    }

    fn select<'r>(
        &self,
        node: &Node<'a, 'r>,
        set: &SelectionSet<'a, &'a str>,
        path: &mut Vec<Value>,
        errs: &mut Vec<Value>,
    ) -> Value
    where
        'a: 'r,
    {
        let mut fields = Vec::new();
        self.fields(set, node.typename(), &mut fields);
        let mut out = Map::new();
        for f in fields {
            let key = f.alias.unwrap_or(f.name);
            path.push(Value::String(key.to_string()));
            let v = match self.resolve(node, f) {
                Ok(Out::Leaf(v)) => v,
                Ok(Out::Object(n)) => self.select(&n, &f.selection_set, path, errs),
                Ok(Out::Repo(data)) => {
                    let n = Node::Repository(&data);
                    self.select(&n, &f.selection_set, path, errs)
                }
                Ok(Out::List(items)) => Value::Array(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, n)| {
                            path.push(json!(i));
                            let v = self.select(n, &f.selection_set, path, errs);
                            path.pop();
                            v
                        })
                        .collect(),
                ),
                Err(mut e) => {
                    e["path"] = Value::Array(path.clone());
                    e["locations"] =
                        json!([{ "line": f.position.line, "column": f.position.column }]);
                    errs.push(e);
                    Value::Null
                }
            };
            path.pop();
            out.insert(key.to_string(), v);
        }
        Value::Object(out)
    }

    fn repo_data(&self, svc: &'a Service) -> RepoData<'a> {
        let gh = self.gh;
        let runs: Vec<(ScheduledRun, Attempt)> = gh
            .runs(svc, self.now)
            .into_iter()
            .map(|r| {
                let a = gh.latest(&r);
                (r, a)
            })
            .collect();
        let all = super::handlers::deployments(gh, svc, self.now);
        let deployments = all
            .iter()
            .map(|d| {
                let statuses = statuses_json(
                    &gh.shared.clock,
                    gh.base(),
                    gh.world(),
                    svc,
                    d,
                    &all,
                    self.now,
                );
                let latest = statuses.first();
                let word = |k: &str| {
                    latest
                        .and_then(|s| s.get(k))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string()
                };
                (d.clone(), word("state"), word("created_at"))
            })
            .collect();
        // Delivery history reads every status of a deployment, not only its latest.
        let statuses = all
            .iter()
            .map(|d| {
                statuses_json(
                    &gh.shared.clock,
                    gh.base(),
                    gh.world(),
                    svc,
                    d,
                    &all,
                    self.now,
                )
                .iter()
                .map(|s| {
                    let word = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or_default();
                    (word("state").to_string(), word("created_at").to_string())
                })
                .collect()
            })
            .collect();
        RepoData {
            svc,
            runs,
            deployments,
            statuses,
        }
    }

    fn resolve<'r>(&self, node: &Node<'a, 'r>, f: &Field<'a, &'a str>) -> Result<Out<'a, 'r>, Value>
    where
        'a: 'r,
    {
        let gh = self.gh;
        let c = &gh.shared.clock;
        let leaf = |v: Value| Ok(Out::Leaf(v));
        if f.name == "__typename" {
            return leaf(json!(node.typename()));
        }
        let first = self.arg(f, "first").and_then(|v| v.as_u64());
        let last = self.arg(f, "last").and_then(|v| v.as_u64());
        let page = |n: usize| -> (usize, usize) {
            // The slice of an oldest-first list of `n` that `first`/`last` pick.
            match (first, last) {
                (Some(k), _) => (0, n.min(k.min(100) as usize)),
                (None, Some(k)) => (n.saturating_sub(k.min(100) as usize), n),
                (None, None) => (0, n.min(100)),
            }
        };
        match (node, f.name) {
            (Node::Query(l), "rateLimit") => Ok(Out::Object(Node::RateLimit(*l))),
            (Node::Query(_), "repository") => {
                let owner = self.arg(f, "owner");
                let name = self.arg(f, "name");
                let (Some(Value::String(owner)), Some(Value::String(name))) = (owner, name) else {
                    return Err(error(
                        "Field 'repository' is missing required arguments: owner, name",
                    ));
                };
                match gh.service(&owner, &name) {
                    Ok(svc) => Ok(Out::Repo(Box::new(self.repo_data(svc)))),
                    Err(_) => Err(json!({
                        "type": "NOT_FOUND",
                        "message": format!("Could not resolve to a Repository with the name '{owner}/{name}'."),
                    })),
                }
            }
            (Node::RateLimit(l), field) => match field {
                "cost" => leaf(json!(l.cost)),
                "limit" => leaf(json!(l.bucket.limit)),
                "remaining" => leaf(json!(l.bucket.limit.saturating_sub(l.bucket.used))),
                "used" => leaf(json!(l.bucket.used)),
                "nodeCount" => leaf(json!(l.nodes)),
                "resetAt" => leaf(json!(
                    DateTime::from_timestamp(l.bucket.reset, 0).map(wall_ts)
                )),
                other => Err(no_field(other, "RateLimit")),
            },
            (Node::Repository(r), field) => match field {
                "nameWithOwner" => leaf(json!(r.svc.repo)),
                "defaultBranchRef" => Ok(default_branch_ref(r)),
                "name" => leaf(json!(r.svc.repo.rsplit('/').next())),
                "refs" => {
                    // Branches by their heads' commit dates, newest first (TAG_COMMIT_DATE
                    // DESC, the only order the sim keeps): a branch's head is its newest run's
                    // commit.
                    let mut heads: Vec<(&'static str, &ScheduledRun)> = Vec::new();
                    for (run, _) in &r.runs {
                        let b = run_branch(run);
                        if !heads.iter().any(|(h, _)| *h == b) {
                            heads.push((b, run));
                        }
                    }
                    heads.sort_by_key(|(_, run)| std::cmp::Reverse(run.commit.at));
                    let total = heads.len();
                    let (from, to) = match (first, last) {
                        (Some(k), _) => (0, total.min(k.min(100) as usize)),
                        (None, Some(k)) => (total.saturating_sub(k.min(100) as usize), total),
                        (None, None) => (0, total.min(100)),
                    };
                    let nodes = heads[from..to]
                        .iter()
                        .map(|(b, run)| Node::Ref(r, b, run.commit.sha.clone()))
                        .collect();
                    Ok(Out::Object(Node::Connection(nodes, total)))
                }
                "deployments" if self.history_page(f) => self.deployments_page(r, f),
                "object" => self.object(r, f),
                "deployments" => {
                    // Oldest first, as GitHub's default order (CREATED_AT ASC) lists them.
                    let n = r.deployments.len();
                    let desc = self
                        .arg(f, "orderBy")
                        .and_then(|o| o.get("direction").cloned())
                        .is_some_and(|d| d == "DESC");
                    let mut order: Vec<usize> = (0..n).rev().collect();
                    if desc {
                        order.reverse();
                    }
                    let (from, to) = page(n);
                    let nodes = order[from..to]
                        .iter()
                        .map(|i| Node::Deployment(r, *i))
                        .collect();
                    Ok(Out::Object(Node::Connection(nodes, n)))
                }
                other => Err(no_field(other, "Repository")),
            },
            (Node::Connection(nodes, total), field) => match field {
                "totalCount" => leaf(json!(total)),
                "nodes" => Ok(Out::List(nodes.iter().map(Node::shallow_clone).collect())),
                other => Err(no_field(other, "Connection")),
            },
            (Node::Ref(r, name, sha), field) => match field {
                "name" => leaf(json!(name)),
                "prefix" => leaf(json!("refs/heads/")),
                "target" => Ok(Out::Object(Node::Commit(r, sha.clone()))),
                other => Err(no_field(other, "Ref")),
            },
            (Node::Commit(r, sha), field) => match field {
                "oid" => leaf(json!(sha)),
                "checkSuites" => {
                    // A commit's suites oldest first: one per run of it.
                    let mut of: Vec<usize> = (0..r.runs.len())
                        .filter(|i| r.runs[*i].0.commit.sha == *sha)
                        .collect();
                    of.reverse();
                    let (from, to) = page(of.len());
                    let nodes = of[from..to]
                        .iter()
                        .map(|i| Node::CheckSuite(r, *i))
                        .collect();
                    Ok(Out::Object(Node::Connection(nodes, of.len())))
                }
                "associatedPullRequests" => {
                    let pulls: Vec<Node> = gh
                        .world()
                        .pull_of(&r.svc.name, sha)
                        .filter(|p| p.merged <= self.now)
                        .map(Node::PullRequest)
                        .into_iter()
                        .collect();
                    let n = pulls.len();
                    let (from, to) = page(n);
                    let nodes = pulls.into_iter().skip(from).take(to - from).collect();
                    Ok(Out::Object(Node::Connection(nodes, n)))
                }
                other => Err(no_field(other, "Commit")),
            },
            (Node::CheckSuite(r, i), field) => {
                let (run, attempt) = &r.runs[*i];
                match field {
                    // The same suite id the REST run carries.
                    "databaseId" => leaf(json!(run.id / 10 + u64::from(attempt.number) * 7)),
                    "status" => leaf(json!(attempt.status(self.now).to_uppercase())),
                    "conclusion" => leaf(json!(
                        attempt
                            .conclusion(self.now)
                            .map(|e| JobEnd::github(e).to_uppercase())
                    )),
                    "createdAt" => leaf(json!(ts(c, run.created))),
                    "updatedAt" => leaf(json!(ts(c, attempt.updated(self.now)))),
                    "branch" => leaf(json!({ "name": run_branch(run) })),
                    "workflowRun" => Ok(Out::Object(Node::WorkflowRun(r, *i))),
                    other => Err(no_field(other, "CheckSuite")),
                }
            }
            (Node::WorkflowRun(r, i), field) => {
                let (run, _) = &r.runs[*i];
                match field {
                    "databaseId" => leaf(json!(run.id)),
                    "runNumber" => leaf(json!(run.number)),
                    "url" => leaf(json!(format!(
                        "{}/{}/actions/runs/{}",
                        gh.base(),
                        r.svc.repo,
                        run.id
                    ))),
                    other => Err(no_field(other, "WorkflowRun")),
                }
            }
            (Node::Deployment(r, i), field) => {
                let (d, state, _) = &r.deployments[*i];
                match field {
                    "databaseId" => leaf(json!(d.job.id)),
                    "environment" => leaf(json!(d.environment)),
                    "commitOid" => leaf(json!(d.run.commit.sha)),
                    "createdAt" => leaf(json!(ts(c, d.job.start))),
                    "state" => leaf(json!(deployment_state(state))),
                    "creator" => Ok(Out::Object(Node::Actor(d.run.actor.clone()))),
                    "statuses" => {
                        // GitHub lists a deployment's statuses oldest first.
                        let all: Vec<Node> = r.statuses[*i]
                            .iter()
                            .rev()
                            .map(|(s, at)| Node::Status(s.clone(), at.clone()))
                            .collect();
                        let n = all.len();
                        let (from, to) = page(n);
                        let nodes = all.into_iter().skip(from).take(to - from).collect();
                        Ok(Out::Object(Node::Connection(nodes, n)))
                    }
                    "latestStatus" => Ok(if state.is_empty() {
                        Out::Leaf(Value::Null)
                    } else {
                        Out::Object(Node::DeploymentStatus(r, *i))
                    }),
                    other => Err(no_field(other, "Deployment")),
                }
            }
            (Node::DeploymentStatus(r, i), field) => {
                let (_, state, at) = &r.deployments[*i];
                match field {
                    "state" => leaf(json!(state.to_uppercase())),
                    "createdAt" | "updatedAt" => leaf(json!(at)),
                    other => Err(no_field(other, "DeploymentStatus")),
                }
            }
            (
                node @ (Node::Paged(..)
                | Node::PageInfo(..)
                | Node::Actor(_)
                | Node::Status(..)
                | Node::PullRequest(_)
                | Node::Label(_)),
                field,
            ) => history_field(node, field, first, last, c),
            (n, other) => Err(no_field(other, n.typename())),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Delivery history: a repository's deployments of some environments page by page (newest
// first, with `after` cursors and `pageInfo`), each with its creator and statuses, and a
// commit's merged pull requests with their labels, from the same story REST serves.
// ---------------------------------------------------------------------------------------------

/// A page's cursor: the offset after its last node.
fn cursor(end: usize) -> String {
    format!("cursor:{end}")
}

impl<'a> Cx<'a> {
    /// Whether a `deployments` field asks what the history reads (environments, a cursor or
    /// an order), rather than the sweep's newest few.
    fn history_page(&self, f: &Field<'a, &'a str>) -> bool {
        ["environments", "after", "orderBy"]
            .iter()
            .any(|a| self.arg(f, a).is_some())
    }

    /// `deployments(environments:, first:, after:, orderBy: {field: CREATED_AT, direction:})`.
    fn deployments_page<'r>(
        &self,
        r: &'r RepoData<'a>,
        f: &Field<'a, &'a str>,
    ) -> Result<Out<'a, 'r>, Value>
    where
        'a: 'r,
    {
        let envs: Option<Vec<String>> = self.arg(f, "environments").map(|v| match v {
            Value::Array(l) => l
                .iter()
                .filter_map(|e| e.as_str().map(str::to_string))
                .collect(),
            Value::String(s) => vec![s],
            _ => vec![],
        });
        let desc = self
            .arg(f, "orderBy")
            .and_then(|o| o.get("direction").cloned())
            .is_some_and(|d| d == "DESC");
        // `r.deployments` is newest first.
        let mut order: Vec<usize> = (0..r.deployments.len())
            .filter(|i| {
                envs.as_ref()
                    .is_none_or(|l| l.iter().any(|e| e == r.deployments[*i].0.environment))
            })
            .collect();
        if !desc {
            order.reverse();
        }
        let total = order.len();
        let start = match self.arg(f, "after") {
            None => 0,
            Some(Value::String(c)) => c
                .strip_prefix("cursor:")
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| error(format!("`{c}` does not appear to be a valid cursor.")))?,
            Some(_) => {
                return Err(error(
                    "Argument 'after' on Field 'deployments' has an invalid value.",
                ));
            }
        };
        let size = self
            .arg(f, "first")
            .and_then(|v| v.as_u64())
            .map_or(100, |k| k.min(100) as usize);
        let from = start.min(total);
        let to = (from + size).min(total);
        let nodes = order[from..to]
            .iter()
            .map(|i| Node::Deployment(r, *i))
            .collect();
        Ok(Out::Object(Node::Paged(nodes, total, to, to < total)))
    }

    /// `object(oid:)`: a commit of the repository's history or its runs; null otherwise.
    fn object<'r>(&self, r: &'r RepoData<'a>, f: &Field<'a, &'a str>) -> Result<Out<'a, 'r>, Value>
    where
        'a: 'r,
    {
        let Some(Value::String(oid)) = self.arg(f, "oid") else {
            return Err(error("Field 'object' needs an argument: oid or expression"));
        };
        let known = self.gh.world().pull_of(&r.svc.name, &oid).is_some()
            || r.runs.iter().any(|(run, _)| run.commit.sha == oid);
        Ok(if known {
            Out::Object(Node::Commit(r, oid))
        } else {
            Out::Leaf(Value::Null)
        })
    }
}

/// The fields of the history's own node types.
fn history_field<'g, 'r>(
    node: &Node<'g, 'r>,
    field: &str,
    first: Option<u64>,
    last: Option<u64>,
    c: &crate::world::SimClock,
) -> Result<Out<'g, 'r>, Value> {
    let leaf = |v: Value| Ok(Out::Leaf(v));
    match (node, field) {
        (Node::Paged(_, total, _, _), "totalCount") => leaf(json!(total)),
        (Node::Paged(nodes, ..), "nodes") => {
            Ok(Out::List(nodes.iter().map(Node::shallow_clone).collect()))
        }
        (Node::Paged(_, _, end, more), "pageInfo") => Ok(Out::Object(Node::PageInfo(*end, *more))),
        (Node::PageInfo(_, more), "hasNextPage") => leaf(json!(more)),
        (Node::PageInfo(end, _), "endCursor") => leaf(json!(cursor(*end))),
        (Node::Actor(login), "login") => leaf(json!(login)),
        (Node::Status(state, _), "state") => leaf(json!(state.to_uppercase())),
        (Node::Status(_, at), "createdAt" | "updatedAt") => leaf(json!(at)),
        (Node::PullRequest(p), f) => match f {
            "number" => leaf(json!(p.number)),
            "title" => leaf(json!(p.title)),
            "mergedAt" => leaf(json!(ts(c, p.merged))),
            "merged" => leaf(json!(true)),
            "state" => leaf(json!("MERGED")),
            "labels" => {
                let all: Vec<Node> = p.labels.iter().map(|l| Node::Label(l)).collect();
                let n = all.len();
                let k = first.or(last).map_or(100, |k| k.min(100) as usize);
                let nodes = all.into_iter().take(k).collect();
                Ok(Out::Object(Node::Connection(nodes, n)))
            }
            other => Err(no_field(other, "PullRequest")),
        },
        (Node::Label(name), "name") => leaf(json!(name)),
        (n, other) => Err(no_field(other, n.typename())),
    }
}

impl<'g, 'r> Node<'g, 'r> {
    /// Connections hand out their nodes by value; every node is a few references.
    fn shallow_clone(&self) -> Node<'g, 'r> {
        match self {
            Node::Query(l) => Node::Query(*l),
            Node::RateLimit(l) => Node::RateLimit(*l),
            Node::Repository(r) => Node::Repository(r),
            Node::Ref(r, b, s) => Node::Ref(r, b, s.clone()),
            Node::Commit(r, s) => Node::Commit(r, s.clone()),
            Node::CheckSuite(r, i) => Node::CheckSuite(r, *i),
            Node::WorkflowRun(r, i) => Node::WorkflowRun(r, *i),
            Node::Deployment(r, i) => Node::Deployment(r, *i),
            Node::DeploymentStatus(r, i) => Node::DeploymentStatus(r, *i),
            Node::Connection(n, t) => {
                Node::Connection(n.iter().map(Node::shallow_clone).collect(), *t)
            }
            Node::Paged(n, t, e, m) => {
                Node::Paged(n.iter().map(Node::shallow_clone).collect(), *t, *e, *m)
            }
            Node::PageInfo(e, m) => Node::PageInfo(*e, *m),
            Node::Actor(l) => Node::Actor(l.clone()),
            Node::Status(s, a) => Node::Status(s.clone(), a.clone()),
            Node::PullRequest(p) => Node::PullRequest(p.clone()),
            Node::Label(l) => Node::Label(l),
        }
    }
}

/// The default branch (`main` in the story), so a query sees it however many pull-request
/// branches were pushed since; none before its first run. Its head is the newest commit pushed
/// to it, not the commit of its newest run: a deploy that starts after the next push runs on
/// the older commit, and taking its commit hid the newer commit's CI run.
fn default_branch_ref<'g, 'r>(r: &'r RepoData<'g>) -> Out<'g, 'r> {
    r.runs
        .iter()
        .filter(|(run, _)| run_branch(run) == "main")
        .max_by_key(|(run, _)| run.commit.at)
        .map_or(Out::Leaf(Value::Null), |(run, _)| {
            Out::Object(Node::Ref(r, "main", run.commit.sha.clone()))
        })
}

/// A deployment's own state, from its latest status, as GitHub's `DeploymentState` names it.
fn deployment_state(latest: &str) -> &'static str {
    match latest {
        "success" => "ACTIVE",
        "failure" => "FAILURE",
        "error" => "ERROR",
        "inactive" => "INACTIVE",
        "in_progress" => "IN_PROGRESS",
        "queued" => "QUEUED",
        _ => "PENDING",
    }
}

/// Whether an object of type `on` satisfies a fragment's type condition (`GitObject` is the
/// interface a ref's target implements; the connections answer to their own names).
fn type_matches(condition: &str, on: &str) -> bool {
    condition == on
        || (condition == "GitObject" && on == "Commit")
        || (condition == "Node" && on != "Query" && on != "RateLimit")
        || (condition.ends_with("Connection") && on == "Connection")
}

fn no_field(field: &str, on: &str) -> Value {
    json!({
        "extensions": { "code": "undefinedField", "typeName": on, "fieldName": field },
        "message": format!("Field '{field}' doesn't exist on type '{on}'"),
    })
}
