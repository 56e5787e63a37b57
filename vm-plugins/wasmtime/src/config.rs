//! The deterministic wasmtime configuration (seed §3.2) and the backend's options.

use std::time::Duration;

use vmhost::ConsensusParams;
use vmhost_abi::gas::OpWeights;
use wasmtime::{
    Config, Enabled, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig, Strategy, WasmFeatures,
};

/// How gas is metered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metering {
    /// Gas accounting injected into the module at deploy (the host's schedule, identical on
    /// every backend by construction). The default.
    Injected,
    /// wasmtime's own fuel (`consume_fuel`) with the same per-operator weights: for
    /// single-backend chains. Equal gas to `Injected` on every call that completes.
    EngineFuel,
}

/// Options of the wasmtime backend.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WasmtimeConfig {
    /// Gas metering mode.
    pub metering: Metering,
    /// Linear-memory backstop per instance, bytes (default 32 MiB: the default transaction
    /// memory cap). The host's limits pass stops a call at the transaction's cap first;
    /// [`WasmtimeConfig::fit`] sizes this to it.
    pub memory_limit: usize,
    /// wasmtime's own stack limit per call, bytes (default 1 MiB): a backstop twice the most
    /// native stack the host's stack budget can buy ([`BYTES_PER_STACK_UNIT`] per unit). The
    /// host sizes its executor threads so that the maximum call depth of these fits.
    pub max_wasm_stack: usize,
    /// Largest table the pool holds per instance, in elements (default 10 000: the gate's
    /// default `max_table_size`).
    pub table_elements: u64,
    /// Wall-clock safety net per call (epoch interruption; default 5 s). Reaching it is an
    /// infrastructure failure ([`vmhost::VmError::Timeout`]), never a receipt outcome.
    pub call_timeout: Duration,
    /// Epoch tick of the backend's ticker thread (default 5 ms).
    pub epoch_tick: Duration,
    /// Use the pooling instance allocator (default true).
    pub pooling: bool,
    /// Instance slots in the pool (bounds concurrent + nested instances; default 512).
    pub pool_instances: u32,
    /// Bytes of each linear memory kept resident between instances (default 2 MiB). With
    /// Linux's `PAGEMAP_SCAN` (kernel ≥ 6.7) only the pages a call dirtied are reset, by memset,
    /// with no `madvise` and no page faults on the next call; without it wasmtime would memset
    /// the whole window, so the window is then capped at 64 KiB.
    pub keep_resident: usize,
    /// Top-level calls one `Store` serves before it is dropped (default 16; 1 = a fresh store
    /// per call). Applies to calls that do not run on a warm instance (see `instance_reuse`):
    /// each still gets a fresh instance; reusing the store saves creating it,
    /// registering the module in it, and tearing it down (~0.5 µs of a ~6 µs token transfer).
    /// A store keeps the pool slots of the instances it created until it is dropped, so each
    /// executing thread holds up to `store_reuse - 1` idle slots of `pool_instances`; when the
    /// pool runs out, idle stores are dropped and the call retries on a fresh one.
    pub store_reuse: u32,
    /// Idle instances kept warm for the next top-level call of the same contract, across all
    /// contracts (default 64; 0 = a fresh instance per call). Needs [`Metering::Injected`]:
    /// deploy then also runs the write-tracking pass ([`vmhost::wasm::track_writes`]), and a
    /// call on a warm instance is followed by an exact reset of what it changed — the memory
    /// range its writes and the host's writes covered, and the mutable globals — instead of
    /// a new instantiation and wasmtime's reset of the pool slot. A call that traps, grows
    /// memory, or dirtied more than 256 KiB drops its instance instead. Each idle instance
    /// holds one of `pool_instances`; when the pool runs out they are dropped and the call
    /// retries.
    pub instance_reuse: u32,
    /// The operator weights engine fuel charges ([`Metering::EngineFuel`] only; injected
    /// metering takes them from the host's pipeline). Set by [`WasmtimeConfig::fit`].
    pub ops: OpWeights,
}

use vmhost::wasm::Backstops;
pub use vmhost::wasm::BYTES_PER_STACK_UNIT;

/// wasmtime refuses a `max_wasm_stack` above its (default) async stack size.
const MAX_WASM_STACK: usize = 2 << 20;

/// wasmtime's backstops for `params`: twice the stack the budget can take.
fn backstops(params: &ConsensusParams) -> Backstops {
    Backstops::for_params(params, 2, (64 << 10, MAX_WASM_STACK))
}

/// The wasm stack backstop for a stack budget of `units`: twice what the units can take.
pub fn stack_backstop(units: u32) -> usize {
    let mut p = ConsensusParams::default();
    p.stack_limit = units;
    backstops(&p).stack_bytes
}

impl Default for WasmtimeConfig {
    fn default() -> Self {
        let params = ConsensusParams::default();
        Self {
            metering: Metering::Injected,
            memory_limit: params.memory.max_tx_pages as usize * PAGE,
            max_wasm_stack: stack_backstop(params.stack_limit),
            table_elements: params.wasm.max_table_size,
            call_timeout: Duration::from_secs(5),
            epoch_tick: Duration::from_millis(5),
            pooling: true,
            pool_instances: 512,
            keep_resident: 2 << 20,
            store_reuse: 16,
            instance_reuse: 64,
            ops: params.ops,
        }
    }
}

use vmhost::wasm::backstops::PAGE;

impl WasmtimeConfig {
    /// Whether deploys run the write-tracking pass (injected metering and `instance_reuse` >
    /// 0), so that calls can run on warm instances. Tracked artifacts carry other code (the same
    /// gas), so this is part of the artifact tag.
    pub fn tracks_writes(&self) -> bool {
        self.metering == Metering::Injected && self.instance_reuse > 0
    }

    /// Sizes the engine's backstops to the chain's consensus parameters: the memory limiter to
    /// the transaction memory cap, the stack limit to twice what the stack budget can take,
    /// the pool's tables to the gate's table limit. The one path from the consensus parameters
    /// to this backend (the CLI and the library both use it).
    pub fn fit(&mut self, params: &ConsensusParams) -> &mut Self {
        let b = backstops(params);
        self.memory_limit = b.memory_bytes;
        self.max_wasm_stack = b.stack_bytes;
        self.table_elements = b.table_elements;
        self.ops = params.ops;
        self
    }

    /// [`WasmtimeConfig::fit`] to the largest needs of every parameter set of a chain (genesis
    /// and each scheduled upgrade).
    pub fn fit_chain(&mut self, exec: &vmhost::ExecConfig) -> &mut Self {
        let (mut memory, mut stack, mut tables) = (0usize, 0usize, 0u64);
        for params in exec.param_sets() {
            self.fit(params);
            memory = memory.max(self.memory_limit);
            stack = stack.max(self.max_wasm_stack);
            tables = tables.max(self.table_elements);
        }
        self.memory_limit = memory;
        self.max_wasm_stack = stack;
        self.table_elements = tables;
        let depth = exec.param_sets().map(|p| p.max_call_depth).max().unwrap_or(1);
        self.fit_threads(exec.node.threads, depth)
    }

    /// Pool slots enough for `threads` executor threads each running a call chain
    /// `max_call_depth` deep ([`WasmtimeConfig::slots_needed`]), so a call waits for a slot
    /// only if the pool is shared beyond one chain. Never shrinks the pool.
    pub fn fit_threads(&mut self, threads: usize, max_call_depth: u32) -> &mut Self {
        self.pool_instances = self.pool_instances.max(self.slots_needed(threads, max_call_depth));
        self
    }

    /// Pool slots `threads` threads can hold at once: on each, an instance per level of a call
    /// chain `max_call_depth` deep plus the dead instances of the store its top-level call
    /// reuses (`store_reuse - 1`); across them, the idle stores' and the warm instances'.
    pub fn slots_needed(&self, threads: usize, max_call_depth: u32) -> u32 {
        let per_thread = u64::from(max_call_depth) + 1 + u64::from(self.store_reuse);
        let idle = crate::MAX_IDLE_STORES as u64 * u64::from(self.store_reuse) + u64::from(self.instance_reuse);
        let total = (threads.max(1) as u64).saturating_mul(per_thread).saturating_add(idle);
        u32::try_from(total).unwrap_or(u32::MAX)
    }

    /// Whether the backstops lie beyond every limit the host enforces under `params` (what
    /// [`vmhost::Vm::check_params`] reports).
    pub fn check(&self, params: &ConsensusParams) -> Result<(), String> {
        let own = Backstops {
            memory_bytes: self.memory_limit,
            stack_bytes: self.max_wasm_stack,
            table_elements: self.table_elements,
        };
        own.check(params)?;
        if self.metering == Metering::EngineFuel {
            // wasmtime's operator costs are u8: a weight above 255 cannot be charged as fuel.
            let o = &params.ops;
            for (name, w) in [
                ("ops.default", o.default),
                ("ops.call", o.call),
                ("ops.division", o.division),
                ("ops.memory_grow", o.memory_grow),
                ("ops.memory_page", o.memory_page),
                ("ops.bulk_per_byte", o.bulk_per_byte),
                ("ops.table_per_element", o.table_per_element),
            ] {
                if w > u64::from(u8::MAX) {
                    return Err(format!("engine fuel cannot charge {name} = {w} (wasmtime's operator costs are at most 255); use injected metering"));
                }
            }
            if o.function_entry != 1 || o.default != 1 {
                return Err("engine fuel charges 1 per function entry and per plain operator (ops.function_entry and ops.default must be 1); use injected metering".into());
            }
            if self.ops != *o {
                return Err("this engine was built for other operator weights (WasmtimeConfig::fit)".into());
            }
        }
        Ok(())
    }

    /// Sets the metering mode.
    pub fn metering(&mut self, m: Metering) -> &mut Self {
        self.metering = m;
        self
    }
    /// Sets the memory backstop in bytes.
    pub fn memory_limit(&mut self, bytes: usize) -> &mut Self {
        self.memory_limit = bytes;
        self
    }
    /// Sets the per-call wall-clock safety net.
    pub fn call_timeout(&mut self, t: Duration) -> &mut Self {
        self.call_timeout = t;
        self
    }
    /// Sets the wasm stack limit.
    pub fn max_wasm_stack(&mut self, bytes: usize) -> &mut Self {
        self.max_wasm_stack = bytes;
        self
    }
    /// Sets how many top-level calls one store serves (1 = a fresh store per call).
    pub fn store_reuse(&mut self, calls: u32) -> &mut Self {
        self.store_reuse = calls.max(1);
        self
    }
    /// Sets how many idle warm instances are kept (0 = a fresh instance per call).
    pub fn instance_reuse(&mut self, instances: u32) -> &mut Self {
        self.instance_reuse = instances;
        self
    }
    /// Enables or disables the pooling allocator.
    pub fn pooling(&mut self, on: bool) -> &mut Self {
        self.pooling = on;
        self
    }
    /// Sets the resident bytes kept per pooled memory.
    pub fn keep_resident(&mut self, bytes: usize) -> &mut Self {
        self.keep_resident = bytes;
        self
    }
}

/// The per-operator weights `o` as wasmtime `OperatorCost` (engine-fuel mode). Weights above
/// 255 do not fit (the engine refuses such a chain: [`WasmtimeConfig::check`]).
pub fn operator_cost(o: &OpWeights) -> wasmtime::OperatorCost {
    let mut c = wasmtime::OperatorCost::new();
    // Operators not named below already cost 1 (= op::DEFAULT) in wasmtime's table; the free
    // control operators are 0 there too. Set every named class explicitly anyway.
    let w = |v: u64| u8::try_from(v).unwrap_or(u8::MAX);
    c.Nop = 0;
    c.Drop = 0;
    c.Block = 0;
    c.Loop = 0;
    c.Unreachable = 0;
    c.Return = 0;
    c.Else = 0;
    c.End = 0;
    c.Call = w(o.call);
    c.CallIndirect = w(o.call);
    c.I32DivS = w(o.division);
    c.I32DivU = w(o.division);
    c.I32RemS = w(o.division);
    c.I32RemU = w(o.division);
    c.I64DivS = w(o.division);
    c.I64DivU = w(o.division);
    c.I64RemS = w(o.division);
    c.I64RemU = w(o.division);
    c.MemoryGrow = w(o.memory_grow);
    c.variable.memory_grow_per_page = w(o.memory_page);
    c.variable.memory_copy_per_byte = w(o.bulk_per_byte);
    c.variable.memory_fill_per_byte = w(o.bulk_per_byte);
    c.variable.memory_init_per_byte = w(o.bulk_per_byte);
    c.variable.table_copy_per_element = w(o.table_per_element);
    c.variable.table_init_per_element = w(o.table_per_element);
    c
}

/// The resident window actually used: the configured one with `PAGEMAP_SCAN`, else ≤ 64 KiB.
pub fn keep_resident(cfg: &WasmtimeConfig) -> usize {
    let window = cfg.keep_resident.min(cfg.memory_limit);
    if PoolingAllocationConfig::is_pagemap_scan_available() {
        window
    } else {
        window.min(64 << 10)
    }
}

/// Builds the deterministic engine configuration, setter by setter as seed §3.2 lists.
pub fn engine_config(cfg: &WasmtimeConfig) -> Config {
    let mut c = Config::new();
    c.strategy(Strategy::Cranelift);
    c.cranelift_opt_level(OptLevel::Speed);
    c.consume_fuel(cfg.metering == Metering::EngineFuel);
    if cfg.metering == Metering::EngineFuel {
        c.operator_cost(operator_cost(&cfg.ops));
    }
    c.epoch_interruption(true);
    // Determinism enforcement:
    c.cranelift_nan_canonicalization(true);
    // `wasm_threads` does not exist without the `threads` cargo feature: same rule via flags.
    c.wasm_features(WasmFeatures::THREADS | WasmFeatures::SHARED_EVERYTHING_THREADS, false);
    c.wasm_simd(false);
    c.wasm_relaxed_simd(false);
    // `wasm_reference_types` needs the `gc` feature; reference types are ON by default, so
    // switch them off through the flag (the deploy gate rejects them as well).
    c.wasm_features(WasmFeatures::REFERENCE_TYPES, false);
    c.wasm_bulk_memory(true);
    c.wasm_multi_memory(false);
    c.wasm_memory64(false);
    // `wasm_function_references` needs the `gc` feature: flag instead.
    c.wasm_features(WasmFeatures::FUNCTION_REFERENCES, false);
    c.wasm_gc(false);
    // `wasm_component_model` needs the `component-model` feature (not compiled in): flag too.
    c.wasm_features(WasmFeatures::COMPONENT_MODEL, false);
    c.wasm_features(
        WasmFeatures::TAIL_CALL
            | WasmFeatures::EXCEPTIONS
            | WasmFeatures::EXTENDED_CONST
            | WasmFeatures::WIDE_ARITHMETIC,
        false,
    );
    // No WASI: the wasi crates are not even dependencies; the gate rejects any non-ABI import.
    c.max_wasm_stack(cfg.max_wasm_stack);
    if cfg.pooling {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_core_instances(cfg.pool_instances)
            .total_memories(cfg.pool_instances)
            .total_tables(cfg.pool_instances)
            .max_memories_per_module(1)
            .max_tables_per_module(1)
            .max_memory_size(cfg.memory_limit)
            .table_elements(cfg.table_elements.min(1 << 20) as usize)
            .linear_memory_keep_resident(keep_resident(cfg))
            .table_keep_resident(64 << 10)
            .pagemap_scan(Enabled::Auto);
        c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    c
}
