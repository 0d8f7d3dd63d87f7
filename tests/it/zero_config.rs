//! Zero config: in a fresh git repository holding only a descriptor, with its origin remote on
//! the sim's GitHub, `flightdeck status` needs no config file; `flightdeck init` writes one from
//! the same findings, and it loads.

use std::path::Path;
use std::process::{Command, Output};

use flightdeck_sim::{Sim, SimConfig};

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");

const DESCRIPTOR: &str = "apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-api
  annotations:
    github.com/project-slug: acme/payments-api
spec:
  type: service
  lifecycle: production
  owner: team-payments
";

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

/// A clone-like repository: `git init`, the descriptor, an origin remote.
fn repo(remote: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    git(dir.path(), &["init", "-q"]);
    std::fs::write(dir.path().join("catalog-info.yaml"), DESCRIPTOR).expect("descriptor");
    git(dir.path(), &["remote", "add", "origin", remote]);
    dir
}

/// The binary in `cwd` with a home of its own: no config file, no kubeconfig, no gh login.
fn run(cwd: &Path, home: &Path, github_api: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("KUBECONFIG", home.join("no-kubeconfig"))
        .env("FLIGHTDECK_GITHUB_API_URL", github_api)
        .env_remove("FLIGHTDECK_CONFIG")
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the binary runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_in_a_fresh_repository_with_only_a_descriptor_prints_its_service() {
    let sim = Sim::start(SimConfig::default())
        .await
        .expect("the sim starts");
    let api = sim.endpoints().github.clone();
    let repo = repo(&format!("{api}/acme/payments-api.git"));
    let home = tempfile::tempdir().expect("a temp dir");
    let cwd = repo.path().to_path_buf();
    let home_path = home.path().to_path_buf();
    let api2 = api.clone();
    let out = tokio::task::spawn_blocking(move || {
        run(
            &cwd,
            &home_path,
            &api2,
            &["status", "--json", "--timeout", "20"],
        )
    })
    .await
    .expect("joined");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("status prints JSON ({e}); stderr: {stderr}"));
    let services = json["services"].as_array().expect("a services list");
    assert_eq!(services.len(), 1, "{json}");
    assert_eq!(services[0]["name"], "payments-api");
    // The CI cell came from the sim's GitHub, found through the remote alone.
    assert_eq!(services[0]["ci"]["source"], "github", "{json}");
    assert!(services[0]["ci"]["value"]["state"].is_string(), "{json}");
    for line in [
        "catalog       found:",
        "github        found: acme/payments-api on",
        "github token  not configured: export GH_TOKEN",
        "kubernetes    not configured:",
    ] {
        assert!(stderr.contains(line), "{line}: {stderr}");
    }
    drop(sim);
}

#[test]
fn init_writes_a_commented_config_that_loads_and_names_no_token() {
    let repo = repo("git@github.com:acme/payments-api.git");
    let home = tempfile::tempdir().expect("a temp dir");
    let path = home.path().join("written.toml");
    let config = path.display().to_string();
    let out = Command::new(BIN)
        .args(["init", "--config", &config])
        .current_dir(repo.path())
        .env("HOME", home.path())
        .env("KUBECONFIG", home.path().join("no-kubeconfig"))
        .env("GH_TOKEN", "ghp_secret_never_written")
        .env_remove("FLIGHTDECK_GITHUB_API_URL")
        .output()
        .expect("the binary runs");
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(&path).expect("the config was written");
    assert!(!text.contains("ghp_secret"), "{text}");
    assert!(
        text.contains("api_url = \"https://api.github.com\""),
        "{text}"
    );
    assert!(
        text.contains("$GH_TOKEN, sent only to github.com"),
        "{text}"
    );
    let loaded = flightdeck::config::load(&path).expect("the written config loads");
    assert!(loaded.config.github.is_some());
    assert!(loaded.config.kubernetes.is_none());
    // A second init does not overwrite without --force.
    let again = Command::new(BIN)
        .args(["init", "--config", &config])
        .current_dir(repo.path())
        .env("HOME", home.path())
        .output()
        .expect("the binary runs");
    assert_eq!(again.status.code(), Some(2));
}

/// The cockpit itself, started with no config file in such a repository, says what it found
/// and what is not configured, on the Onboarding screen rather than only on stderr.
#[test]
fn the_cockpit_shows_each_source_found_or_how_to_add_it() {
    use crate::e2e_tmux::{Tmux, assert_restored, script};
    let Some(t) = Tmux::new("zero") else { return };
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sim = rt
        .block_on(Sim::start(SimConfig {
            speed: 0.0,
            ..SimConfig::default()
        }))
        .expect("the sim starts");
    let api = sim.endpoints().github.clone();
    let repo = repo(&format!("{api}/acme/payments-api.git"));
    t.start(&format!(
        "cd {repo}; export KUBECONFIG={none} FLIGHTDECK_GITHUB_API_URL={api}; unset GH_TOKEN GITHUB_TOKEN; {run}",
        repo = repo.path().display(),
        none = t.path("no-kubeconfig").display(),
        run = script(&t, "--no-snapshot"),
    ));
    t.wait_for("no config file: sources from this repository");
    t.keys(&["6"]);
    let screen = t.wait_for("sources found in this repository");
    for line in [
        "catalog",
        "found: acme/payments-api on",
        "github token",
        "not configured: export GH_TOKEN",
        "kubernetes",
        "not configured: a kubeconfig with a current context",
        "alertmanager",
    ] {
        assert!(screen.contains(line), "{line}:\n{screen}");
    }
    // The descriptor's service is there too: the config it stands in for works.
    t.keys(&["1"]);
    t.wait_for("payments-api");
    t.keys(&["q"]);
    assert_restored(&t);
    drop(sim);
}
