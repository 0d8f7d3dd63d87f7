//! The catalog as the cockpit reads it: Backstage's own example entities and real descriptors
//! from public repositories (the published fixtures), malformed descriptors that must be
//! reported with file and line while the rest loads, and the Backstage API read over real
//! HTTP from the sim, which must agree with the descriptors the sim writes on disk.

use crate::common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use flightdeck::config::{Catalog, Config, ServiceDecl};
use flightdeck::providers::backstage::Client;
use flightdeck::providers::catalog::{Loaded, load, load_files};
use flightdeck_core::model::catalog::{
    Batch, CatalogState, Kind, Origin, ProblemLevel, RelationKind,
};
use flightdeck_sim::{Sim, SimConfig};

fn at() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-03-02T09:30:00Z")
        .expect("a fixed time")
        .to_utc()
}

fn state(loaded: &Loaded, me: Option<&str>) -> CatalogState {
    let mut c = CatalogState::default();
    c.batches.insert(
        Origin::Files,
        Batch {
            entities: loaded.entities.clone(),
            problems: loaded.problems.clone(),
            fetched_at: at(),
        },
    );
    c.rebuild(me);
    c
}

fn refs(c: &CatalogState) -> BTreeSet<String> {
    c.entities.iter().map(|e| e.entity_ref.clone()).collect()
}

fn has_relation(c: &CatalogState, from: &str, kind: RelationKind, to: &str) -> bool {
    c.related(from, kind).any(|t| t == to)
}

#[test]
fn backstage_examples_load_through_their_locations() {
    let Some(dir) = common::fixtures_dir() else {
        return;
    };
    let base = dir.join("backstage/catalog-model-examples");
    let loaded = load_files([
        base.join("all.yaml").as_path(),
        base.join("acme/org.yaml").as_path(),
    ]);
    let c = state(&loaded, None);
    let r = refs(&c);
    for expected in [
        "location:default/example-all",
        "location:default/example-components",
        "component:default/artist-lookup",
        "component:default/petstore",
        "api:default/petstore",
        "api:default/streetlights",
        "system:default/artist-engagement-portal",
        "system:default/podcast",
        "domain:default/artists",
        "resource:default/artists-db",
        "group:default/acme-corp",
        "group:default/backstage",
        "group:default/team-a",
        "user:default/breanna.davison",
        "user:default/guest",
        "user:development/guest",
    ] {
        assert!(r.contains(expected), "{expected} is loaded; got {r:?}");
    }
    // The two `guest` users live in different namespaces: both load, neither is a duplicate.
    assert!(
        !c.problems
            .iter()
            .any(|p| p.message.contains("defined again")),
        "{:#?}",
        c.problems
    );

    // Relations, both directions.
    let lookup = "component:default/artist-lookup";
    assert!(has_relation(
        &c,
        lookup,
        RelationKind::OwnedBy,
        "group:default/team-a"
    ));
    assert!(has_relation(
        &c,
        "group:default/team-a",
        RelationKind::OwnerOf,
        lookup
    ));
    assert!(has_relation(
        &c,
        lookup,
        RelationKind::PartOf,
        "system:default/artist-engagement-portal"
    ));
    assert!(has_relation(
        &c,
        "system:default/artist-engagement-portal",
        RelationKind::HasPart,
        lookup
    ));
    assert!(has_relation(
        &c,
        lookup,
        RelationKind::DependsOn,
        "resource:default/artists-db"
    ));
    assert!(has_relation(
        &c,
        "resource:default/artists-db",
        RelationKind::DependencyOf,
        lookup
    ));
    assert!(has_relation(
        &c,
        "component:default/petstore",
        RelationKind::ProvidesApi,
        "api:default/streetlights"
    ));
    assert!(has_relation(
        &c,
        "api:default/streetlights",
        RelationKind::ApiProvidedBy,
        "component:default/petstore"
    ));
    assert!(has_relation(
        &c,
        "user:default/breanna.davison",
        RelationKind::MemberOf,
        "group:default/team-a"
    ));
    assert!(has_relation(
        &c,
        "group:default/team-a",
        RelationKind::HasMember,
        "user:development/guest"
    ));
    assert!(has_relation(
        &c,
        "group:default/backstage",
        RelationKind::ParentOf,
        "group:default/team-a"
    ));
    assert!(has_relation(
        &c,
        "group:default/team-a",
        RelationKind::ChildOf,
        "group:default/backstage"
    ));
    assert!(has_relation(
        &c,
        "domain:default/artists",
        RelationKind::HasPart,
        "system:default/artist-engagement-portal"
    ));

    // Targets that are not in the published subset are reported at the Location's line.
    let missing = c
        .problems
        .iter()
        .find(|p| p.message.contains("playback-order-component.yaml"))
        .expect("a missing Location target is a problem");
    assert_eq!(missing.level, ProblemLevel::Warning);
    let place = missing.place.as_ref().expect("it has a place");
    assert!(place.path.ends_with("all-components.yaml"), "{place}");
    assert_eq!(place.line, 7, "the line of `targets:`");
    // Refs to entities that are absent are dangling, with the line of the field.
    let dangling = c
        .problems
        .iter()
        .find(|p| {
            p.entity.as_deref() == Some("component:default/petstore")
                && p.message.contains("api:default/hello-world")
        })
        .expect("petstore's providesApis hello-world is dangling");
    let place = dangling.place.as_ref().expect("it has a place");
    assert!(place.path.ends_with("petstore-component.yaml"));
    assert_eq!(place.line, 15, "the line of `providesApis:`");
}

#[test]
fn real_world_descriptors_load_with_their_quirks() {
    let Some(dir) = common::fixtures_dir() else {
        return;
    };
    let base = dir.join("backstage/real-world");
    let mut files: Vec<PathBuf> = Vec::new();
    for owner in std::fs::read_dir(&base).expect("the real-world fixtures are a directory") {
        let owner = owner.expect("a directory entry").path();
        for f in [
            "catalog-info.yaml",
            "examples/entities.yaml",
            "catalog-entities/components/showcase.yaml",
        ] {
            if owner.join(f).is_file() {
                files.push(owner.join(f));
            }
        }
    }
    let loaded = load_files(files.iter().map(PathBuf::as_path));
    assert_eq!(loaded.files, files.len());
    let c = state(&loaded, None);
    let r = refs(&c);
    for expected in [
        "component:default/node-apps-toolkit",
        "component:default/roadie-backstage-plugins",
        "location:default/roadie-backstage-plugins",
        "component:default/example-website",
        "api:default/example-grpc-api",
        "system:default/rhdh",
        "component:default/rhdh",
        "component:default/red-hat-developer-hub",
        "component:default/developer-portal-backend",
        "resource:default/developer-portal-techdocs-bucket",
        "resource:default/apm-agent-java-release",
        "component:default/backstage",
        "component:default/xblock",
    ] {
        assert!(r.contains(expected), "{expected} is loaded; got {r:?}");
    }
    // Seven Resources in one multi-document file.
    let elastic = c
        .entities
        .iter()
        .filter(|e| e.origin.label().contains("elastic+apm-agent-java"))
        .count();
    assert_eq!(elastic, 7);
    // A name in mixed case keeps its case for display; its ref is lower case.
    assert_eq!(
        c.get("component:default/xblock").map(|e| e.name.as_str()),
        Some("XBlock")
    );
    // `owner: group:team-extensibility`, `owner: user:mef65357` and a bare `owner: mef65357`.
    let owner = |r: &str| c.get(r).and_then(|e| e.spec.owner.clone());
    assert_eq!(
        owner("component:default/node-apps-toolkit").as_deref(),
        Some("group:default/team-extensibility")
    );
    assert_eq!(
        owner("component:default/developer-portal-backend").as_deref(),
        Some("user:default/mef65357")
    );
    assert_eq!(
        owner("resource:default/developer-portal-techdocs-bucket").as_deref(),
        Some("group:default/mef65357")
    );
    // Annotations with trailing whitespace are read, trimmed for the join.
    let t = c.targets();
    let toolkit = t
        .iter()
        .find(|t| t.name == "node-apps-toolkit")
        .expect("a target per Component");
    assert_eq!(
        toolkit.github.as_deref(),
        Some("contentful/node-apps-toolkit")
    );
    let showcase = t
        .iter()
        .find(|t| t.name == "red-hat-developer-hub")
        .expect("showcase is a Component");
    let kube = showcase
        .kubernetes
        .as_ref()
        .expect("kubernetes-id gives a selector");
    assert_eq!(kube.selector, "backstage.io/kubernetes-id=janus-idp");
    assert_eq!(kube.namespace.as_deref(), Some("janus-idp-prod"));
    // Roadie's Location globs match nothing in the published subset: a warning, not a crash.
    assert!(
        c.problems
            .iter()
            .any(|p| p.message.contains("./plugins/**/catalog-info.yaml")
                && p.message.contains("matched no file"))
    );
    // A dependsOn to a Component that is not in the catalog is dangling.
    assert!(
        c.problems
            .iter()
            .any(|p| p.message.contains("component:default/developer-guide"))
    );
    // Nothing here is malformed: every problem is a warning about something absent.
    let errors: Vec<_> = c
        .problems
        .iter()
        .filter(|p| p.level == ProblemLevel::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

const MALFORMED: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: good
spec:
  type: service
  lifecycle: production
  owner: team-a
  dependsOn: [component:ghost]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: broken
  description: [unclosed
spec:
  owner: team-a
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  description: no name here
spec:
  owner: team-a
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ownerless
spec:
  type: service
  lifecycle: production
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-a
spec:
  type: team
  children: []
";

#[test]
fn malformed_descriptors_are_reported_and_the_rest_loads() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("catalog-info.yaml");
    std::fs::write(&path, MALFORMED).expect("write the descriptor");
    let c = state(&load_files([path.as_path()]), None);
    assert_eq!(
        refs(&c),
        [
            "component:default/good",
            "component:default/ownerless",
            "group:default/team-a"
        ]
        .into_iter()
        .map(str::to_string)
        .collect()
    );
    let find = |needle: &str| {
        c.problems
            .iter()
            .find(|p| p.message.contains(needle))
            .unwrap_or_else(|| panic!("a problem saying {needle:?} in {:#?}", c.problems))
    };
    let line = |needle: &str| find(needle).place.as_ref().map(|p| (p.line, p.column));
    let yaml = find("invalid YAML");
    assert_eq!(yaml.level, ProblemLevel::Error);
    // libyaml notices the unclosed `[` on the line after it, still inside the document.
    let yaml_line = line("invalid YAML").map(|l| l.0);
    assert!(
        matches!(yaml_line, Some(15 | 16)),
        "at the unclosed sequence, got {yaml_line:?}"
    );
    assert!(
        yaml.place
            .as_ref()
            .is_some_and(|p| *p.path == *path.display().to_string())
    );
    assert_eq!(
        line("metadata.name is missing"),
        Some((19, 1)),
        "the document's first line"
    );
    assert_eq!(
        find("spec.owner is required").entity.as_deref(),
        Some("component:default/ownerless")
    );
    assert_eq!(
        line("spec.owner is required"),
        Some((30, 1)),
        "the `spec:` line"
    );
    assert_eq!(
        line("component:default/ghost"),
        Some((9, 3)),
        "the `dependsOn:` line"
    );
    assert_eq!(find("component:default/ghost").level, ProblemLevel::Warning);
}

#[test]
fn config_paths_globs_and_services_from_the_config() {
    let home = tempfile::tempdir().expect("a temp home");
    for repo in ["alpha", "beta"] {
        let d = home.path().join("src").join(repo);
        std::fs::create_dir_all(d.join("docs")).expect("mkdir");
        std::fs::write(
            d.join("catalog-info.yaml"),
            format!(
                "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {repo}\n  annotations:\n    github.com/project-slug: acme/{repo}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
            ),
        )
        .expect("write");
    }
    let config = Config {
        catalog: Catalog {
            paths: vec!["~/src/*/catalog-info.yaml".into()],
            current_repo: false,
            backstage: None,
        },
        services: vec![ServiceDecl {
            name: "legacy-billing".into(),
            owner: Some("team-b".into()),
            system: Some("billing".into()),
            lifecycle: Some("deprecated".into()),
            description: None,
            github: None,
            gitlab: Some("42".into()),
            kubernetes_id: Some("billing".into()),
            kubernetes_label_selector: None,
            kubernetes_namespace: Some("finance".into()),
            docs: None,
        }],
        ..Config::default()
    };
    let loaded = load(&config, None, Some(home.path()));
    assert_eq!(loaded.files, 2);
    let c = state(&loaded, None);
    let targets = c.targets();
    let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["alpha", "beta", "legacy-billing"]);
    assert_eq!(targets[0].github.as_deref(), Some("acme/alpha"));
    assert!(
        targets[0]
            .docs
            .as_deref()
            .is_some_and(|d| d.ends_with("src/alpha")),
        "docs/ beside the descriptor"
    );
    assert_eq!(targets[2].gitlab.as_deref(), Some("42"));
    assert_eq!(
        targets[2].kubernetes.as_ref().map(|k| k.selector.as_str()),
        Some("backstage.io/kubernetes-id=billing")
    );
    assert_eq!(
        c.get("component:default/legacy-billing")
            .and_then(|e| e.spec.system.clone())
            .as_deref(),
        Some("system:default/billing")
    );
}

#[test]
fn who_i_am_comes_from_the_config_or_the_git_email() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("org.yaml");
    std::fs::write(
        &path,
        "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: jdoe\nspec:\n  profile:\n    email: Jane@Example.com\n  memberOf: [team-a]\n---\n\
         apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\nspec:\n  type: team\n  children: []\n---\n\
         apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: mine\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n---\n\
         apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: theirs\nspec:\n  type: service\n  lifecycle: production\n  owner: team-b\n",
    )
    .expect("write");
    let loaded = load_files([path.as_path()]);
    let mut c = state(&loaded, None);
    assert!(
        c.identity.is_none(),
        "nobody until an email or `me` says so"
    );
    c.git_email = Some("jane@example.com".into());
    c.rebuild(None);
    assert_eq!(
        c.identity.as_ref().map(|i| i.user.as_str()),
        Some("user:default/jdoe")
    );
    let mine: Vec<&str> = c
        .services()
        .filter(|s| c.is_mine(s))
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(mine, ["mine"]);
    c.rebuild(Some("user:default/nobody"));
    assert!(
        c.services().all(|s| !c.is_mine(s)),
        "a configured `me` wins over the email"
    );
}

#[tokio::test]
async fn backstage_api_pages_through_the_sims_catalog_and_agrees_with_its_files() {
    // The default twelve services: beyond them the sim's world repeats API names, which the
    // catalog rightly reports as duplicates.
    let sim = Sim::start(SimConfig::default())
        .await
        .expect("the sim starts");
    // Small pages, so the cursor is followed many times.
    let client = Client::new(&sim.endpoints().backstage, Some("sim-token".into()))
        .expect("a client")
        .page_size(7);
    let fetched = client.fetch_all().await.expect("the catalog pages through");
    let org = flightdeck_sim::files::org_catalog_path(sim.dir());
    let on_disk = load_files([org.as_path()]);
    assert!(
        on_disk.files > 1,
        "the org file's Location finds every repo's descriptor"
    );
    let api: BTreeSet<String> = fetched
        .entities
        .iter()
        .map(|e| e.entity_ref.clone())
        .collect();
    let disk: BTreeSet<String> = on_disk
        .entities
        .iter()
        .map(|e| e.entity_ref.clone())
        .collect();
    assert_eq!(api, disk, "the API and the files hold the same entities");
    let services = fetched
        .entities
        .iter()
        .filter(|e| e.kind == Kind::Component)
        .count();
    assert_eq!(services, sim.shared.world.services.len());
    // The same Component reads the same through both paths, apart from where it came from
    // and where its docs are (only files have a directory).
    let pick = |entities: &[std::sync::Arc<flightdeck_core::model::catalog::Entity>]| {
        entities
            .iter()
            .find(|e| e.entity_ref == "component:default/payments-api")
            .map(|e| {
                let mut e = (**e).clone();
                e.origin = flightdeck_core::model::catalog::EntityOrigin::Config {
                    path: String::new(),
                };
                e.docs_dir = None;
                // The catalog adds where it read the entity from; the file cannot say that.
                e.annotations = e
                    .annotations
                    .iter()
                    .filter(|(k, _)| !k.starts_with("backstage.io/managed-by-"))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                e
            })
    };
    assert_eq!(pick(&fetched.entities), pick(&on_disk.entities));
    let merged = {
        let mut c = state(&on_disk, None);
        c.batches.insert(
            Origin::Backstage,
            Batch {
                entities: fetched.entities.clone(),
                problems: fetched.problems.clone(),
                fetched_at: at(),
            },
        );
        c.rebuild(None);
        c
    };
    assert!(
        !merged
            .problems
            .iter()
            .any(|p| p.message.contains("defined again")),
        "the same entity from files and API is not a duplicate: {:#?}",
        merged.problems
    );
    assert!(
        merged
            .problems
            .iter()
            .all(|p| p.level == ProblemLevel::Warning),
        "{:#?}",
        merged.problems
    );
    assert!(
        fetched.pages >= api.len() / 7,
        "{} pages for {} entities",
        fetched.pages,
        api.len()
    );
}
