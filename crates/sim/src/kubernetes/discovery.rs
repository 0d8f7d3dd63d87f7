//! Discovery documents: what kubectl and kube read to learn which groups, versions and
//! resources the server has. Only the legacy (unaggregated) form is served; clients that
//! ask for aggregated discovery first fall back to it, as they do with older servers.

use serde_json::{Value, json};

pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "32",
        "emulationMajor": "1",
        "emulationMinor": "32",
        "gitVersion": "v1.32.4",
        "gitCommit": "59526cd4867447956156ae3a602fcbac10a2c335",
        "gitTreeState": "clean",
        "buildDate": "2025-04-22T16:03:05Z",
        "goVersion": "go1.23.6",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

pub fn api_versions(server: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server}]
    })
}

fn group(name: &str) -> Value {
    let gv = json!({"groupVersion": format!("{name}/v1"), "version": "v1"});
    json!({"name": name, "versions": [gv.clone()], "preferredVersion": gv})
}

pub fn api_groups() -> Value {
    json!({
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [group("apps"), group("authorization.k8s.io")]
    })
}

const READ: &[&str] = &["get", "list", "watch"];

fn resource(
    name: &str,
    singular: &str,
    kind: &str,
    namespaced: bool,
    verbs: &[&str],
    short: &[&str],
    categories: &[&str],
) -> Value {
    let mut r = json!({
        "name": name,
        "singularName": singular,
        "namespaced": namespaced,
        "kind": kind,
        "verbs": verbs,
    });
    if !short.is_empty() {
        r["shortNames"] = json!(short);
    }
    if !categories.is_empty() {
        r["categories"] = json!(categories);
    }
    r
}

fn sub(name: &str, kind: &str, verbs: &[&str], group: Option<(&str, &str)>) -> Value {
    let mut r =
        json!({"name": name, "singularName": "", "namespaced": true, "kind": kind, "verbs": verbs});
    if let Some((g, v)) = group {
        r["group"] = Value::from(g);
        r["version"] = Value::from(v);
    }
    r
}

pub fn core_resources() -> Value {
    json!({
        "kind": "APIResourceList",
        "groupVersion": "v1",
        "resources": [
            resource("events", "event", "Event", true, READ, &["ev"], &[]),
            resource("namespaces", "namespace", "Namespace", false, READ, &["ns"], &[]),
            resource("pods", "pod", "Pod", true, &["delete", "get", "list", "watch"], &["po"], &["all"]),
            sub("pods/log", "Pod", &["get"], None),
            sub("pods/status", "Pod", &["get"], None)
        ]
    })
}

pub fn apps_resources() -> Value {
    json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": "apps/v1",
        "resources": [
            resource("daemonsets", "daemonset", "DaemonSet", true, READ, &["ds"], &["all"]),
            resource("deployments", "deployment", "Deployment", true, &["get", "list", "patch", "watch"], &["deploy"], &["all"]),
            sub("deployments/scale", "Scale", &["get", "patch", "update"], Some(("autoscaling", "v1"))),
            sub("deployments/status", "Deployment", &["get"], None),
            resource("replicasets", "replicaset", "ReplicaSet", true, READ, &["rs"], &["all"]),
            resource("statefulsets", "statefulset", "StatefulSet", true, READ, &["sts"], &["all"])
        ]
    })
}

pub fn authorization_resources() -> Value {
    json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": "authorization.k8s.io/v1",
        "resources": [
            resource("selfsubjectaccessreviews", "selfsubjectaccessreview", "SelfSubjectAccessReview", false, &["create"], &[], &[])
        ]
    })
}
