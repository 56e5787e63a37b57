//! Module cache and artifacts: corrupt or foreign artifacts recompile, identical code shares
//! one module, gas never depends on the cache (upgrades: `upgrades.rs`).

use vmhost::cache::{artifact_key, artifact_tag, build_artifact};
use vmhost::state::{Column, WriteBatch};
use vmhost_abi::{ContractType, ReceiptStatus};
use vmhost_tests::{example_wasm, example_wat, user};
use vmhost_wasmtime::{Metering, WasmtimeConfig, WasmtimeVm};

use crate::wasm_examples::Env;

fn overwrite_artifact(env: &Env, code: &[u8], bytes: Vec<u8>) {
    let vm = env.chain.env().registry.vm(&ContractType::Wasm).expect("wasm vm").clone();
    let tag = artifact_tag(&*vm, env.chain.params_at(1));
    let key = artifact_key(&tag, blake3::hash(code).as_bytes());
    assert!(env.chain.env().store().get(Column::Artifacts, &key).expect("get").is_some(), "deploy stored the artifact");
    let mut b = WriteBatch::new();
    b.put(Column::Artifacts, key, bytes);
    env.chain.env().store().write(b).expect("write");
    env.chain.env().modules.clear();
}

#[test]
fn corrupt_artifact_in_the_store_is_recompiled_with_identical_gas() {
    let mut env = Env::new();
    let code = example_wasm("counter");
    let c = env.deploy(code.clone());
    let warm = env.call(2, c, "get", vec![]);
    overwrite_artifact(&env, &code, b"definitely not an artifact".to_vec());
    let cold = env.call(2, c, "get", vec![]);
    assert_eq!(cold.status, ReceiptStatus::Success);
    assert_eq!(
        (cold.gas_used, cold.return_data.clone()),
        (warm.gas_used, warm.return_data.clone()),
        "gas never depends on the cache"
    );
    let stats = env.chain.env().modules.stats();
    assert_eq!((stats.bad_artifacts, stats.recompiles), (1, 1));
    // The rewritten artifact loads from the store next time.
    env.chain.env().modules.clear();
    env.call(2, c, "get", vec![]);
    assert_eq!(env.chain.env().modules.stats().loads, 1);
}

#[test]
fn foreign_engine_artifact_is_refused_and_recompiled() {
    let mut env = Env::new();
    let code = example_wasm("counter");
    let c = env.deploy(code.clone());
    env.call(2, c, "increment", vec![]);
    let before = env.call(2, c, "increment", vec![]);
    // A well-formed artifact of another engine configuration (engine fuel instead of injected).
    let mut other_cfg = WasmtimeConfig::default();
    other_cfg.metering(Metering::EngineFuel);
    let other = WasmtimeVm::new(other_cfg).expect("vm");
    let params = vmhost::ConsensusParams::default();
    overwrite_artifact(&env, &code, build_artifact(&other, &code, &params).expect("build").expect("accepted"));
    let after = env.call(2, c, "increment", vec![]);
    assert_eq!(after.return_data, 3u64.to_le_bytes());
    assert_eq!(after.gas_used, before.gas_used);
    assert_eq!(env.chain.env().modules.stats().bad_artifacts, 1);
}

#[test]
fn identical_code_shares_one_compiled_module() {
    let mut env = Env::new();
    let a = env.deploy(example_wasm("counter"));
    let b = env.deploy(example_wasm("counter"));
    env.chain.env().modules.clear();
    env.call(2, a, "get", vec![]);
    env.call(2, b, "get", vec![]);
    let s = env.chain.env().modules.stats();
    assert_eq!((s.loads, s.shared), (1, 1), "{s:?}");
    assert_eq!(env.chain.env().modules.resident().len(), 2);
}

#[test]
fn module_cache_respects_its_capacity() {
    let cache = vmhost::cache::ModuleCache::new(2);
    let vm = WasmtimeVm::new(WasmtimeConfig::default()).expect("vm");
    let code = example_wat("counter");
    let hash = *blake3::hash(&code).as_bytes();
    let params = vmhost::ConsensusParams::default();
    let tag = artifact_tag(&vm, &params);
    for i in 0..3 {
        let artifact = build_artifact(&vm, &code, &params).expect("build").expect("accepted");
        cache.install(&user(100 + i), hash, &vm, tag, artifact).expect("install");
    }
    let resident = cache.resident();
    assert_eq!(resident.len(), 2);
    assert!(!resident.iter().any(|(a, _)| *a == user(100)), "least recently used was evicted");
}
