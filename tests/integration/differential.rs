//! The differential property on every CI run: a few hundred modules that `wasm-smith`
//! generates (seeded, so a failure reproduces) give the same receipts, gas and roots on
//! wasmtime, wasmer Cranelift and wasmer Singlepass (`vmhost_conformance::differential`). The
//! fuzz target under `fuzz/` runs the same check on coverage-guided inputs.

use vmhost_conformance::differential::run_case;
use vmhost_tests::differential_backends;

/// A small deterministic generator of fuzzer-like bytes.
struct XorShift(u64);

impl XorShift {
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n)
            .map(|_| {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                (self.0 >> 24) as u8
            })
            .collect()
    }
}

#[test]
fn generated_modules_give_identical_receipts_on_every_wasm_backend() {
    // VMHOST_DIFF_CASES overrides the count (CI runs the default; see docs/benchmarks.md).
    let cases: u64 = std::env::var("VMHOST_DIFF_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(500);
    let started = std::time::Instant::now();
    let (mut deployed, mut calls_ok, mut calls_failed, mut codes) = (0, 0, 0, std::collections::BTreeSet::new());
    for seed in 1..=cases {
        let mut g = XorShift(0x9E37_79B9_7F4A_7C15 ^ seed.wrapping_mul(0x2545_F491_4F6C_DD1D));
        let len = 256 + (seed as usize * 97) % 3000;
        let data = g.bytes(len);
        let outcome = run_case(&data, differential_backends()).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let Some(outcome) = outcome else { continue };
        if outcome.waves.len() == 2 {
            deployed += 1;
            for r in &outcome.waves[1].receipts {
                codes.insert(r.code.clone());
                if r.status == "Success" {
                    calls_ok += 1;
                } else {
                    calls_failed += 1;
                }
            }
        } else {
            codes.insert(outcome.waves[0].receipts[0].code.clone());
        }
    }
    eprintln!(
        "{cases} cases in {:.1?}: {deployed} modules deployed, {calls_ok} calls succeeded, {calls_failed} failed; codes {codes:?}",
        started.elapsed()
    );
    assert!(deployed * 2 >= cases, "most generated modules must deploy ({deployed} of {cases})");
    assert!(calls_ok > 0 && calls_failed > 0, "both outcomes occur");
}
