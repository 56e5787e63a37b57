//! wasmtime backend benchmarks: per-call overhead (whole host vs raw wasmtime), compute
//! (metered vs unmetered vs native Rust), memory writes (the cost of write tracking), wasm
//! token transfer vs native Transfer, compile and cache-miss load time.
//!
//! `cargo bench -p vmhost-tests --bench wasm_calls`

/// The node binary's allocator (see `host/cli/src/main.rs`), so the figures are the node's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use vmhost::state::MemStore;
use vmhost::testing::workloads::{native_fill, native_sum, LoopHost as BareHost, LOOP, NOOP, STORES};
use vmhost::testing::{block, load_module, top_level_call, transfer};
use vmhost::CallOutcome;
use vmhost_abi::{Address, Transaction};
use vmhost_tests::{call, chain_on, deploy, example_wasm};
use vmhost_wasmtime::{Metering, WasmtimeConfig, WasmtimeVm};

fn raw_engine() -> (wasmtime::Engine, wasmtime::Linker<()>) {
    let cfg = vmhost_wasmtime::config::engine_config(&WasmtimeConfig::default());
    let engine = wasmtime::Engine::new(&cfg).expect("engine");
    let mut linker = wasmtime::Linker::new(&engine);
    linker.func_wrap("vmhost", "input_read", |_: i32, _: i32, _: i32| {}).expect("import");
    linker.func_wrap("vmhost", "set_return", |_: i32, _: i32| {}).expect("import");
    (engine, linker)
}

fn per_call(c: &mut Criterion) {
    vmhost_tests::node_allocator();
    let mut g = c.benchmark_group("per_call");
    g.measurement_time(Duration::from_secs(5));
    // Raw wasmtime: the same engine config (pooling, keep-resident), InstancePre, instantiate + call.
    let (engine, linker) = raw_engine();
    let module = wasmtime::Module::new(&engine, wat::parse_str(NOOP).expect("wat")).expect("module");
    let pre = linker.instantiate_pre(&module).expect("pre");
    g.bench_function("raw_wasmtime_instantiate_call", |b| {
        b.iter(|| {
            let mut store = wasmtime::Store::new(&engine, ());
            store.set_epoch_deadline(1 << 20);
            let inst = pre.instantiate(&mut store).expect("inst");
            let f = inst.get_typed_func::<(), ()>(&mut store, "noop").expect("f");
            f.call(&mut store, ()).expect("call");
        })
    });
    // The backend's Module::call (metered module, gas global, limiter, trap mapping).
    let vm = WasmtimeVm::new(WasmtimeConfig::default()).expect("vm");
    let m = load_module(&vm, &wat::parse_str(NOOP).expect("wat")).expect("load");
    let mut host = BareHost { input: vec![0; 8] };
    g.bench_function("backend_module_call", |b| {
        b.iter(|| {
            let out: CallOutcome = m.call(&top_level_call("noop", 1_000_000), &mut host).expect("call");
            assert!(out.result.is_ok());
        })
    });
    // The whole host: a ContractCall transaction through ingress, registry, module cache,
    // overlay, call, fee, receipt (dry run of 1,000 calls, per-call time reported).
    let mut chain = chain_on(Arc::new(MemStore::new()), WasmtimeConfig::default(), 1_000);
    let out = chain
        .execute_wave(&block(1), &[deploy(Address::from_index(1), 0, wat::parse_str(NOOP).expect("wat"))])
        .expect("deploy");
    let contract = out.receipts[0].contract_address.expect("address");
    let txs: Vec<Transaction> = (1..=1_000)
        .map(|i| call(Address::from_index(i), if i == 1 { 1 } else { 0 }, contract, "noop", vec![]))
        .collect();
    g.throughput(Throughput::Elements(1_000));
    g.bench_function("whole_host_contract_call_x1000", |b| {
        b.iter(|| {
            let r = chain.simulate_wave(&block(2), &txs).expect("wave");
            assert!(r.iter().all(|r| r.is_success()));
        })
    });
    g.finish();
}

fn compute(c: &mut Criterion) {
    let n: u64 = 1_000_000;
    let mut g = c.benchmark_group("compute_loop_1M");
    g.measurement_time(Duration::from_secs(5)).throughput(Throughput::Elements(n));
    g.bench_function("native_rust", |b| b.iter(|| std::hint::black_box(native_sum(std::hint::black_box(n)))));
    let code = wat::parse_str(LOOP).expect("wat");
    // Unmetered: raw wasmtime, same deterministic config, no fuel, no injected metering.
    let (engine, linker) = raw_engine();
    let plain = wat::parse_str(vmhost::testing::workloads::loop_with_plain_export()).expect("wat");
    let module = wasmtime::Module::new(&engine, &plain).expect("module");
    let mut store = wasmtime::Store::new(&engine, ());
    store.set_epoch_deadline(1 << 40);
    let inst = linker.instantiate(&mut store, &module).expect("inst");
    let f = inst.get_typed_func::<i64, i64>(&mut store, "sum_plain").expect("f");
    assert_eq!(f.call(&mut store, n as i64).expect("call") as u64, native_sum(n));
    g.bench_function("wasm_unmetered", |b| b.iter(|| f.call(&mut store, n as i64).expect("call")));
    for (label, mode) in
        [("wasm_metered_injected", Metering::Injected), ("wasm_metered_engine_fuel", Metering::EngineFuel)]
    {
        let mut cfg = WasmtimeConfig::default();
        cfg.metering(mode);
        let vm = WasmtimeVm::new(cfg).expect("vm");
        let m = load_module(&vm, &code).expect("load");
        let mut host = BareHost { input: n.to_le_bytes().to_vec() };
        g.bench_function(label, |b| {
            b.iter(|| {
                let out = m.call(&top_level_call("sum", 1 << 40), &mut host).expect("call");
                assert!(out.result.is_ok());
            })
        });
    }
    g.finish();
}

fn store_loop(c: &mut Criterion) {
    let n: u64 = 1_000_000;
    let mut g = c.benchmark_group("store_loop_1M");
    g.measurement_time(Duration::from_secs(5)).throughput(Throughput::Elements(n));
    let mut buf = Box::new([0u64; 8192]);
    g.bench_function("native_rust", |b| {
        b.iter(|| native_fill(std::hint::black_box(&mut buf), std::hint::black_box(n)))
    });
    let code = wat::parse_str(STORES).expect("wat");
    for (label, reuse) in [("wasm_metered", 0), ("wasm_metered_write_tracked_warm", 64)] {
        let mut cfg = WasmtimeConfig::default();
        cfg.instance_reuse(reuse);
        let vm = WasmtimeVm::new(cfg).expect("vm");
        let m = load_module(&vm, &code).expect("load");
        let mut host = BareHost { input: n.to_le_bytes().to_vec() };
        // The variants differ in what they claim to: the tracked one runs warm.
        for _ in 0..2 {
            assert!(m.call(&top_level_call("fill", 1 << 40), &mut host).expect("call").result.is_ok());
        }
        assert_eq!(vm.reuse_stats().reused > 0, reuse > 0, "{label}: {:?}", vm.reuse_stats());
        g.bench_function(label, |b| {
            b.iter(|| {
                let out = m.call(&top_level_call("fill", 1 << 40), &mut host).expect("call");
                assert!(out.result.is_ok());
            })
        });
    }
    g.finish();
}

fn token_vs_native(c: &mut Criterion) {
    const N: u64 = 1_000;
    let mut g = c.benchmark_group("transfer_throughput");
    g.measurement_time(Duration::from_secs(10)).sample_size(20).throughput(Throughput::Elements(N));
    let mut chain = chain_on(Arc::new(MemStore::new()), WasmtimeConfig::default(), 2 * N);
    let out =
        chain.execute_wave(&block(1), &[deploy(Address::from_index(1), 0, example_wasm("token"))]).expect("deploy");
    let token = out.receipts[0].contract_address.expect("address");
    // Mint to user 1, then give each sender a balance.
    let mut setup = vec![call(Address::from_index(1), 1, token, "init", (u64::MAX as u128).to_le_bytes().to_vec())];
    for i in 1..=N {
        let mut input = Address::from_index(N + i).0.to_vec();
        input.extend_from_slice(&1_000_000u128.to_le_bytes());
        setup.push(call(Address::from_index(1), 1 + i, token, "transfer", input));
    }
    let out = chain.execute_wave(&block(2), &setup).expect("setup");
    assert!(out.receipts.iter().all(|r| r.is_success()));
    let wasm_txs: Vec<Transaction> = (1..=N)
        .map(|i| {
            let mut input = Address::from_index(i).0.to_vec();
            input.extend_from_slice(&1u128.to_le_bytes());
            let mut t = call(Address::from_index(N + i), 0, token, "transfer", input);
            t.gas_limit = 1_000_000;
            t
        })
        .collect();
    let native_txs: Vec<Transaction> =
        (1..=N).map(|i| transfer(Address::from_index(N + i), 0, Address::from_index(i), 1)).collect();
    chain.simulate_wave(&block(3), &wasm_txs).expect("warm");
    g.bench_function(BenchmarkId::new("wasm_token_transfer", N), |b| {
        b.iter(|| assert!(chain.simulate_wave(&block(3), &wasm_txs).expect("wave").iter().all(|r| r.is_success())))
    });
    g.bench_function(BenchmarkId::new("native_transfer", N), |b| {
        b.iter(|| assert!(chain.simulate_wave(&block(3), &native_txs).expect("wave").iter().all(|r| r.is_success())))
    });
    g.finish();
}

fn compile_and_load(c: &mut Criterion) {
    let mut g = c.benchmark_group("compile_load");
    g.measurement_time(Duration::from_secs(5)).sample_size(20);
    let vm = WasmtimeVm::new(WasmtimeConfig::default()).expect("vm");
    let params = vmhost::ConsensusParams::default();
    let build = |code: &[u8]| vmhost::cache::build_artifact(&vm, code, &params).expect("build").expect("accepted");
    for name in ["counter", "token"] {
        let code = example_wasm(name);
        g.bench_function(BenchmarkId::new("prepare_gate_meter_compile", format!("{name}_{}B", code.len())), |b| {
            b.iter(|| build(&code))
        });
        let artifact = build(&code);
        g.bench_function(BenchmarkId::new("cache_miss_load_artifact", format!("{name}_{}B", artifact.len())), |b| {
            b.iter(|| vmhost::cache::load_artifact(&vm, &artifact).expect("load"))
        });
    }
    g.finish();
}

criterion_group!(benches, per_call, compute, store_loop, token_vs_native, compile_and_load);
criterion_main!(benches);
