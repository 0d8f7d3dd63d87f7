//! Prometheus' HTTP API v1: the golden signals of every service the cockpit shows, one batched
//! `query_range` per signal (never one per service), and each service's alert history from
//! `ALERTS`. API errors and warnings become the source's state in the status bar.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use serde::de::DeserializeOwned;
use tokio::sync::Notify;

use super::http::{Api, Auth, Failure, credentials};
use super::{Context, Provider};
use crate::config::{Config, PrometheusSource};
use flightdeck_core::message::signals::{Command, Msg as SignalsMsg};
use flightdeck_core::message::{Effect, Msg, SourceEvent};
use flightdeck_core::model::join::ServiceTarget;
use flightdeck_core::model::signals::{
    self, AlertSpan, Answer, Range, Series, Signal, Templates, Want,
};
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
    api: Api,
}

impl PromClient {
    pub fn new(name: &str, url: &str, auth: Auth, timeout: StdDuration) -> Result<Self, String> {
        Ok(Self {
            name: name.to_string(),
            api: Api::new(url, auth, timeout)?,
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
        let path = if query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{}", query.join("&"))
        };
        let req = self.api.request(reqwest::Method::GET, &path);
        // A failure on the way is read as every provider reads one: refused, reset, DNS, TLS
        // or no answer in time, naming the server, never the error's own words whole.
        let failed = |e: reqwest::Error| {
            Failure::from_reqwest(&e, &self.api.base, self.api.timeout).describe(what)
        };
        let resp = req.send().await.map_err(failed)?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(failed)?;
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

/// What the provider tasks share with the runner: every service of the catalog, what is on
/// screen (as `update` last said), and a wake-up.
#[derive(Default)]
struct Wanted {
    services: Mutex<Vec<String>>,
    /// Services' own queries, from their annotations.
    own: Mutex<BTreeMap<String, BTreeMap<Signal, String>>>,
    want: Mutex<Want>,
    refresh: Notify,
}

impl Wanted {
    fn generation(&self) -> u64 {
        lock(&self.want).generation
    }
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
        *lock(&self.wanted.own) = targets
            .iter()
            .filter(|t| !t.prometheus.is_empty())
            .map(|t| {
                let own = t
                    .prometheus
                    .iter()
                    .filter_map(|(k, q)| Some((Signal::from_key(k)?, q.clone())))
                    .collect();
                (t.name.clone(), own)
            })
            .collect();
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
            Effect::Signals(Command::Watch(want)) => {
                *lock(&self.wanted.want) = want.clone();
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

/// What one round reads: the Overview's hour for `services` (one batched query per signal),
/// the open Service screen's chart (its range, for its one service), and the alert history of
/// them all over `history`.
#[derive(Debug, Clone, Default)]
pub struct Ask {
    pub services: Vec<String>,
    pub chart: Option<(String, Range, u16)>,
    pub history: Range,
    /// Services' own queries (`flightdeck.dev/prometheus-…`): name → signal → template.
    pub own: BTreeMap<String, BTreeMap<Signal, String>>,
}

/// What one round of queries read.
pub struct Round {
    /// The Overview's hour.
    pub answers: Vec<(Range, Signal, Answer)>,
    /// The Service screen's chart.
    pub charts: Vec<(Range, Signal, Answer)>,
    pub history: BTreeMap<String, Vec<AlertSpan>>,
    pub warnings: Vec<String>,
    pub queries: usize,
    /// What is on screen changed while reading: the rest was not asked.
    pub cancelled: bool,
}

/// Reads one signal over one range for `names`: one batched query for those using the
/// template in force, one each for those with their own query.
#[allow(clippy::too_many_arguments)]
async fn read_one(
    client: &PromClient,
    templates: &Templates,
    label: &str,
    names: &[String],
    own: &BTreeMap<String, BTreeMap<Signal, String>>,
    signal: Signal,
    (start, end, step): (i64, i64, i64),
    window: &str,
    round: &mut Round,
) -> Result<Answer, String> {
    let mut answer = Answer {
        series: BTreeMap::new(),
        fetched_at: None,
        start,
        end,
        step,
        warnings: vec![],
    };
    let (theirs, batched): (Vec<&String>, Vec<&String>) = names
        .iter()
        .partition(|n| own.get(*n).is_some_and(|m| m.contains_key(&signal)));
    if !batched.is_empty() {
        let refs: Vec<&str> = batched.iter().map(|s| s.as_str()).collect();
        let expr = signals::render(templates.get(signal), label, &refs, window);
        let (data, warnings) = client.query_range(&expr, start, end, step).await?;
        round.queries += 1;
        answer.series = by_service(data, label, names);
        answer.warnings.extend(warnings);
    }
    for name in theirs {
        let Some(template) = own.get(name).and_then(|m| m.get(&signal)) else {
            continue;
        };
        let expr = signals::render(template, label, &[name.as_str()], window);
        let (data, warnings) = client.query_range(&expr, start, end, step).await?;
        round.queries += 1;
        answer.warnings.extend(warnings);
        // The service's own query may aggregate its label away: its one series is its own.
        let mut series = by_service(data.clone(), label, std::slice::from_ref(name));
        if series.is_empty()
            && let QueryData::Matrix(m) = data
            && let [one] = m.as_slice()
        {
            series.insert(
                name.clone(),
                Series {
                    points: one
                        .values
                        .iter()
                        .map(|p| (p.0.round() as i64, p.value()))
                        .collect(),
                },
            );
        }
        answer.series.extend(series);
    }
    round.warnings.extend(answer.warnings.iter().cloned());
    Ok(answer)
}

/// One round: a `query_range` per signal for the Overview's services and per signal for the
/// open chart, and three for the alert history (see `alert_history`). Stops at the first error: the
/// rest would fail alike; stops when `stale()` says the screen moved on.
pub async fn read_signals(
    client: &PromClient,
    source: &PrometheusSource,
    ask: &Ask,
    now: i64,
    stale: &(dyn Fn() -> bool + Sync),
) -> Result<Round, String> {
    let templates = templates(source);
    let label = source.service_label.as_str();
    let scrape = source.scrape_interval_secs as i64;
    let mut round = Round {
        answers: Vec::new(),
        charts: Vec::new(),
        history: BTreeMap::new(),
        warnings: Vec::new(),
        queries: 0,
        cancelled: false,
    };
    // Aligned to the scrape, so the newest point is the newest scrape's.
    let end = now - now.rem_euclid(scrape.max(1));
    let mut reads: Vec<(bool, Range, u16, Vec<String>)> = Vec::new();
    if !ask.services.is_empty() {
        reads.push((false, Range::Hour, HOUR_COLUMNS, ask.services.clone()));
    }
    if let Some((name, range, columns)) = &ask.chart {
        reads.push((true, *range, *columns, vec![name.clone()]));
    }
    let mut everyone: Vec<String> = ask.services.clone();
    everyone.extend(ask.chart.as_ref().map(|c| c.0.clone()));
    everyone.sort();
    everyone.dedup();
    if everyone.is_empty() {
        return Ok(round);
    }
    for (chart, range, columns, names) in reads {
        let step = signals::step_for(range, columns, scrape);
        let window = signals::window_for(step, scrape);
        let start = end - range.seconds();
        for signal in Signal::ALL {
            if stale() {
                round.cancelled = true;
                return Ok(round);
            }
            let answer = read_one(
                client,
                &templates,
                label,
                &names,
                &ask.own,
                signal,
                (start, end, step),
                &window,
                &mut round,
            )
            .await?;
            let to = if chart {
                &mut round.charts
            } else {
                &mut round.answers
            };
            to.push((range, signal, answer));
        }
    }
    if stale() {
        round.cancelled = true;
        return Ok(round);
    }
    // Alert history: each alert's firing spans per service over the window.
    let names: Vec<&str> = everyone.iter().map(String::as_str).collect();
    let step = signals::step_for(ask.history, 1440, scrape);
    let (history, warnings) = alert_history(
        client,
        label,
        &names,
        (end - ask.history.seconds(), end, step),
    )
    .await?;
    round.queries += 3;
    round.warnings.extend(warnings);
    round.history = history;
    Ok(round)
}

/// Each alert's firing spans per service over `start..end` (unix seconds) at `step`, in three
/// queries: `ALERTS` over the range for when each fired and resolved (to the step), and at the
/// end for whether it still fires, `ALERTS_FOR_STATE` for exactly when it became active.
/// Oldest first per service.
pub async fn alert_history(
    client: &PromClient,
    label: &str,
    names: &[&str],
    (start, end, step): (i64, i64, i64),
) -> Result<(BTreeMap<String, Vec<AlertSpan>>, Vec<String>), String> {
    let mut history: BTreeMap<String, Vec<AlertSpan>> = BTreeMap::new();
    let mut all_warnings = Vec::new();
    let selector = signals::render("$selector", label, names, "");
    // Over each step, not at its instant: an alert that fired between two points still counts.
    let expr = format!(
        "max by (alertname, severity, {label}) (max_over_time(ALERTS{{alertstate=\"firing\",{selector}}}[{step}s]))"
    );
    let (data, warnings) = client.query_range(&expr, start, end, step).await?;
    all_warnings.extend(warnings);
    // When each became active, exactly: the value of `ALERTS_FOR_STATE` is that time; the
    // earliest over each step, so an alert shorter than a step still has its start.
    let expr = format!(
        "min by (alertname, {label}) (min_over_time(ALERTS_FOR_STATE{{{selector}}}[{step}s]))"
    );
    let (since, warnings) = client.query_range(&expr, start, end, step).await?;
    all_warnings.extend(warnings);
    // What fires at the end itself: a span whose last point is within a step of the end may
    // have resolved since (each point covers the step before it).
    let expr =
        format!("count by (alertname, {label}) (ALERTS{{alertstate=\"firing\",{selector}}})");
    let (now, warnings) = client.query(&expr, Some(end as f64)).await?;
    all_warnings.extend(warnings);
    let firing: std::collections::BTreeSet<(String, String)> = match now {
        QueryData::Vector(v) => v
            .iter()
            .filter_map(|s| {
                Some((
                    sanitize::line(s.metric.get(label)?),
                    sanitize::line(s.metric.get("alertname")?),
                ))
            })
            .collect(),
        _ => Default::default(),
    };
    let mut active: BTreeMap<(String, String), Vec<(i64, f64)>> = BTreeMap::new();
    if let QueryData::Matrix(matrix) = since {
        for s in matrix {
            let (Some(service), Some(alert)) = (s.metric.get(label), s.metric.get("alertname"))
            else {
                continue;
            };
            active.insert(
                (sanitize::line(service), sanitize::line(alert)),
                s.values
                    .iter()
                    .map(|p| (p.0.round() as i64, p.value()))
                    .collect(),
            );
        }
    }
    if let QueryData::Matrix(matrix) = data {
        for s in matrix {
            let (Some(service), Some(alert)) = (s.metric.get(label), s.metric.get("alertname"))
            else {
                continue;
            };
            let critical = s.metric.get("severity").is_some_and(|v| v == "critical");
            let (service, alert) = (sanitize::line(service), sanitize::line(alert));
            let points: Vec<(i64, f64)> = s
                .values
                .iter()
                .map(|p| (p.0.round() as i64, p.value()))
                .collect();
            let mut spans = signals::spans(&alert, &points, step, end);
            if !firing.contains(&(service.clone(), alert.clone()))
                && let Some(last) = spans.last_mut()
                && last.end.is_none()
            {
                last.end = points.last().map(|p| p.0);
            }
            if let Some(since) = active.get(&(service.clone(), alert)) {
                signals::exact_starts(&mut spans, since, step);
            }
            for span in &mut spans {
                span.critical = critical;
            }
            history.entry(service).or_default().extend(spans);
        }
    }
    for spans in history.values_mut() {
        spans.sort_by_key(|s| s.start);
    }
    Ok((history, all_warnings))
}

/// How far back an alert's expression is graphed, and how wide.
pub const EXPR_RANGE: Range = Range::SixHours;
pub const EXPR_COLUMNS: u16 = 120;

/// The rule of alert `name` from the `rules` API, its comparison split, and its left side over
/// the last hours for the series whose labels agree with the alert's (the highest now when
/// several do). What cannot be read says why in the graph, not in the source's state.
pub async fn read_expr(
    client: &PromClient,
    source: &PrometheusSource,
    (name, labels): &(String, Vec<(String, String)>),
    now: i64,
) -> signals::ExprGraph {
    let mut graph = signals::ExprGraph {
        alert: name.clone(),
        left: String::new(),
        op: String::new(),
        right: String::new(),
        threshold: None,
        answer: Err("no rule of that name in Prometheus".into()),
    };
    let rules = match client.rules().await {
        Ok((r, _)) => r,
        Err(e) => {
            graph.answer = Err(e);
            return graph;
        }
    };
    let Some(rule) = rules
        .groups
        .iter()
        .flat_map(|g| &g.rules)
        .find(|r| r.kind == "alerting" && &r.name == name)
    else {
        return graph;
    };
    let expr = sanitize::line(rule.query.trim());
    let Some((left, op, right)) = signals::split_comparison(&expr) else {
        graph.left = expr;
        graph.answer = Err("the rule's expression compares nothing to graph against".into());
        return graph;
    };
    graph.threshold = right.parse::<f64>().ok();
    (graph.left, graph.op, graph.right) = (left, op, right);
    let scrape = source.scrape_interval_secs as i64;
    let step = signals::step_for(EXPR_RANGE, EXPR_COLUMNS, scrape);
    let end = now - now.rem_euclid(scrape.max(1));
    let start = end - EXPR_RANGE.seconds();
    let (data, warnings) = match client.query_range(&graph.left, start, end, step).await {
        Ok(d) => d,
        Err(e) => {
            graph.answer = Err(e);
            return graph;
        }
    };
    let QueryData::Matrix(matrix) = data else {
        graph.answer = Err("the left side is not a range of numbers".into());
        return graph;
    };
    // The alert's series: every label it shares with the alert agrees.
    let agrees = |metric: &BTreeMap<String, String>| {
        metric.iter().all(|(k, v)| {
            labels
                .iter()
                .find(|(lk, _)| lk == k)
                .is_none_or(|(_, lv)| lv == v)
        })
    };
    let best = matrix
        .iter()
        .filter(|s| agrees(&s.metric))
        .map(|s| Series {
            points: s
                .values
                .iter()
                .map(|p| (p.0.round() as i64, p.value()))
                .collect(),
        })
        .max_by(|a, b| {
            a.last()
                .unwrap_or(f64::MIN)
                .total_cmp(&b.last().unwrap_or(f64::MIN))
        });
    graph.answer = match best {
        Some(series) => Ok(Answer {
            series: [(String::new(), series)].into(),
            fetched_at: None,
            start,
            end,
            step,
            warnings: warnings.iter().map(|w| short(w)).collect(),
        }),
        None => Err("no series of the expression matches the alert's labels".into()),
    };
    graph
}

/// The alert history of `names` from `start` to `end` (unix seconds) in one Prometheus, for
/// `flightdeck metrics`: as fine a step as one answer allows (at most 10,000 points a series,
/// and only while an alert fires is there a point), never finer than the scrape.
pub async fn history_for(
    source: &PrometheusSource,
    names: &[&str],
    (start, end): (i64, i64),
) -> Result<BTreeMap<String, Vec<AlertSpan>>, String> {
    let client = credentials(
        source.token_env.as_deref(),
        source.token_command.as_deref(),
        source.basic_auth_user.as_deref(),
        source.basic_auth_password_env.as_deref(),
    )
    .await
    .and_then(|auth| {
        PromClient::new(
            &source.name,
            &source.url,
            auth,
            super::http::REQUEST_TIMEOUT,
        )
    })?;
    let scrape = (source.scrape_interval_secs as i64).max(1);
    let step = ((end - start + 9_999) / 10_000).max(scrape);
    let (history, _) =
        alert_history(&client, &source.service_label, names, (start, end, step)).await?;
    Ok(history)
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
        let want = lock(&wanted.want).clone();
        // Nothing on screen reads Prometheus (another screen is up): wait to be asked.
        if signals && want.idle() {
            notified.await;
            continue;
        }
        let ask = Ask {
            services: if !want.overview {
                Vec::new()
            } else if want.services.is_empty() {
                lock(&wanted.services).clone()
            } else {
                want.services.clone()
            },
            chart: want.chart.clone(),
            history: want.chart.as_ref().map_or(HISTORY, |c| c.1.max(HISTORY)),
            own: lock(&wanted.own).clone(),
        };
        let generation = want.generation;
        let stale = || wanted.generation() != generation;
        // Prometheus stamps samples with the wall clock, whatever clock the cockpit shows.
        let now = chrono::Utc::now().timestamp();
        let result = if signals {
            read_signals(&client, &source, &ask, now, &stale).await
        } else {
            client.labels().await.map(|(_, warnings)| Round {
                answers: vec![],
                charts: vec![],
                history: BTreeMap::new(),
                warnings,
                queries: 1,
                cancelled: false,
            })
        };
        if result.as_ref().is_ok_and(|r| r.cancelled) {
            // What is on screen changed mid-round: read the new thing at once.
            continue;
        }
        if signals
            && result.is_ok()
            && let Some(alert) = &want.alert
        {
            let graph = read_expr(&client, &source, alert, now).await;
            if !stale() {
                let _ = tx
                    .send(Msg::Signals(SignalsMsg::Expr { graph, generation }))
                    .await;
            }
        }
        let at = cx.clock.now();
        let wait = match result {
            Ok(round) => {
                failures = 0;
                let answers = round.answers.into_iter().map(|a| (false, a));
                let charts = round.charts.into_iter().map(|a| (true, a));
                for (chart, (range, signal, mut answer)) in answers.chain(charts) {
                    answer.fetched_at = Some(at);
                    let _ = tx
                        .send(Msg::Signals(SignalsMsg::Loaded {
                            range,
                            signal,
                            answer,
                            chart,
                            generation,
                        }))
                        .await;
                }
                if signals && !(ask.services.is_empty() && ask.chart.is_none()) {
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
