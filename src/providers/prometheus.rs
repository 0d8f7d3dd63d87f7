//! Prometheus' HTTP API v1: the golden signals of every service the cockpit shows, one batched
//! `query_range` per signal (never one per service), and each service's alert history from
//! `ALERTS`. API errors and warnings become the source's state in the status bar.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use serde::de::DeserializeOwned;
use tokio::sync::Notify;

use super::alertmanager::{Auth, credentials};
use super::{Context, Provider};
use crate::config::{Config, PrometheusSource};
use flightdeck_core::message::signals::{Command, Msg as SignalsMsg};
use flightdeck_core::message::{Effect, Msg, SourceEvent};
use flightdeck_core::model::join::ServiceTarget;
use flightdeck_core::model::signals::{self, AlertSpan, Answer, Range, Series, Signal, Templates};
use flightdeck_core::model::{SourceId, SourceKind};
use flightdeck_core::sanitize;
use flightdeck_core::sync::lock;
use flightdeck_core::wire::percent_encode;
use flightdeck_core::wire::prometheus::{self as wire, QueryData};

/// How wide the Overview's sparklines and the Service screen's charts are read: the hour's
/// step follows from it (never more points than a chart has columns).
pub const HOUR_COLUMNS: u16 = 60;
/// How far back the alert history reaches.
pub const HISTORY: Range = Range::Day;

/// One Prometheus' API v1.
#[derive(Debug, Clone)]
pub struct PromClient {
    pub name: String,
    base: String,
    http: reqwest::Client,
    auth: Auth,
}

impl PromClient {
    pub fn new(name: &str, url: &str, auth: Auth, timeout: StdDuration) -> Result<Self, String> {
        Ok(Self {
            name: name.to_string(),
            base: url.trim_end_matches('/').to_string(),
            http: super::http::client(timeout)?,
            auth,
        })
    }

    /// GETs `path` with `params` and decodes the API's envelope. An error names the call, the
    /// API's error type and its message (sanitised, cut short), never the whole body.
    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, String)],
        what: &str,
    ) -> Result<(T, Vec<String>), String> {
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect();
        let url = if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{}", self.base, query.join("&"))
        };
        let req = self.http.get(url);
        let req = match &self.auth {
            Auth::None => req,
            Auth::Bearer(token) => req.bearer_auth(token),
            Auth::Basic { user, password } => req.basic_auth(user, password.as_ref()),
        };
        let resp = req.send().await.map_err(|e| {
            if e.is_timeout() {
                format!("{what}: no answer in time")
            } else if e.is_connect() {
                format!("{what}: cannot connect to {}", sanitize::line(&self.base))
            } else {
                format!("{what}: {}", sanitize::line(&e.to_string()))
            }
        })?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| format!("{what}: {}", sanitize::line(&e.to_string())))?;
        match wire::decode::<T>(&body) {
            Ok((data, warnings)) => {
                Ok((data, warnings.iter().map(|w| short(w)).collect::<Vec<_>>()))
            }
            // Prometheus answers errors in its envelope (400 bad_data, 422 execution, 503
            // timeout); anything else is a proxy's page, reported by status only.
            Err(e) if e.kind == "decode" => Err(format!("{what}: HTTP {}", status.as_u16())),
            Err(e) => Err(format!(
                "{what}: {} ({}, HTTP {})",
                short(&e.message),
                sanitize::line(&e.kind),
                status.as_u16()
            )),
        }
    }

    /// `query`: an instant vector at `time` (unix seconds; the server's now when `None`).
    pub async fn query(
        &self,
        expr: &str,
        time: Option<f64>,
    ) -> Result<(QueryData, Vec<String>), String> {
        let mut params = vec![("query", expr.to_string())];
        if let Some(t) = time {
            params.push(("time", format!("{t}")));
        }
        self.get("/api/v1/query", &params, "query").await
    }

    /// `query_range` from `start` to `end` (unix seconds) every `step` seconds.
    pub async fn query_range(
        &self,
        expr: &str,
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<(QueryData, Vec<String>), String> {
        self.get(
            "/api/v1/query_range",
            &[
                ("query", expr.to_string()),
                ("start", start.to_string()),
                ("end", end.to_string()),
                ("step", step.to_string()),
            ],
            "query_range",
        )
        .await
    }

    /// `rules`: the recording and alerting rules with their queries.
    pub async fn rules(&self) -> Result<(wire::RuleGroups, Vec<String>), String> {
        self.get("/api/v1/rules", &[], "rules").await
    }

    /// `alerts`: the alerts Prometheus holds now (pending and firing).
    pub async fn alerts(&self) -> Result<(serde_json::Value, Vec<String>), String> {
        self.get("/api/v1/alerts", &[], "alerts").await
    }

    /// `series` matching `selector`.
    pub async fn series(
        &self,
        selector: &str,
    ) -> Result<(Vec<BTreeMap<String, String>>, Vec<String>), String> {
        self.get(
            "/api/v1/series",
            &[("match[]", selector.to_string())],
            "series",
        )
        .await
    }

    /// `labels`: every label name.
    pub async fn labels(&self) -> Result<(Vec<String>, Vec<String>), String> {
        self.get("/api/v1/labels", &[], "labels").await
    }
}

/// A remote message as one short, safe line.
fn short(s: &str) -> String {
    sanitize::line(&s.chars().take(160).collect::<String>())
}

/// A range answer as one series per service, keeping only `services`: label values are
/// sanitised, NaN points (no requests, so no ratio) are kept as gaps.
pub fn by_service(data: QueryData, label: &str, services: &[String]) -> BTreeMap<String, Series> {
    let mut out = BTreeMap::new();
    let QueryData::Matrix(matrix) = data else {
        return out;
    };
    for s in matrix {
        let Some(name) = s.metric.get(label).map(|v| sanitize::line(v)) else {
            continue;
        };
        if !services.contains(&name) {
            continue;
        }
        let points = s
            .values
            .iter()
            .map(|p| (p.0.round() as i64, p.value()))
            .collect();
        out.insert(name, Series { points });
    }
    out
}

/// What the provider tasks share with the runner: the services on screen, the range the
/// Service screen charts, and a wake-up.
#[derive(Default)]
struct Wanted {
    services: Mutex<Vec<String>>,
    range: Mutex<Option<(Range, u16)>>,
    refresh: Notify,
}

/// The `[[prometheus]]` sources. The first feeds the signals; every one reports its health.
pub struct PrometheusProvider {
    wanted: Arc<Wanted>,
}

impl PrometheusProvider {
    pub fn start(config: &Config, cx: &Context) -> Option<Self> {
        if config.prometheus.is_empty() {
            return None;
        }
        let wanted = Arc::new(Wanted::default());
        for (i, source) in config.prometheus.iter().enumerate() {
            tokio::spawn(poll(source.clone(), i == 0, wanted.clone(), cx.clone()));
        }
        Some(Self { wanted })
    }
}

impl Provider for PrometheusProvider {
    fn targets(&mut self, targets: &[ServiceTarget]) {
        let names: Vec<String> = targets.iter().map(|t| t.name.clone()).collect();
        *lock(&self.wanted.services) = names;
        self.wanted.refresh.notify_waiters();
    }

    fn kinds(&self) -> &'static [SourceKind] {
        &[SourceKind::Prometheus]
    }

    fn refresh(&mut self) {
        self.wanted.refresh.notify_waiters();
    }

    fn command(&mut self, effect: &Effect) -> bool {
        match effect {
            Effect::Signals(Command::Range { range, columns }) => {
                *lock(&self.wanted.range) = Some((*range, *columns));
                self.wanted.refresh.notify_waiters();
                true
            }
            _ => false,
        }
    }
}

fn templates(source: &PrometheusSource) -> Templates {
    Templates {
        overrides: source
            .queries
            .iter()
            .filter_map(|(k, v)| Some((Signal::from_key(k)?, v.clone())))
            .collect(),
    }
}

/// What one round of queries read.
pub struct Round {
    pub answers: Vec<(Range, Signal, Answer)>,
    pub history: BTreeMap<String, Vec<AlertSpan>>,
    pub warnings: Vec<String>,
    pub queries: usize,
}

/// One round: a `query_range` per signal for every range asked (all services in each), and
/// one for the alert history. Stops at the first error: the rest would fail alike.
pub async fn read_signals(
    client: &PromClient,
    source: &PrometheusSource,
    services: &[String],
    ranges: &[(Range, u16)],
    now: i64,
) -> Result<Round, String> {
    let templates = templates(source);
    let label = source.service_label.as_str();
    let scrape = source.scrape_interval_secs as i64;
    let names: Vec<&str> = services.iter().map(String::as_str).collect();
    let mut round = Round {
        answers: Vec::new(),
        history: BTreeMap::new(),
        warnings: Vec::new(),
        queries: 0,
    };
    if names.is_empty() {
        return Ok(round);
    }
    for (range, columns) in ranges {
        let step = signals::step_for(*range, *columns, scrape);
        let window = signals::window_for(step, scrape);
        // Aligned to the scrape, so the newest point is the newest scrape's.
        let end = now - now.rem_euclid(scrape.max(1));
        let start = end - range.seconds();
        for signal in Signal::ALL {
            let expr = signals::render(templates.get(signal), label, &names, &window);
            let (data, warnings) = client.query_range(&expr, start, end, step).await?;
            round.queries += 1;
            round.warnings.extend(warnings.iter().cloned());
            round.answers.push((
                *range,
                signal,
                Answer {
                    series: by_service(data, label, services),
                    fetched_at: None,
                    start,
                    end,
                    step,
                    warnings,
                },
            ));
        }
    }
    // Alert history: each alert's firing spans per service over the window.
    let step = signals::step_for(HISTORY, 1440, scrape);
    let end = now - now.rem_euclid(scrape.max(1));
    let start = end - HISTORY.seconds();
    let selector = signals::render("$selector", label, &names, "");
    // Over each step, not at its instant: an alert that fired between two points still counts.
    let expr = format!(
        "max by (alertname, {label}) (max_over_time(ALERTS{{alertstate=\"firing\",{selector}}}[{step}s]))"
    );
    let (data, warnings) = client.query_range(&expr, start, end, step).await?;
    round.queries += 1;
    round.warnings.extend(warnings);
    if let QueryData::Matrix(matrix) = data {
        for s in matrix {
            let (Some(service), Some(alert)) = (s.metric.get(label), s.metric.get("alertname"))
            else {
                continue;
            };
            let points: Vec<(i64, f64)> = s
                .values
                .iter()
                .map(|p| (p.0.round() as i64, p.value()))
                .collect();
            round
                .history
                .entry(sanitize::line(service))
                .or_default()
                .extend(signals::spans(&sanitize::line(alert), &points, step, end));
        }
    }
    for spans in round.history.values_mut() {
        spans.sort_by_key(|s| s.start);
    }
    Ok(round)
}

/// The poll loop of one Prometheus: read, report, wait a scrape interval or a refresh.
async fn poll(source: PrometheusSource, signals: bool, wanted: Arc<Wanted>, cx: Context) {
    let tx = cx.tx;
    let id = SourceId::new(SourceKind::Prometheus, source.name.clone());
    let interval = StdDuration::from_secs(source.scrape_interval_secs.max(1));
    let timeout = interval.clamp(StdDuration::from_secs(5), StdDuration::from_secs(20));
    let _ = tx
        .send(Msg::Source {
            id: id.clone(),
            event: SourceEvent::Connecting,
        })
        .await;
    let client = match credentials(
        source.token_env.as_deref(),
        source.token_command.as_deref(),
        source.basic_auth_user.as_deref(),
        source.basic_auth_password_env.as_deref(),
    )
    .await
    .and_then(|auth| PromClient::new(&source.name, &source.url, auth, timeout))
    {
        Ok(c) => c,
        Err(error) => {
            let _ = tx
                .send(Msg::Source {
                    id,
                    event: SourceEvent::Failed {
                        error,
                        at: cx.clock.now(),
                        retry_at: None,
                    },
                })
                .await;
            return;
        }
    };
    let mut failures = 0u32;
    loop {
        let notified = wanted.refresh.notified();
        let services = lock(&wanted.services).clone();
        let mut ranges = vec![(Range::Hour, HOUR_COLUMNS)];
        if let Some(extra) = *lock(&wanted.range)
            && extra.0 != Range::Hour
        {
            ranges.push(extra);
        }
        // Prometheus stamps samples with the wall clock, whatever clock the cockpit shows.
        let now = chrono::Utc::now().timestamp();
        let result = if signals {
            read_signals(&client, &source, &services, &ranges, now).await
        } else {
            client.labels().await.map(|(_, warnings)| Round {
                answers: vec![],
                history: BTreeMap::new(),
                warnings,
                queries: 1,
            })
        };
        let at = cx.clock.now();
        let wait = match result {
            Ok(round) => {
                failures = 0;
                for (range, signal, mut answer) in round.answers {
                    answer.fetched_at = Some(at);
                    let _ = tx
                        .send(Msg::Signals(SignalsMsg::Loaded {
                            range,
                            signal,
                            answer,
                        }))
                        .await;
                }
                if signals && !services.is_empty() {
                    let _ = tx
                        .send(Msg::Signals(SignalsMsg::History {
                            spans: round.history,
                        }))
                        .await;
                }
                let mut warnings = round.warnings;
                warnings.dedup();
                let detail =
                    (!warnings.is_empty()).then(|| format!("warning: {}", warnings.join("; ")));
                let _ = tx
                    .send(Msg::Source {
                        id: id.clone(),
                        event: SourceEvent::Ok { at, detail },
                    })
                    .await;
                interval
            }
            Err(error) => {
                failures += 1;
                let wait = (interval * 2u32.saturating_pow(failures.min(4)))
                    .min(StdDuration::from_secs(300));
                let retry_at =
                    at + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::seconds(60));
                let _ = tx
                    .send(Msg::Source {
                        id: id.clone(),
                        event: SourceEvent::Failed {
                            error,
                            at,
                            retry_at: Some(retry_at),
                        },
                    })
                    .await;
                wait
            }
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = notified => {}
        }
    }
}
