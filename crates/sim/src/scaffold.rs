//! Golden paths in the simulated organisation: three Software Templates with their skeletons
//! (a Rust HTTP service, a worker, a static site), and the repositories people create from them.
//! Unlike the seeded world, created repositories are state: the GitHub server writes them (Git
//! Data API) and the Backstage server reads their descriptors when a location is registered.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Endpoints;
use super::world::{World, hash_str};

// ---------------------------------------------------------------------------------------------
// Templates.
// ---------------------------------------------------------------------------------------------

struct Spec {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    kind: &'static str,
    tags: &'static [&'static str],
}

const TEMPLATES: [Spec; 3] = [
    Spec {
        name: "rust-service",
        title: "Rust HTTP service",
        description: "An HTTP service in Rust (axum) with CI, Kubernetes manifests, docs and a catalog entry.",
        kind: "service",
        tags: &["rust", "recommended"],
    },
    Spec {
        name: "worker",
        title: "Background worker",
        description: "A queue consumer in Rust with CI, Kubernetes manifests, docs and a catalog entry.",
        kind: "service",
        tags: &["rust", "worker"],
    },
    Spec {
        name: "static-site",
        title: "Static website",
        description: "A static site served by nginx, with CI, Kubernetes manifests and a catalog entry.",
        kind: "website",
        tags: &["web"],
    },
];

/// The owner of the templates: the first team (the platform's, in the story).
fn platform_team(world: &World) -> String {
    world
        .teams
        .first()
        .map_or_else(|| "engineering".into(), |t| t.name.clone())
}

/// `host:port` of the sim's GitHub, as a RepoUrlPicker would write it.
pub fn github_host(endpoints: &Endpoints) -> String {
    endpoints
        .github
        .split_once("://")
        .map_or(endpoints.github.as_str(), |(_, h)| h)
        .trim_end_matches('/')
        .to_string()
}

/// Each template's entity and the file it is written in (relative to the sim's directory).
pub fn templates(world: &World, endpoints: &Endpoints) -> Vec<(PathBuf, Value)> {
    let host = github_host(endpoints);
    let repo_url = format!("{host}?owner={}&repo=${{{{ parameters.name }}}}", world.org);
    TEMPLATES
        .iter()
        .map(|t| {
            let entity = json!({
                "apiVersion": "scaffolder.backstage.io/v1beta3",
                "kind": "Template",
                "metadata": {
                    "name": t.name,
                    "title": t.title,
                    "description": t.description,
                    "tags": t.tags,
                },
                "spec": {
                    "owner": platform_team(world),
                    "type": t.kind,
                    "parameters": [
                        {
                            "title": "About the service",
                            "required": ["name", "owner", "description"],
                            "properties": {
                                "name": {
                                    "title": "Name",
                                    "type": "string",
                                    "description": "Unique name of the service; also its repository's.",
                                    "pattern": "^[a-z][a-z0-9-]*$",
                                    "maxLength": 40,
                                    "ui:help": "lower-case letters, digits and dashes",
                                    "ui:autofocus": true,
                                },
                                "owner": {
                                    "title": "Owner",
                                    "type": "string",
                                    "description": "The team that owns it.",
                                    "ui:field": "OwnerPicker",
                                    "ui:options": { "allowedKinds": ["Group"] },
                                },
                                "description": {
                                    "title": "Description",
                                    "type": "string",
                                    "description": "Help others understand what it is for.",
                                    "ui:widget": "textarea",
                                },
                            },
                        }
                    ],
                    "steps": [
                        {
                            "id": "fetch",
                            "name": "Fetch the skeleton",
                            "action": "fetch:template",
                            "input": {
                                "url": "./skeleton",
                                "copyWithoutRender": [".github/workflows/*"],
                                "values": {
                                    "name": "${{ parameters.name }}",
                                    "owner": "${{ parameters.owner }}",
                                    "description": "${{ parameters.description }}",
                                    "destination": format!("${{{{ ('{host}?owner={}&repo=' + parameters.name) | parseRepoUrl }}}}", world.org),
                                },
                            },
                        },
                        {
                            "id": "publish",
                            "name": "Publish to GitHub",
                            "action": "publish:github",
                            "input": {
                                "repoUrl": repo_url,
                                "description": "${{ parameters.description }}",
                                "defaultBranch": "main",
                                "repoVisibility": "internal",
                            },
                        },
                        {
                            "id": "register",
                            "name": "Register in the catalog",
                            "action": "catalog:register",
                            "input": {
                                "repoContentsUrl": "${{ steps.publish.output.repoContentsUrl }}",
                                "catalogInfoPath": "/catalog-info.yaml",
                            },
                        },
                        {
                            "id": "log",
                            "name": "Say where it is",
                            "action": "debug:log",
                            "input": { "message": "${{ parameters.name }} is at ${{ steps.publish.output.remoteUrl }}" },
                        },
                    ],
                    "output": {
                        "links": [
                            { "title": "Repository", "url": "${{ steps.publish.output.remoteUrl }}" },
                            { "title": "Open in catalog", "icon": "catalog", "entityRef": "${{ steps.register.output.entityRef }}" },
                        ],
                    },
                },
            });
            (
                PathBuf::from("templates").join(t.name).join("template.yaml"),
                entity,
            )
        })
        .collect()
}

const DESCRIPTOR: &str = r#"apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${{ values.name | dump }}
  description: ${{ values.description | dump }}
  annotations:
    github.com/project-slug: ${{ values.destination.owner + "/" + values.destination.repo }}
    backstage.io/kubernetes-id: ${{ values.name }}
    backstage.io/techdocs-ref: dir:.
  tags: [TAGS]
spec:
  type: KIND
  lifecycle: experimental
  owner: ${{ values.owner | dump }}
"#;

const WORKFLOW: &str = r#"name: CI
on:
  push:
    branches: [main]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: BUILD
  deploy-staging:
    needs: build
    runs-on: ubuntu-latest
    environment: staging
    steps:
      - run: kubectl apply -f k8s/ && kubectl set image deploy/${{ github.event.repository.name }} app=ghcr.io/${{ github.repository }}:${{ github.sha }}
  deploy-production:
    needs: deploy-staging
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: kubectl apply -f k8s/ && kubectl set image deploy/${{ github.event.repository.name }} app=ghcr.io/${{ github.repository }}:${{ github.sha }}
"#;

const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${{ values.name }}
  labels:
    app.kubernetes.io/name: ${{ values.name }}
    backstage.io/kubernetes-id: ${{ values.name }}
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: ${{ values.name }}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: ${{ values.name }}
        backstage.io/kubernetes-id: ${{ values.name }}
    spec:
      containers:
        - name: app
          image: ghcr.io/${{ values.destination.owner }}/${{ values.name }}:latest
PORTS"#;

const DOCS_INDEX: &str =
    "# ${{ values.name }}\n\n${{ values.description }}\n\nOwned by ${{ values.owner }}.\n";
const MKDOCS: &str = "site_name: ${{ values.name }}\nnav:\n  - Home: index.md\n";

/// The files of one template's skeleton, by path relative to the skeleton directory.
fn skeleton(name: &str) -> Vec<(String, String)> {
    let (kind, tags, build) = match name {
        "static-site" => ("website", "web", "npm ci && npm run build"),
        "worker" => ("service", "rust, worker", "cargo test --locked"),
        _ => ("service", "rust, http", "cargo test --locked"),
    };
    let ports = if name == "worker" {
        ""
    } else {
        "          ports:\n            - containerPort: 8080\n"
    };
    let mut files = vec![
        (
            "catalog-info.yaml".to_string(),
            DESCRIPTOR.replace("KIND", kind).replace("TAGS", tags),
        ),
        (
            ".github/workflows/ci.yml".into(),
            WORKFLOW.replace("BUILD", build),
        ),
        (
            "k8s/deployment.yaml".into(),
            DEPLOYMENT.replace("PORTS", ports),
        ),
        ("docs/index.md".into(), DOCS_INDEX.into()),
        ("mkdocs.yml".into(), MKDOCS.into()),
        (
            "README.md".into(),
            "# ${{ values.name }}\n\n${{ values.description }}\n".into(),
        ),
    ];
    match name {
        "static-site" => {
            files.push((
                "public/index.html".into(),
                "<!doctype html>\n<title>${{ values.name }}</title>\n<h1>${{ values.name }}</h1>\n<p>${{ values.description }}</p>\n".into(),
            ));
        }
        "worker" => {
            files.push(("Cargo.toml".into(), "[package]\nname = \"${{ values.name }}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n".into()));
            files.push(("src/main.rs".into(), "//! ${{ values.description }}\n\nfn main() {\n    println!(\"${{ values.name }}: waiting for work\");\n}\n".into()));
        }
        _ => {
            files.push(("Cargo.toml".into(), "[package]\nname = \"${{ values.name }}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\naxum = \"0.8\"\ntokio = { version = \"1\", features = [\"full\"] }\n".into()));
            files.push(("src/main.rs".into(), "//! ${{ values.description }}\n\n#[tokio::main]\nasync fn main() {\n    let app = axum::Router::new().route(\"/healthz\", axum::routing::get(|| async { \"ok\" }));\n    let listener = tokio::net::TcpListener::bind(\"0.0.0.0:8080\").await.expect(\"port 8080\");\n    axum::serve(listener, app).await.expect(\"serve\");\n}\n".into()));
            files.push(("k8s/service.yaml".into(), "apiVersion: v1\nkind: Service\nmetadata:\n  name: ${{ values.name }}\nspec:\n  selector:\n    app.kubernetes.io/name: ${{ values.name }}\n  ports:\n    - port: 80\n      targetPort: 8080\n".into()));
        }
    }
    files
}

/// Every template's skeleton files, by path relative to the sim's directory.
pub fn skeleton_files() -> Vec<(PathBuf, String)> {
    TEMPLATES
        .iter()
        .flat_map(|t| {
            skeleton(t.name).into_iter().map(|(rel, text)| {
                (
                    PathBuf::from("templates")
                        .join(t.name)
                        .join("skeleton")
                        .join(rel),
                    text,
                )
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Created repositories: Git objects as the Git Data API writes them.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct TreeEntry {
    pub path: String,
    pub mode: String,
    pub sha: String,
}

#[derive(Debug, Clone)]
pub struct Commit {
    pub sha: String,
    pub message: String,
    pub tree: String,
    pub parents: Vec<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Repo {
    pub owner: String,
    pub name: String,
    pub description: String,
    pub visibility: String,
    pub default_branch: String,
    pub created_at: DateTime<Utc>,
    pub blobs: HashMap<String, Vec<u8>>,
    pub trees: HashMap<String, Vec<TreeEntry>>,
    pub commits: HashMap<String, Commit>,
    /// `refs/heads/main` → commit SHA.
    pub refs: BTreeMap<String, String>,
    /// When the default branch last moved (a push), wall time.
    pub pushed_at: DateTime<Utc>,
}

/// A 40-hex object name, from the object's kind and content. Not git's SHA-1 (nothing here
/// checks objects against git), but as stable: the same content gets the same name.
pub fn object_sha(kind: &str, bytes: &[u8]) -> String {
    let text = format!("{kind} {}\0{}", bytes.len(), String::from_utf8_lossy(bytes));
    let a = hash_str(&text);
    let b = hash_str(&format!("{a:x}{text}"));
    let c = hash_str(&format!("{b:x}{text}"));
    format!("{a:016x}{b:016x}{:08x}", c >> 32)
}

impl Repo {
    pub fn new(
        owner: &str,
        name: &str,
        description: &str,
        visibility: &str,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            owner: owner.to_string(),
            name: name.to_string(),
            description: description.to_string(),
            visibility: visibility.to_string(),
            default_branch: "main".into(),
            created_at: now,
            blobs: HashMap::new(),
            trees: HashMap::new(),
            commits: HashMap::new(),
            refs: BTreeMap::new(),
            pushed_at: now,
        }
    }

    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    pub fn add_blob(&mut self, bytes: Vec<u8>) -> String {
        let sha = object_sha("blob", &bytes);
        self.blobs.insert(sha.clone(), bytes);
        sha
    }

    pub fn add_tree(&mut self, entries: Vec<TreeEntry>) -> String {
        let text: String = entries
            .iter()
            .map(|e| format!("{} {} {}\n", e.mode, e.path, e.sha))
            .collect();
        let sha = object_sha("tree", text.as_bytes());
        self.trees.insert(sha.clone(), entries);
        sha
    }

    pub fn add_commit(
        &mut self,
        message: &str,
        tree: &str,
        parents: Vec<String>,
        at: DateTime<Utc>,
    ) -> String {
        let text = format!(
            "{tree}\n{}\n{message}\n{}",
            parents.join(","),
            at.timestamp()
        );
        let sha = object_sha("commit", text.as_bytes());
        self.commits.insert(
            sha.clone(),
            Commit {
                sha: sha.clone(),
                message: message.to_string(),
                tree: tree.to_string(),
                parents,
                at,
            },
        );
        sha
    }

    /// The commit a ref or SHA names.
    pub fn resolve(&self, reference: &str) -> Option<&Commit> {
        let sha = self
            .refs
            .get(&format!("refs/heads/{reference}"))
            .or_else(|| self.refs.get(reference))
            .map_or(reference, String::as_str);
        self.commits.get(sha)
    }

    /// A file's bytes at a ref.
    pub fn file(&self, reference: &str, path: &str) -> Option<&[u8]> {
        let commit = self.resolve(reference)?;
        let entry = self
            .trees
            .get(&commit.tree)?
            .iter()
            .find(|e| e.path == path)?;
        self.blobs.get(&entry.sha).map(Vec::as_slice)
    }
}

/// Every repository created in this sim's life, by lower-case `owner/name`.
#[derive(Debug, Default)]
pub struct Created {
    pub repos: BTreeMap<String, Repo>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_read_back_at_its_branch() {
        let now = Utc::now();
        let mut r = Repo::new("acme", "billing", "", "private", now);
        let blob = r.add_blob(b"hello".to_vec());
        let tree = r.add_tree(vec![TreeEntry {
            path: "docs/index.md".into(),
            mode: "100644".into(),
            sha: blob,
        }]);
        let commit = r.add_commit("first", &tree, Vec::new(), now);
        r.refs.insert("refs/heads/main".into(), commit);
        assert_eq!(r.file("main", "docs/index.md"), Some(&b"hello"[..]));
        assert_eq!(r.file("main", "missing"), None);
        assert_eq!(object_sha("blob", b"x").len(), 40);
    }
}
