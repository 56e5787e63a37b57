//! The access-list scheduler: a wave, in its canonical order, cut into *levels* of
//! transactions that do not conflict, so each level can run in parallel.
//!
//! The result of a wave is *defined* as executing it sequentially in its given order; the
//! schedule is only an optimisation. Two transactions conflict when one writes a key the other
//! reads or writes (write–write, read–write), or when either has no access list (it may touch
//! anything). A transaction's level is one more than the highest level of the earlier
//! transactions it conflicts with (1 when there is none). So:
//!
//! - two transactions of one level never conflict (the later one would sit above the earlier);
//! - of two conflicting transactions, the earlier one is on a lower level.
//!
//! Running the levels one after the other, and each level's transactions in any order or at
//! once, therefore runs every pair of conflicting transactions in wave order, and every
//! transaction sees exactly what it would have seen in the sequential run (every access is
//! checked against the list, so a transaction can see nothing it did not declare). A
//! transaction without a list conflicts with everything: it sits alone on its level, above
//! every earlier transaction and below every later one.
//!
//! The levels depend on nothing but the wave. Unlike cutting the wave into runs of consecutive
//! non-conflicting transactions, one hot key (say 10% of a wave paying one account) does not
//! cut the whole wave into short runs: only the transactions touching it are stacked.
//!
//! What a transaction touches is what ingress enforces (see `tx::required_access`): the declared
//! list, which must cover the sender's account, the target's record, a deploy's record and code
//! and a native handler's derived keys; and every access during execution is checked against it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use vmhost_abi::{AccessList, StateKey, Transaction};

use crate::params::ConsensusParams;
use crate::registry::VmRegistry;

/// What one transaction of a wave may touch, for scheduling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Footprint<'a> {
    /// It may touch anything (no access list): it runs alone.
    Unknown,
    /// It touches at most these keys (normalized: writes not repeated in reads).
    Keys(Cow<'a, AccessList>),
}

impl Footprint<'_> {
    /// The footprint of `tx` under `params` (see [`Footprint::from_check`]).
    pub fn of(registry: &VmRegistry, params: &ConsensusParams, tx: &Transaction) -> Footprint<'static> {
        match Footprint::from_check(&super::tx::check_access_list(registry, params, tx)) {
            Footprint::Unknown => Footprint::Unknown,
            Footprint::Keys(k) => Footprint::Keys(Cow::Owned(k.into_owned())),
        }
    }

    /// The footprint of a transaction whose ingress access-list check gave `check`: its
    /// declared list when ingress accepts it (which then covers everything its kind touches
    /// around execution, and every access during execution is checked against it), nothing
    /// when ingress refuses it (it is refused before reading anything), anything without one.
    pub fn from_check(check: &super::tx::AccessCheck) -> Footprint<'_> {
        match check {
            Ok(None) => Footprint::Unknown,
            Ok(Some(list)) => Footprint::Keys(Cow::Borrowed(list)),
            Err(_) => Footprint::Keys(Cow::Owned(AccessList::new())),
        }
    }
}

/// The first 8 bytes of a state key (a BLAKE3 output: uniformly distributed).
fn prefix(k: &StateKey) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&k.0[..8]);
    u64::from_le_bytes(b)
}

/// A hasher for [`prefix`]es: they are uniformly distributed already.
#[derive(Default)]
struct Prefix(u64);

impl Hasher for Prefix {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// The highest levels that read and that wrote a key so far.
#[derive(Debug, Default, Clone, Copy)]
struct KeyLevels {
    read: u32,
    written: u32,
}

/// A wave's schedule: transaction indices by level, lowest level first, each level in wave
/// order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schedule {
    levels: Vec<Vec<u32>>,
}

impl Schedule {
    /// Schedules `footprints` (in wave order).
    pub fn new(footprints: &[Footprint<'_>]) -> Schedule {
        // Keyed by the first 8 bytes of each state key (keys are hashes already, so no hashing
        // is needed): the scheduling is sequential and must cost little next to executing the
        // wave. Two keys that share those bytes merely look like one key: at worst a false
        // conflict, which stacks two transactions that could have run side by side and never
        // changes a result. Only lookups are asked of the map, never an order.
        let mut keys: HashMap<u64, KeyLevels, BuildHasherDefault<Prefix>> =
            HashMap::with_capacity_and_hasher(footprints.len() * 3, BuildHasherDefault::default());
        // Every transaction sits above the last one without a list.
        let mut barrier = 0u32;
        let mut top = 0u32;
        let mut level_of = Vec::with_capacity(footprints.len());
        for f in footprints {
            let level = match f {
                Footprint::Unknown => {
                    barrier = top + 1;
                    barrier
                }
                Footprint::Keys(list) => {
                    let mut below = barrier;
                    for k in &list.writes {
                        if let Some(l) = keys.get(&prefix(k)) {
                            below = below.max(l.read).max(l.written);
                        }
                    }
                    for k in &list.reads {
                        if let Some(l) = keys.get(&prefix(k)) {
                            below = below.max(l.written);
                        }
                    }
                    let level = below + 1;
                    for k in &list.writes {
                        keys.entry(prefix(k)).or_default().written = level;
                    }
                    for k in &list.reads {
                        let l = keys.entry(prefix(k)).or_default();
                        l.read = l.read.max(level);
                    }
                    level
                }
            };
            top = top.max(level);
            level_of.push(level);
        }
        let mut levels = vec![Vec::new(); top as usize];
        for (i, level) in level_of.into_iter().enumerate() {
            levels[level as usize - 1].push(i as u32);
        }
        Schedule { levels }
    }

    /// The levels: transaction indices, each level in wave order.
    pub fn levels(&self) -> &[Vec<u32>] {
        &self.levels
    }

    /// Transactions that share their level with at least one other.
    pub fn side_by_side(&self) -> usize {
        self.levels.iter().filter(|l| l.len() > 1).map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(n: u8) -> StateKey {
        StateKey([n; 32])
    }

    fn keys(reads: &[u8], writes: &[u8]) -> Footprint<'static> {
        let mut l = AccessList::new();
        for r in reads {
            l = l.read(k(*r));
        }
        for w in writes {
            l = l.write(k(*w));
        }
        Footprint::Keys(Cow::Owned(l.normalized()))
    }

    fn levels(f: &[Footprint<'_>]) -> Vec<Vec<u32>> {
        Schedule::new(f).levels().to_vec()
    }

    #[test]
    fn disjoint_transactions_share_a_level() {
        let f = [keys(&[], &[1]), keys(&[9], &[2]), keys(&[9], &[3])];
        assert_eq!(levels(&f), [vec![0, 1, 2]], "reading the same key is no conflict");
    }

    #[test]
    fn each_conflict_kind_stacks_the_later_transaction() {
        // write–write
        assert_eq!(levels(&[keys(&[], &[1]), keys(&[], &[1])]), [vec![0], vec![1]]);
        // read then write
        assert_eq!(levels(&[keys(&[1], &[2]), keys(&[], &[1])]), [vec![0], vec![1]]);
        // write then read
        assert_eq!(levels(&[keys(&[], &[1]), keys(&[1], &[3])]), [vec![0], vec![1]]);
        // a write after two readers of different levels sits above both
        let f = [keys(&[], &[1]), keys(&[1], &[]), keys(&[5], &[]), keys(&[], &[1, 5])];
        assert_eq!(levels(&f), [vec![0, 2], vec![1], vec![3]]);
    }

    #[test]
    fn a_transaction_without_a_list_runs_alone_between_before_and_after() {
        let f = [keys(&[], &[1]), keys(&[], &[2]), Footprint::Unknown, keys(&[], &[3]), keys(&[], &[4])];
        assert_eq!(levels(&f), [vec![0, 1], vec![2], vec![3, 4]]);
        assert_eq!(levels(&[Footprint::Unknown, Footprint::Unknown]), [vec![0], vec![1]]);
        assert!(levels(&[]).is_empty());
        // Nothing after an unknown one goes below it, even with keys nobody touched.
        let f = [keys(&[], &[1]), keys(&[], &[1]), Footprint::Unknown, keys(&[], &[9])];
        assert_eq!(levels(&f), [vec![0], vec![1], vec![2], vec![3]]);
    }

    #[test]
    fn a_hot_key_stacks_only_the_transactions_that_touch_it() {
        // Every 10th transaction pays account 0; the others are disjoint.
        let f: Vec<Footprint<'_>> =
            (0..100u8).map(|i| if i % 10 == 0 { keys(&[], &[0, 100 + i]) } else { keys(&[], &[100 + i]) }).collect();
        let s = Schedule::new(&f);
        assert_eq!(s.levels().len(), 10);
        assert_eq!(s.levels()[0].len(), 91, "the first hot one and every cold one");
        assert!(s.levels()[1..].iter().all(|l| l.len() == 1));
        assert_eq!(s.side_by_side(), 91);
    }

    #[test]
    fn levels_order_every_conflicting_pair_as_the_wave_does() {
        // A small exhaustive-ish check over random-looking footprints.
        let mut seed = 0x9e37_79b9_u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        for _ in 0..200 {
            let f: Vec<Footprint<'_>> = (0..30)
                .map(|_| match next() % 12 {
                    0 => Footprint::Unknown,
                    _ => {
                        let r: Vec<u8> = (0..next() % 3).map(|_| (next() % 8) as u8).collect();
                        let w: Vec<u8> = (0..next() % 3).map(|_| (next() % 8) as u8).collect();
                        keys(&r, &w)
                    }
                })
                .collect();
            let s = Schedule::new(&f);
            let mut level = vec![0usize; f.len()];
            for (l, txs) in s.levels().iter().enumerate() {
                assert!(txs.windows(2).all(|w| w[0] < w[1]), "each level in wave order");
                for t in txs {
                    level[*t as usize] = l;
                }
            }
            assert_eq!(s.levels().iter().map(Vec::len).sum::<usize>(), f.len(), "every transaction once");
            let conflict = |a: &Footprint<'_>, b: &Footprint<'_>| match (a, b) {
                (Footprint::Keys(a), Footprint::Keys(b)) => {
                    a.writes.iter().any(|k| b.may_read(k)) || b.writes.iter().any(|k| a.may_read(k))
                }
                _ => true,
            };
            for i in 0..f.len() {
                for j in i + 1..f.len() {
                    if conflict(&f[i], &f[j]) {
                        assert!(level[i] < level[j], "{i} and {j} conflict: {:?} {:?}", f[i], f[j]);
                    }
                }
            }
        }
    }

    #[test]
    fn the_schedule_depends_only_on_the_wave() {
        let f = [keys(&[], &[1]), keys(&[], &[1]), keys(&[], &[2]), keys(&[], &[1]), keys(&[5], &[6])];
        assert_eq!(Schedule::new(&f), Schedule::new(&f.clone()));
        assert_eq!(levels(&f), [vec![0, 2, 4], vec![1], vec![3]]);
    }
}
