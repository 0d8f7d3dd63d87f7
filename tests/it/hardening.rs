//! The numbered failures of the hardening issue, one test each, against the code the user runs:
//! every copy and open goes through the one URL check, tokens stay with their hosts, remote
//! bodies never reach a message whole, and text from a file is never trusted.

use chrono::{DateTime, Utc};
use rstest::rstest;

use flightdeck::providers::onboarding::Checker;
use flightdeck_core::keymap::{Key, KeyCode, Keymap};
use flightdeck_core::message::docs::Msg as DocsMsg;
use flightdeck_core::message::onboarding::CheckRequest;
use flightdeck_core::message::{Effect, Msg};
use flightdeck_core::model::docs::{Page, Site};
use flightdeck_core::model::onboarding::CheckKind;
use flightdeck_core::model::{Model, Screen};
use flightdeck_core::sanitize;
use flightdeck_core::update::update;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:30:00Z")
        .expect("a fixed time")
        .with_timezone(&Utc)
}

/// A docs site whose one page holds a single link to `target`, read as the docs provider reads
/// a file: the whole page through `sanitize::text` first.
fn docs_with_link(target: &str) -> Model {
    let markdown = sanitize::text(&format!("# Hostile\n\nSee [this]({target}).\n"));
    let site = Site {
        service: "component:default/payments-api".into(),
        name: "payments-api".into(),
        site_name: "Payments API".into(),
        root: "/repo/docs".into(),
        pages: vec![Page {
            path: "index.md".into(),
            file: "/repo/docs/index.md".into(),
            markdown,
            ..Page::default()
        }],
        ..Site::default()
    };
    let mut m = Model::new(Keymap::defaults(), now());
    update(
        &mut m,
        Msg::Resize {
            width: 120,
            height: 40,
        },
    );
    update(
        &mut m,
        Msg::Docs(DocsMsg::Loaded {
            sites: vec![site],
            errors: vec![],
        }),
    );
    m.screen = Screen::Docs;
    update(&mut m, Msg::Key(Key::new(KeyCode::Enter)));
    update(&mut m, Msg::Key(Key::char(']')));
    m
}

fn leaves(effects: &[Effect]) -> bool {
    effects
        .iter()
        .any(|e| matches!(e, Effect::Copy(_) | Effect::OpenUrl(_)))
}

/// Failure 1: `y` and `o` on a docs link copied and opened whatever the link said.
#[rstest]
#[case::file("file:///etc/passwd")]
#[case::javascript("javascript:alert(1)")]
#[case::escape_in_caret_form("https://evil.example/\u{1b}]0;x\u{7}")]
#[case::bidi_marker("https://evil.example/\u{202e}fdp.exe")]
fn a_docs_link_that_fails_the_url_check_is_neither_copied_nor_opened(#[case] target: &str) {
    for key in ['y', 'o'] {
        let mut m = docs_with_link(target);
        let effects = update(&mut m, Msg::Key(Key::char(key)));
        assert!(!leaves(&effects), "{key} on {target:?}: {effects:?}");
        let notice = m
            .notice
            .as_ref()
            .map(|n| n.text.clone())
            .unwrap_or_default();
        assert!(
            notice.contains("URL check"),
            "{key} on {target:?} says why: {notice:?}"
        );
        assert!(
            !notice.chars().any(|c| c.is_control()),
            "the notice is clean: {notice:?}"
        );
    }
}

#[test]
fn a_plain_docs_link_is_copied_and_opened() {
    let url = "https://docs.acme.example/payments/";
    let mut m = docs_with_link(url);
    assert!(update(&mut m, Msg::Key(Key::char('y'))).contains(&Effect::Copy(url.into())));
    let mut m = docs_with_link(url);
    assert!(update(&mut m, Msg::Key(Key::char('o'))).contains(&Effect::OpenUrl(url.into())));
}

fn user_gets(sim: &flightdeck_sim::Sim) -> u64 {
    sim.shared
        .stats
        .rows()
        .iter()
        .filter(|r| r.key.service == "github" && r.key.endpoint == "/user")
        .map(|r| r.count)
        .sum()
}

fn check(kind: CheckKind, repos: Vec<String>) -> CheckRequest {
    CheckRequest {
        step: format!("{kind:?}"),
        kind,
        context: None,
        namespace: None,
        alertmanager: None,
        environment: None,
        repos,
    }
}

/// Failure 2: the onboarding checks read `token_command` before the variable `token_env`
/// names (the reverse of every provider and of the docs), and each of the three GitHub checks
/// asked `GET /user` again.
#[tokio::test]
async fn onboarding_reads_tokens_in_the_one_order_and_asks_who_once() {
    let sim = flightdeck_sim::Sim::start(flightdeck_sim::SimConfig::default())
        .await
        .expect("the sim starts");
    let mut config = flightdeck::config::load(&sim.flightdeck_config())
        .expect("the sim's config loads")
        .config;
    let gh = config
        .github
        .as_mut()
        .expect("the sim's config has [github]");
    // A variable every test process has, and a command that would fail: the variable wins.
    gh.token_env = Some("PATH".into());
    gh.token_command = Some("exit 3".into());
    let checker = Checker {
        config,
        http: reqwest::Client::new(),
        clock: flightdeck::clock::Clock::System,
        login: Default::default(),
    };
    let before = user_gets(&sim);
    let repos: Vec<String> = sim
        .shared
        .world
        .services
        .iter()
        .take(2)
        .map(|s| s.repo.clone())
        .collect();
    let (a, b, c) = (
        check(CheckKind::GithubToken, vec![]),
        check(CheckKind::CiRun, repos.clone()),
        check(CheckKind::Deployed, repos),
    );
    let (token, runs, deployed) = tokio::join!(checker.run(&a), checker.run(&b), checker.run(&c));
    assert!(token.ok, "the variable's token is used: {token:?}");
    for r in [&runs, &deployed] {
        assert!(!r.found.contains("token_command"), "{r:?}");
    }
    assert_eq!(user_gets(&sim) - before, 1, "one GET /user for the round");
}

/// A server of our own that answers every request with `status` and `body`, for answers the
/// sim's fault injection does not make. Returns its base URL.
async fn fixed_server(status: u16, body: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a local port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(body.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

/// Failure 3: a malformed or failing `/api/v2/status` was quoted in the error (and the log),
/// receiver secrets with it.
#[rstest]
#[case::config_not_an_object(200, r#"{"cluster":{"status":"ready","peers":[]},"versionInfo":{"version":"0.27.0","revision":"","branch":"","buildUser":"","buildDate":"","goVersion":""},"config":"https://hooks.example/services/T000/B000/s3cr3t","uptime":"2026-03-02T09:00:00Z"}"#)]
#[case::server_error(500, r#"{"config":{"original":"receivers: [{webhook_configs: [{url: https://hooks.example/services/T000/B000/s3cr3t}]}]"}}"#)]
#[tokio::test]
async fn alertmanager_status_errors_never_quote_the_body(
    #[case] status: u16,
    #[case] body: &'static str,
) {
    use flightdeck::providers::alertmanager::{AmClient, Auth};
    let url = fixed_server(status, body).await;
    let client =
        AmClient::new("am", &url, Auth::None, std::time::Duration::from_secs(5)).expect("a client");
    let err = client.status().await.expect_err("the status fails");
    assert!(
        !err.contains("s3cr3t") && !err.contains("hooks.example"),
        "{err}"
    );
    assert!(err.starts_with("status: "), "{err}");
}

/// Failure 3: the log file was created 0644.
#[cfg(unix)]
#[test]
fn the_log_file_is_created_for_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("logs/flightdeck.log");
    flightdeck::logfile::open(&path).expect("opens");
    let mode = std::fs::metadata(&path)
        .expect("exists")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // A file an older version left readable by others is narrowed.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    flightdeck::logfile::open(&path).expect("opens again");
    let mode = std::fs::metadata(&path)
        .expect("exists")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                out.push(k.clone());
                strings(x, out);
            }
        }
        _ => {}
    }
}

fn hidden(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Failure 5: text restored from the snapshot file was not sanitised again, so a bidi override
/// or an escape written into the file reached the terminal raw.
#[test]
fn a_tampered_snapshot_is_sanitised_on_restore() {
    use flightdeck_core::model::{FetchState, SourceId, SourceKind, SourceStatus};
    let mut m = Model::new(Keymap::defaults(), now());
    let mut source = SourceStatus::new(SourceId::new(SourceKind::Github, "github"), FetchState::Ok);
    source.fetched_at = Some(now());
    m.sources.push(source);
    let saved = serde_json::to_string(&flightdeck::snapshot::Snapshot::of(&m)).expect("json");
    let tampered = saved.replace(
        "\"github\"",
        "\"git\\u202ehub\\u001b]0;pwned\\u0007\\r\\u009b2J\"",
    );
    assert_ne!(saved, tampered, "the test wrote something hostile");
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("snapshot.json");
    std::fs::write(&path, tampered).expect("written");
    let loaded = flightdeck::snapshot::load(&path).expect("a snapshot of this version loads");
    let mut all = Vec::new();
    strings(&serde_json::to_value(&loaded).expect("json"), &mut all);
    assert!(all.iter().any(|s| s.contains("<U+202E>")), "{all:?}");
    for s in &all {
        assert!(!s.chars().any(hidden), "{s:?}");
    }
}

/// Failure 6: a binary file among the catalog paths was labelled "(Backstage API)".
#[test]
fn a_binary_file_in_the_catalog_paths_is_labelled_as_itself() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("logo.png");
    std::fs::write(&path, b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe").expect("written");
    let loaded = flightdeck::providers::catalog::load_files([path.as_path()]);
    let problem = loaded.problems.first().expect("one problem");
    let place = problem.place.as_ref().expect("the problem has a place");
    assert_eq!(&*place.path, path.display().to_string());
    assert!(
        problem.message.contains("not a text file"),
        "{}",
        problem.message
    );
}
