//! The gas schedule of ABI v1: per-operator weights, intrinsic transaction costs and limits.
//!
//! Gas is defined by the host, never by an engine. Every wasm backend meters the same schedule:
//! the deploy gate injects accounting into the module (per basic block, charged before the block
//! runs), and the optional engine-native mode of a backend must charge these same weights.
//! Changing any number here changes consensus: bump [`METERING_VERSION`] with it. The numbers
//! are the defaults of the chain's consensus parameters (`vmhost::ConsensusParams`), which a
//! chain may override and whose hash it commits; the operator classes (which operators are
//! free, calls, divisions) are fixed by the metering version.

use borsh::{BorshDeserialize, BorshSerialize};

/// Version of the metering pass and its operator classes. It is part of every compiled
/// artifact's cache key, so artifacts metered under another version are never loaded.
/// Version 2: memory pages priced at [`op::MEMORY_PAGE`] (for `memory.grow` and for the pages
/// a module starts with), and the stack-height pass's code is metered like any other.
pub const METERING_VERSION: u32 = 2;

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
    /// Flat weight of `memory.grow` (plus [`MEMORY_PAGE`] per requested page).
    pub const MEMORY_GROW: u64 = 200;
    /// Price of one 64 KiB page of linear memory: charged per page requested by `memory.grow`
    /// (before the grow, even if it fails) and per page a module's memory starts with (when a
    /// call instantiates it, before any of its code runs). 8 192 gas is 1/8 gas per byte: memory
    /// lives only for the call, so it is priced below events (8 gas/byte) and storage (10
    /// gas/byte, kept forever), and above the cost of touching it (calibrated in
    /// `docs/benchmarks.md`).
    pub const MEMORY_PAGE: u64 = 8_192;
    /// The old name of [`MEMORY_PAGE`].
    pub const MEMORY_GROW_PER_PAGE: u64 = MEMORY_PAGE;
    /// Weight per byte of `memory.copy`, `memory.fill` and `memory.init` (plus the flat weight).
    pub const BULK_PER_BYTE: u64 = 1;
    /// Weight per element of `table.copy` and `table.init` (plus the flat weight).
    pub const TABLE_PER_ELEMENT: u64 = 1;
}

/// The per-operator weights as data: the part of the schedule a chain may override (in its
/// consensus parameters). Defaults are the constants of [`op`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct OpWeights {
    /// Every operator not in another class ([`op::DEFAULT`]).
    pub default: u64,
    /// Per function invocation ([`op::FUNCTION_ENTRY`]).
    pub function_entry: u64,
    /// `call`, `call_indirect` ([`op::CALL`]).
    pub call: u64,
    /// Integer division and remainder ([`op::DIVISION`]).
    pub division: u64,
    /// Flat part of `memory.grow` ([`op::MEMORY_GROW`]).
    pub memory_grow: u64,
    /// Per 64 KiB page, grown or initial ([`op::MEMORY_PAGE`]).
    pub memory_page: u64,
    /// Per byte of `memory.copy/fill/init` ([`op::BULK_PER_BYTE`]).
    pub bulk_per_byte: u64,
    /// Per element of `table.copy/init` ([`op::TABLE_PER_ELEMENT`]).
    pub table_per_element: u64,
}

impl Default for OpWeights {
    fn default() -> Self {
        OpWeights {
            default: op::DEFAULT,
            function_entry: op::FUNCTION_ENTRY,
            call: op::CALL,
            division: op::DIVISION,
            memory_grow: op::MEMORY_GROW,
            memory_page: op::MEMORY_PAGE,
            bulk_per_byte: op::BULK_PER_BYTE,
            table_per_element: op::TABLE_PER_ELEMENT,
        }
    }
}

/// The deterministic stack-height limit (the host's stack-height pass).
///
/// Every function's frame costs `FRAME_COST + parameters + locals + maximum operand-stack
/// height` units (each value one unit, whatever its type; computed from the module as
/// deployed). Entering a function charges its cost against a counter that the whole
/// transaction shares across nested calls (a callee starts with what its caller has left);
/// leaving gives it back; a charge past the counter traps `StackOverflow`. The limit is a
/// consensus parameter, so `StackOverflow` happens at the same depth on every engine,
/// architecture and engine version.
pub mod stack {
    /// Version of the pass and of the cost formula (part of every artifact's cache key).
    pub const VERSION: u32 = 1;
    /// Units every frame costs on top of its values: return address, frame pointer, saved
    /// registers and the engine's per-frame bookkeeping (measured: `docs/architecture.md`).
    pub const FRAME_COST: u32 = 4;
    /// Default units per transaction.
    pub const DEFAULT_LIMIT: u32 = 32_768;
}

/// Gas per access-list entry (each read and each write key), charged as intrinsic gas.
pub const ACCESS_LIST_KEY_GAS: u64 = 100;
/// Most access-list entries (reads and writes together) a transaction may declare.
pub const MAX_ACCESS_LIST_KEYS: u32 = 1_024;

/// Default largest initial linear memory of a module, in 64 KiB pages (1 MiB): the example
/// contracts start with 2 (Rust, C) or 1 (WAT).
pub const DEFAULT_MAX_INITIAL_PAGES: u32 = 16;
/// Default cap on the linear memory of all frames of a transaction alive at once, in pages
/// (32 MiB).
pub const DEFAULT_MAX_TX_MEMORY_PAGES: u32 = 512;

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
/// Hard ceiling of any chain's per-transaction gas limit (keeps gas arithmetic far from
/// overflow). The chain's own limit, `ConsensusParams::max_tx_gas`, defaults to
/// [`DEFAULT_MAX_TX_GAS`].
pub const MAX_TX_GAS: u64 = 1 << 40;
/// Default per-transaction gas limit, calibrated so the slowest operator mix measured runs far
/// below the node's wall-clock safety net (`docs/benchmarks.md`).
pub const DEFAULT_MAX_TX_GAS: u64 = 100_000_000;

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
