//! The generated ABI reference (`docs/abi-v1.md`): the ABI table's part
//! ([`vmhost_abi::docs::render_markdown`]) and the consensus parameters with their defaults,
//! generated from [`ConsensusParams::entries`] so the document cannot drift from the code.

use crate::params::ConsensusParams;

/// What a parameter (by its dotted name) is, in a few words.
fn describe(name: &str) -> &'static str {
    match name {
        "chain_id" => "the chain id transactions must carry",
        "max_tx_gas" => "largest gas limit a transaction may carry",
        "max_call_depth" => "deepest nesting of calls (the top-level call is depth 1)",
        "view_gas_cap" => "gas cap of a cross_call_static callee",
        "stack_limit" => "stack units per transaction, shared by nested calls",
        "memory.max_tx_pages" => "64 KiB pages of linear memory all live frames of a transaction may hold",
        n if n.starts_with("ops.") => "per-operator gas weight",
        n if n.starts_with("gas.") => "host-function gas (base + per byte)",
        n if n.starts_with("intrinsic.") => "intrinsic gas, charged before execution",
        n if n.starts_with("limits.") => "size limit, bytes or count",
        n if n.starts_with("wasm.") => "static deploy limit of the wasm gate",
        "native.query_gas" | "native.query_per_byte" => {
            "native query through a system address (base, per returned byte)"
        }
        n if n.starts_with("native.") => "native transaction handlers",
        "crypto.falcon_message_weight" => "falcon_verify units per message byte (key and signature bytes: 1)",
        "crypto.threshold_committee_key" => "committee key threshold_encrypt encrypts under (devnet committee)",
        "contracts.upgrade_grace_waves" => "waves between an upgrade and the wave its code takes effect",
        _ => "",
    }
}

/// What each wasmparser feature flag is, for the profile table (by flag name).
fn feature_words(flag: &str) -> &'static str {
    match flag {
        "MUTABLE_GLOBAL" => "imported/exported mutable globals",
        "SATURATING_FLOAT_TO_INT" => "`*.trunc_sat_*` (saturating float-to-int)",
        "SIGN_EXTENSION" => "`i32.extend8_s` and friends",
        "REFERENCE_TYPES" => "`externref`, `ref.*`, `table.*`, several tables",
        "MULTI_VALUE" => "several results and block parameters",
        "BULK_MEMORY" => "`memory.copy`/`fill`/`init`, `data.drop`, passive segments (priced per byte)",
        "SIMD" => "128-bit SIMD",
        "RELAXED_SIMD" => "relaxed SIMD (results differ across machines)",
        "THREADS" => "atomics and shared memory",
        "SHARED_EVERYTHING_THREADS" => "shared-everything threads",
        "TAIL_CALL" => "`return_call`",
        "FLOATS" => "f32/f64 (NaN results canonicalised by every backend)",
        "MULTI_MEMORY" => "several memories",
        "EXCEPTIONS" | "LEGACY_EXCEPTIONS" => "exception handling",
        "MEMORY64" => "64-bit memories",
        "EXTENDED_CONST" => "arithmetic in constant expressions",
        "COMPONENT_MODEL" => "the component model",
        "FUNCTION_REFERENCES" => "typed function references",
        "MEMORY_CONTROL" => "memory control",
        "GC" => "garbage-collected types",
        "CUSTOM_PAGE_SIZES" => "custom page sizes",
        "WIDE_ARITHMETIC" => "128-bit arithmetic instructions",
        "STACK_SWITCHING" => "stack switching",
        _ => "",
    }
}

/// The deterministic feature profile, generated from the gate's feature set
/// ([`crate::wasm::deterministic_features`]) so it cannot drift.
fn feature_profile() -> String {
    use wasmparser::WasmFeatures;
    let on = crate::wasm::deterministic_features();
    let mut s = String::from(
        "\n## Deterministic feature profile\n\nThe deploy gate validates every module with exactly these WebAssembly \
         features (wasmparser's `WasmFeatures`, generated from `vmhost::wasm::deterministic_features`). A module that \
         is valid only with another feature fails its deploy with `DisabledFeature`; `examples/inspect_wasm.py \
         --check` reports the same (a test checks the two agree). Contracts built for `wasm32v1-none` (Rust) or \
         `-mcpu=mvp` (C) use the MVP only; the example contracts keep to it (`inspect_wasm.py --check --mvp`).\n\n\
         | feature | accepted | what |\n|---|---|---|\n",
    );
    let mut rest = Vec::new();
    for (name, flag) in WasmFeatures::all().iter_names() {
        let accepted = on.contains(flag);
        match feature_words(name) {
            "" if !accepted => rest.push(format!("`{}`", name.to_lowercase())),
            words => {
                let yes = if accepted { "yes" } else { "no" };
                s.push_str(&format!("| `{}` | {yes} | {words} |\n", name.to_lowercase()));
            }
        }
    }
    if !rest.is_empty() {
        s.push_str(&format!("\nAlso refused (component-model and other proposal flags): {}.\n", rest.join(", ")));
    }
    s.push_str(
        "\nBeyond features, the gate refuses: imports other than ABI v1 host functions with their exact signatures, \
         a start function, exports of functions that are not `() -> ()`, a module without an entry point or without \
         its memory exported as `memory`, export names starting `__vmhost_`, and data or element segments that do not \
         fit the initial memory or table.\n",
    );
    s
}

/// Every limit a contract author meets, with its default, from the consensus parameters.
fn limits_table() -> String {
    let words = |name: &str| -> Option<&'static str> {
        Some(match name {
            "max_tx_gas" => {
                "gas limit of a transaction (the CLI's `call` default is 10,000,000; a deploy from the CLI uses this \
                 maximum)"
            }
            "view_gas_cap" => "gas a `cross_call_static` callee may use",
            "max_call_depth" => "nesting of calls, the transaction's call being depth 1 (`CallDepthExceeded`)",
            "stack_limit" => "stack units shared by all frames of a transaction (`StackOverflow`)",
            "memory.max_tx_pages" => "64 KiB pages all live frames of a transaction may hold (`MemoryLimit`)",
            "wasm.max_memory_pages" => "initial memory pages of a module (deploy: `LimitExceeded`)",
            "wasm.max_code_size" => "bytes of a module (deploy: `LimitExceeded`)",
            "limits.max_input_len" => {
                "bytes of a call's input (transaction: `CalldataTooLarge`; cross call: `InputTooLarge`)"
            }
            "limits.max_return_len" => "bytes of return or revert data",
            "limits.max_value_len" => "bytes of a storage value (`ValueTooLarge`)",
            "limits.max_event_data" => "bytes of an event's data (`EventTooLarge`)",
            "limits.max_events_per_tx" => "events of a transaction (`TooManyEvents`)",
            "limits.max_entry_len" => "bytes of an entry-point name",
            "limits.max_crypto_input" => "bytes a hash or signature host function takes",
            "limits.max_access_list_keys" => "entries of an access list (`BadAccessList`)",
            _ => return None,
        })
    };
    let mut s = String::from(
        "\n## Limits\n\nEvery limit a contract meets and its default: consensus parameters (names as in the table of \
         all parameters below; a chain may set others).\n\n| limit | default | what |\n|---|---|---|\n",
    );
    for (name, value) in ConsensusParams::default().entries() {
        if let Some(w) = words(&name) {
            s.push_str(&format!("| `{name}` | {value} | {w} |\n"));
        }
    }
    s
}

/// Inputs of the published Poseidon2 vectors: `(description, bytes)`.
fn poseidon2_inputs() -> Vec<(String, Vec<u8>)> {
    let seq = |n: usize| (0..n).map(|i| i as u8).collect::<Vec<u8>>();
    let mut v = vec![
        ("empty".to_string(), Vec::new()),
        ("`\"a\"`".to_string(), b"a".to_vec()),
        ("`00`".to_string(), vec![0]),
        ("`00 00`".to_string(), vec![0, 0]),
    ];
    for n in [31, 62, 63, 1000] {
        v.push((format!("`00 01 02 … ` ({n} bytes, byte i = i mod 256)"), seq(n)));
    }
    v
}

/// The sections that explain the host functions beyond their table rows: Poseidon2's encoding
/// and known answers (computed here, so they cannot drift from the implementation), FALCON,
/// threshold encryption, calls into native handlers, re-entrancy and upgrades.
fn semantics() -> String {
    use vmhost_crypto::poseidon2;
    let mut s = String::new();
    s.push_str("\n## Poseidon2 (`hash_poseidon2`)\n\n");
    s.push_str(
        "The permutation is Poseidon2 over the BN254 scalar field (p = \
`0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001`), width t = 3, S-box x^5, 8 full and 56 partial \
rounds, the round constants of the HorizenLabs reference implementation (through `taceo-poseidon2` 0.3). Reference \
vector: `permutation([0, 1, 2])[0] = 0x0bb61d24daca55eebcb1929a82650f328134334da98ea4f847f760054f4a3033`.\n\n\
No standard defines how bytes enter a Poseidon2 hash; ABI v1 defines `vmhost/poseidon2/v1`, a sponge of rate 2 and \
capacity 1:\n\n\
1. **Domain tag and length.** For an input of `len` bytes the state starts as `[0, 0, tag]`, where the 32-byte \
little-endian encoding of `tag` is `\"vmhost/poseidon2/v1\" ‖ 00 ‖ len as u64 little-endian ‖ 00 00 00 00` \
(tag < 2^224 < p).\n\
2. **Padding.** The input is zero-padded to a multiple of 62 bytes; the empty input is one block of zeros. The length \
in the tag tells apart inputs that pad alike (`00` and `00 00`).\n\
3. **Absorption.** Each 62-byte block is two 31-byte chunks, each read as a little-endian integer (< 2^248 < p, never \
reduced); the first is added to state element 0, the second to element 1, then the permutation runs. \
`max(1, ceil(len / 62))` permutations in all: the unit `gas.hash_poseidon2.per_byte` counts.\n\
4. **Output.** State element 0 after the last permutation, as its canonical 32-byte **big-endian** encoding (the usual \
hex notation of a field element, so the first byte is at most 0x30).\n\n\
Known answers (also checked by the tests, through a wasm contract):\n\n| input | `hash_poseidon2` |\n|---|---|\n",
    );
    for (what, input) in poseidon2_inputs() {
        s.push_str(&format!("| {what} | `{}` |\n", hex::encode(poseidon2::hash(&input))));
    }
    s.push_str("\n## FALCON-512 (`falcon_verify`)\n\n");
    s.push_str(
        "Round-3 Falcon-512 as the NIST submission and PQClean emit it, verified with `fn-dsa-vrfy` 0.3.0 and \
`HASH_ID_ORIGINAL_FALCON` (the message is hashed as `SHAKE256(nonce ‖ message)`, no context string; 0.4 moved to \
the draft FN-DSA format and is not used). Public key: 897 bytes, header `0x09`. Signature: header `0x39`, a 40-byte \
nonce, the compressed `s2`; either the 666-byte padded layout (PQClean `falcon-padded-512`) or the variable-length \
compressed layout (PQClean `falcon-512`, NIST KAT files, 617 to 666 bytes), which is verified zero-padded. The \
constant-time layout (`0x59`) is not accepted. Both layouts being accepted, one signature has several encodings: \
never use signature bytes as an identifier. The result is 1 for a valid signature and 0 for everything else, \
malformed keys and signatures included; only bad pointers and lengths above `limits.max_crypto_input` trap. Gas: \
`gas.falcon_verify.base + gas.falcon_verify.per_byte × (key bytes + signature bytes + crypto.falcon_message_weight \
× message bytes)`, charged on the declared lengths before anything is read.\n",
    );
    s.push_str("\n## Threshold encryption (`threshold_encrypt`, `threshold_decrypt`)\n\n");
    s.push_str(&format!(
        "The functions go through the chain's provider (`vmhost::ChainServices`). Whatever decides a ciphertext is \
consensus: the committee key is the parameter `crypto.threshold_committee_key`, and `Chain::open` refuses a provider \
that encrypts under another key; the seed comes from the host. A chain runs its own committee with \
`Chain::open_with_services` and the committee key in its `[consensus]` section.\n\n\
**Seed.** Encryption *i* (0-based, counted over the whole transaction, at every depth, failed frames included) of a \
transaction uses `BLAKE3-derive-key(\"{}\", tx_hash ‖ contract ‖ depth as u32 LE ‖ i as u32 LE)`, where `tx_hash` is \
the receipt's transaction hash, `contract` the calling frame's own address and `depth` its call depth (1 = top \
level). Every validator makes the same ciphertext.\n\n\
**The built-in reference provider** (`vmhost::ReferenceServices`, scheme `vmhost_crypto::threshold`): a t-of-n \
committee of Shamir shares over ristretto255, hashed ElGamal with ChaCha20-Poly1305 and a Schnorr proof of \
knowledge that makes ciphertexts non-malleable; members' partial decryptions carry DLEQ proofs. Ciphertext: \
`01 ‖ U (32) ‖ e (32) ‖ z (32) ‖ AEAD ciphertext ‖ tag (16)`, plaintext length + 113 bytes; plaintexts up to 64 KiB. \
A default chain uses the **devnet committee**: 2-of-3, dealt by `Committee::generate(2, 3, seed)` from the public \
32-byte ASCII seed `\"{}\"` (key `{}`).\n\n\
What it guarantees: the same inputs give the same bytes on every machine; a ciphertext made off chain with a fresh \
secret random seed is confidential against anyone holding fewer than t shares (IND-CCA-style, unaudited); a \
tampered or foreign ciphertext does not decrypt (`threshold_decrypt` returns -1); bad partial decryptions are \
detected.\n\n\
What it does **not** guarantee: it is **not the chain's DKG** (a dealer knows the secret; the devnet committee's \
seed is public, so anyone can decrypt devnet ciphertexts); a ciphertext made **on chain** by `threshold_encrypt` \
uses a seed derived from public data, so it **hides nothing from anyone who knows or can guess the inputs** (trial \
encryption of candidate plaintexts gives the same bytes), and a plaintext a contract encrypts usually came in \
the transaction's public calldata; the reference provider holds every share in one process; \
no forward secrecy, resharing or robustness against members who do not answer. Use it for devnets and tests; a \
chain that needs confidentiality supplies a provider backed by its committee's DKG and encrypts off chain.\n",
        crate::hostfns::SEED_CONTEXT,
        String::from_utf8_lossy(&crate::params::DEVNET_COMMITTEE_SEED),
        hex::encode(crate::params::DEVNET_COMMITTEE_KEY),
    ));
    s.push_str("\n## Calls into native handlers\n\n");
    s.push_str(
        "Native transaction handlers are system contracts at reserved addresses `\"vmhost/system/v1\" ‖ 15 zero bytes ‖ \
id`, called with `cross_call` / `cross_call_static` like any contract (entry, input, gas limit, result code, return \
data via `return_data_*`):\n\n\
| address (id) | entry | input | effect | return data | static call |\n|---|---|---|---|---|---|\n\
| `NATIVE_TRANSFER` (1) | `transfer` | `to (32) ‖ amount (16, u128 LE)` | `Transfer` from the calling contract | empty | `StaticCallViolation` |\n\
| `NATIVE_MULTISIG` (2) | `spend` | `multisig (32) ‖ to (32) ‖ amount (16)` | `MultisigSpend` with the calling contract as sender and only approval | empty | `StaticCallViolation` |\n\
| `NATIVE_VALIDATORS` (3) | `get` | `validator (32)` | reads the validator | borsh `Option<ValidatorRecord>` | allowed |\n\n\
The calling contract (its own address; inside `delegate_call`, the address whose context runs) is the sender: it \
moves only its own balance and spends from a multisig only as a signer whose approval alone meets the threshold. \
Gas: the handler's intrinsic gas (`native.transfer_gas`, `native.system_gas`; for the query `native.query_gas + \
native.query_per_byte × returned bytes`) out of the call's gas limit, charged to the caller whether the handler \
succeeds or not; a limit below it fails with `OutOfGas`. The keys the handler derives, plus the contract's account, \
must be within the transaction's access list when it declares one (else the transaction fails with \
`AccessListViolation`). A handler's refusal (`InsufficientBalance`, `NotASigner`, `ThresholdNotMet`, ...) is the \
call's result code and discards the call's state; malformed input or a value sent with the call (`InvalidArgument`), \
a state-changing entry in a static call (`StaticCallViolation`) and a full event budget (`TooManyEvents`) consume \
the call's gas limit like a trapping callee; an unknown entry is `UnknownEntryPoint`; `delegate_call` to a system \
address or an unassigned id is `CallTargetMissing`. Transactions cannot target system addresses: accounts send \
native transactions.\n",
    );
    s.push_str("\n## Calls across VMs\n\n");
    s.push_str(
        "A contract calls a contract of any backend — wasmtime, wasmer, a VM plugin loaded from a shared library, the \
native handlers — the same way: `cross_call`, `cross_call_static` and `delegate_call` take the target address, an \
entry name, input bytes and a gas limit (and `cross_call` a value); the host looks the target's contract type up in \
its record and runs it on the backend registered for that type. Every backend reaches the host only through \
`host_call`, so the callee sees the same state model, the same host functions with the same gas, and the same \
limits (the stack budget and memory cap are shared by all frames of a transaction, whatever runs them). The result \
is the same on every side of a boundary: 0, or the callee's error code (`Reverted` with its revert data, a trap's \
code, `OutOfGas`, `StaticCallViolation`, `Reentrancy`, `CallDepthExceeded`, ...); return or revert data through \
`return_data_len` / `return_data_read`; the callee's gas charged to the caller (all of its limit when it trapped); \
a failing callee's writes, events and value transfers discarded with its frame and nothing of the caller's. A \
prepared-wasm plugin runs the host's prepared module, so its gas is every wasm backend's gas; a plugin of its own \
code format meters itself and reports its own codes, under the same rules for frames and results.\n",
    );
    s.push_str("\n## Re-entrancy\n\n");
    s.push_str(
        "As in the EVM, a contract may be entered again while it is executing (directly, through other contracts, \
through a library it `delegate_call`s): re-entry is allowed by default and contracts guard their own invariants. A \
contract deployed with `non_reentrant: true` (`TxKind::ContractDeploy`, kept across upgrades, visible in its record) \
opts out: a `cross_call` or `cross_call_static` into it while a frame in its own storage context is on the stack \
fails with `Reentrancy` (415) before anything runs (no gas beyond the caller's call cost). `delegate_call` into its \
code runs in the caller's context and is not re-entry.\n",
    );
    s.push_str("\n## Upgrades\n\n");
    s.push_str(
        "`ContractUpgrade` by the owner proposes new code: it is checked by the gate and stored at once, recorded in \
the contract record as `pending_upgrade { code_hash, proposed_at_wave, activates_at_wave }` (public: \
`Chain::pending_upgrade` returns it with the code), and runs from wave `proposed_at_wave + \
contracts.upgrade_grace_waves` on, with no transaction needed at the switch (`ContractRecord::code_at(wave)`). A \
newer proposal replaces a pending one and restarts the grace period. `ContractUpgradeCancel` drops a pending upgrade \
before it takes effect (`NoPendingUpgrade` otherwise); `ContractRenounceUpgrades` drops it and refuses every later \
upgrade (`UpgradesRenounced`). Only the owner may do any of these (`NotOwner`). A parachain's code changes only when \
the chain's governance hook (`ChainServices::parachain_governance`) approves, and then after the same grace period; \
without a hook every parachain upgrade fails with `GovernanceRefused`. Storage is kept; the module cache compares \
code hashes on every call, so the old module never runs after the switch. A transaction that declares an access list \
names the code that runs in its wave (`keys::code` of `ContractRecord::code_at(wave)`): from the switch on, the new \
code's key.\n",
    );
    s
}

/// The full markdown text of `docs/abi-v1.md`.
pub fn abi_reference() -> String {
    let mut s = vmhost_abi::docs::render_markdown();
    s.push_str(&feature_profile());
    s.push_str(&limits_table());
    s.push_str(&semantics());
    s.push_str("\n## Consensus parameters\n\n");
    s.push_str(
        "Every number that can change a receipt, gas or a root is one of these (`vmhost::ConsensusParams`). A chain \
sets them in the `[consensus]` section of its TOML file under these dotted names (`[consensus.gas.sstore] base = 6000`), \
commits their hash in the state at genesis and in every wave record, and refuses to open a store that ran under other \
values (an intended change is a `[[consensus.upgrade]]` at a given wave). Defaults:\n\n",
    );
    s.push_str("| parameter | default | what |\n|---|---|---|\n");
    for (name, value) in ConsensusParams::default().entries() {
        s.push_str(&format!("| `{name}` | {value} | {} |\n", describe(&name)));
    }
    s
}
