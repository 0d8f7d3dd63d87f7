//! The Workloads domain end to end: the real providers and `update` against the sim's
//! Kubernetes API over HTTP (compared with what kube's own client and kubectl read), the
//! published payloads through the provider's conversion code, and `update` as a table.

use crate::common;
use crate::common::kubectl;
use crate::headless::Cockpit;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command as Process;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, ListParams, LogParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use rstest::rstest;
use serde_json::json;

use flightdeck::config::{self, Config, ServiceDecl};
use flightdeck::providers::kubernetes::convert::{self, NoServices};
use flightdeck_core::keymap::{Key, KeyCode, Keymap};
use flightdeck_core::message::workloads::{Command, Msg as WMsg};
use flightdeck_core::message::{Effect, Msg};
use flightdeck_core::model::workloads::{
    self as wl, Access, Change, Kind, LogLine, ObjRef, PodReason, Row, ScopeState, View,
};
use flightdeck_core::model::{Model, Overlay, Screen};
use flightdeck_core::update::update;
use flightdeck_sim::{Sim, SimConfig, StatRow};

/// A cockpit without a terminal on the sim's catalog and Kubernetes only, what this domain needs.
fn cockpit(sim: &Sim, read_only: bool, extra: impl FnOnce(&mut Config)) -> Cockpit {
    let loaded = config::load(&sim.flightdeck_config()).expect("the sim's config loads");
    let mut config = loaded.config.clone();
    config.github = None;
    config.gitlab = None;
    config.alertmanager.clear();
    config.catalog.backstage = None;
    extra(&mut config);
    Cockpit::start(&config, Keymap::defaults(), &loaded.path, read_only)
}

/// Puts the Workloads cursor on the row `pick` chooses.
fn select(c: &Cockpit, pick: impl Fn(&Row) -> bool) -> Row {
    let mut m = c.model();
    m.screen = Screen::Workloads;
    let i = m
        .workloads
        .rows
        .iter()
        .position(pick)
        .expect("the row is listed");
    let (rows, height) = (m.workloads.rows.len(), m.list_height);
    let list = m.list_mut(Screen::Workloads);
    list.cursor = list.cursor.to(i, rows, height);
    m.workloads.rows[i].clone()
}

async fn kube_client(sim: &Sim) -> kube::Client {
    let kc = Kubeconfig::read_from(sim.kubeconfig()).expect("the kubeconfig parses");
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("kube reads the kubeconfig");
    kube::Client::try_from(config).expect("a client")
}

async fn stats(sim: &Sim) -> Vec<StatRow> {
    reqwest::Client::new()
        .get(format!("{}/_sim/stats", sim.endpoints().kubernetes))
        .send()
        .await
        .expect("stats answer")
        .json()
        .await
        .expect("stats decode")
}

fn count(rows: &[StatRow], endpoint: &str) -> u64 {
    rows.iter()
        .filter(|r| r.key.service == "kubernetes" && r.key.endpoint == endpoint)
        .map(|r| r.count)
        .sum()
}

async fn fault(sim: &Sim, fault: serde_json::Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/_sim/faults", sim.endpoints().kubernetes))
        .json(&fault)
        .send()
        .await
        .expect("fault added");
    assert!(r.status().is_success(), "{}", r.status());
}

/// A frozen sim: the same objects at every instant, so two readers see the same state.
fn frozen() -> SimConfig {
    SimConfig {
        speed: 0.0,
        ..SimConfig::default()
    }
}

/// The pod is gone from the model, or shown terminating.
fn gone(m: &Model, name: &str) -> bool {
    m.workloads
        .pods
        .iter()
        .filter(|(k, _)| &*k.name == name)
        .all(|(_, p)| p.reason.as_deref() == Some(&PodReason::Terminating))
}

const SELECTOR: &str = "backstage.io/kubernetes-id";

fn model_pods(m: &Model) -> BTreeMap<(String, String), (String, u32, u16)> {
    m.workloads
        .pods
        .iter()
        .map(|(k, p)| {
            (
                (k.namespace.to_string(), k.name.to_string()),
                (p.phase.name().to_string(), p.restarts, p.ready),
            )
        })
        .collect()
}

fn api_pods(pods: &[Pod]) -> BTreeMap<(String, String), (String, u32, u16)> {
    pods.iter()
        .filter_map(|p| convert::pod(p, &NoServices))
        .map(|p| {
            (
                (p.namespace.to_string(), p.name.to_string()),
                (p.phase.name().to_string(), p.restarts, p.ready),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_deployments_and_events_match_the_api_and_kubectl() {
    let sim = Sim::start(frozen()).await.expect("the sim starts");
    let cockpit = cockpit(&sim, false, |_| {});
    let client = kube_client(&sim).await;
    let lp = ListParams::default().labels(SELECTOR);
    let pods: Vec<Pod> = Api::<Pod>::all(client.clone())
        .list(&lp)
        .await
        .expect("pods list")
        .items;
    // The restricted namespace is not the demo user's; the cockpit watches by namespace.
    let pods: Vec<Pod> = pods
        .into_iter()
        .filter(|p| p.metadata.namespace.as_deref() != Some("restricted"))
        .collect();
    let want = api_pods(&pods);
    assert!(
        want.len() >= 36,
        "the sim serves the services' pods: {}",
        want.len()
    );
    cockpit
        .wait("every pod", Duration::from_secs(20), |m| {
            model_pods(m) == want
        })
        .await;

    let deployments: Vec<Deployment> = Api::<Deployment>::all(client.clone())
        .list(&lp)
        .await
        .expect("deployments list")
        .items;
    let want: BTreeMap<String, (u32, u32, Option<u64>)> = deployments
        .iter()
        .filter(|d| d.metadata.namespace.as_deref() != Some("restricted"))
        .filter_map(|d| convert::deployment(d, &NoServices))
        .map(|d| (d.name, (d.desired, d.ready, d.revision)))
        .collect();
    cockpit
        .wait("every deployment", Duration::from_secs(10), |m| {
            let got: BTreeMap<String, (u32, u32, Option<u64>)> = m
                .workloads
                .workloads
                .iter()
                .filter(|((k, _), _)| *k == Kind::Deployment)
                .map(|((_, r), d)| (r.name.to_string(), (d.desired, d.ready, d.revision)))
                .collect();
            got == want
        })
        .await;

    let events: Vec<Event> = Api::<Event>::namespaced(client.clone(), "payments")
        .list(&ListParams::default())
        .await
        .expect("events")
        .items;
    let want: BTreeSet<String> = events
        .iter()
        .filter_map(|e| e.metadata.name.clone())
        .collect();
    assert!(!want.is_empty(), "the sim has events in payments");
    cockpit
        .wait("the events of payments", Duration::from_secs(10), |m| {
            let got: BTreeSet<String> = m
                .workloads
                .events
                .keys()
                .filter(|k| &*k.namespace == "payments")
                .map(|k| k.name.to_string())
                .collect();
            got == want
        })
        .await;

    // The roll-up the Overview shows agrees with the pods.
    cockpit.with(|m| {
        let s = m
            .workloads
            .pod_summary("component:default/payments-api")
            .expect("a summary for payments-api");
        assert_eq!(s.total, 3);
    });

    if let Some(kubectl) = kubectl() {
        let out = Process::new(kubectl)
            .args(["--kubeconfig"])
            .arg(sim.kubeconfig())
            .args(["get", "pods", "-A", "-l", SELECTOR, "-o", "json"])
            .output()
            .expect("kubectl runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let list: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("kubectl prints JSON");
        let names: BTreeSet<(String, String)> = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|p| {
                (
                    p["metadata"]["namespace"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    p["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )
            })
            .filter(|(ns, _)| ns != "restricted")
            .collect();
        let got: BTreeSet<(String, String)> = cockpit.with(|m| model_pods(m).into_keys().collect());
        assert_eq!(got, names, "the cockpit shows what kubectl get pods shows");
    } else {
        eprintln!("kubectl absent: compared with kube's client only");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_match_kubectl_logs() {
    let sim = Sim::start(frozen()).await.expect("the sim starts");
    let cockpit = cockpit(&sim, false, |_| {});
    cockpit
        .wait("pods", Duration::from_secs(20), |m| {
            m.workloads.pods.len() >= 36
        })
        .await;
    let row = select(
        &cockpit,
        |r| matches!(r, Row::Pod(k) if k.name.starts_with("ledger-")),
    );
    let Row::Pod(key) = row else {
        unreachable!("selected a pod row")
    };
    cockpit.key(Key::char('l'));
    cockpit.with(|m| assert_eq!(m.workloads.view, View::Logs));
    // A frozen sim writes nothing new: the tail is all there is.
    cockpit
        .wait("log lines", Duration::from_secs(10), |m| {
            m.workloads
                .logs
                .as_ref()
                .is_some_and(|l| l.lines.len() >= 20)
        })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ours: Vec<String> = cockpit.with(|m| {
        let logs = m.workloads.logs.as_ref().expect("a log view");
        logs.lines.iter().map(|l| l.text.clone()).collect()
    });
    let tail = ours.len().to_string();
    let theirs: Vec<String> = match kubectl() {
        Some(kubectl) => {
            let out = Process::new(kubectl)
                .arg("--kubeconfig")
                .arg(sim.kubeconfig())
                .args(["-n", &key.namespace, "logs", &key.name, "--tail", &tail])
                .output()
                .expect("kubectl runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(|l| flightdeck_core::sanitize::log_line(l).0)
                .collect()
        }
        None => {
            let api: Api<Pod> = Api::namespaced(kube_client(&sim).await, &key.namespace);
            let lp = LogParams {
                tail_lines: Some(ours.len() as i64),
                ..Default::default()
            };
            let text = api.logs(&key.name, &lp).await.expect("logs");
            text.lines()
                .map(|l| flightdeck_core::sanitize::log_line(l).0)
                .collect()
        }
    };
    assert_eq!(ours, theirs, "the cockpit's lines are kubectl's");

    // Leaving the view stops the stream; the buffer goes with it.
    cockpit.key(Key::new(KeyCode::Esc));
    cockpit.with(|m| {
        assert_eq!(m.workloads.view, View::List);
        assert!(m.workloads.logs.is_none());
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_scale_and_delete_change_the_sim_after_confirmation() {
    let sim = Sim::start(frozen()).await.expect("the sim starts");
    let cockpit = cockpit(&sim, false, |_| {});
    cockpit
        .wait("pods", Duration::from_secs(20), |m| {
            m.workloads.pods.len() >= 36
        })
        .await;
    let client = kube_client(&sim).await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "fulfilment");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "fulfilment");
    cockpit
        .wait(
            "RBAC answers for fulfilment",
            Duration::from_secs(10),
            |m| {
                m.workloads
                    .access(&ObjRef::new("flightdeck-sim", "fulfilment", "x"))
                    .restart
                    == Some(true)
            },
        )
        .await;

    // Restart: asks first, and nothing happens on "n".
    select(
        &cockpit,
        |r| matches!(r, Row::Workload { key, .. } if &*key.name == "inventory"),
    );
    cockpit.key(Key::ctrl('r'));
    cockpit.with(|m| {
        assert!(matches!(&m.overlay, Some(Overlay::Confirm(c)) if c.title.contains("inventory")))
    });
    cockpit.key(Key::char('n'));
    cockpit.key(Key::ctrl('r'));
    cockpit.key(Key::char('y'));
    let start = Instant::now();
    loop {
        let d = deployments.get("inventory").await.expect("the deployment");
        let restarted = d
            .spec
            .template
            .metadata
            .as_ref()
            .and_then(|m| m.annotations.as_ref())
            .is_some_and(|a| a.contains_key("kubectl.kubernetes.io/restartedAt"));
        if restarted {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the restart reached the sim"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Scale by one with `+`.
    let before = deployments
        .get("order-router")
        .await
        .expect("the deployment")
        .spec
        .replicas
        .unwrap_or(1);
    select(
        &cockpit,
        |r| matches!(r, Row::Workload { key, .. } if &*key.name == "order-router"),
    );
    cockpit.key(Key::char('+'));
    cockpit.key(Key::char('y'));
    let start = Instant::now();
    while deployments
        .get("order-router")
        .await
        .expect("the deployment")
        .spec
        .replicas
        .unwrap_or(1)
        != before + 1
    {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the scale reached the sim"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Delete a pod with `D`.
    let Row::Pod(victim) = select(
        &cockpit,
        |r| matches!(r, Row::Pod(k) if k.name.starts_with("shipping-rates-")),
    ) else {
        unreachable!("selected a pod")
    };
    cockpit.key(Key::char('D'));
    cockpit.key(Key::char('y'));
    let start = Instant::now();
    loop {
        match pods.get_opt(&victim.name).await.expect("a pod lookup") {
            None => break,
            Some(p) if p.metadata.deletion_timestamp.is_some() => break,
            Some(_) => {}
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the delete reached the sim"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The watch shows it going, too (a frozen sim keeps it terminating).
    cockpit
        .wait("the deleted pod going", Duration::from_secs(10), |m| {
            gone(m, &victim.name)
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_refuses_in_the_gate_and_in_the_provider() {
    let sim = Sim::start(frozen()).await.expect("the sim starts");
    let cockpit = cockpit(&sim, true, |_| {});
    cockpit
        .wait("pods", Duration::from_secs(20), |m| {
            m.workloads.pods.len() >= 36
        })
        .await;
    select(
        &cockpit,
        |r| matches!(r, Row::Workload { key, .. } if &*key.name == "inventory"),
    );
    cockpit.key(Key::ctrl('r'));
    cockpit.with(|m| {
        assert!(m.overlay.is_none(), "no confirmation under read-only");
        assert!(
            m.notice
                .as_ref()
                .is_some_and(|n| n.text.contains("read-only"))
        );
    });
    // Even a command that got past the gate is refused by the provider.
    let key = ObjRef::new("flightdeck-sim", "fulfilment", "inventory");
    cockpit.dispatch(Effect::Workloads(Command::Scale {
        target: wl::Target {
            kind: Kind::Deployment,
            key,
        },
        replicas: 9,
    }));
    cockpit
        .wait("the provider's refusal", Duration::from_secs(5), |m| {
            m.notice.as_ref().is_some_and(|n| {
                n.text.contains("scale inventory to 9 failed") && n.text.contains("read-only")
            })
        })
        .await;
    let d = Api::<Deployment>::namespaced(kube_client(&sim).await, "fulfilment")
        .get("inventory")
        .await
        .expect("the deployment");
    assert_ne!(d.spec.replicas, Some(9));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forbidden_namespace_a_410_and_a_dropped_watch_are_survived() {
    let sim = Sim::start(frozen()).await.expect("the sim starts");
    // One service lives where the demo user may not look.
    let cockpit = cockpit(&sim, false, |c| {
        c.services.push(ServiceDecl {
            name: "vault".into(),
            owner: None,
            system: None,
            lifecycle: None,
            description: None,
            github: None,
            gitlab: None,
            kubernetes_id: Some("vault".into()),
            kubernetes_label_selector: None,
            kubernetes_namespace: Some("restricted".into()),
            docs: None,
        })
    });
    cockpit
        .wait("pods", Duration::from_secs(20), |m| {
            m.workloads.pods.len() >= 36
        })
        .await;
    cockpit
        .wait("restricted shown forbidden", Duration::from_secs(10), |m| {
            m.workloads
                .contexts
                .iter()
                .any(|c| matches!(c.scopes.get("restricted"), Some(ScopeState::Forbidden(_))))
        })
        .await;
    cockpit
        .wait("payments synced", Duration::from_secs(10), |m| {
            m.workloads.contexts[0].scopes.get("payments") == Some(&ScopeState::Synced)
        })
        .await;
    // Initial lists take turns (a few at once per context), so the last scopes may still be
    // syncing when payments is done.
    cockpit
        .wait("the source live", Duration::from_secs(10), |m| {
            m.sources.iter().any(|s| {
                s.id.kind == flightdeck_core::model::SourceKind::Kubernetes
                    && s.state == flightdeck_core::model::FetchState::Ok
            })
        })
        .await;
    cockpit.with(|m| {
        let source = m
            .sources
            .iter()
            .find(|s| s.id.kind == flightdeck_core::model::SourceKind::Kubernetes)
            .expect("the source");
        assert_eq!(source.state, flightdeck_core::model::FetchState::Ok);
        assert!(
            source
                .detail
                .as_deref()
                .is_some_and(|d| d.contains("forbidden: restricted")),
            "{:?}",
            source.detail
        );
    });

    let client = kube_client(&sim).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "payments");
    let lists_before = count(&stats(&sim).await, "list pods");

    // 410 Gone on the payments pods watch: the watcher re-lists once and carries on.
    fault(&sim, json!({"service": "kubernetes", "path_prefix": "/api/v1/namespaces/payments/pods", "kind": "watch_gone", "times": 1})).await;
    let start = Instant::now();
    while count(&stats(&sim).await, "list pods") == lists_before {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "a re-list after 410"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let victim = pods
        .list(&ListParams::default().labels(SELECTOR))
        .await
        .expect("pods")
        .items[0]
        .metadata
        .name
        .clone()
        .expect("a name");
    pods.delete(&victim, &Default::default())
        .await
        .expect("the pod is deleted");
    cockpit
        .wait("the change after the 410", Duration::from_secs(10), |m| {
            gone(m, &victim)
        })
        .await;

    // A dropped connection: the watch ends and the re-list's connection is reset.
    let victim = pods
        .list(&ListParams::default().labels(SELECTOR))
        .await
        .expect("pods")
        .items[1]
        .metadata
        .name
        .clone()
        .expect("a name");
    fault(&sim, json!({"service": "kubernetes", "path_prefix": "/api/v1/namespaces/payments/pods", "kind": "reset", "times": 1})).await;
    fault(&sim, json!({"service": "kubernetes", "path_prefix": "/api/v1/namespaces/payments/pods", "kind": "watch_gone", "times": 1})).await;
    let start = Instant::now();
    while !sim.shared.faults.list().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the cockpit met both faults"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    pods.delete(&victim, &Default::default())
        .await
        .expect("the pod is deleted");
    cockpit
        .wait(
            "the change after the dropped connection",
            Duration::from_secs(15),
            |m| {
                gone(m, &victim)
                    && m.workloads.contexts[0].scopes.get("payments") == Some(&ScopeState::Synced)
            },
        )
        .await;
}

/// F3: a 410 that answers every watch, right after each re-list, backs off (growing) instead
/// of re-listing twice a second; the feed shows failing meanwhile and recovers when it stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeating_410_backs_off_instead_of_relisting_in_a_loop() {
    let sim = Sim::start(frozen()).await.expect("the sim starts");
    let cockpit = cockpit(&sim, false, |_| {});
    cockpit
        .wait("payments synced", Duration::from_secs(20), |m| {
            m.workloads
                .contexts
                .first()
                .is_some_and(|c| c.scopes.get("payments") == Some(&ScopeState::Synced))
        })
        .await;
    let before = count(&stats(&sim).await, "list pods");
    // Every watch of the payments pods ends with 410 Gone until the fault is cleared.
    fault(&sim, json!({"service": "kubernetes", "path_prefix": "/api/v1/namespaces/payments/pods", "kind": "watch_gone"})).await;
    let window = Duration::from_secs(10);
    tokio::time::sleep(window).await;
    let lists = count(&stats(&sim).await, "list pods") - before;
    eprintln!("{lists} re-lists of the payments pods in {window:?} of repeating 410");
    // Waits of 0.5, 1, 2, 4 and 8 s (each up to a quarter longer) fit at most 5 re-lists in
    // 10 s; a backoff that reset on each re-list made about 20.
    assert!(
        (2..=5).contains(&lists),
        "{lists} re-lists of the payments pods in {window:?}"
    );
    cockpit.with(|m| {
        assert!(
            matches!(
                m.workloads.contexts[0].scopes.get("payments"),
                Some(ScopeState::Failing { .. }) | Some(ScopeState::Synced)
            ),
            "{:?}",
            m.workloads.contexts[0].scopes.get("payments")
        );
    });
    sim.shared.faults.clear();
    cockpit
        .wait(
            "payments synced again without a key",
            Duration::from_secs(30),
            |m| m.workloads.contexts[0].scopes.get("payments") == Some(&ScopeState::Synced),
        )
        .await;
}

/// F4: a watch dropped mid-stream resumes from its resourceVersion, and with nothing changing
/// (a frozen sim) its feed reads synced again without waiting for the next change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_watch_is_synced_again_without_a_change() {
    let sim = Sim::start(frozen()).await.expect("the sim starts");
    let cockpit = cockpit(&sim, false, |_| {});
    let payments = |m: &Model| {
        m.workloads
            .contexts
            .first()
            .and_then(|c| c.scopes.get("payments").cloned())
    };
    cockpit
        .wait("payments synced", Duration::from_secs(20), |m| {
            payments(m) == Some(ScopeState::Synced)
        })
        .await;
    let lists = count(&stats(&sim).await, "list pods");
    // The connection breaks, and the watch's first reconnect meets a 500 (a server going away
    // and back); kube resumes the next watch from its resourceVersion.
    fault(&sim, json!({"service": "kubernetes", "path_prefix": "/api/v1/namespaces/payments/pods", "kind": "status", "code": 500, "times": 1})).await;
    fault(&sim, json!({"service": "kubernetes", "path_prefix": "/api/v1/namespaces/payments/pods", "kind": "watch_drop", "times": 1})).await;
    cockpit
        .wait("payments failing", Duration::from_secs(10), |m| {
            matches!(payments(m), Some(ScopeState::Failing { .. }))
        })
        .await;
    cockpit
        .wait("payments synced again", Duration::from_secs(10), |m| {
            payments(m) == Some(ScopeState::Synced)
        })
        .await;
    // Resumed, not re-listed: the one extra list is the one-object probe.
    assert!(count(&stats(&sim).await, "list pods") - lists <= 1);
}

fn payments(m: &Model) -> Option<ScopeState> {
    m.workloads
        .contexts
        .first()
        .and_then(|c| c.scopes.get("payments").cloned())
}

/// F2: a list that the server accepts and never answers is abandoned at the deadline, the
/// source reads failing with the reason, and the feed is restarted with backoff until the
/// server answers again, without a key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_list_is_abandoned_at_its_deadline_and_restarted() {
    let sim = Sim::start(frozen()).await.expect("the sim starts");
    let cockpit = cockpit(&sim, false, |c| {
        if let Some(k) = c.kubernetes.as_mut() {
            k.timeout_secs = 2;
        }
    });
    cockpit
        .wait("payments synced", Duration::from_secs(20), |m| {
            payments(m) == Some(ScopeState::Synced)
        })
        .await;
    // The payments pods only: the other namespaces' lists may still be arriving.
    let payments_pods = |m: &Model| {
        m.workloads
            .pods
            .iter()
            .filter(|(k, _)| &*k.namespace == "payments")
            .count()
    };
    let pods_before = cockpit.with(payments_pods);
    // Every request for the payments pods hangs; the open watch ends with 410, so the watcher
    // re-lists into the hang.
    fault(&sim, json!({"service": "kubernetes", "path_prefix": "/api/v1/namespaces/payments/pods", "kind": "hang"})).await;
    fault(&sim, json!({"service": "kubernetes", "path_prefix": "/api/v1/namespaces/payments/pods", "kind": "watch_gone", "times": 1})).await;
    cockpit
        .wait(
            "payments failing with the reason",
            Duration::from_secs(10),
            |m| {
                matches!(payments(m), Some(ScopeState::Failing { error, .. })
                    if error == "list: no answer within 2s")
            },
        )
        .await;
    cockpit.with(|m| {
        let source = m
            .sources
            .iter()
            .find(|s| s.id.kind == flightdeck_core::model::SourceKind::Kubernetes)
            .expect("the source");
        assert!(
            matches!(&source.state, flightdeck_core::model::FetchState::Failing { error, .. }
                if error.contains("no answer within 2s")),
            "{:?}",
            source.state
        );
        // The last good data stays while the feed fails.
        assert_eq!(payments_pods(m), pods_before);
    });
    sim.shared.faults.clear();
    cockpit
        .wait(
            "payments synced again without a key",
            Duration::from_secs(20),
            |m| payments(m) == Some(ScopeState::Synced),
        )
        .await;
}

/// Issue 20: a 403 whose body is not a Kubernetes Status (a gateway's `{"message": …}`) read
/// "HTTP 0" and counted as failing; it is forbidden, as the API server's own 403 is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_403_without_a_status_body_is_forbidden() {
    let sim = Sim::start(frozen()).await.expect("the sim starts");
    let cockpit = cockpit(&sim, false, |_| {});
    cockpit
        .wait("payments synced", Duration::from_secs(20), |m| {
            payments(m) == Some(ScopeState::Synced)
        })
        .await;
    // The sim's status fault answers `{"message": "sim: injected fault"}`, no Status.
    fault(&sim, json!({"service": "kubernetes", "path_prefix": "/api/v1/namespaces/payments/pods", "kind": "status", "code": 403})).await;
    fault(&sim, json!({"service": "kubernetes", "path_prefix": "/api/v1/namespaces/payments/pods", "kind": "watch_gone", "times": 1})).await;
    cockpit
        .wait("payments forbidden", Duration::from_secs(10), |m| {
            matches!(payments(m), Some(ScopeState::Forbidden(_)))
        })
        .await;
    cockpit.with(|m| {
        let Some(ScopeState::Forbidden(why)) = payments(m) else {
            unreachable!("waited for it")
        };
        assert!(why.contains("403") && !why.contains("HTTP 0"), "{why}");
        assert!(!why.contains("injected"), "the body is not quoted: {why}");
    });
}

/// F2: `r` restarts a feed whose list hangs, at once rather than at its deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_restarts_a_stuck_feed() {
    // The fault goes in before the cockpit (which installs it otherwise) starts.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = Sim::start(frozen()).await.expect("the sim starts");
    // The first request for the payments pods (the initial list) hangs; the deadline is far
    // beyond this test.
    fault(&sim, json!({"service": "kubernetes", "path_prefix": "/api/v1/namespaces/payments/pods", "kind": "hang", "times": 1})).await;
    let cockpit = cockpit(&sim, false, |c| {
        if let Some(k) = c.kubernetes.as_mut() {
            k.timeout_secs = 300;
        }
    });
    cockpit
        .wait("the hang met", Duration::from_secs(20), |_| {
            sim.shared.faults.list().is_empty()
        })
        .await;
    // Still stuck a while later: nothing but a key or the deadline ends the hung list.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        cockpit.with(payments),
        Some(ScopeState::Syncing),
        "the hung list holds the feed"
    );
    cockpit.key(Key::char('r'));
    cockpit
        .wait("payments synced after r", Duration::from_secs(10), |m| {
            payments(m) == Some(ScopeState::Synced)
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_dropped_from_the_catalog_takes_its_workloads_with_it() {
    const PAYMENTS: &str = "component:default/payments-api";
    let sim = Sim::start(frozen()).await.expect("the sim starts");
    let cockpit = cockpit(&sim, false, |_| {});
    let of = |m: &Model, service: &str| {
        m.workloads
            .pods
            .values()
            .filter(|p| p.services.iter().any(|s| &**s == service))
            .count()
    };
    cockpit
        .wait("payments-api's pods", Duration::from_secs(20), |m| {
            of(m, PAYMENTS) > 0
                && m.workloads
                    .contexts
                    .iter()
                    .all(|c| c.scopes.values().all(|s| *s == ScopeState::Synced))
        })
        .await;
    let (others, mut targets) = cockpit.with(|m| {
        (
            m.workloads.pods.len() - of(m, PAYMENTS),
            m.catalog.targets(),
        )
    });
    targets
        .iter_mut()
        .find(|t| t.service == PAYMENTS)
        .expect("payments-api is a target")
        .kubernetes = None;
    // The catalog no longer names payments-api's pods: the feeds of the old plan stop and
    // take back what they reported, the new plan's feeds report the rest again.
    cockpit.dispatch(Effect::Targets(std::sync::Arc::new(targets)));
    cockpit
        .wait(
            "payments-api's pods gone, the rest kept",
            Duration::from_secs(20),
            |m| of(m, PAYMENTS) == 0 && m.workloads.pods.len() == others,
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_that_starts_crashing_shows_as_crashing() {
    // 60x: the bad deploy lands five sim minutes (five wall seconds) in.
    let sim = Sim::start(SimConfig {
        speed: 60.0,
        ..SimConfig::default()
    })
    .await
    .expect("the sim starts");
    let cockpit = cockpit(&sim, false, |_| {});
    cockpit
        .wait("payments-api crash-looping", Duration::from_secs(40), |m| {
            m.workloads
                .troubled_pods("component:default/payments-api")
                .iter()
                .any(|p| {
                    matches!(
                        p.reason.as_deref(),
                        Some(PodReason::CrashLoopBackOff { .. })
                    )
                })
        })
        .await;
    cockpit.with(|m| {
        let s = m
            .workloads
            .pod_summary("component:default/payments-api")
            .expect("a summary");
        assert_eq!(s.worst.as_deref(), Some("CrashLoopBackOff"));
        assert_eq!(
            m.workloads
                .rows
                .first()
                .map(|r| matches!(r, Row::Workload { key, .. } if &*key.name == "payments-api")),
            Some(true),
            "trouble first"
        );
    });
}

// ---------------------------------------------------------------------------------------------
// The published payloads, through the provider's own conversion code.

#[test]
fn k9s_fixtures_decode_into_the_compact_model() {
    let Some(po) = common::fixture("kubernetes/k9s/po.json") else {
        return;
    };
    let pod: Pod = serde_json::from_str(&po).expect("a Pod");
    let p = convert::pod(&pod, &NoServices).expect("converts");
    assert_eq!(p.phase, wl::Phase::Running);
    assert!(!p.containers.is_empty());
    if let Some(init) = common::fixture("kubernetes/k9s/po_init.json") {
        let pod: Pod = serde_json::from_str(&init).expect("a Pod with init containers");
        let p = convert::pod(&pod, &NoServices).expect("converts");
        assert!(!p.name.is_empty());
    }
    if let Some(dp) = common::fixture("kubernetes/k9s/dp.json") {
        let d: Deployment = serde_json::from_str(&dp).expect("a Deployment");
        let w = convert::deployment(&d, &NoServices).expect("converts");
        assert!(w.desired >= w.ready);
    }
    if let Some(ev) = common::fixture("kubernetes/k9s/ev.json") {
        let e: Event = serde_json::from_str(&ev).expect("an Event");
        let e = convert::event(&e).expect("converts");
        assert!(!e.reason.is_empty() && !e.object.is_empty());
    }
    if let Some(rs) = common::fixture("kubernetes/k9s/rs.json") {
        // The fixture's apiVersion is wrong (a quirk of its source); the fields are a ReplicaSet's.
        let r: ReplicaSet = serde_json::from_str(&rs.replace("networking.k8s.io/v1", "apps/v1"))
            .expect("a ReplicaSet");
        assert!(convert::replicaset(&r).is_some());
    }
}

#[derive(serde::Deserialize)]
struct List<T> {
    items: Vec<T>,
}

#[test]
fn kdash_lists_decode_and_the_crash_loop_is_the_reason_that_matters() {
    let Some(yaml) = common::fixture("kubernetes/kdash/pods.yaml") else {
        return;
    };
    let list: List<Pod> = serde_norway::from_str(&yaml).expect("a List of Pods");
    let pods: Vec<wl::Pod> = list
        .items
        .iter()
        .filter_map(|p| convert::pod(p, &NoServices))
        .collect();
    assert_eq!(pods.len(), list.items.len());
    let cart = pods
        .iter()
        .find(|p| p.name.starts_with("cartservice"))
        .expect("the cartservice pod");
    assert!(
        matches!(
            cart.reason.as_deref(),
            Some(PodReason::CrashLoopBackOff { .. })
        ),
        "{:?}",
        cart.reason
    );
    assert!(cart.restarts >= 896);
    assert_eq!(cart.trouble(), wl::Trouble::Critical);
    assert!(pods.iter().any(|p| p.phase == wl::Phase::Pending));

    if let Some(yaml) = common::fixture("kubernetes/kdash/events.yaml") {
        let list: List<Event> = serde_norway::from_str(&yaml).expect("a List of Events");
        let events: Vec<wl::Event> = list.items.iter().filter_map(convert::event).collect();
        assert!(
            events
                .iter()
                .any(|e| e.warning && &*e.reason == "FailedScheduling")
        );
    }
    if let Some(yaml) = common::fixture("kubernetes/kdash/deployments.yaml") {
        let list: List<Deployment> = serde_norway::from_str(&yaml).expect("a List of Deployments");
        assert!(
            list.items
                .iter()
                .all(|d| convert::deployment(d, &NoServices).is_some())
        );
    }
    if let Some(yaml) = common::fixture("kubernetes/kdash/replicasets.yaml") {
        let list: List<ReplicaSet> = serde_norway::from_str(&yaml).expect("a List of ReplicaSets");
        assert!(
            list.items
                .iter()
                .filter_map(convert::replicaset)
                .any(|r| r.deployment.is_some())
        );
    }
}

// ---------------------------------------------------------------------------------------------
// `update` as a table: no IO, a model and a message in, the model and effects out.

const SVC: &str = "component:default/api";
const CTX: &str = "prod";

fn t0() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_772_438_400, 0).expect("a valid time")
}

fn pod(name: &str, reason: Option<PodReason>, ready: u16) -> wl::Pod {
    wl::Pod {
        namespace: "shop".into(),
        name: name.into(),
        services: [SVC.into()].into(),
        phase: wl::Phase::Running,
        ready,
        containers: ["app".into()].into(),
        restarts: if reason.is_some() { 4 } else { 0 },
        created: Some(t0() - chrono::Duration::hours(1)),
        node: Some("n1".into()),
        owner: Some(wl::Owner {
            kind: "ReplicaSet".into(),
            name: "api-7f9c".into(),
        }),
        reason: reason.map(Box::new),
        last_restart: Some(t0() - chrono::Duration::minutes(2)),
        tag: Some("abc".into()),
        ports: [8080].into(),
    }
}

fn deployment(name: &str) -> wl::Workload {
    wl::Workload {
        kind: Kind::Deployment,
        namespace: "shop".into(),
        name: name.into(),
        services: [SVC.into()].into(),
        desired: 2,
        updated: 2,
        ready: 1,
        available: 1,
        revision: Some(3),
        tag: Some("abc".into()),
        rollout: wl::RolloutState::Complete,
        message: None,
        created: Some(t0()),
    }
}

fn model() -> Model {
    let mut m = Model::new(Keymap::defaults(), t0());
    m.screen = Screen::Workloads;
    let crash = PodReason::CrashLoopBackOff {
        container: "app".into(),
        last: None,
    };
    update(
        &mut m,
        Msg::Workloads(WMsg::Configured {
            contexts: vec![(CTX.into(), CTX.into())],
            log_buffer_lines: 5,
        }),
    );
    update(
        &mut m,
        Msg::Workloads(WMsg::Batch {
            context: CTX.into(),
            changes: vec![
                Change::Workload(deployment("api")),
                Change::ReplicaSet(wl::ReplicaSet {
                    namespace: "shop".into(),
                    name: "api-7f9c".into(),
                    deployment: Some("api".into()),
                    revision: Some(3),
                    tag: None,
                    image: Some("ghcr.io/acme/api:abc".into()),
                    change_cause: Some("deploy abc".into()),
                    created: Some(t0()),
                }),
                Change::Pod(pod("api-7f9c-aaaaa", None, 1)),
                Change::Pod(pod("api-7f9c-bbbbb", Some(crash), 0)),
                Change::Pod(wl::Pod {
                    services: ["component:default/other".into()].into(),
                    owner: None,
                    ..pod("lonely", None, 1)
                }),
            ],
        }),
    );
    m
}

#[rstest]
#[case::trouble_first("", 5, Some("api-7f9c-bbbbb"))]
#[case::service_filter("service:api", 3, Some("api-7f9c-bbbbb"))]
#[case::other_service("service:other", 2, Some("lonely"))]
#[case::name_words("aaaaa", 2, Some("api-7f9c-aaaaa"))]
#[case::nothing("zzz", 0, None)]
fn rows_sort_trouble_first_and_filter(
    #[case] filter: &str,
    #[case] rows: usize,
    #[case] first_pod: Option<&str>,
) {
    let mut m = model();
    for c in filter.chars() {
        m.list_mut(Screen::Workloads)
            .filter
            .apply(flightdeck_core::model::input::Edit::Insert(c));
    }
    flightdeck_core::update::workloads::refilter(&mut m);
    assert_eq!(m.workloads.rows.len(), rows);
    let pod = m.workloads.rows.iter().find_map(|r| match r {
        Row::Pod(k) => Some(&*k.name),
        _ => None,
    });
    assert_eq!(pod, first_pod);
}

#[test]
fn summaries_and_troubled_pods_roll_up_per_service() {
    let m = model();
    let s = m.workloads.pod_summary(SVC).expect("a summary");
    assert_eq!((s.ready, s.total, s.restarts_last_hour), (1, 2, 4));
    assert_eq!(s.worst.as_deref(), Some("CrashLoopBackOff"));
    let troubled: Vec<&str> = m
        .workloads
        .troubled_pods(SVC)
        .iter()
        .map(|p| &*p.name)
        .collect();
    assert_eq!(troubled, ["api-7f9c-bbbbb"]);
    assert!(
        m.workloads
            .troubled_pods("component:default/other")
            .is_empty()
    );
}

#[rstest]
#[case::restart(Key::ctrl('r'), None, true)]
#[case::restart_not_allowed(Key::ctrl('r'), Some(Access { restart: Some(false), scale: None, delete_pods: None, ..Default::default() }), false)]
#[case::scale_up(Key::char('+'), None, true)]
#[case::scale_not_allowed(Key::char('+'), Some(Access { restart: None, scale: Some(false), delete_pods: None, ..Default::default() }), false)]
#[case::delete(Key::char('D'), None, true)]
#[case::delete_not_allowed(Key::char('D'), Some(Access { restart: None, scale: None, delete_pods: Some(false), ..Default::default() }), false)]
fn actions_confirm_first_unless_rbac_says_no(
    #[case] key: Key,
    #[case] access: Option<Access>,
    #[case] asks: bool,
) {
    let mut m = model();
    if let Some(access) = access {
        update(
            &mut m,
            Msg::Workloads(WMsg::Access {
                context: CTX.into(),
                namespace: "shop".into(),
                access,
            }),
        );
    }
    // The crashing pod's row: actions on its Deployment, or on it for delete.
    let i = m
        .workloads
        .rows
        .iter()
        .position(|r| matches!(r, Row::Pod(k) if &*k.name == "api-7f9c-bbbbb"))
        .expect("the row");
    m.list_mut(Screen::Workloads).cursor.selected = i;
    let effects = update(&mut m, Msg::Key(key));
    assert_eq!(matches!(m.overlay, Some(Overlay::Confirm(_))), asks);
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Workloads(_))),
        "nothing is sent before `y`"
    );
    if asks {
        let effects = update(&mut m, Msg::Key(Key::char('y')));
        assert!(
            effects.iter().any(|e| matches!(
                e,
                Effect::Workloads(
                    Command::Restart { .. }
                        | Command::Scale { replicas: 3, .. }
                        | Command::DeletePod { .. }
                )
            )),
            "{effects:?}"
        );
    } else {
        assert!(
            m.notice
                .as_ref()
                .is_some_and(|n| n.text.contains("not allowed"))
        );
    }
}

/// Under `--read-only` no write action gets as far as a prompt: `S` used to open the replicas
/// prompt and refuse only at its confirmation.
#[rstest]
#[case::restart(Key::ctrl('r'))]
#[case::scale(Key::char('S'))]
#[case::scale_up(Key::char('+'))]
#[case::scale_down(Key::char('-'))]
#[case::delete(Key::char('D'))]
fn read_only_refuses_every_write_at_its_first_key(#[case] key: Key) {
    let mut m = model();
    m.read_only = true;
    let i = m
        .workloads
        .rows
        .iter()
        .position(|r| matches!(r, Row::Pod(k) if &*k.name == "api-7f9c-bbbbb"))
        .expect("the row");
    m.list_mut(Screen::Workloads).cursor.selected = i;
    update(&mut m, Msg::Key(key));
    assert!(m.overlay.is_none(), "no confirmation");
    assert!(m.workloads.scale.is_none(), "no prompt");
    assert!(
        m.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("read-only")),
        "{:?}",
        m.notice
    );
}

fn line(text: &str) -> LogLine {
    LogLine {
        source: 0,
        text: text.into(),
        runs: vec![],
    }
}

#[test]
fn the_log_buffer_is_bounded_and_search_pauses_on_a_match() {
    let mut m = model();
    let i = m
        .workloads
        .rows
        .iter()
        .position(|r| matches!(r, Row::Pod(k) if &*k.name == "api-7f9c-aaaaa"))
        .expect("the row");
    m.list_mut(Screen::Workloads).cursor.selected = i;
    let effects = update(&mut m, Msg::Key(Key::char('l')));
    let id = effects
        .iter()
        .find_map(|e| match e {
            Effect::Workloads(Command::StartLogs { id, .. }) => Some(*id),
            _ => None,
        })
        .expect("logs start");
    let lines = [
        "one",
        "two ERROR",
        "three",
        "four",
        "five",
        "six ERROR",
        "seven",
    ];
    update(
        &mut m,
        Msg::Workloads(WMsg::LogLines {
            id,
            lines: lines.iter().map(|t| line(t)).collect(),
        }),
    );
    let logs = m.workloads.logs.as_ref().expect("a log view");
    assert_eq!(logs.lines.len(), 5, "capacity 5");
    assert_eq!((logs.first_seq, logs.dropped), (2, 2));
    // Lines of an older stream are dropped.
    update(
        &mut m,
        Msg::Workloads(WMsg::LogLines {
            id: id + 100,
            lines: vec![line("stale")],
        }),
    );
    assert_eq!(
        m.workloads.logs.as_ref().expect("a log view").lines.len(),
        5
    );
    // Search backwards for ERROR from the newest line.
    update(&mut m, Msg::Key(Key::char('/')));
    for c in "error".chars() {
        update(&mut m, Msg::Key(Key::char(c)));
    }
    update(&mut m, Msg::Key(Key::new(KeyCode::Enter)));
    update(&mut m, Msg::Key(Key::char('N')));
    let logs = m.workloads.logs.as_ref().expect("a log view");
    assert!(!logs.follow, "searching pauses");
    assert_eq!(
        logs.line(logs.cursor).map(|l| l.text.as_str()),
        Some("six ERROR")
    );
    let effects = update(&mut m, Msg::Key(Key::char('y')));
    assert!(effects.contains(&Effect::Copy("six ERROR".into())));
    let effects = update(&mut m, Msg::Key(Key::char('e')));
    assert!(
        matches!(effects.as_slice(), [Effect::External(flightdeck_core::message::External::Pager { text })] if text.ends_with("seven"))
    );
}

#[test]
fn a_describe_answer_for_a_view_left_is_dropped() {
    let mut m = model();
    let effects = update(&mut m, Msg::Key(Key::new(KeyCode::Enter)));
    let request = effects
        .iter()
        .find_map(|e| match e {
            Effect::Workloads(Command::Describe { request, .. }) => Some(*request),
            _ => None,
        })
        .expect("a describe is asked");
    assert_eq!(m.workloads.view, View::Describe);
    update(
        &mut m,
        Msg::Workloads(WMsg::Described {
            request: request + 1,
            result: Ok("stale: 1".into()),
        }),
    );
    assert!(m.workloads.describe.as_ref().is_some_and(|d| d.loading));
    update(
        &mut m,
        Msg::Workloads(WMsg::Described {
            request,
            result: Ok("kind: Deployment\nmetadata:\n  name: api".into()),
        }),
    );
    assert_eq!(
        m.workloads.describe.as_ref().map(|d| d.lines.len()),
        Some(3)
    );
}

/// The model with a second, older revision of `api` to roll back to.
fn model_with_history() -> Model {
    let mut m = model();
    update(
        &mut m,
        Msg::Workloads(WMsg::Batch {
            context: CTX.into(),
            changes: vec![Change::ReplicaSet(wl::ReplicaSet {
                namespace: "shop".into(),
                name: "api-5b6d".into(),
                deployment: Some("api".into()),
                revision: Some(2),
                tag: None,
                image: Some("ghcr.io/acme/api:old".into()),
                change_cause: Some("deploy old".into()),
                created: Some(t0()),
            })],
        }),
    );
    let i = m
        .workloads
        .rows
        .iter()
        .position(|r| matches!(r, Row::Pod(k) if &*k.name == "api-7f9c-bbbbb"))
        .expect("the row");
    m.list_mut(Screen::Workloads).cursor.selected = i;
    m
}

#[test]
fn rollback_lists_revisions_newest_first_and_confirms_with_the_image_diff() {
    let mut m = model_with_history();
    update(&mut m, Msg::Key(Key::char('u')));
    assert_eq!(m.workloads.view, View::Revisions);
    let r = m.workloads.revisions.as_ref().expect("the revisions view");
    let listed: Vec<(u64, bool)> = r.rows.iter().map(|v| (v.revision, v.current)).collect();
    assert_eq!(listed, [(3, true), (2, false)]);
    assert_eq!(r.cursor.selected, 1, "the previous revision is preselected");

    // enter asks first, showing what changes; nothing is sent before `y`.
    let effects = update(&mut m, Msg::Key(Key::new(KeyCode::Enter)));
    assert!(!effects.iter().any(|e| matches!(e, Effect::Workloads(_))));
    let Some(Overlay::Confirm(c)) = &m.overlay else {
        panic!("a confirmation: {:?}", m.notice)
    };
    assert!(c.title.contains("api to revision 2"), "{}", c.title);
    let text = c.lines.join("\n");
    assert!(text.contains("ghcr.io/acme/api:old (revision 2)"), "{text}");
    assert!(text.contains("deploy old"), "{text}");
    let effects = update(&mut m, Msg::Key(Key::char('y')));
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::Workloads(Command::Rollback { revision: 2, replicaset, .. }) if replicaset == "api-5b6d"
        )),
        "{effects:?}"
    );

    // The current revision is not a rollback.
    update(&mut m, Msg::Key(Key::char('k')));
    update(&mut m, Msg::Key(Key::new(KeyCode::Enter)));
    assert!(m.overlay.is_none());
    assert!(
        m.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("already runs revision 3"))
    );
    update(&mut m, Msg::Key(Key::new(KeyCode::Esc)));
    assert_eq!(m.workloads.view, View::List);
}

#[rstest]
#[case::rbac_says_no(false)]
#[case::read_only(true)]
fn rollback_is_refused_before_asking(#[case] read_only: bool) {
    let mut m = model_with_history();
    if read_only {
        m.read_only = true;
    } else {
        update(
            &mut m,
            Msg::Workloads(WMsg::Access {
                context: CTX.into(),
                namespace: "shop".into(),
                access: Access {
                    restart: Some(false),
                    ..Default::default()
                },
            }),
        );
    }
    // The revisions are for reading either way; the rollback itself is refused.
    update(&mut m, Msg::Key(Key::char('u')));
    assert_eq!(m.workloads.view, View::Revisions);
    let effects = update(&mut m, Msg::Key(Key::new(KeyCode::Enter)));
    assert!(m.overlay.is_none(), "no confirmation");
    assert!(!effects.iter().any(|e| matches!(e, Effect::Workloads(_))));
    let want = if read_only {
        "read-only"
    } else {
        "not allowed"
    };
    assert!(
        m.notice.as_ref().is_some_and(|n| n.text.contains(want)),
        "{:?}",
        m.notice
    );
}

/// The cockpit's own rollback against the sim: the revisions come from the watched
/// ReplicaSets, and after `y` the Deployment runs the previous image, as kube reads it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_reaches_the_sim_after_confirmation() {
    let sim = Sim::start(frozen()).await.expect("the sim starts");
    let cockpit = cockpit(&sim, false, |_| {});
    cockpit
        .wait("ledger and its revisions", Duration::from_secs(20), |m| {
            m.workloads
                .replicasets
                .values()
                .filter(|r| r.deployment.as_deref() == Some("ledger"))
                .count()
                >= 2
                && m.workloads
                    .rows
                    .iter()
                    .any(|r| matches!(r, Row::Workload { key, .. } if &*key.name == "ledger"))
        })
        .await;
    let client = kube_client(&sim).await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "payments");
    let image = |d: &Deployment| {
        d.spec
            .template
            .spec
            .as_ref()
            .and_then(|s| s.containers.first())
            .and_then(|c| c.image.clone())
            .unwrap_or_default()
    };
    let before = image(&deployments.get("ledger").await.expect("ledger"));
    select(
        &cockpit,
        |r| matches!(r, Row::Workload { key, .. } if &*key.name == "ledger"),
    );
    cockpit.key(Key::char('u'));
    let previous = {
        let m = cockpit.model();
        let r = m.workloads.revisions.as_ref().expect("the revisions view");
        let chosen = r.rows.get(r.cursor.selected).expect("a revision selected");
        assert!(!chosen.current);
        assert!(
            r.rows
                .first()
                .is_some_and(|c| c.current && c.image == before)
        );
        chosen.image.clone()
    };
    assert_ne!(previous, before);
    cockpit.key(Key::new(KeyCode::Enter));
    cockpit.with(|m| {
        assert!(
            matches!(&m.overlay, Some(Overlay::Confirm(c)) if c.lines.iter().any(|l| l.contains(&previous)))
        )
    });
    cockpit.key(Key::char('y'));
    let start = Instant::now();
    while image(&deployments.get("ledger").await.expect("ledger")) != previous {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the rollback reached the sim"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The watched ReplicaSets follow: the revision rolled back to is now the newest.
    cockpit
        .wait(
            "the rolled-back revision on top",
            Duration::from_secs(10),
            |m| {
                m.workloads
                    .revisions
                    .as_ref()
                    .and_then(|r| r.rows.first())
                    .is_some_and(|c| c.image == previous)
            },
        )
        .await;
}

/// Describe reads like `kubectl describe`: the same top-level fields with the same values,
/// the pod template's image, and the object's Events; the YAML follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_agrees_with_kubectl_describe() {
    let Some(kubectl) = kubectl() else {
        return;
    };
    let sim = Sim::start(frozen()).await.expect("the sim starts");
    let cockpit = cockpit(&sim, false, |_| {});
    cockpit
        .wait("ledger", Duration::from_secs(20), |m| {
            m.workloads
                .rows
                .iter()
                .any(|r| matches!(r, Row::Workload { key, .. } if &*key.name == "ledger"))
        })
        .await;
    select(
        &cockpit,
        |r| matches!(r, Row::Workload { key, .. } if &*key.name == "ledger"),
    );
    cockpit.key(Key::char('d'));
    cockpit
        .wait("the describe", Duration::from_secs(10), |m| {
            m.workloads.describe.as_ref().is_some_and(|d| !d.loading)
        })
        .await;
    let ours = cockpit.with(|m| {
        m.workloads
            .describe
            .as_ref()
            .map(|d| d.lines.join("\n"))
            .unwrap_or_default()
    });
    let out = tokio::task::block_in_place(|| {
        Process::new(kubectl)
            .arg("--kubeconfig")
            .arg(sim.kubeconfig())
            .args(["describe", "deployment", "ledger", "-n", "payments"])
            .output()
            .expect("kubectl runs")
    });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs = String::from_utf8_lossy(&out.stdout).into_owned();
    // A field's value with runs of spaces made one, as both align them by their own widths.
    let field = |text: &str, label: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{label}:")))
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    for label in ["Name", "Namespace", "Selector", "Replicas", "StrategyType"] {
        assert!(
            field(&theirs, label).is_some(),
            "kubectl shows {label}:\n{theirs}"
        );
        assert_eq!(
            field(&ours, label),
            field(&theirs, label),
            "{label}:\n{ours}"
        );
    }
    let image = |text: &str| field(&text.replace("    Image:", "Image:"), "Image");
    assert_eq!(image(&ours), image(&theirs));
    assert!(ours.contains("\nEvents:"), "{ours}");
    if theirs.contains("ScalingReplicaSet") {
        assert!(
            ours.contains("ScalingReplicaSet"),
            "the events are listed:\n{ours}"
        );
    }
    assert!(
        ours.contains("apiVersion: apps/v1"),
        "the YAML follows:\n{ours}"
    );
}

/// `n` and `c` narrow the list to the next namespace or context and, after the last, show
/// every one again; the palette offers each, and the `/` filter line shows what is shown.
#[test]
fn namespace_and_context_switch_at_a_key_and_in_the_palette() {
    let mut m = model();
    update(
        &mut m,
        Msg::Workloads(WMsg::Batch {
            context: "staging".into(),
            changes: vec![Change::Pod(wl::Pod {
                namespace: "tools".into(),
                ..pod("debug", None, 1)
            })],
        }),
    );
    let namespaces = |m: &Model| -> BTreeSet<String> {
        m.workloads
            .rows
            .iter()
            .map(|r| match r {
                Row::Pod(k) | Row::Workload { key: k, .. } => k.namespace.to_string(),
                Row::Orphans { namespace, .. } => namespace.to_string(),
            })
            .collect()
    };
    let filter = |m: &Model| m.list(Screen::Workloads).filter.text().to_string();
    assert_eq!(namespaces(&m).len(), 2);

    // Namespaces in order across contexts, then all again.
    update(&mut m, Msg::Key(Key::char('n')));
    assert_eq!(filter(&m), "ns:shop");
    assert_eq!(namespaces(&m), BTreeSet::from(["shop".to_string()]));
    update(&mut m, Msg::Key(Key::char('n')));
    assert_eq!(filter(&m), "ns:tools");
    update(&mut m, Msg::Key(Key::char('n')));
    assert_eq!(filter(&m), "");
    assert_eq!(namespaces(&m).len(), 2);

    // A context, then the namespaces within it only: prod has shop, staging has tools.
    update(&mut m, Msg::Key(Key::char('c')));
    assert_eq!(filter(&m), "ctx:prod");
    update(&mut m, Msg::Key(Key::char('n')));
    assert_eq!(filter(&m), "ctx:prod ns:shop");
    update(&mut m, Msg::Key(Key::char('n')));
    assert_eq!(filter(&m), "ctx:prod", "no other namespace in prod");
    update(&mut m, Msg::Key(Key::char('c')));
    assert_eq!(filter(&m), "ctx:staging");
    assert_eq!(namespaces(&m), BTreeSet::from(["tools".to_string()]));
    update(&mut m, Msg::Key(Key::char('c')));
    assert_eq!(filter(&m), "", "after the last context, every one");

    // The palette names each namespace with its context; choosing one narrows the list.
    update(&mut m, Msg::Key(Key::char(':')));
    for c in "namespace tools".chars() {
        update(&mut m, Msg::Key(Key::char(c)));
    }
    update(&mut m, Msg::Key(Key::new(KeyCode::Enter)));
    assert_eq!(m.screen, Screen::Workloads);
    assert_eq!(filter(&m), "ctx:staging ns:tools");
    assert_eq!(namespaces(&m), BTreeSet::from(["tools".to_string()]));
}

// ---------------------------------------------------------------------------------------------
// Shell and port-forward: what `update` asks for, and what it refuses before asking.

fn select_pod(m: &mut Model, name: &str) {
    let i = m
        .workloads
        .rows
        .iter()
        .position(|r| matches!(r, Row::Pod(k) if &*k.name == name))
        .expect("the pod's row");
    m.list_mut(Screen::Workloads).cursor.selected = i;
}

#[test]
fn shell_attaches_to_the_only_container_and_picks_among_several() {
    let mut m = model();
    select_pod(&mut m, "api-7f9c-aaaaa");
    let effects = update(&mut m, Msg::Key(Key::char('s')));
    match effects.as_slice() {
        [Effect::Shell(t)] => {
            assert_eq!(&*t.pod.name, "api-7f9c-aaaaa");
            assert_eq!(t.container, "app");
        }
        other => panic!("expected one shell effect, got {other:?}"),
    }
    // Several containers: the picker first, `j` and `enter` choose the second.
    update(
        &mut m,
        Msg::Workloads(WMsg::Batch {
            context: CTX.into(),
            changes: vec![Change::Pod(wl::Pod {
                containers: ["app".into(), "sidecar".into()].into(),
                ..pod("api-7f9c-aaaaa", None, 2)
            })],
        }),
    );
    select_pod(&mut m, "api-7f9c-aaaaa");
    let effects = update(&mut m, Msg::Key(Key::char('s')));
    assert!(!effects.iter().any(|e| matches!(e, Effect::Shell(_))));
    assert!(m.workloads.picker.is_some());
    update(&mut m, Msg::Key(Key::char('j')));
    let effects = update(&mut m, Msg::Key(Key::new(KeyCode::Enter)));
    assert!(
        matches!(effects.as_slice(), [Effect::Shell(t)] if t.container == "sidecar"),
        "{effects:?}"
    );
    assert!(m.workloads.picker.is_none());
    // The loop reports how it ended.
    update(
        &mut m,
        Msg::Workloads(WMsg::ShellEnded {
            pod: "api-7f9c-aaaaa".into(),
            container: "sidecar".into(),
            result: Ok(3),
        }),
    );
    assert!(
        m.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("ended (exit 3)")),
        "{:?}",
        m.notice
    );
}

#[rstest]
#[case::shell_read_only('s', true, "read-only")]
#[case::shell_rbac('s', false, "not allowed")]
#[case::forward_read_only('F', true, "read-only")]
#[case::forward_rbac('F', false, "not allowed")]
fn shell_and_port_forward_are_refused_before_anything_opens(
    #[case] key: char,
    #[case] read_only: bool,
    #[case] want: &str,
) {
    let mut m = model();
    if read_only {
        m.read_only = true;
    } else {
        update(
            &mut m,
            Msg::Workloads(WMsg::Access {
                context: CTX.into(),
                namespace: "shop".into(),
                access: Access {
                    exec: Some(false),
                    port_forward: Some(false),
                    ..Default::default()
                },
            }),
        );
    }
    select_pod(&mut m, "api-7f9c-aaaaa");
    let effects = update(&mut m, Msg::Key(Key::char(key)));
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::Shell(_) | Effect::Workloads(_)))
    );
    assert!(m.workloads.forward_prompt.is_none() && m.workloads.picker.is_none());
    assert!(
        m.notice.as_ref().is_some_and(|n| n.text.contains(want)),
        "{:?}",
        m.notice
    );
}

#[test]
fn a_port_forward_asks_for_ports_lists_its_state_and_stops_at_a_key() {
    let mut m = model();
    select_pod(&mut m, "api-7f9c-aaaaa");
    update(&mut m, Msg::Key(Key::char('F')));
    let prompt = m.workloads.forward_prompt.as_ref().expect("the prompt");
    assert_eq!(
        prompt.input.text(),
        "8080:8080",
        "the declared port is the default"
    );
    // Letters are not ports; `:0` asks for any free local port.
    update(&mut m, Msg::Key(Key::ctrl('u')));
    for c in "x:9090".chars() {
        update(&mut m, Msg::Key(Key::char(c)));
    }
    let effects = update(&mut m, Msg::Key(Key::new(KeyCode::Enter)));
    let id = match effects.as_slice() {
        [
            Effect::Workloads(Command::StartForward {
                id,
                pod,
                local: 0,
                remote: 9090,
            }),
            Effect::Render,
        ] if &*pod.name == "api-7f9c-aaaaa" => *id,
        other => panic!("expected a forward, got {other:?}"),
    };
    assert_eq!(m.workloads.view, View::Forwards);
    update(
        &mut m,
        Msg::Workloads(WMsg::Forward {
            id,
            bound: Some("127.0.0.1:40123".into()),
            state: wl::ForwardState::Listening,
            open: 1,
            total: 2,
            last_error: None,
        }),
    );
    let f = &m.workloads.forwards[0];
    assert_eq!(f.bound.as_deref(), Some("127.0.0.1:40123"));
    assert_eq!((f.open, f.total), (1, 2));
    let effects = update(&mut m, Msg::Key(Key::char('x')));
    assert!(
        effects
            .iter()
            .any(|e| *e == Effect::Workloads(Command::StopForward { id })),
        "{effects:?}"
    );
    assert!(m.workloads.forwards.is_empty());
    update(&mut m, Msg::Key(Key::char('f')));
    assert_eq!(m.workloads.view, View::List);
    assert_eq!(wl::parse_ports("8080"), Some((8080, 8080)));
    assert_eq!(wl::parse_ports("18080:80"), Some((18080, 80)));
    assert_eq!(wl::parse_ports(":80"), Some((0, 80)));
    assert_eq!(wl::parse_ports("80:0"), None);
    assert_eq!(wl::parse_ports("http"), None);
}

/// The cockpit's port-forward against the sim, through kube's own portforward client: the pod's
/// declared port is the default, an HTTP client fetches the pod's page through the local port,
/// a port the pod does not serve says so in the panel, and a stopped forward's port refuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_forward_reaches_the_pods_server_and_stops() {
    let sim = Sim::start(frozen()).await.expect("the sim starts");
    let cockpit = cockpit(&sim, false, |_| {});
    cockpit
        .wait(
            "a ledger pod and payments' RBAC answers",
            Duration::from_secs(20),
            |m| {
                m.workloads.rows.iter().any(|r| {
                    matches!(r, Row::Pod(k) if k.name.starts_with("ledger-")
                    && m.workloads.pods.get(k).is_some_and(|p| p.phase == wl::Phase::Running))
                }) && m.workloads.contexts.iter().any(|c| {
                    c.access
                        .get("payments")
                        .is_some_and(|a| a.port_forward == Some(true))
                })
            },
        )
        .await;
    let pod = match select(
        &cockpit,
        |r| matches!(r, Row::Pod(k) if k.name.starts_with("ledger-")),
    ) {
        Row::Pod(k) => k,
        other => panic!("not a pod: {other:?}"),
    };
    let declared = cockpit.with(|m| m.workloads.pods.get(&pod).map(|p| p.ports.to_vec()));
    let declared = declared.unwrap_or_default();
    let port = *declared.first().expect("the sim's pods declare their port");
    let forward = |spec: &str| {
        cockpit.key(Key::char('F'));
        let shown = cockpit.with(|m| {
            m.workloads
                .forward_prompt
                .as_ref()
                .map(|p| p.input.text().to_string())
        });
        assert_eq!(
            shown,
            Some(format!("{port}:{port}")),
            "the declared port is the default"
        );
        cockpit.key(Key::ctrl('u'));
        for c in spec.chars() {
            cockpit.key(Key::char(c));
        }
        cockpit.key(Key::new(KeyCode::Enter));
        cockpit.key(Key::char('f'));
    };
    forward(&format!(":{port}"));
    cockpit
        .wait("the forward listening", Duration::from_secs(10), |m| {
            m.workloads
                .forwards
                .first()
                .is_some_and(|f| f.state == wl::ForwardState::Listening && f.bound.is_some())
        })
        .await;
    let bound = cockpit
        .with(|m| m.workloads.forwards[0].bound.clone())
        .expect("bound");
    assert!(bound.starts_with("127.0.0.1:"), "loopback only: {bound}");
    let http = reqwest::Client::new();
    let page = http
        .get(format!("http://{bound}/"))
        .send()
        .await
        .expect("the page through the forward")
        .text()
        .await
        .expect("its text");
    assert!(page.contains(&format!("hello from {}", pod.name)), "{page}");
    let health = http
        .get(format!("http://{bound}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    drop(http);
    cockpit
        .wait("the connection counted", Duration::from_secs(5), |m| {
            m.workloads.forwards[0].total >= 1
        })
        .await;

    // A port the pod does not serve: the connection is refused on the pod's side, said in the panel.
    select(&cockpit, |r| matches!(r, Row::Pod(k) if *k == pod));
    forward(&format!(":{}", port + 1));
    cockpit
        .wait(
            "the second forward listening",
            Duration::from_secs(10),
            |m| {
                m.workloads
                    .forwards
                    .get(1)
                    .is_some_and(|f| f.bound.is_some())
            },
        )
        .await;
    let second = cockpit
        .with(|m| m.workloads.forwards[1].bound.clone())
        .expect("bound");
    let refused = reqwest::get(format!("http://{second}/")).await;
    assert!(refused.is_err(), "{refused:?}");
    // The pod's side writes its refusal and closes at once; a request racing that close can
    // lose the refusal in the client library, so the panel says either.
    cockpit
        .wait(
            "the failed request in the panel",
            Duration::from_secs(10),
            |m| {
                m.workloads.forwards[1]
                    .last_error
                    .as_deref()
                    .is_some_and(|e| {
                        e.contains("connection refused") || e.contains("closed the connection")
                    })
            },
        )
        .await;
    // A connection that sends nothing races nothing: the refusal itself reaches the panel.
    let mut quiet = tokio::net::TcpStream::connect(&second)
        .await
        .expect("the forward accepts");
    let mut answer = Vec::new();
    let read = tokio::io::AsyncReadExt::read_to_end(&mut quiet, &mut answer).await;
    assert!(
        read.is_err() || answer.is_empty(),
        "the refused port answers nothing: {answer:?}"
    );
    drop(quiet);
    let refusal = |m: &Model| {
        m.workloads.forwards[1].total >= 2
            && m.workloads.forwards[1].open == 0
            && m.workloads.forwards[1]
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("connection refused"))
    };
    if let Err(why) = cockpit
        .until(
            "the pod's refusal in the panel",
            Duration::from_secs(10),
            refusal,
        )
        .await
    {
        let forward = cockpit.with(|m| format!("{:?}", m.workloads.forwards.get(1)));
        panic!("{why}; the forward: {forward}");
    }

    // Stopped at a key, each port refuses connections.
    cockpit.key(Key::char('f'));
    cockpit.key(Key::char('x'));
    cockpit.key(Key::char('x'));
    assert!(cockpit.with(|m| m.workloads.forwards.is_empty()));
    for addr in [&bound, &second] {
        let mut refused = false;
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(addr.as_str()).await.is_err() {
                refused = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(refused, "{addr} still accepts after the forward stopped");
    }
}

#[test]
fn a_port_forward_on_a_workload_goes_to_its_first_ready_pod() {
    let mut m = model();
    let i = m
        .workloads
        .rows
        .iter()
        .position(|r| matches!(r, Row::Workload { key, .. } if &*key.name == "api"))
        .expect("the Deployment's row");
    m.list_mut(Screen::Workloads).cursor.selected = i;
    update(&mut m, Msg::Key(Key::char('F')));
    let prompt = m.workloads.forward_prompt.as_ref().expect("the prompt");
    // api-7f9c-bbbbb crash-loops (not ready); api-7f9c-aaaaa is ready.
    assert_eq!(
        prompt.pod.as_ref().map(|p| p.name.to_string()).as_deref(),
        Some("api-7f9c-aaaaa")
    );
}

/// `port_forward_address` moves where forwards listen (here another loopback address); the
/// default is 127.0.0.1, as the forward test above reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_forward_listens_where_the_config_says() {
    let sim = Sim::start(frozen()).await.expect("the sim starts");
    let cockpit = cockpit(&sim, false, |c| {
        if let Some(k) = c.kubernetes.as_mut() {
            k.port_forward_address = std::net::IpAddr::from([127, 0, 0, 2]);
        }
    });
    cockpit
        .wait("a ready ledger pod", Duration::from_secs(20), |m| {
            m.workloads.rows.iter().any(|r| {
                matches!(r, Row::Pod(k) if k.name.starts_with("ledger-")
                    && m.workloads.pods.get(k).is_some_and(wl::Pod::is_ready))
            })
        })
        .await;
    select(
        &cockpit,
        |r| matches!(r, Row::Pod(k) if k.name.starts_with("ledger-")),
    );
    cockpit.key(Key::char('F'));
    cockpit.key(Key::new(KeyCode::Enter));
    cockpit
        .wait("the forward bound", Duration::from_secs(10), |m| {
            m.workloads.forwards.first().is_some_and(|f| {
                f.bound.is_some() || matches!(f.state, wl::ForwardState::Failed(_))
            })
        })
        .await;
    let (bound, state) = cockpit.with(|m| {
        (
            m.workloads.forwards[0].bound.clone(),
            m.workloads.forwards[0].state.clone(),
        )
    });
    // The declared port may be taken on this machine; the address is what is checked.
    match state {
        wl::ForwardState::Failed(e) => assert!(e.contains("127.0.0.2:"), "{e}"),
        _ => assert!(bound.is_some_and(|b| b.starts_with("127.0.0.2:"))),
    }
}
