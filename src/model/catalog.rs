//! Catalog: placeholder state until this domain's issue fills it.

/// What the cockpit knows about catalog.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CatalogState {}

impl CatalogState {
    /// The join keys of every service, for the providers.
    pub fn targets(&self) -> Vec<super::join::ServiceTarget> {
        Vec::new()
    }
}
