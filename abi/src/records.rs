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
    /// Number of upgrades so far (0 for the original code).
    pub code_version: u32,
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
