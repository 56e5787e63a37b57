//! One set of consensus parameters: committed in the state and in every wave record, checked
//! when a store is opened, changed only by an upgrade at a given wave.

use std::sync::Arc;

use vmhost::state::RocksStore;
use vmhost::{Chain, ConsensusParams, Error, ExecConfig};
use vmhost_abi::{keys, GasCost};
use vmhost_tests::{registry, user};
use vmhost_wasmtime::WasmtimeConfig;

fn open(dir: &std::path::Path, exec: ExecConfig) -> vmhost::Result<Chain> {
    let mut cfg = WasmtimeConfig::default();
    cfg.fit_chain(&exec);
    let store = Arc::new(RocksStore::open_with(dir, false).expect("rocksdb"));
    Chain::open(store, registry(cfg), exec)
}

/// A store with genesis and one committed wave under `exec`.
fn store_with_a_wave(dir: &std::path::Path, exec: ExecConfig) {
    let mut chain = open(dir, exec).expect("open");
    chain.genesis(&[(user(1), 1 << 40)]).expect("genesis");
    let t = vmhost::testing::transfer(user(1), 0, user(2), 5);
    chain.execute_wave(&vmhost::testing::block(1), &[t]).expect("wave");
}

fn mismatch(dir: &std::path::Path, exec: ExecConfig) -> (String, String, String) {
    match open(dir, exec) {
        Err(Error::ParamsMismatch { name, stored, configured }) => (name, stored, configured),
        other => panic!("expected a parameter mismatch, got {other:?}"),
    }
}

#[test]
fn a_store_refuses_other_consensus_parameters_naming_the_parameter() {
    let dir = tempfile::tempdir().unwrap();
    store_with_a_wave(dir.path(), ExecConfig::default());
    let mut gas = ExecConfig::default();
    gas.consensus.gas.set("sstore", GasCost { base: 6_000, per_byte: 10 }).unwrap();
    assert_eq!(mismatch(dir.path(), gas), ("gas.sstore.base".into(), "5000".into(), "6000".into()));
    let mut stack = ExecConfig::default();
    stack.consensus.stack_limit = 65_536;
    assert_eq!(mismatch(dir.path(), stack).0, "stack_limit");
    let mut memory = ExecConfig::default();
    memory.consensus.ops.memory_page = 1;
    assert_eq!(mismatch(dir.path(), memory).0, "ops.memory_page");
    let mut native = ExecConfig::default();
    native.consensus.native.min_stake = 5;
    assert_eq!(mismatch(dir.path(), native).0, "native.min_stake");
    // The same parameters open it, with its state.
    let chain = open(dir.path(), ExecConfig::default()).expect("same parameters");
    assert_eq!(chain.account(&user(2)).unwrap().balance, 5);
    drop(chain);
    // The error says what to do.
    let mut again = ExecConfig::default();
    again.consensus.stack_limit = 1;
    let err = open(dir.path(), again).err().unwrap().to_string();
    assert!(err.contains("stack_limit") && err.contains("upgrade"), "{err}");
}

#[test]
fn the_parameters_hash_is_in_the_state_and_in_every_wave_record() {
    let dir = tempfile::tempdir().unwrap();
    let params = ConsensusParams::default();
    store_with_a_wave(dir.path(), ExecConfig::default());
    let chain = open(dir.path(), ExecConfig::default()).unwrap();
    assert_eq!(chain.wave_record(1).unwrap().unwrap().params_hash, params.hash());
    assert_eq!(chain.jmt_get(&keys::consensus_params()).unwrap(), Some(params.hash().to_vec()));
    // Two chains that differ only in a parameter differ in their genesis root.
    let other_dir = tempfile::tempdir().unwrap();
    let mut other = ExecConfig::default();
    other.consensus.max_call_depth = 32;
    let mut b = open(other_dir.path(), other).unwrap();
    let mut a = open(tempfile::tempdir().unwrap().path(), ExecConfig::default()).unwrap();
    let accounts = [(user(1), 1u128 << 40)];
    assert_ne!(a.genesis(&accounts).unwrap(), b.genesis(&accounts).unwrap());
}

#[test]
fn an_upgrade_takes_effect_at_its_wave_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let mut upgraded = ConsensusParams::default();
    upgraded.gas.set("sstore", GasCost { base: 7_000, per_byte: 10 }).unwrap();
    let mut exec = ExecConfig::default();
    exec.upgrade_at(3, upgraded.clone());
    let mut chain = open(dir.path(), exec.clone()).unwrap();
    chain.genesis(&[(user(1), 1 << 40)]).unwrap();
    for w in 1..=4u64 {
        let t = vmhost::testing::transfer(user(1), w - 1, user(2), 1);
        let out = chain.execute_wave(&vmhost::testing::block(w), &[t]).unwrap();
        let expect = if w < 3 { ConsensusParams::default().hash() } else { upgraded.hash() };
        assert_eq!(out.record.params_hash, expect, "wave {w}");
    }
    assert_eq!(chain.jmt_get(&keys::consensus_params()).unwrap(), Some(upgraded.hash().to_vec()));
    let log: Vec<u64> = chain.params_log().iter().map(|(w, _)| *w).collect();
    assert_eq!(log, [0, 3]);
    drop(chain);
    // Reopening needs the same schedule: without the upgrade it is refused.
    assert_eq!(mismatch(dir.path(), ExecConfig::default()).0, "gas.sstore.base");
    assert!(open(dir.path(), exec).is_ok());
}

#[test]
fn the_chain_files_limits_and_the_librarys_reach_the_backend_the_same_way() {
    let text =
        "[consensus]\nstack_limit = 20000\n[consensus.memory]\nmax_tx_pages = 64\n[node]\ncall_timeout_ms = 2000\n";
    let file = vmhost::ChainConfig::from_toml(text).unwrap();
    // What the CLI does with the file (host/cli/src/chain.rs: wasmtime_config) ...
    let mut from_file = WasmtimeConfig::default();
    from_file.call_timeout(file.call_timeout()).fit_chain(&file.exec_config().unwrap());
    // ... and what a library user does with the same parameters in code.
    let mut exec = ExecConfig::default();
    exec.consensus.stack_limit = 20_000;
    exec.consensus.memory.max_tx_pages = 64;
    let mut from_code = WasmtimeConfig::default();
    from_code.call_timeout(std::time::Duration::from_millis(2_000)).fit_chain(&exec);
    assert_eq!(file.exec_config().unwrap().consensus, exec.consensus);
    assert_eq!(
        (from_file.memory_limit, from_file.max_wasm_stack, from_file.call_timeout),
        (from_code.memory_limit, from_code.max_wasm_stack, from_code.call_timeout)
    );
    assert_eq!(from_code.memory_limit, 64 * 65_536);
    assert_eq!(from_code.max_wasm_stack, 20_000 * 16 * 2);
    // A backend too small for the parameters is refused when the chain opens.
    let mut small = WasmtimeConfig::default();
    small.memory_limit(1 << 20);
    let store = Arc::new(vmhost::state::MemStore::new());
    let err = Chain::open(store, registry(small), ExecConfig::default()).err().unwrap().to_string();
    assert!(err.contains("max_tx_pages"), "{err}");
}
