//! The stable backend traits.
//!
//! A backend is split into **compile** (once per code) and **call** (instantiate + run, many
//! times), like near-vm-runner's `VM::prepare` → `PreparedContract::run`. For wasm the host
//! owns everything that must be identical across engines — the deploy gate, the limits
//! (stack-height, memory) pass, metering, write tracking ([`crate::wasm::prepare_module`]) —
//! and a backend receives the prepared module: it only compiles, instantiates and runs it.
//! Backends only marshal guest memory and arguments: every ABI function is implemented once,
//! in the host, behind [`Host`]. Nothing here is generic or borrows across calls, so a backend
//! can live behind an FFI boundary (`plugin` interface) unchanged.
//!
//! Calls nest: while a backend is inside [`Module::call`], the host may call back into any
//! backend's [`Module::call`] (cross-contract calls) with the same `&mut dyn Host`. Each call
//! carries its context explicitly ([`CallParams`]: depth, static or not, gas, stack units and
//! memory pages left), so a backend needs no thread-local state.

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

    /// The stack units the guest has left right now (the limits pass's counter), when the
    /// backend runs a module the host prepared; `None` otherwise. The host hands it to a nested
    /// call as its budget. Backends need to provide it for the call host functions
    /// ([`HostFn::is_call`]) only.
    fn stack_left(&self) -> Option<u32> {
        None
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
    /// The call ran past the node's wall-clock safety net. Machine-dependent, so never a
    /// receipt: the wave aborts.
    #[error("call exceeded the node's wall-clock safety net")]
    Timeout,
    /// An engine limit that a prepared module can never reach was reached (the engine's own
    /// stack or memory backstop): a host or engine bug, never the guest's outcome.
    #[error("engine backstop reached: {0}")]
    Backstop(String),
    /// Anything else (resource exhaustion, engine bug).
    #[error("backend failure: {0}")]
    Internal(String),
}

/// Everything a call carries: the entry point and the budgets the host grants it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallParams<'a> {
    /// Exported entry point (`() -> ()`).
    pub entry: &'a str,
    /// Gas the callee may use.
    pub gas_limit: u64,
    /// Stack units the callee may use (the transaction's budget minus what its callers hold):
    /// the backend writes it into the module's stack counter.
    pub stack_left: u32,
    /// Most 64 KiB pages the callee's memory may reach (the transaction's memory cap minus
    /// what its callers hold): the backend writes it into the module's memory limit.
    pub memory_pages: u32,
    /// Call depth (1 = the transaction's top-level call).
    pub depth: u32,
    /// View-only call (the host refuses state changes; backends need not care).
    pub is_static: bool,
}

impl CallParams<'_> {
    /// Whether this is the transaction's top-level call.
    pub fn is_top_level(&self) -> bool {
        self.depth <= 1
    }
}

/// The code a backend takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeFormat {
    /// WebAssembly, prepared by the host's pipeline as asked ([`crate::wasm::prepare_module`]):
    /// gated, stack-limited, metered by the host, so gas equals every other wasm backend's.
    Wasm(crate::wasm::WasmPipeline),
    /// The backend's own format (an EVM, say), which it validates, meters and limits itself.
    Custom,
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
    /// Runs exported `call.entry` (`() -> ()`) with the call's budgets on an instance in its
    /// just-instantiated state: a fresh one, or one a backend kept from an earlier call and
    /// restored exactly (nothing of an earlier call may be observable).
    /// Guest faults are reported in [`CallOutcome`]; `Err` is for infrastructure failures only.
    fn call(&self, call: &CallParams<'_>, host: &mut dyn Host) -> Result<CallOutcome, VmError>;
}

/// A contract VM backend.
pub trait Vm: Send + Sync {
    /// Short stable name ("wasmtime", "wasmer", ...), used in logs and cache keys.
    fn name(&self) -> &str;

    /// Identifies the artifact format of the engine: its version and configuration. The host
    /// combines it with its pipeline's tag; an artifact stored under another tag is never
    /// loaded.
    fn artifact_tag(&self) -> [u8; 32];

    /// The code this backend compiles (host-prepared wasm, or a format of its own).
    fn code_format(&self) -> CodeFormat {
        CodeFormat::Wasm(crate::wasm::WasmPipeline::default())
    }

    /// Checks the backend can run the chain's consensus parameters (its engine's memory and
    /// stack backstops must lie beyond every limit the host enforces). Called by
    /// [`crate::Chain::open`]; an error names what does not fit.
    fn check_params(&self, _params: &crate::ConsensusParams) -> Result<(), String> {
        Ok(())
    }

    /// Most native stack, in bytes, one call of this backend may use on the calling thread
    /// (its engine's stack backstop; 0 when it runs guests on stacks of its own). The host
    /// sizes its executor threads so that the maximum call depth of such calls fits.
    fn native_stack_per_call(&self) -> usize {
        0
    }

    /// Compiles code into an artifact (deploy time, and on recompile). For
    /// [`CodeFormat::Wasm`] `code` is the module the host prepared; a rejection then means the
    /// engine itself refused it.
    fn compile(&self, code: &[u8]) -> Result<Vec<u8>, PrepareError>;

    /// Loads an artifact produced by [`Vm::compile`] with the same tag.
    fn load(&self, artifact: &[u8]) -> Result<Arc<dyn Module>, VmError>;
}

/// Frames a backend's artifact bytes: `magic` (8 bytes naming the backend and its format
/// version), BLAKE3 of the payload, the payload. [`unframe_artifact`] checks both before a
/// backend hands the bytes to an engine's (often `unsafe`) deserializer, so a corrupt or
/// foreign artifact is a [`VmError::BadArtifact`] (the host recompiles), never undefined
/// behaviour.
pub fn frame_artifact(magic: &[u8; 8], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 40);
    out.extend_from_slice(magic);
    out.extend_from_slice(blake3::hash(payload).as_bytes());
    out.extend_from_slice(payload);
    out
}

/// The payload of an artifact [`frame_artifact`] made with `magic`, checksum verified.
pub fn unframe_artifact<'a>(magic: &[u8; 8], artifact: &'a [u8]) -> Result<&'a [u8], VmError> {
    if artifact.len() < 40 || &artifact[..8] != magic {
        return Err(VmError::BadArtifact(format!("not an artifact of this backend (magic {:?})", magic)));
    }
    let payload = &artifact[40..];
    if blake3::hash(payload).as_bytes() != &artifact[8..40] {
        return Err(VmError::BadArtifact("artifact checksum mismatch".into()));
    }
    Ok(payload)
}
