//! Field selectors as the API server parses them, so `--field-selector` narrows the sim's lists
//! and watches the same way; label selectors are the one parser the cockpit shares.

use flightdeck_core::wire::selector::{SelectorError, split_terms};

/// A parsed `fieldSelector`: `field=value` and `field!=value` terms, all of which must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector(Vec<(String, bool, String)>);

impl FieldSelector {
    /// Parses terms and checks each field against those `supported` for the resource, as
    /// the API server refuses a field it does not index.
    pub fn parse(s: &str, supported: &[&str]) -> Result<Self, SelectorError> {
        let mut terms = Vec::new();
        for term in split_terms(s) {
            let (field, equal, value) = if let Some((f, v)) = term.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = term.split_once("==") {
                (f, true, v)
            } else if let Some((f, v)) = term.split_once('=') {
                (f, true, v)
            } else {
                return Err(SelectorError(format!(
                    "invalid selector: '{term}'; can't understand '{term}'"
                )));
            };
            let field = field.trim();
            if !supported.contains(&field) {
                return Err(SelectorError(format!("field label not supported: {field}")));
            }
            terms.push((field.to_string(), equal, value.trim().to_string()));
        }
        Ok(Self(terms))
    }

    /// Whether the field values looked up through `get` satisfy every term. A field the
    /// object lacks compares as the empty string, as the API server does.
    pub fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.0.iter().all(|(field, equal, value)| {
            let actual = get(field).unwrap_or_default();
            (actual == *value) == *equal
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_selector_forms() {
        let get = |f: &str| match f {
            "metadata.name" => Some("p1".to_string()),
            "status.phase" => Some("Running".to_string()),
            _ => None,
        };
        let supported = ["metadata.name", "status.phase", "spec.nodeName"];
        let ok = FieldSelector::parse("metadata.name=p1,status.phase!=Pending", &supported)
            .expect("parses");
        assert!(ok.matches(get));
        let empty_node = FieldSelector::parse("spec.nodeName=", &supported).expect("parses");
        assert!(empty_node.matches(get), "a missing field compares as empty");
        let no = FieldSelector::parse("status.phase==Pending", &supported).expect("parses");
        assert!(!no.matches(get));
        assert!(FieldSelector::parse("spec.bogus=1", &supported).is_err());
    }
}
