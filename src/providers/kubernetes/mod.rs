//! The Kubernetes provider: reads the kubeconfig as kubectl does (several `KUBECONFIG` files,
//! contexts, exec and OIDC plugins with their output kept off the screen, in-cluster config),
//! watches each configured context live through kube::runtime (one watcher per kind and
//! namespace, the services' selectors united), and carries out the Workloads screen's commands.
//! It never touches the model: everything arrives as batched `Msg`s.

pub mod convert;
pub mod describe;
pub mod forward;
pub mod ops;
pub mod shell;
pub mod status;
pub mod watch;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use kube::Client;
use kube::config::{ExecInteractiveMode, KubeConfigOptions, Kubeconfig};
use tokio::sync::{Notify, mpsc, watch as tokio_watch};

use super::{Context, Provider};
use crate::config::{Config, KubernetesSource};
use flightdeck_core::message::workloads::{Command, Msg as WMsg};
use flightdeck_core::message::{Effect, Msg, SourceEvent};
use flightdeck_core::model::join::ServiceTarget;
use flightdeck_core::model::{SourceId, SourceKind};

/// How often pod usage is read when metrics.k8s.io is served.
const METRICS_EVERY: StdDuration = StdDuration::from_secs(30);

enum Ctl {
    Targets(Vec<ServiceTarget>),
    Refresh,
    Command(Command),
    /// A context's client, for a shell the loop attaches itself.
    Client {
        context: String,
        reply: tokio::sync::oneshot::Sender<Result<Client, String>>,
    },
}

pub struct KubernetesProvider {
    ctl: mpsc::UnboundedSender<Ctl>,
}

impl KubernetesProvider {
    /// Starts when the config has a `[kubernetes]` table.
    pub fn start(config: &Config, cx: &Context) -> Option<Box<dyn Provider>> {
        let source = config.kubernetes.clone()?;
        let (ctl, rx) = mpsc::unbounded_channel();
        tokio::spawn(supervise(source, cx.clone(), rx));
        Some(Box::new(KubernetesProvider { ctl }))
    }
}

impl Provider for KubernetesProvider {
    fn targets(&mut self, targets: &[ServiceTarget]) {
        let _ = self.ctl.send(Ctl::Targets(targets.to_vec()));
    }

    fn kinds(&self) -> &'static [flightdeck_core::model::SourceKind] {
        &[flightdeck_core::model::SourceKind::Kubernetes]
    }

    fn refresh(&mut self) {
        let _ = self.ctl.send(Ctl::Refresh);
    }

    fn command(&mut self, effect: &Effect) -> bool {
        match effect {
            Effect::Workloads(c) => {
                let _ = self.ctl.send(Ctl::Command(c.clone()));
                true
            }
            _ => false,
        }
    }

    fn kubernetes_client(
        &mut self,
        context: &str,
    ) -> Option<tokio::sync::oneshot::Receiver<Result<Client, String>>> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        let _ = self.ctl.send(Ctl::Client {
            context: context.to_string(),
            reply,
        });
        Some(rx)
    }
}

/// The kubeconfig files kubectl would read: `configured`, else every path in `KUBECONFIG`,
/// else `~/.kube/config`.
pub fn kubeconfig_paths(
    configured: Option<&Path>,
    env: Option<std::ffi::OsString>,
    home: Option<PathBuf>,
) -> Vec<PathBuf> {
    if let Some(p) = configured {
        return vec![p.to_path_buf()];
    }
    match env.filter(|v| !v.is_empty()) {
        Some(v) => std::env::split_paths(&v)
            .filter(|p| !p.as_os_str().is_empty())
            .collect(),
        None => home
            .map(|h| vec![h.join(".kube").join("config")])
            .unwrap_or_default(),
    }
}

/// Reads and merges the files (the first file's value wins, as kubectl's does); missing files
/// are skipped as kubectl skips them. Every exec plugin is made non-interactive, so its prompts
/// and stderr are captured rather than written over the screen. `None`: no file at all.
pub fn load_kubeconfig(paths: &[PathBuf]) -> Result<Option<Kubeconfig>, String> {
    let mut merged: Option<Kubeconfig> = None;
    for path in paths {
        if !path.exists() {
            tracing::info!(path = %path.display(), "kubeconfig file absent, skipped");
            continue;
        }
        let next = Kubeconfig::read_from(path).map_err(|e| format!("{}: {e}", path.display()))?;
        merged = Some(match merged {
            None => next,
            Some(m) => m
                .merge(next)
                .map_err(|e| format!("{}: {e}", path.display()))?,
        });
    }
    if let Some(kc) = merged.as_mut() {
        for auth in kc
            .auth_infos
            .iter_mut()
            .filter_map(|a| a.auth_info.as_mut())
        {
            if let Some(exec) = auth.exec.as_mut() {
                exec.interactive_mode = Some(ExecInteractiveMode::Never);
            }
        }
    }
    Ok(merged)
}

/// A context to watch: its name, the status-bar source it reports as, and its clients.
struct Conn {
    name: String,
    source: String,
    /// Every request of this client has a deadline (`watch::deadlines`).
    client: Result<Client, String>,
    /// The same without the read deadline, for streams that may be quiet for long (logs).
    streams: Option<Client>,
}

impl Conn {
    /// The client for a session that may be quiet for long — a followed log, a shell waiting on
    /// a silent command, a port-forward's idle connection: the read deadline would cut it after
    /// the watch's window. It still connects within the deadline.
    fn for_streams(&self) -> Result<Client, String> {
        match &self.streams {
            Some(quiet) => Ok(quiet.clone()),
            None => self.client.clone(),
        }
    }
}

/// The deadlined client and the streams' client of one kube config.
fn clients(
    config: Result<kube::Config, String>,
    timeout: StdDuration,
) -> (Result<Client, String>, Option<Client>) {
    let mut config = match config {
        Ok(c) => c,
        Err(e) => return (Err(e), None),
    };
    quiet_retries_off(&mut config);
    watch::deadlines(&mut config, timeout);
    let mut quiet = config.clone();
    quiet.read_timeout = None;
    (build(config), build(quiet).ok())
}

/// kube's client retries 429, 503 and 504 itself, up to 15 times over about three minutes,
/// and says nothing meanwhile: a feed whose API server answered 503 read live all along. The
/// watchers back off and report on their own, and an action's 503 is the user's to see.
fn quiet_retries_off(config: &mut kube::Config) {
    config.default_retry = false;
}

async fn client_for(kc: &Kubeconfig, context: &str) -> Result<kube::Config, String> {
    let options = KubeConfigOptions {
        context: Some(context.to_string()),
        ..Default::default()
    };
    kube::Config::from_custom_kubeconfig(kc.clone(), &options)
        .await
        .map_err(|e| flightdeck_core::sanitize::line(&e.to_string()))
}

fn build(mut config: kube::Config) -> Result<Client, String> {
    // Error answers that are not a Kubernetes Status get one with their real code.
    let client = |config: kube::Config| {
        kube::client::ClientBuilder::try_from(config).map(|b| {
            b.with_layer(&tower::layer::layer_fn(status::RealCodes))
                .build()
        })
    };
    match client(config.clone()) {
        Ok(c) => Ok(c),
        Err(e) if config.proxy_url.is_some() => {
            // This build speaks no proxy protocol; try directly rather than not at all.
            tracing::warn!(error = %e, "kube proxy unsupported in this build; connecting directly");
            config.proxy_url = None;
            client(config).map_err(|e| flightdeck_core::sanitize::line(&e.to_string()))
        }
        Err(e) => Err(flightdeck_core::sanitize::line(&e.to_string())),
    }
}

async fn connect(source: &KubernetesSource) -> Result<Vec<Conn>, String> {
    let timeout = StdDuration::from_secs(source.timeout_secs);
    let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
    let paths = kubeconfig_paths(
        source.kubeconfig.as_deref(),
        std::env::var_os("KUBECONFIG"),
        home,
    );
    let Some(kc) = load_kubeconfig(&paths)? else {
        // No kubeconfig: inside a cluster, its service account.
        let config = kube::Config::incluster()
            .map_err(|e| format!("no kubeconfig found and not in a cluster ({e})"))?;
        let (client, streams) = clients(Ok(config), timeout);
        return Ok(vec![Conn {
            name: "in-cluster".into(),
            source: "kubernetes".into(),
            client,
            streams,
        }]);
    };
    let mut conns = Vec::new();
    if source.contexts.is_empty() {
        let name = kc
            .current_context
            .clone()
            .ok_or("the kubeconfig names no current context; set [kubernetes] contexts")?;
        let (client, streams) = clients(client_for(&kc, &name).await, timeout);
        conns.push(Conn {
            name,
            source: "kubernetes".into(),
            client,
            streams,
        });
    }
    for name in &source.contexts {
        let config = if kc.contexts.iter().any(|c| &c.name == name) {
            client_for(&kc, name).await
        } else {
            Err(format!("no context {name} in the kubeconfig"))
        };
        let (client, streams) = clients(config, timeout);
        conns.push(Conn {
            name: name.clone(),
            source: name.clone(),
            client,
            streams,
        });
    }
    Ok(conns)
}

/// One context's running watches.
struct Running {
    key: (watch::Plan, Vec<ServiceTarget>),
    stop: tokio_watch::Sender<bool>,
    feeds: Vec<tokio::task::JoinHandle<()>>,
    metrics: tokio::task::JoinHandle<()>,
}

async fn supervise(source: KubernetesSource, cx: Context, mut rx: mpsc::UnboundedReceiver<Ctl>) {
    let tx = cx.tx.clone();
    let mut conns = match connect(&source).await {
        Ok(c) => c,
        Err(error) => {
            let id = SourceId::new(
                SourceKind::Kubernetes,
                if source.contexts.is_empty() {
                    "kubernetes".to_string()
                } else {
                    source.contexts[0].clone()
                },
            );
            let _ = tx
                .send(Msg::Source {
                    id,
                    event: SourceEvent::Failed {
                        error,
                        at: cx.clock.now(),
                        retry_at: None,
                    },
                })
                .await;
            Vec::new()
        }
    };
    let contexts = conns
        .iter()
        .map(|c| (c.name.clone(), c.source.clone()))
        .collect();
    let _ = tx
        .send(Msg::Workloads(WMsg::Configured {
            contexts,
            log_buffer_lines: source.log_buffer_lines,
        }))
        .await;
    let mut batchers: HashMap<String, mpsc::Sender<watch::FeedMsg>> = HashMap::new();
    for conn in &mut conns {
        let id = SourceId::new(SourceKind::Kubernetes, conn.source.clone());
        match &conn.client {
            Ok(client) => {
                let _ = tx
                    .send(Msg::Source {
                        id,
                        event: SourceEvent::Connecting,
                    })
                    .await;
                let (btx, brx) = mpsc::channel(8192);
                tokio::spawn(watch::batcher(
                    conn.name.clone(),
                    conn.source.clone(),
                    client.clone(),
                    brx,
                    tx.clone(),
                    cx.clock.clone(),
                ));
                batchers.insert(conn.name.clone(), btx);
            }
            Err(error) => {
                let event = SourceEvent::Failed {
                    error: error.clone(),
                    at: cx.clock.now(),
                    retry_at: None,
                };
                let _ = tx.send(Msg::Source { id, event }).await;
            }
        }
    }
    let refresh = Arc::new(Notify::new());
    let mut running: HashMap<String, Running> = HashMap::new();
    let mut logs: HashMap<u64, tokio::task::JoinHandle<()>> = HashMap::new();
    let mut forwards: HashMap<u64, tokio::task::JoinHandle<()>> = HashMap::new();
    while let Some(ctl) = rx.recv().await {
        match ctl {
            Ctl::Targets(targets) => {
                let targets: Vec<ServiceTarget> = targets
                    .into_iter()
                    .filter(|t| t.kubernetes.is_some())
                    .collect();
                let plan = watch::plan(&targets, &source.namespaces);
                let key = (plan.clone(), targets.clone());
                let matcher = Arc::new(watch::Matcher::new(&targets, &source.namespaces));
                for conn in &conns {
                    let (Ok(client), Some(btx)) = (&conn.client, batchers.get(&conn.name)) else {
                        continue;
                    };
                    if running.get(&conn.name).is_some_and(|r| r.key == key) {
                        continue;
                    }
                    if let Some(old) = running.remove(&conn.name) {
                        let _ = old.stop.send(true);
                        old.metrics.abort();
                        for f in old.feeds {
                            let _ = f.await;
                        }
                    }
                    if plan.is_empty() {
                        let id = SourceId::new(SourceKind::Kubernetes, conn.source.clone());
                        let detail = Some("no service has a kubernetes annotation".to_string());
                        let _ = tx
                            .send(Msg::Source {
                                id,
                                event: SourceEvent::Ok {
                                    at: cx.clock.now(),
                                    detail,
                                },
                            })
                            .await;
                        continue;
                    }
                    let (stop, stop_rx) = tokio_watch::channel(false);
                    let mut feeds = Vec::new();
                    let gate = Arc::new(tokio::sync::Semaphore::new(watch::INITIAL_LISTS));
                    for (scope, selector) in &plan {
                        feeds.extend(watch::start_scope(
                            client,
                            scope,
                            selector.clone(),
                            &matcher,
                            btx,
                            (&stop_rx, &refresh, &gate),
                            StdDuration::from_secs(source.timeout_secs),
                        ));
                        if scope != watch::ALL {
                            tokio::spawn(watch::review(
                                client.clone(),
                                conn.name.clone(),
                                scope.clone(),
                                tx.clone(),
                            ));
                        }
                    }
                    let metrics = tokio::spawn(ops::metrics(
                        client.clone(),
                        conn.name.clone(),
                        plan.keys().cloned().collect(),
                        METRICS_EVERY,
                        tx.clone(),
                    ));
                    running.insert(
                        conn.name.clone(),
                        Running {
                            key: key.clone(),
                            stop,
                            feeds,
                            metrics,
                        },
                    );
                }
            }
            Ctl::Refresh => refresh.notify_waiters(),
            Ctl::Client { context, reply } => {
                // Asked for a shell: an interactive session, quiet while its command is.
                let client = match conns.iter().find(|c| c.name == context) {
                    Some(c) => c.for_streams(),
                    None => Err(format!("context {context} is not watched")),
                };
                let _ = reply.send(client);
            }
            Ctl::Command(Command::StartForward {
                id,
                pod,
                local,
                remote,
            }) => {
                let client = match conns.iter().find(|c| *c.name == *pod.context) {
                    Some(c) => c.for_streams(),
                    None => Err(format!("context {} is not watched", pod.context)),
                };
                let spec = forward::Spec {
                    id,
                    pod,
                    local,
                    remote,
                    address: source.port_forward_address,
                };
                match (cx.read_only, client) {
                    (false, Ok(client)) => {
                        forwards.retain(|_, h| !h.is_finished());
                        forwards.insert(id, forward::spawn(client, spec, tx.clone()));
                    }
                    (read_only, client) => {
                        let error = match client {
                            _ if read_only => "refused, flightdeck runs read-only".to_string(),
                            Err(e) => e,
                            Ok(_) => String::new(),
                        };
                        let _ = tx
                            .send(Msg::Workloads(WMsg::Forward {
                                id,
                                bound: None,
                                state: flightdeck_core::model::workloads::ForwardState::Failed(
                                    error,
                                ),
                                open: 0,
                                total: 0,
                                last_error: None,
                            }))
                            .await;
                    }
                }
            }
            Ctl::Command(Command::StopForward { id }) => {
                // Aborting the listener's task drops its connections' tasks with it.
                if let Some(h) = forwards.remove(&id) {
                    h.abort();
                }
            }
            Ctl::Command(command) => {
                logs.retain(|_, h| !h.is_finished());
                carry_out(command, &conns, &cx, source.log_buffer_lines, &mut logs);
            }
        }
    }
}

fn carry_out(
    command: Command,
    conns: &[Conn],
    cx: &Context,
    capacity: usize,
    logs: &mut HashMap<u64, tokio::task::JoinHandle<()>>,
) {
    let client_of = |context: &str| -> Result<Client, String> {
        match conns.iter().find(|c| c.name == context) {
            Some(c) => c.client.clone(),
            None => Err(format!("context {context} is not watched")),
        }
    };
    let tx = cx.tx.clone();
    let failed = |what: String, error: String| Msg::Workloads(WMsg::ActionFailed { what, error });
    match command {
        Command::Describe { request, target } => {
            let client = client_of(&target.key.context);
            let clock = cx.clock.clone();
            tokio::spawn(async move {
                let result = match client {
                    Ok(c) => ops::describe(c, &target, &clock).await,
                    Err(e) => Err(e),
                };
                let _ = tx
                    .send(Msg::Workloads(WMsg::Described { request, result }))
                    .await;
            });
        }
        Command::StartLogs {
            id,
            sources,
            options,
        } => {
            let Some(first) = sources.first() else { return };
            // A followed log may be quiet for hours: its client has no read deadline.
            let streams = conns
                .iter()
                .find(|c| *c.name == *first.key.context)
                .and_then(|c| c.streams.clone());
            match streams.map_or_else(|| client_of(&first.key.context), Ok) {
                Ok(client) => {
                    logs.insert(
                        id,
                        ops::spawn_logs(client, id, sources, options, capacity, tx),
                    );
                }
                Err(error) => {
                    tokio::spawn(async move {
                        let _ = tx
                            .send(Msg::Workloads(WMsg::LogEnded {
                                id,
                                source: 0,
                                error: Some(error),
                            }))
                            .await;
                    });
                }
            }
        }
        Command::StopLogs { id } => {
            if let Some(h) = logs.remove(&id) {
                h.abort();
            }
        }
        Command::Restart { target } => {
            let what = format!("rollout restart {}", target.key.name);
            let client = client_of(&target.key.context);
            let (read_only, clock) = (cx.read_only, cx.clock.clone());
            tokio::spawn(async move {
                let result = match (read_only, client) {
                    (true, _) => Err("refused, flightdeck runs read-only".to_string()),
                    (false, Err(e)) => Err(e),
                    (false, Ok(c)) => ops::restart(c, &target, &clock).await,
                };
                let msg = match result {
                    Ok(()) => Msg::Workloads(WMsg::ActionDone { what }),
                    Err(e) => failed(what, e),
                };
                let _ = tx.send(msg).await;
            });
        }
        Command::Scale { target, replicas } => {
            let what = format!("scale {} to {replicas}", target.key.name);
            let client = client_of(&target.key.context);
            let read_only = cx.read_only;
            tokio::spawn(async move {
                let result = match (read_only, client) {
                    (true, _) => Err("refused, flightdeck runs read-only".to_string()),
                    (false, Err(e)) => Err(e),
                    (false, Ok(c)) => ops::scale(c, &target, replicas).await,
                };
                let msg = match result {
                    Ok(()) => Msg::Workloads(WMsg::ActionDone { what }),
                    Err(e) => failed(what, e),
                };
                let _ = tx.send(msg).await;
            });
        }
        Command::Rollback {
            target,
            revision,
            replicaset,
        } => {
            let what = format!("roll back {} to revision {revision}", target.key.name);
            let client = client_of(&target.key.context);
            let read_only = cx.read_only;
            tokio::spawn(async move {
                let result = match (read_only, client) {
                    (true, _) => Err("refused, flightdeck runs read-only".to_string()),
                    (false, Err(e)) => Err(e),
                    (false, Ok(c)) => ops::rollback(c, &target, revision, &replicaset).await,
                };
                let msg = match result {
                    Ok(()) => Msg::Workloads(WMsg::ActionDone { what }),
                    Err(e) => failed(what, e),
                };
                let _ = tx.send(msg).await;
            });
        }
        // `supervise` carries these out itself: it keeps the forwards' tasks to stop them.
        Command::StartForward { .. } | Command::StopForward { .. } => {}
        Command::DeletePod { key } => {
            let what = format!("delete pod {}", key.name);
            let client = client_of(&key.context);
            let read_only = cx.read_only;
            tokio::spawn(async move {
                let result = match (read_only, client) {
                    (true, _) => Err("refused, flightdeck runs read-only".to_string()),
                    (false, Err(e)) => Err(e),
                    (false, Ok(c)) => ops::delete_pod(c, &key.namespace, &key.name).await,
                };
                let msg = match result {
                    Ok(()) => Msg::Workloads(WMsg::ActionDone { what }),
                    Err(e) => failed(what, e),
                };
                let _ = tx.send(msg).await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeconfig_paths_follow_kubectl() {
        let home = Some(PathBuf::from("/home/u"));
        assert_eq!(
            kubeconfig_paths(None, None, home.clone()),
            vec![PathBuf::from("/home/u/.kube/config")]
        );
        let env = std::env::join_paths(["/a/one", "/b/two"]).expect("joinable paths");
        assert_eq!(
            kubeconfig_paths(None, Some(env), home.clone()),
            vec![PathBuf::from("/a/one"), PathBuf::from("/b/two")]
        );
        assert_eq!(
            kubeconfig_paths(Some(Path::new("/c")), None, home),
            vec![PathBuf::from("/c")]
        );
    }

    #[test]
    fn several_files_merge_and_exec_plugins_never_prompt() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let a = dir.path().join("a.yaml");
        let b = dir.path().join("b.yaml");
        std::fs::write(&a, "apiVersion: v1\nkind: Config\ncurrent-context: one\ncontexts:\n- name: one\n  context: {cluster: c1, user: u1}\nclusters:\n- name: c1\n  cluster: {server: 'https://127.0.0.1:1'}\nusers:\n- name: u1\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1, command: get-token, interactiveMode: IfAvailable}\n").expect("write a");
        std::fs::write(&b, "apiVersion: v1\nkind: Config\ncurrent-context: two\ncontexts:\n- name: two\n  context: {cluster: c1, user: u1}\n").expect("write b");
        let missing = dir.path().join("absent.yaml");
        let kc = load_kubeconfig(&[a, missing, b])
            .expect("merges")
            .expect("some config");
        assert_eq!(
            kc.current_context.as_deref(),
            Some("one"),
            "the first file wins"
        );
        assert_eq!(kc.contexts.len(), 2);
        let exec = kc.auth_infos[0]
            .auth_info
            .as_ref()
            .and_then(|a| a.exec.as_ref())
            .expect("an exec plugin");
        assert_eq!(exec.interactive_mode, Some(ExecInteractiveMode::Never));
    }
}
