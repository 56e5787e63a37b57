//! The transaction pipeline and wave commit.
//!
//! A [`Chain`] owns the store, the wave cache and the head. [`Chain::execute_wave`] runs a
//! wave's transactions in order — each staged as validate → charge → checkpoint → dispatch →
//! commit/revert → receipt — then commits the wave: JMT state root, events root and bloom,
//! receipts root, and one atomic write batch (state, JMT nodes, receipts, wave record, head).
//! A commit that fails leaves the store at the previous wave, and the wave cache is dropped.
//!
//! Transactions execute on the chain's executor threads, whose stacks the host sizes
//! ([`executor_stack_size`]): every nested call may use at most the backend's engine backstop
//! plus the host's own frames, and the maximum call depth of those fits with a margin. Before
//! each nested call the host also checks the native stack left, so a machine where the sizing
//! is somehow wrong stops the wave with an error instead of crashing.
//!
//! A wave's result is defined as running its transactions in order. With more than one
//! executor thread ([`crate::NodeConfig::threads`]), the [`schedule`] puts the wave's
//! transactions on levels such that no two of a level conflict and every conflicting pair runs
//! in wave order, and each level's transactions run side by side over the shared wave cache; a
//! transaction without a list runs alone. Every access is checked against the list, so none
//! can see another's writes within its level: the receipts, gas, events and roots are those of
//! the sequential run.

mod deploy;
mod pipeline;
mod query;
pub mod schedule;
mod stream;
mod tx;

use std::sync::Arc;

use borsh::{BorshDeserialize, BorshSerialize};
use vmhost_abi::{
    keys, AccountRecord, Address, BlockContext, ContractRecord, ContractType, ErrorCode, Receipt, ReceiptStatus,
    StateKey, Transaction, WaveRecord,
};

use crate::cache::ModuleCache;
use crate::config::ExecConfig;
use crate::error::{Error, Result};
use crate::params::ConsensusParams;
use crate::registry::VmRegistry;
use crate::services::{ChainServices, ReferenceServices};
use crate::state::commit::{self, StateCommitment};
use crate::state::{Column, StateBytes, Store, WaveCache, WriteBatch};
use crate::vm::Vm;

pub use query::{Query, QueryOutcome};
pub use tx::intrinsic_gas;

/// Native stack the host's own frames may take per nested call (the host function, the call
/// path, the backend's entry and exit), on top of the backend's engine backstop. Measured at
/// 20–40 KiB in a debug build and under 10 KiB in release (`docs/architecture.md`); 256 KiB is
/// the reserve.
pub const HOST_FRAME_RESERVE: usize = 256 << 10;

/// Stack size of the executor threads for calls nested `max_call_depth` deep, each allowed
/// `per_call` bytes by its backend: `(max_call_depth + 2) × (per_call + HOST_FRAME_RESERVE)`
/// plus 8 MiB for the wave loop, deploys and commits.
pub fn executor_stack_size(max_call_depth: u32, per_call: usize) -> usize {
    (max_call_depth as usize + 2).saturating_mul(per_call.saturating_add(HOST_FRAME_RESERVE)).saturating_add(8 << 20)
}

/// Everything a transaction needs that outlives it: registry, module cache, configuration,
/// chain services and the store. Shared by every execution thread.
pub struct Env {
    /// Backends by contract type.
    pub registry: VmRegistry,
    /// Compiled modules.
    pub modules: ModuleCache,
    /// Executor configuration.
    pub config: ExecConfig,
    /// Chain-supplied crypto services.
    pub services: Arc<dyn ChainServices>,
    store: Arc<dyn Store>,
    /// Native stack a nested call must find left before it starts.
    nested_call_stack: usize,
}

/// What every transaction of one wave shares: the environment, the consensus parameters in
/// force, the block context and each backend's artifact tag under those parameters.
pub(crate) struct WaveCtx<'a> {
    pub(crate) env: &'a Env,
    pub(crate) params: &'a ConsensusParams,
    pub(crate) block: &'a BlockContext,
    tags: Vec<(ContractType, [u8; 32])>,
}

impl<'a> WaveCtx<'a> {
    pub(crate) fn new(env: &'a Env, params: &'a ConsensusParams, block: &'a BlockContext) -> Self {
        let tags = env
            .registry
            .types()
            .filter_map(|ty| env.registry.vm(ty).ok().map(|vm| (ty.clone(), crate::cache::artifact_tag(&**vm, params))))
            .collect();
        Self { env, params, block, tags }
    }

    /// The artifact tag of the backend serving `ty`.
    pub(crate) fn tag(&self, ty: &ContractType, vm: &dyn Vm) -> [u8; 32] {
        match self.tags.iter().find(|(t, _)| t == ty) {
            Some((_, tag)) => *tag,
            None => crate::cache::artifact_tag(vm, self.params),
        }
    }

    /// Native stack a nested call must find left.
    pub(crate) fn nested_call_stack(&self) -> usize {
        self.env.nested_call_stack
    }
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env").field("registry", &self.registry).field("config", &self.config).finish()
    }
}

impl Env {
    /// The persistent store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}

/// The committed head of the chain, persisted under `meta/head`.
#[derive(Debug, Clone, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ChainHead {
    /// Id of the last committed wave.
    pub last_wave: Option<u64>,
    /// Height of the last committed wave.
    pub height: u64,
    /// Number of the latest state commit (genesis is 0; a wave that changes no state does not
    /// commit). Each JMT shard keeps its own version in `commitment`.
    pub jmt_version: Option<u64>,
    /// State root after the last commit (`commitment.root()`).
    pub state_root: [u8; 32],
    /// The sharded JMT commitment behind `state_root`.
    pub commitment: StateCommitment,
    /// Waves committed.
    pub waves: u64,
}

/// The result of one committed wave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaveOutput {
    /// The commit record.
    pub record: WaveRecord,
    /// One receipt per transaction, in order.
    pub receipts: Vec<Receipt>,
    /// For each failed transaction, the reason in words (ingress refusal, deploy rejection,
    /// missing entry point, access-list violation, revert text, or the code's description).
    /// Node-local: never part of a receipt, a root or consensus; kept beside the wave's receipts
    /// ([`Chain::notes`]).
    pub notes: Vec<Option<String>>,
}

const HEAD_KEY: &[u8] = b"head";

/// A wave's commit, computed but not yet written ([`Chain::prepare_commit`]).
struct PreparedCommit {
    batch: WriteBatch,
    /// The JMT nodes it creates (read by the next wave's commit while this one is in flight).
    nodes: commit::NewNodes,
    head: ChainHead,
    floor: u64,
    prune_resume: Option<Vec<u8>>,
    new_log: Option<Vec<(u64, ConsensusParams)>>,
    output: WaveOutput,
    timing: CommitTiming,
}

/// Where a wave's commit spent its time (the `wave committed` log line).
#[derive(Debug, Clone, Copy, Default)]
struct CommitTiming {
    changed: usize,
    jmt_us: u64,
    prune_us: u64,
    encode_us: u64,
    write_us: u64,
}

impl CommitTiming {
    fn log(&self, out: &WaveOutput) {
        tracing::info!(
            wave_id = out.record.wave_id,
            root = %hex::encode(out.record.state_root),
            gas = out.record.gas_used,
            changed = self.changed,
            jmt_us = self.jmt_us,
            prune_us = self.prune_us,
            encode_us = self.encode_us,
            write_us = self.write_us,
            "wave committed"
        );
    }
}

/// What a commit prunes ([`Chain::prune_batch`]).
struct PruneBatch {
    floor: u64,
    batch: WriteBatch,
    resume: Option<Vec<u8>>,
    us: u64,
}

/// A transaction to execute, or the hash of bytes that did not decode as one.
type TxRef<'a> = core::result::Result<&'a Transaction, [u8; 32]>;
/// `Meta` key of the consensus parameters the chain ran under: borsh
/// `Vec<(first wave, ConsensusParams)>` (genesis is wave 0).
const PARAMS_KEY: &[u8] = b"params";

/// A chain's execution layer: store + registry + configuration.
pub struct Chain {
    env: Arc<Env>,
    cache: WaveCache,
    head: ChainHead,
    /// The parameter sets the store recorded, oldest first.
    params_log: Vec<(u64, ConsensusParams)>,
    /// The executor threads (their stacks sized for the deepest call chain).
    pool: Arc<rayon::ThreadPool>,
    /// Its stack size.
    exec_stack: usize,
    /// The oldest wave whose state this node can still read and prove (pruning).
    floor: u64,
    /// Where the next prune's scan of the stale index starts (`None`: at `floor`), so that a
    /// prune whose deletions are still in flight is not done twice ([`Chain::execute_waves`]).
    prune_from: Option<Vec<u8>>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain").field("head", &self.head).finish()
    }
}

fn wave_key(wave_id: u64) -> [u8; 8] {
    wave_id.to_be_bytes()
}

/// The node-local slot index's prefix: `slot/` ‖ contract ‖ guest slot.
const SLOT_INDEX: &[u8] = b"slot/";

fn slot_index_key(contract: &Address, slot: &[u8; 32]) -> Vec<u8> {
    [SLOT_INDEX, &contract.0, slot].concat()
}

/// `Meta` key of the pruning floor: the oldest wave whose state is still readable (`u64` BE).
const FLOOR_KEY: &[u8] = b"prune_floor";

/// Stale-index entries (one per shard and wave) one commit prunes at most: 16 waves' worth
/// (a 10K-transfer wave's are ~2 MB). A wave that falls out of the window needs one; a node
/// that shortens its window catches up over several commits.
const PRUNE_LIMIT: usize = 256;

/// Where a wave's shard commitment is kept (`commit/` ‖ wave id): a proof at a past wave
/// starts from it.
fn commitment_key(wave_id: u64) -> Vec<u8> {
    [&b"commit/"[..], &wave_key(wave_id)].concat()
}

/// Where a wave's failure reasons are kept (node-local, beside the head in the meta column).
fn notes_key(wave_id: u64) -> Vec<u8> {
    [&b"notes"[..], &wave_key(wave_id)].concat()
}

impl Chain {
    /// Opens a chain over `store`, resuming from its last committed wave, with the reference
    /// services ([`ReferenceServices::devnet`]: the devnet threshold committee, no parachain
    /// governance).
    pub fn open(store: Arc<dyn Store>, registry: VmRegistry, config: ExecConfig) -> Result<Self> {
        Self::open_with_services(store, registry, config, ReferenceServices::shared_devnet())
    }

    /// [`Chain::open`] with the chain's own services (its threshold provider and parachain
    /// governance). The provider's committee key must equal `crypto.threshold_committee_key`
    /// of every parameter set the configuration holds (a provider without threshold
    /// encryption is accepted: its host functions trap `Unsupported`).
    pub fn open_with_services(
        store: Arc<dyn Store>,
        registry: VmRegistry,
        config: ExecConfig,
        services: Arc<dyn ChainServices>,
    ) -> Result<Self> {
        // A wave committed in chunks that never finished (a crash mid-wave) leaves nothing.
        stream::rollback_pending(&*store)?;
        let head = match store.get(Column::Meta, HEAD_KEY)? {
            Some(bytes) => ChainHead::try_from_slice(&bytes).map_err(|e| Error::Corrupt(format!("chain head: {e}")))?,
            None => ChainHead { state_root: StateCommitment::default().root(), ..ChainHead::default() },
        };
        head.commitment.verify(&*store)?;
        if head.commitment.root() != head.state_root {
            return Err(Error::Corrupt("state root does not match the shard roots".into()));
        }
        config.validate()?;
        let params_log: Vec<(u64, ConsensusParams)> = match store.get(Column::Meta, PARAMS_KEY)? {
            Some(bytes) => borsh::from_slice(&bytes).map_err(|e| Error::Corrupt(format!("parameter log: {e}")))?,
            None if head.jmt_version.is_some() || head.waves > 0 => {
                return Err(Error::Corrupt("the store has a head but no consensus-parameter log".into()));
            }
            None => Vec::new(),
        };
        check_params_log(&config, &params_log, &head)?;
        if let Some(key) = services.threshold_committee_key() {
            if let Some(p) = config.param_sets().find(|p| p.crypto.threshold_committee_key != key) {
                return Err(Error::Config(format!(
                    "the threshold provider encrypts under committee key {} but consensus parameter \
                     crypto.threshold_committee_key is {}",
                    hex::encode(key),
                    hex::encode(p.crypto.threshold_committee_key)
                )));
            }
        }
        let mut per_call = 0usize;
        for ty in registry.types() {
            let Ok(vm) = registry.vm(ty) else { continue };
            for params in config.param_sets() {
                vm.check_params(params).map_err(|m| {
                    Error::Config(format!("backend {} cannot run these consensus parameters: {m}", vm.name()))
                })?;
            }
            per_call = per_call.max(vm.native_stack_per_call());
        }
        let max_depth = config.param_sets().map(|p| p.max_call_depth).max().unwrap_or(1);
        let stack = executor_stack_size(max_depth, per_call);
        let threads = config.node.threads.max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .stack_size(stack)
            .thread_name(|i| format!("vmhost-exec-{i}"))
            .build()
            .map_err(|e| Error::Internal(format!("executor thread: {e}")))?;
        let pool = Arc::new(pool);
        let modules = ModuleCache::new(config.node.module_cache_size);
        let nested_call_stack = per_call.saturating_add(HOST_FRAME_RESERVE);
        let floor = match store.get(Column::Meta, FLOOR_KEY)? {
            Some(b) => u64::from_be_bytes(b.try_into().map_err(|_| Error::Corrupt("pruning floor".into()))?),
            None => 0,
        };
        if config.node.retain_waves > 0 {
            prune_foreign_artifacts(&*store, &registry, &config)?;
        }
        if floor > 0 {
            set_value_floor(&*store, floor)?;
        }
        let env = Arc::new(Env { registry, modules, config, services, store: store.clone(), nested_call_stack });
        tracing::info!(waves = head.waves, root = %hex::encode(head.state_root), stack, floor, "chain opened");
        Ok(Self {
            env,
            cache: WaveCache::new(store),
            head,
            params_log,
            pool,
            exec_stack: stack,
            floor,
            prune_from: None,
        })
    }

    /// Stack size of the executor threads.
    pub fn executor_stack(&self) -> usize {
        self.exec_stack
    }

    /// Number of executor threads ([`NodeConfig::threads`](crate::NodeConfig::threads)).
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// The consensus parameters in force for wave `wave_id`.
    pub fn params_at(&self, wave_id: u64) -> &ConsensusParams {
        self.env.config.params_at(wave_id)
    }

    /// The parameter sets the chain has run under: `(first wave, parameters)`, oldest first.
    pub fn params_log(&self) -> &[(u64, ConsensusParams)] {
        &self.params_log
    }

    /// Records `params` as in force from `wave_id` when they differ from the last recorded set:
    /// the parameter log in `batch` and the parameters' hash in the state (`diff`).
    fn record_params(
        &self,
        wave_id: u64,
        params: &ConsensusParams,
        batch: &mut WriteBatch,
    ) -> Result<Option<Vec<(u64, ConsensusParams)>>> {
        if self.params_log.last().is_some_and(|(_, p)| p == params) {
            return Ok(None);
        }
        let mut log = self.params_log.clone();
        log.push((wave_id, params.clone()));
        batch.put(Column::Meta, PARAMS_KEY, borsh::to_vec(&log).map_err(|e| Error::Internal(e.to_string()))?);
        self.cache.apply([(keys::consensus_params(), Some(StateBytes::from(&params.hash()[..])))]);
        Ok(Some(log))
    }

    /// The shared environment.
    pub fn env(&self) -> &Arc<Env> {
        &self.env
    }

    /// The committed head.
    pub fn head(&self) -> &ChainHead {
        &self.head
    }

    /// The current state root.
    pub fn state_root(&self) -> [u8; 32] {
        self.head.state_root
    }

    /// Funds accounts in an empty chain (JMT version 0).
    pub fn genesis(&mut self, accounts: &[(Address, u128)]) -> Result<[u8; 32]> {
        if self.head.jmt_version.is_some() || self.head.waves > 0 {
            return Err(Error::GenesisApplied);
        }
        let mut diff = std::collections::BTreeMap::new();
        for (addr, balance) in accounts {
            let rec = AccountRecord { balance: *balance, nonce: 0 };
            diff.insert(keys::account(addr), Some(crate::state::StateBytes::from(&crate::accounts::encode(&rec)[..])));
        }
        let mut batch = WriteBatch::new();
        let params = self.env.config.params_at(0).clone();
        let log = self.record_params(0, &params, &mut batch)?;
        self.cache.discard_dirty();
        diff.insert(keys::consensus_params(), Some(StateBytes::from(&params.hash()[..])));
        let commitment = self.head.commitment.apply(&**self.env.store(), &diff, &mut batch, None)?;
        let root = commitment.root();
        let head = ChainHead { jmt_version: Some(0), state_root: root, commitment, ..self.head.clone() };
        batch.put(Column::Meta, HEAD_KEY, borsh::to_vec(&head).map_err(|e| Error::Internal(e.to_string()))?);
        self.env.store().write(batch)?;
        self.cache.discard();
        self.head = head;
        if let Some(log) = log {
            self.params_log = log;
        }
        Ok(root)
    }

    /// Decodes and executes raw transactions; bytes that do not decode get an `Invalid`
    /// receipt with `MalformedTransaction`.
    pub fn execute_wave_raw(&mut self, block: &BlockContext, raw: &[Vec<u8>]) -> Result<WaveOutput> {
        let decoded: Vec<core::result::Result<Transaction, [u8; 32]>> =
            raw.iter().map(|b| borsh::from_slice::<Transaction>(b).map_err(|_| *blake3::hash(b).as_bytes())).collect();
        let txs: Vec<TxRef<'_>> = decoded.iter().map(|t| t.as_ref().map_err(|h| *h)).collect();
        self.on_executor(|chain| chain.run_wave(block, &txs))
    }

    /// Executes a wave in order and commits it atomically.
    pub fn execute_wave(&mut self, block: &BlockContext, txs: &[Transaction]) -> Result<WaveOutput> {
        let txs: Vec<TxRef<'_>> = txs.iter().map(Ok).collect();
        self.on_executor(|chain| chain.run_wave(block, &txs))
    }

    /// Executes a wave without committing it (a dry run): returns the receipts and drops every
    /// state change. The head and the store are untouched (deploys in a simulation compile, but
    /// their artifacts are not written).
    pub fn simulate_wave(&mut self, block: &BlockContext, txs: &[Transaction]) -> Result<Vec<Receipt>> {
        Ok(self.simulate_wave_explained(block, txs)?.into_iter().map(|(r, _)| r).collect())
    }

    /// [`Chain::simulate_wave`], each receipt with the node-local reason a failed transaction
    /// failed (the reasons [`WaveOutput::notes`] carries).
    pub fn simulate_wave_explained(
        &mut self,
        block: &BlockContext,
        txs: &[Transaction],
    ) -> Result<Vec<(Receipt, Option<String>)>> {
        let txs: Vec<TxRef<'_>> = txs.iter().map(Ok).collect();
        self.on_executor(|chain| {
            let result = chain.execute_txs(block, &txs);
            drop(chain.env.modules.take_pending());
            match result {
                Ok(receipts) => {
                    chain.cache.discard_dirty();
                    Ok(receipts)
                }
                Err(e) => {
                    chain.cache.discard();
                    Err(e)
                }
            }
        })
    }

    /// Runs one transaction as a dry run (nothing committed, as [`Chain::simulate_wave`]) with
    /// `tracer` attached ([`crate::trace`]): it sees every frame and host call, whatever the
    /// backends. Returns the receipt (the one an untraced run gives) and the failure reason.
    pub fn trace_call(
        &mut self,
        block: &BlockContext,
        tx: &Transaction,
        tracer: &mut (dyn crate::trace::Tracer + 'static),
    ) -> Result<(Receipt, Option<String>)> {
        self.on_executor(|chain| {
            let params = chain.env.config.params_at(block.wave_id);
            let wave = WaveCtx::new(&chain.env, params, block);
            let result = tx::execute(&wave, &chain.cache, tx, None, Some(tracer));
            drop(chain.env.modules.take_pending());
            match result {
                Ok(r) => {
                    chain.cache.discard_dirty();
                    Ok(r)
                }
                Err(e) => {
                    chain.cache.discard();
                    Err(e)
                }
            }
        })
    }

    /// Runs a call read-only against the committed head, in the context of `block` (normally
    /// the next block): no nonce, no fee, nothing written — the store, the head and every
    /// account stay as they are ([`Query`]). The standard way to read contract state.
    pub fn query(&mut self, block: &BlockContext, q: &Query) -> Result<QueryOutcome> {
        self.on_executor(|chain| {
            let params = chain.env.config.params_at(block.wave_id);
            let wave = WaveCtx::new(&chain.env, params, block);
            let cap = chain.env.config.node.query_gas_cap;
            let result = query::query(&wave, &chain.cache, q, cap);
            // A module compiled for the query stays resident; its artifact is not written.
            drop(chain.env.modules.take_pending());
            if result.is_err() {
                chain.cache.discard();
            }
            result
        })
    }

    /// Runs `f` on the executor pool: execution, discards and commits of a wave all on its
    /// threads (their stacks are sized for the deepest call chain, and the wave cache stays in
    /// one core's caches instead of moving between the caller's thread and the pool's).
    fn on_executor<T: Send>(&mut self, f: impl FnOnce(&mut Self) -> Result<T> + Send) -> Result<T> {
        let pool = self.pool.clone();
        pool.install(|| f(self))
    }

    /// Runs `txs` (on the executor pool), merging their effects into the wave cache: in order
    /// on one thread, or level by level of the scheduler's non-conflicting transactions
    /// ([`schedule`]) side by side when the node has more. Either way the receipts come back in
    /// wave order and are those of running the wave in order.
    fn execute_txs(&self, block: &BlockContext, txs: &[TxRef<'_>]) -> Result<Vec<tx::Executed>> {
        let params = self.env.config.params_at(block.wave_id);
        let wave = WaveCtx::new(&self.env, params, block);
        let run = |tx: &TxRef<'_>, checked: Option<&tx::AccessCheck>| match tx {
            Ok(tx) => tx::execute(&wave, &self.cache, tx, checked, None),
            Err(hash) => Ok((
                tx::invalid(*hash, ErrorCode::MalformedTransaction),
                Some("the transaction's bytes do not decode".to_string()),
            )),
        };
        let reverse = self.env.config.node.reverse_levels;
        if (self.pool.current_num_threads() < 2 && !reverse) || txs.len() < 2 {
            // Sized once: a 200,000-transaction wave's receipts would otherwise be copied as
            // the vector doubles, holding up to 1.5× of them at the moment of each copy.
            let mut out = Vec::with_capacity(txs.len());
            for t in txs {
                out.push(run(t, None)?);
            }
            return Ok(out);
        }
        use rayon::prelude::*;
        // Each transaction's access-list check, once: the scheduler's footprint and the
        // ingress check of its execution.
        let checks: Vec<Option<tx::AccessCheck>> = txs
            .par_iter()
            .with_min_len(64)
            .map(|tx| match tx {
                Ok(tx) => Some(tx::check_access_list(&self.env.registry, params, tx)),
                Err(_) => None,
            })
            .collect();
        let footprints: Vec<schedule::Footprint<'_>> = checks
            .iter()
            .map(|c| match c {
                Some(c) => schedule::Footprint::from_check(c),
                // Bytes that did not decode touch nothing.
                None => schedule::Footprint::Keys(std::borrow::Cow::Owned(vmhost_abi::AccessList::new())),
            })
            .collect();
        let plan = schedule::Schedule::new(&footprints);
        let mut receipts: Vec<Option<tx::Executed>> = vec![None; txs.len()];
        for level in plan.levels() {
            if let [i] = level[..] {
                receipts[i as usize] = Some(run(&txs[i as usize], checks[i as usize].as_ref())?);
                continue;
            }
            if reverse {
                for &i in level.iter().rev() {
                    receipts[i as usize] = Some(run(&txs[i as usize], checks[i as usize].as_ref())?);
                }
                continue;
            }
            let out: Vec<(u32, tx::Executed)> = level
                .par_iter()
                .with_min_len(4)
                .map(|&i| run(&txs[i as usize], checks[i as usize].as_ref()).map(|r| (i, r)))
                .collect::<Result<_>>()?;
            for (i, r) in out {
                receipts[i as usize] = Some(r);
            }
        }
        receipts
            .into_iter()
            .map(|r| r.ok_or_else(|| Error::Internal("the schedule left a transaction out".into())))
            .collect()
    }

    /// Refuses a wave whose id does not follow the head's.
    fn check_wave_order(&self, block: &BlockContext) -> Result<()> {
        match self.head.last_wave {
            Some(last) if block.wave_id <= last => Err(Error::WaveOrder { last, got: block.wave_id }),
            _ => Ok(()),
        }
    }

    fn run_wave(&mut self, block: &BlockContext, txs: &[TxRef<'_>]) -> Result<WaveOutput> {
        self.check_wave_order(block)?;
        let span = tracing::info_span!("wave", wave_id = block.wave_id, txs = txs.len());
        let _guard = span.enter();
        // A long wave is committed in chunks: the same outcome, memory bounded by the chunk.
        let chunk = self.env.config.node.commit_chunk;
        // A chunked wave whose rollback could not be written (the store failed) goes first.
        stream::rollback_pending(&**self.env.store())?;
        if chunk > 0 && txs.len() > chunk {
            return self.run_wave_in_chunks(block, txs, chunk);
        }
        let mut prepared = self.execute_and_prepare(block, txs, None, false)?;
        let batch = std::mem::take(&mut prepared.batch);
        let started = std::time::Instant::now();
        if let Err(e) = self.env.store().write(batch) {
            tracing::error!(error = %e, "wave commit failed; state stays at the previous wave");
            self.cache.discard();
            return Err(e);
        }
        prepared.timing.write_us = started.elapsed().as_micros() as u64;
        let floor_moved = prepared.floor != self.floor;
        let (output, timing) = self.adopt(prepared, false);
        timing.log(&output);
        if floor_moved {
            set_value_floor(&**self.env.store(), self.floor)?;
        }
        Ok(output)
    }

    /// Executes a wave on top of the head and computes its commit (over `over`, the nodes of
    /// a commit still in flight, when there is one; keeping its own new nodes with
    /// `keep_nodes`, for the next wave of a pipeline). On an error nothing of the wave stays.
    fn execute_and_prepare(
        &mut self,
        block: &BlockContext,
        txs: &[TxRef<'_>],
        over: Option<&commit::NewNodes>,
        keep_nodes: bool,
    ) -> Result<PreparedCommit> {
        let executed = match self.execute_txs(block, txs) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "wave aborted: nothing of it is committed");
                self.cache.discard();
                drop(self.env.modules.take_pending());
                return Err(e);
            }
        };
        let (mut receipts, mut notes) = (Vec::with_capacity(executed.len()), Vec::with_capacity(executed.len()));
        for (r, n) in executed {
            receipts.push(r);
            notes.push(n);
        }
        self.prepare_commit(block, receipts, notes, over, keep_nodes).inspect_err(|e| {
            tracing::error!(error = %e, "wave commit failed; state stays at the previous wave");
            self.cache.discard();
        })
    }

    /// A wave's commit, computed and encoded but not written: the JMT update (over `over`,
    /// the nodes of a commit still in flight, when there is one), the pruning that goes with
    /// it, the roots, the record and the head.
    fn prepare_commit(
        &mut self,
        block: &BlockContext,
        receipts: Vec<Receipt>,
        notes: Vec<Option<String>>,
        over: Option<&commit::NewNodes>,
        keep_nodes: bool,
    ) -> Result<PreparedCommit> {
        let started = std::time::Instant::now();
        let params = self.env.config.params_at(block.wave_id).clone();
        let mut params_batch = WriteBatch::new();
        let new_log = self.record_params(block.wave_id, &params, &mut params_batch)?;
        let artifacts = self.env.modules.take_pending();
        let diff = self.cache.dirty();
        let enc = |e: std::io::Error| Error::Internal(format!("encoding failed: {e}"));
        let retain = self.env.config.node.retain_waves;
        // A pruning node indexes what this wave makes obsolete (and `prune_batch` deletes what
        // the wave that just left the window made obsolete).
        let stale_wave = (retain > 0).then_some((block.wave_id, 0));
        let store = &**self.env.store();
        // The state commitment, the pruning and the receipts' roots and encoding are
        // independent: run them side by side (the JMT shards rarely keep both threads busy).
        let (state, wave_part) = rayon::join(
            || -> Result<_> {
                let (applied, pruned) = rayon::join(
                    || -> Result<_> {
                        let mut batch = WriteBatch::new();
                        if diff.is_empty() {
                            let c = self.head.commitment.clone();
                            return Ok((self.head.jmt_version, c, batch, commit::NewNodes::default()));
                        }
                        let v = self.head.jmt_version.map_or(0, |v| v + 1);
                        let (c, nodes) =
                            self.head.commitment.apply_over(store, over, keep_nodes, &diff, &mut batch, stale_wave)?;
                        Ok((Some(v), c, batch, nodes))
                    },
                    || self.prune_batch(block.wave_id),
                );
                let (version, commitment, mut batch, nodes) = applied?;
                let pruned = pruned?;
                batch.append(pruned.batch);
                Ok((version, commitment, batch, nodes, pruned.floor, pruned.resume, pruned.us))
            },
            || -> Result<_> {
                let events: Vec<&vmhost_abi::Event> = receipts.iter().flat_map(|r| r.events.iter()).collect();
                let roots = (
                    commit::events_root(&events),
                    commit::events_bloom(&events).to_vec(),
                    commit::receipts_root(&receipts),
                );
                Ok((roots, borsh::to_vec(&receipts).map_err(enc)?))
            },
        );
        let (version, commitment, mut batch, nodes, floor, prune_resume, prune_us) = state?;
        let ((events_root, events_bloom, receipts_root), encoded_receipts) = wave_part?;
        let jmt_done = std::time::Instant::now();
        let state_root = commitment.root();
        let tx_count = u32::try_from(receipts.len())
            .map_err(|_| Error::Internal(format!("{} transactions in one wave", receipts.len())))?;
        let gas_used = receipts
            .iter()
            .try_fold(0u64, |sum, r| sum.checked_add(r.gas_used))
            .ok_or_else(|| Error::Internal("the wave's gas does not fit a u64".into()))?;
        let record = WaveRecord {
            wave_id: block.wave_id,
            height: block.height,
            state_root,
            events_root,
            events_bloom,
            receipts_root,
            tx_count,
            gas_used,
            version: version.unwrap_or(0),
            params_hash: params.hash(),
        };
        batch.append(params_batch);
        for (key, artifact) in artifacts {
            batch.put(Column::Artifacts, key, artifact);
        }
        // All of a wave's receipts under one key (as Ethereum clients store a block's): one
        // store write instead of one per transaction.
        batch.put(Column::Receipts, wave_key(block.wave_id), encoded_receipts);
        batch.put(Column::Waves, wave_key(block.wave_id), borsh::to_vec(&record).map_err(enc)?);
        // The node-local slot index: one empty value per slot created (not consensus state).
        for (contract, slot) in self.cache.take_created_slots() {
            batch.put(Column::Meta, slot_index_key(&contract, &slot), Vec::new());
        }
        // The reasons, node-local (no root covers them), only for a wave that has any.
        if notes.iter().any(Option::is_some) {
            batch.put(Column::Meta, notes_key(block.wave_id), borsh::to_vec(&notes).map_err(enc)?);
        }
        let head = ChainHead {
            last_wave: Some(block.wave_id),
            height: block.height,
            jmt_version: version,
            state_root,
            commitment,
            waves: self.head.waves + 1,
        };
        batch.put(Column::Meta, HEAD_KEY, borsh::to_vec(&head).map_err(enc)?);
        batch.put(Column::Meta, commitment_key(block.wave_id), borsh::to_vec(&head.commitment).map_err(enc)?);
        if floor != self.floor {
            batch.put(Column::Meta, FLOOR_KEY, floor.to_be_bytes().to_vec());
        }
        let encoded = std::time::Instant::now();
        Ok(PreparedCommit {
            batch,
            nodes,
            head,
            floor,
            prune_resume,
            new_log,
            output: WaveOutput { record, receipts, notes },
            timing: CommitTiming {
                changed: diff.len(),
                jmt_us: (jmt_done - started).as_micros() as u64,
                prune_us,
                encode_us: (encoded - jmt_done).as_micros() as u64,
                write_us: 0,
            },
        })
    }

    /// Makes a prepared commit the chain's head (its batch written, or in flight with
    /// `pinned`: then the wave cache keeps every entry the wave wrote, whatever its size, for
    /// the store does not have them yet). The caller tells the store a moved floor once the
    /// batch is written.
    fn adopt(&mut self, prepared: PreparedCommit, pinned: bool) -> (WaveOutput, CommitTiming) {
        self.adopt_head(prepared.head, prepared.floor, prepared.prune_resume, prepared.new_log, pinned);
        (prepared.output, prepared.timing)
    }

    /// The chain's side of a commit: the wave cache's entries become committed (see
    /// [`Chain::adopt`] for `pinned`), and the head, pruning floor, prune cursor and
    /// parameter log move on.
    fn adopt_head(
        &mut self,
        head: ChainHead,
        floor: u64,
        prune_resume: Option<Vec<u8>>,
        new_log: Option<Vec<(u64, ConsensusParams)>>,
        pinned: bool,
    ) {
        self.cache.mark_committed(self.env.config.node.wave_cache_max_entries, pinned);
        self.head = head;
        self.floor = floor;
        if prune_resume.is_some() {
            self.prune_from = prune_resume;
        }
        if let Some(log) = new_log {
            self.params_log = log;
        }
    }

    /// On a pruning node, the deletions the commit of `wave_id` carries: the JMT nodes the
    /// waves that left the window replaced (the states from the returned floor on stay
    /// readable), with the new floor and the microseconds it took.
    fn prune_batch(&self, wave_id: u64) -> Result<PruneBatch> {
        let mut batch = WriteBatch::new();
        let retain = self.env.config.node.retain_waves;
        // Never the wave being committed: its own stale entries are in this batch, not yet in
        // the store.
        let through = (retain > 0)
            .then(|| wave_id.saturating_add(1).checked_sub(retain))
            .flatten()
            .and_then(|t| Some(t.min(wave_id.checked_sub(1)?)));
        let Some(through) = through.filter(|t| *t >= self.floor) else {
            return Ok(PruneBatch { floor: self.floor, batch, resume: None, us: 0 });
        };
        let t = std::time::Instant::now();
        let from = self.prune_from.clone().unwrap_or_else(|| self.floor.to_be_bytes().to_vec());
        let stats = commit::prune(&**self.env.store(), &from, through, PRUNE_LIMIT, &mut batch)?;
        // Done up to `through`: the window starts there. Cut short: at the last wave whose
        // entries it reached.
        let floor = if stats.complete { through } else { stats.floor.unwrap_or(self.floor) };
        tracing::debug!(nodes = stats.nodes, floor, "pruned");
        Ok(PruneBatch { floor: floor.max(self.floor), batch, resume: stats.resume, us: t.elapsed().as_micros() as u64 })
    }

    fn read_state(&self, key: &StateKey) -> Result<Option<Vec<u8>>> {
        commit::latest_value(&**self.env.store(), key)
    }

    /// An account as committed.
    pub fn account(&self, addr: &Address) -> Result<AccountRecord> {
        match self.read_state(&keys::account(addr))? {
            Some(b) => crate::accounts::decode(&b),
            None => Ok(AccountRecord::default()),
        }
    }

    /// A contract record as committed.
    pub fn contract(&self, addr: &Address) -> Result<Option<ContractRecord>> {
        self.read_record(&keys::contract(addr))
    }

    /// A contract's pending upgrade as committed, with its code: public from the proposal on,
    /// so anyone can read the code before it runs. From its `activates_at_wave` on the upgrade
    /// is in effect ([`ContractRecord::code_at`]) even though the record still lists it until
    /// its next write.
    pub fn pending_upgrade(&self, addr: &Address) -> Result<Option<(vmhost_abi::PendingUpgrade, Vec<u8>)>> {
        let Some(pending) = self.contract(addr)?.and_then(|r| r.pending_upgrade) else {
            return Ok(None);
        };
        let code = self.read_state(&keys::code(&pending.code_hash))?.ok_or_else(|| {
            Error::Corrupt(format!("code {} of a pending upgrade missing", hex::encode(pending.code_hash)))
        })?;
        Ok(Some((pending, code)))
    }

    /// A borsh record at `key` as committed.
    pub fn read_record<T: BorshDeserialize>(&self, key: &StateKey) -> Result<Option<T>> {
        match self.read_state(key)? {
            Some(b) => T::try_from_slice(&b).map(Some).map_err(|e| Error::Corrupt(format!("record at {key:?}: {e}"))),
            None => Ok(None),
        }
    }

    /// A contract storage slot as committed.
    pub fn storage(&self, contract: &Address, slot: &[u8; 32]) -> Result<Option<Vec<u8>>> {
        self.read_state(&keys::storage(contract, slot))
    }

    /// A state value as committed in the JMT at the head (proof-backed path).
    pub fn jmt_get(&self, key: &StateKey) -> Result<Option<Vec<u8>>> {
        self.head.commitment.get(&**self.env.store(), key)
    }

    /// The oldest wave whose state this node can still read and prove (0 on an archive node,
    /// or before anything was pruned).
    pub fn prune_floor(&self) -> u64 {
        self.floor
    }

    /// `key`'s value in the state after wave `wave` (`None`: at the head, including a chain
    /// with only its genesis) with a proof against that state's root, which
    /// [`commit::verify_proof`] checks with nothing but the root. A wave this node has pruned
    /// is refused ([`Error::Pruned`]), as is one it never committed.
    pub fn prove(&self, key: &StateKey, wave: Option<u64>) -> Result<StateProofAt> {
        let store = &**self.env.store();
        let (commitment, wave) = match wave {
            None => (self.head.commitment.clone(), self.head.last_wave),
            Some(w) => {
                if self.head.last_wave.is_none_or(|last| w > last) {
                    return Err(Error::UnknownWave(w));
                }
                if w < self.floor {
                    return Err(Error::Pruned { wave: w, oldest: self.floor });
                }
                let bytes = store.get(Column::Meta, &commitment_key(w))?.ok_or(Error::UnknownWave(w))?;
                let c = StateCommitment::try_from_slice(&bytes)
                    .map_err(|e| Error::Corrupt(format!("commitment of wave {w}: {e}")))?;
                (c, Some(w))
            }
        };
        let (value, proof) = commitment.prove(store, key)?;
        Ok(StateProofAt { wave, state_root: commitment.root(), value, proof })
    }

    /// A committed wave's record.
    pub fn wave_record(&self, wave_id: u64) -> Result<Option<WaveRecord>> {
        match self.env.store().get(Column::Waves, &wave_key(wave_id))? {
            Some(b) => WaveRecord::try_from_slice(&b).map(Some).map_err(|e| Error::Corrupt(e.to_string())),
            None => Ok(None),
        }
    }

    /// A committed wave's receipts, in order (empty for an unknown wave).
    pub fn receipts(&self, wave_id: u64) -> Result<Vec<Receipt>> {
        Ok(self.receipt_chunks(wave_id)?.into_iter().flat_map(|(_, r)| r).collect())
    }

    /// A wave's receipts as stored: one list under the wave id, or one per chunk of a wave
    /// committed in chunks ([`Chain::execute_wave_streamed`]), with the key suffix (chunk).
    fn receipt_chunks(&self, wave_id: u64) -> Result<Vec<(Vec<u8>, Vec<Receipt>)>> {
        let prefix = wave_key(wave_id);
        self.env
            .store()
            .scan_prefix(Column::Receipts, &prefix, usize::MAX)?
            .into_iter()
            .map(|(k, b)| {
                let r = Vec::<Receipt>::try_from_slice(&b)
                    .map_err(|e| Error::Corrupt(format!("receipts of wave {wave_id}: {e}")))?;
                Ok((k[prefix.len()..].to_vec(), r))
            })
            .collect()
    }

    /// A contract's non-empty storage slots as committed, by guest slot key, with their values
    /// (at most `limit`). From the node-local slot index: every slot a transaction created
    /// while this node executed it (an entry per creation, written with the wave; not
    /// consensus state, no root covers it). Costs one prefix scan of the index plus one state
    /// read per slot; slots since deleted are skipped.
    pub fn storage_slots(&self, contract: &Address, limit: usize) -> Result<Vec<([u8; 32], Vec<u8>)>> {
        let prefix = [SLOT_INDEX, &contract.0].concat();
        let mut out = Vec::new();
        // The index also holds slots since deleted: scan on until `limit` live ones.
        let rows = self.env.store().scan_prefix(Column::Meta, &prefix, usize::MAX)?;
        for (key, _) in rows {
            let Ok(slot) = <[u8; 32]>::try_from(&key[prefix.len()..]) else {
                return Err(Error::Corrupt(format!("slot index key of {} bytes", key.len())));
            };
            if let Some(v) = self.storage(contract, &slot)? {
                out.push((slot, v));
                if out.len() == limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// The reasons the failed transactions of a committed wave failed, one entry per receipt
    /// (`None` for a success, or for every transaction of a wave committed before reasons were
    /// kept). Node-local: a node that replays the chain writes its own.
    pub fn notes(&self, wave_id: u64) -> Result<Vec<Option<String>>> {
        // Chunk by chunk of the receipts (one chunk with an empty suffix for a wave committed
        // at once): each chunk's reasons if it had any, `None`s otherwise.
        let mut out = Vec::new();
        for (suffix, receipts) in self.receipt_chunks(wave_id)? {
            let key = [&notes_key(wave_id)[..], &suffix].concat();
            match self.env.store().get(Column::Meta, &key)? {
                Some(b) => out.extend(
                    Vec::<Option<String>>::try_from_slice(&b)
                        .map_err(|e| Error::Corrupt(format!("failure reasons of wave {wave_id}: {e}")))?,
                ),
                None => out.extend(std::iter::repeat_n(None, receipts.len())),
            }
        }
        Ok(out)
    }
}

/// A value with its proof, as [`Chain::prove`] returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct StateProofAt {
    /// The wave whose state it is (`None`: genesis only).
    pub wave: Option<u64>,
    /// That state's root (the wave record's `state_root`).
    pub state_root: [u8; 32],
    /// The key's value (`None`: absent).
    pub value: Option<Vec<u8>>,
    /// The proof of it.
    pub proof: commit::StateProof,
}

/// Tells the store the shard versions of the oldest readable state (the first committed wave
/// from `floor` on), below which it may drop superseded value versions.
fn set_value_floor(store: &dyn Store, floor: u64) -> Result<()> {
    let end = [&b"commit/"[..], &[0xff; 9]].concat();
    let Some((_, bytes)) = store.scan_range(Column::Meta, &commitment_key(floor), &end, 1)?.pop() else {
        return Ok(());
    };
    let c = StateCommitment::try_from_slice(&bytes).map_err(|e| Error::Corrupt(format!("wave commitment: {e}")))?;
    store.set_value_floor(&c.versions);
    Ok(())
}

/// Deletes compiled artifacts that no registered backend can load under any parameter set of
/// the configuration (an engine or parameter upgrade changes the artifact tag): one range scan
/// of each gap between the tags in use.
fn prune_foreign_artifacts(store: &dyn Store, registry: &VmRegistry, config: &ExecConfig) -> Result<()> {
    let mut tags: Vec<[u8; 32]> = registry
        .types()
        .filter_map(|ty| registry.vm(ty).ok())
        .flat_map(|vm| config.param_sets().map(move |p| crate::cache::artifact_tag(&**vm, p)).collect::<Vec<_>>())
        .collect();
    tags.sort_unstable();
    tags.dedup();
    // Keys are tag ‖ code hash (64 bytes): a tag's keys all sort below tag ‖ 0xff… ‖ 0.
    let mut bounds: Vec<Vec<u8>> = vec![Vec::new()];
    for t in &tags {
        bounds.push(t.to_vec());
        bounds.push([&t[..], &[0xff; 33]].concat());
    }
    bounds.push(vec![0xff; 65]);
    let mut batch = WriteBatch::new();
    for gap in bounds.chunks(2) {
        for (key, _) in store.scan_range(Column::Artifacts, &gap[0], &gap[1], usize::MAX)? {
            batch.delete(Column::Artifacts, key);
        }
    }
    if !batch.is_empty() {
        tracing::info!(artifacts = batch.len(), "pruned artifacts of other engine versions or parameters");
        store.write(batch)?;
    }
    Ok(())
}

/// Checks the configured parameters against the ones the store ran under.
fn check_params_log(config: &ExecConfig, log: &[(u64, ConsensusParams)], head: &ChainHead) -> Result<()> {
    let mismatch = |stored: &ConsensusParams, configured: &ConsensusParams| -> Result<()> {
        match stored.diff(configured).into_iter().next() {
            Some((name, stored, configured)) => Err(Error::ParamsMismatch { name, stored, configured }),
            None => Ok(()),
        }
    };
    for (from, stored) in log {
        mismatch(stored, config.params_at(*from))?;
    }
    // An upgrade the configuration schedules at or before the last committed wave must be one
    // the store recorded (or change nothing).
    if let (Some(last_wave), Some((_, last))) = (head.last_wave, log.last()) {
        mismatch(last, config.params_at(last_wave))?;
    }
    Ok(())
}

/// Classifies a call's code into a receipt status.
pub(crate) fn status_of(code: ErrorCode) -> ReceiptStatus {
    if code.is_ok() {
        ReceiptStatus::Success
    } else if code.is_revert() {
        ReceiptStatus::Reverted
    } else if code.is_vm_trap() || code.is_host_error() {
        ReceiptStatus::Trapped
    } else if code.is_ingress() {
        ReceiptStatus::Invalid
    } else {
        ReceiptStatus::Failed
    }
}
