//! `vmhost demo`: the README's main job. Opens the embedded RocksDB store, deploys the example
//! contracts (Rust counter, token and event emitter, the C counter and the WAT counter), runs a
//! wave of contract calls, then waves of native transfers, printing receipts, events and roots.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use vmhost::ChainConfig;
use vmhost_abi::{Address, ContractType, NativeTx, ReceiptStatus, Transaction, TxKind};

use crate::chain::{self, print_receipt};

/// The example contracts, embedded so the demo runs from any directory.
const COUNTER: &[u8] = include_bytes!("../../../examples/wasm/counter.wasm");
const TOKEN: &[u8] = include_bytes!("../../../examples/wasm/token.wasm");
const EVENTS: &[u8] = include_bytes!("../../../examples/wasm/events.wasm");
const C_COUNTER: &[u8] = include_bytes!("../../../examples/wasm/c_counter.wasm");
const WAT_COUNTER: &str = include_str!("../../../examples/wat/counter.wat");
const VAULT_AS: &[u8] = include_bytes!("../../../examples/wasm/vault_as.wasm");

fn user(i: u64) -> Address {
    Address::from_index(i)
}

fn call(contract: Address, entry: &str, input: Vec<u8>) -> TxKind {
    TxKind::ContractCall { contract, entry: entry.to_string(), input, value: 0 }
}

pub fn run(cfg: &ChainConfig, transfers: u64, fresh: bool) -> Result<()> {
    if fresh && cfg.store.path.exists() {
        std::fs::remove_dir_all(&cfg.store.path)?;
    }
    let mut chain = chain::open(cfg).with_context(|| {
        format!(
            "opening the demo store at {} (`vmhost demo --fresh` deletes it and starts over)",
            cfg.store.path.display()
        )
    })?;
    println!(
        "vmhost demo — store {} — backends: native, wasm={}",
        cfg.store.path.display(),
        crate::chain::configured_wasm(cfg)
    );
    println!("{}", build_note());
    println!("starting at {}, state root {}", wave_name(chain.head().last_wave), hex::encode(chain.state_root()));

    // Wave 1: deploy the examples (one sender, consecutive nonces).
    let deployer = user(1);
    let wat = wat::parse_str(WAT_COUNTER)?;
    let codes: [(&str, Vec<u8>); 6] = [
        ("counter (Rust)", COUNTER.to_vec()),
        ("token (Rust)", TOKEN.to_vec()),
        ("events (Rust)", EVENTS.to_vec()),
        ("counter (C)", C_COUNTER.to_vec()),
        ("counter (WAT)", wat),
        ("vault (AssemblyScript)", VAULT_AS.to_vec()),
    ];
    let mut txs = Vec::new();
    for (i, (_, code)) in codes.iter().enumerate() {
        let kind = TxKind::ContractDeploy {
            vm: ContractType::Wasm,
            code: code.clone(),
            deposit: 1_000,
            parachain: false,
            non_reentrant: false,
        };
        txs.push(chain::tx(&chain, cfg, deployer, i as u64, 50_000_000, kind)?);
    }
    let block = chain::next_block(&chain, cfg);
    let t0 = Instant::now();
    let out = chain.execute_wave(&block, &txs)?;
    println!("\nwave {} — deploy ({:.1} ms)", block.wave_id, t0.elapsed().as_secs_f64() * 1e3);
    let mut addrs = Vec::new();
    for (((label, _), r), note) in codes.iter().zip(&out.receipts).zip(&out.notes) {
        print_receipt(label, r, note.as_deref());
        match r.contract_address {
            Some(a) if r.status == ReceiptStatus::Success => addrs.push(a),
            _ => bail!("deploy of {label} failed: {:?}", r.code),
        }
    }
    print_record(&out.record);
    let (counter, token, events, c_counter, wat_counter, vault) =
        (addrs[0], addrs[1], addrs[2], addrs[3], addrs[4], addrs[5]);

    // Wave 2: contract calls.
    let mut calls: Vec<(String, Address, TxKind)> = vec![
        ("token.init(1_000_000)".into(), user(1), call(token, "init", 1_000_000u128.to_le_bytes().to_vec())),
        ("counter.increment (Rust)".into(), user(2), call(counter, "increment", vec![])),
        ("counter.increment (Rust)".into(), user(3), call(counter, "increment", vec![])),
        ("counter.increment (C)".into(), user(2), call(c_counter, "increment", vec![])),
        ("counter.increment (WAT)".into(), user(2), call(wat_counter, "increment", vec![])),
    ];
    for i in 2..=5u64 {
        let mut input = user(i).0.to_vec();
        input.extend_from_slice(&(1_000 * i as u128).to_le_bytes());
        calls.push((format!("token.transfer(user{i}, {})", 1_000 * i), user(1), call(token, "transfer", input)));
    }
    let mut too_much = user(1).0.to_vec();
    too_much.extend_from_slice(&1u128.to_le_bytes());
    calls.push(("token.transfer (no balance → revert)".into(), user(9), call(token, "transfer", too_much)));
    calls.push(("events.emit(3)".into(), user(4), call(events, "emit", 3u32.to_le_bytes().to_vec())));
    calls.push(("events.emit_then_revert".into(), user(4), call(events, "emit_then_revert", vec![])));
    calls.push(("token.balance_of(user3)".into(), user(5), call(token, "balance_of", user(3).0.to_vec())));
    calls.push(("counter.get (Rust)".into(), user(5), call(counter, "get", vec![])));
    calls.push((
        "vault.deposit (AS, value 5000)".into(),
        user(8),
        TxKind::ContractCall { contract: vault, entry: "deposit".into(), input: vec![], value: 5_000 },
    ));
    calls.push((
        "vault.withdraw(2000) (AS)".into(),
        user(8),
        call(vault, "withdraw", 2_000u128.to_le_bytes().to_vec()),
    ));
    calls.push((
        "vault.withdraw(9000) (AS → revert)".into(),
        user(8),
        call(vault, "withdraw", 9_000u128.to_le_bytes().to_vec()),
    ));
    calls.push((
        "native transfer user6 → user7".into(),
        user(6),
        TxKind::Native(NativeTx::Transfer { to: user(7), amount: 42 }),
    ));

    let mut offsets = std::collections::HashMap::<Address, u64>::new();
    let mut txs = Vec::new();
    for (_, sender, kind) in &calls {
        let off = offsets.entry(*sender).or_default();
        let gas = if matches!(kind, TxKind::Native(_)) { vmhost_abi::gas::NATIVE_TRANSFER_GAS } else { 5_000_000 };
        txs.push(chain::tx(&chain, cfg, *sender, *off, gas, kind.clone())?);
        *off += 1;
    }
    let block = chain::next_block(&chain, cfg);
    let t0 = Instant::now();
    let out = chain.execute_wave(&block, &txs)?;
    println!("\nwave {} — contract calls ({:.1} ms)", block.wave_id, t0.elapsed().as_secs_f64() * 1e3);
    for (((label, _, _), r), note) in calls.iter().zip(&out.receipts).zip(&out.notes) {
        print_receipt(label, r, note.as_deref());
    }
    print_record(&out.record);

    // Then native transfers, in waves of up to 1,000, with a progress line.
    if transfers > 0 {
        use std::io::IsTerminal;
        let interactive = std::io::stderr().is_terminal();
        println!("\nnative transfers: {transfers}");
        let per_wave = 1_000u64;
        let senders = 500u64;
        let t0 = Instant::now();
        let mut done = 0u64;
        let mut last_root = [0u8; 32];
        while done < transfers {
            let n = per_wave.min(transfers - done);
            let mut nonces = std::collections::HashMap::<Address, u64>::new();
            let mut txs: Vec<Transaction> = Vec::with_capacity(n as usize);
            for i in 0..n {
                let k = done + i;
                let from = user(100 + k % senders);
                let to = user(1_000 + (k * 7919) % 9_000);
                let off = nonces.entry(from).or_default();
                let kind = TxKind::Native(NativeTx::Transfer { to, amount: 1 + k as u128 % 100 });
                txs.push(chain::tx(&chain, cfg, from, *off, vmhost_abi::gas::NATIVE_TRANSFER_GAS, kind)?);
                *off += 1;
            }
            let block = chain::next_block(&chain, cfg);
            let out = chain.execute_wave(&block, &txs)?;
            let failed = out.receipts.iter().filter(|r| !r.is_success()).count();
            done += n;
            last_root = out.record.state_root;
            let secs = t0.elapsed().as_secs_f64();
            let line = format!(
                "  wave {:>4}: {done}/{transfers} transfers, {failed} failed, {:.0} tx/s end-to-end, root {}..",
                block.wave_id,
                done as f64 / secs.max(1e-9),
                hex::encode(&last_root[..8])
            );
            // On a terminal the progress line redraws itself; piped, it is one line per wave.
            if interactive {
                eprint!("\r{line}");
            } else {
                eprintln!("{line}");
            }
        }
        if interactive {
            eprintln!();
        }
        println!("  final state root {}", hex::encode(last_root));
    }
    let c = chain.storage(&counter, &counter_slot(&counter))?;
    println!("\nhead: {}, state root {}", wave_name(chain.head().last_wave), hex::encode(chain.state_root()));
    if let Some(v) = c {
        println!("Rust counter value (raw slot) {}", hex::encode(v));
    }
    Ok(())
}

/// The build profile, and whether the throughput lines mean anything.
fn build_note() -> &'static str {
    if cfg!(debug_assertions) {
        "build: debug — the tx/s figures below are only representative in a release build \
(`cargo run --release -p vmhost-cli --bin vmhost -- demo`)"
    } else {
        "build: release"
    }
}

/// "wave 7", or "genesis" before any wave.
pub fn wave_name(w: Option<u64>) -> String {
    w.map_or_else(|| "genesis (no wave yet)".to_string(), |w| format!("wave {w}"))
}

fn counter_slot(counter: &Address) -> [u8; 32] {
    vmhost_abi::keys::slot(counter, 0, b"counter")
}

fn print_record(r: &vmhost_abi::WaveRecord) {
    println!(
        "  → state root {}\n    events root {}  receipts root {}  gas {}",
        hex::encode(r.state_root),
        hex::encode(&r.events_root[..8]),
        hex::encode(&r.receipts_root[..8]),
        r.gas_used
    );
}
