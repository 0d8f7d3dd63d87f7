//! The PagerDuty provider: open incidents (triggered and acknowledged) and who is on call for
//! each escalation policy, now and next, over REST API v2 (`Authorization: Token token=…`,
//! `limit`/`offset` pages); an incident's notes when it is opened; acknowledge and resolve on
//! request, with the `From` header PagerDuty requires. Incidents are polled often, on-call by
//! the shift. Every string is sanitised at decode; the token goes only to the configured host.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::http::{self, Failure};
use super::poll::{self, Control};
use super::tickets;
use super::{Context, Provider};
use crate::config::{Config, PagerdutySource};
use flightdeck_core::message::work::{Command, Msg as WorkMsg};
use flightdeck_core::message::{Effect, Msg};
use flightdeck_core::model::work::{
    OnCallData, PdService, Shift, Ticket, TicketComment, TicketSource, rank_of,
};
use flightdeck_core::model::{SourceId, SourceKind};
use flightdeck_core::sanitize;
use flightdeck_core::wire::pagerduty::{
    Incident, IncidentEnvelope, IncidentList, IncidentUpdate, Note, NoteEnvelope, NoteList,
    OnCallList, ServiceList, StatusChange,
};
use flightdeck_core::wire::percent_encode;

/// Pages read per list at most (100 a page).
const MAX_PAGES: usize = 20;
/// The longest span an incident search covers.
const MAX_RANGE: chrono::Duration = chrono::Duration::days(180);
/// How far ahead on-call shifts are read, to know who is next.
const ONCALL_AHEAD: chrono::Duration = chrono::Duration::days(2);

#[derive(Clone)]
pub struct PdClient {
    base: String,
    http: reqwest::Client,
    token: String,
    from: Option<String>,
}

impl std::fmt::Debug for PdClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PdClient({}, <redacted>)", self.base)
    }
}

impl PdClient {
    pub fn new(source: &PagerdutySource, token: &str) -> Result<Self, String> {
        http::check_token(token)?;
        Ok(Self {
            base: source.api_url.trim_end_matches('/').to_string(),
            http: http::client(http::REQUEST_TIMEOUT)?,
            token: token.to_string(),
            from: source.from.clone(),
        })
    }

    async fn send(&self, req: reqwest::RequestBuilder, what: &str) -> Result<Vec<u8>, String> {
        let resp = req
            .header(
                reqwest::header::AUTHORIZATION,
                format!("Token token={}", self.token),
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| {
                Failure::from_reqwest(&e, &self.base, http::REQUEST_TIMEOUT).describe(what)
            })?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| {
            Failure::from_reqwest(&e, &self.base, http::REQUEST_TIMEOUT).describe(what)
        })?;
        match http::classify(status, &headers, &body) {
            None => Ok(body.to_vec()),
            Some(Failure::Status { code, .. }) => {
                // PagerDuty's errors are `{"error": {"message": ...}}`: that, sanitised and short.
                let message = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
                    .map(|m| sanitize::line(&m.chars().take(160).collect::<String>()))
                    .unwrap_or_default();
                Err(Failure::Status { code, message }.describe(what))
            }
            Some(f) => Err(f.describe(what)),
        }
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        what: &str,
    ) -> Result<T, String> {
        let body = self
            .send(self.http.get(format!("{}{path}", self.base)), what)
            .await?;
        serde_json::from_slice(&body)
            .map_err(|e| Failure::Malformed(http::decode_error(&e)).describe(what))
    }

    /// Triggered and acknowledged incidents, every page.
    pub async fn incidents(&self) -> Result<Vec<Incident>, String> {
        let mut out = Vec::new();
        for page in 0..MAX_PAGES {
            let list: IncidentList = self
                .get(
                    &format!(
                        "/incidents?statuses[]=triggered&statuses[]=acknowledged&limit=100&offset={}",
                        page * 100
                    ),
                    "pagerduty incidents",
                )
                .await?;
            let more = list.paging.more && !list.incidents.is_empty();
            out.extend(list.incidents);
            if !more {
                break;
            }
        }
        Ok(out)
    }

    /// The incidents of `service` opened in `[since, until)` and resolved, each with when it
    /// was resolved (its last status change): what the metrics' ticket rework share counts.
    /// PagerDuty searches at most six months back.
    pub async fn resolved_since(
        &self,
        service: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, Ticket)>, String> {
        let since = since.max(until - MAX_RANGE);
        let at = |t: DateTime<Utc>| {
            percent_encode(&t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        };
        let mut out = Vec::new();
        for page in 0..MAX_PAGES {
            let list: IncidentList = self
                .get(
                    &format!(
                        "/incidents?statuses[]=resolved&service_ids[]={}&since={}&until={}&limit=100&offset={}",
                        percent_encode(service),
                        at(since),
                        at(until),
                        page * 100
                    ),
                    "pagerduty resolved incidents",
                )
                .await?;
            let more = list.paging.more && !list.incidents.is_empty();
            out.extend(list.incidents.iter().map(|i| {
                let resolved = i
                    .last_status_change_at
                    .or(i.updated_at)
                    .unwrap_or(i.created_at);
                (resolved, decode(i, None))
            }));
            if !more {
                break;
            }
        }
        Ok(out)
    }

    /// Each service's escalation policy and the shifts of every policy from `now` on.
    pub async fn oncall(&self, now: DateTime<Utc>) -> Result<OnCallData, String> {
        let mut services = Vec::new();
        for page in 0..MAX_PAGES {
            let list: ServiceList = self
                .get(
                    &format!("/services?limit=100&offset={}", page * 100),
                    "pagerduty services",
                )
                .await?;
            let more = list.paging.more && !list.services.is_empty();
            services.extend(list.services.into_iter().map(|s| PdService {
                id: sanitize::ident(&s.id),
                name: sanitize::line(&s.name),
                policy: sanitize::ident(&s.escalation_policy.id),
            }));
            if !more {
                break;
            }
        }
        let since = percent_encode(&now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let until = percent_encode(
            &(now + ONCALL_AHEAD).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        );
        let mut shifts = Vec::new();
        for page in 0..MAX_PAGES {
            let list: OnCallList = self
                .get(
                    &format!(
                        "/oncalls?since={since}&until={until}&limit=100&offset={}",
                        page * 100
                    ),
                    "pagerduty on-calls",
                )
                .await?;
            let more = list.paging.more && !list.oncalls.is_empty();
            shifts.extend(list.oncalls.into_iter().map(|o| Shift {
                policy: sanitize::ident(&o.escalation_policy.id),
                level: o.escalation_level,
                user: sanitize::line(o.user.summary.as_deref().unwrap_or(&o.user.id)),
                start: o.start,
                end: o.end,
            }));
            if !more {
                break;
            }
        }
        Ok(OnCallData { shifts, services })
    }

    /// The user a user token belongs to (account tokens have none).
    pub async fn me(&self) -> Option<String> {
        let v: serde_json::Value = self.get("/users/me", "pagerduty me").await.ok()?;
        v["user"]["id"].as_str().map(sanitize::ident)
    }

    pub async fn detail(&self, id: &str) -> Result<WorkMsg, String> {
        let path = percent_encode(id);
        let incident: IncidentEnvelope = self
            .get(&format!("/incidents/{path}"), "pagerduty incident")
            .await?;
        let notes: NoteList = self
            .get(&format!("/incidents/{path}/notes"), "pagerduty notes")
            .await?;
        let details = incident
            .incident
            .body
            .as_ref()
            .and_then(|b| b.details.as_ref())
            .map(|d| match d {
                serde_json::Value::String(s) => s.clone(),
                other => format!(
                    "```\n{}\n```",
                    serde_json::to_string_pretty(other).unwrap_or_default()
                ),
            });
        let mut description = details.unwrap_or_default();
        if let Some(k) = &incident.incident.incident_key {
            description.push_str(&format!("\n\nDedup key `{k}`."));
        }
        Ok(WorkMsg::Detail {
            source: TicketSource::Pagerduty,
            id: sanitize::ident(id),
            description: Some(sanitize::text(description.trim())).filter(|d| !d.is_empty()),
            comments: notes
                .notes
                .iter()
                .map(|n| TicketComment {
                    author: sanitize::line(
                        n.user
                            .as_ref()
                            .and_then(|u| u.summary.as_deref())
                            .unwrap_or("someone"),
                    ),
                    at: n.created_at,
                    body: sanitize::text(&n.content),
                })
                .collect(),
            links: vec![],
            transitions: vec![],
        })
    }

    pub async fn set_status(&self, id: &str, status: &str) -> Result<(), String> {
        let Some(from) = &self.from else {
            return Err("PagerDuty needs `from` (your login email) in [pagerduty]".into());
        };
        let body = IncidentUpdate {
            incident: StatusChange {
                kind: "incident_reference".into(),
                status: status.into(),
            },
        };
        self.send(
            self.http
                .put(format!("{}/incidents/{}", self.base, percent_encode(id)))
                .header("From", from)
                .json(&body),
            "pagerduty update",
        )
        .await
        .map(|_| ())
    }

    /// Adds a note to an incident, under the `From` user as PagerDuty requires.
    pub async fn add_note(&self, id: &str, content: &str) -> Result<(), String> {
        let Some(from) = &self.from else {
            return Err("PagerDuty needs `from` (your login email) in [pagerduty]".into());
        };
        let body = NoteEnvelope {
            note: Note {
                id: None,
                user: None,
                content: content.to_string(),
                created_at: None,
            },
        };
        self.send(
            self.http
                .post(format!(
                    "{}/incidents/{}/notes",
                    self.base,
                    percent_encode(id)
                ))
                .header("From", from)
                .json(&body),
            "pagerduty note",
        )
        .await
        .map(|_| ())
    }
}

/// An incident as the model keeps it.
pub fn decode(i: &Incident, me: Option<&str>) -> Ticket {
    let assignee = i.assignments.first().map(|a| &a.assignee);
    let priority = i
        .priority
        .as_ref()
        .map(|p| sanitize::line(&p.name))
        .or_else(|| {
            i.urgency
                .as_deref()
                .map(|u| format!("{} urgency", sanitize::line(u)))
        })
        .unwrap_or_default();
    let rank = match (rank_of(&priority), i.urgency.as_deref()) {
        (5, Some("high")) => 0,
        (5, Some(_)) => 2,
        (r, _) => r,
    };
    Ticket {
        source: TicketSource::Pagerduty,
        key: format!("#{}", i.incident_number),
        id: sanitize::ident(&i.id),
        title: sanitize::line(&i.title),
        status: sanitize::line(&i.status),
        done: i.status == "resolved",
        rank,
        priority,
        kind: "incident".into(),
        assignee: assignee.map(|a| sanitize::line(a.summary.as_deref().unwrap_or(&a.id))),
        mine: me.is_some_and(|me| i.assignments.iter().any(|a| a.assignee.id == me)),
        project: None,
        components: vec![],
        pagerduty_service: Some(sanitize::ident(&i.service.id)),
        repo: None,
        labels: vec![],
        sprint: None,
        created: i.created_at,
        updated: i.updated_at.unwrap_or(i.created_at),
        url: i.html_url.as_deref().and_then(sanitize::url),
        incident_key: i.incident_key.as_deref().map(sanitize::ident),
    }
}

/// A client for `source`, its token resolved as every source's is.
pub async fn connect(source: &PagerdutySource) -> Result<PdClient, String> {
    PdClient::new(source, &token(source).await?)
}

/// The token from the configured variable, else `PAGERDUTY_TOKEN`, else the command.
async fn token(source: &PagerdutySource) -> Result<String, String> {
    let mut names: Vec<&str> = source.token_env.iter().map(String::as_str).collect();
    names.push("PAGERDUTY_TOKEN");
    http::resolve_token(&names, source.token_command.as_deref())
        .await?
        .ok_or_else(|| format!("no token: set {} or token_command", names[0]))
}

struct Running {
    client: tokio::sync::OnceCell<PdClient>,
    control: Control,
}

pub struct PagerdutyProvider {
    running: Arc<Running>,
    cx: Context,
}

impl PagerdutyProvider {
    pub fn start(config: &Config, cx: &Context) -> Option<Self> {
        let source = config.pagerduty.clone()?;
        let running = Arc::new(Running {
            client: tokio::sync::OnceCell::new(),
            control: Control::default(),
        });
        tokio::spawn(poll(source, running.clone(), cx.clone()));
        Some(Self {
            running,
            cx: cx.clone(),
        })
    }
}

impl Provider for PagerdutyProvider {
    fn kinds(&self) -> &'static [SourceKind] {
        &[SourceKind::Pagerduty]
    }

    fn refresh(&mut self) {
        self.running.control.refresh();
    }

    fn command(&mut self, effect: &Effect) -> bool {
        let Effect::Work(command) = effect else {
            return false;
        };
        match command {
            Command::Visible(sources) => {
                // Every ticket provider reads it: not claimed.
                self.running
                    .control
                    .set_visible(sources.contains(&TicketSource::Pagerduty));
                return false;
            }
            Command::Open {
                source: TicketSource::Pagerduty,
                ..
            }
            | Command::Comment {
                source: TicketSource::Pagerduty,
                ..
            }
            | Command::SetIncident { .. } => {}
            _ => return false,
        }
        let command = command.clone();
        let running = self.running.clone();
        let tx = self.cx.tx.clone();
        let read_only = self.cx.read_only;
        tokio::spawn(async move {
            let Some(client) = running.client.get() else {
                return tickets::not_connected(&tx, "pagerduty").await;
            };
            match command {
                Command::Open { id, .. } => {
                    tickets::open(&tx, TicketSource::Pagerduty, &id, client.detail(&id)).await
                }
                Command::SetIncident { id, label, status } => {
                    let act = client.set_status(&id, status.as_str());
                    let then = async {
                        running.control.refresh();
                        None
                    };
                    tickets::change(&tx, read_only, label, act, then).await;
                }
                Command::Comment {
                    id, label, body, ..
                } => {
                    // The detail shows the note with the others.
                    let act = client.add_note(&id, &body);
                    let then = async { client.detail(&id).await.ok() };
                    tickets::change(&tx, read_only, label, act, then).await;
                }
                Command::Transition { .. } | Command::Visible(_) => {}
            }
        });
        true
    }
}

async fn poll(source: PagerdutySource, running: Arc<Running>, cx: Context) {
    let id = SourceId::new(SourceKind::Pagerduty, "pagerduty");
    let make = connect(&source);
    let Some(client) = poll::connect(&cx, &id, make).await else {
        return;
    };
    let client = running.client.get_or_init(|| async { client }).await;
    let pace = poll::Pace::new(source.poll_secs, source.sweep_secs);
    let oncall_every = Duration::from_secs(source.oncall_poll_secs.max(source.poll_secs).max(5));
    let mut incidents = Incidents {
        client,
        cx: &cx,
        me: None,
        oncall_every,
        oncall_at: None,
    };
    poll::run(&cx, &id, &running.control, pace, &mut incidents).await;
}

/// The incidents' poll, and on-call when its slower interval has passed.
struct Incidents<'a> {
    client: &'a PdClient,
    cx: &'a Context,
    me: Option<String>,
    oncall_every: Duration,
    oncall_at: Option<tokio::time::Instant>,
}

impl poll::Poller for Incidents<'_> {
    async fn round(&mut self) -> poll::Round {
        {
            // Asked each round until known: one failed answer at start must not leave every
            // incident unmarked as mine for the session.
            if self.me.is_none() {
                self.me = self.client.me().await;
            }
            let incidents = self.client.incidents().await?;
            let due = self
                .oncall_at
                .is_none_or(|t| t.elapsed() >= self.oncall_every);
            let oncall = if due {
                Some(self.client.oncall(self.cx.clock.now()).await?)
            } else {
                None
            };
            let at = self.cx.clock.now();
            let count = incidents.len();
            let tickets = incidents
                .iter()
                .map(|i| decode(i, self.me.as_deref()))
                .collect();
            let closed = |_| "shutting down".to_string();
            self.cx
                .tx
                .send(Msg::Work(WorkMsg::Tickets {
                    source: TicketSource::Pagerduty,
                    at,
                    tickets,
                }))
                .await
                .map_err(closed)?;
            if let Some(data) = oncall {
                self.oncall_at = Some(tokio::time::Instant::now());
                self.cx
                    .tx
                    .send(Msg::Work(WorkMsg::OnCall { at, data }))
                    .await
                    .map_err(closed)?;
            }
            Ok(Some(format!("{count} open")))
        }
    }
}
