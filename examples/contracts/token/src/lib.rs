//! # token — a fungible token (ERC-20 style) on vmhost
//!
//! Shows the usual shape of a contract: parse a fixed-layout input, check, update storage,
//! emit an event, and revert with a readable reason when something is wrong.
//!
//! ## Encoding
//! Addresses are 32 bytes; amounts are 16-byte little-endian `u128` (the ABI's encoding of
//! amounts). An input of the wrong length reverts with `"bad input length"`.
//!
//! | entry           | input (bytes)                      | return           | reverts with                                   |
//! |-----------------|------------------------------------|------------------|------------------------------------------------|
//! | `init`          | supply (16)                        | empty            | `"already initialised"`                        |
//! | `transfer`      | to (32) ‖ amount (16)              | empty            | `"insufficient balance"`                       |
//! | `approve`       | spender (32) ‖ amount (16)         | empty            |                                                |
//! | `transfer_from` | from (32) ‖ to (32) ‖ amount (16)  | empty            | `"insufficient allowance"`, `"insufficient balance"` |
//! | `balance_of`    | owner (32)                         | balance (16)     |                                                |
//! | `allowance`     | owner (32) ‖ spender (32)          | allowance (16)   |                                                |
//! | `total_supply`  | empty (anything is ignored)        | supply (16)      |                                                |
//!
//! Events (topic = `blake3` of the name, data 80 bytes):
//! - `Transfer`: from (32) ‖ to (32) ‖ amount (16); `init` emits one with from = 32 zero bytes.
//! - `Approval`: owner (32) ‖ spender (32) ‖ amount (16).
//!
//! ## Storage
//! Every value is a 16-byte LE `u128` under a slot from the SDK's `slot(disc, key)` layout,
//! `self_address[..16] ‖ blake3(disc ‖ key)[..16]`:
//!
//! | what              | disc | key                    |
//! |-------------------|------|------------------------|
//! | balance of `a`    | 0    | `a` (32)               |
//! | allowance `o`→`s` | 1    | `o` (32) ‖ `s` (32)    |
//! | total supply      | 2    | `"total_supply"`       |
//!
//! The total-supply slot doubles as the "initialised" flag: it exists once `init` ran (even
//! with a supply of 0). Zero balances are stored as 16 zero bytes, not deleted.
#![no_std]

use vmhost_guest::{
    caller, emit_event, input_exact, read_u128, revert, set_return, sload, slot, write_u128, Address, ZERO_ADDRESS,
};

// ---- event topics ---------------------------------------------------------------------

/// `topic("Transfer")` = BLAKE3("Transfer"), written out: a topic is a constant, so hashing it
/// at run time would cost a host call and its gas on every transfer (Solidity contracts embed
/// their event signature hashes the same way). The integration tests check both values
/// against BLAKE3 of the names.
const TRANSFER: [u8; 32] = [
    0x81, 0xd0, 0xfb, 0x6a, 0xba, 0x18, 0xeb, 0x38, 0xf5, 0x0c, 0x73, 0x01, 0x57, 0x8c, 0xf6, 0x52, 0x1a, 0xa9, 0xb0,
    0x49, 0xf0, 0xcd, 0x2c, 0xe9, 0x26, 0xff, 0xb8, 0xf5, 0x16, 0x53, 0x72, 0x7b,
];
/// `topic("Approval")`, written out likewise.
const APPROVAL: [u8; 32] = [
    0x75, 0x37, 0xb2, 0xc2, 0x9d, 0x16, 0x34, 0x4e, 0x2e, 0xfa, 0x78, 0x6a, 0x6f, 0x80, 0x3e, 0x02, 0x8b, 0x1f, 0xf8,
    0x71, 0xf7, 0xfc, 0x97, 0xaf, 0xdb, 0x60, 0x00, 0x14, 0x00, 0xa0, 0x6c, 0xdc,
];

// ---- storage layout -------------------------------------------------------------------

/// Mapping number (the `disc` byte) of balances.
const BALANCES: u8 = 0;
/// Mapping number of allowances.
const ALLOWANCES: u8 = 1;
/// Mapping number of single values.
const META: u8 = 2;

/// Slot of `owner`'s balance.
fn balance_slot(owner: &Address) -> [u8; 32] {
    slot(BALANCES, owner)
}

/// Slot of the amount `spender` may still move out of `owner`'s balance.
fn allowance_slot(owner: &Address, spender: &Address) -> [u8; 32] {
    // The key is the two addresses side by side (64 bytes: the longest key `slot` takes).
    let mut key = [0u8; 64];
    key[..32].copy_from_slice(owner);
    key[32..].copy_from_slice(spender);
    slot(ALLOWANCES, &key)
}

/// Slot of the total supply.
fn supply_slot() -> [u8; 32] {
    slot(META, b"total_supply")
}

// ---- input parsing --------------------------------------------------------------------

/// The whole input as exactly `N` bytes, or revert.
fn input<const N: usize>() -> [u8; N] {
    match input_exact::<N>() {
        Some(bytes) => bytes,
        None => revert(b"bad input length"),
    }
}

/// The 32-byte address at `at`.
fn address_at(bytes: &[u8], at: usize) -> Address {
    let mut a = [0u8; 32];
    a.copy_from_slice(&bytes[at..at + 32]);
    a
}

/// The 16-byte little-endian amount at `at`.
fn amount_at(bytes: &[u8], at: usize) -> u128 {
    let mut a = [0u8; 16];
    a.copy_from_slice(&bytes[at..at + 16]);
    u128::from_le_bytes(a)
}

// ---- shared logic ---------------------------------------------------------------------

/// Moves `amount` from `from` to `to` and emits `Transfer(from, to, amount)`.
///
/// `from == to` is allowed: the second read sees the first write, so the balance is unchanged.
fn move_tokens(from: &Address, to: &Address, amount: u128) {
    let from_slot = balance_slot(from);
    let from_balance = read_u128(&from_slot);
    if from_balance < amount {
        revert(b"insufficient balance");
    }
    write_u128(&from_slot, from_balance - amount);

    let to_slot = balance_slot(to);
    // Cannot overflow (all balances sum to the total supply, a u128), but say so if it did.
    let Some(to_balance) = read_u128(&to_slot).checked_add(amount) else { revert(b"balance overflow") };
    write_u128(&to_slot, to_balance);

    emit_transfer(from, to, amount);
}

/// Emits `Transfer` with data `from ‖ to ‖ amount`.
fn emit_transfer(from: &Address, to: &Address, amount: u128) {
    emit_event(&TRANSFER, &triple(from, to, amount));
}

/// `a (32) ‖ b (32) ‖ amount (16 LE)`: the data of both events.
fn triple(a: &Address, b: &Address, amount: u128) -> [u8; 80] {
    let mut data = [0u8; 80];
    data[..32].copy_from_slice(a);
    data[32..64].copy_from_slice(b);
    data[64..].copy_from_slice(&amount.to_le_bytes());
    data
}

// ---- entry points ---------------------------------------------------------------------

/// `init(supply)`: mints `supply` to the caller. Only once.
#[no_mangle]
pub extern "C" fn init() {
    let supply = amount_at(&input::<16>(), 0);

    // A present total-supply slot means `init` already ran. Probe it with a zero-capacity
    // read: only the length (or absence) matters.
    if sload(&supply_slot(), &mut []).is_some() {
        revert(b"already initialised");
    }
    let owner = caller();
    write_u128(&supply_slot(), supply);
    write_u128(&balance_slot(&owner), supply);
    // Minting is reported as a transfer from the zero address.
    emit_transfer(&ZERO_ADDRESS, &owner, supply);
}

/// `transfer(to, amount)`: moves `amount` of the caller's tokens to `to`.
#[no_mangle]
pub extern "C" fn transfer() {
    let input = input::<48>();
    move_tokens(&caller(), &address_at(&input, 0), amount_at(&input, 32));
}

/// `approve(spender, amount)`: lets `spender` move up to `amount` of the caller's tokens
/// (replacing any earlier allowance).
#[no_mangle]
pub extern "C" fn approve() {
    let input = input::<48>();
    let owner = caller();
    let spender = address_at(&input, 0);
    let amount = amount_at(&input, 32);
    write_u128(&allowance_slot(&owner, &spender), amount);
    emit_event(&APPROVAL, &triple(&owner, &spender, amount));
}

/// `transfer_from(from, to, amount)`: the caller spends `amount` of its allowance from `from`.
///
/// The allowance is checked first, then the balance; both are only written once both pass
/// (a revert would discard the writes anyway).
#[no_mangle]
pub extern "C" fn transfer_from() {
    let input = input::<80>();
    let from = address_at(&input, 0);
    let to = address_at(&input, 32);
    let amount = amount_at(&input, 64);

    let allowance_slot = allowance_slot(&from, &caller());
    let allowed = read_u128(&allowance_slot);
    if allowed < amount {
        revert(b"insufficient allowance");
    }
    write_u128(&allowance_slot, allowed - amount);
    move_tokens(&from, &to, amount);
}

/// `balance_of(owner)` → balance (16 bytes LE).
#[no_mangle]
pub extern "C" fn balance_of() {
    let owner = input::<32>();
    set_return(&read_u128(&balance_slot(&owner)).to_le_bytes());
}

/// `allowance(owner, spender)` → remaining allowance (16 bytes LE).
#[no_mangle]
pub extern "C" fn allowance() {
    let input = input::<64>();
    let slot = allowance_slot(&address_at(&input, 0), &address_at(&input, 32));
    set_return(&read_u128(&slot).to_le_bytes());
}

/// `total_supply()` → total supply (16 bytes LE; 0 before `init`). Ignores its input.
#[no_mangle]
pub extern "C" fn total_supply() {
    set_return(&read_u128(&supply_slot()).to_le_bytes());
}
