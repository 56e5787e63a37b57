//! The wasm deploy gate and the deterministic gas-metering pass (Wasm → Wasm).
//!
//! Every wasm contract goes through [`prepare`] once, at deploy (or upgrade), before any backend
//! compiles it:
//!
//! 1. [`validate`] — the gate. The module must be valid under the deterministic feature set
//!    ([`deterministic_features`]); it may import only ABI v1 host functions (module
//!    [`vmhost_abi::IMPORT_MODULE`], names and exact signatures from
//!    [`vmhost_abi::HOST_FUNCTIONS`]); it must stay within the static [`WasmLimits`] (against
//!    compile bombs); it must export its memory as `memory`, may not have a start function and may
//!    not export [`GAS_GLOBAL_EXPORT`]. The result is a [`ModuleInfo`].
//! 2. [`instrument`] — the metering pass. It appends one mutable `i64` global holding the gas
//!    left, exports it as [`GAS_GLOBAL_EXPORT`], and inserts charge code into every function
//!    body. Everything else is re-encoded unchanged (custom sections are dropped).
//! 3. Optionally, [`track_writes`] — the write-tracking pass, for backends that reuse an
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

mod error;
mod gate;
mod metering;
mod tracking;

pub use error::DeployError;
pub use gate::{deterministic_features, validate, ModuleInfo, WasmLimits};
pub use metering::{instrument, operator_cost};
pub use tracking::{
    track_writes, Untrackable, DATA_HI_EXPORT, DATA_LO_EXPORT, DIRTY_HI_EXPORT, DIRTY_LO_EXPORT, GLOBAL_EXPORT_PREFIX,
};

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

/// Validates `code` ([`validate`]) and instruments it ([`instrument`]).
///
/// Returns what the gate learned and the metered module, ready for a backend to compile.
pub fn prepare(code: &[u8], limits: &WasmLimits) -> Result<(ModuleInfo, Vec<u8>), DeployError> {
    let info = validate(code, limits)?;
    let metered = metering::instrument_validated(code)?;
    Ok((info, metered))
}
