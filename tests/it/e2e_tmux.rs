//! End to end: the real binary in a real terminal (tmux), driven with send-keys and read with
//! capture-pane, as a user would. Checks the keys of the shell, and that the terminal is given
//! back (alternate screen off, cooked mode) after `q`, SIGTERM and SIGHUP, with the process gone.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");

/// A tmux server of the test's own, so tests never touch the user's sessions.
pub(crate) struct Tmux {
    socket: String,
    home: tempfile::TempDir,
}

impl Tmux {
    pub(crate) fn new(name: &str) -> Option<Self> {
        if Command::new("tmux").arg("-V").output().is_err() {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("tmux is missing; the test command installs it (scripts/test)");
            }
            eprintln!("did not run: tmux is not installed (scripts/test installs it)");
            return None;
        }
        let home = tempfile::tempdir().expect("a temp HOME");
        Some(Self {
            socket: format!("fd-e2e-{name}-{}", std::process::id()),
            home,
        })
    }

    pub(crate) fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts `script` in a shell inside a 120x40 pane, with HOME and the XDG dirs in a temp
    /// dir so no user config or cache is read.
    pub(crate) fn start(&self, script: &str) {
        let home = self.home.path().display().to_string();
        let env = format!(
            "export HOME={home} XDG_CONFIG_HOME={home}/.config XDG_CACHE_HOME={home}/.cache XDG_DATA_HOME={home}/.local/share TERM=xterm-256color; unset FLIGHTDECK_CONFIG NO_COLOR;"
        );
        self.tmux(&[
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "40",
            "-s",
            "t",
            "sh",
            "-c",
            &format!("{env} {script}"),
        ]);
        self.tmux(&["set-option", "-t", "t", "remain-on-exit", "on"]);
    }

    pub(crate) fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", "t", k]);
            // An Esc followed at once by another key reads as Alt+key, as in any terminal.
            std::thread::sleep(Duration::from_millis(120));
        }
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "t"])
    }

    pub(crate) fn alternate_on(&self) -> bool {
        self.tmux(&["display-message", "-p", "-t", "t", "#{alternate_on}"])
            .trim()
            == "1"
    }

    /// Waits until the screen contains `text`; panics with the screen when it never does.
    pub(crate) fn wait_for(&self, text: &str) -> String {
        self.wait_within(text, Duration::from_secs(15))
    }

    pub(crate) fn wait_within(&self, text: &str, deadline: Duration) -> String {
        self.wait_until_screen(&format!("{text:?}"), deadline, |screen| {
            screen.contains(text)
        })
    }

    /// Waits until the screen as a whole is what `done` asks (text found in one place and not
    /// only as a remnant elsewhere: after a resize the terminal keeps the old frame's lines
    /// until the program repaints); panics with the screen when it never is.
    pub(crate) fn wait_until_screen(
        &self,
        what: &str,
        deadline: Duration,
        done: impl Fn(&str) -> bool,
    ) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            if start.elapsed() > deadline {
                panic!("waited {deadline:?} for {what}; the screen was:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

pub(crate) fn alive(pid: &str) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
}

fn wait_gone(pid: &str) {
    let start = Instant::now();
    while alive(pid) {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "flightdeck (pid {pid}) is still running 5 s after the signal"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The script a pane runs: note the pid, run flightdeck, then record the tty's mode so the test
/// can check it was restored.
pub(crate) fn script(t: &Tmux, args: &str) -> String {
    format!(
        "echo $$ > {pid}; exec 3>&1; sh -c 'echo $$ > {pid}; exec {BIN} {args}'; echo \"exit=$?\" > {exit}; stty -a > {stty}; echo flightdeck-finished; exec sleep 60",
        pid = t.path("pid").display(),
        exit = t.path("exit").display(),
        stty = t.path("stty").display(),
    )
}

pub(crate) fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path)
        .unwrap_or_default()
        .trim()
        .to_string()
}

pub(crate) fn assert_restored(t: &Tmux) {
    t.wait_for("flightdeck-finished");
    assert!(!t.alternate_on(), "the alternate screen is still on");
    let stty = read(t.path("stty"));
    assert!(
        stty.contains(" icanon") && stty.contains(" echo"),
        "the tty was left in raw mode:\n{stty}"
    );
}

#[test]
fn keys_of_the_shell_then_q_restores_the_terminal() {
    let Some(t) = Tmux::new("keys") else { return };
    t.start(&script(&t, "--no-snapshot"));
    let screen = t.wait_for("first run");
    assert!(
        screen.contains("flightdeck --demo"),
        "the first-run screen offers the demo:\n{screen}"
    );
    assert!(t.alternate_on());

    t.keys(&["?"]);
    // "keys (esc closes)", or "keys 1-34 of 35 (…, esc closes)" when the help scrolls.
    let screen = t.wait_for("esc closes");
    assert!(
        screen.contains("quit") && screen.contains("palette"),
        "help lists the live keymap:\n{screen}"
    );
    t.keys(&["Escape"]);
    let screen = t.screen();
    assert!(!screen.contains("esc closes"), "esc closes help:\n{screen}");

    t.keys(&[":", "a", "l", "e"]);
    let screen = t.wait_for(" go to ");
    assert!(
        screen.contains("Alerts"),
        "the palette matches fuzzily:\n{screen}"
    );
    t.keys(&["Enter"]);
    t.keys(&["/", "p", "a", "y"]);
    t.keys(&["Escape"]);
    t.keys(&["q"]);
    assert_restored(&t);
    assert_eq!(read(t.path("exit")), "exit=0");
}

/// The on-call path in the demo: the most critical alert, its pods, its runbook, and `esc`
/// back along the way. The story's bad deploy fires payments-api's alerts six sim minutes in;
/// at 30 sim seconds a second that is about ten seconds, and they resolve some forty later.
#[test]
fn the_on_call_path_lands_where_meant_and_esc_goes_back() {
    let Some(t) = Tmux::new("oncall") else { return };
    t.start(&script(&t, "--demo --no-snapshot --speed 30"));
    t.wait_for("tour 1/");
    t.keys(&["Escape"]);
    t.keys(&["4"]);
    t.wait_within("KubePodCrashLooping", Duration::from_secs(40));
    // The top row is the worst service's group; enter there opens its most urgent alert.
    t.keys(&["Enter"]);
    let alert = t.wait_for("· payments-api · critical ·");
    assert!(
        alert.contains("o open runbook"),
        "the detail is open:\n{alert}"
    );

    // Its pods: Workloads on payments-api, a crash-looping pod selected (`y` copies the
    // selected row's name, and the status line says which).
    t.keys(&["3"]);
    t.wait_for("CrashLoopBackOff");
    t.keys(&["y"]);
    let pods = t.wait_for("copied payments-api-");
    assert!(
        !pods.contains("ledger"),
        "only payments-api's workloads are listed:\n{pods}"
    );

    t.keys(&["Escape"]);
    t.wait_for("· payments-api · critical ·");

    // Its runbook opens in the Docs viewer; esc goes back to the alert, not the docs list.
    t.keys(&["o"]);
    t.wait_for("runbooks/");
    t.keys(&["Escape"]);
    let back = t.wait_for("o open runbook");
    assert!(
        back.contains("· payments-api · critical ·"),
        "esc from the runbook returns to the alert:\n{back}"
    );

    // Back again: the alert closes onto the list, its row still selected.
    t.keys(&["Escape"]);
    let list = t.wait_for("SEVERITY");
    assert!(
        !list.contains("o open runbook"),
        "the detail closed:\n{list}"
    );

    t.keys(&["q"]);
    assert_restored(&t);
}

/// From the page to its incident to its alert: payments-api's crash loop pages team-payments'
/// on-call through PagerDuty; the Work screen lists the incident first, `enter` opens it, and
/// `enter` again lands on the alert that opened it (matched by fingerprint), which names the
/// incident and who holds it; `esc` goes back to the incident.
#[test]
fn from_a_page_to_its_incident_to_its_alert_detail() {
    let Some(t) = Tmux::new("page") else { return };
    t.start(&script(&t, "--demo --no-snapshot --speed 30"));
    t.wait_for("tour 1/");
    t.keys(&["Escape"]);
    t.keys(&["7"]);
    let work = t.wait_within("KubePodCrashLooping payments-api", Duration::from_secs(40));
    assert!(work.contains("on call"), "groups name the on-call:\n{work}");
    // The top row is the most urgent group, payments-api's; enter opens its page.
    t.keys(&["Enter"]);
    let incident = t.wait_for("the alert that opened it");
    assert!(
        incident.contains("· pagerduty") && incident.contains("triggered"),
        "the incident is open:\n{incident}"
    );
    t.keys(&["Enter"]);
    let alert = t.wait_for("· payments-api · critical ·");
    assert!(
        alert.contains("KubePodCrashLooping") && alert.contains("held by"),
        "the alert detail names its incident and who holds it:\n{alert}"
    );
    t.keys(&["Escape"]);
    t.wait_for("the alert that opened it");
    t.keys(&["q"]);
    assert_restored(&t);
}

#[test]
fn a_configured_cockpit_shows_its_sources_and_filters() {
    let Some(t) = Tmux::new("config") else { return };
    let config = t.path("config.toml");
    std::fs::write(
        &config,
        "[github]\napi_url = \"http://127.0.0.1:9\"\n\n[[alertmanager]]\nname = \"prod\"\nurl = \"http://127.0.0.1:9\"\n",
    )
    .expect("write config");
    t.start(&script(
        &t,
        &format!("--no-snapshot --config {}", config.display()),
    ));
    // The unreachable Alertmanager is named with its reason; the status bar counts the healthy
    // sources when a failure takes the room, so GitHub (nothing to poll: no catalog) is either
    // named or counted.
    t.wait_for("alertmanager:prod");
    let screen = t.wait_for("connection refused");
    assert!(
        screen.contains("github") || screen.contains(" ok "),
        "the status bar names or counts the healthy sources:\n{screen}"
    );
    t.keys(&["/", "p", "a", "y"]);
    t.wait_for("/pay");
    t.keys(&["Enter"]);
    t.wait_for("esc clear");
    t.keys(&["Escape"]);
    let screen = t.screen();
    assert!(!screen.contains("/pay"), "esc clears the filter:\n{screen}");
    t.keys(&["q"]);
    assert_restored(&t);
}

#[test]
fn a_bad_config_is_reported_before_the_terminal_is_touched() {
    let Some(t) = Tmux::new("badconfig") else {
        return;
    };
    let config = t.path("config.toml");
    std::fs::write(&config, "[general]\nthme = \"dark\"\n").expect("write config");
    t.start(&script(&t, &format!("--config {}", config.display())));
    let screen = t.wait_for("flightdeck-finished");
    assert!(
        screen.contains("config.toml:2:1"),
        "the message names file, line and column:\n{screen}"
    );
    assert!(
        screen.contains("theme"),
        "the message suggests the nearest key:\n{screen}"
    );
    assert_eq!(read(t.path("exit")), "exit=2");
    assert!(!t.alternate_on());
    let stty = read(t.path("stty"));
    assert!(
        stty.contains(" icanon"),
        "raw mode was never entered:\n{stty}"
    );
}

#[test]
fn sigterm_restores_the_terminal_and_ends_the_process() {
    let Some(t) = Tmux::new("term") else { return };
    t.start(&script(&t, "--no-snapshot"));
    t.wait_for("first run");
    let pid = read(t.path("pid"));
    assert!(alive(&pid));
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    wait_gone(&pid);
    assert_restored(&t);
    assert_eq!(read(t.path("exit")), "exit=143");
}

#[test]
fn sighup_ends_the_process() {
    let Some(t) = Tmux::new("hup") else { return };
    t.start(&script(&t, "--no-snapshot"));
    t.wait_for("first run");
    let pid = read(t.path("pid"));
    Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .expect("kill runs");
    wait_gone(&pid);
    assert_restored(&t);
    assert_eq!(read(t.path("exit")), "exit=129");
}

#[test]
fn a_lost_terminal_ends_the_process() {
    // Killing the pane closes the pty under the cockpit, as a dropped SSH connection does.
    let Some(t) = Tmux::new("lost") else { return };
    t.start(&script(&t, "--no-snapshot"));
    t.wait_for("first run");
    let pid = read(t.path("pid"));
    t.tmux(&["kill-pane", "-t", "t"]);
    wait_gone(&pid);
}

#[test]
fn too_small_says_so_and_resize_redraws() {
    let Some(t) = Tmux::new("small") else { return };
    t.start(&script(&t, "--no-snapshot"));
    t.wait_for("first run");
    t.tmux(&["resize-window", "-t", "t", "-x", "40", "-y", "10"]);
    t.wait_for("terminal too small");
    t.tmux(&["resize-window", "-t", "t", "-x", "80", "-y", "24"]);
    let screen = t.wait_for("first run");
    assert!(
        screen
            .lines()
            .next()
            .is_some_and(|l| l.contains("Overview")),
        "the tabs are back:\n{screen}"
    );
    t.keys(&["q"]);
    assert_restored(&t);
}

/// A rollback in the real binary against the sim: `u` lists ledger's revisions, `enter` asks
/// with the image diff, `y` rolls back, and kubectl then reads the previous image.
#[test]
fn a_rollback_shows_in_kubectl() {
    let Some(t) = Tmux::new("rollback") else {
        return;
    };
    if crate::common::kubectl().is_none() {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sim = rt
        .block_on(flightdeck_sim::Sim::start(flightdeck_sim::SimConfig {
            speed: 0.0,
            ..Default::default()
        }))
        .expect("the sim starts");
    let kc = sim.kubeconfig();
    let ns = ["-n", "payments"];
    let image_path = "jsonpath={.spec.template.spec.containers[0].image}";
    let get = |args: &[&str]| crate::common::kubectl_in(&kc, None, &[&ns[..], args].concat());
    let before = get(&["get", "deployment", "ledger", "-o", image_path]);
    let revision: u64 = get(&[
        "get",
        "deployment",
        "ledger",
        "-o",
        "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}",
    ])
    .parse()
    .expect("a revision number");
    let previous = get(&[
        "get",
        "rs",
        "-l",
        "app.kubernetes.io/name=ledger",
        "-o",
        &format!(
            "jsonpath={{.items[?(@.metadata.annotations.deployment\\.kubernetes\\.io/revision==\"{}\")].spec.template.spec.containers[0].image}}",
            revision - 1
        ),
    ]);
    assert!(previous.starts_with("ghcr.io/acme/ledger:") && previous != before);

    t.start(&script(
        &t,
        &format!(
            "--no-snapshot --config {}",
            sim.flightdeck_config().display()
        ),
    ));
    t.wait_for("Overview");
    t.keys(&["3"]);
    t.wait_for("ledger");
    t.keys(&["/", "l", "e", "d", "g", "e", "r", "Enter"]);
    t.keys(&["u"]);
    let list = t.wait_for("Revisions · deploy ledger");
    let tag = |image: &str| image.rsplit(':').next().unwrap_or("").to_string();
    assert!(list.contains(&tag(&before)), "{list}");
    t.keys(&["Enter"]);
    let ask = t.wait_for("Roll back deploy ledger");
    assert!(
        ask.contains(&tag(&previous)),
        "the confirmation shows the image:\n{ask}"
    );
    t.keys(&["y"]);
    t.wait_for("roll back ledger");
    let start = Instant::now();
    loop {
        let now = get(&["get", "deployment", "ledger", "-o", image_path]);
        if now == previous {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "kubectl still reads {now}, not {previous}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    t.keys(&["Escape", "q"]);
    assert_restored(&t);
    drop(sim);
}

/// Namespace and context switching in the real binary against the sim with its second
/// cluster: `n` narrows the list to one namespace (the filter line says which), `c` to the
/// context, `:` picks a namespace by name; `c` again switches to the second cluster, where only
/// the storefront system runs, and `n` there to its namespace; `esc` shows every one again.
#[test]
fn namespace_and_context_switch_in_the_workloads_list() {
    let Some(t) = Tmux::new("scope") else { return };
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sim = rt
        .block_on(flightdeck_sim::Sim::start(flightdeck_sim::SimConfig {
            speed: 0.0,
            second_cluster: true,
            ..Default::default()
        }))
        .expect("the sim starts");
    t.start(&script(
        &t,
        &format!(
            "--no-snapshot --config {}",
            sim.flightdeck_config().display()
        ),
    ));
    t.wait_for("Overview");
    t.keys(&["3"]);
    t.wait_for("ledger");
    t.keys(&["c"]);
    t.wait_for("showing context flightdeck-sim, every namespace");
    t.keys(&["n"]);
    let one = t.wait_for("ns:");
    assert!(one.contains("ctx:flightdeck-sim ns:"), "{one}");
    t.keys(&[":"]);
    t.keys(&[
        "n", "a", "m", "e", "s", "p", "a", "c", "e", " ", "p", "a", "y",
    ]);
    t.wait_for("namespace payments");
    t.keys(&["Enter"]);
    let payments = t.wait_for("ns:payments");
    assert!(payments.contains("ledger"), "{payments}");
    assert!(
        !payments.contains("inventory"),
        "only payments is listed:\n{payments}"
    );
    // The second cluster: storefront alone, whatever the first one runs.
    t.keys(&["c"]);
    t.wait_for("showing context flightdeck-sim-west, every namespace");
    let west = t.wait_for("cart-service");
    assert!(west.contains("ctx:flightdeck-sim-west"), "{west}");
    assert!(
        !west.contains("ledger") && !west.contains("inventory"),
        "only the second cluster's workloads are listed:\n{west}"
    );
    t.keys(&["n"]);
    let west_ns = t.wait_for("ctx:flightdeck-sim-west ns:storefront");
    assert!(west_ns.contains("cart-service"), "{west_ns}");
    t.keys(&["Escape"]);
    t.wait_for("inventory");
    t.keys(&["q"]);
    assert_restored(&t);
    drop(sim);
}
