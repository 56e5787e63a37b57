//! One transaction: validate → charge → checkpoint → dispatch → commit/revert → receipt.

use vmhost_abi::{
    keys, AccessList, AccountRecord, Address, ContractRecord, ContractType, ErrorCode, Receipt, ReceiptStatus,
    StateKey, Transaction, TxKind,
};

use super::{deploy, status_of, WaveCtx};
use crate::accounts;
use crate::error::{Error, Result};
use crate::hostfns::{CallKind, HostCtx};
use crate::native::NativeContext;
use crate::params::ConsensusParams;
use crate::registry::VmRegistry;
use crate::state::{OverlayStack, WaveCache};

thread_local! {
    static ENCODE_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// [`Transaction::hash`] without allocating: borsh into a per-thread buffer, then BLAKE3.
pub(crate) fn tx_hash(tx: &Transaction) -> [u8; 32] {
    ENCODE_BUF.with(|buf| {
        let mut buf = buf.borrow_mut();
        buf.clear();
        match borsh::to_writer(&mut *buf, tx) {
            Ok(()) => *blake3::hash(&buf).as_bytes(),
            Err(_) => tx.hash(),
        }
    })
}

/// A receipt for a transaction rejected at ingress.
pub(crate) fn invalid(tx_hash: [u8; 32], code: ErrorCode) -> Receipt {
    Receipt {
        tx_hash,
        status: ReceiptStatus::Invalid,
        code,
        gas_used: 0,
        fee_paid: 0,
        return_data: Vec::new(),
        events: Vec::new(),
        contract_address: None,
    }
}

/// Gas charged before any execution: the kind's intrinsic cost plus each access-list entry.
/// `Err` for a native transaction with no native handler.
pub fn intrinsic_gas(
    registry: &VmRegistry,
    params: &ConsensusParams,
    tx: &Transaction,
) -> core::result::Result<u64, ErrorCode> {
    let per_byte = |base: u64, per: u64, n: usize| base.saturating_add(per.saturating_mul(n as u64));
    let i = &params.intrinsic;
    let kind = match &tx.kind {
        TxKind::Native(n) => {
            registry.native().map_err(|_| ErrorCode::UnknownContractType)?.intrinsic_gas(n, &params.native)
        }
        TxKind::ContractCall { input, .. } | TxKind::ParachainCall { input, .. } => {
            per_byte(i.call_base, i.call_input_per_byte, input.len())
        }
        TxKind::ContractDeploy { code, .. } | TxKind::ContractUpgrade { code, .. } => {
            per_byte(i.deploy_base, i.deploy_per_byte, code.len())
        }
        // One record read and written, like a call's intrinsic part.
        TxKind::ContractUpgradeCancel { .. } | TxKind::ContractRenounceUpgrades { .. } => i.call_base,
    };
    let entries = tx.access_list.as_ref().map_or(0, AccessList::len);
    Ok(per_byte(kind, i.access_list_key, entries))
}

/// The keys a transaction of this kind touches before and around its execution, which a
/// declared access list must cover: the sender's account (fee and nonce, always written), a
/// call's target record, a deploy's or upgrade's record and code, a native transaction's keys
/// as its handler derives them. (A call's code, storage and value transfers are checked as the
/// call makes them.)
pub fn required_access(
    registry: &VmRegistry,
    params: &ConsensusParams,
    tx: &Transaction,
) -> core::result::Result<AccessList, ErrorCode> {
    let mut list = AccessList::new().write(keys::account(&tx.sender));
    match &tx.kind {
        TxKind::ContractCall { contract, .. } | TxKind::ParachainCall { contract, .. } => {
            list.reads.push(keys::contract(contract));
        }
        TxKind::ContractDeploy { code, .. } => {
            let address = Address::contract(&tx.sender, tx.nonce);
            list.writes.push(keys::contract(&address));
            list.writes.push(keys::code(blake3::hash(code).as_bytes()));
        }
        TxKind::ContractUpgrade { contract, code } => {
            list.writes.push(keys::contract(contract));
            list.writes.push(keys::code(blake3::hash(code).as_bytes()));
        }
        TxKind::ContractUpgradeCancel { contract } | TxKind::ContractRenounceUpgrades { contract } => {
            list.writes.push(keys::contract(contract));
        }
        TxKind::Native(n) => {
            let handler = registry.native().map_err(|_| ErrorCode::UnknownContractType)?;
            let derived = handler.access_list(n, &tx.sender, &params.native);
            list.reads.extend(derived.reads);
            list.writes.extend(derived.writes);
        }
    }
    Ok(list.normalized())
}

/// System transactions (slashing from `Address::SYSTEM`) pay no fee: the system account holds
/// no balance, and evidence must be processable whatever the fee market does.
fn fee_exempt(tx: &Transaction) -> bool {
    tx.sender == vmhost_abi::Address::SYSTEM && matches!(tx.kind, TxKind::Native(vmhost_abi::NativeTx::Slashing { .. }))
}

/// The ingress check of a transaction's declared access list: `Ok(None)` without one,
/// `Ok(Some(normalized list))` when it is within the cap and covers what the transaction's kind
/// touches, else the code of an invalid transaction. The scheduler computes it once per
/// transaction and hands it to [`execute`], which otherwise computes it itself.
pub type AccessCheck = core::result::Result<Option<AccessList>, ErrorCode>;

/// Computes the [`AccessCheck`] of `tx` under `params`.
pub fn check_access_list(registry: &VmRegistry, params: &ConsensusParams, tx: &Transaction) -> AccessCheck {
    let Some(list) = &tx.access_list else { return Ok(None) };
    if list.len() > params.limits.max_access_list_keys as usize {
        return Err(ErrorCode::BadAccessList);
    }
    let list = list.normalized();
    if !list.covers(&required_access(registry, params, tx)?) {
        return Err(ErrorCode::BadAccessList);
    }
    Ok(Some(list))
}

/// An invalid transaction's code and the reason, for its sender.
type Refusal = (ErrorCode, String);

/// Ingress checks; returns the intrinsic gas and, for calls, the target's record. The outer
/// `Err` is an infrastructure failure, the inner one the code (and reason) of an invalid
/// transaction.
fn validate(
    wave: &WaveCtx<'_>,
    tx: &Transaction,
    acct: &AccountRecord,
    state: &OverlayStack<'_>,
) -> Result<core::result::Result<(u64, Option<ContractRecord>), Refusal>> {
    let params = wave.params;
    if tx.chain_id != params.chain_id {
        return Ok(Err((
            ErrorCode::WrongChainId,
            format!("chain id {}, this chain is {}", tx.chain_id, params.chain_id),
        )));
    }
    if tx.gas_limit > params.max_tx_gas {
        let why = format!("gas limit {} above the chain's max_tx_gas {}", tx.gas_limit, params.max_tx_gas);
        return Ok(Err((ErrorCode::GasLimitTooHigh, why)));
    }
    if tx.nonce != acct.nonce || acct.nonce == u64::MAX {
        return Ok(Err((
            ErrorCode::BadNonce,
            format!("nonce {}, the sender's next nonce is {}", tx.nonce, acct.nonce),
        )));
    }
    let mut record = None;
    if let TxKind::ContractCall { contract, .. } | TxKind::ParachainCall { contract, .. } = &tx.kind {
        let Some(rec) = crate::hostfns::read_contract(state, contract)? else {
            return Ok(Err((ErrorCode::UnknownContract, format!("no contract at {contract}"))));
        };
        let wants_parachain = matches!(tx.kind, TxKind::ParachainCall { .. });
        if wants_parachain != rec.parachain || rec.vm == ContractType::Native {
            let why = match (wants_parachain, rec.parachain) {
                (true, false) => "a parachain call to a contract that is not a parachain",
                (false, true) => "a contract call to a parachain: send a parachain call",
                _ => "native handlers are reached with native transactions",
            };
            return Ok(Err((ErrorCode::WrongContractKind, why.to_string())));
        }
        record = Some(rec);
    }
    Ok(validate_fees(wave, tx, acct).map(|g| (g, record)))
}

/// Intrinsic gas and fee-balance checks.
fn validate_fees(wave: &WaveCtx<'_>, tx: &Transaction, acct: &AccountRecord) -> core::result::Result<u64, Refusal> {
    let limits = &wave.params.limits;
    let (value, extra) = match &tx.kind {
        TxKind::ContractCall { entry, input, value, .. } | TxKind::ParachainCall { entry, input, value, .. } => {
            if entry.is_empty() || entry.len() > limits.max_entry_len as usize {
                let why = format!("the entry name must be 1 to {} bytes", limits.max_entry_len);
                return Err((ErrorCode::BadEntryPoint, why));
            }
            if input.len() > limits.max_input_len as usize {
                let why =
                    format!("input of {} bytes, above limits.max_input_len {}", input.len(), limits.max_input_len);
                return Err((ErrorCode::CalldataTooLarge, why));
            }
            (*value, 0)
        }
        TxKind::ContractDeploy { vm, deposit, .. } => {
            if wave.env.registry.vm(vm).is_err() {
                return Err((ErrorCode::UnknownContractType, format!("no backend serves contract type {vm}")));
            }
            (0, *deposit)
        }
        _ => (0, 0),
    };
    let intrinsic = intrinsic_gas(&wave.env.registry, wave.params, tx)
        .map_err(|c| (c, "no native handler is registered".to_string()))?;
    if tx.gas_limit < intrinsic {
        return Err((
            ErrorCode::GasLimitTooLow,
            format!("gas limit {} below the intrinsic gas {intrinsic}", tx.gas_limit),
        ));
    }
    if fee_exempt(tx) {
        return Ok(intrinsic);
    }
    let short = |required: String| {
        (ErrorCode::InsufficientFeeBalance, format!("the balance {} does not cover {required}", acct.balance))
    };
    let required = (tx.gas_limit as u128)
        .checked_mul(wave.block.base_fee)
        .and_then(|f| f.checked_add(value))
        .and_then(|f| f.checked_add(extra))
        .ok_or_else(|| short("gas limit × base fee + value + deposit (overflow)".into()))?;
    if acct.balance < required {
        return Err(short(format!("gas limit × base fee + value + deposit = {required}")));
    }
    Ok(intrinsic)
}

/// What dispatch produced.
struct Dispatched<'c> {
    state: OverlayStack<'c>,
    code: ErrorCode,
    gas_used: u64,
    return_data: Vec<u8>,
    contract_address: Option<vmhost_abi::Address>,
    /// Why it failed, when there is more to say than the code.
    note: Option<String>,
}

/// A receipt and, for a failure, the reason in words (node-local: never part of the receipt,
/// a root or consensus).
pub(crate) type Executed = (Receipt, Option<String>);

/// Executes one transaction and merges its effects into the wave cache. `checked` is its
/// access-list check when the caller already made it ([`check_access_list`]).
pub(crate) fn execute(
    wave: &WaveCtx<'_>,
    cache: &WaveCache,
    tx: &Transaction,
    checked: Option<&AccessCheck>,
    tracer: Option<&mut (dyn crate::trace::Tracer + 'static)>,
) -> Result<Executed> {
    let tx_hash = tx_hash(tx);
    let span = tracing::debug_span!("tx", hash = %hex::encode(&tx_hash[..8]), sender = ?tx.sender);
    let _guard = span.enter();
    let own;
    let checked = match checked {
        Some(c) => c,
        None => {
            own = check_access_list(&wave.env.registry, wave.params, tx);
            &own
        }
    };
    let access = match checked {
        Ok(a) => a.as_ref(),
        Err(code) => {
            tracing::debug!(%code, "transaction rejected at ingress: access list");
            let why = match code {
                ErrorCode::BadAccessList => format!(
                    "the access list must hold at most {} keys and declare what the transaction kind touches \
                     (the sender's account, a call's target record, a deploy's record and code, a native \
                     transaction's keys)",
                    wave.params.limits.max_access_list_keys
                ),
                other => other.description().to_string(),
            };
            return Ok((invalid(tx_hash, *code), Some(why)));
        }
    };
    let state = OverlayStack::new(cache);
    let sender_key = keys::account(&tx.sender);
    let acct = accounts::read_key(&state, &sender_key)?;
    let (intrinsic, record) = match validate(wave, tx, &acct, &state)? {
        Ok(v) => v,
        Err((code, why)) => {
            tracing::debug!(%code, why, "transaction rejected at ingress");
            return Ok((invalid(tx_hash, code), Some(why)));
        }
    };
    let budget = tx.gas_limit - intrinsic;
    let d = dispatch(wave, tx, &tx_hash, state, budget, record, sender_key, access, tracer)?;
    let Dispatched { mut state, mut code, gas_used, return_data, contract_address, mut note } = d;
    let gas_used = intrinsic.saturating_add(gas_used).min(tx.gas_limit);
    let fee = if fee_exempt(tx) { 0 } else { (gas_used as u128).saturating_mul(wave.block.base_fee) };
    // The fee is debited after dispatch. Ingress guaranteed the *pre-transaction* balance covers
    // gas_limit × base_fee; if the transaction's own effects (a transfer, a deposit, a value
    // call) leave too little for the fee, those effects are discarded. This keeps the rule in
    // one place for every handler and backend.
    // The sender's account now: what the transaction wrote, else what ingress read (no other
    // transaction writes it meanwhile: the scheduler never runs two that write one key, and
    // every transaction writes its sender's account).
    let sender_now = |state: &OverlayStack<'_>| match state.written(&sender_key) {
        Some(value) => accounts::from_value(&value),
        None => Ok(acct),
    };
    if code.is_ok() && sender_now(&state)?.balance < fee {
        code = ErrorCode::InsufficientBalance;
        note = Some(format!("after its own transfers the sender cannot pay the fee of {fee}"));
    }
    let return_data = if code.is_ok() || code == ErrorCode::Reverted { return_data } else { Vec::new() };
    if !code.is_ok() {
        state.discard_all();
    }
    // Fee and nonce apply whatever the outcome (no refunds: only gas_used is debited).
    let mut sender = sender_now(&state)?;
    sender.balance = match sender.balance.checked_sub(fee) {
        Some(b) => b,
        None => return Err(Error::Internal("fee exceeds the balance checked at ingress".into())),
    };
    sender.nonce = sender.nonce.checked_add(1).ok_or_else(|| Error::Internal("nonce overflow past ingress".into()))?;
    accounts::write_key(&mut state, sender_key, &sender);
    let created = state.take_created_slots();
    let (writes, events) = state.into_changes()?;
    cache.apply(writes);
    cache.note_created_slots(created);
    let status = match (&tx.kind, code.is_ok()) {
        // A native transaction, a deploy and the lifecycle kinds either do what they say or
        // fail their checks (whatever the code's range: a deploy refused for its imports says
        // `ParachainOnly`, and was not trapped).
        (
            TxKind::Native(_)
            | TxKind::ContractDeploy { .. }
            | TxKind::ContractUpgrade { .. }
            | TxKind::ContractUpgradeCancel { .. }
            | TxKind::ContractRenounceUpgrades { .. },
            false,
        ) => ReceiptStatus::Failed,
        _ => status_of(code),
    };
    let note = explain(code, note, &return_data);
    let receipt = Receipt {
        tx_hash,
        status,
        code,
        gas_used,
        fee_paid: fee,
        return_data,
        events,
        contract_address: if code.is_ok() { contract_address } else { None },
    };
    Ok((receipt, note))
}

/// The reason a transaction with `code` failed: the host's own note when it has one, else the
/// revert text (when the revert data is UTF-8) or the code's description. `None` on success.
pub(crate) fn explain(code: ErrorCode, note: Option<String>, return_data: &[u8]) -> Option<String> {
    match (code, note) {
        (c, _) if c.is_ok() => None,
        (_, Some(n)) => Some(n),
        (ErrorCode::Reverted, None) => Some(match std::str::from_utf8(return_data) {
            Ok(text) if !text.is_empty() => format!("reverted: {text}"),
            _ => "reverted".to_string(),
        }),
        (c, None) => Some(c.description().to_string()),
    }
}

#[allow(clippy::too_many_arguments)]
fn dispatch<'c>(
    wave: &WaveCtx<'_>,
    tx: &Transaction,
    tx_hash: &[u8; 32],
    mut state: OverlayStack<'c>,
    budget: u64,
    record: Option<ContractRecord>,
    sender_key: StateKey,
    access: Option<&AccessList>,
    tracer: Option<&'c mut (dyn crate::trace::Tracer + 'static)>,
) -> Result<Dispatched<'c>> {
    let env = wave.env;
    let done = |state, code, gas_used, return_data| Dispatched {
        state,
        code,
        gas_used,
        return_data,
        contract_address: None,
        note: None,
    };
    match &tx.kind {
        TxKind::Native(ntx) => {
            let handler = env.registry.native()?;
            let r = {
                let mut ctx =
                    NativeContext::with_sender_key(tx.sender, sender_key, wave.block, &wave.params.native, &mut state);
                handler.execute(ntx, &mut ctx)?
            };
            let code = r.err().unwrap_or(ErrorCode::Ok);
            Ok(done(state, code, 0, Vec::new()))
        }
        TxKind::ContractDeploy { vm, code, deposit, parachain, non_reentrant } => {
            let req = deploy::DeployRequest {
                ty: vm,
                code,
                deposit: *deposit,
                parachain: *parachain,
                non_reentrant: *non_reentrant,
            };
            let out = deploy::deploy(wave, &mut state, tx, req)?;
            Ok(Dispatched {
                state,
                code: out.code,
                gas_used: 0,
                return_data: Vec::new(),
                contract_address: out.address,
                note: out.reason,
            })
        }
        TxKind::ContractUpgrade { contract, code } => {
            let (out, reason) = deploy::upgrade(wave, &mut state, tx, contract, code)?;
            Ok(Dispatched { note: reason, ..done(state, out, 0, Vec::new()) })
        }
        TxKind::ContractUpgradeCancel { contract } => {
            let out = deploy::cancel_upgrade(wave, &mut state, tx, contract)?;
            Ok(done(state, out, 0, Vec::new()))
        }
        TxKind::ContractRenounceUpgrades { contract } => {
            let out = deploy::renounce_upgrades(wave, &mut state, tx, contract)?;
            Ok(done(state, out, 0, Vec::new()))
        }
        TxKind::ContractCall { contract, entry, input, value }
        | TxKind::ParachainCall { contract, entry, input, value } => {
            let mut host = HostCtx::new(wave, state, tx.sender, *tx_hash, access.cloned()).with_tracer(tracer);
            let r = host.invoke(crate::hostfns::Invoke {
                caller: tx.sender,
                target: *contract,
                entry,
                input: input.clone(),
                value: *value,
                gas_limit: budget,
                kind: CallKind::Call,
                record,
                stack_left: None,
            });
            let (state, fatal, fault, note) = host.into_state();
            if let Some(e) = fatal {
                return Err(e);
            }
            let r = r?;
            let out = match fault {
                // The transaction broke its own access list: it fails as a trap would, whatever
                // its contracts did with the failure.
                Some(code) => done(state, code, budget, Vec::new()),
                None => done(state, r.code, r.gas_used, r.data),
            };
            // A note of a failure the contracts recovered from is not the transaction's.
            let note = if out.code.is_ok() { None } else { note };
            Ok(Dispatched { note, ..out })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffered_tx_hash_equals_the_abi_definition() {
        let t = crate::testing::transfer(vmhost_abi::Address::from_index(1), 7, vmhost_abi::Address::from_index(2), 99);
        assert_eq!(tx_hash(&t), t.hash());
        let big = crate::testing::tx(
            vmhost_abi::Address::from_index(1),
            0,
            TxKind::ContractCall {
                contract: vmhost_abi::Address::ZERO,
                entry: "e".into(),
                input: vec![5; 10_000],
                value: 1,
            },
        );
        assert_eq!(tx_hash(&big), big.hash());
        assert_eq!(tx_hash(&t), t.hash(), "the buffer is reset between uses");
    }

    #[test]
    fn a_sender_at_the_last_nonce_is_refused_at_ingress() {
        use vmhost_abi::{Address, ReceiptStatus};
        let store = std::sync::Arc::new(crate::state::MemStore::new());
        let mut chain =
            super::super::Chain::open(store, crate::VmRegistry::new(), crate::ExecConfig::default()).expect("open");
        let (a, b) = (Address::from_index(1), Address::from_index(2));
        chain.genesis(&[(a, 1 << 40)]).expect("genesis");
        // Genesis sets nonces to 0; put the account at the last nonce in the wave cache.
        let last = AccountRecord { balance: 1 << 40, nonce: u64::MAX };
        chain.cache.apply([(keys::account(&a), Some(crate::state::StateBytes::from(&accounts::encode(&last)[..])))]);
        let t = crate::testing::tx(
            a,
            u64::MAX,
            TxKind::ContractCall { contract: b, entry: "e".into(), input: vec![], value: 0 },
        );
        let receipts = chain.execute_txs(&crate::testing::block(1), &[Ok(&t)]).expect("no infrastructure failure");
        let (receipt, note) = &receipts[0];
        assert_eq!((receipt.status, receipt.code), (ReceiptStatus::Invalid, ErrorCode::BadNonce));
        assert!(note.as_deref().is_some_and(|n| n.contains("nonce")), "{note:?}");
    }
}
