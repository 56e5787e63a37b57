//! # vmhost-wasmer — the second wasm backend (wasmer 7.3, Cranelift or Singlepass)
//!
//! Implements [`vmhost::Vm`] on wasmer, for comparison with the primary wasmtime backend and as
//! the proof that receipts do not depend on the engine: it runs the module the host prepared
//! ([`vmhost::wasm::prepare_module`]: gated, stack-limited, metered, write-tracked), reaches
//! the host only through [`vmhost::Host::host_call`], and shares the host's trap mapping and
//! warm-instance reset, so its receipts, gas and roots equal wasmtime's by construction (the
//! conformance kit checks it).
//!
//! ```no_run
//! use std::sync::Arc;
//! use vmhost::VmRegistry;
//! use vmhost_abi::ContractType;
//! use vmhost_wasmer::{Compiler, WasmerConfig, WasmerVm};
//!
//! let vm = WasmerVm::new(WasmerConfig::with_compiler(Compiler::Singlepass))?;
//! let mut registry = VmRegistry::new();
//! registry.register_vm(ContractType::Wasm, Arc::new(vm))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Concepts:
//! - **Compile** (deploy): on a throwaway engine of the same configuration (wasmer keeps the
//!   code of every module an engine compiled or loaded until the engine is dropped), one trial
//!   instantiation, `Module::serialize`. The artifact is framed with the host's checksum
//!   ([`vmhost::frame_artifact`]): wasmer 7.3's `Module::deserialize` does not validate its
//!   input, so nothing reaches it that this backend did not write. The tag covers wasmer's
//!   version, the compiler, the features, the target's CPU features and the backstops.
//! - **Call**: an instance in a `Store` of its own (wasmer has no pooling allocator) with a
//!   host function per import of the module; the call's gas, stack units and memory pages go
//!   into the module's counters; the `() -> ()` entry point runs; the trap becomes an ABI code
//!   through the host's [`vmhost::wasm::trap_code`]. A top-level call of a write-tracked module
//!   runs on a *warm* instance kept from an earlier call and reset exactly by the host
//!   ([`vmhost::wasm::warm`]); nested calls and calls that trap never leave anything behind.
//! - **Limits**: `StackOverflow` and `MemoryLimit` come from the host's limits pass. wasmer runs
//!   wasm on coroutine stacks of its own ([`WasmerConfig::wasm_stack`], four times what the
//!   stack budget can take) and caps memories through its tunables
//!   ([`WasmerConfig::memory_limit`]); both are backstops, reaching one is a
//!   [`VmError::Backstop`].
//! - **No wall-clock interruption**: wasmer has no epoch. A runaway call is bounded by gas
//!   alone (the host's injected metering: the default `max_tx_gas` runs in under 200 ms at the
//!   slowest calibrated mix, see `docs/benchmarks.md`); the node's safety net for this backend
//!   is that bound, not a timer (`docs/architecture.md`).

pub mod config;
mod imports;

use std::collections::HashMap;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use vmhost::wasm::warm::{Capture, WarmPool};
use vmhost::wasm::{
    trap_code, Counters, GlobalValue, MeteringMode, Pristine, Trap as GuestTrap, WarmInstance, WasmPipeline,
    DATA_HI_EXPORT, DATA_LO_EXPORT, DIRTY_HI_EXPORT, DIRTY_LO_EXPORT, GAS_GLOBAL_EXPORT, GLOBAL_EXPORT_PREFIX,
    MEMORY_LIMIT_EXPORT, NOTHING_WRITTEN, STACK_EXPORT,
};
use vmhost::{CallOutcome, CallParams, CodeFormat, ConsensusParams, Host, HostTrap, Module, PrepareError, Vm, VmError};
use vmhost_abi::{ErrorCode, HostFn, HostFnSpec, IMPORT_MODULE};
use wasmer::sys::vm::TrapCode;
use wasmer::sys::{Cranelift, CraneliftOptLevel, EngineBuilder, NativeEngineExt, Singlepass};
use wasmer::{Engine, ExternType, FunctionEnv, Global, Instance, Memory, RuntimeError, Store, TypedFunction, Value};

pub use config::{Compiler, WasmerConfig};
pub use vmhost::wasm::ReuseStats;

mod tunables;

/// The wasmer release this backend is built and tagged for (`Cargo.toml` pins it exactly:
/// wasmer's own identity string leaves its version out).
pub const WASMER_VERSION: &str = "7.3.0";

/// Artifact framing magic.
const ARTIFACT_MAGIC: &[u8; 8] = b"VMHWR\x01\x00\x00";

/// Native stack wasmer's own call machinery takes on the calling thread per nested call
/// (trap handling, the switch to the wasm coroutine stack, the dynamic host-function shim);
/// the guest's wasm frames live on the coroutine stack, not here.
pub const NATIVE_STACK_PER_CALL: usize = 64 << 10;

/// Errors building the backend.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// wasmer refused the configuration.
    #[error("wasmer setup failed: {0}")]
    Setup(String),
}

/// State shared by the backend and every module it loaded.
struct Shared {
    /// The engine modules are loaded into and run on.
    engine: Engine,
    cfg: WasmerConfig,
    warm: WarmPool<Inst>,
    next_module: AtomicU64,
}

/// The wasmer backend.
pub struct WasmerVm {
    shared: Arc<Shared>,
    tag: [u8; 32],
}

impl std::fmt::Debug for WasmerVm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmerVm").field("compiler", &self.shared.cfg.compiler).finish()
    }
}

/// An engine of `cfg`'s compiler, features and backstops.
fn engine(cfg: &WasmerConfig) -> Engine {
    let builder = match cfg.compiler {
        Compiler::Cranelift => {
            let mut c = Cranelift::new();
            c.opt_level(CraneliftOptLevel::Speed).canonicalize_nans(true).num_threads(std::num::NonZero::<usize>::MIN);
            EngineBuilder::new(c)
        }
        Compiler::Singlepass => {
            let mut s = Singlepass::new();
            s.canonicalize_nans(true);
            EngineBuilder::new(s)
        }
    };
    let mut engine = builder.set_features(Some(config::features())).engine();
    engine.set_tunables(tunables::CappedTunables::new(cfg));
    engine.into()
}

impl WasmerVm {
    /// Builds the engine.
    pub fn new(cfg: WasmerConfig) -> Result<Self, Error> {
        let engine = engine(&cfg);
        let target = NativeEngineExt::target(&engine);
        let mut t = blake3::Hasher::new();
        t.update(b"vmhost-wasmer/1");
        t.update(WASMER_VERSION.as_bytes());
        t.update(engine.deterministic_id().as_bytes());
        t.update(format!("{:?}", config::features()).as_bytes());
        t.update(target.triple().to_string().as_bytes());
        t.update(&target.cpu_features().as_u64().to_le_bytes());
        t.update(&(cfg.memory_limit as u64).to_le_bytes());
        t.update(&(cfg.wasm_stack as u64).to_le_bytes());
        t.update(&cfg.table_elements.to_le_bytes());
        t.update(&[u8::from(cfg.tracks_writes())]);
        let tag = *t.finalize().as_bytes();
        let warm = WarmPool::new(cfg.instance_reuse);
        Ok(Self { shared: Arc::new(Shared { engine, cfg, warm, next_module: AtomicU64::new(0) }), tag })
    }

    /// A backend sized for `params` ([`WasmerConfig::fit`] on `cfg`).
    pub fn for_params(mut cfg: WasmerConfig, params: &ConsensusParams) -> Result<Self, Error> {
        cfg.fit(params);
        Self::new(cfg)
    }

    /// The backend configuration.
    pub fn config(&self) -> &WasmerConfig {
        &self.shared.cfg
    }

    /// How warm instances have served calls so far.
    pub fn reuse_stats(&self) -> ReuseStats {
        self.shared.warm.stats()
    }
}

/// The host functions a module imports, in import order (the host's gate allows nothing else).
fn import_specs(module: &wasmer::Module) -> Result<Vec<&'static HostFnSpec>, String> {
    module
        .imports()
        .map(|i| match (i.module() == IMPORT_MODULE, HostFn::by_name(i.name())) {
            (true, Some(f)) => Ok(f.spec()),
            _ => Err(format!("import {}.{} is not an ABI v1 host function", i.module(), i.name())),
        })
        .collect()
}

impl Vm for WasmerVm {
    fn name(&self) -> &str {
        "wasmer"
    }

    fn artifact_tag(&self) -> [u8; 32] {
        self.tag
    }

    fn code_format(&self) -> CodeFormat {
        CodeFormat::Wasm(WasmPipeline {
            metering: MeteringMode::Injected,
            track_writes: self.shared.cfg.tracks_writes(),
        })
    }

    fn check_params(&self, params: &ConsensusParams) -> Result<(), String> {
        self.shared.cfg.check(params)
    }

    fn native_stack_per_call(&self) -> usize {
        NATIVE_STACK_PER_CALL
    }

    fn compile(&self, code: &[u8]) -> Result<Vec<u8>, PrepareError> {
        // A throwaway engine: wasmer frees compiled code only with its engine.
        let engine = engine(&self.shared.cfg);
        let module = wasmer::Module::new(&engine, code)
            .map_err(|e| PrepareError::Rejected { code: ErrorCode::CompileFailed, message: e.to_string() })?;
        let specs = import_specs(&module)
            .map_err(|message| PrepareError::Rejected { code: ErrorCode::ForbiddenImport, message })?;
        // One trial instantiation: a module that cannot be instantiated under this backend's
        // limits is rejected at deploy, never failing a later call.
        let mut store = Store::new(engine.clone());
        let env = FunctionEnv::new(&mut store, imports::Env::default());
        let externs = imports::externs(&mut store, &env, &specs);
        Instance::new_by_index(&mut store, &module, &externs).map_err(|e| PrepareError::Rejected {
            code: ErrorCode::CompileFailed,
            message: format!("module cannot be instantiated: {e}"),
        })?;
        let serialized = module.serialize().map_err(|e| PrepareError::Internal(e.to_string()))?;
        Ok(vmhost::frame_artifact(ARTIFACT_MAGIC, &serialized))
    }

    fn load(&self, artifact: &[u8]) -> Result<Arc<dyn Module>, VmError> {
        let payload = vmhost::unframe_artifact(ARTIFACT_MAGIC, artifact)?;
        // SAFETY: the payload is what `compile` serialized (checksum verified above; the tag,
        // which the host checks before loading, covers wasmer's version, compiler, features and
        // CPU features). `IntoBytes` copies it into an aligned buffer.
        let module = unsafe { wasmer::Module::deserialize(&self.shared.engine, payload) }
            .map_err(|e| VmError::BadArtifact(e.to_string()))?;
        let imports = import_specs(&module).map_err(VmError::BadArtifact)?;
        let mut entries = Vec::new();
        let mut names = HashMap::new();
        for export in module.exports() {
            let name = export.name().to_string();
            if let ExternType::Function(ft) = export.ty() {
                if ft.params().is_empty() && ft.results().is_empty() {
                    entries.push(name);
                    continue;
                }
            }
            names.insert(name, ());
        }
        for needed in [GAS_GLOBAL_EXPORT, STACK_EXPORT, MEMORY_LIMIT_EXPORT, "memory"] {
            if !names.contains_key(needed) {
                return Err(VmError::BadArtifact(format!("prepared module lacks {needed}")));
            }
        }
        let tracked = self.shared.cfg.tracks_writes()
            && [DIRTY_LO_EXPORT, DIRTY_HI_EXPORT, DATA_LO_EXPORT, DATA_HI_EXPORT]
                .iter()
                .all(|n| names.contains_key(*n));
        let mut globals: Vec<String> = names.keys().filter(|n| n.starts_with(GLOBAL_EXPORT_PREFIX)).cloned().collect();
        // The tracking pass numbers them; export order is what the host's reset expects.
        globals.sort_by_key(|n| module.exports().position(|e| e.name() == n));
        let id = self.shared.next_module.fetch_add(1, Ordering::Relaxed);
        Ok(Arc::new(WasmerModule {
            shared: self.shared.clone(),
            module,
            imports,
            entries,
            tracked_globals: tracked.then_some(globals),
            id,
            pristine: OnceLock::new(),
        }))
    }
}

/// A loaded module.
struct WasmerModule {
    shared: Arc<Shared>,
    module: wasmer::Module,
    /// The host functions it imports, in import order.
    imports: Vec<&'static HostFnSpec>,
    /// Its `() -> ()` exports.
    entries: Vec<String>,
    /// The write-tracking pass's mutable-global exports, in order, when the module is tracked
    /// and reuse is on (`None`: every call runs on a fresh instance).
    tracked_globals: Option<Vec<String>>,
    /// Key of this module's warm instances.
    id: u64,
    /// The just-instantiated state a warm instance is reset to (taken from the first one).
    pristine: OnceLock<Pristine>,
}

impl Drop for WasmerModule {
    fn drop(&mut self) {
        self.shared.warm.forget(self.id);
    }
}

/// The write-tracking exports of an instance.
struct Tracking {
    dirty_lo: Global,
    dirty_hi: Global,
    data_lo: Global,
    data_hi: Global,
    globals: Vec<Global>,
}

/// An instance in a store of its own, with its counters and cached entry points.
struct Inst {
    store: Store,
    env: FunctionEnv<imports::Env>,
    instance: Instance,
    memory: Memory,
    gas: Global,
    stack: Global,
    memory_pages: Global,
    tracking: Option<Tracking>,
    entries: HashMap<String, TypedFunction<(), ()>>,
    /// The stack and memory budgets the counters hold, when known: a call that completes gives
    /// back every stack unit it took and leaves the memory limit alone, so a warm instance's
    /// next top-level call (same budgets) need not write them again.
    budgets: Option<(u32, u32)>,
}

// SAFETY: wasmer 7's `Store` is not `Send` only because of its `on_called` hook (wasmer issue
// #7001), which this backend never sets; the only other thread-bound state is the host pointer
// in `imports::Env`, cleared before an instance is handed back. An instance is used by one
// thread at a time (it is taken out of the pool), never in the middle of a call.
unsafe impl Send for Inst {}

fn global_u32(store: &mut Store, g: &Global) -> Option<u32> {
    match g.get(store) {
        Value::I32(v) => Some(v as u32),
        _ => None,
    }
}

impl WasmerModule {
    /// A new instance of the module.
    fn instantiate(&self) -> Result<Inst, VmError> {
        let internal = |what: &str, e: String| VmError::Internal(format!("{what}: {e}"));
        let mut store = Store::new(self.shared.engine.clone());
        let env = FunctionEnv::new(&mut store, imports::Env::default());
        let externs = imports::externs(&mut store, &env, &self.imports);
        // The trial instantiation at deploy succeeded: a failure here is the node's problem.
        let instance = Instance::new_by_index(&mut store, &self.module, &externs)
            .map_err(|e| internal("instantiation failed", e.to_string()))?;
        let global = |name: &str| {
            instance.exports.get_global(name).cloned().map_err(|e| internal("prepared module export", e.to_string()))
        };
        let memory =
            instance.exports.get_memory("memory").cloned().map_err(|e| internal("memory export", e.to_string()))?;
        let (gas, stack, memory_pages) =
            (global(GAS_GLOBAL_EXPORT)?, global(STACK_EXPORT)?, global(MEMORY_LIMIT_EXPORT)?);
        let tracking = match &self.tracked_globals {
            Some(names) => Some(Tracking {
                dirty_lo: global(DIRTY_LO_EXPORT)?,
                dirty_hi: global(DIRTY_HI_EXPORT)?,
                data_lo: global(DATA_LO_EXPORT)?,
                data_hi: global(DATA_HI_EXPORT)?,
                globals: names.iter().map(|n| global(n)).collect::<Result<_, _>>()?,
            }),
            None => None,
        };
        let data = env.as_mut(&mut store);
        data.memory = Some(memory.clone());
        data.gas = Some(gas.clone());
        data.stack = Some(stack.clone());
        Ok(Inst {
            store,
            env,
            instance,
            memory,
            gas,
            stack,
            memory_pages,
            tracking,
            entries: HashMap::new(),
            budgets: None,
        })
    }

    /// Runs `call.entry` on `inst` with the call's budgets.
    fn invoke(&self, inst: &mut Inst, call: &CallParams<'_>, host: NonNull<dyn Host>) -> Result<CallOutcome, VmError> {
        let internal = |e: RuntimeError| VmError::Internal(e.message());
        let as_i32 = |v: u32| Value::I32(i32::try_from(v).unwrap_or(i32::MAX));
        let data = inst.env.as_mut(&mut inst.store);
        data.host = Some(host);
        data.host_writes = NOTHING_WRITTEN;
        let budgets = (call.stack_left, call.memory_pages);
        if inst.budgets != Some(budgets) {
            inst.stack.set(&mut inst.store, as_i32(call.stack_left)).map_err(internal)?;
            inst.memory_pages.set(&mut inst.store, as_i32(call.memory_pages)).map_err(internal)?;
        }
        // Known again only if the call completes (a trap may leave either counter anywhere).
        inst.budgets = None;
        inst.gas.set(&mut inst.store, Value::I64(call.gas_limit as i64)).map_err(internal)?;
        let func = match inst.entries.get(call.entry) {
            Some(f) => f.clone(),
            None => {
                let f: TypedFunction<(), ()> = inst
                    .instance
                    .exports
                    .get_typed_function(&inst.store, call.entry)
                    .map_err(|e| VmError::Internal(format!("entry point {}: {e}", call.entry)))?;
                inst.entries.insert(call.entry.to_string(), f.clone());
                f
            }
        };
        let r = func.call(&mut inst.store);
        let raw_gas = match inst.gas.get(&mut inst.store) {
            Value::I64(v) => v,
            _ => 0,
        };
        let result = match r {
            Ok(()) => {
                inst.budgets = Some(budgets);
                Ok(())
            }
            Err(e) => {
                let counters = Counters {
                    gas: Some(raw_gas),
                    stack: global_u32(&mut inst.store, &inst.stack).map_or(0, |v| v as i32),
                    memory: global_u32(&mut inst.store, &inst.memory_pages).map_or(0, |v| v as i32),
                };
                Err(trap_code(classify(&e)?, counters))
            }
        };
        let gas_left = if result == Err(ErrorCode::OutOfGas) { 0 } else { raw_gas.max(0) as u64 };
        Ok(CallOutcome { result, gas_left })
    }
}

/// Names a wasmer error the engine-neutral way, or makes it an infrastructure error: wasmer's
/// own stack limit is a backstop a prepared module never reaches.
fn classify(err: &RuntimeError) -> Result<GuestTrap, VmError> {
    if let Some(t) = err.downcast_ref::<HostTrap>() {
        return Ok(GuestTrap::Host(t.code));
    }
    let Some(code) = err.clone().to_trap() else {
        return Err(VmError::Internal(err.message()));
    };
    Ok(match code {
        TrapCode::StackOverflow => return Err(VmError::Backstop("wasmer's stack limit".into())),
        TrapCode::HostInterrupt => return Err(VmError::Timeout),
        TrapCode::UnreachableCodeReached => GuestTrap::Unreachable,
        TrapCode::HeapAccessOutOfBounds | TrapCode::HeapMisaligned | TrapCode::UnalignedAtomic => {
            GuestTrap::MemoryOutOfBounds
        }
        TrapCode::TableAccessOutOfBounds | TrapCode::IndirectCallToNull | TrapCode::BadSignature => {
            GuestTrap::IndirectCallFault
        }
        TrapCode::IntegerOverflow | TrapCode::BadConversionToInteger => GuestTrap::IntegerOverflow,
        TrapCode::IntegerDivisionByZero => GuestTrap::IntegerDivisionByZero,
        _ => GuestTrap::Other,
    })
}

impl Module for WasmerModule {
    fn call(&self, call: &CallParams<'_>, host: &mut dyn Host) -> Result<CallOutcome, VmError> {
        if !self.entries.iter().any(|e| e == call.entry) {
            return Ok(CallOutcome { result: Err(ErrorCode::UnknownEntryPoint), gas_left: call.gas_limit });
        }
        // SAFETY (lifetime erasure): the pointer is only dereferenced by host functions while
        // this call runs; it is cleared from the instance before `call` returns.
        let host_ptr: NonNull<dyn Host> =
            unsafe { std::mem::transmute::<NonNull<dyn Host + '_>, NonNull<dyn Host + 'static>>(NonNull::from(host)) };
        let warm = call.is_top_level() && self.tracked_globals.is_some() && self.shared.warm.enabled();
        let mut inst = match warm.then(|| self.shared.warm.take(self.id)).flatten() {
            Some(inst) => inst,
            None => {
                let mut inst = self.instantiate()?;
                if warm {
                    self.shared.warm.created();
                    if self.pristine.get().is_none() {
                        if let Some(p) = vmhost::wasm::warm::capture(&mut inst) {
                            // Every instance of the module starts identical: a racing thread
                            // sets the same.
                            let _ = self.pristine.set(p);
                        }
                    }
                }
                inst
            }
        };
        let out = self.invoke(&mut inst, call, host_ptr);
        let data = inst.env.as_mut(&mut inst.store);
        data.host = None;
        let host_writes = data.host_writes;
        let outcome = out?;
        if warm {
            self.shared.warm.release(self.id, inst, outcome.result.is_ok(), host_writes, self.pristine.get());
        }
        Ok(outcome)
    }
}

fn to_value(v: Value) -> Option<GlobalValue> {
    Some(match v {
        Value::I32(x) => GlobalValue::I32(x),
        Value::I64(x) => GlobalValue::I64(x),
        Value::F32(x) => GlobalValue::F32(x.to_bits()),
        Value::F64(x) => GlobalValue::F64(x.to_bits()),
        _ => return None,
    })
}

fn from_value(v: GlobalValue) -> Value {
    match v {
        GlobalValue::I32(x) => Value::I32(x),
        GlobalValue::I64(x) => Value::I64(x),
        GlobalValue::F32(x) => Value::F32(f32::from_bits(x)),
        GlobalValue::F64(x) => Value::F64(f64::from_bits(x)),
    }
}

/// What the host's reset needs of a wasmer instance.
impl WarmInstance for Inst {
    fn memory(&mut self) -> &mut [u8] {
        let view = self.memory.view(&self.store);
        let (ptr, len) = (view.data_ptr(), view.data_size() as usize);
        // SAFETY: the instance's whole linear memory; it is idle (no call runs on it) and
        // `&mut self` is held for the slice's lifetime, so nothing else reads or grows this
        // memory meanwhile.
        unsafe { std::slice::from_raw_parts_mut(ptr, len) }
    }

    fn dirty_range(&mut self) -> Option<(u32, u32)> {
        let t = self.tracking.as_ref()?;
        Some((global_u32(&mut self.store, &t.dirty_lo)?, global_u32(&mut self.store, &t.dirty_hi)?))
    }

    fn clear_dirty_range(&mut self) -> bool {
        let Some(t) = &self.tracking else { return false };
        t.dirty_lo.set(&mut self.store, Value::I32(-1)).is_ok()
            && t.dirty_hi.set(&mut self.store, Value::I32(0)).is_ok()
    }

    fn set_global(&mut self, i: usize, value: GlobalValue) -> bool {
        match self.tracking.as_ref().and_then(|t| t.globals.get(i)) {
            Some(g) => g.set(&mut self.store, from_value(value)).is_ok(),
            None => false,
        }
    }
}

impl Capture for Inst {
    fn data_hull(&mut self) -> Option<(u32, u32)> {
        let t = self.tracking.as_ref()?;
        Some((global_u32(&mut self.store, &t.data_lo)?, global_u32(&mut self.store, &t.data_hi)?))
    }

    fn globals(&mut self) -> Option<Vec<GlobalValue>> {
        let Inst { store, tracking, .. } = self;
        tracking.as_ref()?.globals.iter().map(|g| to_value(g.get(&mut *store))).collect()
    }
}
