//! The wave cache: a `DashMap` shared by the transactions of a wave, over the persistent store.
//!
//! Reads fall through to the store and are cached clean; committed transactions merge their
//! writes here as dirty entries. At wave commit the dirty entries become the JMT update and the
//! RocksDB batch; a failed commit drops them, so the store (and its root) stay as they were.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use dashmap::DashMap;
use parking_lot::Mutex;
use smallvec::SmallVec;
use vmhost_abi::StateKey;

use super::bytes::StateBytes;
use super::store::Store;
use crate::error::Result;

/// A value in the cache. `None` is a known-absent key (or a deletion when dirty).
pub type Value = Option<StateBytes>;

#[derive(Clone, Debug)]
struct Entry {
    /// The value the wave sees.
    current: Value,
    /// The wave (see [`WaveCache::wave`]) that last wrote this entry; 0 = read only.
    written_in: u64,
}

/// What a key held before the wave first wrote it: `None` when the cache had no entry (a blind
/// write, forgotten on discard).
type Undo = (StateKey, Option<Value>);

/// Shared per-wave state cache.
///
/// Committing or discarding a wave touches no map entry: each entry records the wave that last
/// wrote it, and the first write of a key in a wave moves its previous value into an undo log.
/// Commit bumps the wave number and drops the log; a discard (dry run, failed commit) puts the
/// logged values back.
pub struct WaveCache {
    map: DashMap<StateKey, Entry, foldhash::fast::RandomState>,
    /// Keys the current wave wrote (each once, in first-write order) with their prior values.
    undo: Mutex<Vec<Undo>>,
    /// The current wave's number (starts at 1; bumped after every commit or discard).
    wave: AtomicU64,
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
        Self {
            map: DashMap::with_hasher(foldhash::fast::RandomState::default()),
            undo: Mutex::default(),
            wave: AtomicU64::new(1),
            store,
        }
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
        let value: Value = super::commit::latest_value(&*self.store, key)?.map(StateBytes::from);
        // Another transaction may have written meanwhile: never overwrite a present entry.
        let entry = self.map.entry(*key).or_insert(Entry { current: value, written_in: 0 });
        Ok(entry.current.clone())
    }

    /// Merges a committed transaction's writes (dirty).
    pub fn apply(&self, writes: impl IntoIterator<Item = (StateKey, Value)>) {
        let wave = self.wave.load(Ordering::Relaxed);
        // Collected on the stack, then logged under the mutex once the map's shard lock is
        // released (never hold both: `dirty()` takes them in the other order).
        let mut first_writes: SmallVec<[Undo; 4]> = SmallVec::new();
        for (key, value) in writes {
            match self.map.entry(key) {
                dashmap::Entry::Occupied(mut o) => {
                    let e = o.get_mut();
                    let prior = std::mem::replace(&mut e.current, value);
                    if e.written_in != wave {
                        e.written_in = wave;
                        first_writes.push((key, Some(prior)));
                    }
                }
                dashmap::Entry::Vacant(v) => {
                    v.insert(Entry { current: value, written_in: wave });
                    first_writes.push((key, None));
                }
            }
        }
        if !first_writes.is_empty() {
            self.undo.lock().extend(first_writes);
        }
    }

    /// The entries this wave wrote, sorted by key (the wave's state diff).
    pub fn dirty(&self) -> BTreeMap<StateKey, Value> {
        let undo = self.undo.lock();
        undo.iter().filter_map(|(k, _)| self.map.get(k).map(|e| (*k, e.current.clone()))).collect()
    }

    /// After a successful commit: this wave's writes become the committed values. The cache is
    /// emptied when it holds more than `max_entries`, bounding memory.
    pub fn mark_committed(&self, max_entries: usize) {
        let mut undo = self.undo.lock();
        if self.map.len() > max_entries {
            self.map.clear();
        }
        undo.clear();
        self.wave.fetch_add(1, Ordering::Relaxed);
    }

    /// Drops uncommitted writes, keeping committed values warm: a dry run leaves no trace.
    pub fn discard_dirty(&self) {
        let mut undo = self.undo.lock();
        for (k, prior) in undo.drain(..) {
            match prior {
                Some(v) => {
                    if let Some(mut e) = self.map.get_mut(&k) {
                        e.current = v;
                        e.written_in = 0;
                    }
                }
                None => {
                    self.map.remove(&k);
                }
            }
        }
        self.wave.fetch_add(1, Ordering::Relaxed);
    }

    /// After a failed commit: forget everything (the store is the truth).
    pub fn discard(&self) {
        let mut undo = self.undo.lock();
        self.map.clear();
        undo.clear();
        self.wave.fetch_add(1, Ordering::Relaxed);
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
