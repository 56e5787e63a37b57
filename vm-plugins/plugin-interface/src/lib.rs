//! # vmhost-plugin-interface — the FFI-safe boundary between vmhost and a third-party VM
//!
//! A VM plugin is a shared library (`cdylib`) that depends on this crate only. It exports one
//! root module ([`PluginMod`], an `abi_stable` prefix struct that can grow compatibly) with
//! two functions: [`PluginMod::info`], the plugin's side of the handshake, and
//! [`PluginMod::new_vm`], which builds its VM for the host's configuration. Everything that
//! crosses the boundary is an `abi_stable` type (`RSlice`, `RVec`, `RString`, `RResult`,
//! `ROption`) or a `#[repr(C)]`/`#[repr(u8)]` type of this crate: nothing the host's or the
//! plugin's Rust version or allocator could break.
//!
//! ```ignore
//! use vmhost_plugin_interface::{export_plugin, Plugin, PluginInfo, HostConfig, ...};
//! struct MyVm { /* ... */ }
//! impl Plugin for MyVm { /* info, new, compile, load */ }
//! export_plugin!(MyVm);
//! ```
//!
//! Concepts:
//! - **Two code formats.** A plugin that takes [`CodeFormat::PreparedWasm`] receives the
//!   module the host's pipeline prepared (gated, stack-limited, gas-metered by the host), so its
//!   gas equals every other wasm backend's by construction; it only compiles and runs it, reads
//!   and writes the counters the host names in [`HostConfig`], and reports how a call ended as
//!   an engine-neutral [`Trap`] with the counters, which the host turns into the receipt's code.
//!   A plugin with [`CodeFormat::Custom`] (an EVM, say) validates and meters its own code and
//!   reports the final code itself ([`Trap::Code`]).
//! - **One host call.** Every ABI v1 host function reaches the host through
//!   [`HostFfi::host_call`]: the function's id, its raw arguments, the guest's linear memory
//!   and its gas (and stack units, for the call functions). Nested calls re-enter the host,
//!   which may call back into any backend, this plugin included (so [`ModuleFfi::call`] takes
//!   `&self`).
//! - **The handshake** ([`PluginInfo`]): the interface version, the ABI version, the metering
//!   and stack-height versions the plugin was built for (the constants of the `vmhost-abi` it
//!   compiled against), its contract type, code format and capabilities. The host refuses any
//!   mismatch with an error naming both sides; `abi_stable` refuses an incompatible crate
//!   version or type layout before that.
//! - **Faults stay inside the plugin.** A plugin implements the plain Rust traits [`Plugin`]
//!   and [`PluginModule`]; the shims this crate wraps them in catch every panic on the
//!   plugin's side of the boundary and return it as [`PluginError`] of kind
//!   [`ErrorKind::Panic`] (an infrastructure failure: the host aborts that wave and goes on).
//!   An engine that calls host functions from code that cannot unwind (wasmi calls them from
//!   `extern` handlers) must also run its import glue under [`catch`]. What no in-process
//!   plugin can be protected from — a segfault, an abort, memory corruption — is in
//!   `docs/plugins.md`.
#![allow(non_local_definitions)] // the named consts `#[sabi_trait]` generates (abi_stable 0.11)

pub use abi_stable;
pub use vmhost_abi;

use abi_stable::library::RootModule;
use abi_stable::sabi_types::VersionStrings;
use abi_stable::std_types::{RBox, ROption, RResult, RSlice, RSliceMut, RStr, RString, RVec};
use abi_stable::{declare_root_module_statics, package_version_strings, sabi_trait, RMut, StableAbi};

/// Version of this interface's protocol: the meaning of the handshake and of the calls.
/// (`abi_stable` checks the types' layouts and this crate's semver on its own.)
pub const INTERFACE_VERSION: u32 = 1;

/// The code a plugin takes.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeFormat {
    /// WebAssembly as the host's pipeline prepared it (injected metering, no write tracking).
    PreparedWasm = 0,
    /// The plugin's own format, which it validates, meters and limits itself.
    Custom = 1,
}

/// Capability bit: contracts of this plugin may make nested calls (re-entering the host).
pub const CAP_NESTED_CALLS: u64 = 1;
/// Capability bit: the plugin runs several calls at once from different threads.
pub const CAP_CONCURRENT_CALLS: u64 = 1 << 1;

/// The plugin's side of the handshake.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    /// [`INTERFACE_VERSION`] as the plugin was built.
    pub interface_version: u32,
    /// `vmhost_abi::ABI_VERSION` as the plugin was built.
    pub abi_version: u32,
    /// `vmhost_abi::gas::METERING_VERSION` the plugin expects of prepared modules (0 for a
    /// custom format).
    pub metering_version: u32,
    /// `vmhost_abi::gas::stack::VERSION` the plugin expects of prepared modules (0 for a custom
    /// format).
    pub stack_version: u32,
    /// The contract type it serves, `plugin:<id>`.
    pub contract_type: RString,
    /// A short name for logs and reports (`"wasmi 2.0"`).
    pub name: RString,
    /// The code it takes.
    pub code_format: CodeFormat,
    /// `CAP_*` bits.
    pub capabilities: u64,
}

impl PluginInfo {
    /// The info of a plugin built against this crate that takes `code_format`: the versions
    /// are this build's.
    pub fn current(contract_type: &str, name: &str, code_format: CodeFormat, capabilities: u64) -> PluginInfo {
        let prepared = code_format == CodeFormat::PreparedWasm;
        PluginInfo {
            interface_version: INTERFACE_VERSION,
            abi_version: vmhost_abi::ABI_VERSION,
            metering_version: if prepared { vmhost_abi::gas::METERING_VERSION } else { 0 },
            stack_version: if prepared { vmhost_abi::gas::stack::VERSION } else { 0 },
            contract_type: contract_type.into(),
            name: name.into(),
            code_format,
            capabilities,
        }
    }
}

/// What the host gives [`PluginMod::new_vm`].
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct HostConfig {
    /// The largest stack budget of the chain's consensus parameters (units; a plugin's own
    /// stack limits must lie beyond what it can buy).
    pub stack_limit: u32,
    /// The largest transaction memory cap, bytes (the plugin's memory backstop must not be
    /// below it).
    pub memory_bytes: u64,
    /// The largest table the gate admits, elements.
    pub table_elements: u64,
    /// The prepared module's export holding the gas left (`i64`).
    pub gas_export: RString,
    /// Its export holding the stack units left (`i32`).
    pub stack_export: RString,
    /// Its export holding the pages the memory may reach (`i32`).
    pub memory_export: RString,
    /// Plugin-specific options from the chain configuration (free text).
    pub options: RString,
}

/// How an infrastructure failure is classified.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The code is refused (a deploy outcome, with `code`).
    Rejected = 0,
    /// An artifact does not load (the host recompiles from source).
    BadArtifact = 1,
    /// An engine limit a prepared module never reaches was reached.
    Backstop = 2,
    /// The plugin panicked (caught at the boundary).
    Panic = 3,
    /// Anything else that is the node's problem, not the guest's.
    Internal = 4,
}

/// A failure crossing the boundary: an infrastructure error, or a rejection of code.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct PluginError {
    /// What kind.
    pub kind: ErrorKind,
    /// The ABI error code of a rejection (`ErrorCode as u32`); 0 otherwise.
    pub code: u32,
    /// What happened.
    pub message: RString,
}

impl PluginError {
    /// An error of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        PluginError { kind, code: 0, message: message.into().into() }
    }

    /// Code refused with ABI error code `code`.
    pub fn rejected(code: vmhost_abi::ErrorCode, message: impl Into<String>) -> Self {
        PluginError { kind: ErrorKind::Rejected, code: code.as_u32(), message: message.into().into() }
    }

    /// An internal failure.
    pub fn internal(message: impl Into<String>) -> Self {
        PluginError::new(ErrorKind::Internal, message)
    }
}

impl std::fmt::Display for PluginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

impl std::error::Error for PluginError {}

/// How a guest stopped abnormally, named the same for every engine (the host's
/// `vmhost::wasm::Trap`), or a final code.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trap {
    /// The entry point returned normally.
    None = 0,
    /// A host function refused the call (the code in [`CallOutcome::code`]), or, for a custom
    /// format, the call's final code.
    Code = 1,
    /// `unreachable` (a genuine one or the prepared module's own checks: the counters tell).
    Unreachable = 2,
    /// Out of the engine's own fuel.
    OutOfFuel = 3,
    /// A load or store outside linear memory.
    MemoryOutOfBounds = 4,
    /// Integer overflow or a bad float-to-int conversion.
    IntegerOverflow = 5,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero = 6,
    /// `call_indirect` to a null, out-of-range or wrongly typed entry.
    IndirectCallFault = 7,
    /// Any other guest fault.
    Other = 8,
}

/// How a call ended, with the prepared module's counters as it left them.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallOutcome {
    /// How it stopped.
    pub trap: Trap,
    /// The code of [`Trap::Code`].
    pub code: u32,
    /// Gas left.
    pub gas_left: u64,
    /// The injected gas counter as the module left it (prepared wasm; may be negative).
    pub gas_counter: i64,
    /// The stack counter as the module left it.
    pub stack_counter: i32,
    /// The memory-limit counter as the module left it.
    pub memory_counter: i32,
}

impl CallOutcome {
    /// A call that completed with `gas_left`.
    pub fn ok(gas_left: u64) -> Self {
        CallOutcome {
            trap: Trap::None,
            code: 0,
            gas_left,
            gas_counter: gas_left as i64,
            stack_counter: 0,
            memory_counter: 0,
        }
    }
}

/// One call into a module.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy)]
pub struct CallArgs<'a> {
    /// The exported entry point (`() -> ()`).
    pub entry: RStr<'a>,
    /// Gas the call may use.
    pub gas_limit: u64,
    /// Stack units the call may use (write into the stack counter).
    pub stack_left: u32,
    /// Pages the call's memory may reach (write into the memory-limit counter).
    pub memory_pages: u32,
    /// Call depth (1: the transaction's top-level call).
    pub depth: u32,
    /// A view-only call.
    pub is_static: bool,
}

/// 32 bytes identifying an artifact format.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArtifactTag {
    /// The bytes.
    pub bytes: [u8; 32],
}

/// The host, as a plugin sees it during a call.
#[sabi_trait]
pub trait HostFfi {
    /// Runs ABI host function `f` (its id in `vmhost_abi::HOST_FUNCTIONS`) with raw arguments
    /// (`i32` zero-extended) over the guest's linear memory, charging `gas_left` first.
    /// `stack_left` is the guest's stack counter (needed by the call functions). Returns the
    /// raw result, or the ABI code the guest must trap with.
    #[sabi(last_prefix_field)]
    fn host_call(
        &mut self,
        f: u32,
        args: RSlice<'_, u64>,
        memory: RSliceMut<'_, u8>,
        stack_left: ROption<u32>,
        gas_left: &mut u64,
    ) -> RResult<u64, u32>;
}

/// The host handed to a call (a borrowed trait object).
pub type HostFfiMut<'a> = HostFfi_TO<'a, RMut<'a, ()>>;

/// A loaded module, as the host calls it.
#[sabi_trait]
pub trait ModuleFfi: Send + Sync {
    /// Runs `call.entry` on a fresh instance (or one restored exactly).
    #[sabi(last_prefix_field)]
    fn call(&self, call: CallArgs<'_>, host: HostFfiMut<'_>) -> RResult<CallOutcome, PluginError>;
}

/// A boxed module.
pub type ModuleFfiBox = ModuleFfi_TO<'static, RBox<()>>;

/// A plugin's VM, as the host drives it.
#[sabi_trait]
pub trait VmFfi: Send + Sync {
    /// Identifies the artifact format: engine version and configuration.
    fn artifact_tag(&self) -> ArtifactTag;
    /// Most native stack one call may take on the calling thread, bytes.
    fn native_stack_per_call(&self) -> u64;
    /// Compiles code (for [`CodeFormat::PreparedWasm`]: the prepared module) into an artifact.
    fn compile(&self, code: RSlice<'_, u8>) -> RResult<RVec<u8>, PluginError>;
    /// Loads an artifact [`VmFfi::compile`] made.
    #[sabi(last_prefix_field)]
    fn load(&self, artifact: RSlice<'_, u8>) -> RResult<ModuleFfiBox, PluginError>;
}

/// A boxed VM.
pub type VmFfiBox = VmFfi_TO<'static, RBox<()>>;

/// The root module a plugin library exports (see [`export_plugin!`]).
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModRef)))]
#[sabi(missing_field(panic))]
pub struct PluginMod {
    /// The handshake. `options` are the chain configuration's options for this plugin.
    pub info: extern "C" fn(options: RStr<'_>) -> PluginInfo,
    /// Builds the plugin's VM for the host's configuration.
    #[sabi(last_prefix_field)]
    pub new_vm: extern "C" fn(config: &HostConfig) -> RResult<VmFfiBox, PluginError>,
}

impl RootModule for PluginModRef {
    declare_root_module_statics! {PluginModRef}
    const BASE_NAME: &'static str = "vmhost_plugin";
    const NAME: &'static str = "vmhost_plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}

mod shim;

#[doc(hidden)]
pub use shim::{__info, __new_vm, __root};
pub use shim::{catch, Host, Plugin, PluginModule};
