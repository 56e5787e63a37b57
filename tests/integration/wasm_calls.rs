//! Cross-contract calls through real wasm: a WAT proxy calling the Rust counter with
//! `cross_call`, `cross_call_static` and `delegate_call` (nested instances inside host calls).

use vmhost_abi::{keys, Address, ErrorCode, Receipt, ReceiptStatus};
use vmhost_tests::{example_wasm, example_wat};

use crate::wasm_examples::{topic, Env};

fn via(env: &mut Env, proxy: Address, flavour: &str, target: Address, entry: &str) -> (Receipt, u32, Vec<u8>) {
    let mut input = target.0.to_vec();
    input.extend_from_slice(entry.as_bytes());
    let r = env.call(2, proxy, flavour, input);
    assert_eq!(r.status, ReceiptStatus::Success, "the proxy itself never fails: {r:?}");
    let code = u32::from_le_bytes(r.return_data[..4].try_into().expect("code"));
    let data = r.return_data[4..].to_vec();
    (r, code, data)
}

#[test]
fn cross_call_runs_the_callee_in_its_own_context() {
    let mut env = Env::new();
    let counter = env.deploy(example_wasm("counter"));
    let proxy = env.deploy(example_wat("proxy"));
    let (r, code, data) = via(&mut env, proxy, "call", counter, "increment");
    assert_eq!((code, data), (0, 1u64.to_le_bytes().to_vec()));
    assert_eq!(r.events.len(), 1);
    assert_eq!((r.events[0].contract, r.events[0].topic), (counter, topic("Incremented")));
    let slot = keys::slot(&counter, 0, b"counter");
    assert_eq!(env.chain.storage(&counter, &slot).expect("slot"), Some(1u64.to_le_bytes().to_vec()));
    // The callee's gas is part of the caller's.
    let direct = env.call(3, counter, "get", vec![]);
    let (viaproxy, _, _) = via(&mut env, proxy, "call", counter, "get");
    assert!(viaproxy.gas_used > direct.gas_used);
}

#[test]
fn failing_callee_loses_its_state_and_events_but_the_caller_goes_on() {
    let mut env = Env::new();
    let traps = env.deploy(example_wasm("traps"));
    let events = env.deploy(example_wasm("events"));
    let proxy = env.deploy(example_wat("proxy"));
    let (_, code, _) = via(&mut env, proxy, "call", traps, "unreachable");
    assert_eq!(code, ErrorCode::Unreachable.as_u32());
    let (r, code, data) = via(&mut env, proxy, "call", events, "emit_then_revert");
    assert_eq!((code, data.as_slice()), (ErrorCode::Reverted.as_u32(), &b"emit_then_revert"[..]));
    assert!(r.events.is_empty(), "the reverted callee's event is gone");
    let (_, code, _) = via(&mut env, proxy, "call", Address::from_index(4242), "get");
    assert_eq!(code, ErrorCode::CallTargetMissing.as_u32());
}

#[test]
fn static_call_reads_but_cannot_write() {
    let mut env = Env::new();
    let counter = env.deploy(example_wasm("counter"));
    let proxy = env.deploy(example_wat("proxy"));
    env.call(3, counter, "increment", vec![]);
    let (_, code, data) = via(&mut env, proxy, "static", counter, "get");
    assert_eq!((code, data), (0, 1u64.to_le_bytes().to_vec()));
    let (r, code, _) = via(&mut env, proxy, "static", counter, "increment");
    assert_eq!(code, ErrorCode::StaticCallViolation.as_u32());
    assert!(r.events.is_empty());
    let slot = keys::slot(&counter, 0, b"counter");
    assert_eq!(env.chain.storage(&counter, &slot).expect("slot"), Some(1u64.to_le_bytes().to_vec()));
}

#[test]
fn delegate_call_runs_target_code_in_the_callers_storage() {
    let mut env = Env::new();
    let counter = env.deploy(example_wasm("counter"));
    let proxy = env.deploy(example_wat("proxy"));
    let (r, code, data) = via(&mut env, proxy, "delegate", counter, "increment");
    assert_eq!((code, data), (0, 1u64.to_le_bytes().to_vec()));
    assert_eq!(r.events[0].contract, proxy, "events come from the storage owner");
    // The counter's code derived its slot from self_address() = the proxy.
    let proxy_slot = keys::slot(&proxy, 0, b"counter");
    assert_eq!(env.chain.storage(&proxy, &proxy_slot).expect("slot"), Some(1u64.to_le_bytes().to_vec()));
    let counter_slot = keys::slot(&counter, 0, b"counter");
    assert_eq!(
        env.chain.storage(&counter, &counter_slot).expect("slot"),
        None,
        "the target's own storage is untouched"
    );
}

#[test]
fn proxy_recursion_is_bounded_by_call_depth() {
    let mut env = Env::new();
    let proxy = env.deploy(example_wat("proxy"));
    // proxy.call(proxy, "call") with empty input: the inner frame reads a 0-byte target → the
    // guest's input_read of 32 bytes fails with InvalidArgument; the chain of frames unwinds.
    let (_, code, _) = via(&mut env, proxy, "call", proxy, "call");
    assert_eq!(code, ErrorCode::InvalidArgument.as_u32());
}

#[test]
fn oversized_calldata_and_bad_entry_names_are_invalid_at_ingress() {
    let mut env = Env::new();
    let counter = env.deploy(example_wasm("counter"));
    let big = vec![0u8; vmhost_abi::gas::MAX_INPUT_LEN as usize + 1];
    let r = env.call(2, counter, "get", big);
    assert_eq!((r.status, r.code), (ReceiptStatus::Invalid, ErrorCode::CalldataTooLarge));
    let r = env.call(2, counter, "", vec![]);
    assert_eq!((r.status, r.code), (ReceiptStatus::Invalid, ErrorCode::BadEntryPoint));
    let long = "x".repeat(65);
    let r = env.call(2, counter, &long, vec![]);
    assert_eq!(r.code, ErrorCode::BadEntryPoint);
}
