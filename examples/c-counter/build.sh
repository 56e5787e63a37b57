#!/bin/sh
# Builds counter.c into a vmhost contract: ./build.sh [OUT.wasm]   (default: ../wasm/c_counter.wasm)
#
#   --target=wasm32 -mcpu=mvp     WebAssembly MVP only (no sign-ext, bulk memory, ...)
#   -nostdlib -ffreestanding      no libc, no crt: the module imports only vmhost functions
#   -g0, -ffile-prefix-map        no debug info, no absolute paths: reproducible bytes
#   --no-entry                    a library of entry points, no _start / start section
#   --strip-all                   no name or producers section
#   --stack-first, stack-size     64 KiB stack below the data: an overflow traps instead of
#                                 corrupting data
# wasm-ld exports the memory as "memory" by default. No --allow-undefined: an accidental
# libc call (e.g. memcpy) fails the link instead of becoming an "env" import.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-"$HERE/../wasm/c_counter.wasm"}
CLANG=${CLANG:-clang}
cd "$HERE"
"$CLANG" --target=wasm32 -mcpu=mvp -O2 -nostdlib -ffreestanding -g0 \
    -ffile-prefix-map="$HERE"=/vmhost/examples/c-counter \
    -Wall -Wextra -Werror \
    -Wl,--no-entry -Wl,--strip-all -Wl,--stack-first -Wl,-z,stack-size=65536 \
    -o "$OUT" counter.c
