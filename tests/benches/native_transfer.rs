//! Native Transfer throughput: execution only (one thread, warm wave cache) and end to end
//! (execution + JMT root + atomic RocksDB commit), waves of 10,000 transfers over 100,000
//! accounts.
//!
//! `cargo bench -p vmhost-tests --bench native_transfer`

/// The node binary's allocator (see `host/cli/src/main.rs`), so the figures are the node's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vmhost::state::{RocksStore, Store};
use vmhost::testing::{block, transfer};
use vmhost::Chain;
use vmhost_abi::{Address, Transaction};
use vmhost_tests::chain_on;
use vmhost_wasmtime::WasmtimeConfig;

const ACCOUNTS: u64 = 100_000;
const WAVE: u64 = 10_000;

fn user(i: u64) -> Address {
    Address::from_index(1 + i % ACCOUNTS)
}

/// Wave `w`: 10,000 distinct senders (each sending its `round`-th transaction) to pseudo-random
/// receivers.
fn wave(w: u64, round: u64) -> Vec<Transaction> {
    (0..WAVE)
        .map(|i| {
            let s = (w * WAVE + i) % ACCOUNTS;
            let to = (s.wrapping_mul(2_654_435_761) + 17) % ACCOUNTS;
            transfer(user(s), round, user(to), 1)
        })
        .collect()
}

fn setup(dir: &std::path::Path) -> Chain {
    let store: Arc<dyn Store> = Arc::new(RocksStore::open_with(dir, false).expect("rocksdb"));
    chain_on(store, WasmtimeConfig::default(), ACCOUNTS)
}

fn bench(c: &mut Criterion) {
    vmhost_tests::node_allocator();
    let mut g = c.benchmark_group("native_transfer");
    g.sample_size(10).measurement_time(Duration::from_secs(20)).throughput(Throughput::Elements(WAVE));

    let dir = tempfile::tempdir().expect("tmp");
    let mut chain = setup(dir.path());
    let txs = wave(0, 0);
    chain.simulate_wave(&block(1), &txs).expect("warm-up");
    g.bench_function("execute_10k_one_thread", |b| {
        b.iter(|| {
            let r = chain.simulate_wave(&block(1), &txs).expect("wave");
            assert!(r.iter().all(|r| r.is_success()));
        })
    });

    let dir = tempfile::tempdir().expect("tmp");
    let mut chain = setup(dir.path());
    let mut w = 0u64;
    g.bench_function("end_to_end_10k_execute_jmt_rocksdb", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let round = w * WAVE / ACCOUNTS;
                let txs = wave(w, round);
                w += 1;
                let t = Instant::now();
                let out = chain.execute_wave(&block(w), &txs).expect("wave");
                total += t.elapsed();
                assert!(
                    out.receipts.iter().all(|r| r.is_success()),
                    "{:?}",
                    out.receipts.iter().find(|r| !r.is_success())
                );
            }
            total
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
