//! `MultisigCreate` and `MultisigSpend`.

use crate::harness::*;

// ---- MultisigCreate ----------------------------------------------------------------------

#[test]
fn multisig_create_valid_stores_sorted_record_at_derived_address() {
    let (a, b, c) = (addr(3), addr(1), addr(2));
    let mut h = Harness::new(&[a]);
    let r = h.exec(1, a, NativeTx::MultisigCreate { signers: vec![a, b, c], threshold: 2 });
    expect_ok(&r, NATIVE_SYSTEM_GAS);
    let ms = multisig_address(&[c, a, b], 2);
    let sorted = vec![b, c, a];
    assert_eq!(r.events, vec![event(&MultisigCreated { multisig: ms, threshold: 2, signers: sorted.clone() })]);
    assert_eq!(h.multisig(&ms), Some(MultisigRecord { signers: sorted, threshold: 2, spends: 0 }));
    assert_eq!(h.account(&ms), AccountRecord::default());
}

#[test]
fn multisig_address_independent_of_order_and_bound_to_threshold() {
    let (a, b, c) = (addr(1), addr(2), addr(3));
    assert_eq!(multisig_address(&[a, b, c], 2), multisig_address(&[c, b, a], 2));
    assert_ne!(multisig_address(&[a, b, c], 2), multisig_address(&[a, b, c], 3));
    assert_ne!(multisig_address(&[a, b], 2), multisig_address(&[a, b, c], 2));
}

#[test]
fn multisig_create_invalid_config_fails_bad_multisig_config() {
    let (a, b, c) = (addr(1), addr(2), addr(3));
    let mut h = Harness::new(&[a]);
    let too_many: Vec<Address> = (1..=33).map(addr).collect();
    let cases = [(vec![], 1u8), (too_many, 1), (vec![a, b, a], 2), (vec![a, b, c], 0), (vec![a, b, c], 4)];
    let txs: Vec<_> =
        cases.iter().map(|(s, t)| h.tx(a, NativeTx::MultisigCreate { signers: s.clone(), threshold: *t })).collect();
    for r in h.wave(1, txs) {
        expect_fail(&r, ErrorCode::BadMultisigConfig, NATIVE_SYSTEM_GAS);
    }
    for (s, t) in &cases {
        assert_eq!(h.multisig(&multisig_address(s, *t)), None);
    }
    // 32 signers (the maximum) with threshold n is accepted.
    let max: Vec<Address> = (1..=32).map(addr).collect();
    expect_ok(&h.exec(2, a, NativeTx::MultisigCreate { signers: max.clone(), threshold: 32 }), NATIVE_SYSTEM_GAS);
    assert!(h.multisig(&multisig_address(&max, 32)).is_some());
}

#[test]
fn multisig_create_sender_not_signer_fails_not_a_signer() {
    let (a, b, c) = (addr(1), addr(2), addr(3));
    let mut h = Harness::new(&[a]);
    let r = h.exec(1, a, NativeTx::MultisigCreate { signers: vec![b, c], threshold: 1 });
    expect_fail(&r, ErrorCode::NotASigner, NATIVE_SYSTEM_GAS);
    assert_eq!(h.multisig(&multisig_address(&[b, c], 1)), None);
}

#[test]
fn multisig_create_existing_fails_multisig_exists() {
    let (a, b) = (addr(1), addr(2));
    let mut h = Harness::new(&[a, b]);
    expect_ok(&h.exec(1, a, NativeTx::MultisigCreate { signers: vec![a, b], threshold: 2 }), NATIVE_SYSTEM_GAS);
    // Same set in another order, by another signer: the same address.
    let r = h.exec(2, b, NativeTx::MultisigCreate { signers: vec![b, a], threshold: 2 });
    expect_fail(&r, ErrorCode::MultisigExists, NATIVE_SYSTEM_GAS);
    // A different threshold is a different account.
    expect_ok(&h.exec(3, b, NativeTx::MultisigCreate { signers: vec![b, a], threshold: 1 }), NATIVE_SYSTEM_GAS);
}

// ---- MultisigSpend -----------------------------------------------------------------------

/// Creates a multisig of `signers` with `threshold` (created by `signers[0]`) funded with 1M.
fn funded_multisig(h: &mut Harness, signers: &[Address], threshold: u8) -> Address {
    let creator = signers[0];
    let ms = multisig_address(signers, threshold);
    let txs = vec![
        h.tx(creator, NativeTx::MultisigCreate { signers: signers.to_vec(), threshold }),
        h.tx(creator, NativeTx::Transfer { to: ms, amount: 1_000_000 }),
    ];
    for r in h.wave(1, txs) {
        assert_eq!(r.code, ErrorCode::Ok);
    }
    ms
}

#[test]
fn multisig_spend_threshold_met_transfers_and_counts_spend() {
    let (a, b, c, to) = (addr(1), addr(2), addr(3), addr(9));
    let mut h = Harness::new(&[a, b, c]);
    let ms = funded_multisig(&mut h, &[a, b, c], 2);
    let r = h.exec(2, b, NativeTx::MultisigSpend { multisig: ms, to, amount: 400, approvals: vec![c] });
    expect_ok(&r, NATIVE_SYSTEM_GAS);
    assert_eq!(r.events, vec![event(&MultisigSpent { multisig: ms, to, amount: 400, spends: 1 })]);
    assert_eq!(h.balance(&ms), 1_000_000 - 400);
    assert_eq!(h.balance(&to), 400);
    // The sender paid the fee, not the multisig.
    assert_eq!(h.account(&b), AccountRecord { balance: FUNDS - SYS_FEE, nonce: 1 });
    assert_eq!(h.multisig(&ms).map(|m| m.spends), Some(1));
    // A second spend by another signer, approved by the first.
    expect_ok(
        &h.exec(3, a, NativeTx::MultisigSpend { multisig: ms, to, amount: 100, approvals: vec![b] }),
        NATIVE_SYSTEM_GAS,
    );
    assert_eq!(h.multisig(&ms).map(|m| m.spends), Some(2));
    assert_eq!(h.balance(&to), 500);
}

#[test]
fn multisig_spend_one_of_n_sender_alone_meets_threshold() {
    let (a, b, to) = (addr(1), addr(2), addr(9));
    let mut h = Harness::new(&[a, b]);
    let ms = funded_multisig(&mut h, &[a, b], 1);
    let r = h.exec(2, b, NativeTx::MultisigSpend { multisig: ms, to, amount: 10, approvals: vec![] });
    expect_ok(&r, NATIVE_SYSTEM_GAS);
    assert_eq!(h.balance(&to), 10);
}

#[test]
fn multisig_spend_with_more_approvals_than_a_multisig_may_have_signers_fails_before_any_work() {
    let (a, b, to) = (addr(1), addr(2), addr(9));
    let mut h = Harness::new(&[a, b]);
    let ms = funded_multisig(&mut h, &[a, b], 2);
    let max = NativeParams::default().max_signers as usize;
    // Repeating a real signer beyond the cap: bounded before the record is even read.
    let r = h.exec(2, a, NativeTx::MultisigSpend { multisig: ms, to, amount: 10, approvals: vec![b; max + 1] });
    expect_fail(&r, ErrorCode::BadMultisigConfig, NATIVE_SYSTEM_GAS);
    // At the cap it is fine (duplicates count once).
    let r = h.exec(3, a, NativeTx::MultisigSpend { multisig: ms, to, amount: 10, approvals: vec![b; max] });
    expect_ok(&r, NATIVE_SYSTEM_GAS);
}

#[test]
fn multisig_spend_unknown_multisig_fails_unknown_multisig() {
    let (a, b, to) = (addr(1), addr(2), addr(9));
    let mut h = Harness::new(&[a]);
    let ms = multisig_address(&[a, b], 1);
    let r = h.exec(1, a, NativeTx::MultisigSpend { multisig: ms, to, amount: 10, approvals: vec![] });
    expect_fail(&r, ErrorCode::UnknownMultisig, NATIVE_SYSTEM_GAS);
}

#[test]
fn multisig_spend_sender_not_signer_fails_not_a_signer() {
    let (a, b, c, to) = (addr(1), addr(2), addr(3), addr(9));
    let mut h = Harness::new(&[a, b, c]);
    let ms = funded_multisig(&mut h, &[a, b], 1);
    let r = h.exec(2, c, NativeTx::MultisigSpend { multisig: ms, to, amount: 10, approvals: vec![a, b] });
    expect_fail(&r, ErrorCode::NotASigner, NATIVE_SYSTEM_GAS);
    assert_eq!(h.balance(&ms), 1_000_000);
    assert_eq!(h.multisig(&ms).map(|m| m.spends), Some(0));
}

#[test]
fn multisig_spend_approval_not_signer_fails_not_a_signer() {
    let (a, b, c, to) = (addr(1), addr(2), addr(3), addr(9));
    let mut h = Harness::new(&[a, b]);
    let ms = funded_multisig(&mut h, &[a, b], 1);
    // Threshold already met by the sender; an outsider in the approvals still fails the tx.
    let r = h.exec(2, a, NativeTx::MultisigSpend { multisig: ms, to, amount: 10, approvals: vec![b, c] });
    expect_fail(&r, ErrorCode::NotASigner, NATIVE_SYSTEM_GAS);
    assert_eq!(h.balance(&ms), 1_000_000);
    assert_eq!(h.balance(&to), 0);
}

#[test]
fn multisig_spend_duplicate_approvals_not_double_counted_fails_threshold_not_met() {
    let (a, b, c, to) = (addr(1), addr(2), addr(3), addr(9));
    let mut h = Harness::new(&[a, b, c]);
    let ms = funded_multisig(&mut h, &[a, b, c], 3);
    // a (sender) + b, b, a: two distinct approvers of three required.
    let r = h.exec(2, a, NativeTx::MultisigSpend { multisig: ms, to, amount: 10, approvals: vec![b, b, a] });
    expect_fail(&r, ErrorCode::ThresholdNotMet, NATIVE_SYSTEM_GAS);
    assert_eq!(h.balance(&ms), 1_000_000);
    assert_eq!(h.multisig(&ms).map(|m| m.spends), Some(0));
    // With c: three distinct.
    let r = h.exec(3, a, NativeTx::MultisigSpend { multisig: ms, to, amount: 10, approvals: vec![b, c, c] });
    expect_ok(&r, NATIVE_SYSTEM_GAS);
    assert_eq!(h.balance(&to), 10);
}

#[test]
fn multisig_spend_zero_amount_fails_invalid_amount() {
    let (a, b, to) = (addr(1), addr(2), addr(9));
    let mut h = Harness::new(&[a, b]);
    let ms = funded_multisig(&mut h, &[a, b], 2);
    let r = h.exec(2, a, NativeTx::MultisigSpend { multisig: ms, to, amount: 0, approvals: vec![b] });
    expect_fail(&r, ErrorCode::InvalidAmount, NATIVE_SYSTEM_GAS);
    assert_eq!(h.multisig(&ms).map(|m| m.spends), Some(0));
}

#[test]
fn multisig_spend_above_balance_fails_insufficient_balance() {
    let (a, b, to) = (addr(1), addr(2), addr(9));
    let mut h = Harness::new(&[a, b]);
    let ms = funded_multisig(&mut h, &[a, b], 2);
    let r = h.exec(2, a, NativeTx::MultisigSpend { multisig: ms, to, amount: 1_000_001, approvals: vec![b] });
    expect_fail(&r, ErrorCode::InsufficientBalance, NATIVE_SYSTEM_GAS);
    assert_eq!(h.balance(&ms), 1_000_000);
    assert_eq!(h.balance(&to), 0);
    assert_eq!(h.multisig(&ms).map(|m| m.spends), Some(0));
}
