//! The host side of ABI v1, written once and shared by every backend.
//!
//! [`HostCtx`] implements [`Host`]: a backend hands it each host call with raw arguments and a
//! [`GuestMemory`]; the context checks who may call the function, charges the gas table's base
//! cost before any work (per-byte costs before the bytes are touched), runs the family
//! function (`storage`, `context`, `events`, `crypto`, `calls`) and returns the raw result.
//! Guest faults become a [`HostTrap`] with an ABI error code. Infrastructure failures (a store
//! read error) are parked in the context and abort the wave after the guest unwinds.

mod calls;
mod context;
mod crypto;
mod events;
mod storage;
mod system;

use vmhost_abi::{Access, AccessList, Address, BlockContext, ErrorCode, HostFn, StateKey};

pub(crate) use calls::read_contract;
pub use calls::{CallKind, Invoke, InvokeResult};
pub use crypto::{encryption_seed, SEED_CONTEXT};

use crate::error::Error;
use crate::executor::{Env, WaveCtx};
use crate::params::ConsensusParams;
use crate::state::OverlayStack;
use crate::vm::{GuestMemory, Host, HostTrap};

/// One call frame.
#[derive(Debug, Clone, Default)]
pub(crate) struct Frame {
    /// Storage context and `self_address` (the caller's, inside `delegate_call`).
    pub storage: Address,
    /// `keys::storage_seed(storage)`, computed on the frame's first storage access.
    pub storage_seed: Option<[u8; 32]>,
    /// The last slot this frame accessed and its state key: a read-modify-write of a slot
    /// (a balance update) derives the key once instead of twice.
    pub last_slot: Option<([u8; 32], StateKey)>,
    /// `caller()`.
    pub caller: Address,
    /// Call input.
    pub input: Vec<u8>,
    /// The value attached to the call (`call_value`).
    pub value: u128,
    /// Data set by `set_return`.
    pub return_data: Vec<u8>,
    /// Data passed to `revert`.
    pub revert_data: Vec<u8>,
    /// Return (or revert) data of the last cross call this frame made.
    pub last_call: Vec<u8>,
    /// View-only frame.
    pub is_static: bool,
    /// The storage owner is a parachain.
    pub parachain: bool,
    /// Stack units the frame started with (what its nested calls get when its backend does not
    /// report a counter of its own).
    pub stack_left: u32,
    /// Pages of linear memory the frame held when it made its current nested call.
    pub pages_held: u32,
}

/// Execution context of one transaction: the state overlay stack, call frames and the
/// wave-wide environment. Implements [`Host`] for every backend.
pub struct HostCtx<'e, 'c> {
    pub(crate) wave: &'e WaveCtx<'e>,
    pub(crate) env: &'e Env,
    pub(crate) params: &'e ConsensusParams,
    pub(crate) block: &'e BlockContext,
    pub(crate) state: OverlayStack<'c>,
    pub(crate) frames: Vec<Frame>,
    pub(crate) origin: Address,
    /// The transaction's hash (a seed input of `threshold_encrypt`).
    pub(crate) tx_hash: [u8; 32],
    /// `threshold_encrypt` calls made so far by the transaction, at any depth.
    pub(crate) encryptions: u32,
    access: Option<AccessList>,
    pub(crate) fatal: Option<Error>,
    /// A fault of the transaction itself (an access outside its declared list): every frame
    /// unwinds with it, whatever the contracts do with their callees' codes.
    pub(crate) tx_fault: std::cell::Cell<Option<ErrorCode>>,
    /// The first failure's reason in words, for the transaction's author (node-local).
    pub(crate) note: std::cell::RefCell<Option<String>>,
    /// The transaction's tracer, if it is traced ([`crate::trace`]).
    pub(crate) tracer: Option<&'c mut (dyn crate::trace::Tracer + 'static)>,
    /// The backend of the frame that just ended (only kept while tracing).
    pub(crate) trace_backend: Option<String>,
}

impl std::fmt::Debug for HostCtx<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostCtx").field("origin", &self.origin).field("depth", &self.frames.len()).finish()
    }
}

/// Charges `amount` from `gas_left`, or traps with `OutOfGas` leaving 0.
#[inline]
pub(crate) fn charge(gas_left: &mut u64, amount: u64) -> Result<(), HostTrap> {
    match gas_left.checked_sub(amount) {
        Some(left) => {
            *gas_left = left;
            Ok(())
        }
        None => {
            *gas_left = 0;
            Err(HostTrap::OUT_OF_GAS)
        }
    }
}

/// Argument `i` as a guest pointer or length.
#[inline]
pub(crate) fn arg32(args: &[u64], i: usize) -> u32 {
    args.get(i).copied().unwrap_or(0) as u32
}

/// An `i32` result in the raw return convention (low 32 bits).
#[inline]
pub(crate) fn ret_i32(v: i32) -> u64 {
    v as u32 as u64
}

impl<'e, 'c> HostCtx<'e, 'c> {
    /// A context for one transaction. `access` is the normalized access list.
    pub(crate) fn new(
        wave: &'e WaveCtx<'e>,
        state: OverlayStack<'c>,
        origin: Address,
        tx_hash: [u8; 32],
        access: Option<AccessList>,
    ) -> Self {
        Self {
            wave,
            env: wave.env,
            params: wave.params,
            block: wave.block,
            state,
            frames: Vec::new(),
            origin,
            tx_hash,
            encryptions: 0,
            access,
            fatal: None,
            tx_fault: std::cell::Cell::new(None),
            note: std::cell::RefCell::new(None),
            tracer: None,
            trace_backend: None,
        }
    }

    /// Attaches a tracer to the transaction.
    pub(crate) fn with_tracer(mut self, tracer: Option<&'c mut (dyn crate::trace::Tracer + 'static)>) -> Self {
        self.tracer = tracer;
        self
    }

    /// Gives back the overlay stack (the executor commits or drops it), the infrastructure
    /// failure if any, and the transaction's own fault if any.
    pub(crate) fn into_state(self) -> (OverlayStack<'c>, Option<Error>, Option<ErrorCode>, Option<String>) {
        (self.state, self.fatal, self.tx_fault.get(), self.note.into_inner())
    }

    /// Records why the transaction is failing, unless an earlier failure already said.
    pub(crate) fn note(&self, why: impl FnOnce() -> String) {
        let mut note = self.note.borrow_mut();
        if note.is_none() {
            *note = Some(why());
        }
    }

    pub(crate) fn frame(&self) -> Result<&Frame, HostTrap> {
        self.frames.last().ok_or(HostTrap::new(ErrorCode::OtherTrap))
    }

    pub(crate) fn frame_mut(&mut self) -> Result<&mut Frame, HostTrap> {
        self.frames.last_mut().ok_or(HostTrap::new(ErrorCode::OtherTrap))
    }

    /// The state key of `slot` in the current frame's storage context.
    pub(crate) fn storage_key(&mut self, slot: &[u8; 32]) -> Result<StateKey, HostTrap> {
        let frame = self.frame_mut()?;
        if let Some((last, key)) = &frame.last_slot {
            if last == slot {
                return Ok(*key);
            }
        }
        let seed = *frame.storage_seed.get_or_insert_with(|| vmhost_abi::keys::storage_seed(&frame.storage));
        let key = vmhost_abi::keys::storage_with_seed(&seed, slot);
        frame.last_slot = Some((*slot, key));
        Ok(key)
    }

    /// Records an infrastructure failure; the guest unwinds with a trap and the wave aborts.
    pub(crate) fn fatal(&mut self, e: Error) -> HostTrap {
        tracing::error!(error = %e, "infrastructure failure inside a host call");
        if self.fatal.is_none() {
            self.fatal = Some(e);
        }
        HostTrap::new(ErrorCode::OtherTrap)
    }

    /// Whether the transaction declared an access list (so accesses must be checked).
    #[inline]
    pub(crate) fn restricted(&self) -> bool {
        self.access.is_some()
    }

    /// Traps with `AccessListViolation` if the transaction did not declare `key` (for reading
    /// or writing).
    pub(crate) fn check_read(&self, key: &StateKey) -> Result<(), HostTrap> {
        match &self.access {
            Some(list) if !list.may_read(key) => {
                tracing::debug!(?key, "read outside the declared access list");
                self.note(|| {
                    format!("read of state key {} outside the declared access list", hex::encode(&key.0[..8]))
                });
                self.tx_fault.set(Some(ErrorCode::AccessListViolation));
                Err(HostTrap::new(ErrorCode::AccessListViolation))
            }
            _ => Ok(()),
        }
    }

    /// Traps with `AccessListViolation` if the transaction did not declare `key` for writing.
    pub(crate) fn check_write(&self, key: &StateKey) -> Result<(), HostTrap> {
        match &self.access {
            Some(list) if !list.may_write(key) => {
                tracing::debug!(?key, "write outside the declared write set");
                self.note(|| format!("write of state key {} not declared for writing", hex::encode(&key.0[..8])));
                self.tx_fault.set(Some(ErrorCode::AccessListViolation));
                Err(HostTrap::new(ErrorCode::AccessListViolation))
            }
            _ => Ok(()),
        }
    }
}

impl Host for HostCtx<'_, '_> {
    fn host_call(
        &mut self,
        f: HostFn,
        args: &[u64],
        mem: &mut dyn GuestMemory,
        gas: &mut u64,
    ) -> Result<u64, HostTrap> {
        if self.tracer.is_none() {
            return self.run_host_call(f, args, mem, gas);
        }
        let gas_before = *gas;
        let result = self.run_host_call(f, args, mem, gas);
        let effect = trace_effect(f, args, mem, &result);
        let depth = self.frames.len() as u32;
        if let Some(t) = self.tracer.as_deref_mut() {
            t.host_call(&crate::trace::HostCallEvent {
                depth,
                name: f.spec().name,
                args,
                result: result.as_ref().map(|r| *r).map_err(|trap| trap.code),
                gas_before,
                gas_after: *gas,
                effect,
            });
        }
        result
    }
}

/// What a host call read or wrote, from its arguments and guest memory (for the tracer: reads
/// only, no gas; `None` when a pointer is out of bounds).
fn trace_effect(
    f: HostFn,
    args: &[u64],
    mem: &mut dyn GuestMemory,
    result: &Result<u64, HostTrap>,
) -> Option<crate::trace::Effect> {
    use crate::trace::Effect;
    let ok = result.is_ok();
    let bytes = |ptr: u32, len: u32| mem.read(ptr, len).ok().map(<[u8]>::to_vec);
    match f {
        HostFn::Sload if ok => {
            let slot = mem.read32(arg32(args, 0)).ok()?.to_vec();
            let len = *result.as_ref().ok()? as u32 as i32;
            let value = if len < 0 { None } else { Some(bytes(arg32(args, 1), (len as u32).min(arg32(args, 2)))?) };
            Some(Effect::StorageRead { slot, value })
        }
        HostFn::Sstore => Some(Effect::StorageWrite {
            slot: mem.read32(arg32(args, 0)).ok()?.to_vec(),
            value: bytes(arg32(args, 1), arg32(args, 2))?,
        }),
        HostFn::Sdelete => Some(Effect::StorageDelete { slot: mem.read32(arg32(args, 0)).ok()?.to_vec() }),
        HostFn::EmitEvent => Some(Effect::Event {
            topic: mem.read32(arg32(args, 0)).ok()?.to_vec(),
            data: bytes(arg32(args, 1), arg32(args, 2))?,
        }),
        HostFn::SetReturn => Some(Effect::Return { data: bytes(arg32(args, 0), arg32(args, 1))? }),
        HostFn::Revert => Some(Effect::Revert { data: bytes(arg32(args, 0), arg32(args, 1))? }),
        HostFn::Transfer => {
            let to = Address(mem.read32(arg32(args, 0)).ok()?);
            let amount = u128::from_le_bytes(bytes(arg32(args, 1), 16)?.try_into().ok()?);
            Some(Effect::Transfer { to: to.to_string(), amount })
        }
        _ => None,
    }
}

impl HostCtx<'_, '_> {
    fn run_host_call(
        &mut self,
        f: HostFn,
        args: &[u64],
        mem: &mut dyn GuestMemory,
        gas: &mut u64,
    ) -> Result<u64, HostTrap> {
        let spec = f.spec();
        if args.len() != spec.params.len() {
            return Err(HostTrap::new(ErrorCode::InvalidArgument));
        }
        let frame = self.frame()?;
        match spec.access {
            Access::Any => {}
            Access::NotInStatic if frame.is_static => {
                return Err(HostTrap::new(ErrorCode::StaticCallViolation));
            }
            Access::NotInStatic => {}
            Access::ParachainOnly => {
                if !frame.parachain {
                    return Err(HostTrap::new(ErrorCode::ParachainOnly));
                }
                if frame.is_static {
                    return Err(HostTrap::new(ErrorCode::StaticCallViolation));
                }
            }
        }
        let cost = self.params.gas.get(f);
        charge(gas, cost.base)?;
        let result = match f {
            HostFn::InputLen
            | HostFn::InputRead
            | HostFn::SetReturn
            | HostFn::Revert
            | HostFn::ReturnDataLen
            | HostFn::ReturnDataRead
            | HostFn::Caller
            | HostFn::Origin
            | HostFn::SelfAddress
            | HostFn::BlockHeight
            | HostFn::WaveId
            | HostFn::BlockTimestamp
            | HostFn::ChainId
            | HostFn::BeaconGet
            | HostFn::ConsumeGas
            | HostFn::GasLeft
            | HostFn::CallValue => self.context_fn(f, args, mem, gas, cost),
            HostFn::Sload | HostFn::Sstore | HostFn::Sdelete | HostFn::Balance | HostFn::Transfer => {
                self.storage_fn(f, args, mem, gas, cost)
            }
            HostFn::EmitEvent => self.emit_event(args, mem, gas, cost),
            HostFn::HashKeccak256
            | HostFn::HashBlake3
            | HostFn::HashPoseidon2
            | HostFn::FalconVerify
            | HostFn::ThresholdEncrypt
            | HostFn::ThresholdDecrypt => self.crypto_fn(f, args, mem, gas, cost),
            HostFn::CrossCall | HostFn::CrossCallStatic | HostFn::DelegateCall => self.call_fn(f, args, mem, gas, cost),
        };
        if let Err(trap) = &result {
            tracing::debug!(host_fn = spec.name, code = %trap.code, "host function trapped");
        }
        result
    }
}
