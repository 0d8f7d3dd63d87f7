//! The Docs and Onboarding screens as a user sees them, kept as insta snapshots with styles, at
//! 120x40 and 80x24: a runbook open beside the tree with a search running, the tree filtered
//! across every page, an onboarding path with verified and failing steps, and the tour.

use chrono::{DateTime, Duration, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use flightdeck::config::theme::ColorSupport;
use flightdeck::ui;
use flightdeck::ui::theme::Theme;
use flightdeck_core::keymap::{Key, KeyCode, Keymap};
use flightdeck_core::message::Msg;
use flightdeck_core::message::docs::Msg as DocsMsg;
use flightdeck_core::message::onboarding::Msg as OnbMsg;
use flightdeck_core::model::docs::{NavEntry, NavTarget, Page, Site};
use flightdeck_core::model::onboarding::{
    CheckKind, CheckResult, PathSpec, PhaseSpec, Progress, StepSpec,
};
use flightdeck_core::model::{Model, Overlay, Screen};
use flightdeck_core::update::docs::open_runbook;
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

const CRASH: &str = r#"---
title: Crash looping
---
# Crash looping

Pods of the service restart over and over: `CrashLoopBackOff` in the pod list.

## First five minutes

1. Check the **last deploy** on the Pipelines screen: did it land just before the alert?
2. Look at the logs of a crashing pod (`l` on Workloads).
3. If the deploy is the cause, roll back: see [Roll back](#roll-back).

!!! warning "Do not scale to zero"
    The ledger keeps connections open; scaling to zero drops in-flight payments.

| Signal | Where | Meaning |
|---|---|---|
| restarts | Workloads | the container exits |
| 5xx | Alerts | customers see errors |

## Roll back

```bash
# the previous image tag is on the Pipelines screen
kubectl -n payments rollout undo deployment/payments-api
```

- [x] Tell #payments-oncall
- [ ] Open an incident when customers are affected

See the [architecture](../architecture.md) and the [Kubernetes docs](https://kubernetes.io/docs/).
"#;

fn site(name: &str, system: &str) -> Site {
    let page = |path: &str, md: &str| Page {
        path: path.into(),
        file: format!("/src/{name}/docs/{path}"),
        markdown: md.into(),
        ..Page::default()
    };
    Site {
        service: format!("component:default/{name}"),
        name: name.into(),
        site_name: name.into(),
        site_url: None,
        root: format!("/src/{name}/docs"),
        nav: vec![
            NavEntry {
                depth: 0,
                title: "Home".into(),
                target: NavTarget::Page("index.md".into()),
            },
            NavEntry {
                depth: 0,
                title: "Architecture".into(),
                target: NavTarget::Page("architecture.md".into()),
            },
            NavEntry {
                depth: 0,
                title: "Runbooks".into(),
                target: NavTarget::Section,
            },
            NavEntry {
                depth: 1,
                title: "Crash looping".into(),
                target: NavTarget::Page("runbooks/crash-looping.md".into()),
            },
            NavEntry {
                depth: 0,
                title: "Status page".into(),
                target: NavTarget::External("https://status.acme.example".into()),
            },
        ],
        pages: vec![
            page(
                "index.md",
                &format!("# {name}\n\nPart of the {system} system.\n"),
            ),
            page(
                "architecture.md",
                &format!("# Architecture\n\n{name} talks to the ledger.\n"),
            ),
            page("runbooks/crash-looping.md", CRASH),
        ],
    }
}

pub(crate) fn docs_model() -> Model {
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
            sites: vec![site("payments-api", "payments"), site("ledger", "payments")],
            errors: vec![],
        }),
    );
    m
}

#[test]
fn docs_runbook_open_with_search() {
    let mut m = docs_model();
    open_runbook(
        &mut m,
        "component:default/payments-api",
        "https://docs.acme.example/payments-api/runbooks/crash-looping.md",
    )
    .expect("the runbook opens");
    for c in "/deploy".chars() {
        update(&mut m, Msg::Key(Key::char(c)));
    }
    update(&mut m, Msg::Key(Key::new(KeyCode::Enter)));
    update(&mut m, Msg::Key(Key::char(']')));
    insta::assert_snapshot!("docs_runbook_120x40", render(&m, 120, 40));
    insta::assert_snapshot!("docs_runbook_80x24", render(&m, 80, 24));
}

#[test]
fn docs_anchor_and_tree_filter() {
    let mut m = docs_model();
    open_runbook(
        &mut m,
        "component:default/payments-api",
        "runbooks/crash-looping.md#roll-back",
    )
    .expect("opens");
    update(&mut m, Msg::Key(Key::new(KeyCode::Tab)));
    for c in "/ledger".chars() {
        update(&mut m, Msg::Key(Key::char(c)));
    }
    insta::assert_snapshot!("docs_filter_120x40", render(&m, 120, 40));
    insta::assert_snapshot!("docs_filter_80x24", render(&m, 80, 24));
}

#[test]
fn docs_tree_before_any_page() {
    let m = docs_model();
    insta::assert_snapshot!("docs_tree_80x24", render(&m, 80, 24));
}

pub(crate) fn onboarding_model() -> Model {
    let step = |id: &str, title: &str, check: Option<CheckKind>, text: &str| StepSpec {
        id: id.into(),
        title: title.into(),
        text: text.into(),
        check,
        ..StepSpec::default()
    };
    let mut deploy = step(
        "deploy",
        "Deploy to staging",
        Some(CheckKind::Deployed),
        "Ship a small change to **staging** with the deploy workflow. Your buddy reviews the PR first.",
    );
    deploy.docs = vec!["checkout-web:runbooks/crash-looping.md".into()];
    deploy.services = vec!["checkout-web".into(), "cart-service".into()];
    let spec = PathSpec {
        title: Some("Acme engineering".into()),
        buddy: Some("Arjun Singh".into()),
        phases: vec![
            PhaseSpec {
                name: "Day 1".into(),
                steps: vec![
                    step(
                        "laptop",
                        "Set up your laptop",
                        None,
                        "Install the tools listed in the [handbook](https://handbook.acme.example).",
                    ),
                    step(
                        "github",
                        "Your GitHub token works",
                        Some(CheckKind::GithubToken),
                        "Create a token with `repo` and `workflow`.",
                    ),
                    step(
                        "pods",
                        "List pods of your team",
                        Some(CheckKind::KubePods),
                        "Get the kubeconfig from the platform team.",
                    ),
                ],
            },
            PhaseSpec {
                name: "Week 1".into(),
                steps: vec![deploy],
            },
        ],
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
        Msg::Onboarding(OnbMsg::PathLoaded {
            spec,
            source: "/src/org/onboarding.yaml".into(),
        }),
    );
    let mut progress = Progress {
        started_at: Some(now() - Duration::days(2)),
        tour_done: true,
        ..Progress::default()
    };
    progress
        .done
        .insert("laptop".into(), now() - Duration::days(2));
    update(
        &mut m,
        Msg::Onboarding(OnbMsg::ProgressLoaded {
            progress: Some(progress),
            error: None,
        }),
    );
    let ok = CheckResult {
        ok: true,
        found: "signed in to https://api.github.com as jdoe".into(),
        next: None,
        at: now(),
        event_at: None,
    };
    update(
        &mut m,
        Msg::Onboarding(OnbMsg::Checked {
            step: "github".into(),
            result: ok,
        }),
    );
    let fail = CheckResult {
        ok: false,
        found: "403 Forbidden listing pods in storefront on prod".into(),
        next: Some("ask your team lead for a RoleBinding that lets you list pods in storefront, then press r".into()),
        at: now(),
        event_at: None,
    };
    update(
        &mut m,
        Msg::Onboarding(OnbMsg::Checked {
            step: "pods".into(),
            result: fail,
        }),
    );
    m.onboarding.checking.clear();
    m.screen = Screen::Onboarding;
    m
}

#[test]
fn onboarding_path_with_checks() {
    let mut m = onboarding_model();
    m.list_mut(Screen::Onboarding).cursor.selected = 3;
    insta::assert_snapshot!("onboarding_failing_check_120x40", render(&m, 120, 40));
    insta::assert_snapshot!("onboarding_failing_check_80x24", render(&m, 80, 24));
    m.list_mut(Screen::Onboarding).cursor.selected = 5;
    insta::assert_snapshot!("onboarding_deploy_step_120x40", render(&m, 120, 40));
}

#[test]
fn the_tour_over_the_overview() {
    let mut m = onboarding_model();
    m.screen = Screen::Overview;
    m.overlay = Some(Overlay::Tour { page: 1 });
    insta::assert_snapshot!("tour_120x40", render(&m, 120, 40));
    insta::assert_snapshot!("tour_80x24", render(&m, 80, 24));
}
