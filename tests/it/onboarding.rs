//! Onboarding: the state machine (ticks, checks, time to first deploy, the tour), the checks run
//! by the real clients against the sim (GitHub, Kubernetes, Alertmanager), and progress kept in
//! a data dir across restarts.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rstest::rstest;
use tokio::sync::mpsc;

use flightdeck::providers::onboarding::{Checker, OnboardingProvider};
use flightdeck::providers::{Context, Provider};
use flightdeck_core::keymap::{Key, KeyCode, Keymap};
use flightdeck_core::message::onboarding::{CheckRequest, Command, Msg as OnbMsg};
use flightdeck_core::message::{Effect, Msg};
use flightdeck_core::model::onboarding::{
    CheckKind, CheckResult, PathSpec, PhaseSpec, Progress, StepSpec,
};
use flightdeck_core::model::{Model, Overlay, Screen};
use flightdeck_core::update::update;
use flightdeck_sim::{Sim, SimConfig};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:30:00Z")
        .expect("a fixed time")
        .with_timezone(&Utc)
}

fn step(id: &str, check: Option<CheckKind>) -> StepSpec {
    StepSpec {
        id: id.into(),
        title: format!("Do {id}"),
        text: format!("Why **{id}** matters."),
        check,
        ..StepSpec::default()
    }
}

fn path() -> PathSpec {
    PathSpec {
        title: Some("Test path".into()),
        buddy: Some("Arjun Singh".into()),
        phases: vec![
            PhaseSpec {
                name: "Day 1".into(),
                steps: vec![
                    step("read", None),
                    step("token", Some(CheckKind::GithubToken)),
                ],
            },
            PhaseSpec {
                name: "Week 1".into(),
                steps: vec![
                    step("deploy", Some(CheckKind::Deployed)),
                    step("runbook", Some(CheckKind::RunbookOpened)),
                ],
            },
        ],
    }
}

fn loaded() -> Model {
    let mut m = Model::new(Keymap::defaults(), now());
    m.screen = Screen::Onboarding;
    update(
        &mut m,
        Msg::Onboarding(OnbMsg::PathLoaded {
            spec: path(),
            source: "the config".into(),
        }),
    );
    update(
        &mut m,
        Msg::Onboarding(OnbMsg::ProgressLoaded {
            progress: None,
            error: None,
        }),
    );
    m
}

fn saves(effects: &[Effect]) -> Vec<Progress> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Onboarding(Command::Save { progress, .. }) => Some(progress.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn loading_asks_for_progress_then_starts_the_clock_and_runs_the_checks() {
    let mut m = Model::new(Keymap::defaults(), now());
    let effects = update(
        &mut m,
        Msg::Onboarding(OnbMsg::PathLoaded {
            spec: path(),
            source: "the config".into(),
        }),
    );
    assert!(effects.contains(&Effect::Onboarding(Command::LoadProgress {
        key: "Test path".into()
    })));
    let effects = update(
        &mut m,
        Msg::Onboarding(OnbMsg::ProgressLoaded {
            progress: None,
            error: None,
        }),
    );
    assert_eq!(saves(&effects).len(), 1, "the start time is saved at once");
    assert_eq!(m.onboarding.progress.started_at, Some(now()));
    let asked: Vec<CheckKind> = effects
        .iter()
        .flat_map(|e| match e {
            Effect::Onboarding(Command::RunChecks(reqs)) => reqs.iter().map(|r| r.kind).collect(),
            _ => vec![],
        })
        .collect();
    assert_eq!(
        asked,
        vec![CheckKind::GithubToken, CheckKind::Deployed],
        "remote checks go to the provider"
    );
    assert!(
        m.onboarding
            .results
            .get("runbook")
            .is_some_and(|r| !r.ok && r.next.is_some()),
        "the model answers the runbook check"
    );
}

#[test]
fn nothing_is_saved_before_the_saved_progress_is_read() {
    let mut m = Model::new(Keymap::defaults(), now());
    m.screen = Screen::Onboarding;
    update(
        &mut m,
        Msg::Onboarding(OnbMsg::PathLoaded {
            spec: path(),
            source: "the config".into(),
        }),
    );
    m.list_mut(Screen::Onboarding).cursor.selected = 1;
    let effects = update(&mut m, Msg::Key(Key::char(' ')));
    assert!(
        saves(&effects).is_empty(),
        "a save now would overwrite progress not read yet"
    );
}

#[rstest]
#[case::tick_a_manual_step(1, true)]
#[case::checked_steps_are_not_ticked_by_hand(2, false)]
#[case::a_phase_row_has_nothing_to_tick(0, false)]
fn space_ticks_manual_steps_only(#[case] row: usize, #[case] ticked: bool) {
    let mut m = loaded();
    m.list_mut(Screen::Onboarding).cursor.selected = row;
    let effects = update(&mut m, Msg::Key(Key::char(' ')));
    assert_eq!(m.onboarding.is_done("read"), ticked);
    assert_eq!(saves(&effects).len(), usize::from(ticked));
    if ticked {
        update(&mut m, Msg::Key(Key::char('x')));
        assert!(!m.onboarding.is_done("read"), "x unticks it again");
    }
}

#[test]
fn a_passing_check_is_done_once_and_a_deploy_sets_the_time_to_first_deploy() {
    let mut m = loaded();
    let deployed_at = now() + chrono::Duration::hours(2);
    let result = CheckResult {
        ok: true,
        found: "jdoe deployed abc to staging".into(),
        next: None,
        at: now(),
        event_at: Some(deployed_at),
    };
    let effects = update(
        &mut m,
        Msg::Onboarding(OnbMsg::Checked {
            step: "deploy".into(),
            result: result.clone(),
        }),
    );
    assert_eq!(saves(&effects).len(), 1);
    assert_eq!(m.onboarding.progress.first_deploy_at, Some(deployed_at));
    m.now = now() + chrono::Duration::hours(3);
    let (since, to_deploy) = m.onboarding.progress.elapsed(m.now);
    assert_eq!(since, Some(chrono::Duration::hours(3)));
    assert_eq!(to_deploy, Some(chrono::Duration::hours(2)));
    let effects = update(
        &mut m,
        Msg::Onboarding(OnbMsg::Checked {
            step: "deploy".into(),
            result,
        }),
    );
    assert!(saves(&effects).is_empty(), "nothing new to save");
    let failing = CheckResult {
        ok: false,
        found: "401".into(),
        next: Some("export a token".into()),
        at: now(),
        event_at: None,
    };
    update(
        &mut m,
        Msg::Onboarding(OnbMsg::Checked {
            step: "token".into(),
            result: failing,
        }),
    );
    assert!(!m.onboarding.is_done("token"));
    assert_eq!(m.onboarding.counts(), (1, 4));
}

#[test]
fn opening_a_runbook_of_the_team_passes_its_check() {
    let mut m = loaded();
    // No catalog identity: the check says what to do.
    update(&mut m, Msg::Key(Key::char('r')));
    assert!(!m.onboarding.is_done("runbook"));
    m.docs.opened.insert((
        "component:default/payments-api".into(),
        "runbooks/crash-looping.md".into(),
    ));
    update(&mut m, Msg::Key(Key::char('r')));
    assert!(
        !m.onboarding.is_done("runbook"),
        "payments-api is not the user's team's service here"
    );
}

#[test]
fn the_tour_shows_on_first_launch_steps_and_is_remembered() {
    let mut m = Model::new(Keymap::defaults(), now());
    update(&mut m, Msg::Onboarding(OnbMsg::TourState { done: false }));
    assert_eq!(m.overlay, Some(Overlay::Tour { page: 0 }));
    update(&mut m, Msg::Key(Key::new(KeyCode::Enter)));
    assert_eq!(m.overlay, Some(Overlay::Tour { page: 1 }));
    update(&mut m, Msg::Key(Key::new(KeyCode::Left)));
    assert_eq!(m.overlay, Some(Overlay::Tour { page: 0 }));
    let effects = update(&mut m, Msg::Key(Key::new(KeyCode::Esc)));
    assert_eq!(m.overlay, None, "esc skips it");
    assert!(effects.contains(&Effect::Onboarding(Command::TourDone)));
    // Replayable from the palette.
    update(&mut m, Msg::Key(Key::char(':')));
    for c in "tour".chars() {
        update(&mut m, Msg::Key(Key::char(c)));
    }
    update(&mut m, Msg::Key(Key::new(KeyCode::Enter)));
    assert_eq!(m.overlay, Some(Overlay::Tour { page: 0 }));
    // Any other key closes the tour and does its job, so nobody is stuck behind it.
    let mut m3 = Model::new(Keymap::defaults(), now());
    update(&mut m3, Msg::Onboarding(OnbMsg::TourState { done: false }));
    let effects = update(&mut m3, Msg::Key(Key::char('/')));
    assert_eq!(m3.overlay, None);
    assert!(m3.list(Screen::Overview).filtering, "/ started the filter");
    assert!(effects.contains(&Effect::Onboarding(Command::TourDone)));
    let mut m2 = Model::new(Keymap::defaults(), now());
    update(&mut m2, Msg::Onboarding(OnbMsg::TourState { done: true }));
    assert_eq!(
        m2.overlay, None,
        "a finished tour does not come back by itself"
    );
}

fn request(kind: CheckKind) -> CheckRequest {
    CheckRequest {
        step: format!("{kind:?}"),
        kind,
        context: None,
        namespace: None,
        alertmanager: None,
        environment: None,
        repos: vec![],
    }
}

#[tokio::test]
async fn the_checks_run_against_the_sim_with_the_real_clients() {
    let sim = Sim::start(SimConfig::default())
        .await
        .expect("the sim starts");
    let config = flightdeck::config::load(&sim.flightdeck_config())
        .expect("the sim's config loads")
        .config;
    let checker = Checker {
        config,
        http: reqwest::Client::new(),
        clock: flightdeck::clock::Clock::System,
        login: Default::default(),
    };
    let world = &sim.shared.world;

    let r = checker.run(&request(CheckKind::GithubToken)).await;
    assert!(r.ok, "{r:?}");
    assert!(r.found.ends_with("as jdoe"), "{}", r.found);

    let storefront: Vec<&flightdeck_sim::world::Service> = world
        .services
        .iter()
        .filter(|s| s.owner == "team-storefront" && s.ci == flightdeck_sim::world::CiHost::Github)
        .collect();
    let ns = storefront[0].namespace.clone();
    let r = checker
        .run(&CheckRequest {
            namespace: Some(ns.clone()),
            ..request(CheckKind::KubePods)
        })
        .await;
    assert!(r.ok, "{r:?}");
    assert!(
        r.found.contains(&format!("pods in {ns} on flightdeck-sim")),
        "{}",
        r.found
    );

    let r = checker
        .run(&CheckRequest {
            namespace: Some("restricted".into()),
            ..request(CheckKind::KubePods)
        })
        .await;
    assert!(!r.ok);
    assert!(r.found.starts_with("403 Forbidden"), "{}", r.found);
    assert!(
        r.next.as_deref().is_some_and(|n| n.contains("RoleBinding")),
        "says what to do: {:?}",
        r.next
    );

    let r = checker.run(&request(CheckKind::Alertmanager)).await;
    assert!(r.ok, "{r:?}");

    let repos: Vec<String> = storefront.iter().map(|s| s.repo.clone()).collect();
    let at = sim.shared.story_now();
    let ci_by_jdoe = storefront.iter().any(|s| {
        world
            .runs(&s.name, at)
            .iter()
            .any(|run| run.actor == "jdoe")
    });
    let r = checker
        .run(&CheckRequest {
            repos: repos.clone(),
            ..request(CheckKind::CiRun)
        })
        .await;
    assert_eq!(r.ok, ci_by_jdoe, "{r:?}");

    let deployed_by_jdoe = storefront.iter().any(|s| {
        world
            .deploy_runs(&s.name, at)
            .iter()
            .any(|run| run.actor == "jdoe")
    });
    let r = checker
        .run(&CheckRequest {
            repos,
            ..request(CheckKind::Deployed)
        })
        .await;
    assert_eq!(r.ok, deployed_by_jdoe, "{r:?}");
    if r.ok {
        assert!(
            r.event_at.is_some(),
            "the deployment's time is kept for the time to first deploy"
        );
    } else {
        assert!(r.next.as_deref().is_some_and(|n| n.contains("deploy")));
    }

    let unconfigured = Checker {
        config: Default::default(),
        http: reqwest::Client::new(),
        clock: flightdeck::clock::Clock::System,
        login: Default::default(),
    };
    let r = unconfigured.run(&request(CheckKind::GithubToken)).await;
    assert!(
        !r.ok && r.next.as_deref().is_some_and(|n| n.contains("[github]")),
        "{r:?}"
    );
}

/// Feeds the provider's messages to `update` and the resulting onboarding effects back to the
/// provider, until nothing arrives for a while.
async fn pump(m: &mut Model, provider: &mut OnboardingProvider, rx: &mut mpsc::Receiver<Msg>) {
    while let Ok(Some(msg)) = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await {
        for effect in update(m, msg) {
            if matches!(effect, Effect::Onboarding(_)) {
                provider.command(&effect);
            }
        }
    }
}

#[tokio::test]
async fn progress_is_kept_across_restarts() {
    let data = tempfile::tempdir().expect("a temp dir");
    let file = data.path().join("onboarding.yaml");
    std::fs::write(&file, serde_norway::to_string(&path()).expect("yaml")).expect("write");
    let mut config = flightdeck::config::Config::default();
    config.onboarding.file = Some(file);

    let start = |m: &mut Model| {
        let (tx, rx) = mpsc::channel(64);
        let provider = OnboardingProvider::with_data_dir(
            &config,
            &Context {
                tx,
                clock: flightdeck::clock::Clock::System,
                read_only: false,
            },
            Some(data.path().to_path_buf()),
        );
        m.screen = Screen::Onboarding;
        (provider, rx)
    };

    let mut first = Model::new(Keymap::defaults(), now());
    let (mut provider, mut rx) = start(&mut first);
    pump(&mut first, &mut provider, &mut rx).await;
    assert_eq!(
        first.overlay,
        Some(Overlay::Tour { page: 0 }),
        "first launch shows the tour"
    );
    for effect in update(&mut first, Msg::Key(Key::new(KeyCode::Esc))) {
        provider.command(&effect);
    }
    assert!(
        first.onboarding.path.is_some(),
        "the path was read from the file"
    );
    first.list_mut(Screen::Onboarding).cursor.selected = 1;
    for effect in update(&mut first, Msg::Key(Key::char(' '))) {
        provider.command(&effect);
    }
    pump(&mut first, &mut provider, &mut rx).await;
    assert!(first.onboarding.is_done("read"));
    drop(provider);

    let mut second = Model::new(Keymap::defaults(), now() + chrono::Duration::days(1));
    let (mut provider, mut rx) = start(&mut second);
    pump(&mut second, &mut provider, &mut rx).await;
    assert_eq!(second.overlay, None, "the tour was done");
    assert!(
        second.onboarding.is_done("read"),
        "the tick survived the restart"
    );
    assert_eq!(
        second.onboarding.progress.started_at,
        Some(now()),
        "the start is the first day's"
    );
    let leftovers: Vec<_> = std::fs::read_dir(data.path())
        .expect("list")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        3,
        "the path, the progress and the tour marker; no temp files: {leftovers:?}"
    );
}

#[tokio::test]
async fn the_demo_path_loads_and_every_docs_link_opens() {
    let sim = Sim::start(SimConfig::default())
        .await
        .expect("the sim starts");
    let msg =
        flightdeck::providers::onboarding::load_file(&sim.dir().join("org/onboarding.yaml")).await;
    let Msg::Onboarding(OnbMsg::PathLoaded { spec, .. }) = msg else {
        panic!("the demo path loads: {msg:?}")
    };
    let names: Vec<&str> = spec.phases.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Day 1", "Week 1", "Month 1"]);
    assert!(spec.buddy.is_some());
    let checks: std::collections::BTreeSet<CheckKind> = spec
        .phases
        .iter()
        .flat_map(|p| &p.steps)
        .filter_map(|s| s.check)
        .collect();
    assert_eq!(
        checks.len(),
        7,
        "every kind of check is practised: {checks:?}"
    );
    let world = &sim.shared.world;
    let sites = world
        .services
        .iter()
        .map(|s| {
            flightdeck::providers::docs::read_site(
                &format!("component:default/{}", s.name),
                &s.name,
                &sim.dir().join("repos").join(&s.name),
            )
            .expect("docs")
        })
        .collect();
    let mut m = Model::new(Keymap::defaults(), now());
    update(
        &mut m,
        Msg::Docs(flightdeck_core::message::docs::Msg::Loaded {
            sites,
            errors: vec![],
        }),
    );
    for step in spec.phases.iter().flat_map(|p| &p.steps) {
        for link in &step.docs {
            let (service, path) = link.split_once(':').expect("service:path");
            assert!(
                flightdeck_core::update::docs::open_runbook(
                    &mut m,
                    &format!("component:default/{service}"),
                    path
                )
                .is_some(),
                "{link} opens"
            );
        }
        for service in &step.services {
            assert!(world.service(service).is_some(), "{service} exists");
        }
    }
}

/// A small org in which jdoe (known by git email) is in team-a, which owns `shop`.
const TEAM_ORG: &[&str] = &[
    "{apiVersion: backstage.io/v1alpha1, kind: Group, metadata: {name: team-a}, spec: {type: team, children: [], members: [jdoe]}}",
    "{apiVersion: backstage.io/v1alpha1, kind: User, metadata: {name: jdoe}, spec: {profile: {email: jdoe@acme.example}, memberOf: [team-a]}}",
    "{apiVersion: backstage.io/v1alpha1, kind: Component, metadata: {name: shop}, spec: {type: service, lifecycle: production, owner: team-a}}",
];

/// Tells `m` who the user is and what their team owns.
fn with_team(m: &mut Model) {
    use flightdeck_core::message::catalog::Msg as CatalogMsg;
    use flightdeck_core::model::catalog::{EntityOrigin, Origin, Place};
    let entities = TEAM_ORG
        .iter()
        .enumerate()
        .map(|(i, doc)| {
            let value: serde_json::Value = serde_norway::from_str(doc).expect("valid YAML");
            let origin = EntityOrigin::File {
                place: Place {
                    path: "org/catalog-info.yaml".into(),
                    line: i as u32 + 1,
                    column: 1,
                },
                field_lines: Default::default(),
            };
            flightdeck::providers::catalog::decode_entity(&value, origin, None)
                .expect("the org decodes")
                .0
        })
        .map(std::sync::Arc::new)
        .collect();
    update(
        m,
        Msg::Catalog(CatalogMsg::GitEmail(Some("jdoe@acme.example".into()))),
    );
    update(
        m,
        Msg::Catalog(CatalogMsg::Loaded {
            origin: Origin::Files,
            entities,
            problems: vec![],
            at: now(),
        }),
    );
    assert!(m.catalog.identity.is_some(), "jdoe is known");
}

fn team_path() -> PathSpec {
    let mut runbook = step("runbook", Some(CheckKind::RunbookOpened));
    runbook.docs = vec!["shop:runbooks/crash-looping.md".into()];
    PathSpec {
        title: Some("Team path".into()),
        buddy: None,
        phases: vec![PhaseSpec {
            name: "Day 1".into(),
            steps: vec![step("group", Some(CheckKind::CatalogGroup)), runbook],
        }],
    }
}

#[test]
fn a_passing_local_check_is_saved_at_once() {
    let mut m = Model::new(Keymap::defaults(), now());
    with_team(&mut m);
    update(
        &mut m,
        Msg::Onboarding(OnbMsg::PathLoaded {
            spec: team_path(),
            source: "the config".into(),
        }),
    );
    let effects = update(
        &mut m,
        Msg::Onboarding(OnbMsg::ProgressLoaded {
            progress: None,
            error: None,
        }),
    );
    assert!(m.onboarding.is_done("group"), "the catalog check passes");
    let saved = saves(&effects);
    assert_eq!(saved.len(), 1, "one save, so no older write can land last");
    assert_eq!(saved[0].started_at, Some(now()));
    assert_eq!(
        saved[0].done.get("group"),
        Some(&now()),
        "the passing check is in what is saved: {saved:?}"
    );

    // `r` re-runs the local checks; a step they newly pass is saved too.
    m.onboarding.progress.done.clear();
    m.screen = Screen::Onboarding;
    let effects = update(&mut m, Msg::Key(Key::char('r')));
    assert!(
        saves(&effects)
            .last()
            .is_some_and(|p| p.done.contains_key("group")),
        "r saves what it found"
    );
}

#[test]
fn a_deploy_from_before_the_start_reads_the_same_instant_everywhere() {
    let mut m = loaded();
    let deployed_at = now() - chrono::Duration::hours(5);
    m.now = now() + chrono::Duration::minutes(10);
    update(
        &mut m,
        Msg::Onboarding(OnbMsg::Checked {
            step: "deploy".into(),
            result: CheckResult {
                ok: true,
                found: "jdoe deployed abc to staging".into(),
                next: None,
                at: now() + chrono::Duration::minutes(10),
                event_at: Some(deployed_at),
            },
        }),
    );
    let p = &m.onboarding.progress;
    assert_eq!(
        p.first_deploy_at,
        Some(now() + chrono::Duration::minutes(10)),
        "counted from when the cockpit saw it, never before the start"
    );
    assert_eq!(
        p.done.get("deploy").copied(),
        p.first_deploy_at,
        "\"done … ago\" and \"first deploy … after start\" agree"
    );
}

#[test]
fn opening_the_suggested_runbook_ticks_its_step() {
    let docs = tempfile::tempdir().expect("a temp dir");
    std::fs::create_dir_all(docs.path().join("docs/runbooks")).expect("mkdir");
    std::fs::write(docs.path().join("docs/index.md"), "# Shop\n").expect("write");
    std::fs::write(
        docs.path().join("docs/runbooks/crash-looping.md"),
        "# Crash looping\n\nLook at the logs.\n",
    )
    .expect("write");
    let site =
        flightdeck::providers::docs::read_site("component:default/shop", "shop", docs.path())
            .expect("the site reads");

    let mut m = Model::new(Keymap::defaults(), now());
    update(
        &mut m,
        Msg::Resize {
            width: 120,
            height: 40,
        },
    );
    with_team(&mut m);
    update(
        &mut m,
        Msg::Docs(flightdeck_core::message::docs::Msg::Loaded {
            sites: vec![site],
            errors: vec![],
        }),
    );
    update(
        &mut m,
        Msg::Onboarding(OnbMsg::PathLoaded {
            spec: team_path(),
            source: "the config".into(),
        }),
    );
    update(
        &mut m,
        Msg::Onboarding(OnbMsg::ProgressLoaded {
            progress: None,
            error: None,
        }),
    );
    assert!(!m.onboarding.is_done("runbook"), "not read yet");

    // The step's own docs link opens the runbook in the docs viewer.
    m.screen = Screen::Onboarding;
    let at = m
        .onboarding
        .rows
        .iter()
        .position(|r| {
            matches!(
                r,
                flightdeck_core::model::onboarding::Row::Step { phase: 0, step: 1 }
            )
        })
        .expect("the runbook step is listed");
    m.list_mut(Screen::Onboarding).cursor.selected = at;
    let effects = update(&mut m, Msg::Key(Key::char('o')));
    assert_eq!(m.screen, Screen::Docs, "the runbook opened");
    assert!(
        m.onboarding.is_done("runbook"),
        "opening it re-ran the check: {:?}",
        m.onboarding.results.get("runbook")
    );
    assert!(
        saves(&effects)
            .last()
            .is_some_and(|p| p.done.contains_key("runbook")),
        "and the tick is saved"
    );
}

#[tokio::test]
async fn check_times_and_the_start_survive_a_restart() {
    let data = tempfile::tempdir().expect("a temp dir");
    let file = data.path().join("onboarding.yaml");
    std::fs::write(&file, serde_norway::to_string(&team_path()).expect("yaml")).expect("write");
    let mut config = flightdeck::config::Config::default();
    config.onboarding.file = Some(file);
    let start = |at: DateTime<Utc>| {
        let mut m = Model::new(Keymap::defaults(), at);
        with_team(&mut m);
        let (tx, rx) = mpsc::channel(64);
        let provider = OnboardingProvider::with_data_dir(
            &config,
            &Context {
                tx,
                clock: flightdeck::clock::Clock::System,
                read_only: false,
            },
            Some(data.path().to_path_buf()),
        );
        (m, provider, rx)
    };

    let (mut first, mut provider, mut rx) = start(now());
    pump(&mut first, &mut provider, &mut rx).await;
    assert_eq!(first.onboarding.progress.done.get("group"), Some(&now()));
    drop(provider);

    let later = now() + chrono::Duration::days(1);
    let (mut second, mut provider, mut rx) = start(later);
    pump(&mut second, &mut provider, &mut rx).await;
    let p = &second.onboarding.progress;
    assert_eq!(p.started_at, Some(now()), "the start is the first day's");
    assert_eq!(
        p.done.get("group"),
        Some(&now()),
        "the step was done on the first day, not at the restart"
    );
}
