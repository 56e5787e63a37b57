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
