//! # vmhost-abi — the canonical host ABI, version 1
//!
//! The single source of truth shared by the host, every VM backend, the guest SDK, clients and
//! the generated reference `docs/abi-v1.md`:
//!
//! - [`hostfns`]: the host-function table ([`HOST_FUNCTIONS`]): import name, wasm signature,
//!   gas formula and who may call each function. Backends expand it into imports; the deploy
//!   gate uses it as the import allowlist.
//! - [`gas`]: the per-operator gas schedule, intrinsic costs and limits.
//! - [`codes`]: numeric result codes ([`ErrorCode`]) in append-only ranges.
//! - [`types`], [`records`]: borsh-encoded shared types (addresses, events, receipts,
//!   transactions, state records).
//! - [`keys`]: state-key derivation and the seed's slot layout helper.
//!
//! ```
//! use vmhost_abi::{HostFn, ErrorCode};
//! let sstore = HostFn::by_name("sstore").unwrap().spec();
//! assert_eq!(sstore.gas.for_bytes(32), 5000 + 10 * 32);
//! assert!(ErrorCode::OutOfGas.is_vm_trap());
//! ```
//!
//! `no_std` + `alloc`.
#![no_std]
#![warn(missing_docs)]

extern crate alloc;

pub mod codes;
pub mod docs;
pub mod gas;
pub mod hostfns;
pub mod keys;
pub mod records;
pub mod types;

pub use codes::ErrorCode;
pub use hostfns::{Access, GasCost, HostFn, HostFnSpec, Provider, ValType, HOST_FUNCTIONS};
pub use records::{AccountRecord, ContractRecord, MultisigRecord, PendingUpgrade, UnbondingEntry, ValidatorRecord};
pub use types::{
    AccessList, Address, BlockContext, ContractType, Event, NativeTx, Receipt, ReceiptStatus, StateKey, Transaction,
    TxKind, WaveRecord,
};

/// The ABI version this crate describes.
pub const ABI_VERSION: u32 = 1;

/// The wasm import module every host function lives in.
pub const IMPORT_MODULE: &str = "vmhost";
