;; Crypto probe: the hash and signature host functions on the call's input, the result as
;; return data. Not hostile by itself; the tests feed it hostile lengths. Memory: input at 0
;; (up to 64 KiB), output at 65536. `sealer.wat` is its parachain counterpart.
(module
  (import "vmhost" "input_len" (func $ilen (result i32)))
  (import "vmhost" "input_read" (func $iread (param i32 i32 i32)))
  (import "vmhost" "set_return" (func $ret (param i32 i32)))
  (import "vmhost" "delegate_call" (func $dcall (param i32 i32 i32 i32 i32 i64) (result i32)))
  (import "vmhost" "hash_keccak256" (func $keccak (param i32 i32 i32)))
  (import "vmhost" "hash_blake3" (func $blake3 (param i32 i32 i32)))
  (import "vmhost" "hash_poseidon2" (func $poseidon2 (param i32 i32 i32)))
  (import "vmhost" "falcon_verify" (func $falcon (param i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (global $out i32 (i32.const 65536))

  ;; Copies the input to 0 and returns its length.
  (func $load (result i32) (local $n i32)
    (local.set $n (call $ilen))
    (call $iread (i32.const 0) (i32.const 0) (local.get $n))
    (local.get $n))

  (func (export "keccak")
    (call $keccak (i32.const 0) (call $load) (global.get $out))
    (call $ret (global.get $out) (i32.const 32)))
  (func (export "blake3")
    (call $blake3 (i32.const 0) (call $load) (global.get $out))
    (call $ret (global.get $out) (i32.const 32)))
  (func (export "poseidon2")
    (call $poseidon2 (i32.const 0) (call $load) (global.get $out))
    (call $ret (global.get $out) (i32.const 32)))
  ;; Input: pk_len, msg_len, sig_len (u32 LE each), then pk ‖ msg ‖ sig. The lengths are used
  ;; as given, so a test can make them lie. Returns the result as an i32 LE.
  (func (export "falcon") (local $pk i32) (local $msg i32) (local $sig i32)
    (drop (call $load))
    (local.set $pk (i32.load (i32.const 0)))
    (local.set $msg (i32.load (i32.const 4)))
    (local.set $sig (i32.load (i32.const 8)))
    (i32.store (global.get $out)
      (call $falcon
        (i32.const 12) (local.get $pk)
        (i32.add (i32.const 12) (local.get $pk)) (local.get $msg)
        (i32.add (i32.add (i32.const 12) (local.get $pk)) (local.get $msg)) (local.get $sig)))
    (call $ret (global.get $out) (i32.const 4)))
  ;; Input: a 32-byte target, then an entry name: runs the target's code in this (plain)
  ;; contract's context and returns the call's code (i32 LE).
  (func (export "delegate") (local $n i32)
    (local.set $n (call $load))
    (i32.store (global.get $out)
      (call $dcall (i32.const 0) (i32.const 32) (i32.sub (local.get $n) (i32.const 32)) (i32.const 0) (i32.const 0)
        (i64.const 5000000)))
    (call $ret (global.get $out) (i32.const 4))))
