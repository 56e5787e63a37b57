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

/// `examples/inspect_wasm.py --check` and the gate accept and refuse the same features: one
/// module per feature of the deterministic profile and per feature outside it.
#[test]
fn inspect_wasm_py_and_the_gate_agree_on_the_feature_profile() {
    let m = |body: &str| format!(r#"(module (memory (export "memory") 1) {body} (func (export "go")))"#);
    let cases: Vec<(&str, String, bool)> = vec![
        ("mvp", m(r#"(func (drop (i32.add (i32.const 1) (i32.const 2))))"#), true),
        ("floats", m("(func (drop (f32.add (f32.const 1) (f32.const 2))))"), true),
        ("sign-extension", m("(func (drop (i32.extend8_s (i32.const 1))))"), true),
        ("saturating float-to-int", m("(func (drop (i32.trunc_sat_f32_s (f32.const 1))))"), true),
        ("multi-value", m("(func (result i32 i32) (i32.const 1) (i32.const 2))"), true),
        ("bulk memory: copy", m("(func (memory.copy (i32.const 0) (i32.const 8) (i32.const 8)))"), true),
        ("bulk memory: fill", m("(func (memory.fill (i32.const 0) (i32.const 0) (i32.const 8)))"), true),
        ("bulk memory: passive data", m(r#"(data $d "ab") (func (memory.init $d (i32.const 0) (i32.const 0) (i32.const 2)) (data.drop $d))"#), true),
        ("mutable globals", m(r#"(global (export "g") (mut i32) (i32.const 0))"#), true),
        ("simd", m("(func (drop (v128.const i64x2 0 0)))"), false),
        ("reference types", m("(table 1 funcref) (func (drop (table.get 0 (i32.const 0))))"), false),
        ("tail calls", m("(func $f (return_call $f))"), false),
        ("threads", r#"(module (memory (export "memory") 1 1 shared) (func (drop (i32.atomic.load (i32.const 0)))) (func (export "go")))"#.into(), false),
        ("multi-memory", r#"(module (memory (export "memory") 1) (memory 1) (func (export "go")))"#.into(), false),
        ("memory64", r#"(module (memory (export "memory") i64 1) (func (export "go")))"#.into(), false),
        ("exceptions", m("(tag $t) (func (throw $t))"), false),
        ("extended const", m("(global i32 (i32.add (i32.const 1) (i32.const 2)))"), false),
    ];
    let dir = tempfile::tempdir().unwrap();
    let script = vmhost_tests::repo_root().join("examples/inspect_wasm.py");
    for (name, src, in_profile) in cases {
        let code = wat::parse_str(&src).unwrap_or_else(|e| panic!("{name}: {e}"));
        let gate = match vmhost::wasm::validate(&code, &vmhost::wasm::WasmLimits::default()) {
            Ok(_) => true,
            Err(vmhost::wasm::DeployError::DisabledFeature(_)) => false,
            Err(e) => panic!("{name}: refused for another reason: {e}"),
        };
        assert_eq!(gate, in_profile, "the gate on {name}");
        let path = dir.path().join("m.wasm");
        std::fs::write(&path, &code).unwrap();
        let out =
            std::process::Command::new("python3").arg(&script).arg("--check").arg(&path).output().expect("python3");
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.success(), in_profile, "inspect_wasm.py --check on {name}:\n{text}");
        // --mvp (the examples' convention) refuses every post-MVP feature, floats aside.
        let mvp = std::process::Command::new("python3")
            .args([&script, std::path::Path::new("--check")])
            .arg("--mvp")
            .arg(&path)
            .output()
            .expect("python3");
        let mvp_ok = matches!(name, "mvp" | "floats");
        assert_eq!(mvp.status.success(), mvp_ok, "inspect_wasm.py --check --mvp on {name}");
    }
    // The documented profile is the gate's set.
    let doc = vmhost::docs::abi_reference();
    assert!(doc.contains("## Deterministic feature profile"), "abi-v1.md states the profile");
}
