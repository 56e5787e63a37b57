//! The plain Rust side a plugin author implements ([`Plugin`], [`PluginModule`]), the host
//! handle it calls ([`Host`]), and the shims that turn them into the FFI trait objects —
//! catching every panic on the plugin's side of the boundary.

use std::panic::{catch_unwind, AssertUnwindSafe};

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{ROption, RResult, RSlice, RStr, RVec};

use crate::{
    ArtifactTag, CallArgs, CallOutcome, ErrorKind, HostConfig, HostFfiMut, ModuleFfi, ModuleFfiBox, ModuleFfi_TO,
    PluginError, PluginInfo, VmFfi, VmFfiBox, VmFfi_TO,
};

/// A VM plugin, in plain Rust. [`export_plugin!`](crate::export_plugin) exports it.
pub trait Plugin: Sized + Send + Sync + 'static {
    /// The loaded module type.
    type Module: PluginModule;

    /// The handshake: what this plugin is and was built for ([`PluginInfo::current`]).
    /// `options` are the chain configuration's options for it.
    fn info(options: &str) -> PluginInfo;

    /// Builds the VM for the host's configuration.
    fn new(config: &HostConfig) -> Result<Self, PluginError>;

    /// Identifies the artifact format (engine version and configuration).
    fn artifact_tag(&self) -> [u8; 32];

    /// Most native stack one call may take on the calling thread (0: none beyond the host's
    /// own reserve).
    fn native_stack_per_call(&self) -> u64 {
        0
    }

    /// Compiles code into an artifact.
    fn compile(&self, code: &[u8]) -> Result<Vec<u8>, PluginError>;

    /// Loads an artifact.
    fn load(&self, artifact: &[u8]) -> Result<Self::Module, PluginError>;
}

/// A loaded module, in plain Rust.
pub trait PluginModule: Send + Sync + 'static {
    /// Runs `call.entry`; host functions go through `host`.
    fn call(&self, call: &CallArgs<'_>, host: &mut Host<'_>) -> Result<CallOutcome, PluginError>;
}

/// The host during one call.
pub struct Host<'a> {
    inner: HostFfiMut<'a>,
}

impl std::fmt::Debug for Host<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Host")
    }
}

impl<'a> Host<'a> {
    /// Wraps the host handed to a call.
    pub fn new(inner: HostFfiMut<'a>) -> Self {
        Host { inner }
    }

    /// Runs ABI host function `f` (see [`crate::HostFfi::host_call`]): `Ok(raw result)` or
    /// `Err(ABI code)` the guest must trap with.
    pub fn host_call(
        &mut self,
        f: u32,
        args: &[u64],
        memory: &mut [u8],
        stack_left: Option<u32>,
        gas_left: &mut u64,
    ) -> Result<u64, u32> {
        let stack = match stack_left {
            Some(s) => ROption::RSome(s),
            None => ROption::RNone,
        };
        self.inner.host_call(f, RSlice::from_slice(args), memory.into(), stack, gas_left).into_result()
    }
}

/// The message of a caught panic.
fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-string payload".into())
}

/// Runs `f`, turning a panic into a [`PluginError`] of kind [`ErrorKind::Panic`]. The shims
/// use it around every call the host makes; an engine that calls host functions from code that
/// cannot unwind must use it inside its import glue too.
pub fn catch<T>(what: &str, f: impl FnOnce() -> Result<T, PluginError>) -> Result<T, PluginError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => Err(PluginError::new(ErrorKind::Panic, format!("plugin panicked in {what}: {}", panic_message(&*p)))),
    }
}

struct VmShim<P: Plugin>(P);
struct ModuleShim<M: PluginModule>(M);

impl<P: Plugin> VmFfi for VmShim<P> {
    fn artifact_tag(&self) -> ArtifactTag {
        // A panic here cannot become an error value (the result is a plain tag): the zero tag,
        // which no artifact carries, makes the host recompile and fail loudly there.
        ArtifactTag { bytes: catch("artifact_tag", || Ok(self.0.artifact_tag())).unwrap_or([0; 32]) }
    }

    fn native_stack_per_call(&self) -> u64 {
        catch("native_stack_per_call", || Ok(self.0.native_stack_per_call())).unwrap_or(u64::MAX)
    }

    fn compile(&self, code: RSlice<'_, u8>) -> RResult<RVec<u8>, PluginError> {
        catch("compile", || self.0.compile(code.as_slice())).map(RVec::from).into()
    }

    fn load(&self, artifact: RSlice<'_, u8>) -> RResult<ModuleFfiBox, PluginError> {
        catch("load", || self.0.load(artifact.as_slice()))
            .map(|m| ModuleFfi_TO::from_value(ModuleShim(m), TD_Opaque))
            .into()
    }
}

impl<M: PluginModule> ModuleFfi for ModuleShim<M> {
    fn call(&self, call: CallArgs<'_>, host: HostFfiMut<'_>) -> RResult<CallOutcome, PluginError> {
        let mut host = Host::new(host);
        catch("call", || self.0.call(&call, &mut host)).into()
    }
}

#[doc(hidden)]
pub extern "C" fn __info<P: Plugin>(options: RStr<'_>) -> PluginInfo {
    match catch("info", || Ok(P::info(options.as_str()))) {
        Ok(info) => info,
        // A plugin that cannot say what it is declares an interface version no host has.
        Err(e) => PluginInfo {
            interface_version: 0,
            abi_version: 0,
            metering_version: 0,
            stack_version: 0,
            contract_type: "".into(),
            name: e.message,
            code_format: crate::CodeFormat::Custom,
            capabilities: 0,
        },
    }
}

#[doc(hidden)]
pub extern "C" fn __new_vm<P: Plugin>(config: &HostConfig) -> RResult<VmFfiBox, PluginError> {
    catch("new_vm", || P::new(config)).map(|p| VmFfi_TO::from_value(VmShim(p), TD_Opaque)).into()
}

#[doc(hidden)]
pub fn __root<P: Plugin>() -> crate::PluginModRef {
    use abi_stable::prefix_type::PrefixTypeTrait;
    crate::PluginMod { info: __info::<P>, new_vm: __new_vm::<P> }.leak_into_prefix()
}

/// Exports plugin type `$ty` (implementing [`Plugin`]) as this library's root module: the
/// static `abi_stable`'s loader looks for (`abi_stable::library::ROOT_MODULE_LOADER_NAME`).
/// Use it once, in the plugin's `cdylib` crate.
#[macro_export]
macro_rules! export_plugin {
    ($ty:ty) => {
        #[no_mangle]
        #[doc(hidden)]
        pub static _1as_0lib_1header_0root_bmodule_bloader: $crate::abi_stable::library::LibHeader = {
            extern "C" fn erased() -> $crate::abi_stable::library::RootModuleResult {
                $crate::abi_stable::library::__call_root_module_loader($crate::__root::<$ty>)
            }
            // SAFETY: `erased` returns the root module of type `PluginModRef`, the type the
            // header is made for (what `#[export_root_module]` generates).
            unsafe {
                $crate::abi_stable::library::LibHeader::from_constructor::<$crate::PluginModRef>(
                    erased,
                    $crate::abi_stable::library::CheckTypeLayout::Yes,
                )
            }
        };
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_exported_static_has_the_name_abi_stables_loader_looks_for() {
        assert_eq!("_1as_0lib_1header_0root_bmodule_bloader", abi_stable::library::ROOT_MODULE_LOADER_NAME);
    }

    #[test]
    fn a_panic_becomes_a_plugin_error() {
        let e = super::catch::<()>("compile", || panic!("boom")).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Panic);
        assert!(e.message.contains("compile") && e.message.contains("boom"), "{e}");
    }
}
