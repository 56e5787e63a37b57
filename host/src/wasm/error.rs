//! The error type of the wasm deploy gate and of the gas-metering pass.

use vmhost_abi::ErrorCode;

/// Why a module was rejected at deploy, or could not be instrumented.
///
/// Every variant maps to a deploy-range [`ErrorCode`] through [`DeployError::code`], which is
/// what ends up on the receipt. Messages are meant for the contract author.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeployError {
    /// The bytes are not a valid WebAssembly module (this includes garbage and truncated input).
    #[error("invalid wasm: {0}")]
    InvalidWasm(String),

    /// The module is valid WebAssembly but uses a feature the deterministic profile disables
    /// (SIMD, threads/atomics/shared memory, reference types, multi-memory, memory64, tail
    /// calls, exceptions, GC, function references, the component model, ...).
    #[error("wasm feature disabled by the deterministic profile: {0}")]
    DisabledFeature(String),

    /// A function import outside the ABI allowlist: another module than `vmhost`
    /// (for example `wasi_snapshot_preview1` or `env`) or a name ABI v1 does not define.
    #[error("forbidden import `{module}`.`{name}`: only ABI v1 host functions from module `vmhost` may be imported")]
    ForbiddenImport {
        /// The import's module name.
        module: String,
        /// The import's field name.
        name: String,
    },

    /// A `vmhost` import whose wasm signature differs from the ABI table.
    #[error("import `vmhost`.`{name}` has signature {found}, but ABI v1 declares {expected}")]
    ImportSignatureMismatch {
        /// The host function's import name.
        name: String,
        /// The signature ABI v1 declares, e.g. `(i32, i32) -> ()`.
        expected: String,
        /// The signature the module declares.
        found: String,
    },

    /// An import of a memory, table, global or tag: contracts may import host functions only.
    #[error("import `{module}`.`{name}` is not a function: contracts may import host functions only")]
    NonFunctionImport {
        /// The import's module name.
        module: String,
        /// The import's field name.
        name: String,
    },

    /// The module exceeds a static limit of [`WasmLimits`](super::WasmLimits). `limit` is the
    /// name of the `WasmLimits` field that was exceeded.
    #[error("static limit `{limit}` exceeded: {value} > {max}")]
    LimitExceeded {
        /// The name of the exceeded [`WasmLimits`](super::WasmLimits) field.
        limit: &'static str,
        /// The module's value.
        value: u64,
        /// The configured maximum.
        max: u64,
    },

    /// The module does not export its linear memory under the name `memory`.
    #[error("the module must export its linear memory as `memory`")]
    MissingMemory,

    /// An exported function is not an entry point: entry points take no parameters and return
    /// nothing (input and output go through `input_read` and `set_return`).
    #[error("exported function `{name}` has signature {found}, but entry points are () -> (): read input with input_read, return data with set_return")]
    EntryPointSignature {
        /// The export's name.
        name: String,
        /// Its signature.
        found: String,
    },

    /// The module exports no function: a contract needs at least one entry point.
    #[error("the module exports no function: a contract needs at least one entry point of type () -> ()")]
    NoEntryPoint,

    /// The module has a start section; contracts may not run code at instantiation.
    #[error("the module has a start function, which contracts may not have")]
    StartFunction,

    /// The module exports a name reserved for the host (the gas global).
    #[error("export name `{0}` is reserved for the host")]
    ReservedExport(String),

    /// An active data or element segment lies (partly) outside the initial memory or table, so
    /// the module cannot be instantiated (every engine would refuse it; the gate decides it
    /// once, for all of them).
    #[error(
        "{kind} segment {index} ends at {end}, beyond the initial {what} of {size}: the module cannot be instantiated"
    )]
    SegmentOutOfBounds {
        /// `data` or `element`.
        kind: &'static str,
        /// The segment's index.
        index: u32,
        /// Its end (offset + length).
        end: u64,
        /// What it must fit in: `memory (bytes)` or `table (elements)`.
        what: &'static str,
        /// The initial size.
        size: u64,
    },

    /// The metering pass failed on a module that passed validation (a host-side problem).
    #[error("gas metering failed: {0}")]
    Instrumentation(String),
}

impl DeployError {
    /// The receipt code for this rejection (all in the 200-299 deploy range).
    ///
    /// [`DeployError::Instrumentation`] maps to [`ErrorCode::CompileFailed`]: the module was
    /// accepted by the gate but could not be turned into an executable artifact.
    pub fn code(&self) -> ErrorCode {
        match self {
            DeployError::InvalidWasm(_) => ErrorCode::InvalidWasm,
            DeployError::DisabledFeature(_) => ErrorCode::DisabledFeature,
            DeployError::ForbiddenImport { .. }
            | DeployError::ImportSignatureMismatch { .. }
            | DeployError::NonFunctionImport { .. } => ErrorCode::ForbiddenImport,
            DeployError::LimitExceeded { .. } => ErrorCode::LimitExceeded,
            DeployError::MissingMemory
            | DeployError::ReservedExport(_)
            | DeployError::EntryPointSignature { .. }
            | DeployError::NoEntryPoint => ErrorCode::BadExports,
            DeployError::StartFunction => ErrorCode::StartFunctionForbidden,
            DeployError::Instrumentation(_) | DeployError::SegmentOutOfBounds { .. } => ErrorCode::CompileFailed,
        }
    }
}

impl From<wasmparser::BinaryReaderError> for DeployError {
    fn from(err: wasmparser::BinaryReaderError) -> Self {
        DeployError::InvalidWasm(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deploy_error_code_every_variant_is_in_deploy_range() {
        let all = [
            DeployError::InvalidWasm("x".into()),
            DeployError::DisabledFeature("x".into()),
            DeployError::ForbiddenImport { module: "env".into(), name: "f".into() },
            DeployError::ImportSignatureMismatch {
                name: "f".into(),
                expected: "() -> ()".into(),
                found: "(i32) -> ()".into(),
            },
            DeployError::NonFunctionImport { module: "env".into(), name: "m".into() },
            DeployError::LimitExceeded { limit: "max_types", value: 2, max: 1 },
            DeployError::MissingMemory,
            DeployError::StartFunction,
            DeployError::ReservedExport("__vmhost_gas_left".into()),
            DeployError::Instrumentation("x".into()),
        ];
        for err in &all {
            assert!(err.code().is_deploy(), "{err} -> {}", err.code());
            assert!(!err.to_string().is_empty());
        }
        assert_eq!(all[0].code(), ErrorCode::InvalidWasm);
        assert_eq!(all[1].code(), ErrorCode::DisabledFeature);
        assert_eq!(all[3].code(), ErrorCode::ForbiddenImport);
        assert_eq!(all[5].code(), ErrorCode::LimitExceeded);
        assert_eq!(all[8].code(), ErrorCode::BadExports);
        assert_eq!(all[7].code(), ErrorCode::StartFunctionForbidden);
    }
}
