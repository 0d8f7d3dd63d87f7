//! The demo organisation, when this build has it (the default `sim` feature): `--demo` starts
//! it in-process and points the cockpit at it; `flightdeck sim` serves it alone.

use std::path::PathBuf;

use color_eyre::Result;

use crate::cli::SimArgs;

/// A running demo organisation; dropping it stops its servers.
pub struct Demo {
    #[cfg(feature = "sim")]
    sim: flightdeck_sim::Sim,
    #[cfg(not(feature = "sim"))]
    never: std::convert::Infallible,
}

impl Demo {
    #[cfg(feature = "sim")]
    pub async fn start(args: &SimArgs) -> Result<Demo> {
        let sim = flightdeck_sim::Sim::start(args.config()).await?;
        Ok(Demo { sim })
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
        let sim = match dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .wrap_err_with(|| format!("while creating {}", dir.display()))?;
                Sim::start_in(args.config(), dir).await?
            }
            None => Sim::start(args.config()).await?,
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
        println!("  Kubernetes API    {}", e.kubernetes);
        println!("  Alertmanager v2   {}/api/v2", e.alertmanager);
        println!("  Backstage catalog {}/api/catalog", e.backstage);
        println!("  Jira REST         {}/rest/api/3", e.jira);
        println!("  PagerDuty REST    {}", e.pagerduty);
        println!("  request stats     <any of the above>/_sim/stats, faults at /_sim/faults");
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
        tokio::signal::ctrl_c()
            .await
            .map_err(|e| eyre!("waiting for Ctrl-C: {e}"))?;
        Ok(ExitCode::SUCCESS)
    }
}
