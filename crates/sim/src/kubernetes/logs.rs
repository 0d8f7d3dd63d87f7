//! Container logs as a pure function of the pod, the container instance and sim time, so
//! `kubectl logs`, `--tail`, `--since`, `--previous` and `-f` all agree without storing a line.
//! Each language writes the way its usual logger does (JSON, plain, ANSI-coloured), a few
//! lines are errors, and a crashing instance ends with its stack trace.

use chrono::{Duration, SecondsFormat};

use super::model::{Behaviour, CRASH_RUN, Ending, Instance, PodObj, Time};
use crate::world::{SimClock, hash, hash_str};

/// Lines kept per container instance, as kubelet's log rotation would.
const RETAINED: i64 = 100_000;
/// Lines an instance writes while starting.
const STARTUP: [&str; 3] = ["starting", "listening", "connected"];

/// One log line with its timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub at: Time,
    pub text: String,
}

/// Lines of `instance` with story timestamps in `(after, until]`, the last `tail` of them. The
/// text carries the wall time each line is served as, as a real logger's would.
pub fn lines(
    c: &SimClock,
    pod: &PodObj,
    instance: &Instance,
    after: Option<Time>,
    until: Time,
    tail: Option<i64>,
    interval: Duration,
) -> Vec<Line> {
    let until = match instance.end {
        Some((end, _)) => until.min(end),
        None => until,
    };
    if pod.behaviour == Behaviour::CrashLoop {
        let mut all = crash_script(c, pod, instance);
        all.retain(|l| l.at <= until && after.is_none_or(|a| l.at > a));
        if let Some(n) = tail {
            let drop = all.len().saturating_sub(n.max(0) as usize);
            all.drain(..drop);
        }
        return all;
    }
    let interval_ns = interval
        .num_nanoseconds()
        .unwrap_or(1_000_000_000)
        .max(1_000);
    let key = hash_str(&pod.name) ^ u64::from(instance.attempt);
    // Each pod's lines sit at its own phase inside the interval, so pods do not log in step.
    let phase = (hash(9, &[key]) % interval_ns as u64) as i64;
    let origin = instance.start + Duration::nanoseconds(phase);
    let index_at = |t: Time| (t - origin).num_nanoseconds().unwrap_or(i64::MAX);
    let hi_ns = index_at(until);
    if hi_ns < 0 {
        return Vec::new();
    }
    let hi = hi_ns / interval_ns;
    let mut lo = match after {
        Some(a) => {
            let ns = index_at(a);
            if ns < 0 { 0 } else { ns / interval_ns + 1 }
        }
        None => 0,
    };
    lo = lo.max(hi - RETAINED + 1);
    if let Some(n) = tail {
        lo = lo.max(hi - n.max(0) + 1);
    }
    let oom_end = matches!(instance.end, Some((_, Ending::OomKilled)));
    (lo.max(0)..=hi)
        .map(|n| {
            let at = origin + Duration::nanoseconds(n * interval_ns);
            let last = oom_end && n == hi;
            Line {
                at,
                text: line(pod, instance, n, c.wall(at), last),
            }
        })
        .collect()
}

/// The path a service serves, for request lines.
fn route(service: &str) -> String {
    let base = service.split('-').next().unwrap_or(service);
    format!("/v1/{base}")
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Info,
    Warn,
    Error,
}

fn line(pod: &PodObj, instance: &Instance, n: i64, at: Time, oom_soon: bool) -> String {
    let w = &pod.workload;
    let h = hash(
        11,
        &[hash_str(&pod.name), u64::from(instance.attempt), n as u64],
    );
    let (level, msg, fields): (Level, String, Vec<(&str, String)>) = if n < STARTUP.len() as i64 {
        match STARTUP[n as usize] {
            "starting" => (
                Level::Info,
                format!("starting {}", w.name),
                vec![(
                    "version",
                    pod.image.rsplit(':').next().unwrap_or_default().to_string(),
                )],
            ),
            "listening" => (
                Level::Info,
                "listening".into(),
                vec![("addr", format!("0.0.0.0:{}", w.port))],
            ),
            _ => (
                Level::Info,
                "connected to upstreams".into(),
                vec![("pool_size", "20".into())],
            ),
        }
    } else if oom_soon {
        (
            Level::Warn,
            "heap usage above 95% of the container limit".into(),
            vec![("used_mib", "503".into()), ("limit_mib", "512".into())],
        )
    } else if h % 100 < 3 {
        let upstream =
            ["ledger", "inventory", "fraud-check", "catalog-search"][(h >> 8) as usize % 4];
        (
            Level::Error,
            format!("upstream {upstream} timed out"),
            vec![
                ("timeout_ms", "2000".into()),
                ("attempt", ((h >> 12) % 3 + 1).to_string()),
            ],
        )
    } else if h % 100 < 7 {
        (
            Level::Warn,
            "slow request".into(),
            vec![
                ("path", format!("{}/{}", route(&w.name), (h >> 16) % 10_000)),
                ("duration_ms", (800 + (h >> 20) % 1200).to_string()),
            ],
        )
    } else {
        let method = if h.is_multiple_of(5) { "POST" } else { "GET" };
        let status = if h.is_multiple_of(41) {
            404
        } else if h.is_multiple_of(3) && method == "POST" {
            201
        } else {
            200
        };
        (
            Level::Info,
            "request served".into(),
            vec![
                ("method", method.into()),
                ("path", format!("{}/{}", route(&w.name), (h >> 16) % 10_000)),
                ("status", status.to_string()),
                ("duration_ms", (2 + (h >> 24) % 60).to_string()),
            ],
        )
    };
    format_line(&w.language, &w.name, at, level, &msg, &fields, h)
}

fn format_line(
    language: &str,
    service: &str,
    at: Time,
    level: Level,
    msg: &str,
    fields: &[(&str, String)],
    h: u64,
) -> String {
    let millis = at.to_rfc3339_opts(SecondsFormat::Millis, true);
    let kv = |sep: &str| {
        fields
            .iter()
            .map(|(k, v)| format!("{k}{sep}{v}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    match language {
        // Go services log zap-style JSON.
        "go" => {
            let mut obj = serde_json::json!({
                "level": match level { Level::Info => "info", Level::Warn => "warn", Level::Error => "error" },
                "ts": millis,
                "caller": format!("server/handler.go:{}", 40 + h % 200),
                "msg": msg,
            });
            for (k, v) in fields {
                obj[*k] = v.parse::<i64>().map_or_else(
                    |_| serde_json::Value::from(v.as_str()),
                    serde_json::Value::from,
                );
            }
            obj.to_string()
        }
        // Node services log pino JSON with numeric levels and epoch millis.
        "typescript" => {
            let mut obj = serde_json::json!({
                "level": match level { Level::Info => 30, Level::Warn => 40, Level::Error => 50 },
                "time": at.timestamp_millis(),
                "pid": 1,
                "hostname": service,
                "msg": msg,
            });
            for (k, v) in fields {
                obj[*k] = serde_json::Value::from(v.as_str());
            }
            obj.to_string()
        }
        // Rust services log with tracing's coloured formatter.
        "rust" => {
            let lvl = match level {
                Level::Info => "\x1b[32m INFO\x1b[0m",
                Level::Warn => "\x1b[33m WARN\x1b[0m",
                Level::Error => "\x1b[31mERROR\x1b[0m",
            };
            let kv = fields
                .iter()
                .map(|(k, v)| format!("\x1b[3m{k}\x1b[0m\x1b[2m=\x1b[0m{v}"))
                .collect::<Vec<_>>()
                .join(" ");
            let micros = at.to_rfc3339_opts(SecondsFormat::Micros, true);
            format!(
                "\x1b[2m{micros}\x1b[0m {lvl} \x1b[2m{}::http\x1b[0m\x1b[2m:\x1b[0m {msg} {kv}",
                service.replace('-', "_")
            )
        }
        // Python services run under uvicorn, whose level names are coloured.
        "python" => {
            let lvl = match level {
                Level::Info => "\x1b[32mINFO\x1b[0m",
                Level::Warn => "\x1b[33mWARNING\x1b[0m",
                Level::Error => "\x1b[31mERROR\x1b[0m",
            };
            format!("{lvl}:     {msg} {}", kv("="))
        }
        // JVM services log through logback's default pattern.
        _ => {
            let lvl = match level {
                Level::Info => " INFO",
                Level::Warn => " WARN",
                Level::Error => "ERROR",
            };
            let pkg = service.split('-').next().unwrap_or(service);
            format!(
                "{millis} {lvl} 1 --- [nio-8080-exec-{}] c.a.{pkg}.http.RequestLogger : {msg} {}",
                1 + h % 10,
                kv("=")
            )
        }
    }
}

/// A broken build's life: it starts, fails to get its connection pool, and dies.
fn crash_script(c: &SimClock, pod: &PodObj, instance: &Instance) -> Vec<Line> {
    let w = &pod.workload;
    let s = instance.start;
    let step = |ms: i64| s + Duration::milliseconds(ms);
    let h = hash_str(&pod.name);
    let mut out = Vec::new();
    for (i, (level, msg, fields)) in [
        (
            Level::Info,
            format!("starting {}", w.name),
            vec![(
                "version",
                pod.image.rsplit(':').next().unwrap_or_default().to_string(),
            )],
        ),
        (
            Level::Info,
            "loading configuration".to_string(),
            vec![("pool.connection_timeout", "30s".to_string())],
        ),
        (
            Level::Warn,
            "connection pool timeout exceeds the database's statement timeout".to_string(),
            vec![("statement_timeout", "15s".to_string())],
        ),
        (
            Level::Info,
            "connecting to upstreams".to_string(),
            vec![("pool_size", "20".to_string())],
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let at = step(300 + 700 * i as i64);
        out.push(Line {
            at,
            text: format_line(&w.language, &w.name, c.wall(at), level, &msg, &fields, h),
        });
    }
    let end = s + CRASH_RUN;
    let trace: Vec<String> = match w.language.as_str() {
        "java" | "kotlin" => {
            let pkg = w.name.split('-').next().unwrap_or(&w.name).to_string();
            vec![
                format!("Exception in thread \"main\" java.lang.IllegalStateException: HikariPool-1 - connectionTimeout (30000ms) must be lower than the database statement_timeout (15000ms)"),
                "\tat com.zaxxer.hikari.HikariConfig.validateNumerics(HikariConfig.java:1142)".into(),
                "\tat com.zaxxer.hikari.HikariConfig.validate(HikariConfig.java:1049)".into(),
                format!("\tat com.acme.{pkg}.db.PoolFactory.create(PoolFactory.java:58)"),
                format!("\tat com.acme.{pkg}.Application.start(Application.java:41)"),
                format!("\tat com.acme.{pkg}.Application.main(Application.java:23)"),
            ]
        }
        "go" => vec![
            "panic: pool: connection timeout 30s must be lower than statement timeout 15s".into(),
            String::new(),
            "goroutine 1 [running]:".into(),
            "main.mustOpenPool({0xc0000a4000, 0x1e})".into(),
            "\t/src/cmd/server/main.go:88 +0x1c5".into(),
            "main.main()".into(),
            "\t/src/cmd/server/main.go:41 +0x9a".into(),
        ],
        "python" => vec![
            "Traceback (most recent call last):".into(),
            "  File \"/app/main.py\", line 41, in <module>".into(),
            "    pool = open_pool(settings)".into(),
            "  File \"/app/db.py\", line 88, in open_pool".into(),
            "    raise ValueError(\"connection timeout 30s must be lower than statement timeout 15s\")".into(),
            "ValueError: connection timeout 30s must be lower than statement timeout 15s".into(),
        ],
        "rust" => vec![
            format!("thread 'main' panicked at src/db.rs:88:14:"),
            "pool: connection timeout 30s must be lower than statement timeout 15s".into(),
            "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace".into(),
        ],
        _ => vec![
            "/app/dist/db.js:88".into(),
            "    throw new Error('connection timeout 30s must be lower than statement timeout 15s');".into(),
            "    ^".into(),
            String::new(),
            "Error: connection timeout 30s must be lower than statement timeout 15s".into(),
            "    at openPool (/app/dist/db.js:88:11)".into(),
            "    at main (/app/dist/main.js:41:18)".into(),
        ],
    };
    out.extend(trace.into_iter().map(|text| Line { at: end, text }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;
    use crate::kubernetes::model::{Labels, Timeline, Workload};
    use crate::world::{self, World};
    use std::sync::Arc;

    fn pod(service: &str, behaviour: Behaviour) -> PodObj {
        let world = World::new(SimConfig::default());
        let svc = world.service(service).expect("a core service");
        let w = Arc::new(Workload::from_service(svc));
        PodObj {
            name: format!("{service}-abc-def"),
            slot: 0,
            rs_name: format!("{service}-abc"),
            labels: Labels {
                base: w.labels.clone(),
                template_hash: Some("abc".into()),
            },
            template_annotations: vec![],
            image: format!("ghcr.io/acme/{service}:1234567"),
            node: Arc::from("node"),
            node_ip: Arc::from("10.0.0.1"),
            ip: "10.244.0.2".into(),
            created: world::epoch(),
            deleting: None,
            behaviour,
            timeline: Timeline {
                current: None,
                previous: None,
                waiting: None,
                ready: true,
                restarts: 0,
                pull_attempts: 0,
                first_backoff: None,
                last_backoff: None,
            },
            workload: w,
        }
    }

    #[test]
    fn tail_and_since_select_the_same_lines_as_a_full_read() {
        let clock = SimClock::new(1.0);
        let p = pod("ledger", Behaviour::Healthy);
        let inst = Instance {
            start: world::epoch(),
            end: None,
            attempt: 0,
        };
        let until = world::epoch() + Duration::minutes(10);
        let every = Duration::seconds(2);
        let all = lines(&clock, &p, &inst, None, until, None, every);
        assert_eq!(all.len(), 300);
        let tail = lines(&clock, &p, &inst, None, until, Some(10), every);
        assert_eq!(tail, all[290..]);
        let after = all[100].at;
        let since = lines(&clock, &p, &inst, Some(after), until, None, every);
        assert_eq!(since, all[101..]);
        assert!(
            all.iter().any(|l| l.text.contains("\x1b[")),
            "rust services colour their lines"
        );
        assert!(
            all.iter().any(|l| l.text.contains("ERROR")),
            "some lines are errors"
        );
    }

    #[test]
    fn a_crashing_instance_ends_with_its_stack_trace() {
        let clock = SimClock::new(1.0);
        let p = pod("payments-api", Behaviour::CrashLoop);
        let start = world::epoch();
        let inst = Instance {
            start,
            end: Some((start + CRASH_RUN, Ending::Error)),
            attempt: 2,
        };
        let all = lines(
            &clock,
            &p,
            &inst,
            None,
            start + Duration::minutes(5),
            None,
            Duration::seconds(2),
        );
        let last = all.last().expect("lines");
        assert!(
            last.text.contains("at com.acme.payments.Application.main"),
            "{}",
            last.text
        );
        assert!(
            all.iter()
                .any(|l| l.text.starts_with("Exception in thread \"main\""))
        );
    }

    #[test]
    fn go_services_log_json() {
        let clock = SimClock::new(1.0);
        let p = pod("cart-service", Behaviour::Healthy);
        let inst = Instance {
            start: world::epoch(),
            end: None,
            attempt: 0,
        };
        let all = lines(
            &clock,
            &p,
            &inst,
            None,
            world::epoch() + Duration::minutes(1),
            None,
            Duration::seconds(1),
        );
        for l in &all {
            let v: serde_json::Value = serde_json::from_str(&l.text).expect("a JSON line");
            assert!(v.get("msg").is_some());
        }
    }
}
