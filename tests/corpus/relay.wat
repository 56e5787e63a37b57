;; relay.wat — a chain of calls that ends in a value transfer, for access-list tests.
;;
;; Entry `relay`, input: hops (u8) ‖ hops × 32-byte contract addresses ‖ 32-byte recipient.
;; With hops > 0 it cross-calls the first address's `relay` with the rest of the input (hops
;; decremented); with hops = 0 it transfers 1 unit of its own balance to the recipient. Any
;; failure below makes it trap (`unreachable`), so a failing chain fails the transaction.
;; Entries `read` / `write`: slot 0x01…01 as a u64 counter; `read` returns it (8 bytes, zero
;; while absent), `write` adds 1. (So two of them in either order give different receipts: the
;; parallel tests rely on it.)
(module
  (import "vmhost" "input_len" (func $input_len (result i32)))
  (import "vmhost" "input_read" (func $input_read (param i32 i32 i32)))
  (import "vmhost" "transfer" (func $transfer (param i32 i32)))
  (import "vmhost" "sload" (func $sload (param i32 i32 i32) (result i32)))
  (import "vmhost" "sstore" (func $sstore (param i32 i32 i32)))
  (import "vmhost" "set_return" (func $set_return (param i32 i32)))
  (import "vmhost" "gas_left" (func $gas_left (result i64)))
  (import "vmhost" "cross_call" (func $cross_call (param i32 i32 i32 i32 i32 i32 i64) (result i32)))
  ;; 0: "relay" | 16: amount (16 bytes: 1) | 48: value (16 zero bytes) | 64: slot key (32)
  ;; 96: slot value (8) | 128: call target (32) | 1024: input
  (memory (export "memory") 1)
  (data (i32.const 0) "relay")
  (data (i32.const 16) "\01")
  (data (i32.const 64) "\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01")
  (func (export "relay") (local $len i32) (local $hops i32)
    (local.set $len (call $input_len))
    (call $input_read (i32.const 1024) (i32.const 0) (local.get $len))
    (local.set $hops (i32.load8_u (i32.const 1024)))
    (if (i32.eqz (local.get $hops))
      (then
        ;; recipient right after the hop count
        (call $transfer (i32.const 1025) (i32.const 16))
        (return)))
    ;; the target, out of the way of the callee's input (hops - 1, then everything after the
    ;; first address), whose first byte overwrites the target's last
    (memory.copy (i32.const 128) (i32.const 1025) (i32.const 32))
    (i32.store8 (i32.const 1056) (i32.sub (local.get $hops) (i32.const 1)))
    (if (call $cross_call (i32.const 128) (i32.const 0) (i32.const 5) (i32.const 1056)
          (i32.sub (local.get $len) (i32.const 32)) (i32.const 48) (call $gas_left))
      (then unreachable)))
  (func (export "read")
    (drop (call $sload (i32.const 64) (i32.const 96) (i32.const 8)))
    (call $set_return (i32.const 96) (i32.const 8)))
  (func (export "write")
    (drop (call $sload (i32.const 64) (i32.const 96) (i32.const 8)))
    (i64.store (i32.const 96) (i64.add (i64.load (i32.const 96)) (i64.const 1)))
    (call $sstore (i32.const 64) (i32.const 96) (i32.const 8))))
