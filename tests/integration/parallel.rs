//! Parallel waves: whatever the executor's thread count, a wave's receipts, events, gas and
//! roots are those of running it in order on one thread.
//!
//! The property test generates random waves over native transfers, token transfers, relayed
//! cross calls ending in a value transfer, storage reads and writes, deploys, reverts, traps
//! and bad nonces, each with an exact, a missing-key, an over-wide or no access list, over a
//! handful of accounts (so the sets overlap as often as they are disjoint), and runs them on
//! chains with 1, 2 and 8 executor threads, and with every level's transactions run one by one
//! in reverse order (which turns any scheduling mistake into a deterministic difference).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use vmhost::executor::schedule::{Footprint, Schedule};
use vmhost::state::MemStore;
use vmhost::testing::{block, token, transfer_access_list};
use vmhost::{Chain, ExecConfig};
use vmhost_abi::{keys, AccessList, Address, ErrorCode, Receipt, ReceiptStatus, Transaction, WaveRecord};
use vmhost_tests::{call, corpus, deploy, example_wasm, registry_with, user};
use vmhost_wasmtime::{WasmtimeConfig, WasmtimeVm};

/// Accounts that send and receive (user 1 deploys the contracts).
const USERS: u64 = 8;
/// What `deploy` ops deploy.
const TINY: &str = r#"(module (memory (export "memory") 1) (func (export "noop")))"#;
/// The trapping entries of the traps example used (see `examples/contracts/traps`).
const TRAPS: [&str; 5] = ["unreachable", "div_zero", "oob", "panic", "consume_all_gas"];

/// One wasmtime backend for every chain of this file, its pool sized for 8 threads.
fn backend() -> Arc<WasmtimeVm> {
    static VM: OnceLock<Arc<WasmtimeVm>> = OnceLock::new();
    VM.get_or_init(|| {
        let mut cfg = WasmtimeConfig::default();
        cfg.fit_threads(8, vmhost::ConsensusParams::default().max_call_depth);
        Arc::new(WasmtimeVm::new(cfg).expect("wasmtime"))
    })
    .clone()
}

/// The contracts every chain deploys, at the same addresses on each.
#[derive(Debug, Clone)]
struct World {
    token: Address,
    token_code: [u8; 32],
    relays: [Address; 3],
    relay_code: [u8; 32],
    traps: Address,
    traps_code: [u8; 32],
}

fn hash(code: &[u8]) -> [u8; 32] {
    *blake3::hash(code).as_bytes()
}

/// A chain with `threads` executor threads and the world deployed: users 2..=8 hold tokens,
/// the relays hold coins.
fn chain(threads: usize) -> (Chain, World) {
    chain_with(threads, false)
}

/// [`chain`], optionally running each level's transactions one by one in reverse order
/// (`NodeConfig::reverse_levels`).
fn chain_with(threads: usize, reverse_levels: bool) -> (Chain, World) {
    let mut exec = ExecConfig::default();
    exec.threads(threads);
    exec.node.reverse_levels = reverse_levels;
    let mut chain = vmhost_tests::chain_with_config(Arc::new(MemStore::new()), registry_with(backend()), exec, 10);
    assert_eq!(chain.threads(), threads);
    let (tok, relay, traps) = (example_wasm("token"), corpus("relay"), example_wasm("traps"));
    let world = World {
        token: Address::contract(&user(1), 0),
        token_code: hash(&tok),
        relays: [1, 2, 3].map(|n| Address::contract(&user(1), n)),
        relay_code: hash(&relay),
        traps: Address::contract(&user(1), 4),
        traps_code: hash(&traps),
    };
    let mut setup = vec![deploy(user(1), 0, tok)];
    setup.extend((1..=3).map(|n| deploy(user(1), n, relay.clone())));
    setup.push(deploy(user(1), 4, traps));
    setup.push(call(user(1), 5, world.token, "init", 1_000_000u128.to_le_bytes().to_vec()));
    let mut n = 6;
    for u in 2..=USERS {
        setup.push(call(user(1), n, world.token, "transfer", token::transfer_input(&user(u), 10_000)));
        n += 1;
    }
    for r in world.relays {
        setup.push(vmhost::testing::transfer(user(1), n, r, 1_000));
        n += 1;
    }
    let out = chain.execute_wave(&block(1), &setup).expect("setup wave");
    for r in &out.receipts {
        assert!(r.is_success(), "setup: {r:?}");
    }
    (chain, world)
}

/// How a generated transaction declares what it touches.
#[derive(Debug, Clone, Copy)]
enum List {
    /// No list: it conflicts with everything and runs alone.
    None,
    /// Exactly what it touches.
    Exact,
    /// One key it touches left out (refused at ingress, or trapping when it is reached).
    Missing,
    /// Its keys and another user's account (a conflict that is not real).
    Extra(u64),
}

#[derive(Debug, Clone)]
enum Op {
    Native {
        from: u64,
        to: u64,
        amount: u128,
        list: List,
    },
    /// A token transfer; an amount over the sender's 10 000 reverts.
    Token {
        from: u64,
        to: u64,
        amount: u128,
        list: List,
    },
    /// `relay` through `hops + 1` relays, the last one paying 1 coin to `to`.
    Relay {
        from: u64,
        hops: usize,
        to: u64,
        list: List,
    },
    /// A relay's storage read or write.
    Slot {
        from: u64,
        relay: usize,
        write: bool,
        list: List,
    },
    Trap {
        from: u64,
        entry: usize,
        list: List,
    },
    Deploy {
        from: u64,
        list: List,
    },
    /// A native transfer with a nonce from the future.
    BadNonce {
        from: u64,
    },
}

fn list_strategy() -> impl Strategy<Value = List> {
    prop_oneof![
        2 => Just(List::None),
        6 => Just(List::Exact),
        1 => Just(List::Missing),
        1 => (2..=USERS).prop_map(List::Extra),
    ]
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let who = || 2..=USERS;
    prop_oneof![
        4 => (who(), 1..=USERS + 2, prop_oneof![9 => 0u128..1_000, 1 => Just(u128::MAX / 2)], list_strategy())
            .prop_map(|(from, to, amount, list)| Op::Native { from, to, amount, list }),
        4 => (who(), 1..=USERS + 2, prop_oneof![9 => 0u128..100, 1 => 20_000u128..30_000], list_strategy())
            .prop_map(|(from, to, amount, list)| Op::Token { from, to, amount, list }),
        2 => (who(), 0usize..3, 1..=USERS + 2, list_strategy())
            .prop_map(|(from, hops, to, list)| Op::Relay { from, hops, to, list }),
        2 => (who(), 0usize..3, any::<bool>(), list_strategy())
            .prop_map(|(from, relay, write, list)| Op::Slot { from, relay, write, list }),
        1 => (who(), 0..TRAPS.len(), list_strategy()).prop_map(|(from, entry, list)| Op::Trap { from, entry, list }),
        1 => (who(), list_strategy()).prop_map(|(from, list)| Op::Deploy { from, list }),
        1 => who().prop_map(|from| Op::BadNonce { from }),
    ]
}

/// Applies `mode` to `list`, whose `missing` key is the one a `Missing` list leaves out.
fn declare(mode: List, list: AccessList, missing: vmhost_abi::StateKey) -> Option<AccessList> {
    match mode {
        List::None => None,
        List::Exact => Some(list),
        List::Missing => {
            let mut l = list;
            l.reads.retain(|k| *k != missing);
            l.writes.retain(|k| *k != missing);
            Some(l)
        }
        List::Extra(u) => Some(list.write(keys::account(&user(u)))),
    }
}

/// The transactions of `ops`, nonces continuing from `nonces` (as if each were valid).
fn build(world: &World, ops: &[Op], nonces: &mut [u64]) -> Vec<Transaction> {
    fn take(nonces: &mut [u64], from: u64) -> u64 {
        let n = nonces[from as usize];
        nonces[from as usize] += 1;
        n
    }
    let base = |from: u64, contract: &Address, code: &[u8; 32]| {
        AccessList::new().write(keys::account(&user(from))).read(keys::contract(contract)).read(keys::code(code))
    };
    ops.iter()
        .map(|op| match *op {
            Op::Native { from, to, amount, list } => {
                let mut t = vmhost::testing::transfer(user(from), take(nonces, from), user(to), amount);
                // Room for the access list's per-key gas (only the gas used is paid).
                t.gas_limit = 100_000;
                let exact = transfer_access_list(&user(from), &user(to));
                t.access_list = declare(list, exact, keys::account(&user(to)));
                t
            }
            Op::Token { from, to, amount, list } => {
                let input = token::transfer_input(&user(to), amount);
                let mut t = call(user(from), take(nonces, from), world.token, "transfer", input);
                let exact = token::transfer_list(&world.token, &world.token_code, &user(from), &user(to));
                t.access_list = declare(list, exact, token::balance_key(&world.token, &user(to)));
                t
            }
            Op::Relay { from, hops, to, list } => {
                let mut input = vec![hops as u8];
                for r in &world.relays[1..=hops] {
                    input.extend_from_slice(&r.0);
                }
                input.extend_from_slice(&user(to).0);
                let mut t = call(user(from), take(nonces, from), world.relays[0], "relay", input);
                let mut exact = base(from, &world.relays[0], &world.relay_code);
                for r in &world.relays[1..=hops] {
                    exact = exact.read(keys::contract(r));
                }
                exact = exact.write(keys::account(&world.relays[hops])).write(keys::account(&user(to)));
                t.access_list = declare(list, exact, keys::account(&user(to)));
                t
            }
            Op::Slot { from, relay, write, list } => {
                let r = world.relays[relay];
                let slot = keys::storage(&r, &[1; 32]);
                let mut t = call(user(from), take(nonces, from), r, if write { "write" } else { "read" }, vec![]);
                let b = base(from, &r, &world.relay_code);
                let exact = if write { b.write(slot) } else { b.read(slot) };
                t.access_list = declare(list, exact, slot);
                t
            }
            Op::Trap { from, entry, list } => {
                let mut t = call(user(from), take(nonces, from), world.traps, TRAPS[entry], vec![]);
                let exact = base(from, &world.traps, &world.traps_code);
                t.access_list = declare(list, exact, keys::code(&world.traps_code));
                t
            }
            Op::Deploy { from, list } => {
                let code = wat::parse_str(TINY).expect("wat");
                let code_key = keys::code(&hash(&code));
                let nonce = take(nonces, from);
                let mut t = deploy(user(from), nonce, code);
                let exact = AccessList::new()
                    .write(keys::account(&user(from)))
                    .write(keys::contract(&Address::contract(&user(from), nonce)))
                    .write(code_key);
                t.access_list = declare(list, exact, code_key);
                t
            }
            Op::BadNonce { from } => {
                let mut t = vmhost::testing::transfer(user(from), nonces[from as usize] + 100, user(1), 1);
                t.access_list = Some(transfer_access_list(&user(from), &user(1)));
                t
            }
        })
        .collect()
}

/// What a wave must reproduce on every thread count.
type Outcome = (WaveRecord, Vec<Receipt>);

/// Transactions that ran side by side in the property's waves.
static PARALLEL_TXS: AtomicUsize = AtomicUsize::new(0);
/// The property's receipts by status: success, reverted, trapped, failed, invalid.
static STATUSES: [AtomicUsize; 5] = [const { AtomicUsize::new(0) }; 5];

/// Runs `waves` on fresh chains with 1, 2 and 8 threads, and with each level run in reverse
/// order; every outcome must be the 1-thread one.
fn check_waves(waves: &[Vec<Op>]) -> Result<(), TestCaseError> {
    let mut runs: Vec<Vec<Outcome>> = Vec::new();
    for (threads, reverse) in [(1, false), (2, false), (8, false), (2, true)] {
        let (mut chain, world) = chain_with(threads, reverse);
        let mut nonces: Vec<u64> = (0..=USERS + 2).map(|u| chain.account(&user(u)).expect("account").nonce).collect();
        let mut outcomes = Vec::new();
        for (i, ops) in waves.iter().enumerate() {
            let txs = build(&world, ops, &mut nonces);
            let wave = 2 + i as u64;
            if threads == 2 && !reverse {
                let params = chain.params_at(wave);
                let f: Vec<Footprint<'_>> =
                    txs.iter().map(|t| Footprint::of(&chain.env().registry, params, t)).collect();
                PARALLEL_TXS.fetch_add(Schedule::new(&f).side_by_side(), Ordering::Relaxed);
            }
            let out = chain.execute_wave(&block(wave), &txs).map_err(|e| TestCaseError::fail(e.to_string()))?;
            // The next wave's nonces are the committed ones (invalid transactions used none).
            for (u, n) in nonces.iter_mut().enumerate() {
                *n = chain.account(&user(u as u64)).expect("account").nonce;
            }
            if threads == 1 {
                for r in &out.receipts {
                    let i = match r.status {
                        ReceiptStatus::Success => 0,
                        ReceiptStatus::Reverted => 1,
                        ReceiptStatus::Trapped => 2,
                        ReceiptStatus::Failed => 3,
                        ReceiptStatus::Invalid => 4,
                    };
                    STATUSES[i].fetch_add(1, Ordering::Relaxed);
                }
            }
            outcomes.push((out.record, out.receipts));
        }
        runs.push(outcomes);
    }
    for (how, run) in ["2 threads", "8 threads", "levels reversed"].iter().zip(&runs[1..]) {
        for (wave, (seq, par)) in runs[0].iter().zip(run).enumerate() {
            prop_assert_eq!(&seq.1, &par.1, "receipts of wave {} on {}", wave, how);
            prop_assert_eq!(&seq.0, &par.0, "wave record (roots, gas) of wave {} on {}", wave, how);
        }
    }
    Ok(())
}

#[test]
fn parallel_waves_equal_sequential_execution() {
    // PROPTEST_CASES overrides the count (the default is what CI runs; see docs/benchmarks.md).
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let waves = proptest::collection::vec(proptest::collection::vec(op_strategy(), 1..48), 2..=3);
    let started = std::time::Instant::now();
    runner.run(&waves, |w| check_waves(&w)).unwrap();
    let side_by_side = PARALLEL_TXS.load(Ordering::Relaxed);
    let st: Vec<usize> = STATUSES.iter().map(|s| s.load(Ordering::Relaxed)).collect();
    eprintln!(
        "{cases} cases in {:.1?}; {side_by_side} transactions ran side by side; receipts: {} success, {} reverted, \
         {} trapped, {} failed, {} invalid",
        started.elapsed(),
        st[0],
        st[1],
        st[2],
        st[3],
        st[4]
    );
    assert!(side_by_side > 0, "the generated waves never ran anything in parallel");
    assert!(st.iter().all(|n| *n > 0), "every kind of outcome occurs: {st:?}");
}

#[test]
fn an_undeclared_read_of_a_key_written_in_the_same_level_traps_on_every_thread_count() {
    // Tx 0 writes user 3's token balance (declared); tx 1 (user 4) reads the relay slot it
    // declares and tx 2 (user 5) reads user 3's token balance through a transfer *to* user 3
    // it did not declare. By their lists they do not conflict: one level. Tx 2 must trap with
    // AccessListViolation, whatever tx 0 has or has not written when it runs.
    let mut seen: Option<Vec<Receipt>> = None;
    for threads in [1, 2, 8] {
        let (mut chain, world) = chain(threads);
        let ops = [
            Op::Token { from: 2, to: 3, amount: 5, list: List::Exact },
            Op::Slot { from: 4, relay: 0, write: false, list: List::Exact },
            Op::Token { from: 5, to: 3, amount: 5, list: List::Missing },
        ];
        let txs = build(&world, &ops, &mut [0; 11]);
        let params = chain.params_at(2);
        let f: Vec<Footprint<'_>> = txs.iter().map(|t| Footprint::of(&chain.env().registry, params, t)).collect();
        assert_eq!(Schedule::new(&f).levels(), [vec![0, 1, 2]], "one level");
        let r = chain.execute_wave(&block(2), &txs).expect("wave").receipts;
        assert!(r[0].is_success() && r[1].is_success(), "{r:?}");
        assert_eq!((r[2].status, r[2].code), (ReceiptStatus::Trapped, ErrorCode::AccessListViolation));
        let bal = chain.storage(&world.token, &token::slot(&world.token, 0, &user(3).0)).expect("read");
        assert_eq!(bal, Some(10_005u128.to_le_bytes().to_vec()), "only tx 0's transfer landed");
        match &seen {
            None => seen = Some(r),
            Some(s) => assert_eq!(s, &r, "{threads} threads"),
        }
    }
}

#[test]
fn transactions_without_lists_and_conflicting_ones_keep_their_order() {
    // Two transfers from one sender (write–write on its account), one without a list between
    // them: every receipt and the root as on one thread.
    let mut seen = None;
    for threads in [1, 2] {
        let (mut chain, world) = chain(threads);
        let ops = [
            Op::Native { from: 2, to: 3, amount: 7, list: List::Exact },
            Op::Native { from: 2, to: 4, amount: 8, list: List::Exact },
            Op::Token { from: 5, to: 6, amount: 1, list: List::None },
            Op::Token { from: 6, to: 5, amount: 2, list: List::Exact },
        ];
        let txs = build(&world, &ops, &mut [0; 11]);
        let f: Vec<Footprint<'_>> =
            txs.iter().map(|t| Footprint::of(&chain.env().registry, chain.params_at(2), t)).collect();
        assert_eq!(Schedule::new(&f).levels(), [vec![0], vec![1], vec![2], vec![3]]);
        let out = chain.execute_wave(&block(2), &txs).expect("wave");
        assert!(out.receipts.iter().all(Receipt::is_success), "{:?}", out.receipts);
        assert_eq!(chain.account(&user(2)).expect("account").nonce, 2);
        match &seen {
            None => seen = Some((out.record, out.receipts)),
            Some(s) => assert_eq!(s, &(out.record, out.receipts), "{threads} threads"),
        }
    }
}

#[test]
fn disjoint_token_transfers_share_a_level_and_a_shared_recipient_stacks_them() {
    let (chain, world) = chain(2);
    let footprints = |ops: &[Op]| -> Vec<Footprint<'static>> {
        let txs = build(&world, ops, &mut [0; 11]);
        txs.iter().map(|t| Footprint::of(&chain.env().registry, chain.params_at(2), t)).collect()
    };
    let disjoint: Vec<Op> =
        (0..3).map(|i| Op::Token { from: 2 + i, to: 5 + i, amount: 1, list: List::Exact }).collect();
    assert_eq!(Schedule::new(&footprints(&disjoint)).levels(), [vec![0, 1, 2]]);
    // Every one pays user 10: its balance is written by each (write–write), one level each.
    let shared: Vec<Op> = (0..3).map(|i| Op::Token { from: 2 + i, to: 10, amount: 1, list: List::Exact }).collect();
    assert_eq!(Schedule::new(&footprints(&shared)).levels(), [vec![0], vec![1], vec![2]]);
    // Between them, a transfer that touches none of it shares the first level.
    let mut mixed = shared.clone();
    mixed.insert(1, Op::Token { from: 5, to: 6, amount: 1, list: List::Exact });
    assert_eq!(Schedule::new(&footprints(&mixed)).levels(), [vec![0, 1], vec![2], vec![3]]);
}

#[test]
fn a_pool_too_small_for_both_threads_makes_calls_wait_instead_of_failing() {
    // Each call relays r0 → r1 → a payer, so it holds 3 pool slots at its deepest: 2 threads
    // need 6 at once and the pool has 5 (enough that one thread's chain can always complete,
    // so no deadlock). No store or instance reuse: only running calls hold slots.
    let mut cfg = WasmtimeConfig::default();
    cfg.pool_instances = 5;
    cfg.store_reuse = 1;
    cfg.instance_reuse = 0;
    let vm = Arc::new(WasmtimeVm::new(cfg).expect("wasmtime"));
    let mut exec = ExecConfig::default();
    exec.threads(2);
    let mut chain = vmhost_tests::chain_with_config(Arc::new(MemStore::new()), registry_with(vm.clone()), exec, 200);
    const PAYERS: u64 = 20;
    let relay = corpus("relay");
    let code = hash(&relay);
    let relays: Vec<Address> = (0..2 + PAYERS).map(|n| Address::contract(&user(1), n)).collect();
    let mut setup: Vec<Transaction> = (0..2 + PAYERS).map(|n| deploy(user(1), n, relay.clone())).collect();
    for (i, payer) in relays[2..].iter().enumerate() {
        setup.push(vmhost::testing::transfer(user(1), 2 + PAYERS + i as u64, *payer, 1_000_000));
    }
    assert!(chain.execute_wave(&block(1), &setup).expect("setup").receipts.iter().all(Receipt::is_success));
    let mut wave = 2;
    while vm.pool_waits() == 0 && wave < 12 {
        // Payer k serves every 20th transaction: levels of 20 that run side by side.
        let txs: Vec<Transaction> = (10..200u64)
            .map(|u| {
                let payer = relays[2 + (u % PAYERS) as usize];
                let mut input = vec![2u8];
                input.extend_from_slice(&relays[1].0);
                input.extend_from_slice(&payer.0);
                input.extend_from_slice(&user(u).0);
                let mut t = call(user(u), wave - 2, relays[0], "relay", input);
                t.access_list = Some(
                    AccessList::new()
                        .write(keys::account(&user(u)))
                        .read(keys::code(&code))
                        .read(keys::contract(&relays[0]))
                        .read(keys::contract(&relays[1]))
                        .read(keys::contract(&payer))
                        .write(keys::account(&payer)),
                );
                t
            })
            .collect();
        let out = chain.execute_wave(&block(wave), &txs).expect("no infrastructure failure");
        assert!(out.receipts.iter().all(Receipt::is_success), "{:?}", out.receipts.iter().find(|r| !r.is_success()));
        wave += 1;
    }
    assert!(vm.pool_waits() > 0, "the calls never had to wait: the test did not exercise back-pressure");
}
