//! The shell's `view` at 200x60: budget "well under 1 ms". Draws into ratatui's TestBackend
//! (the buffer work is the same as on a terminal; only the final write is skipped).

use std::hint::black_box;

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use flightdeck::config::theme::{ColorSupport, load_theme};
use flightdeck_core::keymap::{Key, Keymap};
use flightdeck_core::message::Msg;
use flightdeck_core::model::{FetchState, Model, SourceId, SourceKind, SourceStatus};
use flightdeck_core::update::update;

fn model() -> Model {
    let now = DateTime::parse_from_rfc3339("2026-03-02T09:30:00Z")
        .expect("a fixed time")
        .with_timezone(&Utc);
    let mut m = Model::new(Keymap::defaults(), now);
    for (kind, name) in [
        (SourceKind::Catalog, "catalog"),
        (SourceKind::Github, "github"),
        (SourceKind::Kubernetes, "production"),
        (SourceKind::Kubernetes, "staging"),
        (SourceKind::Alertmanager, "prod"),
    ] {
        let mut s = SourceStatus::new(SourceId::new(kind, name), FetchState::Ok);
        s.fetched_at = Some(now);
        m.sources.push(s);
    }
    update(
        &mut m,
        Msg::Resize {
            width: 200,
            height: 60,
        },
    );
    m
}

fn bench(c: &mut Criterion) {
    let theme = load_theme("dark", ColorSupport::TrueColor).expect("dark loads");
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("a test terminal");
    let m = model();
    c.bench_function("shell view 200x60", |b| {
        b.iter(|| {
            terminal
                .draw(|f| flightdeck::ui::view(black_box(&m), &theme, f))
                .expect("draws");
        })
    });
    let mut help = model();
    update(&mut help, Msg::Key(Key::char('?')));
    c.bench_function("shell view 200x60 with help", |b| {
        b.iter(|| {
            terminal
                .draw(|f| flightdeck::ui::view(black_box(&help), &theme, f))
                .expect("draws");
        })
    });
}

criterion_group!(view, bench);
