//! `call_value`: a contract sees the value attached to its call — a transaction's at the top
//! level, a cross call's in the callee, 0 in a static call, the calling frame's inside a
//! delegate call — and the value is its own before it runs.

use vmhost_abi::Address;
use vmhost_tests::{call, user};

use crate::wasm_examples::Env;

/// `value`: returns call_value (16 bytes) ‖ its own balance (16 bytes). `forward` /
/// `forward_static` / `forward_delegate`: calls its own `value` with 5 attached (none for the
/// static and delegate flavours) and returns the callee's return data.
const PROBE: &str = r#"(module
  (import "vmhost" "call_value" (func $call_value (param i32)))
  (import "vmhost" "self_address" (func $self (param i32)))
  (import "vmhost" "balance" (func $balance (param i32 i32)))
  (import "vmhost" "set_return" (func $set_return (param i32 i32)))
  (import "vmhost" "cross_call" (func $call (param i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (import "vmhost" "cross_call_static" (func $scall (param i32 i32 i32 i32 i32 i64) (result i32)))
  (import "vmhost" "delegate_call" (func $dcall (param i32 i32 i32 i32 i32 i64) (result i32)))
  (import "vmhost" "return_data_read" (func $rread (param i32 i32 i32)))
  (memory (export "memory") 1)
  ;; 0 value | 16 balance | 64 self | 128 "value" | 160 five (u128)
  (data (i32.const 128) "value")
  (data (i32.const 160) "\05")
  (func (export "value")
    (call $call_value (i32.const 0))
    (call $self (i32.const 64))
    (call $balance (i32.const 64) (i32.const 16))
    (call $set_return (i32.const 0) (i32.const 32)))
  (func $back (param $code i32)
    (if (local.get $code) (then unreachable))
    (call $rread (i32.const 256) (i32.const 0) (i32.const 32))
    (call $set_return (i32.const 256) (i32.const 32)))
  (func (export "forward")
    (call $self (i32.const 64))
    (call $back (call $call (i32.const 64) (i32.const 128) (i32.const 5) (i32.const 0) (i32.const 0) (i32.const 160) (i64.const 1000000))))
  (func (export "forward_static")
    (call $self (i32.const 64))
    (call $back (call $scall (i32.const 64) (i32.const 128) (i32.const 5) (i32.const 0) (i32.const 0) (i64.const 1000000))))
  (func (export "forward_delegate")
    (call $self (i32.const 64))
    (call $back (call $dcall (i32.const 64) (i32.const 128) (i32.const 5) (i32.const 0) (i32.const 0) (i64.const 1000000)))))"#;

fn value_and_balance(data: &[u8]) -> (u128, u128) {
    let v = u128::from_le_bytes(data[..16].try_into().expect("16 bytes"));
    let b = u128::from_le_bytes(data[16..32].try_into().expect("16 bytes"));
    (v, b)
}

#[test]
fn call_value_is_the_calls_value_at_the_top_and_in_each_kind_of_nested_call() {
    let mut env = Env::new();
    let c: Address = env.deploy(wat::parse_str(PROBE).expect("wat"));
    let mut with_value = |entry: &str, value: u128| {
        let n = env.nonce(2);
        let mut t = call(user(2), n, c, entry, vec![]);
        if let vmhost_abi::TxKind::ContractCall { value: v, .. } = &mut t.kind {
            *v = value;
        }
        let r = env.run(vec![t]).remove(0);
        assert!(r.is_success(), "{entry}: {r:?}");
        value_and_balance(&r.return_data)
    };
    // The top level: 100 attached, already the contract's.
    assert_eq!(with_value("value", 100), (100, 100));
    assert_eq!(with_value("value", 0), (0, 100));
    // A cross call with 5: the callee (the same contract) sees 5; its balance is unchanged by
    // moving 5 to itself, plus the 7 of this transaction.
    assert_eq!(with_value("forward", 7), (5, 107));
    // Static: 0. Delegate: the calling frame's value (11).
    assert_eq!(with_value("forward_static", 3).0, 0);
    assert_eq!(with_value("forward_delegate", 11).0, 11);
}
