//! End to end in tmux, the real binary against the sim: a shell into a pod (`s`) behaves like
//! `kubectl exec -it` and gives the cockpit back on `exit`; a port-forward (`F`) is fetched
//! through with an HTTP client while the cockpit runs and refuses once the cockpit quit.

use std::time::{Duration, Instant};

use crate::e2e_tmux::{Tmux, assert_restored, read, script};

fn sim(rt: &tokio::runtime::Runtime) -> flightdeck_sim::Sim {
    rt.block_on(flightdeck_sim::Sim::start(flightdeck_sim::SimConfig {
        speed: 0.0,
        ..Default::default()
    }))
    .expect("the sim starts")
}

/// Starts the cockpit on the sim and puts the cursor on the first pod of `service`.
fn on_first_pod(t: &Tmux, sim: &flightdeck_sim::Sim, service: &str) {
    t.start(&script(
        t,
        &format!(
            "--no-snapshot --config {}",
            sim.flightdeck_config().display()
        ),
    ));
    t.wait_for("Overview");
    t.keys(&["3"]);
    t.wait_for(service);
    t.keys(&["/"]);
    t.keys(&[service, "Enter"]);
    // The Deployment's row first, its pods under it.
    t.wait_for(&format!("│  {service}-"));
    t.keys(&["j"]);
}

/// Types `command` until the screen shows `answer`: a resize reaches the shell as a signal,
/// which may be read after the keys typed just after it.
fn asked_until(t: &Tmux, command: &str, answer: &str) {
    let start = Instant::now();
    loop {
        t.keys(&[command, "Enter"]);
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            let screen = t.tmux(&["capture-pane", "-p", "-t", "t"]);
            if screen.contains(answer) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "{command} never answered {answer:?}"
        );
    }
}

/// The line of the screen holding `needle`.
fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{screen}"))
}

#[test]
fn a_shell_into_a_pod_runs_a_command_and_comes_back() {
    let Some(t) = Tmux::new("exec") else { return };
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sim = sim(&rt);
    on_first_pod(&t, &sim, "ledger");
    t.keys(&["s"]);
    // bash's prompt: the terminal was handed to the shell (the alternate screen is off).
    t.wait_for("root@ledger-");
    assert!(!t.alternate_on(), "the cockpit's screen is still up");
    t.keys(&["echo hello-from-pod", "Enter"]);
    let screen = t.wait_for("\nhello-from-pod");
    assert!(
        screen.contains("# echo hello-from-pod"),
        "the typed line is echoed as a terminal does:\n{screen}"
    );
    // The terminal's size reaches the container, and so does a resize.
    t.keys(&["stty size", "Enter"]);
    t.wait_for("\n40 120");
    t.tmux(&["resize-window", "-t", "t", "-x", "100", "-y", "30"]);
    asked_until(&t, "stty size", "\n30 100");
    t.keys(&["exit 0", "Enter"]);
    let back = t.wait_for("ended (exit 0)");
    assert!(
        back.contains("shell in ledger-"),
        "the status bar says which shell ended:\n{back}"
    );
    assert!(t.alternate_on(), "the cockpit has its screen back");
    // The same session's keys reach the cockpit again: a Go image has no bash, `/bin/sh` opens.
    t.keys(&["Escape", "/"]);
    t.keys(&["cart-service", "Enter"]);
    t.wait_for("│  cart-service-");
    t.keys(&["j", "s"]);
    // capture-pane trims the prompt's trailing space.
    t.wait_for("/ #");
    t.keys(&["exit 3", "Enter"]);
    t.wait_for("ended (exit 3)");
    t.keys(&["q"]);
    assert_restored(&t);
    assert_eq!(read(t.path("exit")), "exit=0");
    drop(sim);
}

#[test]
fn a_port_forward_is_fetched_through_and_stops_on_quit() {
    let Some(t) = Tmux::new("forward") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sim = sim(&rt);
    on_first_pod(&t, &sim, "ledger");
    t.keys(&["F"]);
    let prompt = t.wait_for("port-forward ledger-");
    let declared: u16 = line_with(&prompt, "declared: ")
        .split("declared: ")
        .nth(1)
        .and_then(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .find(|w| !w.is_empty())
        })
        .and_then(|p| p.parse().ok())
        .expect("the pod's declared port");
    assert!(
        prompt.contains(&format!("{declared}:{declared}")),
        "the declared port is the default:\n{prompt}"
    );
    // Any free local port, so parallel runs never collide; the panel says which.
    t.keys(&["C-u", &format!(":{declared}"), "Enter"]);
    let panel = t.wait_for("listening");
    let bound = line_with(&panel, "listening")
        .split_whitespace()
        .find(|w| w.starts_with("127.0.0.1:"))
        .expect("the bound address, on loopback")
        .to_string();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let page = rt.block_on(async {
        reqwest::get(format!("http://{bound}/"))
            .await
            .expect("the forward answers")
            .text()
            .await
            .expect("a page")
    });
    assert!(page.contains("hello from ledger-"), "{page}");
    // The panel counted the connection (closed again by now or soon).
    t.wait_for("open/1");
    t.keys(&["q"]);
    assert_restored(&t);
    // Quitting stopped it: the port refuses.
    let start = Instant::now();
    while std::net::TcpStream::connect(&bound).is_ok() {
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{bound} still accepts after the cockpit quit"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(sim);
}

/// Waits until the process is gone; panics after `within`.
fn gone_within(pid: &str, within: Duration) {
    let start = Instant::now();
    while crate::e2e_tmux::alive(pid) {
        assert!(
            start.elapsed() < within,
            "flightdeck (pid {pid}) still runs {within:?} later"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A shell open in a pod does not hold the process: SIGTERM ends the session and the cockpit
/// (exit 143, terminal restored) within two seconds, and a lost terminal (the pane killed, as
/// a dropped SSH connection) ends it too.
#[test]
fn sigterm_or_a_lost_terminal_during_a_shell_ends_the_process() {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sim = sim(&rt);
    for lost in [false, true] {
        let Some(t) = Tmux::new(if lost { "exec-lost" } else { "exec-term" }) else {
            return;
        };
        on_first_pod(&t, &sim, "ledger");
        t.keys(&["s"]);
        t.wait_for("root@ledger-");
        let pid = read(t.path("pid"));
        if lost {
            t.tmux(&["kill-pane", "-t", "t"]);
            gone_within(&pid, Duration::from_secs(2));
        } else {
            std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .expect("kill runs");
            gone_within(&pid, Duration::from_secs(2));
            assert_restored(&t);
            assert_eq!(read(t.path("exit")), "exit=143");
        }
    }
    drop(sim);
}
