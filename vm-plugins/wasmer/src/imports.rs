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
/// Every signature of ABI v1 gets a typed host function (wasmer calls those without boxing
/// values); a signature appended later falls back to a dynamic one until it is listed here.
pub(crate) fn externs(store: &mut Store, env: &FunctionEnv<Env>, specs: &[&'static HostFnSpec]) -> Vec<Extern> {
    specs.iter().map(|&spec| Extern::Function(function(store, env, spec))).collect()
}

/// A raw wasm argument as the host's `u64` (`i32` zero-extended).
trait Raw {
    fn raw(self) -> u64;
}

impl Raw for i32 {
    fn raw(self) -> u64 {
        self as u32 as u64
    }
}

impl Raw for i64 {
    fn raw(self) -> u64 {
        self as u64
    }
}

macro_rules! typed {
    ($store:expr, $env:expr, $spec:expr, ($($a:ident: $t:ty),*) -> ()) => {
        Function::new_typed_with_env($store, $env, move |mut fe: FunctionEnvMut<'_, Env>, $($a: $t),*| -> Result<(), HostTrap> {
            dispatch($spec, &mut fe, &[$($a.raw()),*]).map(|_| ())
        })
    };
    ($store:expr, $env:expr, $spec:expr, ($($a:ident: $t:ty),*) -> i32) => {
        Function::new_typed_with_env($store, $env, move |mut fe: FunctionEnvMut<'_, Env>, $($a: $t),*| -> Result<i32, HostTrap> {
            dispatch($spec, &mut fe, &[$($a.raw()),*]).map(|v| v as u32 as i32)
        })
    };
    ($store:expr, $env:expr, $spec:expr, ($($a:ident: $t:ty),*) -> i64) => {
        Function::new_typed_with_env($store, $env, move |mut fe: FunctionEnvMut<'_, Env>, $($a: $t),*| -> Result<i64, HostTrap> {
            dispatch($spec, &mut fe, &[$($a.raw()),*]).map(|v| v as i64)
        })
    };
}

fn function(store: &mut Store, env: &FunctionEnv<Env>, spec: &'static HostFnSpec) -> Function {
    use ValType::{I32, I64};
    match (spec.params, spec.results) {
        ([], [I32]) => typed!(store, env, spec, () -> i32),
        ([], [I64]) => typed!(store, env, spec, () -> i64),
        ([I32], []) => typed!(store, env, spec, (a: i32) -> ()),
        ([I64], []) => typed!(store, env, spec, (a: i64) -> ()),
        ([I32, I32], []) => typed!(store, env, spec, (a: i32, b: i32) -> ()),
        ([I32, I32, I32], []) => typed!(store, env, spec, (a: i32, b: i32, c: i32) -> ()),
        ([I32, I32, I32], [I32]) => typed!(store, env, spec, (a: i32, b: i32, c: i32) -> i32),
        ([I32, I32, I32, I32], [I32]) => typed!(store, env, spec, (a: i32, b: i32, c: i32, d: i32) -> i32),
        ([I32, I32, I32, I32, I32, I32], [I32]) => {
            typed!(store, env, spec, (a: i32, b: i32, c: i32, d: i32, e: i32, f: i32) -> i32)
        }
        ([I32, I32, I32, I32, I32, I64], [I32]) => {
            typed!(store, env, spec, (a: i32, b: i32, c: i32, d: i32, e: i32, f: i64) -> i32)
        }
        ([I32, I32, I32, I32, I32, I32, I64], [I32]) => {
            typed!(store, env, spec, (a: i32, b: i32, c: i32, d: i32, e: i32, f: i32, g: i64) -> i32)
        }
        _ => dynamic(store, env, spec),
    }
}

/// A dynamic host function for `spec` (any signature).
fn dynamic(store: &mut Store, env: &FunctionEnv<Env>, spec: &'static HostFnSpec) -> Function {
    let ty = FunctionType::new(
        spec.params.iter().map(|t| wasm_type(*t)).collect::<Vec<_>>(),
        spec.results.iter().map(|t| wasm_type(*t)).collect::<Vec<_>>(),
    );
    Function::new_with_env(store, env, ty, move |mut fe, args| {
        let mut raw = [0u64; 8];
        for (slot, v) in raw.iter_mut().zip(args) {
            *slot = match v {
                Value::I32(x) => x.raw(),
                Value::I64(x) => x.raw(),
                _ => return Err(trap(ErrorCode::OtherTrap)),
            };
        }
        let v =
            dispatch(spec, &mut fe, &raw[..args.len().min(raw.len())]).map_err(|t| RuntimeError::user(Box::new(t)))?;
        Ok(match spec.results.first() {
            Some(ValType::I32) => vec![Value::I32(v as u32 as i32)],
            Some(ValType::I64) => vec![Value::I64(v as i64)],
            None => Vec::new(),
        })
    })
}

/// One host call: the guest's gas and stack counters and memory to the host's single ABI
/// implementation and back.
fn dispatch(spec: &'static HostFnSpec, fe: &mut FunctionEnvMut<'_, Env>, args: &[u64]) -> Result<u64, HostTrap> {
    let (data, mut store) = fe.data_and_store_mut();
    let (Some(host), Some(memory), Some(gas)) = (data.host, data.memory.as_ref(), data.gas.as_ref()) else {
        return Err(HostTrap::new(ErrorCode::OtherTrap));
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
        let (ptr, len) = (view.data_ptr(), view.data_size() as usize);
        // SAFETY: the instance's whole linear memory; it is used only during this host call,
        // which neither grows that memory nor runs its instance (a nested call runs another
        // instance in another store).
        let mem = unsafe { std::slice::from_raw_parts_mut(ptr, len) };
        let mut mem = TrackedMemory::new(mem, &mut data.host_writes, stack_left);
        // SAFETY: `host` points at the `&mut dyn Host` passed to `Module::call`, which outlives
        // the call and is not otherwise used while the guest runs.
        let host = unsafe { &mut *host.as_ptr() };
        host.host_call(spec.id, args, &mut mem, &mut gas_left)
    };
    gas.set(&mut store, Value::I64(gas_left as i64)).map_err(|_| HostTrap::new(ErrorCode::OtherTrap))?;
    r
}
