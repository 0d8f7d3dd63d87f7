//! flightdeck: a terminal cockpit that joins a team's services, CI pipelines, Kubernetes
//! workloads, alerts and docs on one keyboard-driven screen. `docs/ARCHITECTURE.md` maps the
//! code.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod external;
pub mod logfile;
pub mod memory;
pub mod metrics;
pub mod providers;
pub mod scaffolder;
pub mod snapshot;
pub mod startup;
pub mod status;
pub mod terminal;
pub mod ui;
pub mod zero_config;
