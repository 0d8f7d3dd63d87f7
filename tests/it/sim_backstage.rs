//! The sim's Backstage catalog API and the organisation's files over real HTTP and the real
//! disk: filters, fields, ordering and cursors behave as Backstage documents them, and the
//! descriptors, docs and config on disk agree with what the servers serve.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::Duration;
use flightdeck_sim::world::epoch;
use flightdeck_sim::{Sim, SimConfig};
use serde::Deserialize;
use serde_json::{Value, json};

async fn frozen() -> Sim {
    Sim::start(SimConfig {
        speed: 0.0,
        ..Default::default()
    })
    .await
    .expect("the sim starts")
}

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().expect("reqwest builds")
}

async fn query(sim: &Sim, params: &[(&str, &str)]) -> Value {
    let r = http()
        .get(format!(
            "{}/api/catalog/entities/by-query",
            sim.endpoints().backstage
        ))
        .bearer_auth("sim-token")
        .query(params)
        .send()
        .await
        .expect("the catalog answers");
    assert_eq!(r.status(), 200, "{params:?}");
    r.json().await.expect("the catalog answers JSON")
}

fn refs(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            format!(
                "{}:{}/{}",
                e["kind"].as_str().unwrap_or_default(),
                e["metadata"]["namespace"].as_str().unwrap_or_default(),
                e["metadata"]["name"].as_str().unwrap_or_default()
            )
            .to_lowercase()
        })
        .collect()
}

/// Every entity read from the descriptors and templates on disk.
fn on_disk(dir: &Path) -> Vec<Value> {
    let mut files = vec![dir.join("org/catalog-info.yaml")];
    for entry in std::fs::read_dir(dir.join("repos")).expect("the repos folder exists") {
        files.push(entry.expect("a dir entry").path().join("catalog-info.yaml"));
    }
    // The org's Location names the golden-path templates too.
    for entry in std::fs::read_dir(dir.join("templates")).expect("the templates folder exists") {
        files.push(entry.expect("a dir entry").path().join("template.yaml"));
    }
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("the descriptor is readable");
        for doc in serde_norway::Deserializer::from_str(&text) {
            let v = Value::deserialize(doc)
                .unwrap_or_else(|e| panic!("{} is valid YAML: {e}", file.display()));
            out.push(v);
        }
    }
    out
}

#[tokio::test]
async fn cursors_page_through_every_entity_exactly_once() {
    let sim = frozen().await;
    let disk = on_disk(sim.dir());
    let first = query(&sim, &[("limit", "7")]).await;
    let total = first["totalItems"].as_u64().expect("a total") as usize;
    assert_eq!(total, disk.len(), "the API serves every entity on disk");
    assert!(first["pageInfo"].get("prevCursor").is_none());
    let mut seen = refs(&first);
    let mut page = first;
    let mut pages = 1;
    while let Some(cursor) = page["pageInfo"]["nextCursor"].as_str().map(str::to_string) {
        // With a cursor, the original query is carried by the cursor; a filter here is ignored.
        page = query(
            &sim,
            &[("cursor", &cursor), ("limit", "7"), ("filter", "kind=user")],
        )
        .await;
        assert!(page["pageInfo"]["prevCursor"].is_string());
        seen.extend(refs(&page));
        pages += 1;
    }
    assert_eq!(pages, total.div_ceil(7));
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(seen.len(), total);
    assert_eq!(unique.len(), total, "no entity twice");

    let bad = http()
        .get(format!(
            "{}/api/catalog/entities/by-query?cursor=%%%",
            sim.endpoints().backstage
        ))
        .send()
        .await
        .expect("answers");
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.expect("JSON error");
    assert_eq!(body["error"]["name"], "InputError");
}

#[tokio::test]
async fn filters_fields_and_order_work_as_backstage_documents() {
    let sim = frozen().await;
    let world = &sim.shared.world;

    // Conditions in one filter are ANDed, and case does not matter.
    let services = query(
        &sim,
        &[
            ("filter", "Kind=Component,spec.type=service"),
            ("limit", "500"),
        ],
    )
    .await;
    let want = world
        .services
        .iter()
        .filter(|s| !s.name.ends_with("-web"))
        .count();
    assert_eq!(services["totalItems"], want);

    // Separate filters are ORed.
    let people = query(
        &sim,
        &[
            ("filter", "kind=user"),
            ("filter", "kind=group,spec.type=team"),
            ("limit", "500"),
        ],
    )
    .await;
    assert_eq!(people["totalItems"], world.people.len() + world.teams.len());

    // Relations as Backstage computes them.
    let owned = query(
        &sim,
        &[
            ("filter", "relations.ownedBy=group:default/team-payments"),
            ("limit", "500"),
        ],
    )
    .await;
    let kinds: BTreeSet<&str> = owned["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["API", "Component", "Resource", "System"])
    );
    let components = owned["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["kind"] == "Component")
        .count();
    assert_eq!(
        components,
        world
            .services
            .iter()
            .filter(|s| s.owner == "team-payments")
            .count()
    );
    let payments = query(
        &sim,
        &[("filter", "kind=component,metadata.name=payments-api")],
    )
    .await;
    let rels: BTreeSet<(String, String)> = payments["items"][0]["relations"]
        .as_array()
        .expect("relations")
        .iter()
        .map(|r| {
            (
                r["type"].as_str().unwrap_or_default().to_string(),
                r["targetRef"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    for want in [
        ("ownedBy", "group:default/team-payments"),
        ("partOf", "system:default/payments"),
        ("providesApi", "api:default/payments-openapi"),
        ("dependsOn", "component:default/ledger"),
        ("dependsOn", "resource:default/payments-api-db"),
        ("dependencyOf", "component:default/checkout-web"),
    ] {
        assert!(
            rels.contains(&(want.0.to_string(), want.1.to_string())),
            "payments-api has {want:?}: {rels:?}"
        );
    }

    // Tags as keys, and a key alone tests existence.
    let java = query(&sim, &[("filter", "metadata.tags.java")]).await;
    assert_eq!(refs(&java), ["component:default/payments-api"]);
    let with_apis = query(
        &sim,
        &[
            ("filter", "kind=component,spec.providesApis"),
            ("limit", "500"),
        ],
    )
    .await;
    assert_eq!(with_apis["totalItems"], world.apis.len());

    // Fields keep only what was asked for.
    let slim = query(
        &sim,
        &[("filter", "kind=system"), ("fields", "kind,metadata.name")],
    )
    .await;
    for item in slim["items"].as_array().expect("items") {
        assert_eq!(item.as_object().map(|o| o.len()), Some(2));
        assert_eq!(item["metadata"].as_object().map(|o| o.len()), Some(1));
    }

    // Ordering, and the full-text filter.
    let ordered = query(
        &sim,
        &[
            ("filter", "kind=user"),
            ("orderField", "metadata.name,desc"),
            ("limit", "500"),
        ],
    )
    .await;
    let names: Vec<&str> = ordered["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["metadata"]["name"].as_str())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(names, sorted);
    let found = query(
        &sim,
        &[
            ("fullTextFilterTerm", "LEDGER"),
            ("filter", "kind=component"),
        ],
    )
    .await;
    let found = refs(&found);
    assert!(found.contains(&"component:default/ledger".to_string()));
    assert!(found.iter().all(|r| r.contains("ledger")), "{found:?}");
}

#[tokio::test]
async fn by_name_and_by_refs() {
    let sim = frozen().await;
    let client = http();
    let base = format!("{}/api/catalog/entities", sim.endpoints().backstage);
    let e: Value = client
        .get(format!("{base}/by-name/component/default/payments-api"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        e["metadata"]["annotations"]["github.com/project-slug"],
        "acme/payments-api"
    );
    assert_eq!(
        e["metadata"]["annotations"]["backstage.io/kubernetes-id"],
        "payments-api"
    );
    assert!(e["metadata"]["uid"].is_string() && e["metadata"]["etag"].is_string());

    let missing = client
        .get(format!("{base}/by-name/component/default/nope"))
        .send()
        .await
        .expect("answers");
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.expect("JSON");
    assert_eq!(body["error"]["name"], "NotFoundError");

    let r: Value = client
        .post(format!("{base}/by-refs"))
        .json(&json!({ "entityRefs": ["component:default/ledger", "api:default/nope", "user:default/jdoe"], "fields": ["kind", "metadata.name"] }))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        r["items"][0],
        json!({ "kind": "Component", "metadata": { "name": "ledger" } })
    );
    assert_eq!(
        r["items"][1],
        Value::Null,
        "a missing entity is null, in request order"
    );
    assert_eq!(r["items"][2]["kind"], "User");
}

/// The API entity without what the catalog adds while processing: the descriptor itself.
fn as_descriptor(mut e: Value, namespace_on_disk: bool) -> Value {
    if let Some(o) = e.as_object_mut() {
        o.remove("relations");
    }
    if let Some(meta) = e.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("uid");
        meta.remove("etag");
        if !namespace_on_disk {
            meta.remove("namespace");
        }
        if let Some(a) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            a.remove("backstage.io/managed-by-location");
            a.remove("backstage.io/managed-by-origin-location");
        }
        if meta
            .get("annotations")
            .and_then(Value::as_object)
            .is_some_and(|a| a.is_empty())
        {
            meta.remove("annotations");
        }
    }
    e
}

#[tokio::test]
async fn files_on_disk_agree_with_the_servers() {
    let sim = frozen().await;
    let dir = sim.dir().to_path_buf();
    let client = http();

    // Every descriptor document is exactly what the catalog serves, minus what it adds.
    for doc in on_disk(&dir) {
        let kind = doc["kind"].as_str().expect("a kind").to_lowercase();
        let name = doc["metadata"]["name"].as_str().expect("a name");
        let served: Value = client
            .get(format!(
                "{}/api/catalog/entities/by-name/{kind}/default/{name}",
                sim.endpoints().backstage
            ))
            .send()
            .await
            .expect("answers")
            .json()
            .await
            .expect("JSON");
        let namespaced = doc["metadata"].get("namespace").is_some();
        assert_eq!(as_descriptor(served, namespaced), doc, "{kind}/{name}");
    }

    // The Location finds every repo's descriptor.
    let org = std::fs::read_to_string(dir.join("org/catalog-info.yaml")).expect("readable");
    assert!(org.contains("../repos/*/catalog-info.yaml"));

    // Docs: mkdocs.yml's nav names files that exist; the alerts' runbooks exist with the
    // anchors they link to.
    for svc in &sim.shared.world.services {
        let repo = dir.join("repos").join(&svc.name);
        let mkdocs: Value = serde_norway::from_str(
            &std::fs::read_to_string(repo.join("mkdocs.yml")).expect("readable"),
        )
        .expect("mkdocs.yml is YAML");
        assert_eq!(mkdocs["site_name"], svc.name.as_str());
        let mut pages = Vec::new();
        fn collect(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::String(s) => out.push(s.clone()),
                Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
                Value::Object(o) => o.values().for_each(|x| collect(x, out)),
                _ => {}
            }
        }
        collect(&mkdocs["nav"], &mut pages);
        assert!(pages.len() >= 6);
        for page in pages {
            assert!(
                repo.join("docs").join(&page).is_file(),
                "{}: nav names {page}",
                svc.name
            );
        }
    }
    for alert in sim
        .shared
        .world
        .alerts(epoch() + Duration::minutes(10), Duration::hours(1))
    {
        if alert.runbook.is_empty() {
            continue;
        }
        let (file, anchor) = alert
            .runbook
            .split_once('#')
            .unwrap_or((alert.runbook.as_str(), ""));
        let text = std::fs::read_to_string(
            dir.join("repos")
                .join(&alert.service)
                .join("docs")
                .join(file),
        )
        .expect("the runbook exists");
        if !anchor.is_empty() {
            let heading = anchor.replace('-', " ");
            assert!(
                text.lines().any(|l| l.starts_with('#')
                    && l.trim_start_matches('#')
                        .trim()
                        .eq_ignore_ascii_case(&heading)),
                "{file} has a heading for #{anchor}"
            );
        }
        assert!(
            text.contains("```sh") && text.contains("kubectl"),
            "{file} says what to run"
        );
    }
    let crash =
        std::fs::read_to_string(dir.join("repos/payments-api/docs/runbooks/crash-looping.md"))
            .expect("readable");
    for part in [
        "## First five minutes",
        "!!! warning",
        "- [ ]",
        "| --- |",
        "kubectl -n payments rollout undo deployment/payments-api",
    ] {
        assert!(crash.contains(part), "the crash-looping runbook has {part}");
    }

    // The cockpit's config points at these servers.
    let text = std::fs::read_to_string(sim.flightdeck_config()).expect("readable");
    let config: toml::Table = toml::from_str(&text).expect("flightdeck.toml is TOML");
    flightdeck::config::load(&sim.flightdeck_config())
        .expect("the cockpit's own loader accepts it");
    assert_eq!(config["general"]["me"].as_str(), Some("user:default/jdoe"));
    assert_eq!(
        config["github"]["api_url"].as_str(),
        Some(sim.endpoints().github.as_str())
    );
    assert_eq!(
        config["gitlab"]["api_url"].as_str(),
        Some(sim.endpoints().gitlab.as_str())
    );
    assert_eq!(
        config["catalog"]["backstage"]["url"].as_str(),
        Some(sim.endpoints().backstage.as_str())
    );
    assert_eq!(
        config["alertmanager"][0]["url"].as_str(),
        Some(sim.endpoints().alertmanager.as_str())
    );
    let catalog = config["catalog"]["paths"][0]
        .as_str()
        .expect("a catalog path");
    assert!(Path::new(catalog).is_file());
    assert_eq!(
        config["kubernetes"]["kubeconfig"].as_str().map(Path::new),
        Some(sim.kubeconfig().as_path())
    );
    assert!(
        sim.kubeconfig().is_file(),
        "the Kubernetes server wrote its kubeconfig"
    );
}
