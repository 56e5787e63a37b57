//! Third-party VMs from shared libraries: the wasmi plugin loaded by path from a chain file,
//! running the examples on RocksDB and the whole conformance kit with wasmtime's receipts and
//! roots; the handshake's refusals; panics inside a plugin caught at the boundary while the
//! node goes on; cross-VM calls both ways.

use std::sync::Arc;

use vmhost::plugin::{load_plugin, PluginLoadError};
use vmhost::state::{MemStore, RocksStore};
use vmhost::testing::block;
use vmhost::{Chain, ChainConfig, ExecConfig, VmRegistry};
use vmhost_abi::{Address, ContractType, ErrorCode, Receipt, ReceiptStatus, Transaction, TxKind};
use vmhost_conformance::{Backend, Kit};
use vmhost_native::NativePlugin;
use vmhost_tests::{call, chain_with, corpus, example_wasm, plugin_path, registry_of, user};
use vmhost_wasmtime::{WasmtimeConfig, WasmtimeVm};

fn wasmi_path() -> String {
    plugin_path("vmhost_wasmi_plugin").display().to_string()
}

fn faulty_path() -> String {
    plugin_path("vmhost_faulty_plugin").display().to_string()
}

fn wasmi() -> ContractType {
    ContractType::Plugin("wasmi".into())
}

/// A registry with the native plugin, wasmtime under `Wasm` and the plugins of `toml`.
fn registry_from(toml: &str) -> vmhost::Result<VmRegistry> {
    let cfg = ChainConfig::from_toml(toml)?;
    let mut r = VmRegistry::new();
    r.register_native(Arc::new(NativePlugin))?;
    r.register_vm(ContractType::Wasm, Arc::new(WasmtimeVm::new(WasmtimeConfig::default()).expect("wasmtime")))?;
    vmhost::plugin::register_plugins(&mut r, &cfg)?;
    Ok(r)
}

fn with_wasmi() -> VmRegistry {
    registry_from(&format!("[backends]\n\"plugin:wasmi\" = \"{}\"\n", wasmi_path())).expect("the wasmi plugin loads")
}

fn deploy_on(ty: ContractType, sender: Address, nonce: u64, code: Vec<u8>) -> Transaction {
    let mut t = vmhost_tests::deploy(sender, nonce, code);
    if let TxKind::ContractDeploy { vm, .. } = &mut t.kind {
        *vm = ty;
    }
    t
}

fn one(chain: &mut Chain, wave: u64, t: Transaction) -> Receipt {
    chain.execute_wave(&block(wave), &[t]).expect("wave").receipts.remove(0)
}

#[test]
fn the_wasmi_plugin_loads_from_a_chain_file_and_runs_the_examples_on_rocksdb() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Arc::new(RocksStore::open_with(dir.path(), false).expect("rocksdb"));
    let mut chain = chain_with(store, with_wasmi(), 8);
    let counter = one(&mut chain, 1, deploy_on(wasmi(), user(1), 0, example_wasm("counter")));
    assert!(counter.is_success(), "{counter:?}");
    let counter = counter.contract_address.expect("address");
    let token = one(&mut chain, 2, deploy_on(wasmi(), user(1), 1, example_wasm("token")));
    let token = token.contract_address.expect("token deployed");
    assert_eq!(chain.contract(&token).expect("record").expect("exists").vm, wasmi());
    for (w, n) in [(3, 0), (4, 1)] {
        assert!(one(&mut chain, w, call(user(2), n, counter, "increment", vec![])).is_success());
    }
    assert_eq!(one(&mut chain, 5, call(user(2), 2, counter, "get", vec![])).return_data, 2u64.to_le_bytes());
    assert!(one(&mut chain, 6, call(user(1), 2, token, "init", 1_000u128.to_le_bytes().to_vec())).is_success());
    let mut input = user(3).0.to_vec();
    input.extend_from_slice(&400u128.to_le_bytes());
    assert!(one(&mut chain, 7, call(user(1), 3, token, "transfer", input)).is_success());
    let bal = one(&mut chain, 8, call(user(3), 0, token, "balance_of", user(3).0.to_vec()));
    assert_eq!(bal.return_data, 400u128.to_le_bytes());
    let traps = one(&mut chain, 9, deploy_on(wasmi(), user(1), 4, example_wasm("traps")));
    let traps = traps.contract_address.expect("traps deployed");
    let r = one(&mut chain, 10, call(user(4), 0, traps, "div_zero", vec![]));
    assert_eq!((r.status, r.code), (ReceiptStatus::Trapped, ErrorCode::IntegerDivisionByZero));
}

#[test]
fn the_conformance_kit_passes_on_the_wasmi_plugin_with_wasmtimes_receipts() {
    let path = plugin_path("vmhost_wasmi_plugin");
    let plugin = Backend::new("wasmi-plugin", || {
        let loaded = load_plugin(&path, &ExecConfig::default(), "").expect("loads");
        registry_of(loaded.vm)
    });
    let report = Kit::bundled().expect("fixtures").run(&[plugin]);
    eprint!("{}", report.table());
    assert!(report.passed(), "{}", report.failures());
}

#[test]
fn the_handshake_refuses_each_mismatch_naming_both_sides() {
    let exec = ExecConfig::default();
    let faulty = plugin_path("vmhost_faulty_plugin");
    let err = |options: &str| load_plugin(&faulty, &exec, options).expect_err("refused").to_string();
    let e = err("interface=99");
    assert!(e.contains("plugin interface version") && e.contains("declares 99") && e.contains("host has 1"), "{e}");
    let e = err("abi=2");
    assert!(e.contains("ABI version") && e.contains("declares 2") && e.contains("host has 1"), "{e}");
    let e = err("format=wasm,metering=1");
    assert!(e.contains("metering version") && e.contains("declares 1"), "{e}");
    let e = err("type=wasm");
    assert!(e.contains("contract type") && e.contains("`wasm`"), "{e}");
    // A missing file, and a file that is not a plugin library.
    let missing = load_plugin(std::path::Path::new("/nonexistent/libplugin.so"), &exec, "").expect_err("missing");
    assert!(matches!(missing, PluginLoadError::Missing { .. }), "{missing}");
    let not_a_lib = vmhost_tests::repo_root().join("Cargo.toml");
    let e = load_plugin(&not_a_lib, &exec, "").expect_err("not a library");
    assert!(matches!(e, PluginLoadError::NotAPlugin { .. }), "{e}");
    // A real shared library without a vmhost root module.
    let libc = ["/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6"]
        .into_iter()
        .map(std::path::Path::new)
        .find(|p| p.is_file());
    if let Some(lib) = libc {
        let e = load_plugin(lib, &exec, "").expect_err("no root module");
        assert!(matches!(e, PluginLoadError::NotAPlugin { .. }), "{e}");
    }
    // Two plugins declaring one contract type, and a type that is not the key it is under.
    let twice = format!(
        "[backends]\n\"plugin:wasmi\" = \"{}\"\n\"plugin:zz\" = \"{}?type=plugin:wasmi\"\n",
        wasmi_path(),
        faulty_path()
    );
    let e = registry_from(&twice).expect_err("a type twice").to_string();
    assert!(e.contains("plugin:zz") && e.contains("declares contract type plugin:wasmi"), "{e}");
    let e = registry_from(&format!("[backends]\n\"plugin:wasmi\" = \"{}\"\n", faulty_path())).expect_err("wrong type");
    assert!(e.to_string().contains("declares contract type plugin:faulty"), "{e}");
    let e = registry_from("[backends]\n\"plugin:x\" = \"/nope.so\"\n").expect_err("missing").to_string();
    assert!(e.contains("\"plugin:x\"") && e.contains("no such file"), "{e}");
}

/// A chain with the faulty plugin (options `options`) under `plugin:faulty`.
fn faulty_chain(options: &str) -> Chain {
    let toml = format!("[backends]\n\"plugin:faulty\" = \"{}?{options}\"\n", faulty_path());
    chain_with(Arc::new(MemStore::new()), registry_from(&toml).expect("loads"), 8)
}

fn faulty() -> ContractType {
    ContractType::Plugin("faulty".into())
}

#[test]
fn a_panic_in_a_plugin_aborts_only_its_wave_and_the_node_commits_the_next() {
    // In compile and in load (both during a deploy: the host loads what it compiled), and
    // while the plugin handles the result of a host call (during a call).
    for place in ["compile", "load", "host"] {
        let mut chain = faulty_chain(&format!("panic={place}"));
        let mut wave = 1;
        let bad = if place == "host" {
            let r = one(&mut chain, wave, deploy_on(faulty(), user(1), 0, b"code".to_vec()));
            assert!(r.is_success(), "{place}: {r:?}");
            wave += 1;
            call(user(1), 1, Address::contract(&user(1), 0), "run", vec![])
        } else {
            deploy_on(faulty(), user(1), 0, b"code".to_vec())
        };
        let before = chain.state_root();
        let err = chain.execute_wave(&block(wave), &[bad]).expect_err("the wave aborts");
        assert!(err.to_string().contains("panicked"), "{place}: {err}");
        assert_eq!(chain.state_root(), before, "{place}: nothing of the wave is committed");
        assert_eq!(chain.head().last_wave, (wave > 1).then_some(wave - 1), "{place}");
        // The node goes on: the next wave commits.
        let t = vmhost::testing::transfer(user(2), 0, user(3), 5);
        let out = chain.execute_wave(&block(wave + 1), &[t]).expect("the next wave commits");
        assert!(out.receipts[0].is_success());
        assert_eq!(chain.head().last_wave, Some(wave + 1));
    }
    // A panic in building the VM, or in the handshake, is a load error.
    let faulty = plugin_path("vmhost_faulty_plugin");
    let e = load_plugin(&faulty, &ExecConfig::default(), "panic=new").expect_err("new panics").to_string();
    assert!(e.contains("panicked in new_vm"), "{e}");
    let e = load_plugin(&faulty, &ExecConfig::default(), "panic=info").expect_err("info panics").to_string();
    assert!(e.contains("plugin interface version") && e.contains("declares 0"), "{e}");
}

/// A chain with wasmtime under `Wasm` and wasmi under `plugin:wasmi`, the forwarder and `nest`
/// deployed on each: (forward on wasmtime, forward on wasmi, nest on wasmtime, nest on wasmi).
fn cross_vm_chain() -> (Chain, [Address; 4]) {
    let mut chain = chain_with(Arc::new(MemStore::new()), with_wasmi(), 8);
    let nest = wat::parse_file(vmhost_tests::repo_root().join("tests/conformance/contracts/nest.wat")).expect("nest");
    let txs = vec![
        deploy_on(ContractType::Wasm, user(1), 0, corpus("forward")),
        deploy_on(wasmi(), user(1), 1, corpus("forward")),
        deploy_on(ContractType::Wasm, user(1), 2, nest.clone()),
        deploy_on(wasmi(), user(1), 3, nest),
    ];
    let out = chain.execute_wave(&block(1), &txs).expect("deploys");
    assert!(out.receipts.iter().all(Receipt::is_success), "{:?}", out.receipts);
    (chain, [0, 1, 2, 3].map(|n| Address::contract(&user(1), n)))
}

fn forward_input(target: &Address, entry: &str, rest: &[u8]) -> Vec<u8> {
    let mut input = target.0.to_vec();
    input.push(entry.len() as u8);
    input.extend_from_slice(entry.as_bytes());
    input.extend_from_slice(rest);
    input
}

#[test]
fn contracts_call_across_vms_both_ways_with_one_convention() {
    let (mut chain, [fwd_wt, fwd_wi, nest_wt, nest_wi]) = cross_vm_chain();
    // The forwarder returns its call's code, then the callee's return data; `nest` returns the
    // code of the deepest failure below it.
    let code = |r: &Receipt| u32::from_le_bytes(r.return_data[..4].try_into().expect("a code"));
    let inner = |r: &Receipt| u32::from_le_bytes(r.return_data[4..8].try_into().expect("nest's code"));
    let mut nonce = 0;
    let mut run = |chain: &mut Chain, from: Address, entry: &str, input: Vec<u8>| {
        nonce += 1;
        one(chain, 1 + nonce, call(user(2), nonce - 1, from, entry, input))
    };
    for (caller, callee) in [(fwd_wt, nest_wi), (fwd_wi, nest_wt)] {
        // A 3-deep chain in the callee's VM: success, its writes and events kept.
        let ok = run(&mut chain, caller, "call", forward_input(&callee, "nest", &[3, 0xff, 0xff]));
        assert!(ok.is_success() && code(&ok) == 0 && inner(&ok) == 0, "{ok:?}");
        assert_eq!(ok.events.len(), 4, "every frame of the callee emitted");
        // A revert at the callee's depth 1: that frame and its callee lose their events.
        let rev = run(&mut chain, caller, "call", forward_input(&callee, "nest", &[3, 1, 0xff]));
        assert!(rev.is_success(), "the caller survives its callee's failure: {rev:?}");
        assert_eq!((code(&rev), inner(&rev)), (0, ErrorCode::Reverted.as_u32()));
        assert_eq!(rev.events.len(), 2, "only the callee's frames 3 and 2 are kept");
        // A trap inside the callee's chain.
        let trap = run(&mut chain, caller, "call", forward_input(&callee, "nest", &[3, 0xff, 0]));
        assert_eq!((code(&trap), inner(&trap)), (0, ErrorCode::Unreachable.as_u32()), "{trap:?}");
        assert_eq!(trap.events.len(), 3, "the trapping frame's events are gone");
        // A state change in a static call into the other VM.
        let st = run(&mut chain, caller, "static", forward_input(&callee, "nest", &[1, 0xff, 0xff]));
        assert_eq!(code(&st), ErrorCode::StaticCallViolation.as_u32(), "{st:?}");
    }
    // A chain that alternates VMs at every level: wasmtime → wasmi → wasmtime → wasmi.
    let mut inner = forward_input(&nest_wt, "nest", &[2, 0xff, 0xff]);
    inner = forward_input(&fwd_wt, "call", &inner);
    let input = forward_input(&fwd_wi, "call", &inner);
    let alt = run(&mut chain, fwd_wt, "call", input);
    assert!(alt.is_success(), "{alt:?}");
    assert_eq!(&alt.return_data[..4], &[0, 0, 0, 0], "{alt:?}");
}

#[test]
fn a_cross_vm_scenario_gives_the_receipts_of_the_same_scenario_on_one_vm() {
    // The same calls with the callees on wasmi and on wasmtime: identical status, code, gas,
    // return data and events (only where the code runs differs).
    let nest = wat::parse_file(vmhost_tests::repo_root().join("tests/conformance/contracts/nest.wat")).expect("nest");
    let run = |callee_vm: ContractType| {
        let mut chain = chain_with(Arc::new(MemStore::new()), with_wasmi(), 8);
        let txs = vec![
            deploy_on(ContractType::Wasm, user(1), 0, corpus("forward")),
            deploy_on(callee_vm, user(1), 1, nest.clone()),
        ];
        assert!(chain.execute_wave(&block(1), &txs).expect("deploys").receipts.iter().all(Receipt::is_success));
        let (fwd, callee) = (Address::contract(&user(1), 0), Address::contract(&user(1), 1));
        let calls: Vec<Transaction> = [[4u8, 0xff, 0xff], [4, 2, 0xff], [4, 0xff, 1], [70, 0xff, 0xff]]
            .iter()
            .enumerate()
            .map(|(i, args)| {
                let mut t = call(user(2), i as u64, fwd, "call", forward_input(&callee, "nest", args));
                t.gas_limit = 50_000_000;
                t
            })
            .collect();
        let receipts = chain.execute_wave(&block(2), &calls).expect("calls").receipts;
        receipts.into_iter().map(|r| (r.status, r.code, r.gas_used, r.return_data, r.events)).collect::<Vec<_>>()
    };
    assert_eq!(run(wasmi()), run(ContractType::Wasm));
}
