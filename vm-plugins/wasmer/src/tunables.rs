//! wasmer's tunables with the backend's backstops: memories and tables capped, and the size of
//! the coroutine stack wasm frames run on.

use std::ptr::NonNull;

use wasmer::sys::vm::{VMConfig, VMMemory, VMMemoryDefinition, VMTable, VMTableDefinition};
use wasmer::sys::{BaseTunables, Target, Tunables};
use wasmer::{MemoryError, MemoryStyle, MemoryType, Pages, TableStyle, TableType};

use crate::config::WasmerConfig;

/// [`BaseTunables`] with every memory's maximum capped at the memory backstop and every
/// table's at the table backstop; a module that starts above either cannot be instantiated
/// (rejected at deploy by the trial instantiation).
pub(crate) struct CappedTunables {
    base: BaseTunables,
    max_pages: Pages,
    max_table_elements: u32,
    vmconfig: VMConfig,
}

impl CappedTunables {
    pub(crate) fn new(cfg: &WasmerConfig) -> Self {
        let pages = u32::try_from(cfg.memory_limit / vmhost::wasm::backstops::PAGE).unwrap_or(u32::MAX);
        Self {
            base: BaseTunables::for_target(&Target::default()),
            max_pages: Pages(pages),
            max_table_elements: u32::try_from(cfg.table_elements).unwrap_or(u32::MAX),
            vmconfig: VMConfig { wasm_stack_size: Some(cfg.wasm_stack) },
        }
    }

    fn capped(&self, ty: &MemoryType) -> MemoryType {
        let mut t = *ty;
        t.maximum = Some(t.maximum.map_or(self.max_pages, |m| m.min(self.max_pages)));
        t
    }

    fn memory(&self, ty: &MemoryType) -> Result<MemoryType, MemoryError> {
        if ty.minimum > self.max_pages {
            return Err(MemoryError::Generic(format!(
                "memory starts at {} pages, above the backstop of {}",
                ty.minimum.0, self.max_pages.0
            )));
        }
        Ok(self.capped(ty))
    }

    fn table(&self, ty: &TableType) -> Result<TableType, String> {
        if ty.minimum > self.max_table_elements {
            return Err(format!(
                "table starts at {} elements, above the backstop of {}",
                ty.minimum, self.max_table_elements
            ));
        }
        let mut t = *ty;
        t.maximum = Some(t.maximum.map_or(self.max_table_elements, |m| m.min(self.max_table_elements)));
        Ok(t)
    }
}

impl Tunables for CappedTunables {
    fn memory_style(&self, memory: &MemoryType) -> MemoryStyle {
        self.base.memory_style(&self.capped(memory))
    }

    fn table_style(&self, table: &TableType) -> TableStyle {
        self.base.table_style(table)
    }

    fn create_host_memory(&self, ty: &MemoryType, style: &MemoryStyle) -> Result<VMMemory, MemoryError> {
        self.base.create_host_memory(&self.memory(ty)?, style)
    }

    unsafe fn create_vm_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
        vm_definition_location: NonNull<VMMemoryDefinition>,
    ) -> Result<VMMemory, MemoryError> {
        let ty = self.memory(ty)?;
        // SAFETY: forwarded unchanged from wasmer's caller, which upholds the contract.
        unsafe { self.base.create_vm_memory(&ty, style, vm_definition_location) }
    }

    fn create_host_table(&self, ty: &TableType, style: &TableStyle) -> Result<VMTable, String> {
        self.base.create_host_table(&self.table(ty)?, style)
    }

    unsafe fn create_vm_table(
        &self,
        ty: &TableType,
        style: &TableStyle,
        vm_definition_location: NonNull<VMTableDefinition>,
    ) -> Result<VMTable, String> {
        let ty = self.table(ty)?;
        // SAFETY: forwarded unchanged from wasmer's caller, which upholds the contract.
        unsafe { self.base.create_vm_table(&ty, style, vm_definition_location) }
    }

    fn vmconfig(&self) -> &VMConfig {
        &self.vmconfig
    }
}
