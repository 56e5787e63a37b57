;; Parachain probe: threshold encryption of the call's input (see `crypto.wat`). Memory: input
;; at 0 (up to 64 KiB), output at 65536.
(module
  (import "vmhost" "input_len" (func $ilen (result i32)))
  (import "vmhost" "input_read" (func $iread (param i32 i32 i32)))
  (import "vmhost" "set_return" (func $ret (param i32 i32)))
  (import "vmhost" "self_address" (func $self (param i32)))
  (import "vmhost" "cross_call_static" (func $ccs (param i32 i32 i32 i32 i32 i64) (result i32)))
  (import "vmhost" "threshold_encrypt" (func $enc (param i32 i32 i32 i32) (result i32)))
  (import "vmhost" "threshold_decrypt" (func $dec (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (global $out i32 (i32.const 65536))
  (data (i32.const 131000) "seal")

  ;; Copies the input to 0 and returns its length.
  (func $load (result i32) (local $n i32)
    (local.set $n (call $ilen))
    (call $iread (i32.const 0) (i32.const 0) (local.get $n))
    (local.get $n))

  ;; The ciphertext of the input.
  (func (export "seal") (local $n i32)
    (local.set $n (call $enc (i32.const 0) (call $load) (global.get $out) (i32.const 65536)))
    (call $ret (global.get $out) (local.get $n)))
  ;; Two ciphertexts of the input, one after the other (inputs up to 16 KiB).
  (func (export "seal2") (local $len i32) (local $n i32)
    (local.set $len (call $load))
    (local.set $n (call $enc (i32.const 0) (local.get $len) (global.get $out) (i32.const 32768)))
    (drop (call $enc (i32.const 0) (local.get $len) (i32.add (global.get $out) (local.get $n)) (i32.const 32768)))
    (call $ret (global.get $out) (i32.shl (local.get $n) (i32.const 1))))
  ;; The decryption result (i32 LE: length or -1), then the plaintext.
  (func (export "open") (local $n i32)
    (local.set $n (call $dec (i32.const 0) (call $load) (i32.add (global.get $out) (i32.const 4)) (i32.const 65532)))
    (i32.store (global.get $out) (local.get $n))
    (call $ret (global.get $out)
      (i32.add (i32.const 4) (select (local.get $n) (i32.const 0) (i32.ge_s (local.get $n) (i32.const 0))))))
  ;; `seal` of this contract through cross_call_static: the code the static call returned.
  (func (export "static_seal")
    (call $self (i32.const 130900))
    (i32.store (global.get $out)
      (call $ccs (i32.const 130900) (i32.const 131000) (i32.const 4) (i32.const 0) (i32.const 0) (i64.const 5000000)))
    (call $ret (global.get $out) (i32.const 4))))
