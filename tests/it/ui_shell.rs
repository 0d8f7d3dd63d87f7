//! The shell's screens as a user sees them, kept as insta snapshots with styles: first run,
//! help, palette, a configured screen with its sources, the confirmation dialog, too small.
//! Sizes 120x40 and 80x24. Time is fixed, never the real clock.

use chrono::{DateTime, Duration, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use flightdeck::config::theme::ColorSupport;
use flightdeck::ui::theme::Theme;
use flightdeck::{startup, ui};
use flightdeck_core::keymap::{Key, Keymap};
use flightdeck_core::message::{Effect, Msg, SourceEvent};
use flightdeck_core::model::{FetchState, Model, SourceId, SourceKind, SourceStatus};
use flightdeck_core::update::{confirm, update};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:30:00Z")
        .expect("a fixed time")
        .with_timezone(&Utc)
}

fn theme() -> Theme {
    flightdeck::config::theme::load_theme("dark", ColorSupport::TrueColor).expect("dark loads")
}

fn render(model: &Model, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    let mut m = model.clone();
    update(&mut m, Msg::Resize { width, height });
    terminal.draw(|f| ui::view(&m, &theme(), f)).expect("draws");
    format!("{:?}", terminal.backend().buffer())
}

fn press(model: &mut Model, keys: &str) {
    for c in keys.chars() {
        update(model, Msg::Key(Key::char(c)));
    }
}

fn first_run() -> Model {
    startup::first_run(
        Keymap::defaults(),
        "/home/jdoe/.config/flightdeck/config.toml",
        now(),
    )
}

fn configured() -> Model {
    let mut m = Model::new(Keymap::defaults(), now());
    let id = |k, n: &str| SourceId::new(k, n);
    m.sources = vec![
        SourceStatus::new(id(SourceKind::Catalog, "catalog"), FetchState::Ok),
        SourceStatus::new(id(SourceKind::Github, "github"), FetchState::Connecting),
        SourceStatus::new(
            id(SourceKind::Kubernetes, "production"),
            FetchState::Unsupported,
        ),
        SourceStatus::new(id(SourceKind::Alertmanager, "prod"), FetchState::Connecting),
    ];
    m.sources[0].fetched_at = Some(now() - Duration::minutes(3));
    update(
        &mut m,
        Msg::Source {
            id: id(SourceKind::Alertmanager, "prod"),
            event: SourceEvent::Failed {
                error: "502 Bad Gateway".into(),
                at: now(),
                retry_at: Some(now() + Duration::seconds(30)),
            },
        },
    );
    m
}

#[test]
fn first_run_120x40() {
    insta::assert_snapshot!(render(&first_run(), 120, 40));
}

#[test]
fn first_run_80x24() {
    insta::assert_snapshot!(render(&first_run(), 80, 24));
}

#[test]
fn help_80x24() {
    let mut m = first_run();
    press(&mut m, "?");
    insta::assert_snapshot!(render(&m, 80, 24));
}

#[test]
fn help_200x50() {
    let mut m = first_run();
    press(&mut m, "?");
    insta::assert_snapshot!(render(&m, 200, 50));
}

/// A view's own keys come first, then the global ones; scrolled to its end.
#[test]
fn help_of_the_workloads_logs_scrolled_80x24() {
    let mut m = crate::ui_workloads::logs_model();
    update(
        &mut m,
        Msg::Resize {
            width: 80,
            height: 24,
        },
    );
    press(&mut m, "?");
    update(
        &mut m,
        Msg::Key(Key::new(flightdeck_core::keymap::KeyCode::PageDown)),
    );
    insta::assert_snapshot!(render(&m, 80, 24));
}

#[test]
fn help_120x40() {
    let mut m = first_run();
    press(&mut m, "?");
    insta::assert_snapshot!(render(&m, 120, 40));
}

#[test]
fn palette_120x40() {
    let mut m = configured();
    press(&mut m, ":wo");
    insta::assert_snapshot!(render(&m, 120, 40));
}

#[test]
fn sources_and_filter_120x40() {
    let mut m = configured();
    press(&mut m, "4/sev");
    insta::assert_snapshot!(render(&m, 120, 40));
}

#[test]
fn sources_80x24() {
    insta::assert_snapshot!(render(&configured(), 80, 24));
}

#[test]
fn confirmation_80x24() {
    let mut m = configured();
    confirm(
        &mut m,
        "Re-run failed jobs",
        vec![
            "acme/payments-api: ci #42 on main".into(),
            "2 failed jobs and their dependents".into(),
        ],
        Effect::Refresh(vec![]),
    );
    insta::assert_snapshot!(render(&m, 80, 24));
}

/// A cancel and an acknowledgement as they are asked: long sentences and matchers wrap inside
/// the dialog instead of running past its border.
fn long_confirmations() -> [Model; 2] {
    let label = "deploy-production #1287 of acme-payments/payments-api-gateway";
    let mut cancel = configured();
    confirm(
        &mut cancel,
        format!("Cancel {label}"),
        vec![
            format!("Asks GitHub to cancel every job still queued or running in {label}."),
            "commit 3f9c2d1 \"payments: retry idempotent captures on 502 from the acquirer\""
                .into(),
        ],
        Effect::Refresh(vec![]),
    );
    let mut ack = configured();
    confirm(
        &mut ack,
        "Acknowledge",
        vec![
            "KubePodCrashLooping on prod-eu-west-1, prod-us-east-1".into(),
            "silence for 30m: alertname=\"KubePodCrashLooping\", namespace=\"payments\", \
             pod=\"payments-api-7f9c8d6b5-x2k9p\", service=\"payments-api\", severity=\"critical\""
                .into(),
            "comment: [ack] jdoe is looking".into(),
        ],
        Effect::Refresh(vec![]),
    );
    [cancel, ack]
}

#[test]
fn long_confirmations_80x24() {
    let [cancel, ack] = long_confirmations();
    insta::assert_snapshot!("cancel_run_80x24", render(&cancel, 80, 24));
    insta::assert_snapshot!("acknowledge_80x24", render(&ack, 80, 24));
}

#[test]
fn long_confirmations_200x50() {
    let [cancel, ack] = long_confirmations();
    insta::assert_snapshot!("cancel_run_200x50", render(&cancel, 200, 50));
    insta::assert_snapshot!("acknowledge_200x50", render(&ack, 200, 50));
}

#[test]
fn too_small() {
    insta::assert_snapshot!(render(&first_run(), 50, 10));
}

/// The rows of the screen as text, one string per row.
fn rows(model: &Model, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    let mut m = model.clone();
    update(&mut m, Msg::Resize { width, height });
    terminal.draw(|f| ui::view(&m, &theme(), f)).expect("draws");
    let buffer = terminal.backend().buffer();
    buffer
        .content
        .chunks(usize::from(width))
        .map(|row| row.iter().map(|c| c.symbol()).collect())
        .collect()
}

/// GitHub answered three minutes ago and now fails with an error longer than any bar.
fn failing_with_a_long_error() -> Model {
    let mut m = configured();
    let github = SourceId::new(SourceKind::Github, "github");
    update(
        &mut m,
        Msg::Source {
            id: github.clone(),
            event: SourceEvent::Ok {
                at: now() - Duration::minutes(3),
                detail: None,
            },
        },
    );
    let error = format!(
        "acme/payments-api: GET /repos/acme/payments-api/actions/runs: {}",
        "connection refused by the proxy in front of the enterprise server; ".repeat(4)
    );
    update(
        &mut m,
        Msg::Source {
            id: github,
            event: SourceEvent::Failed {
                error,
                at: now(),
                retry_at: Some(now() + Duration::seconds(44)),
            },
        },
    );
    m.screen = flightdeck_core::model::Screen::Pipelines;
    m
}

/// Issue 20: a long error pushed the retry countdown off a 200-column bar. The error is cut
/// (with …); the age of the data still shown and the countdown stay, at any width.
#[rstest::rstest]
fn a_long_error_is_cut_and_the_countdown_kept(#[values(80, 120, 200)] width: u16) {
    let m = failing_with_a_long_error();
    let screen = rows(&m, width, 24);
    let bar = screen.last().expect("a status bar");
    assert!(bar.contains("github"), "{bar}");
    assert!(bar.contains("…"), "the error is cut: {bar}");
    assert!(bar.contains("stale 3m, retry 45s"), "{bar}");
    if width >= 120 {
        // With room, the other failing source keeps its countdown too.
        assert!(bar.contains("retry 31s"), "{bar}");
    }
    assert!(bar.contains("help"), "the key hints stay: {bar}");
}

/// A GitHub host that is down fails its runs and its issues alike: the bar names both in one
/// entry and says the reason once, where two entries cut it short twice.
/// A different reason of the same kind keeps its own entry.
#[test]
fn sources_failing_for_the_same_reason_share_one_entry() {
    let mut m = configured();
    let fail = |m: &mut Model, id: &SourceId, error: &str, retry: i64| {
        update(
            m,
            Msg::Source {
                id: id.clone(),
                event: SourceEvent::Failed {
                    error: error.into(),
                    at: now(),
                    retry_at: Some(now() + Duration::seconds(retry)),
                },
            },
        );
    };
    let runs = SourceId::new(SourceKind::Github, "github");
    let issues = SourceId::new(SourceKind::Github, "issues");
    m.sources
        .push(SourceStatus::new(issues.clone(), FetchState::Connecting));
    let refused = "connection refused by https://github.example.com";
    fail(&mut m, &runs, &format!("acme/cart-service: {refused}"), 5);
    fail(
        &mut m,
        &issues,
        &format!("issues of acme/cart-service: {refused}"),
        60,
    );
    let bar = rows(&m, 240, 24).pop().expect("a status bar");
    assert!(
        bar.contains(&format!(
            "✗ github, github:issues acme/cart-service: {refused}"
        )),
        "{bar}"
    );
    // Narrower, the one entry is cut once; GitHub's entry and the failing Alertmanager's.
    let bar = rows(&m, 120, 24).pop().expect("a status bar");
    assert!(bar.contains("✗ github, github:issues acme/"), "{bar}");
    assert_eq!(bar.matches('✗').count(), 2, "{bar}");
    // Another reason is another entry.
    fail(&mut m, &issues, "issues of acme/cart-service: HTTP 502", 60);
    let bar = rows(&m, 240, 24).pop().expect("a status bar");
    assert!(
        bar.contains("✗ github acme/cart-service: connection refused"),
        "{bar}"
    );
    assert!(
        bar.contains("✗ github:issues issues of acme/cart-service: HTTP 502"),
        "{bar}"
    );
}

/// While GitHub fails, the Pipelines screen (its data) says how old what it shows is.
#[test]
fn the_screen_of_a_failing_source_shows_the_age_of_its_data() {
    let m = failing_with_a_long_error();
    let screen = rows(&m, 120, 24);
    assert!(screen[1].contains(" stale 3m "), "{}", screen[1]);
    let mut fine = m.clone();
    fine.screen = flightdeck_core::model::Screen::Docs;
    assert!(
        !rows(&fine, 120, 24)[1].contains("stale"),
        "only the screen of the failing source"
    );
}
