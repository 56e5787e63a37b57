//! `vmhost bench --calibrate`: gas per second of every operator and host-function mix of
//! `tests/corpus/mixes.wat`, through the whole host (ingress, registry, module cache, host
//! functions, overlays), on this machine. The slowest mix bounds how much gas a transaction
//! may carry: `max_tx_gas / slowest rate` is the longest a transaction can run, which must stay
//! far below the node's wall-clock safety net (`[node] call_timeout_ms`).

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use vmhost::state::MemStore;
use vmhost::{Chain, ChainConfig};
use vmhost_abi::{Address, BlockContext, ContractType, Transaction, TxKind};

/// The mixes, embedded so the command runs from any directory.
const MIXES: &str = include_str!("../../../tests/corpus/mixes.wat");

/// Every mix (entry point of `mixes.wat`) and the gas it runs with: enough to take tens of
/// milliseconds, little enough that a host limit does not stop it first (`grow` reaches the
/// transaction memory cap at about 4.3M gas).
pub const MIX_ENTRIES: &[(&str, u64)] = &[
    ("alu", 100_000_000),
    ("div", 100_000_000),
    ("calls", 100_000_000),
    ("fill", 100_000_000),
    ("grow", 3_000_000),
    ("host_cheap", 20_000_000),
    ("keccak_empty", 20_000_000),
    ("keccak_1k", 50_000_000),
    ("blake3_empty", 20_000_000),
    ("poseidon2_1k", 50_000_000),
    ("sload_miss", 20_000_000),
    ("balance_miss", 20_000_000),
    ("sstore_new", 50_000_000),
    ("cross", 50_000_000),
    ("static", 50_000_000),
];

/// One mix's measurement.
#[derive(Debug, Clone)]
pub struct MixRate {
    /// Entry point.
    pub name: &'static str,
    /// Gas the transaction used.
    pub gas: u64,
    /// Best wall-clock time of the transaction, seconds.
    pub seconds: f64,
    /// How it ended (OutOfGas for a mix that ran to the end of its gas).
    pub code: vmhost_abi::ErrorCode,
}

impl MixRate {
    /// Gas per second.
    pub fn rate(&self) -> f64 {
        self.gas as f64 / self.seconds
    }
}

fn block(wave_id: u64) -> BlockContext {
    BlockContext { height: wave_id, wave_id, timestamp_ms: 0, beacon: [0; 32], base_fee: 1 }
}

/// Measures every mix (best of `rounds`), scaling each mix's gas by `scale`.
pub fn measure(cfg: &ChainConfig, rounds: u32, scale: f64) -> Result<Vec<MixRate>> {
    let exec = cfg.exec_config()?;
    let mut chain = Chain::open(Arc::new(MemStore::new()), crate::chain::registry(cfg)?, exec)?;
    let sender = Address::from_index(1);
    chain.genesis(&[(sender, 1u128 << 100)])?;
    let code = wat::parse_str(MIXES).context("mixes.wat")?;
    let max = chain.params_at(1).max_tx_gas;
    let deploy = Transaction {
        sender,
        nonce: 0,
        gas_limit: max,
        chain_id: chain.params_at(1).chain_id,
        access_list: None,
        kind: TxKind::ContractDeploy {
            vm: ContractType::Wasm,
            code,
            deposit: 0,
            parachain: false,
            non_reentrant: false,
        },
    };
    let out = chain.execute_wave(&block(1), &[deploy])?;
    let mixes = out.receipts[0].contract_address.context("deploying mixes.wat failed")?;
    let mut results = Vec::new();
    for (name, gas) in MIX_ENTRIES {
        let gas = ((*gas as f64 * scale) as u64).clamp(100_000, max);
        let tx = Transaction {
            sender,
            nonce: 1,
            gas_limit: gas,
            chain_id: chain.params_at(2).chain_id,
            access_list: None,
            kind: TxKind::ContractCall { contract: mixes, entry: (*name).into(), input: vec![], value: 0 },
        };
        tracing::info!(mix = name, gas, "calibrating");
        let mut best = f64::MAX;
        let mut receipt = None;
        for _ in 0..rounds.max(1) {
            let t = Instant::now();
            let r = chain.simulate_wave(&block(2), std::slice::from_ref(&tx))?;
            best = best.min(t.elapsed().as_secs_f64());
            receipt = r.into_iter().next();
        }
        let r = receipt.context("no receipt")?;
        results.push(MixRate { name, gas: r.gas_used, seconds: best, code: r.code });
    }
    Ok(results)
}

/// Prints the calibration table and what it means for `max_tx_gas` and the timeout.
pub fn run(cfg: &ChainConfig) -> Result<()> {
    if cfg!(debug_assertions) {
        eprintln!("note: this is a debug build; calibrate with `cargo run --release -p vmhost-cli --bin vmhost -- bench --calibrate`");
    }
    // A debug build runs host code 10-50x slower: a tenth of the gas keeps it within the net.
    let scale = if cfg!(debug_assertions) { 0.1 } else { 1.0 };
    let results = measure(cfg, 3, scale)?;
    let max = cfg.exec_config()?.consensus.max_tx_gas;
    let timeout = cfg.call_timeout().as_secs_f64();
    println!("gas per second of each mix (tests/corpus/mixes.wat), one transaction each, best of 3");
    println!("  {:<14} {:>12} {:>10} {:>12} {:>9}  ended", "mix", "gas", "ms", "Mgas/s", "ns/gas");
    let mut slowest: Option<&MixRate> = None;
    for r in &results {
        println!(
            "  {:<14} {:>12} {:>10.2} {:>12.1} {:>9.3}  {}",
            r.name,
            r.gas,
            r.seconds * 1e3,
            r.rate() / 1e6,
            1e9 / r.rate(),
            r.code.name()
        );
        if slowest.is_none_or(|s| r.rate() < s.rate()) {
            slowest = Some(r);
        }
    }
    if let Some(s) = slowest {
        let longest = max as f64 / s.rate();
        println!(
            "slowest mix: {} at {:.1} Mgas/s; max_tx_gas {} takes {:.0} ms there, {:.1}x below the {:.1} s safety net",
            s.name,
            s.rate() / 1e6,
            max,
            longest * 1e3,
            timeout / longest,
            timeout
        );
    }
    Ok(())
}
