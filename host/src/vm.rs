//! The stable backend traits.
//!
//! A backend is split into **prepare** (validate + compile, once per code) and **call**
//! (instantiate + run, many times), like near-vm-runner's `VM::prepare` →
//! `PreparedContract::run`. Backends only marshal guest memory and arguments: every ABI function
//! is implemented once, in the host, behind [`Host`]. Nothing here is generic or borrows across
//! calls, so a backend can live behind an FFI boundary (`plugin` interface) unchanged.
//!
//! Calls nest: while a backend is inside [`Module::call`], the host may call back into any
//! backend's [`Module::call`] (cross-contract calls) with the same `&mut dyn Host`.

use std::sync::Arc;

use vmhost_abi::{ErrorCode, HostFn};

/// Checked-bounds access to a guest's linear memory. Backends implement it over their engine's
/// memory; the host reads and writes guest memory only through [`GuestMemory::read`] and
/// [`GuestMemory::write`] (one checked path for every pointer/length pair).
pub trait GuestMemory {
    /// The whole linear memory.
    fn data(&self) -> &[u8];
    /// The whole linear memory, mutably.
    fn data_mut(&mut self) -> &mut [u8];

    /// Borrows `len` bytes at `ptr`, or `GuestMemoryOutOfBounds`.
    fn read(&self, ptr: u32, len: u32) -> Result<&[u8], HostTrap> {
        let start = ptr as usize;
        let end = start.checked_add(len as usize).ok_or(HostTrap::OOB)?;
        self.data().get(start..end).ok_or(HostTrap::OOB)
    }

    /// Copies 32 bytes at `ptr`.
    fn read32(&self, ptr: u32) -> Result<[u8; 32], HostTrap> {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.read(ptr, 32)?);
        Ok(out)
    }

    /// Writes `bytes` at `ptr`, or `GuestMemoryOutOfBounds` (nothing written).
    fn write(&mut self, ptr: u32, bytes: &[u8]) -> Result<(), HostTrap> {
        let start = ptr as usize;
        let end = start.checked_add(bytes.len()).ok_or(HostTrap::OOB)?;
        let dst = self.data_mut().get_mut(start..end).ok_or(HostTrap::OOB)?;
        dst.copy_from_slice(bytes);
        Ok(())
    }
}

/// A [`GuestMemory`] over a borrowed byte slice (what a backend hands the host per call).
#[derive(Debug)]
pub struct SliceMemory<'a>(pub &'a mut [u8]);

impl GuestMemory for SliceMemory<'_> {
    fn data(&self) -> &[u8] {
        self.0
    }
    fn data_mut(&mut self) -> &mut [u8] {
        self.0
    }
}

impl GuestMemory for Vec<u8> {
    fn data(&self) -> &[u8] {
        self
    }
    fn data_mut(&mut self) -> &mut [u8] {
        self
    }
}

/// A host function refused to continue: the guest traps with `code`.
/// (Revert data, if any, is kept by the host.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostTrap {
    /// Code to put on the receipt.
    pub code: ErrorCode,
}

impl HostTrap {
    /// Guest pointer/length out of bounds.
    pub const OOB: HostTrap = HostTrap { code: ErrorCode::GuestMemoryOutOfBounds };
    /// Out of gas.
    pub const OUT_OF_GAS: HostTrap = HostTrap { code: ErrorCode::OutOfGas };

    /// A trap with `code`.
    pub const fn new(code: ErrorCode) -> HostTrap {
        HostTrap { code }
    }
}

impl std::fmt::Display for HostTrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "host trap: {}", self.code)
    }
}

impl std::error::Error for HostTrap {}

/// The host side of ABI v1, as a backend sees it.
pub trait Host {
    /// Runs host function `f` with raw wasm arguments (`i32` zero-extended, `i64` as is) and
    /// returns its raw result (0 when it has none). `gas_left` is the guest's remaining gas: the
    /// host charges it before doing any work and the backend writes it back into the guest.
    fn host_call(
        &mut self,
        f: HostFn,
        args: &[u64],
        memory: &mut dyn GuestMemory,
        gas_left: &mut u64,
    ) -> Result<u64, HostTrap>;
}

/// How a call ended, from the guest's point of view. Always carries the gas left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallOutcome {
    /// `Ok` when the entry point returned normally; otherwise the trap's code (a host trap's
    /// code is passed through unchanged, including `Reverted`).
    pub result: Result<(), ErrorCode>,
    /// Gas left when the call ended (0 after out of gas).
    pub gas_left: u64,
}

/// An infrastructure failure inside a backend: the node, not the guest, is at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VmError {
    /// The artifact does not load (corrupt, foreign engine, truncated). The host recompiles.
    #[error("artifact does not load: {0}")]
    BadArtifact(String),
    /// Anything else (resource exhaustion, engine bug).
    #[error("backend failure: {0}")]
    Internal(String),
}

/// Why `prepare` refused code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrepareError {
    /// The code is rejected (a consensus outcome: the deploy fails with `code`).
    #[error("code rejected ({code}): {message}")]
    Rejected {
        /// Deploy-range error code.
        code: ErrorCode,
        /// Human-readable reason naming the rule or limit.
        message: String,
    },
    /// The backend failed for reasons that are not the code's fault.
    #[error("backend failure while preparing: {0}")]
    Internal(String),
}

/// A loaded, callable module. Cheap to share.
pub trait Module: Send + Sync {
    /// Runs exported `entry` (`() -> ()`) with `gas_limit` on an instance in its
    /// just-instantiated state: a fresh one, or one a backend kept from an earlier call and
    /// restored exactly (nothing of an earlier call may be observable).
    /// Guest faults are reported in [`CallOutcome`]; `Err` is for infrastructure failures only.
    fn call(&self, entry: &str, gas_limit: u64, host: &mut dyn Host) -> Result<CallOutcome, VmError>;
}

/// A contract VM backend.
pub trait Vm: Send + Sync {
    /// Short stable name ("wasmtime", "wasmer", ...), used in logs and cache keys.
    fn name(&self) -> &str;

    /// Identifies the artifact format: engine version and configuration, ABI version and
    /// metering version. An artifact stored under another tag is never loaded.
    fn artifact_tag(&self) -> [u8; 32];

    /// Validates `code` and compiles it into an artifact (deploy time, and on recompile).
    fn prepare(&self, code: &[u8]) -> Result<Vec<u8>, PrepareError>;

    /// Loads an artifact produced by [`Vm::prepare`] with the same tag.
    fn load(&self, artifact: &[u8]) -> Result<Arc<dyn Module>, VmError>;
}
