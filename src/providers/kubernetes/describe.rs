//! Describe laid out the way `kubectl describe` lays it out — the fields people read first,
//! the containers, the conditions and the object's Events — for every kind the Workloads
//! screen lists, followed by the whole object as YAML for whatever the summary leaves out.
//! It reads the object as JSON, so one layout serves every kind.

use chrono::{DateTime, Utc};
use serde_json::Value;

use flightdeck_core::model::time::age;

/// Column where values start, as kubectl's tab writer aligns the top-level fields.
const VALUE_AT: usize = 20;

/// One Event of the object, already read from the API.
pub struct EventRow {
    pub warning: bool,
    pub reason: String,
    pub last: Option<DateTime<Utc>>,
    pub count: u32,
    pub from: String,
    pub message: String,
}

/// The summary of `obj` (a Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet or Event) with
/// its events. Not sanitised here: the caller sanitises the whole text once.
pub fn summary(obj: &Value, events: &[EventRow], now: DateTime<Utc>) -> String {
    let mut out = Out::default();
    let kind = str_at(obj, "/kind");
    let meta = &obj["metadata"];
    out.field("Name", str_at(meta, "/name"));
    out.field("Namespace", str_at(meta, "/namespace"));
    if kind == "Pod" {
        out.field("Node", &node(obj));
        out.field("Start Time", str_at(obj, "/status/startTime"));
    } else {
        out.field("CreationTimestamp", str_at(meta, "/creationTimestamp"));
    }
    out.pairs("Labels", &meta["labels"], "=");
    out.pairs("Annotations", &meta["annotations"], ": ");
    match kind {
        "Pod" => pod(&mut out, obj),
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => workload(&mut out, kind, obj),
        "Event" => event(&mut out, obj),
        _ => {}
    }
    conditions(&mut out, obj);
    events_table(&mut out, events, now);
    out.text
}

#[derive(Default)]
struct Out {
    text: String,
}

impl Out {
    /// `Label:` then the value at the values' column, as kubectl aligns them.
    fn field(&mut self, label: &str, value: &str) {
        self.indented(0, label, value);
    }

    fn indented(&mut self, indent: usize, label: &str, value: &str) {
        let head = format!("{:indent$}{label}:", "");
        let value = if value.is_empty() { "<none>" } else { value };
        let pad = VALUE_AT.saturating_sub(head.len()).max(1);
        self.text.push_str(&format!("{head}{:pad$}{value}\n", ""));
    }

    fn line(&mut self, s: &str) {
        self.text.push_str(s);
        self.text.push('\n');
    }

    /// A map as kubectl shows labels and annotations: one `k=v` per line, `<none>` when empty.
    fn pairs(&mut self, label: &str, map: &Value, sep: &str) {
        let Some(m) = map.as_object().filter(|m| !m.is_empty()) else {
            self.field(label, "<none>");
            return;
        };
        for (i, (k, v)) in m.iter().enumerate() {
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            let text = format!("{k}{sep}{v}");
            if i == 0 {
                self.field(label, &text);
            } else {
                self.text
                    .push_str(&format!("{:VALUE_AT$}{text}\n", "", VALUE_AT = VALUE_AT));
            }
        }
    }
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn num_at(v: &Value, pointer: &str) -> i64 {
    v.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn node(pod: &Value) -> String {
    let name = str_at(pod, "/spec/nodeName");
    let ip = str_at(pod, "/status/hostIP");
    match (name.is_empty(), ip.is_empty()) {
        (true, _) => String::new(),
        (false, true) => name.to_string(),
        (false, false) => format!("{name}/{ip}"),
    }
}

fn selector(v: &Value) -> String {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

fn controlled_by(meta: &Value) -> Option<String> {
    meta["ownerReferences"]
        .as_array()?
        .iter()
        .find(|o| o["controller"].as_bool() == Some(true))
        .map(|o| format!("{}/{}", str_at(o, "/kind"), str_at(o, "/name")))
}

fn pod(out: &mut Out, obj: &Value) {
    out.field("Status", &pod_status(obj));
    out.field("IP", str_at(obj, "/status/podIP"));
    if let Some(by) = controlled_by(&obj["metadata"]) {
        out.field("Controlled By", &by);
    }
    let statuses = obj
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array);
    out.line("Containers:");
    for c in obj
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = str_at(c, "/name");
        out.line(&format!("  {name}:"));
        container_spec(out, c, 4);
        let status = statuses.and_then(|s| s.iter().find(|s| str_at(s, "/name") == name));
        if let Some(s) = status {
            container_state(out, "State", &s["state"]);
            if s["lastState"].as_object().is_some_and(|m| !m.is_empty()) {
                container_state(out, "Last State", &s["lastState"]);
            }
            let ready = if s["ready"].as_bool() == Some(true) {
                "True"
            } else {
                "False"
            };
            out.indented(4, "Ready", ready);
            out.indented(4, "Restart Count", &num_at(s, "/restartCount").to_string());
        }
    }
}

/// kubectl's STATUS column in short: the phase, or the reason a container waits or ended.
fn pod_status(obj: &Value) -> String {
    if obj.pointer("/metadata/deletionTimestamp").is_some() {
        return "Terminating".into();
    }
    let waiting = obj
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find_map(|s| s.pointer("/state/waiting/reason").and_then(Value::as_str));
    match waiting {
        Some(r) => format!("{} ({r})", str_at(obj, "/status/phase")),
        None => str_at(obj, "/status/phase").to_string(),
    }
}

fn container_spec(out: &mut Out, c: &Value, indent: usize) {
    out.indented(indent, "Image", str_at(c, "/image"));
    let ports: Vec<String> = c["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let proto = p["protocol"].as_str().unwrap_or("TCP");
            format!("{}/{proto}", num_at(p, "/containerPort"))
        })
        .collect();
    out.indented(indent, "Port", &ports.join(", "));
    for (what, key) in [("Limits", "limits"), ("Requests", "requests")] {
        if let Some(m) = c["resources"][key].as_object().filter(|m| !m.is_empty()) {
            out.line(&format!("{:indent$}{what}:", ""));
            for (k, v) in m {
                out.indented(indent + 2, k, v.as_str().unwrap_or(""));
            }
        }
    }
    let env: Vec<String> = c["env"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let value = e["value"]
                .as_str()
                .map_or_else(|| "<set from a source>".to_string(), str::to_string);
            format!("{}: {value}", str_at(e, "/name"))
        })
        .collect();
    if env.is_empty() {
        out.indented(indent, "Environment", "<none>");
    } else {
        out.line(&format!("{:indent$}Environment:", ""));
        for e in env {
            out.line(&format!("{:w$}{e}", "", w = indent + 2));
        }
    }
}

fn container_state(out: &mut Out, label: &str, state: &Value) {
    let Some((name, detail)) = state.as_object().and_then(|m| m.iter().next()) else {
        return;
    };
    let mut word = name.clone();
    if let Some(first) = word.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    out.indented(4, label, &word);
    for (k, l) in [
        ("reason", "Reason"),
        ("exitCode", "Exit Code"),
        ("startedAt", "Started"),
        ("finishedAt", "Finished"),
        ("message", "Message"),
    ] {
        if let Some(v) = detail.get(k) {
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            out.indented(6, l, &v);
        }
    }
}

fn workload(out: &mut Out, kind: &str, obj: &Value) {
    let spec = &obj["spec"];
    let status = &obj["status"];
    out.field("Selector", &selector(&spec["selector"]["matchLabels"]));
    if let Some(by) = controlled_by(&obj["metadata"]) {
        out.field("Controlled By", &by);
    }
    match kind {
        "Deployment" => {
            out.field(
                "Replicas",
                &format!(
                    "{} desired | {} updated | {} total | {} available | {} unavailable",
                    num_at(spec, "/replicas"),
                    num_at(status, "/updatedReplicas"),
                    num_at(status, "/replicas"),
                    num_at(status, "/availableReplicas"),
                    num_at(status, "/unavailableReplicas"),
                ),
            );
            out.field("StrategyType", str_at(spec, "/strategy/type"));
        }
        "DaemonSet" => out.field(
            "Desired Number of Nodes Scheduled",
            &num_at(status, "/desiredNumberScheduled").to_string(),
        ),
        _ => out.field(
            "Replicas",
            &format!(
                "{} current / {} desired",
                num_at(status, "/replicas"),
                num_at(spec, "/replicas")
            ),
        ),
    }
    let template = &spec["template"];
    out.line("Pod Template:");
    out.pairs_indented(2, "Labels", &template["metadata"]["labels"]);
    if template["metadata"]["annotations"]
        .as_object()
        .is_some_and(|m| !m.is_empty())
    {
        out.pairs_indented(2, "Annotations", &template["metadata"]["annotations"]);
    }
    out.line("  Containers:");
    for c in template
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.line(&format!("   {}:", str_at(c, "/name")));
        container_spec(out, c, 4);
    }
}

impl Out {
    fn pairs_indented(&mut self, indent: usize, label: &str, map: &Value) {
        let items: Vec<String> = map
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
            .collect();
        if items.is_empty() {
            self.indented(indent, label, "<none>");
        }
        for (i, item) in items.iter().enumerate() {
            if i == 0 {
                self.indented(indent, label, item);
            } else {
                self.text.push_str(&format!("{:VALUE_AT$}{item}\n", ""));
            }
        }
    }
}

fn event(out: &mut Out, obj: &Value) {
    out.field(
        "Involved Object",
        &format!(
            "{}/{}",
            str_at(obj, "/involvedObject/kind"),
            str_at(obj, "/involvedObject/name")
        ),
    );
    out.field("Type", str_at(obj, "/type"));
    out.field("Reason", str_at(obj, "/reason"));
    out.field("Message", str_at(obj, "/message"));
    out.field("Count", &num_at(obj, "/count").to_string());
    out.field("Last Timestamp", str_at(obj, "/lastTimestamp"));
}

fn conditions(out: &mut Out, obj: &Value) {
    let Some(list) = obj
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
    else {
        return;
    };
    out.line("Conditions:");
    let rows: Vec<[&str; 3]> = list
        .iter()
        .map(|c| {
            [
                str_at(c, "/type"),
                str_at(c, "/status"),
                str_at(c, "/reason"),
            ]
        })
        .collect();
    table(
        out,
        ["Type", "Status", "Reason"],
        rows.iter().map(|r| r.map(str::to_string)).collect(),
    );
}

fn events_table(out: &mut Out, events: &[EventRow], now: DateTime<Utc>) {
    if events.is_empty() {
        out.field("Events", "<none>");
        return;
    }
    out.line("Events:");
    let rows = events
        .iter()
        .map(|e| {
            let when = e.last.map_or("-".to_string(), |t| age(now, t));
            let when = if e.count > 1 {
                format!("{when} (x{})", e.count)
            } else {
                when
            };
            [
                if e.warning { "Warning" } else { "Normal" }.to_string(),
                e.reason.clone(),
                when,
                e.from.clone(),
                e.message.clone(),
            ]
        })
        .collect();
    table(out, ["Type", "Reason", "Age", "From", "Message"], rows);
}

/// A table as kubectl prints one inside describe: two spaces in, a dashed rule under the
/// header, columns as wide as their widest cell.
fn table<const N: usize>(out: &mut Out, header: [&str; N], rows: Vec<[String; N]>) {
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == N {
                s.push_str(&format!("  {c}"));
            } else {
                s.push_str(&format!("  {c:<w$}", w = widths[i]));
            }
        }
        s.trim_end().to_string()
    };
    out.line(&line(header.iter().map(|h| h.to_string()).collect()));
    out.line(&line(header.iter().map(|h| "-".repeat(h.len())).collect()));
    for r in rows {
        out.line(&line(r.to_vec()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_deployment_reads_like_kubectl_describe() {
        let now = DateTime::parse_from_rfc3339("2026-03-02T09:30:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let d = json!({
            "kind": "Deployment",
            "metadata": {"name": "ledger", "namespace": "payments",
                "creationTimestamp": "2026-01-01T00:00:00Z",
                "labels": {"app": "ledger"}, "annotations": {}},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "ledger"}},
                "strategy": {"type": "RollingUpdate"},
                "template": {"metadata": {"labels": {"app": "ledger"}},
                    "spec": {"containers": [{"name": "ledger", "image": "ghcr.io/acme/ledger:abc",
                        "ports": [{"containerPort": 8080}]}]}}},
            "status": {"replicas": 3, "updatedReplicas": 3, "availableReplicas": 2,
                "unavailableReplicas": 1,
                "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}]}
        });
        let events = [EventRow {
            warning: false,
            reason: "ScalingReplicaSet".into(),
            last: Some(now - chrono::Duration::minutes(5)),
            count: 2,
            from: "deployment-controller".into(),
            message: "Scaled up replica set ledger-abc to 3".into(),
        }];
        let text = summary(&d, &events, now);
        for want in [
            "Name:               ledger\n",
            "Annotations:        <none>\n",
            "Selector:           app=ledger\n",
            "Replicas:           3 desired | 3 updated | 3 total | 2 available | 1 unavailable\n",
            "    Image:          ghcr.io/acme/ledger:abc\n",
            "    Port:           8080/TCP\n",
            "  Type       Status  Reason\n",
            "  Available  True    MinimumReplicasAvailable\n",
            "  Normal  ScalingReplicaSet  5m (x2)  deployment-controller  Scaled up replica set ledger-abc to 3\n",
        ] {
            assert!(text.contains(want), "lacks {want:?} in:\n{text}");
        }
        let quiet = summary(&d, &[], now);
        assert!(quiet.ends_with("Events:             <none>\n"), "{quiet}");
    }
}
