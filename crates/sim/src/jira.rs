//! The sim's Jira: Cloud REST v3 (`/rest/api/3/search/jql` paged by `nextPageToken`, issues in
//! Atlassian Document Format, transitions, comments) and the Server/Data Center v2 search
//! (`/rest/api/2/search` paged by `startAt`), over the story's issues. JQL is read in the small
//! subset the cockpit writes (`AND`ed clauses on assignee, statusCategory, status, project,
//! component, labels, `resolved` against a date, `ORDER BY`); anything else is refused with
//! Jira's 400, as a typo would be.
//! Transitions and comments live in this server's overlay.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::rest::param;
use crate::work::{self, StoryIssue};
use crate::{Shared, SimClock};
use flightdeck_core::sync::lock;
use flightdeck_core::wire::jira::{
    Comment, Comments, DoTransition, Fields, Issue, Named, Project, SearchPage, Status,
    StatusCategory, Transition, Transitions, User, adf_of_text, format_time,
};

/// The workflow every project shares: (transition id, status, status category).
const WORKFLOW: &[(&str, &str, &str)] = &[
    ("11", "To Do", "new"),
    ("21", "In Progress", "indeterminate"),
    ("31", "In Review", "indeterminate"),
    ("41", "Done", "done"),
];

struct Jira {
    shared: Arc<Shared>,
    overlay: Mutex<HashMap<String, Changed>>,
}

#[derive(Debug, Clone, Default)]
struct Changed {
    status: Option<(&'static str, DateTime<Utc>)>,
    comments: Vec<(String, String, DateTime<Utc>)>,
}

type St = State<Arc<Jira>>;
type Params = Query<Vec<(String, String)>>;

pub fn router(shared: Arc<Shared>) -> Router {
    let jira = Arc::new(Jira {
        shared,
        overlay: Mutex::default(),
    });
    Router::new()
        .route(
            "/rest/api/3/search/jql",
            get(search_v3).post(search_v3_post),
        )
        .route("/rest/api/2/search", get(search_v2))
        .route("/rest/api/{v}/issue/{key}", get(issue))
        .route(
            "/rest/api/{v}/issue/{key}/transitions",
            get(transitions).post(transition),
        )
        .route(
            "/rest/api/{v}/issue/{key}/comment",
            get(comments).post(add_comment),
        )
        .route("/rest/api/{v}/myself", get(myself))
        .route("/rest/api/{v}/serverInfo", get(server_info))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "Not Found") })
        .layer(axum::middleware::from_fn(auth))
        .with_state(jira)
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"errorMessages": [message], "errors": {}})),
    )
        .into_response()
}

/// Basic (Cloud: email and API token) or Bearer (Data Center personal access token).
async fn auth(req: Request, next: Next) -> Response {
    let ok = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Basic ") || v.starts_with("Bearer "));
    if !ok {
        return error(
            StatusCode::UNAUTHORIZED,
            "You are not authenticated. Authentication required to perform this operation.",
        );
    }
    next.run(req).await
}

/// Who the caller is: the person whose email is the Basic user, else the sim's user.
fn caller(jira: &Jira, headers: &HeaderMap) -> String {
    let basic_user = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| decode_base64(b.trim()))
        .and_then(|s| s.split_once(':').map(|(u, _)| u.to_string()));
    basic_user
        .and_then(|u| {
            jira.shared
                .world
                .people
                .iter()
                .find(|p| p.email.eq_ignore_ascii_case(&u) || p.login == u)
                .map(|p| p.login.clone())
        })
        .unwrap_or_else(|| work::ME.to_string())
}

fn decode_base64(s: &str) -> Option<String> {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = T.iter().position(|t| *t == c)? as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    String::from_utf8(out).ok()
}

fn user(jira: &Jira, login: &str) -> User {
    User {
        account_id: Some(format!("5b10{:016x}", crate::world::hash_str(login))),
        name: Some(login.to_string()),
        display_name: Some(
            jira.shared
                .world
                .person(login)
                .map_or(login, |p| p.display_name.as_str())
                .to_string(),
        ),
    }
}

/// The story's issues as they stand now, with users' transitions applied.
fn current(jira: &Jira) -> Vec<(StoryIssue, &'static str, DateTime<Utc>)> {
    let now = jira.shared.story_now();
    let overlay = lock(&jira.overlay);
    work::issues(&jira.shared.world, now)
        .into_iter()
        .map(|mut i| {
            let (status, updated) = match overlay.get(&i.key).and_then(|c| c.status) {
                Some((s, at)) => {
                    // Moved by a user: resolved when it reached a done status, and no longer
                    // when it left one.
                    i.resolved = (category(s) == "done").then_some(at);
                    (s, at)
                }
                None => (i.status, i.updated),
            };
            (i, status, updated)
        })
        .collect()
}

fn category(status: &str) -> &'static str {
    WORKFLOW
        .iter()
        .find(|(_, s, _)| *s == status)
        .map_or("new", |(_, _, c)| c)
}

fn to_wire(jira: &Jira, i: &StoryIssue, status: &str, updated: DateTime<Utc>, full: bool) -> Issue {
    let clock = &jira.shared.clock;
    let comments = full.then(|| {
        let overlay = lock(&jira.overlay);
        let mine = overlay
            .get(&i.key)
            .map(|c| c.comments.clone())
            .unwrap_or_default();
        Comments {
            comments: mine
                .iter()
                .enumerate()
                .map(|(n, (by, text, at))| Comment {
                    id: Some(format!("{}", 10_000 + n)),
                    author: Some(user(jira, by)),
                    body: adf_of_text(text),
                    created: Some(format_time(clock.wall(*at))),
                })
                .collect(),
        }
    });
    Issue {
        id: Some(format!(
            "{}",
            10_000 + crate::world::hash_str(&i.key) % 90_000
        )),
        key: i.key.clone(),
        fields: Fields {
            summary: i.summary.clone(),
            status: Some(Status {
                name: status.to_string(),
                status_category: Some(StatusCategory {
                    key: category(status).into(),
                }),
            }),
            priority: Some(Named {
                name: i.priority.into(),
            }),
            issuetype: Some(Named {
                name: i.kind.into(),
            }),
            assignee: i.assignee.as_deref().map(|a| user(jira, a)),
            reporter: Some(user(jira, &i.reporter)),
            labels: i.labels.clone(),
            components: vec![Named {
                name: i.service.clone(),
            }],
            project: Some(Project {
                key: i.project.clone(),
            }),
            created: Some(format_time(clock.wall(i.created))),
            updated: Some(format_time(clock.wall(updated))),
            resolutiondate: i.resolved.map(|r| format_time(clock.wall(r))),
            description: if full {
                markdown_to_adf(&i.description)
            } else {
                Value::Null
            },
            comment: comments,
            issuelinks: vec![],
            sprint: json!([{"id": 7, "name": "Sprint 7", "state": "active"}]),
        },
    }
}

/// The story's descriptions are written in Markdown; served as ADF the way Jira Cloud stores
/// them: headings, bullet items, paragraphs, `code` and **strong** marks.
fn markdown_to_adf(md: &str) -> Value {
    let mut content = Vec::new();
    let mut bullets = Vec::new();
    let flush = |bullets: &mut Vec<Value>, content: &mut Vec<Value>| {
        if !bullets.is_empty() {
            content.push(json!({"type": "bulletList", "content": std::mem::take(bullets)}));
        }
    };
    for block in md.split('\n') {
        if let Some(item) = block.strip_prefix("- ") {
            bullets.push(json!({"type": "listItem", "content": [{"type": "paragraph", "content": inline(item)}]}));
            continue;
        }
        flush(&mut bullets, &mut content);
        if block.is_empty() {
            continue;
        }
        let level = block.chars().take_while(|c| *c == '#').count();
        if level > 0 {
            content.push(json!({"type": "heading", "attrs": {"level": level}, "content": inline(block[level..].trim())}));
        } else {
            content.push(json!({"type": "paragraph", "content": inline(block)}));
        }
    }
    flush(&mut bullets, &mut content);
    json!({"type": "doc", "version": 1, "content": content})
}

/// `code` and **strong** runs as ADF text with marks.
fn inline(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let next = [("`", "code"), ("**", "strong")]
            .iter()
            .filter_map(|(d, m)| rest.find(d).map(|at| (at, *d, *m)))
            .min_by_key(|(at, _, _)| *at);
        let Some((at, delim, mark)) = next else {
            out.push(json!({"type": "text", "text": rest}));
            break;
        };
        let after = &rest[at + delim.len()..];
        let Some(end) = after.find(delim) else {
            out.push(json!({"type": "text", "text": rest}));
            break;
        };
        if at > 0 {
            out.push(json!({"type": "text", "text": &rest[..at]}));
        }
        out.push(json!({"type": "text", "text": &after[..end], "marks": [{"type": mark}]}));
        rest = &after[end + delim.len()..];
    }
    out
}

/// One clause of the JQL subset, as a filter.
/// A JQL clause as a test of an issue and its current status.
type Filter = Box<dyn Fn(&StoryIssue, &str) -> bool>;

/// A JQL date (`"2026-03-01"`, `"2026/03/01 14:05"`), read as UTC on the wall.
fn jql_date(value: &str) -> Option<DateTime<Utc>> {
    let v = value
        .trim()
        .trim_matches('"')
        .trim_matches('\'')
        .replace('/', "-");
    let at = chrono::NaiveDateTime::parse_from_str(&v, "%Y-%m-%d %H:%M")
        .ok()
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                .ok()?
                .and_hms_opt(0, 0, 0)
        })?;
    Some(at.and_utc())
}

fn clause(c: &str, me: &str, clock: &SimClock) -> Result<Filter, String> {
    let c = c.trim();
    // `resolved` compares dates: `resolved >= "2026-03-01"`.
    for (op, keep) in [
        (
            ">=",
            std::cmp::Ordering::is_ge as fn(std::cmp::Ordering) -> bool,
        ),
        ("<=", std::cmp::Ordering::is_le),
        (">", std::cmp::Ordering::is_gt),
        ("<", std::cmp::Ordering::is_lt),
    ] {
        let Some((field, value)) = c.split_once(op) else {
            continue;
        };
        let field = field.trim().to_lowercase();
        if field != "resolved" && field != "resolutiondate" {
            return Err(format!(
                "Error in the JQL Query: '{op}' is not supported for field '{field}'."
            ));
        }
        let at = jql_date(value)
            .map(|wall| clock.story(wall))
            .ok_or_else(|| {
                format!(
                    "Date value '{}' for field '{field}' is invalid.",
                    value.trim()
                )
            })?;
        return Ok(Box::new(move |i, _| {
            i.resolved.is_some_and(|r| keep(r.cmp(&at)))
        }));
    }
    let (field, op, value) = ["!=", "=", " in ", " IN "]
        .iter()
        .find_map(|op| {
            c.split_once(op)
                .map(|(f, v)| (f.trim().to_lowercase(), op.trim().to_lowercase(), v.trim()))
        })
        .ok_or_else(|| format!("Error in the JQL Query: '{c}' is not a clause."))?;
    let unquote = |v: &str| v.trim_matches('"').trim_matches('\'').to_string();
    let list: Vec<String> = if op == "in" {
        value
            .trim_start_matches('(')
            .trim_end_matches(')')
            .split(',')
            .map(unquote)
            .collect()
    } else {
        vec![unquote(value)]
    };
    let negate = op == "!=";
    let me = me.to_string();
    let test: Filter = match field.as_str() {
        "assignee" => Box::new(move |i, _| {
            list.iter().any(|v| {
                let v = if v.eq_ignore_ascii_case("currentUser()") {
                    me.as_str()
                } else {
                    v
                };
                i.assignee.as_deref() == Some(v)
            })
        }),
        "statuscategory" => Box::new(move |_, status| {
            let cat = category(status);
            list.iter().any(|v| {
                let v = v.to_lowercase();
                (v == "done" && cat == "done")
                    || (v == "to do" && cat == "new")
                    || (v == "in progress" && cat == "indeterminate")
                    || v == cat
            })
        }),
        "status" => Box::new(move |_, status| list.iter().any(|v| v.eq_ignore_ascii_case(status))),
        "project" => Box::new(move |i, _| list.iter().any(|v| v.eq_ignore_ascii_case(&i.project))),
        "component" => Box::new(move |i, _| list.contains(&i.service)),
        "labels" => Box::new(move |i, _| list.iter().any(|v| i.labels.contains(v))),
        other => {
            return Err(format!(
                "Field '{other}' does not exist or you do not have permission to view it."
            ));
        }
    };
    Ok(if negate {
        Box::new(move |i, s| !test(i, s))
    } else {
        test
    })
}

/// The issues a JQL selects, newest update first.
fn select(jira: &Jira, jql: &str, me: &str) -> Result<Vec<Issue>, String> {
    let upper = jql.to_uppercase();
    let body = match upper.find("ORDER BY") {
        Some(at) => &jql[..at],
        None => jql,
    };
    let mut filters = Vec::new();
    if !body.trim().is_empty() {
        let mut rest = body;
        loop {
            let up = rest.to_uppercase();
            match up.find(" AND ") {
                Some(at) => {
                    filters.push(clause(&rest[..at], me, &jira.shared.clock)?);
                    rest = &rest[at + 5..];
                }
                None => {
                    filters.push(clause(rest, me, &jira.shared.clock)?);
                    break;
                }
            }
        }
    }
    let mut found: Vec<_> = current(jira)
        .into_iter()
        .filter(|(i, s, _)| filters.iter().all(|f| f(i, s)))
        .collect();
    found.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.key.cmp(&b.0.key)));
    Ok(found
        .iter()
        .map(|(i, s, u)| to_wire(jira, i, s, *u, false))
        .collect())
}

fn search(
    jira: &Jira,
    headers: &HeaderMap,
    jql: &str,
    max: Option<usize>,
    token: Option<&str>,
) -> Response {
    let me = caller(jira, headers);
    let issues = match select(jira, jql, &me) {
        Ok(i) => i,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e),
    };
    let max = max.unwrap_or(50).clamp(1, 100);
    let start = match token {
        None | Some("") => 0,
        Some(t) => match t.strip_prefix("sim-").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => n,
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "The provided next page token is invalid.",
                );
            }
        },
    };
    let page: Vec<Issue> = issues.iter().skip(start).take(max).cloned().collect();
    let end = start + page.len();
    let last = end >= issues.len();
    Json(SearchPage {
        issues: page,
        next_page_token: (!last).then(|| format!("sim-{end}")),
        is_last: Some(last),
        ..SearchPage::default()
    })
    .into_response()
}

async fn search_v3(State(jira): St, headers: HeaderMap, Query(params): Params) -> Response {
    let jql = param(&params, "jql").unwrap_or_default().to_string();
    let max = param(&params, "maxResults").and_then(|v| v.parse().ok());
    search(&jira, &headers, &jql, max, param(&params, "nextPageToken"))
}

async fn search_v3_post(State(jira): St, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "Invalid request payload.");
    };
    let jql = v["jql"].as_str().unwrap_or_default().to_string();
    let max = v["maxResults"].as_u64().map(|m| m as usize);
    search(&jira, &headers, &jql, max, v["nextPageToken"].as_str())
}

/// Server/Data Center v2: `startAt`, `maxResults`, `total`.
async fn search_v2(State(jira): St, headers: HeaderMap, Query(params): Params) -> Response {
    let me = caller(&jira, &headers);
    let jql = param(&params, "jql").unwrap_or_default();
    let issues = match select(&jira, jql, &me) {
        Ok(i) => i,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e),
    };
    let max = param(&params, "maxResults")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(50)
        .clamp(1, 100);
    let start = param(&params, "startAt")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    Json(SearchPage {
        issues: issues.iter().skip(start).take(max).cloned().collect(),
        start_at: Some(start as u64),
        max_results: Some(max as u64),
        total: Some(issues.len() as u64),
        ..SearchPage::default()
    })
    .into_response()
}

async fn issue(State(jira): St, Path((_v, key)): Path<(String, String)>) -> Response {
    match current(&jira).into_iter().find(|(i, _, _)| i.key == key) {
        Some((i, s, u)) => Json(to_wire(&jira, &i, s, u, true)).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "Issue does not exist or you do not have permission to see it.",
        ),
    }
}

async fn transitions(State(jira): St, Path((_v, key)): Path<(String, String)>) -> Response {
    let Some((_, status, _)) = current(&jira).into_iter().find(|(i, _, _)| i.key == key) else {
        return error(
            StatusCode::NOT_FOUND,
            "Issue does not exist or you do not have permission to see it.",
        );
    };
    Json(Transitions {
        transitions: WORKFLOW
            .iter()
            .filter(|(_, s, _)| *s != status)
            .map(|(id, s, c)| Transition {
                id: (*id).into(),
                name: (*s).into(),
                is_available: Some(true),
                to: Some(Status {
                    name: (*s).into(),
                    status_category: Some(StatusCategory { key: (*c).into() }),
                }),
            })
            .collect(),
    })
    .into_response()
}

async fn transition(
    State(jira): St,
    Path((_v, key)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Ok(t) = serde_json::from_slice::<DoTransition>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "Invalid request payload. Refer to the REST API documentation and try again.",
        );
    };
    let Some((_, status, _)) = current(&jira).into_iter().find(|(i, _, _)| i.key == key) else {
        return error(
            StatusCode::NOT_FOUND,
            "Issue does not exist or you do not have permission to see it.",
        );
    };
    let Some((_, to, _)) = WORKFLOW
        .iter()
        .find(|(id, s, _)| *id == t.transition.id && *s != status)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "Transition id is not valid for this issue.",
        );
    };
    let now = jira.shared.story_now();
    lock(&jira.overlay).entry(key).or_default().status = Some((to, now));
    StatusCode::NO_CONTENT.into_response()
}

async fn comments(State(jira): St, Path((_v, key)): Path<(String, String)>) -> Response {
    match current(&jira).into_iter().find(|(i, _, _)| i.key == key) {
        Some((i, s, u)) => {
            let c = to_wire(&jira, &i, s, u, true)
                .fields
                .comment
                .unwrap_or_default();
            let total = c.comments.len();
            Json(json!({"comments": c.comments, "startAt": 0, "maxResults": total, "total": total}))
                .into_response()
        }
        None => error(
            StatusCode::NOT_FOUND,
            "Issue does not exist or you do not have permission to see it.",
        ),
    }
}

async fn add_comment(
    State(jira): St,
    headers: HeaderMap,
    Path((_v, key)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "Invalid request payload.");
    };
    let text = flightdeck_core::wire::jira::to_markdown(&v["body"]);
    if text.trim().is_empty() {
        return error(StatusCode::BAD_REQUEST, "Comment body can not be empty!");
    }
    if !current(&jira).iter().any(|(i, _, _)| i.key == key) {
        return error(
            StatusCode::NOT_FOUND,
            "Issue does not exist or you do not have permission to see it.",
        );
    }
    let by = caller(&jira, &headers);
    let now = jira.shared.story_now();
    let n = {
        let mut overlay = lock(&jira.overlay);
        let c = overlay.entry(key).or_default();
        c.comments.push((by.clone(), text.clone(), now));
        c.comments.len() - 1
    };
    let comment = Comment {
        id: Some(format!("{}", 10_000 + n)),
        author: Some(user(&jira, &by)),
        body: adf_of_text(&text),
        created: Some(format_time(jira.shared.wall(now))),
    };
    (StatusCode::CREATED, Json(comment)).into_response()
}

async fn myself(State(jira): St, headers: HeaderMap) -> Response {
    let me = caller(&jira, &headers);
    let mut v = serde_json::to_value(user(&jira, &me)).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        let email = jira
            .shared
            .world
            .person(&me)
            .map(|p| p.email.clone())
            .unwrap_or_default();
        o.insert("emailAddress".into(), json!(email));
        o.insert("active".into(), json!(true));
    }
    Json(v).into_response()
}

async fn server_info() -> Response {
    Json(json!({"baseUrl": "https://acme.atlassian.example", "version": "1001.0.0-SNAPSHOT", "deploymentType": "Cloud"})).into_response()
}
