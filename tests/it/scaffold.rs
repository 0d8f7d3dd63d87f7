//! Golden paths: real Backstage templates decode (and name what cannot run), real skeletons
//! render with the engine, and `flightdeck new` against the sim creates the repository with
//! its rendered files and registers it — or refuses before anything exists.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::{fixtures_dir, kubectl};
use flightdeck::scaffolder::engine::Engine;
use flightdeck::scaffolder::load::{self, Templates};
use flightdeck::scaffolder::run::{self, Targets};
use flightdeck::scaffolder::skeleton::{self, Workspace};
use flightdeck_core::wire::base64;
use flightdeck_sim::{Sim, SimConfig};

fn template_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a fixture dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            template_files(&p, out);
        } else if p.file_name().is_some_and(|n| n == "template.yaml") {
            out.push(p);
        }
    }
}

#[test]
fn every_fixture_template_decodes_and_names_what_it_cannot_run() {
    let Some(fixtures) = fixtures_dir() else {
        return;
    };
    let mut files = Vec::new();
    template_files(&fixtures.join("backstage/templates"), &mut files);
    assert!(files.len() >= 10, "{} template files", files.len());
    let mut all = Templates::default();
    for f in &files {
        load::from_file(f, &mut all);
    }
    assert_eq!(all.problems, Vec::<String>::new());
    assert_eq!(all.list.len(), files.len());
    let unsupported: Vec<String> = all
        .list
        .iter()
        .flat_map(|s| s.template.unsupported())
        .collect();
    for action in [
        "fetch:cookiecutter",
        "fetch:rails",
        "publish:github:pull-request",
    ] {
        assert!(
            unsupported.iter().any(|u| u.contains(action)),
            "{action} is named: {unsupported:?}"
        );
    }
    let react = all.find("react-ssr-template").expect("react-ssr-template");
    assert!(react.template.unsupported().is_empty());
    assert_eq!(react.template.pages.len(), 2);
    // A pattern with its help, as a form shows it.
    let with_pattern = all
        .list
        .iter()
        .flat_map(|s| s.template.fields())
        .find(|f| f.pattern.is_some() && f.help.is_some())
        .expect("a field with pattern and ui:help");
    let err = with_pattern.check("Not Valid!").expect_err("refused");
    assert!(err.starts_with("does not match"), "{err}");
}

#[test]
fn a_real_skeleton_renders_to_a_valid_descriptor() {
    let Some(fixtures) = fixtures_dir() else {
        return;
    };
    let dir = fixtures
        .join("backstage/templates/backstage+software-templates/scaffolder-templates/react-ssr-template/skeleton");
    let files = skeleton::read_dir(&dir).expect("the skeleton reads");
    let engine = Engine::new().expect("engine");
    let values = json!({
        "component_id": "shop-web",
        "description": "The shop's front",
        "owner": "team-storefront",
        "destination": { "host": "github.com", "owner": "acme", "repo": "shop-web" },
    });
    let mut ws = Workspace::new();
    skeleton::render_into(
        &engine,
        &files,
        &values,
        &skeleton::Options::default(),
        &mut ws,
    )
    .expect("renders");
    let text = String::from_utf8_lossy(&ws["catalog-info.yaml"]).into_owned();
    let v: Value = serde_norway::from_str(&text).expect("valid YAML once rendered");
    assert_eq!(v["metadata"]["name"], "shop-web");
    assert_eq!(v["metadata"]["description"], "The shop's front");
    assert_eq!(
        v["metadata"]["annotations"]["github.com/project-slug"],
        "acme/shop-web"
    );
    assert_eq!(v["spec"]["owner"], "team-storefront");
}

async fn new_bin(config: &Path, args: &[&str]) -> (i32, String, String) {
    flightdeck_bin(config, "new", args).await
}

async fn flightdeck_bin(config: &Path, command: &str, args: &[&str]) -> (i32, String, String) {
    let home = tempfile::tempdir().expect("a temp dir");
    flightdeck_bin_in(home.path(), config, command, args).await
}

/// As `flightdeck_bin`, with a HOME that outlives the call (its cache keeps a failed run).
async fn flightdeck_bin_in(
    home: &Path,
    config: &Path,
    command: &str,
    args: &[&str],
) -> (i32, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .arg("--config")
        .arg(config)
        .arg(command)
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env_remove("FLIGHTDECK_CONFIG")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub(crate) async fn get(url: &str) -> (u16, Value) {
    let r = flightdeck::providers::http::client(std::time::Duration::from_secs(10))
        .expect("a client")
        .get(url)
        .bearer_auth("flightdeck-sim-token")
        .send()
        .await
        .expect("an answer");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn file(sim: &Sim, repo: &str, path: &str) -> String {
    let (status, v) = get(&format!(
        "{}/repos/{repo}/contents/{path}?ref=main",
        sim.endpoints().github
    ))
    .await;
    assert_eq!(status, 200, "{path}");
    let bytes = base64::decode(v["content"].as_str().unwrap_or_default()).expect("base64");
    String::from_utf8(bytes).expect("utf-8")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_creates_the_repository_and_registers_it_or_refuses_before_anything() {
    let sim = Sim::start(SimConfig {
        speed: 0.0,
        ..Default::default()
    })
    .await
    .expect("the sim starts");
    let config = sim.flightdeck_config();
    let org = sim.shared.world.org.clone();
    let owner = sim.shared.world.teams[0].name.clone();
    let gh = sim.endpoints().github.clone();

    let (code, out, err) = new_bin(&config, &["--list"]).await;
    assert_eq!(
        (code, out.as_str()),
        (0, "rust-service\nstatic-site\nworker\n"),
        "{err}"
    );

    // A name failing its pattern: refused, nothing created.
    let (code, _, err) = new_bin(
        &config,
        &[
            "rust-service",
            "--value",
            "name=Billing_API",
            "--value",
            &format!("owner={owner}"),
            "--value",
            "description=Bills",
            "--yes",
        ],
    )
    .await;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("name: does not match ^[a-z][a-z0-9-]*$"),
        "{err}"
    );
    assert!(err.contains("nothing was created"), "{err}");
    assert_eq!(get(&format!("{gh}/repos/{org}/Billing_API")).await.0, 404);

    // A dry run shows the files and creates nothing.
    let values = [
        "--value",
        "name=billing-api",
        "--value",
        &format!("owner={owner}"),
        "--value",
        "description=Bills customers",
    ];
    let mut args = vec!["rust-service"];
    args.extend(values);
    args.push("--dry-run");
    let (code, out, err) = new_bin(&config, &args).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("k8s/\n") || out.contains("  k8s/"), "{out}");
    assert!(out.contains("dry run: nothing was created"), "{out}");
    assert_eq!(get(&format!("{gh}/repos/{org}/billing-api")).await.0, 404);

    // The real run.
    args.pop();
    args.push("--yes");
    let (code, out, err) = new_bin(&config, &args).await;
    assert_eq!(code, 0, "{out}\n{err}");
    for step in [
        "[1/4] Fetch the skeleton",
        "[2/4] Publish to GitHub",
        "[3/4] Register in the catalog",
        "[4/4] Say where it is",
        "as component:default/billing-api\n",
        "Open in catalog: component:default/billing-api\n",
    ] {
        assert!(out.contains(step), "{step}: {out}");
    }
    let (status, repo) = get(&format!("{gh}/repos/{org}/billing-api")).await;
    assert_eq!(status, 200);
    assert_eq!(repo["default_branch"], "main");
    assert_eq!(repo["description"], "Bills customers");
    let descriptor = file(&sim, &format!("{org}/billing-api"), "catalog-info.yaml").await;
    let d: Value = serde_norway::from_str(&descriptor).expect("YAML");
    assert_eq!(d["metadata"]["name"], "billing-api");
    assert_eq!(d["spec"]["owner"], owner.as_str());
    assert_eq!(
        d["metadata"]["annotations"]["github.com/project-slug"],
        format!("{org}/billing-api")
    );
    assert_eq!(
        d["metadata"]["annotations"]["backstage.io/source-template"],
        "template:default/rust-service"
    );
    assert!(d["metadata"]["annotations"]["flightdeck.dev/created-at"].is_string());
    // Workflows are copied without rendering: GitHub's own expressions stay.
    let workflow = file(
        &sim,
        &format!("{org}/billing-api"),
        ".github/workflows/ci.yml",
    )
    .await;
    assert!(workflow.contains("${{ github.sha }}"), "{workflow}");
    let main = file(&sim, &format!("{org}/billing-api"), "src/main.rs").await;
    assert!(main.starts_with("//! Bills customers\n"), "{main}");

    let (status, entity) = get(&format!(
        "{}/api/catalog/entities/by-name/component/default/billing-api",
        sim.endpoints().backstage
    ))
    .await;
    assert_eq!(status, 200, "registered in the catalog");
    assert_eq!(entity["spec"]["owner"], owner.as_str());
    assert!(
        entity["metadata"]["annotations"]["backstage.io/managed-by-location"]
            .as_str()
            .is_some_and(|l| l.ends_with("/billing-api/blob/main/catalog-info.yaml")),
        "{entity}"
    );

    // The same name again: refused before anything, since the repository exists.
    let (code, _, err) = new_bin(&config, &args).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("exists already"), "{err}");
}

/// Done when (remote skeletons): a template the catalog holds at a GitHub URL — the sim's
/// Backstage registers its templates from the templates repository by URL — runs, its skeleton
/// read through the contents API of that repository at that ref, and the service it makes has
/// the rendered files. The config has no catalog files, so the templates are the Backstage
/// API's only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_registered_by_url_renders_its_remote_skeleton() {
    let sim = Sim::start(SimConfig {
        speed: 0.0,
        ..Default::default()
    })
    .await
    .expect("the sim starts");
    let org = sim.shared.world.org.clone();
    let owner = sim.shared.world.teams[0].name.clone();
    let gh = sim.endpoints().github.clone();
    let text = std::fs::read_to_string(sim.flightdeck_config()).expect("the sim's config");
    let start = text.find("paths = [").expect("catalog paths");
    let end = start + text[start..].find(']').expect("their end");
    let text = format!("{}paths = []{}", &text[..start], &text[end + 1..]);
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, text).expect("written");

    let (status, entity) = get(&format!(
        "{}/api/catalog/entities/by-name/template/default/worker",
        sim.endpoints().backstage
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        entity["metadata"]["annotations"]["backstage.io/managed-by-location"],
        format!(
            "url:{gh}/{org}/{}/blob/main/templates/worker/template.yaml",
            flightdeck_sim::scaffold::TEMPLATES_REPO
        )
    );
    let (code, out, err) = new_bin(&config, &["--list"]).await;
    assert_eq!(
        (code, out.as_str()),
        (0, "rust-service\nstatic-site\nworker\n"),
        "{err}"
    );

    let contents_before = contents_reads(&sim).await;
    let (code, out, err) = new_bin(
        &config,
        &[
            "worker",
            "--value",
            "name=ledger-worker",
            "--value",
            &format!("owner={owner}"),
            "--value",
            "description=Posts the ledger",
            "--yes",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    // The dry run of the review and the run each read the skeleton.
    assert!(out.contains("files from ./skeleton"), "{out}");
    let reads = contents_reads(&sim).await - contents_before;
    let files = flightdeck_sim::scaffold::skeleton_files()
        .iter()
        .filter(|(p, _)| p.starts_with("templates/worker"))
        .count();
    assert!(
        reads >= 2 * files as u64,
        "{reads} contents reads for {files} files, twice"
    );
    eprintln!("remote skeleton: {reads} contents reads for {files} files, review and run");
    let main = file(&sim, &format!("{org}/ledger-worker"), "src/main.rs").await;
    assert!(main.starts_with("//! Posts the ledger\n"), "{main}");
    assert!(main.contains("ledger-worker: waiting for work"), "{main}");
    let descriptor = file(&sim, &format!("{org}/ledger-worker"), "catalog-info.yaml").await;
    let d: Value = serde_norway::from_str(&descriptor).expect("YAML");
    assert_eq!(
        d["metadata"]["annotations"]["backstage.io/source-template"],
        "template:default/worker"
    );
}

/// `publish:gitlab` against the sim: the project is created in the org's group, the files are
/// in one commit, `catalog:register` registers its descriptor from the project's URL, and the
/// first commit starts a pipeline that deploys to staging and production, as GitHub's push does,
/// and kubectl sees its pod ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_gitlab_creates_the_project_and_its_pipeline_deploys() {
    let sim = Sim::start(SimConfig {
        speed: 60.0,
        ..Default::default()
    })
    .await
    .expect("the sim starts");
    let org = sim.shared.world.org.clone();
    let owner = sim.shared.world.teams[0].name.clone();
    let gl = sim.endpoints().gitlab.clone();
    let gl_host = gl
        .split_once("://")
        .map_or(gl.as_str(), |(_, h)| h)
        .trim_end_matches('/')
        .to_string();
    let dir = tempfile::tempdir().expect("a temp dir");
    let skeleton = dir.path().join("skeleton");
    for (path, text) in [
        (
            "catalog-info.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${{ values.name }}\n  annotations:\n    gitlab.com/project-slug: ${{ values.slug }}\nspec:\n  type: service\n  lifecycle: experimental\n  owner: ${{ values.owner }}\n",
        ),
        (
            "k8s/deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${{ values.name }}\nspec:\n  replicas: 1\n",
        ),
        ("README.md", "# ${{ values.name }}\n"),
    ] {
        let p = skeleton.join(path);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("dirs");
        std::fs::write(p, text).expect("written");
    }
    let template = format!(
        r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: gitlab-service
spec:
  owner: {owner}
  parameters:
    - required: [name]
      properties:
        name: {{ type: string, pattern: "^[a-z][a-z0-9-]*$" }}
  steps:
    - id: fetch
      action: fetch:template
      input:
        url: ./skeleton
        values:
          name: ${{{{ parameters.name }}}}
          owner: {owner}
          slug: {org}/${{{{ parameters.name }}}}
    - id: publish
      action: publish:gitlab
      input:
        repoUrl: {gl_host}?owner={org}&repo=${{{{ parameters.name }}}}
        description: Made on GitLab
    - id: register
      action: catalog:register
      input:
        repoContentsUrl: ${{{{ steps.publish.output.repoContentsUrl }}}}
        catalogInfoPath: /catalog-info.yaml
"#
    );
    std::fs::write(dir.path().join("template.yaml"), template).expect("written");
    let text = std::fs::read_to_string(sim.flightdeck_config()).expect("the sim's config");
    let start = text.find("paths = [").expect("catalog paths");
    let end = start + text[start..].find(']').expect("their end");
    let text = format!(
        "{}paths = [{:?}]{}",
        &text[..start],
        dir.path().join("template.yaml").display().to_string(),
        &text[end + 1..]
    );
    let config = dir.path().join("config.toml");
    std::fs::write(&config, text).expect("written");

    let args = ["gitlab-service", "--value", "name=ledger-gl", "--yes"];
    let (code, out, err) = new_bin(&config, &args).await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("[2/3]"), "{out}");
    let project = format!("{org}/ledger-gl");
    let (status, p) = get(&format!(
        "{gl}/api/v4/projects/{}",
        flightdeck_core::wire::percent_encode(&project)
    ))
    .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["path_with_namespace"], project.as_str());
    assert_eq!(p["description"], "Made on GitLab");
    let id = p["id"].as_u64().expect("a project id");
    let readme = flightdeck::providers::http::client(std::time::Duration::from_secs(10))
        .expect("a client")
        .get(format!(
            "{gl}/api/v4/projects/{id}/repository/files/README.md/raw?ref=main"
        ))
        .send()
        .await
        .expect("an answer")
        .text()
        .await
        .unwrap_or_default();
    assert_eq!(readme, "# ledger-gl\n");
    let (status, entity) = get(&format!(
        "{}/api/catalog/entities/by-name/component/default/ledger-gl",
        sim.endpoints().backstage
    ))
    .await;
    assert_eq!(status, 200, "registered from the project's URL: {entity}");
    assert_eq!(
        entity["metadata"]["annotations"]["backstage.io/source-template"],
        "template:default/gitlab-service"
    );
    // The first commit is a push: a pipeline runs, and its deploy reaches production.
    let deployments = eventually(
        "the pipeline deploys to production",
        std::time::Duration::from_secs(60),
        async || {
            let (status, v) = get(&format!("{gl}/api/v4/projects/{id}/deployments")).await;
            let envs: Vec<String> = v
                .as_array()
                .into_iter()
                .flatten()
                .filter(|d| d["status"] == "success")
                .filter_map(|d| d["environment"]["name"].as_str().map(str::to_string))
                .collect();
            if envs.iter().any(|e| e == "production") {
                Ok(envs)
            } else {
                Err(format!("{status} {v}"))
            }
        },
    )
    .await;
    assert!(
        deployments.iter().any(|e| e == "staging"),
        "{deployments:?}"
    );
    // Then the cluster runs it, as kubectl sees it.
    if let Some(kubectl) = kubectl() {
        let cache = tempfile::tempdir().expect("a cache dir");
        eventually(
            "its pod is ready",
            std::time::Duration::from_secs(60),
            async || {
                let out = tokio::process::Command::new(kubectl)
                    .arg("--kubeconfig")
                    .arg(sim.kubeconfig())
                    .arg("--cache-dir")
                    .arg(cache.path())
                    .args([
                        "get",
                        "pods",
                        "-A",
                        "-l",
                        "backstage.io/kubernetes-id=ledger-gl",
                        "-o",
                        "json",
                    ])
                    .output()
                    .await
                    .map_err(|e| e.to_string())?;
                let v: Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
                let ready = v["items"].as_array().is_some_and(|items| {
                    items.len() == 1
                        && items[0]["status"]["conditions"]
                            .as_array()
                            .is_some_and(|c| {
                                c.iter()
                                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
                            })
                });
                if ready {
                    Ok(())
                } else {
                    Err(format!("{} {v}", String::from_utf8_lossy(&out.stderr)))
                }
            },
        )
        .await;
    }
    // The same name again is refused before anything runs.
    let (code, _, err) = new_bin(&config, &args).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("exists already"), "{err}");
}

/// The road's last stage with the real thing: Debian's `prometheus` scrapes the sim, and once a
/// service made with `flightdeck new` runs, the scaffolder's watch finds its first series —
/// while a name nothing was made for finds none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_services_first_metrics_are_found_in_real_prometheus() {
    let sim = Sim::start(SimConfig {
        speed: 60.0,
        ..Default::default()
    })
    .await
    .expect("the sim starts");
    let Some(prom) = crate::prometheus_real::RealProm::start(&sim, None) else {
        return;
    };
    let source = flightdeck::config::PrometheusSource {
        name: "real".into(),
        url: prom.url.clone(),
        token_env: None,
        token_command: None,
        basic_auth_user: None,
        basic_auth_password_env: None,
        scrape_interval_secs: 1,
        service_label: "service".into(),
        queries: Default::default(),
    };
    let owner = sim.shared.world.teams[0].name.clone();
    let (code, out, err) = new_bin(
        &sim.flightdeck_config(),
        &[
            "worker",
            "--value",
            "name=audit-worker",
            "--value",
            &format!("owner={owner}"),
            "--value",
            "description=Audits",
            "--yes",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    let watch = std::time::Duration::from_secs(90);
    let found = flightdeck::scaffolder::provider::first_monitoring(&source, "audit-worker", watch)
        .await
        .expect("its series within the watch");
    assert!(found.contains("{service=\"audit-worker\"}"), "{found}");
    let none = flightdeck::scaffolder::provider::first_monitoring(
        &source,
        "never-made",
        std::time::Duration::from_secs(2),
    )
    .await;
    assert_eq!(none, None);
}

/// Requests the sim's GitHub answered on a contents path so far.
async fn contents_reads(sim: &Sim) -> u64 {
    let (_, stats) = get(&format!("{}/_sim/stats", sim.endpoints().github)).await;
    stats
        .as_array()
        .into_iter()
        .flatten()
        .filter(|row| row["method"] == "GET")
        .filter(|row| {
            row["endpoint"]
                .as_str()
                .is_some_and(|e| e.contains("/contents/"))
        })
        .filter_map(|row| row["count"].as_u64())
        .sum()
}

#[tokio::test]
async fn an_unsupported_action_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("template.yaml");
    std::fs::write(
        &path,
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: pr-only\n\
         spec:\n  parameters:\n    properties:\n      name: { type: string }\n  steps:\n\
         \x20   - id: log\n      action: debug:log\n      input: { message: hi }\n\
         \x20   - id: pr\n      action: publish:gitlab:merge-request\n",
    )
    .expect("written");
    let mut t = Templates::default();
    load::from_file(&path, &mut t);
    let source = t.find("pr-only").expect("decoded");
    let errors =
        match run::preflight(source, &[], &Targets::default(), chrono::Utc::now(), None).await {
            Ok(_) => panic!("must be refused"),
            Err(e) => e,
        };
    assert_eq!(
        errors,
        vec![
            "step pr (publish:gitlab:merge-request): this action is not supported, so nothing would be created"
        ]
    );
}

/// Waits for `check` to give a value, polling, up to `deadline` of wall time; the last answer
/// it saw is in the panic.
async fn eventually<T>(
    what: &str,
    deadline: std::time::Duration,
    mut check: impl AsyncFnMut() -> Result<T, String>,
) -> T {
    let until = std::time::Instant::now() + deadline;
    loop {
        match check().await {
            Ok(v) => return v,
            Err(last) if std::time::Instant::now() > until => {
                panic!("{what}: not within {deadline:?}; last: {last}")
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
        }
    }
}

/// The golden path's far end: a service created with `flightdeck new` is pushed, its CI run
/// succeeds and deploys to staging then production, and its pods appear in the cluster, ready —
/// as the GitHub API, kubectl and `flightdeck status` tell it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_service_reaches_production_with_ready_pods() {
    // One story minute a wall second: the whole path (about five story minutes) in seconds.
    let sim = Sim::start(SimConfig {
        speed: 60.0,
        ..Default::default()
    })
    .await
    .expect("the sim starts");
    let config = sim.flightdeck_config();
    let org = sim.shared.world.org.clone();
    let owner = sim.shared.world.teams[1].name.clone();
    let gh = sim.endpoints().github.clone();
    let name = "invoice-api";
    let started = sim.shared.story_now();
    let (code, out, err) = new_bin(
        &config,
        &[
            "rust-service",
            "--value",
            &format!("name={name}"),
            "--value",
            &format!("owner={owner}"),
            "--value",
            "description=Sends invoices",
            "--yes",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    let repo = format!("{org}/{name}");

    // The push started CI; it succeeds, then the deploy run goes to staging and production.
    let runs = eventually(
        "both runs complete",
        std::time::Duration::from_secs(60),
        async || {
            let (status, v) = get(&format!("{gh}/repos/{repo}/actions/runs")).await;
            let runs = v["workflow_runs"].as_array().cloned().unwrap_or_default();
            let done =
                status == 200 && runs.len() == 2 && runs.iter().all(|r| r["status"] == "completed");
            if done {
                Ok(runs)
            } else {
                Err(format!("{status} {v}"))
            }
        },
    )
    .await;
    for r in &runs {
        assert_eq!(r["conclusion"], "success", "{r}");
        assert_eq!(r["event"], "push", "{r}");
        assert_eq!(r["repository"]["full_name"], repo.as_str(), "{r}");
    }
    let (_, deployments) = get(&format!("{gh}/repos/{repo}/deployments")).await;
    let envs: Vec<&str> = deployments
        .as_array()
        .map(|a| a.iter().filter_map(|d| d["environment"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        envs,
        ["production", "staging"],
        "newest first: {deployments}"
    );
    let prod = deployments[0]["id"].as_u64().expect("a deployment id");
    let (_, statuses) = get(&format!("{gh}/repos/{repo}/deployments/{prod}/statuses")).await;
    assert_eq!(statuses[0]["state"], "success", "{statuses}");
    let (_, jobs) = get(&format!(
        "{gh}/repos/{repo}/actions/runs/{}/jobs",
        runs[0]["id"]
    ))
    .await;
    assert!(
        jobs["jobs"]
            .as_array()
            .is_some_and(|j| j.iter().any(|j| j["name"] == "deploy (production)")),
        "{jobs}"
    );
    // The CI run builds it with its own toolchain, and its log says so.
    let (_, ci_jobs) = get(&format!(
        "{gh}/repos/{repo}/actions/runs/{}/jobs",
        runs[1]["id"]
    ))
    .await;
    let build = ci_jobs["jobs"]
        .as_array()
        .and_then(|j| j.iter().find(|j| j["name"] == "build"))
        .cloned()
        .unwrap_or_default();
    let log = flightdeck::providers::http::client(std::time::Duration::from_secs(10))
        .expect("a client")
        .get(format!(
            "{gh}/repos/{repo}/actions/jobs/{}/logs",
            build["id"]
        ))
        .bearer_auth("flightdeck-sim-token")
        .send()
        .await
        .expect("an answer")
        .text()
        .await
        .unwrap_or_default();
    assert!(
        log.contains("cargo build --release --locked"),
        "{build}\n{log}"
    );
    // Within a few story minutes of the request.
    let took = sim.shared.story_now() - started;
    assert!(took < chrono::Duration::minutes(10), "{took}");
    // Once it runs, the sim's /metrics has its series, as Prometheus would scrape them: what
    // the Create screen's "first metrics" stage waits for.
    let metrics = sim.endpoints().metrics.clone();
    eventually(
        "its series on /metrics",
        std::time::Duration::from_secs(60),
        async || {
            let text = flightdeck::providers::http::client(std::time::Duration::from_secs(10))
                .map_err(|e| e.to_string())?
                .get(format!("{}/metrics", metrics.trim_end_matches('/')))
                .send()
                .await
                .map_err(|e| e.to_string())?
                .text()
                .await
                .map_err(|e| e.to_string())?;
            if text.contains(&format!("http_requests_total{{service=\"{name}\"")) {
                Ok(())
            } else {
                Err(format!("no series of {name} yet"))
            }
        },
    )
    .await;

    // The cluster has its Deployment and ready pods, labelled as the manifest labels them.
    if let Some(kubectl) = kubectl() {
        let cache = tempfile::tempdir().expect("a cache dir");
        let selector = format!("backstage.io/kubernetes-id={name}");
        let pods = eventually(
            "ready pods",
            std::time::Duration::from_secs(60),
            async || {
                let out = tokio::process::Command::new(kubectl)
                    .arg("--kubeconfig")
                    .arg(sim.kubeconfig())
                    .arg("--cache-dir")
                    .arg(cache.path())
                    .args(["get", "pods", "-A", "-l", &selector, "-o", "json"])
                    .output()
                    .await
                    .map_err(|e| e.to_string())?;
                let v: Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
                let items = v["items"].as_array().cloned().unwrap_or_default();
                let ready = |p: &Value| {
                    p["status"]["conditions"].as_array().is_some_and(|c| {
                        c.iter()
                            .any(|c| c["type"] == "Ready" && c["status"] == "True")
                    })
                };
                if items.len() == 2 && items.iter().all(ready) {
                    Ok(items)
                } else {
                    Err(format!("{} {v}", String::from_utf8_lossy(&out.stderr)))
                }
            },
        )
        .await;
        for p in &pods {
            assert_eq!(p["metadata"]["namespace"], "default");
            assert_eq!(p["metadata"]["labels"]["app.kubernetes.io/name"], name);
        }
    }

    // The cockpit's joined view shows it with its deployment and pods.
    let (code, out, err) = eventually(
        "status shows it",
        std::time::Duration::from_secs(60),
        async || {
            let (code, out, err) = flightdeck_bin(
                &config,
                "status",
                &["--service", name, "--json", "--timeout", "20"],
            )
            .await;
            let v: Value = serde_json::from_str(&out).map_err(|e| format!("{e}: {out} {err}"))?;
            let row = v["services"]
                .as_array()
                .and_then(|a| a.iter().find(|s| s["name"] == name).cloned())
                .unwrap_or_default();
            if row["deploy"]["value"]["environment"] == "production"
                && row["pods"]["value"]["ready"] == 2
            {
                Ok((code, out, err))
            } else {
                Err(out)
            }
        },
    )
    .await;
    assert_eq!(code, 0, "healthy: {out}\n{err}");
    let (code, text, err) =
        flightdeck_bin(&config, "status", &["--service", name, "--timeout", "20"]).await;
    assert_eq!(code, 0, "{text}\n{err}");
    assert!(text.contains(name), "{text}");

    // Golden paths in the delivery metrics: it came from a template, and its time from the
    // request to the first healthy production deployment is counted. A created repository's
    // runs are stamped ahead of the wall clock, so the window ends an hour past it.
    let until = (chrono::Utc::now() + chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (code, out, err) = flightdeck_bin(
        &config,
        "metrics",
        &["--json", "--service", name, "--until", &until],
    )
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let service = &v["services"][0];
    assert_eq!(service["source_template"], "template:default/rust-service");
    let ttp = service["time_to_production_secs"]
        .as_i64()
        .unwrap_or_else(|| panic!("a time to production: {service}"));
    assert!(ttp > 0, "{ttp}");
    let golden = &v["org"]["golden_paths"];
    assert_eq!(golden["template_services"], 1, "{v}");
    assert_eq!(golden["reached_production"], 1, "{v}");
    assert_eq!(golden["time_to_production_median_secs"], ttp, "{golden}");
    assert_eq!(golden["share"], 1.0, "only its own deployments: {golden}");
    let (code, text, err) =
        flightdeck_bin(&config, "metrics", &["--service", name, "--until", &until]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("golden paths: 1 of 1 services from templates; 100% of production deployments; time to production median"),
        "{text}"
    );
}

/// The contents API writes files too: the first write to a created repository's default branch
/// is a push that launches it; updating needs the current blob, as on GitHub.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contents_write_to_main_is_a_push_that_starts_ci() {
    let sim = Sim::start(SimConfig {
        speed: 60.0,
        ..Default::default()
    })
    .await
    .expect("the sim starts");
    let org = sim.shared.world.org.clone();
    let gh = sim.endpoints().github.clone();
    let client =
        flightdeck::providers::http::client(std::time::Duration::from_secs(10)).expect("a client");
    let send = async |req: reqwest::RequestBuilder| -> (u16, Value) {
        let r = req
            .bearer_auth("flightdeck-sim-token")
            .send()
            .await
            .expect("an answer");
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    };
    let (status, _) = send(
        client
            .post(format!("{gh}/orgs/{org}/repos"))
            .json(&json!({ "name": "notes", "auto_init": true })),
    )
    .await;
    assert_eq!(status, 201);
    // Created with a README, not pushed to: no run yet.
    let (status, runs) = get(&format!("{gh}/repos/{org}/notes/actions/runs")).await;
    assert_eq!(status, 404, "not a service before a push: {runs}");

    let put = |body: Value| {
        client
            .put(format!("{gh}/repos/{org}/notes/contents/catalog-info.yaml"))
            .json(&body)
    };
    let content = base64::encode(b"metadata:\n  name: notes\nspec:\n  owner: team-data\n");
    let (status, v) = send(put(
        json!({ "message": "Add a descriptor", "content": content }),
    ))
    .await;
    assert_eq!(status, 201, "{v}");
    let blob = v["content"]["sha"]
        .as_str()
        .expect("a blob sha")
        .to_string();
    let (status, _) = send(put(json!({ "message": "again", "content": content }))).await;
    assert_eq!(status, 422, "an update names the current blob");
    let (status, _) = send(put(
        json!({ "message": "again", "content": content, "sha": "0".repeat(40) }),
    ))
    .await;
    assert_eq!(status, 409, "a stale blob");
    let (status, _) = send(put(
        json!({ "message": "Update", "content": content, "sha": blob }),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        file(&sim, &format!("{org}/notes"), "catalog-info.yaml").await,
        "metadata:\n  name: notes\nspec:\n  owner: team-data\n"
    );

    let runs = eventually(
        "the push's CI run",
        std::time::Duration::from_secs(30),
        async || {
            let (status, v) = get(&format!("{gh}/repos/{org}/notes/actions/runs")).await;
            match v["workflow_runs"].as_array() {
                Some(runs) if status == 200 && !runs.is_empty() => Ok(runs.clone()),
                _ => Err(format!("{status} {v}")),
            }
        },
    )
    .await;
    let ci = runs.last().expect("the CI run");
    assert_eq!(ci["event"], "push", "{ci}");
    assert_eq!(
        ci["head_commit"]["message"], "Add a descriptor",
        "the first push: {ci}"
    );
}

/// A run that fails at registering (the catalog answers 503 once) says what it created, and
/// `flightdeck new --resume` goes on from that step: the repository is not created again (the
/// name check would refuse it), the catalog entry is made, and nothing is left to resume.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_step_resumes_without_redoing_what_was_created() {
    let sim = Sim::start(SimConfig {
        speed: 0.0,
        ..Default::default()
    })
    .await
    .expect("the sim starts");
    let config = sim.flightdeck_config();
    let org = sim.shared.world.org.clone();
    let owner = sim.shared.world.teams[0].name.clone();
    let gh = sim.endpoints().github.clone();
    let backstage = sim.endpoints().backstage.clone();
    let home = tempfile::tempdir().expect("a temp dir");
    let fault = flightdeck::providers::http::client(std::time::Duration::from_secs(10))
        .expect("a client")
        .post(format!("{backstage}/_sim/faults"))
        .json(&json!({ "path_prefix": "/api/catalog/locations", "kind": "status", "code": 503, "times": 1 }))
        .send()
        .await
        .expect("the fault endpoint answers");
    assert_eq!(fault.status().as_u16(), 201);

    let owner_value = format!("owner={owner}");
    let args = [
        "rust-service",
        "--value",
        "name=ledger-two",
        "--value",
        &owner_value,
        "--value",
        "description=Second ledger",
        "--yes",
    ];
    let (code, out, err) = flightdeck_bin_in(home.path(), &config, "new", &args).await;
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("step register (catalog:register) failed"),
        "{err}"
    );
    assert!(
        err.contains("repository ledger-two") || err.contains(&format!("{org}/ledger-two")),
        "{err}"
    );
    assert!(err.contains("flightdeck new --resume"), "{err}");
    assert_eq!(get(&format!("{gh}/repos/{org}/ledger-two")).await.0, 200);
    let entity = format!("{backstage}/api/catalog/entities/by-name/component/default/ledger-two");
    assert_eq!(get(&entity).await.0, 404, "not registered yet");

    let (code, out, err) =
        flightdeck_bin_in(home.path(), &config, "new", &["--resume", "--yes"]).await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("[2/4] done before, reused"), "{out}");
    assert!(
        out.contains("[1/4] Fetch the skeleton"),
        "local steps rebuild the files: {out}"
    );
    assert!(out.contains("as component:default/ledger-two"), "{out}");
    let (status, e) = get(&entity).await;
    assert_eq!(status, 200, "{e}");
    assert_eq!(
        e["metadata"]["annotations"]["backstage.io/source-template"],
        "template:default/rust-service"
    );

    let (code, _, err) =
        flightdeck_bin_in(home.path(), &config, "new", &["--resume", "--yes"]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no failed run to resume"), "{err}");
}
