//! The linker: one import per row of the ABI table, each only marshalling arguments, guest
//! memory and gas between wasmtime and the host's single ABI implementation.

use std::mem::MaybeUninit;
use std::ptr::NonNull;

use vmhost::{Host, HostTrap, SliceMemory};
use vmhost_abi::{ValType, HOST_FUNCTIONS, IMPORT_MODULE};
use wasmtime::{Caller, Engine, FuncType, Global, Linker, Memory, Val, ValRaw};

/// Per-call store data.
pub(crate) struct StoreData {
    /// The host of the current call. Set for the duration of `Module::call` only.
    pub host: Option<NonNull<dyn Host>>,
    /// The instance's exported memory.
    pub memory: Option<Memory>,
    /// The injected gas global (injected metering), or `None` (engine fuel).
    pub gas: Option<Global>,
    /// Memory growth limiter.
    pub limiter: crate::MemoryLimiter,
}

fn wasm_type(t: ValType) -> wasmtime::ValType {
    match t {
        ValType::I32 => wasmtime::ValType::I32,
        ValType::I64 => wasmtime::ValType::I64,
    }
}

fn read_gas(caller: &mut Caller<'_, StoreData>) -> wasmtime::Result<u64> {
    match caller.data().gas {
        Some(g) => Ok(g.get(&mut *caller).i64().unwrap_or(0).max(0) as u64),
        None => caller.get_fuel(),
    }
}

fn write_gas(caller: &mut Caller<'_, StoreData>, gas: u64) -> wasmtime::Result<()> {
    match caller.data().gas {
        Some(g) => g.set(&mut *caller, Val::I64(gas as i64)),
        None => caller.set_fuel(gas),
    }
}

/// Builds the linker with every host function of ABI v1.
pub(crate) fn linker(engine: &Engine) -> wasmtime::Result<Linker<StoreData>> {
    let mut linker = Linker::new(engine);
    for spec in HOST_FUNCTIONS {
        let f = spec.id;
        let params = spec.params;
        let result = spec.results.first().copied();
        let ty =
            FuncType::new(engine, params.iter().map(|t| wasm_type(*t)), spec.results.iter().map(|t| wasm_type(*t)));
        let func = move |mut caller: Caller<'_, StoreData>, vals: &mut [MaybeUninit<ValRaw>]| -> wasmtime::Result<()> {
            let mut args = [0u64; 8];
            for (i, t) in params.iter().enumerate() {
                // SAFETY: wasmtime initialises the first `params.len()` slots with the
                // arguments of the declared types.
                let v = unsafe { vals[i].assume_init_ref() };
                args[i] = match t {
                    ValType::I32 => v.get_u32() as u64,
                    ValType::I64 => v.get_i64() as u64,
                };
            }
            let mut gas = read_gas(&mut caller)?;
            let (Some(memory), Some(host)) = (caller.data().memory, caller.data().host) else {
                return Err(wasmtime::Error::new(HostTrap::new(vmhost_abi::ErrorCode::OtherTrap)));
            };
            let (mem, _) = memory.data_and_store_mut(&mut caller);
            // SAFETY: `host` points at the `&mut dyn Host` passed to `Module::call`, which
            // outlives the call and is not otherwise used while the guest runs.
            let host = unsafe { &mut *host.as_ptr() };
            let r = host.host_call(f, &args[..params.len()], &mut SliceMemory(mem), &mut gas);
            write_gas(&mut caller, gas)?;
            match r {
                Ok(v) => {
                    if let Some(t) = result {
                        vals[0] = MaybeUninit::new(match t {
                            ValType::I32 => ValRaw::i32(v as u32 as i32),
                            ValType::I64 => ValRaw::i64(v as i64),
                        });
                    }
                    Ok(())
                }
                Err(trap) => Err(wasmtime::Error::new(trap)),
            }
        };
        // SAFETY: the closure reads exactly the declared parameter types and writes the
        // declared result type.
        unsafe {
            linker.func_new_unchecked(IMPORT_MODULE, spec.name, ty, func)?;
        }
    }
    Ok(linker)
}
