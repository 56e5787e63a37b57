;; recursion.wat — recursion whose depth the host's stack budget decides, on every engine.
;;
;; Entry `run`, input: n (u32 LE): calls `$rec(n)`, which calls itself until n = 0, so n + 1
;; frames of `$rec` are alive at the deepest point. Entry `forever`: recurses without end.
;;
;; Frame costs (FRAME_COST + params + locals + max operand stack):
;;   run:  4 + 0 + 0 + 3 = 7   (input_read's three arguments)
;;   $rec: 4 + 1 + 0 + 2 = 7   (n, and n - 1 being computed: n and 1 on the stack)
;; so with a budget of L units, `run` succeeds exactly for n + 1 <= (L - 7) / 7.
(module
  (import "vmhost" "input_read" (func $input_read (param i32 i32 i32)))
  (memory (export "memory") 1)
  (func $rec (param $n i32)
    (if (local.get $n)
      (then (call $rec (i32.sub (local.get $n) (i32.const 1))))))
  (func $forever (call $forever))
  (func (export "run")
    (call $input_read (i32.const 0) (i32.const 0) (i32.const 4))
    (call $rec (i32.load (i32.const 0))))
  (func (export "forever") (call $forever)))
