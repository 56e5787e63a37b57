//! `ValidatorUnbond` and the lazy release of matured unbonding entries.

use crate::harness::*;

// ---- ValidatorUnbond ---------------------------------------------------------------------

#[test]
fn validator_unbond_partial_moves_stake_into_unbonding_entry() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    h.register(10, v, 5_000, key(7));
    let r = h.exec(20, v, NativeTx::ValidatorUnbond { amount: 2_000 });
    expect_ok(&r, NATIVE_SYSTEM_GAS);
    assert_eq!(r.events, vec![event(&ValidatorUnbonded { validator: v, amount: 2_000, release_height: 120 })]);
    let rec = h.validator(&v).expect("record");
    assert_eq!(rec.stake, 3_000);
    assert_eq!(rec.unbonding, vec![UnbondingEntry { amount: 2_000, release_height: 120 }]);
    assert_eq!(h.balance(&v), FUNDS - 5_000 - 2 * SYS_FEE);
}

#[test]
fn validator_unbond_unknown_validator_fails_unknown_validator() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    let r = h.exec(1, v, NativeTx::ValidatorUnbond { amount: 1 });
    expect_fail(&r, ErrorCode::UnknownValidator, NATIVE_SYSTEM_GAS);
    assert_eq!(h.validator(&v), None);
}

#[test]
fn validator_unbond_zero_fails_invalid_amount() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    h.register(1, v, 5_000, key(7));
    let r = h.exec(2, v, NativeTx::ValidatorUnbond { amount: 0 });
    expect_fail(&r, ErrorCode::InvalidAmount, NATIVE_SYSTEM_GAS);
    assert_eq!(h.validator(&v).map(|r| (r.stake, r.unbonding.len())), Some((5_000, 0)));
}

#[test]
fn validator_unbond_above_stake_fails_insufficient_stake() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    h.register(1, v, 5_000, key(7));
    let r = h.exec(2, v, NativeTx::ValidatorUnbond { amount: 5_001 });
    expect_fail(&r, ErrorCode::InsufficientStake, NATIVE_SYSTEM_GAS);
    assert_eq!(h.validator(&v).map(|r| (r.stake, r.unbonding.len())), Some((5_000, 0)));
}

#[test]
fn validator_unbond_leaving_stake_below_min_fails_stake_too_low() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    h.register(1, v, 1_500, key(7));
    let r = h.exec(2, v, NativeTx::ValidatorUnbond { amount: 501 });
    expect_fail(&r, ErrorCode::StakeTooLow, NATIVE_SYSTEM_GAS);
    assert_eq!(h.validator(&v).map(|r| r.stake), Some(1_500));
    // Leaving exactly the minimum is fine.
    expect_ok(&h.exec(3, v, NativeTx::ValidatorUnbond { amount: 500 }), NATIVE_SYSTEM_GAS);
    assert_eq!(h.validator(&v).map(|r| r.stake), Some(1_000));
}

#[test]
fn validator_unbond_entire_stake_keeps_record_with_zero_stake() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    h.register(1, v, 1_500, key(7));
    expect_ok(&h.exec(2, v, NativeTx::ValidatorUnbond { amount: 1_500 }), NATIVE_SYSTEM_GAS);
    let rec = h.validator(&v).expect("record kept");
    assert_eq!(rec.stake, 0);
    assert_eq!(rec.unbonding, vec![UnbondingEntry { amount: 1_500, release_height: 102 }]);
    assert_eq!(h.key_owner(&key(7)), Some(v));
}

#[test]
fn validator_unbond_twice_in_one_block_merges_into_one_entry() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    h.register(1, v, 5_000, key(7));
    let txs =
        vec![h.tx(v, NativeTx::ValidatorUnbond { amount: 1_000 }), h.tx(v, NativeTx::ValidatorUnbond { amount: 500 })];
    for r in h.wave(5, txs) {
        expect_ok(&r, NATIVE_SYSTEM_GAS);
    }
    let rec = h.validator(&v).expect("record");
    assert_eq!(rec.stake, 3_500);
    assert_eq!(rec.unbonding, vec![UnbondingEntry { amount: 1_500, release_height: 105 }]);
}

// ---- unbonding release -------------------------------------------------------------------

#[test]
fn unbonding_release_before_release_height_keeps_entry_and_at_release_height_credits_balance() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    h.register(10, v, 5_000, key(7));
    expect_ok(&h.exec(20, v, NativeTx::ValidatorUnbond { amount: 1_000 }), NATIVE_SYSTEM_GAS); // releases at 120
    let before = h.balance(&v);

    // One block early: nothing released (this unbond adds a second entry).
    let r = h.exec(119, v, NativeTx::ValidatorUnbond { amount: 1_000 });
    expect_ok(&r, NATIVE_SYSTEM_GAS);
    assert_eq!(r.events.len(), 1, "no UnbondingReleased event");
    assert_eq!(h.balance(&v), before - SYS_FEE);
    assert_eq!(
        h.validator(&v).expect("record").unbonding,
        vec![
            UnbondingEntry { amount: 1_000, release_height: 120 },
            UnbondingEntry { amount: 1_000, release_height: 219 }
        ]
    );

    // Exactly at release height: the first entry returns to the balance.
    let r = h.exec(120, v, NativeTx::ValidatorRotateKey { new_key: key(8) });
    expect_ok(&r, NATIVE_SYSTEM_GAS);
    assert_eq!(r.events[0], event(&UnbondingReleased { validator: v, amount: 1_000 }));
    assert_eq!(h.balance(&v), before - 2 * SYS_FEE + 1_000);
    let rec = h.validator(&v).expect("record");
    assert_eq!(rec.unbonding, vec![UnbondingEntry { amount: 1_000, release_height: 219 }]);
    assert_eq!(rec.stake, 3_000);
}

#[test]
fn unbonding_release_on_unjail_credits_matured_entries_and_failed_tx_discards_release() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    h.register(1, v, 5_000, key(7));
    expect_ok(&h.exec(2, v, NativeTx::ValidatorUnbond { amount: 1_000 }), NATIVE_SYSTEM_GAS); // releases at 102
    expect_slash_ok(&h.slash(200, v, 1, 1_000)); // jailed until 250; matured entry untouched
    let before = h.balance(&v);

    // Still jailed: the tx fails and its release is discarded with the rest of its state.
    let r = h.exec(249, v, NativeTx::ValidatorUnjail);
    expect_fail(&r, ErrorCode::StillJailed, NATIVE_SYSTEM_GAS);
    assert_eq!(h.balance(&v), before - SYS_FEE);
    assert_eq!(h.validator(&v).expect("record").unbonding.len(), 1);

    let r = h.exec(250, v, NativeTx::ValidatorUnjail);
    expect_ok(&r, NATIVE_SYSTEM_GAS);
    assert_eq!(
        r.events,
        vec![event(&UnbondingReleased { validator: v, amount: 1_000 }), event(&ValidatorUnjailed { validator: v })]
    );
    assert_eq!(h.balance(&v), before - 2 * SYS_FEE + 1_000);
    assert!(h.validator(&v).expect("record").unbonding.is_empty());
}

#[test]
fn unbonding_release_on_unbond_after_full_unbond_returns_everything() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    h.register(1, v, 2_000, key(7));
    expect_ok(&h.exec(2, v, NativeTx::ValidatorUnbond { amount: 2_000 }), NATIVE_SYSTEM_GAS);
    // Stake is 0: a further unbond releases the matured entry, then fails on the amount check,
    // which discards the release too.
    let r = h.exec(102, v, NativeTx::ValidatorUnbond { amount: 1 });
    expect_fail(&r, ErrorCode::InsufficientStake, NATIVE_SYSTEM_GAS);
    assert_eq!(h.validator(&v).expect("record").unbonding.len(), 1);
    // A key rotation succeeds and carries the release.
    expect_ok(&h.exec(103, v, NativeTx::ValidatorRotateKey { new_key: key(8) }), NATIVE_SYSTEM_GAS);
    assert_eq!(h.balance(&v), FUNDS - 4 * SYS_FEE);
    let rec = h.validator(&v).expect("record kept");
    assert_eq!((rec.stake, rec.unbonding.len()), (0, 0));
}
