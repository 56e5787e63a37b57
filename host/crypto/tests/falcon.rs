//! FALCON-512 verification: round-3 KAT vectors, cross-checks with PQClean (compressed and
//! padded layouts), and malformed or random input (clear results, never a panic).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod falcon_kat;

use pqcrypto_falcon::{falcon512, falconpadded512};
use pqcrypto_traits::sign::{DetachedSignature as _, PublicKey as _};
use proptest::prelude::*;
use vmhost_crypto::falcon::{
    check_public_key, verify512, FalconError, PK_HEADER, PK_LEN, SIG_HEADER, SIG_MIN_LEN, SIG_PADDED_LEN,
};

struct Kat {
    pk: Vec<u8>,
    msg: Vec<u8>,
    sig: Vec<u8>,
}

fn kats() -> Vec<Kat> {
    falcon_kat::KAT_ORIG_512
        .chunks_exact(3)
        .map(|t| Kat {
            pk: hex::decode(t[0]).unwrap(),
            msg: hex::decode(t[1]).unwrap(),
            sig: hex::decode(t[2]).unwrap(),
        })
        .collect()
}

/// The compressed layout of a padded signature: its trailing zero bytes removed.
fn compressed(sig: &[u8]) -> &[u8] {
    let end = sig.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    &sig[..end]
}

#[test]
fn constants() {
    assert_eq!((PK_LEN, PK_HEADER, SIG_PADDED_LEN, SIG_HEADER, SIG_MIN_LEN), (897, 0x09, 666, 0x39, 617));
    assert_eq!(falcon512::public_key_bytes(), PK_LEN);
    assert_eq!(falconpadded512::signature_bytes(), SIG_PADDED_LEN);
}

#[test]
fn kat_vectors_verify() {
    let kats = kats();
    assert_eq!(kats.len(), 5);
    for (i, k) in kats.iter().enumerate() {
        assert_eq!((k.pk.len(), k.sig.len()), (PK_LEN, SIG_PADDED_LEN));
        assert_eq!(verify512(&k.pk, &k.msg, &k.sig), Ok(true), "KAT {i}");
        let mut msg = k.msg.clone();
        msg[0] ^= 1;
        assert_eq!(verify512(&k.pk, &msg, &k.sig), Ok(false), "KAT {i}, altered message");
        let mut sig = k.sig.clone();
        sig[50] ^= 1;
        assert_eq!(verify512(&k.pk, &k.msg, &sig), Ok(false), "KAT {i}, altered signature");
        let other = &kats[(i + 1) % kats.len()];
        assert_eq!(verify512(&other.pk, &k.msg, &k.sig), Ok(false), "KAT {i}, other key");
        assert_eq!(verify512(&k.pk, &k.msg, &other.sig), Ok(false), "KAT {i}, other signature");
    }
}

#[test]
fn kat_compressed_layout_verifies() {
    for k in kats() {
        let short = compressed(&k.sig);
        assert!(short.len() >= SIG_MIN_LEN && short.len() < SIG_PADDED_LEN);
        // Every length between the compressed body and the padded form is the same signature.
        for len in short.len()..=SIG_PADDED_LEN {
            assert_eq!(verify512(&k.pk, &k.msg, &k.sig[..len]), Ok(true), "length {len}");
        }
        // Cutting into the body breaks it (a clean Ok(false) while the length is plausible).
        assert_eq!(verify512(&k.pk, &k.msg, &short[..short.len() - 1]), Ok(false));
        assert_eq!(verify512(&k.pk, &k.msg, &k.sig[..SIG_MIN_LEN]), Ok(false));
        assert_eq!(
            verify512(&k.pk, &k.msg, &k.sig[..SIG_MIN_LEN - 1]),
            Err(FalconError::SignatureTooShort { len: SIG_MIN_LEN - 1 })
        );
        // A non-zero byte in the padding is rejected.
        let mut sig = k.sig.clone();
        sig[SIG_PADDED_LEN - 1] = 1;
        assert_eq!(verify512(&k.pk, &k.msg, &sig), Ok(false));
    }
}

#[test]
fn pqclean_compressed_signatures() {
    let (pk, sk) = falcon512::keypair();
    let (other_pk, _) = falcon512::keypair();
    let pk = pk.as_bytes();
    for msg in [&b""[..], &[7u8; 32][..], &[0xa5u8; 1024][..]] {
        let sig = falcon512::detached_sign(msg, &sk);
        let sig = sig.as_bytes();
        assert_eq!(sig[0], SIG_HEADER);
        if sig.len() > SIG_PADDED_LEN {
            // PQClean's variable layout allows up to 752 bytes; such a signature has no padded form.
            assert_eq!(verify512(pk, msg, sig), Err(FalconError::SignatureTooLong { len: sig.len() }));
            continue;
        }
        assert_eq!(verify512(pk, msg, sig), Ok(true), "message of {} bytes", msg.len());
        let mut padded = sig.to_vec();
        padded.resize(SIG_PADDED_LEN, 0);
        assert_eq!(verify512(pk, msg, &padded), Ok(true));
        assert_eq!(verify512(other_pk.as_bytes(), msg, sig), Ok(false));
        assert_eq!(verify512(pk, b"another message", sig), Ok(false));
    }
}

#[test]
fn pqclean_padded_signatures() {
    let (pk, sk) = falconpadded512::keypair();
    let (other_pk, _) = falconpadded512::keypair();
    let pk = pk.as_bytes();
    for msg in [&b""[..], &[7u8; 32][..], &[0xa5u8; 1024][..]] {
        let sig = falconpadded512::detached_sign(msg, &sk);
        let sig = sig.as_bytes();
        assert_eq!((sig.len(), sig[0]), (SIG_PADDED_LEN, SIG_HEADER));
        assert_eq!(verify512(pk, msg, sig), Ok(true));
        assert_eq!(verify512(pk, msg, compressed(sig)), Ok(true));
        assert_eq!(verify512(other_pk.as_bytes(), msg, sig), Ok(false));
        let mut wrong = msg.to_vec();
        wrong.push(0);
        assert_eq!(verify512(pk, &wrong, sig), Ok(false));
    }
}

#[test]
fn malformed_keys_are_errors() {
    let k = &kats()[0];
    for len in [0, 1, PK_LEN - 1, PK_LEN + 1, 1793] {
        let pk = vec![PK_HEADER; len];
        assert_eq!(verify512(&pk, &k.msg, &k.sig), Err(FalconError::PublicKeyLength { len }));
    }
    let mut pk = k.pk.clone();
    pk[0] = 0x0a;
    assert_eq!(verify512(&pk, &k.msg, &k.sig), Err(FalconError::PublicKeyHeader(0x0a)));
    pk[0] = 0x89;
    assert_eq!(check_public_key(&pk), Err(FalconError::PublicKeyHeader(0x89)));
    // First coefficient 0x3fff >= q.
    let mut pk = k.pk.clone();
    pk[1] = 0xff;
    pk[2] |= 0xfc;
    assert_eq!(verify512(&pk, &k.msg, &k.sig), Err(FalconError::InvalidPublicKey));
    // The key is checked before the signature.
    assert_eq!(verify512(&[], &k.msg, &[]), Err(FalconError::PublicKeyLength { len: 0 }));
    assert_eq!(check_public_key(&k.pk), Ok(()));
}

#[test]
fn malformed_signatures_are_errors() {
    let k = &kats()[0];
    let v = |sig: &[u8]| verify512(&k.pk, &k.msg, sig);
    assert_eq!(v(&[]), Err(FalconError::EmptySignature));
    assert_eq!(v(&[SIG_HEADER]), Err(FalconError::SignatureTooShort { len: 1 }));
    assert_eq!(v(&k.sig[..41]), Err(FalconError::SignatureTooShort { len: 41 }));
    let mut long = k.sig.clone();
    long.push(0);
    assert_eq!(v(&long), Err(FalconError::SignatureTooLong { len: 667 }));
    assert_eq!(v(&[SIG_HEADER; 809]), Err(FalconError::SignatureTooLong { len: 809 }));
    assert_eq!(v(&vec![0u8; 1 << 20]), Err(FalconError::SignatureTooLong { len: 1 << 20 }));
    for header in [0x00, 0x38, 0x3a, 0x59, 0xff] {
        let mut sig = k.sig.clone();
        sig[0] = header;
        assert_eq!(v(&sig), Err(FalconError::SignatureHeader(header)));
    }
    // Well framed but all-zero body: not decodable, so Ok(false).
    let mut zero = vec![0u8; SIG_PADDED_LEN];
    zero[0] = SIG_HEADER;
    assert_eq!(v(&zero), Ok(false));
    // Empty and huge messages are fine.
    assert_eq!(verify512(&k.pk, &[], &k.sig), Ok(false));
    assert_eq!(verify512(&k.pk, &vec![0u8; 1 << 20], &k.sig), Ok(false));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_input_never_panics(
        pk in proptest::collection::vec(any::<u8>(), 0..1000),
        msg in proptest::collection::vec(any::<u8>(), 0..100),
        sig in proptest::collection::vec(any::<u8>(), 0..800),
    ) {
        let _ = verify512(&pk, &msg, &sig);
    }

    #[test]
    fn random_framed_input_is_a_clean_result(
        key_body in proptest::collection::vec(any::<u8>(), PK_LEN - 1),
        sig_body in proptest::collection::vec(any::<u8>(), SIG_MIN_LEN - 1..SIG_PADDED_LEN),
        msg in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut sig = vec![SIG_HEADER];
        sig.extend_from_slice(&sig_body);
        // A random well-framed signature never verifies under the KAT key.
        prop_assert_eq!(verify512(&kats()[0].pk, &msg, &sig), Ok(false));
        let mut pk = vec![PK_HEADER];
        pk.extend_from_slice(&key_body);
        match verify512(&pk, &msg, &sig) {
            Ok(false) | Err(FalconError::InvalidPublicKey) => {}
            other => prop_assert!(false, "unexpected {:?}", other),
        }
    }
}
