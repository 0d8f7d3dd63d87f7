//! The Backstage catalog API, for organisations whose catalog is too large for files: pages
//! through `GET /api/catalog/entities/by-query` by cursor and decodes every entity with the
//! same decoder as the descriptors on disk. A failing API keeps the last good catalog.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use tokio::sync::{Notify, mpsc};

use crate::config::{BackstageSource, Config};
use crate::providers::{Context, Provider};
use flightdeck_core::message::{Msg, SourceEvent, catalog};
use flightdeck_core::model::catalog::{EntityOrigin, Kind, Origin, Problem};
use flightdeck_core::model::{SourceId, SourceKind};
use flightdeck_core::sanitize;

/// Entities per page: large pages, since a catalog of thousands is read whole.
const PAGE_SIZE: usize = 500;
/// A cursor loop that never ends is a server bug; stop well after any real catalog.
const MAX_PAGES: usize = 2_000;
/// The catalog changes slowly; it is read again this often (clock time), and on refresh: between reads; well inside the five minutes after which a source is stale.
const POLL_EVERY: Duration = Duration::from_secs(120);
const TIMEOUT: Duration = Duration::from_secs(30);

/// One page of `by-query`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    items: Vec<Value>,
    #[serde(default)]
    page_info: PageInfo,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    next_cursor: Option<String>,
}

/// A client of one Backstage backend.
pub struct Client {
    base: String,
    http: reqwest::Client,
    token: Option<String>,
    page_size: usize,
}

/// What one full read returned.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub entities: Vec<std::sync::Arc<flightdeck_core::model::catalog::Entity>>,
    pub problems: Vec<Problem>,
    pub pages: usize,
}

impl Client {
    /// `base` is the Backstage base URL (`https://backstage.example.com`).
    pub fn new(base: &str, token: Option<String>) -> Result<Self, String> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("flightdeck/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            http,
            token,
            page_size: PAGE_SIZE,
        })
    }

    /// Entities per page (the server may cap it).
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = n.max(1);
        self
    }

    /// Reads the whole catalog, page by page. With a cursor the server ignores every other
    /// parameter (the cursor encodes the query), so later pages send only the cursor.
    pub async fn fetch_all(&self) -> Result<Fetched, String> {
        let url = format!("{}/api/catalog/entities/by-query", self.base);
        let mut cursor: Option<String> = None;
        let mut items: Vec<Value> = Vec::new();
        let mut pages = 0;
        loop {
            let limit = self.page_size.to_string();
            let query: Vec<(&str, &str)> = match &cursor {
                Some(c) => vec![("cursor", c.as_str()), ("limit", limit.as_str())],
                None => vec![
                    ("limit", limit.as_str()),
                    ("orderField", "metadata.name,asc"),
                ],
            };
            let mut req = self.http.get(&url).query(&query);
            if let Some(t) = &self.token {
                req = req.bearer_auth(t);
            }
            let resp = req
                .send()
                .await
                .map_err(|e| format!("GET {url}: {}", without_url(&e)))?;
            let status = resp.status();
            if !status.is_success() {
                let hint = match status.as_u16() {
                    401 => ": the token is missing or refused (token_env, token_command)",
                    403 => ": the token may not read the catalog",
                    404 => ": is `url` the Backstage base URL?",
                    _ => "",
                };
                return Err(format!("GET {url}: {status}{hint}"));
            }
            let bytes = resp
                .bytes()
                .await
                .map_err(|e| format!("GET {url}: {}", without_url(&e)))?;
            let page: Page = serde_json::from_slice(&bytes).map_err(|e| {
                format!(
                    "GET {url}: not a by-query page at line {} column {}: {e}",
                    e.line(),
                    e.column()
                )
            })?;
            pages += 1;
            items.extend(page.items);
            match page.page_info.next_cursor {
                Some(next) if Some(&next) == cursor.as_ref() => {
                    return Err(format!(
                        "GET {url}: the server returned the same cursor twice"
                    ));
                }
                Some(next) if pages < MAX_PAGES => cursor = Some(next),
                Some(_) => return Err(format!("GET {url}: more than {MAX_PAGES} pages; stopping")),
                None => break,
            }
        }
        let origin = EntityOrigin::Backstage {
            url: self.base.clone(),
        };
        let mut entities = Vec::with_capacity(items.len());
        let mut problems = Vec::new();
        for item in &items {
            match super::catalog::decode_entity(item, origin.clone(), None) {
                Ok((e, p)) => {
                    entities.push(std::sync::Arc::new(e));
                    problems.extend(p);
                }
                Err(mut p) => {
                    p.entity = item
                        .pointer("/metadata/name")
                        .and_then(Value::as_str)
                        .map(|n| {
                            format!(
                                "{} {}",
                                item.get("kind").and_then(Value::as_str).unwrap_or("entity"),
                                sanitize::line(n)
                            )
                        });
                    problems.push(p);
                }
            }
        }
        Ok(Fetched {
            entities,
            problems,
            pages,
        })
    }
}

impl Client {
    /// Every Template entity as the API returns it, whole: the scaffolder needs its spec, which
    /// the catalog's decode leaves out. One page; an organisation with more templates than fit
    /// is told so rather than shown a part.
    pub async fn templates(&self) -> Result<Vec<Value>, String> {
        const MAX: usize = 500;
        let url = format!("{}/api/catalog/entities/by-query", self.base);
        let limit = MAX.to_string();
        let mut req = self.http.get(&url).query(&[
            ("filter", "kind=template"),
            ("limit", limit.as_str()),
            ("orderField", "metadata.name,asc"),
        ]);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| format!("GET {url}: {}", without_url(&e)))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(format!("GET {url}: {status}"));
        }
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| format!("GET {url}: {}", without_url(&e)))?;
        let page: Page = serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "GET {url}: not a by-query page: {}",
                crate::providers::http::decode_error(&e)
            )
        })?;
        if page.page_info.next_cursor.is_some() {
            return Err(format!(
                "GET {url}: more than {MAX} templates; only the first are listed"
            ));
        }
        Ok(page.items)
    }

    /// Registers a descriptor's URL (`POST /api/catalog/locations`), as the scaffolder's
    /// `catalog:register` does; the answer's entities are what the catalog now holds.
    pub async fn register_location(&self, target: &str) -> Result<Value, String> {
        let url = format!("{}/api/catalog/locations", self.base);
        let mut req = self
            .http
            .post(&url)
            .json(&serde_json::json!({ "type": "url", "target": target }));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| format!("POST {url}: {}", without_url(&e)))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| format!("POST {url}: {}", without_url(&e)))?;
        if let Some(f) = super::http::classify(status, &reqwest::header::HeaderMap::new(), &bytes) {
            return Err(f.describe(&format!("POST {url}")));
        }
        serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "POST {url}: malformed answer: {}",
                crate::providers::http::decode_error(&e)
            )
        })
    }
}

/// reqwest's errors repeat the URL, which the message already names.
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(url) = e.url() {
        s = s
            .replace(&format!(" ({url})"), "")
            .replace(url.as_str(), "");
    }
    if let Some(source) = std::error::Error::source(e) {
        s = format!("{s}: {source}");
    }
    sanitize::line(&s)
}

/// The bearer token from the environment or a command, read at each attempt so a rotated
/// token is picked up. Never logged, shown or cached.
pub async fn token(source: &BackstageSource) -> Result<Option<String>, String> {
    let names: Vec<&str> = source.token_env.as_deref().into_iter().collect();
    let token = super::http::resolve_token(&names, source.token_command.as_deref()).await?;
    match (&token, &source.token_env) {
        (None, Some(var)) => Err(format!(
            "the environment variable {var} (token_env) is not set"
        )),
        _ => Ok(token),
    }
}

pub struct BackstageProvider {
    refresh: Arc<Notify>,
}

impl BackstageProvider {
    pub fn start(config: &Config, cx: &Context) -> Option<Box<dyn Provider>> {
        let source = config.catalog.backstage.clone()?;
        let refresh = Arc::new(Notify::new());
        tokio::spawn(run(
            source,
            cx.tx.clone(),
            refresh.clone(),
            cx.clock.clone(),
        ));
        Some(Box::new(BackstageProvider { refresh }))
    }
}

impl Provider for BackstageProvider {
    fn kinds(&self) -> &'static [flightdeck_core::model::SourceKind] {
        &[flightdeck_core::model::SourceKind::Catalog]
    }

    fn refresh(&mut self) {
        self.refresh.notify_one();
    }
}

async fn run(
    source: BackstageSource,
    tx: mpsc::Sender<Msg>,
    refresh: Arc<Notify>,
    clock: crate::clock::Clock,
) {
    let id = SourceId::new(SourceKind::Catalog, "backstage");
    if tx
        .send(Msg::Source {
            id: id.clone(),
            event: SourceEvent::Connecting,
        })
        .await
        .is_err()
    {
        return;
    }
    let mut failures: u32 = 0;
    loop {
        let result = match token(&source).await {
            Ok(t) => match Client::new(&source.url, t) {
                Ok(client) => client.fetch_all().await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        let at = clock.now();
        let wait = match result {
            Ok(fetched) => {
                failures = 0;
                let services = fetched
                    .entities
                    .iter()
                    .filter(|e| e.kind == Kind::Component)
                    .count();
                let detail = format!("{services} services, {} entities", fetched.entities.len());
                let msg = catalog::Msg::Loaded {
                    origin: Origin::Backstage,
                    entities: fetched.entities,
                    problems: fetched.problems,
                    at,
                };
                if tx.send(Msg::Catalog(msg)).await.is_err() {
                    return;
                }
                if tx
                    .send(Msg::Source {
                        id: id.clone(),
                        event: SourceEvent::Ok {
                            at,
                            detail: Some(detail),
                        },
                    })
                    .await
                    .is_err()
                {
                    return;
                }
                POLL_EVERY
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                // 5s, 10s, 20s, … up to the poll interval.
                let wait = Duration::from_secs(
                    5u64.saturating_mul(1 << failures.min(6).saturating_sub(1)),
                )
                .min(POLL_EVERY);
                let retry_at = at + chrono::Duration::from_std(wait).unwrap_or_default();
                let event = SourceEvent::Failed {
                    error: sanitize::line(&error),
                    at,
                    retry_at: Some(retry_at),
                };
                if tx
                    .send(Msg::Source {
                        id: id.clone(),
                        event,
                    })
                    .await
                    .is_err()
                {
                    return;
                }
                wait
            }
        };
        tokio::select! {
            _ = refresh.notified() => {}
            _ = tokio::time::sleep(clock.wall(wait).max(super::MIN_WALL_WAIT)) => {}
        }
    }
}
