#!/usr/bin/env bash
# Builds every example contract reproducibly and copies the modules into examples/wasm/:
#   counter.wasm token.wasm events.wasm traps.wasm   (Rust, examples/contracts, wasm32v1-none)
#   c_counter.wasm                                   (C, examples/c-counter, clang)
#   vault_as.wasm                                    (AssemblyScript, examples/assemblyscript, asc)
#
# Usage: examples/build-contracts.sh [--check]
#   --check   build into a temporary directory and compare byte for byte with the committed
#             files in examples/wasm/; exit 1 on any difference.
#
# Reproducibility: the Rust toolchain is pinned (examples/contracts/rust-toolchain.toml), the
# release profile strips debug info and symbols, and absolute paths are remapped
# (--remap-path-prefix for rustc, -ffile-prefix-map for clang), so the bytes do not depend on
# where the repository or the cargo home lives. The AssemblyScript compiler is pinned by
# examples/assemblyscript/package-lock.json (installed with `npm ci` into the git-ignored
# examples/assemblyscript/node_modules, also in --check mode) and embeds no path.
# examples/wasm/TOOLCHAIN records the compilers the committed modules were built with.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
EXAMPLES="$REPO_ROOT/examples"
CARGO_HOME_DIR="${CARGO_HOME:-$HOME/.cargo}"
RUST_CONTRACTS=(counter token events traps)
declare -A ENTRY_POINTS=(
    [counter]="increment,get"
    [token]="init,transfer,approve,transfer_from,balance_of,allowance,total_supply"
    [events]="emit,emit_then_revert"
    [traps]="loop_forever,oob,div_zero,overflow,recurse,unreachable,grow_memory,host_error,value_just_too_large,event_too_large,transfer_too_much,guest_oob,bad_input_range,consume_all_gas,panic"
    [c_counter]="increment,get"
    [vault_as]="deposit,balance_of,withdraw"
)
ALL_MODULES=("${RUST_CONTRACTS[@]}" c_counter vault_as)

CHECK=0
case "${1:-}" in
    "") ;;
    --check) CHECK=1 ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (usage: $0 [--check])" >&2; exit 2 ;;
esac

if [ "$CHECK" = 1 ]; then
    WORK=$(mktemp -d)
    trap 'rm -rf "$WORK"' EXIT
    OUT="$WORK/wasm"
    TARGET_DIR="$WORK/target"
else
    OUT="$EXAMPLES/wasm"
    TARGET_DIR="$EXAMPLES/contracts/target"
fi
mkdir -p "$OUT"

toolchain_info() {
    (cd "$EXAMPLES/contracts" && rustc --version)
    "${CLANG:-clang}" --version | head -n 1
    "$EXAMPLES/assemblyscript/build.sh" --toolchain
}

# ---- Rust contracts ----------------------------------------------------------------------
# RUSTFLAGS replaces any rustflags from cargo config; CARGO_ENCODED_RUSTFLAGS would override
# RUSTFLAGS, so it is cleared. cargo runs from examples/contracts so that rustup picks the
# pinned toolchain.
unset CARGO_ENCODED_RUSTFLAGS
# -zstack-size: a 64 KiB shadow stack instead of wasm-ld's 1 MiB default. Linear memory is
# reset after every call and the reset scans the whole resident window, so a 1 MiB stack made
# every call pay for 17 pages of memory the contracts never use (keep it in sync with
# examples/contracts/.cargo/config.toml).
export RUSTFLAGS="--remap-path-prefix=$REPO_ROOT=/vmhost --remap-path-prefix=$CARGO_HOME_DIR=/cargo -C link-arg=-zstack-size=65536"
echo "building Rust contracts (RUSTFLAGS=$RUSTFLAGS)"
(cd "$EXAMPLES/contracts" &&
    cargo build --release --locked --manifest-path "$EXAMPLES/contracts/Cargo.toml" \
        --target-dir "$TARGET_DIR")
for c in "${RUST_CONTRACTS[@]}"; do
    install -m 644 "$TARGET_DIR/wasm32v1-none/release/$c.wasm" "$OUT/$c.wasm"
done

# ---- C contract --------------------------------------------------------------------------
echo "building the C counter"
"$EXAMPLES/c-counter/build.sh" "$OUT/c_counter.wasm"
chmod 644 "$OUT/c_counter.wasm"

# ---- AssemblyScript contract -------------------------------------------------------------
echo "building the AssemblyScript vault"
"$EXAMPLES/assemblyscript/build.sh" "$OUT/vault_as.wasm"
chmod 644 "$OUT/vault_as.wasm"

# ---- structural checks (imports, exports, features) --------------------------------------
if command -v python3 > /dev/null; then
    for c in "${ALL_MODULES[@]}"; do
        python3 "$EXAMPLES/inspect_wasm.py" --check --mvp --quiet --exports "${ENTRY_POINTS[$c]}" \
            "$OUT/$c.wasm"
    done
    echo "inspect_wasm.py: all modules pass"
else
    echo "warning: python3 not found, skipping examples/inspect_wasm.py" >&2
fi

if [ "$CHECK" = 0 ]; then
    toolchain_info > "$OUT/TOOLCHAIN"
    for c in "${ALL_MODULES[@]}"; do
        printf '%-16s %6d bytes\n' "$c.wasm" "$(wc -c < "$OUT/$c.wasm")"
    done
    exit 0
fi

# ---- --check: compare with the committed modules -----------------------------------------
status=0
for c in "${ALL_MODULES[@]}"; do
    if ! cmp -s "$OUT/$c.wasm" "$EXAMPLES/wasm/$c.wasm"; then
        echo "MISMATCH: examples/wasm/$c.wasm differs from a fresh build" >&2
        status=1
    fi
done
if [ "$status" = 0 ]; then
    echo "OK: examples/wasm/*.wasm are byte-identical to a fresh build"
else
    echo "The committed modules were built with:" >&2
    sed 's/^/    /' "$EXAMPLES/wasm/TOOLCHAIN" >&2 || true
    echo "This machine has:" >&2
    toolchain_info | sed 's/^/    /' >&2
    echo "If the sources changed on purpose, run examples/build-contracts.sh and commit examples/wasm/." >&2
fi
exit "$status"
