//! Warm instances: one instance serves many top-level calls of its contract, reset in place
//! between them.
//!
//! The deploy of a write-tracked module ([`vmhost::wasm::track_writes`]) makes every guest
//! write widen a dirty range held in two exported globals, and exports the data segments' hull
//! and the module's mutable globals. Host writes are recorded by the import glue
//! (`StoreData::host_writes`). After a call that completed, the instance is put back into its
//! just-instantiated state:
//!
//! - the union of both ranges is restored: the part inside the data hull from a copy of the
//!   hull taken right after the module's first instantiation, the rest zeroed (contracts have
//!   no start function, so a new instance holds the data there and zeros elsewhere);
//! - every mutable global is set back to its value after instantiation;
//! - the range is cleared.
//!
//! Tables cannot change (the pass declines modules with table writes or segment drops). An
//! instance is dropped instead of reset when its call trapped (a trap may fall between widening
//! the range and the write), when its memory grew (wasm cannot shrink a memory), or when the
//! range is larger than [`MAX_RESET_BYTES`](vmhost::wasm::MAX_RESET_BYTES) (then wasmtime's reset of the pool slot, which
//! finds dirty pages itself, is as cheap). So a call on a warm instance starts from exactly the
//! state a fresh instance would have, and whether an instance was warm — which depends on
//! thread scheduling and on what ran before — never shows in a receipt, gas or state.

use std::collections::VecDeque;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use vmhost::wasm::{GlobalValue, WarmInstance};
use vmhost::wasm::{DATA_HI_EXPORT, DATA_LO_EXPORT, DIRTY_HI_EXPORT, DIRTY_LO_EXPORT, GLOBAL_EXPORT_PREFIX};
use vmhost::{CallOutcome, CallParams, Host, VmError};
use wasmtime::{Extern, Global, Instance, Memory, ModuleExport, Store, Val};

use crate::imports::StoreData;
use crate::{export_global, Counters, Failure, WasmtimeModule};

/// The tracking exports of a loaded module.
pub(crate) struct Tracking {
    dirty_lo: ModuleExport,
    dirty_hi: ModuleExport,
    data_lo: ModuleExport,
    data_hi: ModuleExport,
    globals: Vec<ModuleExport>,
}

impl Tracking {
    /// The tracking exports, if the module has them all.
    pub(crate) fn find(module: &wasmtime::Module) -> Option<Tracking> {
        let globals = module
            .exports()
            .filter(|e| e.name().starts_with(GLOBAL_EXPORT_PREFIX))
            .map(|e| module.get_export_index(e.name()))
            .collect::<Option<Vec<_>>>()?;
        Some(Tracking {
            dirty_lo: module.get_export_index(DIRTY_LO_EXPORT)?,
            dirty_hi: module.get_export_index(DIRTY_HI_EXPORT)?,
            data_lo: module.get_export_index(DATA_LO_EXPORT)?,
            data_hi: module.get_export_index(DATA_HI_EXPORT)?,
            globals,
        })
    }
}

/// A module's state right after instantiation (the host's, shared by every wasm backend).
pub(crate) use vmhost::wasm::Pristine;

/// An idle instance, in a store of its own.
pub(crate) struct Warm {
    store: Store<StoreData>,
    instance: Instance,
    memory: Memory,
    counters: Counters,
    dirty_lo: Global,
    dirty_hi: Global,
    globals: Vec<Global>,
}

// SAFETY: as for `Recycled`: `StoreData::host` is the only field that is not `Send`, and it is
// `None` whenever a `Warm` is idle (cleared before the instance is handed back).
unsafe impl Send for Warm {}

/// How warm instances have served calls since the backend was built (for operators and
/// tests; nothing here affects a call's outcome).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReuseStats {
    /// Top-level calls that ran on an instance an earlier call had used and reset.
    pub reused: u64,
    /// Warm instances created (a top-level call found no idle one of its module).
    pub instantiated: u64,
    /// Warm instances dropped after their call instead of reset: it trapped, grew memory, or
    /// dirtied more than [`MAX_RESET_BYTES`](vmhost::wasm::MAX_RESET_BYTES).
    pub dropped: u64,
    /// Bytes of linear memory restored by the resets (the dirty ranges' total length).
    pub bytes_reset: u64,
}

/// Idle warm instances of every module, oldest first, at most `cap`.
pub(crate) struct WarmPool {
    cap: usize,
    idle: Mutex<VecDeque<(u64, Warm)>>,
    reused: AtomicU64,
    instantiated: AtomicU64,
    dropped: AtomicU64,
    bytes_reset: AtomicU64,
}

impl WarmPool {
    pub(crate) fn new(cap: u32) -> Self {
        WarmPool {
            cap: cap as usize,
            idle: Mutex::new(VecDeque::new()),
            reused: AtomicU64::new(0),
            instantiated: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            bytes_reset: AtomicU64::new(0),
        }
    }

    pub(crate) fn stats(&self) -> ReuseStats {
        ReuseStats {
            reused: self.reused.load(Ordering::Relaxed),
            instantiated: self.instantiated.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            bytes_reset: self.bytes_reset.load(Ordering::Relaxed),
        }
    }

    /// The most recently used idle instance of module `id`.
    fn take(&self, id: u64) -> Option<Warm> {
        let mut idle = self.idle.lock().ok()?;
        let at = idle.iter().rposition(|(m, _)| *m == id)?;
        idle.remove(at).map(|(_, w)| w)
    }

    /// Keeps `warm` for module `id`, dropping the oldest idle instance when full.
    fn put(&self, id: u64, warm: Warm) {
        let evicted = match self.idle.lock() {
            Ok(mut idle) => {
                idle.push_back((id, warm));
                if idle.len() > self.cap {
                    idle.pop_front()
                } else {
                    None
                }
            }
            Err(_) => None,
        };
        drop(evicted);
    }

    /// Drops the idle instances of module `id` (it was unloaded).
    pub(crate) fn forget(&self, id: u64) {
        let gone: VecDeque<(u64, Warm)> = match self.idle.lock() {
            Ok(mut idle) => {
                let (gone, kept) = std::mem::take(&mut *idle).into_iter().partition(|(m, _)| *m == id);
                *idle = kept;
                gone
            }
            Err(_) => VecDeque::new(),
        };
        drop(gone);
    }

    /// Drops every idle instance, returning their pool slots.
    pub(crate) fn clear(&self) {
        let gone = self.idle.lock().map(|mut v| std::mem::take(&mut *v)).unwrap_or_default();
        drop(gone);
    }
}

fn get_u32(store: &mut Store<StoreData>, g: &Global) -> Option<u32> {
    g.get(store).i32().map(|v| v as u32)
}

impl WasmtimeModule {
    /// Runs a top-level call on a warm instance. `Ok(None)`: no warm instance could be made
    /// (the pool is exhausted, say); the caller runs the call on a fresh one, which reports
    /// or recovers from the same condition as it always does.
    pub(crate) fn call_warm(
        &self,
        export: &ModuleExport,
        call: &CallParams<'_>,
        host: NonNull<dyn Host>,
    ) -> Result<Option<CallOutcome>, VmError> {
        let mut warm = match self.shared.warm.take(self.id) {
            Some(mut w) => {
                self.shared.arm(&mut w.store, Some(host))?;
                self.shared.warm.reused.fetch_add(1, Ordering::Relaxed);
                w
            }
            None => match self.new_warm(host) {
                Some(w) => {
                    self.shared.warm.instantiated.fetch_add(1, Ordering::Relaxed);
                    w
                }
                None => return Ok(None),
            },
        };
        let out = self.invoke(&mut warm.store, &warm.instance, warm.memory, &mut warm.counters, export, call);
        warm.store.data_mut().end_call();
        let outcome = match out {
            Ok(outcome) => outcome,
            Err(Failure::Vm(e)) => return Err(e),
            Err(Failure::PoolExhausted(e)) => return Err(VmError::Internal(format!("{e:#}"))),
        };
        if outcome.result.is_ok() && self.reset(&mut warm) {
            self.shared.warm.put(self.id, warm);
        } else {
            self.shared.warm.dropped.fetch_add(1, Ordering::Relaxed);
        }
        Ok(Some(outcome))
    }

    /// A new instance in a store of its own, armed for a call; records the pristine state on
    /// the module's first one.
    fn new_warm(&self, host: NonNull<dyn Host>) -> Option<Warm> {
        let tracking = self.tracking.as_ref()?;
        let mut store = self.shared.new_store(Some(host)).ok()?;
        let instance = self.pre.instantiate(&mut store).ok()?;
        let Some(Extern::Memory(memory)) = instance.get_module_export(&mut store, &self.memory) else {
            return None;
        };
        let counters = self.counters(&mut store, &instance).ok()?;
        let dirty_lo = export_global(&mut store, &instance, &tracking.dirty_lo)?;
        let dirty_hi = export_global(&mut store, &instance, &tracking.dirty_hi)?;
        let globals = tracking
            .globals
            .iter()
            .map(|e| export_global(&mut store, &instance, e))
            .collect::<Option<Vec<Global>>>()?;
        if self.pristine.get().is_none() {
            let (lo, hi) = (
                export_global(&mut store, &instance, &tracking.data_lo)?,
                export_global(&mut store, &instance, &tracking.data_hi)?,
            );
            let (data_lo, data_hi) = (get_u32(&mut store, &lo)? as usize, get_u32(&mut store, &hi)? as usize);
            let data = memory.data(&store).get(data_lo..data_hi)?.to_vec();
            let values = globals.iter().map(|g| to_value(g.get(&mut store))).collect::<Option<Vec<_>>>()?;
            let memory_size = memory.data_size(&store);
            // Every instance of the module starts identical, so a racing thread sets the same.
            let _ = self.pristine.set(Pristine { memory_size, data_lo, data, globals: values });
        }
        Some(Warm { store, instance, memory, counters, dirty_lo, dirty_hi, globals })
    }

    /// Puts a warm instance back into its pristine state after a call that completed (the
    /// host's reset, [`vmhost::wasm::reset::reset`]); `false` if it cannot be (then it is dropped).
    fn reset(&self, w: &mut Warm) -> bool {
        let Some(p) = self.pristine.get() else { return false };
        let host_writes = w.store.data().host_writes;
        match vmhost::wasm::reset::reset(w, host_writes, p) {
            Some(bytes) => {
                self.shared.warm.bytes_reset.fetch_add(bytes as u64, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }
}

fn to_value(v: Val) -> Option<GlobalValue> {
    Some(match v {
        Val::I32(x) => GlobalValue::I32(x),
        Val::I64(x) => GlobalValue::I64(x),
        Val::F32(x) => GlobalValue::F32(x),
        Val::F64(x) => GlobalValue::F64(x),
        _ => return None,
    })
}

fn from_value(v: GlobalValue) -> Val {
    match v {
        GlobalValue::I32(x) => Val::I32(x),
        GlobalValue::I64(x) => Val::I64(x),
        GlobalValue::F32(x) => Val::F32(x),
        GlobalValue::F64(x) => Val::F64(x),
    }
}

/// What the host's reset needs of a wasmtime instance.
impl WarmInstance for Warm {
    fn memory(&mut self) -> &mut [u8] {
        self.memory.data_mut(&mut self.store)
    }

    fn dirty_range(&mut self) -> Option<(u32, u32)> {
        Some((get_u32(&mut self.store, &self.dirty_lo)?, get_u32(&mut self.store, &self.dirty_hi)?))
    }

    fn clear_dirty_range(&mut self) -> bool {
        self.dirty_lo.set(&mut self.store, Val::I32(-1)).is_ok()
            && self.dirty_hi.set(&mut self.store, Val::I32(0)).is_ok()
    }

    fn set_global(&mut self, i: usize, value: GlobalValue) -> bool {
        match self.globals.get(i) {
            Some(g) => g.set(&mut self.store, from_value(value)).is_ok(),
            None => false,
        }
    }
}
