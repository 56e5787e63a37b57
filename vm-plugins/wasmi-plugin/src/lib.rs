//! # vmhost-wasmi-plugin — wasmi 2.0 as a third-party VM plugin
//!
//! A shared library that depends on `vmhost-plugin-interface` only. It takes the module the
//! host's pipeline prepared ([`CodeFormat::PreparedWasm`]: gated, stack-limited and gas-metered
//! by the host), so its receipts and gas equal wasmtime's and wasmer's by construction; the
//! conformance kit checks it, loaded from its `.so`.
//!
//! - **Compile** validates and translates the module with wasmi (`CompilationMode::Eager`, so
//!   no translation happens during a call) and keeps the prepared bytes as the artifact: wasmi
//!   has no serialised form, and translating again on a cache miss is what it is built for.
//! - **Call**: a fresh `Store` with a memory and table limiter (the host's backstops), the
//!   module instantiated through a linker of every ABI v1 host function (each forwarding to
//!   the host's one `host_call`), the call's gas, stack units and memory pages written into the
//!   prepared module's counters, the entry point run; a trap is reported engine-neutrally with
//!   the counters, and the host names the code.
//! - **Faults**: wasmi calls host functions from handlers that cannot unwind, so the import
//!   glue runs under [`catch`]; a panic there, like one anywhere else in the plugin, reaches
//!   the host as an infrastructure error.
//! - **Stacks**: wasm calls run on wasmi's own heap stacks (recursion depth and value stack
//!   sized beyond the host's stack budget); only a nested call (host → plugin again) takes
//!   native stack.

use std::ptr::NonNull;

use vmhost_plugin_interface::vmhost_abi::{ErrorCode, HostFn, HostFnSpec, ValType, HOST_FUNCTIONS, IMPORT_MODULE};
use vmhost_plugin_interface::{
    catch, export_plugin, CallArgs, CallOutcome, CodeFormat, ErrorKind, Host, HostConfig, Plugin, PluginError,
    PluginInfo, PluginModule, Trap, CAP_CONCURRENT_CALLS, CAP_NESTED_CALLS,
};
use wasmi::{
    Caller, CompilationMode, Config, Engine, FuncType, Global, Linker, Memory, Module, Store, StoreLimits,
    StoreLimitsBuilder, TrapCode, Val,
};

/// The contract type this plugin serves.
pub const CONTRACT_TYPE: &str = "plugin:wasmi";
/// Artifact framing magic (then the prepared module's bytes).
const MAGIC: &[u8; 8] = b"VMHWI\x01\x00\x00";
/// Bytes of wasmi value stack per unit of the host's stack budget (a unit is one value; wasmi
/// keeps a value in an 8-byte cell), times a margin of four.
const VALUE_STACK_BYTES_PER_UNIT: usize = 8 * 4;

/// The wasmi plugin.
pub struct WasmiPlugin {
    engine: Engine,
    linker: Linker<Ctx>,
    config: HostConfig,
    tag: [u8; 32],
}

/// What a store's host functions see during one call.
struct Ctx {
    /// The host of the call (lifetime erased; valid while the call runs on this thread).
    host: Option<NonNull<Host<'static>>>,
    memory: Option<Memory>,
    gas: Option<Global>,
    stack: Option<Global>,
    limits: StoreLimits,
    /// A panic the import glue caught (the call then fails as an infrastructure error).
    panicked: Option<String>,
}

// SAFETY: `host` is only dereferenced by host functions while the call that set it runs, on the
// thread that set it; a store never outlives its call.
unsafe impl Send for Ctx {}

/// A host function refused the call with this ABI code.
#[derive(Debug)]
struct HostCode(u32);

impl std::fmt::Display for HostCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "host trap {}", self.0)
    }
}

impl wasmi::errors::HostError for HostCode {}

/// The import glue panicked (caught).
#[derive(Debug)]
struct GluePanic;

impl std::fmt::Display for GluePanic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the plugin's import glue panicked")
    }
}

impl wasmi::errors::HostError for GluePanic {}

fn wasm_type(t: ValType) -> wasmi::ValType {
    match t {
        ValType::I32 => wasmi::ValType::I32,
        ValType::I64 => wasmi::ValType::I64,
    }
}

/// A 32-byte identifier of `parts` (FNV-1a in four lanes): not a security hash, a format tag.
fn tag_of(parts: &[&[u8]]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (lane, chunk) in out.chunks_mut(8).enumerate() {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ (lane as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for p in parts {
            for b in p.iter().chain(&[0xff]) {
                h ^= u64::from(*b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        chunk.copy_from_slice(&h.to_le_bytes());
    }
    out
}

/// One host call: the guest's gas, stack units and memory to the host and back.
fn glue(
    spec: &'static HostFnSpec,
    caller: &mut Caller<'_, Ctx>,
    params: &[Val],
    results: &mut [Val],
) -> Result<(), wasmi::Error> {
    let mut raw = [0u64; 8];
    for (slot, v) in raw.iter_mut().zip(params) {
        *slot = match v {
            Val::I32(x) => *x as u32 as u64,
            Val::I64(x) => *x as u64,
            _ => return Err(wasmi::Error::host(HostCode(ErrorCode::OtherTrap.as_u32()))),
        };
    }
    let n = params.len().min(raw.len());
    let ctx = caller.data();
    let (Some(host), Some(memory), Some(gas), stack) = (ctx.host, ctx.memory, ctx.gas, ctx.stack) else {
        return Err(wasmi::Error::host(HostCode(ErrorCode::OtherTrap.as_u32())));
    };
    let mut gas_left = gas.get(&*caller).i64().unwrap_or(0).max(0) as u64;
    let stack_left = match (stack, spec.id.is_call()) {
        (Some(g), true) => g.get(&*caller).i32().and_then(|v| u32::try_from(v).ok()),
        _ => None,
    };
    let r = {
        let (mem, ctx) = memory.data_and_store_mut(&mut *caller);
        let _ = ctx;
        // SAFETY: `host` points at the host handed to the running `call`, on this thread.
        let host = unsafe { &mut *host.as_ptr() };
        host.host_call(spec.id as u32, &raw[..n], mem, stack_left, &mut gas_left)
    };
    gas.set(&mut *caller, Val::I64(gas_left as i64)).map_err(|e| wasmi::Error::new(e.to_string()))?;
    match r {
        Ok(v) => {
            if let (Some(t), Some(slot)) = (spec.results.first(), results.first_mut()) {
                *slot = match t {
                    ValType::I32 => Val::I32(v as u32 as i32),
                    ValType::I64 => Val::I64(v as i64),
                };
            }
            Ok(())
        }
        Err(code) => Err(wasmi::Error::host(HostCode(code))),
    }
}

impl Plugin for WasmiPlugin {
    type Module = WasmiModule;

    fn info(_options: &str) -> PluginInfo {
        PluginInfo::current(
            CONTRACT_TYPE,
            "wasmi 2.0",
            CodeFormat::PreparedWasm,
            CAP_NESTED_CALLS | CAP_CONCURRENT_CALLS,
        )
    }

    fn new(config: &HostConfig) -> Result<Self, PluginError> {
        let units = config.stack_limit as usize;
        let mut cfg = Config::default();
        cfg.wasm_mutable_global(true)
            .wasm_sign_extension(true)
            .wasm_saturating_float_to_int(true)
            .wasm_multi_value(true)
            .wasm_bulk_memory(true)
            .floats(true)
            .wasm_reference_types(false)
            .wasm_tail_call(false)
            .wasm_extended_const(false)
            .wasm_multi_memory(false)
            .wasm_custom_page_sizes(false)
            .wasm_wide_arithmetic(false)
            .consume_fuel(false)
            .compilation_mode(CompilationMode::Eager)
            .ignore_custom_sections(true)
            // Backstops beyond the host's stack budget: a frame costs at least 4 units, a unit
            // is one value.
            .set_max_recursion_depth((units / 4 * 2).max(1024))
            .set_max_stack_height((units * VALUE_STACK_BYTES_PER_UNIT).max(1 << 20))
            .set_max_cached_stacks(72);
        let engine = Engine::new(&cfg);
        let mut linker = Linker::new(&engine);
        for spec in HOST_FUNCTIONS {
            let ty =
                FuncType::new(spec.params.iter().map(|t| wasm_type(*t)), spec.results.iter().map(|t| wasm_type(*t)));
            linker
                .func_new(
                    IMPORT_MODULE,
                    spec.name,
                    ty,
                    move |mut caller: Caller<'_, Ctx>, params: &[Val], results: &mut [Val]| {
                        // wasmi runs host functions in handlers that cannot unwind: catch here.
                        match catch("a host function", || Ok(glue(spec, &mut caller, params, results))) {
                            Ok(r) => r,
                            Err(e) => {
                                caller.data_mut().panicked = Some(e.message.to_string());
                                Err(wasmi::Error::host(GluePanic))
                            }
                        }
                    },
                )
                .map_err(|e| PluginError::internal(format!("linker: {e}")))?;
        }
        let tag = tag_of(&[
            b"vmhost-wasmi-plugin/1",
            b"wasmi 2.0.0 eager deterministic",
            &config.stack_limit.to_le_bytes(),
            &config.memory_bytes.to_le_bytes(),
            &config.table_elements.to_le_bytes(),
        ]);
        Ok(WasmiPlugin { engine, linker, config: config.clone(), tag })
    }

    fn artifact_tag(&self) -> [u8; 32] {
        self.tag
    }

    fn native_stack_per_call(&self) -> u64 {
        // wasm frames live on wasmi's heap stacks; a nested call takes the interpreter's entry,
        // the import glue and the FFI shims.
        64 << 10
    }

    fn compile(&self, code: &[u8]) -> Result<Vec<u8>, PluginError> {
        Module::new(&self.engine, code).map_err(|e| PluginError::rejected(ErrorCode::CompileFailed, e.to_string()))?;
        let mut artifact = MAGIC.to_vec();
        artifact.extend_from_slice(code);
        Ok(artifact)
    }

    fn load(&self, artifact: &[u8]) -> Result<WasmiModule, PluginError> {
        let code = artifact
            .strip_prefix(MAGIC.as_slice())
            .ok_or_else(|| PluginError::new(ErrorKind::BadArtifact, "not a wasmi-plugin artifact"))?;
        let module =
            Module::new(&self.engine, code).map_err(|e| PluginError::new(ErrorKind::BadArtifact, e.to_string()))?;
        Ok(WasmiModule {
            module,
            engine: self.engine.clone(),
            linker: self.linker.clone(),
            config: self.config.clone(),
        })
    }
}

/// A loaded module.
pub struct WasmiModule {
    module: Module,
    engine: Engine,
    linker: Linker<Ctx>,
    config: HostConfig,
}

impl WasmiModule {
    fn global(&self, instance: &wasmi::Instance, store: &Store<Ctx>, name: &str) -> Result<Global, PluginError> {
        instance.get_global(store, name).ok_or_else(|| PluginError::internal(format!("prepared module lacks {name}")))
    }
}

impl PluginModule for WasmiModule {
    fn call(&self, call: &CallArgs<'_>, host: &mut Host<'_>) -> Result<CallOutcome, PluginError> {
        // SAFETY (lifetime erasure): the pointer is dereferenced only by this call's host
        // functions, while this call runs; the store holding it is dropped before it returns.
        let host_ptr: NonNull<Host<'static>> =
            unsafe { std::mem::transmute::<NonNull<Host<'_>>, NonNull<Host<'static>>>(NonNull::from(host)) };
        let limits = StoreLimitsBuilder::new()
            .memory_size(usize::try_from(self.config.memory_bytes).unwrap_or(usize::MAX))
            .table_elements(usize::try_from(self.config.table_elements).unwrap_or(usize::MAX))
            .instances(1)
            .memories(1)
            .tables(1)
            .build();
        let ctx = Ctx { host: Some(host_ptr), memory: None, gas: None, stack: None, limits, panicked: None };
        let mut store = Store::new(&self.engine, ctx);
        store.limiter(|c| &mut c.limits);
        let instance = self
            .linker
            .instantiate_and_start(&mut store, &self.module)
            .map_err(|e| PluginError::internal(format!("instantiation failed: {e}")))?;
        let memory = instance
            .get_memory(&store, "memory")
            .ok_or_else(|| PluginError::internal("prepared module exports no memory"))?;
        let gas = self.global(&instance, &store, &self.config.gas_export)?;
        let stack = self.global(&instance, &store, &self.config.stack_export)?;
        let pages = self.global(&instance, &store, &self.config.memory_export)?;
        let as_i32 = |v: u32| Val::I32(i32::try_from(v).unwrap_or(i32::MAX));
        let set = |store: &mut Store<Ctx>, g: &Global, v: Val| {
            g.set(store, v).map_err(|e| PluginError::internal(e.to_string()))
        };
        set(&mut store, &stack, as_i32(call.stack_left))?;
        set(&mut store, &pages, as_i32(call.memory_pages))?;
        set(&mut store, &gas, Val::I64(call.gas_limit as i64))?;
        let data = store.data_mut();
        data.memory = Some(memory);
        data.gas = Some(gas);
        data.stack = Some(stack);
        let Ok(func) = instance.get_typed_func::<(), ()>(&store, call.entry.as_str()) else {
            return Ok(CallOutcome {
                trap: Trap::Code,
                code: ErrorCode::UnknownEntryPoint.as_u32(),
                gas_left: call.gas_limit,
                gas_counter: call.gas_limit as i64,
                stack_counter: 0,
                memory_counter: 0,
            });
        };
        let r = func.call(&mut store, ());
        if let Some(p) = store.data_mut().panicked.take() {
            return Err(PluginError::new(ErrorKind::Panic, p));
        }
        let gas_counter = gas.get(&store).i64().unwrap_or(0);
        let stack_counter = stack.get(&store).i32().unwrap_or(0);
        let memory_counter = pages.get(&store).i32().unwrap_or(0);
        let (trap, code) = match r {
            Ok(()) => (Trap::None, 0),
            Err(e) => classify(&e)?,
        };
        Ok(CallOutcome { trap, code, gas_left: gas_counter.max(0) as u64, gas_counter, stack_counter, memory_counter })
    }
}

/// Names a wasmi error the engine-neutral way, or makes it an infrastructure error: wasmi's own
/// stack limits are backstops a prepared module never reaches.
fn classify(e: &wasmi::Error) -> Result<(Trap, u32), PluginError> {
    if let Some(HostCode(code)) = e.downcast_ref::<HostCode>() {
        return Ok((Trap::Code, *code));
    }
    let Some(code) = e.as_trap_code() else {
        return Err(PluginError::internal(e.to_string()));
    };
    Ok((
        match code {
            TrapCode::UnreachableCodeReached => Trap::Unreachable,
            TrapCode::MemoryOutOfBounds => Trap::MemoryOutOfBounds,
            TrapCode::TableOutOfBounds | TrapCode::IndirectCallToNull | TrapCode::BadSignature => {
                Trap::IndirectCallFault
            }
            TrapCode::IntegerDivisionByZero => Trap::IntegerDivisionByZero,
            TrapCode::IntegerOverflow | TrapCode::BadConversionToInteger => Trap::IntegerOverflow,
            TrapCode::OutOfFuel => Trap::OutOfFuel,
            TrapCode::StackOverflow => {
                return Err(PluginError::new(ErrorKind::Backstop, "wasmi's stack limit"));
            }
            TrapCode::OutOfSystemMemory => return Err(PluginError::internal("wasmi: out of system memory")),
            _ => Trap::Other,
        },
        0,
    ))
}

export_plugin!(WasmiPlugin);

// The id the host passes for a host function is its index in the ABI table.
const _: () = assert!(HostFn::InputLen as u32 == 0);
