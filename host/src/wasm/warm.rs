//! The pool of idle warm instances every wasm backend keeps, and its bookkeeping: which idle
//! instance a top-level call takes, when an instance goes back (reset exactly by
//! [`reset`](super::reset::reset)) and when it is dropped, how the module's just-instantiated
//! state is captured. A backend supplies only the engine's side ([`WarmInstance`]: memory,
//! globals) and what "instantiate" means for it.
//!
//! Whether a call ran on a warm instance depends on thread scheduling and on what ran before,
//! so nothing here may show in a receipt: an instance goes back only after a call that
//! completed and a reset that restored everything the call could change.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use super::reset::{reset, GlobalValue, Pristine, WarmInstance};

/// How warm instances have served calls since the backend was built (for operators and
/// tests; nothing here affects a call's outcome).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReuseStats {
    /// Top-level calls that ran on an instance an earlier call had used and reset.
    pub reused: u64,
    /// Warm instances created (a top-level call found no idle one of its module).
    pub instantiated: u64,
    /// Warm instances dropped after their call instead of reset: it trapped, grew memory, or
    /// dirtied more than [`MAX_RESET_BYTES`](super::MAX_RESET_BYTES).
    pub dropped: u64,
    /// Bytes of linear memory restored by the resets (the dirty ranges' total length).
    pub bytes_reset: u64,
}

/// Idle warm instances of every module of one backend, oldest first, at most `cap`. Modules are
/// told apart by an id the backend gives each loaded module.
#[derive(Debug)]
pub struct WarmPool<W> {
    cap: usize,
    /// `(module id, the executor thread that last ran it, instance)`.
    idle: Mutex<VecDeque<(u64, usize, W)>>,
    reused: AtomicU64,
    instantiated: AtomicU64,
    dropped: AtomicU64,
    bytes_reset: AtomicU64,
}

impl<W: WarmInstance> WarmPool<W> {
    /// A pool keeping at most `cap` idle instances (0: none; every call runs fresh).
    pub fn new(cap: u32) -> Self {
        WarmPool {
            cap: cap as usize,
            idle: Mutex::new(VecDeque::new()),
            reused: AtomicU64::new(0),
            instantiated: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            bytes_reset: AtomicU64::new(0),
        }
    }

    /// Whether the pool keeps anything at all.
    pub fn enabled(&self) -> bool {
        self.cap > 0
    }

    /// The counters so far.
    pub fn stats(&self) -> ReuseStats {
        ReuseStats {
            reused: self.reused.load(Ordering::Relaxed),
            instantiated: self.instantiated.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            bytes_reset: self.bytes_reset.load(Ordering::Relaxed),
        }
    }

    /// The most recently used idle instance of module `id` (counted as reused), preferring
    /// one the calling thread ran last: its memory is still in this core's caches.
    pub fn take(&self, id: u64) -> Option<W> {
        let me = thread();
        let mut idle = self.idle.lock();
        let at = match idle.iter().rposition(|(m, t, _)| *m == id && *t == me) {
            Some(at) => at,
            None => idle.iter().rposition(|(m, _, _)| *m == id)?,
        };
        let w = idle.remove(at).map(|(_, _, w)| w);
        drop(idle);
        if w.is_some() {
            self.reused.fetch_add(1, Ordering::Relaxed);
        }
        w
    }

    /// Counts a warm instance the backend just created for module `id`.
    pub fn created(&self) {
        self.instantiated.fetch_add(1, Ordering::Relaxed);
    }

    /// After a call on warm instance `w` of module `id`: when the call `completed` and the
    /// instance resets exactly to `pristine` (with `host_writes`, the range host functions
    /// wrote), keeps it for the next call; otherwise drops it.
    pub fn release(&self, id: u64, mut w: W, completed: bool, host_writes: (u32, u32), pristine: Option<&Pristine>) {
        let bytes = match pristine {
            Some(p) if completed => reset(&mut w, host_writes, p),
            _ => None,
        };
        match bytes {
            Some(bytes) => {
                self.bytes_reset.fetch_add(bytes as u64, Ordering::Relaxed);
                self.put(id, w);
            }
            None => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Keeps `w` for module `id`, dropping the oldest idle instance when full.
    fn put(&self, id: u64, w: W) {
        let mut idle = self.idle.lock();
        idle.push_back((id, thread(), w));
        let evicted = if idle.len() > self.cap { idle.pop_front() } else { None };
        drop(idle);
        drop(evicted);
    }

    /// Drops the idle instances of module `id` (it was unloaded).
    pub fn forget(&self, id: u64) {
        let mut idle = self.idle.lock();
        let (gone, kept): (VecDeque<_>, VecDeque<_>) =
            std::mem::take(&mut *idle).into_iter().partition(|(m, _, _)| *m == id);
        *idle = kept;
        drop(idle);
        drop(gone);
    }

    /// Drops every idle instance (returning whatever engine resources they held).
    pub fn clear(&self) {
        let gone = std::mem::take(&mut *self.idle.lock());
        drop(gone);
    }
}

/// The calling executor thread (rayon's index; 0 outside a pool).
fn thread() -> usize {
    rayon::current_thread_index().unwrap_or(0)
}

/// What capturing a module's just-instantiated state needs of a fresh instance, beyond
/// [`WarmInstance`].
pub trait Capture: WarmInstance {
    /// The data segments' hull `[lo, hi)` (the tracking pass's exports).
    fn data_hull(&mut self) -> Option<(u32, u32)>;
    /// The module's mutable globals' current values, in tracking order.
    fn globals(&mut self) -> Option<Vec<GlobalValue>>;
}

/// The just-instantiated state of `fresh`, an instance no call has run on yet: what every
/// later reset of the module's instances restores.
pub fn capture(fresh: &mut dyn Capture) -> Option<Pristine> {
    let (lo, hi) = fresh.data_hull()?;
    let (data_lo, data_hi) = (lo as usize, hi as usize);
    let globals = fresh.globals()?;
    let memory = fresh.memory();
    let data = memory.get(data_lo..data_hi)?.to_vec();
    Some(Pristine { memory_size: memory.len(), data_lo, data, globals })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wasm::reset::NOTHING_WRITTEN;

    #[derive(Debug)]
    struct Fake {
        mem: Vec<u8>,
        dirty: (u32, u32),
        globals: Vec<GlobalValue>,
    }

    impl WarmInstance for Fake {
        fn memory(&mut self) -> &mut [u8] {
            &mut self.mem
        }
        fn dirty_range(&mut self) -> Option<(u32, u32)> {
            Some(self.dirty)
        }
        fn clear_dirty_range(&mut self) -> bool {
            self.dirty = NOTHING_WRITTEN;
            true
        }
        fn set_global(&mut self, i: usize, value: GlobalValue) -> bool {
            self.globals.get_mut(i).map(|g| *g = value).is_some()
        }
    }

    impl Capture for Fake {
        fn data_hull(&mut self) -> Option<(u32, u32)> {
            Some((4, 8))
        }
        fn globals(&mut self) -> Option<Vec<GlobalValue>> {
            Some(self.globals.clone())
        }
    }

    fn fresh() -> Fake {
        let mut mem = vec![0u8; 64];
        mem[4..8].copy_from_slice(b"data");
        Fake { mem, dirty: NOTHING_WRITTEN, globals: vec![GlobalValue::I64(3)] }
    }

    #[test]
    fn a_completed_call_goes_back_reset_and_a_failed_one_is_dropped() {
        let pool = WarmPool::new(4);
        let mut w = fresh();
        let p = capture(&mut w).expect("capture");
        assert_eq!((p.data_lo, p.data.as_slice(), p.memory_size), (4, &b"data"[..], 64));
        // The call scribbles over the data and a global.
        w.mem[2..10].fill(0xFF);
        w.dirty = (2, 10);
        w.globals[0] = GlobalValue::I64(99);
        pool.release(7, w, true, NOTHING_WRITTEN, Some(&p));
        assert!(pool.take(8).is_none(), "another module's instance is never handed out");
        let w = pool.take(7).expect("kept");
        assert_eq!(&w.mem[..12], b"\0\0\0\0data\0\0\0\0");
        assert_eq!(w.globals, [GlobalValue::I64(3)]);
        assert_eq!(pool.stats().reused, 1);
        pool.release(7, w, false, NOTHING_WRITTEN, Some(&p));
        assert!(pool.take(7).is_none(), "a call that did not complete drops its instance");
        assert_eq!(pool.stats().dropped, 1);
    }

    #[test]
    fn the_pool_keeps_at_most_cap_and_forgets_unloaded_modules() {
        let pool = WarmPool::new(2);
        let p = capture(&mut fresh()).expect("capture");
        for id in [1, 2, 3] {
            pool.release(id, fresh(), true, NOTHING_WRITTEN, Some(&p));
        }
        assert!(pool.take(1).is_none(), "the oldest was evicted");
        pool.forget(2);
        assert!(pool.take(2).is_none());
        assert!(pool.take(3).is_some());
    }
}
