//! Each handler's derived access list is exactly the keys it touches: run every transaction
//! kind against an overlay that records its reads, on its success path (equal sets) and on
//! failure paths (a subset).

use std::collections::BTreeSet;

use vmhost::state::{OverlayStack, WaveCache};
use vmhost::NativeContext;
use vmhost_abi::StateKey;

use crate::harness::*;

/// What `tx` touches when `sender` runs it at `height` on the harness's committed state, and
/// the handler's result. Nothing is committed.
fn touched(h: &Harness, height: u64, sender: Address, tx: &NativeTx) -> (BTreeSet<StateKey>, bool) {
    let cache = WaveCache::new(h.chain.env().store().clone());
    let mut state = OverlayStack::new(&cache);
    state.record_reads();
    let mut block = vmhost::testing::block(h.wave + 1);
    block.height = height;
    let params = h.chain.params_at(h.wave + 1).native.clone();
    let ok = {
        let mut ctx = NativeContext::new(sender, &block, &params, &mut state);
        NativePlugin.execute(tx, &mut ctx).expect("no infrastructure failure").is_ok()
    };
    let mut keys = state.touched();
    // The executor writes the sender's account (fee, nonce) whatever the handler does.
    keys.insert(keys::account(&sender));
    (keys, ok)
}

/// The derived list, as a set, with the sender's account the executor adds.
fn derived(h: &Harness, sender: Address, tx: &NativeTx) -> BTreeSet<StateKey> {
    let list = NativePlugin.access_list(tx, &sender, &h.chain.params_at(h.wave + 1).native);
    let mut keys: BTreeSet<StateKey> = list.reads.into_iter().chain(list.writes).collect();
    keys.insert(keys::account(&sender));
    keys
}

fn expect_exact(h: &Harness, height: u64, sender: Address, tx: NativeTx) {
    let (got, ok) = touched(h, height, sender, &tx);
    assert!(ok, "{tx:?} should succeed here");
    assert_eq!(got, derived(h, sender, &tx), "{tx:?}");
}

fn expect_within(h: &Harness, height: u64, sender: Address, tx: NativeTx) {
    let (got, ok) = touched(h, height, sender, &tx);
    assert!(!ok, "{tx:?} should fail here");
    assert!(got.is_subset(&derived(h, sender, &tx)), "{tx:?}");
}

#[test]
fn native_derived_access_lists_are_exactly_the_keys_touched() {
    let (v, w, x) = (addr(1), addr(2), addr(3));
    let mut h = Harness::new(&[v, w, x]);
    expect_exact(&h, 1, v, NativeTx::Transfer { to: w, amount: 10 });
    expect_exact(&h, 1, v, NativeTx::ValidatorRegister { stake: 5_000, consensus_key: key(1) });
    h.register(1, v, 5_000, key(1));
    expect_exact(&h, 2, v, NativeTx::ValidatorUnbond { amount: 1_000 });
    expect_exact(&h, 2, v, NativeTx::ValidatorRotateKey { new_key: key(2) });
    // An unbond that releases a matured entry also credits the balance (the sender's account).
    let r = h.exec(2, v, NativeTx::ValidatorUnbond { amount: 1_000 });
    assert!(r.is_success(), "{r:?}");
    expect_exact(&h, 500, v, NativeTx::ValidatorUnbond { amount: 1_000 });
    let r = h.slash(3, v, 9, 100);
    assert!(r.is_success(), "{r:?}");
    expect_exact(&h, 1_000, v, NativeTx::ValidatorUnjail);
    expect_exact(&h, 4, Address::SYSTEM, NativeTx::Slashing { validator: v, evidence: [8; 32], fraction_bps: 10 });
    let signers = vec![v, w];
    expect_exact(&h, 4, v, NativeTx::MultisigCreate { signers: signers.clone(), threshold: 2 });
    let r = h.exec(4, v, NativeTx::MultisigCreate { signers: signers.clone(), threshold: 2 });
    assert!(r.is_success(), "{r:?}");
    let ms = multisig_address(&signers, 2);
    let r = h.exec(4, w, NativeTx::Transfer { to: ms, amount: 1_000 });
    assert!(r.is_success(), "{r:?}");
    expect_exact(&h, 5, v, NativeTx::MultisigSpend { multisig: ms, to: x, amount: 100, approvals: vec![w] });

    // Failure paths touch no more.
    expect_within(&h, 5, x, NativeTx::ValidatorUnbond { amount: 1 });
    expect_within(&h, 5, x, NativeTx::ValidatorRegister { stake: 5_000, consensus_key: key(1) });
    expect_within(&h, 5, v, NativeTx::MultisigSpend { multisig: ms, to: x, amount: 100, approvals: vec![] });
    expect_within(&h, 5, v, NativeTx::Slashing { validator: v, evidence: [8; 32], fraction_bps: 10 });
    expect_within(&h, 5, x, NativeTx::Transfer { to: v, amount: u128::MAX });
}

#[test]
fn native_transaction_with_a_list_missing_a_derived_key_is_invalid() {
    let (v, w) = (addr(1), addr(2));
    let mut h = Harness::new(&[v, w]);
    let mut tx = h.tx(v, NativeTx::Transfer { to: w, amount: 5 });
    tx.access_list = Some(vmhost_abi::AccessList::new().write(keys::account(&v)));
    tx.gas_limit += vmhost_abi::gas::ACCESS_LIST_KEY_GAS;
    let r = h.wave(1, vec![tx]).remove(0);
    assert_eq!((r.status, r.code), (ReceiptStatus::Invalid, ErrorCode::BadAccessList));
    // With the recipient declared it runs, and pays for both entries.
    let mut tx = h.tx(v, NativeTx::Transfer { to: w, amount: 5 });
    tx.access_list = Some(vmhost_abi::AccessList::new().write(keys::account(&v)).write(keys::account(&w)));
    tx.gas_limit += 2 * vmhost_abi::gas::ACCESS_LIST_KEY_GAS;
    let r = h.wave(1, vec![tx]).remove(0);
    expect_ok(&r, NATIVE_TRANSFER_GAS + 2 * vmhost_abi::gas::ACCESS_LIST_KEY_GAS);
}
