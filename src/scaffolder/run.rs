//! A template's run: everything that can refuse it is checked first (unsupported actions, the
//! values, where it would publish and whether that name is free), then the steps in order, each
//! reporting its progress and log. A failing step ends the run with what was already done and
//! what now exists elsewhere, so nothing half-created is left unexplained.

use std::time::Instant;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::engine::{Engine, parse_repo_url};
use super::load::{Base, Source};
use super::publish::{Github, Gitlab};
use super::remote::{self, RemoteDir};
use super::skeleton::{self, Workspace};
use crate::config::{BackstageSource, GithubSource, GitlabSource};
use flightdeck_core::model::create::{CREATED_AT, SOURCE_TEMPLATE, Step};

/// Where a run may write.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub github: Option<GithubSource>,
    pub gitlab: Option<GitlabSource>,
    pub backstage: Option<BackstageSource>,
}

/// Whether `owner/repo` exists already on the host a publish step writes to (GitLab's when
/// `gitlab`, else GitHub's). A repoUrl naming another host is refused: the configured host's
/// token is not sent elsewhere.
async fn exists(
    targets: &Targets,
    gitlab: bool,
    host: &str,
    owner: &str,
    repo: &str,
) -> Result<bool, String> {
    let elsewhere = |name: &str, configured: &str| {
        format!(
            "{host} is not the configured {name} host ({configured}); its token is not sent elsewhere"
        )
    };
    if gitlab {
        let source = targets
            .gitlab
            .as_ref()
            .ok_or("no [gitlab] source is configured to publish to")?;
        let client = Gitlab::new(source).await?;
        if host != client.host {
            return Err(elsewhere("GitLab", &client.host));
        }
        client.exists(owner, repo).await
    } else {
        let source = targets
            .github
            .as_ref()
            .ok_or("no [github] source is configured to publish to")?;
        let client = Github::new(source).await?;
        if host != client.host {
            return Err(elsewhere("GitHub", &client.host));
        }
        client.exists(owner, repo).await
    }
}

/// A run that passed every check: the values are valid and every step can run.
pub struct Plan<'a> {
    pub source: &'a Source,
    pub values: Map<String, Value>,
    pub started: DateTime<Utc>,
    /// Repositories the run will create, as `host/owner/repo`.
    pub repositories: Vec<String>,
}

/// Progress, as it happens.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Started {
        index: usize,
        step: String,
        action: String,
    },
    Log {
        index: usize,
        line: String,
    },
    Done {
        index: usize,
        millis: u128,
    },
    Skipped {
        index: usize,
    },
    /// Finished by an earlier try: its output is reused, nothing is done again.
    Reused {
        index: usize,
    },
}

#[derive(Debug)]
pub struct Outcome {
    pub workspace: Workspace,
    /// What exists elsewhere now (nothing on a dry run).
    pub created: Vec<String>,
    /// `spec.output` rendered.
    pub output: Value,
}

#[derive(Debug)]
pub struct Failed {
    /// `id (action)` of the step that failed.
    pub step: String,
    pub error: String,
    pub done: Vec<String>,
    pub created: Vec<String>,
    /// The done steps' outputs, which a resume reuses instead of running them again.
    pub outputs: Map<String, Value>,
}

/// What an earlier, failed try of the same run left: the steps it finished and their outputs.
/// A resume reuses the outputs of steps that changed something elsewhere (publishing,
/// registering) and runs the local ones (fetch, debug:log) again to rebuild the files, which
/// writes nothing outside this process.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Resume {
    pub done: Vec<String>,
    pub outputs: Map<String, Value>,
    pub created: Vec<String>,
}

impl Resume {
    pub fn of(failed: &Failed) -> Self {
        Resume {
            done: failed.done.clone(),
            outputs: failed.outputs.clone(),
            created: failed.created.clone(),
        }
    }

    /// Whether `step` is taken from the earlier try rather than run.
    fn reuses(&self, step: &Step) -> bool {
        !is_local(&step.action) && self.done.contains(&step.id)
    }
}

/// Actions that write nothing outside this process.
fn is_local(action: &str) -> bool {
    matches!(action, "fetch:template" | "fetch:plain" | "debug:log")
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "step {} failed: {}", self.step, self.error)?;
        if self.done.is_empty() {
            write!(f, "\nno step had finished")?;
        } else {
            write!(f, "\nsteps done: {}", self.done.join(", "))?;
        }
        if self.created.is_empty() {
            write!(
                f,
                "\nnothing was created elsewhere: fix the cause and run it again"
            )?;
        } else {
            write!(
                f,
                "\nalready created (delete it to start over, or finish the remaining steps by hand):"
            )?;
            for c in &self.created {
                write!(f, "\n  {c}")?;
            }
        }
        Ok(())
    }
}

/// Everything that can refuse the run, before any step runs. All reasons at once.
pub async fn preflight<'a>(
    source: &'a Source,
    given: &[(String, String)],
    targets: &Targets,
    started: DateTime<Utc>,
    resume: Option<&Resume>,
) -> Result<Plan<'a>, Vec<String>> {
    let t = &source.template;
    let mut errors: Vec<String> = t
        .unsupported()
        .into_iter()
        .map(|s| format!("{s}: this action is not supported, so nothing would be created"))
        .collect();
    match &source.base {
        Base::Remote(location) => errors.push(format!(
            "the template is held at {location}; only templates on this machine or in a GitHub repository can be run"
        )),
        Base::Github(dir) => errors.extend(super::remote::refusal(dir, targets.github.as_ref())),
        Base::Dir(_) => {}
    }
    let values = match t.values(given) {
        Ok(v) => v,
        Err(e) => {
            errors.extend(e);
            Map::new()
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let engine = Engine::new().map_err(|e| vec![e])?;
    let context = context(&values, &Map::new());
    let mut repositories = Vec::new();
    for step in &t.steps {
        // A step an earlier try finished made its repository: it is not asked for again.
        if resume.is_some_and(|r| r.reuses(step)) {
            continue;
        }
        match step.action.as_str() {
            action @ ("publish:github" | "publish:gitlab") => {
                let gitlab = action == "publish:gitlab";
                let (table, configured) = if gitlab {
                    ("gitlab", targets.gitlab.is_some())
                } else {
                    ("github", targets.github.is_some())
                };
                if !configured {
                    errors.push(format!(
                        "step {}: no [{table}] source is configured to publish to",
                        step.id
                    ));
                    continue;
                }
                let Some(raw) = step.input.get("repoUrl") else {
                    errors.push(format!("step {}: input repoUrl is missing", step.id));
                    continue;
                };
                let parts = engine
                    .render_value(raw, &context)
                    .and_then(|v| parse_repo_url(v.as_str().unwrap_or_default()));
                match parts {
                    Ok(p) => {
                        let get = |k: &str| {
                            p.get(k)
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string()
                        };
                        let (host, owner, repo) = (get("host"), get("owner"), get("repo"));
                        match exists(targets, gitlab, &host, &owner, &repo).await {
                            Ok(true) => errors.push(format!(
                                "step {}: {host}/{owner}/{repo} exists already",
                                step.id
                            )),
                            Ok(false) => repositories.push(format!("{host}/{owner}/{repo}")),
                            Err(e) => errors.push(format!("step {}: {e}", step.id)),
                        }
                    }
                    // repoUrl from an earlier step's output: checked when the step runs.
                    Err(_) if raw.as_str().is_some_and(|s| s.contains("steps.")) => {}
                    Err(e) => errors.push(format!("step {}: repoUrl: {e}", step.id)),
                }
            }
            "catalog:register" if targets.backstage.is_none() => {
                errors.push(format!(
                    "step {}: no [catalog.backstage] is configured to register in",
                    step.id
                ));
            }
            _ => {}
        }
    }
    if errors.is_empty() {
        Ok(Plan {
            source,
            values,
            started,
            repositories,
        })
    } else {
        Err(errors)
    }
}

fn context(values: &Map<String, Value>, steps: &Map<String, Value>) -> Value {
    json!({ "parameters": values, "steps": steps })
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty() && s != "false",
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}

fn input_str<'v>(input: &'v Value, key: &str) -> Option<&'v str> {
    input.get(key).and_then(Value::as_str)
}

/// Runs the plan. `dry_run` builds the workspace and renders every input but writes nothing
/// anywhere: publishing and registering report what they would do.
pub async fn run(
    plan: &Plan<'_>,
    targets: &Targets,
    dry_run: bool,
    resume: Option<&Resume>,
    on: &mut (dyn FnMut(Event) + Send),
) -> Result<Outcome, Failed> {
    let t = &plan.source.template;
    let engine = Engine::new().map_err(|e| Failed {
        step: "-".into(),
        error: e,
        done: Vec::new(),
        created: Vec::new(),
        outputs: Map::new(),
    })?;
    let mut ws = Workspace::new();
    let mut outputs = Map::new();
    let mut done = Vec::new();
    let mut created = resume.map(|r| r.created.clone()).unwrap_or_default();
    for (index, step) in t.steps.iter().enumerate() {
        let label = format!("{} ({})", step.id, step.action);
        if let Some(r) = resume.filter(|r| r.reuses(step)) {
            let output = r
                .outputs
                .get(&step.id)
                .cloned()
                .unwrap_or(json!({ "output": {} }));
            outputs.insert(step.id.clone(), output);
            done.push(step.id.clone());
            on(Event::Reused { index });
            continue;
        }
        let cx = context(&plan.values, &outputs);
        let fail = |error: String, done: &Vec<String>, created: &Vec<String>| Failed {
            step: label.clone(),
            error,
            done: done.clone(),
            created: created.clone(),
            outputs: outputs.clone(),
        };
        if let Some(cond) = &step.condition {
            let v = engine
                .render_value(cond, &cx)
                .map_err(|e| fail(format!("if: {e}"), &done, &created))?;
            if !truthy(&v) {
                on(Event::Skipped { index });
                outputs.insert(step.id.clone(), json!({ "output": {} }));
                continue;
            }
        }
        on(Event::Started {
            index,
            step: step.name.clone(),
            action: step.action.clone(),
        });
        let clock = Instant::now();
        let input = engine
            .render_value(&step.input, &cx)
            .map_err(|e| fail(format!("input: {e}"), &done, &created))?;
        let mut log = |line: String| on(Event::Log { index, line });
        let output = act(
            plan,
            targets,
            dry_run,
            &engine,
            step,
            &input,
            &mut ws,
            &mut created,
            &mut log,
        )
        .await
        .map_err(|e| fail(e, &done, &created))?;
        outputs.insert(step.id.clone(), json!({ "output": output }));
        done.push(step.id.clone());
        on(Event::Done {
            index,
            millis: clock.elapsed().as_millis(),
        });
    }
    let output = engine
        .render_value(&t.output, &context(&plan.values, &outputs))
        .unwrap_or(Value::Null);
    Ok(Outcome {
        workspace: ws,
        created,
        output,
    })
}

/// One action. Its output is what later steps read as `steps.<id>.output`.
#[allow(clippy::too_many_arguments)]
async fn act(
    plan: &Plan<'_>,
    targets: &Targets,
    dry_run: bool,
    engine: &Engine,
    step: &Step,
    input: &Value,
    ws: &mut Workspace,
    created: &mut Vec<String>,
    log: &mut (dyn FnMut(String) + Send),
) -> Result<Value, String> {
    match step.action.as_str() {
        "fetch:template" | "fetch:plain" => {
            let url = input_str(input, "url").ok_or("input url is missing")?;
            let files = if url.contains("://") {
                // An absolute URL: a GitHub directory on the configured host, or nothing.
                let at = RemoteDir::parse(url).ok_or_else(|| {
                    format!("{url}: only skeletons in a GitHub repository or beside the template can be read")
                })?;
                remote::read_dir(targets.github.as_ref(), &at).await?
            } else {
                match &plan.source.base {
                    Base::Dir(dir) => skeleton::read_dir(&dir.join(skeleton::clean_path(url)?))?,
                    Base::Github(dir) => {
                        remote::read_dir(targets.github.as_ref(), &dir.join(url)?).await?
                    }
                    Base::Remote(location) => {
                        return Err(format!(
                            "the template is held at {location}, which is not read"
                        ));
                    }
                }
            };
            let target = input_str(input, "targetPath").unwrap_or(".");
            let n = if step.action == "fetch:plain" {
                skeleton::copy_into(&files, target, ws)?
            } else {
                let verbatim = input
                    .get("copyWithoutRender")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(|g| {
                        glob::Pattern::new(g).map_err(|e| format!("copyWithoutRender {g}: {e}"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let extension = match input.get("templateFileExtension") {
                    Some(Value::Bool(true)) => Some(".njk".to_string()),
                    Some(Value::String(s)) => Some(s.clone()),
                    _ => None,
                };
                let options = skeleton::Options {
                    target,
                    verbatim,
                    extension,
                };
                let values = input.get("values").cloned().unwrap_or(json!({}));
                skeleton::render_into(engine, &files, &values, &options, ws)?
            };
            log(format!("{n} files from {url}"));
            Ok(json!({}))
        }
        "debug:log" => {
            if let Some(m) = input_str(input, "message") {
                for line in m.lines() {
                    log(flightdeck_core::sanitize::line(line));
                }
            }
            if input.get("listWorkspace").is_some_and(truthy) {
                for path in ws.keys() {
                    log(path.clone());
                }
            }
            Ok(json!({}))
        }
        "publish:github" => publish_github(plan, targets, dry_run, input, ws, created, log).await,
        "publish:gitlab" => publish_gitlab(plan, targets, dry_run, input, ws, created, log).await,
        "catalog:register" => register(targets, dry_run, input, ws, created, log).await,
        other => Err(format!("{other} is not supported")),
    }
}

async fn publish_github(
    plan: &Plan<'_>,
    targets: &Targets,
    dry_run: bool,
    input: &Value,
    ws: &mut Workspace,
    created: &mut Vec<String>,
    log: &mut (dyn FnMut(String) + Send),
) -> Result<Value, String> {
    let gh = targets
        .github
        .as_ref()
        .ok_or("no [github] source is configured")?;
    let client = Github::new(gh).await?;
    let parts = parse_repo_url(input_str(input, "repoUrl").ok_or("input repoUrl is missing")?)?;
    let get = |k: &str| {
        parts
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (host, owner, repo) = (get("host"), get("owner"), get("repo"));
    if host != client.host {
        return Err(format!(
            "{host} is not the configured GitHub host ({})",
            client.host
        ));
    }
    let branch = input_str(input, "defaultBranch")
        .unwrap_or("main")
        .to_string();
    let description = input_str(input, "description").unwrap_or_default();
    let visibility = input_str(input, "repoVisibility").unwrap_or("private");
    let message = input_str(input, "gitCommitMessage").unwrap_or("initial commit");
    let files = prepared(plan, input, ws, log)?;
    let remote = format!("{}/{owner}/{repo}", client.web);
    let contents = format!("{remote}/blob/{branch}");
    if dry_run {
        log(format!(
            "would create {host}/{owner}/{repo} ({visibility}) with {} files on {branch}",
            files.len()
        ));
        return Ok(json!({ "remoteUrl": remote, "repoContentsUrl": contents, "commitHash": "" }));
    }
    client
        .create(&owner, &repo, description, visibility)
        .await?;
    created.push(format!("repository {owner}/{repo} on {host}: {remote}"));
    log(format!("created {remote}"));
    let sha = client.push(&owner, &repo, &branch, &files, message).await?;
    log(format!(
        "pushed {} files to {branch} as {}",
        files.len(),
        sha.chars().take(7).collect::<String>()
    ));
    Ok(json!({ "remoteUrl": remote, "repoContentsUrl": contents, "commitHash": sha }))
}

/// What a publish step pushes: the workspace, or the part of it under `sourcePath`, with the
/// descriptor annotated with the template and the request's start.
fn prepared(
    plan: &Plan<'_>,
    input: &Value,
    ws: &mut Workspace,
    log: &mut (dyn FnMut(String) + Send),
) -> Result<Workspace, String> {
    let prefix = match input_str(input, "sourcePath") {
        Some(p) => skeleton::clean_path(p)?,
        None => String::new(),
    };
    let descriptor = if prefix.is_empty() {
        "catalog-info.yaml".to_string()
    } else {
        format!("{prefix}/catalog-info.yaml")
    };
    let stamp = plan.started.to_rfc3339_opts(SecondsFormat::Secs, true);
    if skeleton::annotate_descriptor(
        ws,
        &descriptor,
        &[
            (SOURCE_TEMPLATE, plan.source.template.entity_ref.clone()),
            (CREATED_AT, stamp),
        ],
    )? {
        log(format!(
            "{descriptor}: annotated with {SOURCE_TEMPLATE} and {CREATED_AT}"
        ));
    }
    Ok(ws
        .iter()
        .filter_map(|(p, b)| {
            if prefix.is_empty() {
                Some((p.clone(), b.clone()))
            } else {
                p.strip_prefix(&format!("{prefix}/"))
                    .map(|rest| (rest.to_string(), b.clone()))
            }
        })
        .collect())
}

/// `publish:gitlab`: the project in the namespace `repoUrl` names (`owner`), then one commit
/// of the workspace; outputs `remoteUrl`, `repoContentsUrl` and `projectId` as Backstage's
/// action does.
async fn publish_gitlab(
    plan: &Plan<'_>,
    targets: &Targets,
    dry_run: bool,
    input: &Value,
    ws: &mut Workspace,
    created: &mut Vec<String>,
    log: &mut (dyn FnMut(String) + Send),
) -> Result<Value, String> {
    let gl = targets
        .gitlab
        .as_ref()
        .ok_or("no [gitlab] source is configured")?;
    let client = Gitlab::new(gl).await?;
    let parts = parse_repo_url(input_str(input, "repoUrl").ok_or("input repoUrl is missing")?)?;
    let get = |k: &str| {
        parts
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (host, owner, repo) = (get("host"), get("owner"), get("repo"));
    if host != client.host {
        return Err(format!(
            "{host} is not the configured GitLab host ({})",
            client.host
        ));
    }
    let branch = input_str(input, "defaultBranch")
        .unwrap_or("main")
        .to_string();
    let description = input_str(input, "description").unwrap_or_default();
    let visibility = input_str(input, "repoVisibility").unwrap_or("private");
    let message = input_str(input, "gitCommitMessage").unwrap_or("initial commit");
    let files = prepared(plan, input, ws, log)?;
    if dry_run {
        let web = gl.api_url.trim_end_matches('/').trim_end_matches("/api/v4");
        let remote = format!("{web}/{owner}/{repo}");
        log(format!(
            "would create {host}/{owner}/{repo} ({visibility}) with {} files on {branch}",
            files.len()
        ));
        return Ok(json!({
            "remoteUrl": remote,
            "repoContentsUrl": format!("{remote}/-/blob/{branch}"),
            "projectId": 0,
        }));
    }
    let project = client
        .create(&owner, &repo, description, visibility)
        .await?;
    let id = project
        .get("id")
        .and_then(Value::as_u64)
        .ok_or("POST /projects: no id in the answer")?;
    // The project's own page, checked as every URL that is shown or copied.
    let remote = project
        .get("web_url")
        .and_then(Value::as_str)
        .and_then(flightdeck_core::sanitize::url)
        .ok_or("POST /projects: no usable web_url in the answer")?;
    created.push(format!("project {owner}/{repo} on {host}: {remote}"));
    log(format!("created {remote}"));
    let sha = client.push(id, &branch, &files, message).await?;
    log(format!(
        "pushed {} files to {branch} as {}",
        files.len(),
        sha.chars().take(7).collect::<String>()
    ));
    Ok(json!({
        "remoteUrl": remote,
        "repoContentsUrl": format!("{remote}/-/blob/{branch}"),
        "projectId": id,
        "commitHash": sha,
    }))
}

async fn register(
    targets: &Targets,
    dry_run: bool,
    input: &Value,
    ws: &Workspace,
    created: &mut Vec<String>,
    log: &mut (dyn FnMut(String) + Send),
) -> Result<Value, String> {
    let b = targets
        .backstage
        .as_ref()
        .ok_or("no [catalog.backstage] is configured")?;
    let target = match (
        input_str(input, "catalogInfoUrl"),
        input_str(input, "repoContentsUrl"),
    ) {
        (Some(url), _) => url.to_string(),
        (None, Some(contents)) => {
            let path = input_str(input, "catalogInfoPath").unwrap_or("/catalog-info.yaml");
            format!(
                "{}/{}",
                contents.trim_end_matches('/'),
                path.trim_start_matches('/')
            )
        }
        (None, None) => return Err("input catalogInfoUrl or repoContentsUrl is missing".into()),
    };
    // The entity the pushed descriptor names: what a dry run reports, and what a real
    // registration falls back to, since Backstage answers a new location before processing it
    // (with no entities).
    let descriptor_ref = descriptor_ref(ws).unwrap_or_default();
    if dry_run {
        log(format!("would register {target}"));
        return Ok(json!({ "entityRef": descriptor_ref, "catalogInfoUrl": target }));
    }
    let token = crate::providers::backstage::token(b).await?;
    let answer = crate::providers::backstage::Client::new(&b.url, token)?
        .register_location(&target)
        .await?;
    created.push(format!("catalog location {target}"));
    let entities: Vec<&Value> = answer
        .get("entities")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let entity = entities
        .iter()
        .find(|e| e.get("kind").and_then(Value::as_str) == Some("Component"))
        .or(entities.first());
    let entity_ref = entity
        .and_then(|e| {
            let kind = e.get("kind")?.as_str()?.to_lowercase();
            let ns = e
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("default");
            let name = e.pointer("/metadata/name")?.as_str()?;
            Some(flightdeck_core::sanitize::ident(&format!(
                "{kind}:{ns}/{name}"
            )))
        })
        .unwrap_or(descriptor_ref);
    log(format!("registered {target} as {entity_ref}"));
    Ok(json!({ "entityRef": entity_ref, "catalogInfoUrl": target }))
}

/// The entity the workspace's root descriptor names (`component:default/name`).
pub fn descriptor_ref(ws: &Workspace) -> Option<String> {
    let v = serde_norway::from_slice::<Value>(ws.get("catalog-info.yaml")?).ok()?;
    let kind = v.get("kind")?.as_str()?.to_lowercase();
    let ns = v
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("default");
    let name = v.pointer("/metadata/name")?.as_str()?;
    Some(flightdeck_core::sanitize::ident(&format!(
        "{kind}:{ns}/{name}"
    )))
}
