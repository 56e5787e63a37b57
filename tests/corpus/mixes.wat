;; mixes.wat — one operator or host-function mix per entry, each looping until its gas runs out
;; (or a host limit stops it). The calibration (`vmhost bench --calibrate`, docs/benchmarks.md)
;; measures gas per second of each: the slowest mix bounds how much gas a transaction may carry
;; for the node's wall-clock safety net to stay far out of reach.
(module
  (import "vmhost" "block_height" (func $height (result i64)))
  (import "vmhost" "caller" (func $caller (param i32)))
  (import "vmhost" "hash_keccak256" (func $keccak (param i32 i32 i32)))
  (import "vmhost" "hash_blake3" (func $blake3 (param i32 i32 i32)))
  (import "vmhost" "hash_poseidon2" (func $poseidon2 (param i32 i32 i32)))
  (import "vmhost" "sload" (func $sload (param i32 i32 i32) (result i32)))
  (import "vmhost" "sstore" (func $sstore (param i32 i32 i32)))
  (import "vmhost" "balance" (func $balance (param i32 i32)))
  (import "vmhost" "self_address" (func $self (param i32)))
  (import "vmhost" "cross_call" (func $cross_call (param i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (import "vmhost" "cross_call_static" (func $static_call (param i32 i32 i32 i32 i32 i64) (result i32)))
  ;; 0: scratch key / address (32) | 32: output (64) | 96: "nop" | 128: value (16 zeros)
  ;; 1024..: hash input
  (memory (export "memory") 2)
  (data (i32.const 96) "nop")

  (func $nop)
  (func (export "nop"))

  ;; Plain integer arithmetic.
  (func (export "alu") (local $i i32)
    (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))

  ;; 64-bit division and remainder of large operands (the slowest integer operators).
  (func (export "div") (local $x i64)
    (local.set $x (i64.const -7))
    (loop $l
      (local.set $x (i64.xor (i64.div_u (local.get $x) (i64.const 3)) (i64.const -3074457345618258603)))
      (local.set $x (i64.xor (i64.rem_u (local.get $x) (i64.const 1000000007)) (local.get $x)))
      (br $l)))

  ;; Function calls (frame set-up, the stack-height pass's charge and give-back).
  (func (export "calls")
    (loop $l (call $nop) (call $nop) (call $nop) (call $nop) (br $l)))

  ;; Bulk memory.
  (func (export "fill")
    (loop $l (memory.fill (i32.const 0) (i32.const 1) (i32.const 65536)) (br $l)))

  ;; Grow one page at a time and touch it, until the memory cap stops it.
  (func (export "grow") (local $p i32)
    (loop $l
      (local.set $p (memory.grow (i32.const 1)))
      (i32.store8 (i32.mul (local.get $p) (i32.const 65536)) (i32.const 1))
      (br $l)))

  ;; The cheapest host functions.
  (func (export "host_cheap")
    (loop $l (drop (call $height)) (call $caller (i32.const 0)) (br $l)))

  ;; Hashes of empty input (base cost only) and of 1 KiB.
  (func (export "keccak_empty")
    (loop $l (call $keccak (i32.const 1024) (i32.const 0) (i32.const 32)) (br $l)))
  (func (export "keccak_1k")
    (loop $l (call $keccak (i32.const 1024) (i32.const 1024) (i32.const 32)) (br $l)))
  (func (export "poseidon2_1k")
    (loop $l (call $poseidon2 (i32.const 1024) (i32.const 1024) (i32.const 32)) (br $l)))
  (func (export "blake3_empty")
    (loop $l (call $blake3 (i32.const 1024) (i32.const 0) (i32.const 32)) (br $l)))

  ;; Reads of slots that do not exist: every one misses the wave cache and goes to the store.
  (func (export "sload_miss")
    (loop $l
      (i64.store (i32.const 0) (i64.add (i64.load (i32.const 0)) (i64.const 1)))
      (drop (call $sload (i32.const 0) (i32.const 32) (i32.const 32)))
      (br $l)))

  ;; Balances of accounts that do not exist (store reads of another kind of key).
  (func (export "balance_miss")
    (loop $l
      (i64.store (i32.const 0) (i64.add (i64.load (i32.const 0)) (i64.const 1)))
      (call $balance (i32.const 0) (i32.const 32))
      (br $l)))

  ;; Writes of new slots.
  (func (export "sstore_new")
    (loop $l
      (i64.store (i32.const 0) (i64.add (i64.load (i32.const 0)) (i64.const 1)))
      (call $sstore (i32.const 0) (i32.const 32) (i32.const 32))
      (br $l)))

  ;; Nested calls of an empty entry point of this contract (a fresh instance each time).
  (func (export "cross")
    (call $self (i32.const 0))
    (loop $l
      (drop (call $cross_call (i32.const 0) (i32.const 96) (i32.const 3) (i32.const 0) (i32.const 0)
        (i32.const 128) (i64.const 100000)))
      (br $l)))
  (func (export "static")
    (call $self (i32.const 0))
    (loop $l
      (drop (call $static_call (i32.const 0) (i32.const 96) (i32.const 3) (i32.const 0) (i32.const 0)
        (i64.const 100000)))
      (br $l))))
