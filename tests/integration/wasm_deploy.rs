//! The deploy gate through the chain: every rejection is a failed deploy receipt with its code.

use vmhost_abi::{ErrorCode, ReceiptStatus};
use vmhost_tests::example_wasm;

use crate::wasm_examples::Env;

fn wat(src: &str) -> Vec<u8> {
    wat::parse_str(src).expect("wat")
}

fn rejected(env: &mut Env, code: Vec<u8>, expect: ErrorCode) {
    let r = env.deploy_receipt(code);
    assert_eq!((r.status, r.code), (ReceiptStatus::Failed, expect), "{r:?}");
    assert!(r.gas_used >= vmhost_abi::gas::DEPLOY_BASE_GAS);
    assert_eq!(r.contract_address, None);
}

#[test]
fn rust_contracts_built_for_wasm32v1_none_pass_the_gate() {
    let mut env = Env::new();
    for name in ["counter", "token", "events", "traps", "c_counter"] {
        env.deploy(example_wasm(name));
    }
}

#[test]
fn forbidden_imports_are_rejected_at_deploy() {
    let mut env = Env::new();
    rejected(
        &mut env,
        wat(
            r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))) (memory (export "memory") 1))"#,
        ),
        ErrorCode::ForbiddenImport,
    );
    rejected(
        &mut env,
        wat(r#"(module (import "vmhost" "sstore" (func (param i32))) (memory (export "memory") 1))"#),
        ErrorCode::ForbiddenImport,
    );
    rejected(&mut env, wat(r#"(module (import "env" "memory" (memory 1)))"#), ErrorCode::ForbiddenImport);
}

#[test]
fn disabled_features_are_rejected_at_deploy() {
    let mut env = Env::new();
    let simd = r#"(module (memory (export "memory") 1) (func (export "f") (drop (v128.const i64x2 0 0))))"#;
    let threads =
        r#"(module (memory (export "memory") 1 1 shared) (func (export "f") (drop (i32.atomic.load (i32.const 0)))))"#;
    let reftypes = r#"(module (memory (export "memory") 1) (table 1 funcref) (func $g) (elem declare func $g) (func (export "f") (drop (ref.func $g))))"#;
    for src in [simd, threads, reftypes] {
        rejected(&mut env, wat(src), ErrorCode::DisabledFeature);
    }
}

#[test]
fn malformed_and_oversized_modules_are_rejected_with_typed_codes() {
    let mut env = Env::new();
    rejected(&mut env, b"\0asm\x01\0\0\0garbage".to_vec(), ErrorCode::InvalidWasm);
    rejected(&mut env, vec![], ErrorCode::InvalidWasm);
    rejected(&mut env, wat(r#"(module (memory (export "memory") 2000))"#), ErrorCode::LimitExceeded);
    rejected(
        &mut env,
        wat(r#"(module (func $s) (memory (export "memory") 1) (start $s))"#),
        ErrorCode::StartFunctionForbidden,
    );
    rejected(&mut env, wat(r#"(module (memory 1))"#), ErrorCode::BadExports);
    // A compile bomb: far more functions than the limit allows.
    let mut bomb = String::from("(module (memory (export \"memory\") 1)");
    for _ in 0..10_001 {
        bomb.push_str("(func)");
    }
    bomb.push(')');
    rejected(&mut env, wat(&bomb), ErrorCode::LimitExceeded);
    // A huge function body.
    let mut body = String::from("(module (memory (export \"memory\") 1) (func (export \"f\")");
    for _ in 0..140_000 {
        body.push_str(" (nop)");
    }
    body.push_str("))");
    rejected(&mut env, wat(&body), ErrorCode::LimitExceeded);
}

#[test]
fn module_that_cannot_instantiate_is_rejected_at_deploy() {
    let mut env = Env::new();
    // A data segment past the end of its memory traps at every instantiation.
    rejected(
        &mut env,
        wat(r#"(module (memory (export "memory") 1) (data (i32.const 65535) "ab"))"#),
        ErrorCode::CompileFailed,
    );
}
