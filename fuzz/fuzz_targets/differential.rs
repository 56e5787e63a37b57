//! Differential fuzzing of the wasm backends: each input becomes a `wasm-smith` module and a
//! call input, run through the whole host on wasmtime, wasmer Cranelift and wasmer Singlepass;
//! any difference in a receipt, gas or root (or an infrastructure failure) is a crash.
//!
//! `cargo fuzz run differential -s none` (see `fuzz/README.md`).
#![no_main]

use std::sync::{Arc, OnceLock};

use vmhost::Vm;
use vmhost_wasmer::{Compiler, WasmerConfig, WasmerVm};
use vmhost_wasmtime::{WasmtimeConfig, WasmtimeVm};

fn backends() -> &'static [(&'static str, Arc<dyn Vm>)] {
    static B: OnceLock<Vec<(&'static str, Arc<dyn Vm>)>> = OnceLock::new();
    B.get_or_init(|| {
        let wasmer = |c| Arc::new(WasmerVm::new(WasmerConfig::with_compiler(c)).expect("wasmer")) as Arc<dyn Vm>;
        vec![
            ("wasmtime", Arc::new(WasmtimeVm::new(WasmtimeConfig::default()).expect("wasmtime")) as Arc<dyn Vm>),
            ("wasmer-cranelift", wasmer(Compiler::Cranelift)),
            ("wasmer-singlepass", wasmer(Compiler::Singlepass)),
        ]
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(e) = vmhost_conformance::differential::run_case(data, backends()) {
        panic!("{e}");
    }
});
