//! Benchmark workloads, shared by the CLI's `vmhost bench` and the criterion benches so both
//! measure the same thing: waves of native transfers and example-token transfers with exact
//! access lists, disjoint or with a share of them paying one hot account; a compute loop and a
//! store-bound loop with their native-Rust twins; the empty call.

use vmhost_abi::{Address, ContractType, HostFn, Transaction, TxKind};

use super::{block, token, transfer, transfer_access_list, tx};
use crate::error::{Error, Result};
use crate::executor::Chain;
use crate::vm::{GuestMemory, Host, HostTrap};

/// The accounts and the token contract a transfer workload of `n` transactions per wave uses:
/// account 1 deploys and funds; senders `n + 2 ..= 2n + 1` (one per transaction, each holding
/// coins and tokens); receivers `2 ..= n + 1`; one hot receiver.
#[derive(Debug, Clone)]
pub struct TransferWorld {
    /// Transactions per wave.
    pub n: u64,
    /// The example token's address.
    pub token: Address,
    /// BLAKE3 of its code.
    pub token_code: [u8; 32],
    /// The account every conflicting transaction pays.
    pub hot: Address,
}

/// Genesis allocations for a workload of `n` transactions per wave.
pub fn genesis_accounts(n: u64) -> Vec<(Address, u128)> {
    (1..=2 * n + 2).map(|i| (Address::from_index(i), 1u128 << 100)).collect()
}

/// How a wave's transactions relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contention {
    /// Every transaction touches keys of its own (and shared reads).
    Disjoint,
    /// Every `k`-th transaction pays the hot account instead of its own receiver: those
    /// conflict with each other (write–write on the hot account or balance).
    Every(u64),
}

impl TransferWorld {
    /// Deploys the example token (`token_wasm`, from account 1) in wave `first_wave` and funds
    /// every sender with tokens in wave `first_wave + 1`, on a chain whose genesis gave
    /// [`genesis_accounts`]`(n)`.
    pub fn setup(chain: &mut Chain, token_wasm: &[u8], n: u64, first_wave: u64) -> Result<TransferWorld> {
        let owner = Address::from_index(1);
        let kind = TxKind::ContractDeploy {
            vm: ContractType::Wasm,
            code: token_wasm.to_vec(),
            deposit: 0,
            parachain: false,
            non_reentrant: false,
        };
        let mut deploy = tx(owner, 0, kind);
        deploy.gas_limit = chain.params_at(first_wave).max_tx_gas;
        let out = chain.execute_wave(&block(first_wave), &[deploy])?;
        let token = out.receipts[0]
            .contract_address
            .ok_or_else(|| Error::Internal(format!("token deploy failed: {}", out.receipts[0].code)))?;
        let call = |nonce, entry: &str, input| {
            tx(owner, nonce, TxKind::ContractCall { contract: token, entry: entry.into(), input, value: 0 })
        };
        let mut setup = vec![call(1, "init", u128::MAX.to_le_bytes().to_vec())];
        for i in 0..n {
            setup.push(call(2 + i, "transfer", token::transfer_input(&Address::from_index(n + 2 + i), 1 << 40)));
        }
        let out = chain.execute_wave(&block(first_wave + 1), &setup)?;
        if let Some(r) = out.receipts.iter().find(|r| !r.is_success()) {
            return Err(Error::Internal(format!("token funding failed: {}", r.code)));
        }
        Ok(TransferWorld {
            n,
            token,
            token_code: *blake3::hash(token_wasm).as_bytes(),
            hot: Address::from_index(2 * n + 2),
        })
    }

    fn sender(&self, i: u64) -> Address {
        Address::from_index(self.n + 2 + i)
    }

    fn receiver(&self, i: u64, contention: Contention) -> Address {
        match contention {
            Contention::Every(k) if k > 0 && i % k == k - 1 => self.hot,
            _ => Address::from_index(2 + i),
        }
    }

    /// `n` native transfers of 1 coin, each sender sending its `round`-th transaction, with
    /// exact access lists.
    pub fn native_wave(&self, round: u64, contention: Contention) -> Vec<Transaction> {
        (0..self.n)
            .map(|i| {
                let (from, to) = (self.sender(i), self.receiver(i, contention));
                let mut t = transfer(from, round, to, 1);
                // The exact gas: the transfer's plus one access-list entry per key.
                t.gas_limit = 100_000;
                t.access_list = Some(transfer_access_list(&from, &to));
                t
            })
            .collect()
    }

    /// `n` token transfers of 1 unit, each sender sending its `round`-th transaction, with
    /// exact access lists.
    pub fn token_wave(&self, round: u64, contention: Contention) -> Vec<Transaction> {
        (0..self.n)
            .map(|i| {
                let (from, to) = (self.sender(i), self.receiver(i, contention));
                let kind = TxKind::ContractCall {
                    contract: self.token,
                    entry: "transfer".into(),
                    input: token::transfer_input(&to, 1),
                    value: 0,
                };
                let mut t = tx(from, round, kind);
                t.gas_limit = 1_000_000;
                t.access_list = Some(token::transfer_list(&self.token, &self.token_code, &from, &to));
                t
            })
            .collect()
    }
}

/// An empty entry point `noop`: the per-call path and nothing else.
pub const NOOP: &str = r#"(module (memory (export "memory") 1) (func (export "noop")))"#;

/// acc = (acc ^ i) * 0x9E3779B97F4A7C15 + 1 for i in 0..n (no closed form, so native Rust runs
/// the same loop); n read from the input (8 bytes LE), the result as return data.
pub const LOOP: &str = r#"(module
  (import "vmhost" "input_read" (func $input_read (param i32 i32 i32)))
  (import "vmhost" "set_return" (func $set_return (param i32 i32)))
  (memory (export "memory") 1)
  (func $sum (param $n i64) (result i64) (local $i i64) (local $acc i64)
    (block $done (loop $l
      (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
      (local.set $acc (i64.add (i64.mul (i64.xor (local.get $acc) (local.get $i)) (i64.const -7046029254386353131)) (i64.const 1)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $l)))
    (local.get $acc))
  (func (export "sum")
    (call $input_read (i32.const 0) (i32.const 0) (i32.const 8))
    (i64.store (i32.const 8) (call $sum (i64.load (i32.const 0))))
    (call $set_return (i32.const 8) (i32.const 8))))"#;

/// [`LOOP`] with its loop also exported as `sum_plain: (i64) -> (i64)`, for calling the loop
/// on a raw engine without any host (the unmetered reference). The deploy gate refuses such an
/// export, so this module is only ever loaded by hand.
pub fn loop_with_plain_export() -> String {
    LOOP.replacen("(func $sum (param", "(func $sum (export \"sum_plain\") (param", 1)
}

/// `mem[(i * 8) mod 64 KiB] = i` for i in 0..n: a store on every iteration, to price the
/// write tracking of warm instances (n from the input, the word at 8 as return data).
pub const STORES: &str = r#"(module
  (import "vmhost" "input_read" (func $input_read (param i32 i32 i32)))
  (import "vmhost" "set_return" (func $set_return (param i32 i32)))
  (memory (export "memory") 1)
  (func $fill (param $n i64) (local $i i64)
    (block $done (loop $l
      (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
      (i64.store (i32.wrap_i64 (i64.and (i64.shl (local.get $i) (i64.const 3)) (i64.const 65528))) (local.get $i))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $l))))
  (func (export "fill")
    (call $input_read (i32.const 0) (i32.const 0) (i32.const 8))
    (call $fill (i64.load (i32.const 0)))
    (call $set_return (i32.const 8) (i32.const 8))))"#;

/// The store loop in native Rust.
pub fn native_fill(buf: &mut [u64; 8192], n: u64) {
    for i in 0..n {
        buf[(i & 8191) as usize] = i;
    }
}

/// The compute loop in native Rust.
pub fn native_sum(n: u64) -> u64 {
    let mut acc = 0u64;
    let mut i = 0u64;
    while i < n {
        acc = (acc ^ i).wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1);
        i += 1;
    }
    acc
}

/// A host that only serves what the loop modules import (the 8-byte input; `set_return` is
/// accepted and ignored): `Module::call` measured without the chain around it.
#[derive(Debug)]
pub struct LoopHost {
    /// The call's input (its first 8 bytes are what `input_read` copies).
    pub input: Vec<u8>,
}

impl Host for LoopHost {
    fn host_call(
        &mut self,
        f: HostFn,
        args: &[u64],
        mem: &mut dyn GuestMemory,
        _gas: &mut u64,
    ) -> Result<u64, HostTrap> {
        match f {
            HostFn::InputRead => mem.write(args[0] as u32, &self.input[..8]).map(|_| 0),
            _ => Ok(0),
        }
    }
}

/// `calls`: `block_height` n times in a loop (n from the input, 8 bytes LE); `empty`: the same
/// loop without the call. Their difference over n is what one host call costs a backend: its
/// import glue and whatever boundary it crosses (with [`LoopHost`], the host does nothing).
pub const HOST_CALLS: &str = r#"(module
  (import "vmhost" "input_read" (func $input_read (param i32 i32 i32)))
  (import "vmhost" "block_height" (func $block_height (result i64)))
  (memory (export "memory") 1)
  (func $n (result i64)
    (call $input_read (i32.const 0) (i32.const 0) (i32.const 8))
    (i64.load (i32.const 0)))
  (func (export "calls") (local $i i64) (local $n i64)
    (local.set $n (call $n))
    (block $done (loop $l
      (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
      (drop (call $block_height))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $l))))
  (func (export "empty") (local $i i64) (local $n i64)
    (local.set $n (call $n))
    (block $done (loop $l
      (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
      (drop (i64.const 0))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $l)))))"#;

#[cfg(test)]
mod tests {
    /// The bench workloads are contracts: each passes the deploy gate (a bench that cannot
    /// deploy its own module is a broken bench, and criterion benches do not run in the tests).
    #[test]
    fn every_workload_module_passes_the_gate() {
        for (name, src) in
            [("NOOP", super::NOOP), ("LOOP", super::LOOP), ("STORES", super::STORES), ("HOST_CALLS", super::HOST_CALLS)]
        {
            let code = wat::parse_str(src).unwrap_or_else(|e| panic!("{name}: {e}"));
            match crate::wasm::validate(&code, &crate::wasm::WasmLimits::default()) {
                Ok(info) => {
                    assert!(info.other_exported_functions.is_empty(), "{name}: {:?}", info.other_exported_functions)
                }
                Err(e) => panic!("{name} does not deploy: {e}"),
            }
        }
        // The raw-engine variant keeps the loop callable without a host, and only it does.
        let plain = wat::parse_str(super::loop_with_plain_export()).expect("wat");
        let info = crate::wasm::validate(&plain, &crate::wasm::WasmLimits::default()).expect("valid");
        assert_eq!(info.other_exported_functions, [("sum_plain".to_string(), "(i64) -> (i64)".to_string())]);
    }
}
