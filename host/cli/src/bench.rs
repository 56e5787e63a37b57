//! `vmhost bench`: the same workloads on every wasm backend of this build and in native Rust,
//! side by side — per-call overhead, compute loop, store-bound loop, token transfer (with the
//! native Transfer beside it), compile time and cache-miss load — as a table of medians and
//! ratios to wasmtime, and an SVG chart (`--chart`). Throwaway in-memory stores; criterion
//! benches under `tests/benches/` are the reference figures.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{ensure, Context, Result};
use vmhost::state::MemStore;
use vmhost::testing::workloads::{native_fill, native_sum, LoopHost, HOST_CALLS, LOOP, NOOP, STORES};
use vmhost::testing::{block, load_module, top_level_call};
use vmhost::{Chain, ChainConfig, Vm};
use vmhost_abi::{Address, ContractType, NativeTx, Transaction, TxKind};

use crate::chain::{wasm_backend, WASM_BACKENDS};

const TOKEN: &[u8] = include_bytes!("../../../examples/wasm/token.wasm");
/// Iterations of the compute and store loops.
const LOOP_N: u64 = 1_000_000;
/// Rounds of measurements (the median is reported; one more round warms up).
const RUNS: usize = 9;

fn tx(sender: u64, nonce: u64, gas_limit: u64, kind: TxKind) -> Transaction {
    Transaction { sender: Address::from_index(sender), nonce, gas_limit, chain_id: 1, access_list: None, kind }
}

fn call(sender: u64, nonce: u64, contract: Address, entry: &str, input: Vec<u8>) -> Transaction {
    tx(sender, nonce, 1_000_000, TxKind::ContractCall { contract, entry: entry.into(), input, value: 0 })
}

fn deploy(chain: &mut Chain, nonce: u64, code: Vec<u8>) -> Result<Address> {
    let kind =
        TxKind::ContractDeploy { vm: ContractType::Wasm, code, deposit: 0, parachain: false, non_reentrant: false };
    let gas = chain.params_at(nonce + 1).max_tx_gas;
    let out = chain.execute_wave(&block(nonce + 1), &[tx(1, nonce, gas, kind)])?;
    out.receipts[0].contract_address.ok_or_else(|| anyhow::anyhow!("deploy failed: {}", out.receipts[0].code))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median seconds of `f` over [`RUNS`] runs, after one unmeasured.
fn time(mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    f()?;
    let mut t = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let s = Instant::now();
        f()?;
        t.push(s.elapsed().as_secs_f64());
    }
    Ok(median(t))
}

/// The rows of the table, in order: label and unit (every figure is a time: lower is better).
const ROWS: [(&str, &str); 8] = [
    ("empty call, whole host", "µs/call"),
    ("token transfer, whole host", "µs/tx"),
    ("native Transfer, whole host", "µs/tx"),
    ("compute loop 1M, Module::call", "ms"),
    ("store loop 1M, Module::call", "ms"),
    ("one host call, in a loop", "ns"),
    ("compile, token.wasm prepared", "ms"),
    ("cache-miss load, its artifact", "ms"),
];

/// Figures of one backend, in [`ROWS`] order.
type Figures = [f64; ROWS.len()];

/// One backend, ready to measure: a chain with the token and the empty contract deployed and
/// the senders funded, its transactions, loaded loop modules and a built artifact.
struct Bed {
    vm: Arc<dyn Vm>,
    chain: Chain,
    noops: Vec<Transaction>,
    tokens: Vec<Transaction>,
    natives: Vec<Transaction>,
    compute: Arc<dyn vmhost::Module>,
    stores: Arc<dyn vmhost::Module>,
    host_calls: Arc<dyn vmhost::Module>,
    params: vmhost::ConsensusParams,
    artifact: Vec<u8>,
}

impl Bed {
    fn new(cfg: &ChainConfig, vm: Arc<dyn Vm>, n: u64) -> Result<Bed> {
        let mut reg = vmhost::VmRegistry::new();
        reg.register_native(Arc::new(vmhost_native::NativePlugin))?;
        reg.register_vm(ContractType::Wasm, vm.clone())?;
        let mut exec = cfg.exec_config()?;
        exec.threads(1);
        let mut chain = Chain::open(Arc::new(MemStore::new()), reg, exec)?;
        let alloc: Vec<(Address, u128)> = (1..=2 * n + 1).map(|i| (Address::from_index(i), 1u128 << 100)).collect();
        chain.genesis(&alloc)?;
        let token = deploy(&mut chain, 0, TOKEN.to_vec())?;
        let noop = deploy(&mut chain, 1, wat::parse_str(NOOP)?)?;
        let mut setup = vec![call(1, 2, token, "init", u128::MAX.to_le_bytes().to_vec())];
        for i in 0..n {
            let mut input = Address::from_index(n + 2 + i).0.to_vec();
            input.extend_from_slice(&1_000_000u128.to_le_bytes());
            setup.push(call(1, 3 + i, token, "transfer", input));
        }
        let out = chain.execute_wave(&block(10), &setup)?;
        ensure!(out.receipts.iter().all(|r| r.is_success()), "token setup failed");
        let sender = |i: u64| n + 2 + i;
        let noops = (0..n).map(|i| call(sender(i), 0, noop, "noop", vec![])).collect();
        let tokens = (0..n)
            .map(|i| {
                let mut input = Address::from_index(2 + i).0.to_vec();
                input.extend_from_slice(&1u128.to_le_bytes());
                call(sender(i), 0, token, "transfer", input)
            })
            .collect();
        let natives = (0..n)
            .map(|i| {
                let kind = TxKind::Native(NativeTx::Transfer { to: Address::from_index(2 + i), amount: 1 });
                tx(sender(i), 0, 21_000, kind)
            })
            .collect();
        let load = |code: &str| load_module(&*vm, &wat::parse_str(code)?).map_err(anyhow::Error::msg);
        let (compute, stores, host_calls) = (load(LOOP)?, load(STORES)?, load(HOST_CALLS)?);
        let params = chain.params_at(20).clone();
        let artifact =
            vmhost::cache::build_artifact(&*vm, TOKEN, &params)?.map_err(|r| anyhow::anyhow!("{}", r.message))?;
        Ok(Bed { vm, chain, noops, tokens, natives, compute, stores, host_calls, params, artifact })
    }

    /// One measurement of every row, in [`ROWS`] order (seconds per unit of the row).
    fn once(&mut self) -> Result<Figures> {
        let per_tx = |chain: &mut Chain, txs: &[Transaction]| -> Result<f64> {
            let t = Instant::now();
            let r = chain.simulate_wave(&block(20), txs)?;
            let secs = t.elapsed().as_secs_f64();
            ensure!(
                r.iter().all(|r| r.is_success()),
                "bench transactions failed: {:?}",
                r.iter().find(|r| !r.is_success())
            );
            Ok(secs * 1e6 / txs.len() as f64)
        };
        let run = |m: &Arc<dyn vmhost::Module>, entry: &str| -> Result<f64> {
            let mut host = LoopHost { input: LOOP_N.to_le_bytes().to_vec() };
            let t = Instant::now();
            let out = m.call(&top_level_call(entry, 1 << 40), &mut host)?;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            ensure!(out.result.is_ok(), "{entry}: {:?}", out.result);
            Ok(ms)
        };
        let empty = per_tx(&mut self.chain, &self.noops)?;
        let transfer = per_tx(&mut self.chain, &self.tokens)?;
        let native = per_tx(&mut self.chain, &self.natives)?;
        let compute = run(&self.compute, "sum")?;
        let stores = run(&self.stores, "fill")?;
        let host_call = (run(&self.host_calls, "calls")? - run(&self.host_calls, "empty")?) * 1e6 / LOOP_N as f64;
        let t = Instant::now();
        vmhost::cache::build_artifact(&*self.vm, TOKEN, &self.params)?.map_err(|r| anyhow::anyhow!("{}", r.message))?;
        let compile = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        vmhost::cache::load_artifact(&*self.vm, &self.artifact)?;
        let load = t.elapsed().as_secs_f64() * 1e3;
        Ok([empty, transfer, native, compute, stores, host_call, compile, load])
    }
}

/// Native Rust's figures for the rows that have a native twin.
fn native_rust() -> [Option<f64>; ROWS.len()] {
    let ms = |f: &mut dyn FnMut()| {
        time(|| {
            f();
            Ok(())
        })
        .map(|s| s * 1e3)
        .ok()
    };
    let compute = ms(&mut || {
        std::hint::black_box(native_sum(std::hint::black_box(LOOP_N)));
    });
    let mut buf = Box::new([0u64; 8192]);
    let stores = ms(&mut || native_fill(std::hint::black_box(&mut buf), std::hint::black_box(LOOP_N)));
    [None, None, None, compute, stores, None, None, None]
}

pub fn run(
    cfg: &ChainConfig,
    n: u64,
    backends: &[String],
    chart: Option<&std::path::Path>,
    plugin: Option<&std::path::Path>,
) -> Result<()> {
    ensure!(n >= 10, "--txs must be at least 10");
    if cfg!(debug_assertions) {
        eprintln!("note: this is a debug build; use `cargo run --release -p vmhost-cli --bin vmhost -- bench` for real figures");
    }
    let mut names: Vec<String> = if backends.is_empty() {
        WASM_BACKENDS.iter().filter(|b| **b != "wasmer").map(|b| b.to_string()).collect()
    } else {
        backends.to_vec()
    };
    let mut beds = Vec::new();
    for name in &names {
        eprintln!("setting up {name} ...");
        let vm = wasm_backend(cfg, name)?;
        beds.push(Bed::new(cfg, vm, n).with_context(|| format!("backend {name}"))?);
    }
    if let Some(path) = plugin {
        let loaded = vmhost::plugin::load_plugin(path, &cfg.exec_config()?, "")?;
        let name = format!("plugin {}", loaded.info.name);
        eprintln!("setting up {name} ...");
        beds.push(Bed::new(cfg, loaded.vm, n).with_context(|| name.clone())?);
        names.push(name);
    }
    // Round by round, every backend once per round: drift of this machine's speed hits all
    // backends alike instead of whichever ran during it.
    let mut samples: Vec<Vec<Figures>> = vec![Vec::new(); beds.len()];
    for round in 0..=RUNS {
        for (bed, s) in beds.iter_mut().zip(&mut samples) {
            let one = bed.once()?;
            if round > 0 {
                s.push(one);
            }
        }
    }
    let figures: Vec<Figures> =
        samples.iter().map(|s| std::array::from_fn(|r| median(s.iter().map(|x| x[r]).collect()))).collect();
    let native = native_rust();
    println!(
        "medians of {RUNS} interleaved rounds; whole-host rows are dry-run waves of {n} transactions on one thread; \
         ratios are to {}",
        names[0]
    );
    print!("  {:<34} {:>8}", "workload", "unit");
    for name in &names {
        print!(" {name:>22}");
    }
    println!(" {:>22}", "native Rust");
    for (r, (label, unit)) in ROWS.iter().enumerate() {
        print!("  {label:<34} {unit:>8}");
        let base = figures[0][r];
        for f in &figures {
            print!(" {:>22}", format!("{:.3} ({:.2}×)", f[r], f[r] / base));
        }
        match native[r] {
            Some(v) => println!(" {:>22}", format!("{v:.3} ({:.2}×)", v / base)),
            None => println!(" {:>22}", "-"),
        }
    }
    if let Some(path) = chart {
        crate::chart::write(path, &names, &ROWS.map(|(l, _)| l), &figures, &native)?;
        println!("chart: {}", path.display());
    }
    Ok(())
}
