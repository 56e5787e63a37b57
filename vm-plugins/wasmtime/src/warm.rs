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

use std::ptr::NonNull;

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
    data_lo: Global,
    data_hi: Global,
    globals: Vec<Global>,
}

// SAFETY: as for `Recycled`: `StoreData::host` is the only field that is not `Send`, and it is
// `None` whenever a `Warm` is idle (cleared before the instance is handed back).
unsafe impl Send for Warm {}

/// The backend's idle warm instances (the host's pool).
pub(crate) type WarmPool = vmhost::wasm::warm::WarmPool<Warm>;

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
                w
            }
            None => match self.new_warm(host) {
                Some(w) => {
                    self.shared.warm.created();
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
        let host_writes = warm.store.data().host_writes;
        self.shared.warm.release(self.id, warm, outcome.result.is_ok(), host_writes, self.pristine.get());
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
        let data_lo = export_global(&mut store, &instance, &tracking.data_lo)?;
        let data_hi = export_global(&mut store, &instance, &tracking.data_hi)?;
        let mut warm = Warm { store, instance, memory, counters, dirty_lo, dirty_hi, data_lo, data_hi, globals };
        if self.pristine.get().is_none() {
            // Every instance of the module starts identical, so a racing thread sets the same.
            let _ = self.pristine.set(vmhost::wasm::warm::capture(&mut warm)?);
        }
        Some(warm)
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

impl vmhost::wasm::warm::Capture for Warm {
    fn data_hull(&mut self) -> Option<(u32, u32)> {
        Some((get_u32(&mut self.store, &self.data_lo)?, get_u32(&mut self.store, &self.data_hi)?))
    }

    fn globals(&mut self) -> Option<Vec<GlobalValue>> {
        let Warm { store, globals, .. } = self;
        globals.iter().map(|g| to_value(g.get(&mut *store))).collect()
    }
}
