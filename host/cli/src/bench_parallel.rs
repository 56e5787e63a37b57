//! `vmhost bench --threads N`: the same waves on one executor thread and on N, side by side —
//! native transfers and example-token transfers with exact access lists, disjoint and with 10%
//! of them paying one hot account; execution alone (dry-run waves on an in-memory store) and
//! end to end (execution + JMT + atomic RocksDB commit in a temporary directory).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use vmhost::state::{MemStore, RocksStore, Store};
use vmhost::testing::block;
use vmhost::testing::workloads::{genesis_accounts, Contention, TransferWorld};
use vmhost::{Chain, ChainConfig};
use vmhost_abi::Transaction;

const TOKEN: &[u8] = include_bytes!("../../../examples/wasm/token.wasm");
/// Measured repetitions of each dry-run wave (the median is reported).
const RUNS: usize = 15;
/// Committed waves per end-to-end figure.
const COMMITTED_WAVES: u64 = 6;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Native,
    Token,
}

impl Kind {
    fn wave(self, world: &TransferWorld, round: u64, c: Contention) -> Vec<Transaction> {
        match self {
            Kind::Native => world.native_wave(round, c),
            Kind::Token => world.token_wave(round, c),
        }
    }
}

/// A chain with `threads` executor threads over `store`, the workload deployed.
fn open(cfg: &ChainConfig, threads: usize, store: Arc<dyn Store>, n: u64) -> Result<(Chain, TransferWorld)> {
    let mut cfg = cfg.clone();
    cfg.node.threads = threads;
    let mut chain = Chain::open(store, crate::chain::registry(&cfg)?, cfg.exec_config()?)?;
    chain.genesis(&genesis_accounts(n))?;
    let world = TransferWorld::setup(&mut chain, TOKEN, n, 1)?;
    Ok((chain, world))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median and best transactions per second of dry-running `one_txs` on `one` and `many_txs`
/// on `many` (all must succeed), the two alternating run by run so this machine's drift hits
/// both alike.
fn execution(
    one: &mut Chain,
    one_txs: &[Transaction],
    many: &mut Chain,
    many_txs: &[Transaction],
) -> Result<[(f64, f64); 2]> {
    let mut rates = [Vec::with_capacity(RUNS), Vec::with_capacity(RUNS)];
    for run in 0..=RUNS {
        for (i, (chain, txs)) in [(&mut *one, one_txs), (&mut *many, many_txs)].into_iter().enumerate() {
            let t = Instant::now();
            let r = chain.simulate_wave(&block(10), txs)?;
            let rate = txs.len() as f64 / t.elapsed().as_secs_f64();
            ensure!(
                r.iter().all(|r| r.is_success()),
                "bench transactions failed: {:?}",
                r.iter().find(|r| !r.is_success())
            );
            if run > 0 {
                rates[i].push(rate);
            }
        }
    }
    Ok(rates.map(|r| {
        let best = r.iter().copied().fold(0.0, f64::max);
        (median(r), best)
    }))
}

/// Transactions per second of committing [`COMMITTED_WAVES`] waves (after one unmeasured).
fn end_to_end(chain: &mut Chain, world: &TransferWorld, kind: Kind) -> Result<f64> {
    let mut total = Duration::ZERO;
    for round in 0..=COMMITTED_WAVES {
        let txs = kind.wave(world, round, Contention::Disjoint);
        let t = Instant::now();
        let out = chain.execute_wave(&block(10 + round), &txs)?;
        if round > 0 {
            total += t.elapsed();
        }
        ensure!(out.receipts.iter().all(|r| r.is_success()), "bench transactions failed");
    }
    Ok((world.n * COMMITTED_WAVES) as f64 / total.as_secs_f64())
}

fn row(label: &str, one: f64, many: f64) {
    println!("  {label:<46} {one:>12.0} {many:>12.0} {:>8.2}×", many / one);
}

pub fn run(cfg: &ChainConfig, n: u64) -> Result<()> {
    ensure!(n >= 10, "--txs must be at least 10");
    let threads = cfg.node.threads;
    // For a profiler: VMHOST_BENCH_ONLY=native|token|native10|token10 dry-runs that wave (10:
    // with 10% conflicting) 100 times on
    // `threads` threads and prints the best and median wave times.
    if let Ok(which) = std::env::var("VMHOST_BENCH_ONLY") {
        let kind = if which.starts_with("token") { Kind::Token } else { Kind::Native };
        let contention = if which.ends_with("10") { Contention::Every(10) } else { Contention::Disjoint };
        let (mut chain, world) = open(cfg, threads, Arc::new(MemStore::new()), n)?;
        let txs = kind.wave(&world, 0, contention);
        let mut times = Vec::with_capacity(100);
        for _ in 0..100 {
            let t = Instant::now();
            chain.simulate_wave(&block(10), &txs)?;
            times.push(t.elapsed().as_secs_f64());
        }
        let best = times.iter().copied().fold(f64::MAX, f64::min);
        let med = median(times);
        println!("{which} on {threads} threads: best {:.0} tx/s, median {:.0} tx/s", n as f64 / best, n as f64 / med);
        return Ok(());
    }
    if cfg!(debug_assertions) {
        eprintln!(
            "note: this is a debug build; use `cargo run --release -p vmhost-cli --bin vmhost -- bench --threads {threads}` for real figures"
        );
    }
    println!(
        "waves of {n} transactions with exact access lists; tx/s on 1 and on {threads} executor threads \
         (median and best of {RUNS} dry runs, the two thread counts alternating; end to end: \
         {COMMITTED_WAVES} committed waves)"
    );
    println!("  {:<46} {:>12} {:>12} {:>9}", "workload", "1 thread", format!("{threads} threads"), "ratio");
    let (mut one, world1) = open(cfg, 1, Arc::new(MemStore::new()), n)?;
    let (mut many, world) = open(cfg, threads, Arc::new(MemStore::new()), n)?;
    for (kind, name) in [(Kind::Native, "native transfer"), (Kind::Token, "wasm token transfer")] {
        for (c, what) in [(Contention::Disjoint, "disjoint"), (Contention::Every(10), "10% conflicting")] {
            let [(a, a_best), (b, b_best)] =
                execution(&mut one, &kind.wave(&world1, 0, c), &mut many, &kind.wave(&world, 0, c))?;
            row(&format!("{name}, {what} (median)"), a, b);
            row(&format!("{name}, {what} (best)"), a_best, b_best);
        }
    }
    for (kind, name) in [(Kind::Native, "native transfer"), (Kind::Token, "wasm token transfer")] {
        let mut rates = [0.0; 2];
        for (i, t) in [1, threads].into_iter().enumerate() {
            let dir = tempfile::tempdir().context("temporary store directory")?;
            let store = Arc::new(RocksStore::open_with(dir.path(), false)?);
            let (mut chain, world) = open(cfg, t, store, n)?;
            rates[i] = end_to_end(&mut chain, &world, kind)?;
        }
        row(&format!("end to end (RocksDB), {name}"), rates[0], rates[1]);
    }
    Ok(())
}
