//! Benchmarks of the three capabilities, sized so that per-block and per-byte costs can be
//! derived: Poseidon2 per 62-byte block, FALCON per message byte, threshold per plaintext byte.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use pqcrypto_falcon::falconpadded512;
use pqcrypto_traits::sign::{DetachedSignature as _, PublicKey as _};
use vmhost_crypto::threshold::{combine, partial_decrypt, Committee, ReferenceProvider};
use vmhost_crypto::{falcon, poseidon2};

fn bench_poseidon2(c: &mut Criterion) {
    let mut group = c.benchmark_group("poseidon2");
    let state = [poseidon2::Fr::from(0u64), poseidon2::Fr::from(1u64), poseidon2::Fr::from(2u64)];
    group.bench_function("permutation", |b| b.iter(|| poseidon2::permutation(black_box(state))));
    for len in [62usize, 620, 6200] {
        let input: Vec<u8> = (0..len).map(|i| i as u8).collect();
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_with_input(BenchmarkId::new("hash", len), &input, |b, input| {
            b.iter(|| poseidon2::hash(black_box(input)))
        });
    }
    group.finish();
}

fn bench_falcon(c: &mut Criterion) {
    let mut group = c.benchmark_group("falcon512");
    let (pk, sk) = falconpadded512::keypair();
    for len in [32usize, 1024] {
        let msg = vec![0x5a; len];
        let sig = falconpadded512::detached_sign(&msg, &sk);
        assert_eq!(falcon::verify512(pk.as_bytes(), &msg, sig.as_bytes()), Ok(true));
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_function(BenchmarkId::new("verify_padded", len), |b| {
            b.iter(|| falcon::verify512(black_box(pk.as_bytes()), black_box(&msg), black_box(sig.as_bytes())))
        });
    }
    group.finish();
}

fn bench_threshold(c: &mut Criterion) {
    let mut group = c.benchmark_group("threshold_3_of_5");
    let committee = Committee::generate(3, 5, &[1; 32]).unwrap();
    let provider = ReferenceProvider::from_committee(committee.clone());
    for len in [32usize, 1024] {
        let msg = vec![0x42; len];
        let ct = provider.encrypt(&msg, &[2; 32]).unwrap();
        let partials: Vec<_> = committee.shares[..3].iter().map(|s| partial_decrypt(s, &ct).unwrap()).collect();
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_function(BenchmarkId::new("encrypt", len), |b| {
            b.iter(|| provider.encrypt(black_box(&msg), black_box(&[2; 32])).unwrap())
        });
        group.bench_function(BenchmarkId::new("provider_decrypt", len), |b| {
            b.iter(|| provider.decrypt(black_box(&ct)).unwrap())
        });
        group.bench_function(BenchmarkId::new("partial_decrypt", len), |b| {
            b.iter(|| partial_decrypt(black_box(&committee.shares[0]), black_box(&ct)).unwrap())
        });
        group.bench_function(BenchmarkId::new("combine", len), |b| {
            b.iter(|| combine(&committee.public_key, 3, black_box(&partials), black_box(&ct)).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench_poseidon2, bench_falcon, bench_threshold);
criterion_main!(benches);
