//! Calls into native handlers (wasm → native) through the reserved system addresses, with the
//! ordinary call convention (`tests/corpus/forward.wat` forwards any input): the contract is
//! the sender and can do only what its own authority allows, the handler's intrinsic gas is
//! charged to the caller, access lists cover the derived keys, static calls may only query.

use vmhost_abi::{keys, AccessList, Address, ErrorCode, NativeTx, Receipt, ReceiptStatus, TxKind, ValidatorRecord};
use vmhost_native::multisig_address;
use vmhost_tests::{corpus, user};

use crate::wasm_examples::Env;

/// `call` / `static` / `delegate` input of the forwarder.
fn fwd(target: Address, entry: &str, inner: Vec<u8>) -> Vec<u8> {
    let mut v = target.0.to_vec();
    v.push(entry.len() as u8);
    v.extend_from_slice(entry.as_bytes());
    v.extend(inner);
    v
}

fn code(r: &Receipt) -> ErrorCode {
    assert!(r.is_success(), "the forwarder itself succeeds: {r:?}");
    ErrorCode::from_u32(u32::from_le_bytes(r.return_data[..4].try_into().unwrap())).unwrap()
}

fn transfer_input(to: Address, amount: u128) -> Vec<u8> {
    [&to.0[..], &amount.to_le_bytes()[..]].concat()
}

fn native(env: &mut Env, from: u64, tx: NativeTx) -> Receipt {
    let n = env.nonce(from);
    let mut t = vmhost::testing::tx(user(from), n, TxKind::Native(tx));
    t.gas_limit = 100_000;
    env.run(vec![t]).remove(0)
}

/// The forwarder, funded with `balance` (sent with a call by user 1).
fn funded_forwarder(env: &mut Env, balance: u128) -> Address {
    let f = env.deploy(corpus("forward"));
    let n = env.nonce(1);
    let fund = vmhost::testing::tx(
        user(1),
        n,
        TxKind::ContractCall { contract: f, entry: "ping".into(), input: vec![], value: balance },
    );
    assert!(env.run(vec![fund])[0].is_success());
    f
}

fn balance(env: &Env, a: &Address) -> u128 {
    env.chain.account(a).unwrap().balance
}

#[test]
fn a_contract_transfers_its_own_balance_through_the_native_transfer_and_pays_its_intrinsic_gas() {
    let mut env = Env::new();
    let f = funded_forwarder(&mut env, 1_000);
    let (to, caller) = (user(50), user(2));
    let caller_before = balance(&env, &caller);
    let ok = env.call(2, f, "call", fwd(Address::NATIVE_TRANSFER, "transfer", transfer_input(to, 400)));
    assert_eq!(code(&ok), ErrorCode::Ok);
    assert_eq!((balance(&env, &f), balance(&env, &to)), (600, 400), "the contract's own balance moved");
    assert_eq!(caller_before - balance(&env, &caller), ok.fee_paid, "the origin paid only its fee");
    // The contract cannot move more than it holds: the handler's code, the contract goes on.
    let poor = env.call(2, f, "call", fwd(Address::NATIVE_TRANSFER, "transfer", transfer_input(to, 601)));
    assert_eq!(code(&poor), ErrorCode::InsufficientBalance);
    assert_eq!(balance(&env, &f), 600, "nothing moved");
    // Gas: the handler's intrinsic gas is charged to the caller, success or not.
    let unknown = env.call(2, f, "call", fwd(Address::NATIVE_TRANSFER, "transfeX", transfer_input(to, 1)));
    assert_eq!(code(&unknown), ErrorCode::UnknownEntryPoint);
    let transfer_gas = vmhost::ConsensusParams::default().native.transfer_gas;
    assert_eq!(ok.gas_used - unknown.gas_used, transfer_gas);
    assert_eq!(poor.gas_used, ok.gas_used);
}

#[test]
fn a_contract_spends_from_a_multisig_only_as_a_signer_meeting_the_threshold_alone() {
    let mut env = Env::new();
    let f = funded_forwarder(&mut env, 0);
    let create = |env: &mut Env, signers: Vec<Address>, threshold: u8| {
        let ms = multisig_address(&signers, threshold);
        assert!(native(env, 1, NativeTx::MultisigCreate { signers, threshold }).is_success());
        assert!(native(env, 1, NativeTx::Transfer { to: ms, amount: 500 }).is_success());
        ms
    };
    let spend = |ms: Address, amount: u128| [&ms.0[..], &user(60).0[..], &amount.to_le_bytes()[..]].concat();
    let one_of_two = create(&mut env, vec![user(1), f], 1);
    let r = env.call(2, f, "call", fwd(Address::NATIVE_MULTISIG, "spend", spend(one_of_two, 100)));
    assert_eq!(code(&r), ErrorCode::Ok);
    assert_eq!((balance(&env, &one_of_two), balance(&env, &user(60))), (400, 100));
    let two_of_two = create(&mut env, vec![user(1), f], 2);
    let r = env.call(2, f, "call", fwd(Address::NATIVE_MULTISIG, "spend", spend(two_of_two, 100)));
    assert_eq!(code(&r), ErrorCode::ThresholdNotMet, "no other approval counts for a contract");
    let not_a_signer = create(&mut env, vec![user(1), user(3)], 1);
    let r = env.call(2, f, "call", fwd(Address::NATIVE_MULTISIG, "spend", spend(not_a_signer, 100)));
    assert_eq!(code(&r), ErrorCode::NotASigner);
    assert_eq!(balance(&env, &user(60)), 100);
}

#[test]
fn the_validator_query_works_in_static_calls_and_state_changing_system_calls_do_not() {
    let mut env = Env::new();
    let f = funded_forwarder(&mut env, 1_000);
    let key = vec![7u8; 48];
    assert!(native(&mut env, 4, NativeTx::ValidatorRegister { stake: 5_000, consensus_key: key.clone() }).is_success());
    let r = env.call(2, f, "static", fwd(Address::NATIVE_VALIDATORS, "get", user(4).0.to_vec()));
    assert_eq!(code(&r), ErrorCode::Ok);
    let record: Option<ValidatorRecord> = borsh::from_slice(&r.return_data[4..]).unwrap();
    let record = record.expect("registered");
    assert_eq!((record.stake, record.consensus_key), (5_000, key));
    let r = env.call(2, f, "call", fwd(Address::NATIVE_VALIDATORS, "get", user(50).0.to_vec()));
    assert_eq!(borsh::from_slice::<Option<ValidatorRecord>>(&r.return_data[4..]).unwrap(), None);
    let r = env.call(2, f, "static", fwd(Address::NATIVE_TRANSFER, "transfer", transfer_input(user(50), 1)));
    assert_eq!(code(&r), ErrorCode::StaticCallViolation);
    assert_eq!(balance(&env, &f), 1_000);
}

#[test]
fn system_calls_with_bad_input_an_unknown_entry_or_a_delegate_call_fail_with_clear_codes() {
    let mut env = Env::new();
    let f = funded_forwarder(&mut env, 1_000);
    let cases = [
        ("call", Address::NATIVE_TRANSFER, "transfer", vec![1; 47], ErrorCode::InvalidArgument),
        ("call", Address::NATIVE_TRANSFER, "transfer", vec![1; 49], ErrorCode::InvalidArgument),
        ("call", Address::NATIVE_MULTISIG, "spend", vec![], ErrorCode::InvalidArgument),
        ("call", Address::NATIVE_VALIDATORS, "get", vec![0; 31], ErrorCode::InvalidArgument),
        ("call", Address::NATIVE_VALIDATORS, "set", vec![0; 32], ErrorCode::UnknownEntryPoint),
        ("call", Address::system_contract(9), "get", vec![0; 32], ErrorCode::CallTargetMissing),
        ("delegate", Address::NATIVE_TRANSFER, "transfer", transfer_input(user(50), 1), ErrorCode::CallTargetMissing),
    ];
    for (how, target, entry, input, expected) in cases {
        let r = env.call(2, f, how, fwd(target, entry, input));
        assert_eq!(code(&r), expected, "{how} {entry}");
    }
    assert_eq!(balance(&env, &f), 1_000);
    assert_eq!(Address::NATIVE_VALIDATORS.system_contract_id(), Some(3));
    assert_eq!(user(1).system_contract_id(), None);
}

#[test]
fn a_system_call_outside_the_declared_access_list_fails_the_transaction() {
    let mut env = Env::new();
    let f = funded_forwarder(&mut env, 1_000);
    let code_hash = env.chain.contract(&f).unwrap().unwrap().code_hash;
    let base = AccessList::new()
        .write(keys::account(&user(2)))
        .read(keys::contract(&f))
        .read(keys::code(&code_hash))
        .write(keys::account(&f));
    let input = fwd(Address::NATIVE_TRANSFER, "transfer", transfer_input(user(50), 10));
    let with = |list: AccessList, env: &mut Env| {
        let n = env.nonce(2);
        let mut t = vmhost_tests::call(user(2), n, f, "call", input.clone());
        t.access_list = Some(list);
        env.run(vec![t]).remove(0)
    };
    let r = with(base.clone(), &mut env);
    assert_eq!((r.status, r.code), (ReceiptStatus::Trapped, ErrorCode::AccessListViolation), "recipient undeclared");
    assert_eq!(balance(&env, &user(50)), 0);
    let r = with(base.clone().write(keys::account(&user(50))), &mut env);
    assert_eq!(code(&r), ErrorCode::Ok);
    assert_eq!(balance(&env, &user(50)), 10);
    // The validator query reads the validator's record: a declared list must name it.
    let query = |list: AccessList, env: &mut Env| {
        let n = env.nonce(2);
        let input = fwd(Address::NATIVE_VALIDATORS, "get", user(4).0.to_vec());
        let mut t = vmhost_tests::call(user(2), n, f, "static", input);
        t.access_list = Some(list);
        env.run(vec![t]).remove(0)
    };
    let r = query(base.clone(), &mut env);
    assert_eq!((r.status, r.code), (ReceiptStatus::Trapped, ErrorCode::AccessListViolation));
    let r = query(base.read(keys::validator(&user(4))), &mut env);
    assert_eq!(code(&r), ErrorCode::Ok);
}

#[test]
fn the_guest_sdk_names_the_same_system_addresses_as_the_abi() {
    assert_eq!(vmhost_guest::NATIVE_TRANSFER, Address::NATIVE_TRANSFER.0);
    assert_eq!(vmhost_guest::NATIVE_MULTISIG, Address::NATIVE_MULTISIG.0);
    assert_eq!(vmhost_guest::NATIVE_VALIDATORS, Address::NATIVE_VALIDATORS.0);
    assert_eq!(vmhost_guest::system_contract(9), Address::system_contract(9).0);
}
