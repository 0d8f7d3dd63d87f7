//! kube's objects → the model's compact types: what the screen shows is kept, the rest
//! (managedFields, specs, annotations, volumes) is dropped here, before anything is stored, and
//! every string is sanitised once. Tests decode the published fixtures through these same
//! functions.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet as K8sReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{ContainerStatus, Event as K8sEvent, Pod as K8sPod, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use flightdeck_core::model::workloads::{
    Event, Kind, Name, Owner, Phase, Pod, PodReason, ReplicaSet, RolloutState, Termination,
    Workload,
};
use flightdeck_core::sanitize;

/// Picks the services an object belongs to from its namespace and labels.
pub trait Services {
    fn services(&self, namespace: &str, labels: Option<&BTreeMap<String, String>>) -> Vec<String>;
}

/// No services: for decoding without a catalog (fixtures, Describe).
pub struct NoServices;

impl Services for NoServices {
    fn services(&self, _: &str, _: Option<&BTreeMap<String, String>>) -> Vec<String> {
        Vec::new()
    }
}

pub fn time(t: &k8s_openapi::jiff::Timestamp) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(
        t.as_second(),
        u32::try_from(t.subsec_nanosecond()).unwrap_or(0),
    )
}

fn meta_time(
    t: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
) -> Option<DateTime<Utc>> {
    t.and_then(|t| time(&t.0))
}

fn name_ns(meta: &ObjectMeta) -> Option<(String, String)> {
    let name = sanitize::ident(meta.name.as_deref()?);
    let ns = sanitize::ident(meta.namespace.as_deref().unwrap_or(""));
    Some((ns, name))
}

/// The tag of an image reference: `repo/app:1.2` → `1.2`, a digest → its first 12 hex digits.
pub fn image_tag(image: &str) -> String {
    let tag = if let Some((_, digest)) = image.split_once('@') {
        digest
            .trim_start_matches("sha256:")
            .chars()
            .take(12)
            .collect()
    } else {
        let last = image.rsplit('/').next().unwrap_or(image);
        last.split_once(':')
            .map_or("latest", |(_, t)| t)
            .to_string()
    };
    sanitize::line(&tag)
}

fn controller(refs: Option<&Vec<OwnerReference>>) -> Option<&OwnerReference> {
    let refs = refs?;
    refs.iter()
        .find(|r| r.controller == Some(true))
        .or_else(|| refs.first())
}

/// The TCP ports the containers declare, in order and once each: what a port-forward offers.
fn declared_ports(spec: Option<&PodSpec>) -> std::sync::Arc<[u16]> {
    let mut ports: Vec<u16> = Vec::new();
    for c in spec.map(|s| s.containers.as_slice()).unwrap_or_default() {
        for p in c.ports.as_deref().unwrap_or_default() {
            let tcp = p.protocol.as_deref().is_none_or(|proto| proto == "TCP");
            if let Ok(port) = u16::try_from(p.container_port)
                && tcp
                && port != 0
                && !ports.contains(&port)
            {
                ports.push(port);
            }
        }
    }
    ports.into()
}

fn first_tag(spec: Option<&PodSpec>) -> Option<String> {
    spec?.containers.first()?.image.as_deref().map(image_tag)
}

/// How bad a reason is, for choosing the one that matters among a pod's containers.
fn rank(r: &PodReason) -> u8 {
    match r {
        PodReason::CrashLoopBackOff { .. } => 9,
        PodReason::ImagePull { .. } => 8,
        PodReason::Unschedulable { .. } => 7,
        PodReason::Terminated { reason, .. } if reason != "Completed" => 6,
        PodReason::Failed { .. } => 5,
        PodReason::Waiting { reason }
            if reason != "ContainerCreating" && reason != "PodInitializing" =>
        {
            5
        }
        PodReason::OomKilled { .. } => 4,
        PodReason::Terminating => 3,
        PodReason::Waiting { .. } => 2,
        PodReason::Terminated { .. } => 1,
    }
}

fn termination(s: &ContainerStatus) -> Option<Termination> {
    let t = s.last_state.as_ref()?.terminated.as_ref()?;
    Some(Termination {
        reason: sanitize::line(t.reason.as_deref().unwrap_or("Terminated")),
        exit_code: t.exit_code,
        finished: meta_time(t.finished_at.as_ref()),
    })
}

fn container_reason(s: &ContainerStatus, restarting: bool) -> Option<PodReason> {
    let container = sanitize::line(&s.name);
    let state = s.state.as_ref();
    if let Some(w) = state.and_then(|st| st.waiting.as_ref()) {
        let reason = sanitize::line(w.reason.as_deref().unwrap_or("Waiting"));
        return Some(match reason.as_str() {
            "CrashLoopBackOff" => PodReason::CrashLoopBackOff {
                container,
                last: termination(s),
            },
            "ImagePullBackOff" | "ErrImagePull" | "InvalidImageName" | "ErrImageNeverPull" => {
                PodReason::ImagePull {
                    reason,
                    image: sanitize::line(&s.image),
                }
            }
            _ => PodReason::Waiting { reason },
        });
    }
    if let Some(t) = state.and_then(|st| st.terminated.as_ref())
        && !restarting
    {
        return Some(PodReason::Terminated {
            reason: sanitize::line(t.reason.as_deref().unwrap_or("Terminated")),
            exit_code: t.exit_code,
        });
    }
    match termination(s) {
        Some(last) if last.reason == "OOMKilled" => Some(PodReason::OomKilled { container, last }),
        _ => None,
    }
}

pub fn pod(p: &K8sPod, services: &dyn Services) -> Option<Pod> {
    let (namespace, name) = name_ns(&p.metadata)?;
    let status = p.status.as_ref();
    let spec = p.spec.as_ref();
    let phase = Phase::parse(status.and_then(|s| s.phase.as_deref()).unwrap_or("Unknown"));
    let restarting = spec
        .and_then(|s| s.restart_policy.as_deref())
        .is_none_or(|r| r != "Never");
    let statuses: Vec<&ContainerStatus> = status
        .into_iter()
        .flat_map(|s| {
            s.init_container_statuses
                .iter()
                .flatten()
                .chain(s.container_statuses.iter().flatten())
        })
        .collect();
    let main: Vec<&ContainerStatus> = status
        .into_iter()
        .flat_map(|s| s.container_statuses.iter().flatten())
        .collect();
    let mut reasons: Vec<PodReason> = statuses
        .iter()
        .filter_map(|s| container_reason(s, restarting))
        .collect();
    if phase == Phase::Pending
        && let Some(c) = status.and_then(|s| s.conditions.as_ref()).and_then(|cs| {
            cs.iter()
                .find(|c| c.type_ == "PodScheduled" && c.status == "False")
        })
    {
        reasons.push(PodReason::Unschedulable {
            message: sanitize::line(c.message.as_deref().unwrap_or("")),
        });
    }
    if phase == Phase::Failed
        && let Some(r) = status.and_then(|s| s.reason.as_deref())
    {
        reasons.push(PodReason::Failed {
            reason: sanitize::line(r),
        });
    }
    if p.metadata.deletion_timestamp.is_some() {
        reasons.push(PodReason::Terminating);
    }
    let reason = reasons.into_iter().max_by_key(rank);
    let containers: Arc<[Name]> = spec
        .map(|s| {
            s.containers
                .iter()
                .map(|c| Name::from(sanitize::line(&c.name)))
                .collect()
        })
        .unwrap_or_default();
    Some(Pod {
        services: services
            .services(&namespace, p.metadata.labels.as_ref())
            .into_iter()
            .map(Name::from)
            .collect(),
        namespace: namespace.into(),
        name: name.into(),
        phase,
        ready: main
            .iter()
            .filter(|s| s.ready)
            .count()
            .try_into()
            .unwrap_or(u16::MAX),
        containers,
        restarts: main
            .iter()
            .map(|s| u32::try_from(s.restart_count).unwrap_or(0))
            .sum(),
        created: meta_time(p.metadata.creation_timestamp.as_ref()),
        node: spec
            .and_then(|s| s.node_name.as_deref())
            .map(|n| sanitize::line(n).into()),
        owner: controller(p.metadata.owner_references.as_ref()).map(|o| Owner {
            kind: sanitize::ident(&o.kind).into(),
            name: sanitize::ident(&o.name).into(),
        }),
        reason: reason.map(Box::new),
        last_restart: statuses
            .iter()
            .filter_map(|s| termination(s))
            .filter_map(|t| t.finished)
            .max(),
        tag: first_tag(spec).map(Name::from),
        ports: declared_ports(spec),
    })
}

/// The annotation `kubectl rollout history` shows as CHANGE-CAUSE.
pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";

fn revision(meta: &ObjectMeta) -> Option<u64> {
    meta.annotations
        .as_ref()?
        .get("deployment.kubernetes.io/revision")?
        .parse()
        .ok()
}

fn count(n: Option<i32>) -> u32 {
    n.and_then(|n| u32::try_from(n).ok()).unwrap_or(0)
}

pub fn deployment(d: &Deployment, services: &dyn Services) -> Option<Workload> {
    let (namespace, name) = name_ns(&d.metadata)?;
    let spec = &d.spec;
    let status = d.status.as_ref();
    let desired = count(Some(spec.replicas.unwrap_or(1)));
    let updated = count(status.and_then(|s| s.updated_replicas));
    let ready = count(status.and_then(|s| s.ready_replicas));
    let available = count(status.and_then(|s| s.available_replicas));
    let total = count(status.and_then(|s| s.replicas));
    let conditions = status.and_then(|s| s.conditions.as_ref());
    let progressing = conditions.and_then(|cs| {
        cs.iter()
            .find(|c| c.type_.as_deref() == Some("Progressing"))
    });
    let stalled = progressing.is_some_and(|c| {
        c.status.as_deref() == Some("False")
            && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
    });
    let behind = d.metadata.generation.unwrap_or(0)
        > status.and_then(|s| s.observed_generation).unwrap_or(0);
    let rollout = if spec.paused.unwrap_or(false) {
        RolloutState::Paused
    } else if stalled {
        RolloutState::Stalled
    } else if behind || updated < desired || total > updated || available < updated {
        RolloutState::Progressing
    } else {
        RolloutState::Complete
    };
    let message = match rollout {
        RolloutState::Stalled | RolloutState::Progressing => {
            progressing.and_then(|c| c.message.as_deref())
        }
        _ => conditions
            .and_then(|cs| {
                cs.iter().find(|c| {
                    c.type_.as_deref() == Some("Available") && c.status.as_deref() == Some("False")
                })
            })
            .and_then(|c| c.message.as_deref()),
    }
    .map(sanitize::line);
    Some(Workload {
        kind: Kind::Deployment,
        services: services.services(&namespace, d.metadata.labels.as_ref()),
        namespace,
        name,
        desired,
        updated,
        ready,
        available,
        revision: revision(&d.metadata),
        tag: first_tag(spec.template.spec.as_ref()),
        rollout,
        message,
        created: meta_time(d.metadata.creation_timestamp.as_ref()),
    })
}

pub fn statefulset(s: &StatefulSet, services: &dyn Services) -> Option<Workload> {
    let (namespace, name) = name_ns(&s.metadata)?;
    let spec = &s.spec;
    let status = s.status.as_ref();
    let desired = count(Some(spec.replicas.unwrap_or(1)));
    let updated = count(status.and_then(|s| s.updated_replicas));
    let ready = count(status.and_then(|s| s.ready_replicas));
    let revisions_differ = status
        .is_some_and(|s| s.current_revision.is_some() && s.current_revision != s.update_revision);
    let rollout = if revisions_differ || updated < desired || ready < desired {
        RolloutState::Progressing
    } else {
        RolloutState::Complete
    };
    Some(Workload {
        kind: Kind::StatefulSet,
        services: services.services(&namespace, s.metadata.labels.as_ref()),
        namespace,
        name,
        desired,
        updated,
        ready,
        available: count(status.and_then(|s| s.available_replicas)),
        revision: None,
        tag: first_tag(spec.template.spec.as_ref()),
        rollout,
        message: None,
        created: meta_time(s.metadata.creation_timestamp.as_ref()),
    })
}

pub fn daemonset(d: &DaemonSet, services: &dyn Services) -> Option<Workload> {
    let (namespace, name) = name_ns(&d.metadata)?;
    let status = d.status.as_ref();
    let desired = count(status.map(|s| s.desired_number_scheduled));
    let updated = count(status.and_then(|s| s.updated_number_scheduled));
    let ready = count(status.map(|s| s.number_ready));
    let rollout = if updated < desired || ready < desired {
        RolloutState::Progressing
    } else {
        RolloutState::Complete
    };
    Some(Workload {
        kind: Kind::DaemonSet,
        services: services.services(&namespace, d.metadata.labels.as_ref()),
        namespace,
        name,
        desired,
        updated,
        ready,
        available: count(status.and_then(|s| s.number_available)),
        revision: None,
        tag: first_tag(d.spec.template.spec.as_ref()),
        rollout,
        message: None,
        created: meta_time(d.metadata.creation_timestamp.as_ref()),
    })
}

pub fn replicaset(r: &K8sReplicaSet) -> Option<ReplicaSet> {
    let (namespace, name) = name_ns(&r.metadata)?;
    let deployment = r
        .metadata
        .owner_references
        .iter()
        .flatten()
        .find(|o| o.kind == "Deployment")
        .map(|o| sanitize::ident(&o.name));
    let pod_spec = r.spec.template.as_ref().and_then(|t| t.spec.as_ref());
    Some(ReplicaSet {
        namespace,
        name,
        deployment,
        revision: revision(&r.metadata),
        tag: first_tag(pod_spec),
        image: pod_spec
            .and_then(|s| s.containers.first())
            .and_then(|c| c.image.as_deref())
            .map(sanitize::line),
        change_cause: r
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(CHANGE_CAUSE))
            .map(|c| sanitize::line(c)),
        created: meta_time(r.metadata.creation_timestamp.as_ref()),
    })
}

pub fn event(e: &K8sEvent) -> Option<Event> {
    let (namespace, name) = name_ns(&e.metadata)?;
    let last = meta_time(e.last_timestamp.as_ref())
        .or_else(|| e.event_time.as_ref().and_then(|t| time(&t.0)))
        .or_else(|| meta_time(e.first_timestamp.as_ref()))
        .or_else(|| meta_time(e.metadata.creation_timestamp.as_ref()));
    let source = e
        .source
        .as_ref()
        .and_then(|s| s.component.as_deref())
        .or(e.reporting_component.as_deref())
        .unwrap_or("");
    Some(Event {
        namespace: namespace.into(),
        name: name.into(),
        kind: sanitize::ident(e.involved_object.kind.as_deref().unwrap_or("")).into(),
        object: sanitize::ident(e.involved_object.name.as_deref().unwrap_or("")).into(),
        reason: sanitize::line(e.reason.as_deref().unwrap_or("")).into(),
        message: sanitize::line(e.message.as_deref().unwrap_or("").trim()),
        warning: e.type_.as_deref() == Some("Warning"),
        count: count(e.count.or_else(|| e.series.as_ref().and_then(|s| s.count))).max(1),
        last,
        source: sanitize::line(source).into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("nginx", "latest")]
    #[case("ghcr.io/acme/payments-api:3f2a1c9", "3f2a1c9")]
    #[case("localhost:5000/app", "latest")]
    #[case("app@sha256:0123456789abcdef0123", "0123456789ab")]
    fn image_tags(#[case] image: &str, #[case] tag: &str) {
        assert_eq!(image_tag(image), tag);
    }

    #[test]
    fn a_crash_looping_pod_says_so_with_its_last_termination() {
        let p: K8sPod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "api-1", "namespace": "pay", "creationTimestamp": "2026-03-02T08:00:00Z",
                          "managedFields": [{"manager": "kubelet"}]},
            "spec": {"containers": [{"name": "api", "image": "acme/api:abc"}], "nodeName": "n1"},
            "status": {"phase": "Running", "containerStatuses": [{
                "name": "api", "image": "acme/api:abc", "imageID": "", "ready": false, "restartCount": 7,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"reason": "Error", "exitCode": 1, "finishedAt": "2026-03-02T08:05:00Z"}}
            }]}
        }))
        .expect("a pod");
        let pod = pod(&p, &NoServices).expect("converts");
        assert_eq!(pod.restarts, 7);
        assert_eq!(pod.tag.as_deref(), Some("abc"));
        match pod.reason.map(|r| *r) {
            Some(PodReason::CrashLoopBackOff {
                container,
                last: Some(t),
            }) => {
                assert_eq!(container, "api");
                assert_eq!((t.reason.as_str(), t.exit_code), ("Error", 1));
            }
            other => panic!("expected CrashLoopBackOff, got {other:?}"),
        }
    }
}
