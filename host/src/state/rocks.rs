//! RocksDB implementation of [`Store`]: one column family per [`Column`], atomic write batches.

use std::path::Path;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rocksdb::{ColumnFamilyDescriptor, Direction, IteratorMode, Options, DB};

use super::store::{Column, Store, WriteBatch};
use crate::error::{Error, Result};

/// Length of the [`Column::JmtValues`] prefix: a key hash (its versions follow it).
const VALUE_PREFIX: usize = 32;

/// Read options for seeks within `prefix` of `col`: prefix seeks (bloom filters skip sorted
/// runs without the prefix) where the column has that prefix extractor, total order otherwise.
fn seek_options(col: Column, prefix_len: usize) -> rocksdb::ReadOptions {
    let mut ro = rocksdb::ReadOptions::default();
    if col == Column::JmtValues && prefix_len == VALUE_PREFIX {
        ro.set_prefix_same_as_start(true);
    } else {
        ro.set_total_order_seek(true);
    }
    ro
}

/// Per JMT shard, the version of the oldest state still read (`u64::MAX`: keep every version).
type ValueFloor = Arc<[AtomicU64; 16]>;

/// Drops superseded value versions as RocksDB compacts [`Column::JmtValues`]: of one key
/// hash's versions (they sort newest first), those above the shard's floor version are kept,
/// then the first at or below it (the value the oldest readable state sees), and every older
/// one goes. A version is only dropped after a newer one at or below the floor has been kept
/// in the same compaction, so the value any readable state sees is never dropped, whichever
/// files a compaction takes. Costs no write and no read: pruning of values rides on the
/// compactions RocksDB runs anyway.
struct SupersededVersions {
    floor: ValueFloor,
}

struct SupersededFilter {
    /// The floor when the compaction started (it only rises: an older one is safe).
    floor: [u64; 16],
    last: Option<[u8; VALUE_PREFIX]>,
    kept_at_floor: bool,
}

impl rocksdb::compaction_filter_factory::CompactionFilterFactory for SupersededVersions {
    type Filter = SupersededFilter;

    fn create(&mut self, _: rocksdb::compaction_filter_factory::CompactionFilterContext) -> SupersededFilter {
        SupersededFilter {
            floor: std::array::from_fn(|i| self.floor[i].load(Ordering::Acquire)),
            last: None,
            kept_at_floor: false,
        }
    }

    fn name(&self) -> &std::ffi::CStr {
        c"vmhost-superseded-versions"
    }
}

impl rocksdb::compaction_filter::CompactionFilter for SupersededFilter {
    fn filter(&mut self, _level: u32, key: &[u8], _value: &[u8]) -> rocksdb::compaction_filter::Decision {
        use rocksdb::compaction_filter::Decision;
        let (Some(kh), Some(ver)) = (key.get(..VALUE_PREFIX), key.get(VALUE_PREFIX..)) else {
            return Decision::Keep;
        };
        let (Ok(kh), Ok(ver)) = (<[u8; VALUE_PREFIX]>::try_from(kh), <[u8; 8]>::try_from(ver)) else {
            return Decision::Keep;
        };
        let version = !u64::from_be_bytes(ver);
        if self.last != Some(kh) {
            self.last = Some(kh);
            self.kept_at_floor = false;
        }
        let floor = self.floor[(kh[0] >> 4) as usize];
        if floor == u64::MAX || version > floor {
            Decision::Keep
        } else if !self.kept_at_floor {
            self.kept_at_floor = true;
            Decision::Keep
        } else {
            Decision::Remove
        }
    }

    fn name(&self) -> &std::ffi::CStr {
        c"vmhost-superseded-versions"
    }
}

/// A RocksDB-backed store.
pub struct RocksStore {
    db: DB,
    sync: bool,
    value_floor: ValueFloor,
}

impl std::fmt::Debug for RocksStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocksStore").field("path", &self.db.path()).finish()
    }
}

fn storage_err(e: rocksdb::Error) -> Error {
    Error::Storage(e.to_string())
}

impl RocksStore {
    /// Opens (creating if needed) the store at `path`, syncing every commit to disk.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, true)
    }

    /// Opens the store; `sync` makes every batch durable before `write` returns (a process or
    /// machine crash after a commit returns never loses it). Without sync a process crash is
    /// still safe (the WAL is written), a machine crash may lose the last commits.
    pub fn open_with(path: impl AsRef<Path>, sync: bool) -> Result<Self> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        opts.set_max_background_jobs(2);
        let value_floor: ValueFloor = Arc::new(std::array::from_fn(|_| AtomicU64::new(u64::MAX)));
        let cfs = Column::ALL.iter().map(|c| {
            let mut cf_opts = Options::default();
            match c {
                // Every read is a seek within one key hash (its versions): prefix bloom filters
                // in the memtable and the SST files let a seek skip every sorted run without
                // that key hash, instead of positioning an iterator in each.
                Column::JmtValues => {
                    cf_opts.set_compaction_filter_factory(SupersededVersions { floor: value_floor.clone() });
                    cf_opts.set_prefix_extractor(rocksdb::SliceTransform::create_fixed_prefix(VALUE_PREFIX));
                    cf_opts.set_memtable_prefix_bloom_ratio(0.1);
                    let mut table = rocksdb::BlockBasedOptions::default();
                    table.set_bloom_filter(10.0, false);
                    table.set_whole_key_filtering(false);
                    cf_opts.set_block_based_table_factory(&table);
                }
                // Point reads of nodes: whole-key bloom filters.
                Column::JmtNodes => {
                    let mut table = rocksdb::BlockBasedOptions::default();
                    table.set_bloom_filter(10.0, false);
                    cf_opts.set_block_based_table_factory(&table);
                }
                _ => {}
            }
            ColumnFamilyDescriptor::new(c.name(), cf_opts)
        });
        // A store laid out by another vmhost version has column families this one does not
        // know (RocksDB would refuse it with a bare "column families not opened").
        if let Ok(existing) = DB::list_cf(&opts, path.as_ref()) {
            let known = |name: &str| {
                name == rocksdb::DEFAULT_COLUMN_FAMILY_NAME || Column::ALL.iter().any(|c| c.name() == name)
            };
            if let Some(unknown) = existing.iter().find(|n| !known(n)) {
                return Err(foreign_layout(
                    path.as_ref(),
                    &format!("has a column family `{unknown}` this vmhost does not use"),
                ));
            }
        }
        let db = DB::open_cf_descriptors(&opts, path.as_ref(), cfs).map_err(storage_err)?;
        let store = Self { db, sync, value_floor };
        store.check_layout(path.as_ref())?;
        Ok(store)
    }

    /// Refuses a store whose data is laid out differently (same column families, other key
    /// encoding: reading it would return wrong values, not fail), and marks a new one.
    fn check_layout(&self, path: &Path) -> Result<()> {
        let meta = self.cf(Column::Meta)?;
        let other =
            |what: String| Err(foreign_layout(path, &format!("{what}, and this vmhost reads layout {STORE_LAYOUT}")));
        match self.db.get_cf(meta, LAYOUT_KEY).map_err(storage_err)? {
            Some(v) if v == STORE_LAYOUT.to_le_bytes() => Ok(()),
            Some(v) => other(format!("has layout {}", hex_or_u32(&v))),
            None => {
                let empty = Column::ALL
                    .iter()
                    .all(|c| self.cf(*c).is_ok_and(|cf| self.db.iterator_cf(cf, IteratorMode::Start).next().is_none()));
                if !empty {
                    return other("holds data but no layout marker".into());
                }
                self.db.put_cf(meta, LAYOUT_KEY, STORE_LAYOUT.to_le_bytes()).map_err(storage_err)
            }
        }
    }

    /// Compacts every column family fully (tools and benchmarks: what the data takes once
    /// RocksDB has dropped what deletions and overwrites left behind).
    pub fn compact(&self) -> Result<()> {
        for col in Column::ALL {
            self.db.compact_range_cf(self.cf(col)?, None::<&[u8]>, None::<&[u8]>);
        }
        self.db.flush().map_err(storage_err)
    }

    fn cf(&self, col: Column) -> Result<&rocksdb::ColumnFamily> {
        self.db.cf_handle(col.name()).ok_or_else(|| Error::Storage(format!("column family {} missing", col.name())))
    }
}

/// The on-disk layout this vmhost reads and writes (the encoding of keys and values in every
/// column). Bumped whenever it changes; a store of another layout is refused when opened.
/// Layout 2: wave records carry the consensus-parameter hash, `meta/params` records the
/// parameter history, transactions carry split read/write access lists. Layout 3: contract
/// records carry a pending upgrade, the renounce and non-reentrant flags; consensus parameters
/// carry the crypto and contract sections; two new transaction kinds. Layout 4: the `stale`
/// column (the pruning index) and each wave's shard commitment in `meta` (proofs at a wave).
pub const STORE_LAYOUT: u32 = 4;

/// The `Meta` key holding the store's layout (`u32` little endian).
pub const LAYOUT_KEY: &[u8] = b"store_layout";

/// The error for a store written by another vmhost version; `what` says how it differs.
fn foreign_layout(path: &Path, what: &str) -> Error {
    Error::Storage(format!(
        "the store at {} {what}: it was written by another vmhost version (layouts are not migrated; start \
         from a fresh store directory)",
        path.display()
    ))
}

fn hex_or_u32(v: &[u8]) -> String {
    match <[u8; 4]>::try_from(v) {
        Ok(b) => u32::from_le_bytes(b).to_string(),
        Err(_) => format!("0x{}", hex::encode(v)),
    }
}

impl Store for RocksStore {
    fn get(&self, col: Column, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.db.get_cf(self.cf(col)?, key).map_err(storage_err)
    }

    fn get_next(&self, col: Column, prefix: &[u8], key: &[u8]) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        let ro = seek_options(col, prefix.len());
        let mut it = self.db.raw_iterator_cf_opt(self.cf(col)?, ro);
        it.seek(key);
        if !it.valid() {
            it.status().map_err(storage_err)?;
            return Ok(None);
        }
        match (it.key(), it.value()) {
            (Some(k), Some(v)) if k.starts_with(prefix) => Ok(Some((k.to_vec(), v.to_vec()))),
            _ => Ok(None),
        }
    }

    fn scan_prefix(&self, col: Column, prefix: &[u8], limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::new();
        let mut ro = rocksdb::ReadOptions::default();
        ro.set_total_order_seek(true);
        let it = self.db.iterator_cf_opt(self.cf(col)?, ro, IteratorMode::From(prefix, Direction::Forward));
        for item in it {
            let (k, v) = item.map_err(storage_err)?;
            if !k.starts_with(prefix) || out.len() >= limit {
                break;
            }
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    fn scan_range(&self, col: Column, from: &[u8], to: &[u8], limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::new();
        let mut ro = rocksdb::ReadOptions::default();
        ro.set_total_order_seek(true);
        ro.set_iterate_upper_bound(to.to_vec());
        let it = self.db.iterator_cf_opt(self.cf(col)?, ro, IteratorMode::From(from, Direction::Forward));
        for item in it.take(limit) {
            let (k, v) = item.map_err(storage_err)?;
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    fn write(&self, batch: WriteBatch) -> Result<()> {
        // Column by column, in key order: each column's memtable is a skip list that reuses the
        // previous insertion's position, so sorted keys insert faster than a wave's hash-ordered
        // JMT nodes (the whole write of a 10K-transfer wave: 63 → 51 ms). The sort is stable, so
        // a key written twice keeps its last value; columns are independent, so reordering
        // across them changes nothing. `Column as usize` is its index in `Column::ALL`.
        let mut per_col: [Vec<super::store::BatchOp>; Column::ALL.len()] = Default::default();
        // RocksDB's per-record overhead in a batch (tag, column id, two varint lengths).
        const RECORD_OVERHEAD: usize = 24;
        let mut bytes = 0;
        let (ops, ranges) = batch.into_parts();
        for op in ops {
            bytes += op.1.len() + op.2.as_ref().map_or(0, Vec::len) + RECORD_OVERHEAD;
            per_col[op.0 as usize].push(op);
        }
        let mut wb = rocksdb::WriteBatch::with_capacity_bytes(bytes);
        for (col, mut ops) in Column::ALL.into_iter().zip(per_col) {
            if ops.is_empty() {
                continue;
            }
            ops.sort_by(|a, b| a.1.cmp(&b.1));
            let cf = self.cf(col)?;
            for (_, key, value) in ops {
                match value {
                    Some(v) => wb.put_cf(cf, key, v),
                    None => wb.delete_cf(cf, key),
                }
            }
        }
        for (col, from, to) in ranges {
            wb.delete_range_cf(self.cf(col)?, from, to);
        }
        let mut wo = rocksdb::WriteOptions::default();
        wo.set_sync(self.sync);
        self.db.write_opt(wb, &wo).map_err(storage_err)
    }

    fn set_value_floor(&self, versions: &[Option<u64>; 16]) {
        for (slot, v) in self.value_floor.iter().zip(versions) {
            slot.store(v.unwrap_or(u64::MAX), Ordering::Release);
        }
    }
}
