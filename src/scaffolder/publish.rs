//! Writing a new repository on GitHub as `publish:github` does: create it, then one commit with
//! the whole workspace through the Git Data API (blobs, a tree, a commit, the branch ref); and a
//! new GitLab project as `publish:gitlab` does (the project, then one commit of `actions`). Only
//! the configured host is written to, with that host's token: a template naming another host
//! is refused before anything runs.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::skeleton::Workspace;
use crate::config::{GithubSource, GitlabSource};
use crate::providers::github::auth::{gh_host, resolve_token};
use crate::providers::gitlab::GitlabApi;
use crate::providers::http::{self, Failure};
use flightdeck_core::wire::{base64, percent_encode};

const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Github {
    http: reqwest::Client,
    api: String,
    /// `github.com`, or the Enterprise host (`host:port` for the sim).
    pub host: String,
    /// Where people browse it: `https://github.com`, or the API's scheme and host.
    pub web: String,
    token: Option<String>,
}

impl Github {
    pub async fn new(source: &GithubSource) -> Result<Self, String> {
        let api = source.api_url.trim_end_matches('/').to_string();
        let host = gh_host(&api);
        let web = if host == "github.com" {
            "https://github.com".to_string()
        } else {
            let scheme = api.split_once("://").map_or("https", |(s, _)| s);
            format!("{scheme}://{host}")
        };
        let token = resolve_token(source).await?;
        if let Some(t) = &token {
            http::check_token(t)?;
        }
        Ok(Self {
            http: http::client(TIMEOUT)?,
            api,
            host,
            web,
            token,
        })
    }

    /// One call; the answer's JSON, or what went wrong in one line (never the body whole).
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Value), Failure> {
        let url = format!("{}{path}", self.api);
        let mut req = self
            .http
            .request(method, &url)
            .header(reqwest::header::ACCEPT, "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28");
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| Failure::from_reqwest(&e, &self.api, TIMEOUT))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| Failure::from_reqwest(&e, &self.api, TIMEOUT))?;
        if status == StatusCode::NOT_FOUND || status == StatusCode::CONFLICT {
            return Ok((status, Value::Null));
        }
        if let Some(f) = http::classify(status, &headers, &bytes) {
            return Err(f);
        }
        let v = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .map_err(|e| Failure::Malformed(http::decode_error(&e)))?
        };
        Ok((status, v))
    }

    async fn expect(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, String> {
        let what = format!("{method} {path}");
        match self.call(method, path, body).await {
            Ok((s, v)) if s.is_success() => Ok(v),
            Ok((s, _)) => Err(format!("{what}: HTTP {}", s.as_u16())),
            Err(f) => Err(f.describe(&what)),
        }
    }

    fn repo_path(owner: &str, repo: &str) -> String {
        format!("/repos/{}/{}", percent_encode(owner), percent_encode(repo))
    }

    /// Whether `owner/repo` exists already (a run would fail on it half-way).
    pub async fn exists(&self, owner: &str, repo: &str) -> Result<bool, String> {
        let path = Self::repo_path(owner, repo);
        match self.call(Method::GET, &path, None).await {
            Ok((s, _)) => Ok(s.is_success()),
            Err(f) => Err(f.describe(&format!("GET {path}"))),
        }
    }

    /// Creates the repository under an organisation, or under the token's own account when
    /// `owner` is its login. `auto_init` gives it a first commit: the Git Data API refuses to
    /// write into an empty repository.
    pub async fn create(
        &self,
        owner: &str,
        repo: &str,
        description: &str,
        visibility: &str,
    ) -> Result<Value, String> {
        let login = self
            .expect(Method::GET, "/user", None)
            .await
            .ok()
            .and_then(|u| u.get("login").and_then(Value::as_str).map(str::to_string));
        let path = if login.as_deref() == Some(owner) {
            "/user/repos".to_string()
        } else {
            format!("/orgs/{}/repos", percent_encode(owner))
        };
        let body = json!({
            "name": repo,
            "description": description,
            "private": visibility != "public",
            "visibility": visibility,
            "auto_init": true,
        });
        self.expect(Method::POST, &path, Some(&body)).await
    }

    /// One commit holding exactly `files` on `branch`; its SHA.
    pub async fn push(
        &self,
        owner: &str,
        repo: &str,
        branch: &str,
        files: &Workspace,
        message: &str,
    ) -> Result<String, String> {
        let base = Self::repo_path(owner, repo);
        let head = match self
            .call(
                Method::GET,
                &format!("{base}/git/ref/heads/{}", percent_encode(branch)),
                None,
            )
            .await
        {
            Ok((s, v)) if s.is_success() => v
                .pointer("/object/sha")
                .and_then(Value::as_str)
                .map(str::to_string),
            Ok(_) => None,
            Err(f) => return Err(f.describe(&format!("GET {base}/git/ref/heads/{branch}"))),
        };
        let mut tree = Vec::with_capacity(files.len());
        for (path, bytes) in files {
            let blob = self
                .expect(
                    Method::POST,
                    &format!("{base}/git/blobs"),
                    Some(&json!({ "content": base64::encode(bytes), "encoding": "base64" })),
                )
                .await?;
            let sha = blob
                .get("sha")
                .and_then(Value::as_str)
                .ok_or("POST git/blobs: no sha in the answer")?;
            // Scripts stay executable: a skeleton's shebang files are meant to run.
            let mode = if bytes.starts_with(b"#!") {
                "100755"
            } else {
                "100644"
            };
            tree.push(json!({ "path": path, "mode": mode, "type": "blob", "sha": sha }));
        }
        let tree = self
            .expect(
                Method::POST,
                &format!("{base}/git/trees"),
                Some(&json!({ "tree": tree })),
            )
            .await?;
        let tree_sha = tree
            .get("sha")
            .and_then(Value::as_str)
            .ok_or("POST git/trees: no sha in the answer")?;
        let commit = self
            .expect(
                Method::POST,
                &format!("{base}/git/commits"),
                Some(&json!({ "message": message, "tree": tree_sha, "parents": head.iter().collect::<Vec<_>>() })),
            )
            .await?;
        let sha = commit
            .get("sha")
            .and_then(Value::as_str)
            .ok_or("POST git/commits: no sha in the answer")?
            .to_string();
        if head.is_some() {
            self.expect(
                Method::PATCH,
                &format!("{base}/git/refs/heads/{}", percent_encode(branch)),
                Some(&json!({ "sha": sha, "force": true })),
            )
            .await?;
        } else {
            self.expect(
                Method::POST,
                &format!("{base}/git/refs"),
                Some(&json!({ "ref": format!("refs/heads/{branch}"), "sha": sha })),
            )
            .await?;
        }
        Ok(sha)
    }
}

/// A GitLab host to create projects on, through the cockpit's GitLab client.
pub struct Gitlab {
    api: GitlabApi,
    /// `gitlab.com`, or the self-managed host (`host:port` for the sim), as `repoUrl` names it.
    pub host: String,
}

impl Gitlab {
    pub async fn new(source: &GitlabSource) -> Result<Self, String> {
        let token = crate::providers::gitlab::resolve_token(source).await?;
        Ok(Self {
            api: GitlabApi::new(&source.api_url, token, 4, TIMEOUT)?,
            host: gh_host(&source.api_url),
        })
    }

    fn project_path(namespace: &str, name: &str) -> String {
        format!(
            "/projects/{}",
            crate::providers::gitlab::project_id(&format!("{namespace}/{name}"))
        )
    }

    /// Whether `namespace/name` exists already.
    pub async fn exists(&self, namespace: &str, name: &str) -> Result<bool, String> {
        let path = Self::project_path(namespace, name);
        match self.api.get_json::<Value>(&path).await {
            Ok(_) => Ok(true),
            Err(Failure::Status { code: 404, .. }) => Ok(false),
            Err(f) => Err(f.describe(&format!("GET {path}"))),
        }
    }

    /// Creates the project in `namespace` (a group's path, or the user's own).
    pub async fn create(
        &self,
        namespace: &str,
        name: &str,
        description: &str,
        visibility: &str,
    ) -> Result<Value, String> {
        let ns_path = format!("/namespaces/{}", percent_encode(namespace));
        let ns: Value = self
            .api
            .get_json(&ns_path)
            .await
            .map_err(|f| f.describe(&format!("GET {ns_path}")))?;
        let ns_id = ns
            .get("id")
            .and_then(Value::as_u64)
            .ok_or("GET namespaces: no id in the answer")?;
        let body = json!({
            "name": name,
            "path": name,
            "namespace_id": ns_id,
            "description": description,
            "visibility": visibility,
        });
        self.api
            .post_json("/projects", Some(&body))
            .await
            .map_err(|f| f.describe("POST /projects"))
    }

    /// One commit creating every file of the workspace on `branch`; its SHA.
    pub async fn push(
        &self,
        project: u64,
        branch: &str,
        files: &Workspace,
        message: &str,
    ) -> Result<String, String> {
        let actions: Vec<Value> = files
            .iter()
            .map(|(path, bytes)| {
                json!({
                    "action": "create",
                    "file_path": path,
                    "content": base64::encode(bytes),
                    "encoding": "base64",
                })
            })
            .collect();
        let path = format!("/projects/{project}/repository/commits");
        let commit: Value = self
            .api
            .post_json(
                &path,
                Some(&json!({ "branch": branch, "commit_message": message, "actions": actions })),
            )
            .await
            .map_err(|f| f.describe(&format!("POST {path}")))?;
        commit
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("POST {path}: no id in the answer"))
    }
}
