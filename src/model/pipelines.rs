//! Pipelines: placeholder state until this domain's issue fills it.

/// What the cockpit knows about pipelines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PipelinesState {}

impl PipelinesState {
    /// The latest default-branch CI run of `service` (a catalog ref).
    pub fn ci_summary(&self, _service: &str) -> Option<&super::join::CiSummary> {
        None
    }

    /// What runs in production (else the newest environment) for `service`.
    pub fn deploy_summary(&self, _service: &str) -> Option<&super::join::DeploySummary> {
        None
    }

    /// Deploys and runs of `service`, newest first.
    pub fn changes(&self, _service: &str) -> &[super::join::Change] {
        &[]
    }
}
