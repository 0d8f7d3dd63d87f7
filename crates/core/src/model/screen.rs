//! The cockpit's screens, their order and what each needs, apart from the model that stores
//! which one is open, so the palette and the messages can name a screen without the whole model.

use super::source::SourceKind;

/// The cockpit's screens, shown as tabs in this order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Screen {
    Overview,
    Pipelines,
    Workloads,
    Alerts,
    Docs,
    Onboarding,
    Work,
    Delivery,
    Create,
}

impl Screen {
    pub const ALL: [Screen; 9] = [
        Screen::Overview,
        Screen::Pipelines,
        Screen::Workloads,
        Screen::Alerts,
        Screen::Docs,
        Screen::Onboarding,
        Screen::Work,
        Screen::Delivery,
        Screen::Create,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Screen::Overview => "Overview",
            Screen::Pipelines => "Pipelines",
            Screen::Workloads => "Workloads",
            Screen::Alerts => "Alerts",
            Screen::Docs => "Docs",
            Screen::Onboarding => "Onboarding",
            Screen::Work => "Work",
            Screen::Delivery => "Delivery",
            Screen::Create => "Create",
        }
    }

    /// What the screen needs to show anything, said when it is not configured.
    pub fn needs(self) -> &'static str {
        match self {
            Screen::Overview => {
                "a service catalog: `[catalog] paths`, `[catalog.backstage]` or `[[services]]`"
            }
            Screen::Pipelines => "a CI source: `[github]` or `[gitlab]`",
            Screen::Workloads => "a Kubernetes source: `[kubernetes]`",
            Screen::Alerts => "an Alertmanager: `[[alertmanager]]`",
            Screen::Docs => {
                "services with docs (`backstage.io/techdocs-ref`, or docs/ beside a descriptor)"
            }
            Screen::Onboarding => {
                "an onboarding path: `[onboarding]` or an onboarding.yaml the catalog names"
            }
            Screen::Work => "a ticket source: `[jira]`, `[pagerduty]` or `[github] issues = true`",
            Screen::Delivery => "services with a `github.com/project-slug` and a `[github]` source",
            Screen::Create => {
                "templates (`kind: Template`) in the catalog, and `[github]` to publish to"
            }
        }
    }

    pub fn source_kinds(self) -> &'static [SourceKind] {
        match self {
            Screen::Overview => &[SourceKind::Catalog, SourceKind::Prometheus],
            Screen::Pipelines => &[SourceKind::Github, SourceKind::Gitlab],
            Screen::Workloads => &[SourceKind::Kubernetes],
            Screen::Alerts => &[SourceKind::Alertmanager],
            Screen::Docs => &[SourceKind::Catalog],
            Screen::Onboarding => &[SourceKind::Catalog],
            Screen::Work => &[SourceKind::Jira, SourceKind::Pagerduty, SourceKind::Github],
            Screen::Delivery => &[SourceKind::Github],
            Screen::Create => &[SourceKind::Catalog],
        }
    }

    pub fn index(self) -> usize {
        Screen::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}
