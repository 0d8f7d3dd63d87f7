//! Golden paths in the simulated organisation: three Software Templates with their skeletons
//! (a Rust HTTP service, a worker, a static site), and the repositories people create from them.
//! Unlike the seeded world, created repositories are state: the GitHub server writes them (Git
//! Data API) and the Backstage server reads their descriptors when a location is registered.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::Endpoints;
use super::ci::DEMO_USER;
use super::world::{
    CiHost, Commit as WorldCommit, RunKind, RunOutcome, ScheduledRun, Service, Trouble, World,
    hash_str,
};

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

/// The repository the platform team keeps its templates in, as organisations do: each
/// template's `template.yaml` beside its `skeleton/`, served through the contents API, so a
/// template registered by URL (`{github}/{org}/software-templates/blob/main/templates/NAME/
/// template.yaml`) has a skeleton that is read remotely.
pub const TEMPLATES_REPO: &str = "software-templates";

/// [`TEMPLATES_REPO`] with the same templates and skeletons as the sim's directory holds, one
/// commit on `main`.
pub fn templates_repo(world: &World, endpoints: &Endpoints, at: DateTime<Utc>) -> Repo {
    let mut r = Repo::new(
        &world.org,
        TEMPLATES_REPO,
        "The organisation's Software Templates",
        "internal",
        at,
    );
    let mut files: Vec<(String, Vec<u8>)> = templates(world, endpoints)
        .into_iter()
        .map(|(path, entity)| {
            let text = serde_norway::to_string(&entity).unwrap_or_default();
            (path.to_string_lossy().replace('\\', "/"), text.into_bytes())
        })
        .collect();
    files.extend(
        skeleton_files()
            .into_iter()
            .map(|(path, text)| (path.to_string_lossy().replace('\\', "/"), text.into_bytes())),
    );
    files.sort();
    let entries = files
        .into_iter()
        .map(|(path, bytes)| TreeEntry {
            path,
            mode: "100644".into(),
            sha: r.add_blob(bytes),
        })
        .collect();
    let tree = r.add_tree(entries);
    let commit = r.add_commit("The golden paths", &tree, Vec::new(), at);
    r.refs.insert("refs/heads/main".into(), commit);
    r
}

impl Created {
    /// What exists before anyone creates anything: the templates' repository.
    pub fn seeded(world: &World, endpoints: &Endpoints, at: DateTime<Utc>) -> Self {
        let r = templates_repo(world, endpoints, at);
        let mut created = Created::default();
        created.repos.insert(r.full_name().to_lowercase(), r);
        created
    }
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

/// Every repository created in this sim's life, by lower-case `owner/name`, and the services
/// their first push launched.
#[derive(Debug, Default)]
pub struct Created {
    pub repos: BTreeMap<String, Repo>,
    /// Projects created on the sim's GitLab (`POST /api/v4/projects`); project id
    /// [`GITLAB_PROJECT_IDS`] + position.
    pub projects: Vec<Repo>,
    pub launches: Vec<Launch>,
}

/// Created GitLab projects are numbered from here: past the world's (1000 + …).
pub const GITLAB_PROJECT_IDS: u64 = 50_000;

impl Created {
    /// A created GitLab project by numeric id or `namespace/path` (case-insensitive).
    pub fn project(&self, id: &str) -> Option<(u64, &Repo)> {
        self.projects
            .iter()
            .enumerate()
            .map(|(i, r)| (GITLAB_PROJECT_IDS + i as u64, r))
            .find(|(n, r)| n.to_string() == id || r.full_name().eq_ignore_ascii_case(id))
    }
}

// ---------------------------------------------------------------------------------------------
// Launches: a created repository's first push to its default branch makes it a service that
// lives like the others — a CI run, a deploy to staging then production, then pods. Everything
// about it follows from the push (story time, commit) and the files pushed, so the sim stays a
// function of seed, sim time and this state.
// ---------------------------------------------------------------------------------------------

/// Launched services get run ids from here on: past the world's (10e9 + …) and below the
/// dispatched ones (90e9).
pub const LAUNCH_IDS: u64 = 80_000_000_000;
/// From the push to the CI run's creation, and the run's phases (story time).
const CI_QUEUED: i64 = 8;
const CI_TAKES: i64 = 150;
const DEPLOY_AFTER_CI: i64 = 5;
const DEPLOY_TAKES: i64 = 120;

/// A service launched by the first push to a created repository.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The service as the GitHub server and the CI model read it. Launches live as long as the
    /// sim, and the servers hand out `&Service` as they do for the world's, so it is leaked once
    /// per launch (a few hundred bytes).
    pub service: &'static Service,
    /// Its position among launches: the base of its run ids.
    pub index: u64,
    /// The push, in story time.
    pub pushed: DateTime<Utc>,
    pub commit: WorldCommit,
    /// The Deployment the pushed manifest asks for.
    pub replicas: usize,
    pub labels: Vec<(String, String)>,
    pub selector: Vec<(String, String)>,
}

/// What the pushed `catalog-info.yaml` and `k8s/deployment.yaml` say the service is.
struct Pushed {
    owner: String,
    description: String,
    lifecycle: String,
    replicas: usize,
    labels: Vec<(String, String)>,
    selector: Vec<(String, String)>,
    port: u16,
}

fn string_map(v: Option<&serde_norway::Value>) -> Vec<(String, String)> {
    v.and_then(serde_norway::Value::as_mapping)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn read_pushed(repo: &Repo) -> Pushed {
    let yaml = |path: &str| -> Option<serde_norway::Value> {
        let bytes = repo.file(&repo.default_branch, path)?;
        serde_norway::from_slice(bytes).ok()
    };
    let descriptor = yaml("catalog-info.yaml");
    let text = |v: Option<&serde_norway::Value>| {
        v.and_then(serde_norway::Value::as_str).map(str::to_string)
    };
    let spec = descriptor.as_ref().and_then(|d| d.get("spec"));
    let manifest = yaml("k8s/deployment.yaml");
    let mspec = manifest.as_ref().and_then(|m| m.get("spec"));
    let name = repo.name.clone();
    let mut labels = string_map(
        mspec
            .and_then(|s| s.get("template"))
            .and_then(|t| t.get("metadata"))
            .and_then(|m| m.get("labels")),
    );
    // The cockpit finds pods by the descriptor's kubernetes-id; a manifest that forgot the label
    // still gets the name-based ones, so the service is never invisible.
    if labels.is_empty() {
        labels = vec![
            ("app.kubernetes.io/name".into(), name.clone()),
            ("backstage.io/kubernetes-id".into(), name.clone()),
        ];
    }
    let mut selector = string_map(
        mspec
            .and_then(|s| s.get("selector"))
            .and_then(|s| s.get("matchLabels")),
    );
    if selector.is_empty() {
        selector = labels.clone();
    }
    let port = mspec
        .and_then(|s| s.get("template"))
        .and_then(|t| t.get("spec"))
        .and_then(|s| s.get("containers"))
        .and_then(|c| c.get(0))
        .and_then(|c| c.get("ports"))
        .and_then(|p| p.get(0))
        .and_then(|p| p.get("containerPort"))
        .and_then(serde_norway::Value::as_u64)
        .and_then(|p| u16::try_from(p).ok())
        .unwrap_or(8080);
    Pushed {
        owner: text(spec.and_then(|s| s.get("owner"))).unwrap_or_else(|| "unowned".into()),
        description: text(
            descriptor
                .as_ref()
                .and_then(|d| d.get("metadata"))
                .and_then(|m| m.get("description")),
        )
        .unwrap_or_else(|| repo.description.clone()),
        lifecycle: text(spec.and_then(|s| s.get("lifecycle")))
            .unwrap_or_else(|| "experimental".into()),
        replicas: mspec
            .and_then(|s| s.get("replicas"))
            .and_then(serde_norway::Value::as_u64)
            .map_or(1, |n| n.clamp(1, 20) as usize),
        labels,
        selector,
        port,
    }
}

impl Created {
    /// Records the launch of `key`'s repository at its current default-branch commit, unless it
    /// launched already (later pushes do not start runs here). `now` is story time.
    pub fn launch(&mut self, key: &str, now: DateTime<Utc>) -> Option<&Launch> {
        let repo = self.repos.get(key)?.clone();
        self.launch_repo(&repo, CiHost::Github, 0, now)
    }

    /// As [`Created::launch`], for a created GitLab project: its pipelines deploy it.
    pub fn launch_project(&mut self, id: u64, now: DateTime<Utc>) -> Option<&Launch> {
        let (id, repo) = self.project(&id.to_string())?;
        let repo = repo.clone();
        self.launch_repo(&repo, CiHost::Gitlab, id, now)
    }

    fn launch_repo(
        &mut self,
        repo: &Repo,
        ci: CiHost,
        project_id: u64,
        now: DateTime<Utc>,
    ) -> Option<&Launch> {
        let full = repo.full_name();
        if let Some(i) = self
            .launches
            .iter()
            .position(|l| l.service.repo.eq_ignore_ascii_case(&full))
        {
            return self.launches.get(i);
        }
        let head = repo.resolve(&repo.default_branch)?;
        let pushed = read_pushed(repo);
        let language = if repo.file(&repo.default_branch, "Cargo.toml").is_some() {
            "rust"
        } else {
            "typescript"
        };
        let service = Service {
            name: repo.name.clone(),
            description: pushed.description,
            system: String::new(),
            owner: pushed.owner,
            lifecycle: pushed.lifecycle,
            language: language.into(),
            repo: full,
            ci,
            project_id,
            // The manifests name no namespace: `kubectl apply` puts them in the default one.
            namespace: "default".into(),
            replicas: pushed.replicas,
            depends_on: Vec::new(),
            provides_api: None,
            consumes_apis: Vec::new(),
            resources: Vec::new(),
            trouble: Trouble::None,
            incident: false,
            container_port: pushed.port,
        };
        let commit = WorldCommit {
            sha: head.sha.clone(),
            message: head.message.clone(),
            author: DEMO_USER.into(),
            at: now,
        };
        let index = self.launches.len() as u64;
        self.launches.push(Launch {
            service: Box::leak(Box::new(service)),
            index,
            pushed: now,
            commit,
            replicas: pushed.replicas,
            labels: pushed.labels,
            selector: pushed.selector,
        });
        self.launches.last()
    }

    /// The launched service behind `owner/repo`.
    pub fn launched(&self, full: &str) -> Option<&Launch> {
        self.launches
            .iter()
            .find(|l| l.service.ci == CiHost::Github && l.service.repo.eq_ignore_ascii_case(full))
    }

    /// The launched GitLab service with this project id or `namespace/path`.
    pub fn launched_project(&self, id: &str) -> Option<&Launch> {
        self.launches.iter().find(|l| {
            l.service.ci == CiHost::Gitlab
                && (l.service.project_id.to_string() == id
                    || l.service.repo.eq_ignore_ascii_case(id))
        })
    }
}

impl Launch {
    /// Its CI run and its deploy run (staging, then production), as far as they exist at `now`.
    pub fn runs(&self, now: DateTime<Utc>) -> Vec<ScheduledRun> {
        let ci_created = self.pushed + Duration::seconds(CI_QUEUED);
        let ci_started = ci_created + Duration::seconds(6);
        let ci_finished = ci_started + Duration::seconds(CI_TAKES);
        let deploy_created = ci_finished + Duration::seconds(DEPLOY_AFTER_CI);
        let deploy_started = deploy_created + Duration::seconds(4);
        let run = |n: u64, kind, created, started, finished, environments| ScheduledRun {
            id: LAUNCH_IDS + self.index * 10 + n,
            service: self.service.name.clone(),
            kind,
            number: 1,
            commit: self.commit.clone(),
            actor: DEMO_USER.into(),
            created,
            started,
            finished,
            outcome: RunOutcome::Success,
            environments,
            failing_job: None,
            pull: None,
        };
        [
            run(0, RunKind::Ci, ci_created, ci_started, ci_finished, vec![]),
            run(
                1,
                RunKind::Deploy,
                deploy_created,
                deploy_started,
                deploy_started + Duration::seconds(DEPLOY_TAKES),
                vec!["staging", "production"],
            ),
        ]
        .into_iter()
        .filter(|r| r.created <= now)
        .collect()
    }

    /// When the production deployment succeeds and the cluster gets the Deployment: the end of
    /// the deploy run (its last job is production's).
    pub fn live_at(&self) -> DateTime<Utc> {
        self.runs(DateTime::<Utc>::MAX_UTC)
            .iter()
            .map(|r| r.finished)
            .max()
            .unwrap_or(self.pushed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_templates_repository_holds_each_template_beside_its_skeleton() {
        let world = World::new(crate::SimConfig::default());
        let at = |port: u16| format!("http://127.0.0.1:{port}");
        let endpoints = Endpoints {
            github: at(1),
            gitlab: at(2),
            kubernetes: at(3),
            alertmanager: at(4),
            backstage: at(5),
            metrics: at(6),
            jira: at(7),
            pagerduty: at(8),
            kubernetes_west: None,
        };
        let r = templates_repo(&world, &endpoints, Utc::now());
        let yaml = r
            .file("main", "templates/worker/template.yaml")
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let entity: Value = serde_norway::from_str(&yaml).expect("the template is YAML");
        assert_eq!(entity["metadata"]["name"], "worker");
        assert_eq!(entity["spec"]["steps"][0]["input"]["url"], "./skeleton");
        assert!(
            r.file("main", "templates/worker/skeleton/catalog-info.yaml")
                .is_some()
        );
    }

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

    fn pushed_repo(now: DateTime<Utc>) -> Created {
        let mut r = Repo::new("acme", "billing", "Bills", "private", now);
        let mut entries = Vec::new();
        for (path, text) in [
            (
                "catalog-info.yaml",
                "metadata:\n  name: billing\n  description: Bills customers\nspec:\n  owner: team-payments\n  lifecycle: experimental\n",
            ),
            (
                "k8s/deployment.yaml",
                "spec:\n  replicas: 3\n  selector:\n    matchLabels: { app.kubernetes.io/name: billing }\n  template:\n    metadata:\n      labels: { app.kubernetes.io/name: billing, backstage.io/kubernetes-id: billing }\n    spec:\n      containers:\n        - name: app\n          ports: [{ containerPort: 9000 }]\n",
            ),
        ] {
            let sha = r.add_blob(text.as_bytes().to_vec());
            entries.push(TreeEntry {
                path: path.into(),
                mode: "100644".into(),
                sha,
            });
        }
        let tree = r.add_tree(entries);
        let commit = r.add_commit("first", &tree, Vec::new(), now);
        r.refs.insert("refs/heads/main".into(), commit);
        let mut created = Created::default();
        created.repos.insert("acme/billing".into(), r);
        created
    }

    #[test]
    fn a_push_launches_ci_then_staging_then_production_once() {
        let at = crate::world::epoch();
        let mut created = pushed_repo(at);
        let launch = created
            .launch("acme/billing", at)
            .expect("launched")
            .clone();
        assert_eq!(launch.service.owner, "team-payments");
        assert_eq!(launch.service.description, "Bills customers");
        assert_eq!((launch.replicas, launch.service.container_port), (3, 9000));
        assert!(
            launch
                .labels
                .contains(&("backstage.io/kubernetes-id".into(), "billing".into()))
        );
        // Nothing before the push's CI run is queued; then CI, then the deploy run.
        assert!(launch.runs(at).is_empty());
        let all = launch.runs(DateTime::<Utc>::MAX_UTC);
        assert_eq!(all.len(), 2);
        let (ci, deploy) = (&all[0], &all[1]);
        assert_eq!((ci.kind, deploy.kind), (RunKind::Ci, RunKind::Deploy));
        assert!(deploy.created > ci.finished);
        assert_eq!(deploy.environments, ["staging", "production"]);
        assert_eq!(launch.live_at(), deploy.finished);
        assert!(launch.live_at() - at < Duration::minutes(6));
        assert!(ci.id >= LAUNCH_IDS && deploy.id < crate::ci::DISPATCHED_IDS);
        // A second push does not launch it again.
        let again = created.launch("acme/billing", at + Duration::minutes(1));
        assert_eq!(again.map(|l| l.pushed), Some(at));
        assert_eq!(created.launches.len(), 1);
        assert!(created.launched("ACME/Billing").is_some());
    }
}
