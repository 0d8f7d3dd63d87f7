//! The sanitiser sits on the log path (5,000 lines a second at full tilt) and on every decoded
//! name, so its cost per call is tracked here rather than guessed.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group};
use flightdeck_core::sanitize;

/// A tracing-style line as CI and containers print it: timestamp, coloured level, dimmed
/// target, key-value fields; 120 visible characters with its SGR sequences.
const LOG_LINE: &str = "\x1b[2m2024-05-01T12:00:00.123456Z\x1b[0m \x1b[32m INFO\x1b[0m \
\x1b[1mpayments_api::server\x1b[0m\x1b[2m:\x1b[0m request done method=GET path=/v1/charges/ch_3 \
status=200 ms=12.4";

const NAME: &str = "payments-api-7d9c5b6f4-x2k8p-checkout-eu";

fn benches(c: &mut Criterion) {
    let (plain, _) = sanitize::log_line(LOG_LINE);
    assert_eq!(
        plain.chars().count(),
        120,
        "the bench line drifted from 120 visible chars"
    );
    assert_eq!(NAME.len(), 40);

    let mut group = c.benchmark_group("sanitize");
    group.throughput(Throughput::Bytes(LOG_LINE.len() as u64));
    group.bench_function("log_line/ansi_120", |b| {
        b.iter(|| sanitize::log_line(black_box(LOG_LINE)))
    });
    group.throughput(Throughput::Bytes(NAME.len() as u64));
    group.bench_function("line/clean_40", |b| {
        b.iter(|| sanitize::line(black_box(NAME)))
    });
    group.finish();
}

criterion_group!(sanitize, benches);
