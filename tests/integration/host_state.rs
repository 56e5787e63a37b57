//! State stack: overlays, wave cache, commit roots, reopen, atomic batches, malformed input.

use std::sync::Arc;

use vmhost::state::commit::{latest_value, StateCommitment};
use vmhost::state::{Column, MemStore, OverlayStack, RocksStore, StateBytes, Store, WaveCache};
use vmhost::testing::{block, transfer};
use vmhost::Error;
use vmhost_abi::{keys, Address, ErrorCode, Event, ReceiptStatus, StateKey};
use vmhost_tests::{chain_on, user};
use vmhost_wasmtime::WasmtimeConfig;

fn key(n: u8) -> StateKey {
    StateKey([n; 32])
}

fn ev(n: u8) -> Event {
    Event { contract: Address::from_index(n as u64), topic: [n; 32], data: vec![n] }
}

#[test]
fn overlay_nested_commit_merges_writes_and_events_into_parent() {
    let cache = WaveCache::new(Arc::new(MemStore::new()));
    let mut s = OverlayStack::new(&cache);
    s.put(key(1), vec![1]);
    s.push();
    s.put(key(2), vec![2]);
    s.emit(ev(2));
    assert_eq!(s.get(&key(1)).unwrap().as_deref(), Some(&[1u8][..]), "inner frame reads the parent");
    s.commit_top().unwrap();
    let (writes, events) = s.into_changes().unwrap();
    assert_eq!(writes.len(), 2);
    assert_eq!(events, vec![ev(2)]);
}

#[test]
fn overlay_nested_discard_drops_writes_and_events_but_keeps_parent() {
    let cache = WaveCache::new(Arc::new(MemStore::new()));
    let mut s = OverlayStack::new(&cache);
    s.put(key(1), vec![1]);
    s.emit(ev(1));
    s.push();
    s.put(key(1), vec![9]);
    s.put(key(2), vec![2]);
    s.emit(ev(2));
    s.push();
    s.delete(key(1));
    assert_eq!(s.get(&key(1)).unwrap(), None, "deletion visible in the innermost frame");
    s.discard_top().unwrap();
    assert_eq!(s.get(&key(1)).unwrap().as_deref(), Some(&[9u8][..]));
    s.discard_top().unwrap();
    assert_eq!(s.get(&key(1)).unwrap().as_deref(), Some(&[1u8][..]));
    assert_eq!(s.get(&key(2)).unwrap(), None);
    let (writes, events) = s.into_changes().unwrap();
    assert_eq!(writes.len(), 1);
    assert_eq!(events, vec![ev(1)], "events of discarded frames are gone");
}

#[test]
fn overlay_refuses_to_pop_the_transaction_frame() {
    let cache = WaveCache::new(Arc::new(MemStore::new()));
    let mut s = OverlayStack::new(&cache);
    assert!(matches!(s.commit_top(), Err(Error::Internal(_))));
    assert!(matches!(s.discard_top(), Err(Error::Internal(_))));
    s.push();
    assert!(s.into_changes().is_err(), "open nested frames are a host bug, not silently merged");
}

/// Commits `key(k) = [k]` for each of `committed` to `store` (one JMT version).
fn commit_to(store: &dyn Store, committed: &[u8]) {
    let diff = committed.iter().map(|&k| (key(k), Some(StateBytes::from(&[k][..])))).collect();
    let mut b = vmhost::state::WriteBatch::new();
    StateCommitment::default().apply(store, &diff, &mut b, None).unwrap();
    store.write(b).unwrap();
}

/// A wave cache over a store holding `key(k) = [k]` for each of `committed`.
fn cache_over(committed: &[u8]) -> WaveCache {
    let store = Arc::new(MemStore::new());
    commit_to(&*store, committed);
    WaveCache::new(store)
}

#[test]
fn wave_cache_reads_through_to_the_store_and_tracks_only_dirty_entries() {
    let cache = cache_over(&[7]);
    assert_eq!(cache.get(&key(7)).unwrap().as_deref(), Some(&[7u8][..]));
    assert!(cache.dirty().is_empty(), "reads are clean");
    cache.apply([(key(8), Some(StateBytes::from(&[8u8][..])))]);
    assert_eq!(cache.dirty().len(), 1);
}

/// `n` transfers from users 1..=4 in turn, each sender's nonces starting at `first_nonce`.
fn transfers(first_nonce: u64, n: u64) -> Vec<vmhost_abi::Transaction> {
    (0..n).map(|i| transfer(user(1 + i % 4), first_nonce + i / 4, user(100 + i), 1_000 + i as u128)).collect()
}

fn all_succeed(out: &vmhost::WaveOutput) {
    assert!(out.receipts.iter().all(|r| r.status == ReceiptStatus::Success), "{:?}", out.receipts);
}

/// A RocksDB store in `dir` and an in-memory one: store behaviour must not depend on which.
fn both_stores(dir: &std::path::Path) -> [Arc<dyn Store>; 2] {
    [Arc::new(RocksStore::open(dir).unwrap()), Arc::new(MemStore::new())]
}

#[test]
fn write_batches_apply_in_order_on_both_stores() {
    // RocksStore reorders a batch by column and key before writing; the result must be the same
    // as applying the ops in order: later writes to a key win, deletes apply, columns stay apart.
    let dir = tempfile::tempdir().unwrap();
    for store in both_stores(dir.path()) {
        let mut seed = vmhost::state::WriteBatch::new();
        seed.put(Column::Waves, b"gone".to_vec(), b"old".to_vec());
        store.write(seed).unwrap();
        let mut batch = vmhost::state::WriteBatch::new();
        batch.put(Column::JmtNodes, b"z".to_vec(), b"1".to_vec());
        batch.put(Column::Waves, b"b".to_vec(), b"first".to_vec());
        batch.put(Column::Waves, b"a".to_vec(), b"a".to_vec());
        batch.put(Column::JmtNodes, b"a".to_vec(), b"node".to_vec());
        batch.delete(Column::Waves, b"gone".to_vec());
        batch.put(Column::Waves, b"b".to_vec(), b"second".to_vec());
        batch.put(Column::Waves, b"c".to_vec(), b"c".to_vec());
        batch.delete(Column::Waves, b"c".to_vec());
        batch.put(Column::Meta, b"b".to_vec(), b"meta".to_vec());
        store.write(batch).unwrap();
        let get = |col, k: &[u8]| store.get(col, k).unwrap();
        assert_eq!(get(Column::Waves, b"b"), Some(b"second".to_vec()));
        assert_eq!(get(Column::Waves, b"a"), Some(b"a".to_vec()));
        assert_eq!(get(Column::Waves, b"gone"), None);
        assert_eq!(get(Column::Waves, b"c"), None);
        assert_eq!(get(Column::JmtNodes, b"z"), Some(b"1".to_vec()));
        assert_eq!(get(Column::JmtNodes, b"a"), Some(b"node".to_vec()));
        assert_eq!(get(Column::Meta, b"b"), Some(b"meta".to_vec()));
        assert_eq!(get(Column::Meta, b"a"), None);
    }
}

#[test]
fn get_next_finds_the_first_entry_at_or_after_a_key_within_the_prefix_on_both_stores() {
    let dir = tempfile::tempdir().unwrap();
    for store in both_stores(dir.path()) {
        let mut b = vmhost::state::WriteBatch::new();
        for k in [&b"a1"[..], b"a3", b"b2"] {
            b.put(Column::JmtValues, k.to_vec(), k.to_vec());
        }
        b.put(Column::JmtNodes, b"a2".to_vec(), b"other column".to_vec());
        store.write(b).unwrap();
        let next = |prefix: &[u8], key: &[u8]| store.get_next(Column::JmtValues, prefix, key).unwrap().map(|(k, _)| k);
        assert_eq!(next(b"a", b"a"), Some(b"a1".to_vec()));
        assert_eq!(next(b"a", b"a1"), Some(b"a1".to_vec()), "at the key itself");
        assert_eq!(next(b"a", b"a2"), Some(b"a3".to_vec()), "not another column's a2");
        assert_eq!(next(b"a", b"a4"), None, "b2 is past the prefix");
        assert_eq!(next(b"b", b"b3"), None, "past the last key");
    }
}

#[test]
fn wave_commit_roots_survive_reopen_of_rocksdb() {
    let dir = tempfile::tempdir().unwrap();
    let (root, record, record_receipts) = {
        let store: Arc<dyn Store> = Arc::new(RocksStore::open(dir.path()).unwrap());
        let mut chain = chain_on(store, WasmtimeConfig::default(), 8);
        let out = chain.execute_wave(&block(1), &transfers(0, 8)).unwrap();
        assert!(out.receipts.iter().all(|r| r.status == ReceiptStatus::Success), "{:?}", out.receipts);
        assert_ne!(out.record.state_root, [0; 32]);
        (chain.state_root(), out.record, out.receipts)
    };
    let store: Arc<dyn Store> = Arc::new(RocksStore::open(dir.path()).unwrap());
    let chain = chain_on(store, WasmtimeConfig::default(), 8);
    assert_eq!(chain.state_root(), root, "reopened chain resumes at the committed root");
    assert_eq!(chain.head().last_wave, Some(1));
    assert_eq!(chain.wave_record(1).unwrap(), Some(record));
    assert_eq!(chain.receipts(1).unwrap(), record_receipts);
    assert!(chain.receipts(99).unwrap().is_empty(), "an unknown wave has no receipts");
    let acct = chain.account(&user(100)).unwrap();
    assert_eq!(acct.balance, 1_000);
    let via_jmt = chain.jmt_get(&keys::account(&user(100))).unwrap();
    assert_eq!(via_jmt, latest_value(&**chain.env().store(), &keys::account(&user(100))).unwrap());
}

#[test]
fn reads_that_miss_the_cache_see_the_newest_committed_version() {
    // Execution reads committed state from the versioned values (newest version wins, a
    // deletion reads as absent); the tree walk at the head must agree on every key.
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(RocksStore::open(dir.path()).unwrap());
    let value = |v: u8| Some(StateBytes::from(&[v][..]));
    let mut first = vmhost::state::WriteBatch::new();
    let base = [(key(1), value(1)), (key(2), value(2)), (key(3), value(3))].into_iter().collect();
    let c = StateCommitment::default().apply(&*store, &base, &mut first, None).unwrap();
    store.write(first).unwrap();
    let mut second = vmhost::state::WriteBatch::new();
    let diff = [(key(1), value(9)), (key(2), None)].into_iter().collect();
    let c = c.apply(&*store, &diff, &mut second, None).unwrap();
    store.write(second).unwrap();
    let fresh = WaveCache::new(store.clone());
    for (k, want) in [(1u8, Some(vec![9u8])), (2, None), (3, Some(vec![3])), (4, None)] {
        assert_eq!(latest_value(&*store, &key(k)).unwrap(), want, "key {k}");
        assert_eq!(fresh.get(&key(k)).unwrap().as_deref().map(<[u8]>::to_vec), want, "cache miss, key {k}");
        assert_eq!(c.get(&*store, &key(k)).unwrap(), want, "tree walk, key {k}");
    }
}

#[test]
fn a_store_from_another_layout_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    drop(RocksStore::open(dir.path()).unwrap());
    {
        // Add a column family this version does not know, as an older layout had (`state`).
        let mut opts = rocksdb::Options::default();
        opts.create_missing_column_families(true);
        let mut names: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
        names.push("state");
        drop(rocksdb::DB::open_cf(&opts, dir.path(), names).unwrap());
    }
    let e = RocksStore::open(dir.path()).unwrap_err().to_string();
    assert!(e.contains("column family `state`") && e.contains("another vmhost version"), "{e}");
}

#[test]
fn a_store_of_another_key_layout_is_refused_with_a_clear_error() {
    use vmhost::state::rocks::{LAYOUT_KEY, STORE_LAYOUT};
    let meta = |dir: &std::path::Path| {
        let names: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
        rocksdb::DB::open_cf(&rocksdb::Options::default(), dir, names).unwrap()
    };
    // A new store is marked with this layout and reopens.
    let dir = tempfile::tempdir().unwrap();
    drop(RocksStore::open(dir.path()).unwrap());
    {
        let db = meta(dir.path());
        let cf = db.cf_handle(Column::Meta.name()).unwrap();
        assert_eq!(db.get_cf(cf, LAYOUT_KEY).unwrap(), Some(STORE_LAYOUT.to_le_bytes().to_vec()));
        // Another layout's marker (the same column families, other key encodings).
        db.put_cf(cf, LAYOUT_KEY, (STORE_LAYOUT + 1).to_le_bytes()).unwrap();
    }
    let e = RocksStore::open(dir.path()).unwrap_err().to_string();
    assert!(e.contains(&format!("has layout {}", STORE_LAYOUT + 1)) && e.contains("another vmhost version"), "{e}");
    // Data without any marker: written before layouts were marked.
    let dir = tempfile::tempdir().unwrap();
    drop(RocksStore::open(dir.path()).unwrap());
    {
        let db = meta(dir.path());
        db.delete_cf(db.cf_handle(Column::Meta.name()).unwrap(), LAYOUT_KEY).unwrap();
        db.put_cf(db.cf_handle(Column::Waves.name()).unwrap(), 1u64.to_be_bytes(), b"old").unwrap();
    }
    let e = RocksStore::open(dir.path()).unwrap_err().to_string();
    assert!(e.contains("holds data but no layout marker"), "{e}");
    // A chain on a marked store reopens with its state.
    let dir = tempfile::tempdir().unwrap();
    let root = {
        let mut chain = chain_on(Arc::new(RocksStore::open(dir.path()).unwrap()), WasmtimeConfig::default(), 8);
        all_succeed(&chain.execute_wave(&block(1), &transfers(0, 4)).unwrap());
        chain.state_root()
    };
    let chain = chain_on(Arc::new(RocksStore::open(dir.path()).unwrap()), WasmtimeConfig::default(), 8);
    assert_eq!(chain.state_root(), root);
}

#[test]
fn same_waves_on_fresh_stores_give_identical_roots_and_receipts() {
    let run = || {
        let mut chain = chain_on(Arc::new(MemStore::new()), WasmtimeConfig::default(), 8);
        let a = chain.execute_wave(&block(1), &transfers(0, 12)).unwrap();
        let b = chain.execute_wave(&block(2), &transfers(3, 12)).unwrap();
        all_succeed(&a);
        all_succeed(&b);
        (a, b)
    };
    assert_eq!(run(), run());
}

#[test]
fn failed_commit_leaves_the_previous_root_and_loses_nothing() {
    let store = Arc::new(MemStore::new());
    let mut chain = chain_on(store.clone(), WasmtimeConfig::default(), 8);
    chain.execute_wave(&block(1), &transfers(0, 4)).unwrap();
    let before = chain.state_root();
    let head_before = chain.head().clone();
    store.fail_writes_after(0);
    let err = chain.execute_wave(&block(2), &transfers(1, 4)).unwrap_err();
    assert!(matches!(err, Error::Storage(_)), "{err}");
    assert_eq!(chain.state_root(), before);
    assert_eq!(chain.head(), &head_before);
    assert_eq!(chain.account(&user(1)).unwrap().nonce, 1, "nothing of the failed wave landed");
    // Reopen on the same store: still the previous wave.
    store.fail_writes_after(usize::MAX);
    let dyn_store: Arc<dyn Store> = store.clone();
    let mut reopened = chain_on(dyn_store, WasmtimeConfig::default(), 8);
    assert_eq!(reopened.state_root(), before);
    // The same wave now commits, with the root a never-failed chain gets.
    let retried = reopened.execute_wave(&block(2), &transfers(1, 4)).unwrap();
    all_succeed(&retried);
    let mut control = chain_on(Arc::new(MemStore::new()), WasmtimeConfig::default(), 8);
    control.execute_wave(&block(1), &transfers(0, 4)).unwrap();
    let expected = control.execute_wave(&block(2), &transfers(1, 4)).unwrap();
    assert_eq!(retried, expected);
}

#[test]
fn waves_must_increase() {
    let mut chain = chain_on(Arc::new(MemStore::new()), WasmtimeConfig::default(), 8);
    chain.execute_wave(&block(5), &[]).unwrap();
    assert!(matches!(chain.execute_wave(&block(5), &[]), Err(Error::WaveOrder { last: 5, got: 5 })));
    assert!(matches!(chain.genesis(&[]), Err(Error::GenesisApplied)));
}

#[test]
fn malformed_transaction_bytes_get_an_invalid_receipt() {
    let mut chain = chain_on(Arc::new(MemStore::new()), WasmtimeConfig::default(), 8);
    let good = borsh::to_vec(&transfer(user(1), 0, user(2), 5)).unwrap();
    let out = chain
        .execute_wave_raw(&block(1), &[vec![0xde, 0xad], good.clone(), good[..good.len() - 3].to_vec(), vec![]])
        .unwrap();
    let codes: Vec<ErrorCode> = out.receipts.iter().map(|r| r.code).collect();
    assert_eq!(
        codes,
        [
            ErrorCode::MalformedTransaction,
            ErrorCode::Ok,
            ErrorCode::MalformedTransaction,
            ErrorCode::MalformedTransaction
        ]
    );
    assert!(out
        .receipts
        .iter()
        .filter(|r| r.status == ReceiptStatus::Invalid)
        .all(|r| r.gas_used == 0 && r.fee_paid == 0));
}

#[test]
fn ingress_rejects_bad_nonce_chain_gas_and_fee_balance_without_charging() {
    let mut chain = chain_on(Arc::new(MemStore::new()), WasmtimeConfig::default(), 8);
    let poor = user(999);
    let mut wrong_chain = transfer(user(1), 0, user(2), 1);
    wrong_chain.chain_id = 2;
    let mut low_gas = transfer(user(1), 0, user(2), 1);
    low_gas.gas_limit = 20_999;
    let mut huge_gas = transfer(user(1), 0, user(2), 1);
    huge_gas.gas_limit = u64::MAX;
    let txs = vec![transfer(user(1), 5, user(2), 1), wrong_chain, low_gas, huge_gas, transfer(poor, 0, user(2), 1)];
    let out = chain.execute_wave(&block(1), &txs).unwrap();
    let codes: Vec<ErrorCode> = out.receipts.iter().map(|r| r.code).collect();
    assert_eq!(
        codes,
        [
            ErrorCode::BadNonce,
            ErrorCode::WrongChainId,
            ErrorCode::GasLimitTooLow,
            ErrorCode::GasLimitTooHigh,
            ErrorCode::InsufficientFeeBalance
        ]
    );
    assert_eq!(chain.account(&user(1)).unwrap().nonce, 0, "invalid transactions do not bump the nonce");
    assert_eq!(chain.account(&user(1)).unwrap().balance, 1_000_000_000_000);
}

#[test]
fn transfer_that_would_leave_no_fee_is_discarded_and_only_the_fee_is_charged() {
    let mut chain = chain_on(Arc::new(MemStore::new()), WasmtimeConfig::default(), 8);
    let balance = chain.account(&user(1)).unwrap().balance;
    let out = chain.execute_wave(&block(1), &[transfer(user(1), 0, user(2), balance - 100)]).unwrap();
    let r = &out.receipts[0];
    assert_eq!(r.code, ErrorCode::InsufficientBalance, "{r:?}");
    assert_eq!(chain.account(&user(1)).unwrap().balance, balance - 21_000);
    assert_eq!(chain.account(&user(2)).unwrap().balance, balance, "the transfer did not happen");
}

#[test]
fn simulate_wave_matches_real_execution_and_leaves_no_trace() {
    let mut chain = chain_on(Arc::new(MemStore::new()), WasmtimeConfig::default(), 8);
    chain.execute_wave(&block(1), &transfers(0, 4)).unwrap();
    let head = chain.head().clone();
    let before = chain.account(&user(1)).unwrap();
    let txs = transfers(1, 8);
    let dry = chain.simulate_wave(&block(2), &txs).unwrap();
    let again = chain.simulate_wave(&block(2), &txs).unwrap();
    assert_eq!(dry, again, "a dry run leaves the cache as it found it");
    assert_eq!(chain.head(), &head);
    assert_eq!(chain.account(&user(1)).unwrap(), before);
    assert!(dry.iter().all(|r| r.status == ReceiptStatus::Success), "{dry:?}");
    let real = chain.execute_wave(&block(2), &txs).unwrap();
    assert_eq!(real.receipts, dry, "the dry run predicts the real receipts");
    assert_ne!(chain.state_root(), head.state_root);
}

#[test]
fn wave_cache_discard_dirty_restores_committed_values_and_forgets_blind_writes() {
    let cache = cache_over(&[1]);
    assert_eq!(cache.get(&key(1)).unwrap().as_deref(), Some(&[1u8][..]));
    cache.apply([(key(1), Some(StateBytes::from(&[9u8][..]))), (key(2), Some(StateBytes::from(&[2u8][..])))]);
    cache.apply([(key(1), Some(StateBytes::from(&[10u8][..])))]);
    assert_eq!(cache.dirty().len(), 2, "each dirty key once");
    cache.discard_dirty();
    assert!(cache.dirty().is_empty());
    assert_eq!(cache.get(&key(1)).unwrap().as_deref(), Some(&[1u8][..]), "read value restored");
    assert_eq!(cache.get(&key(2)).unwrap(), None, "blind write forgotten, store consulted");
    cache.apply([(key(3), Some(StateBytes::from(&[3u8][..])))]);
    cache.mark_committed(usize::MAX, false);
    assert!(cache.dirty().is_empty());
    cache.discard_dirty();
    assert_eq!(cache.get(&key(3)).unwrap().as_deref(), Some(&[3u8][..]), "committed values survive a discard");
}
