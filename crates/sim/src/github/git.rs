//! Creating repositories and writing them: `POST /orgs/{org}/repos` (and `/user/repos`), the Git
//! Data API (blobs, trees, commits, refs) and reading back through the contents API, in
//! GitHub's shapes and with its refusals (a taken name, an empty repository, an existing ref).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use super::json::{org_json, user_json};
use super::server::{ApiError, ApiResult, Gh, Github, Params};
use crate::ci::DEMO_USER;
use crate::scaffold::{Repo, TreeEntry};
use crate::world::hash_str;
use flightdeck_core::sync::lock;
use flightdeck_core::wire::base64;

fn key(owner: &str, repo: &str) -> String {
    format!("{owner}/{repo}").to_lowercase()
}

fn unprocessable(message: &str) -> ApiError {
    ApiError(StatusCode::UNPROCESSABLE_ENTITY, message.to_string())
}

/// A created repository in the full-repository shape.
pub(super) fn repo_json(gh: &Github, r: &Repo) -> Value {
    let base = &gh.shared.endpoints.github;
    let full = r.full_name();
    let owner = if r.owner == DEMO_USER {
        user_json(base, gh.world(), &r.owner)
    } else {
        org_json(base, &r.owner)
    };
    let t = |d: chrono::DateTime<Utc>| d.to_rfc3339_opts(SecondsFormat::Secs, true);
    json!({
        "id": 800_000_000 + (hash_str(&full) % 1_000_000),
        "node_id": format!("R_kgDO{:08X}", hash_str(&full) as u32),
        "name": r.name,
        "full_name": full,
        "private": r.visibility != "public",
        "visibility": r.visibility,
        "owner": owner,
        "html_url": format!("{base}/{full}"),
        "description": r.description,
        "fork": false,
        "url": format!("{base}/repos/{full}"),
        "clone_url": format!("{base}/{full}.git"),
        "git_url": format!("git://127.0.0.1/{full}.git"),
        "ssh_url": format!("git@127.0.0.1:{full}.git"),
        "default_branch": r.default_branch,
        "archived": false,
        "disabled": false,
        "created_at": t(r.created_at),
        "updated_at": t(r.pushed_at),
        "pushed_at": t(r.pushed_at),
        "size": r.blobs.values().map(Vec::len).sum::<usize>() / 1024,
    })
}

/// `GET /repos/{owner}/{repo}` for a created repository.
pub(super) fn created_repository(gh: &Github, owner: &str, repo: &str) -> Option<Response> {
    let created = lock(&gh.shared.created);
    let r = created.repos.get(&key(owner, repo))?;
    Some(Json(repo_json(gh, r)).into_response())
}

fn create(gh: &Github, owner: &str, body: &Value) -> ApiResult {
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| {
            !n.is_empty()
                && n.len() <= 100
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
        .ok_or_else(|| unprocessable("Repository creation failed."))?;
    let full = key(owner, name);
    let world = gh.world();
    let taken = world.services.iter().any(|s| s.repo.to_lowercase() == full);
    let mut created = lock(&gh.shared.created);
    if taken || created.repos.contains_key(&full) {
        return Err(unprocessable(
            "Repository creation failed.: name already exists on this account",
        ));
    }
    let visibility = body
        .get("visibility")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| {
            if body.get("private").and_then(Value::as_bool) == Some(false) {
                "public".into()
            } else {
                "private".into()
            }
        });
    let description = body
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let now = Utc::now();
    let mut r = Repo::new(owner, name, description, &visibility, now);
    if body.get("auto_init").and_then(Value::as_bool) == Some(true) {
        let blob = r.add_blob(format!("# {name}\n\n{description}\n").into_bytes());
        let tree = r.add_tree(vec![TreeEntry {
            path: "README.md".into(),
            mode: "100644".into(),
            sha: blob,
        }]);
        let commit = r.add_commit("Initial commit", &tree, Vec::new(), now);
        r.refs.insert("refs/heads/main".into(), commit);
    }
    let v = repo_json(gh, &r);
    created.repos.insert(full, r);
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

pub(super) async fn create_in_org(
    State(gh): Gh,
    Path(org): Path<String>,
    Json(body): Json<Value>,
) -> ApiResult {
    if !org.eq_ignore_ascii_case(&gh.world().org) {
        return Err(ApiError::not_found());
    }
    create(&gh, &gh.world().org.clone(), &body)
}

pub(super) async fn create_for_user(State(gh): Gh, Json(body): Json<Value>) -> ApiResult {
    create(&gh, DEMO_USER, &body)
}

/// Runs `f` on a created repository, or answers 404 as GitHub does for one it does not know.
fn with_repo<T>(
    gh: &Github,
    owner: &str,
    repo: &str,
    f: impl FnOnce(&mut Repo) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut created = lock(&gh.shared.created);
    let r = created
        .repos
        .get_mut(&key(owner, repo))
        .ok_or_else(ApiError::not_found)?;
    f(r)
}

fn git_url(gh: &Github, r: &Repo, what: &str, sha: &str) -> String {
    format!(
        "{}/repos/{}/git/{what}/{sha}",
        gh.shared.endpoints.github,
        r.full_name()
    )
}

pub(super) async fn create_blob(
    State(gh): Gh,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> ApiResult {
    let content = body
        .get("content")
        .and_then(Value::as_str)
        .ok_or_else(|| unprocessable("Invalid request.\n\n\"content\" wasn't supplied."))?;
    let bytes = match body.get("encoding").and_then(Value::as_str) {
        Some("base64") => base64::decode(content)
            .ok_or_else(|| unprocessable("Invalid request.\n\ncontent is not valid Base64."))?,
        _ => content.as_bytes().to_vec(),
    };
    with_repo(&gh, &owner, &repo, |r| {
        let sha = r.add_blob(bytes);
        let url = git_url(&gh, r, "blobs", &sha);
        Ok((StatusCode::CREATED, Json(json!({ "sha": sha, "url": url }))).into_response())
    })
}

fn tree_json(gh: &Github, r: &Repo, sha: &str, entries: &[TreeEntry]) -> Value {
    json!({
        "sha": sha,
        "url": git_url(gh, r, "trees", sha),
        "truncated": false,
        "tree": entries.iter().map(|e| json!({
            "path": e.path,
            "mode": e.mode,
            "type": "blob",
            "sha": e.sha,
            "size": r.blobs.get(&e.sha).map_or(0, Vec::len),
            "url": git_url(gh, r, "blobs", &e.sha),
        })).collect::<Vec<_>>(),
    })
}

pub(super) async fn create_tree(
    State(gh): Gh,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> ApiResult {
    with_repo(&gh, &owner, &repo, |r| {
        // Entries of base_tree stay unless the new tree names the same path.
        let mut entries: Vec<TreeEntry> = body
            .get("base_tree")
            .and_then(Value::as_str)
            .and_then(|b| r.trees.get(b))
            .cloned()
            .unwrap_or_default();
        let items = body
            .get("tree")
            .and_then(Value::as_array)
            .ok_or_else(|| unprocessable("Invalid tree info"))?;
        for item in items {
            let path = item.get("path").and_then(Value::as_str).unwrap_or_default();
            let mode = item.get("mode").and_then(Value::as_str).unwrap_or("100644");
            let sha = match (
                item.get("sha").and_then(Value::as_str),
                item.get("content").and_then(Value::as_str),
            ) {
                (Some(sha), _) if r.blobs.contains_key(sha) => sha.to_string(),
                (Some(_), _) => {
                    return Err(unprocessable("Invalid tree info: tree.sha does not exist"));
                }
                (None, Some(content)) => r.add_blob(content.as_bytes().to_vec()),
                (None, None) => {
                    return Err(unprocessable(
                        "Invalid tree info: sha or content is required",
                    ));
                }
            };
            if path.is_empty()
                || path.starts_with('/')
                || path.split('/').any(|p| p.is_empty() || p == "..")
            {
                return Err(unprocessable("Invalid tree info: tree.path is invalid"));
            }
            entries.retain(|e| e.path != path);
            entries.push(TreeEntry {
                path: path.to_string(),
                mode: mode.to_string(),
                sha,
            });
        }
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        let sha = r.add_tree(entries.clone());
        let v = tree_json(&gh, r, &sha, &entries);
        Ok((StatusCode::CREATED, Json(v)).into_response())
    })
}

pub(super) async fn get_tree(
    State(gh): Gh,
    Path((owner, repo, sha)): Path<(String, String, String)>,
) -> ApiResult {
    with_repo(&gh, &owner, &repo, |r| {
        let entries = r.trees.get(&sha).cloned().ok_or_else(ApiError::not_found)?;
        Ok(Json(tree_json(&gh, r, &sha, &entries)).into_response())
    })
}

fn commit_json(gh: &Github, r: &Repo, sha: &str) -> Option<Value> {
    let c = r.commits.get(sha)?;
    let person = json!({
        "name": DEMO_USER,
        "email": format!("{DEMO_USER}@acme.example"),
        "date": c.at.to_rfc3339_opts(SecondsFormat::Secs, true),
    });
    Some(json!({
        "sha": c.sha,
        "url": git_url(gh, r, "commits", &c.sha),
        "html_url": format!("{}/{}/commit/{}", gh.shared.endpoints.github, r.full_name(), c.sha),
        "author": person,
        "committer": person,
        "message": c.message,
        "tree": { "sha": c.tree, "url": git_url(gh, r, "trees", &c.tree) },
        "parents": c.parents.iter().map(|p| json!({ "sha": p, "url": git_url(gh, r, "commits", p) })).collect::<Vec<_>>(),
        "verification": { "verified": false, "reason": "unsigned", "signature": null, "payload": null },
    }))
}

pub(super) async fn create_commit(
    State(gh): Gh,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> ApiResult {
    with_repo(&gh, &owner, &repo, |r| {
        let tree = body
            .get("tree")
            .and_then(Value::as_str)
            .filter(|t| r.trees.contains_key(*t))
            .ok_or_else(|| unprocessable("Tree SHA does not exist"))?
            .to_string();
        let parents: Vec<String> = body
            .get("parents")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        if parents.iter().any(|p| !r.commits.contains_key(p)) {
            return Err(unprocessable(
                "Parent SHA does not exist or is not a commit object",
            ));
        }
        let message = body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let sha = r.add_commit(message, &tree, parents, Utc::now());
        let v = commit_json(&gh, r, &sha).unwrap_or(Value::Null);
        Ok((StatusCode::CREATED, Json(v)).into_response())
    })
}

pub(super) async fn get_commit(
    State(gh): Gh,
    Path((owner, repo, sha)): Path<(String, String, String)>,
) -> ApiResult {
    with_repo(&gh, &owner, &repo, |r| {
        commit_json(&gh, r, &sha)
            .map(|v| Json(v).into_response())
            .ok_or_else(ApiError::not_found)
    })
}

fn ref_json(gh: &Github, r: &Repo, name: &str, sha: &str) -> Value {
    json!({
        "ref": name,
        "node_id": format!("REF_kwDO{:08X}", hash_str(name) as u32),
        "url": format!("{}/repos/{}/git/{name}", gh.shared.endpoints.github, r.full_name()),
        "object": { "sha": sha, "type": "commit", "url": git_url(gh, r, "commits", sha) },
    })
}

/// `GET /repos/{o}/{r}/git/ref/{ref}` (`heads/main`).
pub(super) async fn get_ref(
    State(gh): Gh,
    Path((owner, repo, reference)): Path<(String, String, String)>,
) -> ApiResult {
    with_repo(&gh, &owner, &repo, |r| {
        if r.refs.is_empty() {
            return Err(ApiError(
                StatusCode::CONFLICT,
                "Git Repository is empty.".into(),
            ));
        }
        let name = format!("refs/{reference}");
        let sha = r.refs.get(&name).ok_or_else(ApiError::not_found)?;
        Ok(Json(ref_json(&gh, r, &name, sha)).into_response())
    })
}

pub(super) async fn create_ref(
    State(gh): Gh,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> ApiResult {
    with_repo(&gh, &owner, &repo, |r| {
        let name = body.get("ref").and_then(Value::as_str).unwrap_or_default();
        if !name.starts_with("refs/") || name.split('/').count() < 3 {
            return Err(unprocessable("Reference name is not valid"));
        }
        let sha = body
            .get("sha")
            .and_then(Value::as_str)
            .filter(|s| r.commits.contains_key(*s))
            .ok_or_else(|| unprocessable("Object does not exist"))?
            .to_string();
        if r.refs.contains_key(name) {
            return Err(unprocessable("Reference already exists"));
        }
        r.refs.insert(name.to_string(), sha.clone());
        if name == format!("refs/heads/{}", r.default_branch) {
            r.pushed_at = Utc::now();
        }
        let v = ref_json(&gh, r, name, &sha);
        Ok((StatusCode::CREATED, Json(v)).into_response())
    })
    .inspect(|_| launch_on_push(&gh, &owner, &repo))
}

/// A push to a created repository's default branch launches it as a service (its CI run,
/// deploys and pods follow from the push); only the first push does.
fn launch_on_push(gh: &Github, owner: &str, repo: &str) {
    let now = gh.shared.story_now();
    let mut created = lock(&gh.shared.created);
    let key = key(owner, repo);
    let on_default = created
        .repos
        .get(&key)
        .is_some_and(|r| r.resolve(&r.default_branch).is_some());
    if on_default && let Some(l) = created.launch(&key, now) {
        tracing::info!(service = %l.service.name, "created service pushed: CI starts");
    }
}

/// `PATCH /repos/{o}/{r}/git/refs/{ref}`: a push. Without `force`, only forward.
pub(super) async fn update_ref(
    State(gh): Gh,
    Path((owner, repo, reference)): Path<(String, String, String)>,
    Json(body): Json<Value>,
) -> ApiResult {
    with_repo(&gh, &owner, &repo, |r| {
        let name = format!("refs/{reference}");
        let old = r
            .refs
            .get(&name)
            .cloned()
            .ok_or_else(|| unprocessable("Reference does not exist"))?;
        let sha = body
            .get("sha")
            .and_then(Value::as_str)
            .filter(|s| r.commits.contains_key(*s))
            .ok_or_else(|| unprocessable("Object does not exist"))?
            .to_string();
        let force = body.get("force").and_then(Value::as_bool) == Some(true);
        let forward = r
            .commits
            .get(&sha)
            .is_some_and(|c| c.parents.contains(&old));
        if !force && !forward && sha != old {
            return Err(unprocessable("Update is not a fast forward"));
        }
        r.refs.insert(name.clone(), sha.clone());
        if name == format!("refs/heads/{}", r.default_branch) {
            r.pushed_at = Utc::now();
        }
        Ok(Json(ref_json(&gh, r, &name, &sha)).into_response())
    })
    .inspect(|_| launch_on_push(&gh, &owner, &repo))
}

/// `PUT /repos/{o}/{r}/contents/{path}`: creates or updates one file with a commit on `branch`
/// (the default branch unless named). Updating needs the file's current blob `sha`, as on
/// GitHub (422 without it, 409 when it is not the current one). A write to the default branch
/// is a push.
pub(super) async fn put_contents(
    State(gh): Gh,
    Path((owner, repo, path)): Path<(String, String, String)>,
    Json(body): Json<Value>,
) -> ApiResult {
    let (on_default, response) = with_repo(&gh, &owner, &repo, |r| {
        let path = path.trim_matches('/').to_string();
        let message = body
            .get("message")
            .and_then(Value::as_str)
            .ok_or_else(|| unprocessable("Invalid request.\n\n\"message\" wasn't supplied."))?;
        let content = body
            .get("content")
            .and_then(Value::as_str)
            .and_then(|c| base64::decode(&c.replace(['\n', '\r'], "")))
            .ok_or_else(|| unprocessable("content is not valid Base64"))?;
        let branch = body
            .get("branch")
            .and_then(Value::as_str)
            .map_or_else(|| r.default_branch.clone(), str::to_string);
        let name = format!("refs/heads/{branch}");
        let parent = r.refs.get(&name).cloned();
        let mut entries = parent
            .as_ref()
            .and_then(|p| r.commits.get(p))
            .and_then(|c| r.trees.get(&c.tree))
            .cloned()
            .unwrap_or_default();
        let existing = entries.iter().position(|e| e.path == path);
        let given = body.get("sha").and_then(Value::as_str);
        match (existing.and_then(|i| entries.get(i)), given) {
            (Some(_), None) => {
                return Err(unprocessable(
                    "Invalid request.\n\n\"sha\" wasn't supplied.",
                ));
            }
            (Some(current), Some(g)) if current.sha != g => {
                return Err(ApiError(
                    StatusCode::CONFLICT,
                    format!("{path} does not match {g}"),
                ));
            }
            _ => {}
        }
        let size = content.len();
        let blob = r.add_blob(content);
        let entry = TreeEntry {
            path: path.clone(),
            mode: "100644".into(),
            sha: blob.clone(),
        };
        match existing {
            Some(i) => entries[i] = entry,
            None => entries.push(entry),
        }
        let tree = r.add_tree(entries);
        let now = Utc::now();
        let commit = r.add_commit(message, &tree, parent.into_iter().collect(), now);
        r.refs.insert(name, commit.clone());
        let on_default = branch == r.default_branch;
        if on_default {
            r.pushed_at = now;
        }
        let base = &gh.shared.endpoints.github;
        let full = r.full_name();
        let v = json!({
            "content": {
                "type": "file",
                "name": path.rsplit('/').next().unwrap_or(&path),
                "path": path,
                "sha": blob,
                "size": size,
                "url": format!("{base}/repos/{full}/contents/{path}?ref={branch}"),
                "html_url": format!("{base}/{full}/blob/{branch}/{path}"),
                "git_url": git_url(&gh, r, "blobs", &blob),
            },
            "commit": commit_json(&gh, r, &commit),
        });
        let status = if existing.is_some() {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        };
        Ok((on_default, (status, Json(v)).into_response()))
    })?;
    if on_default {
        launch_on_push(&gh, &owner, &repo);
    }
    Ok(response)
}

/// `GET /repos/{o}/{r}/contents/{path}?ref=`: one file (base64, as GitHub wraps it), or a
/// directory's listing.
pub(super) async fn contents(
    State(gh): Gh,
    Path((owner, repo, path)): Path<(String, String, String)>,
    Query(params): Params,
) -> ApiResult {
    with_repo(&gh, &owner, &repo, |r| {
        let reference = params
            .iter()
            .find(|(k, _)| k == "ref")
            .map_or(r.default_branch.clone(), |(_, v)| v.clone());
        let commit = r.resolve(&reference).ok_or_else(ApiError::not_found)?;
        let entries = r.trees.get(&commit.tree).ok_or_else(ApiError::not_found)?;
        let base = &gh.shared.endpoints.github;
        let full = r.full_name();
        let path = path.trim_matches('/');
        if let Some(e) = entries.iter().find(|e| e.path == path) {
            let bytes = r.blobs.get(&e.sha).map_or(&[][..], Vec::as_slice);
            // GitHub wraps the base64 at 60 columns.
            let encoded = base64::encode(bytes);
            let wrapped: Vec<&str> = encoded
                .as_bytes()
                .chunks(60)
                .map(|c| std::str::from_utf8(c).unwrap_or_default())
                .collect();
            return Ok(Json(json!({
                "type": "file",
                "encoding": "base64",
                "size": bytes.len(),
                "name": path.rsplit('/').next().unwrap_or(path),
                "path": path,
                "content": format!("{}\n", wrapped.join("\n")),
                "sha": e.sha,
                "url": format!("{base}/repos/{full}/contents/{path}?ref={reference}"),
                "html_url": format!("{base}/{full}/blob/{reference}/{path}"),
                "git_url": git_url(&gh, r, "blobs", &e.sha),
            }))
            .into_response());
        }
        let prefix = format!("{path}/");
        let mut listing: Vec<Value> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for e in entries.iter().filter(|e| e.path.starts_with(&prefix)) {
            let rest = &e.path[prefix.len()..];
            let (name, kind) = match rest.split_once('/') {
                Some((dir, _)) => (dir, "dir"),
                None => (rest, "file"),
            };
            if seen.iter().any(|s| s == name) {
                continue;
            }
            seen.push(name.to_string());
            listing.push(json!({ "type": kind, "name": name, "path": format!("{prefix}{name}") }));
        }
        if listing.is_empty() {
            return Err(ApiError::not_found());
        }
        Ok(Json(Value::Array(listing)).into_response())
    })
}

/// The routes above, merged into the GitHub server's router.
pub(super) fn routes() -> axum::Router<std::sync::Arc<Github>> {
    use axum::routing::{get, patch, post};
    axum::Router::new()
        .route("/orgs/{org}/repos", post(create_in_org))
        .route("/user/repos", post(create_for_user))
        .route("/repos/{owner}/{repo}/git/blobs", post(create_blob))
        .route("/repos/{owner}/{repo}/git/trees", post(create_tree))
        .route("/repos/{owner}/{repo}/git/trees/{sha}", get(get_tree))
        .route("/repos/{owner}/{repo}/git/commits", post(create_commit))
        .route("/repos/{owner}/{repo}/git/commits/{sha}", get(get_commit))
        .route("/repos/{owner}/{repo}/git/ref/{*reference}", get(get_ref))
        .route("/repos/{owner}/{repo}/git/refs", post(create_ref))
        .route(
            "/repos/{owner}/{repo}/git/refs/{*reference}",
            patch(update_ref),
        )
        .route(
            "/repos/{owner}/{repo}/contents/{*path}",
            get(contents).put(put_contents),
        )
}
