//! The deterministic wasmtime configuration (seed §3.2) and the backend's options.

use std::time::Duration;

use vmhost::wasm::WasmLimits;
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
    /// Linear-memory cap per instance, bytes (default 64 MiB).
    pub memory_limit: usize,
    /// Wasm stack limit, bytes (default 512 KiB).
    pub max_wasm_stack: usize,
    /// Wall-clock budget per call (epoch interruption; default 1 s).
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
    /// Static deploy limits of the gate.
    pub limits: WasmLimits,
}

impl Default for WasmtimeConfig {
    fn default() -> Self {
        Self {
            metering: Metering::Injected,
            memory_limit: 64 << 20,
            max_wasm_stack: 512 << 10,
            call_timeout: Duration::from_secs(1),
            epoch_tick: Duration::from_millis(5),
            pooling: true,
            pool_instances: 512,
            keep_resident: 2 << 20,
            store_reuse: 16,
            instance_reuse: 64,
            limits: WasmLimits::default(),
        }
    }
}

impl WasmtimeConfig {
    /// Whether deploys run the write-tracking pass (injected metering and `instance_reuse` >
    /// 0), so that calls can run on warm instances. Tracked artifacts carry other code (the same
    /// gas), so this is part of the artifact tag.
    pub fn tracks_writes(&self) -> bool {
        self.metering == Metering::Injected && self.instance_reuse > 0
    }

    /// Sets the metering mode.
    pub fn metering(&mut self, m: Metering) -> &mut Self {
        self.metering = m;
        self
    }
    /// Sets the memory cap in bytes.
    pub fn memory_limit(&mut self, bytes: usize) -> &mut Self {
        self.memory_limit = bytes;
        self
    }
    /// Sets the per-call wall-clock budget.
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

/// The per-operator weights of the ABI schedule as wasmtime `OperatorCost` (engine-fuel mode).
pub fn operator_cost() -> wasmtime::OperatorCost {
    use vmhost_abi::gas::op;
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
    c.Call = w(op::CALL);
    c.CallIndirect = w(op::CALL);
    c.I32DivS = w(op::DIVISION);
    c.I32DivU = w(op::DIVISION);
    c.I32RemS = w(op::DIVISION);
    c.I32RemU = w(op::DIVISION);
    c.I64DivS = w(op::DIVISION);
    c.I64DivU = w(op::DIVISION);
    c.I64RemS = w(op::DIVISION);
    c.I64RemU = w(op::DIVISION);
    c.MemoryGrow = w(op::MEMORY_GROW);
    c.variable.memory_grow_per_page = w(op::MEMORY_GROW_PER_PAGE);
    c.variable.memory_copy_per_byte = w(op::BULK_PER_BYTE);
    c.variable.memory_fill_per_byte = w(op::BULK_PER_BYTE);
    c.variable.memory_init_per_byte = w(op::BULK_PER_BYTE);
    c.variable.table_copy_per_element = w(op::TABLE_PER_ELEMENT);
    c.variable.table_init_per_element = w(op::TABLE_PER_ELEMENT);
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
        c.operator_cost(operator_cost());
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
            .table_elements(cfg.limits.max_table_size.min(1 << 20) as usize)
            .linear_memory_keep_resident(keep_resident(cfg))
            .table_keep_resident(64 << 10)
            .pagemap_scan(Enabled::Auto);
        c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    c
}
