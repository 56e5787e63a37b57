;; proxy.wat — forwards a call to another contract with each call flavour of ABI v1.
;;
;; Input: target address (32 bytes) ‖ entry-point name (the rest, UTF-8).
;; Return: the callee's result code (4-byte LE u32: 0 = success, else an ABI error code such as
;;         500 Reverted or 407 StaticCallViolation) ‖ the callee's return (or revert) data.
;; The proxy itself always succeeds: a failing callee only loses its own state and events.
;;
;;   call      cross_call(target, entry, input = empty, value 0, gas 1,000,000)
;;   static    cross_call_static(target, entry, input = empty, gas 1,000,000)
;;   delegate  delegate_call(target, entry, input = empty, gas 1,000,000): the target's code runs
;;             in the proxy's storage context (self_address() = the proxy)
(module
  (import "vmhost" "input_len" (func $input_len (result i32)))
  (import "vmhost" "input_read" (func $input_read (param i32 i32 i32)))
  (import "vmhost" "cross_call" (func $cross_call (param i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (import "vmhost" "cross_call_static" (func $cross_call_static (param i32 i32 i32 i32 i32 i64) (result i32)))
  (import "vmhost" "delegate_call" (func $delegate_call (param i32 i32 i32 i32 i32 i64) (result i32)))
  (import "vmhost" "return_data_len" (func $return_data_len (result i32)))
  (import "vmhost" "return_data_read" (func $return_data_read (param i32 i32 i32)))
  (import "vmhost" "set_return" (func $set_return (param i32 i32)))

  ;; Layout: 0 target (32) | 32 entry name (≤ 64) | 512 value, 16 zero bytes | 1024 result code
  ;; (4) followed by the callee's return data.
  (memory (export "memory") 1)

  ;; Reads the input; returns the entry name's length.
  (func $args (result i32)
    (call $input_read (i32.const 0) (i32.const 0) (call $input_len))
    (i32.sub (call $input_len) (i32.const 32)))

  ;; Returns code ‖ return data of the last call.
  (func $finish (param $code i32)
    (i32.store (i32.const 1024) (local.get $code))
    (call $return_data_read (i32.const 1028) (i32.const 0) (call $return_data_len))
    (call $set_return (i32.const 1024) (i32.add (i32.const 4) (call $return_data_len))))

  (func (export "call")
    (call $finish
      (call $cross_call (i32.const 0) (i32.const 32) (call $args) (i32.const 0) (i32.const 0)
        (i32.const 512) (i64.const 1000000))))

  (func (export "static")
    (call $finish
      (call $cross_call_static (i32.const 0) (i32.const 32) (call $args) (i32.const 0) (i32.const 0)
        (i64.const 1000000))))

  (func (export "delegate")
    (call $finish
      (call $delegate_call (i32.const 0) (i32.const 32) (call $args) (i32.const 0) (i32.const 0)
        (i64.const 1000000)))))
