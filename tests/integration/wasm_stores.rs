//! Store reuse in the wasmtime backend (with warm instances off): a reused store never carries
//! a call's instance state into the next call, and never makes a call fail that a fresh store
//! would run.

use vmhost_abi::{Address, ErrorCode, ReceiptStatus};
use vmhost_tests::{call, user};
use vmhost_wasmtime::WasmtimeConfig;

use crate::wasm_examples::Env;

/// `bump` returns the (non-exported) mutable global and the first memory word as it found
/// them, then increments both; `bump_then_trap` increments both and traps.
const BUMP: &str = r#"
(module
  (import "vmhost" "set_return" (func $set_return (param i32 i32)))
  (memory (export "memory") 1)
  (global $g (mut i64) (i64.const 0))
  (func $bump
    (i64.store (i32.const 16) (global.get $g))
    (i64.store (i32.const 24) (i64.load (i32.const 0)))
    (global.set $g (i64.add (global.get $g) (i64.const 1)))
    (i64.store (i32.const 0) (i64.add (i64.load (i32.const 0)) (i64.const 1))))
  (func (export "bump")
    (call $bump)
    (call $set_return (i32.const 16) (i32.const 16)))
  (func (export "bump_then_trap")
    (call $bump)
    unreachable))
"#;

/// The default configuration without warm instances, so every call instantiates (in a
/// reused store). Warm instances are tested in `wasm_reuse.rs`.
fn fresh_instances() -> WasmtimeConfig {
    let mut cfg = WasmtimeConfig::default();
    cfg.instance_reuse(0);
    cfg
}

/// Runs `entries` in order in one wave from user 2 and returns the receipts.
fn run_calls(env: &mut Env, c: Address, entries: &[&str]) -> Vec<vmhost_abi::Receipt> {
    let n = env.nonce(2);
    let txs = entries.iter().enumerate().map(|(i, e)| call(user(2), n + i as u64, c, e, vec![])).collect();
    env.run(txs)
}

#[test]
fn every_call_starts_from_a_fresh_instance_on_a_reused_store() {
    assert!(WasmtimeConfig::default().store_reuse > 1, "the default reuses stores");
    let mut env = Env::with(fresh_instances());
    let c = env.deploy(wat::parse_str(BUMP).unwrap());
    // 40 calls cross the default reuse count (16) twice; traps in between drop their store.
    let entries: Vec<&str> = (0..40).map(|i| if i % 7 == 3 { "bump_then_trap" } else { "bump" }).collect();
    for (i, r) in run_calls(&mut env, c, &entries).iter().enumerate() {
        if entries[i] == "bump" {
            assert_eq!(r.status, ReceiptStatus::Success, "call {i}: {r:?}");
            assert_eq!(r.return_data, vec![0u8; 16], "call {i} saw a previous call's global or memory");
        } else {
            assert_eq!(r.code, ErrorCode::Unreachable, "call {i}");
        }
    }
}

#[test]
fn reuse_gives_the_same_receipts_as_a_fresh_store_per_call() {
    let entries: Vec<&str> = (0..24).map(|i| if i % 5 == 4 { "bump_then_trap" } else { "bump" }).collect();
    let run = |reuse: u32| {
        let mut cfg = fresh_instances();
        cfg.store_reuse(reuse);
        let mut env = Env::with(cfg);
        let c = env.deploy(wat::parse_str(BUMP).unwrap());
        (run_calls(&mut env, c, &entries), env.chain.state_root())
    };
    assert_eq!(run(16), run(1));
}

#[test]
fn an_exhausted_pool_drops_idle_stores_instead_of_failing_the_call() {
    // Four instance slots: a store serving its fifth call holds four old instances, so the
    // fifth instantiation finds the pool empty and must retry on a fresh store.
    let mut cfg = fresh_instances();
    cfg.pool_instances = 4;
    cfg.store_reuse(16);
    let mut env = Env::with(cfg);
    let c = env.deploy(wat::parse_str(BUMP).unwrap());
    for (i, r) in run_calls(&mut env, c, &["bump"; 30]).iter().enumerate() {
        assert_eq!(r.status, ReceiptStatus::Success, "call {i}: {r:?}");
        assert_eq!(r.return_data, vec![0u8; 16], "call {i}");
    }
}
