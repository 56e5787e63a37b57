//! A **reference** t-of-n threshold encryption scheme for devnets and tests.
//!
//! # Scheme
//!
//! - **Group**: ristretto255 (`curve25519-dalek`), generator `G`, order `ℓ`.
//! - **Keys** ([`Committee::generate`]): a dealer derives a random polynomial `f` of degree
//!   `t - 1` from a seed; share `i` (1-based) is `s_i = f(i)` (Shamir), its verification key is
//!   `X_i = s_i·G`, the committee key is `PK = f(0)·G`.
//! - **Encryption** ([`encrypt`]): hashed ElGamal KEM + AEAD DEM, made non-malleable by a
//!   Schnorr proof of knowledge of the ephemeral secret ("signed ElGamal"):
//!   1. `r = H("encrypt-r", PK, seed, plaintext)`, `U = r·G`, `S = r·PK`;
//!   2. `(key, nonce) = H("kdf", PK, U, S)`: bytes 0..32 and 32..44 of the 64-byte output;
//!   3. `body = ChaCha20-Poly1305(key, nonce, aad = version || U, plaintext)` (ciphertext || tag);
//!   4. `k = H("pok-nonce", r, U, body)`, `W = k·G`, `e = H("pok", version, U, W, body)`,
//!      `z = k + e·r`.
//! - **Partial decryption** ([`partial_decrypt`]): a member checks the ciphertext (framing and
//!   proof), then publishes `D_i = s_i·U` with a Chaum–Pedersen DLEQ proof `(c, s)` that
//!   `log_G X_i = log_U D_i` (nonce `k = H("dleq-nonce", s_i, U)`, `A = k·G`, `B = k·U`,
//!   `c = H("dleq", i as u16 LE, X_i, U, D_i, A, B)`, `s = k + c·s_i`).
//! - **Combination** ([`combine`]): check the ciphertext and every partial's proof, then
//!   `S = Σ λ_i·D_i` (Lagrange at 0 over the first `t` partials) and open the AEAD.
//! - **Provider decryption** ([`ReferenceProvider::decrypt`]): a holder of `t` shares checks
//!   the ciphertext, interpolates `f(0) = Σ λ_i·s_i` in the scalar field and opens with
//!   `S = f(0)·U` (same result as [`combine`], one scalar multiplication instead of `t`).
//!
//! `H(label, p_1, …)` is `SHA-512(len(dst) || dst || len(p_1) || p_1 || …)` reduced mod `ℓ`
//! where needed, with `dst = "vmhost/threshold/v1/" + label`, each length a u64 little-endian
//! and integers `t`, `n`, `j` encoded as u64 little-endian. All derivations are deterministic:
//! the same key, plaintext and seed give the same ciphertext bytes on every machine.
//!
//! # Ciphertext format (version 1)
//!
//! | offset | length | content |
//! |---|---|---|
//! | 0 | 1 | version = `0x01` |
//! | 1 | 32 | `U`, compressed ristretto255 point (not the identity) |
//! | 33 | 32 | `e`, canonical scalar (little-endian) |
//! | 65 | 32 | `z`, canonical scalar (little-endian) |
//! | 97 | `len` | ChaCha20-Poly1305 ciphertext of the plaintext |
//! | 97 + `len` | 16 | Poly1305 tag |
//!
//! There is no nonce field (the AEAD nonce is derived with the key, which is fresh for every
//! `U`). Total length = plaintext length + [`CIPHERTEXT_OVERHEAD`] (113 bytes); plaintexts are
//! at most [`MAX_PLAINTEXT_LEN`] (64 KiB).
//! A [`PartialDecryption`] is encoded in [`PARTIAL_LEN`] = 98 bytes: index (u16 LE) `|| D_i || c || s`.
//!
//! # What it guarantees
//!
//! - **Confidentiality** for ciphertexts made off-chain with a fresh, secret, uniformly random
//!   seed. The construction is the standard one: hashed-ElGamal KEM + AEAD (IND-CCA for a
//!   single decryptor under gap-CDH in the random-oracle model), made non-malleable for the
//!   threshold setting by the Schnorr proof of knowledge of `r` ("signed ElGamal",
//!   Schnorr–Jakobsson: chosen-ciphertext security in the random-oracle plus generic-group
//!   models). Members refuse ciphertexts whose proof fails, so partial decryptions of mauled
//!   ciphertexts (e.g. `U' = U + a·G`) cannot be obtained. Treat it as "IND-CCA-ish": this code
//!   has **not** been audited and there is no proof for this exact composition.
//! - Any `t - 1` shares reveal nothing about the committee secret (Shamir).
//! - A tampered ciphertext is refused by [`partial_decrypt`] and [`combine`]
//!   ([`ThresholdError::InvalidCiphertextProof`] or an AEAD failure); a wrong or mismatched
//!   partial decryption is identified by index ([`ThresholdError::InvalidPartial`]).
//!
//! # What it does NOT guarantee
//!
//! - **Not a DKG**: the dealer ([`Committee::generate`]) knows the committee secret, and so does
//!   anyone who knows the dealer's seed. Devnets and tests only.
//! - **On-chain encryption is not confidential** against anyone who knows its inputs: a
//!   ciphertext made with a seed derived from public data (block hash, transaction id…) can be
//!   recomputed by trial-encrypting candidate plaintexts; low-entropy plaintexts are therefore
//!   guessable, and the seed and plaintext together give `r` and thus the shared key.
//! - Partial decryptions are public once published: anyone who collects `t` of them for a
//!   ciphertext can decrypt it (that is the point, but it means the members decide when).
//! - No forward secrecy, no key rotation or resharing, no robustness against members who
//!   refuse to answer (it only detects bad answers), no constant-time guarantees beyond those of
//!   the underlying crates (verification uses variable-time arithmetic on public data).
//!
//! # Example
//!
//! ```
//! use vmhost_crypto::threshold::{combine, encrypt, partial_decrypt, Committee};
//!
//! let committee = Committee::generate(3, 5, &[42u8; 32])?;
//! let ct = encrypt(committee.public_key.key(), b"hello", &[9u8; 32])?;
//! let partials = committee.shares[1..4]
//!     .iter()
//!     .map(|share| partial_decrypt(share, &ct))
//!     .collect::<Result<Vec<_>, _>>()?;
//! assert_eq!(combine(&committee.public_key, 3, &partials, &ct)?, b"hello");
//! # Ok::<(), vmhost_crypto::threshold::ThresholdError>(())
//! ```

mod keys;
mod proofs;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use thiserror::Error;
use zeroize::Zeroizing;

pub use keys::{Committee, CommitteePublicKey, PublicKey, SecretShare};

use keys::{array_at, decode_point, decode_scalar};
use proofs::{hash_scalar, hash_wide, DleqStatement, DST_ENCRYPT_R, DST_KDF};

/// Ciphertext format version.
pub const VERSION: u8 = 1;
/// Largest plaintext [`encrypt`] accepts.
pub const MAX_PLAINTEXT_LEN: usize = 64 * 1024;
/// Bytes before the AEAD body: version, `U`, `e`, `z`.
pub const CIPHERTEXT_HEADER_LEN: usize = 1 + 3 * 32;
/// Poly1305 tag length.
pub const TAG_LEN: usize = 16;
/// Ciphertext length minus plaintext length.
pub const CIPHERTEXT_OVERHEAD: usize = CIPHERTEXT_HEADER_LEN + TAG_LEN;
/// Shortest ciphertext (empty plaintext).
pub const MIN_CIPHERTEXT_LEN: usize = CIPHERTEXT_OVERHEAD;
/// Longest ciphertext.
pub const MAX_CIPHERTEXT_LEN: usize = MAX_PLAINTEXT_LEN + CIPHERTEXT_OVERHEAD;
/// Largest committee size `n` (share indices are u16).
pub const MAX_PARTIES: usize = 1024;
/// Length of a compressed point.
pub const POINT_LEN: usize = 32;
/// Length of a seed.
pub const SEED_LEN: usize = 32;
/// Length of an encoded [`SecretShare`].
pub const SHARE_LEN: usize = 2 + 32;
/// Length of an encoded [`PartialDecryption`].
pub const PARTIAL_LEN: usize = 2 + 3 * 32;

/// Errors of the threshold scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ThresholdError {
    /// Not `1 <= threshold <= parties <= MAX_PARTIES`.
    #[error(
        "invalid committee parameters: threshold {threshold}, parties {parties} (need 1 <= t <= n <= {MAX_PARTIES})"
    )]
    InvalidParameters {
        /// Threshold given.
        threshold: usize,
        /// Committee size given.
        parties: usize,
    },
    /// Plaintext longer than [`MAX_PLAINTEXT_LEN`].
    #[error("plaintext of {len} bytes exceeds the maximum of {MAX_PLAINTEXT_LEN}")]
    PlaintextTooLong {
        /// Length given.
        len: usize,
    },
    /// Ciphertext shorter than the fixed overhead.
    #[error("ciphertext of {len} bytes is shorter than the minimum of {MIN_CIPHERTEXT_LEN}")]
    CiphertextTooShort {
        /// Length given.
        len: usize,
    },
    /// Ciphertext longer than [`MAX_CIPHERTEXT_LEN`].
    #[error("ciphertext of {len} bytes exceeds the maximum of {MAX_CIPHERTEXT_LEN}")]
    CiphertextTooLong {
        /// Length given.
        len: usize,
    },
    /// Unknown ciphertext version byte.
    #[error("unsupported ciphertext version {0}")]
    UnsupportedVersion(u8),
    /// `U` is not a valid non-identity point, or `e` / `z` are not canonical scalars.
    #[error("malformed ciphertext header")]
    MalformedCiphertext,
    /// The ciphertext's proof of knowledge does not verify: the ciphertext was tampered with.
    #[error("ciphertext proof does not verify (tampered ciphertext)")]
    InvalidCiphertextProof,
    /// The AEAD tag does not verify (wrong committee key or threshold, or tampered body).
    #[error("decryption failed")]
    DecryptionFailed,
    /// Not a valid committee public key encoding.
    #[error("invalid public key")]
    InvalidPublicKey,
    /// Not a valid secret share encoding.
    #[error("invalid secret share")]
    InvalidShare,
    /// Not a valid partial decryption encoding.
    #[error("invalid partial decryption encoding")]
    MalformedPartial,
    /// Fewer partial decryptions than the threshold.
    #[error("need {needed} partial decryptions, got {got}")]
    NotEnoughPartials {
        /// The threshold.
        needed: usize,
        /// Distinct partials given.
        got: usize,
    },
    /// Two partial decryptions (or shares) carry the same index.
    #[error("duplicate share index {0}")]
    DuplicateIndex(u16),
    /// A share index outside `1..=n`.
    #[error("unknown share index {0}")]
    UnknownIndex(u16),
    /// A partial decryption's DLEQ proof does not verify against the share's verification key
    /// and this ciphertext.
    #[error("partial decryption {index} does not verify")]
    InvalidPartial {
        /// Index of the bad partial.
        index: u16,
    },
    /// A share does not match its verification key in the committee public key.
    #[error("share {index} does not match the committee's verification key")]
    ShareMismatch {
        /// Index of the share.
        index: u16,
    },
}

/// A member's partial decryption `D_i = s_i·U` with its DLEQ proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartialDecryption {
    index: u16,
    point: RistrettoPoint,
    bytes: [u8; POINT_LEN],
    c: Scalar,
    s: Scalar,
}

impl PartialDecryption {
    /// Index of the share that produced it.
    #[must_use]
    pub fn index(&self) -> u16 {
        self.index
    }

    /// Encoding: index (u16 LE) `|| D_i || c || s` ([`PARTIAL_LEN`] bytes).
    #[must_use]
    pub fn to_bytes(&self) -> [u8; PARTIAL_LEN] {
        let mut out = [0u8; PARTIAL_LEN];
        let parts: [&[u8]; 4] = [&self.index.to_le_bytes(), &self.bytes, self.c.as_bytes(), self.s.as_bytes()];
        for (dst, src) in out.iter_mut().zip(parts.into_iter().flatten()) {
            *dst = *src;
        }
        out
    }

    /// Parses the [`to_bytes`](Self::to_bytes) encoding (the proof is checked by [`combine`]).
    ///
    /// # Errors
    /// [`ThresholdError::MalformedPartial`] for a wrong length, index 0, an invalid point or a
    /// non-canonical scalar.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ThresholdError> {
        let parse = || -> Option<Self> {
            if bytes.len() != PARTIAL_LEN {
                return None;
            }
            let index = u16::from_le_bytes(array_at(bytes, 0)?);
            let point_bytes: [u8; 32] = array_at(bytes, 2)?;
            let point = decode_point(&point_bytes)?;
            let c = decode_scalar(array_at(bytes, 34)?)?;
            let s = decode_scalar(array_at(bytes, 66)?)?;
            (index != 0).then_some(Self { index, point, bytes: point_bytes, c, s })
        };
        parse().ok_or(ThresholdError::MalformedPartial)
    }
}

/// A parsed and verified ciphertext.
struct Ciphertext<'a> {
    u_point: RistrettoPoint,
    u: [u8; POINT_LEN],
    body: &'a [u8],
}

/// Parses a ciphertext and verifies its proof of knowledge.
fn open_ciphertext(ciphertext: &[u8]) -> Result<Ciphertext<'_>, ThresholdError> {
    let len = ciphertext.len();
    let version = *ciphertext.first().ok_or(ThresholdError::CiphertextTooShort { len })?;
    if version != VERSION {
        return Err(ThresholdError::UnsupportedVersion(version));
    }
    if len < MIN_CIPHERTEXT_LEN {
        return Err(ThresholdError::CiphertextTooShort { len });
    }
    if len > MAX_CIPHERTEXT_LEN {
        return Err(ThresholdError::CiphertextTooLong { len });
    }
    let u: [u8; POINT_LEN] = array_at(ciphertext, 1).ok_or(ThresholdError::MalformedCiphertext)?;
    let u_point = decode_point(&u).filter(|p| !p.is_identity()).ok_or(ThresholdError::MalformedCiphertext)?;
    let e = array_at(ciphertext, 33).and_then(decode_scalar).ok_or(ThresholdError::MalformedCiphertext)?;
    let z = array_at(ciphertext, 65).and_then(decode_scalar).ok_or(ThresholdError::MalformedCiphertext)?;
    let body = ciphertext.get(CIPHERTEXT_HEADER_LEN..).ok_or(ThresholdError::MalformedCiphertext)?;
    if !proofs::pok_verify(version, &u_point, &u, body, &e, &z) {
        return Err(ThresholdError::InvalidCiphertextProof);
    }
    Ok(Ciphertext { u_point, u, body })
}

/// The DEM cipher and nonce for a KEM key `S`.
fn dem(pk: &PublicKey, u: &[u8; POINT_LEN], shared: &RistrettoPoint) -> (ChaCha20Poly1305, Nonce) {
    let shared = Zeroizing::new(shared.compress().to_bytes());
    let okm = Zeroizing::new(hash_wide(DST_KDF, &[&pk.bytes, u, shared.as_slice()]));
    let mut key = Zeroizing::new([0u8; 32]);
    let mut nonce = [0u8; 12];
    for (dst, src) in key.iter_mut().chain(nonce.iter_mut()).zip(okm.iter()) {
        *dst = *src;
    }
    (ChaCha20Poly1305::new(&Key::from(*key)), Nonce::from(nonce))
}

/// The AEAD associated data: `version || U`.
fn aad(u: &[u8; POINT_LEN]) -> [u8; 1 + POINT_LEN] {
    let mut out = [VERSION; 1 + POINT_LEN];
    for (dst, src) in out.iter_mut().skip(1).zip(u.iter()) {
        *dst = *src;
    }
    out
}

/// Encrypts `plaintext` under the committee key `pk`, deterministically from `seed`.
///
/// The same `(pk, plaintext, seed)` always gives the same bytes. Confidentiality requires the
/// seed to be secret and uniformly random (see the module documentation).
///
/// # Errors
/// [`ThresholdError::PlaintextTooLong`] above [`MAX_PLAINTEXT_LEN`].
pub fn encrypt(pk: &PublicKey, plaintext: &[u8], seed: &[u8; SEED_LEN]) -> Result<Vec<u8>, ThresholdError> {
    if plaintext.len() > MAX_PLAINTEXT_LEN {
        return Err(ThresholdError::PlaintextTooLong { len: plaintext.len() });
    }
    let mut r = Zeroizing::new(hash_scalar(DST_ENCRYPT_R, &[&pk.bytes, seed, plaintext]));
    if *r == Scalar::ZERO {
        // Probability 2^-252; keeps U a non-identity point.
        *r = Scalar::ONE;
    }
    let u = RistrettoPoint::mul_base(&r).compress().to_bytes();
    let shared = Zeroizing::new(pk.point * *r);
    let (cipher, nonce) = dem(pk, &u, &shared);
    let body = cipher
        .encrypt(&nonce, Payload { msg: plaintext, aad: &aad(&u) })
        .map_err(|_| ThresholdError::PlaintextTooLong { len: plaintext.len() })?;
    let (e, z) = proofs::pok_prove(VERSION, &r, &u, &body);
    let mut out = Vec::with_capacity(CIPHERTEXT_HEADER_LEN + body.len());
    out.push(VERSION);
    out.extend_from_slice(&u);
    out.extend_from_slice(e.as_bytes());
    out.extend_from_slice(z.as_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// Checks `ciphertext` and computes this member's partial decryption with a DLEQ proof.
///
/// # Errors
/// The ciphertext errors of [`combine`] (framing, version, [`ThresholdError::InvalidCiphertextProof`]).
pub fn partial_decrypt(share: &SecretShare, ciphertext: &[u8]) -> Result<PartialDecryption, ThresholdError> {
    let ct = open_ciphertext(ciphertext)?;
    let point = ct.u_point * share.secret;
    let bytes = point.compress().to_bytes();
    let (c, s) = proofs::dleq_prove(share.index, &share.secret, &ct.u_point, &ct.u, &bytes);
    Ok(PartialDecryption { index: share.index, point, bytes, c, s })
}

/// Checks that indices are distinct and in `1..=parties`.
fn check_indices(indices: impl Iterator<Item = u16>, parties: usize) -> Result<(), ThresholdError> {
    let mut seen = vec![false; parties];
    for index in indices {
        let slot = usize::from(index)
            .checked_sub(1)
            .and_then(|i| seen.get_mut(i))
            .ok_or(ThresholdError::UnknownIndex(index))?;
        if *slot {
            return Err(ThresholdError::DuplicateIndex(index));
        }
        *slot = true;
    }
    Ok(())
}

fn check_threshold(threshold: usize, parties: usize) -> Result<(), ThresholdError> {
    if threshold == 0 || threshold > parties {
        return Err(ThresholdError::InvalidParameters { threshold, parties });
    }
    Ok(())
}

/// Opens the AEAD with the KEM key `S = f(0)·U`.
fn finish(pk: &PublicKey, ct: &Ciphertext<'_>, shared: &RistrettoPoint) -> Result<Vec<u8>, ThresholdError> {
    let (cipher, nonce) = dem(pk, &ct.u, shared);
    cipher.decrypt(&nonce, Payload { msg: ct.body, aad: &aad(&ct.u) }).map_err(|_| ThresholdError::DecryptionFailed)
}

/// Combines at least `threshold` partial decryptions of `ciphertext` and returns the plaintext.
///
/// Every partial is checked (index known and unique, DLEQ proof against its verification key
/// and this ciphertext); the first `threshold` of them are interpolated.
///
/// # Errors
/// Ciphertext framing errors, [`ThresholdError::InvalidCiphertextProof`],
/// [`ThresholdError::InvalidParameters`] for a threshold of 0 or above `n`,
/// [`ThresholdError::UnknownIndex`], [`ThresholdError::DuplicateIndex`],
/// [`ThresholdError::NotEnoughPartials`], [`ThresholdError::InvalidPartial`], and
/// [`ThresholdError::DecryptionFailed`] if the AEAD does not open (e.g. `threshold` lower than
/// the committee's real threshold).
pub fn combine(
    committee: &CommitteePublicKey,
    threshold: usize,
    partials: &[PartialDecryption],
    ciphertext: &[u8],
) -> Result<Vec<u8>, ThresholdError> {
    check_threshold(threshold, committee.parties())?;
    let ct = open_ciphertext(ciphertext)?;
    check_indices(partials.iter().map(|p| p.index), committee.parties())?;
    if partials.len() < threshold {
        return Err(ThresholdError::NotEnoughPartials { needed: threshold, got: partials.len() });
    }
    for p in partials {
        let vk = committee.verification_key(p.index).ok_or(ThresholdError::UnknownIndex(p.index))?;
        let statement = DleqStatement {
            index: p.index,
            vk_point: &vk.point,
            vk: &vk.bytes,
            u_point: &ct.u_point,
            u: &ct.u,
            d_point: &p.point,
            d: &p.bytes,
        };
        if !proofs::dleq_verify(&statement, &p.c, &p.s) {
            return Err(ThresholdError::InvalidPartial { index: p.index });
        }
    }
    let points: Vec<_> = partials.iter().take(threshold).map(|p| (p.index, p.point)).collect();
    let shared = Zeroizing::new(proofs::interpolate_at_zero(&points).ok_or(ThresholdError::DecryptionFailed)?);
    finish(committee.key(), &ct, &shared)
}

/// Convenience holder of a committee public key and at least `t` shares: encrypts and decrypts
/// in one call (what a devnet node or a test implements the chain services with).
#[derive(Clone, Debug)]
pub struct ReferenceProvider {
    public_key: CommitteePublicKey,
    threshold: usize,
    shares: Vec<SecretShare>,
}

impl ReferenceProvider {
    /// Builds a provider, checking the threshold, the share indices and that every share
    /// matches its verification key.
    ///
    /// # Errors
    /// [`ThresholdError::InvalidParameters`], [`ThresholdError::UnknownIndex`],
    /// [`ThresholdError::DuplicateIndex`], [`ThresholdError::NotEnoughPartials`] (fewer shares
    /// than the threshold) or [`ThresholdError::ShareMismatch`].
    pub fn new(
        public_key: CommitteePublicKey,
        threshold: usize,
        shares: Vec<SecretShare>,
    ) -> Result<Self, ThresholdError> {
        check_threshold(threshold, public_key.parties())?;
        check_indices(shares.iter().map(SecretShare::index), public_key.parties())?;
        if shares.len() < threshold {
            return Err(ThresholdError::NotEnoughPartials { needed: threshold, got: shares.len() });
        }
        for share in &shares {
            if public_key.verification_key(share.index) != Some(&share.verification_key()) {
                return Err(ThresholdError::ShareMismatch { index: share.index });
            }
        }
        Ok(Self { public_key, threshold, shares })
    }

    /// A provider holding every share of a dealt committee.
    #[must_use]
    pub fn from_committee(committee: Committee) -> Self {
        let Committee { threshold, public_key, shares } = committee;
        Self { public_key, threshold, shares }
    }

    /// The committee public key.
    #[must_use]
    pub fn public_key(&self) -> &CommitteePublicKey {
        &self.public_key
    }

    /// The threshold `t`.
    #[must_use]
    pub fn threshold(&self) -> usize {
        self.threshold
    }

    /// [`encrypt`] under the committee key.
    ///
    /// # Errors
    /// As [`encrypt`].
    pub fn encrypt(&self, plaintext: &[u8], seed: &[u8; SEED_LEN]) -> Result<Vec<u8>, ThresholdError> {
        encrypt(self.public_key.key(), plaintext, seed)
    }

    /// Checks the ciphertext and decrypts it with its own first `t` shares. As the provider holds
    /// the shares, it interpolates them in the scalar field (`f(0) = Σ λ_i·s_i`) and computes
    /// `S = f(0)·U` with one scalar multiplication, skipping partial decryptions and their proofs.
    ///
    /// # Errors
    /// The ciphertext errors of [`combine`] and [`ThresholdError::DecryptionFailed`].
    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>, ThresholdError> {
        let ct = open_ciphertext(ciphertext)?;
        let shares = self.shares.get(..self.threshold).unwrap_or(&self.shares);
        let indices: Vec<u16> = shares.iter().map(SecretShare::index).collect();
        let lambdas = proofs::lagrange_at_zero(&indices).ok_or(ThresholdError::DecryptionFailed)?;
        let secret = Zeroizing::new(shares.iter().zip(lambdas).map(|(share, l)| l * share.secret).sum::<Scalar>());
        let shared = Zeroizing::new(ct.u_point * *secret);
        finish(self.public_key.key(), &ct, &shared)
    }
}
