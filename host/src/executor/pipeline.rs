//! Pipelined commits: the store write (with its fsync) of one wave overlaps the execution and
//! the JMT update of the next.
//!
//! A wave's commit is computed (JMT update, pruning, roots, record, head), adopted as the
//! chain's head in memory, and its batch handed to a writer thread; the next wave executes
//! and computes its own commit meanwhile, reading what the store does not have yet from
//! memory:
//! - **state**: every value the in-flight wave wrote stays in the wave cache until its batch
//!   is written (`WaveCache::mark_committed` with `pinned`: a cache over its bound evicts
//!   everything else), so execution never falls through to the store for one of them;
//! - **JMT nodes**: the next update reads the in-flight wave's new nodes before the store's
//!   ([`commit::StateCommitment::apply_over`]);
//! - **pruning** resumes its scan of the stale index where the in-flight prune stopped, and a
//!   window of one or two waves (whose prune would reach the in-flight wave's own stale
//!   entries) waits for the write first.
//!
//! Nothing about the outcome changes: receipts, records and roots are those of
//! [`Chain::execute_wave`] wave after wave (tested), and a wave is reported committed only
//! once its batch is written: a crash loses no reported wave. If a write fails, the wave
//! computed on top of it is dropped too and the chain is the store's again.

use vmhost_abi::{BlockContext, Transaction};

use super::{set_value_floor, Chain, ChainHead, CommitTiming, PreparedCommit, TxRef, WaveOutput};
use crate::error::{Error, Result};
use crate::params::ConsensusParams;
use crate::state::commit;

/// A wave whose batch is being written.
struct InFlight {
    writer: std::thread::JoinHandle<Result<u64>>,
    wave_id: u64,
    output: WaveOutput,
    timing: CommitTiming,
    /// The JMT nodes its commit created (the store does not have them yet).
    nodes: commit::NewNodes,
    /// The floor its commit moved to, for the store's value floor once written.
    moved_floor: Option<u64>,
    /// The chain as the store has it without this wave (restored if the write fails).
    durable: Durable,
}

struct Durable {
    head: ChainHead,
    floor: u64,
    prune_from: Option<Vec<u8>>,
    params_log: Vec<(u64, ConsensusParams)>,
}

impl Chain {
    /// Executes and commits waves one after another, each exactly as [`Chain::execute_wave`]
    /// would (the same receipts, records and roots), with the store write of each wave
    /// overlapping the execution and commitment of the next: the way to run many waves (a
    /// node's catch-up, a benchmark). `on_committed` gets each wave's output, in order, once
    /// its batch is written (durable as `execute_wave`'s return); when this returns, every
    /// wave it reported is in the store.
    ///
    /// On an error (a wave's execution, or a write, failing) the waves reported so far stay
    /// committed, nothing after them does, and the error is returned. Waves longer than
    /// [`crate::NodeConfig::commit_chunk`] are committed in chunks, without the overlap.
    pub fn execute_waves<I>(&mut self, waves: I, mut on_committed: impl FnMut(WaveOutput)) -> Result<()>
    where
        I: IntoIterator<Item = (BlockContext, Vec<Transaction>)>,
    {
        let mut in_flight: Option<InFlight> = None;
        let result = self.pipeline(waves, &mut in_flight, &mut on_committed);
        // Whatever happened, what is in flight lands (or is rolled back) before returning.
        let landed = self.land(&mut in_flight, &mut on_committed);
        result.and(landed)
    }

    fn pipeline<I>(
        &mut self,
        waves: I,
        in_flight: &mut Option<InFlight>,
        on_committed: &mut dyn FnMut(WaveOutput),
    ) -> Result<()>
    where
        I: IntoIterator<Item = (BlockContext, Vec<Transaction>)>,
    {
        let retain = self.env.config.node.retain_waves;
        let chunk = self.env.config.node.commit_chunk;
        // A chunked wave whose rollback could not be written (the store failed) goes first;
        // within the pipeline only chunked waves can leave one, and they run after a landing
        // through `execute_wave`, which does the same.
        super::stream::rollback_pending(&**self.env.store())?;
        for (block, txs) in waves {
            // A prune that would reach the in-flight wave's stale entries (a window of one or
            // two waves) needs them in the store: wait for the write.
            let prune_reaches = in_flight
                .as_ref()
                .is_some_and(|f| retain > 0 && block.wave_id.saturating_add(1).saturating_sub(retain) >= f.wave_id);
            let chunked = chunk > 0 && txs.len() > chunk;
            if prune_reaches || chunked {
                self.land(in_flight, on_committed)?;
            }
            if chunked {
                let out = self.execute_wave(&block, &txs)?;
                on_committed(out);
                continue;
            }
            let over = in_flight.as_ref().map(|f| &f.nodes);
            let prepared = self.on_executor(|chain| {
                chain.check_wave_order(&block)?;
                let span = tracing::info_span!("wave", wave_id = block.wave_id, txs = txs.len());
                let _guard = span.enter();
                let refs: Vec<TxRef<'_>> = txs.iter().map(Ok).collect();
                chain.execute_and_prepare(&block, &refs, over, true)
            })?;
            self.land(in_flight, on_committed)?;
            *in_flight = Some(self.start_write(prepared)?);
        }
        Ok(())
    }

    /// Adopts a prepared commit as the head and hands its batch to a writer thread.
    fn start_write(&mut self, mut prepared: PreparedCommit) -> Result<InFlight> {
        let durable = Durable {
            head: self.head.clone(),
            floor: self.floor,
            prune_from: self.prune_from.clone(),
            params_log: self.params_log.clone(),
        };
        let batch = std::mem::take(&mut prepared.batch);
        let nodes = std::mem::take(&mut prepared.nodes);
        let moved_floor = (prepared.floor != self.floor).then_some(prepared.floor);
        let wave_id = prepared.output.record.wave_id;
        let (output, timing) = self.adopt(prepared, true);
        let store = self.env.store().clone();
        let spawned = std::thread::Builder::new().name("vmhost-commit".into()).spawn(move || {
            let started = std::time::Instant::now();
            store.write(batch)?;
            Ok(started.elapsed().as_micros() as u64)
        });
        match spawned {
            Ok(writer) => Ok(InFlight { writer, wave_id, output, timing, nodes, moved_floor, durable }),
            Err(e) => {
                self.restore(durable);
                Err(Error::Internal(format!("commit writer thread: {e}")))
            }
        }
    }

    /// Waits for the wave in flight, if any: reports it once written, or rolls the chain back
    /// to the store's state if the write failed.
    fn land(&mut self, in_flight: &mut Option<InFlight>, on_committed: &mut dyn FnMut(WaveOutput)) -> Result<()> {
        let Some(f) = in_flight.take() else { return Ok(()) };
        let written = f.writer.join().unwrap_or_else(|_| Err(Error::Internal("the commit writer panicked".into())));
        match written {
            Ok(write_us) => {
                CommitTiming { write_us, ..f.timing }.log(&f.output);
                on_committed(f.output);
                match f.moved_floor {
                    Some(floor) => set_value_floor(&**self.env.store(), floor),
                    None => Ok(()),
                }
            }
            Err(e) => {
                tracing::error!(error = %e, wave = f.wave_id, "wave commit failed; state stays at the previous wave");
                self.restore(f.durable);
                Err(e)
            }
        }
    }

    /// Back to the state the store holds: the head, floor and parameter log before the wave
    /// whose write failed, and an empty wave cache (it held that wave's writes, and perhaps
    /// the next one's).
    fn restore(&mut self, durable: Durable) {
        self.head = durable.head;
        self.floor = durable.floor;
        self.prune_from = durable.prune_from;
        self.params_log = durable.params_log;
        self.cache.discard();
        drop(self.env.modules.take_pending());
    }
}
