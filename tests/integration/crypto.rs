//! The built-in crypto host functions end to end (wasmtime, `tests/corpus/crypto.wat`):
//! known answers for Keccak-256, BLAKE3 and Poseidon2, FALCON-512 KATs and PQClean signatures
//! in both layouts, malformed keys and signatures (0, never a trap), bad pointers and lengths
//! (a trap code, never a panic), and gas per absorbed block / per weighted byte.

use std::sync::Arc;

use pqcrypto_falcon::{falcon512, falconpadded512};
use pqcrypto_traits::sign::{DetachedSignature as _, PublicKey as _};
use vmhost::state::MemStore;
use vmhost::testing::{block, host_call, tx, MockVm};
use vmhost::{Chain, ExecConfig, VmRegistry};
use vmhost_abi::{Address, ContractType, ErrorCode, HostFn, Receipt, ReceiptStatus, TxKind};
use vmhost_crypto::poseidon2;
use vmhost_native::NativePlugin;
use vmhost_tests::{corpus, mem_chain, user};
use vmhost_wasmtime::WasmtimeConfig;

#[path = "../../host/crypto/tests/falcon_kat/mod.rs"]
#[allow(dead_code)]
mod falcon_kat;

/// A chain with the crypto probe (`crypto.wat`, a plain contract) and the sealer
/// (`sealer.wat`, a parachain) deployed.
pub(crate) struct Probe {
    pub chain: Chain,
    pub contract: Address,
    pub parachain: Address,
    wave: u64,
}

impl Probe {
    pub fn new() -> Self {
        Self::on(mem_chain(WasmtimeConfig::default()))
    }

    /// The probe deployed on `chain` (whose user 1 is funded).
    pub fn on(mut chain: Chain) -> Self {
        let deploy = |nonce, parachain| {
            let code = corpus(if parachain { "sealer" } else { "crypto" });
            tx(
                user(1),
                nonce,
                TxKind::ContractDeploy { vm: ContractType::Wasm, code, deposit: 0, parachain, non_reentrant: false },
            )
        };
        let nonce = chain.account(&user(1)).unwrap().nonce;
        let out = chain.execute_wave(&block(1), &[deploy(nonce, false), deploy(nonce + 1, true)]).unwrap();
        let contract = out.receipts[0].contract_address.expect("contract");
        let parachain = out.receipts[1].contract_address.expect("parachain");
        Self { chain, contract, parachain, wave: 1 }
    }

    /// The call transaction of `entry` with `input` on the probe (`parachain` picks which).
    pub fn tx(&self, entry: &str, input: Vec<u8>, parachain: bool) -> vmhost_abi::Transaction {
        let nonce = self.chain.account(&user(1)).unwrap().nonce;
        let kind = if parachain {
            TxKind::ParachainCall { contract: self.parachain, entry: entry.into(), input, value: 0 }
        } else {
            TxKind::ContractCall { contract: self.contract, entry: entry.into(), input, value: 0 }
        };
        tx(user(1), nonce, kind)
    }

    pub fn run(&mut self, t: vmhost_abi::Transaction) -> Receipt {
        self.wave += 1;
        self.chain.execute_wave(&block(self.wave), &[t]).unwrap().receipts.remove(0)
    }

    pub fn call(&mut self, entry: &str, input: Vec<u8>) -> Receipt {
        let t = self.tx(entry, input, false);
        self.run(t)
    }

    pub fn para(&mut self, entry: &str, input: Vec<u8>) -> Receipt {
        let t = self.tx(entry, input, true);
        self.run(t)
    }

    /// `falcon` on the probe: 1 valid, 0 invalid.
    fn falcon(&mut self, pk: &[u8], msg: &[u8], sig: &[u8]) -> i32 {
        let r = self.call("falcon", falcon_input(pk, msg, sig));
        assert!(r.is_success(), "{r:?}");
        i32::from_le_bytes(r.return_data[..4].try_into().unwrap())
    }
}

/// The probe's `falcon` input: the three lengths, then the bytes.
fn falcon_input(pk: &[u8], msg: &[u8], sig: &[u8]) -> Vec<u8> {
    lying_falcon_input([pk.len() as u32, msg.len() as u32, sig.len() as u32], &[pk, msg, sig].concat())
}

/// A `falcon` input whose lengths say `lens` whatever the bytes are.
fn lying_falcon_input(lens: [u32; 3], bytes: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = lens.iter().flat_map(|l| l.to_le_bytes()).collect();
    v.extend_from_slice(bytes);
    v
}

fn hash_of(probe: &mut Probe, entry: &str, input: &[u8]) -> String {
    let r = probe.call(entry, input.to_vec());
    assert!(r.is_success(), "{entry}: {r:?}");
    hex::encode(&r.return_data)
}

#[test]
fn keccak256_and_blake3_host_functions_match_known_answers() {
    let mut p = Probe::new();
    // Keccak-256 (the pre-NIST padding Ethereum uses) and BLAKE3's published vectors.
    let cases = [
        ("keccak", &b""[..], "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"),
        ("keccak", b"abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"),
        ("blake3", b"", "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"),
        ("blake3", b"abc", "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"),
    ];
    for (entry, input, expected) in cases {
        assert_eq!(hash_of(&mut p, entry, input), expected, "{entry}({input:?})");
    }
}

/// The byte-level `vmhost/poseidon2/v1` vectors published in `docs/abi-v1.md` (input: bytes
/// `0, 1, 2, ...` mod 256 of the given length unless noted).
pub(crate) fn poseidon2_vectors() -> Vec<(Vec<u8>, &'static str)> {
    let seq = |n: usize| (0..n).map(|i| i as u8).collect::<Vec<u8>>();
    vec![
        (vec![], "162a41857e6eb1ce54b9729c4a3ca0cf210b91524773ea0a3e305eaffdeb67d3"),
        (b"a".to_vec(), "0d020d28091192f5445981c65656521613a104f0e982f31e23c0dc87c7658ae6"),
        (vec![0], "08cf191cea572c2aee8154f0450660da41eb37907c24ae159bc0570f51b45d94"),
        (vec![0, 0], "1c751c6fa19f22a02d56d9264d3e52e316f84218aca58a5f5f6f2378bb5d275f"),
        (seq(31), "1bd3035bdbdca70efd0a42635050efc554db2844a8440be079fe6472571075b4"),
        (seq(62), "2c2905f1f4faf87cca2d3745fdec70b9f5b53b70e69fa2d97e8d2d745c749c04"),
        (seq(63), "1abff1c50465b0d9b9f25a116cda7ad3414ac5679da9a5a92662b933eddb3165"),
        (seq(1000), "0d318fe2be805ab5abf6cf0314fa319015f9ded4324e36182b90ab437dd81c01"),
    ]
}

#[test]
fn poseidon2_host_function_gives_the_published_byte_vectors() {
    let mut p = Probe::new();
    for (input, expected) in poseidon2_vectors() {
        assert_eq!(hash_of(&mut p, "poseidon2", &input), expected, "{} bytes", input.len());
    }
    // The permutation under it is the reference's (HorizenLabs BN254 t = 3 vector).
    let out = poseidon2::permutation([0u64, 1, 2].map(poseidon2::Fr::from));
    assert_eq!(
        hex::encode(poseidon2::fr_to_be_bytes(&out[0])),
        "0bb61d24daca55eebcb1929a82650f328134334da98ea4f847f760054f4a3033"
    );
}

fn kats() -> Vec<[Vec<u8>; 3]> {
    falcon_kat::KAT_ORIG_512.chunks_exact(3).map(|t| [0, 1, 2].map(|i| hex::decode(t[i]).unwrap())).collect()
}

/// A padded signature without its trailing zeros: the compressed layout of the same signature.
fn compressed(sig: &[u8]) -> &[u8] {
    &sig[..sig.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1)]
}

#[test]
fn falcon_verify_accepts_kat_and_pqclean_signatures_in_both_layouts() {
    let mut p = Probe::new();
    for [pk, msg, sig] in kats().iter().take(2) {
        assert_eq!(p.falcon(pk, msg, sig), 1, "KAT, padded");
        assert_eq!(p.falcon(pk, msg, compressed(sig)), 1, "KAT, compressed");
    }
    let msg = b"vmhost falcon cross-check";
    let (pk, sk) = falcon512::keypair();
    let sig = falcon512::detached_sign(msg, &sk);
    assert_eq!(p.falcon(pk.as_bytes(), msg, sig.as_bytes()), 1, "PQClean falcon-512 (compressed)");
    let (ppk, psk) = falconpadded512::keypair();
    let psig = falconpadded512::detached_sign(msg, &psk);
    assert_eq!(psig.as_bytes().len(), 666);
    assert_eq!(p.falcon(ppk.as_bytes(), msg, psig.as_bytes()), 1, "PQClean falcon-padded-512");
}

/// What is wrong, key, message, signature.
type Case<'a> = (&'a str, &'a [u8], &'a [u8], &'a [u8]);

#[test]
fn falcon_verify_returns_zero_for_wrong_or_malformed_input_without_trapping() {
    let mut p = Probe::new();
    let kats = kats();
    let [pk, msg, sig] = &kats[0];
    let mut other_msg = msg.clone();
    other_msg[0] ^= 1;
    let mut long_sig = sig.clone();
    long_sig.push(0);
    let mut bad_header = sig.clone();
    bad_header[0] = 0x59;
    let mut bad_key = pk.clone();
    bad_key[0] = 0x0a;
    let cases: [Case<'_>; 9] = [
        ("wrong message", pk, &other_msg, sig),
        ("wrong key", &kats[1][0], msg, sig),
        ("another signature", pk, msg, &kats[1][2]),
        ("truncated signature", pk, msg, &sig[..600]),
        ("oversized signature", pk, msg, &long_sig),
        ("signature header", pk, msg, &bad_header),
        ("truncated key", &pk[..896], msg, sig),
        ("key header", &bad_key, msg, sig),
        ("nothing at all", &[], &[], &[]),
    ];
    for (what, pk, msg, sig) in cases {
        assert_eq!(p.falcon(pk, msg, sig), 0, "{what}");
    }
    assert_eq!(p.falcon(pk, msg, sig), 1, "the untouched vector still verifies");
}

#[test]
fn crypto_host_functions_trap_on_bad_pointers_and_lengths() {
    let mut p = Probe::new();
    let trap = |r: &Receipt| (r.status, r.code);
    let kat = &kats()[0];
    // FALCON: a length past linear memory, and one past limits.max_crypto_input.
    let r = p.call("falcon", lying_falcon_input([897, 200_000, 666], &kat[0]));
    assert_eq!(trap(&r), (ReceiptStatus::Trapped, ErrorCode::GuestMemoryOutOfBounds));
    let r = p.call("falcon", lying_falcon_input([897, 32, 0x7fff_ffff], &kat[0]));
    assert_eq!(trap(&r), (ReceiptStatus::Trapped, ErrorCode::InputTooLarge));
    let r = p.call("falcon", lying_falcon_input([u32::MAX, 0, 0], &[]));
    assert_eq!(trap(&r), (ReceiptStatus::Trapped, ErrorCode::InputTooLarge));
}

/// Mock VM scripts for exact gas and raw arguments.
fn mock_chain(script: vmhost::testing::Script, parachain: bool) -> (Chain, Address) {
    let vm = Arc::new(MockVm::new());
    vm.register(b"script", script);
    let mut reg = VmRegistry::new();
    reg.register_native(Arc::new(NativePlugin)).unwrap();
    reg.register_vm(ContractType::Plugin("mock".into()), vm).unwrap();
    let mut chain = Chain::open(Arc::new(MemStore::new()), reg, ExecConfig::default()).unwrap();
    chain.genesis(&[(user(1), 1 << 50)]).unwrap();
    let kind = TxKind::ContractDeploy {
        vm: ContractType::Plugin("mock".into()),
        code: b"script".to_vec(),
        deposit: 0,
        parachain,
        non_reentrant: false,
    };
    let out = chain.execute_wave(&block(1), &[tx(user(1), 0, kind)]).unwrap();
    (chain, out.receipts[0].contract_address.unwrap())
}

fn run_mock(chain: &mut Chain, contract: Address, parachain: bool, input: Vec<u8>) -> Receipt {
    let nonce = chain.account(&user(1)).unwrap().nonce;
    let kind = if parachain {
        TxKind::ParachainCall { contract, entry: "run".into(), input, value: 0 }
    } else {
        TxKind::ContractCall { contract, entry: "run".into(), input, value: 0 }
    };
    chain.execute_wave(&block(nonce + 2), &[tx(user(1), nonce, kind)]).unwrap().receipts.remove(0)
}

/// A script calling `f` with the eight u64 arguments of its input (as many as `f` takes) and
/// returning the gas the call took.
fn raw_call(f: HostFn) -> vmhost::testing::Script {
    Arc::new(move |_, host, mem, gas| {
        let n = host_call(host, HostFn::InputLen, &[], mem, gas)?;
        host_call(host, HostFn::InputRead, &[0, 0, n], mem, gas)?;
        let args: Vec<u64> =
            (0..f.spec().params.len()).map(|i| u64::from_le_bytes(mem[i * 8..i * 8 + 8].try_into().unwrap())).collect();
        let before = *gas;
        host_call(host, f, &args, mem, gas)?;
        let used = (before - *gas).to_le_bytes();
        mem[1000..1008].copy_from_slice(&used);
        host_call(host, HostFn::SetReturn, &[1000, 8], mem, gas).map(|_| ())
    })
}

fn args(a: &[u64]) -> Vec<u8> {
    a.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[test]
fn poseidon2_gas_is_base_plus_per_block_of_62_bytes() {
    let (mut chain, c) = mock_chain(raw_call(HostFn::HashPoseidon2), false);
    let cost = HostFn::HashPoseidon2.spec().gas;
    assert_eq!((cost.base, cost.per_byte), (300, 8_700));
    for (len, blocks) in [(0u64, 1u64), (1, 1), (62, 1), (63, 2), (124, 2), (125, 3), (6200, 100)] {
        let r = run_mock(&mut chain, c, false, args(&[2048, len, 60_000]));
        assert!(r.is_success(), "{len}: {r:?}");
        assert_eq!(r.return_data, cost.for_bytes(blocks).to_le_bytes(), "{len} bytes = {blocks} blocks");
    }
}

#[test]
fn every_new_crypto_host_function_traps_on_out_of_bounds_and_oversized_arguments() {
    let max = vmhost_abi::gas::MAX_CRYPTO_INPUT as u64;
    let mem = vmhost::testing::SCRIPT_MEMORY as u64;
    // (function, arguments, expected code), for a plain contract or a parachain.
    let cases: Vec<(HostFn, Vec<u64>, ErrorCode)> = vec![
        (HostFn::HashPoseidon2, vec![mem - 10, 11, 0], ErrorCode::GuestMemoryOutOfBounds),
        (HostFn::HashPoseidon2, vec![0, 10, mem - 31], ErrorCode::GuestMemoryOutOfBounds),
        (HostFn::HashPoseidon2, vec![0, max + 1, 0], ErrorCode::InputTooLarge),
        (HostFn::HashPoseidon2, vec![u64::from(u32::MAX), 1, 0], ErrorCode::GuestMemoryOutOfBounds),
        (HostFn::FalconVerify, vec![mem - 1, 897, 0, 0, 0, 666], ErrorCode::GuestMemoryOutOfBounds),
        (HostFn::FalconVerify, vec![0, 897, 0, max + 1, 0, 666], ErrorCode::InputTooLarge),
        (HostFn::ThresholdEncrypt, vec![mem - 1, 2, 0, 1000], ErrorCode::GuestMemoryOutOfBounds),
        (HostFn::ThresholdEncrypt, vec![0, 10, mem - 100, 1000], ErrorCode::GuestMemoryOutOfBounds),
        (HostFn::ThresholdEncrypt, vec![0, max + 1, 0, 0], ErrorCode::InputTooLarge),
        (HostFn::ThresholdDecrypt, vec![mem - 1, 200, 0, 1000], ErrorCode::GuestMemoryOutOfBounds),
        (HostFn::ThresholdDecrypt, vec![0, max + 1, 0, 0], ErrorCode::InputTooLarge),
    ];
    for (f, a, code) in cases {
        let parachain = f.spec().access == vmhost_abi::Access::ParachainOnly;
        let (mut chain, c) = mock_chain(raw_call(f), parachain);
        let r = run_mock(&mut chain, c, parachain, args(&a));
        assert_eq!((r.status, r.code), (ReceiptStatus::Trapped, code), "{} {a:?}", f.spec().name);
    }
}
