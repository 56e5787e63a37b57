//! Calls into native handlers: system contracts at reserved addresses
//! ([`Address::system_contract`]), reached with the ordinary call convention (`cross_call` /
//! `cross_call_static`: entry, input, gas limit, result code, return data), so a contract on
//! any VM can use the chain's native transactions.
//!
//! | address | entry | input | effect | return data | in static calls |
//! |---|---|---|---|---|---|
//! | [`Address::NATIVE_TRANSFER`] (id 1) | `transfer` | `to (32) ‖ amount (16, u128 LE)` | `NativeTx::Transfer` from the calling contract | empty | `StaticCallViolation` |
//! | [`Address::NATIVE_MULTISIG`] (id 2) | `spend` | `multisig (32) ‖ to (32) ‖ amount (16)` | `NativeTx::MultisigSpend` with the calling contract as the sender and no other approval | empty | `StaticCallViolation` |
//! | [`Address::NATIVE_VALIDATORS`] (id 3) | `get` | `validator (32)` | reads the validator record | borsh `Option<ValidatorRecord>` | allowed |
//!
//! - **Authority.** The sender of the native transaction is the calling contract (its own
//!   address; inside `delegate_call`, the address whose context runs), never the origin: a
//!   contract moves only its own balance, and spends from a multisig only if it is a signer
//!   and the threshold is met by its approval alone (no other signature was verified for
//!   it). The handler's checks and error codes are the native transaction's.
//! - **Gas.** The handler's intrinsic gas (`native.transfer_gas`, `native.system_gas`), or for
//!   the query `native.query_gas + native.query_per_byte × returned bytes`, is charged out of
//!   the call's gas limit and so to the caller, whether the handler succeeds or fails (as a
//!   native transaction's). A limit below it fails with `OutOfGas` and consumes the limit.
//! - **Access lists.** The keys the handler derives (`NativeHandler::access_list`, plus the
//!   calling contract's account) must be within the transaction's declared list when there is
//!   one; otherwise the transaction fails with `AccessListViolation`, as for any access.
//! - **Failures.** A handler's refusal (`InsufficientBalance`, `NotASigner`, ...) is the call's
//!   code and discards the call's state, like a callee's revert (it pays the intrinsic gas);
//!   malformed input (`InvalidArgument`), a value sent with the call (`InvalidArgument`), a
//!   state-changing entry in a static call (`StaticCallViolation`) and too many events
//!   (`TooManyEvents`) fail like a trapping callee and consume the call's gas limit. An unknown
//!   entry is `UnknownEntryPoint`; `delegate_call` to a system address, or an unassigned id,
//!   is `CallTargetMissing` (a system contract has no code to run in another context).
//!
//! A transaction cannot call a system address directly (`ContractCall` needs a contract
//! record): an account sends the native transaction itself.

use vmhost_abi::{keys, Address, ErrorCode, NativeTx};

use super::{CallKind, HostCtx, Invoke, InvokeResult};
use crate::error::Result;
use crate::native::NativeContext;

/// What a system-contract call asks for.
enum SystemCall {
    /// A native transaction sent by the calling contract.
    Tx(NativeTx),
    /// The validator record of an address.
    Validator(Address),
}

fn address_at(input: &[u8], at: usize) -> Option<Address> {
    input.get(at..at.checked_add(32)?)?.try_into().ok().map(Address)
}

fn amount_at(input: &[u8], at: usize) -> Option<u128> {
    input.get(at..at.checked_add(16)?)?.try_into().ok().map(u128::from_le_bytes)
}

/// Decodes a call of `entry` on system contract `id`: `Err(code)` for an unknown contract or
/// entry (before anything is charged) and `Ok(None)` for malformed input.
fn decode(id: u8, entry: &str, input: &[u8]) -> core::result::Result<Option<SystemCall>, ErrorCode> {
    let exact = |len: usize| input.len() == len;
    let call = match (id, entry) {
        (1, "transfer") => exact(48)
            .then(|| {
                Some(SystemCall::Tx(NativeTx::Transfer { to: address_at(input, 0)?, amount: amount_at(input, 32)? }))
            })
            .flatten(),
        (2, "spend") => exact(80)
            .then(|| {
                Some(SystemCall::Tx(NativeTx::MultisigSpend {
                    multisig: address_at(input, 0)?,
                    to: address_at(input, 32)?,
                    amount: amount_at(input, 64)?,
                    approvals: Vec::new(),
                }))
            })
            .flatten(),
        (3, "get") => exact(32).then(|| address_at(input, 0).map(SystemCall::Validator)).flatten(),
        (1..=3, _) => return Err(ErrorCode::UnknownEntryPoint),
        _ => return Err(ErrorCode::CallTargetMissing),
    };
    Ok(call)
}

impl HostCtx<'_, '_> {
    /// Runs a call of system contract `id` (the caller checked the depth).
    pub(super) fn invoke_system(&mut self, inv: Invoke<'_>, id: u8) -> Result<InvokeResult> {
        if self.tracer.is_some() {
            self.trace_backend = Some("native".into());
        }
        let failed = |code, gas_used| Ok(InvokeResult { code, gas_used, data: Vec::new() });
        if inv.kind == CallKind::Delegate {
            return failed(ErrorCode::CallTargetMissing, 0);
        }
        let call = match decode(id, inv.entry, &inv.input) {
            Ok(call) => call,
            Err(code) => return failed(code, 0),
        };
        let Some(call) = call else {
            return failed(ErrorCode::InvalidArgument, inv.gas_limit);
        };
        if inv.value != 0 {
            return failed(ErrorCode::InvalidArgument, inv.gas_limit);
        }
        let Ok(handler) = self.env.registry.native() else {
            return failed(ErrorCode::CallTargetMissing, 0);
        };
        let handler = handler.clone();
        let is_static = inv.kind == CallKind::Static || self.frames.last().is_some_and(|f| f.is_static);
        let native = &self.params.native;
        match call {
            SystemCall::Validator(validator) => {
                let key = keys::validator(&validator);
                if let Err(trap) = self.check_read(&key) {
                    return failed(trap.code, inv.gas_limit);
                }
                let data = match self.state.get(&key)? {
                    Some(record) => [&[1u8][..], &record].concat(),
                    None => vec![0],
                };
                let gas = native.query_gas.saturating_add(native.query_per_byte.saturating_mul(data.len() as u64));
                if gas > inv.gas_limit {
                    return failed(ErrorCode::OutOfGas, inv.gas_limit);
                }
                Ok(InvokeResult { code: ErrorCode::Ok, gas_used: gas, data })
            }
            SystemCall::Tx(tx) => {
                if is_static {
                    return failed(ErrorCode::StaticCallViolation, inv.gas_limit);
                }
                let sender = inv.caller;
                let intrinsic = handler.intrinsic_gas(&tx, native);
                if intrinsic > inv.gas_limit {
                    return failed(ErrorCode::OutOfGas, inv.gas_limit);
                }
                let derived = handler.access_list(&tx, &sender, native);
                let sender_key = keys::account(&sender);
                for key in derived.writes.iter().chain([&sender_key]) {
                    if let Err(trap) = self.check_write(key) {
                        return failed(trap.code, inv.gas_limit);
                    }
                }
                for key in &derived.reads {
                    if let Err(trap) = self.check_read(key) {
                        return failed(trap.code, inv.gas_limit);
                    }
                }
                // A handler emits at most one event; it must fit the transaction's limit.
                if self.state.event_count() >= self.params.limits.max_events_per_tx as usize {
                    return failed(ErrorCode::TooManyEvents, inv.gas_limit);
                }
                self.state.push();
                let outcome = {
                    let mut ctx =
                        NativeContext::with_sender_key(sender, sender_key, self.block, native, &mut self.state);
                    handler.execute(&tx, &mut ctx)
                };
                match outcome {
                    Ok(Ok(())) => {
                        self.state.commit_top()?;
                        Ok(InvokeResult { code: ErrorCode::Ok, gas_used: intrinsic, data: Vec::new() })
                    }
                    Ok(Err(code)) => {
                        self.state.discard_top()?;
                        failed(code, intrinsic)
                    }
                    Err(e) => {
                        self.state.discard_top()?;
                        Err(e)
                    }
                }
            }
        }
    }
}
