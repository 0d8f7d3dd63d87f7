//! The demo organisation, when this build has it (the default `sim` feature): `--demo` starts
//! it in-process and points the cockpit at it; `flightdeck sim` serves it alone.

use std::path::PathBuf;

use color_eyre::Result;

use crate::cli::SimArgs;

/// A running demo organisation; dropping it stops its servers.
pub struct Demo {
    /// The real Prometheus and Alertmanager beside it, when both are installed, so the demo's
    /// Overview has sparklines and its Service screens charts; they stop with the demo, before
    /// the sim removes the directory they write in (fields drop in order).
    #[cfg(feature = "sim")]
    _monitoring: Option<serve_sim::Monitoring>,
    #[cfg(feature = "sim")]
    sim: flightdeck_sim::Sim,
    #[cfg(not(feature = "sim"))]
    never: std::convert::Infallible,
}

impl Demo {
    #[cfg(feature = "sim")]
    pub async fn start(args: &SimArgs) -> Result<Demo> {
        let sim = flightdeck_sim::Sim::start(args.config()).await?;
        // Without them the demo still runs, only without signals: say why in the log.
        let monitoring = serve_sim::Monitoring::start(&sim)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the demo's Prometheus and Alertmanager did not start");
                None
            });
        Ok(Demo {
            sim,
            _monitoring: monitoring,
        })
    }

    #[cfg(not(feature = "sim"))]
    pub async fn start(_args: &SimArgs) -> Result<Demo> {
        Err(color_eyre::eyre::eyre!(
            "this flightdeck was built without the demo organisation (the `sim` feature)"
        ))
    }

    /// The cockpit config the organisation wrote for itself.
    pub fn config_path(&self) -> PathBuf {
        #[cfg(feature = "sim")]
        return self.sim.flightdeck_config();
        #[cfg(not(feature = "sim"))]
        match self.never {}
    }
}

#[cfg(feature = "sim")]
pub use serve_sim::serve;

#[cfg(feature = "sim")]
mod serve_sim {
    use std::path::Path;
    use std::process::ExitCode;

    use color_eyre::Result;
    use color_eyre::eyre::{WrapErr, eyre};
    use flightdeck_sim::Sim;

    use crate::cli::SimArgs;

    /// `flightdeck sim`: serve the organisation until interrupted, and say how to reach it.
    pub async fn serve(args: &SimArgs, dir: Option<&Path>) -> Result<ExitCode> {
        // Served for kubectl and the cockpit alike: a second cluster to switch contexts to.
        let config = flightdeck_sim::SimConfig {
            second_cluster: true,
            ..args.config()
        };
        let sim = match dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .wrap_err_with(|| format!("while creating {}", dir.display()))?;
                Sim::start_in(config, dir).await?
            }
            None => Sim::start(config).await?,
        };
        let e = sim.endpoints();
        let w = &sim.shared.world;
        println!(
            "flightdeck sim: {} services, {} pods, seed {}, speed {}x",
            w.services.len(),
            w.services.len() * w.config.pods_per_service,
            w.config.seed,
            w.config.speed
        );
        println!();
        println!("  GitHub REST       {}", e.github);
        println!("  GitLab REST       {}/api/v4", e.gitlab);
        println!(
            "  Kubernetes API    {} (context flightdeck-sim)",
            e.kubernetes
        );
        if let Some(west) = &e.kubernetes_west {
            println!("  Kubernetes API    {west} (context flightdeck-sim-west: storefront only)");
        }
        println!("  Alertmanager v2   {}/api/v2", e.alertmanager);
        println!("  Backstage catalog {}/api/catalog", e.backstage);
        println!("  Metrics           {}/metrics", e.metrics);
        println!("  Jira REST         {}/rest/api/3", e.jira);
        println!("  PagerDuty REST    {}", e.pagerduty);
        println!("  request stats     <any of the above>/_sim/stats, faults at /_sim/faults");
        let monitoring = Monitoring::start(&sim).await;
        match &monitoring {
            Ok(Some(m)) => {
                println!(
                    "  Prometheus        {} (scraping the sim every second, its alert rules loaded)",
                    m.prometheus
                );
                println!(
                    "  Alertmanager      {} (the real one, receiving Prometheus' alerts)",
                    m.alertmanager
                );
            }
            Ok(None) => println!(
                "  (prometheus and prometheus-alertmanager are not both installed: no real pair started)"
            ),
            Err(e) => println!("  (the real Prometheus and Alertmanager did not start: {e})"),
        }
        println!();
        println!("  files             {}", sim.dir().display());
        println!("  kubeconfig        {}", sim.kubeconfig().display());
        println!("  flightdeck config {}", sim.flightdeck_config().display());
        println!();
        println!("Try:");
        println!(
            "  kubectl --kubeconfig {} get pods -A",
            sim.kubeconfig().display()
        );
        println!("  amtool --alertmanager.url={} alert query", e.alertmanager);
        println!(
            "  curl -s {}/repos/{}/actions/runs?per_page=3",
            e.github,
            w.services.first().map_or("acme/x", |s| s.repo.as_str())
        );
        println!(
            "  flightdeck --config {}",
            sim.flightdeck_config().display()
        );
        println!();
        println!("Ctrl-C stops it.");
        // SIGTERM too, so the Prometheus and Alertmanager started here stop with the sim.
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| eyre!("waiting for SIGTERM: {e}"))?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.map_err(|e| eyre!("waiting for Ctrl-C: {e}"))?,
            _ = term.recv() => {}
        }
        drop(monitoring);
        Ok(ExitCode::SUCCESS)
    }

    /// A real Prometheus scraping the sim and a real Alertmanager receiving its alerts, started
    /// when both programs are installed; both stop with this value.
    pub(super) struct Monitoring {
        prometheus: String,
        alertmanager: String,
        _children: [tokio::process::Child; 2],
    }

    fn installed(name: &str) -> Option<std::path::PathBuf> {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
    }

    fn free_port() -> Result<u16> {
        Ok(std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port())
    }

    /// How long the demo waits for its Prometheus and Alertmanager to be ready.
    const READY_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

    /// Waits until every URL's `/-/ready` answers 200, or `within` passed.
    async fn ready(urls: &[&str], within: std::time::Duration) {
        let client = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + within;
        for url in urls {
            let probe = format!("{url}/-/ready");
            while tokio::time::Instant::now() < deadline {
                let answer = client
                    .get(&probe)
                    .timeout(std::time::Duration::from_millis(500))
                    .send()
                    .await;
                if answer.is_ok_and(|r| r.status().is_success()) {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }

    impl Monitoring {
        pub(super) async fn start(sim: &Sim) -> Result<Option<Monitoring>> {
            let (Some(prom), Some(am)) = (
                installed("prometheus"),
                installed("prometheus-alertmanager"),
            ) else {
                return Ok(None);
            };
            let dir = sim.dir().join("monitoring");
            std::fs::create_dir_all(&dir)?;
            let am_port = free_port()?;
            let prom_port = free_port()?;
            let am_config = dir.join("alertmanager.yml");
            std::fs::write(
                &am_config,
                "route:\n  receiver: \"null\"\n  group_by: [\"alertname\", \"service\"]\nreceivers:\n  - name: \"null\"\n",
            )?;
            let rules = dir.join("alerts.rules.yml");
            std::fs::write(&rules, flightdeck_sim::metrics::ALERT_RULES)?;
            let prom_config = dir.join("prometheus.yml");
            let alertmanager = format!("http://127.0.0.1:{am_port}");
            std::fs::write(
                &prom_config,
                flightdeck_sim::metrics::prometheus_config(
                    &sim.endpoints().metrics,
                    &rules,
                    Some(&alertmanager),
                    "1s",
                ),
            )?;
            let quiet = || std::process::Stdio::null();
            let am_child = tokio::process::Command::new(am)
                .arg(format!("--config.file={}", am_config.display()))
                .arg(format!("--storage.path={}", dir.join("am-data").display()))
                .arg(format!("--web.listen-address=127.0.0.1:{am_port}"))
                .arg("--cluster.listen-address=")
                .stdin(quiet())
                .stdout(quiet())
                .stderr(quiet())
                // Their own process group: the terminal's hangup, ctrl-c or ctrl-z are meant for
                // the cockpit, which stops them itself when it goes (kill on drop).
                .process_group(0)
                .kill_on_drop(true)
                .spawn()?;
            let prom_child = tokio::process::Command::new(prom)
                .arg(format!("--config.file={}", prom_config.display()))
                .arg(format!(
                    "--storage.tsdb.path={}",
                    dir.join("prom-data").display()
                ))
                .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
                .stdin(quiet())
                .stdout(quiet())
                .stderr(quiet())
                .process_group(0)
                .kill_on_drop(true)
                .spawn()?;
            let prometheus = format!("http://127.0.0.1:{prom_port}");
            // The cockpit starts polling at once: a pair still starting would show as "connection
            // refused" for a retry interval. Both answer `/-/ready` within a second or two; past
            // the deadline the demo goes on and the sources say what they see.
            ready(&[&prometheus, &alertmanager], READY_WITHIN).await;
            // The cockpit config the sim wrote learns the pair too.
            let config = sim.flightdeck_config();
            let mut text = std::fs::read_to_string(&config)?;
            text.push_str(&format!(
                "\n[[prometheus]]\nname = \"sim\"\nurl = \"{prometheus}\"\nscrape_interval_secs = 1\n\n[[alertmanager]]\nname = \"prometheus\"\nurl = \"{alertmanager}\"\n"
            ));
            std::fs::write(&config, text)?;
            Ok(Some(Monitoring {
                prometheus,
                alertmanager,
                _children: [prom_child, am_child],
            }))
        }
    }
}
