//! Prices that follow the work, and no writes where nothing changes: FALCON charges key,
//! message and signature bytes, provider outputs are bounded, no-op writes create no state version, gas never depends
//! on the module cache, a simulation writes nothing.

use std::sync::Arc;

use vmhost::state::{Column, MemStore, RocksStore, Store};
use vmhost::testing::{block, host_call, tx, MockVm};
use vmhost::{Chain, ChainServices, ExecConfig, VmRegistry};
use vmhost_abi::{keys, Address, ContractType, ErrorCode, HostFn, ReceiptStatus, TxKind};
use vmhost_native::NativePlugin;
use vmhost_tests::{example_wasm, example_wat, user};

use crate::wasm_examples::Env;

/// Claims the devnet committee, and encrypts to a ciphertext one byte longer than return data
/// may be.
struct Generous;

impl ChainServices for Generous {
    fn threshold_committee_key(&self) -> Option<[u8; 32]> {
        Some(vmhost::params::DEVNET_COMMITTEE_KEY)
    }
    fn threshold_encrypt(&self, _plaintext: &[u8], _seed: &[u8; 32]) -> Result<Vec<u8>, ErrorCode> {
        Ok(vec![7; vmhost_abi::gas::MAX_RETURN_LEN as usize + 1])
    }
}

fn mock() -> ContractType {
    ContractType::Plugin("mock".into())
}

/// A chain with a mock contract (`script`) deployed as a parachain, and its address.
fn scripted(script: vmhost::testing::Script) -> (Chain, Address) {
    let vm = Arc::new(MockVm::new());
    vm.register(b"script", script);
    let mut reg = VmRegistry::new();
    reg.register_native(Arc::new(NativePlugin)).unwrap();
    reg.register_vm(mock(), vm).unwrap();
    let services: Arc<dyn ChainServices> = Arc::new(Generous);
    let mut chain = Chain::open_with_services(Arc::new(MemStore::new()), reg, ExecConfig::default(), services).unwrap();
    chain.genesis(&[(user(1), 1 << 50)]).unwrap();
    let kind = TxKind::ContractDeploy {
        vm: mock(),
        code: b"script".to_vec(),
        deposit: 0,
        parachain: true,
        non_reentrant: false,
    };
    let out = chain.execute_wave(&block(1), &[tx(user(1), 0, kind)]).unwrap();
    (chain, out.receipts[0].contract_address.unwrap())
}

fn parachain_call(chain: &mut Chain, wave: u64, contract: Address) -> vmhost_abi::Receipt {
    let nonce = chain.account(&user(1)).unwrap().nonce;
    let kind = TxKind::ParachainCall { contract, entry: "run".into(), input: vec![], value: 0 };
    chain.execute_wave(&block(wave), &[tx(user(1), nonce, kind)]).unwrap().receipts.remove(0)
}

#[test]
fn falcon_verify_charges_key_message_and_signature_bytes() {
    let (mut chain, c) = scripted(Arc::new(|_, host, mem, gas| {
        let before = *gas;
        host_call(host, HostFn::FalconVerify, &[0, 10, 100, 20, 200, 30], mem, gas)?;
        let used = (before - *gas).to_le_bytes();
        mem[1000..1008].copy_from_slice(&used);
        host_call(host, HostFn::SetReturn, &[1000, 8], mem, gas).map(|_| ())
    }));
    let r = parachain_call(&mut chain, 2, c);
    assert!(r.is_success(), "malformed input is an invalid signature, not a trap: {r:?}");
    let cost = HostFn::FalconVerify.spec().gas;
    let weight = vmhost::ConsensusParams::default().crypto.falcon_message_weight;
    assert_eq!(weight, 5);
    assert_eq!(r.return_data, cost.for_bytes(10 + 30 + weight * 20).to_le_bytes());
}

#[test]
fn a_providers_oversized_output_is_refused_before_it_reaches_the_guest() {
    let (mut chain, c) = scripted(Arc::new(|_, host, mem, gas| {
        host_call(host, HostFn::ThresholdEncrypt, &[0, 4, 0, 16], mem, gas).map(|_| ())
    }));
    let r = parachain_call(&mut chain, 2, c);
    assert_eq!((r.status, r.code), (ReceiptStatus::Trapped, ErrorCode::ReturnDataTooLarge));
}

const SLOTS: &str = r#"(module
  (import "vmhost" "sstore" (func $sstore (param i32 i32 i32)))
  (import "vmhost" "sdelete" (func $sdelete (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01")
  (data (i32.const 32) "v")
  (func (export "put") (call $sstore (i32.const 0) (i32.const 32) (i32.const 1)))
  (func (export "del") (call $sdelete (i32.const 0))))"#;

#[test]
fn same_value_sstore_and_empty_slot_sdelete_create_no_state_version() {
    let mut env = Env::new();
    let c = env.deploy(wat::parse_str(SLOTS).unwrap());
    let key = keys::storage(&c, &[1; 32]);
    let versions = |env: &Env| {
        let prefix = vmhost::state::commit::key_hash(&key).0;
        env.chain.env().store().scan_prefix(Column::JmtValues, &prefix, 100).unwrap().len()
    };
    let first = env.call(2, c, "put", vec![]);
    assert!(first.is_success());
    assert_eq!(versions(&env), 1);
    let same = env.call(2, c, "put", vec![]);
    assert!(same.is_success());
    assert_eq!(versions(&env), 1, "writing the value the slot holds is no new version");
    assert!(env.call(2, c, "del", vec![]).is_success());
    assert_eq!(versions(&env), 2, "a deletion is one");
    assert!(env.call(2, c, "del", vec![]).is_success());
    assert_eq!(versions(&env), 2, "deleting an empty slot is none");
    assert_eq!(env.chain.storage(&c, &[1; 32]).unwrap(), None);
    // The new-slot surcharge is the only difference between the first and the second write.
    assert_eq!(first.gas_used - same.gas_used, vmhost_abi::gas::NEW_SLOT_SURCHARGE);
}

#[test]
fn nested_call_gas_is_the_same_whether_or_not_the_callee_is_resident() {
    let mut env = Env::new();
    let proxy = env.deploy(example_wat("proxy"));
    let counter = env.deploy(example_wasm("counter"));
    let mut input = counter.0.to_vec();
    input.extend_from_slice(b"increment");
    let warm = env.call(2, proxy, "call", input.clone());
    assert!(warm.is_success(), "{warm:?}");
    let warm_again = env.call(2, proxy, "call", input.clone());
    env.chain.env().modules.clear();
    let cold = env.call(2, proxy, "call", input);
    assert!(env.chain.env().modules.stats().loads >= 2, "both modules came from the store");
    assert_eq!(cold.gas_used, warm_again.gas_used);
    assert_eq!(&cold.return_data[..4], &0u32.to_le_bytes());
}

/// A column's keys and values, in order.
type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Every key and value of every column.
fn dump(store: &dyn Store) -> Vec<(Column, Entries)> {
    Column::ALL.iter().map(|c| (*c, store.scan_prefix(*c, &[], usize::MAX).unwrap())).collect()
}

#[test]
fn simulate_wave_with_a_deploy_leaves_the_store_byte_for_byte_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(RocksStore::open_with(dir.path(), false).unwrap());
    let mut chain =
        vmhost_tests::chain_with(store.clone(), vmhost_tests::registry(vmhost_wasmtime::WasmtimeConfig::default()), 4);
    let counter = {
        let out = chain.execute_wave(&block(1), &[vmhost_tests::deploy(user(1), 0, example_wasm("counter"))]).unwrap();
        out.receipts[0].contract_address.unwrap()
    };
    let before = dump(&*store);
    let txs = vec![
        vmhost_tests::deploy(user(1), 1, example_wasm("token")),
        vmhost_tests::deploy(user(2), 0, example_wat("traps")),
        vmhost_tests::call(user(3), 0, counter, "increment", vec![]),
    ];
    let dry = chain.simulate_wave(&block(2), &txs).unwrap();
    assert!(dry.iter().all(|r| r.is_success()), "{dry:?}");
    assert_eq!(dump(&*store), before, "a simulation writes nothing, not even artifacts");
    // The real wave afterwards gives the same receipts and writes the artifacts.
    let out = chain.execute_wave(&block(2), &txs).unwrap();
    assert_eq!(out.receipts, dry);
    let artifacts = |s: &dyn Store| s.scan_prefix(Column::Artifacts, &[], usize::MAX).unwrap().len();
    assert_eq!(artifacts(&*store), before.iter().find(|(c, _)| *c == Column::Artifacts).unwrap().1.len() + 2);
}
