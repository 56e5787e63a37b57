;; counter.wat — the vmhost counter contract written by hand in WebAssembly text.
;;
;; Behaves byte for byte like the Rust counter (examples/contracts/counter) and the C counter
;; (examples/c-counter):
;;   increment: value = value + 1 (wrapping u64); store it; emit an event with topic
;;              blake3("Incremented") and data = value (8 bytes LE); return value (8 bytes LE).
;;   get:       return value (8 bytes LE; 0 before the first increment).
;; Storage: one slot, self_address[..16] ‖ blake3(0x00 ‖ "counter")[..16], holding the value
;; as 8 little-endian bytes; a slot of another length reverts with "slot is not a u64".
;;
;; The host functions and their exact signatures are those of abi/src/hostfns.rs.
;; Entry points are exported functions of type () -> (); the memory is exported as "memory".
(module
  (import "vmhost" "sload"        (func $sload        (param i32 i32 i32) (result i32)))
  (import "vmhost" "sstore"       (func $sstore       (param i32 i32 i32)))
  (import "vmhost" "emit_event"   (func $emit_event   (param i32 i32 i32)))
  (import "vmhost" "set_return"   (func $set_return   (param i32 i32)))
  (import "vmhost" "revert"       (func $revert       (param i32 i32)))
  (import "vmhost" "hash_blake3"  (func $hash_blake3  (param i32 i32 i32)))
  (import "vmhost" "self_address" (func $self_address (param i32)))

  ;; One page. Fixed addresses instead of a stack:
  ;;     0  "\00counter"           slot-hash preimage: disc 0 ‖ key "counter" (8 bytes)
  ;;    16  "Incremented"          event name (11 bytes)
  ;;    32  "slot is not a u64"    revert reason (17 bytes)
  ;;    64  self address (32)      96  blake3 output (32)
  ;;   128  the slot key (32)     160  the value, u64 LE (8)     192  event topic (32)
  (memory (export "memory") 1)
  (data (i32.const 0) "\00counter")
  (data (i32.const 16) "Incremented")
  (data (i32.const 32) "slot is not a u64")

  ;; Writes the counter's slot key to 128: self_address[..16] ‖ blake3(0x00 ‖ "counter")[..16].
  ;; (Same host-call order as the Rust SDK: hash first, then self_address.)
  (func $slot
    (call $hash_blake3 (i32.const 0) (i32.const 8) (i32.const 96))
    (call $self_address (i32.const 64))
    (i64.store (i32.const 128) (i64.load (i32.const 64)))
    (i64.store (i32.const 136) (i64.load (i32.const 72)))
    (i64.store (i32.const 144) (i64.load (i32.const 96)))
    (i64.store (i32.const 152) (i64.load (i32.const 104))))

  ;; The value stored under the slot at 128 (0 if the slot is empty).
  (func $load (result i64)
    (local $len i32)
    (i64.store (i32.const 160) (i64.const 0))
    (local.set $len (call $sload (i32.const 128) (i32.const 160) (i32.const 8)))
    (if (i32.lt_s (local.get $len) (i32.const 0))
      (then (return (i64.const 0))))
    (if (i32.ne (local.get $len) (i32.const 8))
      (then
        (call $revert (i32.const 32) (i32.const 17))
        (unreachable)))
    (i64.load (i32.const 160)))

  (func (export "increment")
    (call $slot)
    (i64.store (i32.const 160) (i64.add (call $load) (i64.const 1)))
    (call $sstore (i32.const 128) (i32.const 160) (i32.const 8))
    (call $hash_blake3 (i32.const 16) (i32.const 11) (i32.const 192))
    (call $emit_event (i32.const 192) (i32.const 160) (i32.const 8))
    (call $set_return (i32.const 160) (i32.const 8)))

  (func (export "get")
    (call $slot)
    (i64.store (i32.const 160) (call $load))
    (call $set_return (i32.const 160) (i32.const 8))))
