//! Per-transaction overlays (seed §3.5b).
//!
//! A transaction executes against an [`OverlayStack`]: frame 0 is the transaction's overlay,
//! every nested call pushes a frame. Reads check frames top-down, then the wave cache, then the
//! store. Writes and events go into the top frame only. A nested call that succeeds merges its
//! frame into its parent ([`OverlayStack::commit_top`]); one that fails is dropped
//! ([`OverlayStack::discard_top`]) — state *and* events. Failed writes never reach shared
//! state, so there is no undo log.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use vmhost_abi::{Address, Event, StateKey};

use super::bytes::StateBytes;
use super::cache::{Value, WaveCache};
use crate::error::{Error, Result};

/// One overlay frame.
#[derive(Debug, Default, Clone)]
pub struct Overlay {
    writes: BTreeMap<StateKey, Value>,
    events: Vec<Event>,
    /// Storage slots this frame created (contract, guest slot), for the node-local slot index.
    created: Vec<(Address, [u8; 32])>,
}

impl Overlay {
    /// Writes buffered in this frame.
    pub fn writes(&self) -> &BTreeMap<StateKey, Value> {
        &self.writes
    }
    /// Events buffered in this frame.
    pub fn events(&self) -> &[Event] {
        &self.events
    }
}

/// A stack of overlays over the wave cache.
#[derive(Debug)]
pub struct OverlayStack<'c> {
    frames: Vec<Overlay>,
    cache: &'c WaveCache,
    /// Every key read, when recording ([`OverlayStack::record_reads`]); boxed so the stack
    /// every transaction moves around stays small.
    reads: Option<Box<RefCell<BTreeSet<StateKey>>>>,
}

impl<'c> OverlayStack<'c> {
    /// A stack with one (transaction) frame over `cache`.
    pub fn new(cache: &'c WaveCache) -> Self {
        Self { frames: vec![Overlay::default()], cache, reads: None }
    }

    /// Starts recording every key read (for tests and tools that check access lists).
    pub fn record_reads(&mut self) {
        self.reads = Some(Box::default());
    }

    /// Every key read (while recording) or written in any open frame.
    pub fn touched(&self) -> BTreeSet<StateKey> {
        let mut keys: BTreeSet<StateKey> = self.reads.as_ref().map(|r| r.borrow().clone()).unwrap_or_default();
        for frame in &self.frames {
            keys.extend(frame.writes.keys().copied());
        }
        keys
    }

    /// The wave cache underneath.
    pub fn cache(&self) -> &'c WaveCache {
        self.cache
    }

    /// Number of frames (1 = only the transaction frame).
    pub fn depth(&self) -> usize {
        self.frames.len()
    }

    /// Reads a key through the frames, then the cache and store.
    pub fn get(&self, key: &StateKey) -> Result<Value> {
        if let Some(reads) = &self.reads {
            reads.borrow_mut().insert(*key);
        }
        match self.written(key) {
            Some(v) => Ok(v),
            None => self.cache.get(key),
        }
    }

    /// The value this transaction wrote for `key` (in any open frame), without reading the
    /// cache: `None` when the transaction has not written it.
    pub fn written(&self, key: &StateKey) -> Option<Value> {
        self.frames.iter().rev().find_map(|frame| frame.writes.get(key).cloned())
    }

    /// Writes a value into the top frame.
    pub fn put(&mut self, key: StateKey, value: impl Into<StateBytes>) {
        self.top().writes.insert(key, Some(value.into()));
    }

    /// Deletes a key in the top frame.
    pub fn delete(&mut self, key: StateKey) {
        self.top().writes.insert(key, None);
    }

    /// Notes that the top frame created `contract`'s storage slot `slot` (it was empty).
    pub fn note_created_slot(&mut self, contract: Address, slot: [u8; 32]) {
        self.top().created.push((contract, slot));
    }

    /// The slots the transaction created (only the transaction frame may be open), leaving
    /// none noted.
    pub fn take_created_slots(&mut self) -> Vec<(Address, [u8; 32])> {
        self.frames.iter_mut().flat_map(|f| std::mem::take(&mut f.created)).collect()
    }

    /// Appends an event to the top frame.
    pub fn emit(&mut self, event: Event) {
        self.top().events.push(event);
    }

    /// Events visible in all frames (oldest first).
    pub fn event_count(&self) -> usize {
        self.frames.iter().map(|f| f.events.len()).sum()
    }

    /// Opens a nested frame (a cross call).
    pub fn push(&mut self) {
        self.frames.push(Overlay::default());
    }

    /// Merges the top frame into its parent (the nested call succeeded).
    pub fn commit_top(&mut self) -> Result<()> {
        if self.frames.len() < 2 {
            return Err(Error::Internal("commit_top on the transaction frame".into()));
        }
        let Some(top) = self.frames.pop() else {
            return Err(Error::Internal("empty overlay stack".into()));
        };
        let parent = self.top();
        parent.writes.extend(top.writes);
        parent.events.extend(top.events);
        parent.created.extend(top.created);
        Ok(())
    }

    /// Drops the top frame (the nested call failed): its writes and events are gone.
    pub fn discard_top(&mut self) -> Result<()> {
        if self.frames.len() < 2 {
            return Err(Error::Internal("discard_top on the transaction frame".into()));
        }
        self.frames.pop();
        Ok(())
    }

    /// Drops everything the transaction did (it failed), keeping one empty frame.
    pub fn discard_all(&mut self) {
        self.frames.clear();
        self.frames.push(Overlay::default());
    }

    /// Consumes the stack: the transaction's writes (sorted) and events, ready to merge into the
    /// wave cache. Fails if nested frames are still open (a host bug).
    pub fn into_changes(mut self) -> Result<(BTreeMap<StateKey, Value>, Vec<Event>)> {
        if self.frames.len() != 1 {
            return Err(Error::Internal(format!("{} overlay frames left open", self.frames.len())));
        }
        let tx = self.frames.pop().unwrap_or_default();
        Ok((tx.writes, tx.events))
    }

    fn top(&mut self) -> &mut Overlay {
        if self.frames.is_empty() {
            self.frames.push(Overlay::default());
        }
        let last = self.frames.len() - 1;
        &mut self.frames[last]
    }
}
