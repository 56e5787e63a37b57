//! Opening the chain a config describes, and the deploy / call commands.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use vmhost::state::RocksStore;
use vmhost::Vm;
use vmhost::{Chain, ChainConfig, VmRegistry};
use vmhost_abi::{Address, BlockContext, ContractType, Receipt, Transaction, TxKind};
use vmhost_native::NativePlugin;
use vmhost_wasmer::{Compiler, WasmerConfig, WasmerVm};
use vmhost_wasmtime::{WasmtimeConfig, WasmtimeVm};

/// Test accounts funded at genesis: indices 1..=GENESIS_ACCOUNTS.
pub const GENESIS_ACCOUNTS: u64 = 10_000;
/// Genesis balance of each test account.
pub const GENESIS_BALANCE: u128 = 1_000_000_000_000_000;

pub fn load_config(path: Option<&Path>, store: Option<&Path>) -> Result<ChainConfig> {
    let mut cfg = match path {
        Some(p) => {
            ChainConfig::from_toml(&std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?)?
        }
        None => ChainConfig::default(),
    };
    if let Some(s) = store {
        cfg.store.path = s.to_path_buf();
    }
    Ok(cfg)
}

/// The wasmtime configuration a chain file describes: the node's timeout, and the engine's
/// backstops sized from the consensus parameters (the same `fit_chain` the library uses).
pub fn wasmtime_config(cfg: &ChainConfig) -> Result<WasmtimeConfig> {
    let mut w = WasmtimeConfig::default();
    w.call_timeout(cfg.call_timeout()).fit_chain(&cfg.exec_config()?);
    Ok(w)
}

/// The wasm backends this build has, by the name `backends.wasm` takes.
pub const WASM_BACKENDS: [&str; 4] = ["wasmtime", "wasmer", "wasmer-cranelift", "wasmer-singlepass"];

/// The wasm backend named `name`, sized to the chain file's consensus parameters (the same
/// `fit_chain` the library uses).
pub fn wasm_backend(cfg: &ChainConfig, name: &str) -> Result<Arc<dyn Vm>> {
    let exec = cfg.exec_config()?;
    let wasmer = |compiler| -> Result<Arc<dyn Vm>> {
        let mut w = WasmerConfig::with_compiler(compiler);
        w.fit_chain(&exec);
        Ok(Arc::new(WasmerVm::new(w)?))
    };
    match name {
        "wasmtime" => Ok(Arc::new(WasmtimeVm::new(wasmtime_config(cfg)?)?)),
        "wasmer" | "wasmer-cranelift" => wasmer(Compiler::Cranelift),
        "wasmer-singlepass" => wasmer(Compiler::Singlepass),
        other => bail!("unknown wasm backend `{other}` in [backends] (available: {})", WASM_BACKENDS.join(", ")),
    }
}

/// The wasm backend the config names (`backends.wasm`, default wasmtime).
pub fn configured_wasm(cfg: &ChainConfig) -> &str {
    cfg.backends.get("wasm").map_or("wasmtime", String::as_str)
}

/// The registry the config describes: native plugin, the configured wasm backend, and every
/// VM plugin (`"plugin:<id>" = "<path>[?<options>]"`).
pub fn registry(cfg: &ChainConfig) -> Result<VmRegistry> {
    let mut reg = VmRegistry::new();
    reg.register_native(Arc::new(NativePlugin))?;
    for ty in cfg.backends.keys() {
        if ty != "wasm" && !ty.starts_with("plugin:") {
            bail!("[backends] key `{ty}`: contract types are `wasm` and `plugin:<id>`");
        }
    }
    reg.register_vm(ContractType::Wasm, wasm_backend(cfg, configured_wasm(cfg))?)?;
    vmhost::plugin::register_plugins(&mut reg, cfg)?;
    Ok(reg)
}

/// A contract type as the CLI takes it: `wasm` or `plugin:<id>`.
pub fn parse_type(s: &str) -> Result<ContractType> {
    match s {
        "wasm" => Ok(ContractType::Wasm),
        _ => match s.strip_prefix("plugin:") {
            Some(id) if !id.is_empty() => Ok(ContractType::Plugin(id.to_string())),
            _ => bail!("contract type `{s}`: `wasm` or `plugin:<id>`"),
        },
    }
}

/// Opens the chain at the configured store, applying genesis to an empty store.
pub fn open(cfg: &ChainConfig) -> Result<Chain> {
    std::fs::create_dir_all(&cfg.store.path)?;
    let store = Arc::new(RocksStore::open_with(&cfg.store.path, cfg.store.sync)?);
    let mut chain = Chain::open(store, registry(cfg)?, cfg.exec_config()?)?;
    if chain.head().jmt_version.is_none() {
        let alloc: Vec<(Address, u128)> =
            (1..=GENESIS_ACCOUNTS).map(|i| (Address::from_index(i), GENESIS_BALANCE)).collect();
        chain.genesis(&alloc)?;
    }
    Ok(chain)
}

/// The next block context after the head.
pub fn next_block(chain: &Chain, cfg: &ChainConfig) -> BlockContext {
    let wave_id = chain.head().last_wave.map_or(1, |w| w + 1);
    BlockContext {
        height: wave_id,
        wave_id,
        timestamp_ms: 1_700_000_000_000 + wave_id * 1_000,
        beacon: *blake3::hash(&wave_id.to_le_bytes()).as_bytes(),
        base_fee: cfg.chain.base_fee,
    }
}

pub fn parse_address(s: &str) -> Result<Address> {
    let bytes = parse_hex(s).context("address is not hex")?;
    let arr: [u8; 32] = bytes.try_into().map_err(|_| anyhow::anyhow!("address must be 32 bytes"))?;
    Ok(Address(arr))
}

/// Hex bytes, with or without `0x` (everywhere the CLI takes hex).
pub fn parse_hex(s: &str) -> Result<Vec<u8>> {
    let digits = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
    hex::decode(digits).with_context(|| format!("`{}` is not hex", shorten(s, 40)))
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

/// An account as the CLI takes it: a test-account index (decimal) or an address (hex).
pub fn parse_account(s: &str) -> Result<Address> {
    match s.parse::<u64>() {
        Ok(i) if s.len() < 20 => Ok(Address::from_index(i)),
        _ => {
            parse_address(s).with_context(|| format!("account `{}`: an index or a 32-byte hex address", shorten(s, 40)))
        }
    }
}

/// Call input: `--input` hex (optional `0x`) or `--input-file` (raw bytes), not both.
pub fn read_input(hex_input: &str, file: Option<&Path>) -> Result<Vec<u8>> {
    match file {
        Some(_) if !hex_input.is_empty() => bail!("give --input or --input-file, not both"),
        Some(f) => std::fs::read(f).with_context(|| format!("reading {}", f.display())),
        None => parse_hex(hex_input).context("--input"),
    }
}

pub fn read_code(path: &Path) -> Result<Vec<u8>> {
    if path.extension().is_some_and(|e| e == "wat") {
        // `parse_file` names the file in a syntax error (line and column included).
        return wat::parse_file(path).map_err(|e| anyhow::anyhow!("{e}"));
    }
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

pub fn tx(
    chain: &Chain,
    cfg: &ChainConfig,
    sender: Address,
    nonce_offset: u64,
    gas: u64,
    kind: TxKind,
) -> Result<Transaction> {
    Ok(Transaction {
        sender,
        nonce: chain.account(&sender)?.nonce + nonce_offset,
        gas_limit: gas,
        chain_id: cfg.chain.chain_id,
        access_list: None,
        kind,
    })
}

/// How receipts print: `--full` shows whole topics and event data.
static FULL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn set_full_output(full: bool) {
    FULL.store(full, std::sync::atomic::Ordering::Relaxed);
}

/// Bytes for a person: printable UTF-8 as a quoted string, anything else as hex.
pub fn text_or_hex(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(t) if !t.is_empty() && !t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') => format!("{t:?}"),
        _ => hex::encode(bytes),
    }
}

/// One receipt: status, code, gas, return data (revert data as text when it is UTF-8), the
/// deployed address, the failure `reason` (node-local, from [`vmhost::WaveOutput::notes`])
/// and the events.
pub fn print_receipt(label: &str, r: &Receipt, reason: Option<&str>) {
    print_outcome(label, r.status, r.code, r.gas_used, &r.return_data, &r.events, reason);
    if let Some(a) = r.contract_address {
        println!("      address {a}");
    }
}

pub fn print_outcome(
    label: &str,
    status: vmhost_abi::ReceiptStatus,
    code: vmhost_abi::ErrorCode,
    gas: u64,
    data: &[u8],
    events: &[vmhost_abi::Event],
    reason: Option<&str>,
) {
    let full = FULL.load(std::sync::atomic::Ordering::Relaxed);
    let data = if data.is_empty() {
        "-".to_string()
    } else if status == vmhost_abi::ReceiptStatus::Reverted {
        text_or_hex(data)
    } else {
        hex::encode(data)
    };
    println!("  {label:<34} {:<9} {:<22} gas {gas:>9}  return {data}", format!("{status:?}"), code.name());
    if let Some(why) = reason {
        println!("      reason: {why}");
    }
    for e in events {
        if full {
            println!("      event from {} topic {} data {}", e.contract, hex::encode(e.topic), hex::encode(&e.data));
        } else {
            let data = if e.data.len() > 32 {
                format!("{}.. ({} bytes)", hex::encode(&e.data[..32]), e.data.len())
            } else {
                hex::encode(&e.data)
            };
            println!("      event from {} topic {}.. data {data}", e.contract, hex::encode(&e.topic[..6]));
        }
    }
}

/// What a command that sends one transaction reports to `main`: whether its receipt succeeded
/// (`--exit-code` turns a failure into exit status 3).
pub type Succeeded = bool;

pub fn deploy_cmd(cfg: &ChainConfig, code: &Path, sender: &str, parachain: bool, vm: &str) -> Result<Succeeded> {
    let vm = parse_type(vm)?;
    let sender = parse_account(sender)?;
    let mut chain = open(cfg)?;
    let code = read_code(code)?;
    let kind = TxKind::ContractDeploy { vm, code, deposit: 0, parachain, non_reentrant: false };
    let block = next_block(&chain, cfg);
    // A deploy may use up to the chain's per-transaction gas limit.
    let gas = chain.params_at(block.wave_id).max_tx_gas;
    let t = tx(&chain, cfg, sender, 0, gas, kind)?;
    let out = chain.execute_wave(&block, &[t])?;
    print_receipt("deploy", &out.receipts[0], out.notes[0].as_deref());
    println!("state root {}", hex::encode(out.record.state_root));
    Ok(out.receipts[0].is_success())
}

/// What `call` and `query` take.
pub struct CallArgs<'a> {
    pub contract: &'a str,
    pub entry: &'a str,
    pub input: Vec<u8>,
    pub sender: &'a str,
    pub gas: u64,
    pub value: u128,
}

pub fn call_cmd(cfg: &ChainConfig, a: CallArgs<'_>) -> Result<Succeeded> {
    let sender = parse_account(a.sender)?;
    let mut chain = open(cfg)?;
    let kind = TxKind::ContractCall {
        contract: parse_address(a.contract)?,
        entry: a.entry.to_string(),
        input: a.input,
        value: a.value,
    };
    let t = tx(&chain, cfg, sender, 0, a.gas, kind)?;
    let out = chain.execute_wave(&next_block(&chain, cfg), &[t])?;
    print_receipt(a.entry, &out.receipts[0], out.notes[0].as_deref());
    println!("state root {}", hex::encode(out.record.state_root));
    Ok(out.receipts[0].is_success())
}

/// A read-only call against the committed head: nothing is written, nobody pays.
pub fn query_cmd(cfg: &ChainConfig, a: CallArgs<'_>) -> Result<Succeeded> {
    let sender = parse_account(a.sender)?;
    let mut chain = open(cfg)?;
    let q = vmhost::Query {
        sender,
        contract: parse_address(a.contract)?,
        entry: a.entry.to_string(),
        input: a.input,
        value: a.value,
        gas_limit: a.gas,
    };
    let out = chain.query(&next_block(&chain, cfg), &q)?;
    print_outcome(a.entry, out.status, out.code, out.gas_used, &out.return_data, &out.events, out.note.as_deref());
    Ok(out.code.is_ok())
}

/// A transaction's call tree, traced at the ABI level (every backend alike), as a dry run
/// against the head: nothing is committed.
pub fn trace_cmd(cfg: &ChainConfig, a: CallArgs<'_>, json: bool) -> Result<Succeeded> {
    let sender = parse_account(a.sender)?;
    let mut chain = open(cfg)?;
    let kind = TxKind::ContractCall {
        contract: parse_address(a.contract)?,
        entry: a.entry.to_string(),
        input: a.input,
        value: a.value,
    };
    let t = tx(&chain, cfg, sender, 0, a.gas, kind)?;
    let mut tracer = vmhost::trace::CallTracer::new();
    let (receipt, note) = chain.trace_call(&next_block(&chain, cfg), &t, &mut tracer)?;
    let tree = tracer.into_tree();
    if json {
        let doc = serde_json::json!({
            "status": format!("{:?}", receipt.status),
            "code": receipt.code.name(),
            "gas_used": receipt.gas_used,
            "return_data": hex::encode(&receipt.return_data),
            "reason": note,
            "trace": tree,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print_receipt(a.entry, &receipt, note.as_deref());
        match tree {
            Some(tree) => print!("{}", tree.render()),
            None => println!("(no call ran: the transaction was refused at ingress)"),
        }
    }
    Ok(receipt.is_success())
}
