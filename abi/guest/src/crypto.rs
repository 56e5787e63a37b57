//! Hashes, signature verification and threshold encryption, all computed by the host.

use crate::sys;

/// Keccak-256 of `data`. Cost: 30 gas + 1 per byte. Traps with `InputTooLarge` above 1 MiB.
#[inline]
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    unsafe { sys::hash_keccak256(data.as_ptr(), data.len(), out.as_mut_ptr()) };
    out
}

/// BLAKE3 of `data`. Cost: 20 gas + 1 per byte. Traps with `InputTooLarge` above 1 MiB.
#[inline]
pub fn blake3(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    unsafe { sys::hash_blake3(data.as_ptr(), data.len(), out.as_mut_ptr()) };
    out
}

/// Poseidon2 of `data`. Cost: 100 gas + 4 per byte. Traps with `Unsupported` on hosts that do
/// not provide Poseidon2.
#[inline]
pub fn poseidon2(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    unsafe { sys::hash_poseidon2(data.as_ptr(), data.len(), out.as_mut_ptr()) };
    out
}

/// Verifies a FALCON-512 signature. Cost: 30000 gas + 1 per message byte. Traps with
/// `Unsupported` on hosts without a verifier.
#[inline]
pub fn falcon_verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    unsafe {
        sys::falcon_verify(
            public_key.as_ptr(),
            public_key.len(),
            message.as_ptr(),
            message.len(),
            signature.as_ptr(),
            signature.len(),
        ) == 1
    }
}

/// Encrypts `plaintext` under the committee key (parachain contracts only).
///
/// Returns the ciphertext length; the ciphertext is copied into `out` only if it fits
/// (`len <= out.len()`), so call again with a larger buffer otherwise.
#[inline]
pub fn threshold_encrypt(plaintext: &[u8], out: &mut [u8]) -> usize {
    unsafe { sys::threshold_encrypt(plaintext.as_ptr(), plaintext.len(), out.as_mut_ptr(), out.len()) as usize }
}

/// Combines the committee's shares and decrypts `ciphertext` (parachain contracts only).
///
/// Returns the plaintext length; copied into `out` only if it fits.
#[inline]
pub fn threshold_decrypt(ciphertext: &[u8], out: &mut [u8]) -> usize {
    unsafe { sys::threshold_decrypt(ciphertext.as_ptr(), ciphertext.len(), out.as_mut_ptr(), out.len()) as usize }
}
