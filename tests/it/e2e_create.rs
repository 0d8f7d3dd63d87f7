//! End to end: a new service created from the Create screen of the real binary in a real
//! terminal (tmux) against the sim — its registration failing once and `R` resuming it — then
//! seen through the GitHub API and the catalog; and
//! templates that are refused (an unsupported action, a pattern that does not compile) create
//! nothing.

use std::path::Path;

use crate::e2e_tmux::{Tmux, assert_restored, script};
use crate::scaffold::get;

/// A catalog file beside the sim's, with a template whose last step no scaffolder here runs
/// (after a publish that would create a repository) and one whose pattern does not compile.
fn refused_templates(dir: &Path, github_host: &str, org: &str) -> std::path::PathBuf {
    let path = dir.join("refused-templates.yaml");
    let body = format!(
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: pr-only\n  title: Publish then open a pull request\n\
         spec:\n  owner: team-platform\n  type: service\n  parameters:\n    required: [name]\n    properties:\n      name: {{ type: string }}\n  steps:\n\
         \x20   - id: publish\n      action: publish:github\n      input:\n        repoUrl: \"{github_host}?owner={org}&repo=${{{{ parameters.name }}}}\"\n\
         \x20   - id: cookie\n      action: fetch:cookiecutter\n      input: {{ url: ./skeleton }}\n\
         ---\n\
         apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: bad-pattern\n\
         spec:\n  owner: team-platform\n  type: service\n  parameters:\n    properties:\n      name: {{ type: string, pattern: \"([\" }}\n  steps:\n\
         \x20   - id: log\n      action: debug:log\n      input: {{ message: hi }}\n"
    );
    std::fs::write(&path, body).expect("the catalog file is written");
    path
}

#[test]
fn a_service_created_from_the_create_screen_is_on_github_and_in_the_catalog() {
    let Some(t) = Tmux::new("create") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sim = rt
        .block_on(flightdeck_sim::Sim::start(flightdeck_sim::SimConfig {
            speed: 0.0,
            ..Default::default()
        }))
        .expect("the sim starts");
    let org = sim.shared.world.org.clone();
    let gh = sim.endpoints().github.clone();
    let backstage = sim.endpoints().backstage.clone();
    let host = flightdeck_sim::scaffold::github_host(sim.endpoints());
    let extra = refused_templates(&t.path(""), &host, &org);
    let config = std::fs::read_to_string(sim.flightdeck_config()).expect("the sim's config");
    let config = config.replacen(
        "paths = [",
        &format!("paths = [{:?}, ", extra.display().to_string()),
        1,
    );
    let config_path = t.path("config.toml");
    std::fs::write(&config_path, config).expect("the config is written");

    t.start(&script(
        &t,
        &format!("--no-snapshot --config {}", config_path.display()),
    ));
    t.wait_for("Overview");
    t.keys(&["9"]);
    // The bad pattern is a problem beside the list, never a template to pick.
    let list = t.wait_for("does not compile");
    assert!(list.contains("Create · 4 templates"), "{list}");
    assert!(!list.contains(" bad-pattern "), "{list}");

    t.keys(&["/"]);
    t.keys(&["rust-service"]);
    t.keys(&["Enter", "Enter"]);
    t.wait_for("page 1/1: About the service");
    // Checked as typed.
    t.keys(&["E2E"]);
    t.wait_for("does not match ^[a-z][a-z0-9-]*$");
    t.keys(&["BSpace", "BSpace", "BSpace", "e2e-billing"]);
    // The owner picker offers the catalog's groups; enter takes the best match.
    t.keys(&["Tab", "paym"]);
    t.wait_for("group:default/team-payments");
    // The description is a textarea: `enter` starts its second line, `ctrl-s` accepts the page.
    t.keys(&[
        "Enter",
        "BTab",
        "BTab",
        "Bills customers",
        "Enter",
        "every month",
    ]);
    t.wait_for("text, line 2/2");
    t.keys(&["C-s"]);
    let review = t.wait_for("Files (");
    assert!(
        review.contains(&format!("repository {host}/{org}/e2e-billing")),
        "{review}"
    );
    assert!(
        review.contains("catalog entry component:default/e2e-billing"),
        "{review}"
    );
    assert_eq!(
        rt.block_on(get(&format!("{gh}/repos/{org}/e2e-billing"))).0,
        404,
        "the review creates nothing"
    );
    // The catalog fails the registration once: the run stops there, resumable, with the
    // repository made and named; `R` goes on from the failed step without making it again.
    let backstage_faults = rt.block_on(async {
        flightdeck::providers::http::client(std::time::Duration::from_secs(10))
            .expect("a client")
            .post(format!("{backstage}/_sim/faults"))
            .json(&serde_json::json!({ "path_prefix": "/api/catalog/locations", "kind": "status", "code": 503, "times": 1 }))
            .send()
            .await
            .expect("the fault endpoint answers")
            .status()
            .as_u16()
    });
    assert_eq!(backstage_faults, 201);
    t.keys(&["c"]);
    t.wait_for("Create from rust-service");
    t.keys(&["y"]);
    let failed = t.wait_for("resumes from the failed step");
    assert!(
        failed.contains("Step register (catalog:register) failed"),
        "{failed}"
    );
    assert!(failed.contains("Already created:"), "{failed}");
    assert_eq!(
        rt.block_on(get(&format!(
            "{backstage}/api/catalog/entities/by-name/component/default/e2e-billing"
        )))
        .0,
        404,
        "not registered yet"
    );
    t.keys(&["R"]);
    t.wait_for("Resume creating from rust-service");
    t.keys(&["y"]);
    let done = t.wait_for("Created.");
    assert!(done.contains("[4/4] Say where it is"), "{done}");
    // The screen follows it to production: the catalog, read again at once, lists it.
    t.wait_for("Road to production");
    t.wait_for("✓ in the catalog");

    let (status, repo) = rt.block_on(get(&format!("{gh}/repos/{org}/e2e-billing")));
    assert_eq!(status, 200, "{repo}");
    assert_eq!(repo["description"], "Bills customers\nevery month");
    let (status, entity) = rt.block_on(get(&format!(
        "{backstage}/api/catalog/entities/by-name/component/default/e2e-billing"
    )));
    assert_eq!(status, 200, "registered in the catalog: {entity}");
    assert_eq!(
        entity["metadata"]["annotations"]["backstage.io/source-template"],
        "template:default/rust-service"
    );
    // Done with it: `esc` goes back to the list. A template with an unsupported step is
    // refused at the review, and nothing is created.
    t.keys(&["Escape", "/", "C-u"]);
    t.keys(&["pr-only", "Enter", "Enter"]);
    t.wait_for("Publish then open a pull request · page 1/1");
    t.keys(&["e2e-pr", "Enter"]);
    let refused = t.wait_for("Refused: nothing would be created");
    assert!(
        refused.contains("step cookie (fetch:cookiecutter): this action is not supported"),
        "{refused}"
    );
    t.keys(&["c"]);
    t.wait_for("nothing to create");
    assert_eq!(
        rt.block_on(get(&format!("{gh}/repos/{org}/e2e-pr"))).0,
        404,
        "a refused template creates nothing"
    );
    // The new service is in the cockpit, read again when it was created.
    t.keys(&["1", "/"]);
    t.keys(&["e2e-billing", "Enter"]);
    t.wait_for("1 of ");
    // Its Service screen says which template made it and when it was requested.
    t.keys(&["Enter"]);
    t.wait_for("template:default/rust-service · requested");
    t.keys(&["Escape"]);
    // Onboarding's first-deploy step opens the Create screen on the team's template.
    t.keys(&["6", "/"]);
    t.keys(&["Deploy to staging", "Enter", "G"]);
    t.wait_for("opens the Create screen on rust-service");
    t.keys(&["Enter"]);
    t.wait_for("Rust HTTP service · page 1/1");
    t.keys(&["Escape"]);
    t.keys(&["q"]);
    assert_restored(&t);
    drop(sim);
}
