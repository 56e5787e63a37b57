#!/bin/sh
# Builds the AssemblyScript vault into a vmhost contract:
#   ./build.sh [OUT.wasm]     (default: ../wasm/vault_as.wasm)
#   ./build.sh --toolchain    print the compiler versions installed in node_modules (TOOLCHAIN line)
#
# The compiler is the npm package assemblyscript, pinned exactly in package.json and, with its
# dependencies (binaryen, long), in package-lock.json. `npm ci` installs exactly the locked
# versions into ./node_modules (git-ignored); AS_NO_NPM_CI=1 skips it and uses node_modules as
# it is (e.g. offline). NODE and NPM override the node / npm binaries.
#
# asc options (no asconfig.json: everything is on the command line below):
#   --runtime stub          no GC, no allocator in use: the vault allocates nothing, so no
#                           runtime code or __new/__collect/... export ends up in the module
#   -Oz                     optimise for size: asc's shorthand for --optimizeLevel 0
#                           --shrinkLevel 2 (Binaryen still runs its whole size pipeline;
#                           -O3z gives 3 bytes more here)
#   --use abort=vault/host/vaultAbort
#                           the standard library's abort (assertions, bounds checks) reverts
#                           with "abort" instead of importing env.abort
#   --disable sign-extension,mutable-globals,nontrapping-f2i,bulk-memory
#                           WebAssembly MVP only, like the Rust and C modules (these four are
#                           asc's default-on post-MVP features; the others are off by default)
#   --noColors              plain diagnostics
# The memory is exported as "memory" (asc's default; --noExportMemory is not given). No
# --debug, no --sourceMap, no --exportStart, no --exportRuntime, no --bindings: the output has
# no custom sections, no start function and exports only the entry points and the memory.
# The bytes depend only on the locked compiler versions, not on paths or the node version.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd -P)
NODE=${NODE:-node}
NPM=${NPM:-npm}
ASC="$HERE/node_modules/assemblyscript/bin/asc.js"

if [ "${1:-}" = "--toolchain" ]; then
    cd "$HERE"
    asc=$("$NODE" "$ASC" --version | sed 's/^Version //')
    binaryen=$("$NODE" -p 'require("./node_modules/binaryen/package.json").version')
    echo "assemblyscript $asc (binaryen $binaryen), node $("$NODE" --version)"
    exit 0
fi

OUT=${1:-"$HERE/../wasm/vault_as.wasm"}
case "$OUT" in
    /*) ;;
    *) OUT="$PWD/$OUT" ;;
esac

cd "$HERE"
if [ "${AS_NO_NPM_CI:-0}" != 1 ]; then
    # --ignore-scripts: none of the three packages needs an install script.
    "$NPM" ci --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error
fi
"$NODE" "$ASC" vault/index.ts \
    --runtime stub -Oz \
    --use abort=vault/host/vaultAbort \
    --disable sign-extension,mutable-globals,nontrapping-f2i,bulk-memory \
    --noColors \
    -o "$OUT"
