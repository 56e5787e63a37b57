;; memhog.wat — memory at every level of a chain of cross calls to itself.
;;
;; Entry `hog`, input: pages (u32 LE). Grows its memory by `pages` in steps of 16, touches one
;; byte in every page it got, then cross-calls itself with the same input and all its gas but a
;; 1M reserve (a trapped callee consumes all it got; the caller needs some to return), and
;; returns the callee's result code (4 bytes LE) as its return data. With memory almost free
;; this bought 4.2 GB resident for 12.6M gas; now every page is paid for, and all frames of a
;; transaction share one memory cap: the chain stops with `MemoryLimit` or `OutOfGas`.
;; Entry `grow`, input: pages (u32 LE): grows by `pages` in one `memory.grow`, nothing else.
(module
  (import "vmhost" "input_read" (func $input_read (param i32 i32 i32)))
  (import "vmhost" "self_address" (func $self_address (param i32)))
  (import "vmhost" "gas_left" (func $gas_left (result i64)))
  (import "vmhost" "set_return" (func $set_return (param i32 i32)))
  (import "vmhost" "cross_call" (func $cross_call (param i32 i32 i32 i32 i32 i32 i64) (result i32)))
  ;; 0: own address | 32: entry "hog" | 64: input (4) | 96: value (16) | 128: result (4)
  (memory (export "memory") 1)
  (data (i32.const 32) "hog")
  (func (export "hog") (local $left i32) (local $page i32) (local $first i32)
    (call $input_read (i32.const 64) (i32.const 0) (i32.const 4))
    (local.set $left (i32.load (i32.const 64)))
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $left)))
        (local.set $first (memory.grow (i32.const 16)))
        (br_if $done (i32.eq (local.get $first) (i32.const -1)))
        ;; touch one byte in each of the 16 new pages
        (local.set $page (i32.const 0))
        (loop $touch
          (i32.store8 (i32.mul (i32.add (local.get $first) (local.get $page)) (i32.const 65536)) (i32.const 1))
          (local.set $page (i32.add (local.get $page) (i32.const 1)))
          (br_if $touch (i32.lt_u (local.get $page) (i32.const 16))))
        (local.set $left (select (i32.const 0) (i32.sub (local.get $left) (i32.const 16))
          (i32.lt_u (local.get $left) (i32.const 16))))
        (br $more)))
    (call $self_address (i32.const 0))
    (i32.store (i32.const 128)
      (call $cross_call (i32.const 0) (i32.const 32) (i32.const 3) (i32.const 64) (i32.const 4)
        (i32.const 96) (i64.sub (call $gas_left) (i64.const 1000000))))
    (call $set_return (i32.const 128) (i32.const 4)))
  (func (export "grow")
    (call $input_read (i32.const 64) (i32.const 0) (i32.const 4))
    (drop (memory.grow (i32.load (i32.const 64))))))
