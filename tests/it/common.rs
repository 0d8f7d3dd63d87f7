//! Helpers shared by the integration tests.

use std::path::PathBuf;

/// The published payloads live beside the project, not in it (a user's clone has none).
/// Returns `None`, after saying plainly that the test did not run, when they are absent; in CI
/// (`CI=true`) their absence fails the test instead.
pub fn fixtures_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("../shared/fixtures is absent, and CI requires the fixture tests to run");
    }
    eprintln!(
        "did not run: ../shared/fixtures is absent (it exists only beside the project's own checkout)"
    );
    None
}

/// Reads one fixture, `None` when the fixtures are absent (see [`fixtures_dir`]).
pub fn fixture(relative: &str) -> Option<String> {
    let path = fixtures_dir()?.join(relative);
    Some(
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading fixture {}: {e}", path.display())),
    )
}

/// The `kubectl` binary when installed; `None`, after saying the test did not run, when it is
/// not, and a failure in CI (`CI=true`), which requires the kubectl tests to run.
pub fn kubectl() -> Option<&'static str> {
    let found = std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Some("kubectl");
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("kubectl is not installed, and CI requires the kubectl tests to run");
    }
    eprintln!("did not run: kubectl is not installed");
    None
}

/// Runs kubectl with `kubeconfig` (and its discovery cache in `cache` when given, so tests
/// running at once do not share one) and returns its trimmed output; a failure fails the test
/// with kubectl's own words.
pub fn kubectl_in(
    kubeconfig: &std::path::Path,
    cache: Option<&std::path::Path>,
    args: &[&str],
) -> String {
    let mut command = std::process::Command::new("kubectl");
    command.arg("--kubeconfig").arg(kubeconfig);
    if let Some(cache) = cache {
        command.arg("--cache-dir").arg(cache);
    }
    let out = command.args(args).output().expect("kubectl runs");
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
