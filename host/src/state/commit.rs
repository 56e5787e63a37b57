//! State commitment and wave-commit helpers: the JMT update, the events and receipts Merkle
//! roots and the events bloom. Nothing here writes to the store by itself: it fills a
//! [`WriteBatch`] that the caller applies atomically (jmt's `TreeReader`/`TreeWriter` split).

use std::collections::BTreeMap;

use jmt::storage::{LeafNode, Node, NodeKey, TreeReader};
use jmt::{KeyHash, OwnedValue, Sha256Jmt, Version};
use sha2::Sha256;
use vmhost_abi::{Event, Receipt, StateKey};

use super::cache::Value;
use super::store::{Column, Store, WriteBatch};
use crate::error::{Error, Result};

/// Size of the events bloom in bytes (2048 bits).
pub const BLOOM_BYTES: usize = 256;

/// The root of an empty JMT.
pub const EMPTY_STATE_ROOT: [u8; 32] = Sha256Jmt::<'static, NoReader>::EMPTY_ROOT.0;

/// A reader with no nodes (only used to name the empty root).
#[derive(Debug)]
pub struct NoReader;

impl TreeReader for NoReader {
    fn get_node_option(&self, _: &NodeKey) -> anyhow::Result<Option<Node>> {
        Ok(None)
    }
    fn get_value_option(&self, _: Version, _: KeyHash) -> anyhow::Result<Option<OwnedValue>> {
        Ok(None)
    }
    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        Ok(None)
    }
}

/// Reads JMT nodes and versioned values from a [`Store`].
pub struct StoreTreeReader<'a> {
    store: &'a dyn Store,
}

impl<'a> StoreTreeReader<'a> {
    /// A reader over `store`.
    pub fn new(store: &'a dyn Store) -> Self {
        Self { store }
    }
}

fn jmt_value_key(key_hash: &KeyHash, version: Version) -> Vec<u8> {
    let mut k = Vec::with_capacity(40);
    k.extend_from_slice(&key_hash.0);
    k.extend_from_slice(&version.to_be_bytes());
    k
}

impl TreeReader for StoreTreeReader<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let key = borsh::to_vec(node_key)?;
        match self.store.get(Column::JmtNodes, &key)? {
            Some(bytes) => Ok(Some(borsh::from_slice(&bytes)?)),
            None => Ok(None),
        }
    }

    fn get_value_option(&self, max_version: Version, key_hash: KeyHash) -> anyhow::Result<Option<OwnedValue>> {
        let found = self.store.get_prev(Column::JmtValues, &key_hash.0, &jmt_value_key(&key_hash, max_version))?;
        Ok(match found {
            Some((_, v)) if v.first() == Some(&1) => Some(v[1..].to_vec()),
            _ => None,
        })
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        // Only used by jmt's state-restore path, which vmhost does not use.
        Err(anyhow::anyhow!("get_rightmost_leaf is not supported (no state restore)"))
    }
}

impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Self {
        Error::Commitment(e.to_string())
    }
}

/// The JMT key hash of a state key.
pub fn key_hash(key: &StateKey) -> KeyHash {
    KeyHash::with::<Sha256>(key.0)
}

/// Applies a wave's state diff at JMT `version`: adds the JMT nodes, versioned values and the
/// latest state values to `batch` and returns the new root. An empty diff changes nothing.
pub fn commit_state(
    store: &dyn Store,
    version: Version,
    diff: &BTreeMap<StateKey, Value>,
    batch: &mut WriteBatch,
) -> Result<[u8; 32]> {
    let reader = StoreTreeReader::new(store);
    let tree = Sha256Jmt::new(&reader);
    let value_set: Vec<(KeyHash, Option<OwnedValue>)> =
        diff.iter().map(|(k, v)| (key_hash(k), v.as_ref().map(|v| v.to_vec()))).collect();
    let (root, update) = tree.put_value_set(value_set, version)?;
    for (node_key, node) in update.node_batch.nodes() {
        batch.put(Column::JmtNodes, borsh::to_vec(node_key).map_err(io)?, borsh::to_vec(node).map_err(io)?);
    }
    for ((ver, kh), value) in update.node_batch.values() {
        let stored = match value {
            Some(v) => {
                let mut s = Vec::with_capacity(v.len() + 1);
                s.push(1);
                s.extend_from_slice(v);
                s
            }
            None => vec![0],
        };
        batch.put(Column::JmtValues, jmt_value_key(kh, *ver), stored);
    }
    for (k, v) in diff {
        match v {
            Some(v) => batch.put(Column::State, k.0.to_vec(), v.to_vec()),
            None => batch.delete(Column::State, k.0.to_vec()),
        }
    }
    Ok(root.0)
}

/// The JMT root at `version`, read back from the store.
pub fn state_root_at(store: &dyn Store, version: Version) -> Result<[u8; 32]> {
    let reader = StoreTreeReader::new(store);
    Ok(Sha256Jmt::new(&reader).get_root_hash(version)?.0)
}

/// Reads a state value as committed in the JMT at `version` (proof-backed path; the execution
/// path reads the `state` column).
pub fn jmt_get(store: &dyn Store, key: &StateKey, version: Version) -> Result<Option<Vec<u8>>> {
    let reader = StoreTreeReader::new(store);
    Ok(Sha256Jmt::new(&reader).get(key_hash(key), version)?)
}

fn io(e: std::io::Error) -> Error {
    Error::Internal(format!("encoding failed: {e}"))
}

/// Binary Merkle root (BLAKE3, domain separated: leaves `0x00‖data`, nodes `0x01‖l‖r`, an odd
/// node is carried up). The root of no leaves is all zeros.
pub fn merkle_root(leaves: &[[u8; 32]]) -> [u8; 32] {
    if leaves.is_empty() {
        return [0; 32];
    }
    let mut level: Vec<[u8; 32]> = leaves.to_vec();
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        for pair in level.chunks(2) {
            if let [l, r] = pair {
                let mut h = blake3::Hasher::new();
                h.update(&[1]);
                h.update(l);
                h.update(r);
                next.push(*h.finalize().as_bytes());
            } else {
                next.push(pair[0]);
            }
        }
        level = next;
    }
    level[0]
}

fn leaf_hash(bytes: &[u8]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(&[0]);
    h.update(bytes);
    *h.finalize().as_bytes()
}

/// Merkle root of events in wave order.
pub fn events_root(events: &[&Event]) -> [u8; 32] {
    let leaves: Vec<[u8; 32]> = events.iter().map(|e| leaf_hash(&borsh::to_vec(*e).unwrap_or_default())).collect();
    merkle_root(&leaves)
}

/// Merkle root of receipts in wave order.
pub fn receipts_root(receipts: &[Receipt]) -> [u8; 32] {
    let leaves: Vec<[u8; 32]> = receipts.iter().map(|r| leaf_hash(&borsh::to_vec(r).unwrap_or_default())).collect();
    merkle_root(&leaves)
}

/// Adds `item` to a 2048-bit bloom (three 11-bit positions from its BLAKE3 hash).
pub fn bloom_add(bloom: &mut [u8; BLOOM_BYTES], item: &[u8]) {
    let h = blake3::hash(item);
    let h = h.as_bytes();
    for i in 0..3 {
        let bit = (u16::from_be_bytes([h[2 * i], h[2 * i + 1]]) & 0x7ff) as usize;
        bloom[BLOOM_BYTES - 1 - bit / 8] |= 1 << (bit % 8);
    }
}

/// True if `item` may be in the bloom (false means definitely not).
pub fn bloom_contains(bloom: &[u8], item: &[u8]) -> bool {
    if bloom.len() != BLOOM_BYTES {
        return false;
    }
    let h = blake3::hash(item);
    let h = h.as_bytes();
    (0..3).all(|i| {
        let bit = (u16::from_be_bytes([h[2 * i], h[2 * i + 1]]) & 0x7ff) as usize;
        bloom[BLOOM_BYTES - 1 - bit / 8] & (1 << (bit % 8)) != 0
    })
}

/// The events bloom: every event's contract address and topic.
pub fn events_bloom(events: &[&Event]) -> [u8; BLOOM_BYTES] {
    let mut bloom = [0u8; BLOOM_BYTES];
    for e in events {
        bloom_add(&mut bloom, &e.contract.0);
        bloom_add(&mut bloom, &e.topic);
    }
    bloom
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merkle_root_of_one_leaf_is_the_leaf_and_order_matters() {
        let a = [1u8; 32];
        let b = [2u8; 32];
        assert_eq!(merkle_root(&[a]), a);
        assert_ne!(merkle_root(&[a, b]), merkle_root(&[b, a]));
        assert_eq!(merkle_root(&[]), [0; 32]);
    }

    #[test]
    fn bloom_contains_added_items() {
        let mut bloom = [0u8; BLOOM_BYTES];
        bloom_add(&mut bloom, b"topic-a");
        assert!(bloom_contains(&bloom, b"topic-a"));
        assert!(!bloom_contains(&[0u8; BLOOM_BYTES], b"topic-a"));
    }
}
