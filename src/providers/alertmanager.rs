//! The Alertmanager provider: polls each configured Alertmanager's API v2 (alerts, silences, and
//! the status for version and cluster only), sanitises what it decodes, and creates and expires
//! silences on request. One task per Alertmanager, so a slow or failing one never holds up
//! another; a failing one keeps its last data on screen and says why in the status bar.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use tokio::sync::Notify;

use super::http::{Failure, decode_error};
use super::{Context, Provider};
use crate::config::{AlertmanagerSource, Config};
use flightdeck_core::message::alerts::{Command, Msg as AlertsMsg};
use flightdeck_core::message::{Effect, Msg, SourceEvent};
use flightdeck_core::model::alerts::{
    Alert, Cluster, InstanceData, Silence, SilenceDraft, SilenceEnd,
};
use flightdeck_core::model::{SourceId, SourceKind};
use flightdeck_core::sanitize;
use flightdeck_core::wire::alertmanager::{
    AlertmanagerStatus, GettableAlert, GettableSilence, LabelSet, Matcher, PostableSilence,
    SilenceCreated,
};

/// Minutes an acknowledgement silences, and how much extending it adds.
pub const ACK_MINUTES: i64 = 15;
/// What the `/api/v2/status` call is called in messages; its body is never quoted.
const STATUS: &str = "status";

/// The status (version, cluster) changes rarely: read it at start and every this many polls.
const STATUS_EVERY: u32 = 60;
/// The longest wait between tries of a failing Alertmanager.
const MAX_BACKOFF: StdDuration = StdDuration::from_secs(60);

// The one credential and client set-up every API source shares; re-exported, since
// callers name it through this module.
pub use super::http::{Api, Auth};

/// One Alertmanager's API v2.
#[derive(Debug, Clone)]
pub struct AmClient {
    pub name: String,
    api: Api,
}

impl AmClient {
    pub fn new(name: &str, url: &str, auth: Auth, timeout: StdDuration) -> Result<Self, String> {
        Ok(Self {
            name: name.to_string(),
            api: Api::new(url, auth, timeout)?,
        })
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.api.request(method, path)
    }

    /// Sends and reads the whole answer; every failure says which call and why, in words a
    /// person can act on, with any remote text sanitised.
    async fn send(
        &self,
        req: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<(StatusCode, Vec<u8>), String> {
        let result = async {
            let resp = req.send().await?;
            let status = resp.status();
            let body = resp.bytes().await?.to_vec();
            Ok::<_, reqwest::Error>((status, body))
        }
        .await;
        match result {
            Ok((status, body)) if status.is_success() => Ok((status, body)),
            Ok((status, body)) => {
                // `/status` carries the server's configuration, receiver secrets included:
                // its body is never quoted; others at most as a short excerpt.
                let text = String::from_utf8_lossy(&body);
                let text = text.trim().trim_matches('"');
                Err(if what == STATUS || text.is_empty() {
                    format!("{what}: HTTP {}", status.as_u16())
                } else {
                    format!(
                        "{what}: HTTP {}: {}",
                        status.as_u16(),
                        sanitize::excerpt(text, 80)
                    )
                })
            }
            Err(e) => {
                Err(Failure::from_reqwest(&e, &self.api.base, self.api.timeout).describe(what))
            }
        }
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        what: &str,
    ) -> Result<T, String> {
        let (_, body) = self
            .send(self.request(reqwest::Method::GET, path), what)
            .await?;
        serde_json::from_slice(&body)
            .map_err(|e| format!("{what}: malformed answer ({})", decode_error(&e)))
    }

    /// Every alert, whatever its state: muted ones are hidden by the screen, not the query.
    pub async fn alerts(&self) -> Result<Vec<Alert>, String> {
        let raw: Vec<GettableAlert> = self
            .get_json(
                "/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true",
                "alerts",
            )
            .await?;
        Ok(raw.into_iter().map(decode_alert).collect())
    }

    pub async fn silences(&self) -> Result<Vec<Silence>, String> {
        let raw: Vec<GettableSilence> = self.get_json("/api/v2/silences", "silences").await?;
        Ok(raw.into_iter().map(decode_silence).collect())
    }

    /// Version and cluster. The answer also carries the server's configuration with receiver
    /// secrets; it is dropped here, unread.
    pub async fn status(&self) -> Result<(String, Cluster), String> {
        let status: AlertmanagerStatus = self.get_json("/api/v2/status", STATUS).await?;
        let (cluster, version, _uptime) = status.without_config();
        Ok((
            sanitize::line(&version.version),
            Cluster {
                status: sanitize::line(&cluster.status),
                name: cluster.name.as_deref().map(sanitize::line),
                peers: cluster
                    .peers
                    .iter()
                    .map(|p| sanitize::line(&p.name))
                    .collect(),
            },
        ))
    }

    /// Creates a silence (or updates one, when the draft has an id); returns the id the server
    /// answered with, which is a new one when it could not update in place. `now` is the
    /// cockpit's clock, which in the demo is the sim's.
    pub async fn create_silence(
        &self,
        draft: &SilenceDraft,
        now: DateTime<Utc>,
    ) -> Result<String, String> {
        let ends_at = match &draft.end {
            SilenceEnd::For(secs) => now + Duration::seconds(*secs),
            SilenceEnd::At(at) => *at,
            SilenceEnd::Extend { ends_at, by_secs } => {
                (*ends_at).max(now) + Duration::seconds(*by_secs)
            }
        };
        let body = PostableSilence {
            id: draft.id.clone(),
            matchers: draft.matchers.clone(),
            starts_at: draft.starts_at.unwrap_or(now),
            ends_at,
            created_by: draft.created_by.clone(),
            comment: draft.comment.clone(),
            annotations: LabelSet::new(),
        };
        let (_, answer) = self
            .send(
                self.request(reqwest::Method::POST, "/api/v2/silences")
                    .json(&body),
                "silence",
            )
            .await?;
        let created: SilenceCreated = serde_json::from_slice(&answer)
            .map_err(|e| format!("silence: malformed answer ({})", decode_error(&e)))?;
        Ok(sanitize::ident(&created.silence_id))
    }

    pub async fn expire_silence(&self, id: &str) -> Result<(), String> {
        if !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(format!("expire: `{id}` is not a silence id"));
        }
        self.send(
            self.request(reqwest::Method::DELETE, &format!("/api/v2/silence/{id}")),
            "expire",
        )
        .await?;
        Ok(())
    }

    /// One poll: alerts and silences, and the status when asked.
    pub async fn fetch(&self, with_status: bool) -> Result<InstanceData, String> {
        let (alerts, silences) = tokio::try_join!(self.alerts(), self.silences())?;
        let (version, cluster) = if with_status {
            match self.status().await {
                Ok((v, c)) => (Some(v), Some(c)),
                // Alerts matter more than the version: a status a proxy refuses is not fatal.
                Err(e) => {
                    tracing::info!(alertmanager = %self.name, error = %e, "status unavailable");
                    (None, None)
                }
            }
        } else {
            (None, None)
        };
        Ok(InstanceData {
            alerts,
            silences,
            version,
            cluster,
        })
    }
}

fn ident_map(set: &LabelSet) -> (LabelSet, Vec<String>) {
    let mut tainted = Vec::new();
    let clean = set
        .iter()
        .map(|(k, v)| {
            let (name, value) = (sanitize::ident(k), sanitize::ident(v));
            if &value != v || &name != k {
                tainted.push(name.clone());
            }
            (name, value)
        })
        .collect();
    (clean, tainted)
}

/// An alert as the model keeps it: every string sanitised once, here.
pub fn decode_alert(a: GettableAlert) -> Alert {
    let (labels, tainted) = ident_map(&a.labels);
    let annotations: LabelSet = a
        .annotations
        .iter()
        .map(|(k, v)| (sanitize::ident(k), sanitize::text(v)))
        .collect();
    let runbook_url = a
        .annotations
        .get("runbook_url")
        .and_then(|u| sanitize::url(u));
    let mut alert = Alert {
        fingerprint: sanitize::ident(&a.fingerprint),
        labels,
        annotations,
        tainted,
        starts_at: a.starts_at,
        updated_at: a.updated_at,
        ends_at: a.ends_at,
        state: a.status.state,
        silenced_by: a
            .status
            .silenced_by
            .iter()
            .map(|s| sanitize::ident(s))
            .collect(),
        inhibited_by: a
            .status
            .inhibited_by
            .iter()
            .map(|s| sanitize::ident(s))
            .collect(),
        muted_by: a
            .status
            .muted_by
            .iter()
            .map(|s| sanitize::line(s))
            .collect(),
        receivers: a
            .receivers
            .iter()
            .map(|r| sanitize::line(&r.name))
            .collect(),
        generator_url: a.generator_url.as_deref().and_then(sanitize::url),
        runbook_url,
        severity: flightdeck_core::model::alerts::Severity::Other,
        search: String::new(),
    };
    alert.derive();
    alert
}

pub fn decode_silence(s: GettableSilence) -> Silence {
    Silence {
        id: sanitize::ident(&s.id),
        matchers: s
            .matchers
            .iter()
            .map(|m| Matcher {
                name: sanitize::ident(&m.name),
                value: sanitize::line(&m.value),
                is_regex: m.is_regex,
                is_equal: m.is_equal,
            })
            .collect(),
        starts_at: s.starts_at,
        ends_at: s.ends_at,
        updated_at: s.updated_at,
        created_by: sanitize::line(&s.created_by),
        comment: sanitize::text(&s.comment),
        state: s.status.state,
    }
}

/// The credential of one Alertmanager from the environment or a command, read when its task
/// starts so a rotated token is picked up on restart.
async fn auth_for(source: &AlertmanagerSource) -> Result<Auth, String> {
    super::http::credentials(
        source.token_env.as_deref(),
        source.token_command.as_deref(),
        source.basic_auth_user.as_deref(),
        source.basic_auth_password_env.as_deref(),
    )
    .await
}

struct Running {
    name: String,
    client: tokio::sync::OnceCell<AmClient>,
    refresh: Notify,
}

/// The Alertmanager sources of the config, each polled by its own task.
pub struct AlertmanagerProvider {
    running: Vec<Arc<Running>>,
    cx: Context,
}

impl AlertmanagerProvider {
    /// Starts one poller per `[[alertmanager]]`; `None` when there is none.
    pub fn start(config: &Config, cx: &Context) -> Option<Self> {
        if config.alertmanager.is_empty() {
            return None;
        }
        let me = config
            .general
            .me
            .as_deref()
            .map(|r| r.rsplit('/').next().unwrap_or(r).to_string());
        let created_by = config
            .general
            .created_by
            .clone()
            .or(me)
            .or_else(|| std::env::var("USER").ok())
            .or_else(|| std::env::var("USERNAME").ok())
            .unwrap_or_else(|| "flightdeck".into());
        let offset = chrono::Local::now().offset().local_minus_utc();
        let configured = AlertsMsg::Configured {
            instances: config
                .alertmanager
                .iter()
                .map(|a| (a.name.clone(), a.service_label.clone()))
                .collect(),
            created_by,
            utc_offset_secs: offset,
            ack_minutes: ACK_MINUTES,
        };
        let _ = cx.tx.try_send(Msg::Alerts(configured));
        let mut running = Vec::new();
        for source in &config.alertmanager {
            let r = Arc::new(Running {
                name: source.name.clone(),
                client: tokio::sync::OnceCell::new(),
                refresh: Notify::new(),
            });
            tokio::spawn(poll(source.clone(), r.clone(), cx.clone()));
            running.push(r);
        }
        Some(Self {
            running,
            cx: cx.clone(),
        })
    }

    fn carry_out(&self, command: &Command) {
        let (names, action): (&[String], Action) = match command {
            Command::CreateSilence { instances, draft } => {
                (instances, Action::Create(draft.clone()))
            }
            Command::ExpireSilence { instances, id } => (instances, Action::Expire(id.clone())),
        };
        for name in names {
            let tx = self.cx.tx.clone();
            let running = self.running.iter().find(|r| &r.name == name).cloned();
            let read_only = self.cx.read_only;
            let clock = self.cx.clock.clone();
            let action = action.clone();
            let name = name.clone();
            tokio::spawn(async move {
                let what = match &action {
                    Action::Create(d) if d.id.is_some() => "update silence",
                    Action::Create(_) => "silence",
                    Action::Expire(_) => "expire silence",
                };
                let fail = |error: String| {
                    Msg::Alerts(AlertsMsg::ActionFailed {
                        instance: name.clone(),
                        action: what.into(),
                        error,
                    })
                };
                let msg = match (&running, read_only) {
                    (_, true) => fail("refused, flightdeck runs read-only".into()),
                    (None, _) => fail("no such Alertmanager in the config".into()),
                    (Some(r), false) => match r.client.get() {
                        None => fail("not connected yet".into()),
                        Some(client) => match &action {
                            Action::Create(draft) => {
                                match client.create_silence(draft, clock.now()).await {
                                    Ok(id) => Msg::Alerts(AlertsMsg::SilenceSaved {
                                        instance: name.clone(),
                                        id,
                                    }),
                                    Err(e) => fail(e),
                                }
                            }
                            Action::Expire(id) => match client.expire_silence(id).await {
                                Ok(()) => Msg::Alerts(AlertsMsg::SilenceExpired {
                                    instance: name.clone(),
                                    id: id.clone(),
                                }),
                                Err(e) => fail(e),
                            },
                        },
                    },
                };
                let _ = tx.send(msg).await;
                // Show the result at once rather than at the next poll.
                if let Some(r) = running {
                    r.refresh.notify_one();
                }
            });
        }
    }
}

#[derive(Debug, Clone)]
enum Action {
    Create(SilenceDraft),
    Expire(String),
}

impl Provider for AlertmanagerProvider {
    // No `targets`: alerts are matched to services in the model; every alert is fetched.

    fn kinds(&self) -> &'static [flightdeck_core::model::SourceKind] {
        &[flightdeck_core::model::SourceKind::Alertmanager]
    }

    fn refresh(&mut self) {
        for r in &self.running {
            r.refresh.notify_one();
        }
    }

    fn command(&mut self, effect: &Effect) -> bool {
        match effect {
            Effect::Alerts(command) => {
                self.carry_out(command);
                true
            }
            _ => false,
        }
    }
}

/// The poll loop of one Alertmanager: fetch, report, wait for the interval or a refresh.
async fn poll(source: AlertmanagerSource, running: Arc<Running>, cx: Context) {
    let tx = cx.tx;
    let id = SourceId::new(SourceKind::Alertmanager, source.name.clone());
    let interval = StdDuration::from_secs(source.poll_interval_secs.max(1));
    let timeout = interval.clamp(StdDuration::from_secs(3), StdDuration::from_secs(10));
    let _ = tx
        .send(Msg::Source {
            id: id.clone(),
            event: SourceEvent::Connecting,
        })
        .await;
    let client = match auth_for(&source)
        .await
        .and_then(|auth| AmClient::new(&source.name, &source.url, auth, timeout))
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
    let client = running.client.get_or_init(|| async { client }).await;
    let mut polls: u32 = 0;
    let mut failures: u32 = 0;
    let mut version: Option<String> = None;
    let mut cluster: Option<Cluster> = None;
    loop {
        let with_status = polls.is_multiple_of(STATUS_EVERY) || version.is_none();
        polls = polls.wrapping_add(1);
        let wait = match client.fetch(with_status).await {
            Ok(mut data) => {
                failures = 0;
                if data.version.is_some() {
                    version = data.version.clone();
                    cluster = data.cluster.clone();
                } else {
                    data.version = version.clone();
                    data.cluster = cluster.clone();
                }
                let at = cx.clock.now();
                let detail = version.as_ref().map(|v| format!("v{v}"));
                if tx
                    .send(Msg::Alerts(AlertsMsg::Fetched {
                        instance: source.name.clone(),
                        at,
                        data,
                    }))
                    .await
                    .is_err()
                {
                    return;
                }
                let _ = tx
                    .send(Msg::Source {
                        id: id.clone(),
                        event: SourceEvent::Ok { at, detail },
                    })
                    .await;
                interval
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                let wait = interval
                    .saturating_mul(1 << failures.min(4))
                    .min(MAX_BACKOFF.max(interval));
                let at = cx.clock.now();
                let retry_at = at + Duration::from_std(wait).unwrap_or(Duration::seconds(60));
                tracing::info!(alertmanager = %source.name, %error, "poll failed");
                if tx
                    .send(Msg::Source {
                        id: id.clone(),
                        event: SourceEvent::Failed {
                            error,
                            at,
                            retry_at: Some(retry_at),
                        },
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
            _ = tokio::time::sleep(wait) => {}
            _ = running.refresh.notified() => {}
        }
    }
}
