//! The sim's `/metrics`: every service's golden signals in Prometheus' text exposition format,
//! shaped by the world's story, so a real Prometheus can scrape the organisation and evaluate the
//! alert rules shipped beside this module (`prometheus/alerts.rules.yml`).
//!
//! Counters are closed-form integrals of piecewise-constant rates over story time, so they are
//! monotonic and any scrape at any instant agrees with every other. They advance by story seconds
//! divided by the sim's speed: `rate()` over wall time then reads the nominal per-second rates
//! (a service's 20 req/s stays 20 req/s at ten times speed), while the story's shape (the bad
//! deploy's errors and latency) keeps its place on the story's time line.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::{DateTime, Utc};

use super::Shared;
use super::world::{
    self, BAD_DEPLOY_LANDS, CYCLE, FIX_DEPLOY_LANDS, Service, Trouble, World, hash_str,
};

/// The alert rules Prometheus evaluates against these metrics (HighErrorRate, HighLatency,
/// MemoryAtLimit), shipped with the sim so tests and `flightdeck sim` load the same file.
pub const ALERT_RULES: &str = include_str!("../prometheus/alerts.rules.yml");

/// The content type of the text exposition format, version 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of the latency histogram's buckets, in seconds (`+Inf` follows).
pub const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Share of requests at or under each bucket's bound while a typical service is healthy (median
/// about 35 ms, p99 at 500 ms; each service is this stretched by its `latency_scale`)…
const HEALTHY_CDF: [f64; 11] = [
    0.02, 0.08, 0.35, 0.70, 0.90, 0.97, 0.99, 0.997, 0.9995, 1.0, 1.0,
];
/// …and while its bad deploy runs (median about 250 ms, p99 near 5 s).
const DEGRADED_CDF: [f64; 11] = [
    0.01, 0.03, 0.10, 0.25, 0.40, 0.50, 0.70, 0.85, 0.97, 0.99, 1.0,
];
/// Mean latency of each regime for a typical service, in seconds: what `_sum` grows by per
/// request.
const HEALTHY_MEAN: f64 = 0.045;
const DEGRADED_MEAN: f64 = 0.6;
/// Share of requests answered 5xx in each regime (healthy: see `healthy_errors`), and 404
/// always.
const DEGRADED_ERRORS: f64 = 0.25;
const NOT_FOUND: f64 = 0.01;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/metrics", get(metrics_get))
        .route("/-/healthy", get(|| async { "ok" }))
        .with_state(shared)
}

async fn metrics_get(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let now = shared.story_now();
    // Services launched from templates are scraped once their pods run, like the others.
    let launched: Vec<&'static Service> = flightdeck_core::sync::lock(&shared.created)
        .launches
        .iter()
        .filter(|l| l.live_at() <= now)
        .map(|l| l.service)
        .collect();
    let services: Vec<&Service> = shared.world.services.iter().chain(launched).collect();
    let body = exposition_of(&services, now, shared.clock.speed());
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], body)
}

/// A Prometheus config that scrapes this sim every `interval` (e.g. `1s`), evaluates the rules
/// in `rules_file` as often, and sends alerts to `alertmanager` (`host:port`) when given.
pub fn prometheus_config(
    metrics_url: &str,
    rules_file: &std::path::Path,
    alertmanager: Option<&str>,
    interval: &str,
) -> String {
    let target = metrics_url
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let mut out = format!(
        "global:\n  scrape_interval: {interval}\n  evaluation_interval: {interval}\nrule_files:\n  - \"{}\"\nscrape_configs:\n  - job_name: flightdeck-sim\n    static_configs:\n      - targets: [\"{target}\"]\n",
        rules_file.display()
    );
    if let Some(am) = alertmanager {
        let am = am.trim_start_matches("http://").trim_end_matches('/');
        let _ = write!(
            out,
            "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [\"{am}\"]\n"
        );
    }
    out
}

/// Story seconds since the epoch spent in the bad deploy's window of some cycle, up to `s`.
fn degraded_seconds(s: f64) -> f64 {
    let cycle = CYCLE.num_seconds() as f64;
    let from = BAD_DEPLOY_LANDS.num_seconds() as f64;
    let to = FIX_DEPLOY_LANDS.num_seconds() as f64;
    let full = (s / cycle).floor();
    let into = s - full * cycle;
    full * (to - from) + (into - from).clamp(0.0, to - from)
}

/// Whether `service` is degraded at story time `at`: the story's incident between its bad
/// deploy landing and the fix landing.
pub fn degraded(service: &Service, at: DateTime<Utc>) -> bool {
    if !service.incident {
        return false;
    }
    let into = (at - world::epoch())
        .num_seconds()
        .rem_euclid(CYCLE.num_seconds());
    (BAD_DEPLOY_LANDS.num_seconds()..FIX_DEPLOY_LANDS.num_seconds()).contains(&into)
}

/// A service's nominal request rate, requests per second: 5 to 44, stable for its name.
pub fn request_rate(service: &Service) -> f64 {
    5.0 + (hash_str(&service.name) % 40) as f64
}

/// How much slower or faster than the typical one a healthy service answers: 0.4 to 1.6 times,
/// stable for its name, so the services' p99s differ (from about 200 ms to under a second, as
/// Prometheus estimates them from the buckets) as real ones do, all under the HighLatency rule's
/// second.
pub fn latency_scale(service: &Service) -> f64 {
    0.4 + (hash_str(&format!("{}/latency", service.name)) % 13) as f64 * 0.1
}

/// Share of requests a healthy service answers 5xx: 0.05% to 0.4%, stable for its name, far
/// under the HighErrorRate rule's 5%.
pub fn healthy_errors(service: &Service) -> f64 {
    0.0005 + (hash_str(&format!("{}/errors", service.name)) % 8) as f64 * 0.0005
}

/// The healthy share of requests at or under `bound` seconds for a service `scale` times the
/// typical latency: the typical CDF read at `bound / scale`, linear between its bucket bounds.
fn healthy_cdf(bound: f64, scale: f64) -> f64 {
    let x = bound / scale;
    let mut from = (0.0, 0.0);
    for (le, share) in BUCKETS.iter().zip(HEALTHY_CDF) {
        if x <= *le {
            return from.1 + (share - from.1) * (x - from.0) / (le - from.0);
        }
        from = (*le, share);
    }
    1.0
}

/// Memory limit (and request) of a service's containers in bytes, as the sim's Kubernetes
/// renders them: 512Mi for Java and Python, 256Mi otherwise.
pub fn memory_limit(service: &Service) -> f64 {
    let mib = if matches!(service.language.as_str(), "java" | "python") {
        512.0
    } else {
        256.0
    };
    mib * 1024.0 * 1024.0
}

/// What one scrape of the organisation reads at story time `at`, for a sim running at `speed`.
pub fn exposition(world: &World, at: DateTime<Utc>, speed: f64) -> String {
    let services: Vec<&Service> = world.services.iter().collect();
    exposition_of(&services, at, speed)
}

/// [`exposition`] of these services (the world's, and any launched since).
pub fn exposition_of(services: &[&Service], at: DateTime<Utc>, speed: f64) -> String {
    let speed = if speed > 0.0 { speed } else { 1.0 };
    // Story seconds since the epoch, in wall seconds: what counters integrate over.
    let story = ((at - world::epoch()).num_milliseconds().max(0) as f64) / 1000.0;
    let wall = story / speed;
    let bad_wall = degraded_seconds(story) / speed;
    let mut out = String::with_capacity(services.len() * 4096);

    out.push_str("# HELP http_requests_total Requests served, by status code.\n");
    out.push_str("# TYPE http_requests_total counter\n");
    for svc in services {
        let bad = if svc.incident { bad_wall } else { 0.0 };
        let good = wall - bad;
        let total = request_rate(svc) * wall;
        let errors = request_rate(svc) * (good * healthy_errors(svc) + bad * DEGRADED_ERRORS);
        let missing = total * NOT_FOUND;
        for (code, v) in [
            ("200", total - errors - missing),
            ("404", missing),
            ("500", errors),
        ] {
            let _ = writeln!(
                out,
                "http_requests_total{{service=\"{}\",namespace=\"{}\",code=\"{code}\"}} {}",
                svc.name,
                svc.namespace,
                num(v)
            );
        }
    }

    out.push_str("# HELP http_request_duration_seconds Time to answer a request.\n");
    out.push_str("# TYPE http_request_duration_seconds histogram\n");
    for svc in services {
        let rate = request_rate(svc);
        let bad = if svc.incident { bad_wall } else { 0.0 };
        let good_n = rate * (wall - bad);
        let bad_n = rate * bad;
        let labels = format!("service=\"{}\",namespace=\"{}\"", svc.name, svc.namespace);
        let scale = latency_scale(svc);
        for (i, le) in BUCKETS.iter().enumerate() {
            let v = good_n * healthy_cdf(*le, scale) + bad_n * DEGRADED_CDF[i];
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {}",
                num(v)
            );
        }
        let _ = writeln!(
            out,
            "http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
            num(good_n + bad_n)
        );
        let _ = writeln!(
            out,
            "http_request_duration_seconds_sum{{{labels}}} {}",
            num(good_n * HEALTHY_MEAN * scale + bad_n * DEGRADED_MEAN)
        );
        let _ = writeln!(
            out,
            "http_request_duration_seconds_count{{{labels}}} {}",
            num(good_n + bad_n)
        );
    }

    containers(&mut out, services, at, wall, bad_wall);
    out
}

/// Pod slot names: `<service>-<n>`. They name the replica, not the Kubernetes pod (whose name
/// changes with each ReplicaSet), which is what a saturation chart needs.
fn pod(svc: &Service, i: usize) -> String {
    format!("{}-{i}", svc.name)
}

/// cAdvisor- and kube-state-metrics-like container series: CPU used against its request and
/// limit, memory working set against its request and limit.
fn containers(
    out: &mut String,
    services: &[&Service],
    at: DateTime<Utc>,
    wall: f64,
    bad_wall: f64,
) {
    out.push_str("# HELP container_cpu_usage_seconds_total CPU time used by the container.\n");
    out.push_str("# TYPE container_cpu_usage_seconds_total counter\n");
    for svc in services {
        // A core's share per pod: 0.05 to 0.14, tripled while the bad version spins.
        let base = 0.05 + (hash_str(&svc.name) % 10) as f64 / 100.0;
        let bad = if svc.incident { bad_wall } else { 0.0 };
        let used = base * (wall - bad) + base * 3.0 * bad;
        for i in 0..svc.replicas {
            let _ = writeln!(
                out,
                "container_cpu_usage_seconds_total{{service=\"{}\",namespace=\"{}\",pod=\"{}\",container=\"{}\"}} {}",
                svc.name,
                svc.namespace,
                pod(svc, i),
                svc.name,
                num(used * (1.0 + i as f64 * 0.05))
            );
        }
    }
    out.push_str("# HELP container_memory_working_set_bytes Memory the container uses.\n");
    out.push_str("# TYPE container_memory_working_set_bytes gauge\n");
    // A slow sawtooth over the cycle, so the line is not flat.
    let phase = ((at - world::epoch())
        .num_seconds()
        .rem_euclid(CYCLE.num_seconds()) as f64)
        / CYCLE.num_seconds() as f64;
    for svc in services {
        let limit = memory_limit(svc);
        for i in 0..svc.replicas {
            // The OOM-killed pod (slot 0 of a service with that trouble) sits at its limit.
            let used = if svc.trouble == Trouble::OomKills && i == 0 {
                limit
            } else {
                limit * (0.45 + 0.2 * phase + 0.03 * i as f64)
            };
            let _ = writeln!(
                out,
                "container_memory_working_set_bytes{{service=\"{}\",namespace=\"{}\",pod=\"{}\",container=\"{}\"}} {}",
                svc.name,
                svc.namespace,
                pod(svc, i),
                svc.name,
                num(used.floor())
            );
        }
    }
    for (metric, help, cpu) in [
        (
            "kube_pod_container_resource_requests",
            "Resources the container requests.",
            0.1,
        ),
        (
            "kube_pod_container_resource_limits",
            "Resource limits of the container.",
            1.0,
        ),
    ] {
        let _ = writeln!(out, "# HELP {metric} {help}");
        let _ = writeln!(out, "# TYPE {metric} gauge");
        for svc in services {
            for i in 0..svc.replicas {
                let labels = format!(
                    "service=\"{}\",namespace=\"{}\",pod=\"{}\",container=\"{}\"",
                    svc.name,
                    svc.namespace,
                    pod(svc, i),
                    svc.name
                );
                let _ = writeln!(
                    out,
                    "{metric}{{{labels},resource=\"cpu\",unit=\"core\"}} {}",
                    num(cpu)
                );
                let _ = writeln!(
                    out,
                    "{metric}{{{labels},resource=\"memory\",unit=\"byte\"}} {}",
                    num(memory_limit(svc))
                );
            }
        }
    }
}

/// A sample value as the format writes it: shortest round-trip decimal.
fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        "NaN".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::SimConfig;
    use chrono::Duration;

    fn value(text: &str, series: &str) -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
            .unwrap_or(f64::NAN)
    }

    #[test]
    fn counters_only_grow_and_the_bad_deploy_raises_errors() {
        let w = World::new(SimConfig::default());
        let at = |m: i64| world::epoch() + Duration::minutes(m);
        let errors =
            "http_requests_total{service=\"payments-api\",namespace=\"payments\",code=\"500\"}";
        let total_ok =
            "http_requests_total{service=\"payments-api\",namespace=\"payments\",code=\"200\"}";
        let mut last = (0.0, 0.0);
        for m in 0..70 {
            let text = exposition(&w, at(m), 10.0);
            let now = (value(&text, errors), value(&text, total_ok));
            assert!(
                now.0 >= last.0 && now.1 >= last.1,
                "minute {m}: {now:?} < {last:?}"
            );
            last = now;
        }
        // Errors per minute: healthy before the bad deploy lands, a quarter of requests after.
        let per_minute = |m: i64| {
            value(&exposition(&w, at(m + 1), 10.0), errors)
                - value(&exposition(&w, at(m), 10.0), errors)
        };
        let svc = w.service("payments-api").expect("the incident's service");
        let requests = request_rate(svc) * 6.0; // a story minute is 6 wall seconds at 10x
        assert!((per_minute(1) / requests - healthy_errors(svc)).abs() < 1e-9);
        assert!((per_minute(8) / requests - DEGRADED_ERRORS).abs() < 1e-9);
        assert!((per_minute(25) / requests - healthy_errors(svc)).abs() < 1e-9);
    }

    #[test]
    fn healthy_services_differ_within_the_rules_and_the_typical_one_is_the_table() {
        // The typical service (scale 1) reads the table at its own bounds.
        for (le, share) in BUCKETS.iter().zip(HEALTHY_CDF) {
            assert!((healthy_cdf(*le, 1.0) - share).abs() < 1e-12, "{le}");
        }
        let w = World::new(SimConfig::default());
        let p99 = |scale: f64| {
            // The bound where the stretched CDF reaches 0.99 is the typical p99 times the scale.
            let mut x = 0.001;
            while healthy_cdf(x, scale) < 0.99 {
                x += 0.001;
            }
            x
        };
        let scales: std::collections::BTreeSet<u64> = w
            .services
            .iter()
            .map(|s| (latency_scale(s) * 10.0).round() as u64)
            .collect();
        assert!(
            scales.len() > 3,
            "the services' latencies differ: {scales:?}"
        );
        for svc in &w.services {
            assert!(
                p99(latency_scale(svc)) < 1.0,
                "{}: under HighLatency",
                svc.name
            );
            assert!(
                healthy_errors(svc) < 0.05 / 10.0,
                "{}: far under HighErrorRate",
                svc.name
            );
            let mut last = 0.0;
            for le in BUCKETS {
                let share = healthy_cdf(le, latency_scale(svc));
                assert!(
                    (last..=1.0).contains(&share),
                    "{}: cumulative at {le}",
                    svc.name
                );
                last = share;
            }
        }
    }

    #[test]
    fn buckets_are_cumulative_and_the_oom_pod_sits_at_its_limit() {
        let w = World::new(SimConfig::default());
        let text = exposition(&w, world::epoch() + Duration::minutes(9), 10.0);
        let svc = "service=\"payments-api\",namespace=\"payments\"";
        let mut prev = 0.0;
        for le in BUCKETS
            .iter()
            .map(|b| b.to_string())
            .chain(["+Inf".to_string()])
        {
            let v = value(
                &text,
                &format!("http_request_duration_seconds_bucket{{{svc},le=\"{le}\"}}"),
            );
            assert!(v >= prev, "bucket {le}");
            prev = v;
        }
        let oom = w
            .services
            .iter()
            .find(|s| s.trouble == Trouble::OomKills)
            .expect("a service with OOM kills");
        let used = value(
            &text,
            &format!(
                "container_memory_working_set_bytes{{service=\"{0}\",namespace=\"{1}\",pod=\"{0}-0\",container=\"{0}\"}}",
                oom.name, oom.namespace
            ),
        );
        assert_eq!(used, memory_limit(oom));
    }
}
