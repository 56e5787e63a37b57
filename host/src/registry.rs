//! `VmRegistry`: routes every transaction to a backend by contract type.
//!
//! A chain builder registers one backend per [`ContractType`]: the native handler under
//! `Native`, a wasm VM under `Wasm`, third-party VMs under `Plugin(id)`. Registering a type twice
//! or routing to an unregistered type is a [`RegistryError`].

use std::collections::BTreeMap;
use std::sync::Arc;

use vmhost_abi::ContractType;

use crate::error::RegistryError;
use crate::native::NativeHandler;
use crate::vm::Vm;

/// A registered backend.
#[derive(Clone)]
pub enum Backend {
    /// A contract VM (prepare + call).
    Vm(Arc<dyn Vm>),
    /// The native transaction handler.
    Native(Arc<dyn NativeHandler>),
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Backend::Vm(vm) => write!(f, "Vm({})", vm.name()),
            Backend::Native(_) => f.write_str("Native"),
        }
    }
}

/// Backends keyed by contract type.
#[derive(Default, Clone, Debug)]
pub struct VmRegistry {
    backends: BTreeMap<ContractType, Backend>,
}

impl VmRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a backend. Native handlers only under `Native`; VMs under any other type.
    pub fn register(&mut self, ty: ContractType, backend: Backend) -> Result<&mut Self, RegistryError> {
        let native_slot = ty == ContractType::Native;
        let native_backend = matches!(backend, Backend::Native(_));
        if native_slot != native_backend {
            return Err(RegistryError::WrongKind(ty));
        }
        if self.backends.contains_key(&ty) {
            return Err(RegistryError::Duplicate(ty));
        }
        tracing::debug!(contract_type = %ty, backend = ?backend, "backend registered");
        self.backends.insert(ty, backend);
        Ok(self)
    }

    /// Registers a VM under `ty`.
    pub fn register_vm(&mut self, ty: ContractType, vm: Arc<dyn Vm>) -> Result<&mut Self, RegistryError> {
        self.register(ty, Backend::Vm(vm))
    }

    /// Registers the native handler under `ContractType::Native`.
    pub fn register_native(&mut self, handler: Arc<dyn NativeHandler>) -> Result<&mut Self, RegistryError> {
        self.register(ContractType::Native, Backend::Native(handler))
    }

    /// The VM serving `ty`.
    pub fn vm(&self, ty: &ContractType) -> Result<&Arc<dyn Vm>, RegistryError> {
        match self.backends.get(ty) {
            Some(Backend::Vm(vm)) => Ok(vm),
            Some(Backend::Native(_)) => Err(RegistryError::WrongKind(ty.clone())),
            None => Err(RegistryError::Unregistered(ty.clone())),
        }
    }

    /// The native handler.
    pub fn native(&self) -> Result<&Arc<dyn NativeHandler>, RegistryError> {
        match self.backends.get(&ContractType::Native) {
            Some(Backend::Native(h)) => Ok(h),
            _ => Err(RegistryError::Unregistered(ContractType::Native)),
        }
    }

    /// Registered contract types, in order.
    pub fn types(&self) -> impl Iterator<Item = &ContractType> {
        self.backends.keys()
    }
}
