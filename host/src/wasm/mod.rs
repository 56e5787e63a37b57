//! The wasm deploy gate and the deterministic gas-metering pass (Wasm → Wasm).
//!
//! The host owns this pipeline: every wasm backend receives the module [`prepare_module`]
//! produced, so no backend can skip or diverge from a step. Every wasm contract goes through
//! it once, at deploy (or upgrade), before any backend compiles it:
//!
//! 1. [`validate`] — the gate. The module must be valid under the deterministic feature set
//!    ([`deterministic_features`]); it may import only ABI v1 host functions (module
//!    [`vmhost_abi::IMPORT_MODULE`], names and exact signatures from
//!    [`vmhost_abi::HOST_FUNCTIONS`]); it must stay within the static [`WasmLimits`] (against
//!    compile bombs); it must export its memory as `memory`, may not have a start function and may
//!    not export any `__vmhost_` name. The result is a [`ModuleInfo`].
//! 2. [`instrument_limits`] — the limits pass: the deterministic stack height (one budget per
//!    transaction, shared by nested calls, charged at every call site) and the per-transaction
//!    memory cap, checked by the module itself so every engine stops at the same point (see the
//!    [`limits`] module).
//! 3. [`instrument`] — the metering pass. It appends one mutable `i64` global holding the gas
//!    left, exports it as [`GAS_GLOBAL_EXPORT`], and inserts charge code into every function
//!    body. Everything else is re-encoded unchanged (custom sections are dropped).
//! 4. Optionally, [`track_writes`] — the write-tracking pass, for backends that reuse an
//!    instance across calls: every memory write widens a dirty range held in two appended
//!    globals, so the instance can be reset exactly and cheaply. It charges no gas and does not
//!    decide whether a deploy is accepted (a module it declines just runs on fresh instances).
//!
//! ```
//! use vmhost::wasm::{prepare, WasmLimits};
//! let code = wat::parse_str(r#"(module
//!     (import "vmhost" "input_len" (func $input_len (result i32)))
//!     (memory (export "memory") 1)
//!     (func (export "run") (drop (call $input_len))))"#).unwrap();
//! let (info, metered) = prepare(&code, &WasmLimits::default()).unwrap();
//! assert_eq!(info.exported_functions, ["run"]);
//! assert!(metered.len() > code.len());
//! ```
//!
//! # Metering model
//!
//! Gas is charged per *metered segment*, before the segment runs. A segment starts at function
//! entry and right after each `loop`, `if`, `else`, `end`, `br`, `br_if`, `br_table`, `return`,
//! `unreachable`, `call` and `call_indirect`; the operator that ends a segment belongs to it. A
//! segment costs the sum of [`operator_cost`] over its operators (the ABI schedule,
//! [`vmhost_abi::gas::op`]); a zero-cost segment gets no charge code. While a function runs the
//! counter lives in an `i64` local (as wasmtime's own fuel does): it is loaded from the global at
//! entry and after every call, and stored back before every call, before the function returns
//! (`return`, its final `end`, a branch out of its body) and before a genuine `unreachable`, so
//! the host sees the exact counter at every host call. A charge is
//!
//! ```text
//! local.get $c  i64.const C  i64.sub  local.tee $c
//! i64.const 0  i64.lt_s  if  local.get $c  global.set $gas  unreachable  end
//! ```
//!
//! so when gas runs out the global is negative at the trap, which is how the host tells
//! out-of-gas from a genuine `unreachable`. Operators whose work depends on a runtime operand
//! (`memory.copy`, `memory.fill`, `memory.init`: per byte; `table.copy`, `table.init`: per
//! element; `memory.grow`: per requested page) are additionally charged immediately before they
//! run, from the count on top of the stack (kept there through a scratch `i32` local).
//!
//! The rules reproduce, for every call that completes, the total that wasmtime's engine-native
//! fuel charges with the same per-operator weights and variable costs (`Config::operator_cost`,
//! fuel set after instantiation, since wasmtime also burns fuel evaluating constant expressions
//! while instantiating). Where a call *runs out* can differ: this pass charges a whole segment
//! up front and lets the budget reach exactly 0, while wasmtime checks fuel only at a few points
//! (function entry, loop headers, bulk operations), so it can overdraw between checks, and it
//! traps at a check that finds exactly 0 left.
//!
//! # Robustness
//!
//! Nothing derived from the input bytes can make these functions panic: malformed input is a
//! [`DeployError::InvalidWasm`], every other rejection its own typed variant.

pub mod backstops;
mod error;
mod gate;
pub mod limits;
mod metering;
pub mod reset;
mod tracking;
pub mod warm;

use borsh::{BorshDeserialize, BorshSerialize};

pub use backstops::{Backstops, BYTES_PER_STACK_UNIT};
pub use error::DeployError;
pub use gate::{deterministic_features, validate, ModuleInfo, WasmLimits};
pub use limits::{frame_costs, instrument_limits, Limited, MEMORY_LIMIT_EXPORT, STACK_EXPORT};
pub use metering::{instrument, instrument_with, operator_cost, operator_cost_with};
pub use reset::{
    trap_code, Counters, GlobalValue, Pristine, TrackedMemory, Trap, WarmInstance, MAX_RESET_BYTES, NOTHING_WRITTEN,
};
pub use tracking::{
    track_writes, Untrackable, DATA_HI_EXPORT, DATA_LO_EXPORT, DIRTY_HI_EXPORT, DIRTY_LO_EXPORT, GLOBAL_EXPORT_PREFIX,
};
pub use warm::{ReuseStats, WarmPool};

/// The name of the exported mutable `i64` global holding the gas left.
///
/// The host writes the call's gas budget into it before every call and reads it back afterwards;
/// a negative value after a trap means the call ran out of gas.
pub const GAS_GLOBAL_EXPORT: &str = "__vmhost_gas_left";

/// Gas charged on every function invocation, on top of the function's operators (part of the
/// function's first segment).
///
/// wasmtime's engine-native fuel starts every function at one unit consumed ("even empty
/// functions should consume at least some fuel"; hard-coded in `wasmtime-cranelift`, not part
/// of `Config::operator_cost`), so the metering pass charges the same to keep totals equal.
pub const FUNCTION_ENTRY_GAS: u64 = vmhost_abi::gas::op::FUNCTION_ENTRY;

/// Every name the host's passes export begins with this; the gate refuses modules that export
/// one of their own.
pub const RESERVED_EXPORT_PREFIX: &str = "__vmhost_";

/// The globals a backend sets before every call (gas, stack units, memory pages) and reads
/// back after it.
pub const HOST_GLOBAL_EXPORTS: [&str; 3] = [GAS_GLOBAL_EXPORT, STACK_EXPORT, MEMORY_LIMIT_EXPORT];

/// Validates `code` ([`validate`]) and meters it ([`instrument`]) under the ABI's default
/// weights, without the limits pass: the metering pass on its own, for tests and tools.
pub fn prepare(code: &[u8], limits: &WasmLimits) -> Result<(ModuleInfo, Vec<u8>), DeployError> {
    let info = validate(code, limits)?;
    let metered = metering::instrument_validated(code, &vmhost_abi::gas::OpWeights::default())?;
    Ok((info, metered))
}

/// How gas reaches a wasm backend's module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, BorshSerialize, BorshDeserialize)]
pub enum MeteringMode {
    /// The metering pass injects the accounting into the module (identical on every engine
    /// by construction).
    Injected,
    /// The engine meters with its own fuel under the same weights; the module carries no
    /// accounting. Equal gas to `Injected` on every call that completes.
    Engine,
}

/// What a wasm backend asks of the host's pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WasmPipeline {
    /// Injected metering or the engine's own.
    pub metering: MeteringMode,
    /// Run the write-tracking pass (for backends that reuse instances; injected metering only).
    pub track_writes: bool,
}

impl Default for WasmPipeline {
    fn default() -> Self {
        WasmPipeline { metering: MeteringMode::Injected, track_writes: true }
    }
}

/// What the host keeps about a prepared module beside the backend's artifact.
#[derive(Debug, Clone, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize)]
pub struct ModuleMeta {
    /// Initial linear memory in pages (paid when a call instantiates the module).
    pub initial_pages: u32,
    /// Callable entry points (exported `() -> ()` functions), sorted by name, each with the
    /// stack units of its frame (charged by the host before the call, as the limits pass
    /// charges every other frame at its call site); `None` when the backend runs its own code
    /// format and checks entry points and stack itself.
    pub entries: Option<Vec<(String, u32)>>,
    /// Whether the module went through the write-tracking pass.
    pub tracked: bool,
    /// Whether the module imports a parachain-only host function (a deploy or upgrade of a
    /// plain contract with such code is refused with `ParachainOnly`).
    pub parachain_imports: bool,
}

impl ModuleMeta {
    /// Whether `entry` can be called, and the stack units of its frame: `Some(0)` for a module
    /// whose backend checks entry points itself, `None` for an entry point the module lacks.
    pub fn entry_cost(&self, entry: &str) -> Option<u32> {
        match &self.entries {
            None => Some(0),
            Some(entries) => entries.binary_search_by(|(name, _)| name.as_str().cmp(entry)).ok().map(|i| entries[i].1),
        }
    }
}

/// The module a wasm backend compiles, and what the host keeps about it.
#[derive(Debug, Clone)]
pub struct PreparedModule {
    /// The instrumented module.
    pub code: Vec<u8>,
    /// Host-side facts about it.
    pub meta: ModuleMeta,
}

/// Version of this pipeline's sequence of passes (2: `ModuleMeta::parachain_imports`).
const PIPELINE_VERSION: u32 = 2;

/// Runs the whole pipeline: gate (under `limits`), limits pass, metering (under `weights`, when
/// injected), write tracking (when asked for and the module allows it).
pub fn prepare_module(
    code: &[u8],
    limits: &WasmLimits,
    weights: &vmhost_abi::gas::OpWeights,
    pipeline: WasmPipeline,
) -> Result<PreparedModule, DeployError> {
    let info = validate(code, limits)?;
    // Entry points are the contract's interface: every exported function must be one, and a
    // contract needs at least one (a typo'd or wrong-typed entry is refused here, at deploy,
    // instead of surfacing as UnknownEntryPoint at the first call).
    if let Some((name, found)) = info.other_exported_functions.first() {
        return Err(DeployError::EntryPointSignature { name: name.clone(), found: found.clone() });
    }
    if info.exported_functions.is_empty() {
        return Err(DeployError::NoEntryPoint);
    }
    let limits::Limited { code: limited, entries } = limits::instrument_limits(code)?;
    let (code, tracked) = match pipeline.metering {
        MeteringMode::Engine => (limited, false),
        MeteringMode::Injected => {
            let metered = metering::instrument_validated(&limited, weights)?;
            // Tracking never decides whether a deploy is accepted: a module it declines (or, which
            // should not happen, fails on) runs on a fresh instance per call.
            if pipeline.track_writes {
                match track_writes(&metered) {
                    Ok(Ok(tracked)) => (tracked, true),
                    Ok(Err(why)) => {
                        tracing::debug!(?why, "module is not write-tracked; it runs on a fresh instance per call");
                        (metered, false)
                    }
                    Err(error) => {
                        tracing::warn!(%error, "write tracking failed; the module runs on a fresh instance per call");
                        (metered, false)
                    }
                }
            } else {
                (metered, false)
            }
        }
    };
    let parachain_imports = info.imports.iter().any(|f| f.spec().access == vmhost_abi::Access::ParachainOnly);
    let meta = ModuleMeta { initial_pages: info.initial_pages, entries: Some(entries), tracked, parachain_imports };
    Ok(PreparedModule { code, meta })
}

/// Identifies what [`prepare_module`] produces for `pipeline` and `weights`: the ABI, metering,
/// stack-pass and pipeline versions, the weights and the pipeline options. Part of every
/// artifact's cache key, so an artifact prepared otherwise is never loaded.
pub fn pipeline_tag(weights: &vmhost_abi::gas::OpWeights, pipeline: WasmPipeline) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"vmhost/v1/wasm-pipeline");
    for v in [
        PIPELINE_VERSION,
        vmhost_abi::ABI_VERSION,
        vmhost_abi::gas::METERING_VERSION,
        vmhost_abi::gas::stack::VERSION,
        vmhost_abi::gas::stack::FRAME_COST,
    ] {
        h.update(&v.to_le_bytes());
    }
    h.update(&borsh::to_vec(weights).unwrap_or_default());
    h.update(&[pipeline.metering as u8, u8::from(pipeline.track_writes)]);
    *h.finalize().as_bytes()
}
