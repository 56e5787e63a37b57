//! The deterministic wasmer configuration and the backend's options.

use vmhost::wasm::Backstops;
use vmhost::ConsensusParams;
use wasmer::sys::Features;

/// Which of wasmer's code generators compiles contracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compiler {
    /// Cranelift (optimising; the default): the faster code.
    Cranelift,
    /// Singlepass (one pass, linear time): the faster compile, a compile-bomb-proof choice.
    Singlepass,
}

impl Compiler {
    /// `"cranelift"` or `"singlepass"`.
    pub fn name(self) -> &'static str {
        match self {
            Compiler::Cranelift => "cranelift",
            Compiler::Singlepass => "singlepass",
        }
    }
}

/// Options of the wasmer backend.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WasmerConfig {
    /// The code generator.
    pub compiler: Compiler,
    /// Linear-memory backstop per instance, bytes (the host's limits pass stops a call at the
    /// transaction's memory cap first; [`WasmerConfig::fit`] sizes this to it).
    pub memory_limit: usize,
    /// Size of the stack wasmer runs a call's wasm frames on (a coroutine stack of its own, one
    /// per nesting level): a backstop four times what the host's stack budget can take at
    /// [`vmhost::wasm::BYTES_PER_STACK_UNIT`] (Singlepass frames are larger than Cranelift's),
    /// at least 1 MiB.
    pub wasm_stack: usize,
    /// Largest table, in elements.
    pub table_elements: u64,
    /// Idle instances kept warm for the next top-level call of the same contract, across all
    /// contracts (default 64; 0 = a fresh instance per call). wasmer has no pooling allocator:
    /// a fresh instance maps its memory and builds its imports, so warm reuse, with the host's
    /// exact reset, is what makes repeated calls cheap.
    pub instance_reuse: u32,
}

/// How many times what the stack budget can take the coroutine stack is sized to.
const STACK_FACTOR: usize = 4;
/// The wasm stack is at least this large (wasmer's own default) and at most wasmer's maximum.
const STACK_CLAMP: (usize, usize) = (1 << 20, 100 << 20);

fn backstops(params: &ConsensusParams) -> Backstops {
    Backstops::for_params(params, STACK_FACTOR, STACK_CLAMP)
}

impl Default for WasmerConfig {
    fn default() -> Self {
        let b = backstops(&ConsensusParams::default());
        Self {
            compiler: Compiler::Cranelift,
            memory_limit: b.memory_bytes,
            wasm_stack: b.stack_bytes,
            table_elements: b.table_elements,
            instance_reuse: 64,
        }
    }
}

impl WasmerConfig {
    /// The default configuration with `compiler`.
    pub fn with_compiler(compiler: Compiler) -> Self {
        Self { compiler, ..Self::default() }
    }

    /// Whether deploys run the write-tracking pass (`instance_reuse` > 0), so that calls can
    /// run on warm instances. Part of the artifact tag.
    pub fn tracks_writes(&self) -> bool {
        self.instance_reuse > 0
    }

    /// Sizes the backstops to `params` (the one path from the consensus parameters to this
    /// backend).
    pub fn fit(&mut self, params: &ConsensusParams) -> &mut Self {
        let b = backstops(params);
        self.memory_limit = b.memory_bytes;
        self.wasm_stack = b.stack_bytes;
        self.table_elements = b.table_elements;
        self
    }

    /// [`WasmerConfig::fit`] to the largest needs of every parameter set of a chain.
    pub fn fit_chain(&mut self, exec: &vmhost::ExecConfig) -> &mut Self {
        let all = exec
            .param_sets()
            .map(backstops)
            .reduce(Backstops::max)
            .unwrap_or_else(|| backstops(&ConsensusParams::default()));
        self.memory_limit = all.memory_bytes;
        self.wasm_stack = all.stack_bytes;
        self.table_elements = all.table_elements;
        self
    }

    /// Whether the backstops lie beyond every limit the host enforces under `params`.
    pub fn check(&self, params: &ConsensusParams) -> Result<(), String> {
        Backstops { memory_bytes: self.memory_limit, stack_bytes: self.wasm_stack, table_elements: self.table_elements }
            .check(params)
    }

    /// Sets the compiler.
    pub fn compiler(&mut self, c: Compiler) -> &mut Self {
        self.compiler = c;
        self
    }
    /// Sets how many idle warm instances are kept (0 = a fresh instance per call).
    pub fn instance_reuse(&mut self, instances: u32) -> &mut Self {
        self.instance_reuse = instances;
        self
    }
}

/// The wasm features the engine validates with: the host's deterministic profile (bulk memory
/// and multi-value on; threads, SIMD, relaxed SIMD, reference types, tail calls, multi-memory,
/// memory64, exceptions, extended constants and wide arithmetic off). wasmer's validator always
/// accepts mutable globals, saturating conversions, floats and sign extension; the host's gate
/// decides those (a module reaches this backend only after the gate).
pub fn features() -> Features {
    let mut f = Features::none();
    f.bulk_memory = true;
    f.multi_value = true;
    f
}
