//! Reference threshold encryption: round trips, thresholds, tampering, framing, determinism.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::CompressedRistretto;
use proptest::prelude::*;
use vmhost_crypto::threshold::{
    combine, encrypt, partial_decrypt, Committee, CommitteePublicKey, PartialDecryption, PublicKey, ReferenceProvider,
    SecretShare, ThresholdError, CIPHERTEXT_OVERHEAD, MAX_CIPHERTEXT_LEN, MAX_PARTIES, MAX_PLAINTEXT_LEN,
    MIN_CIPHERTEXT_LEN, PARTIAL_LEN, VERSION,
};

const DEALER_SEED: [u8; 32] = [0x11; 32];
const SEED: [u8; 32] = [0x22; 32];

fn committee(t: usize, n: usize) -> Committee {
    Committee::generate(t, n, &DEALER_SEED).unwrap()
}

fn partials(c: &Committee, indices: &[u16], ct: &[u8]) -> Vec<PartialDecryption> {
    indices.iter().map(|&i| partial_decrypt(&c.shares[usize::from(i) - 1], ct).unwrap()).collect()
}

#[test]
fn sizes() {
    assert_eq!(CIPHERTEXT_OVERHEAD, 113);
    assert_eq!(MIN_CIPHERTEXT_LEN, 113);
    assert_eq!(MAX_PLAINTEXT_LEN, 65536);
    assert_eq!(MAX_CIPHERTEXT_LEN, 65536 + 113);
    let c = committee(2, 3);
    for len in [0, 1, 32, 1000] {
        let ct = encrypt(c.public_key.key(), &vec![5; len], &SEED).unwrap();
        assert_eq!(ct.len(), len + CIPHERTEXT_OVERHEAD);
        assert_eq!(ct[0], VERSION);
    }
}

#[test]
fn round_trip_subsets() {
    let c = committee(3, 5);
    let msg = b"a sealed bid of 1000 units";
    let ct = encrypt(c.public_key.key(), msg, &SEED).unwrap();
    let subsets: [&[u16]; 7] =
        [&[1, 2, 3], &[3, 4, 5], &[5, 1, 3], &[2, 4, 5], &[1, 2, 3, 4], &[5, 4, 3, 2, 1], &[4, 1, 2]];
    for subset in subsets {
        let p = partials(&c, subset, &ct);
        assert_eq!(combine(&c.public_key, 3, &p, &ct).unwrap(), msg, "subset {subset:?}");
    }
    // Other shapes: 1-of-1, 1-of-4, n-of-n.
    for (t, n) in [(1, 1), (1, 4), (4, 4), (7, 10)] {
        let c = committee(t, n);
        let ct = encrypt(c.public_key.key(), msg, &SEED).unwrap();
        let indices: Vec<u16> = (1..=n as u16).rev().take(t).collect();
        assert_eq!(combine(&c.public_key, t, &partials(&c, &indices, &ct), &ct).unwrap(), msg, "{t}-of-{n}");
    }
}

#[test]
fn fewer_than_t_shares_fail() {
    let c = committee(3, 5);
    let ct = encrypt(c.public_key.key(), b"secret", &SEED).unwrap();
    let p = partials(&c, &[1, 4], &ct);
    assert_eq!(combine(&c.public_key, 3, &p, &ct), Err(ThresholdError::NotEnoughPartials { needed: 3, got: 2 }));
    assert_eq!(combine(&c.public_key, 3, &[], &ct), Err(ThresholdError::NotEnoughPartials { needed: 3, got: 0 }));
    // Lying about the threshold does not help: interpolating 2 shares gives the wrong key.
    assert_eq!(combine(&c.public_key, 2, &p, &ct), Err(ThresholdError::DecryptionFailed));
}

#[test]
fn duplicate_and_unknown_indices() {
    let c = committee(3, 5);
    let ct = encrypt(c.public_key.key(), b"secret", &SEED).unwrap();
    let mut p = partials(&c, &[1, 2, 3], &ct);
    p[2] = p[0];
    assert_eq!(combine(&c.public_key, 3, &p, &ct), Err(ThresholdError::DuplicateIndex(1)));
    let other = committee(3, 6);
    let foreign = partial_decrypt(&other.shares[5], &ct).unwrap();
    let p = [p[0], p[1], foreign];
    assert_eq!(combine(&c.public_key, 3, &p, &ct), Err(ThresholdError::UnknownIndex(6)));
    assert_eq!(
        combine(&c.public_key, 0, &[], &ct),
        Err(ThresholdError::InvalidParameters { threshold: 0, parties: 5 })
    );
    assert_eq!(
        combine(&c.public_key, 6, &[], &ct),
        Err(ThresholdError::InvalidParameters { threshold: 6, parties: 5 })
    );
}

#[test]
fn bad_partials_are_identified() {
    let c = committee(2, 3);
    let ct = encrypt(c.public_key.key(), b"secret", &SEED).unwrap();
    let ct2 = encrypt(c.public_key.key(), b"other", &SEED).unwrap();
    // A partial of another ciphertext.
    let p = [partial_decrypt(&c.shares[0], &ct).unwrap(), partial_decrypt(&c.shares[1], &ct2).unwrap()];
    assert_eq!(combine(&c.public_key, 2, &p, &ct), Err(ThresholdError::InvalidPartial { index: 2 }));
    // A partial with a flipped point or proof byte.
    let good = partial_decrypt(&c.shares[2], &ct).unwrap();
    for pos in [2, 40, 70] {
        let mut bytes = good.to_bytes();
        bytes[pos] ^= 1;
        if let Ok(bad) = PartialDecryption::from_bytes(&bytes) {
            let p = [p[0], bad];
            assert_eq!(combine(&c.public_key, 2, &p, &ct), Err(ThresholdError::InvalidPartial { index: 3 }));
        }
    }
    // A partial from a share of another committee, relabelled.
    let other = Committee::generate(2, 3, &[0x99; 32]).unwrap();
    let p = [p[0], partial_decrypt(&other.shares[2], &ct).unwrap()];
    assert_eq!(combine(&c.public_key, 2, &p, &ct), Err(ThresholdError::InvalidPartial { index: 3 }));
}

#[test]
fn partial_encoding_round_trip() {
    let c = committee(2, 3);
    let ct = encrypt(c.public_key.key(), b"x", &SEED).unwrap();
    let p = partial_decrypt(&c.shares[1], &ct).unwrap();
    let bytes = p.to_bytes();
    assert_eq!(bytes.len(), PARTIAL_LEN);
    assert_eq!(PartialDecryption::from_bytes(&bytes), Ok(p));
    assert_eq!(PartialDecryption::from_bytes(&bytes[..97]), Err(ThresholdError::MalformedPartial));
    let mut zero_index = bytes;
    zero_index[..2].copy_from_slice(&[0, 0]);
    assert_eq!(PartialDecryption::from_bytes(&zero_index), Err(ThresholdError::MalformedPartial));
    let mut big_scalar = bytes;
    big_scalar[66..].copy_from_slice(&[0xff; 32]);
    assert_eq!(PartialDecryption::from_bytes(&big_scalar), Err(ThresholdError::MalformedPartial));
}

#[test]
fn tampered_ciphertexts_fail() {
    let c = committee(2, 3);
    let ct = encrypt(c.public_key.key(), b"0123456789abcdef", &SEED).unwrap();
    let share = &c.shares[0];
    let p = partials(&c, &[1, 2], &ct);
    let provider = ReferenceProvider::from_committee(c.clone());
    for pos in 1..ct.len() {
        let mut bad = ct.clone();
        bad[pos] ^= 0x40;
        let err = partial_decrypt(share, &bad).unwrap_err();
        assert!(
            matches!(err, ThresholdError::MalformedCiphertext | ThresholdError::InvalidCiphertextProof),
            "byte {pos}: {err:?}"
        );
        if pos % 8 == 0 {
            assert!(combine(&c.public_key, 2, &p, &bad).is_err());
            assert!(provider.decrypt(&bad).is_err());
        }
    }
    // Mauling U while keeping a valid point (U' = U + G) is refused too.
    let mut bad = ct.clone();
    let u = add_base(&ct[1..33]);
    bad[1..33].copy_from_slice(&u);
    assert_eq!(partial_decrypt(share, &bad).unwrap_err(), ThresholdError::InvalidCiphertextProof);
}

/// `U + G` on an encoded point.
fn add_base(u: &[u8]) -> [u8; 32] {
    let point = CompressedRistretto::from_slice(u).unwrap().decompress().unwrap();
    (point + RISTRETTO_BASEPOINT_POINT).compress().to_bytes()
}

#[test]
fn framing_errors() {
    let c = committee(2, 3);
    let ct = encrypt(c.public_key.key(), b"hello", &SEED).unwrap();
    let s = &c.shares[0];
    assert_eq!(partial_decrypt(s, &[]).unwrap_err(), ThresholdError::CiphertextTooShort { len: 0 });
    for v in [0u8, 2, 0xff] {
        let mut bad = ct.clone();
        bad[0] = v;
        assert_eq!(partial_decrypt(s, &bad).unwrap_err(), ThresholdError::UnsupportedVersion(v));
    }
    for len in [1, 33, 97, MIN_CIPHERTEXT_LEN - 1] {
        assert_eq!(partial_decrypt(s, &ct[..len]).unwrap_err(), ThresholdError::CiphertextTooShort { len });
    }
    // Truncating the body keeps the framing valid but breaks the proof.
    assert_eq!(partial_decrypt(s, &ct[..ct.len() - 1]).unwrap_err(), ThresholdError::InvalidCiphertextProof);
    let mut long = vec![VERSION; MAX_CIPHERTEXT_LEN + 1];
    long[1..33].copy_from_slice(&ct[1..33]);
    assert_eq!(
        partial_decrypt(s, &long).unwrap_err(),
        ThresholdError::CiphertextTooLong { len: MAX_CIPHERTEXT_LEN + 1 }
    );
    // Identity U (all zeros) and a non-canonical scalar are malformed.
    let mut bad = ct.clone();
    bad[1..33].copy_from_slice(&[0; 32]);
    assert_eq!(partial_decrypt(s, &bad).unwrap_err(), ThresholdError::MalformedCiphertext);
    let mut bad = ct.clone();
    bad[33..65].copy_from_slice(&[0xff; 32]);
    assert_eq!(partial_decrypt(s, &bad).unwrap_err(), ThresholdError::MalformedCiphertext);
}

#[test]
fn plaintext_bounds() {
    let provider = ReferenceProvider::from_committee(committee(3, 5));
    let empty = provider.encrypt(&[], &SEED).unwrap();
    assert_eq!(empty.len(), MIN_CIPHERTEXT_LEN);
    assert_eq!(provider.decrypt(&empty).unwrap(), Vec::<u8>::new());
    let max: Vec<u8> = (0..MAX_PLAINTEXT_LEN).map(|i| (i * 7) as u8).collect();
    let ct = provider.encrypt(&max, &SEED).unwrap();
    assert_eq!(ct.len(), MAX_CIPHERTEXT_LEN);
    assert_eq!(provider.decrypt(&ct).unwrap(), max);
    let over = vec![0u8; MAX_PLAINTEXT_LEN + 1];
    assert_eq!(provider.encrypt(&over, &SEED), Err(ThresholdError::PlaintextTooLong { len: MAX_PLAINTEXT_LEN + 1 }));
}

#[test]
fn determinism() {
    let a = committee(3, 5);
    let b = committee(3, 5);
    assert_eq!(a.public_key, b.public_key);
    assert_eq!(a.public_key.to_bytes(), b.public_key.to_bytes());
    let ct1 = encrypt(a.public_key.key(), b"same", &SEED).unwrap();
    let ct2 = encrypt(b.public_key.key(), b"same", &SEED).unwrap();
    assert_eq!(ct1, ct2);
    assert_ne!(ct1, encrypt(a.public_key.key(), b"same", &[0x23; 32]).unwrap());
    assert_ne!(ct1[1..33], encrypt(a.public_key.key(), b"samf", &SEED).unwrap()[1..33]);
    assert_eq!(partial_decrypt(&a.shares[0], &ct1), partial_decrypt(&b.shares[0], &ct1));
    // Different dealer seeds, sizes or thresholds give different committees.
    assert_ne!(a.public_key.key(), Committee::generate(3, 5, &[0x12; 32]).unwrap().public_key.key());
    assert_ne!(a.public_key.key(), committee(2, 5).public_key.key());
}

/// Pinned bytes: a change to any derivation or to the format must fail here.
#[test]
fn known_answer() {
    let c = committee(2, 3);
    let ct = encrypt(c.public_key.key(), b"vmhost", &SEED).unwrap();
    assert_eq!(hex::encode(c.public_key.key().to_bytes()), KAT_PK);
    assert_eq!(hex::encode(&ct), KAT_CT);
    let p = partials(&c, &[3, 1], &ct);
    assert_eq!(combine(&c.public_key, 2, &p, &ct).unwrap(), b"vmhost");
}
const KAT_PK: &str = "96f56f72e0d666f7ce127412cde9b6346e08f360985953b91eb16c05ab24677f";
const KAT_CT: &str = concat!(
    "01",
    "7a85c81a569a76d5e3b2cb511446aa71e6edc780a922c536fcbce980cf05a316",
    "912806fda91a7bbcc45930f35d7fcf4d266df0ce668b018f18cbe6e72204510a",
    "960a83bc724b674f2151f97b567ec6c84cd2e64e4ba6d34b5f65e47f53f8ff0a",
    "4f6a84fe8f1a2a434f452f6732abee969b73cd024c43",
);

#[test]
fn provider_checks_its_shares() {
    let c = committee(3, 5);
    let pk = c.public_key.clone();
    let shares: Vec<SecretShare> = c.shares[2..].to_vec();
    let provider = ReferenceProvider::new(pk.clone(), 3, shares.clone()).unwrap();
    let ct = provider.encrypt(b"m", &SEED).unwrap();
    assert_eq!(provider.decrypt(&ct).unwrap(), b"m");
    assert_eq!(
        ReferenceProvider::new(pk.clone(), 3, shares[..2].to_vec()).unwrap_err(),
        ThresholdError::NotEnoughPartials { needed: 3, got: 2 }
    );
    let dup = vec![shares[0].clone(), shares[1].clone(), shares[0].clone()];
    assert_eq!(ReferenceProvider::new(pk.clone(), 3, dup).unwrap_err(), ThresholdError::DuplicateIndex(3));
    let foreign = Committee::generate(3, 5, &[0x55; 32]).unwrap();
    let mixed = vec![shares[0].clone(), shares[1].clone(), foreign.shares[4].clone()];
    assert_eq!(ReferenceProvider::new(pk.clone(), 3, mixed).unwrap_err(), ThresholdError::ShareMismatch { index: 5 });
    assert_eq!(
        ReferenceProvider::new(pk, 0, shares).unwrap_err(),
        ThresholdError::InvalidParameters { threshold: 0, parties: 5 }
    );
}

#[test]
fn key_encodings() {
    let c = committee(3, 5);
    let bytes = c.public_key.to_bytes();
    assert_eq!(bytes.len(), 2 + 32 * 6);
    assert_eq!(CommitteePublicKey::from_bytes(&bytes).unwrap(), c.public_key);
    assert!(CommitteePublicKey::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    assert!(CommitteePublicKey::from_bytes(&[]).is_err());
    assert_eq!(PublicKey::from_bytes(&[0; 32]), Err(ThresholdError::InvalidPublicKey));
    assert_eq!(PublicKey::from_bytes(&[0xff; 32]), Err(ThresholdError::InvalidPublicKey));
    assert_eq!(PublicKey::from_bytes(&[1; 31]), Err(ThresholdError::InvalidPublicKey));
    let share = &c.shares[3];
    let parsed = SecretShare::from_bytes(&share.to_bytes()).unwrap();
    assert_eq!((parsed.index(), parsed.verification_key()), (4, share.verification_key()));
    assert!(format!("{share:?}").starts_with("SecretShare { index: 4"));
    assert_eq!(SecretShare::from_bytes(&[0; 34]).unwrap_err(), ThresholdError::InvalidShare);
    assert_eq!(SecretShare::from_bytes(&[1; 33]).unwrap_err(), ThresholdError::InvalidShare);
}

#[test]
fn generate_parameters() {
    for (t, n) in [(0, 3), (4, 3), (1, 0), (1, MAX_PARTIES + 1)] {
        assert_eq!(
            Committee::generate(t, n, &DEALER_SEED).unwrap_err(),
            ThresholdError::InvalidParameters { threshold: t, parties: n }
        );
    }
    let c = Committee::generate(2, MAX_PARTIES, &DEALER_SEED).unwrap();
    assert_eq!(c.shares.len(), MAX_PARTIES);
    assert_eq!(c.shares.last().unwrap().index() as usize, MAX_PARTIES);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn random_ciphertexts_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), version_one in any::<bool>()) {
        let c = committee(2, 3);
        let mut bytes = bytes;
        if version_one {
            if let Some(b) = bytes.first_mut() { *b = VERSION; }
        }
        prop_assert!(partial_decrypt(&c.shares[0], &bytes).is_err());
        prop_assert!(combine(&c.public_key, 2, &[], &bytes).is_err());
        let _ = PartialDecryption::from_bytes(&bytes);
        let _ = CommitteePublicKey::from_bytes(&bytes);
        let _ = SecretShare::from_bytes(&bytes);
    }

    #[test]
    fn round_trip_random(msg in proptest::collection::vec(any::<u8>(), 0..200), seed in any::<[u8; 32]>()) {
        let provider = ReferenceProvider::from_committee(committee(2, 4));
        let ct = provider.encrypt(&msg, &seed).unwrap();
        prop_assert_eq!(provider.decrypt(&ct).unwrap(), msg);
    }
}
