//! Backend comparison: the same workloads on wasmtime, wasmer Cranelift and wasmer Singlepass —
//! per-call overhead (the backend's `Module::call` and the whole host), compute loop, store
//! loop, token transfer, compile and cache-miss load. `vmhost bench` prints the same rows with
//! ratios and native Rust; this is the criterion reference.
//!
//! `cargo bench -p vmhost-tests --bench backends`

/// The node binary's allocator (see `host/cli/src/main.rs`), so the figures are the node's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use vmhost::state::MemStore;
use vmhost::testing::workloads::{LoopHost, LOOP, NOOP, STORES};
use vmhost::testing::{block, load_module, top_level_call};
use vmhost::Vm;
use vmhost_abi::{Address, Transaction};
use vmhost_tests::{backend_configs, call, chain_with, deploy, example_wasm, registry_of};

/// Every configuration but wasmtime's all-fresh one (its cost is in `wasm_calls`).
fn backends() -> Vec<(&'static str, Arc<dyn Vm>)> {
    backend_configs().into_iter().filter(|(n, _)| *n != "wasmtime-cold").map(|(n, make)| (n, make())).collect()
}

fn module_calls(c: &mut Criterion) {
    vmhost_tests::node_allocator();
    let n: u64 = 1_000_000;
    let mut g = c.benchmark_group("backend_module_call");
    g.measurement_time(Duration::from_secs(5));
    for (name, vm) in backends() {
        for (label, code, entry) in [("noop", NOOP, "noop"), ("compute_1M", LOOP, "sum"), ("stores_1M", STORES, "fill")]
        {
            let m = load_module(&*vm, &wat::parse_str(code).expect("wat")).expect("load");
            let mut host = LoopHost { input: n.to_le_bytes().to_vec() };
            g.bench_function(BenchmarkId::new(label, name), |b| {
                b.iter(|| assert!(m.call(&top_level_call(entry, 1 << 40), &mut host).expect("call").result.is_ok()))
            });
        }
    }
    g.finish();
}

fn whole_host(c: &mut Criterion) {
    const N: u64 = 1_000;
    let mut g = c.benchmark_group("backend_whole_host");
    g.measurement_time(Duration::from_secs(8)).sample_size(20).throughput(Throughput::Elements(N));
    for (name, vm) in backends() {
        let mut chain = chain_with(Arc::new(MemStore::new()), registry_of(vm), 2 * N + 1);
        let out = chain
            .execute_wave(
                &block(1),
                &[
                    deploy(Address::from_index(1), 0, example_wasm("token")),
                    deploy(Address::from_index(1), 1, wat::parse_str(NOOP).expect("wat")),
                ],
            )
            .expect("deploy");
        let (token, noop) =
            (out.receipts[0].contract_address.expect("token"), out.receipts[1].contract_address.expect("noop"));
        let mut setup = vec![call(Address::from_index(1), 2, token, "init", u128::MAX.to_le_bytes().to_vec())];
        for i in 1..=N {
            let mut input = Address::from_index(N + i).0.to_vec();
            input.extend_from_slice(&1_000_000u128.to_le_bytes());
            setup.push(call(Address::from_index(1), 2 + i, token, "transfer", input));
        }
        assert!(chain.execute_wave(&block(2), &setup).expect("setup").receipts.iter().all(|r| r.is_success()));
        let transfers: Vec<Transaction> = (1..=N)
            .map(|i| {
                let mut input = Address::from_index(i).0.to_vec();
                input.extend_from_slice(&1u128.to_le_bytes());
                call(Address::from_index(N + i), 0, token, "transfer", input)
            })
            .collect();
        let noops: Vec<Transaction> =
            (1..=N).map(|i| call(Address::from_index(N + i), 0, noop, "noop", vec![])).collect();
        for (label, txs) in [("token_transfer_x1000", &transfers), ("empty_call_x1000", &noops)] {
            assert!(chain.simulate_wave(&block(3), txs).expect("warm").iter().all(|r| r.is_success()));
            g.bench_function(BenchmarkId::new(label, name), |b| {
                b.iter(|| assert!(chain.simulate_wave(&block(3), txs).expect("wave").iter().all(|r| r.is_success())))
            });
        }
    }
    g.finish();
}

fn compile_and_load(c: &mut Criterion) {
    let mut g = c.benchmark_group("backend_compile_load");
    g.measurement_time(Duration::from_secs(5)).sample_size(20);
    let params = vmhost::ConsensusParams::default();
    for (name, vm) in backends() {
        let code = example_wasm("token");
        let build = || vmhost::cache::build_artifact(&*vm, &code, &params).expect("build").expect("accepted");
        g.bench_function(BenchmarkId::new("prepare_and_compile_token", name), |b| b.iter(build));
        let artifact = build();
        g.bench_function(BenchmarkId::new("cache_miss_load_token", name), |b| {
            b.iter(|| vmhost::cache::load_artifact(&*vm, &artifact).expect("load"))
        });
    }
    g.finish();
}

/// A tracer that does nothing: the cost of the hook itself.
struct Nop;
impl vmhost::trace::Tracer for Nop {}

/// One token transfer as a dry run on wasmtime: untraced (the hook compiled in, no tracer),
/// with a tracer that does nothing, and with the built-in `CallTracer` building the tree.
fn tracing(c: &mut Criterion) {
    let mut g = c.benchmark_group("tracing_token_transfer");
    g.measurement_time(Duration::from_secs(8));
    let vm: Arc<dyn Vm> = Arc::new(vmhost_wasmtime::WasmtimeVm::new(Default::default()).expect("wasmtime"));
    let mut chain = chain_with(Arc::new(MemStore::new()), registry_of(vm), 4);
    let out =
        chain.execute_wave(&block(1), &[deploy(Address::from_index(1), 0, example_wasm("token"))]).expect("deploy");
    let token = out.receipts[0].contract_address.expect("token");
    let init = call(Address::from_index(1), 1, token, "init", u128::MAX.to_le_bytes().to_vec());
    assert!(chain.execute_wave(&block(2), &[init]).expect("init").receipts[0].is_success());
    let mut input = Address::from_index(2).0.to_vec();
    input.extend_from_slice(&1u128.to_le_bytes());
    let tx = call(Address::from_index(1), 2, token, "transfer", input);
    let plain = chain.simulate_wave(&block(3), std::slice::from_ref(&tx)).expect("warm").remove(0);
    assert!(plain.is_success());
    g.bench_function("off", |b| {
        b.iter(|| assert!(chain.simulate_wave(&block(3), std::slice::from_ref(&tx)).expect("run")[0].is_success()))
    });
    g.bench_function("nop_tracer", |b| {
        b.iter(|| assert_eq!(chain.trace_call(&block(3), &tx, &mut Nop).expect("run").0, plain))
    });
    g.bench_function("call_tracer", |b| {
        b.iter(|| {
            let mut t = vmhost::trace::CallTracer::new();
            assert_eq!(chain.trace_call(&block(3), &tx, &mut t).expect("run").0, plain);
            t.into_tree().expect("tree")
        })
    });
    g.finish();
}

criterion_group!(benches, module_calls, whole_host, compile_and_load, tracing);
criterion_main!(benches);
