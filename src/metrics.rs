//! `flightdeck metrics`: DORA's five delivery metrics per service, with the previous window and
//! the org-wide rollup, for reports and CI. The services come from the same catalog `status`
//! reads; the history from GitHub (providers::github::history, cached on disk); the definitions
//! from core (model::delivery). Field by field in docs/metrics.md.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use color_eyre::Result;
use serde_json::{Value, json};

use crate::clock::Clock;
use crate::config::Config;
use crate::providers::github::history::{Cache, RepoHistory, cache_path, fetch_repo};
use crate::providers::github::issues::closed_since;
use crate::providers::github::{GithubApi, resolve_token};
use crate::providers::http;
use flightdeck_core::model::alerts::Severity;
use flightdeck_core::model::delivery::{
    Bands, History, Metrics, Rules, Tally, TicketShare, Window, ticket_share,
};
use flightdeck_core::sanitize;

pub use flightdeck_core::model::delivery::ENVIRONMENT_ANNOTATION;
// History is read this far before the previous window (the cockpit's Delivery screen reads
// as far): the first deployments in it have the one before them.
use flightdeck_core::update::delivery::MARGIN_DAYS;
/// The version of the JSON shape; bumped only on a change that breaks readers.
pub const JSON_VERSION: u32 = 1;

#[derive(Debug, Clone)]
pub struct MetricsArgs {
    pub json: bool,
    pub csv: bool,
    pub days: i64,
    pub service: Option<String>,
    pub owner: Option<String>,
    /// The window's end (default now): a report over a fixed past window.
    pub until: Option<DateTime<Utc>>,
    pub timeout: StdDuration,
    pub cache_dir: Option<PathBuf>,
}

/// `7d`, `30d` or `90d` (any whole number of days).
pub fn parse_days(s: &str) -> Result<i64, String> {
    s.strip_suffix('d')
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| (1..=366).contains(n))
        .ok_or_else(|| format!("`{s}` is not a window such as 7d, 30d or 90d"))
}

struct Row {
    name: String,
    service: String,
    owner: String,
    system: String,
    repo: Option<String>,
    now: Metrics,
    before: Metrics,
    /// The ticket rework share (GitHub issues closed), now and in the window before; `None`
    /// when the issues were not read.
    tickets: Option<(TicketShare, TicketShare)>,
    error: Option<String>,
    history: History,
    /// Mean time to recovery of its alerts started in the window, and how many resolved
    /// (from Prometheus' alert history; `None` without one).
    alert_mttr: Option<(Option<i64>, usize)>,
}

pub async fn run(config: &Config, args: MetricsArgs) -> Result<ExitCode> {
    let until = args.until.unwrap_or_else(Utc::now);
    let window = Window::last(args.days, until);
    let since = window.previous().start - Duration::days(MARGIN_DAYS);
    let (model, _) = crate::status::collect(config, Clock::System, args.timeout).await;
    let want = |needle: &Option<String>, name: &str, full: Option<&str>| match needle {
        None => true,
        Some(n) => name.eq_ignore_ascii_case(n) || full.is_some_and(|f| f.eq_ignore_ascii_case(n)),
    };
    let targets = model.catalog.targets();
    let picked: Vec<_> = model
        .catalog
        .overview
        .rows
        .iter()
        .filter(|r| want(&args.service, &r.name, Some(&r.service)))
        .filter(|r| want(&args.owner, &r.owner, r.owner_ref.as_deref()))
        .collect();
    if picked.is_empty() {
        eprintln!("flightdeck metrics: no service matches");
        return Ok(ExitCode::from(3));
    }
    let api = match &config.github {
        Some(source) => {
            let token = resolve_token(source)
                .await
                .map_err(|e| color_eyre::eyre::eyre!(e))?;
            Some((
                Arc::new(
                    GithubApi::new(
                        &source.api_url,
                        token,
                        source.max_in_flight,
                        http::REQUEST_TIMEOUT,
                    )
                    .map_err(|e| color_eyre::eyre::eyre!(e))?,
                ),
                source.api_url.clone(),
            ))
        }
        None => None,
    };
    let path = match (&api, &args.cache_dir) {
        (Some((_, url)), Some(dir)) => Some(cache_path(dir, url)),
        _ => None,
    };
    let mut cache = path.as_deref().map(Cache::load).unwrap_or_default();
    // The critical alerts the cockpit sees now (Alertmanager keeps no resolved ones), by
    // service ref: a deployment they started within an hour of is failed.
    let mut critical: std::collections::HashMap<&str, Vec<DateTime<Utc>>> = Default::default();
    for m in &model.alerts.merged {
        if let (Some(service), Some(a)) = (m.service_ref.as_deref(), model.alerts.alert(m))
            && a.severity == Severity::Critical
        {
            critical.entry(service).or_default().push(a.starts_at);
        }
    }
    // Where a Prometheus is configured, its alert history over both windows: each
    // critical alert's exact start joins the change-failure rule (resolved ones too, which
    // Alertmanager no longer has), and each service's alerts give its time to recovery.
    let alert_history = match config.prometheus.first() {
        Some(source) => {
            let names: Vec<&str> = picked.iter().map(|r| r.name.as_str()).collect();
            match crate::providers::prometheus::history_for(
                source,
                &names,
                // Only alerts in the two windows count: after a deploy in them, or for MTTR.
                (window.previous().start.timestamp(), until.timestamp()),
            )
            .await
            {
                Ok(h) => Some(h),
                Err(e) => {
                    eprintln!("flightdeck metrics: Prometheus {}: {e}", source.name);
                    None
                }
            }
        }
        None => None,
    };
    for r in &picked {
        let spans = alert_history.as_ref().and_then(|h| h.get(&r.name));
        for s in spans.into_iter().flatten().filter(|s| s.critical) {
            if let Some(at) = DateTime::from_timestamp(s.start, 0) {
                critical.entry(r.service.as_str()).or_default().push(at);
            }
        }
    }
    let mut rows = Vec::new();
    for r in picked {
        let target = targets.iter().find(|t| t.service == r.service);
        let entity = model.catalog.get(&r.service);
        let environment = entity
            .and_then(|e| e.annotation(ENVIRONMENT_ANNOTATION))
            .unwrap_or("production")
            .to_string();
        let slug = target.and_then(|t| t.github.clone());
        let mut error = None;
        let mut history = History::default();
        let mut tickets = None;
        // The ticket side of rework: the repository's issues closed in both windows.
        if let (Some(slug), Some((api, _))) = (&slug, &api) {
            match closed_since(api, slug, window.previous().start).await {
                Ok(closed) => {
                    let of = |w| ticket_share(closed.iter().map(|(at, t)| (*at, t)), w);
                    tickets = Some((of(window), of(window.previous())));
                }
                Err(f) => error = Some(f.describe("GitHub issues")),
            }
        }
        match (&slug, &api) {
            (Some(slug), Some((api, _))) => {
                let mut repo = cache.repos.remove(slug).unwrap_or_default();
                if let Err(f) = fetch_repo(api.clone(), slug, &environment, since, &mut repo).await
                {
                    // The cached history stays; the row says it may be behind.
                    error = Some(f.describe("GitHub"));
                }
                let alerts = critical
                    .get(r.service.as_str())
                    .map_or(&[][..], Vec::as_slice);
                history = history_of(&repo, since, alerts);
                cache.repos.insert(slug.clone(), repo);
            }
            (Some(_), None) => error = Some("no [github] source is configured".into()),
            (None, _) => {
                error = Some(if target.is_some_and(|t| t.gitlab.is_some()) {
                    "GitLab history is not read yet".into()
                } else {
                    "no github.com/project-slug annotation".into()
                })
            }
        }
        rows.push(Row {
            name: r.name.clone(),
            service: r.service.clone(),
            owner: r.owner.clone(),
            system: r.system.clone(),
            repo: slug,
            now: history.metrics(window),
            before: history.metrics(window.previous()),
            tickets,
            error,
            history,
            alert_mttr: alert_history.as_ref().map(|h| {
                h.get(&r.name).map_or((None, 0), |spans| {
                    flightdeck_core::model::signals::mttr_since(spans, window.start.timestamp())
                })
            }),
        });
    }
    if let Some(p) = &path
        && let Err(e) = cache.save(p)
    {
        tracing::warn!(error = %e, "cannot save the delivery cache");
    }
    let org = rollup(&rows, window);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&to_json(&rows, &org, window))?
        );
    } else if args.csv {
        print!("{}", to_csv(&rows));
    } else {
        print!("{}", to_text(&rows, window));
    }
    for r in rows.iter().filter(|r| r.error.is_some()) {
        eprintln!(
            "flightdeck metrics: {}: {}",
            r.name,
            r.error.as_deref().unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One repository's cached deployments from `since` on (and the one before it), classified.
fn history_of(repo: &RepoHistory, since: DateTime<Utc>, alerts: &[DateTime<Utc>]) -> History {
    History::new(repo.since(since), alerts, &Rules::default())
}

/// The org's metrics: every shown service's deployments in one tally.
fn rollup(rows: &[Row], window: Window) -> (Metrics, Metrics) {
    let mut now = Tally::default();
    let mut before = Tally::default();
    for r in rows {
        now.add(&r.history.deployments, &r.history.verdicts, window);
        before.add(
            &r.history.deployments,
            &r.history.verdicts,
            window.previous(),
        );
    }
    (now.metrics(window), before.metrics(window.previous()))
}

fn band_json(b: &Bands) -> Value {
    let name = |b: Option<flightdeck_core::model::delivery::Band>| b.map(|b| b.name());
    json!({
        "deployment_frequency": name(b.deployment_frequency),
        "lead_time": name(b.lead_time),
        "change_failure_rate": name(b.change_failure_rate),
        "recovery_time": name(b.recovery_time),
    })
}

fn metrics_json(m: &Metrics) -> Value {
    json!({
        "deployments": m.deployments,
        "successful_deployments": m.successful_deployments,
        "failed_deployments": m.failed_deployments,
        "deployments_per_day": m.deployments_per_day,
        "deployments_per_week": m.deployments_per_week,
        "lead_time_median_secs": m.lead_time_median_secs,
        "lead_time_p90_secs": m.lead_time_p90_secs,
        "lead_time_changes": m.lead_time_changes,
        "change_failure_rate": m.change_failure_rate,
        "recovery_time_median_secs": m.recovery_time_median_secs,
        "recoveries": m.recoveries,
        "unrecovered": m.unrecovered,
        "rework_deployments": m.rework_deployments,
        "rework_rate": m.rework_rate,
        "bands": band_json(&m.bands()),
    })
}

fn share_json(t: Option<&TicketShare>) -> Value {
    match t {
        Some(t) => json!({ "resolved": t.resolved, "rework": t.rework, "share": t.share }),
        None => Value::Null,
    }
}

fn to_json(rows: &[Row], org: &(Metrics, Metrics), window: Window) -> Value {
    let services: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut v = metrics_json(&r.now);
            let mut before = metrics_json(&r.before);
            if let Value::Object(o) = &mut before {
                o.insert(
                    "ticket_rework".into(),
                    share_json(r.tickets.as_ref().map(|t| &t.1)),
                );
            }
            if let Value::Object(o) = &mut v {
                o.insert(
                    "ticket_rework".into(),
                    share_json(r.tickets.as_ref().map(|t| &t.0)),
                );
                o.insert("name".into(), json!(r.name));
                o.insert("ref".into(), json!(r.service));
                o.insert("owner".into(), json!(r.owner));
                o.insert("system".into(), json!(r.system));
                o.insert("repo".into(), json!(r.repo));
                o.insert("previous".into(), before);
                o.insert(
                    "alert_mttr_secs".into(),
                    json!(r.alert_mttr.and_then(|m| m.0)),
                );
                o.insert("alerts_resolved".into(), json!(r.alert_mttr.map(|m| m.1)));
                o.insert("error".into(), json!(r.error));
            }
            v
        })
        .collect();
    let mut org_v = metrics_json(&org.0);
    if let Value::Object(o) = &mut org_v {
        o.insert("previous".into(), metrics_json(&org.1));
    }
    json!({
        "version": JSON_VERSION,
        "window": {
            "start": window.start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "end": window.end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "days": window.days(),
        },
        "services": services,
        "org": org_v,
    })
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn to_csv(rows: &[Row]) -> String {
    let mut out = String::from(
        "name,owner,system,deployments,failed_deployments,deployments_per_week,lead_time_median_secs,lead_time_p90_secs,change_failure_rate,recovery_time_median_secs,rework_deployments,rework_rate,alert_mttr_secs,resolved_tickets,rework_tickets,ticket_rework_share\n",
    );
    for r in rows {
        let m = &r.now;
        let t = r.tickets.as_ref().map(|t| t.0);
        // Catalog names cannot hold commas or quotes; owners and systems are names too.
        out.push_str(&format!(
            "{},{},{},{},{},{:.3},{},{},{},{},{},{},{},{},{},{}\n",
            sanitize::ident(&r.name),
            sanitize::ident(&r.owner),
            sanitize::ident(&r.system),
            m.deployments,
            m.failed_deployments,
            m.deployments_per_week,
            opt(m.lead_time_median_secs),
            opt(m.lead_time_p90_secs),
            opt(m.change_failure_rate.map(|v| format!("{v:.4}"))),
            opt(m.recovery_time_median_secs),
            m.rework_deployments,
            opt(m.rework_rate.map(|v| format!("{v:.4}"))),
            opt(r.alert_mttr.and_then(|m| m.0)),
            opt(t.map(|t| t.resolved)),
            opt(t.map(|t| t.rework)),
            opt(t.and_then(|t| t.share).map(|v| format!("{v:.4}"))),
        ));
    }
    out
}

fn to_text(rows: &[Row], window: Window) -> String {
    use flightdeck_core::model::time::duration;
    let dur = |s: Option<i64>| s.map_or("—".to_string(), |s| duration(Duration::seconds(s)));
    let pct = |r: Option<f64>| r.map_or("—".to_string(), |r| format!("{:.0}%", r * 100.0));
    let mut out = format!(
        "{:<20} {:>6} {:>8} {:>9} {:>6} {:>9} {:>7} {:>7} {:>8}   last {:.0} days\n",
        "SERVICE",
        "DEPLOYS",
        "PER WEEK",
        "LEAD MED",
        "CFR",
        "RECOVERY",
        "REWORK",
        "MTTR",
        "BUG WORK",
        window.days()
    );
    for r in rows {
        let m = &r.now;
        out.push_str(&format!(
            "{:<20} {:>6} {:>8.1} {:>9} {:>6} {:>9} {:>7} {:>7} {:>8}\n",
            r.name,
            m.deployments,
            m.deployments_per_week,
            dur(m.lead_time_median_secs),
            pct(m.change_failure_rate),
            dur(m.recovery_time_median_secs),
            pct(m.rework_rate),
            dur(r.alert_mttr.and_then(|m| m.0)),
            pct(r.tickets.and_then(|t| t.0.share)),
        ));
    }
    out
}
