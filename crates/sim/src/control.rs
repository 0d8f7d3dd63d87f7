//! The sim's own controls, served beside every protocol under `/_sim/`: request statistics that
//! tests and benchmarks read to see how the cockpit uses the network, and fault injection that
//! makes an endpoint slow, failing, rate-limited, malformed or silent.

use flightdeck_core::sync::lock;
use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// Counts requests by protocol, method, endpoint and status.
#[derive(Debug, Default)]
pub struct Stats {
    counts: Mutex<BTreeMap<StatKey, u64>>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StatKey {
    pub service: String,
    pub method: String,
    /// The route template (`/repos/{owner}/{repo}/actions/runs`), or a label the protocol set
    /// with [`EndpointLabel`] (the Kubernetes server tells `list` from `watch` this way).
    pub endpoint: String,
    pub status: u16,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatRow {
    #[serde(flatten)]
    pub key: StatKey,
    pub count: u64,
}

/// Set as a response extension to count a request under this endpoint name.
#[derive(Debug, Clone)]
pub struct EndpointLabel(pub String);

impl Stats {
    pub fn record(&self, key: StatKey) {
        *lock(&self.counts).entry(key).or_default() += 1;
    }

    pub fn rows(&self) -> Vec<StatRow> {
        lock(&self.counts)
            .iter()
            .map(|(key, count)| StatRow {
                key: key.clone(),
                count: *count,
            })
            .collect()
    }

    pub fn reset(&self) {
        lock(&self.counts).clear();
    }
}

/// What an injected fault does to a matching request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Wait this long, then answer normally.
    Latency { ms: u64 },
    /// Answer with this status and a short body.
    Status { code: u16 },
    /// Start a response and break the connection.
    Reset,
    /// Answer normally, but with a body that is not valid JSON.
    Malformed,
    /// Answer normally, but cut the body in half.
    Truncated,
    /// GitHub's primary rate limit: 403, `x-ratelimit-remaining: 0`, reset in this many seconds.
    RateLimit { reset_in_secs: u64 },
    /// GitHub's secondary rate limit: 403 with `retry-after`.
    SecondaryLimit { retry_after_secs: u64 },
    /// Never answer.
    Hang,
    /// Kubernetes: end watches with 410 Gone (the protocol module reads this one itself).
    WatchGone,
    /// Kubernetes: break open watch connections mid-stream (no 410: the client resumes).
    WatchDrop,
    /// Kubernetes' RBAC refusal: 403 with a `Status` body, as an API server answers a list or
    /// watch in a namespace the user may not read, so a namespace can be forbidden for a while.
    Forbidden,
}

/// One fault rule. `service` and `path_prefix` narrow what it matches; `times` limits how
/// often it fires (forever when absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub path_prefix: Option<String>,
    #[serde(flatten)]
    pub kind: FaultKind,
    #[serde(default)]
    pub times: Option<u32>,
}

#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<Fault>>,
}

impl Faults {
    pub fn add(&self, fault: Fault) {
        lock(&self.rules).push(fault);
    }

    pub fn clear(&self) {
        lock(&self.rules).clear();
    }

    pub fn list(&self) -> Vec<Fault> {
        lock(&self.rules).clone()
    }

    /// The first rule matching `service` and `path` that `accept` wants, consuming one of its
    /// `times`.
    pub fn take_matching(
        &self,
        service: &str,
        path: &str,
        accept: impl Fn(&FaultKind) -> bool,
    ) -> Option<FaultKind> {
        let mut rules = lock(&self.rules);
        let i = rules.iter().position(|f| {
            f.service.as_deref().is_none_or(|s| s == service)
                && f.path_prefix.as_deref().is_none_or(|p| path.starts_with(p))
                && f.times != Some(0)
                && accept(&f.kind)
        })?;
        let kind = rules[i].kind.clone();
        if let Some(t) = rules[i].times.as_mut() {
            *t -= 1;
            if *t == 0 {
                rules.remove(i);
            }
        }
        Some(kind)
    }
}

/// What every protocol's middleware needs: its name and the shared counters.
#[derive(Clone)]
pub struct Control {
    pub service: &'static str,
    pub stats: Arc<Stats>,
    pub faults: Arc<Faults>,
}

/// Adds `/_sim/stats` and `/_sim/faults`, and wraps `router` in the stats and fault layers.
pub fn wrap(router: Router, control: Control) -> Router {
    let sim = Router::new()
        .route("/_sim/stats", get(stats_get).delete(stats_reset))
        .route(
            "/_sim/faults",
            get(faults_get).post(faults_add).delete(faults_clear),
        )
        .with_state(control.clone());
    router
        .layer(axum::middleware::from_fn_with_state(
            control.clone(),
            inject_faults,
        ))
        .merge(sim)
        .layer(axum::middleware::from_fn_with_state(control, count))
}

async fn stats_get(State(c): State<Control>) -> Json<Vec<StatRow>> {
    Json(c.stats.rows())
}

async fn stats_reset(State(c): State<Control>) -> StatusCode {
    c.stats.reset();
    StatusCode::NO_CONTENT
}

async fn faults_get(State(c): State<Control>) -> Json<Vec<Fault>> {
    Json(c.faults.list())
}

async fn faults_add(State(c): State<Control>, Json(fault): Json<Fault>) -> StatusCode {
    c.faults.add(fault);
    StatusCode::CREATED
}

async fn faults_clear(State(c): State<Control>) -> StatusCode {
    c.faults.clear();
    StatusCode::NO_CONTENT
}

async fn count(State(c): State<Control>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/_sim/") {
        return next.run(req).await;
    }
    let method = req.method().to_string();
    let matched = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let response = next.run(req).await;
    let endpoint = response
        .extensions()
        .get::<EndpointLabel>()
        .map(|l| l.0.clone())
        .or(matched)
        .unwrap_or(path);
    c.stats.record(StatKey {
        service: c.service.to_string(),
        method,
        endpoint,
        status: response.status().as_u16(),
    });
    response
}

async fn inject_faults(State(c): State<Control>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let fault = c.faults.take_matching(c.service, &path, |k| {
        !matches!(k, FaultKind::WatchGone | FaultKind::WatchDrop)
    });
    let Some(fault) = fault else {
        return next.run(req).await;
    };
    tracing::debug!(service = c.service, path, ?fault, "sim: injecting fault");
    match fault {
        FaultKind::Latency { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(req).await
        }
        FaultKind::Status { code } => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (
                status,
                Json(serde_json::json!({"message": "sim: injected fault"})),
            )
                .into_response()
        }
        FaultKind::Reset => {
            let broken = futures::stream::once(async {
                Err::<axum::body::Bytes, _>(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "sim: injected reset",
                ))
            });
            Response::new(Body::from_stream(broken))
        }
        FaultKind::Malformed => {
            let response = next.run(req).await;
            let (mut parts, _) = response.into_parts();
            parts.headers.remove(header::CONTENT_LENGTH);
            parts.headers.remove(header::ETAG);
            Response::from_parts(
                parts,
                Body::from("{\"total_count\": 1, \"items\": [{\"id\": tru"),
            )
        }
        FaultKind::Truncated => {
            let response = next.run(req).await;
            let (mut parts, body) = response.into_parts();
            let bytes = to_bytes(body, 64 << 20).await.unwrap_or_default();
            parts.headers.remove(header::CONTENT_LENGTH);
            parts.headers.remove(header::ETAG);
            Response::from_parts(parts, Body::from(bytes.slice(..bytes.len() / 2)))
        }
        FaultKind::RateLimit { reset_in_secs } => {
            let reset = chrono::Utc::now().timestamp() as u64 + reset_in_secs;
            let mut r = (
                StatusCode::FORBIDDEN,
                Json(serde_json::json!({
                    "message": "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                    "status": "403"
                })),
            )
                .into_response();
            let h = r.headers_mut();
            h.insert("x-ratelimit-limit", HeaderValue::from_static("5000"));
            h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
            h.insert("x-ratelimit-used", HeaderValue::from_static("5000"));
            h.insert("x-ratelimit-resource", HeaderValue::from_static("core"));
            if let Ok(v) = HeaderValue::from_str(&reset.to_string()) {
                h.insert("x-ratelimit-reset", v);
            }
            r
        }
        FaultKind::SecondaryLimit { retry_after_secs } => {
            let mut r = (
                StatusCode::FORBIDDEN,
                Json(serde_json::json!({
                    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                    "status": "403"
                })),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        FaultKind::Forbidden => (
            StatusCode::FORBIDDEN,
            Json(serde_json::json!({
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": format!("{path} is forbidden: the sim injected an RBAC refusal"),
                "reason": "Forbidden",
                "code": 403
            })),
        )
            .into_response(),
        FaultKind::Hang => futures::future::pending().await,
        FaultKind::WatchGone | FaultKind::WatchDrop => next.run(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_with_times_is_used_up() {
        let faults = Faults::default();
        faults.add(Fault {
            service: Some("github".into()),
            path_prefix: Some("/repos/".into()),
            kind: FaultKind::Status { code: 502 },
            times: Some(2),
        });
        let any = |_: &FaultKind| true;
        assert_eq!(faults.take_matching("kubernetes", "/repos/a", any), None);
        assert_eq!(faults.take_matching("github", "/rate_limit", any), None);
        assert!(faults.take_matching("github", "/repos/a/b", any).is_some());
        assert!(faults.take_matching("github", "/repos/a/b", any).is_some());
        assert_eq!(faults.take_matching("github", "/repos/a/b", any), None);
        assert!(faults.list().is_empty());
    }

    #[test]
    fn fault_json_is_flat() {
        let f: Fault = serde_json::from_str(
            r#"{"service":"github","kind":"rate_limit","reset_in_secs":60,"times":1}"#,
        )
        .expect("a fault in the documented form decodes");
        assert_eq!(f.kind, FaultKind::RateLimit { reset_in_secs: 60 });
        let f: Fault = serde_json::from_str(
            r#"{"service":"kubernetes","path_prefix":"/api/v1/namespaces/payments/","kind":"forbidden"}"#,
        )
        .expect("a forbidden namespace decodes");
        assert_eq!(f.kind, FaultKind::Forbidden);
    }
}
