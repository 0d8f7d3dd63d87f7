//! `flightdeck metrics`: DORA's five delivery metrics per service, with the previous window and
//! the org-wide rollup, for reports and CI. The services come from the same catalog `status`
//! reads; the history from GitHub (providers::github::history, cached on disk); the ticket
//! rework share from GitHub Issues, Jira and PagerDuty where they are configured; the
//! definitions from core (model::delivery). Field by field in docs/metrics.md.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use color_eyre::Result;
use serde_json::{Value, json};

use crate::clock::Clock;
use crate::config::Config;
use crate::providers::github::history::{
    Ask, BATCH, Cache, Reader, RepoHistory, cache_path, gitlab_cache_path,
};
use crate::providers::github::issues::closed_since;
use crate::providers::github::{GithubApi, resolve_token};
use crate::providers::http;
use crate::providers::jira::{self, JiraClient};
use crate::providers::pagerduty::{self, PdClient};
use flightdeck_core::model::alerts::Severity;
use flightdeck_core::model::catalog::Entity;
use flightdeck_core::model::create::{self, golden};
use flightdeck_core::model::delivery::{
    Bands, History, Metrics, Rules, Tally, TicketShare, Window, ticket_share,
};
use flightdeck_core::model::work::{Ticket, annotations};
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
    /// The ticket rework share; `None` when no ticket source was read for the service.
    tickets: Option<Tickets>,
    error: Option<String>,
    history: History,
    /// Mean time to recovery of its alerts started in the window, and how many resolved
    /// (from Prometheus' alert history; `None` without one).
    alert_mttr: Option<(Option<i64>, usize)>,
    /// Golden paths: the template that made it and when it was requested, from its annotations.
    template: Option<String>,
    requested: Option<DateTime<Utc>>,
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
                    GithubApi::for_source(source, token, http::REQUEST_TIMEOUT)
                        .map_err(|e| color_eyre::eyre::eyre!(e))?,
                ),
                source.api_url.clone(),
            ))
        }
        None => None,
    };
    // The other ticket sources of the rework share, where configured; one that cannot connect
    // is said once and left out.
    let jira = match &config.jira {
        Some(source) => jira::connect(source)
            .await
            .map_err(|e| eprintln!("flightdeck metrics: Jira: {e}"))
            .ok(),
        None => None,
    };
    let pagerduty = match &config.pagerduty {
        Some(source) => pagerduty::connect(source)
            .await
            .map_err(|e| eprintln!("flightdeck metrics: PagerDuty: {e}"))
            .ok(),
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
    // Every picked repository's history first, a batch at a time (one GraphQL query reads a
    // batch's deployments): what failed is said on its row, and its cached history stays.
    let mut read_failed: std::collections::HashMap<String, String> = Default::default();
    if let Some((api, _)) = &api {
        let reader = Reader::new(api.clone(), config.delivery.graphql);
        let mut asks: Vec<Ask> = Vec::new();
        for r in &picked {
            let slug = targets
                .iter()
                .find(|t| t.service == r.service)
                .and_then(|t| t.github.clone());
            let Some(slug) = slug else { continue };
            if asks.iter().any(|a| a.slug == slug) {
                continue;
            }
            let environment = model
                .catalog
                .get(&r.service)
                .and_then(|e| e.annotation(ENVIRONMENT_ANNOTATION))
                .unwrap_or("production")
                .to_string();
            asks.push(Ask { slug, environment });
        }
        for batch in asks.chunks(BATCH) {
            let mut held: Vec<RepoHistory> = batch
                .iter()
                .map(|a| cache.repos.remove(&a.slug).unwrap_or_default())
                .collect();
            let answers = reader.read(batch, since, &mut held).await;
            for ((a, repo), answer) in batch.iter().zip(held).zip(answers) {
                if let Err(f) = answer {
                    read_failed.insert(a.slug.clone(), f.describe("GitHub"));
                }
                cache.repos.insert(a.slug.clone(), repo);
            }
        }
    }
    // Checked when the config loaded.
    let rules = config
        .delivery
        .rules()
        .map_err(|e| color_eyre::eyre::eyre!("[delivery] {e}"))?;
    // GitLab projects' histories, a project at a time, into a cache of their own.
    let gitlab = match &config.gitlab {
        Some(source) => {
            let token = crate::providers::gitlab::resolve_token(source)
                .await
                .map_err(|e| color_eyre::eyre::eyre!(e))?;
            Some((
                crate::providers::gitlab::GitlabApi::new(
                    &source.api_url,
                    token,
                    4,
                    http::REQUEST_TIMEOUT,
                )
                .map_err(|e| color_eyre::eyre::eyre!(e))?,
                source.api_url.clone(),
            ))
        }
        None => None,
    };
    let gitlab_path = match (&gitlab, &args.cache_dir) {
        (Some((_, url)), Some(dir)) => Some(gitlab_cache_path(dir, url)),
        _ => None,
    };
    let mut gitlab_cache = gitlab_path.as_deref().map(Cache::load).unwrap_or_default();
    if let Some((api, _)) = &gitlab {
        for r in &picked {
            let target = targets.iter().find(|t| t.service == r.service);
            let Some(project) = target
                .filter(|t| t.github.is_none())
                .and_then(|t| t.gitlab.clone())
            else {
                continue;
            };
            let environment = model
                .catalog
                .get(&r.service)
                .and_then(|e| e.annotation(ENVIRONMENT_ANNOTATION))
                .unwrap_or("production")
                .to_string();
            let mut repo = gitlab_cache.repos.remove(&project).unwrap_or_default();
            if let Err(f) = api.history(&project, &environment, since, &mut repo).await {
                read_failed.insert(project.clone(), f.describe("GitLab"));
            }
            gitlab_cache.repos.insert(project, repo);
        }
    }
    let mut rows = Vec::new();
    for r in picked {
        let target = targets.iter().find(|t| t.service == r.service);
        let entity = model.catalog.get(&r.service);
        let slug = target.and_then(|t| t.github.clone());
        let mut error = None;
        let mut history = History::default();
        // The ticket side of rework: what each source resolved in both windows.
        let sources = TicketSources {
            github: api.as_ref().map(|(a, _)| a.as_ref()),
            jira: jira.as_ref(),
            pagerduty: pagerduty.as_ref(),
        };
        let (tickets, failed) = sources.read(slug.as_deref(), entity, window, until).await;
        if let Some(f) = failed.into_iter().next() {
            error = Some(f);
        }
        // A repository's history from a host's cache, classified with the service's alerts.
        let cached = |repos: &BTreeMap<String, RepoHistory>, key: &str| {
            let alerts = critical
                .get(r.service.as_str())
                .map_or(&[][..], Vec::as_slice);
            let empty = RepoHistory::default();
            history_of(repos.get(key).unwrap_or(&empty), since, alerts, &rules)
        };
        match (&slug, &api) {
            (Some(slug), Some(_)) => {
                history = cached(&cache.repos, slug);
                // The cached history stays; the row says it may be behind.
                error = read_failed.get(slug).cloned().or(error);
            }
            (Some(_), None) => error = Some("no [github] source is configured".into()),
            (None, _) => match (target.and_then(|t| t.gitlab.as_ref()), &gitlab) {
                (Some(project), Some(_)) => {
                    history = cached(&gitlab_cache.repos, project);
                    error = read_failed.get(project).cloned().or(error);
                }
                (Some(_), None) => error = Some("no [gitlab] source is configured".into()),
                (None, _) => {
                    error = Some(
                        "no github.com/project-slug or gitlab.com/project-slug annotation".into(),
                    )
                }
            },
        }
        let repo_name = slug
            .clone()
            .or_else(|| target.and_then(|t| t.gitlab.clone()));
        let template = entity
            .and_then(|e| e.annotation(create::SOURCE_TEMPLATE))
            .map(sanitize::ident);
        let requested = entity.and_then(create::requested_at);
        rows.push(Row {
            template,
            requested,
            name: r.name.clone(),
            service: r.service.clone(),
            owner: r.owner.clone(),
            system: r.system.clone(),
            repo: repo_name,
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
    for (c, p) in [(&cache, &path), (&gitlab_cache, &gitlab_path)] {
        if let Some(p) = p
            && let Err(e) = c.save(p)
        {
            tracing::warn!(error = %e, "cannot save the delivery cache");
        }
    }
    let org = rollup(&rows, window);
    let golden = golden_paths(&rows, window);
    let text = if args.json {
        let mut v = to_json(&rows, &org, window);
        add_golden_json(&mut v, &rows, &golden);
        serde_json::to_string_pretty(&v)? + "\n"
    } else if args.csv {
        to_csv(&rows)
    } else {
        to_text(&rows, window) + &golden_text(&rows, &golden)
    };
    crate::terminal::emit(text.as_bytes())?;
    for r in rows.iter().filter(|r| r.error.is_some()) {
        eprintln!(
            "flightdeck metrics: {}: {}",
            r.name,
            r.error.as_deref().unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The ticket rework share of one service, now and in the window before: over every source
/// read, together, and per source by name (`github`, `jira`, `pagerduty`).
#[derive(Debug, Clone, Default)]
struct Tickets {
    all: (TicketShare, TicketShare),
    sources: BTreeMap<&'static str, (TicketShare, TicketShare)>,
}

/// Tickets each with when it was resolved.
type Resolved = Vec<(DateTime<Utc>, Ticket)>;

/// The configured ticket sources the rework share reads.
struct TicketSources<'a> {
    github: Option<&'a GithubApi>,
    jira: Option<&'a JiraClient>,
    pagerduty: Option<&'a PdClient>,
}

impl TicketSources<'_> {
    /// What each source joined to the service resolved since the previous window's start: the
    /// repository's closed issues, the Jira project's (and component's) resolved issues, the
    /// PagerDuty service's resolved incidents. Says too which sources failed.
    async fn read(
        &self,
        slug: Option<&str>,
        entity: Option<&Entity>,
        window: Window,
        until: DateTime<Utc>,
    ) -> (Option<Tickets>, Vec<String>) {
        let since = window.previous().start;
        let annotation = |key| entity.and_then(|e| e.annotation(key)).map(str::trim);
        let mut read: Vec<(&'static str, Result<Resolved, String>)> = Vec::new();
        if let (Some(api), Some(slug)) = (self.github, slug) {
            let closed = closed_since(api, slug, since).await;
            read.push(("github", closed.map_err(|f| f.describe("GitHub issues"))));
        }
        if let (Some(client), Some(project)) = (self.jira, annotation(annotations::JIRA_PROJECT)) {
            let component = annotation(annotations::JIRA_COMPONENT);
            let resolved = client.resolved_since(project, component, since).await;
            read.push(("jira", resolved.map_err(|e| format!("Jira: {e}"))));
        }
        if let (Some(client), Some(id)) =
            (self.pagerduty, annotation(annotations::PAGERDUTY_SERVICE))
        {
            let resolved = client.resolved_since(id, since, until).await;
            read.push(("pagerduty", resolved.map_err(|e| format!("PagerDuty: {e}"))));
        }
        let shares = |list: &[(DateTime<Utc>, Ticket)]| {
            let of = |w| ticket_share(list.iter().map(|(at, t)| (*at, t)), w);
            (of(window), of(window.previous()))
        };
        let mut all = Vec::new();
        let mut sources = BTreeMap::new();
        let mut failed = Vec::new();
        for (name, result) in read {
            match result {
                Ok(list) => {
                    sources.insert(name, shares(&list));
                    all.extend(list);
                }
                Err(e) => failed.push(e),
            }
        }
        let tickets = (!sources.is_empty()).then(|| Tickets {
            all: shares(&all),
            sources,
        });
        (tickets, failed)
    }
}

/// One repository's cached deployments from `since` on (and the one before it), classified.
fn history_of(
    repo: &RepoHistory,
    since: DateTime<Utc>,
    alerts: &[DateTime<Utc>],
    rules: &Rules,
) -> History {
    History::new(repo.since(since), alerts, rules)
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

fn share_json(t: &TicketShare) -> Value {
    json!({ "resolved": t.resolved, "rework": t.rework, "share": t.share })
}

/// The ticket rework share over every source, with each source's own under `sources`; `pick`
/// chooses the window (now or the previous one).
fn tickets_json(
    t: Option<&Tickets>,
    pick: fn(&(TicketShare, TicketShare)) -> &TicketShare,
) -> Value {
    let Some(t) = t else {
        return Value::Null;
    };
    let mut v = share_json(pick(&t.all));
    if let Value::Object(o) = &mut v {
        let sources: serde_json::Map<String, Value> = t
            .sources
            .iter()
            .map(|(name, s)| ((*name).to_string(), share_json(pick(s))))
            .collect();
        o.insert("sources".into(), Value::Object(sources));
    }
    v
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
                    tickets_json(r.tickets.as_ref(), |s| &s.1),
                );
            }
            if let Value::Object(o) = &mut v {
                o.insert(
                    "ticket_rework".into(),
                    tickets_json(r.tickets.as_ref(), |s| &s.0),
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
        "name,owner,system,deployments,failed_deployments,deployments_per_week,lead_time_median_secs,lead_time_p90_secs,change_failure_rate,recovery_time_median_secs,rework_deployments,rework_rate,alert_mttr_secs,resolved_tickets,rework_tickets,ticket_rework_share,source_template,time_to_production_secs\n",
    );
    for r in rows {
        let m = &r.now;
        let t = r.tickets.as_ref().map(|t| t.all.0);
        // Catalog names cannot hold commas or quotes; owners and systems are names too.
        out.push_str(&format!(
            "{},{},{},{},{},{:.3},{},{},{},{},{},{},{},{},{},{},{},{}\n",
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
            // Golden paths: a template ref holds no comma.
            opt(r.template.as_deref()),
            opt(time_to_production(r)),
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
            pct(r.tickets.as_ref().and_then(|t| t.all.0.share)),
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Golden paths: time to production of services made from templates, and their share of
// production deployments (docs/metrics.md, "Golden paths").
// ---------------------------------------------------------------------------------------------

fn golden_paths(rows: &[Row], window: Window) -> golden::Adoption {
    golden::adoption(
        rows.iter().map(|r| golden::ServiceSide {
            template: r.template.as_deref(),
            requested: r.requested,
            history: &r.history,
        }),
        window,
    )
}

fn time_to_production(r: &Row) -> Option<i64> {
    golden::time_to_production(r.requested?, &r.history)
}

/// Each service gains `source_template` and `time_to_production_secs`; the org `golden_paths`.
fn add_golden_json(v: &mut Value, rows: &[Row], golden: &golden::Adoption) {
    if let Some(services) = v.get_mut("services").and_then(Value::as_array_mut) {
        for (s, r) in services.iter_mut().zip(rows) {
            if let Value::Object(o) = s {
                o.insert("source_template".into(), json!(r.template));
                o.insert(
                    "time_to_production_secs".into(),
                    json!(time_to_production(r)),
                );
            }
        }
    }
    if let Some(Value::Object(org)) = v.get_mut("org") {
        org.insert("golden_paths".into(), json!(golden));
    }
}

fn golden_text(rows: &[Row], golden: &golden::Adoption) -> String {
    use flightdeck_core::model::time::duration;
    let mut out = format!(
        "\ngolden paths: {} of {} services from templates; {} of production deployments",
        golden.template_services,
        golden.services,
        golden
            .share
            .map_or("—".to_string(), |s| format!("{:.0}%", s * 100.0)),
    );
    if let Some(m) = golden.time_to_production_median_secs {
        out.push_str(&format!(
            "; time to production median {} ({} reached it)",
            duration(Duration::seconds(m)),
            golden.reached_production
        ));
    }
    out.push('\n');
    for r in rows.iter().filter(|r| r.template.is_some()) {
        let ttp = match (r.requested, time_to_production(r)) {
            (_, Some(s)) => format!("time to production {}", duration(Duration::seconds(s))),
            (Some(_), None) => "not in production yet".to_string(),
            (None, None) => "no flightdeck.dev/created-at".to_string(),
        };
        out.push_str(&format!(
            "  {:<20} {:<32} {ttp}\n",
            r.name,
            r.template.as_deref().unwrap_or_default()
        ));
    }
    out
}
