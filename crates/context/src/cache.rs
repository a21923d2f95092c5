//! The process-wide, content-addressed parse cache.

use crate::Parsed;
use arranger_domain::Lang;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// SHA-256 of a file's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ContentHash(pub [u8; 32]);

/// The SHA-256 of `text`.
pub fn hash(text: &[u8]) -> ContentHash {
    ContentHash(Sha256::digest(text).into())
}

/// Counters of a [`ParseCache`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Entries in the map (live or not yet pruned).
    pub entries: usize,
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that parsed.
    pub misses: u64,
}

/// The map never shrinks below this before a prune is considered.
const PRUNE_FLOOR: usize = 1024;

#[derive(Default)]
struct Entries {
    map: HashMap<(ContentHash, Option<Lang>), Weak<Parsed>>,
    /// Prune dead entries once the map grows past this.
    prune_at: usize,
}

/// Parses each distinct (content, language) once for the whole process.
///
/// Entries are weak: a parse lives as long as some index holds its `Arc`, and is parsed
/// again if asked for after every holder dropped it. Dead entries are pruned when the map
/// has doubled since the last prune. Parsing happens outside the lock; two threads racing
/// on the same new content may both parse it, and the first one stored wins.
#[derive(Default)]
pub struct ParseCache {
    entries: Mutex<Entries>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl ParseCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The parse of `text` as `lang`, from the cache or parsed now, with the text's hash.
    pub fn get_or_parse(&self, lang: Option<Lang>, text: &str) -> (ContentHash, Arc<Parsed>) {
        let h = hash(text.as_bytes());
        let key = (h, lang);
        if let Some(parsed) = self.lock().map.get(&key).and_then(Weak::upgrade) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return (h, parsed);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let fresh = Arc::new(crate::parse::parse(lang, text));
        let mut entries = self.lock();
        if let Some(parsed) = entries.map.get(&key).and_then(Weak::upgrade) {
            return (h, parsed);
        }
        entries.map.insert(key, Arc::downgrade(&fresh));
        if entries.map.len() > entries.prune_at.max(PRUNE_FLOOR) {
            entries.map.retain(|_, weak| weak.strong_count() > 0);
            entries.prune_at = entries.map.len() * 2;
        }
        (h, fresh)
    }

    /// Entry count, hits and misses so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            entries: self.lock().map.len(),
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    /// Drops the entries whose parse nobody holds any more; returns how many are left.
    pub fn prune(&self) -> usize {
        let mut entries = self.lock();
        entries.map.retain(|_, weak| weak.strong_count() > 0);
        entries.prune_at = entries.map.len() * 2;
        entries.map.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // The map stays consistent even if a holder panicked: every operation is one call.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn same_content_is_parsed_once() {
        assert_send_sync::<ParseCache>();
        let cache = ParseCache::default();
        let text = "fn a() {}\n";
        let (h1, p1) = cache.get_or_parse(Some(Lang::Rust), text);
        let (h2, p2) = cache.get_or_parse(Some(Lang::Rust), text);
        assert_eq!(h1, h2);
        assert_eq!(h1, hash(text.as_bytes()));
        assert!(Arc::ptr_eq(&p1, &p2));
        let stats = cache.stats();
        assert_eq!((stats.entries, stats.hits, stats.misses), (1, 1, 1));
        assert_eq!(p1.defs[0].name, "a");
    }

    #[test]
    fn languages_are_separate() {
        let cache = ParseCache::new();
        let text = "def a():\n    pass\n";
        let (_, py) = cache.get_or_parse(Some(Lang::Python), text);
        let (_, plain) = cache.get_or_parse(None, text);
        assert!(!Arc::ptr_eq(&py, &plain));
        assert_eq!(py.defs.len(), 1);
        assert!(plain.defs.is_empty());
        assert_eq!(cache.stats().misses, 2);
    }

    #[test]
    fn entry_is_freed_when_unused() {
        let cache = ParseCache::new();
        let (_, p) = cache.get_or_parse(Some(Lang::Rust), "struct A;\n");
        let weak = Arc::downgrade(&p);
        drop(p);
        assert!(weak.upgrade().is_none());
        let (_, again) = cache.get_or_parse(Some(Lang::Rust), "struct A;\n");
        assert_eq!(cache.stats().misses, 2);
        assert_eq!(cache.stats().hits, 0);
        drop(again);
        assert_eq!(cache.prune(), 0);
    }

    #[test]
    fn prunes_dead_entries_as_it_grows() {
        let cache = ParseCache::new();
        for i in 0..(PRUNE_FLOOR * 3) {
            let _ = cache.get_or_parse(None, &format!("line {i}\n"));
        }
        assert!(cache.stats().entries <= PRUNE_FLOOR + 1);
    }
}
