//! The fault matrix of the hardening issue, against servers of our own and the sim's fault
//! injection: what the user is told for each way a connection fails (F1), through the real
//! GitHub (octocrab) and Alertmanager (reqwest) clients.

use std::time::Duration;

use flightdeck::providers::github::GithubApi;
use flightdeck::providers::http::Failure;

/// A port nothing listens on: bound, then closed.
async fn closed_port() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a local port");
    let addr = l.local_addr().expect("an address");
    drop(l);
    format!("http://{addr}")
}

/// A server that accepts, reads the request, and closes with a reset (SO_LINGER 0).
async fn resetting_server() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a local port");
    let addr = l.local_addr().expect("an address");
    tokio::spawn(async move {
        while let Ok((socket, _)) = l.accept().await {
            let _ = socket.set_zero_linger();
            let mut buf = [0u8; 1024];
            let _ = socket.readable().await;
            let _ = socket.try_read(&mut buf);
            drop(socket);
        }
    });
    format!("http://{addr}")
}

fn github(url: &str) -> GithubApi {
    GithubApi::new(url, None, 4, Duration::from_secs(20)).expect("a client")
}

/// F1: a refused connection read "no answer within 20s" (the error's Debug text, searched for
/// "timeout", held the client's timeout settings), and formatting it loaded debug info.
#[tokio::test]
async fn github_says_refused_when_refused() {
    let url = closed_port().await;
    let err = github(&url).get("/user", None).await.expect_err("refused");
    let said = err.describe("github");
    assert!(matches!(err, Failure::Connect(_)), "{err:?}");
    assert!(said.contains("connection refused"), "{said}");
}

#[tokio::test]
async fn github_says_reset_when_reset() {
    let url = resetting_server().await;
    let err = github(&url).get("/user", None).await.expect_err("reset");
    let said = err.describe("github");
    assert!(
        said.contains("reset") || said.contains("closed"),
        "says the connection broke: {said}"
    );
    assert!(!said.contains("no answer within"), "{said}");
}

#[tokio::test]
async fn a_host_that_does_not_resolve_says_dns() {
    let err = github("http://no-such-host.invalid")
        .get("/user", None)
        .await
        .expect_err("no such host");
    let said = err.describe("github");
    assert!(said.contains("DNS"), "{said}");
}

#[tokio::test]
async fn alertmanager_says_refused_when_refused() {
    use flightdeck::providers::alertmanager::{AmClient, Auth};
    let url = closed_port().await;
    let client = AmClient::new("am", &url, Auth::None, Duration::from_secs(5)).expect("a client");
    let err = client.status().await.expect_err("refused");
    assert!(err.contains("connection refused"), "{err}");
}

/// Found by the matrix: https spoken to a plain-HTTP port read "cannot connect": rustls'
/// "received corrupt message of type InvalidContentType" has no TLS word in it.
#[tokio::test]
async fn github_says_tls_when_a_plain_http_port_is_spoken_to_as_https() {
    let (url, _) = plain_http_server().await;
    let err = github(&url.replace("http://", "https://"))
        .get("/user", None)
        .await
        .expect_err("no TLS there");
    let said = err.describe("github");
    assert!(said.contains("TLS"), "{said}");
}

/// Found by the matrix: reqwest calls a failure while reading a body a decode error, so an
/// answer whose body stalled past the deadline (a loaded machine, a slow link) read
/// "malformed answer (error decoding response body…)" rather than no answer in time.
#[tokio::test]
async fn a_body_that_stalls_past_the_deadline_is_no_answer_not_malformed() {
    use flightdeck::providers::alertmanager::{AmClient, Auth};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a local port");
    let addr = l.local_addr().expect("an address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n[{\"labels\":")
                    .await;
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    let client = AmClient::new(
        "am",
        &format!("http://{addr}"),
        Auth::None,
        Duration::from_secs(1),
    )
    .expect("a client");
    let err = client.alerts().await.expect_err("the body never ends");
    assert!(err.contains("no answer within 1s"), "{err}");
    assert!(!err.contains("malformed"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// The source fault matrix: for each way a source can fail, a cockpit without a terminal (the
// real providers and `update`, effects carried out as the loop does) against a sim of its own,
// the fault injected and later cleared. Each case checks what the user sees (the status bar's
// words for that source, the last data kept, the other sources untouched) and what the process
// does (requests during the fault counted and bounded, recovery without a key). The cases run
// at once, each on its own sim, so the matrix takes about as long as its slowest case.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tokio::sync::watch;

use crate::headless::Cockpit;
use flightdeck::config::{self, Config};
use flightdeck_core::keymap::Keymap;
use flightdeck_core::message::Msg;
use flightdeck_core::model::pipelines::Host;
use flightdeck_core::model::{FetchState, Model, Screen, SourceStatus};
use flightdeck_sim::{Fault, FaultKind, Sim, SimConfig};

/// How long each fault stays on before it is cleared.
const FAULT_FOR: Duration = Duration::from_secs(10);

/// A cockpit without a terminal with every source the sim's config names, read-only, its
/// screen as wide as the status bar needs to name every source.
fn cockpit(config: &Config) -> Cockpit {
    let c = Cockpit::start(
        config,
        Keymap::defaults(),
        Path::new("flightdeck.toml"),
        true,
    );
    c.send(Msg::Resize {
        width: WIDTH,
        height: 30,
    });
    c
}

const WIDTH: u16 = 160;

fn source<'a>(m: &'a Model, label: &str) -> Option<&'a SourceStatus> {
    m.sources.iter().find(|s| s.id.label() == label)
}

fn is_ok(m: &Model, label: &str) -> bool {
    source(m, label).is_some_and(|s| s.state == FetchState::Ok)
}

fn is_failing(m: &Model, label: &str) -> bool {
    source(m, label).is_some_and(|s| matches!(s.state, FetchState::Failing { .. }))
}

fn all_ok(m: &Model) -> bool {
    !m.sources.is_empty() && m.sources.iter().all(|s| s.state == FetchState::Ok)
}

/// The sources other than `label` that are not live. The same host's other feeds (`github` and
/// `github:issues`) share its fault, so they are not counted as others.
fn others_not_ok(m: &Model, label: &str) -> Vec<String> {
    let same_host =
        |l: &str| l == label || l.strip_prefix(label).is_some_and(|r| r.starts_with(':'));
    m.sources
        .iter()
        .filter(|s| !same_host(&s.id.label()) && s.state != FetchState::Ok)
        .map(|s| format!("{}: {:?}", s.id.label(), s.state))
        .collect()
}

/// The other sources live while one fails. A dozen sims and cockpits of a debug build on two
/// busy cores can make another source miss one deadline, which is load, not the fault spreading:
/// they get one retry's time to be live again, and a fault that spread keeps them failing.
async fn others_live(c: &Cockpit, source: &str) -> Result<(), String> {
    c.until("the other sources live", Duration::from_secs(20), |m| {
        others_not_ok(m, source).is_empty()
    })
    .await
    .map(|_| ())
    .map_err(|e| format!("{e}; not live: {:?}", others_not_ok(&c.model(), source)))
}

fn github_runs(m: &Model) -> usize {
    m.pipelines
        .runs
        .iter()
        .filter(|r| r.key.host == Host::Github)
        .count()
}

fn pods(m: &Model) -> usize {
    m.workloads.pods.len()
}

fn alert_data(m: &Model) -> usize {
    m.alerts
        .instances
        .iter()
        .filter(|i| i.data().is_some())
        .count()
}

/// A small organisation: enough for every source to have data, light enough to run a dozen
/// at once on two cores.
async fn small_sim() -> Sim {
    Sim::start(SimConfig {
        services: 4,
        pods_per_service: 2,
        ..SimConfig::default()
    })
    .await
    .expect("the sim starts")
}

/// The sim's own config, with GitHub polled every 10 s when idle (not 60) so a fault is met
/// soon after it starts; `adjust` changes what a case needs.
fn sim_config(sim: &Sim, adjust: impl FnOnce(&mut Config)) -> Config {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut config = config::load(&sim.flightdeck_config())
        .expect("the sim's config loads")
        .config;
    if let Some(g) = config.github.as_mut() {
        g.poll_idle_secs = 10;
    }
    adjust(&mut config);
    config
}

/// Requests the sim's `service` server answered so far.
fn requests(sim: &Sim, service: &str) -> u64 {
    sim.shared
        .stats
        .rows()
        .iter()
        .filter(|r| r.key.service == service)
        .map(|r| r.count)
        .sum()
}

/// Requests to `service` whose endpoint label contains `endpoint`.
fn requests_to(sim: &Sim, service: &str, endpoint: &str) -> u64 {
    sim.shared
        .stats
        .rows()
        .iter()
        .filter(|r| r.key.service == service && r.key.endpoint.contains(endpoint))
        .map(|r| r.count)
        .sum()
}

/// What `service` answered, by endpoint and status, for a failure's message.
fn answered(sim: &Sim, service: &str) -> String {
    sim.shared
        .stats
        .rows()
        .iter()
        .filter(|r| r.key.service == service)
        .map(|r| {
            format!(
                "{} {} {}: {}",
                r.key.method, r.key.endpoint, r.key.status, r.count
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn fault(service: &str, path_prefix: Option<&str>, kind: FaultKind) -> Fault {
    Fault {
        service: Some(service.into()),
        path_prefix: path_prefix.map(Into::into),
        kind,
        times: None,
    }
}

/// What a [`Gate`] does with connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Forwards them to the server.
    Open,
    /// Nothing listens on its port: connections are refused.
    Refuse,
    /// Accepts each and closes it at once, as a balancer does in front of a dead server; the
    /// attempts are counted, which refused ones cannot be.
    Close,
}

/// A TCP gate in front of one of the sim's servers. Leaving `Open` cuts every connection it
/// forwarded, as when a server goes away. It counts the connections it accepted.
struct Gate {
    url: String,
    mode: watch::Sender<Mode>,
    accepted: Arc<AtomicU64>,
}

impl Gate {
    async fn new(target: &str, mode: Mode) -> Gate {
        let target: SocketAddr = target
            .trim_start_matches("http://")
            .parse()
            .expect("a sim address");
        // The port stays bound (listening or not) for the gate's life: a port let go even for a
        // moment can become some client's ephemeral port.
        let socket = reserved(SocketAddr::from(([127, 0, 0, 1], 0))).expect("a local port");
        let addr = socket.local_addr().expect("an address");
        let (tx, rx) = watch::channel(mode);
        let accepted = Arc::new(AtomicU64::new(0));
        tokio::spawn(gate(socket, addr, target, rx, accepted.clone()));
        Gate {
            url: format!("http://{addr}"),
            mode: tx,
            accepted,
        }
    }

    fn set(&self, mode: Mode) {
        let _ = self.mode.send(mode);
    }

    fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// A socket bound to `addr` that does not listen: connecting to it is refused.
fn reserved(addr: SocketAddr) -> std::io::Result<tokio::net::TcpSocket> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    Ok(socket)
}

async fn gate(
    socket: tokio::net::TcpSocket,
    addr: SocketAddr,
    target: SocketAddr,
    mut mode: watch::Receiver<Mode>,
    accepted: Arc<AtomicU64>,
) {
    let mut socket = Some(socket);
    loop {
        let Some(bound) = socket.take().or_else(|| reserved(addr).ok()) else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        if *mode.borrow_and_update() == Mode::Refuse {
            socket = Some(bound);
            if mode.changed().await.is_err() {
                return;
            }
            continue;
        }
        let Ok(listener) = bound.listen(1024) else {
            return;
        };
        // Dropping the set aborts every forwarding task: their connections break.
        let mut conns = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                conn = listener.accept() => {
                    let Ok((mut inbound, _)) = conn else { continue };
                    accepted.fetch_add(1, Ordering::SeqCst);
                    if *mode.borrow() != Mode::Open {
                        drop(inbound);
                        continue;
                    }
                    conns.spawn(async move {
                        if let Ok(mut out) = tokio::net::TcpStream::connect(target).await {
                            let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                        }
                    });
                }
                changed = mode.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let now = *mode.borrow_and_update();
                    if now != Mode::Open {
                        conns.abort_all();
                    }
                    if now == Mode::Refuse {
                        break;
                    }
                }
            }
        }
        // Closed, then bound again at once without listening (`reserved` above).
        drop(listener);
        socket = reserved(addr).ok();
    }
}

/// A kubeconfig like the sim's whose server is `url`.
fn kubeconfig_via(sim: &Sim, url: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(sim.kubeconfig()).expect("the sim's kubeconfig");
    let path = sim.dir().join("kubeconfig-via-gate");
    std::fs::write(&path, text.replace(&sim.endpoints().kubernetes, url))
        .expect("a kubeconfig written");
    path
}

/// What one case measured, for the report.
type Outcome = Result<String, String>;

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what()) }
}

/// Waits for every source to be live, and for `data` to hold something.
async fn settled(c: &Cockpit, data: fn(&Model) -> usize) -> Result<usize, String> {
    c.until("every source live", Duration::from_secs(60), all_ok)
        .await?;
    c.until("data to show", Duration::from_secs(20), |m| data(m) > 0)
        .await?;
    Ok(data(&c.model()))
}

/// A fault the sim injects, met by a source whose data is `data`: shown failing with `says`
/// in the status bar, its data kept, the others live, at most `max_requests` to its server
/// while the fault lasts, and live again without a key once it is cleared.
struct ServerFault {
    sim_service: &'static str,
    source: &'static str,
    faults: Vec<Fault>,
    says: &'static [&'static str],
    data: fn(&Model) -> usize,
    max_requests: u64,
    config: fn(&mut Config),
}

async fn server_fault(case: ServerFault) -> Outcome {
    let sim = small_sim().await;
    let config = sim_config(&sim, case.config);
    let c = cockpit(&config);
    let had = settled(&c, case.data).await?;
    let before = requests(&sim, case.sim_service);
    let start = Instant::now();
    for f in &case.faults {
        sim.shared.faults.add(f.clone());
    }
    let source = case.source;
    let (met, bar) = c
        .until_seen("the fault shown", Duration::from_secs(30), |m| {
            is_failing(m, source)
        })
        .await
        .map_err(|e| format!("{e}; the sim answered {}", answered(&sim, case.sim_service)))?;
    check(bar.contains(&format!("✗ {source}")), || {
        format!("the status bar marks {source} failing: {bar:?}")
    })?;
    check(case.says.iter().any(|w| bar.contains(w)), || {
        format!("the status bar says one of {:?}: {bar:?}", case.says)
    })?;
    c.run_for(FAULT_FOR).await;
    let during = requests(&sim, case.sim_service) - before;
    let secs = start.elapsed().as_secs_f64();
    let kept = (case.data)(&c.model());
    check(kept >= had, || {
        format!("the last data is kept: {had} before, {kept} during the fault")
    })?;
    // Kept data says how old it is.
    let bar = c.status_bar();
    check(bar.contains("stale "), || {
        format!("the status bar gives the kept data's age: {bar:?}")
    })?;
    others_live(&c, source).await?;
    check(during <= case.max_requests, || {
        format!(
            "no tight retry loop: {during} requests in {secs:.0} s of fault (at most {})",
            case.max_requests
        )
    })?;
    sim.shared.faults.clear();
    let back = c
        .until("live again without a key", Duration::from_secs(70), |m| {
            is_ok(m, source)
        })
        .await?;
    Ok(format!(
        "met in {:.1} s, {during} requests in {secs:.0} s of fault, live {:.1} s after it cleared",
        met.as_secs_f64(),
        back.as_secs_f64()
    ))
}

fn no_change(_: &mut Config) {}

fn github_case(kind: FaultKind, says: &'static [&'static str], max_requests: u64) -> ServerFault {
    ServerFault {
        sim_service: "github",
        source: "github",
        faults: vec![fault("github", Some("/repos/"), kind)],
        says,
        data: github_runs,
        max_requests,
        config: no_change,
    }
}

fn alertmanager_case(
    kind: FaultKind,
    says: &'static [&'static str],
    max_requests: u64,
) -> ServerFault {
    ServerFault {
        sim_service: "alertmanager",
        source: "alertmanager:sim",
        faults: vec![fault("alertmanager", Some("/api/v2/alerts"), kind)],
        says,
        data: alert_data,
        max_requests,
        config: no_change,
    }
}

const KUBE: &str = "kubernetes:flightdeck-sim";
/// The namespace the small sim's four services live in, and its paths.
const NS: &str = "storefront";
const NS_CORE: &str = "/api/v1/namespaces/storefront/";
const NS_PODS: &str = "/api/v1/namespaces/storefront/pods";
const NS_APPS: &str = "/apis/apps/v1/namespaces/storefront/";

fn kubernetes_case(
    faults: Vec<Fault>,
    says: &'static [&'static str],
    max_requests: u64,
) -> ServerFault {
    ServerFault {
        sim_service: "kubernetes",
        source: KUBE,
        faults,
        says,
        data: pods,
        max_requests,
        config: no_change,
    }
}

/// GitHub answering every request 10 s late, within its 20 s deadline: slow answers are
/// answers, so the source stays live with its runs, and polls do not pile up behind them.
async fn github_slow() -> Outcome {
    let sim = small_sim().await;
    let c = cockpit(&sim_config(&sim, no_change));
    let had = settled(&c, github_runs).await?;
    let before = requests(&sim, "github");
    sim.shared.faults.add(fault(
        "github",
        Some("/repos/"),
        FaultKind::Latency { ms: 10_000 },
    ));
    c.run_for(FAULT_FOR + Duration::from_secs(5)).await;
    let during = requests(&sim, "github") - before;
    let live = c.with(|m| is_ok(m, "github"));
    check(live, || {
        format!("slow answers are answers: {:?}", c.status_bar())
    })?;
    let kept = github_runs(&c.model());
    check(kept >= had, || {
        format!("the runs are kept: {had} before, {kept} during")
    })?;
    others_live(&c, "github").await?;
    check(during <= GITHUB_MAX, || {
        format!("no pile-up: {during} requests in 15 s of slow answers")
    })?;
    sim.shared.faults.clear();
    Ok(format!(
        "{during} requests answered in 15 s of 10 s latency, live throughout"
    ))
}

/// GitHub unreachable when the cockpit starts (nothing listens), then back.
async fn github_down_at_start() -> Outcome {
    let sim = small_sim().await;
    let gate = Gate::new(&sim.endpoints().github, Mode::Refuse).await;
    let url = gate.url.clone();
    let config = sim_config(&sim, |c| {
        if let Some(g) = c.github.as_mut() {
            g.api_url = url;
        }
    });
    let c = cockpit(&config);
    let (_, bar) = c
        .until_seen(
            "github failing, the others live",
            Duration::from_secs(40),
            |m| is_failing(m, "github") && others_not_ok(m, "github").is_empty(),
        )
        .await?;
    check(
        bar.contains("✗ github") && bar.contains("connection refused"),
        || format!("the status bar says github's connection is refused: {bar:?}"),
    )?;
    let reports = c.failures("github");
    c.run_for(FAULT_FOR).await;
    let rounds = c.failures("github") - reports;
    check(rounds <= 4, || {
        format!("no tight retry loop: {rounds} failed rounds in {FAULT_FOR:?}")
    })?;
    gate.set(Mode::Open);
    let back = c
        .until("runs shown without a key", Duration::from_secs(70), |m| {
            is_ok(m, "github") && github_runs(m) > 0
        })
        .await?;
    Ok(format!(
        "{rounds} failed rounds in {:.0} s refused, runs shown {:.1} s after it came up",
        FAULT_FOR.as_secs_f64(),
        back.as_secs_f64()
    ))
}

/// A server that goes away mid-session: its connections cut, then every new one accepted and
/// closed at once (counted) for a while, then back. `data` must survive it.
async fn dropped_mid_session(
    which: &'static str,
    source: &'static str,
    data: fn(&Model) -> usize,
    max_attempts: u64,
) -> Outcome {
    let sim = small_sim().await;
    let target = match which {
        "github" => sim.endpoints().github.clone(),
        _ => sim.endpoints().kubernetes.clone(),
    };
    let gate = Gate::new(&target, Mode::Open).await;
    let url = gate.url.clone();
    let kubeconfig = kubeconfig_via(&sim, &url);
    let config = sim_config(&sim, |c| match which {
        "github" => {
            if let Some(g) = c.github.as_mut() {
                g.api_url = url;
            }
        }
        _ => {
            if let Some(k) = c.kubernetes.as_mut() {
                k.kubeconfig = Some(kubeconfig);
            }
        }
    });
    let c = cockpit(&config);
    let had = settled(&c, data).await?;
    gate.set(Mode::Close);
    let before = gate.accepted();
    let start = Instant::now();
    let (met, bar) = c
        .until_seen("the drop shown", Duration::from_secs(30), |m| {
            is_failing(m, source)
        })
        .await?;
    check(
        bar.contains(&format!("✗ {source}"))
            && ["reset", "closed", "connect", "EOF", "refused"]
                .iter()
                .any(|w| bar.contains(w)),
        || format!("the status bar says {source}'s connection broke: {bar:?}"),
    )?;
    c.run_for(FAULT_FOR).await;
    let attempts = gate.accepted() - before;
    let secs = start.elapsed().as_secs_f64();
    let kept = data(&c.model());
    check(kept >= had, || {
        format!("the last data is kept: {had} before, {kept} during")
    })?;
    others_live(&c, source).await?;
    check(attempts <= max_attempts, || {
        format!(
            "no tight retry loop: {attempts} connections in {secs:.0} s (at most {max_attempts})"
        )
    })?;
    gate.set(Mode::Open);
    let back = c
        .until("live again without a key", Duration::from_secs(70), |m| {
            is_ok(m, source)
        })
        .await?;
    Ok(format!(
        "met in {:.1} s, {attempts} connections in {secs:.0} s down, live {:.1} s after it came back",
        met.as_secs_f64(),
        back.as_secs_f64()
    ))
}

/// A plain-HTTP server as most answer bytes they cannot read (a TLS hello among them): a 400,
/// then the connection closed. Counts the connections.
async fn plain_http_server() -> (String, Arc<AtomicU64>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a local port");
    let addr = l.local_addr().expect("an address");
    let accepted = Arc::new(AtomicU64::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = l.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    (format!("http://{addr}"), accepted)
}

/// GitHub's API at a name that does not resolve, or spoken to as https on a plain-HTTP port:
/// said so, tried again only after a wait, nothing else touched.
async fn github_unreachable(how: &'static str) -> Outcome {
    let sim = small_sim().await;
    let (plain, accepted) = plain_http_server().await;
    let url = match how {
        "dns" => "http://github.invalid".to_string(),
        _ => plain.replace("http://", "https://"),
    };
    let config = sim_config(&sim, |c| {
        if let Some(g) = c.github.as_mut() {
            g.api_url = url;
        }
    });
    let c = cockpit(&config);
    let (_, bar) = c
        .until_seen(
            "github failing, the others live",
            Duration::from_secs(40),
            |m| is_failing(m, "github") && others_not_ok(m, "github").is_empty(),
        )
        .await?;
    let word = if how == "dns" { "DNS" } else { "TLS" };
    check(bar.contains("✗ github") && bar.contains(word), || {
        format!("the status bar says {word}: {bar:?}")
    })?;
    let reports = c.failures("github");
    let connections = accepted.load(Ordering::SeqCst);
    c.run_for(FAULT_FOR).await;
    let rounds = c.failures("github") - reports;
    let connections = accepted.load(Ordering::SeqCst) - connections;
    check(rounds <= 4 && connections <= 16, || {
        format!(
            "no tight retry loop: {rounds} failed rounds, {connections} connections in {FAULT_FOR:?}"
        )
    })?;
    others_live(&c, "github").await?;
    Ok(format!(
        "{rounds} failed rounds and {connections} connections in {:.0} s",
        FAULT_FOR.as_secs_f64()
    ))
}

/// A 410 Gone that ends every watch of the pods at once: the watcher re-lists, backs
/// off between re-lists (it made ~70 requests a second before), keeps the pods, and is live
/// again once the fault clears.
async fn kubernetes_gone_repeating() -> Outcome {
    let sim = small_sim().await;
    let config = sim_config(&sim, no_change);
    let c = cockpit(&config);
    let had = settled(&c, pods).await?;
    let lists = requests_to(&sim, "kubernetes", "list pods");
    sim.shared
        .faults
        .add(fault("kubernetes", Some(NS_PODS), FaultKind::WatchGone));
    c.run_for(FAULT_FOR).await;
    let relists = requests_to(&sim, "kubernetes", "list pods") - lists;
    let bar = c.status_bar();
    check((1..=8).contains(&relists), || {
        format!("re-lists, but no tight loop: {relists} pod lists in {FAULT_FOR:?}")
    })?;
    let kept = pods(&c.model());
    check(kept == had, || {
        format!("the pods are kept: {had} before, {kept} during")
    })?;
    others_live(&c, KUBE).await?;
    sim.shared.faults.clear();
    let back = c
        .until("live again without a key", Duration::from_secs(60), |m| {
            is_ok(m, KUBE) && pods(m) == had
        })
        .await?;
    Ok(format!(
        "{relists} pod lists in {:.0} s of 410s (bar: {:?}), live {:.1} s after",
        FAULT_FOR.as_secs_f64(),
        bar.split(" ? help").next().unwrap_or_default().trim(),
        back.as_secs_f64()
    ))
}

/// Every watch of the pods broken mid-stream as soon as it is made: resumed with a growing
/// wait, the pods kept, and live again soon after the fault clears (a resumed watch read
/// "failing" for minutes, until something changed).
async fn kubernetes_watch_dropped() -> Outcome {
    let sim = small_sim().await;
    let config = sim_config(&sim, no_change);
    let c = cockpit(&config);
    let had = settled(&c, pods).await?;
    let before = requests(&sim, "kubernetes");
    let reports = c.failures(KUBE);
    sim.shared
        .faults
        .add(fault("kubernetes", Some(NS_PODS), FaultKind::WatchDrop));
    c.run_for(FAULT_FOR).await;
    let during = requests(&sim, "kubernetes") - before;
    let failed = c.failures(KUBE) - reports;
    check(during <= 40, || {
        format!("no tight retry loop: {during} requests in {FAULT_FOR:?}")
    })?;
    let kept = pods(&c.model());
    check(kept == had, || {
        format!("the pods are kept: {had} before, {kept} during")
    })?;
    others_live(&c, KUBE).await?;
    sim.shared.faults.clear();
    let back = c
        .until("live without a key", Duration::from_secs(30), |m| {
            is_ok(m, KUBE)
        })
        .await?;
    Ok(format!(
        "{during} requests and {failed} failure reports in {:.0} s of drops, live {:.1} s after",
        FAULT_FOR.as_secs_f64(),
        back.as_secs_f64()
    ))
}

/// A namespace the user may no longer read (RBAC), met when its watches reconnect: its feeds stop asking (a forbidden scope
/// is tried again after ten minutes or at `r`), the source stays live and names it, the other
/// namespaces carry on; once allowed again, `r` brings it back.
async fn kubernetes_forbidden_namespace() -> Outcome {
    let sim = small_sim().await;
    // A second namespace to watch, which must stay synced.
    let config = sim_config(&sim, |c| {
        c.services.push(config::ServiceDecl {
            name: "prometheus".into(),
            owner: None,
            system: None,
            lifecycle: None,
            description: None,
            github: None,
            gitlab: None,
            kubernetes_id: Some("prometheus".into()),
            kubernetes_label_selector: None,
            kubernetes_namespace: Some("monitoring".into()),
            docs: None,
        })
    });
    let c = cockpit(&config);
    settled(&c, pods).await?;
    let before = requests(&sim, "kubernetes");
    for prefix in [NS_CORE, NS_APPS] {
        sim.shared
            .faults
            .add(fault("kubernetes", Some(prefix), FaultKind::Forbidden));
        sim.shared
            .faults
            .add(fault("kubernetes", Some(prefix), FaultKind::WatchDrop));
    }
    let forbidden = |m: &Model| {
        m.workloads.contexts.iter().any(|c| {
            matches!(
                c.scopes.get(NS),
                Some(flightdeck_core::model::workloads::ScopeState::Forbidden(_))
            )
        })
    };
    c.until(
        "the namespace forbidden",
        Duration::from_secs(30),
        forbidden,
    )
    .await?;
    c.until("the source live again", Duration::from_secs(30), |m| {
        is_ok(m, KUBE)
    })
    .await?;
    // The status bar names it when there is room; the Workloads screen always does.
    let screen = c.screen(Screen::Workloads);
    check(screen.contains(&format!("{NS}: forbidden")), || {
        format!("the Workloads screen names the forbidden namespace:\n{screen}")
    })?;
    let asked = requests(&sim, "kubernetes");
    c.run_for(FAULT_FOR).await;
    let again = requests(&sim, "kubernetes") - asked;
    // Feeds of the namespace that had not met the refusal yet each meet it once (six kinds),
    // then wait ten minutes; a retry loop would make dozens.
    check(again <= 8, || {
        format!(
            "a forbidden namespace is not asked again and again: {again} requests in {FAULT_FOR:?}"
        )
    })?;
    others_live(&c, KUBE).await?;
    let (synced_elsewhere, scopes) = c.with(|m| {
        let contexts = &m.workloads.contexts;
        let synced = contexts.iter().all(|c| {
            c.scopes
                .iter()
                .filter(|(ns, _)| ns.as_str() != NS)
                .all(|(_, s)| *s == flightdeck_core::model::workloads::ScopeState::Synced)
        });
        (
            synced,
            contexts.iter().map(|c| c.scopes.len()).sum::<usize>(),
        )
    });
    check(synced_elsewhere && scopes >= 2, || {
        format!("the other namespaces stay synced ({scopes} watched)")
    })?;
    sim.shared.faults.clear();
    c.press('r');
    let back = c
        .until("synced again after r", Duration::from_secs(30), |m| {
            !forbidden(m) && is_ok(m, KUBE)
        })
        .await?;
    let total = requests(&sim, "kubernetes") - before;
    Ok(format!(
        "{again} requests in {:.0} s forbidden ({total} in all), back {:.1} s after r",
        FAULT_FOR.as_secs_f64(),
        back.as_secs_f64()
    ))
}

/// Found by the matrix: with no service of the catalog on GitLab, the GitLab source read
/// "connecting" for ever, as a host that never answers does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ci_host_with_no_repository_in_the_catalog_reads_live() {
    // The first four services all build on GitHub.
    let sim = small_sim().await;
    let c = cockpit(&sim_config(&sim, no_change));
    c.until("gitlab live", Duration::from_secs(30), |m| {
        is_ok(m, "gitlab")
    })
    .await
    .expect("gitlab reads live");
    let detail = c.with(|m| source(m, "gitlab").and_then(|s| s.detail.clone()));
    assert_eq!(detail.as_deref(), Some("no repositories in the catalog"));
}

/// Requests to GitHub in a failing source's ~13 s: its four repositories, a request or two
/// each per round, rounds 5 then 10 s apart. A poller without backoff makes hundreds.
const GITHUB_MAX: u64 = 30;

type Case = std::pin::Pin<Box<dyn std::future::Future<Output = Outcome> + Send>>;

fn cases() -> Vec<(&'static str, Case)> {
    use FaultKind as K;
    vec![
        ("github down at start", Box::pin(github_down_at_start())),
        (
            "github dropped mid-session",
            Box::pin(dropped_mid_session("github", "github", github_runs, 16)),
        ),
        (
            "kubernetes dropped mid-session",
            Box::pin(dropped_mid_session("kubernetes", KUBE, pods, 120)),
        ),
        (
            "github 5xx",
            Box::pin(server_fault(github_case(
                K::Status { code: 503 },
                &["HTTP 503"],
                GITHUB_MAX,
            ))),
        ),
        (
            "github truncated",
            Box::pin(server_fault(github_case(
                K::Truncated,
                &["malformed", "cut short"],
                GITHUB_MAX,
            ))),
        ),
        (
            "github malformed",
            Box::pin(server_fault(github_case(
                K::Malformed,
                &["malformed", "not JSON"],
                GITHUB_MAX,
            ))),
        ),
        (
            "github primary rate limit",
            Box::pin(server_fault(github_case(
                K::RateLimit { reset_in_secs: 15 },
                &["rate limit exhausted"],
                8,
            ))),
        ),
        (
            "github secondary rate limit",
            Box::pin(server_fault(github_case(
                K::SecondaryLimit {
                    retry_after_secs: 15,
                },
                &["secondary rate limit"],
                12,
            ))),
        ),
        ("github slow (10 s)", Box::pin(github_slow())),
        ("github DNS failure", Box::pin(github_unreachable("dns"))),
        ("github TLS failure", Box::pin(github_unreachable("tls"))),
        (
            "alertmanager 5xx",
            Box::pin(server_fault(alertmanager_case(
                K::Status { code: 500 },
                &["HTTP 500"],
                8,
            ))),
        ),
        (
            "alertmanager slow (10 s)",
            Box::pin(server_fault(alertmanager_case(
                K::Latency { ms: 10_000 },
                &["no answer within"],
                8,
            ))),
        ),
        (
            "alertmanager truncated",
            Box::pin(server_fault(alertmanager_case(
                K::Truncated,
                &["malformed", "cut short"],
                8,
            ))),
        ),
        (
            "alertmanager malformed",
            Box::pin(server_fault(alertmanager_case(
                K::Malformed,
                &["malformed", "not JSON"],
                8,
            ))),
        ),
        (
            "kubernetes 5xx",
            Box::pin(server_fault(kubernetes_case(
                vec![
                    fault("kubernetes", Some(NS_PODS), K::Status { code: 503 }),
                    // The open watch breaks; every request after it is answered 503.
                    fault("kubernetes", Some(NS_PODS), K::WatchDrop),
                ],
                // A body that is not a Kubernetes Status keeps its real code.
                &["HTTP 503"],
                40,
            ))),
        ),
        ("kubernetes 410 Gone", Box::pin(kubernetes_gone_repeating())),
        (
            "kubernetes dropped watch",
            Box::pin(kubernetes_watch_dropped()),
        ),
        (
            "kubernetes forbidden namespace",
            Box::pin(kubernetes_forbidden_namespace()),
        ),
    ]
}

/// Every case at once, each on its own sim; a failure names its case and what it saw, and the
/// figures of the passing ones are printed. `FLIGHTDECK_FAULT_CASE` runs only the cases whose
/// name contains it.
#[test]
fn the_source_fault_matrix() {
    let only = std::env::var("FLIGHTDECK_FAULT_CASE").unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let started = Instant::now();
        let running: Vec<_> = cases()
            .into_iter()
            .filter(|(name, _)| name.contains(&only))
            .enumerate()
            .map(|(i, (name, case))| {
                // Started a little apart: a dozen organisations loading at the same instant
                // on two busy cores kept some first answers past their deadlines.
                let case = async move {
                    tokio::time::sleep(Duration::from_millis(700) * i as u32).await;
                    case.await
                };
                (name, tokio::spawn(case))
            })
            .collect();
        let total = running.len();
        let mut failed = Vec::new();
        for (name, handle) in running {
            match handle.await {
                Ok(Ok(figures)) => println!("fault matrix: {name}: {figures}"),
                Ok(Err(why)) => failed.push(format!("{name}: {why}")),
                Err(e) => failed.push(format!("{name}: panicked: {e}")),
            }
        }
        println!(
            "fault matrix: {} of {total} cases passed in {:.0} s",
            total - failed.len(),
            started.elapsed().as_secs_f64()
        );
        assert!(
            failed.is_empty(),
            "{} of {total} fault cases failed:\n{}",
            failed.len(),
            failed.join("\n")
        );
    });
}

/// Resident memory of a process, in MB, from /proc.
fn rss_mb(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The real binary in a terminal against a sim: memory after a round of faults (GitHub's
/// connections closed, Alertmanager answering 500, the pods watch dropped) comes back near
/// where it was. The first connection error once took it from ~31 MB to ~213 MB for good.
#[test]
fn memory_comes_back_after_the_faults_clear() {
    use crate::e2e_tmux::{Tmux, read, script};
    let Some(t) = Tmux::new("rss") else { return };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let (sim, gate) = runtime.block_on(async {
        let sim = small_sim().await;
        let gate = Gate::new(&sim.endpoints().github, Mode::Open).await;
        (sim, gate)
    });
    let text = std::fs::read_to_string(sim.flightdeck_config()).expect("the sim's config");
    let config = t.path("flightdeck.toml");
    std::fs::write(&config, text.replace(&sim.endpoints().github, &gate.url))
        .expect("a config written");
    t.start(&script(
        &t,
        &format!("--config {} --no-snapshot", config.display()),
    ));
    let live = |within: Duration| {
        let start = Instant::now();
        loop {
            let screen = t.tmux(&["capture-pane", "-p", "-t", "t"]);
            // Every source live: the status bar counts them and names none.
            let bar = screen
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            if bar.trim_start().starts_with('●')
                && bar.contains(" ok ")
                && !bar.contains('✗')
                && !bar.contains('…')
            {
                return start.elapsed();
            }
            assert!(
                start.elapsed() < within,
                "every source live within {within:?}; the screen was:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    live(Duration::from_secs(60));
    let pid = read(t.path("pid"));
    std::thread::sleep(Duration::from_secs(5));
    let before = rss_mb(&pid);

    gate.set(Mode::Close);
    sim.shared.faults.add(fault(
        "alertmanager",
        Some("/api/v2/"),
        FaultKind::Status { code: 500 },
    ));
    sim.shared
        .faults
        .add(fault("kubernetes", Some(NS_PODS), FaultKind::WatchDrop));
    let mut during = before;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(15) {
        during = during.max(rss_mb(&pid));
        std::thread::sleep(Duration::from_millis(250));
    }
    let screen = t.tmux(&["capture-pane", "-p", "-t", "t"]);
    assert!(screen.contains('✗'), "the faults are shown:\n{screen}");

    gate.set(Mode::Open);
    sim.shared.faults.clear();
    let back = live(Duration::from_secs(90));
    std::thread::sleep(Duration::from_secs(3));
    let after = rss_mb(&pid);
    println!(
        "memory: {before:.1} MB live, at most {during:.1} MB during 15 s of faults, {after:.1} MB after (live again {:.1} s after they cleared)",
        back.as_secs_f64()
    );
    assert!(
        during < before + 60.0 && after < before + 20.0,
        "memory back near its level: {before:.1} MB before, {during:.1} MB during, {after:.1} MB after"
    );
    t.keys(&["q"]);
}
