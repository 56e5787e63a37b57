//! State key derivation and the seed's slot layout helper.
//!
//! Every piece of state lives under a 32-byte [`StateKey`] derived with a domain-separated
//! BLAKE3 hash, so contract storage of one contract can never alias another's or an account.

use crate::types::{Address, StateKey};

fn derive(domain: &[u8], parts: &[&[u8]]) -> StateKey {
    let mut h = blake3::Hasher::new();
    h.update(b"vmhost/v1/");
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

/// A contract storage slot: host-side namespacing of the guest's 32-byte slot key.
pub fn storage(contract: &Address, slot: &[u8; 32]) -> StateKey {
    derive(b"storage", &[&contract.0, slot])
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
    fn slot_layout_prefixes_contract_address() {
        let a = Address::from_index(9);
        let s = slot(&a, 0, b"alice");
        assert_eq!(&s[..16], &a.0[..16]);
        assert_ne!(slot(&a, 1, b"alice"), s);
    }
}
