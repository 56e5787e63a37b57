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
use vmhost_abi::{Address, StateKey};

use super::bytes::StateBytes;
use super::store::Store;
use crate::error::Result;

/// Shards of the map (a power of two).
const SHARDS: usize = 256;
/// Undo logs: one per executor thread up to this many (threads beyond share).
const UNDO_LOGS: usize = 64;

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
    /// Keys the current wave wrote (each once) with their prior values: one log per executor
    /// thread (by rayon's thread index), so threads applying side by side never wait on each
    /// other's log.
    undo: Box<[Mutex<Vec<Undo>>]>,
    /// The current wave's number (starts at 1; bumped after every commit or discard).
    wave: AtomicU64,
    store: Arc<dyn Store>,
    /// The contract storage slots the wave's transactions created (contract, guest slot): the
    /// node-local slot index's new entries ([`crate::Chain::storage_slots`]).
    created_slots: Mutex<Vec<(Address, [u8; 32])>>,
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
            // Many shards: transactions running side by side rarely meet on one shard's lock.
            map: DashMap::with_hasher_and_shard_amount(foldhash::fast::RandomState::default(), SHARDS),
            undo: (0..UNDO_LOGS).map(|_| Mutex::default()).collect(),
            wave: AtomicU64::new(1),
            store,
            created_slots: Mutex::default(),
        }
    }

    /// Records slots a committed transaction created (for the node-local slot index).
    pub fn note_created_slots(&self, slots: Vec<(Address, [u8; 32])>) {
        if !slots.is_empty() {
            self.created_slots.lock().extend(slots);
        }
    }

    /// The slots the wave created, for its commit (and forgets them).
    pub fn take_created_slots(&self) -> Vec<(Address, [u8; 32])> {
        std::mem::take(&mut *self.created_slots.lock())
    }

    /// The undo log of the calling thread.
    fn undo_log(&self) -> &Mutex<Vec<Undo>> {
        &self.undo[rayon::current_thread_index().unwrap_or(0) % UNDO_LOGS]
    }

    /// Every undo log, locked (always in the same order).
    fn all_undo(&self) -> Vec<parking_lot::MutexGuard<'_, Vec<Undo>>> {
        self.undo.iter().map(|m| m.lock()).collect()
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
            self.undo_log().lock().extend(first_writes);
        }
    }

    /// The entries this wave wrote, sorted by key (the wave's state diff).
    pub fn dirty(&self) -> BTreeMap<StateKey, Value> {
        let undo = self.all_undo();
        undo.iter()
            .flat_map(|log| log.iter())
            .filter_map(|(k, _)| self.map.get(k).map(|e| (*k, e.current.clone())))
            .collect()
    }

    /// After a successful commit: this wave's writes become the committed values. The cache is
    /// emptied when it holds more than `max_entries`, bounding memory; with `pinned` (the
    /// wave's batch is still being written, so the store does not have its values yet) the
    /// entries this wave wrote stay, and only the others go.
    pub fn mark_committed(&self, max_entries: usize, pinned: bool) {
        let mut undo = self.all_undo();
        if self.map.len() > max_entries {
            if pinned {
                let wave = self.wave.load(Ordering::Relaxed);
                self.map.retain(|_, e| e.written_in == wave);
            } else {
                self.map.clear();
            }
        }
        undo.iter_mut().for_each(|log| log.clear());
        self.wave.fetch_add(1, Ordering::Relaxed);
    }

    /// Drops uncommitted writes, keeping committed values warm: a dry run leaves no trace.
    /// Each key is in at most one log (its first write of the wave), so the logs are undone
    /// side by side on the executor pool when it has several threads.
    pub fn discard_dirty(&self) {
        use rayon::prelude::*;
        let mut undo = self.all_undo();
        let restore = |(k, prior): Undo| match prior {
            Some(v) => {
                if let Some(mut e) = self.map.get_mut(&k) {
                    e.current = v;
                    e.written_in = 0;
                }
            }
            None => {
                self.map.remove(&k);
            }
        };
        for log in undo.iter_mut() {
            if log.len() < 1024 {
                log.drain(..).for_each(restore);
            } else {
                log.par_drain(..).with_min_len(256).for_each(restore);
            }
        }
        self.created_slots.lock().clear();
        self.wave.fetch_add(1, Ordering::Relaxed);
    }

    /// After a failed commit: forget everything (the store is the truth).
    pub fn discard(&self) {
        let mut undo = self.all_undo();
        self.map.clear();
        undo.iter_mut().for_each(|log| log.clear());
        self.created_slots.lock().clear();
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
