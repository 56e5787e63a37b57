//! The linker: one import per row of the ABI table, each only marshalling arguments, guest
//! memory and gas between wasmtime and the host's single ABI implementation.

use std::mem::MaybeUninit;
use std::ptr::NonNull;

use vmhost::wasm::TrackedMemory;
use vmhost::{Host, HostTrap};
use vmhost_abi::{ValType, HOST_FUNCTIONS, IMPORT_MODULE};
use wasmtime::{Caller, Engine, FuncType, Linker, Memory, Val, ValRaw};

use crate::Counters;

/// Per-call store data.
pub(crate) struct StoreData {
    /// The host of the current call. Set for the duration of `Module::call` only.
    pub host: Option<NonNull<dyn Host>>,
    /// The instance's exported memory.
    pub memory: Option<Memory>,
    /// The instance's counters (gas, stack units, memory pages) for the current call.
    pub counters: Option<Counters>,
    /// Memory growth limiter.
    pub limiter: crate::MemoryLimiter,
    /// The range of guest memory host functions wrote during the call, `[lo, hi)`
    /// ([`NOTHING_WRITTEN`] when none): a warm instance's reset restores it too.
    pub host_writes: (u32, u32),
}

impl StoreData {
    /// Forgets the call that just ended: the host pointer (so the store may move between
    /// threads), the instance's memory and counters.
    pub(crate) fn end_call(&mut self) {
        self.host = None;
        self.memory = None;
        self.counters = None;
    }
}

fn wasm_type(t: ValType) -> wasmtime::ValType {
    match t {
        ValType::I32 => wasmtime::ValType::I32,
        ValType::I64 => wasmtime::ValType::I64,
    }
}

fn read_gas(caller: &mut Caller<'_, StoreData>) -> wasmtime::Result<u64> {
    match caller.data().counters.and_then(|c| c.gas) {
        Some(g) => Ok(g.get(&mut *caller).i64().unwrap_or(0).max(0) as u64),
        None => caller.get_fuel(),
    }
}

fn write_gas(caller: &mut Caller<'_, StoreData>, gas: u64) -> wasmtime::Result<()> {
    match caller.data().counters.and_then(|c| c.gas) {
        Some(g) => g.set(&mut *caller, Val::I64(gas as i64)),
        None => caller.set_fuel(gas),
    }
}

/// The guest's stack units left.
fn read_stack(caller: &mut Caller<'_, StoreData>) -> Option<u32> {
    let g = caller.data().counters?.stack;
    g.get(&mut *caller).i32().and_then(|v| u32::try_from(v).ok())
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
            let stack_left = if f.is_call() { read_stack(&mut caller) } else { None };
            let (Some(memory), Some(host)) = (caller.data().memory, caller.data().host) else {
                return Err(wasmtime::Error::new(HostTrap::new(vmhost_abi::ErrorCode::OtherTrap)));
            };
            let (mem, data) = memory.data_and_store_mut(&mut caller);
            let mut mem = TrackedMemory::new(mem, &mut data.host_writes, stack_left);
            // SAFETY: `host` points at the `&mut dyn Host` passed to `Module::call`, which
            // outlives the call and is not otherwise used while the guest runs.
            let host = unsafe { &mut *host.as_ptr() };
            let r = host.host_call(f, &args[..params.len()], &mut mem, &mut gas);
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
