//! Waves as they grow: dry-run execution of a 2,000-transaction wave and of a 200,000 one on
//! one thread over the same state (accounts for 200,000 senders and receivers), native and
//! example-token transfers; the 2,000 wave takes a new slice of the accounts each iteration,
//! as a chain's consecutive waves do. And the end to end of a committed 200,000-transfer wave
//! (execution + JMT + RocksDB): committed at once, in chunks of 25,000 and as the node's
//! default `commit_chunk` does, as an
//! archive and as a pruning node; and the heap a committed 200,000 wave holds at its peak.
//!
//! `cargo bench -p vmhost-tests --bench wave_scale`

/// The node binary's allocator (see `host/cli/src/main.rs`), so the figures are the node's,
/// counting the bytes allocated: the memory a wave holds in flight, exactly.
#[global_allocator]
static GLOBAL: Counting = Counting;

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call forwards to mimalloc with the caller's layout; the counters only observe.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { mimalloc::MiMalloc.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            let live = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
}

/// Bytes allocated at the peak of `f` above what was live before it, and `f`'s result.
fn peak_of<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (PEAK.load(Ordering::Relaxed) - base, out)
}

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use vmhost::state::{MemStore, RocksStore, Store};
use vmhost::testing::block;
use vmhost::testing::workloads::{genesis_accounts, Contention, TransferWorld};
use vmhost::{Chain, ExecConfig};
use vmhost_abi::Transaction;
use vmhost_tests::{example_wasm, registry};
use vmhost_wasmtime::WasmtimeConfig;

const LARGE: u64 = 200_000;
const SMALL: u64 = 2_000;

fn open(store: Arc<dyn Store>, retain: u64, commit_chunk: usize) -> (Chain, TransferWorld) {
    let mut exec = ExecConfig::default();
    exec.threads(1);
    exec.node.retain_waves = retain;
    exec.node.commit_chunk = commit_chunk;
    let mut w = WasmtimeConfig::default();
    w.fit_chain(&exec);
    let mut chain = Chain::open(store, registry(w), exec).expect("open");
    chain.genesis(&genesis_accounts(LARGE)).expect("genesis");
    let world = TransferWorld::setup(&mut chain, &example_wasm("token"), LARGE, 1).expect("setup");
    (chain, world)
}

type Wave = fn(&TransferWorld, u64, Contention) -> Vec<Transaction>;
const KINDS: [(&str, Wave); 2] = [("native", TransferWorld::native_wave), ("token", TransferWorld::token_wave)];

/// The memory a wave holds in flight: the peak of the bytes allocated while a dry run of a
/// 2,000 and of a 200,000 wave runs on accounts it has not seen before (the transactions are
/// allocated before and not counted; their receipts are), per transaction.
fn memory_in_flight(chain: &mut Chain, world: &TransferWorld) {
    for (kind, wave) in KINDS {
        let all = wave(world, 0, Contention::Disjoint);
        // The last slice first: the large wave then meets 99% new accounts too.
        let (small, r) = peak_of(|| chain.simulate_wave(&block(10), &all[all.len() - SMALL as usize..]));
        assert!(r.expect("wave").iter().all(|r| r.is_success()));
        let (large, r) = peak_of(|| chain.simulate_wave(&block(10), &all));
        let receipts = r.expect("wave");
        let receipt_bytes: usize = receipts.iter().map(|r| std::mem::size_of_val(r) + r.events.len() * 200).sum();
        println!(
            "memory in flight, {kind}: {:.0} B/tx in a {SMALL} wave, {:.0} B/tx in a {LARGE} wave \
             (of which ~{:.0} B/tx the receipts)",
            small as f64 / SMALL as f64,
            large as f64 / LARGE as f64,
            receipt_bytes as f64 / LARGE as f64
        );
    }
}

fn execution(c: &mut Criterion) {
    vmhost_tests::node_allocator();
    let mut g = c.benchmark_group("wave_scale_execute");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    let (mut chain, world) = open(Arc::new(MemStore::new()), 0, 0);
    memory_in_flight(&mut chain, &world);
    for (kind, wave) in KINDS {
        let all = wave(&world, 0, Contention::Disjoint);
        for n in [SMALL, LARGE] {
            g.throughput(Throughput::Elements(n));
            let slices = (LARGE / n) as usize;
            let mut next = 0usize;
            g.bench_function(BenchmarkId::new(kind, n), |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let txs = &all[(next % slices) * n as usize..][..n as usize];
                        next += 1;
                        let t = Instant::now();
                        let r = chain.simulate_wave(&block(10), txs).expect("wave");
                        total += t.elapsed();
                        assert!(r.iter().all(|r| r.is_success()));
                    }
                    total
                })
            });
        }
    }
    g.finish();
}

/// The Rust heap a committed 200,000-transfer wave holds at its peak: at once (`commit_chunk`
/// 0), in chunks of 25,000, with the default `commit_chunk` (100,000), and streamed in chunks of 2,000
/// (`execute_wave_streamed`), on RocksDB (whose own memory, memtables and block cache, is
/// C++'s and bounded by its options).
fn committed_memory() {
    let default_chunk = ExecConfig::default().node.commit_chunk;
    for (what, commit_chunk, streamed) in [
        ("at once", 0, None),
        ("commit_chunk 25000", 25_000, None),
        ("default commit_chunk", default_chunk, None),
        ("streamed by 2000", 0, Some(2_000)),
    ] {
        let dir = tempfile::tempdir().expect("tmp");
        let store: Arc<dyn Store> = Arc::new(RocksStore::open_with(dir.path(), false).expect("rocksdb"));
        let (mut chain, world) = open(store, 0, commit_chunk);
        let txs = world.native_wave(0, Contention::Disjoint);
        let (peak, ()) = peak_of(|| match streamed {
            None => {
                assert!(chain.execute_wave(&block(10), &txs).expect("wave").receipts.iter().all(|r| r.is_success()))
            }
            Some(n) => {
                let mut ok = true;
                chain.execute_wave_streamed(&block(10), txs, n, |r, _| ok &= r.is_success()).expect("wave");
                assert!(ok);
            }
        });
        println!("committed {LARGE}-transfer wave, {what}: peak heap {:.0} B/tx", peak as f64 / LARGE as f64);
    }
}

fn end_to_end(c: &mut Criterion) {
    committed_memory();
    let mut g = c.benchmark_group("wave_scale_end_to_end");
    g.sample_size(10).measurement_time(Duration::from_secs(60)).throughput(Throughput::Elements(LARGE));
    let chunk = ExecConfig::default().node.commit_chunk;
    for (node, retain, commit_chunk) in
        [("archive_at_once", 0, 0), ("archive_chunks_25k", 0, 25_000), ("archive", 0, chunk), ("pruning10", 10, chunk)]
    {
        let dir = tempfile::tempdir().expect("tmp");
        let store: Arc<dyn Store> = Arc::new(RocksStore::open_with(dir.path(), true).expect("rocksdb"));
        let (mut chain, world) = open(store, retain, commit_chunk);
        let mut round = 0u64;
        g.bench_function(BenchmarkId::new(format!("native_{node}"), LARGE), |b| {
            b.iter_custom(|iters| {
                vmhost_tests::timed_commits(&mut chain, iters, &mut round, |r| {
                    world.native_wave(r, Contention::Disjoint)
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, execution, end_to_end);
criterion_main!(benches);
