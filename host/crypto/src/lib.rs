//! Deterministic cryptography behind three chain-service host functions of the vmhost ABI:
//! `hash_poseidon2`, `falcon_verify` and `threshold_encrypt` / `threshold_decrypt`.
//!
//! # Purpose
//!
//! The host core (`vmhost`) only defines the host functions and their gas; the chain supplies the
//! cryptography through `vmhost::ChainServices`. This crate is that cryptography, kept apart so
//! that its (heavier) dependencies stay out of the core and so that every validator computes
//! bit-identical results:
//!
//! - [`poseidon2`]: the Poseidon2 permutation over the BN254 scalar field (t = 3, HorizenLabs
//!   constants) and `vmhost/poseidon2/v1`, a byte-level sponge this crate defines, with
//!   [`poseidon2::blocks`] for per-block gas.
//! - [`falcon`]: FALCON-512 (round-3 / NIST-submission format) signature verification.
//! - [`threshold`]: a **reference** t-of-n threshold encryption scheme (dealer-generated Shamir
//!   shares, hashed ElGamal on ristretto255, ChaCha20-Poly1305) for devnets and tests.
//!
//! # Concepts
//!
//! - **Determinism.** No function reads a clock, an OS random source or global state. Where
//!   randomness is needed (threshold key generation and encryption) it is derived from an
//!   explicit 32-byte `seed` argument, so all validators produce the same bytes.
//! - **No panics on input.** Every function accepts arbitrary bytes: malformed input gives an
//!   error value (or `Ok(false)` for a well-formed but invalid signature), never a panic. The
//!   crate denies `unwrap`, `expect` and unchecked indexing.
//! - **Gas is the host's job.** Costs here are linear in the input and documented per module
//!   (Poseidon2 per 62-byte block, FALCON per message byte, threshold per plaintext byte) so
//!   the host can charge before calling.
//! - **Versioned encodings.** The Poseidon2 byte encoding (`vmhost/poseidon2/v1`) and the
//!   threshold ciphertext format (version byte `0x01`) are ours: they are fixed by the known
//!   answers in the tests and change only under a new version.
//!
//! # Example
//!
//! ```
//! use vmhost_crypto::{falcon, poseidon2, threshold};
//!
//! // Poseidon2 byte hash: 32 bytes, big-endian field element.
//! let digest = poseidon2::hash(b"hello");
//! assert_eq!(digest.len(), 32);
//!
//! // FALCON-512: a malformed key is an error, not a panic.
//! assert!(falcon::verify512(&[0u8; 10], b"msg", &[0x39; 666]).is_err());
//!
//! // Threshold encryption, 2-of-3, everything derived from seeds.
//! let committee = threshold::Committee::generate(2, 3, &[7u8; 32])?;
//! let provider = threshold::ReferenceProvider::from_committee(committee);
//! let ciphertext = provider.encrypt(b"sealed bid", &[1u8; 32])?;
//! assert_eq!(provider.decrypt(&ciphertext)?, b"sealed bid");
//! # Ok::<(), threshold::ThresholdError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod falcon;
pub mod poseidon2;
pub mod threshold;
