//! The imports of one instance: a host function per import of the module, each only
//! marshalling arguments, guest memory and gas between wasmer and the host's single ABI
//! implementation.

use std::ptr::NonNull;

use vmhost::wasm::{TrackedMemory, NOTHING_WRITTEN};
use vmhost::{Host, HostTrap};
use vmhost_abi::{ErrorCode, HostFnSpec, ValType};
use wasmer::{
    Extern, Function, FunctionEnv, FunctionEnvMut, FunctionType, Global, Memory, RuntimeError, Store, Type, Value,
};

/// What the host functions of one instance share: the current call's host and the instance's
/// memory and counters.
pub(crate) struct Env {
    /// The host of the current call. Set for the duration of `Module::call` only.
    pub host: Option<NonNull<dyn Host>>,
    /// The instance's exported memory.
    pub memory: Option<Memory>,
    /// The injected gas counter.
    pub gas: Option<Global>,
    /// The limits pass's stack counter.
    pub stack: Option<Global>,
    /// The range of guest memory host functions wrote during the call, `[lo, hi)`.
    pub host_writes: (u32, u32),
}

impl Default for Env {
    fn default() -> Self {
        Env { host: None, memory: None, gas: None, stack: None, host_writes: NOTHING_WRITTEN }
    }
}

// SAFETY: `host` (a pointer to the caller's `dyn Host`) is the only field that is not `Send`;
// it is set only while `Module::call` runs on the calling thread and cleared before `call`
// returns, so no instance moves between threads with it set.
unsafe impl Send for Env {}

fn wasm_type(t: ValType) -> Type {
    match t {
        ValType::I32 => Type::I32,
        ValType::I64 => Type::I64,
    }
}

fn trap(code: ErrorCode) -> RuntimeError {
    RuntimeError::user(Box::new(HostTrap::new(code)))
}

/// One host function per entry of `specs` (the module's imports, in order), bound to `env`.
pub(crate) fn externs(store: &mut Store, env: &FunctionEnv<Env>, specs: &[&'static HostFnSpec]) -> Vec<Extern> {
    specs
        .iter()
        .map(|&spec| {
            let ty = FunctionType::new(
                spec.params.iter().map(|t| wasm_type(*t)).collect::<Vec<_>>(),
                spec.results.iter().map(|t| wasm_type(*t)).collect::<Vec<_>>(),
            );
            let f = Function::new_with_env(store, env, ty, move |fe, args| host_fn(spec, fe, args));
            Extern::Function(f)
        })
        .collect()
}

fn host_fn(
    spec: &'static HostFnSpec,
    mut fe: FunctionEnvMut<'_, Env>,
    args: &[Value],
) -> Result<Vec<Value>, RuntimeError> {
    let mut raw = [0u64; 8];
    for (slot, v) in raw.iter_mut().zip(args) {
        *slot = match v {
            Value::I32(x) => *x as u32 as u64,
            Value::I64(x) => *x as u64,
            _ => return Err(trap(ErrorCode::OtherTrap)),
        };
    }
    let n = args.len().min(raw.len());
    let (data, mut store) = fe.data_and_store_mut();
    let (Some(host), Some(memory), Some(gas)) = (data.host, data.memory.clone(), data.gas.clone()) else {
        return Err(trap(ErrorCode::OtherTrap));
    };
    let mut gas_left = match gas.get(&mut store) {
        Value::I64(v) => v.max(0) as u64,
        _ => 0,
    };
    let stack_left = match (&data.stack, spec.id.is_call()) {
        (Some(g), true) => match g.get(&mut store) {
            Value::I32(v) => u32::try_from(v).ok(),
            _ => None,
        },
        _ => None,
    };
    let r = {
        let view = memory.view(&store);
        // SAFETY: the slice is the instance's whole linear memory; it is used only during this
        // host call, which neither grows that memory nor runs its instance (a nested call runs
        // another instance in another store).
        let mem = unsafe { view.data_unchecked_mut() };
        let mut mem = TrackedMemory::new(mem, &mut data.host_writes, stack_left);
        // SAFETY: `host` points at the `&mut dyn Host` passed to `Module::call`, which outlives
        // the call and is not otherwise used while the guest runs.
        let host = unsafe { &mut *host.as_ptr() };
        host.host_call(spec.id, &raw[..n], &mut mem, &mut gas_left)
    };
    gas.set(&mut store, Value::I64(gas_left as i64))?;
    match r {
        Ok(v) => Ok(match spec.results.first() {
            Some(ValType::I32) => vec![Value::I32(v as u32 as i32)],
            Some(ValType::I64) => vec![Value::I64(v as i64)],
            None => Vec::new(),
        }),
        Err(t) => Err(RuntimeError::user(Box::new(t))),
    }
}
