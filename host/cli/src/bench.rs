//! `vmhost bench`: quick side-by-side throughput on the configured backends, on a throwaway
//! in-memory store (criterion benches under `tests/benches/` are the reference figures).

use std::sync::Arc;
use std::time::Instant;

use anyhow::{ensure, Result};
use vmhost::state::MemStore;
use vmhost::{Chain, ChainConfig};
use vmhost_abi::{Address, BlockContext, ContractType, NativeTx, Transaction, TxKind};

const TOKEN: &[u8] = include_bytes!("../../../examples/wasm/token.wasm");
const NOOP: &str = r#"(module (memory (export "memory") 1) (func (export "noop")))"#;

fn block(wave_id: u64) -> BlockContext {
    BlockContext { height: wave_id, wave_id, timestamp_ms: 0, beacon: [0; 32], base_fee: 1 }
}

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
    out.receipts[0].contract_address.ok_or_else(|| anyhow::anyhow!("deploy failed: {:?}", out.receipts[0].code))
}

/// Runs `txs` as a dry-run wave `rounds` times; returns transactions per second.
fn measure(chain: &mut Chain, wave: u64, txs: &[Transaction], rounds: u32) -> Result<f64> {
    let r = chain.simulate_wave(&block(wave), txs)?;
    ensure!(
        r.iter().all(|r| r.is_success()),
        "benchmark transactions failed: {:?}",
        r.iter().find(|r| !r.is_success())
    );
    let t = Instant::now();
    for _ in 0..rounds {
        chain.simulate_wave(&block(wave), txs)?;
    }
    Ok(txs.len() as f64 * rounds as f64 / t.elapsed().as_secs_f64())
}

pub fn run(cfg: &ChainConfig, n: u64) -> Result<()> {
    if cfg!(debug_assertions) {
        eprintln!("note: this is a debug build; use `cargo run --release -p vmhost-cli --bin vmhost -- bench` for real figures");
    }
    let mut chain = Chain::open(Arc::new(MemStore::new()), crate::chain::registry(cfg)?, cfg.exec_config()?)?;
    let alloc: Vec<(Address, u128)> = (1..=2 * n + 1).map(|i| (Address::from_index(i), 1u128 << 100)).collect();
    chain.genesis(&alloc)?;
    let token = deploy(&mut chain, 0, TOKEN.to_vec())?;
    let noop = deploy(&mut chain, 1, wat::parse_str(NOOP)?)?;
    // Fund n token holders (users n+2 ..= 2n+1).
    let mut setup = vec![call(1, 2, token, "init", u128::MAX.to_le_bytes().to_vec())];
    for i in 0..n {
        let mut input = Address::from_index(n + 2 + i).0.to_vec();
        input.extend_from_slice(&1_000_000u128.to_le_bytes());
        setup.push(call(1, 3 + i, token, "transfer", input));
    }
    let out = chain.execute_wave(&block(10), &setup)?;
    ensure!(out.receipts.iter().all(|r| r.is_success()), "token setup failed");

    let senders = |i: u64| n + 2 + i;
    let native: Vec<Transaction> = (0..n)
        .map(|i| {
            tx(senders(i), 0, 21_000, TxKind::Native(NativeTx::Transfer { to: Address::from_index(2 + i), amount: 1 }))
        })
        .collect();
    let token_txs: Vec<Transaction> = (0..n)
        .map(|i| {
            let mut input = Address::from_index(2 + i).0.to_vec();
            input.extend_from_slice(&1u128.to_le_bytes());
            call(senders(i), 0, token, "transfer", input)
        })
        .collect();
    let noop_txs: Vec<Transaction> = (0..n).map(|i| call(senders(i), 0, noop, "noop", vec![])).collect();
    let rounds = (200_000 / n.max(1)).clamp(1, 100) as u32;
    let nat = measure(&mut chain, 11, &native, rounds)?;
    let tok = measure(&mut chain, 11, &token_txs, rounds)?;
    let nop = measure(&mut chain, 11, &noop_txs, rounds)?;
    println!(
        "executed on one thread, dry-run waves of {n} transactions, wasm backend: {}",
        crate::chain::configured_wasm(cfg)
    );
    println!("  {:<34} {:>12.0} tx/s  {:>8.2} µs/tx  1.00×", "native Transfer", nat, 1e6 / nat);
    println!("  {:<34} {:>12.0} tx/s  {:>8.2} µs/tx  {:.2}× native", "wasm token transfer", tok, 1e6 / tok, tok / nat);
    println!(
        "  {:<34} {:>12.0} tx/s  {:>8.2} µs/tx  {:.2}× native",
        "wasm empty call (per-call path)",
        nop,
        1e6 / nop,
        nop / nat
    );
    Ok(())
}
