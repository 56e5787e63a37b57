//! Poseidon2 over the BN254 scalar field, and the byte-level sponge `vmhost/poseidon2/v1`.
//!
//! # The permutation
//!
//! [`permutation`] is Poseidon2 ([eprint 2023/323](https://eprint.iacr.org/2023/323)) over the
//! BN254 scalar field `Fr` (`p = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001`)
//! with state width `t = 3`, S-box `x^5`, 8 full and 56 partial rounds and the round constants
//! of the HorizenLabs reference implementation, as provided by `taceo-poseidon2`. Reference
//! vector: `permutation([0, 1, 2])[0] = 0x0bb61d24daca55eebcb1929a82650f328134334da98ea4f847f760054f4a3033`.
//!
//! # The byte sponge `vmhost/poseidon2/v1` ([`hash`])
//!
//! No standard defines a byte-oriented Poseidon2 hash, so this one is ours. It is a sponge with
//! rate 2 (state elements 0 and 1) and capacity 1 (state element 2):
//!
//! 1. **Domain tag.** For an input of `len` bytes the state starts as `[0, 0, tag]` with
//!    `tag = D + len * 2^160`, where `D` is the ASCII string `vmhost/poseidon2/v1` (19 bytes)
//!    read as a little-endian integer and `len` is a 64-bit unsigned integer. In bytes: the
//!    32-byte little-endian encoding of `tag` is `"vmhost/poseidon2/v1" || 0x00 || len as u64 LE || 00 00 00 00`
//!    ([`domain_tag_bytes`]). As `tag < 2^224 < p` it is a field element as is.
//! 2. **Padding.** The input is zero-padded to a multiple of [`BLOCK_BYTES`] = 62 bytes; an
//!    empty input becomes one block of 62 zero bytes. Zero padding alone would be ambiguous
//!    (`[0]` and `[0, 0]` pad to the same block); the length in the tag makes it unambiguous.
//! 3. **Absorption.** Each 62-byte block is split into two 31-byte chunks; each chunk is read as a
//!    little-endian integer (`< 2^248 < p`, so no reduction ever happens). The first chunk is
//!    added (in `Fr`) to state element 0, the second to state element 1, then the permutation is
//!    applied. Blocks are absorbed in order, so the number of permutations is [`blocks`]`(len)`
//!    `= max(1, ceil(len / 62))`.
//! 4. **Output.** The digest is state element 0 after the last permutation, as its canonical
//!    32-byte **big-endian** encoding (the usual hex notation of the field element, so the
//!    digest always starts with a byte `<= 0x30`). It is not uniformly distributed over 32 bytes.
//!
//! There is no separate squeeze step: one field element (~254 bits, ~127-bit collision
//! resistance) is the output.
//!
//! # Example
//!
//! ```
//! use vmhost_crypto::poseidon2;
//!
//! let digest = poseidon2::hash(b"a");
//! assert_eq!(digest.len(), 32);
//! assert_eq!(poseidon2::blocks(1), 1);
//! assert_eq!(poseidon2::blocks(63), 2);
//! ```

use ark_ff::{BigInt, PrimeField};
use thiserror::Error;

/// The BN254 scalar field element type used by [`permutation`].
pub use ark_bn254::Fr;

/// Width of the permutation state (`t`).
pub const WIDTH: usize = 3;
/// Number of full (external) rounds.
pub const FULL_ROUNDS: usize = 8;
/// Number of partial (internal) rounds.
pub const PARTIAL_ROUNDS: usize = 56;
/// Bytes of input per field element in the sponge (little-endian, so always `< p`).
pub const CHUNK_BYTES: usize = 31;
/// Bytes of input absorbed per permutation (two chunks): the unit of gas.
pub const BLOCK_BYTES: usize = 2 * CHUNK_BYTES;
/// Digest length in bytes.
pub const DIGEST_BYTES: usize = 32;
/// ASCII domain string placed in the capacity element.
pub const DOMAIN: &[u8; 19] = b"vmhost/poseidon2/v1";

/// Errors of the byte-level permutation interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Poseidon2Error {
    /// A 32-byte big-endian value was not the canonical encoding of a field element (`>= p`).
    #[error("state element {index} is not a canonical BN254 scalar (must be < p, big-endian)")]
    NonCanonical {
        /// Position of the offending element in the state.
        index: usize,
    },
}

/// The Poseidon2 permutation (BN254, t = 3, HorizenLabs constants).
#[must_use]
pub fn permutation(state: [Fr; WIDTH]) -> [Fr; WIDTH] {
    taceo_poseidon2::bn254::t3::permutation(&state)
}

/// The Poseidon2 permutation on big-endian 32-byte encodings of field elements.
///
/// # Errors
/// [`Poseidon2Error::NonCanonical`] if an input element is `>= p`.
pub fn permutation_bytes(state: &[[u8; 32]; WIDTH]) -> Result<[[u8; 32]; WIDTH], Poseidon2Error> {
    let mut elements = [Fr::from(0u64); WIDTH];
    for (index, (element, bytes)) in elements.iter_mut().zip(state.iter()).enumerate() {
        *element = fr_from_be_bytes(bytes).ok_or(Poseidon2Error::NonCanonical { index })?;
    }
    let out = permutation(elements);
    Ok(out.map(|e| fr_to_be_bytes(&e)))
}

/// Parses a canonical big-endian 32-byte encoding; `None` if the value is `>= p`.
#[must_use]
pub fn fr_from_be_bytes(bytes: &[u8; 32]) -> Option<Fr> {
    let mut limbs = [0u64; 4];
    // Big-endian bytes: the last 8 bytes are the least significant limb.
    for (limb, chunk) in limbs.iter_mut().rev().zip(bytes.chunks_exact(8)) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        *limb = u64::from_be_bytes(word);
    }
    Fr::from_bigint(BigInt::new(limbs))
}

/// Canonical big-endian 32-byte encoding of a field element.
#[must_use]
pub fn fr_to_be_bytes(element: &Fr) -> [u8; 32] {
    let limbs = element.into_bigint().0;
    let mut out = [0u8; 32];
    for (chunk, limb) in out.chunks_exact_mut(8).zip(limbs.iter().rev()) {
        chunk.copy_from_slice(&limb.to_be_bytes());
    }
    out
}

/// Number of permutations [`hash`] runs for an input of `len` bytes: `max(1, ceil(len / 62))`.
#[must_use]
pub const fn blocks(len: usize) -> u64 {
    if len == 0 {
        1
    } else {
        // usize is at most 64 bits on every supported target, so this is lossless.
        len.div_ceil(BLOCK_BYTES) as u64
    }
}

/// The 32-byte little-endian encoding of the capacity tag for an input of `len` bytes:
/// `"vmhost/poseidon2/v1" || 0x00 || (len as u64) little-endian || 0x00 0x00 0x00 0x00`.
#[must_use]
pub fn domain_tag_bytes(len: usize) -> [u8; 32] {
    let mut tag = [0u8; 32];
    let (domain, rest) = tag.split_at_mut(DOMAIN.len());
    domain.copy_from_slice(DOMAIN);
    // rest[0] stays 0 (byte 19); bytes 20..28 hold the length.
    let len_bytes = (len as u64).to_le_bytes();
    for (dst, src) in rest.iter_mut().skip(1).zip(len_bytes.iter()) {
        *dst = *src;
    }
    tag
}

/// Reads at most 32 bytes as a little-endian integer; `None` if it is `>= p`.
fn fr_from_le(bytes: &[u8]) -> Option<Fr> {
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks(8)) {
        let mut word = [0u8; 8];
        for (dst, src) in word.iter_mut().zip(chunk.iter()) {
            *dst = *src;
        }
        *limb = u64::from_le_bytes(word);
    }
    Fr::from_bigint(BigInt::new(limbs))
}

/// Reads a chunk of at most 31 bytes as a little-endian integer (always `< 2^248 < p`).
fn chunk_to_fr(chunk: &[u8]) -> Fr {
    // Never `None`: 31 bytes are below 2^248 < p (the fallback is unreachable).
    fr_from_le(chunk.get(..CHUNK_BYTES).unwrap_or(chunk)).unwrap_or_default()
}

/// Absorbs one block (at most 62 bytes; shorter blocks are implicitly zero-padded) and permutes.
fn absorb_block(state: &mut [Fr; WIDTH], block: &[u8]) {
    let (first, second) = block.split_at(block.len().min(CHUNK_BYTES));
    let [s0, s1, _] = state;
    *s0 += chunk_to_fr(first);
    *s1 += chunk_to_fr(second);
    taceo_poseidon2::bn254::t3::permutation_in_place(state);
}

/// The `vmhost/poseidon2/v1` byte hash (see the module documentation for the exact encoding).
#[must_use]
pub fn hash(input: &[u8]) -> [u8; DIGEST_BYTES] {
    let zero = Fr::from(0u64);
    // The tag is below 2^224 < p (the fallback is unreachable).
    let tag = fr_from_le(&domain_tag_bytes(input.len())).unwrap_or_default();
    let mut state = [zero, zero, tag];
    if input.is_empty() {
        absorb_block(&mut state, &[]);
    }
    for block in input.chunks(BLOCK_BYTES) {
        absorb_block(&mut state, block);
    }
    let [out, _, _] = state;
    fr_to_be_bytes(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_layout() {
        let tag = domain_tag_bytes(0x0102);
        assert_eq!(&tag[..19], DOMAIN);
        assert_eq!(tag[19], 0);
        assert_eq!(&tag[20..28], &0x0102u64.to_le_bytes());
        assert_eq!(&tag[28..], &[0, 0, 0, 0]);
    }

    #[test]
    fn be_round_trip() {
        let e = Fr::from(0x1234_5678_9abc_def0_u64);
        let bytes = fr_to_be_bytes(&e);
        assert_eq!(&bytes[24..], &0x1234_5678_9abc_def0_u64.to_be_bytes());
        assert_eq!(fr_from_be_bytes(&bytes), Some(e));
        assert_eq!(fr_from_be_bytes(&[0xff; 32]), None);
    }
}
