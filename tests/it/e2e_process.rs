//! The process faults of the hardening issue, on the real binary in tmux: SIGINT exits 130,
//! ctrl-z and `kill -TSTP` hand the terminal back before stopping and `fg` (SIGCONT) takes it
//! again and repaints, a lost tty ends the process quickly and without an abort.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::e2e_tmux::{BIN, Tmux, alive, assert_restored, read, script};

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

#[test]
fn sigint_exits_130() {
    let Some(t) = Tmux::new("int") else { return };
    t.start(&script(&t, "--no-snapshot"));
    t.wait_for("first run");
    let pid = read(t.path("pid"));
    Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    let took = wait_until("the process ends", || !alive(&pid));
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_restored(&t);
    assert_eq!(read(t.path("exit")), "exit=130");
}

#[test]
fn ctrl_z_and_tstp_hand_the_terminal_back_and_cont_takes_it_again() {
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
    let Some(t) = Tmux::new("lost2") else { return };
    // The outer shell ignores the hangup so it outlives the pane and can note the exit status.
    t.start(&format!(
        "trap '' HUP; sh -c 'echo $$ > {pid}; exec {BIN} --no-snapshot'; echo \"exit=$?\" > {exit}",
        pid = t.path("pid").display(),
        exit = t.path("exit").display(),
    ));
    t.wait_for("first run");
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
