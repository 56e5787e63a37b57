;; float_traps.wat — trapping float-to-int conversions (kept apart from traps.wat so that a
;; host whose deterministic profile rejects float instructions can still deploy traps.wat).
;;
;;   entry            what it does                          expected code
;;   trunc_overflow   i32.trunc_f64_s 1e10 (too large)       302 IntegerOverflow
;;   trunc_nan        i32.trunc_f32_s NaN                    302 IntegerOverflow (engines call
;;                                                           it "invalid conversion to integer";
;;                                                           a host may map it to 399 OtherTrap)
(module
  (import "vmhost" "set_return" (func $set_return (param i32 i32)))
  (memory (export "memory") 1)

  (func $return_i32 (param $v i32)
    (i32.store (i32.const 0) (local.get $v))
    (call $set_return (i32.const 0) (i32.const 4)))

  (func (export "trunc_overflow")
    (call $return_i32 (i32.trunc_f64_s (f64.const 1e10))))

  (func (export "trunc_nan")
    (call $return_i32 (i32.trunc_f32_s (f32.const nan)))))
