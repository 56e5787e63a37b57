//! Measures Cranelift's native stack bytes per wasm frame for several function shapes
//! (run with `--ignored --nocapture`): the data behind the stack-height pass's constants.
#![allow(clippy::unwrap_used)]

use wasmtime::{Config, Engine, Instance, Module, Store};

fn depth_until_overflow(engine: &Engine, wat: &str) -> u64 {
    let module = Module::new(engine, wat::parse_str(wat).unwrap()).unwrap();
    let mut store = Store::new(engine, ());
    let inst = Instance::new(&mut store, &module, &[]).unwrap();
    let run = inst.get_typed_func::<(), ()>(&mut store, "run").unwrap();
    let err = run.call(&mut store, ()).unwrap_err();
    assert!(matches!(err.downcast_ref::<wasmtime::Trap>(), Some(wasmtime::Trap::StackOverflow)), "{err:?}");
    let g = inst.get_global(&mut store, "depth").unwrap();
    g.get(&mut store).i64().unwrap() as u64
}

fn shape(params: usize, locals: usize, stack: usize, ty: &str) -> (String, u64) {
    let ps: String = (0..params).map(|_| format!(" {ty}")).collect();
    let args: String = (0..params).map(|i| format!(" (local.get {i})")).collect();
    let mut body = String::new();
    body.push_str("(global.set $d (i64.add (global.get $d) (i64.const 1)))\n");
    for i in 0..locals {
        body.push_str(&format!("(local.set {} ({ty}.load offset={} (i32.const 0)))\n", params + i, 8 * i));
    }
    for i in 0..stack {
        body.push_str(&format!("({ty}.load offset={} (i32.const 0))\n", 8 * i));
    }
    body.push_str(&format!("(call $f{args})\n"));
    for _ in 0..stack {
        body.push_str(&format!("(global.set $sink{ty} ({ty}.add (global.get $sink{ty})))\n"));
    }
    // keep locals live across the call
    for i in 0..locals {
        body.push_str(&format!(
            "(global.set $sink{ty} ({ty}.add (global.get $sink{ty}) (local.get {})))\n",
            params + i
        ));
    }
    let zargs: String = (0..params).map(|_| format!(" ({ty}.const 0)")).collect();
    let ls = if locals > 0 {
        format!("(local{})", (0..locals).map(|_| format!(" {ty}")).collect::<String>())
    } else {
        String::new()
    };
    let wat = format!(
        r#"(module
  (memory 1)
  (global $d (export "depth") (mut i64) (i64.const 0))
  (global $sinki64 (mut i64) (i64.const 0))
  (global $sinki32 (mut i32) (i32.const 0))
  (global $sinkf64 (mut f64) (f64.const 0))
  (func $f (param{ps}) {ls}
{body})
  (func (export "run") (call $f{zargs})))"#
    );
    let units = (params + locals + stack) as u64;
    (wat, units)
}

#[test]
#[ignore]
fn probe_frame_sizes() {
    let stack = 1 << 20;
    let mut c = Config::new();
    c.max_wasm_stack(stack);
    c.cranelift_opt_level(wasmtime::OptLevel::Speed);
    let engine = Engine::new(&c).unwrap();
    let child = std::thread::Builder::new().stack_size(64 << 20).spawn(move || {
        for (p, l, s, ty) in [
            (0, 0, 0, "i64"),
            (1, 0, 0, "i64"),
            (8, 0, 0, "i64"),
            (16, 0, 0, "i64"),
            (0, 8, 0, "i64"),
            (0, 64, 0, "i64"),
            (0, 512, 0, "i64"),
            (0, 0, 8, "i64"),
            (0, 0, 64, "i64"),
            (0, 0, 512, "i64"),
            (4, 32, 32, "f64"),
            (4, 32, 32, "i32"),
            (64, 0, 0, "i64"),
        ] {
            let (wat, units) = shape(p, l, s, ty);
            let d = depth_until_overflow(&engine, &wat);
            let per = stack as f64 / d as f64;
            println!(
                "params {p:>3} locals {l:>4} stack {s:>4} {ty}: depth {d:>7}, {per:>7.1} B/frame, {:>6.2} B/value",
                if units > 0 { (per) / units as f64 } else { 0.0 }
            );
        }
    });
    child.unwrap().join().unwrap();
}

/// Dumps the machine code of /tmp/loop.wat through the old pipeline (metering only) and the
/// new one (limits pass + metering) to /tmp/old.bin and /tmp/new.bin.
#[test]
#[ignore]
fn dump_loop_code() {
    use vmhost::wasm::{prepare, prepare_module, WasmLimits, WasmPipeline};
    let code = wat::parse_str(std::fs::read_to_string("/tmp/loop.wat").unwrap()).unwrap();
    let engine =
        Engine::new(&vmhost_wasmtime::config::engine_config(&vmhost_wasmtime::WasmtimeConfig::default())).unwrap();
    let old = prepare(&code, &WasmLimits::default()).unwrap().1;
    let pipe = WasmPipeline { track_writes: false, ..WasmPipeline::default() };
    let new = prepare_module(&code, &WasmLimits::default(), &vmhost_abi::gas::OpWeights::default(), pipe).unwrap().code;
    for (name, bytes) in [("old", old), ("new", new)] {
        let m = Module::new(&engine, &bytes).unwrap();
        std::fs::write(format!("/tmp/{name}.bin"), m.text()).unwrap();
    }
}
