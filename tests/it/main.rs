//! Every integration test in one binary: each module was a test crate of its own, and linking
//! twenty binaries against kube, octocrab and axum was most of a clean run's time and disk.
//! Modules are named for what they test; `common` finds the shared fixtures.

mod alertmanager_real;
mod catalog;
mod common;
mod config;
mod docs;
mod e2e_delivery;
mod e2e_exec;
mod e2e_process;
mod e2e_tmux;
mod faults;
mod fuzz;
mod hardening;
mod keys;
mod metrics;
mod no_terminal;
mod onboarding;
mod pipelines;
mod prometheus_real;
mod props;
mod pulls;
mod sanitize;
mod scaffold;
mod shell_integration;
mod sim_alertmanager;
mod sim_backstage;
mod sim_clock;
mod sim_contexts;
mod sim_github;
mod sim_github_pulls;
mod sim_gitlab;
mod sim_kubernetes;
mod status;
mod trail;
mod ui_alerts;
mod ui_delivery;
mod ui_docs;
mod ui_overview;
mod ui_pipelines;
mod ui_shell;
mod ui_signals;
mod ui_workloads;
mod work;
mod workloads;
mod zero_config;
