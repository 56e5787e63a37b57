//! Tests of the deploy gate (`validate`, `deterministic_features`).

use super::*;
use crate::wasm::GAS_GLOBAL_EXPORT;
use crate::wasm::{instrument, DeployError};

fn wasm(src: &str) -> Vec<u8> {
    wat::parse_str(src).expect("test module must parse")
}

fn check(src: &str) -> Result<ModuleInfo, DeployError> {
    validate(&wasm(src), &WasmLimits::default())
}

fn check_with(src: &str, limits: &WasmLimits) -> Result<ModuleInfo, DeployError> {
    validate(&wasm(src), limits)
}

fn expect_limit(result: Result<ModuleInfo, DeployError>, name: &str, value: u64, max: u64) {
    match result {
        Err(DeployError::LimitExceeded { limit, value: v, max: m }) => {
            assert_eq!((limit, v, m), (name, value, max));
        }
        other => panic!("expected LimitExceeded({name}), got {other:?}"),
    }
}

fn expect_disabled(result: Result<ModuleInfo, DeployError>) {
    match result {
        Err(DeployError::DisabledFeature(msg)) => assert!(!msg.is_empty()),
        other => panic!("expected DisabledFeature, got {other:?}"),
    }
}

const PLAIN: &str = r#"(module
    (import "vmhost" "input_len" (func $input_len (result i32)))
    (import "vmhost" "sstore" (func $sstore (param i32 i32 i32)))
    (memory (export "memory") 1)
    (global $g (mut i32) (i32.const 0))
    (global (export "counter") i32 (i32.const 7))
    (func $helper (param i32) (result i32) (local.get 0))
    (func (export "run")
        (global.set $g (call $helper (call $input_len))))
    (func (export "store") (call $sstore (i32.const 0) (i32.const 32) (i32.const 4)))
    (func (export "takes_arg") (param i32))
    (func (export "returns") (result i32) (i32.const 1))
    (export "helper" (func $helper)))"#;

#[test]
fn validate_plain_module_with_allowed_import_passes() {
    let code = wasm(PLAIN);
    let info = validate(&code, &WasmLimits::default()).expect("plain module is accepted");
    assert_eq!(info.exported_functions, ["run", "store"]);
    assert_eq!(info.imports, [HostFn::InputLen, HostFn::Sstore]);
    assert_eq!(info.code_size, code.len());
}

#[test]
fn validate_duplicate_import_lists_it_per_import() {
    let info = check(
        r#"(module
            (import "vmhost" "gas_left" (func (result i64)))
            (import "vmhost" "gas_left" (func (result i64)))
            (memory (export "memory") 1))"#,
    )
    .expect("accepted");
    assert_eq!(info.imports, [HostFn::GasLeft, HostFn::GasLeft]);
    assert!(info.exported_functions.is_empty());
}

#[test]
fn validate_every_abi_host_function_with_table_signature_passes() {
    let mut src = String::from("(module\n");
    for spec in vmhost_abi::HOST_FUNCTIONS {
        let params: Vec<_> = spec.params.iter().map(|v| v.wat()).collect();
        let results: Vec<_> = spec.results.iter().map(|v| v.wat()).collect();
        src.push_str(&format!(
            "(import \"vmhost\" \"{}\" (func (param {}) (result {})))\n",
            spec.name,
            params.join(" "),
            results.join(" ")
        ));
    }
    src.push_str("(memory (export \"memory\") 1))");
    let info = check(&src).expect("every ABI import is allowed");
    assert_eq!(info.imports.len(), vmhost_abi::HOST_FUNCTIONS.len());
}

#[test]
fn validate_mvp_and_enabled_proposals_pass() {
    check(
        r#"(module
            (type $t (func (result i32 i32)))
            (memory (export "memory") 1 2)
            (table 2 funcref)
            (elem (i32.const 0) $pair $floats)
            (data "abc")
            (func $pair (type $t) (i32.const 1) (i32.const 2))
            (func $floats (result i32 i32)
                (i32.trunc_sat_f32_s (f32.div (f32.const 1) (f32.const 3)))
                (i32.extend8_s (i32.const 255)))
            (func (export "run")
                (drop (drop (call_indirect (type $t) (i32.const 0))))
                (memory.fill (i32.const 0) (i32.const 0) (i32.const 4))
                (memory.copy (i32.const 0) (i32.const 8) (i32.const 4))
                (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 3))
                (data.drop 0)
                (drop (memory.grow (i32.const 1)))))"#,
    )
    .expect("MVP + bulk memory + multi-value + sat-conv + sign-ext + floats are allowed");
}

#[test]
fn validate_wasi_import_is_forbidden() {
    let err = check(
        r#"(module
            (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
            (memory (export "memory") 1))"#,
    )
    .expect_err("rejected");
    assert_eq!(err, DeployError::ForbiddenImport { module: "wasi_snapshot_preview1".into(), name: "fd_write".into() });
    assert_eq!(err.code(), vmhost_abi::ErrorCode::ForbiddenImport);
}

#[test]
fn validate_env_module_import_is_forbidden() {
    let err = check(r#"(module (import "env" "sstore" (func (param i32 i32 i32))) (memory (export "memory") 1))"#);
    assert!(matches!(err, Err(DeployError::ForbiddenImport { ref module, .. }) if module == "env"));
}

#[test]
fn validate_unknown_vmhost_name_is_forbidden() {
    let err = check(r#"(module (import "vmhost" "launch_missiles" (func)) (memory (export "memory") 1))"#);
    assert_eq!(err, Err(DeployError::ForbiddenImport { module: "vmhost".into(), name: "launch_missiles".into() }));
}

#[test]
fn validate_wrong_signature_is_mismatch() {
    let err = check(
        r#"(module (import "vmhost" "sstore" (func (param i32 i32) (result i32))) (memory (export "memory") 1))"#,
    );
    assert_eq!(
        err,
        Err(DeployError::ImportSignatureMismatch {
            name: "sstore".into(),
            expected: "(i32, i32, i32) -> ()".into(),
            found: "(i32, i32) -> (i32)".into(),
        })
    );
    // Same arity, wrong type.
    let err = check(r#"(module (import "vmhost" "consume_gas" (func (param i32))) (memory (export "memory") 1))"#);
    assert!(matches!(err, Err(DeployError::ImportSignatureMismatch { .. })));
}

#[test]
fn validate_memory_import_is_non_function_import() {
    let err = check(r#"(module (import "env" "memory" (memory 1)) (export "memory" (memory 0)))"#);
    assert_eq!(err, Err(DeployError::NonFunctionImport { module: "env".into(), name: "memory".into() }));
    let err = check(r#"(module (import "vmhost" "memory" (memory 1)) (export "memory" (memory 0)))"#);
    assert!(matches!(err, Err(DeployError::NonFunctionImport { .. })));
}

#[test]
fn validate_global_and_table_imports_are_non_function_imports() {
    let err = check(r#"(module (import "vmhost" "g" (global i64)) (memory (export "memory") 1))"#);
    assert!(matches!(err, Err(DeployError::NonFunctionImport { .. })), "{err:?}");
    let err = check(r#"(module (import "vmhost" "t" (table 1 funcref)) (memory (export "memory") 1))"#);
    assert!(matches!(err, Err(DeployError::NonFunctionImport { .. })), "{err:?}");
}

#[test]
fn validate_simd_op_is_disabled_feature() {
    expect_disabled(check(
        r#"(module (memory (export "memory") 1)
            (func (export "run") (drop (v128.const i64x2 0 0))))"#,
    ));
    expect_disabled(check(r#"(module (memory (export "memory") 1) (func (param v128)))"#));
}

#[test]
fn validate_shared_memory_is_disabled_feature() {
    expect_disabled(check(r#"(module (memory (export "memory") 1 1 shared))"#));
}

#[test]
fn validate_atomics_are_disabled_feature() {
    expect_disabled(check(
        r#"(module (memory (export "memory") 1)
            (func (export "run") (drop (i32.atomic.load (i32.const 0)))))"#,
    ));
    expect_disabled(check(
        r#"(module (memory (export "memory") 1)
            (func (export "run") (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))))"#,
    ));
    expect_disabled(check(r#"(module (memory (export "memory") 1) (func (atomic.fence)))"#));
}

#[test]
fn validate_ref_func_is_disabled_feature() {
    expect_disabled(check(
        r#"(module (memory (export "memory") 1)
            (func $f) (elem declare func $f)
            (func (export "run") (drop (ref.func $f))))"#,
    ));
}

#[test]
fn validate_table_get_is_disabled_feature() {
    expect_disabled(check(
        r#"(module (memory (export "memory") 1) (table 1 funcref)
            (func (export "run") (drop (table.get 0 (i32.const 0)))))"#,
    ));
    expect_disabled(check(
        r#"(module (memory (export "memory") 1) (table 1 funcref)
            (func (export "run") (drop (table.grow 0 (ref.null func) (i32.const 1)))))"#,
    ));
    expect_disabled(check(r#"(module (memory (export "memory") 1) (func (param externref)))"#));
}

#[test]
fn validate_multi_memory_is_disabled_feature() {
    expect_disabled(check(r#"(module (memory (export "memory") 1) (memory 1))"#));
}

#[test]
fn validate_memory64_is_disabled_feature() {
    expect_disabled(check(r#"(module (memory (export "memory") i64 1))"#));
}

#[test]
fn validate_other_post_mvp_proposals_are_disabled_feature() {
    let cases = [
        // tail calls
        r#"(module (memory (export "memory") 1) (func $f) (func (return_call $f)))"#,
        // exceptions
        r#"(module (memory (export "memory") 1) (tag $t) (func (throw $t)))"#,
        // extended const
        r#"(module (memory (export "memory") 1) (global i32 (i32.add (i32.const 1) (i32.const 2))))"#,
        // GC
        r#"(module (memory (export "memory") 1) (type (struct (field i32))))"#,
        // function references
        r#"(module (memory (export "memory") 1) (type $f (func)) (func (param (ref $f))))"#,
        // relaxed SIMD
        r#"(module (memory (export "memory") 1)
            (func (drop (i32x4.relaxed_trunc_f32x4_s (v128.const i64x2 0 0)))))"#,
        // multiple tables (reference types)
        r#"(module (memory (export "memory") 1) (table 1 funcref) (table 1 funcref))"#,
        // call_indirect on a non-zero table
        r#"(module (memory (export "memory") 1) (table 1 funcref) (table $t2 1 funcref)
            (func (call_indirect $t2 (i32.const 0))))"#,
    ];
    for src in cases {
        match check(src) {
            Err(DeployError::DisabledFeature(_)) => {}
            other => panic!("{src}: expected DisabledFeature, got {other:?}"),
        }
    }
}

#[test]
fn validate_component_is_disabled_feature() {
    expect_disabled(check("(component)"));
}

#[test]
fn validate_start_function_is_rejected() {
    let err = check(r#"(module (memory (export "memory") 1) (func $init) (start $init))"#);
    assert_eq!(err, Err(DeployError::StartFunction));
    assert_eq!(DeployError::StartFunction.code(), vmhost_abi::ErrorCode::StartFunctionForbidden);
}

#[test]
fn validate_missing_memory_export_is_rejected() {
    assert_eq!(check(r#"(module (memory 1) (func (export "run")))"#), Err(DeployError::MissingMemory));
    assert_eq!(check(r#"(module (func (export "run")))"#), Err(DeployError::MissingMemory));
    assert_eq!(check(r#"(module (memory (export "mem") 1))"#), Err(DeployError::MissingMemory));
    assert_eq!(check(r#"(module (memory 1) (func (export "memory")))"#), Err(DeployError::MissingMemory));
}

#[test]
fn validate_reserved_export_name_is_rejected() {
    let err = check(
        r#"(module (memory (export "memory") 1)
            (global (export "__vmhost_gas_left") (mut i64) (i64.const 0)))"#,
    );
    assert_eq!(err, Err(DeployError::ReservedExport(GAS_GLOBAL_EXPORT.into())));
    // The whole `__vmhost_` family is the host's.
    let err = check(r#"(module (memory (export "memory") 1) (func (export "__vmhost_dirty_lo")))"#);
    assert_eq!(err, Err(DeployError::ReservedExport("__vmhost_dirty_lo".into())));
    let err = check(r#"(module (memory (export "memory") 1) (func (export "__vmhost_gas_left")))"#);
    assert!(matches!(err, Err(DeployError::ReservedExport(_))));
}

#[test]
fn wasm_limits_default_matches_documented_values() {
    let l = WasmLimits::default();
    assert_eq!(l.max_code_size, 512 * 1024);
    assert_eq!(l.max_functions, 10_000);
    assert_eq!(l.max_function_body_size, 128 * 1024);
    assert_eq!(l.max_locals_per_function, 4_096);
    assert_eq!(l.max_globals, 1_024);
    assert_eq!(l.max_table_size, 10_000);
    assert_eq!(l.max_data_segments, 1_024);
    assert_eq!(l.max_memory_pages, 16);
    assert_eq!(l.max_br_table_targets, 4_096);
    assert_eq!(l.max_imports, 256);
    assert_eq!(l.max_exports, 1_024);
    assert_eq!(l.max_types, 1_024);
}

#[test]
fn validate_code_size_over_limit_is_limit_exceeded() {
    let code = wasm(PLAIN);
    let limits = WasmLimits { max_code_size: code.len() - 1, ..WasmLimits::default() };
    let len = code.len() as u64;
    expect_limit(validate(&code, &limits), "max_code_size", len, len - 1);
    let limits = WasmLimits { max_code_size: code.len(), ..WasmLimits::default() };
    assert!(validate(&code, &limits).is_ok());
}

#[test]
fn validate_functions_over_limit_is_limit_exceeded() {
    // Imported functions do not count.
    let src = r#"(module (import "vmhost" "gas_left" (func (result i64)))
        (memory (export "memory") 1) (func) (func) (func))"#;
    let limits = WasmLimits { max_functions: 2, ..WasmLimits::default() };
    expect_limit(check_with(src, &limits), "max_functions", 3, 2);
    let limits = WasmLimits { max_functions: 3, ..WasmLimits::default() };
    assert!(check_with(src, &limits).is_ok());
}

#[test]
fn validate_function_body_over_limit_is_limit_exceeded() {
    // Body: 1 byte local-decl count + i32.const 1 (2) + drop (1) + end (1) = 5 bytes.
    let src = r#"(module (memory (export "memory") 1) (func (drop (i32.const 1))))"#;
    let limits = WasmLimits { max_function_body_size: 4, ..WasmLimits::default() };
    expect_limit(check_with(src, &limits), "max_function_body_size", 5, 4);
    let limits = WasmLimits { max_function_body_size: 5, ..WasmLimits::default() };
    assert!(check_with(src, &limits).is_ok());
}

#[test]
fn validate_locals_over_limit_is_limit_exceeded() {
    let src = r#"(module (memory (export "memory") 1) (func (param i32 i64) (local i32 i32) (local f64)))"#;
    let limits = WasmLimits { max_locals_per_function: 4, ..WasmLimits::default() };
    expect_limit(check_with(src, &limits), "max_locals_per_function", 5, 4);
    let limits = WasmLimits { max_locals_per_function: 5, ..WasmLimits::default() };
    assert!(check_with(src, &limits).is_ok());
}

#[test]
fn validate_huge_local_count_is_invalid_wasm() {
    // 4 000 000 declared locals: above wasmparser's own cap, so invalid wasm (not a panic, not
    // an allocation of that size).
    let mut module = wasm_encoder::Module::new();
    let mut types = wasm_encoder::TypeSection::new();
    types.ty().function([], []);
    let mut funcs = wasm_encoder::FunctionSection::new();
    funcs.function(0);
    let mut code = wasm_encoder::CodeSection::new();
    let mut body = wasm_encoder::Function::new([(4_000_000, wasm_encoder::ValType::I32)]);
    body.instruction(&wasm_encoder::Instruction::End);
    code.function(&body);
    module.section(&types).section(&funcs).section(&code);
    let result = validate(&module.finish(), &WasmLimits::default());
    assert!(matches!(result, Err(DeployError::InvalidWasm(_))), "{result:?}");
}

#[test]
fn validate_globals_over_limit_is_limit_exceeded() {
    let src = r#"(module (memory (export "memory") 1)
        (global i32 (i32.const 0)) (global i32 (i32.const 0)) (global (mut i64) (i64.const 0)))"#;
    let limits = WasmLimits { max_globals: 2, ..WasmLimits::default() };
    expect_limit(check_with(src, &limits), "max_globals", 3, 2);
}

#[test]
fn validate_table_size_over_limit_is_limit_exceeded() {
    let limits = WasmLimits { max_table_size: 10, ..WasmLimits::default() };
    let initial = r#"(module (memory (export "memory") 1) (table 11 funcref))"#;
    expect_limit(check_with(initial, &limits), "max_table_size", 11, 10);
    let maximum = r#"(module (memory (export "memory") 1) (table 1 11 funcref))"#;
    expect_limit(check_with(maximum, &limits), "max_table_size", 11, 10);
    let ok = r#"(module (memory (export "memory") 1) (table 10 10 funcref))"#;
    assert!(check_with(ok, &limits).is_ok());
}

#[test]
fn validate_data_segments_over_limit_is_limit_exceeded() {
    let src = r#"(module (memory (export "memory") 1) (data (i32.const 0) "a") (data "b") (data "c"))"#;
    let limits = WasmLimits { max_data_segments: 2, ..WasmLimits::default() };
    expect_limit(check_with(src, &limits), "max_data_segments", 3, 2);
}

#[test]
fn validate_memory_initial_pages_over_limit_is_limit_exceeded() {
    let limits = WasmLimits { max_memory_pages: 4, ..WasmLimits::default() };
    expect_limit(check_with(r#"(module (memory (export "memory") 5))"#, &limits), "max_memory_pages", 5, 4);
    // No declared maximum is fine when the initial size is within the limit.
    assert!(check_with(r#"(module (memory (export "memory") 4))"#, &limits).is_ok());
}

#[test]
fn validate_initial_memory_over_limit_is_limit_exceeded_but_a_larger_maximum_is_not() {
    let limits = WasmLimits { max_memory_pages: 4, ..WasmLimits::default() };
    expect_limit(check_with(r#"(module (memory (export "memory") 5))"#, &limits), "max_memory_pages", 5, 4);
    // The declared maximum does not matter: growth is capped per transaction and paid per page.
    assert!(check_with(r#"(module (memory (export "memory") 1 5))"#, &limits).is_ok());
    assert_eq!(check_with(r#"(module (memory (export "memory") 4 4))"#, &limits).map(|i| i.initial_pages), Ok(4));
}

#[test]
fn validate_default_memory_limit_rejects_an_initial_memory_over_1_mib() {
    expect_limit(check(r#"(module (memory (export "memory") 17))"#), "max_memory_pages", 17, 16);
    assert!(check(r#"(module (memory (export "memory") 16 65536))"#).is_ok());
}

#[test]
fn validate_br_table_targets_over_limit_is_limit_exceeded() {
    let src = r#"(module (memory (export "memory") 1)
        (func (param i32) (block (br_table 0 0 0 0 0 (local.get 0)))))"#;
    let limits = WasmLimits { max_br_table_targets: 3, ..WasmLimits::default() };
    expect_limit(check_with(src, &limits), "max_br_table_targets", 4, 3);
    let limits = WasmLimits { max_br_table_targets: 4, ..WasmLimits::default() };
    assert!(check_with(src, &limits).is_ok());
}

#[test]
fn validate_imports_over_limit_is_limit_exceeded() {
    let src = r#"(module
        (import "vmhost" "gas_left" (func (result i64)))
        (import "vmhost" "chain_id" (func (result i64)))
        (import "vmhost" "wave_id" (func (result i64)))
        (memory (export "memory") 1))"#;
    let limits = WasmLimits { max_imports: 2, ..WasmLimits::default() };
    expect_limit(check_with(src, &limits), "max_imports", 3, 2);
}

#[test]
fn validate_exports_over_limit_is_limit_exceeded() {
    let src = r#"(module (memory (export "memory") 1) (func (export "a")) (func (export "b")))"#;
    let limits = WasmLimits { max_exports: 2, ..WasmLimits::default() };
    expect_limit(check_with(src, &limits), "max_exports", 3, 2);
}

#[test]
fn validate_types_over_limit_is_limit_exceeded() {
    let src = r#"(module (memory (export "memory") 1)
        (type (func)) (type (func (param i32))) (type (func (result i32))))"#;
    let limits = WasmLimits { max_types: 2, ..WasmLimits::default() };
    expect_limit(check_with(src, &limits), "max_types", 3, 2);
}

#[test]
fn validate_garbage_bytes_are_invalid_wasm() {
    let cases: [&[u8]; 6] = [
        b"",
        b"\0asm",
        b"hello world, definitely not wasm",
        &[0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00],
        &[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f],
        &[0xff; 64],
    ];
    for code in cases {
        match validate(code, &WasmLimits::default()) {
            Err(DeployError::InvalidWasm(msg)) => assert!(!msg.is_empty()),
            other => panic!("{code:?}: expected InvalidWasm, got {other:?}"),
        }
    }
}

#[test]
fn validate_every_truncation_is_rejected() {
    let code = wasm(PLAIN);
    // The trailing custom `name` section is optional: a cut right before it is the same module.
    let code_end = Parser::new(0)
        .parse_all(&code)
        .find_map(|p| match p {
            Ok(Payload::CodeSectionStart { range, .. }) => Some(range.end),
            _ => None,
        })
        .expect("has code");
    let mut invalid = 0;
    for len in 0..code.len() {
        match validate(&code[..len], &WasmLimits::default()) {
            Err(DeployError::InvalidWasm(_)) => invalid += 1,
            // A cut exactly at a section boundary can leave a valid module without a memory.
            Err(DeployError::MissingMemory) => {}
            Ok(_) if len == code_end => {}
            other => panic!("truncated at {len}: expected InvalidWasm, got {other:?}"),
        }
    }
    assert!(invalid + 8 >= code.len(), "nearly every cut is invalid wasm");
}

/// Deterministic xorshift for the fuzz-ish tests.
pub(crate) struct XorShift(pub(crate) u64);

impl XorShift {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

pub(crate) const FUZZ_SEED_MODULE: &str = r#"(module
    (import "vmhost" "input_len" (func $input_len (result i32)))
    (memory (export "memory") 1 4)
    (table 2 funcref)
    (elem (i32.const 0) $a $b)
    (global $g (mut i32) (i32.const 0))
    (data (i32.const 16) "hello")
    (func $a (param i32) (result i32)
        (local i64)
        (block (loop
            (br_if 1 (i32.eqz (local.get 0)))
            (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
            (br 0)))
        (if (result i32) (local.get 0) (then (i32.div_u (i32.const 6) (i32.const 3))) (else (i32.const 1))))
    (func $b (param i32) (result i32)
        (block (block (br_table 0 1 (local.get 0))))
        (memory.fill (i32.const 0) (i32.const 1) (local.get 0))
        (drop (memory.grow (i32.const 1)))
        (call_indirect (param i32) (result i32) (local.get 0) (i32.const 0)))
    (func (export "run")
        (global.set $g (call $a (call $input_len)))))"#;

#[test]
fn validate_mutated_modules_never_panic() {
    let code = wasm(FUZZ_SEED_MODULE);
    let limits = WasmLimits::default();
    assert!(validate(&code, &limits).is_ok(), "seed module is valid");
    for len in 0..code.len() {
        let _ = validate(&code[..len], &limits);
    }
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut accepted = 0;
    for _ in 0..256 {
        let mut mutated = code.clone();
        let offset = (rng.next() % code.len() as u64) as usize;
        let flip = (rng.next() % 255 + 1) as u8;
        mutated[offset] ^= flip;
        if let Ok(info) = validate(&mutated, &limits) {
            accepted += 1;
            assert_eq!(info.code_size, mutated.len());
            // Whatever the gate accepts, the metering pass must handle.
            let metered = instrument(&mutated).expect("accepted module instruments");
            assert!(Validator::new_with_features(deterministic_features()).validate_all(&metered).is_ok());
        }
    }
    // Sanity: some mutations (in data bytes, names) stay valid.
    assert!(accepted > 0);
}

#[test]
fn deterministic_features_enable_only_the_profile() {
    let f = deterministic_features();
    for (name, on) in [
        ("mutable_global", f.mutable_global()),
        ("floats", f.floats()),
        ("sign_extension", f.sign_extension()),
        ("saturating_float_to_int", f.saturating_float_to_int()),
        ("multi_value", f.multi_value()),
        ("bulk_memory", f.bulk_memory()),
    ] {
        assert!(on, "{name} must be enabled");
    }
    for (name, on) in [
        ("simd", f.simd()),
        ("relaxed_simd", f.relaxed_simd()),
        ("threads", f.threads()),
        ("shared_everything_threads", f.shared_everything_threads()),
        ("reference_types", f.reference_types()),
        ("multi_memory", f.multi_memory()),
        ("memory64", f.memory64()),
        ("tail_call", f.tail_call()),
        ("exceptions", f.exceptions()),
        ("legacy_exceptions", f.legacy_exceptions()),
        ("gc", f.gc()),
        ("function_references", f.function_references()),
        ("component_model", f.component_model()),
        ("extended_const", f.extended_const()),
        ("memory_control", f.memory_control()),
        ("wide_arithmetic", f.wide_arithmetic()),
        ("custom_page_sizes", f.custom_page_sizes()),
        ("stack_switching", f.stack_switching()),
        ("call_indirect_overlong", f.call_indirect_overlong()),
    ] {
        assert!(!on, "{name} must be disabled");
    }
}

#[test]
fn validate_segments_beyond_the_initial_memory_or_table_are_refused_for_every_engine() {
    // Data: the last byte of one page fits, one more does not; an offset read as unsigned.
    assert!(check(r#"(module (memory (export "memory") 1) (data (i32.const 65535) "x"))"#).is_ok());
    for src in [
        r#"(module (memory (export "memory") 1) (data (i32.const 65535) "xy"))"#,
        r#"(module (memory (export "memory") 1) (data (i32.const -1) "x"))"#,
        r#"(module (memory (export "memory") 0) (data (i32.const 0) "x"))"#,
    ] {
        match check(src) {
            Err(e @ DeployError::SegmentOutOfBounds { kind: "data", .. }) => {
                assert_eq!(e.code(), vmhost_abi::ErrorCode::CompileFailed)
            }
            other => panic!("{src}: {other:?}"),
        }
    }
    // Elements: two functions into a table of two fit, at offset 1 they do not.
    let table = |offset: i32| {
        format!(
            r#"(module (memory (export "memory") 1) (table 2 funcref) (func $f) (elem (i32.const {offset}) $f $f))"#
        )
    };
    assert!(check(&table(0)).is_ok());
    assert!(matches!(check(&table(1)), Err(DeployError::SegmentOutOfBounds { kind: "element", end: 3, size: 2, .. })));
}

#[test]
fn a_deploy_refuses_exported_functions_that_are_not_entry_points_and_modules_without_one() {
    use crate::wasm::{prepare_module, WasmPipeline};
    let prepare = |src: &str| {
        let params = crate::ConsensusParams::default();
        prepare_module(&wasm(src), &params.wasm, &params.ops, WasmPipeline::default())
    };
    for (src, name, sig) in [
        (
            r#"(module (memory (export "memory") 1) (func (export "run")) (func (export "add") (param i32 i32) (result i32) (i32.const 0)))"#,
            "add",
            "(i32, i32) -> (i32)",
        ),
        (
            r#"(module (memory (export "memory") 1) (func (export "get") (result i64) (i64.const 0)))"#,
            "get",
            "() -> (i64)",
        ),
    ] {
        match prepare(src) {
            Err(e @ DeployError::EntryPointSignature { .. }) => {
                let text = e.to_string();
                assert!(text.contains(name) && text.contains(sig), "{text}");
                assert_eq!(e.code(), vmhost_abi::ErrorCode::BadExports);
            }
            other => panic!("{src}: {other:?}"),
        }
    }
    assert!(matches!(prepare(r#"(module (memory (export "memory") 1) (func $f))"#), Err(DeployError::NoEntryPoint)));
    assert!(prepare(r#"(module (memory (export "memory") 1) (func (export "run")))"#).is_ok());
    // The gate itself still lists them (tools inspect modules that are not contracts).
    let info =
        check(r#"(module (memory (export "memory") 1) (func (export "add") (param i32) (result i32) (local.get 0)))"#)
            .expect("valid");
    assert_eq!(info.other_exported_functions, [("add".to_string(), "(i32) -> (i32)".to_string())]);
}
