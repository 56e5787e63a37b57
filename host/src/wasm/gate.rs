//! The deploy gate: wasm validation under the deterministic feature set, the import allowlist,
//! the static limits and the export rules.

use core::fmt::Display;

use vmhost_abi::{HostFn, ValType as AbiValType, IMPORT_MODULE};
use wasmparser::{
    ConstExpr, DataKind, ElementItems, ElementKind, ExternalKind, FuncType, FunctionBody, Import, Operator, Parser,
    Payload, TypeRef, ValType, Validator, WasmFeatures,
};

use super::{DeployError, RESERVED_EXPORT_PREFIX};

/// Static limits the gate enforces against compile bombs and oversized state.
///
/// Plain public fields; start from [`WasmLimits::default`] and override what you need. The name
/// of each field is what [`DeployError::LimitExceeded`] reports as `limit`.
#[derive(Debug, Clone, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
#[non_exhaustive]
pub struct WasmLimits {
    /// Largest module in bytes. Default 512 KiB.
    pub max_code_size: usize,
    /// Most defined (non-imported) functions. Default 10 000.
    pub max_functions: u32,
    /// Largest function body in bytes (local declarations plus code, without the size
    /// prefix). Default 128 KiB.
    pub max_function_body_size: u32,
    /// Most locals of one function, parameters included. Default 4 096.
    pub max_locals_per_function: u32,
    /// Most defined globals. Default 1 024.
    pub max_globals: u32,
    /// Largest table (initial and declared maximum), in elements. Default 10 000.
    pub max_table_size: u64,
    /// Most data segments. Default 1 024.
    pub max_data_segments: u32,
    /// Largest initial linear memory in 64 KiB pages. The declared maximum is not limited:
    /// growth is bounded by the transaction's memory cap (`ConsensusParams::memory`) and paid
    /// per page, and the pages a module starts with are paid when a call instantiates it.
    /// Default 16 (1 MiB).
    pub max_memory_pages: u64,
    /// Most targets of one `br_table` (the default target not counted). Default 4 096.
    pub max_br_table_targets: u32,
    /// Most imports. Default 256.
    pub max_imports: u32,
    /// Most exports. Default 1 024.
    pub max_exports: u32,
    /// Most entries in the type section. Default 1 024.
    pub max_types: u32,
}

impl Default for WasmLimits {
    fn default() -> Self {
        WasmLimits {
            max_code_size: 512 * 1024,
            max_functions: 10_000,
            max_function_body_size: 128 * 1024,
            max_locals_per_function: 4_096,
            max_globals: 1_024,
            max_table_size: 10_000,
            max_data_segments: 1_024,
            max_memory_pages: vmhost_abi::gas::DEFAULT_MAX_INITIAL_PAGES as u64,
            max_br_table_targets: 4_096,
            max_imports: 256,
            max_exports: 1_024,
            max_types: 1_024,
        }
    }
}

impl WasmLimits {
    /// Sets the limit named `field` (as [`WasmLimits::entries`] names it) from its text.
    pub fn set(&mut self, field: &str, value: &str) -> Result<(), String> {
        fn num<T: core::str::FromStr>(value: &str) -> Result<T, String> {
            value.trim().replace('_', "").parse().map_err(|_| format!("`{value}` is not a valid number"))
        }
        match field {
            "max_code_size" => self.max_code_size = num(value)?,
            "max_functions" => self.max_functions = num(value)?,
            "max_function_body_size" => self.max_function_body_size = num(value)?,
            "max_locals_per_function" => self.max_locals_per_function = num(value)?,
            "max_globals" => self.max_globals = num(value)?,
            "max_table_size" => self.max_table_size = num(value)?,
            "max_data_segments" => self.max_data_segments = num(value)?,
            "max_memory_pages" => self.max_memory_pages = num(value)?,
            "max_br_table_targets" => self.max_br_table_targets = num(value)?,
            "max_imports" => self.max_imports = num(value)?,
            "max_exports" => self.max_exports = num(value)?,
            "max_types" => self.max_types = num(value)?,
            _ => return Err(format!("no static limit `{field}`")),
        }
        Ok(())
    }

    /// Every limit as `(field name, value)`.
    pub fn entries(&self) -> Vec<(&'static str, String)> {
        vec![
            ("max_code_size", self.max_code_size.to_string()),
            ("max_functions", self.max_functions.to_string()),
            ("max_function_body_size", self.max_function_body_size.to_string()),
            ("max_locals_per_function", self.max_locals_per_function.to_string()),
            ("max_globals", self.max_globals.to_string()),
            ("max_table_size", self.max_table_size.to_string()),
            ("max_data_segments", self.max_data_segments.to_string()),
            ("max_memory_pages", self.max_memory_pages.to_string()),
            ("max_br_table_targets", self.max_br_table_targets.to_string()),
            ("max_imports", self.max_imports.to_string()),
            ("max_exports", self.max_exports.to_string()),
            ("max_types", self.max_types.to_string()),
        ]
    }
}

/// What the gate learned about an accepted module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleInfo {
    /// Names of the exported functions of type `() -> ()` (the callable entry points), in
    /// export order.
    pub exported_functions: Vec<String>,
    /// Exported functions of any other type, with their signatures (a deploy refuses them:
    /// [`crate::wasm::prepare_module`]).
    pub other_exported_functions: Vec<(String, String)>,
    /// The host function behind each import, in import order: entry `i` is function index
    /// `i` (all imports are functions). A host function imported twice appears twice.
    pub imports: Vec<HostFn>,
    /// Size of the validated module in bytes.
    pub code_size: usize,
    /// Initial size of the linear memory in 64 KiB pages (paid when a call instantiates it).
    pub initial_pages: u32,
}

/// The deterministic feature set [`validate`] uses.
///
/// Enabled: the MVP (with floats; the engine canonicalises NaNs), mutable globals,
/// sign-extension, saturating float-to-int, multi-value and bulk memory. Everything else —
/// SIMD, relaxed SIMD, threads (atomics, shared memory), reference types, multi-memory,
/// memory64, tail calls, exceptions, extended-const, GC, function references, the component
/// model, memory control, wide arithmetic, custom page sizes, stack switching, ... — is disabled.
pub fn deterministic_features() -> WasmFeatures {
    WasmFeatures::MUTABLE_GLOBAL
        | WasmFeatures::FLOATS
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::SATURATING_FLOAT_TO_INT
        | WasmFeatures::MULTI_VALUE
        | WasmFeatures::BULK_MEMORY
}

/// Validates `code` for deployment.
///
/// In order: the code size limit; wasmparser validation under [`deterministic_features`]
/// (a module that is valid only with more features is [`DeployError::DisabledFeature`], any
/// other failure [`DeployError::InvalidWasm`]); then, section by section, the import allowlist,
/// the static [`WasmLimits`], the start-function ban and the export rules (a `memory` export is
/// required, every `__vmhost_` name is reserved).
pub fn validate(code: &[u8], limits: &WasmLimits) -> Result<ModuleInfo, DeployError> {
    let result = validate_inner(code, limits);
    if let Err(err) = &result {
        tracing::debug!(code_size = code.len(), error = %err, "wasm deploy gate rejected a module");
    }
    result
}

fn validate_inner(code: &[u8], limits: &WasmLimits) -> Result<ModuleInfo, DeployError> {
    check_limit("max_code_size", to_u64(code.len()), to_u64(limits.max_code_size))?;
    check_features(code)?;
    inspect(code, limits)
}

/// Runs the wasmparser validator with the deterministic feature set and classifies failures.
pub(crate) fn check_features(code: &[u8]) -> Result<(), DeployError> {
    let Err(err) = Validator::new_with_features(deterministic_features()).validate_all(code) else {
        return Ok(());
    };
    let message = err.to_string();
    if Validator::new_with_features(WasmFeatures::all()).validate_all(code).is_ok() {
        Err(DeployError::DisabledFeature(message))
    } else {
        Err(DeployError::InvalidWasm(message))
    }
}

fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn check_limit(limit: &'static str, value: u64, max: u64) -> Result<(), DeployError> {
    if value > max {
        Err(DeployError::LimitExceeded { limit, value, max })
    } else {
        Ok(())
    }
}

fn invalid(what: &str) -> DeployError {
    DeployError::InvalidWasm(what.to_owned())
}

/// Second pass over a module the validator accepted: allowlist, limits and exports.
fn inspect(code: &[u8], limits: &WasmLimits) -> Result<ModuleInfo, DeployError> {
    let mut types: Vec<FuncType> = Vec::new();
    // Type index of every function, imported ones first (the function index space).
    let mut func_types: Vec<u32> = Vec::new();
    let mut imports = Vec::new();
    let mut exported_functions = Vec::new();
    let mut other_exported_functions = Vec::new();
    let mut memory_exported = false;
    let mut bodies_seen = 0usize;
    let mut initial_pages = 0u32;
    let mut table_initial = 0u64;

    for payload in Parser::new(0).parse_all(code) {
        match payload? {
            Payload::TypeSection(reader) => {
                check_limit("max_types", reader.count().into(), limits.max_types.into())?;
                for ty in reader.into_iter_err_on_gc_types() {
                    types.push(ty?);
                }
            }
            Payload::ImportSection(reader) => {
                check_limit("max_imports", reader.count().into(), limits.max_imports.into())?;
                for import in reader.into_imports() {
                    let (host, type_index) = check_import(&import?, &types)?;
                    imports.push(host);
                    func_types.push(type_index);
                }
            }
            Payload::FunctionSection(reader) => {
                let count = reader.count();
                check_limit("max_functions", count.into(), limits.max_functions.into())?;
                for type_index in reader {
                    func_types.push(type_index?);
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    let ty = table?.ty;
                    table_initial = ty.initial;
                    check_limit("max_table_size", ty.initial, limits.max_table_size)?;
                    if let Some(maximum) = ty.maximum {
                        check_limit("max_table_size", maximum, limits.max_table_size)?;
                    }
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    let memory = memory?;
                    check_limit("max_memory_pages", memory.initial, limits.max_memory_pages)?;
                    initial_pages = u32::try_from(memory.initial).unwrap_or(u32::MAX);
                }
            }
            Payload::GlobalSection(reader) => {
                check_limit("max_globals", reader.count().into(), limits.max_globals.into())?;
            }
            Payload::ExportSection(reader) => {
                check_limit("max_exports", reader.count().into(), limits.max_exports.into())?;
                for export in reader {
                    let export = export?;
                    if export.name.starts_with(RESERVED_EXPORT_PREFIX) {
                        return Err(DeployError::ReservedExport(export.name.to_owned()));
                    }
                    match export.kind {
                        ExternalKind::Memory if export.name == "memory" => memory_exported = true,
                        ExternalKind::Func | ExternalKind::FuncExact => {
                            let ty = func_type(&types, &func_types, export.index)?;
                            if ty.params().is_empty() && ty.results().is_empty() {
                                exported_functions.push(export.name.to_owned());
                            } else {
                                let sig = signature(ty.params().iter(), ty.results().iter());
                                other_exported_functions.push((export.name.to_owned(), sig));
                            }
                        }
                        _ => {}
                    }
                }
            }
            Payload::StartSection { .. } => return Err(DeployError::StartFunction),
            Payload::DataSection(reader) => {
                let count = reader.count().into();
                check_limit("max_data_segments", count, limits.max_data_segments.into())?;
                for (index, data) in (0u32..).zip(reader) {
                    let data = data?;
                    if let DataKind::Active { offset_expr, .. } = data.kind {
                        let end = const_offset(&offset_expr)?.saturating_add(to_u64(data.data.len()));
                        let size = u64::from(initial_pages) * 65_536;
                        if end > size {
                            return Err(DeployError::SegmentOutOfBounds {
                                kind: "data",
                                index,
                                end,
                                what: "memory (bytes)",
                                size,
                            });
                        }
                    }
                }
            }
            Payload::ElementSection(reader) => {
                for (index, element) in (0u32..).zip(reader) {
                    let element = element?;
                    if let ElementKind::Active { offset_expr, .. } = element.kind {
                        let len = match &element.items {
                            ElementItems::Functions(f) => f.count(),
                            ElementItems::Expressions(_, e) => e.count(),
                        };
                        let end = const_offset(&offset_expr)?.saturating_add(u64::from(len));
                        if end > table_initial {
                            return Err(DeployError::SegmentOutOfBounds {
                                kind: "element",
                                index,
                                end,
                                what: "table (elements)",
                                size: table_initial,
                            });
                        }
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let index = imports.len().saturating_add(bodies_seen);
                bodies_seen = bodies_seen.saturating_add(1);
                let index = u32::try_from(index).map_err(|_| invalid("too many functions"))?;
                let params = func_type(&types, &func_types, index)?.params().len();
                check_body(&body, to_u64(params), limits)?;
            }
            _ => {}
        }
    }

    if !memory_exported {
        return Err(DeployError::MissingMemory);
    }
    Ok(ModuleInfo { exported_functions, other_exported_functions, imports, code_size: code.len(), initial_pages })
}

/// The offset of an active segment: under the deterministic profile (no imported globals, no
/// extended constant expressions) it is a single `i32.const`, read as unsigned.
fn const_offset(expr: &ConstExpr<'_>) -> Result<u64, DeployError> {
    let mut ops = expr.get_operators_reader();
    let offset = match ops.read()? {
        Operator::I32Const { value } => u64::from(value as u32),
        _ => return Err(invalid("a segment offset that is not a constant")),
    };
    match ops.read()? {
        Operator::End => Ok(offset),
        _ => Err(invalid("a segment offset that is not a constant")),
    }
}

/// The type of function `index` (imports first).
fn func_type<'t>(types: &'t [FuncType], func_types: &[u32], index: u32) -> Result<&'t FuncType, DeployError> {
    let type_index = func_types.get(index as usize).ok_or_else(|| invalid("function index out of bounds"))?;
    types.get(*type_index as usize).ok_or_else(|| invalid("type index out of bounds"))
}

/// Checks one import against the ABI allowlist; returns the host function and its type index.
fn check_import(import: &Import<'_>, types: &[FuncType]) -> Result<(HostFn, u32), DeployError> {
    let (TypeRef::Func(type_index) | TypeRef::FuncExact(type_index)) = import.ty else {
        return Err(DeployError::NonFunctionImport { module: import.module.to_owned(), name: import.name.to_owned() });
    };
    let forbidden = || DeployError::ForbiddenImport { module: import.module.to_owned(), name: import.name.to_owned() };
    if import.module != IMPORT_MODULE {
        return Err(forbidden());
    }
    let host = HostFn::by_name(import.name).ok_or_else(forbidden)?;
    let spec = host.spec();
    let ty = types.get(type_index as usize).ok_or_else(|| invalid("type index out of bounds"))?;
    let same = |wasm: &[ValType], abi: &[AbiValType]| {
        wasm.len() == abi.len()
            && wasm
                .iter()
                .zip(abi)
                .all(|pair| matches!(pair, (ValType::I32, AbiValType::I32) | (ValType::I64, AbiValType::I64)))
    };
    if !same(ty.params(), spec.params) || !same(ty.results(), spec.results) {
        return Err(DeployError::ImportSignatureMismatch {
            name: import.name.to_owned(),
            expected: signature(spec.params.iter().map(|v| v.wat()), spec.results.iter().map(|v| v.wat())),
            found: signature(ty.params().iter(), ty.results().iter()),
        });
    }
    Ok((host, type_index))
}

/// Formats a signature as `(i32, i64) -> (i32)`.
fn signature<P: Display, R: Display>(params: impl Iterator<Item = P>, results: impl Iterator<Item = R>) -> String {
    let join = |items: Vec<String>| items.join(", ");
    format!(
        "({}) -> ({})",
        join(params.map(|p| p.to_string()).collect()),
        join(results.map(|r| r.to_string()).collect())
    )
}

/// Body size, locals (parameters included) and `br_table` sizes of one function.
fn check_body(body: &FunctionBody<'_>, params: u64, limits: &WasmLimits) -> Result<(), DeployError> {
    let size = to_u64(body.range().len());
    check_limit("max_function_body_size", size, limits.max_function_body_size.into())?;

    let mut locals = params;
    for decl in body.get_locals_reader()? {
        let (count, _) = decl?;
        locals = locals.saturating_add(count.into());
    }
    check_limit("max_locals_per_function", locals, limits.max_locals_per_function.into())?;

    let mut ops = body.get_operators_reader()?;
    while !ops.eof() {
        if let Operator::BrTable { targets } = ops.read()? {
            let max = limits.max_br_table_targets.into();
            check_limit("max_br_table_targets", targets.len().into(), max)?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "gate_tests.rs"]
pub(super) mod tests;
