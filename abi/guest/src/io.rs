//! Call input, return data, revert, and the return data of the last cross call.

use crate::sys;

/// Length in bytes of the current call's input.
///
/// Cost: 2 gas.
#[inline]
pub fn input_len() -> usize {
    unsafe { sys::input_len() as usize }
}

/// Copies the start of the input into `buf`: `min(input_len(), buf.len())` bytes, which it
/// returns. Bytes of `buf` past that count are left untouched.
///
/// Cost: 3 gas + 1 per byte copied.
#[inline]
pub fn read_input(buf: &mut [u8]) -> usize {
    let n = core::cmp::min(input_len(), buf.len());
    unsafe { sys::input_read(buf.as_mut_ptr(), 0, n) };
    n
}

/// Copies `input[offset..offset + buf.len()]` into `buf`.
///
/// Traps with `InvalidArgument` if that range exceeds the input.
#[inline]
pub fn read_input_at(offset: usize, buf: &mut [u8]) {
    unsafe { sys::input_read(buf.as_mut_ptr(), offset, buf.len()) }
}

/// The whole input as an `N`-byte array if it is exactly `N` bytes long, else `None`.
///
/// The usual way to parse a fixed-layout input:
/// `let Some(input) = input_exact::<48>() else { revert(b"bad input length") };`
#[inline]
pub fn input_exact<const N: usize>() -> Option<[u8; N]> {
    if input_len() != N {
        return None;
    }
    let mut buf = [0u8; N];
    read_input(&mut buf);
    Some(buf)
}

/// Sets the call's return data (replacing any set earlier in this call).
///
/// Cost: 3 gas + 1 per byte. Traps with `ReturnDataTooLarge` above `MAX_RETURN_LEN` (64 KiB).
#[inline]
pub fn set_return(data: &[u8]) {
    unsafe { sys::set_return(data.as_ptr(), data.len()) }
}

/// Stops the call: its state changes and events are discarded and `reason` becomes the return
/// data of a receipt with code `Reverted` (500). Never returns.
///
/// Cost: 3 gas + 1 per byte.
#[inline]
pub fn revert(reason: &[u8]) -> ! {
    unsafe { sys::revert(reason.as_ptr(), reason.len()) };
    halt()
}

/// Reached only if a host let `revert` return, which ABI v1 forbids.
#[cfg(target_arch = "wasm32")]
#[inline(always)]
fn halt() -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(not(target_arch = "wasm32"))]
fn halt() -> ! {
    unreachable!("the revert host function returned")
}

/// Length of the return (or revert) data of the last cross call made by this call; 0 before any.
#[inline]
pub fn return_data_len() -> usize {
    unsafe { sys::return_data_len() as usize }
}

/// Copies `return_data[offset..offset + buf.len()]` of the last cross call into `buf`.
///
/// Traps with `InvalidArgument` if that range exceeds the return data.
#[inline]
pub fn read_return_data(offset: usize, buf: &mut [u8]) {
    unsafe { sys::return_data_read(buf.as_mut_ptr(), offset, buf.len()) }
}
