//! Tests of the write-tracking pass. What the range records at run time is tested against
//! wasmtime in `tests/integration/wasm_reuse.rs`; these check the module the pass produces.

use super::*;
use crate::wasm::GAS_GLOBAL_EXPORT;
use crate::wasm::{prepare, WasmLimits};

fn metered(src: &str) -> Vec<u8> {
    let code = wat::parse_str(src).expect("test module must parse");
    prepare(&code, &WasmLimits::default()).expect("module is accepted").1
}

fn tracked(src: &str) -> Vec<u8> {
    track_writes(&metered(src)).expect("parses").expect("eligible")
}

/// Exported globals by name: (index, mutable, constant initial value).
fn exported_globals(code: &[u8]) -> Vec<(String, u32, bool, Option<i32>)> {
    let mut globals = Vec::new();
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(code) {
        match payload.expect("parses") {
            Payload::GlobalSection(reader) => {
                for g in reader {
                    let g = g.expect("global");
                    let init = match g.init_expr.get_operators_reader().read().expect("op") {
                        Operator::I32Const { value } => Some(value),
                        _ => None,
                    };
                    globals.push((g.ty.mutable, init));
                }
            }
            Payload::ExportSection(reader) => {
                for e in reader {
                    let e = e.expect("export");
                    if e.kind == ExternalKind::Global {
                        let (mutable, init) = globals[e.index as usize];
                        out.push((e.name.to_owned(), e.index, mutable, init));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn global(code: &[u8], name: &str) -> (u32, bool, Option<i32>) {
    let g = exported_globals(code).into_iter().find(|g| g.0 == name).unwrap_or_else(|| panic!("no export {name}"));
    (g.1, g.2, g.3)
}

/// How many times each function body sets global `index`.
fn sets_of(code: &[u8], index: u32) -> Vec<usize> {
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(code) {
        if let Payload::CodeSectionEntry(body) = payload.expect("parses") {
            let mut reader = body.get_operators_reader().expect("ops");
            let mut n = 0;
            while !reader.eof() {
                if let Operator::GlobalSet { global_index } = reader.read().expect("op") {
                    n += usize::from(global_index == index);
                }
            }
            out.push(n);
        }
    }
    out
}

const WRITES: &str = r#"(module
  (memory (export "memory") 1)
  (data (i32.const 1024) "hello")
  (data (i32.const 2048) "abc")
  (data $passive "xyz")
  (global $sp (mut i32) (i32.const 4096))
  (global $k i64 (i64.const 7))
  (global $f (mut f64) (f64.const 1))
  (func (export "stores") (param $p i32)
    (i32.store (local.get $p) (i32.const 1))
    (i64.store offset=8 (local.get $p) (i64.const 2))
    (f32.store (local.get $p) (f32.const 3))
    (f64.store (local.get $p) (f64.const 4))
    (i32.store8 (local.get $p) (i32.const 5))
    (i32.store16 (local.get $p) (i32.const 6))
    (i64.store8 (local.get $p) (i64.const 7))
    (i64.store16 (local.get $p) (i64.const 8))
    (i64.store32 offset=4 (local.get $p) (i64.const 9)))
  (func (export "bulk")
    (memory.fill (i32.const 0) (i32.const 1) (i32.const 16))
    (memory.copy (i32.const 32) (i32.const 0) (i32.const 16))
    (memory.init $passive (i32.const 64) (i32.const 0) (i32.const 3)))
  (func (export "reads") (drop (i32.load (i32.const 0)))))"#;

#[test]
fn every_memory_write_widens_both_ends_of_the_range() {
    let out = tracked(WRITES);
    let (lo, lo_mut, lo_init) = global(&out, DIRTY_LO_EXPORT);
    let (hi, hi_mut, hi_init) = global(&out, DIRTY_HI_EXPORT);
    assert!(lo_mut && hi_mut);
    assert_eq!((lo_init, hi_init), (Some(-1), Some(0)), "the range starts empty");
    // One update of each end per write (inside an `if`): 9 stores, 3 bulk writes, no write in
    // `reads`.
    assert_eq!(sets_of(&out, lo), [9, 3, 0]);
    assert_eq!(sets_of(&out, hi), [9, 3, 0]);
}

#[test]
fn the_data_hull_and_the_mutable_globals_are_exported() {
    let out = tracked(WRITES);
    assert_eq!(global(&out, DATA_LO_EXPORT), (global(&out, DATA_LO_EXPORT).0, false, Some(1024)));
    assert_eq!(global(&out, DATA_HI_EXPORT).2, Some(2051));
    let names: Vec<String> = exported_globals(&out).into_iter().map(|g| g.0).collect();
    // $sp (0) and $f (2) are mutable; $k (1) is not; the gas global has its own export.
    assert!(names.contains(&format!("{GLOBAL_EXPORT_PREFIX}0")), "{names:?}");
    assert!(names.contains(&format!("{GLOBAL_EXPORT_PREFIX}2")), "{names:?}");
    assert!(!names.contains(&format!("{GLOBAL_EXPORT_PREFIX}1")), "{names:?}");
    assert_eq!(names.iter().filter(|n| n.starts_with(GLOBAL_EXPORT_PREFIX)).count(), 2, "{names:?}");
    assert!(names.contains(&GAS_GLOBAL_EXPORT.to_owned()));
}

#[test]
fn a_module_without_data_has_an_empty_hull() {
    let out = tracked(r#"(module (memory (export "memory") 1) (func (export "run")))"#);
    assert_eq!(global(&out, DATA_LO_EXPORT).2, Some(0));
    assert_eq!(global(&out, DATA_HI_EXPORT).2, Some(0));
}

#[test]
fn modules_whose_state_a_reset_cannot_restore_are_declined() {
    let cases = [
        (r#"(data $d "x") (func (export "run") (data.drop $d))"#, Untrackable::Operator("data.drop")),
        (
            r#"(table 2 funcref) (elem $e func $f) (func $f) (func (export "run") (elem.drop $e))"#,
            Untrackable::Operator("elem.drop"),
        ),
        (
            r#"(table 2 funcref) (elem $e func $f) (func $f)
               (func (export "run") (table.init $e (i32.const 0) (i32.const 0) (i32.const 1)))"#,
            Untrackable::Operator("table.init"),
        ),
        (
            r#"(table 2 funcref) (func (export "run") (table.copy (i32.const 0) (i32.const 1) (i32.const 1)))"#,
            Untrackable::Operator("table.copy"),
        ),
    ];
    for (body, why) in cases {
        let src = format!(r#"(module (memory (export "memory") 1) {body})"#);
        assert_eq!(track_writes(&metered(&src)).expect("parses"), Err(why), "{src}");
    }
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    assert!(track_writes(b"\0asm\x01\0\0\0\x05\xff").is_err());
    assert!(track_writes(b"not wasm").is_err());
    let valid = metered(WRITES);
    for cut in (8..valid.len()).step_by(7) {
        let _ = track_writes(&valid[..cut]);
    }
}

#[test]
fn whatever_the_gate_accepts_is_tracked_or_declined_never_an_error() {
    use crate::wasm::gate::tests::{XorShift, FUZZ_SEED_MODULE};
    let code = wat::parse_str(FUZZ_SEED_MODULE).expect("wat");
    let limits = WasmLimits::default();
    let mut rng = XorShift(0x7ac4_1e55_0dd5_eed5);
    let (mut tracked, mut accepted) = (0, 0);
    for _ in 0..256 {
        let mut mutated = code.clone();
        let offset = (rng.next() % code.len() as u64) as usize;
        mutated[offset] ^= (rng.next() % 255 + 1) as u8;
        let Ok((_, metered)) = prepare(&mutated, &limits) else { continue };
        accepted += 1;
        match track_writes(&metered) {
            Ok(Ok(out)) => {
                tracked += 1;
                assert!(Validator::new_with_features(deterministic_features()).validate_all(&out).is_ok());
            }
            Ok(Err(_declined)) => {}
            Err(e) => panic!("an accepted module failed to track: {e}"),
        }
        // Arbitrary bytes (a mutated metered module) give an error or a result, never a panic.
        let mut broken = metered.clone();
        let offset = (rng.next() % broken.len() as u64) as usize;
        broken[offset] ^= (rng.next() % 255 + 1) as u8;
        let _ = track_writes(&broken);
    }
    assert!(accepted > 0 && tracked > 0, "accepted {accepted}, tracked {tracked}");
}

#[test]
fn a_module_exporting_a_reserved_name_of_its_own_is_declined() {
    // The gate refuses such modules; the pass declines them on its own too.
    let code = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "__vmhost_dirty_lo")))"#).unwrap();
    let metered = crate::wasm::instrument(&code).unwrap();
    assert_eq!(track_writes(&metered).unwrap(), Err(Untrackable::ReservedName("__vmhost_dirty_lo".into())));
}
