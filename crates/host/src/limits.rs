//! A user's limits as the host enforces them: the effective [`Limits`] (which admins can
//! change at any time) and the meter of the workspace's storage.

use arranger_domain::{Limits, QuotaExceeded, QuotaKind, QuotaScope};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// A user's effective limits, following every change an admin makes.
#[derive(Clone, Debug)]
pub struct UserLimits(watch::Receiver<Arc<Limits>>);

impl UserLimits {
    /// Limits that follow `rx`.
    pub fn new(rx: watch::Receiver<Arc<Limits>>) -> Self {
        UserLimits(rx)
    }

    /// Limits that never change (a single-user server, tests).
    pub fn fixed(limits: Limits) -> Self {
        let (_tx, rx) = watch::channel(Arc::new(limits));
        UserLimits(rx)
    }

    /// No limits at all.
    pub fn unlimited() -> Self {
        Self::fixed(Limits::default())
    }

    /// The limits now.
    pub fn get(&self) -> Arc<Limits> {
        self.0.borrow().clone()
    }
}

/// How long a measurement of the workspace stays good while something other than the
/// host's own file calls may be writing (a terminal is open).
const STALE_AFTER: Duration = Duration::from_secs(2);

#[derive(Default)]
struct Meter {
    bytes: Option<u64>,
    at: Option<Instant>,
    stale: bool,
}

/// The bytes a workspace holds, measured by walking it and kept current by the host's
/// own writes; processes (commands, terminals) mark it stale, so the next check walks
/// again.
#[derive(Default)]
pub struct StorageMeter {
    meter: Mutex<Meter>,
}

impl StorageMeter {
    /// The bytes under `root` (files' lengths; symbolic links are not followed). Blocks:
    /// walks the workspace when the last measurement is stale, or older than
    /// [`STALE_AFTER`] when `busy` (something may be writing behind the host's back).
    pub fn used(&self, root: &Path, busy: bool) -> u64 {
        let mut m = self.meter.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = !m.stale && m.at.is_some_and(|at| !busy || at.elapsed() < STALE_AFTER);
        match m.bytes {
            Some(b) if fresh => b,
            _ => {
                let b = measure(root);
                *m = Meter {
                    bytes: Some(b),
                    at: Some(Instant::now()),
                    stale: false,
                };
                b
            }
        }
    }

    /// Whether a measurement is kept (then host writes adjust it).
    pub fn is_measured(&self) -> bool {
        self.meter
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .bytes
            .is_some()
    }

    /// A host write changed the workspace by `delta` bytes.
    pub fn adjust(&self, delta: i64) {
        let mut m = self.meter.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = m.bytes {
            m.bytes = Some(b.saturating_add_signed(delta));
        }
    }

    /// Something outside the host's file calls may have written: measure again next time.
    pub fn mark_stale(&self) {
        self.meter.lock().unwrap_or_else(|p| p.into_inner()).stale = true;
    }
}

/// Sums the lengths of the files beneath `root` without following symbolic links.
fn measure(root: &Path) -> u64 {
    let mut total = 0u64;
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                dirs.push(entry.path());
            } else {
                total = total.saturating_add(meta.len());
            }
        }
    }
    total
}

/// The storage quota's error: `used` of `max` bytes.
pub fn storage_exceeded(used: u64, max: u64) -> QuotaExceeded {
    QuotaExceeded {
        limit: QuotaKind::StorageBytes,
        scope: QuotaScope::User,
        used: used as f64,
        max: max as f64,
        resets_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_meter_measures_once_then_follows_writes_until_stale() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir(t.path().join("d")).unwrap();
        std::fs::write(t.path().join("a"), [0u8; 100]).unwrap();
        std::fs::write(t.path().join("d/b"), [0u8; 50]).unwrap();
        std::os::unix::fs::symlink("/usr", t.path().join("link")).unwrap();
        let m = StorageMeter::default();
        // A link counts as its own length (4 bytes: "/usr"), never as what it points to.
        assert_eq!(m.used(t.path(), false), 154);
        std::fs::write(t.path().join("c"), [0u8; 10]).unwrap();
        assert_eq!(m.used(t.path(), false), 154, "measured again without cause");
        m.adjust(10);
        assert_eq!(m.used(t.path(), false), 164);
        std::fs::write(t.path().join("e"), [0u8; 5]).unwrap();
        m.mark_stale();
        assert_eq!(m.used(t.path(), false), 169);
    }
}
