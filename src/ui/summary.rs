//! How each source's summary of a service reads: its mark, text and role. The Overview's rows
//! and the Service page show the same cells, so they read them from here and neither screen
//! imports the other's helpers.

use ratatui::style::Style;

use super::theme::{Role, Theme};
use flightdeck_core::model::join::{AlertSummary, CiSummary, DeploySummary, PodSummary, RunState};
use flightdeck_core::model::overview::{Cell, Health, Why};
use flightdeck_core::model::time::age;
use flightdeck_core::model::{FetchState, Model, SourceId};

pub(super) fn health_role(h: Health) -> Role {
    match h {
        Health::Critical | Health::Failing => Role::Critical,
        Health::Warning => Role::Warning,
        Health::Healthy => Role::Ok,
        Health::Unknown => Role::Muted,
    }
}

pub(super) fn health_mark(h: Health) -> &'static str {
    match h {
        // Distinct from every other mark without colour (NO_COLOR, mono), and from "●" running.
        Health::Critical => "!",
        Health::Failing => "✗",
        Health::Warning => "▲",
        Health::Healthy => "✓",
        Health::Unknown => "·",
    }
}

fn run_mark(state: RunState) -> (&'static str, Role) {
    match state {
        RunState::Success => ("✓", Role::Ok),
        RunState::Failure => ("✗", Role::Critical),
        RunState::Running => ("●", Role::Running),
        RunState::Queued => ("◌", Role::Muted),
        RunState::Cancelled => ("⊘", Role::Muted),
        RunState::Skipped => ("-", Role::Muted),
        RunState::Other => ("?", Role::Warning),
    }
}

/// Whether data from `source` (or, without one, from any source of the cell's kind) is stale:
/// the source fails or has not refreshed in time. The cell keeps its value, dimmed.
fn stale(
    model: &Model,
    source: Option<&SourceId>,
    kind: flightdeck_core::model::SourceKind,
) -> bool {
    model
        .sources
        .iter()
        .filter(|s| match source {
            Some(id) => &s.id == id,
            None => s.id.kind == kind,
        })
        .any(|s| s.is_stale(model.now) || matches!(s.state, FetchState::Failing { .. }))
}

fn why_span(why: &Why, theme: &Theme) -> (String, Style) {
    let role = match why {
        Why::Failing(_) => Role::Critical,
        Why::Loading => Role::Muted,
        _ => Role::Muted,
    };
    (why.short().to_string(), theme.style(role))
}

pub(super) fn ci_text(
    model: &Model,
    cell: &Cell<Box<CiSummary>>,
    theme: &Theme,
) -> (String, Style) {
    match cell {
        Cell::Value { value, source } => {
            let (mark, role) = run_mark(value.state);
            let role = if stale(
                model,
                source.as_ref(),
                flightdeck_core::model::SourceKind::Github,
            ) {
                Role::Stale
            } else {
                role
            };
            (
                format!("{mark} {}", age(model.now, value.at)),
                theme.style(role),
            )
        }
        Cell::Empty(why) => why_span(why, theme),
    }
}

pub(super) fn deploy_text(
    model: &Model,
    cell: &Cell<Box<DeploySummary>>,
    theme: &Theme,
) -> (String, Style) {
    match cell {
        Cell::Value { value, source } => {
            let (mark, role) = run_mark(value.state);
            let role = match value.state {
                RunState::Success => Role::Text,
                _ => role,
            };
            let role = if stale(
                model,
                source.as_ref(),
                flightdeck_core::model::SourceKind::Github,
            ) {
                Role::Stale
            } else {
                role
            };
            let version: String = value.version.chars().take(7).collect();
            let mark = if value.state == RunState::Success {
                ""
            } else {
                mark
            };
            let text = format!(
                "{mark}{}{version} {}",
                if mark.is_empty() { "" } else { " " },
                age(model.now, value.since)
            );
            (text, theme.style(role))
        }
        Cell::Empty(why) => why_span(why, theme),
    }
}

pub(super) fn pods_text(
    model: &Model,
    cell: &Cell<Box<PodSummary>>,
    theme: &Theme,
) -> (String, Style) {
    match cell {
        Cell::Value { value, .. } => {
            let mut text = format!("{}/{}", value.ready, value.total);
            if value.restarts_last_hour > 0 {
                text.push_str(&format!(" ↻{}", value.restarts_last_hour));
            }
            let role = if value.worst.as_deref() == Some("CrashLoopBackOff")
                || (value.total > 0 && value.ready == 0)
            {
                Role::Critical
            } else if value.ready < value.total || value.restarts_last_hour > 0 {
                Role::Warning
            } else {
                Role::Ok
            };
            let role = if stale(model, None, flightdeck_core::model::SourceKind::Kubernetes) {
                Role::Stale
            } else {
                role
            };
            (text, theme.style(role))
        }
        Cell::Empty(why) => why_span(why, theme),
    }
}

pub(super) fn alerts_text(
    model: &Model,
    cell: &Cell<AlertSummary>,
    theme: &Theme,
) -> (String, Style) {
    match cell {
        Cell::Value { value, .. } => {
            let stale = stale(
                model,
                None,
                flightdeck_core::model::SourceKind::Alertmanager,
            );
            let (text, role) = if value.total() == 0 {
                ("0".to_string(), Role::Muted)
            } else {
                let mut parts = Vec::new();
                if value.critical > 0 {
                    parts.push(format!("{}c", value.critical));
                }
                if value.warning > 0 {
                    parts.push(format!("{}w", value.warning));
                }
                if value.other > 0 {
                    parts.push(format!("{}i", value.other));
                }
                let role = if value.critical > 0 {
                    Role::Critical
                } else if value.warning > 0 {
                    Role::Warning
                } else {
                    Role::Info
                };
                (parts.join(" "), role)
            };
            (text, theme.style(if stale { Role::Stale } else { role }))
        }
        Cell::Empty(why) => why_span(why, theme),
    }
}

pub(super) fn docs_text(cell: &Cell<bool>, theme: &Theme) -> (String, Style) {
    match cell {
        Cell::Value { .. } => ("✓".to_string(), theme.style(Role::Ok)),
        Cell::Empty(why) => why_span(why, theme),
    }
}
