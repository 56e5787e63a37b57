//! The ABI-level tracer (`vmhost::trace`): a traced run's receipts equal an untraced run's for
//! every entry point of every example contract on every backend, and the call tree of a
//! nested call with a revert matches its golden file.

use std::sync::Arc;

use vmhost::state::MemStore;
use vmhost::testing::block;
use vmhost::trace::{CallTracer, Effect, Tracer};
use vmhost::Chain;
use vmhost_abi::{Address, Transaction, TxKind};
use vmhost_tests::{deploy, example_wasm, example_wat, user};

/// Every example module: (name, code).
fn examples() -> Vec<(&'static str, Vec<u8>)> {
    let mut all: Vec<(&'static str, Vec<u8>)> = ["counter", "token", "events", "traps", "c_counter", "vault_as"]
        .iter()
        .map(|n| (*n, example_wasm(n)))
        .collect();
    all.extend(["counter", "traps", "float_traps", "proxy"].iter().map(|n| (*n, example_wat(n))));
    all
}

/// The module's exported functions (its entry points).
fn entries(code: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(code) {
        if let Ok(wasmparser::Payload::ExportSection(r)) = payload {
            for e in r.into_iter().flatten() {
                if e.kind == wasmparser::ExternalKind::Func {
                    out.push(e.name.to_string());
                }
            }
        }
    }
    out
}

fn call_tx(sender: Address, nonce: u64, contract: Address, entry: &str, input: Vec<u8>, value: u128) -> Transaction {
    let mut t =
        vmhost::testing::tx(sender, nonce, TxKind::ContractCall { contract, entry: entry.into(), input, value });
    t.gas_limit = 400_000;
    t
}

#[test]
fn tracing_never_changes_a_receipt_on_any_example_or_backend() {
    let mut backends: Vec<(&str, Arc<dyn vmhost::Vm>)> =
        vmhost_tests::backend_configs().into_iter().map(|(name, make)| (name, make())).collect();
    // A VM plugin from a shared library, serving the wasm type: the same host calls, traced alike.
    let plugin = vmhost_tests::plugin_path("vmhost_wasmi_plugin");
    backends
        .push(("plugin wasmi", vmhost::plugin::load_plugin(&plugin, &vmhost::ExecConfig::default(), "").unwrap().vm));
    for (backend, vm) in backends {
        let mut chain = vmhost_tests::chain_with(Arc::new(MemStore::new()), vmhost_tests::registry_of(vm), 4);
        let codes = examples();
        let txs: Vec<Transaction> =
            codes.iter().enumerate().map(|(i, (_, c))| deploy(user(1), i as u64, c.clone())).collect();
        let out = chain.execute_wave(&block(1), &txs).unwrap();
        let addrs: Vec<Address> = out.receipts.iter().map(|r| r.contract_address.expect("deployed")).collect();
        let token = addrs[1];
        // Some state to read: the token initialised, the vault holding a deposit.
        let setup = vec![
            call_tx(user(1), 10, token, "init", 1_000u128.to_le_bytes().to_vec(), 0),
            call_tx(user(2), 0, addrs[5], "deposit", vec![], 500),
        ];
        assert!(chain.execute_wave(&block(2), &setup).unwrap().receipts.iter().all(|r| r.is_success()));
        let inputs = |name: &str| -> Vec<(Vec<u8>, u128)> {
            let to_amount = [user(3).0.to_vec(), 7u128.to_le_bytes().to_vec()].concat();
            match name {
                "proxy" => vec![
                    ([token.0.to_vec(), b"transfer".to_vec()].concat(), 0),
                    ([addrs[0].0.to_vec(), b"increment".to_vec()].concat(), 0),
                ],
                _ => vec![(vec![], 0), (to_amount, 0), (user(2).0.to_vec(), 9), (300u128.to_le_bytes().to_vec(), 0)],
            }
        };
        let mut traced_calls = 0;
        for ((name, code), addr) in codes.iter().zip(&addrs) {
            for entry in entries(code) {
                for (input, value) in inputs(name) {
                    let nonce = chain.account(&user(2)).unwrap().nonce;
                    let tx = call_tx(user(2), nonce, *addr, &entry, input, value);
                    let plain = chain.simulate_wave(&block(3), std::slice::from_ref(&tx)).unwrap().remove(0);
                    let mut tracer = CallTracer::new();
                    let (traced, _) = chain.trace_call(&block(3), &tx, &mut tracer).unwrap();
                    assert_eq!(traced, plain, "{backend}: {name}.{entry}");
                    let tree = tracer.into_tree().expect("a call ran");
                    assert_eq!((tree.code.as_str(), tree.depth), (traced.code.name(), 1), "{backend}: {name}.{entry}");
                    traced_calls += 1;
                }
            }
        }
        assert!(traced_calls > 150, "{traced_calls}");
    }
}

/// Counts what it is told, to check the hook's contract directly.
#[derive(Default)]
struct Counts {
    enters: u32,
    exits: u32,
    host_calls: u32,
    writes: u32,
    max_depth: u32,
}

impl Tracer for Counts {
    fn enter(&mut self, f: &vmhost::trace::FrameStart<'_>) {
        self.enters += 1;
        self.max_depth = self.max_depth.max(f.depth);
    }
    fn host_call(&mut self, c: &vmhost::trace::HostCallEvent<'_>) {
        self.host_calls += 1;
        if matches!(c.effect, Some(Effect::StorageWrite { .. })) {
            self.writes += 1;
        }
    }
    fn exit(&mut self, _: &vmhost::trace::FrameEnd<'_>) {
        self.exits += 1;
    }
}

/// A chain with the counter, the token and the proxy deployed (deterministic addresses).
fn proxy_chain() -> (Chain, Address, Address, Address) {
    let mut chain = vmhost_tests::mem_chain(vmhost_wasmtime::WasmtimeConfig::default());
    let txs = vec![
        deploy(user(1), 0, example_wasm("counter")),
        deploy(user(1), 1, example_wasm("token")),
        deploy(user(1), 2, example_wat("proxy")),
    ];
    let out = chain.execute_wave(&block(1), &txs).unwrap();
    let a: Vec<Address> = out.receipts.iter().map(|r| r.contract_address.unwrap()).collect();
    (chain, a[0], a[1], a[2])
}

#[test]
fn a_custom_tracer_sees_every_frame_and_host_call() {
    let (mut chain, counter, _, proxy) = proxy_chain();
    let input = [counter.0.to_vec(), b"increment".to_vec()].concat();
    let mut counts = Counts::default();
    let tx = call_tx(user(2), 0, proxy, "call", input, 0);
    let (r, _) = chain.trace_call(&block(2), &tx, &mut counts).unwrap();
    assert!(r.is_success(), "{r:?}");
    assert_eq!((counts.enters, counts.exits, counts.max_depth, counts.writes), (2, 2, 2, 1));
    assert!(counts.host_calls > 8, "{}", counts.host_calls);
    // Nothing was committed: the counter is still at zero.
    let get = chain.simulate_wave(&block(2), &[call_tx(user(2), 0, counter, "get", vec![], 0)]).unwrap();
    assert_eq!(get[0].return_data, 0u64.to_le_bytes());
}

#[test]
fn the_call_tree_of_a_nested_call_with_a_revert_matches_its_golden_file() {
    let (mut chain, _, token, proxy) = proxy_chain();
    // The proxy forwards `transfer` with empty input: the token reverts, the proxy succeeds.
    let input = [token.0.to_vec(), b"transfer".to_vec()].concat();
    let mut tracer = CallTracer::new();
    let mut tx = call_tx(user(2), 0, proxy, "call", input, 0);
    tx.gas_limit = 3_000_000;
    let (r, note) = chain.trace_call(&block(2), &tx, &mut tracer).unwrap();
    assert!(r.is_success() && note.is_none(), "{r:?}");
    let tree = tracer.into_tree().expect("tree");
    let text = tree.render();
    let json = serde_json::to_string_pretty(&tree).unwrap() + "\n";
    for (file, got) in [("trace_nested_revert.txt", &text), ("trace_nested_revert.json", &json)] {
        let path = vmhost_tests::repo_root().join("tests/golden").join(file);
        if std::env::var_os("VMHOST_BLESS").is_some() {
            std::fs::write(&path, got).unwrap();
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (VMHOST_BLESS=1 writes it)", path.display()));
        assert_eq!(got, &want, "{file} differs (VMHOST_BLESS=1 rewrites it after a deliberate change)");
    }
    // What the golden file must show, whatever else changes.
    assert!(
        text.contains("[wasmtime] transfer() value 0 gas 1000000")
            && text.contains("Reverted output \"bad input length\""),
        "{text}"
    );
    assert!(text.contains("revert \"bad input length\"") && text.contains("cross_call("), "{text}");
    let nested = tree.steps.iter().find_map(|s| s.call.as_deref()).expect("the nested frame hangs off its cross_call");
    assert_eq!((nested.depth, nested.code.as_str(), nested.backend.as_deref()), (2, "Reverted", Some("wasmtime")));
}
