//! Who is calling, where and when; native balances; gas.

use crate::{sys, Address};

/// The 32-byte address that invoked this call (an account, or the calling contract).
#[inline]
pub fn caller() -> Address {
    let mut out = [0u8; 32];
    unsafe { sys::caller(out.as_mut_ptr()) };
    out
}

/// The 32-byte address that signed the transaction.
#[inline]
pub fn origin() -> Address {
    let mut out = [0u8; 32];
    unsafe { sys::origin(out.as_mut_ptr()) };
    out
}

/// This contract's 32-byte address (inside a `delegate_call`: the delegating contract's).
#[inline]
pub fn self_address() -> Address {
    let mut out = [0u8; 32];
    unsafe { sys::self_address(out.as_mut_ptr()) };
    out
}

/// The current block height.
#[inline]
pub fn block_height() -> u64 {
    unsafe { sys::block_height() }
}

/// The current wave id.
#[inline]
pub fn wave_id() -> u64 {
    unsafe { sys::wave_id() }
}

/// The consensus timestamp of the current block, unix milliseconds.
#[inline]
pub fn block_timestamp() -> u64 {
    unsafe { sys::block_timestamp() }
}

/// The chain id.
#[inline]
pub fn chain_id() -> u64 {
    unsafe { sys::chain_id() }
}

/// The current wave's 32-byte randomness beacon.
#[inline]
pub fn beacon() -> [u8; 32] {
    let mut out = [0u8; 32];
    unsafe { sys::beacon_get(out.as_mut_ptr()) };
    out
}

/// The native balance of `addr`.
///
/// Cost: 200 gas. Traps with `AccessListViolation` outside the declared access list.
#[inline]
pub fn balance(addr: &Address) -> u128 {
    let mut out = [0u8; 16];
    unsafe { sys::balance(addr.as_ptr(), out.as_mut_ptr()) };
    u128::from_le_bytes(out)
}

/// Moves `amount` of this contract's own native balance to `to`.
///
/// Cost: 9000 gas. Traps with `InsufficientBalance`, `BalanceOverflow`, `StaticCallViolation`.
#[inline]
pub fn transfer(to: &Address, amount: u128) {
    let amount = amount.to_le_bytes();
    unsafe { sys::transfer(to.as_ptr(), amount.as_ptr()) }
}

/// Charges `amount` gas explicitly. Traps with `OutOfGas` if less is left.
#[inline]
pub fn consume_gas(amount: u64) {
    unsafe { sys::consume_gas(amount) }
}

/// The value attached to the current call, already credited to this contract (0 in a static
/// call; the calling frame's inside `delegate_call`).
#[inline]
pub fn call_value() -> u128 {
    let mut out = [0u8; 16];
    unsafe { sys::call_value(out.as_mut_ptr()) };
    u128::from_le_bytes(out)
}

/// The gas left in this call (after this function's own 2 gas).
#[inline]
pub fn gas_left() -> u64 {
    unsafe { sys::gas_left() }
}
