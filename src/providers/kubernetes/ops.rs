//! What the Workloads screen asks of a cluster on demand: Describe (the object as YAML without
//! managedFields), log streams (batched, bounded, sanitised), rollout restart, scale and
//! delete, and pod usage from metrics.k8s.io when the cluster serves it.

use std::time::Duration as StdDuration;

use futures::AsyncBufReadExt;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{Event as K8sEvent, Pod};
use kube::api::{DeleteParams, LogParams, Patch, PatchParams};
use kube::{Api, Client, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use tokio::sync::mpsc;

use super::watch::describe_error;
use super::{convert, describe};
use crate::clock::Clock;
use flightdeck_core::message::Msg;
use flightdeck_core::message::workloads::Msg as WMsg;
use flightdeck_core::model::workloads::{Kind, LogLine, LogOptions, LogSource, Target, Usage};
use flightdeck_core::sanitize;

/// A raw line of one source, or its end (with why, when it failed).
type SourceItem = (u16, Result<Vec<u8>, Option<String>>);

/// How long log lines gather before they go to the loop as one message.
const LOG_COALESCE: StdDuration = StdDuration::from_millis(50);
/// The longest log line kept; the rest of a longer one is cut (a chatty pod cannot eat memory).
const MAX_LINE: usize = 16 * 1024;

/// The object laid out as `kubectl describe` does, its Events included, then as YAML
/// without managedFields.
pub async fn describe(client: Client, target: &Target, clock: &Clock) -> Result<String, String> {
    let (ns, name) = (target.key.namespace.as_ref(), target.key.name.as_ref());
    let value = match target.kind {
        Kind::Pod => get::<Pod>(client.clone(), ns, name).await,
        Kind::Deployment => get::<Deployment>(client.clone(), ns, name).await,
        Kind::StatefulSet => get::<StatefulSet>(client.clone(), ns, name).await,
        Kind::DaemonSet => get::<DaemonSet>(client.clone(), ns, name).await,
        Kind::ReplicaSet => get::<ReplicaSet>(client.clone(), ns, name).await,
        Kind::Event => get::<K8sEvent>(client.clone(), ns, name).await,
    }?;
    let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    // The object's Events, as kubectl describe finds them; none for an Event itself. Failing
    // to read them (RBAC) leaves the rest of the describe standing.
    let events = if target.kind == Kind::Event {
        Vec::new()
    } else {
        let fields = format!("involvedObject.name={name},involvedObject.kind={kind}");
        match Api::<K8sEvent>::namespaced(client, ns)
            .list(&kube::api::ListParams::default().fields(&fields))
            .await
        {
            Ok(list) => {
                let mut rows: Vec<describe::EventRow> = list
                    .items
                    .into_iter()
                    .filter_map(|e| convert::event(&e))
                    .map(|e| describe::EventRow {
                        warning: e.warning,
                        reason: e.reason.to_string(),
                        last: e.last,
                        count: e.count,
                        from: e.source.to_string(),
                        message: e.message,
                    })
                    .collect();
                rows.sort_by_key(|e| e.last);
                rows
            }
            Err(e) => {
                tracing::info!(error = %describe_error(&e), "events for describe");
                Vec::new()
            }
        }
    };
    let summary = sanitize::text(&describe::summary(&value, &events, clock.now()));
    Ok(format!(
        "{summary}\n# The whole object (managedFields left out):\n{}",
        yaml_without_bulk(value)
    ))
}

/// Drops managedFields and the last-applied annotation (a copy of the object) and renders
/// YAML, sanitised for the terminal.
pub fn yaml_without_bulk(mut value: serde_json::Value) -> String {
    if let Some(meta) = value.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        meta.remove("managedFields");
        if let Some(a) = meta.get_mut("annotations").and_then(|a| a.as_object_mut()) {
            a.remove("kubectl.kubernetes.io/last-applied-configuration");
        }
    }
    let yaml =
        serde_norway::to_string(&value).unwrap_or_else(|e| format!("# cannot render as YAML: {e}"));
    sanitize::text(&yaml)
}

async fn get<K>(client: Client, ns: &str, name: &str) -> Result<serde_json::Value, String>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Serialize
        + std::fmt::Debug,
{
    let api: Api<K> = Api::namespaced(client, ns);
    let obj = api.get(name).await.map_err(|e| describe_error(&e))?;
    serde_json::to_value(&obj).map_err(|e| e.to_string())
}

/// Streams the logs of every source, merged, batched every `LOG_COALESCE`, until aborted.
pub async fn logs(
    client: Client,
    id: u64,
    sources: Vec<LogSource>,
    options: LogOptions,
    capacity: usize,
    out: mpsc::Sender<Msg>,
) {
    let (tx, mut rx) = mpsc::channel::<SourceItem>(4096);
    let mut tasks = Vec::new();
    for (i, source) in sources.into_iter().enumerate() {
        let index = u16::try_from(i).unwrap_or(u16::MAX);
        tasks.push(tokio::spawn(one_stream(
            client.clone(),
            index,
            source,
            options,
            tx.clone(),
        )));
    }
    drop(tx);
    // Aborting this task drops the receiver; the streams then end at their next line.
    let _guard = AbortOnDrop(tasks);
    let capacity = capacity.max(1);
    while let Some(first) = rx.recv().await {
        let mut lines: Vec<LogLine> = Vec::new();
        let mut ended: Vec<(u16, Option<String>)> = Vec::new();
        let mut take = |(source, item): SourceItem, lines: &mut Vec<LogLine>| match item {
            Ok(raw) => {
                let text = String::from_utf8_lossy(&raw);
                let (text, runs) = sanitize::log_line(&text);
                lines.push(LogLine { source, text, runs });
            }
            Err(error) => ended.push((source, error)),
        };
        take(first, &mut lines);
        let deadline = tokio::time::Instant::now() + LOG_COALESCE;
        loop {
            tokio::select! {
                m = rx.recv() => match m { Some(m) => take(m, &mut lines), None => break },
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        if lines.len() > capacity {
            // More than the buffer holds arrived at once: only the newest could be shown.
            lines.drain(..lines.len() - capacity);
        }
        if !lines.is_empty()
            && out
                .send(Msg::Workloads(WMsg::LogLines { id, lines }))
                .await
                .is_err()
        {
            return;
        }
        for (source, error) in ended {
            let _ = out
                .send(Msg::Workloads(WMsg::LogEnded { id, source, error }))
                .await;
        }
    }
}

struct AbortOnDrop(Vec<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

async fn one_stream(
    client: Client,
    index: u16,
    source: LogSource,
    options: LogOptions,
    tx: mpsc::Sender<SourceItem>,
) {
    let api: Api<Pod> = Api::namespaced(client, &source.key.namespace);
    let params = LogParams {
        container: source.container.clone(),
        follow: options.follow,
        tail_lines: options.tail,
        since_seconds: options.since_secs,
        previous: options.previous,
        ..Default::default()
    };
    let reader = match api.log_stream(&source.key.name, &params).await {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.send((index, Err(Some(describe_error(&e))))).await;
            return;
        }
    };
    let mut reader = std::pin::pin!(reader);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.as_mut().read_until(b'\n', &mut buf).await {
            Ok(0) => {
                let _ = tx.send((index, Err(None))).await;
                return;
            }
            Ok(_) => {
                buf.truncate(MAX_LINE);
                if tx
                    .send((index, Ok(std::mem::take(&mut buf))))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Err(e) => {
                let _ = tx
                    .send((index, Err(Some(sanitize::line(&e.to_string())))))
                    .await;
                return;
            }
        }
    }
}

/// `kubectl rollout restart`: a new template annotation makes the controller replace pods.
pub async fn restart(client: Client, target: &Target, clock: &Clock) -> Result<(), String> {
    let at = clock
        .now()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let patch = json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": at}}}}});
    let ns = &target.key.namespace;
    let pp = PatchParams::default();
    let p = Patch::Merge(&patch);
    let result = match target.kind {
        Kind::Deployment => Api::<Deployment>::namespaced(client, ns)
            .patch(&target.key.name, &pp, &p)
            .await
            .map(|_| ()),
        Kind::StatefulSet => Api::<StatefulSet>::namespaced(client, ns)
            .patch(&target.key.name, &pp, &p)
            .await
            .map(|_| ()),
        Kind::DaemonSet => Api::<DaemonSet>::namespaced(client, ns)
            .patch(&target.key.name, &pp, &p)
            .await
            .map(|_| ()),
        other => return Err(format!("a {} does not roll out", other.name())),
    };
    result.map_err(|e| describe_error(&e))
}

/// Annotations of a ReplicaSet the controller owns, which a rollback must not copy onto the
/// Deployment (kubectl skips the same ones).
const NOT_ROLLED_BACK: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

/// `kubectl rollout undo --to-revision`: the Deployment's pod template becomes the
/// ReplicaSet's again (without its pod-template-hash), and the ReplicaSet's annotations
/// (change-cause) come back, in one JSON patch. The ReplicaSet is read again first: the one
/// chosen must still hold `revision` and belong to the Deployment.
pub async fn rollback(
    client: Client,
    target: &Target,
    revision: u64,
    replicaset: &str,
) -> Result<(), String> {
    let ns = &target.key.namespace;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let sets: Api<ReplicaSet> = Api::namespaced(client, ns);
    let deployment = deployments
        .get(&target.key.name)
        .await
        .map_err(|e| describe_error(&e))?;
    if deployment.spec.paused == Some(true) {
        return Err("the Deployment is paused: resume it first".into());
    }
    let rs = sets.get(replicaset).await.map_err(|e| describe_error(&e))?;
    let owned =
        rs.metadata.owner_references.iter().flatten().any(|o| {
            o.controller == Some(true) && Some(&o.uid) == deployment.metadata.uid.as_ref()
        });
    if !owned {
        return Err(format!(
            "{replicaset} no longer belongs to {}",
            target.key.name
        ));
    }
    let rs_revision = rs
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("deployment.kubernetes.io/revision"))
        .and_then(|r| r.parse::<u64>().ok());
    if rs_revision != Some(revision) {
        return Err(format!(
            "revision {revision} has moved on (its ReplicaSet is now revision {}); look again",
            rs_revision.map_or("?".to_string(), |r| r.to_string())
        ));
    }
    let Some(mut template) = rs.spec.template else {
        return Err(format!("{replicaset} has no pod template"));
    };
    if let Some(labels) = template.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
        labels.remove("pod-template-hash");
    }
    // The Deployment's own controller annotations stay; the rest come from the ReplicaSet.
    let mut annotations = serde_json::Map::new();
    let keep = |k: &str| NOT_ROLLED_BACK.contains(&k);
    for (k, v) in deployment.metadata.annotations.iter().flatten() {
        if keep(k) {
            annotations.insert(k.clone(), json!(v));
        }
    }
    for (k, v) in rs.metadata.annotations.iter().flatten() {
        if !keep(k) {
            annotations.insert(k.clone(), json!(v));
        }
    }
    let patch = json!([
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ]);
    let patch: json_patch::Patch = serde_json::from_value(patch).map_err(|e| e.to_string())?;
    deployments
        .patch(
            &target.key.name,
            &PatchParams::default(),
            &Patch::Json::<()>(patch),
        )
        .await
        .map(|_| ())
        .map_err(|e| describe_error(&e))
}

pub async fn scale(client: Client, target: &Target, replicas: u32) -> Result<(), String> {
    let patch = json!({"spec": {"replicas": replicas}});
    let ns = &target.key.namespace;
    let pp = PatchParams::default();
    let result = match target.kind {
        Kind::Deployment => Api::<Deployment>::namespaced(client, ns)
            .patch_scale(&target.key.name, &pp, &Patch::Merge(&patch))
            .await
            .map(|_| ()),
        Kind::StatefulSet => Api::<StatefulSet>::namespaced(client, ns)
            .patch_scale(&target.key.name, &pp, &Patch::Merge(&patch))
            .await
            .map(|_| ()),
        other => return Err(format!("a {} does not scale", other.name())),
    };
    result.map_err(|e| describe_error(&e))
}

pub async fn delete_pod(client: Client, namespace: &str, name: &str) -> Result<(), String> {
    Api::<Pod>::namespaced(client, namespace)
        .delete(name, &DeleteParams::default())
        .await
        .map(|_| ())
        .map_err(|e| describe_error(&e))
}

/// Polls pod usage every `every` when metrics.k8s.io is served; says nothing when it is not.
pub async fn metrics(
    client: Client,
    context: String,
    scopes: Vec<String>,
    every: StdDuration,
    out: mpsc::Sender<Msg>,
) {
    let served = match client.list_api_groups().await {
        Ok(groups) => groups.groups.iter().any(|g| g.name == "metrics.k8s.io"),
        Err(_) => false,
    };
    if !served {
        return;
    }
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let resource = kube::core::ApiResource {
            group: "metrics.k8s.io".into(),
            version: "v1beta1".into(),
            api_version: "metrics.k8s.io/v1beta1".into(),
            kind: "PodMetrics".into(),
            plural: "pods".into(),
        };
        let mut pods = Vec::new();
        for scope in &scopes {
            let api: Api<kube::core::DynamicObject> = if scope == super::watch::ALL {
                Api::all_with(client.clone(), &resource)
            } else {
                Api::namespaced_with(client.clone(), scope, &resource)
            };
            match api.list(&kube::api::ListParams::default()).await {
                Ok(list) => {
                    let items: Vec<serde_json::Value> = list
                        .items
                        .iter()
                        .filter_map(|o| serde_json::to_value(o).ok())
                        .collect();
                    pods.extend(parse_metrics(&json!({ "items": items })));
                }
                Err(e) => tracing::info!(error = %describe_error(&e), "pod metrics unavailable"),
            }
        }
        if out
            .send(Msg::Workloads(WMsg::Usage {
                context: context.clone(),
                pods,
                served: true,
            }))
            .await
            .is_err()
        {
            return;
        }
    }
}

fn parse_metrics(v: &serde_json::Value) -> Vec<(String, String, Usage)> {
    let items = v
        .get("items")
        .and_then(|i| i.as_array())
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    items
        .iter()
        .filter_map(|item| {
            let meta = item.get("metadata")?;
            let ns = sanitize::ident(meta.get("namespace")?.as_str()?);
            let name = sanitize::ident(meta.get("name")?.as_str()?);
            let mut usage = Usage {
                cpu_millis: 0,
                memory_bytes: 0,
            };
            for c in item.get("containers")?.as_array()? {
                let u = c.get("usage")?;
                usage.cpu_millis += u.get("cpu").and_then(|q| q.as_str()).map_or(0, cpu_millis);
                usage.memory_bytes += u.get("memory").and_then(|q| q.as_str()).map_or(0, bytes);
            }
            Some((ns, name, usage))
        })
        .collect()
}

/// `250m` → 250, `1` → 1000, `1500000n` → 1.
pub fn cpu_millis(q: &str) -> u64 {
    let num = |s: &str| s.parse::<f64>().unwrap_or(0.0);
    let v = if let Some(n) = q.strip_suffix('n') {
        num(n) / 1e6
    } else if let Some(u) = q.strip_suffix('u') {
        num(u) / 1e3
    } else if let Some(m) = q.strip_suffix('m') {
        num(m)
    } else {
        num(q) * 1e3
    };
    v.max(0.0) as u64
}

/// `128Mi` → 134217728, `1G` → 1e9.
pub fn bytes(q: &str) -> u64 {
    const UNITS: [(&str, f64); 10] = [
        ("Ki", 1024.0),
        ("Mi", 1048576.0),
        ("Gi", 1073741824.0),
        ("Ti", 1099511627776.0),
        ("k", 1e3),
        ("K", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("m", 1e-3),
    ];
    for (suffix, factor) in UNITS {
        if let Some(n) = q.strip_suffix(suffix) {
            return (n.parse::<f64>().unwrap_or(0.0) * factor).max(0.0) as u64;
        }
    }
    q.parse::<f64>().unwrap_or(0.0).max(0.0) as u64
}

/// Keeps log streams' tasks so a newer request or leaving the view stops them.
pub fn spawn_logs(
    client: Client,
    id: u64,
    sources: Vec<LogSource>,
    options: LogOptions,
    capacity: usize,
    out: mpsc::Sender<Msg>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(logs(client, id, sources, options, capacity, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("250m", 250)]
    #[case("2", 2000)]
    #[case("1500000n", 1)]
    fn cpu(#[case] q: &str, #[case] want: u64) {
        assert_eq!(cpu_millis(q), want);
    }

    #[rstest]
    #[case("128Mi", 134_217_728)]
    #[case("1G", 1_000_000_000)]
    #[case("2048", 2048)]
    fn memory(#[case] q: &str, #[case] want: u64) {
        assert_eq!(bytes(q), want);
    }

    #[test]
    fn describe_drops_managed_fields() {
        let yaml = yaml_without_bulk(
            json!({"metadata": {"name": "x", "managedFields": [{"manager": "kubectl"}]}, "spec": {}}),
        );
        assert!(yaml.contains("name: x"));
        assert!(!yaml.contains("managedFields"));
    }
}
