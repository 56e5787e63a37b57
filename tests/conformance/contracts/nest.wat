;; nest.wat — a chain of cross calls to itself, writing and emitting at every depth, with a
;; revert or a trap at a chosen depth: what each frame leaves behind must be exactly the
;; frames that did not fail (seed §3.5b), on every backend.
;;
;; Entry `nest`, input: d (u8), revert_at (u8), trap_at (u8) (0xff: never). Writes slot
;; [d; 32] = d (u64), emits topic [d; 32] with data d, then with d > 0 cross-calls itself with
;; d - 1 (all its gas but 100 000), then reverts (returning the callee's code) if d = revert_at
;; or traps if d = trap_at; else returns the chain's code (u32 LE): the callee's code when it
;; failed, else what the callee returned (0 at the bottom), so the top frame returns the code of
;; the deepest failure that reached it.
;; Entry `nest_static` / `nest_delegate`: the same, but the call is a static / delegate call.
(module
  (import "vmhost" "input_read" (func $input_read (param i32 i32 i32)))
  (import "vmhost" "sstore" (func $sstore (param i32 i32 i32)))
  (import "vmhost" "emit_event" (func $emit_event (param i32 i32 i32)))
  (import "vmhost" "cross_call" (func $cross_call (param i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (import "vmhost" "cross_call_static" (func $cross_call_static (param i32 i32 i32 i32 i32 i64) (result i32)))
  (import "vmhost" "delegate_call" (func $delegate_call (param i32 i32 i32 i32 i32 i64) (result i32)))
  (import "vmhost" "self_address" (func $self_address (param i32)))
  (import "vmhost" "gas_left" (func $gas_left (result i64)))
  (import "vmhost" "revert" (func $revert (param i32 i32)))
  (import "vmhost" "set_return" (func $set_return (param i32 i32)))
  (import "vmhost" "return_data_read" (func $return_data_read (param i32 i32 i32)))
  ;; 0 input | 32 self | 64 slot key | 96 value | 128 topic | 200 entry names | 256 value (16
  ;; zero bytes) | 300 child input | 400 result
  (memory (export "memory") 1)
  (data (i32.const 200) "nest")

  (func $frame (param $how i32) (local $d i32) (local $code i32) (local $gas i64)
    (call $input_read (i32.const 0) (i32.const 0) (i32.const 3))
    (local.set $d (i32.load8_u (i32.const 0)))
    (memory.fill (i32.const 64) (local.get $d) (i32.const 32))
    (i64.store (i32.const 96) (i64.extend_i32_u (local.get $d)))
    (if (i32.ne (local.get $how) (i32.const 1))
      (then
        (call $sstore (i32.const 64) (i32.const 96) (i32.const 8))
        (memory.fill (i32.const 128) (local.get $d) (i32.const 32))
        (call $emit_event (i32.const 128) (i32.const 96) (i32.const 8))))
    (if (local.get $d)
      (then
        (call $self_address (i32.const 32))
        (i32.store8 (i32.const 300) (i32.sub (local.get $d) (i32.const 1)))
        (i32.store16 (i32.const 301) (i32.load16_u (i32.const 1)))
        (local.set $gas (i64.sub (call $gas_left) (i64.const 100000)))
        (local.set $code
          (if (result i32) (i32.eqz (local.get $how))
            (then (call $cross_call (i32.const 32) (i32.const 200) (i32.const 4) (i32.const 300) (i32.const 3)
                    (i32.const 256) (local.get $gas)))
            (else (if (result i32) (i32.eq (local.get $how) (i32.const 1))
              (then (call $cross_call_static (i32.const 32) (i32.const 200) (i32.const 4) (i32.const 300)
                      (i32.const 3) (local.get $gas)))
              (else (call $delegate_call (i32.const 32) (i32.const 200) (i32.const 4) (i32.const 300)
                      (i32.const 3) (local.get $gas)))))))))
    (i32.store (i32.const 400) (local.get $code))
    (if (i32.and (i32.ne (local.get $d) (i32.const 0)) (i32.eqz (local.get $code)))
      (then (call $return_data_read (i32.const 400) (i32.const 0) (i32.const 4))))
    (if (i32.eq (local.get $d) (i32.load8_u (i32.const 1)))
      (then (call $revert (i32.const 400) (i32.const 4))))
    (if (i32.eq (local.get $d) (i32.load8_u (i32.const 2)))
      (then unreachable))
    (call $set_return (i32.const 400) (i32.const 4)))

  (func (export "nest") (call $frame (i32.const 0)))
  (func (export "nest_static") (call $frame (i32.const 1)))
  (func (export "nest_delegate") (call $frame (i32.const 2))))
