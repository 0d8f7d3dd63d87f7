//! The cockpit without a terminal, for measuring the Workloads budgets against a running
//! `flightdeck sim`: the real catalog and Kubernetes providers feeding the real `update`, with
//! effects carried out as the loop would. Prints the model's size, this process's resident
//! memory and the bytes live on its heap every few seconds; with `--crash-latency`, also how
//! long after the API first shows a crash-looping payments-api pod the model shows it.
//!
//! `cargo run --release --example workloads_headless -- --config <sim dir>/flightdeck.toml`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use flightdeck::clock::Clock;
use flightdeck::providers::{Context, Providers};
use flightdeck_core::keymap::Keymap;
use flightdeck_core::message::{Effect, Msg};
use flightdeck_core::model::workloads::PodReason;
use flightdeck_core::update::update;
use tokio::sync::mpsc;

/// The system allocator, counting the bytes live on the heap and their peak, so a reading can
/// tell the data the process holds from what the allocator keeps of what was freed.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is passed to `System` unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is `System`'s.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Started as the cockpit's `main` starts: allocator settings first, then the same runtime.
fn main() -> Result<(), String> {
    flightdeck::memory::limit_arenas();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?
        .block_on(run())
}

async fn run() -> Result<(), String> {
    tokio::spawn(flightdeck::memory::trim_every(
        flightdeck::memory::TRIM_EVERY,
    ));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let path =
        arg("--config").ok_or("--config <flightdeck.toml written by the sim> is required")?;
    let seconds: u64 = arg("--seconds").and_then(|s| s.parse().ok()).unwrap_or(60);
    let every: u64 = arg("--every").and_then(|s| s.parse().ok()).unwrap_or(5);
    let crash_latency = std::env::args().any(|a| a == "--crash-latency");
    let loaded =
        flightdeck::config::load(std::path::Path::new(&path)).map_err(|e| e.to_string())?;
    let mut config = loaded.config.clone();
    // Only this domain and the catalog that names its services.
    config.github = None;
    config.gitlab = None;
    config.alertmanager.clear();
    config.catalog.backstage = None;
    let clock = Clock::System;
    let mut model =
        flightdeck::startup::model(&config, Keymap::defaults(), true, clock.now(), &loaded.path);
    let (tx, mut rx) = mpsc::channel(1024);
    let mut providers = Providers::start(
        &config,
        &Context {
            tx,
            clock: clock.clone(),
            read_only: true,
        },
    );

    let api_crash = if crash_latency {
        Some(tokio::spawn(first_api_crash(config.kubernetes.clone())))
    } else {
        None
    };
    let started = Instant::now();
    let mut next_report = started;
    let mut model_crash: Option<Instant> = None;
    let mut messages = 0u64;
    while started.elapsed() < Duration::from_secs(seconds) {
        let msg = tokio::select! {
            m = rx.recv() => m,
            _ = tokio::time::sleep(Duration::from_millis(200)) => Some(Msg::Tick(clock.now())),
        };
        let Some(msg) = msg else { break };
        messages += 1;
        for e in update(&mut model, msg) {
            match e {
                Effect::Targets(_) | Effect::Refresh(_) | Effect::Workloads(_) => {
                    providers.dispatch(&e)
                }
                _ => {}
            }
        }
        if model_crash.is_none()
            && model
                .workloads
                .troubled_pods("component:default/payments-api")
                .iter()
                .any(|p| {
                    matches!(
                        p.reason.as_deref(),
                        Some(PodReason::CrashLoopBackOff { .. })
                    )
                })
        {
            model_crash = Some(Instant::now());
        }
        if Instant::now() >= next_report {
            next_report += Duration::from_secs(every);
            println!(
                "t={:>4}s pods={} workloads={} events={} msgs={} VmRSS={} kB VmHWM={} kB heap={} kB heap-peak={} kB (RssAnon={} kB RssFile={} kB)",
                started.elapsed().as_secs(),
                model.workloads.pods.len(),
                model.workloads.workloads.len(),
                model.workloads.events.len(),
                messages,
                status_kb("VmRSS:"),
                status_kb("VmHWM:"),
                LIVE.load(Ordering::Relaxed) / 1024,
                PEAK.load(Ordering::Relaxed) / 1024,
                status_kb("RssAnon:"),
                status_kb("RssFile:"),
            );
        }
        if let (Some(api), Some(seen)) = (api_crash.as_ref(), model_crash)
            && api.is_finished()
        {
            break_with_latency(api_crash, seen).await;
            return Ok(());
        }
    }
    Ok(())
}

async fn break_with_latency(api: Option<tokio::task::JoinHandle<Option<Instant>>>, seen: Instant) {
    if let Some(api) = api
        && let Ok(Some(at)) = api.await
    {
        let ms = seen.saturating_duration_since(at).as_millis();
        println!(
            "crash-latency: the model showed CrashLoopBackOff {ms} ms after the API first listed it"
        );
    }
}

/// When the API first lists a payments-api pod in CrashLoopBackOff, polled every 50 ms.
async fn first_api_crash(k: Option<flightdeck::config::KubernetesSource>) -> Option<Instant> {
    use k8s_openapi::api::core::v1::Pod;
    let path = k?.kubeconfig?;
    let kc = kube::config::Kubeconfig::read_from(path).ok()?;
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .ok()?;
    let client = kube::Client::try_from(config).ok()?;
    let api: kube::Api<Pod> = kube::Api::namespaced(client, "payments");
    let lp = kube::api::ListParams::default().labels("backstage.io/kubernetes-id=payments-api");
    loop {
        if let Ok(list) = api.list(&lp).await
            && list.items.iter().any(|p| {
                flightdeck::providers::kubernetes::convert::pod(
                    p,
                    &flightdeck::providers::kubernetes::convert::NoServices,
                )
                .is_some_and(|p| {
                    matches!(
                        p.reason.as_deref(),
                        Some(PodReason::CrashLoopBackOff { .. })
                    )
                })
            })
        {
            return Some(Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
