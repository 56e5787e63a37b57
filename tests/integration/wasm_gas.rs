//! Gas: injected metering and engine-native fuel agree on every completed call; the same wave
//! gives identical receipts and roots on fresh stores.

use vmhost_abi::{Receipt, ReceiptStatus};
use vmhost_tests::{example_wasm, example_wat, user};
use vmhost_wasmtime::{Metering, WasmtimeConfig};

use crate::wasm_examples::Env;

fn workload(env: &mut Env) -> Vec<Receipt> {
    let token = env.deploy(example_wasm("token"));
    let counter = env.deploy(example_wasm("counter"));
    let c_counter = env.deploy(example_wasm("c_counter"));
    let wat_counter = env.deploy(example_wat("counter"));
    let events = env.deploy(example_wasm("events"));
    let mut out = Vec::new();
    out.push(env.call(1, token, "init", 1_000_000u128.to_le_bytes().to_vec()));
    for i in 2..6u64 {
        let mut input: Vec<u8> = user(i).0.to_vec();
        input.extend_from_slice(&(i as u128 * 10).to_le_bytes());
        out.push(env.call(1, token, "transfer", input));
    }
    for c in [counter, c_counter, wat_counter] {
        out.push(env.call(3, c, "increment", vec![]));
        out.push(env.call(3, c, "get", vec![]));
    }
    out.push(env.call(4, events, "emit", 50u32.to_le_bytes().to_vec()));
    out.push(env.call(4, token, "balance_of", user(3).0.to_vec()));
    let bulk = env.deploy(bulk_module());
    out.push(env.call(4, bulk, "run", vec![]));
    out
}

/// Bulk-memory and memory.grow: exercises the per-byte and per-page charges.
fn bulk_module() -> Vec<u8> {
    wat::parse_str(
        r#"(module
          (memory (export "memory") 1)
          (data $d "hello, bulk memory")
          (func (export "run") (local $i i32)
            (memory.fill (i32.const 100) (i32.const 7) (i32.const 4000))
            (memory.copy (i32.const 8000) (i32.const 100) (i32.const 3000))
            (memory.init $d (i32.const 20000) (i32.const 0) (i32.const 18))
            (drop (memory.grow (i32.const 2)))
            (loop $l
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (i32.const 1000))))))"#,
    )
    .expect("wat")
}

/// Consensus parameters whose operator weights wasmtime's engine fuel can express (its
/// per-operator costs are `u8`): the default page price (8 192) cannot be.
fn fuel_expressible() -> vmhost::ExecConfig {
    let mut exec = vmhost::ExecConfig::default();
    exec.consensus.ops.memory_page = 200;
    exec
}

#[test]
fn injected_metering_and_engine_fuel_agree_on_completed_calls() {
    let mut injected = Env::with_exec(WasmtimeConfig::default(), fuel_expressible());
    let mut cfg = WasmtimeConfig::default();
    cfg.metering(Metering::EngineFuel);
    let mut fuel = Env::with_exec(cfg, fuel_expressible());
    let a = workload(&mut injected);
    let b = workload(&mut fuel);
    assert!(a.iter().all(|r| r.status == ReceiptStatus::Success), "{a:?}");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!((x.gas_used, &x.return_data, &x.events), (y.gas_used, &y.return_data, &y.events));
    }
    assert_eq!(injected.chain.state_root(), fuel.chain.state_root());
}

#[test]
fn engine_fuel_refuses_a_schedule_it_cannot_express() {
    let mut cfg = WasmtimeConfig::default();
    cfg.metering(Metering::EngineFuel);
    let vm = std::sync::Arc::new(vmhost_wasmtime::WasmtimeVm::new(cfg).expect("vm"));
    let store = std::sync::Arc::new(vmhost::state::MemStore::new());
    let err = vmhost::Chain::open(store, vmhost_tests::registry_with(vm), vmhost::ExecConfig::default())
        .expect_err("the default page price does not fit wasmtime's u8 operator costs");
    assert!(err.to_string().contains("ops.memory_page"), "{err}");
}

#[test]
fn same_contract_wave_on_fresh_stores_is_bit_identical() {
    let run = || {
        let mut env = Env::new();
        let receipts = workload(&mut env);
        (receipts, env.chain.state_root(), env.chain.wave_record(env.wave).expect("record"))
    };
    assert_eq!(run(), run());
}

#[test]
fn gas_grows_with_work_done() {
    let mut env = Env::new();
    let ev = env.deploy(example_wasm("events"));
    let one = env.call(2, ev, "emit", 1u32.to_le_bytes().to_vec()).gas_used;
    let ten = env.call(2, ev, "emit", 10u32.to_le_bytes().to_vec()).gas_used;
    let per_event = (ten - one) / 9;
    let spec = vmhost_abi::HostFn::EmitEvent.spec().gas;
    assert!(per_event >= spec.for_bytes(4), "each event costs at least its host-function charge: {per_event}");
}
