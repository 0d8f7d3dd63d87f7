//! The GitHub API client: octocrab underneath, with our own ETags and rate-limit bookkeeping.
//!
//! ETags are ours, not octocrab's cache layer: that layer answers a 304 with the cached body as
//! a 200, and the cockpit must know nothing changed so that it sends no message and draws
//! nothing. So every poll goes through octocrab's `_get_with_headers` with `If-None-Match`, and
//! a 304 ends the poll there.

use std::sync::Mutex;
use std::time::Duration as StdDuration;

use octocrab::Octocrab;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;

use super::scheduler::{self, Budget, Priority, Scheduler};
use super::wire;
use crate::providers::http::{self, Failure, RateLimit};
use flightdeck_core::sanitize;
use flightdeck_core::sync::lock;

/// GitHub's REST API through octocrab, with conditional requests, the rate-limit budget as
/// last seen, and every request queued in the host's one [`Scheduler`].
pub struct GithubApi {
    octo: Octocrab,
    base: String,
    scheduler: std::sync::Arc<Scheduler>,
    /// The CI poller may ask GraphQL which repositories changed (`[github] sweep`).
    sweep: bool,
    budget: Mutex<Option<RateLimit>>,
    timeout: StdDuration,
}

/// A conditional GET's answer: a new body (with its ETag), or "not modified".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch {
    NotModified,
    Fresh { body: String, etag: Option<String> },
}

impl GithubApi {
    pub fn new(
        api_url: &str,
        token: Option<String>,
        max_in_flight: usize,
        timeout: StdDuration,
    ) -> Result<Self, String> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let base = api_url.trim_end_matches('/').to_string();
        let mut b = Octocrab::builder()
            .base_uri(base.as_str())
            .map_err(|e| format!("`{}` is not a usable API URL: {e}", sanitize::line(&base)))?
            // Our own policy retries, after a wait the status bar shows; octocrab's would
            // retry at once and hide it.
            .add_retry_config(octocrab::service::middleware::retry::RetryConfig::None)
            .set_connect_timeout(Some(timeout.min(http::CONNECT_TIMEOUT)))
            .set_read_timeout(Some(timeout))
            .add_header(reqwest::header::USER_AGENT, http::USER_AGENT.to_string())
            .add_header(
                reqwest::header::ACCEPT,
                "application/vnd.github+json".to_string(),
            )
            .add_header(
                "x-github-api-version"
                    .parse()
                    .map_err(|_| "bad header".to_string())?,
                "2022-11-28".to_string(),
            );
        if let Some(t) = token {
            http::check_token(&t)?;
            b = b.personal_token(t);
        }
        let octo = b
            .build()
            .map_err(|e| format!("cannot build the GitHub client: {e}"))?;
        Ok(Self {
            octo,
            base: base.clone(),
            sweep: true,
            // Every client of this host shares one budget; the first one made sets it, and
            // `[github]` (through `for_source`) sets it for all.
            scheduler: Scheduler::for_host(
                &base,
                Budget {
                    in_flight: max_in_flight,
                    ..Budget::DEFAULT
                },
            ),
            budget: Mutex::new(None),
            timeout,
        })
    }

    /// A client of the configured host, with `[github]`'s budget set for every client of it.
    pub fn for_source(
        source: &crate::config::GithubSource,
        token: Option<String>,
        timeout: StdDuration,
    ) -> Result<Self, String> {
        Scheduler::configure(
            source.api_url.trim_end_matches('/'),
            Budget {
                per_sec: source.requests_per_sec,
                in_flight: source.max_in_flight,
            },
        );
        Self::new(&source.api_url, token, source.max_in_flight, timeout)
    }

    /// With `false`, the CI poller reads every repository through REST (no GraphQL).
    pub fn with_sweep(mut self, sweep: bool) -> Self {
        self.sweep = sweep;
        self
    }

    pub fn sweeps(&self) -> bool {
        self.sweep
    }

    /// The host's request queue.
    pub fn scheduler(&self) -> &std::sync::Arc<Scheduler> {
        &self.scheduler
    }

    /// The budget as the last answer gave it.
    pub fn budget(&self) -> Option<RateLimit> {
        *lock(&self.budget)
    }

    fn octo_failure(&self, e: &octocrab::Error) -> Failure {
        Failure::from_transport(e, &self.base, self.timeout)
    }

    /// Sends one request and reads the whole answer, within the in-flight bound and the
    /// timeout; records the rate-limit headers of every answer, 304s included.
    async fn send(
        &self,
        post: Option<Option<&serde_json::Value>>,
        path: &str,
        headers: HeaderMap,
    ) -> Result<(StatusCode, HeaderMap, String), Failure> {
        // A request that changes something is the user's: it goes first (a GraphQL read is
        // a POST too, but a read).
        let graphql = path.starts_with("/graphql");
        let priority = if post.is_some() && !graphql {
            Priority::Now
        } else {
            scheduler::current()
        };
        let resource = if graphql { "graphql" } else { "core" };
        let _permit = self
            .scheduler
            .acquire(priority, resource)
            .await
            .map_err(|left| self.scheduler.held(left))?;
        let answer = http::bounded(self.timeout, async {
            let res = match post {
                None => self.octo._get_with_headers(path, Some(headers)).await,
                Some(body) => self.octo._post(path, body).await,
            }
            .map_err(|e| self.octo_failure(&e))?;
            let status = res.status();
            let headers = res.headers().clone();
            if let Some(limit) = RateLimit::from_headers(&headers) {
                let server_now = http::server_now(&headers)
                    .map_or_else(|| chrono::Utc::now().timestamp(), |d| d.timestamp());
                let named = headers
                    .get("x-ratelimit-resource")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(resource);
                self.scheduler.observe(named, limit, server_now);
                if named == "core" {
                    *lock(&self.budget) = Some(limit);
                }
            }
            let body = self
                .octo
                .body_to_string(res)
                .await
                .map_err(|e| self.octo_failure(&e))?;
            if let Some(f) = http::classify(status, &headers, body.as_bytes()) {
                return Err(f);
            }
            Ok((status, headers, body))
        })
        .await;
        if let Err(f @ Failure::Limited { .. }) = &answer {
            self.scheduler.limited(f);
        }
        answer
    }

    /// A conditional GET: `etag` from the last fresh answer.
    pub async fn get(&self, path: &str, etag: Option<&str>) -> Result<Fetch, Failure> {
        self.get_page(path, etag).await.map(|(fetch, _)| fetch)
    }

    /// A conditional GET of one page of a list, with the path of the next page when a fresh
    /// answer's `Link` header names one on this API's host (a token goes only to its own
    /// host, so a link elsewhere is not followed).
    pub async fn get_page(
        &self,
        path: &str,
        etag: Option<&str>,
    ) -> Result<(Fetch, Option<String>), Failure> {
        let mut h = HeaderMap::new();
        if let Some(v) = etag.and_then(|e| HeaderValue::from_str(e).ok()) {
            h.insert(reqwest::header::IF_NONE_MATCH, v);
        }
        let (status, headers, body) = self.send(None, path, h).await?;
        if status == StatusCode::NOT_MODIFIED {
            return Ok((Fetch::NotModified, None));
        }
        let etag = headers
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let next = headers
            .get(reqwest::header::LINK)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| next_path(l, &self.base));
        Ok((Fetch::Fresh { body, etag }, next))
    }

    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        match self.get(path, None).await? {
            Fetch::Fresh { body, .. } => decode(&body),
            Fetch::NotModified => Err(Failure::Malformed("304 to an unconditional request".into())),
        }
    }

    pub async fn post(
        &self,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<String, Failure> {
        self.send(Some(body), path, HeaderMap::new())
            .await
            .map(|(_, _, b)| b)
    }

    /// A GraphQL read (`POST /graphql`), queued like any GET at the task's priority: its
    /// answer's headers (the points budget) and body.
    pub async fn graphql(&self, body: &serde_json::Value) -> Result<(HeaderMap, String), Failure> {
        self.send(Some(Some(body)), "/graphql", HeaderMap::new())
            .await
            .map(|(_, h, b)| (h, b))
    }

    /// Who the token authenticates as.
    pub async fn login(&self) -> Result<String, Failure> {
        let u: wire::User = self.get_json("/user").await?;
        Ok(sanitize::ident(&u.login))
    }

    /// A job's whole log (GitHub answers with a redirect to a short-lived URL, followed here).
    pub async fn job_log(&self, repo: &str, job: u64) -> Result<String, Failure> {
        match self
            .get(&format!("/repos/{repo}/actions/jobs/{job}/logs"), None)
            .await?
        {
            Fetch::Fresh { body, .. } => Ok(body),
            Fetch::NotModified => Ok(String::new()),
        }
    }
}

/// The path (below `base`) of a `Link` header's `rel="next"` page, when it is on `base`.
pub fn next_path(link: &str, base: &str) -> Option<String> {
    let url = link.split(',').find_map(|part| {
        let (url, params) = part.trim().split_once(';')?;
        let next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        next.then(|| url.trim().trim_start_matches('<').trim_end_matches('>'))
    })?;
    let rest = url.strip_prefix(base.trim_end_matches('/'))?;
    rest.starts_with('/').then(|| rest.to_string())
}

pub(super) fn decode<T: DeserializeOwned>(body: &str) -> Result<T, Failure> {
    serde_json::from_str(body).map_err(|e| Failure::Malformed(http::decode_error(&e)))
}

#[cfg(test)]
mod tests {
    use super::next_path;

    #[test]
    fn the_next_page_is_followed_only_on_the_same_host() {
        let base = "https://api.github.com";
        let link = "<https://api.github.com/repositories/1/issues?state=open&per_page=100&page=2>; rel=\"next\", \
                    <https://api.github.com/repositories/1/issues?state=open&per_page=100&page=4>; rel=\"last\"";
        assert_eq!(
            next_path(link, base).as_deref(),
            Some("/repositories/1/issues?state=open&per_page=100&page=2")
        );
        let last = "<https://api.github.com/x?page=1>; rel=\"prev\", <https://api.github.com/x?page=1>; rel=\"first\"";
        assert_eq!(next_path(last, base), None, "the last page has no next");
        let elsewhere = "<https://api.github.com.evil.example/x?page=2>; rel=\"next\"";
        assert_eq!(next_path(elsewhere, base), None, "the token stays home");
        assert_eq!(
            next_path("<https://evil.example/x>; rel=\"next\"", base),
            None
        );
    }
}
