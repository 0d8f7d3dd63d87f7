//! The organisation's files, as a developer's checkouts would hold them: a Backstage descriptor,
//! mkdocs.yml and docs with runbooks per service repo, the org's Groups, Users and Systems, and a
//! flightdeck config pointing at the sim. The Backstage server serves the very same entities,
//! built by [`descriptors`], so the catalog on disk and over the API cannot disagree.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::world::{CiHost, Service, World};
use super::{Endpoints, Shared};

pub fn kubeconfig_path(dir: &Path) -> PathBuf {
    dir.join("kubeconfig.yaml")
}

pub fn config_path(dir: &Path) -> PathBuf {
    dir.join("flightdeck.toml")
}

/// The org-wide descriptor: Domain, Systems, Groups, Users, Resources and the Location that
/// finds the repos' descriptors.
pub fn org_catalog_path(dir: &Path) -> PathBuf {
    dir.join("org").join("catalog-info.yaml")
}

/// One entity and the file (relative to the sim's directory) it is written in.
#[derive(Debug, Clone, PartialEq)]
pub struct Descriptor {
    pub file: PathBuf,
    pub entity: Value,
}

const DOMAIN: &str = "commerce";
const DEPARTMENT: &str = "engineering";
const API_VERSION: &str = "backstage.io/v1alpha1";

/// Every entity of the organisation, in file order. The descriptors on disk and the Backstage
/// server's entities both come from here.
pub fn descriptors(world: &World, endpoints: &Endpoints) -> Vec<Descriptor> {
    let org_file = PathBuf::from("org/catalog-info.yaml");
    let org = |entity: Value| Descriptor {
        file: org_file.clone(),
        entity,
    };
    let mut out = Vec::new();

    out.push(org(json!({
        "apiVersion": API_VERSION,
        "kind": "Domain",
        "metadata": { "name": DOMAIN, "title": "Commerce", "description": "Selling to customers: the shop, payments and getting orders out." },
        "spec": { "owner": DEPARTMENT },
    })));
    for system in &world.systems {
        out.push(org(json!({
            "apiVersion": API_VERSION,
            "kind": "System",
            "metadata": { "name": system.name, "description": system.description },
            "spec": { "owner": system.owner, "domain": DOMAIN },
        })));
    }
    out.push(org(json!({
        "apiVersion": API_VERSION,
        "kind": "Group",
        "metadata": { "name": DEPARTMENT, "title": "Engineering", "description": "Everyone who builds and runs Acme's software." },
        "spec": {
            "type": "department",
            "profile": { "displayName": "Engineering", "email": "engineering@acme.example" },
            "children": world.teams.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
        },
    })));
    for team in &world.teams {
        out.push(org(json!({
            "apiVersion": API_VERSION,
            "kind": "Group",
            "metadata": { "name": team.name, "title": team.display_name, "description": format!("The {} team.", team.display_name) },
            "spec": {
                "type": "team",
                "profile": { "displayName": team.display_name, "email": team.email },
                "parent": DEPARTMENT,
                "children": [],
                "members": team.members,
            },
        })));
    }
    for person in &world.people {
        out.push(org(json!({
            "apiVersion": API_VERSION,
            "kind": "User",
            "metadata": { "name": person.login },
            "spec": {
                "profile": { "displayName": person.display_name, "email": person.email },
                "memberOf": [person.team],
            },
        })));
    }
    for resource in &world.resources {
        out.push(org(json!({
            "apiVersion": API_VERSION,
            "kind": "Resource",
            "metadata": { "name": resource.name, "description": format!("The PostgreSQL database behind {}.", resource.name.trim_end_matches("-db")) },
            "spec": { "type": resource.kind, "owner": resource.owner, "system": resource.system },
        })));
    }
    out.push(org(json!({
        "apiVersion": API_VERSION,
        "kind": "Location",
        "metadata": {
            "name": "acme-repos",
            "description": "Every service repo's descriptor.",
            // The org's onboarding path for new hires, beside this file.
            "annotations": { "flightdeck.dev/onboarding": "./onboarding.yaml" },
        },
        "spec": { "type": "file", "targets": ["../repos/*/catalog-info.yaml", "../templates/*/template.yaml"] },
    })));

    for (file, entity) in super::scaffold::templates(world, endpoints) {
        out.push(Descriptor { file, entity });
    }
    for svc in &world.services {
        let file = PathBuf::from("repos")
            .join(&svc.name)
            .join("catalog-info.yaml");
        out.push(Descriptor {
            file: file.clone(),
            entity: component(svc, endpoints),
        });
        if let Some(api) = &svc.provides_api {
            out.push(Descriptor {
                file,
                entity: api_entity(world, svc, api),
            });
        }
    }
    out
}

fn component(svc: &Service, endpoints: &Endpoints) -> Value {
    let (slug_key, host) = match svc.ci {
        CiHost::Github => ("github.com/project-slug", &endpoints.github),
        CiHost::Gitlab => ("gitlab.com/project-slug", &endpoints.gitlab),
    };
    let mut depends_on: Vec<String> = svc
        .depends_on
        .iter()
        .map(|d| format!("component:{d}"))
        .collect();
    depends_on.extend(svc.resources.iter().map(|r| format!("resource:{r}")));
    let mut spec = json!({
        "type": if svc.name.ends_with("-web") { "website" } else { "service" },
        "lifecycle": svc.lifecycle,
        "owner": svc.owner,
        "system": svc.system,
    });
    if let Some(o) = spec.as_object_mut() {
        if let Some(api) = &svc.provides_api {
            o.insert("providesApis".into(), json!([api]));
        }
        if !svc.consumes_apis.is_empty() {
            o.insert("consumesApis".into(), json!(svc.consumes_apis));
        }
        if !depends_on.is_empty() {
            o.insert("dependsOn".into(), json!(depends_on));
        }
    }
    json!({
        "apiVersion": API_VERSION,
        "kind": "Component",
        "metadata": {
            "name": svc.name,
            "description": svc.description,
            "tags": [svc.language, svc.system],
            "links": [
                { "url": format!("https://grafana.acme.example/d/{}/overview", svc.name), "title": "Dashboard", "icon": "dashboard" },
                { "url": format!("{host}/{}", svc.repo), "title": "Source", "icon": "github" },
            ],
            "annotations": {
                slug_key: svc.repo,
                "backstage.io/kubernetes-id": svc.name,
                "backstage.io/kubernetes-namespace": svc.namespace,
                "backstage.io/techdocs-ref": "dir:.",
                "backstage.io/source-location": format!("url:{host}/{}/", svc.repo),
                "pagerduty.com/service-id": crate::work::service_id(&svc.name),
                "jira/project-key": crate::work::project_key(&svc.owner),
                "jira/component": svc.name,
            },
        },
        "spec": spec,
    })
}

fn api_entity(world: &World, svc: &Service, api: &str) -> Value {
    let consumers: Vec<&str> = world
        .services
        .iter()
        .filter(|s| s.consumes_apis.iter().any(|a| a == api))
        .map(|s| s.name.as_str())
        .collect();
    let definition = format!(
        "openapi: 3.0.3\ninfo:\n  title: {name}\n  version: 1.4.0\n  description: The HTTP API of {svc}.\nservers:\n  - url: http://{svc}.{ns}.svc.cluster.local:{port}\npaths:\n  /healthz:\n    get:\n      summary: Liveness\n      responses:\n        \"200\":\n          description: Alive\n",
        name = api,
        svc = svc.name,
        ns = svc.namespace,
        port = svc.container_port,
    );
    json!({
        "apiVersion": API_VERSION,
        "kind": "API",
        "metadata": {
            "name": api,
            "description": format!("The HTTP API of {}, used by {}.", svc.name, if consumers.is_empty() { "no one yet".to_string() } else { consumers.join(", ") }),
            "tags": ["rest", svc.system.as_str()],
        },
        "spec": {
            "type": "openapi",
            "lifecycle": "production",
            "owner": svc.owner,
            "system": svc.system,
            "definition": definition,
        },
    })
}

/// Writes the organisation's files under `shared.dir`: descriptors, docs, the onboarding path and
/// the cockpit config. The kubeconfig is the Kubernetes server's own (`kubernetes::write_kubeconfig`).
/// `contexts`: the kubeconfig's contexts, which the cockpit's config watches.
pub fn write_all(shared: &Shared, contexts: &[&str]) -> std::io::Result<()> {
    let dir = &shared.dir;
    let world = &shared.world;
    let all = descriptors(world, &shared.endpoints);

    // Group the entities by file, keeping file order, and write each as multi-document YAML.
    let mut files: Vec<(PathBuf, Vec<&Value>)> = Vec::new();
    for d in &all {
        match files.iter_mut().find(|(f, _)| *f == d.file) {
            Some((_, docs)) => docs.push(&d.entity),
            None => files.push((d.file.clone(), vec![&d.entity])),
        }
    }
    for (file, docs) in &files {
        let mut text = String::new();
        for (i, doc) in docs.iter().enumerate() {
            if i > 0 {
                text.push_str("---\n");
            }
            let yaml = serde_norway::to_string(doc).map_err(std::io::Error::other)?;
            text.push_str(&yaml);
        }
        write(&dir.join(file), &text)?;
    }

    for svc in &world.services {
        let repo = dir.join("repos").join(&svc.name);
        write(&repo.join("mkdocs.yml"), &mkdocs(svc, &shared.endpoints))?;
        write(&repo.join("docs/index.md"), &index_page(world, svc))?;
        write(
            &repo.join("docs/architecture.md"),
            &architecture_page(world, svc),
        )?;
        for (name, text) in runbooks(world, svc) {
            write(&repo.join("docs/runbooks").join(name), &text)?;
        }
    }

    for (file, text) in super::scaffold::skeleton_files() {
        write(&dir.join(file), &text)?;
    }
    write(&dir.join("org").join("onboarding.yaml"), ONBOARDING)?;
    write(&config_path(dir), &flightdeck_config(shared, contexts))?;
    Ok(())
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)
}

/// A TOML string literal, escaped as TOML requires (paths may hold backslashes or quotes).
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A flightdeck config that points every source at this sim.
fn flightdeck_config(shared: &Shared, contexts: &[&str]) -> String {
    let dir = &shared.dir;
    let e = &shared.endpoints;
    let catalog = org_catalog_path(dir);
    let kubeconfig = kubeconfig_path(dir);
    format!(
        "# Written by the flightdeck sim: every source points at its servers on 127.0.0.1.\n\
         [general]\nme = \"user:default/jdoe\"\n\n\
         [catalog]\npaths = [{}]\n\n\
         [catalog.backstage]\nurl = {}\n\n\
         [github]\napi_url = {}\n# The sim takes any token; one is needed for the authenticated rate limit.\n\
         token_command = \"echo flightdeck-sim-token\"\n\
         # The sim on this machine has no secondary limit (unless a fault asks for one): a larger\n\
         # budget than GitHub's default of 5 a second lets a cold read of its history finish in\n\
         # about a minute rather than ten.\n\
         requests_per_sec = 50\n\n\
         [gitlab]\napi_url = {}\ntoken_command = \"echo flightdeck-sim-token\"\n\n\
         [kubernetes]\nkubeconfig = {}\ncontexts = [{}]\n\n\
         [[alertmanager]]\nname = \"sim\"\nurl = {}\n\n\
         [jira]\nurl = {}\nuser = \"jdoe@acme.example\"\ntoken_command = \"echo flightdeck-sim-token\"\n\n\
         [pagerduty]\napi_url = {}\nfrom = \"jdoe@acme.example\"\ntoken_command = \"echo flightdeck-sim-token\"\n",
        toml_str(&catalog.to_string_lossy()),
        toml_str(&e.backstage),
        toml_str(&e.github),
        toml_str(&e.gitlab),
        toml_str(&kubeconfig.to_string_lossy()),
        contexts
            .iter()
            .map(|c| toml_str(c))
            .collect::<Vec<_>>()
            .join(", "),
        toml_str(&e.alertmanager),
        toml_str(&e.jira),
        toml_str(&e.pagerduty),
    )
}

fn mkdocs(svc: &Service, endpoints: &Endpoints) -> String {
    let host = match svc.ci {
        CiHost::Github => &endpoints.github,
        CiHost::Gitlab => &endpoints.gitlab,
    };
    format!(
        "site_name: {name}\n\
         site_description: {description}\n\
         repo_url: {host}/{repo}\n\
         edit_uri: edit/main/docs/\n\
         nav:\n  - Home: index.md\n  - Architecture: architecture.md\n  - Runbooks:\n      - Crash looping: runbooks/crash-looping.md\n      - High error rate: runbooks/high-error-rate.md\n      - Out of memory: runbooks/out-of-memory.md\n      - Image pull failures: runbooks/image-pull.md\n\
         plugins:\n  - techdocs-core\n\
         markdown_extensions:\n  - admonition\n  - pymdownx.details\n  - pymdownx.superfences\n  - pymdownx.tasklist:\n      custom_checkbox: true\n",
        name = svc.name,
        description = yaml_scalar(&svc.description),
        repo = svc.repo,
    )
}

/// A plain YAML scalar, quoted when plain style would misread it.
fn yaml_scalar(s: &str) -> String {
    serde_norway::to_string(s)
        .map(|y| y.trim_end().to_string())
        .unwrap_or_else(|_| format!("{s:?}"))
}

fn team_of<'a>(world: &'a World, svc: &'a Service) -> (&'a str, String) {
    world
        .teams
        .iter()
        .find(|t| t.name == svc.owner)
        .map_or((svc.owner.as_str(), String::new()), |t| {
            (t.display_name.as_str(), t.email.clone())
        })
}

fn dependents<'a>(world: &'a World, svc: &Service) -> Vec<&'a str> {
    world
        .services
        .iter()
        .filter(|s| s.depends_on.contains(&svc.name))
        .map(|s| s.name.as_str())
        .collect()
}

fn index_page(world: &World, svc: &Service) -> String {
    let (team, email) = team_of(world, svc);
    let mut md = format!(
        "# {name}\n\n{description}\n\n\
         | | |\n| --- | --- |\n\
         | Owner | {team} (`{owner}`, {email}) |\n\
         | System | {system} |\n\
         | Language | {language} |\n\
         | Lifecycle | {lifecycle} |\n\
         | Namespace | `{ns}` |\n\
         | Repository | `{repo}` |\n\n",
        name = svc.name,
        description = svc.description,
        owner = svc.owner,
        system = svc.system,
        language = svc.language,
        lifecycle = svc.lifecycle,
        ns = svc.namespace,
        repo = svc.repo,
    );
    if svc.lifecycle == "experimental" {
        md.push_str("!!! note \"Experimental\"\n    This service is still finding its shape. Expect its API to change without notice.\n\n");
    }
    md.push_str("## Where to look\n\n");
    md.push_str(&format!(
        "- Workloads: `kubectl -n {ns} get deploy,pods -l backstage.io/kubernetes-id={name}`\n\
         - Logs: `kubectl -n {ns} logs deployment/{name} -f`\n\
         - How it fits with the rest: [Architecture](architecture.md)\n\n",
        ns = svc.namespace,
        name = svc.name
    ));
    md.push_str("## Runbooks\n\n");
    md.push_str("- [Crash looping](runbooks/crash-looping.md): pods restart over and over.\n");
    md.push_str(
        "- [High error rate](runbooks/high-error-rate.md): more than 5% of requests fail.\n",
    );
    md.push_str("- [Out of memory](runbooks/out-of-memory.md): containers are OOMKilled.\n");
    md.push_str("- [Image pull failures](runbooks/image-pull.md): new pods cannot start.\n");
    md
}

fn architecture_page(world: &World, svc: &Service) -> String {
    let mut md = format!("# Architecture of {}\n\n{}\n\n", svc.name, svc.description);
    md.push_str("```mermaid\ngraph LR\n");
    for d in dependents(world, svc) {
        let _ = writeln!(md, "  {d} --> {}", svc.name);
    }
    for d in &svc.depends_on {
        let _ = writeln!(md, "  {} --> {d}", svc.name);
    }
    for r in &svc.resources {
        let _ = writeln!(md, "  {} --> {r}[({r})]", svc.name);
    }
    md.push_str("```\n\n## Dependencies\n\n| Depends on | Kind | Why |\n| --- | --- | --- |\n");
    for d in &svc.depends_on {
        let why = world.service(d).map_or("", |s| s.description.as_str());
        let _ = writeln!(md, "| `{d}` | service | {why} |");
    }
    for r in &svc.resources {
        let _ = writeln!(
            md,
            "| `{r}` | database | Its own state; nobody else reads it. |"
        );
    }
    if svc.depends_on.is_empty() && svc.resources.is_empty() {
        md.push_str("| nothing | | It answers from its own memory. |\n");
    }
    let users = dependents(world, svc);
    md.push_str("\n## Who calls it\n\n");
    if users.is_empty() {
        md.push_str("No service in the catalog calls it directly; customers and jobs do.\n");
    } else {
        for u in users {
            let _ = writeln!(md, "- `{u}`");
        }
    }
    if let Some(api) = &svc.provides_api {
        let _ = write!(
            md,
            "\nIts HTTP API is described as the `{api}` API entity in the catalog.\n"
        );
    }
    md
}

/// The four runbooks every service keeps, named as the alerts' `runbook_url`s name them.
fn runbooks(world: &World, svc: &Service) -> Vec<(&'static str, String)> {
    let (team, _) = team_of(world, svc);
    let users = dependents(world, svc);
    let impact = if users.is_empty() {
        "its callers".to_string()
    } else {
        users
            .iter()
            .map(|u| format!("`{u}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let fill = |t: &str| {
        t.replace("{svc}", &svc.name)
            .replace("{ns}", &svc.namespace)
            .replace("{team}", team)
            .replace("{impact}", &impact)
            .replace("{port}", &svc.container_port.to_string())
    };
    vec![
        ("crash-looping.md", fill(CRASH_LOOPING)),
        ("high-error-rate.md", fill(HIGH_ERROR_RATE)),
        ("out-of-memory.md", fill(OUT_OF_MEMORY)),
        ("image-pull.md", fill(IMAGE_PULL)),
    ]
}

const CRASH_LOOPING: &str = r#"# Pods crash looping

`KubePodCrashLooping` fires when the pods of `{svc}` restart more than three times in five
minutes. Kubernetes waits longer before each restart (10 s, 20 s, 40 s … up to five minutes), so
capacity drains away: {impact} start failing soon after.

!!! warning "Roll back first, debug later"
    If the crashes began with a deploy, roll back before you investigate. A rollback takes two
    minutes; an investigation takes as long as it takes, and customers wait through all of it.

## First five minutes

- [ ] Acknowledge the page and say in the incident channel that you are on it.
- [ ] Check whether a deploy just landed, and which pods crash:

    ```sh
    kubectl -n {ns} rollout history deployment/{svc}
    kubectl -n {ns} get pods -l backstage.io/kubernetes-id={svc} -o wide
    ```

- [ ] Read why the container exited last time:

    ```sh
    kubectl -n {ns} logs deployment/{svc} --previous --tail=100
    kubectl -n {ns} describe pods -l backstage.io/kubernetes-id={svc} | grep -A6 'Last State'
    ```

- [ ] If the crashes started with the latest deploy, roll back and watch it settle:

    ```sh
    kubectl -n {ns} rollout undo deployment/{svc}
    kubectl -n {ns} rollout status deployment/{svc} --timeout=5m
    ```

- [ ] Tell {team} what you saw and what you did.

## What the last state tells you

| Last state | Exit code | Usual cause | Next step |
| --- | --- | --- | --- |
| `Error` | 1 | The app refused to start: bad config, a missing secret, a dependency it checks at boot | Read the previous container's log |
| `OOMKilled` | 137 | The memory limit is too low, or memory leaks | See [Out of memory](out-of-memory.md) |
| `Error` | 143 | Killed after failing its liveness probe | Compare the probe's delay with the start-up time |
| `Completed` | 0 | The process exited as if its work were done | Check the command and the entrypoint |

## When a rollback does not help

- The cause is outside the image: a config map, a secret or a dependency changed. Compare
  `kubectl -n {ns} get deployment/{svc} -o yaml` with the last known good revision.
- A dependency is down and `{svc}` exits when it cannot reach it at start-up. Check the
  dependency's own dashboard before restarting anything.

??? note "Why not just delete the pods?"
    Deleting crash-looping pods resets the back-off timer, so they restart sooner, but they
    crash for the same reason. It only helps when the cause was a one-off at start-up.

## Afterwards

- [ ] Write down the timeline while it is fresh.
- [ ] Open a ticket for whatever let a broken build reach production.
"#;

const HIGH_ERROR_RATE: &str = r#"# High error rate

`HighErrorRate` fires when `{svc}` answers more than 5% of requests with a 5xx over five
minutes. The people it hurts are the callers: {impact}.

!!! tip "Errors usually have a cause upstream or a cause in the last change"
    Look at what changed (a deploy, a config, a dependency) before you look at the code.

## First five minutes

- [ ] Check that the pods are up and ready; if they crash, follow
      [Crash looping](crash-looping.md#first-five-minutes) instead:

    ```sh
    kubectl -n {ns} get pods -l backstage.io/kubernetes-id={svc}
    ```

- [ ] Find the errors in the log and what they have in common:

    ```sh
    kubectl -n {ns} logs deployment/{svc} --since=10m | grep -E ' 5[0-9]{2} |ERROR' | tail -50
    ```

- [ ] If the errors began with a deploy, roll back:

    ```sh
    kubectl -n {ns} rollout undo deployment/{svc}
    ```

## Reading the errors

| What you see | Likely cause | What to do |
| --- | --- | --- |
| `502`/`504` from a dependency | A service it calls is slow or down | Check that service's alerts and dashboard |
| `500` with a stack trace | A bug in the new code | Roll back |
| `503` from `{svc}` itself | Its connection pools are exhausted | Look for slow queries; scale out if it is load |
| Timeouts | Requests pile up behind something slow | Compare latency of each dependency |

## Scaling out

When the errors come from load rather than a bug, more replicas buy time:

```sh
kubectl -n {ns} scale deployment/{svc} --replicas=6
```

!!! warning
    Scaling out does not help when the bottleneck is a shared database; it makes it worse.
"#;

const OUT_OF_MEMORY: &str = r#"# Out of memory

`ContainerOOMKilled` fires when a container of `{svc}` is killed by the kernel for using more
memory than its limit. One OOM kill is a warning; a pod killed every few minutes becomes a crash
loop.

## First five minutes

- [ ] See which pods were killed and how often:

    ```sh
    kubectl -n {ns} get pods -l backstage.io/kubernetes-id={svc}
    kubectl -n {ns} describe pods -l backstage.io/kubernetes-id={svc} | grep -B2 -A4 OOMKilled
    ```

- [ ] Compare usage with the limit:

    ```sh
    kubectl -n {ns} top pods -l backstage.io/kubernetes-id={svc}
    kubectl -n {ns} get deployment/{svc} -o jsonpath='{.spec.template.spec.containers[0].resources}'
    ```

- [ ] If usage climbs steadily until the kill, it is a leak or an unbounded cache: restart
      buys hours, not a fix. If usage jumps, find the request that causes it.

## Choosing what to do

| Pattern | Cause | Action |
| --- | --- | --- |
| Slow climb, then kill | Leak, or a cache without a bound | Restart now; bound the cache |
| Sudden spike | One huge request or batch | Find it in the logs; cap its size |
| Killed right at start-up | The limit is below what start-up needs | Raise the limit |

Raising the limit is a deploy, not a kubectl edit, so the next deploy does not undo it:

```yaml
resources:
  requests:
    memory: 512Mi
  limits:
    memory: 768Mi
```

!!! note
    A JVM or a Python process with a large heap may need its own setting raised too
    (`-Xmx`, worker counts), or it will hit the old ceiling inside the new limit.
"#;

const IMAGE_PULL: &str = r#"# Image pull failures

`KubeDeploymentReplicasMismatch` often means new pods of `{svc}` cannot start because their
image cannot be pulled: they sit in `ErrImagePull` or `ImagePullBackOff`. The old pods keep
serving, so customers notice nothing yet, but the rollout is stuck.

## First five minutes

- [ ] Find the stuck pods and the image they want:

    ```sh
    kubectl -n {ns} get pods -l backstage.io/kubernetes-id={svc}
    kubectl -n {ns} describe pod <pod> | grep -A3 -E 'Image:|Failed'
    ```

- [ ] Read the event: it says which of the causes below it is.

    ```sh
    kubectl -n {ns} get events --field-selector reason=Failed --sort-by=.lastTimestamp | tail
    ```

## Causes

| Event message | Cause | Fix |
| --- | --- | --- |
| `manifest unknown` / `not found` | The tag was never pushed (a failed build, a typo) | Push the image, or roll back to a tag that exists |
| `unauthorized` / `denied` | The pull secret is missing or expired | Renew the registry credentials |
| `i/o timeout` | The registry is unreachable | Check the registry's status |

- [ ] If the tag does not exist, undo the rollout so the deployment stops waiting for it:

    ```sh
    kubectl -n {ns} rollout undo deployment/{svc}
    ```

!!! tip
    CI builds the image before the deploy job runs. A missing tag usually means the deploy
    ran from a commit whose build failed: check the CI run for that commit first.
"#;

/// The demo organisation's onboarding path, named by the `acme-repos` Location. The demo user
/// (jdoe) is in team-storefront, so the checks look at the storefront services; the practice
/// triage follows the story's incident on payments-api.
const ONBOARDING: &str = r#"title: Acme engineering onboarding
buddy: Marta Kowalski (mkowalski)
phases:
  - name: Day 1
    steps:
      - id: welcome
        title: Meet the cockpit
        text: |
          flightdeck joins every service's CI, pods, alerts and docs on one screen.
          Take the tour (`:` then **tour**), then skim the home page of your team's main service.
        docs: ["checkout-web:index.md"]
      - id: github-token
        title: Your GitHub token works
        check: github-token
        text: |
          Pipelines, re-runs and deploys go through GitHub. Create a token with the `repo` and
          `workflow` scopes and export it as `$GITHUB_TOKEN` before starting flightdeck.
      - id: catalog-group
        title: You are in your team's Group
        check: catalog-group
        text: |
          "My services" are the ones your Group owns in the catalog. Your team lead adds you to
          the Group's `spec.members` in `org/catalog-info.yaml`.
      - id: kube-pods
        title: You can list your team's pods
        check: kube-pods
        context: flightdeck-sim
        namespace: storefront
        text: |
          Workloads need read access to your team's namespace. The check lists pods in
          `storefront` with your kubeconfig, as `kubectl get pods -n storefront` would.
      - id: alertmanager
        title: Alertmanager is reachable
        check: alertmanager
        text: Pages arrive through Alertmanager; the Alerts screen reads it directly.
  - name: Week 1
    steps:
      - id: explore
        title: Explore your team's services
        text: |
          Open each one from the Overview (Enter): its dependencies, recent runs, pods and docs.
          Note who owns what it depends on.
        services: [checkout-web, cart-service, catalog-search]
        docs: ["checkout-web:architecture.md"]
      - id: runbook
        title: Read a runbook of your team
        check: runbook-opened
        text: |
          Every service keeps runbooks in its docs. Open one on the Docs screen (5), or from an
          alert with its runbook link.
        docs: ["checkout-web:runbooks/crash-looping.md"]
      - id: ci-run
        title: Get a CI run of your own
        check: ci-run
        text: Push a branch or re-run a workflow of one of your team's repositories.
      - id: practise-triage
        title: Practise a triage on the demo
        text: |
          Run `flightdeck --demo`. Every 30 simulated minutes a bad deploy makes payments-api
          crash-loop and **KubePodCrashLooping** fires. Follow it: Alerts → the alert → its
          runbook → the crashing pods and their logs → the deploy that caused it.

          !!! tip "Time it"
              A good triage finds the bad deploy in under five minutes.
        docs: ["payments-api:runbooks/crash-looping.md#first-five-minutes"]
        services: [payments-api]
  - name: Month 1
    steps:
      - id: deploy-staging
        title: Deploy to staging
        check: deployed
        environment: staging
        template: rust-service
        text: |
          Ship a small change through the deploy workflow to **staging**. The time from your
          first day to this deploy is what the platform team tracks. No service of your own
          yet? The golden path creates one that deploys itself: `enter` opens the Create screen.
      - id: shadow-on-call
        title: Shadow an on-call shift
        text: Pair with your buddy for one on-call shift before joining the rotation.
"#;
