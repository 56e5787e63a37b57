// host.ts — the vmhost ABI v1 host functions the vault uses (import module "vmhost").
//
// Signatures are exactly those of abi/src/hostfns.rs (docs/abi-v1.md): every pointer, length
// and count is a wasm i32 (`usize` / `i32` here), results are i32. A declaration that is never
// called is not imported, so declaring more functions here costs nothing.
//
// This file is not the entry file: its `export`s are visible to index.ts only, never exported
// from the wasm module.

// @ts-ignore: decorator
@external("vmhost", "input_len")
export declare function input_len(): i32;

// @ts-ignore: decorator
@external("vmhost", "input_read")
export declare function input_read(dst: usize, offset: usize, len: usize): void;

// @ts-ignore: decorator
@external("vmhost", "set_return")
export declare function set_return(ptr: usize, len: usize): void;

/** Never returns: the host stops the call with code 500 and the bytes as the reason. */
// @ts-ignore: decorator
@external("vmhost", "revert")
export declare function revert(ptr: usize, len: usize): void;

/** Returns the value's full length, or -1 if the slot is empty. */
// @ts-ignore: decorator
@external("vmhost", "sload")
export declare function sload(key: usize, out: usize, cap: usize): i32;

// @ts-ignore: decorator
@external("vmhost", "sstore")
export declare function sstore(key: usize, val: usize, len: usize): void;

/** Moves a 16-byte LE amount from this contract's balance to the 32-byte address `to`. */
// @ts-ignore: decorator
@external("vmhost", "transfer")
export declare function transfer(to: usize, amount: usize): void;

// @ts-ignore: decorator
@external("vmhost", "caller")
export declare function caller(out: usize): void;

// @ts-ignore: decorator
@external("vmhost", "self_address")
export declare function self_address(out: usize): void;

// @ts-ignore: decorator
@external("vmhost", "emit_event")
export declare function emit_event(topic: usize, data: usize, len: usize): void;

// @ts-ignore: decorator
@external("vmhost", "hash_blake3")
export declare function hash_blake3(input: usize, len: usize, out: usize): void;

/** The value attached to the call: a 16-byte LE u128, already credited to this contract. */
// @ts-ignore: decorator
@external("vmhost", "call_value")
export declare function call_value(out: usize): void;

// ---- helpers shared with index.ts --------------------------------------------------------

/** Scratch buffer for ASCII texts (revert reasons, event names). */
const TEXT: usize = memory.data(64, 16);

/**
 * Copies the ASCII string `s` into TEXT as one byte per character and returns its length.
 * AssemblyScript strings are UTF-16; the texts here are ASCII, so the low byte is the char.
 * Uses no allocation (string literals live in static data).
 */
export function ascii(s: string): usize {
  const n = <usize>s.length;
  const src = changetype<usize>(s);
  for (let i: usize = 0; i < n; i++) store<u8>(TEXT + i, load<u16>(src + (i << 1)));
  return n;
}

/** Reverts with the ASCII text `reason` (no terminator). */
export function fail(reason: string): void {
  revert(TEXT, ascii(reason));
  unreachable(); // revert never returns
}

/** Hashes the ASCII text `name` into `out` (32 bytes): an event topic, blake3(name). */
export function topic(name: string, out: usize): void {
  hash_blake3(TEXT, ascii(name), out);
}

/**
 * The `abort` of the AssemblyScript standard library (failed assertions, bounds checks,
 * `throw`), installed with `--use abort=vault/host/vaultAbort` instead of the default
 * `env.abort` import. The vault's own code never reaches it; if it did, the call reverts
 * with "abort" (the message is not formatted, like the Rust SDK's "panic").
 */
export function vaultAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  fail("abort");
}
