//! Alerts: placeholder state until this domain's issue fills it.

/// What the cockpit knows about alerts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertsState {}

impl AlertsState {
    pub fn alert_summary(&self, _service: &str) -> super::join::AlertSummary {
        super::join::AlertSummary::default()
    }
}
