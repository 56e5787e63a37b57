//! Calls: the one call path used by top-level contract calls and by `cross_call`,
//! `cross_call_static` and `delegate_call` (one call convention for every backend, so a call
//! may cross from one VM to another). Each call runs in a nested overlay frame: merged into the
//! parent on success, dropped with its events on any failure.

use vmhost_abi::{keys, Address, ContractRecord, ErrorCode, GasCost, HostFn};

use super::{arg32, charge, ret_i32, Frame, HostCtx};
use crate::accounts;
use crate::error::{Error, Result};
use crate::vm::{CallParams, GuestMemory, HostTrap, VmError};

/// Bytes in a wasm page.
const PAGE: usize = 64 * 1024;

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
    /// Stack units the callee may use (`None`: the whole transaction's, for a top-level call).
    pub stack_left: Option<u32>,
}

/// Reads a contract record from state.
pub(crate) fn read_contract(state: &crate::state::OverlayStack<'_>, addr: &Address) -> Result<Option<ContractRecord>> {
    match state.get(&keys::contract(addr))? {
        Some(bytes) => borsh::from_slice(&bytes).map(Some).map_err(|e| Error::Corrupt(format!("contract record: {e}"))),
        None => Ok(None),
    }
}

impl HostCtx<'_, '_> {
    /// Runs a call in a nested overlay. `Err` only for infrastructure failures. A tracer, if
    /// any, is told of the frame's start and end.
    pub(crate) fn invoke(&mut self, inv: Invoke<'_>) -> Result<InvokeResult> {
        if self.tracer.is_none() {
            return self.run_invoke(inv);
        }
        let depth = self.frames.len() as u32 + 1;
        if let Some(t) = self.tracer.as_deref_mut() {
            t.enter(&crate::trace::FrameStart {
                depth,
                caller: inv.caller,
                contract: inv.target,
                entry: inv.entry,
                kind: inv.kind,
                value: inv.value,
                gas_limit: inv.gas_limit,
                input: &inv.input,
            });
        }
        self.trace_backend = None;
        let result = self.run_invoke(inv)?;
        let backend = self.trace_backend.take();
        if let Some(t) = self.tracer.as_deref_mut() {
            t.exit(&crate::trace::FrameEnd {
                depth,
                backend: backend.as_deref(),
                code: result.code,
                gas_used: result.gas_used,
                output: &result.data,
            });
        }
        Ok(result)
    }

    fn run_invoke(&mut self, inv: Invoke<'_>) -> Result<InvokeResult> {
        let depth = self.frames.len() + 1;
        if depth > self.params.max_call_depth as usize {
            return Ok(InvokeResult::failed(ErrorCode::CallDepthExceeded, 0));
        }
        if depth > 1 {
            // The executor thread is sized for the deepest chain; this is the safety net.
            let needed = self.wave.nested_call_stack();
            if let Some(remaining) = stacker::remaining_stack() {
                if remaining < needed {
                    return Err(Error::NativeStack { depth: depth as u32, remaining, needed });
                }
            }
        }
        // Native handlers at the reserved system addresses (`system.rs`).
        if let Some(id) = inv.target.system_contract_id() {
            return self.invoke_system(inv, id);
        }
        // Reading the target's record and code is an access like any other, whether or not
        // its module is resident: gas and access checks never depend on the cache. (The keys
        // are derived only when there is a list to check them against.)
        if self.restricted() {
            if let Err(trap) = self.check_read(&keys::contract(&inv.target)) {
                return Ok(InvokeResult::failed(trap.code, inv.gas_limit));
            }
        }
        let record = match inv.record {
            Some(r) => Some(r),
            None => read_contract(&self.state, &inv.target)?,
        };
        let Some(record) = record else {
            return Ok(InvokeResult::failed(ErrorCode::CallTargetMissing, 0));
        };
        // A contract that refuses re-entry fails the call while it is on the stack (its own
        // storage context in a frame below; delegate calls run in the caller's context).
        if record.non_reentrant && inv.kind != CallKind::Delegate && self.frames.iter().any(|f| f.storage == inv.target)
        {
            return Ok(InvokeResult::failed(ErrorCode::Reentrancy, 0));
        }
        // The code that runs in this wave: a pending upgrade's once its grace period is over.
        let code_hash = record.code_at(self.block.wave_id);
        if self.restricted() {
            if let Err(trap) = self.check_read(&keys::code(&code_hash)) {
                return Ok(InvokeResult::failed(trap.code, inv.gas_limit));
            }
        }
        let vm = self.env.registry.vm(&record.vm)?.clone();
        let tag = self.wave.tag(&record.vm, &*vm);
        let state_ref = &self.state;
        let loaded =
            self.env.modules.get(&inv.target, code_hash, &*vm, tag, self.params, &**self.env.store(), || {
                Ok(state_ref.get(&keys::code(&code_hash))?.map(|c| c.to_vec()))
            })?;
        // An entry point the module does not export fails before anything runs.
        let Some(entry_cost) = loaded.meta.entry_cost(inv.entry) else {
            self.note(|| {
                let exports = match &loaded.meta.entries {
                    Some(e) => e.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", "),
                    None => "?".into(),
                };
                format!("contract {} has no entry point `{}` (its entry points: {exports})", inv.target, inv.entry)
            });
            return Ok(InvokeResult::failed(ErrorCode::UnknownEntryPoint, 0));
        };
        // Memory: the callee's initial pages must fit beside what the frames below hold, and
        // are paid (like `memory.grow` pages) out of the callee's gas before it runs.
        let held: u64 = self.frames.iter().map(|f| u64::from(f.pages_held)).sum();
        let memory_pages = u64::from(self.params.memory.max_tx_pages).saturating_sub(held);
        let initial = u64::from(loaded.meta.initial_pages);
        if initial > memory_pages {
            return Ok(InvokeResult::failed(ErrorCode::MemoryLimit, inv.gas_limit));
        }
        let memory_gas = initial.saturating_mul(self.params.ops.memory_page);
        let Some(run_gas) = inv.gas_limit.checked_sub(memory_gas) else {
            return Ok(InvokeResult::failed(ErrorCode::OutOfGas, inv.gas_limit));
        };
        // The entry point's frame is charged here, as the limits pass charges every other frame
        // at its call site.
        let Some(stack_left) = inv.stack_left.unwrap_or(self.params.stack_limit).checked_sub(entry_cost) else {
            return Ok(InvokeResult::failed(ErrorCode::StackOverflow, inv.gas_limit));
        };

        let parent = self.frames.last();
        let (storage, caller, parachain, value) = match inv.kind {
            CallKind::Delegate => match parent {
                Some(p) => (p.storage, p.caller, p.parachain, p.value),
                None => (inv.caller, inv.caller, false, 0),
            },
            CallKind::Static => (inv.target, inv.caller, record.parachain, 0),
            CallKind::Call => (inv.target, inv.caller, record.parachain, inv.value),
        };
        let is_static = inv.kind == CallKind::Static || parent.is_some_and(|p| p.is_static);

        if inv.value > 0 && inv.kind == CallKind::Call && self.restricted() {
            for key in [keys::account(&inv.caller), keys::account(&inv.target)] {
                if let Err(trap) = self.check_write(&key) {
                    return Ok(InvokeResult::failed(trap.code, inv.gas_limit));
                }
            }
        }
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
        self.frames.push(Frame {
            storage,
            caller,
            input: inv.input,
            value,
            is_static,
            parachain,
            stack_left,
            ..Frame::default()
        });
        let call = CallParams {
            entry: inv.entry,
            gas_limit: run_gas,
            stack_left,
            memory_pages: u32::try_from(memory_pages).unwrap_or(u32::MAX),
            depth: depth as u32,
            is_static,
        };
        let span = tracing::debug_span!("call", target = %inv.target, entry = inv.entry, depth);
        let outcome = span.in_scope(|| loaded.module.call(&call, self));
        if self.tracer.is_some() {
            // After the nested frames, which set their own.
            self.trace_backend = Some(vm.name().to_string());
        }
        let frame = self.frames.pop().unwrap_or_default();
        if let Some(e) = self.fatal.take() {
            return Err(e);
        }
        let outcome = match outcome {
            Ok(o) => o,
            Err(VmError::Timeout) => return Err(Error::Timeout { backend: vm.name().to_string() }),
            Err(e) => return Err(Error::Backend { backend: vm.name().to_string(), message: e.to_string() }),
        };
        let gas_used = memory_gas.saturating_add(run_gas.saturating_sub(outcome.gas_left)).min(inv.gas_limit);
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
        if entry_len > self.params.limits.max_entry_len {
            return Err(HostTrap::new(ErrorCode::InvalidArgument));
        }
        if input_len > self.params.limits.max_input_len {
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
            HostFn::CrossCallStatic => (CallKind::Static, 0, args[5].min(self.params.view_gas_cap)),
            _ => (CallKind::Delegate, 0, args[5]),
        };
        let gas_limit = requested.min(*gas);
        let caller = self.frame()?.storage;
        // The callee's budgets: the stack units this frame has left, and the memory beside
        // this frame's current pages (and those of the frames below it).
        let pages = u32::try_from(mem.data().len() / PAGE).unwrap_or(u32::MAX);
        let frame = self.frame_mut()?;
        frame.pages_held = pages;
        let stack_left = Some(mem.stack_left().unwrap_or(frame.stack_left));
        let result = self
            .invoke(Invoke { caller, target, entry: &entry, input, value, gas_limit, kind, record: None, stack_left })
            .map_err(|e| self.fatal(e))?;
        // A fault of the whole transaction (an access outside its list) is not the caller's
        // to catch: every frame unwinds with it.
        if let Some(code) = self.tx_fault.get() {
            return Err(HostTrap::new(code));
        }
        charge(gas, result.gas_used)?;
        self.frame_mut()?.last_call = result.data;
        Ok(ret_i32(result.code.as_u32() as i32))
    }
}
