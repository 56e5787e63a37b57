//! Parallel waves: execution throughput of waves of 10,000 native transfers and 10,000 wasm
//! token transfers with exact access lists, disjoint and 10% conflicting (every 10th pays one
//! hot account), on 1 and 2 executor threads; and the end to end (execution + JMT + RocksDB
//! commit) of disjoint waves on 1 and 2 threads, wave after wave and pipelined.
//!
//! `cargo bench -p vmhost-tests --bench parallel_waves`

/// The node binary's allocator (see `host/cli/src/main.rs`), so the figures are the node's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use vmhost::state::{MemStore, RocksStore, Store};
use vmhost::testing::block;
use vmhost::testing::workloads::{genesis_accounts, Contention, TransferWorld};
use vmhost::{Chain, ExecConfig};
use vmhost_abi::Transaction;
use vmhost_tests::{example_wasm, registry};
use vmhost_wasmtime::WasmtimeConfig;

const WAVE: u64 = 10_000;

fn open(threads: usize, store: Arc<dyn Store>) -> (Chain, TransferWorld) {
    let mut exec = ExecConfig::default();
    exec.threads(threads);
    let mut w = WasmtimeConfig::default();
    w.fit_chain(&exec);
    let mut chain = Chain::open(store, registry(w), exec).expect("open");
    chain.genesis(&genesis_accounts(WAVE)).expect("genesis");
    let world = TransferWorld::setup(&mut chain, &example_wasm("token"), WAVE, 1).expect("setup");
    (chain, world)
}

type Wave = fn(&TransferWorld, u64, Contention) -> Vec<Transaction>;
const KINDS: [(&str, Wave); 2] = [("native", TransferWorld::native_wave), ("token", TransferWorld::token_wave)];

fn execution(c: &mut Criterion) {
    vmhost_tests::node_allocator();
    let mut g = c.benchmark_group("parallel_execute_10k");
    g.sample_size(10).measurement_time(Duration::from_secs(10)).throughput(Throughput::Elements(WAVE));
    for threads in [1, 2] {
        let (mut chain, world) = open(threads, Arc::new(MemStore::new()));
        for (kind, wave) in KINDS {
            for (contention, what) in [(Contention::Disjoint, "disjoint"), (Contention::Every(10), "conflict10")] {
                let txs = wave(&world, 0, contention);
                let r = chain.simulate_wave(&block(10), &txs).expect("warm-up");
                assert!(r.iter().all(|r| r.is_success()), "{:?}", r.iter().find(|r| !r.is_success()));
                g.bench_function(BenchmarkId::new(format!("{kind}_{what}"), format!("{threads}t")), |b| {
                    b.iter(|| chain.simulate_wave(&block(10), &txs).expect("wave"))
                });
            }
        }
    }
    g.finish();
}

fn end_to_end(c: &mut Criterion) {
    let mut g = c.benchmark_group("parallel_end_to_end_10k");
    g.sample_size(10).measurement_time(Duration::from_secs(20)).throughput(Throughput::Elements(WAVE));
    for threads in [1, 2] {
        for (kind, wave) in KINDS {
            // Wave after wave (`execute_wave`), then pipelined (`execute_waves`: each wave's
            // store write overlapping the next one's execution and JMT update).
            for pipelined in [false, true] {
                let dir = tempfile::tempdir().expect("tmp");
                let store: Arc<dyn Store> = Arc::new(RocksStore::open_with(dir.path(), false).expect("rocksdb"));
                let (mut chain, world) = open(threads, store);
                let mut round = 0u64;
                let name = if pipelined { format!("{kind}_disjoint_pipelined") } else { format!("{kind}_disjoint") };
                g.bench_function(BenchmarkId::new(name, format!("{threads}t")), |b| {
                    b.iter_custom(|iters| {
                        let wave = |r| wave(&world, r, Contention::Disjoint);
                        if pipelined {
                            vmhost_tests::timed_pipelined(&mut chain, iters, &mut round, wave)
                        } else {
                            vmhost_tests::timed_commits(&mut chain, iters, &mut round, wave)
                        }
                    })
                });
            }
        }
    }
    g.finish();
}

criterion_group!(benches, execution, end_to_end);
criterion_main!(benches);
