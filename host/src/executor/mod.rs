//! The transaction pipeline and wave commit.
//!
//! A [`Chain`] owns the store, the wave cache and the head. [`Chain::execute_wave`] runs a
//! wave's transactions in order — each staged as validate → charge → checkpoint → dispatch →
//! commit/revert → receipt — then commits the wave: JMT state root, events root and bloom,
//! receipts root, and one atomic write batch (state, JMT nodes, receipts, wave record, head).
//! A commit that fails leaves the store at the previous wave, and the wave cache is dropped.

mod deploy;
mod tx;

use std::sync::Arc;

use borsh::{BorshDeserialize, BorshSerialize};
use vmhost_abi::{
    keys, AccountRecord, Address, BlockContext, ContractRecord, ErrorCode, Receipt, ReceiptStatus, StateKey,
    Transaction, WaveRecord,
};

use crate::cache::ModuleCache;
use crate::config::ExecConfig;
use crate::error::{Error, Result};
use crate::hostfns::{ChainServices, NoServices};
use crate::registry::VmRegistry;
use crate::state::commit::{self, StateCommitment};
use crate::state::{Column, Store, WaveCache, WriteBatch};

pub use tx::intrinsic_gas;

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
}

const HEAD_KEY: &[u8] = b"head";

/// A chain's execution layer: store + registry + configuration.
pub struct Chain {
    env: Arc<Env>,
    cache: WaveCache,
    head: ChainHead,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain").field("head", &self.head).finish()
    }
}

fn wave_key(wave_id: u64) -> [u8; 8] {
    wave_id.to_be_bytes()
}

impl Chain {
    /// Opens a chain over `store`, resuming from its last committed wave.
    pub fn open(store: Arc<dyn Store>, registry: VmRegistry, config: ExecConfig) -> Result<Self> {
        Self::open_with_services(store, registry, config, Arc::new(NoServices))
    }

    /// [`Chain::open`] with chain-supplied crypto services.
    pub fn open_with_services(
        store: Arc<dyn Store>,
        registry: VmRegistry,
        config: ExecConfig,
        services: Arc<dyn ChainServices>,
    ) -> Result<Self> {
        let head = match store.get(Column::Meta, HEAD_KEY)? {
            Some(bytes) => ChainHead::try_from_slice(&bytes).map_err(|e| Error::Corrupt(format!("chain head: {e}")))?,
            None => ChainHead { state_root: StateCommitment::default().root(), ..ChainHead::default() },
        };
        head.commitment.verify(&*store)?;
        if head.commitment.root() != head.state_root {
            return Err(Error::Corrupt("state root does not match the shard roots".into()));
        }
        let modules = ModuleCache::new(config.module_cache_size);
        let env = Arc::new(Env { registry, modules, config, services, store: store.clone() });
        tracing::info!(waves = head.waves, root = %hex::encode(head.state_root), "chain opened");
        Ok(Self { env, cache: WaveCache::new(store), head })
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
        let commitment = self.head.commitment.apply(&**self.env.store(), &diff, &mut batch)?;
        let root = commitment.root();
        let head = ChainHead { jmt_version: Some(0), state_root: root, commitment, ..self.head.clone() };
        batch.put(Column::Meta, HEAD_KEY, borsh::to_vec(&head).map_err(|e| Error::Internal(e.to_string()))?);
        self.env.store().write(batch)?;
        self.cache.discard();
        self.head = head;
        Ok(root)
    }

    /// Decodes and executes raw transactions; bytes that do not decode get an `Invalid`
    /// receipt with `MalformedTransaction`.
    pub fn execute_wave_raw(&mut self, block: &BlockContext, raw: &[Vec<u8>]) -> Result<WaveOutput> {
        let decoded: Vec<core::result::Result<Transaction, [u8; 32]>> =
            raw.iter().map(|b| borsh::from_slice::<Transaction>(b).map_err(|_| *blake3::hash(b).as_bytes())).collect();
        self.run_wave(block, &decoded)
    }

    /// Executes a wave in order and commits it atomically.
    pub fn execute_wave(&mut self, block: &BlockContext, txs: &[Transaction]) -> Result<WaveOutput> {
        let decoded: Vec<core::result::Result<Transaction, [u8; 32]>> = txs.iter().cloned().map(Ok).collect();
        self.run_wave(block, &decoded)
    }

    /// Executes a wave without committing it (a dry run): returns the receipts and drops every
    /// state change. The head and the store are untouched.
    pub fn simulate_wave(&mut self, block: &BlockContext, txs: &[Transaction]) -> Result<Vec<Receipt>> {
        let mut receipts = Vec::with_capacity(txs.len());
        for tx in txs {
            match tx::execute(&self.env, &self.cache, block, tx) {
                Ok(r) => receipts.push(r),
                Err(e) => {
                    self.cache.discard();
                    return Err(e);
                }
            }
        }
        self.cache.discard_dirty();
        Ok(receipts)
    }

    fn run_wave(
        &mut self,
        block: &BlockContext,
        txs: &[core::result::Result<Transaction, [u8; 32]>],
    ) -> Result<WaveOutput> {
        if let Some(last) = self.head.last_wave {
            if block.wave_id <= last {
                return Err(Error::WaveOrder { last, got: block.wave_id });
            }
        }
        let span = tracing::info_span!("wave", wave_id = block.wave_id, txs = txs.len());
        let _guard = span.enter();
        let mut receipts = Vec::with_capacity(txs.len());
        for tx in txs {
            let receipt = match tx {
                Ok(tx) => tx::execute(&self.env, &self.cache, block, tx),
                Err(hash) => Ok(tx::invalid(*hash, ErrorCode::MalformedTransaction)),
            };
            match receipt {
                Ok(r) => receipts.push(r),
                Err(e) => {
                    self.cache.discard();
                    return Err(e);
                }
            }
        }
        match self.commit_wave(block, receipts) {
            Ok(out) => Ok(out),
            Err(e) => {
                tracing::error!(error = %e, "wave commit failed; state stays at the previous wave");
                self.cache.discard();
                Err(e)
            }
        }
    }

    fn commit_wave(&mut self, block: &BlockContext, receipts: Vec<Receipt>) -> Result<WaveOutput> {
        let started = std::time::Instant::now();
        let diff = self.cache.dirty();
        let enc = |e: std::io::Error| Error::Internal(format!("encoding failed: {e}"));
        // The state commitment and the receipts' roots and encoding are independent: run them
        // side by side (the JMT shards rarely keep both threads busy to the end).
        let (state, wave_part) = rayon::join(
            || -> Result<_> {
                let mut batch = WriteBatch::new();
                if diff.is_empty() {
                    return Ok((self.head.jmt_version, self.head.commitment.clone(), batch));
                }
                let v = self.head.jmt_version.map_or(0, |v| v + 1);
                let c = self.head.commitment.apply(&**self.env.store(), &diff, &mut batch)?;
                Ok((Some(v), c, batch))
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
        let (version, commitment, mut batch) = state?;
        let ((events_root, events_bloom, receipts_root), encoded_receipts) = wave_part?;
        let jmt_done = std::time::Instant::now();
        let state_root = commitment.root();
        let record = WaveRecord {
            wave_id: block.wave_id,
            height: block.height,
            state_root,
            events_root,
            events_bloom,
            receipts_root,
            tx_count: receipts.len() as u32,
            gas_used: receipts.iter().map(|r| r.gas_used).sum(),
            version: version.unwrap_or(0),
        };
        // All of a wave's receipts under one key (as Ethereum clients store a block's): one
        // store write instead of one per transaction.
        batch.put(Column::Receipts, wave_key(block.wave_id), encoded_receipts);
        batch.put(Column::Waves, wave_key(block.wave_id), borsh::to_vec(&record).map_err(enc)?);
        let head = ChainHead {
            last_wave: Some(block.wave_id),
            height: block.height,
            jmt_version: version,
            state_root,
            commitment,
            waves: self.head.waves + 1,
        };
        batch.put(Column::Meta, HEAD_KEY, borsh::to_vec(&head).map_err(enc)?);
        let encoded = std::time::Instant::now();
        self.env.store().write(batch)?;
        let written = std::time::Instant::now();
        self.cache.mark_committed(self.env.config.wave_cache_max_entries);
        self.head = head;
        tracing::info!(
            root = %hex::encode(state_root),
            gas = record.gas_used,
            changed = diff.len(),
            jmt_us = (jmt_done - started).as_micros() as u64,
            encode_us = (encoded - jmt_done).as_micros() as u64,
            write_us = (written - encoded).as_micros() as u64,
            "wave committed"
        );
        Ok(WaveOutput { record, receipts })
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

    /// A committed wave's record.
    pub fn wave_record(&self, wave_id: u64) -> Result<Option<WaveRecord>> {
        match self.env.store().get(Column::Waves, &wave_key(wave_id))? {
            Some(b) => WaveRecord::try_from_slice(&b).map(Some).map_err(|e| Error::Corrupt(e.to_string())),
            None => Ok(None),
        }
    }

    /// A committed wave's receipts, in order (empty for an unknown wave).
    pub fn receipts(&self, wave_id: u64) -> Result<Vec<Receipt>> {
        match self.env.store().get(Column::Receipts, &wave_key(wave_id))? {
            Some(b) => Vec::<Receipt>::try_from_slice(&b)
                .map_err(|e| Error::Corrupt(format!("receipts of wave {wave_id}: {e}"))),
            None => Ok(Vec::new()),
        }
    }
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
