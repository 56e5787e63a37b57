//! # vmhost-guest — write vmhost contracts in Rust
//!
//! A small, dependency-free, `no_std` SDK for contracts compiled to `wasm32v1-none` (WebAssembly
//! MVP + mutable globals, the instruction set the host's deterministic profile accepts). It
//! declares every host function of ABI v1 (the table `vmhost_abi::HOST_FUNCTIONS`, import
//! module `"vmhost"`) in [`sys`] and wraps each in a safe function at the crate root.
//!
//! ## Example: a counter
//! ```no_run
//! // A contract crate is `#![no_std]` with `crate-type = ["cdylib"]`.
//! use vmhost_guest::{emit_event, read_u64, set_return, slot, topic, write_u64};
//!
//! /// Entry point `increment`: an exported `() -> ()` function.
//! #[no_mangle]
//! pub extern "C" fn increment() {
//!     let key = slot(0, b"counter"); // self_address[..16] ‖ blake3(0x00 ‖ "counter")[..16]
//!     let n = read_u64(&key).wrapping_add(1);
//!     write_u64(&key, n);
//!     emit_event(&topic("Incremented"), &n.to_le_bytes());
//!     set_return(&n.to_le_bytes());
//! }
//! # fn main() {}
//! ```
//! Build with `cargo build --release --target wasm32v1-none` (see `examples/README.md`).
//!
//! ## Concepts
//! - **Entry points** are exported functions of type `() -> ()`:
//!   `#[no_mangle] pub extern "C" fn name()`. The host calls one per transaction; it reads its
//!   input with [`read_input`] / [`input_exact`] and answers with [`set_return`] or [`revert`].
//! - **Outcomes**: returning normally commits the call's storage writes and events; [`revert`]
//!   discards them and puts the reason on the receipt (code 500). A wasm trap (out of gas,
//!   out-of-bounds memory, `unreachable`, ...) or a host error (a host function refusing its
//!   arguments) also discards everything and is reported with its own code (300-499).
//! - **Panics** revert with the reason `"panic"` (feature `panic-handler`, on by default). The
//!   panic message is deliberately not formatted: formatting code is large and would leak
//!   source paths into the module.
//! - **Storage** maps 32-byte slot keys to byte values ([`sload`], [`sstore`], [`sdelete`]);
//!   the host namespaces slots per contract. [`slot`] spreads a mapping over slots with the
//!   layout shared by every language; [`read_u128`] / [`write_u128`] store amounts as 16-byte
//!   little-endian values, the ABI's encoding of amounts.
//! - **Addresses, topics, hashes** are 32-byte arrays ([`Address`]); event topics are
//!   conventionally `blake3(name)` ([`topic`]).
//! - **No allocator**: everything works on caller-provided buffers and fixed-size arrays.
//!
//! ## Features
//! - `panic-handler` (default): installs a `#[panic_handler]` that calls `revert(b"panic")`
//!   on wasm32. Disable it to supply your own.
//!
//! Off `wasm32` the crate still compiles (the host workspace builds it), but every host
//! function is a stub that panics.
#![no_std]
#![warn(missing_docs)]

pub mod sys;

mod calls;
mod context;
mod crypto;
mod events;
mod io;
mod storage;

pub use calls::{
    cross_call, cross_call_static, delegate_call, native_multisig_spend, native_transfer, native_validator,
    system_contract, NATIVE_MULTISIG, NATIVE_TRANSFER, NATIVE_VALIDATORS,
};
pub use context::{
    balance, beacon, block_height, block_timestamp, call_value, caller, chain_id, consume_gas, gas_left, origin,
    self_address, transfer, wave_id,
};
pub use crypto::{blake3, falcon_verify, keccak256, poseidon2, threshold_decrypt, threshold_encrypt};
pub use events::{emit_event, topic};
pub use io::{
    input_exact, input_len, read_input, read_input_at, read_return_data, return_data_len, revert, set_return,
};
pub use storage::{read_u128, read_u64, sdelete, sload, slot, sstore, write_u128, write_u64, MAX_SLOT_KEY};

/// A 32-byte account or contract address.
pub type Address = [u8; 32];

/// The all-zero address (used e.g. as the `from` of a mint event).
pub const ZERO_ADDRESS: Address = [0u8; 32];

/// Reverts the call with the reason `"panic"`.
#[cfg(all(target_arch = "wasm32", not(test), feature = "panic-handler"))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    revert(b"panic")
}
