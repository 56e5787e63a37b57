//! The module cache (seed §3.4): compiled modules by contract, LRU, content addressed.
//!
//! - Keyed by contract address (LRU, default 256 resident); an entry remembers the code hash it
//!   was built from, so an upgraded contract's stale module is never used.
//! - Identical code shares one compiled module (by artifact tag ‖ code hash).
//! - An artifact is the host's envelope around the backend's bytes: a magic, the [`ModuleMeta`]
//!   the host keeps (initial memory, entry points), then the backend's artifact. Its tag
//!   ([`artifact_tag`]) combines the host pipeline's tag (ABI, metering, stack-pass versions,
//!   operator weights) with the engine's, so an artifact prepared under other rules or for
//!   another engine is never looked up.
//! - A miss loads the artifact from the store (`artifacts` column, key = tag ‖ code hash). An
//!   artifact that is missing, foreign or corrupt is recompiled from the source code kept in
//!   state; stale code is never loaded. Whether the cache hit never changes gas.
//! - New artifacts (deploys, recompiles) are not written when they are made: they wait in a
//!   pending list that the wave's commit writes in its batch ([`ModuleCache::take_pending`]) and
//!   that a dry run drops, so a simulation leaves the store as it was.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroUsize;
use std::sync::{Arc, Weak};

use lru::LruCache;
use parking_lot::Mutex;
use vmhost_abi::{Address, ErrorCode};

use crate::error::{Error, Result};
use crate::params::ConsensusParams;
use crate::state::{Column, Store};
use crate::vm::{CodeFormat, Module, PrepareError, Vm, VmError};
use crate::wasm::{self, ModuleMeta};

/// Counters, for `inspect` and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    /// Served from the LRU.
    pub hits: u64,
    /// Shared with another contract of identical code.
    pub shared: u64,
    /// Loaded from a stored artifact.
    pub loads: u64,
    /// Compiled from source because the artifact was missing, foreign or corrupt.
    pub recompiles: u64,
    /// Artifacts that failed to load.
    pub bad_artifacts: u64,
}

/// A loaded module and what the host knows about it.
pub struct LoadedModule {
    /// The backend's module.
    pub module: Arc<dyn Module>,
    /// Host-side facts (initial memory, entry points).
    pub meta: ModuleMeta,
}

impl std::fmt::Debug for LoadedModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedModule").field("meta", &self.meta).finish()
    }
}

/// A shared loaded module.
pub type Loaded = Arc<LoadedModule>;

struct CachedModule {
    code_hash: [u8; 32],
    module: Loaded,
}

struct Inner {
    by_contract: LruCache<Address, CachedModule>,
    by_code: HashMap<([u8; 32], [u8; 32]), Weak<LoadedModule>>,
    /// Artifacts made since the last commit, by store key, waiting for the commit's batch.
    pending: BTreeMap<Vec<u8>, Vec<u8>>,
    stats: CacheStats,
}

/// The module cache shared by every execution thread.
pub struct ModuleCache {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for ModuleCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleCache").field("stats", &self.stats()).finish()
    }
}

/// The artifact key: tag ‖ code hash.
pub fn artifact_key(tag: &[u8; 32], code_hash: &[u8; 32]) -> Vec<u8> {
    let mut k = Vec::with_capacity(64);
    k.extend_from_slice(tag);
    k.extend_from_slice(code_hash);
    k
}

/// The tag of `vm`'s artifacts under `params`: the host pipeline's tag (for host-prepared
/// wasm) combined with the engine's.
pub fn artifact_tag(vm: &dyn Vm, params: &ConsensusParams) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"vmhost/v1/artifact-tag");
    match vm.code_format() {
        CodeFormat::Wasm(pipeline) => {
            h.update(&[1]);
            h.update(&wasm::pipeline_tag(&params.ops, pipeline));
        }
        CodeFormat::Custom => {
            h.update(&[2]);
        }
    }
    h.update(&vm.artifact_tag());
    *h.finalize().as_bytes()
}

/// Magic of the host's artifact envelope.
const ENVELOPE_MAGIC: &[u8; 8] = b"VMHART\x01\x00";

fn envelope(meta: &ModuleMeta, backend: Vec<u8>) -> Result<Vec<u8>> {
    let meta = borsh::to_vec(meta).map_err(|e| Error::Internal(format!("module meta: {e}")))?;
    let len = u32::try_from(meta.len()).map_err(|_| Error::Internal("module meta too large".into()))?;
    let mut out = Vec::with_capacity(12 + meta.len() + backend.len());
    out.extend_from_slice(ENVELOPE_MAGIC);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&meta);
    out.extend_from_slice(&backend);
    Ok(out)
}

fn open_envelope(artifact: &[u8]) -> core::result::Result<(ModuleMeta, &[u8]), VmError> {
    let bad = |why: &str| VmError::BadArtifact(format!("host envelope: {why}"));
    let rest = artifact.strip_prefix(&ENVELOPE_MAGIC[..]).ok_or_else(|| bad("no magic"))?;
    let (len, rest) = rest.split_at_checked(4).ok_or_else(|| bad("truncated"))?;
    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
    let (meta, backend) = rest.split_at_checked(len).ok_or_else(|| bad("truncated meta"))?;
    let meta = borsh::from_slice(meta).map_err(|_| bad("meta does not decode"))?;
    Ok((meta, backend))
}

/// The host's facts about an enveloped artifact (what [`build_artifact`] made).
pub fn artifact_meta(artifact: &[u8]) -> core::result::Result<ModuleMeta, VmError> {
    open_envelope(artifact).map(|(meta, _)| meta)
}

/// Why code was refused: the deploy-range code for the receipt, and a reason for its author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Receipt code (200-299).
    pub code: ErrorCode,
    /// What rule or limit it broke.
    pub message: String,
}

/// Prepares and compiles `code` for `vm` under `params`: the host pipeline for wasm backends,
/// the backend alone for its own format. Returns the enveloped artifact, or why the code is
/// refused; `Err` is an infrastructure failure.
pub fn build_artifact(
    vm: &dyn Vm,
    code: &[u8],
    params: &ConsensusParams,
) -> Result<core::result::Result<Vec<u8>, Rejection>> {
    let (to_compile, meta) = match vm.code_format() {
        CodeFormat::Wasm(pipeline) => match wasm::prepare_module(code, &params.wasm, &params.ops, pipeline) {
            Ok(p) => (p.code, p.meta),
            Err(e) => return Ok(Err(Rejection { code: e.code(), message: e.to_string() })),
        },
        CodeFormat::Custom => (code.to_vec(), ModuleMeta::default()),
    };
    match vm.compile(&to_compile) {
        Ok(backend) => Ok(Ok(envelope(&meta, backend)?)),
        Err(PrepareError::Rejected { code, message }) => Ok(Err(Rejection { code, message })),
        Err(PrepareError::Internal(m)) => Err(Error::Backend { backend: vm.name().to_string(), message: m }),
    }
}

impl ModuleCache {
    /// A cache holding at most `capacity` contracts' modules (minimum 1).
    pub fn new(capacity: usize) -> Self {
        let cap = NonZeroUsize::new(capacity.max(1)).unwrap_or(NonZeroUsize::MIN);
        Self {
            inner: Mutex::new(Inner {
                by_contract: LruCache::new(cap),
                by_code: HashMap::new(),
                pending: BTreeMap::new(),
                stats: CacheStats::default(),
            }),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> CacheStats {
        self.inner.lock().stats
    }

    /// Contracts resident, most recently used first, with their code hash.
    pub fn resident(&self) -> Vec<(Address, [u8; 32])> {
        self.inner.lock().by_contract.iter().map(|(a, m)| (*a, m.code_hash)).collect()
    }

    /// Forgets a contract's module (on upgrade).
    pub fn invalidate(&self, contract: &Address) {
        self.inner.lock().by_contract.pop(contract);
    }

    /// Forgets every resident module (tests: force the store path). Pending artifacts stay.
    pub fn clear(&self) {
        let mut inner = self.inner.lock();
        inner.by_contract.clear();
        inner.by_code.clear();
    }

    /// The artifacts made since the last call, for the commit's write batch.
    pub fn take_pending(&self) -> BTreeMap<Vec<u8>, Vec<u8>> {
        std::mem::take(&mut self.inner.lock().pending)
    }

    /// Caches the module of a freshly built artifact (deploy path); the artifact is written
    /// with the wave's commit.
    pub fn install(
        &self,
        contract: &Address,
        code_hash: [u8; 32],
        vm: &dyn Vm,
        tag: [u8; 32],
        artifact: Vec<u8>,
    ) -> Result<Loaded> {
        let loaded = load(vm, &artifact).map_err(|e| backend(vm, e))?;
        let mut inner = self.inner.lock();
        inner.pending.insert(artifact_key(&tag, &code_hash), artifact);
        drop(inner);
        self.insert(contract, code_hash, tag, loaded.clone());
        Ok(loaded)
    }

    /// Keeps a freshly built artifact of `code_hash` for the wave's commit without binding it
    /// to a contract (a pending upgrade's: its contract keeps running its current code until
    /// the switch, when a call loads this artifact).
    pub fn stage(&self, code_hash: [u8; 32], tag: [u8; 32], artifact: Vec<u8>) {
        self.inner.lock().pending.insert(artifact_key(&tag, &code_hash), artifact);
    }

    /// The module for `contract` running `code_hash` on `vm` (artifacts under `tag`). `source`
    /// fetches the contract's code from state for a recompile under `params`.
    #[allow(clippy::too_many_arguments)]
    pub fn get(
        &self,
        contract: &Address,
        code_hash: [u8; 32],
        vm: &dyn Vm,
        tag: [u8; 32],
        params: &ConsensusParams,
        store: &dyn Store,
        source: impl FnOnce() -> Result<Option<Vec<u8>>>,
    ) -> Result<Loaded> {
        let pending = {
            let mut inner = self.inner.lock();
            if let Some(m) = inner.by_contract.get(contract) {
                if m.code_hash == code_hash {
                    let module = m.module.clone();
                    inner.stats.hits += 1;
                    return Ok(module);
                }
            }
            if let Some(module) = inner.by_code.get(&(tag, code_hash)).and_then(Weak::upgrade) {
                inner.stats.shared += 1;
                inner.by_contract.put(*contract, CachedModule { code_hash, module: module.clone() });
                return Ok(module);
            }
            inner.pending.get(&artifact_key(&tag, &code_hash)[..]).cloned()
        };
        let key = artifact_key(&tag, &code_hash);
        let stored = match pending {
            Some(a) => Some(a),
            None => store.get(Column::Artifacts, &key)?,
        };
        if let Some(artifact) = stored {
            match load(vm, &artifact) {
                Ok(module) => {
                    self.inner.lock().stats.loads += 1;
                    tracing::debug!(%contract, backend = vm.name(), "module loaded from stored artifact");
                    self.insert(contract, code_hash, tag, module.clone());
                    return Ok(module);
                }
                Err(VmError::BadArtifact(reason)) => {
                    self.inner.lock().stats.bad_artifacts += 1;
                    tracing::warn!(%contract, backend = vm.name(), %reason, "stored artifact rejected; recompiling");
                }
                Err(e) => return Err(backend(vm, e)),
            }
        }
        let code = source()?.ok_or_else(|| {
            Error::Corrupt(format!("code {} of contract {contract} missing from state", hex::encode(code_hash)))
        })?;
        if *blake3::hash(&code).as_bytes() != code_hash {
            return Err(Error::Corrupt(format!("code of contract {contract} does not match its hash")));
        }
        let artifact = build_artifact(vm, &code, params)?.map_err(|r| Error::Backend {
            backend: vm.name().to_string(),
            message: format!("deployed code no longer passes the gate ({}): {}", r.code, r.message),
        })?;
        self.inner.lock().stats.recompiles += 1;
        tracing::info!(%contract, backend = vm.name(), "recompiled module from source");
        self.install(contract, code_hash, vm, tag, artifact)
    }

    fn insert(&self, contract: &Address, code_hash: [u8; 32], tag: [u8; 32], module: Loaded) {
        let mut inner = self.inner.lock();
        inner.by_code.retain(|_, w| w.strong_count() > 0);
        inner.by_code.insert((tag, code_hash), Arc::downgrade(&module));
        inner.by_contract.put(*contract, CachedModule { code_hash, module });
    }
}

/// Opens the host's envelope and loads the backend's part (what a cache miss does).
pub fn load_artifact(vm: &dyn Vm, artifact: &[u8]) -> core::result::Result<Loaded, VmError> {
    load(vm, artifact)
}

/// Opens the envelope and loads the backend's part.
fn load(vm: &dyn Vm, artifact: &[u8]) -> core::result::Result<Loaded, VmError> {
    let (meta, backend) = open_envelope(artifact)?;
    let module = vm.load(backend)?;
    Ok(Arc::new(LoadedModule { module, meta }))
}

fn backend(vm: &dyn Vm, e: VmError) -> Error {
    Error::Backend { backend: vm.name().to_string(), message: e.to_string() }
}
