//! # vmhost-wasmtime — the primary VM backend (wasmtime / Cranelift, AOT)
//!
//! Implements [`vmhost::Vm`] on wasmtime 48 with the deterministic configuration of seed §3.2
//! ([`config::engine_config`]), the pooling instance allocator, one pre-linked
//! [`wasmtime::InstancePre`] per module, and every ABI v1 host function wired from the ABI table
//! (module `imports`).
//!
//! ```no_run
//! use std::sync::Arc;
//! use vmhost::VmRegistry;
//! use vmhost_abi::ContractType;
//! use vmhost_wasmtime::{WasmtimeConfig, WasmtimeVm};
//!
//! let vm = WasmtimeVm::new(WasmtimeConfig::default())?;
//! let mut registry = VmRegistry::new();
//! registry.register_vm(ContractType::Wasm, Arc::new(vm))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Concepts:
//! - **What is the host's, what is wasmtime's.** The host runs the deploy gate, the limits pass
//!   (deterministic stack height, memory cap), metering and write tracking
//!   ([`vmhost::wasm::prepare_module`]); this crate receives the prepared module and only
//!   compiles, instantiates and runs it, and maps wasmtime's traps to ABI codes.
//! - **Compile** (deploy): Cranelift → `Module::serialize`, after one trial instantiation. The
//!   artifact is framed with a magic and a BLAKE3 checksum, so a corrupt artifact is detected
//!   before wasmtime sees it; a foreign one (other engine version/config) fails wasmtime's own
//!   check. Both make the host recompile from source.
//! - **Call**: an instance over the pooling allocator; the call's gas, stack units and memory
//!   pages into the module's counters (or gas as engine fuel); epoch deadline; run the `() -> ()`
//!   entry point; map the trap to an ABI [`vmhost_abi::ErrorCode`]. A top-level call of a
//!   write-tracked module runs on a *warm* instance, kept from an earlier call and reset in
//!   place to its just-instantiated state ([`WasmtimeConfig::instance_reuse`]; see the `warm`
//!   module). Every other call gets a fresh instance (`InstancePre::instantiate`) in a `Store`
//!   reused by up to [`WasmtimeConfig::store_reuse`] top-level calls that complete. Nested
//!   calls and calls that trap never leave anything behind for a later call.
//! - **Limits**: `StackOverflow` and `MemoryLimit` come from the host's limits pass, so they hit
//!   at the same point on every engine. wasmtime's own stack limit
//!   ([`WasmtimeConfig::max_wasm_stack`]) and memory limiter are backstops sized beyond them
//!   ([`WasmtimeConfig::fit`]); reaching one is a [`VmError::Backstop`], never a receipt. The
//!   wall-clock timeout (epoch interruption, driven by a ticker thread the backend owns) is a
//!   safety net: reaching it is [`VmError::Timeout`], an infrastructure failure.

pub mod config;
mod imports;
mod warm;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use vmhost::wasm::{MeteringMode, WasmPipeline, GAS_GLOBAL_EXPORT, MEMORY_LIMIT_EXPORT, STACK_EXPORT};
use vmhost::{CallOutcome, CallParams, CodeFormat, ConsensusParams, Host, HostTrap, Module, PrepareError, Vm, VmError};
use vmhost_abi::ErrorCode;
use wasmtime::{Engine, Extern, Global, Instance, InstancePre, Memory, ModuleExport, Store, Trap, Val, ValRaw};

pub use config::{Metering, WasmtimeConfig};
use imports::StoreData;
pub use vmhost::wasm::warm::ReuseStats;
pub use vmhost::wasm::MAX_RESET_BYTES;
use vmhost::wasm::{reset::NOTHING_WRITTEN, trap_code, Counters as CounterValues, Trap as GuestTrap};

/// Artifact framing: magic, then BLAKE3 of the payload, then the serialized module.
const ARTIFACT_MAGIC: &[u8; 8] = b"VMHWT\x02\x00\x00";

/// Errors building the backend.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// wasmtime refused the configuration or the linker.
    #[error("wasmtime setup failed: {0}")]
    Setup(String),
}

/// The engine's memory backstop was reached (the limits pass caps memory first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("linear memory backstop exceeded")]
pub struct MemoryLimitExceeded;

/// The resource limiter of every store: a backstop beyond the host's memory cap.
pub(crate) struct MemoryLimiter {
    limit: usize,
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.limit {
            return Err(wasmtime::Error::new(MemoryLimitExceeded));
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 1 << 20)
    }
}

struct Ticker {
    stop: Arc<AtomicBool>,
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn start_ticker(engine: Engine, tick: Duration) -> Ticker {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let spawned = std::thread::Builder::new().name("vmhost-wasmtime-epoch".into()).spawn(move || {
        while !flag.load(Ordering::Relaxed) {
            std::thread::sleep(tick);
            engine.increment_epoch();
        }
    });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "could not start the epoch ticker; timeouts will not fire");
    }
    Ticker { stop }
}

/// A store kept for the next top-level call, and how many calls it has served.
struct Recycled {
    store: Store<StoreData>,
    calls: u32,
}

// SAFETY: `StoreData::host` (a pointer to the caller's `dyn Host`) is its only field that is
// not `Send`, and it is `None` in every recycled store: `Module::call` clears it before the
// store is handed back, so nothing tied to a thread moves with the store.
unsafe impl Send for Recycled {}

/// Idle stores kept for reuse, at most (a few per executing thread is plenty).
pub const MAX_IDLE_STORES: usize = 16;

/// How long a call waits for a pool slot before its wave is aborted (the pool is sized for the
/// node's threads by [`WasmtimeConfig::fit_threads`], so waiting at all is rare).
pub const POOL_WAIT_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// State shared by the backend and every module it loaded.
struct Shared {
    engine: Engine,
    linker: wasmtime::Linker<StoreData>,
    cfg: WasmtimeConfig,
    deadline_ticks: u64,
    /// Stores of completed top-level calls, for the next ones.
    idle: Mutex<Vec<Recycled>>,
    /// Warm instances of write-tracked modules, oldest first.
    warm: warm::WarmPool,
    /// Identifies loaded modules (the key of their warm instances).
    next_module: AtomicU64,
    /// Times a call found every pool slot busy and waited.
    pool_waits: AtomicU64,
    _ticker: Ticker,
}

impl Shared {
    /// A store for one call (or a trial instantiation when `host` is `None`): memory limiter,
    /// epoch deadline, and in engine-fuel mode enough fuel to instantiate (the budget is set
    /// right before the entry point runs, so instantiation costs no gas in either mode).
    fn new_store(&self, host: Option<NonNull<dyn Host>>) -> Result<Store<StoreData>, VmError> {
        let data = StoreData {
            host: None,
            memory: None,
            counters: None,
            limiter: MemoryLimiter { limit: self.cfg.memory_limit },
            host_writes: NOTHING_WRITTEN,
        };
        let mut store = Store::new(&self.engine, data);
        store.limiter(|d| &mut d.limiter);
        self.arm(&mut store, host)?;
        Ok(store)
    }

    /// Readies a store, new or recycled, for a call: host, epoch deadline and, with engine
    /// fuel, enough fuel to instantiate.
    fn arm(&self, store: &mut Store<StoreData>, host: Option<NonNull<dyn Host>>) -> Result<(), VmError> {
        store.data_mut().host = host;
        store.set_epoch_deadline(self.deadline_ticks);
        if self.cfg.metering == Metering::EngineFuel {
            store.set_fuel(u64::MAX / 4).map_err(|e| VmError::Internal(format!("{e:#}")))?;
        }
        Ok(())
    }

    fn take_idle(&self) -> Option<Recycled> {
        self.idle.lock().ok()?.pop()
    }

    fn put_idle(&self, r: Recycled) {
        let Ok(mut idle) = self.idle.lock() else { return };
        if idle.len() < MAX_IDLE_STORES {
            idle.push(r);
        }
    }

    /// Waits for another thread's call to free a pool slot (`waiting`: since when this call
    /// has been waiting). Only after [`POOL_WAIT_LIMIT`] of every slot staying busy — a pool
    /// far too small for the node's threads, or a leak — does it give up, as an
    /// infrastructure failure that aborts the wave.
    fn wait_for_slot(&self, waiting: &mut Option<std::time::Instant>, e: &wasmtime::Error) -> Result<(), VmError> {
        let since = *waiting.get_or_insert_with(std::time::Instant::now);
        self.pool_waits.fetch_add(1, Ordering::Relaxed);
        if since.elapsed() > POOL_WAIT_LIMIT {
            return Err(VmError::Internal(format!(
                "every one of the {} pool slots stayed busy for {POOL_WAIT_LIMIT:?}: {e:#}",
                self.cfg.pool_instances
            )));
        }
        self.drop_idle();
        std::thread::sleep(std::time::Duration::from_micros(100));
        Ok(())
    }

    /// Drops every idle store and warm instance, returning the pool slots they held.
    fn drop_idle(&self) {
        let idle = self.idle.lock().map(|mut v| std::mem::take(&mut *v)).unwrap_or_default();
        drop(idle);
        self.warm.clear();
    }
}

/// The wasmtime backend.
pub struct WasmtimeVm {
    shared: Arc<Shared>,
    tag: [u8; 32],
}

impl std::fmt::Debug for WasmtimeVm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmtimeVm").field("metering", &self.shared.cfg.metering).finish()
    }
}

impl WasmtimeVm {
    /// Builds the engine, the linker and the epoch ticker.
    pub fn new(cfg: WasmtimeConfig) -> Result<Self, Error> {
        let engine = Engine::new(&config::engine_config(&cfg)).map_err(|e| Error::Setup(format!("{e:#}")))?;
        let linker = imports::linker(&engine).map_err(|e| Error::Setup(format!("{e:#}")))?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        let mut t = blake3::Hasher::new();
        t.update(b"vmhost-wasmtime/2");
        t.update(&h.finish().to_le_bytes());
        t.update(&[cfg.metering as u8]);
        t.update(&[u8::from(cfg.tracks_writes())]);
        let tag = *t.finalize().as_bytes();
        let tick = cfg.epoch_tick.max(Duration::from_millis(1));
        let deadline_ticks = (cfg.call_timeout.as_micros() / tick.as_micros().max(1)).max(1) as u64;
        let ticker = start_ticker(engine.clone(), tick);
        let shared = Shared {
            engine,
            linker,
            deadline_ticks,
            idle: Mutex::new(Vec::new()),
            warm: warm::WarmPool::new(cfg.instance_reuse),
            next_module: AtomicU64::new(0),
            pool_waits: AtomicU64::new(0),
            cfg,
            _ticker: ticker,
        };
        Ok(Self { shared: Arc::new(shared), tag })
    }

    /// A backend sized for `params` ([`WasmtimeConfig::fit`] on `cfg`).
    pub fn for_params(mut cfg: WasmtimeConfig, params: &ConsensusParams) -> Result<Self, Error> {
        cfg.fit(params);
        Self::new(cfg)
    }

    /// The wasmtime engine (benchmarks compare against it directly).
    pub fn engine(&self) -> &Engine {
        &self.shared.engine
    }

    /// The backend configuration.
    pub fn config(&self) -> &WasmtimeConfig {
        &self.shared.cfg
    }

    /// How warm instances have served calls so far ([`WasmtimeConfig::instance_reuse`]).
    pub fn reuse_stats(&self) -> ReuseStats {
        self.shared.warm.stats()
    }

    /// Times a call or a deploy found every pool slot busy and waited for one (contention
    /// between executor threads; with [`WasmtimeConfig::fit_threads`] sizing it stays 0).
    pub fn pool_waits(&self) -> u64 {
        self.shared.pool_waits.load(Ordering::Relaxed)
    }
}

impl WasmtimeVm {
    /// Instantiates a freshly compiled module once, without running anything (contracts have no
    /// start function). A module that cannot be instantiated under this backend's limits (data
    /// out of bounds, memory or instance size over the pool's limits) is rejected at deploy,
    /// so a call can never fail for a reason that is the code's fault but looks like ours.
    fn trial_instantiate(&self, module: &wasmtime::Module) -> Result<(), PrepareError> {
        let reject = |e: wasmtime::Error| PrepareError::Rejected {
            code: ErrorCode::CompileFailed,
            message: format!("module cannot be instantiated: {e:#}"),
        };
        let pre = self.shared.linker.instantiate_pre(module).map_err(reject)?;
        let (mut retried, mut waiting) = (false, None);
        loop {
            let mut store = self.shared.new_store(None).map_err(|e| PrepareError::Internal(e.to_string()))?;
            match pre.instantiate(&mut store) {
                Ok(_) => return Ok(()),
                // Idle stores and warm instances hold slots: free them and try once more.
                Err(e) if pool_exhausted(&e) && !retried => {
                    drop(store);
                    self.shared.drop_idle();
                    retried = true;
                }
                // Every slot of the pool busy is this node's load, not the code's fault: failing
                // the deploy here could reject on one validator what another accepts. Other
                // threads' calls free slots as they end: wait for one.
                Err(e) if pool_exhausted(&e) => {
                    drop(store);
                    self.shared.wait_for_slot(&mut waiting, &e).map_err(|e| PrepareError::Internal(e.to_string()))?;
                }
                Err(e) => return Err(reject(e)),
            }
        }
    }
}

impl Vm for WasmtimeVm {
    fn name(&self) -> &str {
        "wasmtime"
    }

    fn artifact_tag(&self) -> [u8; 32] {
        self.tag
    }

    fn code_format(&self) -> CodeFormat {
        let metering = match self.shared.cfg.metering {
            Metering::Injected => MeteringMode::Injected,
            Metering::EngineFuel => MeteringMode::Engine,
        };
        CodeFormat::Wasm(WasmPipeline { metering, track_writes: self.shared.cfg.tracks_writes() })
    }

    fn check_params(&self, params: &ConsensusParams) -> Result<(), String> {
        self.shared.cfg.check(params)
    }

    fn native_stack_per_call(&self) -> usize {
        self.shared.cfg.max_wasm_stack
    }

    fn compile(&self, code: &[u8]) -> Result<Vec<u8>, PrepareError> {
        let module = wasmtime::Module::new(&self.shared.engine, code)
            .map_err(|e| PrepareError::Rejected { code: ErrorCode::CompileFailed, message: format!("{e:#}") })?;
        self.trial_instantiate(&module)?;
        let serialized = module.serialize().map_err(|e| PrepareError::Internal(format!("{e:#}")))?;
        Ok(vmhost::frame_artifact(ARTIFACT_MAGIC, &serialized))
    }

    fn load(&self, artifact: &[u8]) -> Result<Arc<dyn Module>, VmError> {
        let payload = vmhost::unframe_artifact(ARTIFACT_MAGIC, artifact)?;
        // SAFETY: the payload was produced by `Module::serialize` (checksum verified above) and
        // wasmtime checks the engine version and configuration before using it.
        let module = unsafe { wasmtime::Module::deserialize(&self.shared.engine, payload) }
            .map_err(|e| VmError::BadArtifact(format!("{e:#}")))?;
        let pre = self.shared.linker.instantiate_pre(&module).map_err(|e| VmError::BadArtifact(format!("{e:#}")))?;
        let mut entries = HashMap::new();
        for export in module.exports() {
            if let wasmtime::ExternType::Func(ft) = export.ty() {
                if ft.params().len() == 0 && ft.results().len() == 0 {
                    if let Some(idx) = module.get_export_index(export.name()) {
                        entries.insert(export.name().to_string(), idx);
                    }
                }
            }
        }
        let memory =
            module.get_export_index("memory").ok_or_else(|| VmError::BadArtifact("module exports no memory".into()))?;
        let export = |name: &str| {
            module.get_export_index(name).ok_or_else(|| VmError::BadArtifact(format!("prepared module lacks {name}")))
        };
        let gas = match self.shared.cfg.metering {
            Metering::Injected => Some(export(GAS_GLOBAL_EXPORT)?),
            Metering::EngineFuel => None,
        };
        let counters = CounterExports { gas, stack: export(STACK_EXPORT)?, memory: export(MEMORY_LIMIT_EXPORT)? };
        let tracking = if self.shared.cfg.tracks_writes() { warm::Tracking::find(&module) } else { None };
        let id = self.shared.next_module.fetch_add(1, Ordering::Relaxed);
        Ok(Arc::new(WasmtimeModule {
            shared: self.shared.clone(),
            pre,
            entries,
            memory,
            counters,
            id,
            tracking,
            pristine: std::sync::OnceLock::new(),
        }))
    }
}

/// Where the host's counters are exported.
struct CounterExports {
    /// The injected gas global (`None` with engine fuel).
    gas: Option<ModuleExport>,
    /// The stack units left.
    stack: ModuleExport,
    /// The pages the memory may reach.
    memory: ModuleExport,
}

/// An instance's counters.
#[derive(Clone, Copy)]
pub(crate) struct Counters {
    /// Gas left (`None`: engine fuel).
    pub gas: Option<Global>,
    /// Stack units left.
    pub stack: Global,
    /// Pages the memory may reach.
    pub memory: Global,
    /// The stack and memory budgets the counters hold, when known: a call that completes gives
    /// back every stack unit it took and leaves the memory limit alone, so a warm instance's
    /// next top-level call (same budgets) need not write them again.
    pub budgets: Option<(u32, u32)>,
}

/// A loaded module: pre-linked, instantiated per call (or kept warm, when write-tracked).
struct WasmtimeModule {
    shared: Arc<Shared>,
    pre: InstancePre<StoreData>,
    entries: HashMap<String, ModuleExport>,
    memory: ModuleExport,
    counters: CounterExports,
    /// Key of this module's warm instances.
    id: u64,
    /// The write-tracking exports, when the artifact has them and reuse is on.
    tracking: Option<warm::Tracking>,
    /// The just-instantiated state a warm instance is reset to (taken from the first one).
    pristine: std::sync::OnceLock<warm::Pristine>,
}

impl Drop for WasmtimeModule {
    fn drop(&mut self) {
        self.shared.warm.forget(self.id);
    }
}

/// Whether instantiation failed because every slot of the pool is taken.
fn pool_exhausted(e: &wasmtime::Error) -> bool {
    e.downcast_ref::<wasmtime::PoolConcurrencyLimitError>().is_some()
}

/// The global `instance` exports as `export`.
fn export_global(store: &mut Store<StoreData>, instance: &Instance, export: &ModuleExport) -> Option<Global> {
    match instance.get_module_export(store, export) {
        Some(Extern::Global(g)) => Some(g),
        _ => None,
    }
}

/// A counter global's value (0 if unreadable).
fn counter(store: &mut Store<StoreData>, g: &Global) -> i32 {
    g.get(&mut *store).i32().unwrap_or(0)
}

/// Names a wasmtime error the engine-neutral way ([`GuestTrap`], which the host maps to a code
/// with the counters), or makes it an infrastructure error: wasmtime's own stack and memory
/// limits are backstops a prepared module never reaches, and a timeout is the node's problem.
fn classify(err: &wasmtime::Error) -> Result<GuestTrap, VmError> {
    if let Some(t) = err.downcast_ref::<HostTrap>() {
        return Ok(GuestTrap::Host(t.code));
    }
    if err.downcast_ref::<MemoryLimitExceeded>().is_some() {
        return Err(VmError::Backstop("wasmtime's memory limiter".into()));
    }
    let Some(trap) = err.downcast_ref::<Trap>() else {
        return Err(VmError::Internal(format!("{err:#}")));
    };
    Ok(match trap {
        Trap::OutOfFuel => GuestTrap::OutOfFuel,
        Trap::UnreachableCodeReached => GuestTrap::Unreachable,
        Trap::StackOverflow => return Err(VmError::Backstop("wasmtime's stack limit".into())),
        Trap::Interrupt => return Err(VmError::Timeout),
        Trap::AllocationTooLarge => return Err(VmError::Backstop("wasmtime allocation limit".into())),
        Trap::MemoryOutOfBounds | Trap::HeapMisaligned => GuestTrap::MemoryOutOfBounds,
        Trap::TableOutOfBounds | Trap::IndirectCallToNull | Trap::BadSignature => GuestTrap::IndirectCallFault,
        Trap::IntegerOverflow | Trap::BadConversionToInteger => GuestTrap::IntegerOverflow,
        Trap::IntegerDivisionByZero => GuestTrap::IntegerDivisionByZero,
        _ => GuestTrap::Other,
    })
}

/// Why a call produced no outcome.
enum Failure {
    /// Every instance slot of the pool is taken (possibly by idle stores' old instances).
    PoolExhausted(wasmtime::Error),
    /// Anything else: reported as is.
    Vm(VmError),
}

impl From<VmError> for Failure {
    fn from(e: VmError) -> Self {
        Failure::Vm(e)
    }
}

impl Module for WasmtimeModule {
    fn call(&self, call: &CallParams<'_>, host: &mut dyn Host) -> Result<CallOutcome, VmError> {
        let Some(export) = self.entries.get(call.entry) else {
            return Ok(CallOutcome { result: Err(ErrorCode::UnknownEntryPoint), gas_left: call.gas_limit });
        };
        // SAFETY (lifetime erasure): the pointer is only dereferenced by host imports while this
        // call runs; it is cleared from the store before `call` returns, whether the store is
        // dropped or kept for another call.
        let host_ptr: NonNull<dyn Host> =
            unsafe { std::mem::transmute::<NonNull<dyn Host + '_>, NonNull<dyn Host + 'static>>(NonNull::from(host)) };
        let top = call.is_top_level();
        if top && self.tracking.is_some() {
            if let Some(outcome) = self.call_warm(export, call, host_ptr)? {
                return Ok(outcome);
            }
        }
        // Only top-level calls reuse stores: a nested call's store would otherwise hold idle
        // slots for every level of a deep call chain.
        let reuse = top && self.shared.cfg.store_reuse > 1;
        let mut recycled = if reuse { self.shared.take_idle() } else { None };
        let (mut retried, mut waiting) = (false, None);
        loop {
            let (mut store, calls) = match recycled.take() {
                Some(r) => {
                    let mut store = r.store;
                    self.shared.arm(&mut store, Some(host_ptr))?;
                    (store, r.calls)
                }
                None => (self.shared.new_store(Some(host_ptr))?, 0),
            };
            let out = self.run(&mut store, export, call);
            store.data_mut().end_call();
            match out {
                Ok(outcome) => {
                    if reuse && outcome.result.is_ok() && calls + 1 < self.shared.cfg.store_reuse {
                        self.shared.put_idle(Recycled { store, calls: calls + 1 });
                    }
                    return Ok(outcome);
                }
                // Idle stores and this one's old instances hold slots a fresh store would not:
                // free them and try once more, so reuse never fails a call that would run
                // without it.
                Err(Failure::PoolExhausted(_)) if !retried => {
                    drop(store);
                    self.shared.drop_idle();
                    retried = true;
                }
                // Every slot held by calls running on other threads: back-pressure, not an
                // error (a call's outcome never depends on the node's load).
                Err(Failure::PoolExhausted(e)) => {
                    drop(store);
                    self.shared.wait_for_slot(&mut waiting, &e)?;
                }
                Err(Failure::Vm(e)) => return Err(e),
            }
        }
    }
}

impl WasmtimeModule {
    /// The counters of `instance`.
    fn counters(&self, store: &mut Store<StoreData>, instance: &Instance) -> Result<Counters, VmError> {
        let missing = || VmError::Internal("a counter global of the prepared module is missing".into());
        let gas = match &self.counters.gas {
            Some(e) => Some(export_global(store, instance, e).ok_or_else(missing)?),
            None => None,
        };
        Ok(Counters {
            gas,
            stack: export_global(store, instance, &self.counters.stack).ok_or_else(missing)?,
            memory: export_global(store, instance, &self.counters.memory).ok_or_else(missing)?,
            budgets: None,
        })
    }

    /// One call on `store`: a fresh instance, the budgets, the entry point.
    fn run(
        &self,
        store: &mut Store<StoreData>,
        export: &ModuleExport,
        call: &CallParams<'_>,
    ) -> Result<CallOutcome, Failure> {
        let instance = match self.pre.instantiate(&mut *store) {
            Ok(i) => i,
            Err(e) if pool_exhausted(&e) => {
                return Err(Failure::PoolExhausted(e));
            }
            Err(e) => {
                // The trial instantiation at deploy succeeded: this is the node's problem.
                return Err(Failure::Vm(VmError::Internal(format!("instantiation failed: {e:#}"))));
            }
        };
        let Some(Extern::Memory(memory)) = instance.get_module_export(&mut *store, &self.memory) else {
            return Err(VmError::Internal("memory export vanished".into()).into());
        };
        let mut counters = self.counters(store, &instance)?;
        self.invoke(store, &instance, memory, &mut counters, export, call)
    }

    /// Runs entry point `export` of `instance` with the call's budgets in `counters` (gas as
    /// engine fuel when the gas counter is `None`).
    fn invoke(
        &self,
        store: &mut Store<StoreData>,
        instance: &Instance,
        memory: Memory,
        counters: &mut Counters,
        export: &ModuleExport,
        call: &CallParams<'_>,
    ) -> Result<CallOutcome, Failure> {
        let data = store.data_mut();
        data.memory = Some(memory);
        data.host_writes = NOTHING_WRITTEN;
        let internal = |e: wasmtime::Error| VmError::Internal(format!("{e:#}"));
        let as_i32 = |v: u32| Val::I32(i32::try_from(v).unwrap_or(i32::MAX));
        let budgets = (call.stack_left, call.memory_pages);
        if counters.budgets != Some(budgets) {
            counters.stack.set(&mut *store, as_i32(call.stack_left)).map_err(internal)?;
            counters.memory.set(&mut *store, as_i32(call.memory_pages)).map_err(internal)?;
        }
        // Known again only if the call completes (a trap may leave either counter anywhere).
        counters.budgets = None;
        match counters.gas {
            Some(g) => g.set(&mut *store, Val::I64(call.gas_limit as i64)).map_err(internal)?,
            None => store.set_fuel(call.gas_limit).map_err(internal)?,
        }
        store.data_mut().counters = Some(*counters);
        let Some(Extern::Func(func)) = instance.get_module_export(&mut *store, export) else {
            return Ok(CallOutcome { result: Err(ErrorCode::UnknownEntryPoint), gas_left: call.gas_limit });
        };
        // SAFETY: `entries` holds only exports of type `() -> ()` (filtered in `load`), so an
        // empty parameter/result buffer is exactly what the callee's array-call ABI expects.
        // This skips `Func::typed`'s per-call type lookup (~0.15 µs of a ~2.3 µs call).
        let mut no_values: [ValRaw; 0] = [];
        let r = unsafe { func.call_unchecked(&mut *store, &mut no_values[..] as *mut [ValRaw]) };
        let (gas_left, raw_gas) = gas_left(store, counters.gas);
        let result = match r {
            Ok(()) => {
                counters.budgets = Some(budgets);
                Ok(())
            }
            Err(e) => {
                let values = CounterValues {
                    gas: raw_gas,
                    stack: counter(store, &counters.stack),
                    memory: counter(store, &counters.memory),
                };
                Err(trap_code(classify(&e)?, values))
            }
        };
        let gas_left = if result == Err(ErrorCode::OutOfGas) { 0 } else { gas_left };
        Ok(CallOutcome { result, gas_left })
    }
}

/// Gas left after a call, and the injected counter as the module left it (`None` with engine
/// fuel).
fn gas_left(store: &mut Store<StoreData>, gas: Option<Global>) -> (u64, Option<i64>) {
    match gas {
        Some(g) => {
            let v = g.get(&mut *store).i64().unwrap_or(0);
            (v.max(0) as u64, Some(v))
        }
        // Engine fuel reports exhaustion as its own trap (`OutOfFuel`). wasmtime checks fuel
        // at function entries and loop headers, so straight-line code can finish a few
        // operators past the budget; the receipt then shows the whole budget used.
        None => (store.get_fuel().unwrap_or(0), None),
    }
}
