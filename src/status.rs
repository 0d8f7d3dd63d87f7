//! `flightdeck status`: the joined Overview for scripts, shell prompts and CI. It runs the same
//! providers, the same `update` and the same join as the cockpit (one code path), waits until
//! every source has answered once or the timeout passes, prints the rows, and exits as a
//! monitoring plugin does: 0 healthy, 1 warning, 2 critical, 3 unknown (nothing to judge: no
//! source answered, or the filters match no service). The JSON is docs/status-json.md.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use color_eyre::Result;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::clock::Clock;
use crate::config::Config;
use crate::providers::{Context, Providers};
use flightdeck_core::keymap::Keymap;
use flightdeck_core::message::{Effect, Msg, SourceEvent};
use flightdeck_core::model::catalog::{ProblemLevel, short_ref};
use flightdeck_core::model::delivery::trail::{Step, Trail, my_changes};
use flightdeck_core::model::join::RunState;
use flightdeck_core::model::overview::{Cell, Health, ServiceRow, Why};
use flightdeck_core::model::{FetchState, Model, SourceId, SourceKind, SourceStatus};
use flightdeck_core::update::update;

/// What `flightdeck status` was asked.
#[derive(Debug, Clone)]
pub struct StatusArgs {
    pub json: bool,
    /// Only this service (its name or catalog ref).
    pub service: Option<String>,
    /// Only services owned by this Group (name or ref).
    pub owner: Option<String>,
    /// Only the user's services.
    pub mine: bool,
    /// How long to wait for the sources' first answers.
    pub timeout: Duration,
}

/// The version of the JSON shape; bumped only on a change that breaks readers.
pub const JSON_VERSION: u32 = 1;

/// A source with no provider in this build says so at once; give providers this long to
/// start before believing it.
const UNSUPPORTED_GRACE: Duration = Duration::from_millis(1500);
/// A source that answered before it knew the services may not answer again soon (a watch
/// reports only changes): after the targets, wait this long for news, then take what it has.
const SETTLE: Duration = Duration::from_millis(2500);

pub async fn run(config: &Config, args: StatusArgs) -> Result<ExitCode> {
    let (model, answered) = collect(config, Clock::System, args.timeout).await;
    let report = Report::new(&model, &args, &answered);
    if args.json {
        // Straight to stdout: at 20,000 services the text is 38 MB, not worth holding.
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let written = report
            .write_json(&mut out)
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush());
        match written {
            // A reader that stops early (`| head`) wanted no more.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            written => written?,
        }
    } else {
        crate::terminal::emit(report.text().as_bytes())?;
    }
    // On stderr in both modes: stdout stays one JSON document, and a prompt that shows stdout
    // still says why its answer is partial or missing.
    for line in report.errors.iter().chain(&report.warnings) {
        eprintln!("flightdeck status: {line}");
    }
    Ok(ExitCode::from(report.exit_code))
}

/// Runs the providers into a model until every source answered once (after learning the
/// services), or `timeout`. Returns the model and which sources answered.
pub async fn collect(
    config: &Config,
    clock: Clock,
    timeout: Duration,
) -> (Model, BTreeMap<SourceId, bool>) {
    let started = Instant::now();
    let deadline = started + timeout;
    let mut model =
        crate::startup::model(config, Keymap::defaults(), true, clock.now(), Path::new(""));
    // No screen: every service's signals, not the rows an 80x24 terminal would show.
    model.signals.every_service = true;
    let (tx, mut rx) = mpsc::channel(1024);
    let mut providers = Providers::start(
        config,
        &Context {
            tx,
            clock: clock.clone(),
            read_only: true,
        },
    );
    let mut answered_at: BTreeMap<SourceId, Instant> = BTreeMap::new();
    let mut targets_at: Option<Instant> = None;
    let catalog_sources: Vec<SourceId> = model
        .sources
        .iter()
        .filter(|s| s.id.kind == flightdeck_core::model::SourceKind::Catalog)
        .map(|s| s.id.clone())
        .collect();
    loop {
        let now = Instant::now();
        if all_answered(
            &model,
            &answered_at,
            targets_at,
            &catalog_sources,
            started,
            now,
        ) || now >= deadline
        {
            break;
        }
        // Wake at least every 250 ms to re-check the grace periods.
        let wait = (deadline - now).min(Duration::from_millis(250));
        let msg = match tokio::time::timeout(wait, rx.recv()).await {
            Ok(Some(msg)) => msg,
            Ok(None) => break,
            Err(_) => continue,
        };
        if let Msg::Source {
            id,
            event: SourceEvent::Ok { .. } | SourceEvent::Failed { .. },
        } = &msg
        {
            answered_at.insert(id.clone(), Instant::now());
        }
        apply(&mut model, msg, &mut providers, &mut targets_at);
        let _ = update(&mut model, Msg::Tick(clock.now()));
    }
    // What arrived together with the last answers is part of them.
    while let Ok(msg) = rx.try_recv() {
        apply(&mut model, msg, &mut providers, &mut targets_at);
    }
    flightdeck_core::update::overview::rejoin(&mut model);
    flightdeck_core::update::work::rejoin(&mut model);
    let answered = model
        .sources
        .iter()
        .map(|s| (s.id.clone(), answered_at.contains_key(&s.id)))
        .collect();
    (model, answered)
}

fn apply(model: &mut Model, msg: Msg, providers: &mut Providers, targets_at: &mut Option<Instant>) {
    for effect in update(model, msg)
        .iter()
        .filter(|e| crate::providers::headless(e))
    {
        if matches!(effect, Effect::Targets(_)) {
            *targets_at = Some(Instant::now());
        }
        providers.dispatch(effect);
    }
}

fn all_answered(
    model: &Model,
    answered_at: &BTreeMap<SourceId, Instant>,
    targets_at: Option<Instant>,
    catalog: &[SourceId],
    started: Instant,
    now: Instant,
) -> bool {
    let catalog_done = catalog.iter().all(|id| answered_at.contains_key(id));
    model.sources.iter().all(|s| {
        if s.state == FetchState::Unsupported && !answered_at.contains_key(&s.id) {
            return now - started >= UNSUPPORTED_GRACE;
        }
        if catalog.contains(&s.id) {
            return answered_at.contains_key(&s.id);
        }
        if !catalog_done {
            return false;
        }
        match (answered_at.get(&s.id), targets_at) {
            // Without services there is nothing more to wait for than a first answer.
            (Some(_), None) => true,
            (Some(at), Some(t)) => *at >= t || now - t >= SETTLE,
            (None, _) => false,
        }
    })
}

/// Exit codes, as monitoring plugins give them.
pub const OK: u8 = 0;
pub const WARNING: u8 = 1;
pub const CRITICAL: u8 = 2;
pub const UNKNOWN: u8 = 3;

/// How many near names an unknown `--service` or `--owner` suggests.
const NEAREST: usize = 3;

/// The rows `status` prints, filtered as asked, and the exit code they give.
pub struct Report<'a> {
    model: &'a Model,
    rows: Vec<&'a ServiceRow>,
    answered: &'a BTreeMap<SourceId, bool>,
    /// Why there is nothing to judge; any makes the exit code [`UNKNOWN`].
    pub errors: Vec<String>,
    /// What the answer lacks: each source that failed or stayed silent.
    pub warnings: Vec<String>,
    pub exit_code: u8,
    /// With `--mine`: the trail of the user's newest change (docs/status-json.md `my_change`).
    pub my_change: Option<Trail>,
}

impl<'a> Report<'a> {
    pub fn new(
        model: &'a Model,
        args: &StatusArgs,
        answered: &'a BTreeMap<SourceId, bool>,
    ) -> Report<'a> {
        let want = |needle: &Option<String>, name: &str, full: Option<&str>| match needle {
            None => true,
            Some(n) => {
                let n = n.to_lowercase();
                name.to_lowercase() == n || full.is_some_and(|f| f == n)
            }
        };
        let rows: Vec<&ServiceRow> = model
            .catalog
            .overview
            .rows
            .iter()
            .filter(|r| want(&args.service, &r.name, Some(&r.service)))
            .filter(|r| want(&args.owner, &r.owner, r.owner_ref.as_deref()))
            .filter(|r| !args.mine || r.mine)
            .collect();
        let answered_ok = |s: &SourceStatus| answered.get(&s.id).copied().unwrap_or(false);
        let silent: Vec<&SourceStatus> = model
            .sources
            .iter()
            .filter(|s| match &s.state {
                FetchState::Unsupported => false,
                FetchState::Failing { .. } => true,
                _ => !answered_ok(s),
            })
            .collect();
        let warnings: Vec<String> = silent
            .iter()
            .map(|s| match &s.state {
                FetchState::Failing { error, .. } => {
                    format!(
                        "{} failing: {error}; what it shows is missing",
                        s.id.label()
                    )
                }
                _ => format!(
                    "{} did not answer within {}s; what it shows is missing",
                    s.id.label(),
                    args.timeout.as_secs_f64().ceil()
                ),
            })
            .collect();

        let mut errors = Vec::new();
        let all = &model.catalog.overview.rows;
        if let Some(name) = &args.service
            && !all
                .iter()
                .any(|r| want(&args.service, &r.name, Some(&r.service)))
        {
            errors.push(no_match(
                "service",
                name,
                all.iter().map(|r| r.name.as_str()),
            ));
        }
        if let Some(owner) = &args.owner
            && !all
                .iter()
                .any(|r| want(&args.owner, &r.owner, r.owner_ref.as_deref()))
        {
            errors.push(no_match(
                "owner",
                owner,
                all.iter()
                    .map(|r| r.owner.as_str())
                    .filter(|o| !o.is_empty()),
            ));
        }
        if errors.is_empty() && rows.is_empty() {
            errors.push(if args.mine {
                "no service is yours (owned by you or your Groups)".to_string()
            } else if all.is_empty() {
                "the catalog lists no service".to_string()
            } else {
                "no service matches all the filters".to_string()
            });
        }
        if model.sources.iter().all(|s| {
            !answered_ok(s)
                || matches!(
                    s.state,
                    FetchState::Failing { .. } | FetchState::Unsupported
                )
        }) {
            errors.push(format!(
                "no source answered within {}s",
                args.timeout.as_secs_f64().ceil()
            ));
        }
        // The service list itself may be short when a catalog is silent.
        let silent_catalogs: Vec<String> = silent
            .iter()
            .filter(|s| s.id.kind == flightdeck_core::model::SourceKind::Catalog)
            .map(|s| s.id.label())
            .collect();
        if !errors.is_empty() && !silent_catalogs.is_empty() {
            errors.push(format!(
                "the services may be incomplete: {} did not answer",
                silent_catalogs.join(", ")
            ));
        }

        let worst = rows
            .iter()
            .map(|r| r.health)
            .min()
            .unwrap_or(Health::Unknown);
        let exit_code = if !errors.is_empty() {
            UNKNOWN
        } else {
            let by_health = match worst {
                Health::Critical => CRITICAL,
                Health::Failing | Health::Warning => WARNING,
                Health::Healthy | Health::Unknown => OK,
            };
            // A partial answer never reads healthy: what the silent source would show is
            // unknown, and it may be the very problem.
            if silent.is_empty() {
                by_health
            } else {
                by_health.max(WARNING)
            }
        };
        let my_change = if args.mine {
            my_changes(model, 1).into_iter().next()
        } else {
            None
        };
        Report {
            model,
            rows,
            answered,
            errors,
            warnings,
            exit_code,
            my_change,
        }
    }

    fn worst(&self) -> Health {
        self.rows
            .iter()
            .map(|r| r.health)
            .min()
            .unwrap_or(Health::Unknown)
    }

    fn source_state(&self, s: &SourceStatus) -> &'static str {
        match &s.state {
            FetchState::Unsupported => "unsupported",
            FetchState::Failing { .. } => "failing",
            _ if !self.answered.get(&s.id).copied().unwrap_or(false) => "no_answer",
            FetchState::Connecting => "no_answer",
            FetchState::Ok if s.is_stale(self.model.now) => "stale",
            FetchState::Ok => "ok",
        }
    }

    /// The JSON of docs/status-json.md, as a value (tests read it so).
    pub fn json(&self) -> Value {
        serde_json::to_value(Json(self)).unwrap_or(Value::Null)
    }

    /// The JSON of docs/status-json.md, written as it is made: at 20,000 services a whole
    /// `Value` tree took about 460 MB; here one service's tree is made at a time.
    pub fn write_json(&self, out: impl std::io::Write) -> serde_json::Result<()> {
        serde_json::to_writer_pretty(out, &Json(self))
    }

    fn sources_json(&self) -> Value {
        let m = self.model;
        m.sources
            .iter()
            .map(|s| json!({
                "id": s.id.label(),
                "kind": s.id.kind.label(),
                "name": s.id.name,
                "state": self.source_state(s),
                "fetched_at": s.fetched_at,
                "error": match &s.state { FetchState::Failing { error, .. } => Some(error.clone()), _ => None },
                "retry_at": match &s.state { FetchState::Failing { retry_at, .. } => *retry_at, _ => None },
                "detail": s.detail,
            }))
            .collect()
    }

    fn row_json(&self, r: &ServiceRow) -> Value {
        let m = self.model;
        let mut v = service_json(r);
        v["signals"] = signals_json(m, &r.name);
        if let Some(o) = v.as_object_mut() {
            let (tickets, oncall) = work_json(m, &r.service);
            o.insert("tickets".into(), tickets);
            o.insert("oncall".into(), oncall);
        }
        v
    }

    /// A plain table (no colour: it goes to scripts and prompts as often as to people).
    pub fn text(&self) -> String {
        use flightdeck_core::model::time::age;
        let now = self.model.now;
        let mut out = String::new();
        let w = self
            .rows
            .iter()
            .map(|r| r.name.chars().count())
            .max()
            .unwrap_or(7)
            .max(7);
        let o = self
            .rows
            .iter()
            .map(|r| r.owner.chars().count())
            .max()
            .unwrap_or(5)
            .max(5);
        out.push_str(&format!(
            "{:<w$}  {:<o$}  {:<8}  {:<12}  {:<15}  {:<8}  {:<7}  DOCS\n",
            "SERVICE", "OWNER", "HEALTH", "CI", "DEPLOYED", "PODS", "ALERTS"
        ));
        for r in &self.rows {
            let ci = match &r.ci {
                Cell::Value { value, .. } => {
                    format!("{} {}", run_state(value.state), age(now, value.at))
                }
                Cell::Empty(why) => why.short().to_string(),
            };
            let deploy = match &r.deploy {
                Cell::Value { value, .. } => {
                    let v: String = value.version.chars().take(7).collect();
                    let failed = if value.state == RunState::Failure {
                        " failed"
                    } else {
                        ""
                    };
                    format!("{v} {}{failed}", age(now, value.since))
                }
                Cell::Empty(why) => why.short().to_string(),
            };
            let pods = match &r.pods {
                Cell::Value { value, .. } if value.restarts_last_hour > 0 => {
                    format!(
                        "{}/{} ↻{}",
                        value.ready, value.total, value.restarts_last_hour
                    )
                }
                Cell::Value { value, .. } => format!("{}/{}", value.ready, value.total),
                Cell::Empty(why) => why.short().to_string(),
            };
            let alerts = match &r.alerts {
                Cell::Value { value, .. } if value.total() == 0 => "0".to_string(),
                Cell::Value { value, .. } => format!("{}c {}w", value.critical, value.warning),
                Cell::Empty(why) => why.short().to_string(),
            };
            let docs = match &r.docs {
                Cell::Value { .. } => "yes".to_string(),
                Cell::Empty(_) => "no".to_string(),
            };
            out.push_str(&format!(
                "{:<w$}  {:<o$}  {:<8}  {:<12}  {:<15}  {:<8}  {:<7}  {docs}\n",
                r.name,
                if r.owner.is_empty() { "-" } else { &r.owner },
                r.health.label(),
                ci,
                deploy,
                pods,
                alerts,
            ));
        }
        if self.rows.is_empty() {
            out.push_str("(no service matches)\n");
        }
        let sources: Vec<String> = self
            .model
            .sources
            .iter()
            .map(|s| match &s.state {
                FetchState::Failing { error, .. } => format!("{} failing: {error}", s.id.label()),
                _ => format!(
                    "{} {}",
                    s.id.label(),
                    self.source_state(s).replace('_', " ")
                ),
            })
            .collect();
        if !sources.is_empty() {
            out.push_str(&format!("\nsources: {}\n", sources.join(" · ")));
        }
        let problems = self.model.catalog.problems.len();
        if problems > 0 {
            out.push_str(&format!(
                "{problems} catalog problems; `flightdeck status --json` lists them\n"
            ));
        }
        if let Some(c) = &self.my_change {
            out.push_str(&format!("\n{}\n", trail_text(c, now)));
        }
        out
    }
}

/// `no service named "paymnts"; nearest: payments-api, payments-gw`.
fn no_match<'a>(what: &str, asked: &str, known: impl Iterator<Item = &'a str>) -> String {
    let known: Vec<&str> = {
        let mut v: Vec<&str> = known.collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let asked = flightdeck_core::sanitize::line(asked);
    // A ref (`component:default/x`) is judged by its name.
    let word = asked.rsplit(['/', ':']).next().unwrap_or(&asked);
    let near = flightdeck_core::suggest::nearest(word, known.iter().copied(), NEAREST);
    if near.is_empty() {
        format!(
            "no {what} named \"{asked}\"; {} known, none near it",
            known.len()
        )
    } else {
        format!("no {what} named \"{asked}\"; nearest: {}", near.join(", "))
    }
}

/// The report as docs/status-json.md shapes it. Keys are written in the order a `Value`'s
/// map sorts them, so the streamed text is what printing a whole tree gave.
struct Json<'r, 'a>(&'r Report<'a>);

impl serde::Serialize for Json<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let r = self.0;
        let m = r.model;
        let mut map = serializer.serialize_map(Some(11))?;
        map.serialize_entry("errors", &r.errors)?;
        map.serialize_entry("exit_code", &r.exit_code)?;
        map.serialize_entry("generated_at", &m.now)?;
        map.serialize_entry("health", r.worst().label())?;
        map.serialize_entry("me", &m.catalog.identity.as_ref().map(|i| &i.user))?;
        map.serialize_entry("my_change", &r.my_change.as_ref().map(trail_json))?;
        map.serialize_entry(
            "problems",
            &Each(&m.catalog.problems, |p: &std::sync::Arc<_>| problem_json(p)),
        )?;
        map.serialize_entry(
            "services",
            &Each(&r.rows, |row: &&ServiceRow| r.row_json(row)),
        )?;
        map.serialize_entry("sources", &r.sources_json())?;
        map.serialize_entry("version", &JSON_VERSION)?;
        map.serialize_entry("warnings", &r.warnings)?;
        map.end()
    }
}

/// A list written one item's `Value` at a time.
struct Each<'l, T, F>(&'l [T], F);

impl<T, F: Fn(&T) -> Value> serde::Serialize for Each<'_, T, F> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(&self.1))
    }
}

fn problem_json(p: &flightdeck_core::model::catalog::Problem) -> Value {
    json!({
        "level": match p.level { ProblemLevel::Error => "error", ProblemLevel::Warning => "warning" },
        "file": p.place.as_ref().map(|p| p.path.clone()),
        "line": p.place.as_ref().map(|p| p.line),
        "column": p.place.as_ref().map(|p| p.column),
        "entity": p.entity,
        "message": p.message,
    })
}

fn run_state(s: RunState) -> &'static str {
    match s {
        RunState::Queued => "queued",
        RunState::Running => "running",
        RunState::Success => "success",
        RunState::Failure => "failure",
        RunState::Cancelled => "cancelled",
        RunState::Skipped => "skipped",
        RunState::Other => "other",
    }
}

fn why_json(why: &Why) -> Value {
    let kind = match why {
        Why::NotConfigured(_) => "not_configured",
        Why::NoKey(_) => "no_key",
        Why::Loading => "loading",
        Why::Unsupported => "unsupported",
        Why::Failing(_) => "failing",
        Why::Nothing(_) => "nothing",
    };
    json!({ "kind": kind, "message": why.long() })
}

fn cell_json<T>(cell: &Cell<T>, value: impl Fn(&T) -> Value) -> Value {
    match cell {
        Cell::Value { value: v, source } => json!({
            "value": value(v),
            "source": source.as_ref().map(SourceId::label),
            "why": null,
        }),
        Cell::Empty(why) => json!({ "value": null, "source": null, "why": why_json(why) }),
    }
}

/// The newest golden signals and the alert history of one service, or null without a
/// Prometheus source. MTTR is in seconds over the history window, for `flightdeck metrics` to
/// join per service.
fn signals_json(m: &Model, service: &str) -> Value {
    use flightdeck_core::model::signals::{Signal, Unit, mttr};
    if !m.signals.enabled {
        return Value::Null;
    }
    let mut current = serde_json::Map::new();
    for signal in Signal::ALL {
        let unit = match signal.unit() {
            Unit::PerSecond => "per_second",
            Unit::Ratio => "ratio",
            Unit::Seconds => "seconds",
            Unit::Number => "number",
        };
        current.insert(
            signal.key().into(),
            json!({
                "value": m.signals.current(signal, service).filter(|v| v.is_finite()),
                "unit": unit,
            }),
        );
    }
    let spans = m
        .signals
        .history
        .get(service)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let at = |t: i64| chrono::DateTime::from_timestamp(t, 0);
    json!({
        "current": current,
        "alert_history": {
            "window_seconds": 24 * 3600,
            "mttr_seconds": mttr(spans),
            "alerts": spans.iter().map(|s| json!({
                "alert": s.alert,
                "started_at": at(s.start),
                "resolved_at": s.end.and_then(at),
                "time_to_resolve_seconds": s.end.map(|e| e.saturating_sub(s.start)),
            })).collect::<Vec<_>>(),
        },
    })
}

/// A service's open tickets and incidents, and who is on call for it: `null` when no ticket
/// source (`[jira]`, `[pagerduty]`, `[github]`'s issues) is configured or no on-call is known.
fn work_json(m: &Model, service: &str) -> (Value, Value) {
    let work = &m.work;
    let has_tickets = m.sources.iter().any(|s| {
        matches!(s.id.kind, SourceKind::Jira | SourceKind::Pagerduty)
            || s.id.name == flightdeck_core::update::work::GITHUB_ISSUES
    });
    let tickets = has_tickets.then(|| {
        let summary = work.by_service.get(service).cloned().unwrap_or_default();
        let mut items: Vec<&flightdeck_core::model::work::Ticket> = work
            .service_of
            .iter()
            .filter(|(_, s)| s.as_str() == service)
            .filter_map(|(r, _)| work.ticket(*r))
            .filter(|t| !t.done)
            .collect();
        items.sort_by(|a, b| (a.rank, a.created, &a.key).cmp(&(b.rank, b.created, &b.key)));
        json!({
            "open": summary.open,
            "bugs": summary.bugs,
            "incidents": summary.incidents,
            "labels": summary.labels,
            "items": items.iter().map(|t| json!({
                "source": t.source.label(),
                "key": t.key,
                "id": t.id,
                "title": t.title,
                "status": t.status,
                "priority": t.priority,
                "type": t.kind,
                "assignee": t.assignee,
                "mine": t.mine,
                "created": t.created,
                "url": t.url,
                "dedup_key": t.incident_key,
                "repo": t.repo,
                "labels": t.labels,
            })).collect::<Vec<_>>(),
        })
    });
    let oncall = work
        .by_service
        .get(service)
        .and_then(|w| w.oncall.as_ref())
        .map(|o| json!({ "now": o.now, "until": o.until, "next": o.next }));
    (
        tickets.unwrap_or(Value::Null),
        oncall.unwrap_or(Value::Null),
    )
}

fn service_json(r: &ServiceRow) -> Value {
    json!({
        "ref": r.service,
        "name": r.name,
        "owner": r.owner_ref,
        "owner_name": if r.owner.is_empty() { None } else { r.owner_ref.as_deref().map(|o| short_ref(o, "group")) },
        "system": if r.system.is_empty() { None } else { Some(r.system.clone()) },
        "lifecycle": if r.lifecycle.is_empty() { None } else { Some(r.lifecycle.clone()) },
        "health": r.health.label(),
        "mine": r.mine,
        "ci": cell_json(&r.ci, |c| json!({
            "state": run_state(c.state),
            "workflow": c.workflow,
            "branch": c.branch,
            "at": c.at,
        })),
        "deploy": cell_json(&r.deploy, |d| json!({
            "environment": d.environment,
            "version": d.version,
            "state": run_state(d.state),
            "since": d.since,
        })),
        "pods": cell_json(&r.pods, |p| json!({
            "ready": p.ready,
            "total": p.total,
            "restarts_last_hour": p.restarts_last_hour,
            "worst": p.worst,
        })),
        "alerts": cell_json(&r.alerts, |a| json!({
            "critical": a.critical,
            "warning": a.warning,
            "other": a.other,
        })),
        "docs": cell_json(&r.docs, |d| json!(d)),
    })
}

/// A step of a change's way: its state and, once it has one, its time.
fn step_json(step: Step) -> Value {
    let (state, at) = match step {
        Step::Done(at) => ("done", Some(at)),
        Step::Running(at) => ("running", Some(at)),
        Step::Failed(at) => ("failed", Some(at)),
        Step::Waiting => ("waiting", None),
    };
    json!({ "state": state, "at": at })
}

/// `my_change` of docs/status-json.md.
fn trail_json(c: &Trail) -> Value {
    json!({
        "service": c.service_name,
        "ref": c.service,
        "sha": c.sha,
        "title": c.title,
        "author": c.author,
        "merged_at": c.merged,
        "ci": step_json(c.ci),
        "staging": step_json(c.staging),
        "production": step_json(c.production),
        "pods_ready": c.pods.map(|p| p.0),
        "pods_total": c.pods.map(|p| p.1),
        "alerts_since": c.alerts_since,
        "critical_since": c.critical_since,
        "stage": c.stage(),
    })
}

/// One line: `my newest change: a1b2c3d Fix rounding (payments-api, 2h ago): CI ✓ → staging ✓
/// → production ✓ 40m ago → pods 3/3 → 0 alerts since · in production`.
fn trail_text(c: &Trail, now: chrono::DateTime<chrono::Utc>) -> String {
    use flightdeck_core::model::time::age;
    let step = |s: Step| match s {
        Step::Done(at) => format!("✓ {} ago", age(now, at)),
        Step::Running(_) => "…".to_string(),
        Step::Failed(at) => format!("✗ {} ago", age(now, at)),
        Step::Waiting => "·".to_string(),
    };
    let pods = c.pods.map_or("—".to_string(), |(r, t)| format!("{r}/{t}"));
    format!(
        "my newest change: {} {} ({}, merged {} ago): CI {} → staging {} → production {} → pods {pods} → {} alerts since · {}",
        c.sha.get(..7).unwrap_or(&c.sha),
        c.title,
        c.service_name,
        age(now, c.merged),
        step(c.ci),
        step(c.staging),
        step(c.production),
        c.alerts_since,
        c.stage()
    )
}
