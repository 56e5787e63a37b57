//! The host-function table: the single source of truth for ABI v1.
//!
//! Every backend builds its imports by iterating [`HOST_FUNCTIONS`]; the deploy gate's import
//! allowlist is this table; `docs/abi-v1.md` is generated from it. Pointers are `i32` offsets
//! into the guest's exported linear memory `memory`; addresses, topics, hashes and storage keys
//! are 32 bytes; amounts are 16-byte little-endian `u128`s.

use crate::gas;

/// A wasm value type in a host-function signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValType {
    /// 32-bit integer (pointers, lengths, status codes).
    I32,
    /// 64-bit integer (gas, heights, timestamps).
    I64,
}

impl ValType {
    /// The wat spelling.
    pub const fn wat(self) -> &'static str {
        match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
        }
    }
}

/// Who may call a host function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Any contract, including inside static calls.
    Any,
    /// Any contract, but not inside a static (view-only) call: it changes state or events.
    NotInStatic,
    /// Parachain contracts only (and not inside static calls).
    ParachainOnly,
}

/// Who implements a host function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Implemented by every vmhost host.
    Host,
    /// Depends on the chain's committee: implemented by a provider (`vmhost::ChainServices`).
    /// Every host ships a reference provider; a chain may replace it with its own, or remove it
    /// (the call then traps with `Unsupported`).
    ChainService,
}

/// Gas formula: `base + per_byte * units`, where the row's `per_byte_of` says what a unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct GasCost {
    /// Charged on every call, before any work.
    pub base: u64,
    /// Charged per unit the function's row names (`per_byte_of`): usually a byte of input or
    /// output, for `hash_poseidon2` an absorbed block.
    pub per_byte: u64,
}

impl GasCost {
    /// `base + per_byte * bytes`, saturating.
    pub const fn for_bytes(&self, bytes: u64) -> u64 {
        self.base.saturating_add(self.per_byte.saturating_mul(bytes))
    }
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct HostFnSpec {
    /// Stable numeric id (also the index in [`HOST_FUNCTIONS`]).
    pub id: HostFn,
    /// Import name within [`crate::IMPORT_MODULE`].
    pub name: &'static str,
    /// Wasm parameter types.
    pub params: &'static [ValType],
    /// Wasm result types (zero or one).
    pub results: &'static [ValType],
    /// Gas formula.
    pub gas: GasCost,
    /// What `per_byte` counts (bytes of an argument, or blocks).
    pub per_byte_of: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Who implements it.
    pub provider: Provider,
    /// What it does, its result and its errors.
    pub doc: &'static str,
}

use ValType::{I32, I64};

macro_rules! host_fns {
    ($($variant:ident = $id:literal, $name:literal, [$($p:ident),*] -> [$($r:ident),*],
       gas($base:expr, $per:expr, $per_of:literal), $access:ident, $doc:literal;)*) => {
        /// Identifier of a host function (its row in [`HOST_FUNCTIONS`]). Append only.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u16)]
        pub enum HostFn {
            $(#[doc = $doc] $variant = $id,)*
        }

        /// The ABI v1 table, indexed by [`HostFn`] id.
        pub const HOST_FUNCTIONS: &[HostFnSpec] = &[
            $(HostFnSpec {
                id: HostFn::$variant,
                name: $name,
                params: &[$($p),*],
                results: &[$($r),*],
                gas: GasCost { base: $base, per_byte: $per },
                per_byte_of: $per_of,
                access: Access::$access,
                provider: provider_of(HostFn::$variant),
                doc: $doc,
            },)*
        ];
    };
}

host_fns! {
    InputLen = 0, "input_len", [] -> [I32], gas(25, 0, "-"), Any,
        "Length in bytes of the current call's input.";
    InputRead = 1, "input_read", [I32, I32, I32] -> [], gas(25, 1, "bytes copied"), Any,
        "input_read(dst, offset, len): copy input[offset..offset+len] to dst. Errors: InvalidArgument if the range exceeds the input, GuestMemoryOutOfBounds.";
    SetReturn = 2, "set_return", [I32, I32] -> [], gas(25, 1, "bytes"), Any,
        "set_return(ptr, len): set the call's return data (replaces earlier data). Errors: ReturnDataTooLarge, GuestMemoryOutOfBounds.";
    Revert = 3, "revert", [I32, I32] -> [], gas(25, 1, "bytes"), Any,
        "revert(ptr, len): stop, discard this call's state changes and events, and return the bytes as the revert reason (code Reverted). Never returns.";
    ReturnDataLen = 4, "return_data_len", [] -> [I32], gas(25, 0, "-"), Any,
        "Length of the return (or revert) data of the last cross call made by this frame; 0 before any.";
    ReturnDataRead = 5, "return_data_read", [I32, I32, I32] -> [], gas(25, 1, "bytes copied"), Any,
        "return_data_read(dst, offset, len): copy part of the last cross call's return data. Errors: InvalidArgument, GuestMemoryOutOfBounds.";
    Sload = 6, "sload", [I32, I32, I32] -> [I32], gas(800, 3, "value bytes"), Any,
        "sload(key_ptr, out_ptr, out_cap) -> len: read this contract's slot (32-byte key); copies min(len, out_cap) bytes and returns the full length, or -1 if the slot is empty. Errors: AccessListViolation, GuestMemoryOutOfBounds.";
    Sstore = 7, "sstore", [I32, I32, I32] -> [], gas(5000, 10, "value bytes"), NotInStatic,
        "sstore(key_ptr, val_ptr, val_len): write this contract's slot; +NEW_SLOT_SURCHARGE if the slot was empty. An empty value is stored as empty (use sdelete to remove). Errors: ValueTooLarge, StaticCallViolation, AccessListViolation, GuestMemoryOutOfBounds.";
    Sdelete = 8, "sdelete", [I32] -> [], gas(2500, 0, "-"), NotInStatic,
        "sdelete(key_ptr): delete this contract's slot (no refund in v1). Errors: StaticCallViolation, AccessListViolation, GuestMemoryOutOfBounds.";
    Balance = 9, "balance", [I32, I32] -> [], gas(800, 0, "-"), Any,
        "balance(addr_ptr, out_ptr): write the account's balance as 16-byte LE u128. Errors: AccessListViolation, GuestMemoryOutOfBounds.";
    Transfer = 10, "transfer", [I32, I32] -> [], gas(9000, 0, "-"), NotInStatic,
        "transfer(to_ptr, amount_ptr): move amount (16-byte LE u128) from this contract's own balance to `to`. Errors: InsufficientBalance, BalanceOverflow, StaticCallViolation, AccessListViolation.";
    Caller = 11, "caller", [I32] -> [], gas(25, 0, "-"), Any,
        "caller(out_ptr): the 32-byte address that invoked this call.";
    Origin = 12, "origin", [I32] -> [], gas(25, 0, "-"), Any,
        "origin(out_ptr): the 32-byte address that signed the transaction.";
    SelfAddress = 13, "self_address", [I32] -> [], gas(25, 0, "-"), Any,
        "self_address(out_ptr): this contract's 32-byte address (the caller's, inside delegate_call).";
    BlockHeight = 14, "block_height", [] -> [I64], gas(25, 0, "-"), Any,
        "The current block height.";
    WaveId = 15, "wave_id", [] -> [I64], gas(25, 0, "-"), Any,
        "The current wave id.";
    BlockTimestamp = 16, "block_timestamp", [] -> [I64], gas(25, 0, "-"), Any,
        "The consensus timestamp of the current block (unix milliseconds).";
    ChainId = 17, "chain_id", [] -> [I64], gas(25, 0, "-"), Any,
        "The chain id.";
    EmitEvent = 18, "emit_event", [I32, I32, I32] -> [], gas(375, 8, "data bytes"), NotInStatic,
        "emit_event(topic_ptr, data_ptr, data_len): append an event (32-byte topic, payload) to this call's overlay; discarded if the call reverts. Errors: EventTooLarge, TooManyEvents, StaticCallViolation.";
    HashKeccak256 = 19, "hash_keccak256", [I32, I32, I32] -> [], gas(400, 3, "input bytes"), Any,
        "hash_keccak256(in_ptr, in_len, out_ptr): write Keccak-256 (32 bytes). Errors: InputTooLarge, GuestMemoryOutOfBounds.";
    HashBlake3 = 20, "hash_blake3", [I32, I32, I32] -> [], gas(100, 1, "input bytes"), Any,
        "hash_blake3(in_ptr, in_len, out_ptr): write BLAKE3 (32 bytes). Errors: InputTooLarge, GuestMemoryOutOfBounds.";
    HashPoseidon2 = 21, "hash_poseidon2", [I32, I32, I32] -> [], gas(300, 8700, "absorbed 62-byte block: max(1, ceil(in_len / 62))"), Any,
        "hash_poseidon2(in_ptr, in_len, out_ptr): write the `vmhost/poseidon2/v1` hash of the input (32 bytes: a BN254 scalar, big-endian). Poseidon2 over BN254 (t = 3, x^5, 8 full + 56 partial rounds, HorizenLabs constants) as a sponge of rate 2: the capacity starts as a domain tag holding the input length, the input is zero-padded to 62-byte blocks, each block is two 31-byte little-endian field elements added to the rate before one permutation (exact encoding and known answers: section Poseidon2 below). Errors: InputTooLarge, GuestMemoryOutOfBounds.";
    FalconVerify = 22, "falcon_verify", [I32, I32, I32, I32, I32, I32] -> [I32], gas(20000, 1, "key byte + signature byte + `crypto.falcon_message_weight` (5) per message byte"), Any,
        "falcon_verify(pk_ptr, pk_len, msg_ptr, msg_len, sig_ptr, sig_len) -> 1 if sig is a valid FALCON-512 signature of msg under pk, else 0. Round-3 Falcon (NIST submission / PQClean format, verified with fn-dsa-vrfy 0.3 and HASH_ID_ORIGINAL_FALCON): pk is 897 bytes with header 0x09; sig has header 0x39 and is either the 666-byte padded form or the compressed form (617 to 666 bytes). A malformed key or signature (any length, header or encoding) returns 0 and never traps, so a contract can reject untrusted input and go on; gas is charged on the declared lengths first. Errors: InputTooLarge (a length above limits.max_crypto_input), GuestMemoryOutOfBounds.";
    ThresholdEncrypt = 23, "threshold_encrypt", [I32, I32, I32, I32] -> [I32], gas(100000, 10, "plaintext bytes"), ParachainOnly,
        "threshold_encrypt(in_ptr, in_len, out_ptr, out_cap) -> len: encrypt the input under the chain's committee key (consensus parameter crypto.threshold_committee_key) with a seed derived from the transaction hash, this contract, the call depth and a per-transaction counter, so every validator makes the same bytes; copies the ciphertext if len <= out_cap. Built-in reference provider: len = in_len + 113 (section Threshold encryption below: what it does and does not hide). Errors: ParachainOnly, StaticCallViolation, InputTooLarge (above the provider's plaintext limit: 64 KiB for the reference), ReturnDataTooLarge, GuestMemoryOutOfBounds, Unsupported where a chain removed the provider.";
    ThresholdDecrypt = 24, "threshold_decrypt", [I32, I32, I32, I32] -> [I32], gas(140000, 20, "ciphertext bytes"), ParachainOnly,
        "threshold_decrypt(in_ptr, in_len, out_ptr, out_cap) -> len: decrypt a ciphertext made under the committee key with the committee's shares; copies the plaintext if len <= out_cap. Returns -1, without trapping, if the ciphertext is malformed, tampered with or made under another key, so a contract can reject untrusted ciphertexts and go on. Errors: ParachainOnly, StaticCallViolation, InputTooLarge, GuestMemoryOutOfBounds, Unsupported where a chain removed the provider.";
    CrossCall = 25, "cross_call", [I32, I32, I32, I32, I32, I32, I64] -> [I32], gas(700, 1, "input bytes"), NotInStatic,
        "cross_call(target_ptr, entry_ptr, entry_len, input_ptr, input_len, value_ptr, gas_limit) -> code: call another contract in a nested overlay (merged on success, discarded on failure); the callee's gas is charged to the caller; returns 0 or the callee's error code (Reentrancy for a non-reentrant callee already on the stack); return data via return_data_*. A system address reaches a native handler (section Calls into native handlers). Errors: CallDepthExceeded, InsufficientBalance, StaticCallViolation.";
    CrossCallStatic = 26, "cross_call_static", [I32, I32, I32, I32, I32, I64] -> [I32], gas(50, 1, "input bytes"), Any,
        "cross_call_static(target_ptr, entry_ptr, entry_len, input_ptr, input_len, gas_limit) -> code: view-only call (state writes, events and transfers trap with StaticCallViolation); the callee's gas is capped at VIEW_GAS_CAP and charged to the caller. The validator query of the native handlers works here.";
    DelegateCall = 27, "delegate_call", [I32, I32, I32, I32, I32, I64] -> [I32], gas(700, 1, "input bytes"), NotInStatic,
        "delegate_call(target_ptr, entry_ptr, entry_len, input_ptr, input_len, gas_limit) -> code: run target's code in this contract's storage context; self_address and caller are preserved.";
    BeaconGet = 28, "beacon_get", [I32] -> [], gas(25, 0, "-"), Any,
        "beacon_get(out_ptr): the current wave's 32-byte randomness beacon.";
    ConsumeGas = 29, "consume_gas", [I64] -> [], gas(0, 0, "-"), Any,
        "consume_gas(amount): charge `amount` gas explicitly. Errors: OutOfGas.";
    GasLeft = 30, "gas_left", [] -> [I64], gas(25, 0, "-"), Any,
        "The gas remaining in this call after this function's own cost.";
    CallValue = 31, "call_value", [I32] -> [], gas(25, 0, "-"), Any,
        "call_value(out_ptr): the value attached to the current call, as a 16-byte LE u128, already credited to this contract: a ContractCall's value in its top-level call, a cross_call's value in its callee; 0 in a static call; inside delegate_call, the value of the frame whose context runs (as the EVM's DELEGATECALL keeps msg.value). Errors: GuestMemoryOutOfBounds.";
}

/// Threshold encryption depends on the chain's committee, so it goes through a provider the
/// chain may replace (a reference one is built in); everything else, Poseidon2 and FALCON-512
/// included, is built into the host.
const fn provider_of(f: HostFn) -> Provider {
    match f {
        HostFn::ThresholdEncrypt | HostFn::ThresholdDecrypt => Provider::ChainService,
        _ => Provider::Host,
    }
}

impl HostFn {
    /// The function's row.
    pub fn spec(self) -> &'static HostFnSpec {
        &HOST_FUNCTIONS[self as usize]
    }

    /// Looks a function up by import name.
    pub fn by_name(name: &str) -> Option<HostFn> {
        HOST_FUNCTIONS.iter().find(|s| s.name == name).map(|s| s.id)
    }

    /// Looks a function up by numeric id.
    pub fn from_id(id: u16) -> Option<HostFn> {
        HOST_FUNCTIONS.get(id as usize).map(|s| s.id)
    }

    /// Whether the function makes a nested call (`cross_call`, `cross_call_static`,
    /// `delegate_call`): a backend then also reports the guest's stack units left.
    pub const fn is_call(self) -> bool {
        matches!(self, HostFn::CrossCall | HostFn::CrossCallStatic | HostFn::DelegateCall)
    }
}

/// Limits referenced by the docs of the table (re-exported for convenience).
pub use gas::{MAX_EVENT_DATA, MAX_RETURN_LEN, MAX_VALUE_LEN};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_ids_match_positions_and_names_are_unique() {
        for (i, spec) in HOST_FUNCTIONS.iter().enumerate() {
            assert_eq!(spec.id as usize, i, "{} out of place", spec.name);
            assert_eq!(HostFn::by_name(spec.name), Some(spec.id));
            assert!(spec.results.len() <= 1);
        }
    }

    #[test]
    fn unknown_names_and_ids_are_rejected() {
        assert_eq!(HostFn::by_name("fd_write"), None);
        assert_eq!(HostFn::from_id(u16::MAX), None);
    }
}
