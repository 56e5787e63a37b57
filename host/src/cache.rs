//! The module cache (seed §3.4): compiled modules by contract, LRU, content addressed.
//!
//! - Keyed by contract address (LRU, default 256 resident); an entry remembers the code hash it
//!   was built from, so an upgraded contract's stale module is never used.
//! - Identical code shares one compiled module (by artifact tag ‖ code hash).
//! - A miss loads the artifact from the store (`artifacts` column, key = artifact tag ‖ code
//!   hash: engine version, ABI and metering version are in the tag). An artifact that is
//!   missing, foreign or corrupt is recompiled from the source code kept in state; stale code
//!   is never loaded. Whether the cache hit never changes gas.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Weak};

use lru::LruCache;
use parking_lot::Mutex;
use vmhost_abi::Address;

use crate::error::{Error, Result};
use crate::state::{Column, Store, WriteBatch};
use crate::vm::{Module, PrepareError, Vm, VmError};

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

struct CachedModule {
    code_hash: [u8; 32],
    module: Arc<dyn Module>,
}

struct Inner {
    by_contract: LruCache<Address, CachedModule>,
    by_code: HashMap<([u8; 32], [u8; 32]), Weak<dyn Module>>,
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

impl ModuleCache {
    /// A cache holding at most `capacity` contracts' modules (minimum 1).
    pub fn new(capacity: usize) -> Self {
        let cap = NonZeroUsize::new(capacity.max(1)).unwrap_or(NonZeroUsize::MIN);
        Self {
            inner: Mutex::new(Inner {
                by_contract: LruCache::new(cap),
                by_code: HashMap::new(),
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

    /// Forgets everything (tests: force the store path).
    pub fn clear(&self) {
        let mut inner = self.inner.lock();
        inner.by_contract.clear();
        inner.by_code.clear();
    }

    /// Stores a freshly prepared artifact and caches its module (deploy path).
    pub fn install(
        &self,
        contract: &Address,
        code_hash: [u8; 32],
        vm: &dyn Vm,
        store: &dyn Store,
        artifact: Vec<u8>,
    ) -> Result<Arc<dyn Module>> {
        let tag = vm.artifact_tag();
        let module = vm.load(&artifact).map_err(|e| backend(vm, e))?;
        let mut batch = WriteBatch::new();
        batch.put(Column::Artifacts, artifact_key(&tag, &code_hash), artifact);
        store.write(batch)?;
        self.insert(contract, code_hash, tag, module.clone());
        Ok(module)
    }

    /// The module for `contract` running `code_hash` on `vm`. `source` fetches the contract's
    /// code from state for a recompile.
    pub fn get(
        &self,
        contract: &Address,
        code_hash: [u8; 32],
        vm: &dyn Vm,
        store: &dyn Store,
        source: impl FnOnce() -> Result<Option<Vec<u8>>>,
    ) -> Result<Arc<dyn Module>> {
        let tag = vm.artifact_tag();
        {
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
        }
        let key = artifact_key(&tag, &code_hash);
        if let Some(artifact) = store.get(Column::Artifacts, &key)? {
            match vm.load(&artifact) {
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
        let artifact = vm.prepare(&code).map_err(|e| match e {
            PrepareError::Rejected { code, message } => Error::Backend {
                backend: vm.name().to_string(),
                message: format!("deployed code no longer passes the gate ({code}): {message}"),
            },
            PrepareError::Internal(m) => Error::Backend { backend: vm.name().to_string(), message: m },
        })?;
        self.inner.lock().stats.recompiles += 1;
        tracing::info!(%contract, backend = vm.name(), "recompiled module from source");
        self.install(contract, code_hash, vm, store, artifact)
    }

    fn insert(&self, contract: &Address, code_hash: [u8; 32], tag: [u8; 32], module: Arc<dyn Module>) {
        let mut inner = self.inner.lock();
        inner.by_code.retain(|_, w| w.strong_count() > 0);
        inner.by_code.insert((tag, code_hash), Arc::downgrade(&module));
        inner.by_contract.put(*contract, CachedModule { code_hash, module });
    }
}

fn backend(vm: &dyn Vm, e: VmError) -> Error {
    Error::Backend { backend: vm.name().to_string(), message: e.to_string() }
}
