//! The sim's PagerDuty REST API v2: services, escalation policies, schedules, who is on call,
//! and the story's incidents, with acknowledge, resolve and notes as PagerDuty takes them
//! (`Authorization: Token token=…`, a `From` header naming the acting user on changes, classic
//! `limit`/`offset`/`more` pagination, its error shape). What users do to incidents lives in
//! this server's overlay; everything else is derived from the world at each request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::Shared;
use crate::rest::param;
use crate::work::{self, StoryIncident};
use crate::world::CYCLE;
use flightdeck_core::sync::lock;
use flightdeck_core::wire::pagerduty::{
    Acknowledgement, Assignment, Body, Incident, IncidentEnvelope, IncidentList, IncidentUpdate,
    Note, NoteEnvelope, NoteList, OnCall, OnCallList, Paging, Reference, Service, ServiceList,
};

const HTML: &str = "https://acme.pagerduty.example";

struct Pd {
    shared: Arc<Shared>,
    overlay: Mutex<HashMap<String, Changed>>,
}

/// What users did to one incident.
#[derive(Debug, Clone, Default)]
struct Changed {
    status: Option<(String, DateTime<Utc>, String)>,
    notes: Vec<Note>,
}

type St = State<Arc<Pd>>;
type Params = Query<Vec<(String, String)>>;

pub fn router(shared: Arc<Shared>) -> Router {
    let pd = Arc::new(Pd {
        shared,
        overlay: Mutex::default(),
    });
    Router::new()
        .route("/incidents", get(list_incidents))
        .route("/incidents/{id}", put(update_incident).get(get_incident))
        .route("/incidents/{id}/notes", get(list_notes).post(add_note))
        .route("/oncalls", get(oncalls))
        .route("/services", get(services))
        .route("/escalation_policies", get(policies))
        .route("/schedules", get(schedules))
        .route("/users/me", get(me))
        .fallback(|| async { error(StatusCode::NOT_FOUND, 2100, "Not Found") })
        .layer(axum::middleware::from_fn(auth))
        .with_state(pd)
}

/// PagerDuty's error body.
fn error(status: StatusCode, code: u32, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"message": message, "code": code}})),
    )
        .into_response()
}

/// Every call needs `Authorization: Token token=…`; the sim takes any token.
async fn auth(req: Request, next: Next) -> Response {
    let ok = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Token token=") && v.len() > "Token token=".len());
    if !ok {
        return error(StatusCode::UNAUTHORIZED, 2006, "Authentication failed");
    }
    next.run(req).await
}

fn reference(kind: &str, id: &str, summary: &str, path: &str) -> Reference {
    Reference {
        id: id.to_string(),
        summary: Some(summary.to_string()),
        kind: Some(kind.to_string()),
        html_url: Some(format!("{HTML}/{path}/{id}")),
    }
}

fn user_ref(pd: &Pd, login: &str) -> Reference {
    let name = pd
        .shared
        .world
        .person(login)
        .map_or(login, |p| p.display_name.as_str());
    reference("user_reference", &work::user_id(login), name, "users")
}

fn policy_ref(team: &str) -> Reference {
    reference(
        "escalation_policy_reference",
        &work::policy_id(team),
        &format!("{team} escalation"),
        "escalation_policies",
    )
}

fn service_ref(name: &str) -> Reference {
    reference(
        "service_reference",
        &work::service_id(name),
        name,
        "service-directory",
    )
}

/// The login a `From` header's email names, if a person of the world.
fn from_user(pd: &Pd, headers: &HeaderMap) -> Option<String> {
    let email = headers.get("from")?.to_str().ok()?.trim().to_string();
    pd.shared
        .world
        .people
        .iter()
        .find(|p| p.email.eq_ignore_ascii_case(&email))
        .map(|p| p.login.clone())
}

fn served(pd: &Pd, inc: &StoryIncident) -> Incident {
    let clock = &pd.shared.clock;
    let changed = lock(&pd.overlay).get(&inc.id).cloned().unwrap_or_default();
    let mut status = "triggered".to_string();
    let mut updated = inc.created;
    let mut acknowledgements = Vec::new();
    if let Some(at) = inc.acknowledged {
        status = "acknowledged".into();
        updated = at;
        acknowledgements.push(Acknowledgement {
            acknowledger: user_ref(pd, &inc.holder),
            at: Some(clock.wall(at)),
        });
    }
    // A user's change counts from when it was made; the story's resolution wins over an
    // acknowledgement made before it, as PagerDuty resolves when the alert does.
    if let Some((s, at, by)) = &changed.status
        && inc.resolved.is_none_or(|r| *at < r)
    {
        status = s.clone();
        updated = *at;
        if s == "acknowledged" {
            acknowledgements.push(Acknowledgement {
                acknowledger: user_ref(pd, by),
                at: Some(clock.wall(*at)),
            });
        }
    }
    if let Some(r) = inc.resolved
        && changed
            .status
            .as_ref()
            .is_none_or(|(s, at, _)| s != "resolved" || *at >= r)
    {
        status = "resolved".into();
        updated = r;
    }
    let title = inc.title.clone();
    Incident {
        id: inc.id.clone(),
        incident_number: inc.number,
        title: title.clone(),
        description: Some(title),
        status,
        urgency: Some(inc.urgency.into()),
        created_at: clock.wall(inc.created),
        updated_at: Some(clock.wall(updated)),
        // Every change the sim knows of is a status change.
        last_status_change_at: Some(clock.wall(updated)),
        service: service_ref(&inc.service),
        escalation_policy: Some(policy_ref(&inc.team)),
        assignments: vec![Assignment {
            assignee: user_ref(pd, &inc.holder),
            at: Some(clock.wall(inc.created)),
        }],
        acknowledgements,
        incident_key: inc.incident_key.clone(),
        html_url: Some(format!("{HTML}/incidents/{}", inc.id)),
        priority: Some(flightdeck_core::wire::pagerduty::Priority {
            name: if inc.urgency == "high" { "P1" } else { "P3" }.into(),
        }),
        body: Some(Body {
            details: Some(json!(inc.details)),
        }),
    }
}

/// Every incident of the last few cycles as served now.
fn all_incidents(pd: &Pd) -> Vec<Incident> {
    let now = pd.shared.story_now();
    let world = &pd.shared.world;
    work::incident_history(world)
        .iter()
        .chain(&work::incidents(world, now, CYCLE * 3))
        .map(|i| served(pd, i))
        .collect()
}

/// `limit` (default 25, at most 100) and `offset` from a query.
fn paging(params: &[(String, String)]) -> (usize, usize) {
    let get = |k: &str| param(params, k).and_then(|v| v.parse::<usize>().ok());
    (
        get("limit").unwrap_or(25).clamp(1, 100),
        get("offset").unwrap_or(0),
    )
}

fn values<'a>(params: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    let bracketed = format!("{name}[]");
    params
        .iter()
        .filter(|(k, _)| *k == bracketed || k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn page<T: Clone>(items: &[T], params: &[(String, String)]) -> (Vec<T>, Paging) {
    let (limit, offset) = paging(params);
    let slice: Vec<T> = items.iter().skip(offset).take(limit).cloned().collect();
    let paging = Paging {
        limit: limit as u64,
        offset: offset as u64,
        more: offset + slice.len() < items.len(),
        total: (param(params, "total") == Some("true")).then_some(items.len() as u64),
    };
    (slice, paging)
}

async fn list_incidents(State(pd): St, Query(params): Params) -> Response {
    let statuses = values(&params, "statuses");
    let services = values(&params, "service_ids");
    let users = values(&params, "user_ids");
    // `since` and `until` bound when incidents were opened (wall times, as served).
    let time = |name: &str| {
        param(&params, name)
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let (since, until) = (time("since"), time("until"));
    let incidents: Vec<Incident> = all_incidents(&pd)
        .into_iter()
        .filter(|i| {
            since.is_none_or(|s| i.created_at >= s) && until.is_none_or(|u| i.created_at < u)
        })
        .filter(|i| statuses.is_empty() || statuses.contains(&i.status.as_str()))
        .filter(|i| services.is_empty() || services.contains(&i.service.id.as_str()))
        .filter(|i| {
            users.is_empty()
                || i.assignments
                    .iter()
                    .any(|a| users.contains(&a.assignee.id.as_str()))
        })
        .collect();
    let (incidents, paging) = page(&incidents, &params);
    Json(IncidentList { incidents, paging }).into_response()
}

async fn get_incident(State(pd): St, Path(id): Path<String>) -> Response {
    match all_incidents(&pd).into_iter().find(|i| i.id == id) {
        Some(incident) => Json(IncidentEnvelope { incident }).into_response(),
        None => error(StatusCode::NOT_FOUND, 2100, "Incident Not Found"),
    }
}

/// `PUT /incidents/{id}` with `{"incident": {"type": "incident_reference", "status": …}}`.
async fn update_incident(
    State(pd): St,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(by) = from_user(&pd, &headers) else {
        return error(
            StatusCode::BAD_REQUEST,
            2001,
            "Invalid Input Provided: A valid `From` header is required",
        );
    };
    let Ok(update) = serde_json::from_slice::<IncidentUpdate>(&body) else {
        return error(StatusCode::BAD_REQUEST, 2001, "Invalid Input Provided");
    };
    let status = update.incident.status;
    if !matches!(status.as_str(), "acknowledged" | "resolved") {
        return error(
            StatusCode::BAD_REQUEST,
            2001,
            "Invalid Input Provided: status must be acknowledged or resolved",
        );
    }
    let Some(current) = all_incidents(&pd).into_iter().find(|i| i.id == id) else {
        return error(StatusCode::NOT_FOUND, 2100, "Incident Not Found");
    };
    if current.status == "resolved" {
        return error(StatusCode::BAD_REQUEST, 2001, "Incident Already Resolved");
    }
    let now = pd.shared.story_now();
    lock(&pd.overlay).entry(id.clone()).or_default().status = Some((status, now, by));
    match all_incidents(&pd).into_iter().find(|i| i.id == id) {
        Some(incident) => Json(IncidentEnvelope { incident }).into_response(),
        None => error(StatusCode::NOT_FOUND, 2100, "Incident Not Found"),
    }
}

async fn list_notes(State(pd): St, Path(id): Path<String>) -> Response {
    let notes = lock(&pd.overlay)
        .get(&id)
        .map(|c| c.notes.clone())
        .unwrap_or_default();
    Json(NoteList { notes }).into_response()
}

async fn add_note(
    State(pd): St,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(by) = from_user(&pd, &headers) else {
        return error(
            StatusCode::BAD_REQUEST,
            2001,
            "Invalid Input Provided: A valid `From` header is required",
        );
    };
    let Ok(note) = serde_json::from_slice::<NoteEnvelope>(&body) else {
        return error(StatusCode::BAD_REQUEST, 2001, "Invalid Input Provided");
    };
    if note.note.content.trim().is_empty() {
        return error(StatusCode::BAD_REQUEST, 2001, "Note content can't be blank");
    }
    if !all_incidents(&pd).iter().any(|i| i.id == id) {
        return error(StatusCode::NOT_FOUND, 2100, "Incident Not Found");
    }
    let now = pd.shared.story_now();
    let mut overlay = lock(&pd.overlay);
    let changed = overlay.entry(id.clone()).or_default();
    let saved = Note {
        id: Some(work::pd_id('N', &format!("{id}/{}", changed.notes.len()))),
        user: Some(user_ref(&pd, &by)),
        content: note.note.content,
        created_at: Some(pd.shared.wall(now)),
    };
    changed.notes.push(saved.clone());
    (StatusCode::CREATED, Json(NoteEnvelope { note: saved })).into_response()
}

/// Who is on call for each team's policy between `since` and `until` (wall times; default now),
/// level 1 from the team's schedule; `earliest=true` keeps the first shift of each.
async fn oncalls(State(pd): St, Query(params): Params) -> Response {
    let clock = &pd.shared.clock;
    let time = |k: &str| {
        param(&params, k)
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
            .map(|t| clock.story(t.with_timezone(&Utc)))
    };
    let now = pd.shared.story_now();
    let since = time("since").unwrap_or(now);
    let until = time("until").unwrap_or(since).max(since);
    // A week of shifts at most, as PagerDuty bounds the range.
    let until = until.min(since + Duration::days(7));
    let policies = values(&params, "escalation_policy_ids");
    let earliest = param(&params, "earliest") == Some("true");
    let mut out = Vec::new();
    for team in &pd.shared.world.teams {
        let policy = policy_ref(&team.name);
        if !policies.is_empty() && !policies.contains(&policy.id.as_str()) {
            continue;
        }
        let mut shifts = work::shifts(&pd.shared.world, &team.name, since, until);
        if earliest {
            shifts.truncate(1);
        }
        for s in shifts {
            out.push(OnCall {
                user: user_ref(&pd, &s.login),
                schedule: Some(reference(
                    "schedule_reference",
                    &work::schedule_id(&team.name),
                    &format!("{} rotation", team.display_name),
                    "schedules",
                )),
                escalation_policy: policy.clone(),
                escalation_level: 1,
                start: Some(clock.wall(s.start)),
                end: Some(clock.wall(s.end)),
            });
        }
    }
    let (oncalls, paging) = page(&out, &params);
    Json(OnCallList { oncalls, paging }).into_response()
}

async fn services(State(pd): St, Query(params): Params) -> Response {
    let all: Vec<Service> = pd
        .shared
        .world
        .services
        .iter()
        .map(|s| Service {
            id: work::service_id(&s.name),
            name: s.name.clone(),
            escalation_policy: policy_ref(&s.owner),
            html_url: Some(format!(
                "{HTML}/service-directory/{}",
                work::service_id(&s.name)
            )),
        })
        .collect();
    let (services, paging) = page(&all, &params);
    Json(ServiceList { services, paging }).into_response()
}

async fn policies(State(pd): St, Query(params): Params) -> Response {
    let all: Vec<serde_json::Value> = pd
        .shared
        .world
        .teams
        .iter()
        .map(|t| {
            let p = policy_ref(&t.name);
            json!({
                "id": p.id, "type": "escalation_policy", "summary": p.summary,
                "name": p.summary, "html_url": p.html_url, "num_loops": 1,
                "escalation_rules": [{
                    "id": work::pd_id('R', &t.name), "escalation_delay_in_minutes": 15,
                    "targets": [{"id": work::schedule_id(&t.name), "type": "schedule_reference",
                                 "summary": format!("{} rotation", t.display_name)}],
                }],
                "services": pd.shared.world.services.iter().filter(|s| s.owner == t.name)
                    .map(|s| service_ref(&s.name)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let (items, paging) = page(&all, &params);
    let mut body = json!({ "escalation_policies": items });
    if let (Some(o), Ok(serde_json::Value::Object(p))) =
        (body.as_object_mut(), serde_json::to_value(paging))
    {
        o.extend(p);
    }
    Json(body).into_response()
}

async fn schedules(State(pd): St, Query(params): Params) -> Response {
    let all: Vec<serde_json::Value> = pd
        .shared
        .world
        .teams
        .iter()
        .map(|t| {
            let id = work::schedule_id(&t.name);
            json!({
                "id": id, "type": "schedule", "name": format!("{} rotation", t.display_name),
                "summary": format!("{} rotation", t.display_name), "time_zone": "Etc/UTC",
                "html_url": format!("{HTML}/schedules/{id}"),
                "users": t.members.iter().map(|m| user_ref(&pd, m)).collect::<Vec<_>>(),
                "escalation_policies": [policy_ref(&t.name)],
            })
        })
        .collect();
    let (items, paging) = page(&all, &params);
    let mut body = json!({ "schedules": items });
    if let (Some(o), Ok(serde_json::Value::Object(p))) =
        (body.as_object_mut(), serde_json::to_value(paging))
    {
        o.extend(p);
    }
    Json(body).into_response()
}

async fn me(State(pd): St) -> Response {
    let login = work::ME;
    let email = pd
        .shared
        .world
        .person(login)
        .map(|p| p.email.clone())
        .unwrap_or_default();
    let r = user_ref(&pd, login);
    Json(json!({"user": {"id": r.id, "type": "user", "name": r.summary, "summary": r.summary, "email": email, "html_url": r.html_url}})).into_response()
}
