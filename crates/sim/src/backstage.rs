//! The sim's Backstage catalog API: the organisation's entities (the same ones written to disk,
//! from [`super::files::descriptors`]) with the relations, uids and annotations the catalog adds,
//! queried with Backstage's filter syntax and cursor pagination, so the cockpit's Backstage
//! source can be tested over real HTTP.

use std::cmp::Ordering;
use std::sync::{Arc, Mutex};

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::Shared;
use super::files::{self, Descriptor};
use super::world::hash_str;
use flightdeck_core::sync::lock;
use flightdeck_core::wire::base64;

/// The catalog's entities, built once: the world does not change what exists.
struct Catalog {
    entities: Vec<Indexed>,
    /// Entities of locations registered while the sim runs (`POST /api/catalog/locations`).
    added: Mutex<Vec<Indexed>>,
    /// Registered locations: `(id, target)`.
    locations: Mutex<Vec<(String, String)>>,
    shared: Arc<Shared>,
}

struct Indexed {
    entity: Value,
    /// `kind:namespace/name`, lower case.
    reference: String,
    /// Searchable `(key, value)` pairs, lower case, as Backstage's search table holds them.
    search: Vec<(String, String)>,
}

type Cat = State<Arc<Catalog>>;
type Params = Query<Vec<(String, String)>>;

pub fn router(shared: Arc<Shared>) -> Router {
    let entities = entities(&shared)
        .into_iter()
        .map(|entity| Indexed {
            reference: entity_ref(&entity),
            search: search_keys(&entity),
            entity,
        })
        .collect();
    let catalog = Arc::new(Catalog {
        entities,
        added: Mutex::default(),
        locations: Mutex::default(),
        shared,
    });
    Router::new()
        .route("/api/catalog/entities/by-query", get(by_query))
        .route(
            "/api/catalog/entities/by-name/{kind}/{namespace}/{name}",
            get(by_name),
        )
        .route("/api/catalog/entities/by-refs", post(by_refs))
        .route("/api/catalog/locations", post(add_location))
        .fallback(|method: Method, OriginalUri(uri): OriginalUri| async move {
            CatalogError::new(
                StatusCode::NOT_FOUND,
                "NotFoundError",
                "Not found".into(),
                &method,
                &uri.to_string(),
            )
        })
        .with_state(catalog)
}

/// Every entity as the catalog serves it: the descriptor, plus the namespace, uid, etag,
/// location annotations and relations that Backstage adds while processing.
pub fn entities(shared: &Shared) -> Vec<Value> {
    let descriptors = files::descriptors(&shared.world, &shared.endpoints);
    let refs: Vec<String> = descriptors.iter().map(|d| entity_ref(&d.entity)).collect();
    let relations = relations(&descriptors);
    let origin = format!("file:{}", files::org_catalog_path(&shared.dir).display());
    descriptors
        .iter()
        .zip(refs)
        .map(|(d, reference)| {
            let mut e = d.entity.clone();
            // Templates are registered from the platform team's templates repository, as
            // organisations keep them, so their skeletons are read remotely; the rest from the
            // files on disk.
            let location = if e.get("kind").and_then(Value::as_str) == Some("Template") {
                format!(
                    "url:{}/{}/{}/blob/main/{}",
                    shared.endpoints.github.trim_end_matches('/'),
                    shared.world.org,
                    crate::scaffold::TEMPLATES_REPO,
                    d.file.to_string_lossy().replace('\\', "/")
                )
            } else {
                format!("file:{}", shared.dir.join(&d.file).display())
            };
            if let Some(meta) = e.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.entry("namespace").or_insert_with(|| json!("default"));
                meta.insert("uid".into(), json!(uuid_of(&reference)));
                let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
                if let Some(a) = annotations.as_object_mut() {
                    a.insert("backstage.io/managed-by-location".into(), json!(location));
                    a.insert(
                        "backstage.io/managed-by-origin-location".into(),
                        json!(origin),
                    );
                }
            }
            let mut rels: Vec<(String, String)> = relations
                .iter()
                .filter(|(source, _, _)| *source == reference)
                .map(|(_, t, target)| (t.to_string(), target.clone()))
                .collect();
            rels.sort();
            rels.dedup();
            let rels: Vec<Value> = rels
                .iter()
                .map(|(t, target)| relation_json(t, target))
                .collect();
            if let Some(o) = e.as_object_mut() {
                o.insert("relations".into(), Value::Array(rels));
            }
            let etag = format!("{:016x}", hash_str(&e.to_string()));
            if let Some(meta) = e.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.insert("etag".into(), json!(etag));
            }
            e
        })
        .collect()
}

/// A stable UUID-shaped id for a reference (an entity's uid, a location's id).
fn uuid_of(reference: &str) -> String {
    let h = hash_str(reference);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        (h >> 20) & 0xfff,
        hash_str(&format!("{reference}/uid")) & 0xffff_ffff_ffff
    )
}

fn relation_json(kind: &str, target: &str) -> Value {
    let (k, rest) = target.split_once(':').unwrap_or(("", target));
    let (ns, name) = rest.split_once('/').unwrap_or(("default", rest));
    json!({
        "type": kind,
        "targetRef": target,
        "target": { "kind": k, "namespace": ns, "name": name },
    })
}

/// `kind:namespace/name` in lower case, Backstage's canonical join key.
pub fn entity_ref(e: &Value) -> String {
    let kind = e["kind"].as_str().unwrap_or_default();
    let ns = e["metadata"]["namespace"].as_str().unwrap_or("default");
    let name = e["metadata"]["name"].as_str().unwrap_or_default();
    format!("{kind}:{ns}/{name}").to_lowercase()
}

/// Completes a reference written in a descriptor field, whose context supplies the kind.
fn full_ref(written: &str, default_kind: &str) -> String {
    let (kind, rest) = match written.split_once(':') {
        Some((k, r)) => (k, r),
        None => (default_kind, written),
    };
    let (ns, name) = rest.split_once('/').unwrap_or(("default", rest));
    format!("{kind}:{ns}/{name}").to_lowercase()
}

/// Every relation, both directions, as `(source, type, target)`.
fn relations(descriptors: &[Descriptor]) -> Vec<(String, &'static str, String)> {
    let mut out = Vec::new();
    let mut pair = |source: &str, forward: &'static str, target: String, back: &'static str| {
        out.push((source.to_string(), forward, target.clone()));
        out.push((target, back, source.to_string()));
    };
    for d in descriptors {
        let e = &d.entity;
        let me = entity_ref(e);
        let spec = &e["spec"];
        let strings = |field: &str| -> Vec<String> {
            match &spec[field] {
                Value::String(s) => vec![s.clone()],
                Value::Array(a) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                _ => vec![],
            }
        };
        for owner in strings("owner") {
            pair(&me, "ownedBy", full_ref(&owner, "group"), "ownerOf");
        }
        for system in strings("system") {
            pair(&me, "partOf", full_ref(&system, "system"), "hasPart");
        }
        for domain in strings("domain") {
            pair(&me, "partOf", full_ref(&domain, "domain"), "hasPart");
        }
        for api in strings("providesApis") {
            pair(&me, "providesApi", full_ref(&api, "api"), "apiProvidedBy");
        }
        for api in strings("consumesApis") {
            pair(&me, "consumesApi", full_ref(&api, "api"), "apiConsumedBy");
        }
        for dep in strings("dependsOn") {
            pair(
                &me,
                "dependsOn",
                full_ref(&dep, "component"),
                "dependencyOf",
            );
        }
        for parent in strings("parent") {
            pair(&me, "childOf", full_ref(&parent, "group"), "parentOf");
        }
        for child in strings("children") {
            pair(&me, "parentOf", full_ref(&child, "group"), "childOf");
        }
        for member in strings("members") {
            pair(&me, "hasMember", full_ref(&member, "user"), "memberOf");
        }
        for group in strings("memberOf") {
            pair(&me, "memberOf", full_ref(&group, "group"), "hasMember");
        }
    }
    out
}

/// What a filter can match: every leaf as `path=value`, each string in an array also as
/// `path.value` (so `metadata.tags.java` tests for a tag), and relations as
/// `relations.<type>=<targetRef>`. Keys and values are lower case: filters ignore case.
fn search_keys(e: &Value) -> Vec<(String, String)> {
    fn visit(path: &str, v: &Value, out: &mut Vec<(String, String)>) {
        match v {
            Value::Object(o) => {
                for (k, child) in o {
                    let p = if path.is_empty() {
                        k.to_lowercase()
                    } else {
                        format!("{path}.{}", k.to_lowercase())
                    };
                    if p == "relations" {
                        continue;
                    }
                    visit(&p, child, out);
                }
            }
            Value::Array(items) => {
                for item in items {
                    if let Some(s) = item.as_str() {
                        out.push((format!("{path}.{}", s.to_lowercase()), "true".into()));
                    }
                    visit(path, item, out);
                }
            }
            Value::String(s) => out.push((path.to_string(), s.to_lowercase())),
            Value::Bool(b) => out.push((path.to_string(), b.to_string())),
            Value::Number(n) => out.push((path.to_string(), n.to_string())),
            Value::Null => {}
        }
    }
    let mut out = Vec::new();
    visit("", e, &mut out);
    for r in e["relations"].as_array().into_iter().flatten() {
        if let (Some(t), Some(target)) = (r["type"].as_str(), r["targetRef"].as_str()) {
            out.push((
                format!("relations.{}", t.to_lowercase()),
                target.to_lowercase(),
            ));
        }
    }
    out
}

/// One `filter=` parameter: conditions that must all hold.
fn parse_filter(raw: &str) -> Vec<(String, Option<String>)> {
    raw.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| match c.split_once('=') {
            Some((k, v)) => (k.trim().to_lowercase(), Some(v.trim().to_lowercase())),
            None => (c.to_lowercase(), None),
        })
        .collect()
}

fn matches_filters(e: &Indexed, filters: &[String]) -> bool {
    if filters.is_empty() {
        return true;
    }
    filters.iter().any(|raw| {
        parse_filter(raw).iter().all(|(key, value)| {
            e.search
                .iter()
                .any(|(k, v)| k == key && value.as_ref().is_none_or(|want| want == v))
        })
    })
}

fn matches_full_text(e: &Indexed, term: Option<&str>, fields: &[String]) -> bool {
    let Some(term) = term.map(str::to_lowercase).filter(|t| !t.is_empty()) else {
        return true;
    };
    let defaults = [
        "metadata.name",
        "metadata.title",
        "metadata.description",
        "spec.profile.displayname",
    ];
    e.search.iter().any(|(k, v)| {
        let wanted = if fields.is_empty() {
            defaults.contains(&k.as_str())
        } else {
            fields.iter().any(|f| f.eq_ignore_ascii_case(k))
        };
        wanted && v.contains(&term)
    })
}

fn value_at<'a>(e: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(e, |v, key| v.get(key))
}

/// The entity with only `fields` (dotted paths) kept; all of it when none are asked for.
fn project(e: &Value, fields: &[String]) -> Value {
    if fields.is_empty() {
        return e.clone();
    }
    let mut out = Value::Object(Map::new());
    for field in fields {
        let Some(v) = value_at(e, field) else {
            continue;
        };
        let mut cursor = &mut out;
        let parts: Vec<&str> = field.split('.').collect();
        for (i, part) in parts.iter().enumerate() {
            let Some(o) = cursor.as_object_mut() else {
                break;
            };
            if i + 1 == parts.len() {
                o.insert((*part).to_string(), v.clone());
                break;
            }
            cursor = o
                .entry((*part).to_string())
                .or_insert_with(|| Value::Object(Map::new()));
        }
    }
    out
}

/// Everything a page needs to continue the same query: Backstage cursors carry the query, so
/// later pages ignore `filter`, `orderField` and `fullTextFilter*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Cursor {
    filter: Vec<String>,
    #[serde(rename = "orderField")]
    order_field: Vec<String>,
    #[serde(rename = "fullTextFilterTerm", default)]
    full_text_term: Option<String>,
    #[serde(rename = "fullTextFilterFields", default)]
    full_text_fields: Vec<String>,
    offset: usize,
}

fn all_of(params: &[(String, String)], name: &str) -> Vec<String> {
    params
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

/// Comma-separated and repeated parameters alike, as Backstage reads `fields`.
fn list_of(params: &[(String, String)], name: &str) -> Vec<String> {
    all_of(params, name)
        .iter()
        .flat_map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn compare(a: &Indexed, b: &Indexed, order: &[String]) -> Ordering {
    for spec in order {
        let (field, dir) = spec.split_once(',').unwrap_or((spec.as_str(), "asc"));
        let key = |e: &Indexed| {
            value_at(&e.entity, field)
                .and_then(Value::as_str)
                .map(str::to_lowercase)
        };
        let ord = match (key(a), key(b)) {
            (Some(x), Some(y)) => x.cmp(&y),
            // Entities without the field come last, whichever the direction.
            (Some(_), None) => return Ordering::Less,
            (None, Some(_)) => return Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        let ord = if dir.eq_ignore_ascii_case("desc") {
            ord.reverse()
        } else {
            ord
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.reference.cmp(&b.reference)
}

async fn by_query(
    State(cat): Cat,
    Query(params): Params,
    method: Method,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let url = uri.to_string();
    let cursor = match all_of(&params, "cursor").first() {
        Some(raw) => match decode_cursor(raw) {
            Some(c) => c,
            None => {
                return CatalogError::new(
                    StatusCode::BAD_REQUEST,
                    "InputError",
                    "Malformed cursor".into(),
                    &method,
                    &url,
                )
                .into_response();
            }
        },
        None => Cursor {
            filter: all_of(&params, "filter"),
            order_field: all_of(&params, "orderField"),
            full_text_term: all_of(&params, "fullTextFilterTerm")
                .first()
                .or(all_of(&params, "fullTextFilter").first())
                .cloned(),
            full_text_fields: list_of(&params, "fullTextFilterFields"),
            offset: 0,
        },
    };
    let limit = match all_of(&params, "limit").first().map(|l| l.parse::<usize>()) {
        None => 20,
        Some(Ok(l)) => l,
        Some(Err(_)) => {
            return CatalogError::new(
                StatusCode::BAD_REQUEST,
                "InputError",
                "Invalid limit, not a number".into(),
                &method,
                &url,
            )
            .into_response();
        }
    };
    let fields = list_of(&params, "fields");
    let added = lock(&cat.added);
    let mut matching: Vec<&Indexed> = cat
        .entities
        .iter()
        .chain(added.iter())
        .filter(|e| matches_filters(e, &cursor.filter))
        .filter(|e| {
            matches_full_text(
                e,
                cursor.full_text_term.as_deref(),
                &cursor.full_text_fields,
            )
        })
        .collect();
    matching.sort_by(|a, b| compare(a, b, &cursor.order_field));
    let total = matching.len();
    let items: Vec<Value> = matching
        .iter()
        .skip(cursor.offset)
        .take(limit)
        .map(|e| project(&e.entity, &fields))
        .collect();
    let mut page_info = Map::new();
    if cursor.offset + limit < total && limit > 0 {
        page_info.insert(
            "nextCursor".into(),
            json!(encode_cursor(&Cursor {
                offset: cursor.offset + limit,
                ..cursor.clone()
            })),
        );
    }
    if cursor.offset > 0 {
        page_info.insert(
            "prevCursor".into(),
            json!(encode_cursor(&Cursor {
                offset: cursor.offset.saturating_sub(limit),
                ..cursor.clone()
            })),
        );
    }
    Json(json!({ "items": items, "totalItems": total, "pageInfo": page_info })).into_response()
}

async fn by_name(
    State(cat): Cat,
    Path((kind, namespace, name)): Path<(String, String, String)>,
    method: Method,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let wanted = format!("{kind}:{namespace}/{name}").to_lowercase();
    let added = lock(&cat.added);
    match cat
        .entities
        .iter()
        .chain(added.iter())
        .find(|e| e.reference == wanted)
    {
        Some(e) => Json(e.entity.clone()).into_response(),
        None => CatalogError::new(
            StatusCode::NOT_FOUND,
            "NotFoundError",
            format!(
                "No entity named '{name}' found, with kind '{kind}' in namespace '{namespace}'"
            ),
            &method,
            &uri.to_string(),
        )
        .into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct ByRefs {
    #[serde(rename = "entityRefs")]
    entity_refs: Vec<String>,
    #[serde(default)]
    fields: Vec<String>,
}

async fn by_refs(
    State(cat): Cat,
    Query(params): Params,
    method: Method,
    OriginalUri(uri): OriginalUri,
    body: Option<Json<ByRefs>>,
) -> Response {
    let Some(Json(body)) = body else {
        return CatalogError::new(
            StatusCode::BAD_REQUEST,
            "InputError",
            "Malformed request: entityRefs is required".into(),
            &method,
            &uri.to_string(),
        )
        .into_response();
    };
    let mut fields = body.fields.clone();
    fields.extend(list_of(&params, "fields"));
    let added = lock(&cat.added);
    let items: Vec<Value> = body
        .entity_refs
        .iter()
        .map(|r| {
            let wanted = r.to_lowercase();
            cat.entities
                .iter()
                .chain(added.iter())
                .find(|e| e.reference == wanted)
                .map_or(Value::Null, |e| project(&e.entity, &fields))
        })
        .collect();
    Json(json!({ "items": items })).into_response()
}

#[derive(Debug, Deserialize)]
struct NewLocation {
    #[serde(rename = "type")]
    kind: String,
    target: String,
}

/// `POST /api/catalog/locations`: a descriptor URL in one of the sim's created repositories
/// (`{github}/{owner}/{repo}/blob/{branch}/{path}`). Backstage answers at once with the
/// location and processes it afterwards; the sim processes it before answering, so its
/// entities are there on the next read. `?dryRun=true` returns them and registers nothing.
async fn add_location(
    State(cat): Cat,
    Query(params): Params,
    method: Method,
    OriginalUri(uri): OriginalUri,
    body: Option<Json<NewLocation>>,
) -> Response {
    let url = uri.to_string();
    let error = |status, name: &str, message: String| {
        CatalogError::new(status, name, message, &method, &url).into_response()
    };
    let Some(Json(body)) = body else {
        return error(
            StatusCode::BAD_REQUEST,
            "InputError",
            "Malformed request: type and target are required".into(),
        );
    };
    if body.kind != "url" {
        return error(
            StatusCode::BAD_REQUEST,
            "InputError",
            format!("Unsupported location type {}", body.kind),
        );
    }
    let dry_run = all_of(&params, "dryRun")
        .first()
        .is_some_and(|v| v == "true");
    if lock(&cat.locations).iter().any(|(_, t)| *t == body.target) {
        return error(
            StatusCode::CONFLICT,
            "ConflictError",
            format!("Location url:{} already exists", body.target),
        );
    }
    let github = format!("{}/", cat.shared.endpoints.github.trim_end_matches('/'));
    let read = body.target.strip_prefix(&github).and_then(|rest| {
        let mut parts = rest.splitn(5, '/');
        let (owner, repo, blob, branch, path) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        if blob != "blob" {
            return None;
        }
        let created = lock(&cat.shared.created);
        let r = created
            .repos
            .get(&format!("{owner}/{repo}").to_lowercase())?;
        r.file(branch, path)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    });
    // A created GitLab project's file: `{gitlab}/{namespace}/{project}/-/blob/{branch}/{path}`.
    let gitlab = format!("{}/", cat.shared.endpoints.gitlab.trim_end_matches('/'));
    let read = read.or_else(|| {
        let rest = body.target.strip_prefix(&gitlab)?;
        let (project, rest) = rest.split_once("/-/blob/")?;
        let (branch, path) = rest.split_once('/')?;
        let created = lock(&cat.shared.created);
        let (_, r) = created.project(project)?;
        r.file(branch, path)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    });
    let Some(text) = read else {
        return error(
            StatusCode::NOT_FOUND,
            "NotFoundError",
            format!(
                "Unable to read url, NotFoundError: could not read {}",
                body.target
            ),
        );
    };
    let mut entities = Vec::new();
    for doc in serde_norway::Deserializer::from_str(&text) {
        match Value::deserialize(doc) {
            Ok(Value::Null) => {}
            Ok(v) => entities.push(processed(v, &body.target)),
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "InputError",
                    format!("YAML error at {}, {e}", body.target),
                );
            }
        }
    }
    let id = uuid_of(&format!("location:{}", body.target));
    let location = json!({ "id": id, "type": "url", "target": body.target });
    if dry_run {
        return (
            StatusCode::CREATED,
            Json(json!({ "location": location, "entities": entities })),
        )
            .into_response();
    }
    lock(&cat.locations).push((id, body.target.clone()));
    lock(&cat.added).extend(entities.into_iter().map(|entity| Indexed {
        reference: entity_ref(&entity),
        search: search_keys(&entity),
        entity,
    }));
    (
        StatusCode::CREATED,
        Json(json!({ "location": location, "entities": [] })),
    )
        .into_response()
}

/// What the catalog adds to a registered descriptor: namespace, uid, etag, its location, and
/// the ownedBy relation.
fn processed(mut e: Value, target: &str) -> Value {
    let reference = entity_ref(&e);
    let owner = e
        .pointer("/spec/owner")
        .and_then(Value::as_str)
        .map(|o| full_ref(o, "group"));
    if let Some(meta) = e.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.entry("namespace").or_insert_with(|| json!("default"));
        meta.insert("uid".into(), json!(uuid_of(&reference)));
        meta.insert(
            "etag".into(),
            json!(format!(
                "{:016x}",
                hash_str(&format!("{reference}{target}"))
            )),
        );
        let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
        if let Some(a) = annotations.as_object_mut() {
            a.insert(
                "backstage.io/managed-by-location".into(),
                json!(format!("url:{target}")),
            );
            a.insert(
                "backstage.io/managed-by-origin-location".into(),
                json!(format!("url:{target}")),
            );
        }
    }
    if let Some(o) = e.as_object_mut() {
        let rels: Vec<Value> = owner.iter().map(|o| relation_json("ownedBy", o)).collect();
        o.insert("relations".into(), Value::Array(rels));
    }
    e
}

/// Backstage's error body.
struct CatalogError(StatusCode, Value);

impl CatalogError {
    fn new(status: StatusCode, name: &str, message: String, method: &Method, url: &str) -> Self {
        Self(
            status,
            json!({
                "error": { "name": name, "message": message },
                "request": { "method": method.as_str(), "url": url },
                "response": { "statusCode": status.as_u16() },
            }),
        )
    }
}

impl IntoResponse for CatalogError {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

/// Cursors are opaque to clients: base64 of the JSON query state, as Backstage's are.
fn encode_cursor(c: &Cursor) -> String {
    base64::encode(&serde_json::to_vec(c).unwrap_or_default())
}

fn decode_cursor(s: &str) -> Option<Cursor> {
    serde_json::from_slice(&base64::decode(s)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        for offset in [0, 1, 20, 12345] {
            let c = Cursor {
                filter: vec!["kind=component,spec.type=service".into()],
                order_field: vec!["metadata.name,desc".into()],
                full_text_term: Some("pay".into()),
                full_text_fields: vec![],
                offset,
            };
            assert_eq!(decode_cursor(&encode_cursor(&c)), Some(c));
        }
        assert_eq!(decode_cursor("not*base64"), None);
    }

    #[test]
    fn filters_and_within_a_parameter_or_across_them() {
        let e = |kind: &str, name: &str, tags: &[&str]| {
            let entity = json!({
                "kind": kind,
                "metadata": { "name": name, "namespace": "default", "tags": tags },
                "relations": [{ "type": "ownedBy", "targetRef": "group:default/team-a" }],
            });
            Indexed {
                reference: entity_ref(&entity),
                search: search_keys(&entity),
                entity,
            }
        };
        let a = e("Component", "alpha", &["java"]);
        let b = e("API", "beta", &[]);
        let f = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(matches_filters(
            &a,
            &f(&["KIND=component,metadata.tags.java"])
        ));
        assert!(!matches_filters(
            &b,
            &f(&["kind=component,metadata.tags.java"])
        ));
        assert!(matches_filters(
            &b,
            &f(&["kind=component,metadata.name=nope", "kind=api"])
        ));
        assert!(matches_filters(
            &a,
            &f(&["relations.ownedby=group:default/team-a"])
        ));
        assert!(matches_filters(&a, &f(&["metadata.tags=java"])));
        assert!(
            !matches_filters(&a, &f(&["spec.type"])),
            "a key alone tests that it exists"
        );
    }
}
