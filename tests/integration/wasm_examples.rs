//! The example contracts deployed and called through the registry on the RocksDB store.

use vmhost::testing::block;
use vmhost::Chain;
use vmhost_abi::{Address, ErrorCode, Receipt, ReceiptStatus, Transaction};
use vmhost_tests::{call, deploy, example_wasm, example_wat, rocks_chain, user};
use vmhost_wasmtime::WasmtimeConfig;

pub(crate) fn topic(name: &str) -> [u8; 32] {
    *blake3::hash(name.as_bytes()).as_bytes()
}

pub(crate) struct Env {
    pub chain: Chain,
    pub wave: u64,
    _dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Self {
        Self::with(WasmtimeConfig::default())
    }

    pub fn with(cfg: WasmtimeConfig) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        Self { chain: rocks_chain(dir.path(), cfg), wave: 0, _dir: dir }
    }

    /// A chain with consensus parameters and node settings `exec` (the backend sized to them).
    pub fn with_exec(cfg: WasmtimeConfig, exec: vmhost::ExecConfig) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        Self { chain: vmhost_tests::rocks_chain_with(dir.path(), cfg, exec), wave: 0, _dir: dir }
    }

    /// The sender's next nonce, from committed state.
    pub fn nonce(&self, who: u64) -> u64 {
        self.chain.account(&user(who)).expect("account").nonce
    }

    pub fn run(&mut self, txs: Vec<Transaction>) -> Vec<Receipt> {
        self.wave += 1;
        self.chain.execute_wave(&block(self.wave), &txs).expect("wave").receipts
    }

    pub fn deploy(&mut self, code: Vec<u8>) -> Address {
        let n = self.nonce(1);
        let r = self.run(vec![deploy(user(1), n, code)]);
        assert_eq!(r[0].status, ReceiptStatus::Success, "deploy failed: {:?}", r[0]);
        r[0].contract_address.expect("address")
    }

    pub fn deploy_receipt(&mut self, code: Vec<u8>) -> Receipt {
        let n = self.nonce(1);
        let mut tx = deploy(user(1), n, code);
        tx.gas_limit = self.chain.params_at(self.wave + 1).max_tx_gas;
        self.run(vec![tx]).remove(0)
    }

    pub fn call(&mut self, from: u64, contract: Address, entry: &str, input: Vec<u8>) -> Receipt {
        let n = self.nonce(from);
        self.run(vec![call(user(from), n, contract, entry, input)]).remove(0)
    }
}

fn addr_amount(a: Address, amount: u128) -> Vec<u8> {
    let mut v = a.0.to_vec();
    v.extend_from_slice(&amount.to_le_bytes());
    v
}

fn u128_of(r: &Receipt) -> u128 {
    u128::from_le_bytes(r.return_data.as_slice().try_into().expect("16 bytes"))
}

#[test]
fn token_transfer_moves_balances_and_emits_transfer_events() {
    let mut env = Env::new();
    let token = env.deploy(example_wasm("token"));
    let r = env.call(1, token, "init", 1_000u128.to_le_bytes().to_vec());
    assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");
    let r = env.call(1, token, "transfer", addr_amount(user(2), 300));
    assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");
    assert_eq!(r.events.len(), 1);
    assert_eq!(r.events[0].contract, token);
    assert_eq!(r.events[0].topic, topic("Transfer"));
    let mut data = user(1).0.to_vec();
    data.extend_from_slice(&addr_amount(user(2), 300));
    assert_eq!(r.events[0].data, data);
    assert_eq!(u128_of(&env.call(3, token, "balance_of", user(1).0.to_vec())), 700);
    assert_eq!(u128_of(&env.call(3, token, "balance_of", user(2).0.to_vec())), 300);
    assert_eq!(u128_of(&env.call(3, token, "total_supply", vec![])), 1_000);
    // allowance flow
    let r = env.call(2, token, "approve", addr_amount(user(3), 100));
    assert_eq!(r.events[0].topic, topic("Approval"));
    let mut tf = user(2).0.to_vec();
    tf.extend_from_slice(&addr_amount(user(4), 60));
    assert!(env.call(3, token, "transfer_from", tf.clone()).is_success());
    assert_eq!(u128_of(&env.call(3, token, "balance_of", user(4).0.to_vec())), 60);
    let mut allowance_key = user(2).0.to_vec();
    allowance_key.extend_from_slice(&user(3).0);
    assert_eq!(u128_of(&env.call(3, token, "allowance", allowance_key)), 40);
    let r = env.call(3, token, "transfer_from", tf);
    assert_eq!((r.status, r.return_data.as_slice()), (ReceiptStatus::Reverted, &b"insufficient allowance"[..]));
}

#[test]
fn reverted_token_call_leaves_state_and_events_untouched_but_charges_gas() {
    let mut env = Env::new();
    let token = env.deploy(example_wasm("token"));
    env.call(1, token, "init", 1_000u128.to_le_bytes().to_vec());
    let root_before = env.chain.state_root();
    let acct_before = env.chain.account(&user(5)).expect("account");
    let r = env.call(5, token, "transfer", addr_amount(user(6), 1));
    assert_eq!((r.status, r.code), (ReceiptStatus::Reverted, ErrorCode::Reverted));
    assert_eq!(r.return_data, b"insufficient balance");
    assert!(r.events.is_empty());
    assert!(r.gas_used > vmhost_abi::gas::CALL_BASE_GAS);
    let acct = env.chain.account(&user(5)).expect("account");
    assert_eq!(acct.balance, acct_before.balance - r.fee_paid, "only the fee moved");
    assert_eq!(acct.nonce, acct_before.nonce + 1);
    assert_ne!(env.chain.state_root(), root_before, "the fee and nonce changed the root");
    assert_eq!(u128_of(&env.call(3, token, "balance_of", user(6).0.to_vec())), 0);
    let r = env.call(1, token, "transfer", vec![1, 2, 3]);
    assert_eq!(r.return_data, b"bad input length");
    let r = env.call(1, token, "init", 5u128.to_le_bytes().to_vec());
    assert_eq!(r.return_data, b"already initialised");
}

#[test]
fn counters_in_rust_c_and_wat_behave_identically() {
    let mut env = Env::new();
    let counters = [
        env.deploy(example_wasm("counter")),
        env.deploy(example_wasm("c_counter")),
        env.deploy(example_wat("counter")),
    ];
    let mut outcomes = Vec::new();
    for c in counters {
        let a = env.call(2, c, "increment", vec![]);
        let b = env.call(2, c, "increment", vec![]);
        let g = env.call(2, c, "get", vec![]);
        assert_eq!(b.return_data, 2u64.to_le_bytes(), "{b:?}");
        assert_eq!(a.events[0].topic, topic("Incremented"));
        let slot = vmhost_abi::keys::slot(&c, 0, b"counter");
        assert_eq!(env.chain.storage(&c, &slot).expect("slot"), Some(2u64.to_le_bytes().to_vec()));
        outcomes.push((a.return_data, b.return_data, g.return_data, a.events[0].topic, a.events[0].data.clone()));
    }
    assert!(outcomes.windows(2).all(|w| w[0] == w[1]), "language-neutral outcomes: {outcomes:?}");
}

#[test]
fn event_emitter_emits_in_order_and_loses_events_on_revert() {
    let mut env = Env::new();
    let ev = env.deploy(example_wasm("events"));
    let r = env.call(2, ev, "emit", 3u32.to_le_bytes().to_vec());
    assert_eq!(
        r.events.iter().map(|e| e.data.clone()).collect::<Vec<_>>(),
        [0u32, 1, 2].map(|i| i.to_le_bytes().to_vec())
    );
    assert!(r.events.iter().all(|e| e.topic == topic("Ping") && e.contract == ev));
    let r = env.call(2, ev, "emit_then_revert", vec![]);
    assert_eq!((r.status, r.events.len()), (ReceiptStatus::Reverted, 0));
    let r = env.call(2, ev, "emit", 1025u32.to_le_bytes().to_vec());
    assert_eq!((r.status, r.code), (ReceiptStatus::Trapped, ErrorCode::TooManyEvents));
    assert!(r.events.is_empty());
}

#[test]
fn wave_events_root_and_bloom_cover_surviving_events_only() {
    let mut env = Env::new();
    let ev = env.deploy(example_wasm("events"));
    let (n, m) = (env.nonce(2), env.nonce(3));
    env.wave += 1;
    let out = env
        .chain
        .execute_wave(
            &block(env.wave),
            &[
                call(user(2), n, ev, "emit", 2u32.to_le_bytes().to_vec()),
                call(user(3), m, ev, "emit_then_revert", vec![]),
            ],
        )
        .expect("wave");
    assert!(vmhost::state::commit::bloom_contains(&out.record.events_bloom, &topic("Ping")));
    assert!(vmhost::state::commit::bloom_contains(&out.record.events_bloom, &ev.0));
    assert!(!vmhost::state::commit::bloom_contains(&out.record.events_bloom, &topic("Transfer")));
    let events: Vec<&vmhost_abi::Event> = out.receipts.iter().flat_map(|r| r.events.iter()).collect();
    assert_eq!(events.len(), 2);
    assert_eq!(out.record.events_root, vmhost::state::commit::events_root(&events));
}

#[test]
fn unknown_entry_point_and_unknown_contract_fail_cleanly() {
    let mut env = Env::new();
    let c = env.deploy(example_wasm("counter"));
    let r = env.call(2, c, "no_such_entry", vec![]);
    assert_eq!((r.status, r.code), (ReceiptStatus::Trapped, ErrorCode::UnknownEntryPoint));
    let r = env.call(2, c, "memory", vec![]);
    assert_eq!(r.code, ErrorCode::UnknownEntryPoint, "exports that are not () -> () functions are not entry points");
    let before = env.chain.account(&user(2)).expect("account");
    let r = env.call(2, user(77), "get", vec![]);
    assert_eq!((r.status, r.code, r.gas_used), (ReceiptStatus::Invalid, ErrorCode::UnknownContract, 0));
    assert_eq!(env.chain.account(&user(2)).expect("account"), before, "invalid: no fee, nonce unchanged");
}
