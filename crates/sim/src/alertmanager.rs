//! The sim's Alertmanager, API v2: the world's firing alerts with their routes, silences and
//! inhibitions, served the way a real Alertmanager answers (its validation, its error texts,
//! its update-in-place rules), so amtool and the cockpit's provider work against it unchanged.
//!
//! Alerts are derived from the world at each request; what users change (posted alerts,
//! silences) lives in this module's store. All times are sim time.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::{Value, json};

use super::Shared;
use super::world::{self, SimClock, World};
use flightdeck_core::sync::lock;
use flightdeck_core::wire::alertmanager::{
    self as wire, AlertGroup, AlertState, AlertStatus, CompiledMatcher, GettableAlert,
    GettableSilence, LabelSet, Matcher, PostableAlert, PostableSilence, Receiver, SilenceCreated,
    SilenceState, SilenceStatus,
};
use flightdeck_core::wire::percent_encode;

/// The version the sim answers like: 0.26+ semantics (404 for an unknown silence on DELETE),
/// 0.28+ `mutedBy`, nothing newer.
pub const VERSION: &str = "0.31.1";
/// A credential inside the served `config.original`, as a webhook URL carries one in a real
/// config (0.25 shows such URLs unredacted). Tests assert the cockpit never shows it.
pub const RECEIVER_SECRET: &str = "sim-webhook-token-7c0ffee5ecre7";
/// How long a firing alert stays firing without being re-sent, as `resolve_timeout`.
const RESOLVE_TIMEOUT: Duration = Duration::minutes(5);
/// Expired silences are forgotten after this long, as `--data.retention`.
const RETENTION: Duration = Duration::hours(120);
/// Name of the always-firing alert whose annotations try to attack the terminal.
pub const HOSTILE_ALERT: &str = "HostileAnnotationsTest";

pub fn router(shared: Arc<Shared>) -> Router {
    let routing = Routing::for_world(&shared.world);
    let store = Store::seeded(&shared.world, &shared.clock);
    let am = Arc::new(Am {
        shared,
        routing,
        store: Mutex::new(store),
    });
    Router::new()
        .route("/api/v2/alerts", get(alerts_get).post(alerts_post))
        .route("/api/v2/alerts/groups", get(groups_get))
        .route("/api/v2/silences", get(silences_get).post(silences_post))
        .route(
            "/api/v2/silence/{id}",
            get(silence_get).delete(silence_delete),
        )
        .route("/api/v2/status", get(status_get))
        .route("/api/v2/receivers", get(receivers_get))
        .route("/-/healthy", get(ok))
        .route("/-/ready", get(ok))
        .with_state(am)
}

struct Am {
    shared: Arc<Shared>,
    routing: Routing,
    store: Mutex<Store>,
}

impl Am {
    fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    /// Wall time, to the millisecond: the wire carries milliseconds, and a client that sends a
    /// silence's `startsAt` back must compare equal to what is stored. Everything stored here
    /// is on the wall's time line; only the story's alerts are mapped onto it.
    fn now(&self) -> DateTime<Utc> {
        ms(self.shared.clock.now())
    }
}

fn ms(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::milliseconds(1)).unwrap_or(t)
}

// ---------------------------------------------------------------------------------------------
// Routing: a small route tree, the same one `config.original` shows.

struct Route {
    receiver: String,
    /// An equality matcher; `None` on the root.
    matcher: Option<(&'static str, String)>,
    group_by: &'static [&'static str],
    /// Keep looking at later routes after this one matched.
    next: bool,
}

struct Routing {
    /// Index 0 is the root, which takes alerts no child route matched.
    routes: Vec<Route>,
}

impl Routing {
    fn for_world(world: &World) -> Self {
        let mut routes = vec![
            Route {
                receiver: "default".into(),
                matcher: None,
                group_by: &["alertname"],
                next: false,
            },
            Route {
                receiver: "deadmans-switch".into(),
                matcher: Some(("alertname", "Watchdog".into())),
                group_by: &["alertname"],
                next: false,
            },
            Route {
                receiver: "pagerduty-oncall".into(),
                matcher: Some(("severity", "critical".into())),
                group_by: &["service", "alertname"],
                next: true,
            },
        ];
        for team in &world.teams {
            routes.push(Route {
                receiver: format!("slack-{}", team_short(&team.name)),
                matcher: Some(("team", team.name.clone())),
                group_by: &["service", "alertname"],
                next: false,
            });
        }
        Self { routes }
    }

    /// Indices of the routes an alert goes to.
    fn matching(&self, labels: &LabelSet) -> Vec<usize> {
        let mut hits = Vec::new();
        for (i, route) in self.routes.iter().enumerate().skip(1) {
            let Some((name, value)) = &route.matcher else {
                continue;
            };
            if labels.get(*name) == Some(value) {
                hits.push(i);
                if !route.next {
                    break;
                }
            }
        }
        if hits.is_empty() {
            hits.push(0);
        }
        hits
    }

    fn receiver_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for r in &self.routes {
            if !names.contains(&r.receiver) {
                names.push(r.receiver.clone());
            }
        }
        names
    }

    /// The config as a 0.25 server renders it: typed secrets as `<secret>`, URLs of webhooks
    /// verbatim, which is how a real credential leaks into `/api/v2/status`.
    fn config_yaml(&self) -> String {
        let mut y = String::from(
            "global:\n  resolve_timeout: 5m\n  http_config:\n    follow_redirects: true\n    enable_http2: true\n  slack_api_url: <secret>\n  pagerduty_url: https://events.pagerduty.com/v2/enqueue\n",
        );
        let group_by = |g: &[&str]| g.iter().map(|l| format!("  - {l}\n")).collect::<String>();
        if let Some(root) = self.routes.first() {
            y += &format!(
                "route:\n  receiver: {}\n  group_by:\n{}",
                root.receiver,
                group_by(root.group_by)
            );
            y += "  continue: false\n  routes:\n";
        }
        for r in self.routes.iter().skip(1) {
            let Some((name, value)) = &r.matcher else {
                continue;
            };
            y += &format!(
                "  - receiver: {}\n    matchers:\n    - {name}=\"{value}\"\n",
                r.receiver
            );
            y += &format!(
                "    group_by:\n{}",
                group_by(r.group_by).replace("  -", "    -")
            );
            y += &format!("    continue: {}\n", r.next);
        }
        y += "  group_wait: 30s\n  group_interval: 5m\n  repeat_interval: 4h\n";
        y += "inhibit_rules:\n- source_matchers:\n  - severity=\"critical\"\n  target_matchers:\n  - severity=\"warning\"\n  equal:\n  - service\n";
        y += "receivers:\n";
        for r in self.receiver_names() {
            y += &format!("- name: {r}\n");
            if r == "deadmans-switch" {
                y += &format!(
                    "  webhook_configs:\n  - send_resolved: false\n    url: https://deadmanssnitch.example/ping/{RECEIVER_SECRET}\n    max_alerts: 0\n"
                );
            } else if r == "pagerduty-oncall" {
                y += "  pagerduty_configs:\n  - send_resolved: true\n    routing_key: <secret>\n    url: https://events.pagerduty.com/v2/enqueue\n";
            } else if let Some(team) = r.strip_prefix("slack-") {
                y += &format!(
                    "  slack_configs:\n  - send_resolved: true\n    api_url: <secret>\n    channel: '#{team}-alerts'\n"
                );
            }
        }
        y += "templates: []\n";
        y
    }
}

fn team_short(team: &str) -> &str {
    team.strip_prefix("team-").unwrap_or(team)
}

// ---------------------------------------------------------------------------------------------
// The store: what users changed.

#[derive(Debug, Clone)]
struct StoredSilence {
    id: String,
    matchers: Vec<Matcher>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by: String,
    comment: String,
}

impl StoredSilence {
    /// A silence that ends exactly now is over: an expired one must never silence again, even
    /// with the clock stopped.
    fn state(&self, now: DateTime<Utc>) -> SilenceState {
        if self.starts_at > now {
            SilenceState::Pending
        } else if self.ends_at <= now {
            SilenceState::Expired
        } else {
            SilenceState::Active
        }
    }

    fn gettable(&self, now: DateTime<Utc>) -> GettableSilence {
        GettableSilence {
            id: self.id.clone(),
            status: SilenceStatus {
                state: self.state(now),
            },
            updated_at: self.updated_at,
            matchers: self.matchers.clone(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            created_by: self.created_by.clone(),
            comment: self.comment.clone(),
            annotations: LabelSet::new(),
        }
    }
}

#[derive(Debug, Clone)]
struct PostedAlert {
    labels: LabelSet,
    annotations: LabelSet,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    generator_url: Option<String>,
}

struct Store {
    silences: BTreeMap<String, StoredSilence>,
    /// By fingerprint; a posted alert with a story alert's labels replaces it while it fires.
    posted: BTreeMap<String, PostedAlert>,
    seed: u64,
    minted: u64,
}

impl Store {
    /// The silences a team would have lying around: one active, one pending, one expired.
    /// Their times are set in the story and served on the wall, like everything else.
    fn seeded(world: &World, clock: &SimClock) -> Self {
        let mut store = Self {
            silences: BTreeMap::new(),
            posted: BTreeMap::new(),
            seed: world.config.seed,
            minted: 0,
        };
        let epoch = world::epoch();
        let wall = |story: DateTime<Utc>| ms(clock.wall(story));
        let eq = |name: &str, value: &str| Matcher {
            name: name.into(),
            value: value.into(),
            is_regex: false,
            is_equal: true,
        };
        let author = |team: &str| {
            world
                .people
                .iter()
                .find(|p| p.team == team)
                .map_or_else(|| "oncall@acme.example".to_string(), |p| p.email.clone())
        };
        if let Some(svc) = world
            .services
            .iter()
            .find(|s| s.trouble == world::Trouble::OomKills)
        {
            store.seed_silence(StoredSilence {
                id: String::new(),
                matchers: vec![
                    eq("alertname", "ContainerOOMKilled"),
                    eq("service", &svc.name),
                ],
                starts_at: wall(epoch - Duration::hours(3)),
                ends_at: wall(epoch + Duration::days(30)),
                updated_at: wall(epoch - Duration::hours(3)),
                created_by: author(&svc.owner),
                comment: "Known leak in the model cache; the fix is tracked in DATA-142.".into(),
            });
        }
        if let Some(svc) = world.services.iter().find(|s| s.incident) {
            store.seed_silence(StoredSilence {
                id: String::new(),
                matchers: vec![
                    eq("alertname", "KubePodCrashLooping"),
                    eq("service", &svc.name),
                ],
                starts_at: wall(epoch - Duration::hours(5)),
                ends_at: wall(epoch - Duration::minutes(270)),
                updated_at: wall(epoch - Duration::minutes(270)),
                created_by: author(&svc.owner),
                comment: "Rolling back the bad deploy; watching the pods.".into(),
            });
        }
        if let Some(svc) = world
            .services
            .iter()
            .find(|s| s.system == "fulfilment")
            .or(world.services.first())
        {
            store.seed_silence(StoredSilence {
                id: String::new(),
                matchers: vec![
                    eq("namespace", &svc.namespace),
                    Matcher {
                        name: "alertname".into(),
                        value: "Kube.*".into(),
                        is_regex: true,
                        is_equal: true,
                    },
                ],
                starts_at: wall(epoch + Duration::hours(2)),
                ends_at: wall(epoch + Duration::hours(4)),
                updated_at: wall(epoch - Duration::hours(1)),
                created_by: author(&svc.owner),
                comment: "Planned node pool upgrade: pods will restart.".into(),
            });
        }
        store
    }

    fn seed_silence(&mut self, mut s: StoredSilence) {
        s.id = self.mint_id();
        self.silences.insert(s.id.clone(), s);
    }

    /// A version-4-shaped UUID, derived from the seed so a seeded run repeats its ids.
    fn mint_id(&mut self) -> String {
        self.minted += 1;
        let a = world::hash(self.seed, &[self.minted, 0xa1e7]);
        let b = world::hash(self.seed, &[self.minted, 0x5113]);
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }

    fn forget_old(&mut self, now: DateTime<Utc>) {
        self.silences.retain(|_, s| s.ends_at > now - RETENTION);
        self.posted
            .retain(|_, a| a.ends_at > now - Duration::hours(1));
    }
}

// ---------------------------------------------------------------------------------------------
// Alerts: the world's, the posted ones, and what silences and inhibitions make of them.

/// An alert before routing and muting.
struct RawAlert {
    fingerprint: String,
    labels: LabelSet,
    annotations: LabelSet,
    starts_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    generator_url: Option<String>,
}

/// An alert as served, with the routes it takes (for grouping).
struct Evaluated {
    alert: GettableAlert,
    routes: Vec<usize>,
}

/// A story alert's labels. Its fingerprint is what the sim's PagerDuty incidents carry as their
/// dedup key, as an Alertmanager integration would send.
pub fn story_labels(world: &World, a: &world::StoryAlert) -> LabelSet {
    let mut labels = LabelSet::new();
    labels.insert("alertname".into(), a.name.clone());
    labels.insert("severity".into(), a.severity.into());
    labels.insert("namespace".into(), a.namespace.clone());
    if !a.service.is_empty() {
        labels.insert("service".into(), a.service.clone());
    }
    if let Some(svc) = world.service(&a.service) {
        labels.insert("team".into(), svc.owner.clone());
    }
    labels
}

/// The story's alerts firing at `story_now`, with their times on the wall (`now` there).
fn story_alerts(
    world: &World,
    clock: &SimClock,
    story_now: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<RawAlert> {
    let org = &world.org;
    let mut out: Vec<RawAlert> = world
        .alerts(story_now, world::CYCLE)
        .into_iter()
        .filter(|a| a.ends_at.is_none() && a.starts_at <= story_now)
        .map(|a| {
            let labels = story_labels(world, &a);
            let mut annotations = LabelSet::new();
            annotations.insert("summary".into(), a.summary.clone());
            if !a.description.is_empty() {
                annotations.insert("description".into(), a.description.clone());
            }
            if !a.runbook.is_empty() && !a.service.is_empty() {
                annotations.insert(
                    "runbook_url".into(),
                    runbook_url(org, &a.service, &a.runbook),
                );
            }
            let expr = alert_expression(&a.name, &a.namespace, &a.service);
            RawAlert {
                fingerprint: wire::fingerprint(&labels),
                labels,
                annotations,
                starts_at: ms(clock.wall(a.starts_at)),
                updated_at: now,
                ends_at: now + RESOLVE_TIMEOUT,
                generator_url: Some(format!(
                    "http://prometheus.{org}.example/graph?g0.expr={}&g0.tab=1",
                    percent_encode(&expr)
                )),
            }
        })
        .collect();
    out.push(hostile_alert(clock, now));
    out
}

/// Where a runbook lives: `https://docs.<org>.example/<service>/<path in the service's docs/>`,
/// which the cockpit maps back onto the service's checked-out docs.
pub fn runbook_url(org: &str, service: &str, runbook: &str) -> String {
    format!("https://docs.{org}.example/{service}/{runbook}")
}

fn alert_expression(name: &str, namespace: &str, service: &str) -> String {
    match name {
        "KubePodCrashLooping" => format!(
            "max_over_time(kube_pod_container_status_waiting_reason{{reason=\"CrashLoopBackOff\",namespace=\"{namespace}\",pod=~\"{service}-.*\"}}[5m]) >= 1"
        ),
        "HighErrorRate" => format!(
            "sum(rate(http_requests_total{{service=\"{service}\",code=~\"5..\"}}[5m])) / sum(rate(http_requests_total{{service=\"{service}\"}}[5m])) > 0.05"
        ),
        "ContainerOOMKilled" => format!(
            "increase(kube_pod_container_status_restarts_total{{namespace=\"{namespace}\",pod=~\"{service}-.*\"}}[10m]) > 0 and kube_pod_container_status_last_terminated_reason{{reason=\"OOMKilled\"}} == 1"
        ),
        "KubeDeploymentReplicasMismatch" => format!(
            "kube_deployment_spec_replicas{{namespace=\"{namespace}\",deployment=\"{service}\"}} != kube_deployment_status_replicas_available{{namespace=\"{namespace}\",deployment=\"{service}\"}}"
        ),
        "Watchdog" => "vector(1)".into(),
        other => format!("ALERTS{{alertname=\"{other}\"}}"),
    }
}

/// About 100 KB of text with escape sequences sprinkled in: what a careless template can put
/// into an annotation.
static HUGE_DESCRIPTION: LazyLock<String> = LazyLock::new(|| {
    let mut s = String::with_capacity(104 * 1024);
    let mut n = 0u32;
    while s.len() < 100 * 1024 {
        n += 1;
        s.push_str(&format!(
            "line {n}: the template dumped every label it had \u{1b}[5mblinking\u{1b}[0m and a bell \u{7} and a tab\tthen more words to wrap.\n"
        ));
    }
    s
});

/// Always firing, severity `info`, in the monitoring namespace: annotations that would retitle
/// the window, colour the screen red and reorder text if printed raw. The cockpit must show
/// them harmlessly.
fn hostile_alert(clock: &SimClock, now: DateTime<Utc>) -> RawAlert {
    let mut labels = LabelSet::new();
    labels.insert("alertname".into(), HOSTILE_ALERT.into());
    labels.insert("namespace".into(), "monitoring".into());
    labels.insert("severity".into(), "info".into());
    labels.insert(
        "instance".into(),
        "web\u{202e}exe.txt\u{202c}-1\u{200b}".into(),
    );
    let mut annotations = LabelSet::new();
    annotations.insert("summary".into(), "\u{1b}]0;pwned\u{7}\u{1b}[31mred".into());
    annotations.insert(
        "bidi".into(),
        "Approve \u{202e}dnufer\u{202c} payment \u{2066}now\u{2069}\u{200d}".into(),
    );
    annotations.insert("description".into(), HUGE_DESCRIPTION.clone());
    annotations.insert(
        "runbook_url".into(),
        "https://runbooks.example.invalid/\u{1b}[2Jwiped".into(),
    );
    RawAlert {
        fingerprint: wire::fingerprint(&labels),
        labels,
        annotations,
        starts_at: ms(clock.wall(world::epoch() - world::HISTORY)),
        updated_at: now,
        ends_at: now + RESOLVE_TIMEOUT,
        generator_url: Some("http://prometheus.acme.example/graph?g0.expr=vector%281%29".into()),
    }
}

/// A silence's matchers, compiled; a stored silence always compiles (it was validated).
fn compile_all(matchers: &[Matcher]) -> Option<Vec<CompiledMatcher>> {
    matchers.iter().map(|m| m.compile().ok()).collect()
}

impl Am {
    /// Every firing alert at `now`, routed, silenced and inhibited, sorted by fingerprint.
    fn evaluate(&self, now: DateTime<Utc>) -> Vec<Evaluated> {
        let (posted, silences) = {
            let mut store = self.store();
            store.forget_old(now);
            let posted: Vec<PostedAlert> = store.posted.values().cloned().collect();
            let silences: Vec<(String, Vec<CompiledMatcher>)> = store
                .silences
                .values()
                .filter(|s| s.state(now) == SilenceState::Active)
                .filter_map(|s| Some((s.id.clone(), compile_all(&s.matchers)?)))
                .collect();
            (posted, silences)
        };
        let mut alerts: BTreeMap<String, RawAlert> = story_alerts(
            &self.shared.world,
            &self.shared.clock,
            self.shared.story_now(),
            now,
        )
        .into_iter()
        .map(|a| (a.fingerprint.clone(), a))
        .collect();
        for p in posted {
            if p.ends_at <= now || p.starts_at > now {
                continue;
            }
            let fingerprint = wire::fingerprint(&p.labels);
            alerts.insert(
                fingerprint.clone(),
                RawAlert {
                    fingerprint,
                    labels: p.labels,
                    annotations: p.annotations,
                    starts_at: p.starts_at,
                    updated_at: p.updated_at,
                    ends_at: p.ends_at,
                    generator_url: p.generator_url,
                },
            );
        }
        // Inhibition: a firing critical alert of a service mutes that service's warnings.
        let sources: Vec<(&str, &str)> = alerts
            .values()
            .filter(|a| a.labels.get("severity").map(String::as_str) == Some("critical"))
            .map(|a| {
                (
                    a.labels.get("service").map_or("", String::as_str),
                    a.fingerprint.as_str(),
                )
            })
            .collect();
        let mut out = Vec::with_capacity(alerts.len());
        for a in alerts.values() {
            let silenced_by: Vec<String> = silences
                .iter()
                .filter(|(_, ms)| ms.iter().all(|m| m.matches(&a.labels)))
                .map(|(id, _)| id.clone())
                .collect();
            let inhibited_by: Vec<String> =
                if a.labels.get("severity").map(String::as_str) == Some("warning") {
                    let service = a.labels.get("service").map_or("", String::as_str);
                    sources
                        .iter()
                        .find(|(s, _)| *s == service)
                        .map(|(_, fp)| vec![(*fp).to_string()])
                        .unwrap_or_default()
                } else {
                    vec![]
                };
            let state = if silenced_by.is_empty() && inhibited_by.is_empty() {
                AlertState::Active
            } else {
                AlertState::Suppressed
            };
            let routes = self.routing.matching(&a.labels);
            let mut receivers: Vec<Receiver> = Vec::new();
            for &r in &routes {
                let name = &self.routing.routes[r].receiver;
                if !receivers.iter().any(|x| &x.name == name) {
                    receivers.push(Receiver::named(name.clone()));
                }
            }
            out.push(Evaluated {
                alert: GettableAlert {
                    labels: a.labels.clone(),
                    annotations: a.annotations.clone(),
                    receivers,
                    fingerprint: a.fingerprint.clone(),
                    starts_at: a.starts_at,
                    updated_at: a.updated_at,
                    ends_at: a.ends_at,
                    status: AlertStatus {
                        state,
                        silenced_by,
                        inhibited_by,
                        muted_by: vec![],
                    },
                    generator_url: a.generator_url.clone(),
                },
                routes,
            });
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Query parameters, parsed as the real server does.

type Pairs = Vec<(String, String)>;

/// go-swagger's boolean: a handful of words mean true, anything else false.
fn flag(pairs: &Pairs, name: &str) -> bool {
    match pairs.iter().rev().find(|(k, _)| k == name) {
        None => true,
        Some((_, v)) => matches!(
            v.to_ascii_lowercase().as_str(),
            "true" | "1" | "yes" | "y" | "ok" | "on" | "t" | "selected" | "checked" | "enabled"
        ),
    }
}

fn filters(pairs: &Pairs) -> Result<Vec<CompiledMatcher>, Refusal> {
    pairs
        .iter()
        .filter(|(k, _)| k == "filter")
        .map(|(_, v)| Matcher::parse(v).and_then(|m| m.compile()))
        .collect::<Result<_, _>>()
        .map_err(|e| Refusal::BadRequest(e.to_string()))
}

fn receiver_regex(pairs: &Pairs) -> Result<Option<regex::Regex>, Refusal> {
    let Some((_, r)) = pairs.iter().rev().find(|(k, _)| k == "receiver") else {
        return Ok(None);
    };
    regex::Regex::new(&format!("^(?:{r})$"))
        .map(Some)
        .map_err(|e| Refusal::BadRequest(format!("failed to parse receiver param: {e}")))
}

struct AlertFilter {
    active: bool,
    silenced: bool,
    inhibited: bool,
    unprocessed: bool,
    matchers: Vec<CompiledMatcher>,
}

impl AlertFilter {
    fn from(pairs: &Pairs) -> Result<Self, Refusal> {
        Ok(Self {
            active: flag(pairs, "active"),
            silenced: flag(pairs, "silenced"),
            inhibited: flag(pairs, "inhibited"),
            unprocessed: flag(pairs, "unprocessed"),
            matchers: filters(pairs)?,
        })
    }

    /// The state flags include; they never select on their own.
    fn keeps(&self, a: &GettableAlert) -> bool {
        let s = &a.status;
        !(!self.active && s.state == AlertState::Active
            || !self.unprocessed && s.state == AlertState::Unprocessed
            || !self.silenced && !s.silenced_by.is_empty()
            || !self.inhibited && !s.inhibited_by.is_empty())
            && self.matchers.iter().all(|m| m.matches(&a.labels))
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers.

async fn ok() -> &'static str {
    "OK"
}

/// Why a request was refused, in the forms Alertmanager answers with.
enum Refusal {
    /// 400 with a bare JSON string.
    BadRequest(String),
    /// go-swagger's validation error: 422 with a numeric code.
    Invalid(u16, String),
    /// go-swagger's body decoding error: 400 with code 400.
    Unparsable(&'static str, String),
    /// 404 with a JSON string, or with no body when the server sends none.
    NotFound(Option<&'static str>),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::BadRequest(message) => {
                (StatusCode::BAD_REQUEST, Json(Value::String(message))).into_response()
            }
            Self::Invalid(code, message) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({"code": code, "message": message})),
            )
                .into_response(),
            Self::Unparsable(what, error) => (
                StatusCode::BAD_REQUEST,
                Json(json!({
                    "code": 400,
                    "message": format!("parsing {what} body from \"\" failed, because {error}"),
                })),
            )
                .into_response(),
            Self::NotFound(Some(message)) => {
                (StatusCode::NOT_FOUND, Json(Value::String(message.into()))).into_response()
            }
            Self::NotFound(None) => StatusCode::NOT_FOUND.into_response(),
        }
    }
}

async fn alerts_get(State(am): State<Arc<Am>>, Query(pairs): Query<Pairs>) -> Response {
    let filter = match AlertFilter::from(&pairs) {
        Ok(f) => f,
        Err(r) => return r.into_response(),
    };
    let receiver = match receiver_regex(&pairs) {
        Ok(r) => r,
        Err(r) => return r.into_response(),
    };
    let alerts: Vec<GettableAlert> = am
        .evaluate(am.now())
        .into_iter()
        .map(|e| e.alert)
        .filter(|a| filter.keeps(a))
        .filter(|a| {
            receiver
                .as_ref()
                .is_none_or(|re| a.receivers.iter().any(|r| re.is_match(&r.name)))
        })
        .collect();
    Json(alerts).into_response()
}

/// A group: the values of its route's `group_by` labels, and its receiver.
type GroupKey = (Vec<(String, String)>, String);

async fn groups_get(State(am): State<Arc<Am>>, Query(pairs): Query<Pairs>) -> Response {
    let filter = match AlertFilter::from(&pairs) {
        Ok(f) => f,
        Err(r) => return r.into_response(),
    };
    let receiver = match receiver_regex(&pairs) {
        Ok(r) => r,
        Err(r) => return r.into_response(),
    };
    let muted = flag(&pairs, "muted");
    let mut groups: BTreeMap<GroupKey, Vec<GettableAlert>> = BTreeMap::new();
    for e in am.evaluate(am.now()) {
        if !filter.keeps(&e.alert) {
            continue;
        }
        for &r in &e.routes {
            let route = &am.routing.routes[r];
            if receiver
                .as_ref()
                .is_some_and(|re| !re.is_match(&route.receiver))
            {
                continue;
            }
            let key: Vec<(String, String)> = route
                .group_by
                .iter()
                .filter_map(|l| {
                    e.alert
                        .labels
                        .get(*l)
                        .map(|v| ((*l).to_string(), v.clone()))
                })
                .collect();
            groups
                .entry((key, route.receiver.clone()))
                .or_default()
                .push(e.alert.clone());
        }
    }
    let out: Vec<AlertGroup> = groups
        .into_iter()
        .filter(|(_, alerts)| {
            muted
                || alerts
                    .iter()
                    .any(|a| a.status.state != AlertState::Suppressed)
        })
        .map(|((labels, receiver), mut alerts)| {
            alerts
                .sort_by(|a, b| (a.starts_at, &a.fingerprint).cmp(&(b.starts_at, &b.fingerprint)));
            AlertGroup {
                labels: labels.into_iter().collect(),
                route_labels: LabelSet::new(),
                receiver: Receiver::named(receiver),
                alerts,
            }
        })
        .collect();
    Json(out).into_response()
}

async fn alerts_post(State(am): State<Arc<Am>>, body: Bytes) -> Response {
    let posted: Vec<PostableAlert> = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => return Refusal::Unparsable("alerts", e.to_string()).into_response(),
    };
    let now = am.now();
    let mut errors = Vec::new();
    let mut store = am.store();
    for p in posted {
        let labels: LabelSet = p
            .labels
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .collect();
        if labels.is_empty() {
            errors.push("at least one label pair required".to_string());
            continue;
        }
        if let Some(bad) = labels.keys().find(|k| !wire::is_valid_label_name(k)) {
            errors.push(format!("invalid label set: invalid name {bad:?}"));
            continue;
        }
        let starts_at = ms(p.starts_at.unwrap_or(now));
        let ends_at = ms(p.ends_at.unwrap_or(now + RESOLVE_TIMEOUT));
        if ends_at < starts_at {
            errors.push("start time must be before end time".to_string());
            continue;
        }
        let fingerprint = wire::fingerprint(&labels);
        // A re-sent alert that still fires keeps its original start, as Alertmanager merges.
        let starts_at = match store.posted.get(&fingerprint) {
            Some(prev) if prev.ends_at > now && prev.starts_at < starts_at => prev.starts_at,
            _ => starts_at,
        };
        store.posted.insert(
            fingerprint,
            PostedAlert {
                labels,
                annotations: p.annotations,
                starts_at,
                ends_at,
                updated_at: now,
                generator_url: p.generator_url.filter(|u| !u.is_empty()),
            },
        );
    }
    if errors.is_empty() {
        StatusCode::OK.into_response()
    } else {
        Refusal::BadRequest(errors.join(";")).into_response()
    }
}

/// Active silences ending soonest first, then pending starting soonest, then expired ending
/// latest first: the order Alertmanager lists them in.
fn listing_order(a: &GettableSilence, b: &GettableSilence) -> std::cmp::Ordering {
    let rank = |s: &GettableSilence| match s.status.state {
        SilenceState::Active => 0,
        SilenceState::Pending => 1,
        _ => 2,
    };
    rank(a).cmp(&rank(b)).then_with(|| match a.status.state {
        SilenceState::Active => a.ends_at.cmp(&b.ends_at),
        SilenceState::Pending => a.starts_at.cmp(&b.starts_at),
        _ => b.ends_at.cmp(&a.ends_at),
    })
}

async fn silences_get(State(am): State<Arc<Am>>, Query(pairs): Query<Pairs>) -> Response {
    let matchers = match filters(&pairs) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let (active, pending, expired) = (
        flag(&pairs, "active"),
        flag(&pairs, "pending"),
        flag(&pairs, "expired"),
    );
    let now = am.now();
    let mut store = am.store();
    store.forget_old(now);
    let mut out: Vec<GettableSilence> = store
        .silences
        .values()
        .map(|s| s.gettable(now))
        .filter(|s| match s.status.state {
            SilenceState::Active => active,
            SilenceState::Pending => pending,
            _ => expired,
        })
        .filter(|s| {
            // A filter matches a silence when it matches the labels its matchers name.
            let labels: LabelSet = s
                .matchers
                .iter()
                .map(|m| (m.name.clone(), m.value.clone()))
                .collect();
            matchers.iter().all(|m| m.matches(&labels))
        })
        .collect();
    out.sort_by(listing_order);
    Json(out).into_response()
}

fn is_uuid(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

fn uuid_refused(id: &str) -> Refusal {
    Refusal::Invalid(
        601,
        format!("silenceID in path must be of type uuid: {id:?}"),
    )
}

async fn silence_get(State(am): State<Arc<Am>>, Path(id): Path<String>) -> Response {
    if !is_uuid(&id) {
        return uuid_refused(&id).into_response();
    }
    let now = am.now();
    match am.store().silences.get(&id) {
        Some(s) => Json(s.gettable(now)).into_response(),
        None => Refusal::NotFound(None).into_response(),
    }
}

/// Expires: an active silence ends now, a pending one starts and ends now; an expired one is
/// left alone and the answer is still 200.
async fn silence_delete(State(am): State<Arc<Am>>, Path(id): Path<String>) -> Response {
    if !is_uuid(&id) {
        return uuid_refused(&id).into_response();
    }
    let now = am.now();
    let mut store = am.store();
    let Some(s) = store.silences.get_mut(&id) else {
        return Refusal::NotFound(Some("silence not found")).into_response();
    };
    match s.state(now) {
        SilenceState::Active => s.ends_at = now,
        SilenceState::Pending => {
            s.starts_at = now;
            s.ends_at = now;
        }
        _ => return StatusCode::OK.into_response(),
    }
    s.updated_at = now;
    StatusCode::OK.into_response()
}

/// Checks what go-swagger checks before the handler runs: the required fields, in the
/// alphabetical order its generated code visits them, and at least one matcher.
fn check_required(body: &Value) -> Result<(), Refusal> {
    let Some(obj) = body.as_object() else {
        return Ok(()); // decoding into the typed silence reports the type error
    };
    for field in ["comment", "createdBy", "endsAt", "matchers", "startsAt"] {
        if obj.get(field).is_none_or(Value::is_null) {
            return Err(Refusal::Invalid(
                602,
                format!("{field} in body is required"),
            ));
        }
    }
    if obj
        .get("matchers")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
    {
        return Err(Refusal::Invalid(
            612,
            "matchers in body should have at least 1 items".into(),
        ));
    }
    Ok(())
}

/// The checks of Alertmanager's silence validation, with its words.
fn validate_matchers(matchers: &[Matcher]) -> Result<(), String> {
    let mut compiled = Vec::with_capacity(matchers.len());
    for (i, m) in matchers.iter().enumerate() {
        if !wire::is_valid_label_name(&m.name) {
            return Err(format!(
                "invalid label matcher {i}: invalid label name {:?}",
                m.name
            ));
        }
        compiled.push(
            m.compile()
                .map_err(|e| format!("invalid label matcher {i}: {e}"))?,
        );
    }
    if compiled.iter().all(|m| m.matches_value("")) {
        return Err("at least one matcher must not match the empty string".into());
    }
    Ok(())
}

async fn silences_post(State(am): State<Arc<Am>>, body: Bytes) -> Response {
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return Refusal::Unparsable("silence", e.to_string()).into_response(),
    };
    if let Err(r) = check_required(&value) {
        return r.into_response();
    }
    let posted: PostableSilence = match serde_json::from_value(value) {
        Ok(p) => p,
        Err(e) => return Refusal::Unparsable("silence", e.to_string()).into_response(),
    };
    let now = am.now();
    let starts_at = ms(posted.starts_at);
    let ends_at = ms(posted.ends_at);
    if starts_at >= ends_at {
        return Refusal::BadRequest(
            "Failed to create silence: start time must be before end time".into(),
        )
        .into_response();
    }
    if ends_at < now {
        return Refusal::BadRequest(
            "Failed to create silence: end time can't be in the past".into(),
        )
        .into_response();
    }
    // Validated before anything changes, so a refused update leaves the old silence alone.
    if let Err(e) = validate_matchers(&posted.matchers) {
        return Refusal::BadRequest(format!("silence invalid: {e}")).into_response();
    }
    let mut store = am.store();
    if let Some(id) = posted.id.as_deref().filter(|id| !id.is_empty()) {
        let Some(prev) = store.silences.get_mut(id) else {
            return Refusal::NotFound(Some("silence not found")).into_response();
        };
        let state = prev.state(now);
        let in_place = prev.matchers == posted.matchers
            && match state {
                SilenceState::Active => starts_at == prev.starts_at && ends_at >= now,
                SilenceState::Pending => starts_at >= now,
                _ => false,
            };
        if in_place {
            prev.starts_at = starts_at;
            prev.ends_at = ends_at;
            prev.created_by = posted.created_by;
            prev.comment = posted.comment;
            prev.updated_at = now;
            return Json(SilenceCreated {
                silence_id: id.to_string(),
            })
            .into_response();
        }
        // Cannot change in place: the old one is expired and a new one replaces it.
        match state {
            SilenceState::Active => prev.ends_at = now,
            SilenceState::Pending => {
                prev.starts_at = now;
                prev.ends_at = now;
            }
            _ => {}
        }
        if state != SilenceState::Expired {
            prev.updated_at = now;
        }
    }
    let id = store.mint_id();
    store.silences.insert(
        id.clone(),
        StoredSilence {
            id: id.clone(),
            matchers: posted.matchers,
            starts_at: starts_at.max(now),
            ends_at,
            updated_at: now,
            created_by: posted.created_by,
            comment: posted.comment,
        },
    );
    Json(SilenceCreated { silence_id: id }).into_response()
}

async fn status_get(State(am): State<Arc<Am>>) -> Response {
    Json(json!({
        "cluster": {
            "name": "01JSIM7ACME0ALERTMANAGER00",
            "status": "ready",
            "peers": [{"name": "01JSIM7ACME0ALERTMANAGER00", "address": "127.0.0.1:9094"}],
        },
        "versionInfo": {
            "version": VERSION,
            "revision": "flightdeck-sim",
            "branch": "HEAD",
            "buildUser": "flightdeck@sim",
            "buildDate": "20260302-08:00:00",
            "goVersion": "go1.23.0",
        },
        "config": {"original": am.routing.config_yaml()},
        "uptime": am.shared.clock.wall(world::epoch()).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    }))
    .into_response()
}

async fn receivers_get(State(am): State<Arc<Am>>) -> Json<Vec<Receiver>> {
    Json(
        am.routing
            .receiver_names()
            .into_iter()
            .map(Receiver::named)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;

    #[test]
    fn routes_follow_the_config() {
        let world = World::new(SimConfig::default());
        let routing = Routing::for_world(&world);
        let labels = |pairs: &[(&str, &str)]| -> LabelSet {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect()
        };
        let names = |l: &LabelSet| -> Vec<String> {
            routing
                .matching(l)
                .into_iter()
                .map(|i| routing.routes[i].receiver.clone())
                .collect()
        };
        assert_eq!(
            names(&labels(&[
                ("severity", "critical"),
                ("team", "team-payments")
            ])),
            ["pagerduty-oncall", "slack-payments"],
            "critical pages and continues to the team"
        );
        assert_eq!(
            names(&labels(&[("alertname", "Watchdog")])),
            ["deadmans-switch"]
        );
        assert_eq!(names(&labels(&[("severity", "info")])), ["default"]);
        let yaml = routing.config_yaml();
        let parsed: serde_norway::Value =
            serde_norway::from_str(&yaml).expect("the served config is YAML");
        let receivers = parsed["receivers"].as_sequence().map_or(0, Vec::len);
        assert_eq!(receivers, routing.receiver_names().len());
        assert!(yaml.contains(RECEIVER_SECRET));
    }

    #[test]
    fn minted_ids_are_uuids_and_unique() {
        let mut store = Store::seeded(&World::new(SimConfig::default()), &SimClock::new(10.0));
        let a = store.mint_id();
        let b = store.mint_id();
        assert!(is_uuid(&a), "{a}");
        assert_ne!(a, b);
        assert!(store.silences.keys().all(|id| is_uuid(id)));
    }

    #[test]
    fn story_alerts_carry_runbooks_into_the_docs() {
        let world = World::new(SimConfig::default());
        let clock = SimClock::new(1.0);
        let during = world::epoch() + Duration::minutes(10);
        let alerts = story_alerts(&world, &clock, during, clock.wall(during));
        let crash = alerts
            .iter()
            .find(|a| a.labels.get("alertname").map(String::as_str) == Some("KubePodCrashLooping"))
            .expect("the incident's alert fires ten minutes in");
        assert_eq!(
            crash.annotations.get("runbook_url").map(String::as_str),
            Some(
                "https://docs.acme.example/payments-api/runbooks/crash-looping.md#first-five-minutes"
            )
        );
        assert_eq!(
            crash.labels.get("team").map(String::as_str),
            Some("team-payments")
        );
        let hostile = alerts
            .iter()
            .find(|a| a.labels.get("alertname").map(String::as_str) == Some(HOSTILE_ALERT))
            .expect("the hostile alert always fires");
        assert!(
            hostile
                .annotations
                .get("description")
                .map_or(0, String::len)
                >= 100 * 1024
        );
    }
}
