//! Pipelined commits (`Chain::execute_waves`: the store write of a wave overlaps the next
//! wave's execution and JMT update): every output, root, read and proof is that of
//! `execute_wave` wave after wave, under every setting that changes what is in flight (pruning
//! windows of 1, 2 and 10 waves, an archive, a wave cache and a module cache too small to hold
//! a wave, chunked waves in between); a failed write drops the wave computed on top of it and
//! leaves the chain at the store's state.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use vmhost::state::{Column, MemStore, Store, WriteBatch};
use vmhost::testing::token::transfer_input;
use vmhost::testing::{block, transfer};
use vmhost::{Chain, ExecConfig, WaveOutput};
use vmhost_abi::{keys, Address, BlockContext, Receipt, Transaction};
use vmhost_tests::{call, chain_with_config, deploy, example_wasm, registry, user};

const USERS: u64 = 30;
/// Waves after the two setup waves.
const WAVES: u64 = 12;

fn chain(store: Arc<dyn Store>, exec: &ExecConfig) -> Chain {
    chain_with_config(store, registry(Default::default()), exec.clone(), USERS)
}

/// The token deployed and funded (waves 1 and 2, committed one by one).
fn setup(c: &mut Chain) -> Address {
    let out = c.execute_wave(&block(1), &[deploy(user(1), 0, example_wasm("token"))]).unwrap();
    let token = out.receipts[0].contract_address.unwrap();
    let mut txs = vec![call(user(1), 1, token, "init", (1_000_000u128).to_le_bytes().to_vec())];
    txs.extend((2..=USERS).map(|i| call(user(1), i, token, "transfer", transfer_input(&user(i), 1_000))));
    assert!(c.execute_wave(&block(2), &txs).unwrap().receipts.iter().all(Receipt::is_success));
    token
}

/// Waves 3.. : per user a native transfer and a token transfer (every 7th reverts), a
/// counter deployed in every wave by a rotating user and the previous wave's counter called
/// (its artifact written by the wave in flight), every 5th wave a long one (chunked when the
/// configuration chunks), every 4th wave an empty one.
fn waves(token: Address) -> Vec<(BlockContext, Vec<Transaction>)> {
    let mut nonces: Vec<u64> = (0..=USERS).map(|i| if i == 1 { USERS + 1 } else { 0 }).collect();
    let mut next = |i: u64| {
        nonces[i as usize] += 1;
        nonces[i as usize] - 1
    };
    let mut out = Vec::new();
    let mut last_counter: Option<Address> = None;
    for w in 3..3 + WAVES {
        let mut txs = Vec::new();
        if w % 4 != 0 {
            let rounds = if w % 5 == 0 { 3 } else { 1 };
            for _ in 0..rounds {
                for i in 1..=USERS {
                    txs.push(transfer(user(i), next(i), user(1 + (i * w) % USERS), 10 + i as u128));
                    let amount = if i % 7 == 0 { 1_000_000_000 } else { 1 + i as u128 };
                    let to = user(1 + (i + w) % USERS);
                    txs.push(call(user(i), next(i), token, "transfer", transfer_input(&to, amount)));
                }
            }
            if let Some(c) = last_counter {
                let i = 1 + w % USERS;
                txs.push(call(user(i), next(i), c, "increment", vec![]));
            }
            let d = 1 + (w * 7) % USERS;
            let n = next(d);
            txs.push(deploy(user(d), n, example_wasm("counter")));
            last_counter = Some(Address::contract(&user(d), n));
        }
        out.push((block(w), txs));
    }
    out
}

/// Everything a reader of the chain can see: outputs, head, floor, every account and token
/// balance read two ways, and the proof of an account at every wave still readable.
fn assert_same(a: &Chain, b: &Chain, outs_a: &[WaveOutput], outs_b: &[WaveOutput], what: &str) {
    assert_eq!(outs_a.len(), outs_b.len(), "{what}: waves reported");
    for (x, y) in outs_a.iter().zip(outs_b) {
        assert!(x == y, "{what}: wave {} differs", x.record.wave_id);
    }
    assert_eq!(a.head(), b.head(), "{what}: head");
    assert_eq!(a.prune_floor(), b.prune_floor(), "{what}: pruning floor");
    for i in 1..=USERS {
        let key = keys::account(&user(i));
        assert_eq!(a.jmt_get(&key).unwrap(), b.jmt_get(&key).unwrap(), "{what}: account {i} in the tree");
        let stored = vmhost::state::commit::latest_value(&**b.env().store(), &key).unwrap();
        assert_eq!(a.jmt_get(&key).unwrap(), stored, "{what}: account {i} as execution reads it");
    }
    let key = keys::account(&user(2));
    let head = a.head().last_wave.unwrap();
    for w in a.prune_floor().max(1)..=head {
        assert_eq!(a.prove(&key, Some(w)).unwrap(), b.prove(&key, Some(w)).unwrap(), "{what}: proof at wave {w}");
    }
    for w in 1..=head {
        assert_eq!(a.receipts(w).unwrap(), b.receipts(w).unwrap(), "{what}: stored receipts of wave {w}");
        assert_eq!(a.notes(w).unwrap(), b.notes(w).unwrap(), "{what}: stored reasons of wave {w}");
    }
}

/// The stores are the same, byte for byte: nothing pruned twice or left unpruned (a prune
/// whose stale entries were in flight), no node or version missing or extra.
fn assert_same_store(a: &MemStore, b: &MemStore, what: &str) {
    for col in Column::ALL {
        let (x, y) = (a.scan_prefix(col, &[], usize::MAX).unwrap(), b.scan_prefix(col, &[], usize::MAX).unwrap());
        assert!(x == y, "{what}: column {} differs ({} against {} entries)", col.name(), x.len(), y.len());
    }
}

fn configs() -> Vec<(&'static str, ExecConfig)> {
    let mut out = Vec::new();
    for (name, retain, wave_cache, modules, chunk) in [
        ("archive", 0, 1_000_000, 64, 0),
        ("pruning, window 1", 1, 1_000_000, 64, 0),
        ("pruning, window 2", 2, 1_000_000, 64, 0),
        ("pruning, window 3", 3, 1_000_000, 64, 0),
        ("window 10, wave cache of 8 entries, module cache of 1", 10, 8, 1, 0),
        ("window 3, long waves in chunks of 50", 3, 1_000_000, 64, 50),
    ] {
        let mut exec = ExecConfig::default();
        exec.node.retain_waves = retain;
        exec.node.wave_cache_max_entries = wave_cache;
        exec.node.module_cache_size = modules;
        exec.node.commit_chunk = chunk;
        out.push((name, exec));
    }
    out
}

#[test]
fn pipelined_waves_are_wave_by_wave_waves() {
    for (name, exec) in configs() {
        let (mem_a, mem_b) = (Arc::new(MemStore::new()), Arc::new(MemStore::new()));
        let mut a = chain(mem_a.clone(), &exec);
        let mut b = chain(mem_b.clone(), &exec);
        let token = setup(&mut a);
        assert_eq!(setup(&mut b), token);
        let waves = waves(token);
        let outs_a: Vec<WaveOutput> = waves.iter().map(|(bl, txs)| a.execute_wave(bl, txs).unwrap()).collect();
        let mut outs_b = Vec::new();
        b.execute_waves(waves.clone(), |o| outs_b.push(o)).unwrap();
        assert!(outs_a.iter().any(|o| o.receipts.iter().any(|r| !r.is_success())), "some transactions fail");
        assert_same(&a, &b, &outs_a, &outs_b, name);
        assert_same_store(&mem_a, &mem_b, name);
        // And the chain goes on from there, one wave at a time, alike.
        let w = 3 + WAVES;
        let nonce = |c: &Chain, i: u64| c.account(&user(i)).unwrap().nonce;
        let txs = [transfer(user(3), nonce(&a, 3), user(4), 1), transfer(user(4), nonce(&b, 4), user(5), 1)];
        assert_eq!(a.execute_wave(&block(w), &txs).unwrap(), b.execute_wave(&block(w), &txs).unwrap(), "{name}");
    }
}

/// A store whose writes take `delay` before they apply, counting the reads made meanwhile:
/// the next wave then certainly executes and computes its commit while the write is in flight.
struct SlowWrites {
    inner: Arc<MemStore>,
    delay: std::time::Duration,
    writing: AtomicBool,
    reads_while_writing: AtomicUsize,
}

impl SlowWrites {
    fn read(&self) {
        if self.writing.load(Ordering::SeqCst) {
            self.reads_while_writing.fetch_add(1, Ordering::SeqCst);
        }
    }
}

impl Store for SlowWrites {
    fn get(&self, col: Column, key: &[u8]) -> vmhost::Result<Option<Vec<u8>>> {
        self.read();
        self.inner.get(col, key)
    }
    fn get_next(&self, col: Column, prefix: &[u8], key: &[u8]) -> vmhost::Result<Option<(Vec<u8>, Vec<u8>)>> {
        self.read();
        self.inner.get_next(col, prefix, key)
    }
    fn scan_prefix(&self, col: Column, prefix: &[u8], limit: usize) -> vmhost::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.read();
        self.inner.scan_prefix(col, prefix, limit)
    }
    fn scan_range(&self, col: Column, from: &[u8], to: &[u8], limit: usize) -> vmhost::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.read();
        self.inner.scan_range(col, from, to, limit)
    }
    fn write(&self, batch: WriteBatch) -> vmhost::Result<()> {
        self.writing.store(true, Ordering::SeqCst);
        std::thread::sleep(self.delay);
        let r = self.inner.write(batch);
        self.writing.store(false, Ordering::SeqCst);
        r
    }
}

#[test]
fn the_next_wave_reads_the_wave_in_flight_from_memory() {
    // Slow writes: every wave's execution, JMT update and pruning run while its predecessor's
    // batch is not in the store yet (the wave cache over its bound, so reads reach the store);
    // and a window of one wave, which must wait for every write instead.
    for (name, exec) in [configs().swap_remove(4), configs().swap_remove(1)] {
        let mem_a = Arc::new(MemStore::new());
        let mut a = chain(mem_a.clone(), &exec);
        let token = setup(&mut a);
        let waves = waves(token);
        let outs_a: Vec<WaveOutput> = waves.iter().map(|(bl, txs)| a.execute_wave(bl, txs).unwrap()).collect();
        let mem = Arc::new(MemStore::new());
        setup(&mut chain(mem.clone(), &exec));
        let slow = Arc::new(SlowWrites {
            inner: mem.clone(),
            delay: std::time::Duration::from_millis(150),
            writing: AtomicBool::new(false),
            reads_while_writing: AtomicUsize::new(0),
        });
        let mut b = chain(slow.clone(), &exec);
        let mut outs_b = Vec::new();
        b.execute_waves(waves, |o| outs_b.push(o)).unwrap();
        // A window of one wave waits for every write (its prune reaches the wave in flight):
        // nothing overlaps, and the stores must still agree.
        let overlapped = slow.reads_while_writing.load(Ordering::SeqCst) > 0;
        let retain = exec.node.retain_waves;
        assert_eq!(overlapped, retain == 0 || retain > 2, "{name}: reads overlapped a write: {overlapped}");
        assert_same(&a, &b, &outs_a, &outs_b, name);
        assert_same_store(&mem_a, &mem, name);
    }
}

#[test]
fn pipelined_waves_reopen_at_the_same_head_on_rocksdb() {
    let exec = configs().swap_remove(4).1;
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(vmhost::state::RocksStore::open_with(dir.path(), true).unwrap());
    let mut b = chain(store.clone(), &exec);
    let token = setup(&mut b);
    let mut outs_b = Vec::new();
    b.execute_waves(waves(token), |o| outs_b.push(o)).unwrap();
    let head = b.head().clone();
    drop(b);
    drop(store);
    let reopened = chain(Arc::new(vmhost::state::RocksStore::open_with(dir.path(), true).unwrap()), &exec);
    let mut a = chain(Arc::new(MemStore::new()), &exec);
    setup(&mut a);
    let outs_a: Vec<WaveOutput> = waves(token).iter().map(|(bl, txs)| a.execute_wave(bl, txs).unwrap()).collect();
    assert_eq!(reopened.head(), &head);
    assert_same(&a, &reopened, &outs_a, &outs_b, "reopened");
}

#[test]
fn a_failed_write_drops_the_wave_computed_on_top_of_it() {
    for (name, exec) in configs() {
        let mut reference = chain(Arc::new(MemStore::new()), &exec);
        let token = setup(&mut reference);
        let waves = waves(token);
        let outs: Vec<WaveOutput> = waves.iter().map(|(bl, txs)| reference.execute_wave(bl, txs).unwrap()).collect();
        // The write of the 5th pipelined wave fails (its successor is computed by then).
        let mem = Arc::new(MemStore::new());
        let mut c = chain(mem.clone(), &exec);
        setup(&mut c);
        mem.fail_one_write_after(4);
        let mut got = Vec::new();
        let err = c.execute_waves(waves.clone(), |o| got.push(o)).unwrap_err();
        assert!(err.to_string().contains("injected"), "{name}: {err}");
        let reported = got.len();
        assert!((1..WAVES as usize).contains(&reported), "{name}: {reported} waves reported before the failure");
        assert!(got == outs[..reported], "{name}: the waves reported differ");
        let last = got.last().unwrap().record.wave_id;
        assert_eq!(c.head().last_wave, Some(last), "{name}: the head is the last wave written");
        assert_eq!(c.state_root(), outs[reported - 1].record.state_root, "{name}");
        // The chain goes on from the store's state: the remaining waves, pipelined, give the
        // reference's outputs.
        let mut rest = Vec::new();
        c.execute_waves(waves[reported..].to_vec(), |o| rest.push(o)).unwrap();
        got.extend(rest);
        assert_same(&reference, &c, &outs, &got, name);
    }
}

#[test]
fn a_wave_out_of_order_stops_the_pipeline_after_the_waves_before_it() {
    let exec = configs().swap_remove(3).1;
    let mut c = chain(Arc::new(MemStore::new()), &exec);
    let token = setup(&mut c);
    let mut waves = waves(token);
    waves[3].0 = block(4);
    let mut got = Vec::new();
    let err = c.execute_waves(waves.clone(), |o| got.push(o.record.wave_id)).unwrap_err();
    assert!(matches!(err, vmhost::Error::WaveOrder { last: 5, got: 4 }), "{err}");
    assert_eq!(got, [3, 4, 5]);
    assert_eq!(c.head().last_wave, Some(5));
}

#[test]
fn the_pipeline_first_rolls_back_a_chunked_wave_left_pending() {
    // A long wave committed in chunks fails after its first chunk is written, and so does its
    // rollback (every write fails for a while): its chunk stays in the store, pending. The
    // pipeline that runs next, on short waves, must not read it.
    let mut exec = ExecConfig::default();
    exec.node.retain_waves = 3;
    exec.node.commit_chunk = 40;
    let mem = Arc::new(MemStore::new());
    let mut c = chain(mem.clone(), &exec);
    let token = setup(&mut c);
    let mut reference = chain(Arc::new(MemStore::new()), &exec);
    setup(&mut reference);
    let long: Vec<Transaction> = (0..3u64)
        .flat_map(|round| {
            (1..=USERS)
                .map(move |i| transfer(user(i), if i == 1 { USERS + 1 } else { 0 } + round, user(1 + i % USERS), 5))
        })
        .collect();
    mem.fail_writes_after(1);
    let err = c.execute_wave(&block(3), &long).unwrap_err();
    assert!(err.to_string().contains("injected"), "{err}");
    mem.fail_writes_after(usize::MAX);
    let _ = token;
    let base = |i: u64| if i == 1 { USERS + 1 } else { 0 };
    let short: Vec<(BlockContext, Vec<Transaction>)> = (3..8u64)
        .map(|w| (block(w), (1..=20).map(|i| transfer(user(i), base(i) + w - 3, user(21 + (i + w) % 10), 7)).collect()))
        .collect();
    let expected: Vec<WaveOutput> = short.iter().map(|(b, txs)| reference.execute_wave(b, txs).unwrap()).collect();
    let mut got = Vec::new();
    c.execute_waves(short, |o| got.push(o)).unwrap();
    assert_same(&reference, &c, &expected, &got, "after a pending chunked wave");
}
