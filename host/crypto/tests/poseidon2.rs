//! Known answers for the Poseidon2 permutation (HorizenLabs reference vector) and for the
//! `vmhost/poseidon2/v1` byte sponge. The sponge vectors were computed once with this crate and
//! cross-checked against an independent Python implementation of the documented encoding; a
//! change in the encoding must fail here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use vmhost_crypto::poseidon2::{self, Fr, BLOCK_BYTES};

fn fr(hex_be: &str) -> Fr {
    let bytes: [u8; 32] = hex::decode(hex_be).unwrap().try_into().unwrap();
    poseidon2::fr_from_be_bytes(&bytes).unwrap()
}

/// HorizenLabs `poseidon2` (zkhash) BN254 t = 3 test vector, also in taceo-poseidon2's
/// `poseidon2_bn254_t3_kat1`: permutation([0, 1, 2]).
const PERM_012: [&str; 3] = [
    "0bb61d24daca55eebcb1929a82650f328134334da98ea4f847f760054f4a3033",
    "303b6f7c86d043bfcbcc80214f26a30277a15d3f74ca654992defe7ff8d03570",
    "1ed25194542b12eef8617361c3ba7c52e660b145994427cc86296242cf766ec8",
];

#[test]
fn permutation_reference_vector() {
    let out = poseidon2::permutation([Fr::from(0u64), Fr::from(1u64), Fr::from(2u64)]);
    assert_eq!(out, PERM_012.map(fr));
}

#[test]
fn permutation_bytes_matches_field_api() {
    let mut input = [[0u8; 32]; 3];
    input[1][31] = 1;
    input[2][31] = 2;
    let out = poseidon2::permutation_bytes(&input).unwrap();
    assert_eq!(out.map(hex::encode), PERM_012.map(String::from));
    // p itself is not canonical.
    let p: [u8; 32] =
        hex::decode("30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001").unwrap().try_into().unwrap();
    assert_eq!(
        poseidon2::permutation_bytes(&[input[0], p, input[2]]),
        Err(poseidon2::Poseidon2Error::NonCanonical { index: 1 })
    );
}

fn seq(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 256) as u8).collect()
}

/// `(input, hash)`: inputs are `0, 1, 2, …` (mod 256) of the given length unless noted.
fn vectors() -> Vec<(Vec<u8>, &'static str)> {
    vec![
        (vec![], "162a41857e6eb1ce54b9729c4a3ca0cf210b91524773ea0a3e305eaffdeb67d3"),
        (b"a".to_vec(), "0d020d28091192f5445981c65656521613a104f0e982f31e23c0dc87c7658ae6"),
        (seq(31), "1bd3035bdbdca70efd0a42635050efc554db2844a8440be079fe6472571075b4"),
        (seq(32), "14d63d53d96d04793ec4832bd84fa6a65ea058e064e8976bc69ce27b83d217fb"),
        (seq(62), "2c2905f1f4faf87cca2d3745fdec70b9f5b53b70e69fa2d97e8d2d745c749c04"),
        (seq(63), "1abff1c50465b0d9b9f25a116cda7ad3414ac5679da9a5a92662b933eddb3165"),
        (seq(1000), "0d318fe2be805ab5abf6cf0314fa319015f9ded4324e36182b90ab437dd81c01"),
        (vec![0], "08cf191cea572c2aee8154f0450660da41eb37907c24ae159bc0570f51b45d94"),
        (vec![0, 0], "1c751c6fa19f22a02d56d9264d3e52e316f84218aca58a5f5f6f2378bb5d275f"),
    ]
}

#[test]
fn hash_known_answers() {
    for (input, expected) in vectors() {
        assert_eq!(hex::encode(poseidon2::hash(&input)), expected, "input of {} bytes", input.len());
    }
}

#[test]
fn hash_is_a_manual_sponge() {
    // Re-derive hash(0..63) step by step from the documented encoding.
    let input = seq(63);
    let chunk = |bytes: &[u8]| {
        let mut le = [0u8; 32];
        le[..bytes.len()].copy_from_slice(bytes);
        le.reverse();
        poseidon2::fr_from_be_bytes(&le).unwrap()
    };
    let mut tag = poseidon2::domain_tag_bytes(63);
    tag.reverse();
    let mut state = [Fr::from(0u64), Fr::from(0u64), poseidon2::fr_from_be_bytes(&tag).unwrap()];
    for block in [&input[..62], &input[62..]] {
        let (a, b) = block.split_at(block.len().min(31));
        state[0] += chunk(a);
        state[1] += chunk(b);
        state = poseidon2::permutation(state);
    }
    assert_eq!(poseidon2::fr_to_be_bytes(&state[0]), poseidon2::hash(&input));
}

#[test]
fn length_separates_equal_padding() {
    let h = |b: &[u8]| poseidon2::hash(b);
    assert_ne!(h(&[]), h(&[0]));
    assert_ne!(h(&[0]), h(&[0, 0]));
    assert_ne!(h(&[0; 31]), h(&[0; 32]));
    assert_ne!(h(&[0; 62]), h(&[0; 61]));
    assert_ne!(h(&[1]), h(&[1, 0]));
}

#[test]
fn block_count() {
    assert_eq!(BLOCK_BYTES, 62);
    assert_eq!(poseidon2::blocks(0), 1);
    assert_eq!(poseidon2::blocks(1), 1);
    assert_eq!(poseidon2::blocks(62), 1);
    assert_eq!(poseidon2::blocks(63), 2);
    assert_eq!(poseidon2::blocks(124), 2);
    assert_eq!(poseidon2::blocks(6200), 100);
    assert_eq!(poseidon2::blocks(usize::MAX), (usize::MAX as u64).div_ceil(62));
}

#[test]
fn digest_is_canonical() {
    for len in 0..200 {
        let d = poseidon2::hash(&seq(len));
        assert!(poseidon2::fr_from_be_bytes(&d).is_some());
    }
}
