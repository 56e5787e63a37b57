//! The wave cache: a `DashMap` shared by the transactions of a wave, over the persistent store.
//!
//! Reads fall through to the store and are cached clean; committed transactions merge their
//! writes here as dirty entries. At wave commit the dirty entries become the JMT update and the
//! RocksDB batch; a failed commit drops them, so the store (and its root) stay as they were.

use std::collections::BTreeMap;
use std::sync::Arc;

use dashmap::DashMap;
use parking_lot::Mutex;
use smallvec::SmallVec;
use vmhost_abi::StateKey;

use super::store::{Column, Store};
use crate::error::Result;

/// A value in the cache. `None` is a known-absent key (or a deletion when dirty).
pub type Value = Option<Arc<[u8]>>;

#[derive(Clone, Debug)]
struct Entry {
    /// The value as committed in the store; `None` when never read (a blind write).
    committed: Option<Value>,
    /// The value the wave sees.
    current: Value,
    /// Written by a committed transaction of this wave.
    dirty: bool,
}

/// Shared per-wave state cache.
pub struct WaveCache {
    map: DashMap<StateKey, Entry, foldhash::fast::RandomState>,
    /// Keys that turned dirty this wave (each once), so commit and discard touch only them.
    dirty_keys: Mutex<Vec<StateKey>>,
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
        Self { map: DashMap::with_hasher(foldhash::fast::RandomState::default()), dirty_keys: Mutex::default(), store }
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Reads a key: cache, then store (caching the result clean).
    pub fn get(&self, key: &StateKey) -> Result<Value> {
        if let Some(e) = self.map.get(key) {
            return Ok(e.current.clone());
        }
        let value: Value = self.store.get(Column::State, &key.0)?.map(Arc::from);
        // Another transaction may have written meanwhile: never overwrite a present entry.
        let entry =
            self.map.entry(*key).or_insert(Entry { committed: Some(value.clone()), current: value, dirty: false });
        Ok(entry.current.clone())
    }

    /// Merges a committed transaction's writes (dirty).
    pub fn apply(&self, writes: impl IntoIterator<Item = (StateKey, Value)>) {
        // Collected on the stack, then recorded under the mutex once the map's shard lock is
        // released (never hold both: `dirty()` takes them in the other order).
        let mut newly_dirty: SmallVec<[StateKey; 8]> = SmallVec::new();
        for (key, value) in writes {
            let mut entry =
                self.map.entry(key).or_insert_with(|| Entry { committed: None, current: None, dirty: false });
            if !entry.dirty {
                entry.dirty = true;
                newly_dirty.push(key);
            }
            entry.current = value;
        }
        if !newly_dirty.is_empty() {
            self.dirty_keys.lock().extend(newly_dirty);
        }
    }

    /// The dirty entries, sorted by key (the wave's state diff).
    pub fn dirty(&self) -> BTreeMap<StateKey, Value> {
        let keys = self.dirty_keys.lock();
        keys.iter().filter_map(|k| self.map.get(k).map(|e| (*k, e.current.clone()))).collect()
    }

    /// After a successful commit: dirty entries become clean. The cache is emptied when it holds
    /// more than `max_entries`, bounding memory.
    pub fn mark_committed(&self, max_entries: usize) {
        let mut keys = self.dirty_keys.lock();
        if self.map.len() > max_entries {
            self.map.clear();
            keys.clear();
            return;
        }
        for k in keys.drain(..) {
            if let Some(mut e) = self.map.get_mut(&k) {
                e.committed = Some(e.current.clone());
                e.dirty = false;
            }
        }
    }

    /// Drops uncommitted writes, keeping committed values warm: a dry run leaves no trace.
    pub fn discard_dirty(&self) {
        let mut keys = self.dirty_keys.lock();
        for k in keys.drain(..) {
            let known = match self.map.get_mut(&k) {
                Some(mut e) => match e.committed.clone() {
                    Some(v) => {
                        e.current = v;
                        e.dirty = false;
                        true
                    }
                    None => false,
                },
                None => true,
            };
            if !known {
                self.map.remove(&k);
            }
        }
    }

    /// After a failed commit: forget everything (the store is the truth).
    pub fn discard(&self) {
        let mut keys = self.dirty_keys.lock();
        self.map.clear();
        keys.clear();
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
