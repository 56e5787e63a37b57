//! # counter — the smallest useful vmhost contract
//!
//! One `u64` in storage, incremented by anyone. The C (`examples/c-counter`) and WAT
//! (`examples/wat/counter.wat`) counters behave byte for byte the same, which lets the host's
//! tests check that the ABI is language neutral.
//!
//! | entry       | input   | return                     | event                                          |
//! |-------------|---------|----------------------------|------------------------------------------------|
//! | `increment` | ignored | new value, 8-byte LE `u64` | topic `blake3("Incremented")`, data = new value (8-byte LE) |
//! | `get`       | ignored | value, 8-byte LE `u64`     | none                                           |
//!
//! Storage: one slot, `slot(0, b"counter")` = `self_address[..16] ‖ blake3(0x00 ‖ "counter")[..16]`,
//! holding the value as 8 little-endian bytes (absent until the first `increment`, read as 0).
#![no_std]

use vmhost_guest::{emit_event, read_u64, set_return, slot, topic, write_u64};

/// Mapping number of the counter's slot (the `disc` byte of the slot layout).
const COUNTER_DISC: u8 = 0;
/// Key of the counter's slot within that mapping.
const COUNTER_KEY: &[u8] = b"counter";

/// Entry point `increment`: value += 1 (wrapping), store it, emit `Incremented`, return it.
#[no_mangle]
pub extern "C" fn increment() {
    let key = slot(COUNTER_DISC, COUNTER_KEY);
    // An empty slot reads as 0; the increment wraps at u64::MAX like the C and WAT versions.
    let value = read_u64(&key).wrapping_add(1);
    write_u64(&key, value);

    let bytes = value.to_le_bytes();
    emit_event(&topic("Incremented"), &bytes);
    set_return(&bytes);
}

/// Entry point `get`: return the current value (0 before the first `increment`). Writes
/// nothing, so it also works inside a static call.
#[no_mangle]
pub extern "C" fn get() {
    let value = read_u64(&slot(COUNTER_DISC, COUNTER_KEY));
    set_return(&value.to_le_bytes());
}
