//! The Jira provider: the user's queue by JQL (Cloud REST v3 `search/jql` paged by
//! `nextPageToken`, or Server/Data Center v2 `search` paged by `startAt`), a ticket's
//! description, comments, links and transitions when it is opened, and transitions on request.
//! Every string is sanitised at decode; the token goes only to the configured host.

use std::sync::Arc;

use super::http::{self, Failure};
use super::poll::{self, Control};
use super::tickets;
use super::{Context, Provider};
use crate::config::{Config, JiraSource};
use flightdeck_core::message::work::{Command, Msg as WorkMsg};
use flightdeck_core::message::{Effect, Msg};
use flightdeck_core::model::work::{Ticket, TicketComment, TicketSource, rank_of};
use flightdeck_core::model::{SourceId, SourceKind};
use flightdeck_core::sanitize;
use flightdeck_core::wire::jira::{
    DoTransition, Issue, SearchPage, TransitionId, Transitions, User, adf_of_text, parse_time,
    to_markdown,
};
use flightdeck_core::wire::percent_encode;

/// Fields the queue needs; the description and comments come with the ticket's own answer.
const LIST_FIELDS: &str = "summary,status,priority,issuetype,assignee,labels,components,project,created,updated,resolutiondate,customfield_10020";
/// Pages read per poll at most: 20 pages of 100 is more queue than a person has.
const MAX_PAGES: usize = 20;

/// One Jira site.
#[derive(Clone)]
pub struct JiraClient {
    base: String,
    version: u8,
    http: reqwest::Client,
    auth: String,
}

impl std::fmt::Debug for JiraClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "JiraClient({}, v{}, <redacted>)",
            self.base, self.version
        )
    }
}

impl JiraClient {
    pub fn new(source: &JiraSource, token: &str) -> Result<Self, String> {
        http::check_token(token)?;
        let auth = match &source.user {
            Some(user) => format!(
                "Basic {}",
                flightdeck_core::wire::base64::encode(format!("{user}:{token}").as_bytes())
            ),
            None => format!("Bearer {token}"),
        };
        Ok(Self {
            base: source.url.trim_end_matches('/').to_string(),
            version: if source.api_version == 2 { 2 } else { 3 },
            http: http::client(http::REQUEST_TIMEOUT)?,
            auth,
        })
    }

    async fn send(&self, req: reqwest::RequestBuilder, what: &str) -> Result<Vec<u8>, String> {
        let resp = req
            .header(reqwest::header::AUTHORIZATION, &self.auth)
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
                // Jira's errors are `{"errorMessages": [...]}`: the first, sanitised and short.
                let message = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["errorMessages"][0].as_str().map(str::to_string))
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

    fn api(&self) -> String {
        format!("/rest/api/{}", self.version)
    }

    /// Who the token belongs to, to mark what is assigned to the user.
    pub async fn myself(&self) -> Result<User, String> {
        self.get(&format!("{}/myself", self.api()), "jira myself")
            .await
    }

    /// Every issue `jql` selects, following the pages.
    pub async fn search(&self, jql: &str) -> Result<Vec<Issue>, String> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        let mut start = 0u64;
        for _ in 0..MAX_PAGES {
            let q = format!(
                "jql={}&fields={}&maxResults=100",
                percent_encode(jql),
                percent_encode(LIST_FIELDS)
            );
            let page: SearchPage = if self.version == 3 {
                let paging = token
                    .as_deref()
                    .map(|t| format!("&nextPageToken={}", percent_encode(t)))
                    .unwrap_or_default();
                self.get(
                    &format!("{}/search/jql?{q}{paging}", self.api()),
                    "jira search",
                )
                .await?
            } else {
                self.get(
                    &format!("{}/search?{q}&startAt={start}", self.api()),
                    "jira search",
                )
                .await?
            };
            let (next_token, next_start) =
                (page.next_token().map(str::to_string), page.next_start());
            out.extend(page.issues);
            match (self.version, next_token, next_start) {
                (3, Some(t), _) => token = Some(t),
                (2, _, Some(s)) => start = s,
                _ => break,
            }
        }
        Ok(out)
    }

    /// The open ticket: description, comments and links, and the transitions it offers.
    pub async fn detail(&self, key: &str) -> Result<WorkMsg, String> {
        let key_path = percent_encode(key);
        let issue: Issue = self
            .get(
                &format!(
                    "{}/issue/{key_path}?fields=description,comment,issuelinks",
                    self.api()
                ),
                "jira issue",
            )
            .await?;
        let transitions: Transitions = self
            .get(
                &format!("{}/issue/{key_path}/transitions", self.api()),
                "jira transitions",
            )
            .await?;
        let f = &issue.fields;
        let description =
            Some(sanitize::text(&to_markdown(&f.description))).filter(|d| !d.trim().is_empty());
        let comments = f
            .comment
            .as_ref()
            .map(|c| {
                c.comments
                    .iter()
                    .map(|c| TicketComment {
                        author: sanitize::line(c.author.as_ref().map_or("someone", User::label)),
                        at: c.created.as_deref().and_then(parse_time),
                        body: sanitize::text(&to_markdown(&c.body)),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let links = f
            .issuelinks
            .iter()
            .filter_map(|l| {
                let (verb, other) = match (&l.outward_issue, &l.inward_issue) {
                    (Some(o), _) => (l.kind.as_ref().map(|k| k.outward.clone()), o.key.clone()?),
                    (None, Some(i)) => (l.kind.as_ref().map(|k| k.inward.clone()), i.key.clone()?),
                    _ => return None,
                };
                let text = match verb.filter(|v| !v.is_empty()) {
                    Some(v) => format!("{v} {other}"),
                    None => other,
                };
                Some(sanitize::line(&text))
            })
            .collect();
        Ok(WorkMsg::Detail {
            source: TicketSource::Jira,
            id: sanitize::ident(&issue.key),
            description,
            comments,
            links,
            transitions: transitions
                .transitions
                .iter()
                .filter(|t| t.is_available != Some(false))
                .map(|t| {
                    let to = t.to.as_ref().map_or(t.name.as_str(), |s| s.name.as_str());
                    (sanitize::ident(&t.id), sanitize::line(to))
                })
                .collect(),
        })
    }

    pub async fn transition(&self, key: &str, id: &str) -> Result<(), String> {
        let body = DoTransition {
            transition: TransitionId { id: id.to_string() },
        };
        self.send(
            self.http
                .post(format!(
                    "{}{}/issue/{}/transitions",
                    self.base,
                    self.api(),
                    percent_encode(key)
                ))
                .json(&body),
            "jira transition",
        )
        .await
        .map(|_| ())
    }

    /// Adds a comment: ADF on Cloud (v3), plain text on Server/Data Center (v2).
    pub async fn comment(&self, key: &str, text: &str) -> Result<(), String> {
        let body = if self.version == 3 {
            serde_json::json!({ "body": adf_of_text(text) })
        } else {
            serde_json::json!({ "body": text })
        };
        self.send(
            self.http
                .post(format!(
                    "{}{}/issue/{}/comment",
                    self.base,
                    self.api(),
                    percent_encode(key)
                ))
                .json(&body),
            "jira comment",
        )
        .await
        .map(|_| ())
    }

    /// The issues of `project` (and `component`, where the service names one) resolved since
    /// `since`, each with when it was resolved: what the metrics' ticket rework share counts.
    /// The JQL asks from the day before, since Jira reads its dates in the user's time zone;
    /// the exact bound is applied to each issue's `resolutiondate`.
    pub async fn resolved_since(
        &self,
        project: &str,
        component: Option<&str>,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<(chrono::DateTime<chrono::Utc>, Ticket)>, String> {
        let quote = |v: &str| format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""));
        let mut jql = format!("project = {}", quote(project));
        if let Some(c) = component {
            jql.push_str(&format!(" AND component = {}", quote(c)));
        }
        let day = (since - chrono::Duration::days(1)).format("%Y-%m-%d");
        jql.push_str(&format!(
            " AND statusCategory = Done AND resolved >= \"{day}\" ORDER BY resolved ASC"
        ));
        let issues = self.search(&jql).await?;
        Ok(issues
            .iter()
            .filter_map(|i| {
                let at = i.fields.resolutiondate.as_deref().and_then(parse_time)?;
                (at >= since).then(|| (at, decode(i, None, self.browse(&i.key), at)))
            })
            .collect())
    }

    /// The issue's page for people.
    fn browse(&self, key: &str) -> Option<String> {
        sanitize::url(&format!("{}/browse/{}", self.base, percent_encode(key)))
    }
}

/// A Jira issue as the model keeps it.
pub fn decode(
    issue: &Issue,
    me: Option<&User>,
    browse: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> Ticket {
    let f = &issue.fields;
    let status = f.status.clone().unwrap_or_default();
    let priority = f
        .priority
        .as_ref()
        .map(|p| sanitize::line(&p.name))
        .unwrap_or_default();
    let mine = match (me, &f.assignee) {
        (Some(me), Some(a)) => {
            (me.account_id.is_some() && me.account_id == a.account_id)
                || (me.name.is_some() && me.name == a.name)
        }
        _ => false,
    };
    // The open sprint, where the usual sprint field lists them.
    let sprint = f.sprint.as_array().and_then(|s| {
        s.iter()
            .rev()
            .find(|x| x["state"].as_str() == Some("active"))
            .or_else(|| s.last())
            .and_then(|x| x["name"].as_str())
            .map(sanitize::line)
    });
    let created = f.created.as_deref().and_then(parse_time).unwrap_or(now);
    Ticket {
        source: TicketSource::Jira,
        key: sanitize::ident(&issue.key),
        id: sanitize::ident(&issue.key),
        title: sanitize::line(&f.summary),
        status: sanitize::line(&status.name),
        done: status
            .status_category
            .as_ref()
            .is_some_and(|c| c.key == "done"),
        rank: rank_of(&priority),
        priority,
        kind: f
            .issuetype
            .as_ref()
            .map(|t| sanitize::line(&t.name))
            .unwrap_or_default(),
        assignee: f.assignee.as_ref().map(|a| sanitize::line(a.label())),
        mine,
        project: f.project.as_ref().map(|p| sanitize::ident(&p.key)),
        components: f
            .components
            .iter()
            .map(|c| sanitize::ident(&c.name))
            .collect(),
        pagerduty_service: None,
        repo: None,
        labels: f.labels.iter().map(|l| sanitize::ident(l)).collect(),
        sprint,
        created,
        updated: f.updated.as_deref().and_then(parse_time).unwrap_or(created),
        url: browse,
        incident_key: None,
    }
}

/// A client for `source`, its token resolved as every source's is.
pub async fn connect(source: &JiraSource) -> Result<JiraClient, String> {
    JiraClient::new(source, &token(source).await?)
}

/// The token from the configured variable, else `JIRA_API_TOKEN`, else the command.
async fn token(source: &JiraSource) -> Result<String, String> {
    let mut names: Vec<&str> = source.token_env.iter().map(String::as_str).collect();
    names.push("JIRA_API_TOKEN");
    http::resolve_token(&names, source.token_command.as_deref())
        .await?
        .ok_or_else(|| format!("no token: set {} or token_command", names[0]))
}

struct Running {
    client: tokio::sync::OnceCell<JiraClient>,
    control: Control,
}

pub struct JiraProvider {
    running: Arc<Running>,
    cx: Context,
}

impl JiraProvider {
    pub fn start(config: &Config, cx: &Context) -> Option<Self> {
        let source = config.jira.clone()?;
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

impl Provider for JiraProvider {
    fn kinds(&self) -> &'static [SourceKind] {
        &[SourceKind::Jira]
    }

    fn refresh(&mut self) {
        self.running.control.refresh();
    }

    fn command(&mut self, effect: &Effect) -> bool {
        let Effect::Work(command) = effect else {
            return false;
        };
        let command = command.clone();
        match &command {
            Command::Visible(sources) => {
                // Every ticket provider reads it: not claimed.
                self.running
                    .control
                    .set_visible(sources.contains(&TicketSource::Jira));
                return false;
            }
            Command::Open {
                source: TicketSource::Jira,
                ..
            }
            | Command::Comment {
                source: TicketSource::Jira,
                ..
            }
            | Command::Transition { .. } => {}
            _ => return false,
        }
        let running = self.running.clone();
        let tx = self.cx.tx.clone();
        let read_only = self.cx.read_only;
        tokio::spawn(async move {
            let Some(client) = running.client.get() else {
                return tickets::not_connected(&tx, "jira").await;
            };
            match command {
                Command::Open { id, .. } => {
                    tickets::open(&tx, TicketSource::Jira, &id, client.detail(&id)).await
                }
                Command::Transition {
                    key,
                    transition,
                    to,
                } => {
                    // The detail's transitions change with the status.
                    let then = async {
                        running.control.refresh();
                        client.detail(&key).await.ok()
                    };
                    let act = client.transition(&key, &transition);
                    let what = format!("move {key} to {to}");
                    tickets::change(&tx, read_only, what, act, then).await;
                }
                Command::Comment {
                    id, label, body, ..
                } => {
                    // The detail shows the comment with the others.
                    let act = client.comment(&id, &body);
                    let then = async { client.detail(&id).await.ok() };
                    tickets::change(&tx, read_only, label, act, then).await;
                }
                Command::SetIncident { .. } | Command::Visible(_) => {}
            }
        });
        true
    }
}

async fn poll(source: JiraSource, running: Arc<Running>, cx: Context) {
    let id = SourceId::new(SourceKind::Jira, "jira");
    let make = connect(&source);
    let Some(client) = poll::connect(&cx, &id, make).await else {
        return;
    };
    let client = running.client.get_or_init(|| async { client }).await;
    let pace = poll::Pace::new(source.poll_secs, source.sweep_secs);
    let mut queue = Queue {
        client,
        cx: &cx,
        jql: &source.jql,
        me: None,
    };
    poll::run(&cx, &id, &running.control, pace, &mut queue).await;
}

/// The queue's poll: who the user is (once), then every issue the JQL selects.
struct Queue<'a> {
    client: &'a JiraClient,
    cx: &'a Context,
    jql: &'a str,
    me: Option<User>,
}

impl poll::Poller for Queue<'_> {
    async fn round(&mut self) -> poll::Round {
        {
            if self.me.is_none() {
                self.me = self.client.myself().await.ok();
            }
            let issues = self.client.search(self.jql).await?;
            let at = self.cx.clock.now();
            let tickets = issues
                .iter()
                .map(|i| decode(i, self.me.as_ref(), self.client.browse(&i.key), at))
                .collect();
            self.cx
                .tx
                .send(Msg::Work(WorkMsg::Tickets {
                    source: TicketSource::Jira,
                    at,
                    tickets,
                }))
                .await
                .map_err(|_| "shutting down".to_string())?;
            Ok(Some(format!("{} issues", issues.len())))
        }
    }
}
