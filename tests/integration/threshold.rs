//! Threshold encryption through the built-in reference provider: deterministic ciphertexts
//! (the seed derived from the transaction hash, the contract, the call depth and a counter),
//! round trips, -1 for ciphertexts that do not decrypt, parachain-only at deploy and at call,
//! static calls refused, the committee key as consensus, and a chain's own provider.

use std::sync::Arc;

use vmhost::state::MemStore;
use vmhost::testing::{block, tx};
use vmhost::{Chain, ChainServices, ExecConfig, ReferenceServices};
use vmhost_abi::{ContractType, ErrorCode, HostFn, ReceiptStatus, TxKind};
use vmhost_crypto::threshold::{Committee, ReferenceProvider};
use vmhost_tests::{corpus, registry, user};
use vmhost_wasmtime::WasmtimeConfig;

use crate::crypto::Probe;

fn open_result(r: &vmhost_abi::Receipt) -> (i32, Vec<u8>) {
    assert!(r.is_success(), "{r:?}");
    (i32::from_le_bytes(r.return_data[..4].try_into().unwrap()), r.return_data[4..].to_vec())
}

#[test]
fn threshold_encrypt_is_deterministic_and_its_seed_is_the_documented_derivation() {
    let mut a = Probe::new();
    let mut b = Probe::new();
    let t = a.tx("seal", b"sealed bid: 42".to_vec(), true);
    let (ra, rb) = (a.run(t.clone()), b.run(t.clone()));
    assert!(ra.is_success(), "{ra:?}");
    assert_eq!(ra.return_data, rb.return_data, "two validators make the same ciphertext");
    assert_eq!(ra.return_data.len(), 14 + 113);
    // The seed: BLAKE3-derive-key(tx hash ‖ contract ‖ depth 1 ‖ counter 0), and the committee key
    // is the devnet one.
    let seed = vmhost::hostfns::encryption_seed(&t.hash(), &a.parachain.0, 1, 0);
    let devnet = ReferenceServices::devnet();
    assert_eq!(devnet.threshold_encrypt(b"sealed bid: 42", &seed).unwrap(), ra.return_data);
    assert_eq!(devnet.threshold_decrypt(&ra.return_data).unwrap().unwrap(), b"sealed bid: 42");
    // A second encryption in the same transaction takes the next counter: another ciphertext.
    let r = a.para("seal2", b"x".to_vec());
    let (first, second) = r.return_data.split_at(r.return_data.len() / 2);
    assert_ne!(first, second);
    assert_eq!(devnet.threshold_decrypt(first).unwrap(), devnet.threshold_decrypt(second).unwrap());
}

#[test]
fn threshold_decrypt_round_trips_and_gives_minus_one_for_bad_ciphertexts() {
    let mut p = Probe::new();
    let ct = p.para("seal", b"hello committee".to_vec()).return_data;
    let (n, plain) = open_result(&p.para("open", ct.clone()));
    assert_eq!((n, plain.as_slice()), (15, &b"hello committee"[..]));
    let mut tampered = ct.clone();
    *tampered.last_mut().unwrap() ^= 1;
    let other_committee = Committee::generate(2, 3, &[9; 32]).unwrap();
    let foreign = vmhost_crypto::threshold::encrypt(other_committee.public_key.key(), b"hi", &[1; 32]).unwrap();
    for (what, bad) in
        [("tampered", tampered), ("truncated", ct[..50].to_vec()), ("empty", vec![]), ("foreign", foreign)]
    {
        assert_eq!(open_result(&p.para("open", bad)), (-1, vec![]), "{what}");
    }
}

#[test]
fn threshold_functions_are_parachain_only_and_refused_in_static_calls() {
    let mut p = Probe::new();
    // A plain contract running the sealer's code (delegate_call keeps the caller's context,
    // a plain contract's) is refused at the call.
    for entry in ["seal", "open"] {
        let mut input = p.parachain.0.to_vec();
        input.extend_from_slice(entry.as_bytes());
        let r = p.call("delegate", input);
        assert!(r.is_success(), "{r:?}");
        assert_eq!(r.return_data, ErrorCode::ParachainOnly.as_u32().to_le_bytes(), "{entry}");
    }
    let r = p.para("static_seal", vec![]);
    assert!(r.is_success(), "{r:?}");
    assert_eq!(r.return_data, ErrorCode::StaticCallViolation.as_u32().to_le_bytes());
    assert_eq!(HostFn::ThresholdEncrypt.spec().access, vmhost_abi::Access::ParachainOnly);
}

#[test]
fn threshold_encrypt_of_a_plaintext_above_the_providers_limit_traps_input_too_large() {
    let mut p = Probe::new();
    let limit = vmhost_crypto::threshold::MAX_PLAINTEXT_LEN;
    let r = p.para("seal", vec![1; limit + 1]);
    assert_eq!((r.status, r.code), (ReceiptStatus::Trapped, ErrorCode::InputTooLarge));
    // At the limit the ciphertext is longer than return data may be: a clear trap as well.
    let r = p.para("seal", vec![1; limit]);
    assert_eq!((r.status, r.code), (ReceiptStatus::Trapped, ErrorCode::ReturnDataTooLarge));
}

#[test]
fn deploying_a_plain_contract_that_imports_threshold_functions_is_refused() {
    let mut chain = vmhost_tests::mem_chain(WasmtimeConfig::default());
    let kind = |parachain| TxKind::ContractDeploy {
        vm: ContractType::Wasm,
        code: corpus("sealer"),
        deposit: 0,
        parachain,
        non_reentrant: false,
    };
    let out = chain.execute_wave(&block(1), &[tx(user(1), 0, kind(false)), tx(user(1), 1, kind(true))]).unwrap();
    assert_eq!((out.receipts[0].status, out.receipts[0].code), (ReceiptStatus::Failed, ErrorCode::ParachainOnly));
    assert!(out.receipts[1].is_success(), "{:?}", out.receipts[1]);
}

#[test]
fn a_provider_of_another_committee_is_refused_unless_the_params_name_its_key() {
    let committee = Committee::generate(3, 5, &[5; 32]).unwrap();
    let key = committee.public_key.key().to_bytes();
    let services = Arc::new(ReferenceServices::new(ReferenceProvider::from_committee(committee)));
    let open = |exec: ExecConfig| {
        Chain::open_with_services(
            Arc::new(MemStore::new()),
            registry(WasmtimeConfig::default()),
            exec,
            services.clone(),
        )
    };
    let e = open(ExecConfig::default()).unwrap_err().to_string();
    assert!(e.contains("crypto.threshold_committee_key") && e.contains(&hex::encode(key)), "{e}");
    let mut exec = ExecConfig::default();
    exec.consensus.set("crypto.threshold_committee_key", &hex::encode(key)).unwrap();
    let mut chain = open(exec).unwrap();
    chain.genesis(&[(user(1), 1 << 50)]).unwrap();
    let mut p = Probe::on(chain);
    let ct = p.para("seal", b"chain's own committee".to_vec()).return_data;
    assert!(ReferenceServices::devnet().threshold_decrypt(&ct).unwrap().is_none(), "not the devnet key");
    assert_eq!(services.threshold_decrypt(&ct).unwrap().unwrap(), b"chain's own committee");
    assert_eq!(open_result(&p.para("open", ct)).1, b"chain's own committee");
}

#[test]
fn the_default_committee_key_is_the_documented_devnet_derivation() {
    let (t, n) = vmhost::params::DEVNET_COMMITTEE;
    let committee = Committee::generate(t, n, &vmhost::params::DEVNET_COMMITTEE_SEED).unwrap();
    assert_eq!(committee.public_key.key().to_bytes(), vmhost::params::DEVNET_COMMITTEE_KEY);
    assert_eq!(vmhost::ConsensusParams::default().crypto.threshold_committee_key, vmhost::params::DEVNET_COMMITTEE_KEY);
    assert_eq!(&vmhost::params::DEVNET_COMMITTEE_SEED, b"vmhost devnet committee seed v1.");
}

#[test]
fn no_host_function_is_unsupported_in_a_default_chain() {
    let mut p = Probe::new();
    let checks = [
        ("poseidon2", false, vec![1, 2, 3]),
        ("falcon", false, vec![0; 12]),
        ("seal", true, b"x".to_vec()),
        ("open", true, vec![0; 200]),
    ];
    for (entry, para, input) in checks {
        let r = if para { p.para(entry, input) } else { p.call(entry, input) };
        assert!(r.is_success(), "{entry}: {r:?}");
    }
    let doc = vmhost::docs::abi_reference();
    let table: Vec<&str> = doc.lines().filter(|l| l.starts_with("| ") && l.contains("` | `(")).collect();
    assert_eq!(table.len(), vmhost_abi::HOST_FUNCTIONS.len());
    assert!(table.iter().all(|row| !row.contains("Unsupported")), "{table:#?}");
}
