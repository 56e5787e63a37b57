//! Calls: the one call path used by top-level contract calls and by `cross_call`,
//! `cross_call_static` and `delegate_call` (one call convention for every backend, so a call
//! may cross from one VM to another). Each call runs in a nested overlay frame: merged into the
//! parent on success, dropped with its events on any failure.

use vmhost_abi::gas::{MAX_ENTRY_LEN, MAX_INPUT_LEN, VIEW_GAS_CAP};
use vmhost_abi::{keys, Address, ContractRecord, ErrorCode, GasCost, HostFn};

use super::{arg32, charge, ret_i32, Frame, HostCtx};
use crate::accounts;
use crate::error::{Error, Result};
use crate::vm::{GuestMemory, HostTrap};

/// The flavour of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// Ordinary call: the callee runs in its own storage context.
    Call,
    /// View-only: state writes, events and transfers trap.
    Static,
    /// The target's code in the caller's storage context, with the caller's identity.
    Delegate,
}

/// The outcome of a call at any depth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeResult {
    /// `Ok` or the failure code.
    pub code: ErrorCode,
    /// Gas used by the callee (never more than its limit).
    pub gas_used: u64,
    /// Return data on success, revert data on revert, empty otherwise.
    pub data: Vec<u8>,
}

impl InvokeResult {
    fn failed(code: ErrorCode, gas_used: u64) -> Self {
        Self { code, gas_used, data: Vec::new() }
    }
}

/// What to call.
#[derive(Debug, Clone)]
pub struct Invoke<'a> {
    pub caller: Address,
    pub target: Address,
    pub entry: &'a str,
    pub input: Vec<u8>,
    pub value: u128,
    pub gas_limit: u64,
    pub kind: CallKind,
    /// The target's record when the caller already read it (top-level calls).
    pub record: Option<ContractRecord>,
}

/// Reads a contract record from state.
pub(crate) fn read_contract(state: &crate::state::OverlayStack<'_>, addr: &Address) -> Result<Option<ContractRecord>> {
    match state.get(&keys::contract(addr))? {
        Some(bytes) => borsh::from_slice(&bytes).map(Some).map_err(|e| Error::Corrupt(format!("contract record: {e}"))),
        None => Ok(None),
    }
}

impl HostCtx<'_, '_> {
    /// Runs a call in a nested overlay. `Err` only for infrastructure failures.
    pub(crate) fn invoke(&mut self, inv: Invoke<'_>) -> Result<InvokeResult> {
        if self.frames.len() >= self.env.config.max_call_depth as usize {
            return Ok(InvokeResult::failed(ErrorCode::CallDepthExceeded, 0));
        }
        let record = match inv.record {
            Some(r) => Some(r),
            None => read_contract(&self.state, &inv.target)?,
        };
        let Some(record) = record else {
            return Ok(InvokeResult::failed(ErrorCode::CallTargetMissing, 0));
        };
        let vm = self.env.registry.vm(&record.vm)?.clone();
        let state_ref = &self.state;
        let module = self.env.modules.get(&inv.target, record.code_hash, &*vm, &**self.env.store(), || {
            Ok(state_ref.get(&keys::code(&record.code_hash))?.map(|c| c.to_vec()))
        })?;

        let parent = self.frames.last();
        let (storage, caller, parachain) = match inv.kind {
            CallKind::Delegate => match parent {
                Some(p) => (p.storage, p.caller, p.parachain),
                None => (inv.caller, inv.caller, false),
            },
            _ => (inv.target, inv.caller, record.parachain),
        };
        let is_static = inv.kind == CallKind::Static || parent.is_some_and(|p| p.is_static);

        self.state.push();
        if inv.value > 0 && inv.kind == CallKind::Call {
            match accounts::transfer(&mut self.state, &inv.caller, &inv.target, inv.value)? {
                Ok(()) => {}
                Err(code) => {
                    self.state.discard_top()?;
                    return Ok(InvokeResult::failed(code, 0));
                }
            }
        }
        self.frames.push(Frame { storage, caller, input: inv.input, is_static, parachain, ..Frame::default() });
        let span = tracing::debug_span!("call", target = %inv.target, entry = inv.entry, depth = self.frames.len());
        let outcome = span.in_scope(|| module.call(inv.entry, inv.gas_limit, self));
        let frame = self.frames.pop().unwrap_or_default();
        if let Some(e) = self.fatal.take() {
            return Err(e);
        }
        let outcome = outcome.map_err(|e| Error::Backend { backend: vm.name().to_string(), message: e.to_string() })?;
        let gas_used = inv.gas_limit.saturating_sub(outcome.gas_left);
        match outcome.result {
            Ok(()) => {
                self.state.commit_top()?;
                Ok(InvokeResult { code: ErrorCode::Ok, gas_used, data: frame.return_data })
            }
            Err(code) => {
                self.state.discard_top()?;
                // A revert pays what it used; a trap is an exceptional halt and consumes the
                // call's whole gas limit (as in the EVM). Where exactly an engine noticed a trap
                // is not part of consensus; this way no backend or metering mode can differ.
                let (gas_used, data) = if code == ErrorCode::Reverted {
                    (gas_used, frame.revert_data)
                } else {
                    (inv.gas_limit, Vec::new())
                };
                Ok(InvokeResult { code, gas_used, data })
            }
        }
    }

    pub(super) fn call_fn(
        &mut self,
        f: HostFn,
        args: &[u64],
        mem: &mut dyn GuestMemory,
        gas: &mut u64,
        cost: GasCost,
    ) -> Result<u64, HostTrap> {
        let target = Address(mem.read32(arg32(args, 0))?);
        let (entry_ptr, entry_len) = (arg32(args, 1), arg32(args, 2));
        let (input_ptr, input_len) = (arg32(args, 3), arg32(args, 4));
        if entry_len > MAX_ENTRY_LEN {
            return Err(HostTrap::new(ErrorCode::InvalidArgument));
        }
        if input_len > MAX_INPUT_LEN {
            return Err(HostTrap::new(ErrorCode::InputTooLarge));
        }
        charge(gas, cost.per_byte.saturating_mul(input_len as u64))?;
        let entry = std::str::from_utf8(mem.read(entry_ptr, entry_len)?)
            .map_err(|_| HostTrap::new(ErrorCode::InvalidArgument))?
            .to_owned();
        let input = mem.read(input_ptr, input_len)?.to_vec();
        let (kind, value, requested) = match f {
            HostFn::CrossCall => {
                let mut v = [0u8; 16];
                v.copy_from_slice(mem.read(arg32(args, 5), 16)?);
                (CallKind::Call, u128::from_le_bytes(v), args[6])
            }
            HostFn::CrossCallStatic => (CallKind::Static, 0, args[5].min(VIEW_GAS_CAP)),
            _ => (CallKind::Delegate, 0, args[5]),
        };
        let gas_limit = requested.min(*gas);
        let caller = self.frame()?.storage;
        if value > 0 {
            self.check_access(&keys::account(&caller))?;
            self.check_access(&keys::account(&target))?;
        }
        let result = self
            .invoke(Invoke { caller, target, entry: &entry, input, value, gas_limit, kind, record: None })
            .map_err(|e| self.fatal(e))?;
        charge(gas, result.gas_used)?;
        self.frame_mut()?.last_call = result.data;
        Ok(ret_i32(result.code.as_u32() as i32))
    }
}
