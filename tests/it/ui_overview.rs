//! The Overview and Service screens: `update` as a state machine (sorting by attention,
//! grouping, filtering, "mine", opening a service from a row or the palette, the Problems
//! view), and the screens as a user sees them, kept as insta snapshots with styles at 120x40
//! and 80x24. Time is fixed; no clock, no IO beyond the descriptors decoded in memory.

use chrono::{DateTime, Duration, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rstest::rstest;

use flightdeck::config::theme::ColorSupport;
use flightdeck::providers::catalog::decode_entity;
use flightdeck::ui::theme::Theme;
use flightdeck_core::keymap::{Key, KeyCode, Keymap};
use flightdeck_core::message::catalog::Msg as CatalogMsg;
use flightdeck_core::message::{Effect, Msg};
use flightdeck_core::model::catalog::{Entity, EntityOrigin, Origin, Place};
use flightdeck_core::model::join::{AlertSummary, CiSummary, DeploySummary, PodSummary, RunState};
use flightdeck_core::model::overview::{Cell, Grouping, Health, Line as ListLine, Why};
use flightdeck_core::model::{
    FetchState, Model, PaletteTarget, Screen, SourceId, SourceKind, SourceStatus,
};
use flightdeck_core::update::overview::sort_rows;
use flightdeck_core::update::update;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:30:00Z")
        .expect("a fixed time")
        .to_utc()
}

fn theme() -> Theme {
    flightdeck::config::theme::load_theme("dark", ColorSupport::TrueColor).expect("dark loads")
}

/// The organisation of the screens: three teams, their people, two systems, six services.
const ORG: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-payments}
spec: {type: team, children: [], members: [asingh, lgarcia]}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-storefront}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: asingh}
spec: {profile: {displayName: Arjun Singh, email: asingh@acme.example}, memberOf: [team-payments]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: lgarcia}
spec: {profile: {displayName: Lucia Garcia, email: lgarcia@acme.example}, memberOf: [team-payments]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: jdoe}
spec: {profile: {displayName: Jane Doe, email: jdoe@acme.example}, memberOf: [team-storefront]}
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: payments}
spec: {owner: team-payments}
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: storefront}
spec: {owner: team-storefront}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-api
  description: Authorises and captures card payments.
  links:
    - {url: https://grafana.acme.example/d/payments-api, title: Dashboard}
  annotations:
    github.com/project-slug: acme/payments-api
    backstage.io/kubernetes-id: payments-api
    backstage.io/kubernetes-namespace: payments
spec: {type: service, lifecycle: production, owner: team-payments, system: payments, dependsOn: [component:ledger, resource:payments-db]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ledger
  annotations: {github.com/project-slug: acme/ledger, backstage.io/kubernetes-id: ledger}
spec: {type: service, lifecycle: production, owner: team-payments, system: payments}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout-web
  annotations: {github.com/project-slug: acme/checkout-web, backstage.io/kubernetes-id: checkout-web}
spec: {type: website, lifecycle: production, owner: team-storefront, system: storefront, dependsOn: [component:payments-api]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: cart-service
  annotations: {github.com/project-slug: acme/cart-service, backstage.io/kubernetes-id: cart-service}
spec: {type: service, lifecycle: production, owner: team-storefront, system: storefront, dependsOn: [component:checkout-web]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: recommendations}
spec: {type: service, lifecycle: experimental, owner: team-storefront, system: storefront}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: fraud-check}
spec: {type: service, lifecycle: production, owner: team-payments}
";

/// Decodes ORG's documents as if from one file, so places are stable in snapshots.
fn org_entities() -> Vec<Entity> {
    ORG.split("\n---\n")
        .enumerate()
        .map(|(i, doc)| {
            let value: serde_json::Value =
                serde_norway::from_str(doc).expect("the test org is valid YAML");
            let origin = EntityOrigin::File {
                place: Place {
                    path: "org/catalog-info.yaml".into(),
                    line: i as u32 * 10 + 1,
                    column: 1,
                },
                field_lines: Default::default(),
            };
            decode_entity(&value, origin, None)
                .expect("the test org decodes")
                .0
        })
        .collect()
}

fn sources() -> Vec<SourceStatus> {
    let id = |k, n: &str| SourceId::new(k, n);
    let ok = |mut s: SourceStatus| {
        s.state = FetchState::Ok;
        s.fetched_at = Some(now() - Duration::seconds(20));
        s
    };
    vec![
        ok(SourceStatus::new(
            id(SourceKind::Catalog, "catalog"),
            FetchState::Connecting,
        )),
        ok(SourceStatus::new(
            id(SourceKind::Github, "github"),
            FetchState::Connecting,
        )),
        ok(SourceStatus::new(
            id(SourceKind::Kubernetes, "prod"),
            FetchState::Connecting,
        )),
        SourceStatus::new(
            id(SourceKind::Alertmanager, "prod"),
            FetchState::Failing {
                error: "502 Bad Gateway".into(),
                since: now(),
                retry_at: Some(now() + Duration::seconds(30)),
            },
        ),
    ]
}

pub(crate) fn model() -> Model {
    let mut m = Model::new(Keymap::defaults(), now());
    m.sources = sources();
    update(
        &mut m,
        Msg::Resize {
            width: 120,
            height: 40,
        },
    );
    let effects = update(
        &mut m,
        Msg::Catalog(CatalogMsg::Loaded {
            origin: Origin::Files,
            entities: org_entities().into_iter().map(Into::into).collect(),
            problems: vec![],
            at: now(),
        }),
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Targets(t) if t.len() == 6)),
        "the providers learn the six services"
    );
    m
}

fn gh() -> Option<SourceId> {
    Some(SourceId::new(SourceKind::Github, "github"))
}

/// Puts what the other domains would say into the joined rows, as their summaries would.
pub(crate) fn with_story(m: &mut Model) {
    for r in &mut m.catalog.overview.rows {
        let (ci, deploy, pods, alerts) = match r.name.as_str() {
            "payments-api" => (
                RunState::Success,
                RunState::Success,
                (0, 3, 9, Some("CrashLoopBackOff")),
                (2, 0),
            ),
            "cart-service" => (
                RunState::Failure,
                RunState::Success,
                (2, 2, 0, None),
                (0, 0),
            ),
            "checkout-web" => (
                RunState::Running,
                RunState::Success,
                (3, 3, 0, None),
                (0, 0),
            ),
            "ledger" => (
                RunState::Success,
                RunState::Success,
                (2, 3, 1, Some("Pending")),
                (0, 1),
            ),
            _ => continue,
        };
        r.ci = Cell::Value {
            value: Box::new(CiSummary {
                state: ci,
                workflow: "ci".into(),
                branch: "main".into(),
                at: now() - Duration::minutes(4),
                source: SourceId::new(SourceKind::Github, "github"),
            }),
            source: gh(),
        };
        r.deploy = Cell::Value {
            value: Box::new(DeploySummary {
                environment: "production".into(),
                version: "3f2a1c9d".into(),
                state: deploy,
                since: now() - Duration::hours(2),
                source: SourceId::new(SourceKind::Github, "github"),
            }),
            source: gh(),
        };
        r.pods = Cell::Value {
            value: Box::new(PodSummary {
                ready: pods.0,
                total: pods.1,
                restarts_last_hour: pods.2,
                worst: pods.3.map(str::to_string),
            }),
            source: None,
        };
        r.alerts = Cell::Value {
            value: AlertSummary {
                critical: alerts.0,
                warning: alerts.1,
                other: 0,
            },
            source: None,
        };
        r.health = flightdeck_core::update::overview::health(&r.ci, &r.deploy, &r.pods, &r.alerts);
    }
    sort_rows(&mut m.catalog.overview.rows);
    flightdeck_core::update::overview::refilter(m);
}

fn names(m: &Model) -> Vec<String> {
    m.catalog
        .overview
        .lines
        .iter()
        .map(|l| match l {
            ListLine::Group { label, count, .. } => format!("[{label} {count}]"),
            ListLine::Service(i) => m.catalog.overview.rows[*i].name.clone(),
        })
        .collect()
}

fn key(c: char) -> Msg {
    Msg::Key(Key::char(c))
}

fn code(code: KeyCode) -> Msg {
    Msg::Key(Key::new(code))
}

fn press(m: &mut Model, msgs: impl IntoIterator<Item = Msg>) -> Vec<Effect> {
    msgs.into_iter().flat_map(|msg| update(m, msg)).collect()
}

fn typed(s: &str) -> Vec<Msg> {
    s.chars().map(key).collect()
}

#[test]
fn rows_are_sorted_by_attention_then_name() {
    let mut m = model();
    with_story(&mut m);
    assert_eq!(
        names(&m),
        [
            "payments-api",
            "cart-service",
            "ledger",
            "checkout-web",
            "fraud-check",
            "recommendations"
        ],
        "critical alerts, then failing builds, then warnings, then healthy, then unknown"
    );
    let health: Vec<Health> = m.catalog.overview.rows.iter().map(|r| r.health).collect();
    assert_eq!(
        health,
        [
            Health::Critical,
            Health::Failing,
            Health::Warning,
            Health::Healthy,
            Health::Unknown,
            Health::Unknown
        ]
    );
}

#[rstest]
#[case::by_system(1, &["[payments 2]", "payments-api", "ledger", "[storefront 3]", "cart-service", "checkout-web", "recommendations", "[(no system) 1]", "fraud-check"])]
#[case::by_owner(2, &["[team-payments 3]", "payments-api", "ledger", "fraud-check", "[team-storefront 3]", "cart-service", "checkout-web", "recommendations"])]
#[case::ungrouped_again(3, &["payments-api", "cart-service", "ledger", "checkout-web", "fraud-check", "recommendations"])]
fn grouping_cycles_at_z(#[case] presses: usize, #[case] expected: &[&str]) {
    let mut m = model();
    with_story(&mut m);
    press(&mut m, (0..presses).map(|_| key('z')));
    assert_eq!(names(&m), expected);
}

#[rstest]
#[case::free_text("pay", &["payments-api", "fraud-check", "ledger"])]
#[case::owner_term("owner:storefront", &["checkout-web", "cart-service", "recommendations"])]
#[case::system_and_word("system:payments led", &["ledger"])]
#[case::lifecycle_term("lifecycle:experimental", &["recommendations"])]
#[case::no_match("zzz", &[])]
fn the_filter_narrows_the_list(#[case] filter: &str, #[case] expected: &[&str]) {
    let mut m = model();
    let mut msgs = vec![key('/')];
    msgs.extend(typed(filter));
    msgs.push(code(KeyCode::Enter));
    press(&mut m, msgs);
    let mut got = names(&m);
    let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(m.catalog.overview.shown, expected.len());
}

#[test]
fn mine_needs_to_know_who_i_am_then_shows_my_teams_services() {
    let mut m = model();
    press(&mut m, [key('m')]);
    assert!(
        !m.catalog.overview.mine,
        "unknown user: nothing to filter by"
    );
    assert!(
        m.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("[general] me"))
    );
    update(
        &mut m,
        Msg::Catalog(CatalogMsg::GitEmail(Some("JDoe@acme.example".into()))),
    );
    press(&mut m, [key('m')]);
    assert!(m.catalog.overview.mine);
    let mut got = names(&m);
    got.sort();
    assert_eq!(got, ["cart-service", "checkout-web", "recommendations"]);
    press(&mut m, [key('m')]);
    assert_eq!(names(&m).len(), 6);
}

#[test]
fn the_selection_follows_its_service_when_rows_move() {
    let mut m = model();
    press(&mut m, [key('j'), key('j')]);
    let selected = |m: &Model| {
        m.catalog
            .overview
            .row_at(m.list(Screen::Overview).cursor.selected)
            .map(|r| r.name.clone())
    };
    let before = selected(&m);
    // A new service sorts first: every row moves down one line.
    let mut entities = org_entities();
    let mut extra = entities
        .iter()
        .find(|e| e.name == "ledger")
        .cloned()
        .expect("ledger exists");
    extra.name = "accounts".into();
    extra.entity_ref = "component:default/accounts".into();
    entities.push(extra);
    let effects = update(
        &mut m,
        Msg::Catalog(CatalogMsg::Loaded {
            origin: Origin::Files,
            entities: entities.into_iter().map(Into::into).collect(),
            problems: vec![],
            at: now(),
        }),
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Targets(t) if t.len() == 7)),
        "the new service is announced"
    );
    assert_eq!(m.list(Screen::Overview).cursor.selected, 3);
    assert_eq!(selected(&m), before);
}

#[rstest]
#[case::pipelines('2', Screen::Pipelines)]
#[case::workloads('3', Screen::Workloads)]
#[case::alerts('4', Screen::Alerts)]
#[case::docs('5', Screen::Docs)]
fn a_screen_key_on_the_service_screen_opens_it_filtered_to_the_service(
    #[case] digit: char,
    #[case] screen: Screen,
) {
    let mut m = model();
    let row = m.catalog.overview.lines.iter().position(|l| matches!(l, ListLine::Service(i) if m.catalog.overview.rows[*i].name == "checkout-web")).expect("checkout-web is listed");
    press(&mut m, (0..row).map(|_| key('j')));
    press(&mut m, [code(KeyCode::Enter)]);
    let title = m
        .catalog
        .overview
        .page
        .as_ref()
        .map(|p| p.title.clone())
        .expect("the Service screen is open");
    press(&mut m, [key(digit)]);
    assert_eq!(m.screen, screen);
    assert_eq!(m.list(screen).filter.text(), title);
    assert!(!m.list(screen).filtering);
}

#[test]
fn enter_opens_the_service_and_its_dependencies_esc_goes_back() {
    let mut m = model();
    let row = m.catalog.overview.lines.iter().position(|l| matches!(l, ListLine::Service(i) if m.catalog.overview.rows[*i].name == "checkout-web")).expect("checkout-web is listed");
    press(&mut m, (0..row).map(|_| key('j')));
    press(&mut m, [code(KeyCode::Enter)]);
    let page = m
        .catalog
        .overview
        .page
        .as_ref()
        .expect("the Service screen is open");
    assert_eq!(page.service, "component:default/checkout-web");
    assert_eq!(
        page.depends_on
            .iter()
            .map(|r| r.label.as_str())
            .collect::<Vec<_>>(),
        ["payments-api"]
    );
    assert_eq!(
        page.dependency_of
            .iter()
            .map(|r| r.label.as_str())
            .collect::<Vec<_>>(),
        ["cart-service"]
    );
    // Enter on the first dependency opens it; Esc comes back, then Esc closes.
    press(&mut m, [code(KeyCode::Enter)]);
    let page = m
        .catalog
        .overview
        .page
        .as_ref()
        .expect("still on a Service screen");
    assert_eq!(page.service, "component:default/payments-api");
    assert_eq!(page.members, ["Arjun Singh", "Lucia Garcia"]);
    let deps: Vec<(&str, bool)> = page
        .depends_on
        .iter()
        .map(|r| (r.label.as_str(), r.service))
        .collect();
    assert_eq!(deps, [("ledger", true), ("resource:payments-db", false)]);
    assert!(
        page.depends_on[1].missing,
        "payments-db is not in the catalog"
    );
    press(&mut m, [code(KeyCode::Esc)]);
    assert_eq!(
        m.catalog.overview.page.as_ref().map(|p| p.service.as_str()),
        Some("component:default/checkout-web")
    );
    press(&mut m, [code(KeyCode::Esc)]);
    assert!(m.catalog.overview.page.is_none());
}

#[test]
fn the_palette_opens_a_service_from_anywhere() {
    let mut m = model();
    press(&mut m, [key('4'), key(':')]);
    press(&mut m, typed("ledger"));
    let selected = match &m.overlay {
        Some(flightdeck_core::model::Overlay::Palette(p)) => p.selected().map(|i| i.target.clone()),
        _ => None,
    };
    assert_eq!(
        selected,
        Some(PaletteTarget::Service("component:default/ledger".into()))
    );
    press(&mut m, [code(KeyCode::Enter)]);
    assert_eq!(m.screen, Screen::Overview);
    assert_eq!(
        m.catalog.overview.page.as_ref().map(|p| p.service.as_str()),
        Some("component:default/ledger")
    );
    let cursor = m.list(Screen::Overview).cursor.selected;
    assert_eq!(
        m.catalog.overview.row_at(cursor).map(|r| r.name.as_str()),
        Some("ledger"),
        "Esc lands on it"
    );
}

#[test]
fn empty_cells_say_why() {
    let m = model();
    let row = |n: &str| {
        m.catalog
            .overview
            .rows
            .iter()
            .find(|r| r.name == n)
            .expect("the row exists")
    };
    match &row("fraud-check").ci {
        Cell::Empty(Why::NoKey(why)) => assert!(why.contains("github.com/project-slug")),
        other => panic!("fraud-check has no CI annotation: {other:?}"),
    }
    assert_eq!(
        row("ledger").ci,
        Cell::Empty(Why::Nothing("no default-branch run yet".into()))
    );
    assert!(matches!(&row("ledger").alerts, Cell::Empty(Why::Failing(e)) if e.contains("502")));
    assert!(
        matches!(&row("recommendations").pods, Cell::Empty(Why::NoKey(k)) if k.contains("kubernetes-id"))
    );
}

#[test]
fn an_unchanged_catalog_is_not_announced_again() {
    let mut m = model();
    let effects = update(
        &mut m,
        Msg::Catalog(CatalogMsg::Loaded {
            origin: Origin::Files,
            entities: org_entities().into_iter().map(Into::into).collect(),
            problems: vec![],
            at: now(),
        }),
    );
    // Only the replaced batch goes, to be freed off the loop: no targets, no frame.
    assert!(
        effects.iter().all(|e| matches!(e, Effect::Discard(_))),
        "{effects:?}"
    );
}

pub(crate) fn render(m: &Model, width: u16, height: u16) -> String {
    let mut m = m.clone();
    update(&mut m, Msg::Resize { width, height });
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal
        .draw(|f| flightdeck::ui::view(&m, &theme(), f))
        .expect("draws");
    format!("{:?}", terminal.backend().buffer())
}

/// Columns share the width by content: no name or owner is cut while another column has room
/// to spare, from 200 columns down to 80.
#[rstest]
#[case(200)]
#[case(120)]
#[case(80)]
fn no_name_or_owner_is_cut(#[case] w: u16) {
    let mut m = model();
    with_story(&mut m);
    let screen = render(&m, w, 24);
    for row in m.catalog.overview.rows.iter() {
        for text in [&row.name, &row.owner] {
            assert!(
                screen.contains(&format!("{text} ")),
                "{text:?} is cut at {w} columns:\n{screen}"
            );
        }
    }
}

#[rstest]
#[case(200, 50)]
#[case(120, 40)]
#[case(80, 24)]
fn overview(#[case] w: u16, #[case] h: u16) {
    let mut m = model();
    with_story(&mut m);
    insta::assert_snapshot!(format!("overview_{w}x{h}"), render(&m, w, h));
}

#[rstest]
#[case(200, 50)]
#[case(120, 40)]
#[case(80, 24)]
fn overview_grouped_and_filtered(#[case] w: u16, #[case] h: u16) {
    let mut m = model();
    with_story(&mut m);
    let mut msgs = vec![key('z'), key('/')];
    msgs.extend(typed("lifecycle:production"));
    press(&mut m, msgs);
    assert_eq!(m.catalog.overview.grouping, Grouping::System);
    insta::assert_snapshot!(format!("overview_grouped_{w}x{h}"), render(&m, w, h));
}

#[rstest]
#[case(120, 40)]
#[case(80, 24)]
fn service_screen(#[case] w: u16, #[case] h: u16) {
    let mut m = model();
    with_story(&mut m);
    flightdeck_core::update::overview::open_service(&mut m, "component:default/payments-api");
    insta::assert_snapshot!(format!("service_{w}x{h}"), render(&m, w, h));
}

#[rstest]
#[case(120, 40)]
#[case(80, 24)]
fn problems_view(#[case] w: u16, #[case] h: u16) {
    let mut m = model();
    let dir = flightdeck::providers::catalog::load_files(std::iter::empty());
    assert!(dir.entities.is_empty());
    let problems = vec![flightdeck_core::model::catalog::Problem {
        place: Some(Place {
            path: "repos/cart-service/catalog-info.yaml".into(),
            line: 14,
            column: 3,
        }),
        level: flightdeck_core::model::catalog::ProblemLevel::Error,
        entity: None,
        message: "invalid YAML: did not find expected node content".into(),
    }];
    update(
        &mut m,
        Msg::Catalog(CatalogMsg::Loaded {
            origin: Origin::Files,
            entities: org_entities().into_iter().map(Into::into).collect(),
            problems,
            at: now(),
        }),
    );
    press(&mut m, [key(':')]);
    press(&mut m, typed("problems"));
    press(&mut m, [code(KeyCode::Enter)]);
    assert!(m.catalog.overview.problems_open);
    // Two problems: the bad YAML and payments-api's dangling resource:payments-db.
    assert_eq!(m.catalog.problems.len(), 2);
    let effects = press(&mut m, [code(KeyCode::Enter)]);
    assert!(
        effects.iter().any(|e| matches!(e, Effect::External(_))),
        "enter edits the file at its line"
    );
    insta::assert_snapshot!(format!("problems_{w}x{h}"), render(&m, w, h));
}

/// Item actions on the Overview act on the highlighted service, or say what they need: never
/// "nothing selected" beside a highlighted row.
#[rstest]
#[case::open_url('o', "OpenUrl(\"https://grafana.acme.example/d/payments-api\")")]
#[case::edit('e', "path: \"org/catalog-info.yaml\"")]
#[case::describe('d', "page=Some(\"component:default/payments-api\")")]
#[case::logs(
    'l',
    "needs a pod or a workload; open payments-api (enter), then its Workloads"
)]
#[case::silence('s', "needs an alert; open payments-api (enter), then its Alerts")]
#[case::rerun('R', "needs a run; open payments-api (enter), then its Pipelines")]
fn item_actions_work_on_the_selected_service(#[case] c: char, #[case] expected: &str) {
    let mut m = model();
    let mut msgs = typed("/payments-api");
    msgs.push(code(KeyCode::Enter));
    press(&mut m, msgs);
    let effects = press(&mut m, [key(c)]);
    let notice = m.notice.as_ref().map_or("", |n| n.text.as_str());
    let page = m.catalog.overview.page.as_ref().map(|p| p.service.as_str());
    let seen = format!("{effects:?} {notice} page={page:?}");
    assert!(!seen.contains("nothing selected"), "{seen}");
    assert!(seen.contains(expected), "{seen}");
}

/// What PagerDuty says of the services, put into the work state as its join would: payments-api
/// paged (one incident, held by its on-call), the others only their on-call.
fn with_oncall(m: &mut Model) {
    use flightdeck_core::model::Fetched;
    use flightdeck_core::model::work::{OnCall, OnCallData, ServiceWork};
    m.work.oncall = Some(Fetched {
        value: OnCallData::default(),
        fetched_at: now(),
    });
    for (service, who, incidents) in [
        ("payments-api", "lgarcia", 1),
        ("ledger", "asingh", 0),
        ("checkout-web", "jdoe", 0),
        ("cart-service", "jdoe", 0),
    ] {
        m.work.by_service.insert(
            format!("component:default/{service}"),
            ServiceWork {
                open: incidents,
                incidents,
                oncall: Some(OnCall {
                    now: who.into(),
                    until: Some(now() + Duration::hours(3)),
                    next: None,
                }),
                ..ServiceWork::default()
            },
        );
    }
}

/// The on-call column: who holds each service's pager and, when paged, the incident count; it
/// gives way whole at narrow widths like the other optional columns.
#[rstest]
#[case(200, 50)]
#[case(120, 40)]
#[case(80, 24)]
fn overview_with_on_call(#[case] w: u16, #[case] h: u16) {
    let mut m = model();
    with_story(&mut m);
    with_oncall(&mut m);
    let screen = render(&m, w, h);
    if w >= 120 {
        assert!(screen.contains("ON CALL"), "{screen}");
        assert!(screen.contains("lgarcia · 1 incident"), "{screen}");
    } else {
        assert!(!screen.contains("ON CALL"), "gives way at {w}:\n{screen}");
    }
    for row in &m.catalog.overview.rows {
        assert!(
            screen.contains(&format!("{} ", row.name)),
            "{} is cut",
            row.name
        );
    }
    insta::assert_snapshot!(format!("overview_oncall_{w}x{h}"), render(&m, w, h));
}

/// The rows as joining every service again makes them, for comparing with the rows a change
/// joined only in part.
fn whole_join(m: &Model) -> Vec<flightdeck_core::model::overview::ServiceRow> {
    let mut joined = m.clone();
    flightdeck_core::update::overview::rejoin(&mut joined);
    joined.catalog.overview.rows
}

/// The Overview's rows are what joining every service from scratch makes.
#[track_caller]
fn assert_whole_join(m: &Model, after: &str) {
    assert_eq!(m.catalog.overview.rows, whole_join(m), "{after}");
}

/// The Overview's row of the service `name`.
fn row<'a>(m: &'a Model, name: &str) -> &'a flightdeck_core::model::overview::ServiceRow {
    m.catalog
        .overview
        .rows
        .iter()
        .find(|r| r.name == name)
        .expect("the row exists")
}

/// A pod of `service` (a kubernetes-id of the test org) in the prod context.
fn org_pod(
    service: &str,
    name: &str,
    crash: bool,
    restarts: u32,
) -> flightdeck_core::model::workloads::Pod {
    use flightdeck_core::model::workloads as wl;
    wl::Pod {
        namespace: "payments".into(),
        name: name.into(),
        services: [format!("component:default/{service}").into()].into(),
        phase: wl::Phase::Running,
        ready: u16::from(!crash),
        containers: ["app".into()].into(),
        restarts,
        created: Some(now() - Duration::hours(1)),
        node: None,
        owner: None,
        reason: crash.then(|| {
            Box::new(wl::PodReason::CrashLoopBackOff {
                container: "app".into(),
                last: None,
            })
        }),
        last_restart: None,
        tag: None,
        ports: [].into(),
    }
}

/// Pod batches join again only the services whose roll-up moved, and a source's state that
/// moved joins every row: after each step the rows are exactly what joining them all makes.
#[test]
fn rows_after_pod_batches_and_source_changes_are_those_a_whole_join_makes() {
    use flightdeck_core::message::SourceEvent;
    use flightdeck_core::message::workloads::Msg as WMsg;
    use flightdeck_core::model::workloads::Change;
    let mut m = model();
    update(
        &mut m,
        Msg::Workloads(WMsg::Configured {
            contexts: vec![("prod".into(), "prod".into())],
            log_buffer_lines: 100,
        }),
    );
    let pods = |m: &Model, name: &str| row(m, name).pods.clone();
    let batch = |m: &mut Model, changes: Vec<Change>| {
        update(
            m,
            Msg::Workloads(WMsg::Batch {
                context: "prod".into(),
                changes,
            }),
        );
    };

    // New pods: two services' roll-ups move.
    batch(
        &mut m,
        vec![
            Change::Pod(org_pod("payments-api", "payments-api-1", false, 0)),
            Change::Pod(org_pod("payments-api", "payments-api-2", false, 0)),
            Change::Pod(org_pod("ledger", "ledger-1", false, 0)),
        ],
    );
    assert_whole_join(&m, "after new pods");
    assert!(
        matches!(pods(&m, "payments-api"), Cell::Value { value, .. } if (value.ready, value.total) == (2, 2)),
        "{:?}",
        pods(&m, "payments-api")
    );
    let ledger = pods(&m, "ledger");

    // A crash: one service's roll-up moves, the other row stays as it was.
    batch(
        &mut m,
        vec![Change::Pod(org_pod(
            "payments-api",
            "payments-api-2",
            true,
            3,
        ))],
    );
    assert_whole_join(&m, "after a crash");
    assert!(
        matches!(pods(&m, "payments-api"), Cell::Value { value, .. } if value.worst.as_deref() == Some("CrashLoopBackOff")),
        "{:?}",
        pods(&m, "payments-api")
    );
    assert_eq!(pods(&m, "ledger"), ledger);

    // A change that moves no roll-up, and a deleted pod.
    batch(
        &mut m,
        vec![
            Change::Pod(org_pod("ledger", "ledger-1", false, 0)),
            Change::Deleted {
                kind: flightdeck_core::model::workloads::Kind::Pod,
                namespace: "payments".into(),
                name: "payments-api-1".into(),
            },
        ],
    );
    assert_whole_join(&m, "after a deletion");

    // The Kubernetes source fails: the services it has nothing for say so at once.
    update(
        &mut m,
        Msg::Source {
            id: SourceId::new(SourceKind::Kubernetes, "prod"),
            event: SourceEvent::Failed {
                error: "connection refused".into(),
                at: now(),
                retry_at: None,
            },
        },
    );
    assert!(
        matches!(pods(&m, "checkout-web"), Cell::Empty(Why::Failing(e)) if e.contains("refused")),
        "{:?}",
        pods(&m, "checkout-web")
    );
    assert_whole_join(&m, "after the source failed");
}

/// A firing alert of Alertmanager's API with these labels.
fn firing(labels: serde_json::Value) -> flightdeck_core::model::alerts::Alert {
    let labels: flightdeck_core::wire::alertmanager::LabelSet =
        serde_json::from_value(labels).expect("labels are a map of strings");
    let at = (now() - Duration::minutes(5)).to_rfc3339();
    let alert: flightdeck_core::wire::alertmanager::GettableAlert =
        serde_json::from_value(serde_json::json!({
            "labels": labels,
            "annotations": {},
            "receivers": [{"name": "oncall"}],
            "fingerprint": flightdeck_core::wire::alertmanager::fingerprint(&labels),
            "startsAt": at,
            "updatedAt": at,
            "endsAt": (now() + Duration::minutes(5)).to_rfc3339(),
            "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
        }))
        .expect("a gettable alert");
    flightdeck::providers::alertmanager::decode_alert(alert)
}

/// Alertmanager answers join again only the services whose alert summary moved, whether a
/// label names the service or only a name the catalog does not know: after each answer the
/// rows are exactly what joining them all makes.
#[test]
fn rows_after_alert_answers_are_those_a_whole_join_makes() {
    use flightdeck_core::message::alerts::Msg as AlertsMsg;
    use flightdeck_core::model::alerts::InstanceData;
    let mut m = model();
    let alerts = |m: &Model, name: &str| row(m, name).alerts.clone();
    update(
        &mut m,
        Msg::Alerts(AlertsMsg::Configured {
            instances: vec![("prod".into(), "service".into())],
            created_by: "jdoe".into(),
            utc_offset_secs: 0,
            ack_minutes: 15,
        }),
    );
    let answer = |m: &mut Model, alerts: Vec<flightdeck_core::model::alerts::Alert>| {
        update(
            m,
            Msg::Alerts(AlertsMsg::Fetched {
                instance: "prod".into(),
                at: now(),
                data: InstanceData {
                    alerts,
                    silences: vec![],
                    version: None,
                    cluster: None,
                },
            }),
        );
    };
    answer(
        &mut m,
        vec![
            firing(
                serde_json::json!({"alertname": "Down", "service": "payments-api", "severity": "critical"}),
            ),
            firing(
                serde_json::json!({"alertname": "Slow", "service": "ghost", "severity": "warning"}),
            ),
        ],
    );
    assert_whole_join(&m, "after the first answer");
    assert!(
        matches!(alerts(&m, "payments-api"), Cell::Value { value, .. } if value.critical == 1),
        "{:?}",
        alerts(&m, "payments-api")
    );
    let untouched = row(&m, "checkout-web").clone();

    // payments-api's alert resolves and ledger's starts; checkout-web's row is left as it was.
    answer(
        &mut m,
        vec![firing(
            serde_json::json!({"alertname": "Errors", "service": "ledger", "severity": "warning"}),
        )],
    );
    assert_whole_join(&m, "after the second answer");
    assert!(
        matches!(alerts(&m, "ledger"), Cell::Value { value, .. } if value.warning == 1),
        "{:?}",
        alerts(&m, "ledger")
    );
    assert_eq!(*row(&m, "checkout-web"), untouched);
}

/// Pipeline answers join again only the services whose CI or deploy summary moved; a run that
/// moves no summary (a branch's, under a newer one on main) joins no row but still reaches the
/// open Service screen. After each answer the rows are exactly what joining them all makes.
#[test]
fn rows_after_pipeline_answers_are_those_a_whole_join_makes() {
    use crate::ui_pipelines::run;
    use flightdeck_core::message::pipelines::Msg as PMsg;
    use flightdeck_core::model::pipelines::{Host, Run};
    let mut m = model();
    let answer = |m: &mut Model, runs: Vec<Run>| {
        update(
            m,
            Msg::Pipelines(PMsg::Runs {
                host: Host::Github,
                repo: "acme/payments-api".into(),
                service: "component:default/payments-api".into(),
                runs,
                at: now(),
            }),
        );
    };
    let ci = |m: &Model, name: &str| row(m, name).ci.clone();
    let ledger = row(&m, "ledger").clone();
    let on_main = run(
        Host::Github,
        "acme/payments-api",
        1,
        "CI",
        RunState::Failure,
        "asingh",
        10,
        "Retry the ledger call",
    );
    answer(&mut m, vec![on_main.clone()]);
    assert_whole_join(&m, "after a failing run");
    assert!(
        matches!(ci(&m, "payments-api"), Cell::Value { value, .. } if value.state == RunState::Failure),
        "{:?}",
        ci(&m, "payments-api")
    );
    assert_eq!(
        row(&m, "ledger"),
        &ledger,
        "another service's row is left alone"
    );

    // The Service screen of payments-api is open; a branch's run lands under main's.
    let at = m
        .catalog
        .overview
        .lines
        .iter()
        .position(|l| matches!(l, ListLine::Service(i) if m.catalog.overview.rows[*i].name == "payments-api"))
        .expect("payments-api is listed");
    press(&mut m, (0..at).map(|_| key('j')));
    press(&mut m, [code(KeyCode::Enter)]);
    let rows = m.catalog.overview.rows.clone();
    let mut on_branch = run(
        Host::Github,
        "acme/payments-api",
        2,
        "CI",
        RunState::Running,
        "asingh",
        2,
        "Try a shorter timeout",
    );
    on_branch.branch = "timeouts".into();
    answer(&mut m, vec![on_branch, on_main]);
    assert_eq!(m.catalog.overview.rows, rows, "no summary moved");
    assert_whole_join(&m, "after a branch's run");
    let page = m
        .catalog
        .overview
        .page
        .as_ref()
        .expect("the Service screen is open");
    assert!(
        page.changes.iter().any(|c| c.label.contains("on timeouts")),
        "{:?}",
        page.changes
    );

    // Main's run passes on a retry: the summary moves again.
    let mut passed = run(
        Host::Github,
        "acme/payments-api",
        3,
        "CI",
        RunState::Success,
        "asingh",
        1,
        "Retry the ledger call",
    );
    passed.branch = "main".into();
    answer(&mut m, vec![passed]);
    assert_whole_join(&m, "after a passing run");
    assert!(
        matches!(ci(&m, "payments-api"), Cell::Value { value, .. } if value.state == RunState::Success),
        "{:?}",
        ci(&m, "payments-api")
    );
}
