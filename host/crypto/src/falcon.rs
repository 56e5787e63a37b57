//! FALCON-512 signature verification (round-3 Falcon, as NIST's reference implementation and
//! PQClean emit it), on `fn-dsa-vrfy` 0.3.0 with `HASH_ID_ORIGINAL_FALCON`.
//!
//! # Formats
//!
//! - **Public key**: exactly [`PK_LEN`] = 897 bytes, header byte [`PK_HEADER`] = `0x09`
//!   (`0x00 + logn`), then 512 coefficients mod q = 12289, 14 bits each.
//! - **Signature**: header byte [`SIG_HEADER`] = `0x39` (`0x30 + logn`), a 40-byte nonce, then
//!   the compressed encoding of `s2`. Two layouts share this header:
//!   - *padded* (PQClean `falcon-padded-512`, the round-3 specification's fixed `sbytelen`):
//!     exactly [`SIG_PADDED_LEN`] = 666 bytes, the compressed body followed by zero bytes;
//!   - *compressed* (PQClean `falcon-512`, NIST KAT `sm` files): variable length, no padding.
//!     It is verified by zero-padding it to 666 bytes. A compressed encoding longer than 666
//!     bytes (possible in PQClean's variable format, never produced by a round-3 signer with
//!     fixed `sbytelen`) cannot be represented and is rejected with an error.
//!
//!   The constant-time layout (header `0x59`, 809 bytes) is not supported.
//!
//! The message is hashed as in round-3 Falcon: `SHAKE256(nonce || message)`, no context string.
//!
//! # Result convention of [`verify512`]
//!
//! | input | result |
//! |---|---|
//! | public key length ≠ 897 | `Err(PublicKeyLength)` |
//! | public key header ≠ `0x09` | `Err(PublicKeyHeader)` |
//! | public key coefficient ≥ q | `Err(InvalidPublicKey)` |
//! | empty signature | `Err(EmptySignature)` |
//! | signature shorter than [`SIG_MIN_LEN`] = 617 bytes | `Err(SignatureTooShort)` |
//! | signature longer than 666 bytes | `Err(SignatureTooLong)` |
//! | signature header ≠ `0x39` | `Err(SignatureHeader)` |
//! | anything else that does not verify: body not a valid compressed encoding, non-zero padding, norm too large, wrong key, wrong message | `Ok(false)` |
//! | valid signature | `Ok(true)` |
//!
//! Checks run in the table's order (key first, then the signature), so an input with several
//! faults reports the first one. `Err` means "not a FALCON-512 key/signature at all", decided from lengths and header bytes
//! (and, for keys, the coefficient range). Everything that needs the signature body to be
//! decoded is `Ok(false)`. 617 is the shortest possible body: each of the 512 coefficients
//! takes at least 9 bits, `41 + 512 * 9 / 8 = 617`.
//!
//! # Malleability
//!
//! Since both layouts are accepted, one signature has several accepted encodings (the padded
//! one and every truncation of its trailing zero bytes down to the compressed length).
//! Contracts must not use signature bytes as a unique identifier (e.g. for replay protection);
//! put a nonce in the signed message instead.
//!
//! # Cost
//!
//! Key decoding (SHAKE256 over the key, one NTT) plus verification (SHAKE256 over
//! `nonce || message`, NTT multiplication) per call; linear in the message length.
//!
//! # Example
//!
//! ```
//! use vmhost_crypto::falcon::{self, FalconError};
//!
//! // A key of the wrong length is an error; so is an empty signature.
//! assert!(matches!(falcon::verify512(&[], b"m", &[]), Err(FalconError::PublicKeyLength { .. })));
//! ```

use fn_dsa_vrfy::{VerifyingKey, VerifyingKey512, DOMAIN_NONE, HASH_ID_ORIGINAL_FALCON};
use thiserror::Error;

/// log2 of the FALCON-512 degree.
pub const LOGN: u8 = 9;
/// Encoded public-key length.
pub const PK_LEN: usize = 897;
/// First byte of a FALCON-512 public key.
pub const PK_HEADER: u8 = LOGN;
/// Length of a signature in the padded layout (the maximum accepted length).
pub const SIG_PADDED_LEN: usize = 666;
/// First byte of a FALCON-512 signature (compressed and padded layouts).
pub const SIG_HEADER: u8 = 0x30 + LOGN;
/// Length of the signature nonce (salt) following the header byte.
pub const NONCE_LEN: usize = 40;
/// Shortest possible signature: header, nonce and 512 coefficients of at least 9 bits each.
pub const SIG_MIN_LEN: usize = 1 + NONCE_LEN + 512 * 9 / 8;

/// Malformed FALCON-512 input (see the module documentation for the full convention).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum FalconError {
    /// The public key does not have 897 bytes.
    #[error("FALCON-512 public key must be {PK_LEN} bytes, got {len}")]
    PublicKeyLength {
        /// Length received.
        len: usize,
    },
    /// The public key does not start with `0x09`.
    #[error("FALCON-512 public key header must be 0x09, got {0:#04x}")]
    PublicKeyHeader(u8),
    /// A public-key coefficient is out of range (≥ 12289).
    #[error("FALCON-512 public key has a coefficient out of range")]
    InvalidPublicKey,
    /// The signature is empty.
    #[error("FALCON-512 signature is empty")]
    EmptySignature,
    /// The signature is shorter than any FALCON-512 signature can be.
    #[error("FALCON-512 signature must be at least {SIG_MIN_LEN} bytes, got {len}")]
    SignatureTooShort {
        /// Length received.
        len: usize,
    },
    /// The signature is longer than the 666-byte padded layout.
    #[error("FALCON-512 signature must be at most {SIG_PADDED_LEN} bytes, got {len}")]
    SignatureTooLong {
        /// Length received.
        len: usize,
    },
    /// The signature does not start with `0x39` (other degree, or the unsupported CT layout).
    #[error("FALCON-512 signature header must be 0x39, got {0:#04x}")]
    SignatureHeader(u8),
}

/// Checks the public-key framing and decodes it.
fn decode_key(pk: &[u8]) -> Result<VerifyingKey512, FalconError> {
    if pk.len() != PK_LEN {
        return Err(FalconError::PublicKeyLength { len: pk.len() });
    }
    match pk.first() {
        Some(&PK_HEADER) => {}
        Some(&other) => return Err(FalconError::PublicKeyHeader(other)),
        None => return Err(FalconError::PublicKeyLength { len: 0 }),
    }
    VerifyingKey512::decode(pk).ok_or(FalconError::InvalidPublicKey)
}

/// Checks the signature framing and returns it in the padded 666-byte layout.
fn padded_signature(sig: &[u8]) -> Result<[u8; SIG_PADDED_LEN], FalconError> {
    let header = *sig.first().ok_or(FalconError::EmptySignature)?;
    if sig.len() > SIG_PADDED_LEN {
        return Err(FalconError::SignatureTooLong { len: sig.len() });
    }
    if sig.len() < SIG_MIN_LEN {
        return Err(FalconError::SignatureTooShort { len: sig.len() });
    }
    if header != SIG_HEADER {
        return Err(FalconError::SignatureHeader(header));
    }
    let mut padded = [0u8; SIG_PADDED_LEN];
    for (dst, src) in padded.iter_mut().zip(sig.iter()) {
        *dst = *src;
    }
    Ok(padded)
}

/// Verifies a FALCON-512 signature `sig` (padded or compressed layout) on `msg` under `pk`.
///
/// Returns `Ok(true)` for a valid signature, `Ok(false)` for a well-framed signature that does
/// not verify, and `Err` for input that is not a FALCON-512 key or signature at all (see the
/// module documentation for the exact table). Never panics.
///
/// # Errors
/// [`FalconError`] for wrong lengths or header bytes, and for public keys with a coefficient
/// out of range.
pub fn verify512(pk: &[u8], msg: &[u8], sig: &[u8]) -> Result<bool, FalconError> {
    let key = decode_key(pk)?;
    let padded = padded_signature(sig)?;
    Ok(key.verify(&padded, &DOMAIN_NONE, &HASH_ID_ORIGINAL_FALCON, msg))
}

/// Checks that `pk` is a well-formed FALCON-512 public key (length, header, coefficient range).
///
/// # Errors
/// The same public-key errors as [`verify512`].
pub fn check_public_key(pk: &[u8]) -> Result<(), FalconError> {
    decode_key(pk).map(|_| ())
}
