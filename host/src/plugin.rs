//! Third-party VMs from shared libraries: loading a plugin (`vmhost-plugin-interface`), the
//! handshake, and the [`Vm`] / [`Module`] adapters that carry the host's calls across the FFI
//! boundary.
//!
//! Loading goes through `abi_stable` (which refuses an incompatible interface crate version or
//! type layout), then the handshake ([`PluginInfo`]): the interface version, the ABI version,
//! the metering and stack-height versions a prepared-wasm plugin was built for, the contract
//! type it declares. Any mismatch is refused with an error naming both sides. A loaded library
//! is never unloaded (`abi_stable` leaks it: code of a plugin may still be on a stack).
//!
//! Every call into a plugin returns a value, never a panic: the interface's shims catch
//! panics on the plugin's side, and the host's side of a host call ([`HostFfi`]) catches its
//! own. A plugin's panic or internal failure is a [`VmError::Internal`]: the wave aborts and
//! commits nothing, the node goes on.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use abi_stable::library::lib_header_from_path;
use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{ROption, RResult, RSlice, RSliceMut, RStr};
use vmhost_abi::{ContractType, ErrorCode, HostFn};
use vmhost_plugin_interface::{
    CallArgs, CodeFormat as PluginFormat, ErrorKind, HostConfig, HostFfi, HostFfi_TO, ModuleFfiBox, PluginError,
    PluginInfo, PluginModRef, Trap as PluginTrap, VmFfiBox, INTERFACE_VERSION,
};

use crate::config::ExecConfig;
use crate::params::ConsensusParams;
use crate::vm::{CallOutcome, CallParams, CodeFormat, Host, Module, PrepareError, Vm, VmError};
use crate::wasm::{self, Counters, MeteringMode, TrackedMemory, Trap, WasmPipeline, NOTHING_WRITTEN};

/// Why a plugin was not loaded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PluginLoadError {
    /// No file at the path.
    #[error("plugin {path}: no such file")]
    Missing {
        /// The path.
        path: PathBuf,
    },
    /// The file is not a loadable library, or has no vmhost root module.
    #[error("plugin {path}: not a vmhost VM plugin: {detail}")]
    NotAPlugin {
        /// The path.
        path: PathBuf,
        /// What the loader said.
        detail: String,
    },
    /// `abi_stable` refused the library: built against another version of the interface crate,
    /// or with other type layouts.
    #[error("plugin {path}: built against an incompatible plugin interface: {detail}")]
    Incompatible {
        /// The path.
        path: PathBuf,
        /// What the loader said.
        detail: String,
    },
    /// The handshake found a mismatch.
    #[error("plugin {path}: {what}: the plugin declares {plugin}, this host has {host}")]
    Handshake {
        /// The path.
        path: PathBuf,
        /// What does not match.
        what: &'static str,
        /// The plugin's side.
        plugin: String,
        /// The host's side.
        host: String,
    },
    /// The plugin refused to build its VM.
    #[error("plugin {path}: building its VM failed: {message}")]
    NewVm {
        /// The path.
        path: PathBuf,
        /// What it said.
        message: String,
    },
}

/// A loaded plugin: what it declared and its VM, ready to register.
pub struct LoadedPlugin {
    /// The handshake.
    pub info: PluginInfo,
    /// The contract type it serves (`Plugin(id)`).
    pub contract_type: ContractType,
    /// Its VM.
    pub vm: Arc<PluginVm>,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin").field("info", &self.info).finish()
    }
}

/// The configuration the host gives a plugin for the chain's consensus parameters: the largest
/// stack budget, memory cap and table of any parameter set, and the prepared modules' counter
/// names.
pub fn host_config(exec: &ExecConfig, options: &str) -> HostConfig {
    let sets: Vec<&ConsensusParams> = exec.param_sets().collect();
    HostConfig {
        stack_limit: sets.iter().map(|p| p.stack_limit).max().unwrap_or(0),
        memory_bytes: sets.iter().map(|p| u64::from(p.memory.max_tx_pages) * 65_536).max().unwrap_or(0),
        table_elements: sets.iter().map(|p| p.wasm.max_table_size).max().unwrap_or(0),
        gas_export: wasm::GAS_GLOBAL_EXPORT.into(),
        stack_export: wasm::STACK_EXPORT.into(),
        memory_export: wasm::MEMORY_LIMIT_EXPORT.into(),
        options: options.into(),
    }
}

/// Loads the plugin at `path` for a chain with configuration `exec`, passing it `options`,
/// and checks the handshake.
pub fn load_plugin(path: &Path, exec: &ExecConfig, options: &str) -> Result<LoadedPlugin, PluginLoadError> {
    let p = || path.to_path_buf();
    if !path.is_file() {
        return Err(PluginLoadError::Missing { path: p() });
    }
    let header = lib_header_from_path(path)
        .map_err(|e| PluginLoadError::NotAPlugin { path: p(), detail: e.to_string().trim().to_string() })?;
    let module = header.init_root_module::<PluginModRef>().map_err(|e| {
        let detail = e.to_string().trim().lines().take(6).collect::<Vec<_>>().join(" ");
        PluginLoadError::Incompatible { path: p(), detail }
    })?;
    let info = (module.info())(RStr::from_str(options));
    let mismatch = |what, plugin: u32, host: u32| -> Result<(), PluginLoadError> {
        if plugin == host {
            return Ok(());
        }
        Err(PluginLoadError::Handshake { path: p(), what, plugin: plugin.to_string(), host: host.to_string() })
    };
    mismatch("plugin interface version", info.interface_version, INTERFACE_VERSION)?;
    mismatch("ABI version", info.abi_version, vmhost_abi::ABI_VERSION)?;
    if info.code_format == PluginFormat::PreparedWasm {
        mismatch("metering version of prepared modules", info.metering_version, vmhost_abi::gas::METERING_VERSION)?;
        mismatch("stack-height version of prepared modules", info.stack_version, vmhost_abi::gas::stack::VERSION)?;
    }
    let contract_type = match info.contract_type.as_str().strip_prefix("plugin:") {
        Some(id) if !id.is_empty() => ContractType::Plugin(id.to_string()),
        _ => {
            return Err(PluginLoadError::Handshake {
                path: p(),
                what: "contract type",
                plugin: format!("`{}`", info.contract_type),
                host: "`plugin:<id>` types for plugins".into(),
            })
        }
    };
    let config = host_config(exec, options);
    let vm = (module.new_vm())(&config)
        .into_result()
        .map_err(|e| PluginLoadError::NewVm { path: p(), message: e.to_string() })?;
    tracing::info!(path = %path.display(), plugin = %info.name, contract_type = %contract_type, "VM plugin loaded");
    let vm = PluginVm { name: info.name.to_string(), format: info.code_format, config, vm };
    Ok(LoadedPlugin { info, contract_type, vm: Arc::new(vm) })
}

/// A plugin's VM behind the host's [`Vm`] trait.
pub struct PluginVm {
    name: String,
    format: PluginFormat,
    config: HostConfig,
    vm: VmFfiBox,
}

impl std::fmt::Debug for PluginVm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginVm").field("name", &self.name).finish()
    }
}

/// A plugin's failure as the host's infrastructure error.
fn vm_error(name: &str, e: PluginError) -> VmError {
    let message = format!("plugin {name}: {}", e.message);
    match e.kind {
        ErrorKind::BadArtifact => VmError::BadArtifact(message),
        ErrorKind::Backstop => VmError::Backstop(message),
        ErrorKind::Rejected | ErrorKind::Panic | ErrorKind::Internal => VmError::Internal(message),
    }
}

impl Vm for PluginVm {
    fn name(&self) -> &str {
        &self.name
    }

    fn artifact_tag(&self) -> [u8; 32] {
        self.vm.artifact_tag().bytes
    }

    fn code_format(&self) -> CodeFormat {
        match self.format {
            // Plugins run fresh instances: no write tracking.
            PluginFormat::PreparedWasm => {
                CodeFormat::Wasm(WasmPipeline { metering: MeteringMode::Injected, track_writes: false })
            }
            PluginFormat::Custom => CodeFormat::Custom,
        }
    }

    fn check_params(&self, params: &ConsensusParams) -> Result<(), String> {
        let c = &self.config;
        if params.stack_limit > c.stack_limit {
            return Err(format!(
                "the plugin was configured for stack_limit {}, not {}",
                c.stack_limit, params.stack_limit
            ));
        }
        if u64::from(params.memory.max_tx_pages) * 65_536 > c.memory_bytes {
            return Err(format!(
                "the plugin was configured for {} bytes of memory, below memory.max_tx_pages",
                c.memory_bytes
            ));
        }
        if params.wasm.max_table_size > c.table_elements {
            return Err(format!("the plugin was configured for tables of {} elements", c.table_elements));
        }
        Ok(())
    }

    fn native_stack_per_call(&self) -> usize {
        usize::try_from(self.vm.native_stack_per_call()).unwrap_or(usize::MAX).min(64 << 20)
    }

    fn compile(&self, code: &[u8]) -> Result<Vec<u8>, PrepareError> {
        match self.vm.compile(RSlice::from_slice(code)).into_result() {
            Ok(a) => Ok(a.into_vec()),
            Err(e) if e.kind == ErrorKind::Rejected => Err(PrepareError::Rejected {
                code: ErrorCode::from_u32(e.code).filter(|c| c.is_deploy()).unwrap_or(ErrorCode::CompileFailed),
                message: e.message.to_string(),
            }),
            Err(e) => Err(PrepareError::Internal(vm_error(&self.name, e).to_string())),
        }
    }

    fn load(&self, artifact: &[u8]) -> Result<Arc<dyn Module>, VmError> {
        let module = self.vm.load(RSlice::from_slice(artifact)).into_result().map_err(|e| vm_error(&self.name, e))?;
        Ok(Arc::new(PluginModule {
            name: self.name.clone(),
            prepared: self.format == PluginFormat::PreparedWasm,
            module,
        }))
    }
}

/// A plugin's module behind the host's [`Module`] trait.
struct PluginModule {
    name: String,
    prepared: bool,
    module: ModuleFfiBox,
}

/// The host's side of a host call from a plugin.
struct HostShim<'a> {
    host: &'a mut dyn Host,
    /// A panic of the host's own code during a host call (reported as a host bug).
    panicked: Option<String>,
}

impl HostFfi for HostShim<'_> {
    fn host_call(
        &mut self,
        f: u32,
        args: RSlice<'_, u64>,
        mut memory: RSliceMut<'_, u8>,
        stack_left: ROption<u32>,
        gas_left: &mut u64,
    ) -> RResult<u64, u32> {
        let Some(f) = u16::try_from(f).ok().and_then(HostFn::from_id) else {
            return RResult::RErr(ErrorCode::UnknownHostFunction.as_u32());
        };
        let mut written = NOTHING_WRITTEN;
        let mut mem = TrackedMemory::new(memory.as_mut_slice(), &mut written, stack_left.into_option());
        let host = &mut *self.host;
        match catch_unwind(AssertUnwindSafe(|| host.host_call(f, args.as_slice(), &mut mem, gas_left))) {
            Ok(Ok(v)) => RResult::ROk(v),
            Ok(Err(trap)) => RResult::RErr(trap.code.as_u32()),
            Err(_) => {
                self.panicked = Some(format!("the host panicked in host function {f:?}"));
                RResult::RErr(ErrorCode::OtherTrap.as_u32())
            }
        }
    }
}

impl Module for PluginModule {
    fn call(&self, call: &CallParams<'_>, host: &mut dyn Host) -> Result<CallOutcome, VmError> {
        let mut shim = HostShim { host, panicked: None };
        let args = CallArgs {
            entry: RStr::from_str(call.entry),
            gas_limit: call.gas_limit,
            stack_left: call.stack_left,
            memory_pages: call.memory_pages,
            depth: call.depth,
            is_static: call.is_static,
        };
        let out = self.module.call(args, HostFfi_TO::from_ptr(&mut shim, TD_Opaque)).into_result();
        if let Some(p) = shim.panicked {
            return Err(VmError::Internal(p));
        }
        let out = out.map_err(|e| vm_error(&self.name, e))?;
        let trap = match out.trap {
            PluginTrap::None => None,
            PluginTrap::Code => Some(Trap::Host(ErrorCode::from_u32(out.code).unwrap_or(ErrorCode::OtherTrap))),
            PluginTrap::Unreachable => Some(Trap::Unreachable),
            PluginTrap::OutOfFuel => Some(Trap::OutOfFuel),
            PluginTrap::MemoryOutOfBounds => Some(Trap::MemoryOutOfBounds),
            PluginTrap::IntegerOverflow => Some(Trap::IntegerOverflow),
            PluginTrap::IntegerDivisionByZero => Some(Trap::IntegerDivisionByZero),
            PluginTrap::IndirectCallFault => Some(Trap::IndirectCallFault),
            PluginTrap::Other => Some(Trap::Other),
        };
        let result = match trap {
            None => Ok(()),
            Some(t) => {
                let counters = Counters {
                    gas: self.prepared.then_some(out.gas_counter),
                    stack: out.stack_counter,
                    memory: out.memory_counter,
                };
                Err(wasm::trap_code(t, counters))
            }
        };
        let gas_left = if result == Err(ErrorCode::OutOfGas) { 0 } else { out.gas_left.min(call.gas_limit) };
        Ok(CallOutcome { result, gas_left })
    }
}

/// The plugins a chain file names: `[backends] "plugin:<id>" = "<path>[?<options>]"`, as
/// `(id, path, options)`.
pub fn configured_plugins(cfg: &crate::ChainConfig) -> Vec<(String, PathBuf, String)> {
    cfg.backends
        .iter()
        .filter_map(|(key, value)| {
            let id = key.strip_prefix("plugin:")?;
            let (path, options) = value.split_once('?').unwrap_or((value.as_str(), ""));
            Some((id.to_string(), PathBuf::from(path), options.to_string()))
        })
        .collect()
}

/// Loads every plugin the chain file names and registers each under its contract type; the
/// type a plugin declares must be the key it is configured under.
pub fn register_plugins(registry: &mut crate::VmRegistry, cfg: &crate::ChainConfig) -> crate::Result<()> {
    let exec = cfg.exec_config()?;
    for (id, path, options) in configured_plugins(cfg) {
        let plugin = load_plugin(&path, &exec, &options)
            .map_err(|e| crate::Error::Config(format!("[backends] \"plugin:{id}\": {e}")))?;
        if plugin.contract_type != ContractType::Plugin(id.clone()) {
            return Err(crate::Error::Config(format!(
                "[backends] \"plugin:{id}\": the plugin at {} declares contract type {}",
                path.display(),
                plugin.info.contract_type
            )));
        }
        registry.register_vm(plugin.contract_type, plugin.vm)?;
    }
    Ok(())
}
