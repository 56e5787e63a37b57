//! `ValidatorRegister`, `ValidatorRotateKey`, `ValidatorUnjail`.

use crate::harness::*;

// ---- ValidatorRegister -------------------------------------------------------------------

#[test]
fn validator_register_valid_bonds_stake_binds_key_and_emits_event() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    let r = h.exec(1, v, NativeTx::ValidatorRegister { stake: 5_000, consensus_key: key(7) });
    expect_ok(&r, NATIVE_SYSTEM_GAS);
    let expected = Event {
        contract: Address::SYSTEM,
        topic: *blake3::hash(b"ValidatorRegistered").as_bytes(),
        data: borsh::to_vec(&(v, 5_000u128)).expect("encode"),
    };
    assert_eq!(r.events, vec![expected]);
    assert_eq!(
        h.validator(&v),
        Some(ValidatorRecord {
            stake: 5_000,
            consensus_key: key(7),
            jailed: false,
            jailed_until: 0,
            unbonding: vec![],
            slashed_total: 0,
        })
    );
    assert_eq!(h.key_owner(&key(7)), Some(v));
    assert_eq!(h.account(&v), AccountRecord { balance: FUNDS - 5_000 - SYS_FEE, nonce: 1 });
}

#[test]
fn validator_register_twice_fails_validator_exists() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    h.register(1, v, 5_000, key(7));
    let r = h.exec(2, v, NativeTx::ValidatorRegister { stake: 5_000, consensus_key: key(8) });
    expect_fail(&r, ErrorCode::ValidatorExists, NATIVE_SYSTEM_GAS);
    assert_eq!(h.validator(&v).map(|r| r.stake), Some(5_000));
    assert_eq!(h.key_owner(&key(8)), None);
    assert_eq!(h.balance(&v), FUNDS - 5_000 - 2 * SYS_FEE);
}

#[test]
fn validator_register_stake_below_min_fails_stake_too_low() {
    let (v, w) = (addr(1), addr(2));
    let mut h = Harness::new(&[v, w]);
    let r = h.exec(1, v, NativeTx::ValidatorRegister { stake: 999, consensus_key: key(7) });
    expect_fail(&r, ErrorCode::StakeTooLow, NATIVE_SYSTEM_GAS);
    assert_eq!(h.validator(&v), None);
    assert_eq!(h.key_owner(&key(7)), None);
    assert_eq!(h.account(&v), AccountRecord { balance: FUNDS - SYS_FEE, nonce: 1 });
    h.register(2, w, 1_000, key(8));
}

#[test]
fn validator_register_key_length_outside_range_fails_bad_key() {
    let vs: Vec<Address> = (1..=4).map(addr).collect();
    let mut h = Harness::new(&vs);
    for (v, len) in [(vs[0], 31usize), (vs[1], 2049)] {
        let r = h.exec(1, v, NativeTx::ValidatorRegister { stake: 5_000, consensus_key: vec![9; len] });
        expect_fail(&r, ErrorCode::BadKey, NATIVE_SYSTEM_GAS);
        assert_eq!(h.validator(&v), None);
    }
    // The bounds themselves are accepted.
    h.register(2, vs[2], 5_000, vec![1; 32]);
    h.register(3, vs[3], 5_000, vec![2; 2048]);
}

#[test]
fn validator_register_key_bound_to_other_validator_fails_bad_key() {
    let (v, w) = (addr(1), addr(2));
    let mut h = Harness::new(&[v, w]);
    h.register(1, v, 5_000, key(7));
    let r = h.exec(2, w, NativeTx::ValidatorRegister { stake: 5_000, consensus_key: key(7) });
    expect_fail(&r, ErrorCode::BadKey, NATIVE_SYSTEM_GAS);
    assert_eq!(h.validator(&w), None);
    assert_eq!(h.key_owner(&key(7)), Some(v));
}

#[test]
fn validator_register_stake_above_spendable_balance_fails_insufficient_balance() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    let r = h.exec(1, v, NativeTx::ValidatorRegister { stake: FUNDS + 1, consensus_key: key(7) });
    expect_fail(&r, ErrorCode::InsufficientBalance, NATIVE_SYSTEM_GAS);
    // Balance now FUNDS - fee; bonding all of it would leave nothing for this tx's fee.
    let left = FUNDS - SYS_FEE;
    let r = h.exec(2, v, NativeTx::ValidatorRegister { stake: left - SYS_FEE + 1, consensus_key: key(7) });
    expect_fail(&r, ErrorCode::InsufficientBalance, NATIVE_SYSTEM_GAS);
    assert_eq!(h.validator(&v), None);
    assert_eq!(h.key_owner(&key(7)), None);
    assert_eq!(h.account(&v), AccountRecord { balance: FUNDS - 2 * SYS_FEE, nonce: 2 });
    // Exactly balance - fee bonds everything.
    h.register(3, v, FUNDS - 3 * SYS_FEE, key(7));
    assert_eq!(h.balance(&v), 0);
}

// ---- ValidatorRotateKey ------------------------------------------------------------------

#[test]
fn validator_rotate_key_valid_binds_the_new_key_and_retires_the_old_one() {
    let (v, w) = (addr(1), addr(2));
    let mut h = Harness::new(&[v, w]);
    h.register(1, v, 5_000, key(7));
    let r = h.exec(2, v, NativeTx::ValidatorRotateKey { new_key: key(8) });
    expect_ok(&r, NATIVE_SYSTEM_GAS);
    assert_eq!(
        r.events,
        vec![event(&ValidatorKeyRotated { validator: v, key_hash: *blake3::hash(&key(8)).as_bytes() })]
    );
    assert_eq!(h.validator(&v).map(|r| r.consensus_key), Some(key(8)));
    assert_eq!(h.key_owner(&key(8)), Some(v));
    // The old key stays bound to v, retired: nobody can register with it.
    assert_eq!(h.key_owner(&key(7)), Some(v));
    let r = h.exec(3, w, NativeTx::ValidatorRegister { stake: 5_000, consensus_key: key(7) });
    assert_eq!((r.status, r.code), (ReceiptStatus::Failed, ErrorCode::BadKey));
}

#[test]
fn validator_rotate_key_unknown_validator_fails_unknown_validator() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    let r = h.exec(1, v, NativeTx::ValidatorRotateKey { new_key: key(8) });
    expect_fail(&r, ErrorCode::UnknownValidator, NATIVE_SYSTEM_GAS);
    assert_eq!(h.key_owner(&key(8)), None);
}

#[test]
fn validator_rotate_key_length_outside_range_fails_bad_key() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    h.register(1, v, 5_000, key(7));
    for len in [0usize, 31, 2049] {
        let r = h.exec(2 + len as u64, v, NativeTx::ValidatorRotateKey { new_key: vec![3; len] });
        expect_fail(&r, ErrorCode::BadKey, NATIVE_SYSTEM_GAS);
    }
    assert_eq!(h.validator(&v).map(|r| r.consensus_key), Some(key(7)));
    assert_eq!(h.key_owner(&key(7)), Some(v));
}

#[test]
fn validator_rotate_key_to_bound_key_fails_bad_key() {
    let (v, w) = (addr(1), addr(2));
    let mut h = Harness::new(&[v, w]);
    h.register(1, v, 5_000, key(7));
    h.register(2, w, 5_000, key(8));
    // Another validator's key, and its own current key.
    for k in [key(8), key(7)] {
        let r = h.exec(3, v, NativeTx::ValidatorRotateKey { new_key: k });
        expect_fail(&r, ErrorCode::BadKey, NATIVE_SYSTEM_GAS);
    }
    assert_eq!(h.key_owner(&key(7)), Some(v));
    assert_eq!(h.key_owner(&key(8)), Some(w));
    assert_eq!(h.validator(&v).map(|r| r.consensus_key), Some(key(7)));
}

// ---- ValidatorUnjail ---------------------------------------------------------------------

#[test]
fn validator_unjail_at_jailed_until_clears_jail_and_not_before() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    h.register(1, v, 5_000, key(7));
    expect_slash_ok(&h.slash(100, v, 1, 100));
    let rec = h.validator(&v).expect("record");
    assert!(rec.jailed);
    assert_eq!(rec.jailed_until, 150);

    let r = h.exec(149, v, NativeTx::ValidatorUnjail);
    expect_fail(&r, ErrorCode::StillJailed, NATIVE_SYSTEM_GAS);
    assert!(h.validator(&v).expect("record").jailed);

    let r = h.exec(150, v, NativeTx::ValidatorUnjail);
    expect_ok(&r, NATIVE_SYSTEM_GAS);
    assert_eq!(r.events, vec![event(&ValidatorUnjailed { validator: v })]);
    assert!(!h.validator(&v).expect("record").jailed);
}

#[test]
fn validator_unjail_unknown_validator_fails_unknown_validator() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    let r = h.exec(1, v, NativeTx::ValidatorUnjail);
    expect_fail(&r, ErrorCode::UnknownValidator, NATIVE_SYSTEM_GAS);
}

#[test]
fn validator_unjail_not_jailed_fails_not_jailed() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    h.register(1, v, 5_000, key(7));
    let r = h.exec(2, v, NativeTx::ValidatorUnjail);
    expect_fail(&r, ErrorCode::NotJailed, NATIVE_SYSTEM_GAS);
}

#[test]
fn validator_unjail_stake_below_min_after_slash_fails_stake_too_low() {
    let v = addr(1);
    let mut h = Harness::new(&[v]);
    h.register(1, v, 1_000, key(7));
    expect_slash_ok(&h.slash(10, v, 1, 1_000)); // 10%: stake 900
    let r = h.exec(60, v, NativeTx::ValidatorUnjail);
    expect_fail(&r, ErrorCode::StakeTooLow, NATIVE_SYSTEM_GAS);
    let rec = h.validator(&v).expect("record");
    assert!(rec.jailed);
    assert_eq!(rec.stake, 900);
}
