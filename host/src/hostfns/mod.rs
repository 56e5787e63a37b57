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
        }
    }

    /// Gives back the overlay stack (the executor commits or drops it), the infrastructure
    /// failure if any, and the transaction's own fault if any.
    pub(crate) fn into_state(self) -> (OverlayStack<'c>, Option<Error>, Option<ErrorCode>) {
        (self.state, self.fatal, self.tx_fault.get())
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
