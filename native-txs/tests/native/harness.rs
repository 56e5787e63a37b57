//! The test harness: a chain with only the native plugin, nonce bookkeeping and receipt checks.

use std::collections::BTreeMap;
use std::sync::Arc;

use vmhost::state::MemStore;
use vmhost::{Chain, ExecConfig, VmRegistry};

pub(crate) use vmhost::NativeHandler;
pub(crate) use vmhost_abi::gas::{NATIVE_SYSTEM_GAS, NATIVE_TRANSFER_GAS};
pub(crate) use vmhost_abi::{
    keys, AccountRecord, Address, ErrorCode, Event, MultisigRecord, NativeTx, Receipt, ReceiptStatus, Transaction,
    TxKind, UnbondingEntry, ValidatorRecord,
};
pub(crate) use vmhost_native::events::{
    self, MultisigCreated, MultisigSpent, NativeEvent, UnbondingReleased, ValidatorKeyRotated, ValidatorRegistered,
    ValidatorSlashed, ValidatorUnbonded, ValidatorUnjailed,
};
pub(crate) use vmhost_native::{multisig_address, NativeParams, NativePlugin};

pub(crate) const FUNDS: u128 = 10_000_000;
pub(crate) const SYS_FEE: u128 = NATIVE_SYSTEM_GAS as u128;
pub(crate) const TRANSFER_FEE: u128 = NATIVE_TRANSFER_GAS as u128;

pub(crate) fn addr(n: u64) -> Address {
    Address::from_index(n)
}

pub(crate) fn key(byte: u8) -> Vec<u8> {
    vec![byte; 64]
}

/// A chain with only the native plugin, plus nonce bookkeeping.
pub(crate) struct Harness {
    pub(crate) chain: Chain,
    pub(crate) wave: u64,
    pub(crate) base_fee: u128,
    pub(crate) nonces: BTreeMap<Address, u64>,
}

impl Harness {
    /// Default parameters; `funded` accounts get `FUNDS`, and so does the system address.
    pub(crate) fn new(funded: &[Address]) -> Self {
        Self::with(NativeParams::default(), funded)
    }

    pub(crate) fn with(params: NativeParams, funded: &[Address]) -> Self {
        let mut genesis: Vec<(Address, u128)> = funded.iter().map(|a| (*a, FUNDS)).collect();
        genesis.push((Address::SYSTEM, FUNDS));
        Self::with_genesis(params, &genesis)
    }

    pub(crate) fn with_genesis(params: NativeParams, genesis: &[(Address, u128)]) -> Self {
        let mut registry = VmRegistry::new();
        registry.register_native(Arc::new(NativePlugin)).expect("register plugin");
        let mut cfg = ExecConfig::default();
        cfg.consensus.native = params;
        let mut chain = Chain::open(Arc::new(MemStore::new()), registry, cfg).expect("open chain");
        chain.genesis(genesis).expect("genesis");
        Self { chain, wave: 0, base_fee: 1, nonces: BTreeMap::new() }
    }

    /// A native transaction with the next nonce and exactly its intrinsic gas as the limit.
    pub(crate) fn tx(&mut self, sender: Address, kind: NativeTx) -> Transaction {
        let chain = &self.chain;
        let next = self.nonces.entry(sender).or_insert_with(|| chain.account(&sender).expect("account").nonce);
        let nonce = *next;
        *next += 1;
        let gas_limit = NativePlugin.intrinsic_gas(&kind, &self.chain.params_at(self.wave + 1).native);
        Transaction { sender, nonce, gas_limit, chain_id: 1, access_list: None, kind: TxKind::Native(kind) }
    }

    /// Executes `txs` as one wave at `height`.
    pub(crate) fn wave(&mut self, height: u64, txs: Vec<Transaction>) -> Vec<Receipt> {
        self.wave += 1;
        let mut block = vmhost::testing::block(self.wave);
        block.height = height;
        block.base_fee = self.base_fee;
        let out = self.chain.execute_wave(&block, &txs).expect("wave must not halt");
        self.nonces.clear();
        assert_eq!(out.receipts.len(), txs.len());
        out.receipts
    }

    /// Executes one transaction in its own wave at `height`.
    pub(crate) fn exec(&mut self, height: u64, sender: Address, kind: NativeTx) -> Receipt {
        let tx = self.tx(sender, kind);
        self.wave(height, vec![tx]).remove(0)
    }

    pub(crate) fn account(&self, a: &Address) -> AccountRecord {
        self.chain.account(a).expect("account")
    }

    pub(crate) fn balance(&self, a: &Address) -> u128 {
        self.account(a).balance
    }

    pub(crate) fn validator(&self, a: &Address) -> Option<ValidatorRecord> {
        self.chain.read_record(&keys::validator(a)).expect("validator record")
    }

    pub(crate) fn multisig(&self, a: &Address) -> Option<MultisigRecord> {
        self.chain.read_record(&keys::multisig(a)).expect("multisig record")
    }

    pub(crate) fn key_owner(&self, k: &[u8]) -> Option<Address> {
        self.chain.read_record(&keys::consensus_key(k)).expect("key binding")
    }

    /// Registers `v` with `stake` and `k` at `height`, asserting success.
    pub(crate) fn register(&mut self, height: u64, v: Address, stake: u128, k: Vec<u8>) {
        let r = self.exec(height, v, NativeTx::ValidatorRegister { stake, consensus_key: k });
        expect_ok(&r, NATIVE_SYSTEM_GAS);
    }

    pub(crate) fn slash(&mut self, height: u64, v: Address, evidence: u8, bps: u16) -> Receipt {
        self.exec(
            height,
            Address::SYSTEM,
            NativeTx::Slashing { validator: v, evidence: [evidence; 32], fraction_bps: bps },
        )
    }
}

/// A successful system slashing: intrinsic gas reported, no fee (system transactions are exempt).
pub(crate) fn expect_slash_ok(r: &Receipt) {
    assert_eq!((r.status, r.code), (ReceiptStatus::Success, ErrorCode::Ok), "receipt {r:?}");
    assert_eq!((r.gas_used, r.fee_paid), (NATIVE_SYSTEM_GAS, 0));
}

/// A failed system slashing: `Failed` with `code`, intrinsic gas reported, no fee, no events.
pub(crate) fn expect_slash_fail(r: &Receipt, code: ErrorCode) {
    assert_eq!((r.status, r.code), (ReceiptStatus::Failed, code), "receipt {r:?}");
    assert_eq!((r.gas_used, r.fee_paid), (NATIVE_SYSTEM_GAS, 0));
    assert!(r.events.is_empty());
}

pub(crate) fn expect_ok(r: &Receipt, gas: u64) {
    assert_eq!((r.status, r.code), (ReceiptStatus::Success, ErrorCode::Ok), "receipt {r:?}");
    assert_eq!(r.gas_used, gas);
    assert_eq!(r.fee_paid, u128::from(gas));
}

/// A consensus failure: status `Failed` with `code`, the intrinsic gas charged at base fee 1,
/// no events.
pub(crate) fn expect_fail(r: &Receipt, code: ErrorCode, gas: u64) {
    assert_eq!((r.status, r.code), (ReceiptStatus::Failed, code), "receipt {r:?}");
    assert_eq!(r.gas_used, gas);
    assert_eq!(r.fee_paid, u128::from(gas));
    assert!(r.events.is_empty());
}

pub(crate) fn event<E: NativeEvent>(data: &E) -> Event {
    Event { contract: Address::SYSTEM, topic: E::topic(), data: borsh::to_vec(data).expect("encode") }
}
