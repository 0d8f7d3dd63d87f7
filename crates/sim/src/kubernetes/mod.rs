//! The sim's Kubernetes API server: discovery, lists, watches, pod logs and the few writes the
//! cockpit offers (restart, scale, delete), over the real wire protocol, so kubectl and kube's
//! client and runtime use it exactly as they use a cluster. What it serves is derived from the
//! world at sim time, plus an overlay of what users changed.

mod discovery;
mod exec;
mod logs;
mod model;
mod portforward;
mod proto;
mod render;
mod select;
mod store;

use flightdeck_core::sync::lock;
use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next as Middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Duration, SecondsFormat};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::time::Instant;

use self::model::{Kind, Obj, Time, Workload};
use self::render::IncludeObject;
use self::select::FieldSelector;
use self::store::{ChangeType, Cursor, Entry, RESTRICTED, Snapshot, Store};
use super::control::EndpointLabel;
use super::{FaultKind, Shared, files};
use crate::world::SimClock;
use flightdeck_core::wire::selector::LabelSelector;

/// The demo user the kubeconfig names, and its bearer token.
pub const USER: &str = "jdoe";
pub const TOKEN: &str = "flightdeck-sim-token-jdoe";
pub const CONTEXT: &str = "flightdeck-sim";
/// The second cluster's context, when the sim serves one.
pub const WEST_CONTEXT: &str = "flightdeck-sim-west";
/// The kubeconfig's default namespace: where the story's incident happens.
pub const DEFAULT_NAMESPACE: &str = "payments";
/// Namespace where the demo user may look but not delete.
const NO_DELETE: &str = "monitoring";
/// Objects rendered per body chunk of a list.
const LIST_CHUNK: usize = 200;
/// How often a followed log looks for new lines, in wall time.
const FOLLOW_TICK: StdDuration = StdDuration::from_millis(100);
/// Bookmarks on a watch that asked for them, in wall time.
const BOOKMARK_EVERY: StdDuration = StdDuration::from_secs(5);
/// Sim time between two lines of one container's log, unless the knob says otherwise.
const DEFAULT_LOG_INTERVAL: Duration = Duration::seconds(2);

struct Server {
    shared: Arc<Shared>,
    store: Mutex<Store>,
    /// Log lines per wall-clock second per container, when set through `/_sim/kubernetes/logs`.
    log_rate: Mutex<Option<f64>>,
    /// Services launched from templates get their Deployment here (the first cluster).
    adopts_launches: bool,
}

impl Server {
    /// Story time now; objects carry story times until they are rendered.
    fn now(&self) -> Time {
        self.shared.story_now()
    }

    /// The objects as of now (rebuilt if a tick has passed).
    fn snapshot(&self) -> Arc<Snapshot> {
        let mut store = lock(&self.store);
        self.refresh(&mut store, self.now());
        store.snapshot()
    }

    /// Brings the store to `now`: launched services whose production deploy has landed get
    /// their Deployment first. (The created lock is only ever taken after the store's here, and
    /// never the other way round.)
    fn refresh(&self, store: &mut Store, now: Time) {
        let live: Vec<Workload> = lock(&self.shared.created)
            .launches
            .iter()
            .filter(|l| self.adopts_launches && l.live_at() <= now)
            .map(Workload::launched)
            .collect();
        for w in live {
            store.adopt(w);
        }
        store.refresh(&self.shared.world, now);
    }

    fn log_interval(&self) -> Duration {
        match *lock(&self.log_rate) {
            Some(rate) if rate > 0.0 => {
                let speed = self.shared.world.config.speed.max(0.001);
                Duration::nanoseconds((speed / rate * 1e9) as i64)
            }
            _ => DEFAULT_LOG_INTERVAL,
        }
    }
}

pub fn router(shared: Arc<Shared>) -> Router {
    let store = Store::new(&shared.world);
    router_over(shared, store, true)
}

/// The second cluster's API server: the same protocol over [`Store::west`]; services launched
/// from templates deploy to the first cluster only.
pub fn west_router(shared: Arc<Shared>) -> Router {
    let store = Store::west(&shared.world);
    router_over(shared, store, false)
}

/// The kubeconfig's contexts, the first one current.
pub fn contexts(shared: &Shared) -> Vec<&'static str> {
    let mut out = vec![CONTEXT];
    if shared.endpoints.kubernetes_west.is_some() {
        out.push(WEST_CONTEXT);
    }
    out
}

fn router_over(shared: Arc<Shared>, store: Store, adopts_launches: bool) -> Router {
    let server = Arc::new(Server {
        store: Mutex::new(store),
        shared,
        log_rate: Mutex::new(None),
        adopts_launches,
    });
    Router::new()
        .route("/version", get(version))
        .route("/api", get(api))
        .route(
            "/apis",
            get(|| async { labelled(Json(discovery::api_groups()), "discovery") }),
        )
        .route(
            "/api/v1",
            get(|| async { labelled(Json(discovery::core_resources()), "discovery") }),
        )
        .route(
            "/apis/apps/v1",
            get(|| async { labelled(Json(discovery::apps_resources()), "discovery") }),
        )
        .route(
            "/apis/authorization.k8s.io/v1",
            get(|| async { labelled(Json(discovery::authorization_resources()), "discovery") }),
        )
        .route(
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            post(access_review),
        )
        .route(
            "/api/v1/namespaces/{ns}/pods/{pod}/exec",
            get(exec::exec).post(exec::exec),
        )
        .route(
            "/api/v1/namespaces/{ns}/pods/{pod}/portforward",
            get(portforward::portforward).post(portforward::portforward),
        )
        .route("/api/v1/{*rest}", any(core))
        .route("/apis/apps/v1/{*rest}", any(apps))
        .route("/_sim/kubernetes/logs", put(set_log_rate).get(get_log_rate))
        .fallback(|| async {
            labelled(
                status(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    "the server could not find the requested resource".into(),
                ),
                "not found",
            )
        })
        .layer(axum::middleware::from_fn(authenticate))
        .with_state(server)
}

/// Writes the kubeconfig that kubectl and the cockpit use to reach this server.
pub fn write_kubeconfig(shared: &Shared) -> std::io::Result<()> {
    let mut clusters =
        vec![json!({"name": CONTEXT, "cluster": {"server": shared.endpoints.kubernetes}})];
    let mut contexts = vec![
        json!({"name": CONTEXT, "context": {"cluster": CONTEXT, "user": USER, "namespace": DEFAULT_NAMESPACE}}),
    ];
    if let Some(west) = &shared.endpoints.kubernetes_west {
        clusters.push(json!({"name": WEST_CONTEXT, "cluster": {"server": west}}));
        contexts.push(json!({"name": WEST_CONTEXT, "context": {"cluster": WEST_CONTEXT, "user": USER, "namespace": store::WEST_SYSTEM}}));
    }
    let config = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": clusters,
        "users": [{"name": USER, "user": {"token": TOKEN}}],
        "contexts": contexts,
        "current-context": CONTEXT,
        "preferences": {}
    });
    let yaml = serde_norway::to_string(&config).map_err(std::io::Error::other)?;
    let path = files::kubeconfig_path(&shared.dir);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, yaml)
}

/// Refuses a wrong token as the API server does; a request without one is the demo user, so
/// curl works without ceremony.
async fn authenticate(req: Request, next: Middleware) -> Response {
    if req.uri().path().starts_with("/_sim/") {
        return next.run(req).await;
    }
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match auth {
        Some(a) if a != format!("Bearer {TOKEN}") => labelled(
            status(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "Unauthorized".into(),
            ),
            "unauthorized",
        ),
        _ => next.run(req).await,
    }
}

/// The websocket upgrade of a streaming subresource (exec, portforward) with the first of
/// `protocols` the client offered, or the Status answer the API server gives when there is none
/// or the request is no upgrade.
fn upgrade_with(
    headers: &axum::http::HeaderMap,
    upgrade: Result<
        axum::extract::ws::WebSocketUpgrade,
        axum::extract::ws::rejection::WebSocketUpgradeRejection,
    >,
    protocols: &[&'static str],
    label: &'static str,
) -> Result<(axum::extract::ws::WebSocketUpgrade, &'static str), Box<Response>> {
    let offered = headers
        .get("sec-websocket-protocol")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(protocol) = protocols
        .iter()
        .copied()
        .find(|p| offered.split(',').any(|o| o.trim() == *p))
    else {
        return Err(Box::new(labelled(
            bad_request(format!(
                "websocket sub-protocol required: one of {}",
                protocols.join(", ")
            )),
            label,
        )));
    };
    let Ok(upgrade) = upgrade else {
        return Err(Box::new(labelled(
            bad_request("Upgrade request required".into()),
            label,
        )));
    };
    Ok((upgrade.protocols([protocol]), protocol))
}

fn labelled(response: impl IntoResponse, label: impl Into<String>) -> Response {
    let mut r = response.into_response();
    r.extensions_mut().insert(EndpointLabel(label.into()));
    r
}

fn status_json(code: StatusCode, reason: &str, message: String) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code.as_u16()
    })
}

fn status(code: StatusCode, reason: &str, message: String) -> Response {
    (code, Json(status_json(code, reason, message))).into_response()
}

fn not_found(kind: Kind, name: &str) -> Response {
    let mut body = status_json(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("{} \"{name}\" not found", kind.plural()),
    );
    body["details"] = json!({"name": name, "kind": kind.plural()});
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

fn forbidden(verb: &str, kind: Kind, sub: Option<&str>, namespace: &str) -> Response {
    let group = if kind.api_version() == "v1" {
        ""
    } else {
        "apps"
    };
    let resource = match sub {
        Some(s) => format!("{}/{s}", kind.plural()),
        None => kind.plural().to_string(),
    };
    let mut body = status_json(
        StatusCode::FORBIDDEN,
        "Forbidden",
        format!(
            "{resource} is forbidden: User \"{USER}\" cannot {verb} resource \"{resource}\" in API group \"{group}\" in the namespace \"{namespace}\""
        ),
    );
    body["details"] = json!({"kind": kind.plural()});
    (StatusCode::FORBIDDEN, Json(body)).into_response()
}

fn bad_request(message: String) -> Response {
    status(StatusCode::BAD_REQUEST, "BadRequest", message)
}

/// The demo user's RBAC: everything but the restricted namespace, and no deletes in
/// monitoring.
fn allowed(verb: &str, namespace: &str) -> bool {
    namespace != RESTRICTED && !(verb == "delete" && namespace == NO_DELETE)
}

async fn version() -> Response {
    labelled(Json(discovery::version()), "version")
}

async fn api(State(s): State<Arc<Server>>) -> Response {
    let server = s
        .shared
        .endpoints
        .kubernetes
        .trim_start_matches("http://")
        .to_string();
    labelled(Json(discovery::api_versions(&server)), "discovery")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Core,
    Apps,
}

/// How the client asked for objects to be shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Full,
    Metadata,
    Table(IncludeObject),
}

fn format_of(headers: &HeaderMap, q: &HashMap<String, String>) -> Format {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for media in accept.split(',') {
        let media = media.trim();
        if media.contains("as=Table") {
            let include = match q.get("includeObject").map(String::as_str) {
                Some("None") => IncludeObject::None,
                Some("Object") => IncludeObject::Object,
                _ => IncludeObject::Metadata,
            };
            return Format::Table(include);
        }
        if media.contains("as=PartialObjectMetadata") {
            return Format::Metadata;
        }
        if media.starts_with("application/json") || media.starts_with("*/*") || media.is_empty() {
            return Format::Full;
        }
    }
    Format::Full
}

fn render_one(c: &SimClock, format: Format, obj: &Obj, rv: u64, now: Time) -> Value {
    match format {
        Format::Full => render::object(c, obj, rv),
        Format::Metadata => render::metadata_only(c, obj, rv),
        Format::Table(include) => render::table(
            obj.kind(),
            vec![render::row(c, obj, rv, now, include)],
            rv,
            None,
        ),
    }
}

fn param_bool(q: &HashMap<String, String>, key: &str) -> bool {
    q.get(key).is_some_and(|v| v == "true" || v == "1")
}

async fn core(
    State(s): State<Arc<Server>>,
    method: Method,
    Path(rest): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    resource_request(s, Group::Core, method, rest, q, headers, body).await
}

async fn apps(
    State(s): State<Arc<Server>>,
    method: Method,
    Path(rest): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    resource_request(s, Group::Apps, method, rest, q, headers, body).await
}

fn kind_in(group: Group, plural: &str) -> Option<Kind> {
    let kind = Kind::from_plural(plural)?;
    let core = matches!(kind, Kind::Pod | Kind::Event | Kind::Namespace);
    (core == (group == Group::Core)).then_some(kind)
}

async fn resource_request(
    s: Arc<Server>,
    group: Group,
    method: Method,
    rest: String,
    q: HashMap<String, String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let segs: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    let prefix = if group == Group::Core {
        "/api/v1"
    } else {
        "/apis/apps/v1"
    };
    let path = format!("{prefix}/{rest}");
    let format = format_of(&headers, &q);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let unknown = || {
        labelled(
            status(
                StatusCode::NOT_FOUND,
                "NotFound",
                "the server could not find the requested resource".into(),
            ),
            "not found",
        )
    };
    match segs.as_slice() {
        [plural] => match kind_in(group, plural) {
            Some(kind) if method == Method::GET => list_or_watch(&s, kind, None, &q, format, &path),
            Some(_) => method_not_allowed(),
            None => unknown(),
        },
        ["namespaces", name] if group == Group::Core => {
            if method != Method::GET {
                return method_not_allowed();
            }
            get_object(&s, Kind::Namespace, "", name, format)
        }
        ["namespaces", ns, plural] => {
            let Some(kind) = kind_in(group, plural).filter(|k| k.namespaced()) else {
                return unknown();
            };
            if method != Method::GET {
                return method_not_allowed();
            }
            let verb = if param_bool(&q, "watch") {
                "watch"
            } else {
                "list"
            };
            if !allowed(verb, ns) {
                return labelled(
                    forbidden(verb, kind, None, ns),
                    format!("{verb} {}", kind.plural()),
                );
            }
            list_or_watch(&s, kind, Some(ns), &q, format, &path)
        }
        ["namespaces", ns, plural, name] | ["namespaces", ns, plural, name, "status"] => {
            let Some(kind) = kind_in(group, plural).filter(|k| k.namespaced()) else {
                return unknown();
            };
            let verb = match method {
                Method::GET => "get",
                Method::PATCH => "patch",
                Method::DELETE => "delete",
                _ => return method_not_allowed(),
            };
            let label = format!("{verb} {}", kind.singular());
            if !allowed(verb, ns) {
                return labelled(forbidden(verb, kind, None, ns), label);
            }
            let is_status = segs.len() == 5;
            match (verb, kind) {
                ("get", _) => get_object(&s, kind, ns, name, format),
                ("patch", Kind::Deployment) if !is_status => {
                    labelled(patch_deployment(&s, ns, name, &content_type, &body), label)
                }
                ("delete", Kind::Pod) if !is_status => labelled(delete_pod(&s, ns, name), label),
                _ => labelled(method_not_allowed(), label),
            }
        }
        ["namespaces", ns, "pods", name, "log"] if group == Group::Core => {
            if method != Method::GET {
                return method_not_allowed();
            }
            if !allowed("get", ns) {
                return labelled(forbidden("get", Kind::Pod, Some("log"), ns), "log");
            }
            labelled(pod_log(s, ns, name, &q), "log")
        }
        ["namespaces", ns, "deployments", name, "scale"] if group == Group::Apps => {
            let verb = match method {
                Method::GET => "get",
                Method::PUT => "update",
                Method::PATCH => "patch",
                _ => return method_not_allowed(),
            };
            let label = format!("{verb} scale");
            if !allowed(verb, ns) {
                return labelled(forbidden(verb, Kind::Deployment, Some("scale"), ns), label);
            }
            labelled(scale(&s, ns, name, &method, &content_type, &body), label)
        }
        _ => unknown(),
    }
}

fn method_not_allowed() -> Response {
    labelled(
        status(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource".into(),
        ),
        "method not allowed",
    )
}

fn get_object(s: &Server, kind: Kind, ns: &str, name: &str, format: Format) -> Response {
    let label = format!("get {}", kind.singular());
    let snap = s.snapshot();
    match snap.get(kind, ns, name) {
        Some(e) => labelled(
            Json(render_one(&s.shared.clock, format, &e.obj, e.rv, s.now())),
            label,
        ),
        None => labelled(not_found(kind, name), label),
    }
}

/// What a list or watch selects.
struct Filter {
    kind: Kind,
    namespace: Option<String>,
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Filter {
    fn matches(&self, obj: &Obj) -> bool {
        obj.kind() == self.kind
            && self
                .namespace
                .as_deref()
                .is_none_or(|ns| obj.namespace() == ns)
            && self.labels.matches(|k| obj.label(k))
            && self.fields.matches(|f| obj.field(f))
    }
}

fn list_kind(kind: Kind) -> &'static str {
    match kind {
        Kind::Namespace => "NamespaceList",
        Kind::Deployment => "DeploymentList",
        Kind::ReplicaSet => "ReplicaSetList",
        Kind::Pod => "PodList",
        Kind::Event => "EventList",
        Kind::StatefulSet => "StatefulSetList",
        Kind::DaemonSet => "DaemonSetList",
    }
}

fn encode_continue(rv: u64, cursor: &Cursor) -> String {
    let raw = format!(
        "{rv}\u{1f}{}\u{1f}{}\u{1f}{}",
        cursor.group.0, cursor.group.1, cursor.name
    );
    raw.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_continue(token: &str) -> Option<(u64, Cursor)> {
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| {
            token
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    let raw = String::from_utf8(bytes?).ok()?;
    let mut parts = raw.split('\u{1f}');
    let rv = parts.next()?.parse().ok()?;
    let group = (parts.next()?.to_string(), parts.next()?.to_string());
    let name = parts.next()?.to_string();
    Some((rv, Cursor { group, name }))
}

fn list_or_watch(
    s: &Arc<Server>,
    kind: Kind,
    ns: Option<&str>,
    q: &HashMap<String, String>,
    format: Format,
    path: &str,
) -> Response {
    let watch = param_bool(q, "watch");
    let label = format!("{} {}", if watch { "watch" } else { "list" }, kind.plural());
    let labels = match LabelSelector::parse(q.get("labelSelector").map_or("", String::as_str)) {
        Ok(l) => l,
        Err(e) => return labelled(bad_request(e.to_string()), label),
    };
    let fields = match FieldSelector::parse(
        q.get("fieldSelector").map_or("", String::as_str),
        Obj::supported_fields(kind),
    ) {
        Ok(f) => f,
        Err(e) => return labelled(bad_request(e.to_string()), label),
    };
    let filter = Filter {
        kind,
        namespace: ns.map(str::to_string),
        labels,
        fields,
    };
    if watch {
        labelled(start_watch(s.clone(), filter, q, format, path), label)
    } else {
        labelled(list(s, filter, q, format), label)
    }
}

/// Renders one list item (object, row or metadata) with its resourceVersion.
type RenderItem = Box<dyn Fn(&Obj, u64) -> Value + Send + Sync>;

fn list(s: &Server, filter: Filter, q: &HashMap<String, String>, format: Format) -> Response {
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0);
    let (snap, cursor) = match q.get("continue").filter(|c| !c.is_empty()) {
        Some(token) => {
            let Some((rv, cursor)) = decode_continue(token) else {
                return bad_request("invalid continue token".into());
            };
            let Some(snap) = lock(&s.store).paged(rv) else {
                return status(
                    StatusCode::GONE,
                    "Expired",
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.".into(),
                );
            };
            (snap, Some(cursor))
        }
        None => (s.snapshot(), None),
    };
    let mut items: Vec<(Arc<Obj>, u64)> = Vec::new();
    let mut next_cursor = None;
    let mut remaining = 0usize;
    for (group, e) in snap.entries(filter.kind, filter.namespace.as_deref(), cursor.as_ref()) {
        if !filter.matches(&e.obj) {
            continue;
        }
        if limit.is_some_and(|l| items.len() >= l) {
            remaining += 1;
            continue;
        }
        if limit.is_some_and(|l| items.len() + 1 == l) {
            next_cursor = Some(Cursor {
                group: group.clone(),
                name: e.obj.name().to_string(),
            });
        }
        items.push((e.obj.clone(), e.rv));
    }
    let cont = if remaining > 0 {
        next_cursor.map(|c| {
            lock(&s.store).keep_for_paging(&snap);
            encode_continue(snap.rv, &c)
        })
    } else {
        None
    };
    let mut metadata = json!({"resourceVersion": snap.rv.to_string()});
    if let Some(c) = &cont {
        metadata["continue"] = Value::from(c.as_str());
        metadata["remainingItemCount"] = Value::from(remaining);
    }
    let now = s.now();
    let c = s.shared.clock.clone();
    let (head, render): (Value, RenderItem) = match format {
        Format::Full => (
            json!({"kind": list_kind(filter.kind), "apiVersion": filter.kind.api_version(), "metadata": metadata}),
            Box::new(move |obj: &Obj, rv: u64| render::object(&c, obj, rv)),
        ),
        Format::Metadata => (
            json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": metadata}),
            Box::new(move |obj: &Obj, rv: u64| render::metadata_only(&c, obj, rv)),
        ),
        Format::Table(include) => (
            json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata, "columnDefinitions": render::columns(filter.kind)}),
            Box::new(move |obj: &Obj, rv: u64| render::row(&c, obj, rv, now, include)),
        ),
    };
    let array = if matches!(format, Format::Table(_)) {
        "rows"
    } else {
        "items"
    };
    let mut head = head.to_string();
    // Reopen the object to append the array, streamed in chunks so a 10,000-pod list never
    // sits in memory as one document.
    head.pop();
    head.push_str(&format!(",\"{array}\":["));
    let items = Arc::new(items);
    let n = items.len();
    let body = futures::stream::once(async move { Ok::<_, Infallible>(Bytes::from(head)) })
        .chain(
            futures::stream::iter((0..n).step_by(LIST_CHUNK)).map(move |start| {
                let mut buf = Vec::new();
                for (i, (obj, rv)) in items[start..(start + LIST_CHUNK).min(n)].iter().enumerate() {
                    if start + i > 0 {
                        buf.push(b',');
                    }
                    if serde_json::to_writer(&mut buf, &render(obj, *rv)).is_err() {
                        buf.extend_from_slice(b"null");
                    }
                }
                Ok(Bytes::from(buf))
            }),
        )
        .chain(futures::stream::once(async {
            Ok(Bytes::from_static(b"]}"))
        }));
    let mut r = Response::new(Body::from_stream(body));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn watch_line(ty: &str, object: Value) -> Bytes {
    let mut line = json!({"type": ty, "object": object}).to_string();
    line.push('\n');
    Bytes::from(line)
}

fn gone_line(requested: u64, oldest: u64) -> Bytes {
    watch_line(
        "ERROR",
        status_json(
            StatusCode::GONE,
            "Expired",
            format!("too old resource version: {requested} ({oldest})"),
        ),
    )
}

fn bookmark_line(kind: Kind, rv: u64, initial_end: bool) -> Bytes {
    let mut metadata = json!({"resourceVersion": rv.to_string(), "creationTimestamp": null});
    if initial_end {
        metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    watch_line(
        "BOOKMARK",
        json!({"kind": kind.kind(), "apiVersion": kind.api_version(), "metadata": metadata}),
    )
}

/// One watch connection, driven by the world changing: every tick it replays the store's
/// changes after the last resourceVersion it sent.
struct Watch {
    server: Arc<Server>,
    filter: Filter,
    format: Format,
    path: String,
    cursor: u64,
    queue: VecDeque<Bytes>,
    deadline: Option<Instant>,
    bookmarks: bool,
    next_bookmark: Instant,
    done: bool,
    /// A `watch_drop` fault met: the connection breaks instead of the next line.
    broken: bool,
}

impl Watch {
    fn render(&self, obj: &Obj, rv: u64) -> Value {
        render_one(
            &self.server.shared.clock,
            self.format,
            obj,
            rv,
            self.server.now(),
        )
    }

    fn injected_gone(&self) -> bool {
        self.server
            .shared
            .faults
            .take_matching("kubernetes", &self.path, |k| {
                matches!(k, FaultKind::WatchGone)
            })
            .is_some()
    }

    fn injected_drop(&self) -> bool {
        self.server
            .shared
            .faults
            .take_matching("kubernetes", &self.path, |k| {
                matches!(k, FaultKind::WatchDrop)
            })
            .is_some()
    }

    /// Queues what changed since the cursor; ends the watch with 410 when the cursor fell out
    /// of the window or a fault says so.
    fn poll(&mut self) {
        if self.injected_drop() {
            self.broken = true;
            return;
        }
        if self.injected_gone() {
            let oldest = lock(&self.server.store).rv();
            self.queue.push_back(gone_line(self.cursor, oldest));
            self.done = true;
            return;
        }
        let changes = {
            let mut store = lock(&self.server.store);
            self.server.refresh(&mut store, self.server.now());
            let rv = store.rv();
            store.changes_since(self.cursor).map(|c| (c, rv))
        };
        match changes {
            Err(gone) => {
                self.queue.push_back(gone_line(self.cursor, gone.oldest));
                self.done = true;
            }
            Ok((changes, rv)) => {
                for c in changes.iter().filter(|c| self.filter.matches(&c.obj)) {
                    let line = watch_line(c.ty.as_str(), self.render(&c.obj, c.rv));
                    self.queue.push_back(line);
                }
                self.cursor = self.cursor.max(rv);
            }
        }
        if self.bookmarks && Instant::now() >= self.next_bookmark && !self.done {
            self.queue
                .push_back(bookmark_line(self.filter.kind, self.cursor, false));
            self.next_bookmark = Instant::now() + BOOKMARK_EVERY;
        }
    }

    async fn next(mut self) -> Option<(Result<Bytes, std::io::Error>, Self)> {
        loop {
            if self.broken {
                if self.done {
                    return None;
                }
                self.done = true;
                let e =
                    std::io::Error::new(std::io::ErrorKind::ConnectionReset, "sim: watch dropped");
                return Some((Err(e), self));
            }
            if let Some(b) = self.queue.pop_front() {
                return Some((Ok(b), self));
            }
            if self.done {
                return None;
            }
            let now = Instant::now();
            if self.deadline.is_some_and(|d| now >= d) {
                return None;
            }
            let wake = self
                .deadline
                .map_or(now + store::TICK, |d| d.min(now + store::TICK));
            tokio::time::sleep_until(wake).await;
            self.poll();
        }
    }
}

fn start_watch(
    s: Arc<Server>,
    filter: Filter,
    q: &HashMap<String, String>,
    format: Format,
    path: &str,
) -> Response {
    let requested = q
        .get("resourceVersion")
        .filter(|v| !v.is_empty() && *v != "0");
    let send_initial = param_bool(q, "sendInitialEvents");
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .filter(|t| *t > 0);
    let mut watch = Watch {
        server: s.clone(),
        filter,
        format,
        path: path.to_string(),
        cursor: 0,
        queue: VecDeque::new(),
        deadline: timeout.map(|t| Instant::now() + StdDuration::from_secs(t)),
        bookmarks: param_bool(q, "allowWatchBookmarks"),
        next_bookmark: Instant::now() + BOOKMARK_EVERY,
        done: false,
        broken: false,
    };
    match requested {
        Some(rv) if !send_initial => {
            let Ok(rv) = rv.parse::<u64>() else {
                return bad_request(format!("invalid resource version: {rv}"));
            };
            watch.cursor = rv;
            watch.poll();
        }
        _ => {
            // No resourceVersion: the current state as ADDED events, then changes.
            let snap = s.snapshot();
            watch.cursor = snap.rv;
            if watch.injected_gone() {
                watch.queue.push_back(gone_line(0, snap.rv));
                watch.done = true;
            } else {
                let entries: Vec<&Entry> = snap
                    .entries(watch.filter.kind, watch.filter.namespace.as_deref(), None)
                    .map(|(_, e)| e)
                    .filter(|e| watch.filter.matches(&e.obj))
                    .collect();
                for e in entries {
                    let line = watch_line(ChangeType::Added.as_str(), watch.render(&e.obj, e.rv));
                    watch.queue.push_back(line);
                }
                if send_initial {
                    watch
                        .queue
                        .push_back(bookmark_line(watch.filter.kind, snap.rv, true));
                }
            }
        }
    }
    let stream = futures::stream::unfold(watch, Watch::next);
    let mut r = Response::new(Body::from_stream(stream));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Applies a JSON merge patch (RFC 7386); strategic merge and apply patches of the fields the
/// sim honours (replicas, template annotations) behave the same.
fn merge_patch(target: &mut Value, patch: &Value) {
    match (target.as_object_mut(), patch.as_object()) {
        (Some(t), Some(p)) => {
            for (k, v) in p {
                if k.starts_with('$') {
                    continue;
                }
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (None, Some(_)) => {
            *target = Value::Object(Default::default());
            merge_patch(target, patch);
        }
        _ => *target = patch.clone(),
    }
}

/// Applies a JSON patch (RFC 6902) with the operations kube and kubectl send.
fn json_patch(target: &mut Value, ops: &Value) -> Result<(), String> {
    let ops = ops
        .as_array()
        .ok_or("a JSON patch must be an array of operations")?;
    for op in ops {
        let kind = op
            .get("op")
            .and_then(Value::as_str)
            .ok_or("a JSON patch operation needs \"op\"")?;
        let path = op
            .get("path")
            .and_then(Value::as_str)
            .ok_or("a JSON patch operation needs \"path\"")?;
        let (parent, last) = path
            .rsplit_once('/')
            .ok_or_else(|| format!("invalid path {path}"))?;
        let last = last.replace("~1", "/").replace("~0", "~");
        match kind {
            "test" => {
                if target.pointer(path) != op.get("value") {
                    return Err(format!("test failed at {path}"));
                }
            }
            "remove" => {
                let p = target
                    .pointer_mut(parent)
                    .and_then(Value::as_object_mut)
                    .ok_or_else(|| format!("no object at {parent}"))?;
                p.remove(&last)
                    .ok_or_else(|| format!("nothing to remove at {path}"))?;
            }
            "add" | "replace" => {
                let value = op
                    .get("value")
                    .cloned()
                    .ok_or("add and replace need a value")?;
                match target.pointer_mut(parent) {
                    Some(Value::Object(p)) => {
                        p.insert(last, value);
                    }
                    Some(Value::Array(a)) => {
                        let i = if last == "-" {
                            a.len()
                        } else {
                            last.parse().map_err(|_| format!("bad index in {path}"))?
                        };
                        if i > a.len() {
                            return Err(format!("index out of range in {path}"));
                        }
                        if kind == "replace" && i < a.len() {
                            a[i] = value;
                        } else {
                            a.insert(i, value);
                        }
                    }
                    _ => return Err(format!("no object at {parent}")),
                }
            }
            other => return Err(format!("unsupported patch operation {other}")),
        }
    }
    Ok(())
}

fn apply_patch(target: &mut Value, content_type: &str, body: &[u8]) -> Result<(), String> {
    let media = content_type.split(';').next().unwrap_or("").trim();
    let parse_json =
        || serde_json::from_slice::<Value>(body).map_err(|e| format!("invalid patch body: {e}"));
    match media {
        "application/json-patch+json" => json_patch(target, &parse_json()?),
        "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
            merge_patch(target, &parse_json()?);
            Ok(())
        }
        "application/apply-patch+yaml" | "application/apply-patch+cbor" => {
            let v: Value =
                serde_norway::from_slice(body).map_err(|e| format!("invalid apply body: {e}"))?;
            merge_patch(target, &v);
            Ok(())
        }
        other => Err(format!(
            "the media type \"{other}\" is not a supported patch type"
        )),
    }
}

fn unsupported_media(message: String) -> Response {
    status(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UnsupportedMediaType",
        message,
    )
}

fn invalid(kind: Kind, name: &str, message: String) -> Response {
    let mut body = status_json(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Invalid",
        format!("{} \"{name}\" is invalid: {message}", kind.kind()),
    );
    body["details"] = json!({"name": name, "kind": kind.singular()});
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// `spec.replicas` of a patched object; the error is the validation message.
fn read_replicas(v: &Value) -> Result<Option<usize>, String> {
    match v.pointer("/spec/replicas") {
        None | Some(Value::Null) => Ok(None),
        Some(r) => match r.as_i64() {
            Some(n) if n >= 0 => Ok(Some(n as usize)),
            _ => Err("spec.replicas: Invalid value: must be greater than or equal to 0".into()),
        },
    }
}

fn patch_deployment(s: &Server, ns: &str, name: &str, content_type: &str, body: &[u8]) -> Response {
    let snap = s.snapshot();
    let Some(entry) = snap.get(Kind::Deployment, ns, name) else {
        return not_found(Kind::Deployment, name);
    };
    let Obj::Deployment(current) = &*entry.obj else {
        return not_found(Kind::Deployment, name);
    };
    let mut patched = render::object(&s.shared.clock, &entry.obj, entry.rv);
    if let Err(e) = apply_patch(&mut patched, content_type, body) {
        return if e.contains("media type") {
            unsupported_media(e)
        } else {
            bad_request(e)
        };
    }
    let replicas = match read_replicas(&patched) {
        Ok(r) => r,
        Err(e) => return invalid(Kind::Deployment, name, e),
    };
    let annotations: Vec<(String, String)> = patched
        .pointer("/spec/template/metadata/annotations")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    // The image: `kubectl set image` and `rollout undo` change its tag; the sim runs only the
    // workload's own repository.
    let image = patched
        .pointer("/spec/template/spec/containers/0/image")
        .and_then(Value::as_str)
        .unwrap_or(&current.image);
    let repo = &current.workload.image_repo;
    let Some(tag) = image
        .strip_prefix(repo.as_str())
        .and_then(|t| t.strip_prefix(':'))
        .filter(|t| !t.is_empty())
    else {
        return invalid(
            Kind::Deployment,
            name,
            format!(
                "spec.template.spec.containers[0].image: Unsupported value: the sim runs only {repo}:<tag>"
            ),
        );
    };
    let current_tag = current.image.rsplit(':').next().unwrap_or("");
    let tag = (tag != current_tag).then(|| tag.to_string());
    let change_cause = patched
        .pointer(&format!(
            "/metadata/annotations/{}",
            model::CHANGE_CAUSE.replace('/', "~1")
        ))
        .and_then(Value::as_str)
        .filter(|c| *c != current.change_cause)
        .map(str::to_string);
    let now = s.now();
    {
        let mut store = lock(&s.store);
        let mut current_annotations = current.template_annotations.clone();
        current_annotations.sort();
        let mut wanted = annotations;
        wanted.sort();
        let changed_replicas = replicas.filter(|r| *r != current.spec_replicas);
        let changed_template =
            wanted != current_annotations || tag.is_some() || change_cause.is_some();
        if changed_replicas.is_some() || changed_template {
            let overlay = store.overlay_mut(ns, name);
            if let Some(r) = changed_replicas {
                overlay.scaled = Some((now, current.spec_replicas));
                overlay.replicas = Some(r);
                overlay.spec_changes += 1;
            }
            if changed_template {
                overlay.templates.push((
                    now,
                    model::TemplateChange {
                        tag,
                        annotations: wanted,
                        change_cause,
                    },
                ));
            }
        }
        s.refresh(&mut store, now);
    }
    get_object(s, Kind::Deployment, ns, name, Format::Full)
}

fn scale_json(c: &SimClock, d: &model::DeploymentObj, rv: u64) -> Value {
    let w = &d.workload;
    let selector: Vec<String> = w.selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": w.name,
            "namespace": w.namespace,
            "uid": model::uid(Kind::Deployment, &w.namespace, &w.name),
            "resourceVersion": rv.to_string(),
            "creationTimestamp": crate::rest::ts(c, w.created)
        },
        "spec": {"replicas": d.spec_replicas},
        "status": {"replicas": d.replicas, "selector": selector.join(",")}
    })
}

fn scale(
    s: &Server,
    ns: &str,
    name: &str,
    method: &Method,
    content_type: &str,
    body: &[u8],
) -> Response {
    let snap = s.snapshot();
    let Some(entry) = snap.get(Kind::Deployment, ns, name) else {
        return not_found(Kind::Deployment, name);
    };
    let Obj::Deployment(current) = &*entry.obj else {
        return not_found(Kind::Deployment, name);
    };
    let mut target = scale_json(&s.shared.clock, current, entry.rv);
    if *method == Method::GET {
        return Json(target).into_response();
    }
    if *method == Method::PUT {
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => target = v,
            Err(e) => return bad_request(format!("invalid Scale body: {e}")),
        }
    } else if let Err(e) = apply_patch(&mut target, content_type, body) {
        return if e.contains("media type") {
            unsupported_media(e)
        } else {
            bad_request(e)
        };
    }
    let replicas = match read_replicas(&target) {
        Ok(Some(r)) => r,
        Ok(None) => {
            return invalid(
                Kind::Deployment,
                name,
                "spec.replicas: Required value".into(),
            );
        }
        Err(e) => return invalid(Kind::Deployment, name, e),
    };
    let now = s.now();
    let snap = {
        let mut store = lock(&s.store);
        if replicas != current.spec_replicas {
            let overlay = store.overlay_mut(ns, name);
            overlay.scaled = Some((now, current.spec_replicas));
            overlay.replicas = Some(replicas);
            overlay.spec_changes += 1;
        }
        s.refresh(&mut store, now);
        store.snapshot()
    };
    match snap
        .get(Kind::Deployment, ns, name)
        .map(|e| (&*e.obj, e.rv))
    {
        Some((Obj::Deployment(d), rv)) => Json(scale_json(&s.shared.clock, d, rv)).into_response(),
        _ => not_found(Kind::Deployment, name),
    }
}

fn delete_pod(s: &Server, ns: &str, name: &str) -> Response {
    let snap = s.snapshot();
    let Some(entry) = snap.get(Kind::Pod, ns, name) else {
        return not_found(Kind::Pod, name);
    };
    let Obj::Pod(pod) = &*entry.obj else {
        return not_found(Kind::Pod, name);
    };
    if pod.deleting.is_some() {
        return Json(render::object(&s.shared.clock, &entry.obj, entry.rv)).into_response();
    }
    let now = s.now();
    let snap = {
        let mut store = lock(&s.store);
        let hash = pod.labels.template_hash.clone().unwrap_or_default();
        store
            .overlay_mut(ns, &pod.workload.name)
            .record_deletion(&hash, pod.slot, now);
        s.refresh(&mut store, now);
        store.snapshot()
    };
    // The pod is now Terminating; its replacement already exists.
    match snap.get(Kind::Pod, ns, name) {
        Some(e) => Json(render::object(&s.shared.clock, &e.obj, e.rv)).into_response(),
        None => Json(render::object(&s.shared.clock, &entry.obj, entry.rv)).into_response(),
    }
}

/// Which container instance a log request reads: the latest, or with `previous` the one
/// that ended before it (what `lastState` shows).
fn log_instance(pod: &model::PodObj, previous: bool) -> Result<model::Instance, String> {
    let t = &pod.timeline;
    let container = &pod.workload.name;
    if previous {
        let last = match (t.waiting, t.current) {
            (Some(_), Some(cur)) if cur.end.is_some() => Some(cur),
            _ => t.previous,
        };
        return last.ok_or_else(|| {
            format!(
                "previous terminated container \"{container}\" in pod \"{}\" not found",
                pod.name
            )
        });
    }
    match (t.current, t.waiting) {
        (Some(i), _) => Ok(i),
        (None, Some(model::Waiting::ErrImagePull | model::Waiting::ImagePullBackOff)) => {
            Err(format!(
                "container \"{container}\" in pod \"{}\" is waiting to start: trying and failing to pull image",
                pod.name
            ))
        }
        _ => Err(format!(
            "container \"{container}\" in pod \"{}\" is waiting to start: ContainerCreating",
            pod.name
        )),
    }
}

struct LogOptions {
    timestamps: bool,
    limit_bytes: Option<usize>,
}

fn format_lines(
    c: &SimClock,
    lines: &[logs::Line],
    opts: &LogOptions,
    sent: &mut usize,
) -> (Bytes, bool) {
    let mut out = Vec::new();
    for l in lines {
        let mut text = String::new();
        if opts.timestamps {
            text.push_str(&c.wall(l.at).to_rfc3339_opts(SecondsFormat::Nanos, true));
            text.push(' ');
        }
        text.push_str(&l.text);
        text.push('\n');
        if let Some(limit) = opts.limit_bytes {
            let room = limit.saturating_sub(*sent + out.len());
            if text.len() >= room {
                out.extend_from_slice(&text.as_bytes()[..room]);
                *sent += out.len();
                return (Bytes::from(out), true);
            }
        }
        out.extend_from_slice(text.as_bytes());
    }
    *sent += out.len();
    (Bytes::from(out), false)
}

fn pod_log(s: Arc<Server>, ns: &str, name: &str, q: &HashMap<String, String>) -> Response {
    let snap = s.snapshot();
    let Some(entry) = snap.get(Kind::Pod, ns, name) else {
        return not_found(Kind::Pod, name);
    };
    let Obj::Pod(pod) = &*entry.obj else {
        return not_found(Kind::Pod, name);
    };
    if let Some(c) = q.get("container").filter(|c| !c.is_empty())
        && *c != pod.workload.name
    {
        return bad_request(format!("container {c} is not valid for pod {name}"));
    }
    let instance = match log_instance(pod, param_bool(q, "previous")) {
        Ok(i) => i,
        Err(e) => return bad_request(e),
    };
    let now = s.now();
    let after = match (q.get("sinceSeconds"), q.get("sinceTime")) {
        (Some(secs), _) => match secs.parse::<i64>() {
            // The client counts wall seconds back from its now.
            Ok(n) if n > 0 => Some(
                now - s.shared.clock.story_span(Duration::seconds(n)) - Duration::nanoseconds(1),
            ),
            _ => return bad_request(format!("invalid sinceSeconds: {secs}")),
        },
        (None, Some(t)) => match DateTime::parse_from_rfc3339(t) {
            Ok(t) => {
                Some(s.shared.clock.story(t.with_timezone(&chrono::Utc)) - Duration::nanoseconds(1))
            }
            Err(_) => return bad_request(format!("invalid sinceTime: {t}")),
        },
        (None, None) => None,
    };
    let tail = q
        .get("tailLines")
        .and_then(|t| t.parse::<i64>().ok())
        .filter(|t| *t >= 0);
    let opts = LogOptions {
        timestamps: param_bool(q, "timestamps"),
        limit_bytes: q.get("limitBytes").and_then(|l| l.parse().ok()),
    };
    let interval = s.log_interval();
    let lines = logs::lines(&s.shared.clock, pod, &instance, after, now, tail, interval);
    let mut sent = 0;
    let (first, full) = format_lines(&s.shared.clock, &lines, &opts, &mut sent);
    let follow = param_bool(q, "follow");
    let ended = instance.end.is_some_and(|(end, _)| end <= now);
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    if !follow || full || ended {
        return (headers, first).into_response();
    }
    // Follow: keep sending the instance's new lines until it ends or the pod goes.
    struct Follow {
        server: Arc<Server>,
        namespace: String,
        pod: String,
        instance: model::Instance,
        last: Time,
        opts: LogOptions,
        sent: usize,
        first: Option<Bytes>,
        done: bool,
    }
    let state = Follow {
        server: s,
        namespace: ns.to_string(),
        pod: name.to_string(),
        instance,
        last: now,
        opts,
        sent,
        first: Some(first),
        done: false,
    };
    let stream = futures::stream::unfold(state, |mut f| async move {
        if let Some(b) = f.first.take() {
            return Some((Ok::<_, Infallible>(b), f));
        }
        loop {
            if f.done {
                return None;
            }
            tokio::time::sleep(FOLLOW_TICK).await;
            let snap = f.server.snapshot();
            let now = f.server.now();
            let Some(Obj::Pod(pod)) = snap.get(Kind::Pod, &f.namespace, &f.pod).map(|e| &*e.obj)
            else {
                return None;
            };
            // The same instance, perhaps ended by now.
            let t = &pod.timeline;
            let same = [t.current, t.previous]
                .into_iter()
                .flatten()
                .find(|i| i.start == f.instance.start);
            let instance = same?;
            f.instance = instance;
            let until = instance.end.map_or(now, |(end, _)| end.min(now));
            let lines = logs::lines(
                &f.server.shared.clock,
                pod,
                &instance,
                Some(f.last),
                until,
                None,
                f.server.log_interval(),
            );
            f.last = until.max(f.last);
            let (bytes, full) = format_lines(&f.server.shared.clock, &lines, &f.opts, &mut f.sent);
            f.done = full || instance.end.is_some_and(|(end, _)| end <= now);
            if !bytes.is_empty() {
                return Some((Ok(bytes), f));
            }
        }
    });
    (headers, Body::from_stream(stream)).into_response()
}

async fn access_review(headers: HeaderMap, body: Bytes) -> Response {
    let label = "create selfsubjectaccessreview";
    let protobuf = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/vnd.kubernetes.protobuf"));
    let attrs = if protobuf {
        proto::access_review_attributes(&body)
    } else {
        serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.pointer("/spec/resourceAttributes").cloned())
    };
    let Some(attrs) = attrs else {
        return labelled(
            bad_request(
                "invalid SelfSubjectAccessReview: spec.resourceAttributes is required".into(),
            ),
            label,
        );
    };
    let field = |k: &str| {
        attrs
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let (ns, verb) = (field("namespace"), field("verb"));
    let ok = allowed(&verb, &ns);
    let mut status = json!({"allowed": ok});
    if !ok {
        status["reason"] =
            Value::from(format!("RBAC: {USER} may not {verb} in namespace \"{ns}\""));
    }
    // Answered in JSON, which kubectl accepts even when it sent protobuf.
    let review = json!({
        "kind": "SelfSubjectAccessReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {"creationTimestamp": null},
        "spec": {"resourceAttributes": attrs},
        "status": status
    });
    labelled((StatusCode::CREATED, Json(review)), label)
}

#[derive(serde::Deserialize)]
struct LogRate {
    lines_per_second: Option<f64>,
}

async fn set_log_rate(State(s): State<Arc<Server>>, Json(rate): Json<LogRate>) -> StatusCode {
    *lock(&s.log_rate) = rate.lines_per_second.filter(|r| r.is_finite() && *r > 0.0);
    StatusCode::NO_CONTENT
}

async fn get_log_rate(State(s): State<Arc<Server>>) -> Json<Value> {
    let interval = s.log_interval();
    let speed = s.shared.world.config.speed;
    let per_wall_second = speed / (interval.num_milliseconds().max(1) as f64 / 1000.0);
    Json(json!({"lines_per_second": per_wall_second, "knob": *lock(&s.log_rate)}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip() {
        let c = Cursor {
            group: ("payments".into(), "ledger".into()),
            name: "ledger-abc-x".into(),
        };
        let token = encode_continue(42, &c);
        assert_eq!(decode_continue(&token), Some((42, c)));
        assert_eq!(decode_continue("zz"), None);
    }

    #[test]
    fn patches_apply_as_the_api_server_does() {
        let mut d =
            json!({"spec": {"replicas": 3, "template": {"metadata": {"labels": {"a": "b"}}}}});
        apply_patch(
            &mut d,
            "application/strategic-merge-patch+json",
            br#"{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"now"}}}}}"#,
        )
        .expect("strategic merge");
        assert_eq!(
            d.pointer("/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt"),
            Some(&json!("now"))
        );
        assert_eq!(
            d.pointer("/spec/template/metadata/labels/a"),
            Some(&json!("b"))
        );
        apply_patch(
            &mut d,
            "application/json-patch+json",
            br#"[{"op":"replace","path":"/spec/replicas","value":5}]"#,
        )
        .expect("json patch");
        assert_eq!(d.pointer("/spec/replicas"), Some(&json!(5)));
        apply_patch(
            &mut d,
            "application/merge-patch+json",
            br#"{"spec":{"replicas":null}}"#,
        )
        .expect("merge patch");
        assert_eq!(d.pointer("/spec/replicas"), None);
        assert!(apply_patch(&mut d, "text/plain", b"{}").is_err());
    }

    #[test]
    fn rbac_matches_the_scenario() {
        assert!(allowed("list", "payments"));
        assert!(!allowed("list", RESTRICTED));
        assert!(allowed("list", NO_DELETE));
        assert!(!allowed("delete", NO_DELETE));
    }
}
