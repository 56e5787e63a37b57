//! The persistent store: column families, atomic write batches, and an in-memory store.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::RwLock;

use crate::error::{Error, Result};

/// Column families of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    /// JMT nodes by encoded node key.
    JmtNodes,
    /// Versioned state values: JMT key hash ‖ bitwise NOT of the shard version (big endian, so
    /// a key's newest version sorts first) → `1 ‖ value`, or `0` for a deletion. Every state
    /// read that misses the wave cache finds the latest version here with one forward seek
    /// ([`crate::state::commit::latest_value`]), as Aptos reads its versioned state KV; there
    /// is no second "latest values" copy to write on every commit.
    JmtValues,
    /// Compiled artifacts by artifact tag ‖ code hash. Local, not consensus.
    Artifacts,
    /// A wave's receipts (borsh `Vec<Receipt>`) by wave id (big endian).
    Receipts,
    /// Wave commit records by wave id (big endian).
    Waves,
    /// Chain head and other metadata.
    Meta,
    /// The stale index of a pruning node: the JMT nodes a wave replaced, by wave id (big
    /// endian) ‖ shard → borsh list of [`Column::JmtNodes`] keys. Node-local, empty on an
    /// archive node ([`crate::NodeConfig::retain_waves`]).
    Stale,
}

impl Column {
    /// Every column.
    pub const ALL: [Column; 7] = [
        Column::JmtNodes,
        Column::JmtValues,
        Column::Artifacts,
        Column::Receipts,
        Column::Waves,
        Column::Meta,
        Column::Stale,
    ];

    /// The RocksDB column-family name.
    pub const fn name(self) -> &'static str {
        match self {
            Column::JmtNodes => "jmt_nodes",
            Column::JmtValues => "jmt_values",
            Column::Artifacts => "artifacts",
            Column::Receipts => "receipts",
            Column::Waves => "waves",
            Column::Meta => "meta",
            Column::Stale => "stale",
        }
    }
}

/// One write in a batch: `None` deletes.
pub type BatchOp = (Column, Vec<u8>, Option<Vec<u8>>);

/// A range deletion in a batch: column, `[from, to)`.
pub type RangeOp = (Column, Vec<u8>, Vec<u8>);

/// An atomic set of writes: all land or none do.
#[derive(Debug, Default, Clone)]
pub struct WriteBatch {
    ops: Vec<BatchOp>,
    /// Range deletions `[from, to)`, applied after the point writes.
    ranges: Vec<RangeOp>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a put.
    pub fn put(&mut self, col: Column, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.ops.push((col, key.into(), Some(value.into())));
    }
    /// Adds a delete.
    pub fn delete(&mut self, col: Column, key: impl Into<Vec<u8>>) {
        self.ops.push((col, key.into(), None));
    }
    /// Adds the deletion of every key `k` with `from <= k < to` in `col`, applied after the
    /// batch's point writes (one range tombstone in RocksDB, whatever the number of keys).
    pub fn delete_range(&mut self, col: Column, from: impl Into<Vec<u8>>, to: impl Into<Vec<u8>>) {
        self.ranges.push((col, from.into(), to.into()));
    }
    /// Moves every write of `other` to the end of this batch.
    pub fn append(&mut self, other: WriteBatch) {
        self.ops.extend(other.ops);
        self.ranges.extend(other.ranges);
    }
    /// Number of point writes.
    pub fn len(&self) -> usize {
        self.ops.len()
    }
    /// True when it writes nothing.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty() && self.ranges.is_empty()
    }
    /// The writes, in order.
    pub fn ops(&self) -> &[BatchOp] {
        &self.ops
    }
    /// Consumes the batch: its point writes and its range deletions.
    pub fn into_parts(self) -> (Vec<BatchOp>, Vec<RangeOp>) {
        (self.ops, self.ranges)
    }
}

/// A key-value store with column families and atomic batches.
pub trait Store: Send + Sync {
    /// Reads one value.
    fn get(&self, col: Column, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// The entry with the smallest key `>= key`, if its key starts with `prefix`.
    fn get_next(&self, col: Column, prefix: &[u8], key: &[u8]) -> Result<Option<(Vec<u8>, Vec<u8>)>>;
    /// Entries whose key starts with `prefix`, in key order, at most `limit`.
    fn scan_prefix(&self, col: Column, prefix: &[u8], limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>>;
    /// Entries with `from <= key < to`, in key order, at most `limit`.
    fn scan_range(&self, col: Column, from: &[u8], to: &[u8], limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>>;
    /// Applies a batch atomically.
    fn write(&self, batch: WriteBatch) -> Result<()>;
    /// Declares, per JMT shard, the version of the oldest state the node still reads (`None`:
    /// keep every version of that shard): of a key's versions at or below it, only the newest
    /// is still needed, and a store may drop the older ones whenever it likes (RocksDB does as
    /// it compacts). Called after the pruning floor moved and was committed; it only rises.
    /// The default keeps everything (the in-memory store).
    fn set_value_floor(&self, versions: &[Option<u64>; 16]) {
        let _ = versions;
    }
}

/// Every column's entries, keyed by (column, key).
type MemColumns = BTreeMap<(Column, Vec<u8>), Vec<u8>>;

/// An in-memory [`Store`] for tests and benchmarks. Optionally fails a chosen write, to test
/// that a failed commit leaves the previous state intact.
#[derive(Debug, Default)]
pub struct MemStore {
    cols: RwLock<MemColumns>,
    fail_writes_after: AtomicUsize,
    /// The failure hits one write only (the later ones succeed).
    fail_once: std::sync::atomic::AtomicBool,
}

impl MemStore {
    /// An empty store.
    pub fn new() -> Self {
        Self {
            cols: RwLock::default(),
            fail_writes_after: AtomicUsize::new(usize::MAX),
            fail_once: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Makes the write after the next `n` successful writes fail (and every later one) without
    /// applying anything: a crash in the middle of a commit, as seen by the caller.
    pub fn fail_writes_after(&self, n: usize) {
        self.fail_once.store(false, Ordering::SeqCst);
        self.fail_writes_after.store(n, Ordering::SeqCst);
    }

    /// Makes only the write after the next `n` successful writes fail: a failed commit that
    /// the node recovers from in the same process.
    pub fn fail_one_write_after(&self, n: usize) {
        self.fail_once.store(true, Ordering::SeqCst);
        self.fail_writes_after.store(n, Ordering::SeqCst);
    }

    /// Number of entries in a column.
    pub fn len(&self, col: Column) -> usize {
        self.cols.read().keys().filter(|(c, _)| *c == col).count()
    }
}

impl Store for MemStore {
    fn get(&self, col: Column, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.cols.read().get(&(col, key.to_vec())).cloned())
    }

    fn get_next(&self, col: Column, prefix: &[u8], key: &[u8]) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        let cols = self.cols.read();
        let found = cols
            .range((col, key.to_vec())..)
            .next()
            .filter(|((c, k), _)| *c == col && k.starts_with(prefix))
            .map(|((_, k), v)| (k.clone(), v.clone()));
        Ok(found)
    }

    fn scan_prefix(&self, col: Column, prefix: &[u8], limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let cols = self.cols.read();
        Ok(cols
            .range((col, prefix.to_vec())..)
            .take_while(|((c, k), _)| *c == col && k.starts_with(prefix))
            .take(limit)
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect())
    }

    fn scan_range(&self, col: Column, from: &[u8], to: &[u8], limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        // An empty or inverted range is empty, as in RocksDB (a BTreeMap range would panic).
        if from >= to {
            return Ok(Vec::new());
        }
        let cols = self.cols.read();
        Ok(cols
            .range((col, from.to_vec())..(col, to.to_vec()))
            .take(limit)
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect())
    }

    fn write(&self, batch: WriteBatch) -> Result<()> {
        let left = self.fail_writes_after.load(Ordering::SeqCst);
        if left == 0 {
            if self.fail_once.load(Ordering::SeqCst) {
                self.fail_writes_after.store(usize::MAX, Ordering::SeqCst);
            }
            return Err(Error::Storage("injected write failure".into()));
        }
        if left != usize::MAX {
            self.fail_writes_after.store(left - 1, Ordering::SeqCst);
        }
        let mut cols = self.cols.write();
        let (ops, ranges) = batch.into_parts();
        for (col, key, value) in ops {
            match value {
                Some(v) => {
                    cols.insert((col, key), v);
                }
                None => {
                    cols.remove(&(col, key));
                }
            }
        }
        for (col, from, to) in ranges.into_iter().filter(|(_, f, t)| f < t) {
            let doomed: Vec<(Column, Vec<u8>)> = cols.range((col, from)..(col, to)).map(|(k, _)| k.clone()).collect();
            for k in doomed {
                cols.remove(&k);
            }
        }
        Ok(())
    }
}
