// vault — an AssemblyScript contract for vmhost that holds native value for its depositors.
//
// Entry points (exported `() -> ()` functions; see examples/README.md, section "vault"):
//   deposit     credits the value attached to the call (call_value) to the caller;
//               emits Deposit(caller ‖ amount); returns the caller's new balance.
//   balance_of  input: address (32 bytes); returns its balance (16 bytes LE, 0 if none).
//   withdraw    input: amount (16 bytes LE); reverts "insufficient balance" if the caller has
//               less; otherwise debits the caller, transfers the amount to the caller,
//               emits Withdrawal(caller ‖ amount) and returns the new balance.
// Inputs of another length revert with "bad input length" (deposit ignores its input).
//
// Storage: the balance of address `a` is a 16-byte LE u128 under the SDK's slot(0, a) =
// self_address[..16] ‖ blake3(0x00 ‖ a)[..16] (the layout of the token's balances). A slot
// holding anything but 16 bytes reverts with "slot is not a u128".
//
// No heap, no managed objects: every buffer is a fixed static area (memory.data), u128
// arithmetic is done on two u64 halves (wasm is little-endian, so the halves are the low and
// high 8 bytes of the 16-byte encoding).
import {
  input_len, input_read, set_return, sload, sstore, transfer, caller, self_address,
  emit_event, hash_blake3, call_value, fail, topic,
} from "./host";

// ---- static buffers ------------------------------------------------------------------------

/** Event data: the caller (32) ‖ the amount (16, LE); CALLER and AMOUNT point into it. */
const EVENT: usize = memory.data(48, 16);
const CALLER: usize = EVENT;
const AMOUNT: usize = EVENT + 32;
/** The address read from balance_of's input. */
const OWNER: usize = memory.data(32, 16);
/** slot preimage: disc (1) ‖ address (32). */
const PREIMAGE: usize = memory.data(33, 16);
const HASH: usize = memory.data(32, 16);
const SELF: usize = memory.data(32, 16);
/** The slot key being read or written. */
const KEY: usize = memory.data(32, 16);
/** A balance, 16 bytes LE. */
const BALANCE: usize = memory.data(16, 16);
const TOPIC: usize = memory.data(32, 16);

/** Mapping number (the `disc` byte) of balances, as in the token. */
const BALANCES: u8 = 0;

// ---- storage -------------------------------------------------------------------------------

/**
 * Writes slot(BALANCES, addr) to KEY: self_address[..16] ‖ blake3(0x00 ‖ addr)[..16]
 * (same host-call order as the Rust SDK's `slot`: hash first, then self_address).
 */
function balanceSlot(addr: usize): void {
  store<u8>(PREIMAGE, BALANCES);
  store<u64>(PREIMAGE, load<u64>(addr), 1);
  store<u64>(PREIMAGE, load<u64>(addr, 8), 9);
  store<u64>(PREIMAGE, load<u64>(addr, 16), 17);
  store<u64>(PREIMAGE, load<u64>(addr, 24), 25);
  hash_blake3(PREIMAGE, 33, HASH);
  self_address(SELF);
  store<u64>(KEY, load<u64>(SELF));
  store<u64>(KEY, load<u64>(SELF, 8), 8);
  store<u64>(KEY, load<u64>(HASH), 16);
  store<u64>(KEY, load<u64>(HASH, 8), 24);
}

/** Reads the u128 under KEY into BALANCE (0 if the slot is empty). */
function readBalance(): void {
  store<u64>(BALANCE, 0);
  store<u64>(BALANCE, 0, 8);
  const len = sload(KEY, BALANCE, 16);
  if (len >= 0 && len != 16) fail("slot is not a u128");
}

/** The whole input as exactly `len` bytes at `dst`, or revert. */
function inputExact(dst: usize, len: i32): void {
  if (input_len() != len) fail("bad input length");
  input_read(dst, 0, <usize>len);
}

/** Emits an event: topic blake3(name), data = caller (32) ‖ amount (16). */
function emitWithAmount(name: string): void {
  topic(name, TOPIC);
  emit_event(TOPIC, EVENT, 48);
}

// ---- entry points --------------------------------------------------------------------------

/** deposit(): balance[caller] += call_value; emits Deposit; returns the new balance. */
export function deposit(): void {
  caller(CALLER);
  call_value(AMOUNT);
  balanceSlot(CALLER);
  readBalance();
  const oldLo = load<u64>(BALANCE), oldHi = load<u64>(BALANCE, 8);
  const lo = oldLo + load<u64>(AMOUNT);
  const hi = oldHi + load<u64>(AMOUNT, 8) + (lo < oldLo ? 1 : 0);
  // The sum wrapped (mod 2^128) iff it is below the old balance. Cannot happen (all balances
  // sum to at most the chain's u128 supply), but say so if it ever did.
  if (hi < oldHi || (hi == oldHi && lo < oldLo)) fail("balance overflow");
  store<u64>(BALANCE, lo);
  store<u64>(BALANCE, hi, 8);
  sstore(KEY, BALANCE, 16);
  emitWithAmount("Deposit");
  set_return(BALANCE, 16);
}

/** balance_of(owner: 32 bytes) -> balance (16 bytes LE). */
export function balance_of(): void {
  inputExact(OWNER, 32);
  balanceSlot(OWNER);
  readBalance();
  set_return(BALANCE, 16);
}

/** withdraw(amount: 16 bytes LE): pays `amount` of the caller's balance back to the caller. */
export function withdraw(): void {
  inputExact(AMOUNT, 16);
  caller(CALLER);
  balanceSlot(CALLER);
  readBalance();
  const bLo = load<u64>(BALANCE), bHi = load<u64>(BALANCE, 8);
  const aLo = load<u64>(AMOUNT), aHi = load<u64>(AMOUNT, 8);
  if (bHi < aHi || (bHi == aHi && bLo < aLo)) fail("insufficient balance");
  const borrow: u64 = bLo < aLo ? 1 : 0;
  store<u64>(BALANCE, bLo - aLo);
  store<u64>(BALANCE, bHi - aHi - borrow, 8);
  // Effects before the interaction: the balance is written before the value leaves.
  sstore(KEY, BALANCE, 16);
  transfer(CALLER, AMOUNT);
  emitWithAmount("Withdrawal");
  set_return(BALANCE, 16);
}
