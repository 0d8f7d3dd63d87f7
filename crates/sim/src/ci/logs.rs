//! Job logs: plausible runner output for a planned job, written as GitHub's log download and as
//! GitLab's trace, so both hosts show the same steps failing the same way.

use chrono::{DateTime, Duration, Utc};

use crate::world::{ScheduledRun, Service, SimClock, World};

use super::{JobEnd, JobPlan, StepPlan, toolchain};

/// What a step prints, without timestamps. The main step of a failing job shows the failure.
fn step_output(run: &ScheduledRun, svc: &Service, job: &JobPlan, step: &StepPlan) -> Vec<String> {
    let (setup, build, test, lint) = toolchain(&svc.language);
    let failed = step.end_as == JobEnd::Failure;
    let name = step.name.as_str();
    let mut out = Vec::new();
    if name == "Set up job" {
        out.push("Current runner version: '2.321.0'".into());
        out.push("##[group]Runner Image".into());
        out.push("Image: ubuntu-24.04".into());
        out.push("Version: 20260223.1.0".into());
        out.push("##[endgroup]".into());
        out.push("##[group]GITHUB_TOKEN Permissions".into());
        out.push("Contents: read".into());
        out.push("Deployments: write".into());
        out.push("##[endgroup]".into());
        out.push("Prepare workflow directory".into());
        out.push("Prepare all required actions".into());
        out.push("Getting action download info".into());
        out.push(format!("Complete job name: {}", job.name));
    } else if name == "Run actions/checkout@v4" {
        out.push("##[group]Run actions/checkout@v4".into());
        out.push("with:".into());
        out.push(format!("  repository: {}", svc.repo));
        out.push("##[endgroup]".into());
        out.push(format!("Syncing repository: {}", svc.repo));
        out.push("\u{1b}[36;1m[command]/usr/bin/git\u{1b}[0m -c protocol.version=2 fetch --no-tags --prune --no-recurse-submodules --depth=1 origin".into());
        out.push(format!(
            "HEAD is now at {} {}",
            &run.commit.sha[..7],
            run.commit.message
        ));
    } else if name == setup {
        out.push(format!(
            "##[group]Run {}",
            setup.to_lowercase().replace(' ', "-")
        ));
        out.push("##[endgroup]".into());
        out.push(format!("{setup}: found in the tool cache"));
    } else if name == "Log in to the registry" {
        out.push("Logging into ghcr.io...".into());
        out.push("Login Succeeded!".into());
    } else if let Some(env) = name.strip_prefix("Deploy to ") {
        let tag = &run.commit.sha[..7];
        out.push(format!(
            "##[group]Run kubectl -n {} set image deployment/{} app=ghcr.io/{}:{tag}",
            svc.namespace, svc.name, svc.repo
        ));
        out.push(format!("\u{1b}[36;1mkubectl --context {env} -n {} set image deployment/{} app=ghcr.io/{}:{tag}\u{1b}[0m", svc.namespace, svc.name, svc.repo));
        out.push("##[endgroup]".into());
        out.push(format!("deployment.apps/{} image updated", svc.name));
    } else if name == "Wait for the rollout" {
        let n = svc.replicas.max(1);
        for i in 0..n {
            out.push(format!("Waiting for deployment \"{}\" rollout to finish: {i} of {n} updated replicas are available...", svc.name));
        }
        out.push(format!(
            "deployment \"{}\" successfully rolled out",
            svc.name
        ));
    } else if let Some(cmd) = name.strip_prefix("Run ") {
        out.push(format!("##[group]Run {cmd}"));
        out.push(format!("\u{1b}[36;1m{cmd}\u{1b}[0m"));
        out.push("shell: /usr/bin/bash -e {0}".into());
        out.push("##[endgroup]".into());
        out.extend(command_output(
            svc,
            cmd,
            cmd == build,
            cmd == test,
            cmd == lint,
            failed,
        ));
        if failed {
            out.push(format!(
                "##[error]Process completed with exit code {}.",
                exit_code(&svc.language)
            ));
        }
    } else if name.starts_with("Post ") {
        out.push("Post job cleanup.".into());
    } else if name == "Complete job" {
        out.push("Cleaning up orphan processes".into());
    }
    if step.end_as == JobEnd::Cancelled {
        out.push("##[error]The operation was canceled.".into());
    }
    out
}

fn exit_code(language: &str) -> u8 {
    match language {
        "rust" => 101,
        _ => 1,
    }
}

/// Output of a build, test or lint command; a failure shows what failed.
fn command_output(
    svc: &Service,
    cmd: &str,
    is_build: bool,
    is_test: bool,
    is_lint: bool,
    failed: bool,
) -> Vec<String> {
    let red = |s: &str| format!("\u{1b}[31m{s}\u{1b}[0m");
    let green = |s: &str| format!("\u{1b}[32m{s}\u{1b}[0m");
    let crate_name = svc.name.replace('-', "_");
    let mut out = Vec::new();
    match (svc.language.as_str(), is_build, is_test, is_lint) {
        ("rust", true, _, _) => {
            out.push(format!(
                "   \u{1b}[1m\u{1b}[32mCompiling\u{1b}[0m {} v0.4.2 (/home/runner/work/{0}/{0})",
                svc.name
            ));
            if failed {
                out.push(red("error[E0308]: mismatched types"));
                out.push("  --> src/handlers.rs:88:24".into());
                out.push(red("error: could not compile due to 1 previous error"));
            } else {
                out.push("    \u{1b}[1m\u{1b}[32mFinished\u{1b}[0m `release` profile [optimized] target(s) in 1m 12s".to_string());
            }
        }
        ("rust", _, true, _) => {
            out.push("running 48 tests".into());
            out.push(format!(
                "test {crate_name}::handlers::tests::rejects_empty_body ... {}",
                green("ok")
            ));
            if failed {
                out.push(format!(
                    "test {crate_name}::store::tests::retries_on_conflict ... {}",
                    red("FAILED")
                ));
                out.push(String::new());
                out.push("failures:".into());
                out.push(format!(
                    "---- {crate_name}::store::tests::retries_on_conflict stdout ----"
                ));
                out.push(
                    "thread 'store::tests::retries_on_conflict' panicked at src/store.rs:214:9:"
                        .into(),
                );
                out.push("assertion `left == right` failed: the second write wins".into());
                out.push("  left: 1".into());
                out.push(" right: 2".into());
                out.push(format!(
                    "test result: {}. 47 passed; 1 failed; 0 ignored",
                    red("FAILED")
                ));
            } else {
                out.push(format!(
                    "test result: {}. 48 passed; 0 failed; 0 ignored; finished in 3.41s",
                    green("ok")
                ));
            }
        }
        ("go", _, true, _) => {
            if failed {
                out.push("--- FAIL: TestCartTotalsWithDiscount (0.02s)".into());
                out.push("    cart_test.go:57: total = 41.99, want 39.99".into());
                out.push(red("FAIL"));
                out.push(format!(
                    "FAIL\tgithub.com/{}/internal/cart\t0.412s",
                    svc.repo
                ));
            } else {
                out.push(format!(
                    "ok  \tgithub.com/{}/internal/cart\t0.398s",
                    svc.repo
                ));
                out.push(format!(
                    "ok  \tgithub.com/{}/internal/http\t0.201s",
                    svc.repo
                ));
            }
        }
        ("python", _, true, _) => {
            if failed {
                out.push(format!("tests/test_scoring.py ..{}.....", red("F")));
                out.push(red("FAILED tests/test_scoring.py::test_threshold_for_new_customers - AssertionError: assert 0.71 < 0.7"));
                out.push(red("1 failed, 63 passed in 4.12s"));
            } else {
                out.push("tests/test_scoring.py ........".into());
                out.push(green("64 passed in 4.02s"));
            }
        }
        ("java" | "kotlin", _, true, _) => {
            if failed {
                out.push(red(
                    "[ERROR] Tests run: 212, Failures: 1, Errors: 0, Skipped: 0",
                ));
                out.push(red("[ERROR] PaymentAuthorisationTest.declinesExpiredCards:88 expected: <DECLINED> but was: <APPROVED>"));
                out.push(red("[ERROR] BUILD FAILURE"));
            } else {
                out.push("[INFO] Tests run: 212, Failures: 0, Errors: 0, Skipped: 0".into());
                out.push(green("[INFO] BUILD SUCCESS"));
            }
        }
        (_, _, true, _) => {
            if failed {
                out.push(format!("{} src/checkout.test.ts", red("FAIL")));
                out.push("  ● checkout › shows the card error from the payments API".into());
                out.push("    expect(received).toContain(expected)".into());
                out.push(red("Tests: 1 failed, 87 passed, 88 total"));
            } else {
                out.push(format!("{} src/checkout.test.ts", green("PASS")));
                out.push("Tests: 88 passed, 88 total".into());
            }
        }
        (_, _, _, true) => {
            if failed {
                out.push(red("src/handlers: unused variable `retries`"));
                out.push(red("Found 1 error."));
            } else {
                out.push(green("All checks passed!"));
            }
        }
        _ => {
            if failed {
                out.push(red(&format!("{cmd}: build failed")));
            } else {
                out.push(format!("{cmd}: done"));
            }
        }
    }
    out
}

/// A job's log as GitHub serves it: each line prefixed with its time (seven fractional
/// digits), and only what has happened by `now`. The service is the server's (a world service
/// or a launched one).
pub fn github_log(
    clock: &SimClock,
    svc: &Service,
    run: &ScheduledRun,
    job: &JobPlan,
    now: DateTime<Utc>,
) -> String {
    let mut text = String::new();
    for step in &job.steps {
        if step.end_as == JobEnd::Skipped || step.start > now {
            continue;
        }
        let lines = step_output(run, svc, job, step);
        let span = (step.end - step.start).num_milliseconds().max(0);
        let n = lines.len().max(1) as i64;
        for (i, line) in lines.iter().enumerate() {
            let at = step.start + Duration::milliseconds(span * i as i64 / n);
            if at > now {
                break;
            }
            let wall = clock.wall(at);
            let frac = wall.timestamp_subsec_nanos() / 100;
            text.push_str(&format!(
                "{}.{frac:07}Z {line}\n",
                wall.format("%Y-%m-%dT%H:%M:%S")
            ));
        }
    }
    text
}

/// A job's trace as GitLab serves it: collapsible sections, `$ command` echoes, and the
/// runner's verdict at the end.
pub fn gitlab_trace(
    clock: &SimClock,
    world: &World,
    run: &ScheduledRun,
    job: &JobPlan,
    now: DateTime<Utc>,
) -> String {
    let Some(svc) = world.service(&run.service) else {
        return String::new();
    };
    let mut text = String::from("\u{1b}[0KRunning with gitlab-runner 17.9.0 (c4cbe9dd)\n");
    text.push_str("\u{1b}[0K  on acme-runners-1 xK2pQ9aB, system ID: s_5f0c1e2d3a4b\n");
    for (i, step) in job.steps.iter().enumerate() {
        if step.end_as == JobEnd::Skipped || step.start > now {
            continue;
        }
        let section = format!("step_{i}");
        text.push_str(&format!(
            "section_start:{}:{section}\r\u{1b}[0K\u{1b}[36;1m{}\u{1b}[0;m\n",
            clock.wall(step.start).timestamp(),
            step.name
        ));
        for line in step_output(run, svc, job, step) {
            if line.starts_with("##[") {
                continue;
            }
            text.push_str(&line);
            text.push('\n');
        }
        if step.end <= now {
            text.push_str(&format!(
                "section_end:{}:{section}\r\u{1b}[0K\n",
                clock.wall(step.end).timestamp()
            ));
        }
    }
    if job.end <= now {
        match job.end_as {
            JobEnd::Success => text.push_str("\u{1b}[32;1mJob succeeded\u{1b}[0;m\n"),
            JobEnd::Failure => text.push_str(&format!(
                "\u{1b}[31;1mERROR: Job failed: exit code {}\u{1b}[0;m\n",
                exit_code(&svc.language)
            )),
            JobEnd::Cancelled => {
                text.push_str("\u{1b}[31;1mERROR: Job failed: canceled\u{1b}[0;m\n")
            }
            JobEnd::Skipped => {}
        }
    }
    text
}
