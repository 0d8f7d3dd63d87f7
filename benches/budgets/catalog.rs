//! The catalog's budgets: loading 2,000 descriptor entities from disk under 200 ms, drawing
//! the Overview of 2,000 services at 200x60 under 1 ms, and refiltering 2,000 services under
//! 1 ms per keystroke.

use std::hint::black_box;
use std::path::Path;

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use flightdeck::config::theme::ColorSupport;
use flightdeck::providers::catalog::load_files;
use flightdeck_core::keymap::{Key, KeyCode, Keymap};
use flightdeck_core::message::{Msg, catalog};
use flightdeck_core::model::catalog::Origin;
use flightdeck_core::model::{FetchState, Model, SourceId, SourceKind, SourceStatus};
use flightdeck_core::update::update;

const SERVICES: usize = 2_000;
const PER_FILE: usize = 5;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:30:00Z")
        .map(|t| t.to_utc())
        .unwrap_or_default()
}

/// 400 repos of five Components each, found by one Location's glob, like an org's checkout.
fn write_org(dir: &Path) -> std::io::Result<()> {
    std::fs::write(
        dir.join("catalog-info.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: org\nspec:\n  targets: [./repos/*/catalog-info.yaml]\n",
    )?;
    for f in 0..SERVICES / PER_FILE {
        let repo = dir.join("repos").join(format!("repo-{f:04}"));
        std::fs::create_dir_all(&repo)?;
        let mut text = String::new();
        for i in 0..PER_FILE {
            let n = f * PER_FILE + i;
            text.push_str(&format!(
                "---\n# service {n}\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: service-{n:04}\n  description: Service number {n}, which does its part.\n  links:\n    - url: https://grafana.example.com/d/service-{n:04}\n      title: Dashboard\n  annotations:\n    github.com/project-slug: acme/service-{n:04}\n    backstage.io/kubernetes-id: service-{n:04}\n    backstage.io/kubernetes-namespace: team-{t}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-{t}\n  system: system-{s}\n  dependsOn: [component:service-{d:04}]\n",
                t = n % 25,
                s = n % 40,
                d = (n + 1) % SERVICES,
            ));
        }
        std::fs::write(repo.join("catalog-info.yaml"), text)?;
    }
    Ok(())
}

fn model_with(services: Vec<std::sync::Arc<flightdeck_core::model::catalog::Entity>>) -> Model {
    let mut m = Model::new(Keymap::defaults(), now());
    for (k, n) in [
        (SourceKind::Catalog, "catalog"),
        (SourceKind::Github, "github"),
        (SourceKind::Kubernetes, "prod"),
        (SourceKind::Alertmanager, "prod"),
    ] {
        let mut s = SourceStatus::new(SourceId::new(k, n), FetchState::Ok);
        s.fetched_at = Some(now());
        m.sources.push(s);
    }
    update(
        &mut m,
        Msg::Resize {
            width: 200,
            height: 60,
        },
    );
    update(
        &mut m,
        Msg::Catalog(catalog::Msg::Loaded {
            origin: Origin::Files,
            entities: services,
            problems: vec![],
            at: now(),
        }),
    );
    m
}

fn benches(c: &mut Criterion) {
    let Ok(dir) = tempfile::tempdir() else { return };
    if let Err(e) = write_org(dir.path()) {
        eprintln!("cannot write the benchmark's descriptors: {e}");
        return;
    }
    let root = dir.path().join("catalog-info.yaml");
    let loaded = load_files([root.as_path()]);
    assert_eq!(
        loaded.entities.len(),
        SERVICES + 1,
        "every Component and the Location load"
    );

    c.bench_function("catalog/load 2000 entities from disk", |b| {
        b.iter(|| black_box(load_files([root.as_path()])))
    });

    c.bench_function("catalog/rebuild and join 2000 services", |b| {
        let m = model_with(Vec::new());
        b.iter_batched(
            || m.clone(),
            |mut m| {
                update(
                    &mut m,
                    Msg::Catalog(catalog::Msg::Loaded {
                        origin: Origin::Files,
                        entities: loaded.entities.clone(),
                        problems: vec![],
                        at: now(),
                    }),
                );
                m
            },
            criterion::BatchSize::LargeInput,
        )
    });

    let mut m = model_with(loaded.entities.clone());
    let Ok(theme) = flightdeck::config::theme::load_theme("dark", ColorSupport::TrueColor) else {
        return;
    };
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("a test terminal");
    // Somewhere in the middle of the list, as a user scrolling would be.
    for _ in 0..700 {
        update(&mut m, Msg::Key(Key::char('j')));
    }
    // The budget is `view` itself: drawing into the frame's buffer. The second figure adds
    // what ratatui does after it (diffing 12,000 cells), for scale.
    c.bench_function("overview/view 2000 services at 200x60", |b| {
        b.iter(|| {
            let mut frame = terminal.get_frame();
            flightdeck::ui::view(black_box(&m), &theme, &mut frame);
        })
    });
    c.bench_function("overview/view and diff 2000 services at 200x60", |b| {
        b.iter(|| {
            let drawn = terminal.draw(|f| flightdeck::ui::view(&m, &theme, f));
            black_box(drawn.is_ok())
        })
    });

    update(&mut m, Msg::Key(Key::char('/')));
    update(&mut m, Msg::Key(Key::char('t')));
    update(&mut m, Msg::Key(Key::char('e')));
    c.bench_function("overview/filter keystroke over 2000 services", |b| {
        // Type a letter and take it back: two keystrokes, each refilters every service.
        b.iter(|| {
            update(&mut m, Msg::Key(Key::char('a')));
            update(&mut m, Msg::Key(Key::new(KeyCode::Backspace)));
        })
    });
}

criterion_group!(catalog, benches);
