//! Builds the first model from the config: which sources exist, the keymap, read-only mode.
//! Pure, so tests and benchmarks build the same model the binary starts with.

use chrono::{DateTime, Utc};

use crate::config::Config;
use flightdeck_core::keymap::Keymap;
use flightdeck_core::model::{FetchState, FirstRun, Model, SourceId, SourceKind, SourceStatus};

/// Every source the config names, in status-bar order.
pub fn sources(config: &Config) -> Vec<SourceId> {
    let mut ids = Vec::new();
    if !config.catalog.paths.is_empty()
        || config.catalog.backstage.is_some()
        || !config.services.is_empty()
    {
        ids.push(SourceId::new(SourceKind::Catalog, "catalog"));
    }
    // The Backstage API is a source of its own: it fails and recovers apart from the files.
    if config.catalog.backstage.is_some() {
        ids.push(SourceId::new(SourceKind::Catalog, "backstage"));
    }
    if let Some(g) = &config.github {
        ids.push(SourceId::new(SourceKind::Github, "github"));
        if g.issues {
            ids.push(SourceId::new(
                SourceKind::Github,
                flightdeck_core::update::work::GITHUB_ISSUES,
            ));
        }
    }
    if config.gitlab.is_some() {
        ids.push(SourceId::new(SourceKind::Gitlab, "gitlab"));
    }
    if let Some(k) = &config.kubernetes {
        if k.contexts.is_empty() {
            ids.push(SourceId::new(SourceKind::Kubernetes, "kubernetes"));
        }
        for ctx in &k.contexts {
            ids.push(SourceId::new(SourceKind::Kubernetes, ctx.clone()));
        }
    }
    for am in &config.alertmanager {
        ids.push(SourceId::new(SourceKind::Alertmanager, am.name.clone()));
    }
    for p in &config.prometheus {
        ids.push(SourceId::new(SourceKind::Prometheus, p.name.clone()));
    }
    if config.jira.is_some() {
        ids.push(SourceId::new(SourceKind::Jira, "jira"));
    }
    if config.pagerduty.is_some() {
        ids.push(SourceId::new(SourceKind::Pagerduty, "pagerduty"));
    }
    ids
}

/// The model a configured cockpit starts with. Sources whose provider this build lacks say so.
pub fn model(
    config: &Config,
    keymap: Keymap,
    read_only: bool,
    now: DateTime<Utc>,
    config_path: &std::path::Path,
) -> Model {
    let mut model = Model::new(keymap, now);
    model.read_only = read_only || config.general.read_only;
    model.me = config.general.me.clone();
    model.config_path = Some(config_path.display().to_string());
    model.signals.enabled = !config.prometheus.is_empty();
    // Checked when the config loaded; the defaults stand in for a config built in code.
    model.delivery.rules = config.delivery.rules().unwrap_or_default();
    model.snapshot_every =
        chrono::Duration::seconds(config.general.snapshot_interval_secs.max(30) as i64);
    model.sources = sources(config)
        .into_iter()
        .map(|id| SourceStatus::new(id, FetchState::Unsupported))
        .collect();
    model
}

/// The model of a cockpit with no config: the first-run screen.
pub fn first_run(keymap: Keymap, config_path: &str, now: DateTime<Utc>) -> Model {
    let mut model = Model::new(keymap, now);
    model.first_run = Some(FirstRun {
        config_path: config_path.to_string(),
    });
    model
}
