//! What every wasm backend shares around a call: the host-write-tracking guest memory, the
//! mapping of an engine's trap to an ABI code (with the limits pass's counters), and the
//! warm-instance reset (dirty range, data hull, mutable globals).
//!
//! A backend implements only what is its engine's: it finds the exports, reads and writes
//! globals, hands out the memory, and says which kind of trap its engine raised ([`Trap`]).
//! Everything that must be identical across engines is here, once.

use vmhost_abi::ErrorCode;

use crate::vm::{GuestMemory, HostTrap, SliceMemory};

/// Largest dirty range reset in place; a call that dirtied more drops its instance (then the
/// engine's own reset, which finds dirty pages itself, is as cheap).
pub const MAX_RESET_BYTES: usize = 256 << 10;

/// An empty write range.
pub const NOTHING_WRITTEN: (u32, u32) = (u32::MAX, 0);

/// Guest memory as host functions see it during a call, recording the range they write (a
/// warm instance's reset restores it too) and carrying the guest's stack units left (for the
/// call host functions). Every wasm backend hands the host one of these.
#[derive(Debug)]
pub struct TrackedMemory<'a> {
    mem: &'a mut [u8],
    written: &'a mut (u32, u32),
    stack_left: Option<u32>,
}

impl<'a> TrackedMemory<'a> {
    /// Guest memory `mem`; writes widen `written`; `stack_left` is the guest's counter (read
    /// by the backend for the call host functions, `HostFn::is_call`).
    pub fn new(mem: &'a mut [u8], written: &'a mut (u32, u32), stack_left: Option<u32>) -> Self {
        Self { mem, written, stack_left }
    }

    fn widen(&mut self, lo: usize, hi: usize) {
        let (lo, hi) = (u32::try_from(lo).unwrap_or(u32::MAX), u32::try_from(hi).unwrap_or(u32::MAX));
        self.written.0 = self.written.0.min(lo);
        self.written.1 = self.written.1.max(hi);
    }
}

impl GuestMemory for TrackedMemory<'_> {
    fn data(&self) -> &[u8] {
        self.mem
    }

    /// Whole-memory access: all of it counts as written.
    fn data_mut(&mut self) -> &mut [u8] {
        self.widen(0, self.mem.len());
        self.mem
    }

    /// The checked write of [`GuestMemory::write`], recording only the bytes written.
    fn write(&mut self, ptr: u32, bytes: &[u8]) -> Result<(), HostTrap> {
        SliceMemory(&mut *self.mem).write(ptr, bytes)?;
        if !bytes.is_empty() {
            self.widen(ptr as usize, ptr as usize + bytes.len());
        }
        Ok(())
    }

    fn stack_left(&self) -> Option<u32> {
        self.stack_left
    }
}

/// How a guest stopped abnormally, in an engine's own terms but named the same for every
/// engine. [`trap_code`] turns it into the receipt's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trap {
    /// A host function refused the call with this code (`Reverted` included).
    Host(ErrorCode),
    /// `unreachable` executed: a genuine one, or the module's own out-of-gas, stack or memory
    /// check (told apart by the counters).
    Unreachable,
    /// The engine's own fuel ran out (engine-metered backends).
    OutOfFuel,
    /// A load or store outside linear memory (or misaligned atomics).
    MemoryOutOfBounds,
    /// Integer overflow, or a float-to-int conversion out of range.
    IntegerOverflow,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero,
    /// `call_indirect` to a null, out-of-range or wrongly typed entry.
    IndirectCallFault,
    /// Any other guest fault the engine reports.
    Other,
}

/// The limits and metering counters of an instance after a trap (as the module left them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    /// The injected gas counter (`None`: engine fuel); negative when the module ran out.
    pub gas: Option<i64>,
    /// The stack counter; negative after the limits pass's stack check failed.
    pub stack: i32,
    /// The memory-limit counter; negative after the limits pass's memory check failed.
    pub memory: i32,
}

/// The receipt code of `trap`: an `unreachable` is out of gas, a stack overflow or a memory
/// limit when the module's own checks say so (in that order), a genuine `Unreachable`
/// otherwise.
pub fn trap_code(trap: Trap, counters: Counters) -> ErrorCode {
    match trap {
        Trap::Host(code) => code,
        Trap::Unreachable if counters.gas.is_some_and(|g| g < 0) => ErrorCode::OutOfGas,
        Trap::Unreachable if counters.stack < 0 => ErrorCode::StackOverflow,
        Trap::Unreachable if counters.memory < 0 => ErrorCode::MemoryLimit,
        Trap::Unreachable => ErrorCode::Unreachable,
        Trap::OutOfFuel => ErrorCode::OutOfGas,
        Trap::MemoryOutOfBounds => ErrorCode::MemoryOutOfBounds,
        Trap::IntegerOverflow => ErrorCode::IntegerOverflow,
        Trap::IntegerDivisionByZero => ErrorCode::IntegerDivisionByZero,
        Trap::IndirectCallFault => ErrorCode::IndirectCallFault,
        Trap::Other => ErrorCode::OtherTrap,
    }
}

/// A wasm global's value, as the reset stores and restores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobalValue {
    /// `i32`.
    I32(i32),
    /// `i64`.
    I64(i64),
    /// `f32` bits.
    F32(u32),
    /// `f64` bits.
    F64(u64),
}

/// A module's state right after instantiation, as far as a call can change it: taken once
/// from the first instance (every instance of a module starts identical).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pristine {
    /// Linear memory size in bytes.
    pub memory_size: usize,
    /// Start of the data segments' hull.
    pub data_lo: usize,
    /// The hull's bytes.
    pub data: Vec<u8>,
    /// The module's own mutable globals (the tracking exports, in order).
    pub globals: Vec<GlobalValue>,
}

/// What a backend gives the reset of one of its idle instances.
pub trait WarmInstance {
    /// The instance's linear memory.
    fn memory(&mut self) -> &mut [u8];
    /// The guest's dirty range `[lo, hi)` (the tracking globals), or `None` if unreadable.
    fn dirty_range(&mut self) -> Option<(u32, u32)>;
    /// Empties the guest's dirty range; `false` if it cannot.
    fn clear_dirty_range(&mut self) -> bool;
    /// Sets mutable global `i` (tracking order); `false` if it cannot.
    fn set_global(&mut self, i: usize, value: GlobalValue) -> bool;
}

/// Puts a warm instance back into its just-instantiated state after a call that completed: the
/// union of the guest's and the host's write ranges gets the data hull's pristine bytes where
/// it overlaps them and zeros elsewhere (contracts have no start function, so that is what a
/// new instance holds), the mutable globals get their initial values, the range is cleared.
/// Returns the bytes restored, or `None` when the instance cannot be reset exactly and must be
/// dropped (its memory grew, the range is too large, a global would not set).
pub fn reset(inst: &mut dyn WarmInstance, host_writes: (u32, u32), p: &Pristine) -> Option<usize> {
    if inst.memory().len() != p.memory_size {
        return None;
    }
    let (guest_lo, guest_hi) = inst.dirty_range()?;
    let lo = guest_lo.min(host_writes.0) as usize;
    let hi = (guest_hi.max(host_writes.1) as usize).min(p.memory_size);
    let mut bytes = 0;
    if lo < hi {
        if hi - lo > MAX_RESET_BYTES {
            return None;
        }
        restore(inst.memory(), lo, hi, p);
        bytes = hi - lo;
    }
    if (guest_lo, guest_hi) != NOTHING_WRITTEN && !inst.clear_dirty_range() {
        return None;
    }
    if !p.globals.iter().enumerate().all(|(i, v)| inst.set_global(i, *v)) {
        return None;
    }
    Some(bytes)
}

/// Restores `mem[lo..hi]` to a just-instantiated memory: the data hull's bytes where it
/// overlaps, zeros elsewhere. `lo < hi <= mem.len()`.
pub fn restore(mem: &mut [u8], lo: usize, hi: usize, p: &Pristine) {
    let Some(range) = mem.get_mut(lo..hi) else { return };
    let data_hi = p.data_lo + p.data.len();
    let (from, to) = (lo.max(p.data_lo), hi.min(data_hi));
    if from < to {
        range[..from - lo].fill(0);
        range[from - lo..to - lo].copy_from_slice(&p.data[from - p.data_lo..to - p.data_lo]);
        range[to - lo..].fill(0);
    } else {
        range.fill(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pristine(data_lo: usize, data: &[u8]) -> Pristine {
        Pristine { memory_size: 64, data_lo, data: data.to_vec(), globals: Vec::new() }
    }

    #[test]
    fn restore_copies_the_data_it_overlaps_and_zeroes_the_rest() {
        let p = pristine(8, b"abcd");
        for (lo, hi) in [(0, 64), (0, 10), (10, 20), (9, 11), (20, 30), (0, 8), (12, 13)] {
            let mut mem = vec![0xEEu8; 64];
            restore(&mut mem, lo, hi, &p);
            for (i, b) in mem.iter().enumerate() {
                let want = if !(lo..hi).contains(&i) {
                    0xEE
                } else if (8..12).contains(&i) {
                    b"abcd"[i - 8]
                } else {
                    0
                };
                assert_eq!(*b, want, "byte {i} after restoring {lo}..{hi}");
            }
        }
    }

    struct Fake {
        mem: Vec<u8>,
        dirty: Option<(u32, u32)>,
        globals: Vec<Option<GlobalValue>>,
    }

    impl WarmInstance for Fake {
        fn memory(&mut self) -> &mut [u8] {
            &mut self.mem
        }
        fn dirty_range(&mut self) -> Option<(u32, u32)> {
            self.dirty
        }
        fn clear_dirty_range(&mut self) -> bool {
            self.dirty = Some(NOTHING_WRITTEN);
            true
        }
        fn set_global(&mut self, i: usize, value: GlobalValue) -> bool {
            match self.globals.get_mut(i) {
                Some(g) => {
                    *g = Some(value);
                    true
                }
                None => false,
            }
        }
    }

    #[test]
    fn reset_restores_both_ranges_and_the_globals_or_declines() {
        let mut p = pristine(8, b"abcd");
        p.globals = vec![GlobalValue::I32(7)];
        let mut f = Fake { mem: vec![0xEE; 64], dirty: Some((10, 12)), globals: vec![None] };
        assert_eq!(reset(&mut f, (40, 44), &p), Some(44 - 10));
        assert_eq!(&f.mem[8..10], [0xEE, 0xEE], "outside the range: untouched");
        assert_eq!(&f.mem[10..12], b"cd");
        assert!(f.mem[12..44].iter().all(|b| *b == 0));
        assert_eq!(f.mem[44], 0xEE);
        assert_eq!(f.dirty, Some(NOTHING_WRITTEN));
        assert_eq!(f.globals, [Some(GlobalValue::I32(7))]);
        // A grown memory, an oversized range or a global that will not set: dropped.
        let mut grown = Fake { mem: vec![0; 128], dirty: Some(NOTHING_WRITTEN), globals: vec![None] };
        assert_eq!(reset(&mut grown, NOTHING_WRITTEN, &p), None);
        let mut big = pristine(0, b"");
        big.memory_size = 1 << 20;
        let mut f = Fake { mem: vec![0; 1 << 20], dirty: Some((0, (MAX_RESET_BYTES + 1) as u32)), globals: vec![] };
        assert_eq!(reset(&mut f, NOTHING_WRITTEN, &big), None);
        let mut f = Fake { mem: vec![0; 64], dirty: Some(NOTHING_WRITTEN), globals: vec![] };
        assert_eq!(reset(&mut f, NOTHING_WRITTEN, &p), None, "one global to restore, none settable");
    }

    #[test]
    fn trap_codes_follow_the_counters_in_order() {
        let c = |gas, stack, memory| Counters { gas, stack, memory };
        assert_eq!(trap_code(Trap::Unreachable, c(Some(-1), -1, -1)), ErrorCode::OutOfGas);
        assert_eq!(trap_code(Trap::Unreachable, c(Some(5), -3, -1)), ErrorCode::StackOverflow);
        assert_eq!(trap_code(Trap::Unreachable, c(None, 0, -1)), ErrorCode::MemoryLimit);
        assert_eq!(trap_code(Trap::Unreachable, c(Some(5), 10, 3)), ErrorCode::Unreachable);
        assert_eq!(trap_code(Trap::Host(ErrorCode::Reverted), c(Some(-1), -1, -1)), ErrorCode::Reverted);
        assert_eq!(trap_code(Trap::OutOfFuel, Counters::default()), ErrorCode::OutOfGas);
    }
}
