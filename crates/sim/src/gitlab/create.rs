//! Projects created on the sim's GitLab, as `publish:gitlab` creates them: the namespace looked
//! up, the project made (`POST /api/v4/projects`), its files written in one commit of `actions`,
//! and read back raw. The first commit to the default branch launches the project as a service
//! whose pipelines deploy it, as a created GitHub repository's first push does.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Gitlab, GlError, GlResult, Params, not_found};
use crate::scaffold::{GITLAB_PROJECT_IDS, Repo, TreeEntry};
use flightdeck_core::sync::lock;
use flightdeck_core::wire::base64;

type Gl = State<std::sync::Arc<Gitlab>>;

/// The namespaces projects can be created in: the org's group and each team's subgroup-less
/// group, with stable ids.
fn namespaces(gl: &Gitlab) -> Vec<(u64, String)> {
    let world = gl.world();
    std::iter::once(world.org.clone())
        .chain(world.teams.iter().map(|t| t.name.clone()))
        .enumerate()
        .map(|(i, n)| (7 + i as u64, n))
        .collect()
}

fn namespace_json(id: u64, path: &str) -> Value {
    json!({ "id": id, "name": path, "path": path, "kind": "group", "full_path": path })
}

/// `GET /api/v4/namespaces/{id}`: by numeric id or path.
pub(super) async fn namespace(State(gl): Gl, Path(id): Path<String>) -> GlResult {
    namespaces(&gl)
        .into_iter()
        .find(|(n, p)| n.to_string() == id || p.eq_ignore_ascii_case(&id))
        .map(|(n, p)| Json(namespace_json(n, &p)).into_response())
        .ok_or_else(|| not_found("Namespace"))
}

/// A created project in GitLab's shape.
pub(super) fn project_json(gl: &Gitlab, id: u64, r: &Repo) -> Value {
    let ns = namespaces(gl)
        .into_iter()
        .find(|(_, p)| p.eq_ignore_ascii_case(&r.owner))
        .map_or(0, |(n, _)| n);
    let web = format!("{}/{}", gl.base().trim_end_matches('/'), r.full_name());
    json!({
        "id": id,
        "description": r.description,
        "name": r.name,
        "name_with_namespace": format!("{} / {}", r.owner, r.name),
        "path": r.name,
        "path_with_namespace": r.full_name(),
        "default_branch": r.default_branch,
        "web_url": web,
        "http_url_to_repo": format!("{web}.git"),
        "visibility": r.visibility,
        "created_at": r.created_at.to_rfc3339(),
        "namespace": namespace_json(ns, &r.owner),
    })
}

/// `POST /api/v4/projects`: `name`, `path`, `namespace_id`, `description`, `visibility`.
pub(super) async fn create_project(State(gl): Gl, body: Option<Json<Value>>) -> GlResult {
    let body = body.map(|Json(b)| b).unwrap_or(Value::Null);
    let name = body
        .get("path")
        .or_else(|| body.get("name"))
        .and_then(Value::as_str)
        .filter(|n| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
        .ok_or_else(|| GlError(StatusCode::BAD_REQUEST, "name is missing or invalid".into()))?
        .to_string();
    let ns_id = body.get("namespace_id").and_then(Value::as_u64);
    let namespace = match ns_id {
        Some(id) => namespaces(&gl)
            .into_iter()
            .find(|(n, _)| *n == id)
            .map(|(_, p)| p)
            .ok_or_else(|| not_found("Namespace"))?,
        // No namespace: the user's own.
        None => crate::ci::DEMO_USER.to_string(),
    };
    let full = format!("{namespace}/{name}");
    let taken = gl
        .world()
        .services
        .iter()
        .any(|s| s.repo.eq_ignore_ascii_case(&full));
    let mut created = lock(&gl.shared.created);
    if taken || created.project(&full).is_some() {
        return Err(GlError(
            StatusCode::BAD_REQUEST,
            "{\"path\":[\"has already been taken\"]}".into(),
        ));
    }
    let text = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or_default();
    let visibility = match text("visibility") {
        "" => "private",
        v => v,
    };
    let now = gl.shared.story_now();
    let repo = Repo::new(&namespace, &name, text("description"), visibility, now);
    created.projects.push(repo);
    let id = GITLAB_PROJECT_IDS + created.projects.len() as u64 - 1;
    let v = created
        .projects
        .last()
        .map(|r| project_json(&gl, id, r))
        .unwrap_or(Value::Null);
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// `POST /api/v4/projects/{id}/repository/commits`: `branch`, `commit_message`, `actions`
/// (`create`/`update`/`delete` of `file_path`, `content` as text or `encoding: base64`).
pub(super) async fn create_commit(
    State(gl): Gl,
    Path(id): Path<String>,
    body: Option<Json<Value>>,
) -> GlResult {
    let body = body.map(|Json(b)| b).unwrap_or(Value::Null);
    let bad = |m: &str| GlError(StatusCode::BAD_REQUEST, m.to_string());
    let branch = body
        .get("branch")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("branch is missing"))?
        .to_string();
    let message = body
        .get("commit_message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let actions = body
        .get("actions")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("actions is missing"))?;
    let now = gl.shared.story_now();
    let mut created = lock(&gl.shared.created);
    let (pid, _) = created.project(&id).ok_or_else(|| not_found("Project"))?;
    let index = (pid - GITLAB_PROJECT_IDS) as usize;
    let r = created
        .projects
        .get_mut(index)
        .ok_or_else(|| not_found("Project"))?;
    let parent = r.resolve(&branch).cloned();
    let mut entries: Vec<TreeEntry> = parent
        .as_ref()
        .and_then(|c| r.trees.get(&c.tree).cloned())
        .unwrap_or_default();
    for a in actions {
        let path = a
            .get("file_path")
            .and_then(Value::as_str)
            .filter(|p| !p.is_empty() && !p.starts_with('/') && !p.split('/').any(|s| s == ".."))
            .ok_or_else(|| bad("file_path is missing or invalid"))?
            .to_string();
        let action = a.get("action").and_then(Value::as_str).unwrap_or("create");
        let exists = entries.iter().any(|e| e.path == path);
        match action {
            "create" if exists => {
                return Err(bad("A file with this name already exists"));
            }
            "update" | "delete" if !exists => {
                return Err(bad("A file with this name doesn't exist"));
            }
            "delete" => entries.retain(|e| e.path != path),
            "create" | "update" => {
                let content = a.get("content").and_then(Value::as_str).unwrap_or_default();
                let bytes = match a.get("encoding").and_then(Value::as_str) {
                    Some("base64") => {
                        base64::decode(content).ok_or_else(|| bad("content is not base64"))?
                    }
                    _ => content.as_bytes().to_vec(),
                };
                let sha = r.add_blob(bytes);
                entries.retain(|e| e.path != path);
                entries.push(TreeEntry {
                    path,
                    mode: "100644".into(),
                    sha,
                });
            }
            other => return Err(bad(&format!("unknown action {other}"))),
        }
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let tree = r.add_tree(entries);
    let parents: Vec<String> = parent.iter().map(|c| c.sha.clone()).collect();
    let sha = r.add_commit(&message, &tree, parents.clone(), now);
    r.refs.insert(format!("refs/heads/{branch}"), sha.clone());
    let on_default = branch == r.default_branch;
    if on_default {
        r.pushed_at = chrono::Utc::now();
    }
    let short: String = sha.chars().take(8).collect();
    let v = json!({
        "id": sha,
        "short_id": short,
        "title": message.lines().next().unwrap_or_default(),
        "message": message,
        "parent_ids": parents,
        "author_name": crate::ci::DEMO_USER,
        "created_at": gl.wall(now).to_rfc3339(),
        "web_url": format!("{}/{}/-/commit/{sha}", gl.base().trim_end_matches('/'), r.full_name()),
    });
    // The first commit to the default branch is the push that launches it.
    if on_default && let Some(l) = created.launch_project(pid, now) {
        tracing::info!(service = %l.service.name, "created GitLab project pushed: its pipeline starts");
    }
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// `GET /api/v4/projects/{id}/repository/files/{path}/raw?ref=`: a file's bytes.
pub(super) async fn raw_file(
    State(gl): Gl,
    Path((id, path)): Path<(String, String)>,
    Query(params): Params,
) -> Result<Response, GlError> {
    let created = lock(&gl.shared.created);
    let (_, r) = created.project(&id).ok_or_else(|| not_found("Project"))?;
    let reference = params
        .iter()
        .find(|(k, _)| k == "ref")
        .map_or(r.default_branch.clone(), |(_, v)| v.clone());
    let bytes = r
        .file(&reference, &path)
        .ok_or_else(|| not_found("File"))?
        .to_vec();
    Ok(bytes.into_response())
}

/// The project JSON of a created project, for `GET /api/v4/projects/{id}`.
pub(super) fn created_project(gl: &Gitlab, id: &str) -> Option<Value> {
    let created = lock(&gl.shared.created);
    let (n, r) = created.project(id)?;
    Some(project_json(gl, n, r))
}
