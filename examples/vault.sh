#!/usr/bin/env bash
# The vault scenario, from the command line only: deploy the AssemblyScript vault, deposit with a
# value, read the balance with a free query, withdraw too much (the revert reason prints as
# text), withdraw less, and check every balance. Run by CI (host/cli/tests/cli.rs).
#
# Usage: examples/vault.sh [VMHOST]   (default: target/debug/vmhost)
set -euo pipefail
cd "$(dirname "$0")/.."
VMHOST=${1:-target/debug/vmhost}
STORE=$(mktemp -d)
trap 'rm -rf "$STORE"' EXIT
vm() { "$VMHOST" --store "$STORE" --exit-code "$@"; }
fail() { echo "vault.sh: $*" >&2; exit 1; }
u128() { python3 -c "import sys; print(int(sys.argv[1]).to_bytes(16, 'little').hex())" "$1"; }

# Deploy.
out=$(vm deploy examples/wasm/vault_as.wasm)
echo "$out"
VAULT=$(grep -o 'address 0x[0-9a-f]*' <<<"$out" | cut -d' ' -f2)
[ -n "$VAULT" ] || fail "no address in the deploy output"

# Account 2 deposits 1000 (the value moves to the vault before its code runs: call_value).
ME=$(vm inspect account 2)
ME=${ME%%$'\n'*}
vm call "$VAULT" deposit --sender 2 --value 1000

# The balance, read with a query: no nonce, no fee.
nonce_before=$(vm inspect account 2)
out=$(vm query "$VAULT" balance_of --input "$ME")
echo "$out"
grep -q "return $(u128 1000)" <<<"$out" || fail "balance_of is not 1000"
[ "$(vm inspect account 2)" = "$nonce_before" ] || fail "the query used a nonce or a fee"

# Withdrawing more than the balance reverts; the reason prints as text; --exit-code says 3.
set +e
out=$(vm call "$VAULT" withdraw --sender 2 --input "0x$(u128 1001)")
status=$?
set -e
echo "$out"
[ "$status" = 3 ] || fail "a reverted withdraw exited $status, not 3"
grep -q 'return "insufficient balance"' <<<"$out" || fail "the revert reason is not printed as text"
grep -q 'reason: reverted: insufficient balance' <<<"$out" || fail "no reason line"

# Withdrawing 400 succeeds and leaves 600, in the vault's storage and its account.
vm call "$VAULT" withdraw --sender 2 --input "0x$(u128 400)"
# (Outputs are captured before grep: `grep -q` closes the pipe early, and under pipefail the
# writer's SIGPIPE would count as a failure.)
out=$(vm query "$VAULT" balance_of --input "$ME")
grep -q "return $(u128 600)" <<<"$out" || fail "balance_of is not 600: $out"
out=$(vm inspect storage "$VAULT" --key-hex "$ME")
grep -q "(u128 LE 600)" <<<"$out" || fail "the slot does not hold 600: $out"
out=$(vm inspect account "$VAULT")
grep -q "balance 600$" <<<"$out" || fail "the vault's account does not hold 600: $out"
out=$(vm inspect storage "$VAULT" --all)
grep -q "^1 slots of" <<<"$out" || fail "the vault should have one slot: $out"
echo "vault scenario: ok"
