//! The Delivery screen as a user sees it, kept as insta snapshots with styles at 80x24 and
//! 120x40: the rows for a window with bands, trends, counts and weekly bars, rolled up per
//! owner, and a service's deployment timeline. The catalog is the Overview tests'; the history
//! is made here, deterministic, with a different delivery profile per service. Time is fixed.

use chrono::{DateTime, Duration, Utc};
use rstest::rstest;

use flightdeck_core::keymap::{Key, KeyCode};
use flightdeck_core::message::Msg;
use flightdeck_core::message::delivery::Msg as DeliveryMsg;
use flightdeck_core::model::Screen;
use flightdeck_core::model::delivery::{Change, Deployment, Outcome};
use flightdeck_core::update::update;

use crate::ui_overview::{model, render};

/// Ninety days before `now` of one service: a deployment every `every_h` hours, each
/// `fail_every`-th failing, each `rollback_every`-th putting back the version before.
fn history(
    seed: u64,
    now: DateTime<Utc>,
    every_h: i64,
    fail_every: u64,
    rollback_every: u64,
) -> Vec<Deployment> {
    let start = now - Duration::days(120);
    let mut out = Vec::new();
    let mut i = 0u64;
    let mut t = start + Duration::minutes((seed * 37 % 300) as i64);
    while t < now - Duration::hours(1) {
        i += 1;
        let failed = fail_every > 0 && i.is_multiple_of(fail_every);
        let sha = if rollback_every > 0 && i.is_multiple_of(rollback_every) && i > 2 {
            format!("{seed:02}{:05}aaaaaaaaaaaaaaaa", i - 2)
        } else {
            format!("{seed:02}{i:05}aaaaaaaaaaaaaaaa")
        };
        let title = if i.is_multiple_of(11) {
            "Hotfix: guard against a null price".to_string()
        } else {
            format!("Add request tracing, part {i}")
        };
        out.push(Deployment {
            id: seed * 10_000 + i,
            sha,
            creator: ["asingh", "lgarcia", "jdoe"][(i % 3) as usize].into(),
            created: t,
            end: Some((
                if failed {
                    Outcome::Failure
                } else {
                    Outcome::Success
                },
                t + Duration::minutes(4 + (i % 5) as i64),
            )),
            changes: vec![Change {
                sha: format!("c{seed:02}{i:05}bbbbbbbbbbbbbbbb"),
                title,
                author: ["asingh", "lgarcia", "jdoe"][((i + 1) % 3) as usize].into(),
                committed: t - Duration::hours(2 + (i % 7) as i64),
                labels: vec![],
                pull: Some(i + 100),
            }],
        });
        t += Duration::hours(every_h) + Duration::minutes(((seed + i) * 13 % 120) as i64);
    }
    out
}

fn delivery_model() -> flightdeck_core::model::Model {
    let mut m = model();
    update(&mut m, Msg::Key(Key::char('8')));
    assert_eq!(m.screen, Screen::Delivery);
    let services: Vec<String> = m
        .catalog
        .overview
        .rows
        .iter()
        .map(|r| r.service.clone())
        .collect();
    let now = m.now;
    for (seed, service) in services.iter().enumerate() {
        let seed = seed as u64 + 1;
        // A daily elite one, a weekly one, a rocky one; the last has no history read yet.
        let (every, fail, rollback) = match seed % 4 {
            1 => (11, 0, 0),
            2 => (24 * 6, 0, 0),
            3 => (20, 4, 7),
            _ => continue,
        };
        update(
            &mut m,
            Msg::Delivery(DeliveryMsg::History {
                service: service.clone(),
                at: now - Duration::minutes(3),
                deployments: history(seed, now, every, fail, rollback),
            }),
        );
    }
    m
}

#[rstest]
#[case(120, 40)]
#[case(80, 24)]
fn delivery_rows(#[case] w: u16, #[case] h: u16) {
    let m = delivery_model();
    insta::assert_snapshot!(format!("delivery_{w}x{h}"), render(&m, w, h));
}

#[rstest]
#[case(120, 40)]
#[case(80, 24)]
fn delivery_per_owner_over_90_days(#[case] w: u16, #[case] h: u16) {
    let mut m = delivery_model();
    update(&mut m, Msg::Key(Key::char('z')));
    update(&mut m, Msg::Key(Key::char('w')));
    assert_eq!(m.delivery.span.days(), 90);
    insta::assert_snapshot!(format!("delivery_owner_90d_{w}x{h}"), render(&m, w, h));
}

#[rstest]
#[case(120, 40)]
#[case(80, 24)]
fn delivery_timeline(#[case] w: u16, #[case] h: u16) {
    let mut m = delivery_model();
    // The rocky service needs attention first.
    update(&mut m, Msg::Key(Key::new(KeyCode::Enter)));
    let t = m
        .delivery
        .timeline
        .as_ref()
        .expect("enter opens the timeline");
    assert!(t.deployments > 0);
    insta::assert_snapshot!(format!("delivery_timeline_{w}x{h}"), render(&m, w, h));
}

/// My changes: the user's pushes with where each is, from runs and deployments as the CI
/// poller holds them (no pods known here, so none are counted).
#[rstest]
#[case(120, 40)]
#[case(80, 24)]
fn delivery_my_changes(#[case] w: u16, #[case] h: u16) {
    let m = my_changes_model();
    let changes = m.delivery.changes.as_ref().expect("m opens My changes");
    assert_eq!(changes.len(), 4, "jdoe's four pushes, asingh's left out");
    insta::assert_snapshot!(format!("delivery_my_changes_{w}x{h}"), render(&m, w, h));
}

/// `enter` on a change in My changes: its pull request (from the delivery history) with its
/// labels, its run, each deployment that carried it with its time and outcome, pods and
/// alerts since; `o`/`y` take the pull request's page through the URL check.
#[rstest]
#[case(120, 40)]
#[case(80, 24)]
fn delivery_change_detail(#[case] w: u16, #[case] h: u16) {
    let mut m = my_changes_model();
    // The oldest of jdoe's changes, a1a1a1a, in production: the fourth row.
    for _ in 0..3 {
        update(&mut m, Msg::Key(Key::char('j')));
    }
    update(&mut m, Msg::Key(Key::new(KeyCode::Enter)));
    let open = m.delivery.change.as_ref().expect("enter opens the change");
    assert_eq!(open.trail.sha, "a1a1a1a0000000000");
    assert_eq!(open.pull, Some((4242, vec!["enhancement".to_string()])));
    assert_eq!(
        open.deployments
            .iter()
            .map(|d| d.environment.as_str())
            .collect::<Vec<_>>(),
        ["staging", "production"],
        "each environment up to the deployment that landed it"
    );
    insta::assert_snapshot!(format!("delivery_change_detail_{w}x{h}"), render(&m, w, h));
    let effects = update(&mut m, Msg::Key(Key::char('y')));
    assert!(
        format!("{effects:?}").contains("https://github.example/acme/checkout-web/pull/4242"),
        "y copies the pull request's page: {effects:?}"
    );
    update(&mut m, Msg::Key(Key::new(KeyCode::Esc)));
    assert!(m.delivery.change.is_none(), "esc closes it");
    assert!(m.delivery.changes.is_some(), "back on My changes");
    update(&mut m, Msg::Key(Key::new(KeyCode::Esc)));
    assert!(
        m.delivery.changes.is_none(),
        "the next esc closes My changes"
    );
    assert_eq!(
        m.screen,
        Screen::Delivery,
        "and stays on the Delivery screen"
    );
}

fn my_changes_model() -> flightdeck_core::model::Model {
    use flightdeck_core::model::join::RunState;
    use flightdeck_core::model::pipelines::{Deployment as Dep, Host, RepoData, Run, RunKey};
    let mut m = delivery_model();
    let now = m.now;
    let service = m
        .catalog
        .overview
        .rows
        .iter()
        .find(|r| r.name == "checkout-web")
        .map(|r| r.service.clone())
        .expect("checkout-web is in the catalog");
    let run = |id: u64, sha: &str, actor: &str, mins: i64, state: RunState| Run {
        key: RunKey {
            host: Host::Github,
            repo: "acme/checkout-web".into(),
            id,
        },
        service: service.clone(),
        service_name: "checkout-web".into(),
        number: id,
        workflow: "CI".into(),
        workflow_ref: "ci.yml".into(),
        branch: "main".into(),
        event: "push".into(),
        actor: actor.into(),
        status: "completed".into(),
        conclusion: None,
        state,
        attempt: 1,
        created: now - Duration::minutes(mins),
        started: Some(now - Duration::minutes(mins)),
        updated: now - Duration::minutes(mins - 3),
        finished: state.is_done().then(|| now - Duration::minutes(mins - 3)),
        title: format!("Change {sha}"),
        sha: format!("{sha}0000000000"),
        url: Some(format!(
            "https://github.example/acme/checkout-web/actions/runs/{id}"
        )),
    };
    let dep = |id: u64, env: &str, sha: &str, mins: i64, state: RunState| Dep {
        id,
        environment: env.into(),
        sha: format!("{sha}0000000000"),
        git_ref: "main".into(),
        state,
        status: String::new(),
        creator: "deploybot".into(),
        created: now - Duration::minutes(mins),
        updated: now - Duration::minutes(mins - 2),
        url: None,
    };
    m.pipelines.logins.insert(Host::Github, "jdoe".into());
    m.pipelines.repos.insert(
        (Host::Github, "acme/checkout-web".into()),
        RepoData {
            runs: vec![
                run(1, "a1a1a1a", "jdoe", 120, RunState::Success),
                run(2, "b2b2b2b", "asingh", 90, RunState::Success),
                run(3, "c3c3c3c", "jdoe", 60, RunState::Success),
                run(4, "d4d4d4d", "jdoe", 10, RunState::Failure),
                run(5, "e5e5e5e", "jdoe", 4, RunState::Running),
            ],
            deployments: vec![
                dep(1, "staging", "a1a1a1a", 110, RunState::Success),
                dep(2, "production", "a1a1a1a", 100, RunState::Success),
                dep(3, "staging", "c3c3c3c", 50, RunState::Success),
                dep(4, "production", "c3c3c3c", 45, RunState::Running),
            ],
            service: service.clone(),
            fetched_at: Some(now),
        },
    );
    // The delivery history knows the pull request that merged a1a1a1a.
    update(
        &mut m,
        Msg::Delivery(DeliveryMsg::History {
            service: service.clone(),
            at: now,
            deployments: vec![Deployment {
                id: 1,
                sha: "a1a1a1a0000000000".into(),
                creator: "deploybot".into(),
                created: now - Duration::minutes(100),
                end: Some((Outcome::Success, now - Duration::minutes(98))),
                changes: vec![Change {
                    sha: "a1a1a1a0000000000".into(),
                    title: "Change a1a1a1a".into(),
                    author: "jdoe".into(),
                    committed: now - Duration::minutes(125),
                    labels: vec!["enhancement".into()],
                    pull: Some(4242),
                }],
            }],
        }),
    );
    update(&mut m, Msg::Key(Key::char('m')));
    m
}
