//! The GitHub server's state and what every answer passes through: the overlay of user
//! actions, per-token rate-limit buckets, the middleware that counts and conditions requests,
//! and GitHub's error shape.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::Shared;
use crate::ci::{Attempt, DISPATCHED_IDS, Overlay};
use crate::rest::{etag_matches, etag_of};
use crate::world::{CiHost, ScheduledRun, Service, World, hash_str};
use flightdeck_core::sync::lock;

/// Primary rate limit per token, and for callers without one (GitHub counts those per IP).
pub(super) const LIMIT_AUTHENTICATED: u64 = 5000;
pub(super) const LIMIT_ANONYMOUS: u64 = 60;

/// An error answered in GitHub's shape.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub String);

impl ApiError {
    pub(super) fn not_found() -> Self {
        Self(StatusCode::NOT_FOUND, "Not Found".into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "message": self.1,
            "documentation_url": "https://docs.github.com/rest",
            "status": self.0.as_str(),
        });
        (self.0, Json(body)).into_response()
    }
}

pub(super) type ApiResult = Result<Response, ApiError>;

// ---------------------------------------------------------------------------------------------
// The server.
// ---------------------------------------------------------------------------------------------

pub(super) struct Github {
    pub(super) shared: Arc<Shared>,
    pub(super) overlay: Mutex<Overlay>,
    pub(super) buckets: Mutex<HashMap<u64, Bucket>>,
    /// Comments clients posted on issues, by lower-case `owner/repo` and issue number.
    pub(super) comments: Mutex<HashMap<(String, u64), Vec<Posted>>>,
    /// Set by `POST /_sim/quiet`: only the scheduled runs that had ended by this story time
    /// are served, so the organisation is idle at once (a measurement's idle case).
    pub(super) quiet_since: Mutex<Option<DateTime<Utc>>>,
}

/// A comment a client posted on an issue: kept beside the story's own, in posting order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Posted {
    pub(super) id: u64,
    pub(super) author: String,
    pub(super) body: String,
    pub(super) created: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Bucket {
    pub(super) limit: u64,
    pub(super) used: u64,
    /// Wall-clock Unix seconds: clients compute their waits from the real clock.
    pub(super) reset: i64,
}

pub(super) type Gh = State<Arc<Github>>;
pub(super) type Params = Query<Vec<(String, String)>>;

/// Rate limits, ETags and GitHub's headers around every API request. `/rate_limit` and the
/// log download (served from "another host" on GitHub) are not counted; `/graphql` counts
/// its points itself.
pub(super) async fn api_layer(State(gh): Gh, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    // GraphQL keeps its own points bucket (its handler charges each query's cost).
    if path == "/rate_limit"
        || path == "/graphql"
        || path.starts_with("/_logs/")
        || path.starts_with("/_sim/")
    {
        return next.run(req).await;
    }
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty());
    let authenticated = auth.is_some();
    let key = auth.map_or(0, hash_str);
    let wall = Utc::now().timestamp();
    let bucket = {
        let mut buckets = lock(&gh.buckets);
        let limit = if authenticated {
            LIMIT_AUTHENTICATED
        } else {
            LIMIT_ANONYMOUS
        };
        let b = buckets.entry(key).or_insert(Bucket {
            limit,
            used: 0,
            reset: wall + 3600,
        });
        if wall >= b.reset {
            b.used = 0;
            b.reset = wall + 3600;
        }
        *b
    };
    if bucket.used >= bucket.limit {
        let message = if authenticated {
            "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID."
        } else {
            "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.) If you reach out to GitHub Support for help, please include the request ID."
        };
        let body = json!({
            "message": message,
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
        });
        let mut r = (StatusCode::FORBIDDEN, Json(body)).into_response();
        rate_headers(r.headers_mut(), &bucket);
        return r;
    }
    let is_get = req.method() == Method::GET || req.method() == Method::HEAD;
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(req).await;
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, 64 << 20).await.unwrap_or_default();
    if is_get && parts.status == StatusCode::OK {
        let etag = etag_of(&bytes);
        if etag_matches(if_none_match.as_ref(), &etag) {
            // GitHub: a 304 to a correctly authorised conditional request costs nothing.
            let mut r = StatusCode::NOT_MODIFIED.into_response();
            let h = r.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&etag) {
                h.insert(header::ETAG, v);
            }
            common_headers(h);
            rate_headers(h, &bucket);
            return r;
        }
        if let Ok(v) = HeaderValue::from_str(&etag) {
            parts.headers.insert(header::ETAG, v);
        }
    }
    let counted = {
        let mut buckets = lock(&gh.buckets);
        let b = buckets.entry(key).or_insert(bucket);
        b.used += 1;
        *b
    };
    common_headers(&mut parts.headers);
    rate_headers(&mut parts.headers, &counted);
    Response::from_parts(parts, Body::from(bytes))
}

pub(super) fn common_headers(h: &mut HeaderMap) {
    // GitHub names the charset; some clients key their decoding on the exact value.
    if h.get(header::CONTENT_TYPE)
        .is_some_and(|v| v == "application/json")
    {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    h.insert(
        "x-github-api-version-selected",
        HeaderValue::from_static("2022-11-28"),
    );
    h.insert(
        "x-github-media-type",
        HeaderValue::from_static("github.v3; format=json"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=60, s-maxage=60"),
    );
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Authorization, Cookie, X-GitHub-OTP"),
    );
}

pub(super) fn rate_headers(h: &mut HeaderMap, b: &Bucket) {
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
    h.insert("x-ratelimit-resource", HeaderValue::from_static("core"));
}

impl Github {
    pub(super) fn world(&self) -> &World {
        &self.shared.world
    }

    pub(super) fn base(&self) -> &str {
        &self.shared.endpoints.github
    }

    /// The GitHub-hosted service behind `owner/repo` (GitHub matches names case-insensitively).
    pub(super) fn service(&self, owner: &str, repo: &str) -> Result<&Service, ApiError> {
        let full = format!("{owner}/{repo}");
        if let Some(svc) = self
            .world()
            .services
            .iter()
            .find(|s| s.ci == CiHost::Github && s.repo.eq_ignore_ascii_case(&full))
        {
            return Ok(svc);
        }
        let svc = lock(&self.shared.created)
            .launched(&full)
            .map(|l| l.service)
            .ok_or_else(ApiError::not_found)?;
        lock(&self.overlay)
            .languages
            .entry(svc.name.clone())
            .or_insert_with(|| svc.language.clone());
        Ok(svc)
    }

    /// A launched service's runs at `now` (none for the world's services).
    fn launched_runs(&self, svc: &Service, now: DateTime<Utc>) -> Vec<ScheduledRun> {
        lock(&self.shared.created)
            .launched(&svc.repo)
            .map(|l| l.runs(now))
            .unwrap_or_default()
    }

    /// The world's scheduled runs of `svc` by `now`, or a launched service's.
    pub(super) fn scheduled_runs(&self, svc: &Service, now: DateTime<Utc>) -> Vec<ScheduledRun> {
        let mut runs = self.world().runs(&svc.name, now);
        runs.extend(super::pull_story::pull_runs(self.world(), svc, now));
        runs.extend(self.launched_runs(svc, now));
        if let Some(since) = *lock(&self.quiet_since) {
            runs.retain(|r| r.finished <= since);
        }
        runs
    }

    /// Every run of a service created by `now`, newest first, dispatched ones included.
    pub(super) fn runs(&self, svc: &Service, now: DateTime<Utc>) -> Vec<ScheduledRun> {
        let mut runs = self.scheduled_runs(svc, now);
        runs.extend(
            lock(&self.overlay)
                .dispatched
                .iter()
                .filter(|r| r.service == svc.name && r.created <= now)
                .cloned(),
        );
        runs.sort_by_key(|r| std::cmp::Reverse((r.created, r.id)));
        runs
    }

    pub(super) fn run(
        &self,
        svc: &Service,
        id: u64,
        now: DateTime<Utc>,
    ) -> Result<ScheduledRun, ApiError> {
        if id >= DISPATCHED_IDS {
            return lock(&self.overlay)
                .dispatched
                .iter()
                .find(|r| r.id == id && r.service == svc.name)
                .cloned()
                .ok_or_else(ApiError::not_found);
        }
        self.scheduled_runs(svc, now)
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(ApiError::not_found)
    }

    pub(super) fn attempts(&self, run: &ScheduledRun) -> Vec<Attempt> {
        lock(&self.overlay).attempts(self.world(), run)
    }

    pub(super) fn latest(&self, run: &ScheduledRun) -> Attempt {
        lock(&self.overlay).latest(self.world(), run)
    }
}

pub(super) fn json_ok(value: Value) -> Response {
    Json(value).into_response()
}

pub(super) fn paged(value: Value, link: Option<String>) -> Response {
    let mut r = Json(value).into_response();
    if let Some(v) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        r.headers_mut().insert(header::LINK, v);
    }
    r
}

/// `POST /_sim/quiet`: only runs ended by now are served from now on; `DELETE`: all again.
pub(super) async fn quiet(State(gh): Gh, method: Method) -> StatusCode {
    *lock(&gh.quiet_since) = (method == Method::POST).then(|| gh.shared.story_now());
    StatusCode::NO_CONTENT
}
