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
    let bytes = hex::decode(s.trim_start_matches("0x")).context("address is not hex")?;
    let arr: [u8; 32] = bytes.try_into().map_err(|_| anyhow::anyhow!("address must be 32 bytes"))?;
    Ok(Address(arr))
}

pub fn read_code(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if path.extension().is_some_and(|e| e == "wat") {
        return Ok(wat::parse_bytes(&bytes)?.into_owned());
    }
    Ok(bytes)
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

pub fn print_receipt(label: &str, r: &Receipt) {
    println!(
        "  {label:<34} {:<9} {:<22} gas {:>9}  return {}{}",
        format!("{:?}", r.status),
        r.code.name(),
        r.gas_used,
        if r.return_data.is_empty() { "-".to_string() } else { hex::encode(&r.return_data) },
        r.contract_address.map(|a| format!("  address {a}")).unwrap_or_default()
    );
    for e in &r.events {
        println!(
            "      event from {:?} topic {}.. data {}",
            e.contract,
            hex::encode(&e.topic[..6]),
            hex::encode(&e.data)
        );
    }
}

pub fn deploy_cmd(cfg: &ChainConfig, code: &Path, sender: u64, parachain: bool, vm: &str) -> Result<()> {
    let vm = parse_type(vm)?;
    let mut chain = open(cfg)?;
    let code = read_code(code)?;
    let kind = TxKind::ContractDeploy { vm, code, deposit: 0, parachain, non_reentrant: false };
    let block = next_block(&chain, cfg);
    // A deploy may use up to the chain's per-transaction gas limit.
    let gas = chain.params_at(block.wave_id).max_tx_gas;
    let t = tx(&chain, cfg, Address::from_index(sender), 0, gas, kind)?;
    let out = chain.execute_wave(&block, &[t])?;
    print_receipt("deploy", &out.receipts[0]);
    println!("state root {}", hex::encode(out.record.state_root));
    Ok(())
}

pub fn call_cmd(
    cfg: &ChainConfig,
    contract: &str,
    entry: &str,
    input: &str,
    sender: u64,
    gas: u64,
    value: u128,
) -> Result<()> {
    let mut chain = open(cfg)?;
    let kind = TxKind::ContractCall {
        contract: parse_address(contract)?,
        entry: entry.to_string(),
        input: hex::decode(input).context("input is not hex")?,
        value,
    };
    let t = tx(&chain, cfg, Address::from_index(sender), 0, gas, kind)?;
    let out = chain.execute_wave(&next_block(&chain, cfg), &[t])?;
    print_receipt(entry, &out.receipts[0]);
    println!("state root {}", hex::encode(out.record.state_root));
    Ok(())
}
