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

/// Poseidon2 of `data` (`vmhost/poseidon2/v1`: a BN254 scalar, big-endian; encoding and known
/// answers in `docs/abi-v1.md`). Cost: 300 gas + 8 700 per absorbed 62-byte block
/// (`max(1, ceil(len / 62))`). Traps with `InputTooLarge` above 1 MiB.
#[inline]
pub fn poseidon2(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    unsafe { sys::hash_poseidon2(data.as_ptr(), data.len(), out.as_mut_ptr()) };
    out
}

/// Verifies a FALCON-512 (round-3) signature, padded (666 bytes) or compressed. A malformed
/// key or signature is simply not valid (`false`). Cost: 20 000 gas + 1 per key and signature
/// byte + 5 per message byte.
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

/// Encrypts `plaintext` under the chain's committee key (parachain contracts only), with a seed
/// the host derives from the transaction: every validator makes the same bytes, and a
/// ciphertext made on chain hides nothing from someone who knows the inputs (`docs/abi-v1.md`).
///
/// Returns the ciphertext length (the reference provider's: `plaintext.len() + 113`); the
/// ciphertext is copied into `out` only if it fits (`len <= out.len()`), so call again with a
/// larger buffer otherwise.
#[inline]
pub fn threshold_encrypt(plaintext: &[u8], out: &mut [u8]) -> usize {
    unsafe { sys::threshold_encrypt(plaintext.as_ptr(), plaintext.len(), out.as_mut_ptr(), out.len()) as usize }
}

/// Decrypts `ciphertext` with the committee's shares (parachain contracts only).
///
/// Returns the plaintext length, the plaintext copied into `out` only if it fits; `None` if the
/// ciphertext is malformed, tampered with or made under another key.
#[inline]
pub fn threshold_decrypt(ciphertext: &[u8], out: &mut [u8]) -> Option<usize> {
    let n = unsafe { sys::threshold_decrypt(ciphertext.as_ptr(), ciphertext.len(), out.as_mut_ptr(), out.len()) };
    usize::try_from(n).ok()
}
