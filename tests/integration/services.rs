//! Chain-service host functions: `Unsupported` without a provider, the provider's answer with
//! one, and `threshold_*` restricted to parachains.

use std::sync::Arc;

use vmhost::state::MemStore;
use vmhost::testing::{block, tx};
use vmhost::{Chain, ChainServices, ExecConfig};
use vmhost_abi::{Address, ContractType, ErrorCode, Receipt, ReceiptStatus, TxKind};
use vmhost_tests::{registry, user};
use vmhost_wasmtime::WasmtimeConfig;

/// A stand-in provider for tests: deterministic, clearly not real cryptography.
struct TestServices;

impl ChainServices for TestServices {
    fn poseidon2(&self, input: &[u8]) -> Result<[u8; 32], ErrorCode> {
        Ok(*blake3::hash(input).as_bytes())
    }
    fn threshold_encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, ErrorCode> {
        Ok(plaintext.iter().map(|b| b ^ 0x5a).collect())
    }
}

const SERVICES: &str = r#"(module
  (import "vmhost" "hash_poseidon2" (func $p2 (param i32 i32 i32)))
  (import "vmhost" "threshold_encrypt" (func $enc (param i32 i32 i32 i32) (result i32)))
  (import "vmhost" "falcon_verify" (func $falcon (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "vmhost" "set_return" (func $ret (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "abc")
  (func (export "poseidon2") (call $p2 (i32.const 0) (i32.const 3) (i32.const 64)) (call $ret (i32.const 64) (i32.const 32)))
  (func (export "encrypt") (drop (call $enc (i32.const 0) (i32.const 3) (i32.const 64) (i32.const 32))) (call $ret (i32.const 64) (i32.const 3)))
  (func (export "falcon") (drop (call $falcon (i32.const 0) (i32.const 3) (i32.const 0) (i32.const 3) (i32.const 0) (i32.const 3)))))"#;

fn chain(services: Option<Arc<dyn ChainServices>>) -> (Chain, Address, Address) {
    let reg = registry(WasmtimeConfig::default());
    let store = Arc::new(MemStore::new());
    let mut chain = match services {
        Some(s) => Chain::open_with_services(store, reg, ExecConfig::default(), s).expect("open"),
        None => Chain::open(store, reg, ExecConfig::default()).expect("open"),
    };
    chain.genesis(&[(user(1), 1 << 60)]).expect("genesis");
    let code = wat::parse_str(SERVICES).expect("wat");
    let deploy = |nonce, parachain| {
        tx(user(1), nonce, TxKind::ContractDeploy { vm: ContractType::Wasm, code: code.clone(), deposit: 0, parachain })
    };
    let out = chain.execute_wave(&block(1), &[deploy(0, false), deploy(1, true)]).expect("deploy");
    (chain, out.receipts[0].contract_address.expect("contract"), out.receipts[1].contract_address.expect("parachain"))
}

fn call(chain: &mut Chain, wave: u64, contract: Address, entry: &str, parachain: bool) -> Receipt {
    let nonce = chain.account(&user(1)).expect("account").nonce;
    let kind = if parachain {
        TxKind::ParachainCall { contract, entry: entry.into(), input: vec![], value: 0 }
    } else {
        TxKind::ContractCall { contract, entry: entry.into(), input: vec![], value: 0 }
    };
    chain.execute_wave(&block(wave), &[tx(user(1), nonce, kind)]).expect("wave").receipts.remove(0)
}

#[test]
fn chain_services_are_unsupported_without_a_provider() {
    let (mut chain, c, p) = chain(None);
    for (wave, (entry, target, para)) in
        [("poseidon2", c, false), ("falcon", c, false), ("encrypt", p, true)].into_iter().enumerate()
    {
        let r = call(&mut chain, 2 + wave as u64, target, entry, para);
        assert_eq!((r.status, r.code), (ReceiptStatus::Trapped, ErrorCode::Unsupported), "{entry}");
    }
}

#[test]
fn chain_services_use_the_provider_and_threshold_is_parachain_only() {
    let (mut chain, c, p) = chain(Some(Arc::new(TestServices)));
    let r = call(&mut chain, 2, c, "poseidon2", false);
    assert_eq!(r.return_data, blake3::hash(b"abc").as_bytes().to_vec(), "{r:?}");
    let r = call(&mut chain, 3, c, "encrypt", false);
    assert_eq!(r.code, ErrorCode::ParachainOnly);
    let r = call(&mut chain, 4, p, "encrypt", true);
    assert_eq!(r.return_data, vec![b'a' ^ 0x5a, b'b' ^ 0x5a, b'c' ^ 0x5a], "{r:?}");
    let r = call(&mut chain, 5, c, "falcon", false);
    assert_eq!(r.code, ErrorCode::Unsupported, "a provider may supply only some services");
    // A parachain must be called with ParachainCall, a contract with ContractCall.
    let r = call(&mut chain, 6, p, "encrypt", false);
    assert_eq!((r.status, r.code), (ReceiptStatus::Invalid, ErrorCode::WrongContractKind));
}
