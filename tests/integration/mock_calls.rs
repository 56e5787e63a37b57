//! Host-level call semantics with the scriptable mock VM (no engine): fees on revert, nested
//! overlays through cross calls, static and access-list violations, depth limit, registry errors.

use std::sync::Arc;

use vmhost::state::MemStore;
use vmhost::testing::{block, host_call, transfer, tx, MockVm, Script};
use vmhost::{Chain, ExecConfig, RegistryError, VmRegistry};
use vmhost_abi::{keys, AccessList, Address, ContractType, ErrorCode, HostFn, ReceiptStatus, TxKind};
use vmhost_native::NativePlugin;
use vmhost_tests::user;

const MOCK: &str = "mock";
const TOPIC_A: [u8; 32] = [0xa; 32];
const TOPIC_B: [u8; 32] = [0xb; 32];

fn mock_type() -> ContractType {
    ContractType::Plugin(MOCK.into())
}

/// Memory layout used by the scripts.
const TARGET: u64 = 0;
const ENTRY: u64 = 64;
const VALUE: u64 = 128;
const SLOT: u64 = 256;
const DATA: u64 = 320;
const TOPIC: u64 = 400;
const OUT: u64 = 512;

fn put(mem: &mut [u8], at: u64, bytes: &[u8]) {
    mem[at as usize..at as usize + bytes.len()].copy_from_slice(bytes);
}

/// Writes slot [n;32] := "v", emits an event with `topic`.
fn write_and_emit(
    host: &mut dyn vmhost::Host,
    mem: &mut Vec<u8>,
    gas: &mut u64,
    n: u8,
    topic: [u8; 32],
) -> Result<(), vmhost::HostTrap> {
    put(mem, SLOT, &[n; 32]);
    put(mem, DATA, b"v");
    put(mem, TOPIC, &topic);
    host_call(host, HostFn::Sstore, &[SLOT, DATA, 1], mem, gas)?;
    host_call(host, HostFn::EmitEvent, &[TOPIC, DATA, 1], mem, gas)?;
    Ok(())
}

fn callee() -> Script {
    Arc::new(|entry, host, mem, gas| {
        write_and_emit(host, mem, gas, 1, TOPIC_B)?;
        match entry {
            "write" => Ok(()),
            "write_then_revert" => {
                put(mem, DATA, b"no");
                host_call(host, HostFn::Revert, &[DATA, 2], mem, gas).map(|_| ())
            }
            _ => Err(vmhost::HostTrap::new(ErrorCode::UnknownEntryPoint)),
        }
    })
}

/// Calls contract `target` (stored in its input) at the entry given by the entry point name
/// suffix: `call:write`, `static:write`, `call:write_then_revert`, `recurse`.
fn caller() -> Script {
    Arc::new(|entry, host, mem, gas| {
        write_and_emit(host, mem, gas, 2, TOPIC_A)?;
        host_call(host, HostFn::InputRead, &[TARGET, 0, 32], mem, gas)?;
        let (kind, callee_entry) = entry.split_once(':').unwrap_or((entry, entry));
        put(mem, ENTRY, callee_entry.as_bytes());
        put(mem, VALUE, &[0; 16]);
        let n = callee_entry.len() as u64;
        let code = match kind {
            "static" => host_call(host, HostFn::CrossCallStatic, &[TARGET, ENTRY, n, TARGET, 32, 1_000_000], mem, gas)?,
            "recurse" => {
                // Calls itself (input = own address) with entry "recurse" until the depth limit.
                put(mem, ENTRY, b"recurse");
                host_call(host, HostFn::CrossCall, &[TARGET, ENTRY, 7, TARGET, 32, VALUE, 1_000_000_000], mem, gas)?
            }
            _ => host_call(host, HostFn::CrossCall, &[TARGET, ENTRY, n, TARGET, 32, VALUE, 1_000_000], mem, gas)?,
        };
        put(mem, OUT, &(code as u32).to_le_bytes());
        host_call(host, HostFn::SetReturn, &[OUT, 4], mem, gas)?;
        Ok(())
    })
}

fn mock_chain() -> (Chain, Address, Address) {
    let vm = Arc::new(MockVm::new());
    vm.register(b"callee", callee());
    vm.register(b"caller", caller());
    let mut reg = VmRegistry::new();
    reg.register_native(Arc::new(NativePlugin)).unwrap();
    reg.register_vm(mock_type(), vm).unwrap();
    let mut chain = Chain::open(Arc::new(MemStore::new()), reg, ExecConfig::default()).unwrap();
    chain.genesis(&[(user(1), 1_000_000_000_000)]).unwrap();
    let deploy = |nonce, code: &[u8]| {
        tx(
            user(1),
            nonce,
            TxKind::ContractDeploy {
                vm: mock_type(),
                code: code.to_vec(),
                deposit: 10,
                parachain: false,
                non_reentrant: false,
            },
        )
    };
    let out = chain.execute_wave(&block(1), &[deploy(0, b"callee"), deploy(1, b"caller")]).unwrap();
    assert!(out.receipts.iter().all(|r| r.is_success()), "{:?}", out.receipts);
    let b = out.receipts[0].contract_address.unwrap();
    let a = out.receipts[1].contract_address.unwrap();
    (chain, a, b)
}

fn call(nonce: u64, contract: Address, entry: &str, target: Address) -> vmhost_abi::Transaction {
    tx(user(1), nonce, TxKind::ContractCall { contract, entry: entry.into(), input: target.0.to_vec(), value: 0 })
}

fn returned_code(r: &vmhost_abi::Receipt) -> u32 {
    u32::from_le_bytes(r.return_data[..4].try_into().unwrap())
}

#[test]
fn cross_call_success_merges_callee_state_and_events() {
    let (mut chain, a, b) = mock_chain();
    let out = chain.execute_wave(&block(2), &[call(2, a, "call:write", b)]).unwrap();
    let r = &out.receipts[0];
    assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");
    assert_eq!(returned_code(r), 0);
    assert_eq!(r.events.iter().map(|e| (e.contract, e.topic)).collect::<Vec<_>>(), [(a, TOPIC_A), (b, TOPIC_B)]);
    assert_eq!(chain.storage(&b, &[1; 32]).unwrap().as_deref(), Some(&b"v"[..]));
    assert_eq!(chain.storage(&a, &[2; 32]).unwrap().as_deref(), Some(&b"v"[..]));
}

#[test]
fn cross_call_revert_discards_callee_state_and_events_but_caller_continues() {
    let (mut chain, a, b) = mock_chain();
    let out = chain.execute_wave(&block(2), &[call(2, a, "call:write_then_revert", b)]).unwrap();
    let r = &out.receipts[0];
    assert_eq!(r.status, ReceiptStatus::Success);
    assert_eq!(returned_code(r), ErrorCode::Reverted.as_u32());
    assert_eq!(r.events.iter().map(|e| e.topic).collect::<Vec<_>>(), [TOPIC_A], "callee events discarded");
    assert_eq!(chain.storage(&b, &[1; 32]).unwrap(), None, "callee writes discarded");
    assert_eq!(chain.storage(&a, &[2; 32]).unwrap().as_deref(), Some(&b"v"[..]));
}

#[test]
fn static_call_that_writes_traps_with_static_violation() {
    let (mut chain, a, b) = mock_chain();
    let out = chain.execute_wave(&block(2), &[call(2, a, "static:write", b)]).unwrap();
    assert_eq!(returned_code(&out.receipts[0]), ErrorCode::StaticCallViolation.as_u32());
    assert_eq!(chain.storage(&b, &[1; 32]).unwrap(), None);
}

#[test]
fn recursion_stops_at_the_call_depth_limit() {
    let (mut chain, a, _) = mock_chain();
    let out = chain.execute_wave(&block(2), &[call(2, a, "recurse", a)]).unwrap();
    let r = &out.receipts[0];
    assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");
    // The innermost frame saw CallDepthExceeded and returned it; outer frames returned 0.
    assert_eq!(returned_code(r), 0);
    assert_eq!(r.events.len(), 64, "one event per frame up to max_call_depth");
}

#[test]
fn top_level_revert_discards_state_and_events_but_charges_the_fee() {
    let (mut chain, _, b) = mock_chain();
    let before = chain.account(&user(1)).unwrap();
    let out = chain.execute_wave(&block(2), &[call(2, b, "write_then_revert", b)]).unwrap();
    let r = &out.receipts[0];
    assert_eq!((r.status, r.code), (ReceiptStatus::Reverted, ErrorCode::Reverted));
    assert_eq!(r.return_data, b"no");
    assert!(r.events.is_empty());
    let gas = vmhost_abi::gas::CALL_BASE_GAS + 32 * vmhost_abi::gas::CALL_INPUT_PER_BYTE;
    assert!(r.gas_used > gas, "host functions were charged");
    assert_eq!(r.fee_paid, r.gas_used as u128);
    let after = chain.account(&user(1)).unwrap();
    assert_eq!(after.balance, before.balance - r.fee_paid);
    assert_eq!(after.nonce, before.nonce + 1);
    assert_eq!(chain.storage(&b, &[1; 32]).unwrap(), None);
}

#[test]
fn undeclared_storage_access_traps_with_access_list_violation() {
    let (mut chain, _, b) = mock_chain();
    let mut t = call(2, b, "write", b);
    t.access_list = Some(AccessList::new().write(keys::account(&user(1))).read(keys::contract(&b)));
    t.gas_limit += 2 * vmhost_abi::gas::ACCESS_LIST_KEY_GAS;
    let out = chain.execute_wave(&block(2), &[t.clone()]).unwrap();
    assert_eq!(
        (out.receipts[0].status, out.receipts[0].code),
        (ReceiptStatus::Trapped, ErrorCode::AccessListViolation)
    );
    t.nonce = 3;
    t.access_list = Some(
        AccessList::new()
            .write(keys::account(&user(1)))
            .read(keys::contract(&b))
            .read(keys::code(&chain.contract(&b).unwrap().unwrap().code_hash))
            .write(keys::storage(&b, &[1; 32])),
    );
    let out = chain.execute_wave(&block(3), &[t]).unwrap();
    assert_eq!(out.receipts[0].status, ReceiptStatus::Success, "declared access passes");
}

#[test]
fn out_of_gas_inside_host_function_charges_the_whole_limit() {
    let (mut chain, _, b) = mock_chain();
    let mut t = call(2, b, "write", b);
    t.gas_limit = vmhost_abi::gas::CALL_BASE_GAS + 32 * vmhost_abi::gas::CALL_INPUT_PER_BYTE + 100;
    let out = chain.execute_wave(&block(2), &[t.clone()]).unwrap();
    let r = &out.receipts[0];
    assert_eq!((r.status, r.code, r.gas_used), (ReceiptStatus::Trapped, ErrorCode::OutOfGas, t.gas_limit));
}

#[test]
fn registry_rejects_duplicates_wrong_kinds_and_routes_nothing_unregistered() {
    let mut reg = VmRegistry::new();
    let vm = Arc::new(MockVm::new());
    reg.register_vm(mock_type(), vm.clone()).unwrap();
    assert_eq!(reg.register_vm(mock_type(), vm.clone()).unwrap_err(), RegistryError::Duplicate(mock_type()));
    assert_eq!(reg.register_vm(ContractType::Native, vm).unwrap_err(), RegistryError::WrongKind(ContractType::Native));
    assert_eq!(
        reg.register_native(Arc::new(NativePlugin)).map(|_| ()),
        Ok(()),
        "native handler registers under Native"
    );
    assert!(matches!(reg.vm(&ContractType::Wasm), Err(RegistryError::Unregistered(ContractType::Wasm))));

    // A chain without a native handler or a wasm backend: those transactions are invalid.
    let mut reg = VmRegistry::new();
    reg.register_vm(mock_type(), Arc::new(MockVm::new())).unwrap();
    let mut chain = Chain::open(Arc::new(MemStore::new()), reg, ExecConfig::default()).unwrap();
    chain.genesis(&[(user(1), 1_000_000_000)]).unwrap();
    let deploy_wasm = tx(
        user(1),
        0,
        TxKind::ContractDeploy {
            vm: ContractType::Wasm,
            code: vec![0],
            deposit: 0,
            parachain: false,
            non_reentrant: false,
        },
    );
    let out = chain.execute_wave(&block(1), &[transfer(user(1), 0, user(2), 1), deploy_wasm]).unwrap();
    assert!(out
        .receipts
        .iter()
        .all(|r| r.status == ReceiptStatus::Invalid && r.code == ErrorCode::UnknownContractType));
}

#[test]
fn deploy_of_rejected_code_fails_and_charges_intrinsic_gas() {
    let (mut chain, _, _) = mock_chain();
    let t = tx(
        user(1),
        2,
        TxKind::ContractDeploy {
            vm: mock_type(),
            code: b"unknown".to_vec(),
            deposit: 0,
            parachain: false,
            non_reentrant: false,
        },
    );
    let out = chain.execute_wave(&block(2), &[t]).unwrap();
    let r = &out.receipts[0];
    assert_eq!((r.status, r.code), (ReceiptStatus::Failed, ErrorCode::InvalidWasm));
    assert_eq!(r.gas_used, vmhost_abi::gas::DEPLOY_BASE_GAS + 7 * vmhost_abi::gas::DEPLOY_PER_BYTE);
    assert_eq!(r.contract_address, None);
}
