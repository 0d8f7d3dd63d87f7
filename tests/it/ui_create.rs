//! The Create screen's stages as a user sees them, kept as insta snapshots with styles: the
//! templates with a problem, the form checked as typed with the owner picker's choices, the
//! review with its file tree, and a failed run saying what was created and that it resumes.
//! Sizes 120x40 and 80x24. Time is fixed, never the real clock.

use chrono::{DateTime, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

use flightdeck::config::theme::ColorSupport;
use flightdeck::ui;
use flightdeck_core::keymap::{Key, KeyCode, Keymap};
use flightdeck_core::message::Msg;
use flightdeck_core::message::create::Msg as CreateMsg;
use flightdeck_core::model::create::{Preview, PreviewFile, RunEnd, StepEvent, decode};
use flightdeck_core::model::{Model, Screen};
use flightdeck_core::update::update;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:30:00Z")
        .expect("a fixed time")
        .with_timezone(&Utc)
}

fn render(model: &Model, width: u16, height: u16) -> String {
    let theme =
        flightdeck::config::theme::load_theme("dark", ColorSupport::TrueColor).expect("dark loads");
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    let mut m = model.clone();
    update(&mut m, Msg::Resize { width, height });
    terminal.draw(|f| ui::view(&m, &theme, f)).expect("draws");
    format!("{:?}", terminal.backend().buffer())
}

fn key(m: &mut Model, code: KeyCode) {
    update(m, Msg::Key(Key::new(code)));
}

fn typed(m: &mut Model, text: &str) {
    for c in text.chars() {
        key(m, KeyCode::Char(c));
    }
}

fn create(m: &mut Model, msg: CreateMsg) {
    update(m, Msg::Create(msg));
}

fn templates() -> Vec<flightdeck_core::model::create::Template> {
    let template = |name: &str, title: &str, description: &str| {
        json!({
            "apiVersion": "scaffolder.backstage.io/v1beta3",
            "kind": "Template",
            "metadata": { "name": name, "title": title, "description": description },
            "spec": {
                "parameters": [{
                    "title": "About the service",
                    "required": ["name", "owner"],
                    "properties": {
                        "name": {
                            "title": "Name", "type": "string", "pattern": "^[a-z][a-z0-9-]*$",
                            "ui:help": "lower-case letters, digits and dashes", "ui:autofocus": true
                        },
                        "owner": {
                            "title": "Owner", "type": "string", "ui:field": "OwnerPicker",
                            "description": "The team that owns it."
                        },
                        "replicas": { "title": "Replicas", "type": "integer", "default": 2 }
                    }
                }],
                "steps": [
                    { "id": "fetch", "name": "Fetch the skeleton", "action": "fetch:template", "input": { "url": "./skeleton" } },
                    { "id": "publish", "name": "Publish to GitHub", "action": "publish:github", "input": { "repoUrl": "github.com?owner=acme&repo=x" } },
                    { "id": "register", "name": "Register in the catalog", "action": "catalog:register", "input": {} }
                ]
            }
        })
    };
    [
        template(
            "rust-service",
            "Rust HTTP service",
            "An HTTP service in Rust with CI.",
        ),
        template(
            "static-site",
            "Static website",
            "A static site served by nginx.",
        ),
    ]
    .iter()
    .map(|v| decode(v).expect("decodes").0)
    .collect()
}

fn listed() -> Model {
    let mut m = Model::new(Keymap::defaults(), now());
    m.screen = Screen::Create;
    update(&mut m, Msg::Tick(now()));
    create(
        &mut m,
        CreateMsg::Templates {
            templates: templates(),
            problems: vec![
                "templates/broken/template.yaml: name: pattern ([ does not compile".into(),
            ],
        },
    );
    m
}

fn filled() -> Model {
    let mut m = listed();
    key(&mut m, KeyCode::Enter);
    typed(&mut m, "Billing");
    m
}

fn reviewed() -> Model {
    let mut m = filled();
    for _ in 0.."Billing".len() {
        key(&mut m, KeyCode::Backspace);
    }
    typed(&mut m, "billing");
    key(&mut m, KeyCode::Tab);
    typed(&mut m, "group:default/team-payments");
    key(&mut m, KeyCode::Enter);
    let file = |path: &str, text: &str| PreviewFile {
        path: path.into(),
        bytes: text.len(),
        text: Some(text.into()),
    };
    create(
        &mut m,
        CreateMsg::Review {
            template: "rust-service".into(),
            review: Ok(Preview {
                values: vec![
                    ("name".into(), "billing".into()),
                    ("owner".into(), "group:default/team-payments".into()),
                    ("replicas".into(), "2".into()),
                ],
                repositories: vec!["github.com/acme/billing".into()],
                catalog: Some("component:default/billing".into()),
                steps: vec![
                    (
                        "fetch".into(),
                        "Fetch the skeleton".into(),
                        "fetch:template".into(),
                    ),
                    (
                        "publish".into(),
                        "Publish to GitHub".into(),
                        "publish:github".into(),
                    ),
                    (
                        "register".into(),
                        "Register in the catalog".into(),
                        "catalog:register".into(),
                    ),
                ],
                files: vec![
                    file("catalog-info.yaml", "kind: Component\n"),
                    file("src/main.rs", "fn main() {}\n"),
                ],
                tree: vec![
                    ("catalog-info.yaml".into(), Some(0)),
                    ("src/".into(), None),
                    ("  main.rs".into(), Some(1)),
                ],
            }),
        },
    );
    key(&mut m, KeyCode::Char('j'));
    m
}

fn failed() -> Model {
    let mut m = reviewed();
    for e in [
        StepEvent::Started { index: 0 },
        StepEvent::Log {
            index: 0,
            line: "2 files from ./skeleton".into(),
        },
        StepEvent::Done {
            index: 0,
            millis: 3,
        },
        StepEvent::Started { index: 1 },
        StepEvent::Log {
            index: 1,
            line: "created https://github.com/acme/billing".into(),
        },
    ] {
        create(&mut m, CreateMsg::Step(e));
    }
    create(
        &mut m,
        CreateMsg::End(RunEnd::Failed {
            step: "publish (publish:github)".into(),
            error: "push: 502 Bad Gateway".into(),
            done: vec!["fetch".into()],
            created: vec![
                "repository acme/billing on github.com: https://github.com/acme/billing".into(),
            ],
            resumable: true,
        }),
    );
    m
}

/// Created, and followed on its way to production: two stages reached, the rest waiting.
fn created() -> Model {
    let mut m = reviewed();
    for index in 0..3 {
        create(&mut m, CreateMsg::Step(StepEvent::Started { index }));
        create(
            &mut m,
            CreateMsg::Step(StepEvent::Done { index, millis: 20 }),
        );
    }
    create(
        &mut m,
        CreateMsg::End(RunEnd::Created {
            links: vec![(
                "Repository".into(),
                "https://github.com/acme/billing".into(),
            )],
            created: vec![
                "repository acme/billing on github.com: https://github.com/acme/billing".into(),
            ],
        }),
    );
    if let Some(run) = &mut m.create.run {
        for (i, m) in run.road.iter_mut().enumerate().take(2) {
            m.reached = Some(now() + chrono::Duration::seconds(40 * i as i64));
        }
    }
    m
}

/// A form whose description is a textarea of three rows, typed over five lines with the cursor
/// moved up into the middle: the box shows three lines around the cursor, the rest scrolled.
fn textarea() -> Model {
    let mut m = Model::new(Keymap::defaults(), now());
    m.screen = Screen::Create;
    update(&mut m, Msg::Tick(now()));
    let template = decode(&json!({
        "apiVersion": "scaffolder.backstage.io/v1beta3",
        "kind": "Template",
        "metadata": { "name": "worker", "title": "Worker" },
        "spec": {
            "parameters": [{
                "title": "About the worker",
                "properties": {
                    "about": {
                        "title": "About", "type": "string", "ui:widget": "textarea",
                        "ui:options": { "rows": 3 }, "ui:autofocus": true
                    },
                    "name": { "title": "Name", "type": "string", "default": "queue-worker" }
                }
            }],
            "steps": [{ "id": "log", "action": "debug:log", "input": { "message": "hi" } }]
        }
    }))
    .expect("decodes")
    .0;
    create(
        &mut m,
        CreateMsg::Templates {
            templates: vec![template],
            problems: vec![],
        },
    );
    key(&mut m, KeyCode::Enter);
    for (k, line) in [
        "Reads the queue",
        "and writes",
        "the ledger",
        "every minute",
        "or so",
    ]
    .iter()
    .enumerate()
    {
        if k > 0 {
            key(&mut m, KeyCode::Enter);
        }
        typed(&mut m, line);
    }
    key(&mut m, KeyCode::Up);
    key(&mut m, KeyCode::Up);
    key(&mut m, KeyCode::Up);
    m
}

#[test]
fn a_textarea_shows_its_rows_around_the_cursor() {
    let m = textarea();
    let input = &m.create.form.as_ref().expect("the form").inputs[0];
    assert_eq!((input.row_col().0, input.top()), (1, 1));
    insta::assert_snapshot!("create_textarea_80x24", render(&m, 80, 24));
}

#[test]
fn the_create_screen_stage_by_stage() {
    for (name, model) in [
        ("list", listed()),
        ("form", filled()),
        ("review", reviewed()),
        ("failed", failed()),
        ("created", created()),
    ] {
        for (w, h) in [(120, 40), (80, 24)] {
            insta::assert_snapshot!(format!("create_{name}_{w}x{h}"), render(&model, w, h));
        }
    }
}

/// A service a template made in an earlier session: its descriptor says when it was requested,
/// and the Service screen counts its time to production from the first healthy production
/// deployment the pollers hold, not only from a run of this session.
#[test]
fn the_service_screen_shows_time_to_production_from_the_descriptor_and_deployments() {
    use flightdeck::providers::catalog::decode_entity;
    use flightdeck_core::message::catalog::Msg as CatalogMsg;
    use flightdeck_core::message::pipelines::Msg as PipelinesMsg;
    use flightdeck_core::model::catalog::{EntityOrigin, Origin, Place};
    use flightdeck_core::model::join::RunState;
    use flightdeck_core::model::pipelines::{Deployment, Host};

    let requested = now() - chrono::Duration::hours(3);
    let descriptor = json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {
            "name": "invoice-api",
            "annotations": {
                "github.com/project-slug": "acme/invoice-api",
                "backstage.io/source-template": "template:default/rust-service",
                "flightdeck.dev/created-at": requested.to_rfc3339(),
            }
        },
        "spec": { "type": "service", "lifecycle": "experimental", "owner": "team-payments" }
    });
    let origin = EntityOrigin::File {
        place: Place {
            path: "repos/invoice-api/catalog-info.yaml".into(),
            line: 1,
            column: 1,
        },
        field_lines: Default::default(),
    };
    let entity = decode_entity(&descriptor, origin, None)
        .expect("the descriptor decodes")
        .0;
    let mut m = Model::new(Keymap::defaults(), now());
    update(
        &mut m,
        Msg::Catalog(CatalogMsg::Loaded {
            origin: Origin::Files,
            entities: vec![entity.into()],
            problems: vec![],
            at: now(),
        }),
    );
    let service = "component:default/invoice-api";
    let deployment = |id: u64, env: &str, state: RunState, created_min: i64, took_min: i64| {
        let created = requested + chrono::Duration::minutes(created_min);
        Deployment {
            id,
            environment: env.into(),
            sha: "a130bba0".into(),
            git_ref: "main".into(),
            state,
            status: "success".into(),
            creator: "jdoe".into(),
            created,
            updated: created + chrono::Duration::minutes(took_min),
            url: None,
        }
    };
    update(
        &mut m,
        Msg::Pipelines(PipelinesMsg::Deployments {
            host: Host::Github,
            repo: "acme/invoice-api".into(),
            service: service.into(),
            deployments: vec![
                // Staging first, a failed production try, then the one that counts; and a
                // later production deploy that does not.
                deployment(1, "staging", RunState::Success, 4, 1),
                deployment(2, "production", RunState::Failure, 6, 1),
                deployment(3, "production", RunState::Success, 9, 2),
                deployment(4, "production", RunState::Success, 90, 2),
            ],
            at: now(),
        }),
    );
    flightdeck_core::update::overview::open_service(&mut m, service);
    let page = m
        .catalog
        .overview
        .page
        .as_ref()
        .expect("the service screen");
    assert_eq!(page.to_production, Some(chrono::Duration::minutes(11)));
    let screen = render(&m, 120, 40);
    assert!(
        screen.contains("in production 11m00s after the request"),
        "{screen}"
    );
}
