//! Committee keys: the public key, verification keys, secret shares and the devnet dealer.

use core::fmt;

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use zeroize::Zeroize;

use super::proofs::{hash_scalar, DST_DEALER};
use super::{ThresholdError, MAX_PARTIES, POINT_LEN, SEED_LEN, SHARE_LEN};

/// Decodes a canonical ristretto255 point encoding (any point, identity included).
pub(super) fn decode_point(bytes: &[u8; 32]) -> Option<RistrettoPoint> {
    CompressedRistretto(*bytes).decompress()
}

/// Decodes a canonical scalar encoding (little-endian, `< ℓ`).
pub(super) fn decode_scalar(bytes: [u8; 32]) -> Option<Scalar> {
    Option::from(Scalar::from_canonical_bytes(bytes))
}

/// Copies `N` bytes at `offset` out of `bytes`; `None` if out of range.
pub(super) fn array_at<const N: usize>(bytes: &[u8], offset: usize) -> Option<[u8; N]> {
    let end = offset.checked_add(N)?;
    let slice = bytes.get(offset..end)?;
    let mut out = [0u8; N];
    out.copy_from_slice(slice);
    Some(out)
}

/// A ristretto255 public key (the committee key or a share's verification key): a valid,
/// non-identity point, kept together with its 32-byte encoding.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    pub(super) point: RistrettoPoint,
    pub(super) bytes: [u8; POINT_LEN],
}

impl PublicKey {
    pub(super) fn from_point(point: RistrettoPoint) -> Self {
        Self { point, bytes: point.compress().to_bytes() }
    }

    /// Parses a 32-byte canonical ristretto255 encoding.
    ///
    /// # Errors
    /// [`ThresholdError::InvalidPublicKey`] for a wrong length, a non-canonical encoding or the
    /// identity element.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ThresholdError> {
        let arr: [u8; POINT_LEN] = bytes.try_into().map_err(|_| ThresholdError::InvalidPublicKey)?;
        let point = decode_point(&arr).ok_or(ThresholdError::InvalidPublicKey)?;
        if point.is_identity() {
            return Err(ThresholdError::InvalidPublicKey);
        }
        Ok(Self { point, bytes: arr })
    }

    /// The 32-byte encoding.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; POINT_LEN] {
        self.bytes
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey(")?;
        for b in &self.bytes {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

/// The committee's public data: the encryption key `PK = s·G` and one verification key
/// `X_i = s_i·G` per share (`verification_keys[i - 1]` for share index `i`), used to check
/// partial decryptions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitteePublicKey {
    key: PublicKey,
    verification_keys: Vec<PublicKey>,
}

impl CommitteePublicKey {
    /// Assembles a committee public key. The verification keys are not checked against `key`
    /// (that would need the threshold and an interpolation in the exponent).
    ///
    /// # Errors
    /// [`ThresholdError::InvalidParameters`] if there are no verification keys or more than
    /// [`MAX_PARTIES`].
    pub fn new(key: PublicKey, verification_keys: Vec<PublicKey>) -> Result<Self, ThresholdError> {
        let n = verification_keys.len();
        if n == 0 || n > MAX_PARTIES {
            return Err(ThresholdError::InvalidParameters { threshold: 0, parties: n });
        }
        Ok(Self { key, verification_keys })
    }

    /// The encryption key.
    #[must_use]
    pub fn key(&self) -> &PublicKey {
        &self.key
    }

    /// Number of shares `n`.
    #[must_use]
    pub fn parties(&self) -> usize {
        self.verification_keys.len()
    }

    /// The verification key of share `index` (1-based), if it exists.
    #[must_use]
    pub fn verification_key(&self, index: u16) -> Option<&PublicKey> {
        usize::from(index).checked_sub(1).and_then(|i| self.verification_keys.get(i))
    }

    /// Encoding: `n` (u16 little-endian) `|| PK || X_1 || … || X_n` (32 bytes each).
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + POINT_LEN * (1 + self.verification_keys.len()));
        // n <= MAX_PARTIES < 2^16, enforced by every constructor.
        out.extend_from_slice(&(self.verification_keys.len() as u16).to_le_bytes());
        out.extend_from_slice(&self.key.bytes);
        for vk in &self.verification_keys {
            out.extend_from_slice(&vk.bytes);
        }
        out
    }

    /// Parses the [`to_bytes`](Self::to_bytes) encoding.
    ///
    /// # Errors
    /// [`ThresholdError::InvalidPublicKey`] for a wrong length or an invalid point, and
    /// [`ThresholdError::InvalidParameters`] for `n = 0` or `n > MAX_PARTIES`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ThresholdError> {
        let n = usize::from(u16::from_le_bytes(array_at(bytes, 0).ok_or(ThresholdError::InvalidPublicKey)?));
        if n == 0 || n > MAX_PARTIES {
            return Err(ThresholdError::InvalidParameters { threshold: 0, parties: n });
        }
        if bytes.len() != 2 + POINT_LEN * (1 + n) {
            return Err(ThresholdError::InvalidPublicKey);
        }
        let mut keys = bytes.get(2..).unwrap_or_default().chunks_exact(POINT_LEN).map(PublicKey::from_bytes);
        let key = keys.next().ok_or(ThresholdError::InvalidPublicKey)??;
        let verification_keys = keys.collect::<Result<Vec<_>, _>>()?;
        Self::new(key, verification_keys)
    }
}

/// One committee member's secret share `s_i = f(i)` (index `i` is 1-based). Zeroized on drop;
/// its `Debug` output omits the secret.
#[derive(Clone)]
pub struct SecretShare {
    pub(super) index: u16,
    pub(super) secret: Scalar,
}

impl SecretShare {
    /// The share index `i` (1-based).
    #[must_use]
    pub fn index(&self) -> u16 {
        self.index
    }

    /// The verification key `s_i·G`.
    #[must_use]
    pub fn verification_key(&self) -> PublicKey {
        PublicKey::from_point(RistrettoPoint::mul_base(&self.secret))
    }

    /// Encoding: index (u16 little-endian) `||` secret scalar (32 bytes little-endian).
    /// The caller is responsible for protecting (and zeroizing) the returned bytes.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; SHARE_LEN] {
        let mut out = [0u8; SHARE_LEN];
        let (index, secret) = out.split_at_mut(2);
        index.copy_from_slice(&self.index.to_le_bytes());
        secret.copy_from_slice(self.secret.as_bytes());
        out
    }

    /// Parses the [`to_bytes`](Self::to_bytes) encoding.
    ///
    /// # Errors
    /// [`ThresholdError::InvalidShare`] for a wrong length, index 0 or a non-canonical scalar.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ThresholdError> {
        if bytes.len() != SHARE_LEN {
            return Err(ThresholdError::InvalidShare);
        }
        let index = u16::from_le_bytes(array_at(bytes, 0).ok_or(ThresholdError::InvalidShare)?);
        let mut raw: [u8; 32] = array_at(bytes, 2).ok_or(ThresholdError::InvalidShare)?;
        let secret = decode_scalar(raw);
        raw.zeroize();
        match (index, secret) {
            (1.., Some(secret)) => Ok(Self { index, secret }),
            _ => Err(ThresholdError::InvalidShare),
        }
    }
}

impl Drop for SecretShare {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

impl fmt::Debug for SecretShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretShare").field("index", &self.index).finish_non_exhaustive()
    }
}

/// A devnet committee made by a trusted dealer: the threshold, the public key and all `n`
/// secret shares.
///
/// **This is not a distributed key generation (DKG).** Whoever runs [`Committee::generate`]
/// (or knows its seed) knows the committee secret and can decrypt everything.
#[derive(Clone, Debug)]
pub struct Committee {
    /// Shares needed to decrypt (`t`).
    pub threshold: usize,
    /// Public key and verification keys.
    pub public_key: CommitteePublicKey,
    /// All `n` shares, `shares[i - 1]` with index `i`.
    pub shares: Vec<SecretShare>,
}

impl Committee {
    /// Deals a `threshold`-of-`parties` committee deterministically from `seed`.
    ///
    /// The secret polynomial is `f(x) = a_0 + a_1 x + … + a_{t-1} x^{t-1}` with
    /// `a_j = SHA-512("vmhost/threshold/v1/dealer", seed, t, n, j) mod ℓ` (see the module
    /// documentation for the hash framing); share `i` is `f(i)` for `i = 1..=n`, and the
    /// committee key is `a_0·G`.
    ///
    /// # Errors
    /// [`ThresholdError::InvalidParameters`] unless `1 <= threshold <= parties <= MAX_PARTIES`.
    pub fn generate(threshold: usize, parties: usize, seed: &[u8; SEED_LEN]) -> Result<Self, ThresholdError> {
        if threshold == 0 || threshold > parties || parties > MAX_PARTIES {
            return Err(ThresholdError::InvalidParameters { threshold, parties });
        }
        let (t_bytes, n_bytes) = ((threshold as u64).to_le_bytes(), (parties as u64).to_le_bytes());
        let mut coefficients: Vec<Scalar> = (0..threshold as u64)
            .map(|j| hash_scalar(DST_DEALER, &[seed, &t_bytes, &n_bytes, &j.to_le_bytes()]))
            .collect();
        if let Some(a0) = coefficients.first_mut() {
            // Probability 2^-252; keeps the committee key a valid non-identity point.
            if *a0 == Scalar::ZERO {
                *a0 = Scalar::ONE;
            }
        }
        let mut shares = Vec::with_capacity(parties);
        // parties <= MAX_PARTIES < 2^16.
        for index in 1..=parties as u16 {
            let x = Scalar::from(u64::from(index));
            // Horner: f(x) = (((a_{t-1}) x + a_{t-2}) x + …) x + a_0.
            let secret = coefficients.iter().rev().fold(Scalar::ZERO, |acc, a| acc * x + a);
            shares.push(SecretShare { index, secret });
        }
        let key_point = RistrettoPoint::mul_base(coefficients.first().unwrap_or(&Scalar::ONE));
        coefficients.zeroize();
        let verification_keys = shares.iter().map(SecretShare::verification_key).collect();
        let public_key = CommitteePublicKey { key: PublicKey::from_point(key_point), verification_keys };
        Ok(Self { threshold, public_key, shares })
    }
}
