//! Shared types, defined once and borsh-encoded: addresses, events, receipts, transactions,
//! block context and wave commit records.

use alloc::string::String;
use alloc::vec::Vec;
use borsh::{BorshDeserialize, BorshSerialize};

use crate::codes::ErrorCode;

/// A 32-byte account or contract address.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, BorshSerialize, BorshDeserialize)]
pub struct Address(pub [u8; 32]);

impl Address {
    /// The all-zero address.
    pub const ZERO: Address = Address([0; 32]);
    /// The system address: the only sender allowed to submit system transactions (slashing).
    pub const SYSTEM: Address = Address([0xff; 32]);

    /// What every system-contract address starts with; bytes 16..31 are zero and byte 31 is
    /// the system contract's id ([`Address::system_contract`]).
    pub const SYSTEM_CONTRACT_PREFIX: [u8; 16] = *b"vmhost/system/v1";
    /// The native transfer, reachable from contracts with `cross_call` (`docs/abi-v1.md`).
    pub const NATIVE_TRANSFER: Address = Address::system_contract(1);
    /// The native multisig handler (spend), reachable from contracts.
    pub const NATIVE_MULTISIG: Address = Address::system_contract(2);
    /// The native validator registry (query), reachable from contracts, static calls included.
    pub const NATIVE_VALIDATORS: Address = Address::system_contract(3);

    /// The reserved address of system contract `id`:
    /// `"vmhost/system/v1" ‖ 15 zero bytes ‖ id`. No key or hash derives such an address.
    pub const fn system_contract(id: u8) -> Address {
        let mut a = [0u8; 32];
        let mut i = 0;
        while i < 16 {
            a[i] = Self::SYSTEM_CONTRACT_PREFIX[i];
            i += 1;
        }
        a[31] = id;
        Address(a)
    }

    /// The id of a system-contract address (see [`Address::system_contract`]); `None` for
    /// every other address.
    pub fn system_contract_id(&self) -> Option<u8> {
        let (prefix, rest) = self.0.split_at(16);
        let (zeros, id) = rest.split_at(15);
        (prefix == Self::SYSTEM_CONTRACT_PREFIX && zeros.iter().all(|b| *b == 0)).then(|| id[0])
    }

    /// An address whose first 8 bytes are `n` little-endian (handy in tests and demos).
    pub fn from_index(n: u64) -> Address {
        let mut a = [0u8; 32];
        a[..8].copy_from_slice(&n.to_le_bytes());
        a[31] = 0xa0;
        Address(a)
    }

    /// Derives the address of a contract deployed by `deployer` with `nonce`.
    pub fn contract(deployer: &Address, nonce: u64) -> Address {
        let mut h = blake3::Hasher::new();
        h.update(b"vmhost/v1/contract-address");
        h.update(&deployer.0);
        h.update(&nonce.to_le_bytes());
        Address(*h.finalize().as_bytes())
    }
}

impl core::fmt::Debug for Address {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "0x")?;
        for b in &self.0[..6] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "..")
    }
}

impl core::fmt::Display for Address {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "0x")?;
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// A 32-byte key in the global state (see [`crate::keys`] for how keys are derived).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, BorshSerialize, BorshDeserialize)]
pub struct StateKey(pub [u8; 32]);

/// Which backend serves a contract: the registry key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, BorshSerialize, BorshDeserialize)]
pub enum ContractType {
    /// Built-in native transaction handlers.
    Native,
    /// WebAssembly contracts (served by the chain's configured wasm backend).
    Wasm,
    /// A third-party VM, by its string id.
    Plugin(String),
}

impl core::fmt::Display for ContractType {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ContractType::Native => f.write_str("native"),
            ContractType::Wasm => f.write_str("wasm"),
            ContractType::Plugin(id) => write!(f, "plugin:{id}"),
        }
    }
}

/// An event: emitted by `contract` with a 32-byte topic and an opaque payload.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Event {
    /// The emitting contract (the system address for native transactions).
    pub contract: Address,
    /// Topic, typically BLAKE3 of the canonical event signature.
    pub topic: [u8; 32],
    /// Payload (borsh recommended).
    pub data: Vec<u8>,
}

/// The consensus outcome class of a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ReceiptStatus {
    /// Executed and committed.
    Success,
    /// The contract reverted: state and events discarded, gas charged.
    Reverted,
    /// The VM or a host function trapped: state and events discarded, gas charged.
    Trapped,
    /// A native transaction or deploy failed its checks: state discarded, gas charged.
    Failed,
    /// Rejected at ingress (bad nonce, fee balance, ...): not executed, no fee, nonce unchanged.
    Invalid,
}

/// What one transaction did. Identical on every backend for the same input.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Receipt {
    /// BLAKE3 of the borsh-encoded transaction.
    pub tx_hash: [u8; 32],
    /// Outcome class.
    pub status: ReceiptStatus,
    /// Detailed code (`Ok` on success).
    pub code: ErrorCode,
    /// Gas consumed, including intrinsic gas; reported on every status but `Invalid`.
    pub gas_used: u64,
    /// Fee debited from the sender (`gas_used * base_fee`).
    pub fee_paid: u128,
    /// Return data on success, revert reason on revert, empty otherwise.
    pub return_data: Vec<u8>,
    /// Events that survived (empty unless `Success`).
    pub events: Vec<Event>,
    /// The deployed contract's address for a successful deploy.
    pub contract_address: Option<Address>,
}

impl Receipt {
    /// True for `Success`.
    pub fn is_success(&self) -> bool {
        self.status == ReceiptStatus::Success
    }
}

/// A signed-by-the-chain transaction. Signature checks of the envelope belong to the chain; the
/// execution layer trusts `sender`.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Transaction {
    /// The account paying fees and acting as origin.
    pub sender: Address,
    /// Must equal the sender's next nonce.
    pub nonce: u64,
    /// Gas budget; the sender must hold `gas_limit * base_fee`.
    pub gas_limit: u64,
    /// Must equal the chain's id.
    pub chain_id: u64,
    /// State keys the transaction reads and writes; `None` means unrestricted (the transaction
    /// then conflicts with every other one and runs alone). Charged per key and enforced: a
    /// read outside `reads ∪ writes`, or a write outside `writes`, traps `AccessListViolation`.
    pub access_list: Option<AccessList>,
    /// What to do.
    pub kind: TxKind,
}

impl Transaction {
    /// BLAKE3 of the borsh encoding.
    pub fn hash(&self) -> [u8; 32] {
        let bytes = borsh::to_vec(self).unwrap_or_default();
        *blake3::hash(&bytes).as_bytes()
    }
}

/// The state keys a transaction declares: what it may read and what it may write (a key in
/// `writes` may also be read). The executor sorts and deduplicates both lists; their order and
/// repetitions do not matter, but every entry is charged
/// ([`crate::gas::ACCESS_LIST_KEY_GAS`]) and counted against
/// [`crate::gas::MAX_ACCESS_LIST_KEYS`].
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct AccessList {
    /// Keys the transaction only reads.
    pub reads: Vec<StateKey>,
    /// Keys the transaction writes (and may read).
    pub writes: Vec<StateKey>,
}

impl AccessList {
    /// An empty list (a transaction with it may touch nothing but what ingress checks).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key to read.
    pub fn read(mut self, key: StateKey) -> Self {
        self.reads.push(key);
        self
    }

    /// Adds a key to write.
    pub fn write(mut self, key: StateKey) -> Self {
        self.writes.push(key);
        self
    }

    /// Entries as declared (both lists, repetitions included): what is charged and capped.
    pub fn len(&self) -> usize {
        self.reads.len().saturating_add(self.writes.len())
    }

    /// True when both lists are empty.
    pub fn is_empty(&self) -> bool {
        self.reads.is_empty() && self.writes.is_empty()
    }

    /// Both lists sorted and deduplicated, with keys that are also written removed from
    /// `reads`: the canonical form the executor enforces and the scheduler compares.
    pub fn normalized(&self) -> AccessList {
        let mut writes = self.writes.clone();
        writes.sort_unstable();
        writes.dedup();
        let mut reads: Vec<StateKey> =
            self.reads.iter().filter(|k| writes.binary_search(k).is_err()).copied().collect();
        reads.sort_unstable();
        reads.dedup();
        AccessList { reads, writes }
    }

    /// In a normalized list: whether `key` may be read.
    pub fn may_read(&self, key: &StateKey) -> bool {
        self.writes.binary_search(key).is_ok() || self.reads.binary_search(key).is_ok()
    }

    /// In a normalized list: whether `key` may be written.
    pub fn may_write(&self, key: &StateKey) -> bool {
        self.writes.binary_search(key).is_ok()
    }

    /// In normalized lists: whether everything `other` touches is allowed by `self`.
    pub fn covers(&self, other: &AccessList) -> bool {
        other.writes.iter().all(|k| self.may_write(k)) && other.reads.iter().all(|k| self.may_read(k))
    }
}

/// Transaction types.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum TxKind {
    /// Deploy code; the contract's address is `Address::contract(sender, nonce)`.
    ContractDeploy {
        /// Which backend type serves the contract.
        vm: ContractType,
        /// The code (wasm bytes for `Wasm`).
        code: Vec<u8>,
        /// Owner deposit, moved from the sender to the contract record.
        deposit: u128,
        /// Whether the contract is a parachain (may call parachain-only host functions).
        parachain: bool,
        /// Whether the contract refuses re-entry: a call into it while it is already executing
        /// in the transaction fails with `Reentrancy` (default EVM-like behaviour: allowed).
        non_reentrant: bool,
    },
    /// Propose new code for a contract (owner only; a parachain also needs the chain's
    /// governance). The code is checked and stored now and takes effect
    /// `contracts.upgrade_grace_waves` waves later; meanwhile it is public in the contract record
    /// and the owner may cancel it. A newer proposal replaces a pending one (its grace period
    /// starts again). The storage is kept.
    ContractUpgrade {
        /// The contract to upgrade.
        contract: Address,
        /// The new code.
        code: Vec<u8>,
    },
    /// Call a contract's exported entry point.
    ContractCall {
        /// Target contract.
        contract: Address,
        /// Exported function name (`() -> ()`).
        entry: String,
        /// Call input, read with `input_len` / `input_read`.
        input: Vec<u8>,
        /// Value moved from the sender to the contract before the call.
        value: u128,
    },
    /// Call a parachain contract (same convention; the target must be a parachain).
    ParachainCall {
        /// Target parachain contract.
        contract: Address,
        /// Exported function name.
        entry: String,
        /// Call input.
        input: Vec<u8>,
        /// Value moved with the call.
        value: u128,
    },
    /// A native transaction, executed by the built-in native plugin without a VM.
    Native(NativeTx),
    /// Cancel a contract's pending upgrade before it takes effect (owner only).
    ContractUpgradeCancel {
        /// The contract.
        contract: Address,
    },
    /// Renounce upgrades of a contract for good (owner only): a pending upgrade that has not
    /// taken effect is dropped, and every later `ContractUpgrade` fails with
    /// `UpgradesRenounced`.
    ContractRenounceUpgrades {
        /// The contract.
        contract: Address,
    },
}

/// Native transactions (seed §3.9b).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum NativeTx {
    /// Move `amount` from the sender to `to` (fixed gas).
    Transfer {
        /// Recipient.
        to: Address,
        /// Amount.
        amount: u128,
    },
    /// Register the sender as a validator, bonding `stake` from its balance.
    ValidatorRegister {
        /// Stake to bond.
        stake: u128,
        /// Consensus public key (FALCON-512: 897 bytes; any 32..=2048 bytes accepted).
        consensus_key: Vec<u8>,
    },
    /// Start unbonding `amount` of the sender's stake; released after the unbonding period.
    ValidatorUnbond {
        /// Amount to unbond.
        amount: u128,
    },
    /// Replace the sender's consensus key.
    ValidatorRotateKey {
        /// New key.
        new_key: Vec<u8>,
    },
    /// Leave jail after the jail period.
    ValidatorUnjail,
    /// Create a k-of-n multisig account owned by `signers`.
    MultisigCreate {
        /// Distinct signer addresses.
        signers: Vec<Address>,
        /// Approvals required (1..=n).
        threshold: u8,
    },
    /// Spend from a multisig account. `approvals` lists signers whose signatures the chain has
    /// verified on this transaction; the sender must be one of the signers.
    MultisigSpend {
        /// The multisig account.
        multisig: Address,
        /// Recipient.
        to: Address,
        /// Amount.
        amount: u128,
        /// Approving signers.
        approvals: Vec<Address>,
    },
    /// Slash a validator for evidence (system sender only).
    Slashing {
        /// The offending validator.
        validator: Address,
        /// Hash of the evidence (each evidence slashes once).
        evidence: [u8; 32],
        /// Fraction of bonded stake to slash, in basis points (1..=10_000).
        fraction_bps: u16,
    },
}

/// Per-wave execution context, supplied by consensus.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct BlockContext {
    /// Block height.
    pub height: u64,
    /// Wave id (strictly increasing).
    pub wave_id: u64,
    /// Consensus timestamp, unix milliseconds.
    pub timestamp_ms: u64,
    /// Randomness beacon of this wave.
    pub beacon: [u8; 32],
    /// Fee per gas unit.
    pub base_fee: u128,
}

/// The commit record of one wave.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct WaveRecord {
    /// Wave id.
    pub wave_id: u64,
    /// Block height.
    pub height: u64,
    /// JMT root of the state after the wave.
    pub state_root: [u8; 32],
    /// Merkle root (BLAKE3) of the wave's events in order.
    pub events_root: [u8; 32],
    /// 2048-bit bloom over event contracts and topics.
    pub events_bloom: Vec<u8>,
    /// Merkle root (BLAKE3) of the wave's receipts in order.
    pub receipts_root: [u8; 32],
    /// Number of transactions.
    pub tx_count: u32,
    /// Total gas used.
    pub gas_used: u64,
    /// JMT version this wave wrote.
    pub version: u64,
    /// Hash of the consensus parameters the wave executed under (`vmhost::ConsensusParams`):
    /// two validators with different limits, gas tables or schedules commit different records.
    pub params_hash: [u8; 32],
}
