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
fn wall_clock_timeout_aborts_the_wave_and_commits_nothing() {
    // A test-only tiny safety net, and a gas limit near the largest ABI v1 allows (2^40) that
    // the sender can pay: the loop would take minutes to run out of gas. (At the default 100M
    // it takes ~30 ms here, as long as the safety net: which ended first was a race.)
    let mut cfg = WasmtimeConfig::default();
    cfg.call_timeout(Duration::from_millis(30));
    let mut exec = vmhost::ExecConfig::default();
    exec.consensus.max_tx_gas = 900_000_000_000;
    let mut env = Env::with_exec(cfg, exec);
    let t = env.deploy(example_wat("traps"));
    let (root, head) = (env.chain.state_root(), env.chain.head().clone());
    let n = env.nonce(2);
    let mut tx = vmhost_tests::call(vmhost_tests::user(2), n, t, "loop_forever", vec![]);
    tx.gas_limit = env.chain.params_at(env.wave + 1).max_tx_gas;
    let transfer = vmhost::testing::transfer(vmhost_tests::user(3), env.nonce(3), vmhost_tests::user(4), 5);
    env.wave += 1;
    let err = env.chain.execute_wave(&vmhost::testing::block(env.wave), &[transfer, tx]).unwrap_err();
    assert!(matches!(err, vmhost::Error::Timeout { .. }), "{err}");
    // Nothing of the wave is committed, not even the transfer before the runaway call.
    assert_eq!((env.chain.state_root(), env.chain.head()), (root, &head));
    assert_eq!(env.chain.account(&vmhost_tests::user(3)).unwrap().nonce, 0);
    assert!(env.chain.wave_record(env.wave).unwrap().is_none());
    assert!(env.chain.receipts(env.wave).unwrap().is_empty(), "no receipt carries a timeout");
}
