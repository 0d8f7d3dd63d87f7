//! The process faults of the hardening issue, on the real binary in tmux against the demo
//! organisation (the sim, every provider polling): SIGTERM, SIGINT and SIGHUP end it within 2 s
//! with their exit codes, ctrl-z and `kill -TSTP` hand the terminal back before stopping and
//! `fg` (SIGCONT) takes it again, repaints and reads keys, a resize storm down to 1x1 leaves it
//! readable, a lost tty ends it quickly and without an abort. The terminal is given back in
//! every case.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::e2e_tmux::{BIN, Tmux, alive, assert_restored, read, script};

/// These tests run one at a time: most start a whole demo (the sim, Prometheus, Alertmanager)
/// and time how it ends, and several at once on a small machine measure the machine, not the
/// cockpit.
static TIMED: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn timed() -> std::sync::MutexGuard<'static, ()> {
    TIMED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn state(pid: &str) -> char {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(") ").and_then(|(_, r)| r.chars().next()))
        .unwrap_or('?')
}

fn wait_until(what: &str, ok: impl Fn() -> bool) -> Duration {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{what} within 5 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    start.elapsed()
}

fn pane_is_cooked(t: &Tmux) -> bool {
    let tty = t.tmux(&["display-message", "-p", "-t", "t", "#{pane_tty}"]);
    let out = Command::new("stty")
        .args(["-a", "-F", tty.trim()])
        .output()
        .expect("stty runs");
    let stty = String::from_utf8_lossy(&out.stdout);
    stty.contains(" icanon") && stty.contains(" echo")
}

/// The demo, its tour closed, on its Overview with data.
fn demo(name: &str) -> Option<Tmux> {
    let t = Tmux::new(name)?;
    t.start(&script(&t, "--demo --no-snapshot"));
    t.wait_for("tour 1/");
    t.keys(&["Escape"]);
    t.wait_for("payments-api");
    Some(t)
}

#[rstest::rstest]
#[case::sigterm("TERM", "exit=143")]
#[case::sigint("INT", "exit=130")]
#[case::sighup("HUP", "exit=129")]
fn a_signal_ends_the_demo_within_two_seconds(#[case] signal: &str, #[case] exit: &str) {
    let _one = timed();
    let Some(t) = demo(&format!("sig{signal}")) else {
        return;
    };
    let pid = read(t.path("pid"));
    Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status()
        .expect("kill runs");
    let took = wait_until("the process ends", || !alive(&pid));
    assert!(took < Duration::from_secs(2), "SIG{signal}: {took:?}");
    assert_restored(&t);
    assert_eq!(read(t.path("exit")), exit);
}

/// ctrl-z, then `fg`: the screen comes back and keys work (a screen switch draws it).
#[test]
fn after_ctrl_z_and_fg_the_demo_repaints_and_reads_keys() {
    let _one = timed();
    let Some(t) = demo("fg") else { return };
    let pid = read(t.path("pid"));
    t.keys(&["C-z"]);
    wait_until("the process stops", || state(&pid) == 'T');
    assert!(!t.alternate_on(), "the alternate screen is left");
    Command::new("kill")
        .args(["-CONT", &pid])
        .status()
        .expect("kill runs");
    wait_until("the cockpit takes the screen again", || t.alternate_on());
    t.wait_for("payments-api");
    t.keys(&["2"]);
    t.wait_for("Pipelines:");
    t.keys(&["q"]);
    let took = wait_until("the process ends", || !alive(&pid));
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_restored(&t);
    assert_eq!(read(t.path("exit")), "exit=0");
}

/// Resizes as fast as tmux sends them, down to 1x1 and back: no panic, and the screen is
/// readable and answers keys afterwards.
#[test]
fn a_resize_storm_down_to_1x1_leaves_the_demo_readable() {
    let _one = timed();
    let Some(t) = demo("storm") else { return };
    let pid = read(t.path("pid"));
    let sizes = [
        (120, 40),
        (80, 24),
        (30, 8),
        (1, 1),
        (2, 1),
        (1, 3),
        (200, 60),
        (10, 2),
        (1, 1),
        (79, 23),
        (5, 50),
        (1, 1),
    ];
    for _ in 0..5 {
        for (x, y) in sizes {
            t.tmux(&[
                "resize-window",
                "-t",
                "t",
                "-x",
                &x.to_string(),
                "-y",
                &y.to_string(),
            ]);
        }
    }
    assert!(alive(&pid), "the storm ended the process");
    t.tmux(&["resize-window", "-t", "t", "-x", "120", "-y", "40"]);
    // Until the cockpit repaints at the new size, the pane holds what the terminal kept of
    // the last frame (a row of the service list at the top, the rest blank): the tabs on the
    // first line and the list below are the repainted screen.
    t.wait_until_screen(
        "the tabs on the first line and the service list",
        Duration::from_secs(15),
        |screen| {
            screen
                .lines()
                .next()
                .is_some_and(|l| l.contains("Overview"))
                && screen.contains("payments-api")
        },
    );
    t.keys(&["4"]);
    t.wait_for("SEVERITY");
    t.keys(&["q"]);
    let took = wait_until("the process ends", || !alive(&pid));
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_restored(&t);
    assert_eq!(read(t.path("exit")), "exit=0");
}

#[test]
fn ctrl_z_and_tstp_hand_the_terminal_back_and_cont_takes_it_again() {
    let _one = timed();
    let Some(t) = Tmux::new("tstp") else { return };
    t.start(&script(&t, "--no-snapshot"));
    t.wait_for("first run");
    let pid = read(t.path("pid"));
    for how in ["key", "signal"] {
        if how == "key" {
            t.keys(&["C-z"]);
        } else {
            Command::new("kill")
                .args(["-TSTP", &pid])
                .status()
                .expect("kill runs");
        }
        wait_until("the process stops", || state(&pid) == 'T');
        assert!(!t.alternate_on(), "{how}: the alternate screen is left");
        assert!(pane_is_cooked(&t), "{how}: raw mode is left");
        Command::new("kill")
            .args(["-CONT", &pid])
            .status()
            .expect("kill runs");
        wait_until("the cockpit takes the screen again", || t.alternate_on());
        t.wait_for("first run");
        assert!(!pane_is_cooked(&t), "{how}: raw mode again");
    }
    t.keys(&["q"]);
    assert_restored(&t);
    assert_eq!(read(t.path("exit")), "exit=0");
}

#[test]
fn a_lost_tty_ends_without_an_abort_within_two_seconds() {
    let _one = timed();
    let Some(t) = Tmux::new("lost2") else { return };
    // The outer shell ignores the hangup so it outlives the pane and can note the exit status.
    t.start(&format!(
        "trap '' HUP; sh -c 'echo $$ > {pid}; exec {BIN} --demo --no-snapshot'; echo \"exit=$?\" > {exit}",
        pid = t.path("pid").display(),
        exit = t.path("exit").display(),
    ));
    // The demo: the sim and every provider busy when the tty goes.
    t.wait_for("tour 1/");
    let pid = read(t.path("pid"));
    t.tmux(&["kill-pane", "-t", "t"]);
    let took = wait_until("the process ends", || !alive(&pid));
    assert!(took < Duration::from_secs(2), "{took:?}");
    wait_until("the exit status is written", || {
        !read(t.path("exit")).is_empty()
    });
    let exit = read(t.path("exit"));
    assert!(exit == "exit=129" || exit == "exit=1", "no abort: {exit}");
}
