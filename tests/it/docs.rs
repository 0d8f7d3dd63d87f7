//! The docs viewer: the published MkDocs examples read from disk with their nav, links and
//! anchors followed inside the viewer, history, in-page and cross-docs search, runbook URLs
//! resolved into a service's docs (also every runbook the sim's alerts carry), and edits.

use crate::common;

use chrono::{DateTime, Utc};
use rstest::rstest;

use flightdeck::providers::docs::read_site;
use flightdeck_core::keymap::{Key, KeyCode, Keymap};
use flightdeck_core::message::docs::Msg as DocsMsg;
use flightdeck_core::message::{Effect, External, Msg};
use flightdeck_core::model::docs::{Focus, NavRow, NavTarget, Page, Site};
use flightdeck_core::model::markdown::Block;
use flightdeck_core::model::{Model, PaletteTarget, Screen};
use flightdeck_core::update::docs::open_runbook;
use flightdeck_core::update::update;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:30:00Z")
        .expect("a fixed time")
        .with_timezone(&Utc)
}

fn model_with(sites: Vec<Site>) -> Model {
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
            sites,
            errors: vec![],
        }),
    );
    m.screen = Screen::Docs;
    m
}

fn page(path: &str, markdown: &str) -> Page {
    Page {
        path: path.into(),
        file: format!("/repo/docs/{path}"),
        markdown: markdown.into(),
        ..Page::default()
    }
}

/// A small site shaped like the sim's: home, architecture, runbooks with anchors.
fn payments() -> Site {
    let crash = "# Crash looping\n\nPods restart.\n\n## First five minutes\n\nCheck the last deploy. See [high errors](high-error-rate.md#when-it-fires).\n\n## Roll back\n\nGo [home](../index.md).\n";
    let errors =
        "# High error rate\n\nIntro.\n\n## When it fires\n\nMore than 5% of requests fail.\n";
    let index = "# Payments API\n\nRead the [crash runbook](runbooks/crash-looping.md#first-five-minutes), the [architecture](architecture.md), [missing](nope.md) or [the site](https://backstage.io/docs).\n\n## Owners\n\nTeam payments.\n";
    Site {
        service: "component:default/payments-api".into(),
        name: "payments-api".into(),
        site_name: "Payments API".into(),
        site_url: Some("https://docs.acme.example/payments-api/".into()),
        root: "/repo/docs".into(),
        nav: vec![
            flightdeck_core::model::docs::NavEntry {
                depth: 0,
                title: "Home".into(),
                target: NavTarget::Page("index.md".into()),
            },
            flightdeck_core::model::docs::NavEntry {
                depth: 0,
                title: "Runbooks".into(),
                target: NavTarget::Section,
            },
            flightdeck_core::model::docs::NavEntry {
                depth: 1,
                title: "Crash looping".into(),
                target: NavTarget::Page("runbooks/crash-looping.md".into()),
            },
        ],
        pages: vec![
            page("index.md", index),
            page(
                "architecture.md",
                "# Architecture\n\nIt talks to the ledger.\n",
            ),
            page("runbooks/crash-looping.md", crash),
            page("runbooks/high-error-rate.md", errors),
        ],
    }
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(Key::new(code))
}

fn press(m: &mut Model, keys: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in keys.chars() {
        effects.extend(update(m, Msg::Key(Key::char(c))));
    }
    effects
}

fn open_path(m: &Model) -> Option<String> {
    m.docs.open.as_ref().map(|o| o.path.clone())
}

fn top_line(m: &Model) -> String {
    let o = m.docs.open.as_ref().expect("a page is open");
    o.layout.lines[o.scroll].text.clone()
}

#[test]
fn the_backstage_example_renders_with_its_nav() {
    let Some(dir) = common::fixtures_dir() else {
        return;
    };
    let site = read_site(
        "component:default/documented-component",
        "documented-component",
        &dir.join("mkdocs/backstage-techdocs-documented-component"),
    )
    .expect("the example reads");
    assert_eq!(site.site_name, "Example Documentation");
    let nav: Vec<(&str, &NavTarget)> = site
        .nav
        .iter()
        .map(|e| (e.title.as_str(), &e.target))
        .collect();
    assert_eq!(
        nav,
        vec![
            ("Home", &NavTarget::Page("index.md".into())),
            ("Subpage", &NavTarget::Page("sub-page.md".into())),
            (
                "Code Sample",
                &NavTarget::Page("code/code-sample.md".into())
            ),
            ("Extensions", &NavTarget::Page("extensions.md".into())),
        ]
    );
    let mut m = model_with(vec![site]);
    // Open each page through the nav, as a user would.
    let mut seen = Vec::new();
    for row in 1..m.docs.rows.len() {
        m.list_mut(Screen::Docs).cursor.selected = row;
        m.docs.focus = Focus::Nav;
        update(&mut m, key(KeyCode::Enter));
        let o = m.docs.open.as_ref().expect("the page opens");
        assert!(
            o.layout
                .lines
                .iter()
                .all(|l| l.width() <= usize::from(o.layout.width)),
            "{} fits its width",
            o.path
        );
        seen.push((
            o.path.clone(),
            o.layout
                .lines
                .iter()
                .map(|l| l.text.clone())
                .collect::<Vec<_>>(),
        ));
    }
    let text = |p: &str| {
        seen.iter()
            .find(|(path, _)| path == p)
            .map(|(_, t)| t.clone())
            .expect("page seen")
    };
    let index = text("index.md");
    assert_eq!(index[0], "Welcome!");
    assert!(index.iter().any(|l| l == "[image: Backstage Logo]"));
    assert!(
        index
            .iter()
            .any(|l| l.starts_with("Topic 1 │ An introductory topic")),
        "the table renders: {index:?}"
    );
    let code = text("code/code-sample.md");
    assert!(code.iter().any(|l| l == "┌─ typescript") && code.iter().any(|l| l == "┌─ python"));
    let ext = text("extensions.md");
    assert!(
        ext.iter().any(|l| l.starts_with("╭─ ⚠ Warn")),
        "admonitions are boxes"
    );
    assert!(
        ext.iter()
            .any(|l| l.starts_with("╭─ ℹ What is the answer to life")),
        "details keep their title"
    );
    assert!(ext.iter().any(|l| l == "☑ Phase 1") && ext.iter().any(|l| l == "☐ Phase 3"));
    assert!(
        ext.iter().any(|l| l == "│ !!! warn"),
        "the admonition shown as an example stays code"
    );
}

#[test]
fn the_developer_portal_renders_with_its_pages_navigation() {
    let Some(dir) = common::fixtures_dir() else {
        return;
    };
    let site = read_site(
        "component:default/developer-portal",
        "developer-portal",
        &dir.join("mkdocs/DiamondLightSource-developer-portal"),
    )
    .expect("the portal reads");
    assert_eq!(site.site_name, "Developer Portal");
    let top: Vec<&str> = site
        .nav
        .iter()
        .filter(|e| e.depth == 0)
        .map(|e| e.title.as_str())
        .collect();
    assert_eq!(
        top,
        vec!["Home", "Tutorials", "How-Tos", "Explanations", "References"],
        "from docs/.pages"
    );
    let howtos = site
        .nav
        .iter()
        .filter(|e| {
            e.depth == 1 && matches!(&e.target, NavTarget::Page(p) if p.starts_with("how-tos/"))
        })
        .count();
    assert_eq!(howtos, 10, "the How-Tos section lists its directory");
    assert!(site.nav.iter().all(|e| !e.title.ends_with("(missing)")));
    let page = site
        .page("how-tos/register-a-component.md")
        .expect("a page");
    let doc = flightdeck_core::model::markdown::parse(&page.markdown);
    assert!(doc.blocks.iter().any(
        |b| matches!(b, Block::Remark { text, .. } if text.contains("../common/get-repository.md"))
    ));
    assert!(
        doc.blocks
            .iter()
            .any(|b| matches!(b, Block::Admonition { kind, .. } if kind == "example"))
    );
    for width in [40u16, 77, 117] {
        for p in &site.pages {
            let layout = flightdeck_core::model::markdown::layout(
                &flightdeck_core::model::markdown::parse(&p.markdown),
                width,
            );
            assert!(
                layout.lines.iter().all(|l| l.width() <= usize::from(width)),
                "{} at {width}",
                p.path
            );
        }
    }
}

#[rstest]
#[case::relative_with_anchor(1, "runbooks/crash-looping.md", "First five minutes")]
#[case::site_relative(2, "architecture.md", "Architecture")]
#[case::external_stays(4, "index.md", "Payments API")]
fn links_follow_inside_the_viewer(#[case] link: usize, #[case] lands_on: &str, #[case] top: &str) {
    let mut m = model_with(vec![payments()]);
    update(&mut m, key(KeyCode::Enter));
    assert_eq!(open_path(&m).as_deref(), Some("index.md"));
    for _ in 0..link {
        press(&mut m, "]");
    }
    let effects = update(&mut m, key(KeyCode::Enter));
    assert_eq!(open_path(&m).as_deref(), Some(lands_on));
    assert_eq!(top_line(&m), top);
    if link == 4 {
        assert!(
            effects.contains(&Effect::OpenUrl("https://backstage.io/docs".into())),
            "{effects:?}"
        );
    }
}

#[test]
fn a_missing_page_says_so_and_stays() {
    let mut m = model_with(vec![payments()]);
    update(&mut m, key(KeyCode::Enter));
    press(&mut m, "]]]");
    update(&mut m, key(KeyCode::Enter));
    assert_eq!(open_path(&m).as_deref(), Some("index.md"));
    assert!(
        m.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("nope.md")),
        "{:?}",
        m.notice
    );
}

#[test]
fn history_goes_back_and_forward_with_the_scroll_kept() {
    let mut m = model_with(vec![payments()]);
    update(&mut m, key(KeyCode::Enter));
    press(&mut m, "]");
    update(&mut m, key(KeyCode::Enter));
    // Relative link with an anchor on another page, then `..` back home.
    press(&mut m, "]");
    update(&mut m, key(KeyCode::Enter));
    assert_eq!(
        open_path(&m).as_deref(),
        Some("runbooks/high-error-rate.md")
    );
    assert_eq!(top_line(&m), "When it fires");
    press(&mut m, "B");
    assert_eq!(open_path(&m).as_deref(), Some("runbooks/crash-looping.md"));
    assert_eq!(
        top_line(&m),
        "First five minutes",
        "back restores where the user was"
    );
    press(&mut m, "B");
    assert_eq!(open_path(&m).as_deref(), Some("index.md"));
    press(&mut m, "F");
    assert_eq!(open_path(&m).as_deref(), Some("runbooks/crash-looping.md"));
    update(&mut m, key(KeyCode::Esc));
    assert_eq!(
        open_path(&m).as_deref(),
        Some("index.md"),
        "esc goes back too"
    );
    update(&mut m, key(KeyCode::Esc));
    assert_eq!(
        m.docs.focus,
        Focus::Nav,
        "with no history left, esc returns to the tree"
    );
}

#[rstest]
#[case::relative("runbooks/crash-looping.md#first-five-minutes", Some(("runbooks/crash-looping.md", "First five minutes")))]
#[case::under_any_host("https://docs.acme.example/payments-api/runbooks/crash-looping.md#first-five-minutes", Some(("runbooks/crash-looping.md", "First five minutes")))]
#[case::mkdocs_html_url("https://docs.acme.example/payments-api/runbooks/high-error-rate/#when-it-fires", Some(("runbooks/high-error-rate.md", "When it fires")))]
#[case::other_host_service_segment("https://wiki.example.com/teams/payments-api/runbooks/crash-looping.md", Some(("runbooks/crash-looping.md", "Crash looping")))]
#[case::site_root("https://docs.acme.example/payments-api/", Some(("index.md", "Payments API")))]
#[case::another_service("https://docs.acme.example/ledger/runbooks/crash-looping.md", None)]
#[case::outside_the_docs("../../etc/passwd", None)]
#[case::unknown_page("runbooks/nope.md", None)]
fn runbook_urls_resolve_into_the_services_docs(
    #[case] url: &str,
    #[case] expected: Option<(&str, &str)>,
) {
    let mut m = model_with(vec![payments()]);
    m.screen = Screen::Alerts;
    let opened = open_runbook(&mut m, "component:default/payments-api", url);
    match expected {
        Some((path, top)) => {
            assert!(opened.is_some(), "{url} resolves");
            assert_eq!(m.screen, Screen::Docs);
            assert_eq!(open_path(&m).as_deref(), Some(path));
            assert_eq!(top_line(&m), top);
        }
        None => {
            assert!(opened.is_none(), "{url} does not resolve");
            assert_eq!(
                m.screen,
                Screen::Alerts,
                "nothing changes when it does not resolve"
            );
        }
    }
}

#[tokio::test]
async fn every_runbook_the_sims_alerts_carry_opens_at_its_heading() {
    let sim = flightdeck_sim::Sim::start(flightdeck_sim::SimConfig::default())
        .await
        .expect("the sim starts");
    let world = &sim.shared.world;
    let sites: Vec<Site> = world
        .services
        .iter()
        .map(|s| {
            read_site(
                &format!("component:default/{}", s.name),
                &s.name,
                &sim.dir().join("repos").join(&s.name),
            )
            .expect("the sim wrote docs")
        })
        .collect();
    let mut m = model_with(sites);
    let alerts = world.alerts(
        sim.shared.story_now() + chrono::Duration::minutes(10),
        chrono::Duration::hours(2),
    );
    let mut opened = 0;
    for a in alerts.iter().filter(|a| !a.runbook.is_empty()) {
        let url = flightdeck_sim::alertmanager::runbook_url(&world.org, &a.service, &a.runbook);
        let service = format!("component:default/{}", a.service);
        assert!(
            open_runbook(&mut m, &service, &url).is_some(),
            "{url} opens"
        );
        let o = m.docs.open.as_ref().expect("open");
        if let Some((_, anchor)) = url.split_once('#') {
            assert!(
                o.layout.anchor_line(&o.doc, anchor).is_some(),
                "{url}: the anchor is a heading"
            );
            assert_eq!(
                o.layout.lines[o.scroll]
                    .heading
                    .map(|h| o.doc.headings[h as usize].anchor.clone())
                    .as_deref(),
                Some(anchor)
            );
        }
        opened += 1;
    }
    assert!(opened >= 3, "the story has runbooks to open");
}

#[test]
fn page_search_finds_steps_and_clears() {
    let mut m = model_with(vec![payments()]);
    m.list_mut(Screen::Docs).cursor.selected = 3;
    update(&mut m, key(KeyCode::Enter));
    assert_eq!(open_path(&m).as_deref(), Some("runbooks/crash-looping.md"));
    press(&mut m, "/");
    assert!(
        m.docs.search.typing,
        "/ on the page starts the page search, not the list filter"
    );
    assert!(!m.list(Screen::Docs).filtering);
    press(&mut m, "ck");
    update(&mut m, key(KeyCode::Enter));
    let hits = m.docs.search.hits.clone();
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert_eq!(m.docs.search.current, 0);
    press(&mut m, "n");
    assert_eq!(m.docs.search.current, 1);
    press(&mut m, "n");
    assert_eq!(m.docs.search.current, 0, "n wraps around");
    press(&mut m, "N");
    assert_eq!(m.docs.search.current, 1);
    update(&mut m, key(KeyCode::Esc));
    assert!(m.docs.search.hits.is_empty() && m.docs.search.input.is_empty());
    assert_eq!(
        open_path(&m).as_deref(),
        Some("runbooks/crash-looping.md"),
        "esc clears the search before going back"
    );
}

#[test]
fn the_tree_filter_finds_pages_by_title_heading_and_text() {
    let mut m = model_with(vec![payments()]);
    press(&mut m, "/");
    press(&mut m, "ledger");
    update(&mut m, key(KeyCode::Enter));
    let hits: Vec<&NavRow> = m.docs.rows.iter().collect();
    assert_eq!(hits.len(), 1);
    assert!(matches!(hits[0], NavRow::Hit { why, .. } if why.contains("talks to the ledger")));
    update(&mut m, key(KeyCode::Enter));
    assert_eq!(open_path(&m).as_deref(), Some("architecture.md"));
    assert_eq!(
        m.docs.search.hits.len(),
        1,
        "the filter becomes the page search, landing on the match"
    );
    // A heading match lands on the heading.
    update(&mut m, key(KeyCode::Tab));
    update(&mut m, key(KeyCode::Esc));
    press(&mut m, "/");
    press(&mut m, "when it");
    update(&mut m, key(KeyCode::Enter));
    update(&mut m, key(KeyCode::Enter));
    assert_eq!(
        open_path(&m).as_deref(),
        Some("runbooks/high-error-rate.md")
    );
    assert_eq!(top_line(&m), "When it fires");
}

#[test]
fn the_palette_lists_titles_and_headings_and_lands_on_the_line() {
    let mut m = model_with(vec![payments()]);
    m.screen = Screen::Overview;
    press(&mut m, ":");
    let Some(flightdeck_core::model::Overlay::Palette(p)) = &m.overlay else {
        panic!("the palette is open")
    };
    let labels: Vec<&str> = p
        .items
        .iter()
        .filter(|i| {
            matches!(
                i.target,
                PaletteTarget::Row {
                    screen: Screen::Docs,
                    ..
                }
            )
        })
        .map(|i| i.label.as_str())
        .collect();
    assert!(labels.contains(&"payments-api › Crash looping"));
    assert!(labels.contains(&"payments-api › Crash looping › Roll back"));
    press(&mut m, "roll back");
    update(&mut m, key(KeyCode::Enter));
    assert_eq!(m.screen, Screen::Docs);
    assert_eq!(open_path(&m).as_deref(), Some("runbooks/crash-looping.md"));
    assert_eq!(top_line(&m), "Roll back");
}

#[test]
fn a_resize_lays_the_page_out_again_and_keeps_the_place() {
    let long = (0..200)
        .map(|i| format!("## Part {i}\n\n{}\n", "word ".repeat(60)))
        .collect::<String>();
    let mut site = payments();
    site.pages.push(page("long.md", &long));
    let mut m = model_with(vec![site]);
    open_runbook(&mut m, "component:default/payments-api", "long.md#part-120").expect("opens");
    assert_eq!(top_line(&m), "Part 120");
    let before = m.docs.open.as_ref().map(|o| o.layout.lines.len());
    update(
        &mut m,
        Msg::Resize {
            width: 80,
            height: 24,
        },
    );
    let o = m.docs.open.as_ref().expect("open");
    assert_eq!(
        o.layout.width,
        flightdeck_core::model::docs::page_width((80, 24))
    );
    assert!(
        Some(o.layout.lines.len()) > before,
        "narrower means more lines"
    );
    assert_eq!(top_line(&m), "Part 120", "the same heading stays on top");
}

#[test]
fn edit_opens_the_file_at_the_top_line_and_reloads_after() {
    let mut m = model_with(vec![payments()]);
    open_runbook(
        &mut m,
        "component:default/payments-api",
        "runbooks/crash-looping.md#roll-back",
    )
    .expect("opens");
    let effects = press(&mut m, "e");
    assert_eq!(
        effects,
        vec![
            Effect::External(External::Editor {
                path: "/repo/docs/runbooks/crash-looping.md".into(),
                line: Some(9)
            }),
            Effect::Docs(flightdeck_core::message::docs::Command::Reload),
        ]
    );
}

#[test]
fn tab_switches_between_the_tree_and_the_page() {
    let mut m = model_with(vec![payments()]);
    assert_eq!(m.docs.focus, Focus::Nav);
    update(&mut m, key(KeyCode::Enter));
    assert_eq!(m.docs.focus, Focus::Page);
    update(&mut m, key(KeyCode::Tab));
    assert_eq!(m.docs.focus, Focus::Nav);
    assert_eq!(m.screen, Screen::Docs);
}
