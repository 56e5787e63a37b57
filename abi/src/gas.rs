//! The gas schedule of ABI v1: per-operator weights, intrinsic transaction costs and limits.
//!
//! Gas is defined by the host, never by an engine. Every wasm backend meters the same schedule:
//! the deploy gate injects accounting into the module (per basic block, charged before the block
//! runs), and the optional engine-native mode of a backend must charge these same weights.
//! Changing any number here changes consensus: bump [`METERING_VERSION`] with it.

/// Version of the metering pass and this schedule. It is part of every compiled artifact's
/// cache key, so artifacts metered under another schedule are never loaded.
pub const METERING_VERSION: u32 = 1;

/// Per-operator weights. Operators not named in a list cost [`op::DEFAULT`].
pub mod op {
    /// Weight of every operator not listed below.
    pub const DEFAULT: u64 = 1;
    /// Charged on entry to every function (wasmtime's fuel starts each function at 1 consumed;
    /// the metering pass matches it so both modes agree).
    pub const FUNCTION_ENTRY: u64 = 1;
    /// Operators that generate no work of their own (structured control markers, `nop`, `drop`).
    pub const FREE: &[&str] = &["Nop", "Drop", "Block", "Loop", "Unreachable", "Return", "Else", "End"];
    /// Weight of `call` and `call_indirect` (frame set-up).
    pub const CALL: u64 = 5;
    /// Operators weighted [`CALL`].
    pub const CALL_OPS: &[&str] = &["Call", "CallIndirect"];
    /// Weight of integer division and remainder.
    pub const DIVISION: u64 = 4;
    /// Operators weighted [`DIVISION`].
    pub const DIVISION_OPS: &[&str] =
        &["I32DivS", "I32DivU", "I32RemS", "I32RemU", "I64DivS", "I64DivU", "I64RemS", "I64RemU"];
    /// Flat weight of `memory.grow` (plus [`MEMORY_GROW_PER_PAGE`] per requested page).
    pub const MEMORY_GROW: u64 = 200;
    /// Weight per 64 KiB page requested by `memory.grow` (charged before the grow, even if it fails).
    pub const MEMORY_GROW_PER_PAGE: u64 = 200;
    /// Weight per byte of `memory.copy`, `memory.fill` and `memory.init` (plus the flat weight).
    pub const BULK_PER_BYTE: u64 = 1;
    /// Weight per element of `table.copy` and `table.init` (plus the flat weight).
    pub const TABLE_PER_ELEMENT: u64 = 1;
}

/// Intrinsic gas of a native `Transfer` (fixed; no metering).
pub const NATIVE_TRANSFER_GAS: u64 = 21_000;
/// Intrinsic gas of every other native transaction.
pub const NATIVE_SYSTEM_GAS: u64 = 50_000;
/// Intrinsic gas of a contract call (before any wasm executes).
pub const CALL_BASE_GAS: u64 = 21_000;
/// Extra intrinsic gas per byte of call input.
pub const CALL_INPUT_PER_BYTE: u64 = 16;
/// Intrinsic gas of a contract deploy or upgrade.
pub const DEPLOY_BASE_GAS: u64 = 53_000;
/// Extra intrinsic gas per byte of deployed code.
pub const DEPLOY_PER_BYTE: u64 = 200;
/// Surcharge when `sstore` creates a slot that did not exist.
pub const NEW_SLOT_SURCHARGE: u64 = 15_000;
/// Fuel cap of a `cross_call_static` callee.
pub const VIEW_GAS_CAP: u64 = 10_000_000;
/// Largest gas limit a transaction may carry (keeps gas arithmetic far from overflow).
pub const MAX_TX_GAS: u64 = 1 << 40;

/// Largest storage value in bytes.
pub const MAX_VALUE_LEN: u32 = 16 * 1024;
/// Largest event payload in bytes.
pub const MAX_EVENT_DATA: u32 = 8 * 1024;
/// Most events one transaction may emit.
pub const MAX_EVENTS_PER_TX: u32 = 1024;
/// Largest call input in bytes.
pub const MAX_INPUT_LEN: u32 = 128 * 1024;
/// Largest return or revert payload in bytes.
pub const MAX_RETURN_LEN: u32 = 64 * 1024;
/// Largest hash or crypto input in bytes.
pub const MAX_CRYPTO_INPUT: u32 = 1024 * 1024;
/// Longest entry-point name.
pub const MAX_ENTRY_LEN: u32 = 64;
