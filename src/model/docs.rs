//! Docs: placeholder state until this domain's issue fills it.

/// What the cockpit knows about docs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocsState {}

impl DocsState {
    pub fn has_docs(&self, _service: &str) -> bool {
        false
    }
}
