//! Intrinsic gas, parameters and event topics.

use crate::harness::*;

// ---- intrinsic gas -----------------------------------------------------------------------

#[test]
fn intrinsic_gas_transfer_fixed_and_every_other_tx_system_cost() {
    let p = NativePlugin;
    let params = NativeParams::default();
    let a = addr(1);
    assert_eq!(p.intrinsic_gas(&NativeTx::Transfer { to: a, amount: 1 }, &params), NATIVE_TRANSFER_GAS);
    let others = [
        NativeTx::ValidatorRegister { stake: 1, consensus_key: key(1) },
        NativeTx::ValidatorUnbond { amount: 1 },
        NativeTx::ValidatorRotateKey { new_key: key(1) },
        NativeTx::ValidatorUnjail,
        NativeTx::MultisigCreate { signers: vec![a], threshold: 1 },
        NativeTx::MultisigSpend { multisig: a, to: a, amount: 1, approvals: vec![] },
        NativeTx::Slashing { validator: a, evidence: [0; 32], fraction_bps: 1 },
    ];
    for tx in &others {
        assert_eq!(p.intrinsic_gas(tx, &params), NATIVE_SYSTEM_GAS, "{tx:?}");
    }
}

#[test]
fn params_default_values_match_the_spec() {
    let p = NativeParams::default();
    assert_eq!(p.min_stake, 1_000);
    assert_eq!(p.unbonding_period, 100);
    assert_eq!(p.jail_period, 50);
    assert_eq!((p.min_key_len, p.max_key_len), (32, 2048));
    assert_eq!(p.max_signers, 32);
    assert!(p.slash_jail);
    assert_eq!((p.transfer_gas, p.system_gas), (NATIVE_TRANSFER_GAS, NATIVE_SYSTEM_GAS));
}

#[test]
fn event_topics_are_blake3_of_the_event_name() {
    assert_eq!(ValidatorRegistered::topic(), *blake3::hash(b"ValidatorRegistered").as_bytes());
    assert_eq!(events::topic("ValidatorSlashed"), ValidatorSlashed::topic());
}

// ---- parameters --------------------------------------------------------------------------

#[test]
fn params_custom_values_apply_to_handlers() {
    let (v, a, b, c) = (addr(1), addr(2), addr(3), addr(4));
    let mut params = NativeParams::default();
    params.min_stake(50).unbonding_period(10).key_len(4, 8).max_signers(2);
    let mut h = Harness::with(params, &[v, a]);
    h.register(1, v, 50, vec![1; 8]);
    expect_fail(
        &h.exec(2, a, NativeTx::ValidatorRegister { stake: 50, consensus_key: vec![2; 9] }),
        ErrorCode::BadKey,
        NATIVE_SYSTEM_GAS,
    );
    let r = h.exec(3, v, NativeTx::ValidatorUnbond { amount: 50 });
    expect_ok(&r, NATIVE_SYSTEM_GAS);
    assert_eq!(h.validator(&v).map(|r| r.unbonding), Some(vec![UnbondingEntry { amount: 50, release_height: 13 }]));
    expect_fail(
        &h.exec(4, a, NativeTx::MultisigCreate { signers: vec![a, b, c], threshold: 1 }),
        ErrorCode::BadMultisigConfig,
        NATIVE_SYSTEM_GAS,
    );
}
