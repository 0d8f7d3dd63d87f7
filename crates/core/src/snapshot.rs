//! Warm start's format: the remote data of the model that survives a restart, and how it goes
//! back into a fresh model, marked with its age, while the sources reconnect. Versioned, and
//! free of secrets: only data the sources returned and the cockpit shows. Reading and writing
//! the file is the app's (`snapshot.rs` there).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::catalog::Origin;
use crate::model::{Model, SourceStatus};

/// Every string of a JSON value through [`crate::sanitize::text`]: the widest of the modes
/// (it keeps line breaks, which multi-line fields hold), and the identity on text any mode
/// already made clean.
fn resanitize(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            let clean = crate::sanitize::text(s);
            if clean != *s {
                *s = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(resanitize),
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (k, mut v) in entries {
                resanitize(&mut v);
                map.insert(crate::sanitize::text(&k), v);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Bumped whenever the saved shape changes; other versions are discarded.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u32,
    pub saved_at: DateTime<Utc>,
    pub sources: Vec<SourceStatus>,
    /// Alerts and silences as each Alertmanager last sent them (never its status config).
    #[serde(default)]
    pub alerts: std::collections::BTreeMap<
        String,
        crate::model::Fetched<crate::model::alerts::InstanceData>,
    >,
    /// The catalog as each origin last sent it (entities and descriptor problems).
    #[serde(default)]
    pub catalog:
        std::collections::BTreeMap<crate::model::catalog::Origin, crate::model::catalog::Batch>,
}

/// Descriptor files are read again in well under a second; past this many entities, saving
/// them (at quit, on the loop) and reading them back (at start, every string sanitised again)
/// costs more than reading the files, so a large catalog from files is not saved.
pub const SAVED_FILE_ENTITIES: usize = 2_000;

impl Snapshot {
    /// Reads a snapshot file's bytes: `Err` says why it is discarded (another format, corrupt).
    /// The file is outside data like any answer: every string in it (keys included) passes the
    /// sanitiser again, so a hand-edited file cannot bring a control or a bidi override back.
    /// Text that was sanitised when decoded comes out unchanged.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct Versioned {
            version: u32,
        }
        let mut value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| format!("corrupt: line {}", e.line()))?;
        match Versioned::deserialize(&value) {
            Ok(v) if v.version == VERSION => {}
            Ok(v) => return Err(format!("format {} is not {VERSION}", v.version)),
            Err(_) => return Err("corrupt: no version".into()),
        }
        resanitize(&mut value);
        Self::deserialize(value).map_err(|_| "corrupt: not a snapshot's shape".into())
    }

    /// What of `model` survives a restart.
    pub fn of(model: &Model) -> Self {
        Self {
            version: VERSION,
            saved_at: model.now,
            sources: model.sources.clone(),
            alerts: crate::model::alerts::saved(&model.alerts),
            catalog: model
                .catalog
                .batches
                .iter()
                .filter(|(origin, batch)| {
                    **origin != Origin::Files || batch.entities.len() <= SAVED_FILE_ENTITIES
                })
                .map(|(origin, batch)| (*origin, batch.clone()))
                .collect(),
        }
    }

    /// Puts the saved data into a freshly built model: only for sources still configured, and
    /// marked as coming from the snapshot so the status bar says it is stale.
    pub fn restore_into(self, model: &mut Model) {
        let mut restored = false;
        for saved in self.sources {
            if let Some(source) = model.source_mut(&saved.id)
                && saved.fetched_at.is_some()
            {
                source.fetched_at = saved.fetched_at;
                source.from_snapshot = true;
                restored = true;
            }
        }
        // Alerts go back for the Alertmanagers still configured, before anything that joins
        // on them; the provider's first poll replaces them.
        for (name, data) in self.alerts {
            let id =
                crate::model::SourceId::new(crate::model::SourceKind::Alertmanager, name.clone());
            if model.source_mut(&id).is_some() {
                crate::update::alerts::restore(model, name, data);
                restored = true;
            }
        }
        // The catalog goes back only while a catalog source is configured, and last: the
        // join reads every other domain's restored data.
        if !self.catalog.is_empty()
            && model
                .sources
                .iter()
                .any(|s| s.id.kind == crate::model::SourceKind::Catalog)
        {
            model.catalog.batches = self.catalog;
            model.catalog.rebuild(model.me.as_deref());
            crate::update::overview::rejoin(model);
            restored = true;
        }
        if restored {
            model.warm_start = Some(self.saved_at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keymap::Keymap;
    use crate::model::catalog::{Batch, Kind, Spec, test_entity};

    fn files_batch(n: usize) -> Batch {
        let entities = (0..n)
            .map(|i| test_entity(Kind::Component, &format!("s{i}"), Spec::default()))
            .map(std::sync::Arc::new)
            .collect();
        Batch {
            entities,
            problems: vec![],
            fetched_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_large_catalog_from_files_is_read_again_rather_than_saved() {
        let mut m = Model::new(Keymap::defaults(), DateTime::<Utc>::UNIX_EPOCH);
        m.catalog.batches.insert(Origin::Files, files_batch(3));
        assert_eq!(Snapshot::of(&m).catalog.len(), 1, "a small one is saved");
        m.catalog
            .batches
            .insert(Origin::Files, files_batch(SAVED_FILE_ENTITIES + 1));
        m.catalog
            .batches
            .insert(Origin::Backstage, files_batch(SAVED_FILE_ENTITIES + 1));
        let saved = Snapshot::of(&m).catalog;
        assert_eq!(
            saved.keys().collect::<Vec<_>>(),
            [&Origin::Backstage],
            "the API's catalog is slow to read again; the files' are not"
        );
    }
}
