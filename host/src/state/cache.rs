//! The wave cache: a `DashMap` shared by the transactions of a wave, over the persistent store.
//!
//! Reads fall through to the store and are cached clean; committed transactions merge their
//! writes here as dirty entries. At wave commit the dirty entries become the JMT update and the
//! RocksDB batch; a failed commit drops them, so the store (and its root) stay as they were.

use std::collections::BTreeMap;
use std::sync::Arc;

use dashmap::DashMap;
use vmhost_abi::StateKey;

use super::store::{Column, Store};
use crate::error::Result;

/// A value in the cache. `None` is a known-absent key (or a deletion when dirty).
pub type Value = Option<Arc<[u8]>>;

#[derive(Clone, Debug)]
struct Entry {
    value: Value,
    dirty: bool,
}

/// Shared per-wave state cache.
pub struct WaveCache {
    map: DashMap<StateKey, Entry>,
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for WaveCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaveCache").field("entries", &self.map.len()).finish()
    }
}

impl WaveCache {
    /// An empty cache over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { map: DashMap::new(), store }
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Reads a key: cache, then store (caching the result clean).
    pub fn get(&self, key: &StateKey) -> Result<Value> {
        if let Some(e) = self.map.get(key) {
            return Ok(e.value.clone());
        }
        let value: Value = self.store.get(Column::State, &key.0)?.map(Arc::from);
        // Another transaction may have written meanwhile: never overwrite a present entry.
        let entry = self.map.entry(*key).or_insert(Entry { value, dirty: false });
        Ok(entry.value.clone())
    }

    /// Merges a committed transaction's writes (dirty).
    pub fn apply(&self, writes: impl IntoIterator<Item = (StateKey, Value)>) {
        for (key, value) in writes {
            self.map.insert(key, Entry { value, dirty: true });
        }
    }

    /// The dirty entries, sorted by key (the wave's state diff).
    pub fn dirty(&self) -> BTreeMap<StateKey, Value> {
        self.map.iter().filter(|e| e.value().dirty).map(|e| (*e.key(), e.value().value.clone())).collect()
    }

    /// After a successful commit: dirty entries become clean. The cache is emptied when it holds
    /// more than `max_entries`, bounding memory.
    pub fn mark_committed(&self, max_entries: usize) {
        if self.map.len() > max_entries {
            self.map.clear();
            return;
        }
        for mut e in self.map.iter_mut() {
            e.value_mut().dirty = false;
        }
    }

    /// Drops uncommitted writes, keeping clean (read) entries warm: a dry run leaves no trace.
    pub fn discard_dirty(&self) {
        self.map.retain(|_, e| !e.dirty);
    }

    /// After a failed commit: forget everything (the store is the truth).
    pub fn discard(&self) {
        self.map.clear();
    }

    /// Number of cached entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
