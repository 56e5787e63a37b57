//! The wasmer backend's own behaviour: artifacts (framed, tagged per compiler, a corrupt or
//! foreign one refused so the host recompiles), a store written by one backend served by the
//! other with the same receipts, and the registry line that selects it.

use std::sync::Arc;

use vmhost::state::RocksStore;
use vmhost::testing::block;
use vmhost::{Vm, VmError};
use vmhost_abi::{ContractType, Receipt};
use vmhost_tests::{call, chain_with, deploy, example_wasm, registry_of, user};
use vmhost_wasmer::{Compiler, WasmerConfig, WasmerVm};
use vmhost_wasmtime::{WasmtimeConfig, WasmtimeVm};

fn wasmer(compiler: Compiler) -> Arc<WasmerVm> {
    Arc::new(WasmerVm::new(WasmerConfig::with_compiler(compiler)).expect("wasmer"))
}

fn prepared(vm: &dyn Vm) -> Vec<u8> {
    let params = vmhost::ConsensusParams::default();
    let code = example_wasm("counter");
    let pipeline = match vm.code_format() {
        vmhost::CodeFormat::Wasm(p) => p,
        vmhost::CodeFormat::Custom => panic!("a wasm backend"),
    };
    vmhost::wasm::prepare_module(&code, &params.wasm, &params.ops, pipeline).expect("prepare").code
}

#[test]
fn artifacts_are_framed_tagged_per_compiler_and_a_bad_one_is_refused() {
    let (cl, sp) = (wasmer(Compiler::Cranelift), wasmer(Compiler::Singlepass));
    let wt = WasmtimeVm::new(WasmtimeConfig::default()).expect("wasmtime");
    assert_ne!(cl.artifact_tag(), sp.artifact_tag(), "a Singlepass artifact would load silently into Cranelift");
    assert_ne!(cl.artifact_tag(), wt.artifact_tag());
    let artifact = cl.compile(&prepared(&*cl)).expect("compile");
    assert!(cl.load(&artifact).is_ok());
    // Flip one byte anywhere in the payload: the checksum catches it before wasmer sees it.
    for at in [40, artifact.len() / 2, artifact.len() - 1] {
        let mut bad = artifact.clone();
        bad[at] ^= 1;
        assert!(matches!(cl.load(&bad), Err(VmError::BadArtifact(_))), "byte {at}");
    }
    assert!(matches!(cl.load(&artifact[..artifact.len() - 7]), Err(VmError::BadArtifact(_))), "truncated");
    assert!(matches!(cl.load(b"garbage"), Err(VmError::BadArtifact(_))));
    let foreign = wt.compile(&prepared(&wt)).expect("wasmtime compile");
    assert!(matches!(cl.load(&foreign), Err(VmError::BadArtifact(_))), "a wasmtime artifact");
    assert!(matches!(wt.load(&artifact), Err(VmError::BadArtifact(_))), "and the other way round");
}

fn run_counter(chain: &mut vmhost::Chain, wave: u64, nonce: u64, counter: vmhost_abi::Address) -> Vec<Receipt> {
    let txs = [call(user(2), nonce, counter, "increment", vec![]), call(user(2), nonce + 1, counter, "get", vec![])];
    chain.execute_wave(&block(wave), &txs).expect("wave").receipts
}

#[test]
fn a_store_deployed_on_wasmtime_runs_on_wasmer_after_a_recompile_with_the_same_receipts() {
    let wt: Arc<dyn Vm> = Arc::new(WasmtimeVm::new(WasmtimeConfig::default()).expect("wasmtime"));
    // The reference: every wave on wasmtime, on an in-memory store.
    let mut reference = chain_with(Arc::new(vmhost::state::MemStore::new()), registry_of(wt.clone()), 8);
    let out = reference.execute_wave(&block(1), &[deploy(user(1), 0, example_wasm("counter"))]).expect("deploy");
    let counter = out.receipts[0].contract_address.expect("deployed");
    let expected: Vec<Vec<Receipt>> = (0..3).map(|w| run_counter(&mut reference, 2 + w, 2 * w, counter)).collect();

    // An archive node keeps every artifact; a pruning node drops, when it opens, the artifacts
    // no backend it runs can load (here wasmtime's, while wasmer serves `wasm`).
    for retain in [0, 1_000] {
        let dir = tempfile::tempdir().expect("tmp");
        let open = |vm: Arc<dyn Vm>| {
            let store = Arc::new(RocksStore::open_with(dir.path(), false).expect("rocksdb"));
            let mut exec = vmhost::ExecConfig::default();
            exec.node.retain_waves = retain;
            vmhost_tests::chain_with_config(store, registry_of(vm), exec, 8)
        };
        let artifacts = |chain: &vmhost::Chain| {
            chain.env().store().scan_prefix(vmhost::state::Column::Artifacts, &[], usize::MAX).expect("scan").len()
        };
        let mut chain = open(wt.clone());
        chain.execute_wave(&block(1), &[deploy(user(1), 0, example_wasm("counter"))]).expect("deploy");
        assert_eq!(run_counter(&mut chain, 2, 0, counter), expected[0]);
        assert_eq!(artifacts(&chain), 1);
        drop(chain);
        // Reopen the same store with wasmer: its tag finds no artifact, so it compiles from the
        // code kept in state; then back to wasmtime.
        let mut chain = open(wasmer(Compiler::Singlepass));
        assert_eq!(run_counter(&mut chain, 3, 2, counter), expected[1], "wasmer after wasmtime");
        assert_eq!(chain.env().modules.stats().recompiles, 1, "{:?}", chain.env().modules.stats());
        assert_eq!(artifacts(&chain), if retain == 0 { 2 } else { 1 }, "retain {retain}");
        drop(chain);
        let mut chain = open(wt.clone());
        assert_eq!(run_counter(&mut chain, 4, 4, counter), expected[2], "wasmtime after wasmer");
        // Its artifact is still there on the archive node; the pruning node compiles again.
        let recompiles = if retain == 0 { 0 } else { 1 };
        assert_eq!(chain.env().modules.stats().recompiles, recompiles, "{:?}", chain.env().modules.stats());
        assert_eq!(chain.state_root(), reference.state_root());
        assert_eq!(expected[2][1].return_data, 3u64.to_le_bytes());
    }
}

#[test]
fn wasmer_serves_the_wasm_contract_type_from_the_registry_like_any_backend() {
    let vm = wasmer(Compiler::Cranelift);
    let registry = registry_of(vm.clone());
    assert_eq!(registry.vm(&ContractType::Wasm).expect("registered").name(), "wasmer");
}
