#!/usr/bin/env bash
# vmhost developer entry point.
#   ./dev.sh demo [args]   run the demo chain (README's main job)
#   ./dev.sh test          run the whole test suite (README's test command)
#   ./dev.sh setup         only install prerequisites
# Prerequisites are installed when missing: libclang (RocksDB's bindgen), clang + lld (the C
# example contract), the wasm32v1-none Rust target (the Rust example contracts).
set -euo pipefail
cd "$(dirname "$0")"

setup() {
  local missing=()
  dpkg -s libclang-dev >/dev/null 2>&1 || missing+=(libclang-dev)
  command -v clang >/dev/null 2>&1 || missing+=(clang)
  command -v wasm-ld >/dev/null 2>&1 || dpkg -s lld >/dev/null 2>&1 || missing+=(lld)
  # node + npm: the AssemblyScript example (examples/assemblyscript/build.sh runs `npm ci`
  # itself). Debian 12's nodejs 18 works, though asc 0.28 declares node >= 20.
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ ${#missing[@]} -gt 0 ]; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing: ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  rustup target list --installed 2>/dev/null | grep -qx wasm32v1-none || rustup target add wasm32v1-none
  # The example contracts are built with a pinned toolchain (reproducible bytes).
  local pinned
  pinned=$(sed -n 's/^channel = "\(.*\)"/\1/p' examples/contracts/rust-toolchain.toml)
  if ! rustup run "$pinned" rustc --print target-list >/dev/null 2>&1; then
    rustup toolchain install "$pinned" --profile minimal --target wasm32v1-none
  fi
  rustup target list --toolchain "$pinned" --installed | grep -qx wasm32v1-none ||
    rustup target add --toolchain "$pinned" wasm32v1-none
}

cmd="${1:-test}"
shift || true
case "$cmd" in
  setup) setup ;;
  demo) setup; exec cargo run -p vmhost-cli --bin vmhost -- demo "$@" ;;
  test) setup; exec cargo test --workspace "$@" ;;
  *) echo "usage: ./dev.sh demo|test|setup" >&2; exit 2 ;;
esac
