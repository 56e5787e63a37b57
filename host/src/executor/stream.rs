//! Waves of any size: executed and committed a chunk at a time, so that a wave far larger
//! than memory (a chain's catch-up) holds only one chunk's transactions, receipts and state
//! changes at once.
//!
//! The result is the wave's, bit for bit: the JMT's root depends only on the final key set, so
//! committing the diff chunk by chunk (each chunk a version of its shards) gives the root of
//! committing it at once; the receipts and events roots are built leaf by leaf
//! ([`commit::MerkleFrontier`]); the wave record, head, pruning and the parameter record are
//! written with the last chunk, in one batch, exactly as [`Chain::execute_wave`] writes them.
//!
//! Until then the wave is pending: each earlier chunk's batch also records the keys it added
//! (`meta/pending/` ‖ chunk) under a pending marker (`meta/pending`). A wave that fails, and a
//! node that crashes mid-wave and reopens, deletes them ([`rollback_pending`]): the chunks'
//! JMT nodes and value versions are above every committed version, so nothing committed is
//! touched, and the store is the previous wave's again.

use borsh::{BorshDeserialize, BorshSerialize};
use vmhost_abi::{BlockContext, Receipt, Transaction, WaveRecord};

use super::{commitment_key, notes_key, wave_key, Chain, ChainHead, TxRef, WaveOutput, FLOOR_KEY, HEAD_KEY};
use crate::error::{Error, Result};
use crate::state::commit::{self, MerkleFrontier, StateCommitment};
use crate::state::{Column, Store, WriteBatch};

const PENDING_KEY: &[u8] = b"pending";
const PENDING_CHUNKS: &[u8] = b"pending/";
/// The first key after every `pending/…` key (`'0'` follows `'/'`).
const PENDING_END: &[u8] = b"pending0";

/// The marker of a wave whose chunks are in the store but which is not committed.
#[derive(Debug, BorshSerialize, BorshDeserialize)]
struct PendingWave {
    wave_id: u64,
}

/// What one chunk added to the versioned columns (to delete if the wave does not commit).
#[derive(Debug, Default, BorshSerialize, BorshDeserialize)]
struct ChunkUndo {
    nodes: Vec<Vec<u8>>,
    values: Vec<Vec<u8>>,
}

/// The wave so far.
struct Acc {
    commitment: StateCommitment,
    changed: bool,
    receipts: MerkleFrontier,
    events: MerkleFrontier,
    bloom: [u8; commit::BLOOM_BYTES],
    tx_count: u64,
    gas_used: u64,
}

fn chunk_suffix(chunk: u32) -> [u8; 4] {
    chunk.to_be_bytes()
}

fn enc<T: BorshSerialize>(v: &T) -> Result<Vec<u8>> {
    borsh::to_vec(v).map_err(|e| Error::Internal(format!("encoding failed: {e}")))
}

/// Deletes what the chunks of a wave that never committed wrote (after a failure, or on open
/// after a crash mid-wave), in one batch. Returns the wave id it rolled back, if any.
pub(crate) fn rollback_pending(store: &dyn Store) -> Result<Option<u64>> {
    let Some(bytes) = store.get(Column::Meta, PENDING_KEY)? else {
        return Ok(None);
    };
    let p = PendingWave::try_from_slice(&bytes).map_err(|e| Error::Corrupt(format!("pending wave: {e}")))?;
    let mut batch = WriteBatch::new();
    for (_, b) in store.scan_prefix(Column::Meta, PENDING_CHUNKS, usize::MAX)? {
        let undo = ChunkUndo::try_from_slice(&b).map_err(|e| Error::Corrupt(format!("pending chunk: {e}")))?;
        undo.nodes.into_iter().for_each(|k| batch.delete(Column::JmtNodes, k));
        undo.values.into_iter().for_each(|k| batch.delete(Column::JmtValues, k));
    }
    let (from, to) = (wave_key(p.wave_id).to_vec(), after(&wave_key(p.wave_id)));
    batch.delete_range(Column::Stale, from.clone(), to.clone());
    batch.delete_range(Column::Receipts, from, to);
    batch.delete_range(Column::Meta, notes_key(p.wave_id), after(&notes_key(p.wave_id)));
    batch.delete_range(Column::Meta, PENDING_CHUNKS, PENDING_END);
    batch.delete(Column::Meta, PENDING_KEY);
    store.write(batch)?;
    tracing::warn!(wave = p.wave_id, "rolled back the chunks of a wave that was never committed");
    Ok(Some(p.wave_id))
}

/// The first key after every key that starts with `prefix`.
fn after(prefix: &[u8]) -> Vec<u8> {
    [prefix, &[0xff; 16]].concat()
}

impl Chain {
    /// Executes a wave of any size and commits it, `chunk` transactions at a time: only one
    /// chunk's transactions, receipts and state changes are held at once (plus the wave
    /// cache's entries, bounded by `wave_cache_max_entries`), so a wave far larger than memory
    /// (a chain's catch-up) runs. `on_receipt` sees every receipt, in order, with its failure
    /// reason, once its chunk is written.
    ///
    /// The outcome is [`Chain::execute_wave`]'s on the same transactions, bit for bit: the
    /// same record (state, events and receipts roots, bloom, gas), receipts, reasons and root.
    /// Until the last chunk commits, the wave is pending and invisible to every committed
    /// read; a failure, or a crash and reopen, rolls its chunks back. ([`Chain::execute_wave`]
    /// itself commits a wave longer than [`crate::NodeConfig::commit_chunk`] this way.)
    pub fn execute_wave_streamed<I>(
        &mut self,
        block: &BlockContext,
        txs: I,
        chunk: usize,
        mut on_receipt: impl FnMut(&Receipt, Option<&str>) + Send,
    ) -> Result<WaveRecord>
    where
        I: IntoIterator<Item = Transaction>,
        I::IntoIter: Send,
    {
        let mut txs = txs.into_iter().peekable();
        let chunk = chunk.max(1);
        self.on_executor(|chain| {
            let mut acc = chain.start_chunks(block)?;
            let mut buf: Vec<Transaction> = Vec::with_capacity(chunk);
            let mut sink = |r: Receipt, n: Option<String>| on_receipt(&r, n.as_deref());
            for index in 0u32.. {
                buf.clear();
                buf.extend(txs.by_ref().take(chunk));
                let last = txs.peek().is_none();
                let refs: Vec<TxRef<'_>> = buf.iter().map(Ok).collect();
                match chain.run_chunk(block, index, &refs, &mut acc, last, &mut sink) {
                    Ok(Some(record)) => return Ok(record),
                    Ok(None) => {}
                    Err(e) => return Err(chain.abort_chunks(e)),
                }
            }
            Err(chain.abort_chunks(Error::Internal("a wave of more than 2^32 chunks".into())))
        })
    }

    /// [`Chain::execute_wave`] of a wave longer than `chunk`: committed a chunk at a time
    /// (only the receipts are held for the whole wave).
    pub(super) fn run_wave_in_chunks(
        &mut self,
        block: &BlockContext,
        txs: &[TxRef<'_>],
        chunk: usize,
    ) -> Result<WaveOutput> {
        let mut acc = self.start_chunks(block)?;
        let (mut receipts, mut notes) = (Vec::with_capacity(txs.len()), Vec::with_capacity(txs.len()));
        let mut sink = |r: Receipt, n: Option<String>| {
            receipts.push(r);
            notes.push(n);
        };
        let count = txs.len().div_ceil(chunk).max(1);
        let mut record = None;
        for index in 0..count {
            let part = &txs[(index * chunk).min(txs.len())..((index + 1) * chunk).min(txs.len())];
            let last = index + 1 == count;
            let index = u32::try_from(index).map_err(|_| Error::Internal("a wave of more than 2^32 chunks".into()));
            match index.and_then(|i| self.run_chunk(block, i, part, &mut acc, last, &mut sink)) {
                Ok(r) => record = r,
                Err(e) => return Err(self.abort_chunks(e)),
            }
        }
        let record = record.ok_or_else(|| Error::Internal("the last chunk wrote no record".into()))?;
        Ok(WaveOutput { record, receipts, notes })
    }

    /// The start of a wave committed in chunks.
    fn start_chunks(&mut self, block: &BlockContext) -> Result<Acc> {
        self.check_wave_order(block)?;
        // An earlier chunked wave whose rollback could not be written.
        rollback_pending(&**self.env.store())?;
        Ok(Acc {
            commitment: self.head.commitment.clone(),
            changed: false,
            receipts: MerkleFrontier::default(),
            events: MerkleFrontier::default(),
            bloom: [0; commit::BLOOM_BYTES],
            tx_count: 0,
            gas_used: 0,
        })
    }

    /// After a chunk failed: nothing of the wave stays (in the cache, the module cache's
    /// pending artifacts or the store). Returns `e`.
    fn abort_chunks(&mut self, e: Error) -> Error {
        tracing::error!(error = %e, "wave aborted: nothing of it is committed");
        self.cache.discard();
        drop(self.env.modules.take_pending());
        // If the rollback cannot be written either, the wave stays pending and invisible to
        // committed reads; the next chunked wave or open rolls it back.
        if let Err(r) = rollback_pending(&**self.env.store()) {
            tracing::error!(error = %r, "rolling the aborted wave back failed; retried on the next open");
        }
        e
    }

    /// Executes one chunk and commits it; `sink` gets its receipts once it is written.
    fn run_chunk(
        &mut self,
        block: &BlockContext,
        index: u32,
        refs: &[TxRef<'_>],
        acc: &mut Acc,
        last: bool,
        sink: &mut dyn FnMut(Receipt, Option<String>),
    ) -> Result<Option<WaveRecord>> {
        let executed = self.execute_txs(block, refs)?;
        let (mut receipts, mut notes) = (Vec::with_capacity(executed.len()), Vec::with_capacity(executed.len()));
        for (r, n) in executed {
            acc.receipts.push(commit::leaf_hash(&enc(&r)?));
            for e in &r.events {
                acc.events.push(commit::leaf_hash(&enc(e)?));
                commit::bloom_add(&mut acc.bloom, &e.contract.0);
                commit::bloom_add(&mut acc.bloom, &e.topic);
            }
            acc.tx_count += 1;
            acc.gas_used = acc
                .gas_used
                .checked_add(r.gas_used)
                .ok_or_else(|| Error::Internal("the wave's gas does not fit a u64".into()))?;
            receipts.push(r);
            notes.push(n);
        }
        let record = self.commit_chunk(block, index, &receipts, &notes, acc, last)?;
        for (r, n) in receipts.into_iter().zip(notes) {
            sink(r, n);
        }
        Ok(record)
    }

    /// Writes one chunk: its state diff as the next version of its shards, its receipts and
    /// reasons; an earlier chunk with its undo record, the last one with everything
    /// [`Chain::execute_wave`]'s commit writes. Returns the record after the last.
    fn commit_chunk(
        &mut self,
        block: &BlockContext,
        index: u32,
        receipts: &[Receipt],
        notes: &[Option<String>],
        acc: &mut Acc,
        last: bool,
    ) -> Result<Option<WaveRecord>> {
        let store = &**self.env.store();
        let mut batch = WriteBatch::new();
        let params = self.env.config.params_at(block.wave_id).clone();
        // The parameter record goes with the last chunk (so a rolled-back wave leaves none).
        let new_log = if last { self.record_params(block.wave_id, &params, &mut batch)? } else { None };
        let diff = self.cache.dirty();
        let retain = self.env.config.node.retain_waves;
        if !diff.is_empty() {
            let stale = (retain > 0).then_some((block.wave_id, index));
            acc.commitment = acc.commitment.apply(store, &diff, &mut batch, stale)?;
            acc.changed = true;
        }
        if !last {
            let mut undo = ChunkUndo::default();
            for (col, key, _) in batch.ops() {
                match col {
                    Column::JmtNodes => undo.nodes.push(key.clone()),
                    Column::JmtValues => undo.values.push(key.clone()),
                    _ => {}
                }
            }
            batch.put(Column::Meta, [PENDING_CHUNKS, &chunk_suffix(index)].concat(), enc(&undo)?);
            batch.put(Column::Meta, PENDING_KEY, enc(&PendingWave { wave_id: block.wave_id })?);
        }
        for (key, artifact) in self.env.modules.take_pending() {
            batch.put(Column::Artifacts, key, artifact);
        }
        let suffix = chunk_suffix(index);
        batch.put(Column::Receipts, [&wave_key(block.wave_id)[..], &suffix].concat(), enc(&receipts.to_vec())?);
        if notes.iter().any(Option::is_some) {
            batch.put(Column::Meta, [&notes_key(block.wave_id)[..], &suffix].concat(), enc(&notes.to_vec())?);
        }
        for (contract, slot) in self.cache.take_created_slots() {
            batch.put(Column::Meta, super::slot_index_key(&contract, &slot), Vec::new());
        }
        if !last {
            store.write(batch)?;
            self.cache.mark_committed(self.env.config.node.wave_cache_max_entries, false);
            return Ok(None);
        }
        // The last chunk: the wave's commit.
        let pruned = self.prune_batch(block.wave_id)?;
        let floor = pruned.floor;
        batch.append(pruned.batch);
        let version =
            if acc.changed { Some(self.head.jmt_version.map_or(0, |v| v + 1)) } else { self.head.jmt_version };
        let state_root = acc.commitment.root();
        let record = WaveRecord {
            wave_id: block.wave_id,
            height: block.height,
            state_root,
            events_root: acc.events.root(),
            events_bloom: acc.bloom.to_vec(),
            receipts_root: acc.receipts.root(),
            tx_count: u32::try_from(acc.tx_count)
                .map_err(|_| Error::Internal(format!("{} transactions in one wave", acc.tx_count)))?,
            gas_used: acc.gas_used,
            version: version.unwrap_or(0),
            params_hash: params.hash(),
        };
        let head = ChainHead {
            last_wave: Some(block.wave_id),
            height: block.height,
            jmt_version: version,
            state_root,
            commitment: acc.commitment.clone(),
            waves: self.head.waves + 1,
        };
        batch.put(Column::Waves, wave_key(block.wave_id), enc(&record)?);
        batch.put(Column::Meta, HEAD_KEY, enc(&head)?);
        batch.put(Column::Meta, commitment_key(block.wave_id), enc(&head.commitment)?);
        if floor != self.floor {
            batch.put(Column::Meta, FLOOR_KEY, floor.to_be_bytes().to_vec());
        }
        batch.delete_range(Column::Meta, PENDING_CHUNKS, PENDING_END);
        batch.delete(Column::Meta, PENDING_KEY);
        store.write(batch)?;
        let floor_moved = floor != self.floor;
        self.adopt_head(head, floor, pruned.resume, new_log, false);
        if floor_moved {
            super::set_value_floor(&**self.env.store(), floor)?;
        }
        tracing::info!(root = %hex::encode(state_root), txs = acc.tx_count, chunks = index + 1, "streamed wave committed");
        Ok(Some(record))
    }
}
