//! Workloads: placeholder state until this domain's issue fills it.

/// What the cockpit knows about workloads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkloadsState {}

impl WorkloadsState {
    pub fn pod_summary(&self, _service: &str) -> Option<&super::join::PodSummary> {
        None
    }
}
