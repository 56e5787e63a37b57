;; Call forwarder: forwards a call with any input and reports what came back, so chains of
;; calls can loop back into a contract already on the stack (re-entrancy tests) and a contract
;; can reach the native system addresses (system-call tests).
;;
;; Input of `call` / `static` / `delegate`: target (32) ‖ entry length (1 byte) ‖ entry ‖ the
;; callee's input (the rest). Return: the call's code (u32 LE) ‖ the callee's return data.
;; `ping` returns "pong".
(module
  (import "vmhost" "input_len" (func $ilen (result i32)))
  (import "vmhost" "input_read" (func $iread (param i32 i32 i32)))
  (import "vmhost" "cross_call" (func $call (param i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (import "vmhost" "cross_call_static" (func $scall (param i32 i32 i32 i32 i32 i64) (result i32)))
  (import "vmhost" "delegate_call" (func $dcall (param i32 i32 i32 i32 i32 i64) (result i32)))
  (import "vmhost" "return_data_len" (func $rlen (result i32)))
  (import "vmhost" "return_data_read" (func $rread (param i32 i32 i32)))
  (import "vmhost" "set_return" (func $ret (param i32 i32)))
  ;; 0 input (up to 16 KiB) | 16384 value (16 zero bytes) | 20000 "pong" | 32768 result
  (memory (export "memory") 1)
  (data (i32.const 20000) "pong")

  (func $load (result i32) (local $n i32)
    (local.set $n (call $ilen))
    (call $iread (i32.const 0) (i32.const 0) (local.get $n))
    (local.get $n))

  (func $finish (param $code i32)
    (i32.store (i32.const 32768) (local.get $code))
    (call $rread (i32.const 32772) (i32.const 0) (call $rlen))
    (call $ret (i32.const 32768) (i32.add (i32.const 4) (call $rlen))))

  ;; The entry's length, and where the callee's input starts.
  (func $elen (result i32) (i32.load8_u (i32.const 32)))
  (func $rest (result i32) (i32.add (i32.const 33) (call $elen)))

  (func (export "call") (local $n i32)
    (local.set $n (call $load))
    (call $finish
      (call $call (i32.const 0) (i32.const 33) (call $elen) (call $rest) (i32.sub (local.get $n) (call $rest))
        (i32.const 16384) (i64.const 2000000))))

  (func (export "static") (local $n i32)
    (local.set $n (call $load))
    (call $finish
      (call $scall (i32.const 0) (i32.const 33) (call $elen) (call $rest) (i32.sub (local.get $n) (call $rest))
        (i64.const 2000000))))

  (func (export "delegate") (local $n i32)
    (local.set $n (call $load))
    (call $finish
      (call $dcall (i32.const 0) (i32.const 33) (call $elen) (call $rest) (i32.sub (local.get $n) (call $rest))
        (i64.const 2000000))))

  (func (export "ping") (call $ret (i32.const 20000) (i32.const 4))))
