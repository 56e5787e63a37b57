//! Public test helpers: a scriptable mock VM and transaction/block builders. Other crates'
//! tests (and third-party backend authors) use these to exercise the host without an engine.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use vmhost_abi::{Address, BlockContext, ErrorCode, HostFn, NativeTx, Transaction, TxKind};

pub mod workloads;

use crate::cache::build_artifact;
use crate::vm::{CallOutcome, CallParams, CodeFormat, Host, HostTrap, Module, PrepareError, Vm, VmError};

/// Guest memory of a scripted call: 64 KiB.
pub const SCRIPT_MEMORY: usize = 64 * 1024;

/// A scripted contract: gets the entry name, the host, a guest memory and the gas left.
pub type Script = Arc<dyn Fn(&str, &mut dyn Host, &mut Vec<u8>, &mut u64) -> Result<(), HostTrap> + Send + Sync>;

/// A [`Vm`] whose "code" names a Rust closure registered beforehand. Deterministic, no engine.
#[derive(Default)]
pub struct MockVm {
    scripts: Mutex<HashMap<[u8; 32], Script>>,
}

impl std::fmt::Debug for MockVm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockVm").field("scripts", &self.scripts.lock().len()).finish()
    }
}

impl MockVm {
    /// An empty mock VM.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `script` as the behaviour of `code`.
    pub fn register(&self, code: &[u8], script: Script) {
        self.scripts.lock().insert(*blake3::hash(code).as_bytes(), script);
    }
}

struct MockModule {
    script: Script,
}

impl Module for MockModule {
    fn call(&self, call: &CallParams<'_>, host: &mut dyn Host) -> Result<CallOutcome, VmError> {
        let mut memory = vec![0u8; SCRIPT_MEMORY];
        let mut gas = call.gas_limit;
        let result = (self.script)(call.entry, host, &mut memory, &mut gas).map_err(|t| t.code);
        Ok(CallOutcome { result, gas_left: gas })
    }
}

impl Vm for MockVm {
    fn name(&self) -> &str {
        "mock"
    }

    fn artifact_tag(&self) -> [u8; 32] {
        *blake3::hash(b"vmhost-mock-vm/1").as_bytes()
    }

    /// Scripts are Rust closures, not wasm: the host's wasm pipeline does not apply.
    fn code_format(&self) -> CodeFormat {
        CodeFormat::Custom
    }

    fn compile(&self, code: &[u8]) -> Result<Vec<u8>, PrepareError> {
        let hash = *blake3::hash(code).as_bytes();
        if self.scripts.lock().contains_key(&hash) {
            Ok(hash.to_vec())
        } else {
            Err(PrepareError::Rejected { code: ErrorCode::InvalidWasm, message: "no script for this code".into() })
        }
    }

    fn load(&self, artifact: &[u8]) -> Result<Arc<dyn Module>, VmError> {
        let hash: [u8; 32] = artifact.try_into().map_err(|_| VmError::BadArtifact("not 32 bytes".into()))?;
        let script =
            self.scripts.lock().get(&hash).cloned().ok_or_else(|| VmError::BadArtifact("unknown script".into()))?;
        Ok(Arc::new(MockModule { script }))
    }
}

/// A top-level call of `entry` with `gas_limit` and the default consensus parameters' stack and
/// memory budgets (for driving a [`Module`] directly, outside a chain).
pub fn top_level_call(entry: &str, gas_limit: u64) -> CallParams<'_> {
    let params = crate::ConsensusParams::default();
    CallParams {
        entry,
        gas_limit,
        stack_left: params.stack_limit,
        memory_pages: params.memory.max_tx_pages,
        depth: 1,
        is_static: false,
    }
}

/// Prepares `code` the way a chain with default consensus parameters would for `vm` (the host's
/// wasm pipeline, or the backend's own format), compiles and loads it: what a backend's own
/// tests need to run a module outside a chain.
pub fn load_module(vm: &dyn Vm, code: &[u8]) -> Result<Arc<dyn Module>, String> {
    let params = crate::ConsensusParams::default();
    let artifact = build_artifact(vm, code, &params).map_err(|e| e.to_string())?.map_err(|r| r.message)?;
    crate::cache::load_artifact(vm, &artifact).map(|l| l.module.clone()).map_err(|e| e.to_string())
}

/// Calls host function `f` from a script (convenience for mock contracts).
pub fn host_call(
    host: &mut dyn Host,
    f: HostFn,
    args: &[u64],
    memory: &mut Vec<u8>,
    gas: &mut u64,
) -> Result<u64, HostTrap> {
    host.host_call(f, args, memory, gas)
}

/// A block context for wave `wave_id` (height = wave id, base fee 1).
pub fn block(wave_id: u64) -> BlockContext {
    BlockContext {
        height: wave_id,
        wave_id,
        timestamp_ms: 1_700_000_000_000 + wave_id * 1_000,
        beacon: *blake3::hash(&wave_id.to_le_bytes()).as_bytes(),
        base_fee: 1,
    }
}

/// A transaction on chain 1 with a 10M gas limit and no access list.
pub fn tx(sender: Address, nonce: u64, kind: TxKind) -> Transaction {
    Transaction { sender, nonce, gas_limit: 10_000_000, chain_id: 1, access_list: None, kind }
}

/// A native transfer on chain 1 with the exact gas it needs.
pub fn transfer(sender: Address, nonce: u64, to: Address, amount: u128) -> Transaction {
    Transaction {
        sender,
        nonce,
        gas_limit: vmhost_abi::gas::NATIVE_TRANSFER_GAS,
        chain_id: 1,
        access_list: None,
        kind: TxKind::Native(NativeTx::Transfer { to, amount }),
    }
}

/// The access list of a native transfer: the sender's and the recipient's accounts.
pub fn transfer_access_list(sender: &Address, to: &Address) -> vmhost_abi::AccessList {
    use vmhost_abi::keys;
    vmhost_abi::AccessList::new().write(keys::account(sender)).write(keys::account(to))
}

/// Keys of the example token contract (`examples/contracts/token`: every value under the
/// SDK's `slot(disc, key)` = `token[..16] ‖ blake3(disc ‖ key)[..16]`), for access lists.
pub mod token {
    use vmhost_abi::{keys, AccessList, Address, StateKey};

    /// The SDK's slot of `key` in mapping `disc` of `contract`.
    pub fn slot(contract: &Address, disc: u8, key: &[u8]) -> [u8; 32] {
        let mut preimage = Vec::with_capacity(1 + key.len());
        preimage.push(disc);
        preimage.extend_from_slice(key);
        let hash = blake3::hash(&preimage);
        let mut out = [0u8; 32];
        out[..16].copy_from_slice(&contract.0[..16]);
        out[16..].copy_from_slice(&hash.as_bytes()[..16]);
        out
    }

    /// The state key of `owner`'s balance in `token`.
    pub fn balance_key(token: &Address, owner: &Address) -> StateKey {
        keys::storage(token, &slot(token, 0, &owner.0))
    }

    /// The access list of `transfer(to, amount)` sent by `sender` to `token`, whose code hashes
    /// to `code_hash`: the sender's account, the token's record and code, both balances.
    pub fn transfer_list(token: &Address, code_hash: &[u8; 32], sender: &Address, to: &Address) -> AccessList {
        AccessList::new()
            .write(keys::account(sender))
            .read(keys::contract(token))
            .read(keys::code(code_hash))
            .write(balance_key(token, sender))
            .write(balance_key(token, to))
    }

    /// The input of `transfer(to, amount)`.
    pub fn transfer_input(to: &Address, amount: u128) -> Vec<u8> {
        let mut input = to.0.to_vec();
        input.extend_from_slice(&amount.to_le_bytes());
        input
    }
}
