//! Locking that survives a panic elsewhere. A task that panicked while holding a lock leaves
//! data that is still whole for our uses (caches, counters, overlays), so every holder takes the
//! guard back instead of spreading the panic.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, recovering the guard if another holder panicked.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
