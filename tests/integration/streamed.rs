//! Waves committed in chunks (`Chain::execute_wave_streamed`, for waves larger than memory):
//! the same record, receipts, reasons and roots as committing the wave at once, whatever the
//! chunk size; a failure mid-wave leaves the store as it was.

use std::sync::Arc;

use vmhost::state::{Column, MemStore, Store};
use vmhost::testing::token::transfer_input;
use vmhost::testing::{block, transfer};
use vmhost::{Chain, ExecConfig};
use vmhost_abi::{keys, Address, Receipt, ReceiptStatus, Transaction};
use vmhost_tests::{call, chain_with_config, deploy, example_wasm, registry, user};

const USERS: u64 = 40;

/// A chain whose `execute_wave` commits waves longer than `commit_chunk` in chunks.
fn chunked_chain(store: Arc<dyn Store>, retain: u64, commit_chunk: usize) -> Chain {
    let mut exec = ExecConfig::default();
    exec.node.retain_waves = retain;
    exec.node.commit_chunk = commit_chunk;
    chain_with_config(store, registry(Default::default()), exec, USERS)
}

/// A chain with the token deployed and every user holding 1,000 of it.
fn token_chain(store: Arc<dyn Store>, retain: u64) -> (Chain, Address) {
    token_chain_chunked(store, retain, 0)
}

fn token_chain_chunked(store: Arc<dyn Store>, retain: u64, commit_chunk: usize) -> (Chain, Address) {
    let mut c = chunked_chain(store, retain, commit_chunk);
    let out = c.execute_wave(&block(1), &[deploy(user(1), 0, example_wasm("token"))]).unwrap();
    let token = out.receipts[0].contract_address.unwrap();
    let mut setup = vec![call(user(1), 1, token, "init", (1_000_000u128).to_le_bytes().to_vec())];
    setup.extend((2..=USERS).map(|i| call(user(1), i, token, "transfer", transfer_input(&user(i), 1_000))));
    let out = c.execute_wave(&block(2), &setup).unwrap();
    assert!(out.receipts.iter().all(Receipt::is_success));
    (c, token)
}

/// Wave `w` (from 3 on): per user, a native transfer, a token transfer (every 7th one more
/// than the user holds: reverted), every 11th user a transaction with a stale nonce (invalid),
/// and a deploy in the middle.
fn mixed_wave(w: u64, token: Address) -> Vec<Transaction> {
    let mut txs = Vec::new();
    for i in 1..=USERS {
        let base = if i == 1 { USERS + 1 } else { 0 } + (w - 3) * 3;
        txs.push(transfer(user(i), base, user(1 + (i * w) % USERS), 10 + i as u128));
        let amount = if i % 7 == 0 { 1_000_000_000 } else { 1 + i as u128 };
        txs.push(call(user(i), base + 1, token, "transfer", transfer_input(&user(1 + (i + w) % USERS), amount)));
        if i % 11 == 0 {
            txs.push(transfer(user(i), 0, user(2), 1));
        }
        if i == USERS / 2 {
            txs.push(deploy(user(i), base + 2, example_wasm("counter")));
        } else {
            txs.push(transfer(user(i), base + 2, user(i), 0));
        }
    }
    txs
}

#[test]
fn a_streamed_wave_equals_the_wave_committed_at_once_whatever_the_chunk() {
    for (chunk, retain) in [(1, 0), (7, 2), (64, 0), (10_000, 2)] {
        let (mut once, token) = token_chain(Arc::new(MemStore::new()), retain);
        let (mut streamed, _) = token_chain(Arc::new(MemStore::new()), retain);
        // `execute_wave` itself, with waves longer than the chunk committed in chunks.
        let (mut chunked, _) = token_chain_chunked(Arc::new(MemStore::new()), retain, chunk);
        for w in 3..=6 {
            let txs = mixed_wave(w, token);
            let out = once.execute_wave(&block(w), &txs).unwrap();
            assert_eq!(chunked.execute_wave(&block(w), &txs).unwrap(), out, "chunk {chunk}, wave {w}");
            assert_eq!(chunked.notes(w).unwrap(), out.notes);
            let mut seen: Vec<(Receipt, Option<String>)> = Vec::new();
            let record = streamed
                .execute_wave_streamed(&block(w), txs.clone(), chunk, |r, n| {
                    seen.push((r.clone(), n.map(String::from)))
                })
                .unwrap();
            assert_eq!(record, out.record, "chunk {chunk}, wave {w}");
            assert_eq!(streamed.receipts(w).unwrap(), out.receipts, "chunk {chunk}, wave {w}");
            assert_eq!(streamed.notes(w).unwrap(), out.notes, "chunk {chunk}, wave {w}");
            let reported: Vec<Receipt> = seen.iter().map(|(r, _)| r.clone()).collect();
            assert_eq!(reported, out.receipts);
            assert_eq!(seen.into_iter().map(|(_, n)| n).collect::<Vec<_>>(), out.notes);
            assert_eq!(streamed.state_root(), once.state_root());
            assert_eq!(streamed.wave_record(w).unwrap(), Some(out.record.clone()));
            // The wave is what it should be: every kind of outcome, events, a deploy.
            let status = |s| out.receipts.iter().filter(|r| r.status == s).count();
            assert!(status(ReceiptStatus::Reverted) >= 5 && status(ReceiptStatus::Invalid) >= 3, "{w}");
            assert!(out.receipts.iter().any(|r| r.contract_address.is_some()));
            assert!(out.record.events_root != [0; 32]);
            // Proofs at the streamed wave verify against its root.
            let key = keys::account(&user(3));
            let p = streamed.prove(&key, Some(w)).unwrap();
            vmhost::state::commit::verify_proof(&out.record.state_root, &key, p.value.as_deref(), &p.proof).unwrap();
            assert_eq!(p.value, once.jmt_get(&key).unwrap());
        }
        // And the chain goes on from it as from the other.
        let next = [transfer(user(2), 12, user(3), 1)];
        let a = once.execute_wave(&block(7), &next).unwrap();
        let b = streamed.execute_wave(&block(7), &next).unwrap();
        assert_eq!(a.record, b.record, "chunk {chunk}");
    }
}

type Dump = Vec<(Column, Vec<(Vec<u8>, Vec<u8>)>)>;

/// Every column but the node-local caches a rolled-back wave may leave behind (compiled
/// artifacts, the slot index).
fn dump(store: &dyn Store) -> Dump {
    Column::ALL
        .iter()
        .filter(|c| **c != Column::Artifacts)
        .map(|c| {
            let rows = store.scan_prefix(*c, &[], usize::MAX).unwrap();
            (*c, rows.into_iter().filter(|(k, _)| !(*c == Column::Meta && k.starts_with(b"slot/"))).collect())
        })
        .collect()
}

#[test]
fn a_streamed_wave_that_fails_mid_way_leaves_the_store_as_it_was() {
    // In the same process (the rollback is written at once), across a reopen (every write
    // fails from the third chunk on, the rollback's too: the open rolls back), and through
    // `execute_wave` of a wave longer than the node's commit chunk.
    for (reopen, via_execute_wave) in [(false, false), (true, false), (false, true)] {
        let store = Arc::new(MemStore::new());
        let (mut c, token) = token_chain_chunked(store.clone(), 2, 30);
        let (mut reference, _) = token_chain(Arc::new(MemStore::new()), 2);
        let before = dump(&*store);
        let head = c.head().clone();
        let txs = mixed_wave(3, token);
        if reopen {
            store.fail_writes_after(2);
        } else {
            store.fail_one_write_after(2);
        }
        let e = if via_execute_wave {
            c.execute_wave(&block(3), &txs).unwrap_err().to_string()
        } else {
            c.execute_wave_streamed(&block(3), txs.clone(), 30, |_, _| {}).unwrap_err().to_string()
        };
        assert!(e.contains("injected write failure"), "{e}");
        if reopen {
            assert_ne!(dump(&*store), before, "two chunks are in the store, pending");
            store.fail_writes_after(usize::MAX);
            drop(c);
            c = chunked_chain(store.clone(), 2, 30);
        }
        assert_eq!(dump(&*store), before, "nothing of the failed wave is left (reopen {reopen})");
        assert_eq!(c.head(), &head);
        assert_eq!(c.state_root(), reference.state_root());
        // The same wave again, and the chain is the reference's.
        let a = reference.execute_wave(&block(3), &txs).unwrap();
        let b = c.execute_wave_streamed(&block(3), txs, 30, |_, _| {}).unwrap();
        assert_eq!(a.record, b);
        assert_eq!(c.receipts(3).unwrap(), a.receipts);
    }
}
