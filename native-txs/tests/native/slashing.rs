//! `Slashing`.

use crate::harness::*;

// ---- Slashing ----------------------------------------------------------------------------

#[test]
fn slashing_valid_evidence_burns_fraction_jails_and_marks_evidence() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    h.register(1, v, 10_000, key(7));
    let balance = h.balance(&v);
    let r = h.slash(30, v, 5, 2_500);
    expect_slash_ok(&r);
    assert_eq!(
        r.events,
        vec![event(&ValidatorSlashed {
            validator: v,
            evidence: [5; 32],
            amount: 2_500,
            jailed: true,
            jailed_until: 80
        })]
    );
    let rec = h.validator(&v).expect("record");
    assert_eq!((rec.stake, rec.slashed_total, rec.jailed, rec.jailed_until), (7_500, 2_500, true, 80));
    assert_eq!(h.chain.read_record::<(Address, u64)>(&keys::evidence(&[5; 32])).expect("evidence"), Some((v, 30)));
    // Burned, not paid to anyone; system transactions pay no fee (only the nonce moves).
    assert_eq!(h.balance(&v), balance);
    assert_eq!(h.account(&Address::SYSTEM), AccountRecord { balance: FUNDS, nonce: 1 });
}

#[test]
fn slashing_non_system_sender_fails_unauthorized() {
    let (v, w) = (addr(1), addr(2));
    let mut h = Harness::new(&[v, w]);
    h.register(1, v, 10_000, key(7));
    let r = h.exec(2, w, NativeTx::Slashing { validator: v, evidence: [5; 32], fraction_bps: 100 });
    expect_fail(&r, ErrorCode::Unauthorized, NATIVE_SYSTEM_GAS);
    let rec = h.validator(&v).expect("record");
    assert_eq!((rec.stake, rec.jailed), (10_000, false));
    assert_eq!(h.chain.read_record::<(Address, u64)>(&keys::evidence(&[5; 32])).expect("evidence"), None);
}

#[test]
fn slashing_fraction_zero_or_above_max_fails_invalid_amount() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    h.register(1, v, 10_000, key(7));
    for bps in [0u16, 10_001, u16::MAX] {
        expect_slash_fail(&h.slash(2, v, 5, bps), ErrorCode::InvalidAmount);
    }
    assert_eq!(h.validator(&v).map(|r| r.stake), Some(10_000));
}

#[test]
fn slashing_unknown_validator_fails_unknown_validator() {
    let v = addr(1);
    let mut h = Harness::new(&[]);
    expect_slash_fail(&h.slash(1, v, 5, 100), ErrorCode::UnknownValidator);
    assert_eq!(h.chain.read_record::<(Address, u64)>(&keys::evidence(&[5; 32])).expect("evidence"), None);
}

#[test]
fn slashing_duplicate_evidence_fails_duplicate_evidence() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    h.register(1, v, 10_000, key(7));
    expect_slash_ok(&h.slash(2, v, 5, 1_000));
    expect_slash_fail(&h.slash(3, v, 5, 1_000), ErrorCode::DuplicateEvidence);
    assert_eq!(h.validator(&v).map(|r| r.stake), Some(9_000));
    // Other evidence slashes again.
    expect_slash_ok(&h.slash(4, v, 6, 1_000));
    let rec = h.validator(&v).expect("record");
    assert_eq!((rec.stake, rec.slashed_total), (8_100, 1_900));
}

#[test]
fn slashing_pending_unbonding_entries_slashed_and_matured_entries_untouched() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    h.register(1, v, 10_000, key(7));
    expect_ok(&h.exec(10, v, NativeTx::ValidatorUnbond { amount: 2_000 }), NATIVE_SYSTEM_GAS); // 110
    expect_ok(&h.exec(50, v, NativeTx::ValidatorUnbond { amount: 2_001 }), NATIVE_SYSTEM_GAS); // 150
    let r = h.slash(120, v, 5, 5_000);
    expect_slash_ok(&r);
    let rec = h.validator(&v).expect("record");
    // Stake 5_999 -> 3_000 (2_999 burned); entry@150 2_001 -> 1_001 (1_000); entry@110 matured.
    assert_eq!(rec.stake, 3_000);
    assert_eq!(
        rec.unbonding,
        vec![
            UnbondingEntry { amount: 2_000, release_height: 110 },
            UnbondingEntry { amount: 1_001, release_height: 150 }
        ]
    );
    assert_eq!(rec.slashed_total, 3_999);
    assert_eq!(
        r.events,
        vec![event(&ValidatorSlashed {
            validator: v,
            evidence: [5; 32],
            amount: 3_999,
            jailed: true,
            jailed_until: 170
        })]
    );
}

#[test]
fn slashing_full_fraction_burns_stake_and_drops_emptied_entries() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    h.register(1, v, 10_000, key(7));
    expect_ok(&h.exec(10, v, NativeTx::ValidatorUnbond { amount: 3_000 }), NATIVE_SYSTEM_GAS);
    expect_slash_ok(&h.slash(20, v, 5, 10_000));
    let rec = h.validator(&v).expect("record");
    assert_eq!((rec.stake, rec.slashed_total, rec.unbonding.len()), (0, 10_000, 0));
}

#[test]
fn slashing_with_jail_disabled_burns_without_jailing() {
    let v = addr(1);
    let mut params = NativeParams::default();
    params.slash_jail(false);
    let mut h = Harness::with(params, &[v]);
    h.register(1, v, 10_000, key(7));
    let r = h.slash(2, v, 5, 100);
    expect_slash_ok(&r);
    let rec = h.validator(&v).expect("record");
    assert_eq!((rec.stake, rec.jailed, rec.jailed_until), (9_900, false, 0));
    expect_fail(&h.exec(3, v, NativeTx::ValidatorUnjail), ErrorCode::NotJailed, NATIVE_SYSTEM_GAS);
}

#[test]
fn slashing_jailed_validator_again_never_shortens_jail() {
    let v = addr(1);
    let mut params = NativeParams::default();
    params.jail_period(50);
    let mut h = Harness::with(params, &[v]);
    h.register(1, v, 10_000, key(7));
    expect_slash_ok(&h.slash(100, v, 1, 100)); // until 150
    expect_slash_ok(&h.slash(120, v, 2, 100)); // until 170
    assert_eq!(h.validator(&v).map(|r| r.jailed_until), Some(170));
}
