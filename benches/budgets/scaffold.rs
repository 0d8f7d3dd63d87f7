//! The scaffolder's budget: a 500-file skeleton rendered (contents and paths) in under 200 ms,
//! so a review screen can rebuild the file tree as values change. Measured from disk (the walk
//! and reads included) and in memory (the engine alone).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group};
use flightdeck::scaffolder::engine::Engine;
use flightdeck::scaffolder::skeleton::{self, Options, Workspace};
use serde_json::json;

/// One source file of a service, ~1.5 KB with expressions, a condition and a loop, as real
/// skeletons mix them.
fn file_text(i: usize) -> String {
    let mut s = format!(
        "//! ${{{{ values.name }}}}: module {i}. ${{{{ values.description }}}}\n\
         {{% if values.owner %}}// Owned by ${{{{ values.owner }}}}.{{% endif %}}\n\
         pub const NAME: &str = ${{{{ values.name | dump }}}};\n\
         pub const REPO: &str = \"${{{{ values.destination.owner + '/' + values.destination.repo }}}}\";\n\
         {{% for tag in values.tags %}}pub const TAG_${{{{ loop.index }}}}: &str = \"${{{{ tag }}}}\";\n{{% endfor %}}"
    );
    for line in 0..30 {
        s.push_str(&format!(
            "pub fn f{line}(x: u64) -> u64 {{ x.wrapping_mul({line}).rotate_left(7) ^ 0x5eed }}\n"
        ));
    }
    s
}

fn skeleton_files() -> Vec<(String, Vec<u8>)> {
    (0..500)
        .map(|i| {
            let path = if i % 10 == 0 {
                format!("src/m{}/${{{{ values.name }}}}_{i}.rs", i / 50)
            } else {
                format!("src/m{}/file_{i}.rs", i / 50)
            };
            (path, file_text(i).into_bytes())
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let engine = Engine::new().expect("the engine builds");
    let values = json!({
        "name": "billing-api",
        "description": "Bills customers.",
        "owner": "team-payments",
        "tags": ["rust", "http", "payments"],
        "destination": { "host": "github.com", "owner": "acme", "repo": "billing-api" },
    });
    let files = skeleton_files();
    let dir = tempfile::tempdir().expect("a temp dir");
    for (path, bytes) in &files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("dirs");
        std::fs::write(&p, bytes).expect("written");
    }
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();

    let mut group = c.benchmark_group("scaffold");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("render_500_files/memory", |b| {
        b.iter(|| {
            let mut ws = Workspace::new();
            skeleton::render_into(
                &engine,
                black_box(&files),
                &values,
                &Options::default(),
                &mut ws,
            )
            .expect("renders");
            ws
        })
    });
    group.bench_function("render_500_files/from_disk", |b| {
        b.iter(|| {
            let files = skeleton::read_dir(dir.path()).expect("reads");
            let mut ws = Workspace::new();
            skeleton::render_into(&engine, &files, &values, &Options::default(), &mut ws)
                .expect("renders");
            assert_eq!(ws.len(), 500);
            ws
        })
    });
    group.finish();
}

criterion_group!(scaffold, benches);
