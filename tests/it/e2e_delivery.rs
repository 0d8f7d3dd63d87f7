//! End to end on the demo: the Delivery screen reads the sim's ninety days of history over
//! GitHub's REST API, switches its window, and opens a service's deployment timeline, read off
//! a real terminal (tmux) as a user would.

use std::time::Duration;

use crate::e2e_tmux::{Tmux, assert_restored, script};

#[test]
fn the_delivery_screen_switches_window_and_opens_a_timeline() {
    let Some(t) = Tmux::new("delivery") else {
        return;
    };
    t.start(&script(&t, "--demo --no-snapshot"));
    t.wait_for("tour 1/");
    t.keys(&["Escape"]);
    t.keys(&["8"]);
    t.wait_for("Delivery · last 30d · per service");
    // A cold read: every deployment's statuses, every compare and every commit's pulls, so it
    // takes a while on a loaded machine; the title counts what is still to come.
    let screen = t.wait_within("ago ─", Duration::from_secs(120));
    assert!(
        screen.contains("catalog-search") && screen.contains("DEPLOY/WK"),
        "the rows and their header:\n{screen}"
    );
    t.keys(&["w"]);
    let quarter = t.wait_for("Delivery · last 90d");
    assert!(
        quarter.contains("WEEKLY"),
        "weekly bars over 90 days:\n{quarter}"
    );
    // The top row needs attention most; enter opens its timeline.
    t.keys(&["Enter"]);
    let timeline = t.wait_for("deployments in the last 90d");
    assert!(
        timeline.contains("took ")
            && ["healthy", "failed", "rolled back", "critical alert"]
                .iter()
                .any(|w| timeline.contains(w)),
        "the deployments list with durations and outcomes:\n{timeline}"
    );
    assert!(
        timeline.contains("✗ failed · ↩ rollback · ↻ rework"),
        "the chart's legend:\n{timeline}"
    );
    t.keys(&["Escape"]);
    t.wait_for("Delivery · last 90d · per service");
    t.keys(&["q"]);
    assert_restored(&t);
}

/// The alert detail's "what changed before this" is the change trail: payments-api's crash
/// loop names the commits that were in production when it started.
#[test]
fn an_alert_detail_names_the_changes_live_when_it_started() {
    let Some(t) = Tmux::new("changed-before") else {
        return;
    };
    t.start(&script(&t, "--demo --no-snapshot --speed 30"));
    t.wait_for("tour 1/");
    t.keys(&["Escape"]);
    t.keys(&["4"]);
    // At thirty times speed other alerts come and go around it: the filter keeps the crash
    // loop alone on screen, so enter opens it and no other.
    t.keys(&["/", "payments-api KubePodCrashLooping", "Enter"]);
    // The row, not the filter line, which holds the words too.
    t.wait_within("critical KubePodCrashLooping", Duration::from_secs(40));
    t.keys(&["Enter"]);
    let detail = t.wait_for("Changes live when it started");
    assert!(detail.contains("» "), "the changes, one a line:\n{detail}");
    t.keys(&["q"]);
    assert_restored(&t);
}

/// A GitLab-hosted service's history is read from GitLab: shipping-rates (a GitLab project in
/// the sim) opens a timeline with its deployments, their durations and outcomes.
#[test]
fn a_gitlab_service_opens_its_deployment_timeline() {
    let Some(t) = Tmux::new("delivery-gitlab") else {
        return;
    };
    t.start(&script(&t, "--demo --no-snapshot"));
    t.wait_for("tour 1/");
    t.keys(&["Escape"]);
    t.keys(&["8"]);
    t.wait_for("Delivery · last 30d · per service");
    t.keys(&["/", "shipping-rates", "Enter"]);
    t.wait_for("· 1 rows");
    // GitLab is read after GitHub's batches: until its history arrives the timeline is empty,
    // so look again until it holds deployments.
    let start = std::time::Instant::now();
    let timeline = loop {
        t.keys(&["Enter"]);
        let screen = t.wait_for("deployments in the last 30d");
        if !screen.contains("shipping-rates · 0 deployments") {
            break screen;
        }
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "shipping-rates' history never came:\n{screen}"
        );
        t.keys(&["Escape"]);
        t.wait_for("· 1 rows");
    };
    assert!(
        timeline.contains("took ")
            && ["healthy", "failed", "rolled back"]
                .iter()
                .any(|w| timeline.contains(w)),
        "GitLab deployments with durations and outcomes:\n{timeline}"
    );
    t.keys(&["q"]);
    assert_restored(&t);
}
