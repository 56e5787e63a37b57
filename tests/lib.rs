//! Shared helpers for vmhost's integration tests and benchmarks: chains wired with the real
//! backends over a temporary RocksDB store, the example contracts, transaction builders.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use vmhost::state::{MemStore, RocksStore, Store};
use vmhost::{Chain, ExecConfig, VmRegistry};
use vmhost_abi::{Address, ContractType, Transaction, TxKind};
use vmhost_native::NativePlugin;
use vmhost_wasmtime::{WasmtimeConfig, WasmtimeVm};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Bytes of a shipped example contract (`examples/wasm/<name>.wasm`).
pub fn example_wasm(name: &str) -> Vec<u8> {
    let path = repo_root().join("examples/wasm").join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("example contract {}: {e}", path.display()))
}

/// A WAT example compiled to wasm (`examples/wat/<name>.wat`).
pub fn example_wat(name: &str) -> Vec<u8> {
    let path = repo_root().join("examples/wat").join(format!("{name}.wat"));
    wat::parse_file(&path).unwrap_or_else(|e| panic!("example {}: {e}", path.display()))
}

/// A contract of the hostile corpus (`tests/corpus/<name>.wat`), compiled to wasm: the
/// contracts every backend must survive and stop at the host's limits.
pub fn corpus(name: &str) -> Vec<u8> {
    let path = repo_root().join("tests/corpus").join(format!("{name}.wat"));
    wat::parse_file(&path).unwrap_or_else(|e| panic!("corpus contract {}: {e}", path.display()))
}

/// A registry with the native plugin and a wasmtime backend.
pub fn registry(cfg: WasmtimeConfig) -> VmRegistry {
    registry_with(Arc::new(WasmtimeVm::new(cfg).expect("wasmtime")))
}

/// A registry with the native plugin and `vm` (kept by the caller, to look at it afterwards).
pub fn registry_with(vm: Arc<WasmtimeVm>) -> VmRegistry {
    registry_of(vm)
}

/// A registry with the native plugin and any wasm backend `vm`.
pub fn registry_of(vm: Arc<dyn vmhost::Vm>) -> VmRegistry {
    let mut r = VmRegistry::new();
    r.register_native(Arc::new(NativePlugin)).expect("native");
    r.register_vm(ContractType::Wasm, vm).expect("wasm");
    r
}

/// The backends the differential test compares (every configuration but wasmtime's
/// all-fresh one), built once per process; each case gets fresh chains over them.
pub fn differential_backends() -> &'static [(&'static str, Arc<dyn vmhost::Vm>)] {
    static B: std::sync::OnceLock<Vec<(&'static str, Arc<dyn vmhost::Vm>)>> = std::sync::OnceLock::new();
    B.get_or_init(|| {
        backend_configs()
            .into_iter()
            .filter(|(name, _)| *name != "wasmtime-cold")
            .map(|(name, make)| (name, make()))
            .collect()
    })
}

/// The shared library of VM plugin crate `crate_name` (`vmhost_wasmi_plugin`, ...) that cargo
/// built beside this test binary (the plugin crates are dev-dependencies of this crate, so
/// `cargo test` builds them first, in the same profile). `VMHOST_PLUGIN_DIR` overrides where
/// to look.
pub fn plugin_path(crate_name: &str) -> PathBuf {
    use std::env::consts::{DLL_PREFIX, DLL_SUFFIX};
    let file = format!("{DLL_PREFIX}{crate_name}{DLL_SUFFIX}");
    if let Some(dir) = std::env::var_os("VMHOST_PLUGIN_DIR") {
        return PathBuf::from(dir).join(file);
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let deps = exe.parent().expect("target/<profile>/deps").to_path_buf();
    for dir in [deps.clone(), deps.parent().map(Path::to_path_buf).unwrap_or_default()] {
        if dir.join(&file).is_file() {
            return dir.join(file);
        }
    }
    panic!("{file} not found beside {}: is {crate_name} a dev-dependency of vmhost-tests?", exe.display())
}

/// Builds a fresh backend of one configuration.
pub type MakeVm = Arc<dyn Fn() -> Arc<dyn vmhost::Vm> + Send + Sync>;

/// The wasm backend configurations every conformance fixture runs on: wasmtime with injected
/// metering and warm instances (the reference), the same with every call on a fresh instance
/// in a fresh store, wasmer with Cranelift and with Singlepass (both with warm instances).
/// (wasmtime's engine fuel cannot run the default gas schedule: its operator costs are at most
/// 255 and a memory page costs 8192; `wasm_gas` tests it on a schedule it can charge.)
pub fn backend_configs() -> Vec<(&'static str, MakeVm)> {
    use vmhost_wasmer::{Compiler, WasmerConfig, WasmerVm};
    vec![
        (
            "wasmtime",
            Arc::new(|| Arc::new(WasmtimeVm::new(WasmtimeConfig::default()).expect("wasmtime")) as Arc<dyn vmhost::Vm>),
        ),
        (
            "wasmtime-cold",
            Arc::new(|| {
                let mut c = WasmtimeConfig::default();
                c.instance_reuse(0).store_reuse(1);
                Arc::new(WasmtimeVm::new(c).expect("wasmtime")) as Arc<dyn vmhost::Vm>
            }),
        ),
        (
            "wasmer-cranelift",
            Arc::new(|| {
                Arc::new(WasmerVm::new(WasmerConfig::with_compiler(Compiler::Cranelift)).expect("wasmer"))
                    as Arc<dyn vmhost::Vm>
            }),
        ),
        (
            "wasmer-singlepass",
            Arc::new(|| {
                Arc::new(WasmerVm::new(WasmerConfig::with_compiler(Compiler::Singlepass)).expect("wasmer"))
                    as Arc<dyn vmhost::Vm>
            }),
        ),
    ]
}

/// A chain over `store` with the default backends and funded accounts 1..=n.
pub fn chain_on(store: Arc<dyn Store>, cfg: WasmtimeConfig, funded: u64) -> Chain {
    chain_with(store, registry(cfg), funded)
}

/// A chain over `store` with `registry` and funded accounts 1..=n.
pub fn chain_with(store: Arc<dyn Store>, registry: VmRegistry, funded: u64) -> Chain {
    chain_with_config(store, registry, ExecConfig::default(), funded)
}

/// A chain over `store` with `registry`, executor configuration `exec` and funded accounts
/// 1..=n.
pub fn chain_with_config(store: Arc<dyn Store>, registry: VmRegistry, exec: ExecConfig, funded: u64) -> Chain {
    let mut chain = Chain::open(store, registry, exec).expect("open");
    if chain.head().jmt_version.is_none() {
        let alloc: Vec<(Address, u128)> = (1..=funded).map(|i| (user(i), 1_000_000_000_000)).collect();
        chain.genesis(&alloc).expect("genesis");
    }
    chain
}

/// A chain over a fresh RocksDB store in `dir`.
pub fn rocks_chain(dir: &Path, cfg: WasmtimeConfig) -> Chain {
    chain_on(Arc::new(RocksStore::open_with(dir, false).expect("rocksdb")), cfg, 8)
}

/// A chain over a fresh RocksDB store in `dir`, with consensus parameters and node settings
/// `exec`; the wasmtime backend is sized to them ([`WasmtimeConfig::fit_chain`]).
pub fn rocks_chain_with(dir: &Path, mut cfg: WasmtimeConfig, exec: ExecConfig) -> Chain {
    cfg.fit_chain(&exec);
    let store = Arc::new(RocksStore::open_with(dir, false).expect("rocksdb"));
    chain_with_config(store, registry(cfg), exec, 8)
}

/// A chain over a fresh in-memory store.
pub fn mem_chain(cfg: WasmtimeConfig) -> Chain {
    chain_on(Arc::new(MemStore::new()), cfg, 8)
}

/// Test account `i`.
pub fn user(i: u64) -> Address {
    Address::from_index(i)
}

/// A deploy transaction for wasm `code`.
pub fn deploy(sender: Address, nonce: u64, code: Vec<u8>) -> Transaction {
    vmhost::testing::tx(
        sender,
        nonce,
        TxKind::ContractDeploy { vm: ContractType::Wasm, code, deposit: 0, parachain: false, non_reentrant: false },
    )
}

/// A call transaction.
pub fn call(sender: Address, nonce: u64, contract: Address, entry: &str, input: Vec<u8>) -> Transaction {
    vmhost::testing::tx(sender, nonce, TxKind::ContractCall { contract, entry: entry.into(), input, value: 0 })
}

/// The node binary's allocator tuning (`tune_allocator` in `host/cli/src/main.rs`: mimalloc
/// returns freed memory to the OS after 1 s idle instead of 10 ms), for the benches, which
/// link mimalloc as the node does: without it a large wave faults its pages back in on every
/// iteration (the 200,000 token wave measured 1.10-1.19x the 2,000 one's cost per
/// transaction; with it 0.98x), and the figures are not the node's.
pub fn node_allocator() {
    /// mimalloc's `mi_option_purge_delay` (its position in mimalloc v2's `mimalloc.h`).
    const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: sets an option of the allocator this process links; any value is valid.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1_000) }
}

/// For end-to-end benches: commits `iters` waves, the `i`-th of them `wave(round)` as wave
/// `10 + round` with `round` counting on across calls (each round's nonces follow the last),
/// and returns the time spent in `execute_wave` (building the transactions is not timed).
/// Every transaction must succeed.
pub fn timed_commits(
    chain: &mut Chain,
    iters: u64,
    round: &mut u64,
    wave: impl Fn(u64) -> Vec<Transaction>,
) -> std::time::Duration {
    let mut total = std::time::Duration::ZERO;
    for _ in 0..iters {
        let txs = wave(*round);
        let t = std::time::Instant::now();
        let out = chain.execute_wave(&vmhost::testing::block(10 + *round), &txs).expect("wave");
        total += t.elapsed();
        *round += 1;
        assert!(out.receipts.iter().all(|r| r.is_success()), "{:?}", out.receipts.iter().find(|r| !r.is_success()));
    }
    total
}

/// [`timed_commits`] through [`Chain::execute_waves`] (each wave's write overlapping the next
/// wave's execution): the `iters` waves are built first (not timed), then committed pipelined.
pub fn timed_pipelined(
    chain: &mut Chain,
    iters: u64,
    round: &mut u64,
    wave: impl Fn(u64) -> Vec<Transaction>,
) -> std::time::Duration {
    let waves: Vec<_> = (*round..*round + iters).map(|r| (vmhost::testing::block(10 + r), wave(r))).collect();
    *round += iters;
    let mut failed = 0usize;
    let t = std::time::Instant::now();
    chain.execute_waves(waves, |out| failed += out.receipts.iter().filter(|r| !r.is_success()).count()).expect("waves");
    let total = t.elapsed();
    assert_eq!(failed, 0, "transactions failed");
    total
}
