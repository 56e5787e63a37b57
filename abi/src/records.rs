//! Borsh layouts of the records the host keeps in state. Language-neutral: any backend,
//! indexer or client decodes the same bytes.

use alloc::vec::Vec;
use borsh::{BorshDeserialize, BorshSerialize};

use crate::types::{Address, ContractType};

/// An account: balance and next nonce. Stored under [`crate::keys::account`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct AccountRecord {
    /// Spendable balance.
    pub balance: u128,
    /// Next expected transaction nonce.
    pub nonce: u64,
}

/// A deployed contract. Stored under [`crate::keys::contract`]; the code itself is stored once
/// per code hash under [`crate::keys::code`].
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ContractRecord {
    /// Backend type serving the contract.
    pub vm: ContractType,
    /// BLAKE3 of the deployed (un-instrumented) code.
    pub code_hash: [u8; 32],
    /// Who may upgrade it.
    pub owner: Address,
    /// Owner deposit held by the contract record.
    pub deposit: u128,
    /// Whether it is a parachain.
    pub parachain: bool,
    /// Number of upgrades that took effect when `code_hash` was last settled (0 for the
    /// original code); [`ContractRecord::version_at`] counts a pending upgrade that is due.
    pub code_version: u32,
    /// An owner's upgrade waiting for its grace period: public to anyone who reads the record
    /// (its code is in state under `keys::code(code_hash)`). It takes effect in wave
    /// `activates_at_wave` without any transaction; until then the owner may cancel it.
    pub pending_upgrade: Option<PendingUpgrade>,
    /// The owner renounced upgrades: the code can never change again.
    pub upgrades_renounced: bool,
    /// Declared at deploy: a call that would enter the contract while it is already executing
    /// in the transaction's call stack fails with `Reentrancy` instead.
    pub non_reentrant: bool,
}

/// An upgrade proposed by a contract's owner (or approved by the chain's governance for a
/// parachain), waiting for its grace period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct PendingUpgrade {
    /// BLAKE3 of the new code (stored under `keys::code`).
    pub code_hash: [u8; 32],
    /// The wave the upgrade was proposed in.
    pub proposed_at_wave: u64,
    /// The first wave that runs the new code: `proposed_at_wave + contracts.upgrade_grace_waves`.
    pub activates_at_wave: u64,
}

impl ContractRecord {
    /// The pending upgrade that has taken effect by wave `wave_id`, if any.
    pub fn due_upgrade(&self, wave_id: u64) -> Option<&PendingUpgrade> {
        self.pending_upgrade.as_ref().filter(|p| p.activates_at_wave <= wave_id)
    }

    /// The hash of the code that runs in wave `wave_id`: the pending upgrade's once it is due.
    pub fn code_at(&self, wave_id: u64) -> [u8; 32] {
        self.due_upgrade(wave_id).map_or(self.code_hash, |p| p.code_hash)
    }

    /// The code version that runs in wave `wave_id`.
    pub fn version_at(&self, wave_id: u64) -> u32 {
        match self.due_upgrade(wave_id) {
            Some(_) => self.code_version.saturating_add(1),
            None => self.code_version,
        }
    }

    /// Folds a due pending upgrade into `code_hash` and `code_version` (before the record is
    /// written again); true if there was one.
    pub fn settle(&mut self, wave_id: u64) -> bool {
        match self.due_upgrade(wave_id).copied() {
            Some(p) => {
                self.code_hash = p.code_hash;
                self.code_version = self.code_version.saturating_add(1);
                self.pending_upgrade = None;
                true
            }
            None => false,
        }
    }
}

/// A validator. Stored under [`crate::keys::validator`].
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ValidatorRecord {
    /// Bonded stake.
    pub stake: u128,
    /// Consensus public key.
    pub consensus_key: Vec<u8>,
    /// Whether the validator is jailed.
    pub jailed: bool,
    /// Height before which an unjail is refused.
    pub jailed_until: u64,
    /// Stake waiting to be released, with the height at which each entry releases.
    pub unbonding: Vec<UnbondingEntry>,
    /// Total ever slashed.
    pub slashed_total: u128,
}

/// One unbonding entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct UnbondingEntry {
    /// Amount unbonding.
    pub amount: u128,
    /// Height at which it returns to the balance.
    pub release_height: u64,
}

/// A k-of-n multisig account. Its balance is the ordinary account at its address.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct MultisigRecord {
    /// Signers (sorted, distinct).
    pub signers: Vec<Address>,
    /// Approvals required.
    pub threshold: u8,
    /// Spends executed so far.
    pub spends: u64,
}
