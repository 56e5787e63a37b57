//! The conformance kit on every wasm backend configuration: every fixture's receipts, gas and
//! roots are the expected ones on each (`VMHOST_BLESS=1` rewrites the expectations, and refuses
//! when the configurations disagree). And the kit does fail: a backend that is off by one gas
//! on one call is caught, naming the fixture, the transaction and the field.

use std::sync::Arc;

use vmhost::{CallOutcome, CallParams, Host, Module, PrepareError, Vm, VmError};
use vmhost_conformance::{Backend, Kit, Verdict};
use vmhost_tests::{backend_configs, registry_of};

fn kit() -> Kit {
    let kit = Kit::bundled().expect("fixtures");
    match std::env::var("VMHOST_FIXTURE") {
        Ok(f) => kit.filter(&f),
        Err(_) => kit,
    }
}

#[test]
fn every_fixture_passes_on_every_backend_configuration() {
    let kit = kit();
    let configs = backend_configs();
    let backends: Vec<Backend<'_>> =
        configs.iter().map(|(name, make)| Backend::new(*name, move || registry_of(make()))).collect();
    let report = kit.run(&backends);
    eprint!("{}", report.table());
    if std::env::var("VMHOST_BLESS").is_ok_and(|v| v == "1") {
        let written = kit.bless(&report).unwrap_or_else(|e| panic!("{e}\n{}", report.failures()));
        eprintln!("blessed: {written:?}");
        return;
    }
    assert!(report.passed(), "conformance failures:\n{}", report.failures());
    assert!(kit.fixtures.len() >= 5 || std::env::var("VMHOST_FIXTURE").is_ok(), "the kit lost its fixtures");
}

/// The kit through the node settings that take other paths to the same outcome: every wave
/// committed one transaction per chunk (the chunked commit of waves larger than memory), with a
/// one-wave pruning window, on wasmtime. The hostile corpus (deepest recursion, largest
/// memory, gas loops, traps at depth) goes through the chunked commit and pruning this way.
#[test]
fn every_fixture_passes_with_chunked_commits_and_pruning() {
    let mut kit = kit();
    kit.exec.node.commit_chunk = 1;
    kit.exec.node.retain_waves = 1;
    let configs = backend_configs();
    let backends: Vec<Backend<'_>> =
        configs.iter().take(1).map(|(name, make)| Backend::new(*name, move || registry_of(make()))).collect();
    let report = kit.run(&backends);
    assert!(report.passed(), "conformance failures:\n{}", report.failures());
}

#[test]
fn every_fixture_passes_pipelined() {
    // Each wave's store write overlapping the next wave's execution, with a pruning window of
    // three waves (a shorter one makes the pipeline wait for every write).
    let mut kit = kit();
    kit.pipelined = true;
    kit.exec.node.retain_waves = 3;
    let configs = backend_configs();
    let backends: Vec<Backend<'_>> =
        configs.iter().take(1).map(|(name, make)| Backend::new(*name, move || registry_of(make()))).collect();
    let report = kit.run(&backends);
    assert!(report.passed(), "conformance failures:\n{}", report.failures());
}

/// A wasm backend that reports one gas unit too few used on every call that completes.
struct OffByOne(Arc<dyn Vm>);
struct OffByOneModule(Arc<dyn Module>);

impl Vm for OffByOne {
    fn name(&self) -> &str {
        "off-by-one"
    }
    fn artifact_tag(&self) -> [u8; 32] {
        self.0.artifact_tag()
    }
    fn code_format(&self) -> vmhost::CodeFormat {
        self.0.code_format()
    }
    fn compile(&self, code: &[u8]) -> Result<Vec<u8>, PrepareError> {
        self.0.compile(code)
    }
    fn load(&self, artifact: &[u8]) -> Result<Arc<dyn Module>, VmError> {
        Ok(Arc::new(OffByOneModule(self.0.load(artifact)?)))
    }
}

impl Module for OffByOneModule {
    fn call(&self, call: &CallParams<'_>, host: &mut dyn Host) -> Result<CallOutcome, VmError> {
        let mut out = self.0.call(call, host)?;
        if out.result.is_ok() && out.gas_left > 0 && out.gas_left < call.gas_limit {
            out.gas_left += 1;
        }
        Ok(out)
    }
}

#[test]
fn a_backend_off_by_one_gas_fails_the_kit_naming_fixture_transaction_and_field() {
    let kit = Kit::bundled().expect("fixtures").filter("hostfns");
    let (_, make) = &backend_configs()[0];
    let broken = Backend::new("off-by-one", || registry_of(Arc::new(OffByOne(make()))));
    let report = kit.run(&[broken]);
    assert!(!report.passed());
    let (name, verdicts, _) = &report.rows[0];
    assert_eq!(name, "hostfns");
    let Verdict::Fail(mismatches) = &verdicts[0] else { panic!("{:?}", verdicts[0]) };
    let first = &mismatches[0];
    assert_eq!((first.wave, first.tx.is_some(), first.field.as_str()), (1, true, "gas_used"), "{first}");
    let failures = report.failures();
    assert!(failures.contains("hostfns on off-by-one: wave 1 tx 0 gas_used: expected"), "{failures}");
}

#[test]
fn the_fixtures_reach_every_error_code() {
    use vmhost_abi::ErrorCode as C;
    let kit = Kit::bundled().expect("fixtures");
    let mut receipts = Vec::new();
    for f in &kit.fixtures {
        let expected = kit.expected(f).expect("readable").unwrap_or_else(|| panic!("{} is not blessed", f.name));
        for w in expected.waves {
            receipts.extend(w.receipts.into_iter().map(|r| (f.name.clone(), r)));
        }
    }
    // Codes a host function returns to the calling contract, which returns them as data (the
    // forwarder and `nest` as a u32, the driver as an i64: little-endian either way).
    let returned = [
        (C::CallDepthExceeded, "nested"),
        (C::Reentrancy, "nested"),
        (C::StaticCallViolation, "nested"),
        (C::CallTargetMissing, "hostfns"),
    ];
    // Codes no transaction of a fixture can produce, and why.
    let unreachable = [
        (
            C::MalformedTransaction,
            "needs bytes that do not decode; the kit submits transactions (execute_wave_raw's tests)",
        ),
        (C::Timeout, "never a receipt code: a timeout aborts the wave (hostile tests)"),
        (C::ContractExists, "addresses derive from sender and nonce: no transaction reaches an existing one"),
        (C::OtherTrap, "a host or engine fault with no better name: none is known"),
        (C::UnknownHostFunction, "the gate admits only ABI imports"),
        (C::Unsupported, "the reference services provide every function (threshold tests cover a chain without)"),
        (C::BalanceOverflow, "genesis balances of 10^15 cannot overflow u128 (native tests)"),
        (C::ValidatorJailed, "reserved: no v1 handler returns it"),
    ];
    for code in C::ALL {
        if receipts.iter().any(|(_, r)| r.code == code.name()) {
            continue;
        }
        if let Some((_, fixture)) = returned.iter().find(|(c, _)| c == code) {
            let le = hex::encode(code.as_u32().to_le_bytes());
            assert!(
                receipts.iter().any(|(f, r)| f == fixture && r.return_data.starts_with(&le)),
                "{code:?} is returned by no call of fixture {fixture}"
            );
            continue;
        }
        assert!(unreachable.iter().any(|(c, _)| c == code), "no fixture reaches {code:?} ({})", code.as_u32());
    }
}
