//! Contract storage: 32-byte slot keys to byte values, plus the conventional slot layout
//! and little-endian integer helpers.

use crate::{context, crypto, io, sys};

/// Longest `key` [`slot`] accepts (two addresses side by side).
pub const MAX_SLOT_KEY: usize = 64;

/// Reads a slot of this contract: copies `min(len, out.len())` bytes of the value into `out`
/// and returns the value's full length, or `None` if the slot is empty.
///
/// Cost: 200 gas + 3 per value byte.
#[inline]
pub fn sload(key: &[u8; 32], out: &mut [u8]) -> Option<usize> {
    let len = unsafe { sys::sload(key.as_ptr(), out.as_mut_ptr(), out.len()) };
    if len < 0 {
        None
    } else {
        Some(len as usize)
    }
}

/// Writes a slot of this contract (an empty `value` is stored as empty; see [`sdelete`]).
///
/// Cost: 5000 gas + 10 per value byte, + 15000 if the slot was empty. Traps with
/// `ValueTooLarge` above 16 KiB and `StaticCallViolation` inside a static call.
#[inline]
pub fn sstore(key: &[u8; 32], value: &[u8]) {
    unsafe { sys::sstore(key.as_ptr(), value.as_ptr(), value.len()) }
}

/// Deletes a slot of this contract. Cost: 2500 gas.
#[inline]
pub fn sdelete(key: &[u8; 32]) {
    unsafe { sys::sdelete(key.as_ptr()) }
}

/// The conventional slot of entry `key` of mapping number `disc`:
/// `self_address()[..16] ‖ blake3(disc ‖ key)[..16]`, byte for byte what
/// `vmhost_abi::keys::slot(self_address, disc, key)` computes on the host.
///
/// `key` is at most [`MAX_SLOT_KEY`] (64) bytes; a longer key reverts with `"slot key too long"`.
/// Cost: `hash_blake3` over `1 + key.len()` bytes (20 + 1 per byte), then `self_address` (2).
pub fn slot(disc: u8, key: &[u8]) -> [u8; 32] {
    if key.len() > MAX_SLOT_KEY {
        io::revert(b"slot key too long");
    }
    // disc ‖ key in a stack buffer. Left uninitialised past the key: zeroing it would pull a
    // `memset` into every contract.
    let mut preimage = core::mem::MaybeUninit::<[u8; 1 + MAX_SLOT_KEY]>::uninit();
    let p = preimage.as_mut_ptr().cast::<u8>();
    // SAFETY: 1 + key.len() <= 65 bytes are written, and only those are read.
    let hash = unsafe {
        p.write(disc);
        core::ptr::copy_nonoverlapping(key.as_ptr(), p.add(1), key.len());
        crypto::blake3(core::slice::from_raw_parts(p, 1 + key.len()))
    };
    let me = context::self_address();
    let mut out = [0u8; 32];
    out[..16].copy_from_slice(&me[..16]);
    out[16..].copy_from_slice(&hash[..16]);
    out
}

/// Reads a `u128` stored as 16 little-endian bytes; an empty slot reads as 0.
/// Reverts with `"slot is not a u128"` if the slot holds another length.
#[inline]
pub fn read_u128(slot: &[u8; 32]) -> u128 {
    let mut buf = [0u8; 16];
    match sload(slot, &mut buf) {
        None => 0,
        Some(16) => u128::from_le_bytes(buf),
        Some(_) => io::revert(b"slot is not a u128"),
    }
}

/// Stores `v` as 16 little-endian bytes.
#[inline]
pub fn write_u128(slot: &[u8; 32], v: u128) {
    sstore(slot, &v.to_le_bytes())
}

/// Reads a `u64` stored as 8 little-endian bytes; an empty slot reads as 0.
/// Reverts with `"slot is not a u64"` if the slot holds another length.
#[inline]
pub fn read_u64(slot: &[u8; 32]) -> u64 {
    let mut buf = [0u8; 8];
    match sload(slot, &mut buf) {
        None => 0,
        Some(8) => u64::from_le_bytes(buf),
        Some(_) => io::revert(b"slot is not a u64"),
    }
}

/// Stores `v` as 8 little-endian bytes.
#[inline]
pub fn write_u64(slot: &[u8; 32], v: u64) {
    sstore(slot, &v.to_le_bytes())
}
