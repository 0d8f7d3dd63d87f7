//! The simulated organisation: a seeded engineering org served on 127.0.0.1 over the same wire
//! protocols as production (GitHub REST, GitLab REST, the Kubernetes API, Alertmanager API v2,
//! the Backstage catalog API), so the cockpit's real clients run against it unchanged. It backs
//! `--demo`, `flightdeck sim`, the provider tests and the benchmarks.

pub mod alertmanager;
pub mod backstage;
pub mod ci;
pub mod control;
pub mod files;
pub mod github;
pub mod gitlab;
pub mod jira;
pub mod kubernetes;
pub mod metrics;
pub mod pagerduty;
pub mod rest;
pub mod scaffold;
pub mod work;
pub mod world;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use control::{Fault, FaultKind, StatRow, Stats};
pub use world::{SimClock, SimConfig, World};

/// Base URLs of the sim's servers, each on its own ephemeral port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub github: String,
    pub gitlab: String,
    pub kubernetes: String,
    pub alertmanager: String,
    pub backstage: String,
    /// `/metrics` in Prometheus' text format, for a real Prometheus to scrape.
    pub metrics: String,
    pub jira: String,
    pub pagerduty: String,
    /// The second Kubernetes cluster, when [`SimConfig::second_cluster`] asks for one.
    pub kubernetes_west: Option<String>,
}

/// What every protocol server shares: the world, its clock, the counters and faults, and where
/// everything is served and written.
pub struct Shared {
    pub world: World,
    pub clock: SimClock,
    pub stats: Arc<Stats>,
    pub faults: Arc<control::Faults>,
    pub endpoints: Endpoints,
    /// Where descriptors, docs, the kubeconfig and the flightdeck config are written.
    pub dir: PathBuf,
    /// Repositories created from templates: state the GitHub and Backstage servers share.
    pub created: std::sync::Mutex<scaffold::Created>,
}

impl Shared {
    pub fn control(&self, service: &'static str) -> control::Control {
        control::Control {
            service,
            stats: self.stats.clone(),
            faults: self.faults.clone(),
        }
    }

    /// Story time now: what the world is asked about. What is served goes through
    /// [`Shared::wall`].
    pub fn story_now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.story_now()
    }

    /// The wall time a story time is served as.
    pub fn wall(&self, story: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
        self.clock.wall(story)
    }
}

/// A running sim. Dropping it stops the servers and removes its files.
pub struct Sim {
    pub shared: Arc<Shared>,
    shutdown: CancellationToken,
    _dir: Option<tempfile::TempDir>,
}

impl Sim {
    /// Starts every server on 127.0.0.1 and writes the organisation's files into a new
    /// temporary directory.
    pub async fn start(config: SimConfig) -> color_eyre::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("flightdeck-sim-")
            .tempdir()?;
        let path = dir.path().to_path_buf();
        let mut sim = Self::start_in(config, &path).await?;
        sim._dir = Some(dir);
        Ok(sim)
    }

    /// Like [`Sim::start`], writing files into `dir`, which is kept.
    pub async fn start_in(config: SimConfig, dir: &Path) -> color_eyre::Result<Self> {
        let bind = || TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)));
        let listeners = [
            bind().await?,
            bind().await?,
            bind().await?,
            bind().await?,
            bind().await?,
            bind().await?,
            bind().await?,
            bind().await?,
        ];
        let url = |l: &TcpListener| -> color_eyre::Result<String> {
            Ok(format!("http://{}", l.local_addr()?))
        };
        let endpoints = Endpoints {
            github: url(&listeners[0])?,
            gitlab: url(&listeners[1])?,
            kubernetes: url(&listeners[2])?,
            alertmanager: url(&listeners[3])?,
            backstage: url(&listeners[4])?,
            metrics: url(&listeners[5])?,
            jira: url(&listeners[6])?,
            pagerduty: url(&listeners[7])?,
            kubernetes_west: None,
        };
        let west = if config.second_cluster {
            Some(bind().await?)
        } else {
            None
        };
        let mut endpoints = endpoints;
        if let Some(l) = &west {
            endpoints.kubernetes_west = Some(url(l)?);
        }
        let clock = SimClock::new(config.speed);
        let world = World::new(config);
        // The templates' repository exists from the start, as a platform team's would.
        let created = scaffold::Created::seeded(&world, &endpoints, clock.now());
        let shared = Arc::new(Shared {
            world,
            clock,
            stats: Arc::default(),
            faults: Arc::default(),
            endpoints,
            dir: dir.to_path_buf(),
            created: std::sync::Mutex::new(created),
        });
        files::write_all(&shared, &kubernetes::contexts(&shared))?;
        // The Kubernetes server writes its own kubeconfig, with the credentials it accepts.
        kubernetes::write_kubeconfig(&shared)?;

        let shutdown = CancellationToken::new();
        let routers: [(Router, &'static str); 8] = [
            (github::router(shared.clone()), "github"),
            (gitlab::router(shared.clone()), "gitlab"),
            (kubernetes::router(shared.clone()), "kubernetes"),
            (alertmanager::router(shared.clone()), "alertmanager"),
            (backstage::router(shared.clone()), "backstage"),
            (metrics::router(shared.clone()), "metrics"),
            (jira::router(shared.clone()), "jira"),
            (pagerduty::router(shared.clone()), "pagerduty"),
        ];
        let west = west.map(|l| {
            (
                l,
                (kubernetes::west_router(shared.clone()), "kubernetes-west"),
            )
        });
        for (listener, (router, name)) in listeners.into_iter().zip(routers).chain(west) {
            let app = control::wrap(router, shared.control(name));
            let stop = shutdown.clone();
            tokio::spawn(async move {
                let served = axum::serve(listener, app)
                    .with_graceful_shutdown(async move { stop.cancelled().await })
                    .await;
                if let Err(e) = served {
                    tracing::warn!(server = name, error = %e, "sim server stopped");
                }
            });
        }
        Ok(Self {
            shared,
            shutdown,
            _dir: None,
        })
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.shared.endpoints
    }

    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// The kubeconfig the sim wrote; kubectl and the cockpit both use it.
    pub fn kubeconfig(&self) -> PathBuf {
        files::kubeconfig_path(&self.shared.dir)
    }

    /// A flightdeck config pointing at this sim.
    pub fn flightdeck_config(&self) -> PathBuf {
        files::config_path(&self.shared.dir)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
