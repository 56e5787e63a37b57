//! The generated ABI reference (`docs/abi-v1.md`): the ABI table's part
//! ([`vmhost_abi::docs::render_markdown`]) and the consensus parameters with their defaults,
//! generated from [`ConsensusParams::entries`] so the document cannot drift from the code.

use crate::params::ConsensusParams;

/// What a parameter (by its dotted name) is, in a few words.
fn describe(name: &str) -> &'static str {
    match name {
        "chain_id" => "the chain id transactions must carry",
        "max_tx_gas" => "largest gas limit a transaction may carry",
        "max_call_depth" => "deepest nesting of calls (the top-level call is depth 1)",
        "view_gas_cap" => "gas cap of a cross_call_static callee",
        "stack_limit" => "stack units per transaction, shared by nested calls",
        "memory.max_tx_pages" => "64 KiB pages of linear memory all live frames of a transaction may hold",
        n if n.starts_with("ops.") => "per-operator gas weight",
        n if n.starts_with("gas.") => "host-function gas (base + per byte)",
        n if n.starts_with("intrinsic.") => "intrinsic gas, charged before execution",
        n if n.starts_with("limits.") => "size limit, bytes or count",
        n if n.starts_with("wasm.") => "static deploy limit of the wasm gate",
        "native.query_gas" | "native.query_per_byte" => {
            "native query through a system address (base, per returned byte)"
        }
        n if n.starts_with("native.") => "native transaction handlers",
        "crypto.falcon_message_weight" => "falcon_verify units per message byte (key and signature bytes: 1)",
        "crypto.threshold_committee_key" => "committee key threshold_encrypt encrypts under (devnet committee)",
        "contracts.upgrade_grace_waves" => "waves between an upgrade and the wave its code takes effect",
        _ => "",
    }
}

/// The full markdown text of `docs/abi-v1.md`.
pub fn abi_reference() -> String {
    let mut s = vmhost_abi::docs::render_markdown();
    s.push_str("\n## Consensus parameters\n\n");
    s.push_str(
        "Every number that can change a receipt, gas or a root is one of these (`vmhost::ConsensusParams`). A chain \
sets them in the `[consensus]` section of its TOML file under these dotted names (`[consensus.gas.sstore] base = 6000`), \
commits their hash in the state at genesis and in every wave record, and refuses to open a store that ran under other \
values (an intended change is a `[[consensus.upgrade]]` at a given wave). Defaults:\n\n",
    );
    s.push_str("| parameter | default | what |\n|---|---|---|\n");
    for (name, value) in ConsensusParams::default().entries() {
        s.push_str(&format!("| `{name}` | {value} | {} |\n", describe(&name)));
    }
    s
}
