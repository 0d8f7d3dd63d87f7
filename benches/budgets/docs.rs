//! The docs budgets: a 1 MB page laid out for a new width under 50 ms, a frame of it scrolled
//! under 1 ms, and a search over 2,000 pages (the tree's full-text filter and the palette's
//! titles and headings) under 50 ms a keystroke.

use std::hint::black_box;

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use flightdeck::ui::theme::Theme;
use flightdeck_core::keymap::{Action, Keymap};
use flightdeck_core::message::Msg;
use flightdeck_core::message::docs::Msg as DocsMsg;
use flightdeck_core::model::docs::{NavEntry, NavTarget, Page, Site};
use flightdeck_core::model::input::Edit;
use flightdeck_core::model::markdown;
use flightdeck_core::model::{Model, Palette, Screen};
use flightdeck_core::update::docs::{open_runbook, palette_items, refilter};
use flightdeck_core::update::update;

/// One screenful of every kind of block a runbook has; repeated to the size wanted.
fn section(i: usize) -> String {
    format!(
        "## Step {i}: check the deploy\n\n\
         Pods of `payments-api` restart over and over. Check the **last deploy** on the Pipelines \
         screen and the logs of a crashing pod; see [the architecture](../architecture.md#ledger) \
         and [Kubernetes](https://kubernetes.io/docs/).\n\n\
         - [x] Tell #payments-oncall\n- [ ] Open an incident when customers are affected\n  \
         - nested item with *emphasis*\n\n\
         !!! warning \"Do not scale to zero\"\n    The ledger keeps connections open; scaling to \
         zero drops in-flight payments.\n\n\
         | Signal | Where | Meaning |\n|---|---|---|\n| restarts | Workloads | the container exits |\n\
         | 5xx | Alerts | customers see errors |\n\n\
         ```bash\nkubectl -n payments rollout undo deployment/payments-api # step {i}\n```\n\n\
         > Quote: the previous image tag is on the Pipelines screen.\n\n"
    )
}

fn page_of(bytes: usize) -> String {
    let mut s = String::from("# A very long runbook\n\n");
    let mut i = 0;
    while s.len() < bytes {
        s.push_str(&section(i));
        i += 1;
    }
    s
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:30:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// `n` pages spread over 100 services, each a few KB with headings.
fn sites(n: usize) -> Vec<Site> {
    let per = n / 100;
    (0..100)
        .map(|s| {
            let name = format!("service-{s:03}");
            let pages: Vec<Page> = (0..per)
                .map(|p| Page {
                    path: format!("page-{p:02}.md"),
                    file: format!("/src/{name}/docs/page-{p:02}.md"),
                    markdown: format!(
                        "# Page {p} of {name}\n\n{}",
                        (0..3).map(section).collect::<String>()
                    ),
                    ..Page::default()
                })
                .collect();
            Site {
                service: format!("component:default/{name}"),
                name: name.clone(),
                site_name: name,
                nav: pages
                    .iter()
                    .map(|p| NavEntry {
                        depth: 0,
                        title: p.path.clone(),
                        target: NavTarget::Page(p.path.clone()),
                    })
                    .collect(),
                pages,
                ..Site::default()
            }
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let big = page_of(1 << 20);
    let mut group = c.benchmark_group("docs");
    group.sample_size(20);

    group.bench_function("parse_1mb", |b| b.iter(|| markdown::parse(black_box(&big))));
    let doc = markdown::parse(&big);
    // Alternate widths so every iteration is a new width, as after a resize.
    let mut width = 80u16;
    group.bench_function("layout_1mb_new_width", |b| {
        b.iter(|| {
            width = if width == 80 { 117 } else { 80 };
            markdown::layout(black_box(&doc), width)
        })
    });

    // One frame of the Docs screen with the 1 MB page open, scrolled by one line each time.
    let mut m = Model::new(Keymap::defaults(), now());
    update(
        &mut m,
        Msg::Resize {
            width: 120,
            height: 40,
        },
    );
    let site = Site {
        service: "component:default/payments-api".into(),
        name: "payments-api".into(),
        site_name: "payments-api".into(),
        pages: vec![Page {
            path: "long.md".into(),
            file: "/src/long.md".into(),
            markdown: big.clone(),
            ..Page::default()
        }],
        ..Site::default()
    };
    update(
        &mut m,
        Msg::Docs(DocsMsg::Loaded {
            sites: vec![site],
            errors: vec![],
        }),
    );
    open_runbook(
        &mut m,
        "component:default/payments-api",
        "long.md#step-5000-check-the-deploy",
    )
    .map(drop)
    .unwrap_or_default();
    let theme = flightdeck::config::theme::builtin("dark")
        .unwrap_or_else(|| Theme::from_fn("plain", |_| ratatui::style::Style::default()));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).ok();
    let down = m.keymap.keys(Action::Down).first().copied();
    group.bench_function("scroll_frame_1mb", |b| {
        b.iter(|| {
            if let Some(k) = down {
                update(&mut m, Msg::Key(k));
            }
            if let Some(t) = terminal.as_mut() {
                let _ = t.draw(|f| flightdeck::ui::view(&m, &theme, f));
            }
        })
    });

    // 2,000 pages: the tree's full-text filter, per keystroke.
    let mut m = Model::new(Keymap::defaults(), now());
    update(
        &mut m,
        Msg::Docs(DocsMsg::Loaded {
            sites: sites(2_000),
            errors: vec![],
        }),
    );
    m.screen = Screen::Docs;
    let queries = ["r", "ro", "rol", "roll", "rollout", "rollout undo"];
    let mut q = 0;
    group.bench_function("tree_filter_2000_pages_keystroke", |b| {
        b.iter(|| {
            q = (q + 1) % queries.len();
            let list = m.list_mut(Screen::Docs);
            list.filter.clear();
            list.filter.apply(Edit::Paste(queries[q].into()));
            refilter(&mut m);
            black_box(m.docs.rows.len())
        })
    });

    // The palette over every title and heading of those pages, per keystroke.
    let mut items = Vec::new();
    palette_items(&m, &mut items);
    let mut palette = Palette::new(items);
    let keys = ["s", "st", "ste", "step", "step 2", "step 2 check"];
    let mut k = 0;
    group.bench_function("palette_2000_pages_keystroke", |b| {
        b.iter(|| {
            k = (k + 1) % keys.len();
            palette.input.clear();
            palette.input.apply(Edit::Paste(keys[k].into()));
            palette.refilter();
            black_box(palette.matches.len())
        })
    });
    // The same queries longest first, so (but for the wrap-around) no query extends the last
    // and every item is scored: the cost of a keystroke without narrowing, in the same run.
    let backwards = ["step 2 check", "step 2", "step", "ste", "st", "s"];
    group.bench_function("palette_2000_pages_keystroke_unnarrowed", |b| {
        b.iter(|| {
            k = (k + 1) % backwards.len();
            palette.input.clear();
            palette.input.apply(Edit::Paste(backwards[k].into()));
            palette.refilter();
            black_box(palette.matches.len())
        })
    });
    group.finish();
}

criterion_group!(docs, benches);
