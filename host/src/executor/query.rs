//! Read-only calls against the committed head (`eth_call`'s counterpart).
//!
//! A query runs a contract entry point exactly as a transaction's call would — same backends,
//! host functions, gas schedule and limits — but with no ingress: no nonce, no fee, no
//! signature, and nothing it does is kept. Writes, transfers and events live in an overlay
//! that is dropped; the receipt-like [`QueryOutcome`] reports what the call returned, the
//! events it would emit and the gas a transaction making the same call would use (intrinsic
//! gas included: a gas estimate). The gas limit is capped by the node's
//! [`crate::NodeConfig::query_gas_cap`] and the chain's `max_tx_gas`.

use vmhost_abi::{Address, ErrorCode, Event, ReceiptStatus, Transaction, TxKind};

use super::{status_of, WaveCtx};
use crate::error::Result;
use crate::hostfns::{CallKind, HostCtx, Invoke};
use crate::state::{OverlayStack, WaveCache};

/// A read-only call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Who the callee sees as `caller` and `origin` (any address; it pays nothing).
    pub sender: Address,
    /// The contract called.
    pub contract: Address,
    /// Its entry point.
    pub entry: String,
    /// The call's input.
    pub input: Vec<u8>,
    /// Value the callee sees attached (moved from the sender inside the dropped overlay, so the
    /// sender must hold it at the head).
    pub value: u128,
    /// Gas limit (capped, see the module docs).
    pub gas_limit: u64,
}

/// What a query returned. Nothing of it is committed or signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryOutcome {
    /// As a receipt's status would be.
    pub status: ReceiptStatus,
    /// As a receipt's code would be.
    pub code: ErrorCode,
    /// Gas a transaction making this call would use (intrinsic gas included).
    pub gas_used: u64,
    /// The gas limit the query ran with, after the caps.
    pub gas_limit: u64,
    /// Return data (revert data on `Reverted`).
    pub return_data: Vec<u8>,
    /// The events the call would emit (none unless it succeeded).
    pub events: Vec<Event>,
    /// Why it failed, in words.
    pub note: Option<String>,
}

pub(crate) fn query(wave: &WaveCtx<'_>, cache: &WaveCache, q: &Query, cap: u64) -> Result<QueryOutcome> {
    let gas_limit = q.gas_limit.min(cap).min(wave.params.max_tx_gas);
    let refused = |code: ErrorCode, note: String| QueryOutcome {
        status: status_of(code),
        code,
        gas_used: 0,
        gas_limit,
        return_data: Vec::new(),
        events: Vec::new(),
        note: Some(note),
    };
    let limits = &wave.params.limits;
    if q.entry.is_empty() || q.entry.len() > limits.max_entry_len as usize {
        return Ok(refused(
            ErrorCode::BadEntryPoint,
            format!("the entry name must be 1 to {} bytes", limits.max_entry_len),
        ));
    }
    if q.input.len() > limits.max_input_len as usize {
        let why = format!("input of {} bytes, above limits.max_input_len {}", q.input.len(), limits.max_input_len);
        return Ok(refused(ErrorCode::CalldataTooLarge, why));
    }
    let state = OverlayStack::new(cache);
    let Some(record) = crate::hostfns::read_contract(&state, &q.contract)? else {
        return Ok(refused(ErrorCode::UnknownContract, format!("no contract at {}", q.contract)));
    };
    if record.parachain || record.vm == vmhost_abi::ContractType::Native {
        let why = "queries reach wasm and plugin contracts that are not parachains";
        return Ok(refused(ErrorCode::WrongContractKind, why.to_string()));
    }
    // The intrinsic gas of the transaction that would make this call.
    let as_tx = Transaction {
        sender: q.sender,
        nonce: 0,
        gas_limit,
        chain_id: wave.params.chain_id,
        access_list: None,
        kind: TxKind::ContractCall {
            contract: q.contract,
            entry: q.entry.clone(),
            input: q.input.clone(),
            value: q.value,
        },
    };
    let intrinsic = super::intrinsic_gas(&wave.env.registry, wave.params, &as_tx).unwrap_or(0);
    if gas_limit < intrinsic {
        return Ok(refused(
            ErrorCode::GasLimitTooLow,
            format!("gas limit {gas_limit} below the intrinsic gas {intrinsic}"),
        ));
    }
    let tx_hash = super::tx::tx_hash(&as_tx);
    let mut host = HostCtx::new(wave, state, q.sender, tx_hash, None);
    let r = host.invoke(Invoke {
        caller: q.sender,
        target: q.contract,
        entry: &q.entry,
        input: q.input.clone(),
        value: q.value,
        gas_limit: gas_limit - intrinsic,
        kind: CallKind::Call,
        record: Some(record),
        stack_left: None,
    });
    let (state, fatal, _fault, note) = host.into_state();
    if let Some(e) = fatal {
        return Err(e);
    }
    let r = r?;
    // Dropped: the overlay's writes never reach the wave cache.
    let (_writes, events) = state.into_changes()?;
    let code = r.code;
    let note = super::tx::explain(code, note, &r.data);
    Ok(QueryOutcome {
        status: status_of(code),
        code,
        gas_used: intrinsic.saturating_add(r.gas_used).min(gas_limit),
        gas_limit,
        return_data: if code.is_ok() || code == ErrorCode::Reverted { r.data } else { Vec::new() },
        events: if code.is_ok() { events } else { Vec::new() },
        note,
    })
}
