//! Tests of the limits pass (stack height and memory cap). The pass's runtime behaviour (the
//! depth at which `StackOverflow` hits, `MemoryLimit` on a grow) is tested end to end on the
//! engines in `tests/integration`; here: the cost formula, the shape of the output, robustness.

use super::*;
use crate::wasm::gate::tests::{XorShift, FUZZ_SEED_MODULE};
use crate::wasm::{prepare_module, validate, MeteringMode, WasmLimits, WasmPipeline};
use vmhost_abi::gas::OpWeights;
use wasmparser::ExternalKind;

fn wasm(src: &str) -> Vec<u8> {
    wat::parse_str(src).expect("test module must parse")
}

fn valid(code: &[u8]) -> bool {
    Validator::new_with_features(deterministic_features()).validate_all(code).is_ok()
}

fn exports(code: &[u8]) -> Vec<(String, ExternalKind)> {
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(code) {
        if let Payload::ExportSection(reader) = payload.expect("parses") {
            for e in reader {
                let e = e.expect("export");
                out.push((e.name.to_string(), e.kind));
            }
        }
    }
    out
}

#[test]
fn frame_cost_is_frame_constant_plus_params_locals_and_max_operand_stack() {
    let code = wasm(
        r#"(module
        (memory (export "memory") 1)
        (func)
        (func (param i32 i32) (local i64)
            (drop (i32.add (local.get 0) (local.get 1))))
        (func (local i32 i32 i32)
            i32.const 1 i32.const 2 i32.const 3 i32.const 4
            drop drop drop drop)
        (func (param i64) (result i64)
            (block (result i64) (i64.mul (local.get 0) (i64.add (local.get 0) (i64.const 1))))))"#,
    );
    let f = FRAME_COST;
    // (func): nothing. (param i32 i32)(local i64): 3 locals, stack peaks at 2.
    // 3 locals, 4 constants. 1 param, stack peaks at 3 (x, x, 1).
    assert_eq!(frame_costs(&code).unwrap(), [f, f + 3 + 2, f + 3 + 4, f + 1 + 3]);
}

#[test]
fn instrumented_module_is_valid_and_exports_the_two_counters() {
    let code = wasm(
        r#"(module
        (memory (export "memory") 1)
        (global $g (mut i32) (i32.const 7))
        (func (export "run")
            (if (i32.eqz (global.get $g)) (then (return)))
            (block (br_if 1 (i32.const 1)))
            (drop (memory.grow (i32.const 1))))
        (func $pair (result i32 i64) (i32.const 1) (i64.const 2))
        (func $early (param i32) (result i32)
            (if (local.get 0) (then (return (i32.const 5))))
            (br 0 (i32.const 6))))"#,
    );
    validate(&code, &WasmLimits::default()).unwrap();
    let out = instrument_limits(&code).unwrap().code;
    assert!(valid(&out));
    let names: Vec<String> = exports(&out).into_iter().map(|e| e.0).collect();
    assert!(names.contains(&STACK_EXPORT.to_string()) && names.contains(&MEMORY_LIMIT_EXPORT.to_string()));
    // The two counters are globals 1 and 2 (after the module's own).
    let globals: Vec<(String, u32)> = {
        let mut v = Vec::new();
        for payload in Parser::new(0).parse_all(&out) {
            if let Payload::ExportSection(reader) = payload.unwrap() {
                for e in reader {
                    let e = e.unwrap();
                    if e.kind == ExternalKind::Global {
                        v.push((e.name.to_string(), e.index));
                    }
                }
            }
        }
        v
    };
    assert_eq!(globals, [(STACK_EXPORT.to_string(), 1), (MEMORY_LIMIT_EXPORT.to_string(), 2)]);
}

#[test]
fn modules_without_globals_exports_or_memory_grow_still_get_both_counters() {
    let code = wasm(r#"(module (memory 1) (func $f))"#);
    let out = instrument_limits(&code).unwrap().code;
    assert!(valid(&out));
    assert_eq!(exports(&out).len(), 2);
}

#[test]
fn every_pipeline_output_is_valid_and_the_metered_one_meters_the_pass() {
    let code = wat::parse_str(FUZZ_SEED_MODULE).expect("wat");
    for (metering, track) in
        [(MeteringMode::Injected, true), (MeteringMode::Injected, false), (MeteringMode::Engine, false)]
    {
        let p = prepare_module(
            &code,
            &WasmLimits::default(),
            &OpWeights::default(),
            WasmPipeline { metering, track_writes: track },
        )
        .unwrap();
        assert!(valid(&p.code), "{metering:?} {track}");
        let names: Vec<String> = exports(&p.code).into_iter().map(|e| e.0).collect();
        assert!(names.contains(&STACK_EXPORT.to_string()));
        assert_eq!(names.contains(&crate::wasm::GAS_GLOBAL_EXPORT.to_string()), metering == MeteringMode::Injected);
        assert_eq!(p.meta.tracked, track, "the seed module is trackable");
    }
}

#[test]
fn pipeline_tags_differ_by_weights_and_options() {
    let w = OpWeights::default();
    let mut heavier = w;
    heavier.call += 1;
    let base = WasmPipeline::default();
    let untracked = WasmPipeline { track_writes: false, ..base };
    let engine = WasmPipeline { metering: MeteringMode::Engine, track_writes: false };
    let tags = [
        crate::wasm::pipeline_tag(&w, base),
        crate::wasm::pipeline_tag(&heavier, base),
        crate::wasm::pipeline_tag(&w, untracked),
        crate::wasm::pipeline_tag(&w, engine),
    ];
    for i in 0..tags.len() {
        for j in i + 1..tags.len() {
            assert_ne!(tags[i], tags[j], "{i} vs {j}");
        }
    }
}

#[test]
fn mutated_modules_never_make_the_pass_panic() {
    let code = wat::parse_str(FUZZ_SEED_MODULE).expect("wat");
    let limits = WasmLimits::default();
    let mut rng = XorShift(0x51ac_4e15_0000_0001);
    let mut accepted = 0;
    for _ in 0..256 {
        let mut mutated = code.clone();
        let offset = (rng.next() % code.len() as u64) as usize;
        mutated[offset] ^= (rng.next() % 255 + 1) as u8;
        // Whatever the gate accepts goes through the pass and comes out valid.
        if validate(&mutated, &limits).is_ok() {
            accepted += 1;
            let out = instrument_limits(&mutated).unwrap_or_else(|e| panic!("accepted module failed: {e}"));
            assert!(valid(&out.code));
        }
        // Anything else gives an error or a result, never a panic.
        let _ = instrument_limits(&mutated);
        let _ = frame_costs(&mutated);
    }
    assert!(accepted > 0);
}

/// The operators of every function body, in order, as debug strings.
fn bodies(code: &[u8]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(code) {
        if let Payload::CodeSectionEntry(body) = payload.unwrap() {
            let mut ops = body.get_operators_reader().unwrap();
            let mut v = Vec::new();
            while !ops.eof() {
                v.push(format!("{:?}", ops.read().unwrap()));
            }
            out.push(v);
        }
    }
    out
}

#[test]
fn a_function_that_calls_nothing_is_left_exactly_as_written() {
    // A loop that calls nothing: the pass must not touch it (engines compile it as written).
    let code = wasm(
        r#"(module (memory (export "memory") 1)
        (func $sum (param i64) (result i64) (local i64 i64)
          (block (loop (br_if 1 (i64.ge_u (local.get 1) (local.get 0)))
            (local.set 2 (i64.add (local.get 2) (local.get 1)))
            (local.set 1 (i64.add (local.get 1) (i64.const 1))) (br 0)))
          (local.get 2)))"#,
    );
    assert_eq!(bodies(&instrument_limits(&code).unwrap().code), bodies(&code));
}

#[test]
fn calls_of_defined_functions_are_charged_around_the_call_and_host_calls_are_not() {
    let code = wasm(
        r#"(module
        (import "vmhost" "gas_left" (func $gas (result i64)))
        (memory (export "memory") 1)
        (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
        (func (export "run") (drop (call $leaf (i32.const 1))) (drop (call $gas))))"#,
    );
    let leaf = frame_costs(&code).unwrap()[0];
    assert_eq!(leaf, FRAME_COST + 1 + 2);
    let out = instrument_limits(&code).unwrap();
    let run = &bodies(&out.code)[1];
    let call_at = run.iter().position(|o| o == "Call { function_index: 1 }").unwrap();
    // stack -= cost(leaf) right before the call (the trap check in between), += right after.
    assert!(run[..call_at].contains(&format!("I32Const {{ value: {leaf} }}")), "{run:?}");
    assert_eq!(
        run[call_at + 1..call_at + 4],
        ["GlobalGet { global_index: 0 }", &format!("I32Const {{ value: {leaf} }}"), "I32Add"]
    );
    // The host function's call is left alone.
    let host_at = run.iter().position(|o| o == "Call { function_index: 0 }").unwrap();
    assert_eq!(run[host_at + 1], "Drop", "{run:?}");
    // The entry point's own cost is reported for the host to charge.
    let run_cost = frame_costs(&code).unwrap()[1];
    assert_eq!(out.entries, [("run".to_string(), run_cost)]);
}

#[test]
fn table_entries_go_through_thunks_that_charge_the_callee() {
    let code = wasm(
        r#"(module
        (import "vmhost" "gas_left" (func $gas (result i64)))
        (memory (export "memory") 1)
        (type $t (func (param i32) (result i32)))
        (table 3 funcref)
        (elem (i32.const 0) func $a $b $a)
        (elem (i32.const 2) func $gas)
        (func $a (type $t) (local.get 0))
        (func $b (type $t) (i32.mul (local.get 0) (i32.const 2)))
        (func (export "run") (drop (call_indirect (type $t) (i32.const 7) (i32.const 1)))))"#,
    );
    let out = instrument_limits(&code).unwrap().code;
    assert!(valid(&out));
    // Functions 0 (import), 1 $a, 2 $b, 3 run; thunks appended as 4 ($a) and 5 ($b).
    let mut elements = Vec::new();
    for payload in Parser::new(0).parse_all(&out) {
        if let Payload::ElementSection(reader) = payload.unwrap() {
            for e in reader {
                if let wasmparser::ElementItems::Functions(fs) = e.unwrap().items {
                    elements.push(fs.into_iter().map(|f| f.unwrap()).collect::<Vec<_>>());
                }
            }
        }
    }
    assert_eq!(elements, [vec![4, 5, 4], vec![0]], "defined functions through thunks, the host's as they are");
    let b = bodies(&out);
    assert_eq!(b.len(), 5);
    assert!(b[3].contains(&"Call { function_index: 1 }".to_string()), "the thunk of $a calls $a: {:?}", b[3]);
    let costs = frame_costs(&code).unwrap();
    // cost($a) + cost(thunk): FRAME_COST + 1 param + 1 local + max(1, 1 + 2, 2).
    let charged = costs[0] + FRAME_COST + 1 + 1 + 3;
    assert!(b[3].contains(&format!("I32Const {{ value: {charged} }}")), "{:?}", b[3]);
}
