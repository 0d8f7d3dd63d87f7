//! The log file: created readable by its owner only, like the snapshots. Log lines name hosts,
//! namespaces and services and, at debug levels, more; they are not for other users of the
//! machine.

use std::fs::{File, OpenOptions};
use std::path::Path;

/// Opens `path` to append, creating it (and its directory) with mode 0600; a file left with a
/// wider mode by an older version is narrowed to 0600.
pub fn open(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
}
