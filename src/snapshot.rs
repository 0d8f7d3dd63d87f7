//! Warm start on disk: the snapshot (its format is the core's `snapshot`) saved on exit and
//! every few minutes to the platform cache dir and drawn at once on the next start. Written
//! atomically (temp file + rename); a corrupt or old-format file is discarded with a log line,
//! never a crash.

use std::io::Write;
use std::path::{Path, PathBuf};

pub use flightdeck_core::snapshot::{Snapshot, VERSION};

/// The platform cache dir, where the snapshot and the delivery history are kept.
pub fn cache_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("dev", "flightdeck", "flightdeck")
        .map(|d| d.cache_dir().to_path_buf())
}

/// Where the snapshot for a config lives: one file per config, so the demo and a real setup
/// never mix.
pub fn path_for(cache_dir: &Path, config_key: &str) -> PathBuf {
    let h = config_key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    cache_dir.join(format!("snapshot-{h:016x}.json"))
}

/// Loads a snapshot; any problem is logged and treated as no snapshot.
pub fn load(path: &Path) -> Option<Snapshot> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot read the snapshot; starting cold");
            return None;
        }
    };
    match Snapshot::from_json(&bytes) {
        Ok(s) => Some(s),
        Err(why) => {
            tracing::warn!(path = %path.display(), why, "discarding the snapshot; starting cold");
            None
        }
    }
}

/// Saves atomically: a crash mid-write leaves the previous snapshot intact.
pub fn save(path: &Path, snapshot: &Snapshot) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    // Buffered: serde writes a token at a time, and a write call per token made saving a
    // 22,000-entity catalog (22 MB) take 17 s at quit.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, &mut tmp);
    serde_json::to_writer(&mut out, snapshot)?;
    out.flush()?;
    drop(out);
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use flightdeck_core::keymap::Keymap;
    use flightdeck_core::model::{FetchState, Model, SourceId, SourceKind, SourceStatus};

    fn model() -> Model {
        let mut m = Model::new(Keymap::defaults(), DateTime::<Utc>::UNIX_EPOCH);
        m.sources.push(SourceStatus::new(
            SourceId::new(SourceKind::Github, "github"),
            FetchState::Connecting,
        ));
        m
    }

    #[test]
    fn round_trip_marks_data_as_from_the_snapshot() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = path_for(dir.path(), "demo");
        let mut m = model();
        m.sources[0].fetched_at = Some(DateTime::<Utc>::UNIX_EPOCH);
        m.sources[0].state = FetchState::Ok;
        save(&path, &Snapshot::of(&m)).expect("saving works");
        let mut fresh = model();
        load(&path).expect("it loads").restore_into(&mut fresh);
        assert!(fresh.sources[0].from_snapshot);
        assert_eq!(
            fresh.sources[0].state,
            FetchState::Connecting,
            "the live state is not restored"
        );
        assert_eq!(fresh.warm_start, Some(DateTime::<Utc>::UNIX_EPOCH));
    }

    #[test]
    fn corrupt_or_old_snapshots_are_discarded() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("s.json");
        std::fs::write(&path, b"{\"version\": 1, \"saved_at\": tru").expect("write");
        assert!(load(&path).is_none());
        std::fs::write(&path, b"{\"version\": 0}").expect("write");
        assert!(load(&path).is_none());
        assert!(load(&dir.path().join("absent.json")).is_none());
    }
}
