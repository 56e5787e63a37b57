//! Warm instances (`WasmtimeConfig::instance_reuse`): a call on a reused instance starts from
//! exactly the state a fresh instance has, whatever the calls before it wrote, and receipts,
//! gas and state roots are the same with reuse on and off.

use std::sync::Arc;

use vmhost::state::MemStore;
use vmhost::testing::block;
use vmhost::Chain;
use vmhost_abi::{Address, Receipt, ReceiptStatus, Transaction};
use vmhost_tests::{call, chain_with, deploy, example_wasm, registry_with, user};
use vmhost_wasmtime::{ReuseStats, WasmtimeConfig, WasmtimeVm};

/// A small deterministic generator for test inputs.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// `scribble` first checksums its whole memory, its size and both mutable globals (what a
/// fresh instance must show), then follows its input: 12-byte records `(op, addr, len)`, each
/// a kind of write, done by a callee — every store width, `memory.fill/copy/init`, a host
/// write through `input_read`, global updates, `memory.grow`, a trap. It returns the checksum.
const SCRIBBLE: &str = r#"
(module
  (import "vmhost" "input_len" (func $input_len (result i32)))
  (import "vmhost" "input_read" (func $input_read (param i32 i32 i32)))
  (import "vmhost" "set_return" (func $set_return (param i32 i32)))
  (memory (export "memory") 5)
  (data (i32.const 70000) "the pristine data segment of the scribble contract")
  (data $p "passive!")
  (global $g (mut i64) (i64.const 5))
  (global $h (mut i32) (i32.const 77))
  (func $checksum (result i64)
    (local $i i32) (local $acc i64)
    (local.set $acc (i64.add (global.get $g) (i64.extend_i32_u (global.get $h))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (memory.size))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (i32.mul (memory.size) (i32.const 65536))))
      (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 31)) (i64.load (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $l)))
    (local.get $acc))
  (func (export "scribble")
    (local $n i32) (local $i i32) (local $op i32) (local $a i32) (local $len i32) (local $sum i64)
    (local.set $sum (call $checksum))
    (local.set $n (call $input_len))
    (i32.store (i32.const 40000) (local.get $n))
    (call $input_read (i32.const 69632) (i32.const 0) (local.get $n))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $op (i32.load (i32.add (i32.const 69632) (local.get $i))))
      (local.set $a (i32.load offset=4 (i32.add (i32.const 69632) (local.get $i))))
      (local.set $len (i32.load offset=8 (i32.add (i32.const 69632) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 12)))
      (call $apply (local.get $op) (local.get $a) (local.get $len))
      (br $next)))
    ;; Written after the calls: the caller's range and its callees' must both survive.
    (i64.store (i32.const 69000) (local.get $sum))
    (call $set_return (i32.const 69000) (i32.const 8)))
  (func $apply (param $op i32) (param $a i32) (param $len i32)
      (if (i32.eq (local.get $op) (i32.const 0)) (then (i32.store (local.get $a) (local.get $a))))
      (if (i32.eq (local.get $op) (i32.const 1)) (then (i64.store offset=3 (local.get $a) (i64.const -1))))
      (if (i32.eq (local.get $op) (i32.const 2)) (then (f32.store (local.get $a) (f32.const 1.5))))
      (if (i32.eq (local.get $op) (i32.const 3)) (then (f64.store offset=9 (local.get $a) (f64.const -2.5))))
      (if (i32.eq (local.get $op) (i32.const 4)) (then (i32.store8 (local.get $a) (i32.const 0xAB))))
      (if (i32.eq (local.get $op) (i32.const 5)) (then (i32.store16 offset=1 (local.get $a) (i32.const 0xABCD))))
      (if (i32.eq (local.get $op) (i32.const 6)) (then (i64.store8 (local.get $a) (i64.const 0x7F))))
      (if (i32.eq (local.get $op) (i32.const 7)) (then (i64.store16 (local.get $a) (i64.const 0x1234))))
      (if (i32.eq (local.get $op) (i32.const 8)) (then (i64.store32 offset=100 (local.get $a) (i64.const 0x12345678))))
      (if (i32.eq (local.get $op) (i32.const 9)) (then (memory.fill (local.get $a) (i32.const 0xEE) (local.get $len))))
      (if (i32.eq (local.get $op) (i32.const 10)) (then (memory.copy (local.get $a) (i32.const 70000) (local.get $len))))
      (if (i32.eq (local.get $op) (i32.const 11))
        (then (memory.init $p (local.get $a) (i32.const 0) (i32.and (local.get $len) (i32.const 7)))))
      (if (i32.eq (local.get $op) (i32.const 12)) (then (call $input_read (local.get $a) (i32.const 0) (i32.const 12))))
      (if (i32.eq (local.get $op) (i32.const 13))
        (then (global.set $g (i64.add (global.get $g) (i64.const 1)))
              (global.set $h (i32.mul (global.get $h) (i32.const 3)))))
      (if (i32.eq (local.get $op) (i32.const 14)) (then (drop (memory.grow (i32.const 1)))))
      (if (i32.eq (local.get $op) (i32.const 15)) (then unreachable))))
"#;

/// A chain on an in-memory store whose wasmtime backend the test keeps.
fn chain(cfg: WasmtimeConfig) -> (Chain, Arc<WasmtimeVm>) {
    let vm = Arc::new(WasmtimeVm::new(cfg).expect("wasmtime"));
    (chain_with(Arc::new(MemStore::new()), registry_with(vm.clone()), 8), vm)
}

/// Runs `txs` as one wave and returns the receipts.
fn wave(chain: &mut Chain, height: u64, txs: &[Transaction]) -> Vec<Receipt> {
    chain.execute_wave(&block(height), txs).expect("wave").receipts
}

fn deployed(chain: &mut Chain, code: Vec<u8>) -> Address {
    let r = wave(chain, 1, &[deploy(user(1), 0, code)]);
    assert_eq!(r[0].status, ReceiptStatus::Success, "{:?}", r[0]);
    r[0].contract_address.expect("address")
}

/// Inputs for `scribble`: mostly writes near the data segment (reset in place), some
/// anywhere (a range over the reset cap drops the instance), some growing memory or trapping.
fn scribble_inputs(n: usize) -> Vec<Vec<u8>> {
    let mut rng = XorShift(0x5EED_F00D);
    (0..n)
        .map(|_| {
            let records = 1 + rng.next() % 6;
            let wide = rng.next().is_multiple_of(4);
            let mut input = Vec::new();
            for _ in 0..records {
                let op = match rng.next() % 40 {
                    r @ 0..=13 => r as u32,
                    14 | 15 => 14,
                    16 => 15,
                    r => (r % 14) as u32,
                };
                let addr = if wide { rng.next() % (5 * 65536 - 4300) } else { 60_000 + rng.next() % 70_000 };
                let len = rng.next() % 4096;
                for v in [op, addr as u32, len as u32] {
                    input.extend_from_slice(&v.to_le_bytes());
                }
            }
            input
        })
        .collect()
}

fn run_scribbles(cfg: WasmtimeConfig, inputs: &[Vec<u8>]) -> (Vec<Receipt>, [u8; 32], ReuseStats) {
    let vm = Arc::new(WasmtimeVm::new(cfg).expect("wasmtime"));
    let (receipts, root) = run_scribbles_on(registry_with(vm.clone()), inputs);
    (receipts, root, vm.reuse_stats())
}

/// The scribble calls on a chain with `registry`: receipts and the final root.
fn run_scribbles_on(registry: vmhost::VmRegistry, inputs: &[Vec<u8>]) -> (Vec<Receipt>, [u8; 32]) {
    let mut chain = chain_with(Arc::new(MemStore::new()), registry, 8);
    let c = deployed(&mut chain, wat::parse_str(SCRIBBLE).expect("wat"));
    let mut receipts = Vec::new();
    // A few waves, so calls run both within a wave and across commits.
    for (w, part) in inputs.chunks(20).enumerate() {
        let base = 20 * w as u64;
        let txs: Vec<Transaction> = part
            .iter()
            .enumerate()
            .map(|(i, input)| call(user(2), base + i as u64, c, "scribble", input.clone()))
            .collect();
        receipts.extend(wave(&mut chain, 2 + w as u64, &txs));
    }
    (receipts, chain.state_root())
}

#[test]
fn a_warm_instance_never_shows_what_an_earlier_call_wrote() {
    let inputs = scribble_inputs(100);
    let (receipts, _, stats) = run_scribbles(WasmtimeConfig::default(), &inputs);
    let pristine = receipts.iter().find(|r| r.is_success()).expect("a call succeeds").return_data.clone();
    assert_eq!(pristine.len(), 8);
    let mut traps = 0;
    for (i, r) in receipts.iter().enumerate() {
        if r.is_success() {
            assert_eq!(r.return_data, pristine, "call {i} saw state an earlier call left: {r:?}");
        } else {
            traps += 1;
        }
    }
    assert!(traps > 0, "some inputs trap");
    // The test is only worth something if instances really were reused, and some dropped.
    assert!(stats.reused >= 40, "{stats:?}");
    assert!(stats.dropped >= 5, "{stats:?}");
}

#[test]
fn wasmer_warm_instances_reset_exactly_with_the_hosts_reset_on_both_compilers() {
    use vmhost_wasmer::{Compiler, WasmerConfig, WasmerVm};
    let inputs = scribble_inputs(100);
    let mut cold = WasmtimeConfig::default();
    cold.instance_reuse(0);
    let (reference, root, _) = run_scribbles(cold, &inputs);
    for compiler in [Compiler::Cranelift, Compiler::Singlepass] {
        let vm = Arc::new(WasmerVm::new(WasmerConfig::with_compiler(compiler)).expect("wasmer"));
        let (receipts, wasmer_root) = run_scribbles_on(vmhost_tests::registry_of(vm.clone()), &inputs);
        assert_eq!(receipts, reference, "{compiler:?}: receipts differ from wasmtime's on fresh instances");
        assert_eq!(wasmer_root, root, "{compiler:?}");
        let stats = vm.reuse_stats();
        assert!(stats.reused >= 40 && stats.dropped >= 5, "{compiler:?}: {stats:?}");
    }
}

#[test]
fn receipts_gas_and_root_are_the_same_with_reuse_on_and_off() {
    let inputs = scribble_inputs(60);
    let mut off = WasmtimeConfig::default();
    off.instance_reuse(0);
    let (on_receipts, on_root, on_stats) = run_scribbles(WasmtimeConfig::default(), &inputs);
    let (off_receipts, off_root, off_stats) = run_scribbles(off, &inputs);
    assert_eq!(on_receipts, off_receipts);
    assert_eq!(on_root, off_root);
    assert!(on_stats.reused > 0, "{on_stats:?}");
    assert_eq!(off_stats, ReuseStats::default(), "reuse off keeps nothing warm");
}

#[test]
fn the_token_example_runs_warm_with_the_same_receipts_as_cold() {
    let run = |cfg: WasmtimeConfig| {
        let (mut chain, vm) = chain(cfg);
        let token = deployed(&mut chain, example_wasm("token"));
        let init = call(user(1), 1, token, "init", 1_000_000u128.to_le_bytes().to_vec());
        assert!(wave(&mut chain, 2, &[init])[0].is_success());
        let txs: Vec<Transaction> = (0..40u64)
            .map(|i| {
                let mut input = user(2 + i % 5).0.to_vec();
                input.extend_from_slice(&(1 + u128::from(i) * 7).to_le_bytes());
                call(user(1), 2 + i, token, "transfer", input)
            })
            .collect();
        let receipts = wave(&mut chain, 3, &txs);
        assert!(receipts.iter().all(|r| r.is_success()), "{receipts:?}");
        (receipts, chain.state_root(), vm.reuse_stats())
    };
    let mut off = WasmtimeConfig::default();
    off.instance_reuse(0);
    let (warm, warm_root, stats) = run(WasmtimeConfig::default());
    let (cold, cold_root, _) = run(off);
    assert_eq!(warm, cold);
    assert_eq!(warm_root, cold_root);
    // The Rust-built token is eligible, and its transfers reset in place: a small range (the
    // shadow stack's top, the data and the heap, which sit next to each other).
    assert!(stats.reused >= 39, "{stats:?}");
    assert_eq!(stats.dropped, 0, "{stats:?}");
    let per_call = stats.bytes_reset / (stats.reused + stats.instantiated);
    assert!(per_call > 0 && per_call < 4 << 10, "{per_call} bytes reset per call: {stats:?}");
}

#[test]
fn a_module_that_drops_a_data_segment_runs_on_fresh_instances() {
    // Reusing this instance would make the second call's `memory.init` trap.
    let src = r#"(module
      (import "vmhost" "set_return" (func $set_return (param i32 i32)))
      (memory (export "memory") 1)
      (data $p "abc")
      (func (export "run")
        (memory.init $p (i32.const 0) (i32.const 0) (i32.const 3))
        (data.drop $p)
        (call $set_return (i32.const 0) (i32.const 3))))"#;
    let (mut chain, vm) = chain(WasmtimeConfig::default());
    let c = deployed(&mut chain, wat::parse_str(src).expect("wat"));
    let txs: Vec<Transaction> = (0..5).map(|i| call(user(2), i, c, "run", vec![])).collect();
    for r in wave(&mut chain, 2, &txs) {
        assert!(r.is_success(), "{r:?}");
        assert_eq!(r.return_data, b"abc");
    }
    assert_eq!(vm.reuse_stats(), ReuseStats::default(), "the module is not write-tracked");
}

#[test]
fn an_exhausted_pool_drops_warm_instances_instead_of_failing_calls_or_deploys() {
    // Four slots. Four contracts called once each leave four warm instances that fill the
    // pool, so the next deploy's trial instantiation finds it full; then six contracts called
    // in turn keep running out of slots.
    let mut cfg = WasmtimeConfig::default();
    cfg.pool_instances = 4;
    let (mut chain, vm) = chain(cfg);
    let code = |i: u64| {
        let src = format!(
            r#"(module (import "vmhost" "set_return" (func $r (param i32 i32))) (memory (export "memory") 1)
               (data (i32.const 8) "contract {i}") (func (export "run") (call $r (i32.const 8) (i32.const 10))))"#
        );
        wat::parse_str(src).expect("wat")
    };
    let deploy_wave = |chain: &mut Chain, height: u64, range: std::ops::Range<u64>| -> Vec<Address> {
        let txs: Vec<Transaction> = range.map(|i| deploy(user(1), i, code(i))).collect();
        wave(chain, height, &txs).iter().map(|r| r.contract_address.expect("deployed")).collect::<Vec<_>>()
    };
    let mut contracts = deploy_wave(&mut chain, 1, 0..4);
    let calls: Vec<Transaction> = (0..4).map(|i| call(user(2), i, contracts[i as usize], "run", vec![])).collect();
    assert!(wave(&mut chain, 2, &calls).iter().all(|r| r.is_success()));
    assert_eq!(vm.reuse_stats().instantiated, 4, "four warm instances hold the four slots");
    contracts.extend(deploy_wave(&mut chain, 3, 4..6));
    let calls: Vec<Transaction> =
        (0..30).map(|i| call(user(2), 4 + i, contracts[i as usize % 6], "run", vec![])).collect();
    for (i, r) in wave(&mut chain, 4, &calls).iter().enumerate() {
        assert!(r.is_success(), "call {i}: {r:?}");
        assert_eq!(r.return_data, format!("contract {}", i % 6).as_bytes(), "call {i}");
    }
    assert!(vm.reuse_stats().instantiated > 6, "{:?}", vm.reuse_stats());
}

#[test]
fn the_warm_pool_keeps_at_most_its_cap_and_evicts_the_oldest() {
    let mut cfg = WasmtimeConfig::default();
    cfg.instance_reuse(1);
    let (mut chain, vm) = chain(cfg);
    let counter = |n: i32| {
        wat::parse_str(format!(r#"(module (memory (export "memory") 1) (func (export "run") (drop (i32.const {n}))))"#))
            .expect("wat")
    };
    let txs = [deploy(user(1), 0, counter(1)), deploy(user(1), 1, counter(2))];
    let deployed = wave(&mut chain, 1, &txs);
    let [a, b] = [0, 1].map(|i| deployed[i].contract_address.expect("deployed"));
    // One idle instance at most: A B A B evicts every time, A A B B reuses twice.
    let mut nonce = 0;
    let mut run = |height: u64, order: [Address; 4]| {
        let txs: Vec<Transaction> = order
            .iter()
            .map(|c| {
                nonce += 1;
                call(user(2), nonce - 1, *c, "run", vec![])
            })
            .collect();
        assert!(wave(&mut chain, height, &txs).iter().all(|r| r.is_success()));
        vm.reuse_stats()
    };
    let s = run(2, [a, b, a, b]);
    assert_eq!((s.instantiated, s.reused), (4, 0), "{s:?}");
    let s = run(3, [a, a, b, b]);
    // The first A finds B's instance idle (evicted when A's is put back), so it instantiates.
    assert_eq!((s.instantiated, s.reused), (6, 2), "{s:?}");
}

#[test]
fn every_example_gives_the_same_receipts_warm_and_cold() {
    use vmhost_tests::example_wat;
    let run = |cfg: WasmtimeConfig| {
        let (mut chain, vm) = chain(cfg);
        let codes = [
            example_wasm("counter"),
            example_wasm("c_counter"),
            example_wat("counter"),
            example_wasm("events"),
            example_wasm("token"),
            example_wat("proxy"),
        ];
        let txs: Vec<Transaction> =
            codes.iter().enumerate().map(|(i, c)| deploy(user(1), i as u64, c.clone())).collect();
        let receipts = wave(&mut chain, 1, &txs);
        let a: Vec<Address> = receipts.iter().map(|r| r.contract_address.expect("deployed")).collect();
        let (proxy, token) = (a[5], a[4]);
        let via_proxy = |target: Address, entry: &str| {
            let mut input = target.0.to_vec();
            input.extend_from_slice(entry.as_bytes());
            input
        };
        let mut calls: Vec<(u64, Address, &str, Vec<u8>)> =
            vec![(1, token, "init", 1_000_000u128.to_le_bytes().to_vec())];
        for round in 0..3u64 {
            for c in &a[..3] {
                calls.push((2, *c, "increment", vec![]));
            }
            calls.push((3, a[3], "emit", (round as u32 + 1).to_le_bytes().to_vec()));
            calls.push((3, a[3], "emit_then_revert", vec![]));
            let mut transfer = user(4 + round).0.to_vec();
            transfer.extend_from_slice(&(100 + u128::from(round)).to_le_bytes());
            calls.push((1, token, "transfer", transfer));
            // Nested calls into contracts that have warm instances at the top level.
            calls.push((5, proxy, "call", via_proxy(a[0], "increment")));
            calls.push((5, proxy, "static", via_proxy(a[1], "get")));
            calls.push((5, proxy, "delegate", via_proxy(a[2], "increment")));
            calls.push((6, a[0], "get", vec![]));
        }
        let mut nonces = std::collections::HashMap::new();
        let txs: Vec<Transaction> = calls
            .into_iter()
            .map(|(from, c, entry, input)| {
                let n = nonces.entry(from).or_insert(if from == 1 { codes.len() as u64 } else { 0 });
                *n += 1;
                call(user(from), *n - 1, c, entry, input)
            })
            .collect();
        let receipts = wave(&mut chain, 2, &txs);
        (receipts, chain.state_root(), vm.reuse_stats())
    };
    let mut off = WasmtimeConfig::default();
    off.instance_reuse(0);
    let (warm, warm_root, stats) = run(WasmtimeConfig::default());
    let (cold, cold_root, _) = run(off);
    assert!(warm.iter().filter(|r| r.is_success()).count() >= 25, "{warm:?}");
    assert_eq!(warm, cold);
    assert_eq!(warm_root, cold_root);
    assert!(stats.reused >= 20, "{stats:?}");
}

#[test]
fn tracked_and_plain_artifacts_have_different_tags() {
    use vmhost::Vm;
    let mut off = WasmtimeConfig::default();
    off.instance_reuse(0);
    let (on, off) = (WasmtimeVm::new(WasmtimeConfig::default()).unwrap(), WasmtimeVm::new(off).unwrap());
    // A node that changes the setting recompiles from code instead of loading the other kind.
    assert_ne!(on.artifact_tag(), off.artifact_tag());
    let code = example_wasm("counter");
    let params = vmhost::ConsensusParams::default();
    let build = |vm: &WasmtimeVm| vmhost::cache::build_artifact(vm, &code, &params).unwrap().unwrap();
    let (tracked, plain) = (build(&on), build(&off));
    assert_ne!(tracked, plain);
    assert_ne!(vmhost::cache::artifact_tag(&on, &params), vmhost::cache::artifact_tag(&off, &params));
    // The number of warm instances kept does not change the artifact.
    let mut small = WasmtimeConfig::default();
    small.instance_reuse(2);
    assert_eq!(WasmtimeVm::new(small).unwrap().artifact_tag(), on.artifact_tag(), "the cap is not in the tag");
}

/// A host serving what `scribble` imports: its input, and its return data.
struct InputHost {
    input: Vec<u8>,
    returned: Vec<u8>,
}

impl vmhost::Host for InputHost {
    fn host_call(
        &mut self,
        f: vmhost_abi::HostFn,
        args: &[u64],
        mem: &mut dyn vmhost::GuestMemory,
        _gas: &mut u64,
    ) -> Result<u64, vmhost::HostTrap> {
        use vmhost_abi::HostFn;
        match f {
            HostFn::InputLen => Ok(self.input.len() as u64),
            HostFn::InputRead => {
                let (dst, offset, len) = (args[0] as u32, args[1] as usize, args[2] as usize);
                let bytes = self.input.get(offset..offset + len).ok_or(vmhost::HostTrap::OOB)?;
                mem.write(dst, bytes).map(|()| 0)
            }
            HostFn::SetReturn => {
                self.returned = mem.read(args[0] as u32, args[1] as u32)?.to_vec();
                Ok(0)
            }
            _ => Err(vmhost::HostTrap::new(vmhost_abi::ErrorCode::Unsupported)),
        }
    }
}

#[test]
fn warm_instances_move_between_threads_without_mixing_state() {
    let vm = WasmtimeVm::new(WasmtimeConfig::default()).unwrap();
    let module = vmhost::testing::load_module(&vm, &wat::parse_str(SCRIBBLE).unwrap()).unwrap();
    let inputs = scribble_inputs(400);
    let pristine = std::sync::Mutex::new(None::<Vec<u8>>);
    std::thread::scope(|s| {
        for part in inputs.chunks(100) {
            let (module, pristine) = (&module, &pristine);
            s.spawn(move || {
                for input in part {
                    let mut host = InputHost { input: input.clone(), returned: Vec::new() };
                    let call = vmhost::testing::top_level_call("scribble", 50_000_000);
                    let out = module.call(&call, &mut host).expect("call");
                    if out.result.is_err() {
                        continue;
                    }
                    let mut seen = pristine.lock().unwrap();
                    let first = seen.get_or_insert_with(|| host.returned.clone());
                    assert_eq!(*first, host.returned, "a call saw state another call left");
                }
            });
        }
    });
    let stats = vm.reuse_stats();
    assert!(stats.reused >= 150 && stats.instantiated >= 1, "{stats:?}");
}
