//! The Pipelines screen as a user sees it, kept as insta snapshots with styles: the runs of two
//! hosts side by side, filtered, the open run's jobs and steps, a coloured log with a search,
//! and the dispatch form. Sizes 120x40 and 80x24. Time is fixed, never the real clock.

use chrono::{DateTime, Duration, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use flightdeck::config::theme::ColorSupport;
use flightdeck::ui;
use flightdeck::ui::theme::Theme;
use flightdeck_core::keymap::{Key, KeyCode, Keymap};
use flightdeck_core::message::pipelines::Msg as PMsg;
use flightdeck_core::message::{Msg, SourceEvent};
use flightdeck_core::model::join::RunState;
use flightdeck_core::model::pipelines::{
    Deployment, Host, Job, JobRef, LogLine, Run, RunKey, Step,
};
use flightdeck_core::model::{FetchState, Model, Screen, SourceStatus};
use flightdeck_core::update::update;

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

fn keys(model: &mut Model, keys: &[Key]) {
    for k in keys {
        update(model, Msg::Key(*k));
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    host: Host,
    repo: &str,
    id: u64,
    workflow: &str,
    state: RunState,
    actor: &str,
    mins_ago: i64,
    title: &str,
) -> Run {
    let created = now() - Duration::minutes(mins_ago);
    let done = state.is_done();
    let name = repo.rsplit('/').next().unwrap_or(repo).to_string();
    Run {
        key: RunKey {
            host,
            repo: repo.into(),
            id,
        },
        service: format!("component:default/{name}"),
        service_name: name,
        number: id % 1000,
        workflow: workflow.into(),
        workflow_ref: format!("{}.yml", workflow.to_lowercase()),
        branch: "main".into(),
        event: "push".into(),
        actor: actor.into(),
        status: if done {
            "completed".into()
        } else {
            "in_progress".into()
        },
        conclusion: None,
        state,
        attempt: if id.is_multiple_of(7) { 2 } else { 1 },
        created,
        started: Some(created + Duration::seconds(12)),
        updated: created + Duration::minutes(4),
        finished: done.then(|| created + Duration::minutes(4)),
        title: title.into(),
        sha: format!("{id:x}abcdef0123456789"),
        url: None,
    }
}

pub(crate) fn model() -> Model {
    let mut m = Model::new(Keymap::defaults(), now());
    m.me = Some("user:default/jdoe".into());
    m.sources = vec![
        SourceStatus::new(Host::Github.source(), FetchState::Connecting),
        SourceStatus::new(Host::Gitlab.source(), FetchState::Connecting),
    ];
    update(
        &mut m,
        Msg::Source {
            id: Host::Github.source(),
            event: SourceEvent::Ok {
                at: now(),
                detail: Some("4870/5000".into()),
            },
        },
    );
    update(
        &mut m,
        Msg::Source {
            id: Host::Gitlab.source(),
            event: SourceEvent::Ok {
                at: now(),
                detail: None,
            },
        },
    );
    let gh = vec![
        run(
            Host::Github,
            "acme/payments-api",
            1042,
            "CI",
            RunState::Failure,
            "asingh",
            3,
            "Raise the connection pool timeout to 30s",
        ),
        run(
            Host::Github,
            "acme/payments-api",
            1041,
            "Deploy",
            RunState::Running,
            "lgarcia",
            1,
            "Revert \"Raise the connection pool timeout\"",
        ),
        run(
            Host::Github,
            "acme/payments-api",
            1040,
            "CI",
            RunState::Success,
            "jdoe",
            40,
            "Bump dependencies",
        ),
    ];
    let gh2 = vec![
        run(
            Host::Github,
            "acme/cart-service",
            2007,
            "CI",
            RunState::Queued,
            "jdoe",
            0,
            "Fix flaky integration test",
        ),
        run(
            Host::Github,
            "acme/cart-service",
            2006,
            "CI",
            RunState::Cancelled,
            "tnguyen",
            25,
            "Cache the price list for five minutes",
        ),
    ];
    let gl = vec![
        run(
            Host::Gitlab,
            "acme/shipping-rates",
            3011,
            "Build pipeline",
            RunState::Success,
            "kmuller",
            8,
            "",
        ),
        run(
            Host::Gitlab,
            "acme/shipping-rates",
            3010,
            "Build pipeline",
            RunState::Failure,
            "ayamada",
            60,
            "",
        ),
    ];
    for (host, repo, runs) in [
        (Host::Github, "acme/payments-api", gh),
        (Host::Github, "acme/cart-service", gh2),
        (Host::Gitlab, "acme/shipping-rates", gl),
    ] {
        let service = runs[0].service.clone();
        update(
            &mut m,
            Msg::Pipelines(PMsg::Runs {
                host,
                repo: repo.into(),
                service,
                runs,
                at: now(),
            }),
        );
    }
    update(
        &mut m,
        Msg::Pipelines(PMsg::Deployments {
            host: Host::Github,
            repo: "acme/payments-api".into(),
            service: "component:default/payments-api".into(),
            deployments: vec![Deployment {
                id: 9,
                environment: "production".into(),
                sha: "3f2a1c9d".into(),
                git_ref: "main".into(),
                state: RunState::Success,
                status: "success".into(),
                creator: "asingh".into(),
                created: now() - Duration::minutes(20),
                updated: now() - Duration::minutes(17),
                url: None,
            }],
            at: now(),
        }),
    );
    keys(&mut m, &[Key::char('2')]);
    m
}

fn open_failed_run(m: &mut Model) {
    // The failed CI run is the second newest.
    keys(
        m,
        &[
            Key::char('g'),
            Key::char('j'),
            Key::char('j'),
            Key::new(KeyCode::Enter),
        ],
    );
    let key = m
        .pipelines
        .detail
        .as_ref()
        .expect("a run is open")
        .run
        .clone();
    let step = |n, name: &str, state| Step {
        number: n,
        name: name.into(),
        state,
        started: Some(now() - Duration::minutes(3)),
        finished: Some(now() - Duration::minutes(2)),
    };
    let job = |id, name: &str, state, steps| Job {
        id,
        name: name.into(),
        stage: String::new(),
        state,
        status: "completed".into(),
        started: Some(now() - Duration::minutes(3)),
        finished: Some(now() - Duration::minutes(1)),
        steps,
        url: None,
    };
    let jobs = vec![
        job(
            1,
            "build",
            RunState::Success,
            vec![
                step(1, "Set up job", RunState::Success),
                step(2, "Run ./mvnw -B package", RunState::Success),
            ],
        ),
        job(
            2,
            "test",
            RunState::Failure,
            vec![
                step(1, "Set up job", RunState::Success),
                step(2, "Run ./mvnw -B verify", RunState::Failure),
                step(3, "Complete job", RunState::Success),
            ],
        ),
        job(3, "lint", RunState::Skipped, vec![]),
    ];
    update(m, Msg::Pipelines(PMsg::Jobs { run: key, jobs }));
}

#[test]
fn runs_of_both_hosts() {
    let m = model();
    insta::assert_snapshot!("list_120x40", render(&m, 120, 40));
    insta::assert_snapshot!("list_80x24", render(&m, 80, 24));
    insta::assert_snapshot!("list_200x50", render(&m, 200, 50));
}

#[test]
fn filtered_failing_first_and_mine() {
    let mut m = model();
    keys(&mut m, &[Key::char('z')]);
    insta::assert_snapshot!("failing_first_120x40", render(&m, 120, 40));
    keys(&mut m, &[Key::char('/')]);
    keys(
        &mut m,
        &"actor:me".chars().map(Key::char).collect::<Vec<_>>(),
    );
    insta::assert_snapshot!("filter_mine_80x24", render(&m, 80, 24));
}

#[test]
fn the_open_run_shows_jobs_and_steps() {
    let mut m = model();
    open_failed_run(&mut m);
    keys(&mut m, &[Key::char('j')]);
    insta::assert_snapshot!("detail_120x40", render(&m, 120, 40));
    insta::assert_snapshot!("detail_80x24", render(&m, 80, 24));
}

#[test]
fn a_log_keeps_its_colours_and_marks_the_search() {
    let mut m = model();
    open_failed_run(&mut m);
    keys(&mut m, &[Key::char('j'), Key::char('l')]);
    let job = m
        .pipelines
        .log
        .as_ref()
        .and_then(|l| l.job.clone())
        .expect("the log is open");
    assert_eq!(
        job,
        JobRef {
            run: job.run.clone(),
            id: 2,
            name: "test".into()
        }
    );
    let raw = [
        "\u{1b}[36;1m./mvnw -B verify\u{1b}[0m",
        "[INFO] Tests run: 212, Failures: 1",
        "\u{1b}[31m[ERROR] PaymentAuthorisationTest.declinesExpiredCards:88\u{1b}[0m",
        "\u{1b}]0;title set by the log\u{7}[ERROR] BUILD FAILURE",
        "Error: Process completed with exit code 1.",
    ];
    let lines: Vec<LogLine> = (0..30)
        .map(|i| LogLine::decode(&format!("step output {i}")))
        .chain(raw.iter().map(|l| LogLine::decode(l)))
        .collect();
    update(
        &mut m,
        Msg::Pipelines(PMsg::Log {
            job: job.clone(),
            lines,
            complete: true,
        }),
    );
    keys(&mut m, &[Key::char('/')]);
    keys(&mut m, &"error".chars().map(Key::char).collect::<Vec<_>>());
    keys(&mut m, &[Key::new(KeyCode::Enter)]);
    let log = m.pipelines.log.as_ref().expect("open");
    assert_eq!(log.matches.len(), 3);
    insta::assert_snapshot!("log_120x40", render(&m, 120, 40));
    insta::assert_snapshot!("log_80x24", render(&m, 80, 24));
}

#[test]
fn the_dispatch_form() {
    let mut m = model();
    keys(&mut m, &[Key::char('e'), Key::new(KeyCode::Tab)]);
    keys(
        &mut m,
        &"environment".chars().map(Key::char).collect::<Vec<_>>(),
    );
    keys(&mut m, &[Key::new(KeyCode::Tab)]);
    keys(
        &mut m,
        &"staging".chars().map(Key::char).collect::<Vec<_>>(),
    );
    insta::assert_snapshot!("dispatch_120x40", render(&m, 120, 40));
    insta::assert_snapshot!("dispatch_80x24", render(&m, 80, 24));
}

#[test]
fn nothing_yet_says_why() {
    let mut m = Model::new(Keymap::defaults(), now());
    m.sources = vec![SourceStatus::new(
        Host::Github.source(),
        FetchState::Connecting,
    )];
    m.screen = Screen::Pipelines;
    let screen = render(&m, 80, 24);
    assert!(screen.contains("github: connecting"), "{screen}");
}

/// Columns share the width by content: at 80 columns a workflow's name is whole and a cut
/// commit title says so with `…`.
#[test]
fn workflow_names_are_whole_at_80_columns() {
    let screen = render(&model(), 80, 24);
    assert!(screen.contains("Build pipeline "), "{screen}");
    assert!(screen.contains("Raise the connect…"), "{screen}");
}

/// Open PRs of two repositories: mine first, then one asking me to review, then the rest by
/// their last update; checks failing, running and passing; each review state; a draft and a
/// conflict.
fn with_pulls(m: &mut Model) {
    use flightdeck_core::model::pipelines::pulls::{Checks, Pull, PullKey, Review};
    #[allow(clippy::too_many_arguments)]
    fn pr(
        repo: &str,
        number: u64,
        title: &str,
        author: &str,
        mins_ago: i64,
        checks: (u32, u32, u32),
        review: Review,
        merge: (Option<bool>, &str),
    ) -> Pull {
        let name = repo.rsplit('/').next().unwrap_or(repo).to_string();
        Pull {
            key: PullKey {
                host: Host::Github,
                repo: repo.into(),
                number,
            },
            service: format!("component:default/{name}"),
            service_name: name,
            title: title.into(),
            author: author.into(),
            branch: format!("fix/change-{number}"),
            base: "main".into(),
            sha: format!("{number:x}c0ffee0123456789abcdef"),
            draft: merge.1 == "draft",
            created: now() - Duration::hours(30),
            updated: now() - Duration::minutes(mins_ago),
            checks: Checks {
                passed: checks.0,
                failed: checks.1,
                pending: checks.2,
                other: 0,
            },
            review,
            requested: if number == 212 {
                vec!["jdoe".into()]
            } else {
                vec![]
            },
            mergeable: merge.0,
            merge_state: merge.1.into(),
            url: Some(format!("https://github.example/{repo}/pull/{number}")),
        }
    }
    let pay = vec![
        pr(
            "acme/payments-api",
            118,
            "Retry idempotent calls with a budget",
            "asingh",
            12,
            (4, 1, 0),
            Review::ChangesRequested,
            (Some(true), "blocked"),
        ),
        pr(
            "acme/payments-api",
            117,
            "Make the upstream timeout configurable",
            "jdoe",
            90,
            (5, 0, 0),
            Review::Approved,
            (Some(true), "clean"),
        ),
    ];
    let cart = vec![
        pr(
            "acme/cart-service",
            212,
            "Log as JSON with trace ids",
            "tnguyen",
            3,
            (2, 0, 3),
            Review::Required,
            (None, "unknown"),
        ),
        pr(
            "acme/cart-service",
            211,
            "Bump dependencies",
            "mkowalski",
            240,
            (5, 0, 0),
            Review::Commented,
            (Some(false), "dirty"),
        ),
        pr(
            "acme/cart-service",
            209,
            "Cache the price list for five minutes",
            "mkowalski",
            600,
            (0, 0, 0),
            Review::None,
            (Some(true), "draft"),
        ),
    ];
    for (repo, pulls) in [("acme/payments-api", pay), ("acme/cart-service", cart)] {
        let service = pulls[0].service.clone();
        update(
            m,
            Msg::Pipelines(PMsg::Pulls {
                host: Host::Github,
                repo: repo.into(),
                service,
                pulls,
                at: now(),
            }),
        );
    }
}

#[test]
fn open_pull_requests_mine_first() {
    let mut m = model();
    with_pulls(&mut m);
    keys(&mut m, &[Key::char('p')]);
    let numbers: Vec<u64> = m
        .pipelines
        .prs
        .visible
        .iter()
        .map(|i| m.pipelines.prs.all[*i].key.number)
        .collect();
    assert_eq!(
        numbers,
        [117, 212, 118, 211, 209],
        "mine, asked of me, newest"
    );
    insta::assert_snapshot!("pulls_80x24", render(&m, 80, 24));
    insta::assert_snapshot!("pulls_200x60", render(&m, 200, 60));
}

#[test]
fn a_pull_requests_runs() {
    let mut m = model();
    with_pulls(&mut m);
    keys(&mut m, &[Key::char('p'), Key::new(KeyCode::Enter)]);
    let pull = m.pipelines.prs.scope.clone().expect("the PR is open");
    let mut first = run(
        Host::Github,
        "acme/payments-api",
        4402,
        "CI",
        RunState::Success,
        "jdoe",
        90,
        "Make the upstream timeout configurable",
    );
    first.branch = pull.branch.clone();
    first.event = "pull_request".into();
    first.sha = pull.sha.clone();
    let mut older = first.clone();
    older.key.id = 4390;
    older.number = 390;
    older.state = RunState::Failure;
    older.conclusion = Some("failure".into());
    older.created -= Duration::hours(5);
    older.started = Some(older.created + Duration::seconds(12));
    older.finished = Some(older.created + Duration::minutes(4));
    older.sha = "0ld5ha0123456789".into();
    update(
        &mut m,
        Msg::Pipelines(PMsg::PullRuns {
            pull: pull.key.clone(),
            runs: vec![first, older],
        }),
    );
    insta::assert_snapshot!("pull_runs_80x24", render(&m, 80, 24));
}
