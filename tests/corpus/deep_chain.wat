;; deep_chain.wat — deep recursion at every level of a chain of cross calls to itself.
;;
;; Entry `chain`, input: r (u32 LE). The entry recurses `r` frames deep and, at the bottom of
;; that recursion (so all `r` frames stay alive underneath), cross-calls itself with the same
;; input and all its gas but a reserve of 1M (a trapped callee consumes all the gas it got, and
;; the caller needs some to fail the way this contract wants). It never stops on its own: the chain ends when a callee fails (the
;; host's stack budget runs out somewhere, or the call depth limit is reached). A caller whose
;; callee failed then recurses without end itself, so it fails with `StackOverflow` too, and so
;; on up to the top-level call. Whatever `r` is, the receipt is a trap at a host-defined limit,
;; and the node keeps running: this is the contract that aborted the node process when every
;; nested wasmtime store got a fresh 512 KiB stack budget.
;;
;; Entry `nested`, input: r (u32 LE) ‖ k (u32 LE): recurses `r` frames, then (k > 0) cross-calls
;; itself with (r, k - 1) and traps if that fails; at k = 0 it returns. One budget covers all
;; k + 1 levels: `nested` costs 7 units and `$rec2` 14 (4 + 2 params + 8: the cross_call's six
;; arguments, the gas left and the reserve being subtracted), so it succeeds exactly when
;; (k + 1) × (7 + 14 × (r + 1)) <= stack_limit.
(module
  (import "vmhost" "input_len" (func $input_len (result i32)))
  (import "vmhost" "input_read" (func $input_read (param i32 i32 i32)))
  (import "vmhost" "self_address" (func $self_address (param i32)))
  (import "vmhost" "gas_left" (func $gas_left (result i64)))
  (import "vmhost" "cross_call" (func $cross_call (param i32 i32 i32 i32 i32 i32 i64) (result i32)))
  ;; 0: own address (32) | 32: entry "chain" | 64: input (8) | 96: value (16 zero bytes)
  ;; 112: entry "nested"
  (memory (export "memory") 1)
  (data (i32.const 32) "chain")
  (data (i32.const 112) "nested")

  ;; Recurses `n` frames, then calls itself through the host.
  (func $rec (param $n i32)
    (if (local.get $n)
      (then (call $rec (i32.sub (local.get $n) (i32.const 1))) (return)))
    (call $self_address (i32.const 0))
    (if (call $cross_call (i32.const 0) (i32.const 32) (i32.const 5) (i32.const 64) (i32.const 4)
          (i32.const 96) (i64.sub (call $gas_left) (i64.const 1000000)))
      (then (call $forever))))

  ;; Recurses `n` frames, then calls itself with k - 1 (input at 64: r, k) unless k = 0.
  (func $rec2 (param $n i32) (param $k i32)
    (if (local.get $n)
      (then (call $rec2 (i32.sub (local.get $n) (i32.const 1)) (local.get $k)) (return)))
    (if (i32.eqz (local.get $k)) (then (return)))
    (i32.store (i32.const 68) (i32.sub (local.get $k) (i32.const 1)))
    (call $self_address (i32.const 0))
    (if (call $cross_call (i32.const 0) (i32.const 112) (i32.const 6) (i32.const 64) (i32.const 8)
          (i32.const 96) (i64.sub (call $gas_left) (i64.const 1000000)))
      (then unreachable)))

  (func (export "nested")
    (call $input_read (i32.const 64) (i32.const 0) (i32.const 8))
    (call $rec2 (i32.load (i32.const 64)) (i32.load (i32.const 68))))

  ;; Unbounded recursion: ends in StackOverflow (or OutOfGas).
  (func $forever (call $forever))

  (func (export "chain")
    (call $input_read (i32.const 64) (i32.const 0) (i32.const 4))
    (call $rec (i32.load (i32.const 64)))))
