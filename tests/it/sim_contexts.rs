//! The sim's second cluster, judged by kubectl: with `second_cluster` the kubeconfig has two
//! contexts, `flightdeck-sim` (every system) and `flightdeck-sim-west` (the storefront system
//! alone, two replicas each), and `kubectl --context` sees each one's own namespaces and pods.

use std::collections::BTreeSet;
use std::process::Command;

use flightdeck_sim::{Sim, SimConfig};

fn words(s: &str) -> BTreeSet<String> {
    s.split_whitespace().map(str::to_string).collect()
}

// kubectl runs as a child process while this runtime keeps serving it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_sees_two_clusters_through_two_contexts() {
    let Some(_) = crate::common::kubectl() else {
        return;
    };
    let sim = Sim::start(SimConfig {
        speed: 0.0,
        second_cluster: true,
        ..SimConfig::default()
    })
    .await
    .expect("the sim starts");
    let cache = tempfile::tempdir().expect("a cache dir");
    let k = |args: &[&str]| crate::common::kubectl_in(&sim.kubeconfig(), Some(cache.path()), args);
    let contexts = words(&k(&["config", "get-contexts", "-o", "name"]));
    assert_eq!(
        contexts,
        words("flightdeck-sim flightdeck-sim-west"),
        "two contexts"
    );
    assert_eq!(k(&["config", "current-context"]), "flightdeck-sim");

    let ns_jsonpath = "jsonpath={.items[*].metadata.name}";
    let main_ns = words(&k(&[
        "--context",
        "flightdeck-sim",
        "get",
        "ns",
        "-o",
        ns_jsonpath,
    ]));
    let west_ns = words(&k(&[
        "--context",
        "flightdeck-sim-west",
        "get",
        "ns",
        "-o",
        ns_jsonpath,
    ]));
    assert!(main_ns.contains("payments") && main_ns.contains("storefront"));
    assert_eq!(west_ns, words("default kube-system storefront"));

    let storefront: Vec<&str> = sim
        .shared
        .world
        .services
        .iter()
        .filter(|s| s.system == "storefront")
        .map(|s| s.name.as_str())
        .collect();
    assert!(!storefront.is_empty());
    let pods_jsonpath = "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.labels.app\\.kubernetes\\.io/name}{\"\\n\"}{end}";
    let west_pods = k(&[
        "--context",
        "flightdeck-sim-west",
        "get",
        "pods",
        "-A",
        "-o",
        pods_jsonpath,
    ]);
    let lines: Vec<&str> = west_pods.lines().collect();
    assert_eq!(
        lines.len(),
        storefront.len() * 2,
        "two replicas of each storefront service:\n{west_pods}"
    );
    for svc in &storefront {
        let n = lines
            .iter()
            .filter(|l| **l == format!("storefront/{svc}"))
            .count();
        assert_eq!(n, 2, "{svc}: {west_pods}");
    }
    // The default namespace of the second context is storefront, as the kubeconfig says.
    let here = k(&[
        "--context",
        "flightdeck-sim-west",
        "get",
        "deploy",
        "-o",
        "name",
    ]);
    assert_eq!(here.lines().count(), storefront.len(), "{here}");
    let main_pods = k(&[
        "--context",
        "flightdeck-sim",
        "get",
        "pods",
        "-n",
        "payments",
        "-o",
        "name",
    ]);
    assert!(!main_pods.is_empty(), "the first cluster runs payments");
    let missing = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(sim.kubeconfig())
        .args(["--context", "flightdeck-sim-west", "get", "ns", "payments"])
        .output()
        .expect("kubectl runs");
    assert!(
        !missing.status.success(),
        "no payments namespace in the west"
    );
}
