//! `vmhost bench --scale` and `vmhost bench --commit`: how the cost of a transaction and the
//! memory of a wave grow with the wave, and what committing costs in time and disk.
//!
//! `--scale` dry-runs waves of native and example-token transfers of growing size on one
//! thread, twice: over a state sized to the wave (as `vmhost bench --txs N` sets it up) and over
//! one fixed state sized to the largest wave, which separates the wave's own cost from the
//! state's. Memory is the peak resident set during the wave above the resident set before it
//! (`/proc/self/status` VmHWM after resetting it through `/proc/self/clear_refs`).
//!
//! `--commit` commits waves of native transfers to a RocksDB store in a temporary directory,
//! as an archive node and as a pruning one, and reports transactions per second end to end and
//! the store's size on disk per million transfers.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{ensure, Context, Result};
use vmhost::state::{MemStore, RocksStore, Store};
use vmhost::testing::block;
use vmhost::testing::workloads::{genesis_accounts, Contention, TransferWorld};
use vmhost::{Chain, ChainConfig};
use vmhost_abi::Transaction;

const TOKEN: &[u8] = include_bytes!("../../../examples/wasm/token.wasm");

/// A `/proc/self/status` field in bytes (Linux; `None` elsewhere).
fn status_bytes(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

/// Resets the peak resident set (VmHWM) to the current one; false if the kernel refuses.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn open(cfg: &ChainConfig, store: Arc<dyn Store>, n: u64) -> Result<(Chain, TransferWorld)> {
    let mut cfg = cfg.clone();
    cfg.node.threads = 1;
    let mut chain = Chain::open(store, crate::chain::registry(&cfg)?, cfg.exec_config()?)?;
    chain.genesis(&genesis_accounts(n))?;
    let world = TransferWorld::setup(&mut chain, TOKEN, n, 1)?;
    Ok((chain, world))
}

/// Median µs per transaction of `runs` dry runs of waves of `n` from `all` (run `r` takes the
/// `r`-th slice of `n`, wrapping: with `all` longer than `n`, every run meets accounts the
/// previous ones did not, as consecutive waves of a chain do), and the peak memory of the
/// first run above the resident set before it (bytes; `None` when it cannot be measured).
fn dry_run(chain: &mut Chain, all: &[Transaction], n: usize, runs: usize) -> Result<(f64, Option<u64>)> {
    let slices = (all.len() / n).max(1);
    let mut times = Vec::with_capacity(runs);
    let mut mem = None;
    for r in 0..=runs {
        let txs = &all[(r % slices) * n..][..n];
        let before = status_bytes("VmRSS:");
        let peak_ok = reset_peak();
        let t = Instant::now();
        let out = chain.simulate_wave(&block(10), txs)?;
        let secs = t.elapsed().as_secs_f64();
        ensure!(
            out.iter().all(|r| r.is_success()),
            "bench transactions failed: {:?}",
            out.iter().find(|r| !r.is_success())
        );
        drop(out);
        if r == 0 {
            // The first wave: what it needs beyond what the process held before it.
            if let (true, Some(b), Some(p)) = (peak_ok, before, status_bytes("VmHWM:")) {
                mem = Some(p.saturating_sub(b));
            }
        } else {
            times.push(secs * 1e6 / n as f64);
        }
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], mem))
}

fn runs_for(n: u64) -> usize {
    (2_000_000 / n).clamp(3, 15) as usize
}

fn per_tx_bytes(mem: Option<u64>, n: u64) -> String {
    mem.map_or_else(|| "-".to_string(), |m| format!("{:.0}", m as f64 / n as f64))
}

pub fn run_scale(cfg: &ChainConfig, sizes: &[u64]) -> Result<()> {
    ensure!(sizes.iter().all(|s| *s >= 10), "wave sizes must be at least 10");
    let largest = *sizes.iter().max().context("no wave sizes")?;
    println!(
        "dry-run waves on one thread, wasmtime; median µs per transaction; memory: peak resident set during the \
         first wave above the one before it, per transaction; `fixed, new accounts each run`: every run is a \
         different slice of the largest wave (cold accounts, as in a chain), `same wave`: one wave repeated"
    );
    println!(
        "  {:<10} {:<30} {:>12} {:>12} {:>14} {:>14}",
        "wave", "state", "native µs/tx", "token µs/tx", "native B/tx", "token B/tx"
    );
    let mut fixed = open(cfg, Arc::new(MemStore::new()), largest)?;
    let all_natives = fixed.1.native_wave(0, Contention::Disjoint);
    let all_tokens = fixed.1.token_wave(0, Contention::Disjoint);
    for &n in sizes {
        for variant in 0..3 {
            let mut own;
            let (chain, natives, tokens, state) = match variant {
                // As `vmhost bench --txs N`: a state of the wave's size, the same wave each run.
                0 => {
                    own = open(cfg, Arc::new(MemStore::new()), n)?;
                    let (w1, w2) =
                        (own.1.native_wave(0, Contention::Disjoint), own.1.token_wave(0, Contention::Disjoint));
                    (&mut own.0, w1, w2, "sized to the wave, same wave".to_string())
                }
                1 if n < largest => {
                    let take = |w: &[Transaction]| w[..n as usize].to_vec();
                    (&mut fixed.0, take(&all_natives), take(&all_tokens), "fixed, same wave".to_string())
                }
                2 if n < largest => {
                    (&mut fixed.0, all_natives.clone(), all_tokens.clone(), "fixed, new accounts each run".to_string())
                }
                _ => continue,
            };
            let (native, native_mem) = dry_run(chain, &natives, n as usize, runs_for(n))?;
            let (token, token_mem) = dry_run(chain, &tokens, n as usize, runs_for(n))?;
            println!(
                "  {n:<10} {state:<30} {native:>12.3} {token:>12.3} {:>14} {:>14}",
                per_tx_bytes(native_mem, n),
                per_tx_bytes(token_mem, n)
            );
        }
    }
    Ok(())
}

/// CPU time of the whole process so far (every thread: the executor pool, the commit writer,
/// RocksDB's flushes and compactions), from `/proc/self/stat`; `None` where there is none.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces, so split after its ')').
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Size of a directory tree in bytes.
fn dir_size(path: &std::path::Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() { dir_size(&entry.path())? } else { meta.len() };
    }
    Ok(total)
}

pub fn run_commit(cfg: &ChainConfig, n: u64, waves: u64, retain: u64) -> Result<()> {
    ensure!(n >= 10 && waves >= 2, "--txs must be at least 10 and --waves at least 2");
    println!(
        "{waves} committed waves of {n} native transfers on {} executor thread(s), RocksDB (fsync {}), \
         execution + JMT + commit",
        cfg.node.threads, cfg.store.sync
    );
    println!(
        "  {:<40} {:>10} {:>18} {:>18} {:>12}",
        "node", "tx/s", "disk MB / 1M tx", "compacted MB / 1M", "cores busy"
    );
    // Each node commits wave after wave with `execute_wave`, then pipelined with
    // `execute_waves` (the write of a wave overlapping the next one's execution and JMT
    // update). Building the transactions is timed in both (the pipeline pulls them from an
    // iterator); it is ~1% of a wave.
    let nodes = [("archive (retain_waves 0)".to_string(), 0), (format!("pruning (retain_waves {retain})"), retain)];
    for (name, keep) in nodes {
        for pipelined in [false, true] {
            let dir = tempfile::tempdir().context("temporary store directory")?;
            let store = Arc::new(RocksStore::open_with(dir.path(), cfg.store.sync)?);
            let mut c = cfg.clone();
            c.node.retain_waves = keep;
            let mut chain = Chain::open(store.clone(), crate::chain::registry(&c)?, c.exec_config()?)?;
            chain.genesis(&genesis_accounts(n))?;
            let world = TransferWorld::setup(&mut chain, TOKEN, n, 1)?;
            let base = dir_size(dir.path())?;
            let waves_iter =
                (0..waves).map(|round| (block(10 + round), world.native_wave(round, Contention::Disjoint)));
            let mut failed = 0usize;
            let cpu = cpu_seconds();
            let t = Instant::now();
            if pipelined {
                chain.execute_waves(waves_iter, |out| {
                    failed += out.receipts.iter().filter(|r| !r.is_success()).count()
                })?;
            } else {
                for (b, txs) in waves_iter {
                    let out = chain.execute_wave(&b, &txs)?;
                    failed += out.receipts.iter().filter(|r| !r.is_success()).count();
                }
            }
            let total = t.elapsed();
            let cores = cpu_seconds().zip(cpu).map(|(b, a)| (b - a) / total.as_secs_f64());
            ensure!(failed == 0, "{failed} bench transactions failed");
            let transfers = (n * waves) as f64;
            let grown = dir_size(dir.path())?.saturating_sub(base) as f64;
            store.compact()?;
            let compacted = dir_size(dir.path())?.saturating_sub(base) as f64;
            let per_m = |b: f64| b / transfers * 1e6 / (1 << 20) as f64;
            let name = if pipelined { format!("{name}, pipelined") } else { name.clone() };
            println!(
                "  {name:<40} {:>10.0} {:>18.1} {:>18.1} {:>12}",
                transfers / total.as_secs_f64(),
                per_m(grown),
                per_m(compacted),
                cores.map_or("-".to_string(), |c| format!("{c:.2}"))
            );
        }
    }
    Ok(())
}
