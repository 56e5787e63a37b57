//! Hashing, the ciphertext's proof of knowledge, DLEQ proofs and Lagrange interpolation.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{MultiscalarMul, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};
use zeroize::Zeroizing;

/// Dealer polynomial coefficients: `[seed, t, n, j]`.
pub(super) const DST_DEALER: &str = "vmhost/threshold/v1/dealer";
/// Encryption randomness: `[public key, seed, plaintext]`.
pub(super) const DST_ENCRYPT_R: &str = "vmhost/threshold/v1/encrypt-r";
/// KEM key derivation: `[public key, U, S]`.
pub(super) const DST_KDF: &str = "vmhost/threshold/v1/kdf";
/// Proof-of-knowledge nonce: `[r, U, body]`.
pub(super) const DST_POK_NONCE: &str = "vmhost/threshold/v1/pok-nonce";
/// Proof-of-knowledge challenge: `[version, U, W, body]`.
pub(super) const DST_POK: &str = "vmhost/threshold/v1/pok";
/// DLEQ nonce: `[x_i, U]`.
pub(super) const DST_DLEQ_NONCE: &str = "vmhost/threshold/v1/dleq-nonce";
/// DLEQ challenge: `[index, X_i, U, D_i, A, B]`.
pub(super) const DST_DLEQ: &str = "vmhost/threshold/v1/dleq";

/// `SHA-512(len(dst) || dst || len(p1) || p1 || ...)`, each length a u64 little-endian.
pub(super) fn hash_wide(dst: &str, parts: &[&[u8]]) -> [u8; 64] {
    let mut h = Sha512::new();
    h.update((dst.len() as u64).to_le_bytes());
    h.update(dst.as_bytes());
    for part in parts {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    h.finalize().into()
}

/// [`hash_wide`] reduced modulo the group order.
pub(super) fn hash_scalar(dst: &str, parts: &[&[u8]]) -> Scalar {
    let wide = Zeroizing::new(hash_wide(dst, parts));
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// Schnorr proof of knowledge of `r` with `U = r·G`, bound to the ciphertext (signed ElGamal).
/// Returns `(e, z)`.
pub(super) fn pok_prove(version: u8, r: &Scalar, u: &[u8; 32], body: &[u8]) -> (Scalar, Scalar) {
    let k = Zeroizing::new(hash_scalar(DST_POK_NONCE, &[r.as_bytes(), u, body]));
    let w = RistrettoPoint::mul_base(&k).compress();
    let e = hash_scalar(DST_POK, &[&[version], u, w.as_bytes(), body]);
    let z = *k + e * r;
    (e, z)
}

/// Verifies `(e, z)`: recomputes `W = z·G - e·U` and the challenge.
pub(super) fn pok_verify(
    version: u8,
    u_point: &RistrettoPoint,
    u: &[u8; 32],
    body: &[u8],
    e: &Scalar,
    z: &Scalar,
) -> bool {
    let w = RistrettoPoint::vartime_double_scalar_mul_basepoint(&-e, u_point, z).compress();
    hash_scalar(DST_POK, &[&[version], u, w.as_bytes(), body]) == *e
}

/// Chaum–Pedersen proof that `log_G X = log_U D` (= the share secret). Returns `(c, s)`.
pub(super) fn dleq_prove(
    index: u16,
    x: &Scalar,
    u_point: &RistrettoPoint,
    u: &[u8; 32],
    d: &[u8; 32],
) -> (Scalar, Scalar) {
    let vk = RistrettoPoint::mul_base(x).compress();
    let k = Zeroizing::new(hash_scalar(DST_DLEQ_NONCE, &[x.as_bytes(), u]));
    let a = RistrettoPoint::mul_base(&k).compress();
    let b = (u_point * *k).compress();
    let c = hash_scalar(DST_DLEQ, &[&index.to_le_bytes(), vk.as_bytes(), u, d, a.as_bytes(), b.as_bytes()]);
    let s = *k + c * x;
    (c, s)
}

/// Public inputs of a DLEQ verification.
pub(super) struct DleqStatement<'a> {
    pub index: u16,
    pub vk_point: &'a RistrettoPoint,
    pub vk: &'a [u8; 32],
    pub u_point: &'a RistrettoPoint,
    pub u: &'a [u8; 32],
    pub d_point: &'a RistrettoPoint,
    pub d: &'a [u8; 32],
}

/// Verifies `(c, s)`: `A = s·G - c·X`, `B = s·U - c·D`, challenge recomputed.
pub(super) fn dleq_verify(st: &DleqStatement<'_>, c: &Scalar, s: &Scalar) -> bool {
    let a = RistrettoPoint::vartime_double_scalar_mul_basepoint(&-c, st.vk_point, s).compress();
    let b = RistrettoPoint::vartime_multiscalar_mul([*s, -c], [*st.u_point, *st.d_point]).compress();
    let index = st.index.to_le_bytes();
    hash_scalar(DST_DLEQ, &[&index, st.vk, st.u, st.d, a.as_bytes(), b.as_bytes()]) == *c
}

/// Lagrange coefficients at 0 for the given share indices: `λ_i = Π_{j ≠ i} j / (j - i)`.
/// Returns `None` if two indices coincide (the interpolation is undefined).
pub(super) fn lagrange_at_zero(indices: &[u16]) -> Option<Vec<Scalar>> {
    let mut coefficients = Vec::with_capacity(indices.len());
    for (i, xi) in indices.iter().enumerate() {
        let xi_s = Scalar::from(u64::from(*xi));
        let mut num = Scalar::ONE;
        let mut den = Scalar::ONE;
        for (j, xj) in indices.iter().enumerate() {
            if i == j {
                continue;
            }
            if xi == xj {
                return None;
            }
            let xj_s = Scalar::from(u64::from(*xj));
            num *= xj_s;
            den *= xj_s - xi_s;
        }
        // den != 0 since the indices are distinct and smaller than the group order.
        coefficients.push(num * den.invert());
    }
    Some(coefficients)
}

/// `Σ λ_i · D_i` over the given (index, D_i) pairs: the point `f(0)·U`.
pub(super) fn interpolate_at_zero(points: &[(u16, RistrettoPoint)]) -> Option<RistrettoPoint> {
    let indices: Vec<u16> = points.iter().map(|(i, _)| *i).collect();
    let coefficients = lagrange_at_zero(&indices)?;
    Some(RistrettoPoint::multiscalar_mul(coefficients, points.iter().map(|(_, p)| *p)))
}
