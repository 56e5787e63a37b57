//! Calls into other contracts. Each returns `0` on success or the callee's result code
//! (e.g. 500 when it reverted); the callee's return or revert data is then available through
//! [`crate::return_data_len`] and [`crate::read_return_data`].

use crate::{sys, Address};

/// Calls `entry` of `target` with `input`, sending `value` of this contract's native balance,
/// with at most `gas` gas. The callee runs in a nested overlay: merged on success, discarded on
/// failure. Traps with `CallDepthExceeded`, `InsufficientBalance`, `StaticCallViolation`.
#[inline]
pub fn cross_call(target: &Address, entry: &str, input: &[u8], value: u128, gas: u64) -> u32 {
    let value = value.to_le_bytes();
    unsafe {
        sys::cross_call(target.as_ptr(), entry.as_ptr(), entry.len(), input.as_ptr(), input.len(), value.as_ptr(), gas)
    }
}

/// A view-only call: the callee's state writes, events and transfers trap with
/// `StaticCallViolation`; its gas is capped at `VIEW_GAS_CAP`.
#[inline]
pub fn cross_call_static(target: &Address, entry: &str, input: &[u8], gas: u64) -> u32 {
    unsafe { sys::cross_call_static(target.as_ptr(), entry.as_ptr(), entry.len(), input.as_ptr(), input.len(), gas) }
}

/// Runs `target`'s code on this contract's storage; `self_address` and `caller` are preserved.
#[inline]
pub fn delegate_call(target: &Address, entry: &str, input: &[u8], gas: u64) -> u32 {
    unsafe { sys::delegate_call(target.as_ptr(), entry.as_ptr(), entry.len(), input.as_ptr(), input.len(), gas) }
}

/// The reserved address of native system contract `id`: `"vmhost/system/v1" ‖ 15 zero bytes ‖
/// id` (`docs/abi-v1.md`, Calls into native handlers).
pub const fn system_contract(id: u8) -> Address {
    let mut a = [0u8; 32];
    let prefix = *b"vmhost/system/v1";
    let mut i = 0;
    while i < 16 {
        a[i] = prefix[i];
        i += 1;
    }
    a[31] = id;
    a
}

/// The native transfer (entry `transfer`).
pub const NATIVE_TRANSFER: Address = system_contract(1);
/// The native multisig handler (entry `spend`).
pub const NATIVE_MULTISIG: Address = system_contract(2);
/// The native validator registry (entry `get`).
pub const NATIVE_VALIDATORS: Address = system_contract(3);

/// Moves `amount` of this contract's own balance to `to` through the native transfer handler
/// (its intrinsic gas, 21 000 by default, comes out of `gas`). Returns 0 or the handler's code
/// (`InsufficientBalance`, ...).
#[inline]
pub fn native_transfer(to: &Address, amount: u128, gas: u64) -> u32 {
    let mut input = [0u8; 48];
    input[..32].copy_from_slice(to);
    input[32..].copy_from_slice(&amount.to_le_bytes());
    cross_call(&NATIVE_TRANSFER, "transfer", &input, 0, gas)
}

/// Spends `amount` from `multisig` to `to`, this contract being the only approval (it must be
/// a signer and the threshold must be 1). Returns 0 or the handler's code (`NotASigner`,
/// `ThresholdNotMet`, ...).
#[inline]
pub fn native_multisig_spend(multisig: &Address, to: &Address, amount: u128, gas: u64) -> u32 {
    let mut input = [0u8; 80];
    input[..32].copy_from_slice(multisig);
    input[32..64].copy_from_slice(to);
    input[64..].copy_from_slice(&amount.to_le_bytes());
    cross_call(&NATIVE_MULTISIG, "spend", &input, 0, gas)
}

/// Asks for the validator record of `validator` (allowed in static calls too); on 0 the return
/// data is borsh `Option<ValidatorRecord>` (`[0]` for no validator).
#[inline]
pub fn native_validator(validator: &Address, gas: u64) -> u32 {
    cross_call_static(&NATIVE_VALIDATORS, "get", validator, gas)
}
