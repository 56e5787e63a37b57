;; traps.wat — traps that Rust cannot produce without tricks, for the host's tests.
;;
;; Every entry ignores its input and never returns normally unless noted. MVP integer
;; instructions only (see float_traps.wat for the float-to-int conversions).
;;
;;   entry                   what it does                                  expected code
;;   int_overflow            i32.div_s  -2147483648 / -1                   302 IntegerOverflow
;;   int64_overflow          i64.div_s  i64::MIN / -1                      302 IntegerOverflow
;;   div_zero                i32.div_u  1 / 0                              303 IntegerDivisionByZero
;;   rem_zero                i64.rem_s  1 % 0                              303 IntegerDivisionByZero
;;   bad_indirect            call_indirect on table slot 1 (never set)     309 IndirectCallFault
;;   indirect_sig_mismatch   call_indirect (i32)->i32 on a ()->() function 309 IndirectCallFault
;;   indirect_out_of_range   call_indirect on slot 7 of a 2-slot table     309 IndirectCallFault
;;   oob                     i32.load at 65536 (first byte past 1 page)    301 MemoryOutOfBounds
;;   oob_straddle            i64.load at 65532 (half in, half out)         301 MemoryOutOfBounds
;;   unreachable             unreachable                                   305 Unreachable
;;   recurse                 a function calling itself forever             304 StackOverflow
;;   loop_forever            (loop (br 0))                                 300 OutOfGas (or 306 Timeout)
;;   grow_too_much           memory.grow by 65536 pages (past 4 GiB): returns, with no trap,
;;                           the grow's result as 4-byte LE: ff ff ff ff (-1); a host that
;;                           traps failed grows reports 307 MemoryLimit instead
(module
  (type $void (func))
  (type $i32_to_i32 (func (param i32) (result i32)))
  (import "vmhost" "set_return" (func $set_return (param i32 i32)))

  (memory (export "memory") 1)

  ;; An MVP table of two slots: 0 holds $nop, 1 stays null. Not exported.
  (table 2 funcref)
  (elem (i32.const 0) $nop)
  (func $nop (type $void))

  ;; Stores an i32 at 0 and returns it (so that no result is dead code).
  (func $return_i32 (param $v i32)
    (i32.store (i32.const 0) (local.get $v))
    (call $set_return (i32.const 0) (i32.const 4)))

  (func (export "int_overflow")
    (call $return_i32 (i32.div_s (i32.const -2147483648) (i32.const -1))))

  (func (export "int64_overflow")
    (call $return_i32 (i32.wrap_i64
      (i64.div_s (i64.const -9223372036854775808) (i64.const -1)))))

  (func (export "div_zero")
    (call $return_i32 (i32.div_u (i32.const 1) (i32.const 0))))

  (func (export "rem_zero")
    (call $return_i32 (i32.wrap_i64 (i64.rem_s (i64.const 1) (i64.const 0)))))

  (func (export "bad_indirect")
    (call_indirect (type $void) (i32.const 1)))

  (func (export "indirect_sig_mismatch")
    (call $return_i32 (call_indirect (type $i32_to_i32) (i32.const 5) (i32.const 0))))

  (func (export "indirect_out_of_range")
    (call_indirect (type $void) (i32.const 7)))

  (func (export "oob")
    (call $return_i32 (i32.load (i32.const 65536))))

  (func (export "oob_straddle")
    (call $return_i32 (i32.wrap_i64 (i64.load (i32.const 65532)))))

  (func (export "unreachable")
    (unreachable))

  (func $recurse (export "recurse")
    (call $recurse))

  (func (export "loop_forever")
    (loop $forever (br $forever)))

  (func (export "grow_too_much")
    (call $return_i32 (memory.grow (i32.const 65536)))))
