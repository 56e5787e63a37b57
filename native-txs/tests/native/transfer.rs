//! `Transfer`.

use crate::harness::*;

// ---- Transfer ----------------------------------------------------------------------------

#[test]
fn transfer_valid_amount_moves_balance_and_charges_fixed_gas() {
    let (alice, bob) = (addr(1), addr(2));
    let mut h = Harness::new(&[alice]);
    let r = h.exec(1, alice, NativeTx::Transfer { to: bob, amount: 1_000 });
    expect_ok(&r, NATIVE_TRANSFER_GAS);
    assert!(r.events.is_empty(), "transfers emit no event");
    assert_eq!(h.account(&alice), AccountRecord { balance: FUNDS - 1_000 - TRANSFER_FEE, nonce: 1 });
    assert_eq!(h.account(&bob), AccountRecord { balance: 1_000, nonce: 0 });
}

#[test]
fn transfer_many_in_one_wave_apply_in_order() {
    let (alice, bob) = (addr(1), addr(2));
    let mut h = Harness::new(&[alice]);
    let txs: Vec<_> = (0..5).map(|_| h.tx(alice, NativeTx::Transfer { to: bob, amount: 7 })).collect();
    for r in h.wave(1, txs) {
        expect_ok(&r, NATIVE_TRANSFER_GAS);
    }
    assert_eq!(h.account(&alice), AccountRecord { balance: FUNDS - 5 * (7 + TRANSFER_FEE), nonce: 5 });
    assert_eq!(h.balance(&bob), 35);
}

#[test]
fn transfer_zero_amount_fails_invalid_amount_and_only_charges_fee() {
    let (alice, bob) = (addr(1), addr(2));
    let mut h = Harness::new(&[alice]);
    let root = h.chain.state_root();
    let r = h.exec(1, alice, NativeTx::Transfer { to: bob, amount: 0 });
    expect_fail(&r, ErrorCode::InvalidAmount, NATIVE_TRANSFER_GAS);
    // Fee = gas_used x base_fee, nonce bumped, nothing else changed.
    assert_eq!(h.account(&alice), AccountRecord { balance: FUNDS - TRANSFER_FEE, nonce: 1 });
    assert_eq!(h.account(&bob), AccountRecord::default());
    assert_eq!(h.chain.read_record::<AccountRecord>(&keys::account(&bob)).expect("read"), None);
    assert_ne!(h.chain.state_root(), root, "the fee debit is a state change");
}

#[test]
fn transfer_failure_with_higher_base_fee_charges_gas_times_base_fee() {
    let (alice, bob) = (addr(1), addr(2));
    let mut h = Harness::new(&[alice]);
    h.base_fee = 3;
    let r = h.exec(1, alice, NativeTx::Transfer { to: bob, amount: 0 });
    assert_eq!(r.code, ErrorCode::InvalidAmount);
    assert_eq!((r.gas_used, r.fee_paid), (NATIVE_TRANSFER_GAS, 3 * TRANSFER_FEE));
    assert_eq!(h.account(&alice), AccountRecord { balance: FUNDS - 3 * TRANSFER_FEE, nonce: 1 });
}

#[test]
fn transfer_above_balance_fails_insufficient_balance() {
    let (alice, bob) = (addr(1), addr(2));
    let mut h = Harness::new(&[alice]);
    let r = h.exec(1, alice, NativeTx::Transfer { to: bob, amount: FUNDS + 1 });
    expect_fail(&r, ErrorCode::InsufficientBalance, NATIVE_TRANSFER_GAS);
    assert_eq!(h.account(&alice), AccountRecord { balance: FUNDS - TRANSFER_FEE, nonce: 1 });
    assert_eq!(h.balance(&bob), 0);
}

#[test]
fn transfer_leaving_less_than_fee_fails_insufficient_balance_without_halting_wave() {
    let (alice, bob) = (addr(1), addr(2));
    let mut h = Harness::new(&[alice]);
    h.base_fee = 2;
    let fee = 2 * TRANSFER_FEE;
    // One unit too much: the sender could not pay the fee after the move.
    let r = h.exec(1, alice, NativeTx::Transfer { to: bob, amount: FUNDS - fee + 1 });
    expect_fail_fee(&r, ErrorCode::InsufficientBalance, fee);
    assert_eq!(h.balance(&alice), FUNDS - fee);
    assert_eq!(h.balance(&bob), 0);
    // Exactly balance - fee: succeeds and leaves 0.
    let r = h.exec(2, alice, NativeTx::Transfer { to: bob, amount: FUNDS - 2 * fee });
    assert_eq!(r.code, ErrorCode::Ok);
    assert_eq!(h.account(&alice), AccountRecord { balance: 0, nonce: 2 });
    assert_eq!(h.balance(&bob), FUNDS - 2 * fee);
}

fn expect_fail_fee(r: &Receipt, code: ErrorCode, fee: u128) {
    assert_eq!(r.code, code, "receipt {r:?}");
    assert_ne!(r.status, ReceiptStatus::Success);
    assert_eq!(r.fee_paid, fee);
}

#[test]
fn transfer_to_account_at_max_balance_fails_balance_overflow() {
    let (alice, whale) = (addr(1), addr(2));
    let mut h = Harness::with_genesis(NativeParams::default(), &[(alice, FUNDS), (whale, u128::MAX)]);
    let r = h.exec(1, alice, NativeTx::Transfer { to: whale, amount: 1 });
    expect_fail(&r, ErrorCode::BalanceOverflow, NATIVE_TRANSFER_GAS);
    assert_eq!(h.balance(&whale), u128::MAX);
    assert_eq!(h.account(&alice), AccountRecord { balance: FUNDS - TRANSFER_FEE, nonce: 1 });
}

#[test]
fn transfer_to_self_succeeds_and_only_charges_fee() {
    let alice = addr(1);
    let mut h = Harness::new(&[alice]);
    let r = h.exec(1, alice, NativeTx::Transfer { to: alice, amount: 5_000 });
    expect_ok(&r, NATIVE_TRANSFER_GAS);
    assert_eq!(h.account(&alice), AccountRecord { balance: FUNDS - TRANSFER_FEE, nonce: 1 });
}
