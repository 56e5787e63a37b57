//! # traps — one entry point per way a contract can fail
//!
//! The host's tests call these to produce every receipt code a guest fault can yield. Each
//! entry takes no input (anything is ignored) and never returns normally. Where a real wasm
//! trap is wanted, Rust's own checks are kept out of the way (a Rust panic would go through
//! the SDK's panic handler and *revert* with `"panic"` instead of trapping):
//! `core::hint::black_box` hides constants from the optimiser, raw pointers and
//! `core::arch::wasm32` reach the instructions directly.
//!
//! | entry                  | what it does                                          | expected code |
//! |------------------------|-------------------------------------------------------|---------------|
//! | `loop_forever`         | `loop {}`                                             | 300 OutOfGas (or 306 Timeout) |
//! | `oob`                  | `i64.load` at address 0xFFFF_FFF0                     | 301 MemoryOutOfBounds |
//! | `div_zero`             | `i32.div_u` by 0                                      | 303 IntegerDivisionByZero |
//! | `overflow`             | `i32.div_s` of `i32::MIN` by -1                       | 302 IntegerOverflow |
//! | `recurse`              | unbounded (non-tail) recursion                        | 304 StackOverflow |
//! | `unreachable`          | the `unreachable` instruction                         | 305 Unreachable |
//! | `grow_memory`          | `memory.grow` by 16384 pages until it fails, then reverts `"memory limit"` | 500 Reverted `"memory limit"` (or 307 MemoryLimit / 300 OutOfGas if the host traps first) |
//! | `host_error`           | `sstore` of a 1 MiB value (a length the memory does not hold: the host checks it first) | 403 ValueTooLarge |
//! | `value_just_too_large` | `sstore` of `MAX_VALUE_LEN + 1` = 16385 bytes         | 403 ValueTooLarge |
//! | `event_too_large`      | `emit_event` with `MAX_EVENT_DATA + 1` = 8193 bytes   | 409 EventTooLarge |
//! | `transfer_too_much`    | `transfer` of own balance + 1 to the caller           | 400 InsufficientBalance |
//! | `guest_oob`            | `set_return` of 32 bytes starting 16 bytes before the end of memory | 402 GuestMemoryOutOfBounds |
//! | `bad_input_range`      | `input_read` of 1 byte at offset `input_len()`       | 411 InvalidArgument |
//! | `consume_all_gas`      | `consume_gas(u64::MAX)`                               | 300 OutOfGas |
//! | `panic`                | a Rust panic (index out of bounds)                    | 500 Reverted `"panic"` (SDK panic handler) |
//!
//! `div_zero` and `overflow` rely on `core::hint::assert_unchecked` to drop Rust's own
//! division checks: stable Rust has no other way to emit a bare `i32.div_*`. The promise is
//! deliberately false, so the result is a trap only because the black-boxed operands keep
//! LLVM from reasoning about them; a disassembly of the module (e.g. `wasm-tools print`)
//! shows the bare `i32.div_u` / `i32.div_s` with no check in front. `examples/wat/traps.wat`
//! produces the same traps without any such trick.
#![no_std]

use core::hint::black_box;
use vmhost_guest::{
    balance, caller, consume_gas, emit_event, input_len, read_input_at, revert, self_address, set_return, sstore, sys,
    transfer,
};

/// Size of the buffer of zeros for the just-too-large values.
const BIG_LEN: usize = 32 * 1024;

/// 32 KiB of zeros for the just-too-large values. A zero-initialised `static mut` lands in
/// `.bss`: it enlarges the initial memory but adds nothing to the module's size. (Initial
/// memory is paid per page when a call instantiates the module, and capped by the gate.)
static mut BIG: [u8; BIG_LEN] = [0; BIG_LEN];

/// The big buffer's first `len` bytes (`len` <= 32 KiB).
fn big(len: usize) -> &'static [u8] {
    let len = core::cmp::min(len, BIG_LEN);
    // SAFETY: in bounds (len <= BIG_LEN), and nothing ever writes BIG, so this shared view
    // never aliases a mutable one.
    unsafe { core::slice::from_raw_parts(core::ptr::addr_of!(BIG).cast::<u8>(), len) }
}

/// Largest storage value in bytes (`vmhost_abi::gas::MAX_VALUE_LEN`).
const MAX_VALUE_LEN: usize = 16 * 1024;
/// Largest event payload in bytes (`vmhost_abi::gas::MAX_EVENT_DATA`).
const MAX_EVENT_DATA: usize = 8 * 1024;

/// Spins until the host stops it: metering runs out of gas (or the wall-clock budget ends).
#[no_mangle]
pub extern "C" fn loop_forever() {
    #[allow(clippy::empty_loop)]
    loop {}
}

/// Loads 8 bytes from an address far beyond the (few-page) linear memory.
#[no_mangle]
pub extern "C" fn oob() {
    let addr = black_box(0xFFFF_FFF0usize) as *const u64;
    // SAFETY: not safe at all, on purpose: the load traps before any value exists.
    let v = unsafe { core::ptr::read_volatile(addr) };
    set_return(&v.to_le_bytes());
}

/// `i32.div_u` with a zero divisor.
#[no_mangle]
pub extern "C" fn div_zero() {
    let a: u32 = black_box(1);
    let b: u32 = black_box(0);
    // SAFETY: deliberately false; it only removes Rust's zero check so that the wasm
    // division instruction itself traps (see the crate docs).
    unsafe { core::hint::assert_unchecked(b != 0) };
    set_return(&(a / b).to_le_bytes());
}

/// `i32.div_s` of `i32::MIN` by -1 (the quotient does not fit in an i32).
#[no_mangle]
pub extern "C" fn overflow() {
    let a: i32 = black_box(i32::MIN);
    let b: i32 = black_box(-1);
    // SAFETY: deliberately false, as in `div_zero`. (Promising `b != -1` is what removes
    // Rust's overflow check; a promise about `a` and `b` together is not used by LLVM.)
    unsafe {
        core::hint::assert_unchecked(b != 0);
        core::hint::assert_unchecked(b != -1);
    }
    set_return(&(a / b).to_le_bytes());
}

/// Recursion that can neither be turned into a loop (two calls, neither in tail position)
/// nor uses the shadow stack in linear memory (everything stays in wasm locals), so the
/// engine's own call stack overflows. Depth requested: about 4 billion.
#[inline(never)]
fn deep(n: u32) -> u32 {
    if n == 0 {
        return 1;
    }
    deep(n.wrapping_sub(1)).wrapping_add(deep(n >> 1))
}

/// Unbounded recursion: the wasm call stack overflows.
#[no_mangle]
pub extern "C" fn recurse() {
    // Derived from a host call so the optimiser cannot evaluate `deep` at compile time.
    let n = u32::MAX - input_len() as u32;
    set_return(&deep(n).to_le_bytes());
}

/// The `unreachable` instruction (what a Rust panic lowers to without a panic handler).
#[no_mangle]
pub extern "C" fn unreachable() {
    core::arch::wasm32::unreachable()
}

/// Grows memory by 16384 pages (1 GiB) at a time until `memory.grow` fails (returns -1),
/// then reverts with `"memory limit"`. A host may instead trap the grow itself.
#[no_mangle]
pub extern "C" fn grow_memory() {
    loop {
        if core::arch::wasm32::memory_grow::<0>(black_box(16384)) == usize::MAX {
            revert(b"memory limit");
        }
    }
}

/// `sstore` of a 1 MiB value (limit: 16 KiB): the host refuses with ValueTooLarge. The length
/// is checked before any byte is read, so the memory need not hold the value. (`sstore` costs
/// 5000 + 10 per byte: about 10.5 M gas here if the host charged before it checked the length.)
#[no_mangle]
pub extern "C" fn host_error() {
    let key = [7u8; 32];
    // SAFETY: the host rejects the length before it reads anything at the value pointer.
    unsafe { sys::sstore(key.as_ptr(), core::ptr::null(), 1 << 20) };
}

/// `sstore` of one byte more than the limit.
#[no_mangle]
pub extern "C" fn value_just_too_large() {
    sstore(&[7u8; 32], big(MAX_VALUE_LEN + 1));
}

/// `emit_event` with one byte more than the event payload limit.
#[no_mangle]
pub extern "C" fn event_too_large() {
    emit_event(&[7u8; 32], big(MAX_EVENT_DATA + 1));
}

/// Sends the caller one unit more than this contract owns.
#[no_mangle]
pub extern "C" fn transfer_too_much() {
    let own = balance(&self_address());
    transfer(&caller(), own.saturating_add(1));
}

/// Passes the host a pointer/length pair that runs 16 bytes past the end of linear memory.
#[no_mangle]
pub extern "C" fn guest_oob() {
    let end = core::arch::wasm32::memory_size::<0>() * 65536;
    // SAFETY: the host checks guest ranges; this one fails the check, on purpose.
    unsafe { sys::set_return((end - 16) as *const u8, 32) };
}

/// Asks for one input byte past the end of the input.
#[no_mangle]
pub extern "C" fn bad_input_range() {
    let mut byte = [0u8; 1];
    read_input_at(input_len(), &mut byte);
}

/// Charges more gas than any transaction can carry.
#[no_mangle]
pub extern "C" fn consume_all_gas() {
    consume_gas(u64::MAX);
}

/// A Rust panic: the SDK's panic handler reverts with `"panic"`.
#[no_mangle]
pub extern "C" fn panic() {
    let table = [1u8, 2, 3, 4];
    let i = black_box(10usize);
    set_return(&[table[i]]);
}
