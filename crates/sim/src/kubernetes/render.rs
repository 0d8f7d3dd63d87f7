//! Turns the compact cluster objects into the JSON the API server sends: full objects (with
//! managedFields, as a real server includes them), metadata-only objects, and the server-side
//! Tables that `kubectl get` asks for.

use serde_json::{Map, Value, json};

use crate::rest::ts;
use crate::world::SimClock;

use super::model::{
    Behaviour, CHANGE_CAUSE, Condition, DeploymentObj, Ending, EventObj, Instance, Kind,
    NamespaceObj, Obj, PodObj, Reason, ReplicaSetObj, Time, Waiting, event_source, uid,
};

fn labels_json<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Value {
    Value::Object(
        pairs
            .map(|(k, v)| (k.to_string(), Value::from(v)))
            .collect(),
    )
}

fn pairs_json(pairs: &[(String, String)]) -> Value {
    labels_json(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// `f:` keys of a managedFields entry for a set of label keys.
fn fields_of<'a>(keys: impl Iterator<Item = &'a str>) -> Value {
    let mut m = Map::new();
    m.insert(".".into(), json!({}));
    for k in keys {
        m.insert(format!("f:{k}"), json!({}));
    }
    Value::Object(m)
}

/// The object as the API server serves it.
pub fn object(c: &SimClock, obj: &Obj, rv: u64) -> Value {
    match obj {
        Obj::Namespace(n) => namespace(c, n, rv),
        Obj::Deployment(d) => deployment(c, d, rv),
        Obj::ReplicaSet(r) => replicaset(c, r, rv),
        Obj::Pod(p) => pod(c, p, rv),
        Obj::Event(e) => event(c, e, rv),
    }
}

/// The object as `PartialObjectMetadata` (kube's metadata watcher asks for these).
pub fn metadata_only(c: &SimClock, obj: &Obj, rv: u64) -> Value {
    let mut full = object(c, obj, rv);
    let metadata = full
        .get_mut("metadata")
        .map(Value::take)
        .unwrap_or_default();
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": metadata})
}

fn namespace(c: &SimClock, n: &NamespaceObj, rv: u64) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": n.name,
            "uid": uid(Kind::Namespace, "", &n.name),
            "resourceVersion": rv.to_string(),
            "creationTimestamp": ts(c, n.created),
            "labels": {"kubernetes.io/metadata.name": n.name},
            "managedFields": [{
                "manager": "kubectl-create",
                "operation": "Update",
                "apiVersion": "v1",
                "time": ts(c, n.created),
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:kubernetes.io/metadata.name": {}}}}
            }]
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"}
    })
}

fn container_spec(name: &str, image: &str, port: u16, language: &str) -> Value {
    let memory = if language == "java" || language == "python" {
        "512Mi"
    } else {
        "256Mi"
    };
    json!({
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
        "env": [
            {"name": "SERVICE_NAME", "value": name},
            {"name": "LOG_FORMAT", "value": if matches!(language, "go" | "typescript" | "kotlin") { "json" } else { "text" }}
        ],
        "resources": {
            "limits": {"cpu": "1", "memory": memory},
            "requests": {"cpu": "100m", "memory": memory}
        },
        "readinessProbe": {
            "httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"},
            "periodSeconds": 10,
            "timeoutSeconds": 1,
            "successThreshold": 1,
            "failureThreshold": 3
        },
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File"
    })
}

fn condition(c: &SimClock, k: &Condition) -> Value {
    json!({
        "type": k.kind,
        "status": if k.status { "True" } else { "False" },
        "lastUpdateTime": ts(c, k.last_update),
        "lastTransitionTime": ts(c, k.last_transition),
        "reason": k.reason,
        "message": k.message
    })
}

/// Sets `key` only when `n` is non-zero, as the API server omits zero counts.
fn set_count(m: &mut Map<String, Value>, key: &str, n: usize) {
    if n > 0 {
        m.insert(key.into(), Value::from(n));
    }
}

fn deployment(c: &SimClock, d: &DeploymentObj, rv: u64) -> Value {
    let w = &d.workload;
    let labels = pairs_json(&w.labels);
    let selector = pairs_json(&w.selector);
    let mut template_meta = json!({"labels": labels});
    if !d.template_annotations.is_empty() {
        template_meta["annotations"] = pairs_json(&d.template_annotations);
    }
    let mut status = Map::new();
    status.insert("observedGeneration".into(), Value::from(d.generation));
    set_count(&mut status, "replicas", d.replicas);
    set_count(&mut status, "updatedReplicas", d.updated);
    set_count(&mut status, "readyReplicas", d.ready);
    set_count(&mut status, "availableReplicas", d.available);
    set_count(
        &mut status,
        "unavailableReplicas",
        d.spec_replicas
            .saturating_sub(d.available)
            .max(d.replicas.saturating_sub(d.available)),
    );
    status.insert(
        "conditions".into(),
        d.conditions.iter().map(|x| condition(c, x)).collect(),
    );
    let label_fields = fields_of(w.labels.iter().map(|(k, _)| k.as_str()));
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": w.name,
            "namespace": w.namespace,
            "uid": uid(Kind::Deployment, &w.namespace, &w.name),
            "resourceVersion": rv.to_string(),
            "generation": d.generation,
            "creationTimestamp": ts(c, w.created),
            "labels": labels,
            "annotations": {
                "deployment.kubernetes.io/revision": d.revision.to_string(),
                (CHANGE_CAUSE): d.change_cause,
                "meta.helm.sh/release-name": w.name,
                "meta.helm.sh/release-namespace": w.namespace
            },
            "managedFields": [
                {
                    "manager": "helm",
                    "operation": "Update",
                    "apiVersion": "apps/v1",
                    "time": ts(c, w.created),
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {
                        "f:metadata": {"f:annotations": {".": {}, "f:meta.helm.sh/release-name": {}, "f:meta.helm.sh/release-namespace": {}}, "f:labels": label_fields},
                        "f:spec": {"f:progressDeadlineSeconds": {}, "f:replicas": {}, "f:revisionHistoryLimit": {}, "f:selector": {}, "f:strategy": {"f:rollingUpdate": {".": {}, "f:maxSurge": {}, "f:maxUnavailable": {}}, "f:type": {}}, "f:template": {"f:metadata": {"f:labels": {}}, "f:spec": {"f:containers": {}}}}
                    }
                },
                {
                    "manager": "kube-controller-manager",
                    "operation": "Update",
                    "apiVersion": "apps/v1",
                    "time": ts(c, d.conditions.iter().map(|k| k.last_update).max().unwrap_or(w.created)),
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {
                        "f:metadata": {"f:annotations": {"f:deployment.kubernetes.io/revision": {}}},
                        "f:status": {"f:availableReplicas": {}, "f:conditions": {}, "f:observedGeneration": {}, "f:readyReplicas": {}, "f:replicas": {}, "f:updatedReplicas": {}}
                    },
                    "subresource": "status"
                }
            ]
        },
        "spec": {
            "replicas": d.spec_replicas,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": template_meta,
                "spec": {
                    "containers": [container_spec(&w.name, &d.image, w.port, &w.language)],
                    "restartPolicy": "Always",
                    "terminationGracePeriodSeconds": 30,
                    "dnsPolicy": "ClusterFirst",
                    "schedulerName": "default-scheduler",
                    "securityContext": {}
                }
            },
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600
        },
        "status": Value::Object(status)
    })
}

fn owner(kind: &str, api_version: &str, namespace: &str, name: &str, k: Kind) -> Value {
    json!([{
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": uid(k, namespace, name),
        "controller": true,
        "blockOwnerDeletion": true
    }])
}

fn replicaset(c: &SimClock, r: &ReplicaSetObj, rv: u64) -> Value {
    let w = &r.workload;
    let mut selector: Map<String, Value> = w
        .selector
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    if let Some(h) = &r.labels.template_hash {
        selector.insert("pod-template-hash".into(), Value::from(h.as_str()));
    }
    let labels = labels_json(r.labels.iter());
    let mut template_meta = json!({"labels": labels});
    if !r.template_annotations.is_empty() {
        template_meta["annotations"] = pairs_json(&r.template_annotations);
    }
    let mut status = Map::new();
    status.insert("replicas".into(), Value::from(r.replicas));
    set_count(&mut status, "fullyLabeledReplicas", r.replicas);
    set_count(&mut status, "readyReplicas", r.ready);
    set_count(&mut status, "availableReplicas", r.ready);
    status.insert("observedGeneration".into(), Value::from(1));
    json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": r.name,
            "namespace": w.namespace,
            "uid": uid(Kind::ReplicaSet, &w.namespace, &r.name),
            "resourceVersion": rv.to_string(),
            "generation": 1,
            "creationTimestamp": ts(c, r.created),
            "labels": labels,
            "annotations": {
                "deployment.kubernetes.io/desired-replicas": r.desired.to_string(),
                "deployment.kubernetes.io/max-replicas": (r.desired + r.desired.div_ceil(4)).to_string(),
                "deployment.kubernetes.io/revision": r.revision.to_string(),
                (CHANGE_CAUSE): r.change_cause
            },
            "ownerReferences": owner("Deployment", "apps/v1", &w.namespace, &w.name, Kind::Deployment),
            "managedFields": [{
                "manager": "kube-controller-manager",
                "operation": "Update",
                "apiVersion": "apps/v1",
                "time": ts(c, r.created),
                "fieldsType": "FieldsV1",
                "fieldsV1": {
                    "f:metadata": {"f:annotations": {".": {}, "f:deployment.kubernetes.io/desired-replicas": {}, "f:deployment.kubernetes.io/max-replicas": {}, "f:deployment.kubernetes.io/revision": {}}, "f:labels": fields_of(r.labels.iter().map(|(k, _)| k)), "f:ownerReferences": {".": {}}},
                    "f:spec": {"f:replicas": {}, "f:selector": {}, "f:template": {"f:metadata": {"f:labels": {}}, "f:spec": {"f:containers": {}}}}
                }
            }]
        },
        "spec": {
            "replicas": r.desired,
            "selector": {"matchLabels": Value::Object(selector)},
            "template": {
                "metadata": template_meta,
                "spec": {
                    "containers": [container_spec(&w.name, &r.image, w.port, &w.language)],
                    "restartPolicy": "Always",
                    "terminationGracePeriodSeconds": 30,
                    "dnsPolicy": "ClusterFirst",
                    "schedulerName": "default-scheduler",
                    "securityContext": {}
                }
            }
        },
        "status": Value::Object(status)
    })
}

/// 64 hex digits from a seed, for container IDs and image digests.
fn hex64(seed: u64) -> String {
    let mut h = seed;
    (0..4)
        .map(|_| {
            h = crate::world::mix(h);
            format!("{h:016x}")
        })
        .collect()
}

fn container_id(pod: &PodObj, attempt: u32) -> String {
    let h = crate::world::hash(3, &[crate::world::hash_str(&pod.name), u64::from(attempt)]);
    format!("containerd://{}", hex64(h))
}

fn terminated(c: &SimClock, pod: &PodObj, i: &Instance) -> Value {
    let Some((finished, ending)) = i.end else {
        return json!({});
    };
    let (reason, code) = match ending {
        Ending::Error => ("Error", 1),
        Ending::OomKilled => ("OOMKilled", 137),
    };
    json!({"terminated": {
        "exitCode": code,
        "reason": reason,
        "startedAt": ts(c, i.start),
        "finishedAt": ts(c, finished),
        "containerID": container_id(pod, i.attempt)
    }})
}

/// The message kubelet puts beside a waiting reason.
pub fn waiting_message(pod: &PodObj, w: Waiting) -> Option<String> {
    match w {
        Waiting::ContainerCreating => None,
        Waiting::CrashLoopBackOff { backoff_secs } => Some(format!(
            "back-off {}s restarting failed container={} pod={}_{}({})",
            backoff_secs,
            pod.workload.name,
            pod.name,
            pod.workload.namespace,
            uid(Kind::Pod, &pod.workload.namespace, &pod.name)
        )),
        Waiting::ErrImagePull => Some(format!(
            "rpc error: code = NotFound desc = failed to pull and unpack image \"{0}\": failed to resolve reference \"{0}\": {0}: not found",
            pod.image
        )),
        Waiting::ImagePullBackOff => Some(format!("Back-off pulling image \"{}\"", pod.image)),
    }
}

fn pod(c: &SimClock, p: &PodObj, rv: u64) -> Value {
    let w = &p.workload;
    let t = &p.timeline;
    let ns = &w.namespace;
    let started = t.current.is_some();
    let scheduled = p.created;
    let ready_since = t.current.map_or(scheduled, |i| i.start);
    let cond = |kind: &str, ok: bool, at: Time| {
        let mut c = json!({"type": kind, "status": if ok { "True" } else { "False" }, "lastProbeTime": null, "lastTransitionTime": ts(c, at)});
        if !ok && (kind == "Ready" || kind == "ContainersReady") {
            c["reason"] = Value::from("ContainersNotReady");
            c["message"] = Value::from(format!("containers with unready status: [{}]", w.name));
        }
        c
    };
    let state = match (t.waiting, t.current) {
        (Some(wait), _) => {
            let mut s = json!({"reason": wait.reason()});
            if let Some(m) = waiting_message(p, wait) {
                s["message"] = Value::from(m);
            }
            json!({"waiting": s})
        }
        (None, Some(i)) if i.end.is_some() => terminated(c, p, &i),
        (None, Some(i)) => json!({"running": {"startedAt": ts(c, i.start)}}),
        (None, None) => json!({"waiting": {"reason": "ContainerCreating"}}),
    };
    // After a restart, lastState holds the instance that ended.
    let last_state = match (t.waiting, t.current, t.previous) {
        (Some(_), Some(cur), _) if cur.end.is_some() => terminated(c, p, &cur),
        (_, _, Some(prev)) => terminated(c, p, &prev),
        _ => json!({}),
    };
    let mut status = json!({
        "name": w.name,
        "state": state,
        "lastState": last_state,
        "ready": t.ready,
        "restartCount": t.restarts,
        "image": p.image,
        "imageID": "",
        "started": t.waiting.is_none() && t.current.is_some_and(|i| i.end.is_none())
    });
    if p.behaviour != Behaviour::ImagePull && started {
        let digest = crate::world::hash(5, &[crate::world::hash_str(&p.image)]);
        let repo = p
            .image
            .rsplit_once(':')
            .map_or(p.image.as_str(), |(r, _)| r);
        status["imageID"] = Value::from(format!("{repo}@sha256:{}", hex64(digest)));
        if let Some(cur) = t.current {
            status["containerID"] = Value::from(container_id(p, cur.attempt));
        }
    }
    let mut s = json!({
        "phase": p.phase(),
        "conditions": [
            cond("PodReadyToStartContainers", started, scheduled),
            cond("Initialized", true, scheduled),
            cond("Ready", t.ready, ready_since),
            cond("ContainersReady", t.ready, ready_since),
            cond("PodScheduled", true, scheduled)
        ],
        "hostIP": p.node_ip.as_ref(),
        "hostIPs": [{"ip": p.node_ip.as_ref()}],
        "startTime": ts(c, scheduled),
        "containerStatuses": [status],
        "qosClass": "Burstable"
    });
    if started {
        s["podIP"] = Value::from(p.ip.as_str());
        s["podIPs"] = json!([{"ip": p.ip}]);
    }
    let mut metadata = json!({
        "name": p.name,
        "generateName": format!("{}-", p.rs_name),
        "namespace": ns,
        "uid": uid(Kind::Pod, ns, &p.name),
        "resourceVersion": rv.to_string(),
        "creationTimestamp": ts(c, p.created),
        "labels": labels_json(p.labels.iter()),
        "ownerReferences": owner("ReplicaSet", "apps/v1", ns, &p.rs_name, Kind::ReplicaSet),
        "managedFields": [
            {
                "manager": "kube-controller-manager",
                "operation": "Update",
                "apiVersion": "v1",
                "time": ts(c, p.created),
                "fieldsType": "FieldsV1",
                "fieldsV1": {
                    "f:metadata": {"f:generateName": {}, "f:labels": fields_of(p.labels.iter().map(|(k, _)| k)), "f:ownerReferences": {".": {}, format!("k:{{\"uid\":\"{}\"}}", uid(Kind::ReplicaSet, ns, &p.rs_name)): {}}},
                    "f:spec": {"f:containers": {format!("k:{{\"name\":\"{}\"}}", w.name): {".": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {}, "f:ports": {}, "f:readinessProbe": {}, "f:resources": {}}}, "f:dnsPolicy": {}, "f:restartPolicy": {}, "f:schedulerName": {}, "f:terminationGracePeriodSeconds": {}}
                }
            },
            {
                "manager": "kubelet",
                "operation": "Update",
                "apiVersion": "v1",
                "time": ts(c, t.last_backoff.or(t.current.map(|i| i.start)).unwrap_or(p.created)),
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:status": {"f:conditions": {}, "f:containerStatuses": {}, "f:hostIP": {}, "f:hostIPs": {}, "f:phase": {}, "f:podIP": {}, "f:podIPs": {}, "f:startTime": {}}},
                "subresource": "status"
            }
        ]
    });
    if !p.template_annotations.is_empty() {
        metadata["annotations"] = pairs_json(&p.template_annotations);
    }
    if let Some(at) = p.deleting {
        metadata["deletionTimestamp"] = Value::from(ts(c, at + chrono::Duration::seconds(30)));
        metadata["deletionGracePeriodSeconds"] = Value::from(30);
    }
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {
            "containers": [container_spec(&w.name, &p.image, w.port, &w.language)],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default",
            "serviceAccount": "default",
            "nodeName": p.node.as_ref(),
            "securityContext": {},
            "schedulerName": "default-scheduler",
            "tolerations": [
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
            ],
            "priority": 0,
            "enableServiceLinks": true,
            "preemptionPolicy": "PreemptLowerPriority"
        },
        "status": s
    })
}

pub fn event_message(e: &EventObj) -> String {
    let w = &e.workload;
    match &e.reason {
        Reason::Scheduled => format!(
            "Successfully assigned {}/{} to {}",
            w.namespace, e.involved_name, e.subject
        ),
        Reason::Pulling => format!("Pulling image \"{}\"", e.subject),
        Reason::Pulled => format!(
            "Successfully pulled image \"{}\" in 1.284s (1.284s including waiting). Image size: {} bytes.",
            e.subject,
            40_000_000 + crate::world::hash_str(&e.subject) % 90_000_000
        ),
        Reason::Created => format!("Created container: {}", e.subject),
        Reason::Started => format!("Started container {}", e.subject),
        Reason::BackOffRestart => format!(
            "Back-off restarting failed container {} in pod {}_{}({})",
            e.subject,
            e.involved_name,
            w.namespace,
            uid(Kind::Pod, &w.namespace, &e.involved_name)
        ),
        Reason::OomKilling => format!(
            "Memory cgroup out of memory: Killed process 4242 ({}) total-vm:1843200kB, anon-rss:524288kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:1536kB oom_score_adj:984",
            e.subject
        ),
        Reason::FailedPull => format!(
            "Failed to pull image \"{0}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{0}\": failed to resolve reference \"{0}\": {0}: not found",
            e.subject
        ),
        Reason::ErrImagePull => "Error: ErrImagePull".into(),
        Reason::BackOffPull => format!("Back-off pulling image \"{}\"", e.subject),
        Reason::ImagePullBackOff => "Error: ImagePullBackOff".into(),
        Reason::Killing => format!("Stopping container {}", e.subject),
        Reason::ScalingUp { from, to } => {
            format!("Scaled up replica set {} from {from} to {to}", e.subject)
        }
        Reason::ScalingDown { from, to } => {
            format!("Scaled down replica set {} from {from} to {to}", e.subject)
        }
    }
}

fn event(c: &SimClock, e: &EventObj, rv: u64) -> Value {
    let ns = &e.workload.namespace;
    let source = event_source(&e.reason);
    let mut involved = json!({
        "kind": e.involved_kind.kind(),
        "namespace": ns,
        "name": e.involved_name,
        "uid": uid(e.involved_kind, ns, &e.involved_name),
        "apiVersion": e.involved_kind.api_version()
    });
    if e.involved_kind == Kind::Pod && e.reason != Reason::Scheduled {
        involved["fieldPath"] = Value::from(format!("spec.containers{{{}}}", e.workload.name));
    }
    let mut src = json!({"component": source});
    if let Some(host) = &e.host {
        src["host"] = Value::from(host.as_ref());
    }
    json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": e.name,
            "namespace": ns,
            "uid": uid(Kind::Event, ns, &e.name),
            "resourceVersion": rv.to_string(),
            "creationTimestamp": ts(c, e.first),
            "managedFields": [{
                "manager": source,
                "operation": "Update",
                "apiVersion": "v1",
                "time": ts(c, e.last),
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:count": {}, "f:firstTimestamp": {}, "f:involvedObject": {}, "f:lastTimestamp": {}, "f:message": {}, "f:reason": {}, "f:reportingComponent": {}, "f:reportingInstance": {}, "f:source": {"f:component": {}}, "f:type": {}}
            }]
        },
        "involvedObject": involved,
        "reason": e.reason.name(),
        "message": event_message(e),
        "source": src,
        "firstTimestamp": ts(c, e.first),
        "lastTimestamp": ts(c, e.last),
        "count": e.count,
        "type": if e.reason.warning() { "Warning" } else { "Normal" },
        "eventTime": null,
        "reportingComponent": source,
        "reportingInstance": e.host.as_deref().unwrap_or("")
    })
}

/// Kubernetes' short human durations ("45s", "3m12s", "5h", "12d").
pub fn human_duration(d: chrono::Duration) -> String {
    let secs = d.num_seconds();
    if secs < -1 {
        return "<invalid>".into();
    }
    let secs = secs.max(0);
    let (m, h) = (secs / 60, secs / 3600);
    if secs < 120 {
        format!("{secs}s")
    } else if m < 10 {
        if secs % 60 == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{}s", secs % 60)
        }
    } else if m < 180 {
        format!("{m}m")
    } else if h < 8 {
        if m % 60 == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{}m", m % 60)
        }
    } else if h < 48 {
        format!("{h}h")
    } else if h < 24 * 8 {
        if h % 24 == 0 {
            format!("{}d", h / 24)
        } else {
            format!("{}d{}h", h / 24, h % 24)
        }
    } else if h < 24 * 365 * 2 {
        format!("{}d", h / 24)
    } else {
        format!("{}y", h / 24 / 365)
    }
}

fn col(name: &str, ty: &str, format: &str, description: &str, priority: u8) -> Value {
    json!({"name": name, "type": ty, "format": format, "description": description, "priority": priority})
}

pub fn columns(kind: Kind) -> Value {
    let name = col(
        "Name",
        "string",
        "name",
        "Name must be unique within a namespace.",
        0,
    );
    let age = col(
        "Age",
        "string",
        "",
        "CreationTimestamp is a timestamp representing the server time when this object was created.",
        0,
    );
    match kind {
        Kind::Pod => json!([
            name,
            col(
                "Ready",
                "string",
                "",
                "The aggregate readiness state of this pod for accepting traffic.",
                0
            ),
            col(
                "Status",
                "string",
                "",
                "The aggregate status of the containers in this pod.",
                0
            ),
            col(
                "Restarts",
                "string",
                "",
                "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
                0
            ),
            age,
            col(
                "IP",
                "string",
                "",
                "The IP address the pod is reachable at.",
                1
            ),
            col(
                "Node",
                "string",
                "",
                "The name of the node the pod runs on.",
                1
            ),
            col(
                "Nominated Node",
                "string",
                "",
                "The node the scheduler nominated for this pod.",
                1
            ),
            col(
                "Readiness Gates",
                "string",
                "",
                "The pod's readiness gates.",
                1
            )
        ]),
        Kind::Deployment => json!([
            name,
            col(
                "Ready",
                "string",
                "",
                "Number of the pod with ready state",
                0
            ),
            col(
                "Up-to-date",
                "string",
                "",
                "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
                0
            ),
            col(
                "Available",
                "string",
                "",
                "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
                0
            ),
            age,
            col(
                "Containers",
                "string",
                "",
                "Names of each container in the template.",
                1
            ),
            col(
                "Images",
                "string",
                "",
                "Images referenced by each container in the template.",
                1
            ),
            col("Selector", "string", "", "Label selector for pods.", 1)
        ]),
        Kind::ReplicaSet => json!([
            name,
            col(
                "Desired",
                "integer",
                "",
                "Replicas is the number of desired replicas.",
                0
            ),
            col(
                "Current",
                "integer",
                "",
                "Replicas is the most recently observed number of replicas.",
                0
            ),
            col(
                "Ready",
                "integer",
                "",
                "The number of ready replicas for this replica set.",
                0
            ),
            age,
            col(
                "Containers",
                "string",
                "",
                "Names of each container in the template.",
                1
            ),
            col(
                "Images",
                "string",
                "",
                "Images referenced by each container in the template.",
                1
            ),
            col("Selector", "string", "", "Label selector for pods.", 1)
        ]),
        Kind::Event => json!([
            col(
                "Last Seen",
                "string",
                "",
                "Time when this Event was last observed.",
                0
            ),
            col(
                "Type",
                "string",
                "",
                "Type of this event (Normal, Warning).",
                0
            ),
            col(
                "Reason",
                "string",
                "",
                "Reason why the action was taken.",
                0
            ),
            col(
                "Object",
                "string",
                "",
                "The object that this event is about.",
                0
            ),
            col(
                "Subobject",
                "string",
                "",
                "The field of the object that this event is about.",
                1
            ),
            col(
                "Source",
                "string",
                "",
                "The component reporting this event.",
                1
            ),
            col(
                "Message",
                "string",
                "",
                "A human-readable description of the status of this operation.",
                0
            ),
            col(
                "First Seen",
                "string",
                "",
                "Time when this Event was first observed.",
                1
            ),
            col(
                "Count",
                "string",
                "",
                "The number of times this event has occurred.",
                1
            ),
            col(
                "Name",
                "string",
                "name",
                "Name must be unique within a namespace.",
                1
            )
        ]),
        Kind::Namespace => json!([
            name,
            col("Status", "string", "", "The status of the namespace", 0),
            age
        ]),
        Kind::StatefulSet | Kind::DaemonSet => json!([name, age]),
    }
}

/// The Status column kubectl shows for a pod.
pub fn pod_status(p: &PodObj) -> String {
    if p.deleting.is_some() {
        return "Terminating".into();
    }
    match (p.timeline.waiting, p.timeline.current) {
        (Some(w), _) => w.reason().into(),
        (None, Some(i)) => match i.end {
            Some((_, Ending::OomKilled)) => "OOMKilled".into(),
            Some((_, Ending::Error)) => "Error".into(),
            None => "Running".into(),
        },
        (None, None) => "Pending".into(),
    }
}

fn cells(c: &SimClock, obj: &Obj, now: Time) -> Vec<Value> {
    // Ages are wall spans, as kubectl would compute them from the served timestamps.
    let age = |t: Time| Value::from(human_duration(c.wall_span(now - t)));
    match obj {
        Obj::Pod(p) => {
            let t = &p.timeline;
            let last_end = t
                .current
                .and_then(|i| i.end)
                .or(t.previous.and_then(|i| i.end))
                .map(|(at, _)| at);
            let restarts = match last_end {
                Some(at) if t.restarts > 0 => {
                    format!(
                        "{} ({} ago)",
                        t.restarts,
                        human_duration(c.wall_span(now - at))
                    )
                }
                _ => t.restarts.to_string(),
            };
            let ip = if t.current.is_some() {
                p.ip.clone()
            } else {
                "<none>".into()
            };
            vec![
                Value::from(p.name.as_str()),
                Value::from(format!("{}/1", u8::from(t.ready))),
                Value::from(pod_status(p)),
                Value::from(restarts),
                age(p.created),
                Value::from(ip),
                Value::from(p.node.as_ref()),
                Value::from("<none>"),
                Value::from("<none>"),
            ]
        }
        Obj::Deployment(d) => {
            let selector: Vec<String> = d
                .workload
                .selector
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            vec![
                Value::from(d.workload.name.as_str()),
                Value::from(format!("{}/{}", d.ready, d.spec_replicas)),
                Value::from(d.updated),
                Value::from(d.available),
                age(d.workload.created),
                Value::from(d.workload.name.as_str()),
                Value::from(d.image.as_str()),
                Value::from(selector.join(",")),
            ]
        }
        Obj::ReplicaSet(r) => {
            let mut selector: Vec<String> = r
                .workload
                .selector
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            if let Some(h) = &r.labels.template_hash {
                selector.push(format!("pod-template-hash={h}"));
            }
            vec![
                Value::from(r.name.as_str()),
                Value::from(r.desired),
                Value::from(r.replicas),
                Value::from(r.ready),
                age(r.created),
                Value::from(r.workload.name.as_str()),
                Value::from(r.image.as_str()),
                Value::from(selector.join(",")),
            ]
        }
        Obj::Event(e) => {
            let subobject = if e.involved_kind == Kind::Pod && e.reason != Reason::Scheduled {
                format!("spec.containers{{{}}}", e.workload.name)
            } else {
                String::new()
            };
            let source = match &e.host {
                Some(h) => format!("{}, {h}", event_source(&e.reason)),
                None => event_source(&e.reason).to_string(),
            };
            vec![
                age(e.last),
                Value::from(if e.reason.warning() {
                    "Warning"
                } else {
                    "Normal"
                }),
                Value::from(e.reason.name()),
                Value::from(format!(
                    "{}/{}",
                    e.involved_kind.singular(),
                    e.involved_name
                )),
                Value::from(subobject),
                Value::from(source),
                Value::from(event_message(e)),
                age(e.first),
                Value::from(e.count),
                Value::from(e.name.as_str()),
            ]
        }
        Obj::Namespace(n) => vec![
            Value::from(n.name.as_str()),
            Value::from("Active"),
            age(n.created),
        ],
    }
}

/// What a Table row carries besides its cells (`includeObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}

pub fn row(c: &SimClock, obj: &Obj, rv: u64, now: Time, include: IncludeObject) -> Value {
    let mut r = json!({"cells": cells(c, obj, now)});
    match include {
        IncludeObject::None => {}
        IncludeObject::Metadata => r["object"] = metadata_only(c, obj, rv),
        IncludeObject::Object => r["object"] = object(c, obj, rv),
    }
    r
}

pub fn table(kind: Kind, rows: Vec<Value>, rv: u64, cont: Option<String>) -> Value {
    let mut metadata = json!({"resourceVersion": rv.to_string()});
    if let Some(c) = cont {
        metadata["continue"] = Value::from(c);
    }
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": columns(kind),
        "rows": rows
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn human_durations_read_like_kubectl() {
        let cases = [
            (5, "5s"),
            (119, "119s"),
            (150, "2m30s"),
            (600, "10m"),
            (7_200, "120m"),
            (12_000, "3h20m"),
            (90_000, "25h"),
            (200_000, "2d7h"),
            (2_000_000, "23d"),
        ];
        for (secs, want) in cases {
            assert_eq!(human_duration(Duration::seconds(secs)), want, "{secs}s");
        }
        assert_eq!(human_duration(Duration::seconds(-30)), "<invalid>");
    }
}
