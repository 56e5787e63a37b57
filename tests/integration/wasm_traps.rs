//! Every trap class yields its own code on the receipt, with gas, and discards the overlay.

use std::time::Duration;

use vmhost_abi::{ErrorCode, ReceiptStatus};
use vmhost_tests::{example_wasm, example_wat};
use vmhost_wasmtime::WasmtimeConfig;

use crate::wasm_examples::Env;

fn expect_trap(env: &mut Env, contract: vmhost_abi::Address, entry: &str, code: ErrorCode) {
    let r = env.call(2, contract, entry, vec![]);
    assert_eq!(r.code, code, "{entry}: {r:?}");
    assert_ne!(r.status, ReceiptStatus::Success, "{entry}");
    assert_eq!(r.fee_paid, r.gas_used as u128, "{entry}: gas charged");
    if code != ErrorCode::Reverted {
        assert_eq!(r.gas_used, 10_000_000, "{entry}: a trap consumes the whole gas limit");
    }
    assert!(r.events.is_empty(), "{entry}: no events survive a trap");
}

#[test]
fn rust_trap_contract_produces_each_trap_code() {
    let mut env = Env::new();
    let t = env.deploy(example_wasm("traps"));
    for (entry, code) in [
        ("loop_forever", ErrorCode::OutOfGas),
        ("oob", ErrorCode::MemoryOutOfBounds),
        ("div_zero", ErrorCode::IntegerDivisionByZero),
        ("overflow", ErrorCode::IntegerOverflow),
        ("recurse", ErrorCode::StackOverflow),
        ("unreachable", ErrorCode::Unreachable),
        ("grow_memory", ErrorCode::MemoryLimit),
        ("host_error", ErrorCode::ValueTooLarge),
        ("value_just_too_large", ErrorCode::ValueTooLarge),
        ("event_too_large", ErrorCode::EventTooLarge),
        ("transfer_too_much", ErrorCode::InsufficientBalance),
        ("guest_oob", ErrorCode::GuestMemoryOutOfBounds),
        ("bad_input_range", ErrorCode::InvalidArgument),
        ("consume_all_gas", ErrorCode::OutOfGas),
        ("panic", ErrorCode::Reverted),
    ] {
        expect_trap(&mut env, t, entry, code);
    }
}

#[test]
fn out_of_gas_uses_exactly_the_gas_limit() {
    let mut env = Env::new();
    let t = env.deploy(example_wasm("traps"));
    let r = env.call(2, t, "loop_forever", vec![]);
    assert_eq!((r.code, r.gas_used), (ErrorCode::OutOfGas, 10_000_000));
}

#[test]
fn wat_trap_contract_produces_engine_trap_codes() {
    let mut env = Env::new();
    let t = env.deploy(example_wat("traps"));
    for (entry, code) in [
        ("int_overflow", ErrorCode::IntegerOverflow),
        ("int64_overflow", ErrorCode::IntegerOverflow),
        ("div_zero", ErrorCode::IntegerDivisionByZero),
        ("rem_zero", ErrorCode::IntegerDivisionByZero),
        ("bad_indirect", ErrorCode::IndirectCallFault),
        ("indirect_sig_mismatch", ErrorCode::IndirectCallFault),
        ("indirect_out_of_range", ErrorCode::IndirectCallFault),
        ("oob", ErrorCode::MemoryOutOfBounds),
        ("oob_straddle", ErrorCode::MemoryOutOfBounds),
        ("unreachable", ErrorCode::Unreachable),
        ("recurse", ErrorCode::StackOverflow),
        ("loop_forever", ErrorCode::OutOfGas),
    ] {
        expect_trap(&mut env, t, entry, code);
    }
}

#[test]
fn wall_clock_timeout_traps_with_timeout() {
    let mut cfg = WasmtimeConfig::default();
    cfg.call_timeout(Duration::from_millis(30));
    let mut env = Env::with(cfg);
    let t = env.deploy(example_wat("traps"));
    let n = env.nonce(2);
    let mut tx = vmhost_tests::call(vmhost_tests::user(2), n, t, "loop_forever", vec![]);
    tx.gas_limit = 1 << 38;
    let r = env.run(vec![tx]).remove(0);
    assert_eq!((r.status, r.code), (ReceiptStatus::Trapped, ErrorCode::Timeout), "{r:?}");
    assert_eq!(r.gas_used, 1 << 38, "a trap consumes the whole gas limit");
}
