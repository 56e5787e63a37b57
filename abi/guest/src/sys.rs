//! Raw imports: one `extern "C"` declaration per row of `vmhost_abi::HOST_FUNCTIONS`.
//!
//! Everything here is `unsafe`: pointers are offsets into the contract's own linear memory and
//! the host traps the contract (`GuestMemoryOutOfBounds`) when a pointer/length pair does not fit.
//! Prefer the safe wrappers at the crate root.
//!
//! Type mapping (wasm32): pointers are `*const u8` / `*mut u8`, lengths and offsets `usize`,
//! other `i32`s `u32` or `i32` (signed where `-1` is a possible result), `i64`s `u64`.
//! All of these lower to exactly the wasm types of the table; [`IMPORTS`] records them and a
//! unit test checks them against `abi/src/hostfns.rs`.
//!
//! On targets other than `wasm32` (the workspace builds this crate for the host) the same
//! functions exist as stubs that panic, so code using the SDK still type-checks there.

/// The wasm spelling of a Rust type used in an import signature (on wasm32).
pub trait WasmType {
    /// `"i32"` or `"i64"`.
    const WAT: &'static str;
}

macro_rules! wasm_type {
    ($($t:ty => $wat:literal),* $(,)?) => { $(impl WasmType for $t { const WAT: &'static str = $wat; })* };
}
wasm_type! {
    *const u8 => "i32", *mut u8 => "i32", usize => "i32", u32 => "i32", i32 => "i32",
    u64 => "i64", i64 => "i64",
}

/// One declared import: its name (module [`IMPORT_MODULE`]) and wasm signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportSig {
    /// Import name.
    pub name: &'static str,
    /// Parameter types, wat spelling.
    pub params: &'static [&'static str],
    /// Result types, wat spelling (zero or one).
    pub results: &'static [&'static str],
}

/// The import module of every host function.
pub const IMPORT_MODULE: &str = "vmhost";

macro_rules! host_imports {
    ($( $(#[doc = $doc:literal])* fn $name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)?; )*) => {
        #[cfg(target_arch = "wasm32")]
        #[link(wasm_import_module = "vmhost")]
        unsafe extern "C" {
            $( $(#[doc = $doc])* pub fn $name($($arg: $ty),*) $(-> $ret)?; )*
        }

        #[cfg(not(target_arch = "wasm32"))]
        mod stubs {
            $(
                $(#[doc = $doc])*
                ///
                /// (Host-target stub: panics; the real import exists only on wasm32.)
                #[allow(unused_variables, clippy::missing_safety_doc)]
                pub unsafe fn $name($($arg: $ty),*) $(-> $ret)? {
                    panic!(concat!("vmhost host function `", stringify!($name), "` is only available on wasm32"))
                }
            )*
        }
        #[cfg(not(target_arch = "wasm32"))]
        pub use stubs::*;

        /// Every declared import, in table order (same order and ids as `HOST_FUNCTIONS`).
        pub const IMPORTS: &[ImportSig] = &[
            $(ImportSig {
                name: stringify!($name),
                params: &[$(<$ty as WasmType>::WAT),*],
                results: &[$(<$ret as WasmType>::WAT)?],
            },)*
        ];
    };
}

host_imports! {
    /// id 0. Length in bytes of the current call's input.
    fn input_len() -> u32;
    /// id 1. Copy `input[offset..offset+len]` to `dst`. Traps `InvalidArgument` if the range exceeds the input.
    fn input_read(dst: *mut u8, offset: usize, len: usize);
    /// id 2. Set the call's return data (replaces earlier data). Traps `ReturnDataTooLarge`.
    fn set_return(ptr: *const u8, len: usize);
    /// id 3. Stop, discard this call's state changes and events, return the bytes as the revert reason.
    fn revert(ptr: *const u8, len: usize);
    /// id 4. Length of the last cross call's return (or revert) data; 0 before any.
    fn return_data_len() -> u32;
    /// id 5. Copy part of the last cross call's return data. Traps `InvalidArgument` if out of range.
    fn return_data_read(dst: *mut u8, offset: usize, len: usize);
    /// id 6. Read a slot (32-byte key): copies `min(len, out_cap)` bytes, returns the full length or -1 if empty.
    fn sload(key: *const u8, out: *mut u8, out_cap: usize) -> i32;
    /// id 7. Write a slot. Traps `ValueTooLarge`, `StaticCallViolation`.
    fn sstore(key: *const u8, val: *const u8, val_len: usize);
    /// id 8. Delete a slot. Traps `StaticCallViolation`.
    fn sdelete(key: *const u8);
    /// id 9. Write the account's balance (16-byte LE u128) to `out`.
    fn balance(addr: *const u8, out: *mut u8);
    /// id 10. Move `amount` (16-byte LE u128) from this contract's balance to `to`. Traps `InsufficientBalance`.
    fn transfer(to: *const u8, amount: *const u8);
    /// id 11. The 32-byte address that invoked this call.
    fn caller(out: *mut u8);
    /// id 12. The 32-byte address that signed the transaction.
    fn origin(out: *mut u8);
    /// id 13. This contract's 32-byte address (the caller's, inside `delegate_call`).
    fn self_address(out: *mut u8);
    /// id 14. The current block height.
    fn block_height() -> u64;
    /// id 15. The current wave id.
    fn wave_id() -> u64;
    /// id 16. The consensus timestamp of the current block (unix milliseconds).
    fn block_timestamp() -> u64;
    /// id 17. The chain id.
    fn chain_id() -> u64;
    /// id 18. Append an event (32-byte topic, payload). Traps `EventTooLarge`, `TooManyEvents`, `StaticCallViolation`.
    fn emit_event(topic: *const u8, data: *const u8, data_len: usize);
    /// id 19. Write Keccak-256 of the input (32 bytes) to `out`.
    fn hash_keccak256(input: *const u8, input_len: usize, out: *mut u8);
    /// id 20. Write BLAKE3 of the input (32 bytes) to `out`.
    fn hash_blake3(input: *const u8, input_len: usize, out: *mut u8);
    /// id 21. Write the `vmhost/poseidon2/v1` hash of the input (32 bytes) to `out`.
    fn hash_poseidon2(input: *const u8, input_len: usize, out: *mut u8);
    /// id 22. FALCON-512 verification: 1 valid, 0 invalid (malformed input included).
    fn falcon_verify(pk: *const u8, pk_len: usize, msg: *const u8, msg_len: usize, sig: *const u8, sig_len: usize) -> i32;
    /// id 23. Encrypt under the committee key; returns the ciphertext length, copies it if it fits. Parachains only.
    fn threshold_encrypt(input: *const u8, input_len: usize, out: *mut u8, out_cap: usize) -> u32;
    /// id 24. Threshold-decrypt; returns the plaintext length, copies it if it fits, or -1 for a
    /// ciphertext that does not decrypt. Parachains only.
    fn threshold_decrypt(input: *const u8, input_len: usize, out: *mut u8, out_cap: usize) -> i32;
    /// id 25. Call another contract; returns 0 or the callee's error code. `value` is a 16-byte LE u128.
    fn cross_call(target: *const u8, entry: *const u8, entry_len: usize, input: *const u8, input_len: usize, value: *const u8, gas_limit: u64) -> u32;
    /// id 26. View-only call (capped at `VIEW_GAS_CAP`); returns 0 or the callee's error code.
    fn cross_call_static(target: *const u8, entry: *const u8, entry_len: usize, input: *const u8, input_len: usize, gas_limit: u64) -> u32;
    /// id 27. Run `target`'s code in this contract's storage context; returns 0 or an error code.
    fn delegate_call(target: *const u8, entry: *const u8, entry_len: usize, input: *const u8, input_len: usize, gas_limit: u64) -> u32;
    /// id 28. Write the current wave's 32-byte randomness beacon to `out`.
    fn beacon_get(out: *mut u8);
    /// id 29. Charge `amount` gas explicitly. Traps `OutOfGas`.
    fn consume_gas(amount: u64);
    /// id 30. The gas remaining after this function's own cost.
    fn gas_left() -> u64;
    /// id 31. Write the value attached to the current call (16-byte LE u128) to `out`.
    fn call_value(out: *mut u8);
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::IMPORTS;
    use std::string::String;
    use std::vec::Vec;

    /// `(name, params, results)` of every row of the ABI table, parsed from its source text
    /// (this crate stays dependency-free, so it reads the table instead of linking it).
    fn table_rows() -> Vec<(String, Vec<String>, Vec<String>)> {
        let src = include_str!("../../src/hostfns.rs");
        let start = src.find("host_fns! {").expect("table invocation");
        let mut rows = Vec::new();
        for line in src[start..].lines() {
            // e.g. `    InputLen = 0, "input_len", [] -> [I32], gas(2, 0, "-"), Any,`
            let line = line.trim();
            let Some((_, rest)) = line.split_once(", \"") else {
                continue;
            };
            let Some((name, rest)) = rest.split_once("\", [") else {
                continue;
            };
            let Some((params, rest)) = rest.split_once("] -> [") else {
                continue;
            };
            let Some((results, _)) = rest.split_once(']') else {
                continue;
            };
            let list = |s: &str| -> Vec<String> {
                s.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_lowercase).collect()
            };
            rows.push((String::from(name), list(params), list(results)));
        }
        rows
    }

    #[test]
    fn imports_match_the_abi_table_in_order_and_signature() {
        let rows = table_rows();
        assert_eq!(rows.len(), IMPORTS.len(), "table has {} rows, sys declares {}", rows.len(), IMPORTS.len());
        for ((name, params, results), sig) in rows.iter().zip(IMPORTS) {
            assert_eq!(name, sig.name);
            assert_eq!(params, sig.params, "params of {name}");
            assert_eq!(results, sig.results, "results of {name}");
        }
    }

    #[test]
    #[should_panic(expected = "only available on wasm32")]
    fn host_stubs_panic_off_wasm32() {
        unsafe { super::input_len() };
    }
}
