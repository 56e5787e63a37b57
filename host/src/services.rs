//! What a chain supplies to the host: the threshold-encryption provider and the governance
//! hook for parachain upgrades ([`ChainServices`]), with the reference implementation every
//! default chain uses ([`ReferenceServices`]).
//!
//! Poseidon2 and FALCON-512 are built into the host (`vmhost-crypto`); only threshold
//! encryption depends on a committee the chain runs, so only it goes through a provider. The
//! provider's committee key is a consensus parameter (`crypto.threshold_committee_key`): it
//! decides every ciphertext, and [`Chain::open`](crate::Chain::open) refuses a provider that
//! serves another key. The seed of every encryption comes from the host (derived from public
//! transaction data, see `docs/abi-v1.md`), so a provider is a pure function of its inputs.
//!
//! ```
//! use vmhost::{ChainServices, ReferenceServices};
//! let services = ReferenceServices::devnet();
//! assert_eq!(services.threshold_committee_key(), Some(vmhost::params::DEVNET_COMMITTEE_KEY));
//! let ct = services.threshold_encrypt(b"bid: 42", &[7; 32]).unwrap();
//! assert_eq!(services.threshold_decrypt(&ct).unwrap().as_deref(), Some(&b"bid: 42"[..]));
//! ```

use std::sync::{Arc, OnceLock};

use vmhost_abi::{Address, ContractRecord, ErrorCode};
use vmhost_crypto::threshold::{Committee, ReferenceProvider, ThresholdError};

use crate::params::{DEVNET_COMMITTEE, DEVNET_COMMITTEE_SEED};

/// A proposed change of a parachain's code, as the governance hook sees it.
#[derive(Debug, Clone, Copy)]
pub struct UpgradeProposal<'a> {
    /// The parachain.
    pub parachain: Address,
    /// Its record (current code, owner) before the upgrade.
    pub record: &'a ContractRecord,
    /// BLAKE3 of the proposed code.
    pub new_code_hash: [u8; 32],
    /// The transaction's sender (the parachain's owner: others are refused before the hook).
    pub proposer: Address,
    /// The wave the proposal executes in.
    pub wave_id: u64,
}

/// The chain's governance of parachain code: a parachain's code changes only when this hook
/// approves. Its answer is consensus, so it must be a deterministic function of the proposal
/// and of state every validator has (for example a referendum result the chain recorded).
pub trait ParachainGovernance: Send + Sync {
    /// Whether `proposal` may take effect (after the usual grace period). Default: refuse.
    fn approve_upgrade(&self, _proposal: &UpgradeProposal<'_>) -> bool {
        false
    }
}

/// Services supplied by the chain. Every method must be deterministic across validators.
pub trait ChainServices: Send + Sync {
    /// The committee key this provider encrypts under; `None`: the provider offers no threshold
    /// encryption (the host functions trap `Unsupported`). [`Chain::open`](crate::Chain::open)
    /// requires it to equal `crypto.threshold_committee_key` of every parameter set.
    fn threshold_committee_key(&self) -> Option<[u8; 32]> {
        None
    }

    /// Encrypts `plaintext` under the committee key, deterministically from `seed` (which the
    /// host derives; see `docs/abi-v1.md`). `Err` is the code the guest traps with.
    fn threshold_encrypt(&self, _plaintext: &[u8], _seed: &[u8; 32]) -> Result<Vec<u8>, ErrorCode> {
        Err(ErrorCode::Unsupported)
    }

    /// Decrypts with the committee's shares: `Ok(None)` for a ciphertext that is malformed,
    /// tampered with or not made under the committee key (the guest gets -1); `Err` is the
    /// code the guest traps with.
    fn threshold_decrypt(&self, _ciphertext: &[u8]) -> Result<Option<Vec<u8>>, ErrorCode> {
        Err(ErrorCode::Unsupported)
    }

    /// The governance hook for parachain upgrades; `None` (the default) refuses them all.
    fn parachain_governance(&self) -> Option<&dyn ParachainGovernance> {
        None
    }
}

/// No services: the threshold functions trap `Unsupported`, parachain upgrades are refused.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoServices;

impl ChainServices for NoServices {}

/// The reference services: threshold encryption with `vmhost-crypto`'s reference scheme over a
/// committee whose shares this node holds, and no parachain governance (upgrades refused).
///
/// What the reference scheme guarantees and what it does not is in `docs/abi-v1.md`
/// (Threshold encryption) and in `vmhost_crypto::threshold`: it is a dealer-based scheme, not
/// a DKG; every share sits in one process; and a ciphertext made on chain, with a seed derived
/// from public data, hides nothing from anyone who can guess the plaintext.
#[derive(Debug, Clone)]
pub struct ReferenceServices {
    provider: ReferenceProvider,
    key: [u8; 32],
}

impl ReferenceServices {
    /// Services over a provider holding at least `t` shares of a committee.
    pub fn new(provider: ReferenceProvider) -> Self {
        let key = provider.public_key().key().to_bytes();
        Self { provider, key }
    }

    /// The devnet committee: `Committee::generate(2, 3, DEVNET_COMMITTEE_SEED)`, whose key is
    /// the default `crypto.threshold_committee_key`. Anyone can derive its shares.
    pub fn devnet() -> Self {
        Self::shared_devnet().as_ref().clone()
    }

    /// One devnet instance shared by every default chain of the process (dealing it costs a
    /// few scalar multiplications; a test suite opens hundreds of chains).
    pub fn shared_devnet() -> Arc<ReferenceServices> {
        static DEVNET: OnceLock<Arc<ReferenceServices>> = OnceLock::new();
        DEVNET
            .get_or_init(|| {
                let (t, n) = DEVNET_COMMITTEE;
                let committee = match Committee::generate(t, n, &DEVNET_COMMITTEE_SEED) {
                    Ok(c) => c,
                    // 1 <= 2 <= 3 <= MAX_PARTIES: generate cannot refuse these constants.
                    Err(e) => unreachable!("the devnet committee parameters are valid: {e}"),
                };
                Arc::new(Self::new(ReferenceProvider::from_committee(committee)))
            })
            .clone()
    }

    /// The underlying provider.
    pub fn provider(&self) -> &ReferenceProvider {
        &self.provider
    }
}

impl ChainServices for ReferenceServices {
    fn threshold_committee_key(&self) -> Option<[u8; 32]> {
        Some(self.key)
    }

    fn threshold_encrypt(&self, plaintext: &[u8], seed: &[u8; 32]) -> Result<Vec<u8>, ErrorCode> {
        self.provider.encrypt(plaintext, seed).map_err(|e| match e {
            ThresholdError::PlaintextTooLong { .. } => ErrorCode::InputTooLarge,
            _ => ErrorCode::InvalidArgument,
        })
    }

    fn threshold_decrypt(&self, ciphertext: &[u8]) -> Result<Option<Vec<u8>>, ErrorCode> {
        // Every failure (framing, proof, AEAD tag) is the ciphertext's, never the node's.
        Ok(self.provider.decrypt(ciphertext).ok())
    }
}
