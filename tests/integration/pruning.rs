//! Proofs for clients (`Chain::prove`, `commit::verify_proof`) and pruning with a retention
//! window (`NodeConfig::retain_waves`): every read and proof within the window works, older
//! ones are refused, and pruning never changes a root.

use std::collections::BTreeMap;
use std::sync::Arc;

use vmhost::state::commit::{self, StateProof};
use vmhost::state::{Column, MemStore, RocksStore, Store, WriteBatch};
use vmhost::testing::{block, transfer};
use vmhost::{Chain, Error, ExecConfig};
use vmhost_abi::{keys, Address, StateKey};
use vmhost_tests::{chain_with_config, registry, user};

fn config(retain: u64) -> ExecConfig {
    let mut c = ExecConfig::default();
    c.node.retain_waves = retain;
    c
}

fn chain(store: Arc<dyn Store>, retain: u64) -> Chain {
    chain_with_config(store, registry(Default::default()), config(retain), 8)
}

/// Wave `w`: users 1–4 each pay users 5–8 (the same keys every wave, so every wave makes the
/// previous versions of them obsolete), plus one new account per wave.
fn wave(w: u64) -> Vec<vmhost_abi::Transaction> {
    let mut txs: Vec<_> = (1..=4).map(|i| transfer(user(i), w - 1, user(4 + i), u128::from(w))).collect();
    txs.push(transfer(user(8), w - 1, user(1000 + w), 1));
    txs
}

/// The keys the waves touch.
fn touched(last_wave: u64) -> Vec<StateKey> {
    let mut k: Vec<StateKey> = (1..=8).map(|i| keys::account(&user(i))).collect();
    k.extend((1..=last_wave).map(|w| keys::account(&user(1000 + w))));
    k
}

type Snapshot = BTreeMap<StateKey, Option<Vec<u8>>>;

/// Runs waves 1..=n, returning each wave's values of every touched key and its root.
fn run(chain: &mut Chain, n: u64) -> Vec<(u64, [u8; 32], Snapshot)> {
    (1..=n)
        .map(|w| {
            let out = chain.execute_wave(&block(w), &wave(w)).unwrap();
            assert!(out.receipts.iter().all(|r| r.is_success()), "{:?}", out.receipts);
            let snap = touched(n).into_iter().map(|k| (k, chain.jmt_get(&k).unwrap())).collect();
            (w, out.record.state_root, snap)
        })
        .collect()
}

fn check_proof(root: &[u8; 32], key: &StateKey, value: Option<&[u8]>, proof: &StateProof) {
    commit::verify_proof(root, key, value, proof).unwrap_or_else(|e| panic!("{key:?}: {e}"));
}

#[test]
fn proofs_verify_with_nothing_but_the_root_and_every_tampering_fails() {
    let mut chain = chain(Arc::new(MemStore::new()), 0);
    let history = run(&mut chain, 4);
    let root = chain.state_root();
    let present = keys::account(&user(1));
    let absent = keys::account(&Address([0xee; 32]));

    let p = chain.prove(&present, None).unwrap();
    assert_eq!((p.wave, p.state_root), (Some(4), root));
    assert_eq!(p.value, chain.jmt_get(&present).unwrap());
    assert!(p.value.is_some());
    check_proof(&root, &present, p.value.as_deref(), &p.proof);

    let q = chain.prove(&absent, None).unwrap();
    assert_eq!(q.value, None);
    check_proof(&root, &absent, None, &q.proof);

    // A wrong value, a present key claimed absent, an absent one claimed present.
    let mut wrong = p.value.clone().unwrap();
    wrong[0] ^= 1;
    assert!(commit::verify_proof(&root, &present, Some(&wrong), &p.proof).is_err());
    assert!(commit::verify_proof(&root, &present, None, &p.proof).is_err());
    assert!(commit::verify_proof(&root, &absent, Some(b"x"), &q.proof).is_err());
    // Another key with this key's proof.
    assert!(commit::verify_proof(&root, &keys::account(&user(2)), p.value.as_deref(), &p.proof).is_err());
    // Another root (the previous wave's).
    let older = history[2].1;
    assert!(commit::verify_proof(&older, &present, p.value.as_deref(), &p.proof).is_err());
    // A changed shard root, of the key's own shard and of another.
    for s in 0..16 {
        let mut t = p.proof.clone();
        t.shard_roots[s][31] ^= 0x80;
        assert!(commit::verify_proof(&root, &present, p.value.as_deref(), &t).is_err(), "shard {s}");
    }
    // Any flipped byte of the encoded JMT proof: it no longer decodes, or it no longer verifies.
    let bytes = borsh::to_vec(&p.proof).unwrap();
    let mut decoded = 0;
    for i in (16 * 32)..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        if let Ok(t) = borsh::from_slice::<StateProof>(&b) {
            assert!(
                commit::verify_proof(&root, &present, p.value.as_deref(), &t).is_err(),
                "byte {i} of {} flipped and the proof still verifies",
                bytes.len()
            );
            decoded += 1;
        }
    }
    assert!(decoded > 64, "{decoded} of {} flipped proofs decoded", bytes.len() - 16 * 32);

    // Proofs at past waves, against those waves' recorded roots.
    for (w, root, snap) in &history {
        assert_eq!(chain.wave_record(*w).unwrap().unwrap().state_root, *root);
        for (key, value) in snap {
            let p = chain.prove(key, Some(*w)).unwrap();
            assert_eq!((&p.value, p.state_root), (value, *root), "wave {w}");
            check_proof(root, key, value.as_deref(), &p.proof);
        }
    }
    assert!(matches!(chain.prove(&present, Some(5)), Err(Error::UnknownWave(5))));
}

#[test]
fn pruning_keeps_every_read_and_proof_of_the_window_refuses_older_ones_and_changes_no_root() {
    const RETAIN: u64 = 3;
    const WAVES: u64 = 12;
    let dir = tempfile::tempdir().unwrap();
    let pruned_store = Arc::new(RocksStore::open_with(dir.path(), false).unwrap());
    let archive_store = Arc::new(MemStore::new());
    let mut pruned = chain(pruned_store.clone(), RETAIN);
    let mut archive = chain(archive_store.clone(), 0);
    let history = run(&mut pruned, WAVES);
    let archive_history = run(&mut archive, WAVES);
    let roots = |h: &[(u64, [u8; 32], Snapshot)]| h.iter().map(|x| x.1).collect::<Vec<_>>();
    assert_eq!(roots(&history), roots(&archive_history), "pruning is node-local: the roots are the archive's");
    assert_eq!(archive.prune_floor(), 0);
    assert_eq!(archive_store.len(Column::Stale), 0, "an archive node writes no stale index");

    let check_window = |chain: &Chain| {
        // After wave 12 with 3 waves retained, the states of waves 10, 11 and 12 are readable.
        assert_eq!(chain.prune_floor(), WAVES + 1 - RETAIN);
        for (w, root, snap) in &history {
            for (key, value) in snap {
                match chain.prove(key, Some(*w)) {
                    Ok(p) if *w >= WAVES + 1 - RETAIN => {
                        assert_eq!((&p.value, p.state_root), (value, *root), "wave {w}");
                        check_proof(root, key, value.as_deref(), &p.proof);
                    }
                    Err(Error::Pruned { wave, oldest }) if *w < WAVES + 1 - RETAIN => {
                        assert_eq!((wave, oldest), (*w, WAVES + 1 - RETAIN));
                    }
                    other => panic!("wave {w}: {other:?}"),
                }
            }
        }
        // Every key reads the same at the head, through the versioned values and the tree.
        let head = &history.last().unwrap().2;
        for (key, value) in head {
            assert_eq!(&chain.jmt_get(key).unwrap(), value);
        }
    };
    check_window(&pruned);
    let e = pruned.prove(&keys::account(&user(1)), Some(2)).unwrap_err().to_string();
    assert!(e.contains("wave 2 is pruned") && e.contains("from wave 10 on"), "{e}");

    // What pruning removed: the same keys rewritten every wave leave the archive one version
    // per wave, the pruning node at most the window's once RocksDB has compacted (superseded
    // versions go in compaction; JMT nodes went with the commits).
    pruned_store.compact().unwrap();
    let versions = |store: &dyn Store, key: &StateKey| {
        store.scan_prefix(Column::JmtValues, &commit::key_hash(key).0, usize::MAX).unwrap().len()
    };
    let key = keys::account(&user(1));
    assert_eq!(versions(&*archive_store, &key), WAVES as usize + 1, "genesis and every wave");
    let kept = versions(&*pruned_store, &key);
    assert!(kept <= RETAIN as usize + 1, "{kept} versions kept");
    let count = |store: &dyn Store, col| store.scan_prefix(col, &[], usize::MAX).unwrap().len();
    let (a_nodes, p_nodes) = (count(&*archive_store, Column::JmtNodes), count(&*pruned_store, Column::JmtNodes));
    assert!(p_nodes * 2 < a_nodes, "JMT nodes: pruning {p_nodes}, archive {a_nodes}");

    // Reopened, the node keeps its window and goes on pruning.
    drop(pruned);
    let mut reopened = chain(pruned_store.clone(), RETAIN);
    check_window(&reopened);
    let out = reopened.execute_wave(&block(WAVES + 1), &wave(WAVES + 1)).unwrap();
    let arch = archive.execute_wave(&block(WAVES + 1), &wave(WAVES + 1)).unwrap();
    assert_eq!(out.record.state_root, arch.record.state_root);
    assert_eq!(reopened.prune_floor(), WAVES + 2 - RETAIN);
    assert!(matches!(reopened.prove(&key, Some(WAVES + 1 - RETAIN)), Err(Error::Pruned { .. })));
}

#[test]
fn a_shorter_window_on_reopen_catches_up_and_a_cut_short_prune_keeps_its_floor_honest() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(RocksStore::open_with(dir.path(), false).unwrap());
    let mut c = chain(store.clone(), 100);
    run(&mut c, 6);
    assert_eq!(c.prune_floor(), 0, "nothing has left a 100-wave window");
    drop(c);
    let mut c = chain(store.clone(), 2);
    c.execute_wave(&block(7), &wave(7)).unwrap();
    assert_eq!(c.prune_floor(), 6);
    assert!(c.prove(&keys::account(&user(1)), Some(6)).is_ok());
    assert!(matches!(c.prove(&keys::account(&user(1)), Some(5)), Err(Error::Pruned { wave: 5, oldest: 6 })));

    // The stale index directly: three waves rewrite the same keys (the first replaces nothing,
    // so its entries start at wave 2); a prune limited to one entry reports the wave it
    // reached, not the one it was asked for.
    let mem = MemStore::new();
    let diff = |tag: u8| -> BTreeMap<StateKey, vmhost::state::Value> {
        (0..4u8).map(|i| (StateKey([i; 32]), Some(vmhost::state::StateBytes::from(&[tag, i][..])))).collect()
    };
    let mut cm = commit::StateCommitment::default();
    for w in 1..=3u64 {
        let mut b = WriteBatch::new();
        cm = cm.apply(&mem, &diff(w as u8), &mut b, Some((w, 0))).unwrap();
        mem.write(b).unwrap();
    }
    let mut b = WriteBatch::new();
    let cut = commit::prune(&mem, &0u64.to_be_bytes(), 3, 1, &mut b).unwrap();
    assert!(!cut.complete);
    assert_eq!(cut.floor, Some(2));
    let mut b = WriteBatch::new();
    let all = commit::prune(&mem, &0u64.to_be_bytes(), 3, usize::MAX, &mut b).unwrap();
    assert!(all.complete && all.floor == Some(3) && all.nodes > cut.nodes, "{all:?}");
    mem.write(b).unwrap();
    // Wave 3's state is whole: every key reads its last value through the tree.
    cm.verify(&mem).unwrap();
    for i in 0..4u8 {
        assert_eq!(cm.get(&mem, &StateKey([i; 32])).unwrap(), Some(vec![3, i]));
    }
    assert_eq!(mem.len(Column::Stale), 0);
}
