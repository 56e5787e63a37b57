//! The engine backstops every wasm backend sizes from the consensus parameters: its own memory
//! limit, stack limit and table size must lie *beyond* every limit the host enforces, so a
//! prepared module stops at the host's limit (the same point on every engine) and an engine's
//! own limit is never reached (reaching one is a [`VmError::Backstop`](crate::VmError), an
//! infrastructure failure).

use crate::params::ConsensusParams;

/// Most native stack one unit of the host's stack budget can take in code Cranelift compiles
/// for x86-64: measured at up to 15 bytes (parameters passed on the stack; 8 bytes per live
/// value otherwise, 16 bytes for an empty frame; `vm-plugins/wasmtime/tests/frame_probe.rs`).
/// Other code generators may need more: a backend sizes its stack with its own margin.
pub const BYTES_PER_STACK_UNIT: usize = 16;

/// Bytes in a wasm page.
pub const PAGE: usize = 64 * 1024;

/// The sizes of an engine's own limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backstops {
    /// Linear memory per instance, bytes.
    pub memory_bytes: usize,
    /// Native stack a call's wasm frames may take, bytes.
    pub stack_bytes: usize,
    /// Elements of a table.
    pub table_elements: u64,
}

impl Backstops {
    /// Backstops just beyond `params`: the transaction memory cap, `stack_factor` times the
    /// stack the budget can take at [`BYTES_PER_STACK_UNIT`] (clamped to `stack_clamp`), the
    /// gate's table limit.
    pub fn for_params(params: &ConsensusParams, stack_factor: usize, stack_clamp: (usize, usize)) -> Backstops {
        let stack = (params.stack_limit as usize).saturating_mul(BYTES_PER_STACK_UNIT).saturating_mul(stack_factor);
        Backstops {
            memory_bytes: params.memory.max_tx_pages as usize * PAGE,
            stack_bytes: stack.clamp(stack_clamp.0, stack_clamp.1),
            table_elements: params.wasm.max_table_size,
        }
    }

    /// The larger of each backstop.
    pub fn max(self, other: Backstops) -> Backstops {
        Backstops {
            memory_bytes: self.memory_bytes.max(other.memory_bytes),
            stack_bytes: self.stack_bytes.max(other.stack_bytes),
            table_elements: self.table_elements.max(other.table_elements),
        }
    }

    /// Whether these backstops lie beyond every limit the host enforces under `params`; the
    /// error names the parameter that does not fit.
    pub fn check(&self, params: &ConsensusParams) -> Result<(), String> {
        let memory = params.memory.max_tx_pages as usize * PAGE;
        if self.memory_bytes < memory {
            return Err(format!(
                "memory backstop {} bytes is below the transaction memory cap {memory} (consensus.memory.max_tx_pages)",
                self.memory_bytes
            ));
        }
        let stack = (params.stack_limit as usize).saturating_mul(BYTES_PER_STACK_UNIT);
        if self.stack_bytes < stack {
            return Err(format!(
                "wasm stack backstop {} bytes is below the {stack} bytes the stack budget can take (consensus.stack_limit = {})",
                self.stack_bytes, params.stack_limit
            ));
        }
        if self.table_elements < params.wasm.max_table_size {
            return Err(format!(
                "the engine holds tables of {} elements, below consensus.wasm.max_table_size = {}",
                self.table_elements, params.wasm.max_table_size
            ));
        }
        Ok(())
    }
}
