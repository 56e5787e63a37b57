//! Tests of the metering pass (`instrument`, `operator_cost`).
//!
//! There is no engine here: expected gas is worked out by hand from the ABI weights and compared
//! with the charges found in the instrumented bodies. Each instrumented body is also "stripped"
//! of its charge code and compared with the original body, which shows the pass changes nothing
//! else.

use super::*;
use crate::wasm::gate::tests::{XorShift, FUZZ_SEED_MODULE};
use crate::wasm::FUNCTION_ENTRY_GAS;
use crate::wasm::{prepare, validate, WasmLimits};
use wasmparser::{BlockType as ParsedBlockType, ExternalKind, GlobalType as ParsedGlobalType};

fn wasm(src: &str) -> Vec<u8> {
    wat::parse_str(src).expect("test module must parse")
}

fn metered(src: &str) -> (Vec<u8>, Vec<u8>) {
    let code = wasm(src);
    let (_, out) = prepare(&code, &WasmLimits::default()).expect("module is accepted");
    (code, out)
}

/// The operators of every function body, in order.
fn bodies(code: &[u8]) -> Vec<Vec<Operator<'_>>> {
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(code) {
        if let Payload::CodeSectionEntry(body) = payload.expect("parses") {
            let mut reader = body.get_operators_reader().expect("ops");
            let mut ops = Vec::new();
            while !reader.eof() {
                ops.push(reader.read().expect("op"));
            }
            out.push(ops);
        }
    }
    out
}

/// Local declarations of every function body.
fn locals(code: &[u8]) -> Vec<Vec<(u32, wasmparser::ValType)>> {
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(code) {
        if let Payload::CodeSectionEntry(body) = payload.expect("parses") {
            let decls = body.get_locals_reader().expect("locals");
            out.push(decls.into_iter().map(|d| d.expect("decl")).collect());
        }
    }
    out
}

/// Index of the exported gas global, checking its type and initial value.
fn gas_global(code: &[u8]) -> u32 {
    let mut globals: Vec<(ParsedGlobalType, Vec<String>)> = Vec::new();
    let mut export = None;
    for payload in Parser::new(0).parse_all(code) {
        match payload.expect("parses") {
            Payload::GlobalSection(reader) => {
                for g in reader {
                    let g = g.expect("global");
                    let mut ops = g.init_expr.get_operators_reader();
                    let mut init = Vec::new();
                    while !ops.eof() {
                        init.push(format!("{:?}", ops.read().expect("op")));
                    }
                    globals.push((g.ty, init));
                }
            }
            Payload::ExportSection(reader) => {
                for e in reader {
                    let e = e.expect("export");
                    if e.name == GAS_GLOBAL_EXPORT {
                        assert_eq!(e.kind, ExternalKind::Global);
                        assert!(export.replace(e.index).is_none(), "exported once");
                    }
                }
            }
            _ => {}
        }
    }
    let index = export.expect("gas global exported");
    let (ty, init) = globals.last().expect("has globals");
    assert_eq!(index as usize, globals.len() - 1, "gas global is the last global");
    assert_eq!(ty.content_type, wasmparser::ValType::I64);
    assert!(ty.mutable);
    assert_eq!(init, &["I64Const { value: 0 }", "End"]);
    index
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Charge {
    /// A segment charge of this many gas.
    Segment(i64),
    /// A dynamic charge at this weight per unit, through this scratch local.
    Dynamic { weight: i64, scratch: u32 },
}

/// `local.tee c; i64.const 0; i64.lt_s; if; local.get c; global.set g; unreachable; end`
/// (the out-of-gas check after a charge), returning the counter local.
fn oog_check_counter(ops: &[Operator<'_>], g: u32) -> Option<u32> {
    match ops {
        [Operator::LocalTee { local_index: c1 }, Operator::I64Const { value: 0 }, Operator::I64LtS, Operator::If { blockty: ParsedBlockType::Empty }, Operator::LocalGet { local_index: c2 }, Operator::GlobalSet { global_index: a }, Operator::Unreachable, Operator::End, ..]
            if *a == g && c1 == c2 =>
        {
            Some(*c1)
        }
        _ => None,
    }
}

/// Recognises the exact charge sequences at the start of `ops`: (charge, length).
fn charge_at(ops: &[Operator<'_>], g: u32) -> Option<(Charge, usize)> {
    match ops {
        [Operator::LocalGet { local_index: c }, Operator::I64Const { value }, Operator::I64Sub, rest @ ..]
            if oog_check_counter(rest, g) == Some(*c) =>
        {
            Some((Charge::Segment(*value), 11))
        }
        [Operator::LocalTee { local_index: s1 }, Operator::LocalGet { local_index: c }, Operator::LocalGet { local_index: s2 }, Operator::I64ExtendI32U, Operator::I64Const { value }, Operator::I64Mul, Operator::I64Sub, rest @ ..]
            if s1 == s2 && oog_check_counter(rest, g) == Some(*c) =>
        {
            Some((Charge::Dynamic { weight: *value, scratch: *s1 }, 15))
        }
        _ => None,
    }
}

/// Recognises a counter sync at the start of `ops` (`global.get g; local.set c` or
/// `local.get c; global.set g`): its length. The original code never touches the gas global.
fn sync_at(ops: &[Operator<'_>], g: u32) -> Option<usize> {
    match ops {
        [Operator::GlobalGet { global_index: a }, Operator::LocalSet { .. }, ..] if *a == g => Some(2),
        [Operator::LocalGet { .. }, Operator::GlobalSet { global_index: a }, ..] if *a == g => Some(2),
        _ => None,
    }
}

/// Splits an instrumented body into the original operators (as Debug strings) and the charges,
/// each with the index of the original operator it precedes (counter syncs are dropped).
fn strip(ops: &[Operator<'_>], g: u32) -> (Vec<String>, Vec<(usize, Charge)>) {
    let mut original = Vec::new();
    let mut charges = Vec::new();
    let mut i = 0;
    while i < ops.len() {
        if let Some((charge, len)) = charge_at(&ops[i..], g) {
            charges.push((original.len(), charge));
            i += len;
        } else if let Some(len) = sync_at(&ops[i..], g) {
            i += len;
        } else {
            original.push(format!("{:?}", ops[i]));
            i += 1;
        }
    }
    (original, charges)
}

fn debug_ops(ops: &[Operator<'_>]) -> Vec<String> {
    ops.iter().map(|op| format!("{op:?}")).collect()
}

/// Instruments `src` and returns, per function, the charges with their positions; also checks
/// that the output validates, exports the gas global and that stripping the charges gives back
/// exactly the original bodies.
fn charges_of(src: &str) -> Vec<Vec<(usize, Charge)>> {
    let (code, out) = metered(src);
    assert!(Validator::new_with_features(deterministic_features()).validate_all(&out).is_ok());
    let g = gas_global(&out);
    let before = bodies(&code);
    let after = bodies(&out);
    assert_eq!(before.len(), after.len());
    let mut all = Vec::new();
    for (orig, inst) in before.iter().zip(&after) {
        let (stripped, charges) = strip(inst, g);
        assert_eq!(stripped, debug_ops(orig), "only charge code was added");
        all.push(charges);
    }
    all
}

/// The segment charges of one function, in order.
fn segments(charges: &[(usize, Charge)]) -> Vec<i64> {
    charges
        .iter()
        .filter_map(|(_, c)| match c {
            Segment(gas) => Some(*gas),
            Dynamic { .. } => None,
        })
        .collect()
}

/// Just the charge amounts of one function, in order.
fn amounts(charges: &[(usize, Charge)]) -> Vec<Charge> {
    charges.iter().map(|(_, c)| *c).collect()
}

use Charge::{Dynamic, Segment};

/// The per-invocation charge, folded into every function's first segment.
const E: i64 = FUNCTION_ENTRY_GAS as i64;

#[test]
fn function_entry_gas_is_one_like_wasmtime() {
    // wasmtime-cranelift starts every function with one unit of fuel consumed.
    assert_eq!(FUNCTION_ENTRY_GAS, 1);
}

#[test]
fn instrument_straight_line_charges_once_up_front() {
    let charges = charges_of(
        r#"(module (memory (export "memory") 1)
            (func (export "run")
                i32.const 1    ;; 1
                i32.const 2    ;; 1
                i32.add        ;; 1
                i32.const 3    ;; 1
                i32.div_u      ;; 4 (division)
                nop            ;; 0
                drop))         ;; 0, end 0"#,
    );
    assert_eq!(charges, [vec![(0, Segment(E + 8))]]);
}

#[test]
fn instrument_loop_charges_per_iteration_inside_the_loop() {
    let charges = charges_of(
        r#"(module (memory (export "memory") 1)
            (func (export "run") (param $n i32)
                block                  ;; 0
                  loop                 ;; 0   segment [block loop] = 0 + entry
                    local.get $n       ;; 1
                    i32.eqz            ;; 1
                    br_if 1            ;; 1   segment = 3
                    local.get $n       ;; 1
                    i32.const 1        ;; 1
                    i32.sub            ;; 1
                    local.set $n       ;; 1
                    br 0               ;; 1   segment = 5
                  end                  ;; 0   (dead) segment = 0
                end))                  ;; 0"#,
    );
    // The entry charge sits before `block`, paid once; the loop body's charge sits right after
    // `loop` (original op index 2), so it is paid per iteration.
    assert_eq!(charges, [vec![(0, Segment(E)), (2, Segment(3)), (5, Segment(5))]]);
    // n iterations: the exit test (3) runs n + 1 times, the decrement (5) n times, as wasmtime's
    // fuel counts it. The dead `end` segments cost 0 and get no charge code.
    let s = segments(&charges[0]);
    let gas = |n: i64| s[0] + s[1] * (n + 1) + s[2] * n;
    assert_eq!(gas(0), E + 3);
    assert_eq!(gas(10), E + 83);
}

#[test]
fn instrument_if_else_charges_each_arm_inside_it() {
    let charges = charges_of(
        r#"(module (memory (export "memory") 1)
            (func (export "run") (param i32) (result i32)
                local.get 0        ;; 0: 1
                if (result i32)    ;; 1: 1   segment = 2
                  i32.const 10     ;; 2: 1
                  i32.const 2      ;; 3: 1
                  i32.mul          ;; 4: 1
                else               ;; 5: 0   then-arm segment = 3
                  i32.const 7      ;; 6: 1
                end                ;; 7: 0   else-arm segment = 1
                i32.const 1        ;; 8: 1
                i32.add))          ;; 9: 1, 10: end   segment = 2"#,
    );
    assert_eq!(charges, [vec![(0, Segment(E + 2)), (2, Segment(3)), (6, Segment(1)), (8, Segment(2))]]);
    let s = segments(&charges[0]);
    // then: local.get if i32.const i32.const i32.mul else end i32.const i32.add end = 7
    assert_eq!(s[0] + s[1] + s[3], E + 7);
    // else: local.get if i32.const end i32.const i32.add end = 5
    assert_eq!(s[0] + s[2] + s[3], E + 5);
}

#[test]
fn instrument_if_without_else_charges_then_arm_only_when_taken() {
    let charges = charges_of(
        r#"(module (memory (export "memory") 1)
            (func (export "run") (param i32)
                local.get 0       ;; 1
                if                ;; 1  segment = 2
                  i32.const 1     ;; 1
                  drop            ;; 0
                end               ;; 0  segment = 1
                nop))             ;; segment [nop end] = 0"#,
    );
    assert_eq!(charges, [vec![(0, Segment(E + 2)), (2, Segment(1))]]);
}

#[test]
fn instrument_br_if_taken_and_not_taken_pay_their_segments() {
    let charges = charges_of(
        r#"(module (memory (export "memory") 1)
            (func (export "run") (param i32) (result i32)
                block (result i32)  ;; 0
                  i32.const 1       ;; 1
                  local.get 0       ;; 1
                  br_if 0           ;; 1   segment = 3
                  drop              ;; 0
                  i32.const 2       ;; 1
                end                 ;; 0   segment = 1
                i32.const 3         ;; 1
                i32.add))           ;; 1   segment = 2"#,
    );
    assert_eq!(charges, [vec![(0, Segment(E + 3)), (4, Segment(1)), (7, Segment(2))]]);
    let s = segments(&charges[0]);
    // taken: block i32.const local.get br_if | i32.const i32.add end = 5
    assert_eq!(s[0] + s[2], E + 5);
    // not taken: ... br_if drop i32.const end i32.const i32.add end = 6
    assert_eq!(s[0] + s[1] + s[2], E + 6);
}

#[test]
fn instrument_call_ends_segment_and_callee_charges_itself() {
    let charges = charges_of(
        r#"(module
            (import "vmhost" "input_len" (func $input_len (result i32)))
            (memory (export "memory") 1)
            (func $callee (result i32)
                i32.const 5 i32.const 6 i32.mul)   ;; 3
            (func (export "run") (result i32)
                call $callee       ;; 5   segment = 5
                call $input_len    ;; 5   segment = 5
                i32.add))          ;; 1   segment = 1"#,
    );
    assert_eq!(charges, [vec![(0, Segment(E + 3))], vec![(0, Segment(E + 5)), (1, Segment(5)), (2, Segment(1))]]);
    // A completed call of `run`: its own 11 plus the callee's 3, plus one entry charge each (the
    // host function's own gas is charged by the host).
    let total: i64 = segments(&charges[0]).iter().chain(&segments(&charges[1])).sum();
    assert_eq!(total, 2 * E + 14);
}

#[test]
fn instrument_return_unreachable_and_br_table_end_segments() {
    let charges = charges_of(
        r#"(module (memory (export "memory") 1) (table 1 funcref)
            (func (export "run") (param i32)
                block                      ;; 0: 0
                  local.get 0              ;; 1: 1
                  br_table 0 0             ;; 2: 1   segment = 2
                end                        ;; 3: 0   (dead) segment = 0
                local.get 0                ;; 4: 1
                i32.const 0                ;; 5: 1
                call_indirect (param i32)  ;; 6: 5   segment = 7
                ))"#,
    );
    assert_eq!(charges, [vec![(0, Segment(E + 2)), (4, Segment(7))]]);

    let charges = charges_of(
        r#"(module (memory (export "memory") 1)
            (func (export "run") (param i32)
                local.get 0    ;; 0: 1
                if             ;; 1: 1   segment = 2
                  return       ;; 2: 0   segment = 0
                end            ;; 3: 0   (dead) segment = 0
                i32.const 1    ;; 4: 1
                drop           ;; 5: 0
                unreachable    ;; 6: 0   segment = 1
                i32.const 2    ;; 7: 1   (dead)
                drop))         ;; 8: 0, 9: end   segment = 1"#,
    );
    assert_eq!(charges, [vec![(0, Segment(E + 2)), (4, Segment(1)), (7, Segment(1))]]);
}

#[test]
fn instrument_memory_fill_charges_per_byte_before_the_op() {
    let src = r#"(module (memory (export "memory") 1)
        (func (export "fill") (param $n i32)
            i32.const 0     ;; 1
            i32.const 255   ;; 1
            local.get $n    ;; 1
            memory.fill))   ;; 1 + n * BULK_PER_BYTE"#;
    let charges = charges_of(src);
    let w = weights::BULK_PER_BYTE as i64;
    // Scratch local index 1: one parameter, no declared locals.
    assert_eq!(charges, [vec![(0, Segment(E + 4)), (3, Dynamic { weight: w, scratch: 2 })]]);
    let gas = |n: i64| segments(&charges[0])[0] + n * w;
    assert_eq!(gas(100), E + 104);
    // The gas counter (i64) and the scratch local (i32) were appended.
    let (code, out) = metered(src);
    assert!(locals(&code)[0].is_empty());
    assert_eq!(locals(&out)[0], [(1, wasmparser::ValType::I64), (1, wasmparser::ValType::I32)]);
}

#[test]
fn instrument_memory_grow_charges_flat_plus_per_page() {
    let charges = charges_of(
        r#"(module (memory (export "memory") 1)
            (func (export "grow") (result i32) (local i64 i64)
                i32.const 3     ;; 1
                memory.grow))   ;; MEMORY_GROW + 3 * MEMORY_GROW_PER_PAGE"#,
    );
    let flat = E + 1 + weights::MEMORY_GROW as i64;
    let per_page = weights::MEMORY_GROW_PER_PAGE as i64;
    // Scratch local index 2: no parameters, two declared locals.
    assert_eq!(charges, [vec![(0, Segment(flat)), (1, Dynamic { weight: per_page, scratch: 3 })]]);
    // Growing by 3 pages: 1 + 200 + 3 * 8192.
    assert_eq!(segments(&charges[0])[0] + 3 * per_page, E + 1 + 200 + 3 * 8192);
}

#[test]
fn instrument_bulk_ops_get_their_weights() {
    let charges = charges_of(
        r#"(module (memory (export "memory") 1) (table 4 funcref) (func $f)
            (data "abcd") (elem func $f $f)
            (func (export "bulk") (param i32 i32 i32)
                (memory.copy (local.get 0) (local.get 1) (local.get 2))
                (memory.init 0 (local.get 0) (local.get 1) (local.get 2))
                (table.copy (local.get 0) (local.get 1) (local.get 2))
                (table.init 0 (local.get 0) (local.get 1) (local.get 2))))"#,
    );
    let byte = weights::BULK_PER_BYTE as i64;
    let elem = weights::TABLE_PER_ELEMENT as i64;
    assert_eq!(charges[0], [(0, Segment(E))]);
    assert_eq!(
        amounts(&charges[1]),
        [
            Segment(E + 16),
            Dynamic { weight: byte, scratch: 4 },
            Dynamic { weight: byte, scratch: 4 },
            Dynamic { weight: elem, scratch: 4 },
            Dynamic { weight: elem, scratch: 4 },
        ]
    );
}

#[test]
fn instrument_scratch_local_only_where_needed() {
    let src = r#"(module (memory (export "memory") 1)
        (func (param i32) (local f32) (drop (memory.grow (local.get 0))))
        (func (param i32) (local f32) (drop (local.get 0))))"#;
    let (code, out) = metered(src);
    let (before, after) = (locals(&code), locals(&out));
    // Every function gets the i64 gas counter; only the one with a dynamic charge the scratch.
    assert_eq!(after[0], [before[0][0], (1, wasmparser::ValType::I64), (1, wasmparser::ValType::I32)]);
    assert_eq!(after[1], [before[1][0], (1, wasmparser::ValType::I64)]);
}

#[test]
fn instrument_free_ops_only_function_pays_entry_charge_only() {
    // nop, block, end, loop, end, end: every segment is free, only the entry charge remains.
    let charges = charges_of(r#"(module (memory (export "memory") 1) (func (export "run") nop (block) (loop)))"#);
    assert_eq!(charges, [vec![(0, Segment(E))]]);
}

#[test]
fn instrument_multi_value_block_params_stay_valid() {
    let charges = charges_of(
        r#"(module (memory (export "memory") 1)
            (func (export "run") (result i32)
                i32.const 3                     ;; 1
                loop (param i32) (result i32)   ;; 0   segment = 1
                  i32.const 1                   ;; 1
                  i32.sub                       ;; 1
                end))                           ;; 0   segment = 2"#,
    );
    assert_eq!(charges, [vec![(0, Segment(E + 1)), (2, Segment(2))]]);
}

#[test]
fn instrument_gas_global_appended_after_existing_globals() {
    let (code, out) = metered(
        r#"(module (memory (export "memory") 1)
            (global $a (mut i32) (i32.const 1)) (global $b i64 (i64.const 2))
            (func (export "run") (global.set $a (i32.wrap_i64 (global.get $b)))))"#,
    );
    assert_eq!(gas_global(&out), 2);
    // The original global indices are untouched (checked by the body comparison too).
    assert_eq!(debug_ops(&bodies(&code)[0]), strip(&bodies(&out)[0], 2).0);
}

#[test]
fn instrument_module_without_globals_or_exports_adds_both() {
    for src in ["(module)", "(module (func nop))", "(module (memory 1) (data (i32.const 0) \"x\"))"] {
        let out = instrument(&wasm(src)).expect("instruments");
        assert_eq!(gas_global(&out), 0, "{src}");
        assert!(Validator::new_with_features(deterministic_features()).validate_all(&out).is_ok());
    }
}

#[test]
fn instrument_drops_custom_sections() {
    let code = wasm(r#"(module $named (@custom "extra" "payload") (memory (export "memory") 1) (func $f))"#);
    let out = instrument(&code).expect("instruments");
    let customs = Parser::new(0).parse_all(&out).filter(|p| matches!(p, Ok(Payload::CustomSection(_)))).count();
    assert_eq!(customs, 0);
}

#[test]
fn instrument_rejects_invalid_disabled_and_reserved_input() {
    assert!(matches!(instrument(b"garbage"), Err(DeployError::InvalidWasm(_))));
    let simd = wasm(r#"(module (func (drop (v128.const i64x2 0 0))))"#);
    assert!(matches!(instrument(&simd), Err(DeployError::DisabledFeature(_))));
    let reserved = wasm(r#"(module (global (export "__vmhost_gas_left") i32 (i32.const 0)))"#);
    assert!(matches!(instrument(&reserved), Err(DeployError::ReservedExport(_))));
}

#[test]
fn instrument_mutated_and_truncated_input_never_panics() {
    let code = wasm(FUZZ_SEED_MODULE);
    assert!(instrument(&code).is_ok());
    for len in 0..code.len() {
        let _ = instrument(&code[..len]);
    }
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    for _ in 0..256 {
        let mut mutated = code.clone();
        let offset = (rng.next() % code.len() as u64) as usize;
        mutated[offset] ^= (rng.next() % 255 + 1) as u8;
        let _ = instrument(&mutated);
    }
}

#[test]
fn instrument_fuzz_seed_preserves_bodies() {
    let (code, out) = metered(FUZZ_SEED_MODULE);
    let g = gas_global(&out);
    for (orig, inst) in bodies(&code).iter().zip(&bodies(&out)) {
        assert_eq!(strip(inst, g).0, debug_ops(orig));
    }
    assert!(validate(&code, &WasmLimits::default()).is_ok());
}

#[test]
fn operator_cost_matches_every_abi_name_list() {
    // Every listed name is a real wasmparser operator, and the lists do not overlap.
    let lists: [(&[&str], u64); 3] =
        [(weights::FREE, 0), (weights::CALL_OPS, weights::CALL), (weights::DIVISION_OPS, weights::DIVISION)];
    let mut seen: Vec<&str> = Vec::new();
    for (names, weight) in lists {
        for name in names {
            assert!(ALL_OPERATOR_NAMES.contains(name), "{name} is not a wasmparser operator");
            assert!(!seen.contains(name), "{name} listed twice");
            seen.push(name);
            assert_eq!(cost_of_name(name), weight, "{name}");
        }
    }
    assert!(ALL_OPERATOR_NAMES.contains(&"MemoryGrow"));
    assert_eq!(cost_of_name("MemoryGrow"), weights::MEMORY_GROW);

    // And `operator_cost` on real parsed operators agrees with the lists by name.
    let code = wasm(
        r#"(module (memory 1) (table 1 funcref)
            (func $f (param i32 i64) (result i32)
                nop
                (block (loop (br 1)))
                (drop (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2))))
                (drop (i32.div_s (local.get 0) (local.get 0)))
                (drop (i32.div_u (local.get 0) (local.get 0)))
                (drop (i32.rem_s (local.get 0) (local.get 0)))
                (drop (i32.rem_u (local.get 0) (local.get 0)))
                (drop (i64.div_s (local.get 1) (local.get 1)))
                (drop (i64.div_u (local.get 1) (local.get 1)))
                (drop (i64.rem_s (local.get 1) (local.get 1)))
                (drop (i64.rem_u (local.get 1) (local.get 1)))
                (drop (call $f (local.get 0) (local.get 1)))
                (drop (call_indirect (param i32 i64) (result i32) (local.get 0) (local.get 1) (i32.const 0)))
                (drop (memory.grow (i32.const 1)))
                (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))
                (block (br_if 0 (i32.const 0)))
                (drop (i32.add (i32.const 1) (i32.const 2)))
                (if (i32.const 0) (then (unreachable)))
                (return (i32.const 0))))"#,
    );
    let mut covered: Vec<&str> = Vec::new();
    for ops in bodies(&code) {
        for op in &ops {
            let name = operator_name(op);
            covered.push(name);
            let expected = if weights::FREE.contains(&name) {
                0
            } else if weights::CALL_OPS.contains(&name) {
                weights::CALL
            } else if weights::DIVISION_OPS.contains(&name) {
                weights::DIVISION
            } else if name == "MemoryGrow" {
                weights::MEMORY_GROW
            } else {
                weights::DEFAULT
            };
            assert_eq!(operator_cost(op), expected, "{name}");
        }
    }
    for name in seen.iter().chain(&["MemoryGrow"]) {
        assert!(covered.contains(name), "{name} not exercised");
    }
    assert_eq!(operator_cost(&Operator::I32Add), weights::DEFAULT);
    assert_eq!(operator_cost(&Operator::MemoryFill { mem: 0 }), weights::DEFAULT);
    assert_eq!(operator_cost(&Operator::BrIf { relative_depth: 0 }), weights::DEFAULT);
    assert_eq!(operator_cost(&Operator::If { blockty: ParsedBlockType::Empty }), weights::DEFAULT);
}
