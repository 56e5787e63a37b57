//! # events — emitting events, and losing them on revert
//!
//! | entry              | input                 | effect                                                        |
//! |--------------------|-----------------------|---------------------------------------------------------------|
//! | `emit`             | N: 4-byte LE `u32`    | emits N events, topic `blake3("Ping")`, data = index 0..N-1 as 4-byte LE `u32`; returns nothing |
//! | `emit_then_revert` | ignored               | emits one `Ping` (data = 4 zero bytes), then reverts with `"emit_then_revert"`: the host must discard the event |
//!
//! `emit` with another input length reverts with `"bad input length"`. Since a transaction may
//! emit at most 1024 events (`MAX_EVENTS_PER_TX`), `emit` with N = 1025 ends in the host error
//! `TooManyEvents`.
#![no_std]

use vmhost_guest::{emit_event, input_exact, revert, topic};

/// Entry point `emit`: N `Ping` events numbered 0..N.
#[no_mangle]
pub extern "C" fn emit() {
    let Some(n) = input_exact::<4>() else { revert(b"bad input length") };
    let n = u32::from_le_bytes(n);
    // Hash the topic once, outside the loop.
    let ping = topic("Ping");
    for i in 0..n {
        emit_event(&ping, &i.to_le_bytes());
    }
}

/// Entry point `emit_then_revert`: an event that must never reach a receipt.
#[no_mangle]
pub extern "C" fn emit_then_revert() {
    emit_event(&topic("Ping"), &0u32.to_le_bytes());
    revert(b"emit_then_revert");
}
