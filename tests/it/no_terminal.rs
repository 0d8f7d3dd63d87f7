//! The real binary started without a terminal (a pipe, `</dev/null`, a cron job): it must say so
//! in one line and fail, not print an error report with a backtrace.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");

#[test]
fn without_a_terminal_one_line_says_so_and_the_exit_code_is_not_zero() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut child = Command::new(BIN)
        .args(["--demo", "--no-snapshot"])
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("waitable").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running a minute later without a terminal");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("its output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{:?}", out.status);
    assert_eq!(stderr.lines().count(), 1, "one line:\n{stderr}");
    assert!(stderr.contains("needs a terminal"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing on stdout");
}
