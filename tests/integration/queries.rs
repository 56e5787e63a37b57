//! Read-only queries (`Chain::query`), the failure reasons a wave keeps beside its receipts
//! (`WaveOutput::notes`, `Chain::notes`) and the node-local slot index (`Chain::storage_slots`).

use std::sync::Arc;

use vmhost::state::{Column, RocksStore, Store};
use vmhost::testing::block;
use vmhost::{Chain, Query};
use vmhost_abi::{keys, Address, ErrorCode, ReceiptStatus};
use vmhost_tests::{call, deploy, example_wasm, user};

type Entries = Vec<(Vec<u8>, Vec<u8>)>;

fn dump(store: &dyn Store) -> Vec<(Column, Entries)> {
    Column::ALL.iter().map(|c| (*c, store.scan_prefix(*c, &[], usize::MAX).unwrap())).collect()
}

fn u128_le(v: u128) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

fn transfer_input(to: Address, amount: u128) -> Vec<u8> {
    [to.0.to_vec(), u128_le(amount)].concat()
}

/// A RocksDB chain with the token deployed and initialised (1,000,000 to user 1).
fn token_chain(dir: &std::path::Path) -> (Chain, Arc<RocksStore>, Address) {
    let store = Arc::new(RocksStore::open_with(dir, false).unwrap());
    let mut chain =
        vmhost_tests::chain_with(store.clone(), vmhost_tests::registry(vmhost_wasmtime::WasmtimeConfig::default()), 4);
    let out = chain.execute_wave(&block(1), &[deploy(user(1), 0, example_wasm("token"))]).unwrap();
    let token = out.receipts[0].contract_address.unwrap();
    let out = chain.execute_wave(&block(2), &[call(user(1), 1, token, "init", u128_le(1_000_000))]).unwrap();
    assert!(out.receipts[0].is_success(), "{:?}", out.receipts[0]);
    (chain, store, token)
}

fn query(token: Address, sender: Address, entry: &str, input: Vec<u8>) -> Query {
    Query { sender, contract: token, entry: entry.into(), input, value: 0, gas_limit: 10_000_000 }
}

#[test]
fn a_query_returns_what_the_call_would_and_leaves_the_store_byte_for_byte_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (mut chain, store, token) = token_chain(dir.path());
    let before = dump(&*store);
    let head = chain.head().clone();
    // A read, by a funded sender and by an address that has never existed.
    let nobody = Address([0xab; 32]);
    for sender in [user(1), nobody] {
        let out = chain.query(&block(3), &query(token, sender, "balance_of", user(1).0.to_vec())).unwrap();
        assert_eq!((out.status, out.code), (ReceiptStatus::Success, ErrorCode::Ok), "{out:?}");
        assert_eq!(out.return_data, u128_le(1_000_000));
        assert_eq!(out.note, None);
    }
    // A "write": it would succeed and emit its event, and none of it stays.
    let q = query(token, user(1), "transfer", transfer_input(user(2), 250));
    let estimate = chain.query(&block(3), &q).unwrap();
    assert!(estimate.code.is_ok() && estimate.events.len() == 1, "{estimate:?}");
    let after_bal = chain.query(&block(3), &query(token, user(1), "balance_of", user(2).0.to_vec())).unwrap();
    assert_eq!(after_bal.return_data, u128_le(0), "the query's transfer is not visible to the next query");
    // A revert carries its text; a missing entry point names the ones there are.
    let out = chain.query(&block(3), &query(token, nobody, "transfer", transfer_input(user(2), 1))).unwrap();
    assert_eq!((out.code, out.return_data.as_slice()), (ErrorCode::Reverted, &b"insufficient balance"[..]));
    assert_eq!(out.note.as_deref(), Some("reverted: insufficient balance"));
    let out = chain.query(&block(3), &query(token, nobody, "balanceOf", vec![])).unwrap();
    assert_eq!(out.code, ErrorCode::UnknownEntryPoint);
    assert!(out.note.as_deref().unwrap_or("").contains("balance_of"), "{out:?}");
    let out = chain.query(&block(3), &query(Address([7; 32]), nobody, "get", vec![])).unwrap();
    assert_eq!(out.code, ErrorCode::UnknownContract);
    // Nothing written, nobody charged, the head where it was.
    assert_eq!(dump(&*store), before, "a query writes nothing");
    assert_eq!(chain.head(), &head);
    assert_eq!(chain.account(&nobody).unwrap(), Default::default());
    // The same call as a transaction: the query's gas is the receipt's, and the results agree.
    let out =
        chain.execute_wave(&block(3), &[call(user(1), 2, token, "transfer", transfer_input(user(2), 250))]).unwrap();
    assert_eq!(out.receipts[0].gas_used, estimate.gas_used, "a query is a gas estimate");
    assert_eq!(out.receipts[0].events, estimate.events);
}

#[test]
fn a_query_is_capped_by_the_node_and_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let mut exec = vmhost::ExecConfig::default();
    exec.node.query_gas_cap = 2_000_000;
    let store = Arc::new(RocksStore::open_with(dir.path(), false).unwrap());
    let mut chain = vmhost_tests::chain_with_config(
        store,
        vmhost_tests::registry(vmhost_wasmtime::WasmtimeConfig::default()),
        exec,
        2,
    );
    let spin = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "spin") (loop (br 0))))"#).unwrap();
    let out = chain.execute_wave(&block(1), &[deploy(user(1), 0, spin)]).unwrap();
    let spin = out.receipts[0].contract_address.unwrap();
    let mut q = query(spin, user(1), "spin", vec![]);
    q.gas_limit = u64::MAX;
    let out = chain.query(&block(2), &q).unwrap();
    assert_eq!((out.code, out.gas_limit, out.gas_used), (ErrorCode::OutOfGas, 2_000_000, 2_000_000), "{out:?}");
}

#[test]
fn a_wave_keeps_each_failure_reason_beside_its_receipt_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (token, wave) = {
        let (mut chain, _store, token) = token_chain(dir.path());
        let bad = wat::parse_str(
            r#"(module (memory (export "memory") 1) (func (export "add") (param i32) (result i32) local.get 0))"#,
        )
        .unwrap();
        let mut stale = call(user(2), 5, token, "transfer", vec![]);
        stale.nonce = 7;
        let txs = vec![
            call(user(3), 0, token, "transfer", transfer_input(user(2), 9)),
            deploy(user(1), 2, bad),
            call(user(1), 3, token, "total_supply", vec![]),
            stale,
        ];
        let out = chain.execute_wave(&block(3), &txs).unwrap();
        assert_eq!(out.notes.len(), 4);
        assert_eq!(out.notes[0].as_deref(), Some("reverted: insufficient balance"));
        assert!(out.notes[1].as_deref().unwrap().contains("exported function `add` has signature (i32) -> (i32)"));
        assert_eq!(out.notes[2], None, "a success has no reason");
        assert_eq!(out.notes[3].as_deref(), Some("nonce 7, the sender's next nonce is 0"));
        assert_eq!(chain.notes(3).unwrap(), out.notes);
        // A wave without failures stores no reasons, and reads back as one `None` per receipt.
        chain.execute_wave(&block(4), &[call(user(1), 4, token, "total_supply", vec![])]).unwrap();
        assert_eq!(chain.notes(4).unwrap(), vec![None]);
        (token, out.notes)
    };
    let store = Arc::new(RocksStore::open_with(dir.path(), false).unwrap());
    let chain = vmhost_tests::chain_with(store, vmhost_tests::registry(vmhost_wasmtime::WasmtimeConfig::default()), 4);
    assert_eq!(chain.notes(3).unwrap(), wave);
    assert!(chain.contract(&token).unwrap().is_some());
}

#[test]
fn the_slot_index_lists_live_slots_only_from_committed_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let (mut chain, _store, token) = token_chain(dir.path());
    let slots = |chain: &Chain| chain.storage_slots(&token, 100).unwrap();
    // init: the total supply and user 1's balance.
    let got = slots(&chain);
    let supply = keys::slot(&token, 2, b"total_supply");
    let bal = |u: u64| keys::slot(&token, 0, &user(u).0);
    let mut want = vec![(supply, u128_le(1_000_000)), (bal(1), u128_le(1_000_000))];
    want.sort();
    assert_eq!(got, want);
    // A transfer creates user 2's slot; a reverted one (user 3 has nothing) creates none; a
    // query's and a simulation's creations are not indexed either.
    chain.simulate_wave(&block(3), &[call(user(1), 2, token, "transfer", transfer_input(user(4), 1))]).unwrap();
    chain.query(&block(3), &query(token, user(1), "transfer", transfer_input(user(4), 1))).unwrap();
    let txs = vec![
        call(user(1), 2, token, "transfer", transfer_input(user(2), 10)),
        call(user(3), 0, token, "transfer", transfer_input(user(4), 10)),
    ];
    chain.execute_wave(&block(3), &txs).unwrap();
    let mut want = vec![(supply, u128_le(1_000_000)), (bal(1), u128_le(999_990)), (bal(2), u128_le(10))];
    want.sort();
    assert_eq!(slots(&chain), want);
    assert_eq!(chain.storage_slots(&token, 2).unwrap().len(), 2, "the limit holds");
    assert!(chain.storage_slots(&user(1), 100).unwrap().is_empty());
    // The index is node-local: the state root does not cover it, so it never enters a root.
    let index_keys = chain.env().store().scan_prefix(Column::Meta, b"slot/", usize::MAX).unwrap();
    assert_eq!(index_keys.len(), 3, "one entry per slot created, none for the reverted or dry runs");
}
