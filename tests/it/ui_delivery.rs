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
