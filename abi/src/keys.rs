//! State key derivation and the seed's slot layout helper.
//!
//! Every piece of state lives under a 32-byte [`StateKey`] derived with a domain-separated
//! BLAKE3 hash, so contract storage of one contract can never alias another's or an account.

use crate::types::{Address, StateKey};

/// `BLAKE3("vmhost/v1/" ‖ domain ‖ parts…)`, hashed in one shot from a stack buffer (these
/// inputs are all short; the streaming hasher is only the fallback).
fn derive(domain: &[u8], parts: &[&[u8]]) -> StateKey {
    const PREFIX: &[u8] = b"vmhost/v1/";
    let len = PREFIX.len() + domain.len() + parts.iter().map(|p| p.len()).sum::<usize>();
    let mut buf = [0u8; 128];
    if len <= buf.len() {
        let mut n = 0;
        for piece in [PREFIX, domain].iter().chain(parts.iter()) {
            buf[n..n + piece.len()].copy_from_slice(piece);
            n += piece.len();
        }
        return StateKey(*blake3::hash(&buf[..n]).as_bytes());
    }
    let mut h = blake3::Hasher::new();
    h.update(PREFIX);
    h.update(domain);
    for p in parts {
        h.update(p);
    }
    StateKey(*h.finalize().as_bytes())
}

/// An account's record (balance, nonce).
pub fn account(addr: &Address) -> StateKey {
    derive(b"account", &[&addr.0])
}

/// A contract storage slot: host-side namespacing of the guest's 32-byte slot key,
/// `BLAKE3-keyed(storage_seed(contract), slot)`.
pub fn storage(contract: &Address, slot: &[u8; 32]) -> StateKey {
    storage_with_seed(&storage_seed(contract), slot)
}

/// The per-contract key of [`storage`] (`BLAKE3("vmhost/v1/storage-seed" ‖ contract)`); the host
/// computes it once per call frame, so each slot access is a single keyed compression.
pub fn storage_seed(contract: &Address) -> [u8; 32] {
    derive(b"storage-seed", &[&contract.0]).0
}

/// [`storage`] with a precomputed [`storage_seed`].
pub fn storage_with_seed(seed: &[u8; 32], slot: &[u8; 32]) -> StateKey {
    StateKey(*blake3::keyed_hash(seed, slot).as_bytes())
}

/// The hash of the consensus parameters in force (`vmhost::ConsensusParams::hash`), written at
/// genesis and at every parameter upgrade, so the state root commits to the parameters.
pub fn consensus_params() -> StateKey {
    derive(b"consensus-params", &[])
}

/// A contract's metadata record (code hash, type, owner, deposit).
pub fn contract(addr: &Address) -> StateKey {
    derive(b"contract", &[&addr.0])
}

/// Contract source code by code hash (content addressed).
pub fn code(code_hash: &[u8; 32]) -> StateKey {
    derive(b"code", &[code_hash])
}

/// A validator record.
pub fn validator(addr: &Address) -> StateKey {
    derive(b"validator", &[&addr.0])
}

/// A multisig account record.
pub fn multisig(addr: &Address) -> StateKey {
    derive(b"multisig", &[&addr.0])
}

/// Marker that a piece of slashing evidence was processed.
pub fn evidence(hash: &[u8; 32]) -> StateKey {
    derive(b"evidence", &[hash])
}

/// A consensus key already bound to a validator.
pub fn consensus_key(key: &[u8]) -> StateKey {
    derive(b"consensus-key", &[blake3::hash(key).as_bytes()])
}

/// The seed's (§3.7) slot layout: `contract[..16] || BLAKE3(disc || key)[..16]`.
///
/// Contracts use it to spread a mapping over slots; the guest SDK computes the same bytes.
pub fn slot(contract: &Address, disc: u8, key: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[..16].copy_from_slice(&contract.0[..16]);
    let mut h = blake3::Hasher::new();
    h.update(&[disc]);
    h.update(key);
    out[16..].copy_from_slice(&h.finalize().as_bytes()[..16]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_domains_do_not_collide() {
        let a = Address::from_index(7);
        let ks = [account(&a), contract(&a), validator(&a), multisig(&a), storage(&a, &a.0)];
        for i in 0..ks.len() {
            for j in i + 1..ks.len() {
                assert_ne!(ks[i], ks[j]);
            }
        }
    }

    #[test]
    fn derive_matches_the_streaming_definition_and_storage_is_namespaced() {
        let a = Address::from_index(3);
        let mut h = blake3::Hasher::new();
        h.update(b"vmhost/v1/account");
        h.update(&a.0);
        assert_eq!(account(&a).0, *h.finalize().as_bytes());
        let long = [7u8; 200];
        let mut h = blake3::Hasher::new();
        h.update(b"vmhost/v1/consensus-key");
        h.update(blake3::hash(&long).as_bytes());
        assert_eq!(consensus_key(&long).0, *h.finalize().as_bytes());
        let b = Address::from_index(4);
        assert_ne!(storage(&a, &[1; 32]), storage(&b, &[1; 32]));
        assert_eq!(storage(&a, &[1; 32]), storage_with_seed(&storage_seed(&a), &[1; 32]));
    }

    #[test]
    fn slot_layout_prefixes_contract_address() {
        let a = Address::from_index(9);
        let s = slot(&a, 0, b"alice");
        assert_eq!(&s[..16], &a.0[..16]);
        assert_ne!(slot(&a, 1, b"alice"), s);
    }
}
