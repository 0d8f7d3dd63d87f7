//! The scale budgets of a large organisation: 20,000 catalog entities from one descriptor file
//! under 1 s, a palette or `/` filter keystroke over them under 5 ms, and a batch of pod
//! changes at 10,000 pods under 2 ms in `update` (the batch benches are in workloads.rs), and
//! one edited entity of 20,000 taken into the model without merging and joining them all.

use std::hint::black_box;
use std::path::Path;

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group};

use flightdeck::providers::catalog::load_files;
use flightdeck_core::keymap::{Key, KeyCode, Keymap};
use flightdeck_core::message::pipelines::Msg as PMsg;
use flightdeck_core::message::{Msg, catalog};
use flightdeck_core::model::catalog::Origin;
use flightdeck_core::model::input::Edit;
use flightdeck_core::model::join::RunState;
use flightdeck_core::model::pipelines::{Host, Run, RunKey};
use flightdeck_core::model::{Model, Overlay};
use flightdeck_core::update::update;

const ENTITIES: usize = 20_000;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:30:00Z")
        .map(|t| t.to_utc())
        .unwrap_or_default()
}

/// One multi-document file of `n` Components, about 250 bytes each, as an organisation that
/// generates its catalog into a single file has it.
pub fn write_catalog(path: &Path, n: usize) -> std::io::Result<()> {
    let mut text = String::with_capacity(n * 400);
    for i in 0..n {
        text.push_str(&format!(
            "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: service-{i:05}\n  description: Service number {i}, which does its part.\n  annotations:\n    github.com/project-slug: acme/service-{i:05}\n    backstage.io/kubernetes-id: service-{i:05}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-{t}\n  system: system-{s}\n  dependsOn: [component:service-{d:05}]\n",
            t = i % 25,
            s = i % 40,
            d = (i + 1) % n,
        ));
    }
    std::fs::write(path, text)
}

fn benches(c: &mut Criterion) {
    let Ok(dir) = tempfile::tempdir() else { return };
    let file = dir.path().join("catalog-info.yaml");
    if let Err(e) = write_catalog(&file, ENTITIES) {
        eprintln!("cannot write the benchmark's catalog: {e}");
        return;
    }
    let mut group = c.benchmark_group("scale");
    group.sample_size(10);
    group.bench_function("catalog load 20000 entities, one file", |b| {
        b.iter(|| black_box(load_files([file.as_path()])))
    });
    let loaded = load_files([file.as_path()]);
    assert_eq!(
        loaded.entities.len(),
        ENTITIES,
        "{:?}",
        loaded.problems.first()
    );
    let mut m = Model::new(Keymap::defaults(), now());
    update(
        &mut m,
        Msg::Resize {
            width: 200,
            height: 60,
        },
    );
    let entities = loaded.entities;
    group.bench_function("catalog rebuild and join 20000 services", |b| {
        b.iter_batched(
            || (m.clone(), entities.clone()),
            |(mut m, entities)| {
                update(
                    &mut m,
                    Msg::Catalog(catalog::Msg::Loaded {
                        origin: Origin::Files,
                        entities,
                        problems: vec![],
                        at: now(),
                    }),
                );
                m
            },
            criterion::BatchSize::LargeInput,
        )
    });
    update(
        &mut m,
        Msg::Catalog(catalog::Msg::Loaded {
            origin: Origin::Files,
            entities: entities.clone(),
            problems: vec![],
            at: now(),
        }),
    );

    // One entity edited in the file (its description and what it depends on), the file read
    // again: the whole batch arrives, and `update` replaces the one entity, derives the
    // relations at both ends and joins its row again. Each iteration flips the edit.
    let mut edited = entities.clone();
    if let Some(e) = edited.get_mut(ENTITIES / 2) {
        let e = std::sync::Arc::make_mut(e);
        e.description = Some("Edited: now depends on the first service.".into());
        e.spec.depends_on = vec!["component:default/service-00000".into()];
    }
    let versions = [edited, entities];
    let mut flip = 0;
    group.bench_function(
        "catalog one entity changed, 20000 services, in update",
        |b| {
            b.iter_batched(
                || {
                    flip = 1 - flip;
                    versions[flip].clone()
                },
                |entities| {
                    update(
                        &mut m,
                        Msg::Catalog(catalog::Msg::Loaded {
                            origin: Origin::Files,
                            entities,
                            problems: vec![],
                            at: now(),
                        }),
                    )
                },
                criterion::BatchSize::LargeInput,
            )
        },
    );
    // A repository's poll answers with its newest runs: main's run fails, then passes on a
    // retry, so its service's CI summary moves each time and its row is joined again. Then a
    // branch's run comes and goes under main's: no summary moves, no row is joined.
    let answers = |runs: Vec<Vec<Run>>| -> Vec<Msg> {
        runs.into_iter()
            .map(|runs| {
                Msg::Pipelines(PMsg::Runs {
                    host: Host::Github,
                    repo: "acme/service-10000".into(),
                    service: "component:default/service-10000".into(),
                    runs,
                    at: now(),
                })
            })
            .collect()
    };
    let failing = answers(vec![
        vec![run(1, "main", RunState::Failure)],
        vec![
            run(2, "main", RunState::Success),
            run(1, "main", RunState::Failure),
        ],
    ]);
    let branch = answers(vec![
        vec![
            run(3, "retry-timeouts", RunState::Running),
            run(2, "main", RunState::Success),
        ],
        vec![run(2, "main", RunState::Success)],
    ]);
    for (name, msgs) in [
        (
            "pipelines one repository's CI summary moves, 20000 services, in update",
            &failing,
        ),
        (
            "pipelines one repository's branch run, no summary moves, 20000 services, in update",
            &branch,
        ),
    ] {
        let mut flip = 0;
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    flip = 1 - flip;
                    msgs[flip].clone()
                },
                |msg| update(&mut m, msg),
                criterion::BatchSize::SmallInput,
            )
        });
    }
    group.sample_size(50);

    // The `/` filter of the Overview: a letter typed and taken back, per keystroke pair.
    update(&mut m, Msg::Key(Key::char('/')));
    for ch in "serv".chars() {
        update(&mut m, Msg::Key(Key::char(ch)));
    }
    group.bench_function("overview filter keystroke pair, 20000 services", |b| {
        b.iter(|| {
            update(&mut m, Msg::Key(Key::char('1')));
            update(&mut m, Msg::Key(Key::new(KeyCode::Backspace)));
        })
    });
    update(&mut m, Msg::Key(Key::new(KeyCode::Esc)));

    // The palette over every service (and screen, command, row) the model registers, typed
    // as a user types: a letter at a time, starting again after the last.
    update(&mut m, Msg::Key(Key::char(':')));
    let typed = ["s", "se", "ser", "serv", "serv 1", "serv 12", "serv 123"];
    let mut k = 0;
    group.bench_function("palette keystroke, 20000 services", |b| {
        b.iter(|| {
            k = (k + 1) % typed.len();
            if let Some(Overlay::Palette(p)) = m.overlay.as_mut() {
                p.input.clear();
                p.input.apply(Edit::Paste(typed[k].into()));
                p.refilter();
                black_box(p.matches.len());
            }
        })
    });
    group.finish();
}

/// A run of `acme/service-10000` on `branch`; a higher `id` is a newer run.
fn run(id: u64, branch: &str, state: RunState) -> Run {
    let created = now() - chrono::Duration::minutes(10 - i64::try_from(id).unwrap_or(0));
    Run {
        key: RunKey {
            host: Host::Github,
            repo: "acme/service-10000".into(),
            id,
        },
        service: "component:default/service-10000".into(),
        service_name: "service-10000".into(),
        number: id,
        workflow: "CI".into(),
        workflow_ref: "ci.yml".into(),
        branch: branch.into(),
        event: "push".into(),
        actor: "asingh".into(),
        status: if state.is_done() {
            "completed"
        } else {
            "in_progress"
        }
        .into(),
        conclusion: None,
        state,
        attempt: 1,
        created,
        started: Some(created),
        updated: created,
        finished: state.is_done().then_some(created),
        title: "Retry the ledger call".into(),
        sha: format!("{id:x}abcdef0123456789"),
        url: None,
    }
}

criterion_group!(scale, benches);
