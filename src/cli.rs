//! Command-line arguments. The cockpit runs by default; `sim` and `status` are subcommands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "flightdeck",
    version,
    about = "A terminal cockpit for your services, CI pipelines, Kubernetes workloads, alerts and docs"
)]
pub struct Cli {
    /// Config file (default: $FLIGHTDECK_CONFIG, else the platform config dir's flightdeck/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Run on the built-in simulated organisation: no credentials, no network beyond 127.0.0.1.
    #[arg(long)]
    pub demo: bool,

    /// Theme: dark, light, high-contrast, mono, or a path to a theme file.
    #[arg(long, value_name = "NAME|PATH")]
    pub theme: Option<String>,

    /// Refuse every action that changes something elsewhere (re-run, silence, scale, ...).
    #[arg(long)]
    pub read_only: bool,

    /// Do not load the previous run's snapshot at start.
    #[arg(long)]
    pub no_snapshot: bool,

    #[command(flatten)]
    pub sim: SimArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    #[cfg(feature = "sim")]
    /// Run the simulated organisation standalone and print its endpoints, a kubeconfig and a
    /// flightdeck config, for kubectl, amtool, curl or a second cockpit.
    Sim {
        /// Write the sim's files here (kept) instead of a temporary directory.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Print the joined view of every service, for scripts, shell prompts and CI.
    ///
    /// Exit codes, as monitoring plugins give them:
    ///   0  healthy: every service shown is healthy and every source answered
    ///   1  warning: a service is failing or warning, or a source failed or did not
    ///      answer (stderr names it; the rest of the answer is kept)
    ///   2  critical: a service is critical
    ///   3  unknown: no config, a bad config, no source answered, or --service or
    ///      --owner matches nothing (stderr names the nearest)
    /// The JSON (--json) is described in docs/status-json.md.
    #[command(verbatim_doc_comment)]
    Status {
        /// Machine-readable output (documented in docs/status-json.md).
        #[arg(long)]
        json: bool,
        /// Only this service (name or catalog ref); one that does not exist exits 3.
        #[arg(long, value_name = "NAME")]
        service: Option<String>,
        /// Only services owned by this group (name or ref); one that owns none exits 3.
        #[arg(long, value_name = "GROUP")]
        owner: Option<String>,
        /// Only my services (owned by my groups; `[general] me`).
        #[arg(long)]
        mine: bool,
        /// Seconds to wait for each source's first answer.
        #[arg(long, default_value_t = 10, value_name = "SECS")]
        timeout: u64,
    },
    /// DORA's five delivery metrics per service from production deployments, with the
    /// previous window and the org's rollup (docs/metrics.md).
    Metrics {
        /// Machine-readable output (documented in docs/metrics.md).
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// One line per service, comma-separated, with a header.
        #[arg(long)]
        csv: bool,
        /// The window: 7d, 30d or 90d (any number of days).
        #[arg(long, default_value = "30d", value_name = "DAYS", value_parser = crate::metrics::parse_days)]
        since: i64,
        /// Only this service (name or catalog ref).
        #[arg(long, value_name = "NAME")]
        service: Option<String>,
        /// Only services owned by this group (name or ref).
        #[arg(long, value_name = "GROUP")]
        owner: Option<String>,
        /// End the window here (RFC 3339) instead of now, for a report over a fixed past.
        #[arg(long, value_name = "TIME")]
        until: Option<chrono::DateTime<chrono::Utc>>,
        /// Seconds to wait for the catalog's first answer.
        #[arg(long, default_value_t = 10, value_name = "SECS")]
        timeout: u64,
    },
    /// Create a new service from a Backstage Software Template: render its skeleton, publish
    /// the repository and register it in the catalog, step by step.
    ///
    /// Exit codes: 0 every step succeeded (or the dry run built the files); 1 a step failed
    /// (stderr says what was already created); 2 refused before anything was created.
    #[command(verbatim_doc_comment)]
    New {
        /// The template's name (or `template:namespace/name`).
        template: Option<String>,
        /// Print the templates' names, one a line.
        #[arg(long)]
        list: bool,
        /// A value of the template's form, as key=value; repeat for each.
        #[arg(long = "value", value_name = "KEY=VALUE", value_parser = crate::scaffolder::parse_value)]
        values: Vec<(String, String)>,
        /// Build and show the files and what would be created; create nothing.
        #[arg(long)]
        dry_run: bool,
        /// Create without asking.
        #[arg(long)]
        yes: bool,
        /// Go on with the last failed run from the step that failed: done steps that created
        /// something are not redone (the template and values are the failed run's).
        #[arg(long, conflicts_with_all = ["list", "values", "dry_run"])]
        resume: bool,
    },
    /// Print the shell completion script: `source <(flightdeck completions bash)`, or for zsh
    /// and fish, save it where the shell looks (docs/getting-started.md).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `flightdeck man | man -l -`.
    Man,
    /// Write a commented config file from what this git repository gives (its
    /// catalog-info.yaml, its remote, the kubeconfig's context); never a token.
    Init {
        /// Replace an existing config file.
        #[arg(long)]
        force: bool,
    },
}

/// The completion script for `shell`, from the same arguments the program parses. Built in
/// memory, so a reader that stops early (`| head`) is an error to report, not a panic.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "flightdeck", &mut out);
    out
}

/// The man page (roff), for `man -l -` or a `man1` directory.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    Ok(out)
}

/// Knobs of the simulated organisation (used by `--demo` and `sim`).
#[derive(Debug, Args, Clone)]
pub struct SimArgs {
    /// Seed of the simulated organisation: the same seed gives the same world.
    #[arg(long, default_value_t = 7, global = true)]
    pub seed: u64,
    /// Sim seconds per real second.
    #[arg(long, default_value_t = 10.0, global = true)]
    pub speed: f64,
    /// Number of services in the simulated organisation.
    #[arg(long, default_value_t = 12, global = true)]
    pub services: usize,
    /// Pods per service in the simulated organisation.
    #[arg(long, default_value_t = 3, global = true)]
    pub pods_per_service: usize,
}

#[cfg(feature = "sim")]
impl SimArgs {
    pub fn config(&self) -> flightdeck_sim::SimConfig {
        flightdeck_sim::SimConfig {
            seed: self.seed,
            speed: self.speed,
            services: self.services.max(1),
            pods_per_service: self.pods_per_service.max(1),
            second_cluster: false,
            issue_backlog: 0,
        }
    }
}
