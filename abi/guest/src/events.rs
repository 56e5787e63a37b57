//! Events: a 32-byte topic and a payload, discarded if the call reverts.

use crate::{crypto, sys};

/// Appends an event to this call.
///
/// Cost: 375 gas + 8 per data byte. Traps with `EventTooLarge` (data above 8 KiB),
/// `TooManyEvents` (above 1024 per transaction) or `StaticCallViolation`.
#[inline]
pub fn emit_event(topic: &[u8; 32], data: &[u8]) {
    unsafe { sys::emit_event(topic.as_ptr(), data.as_ptr(), data.len()) }
}

/// The conventional topic of an event named `name`: `blake3(name)` (UTF-8 bytes, no terminator).
///
/// Contracts in any language compute the same topic, e.g. `topic("Transfer")`.
#[inline]
pub fn topic(name: &str) -> [u8; 32] {
    crypto::blake3(name.as_bytes())
}
