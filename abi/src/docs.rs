//! Renders the ABI reference (`docs/abi-v1.md`) from the table, so the document cannot drift.

use alloc::format;
use alloc::string::String;

use crate::codes::ErrorCode;
use crate::gas;
use crate::hostfns::{Access, Provider, HOST_FUNCTIONS};

/// The full markdown text of `docs/abi-v1.md`.
pub fn render_markdown() -> String {
    let mut s = String::new();
    s.push_str("# vmhost host-function ABI v1\n\n");
    s.push_str("<!-- Generated from abi/src (HOST_FUNCTIONS, ErrorCode, gas). Do not edit: run\n");
    s.push_str("     `cargo run -p vmhost-cli -- abi-doc > docs/abi-v1.md`; a test fails when it is stale. -->\n\n");
    s.push_str(&format!(
        "Import module: `{}`. ABI version: {}. Metering version: {}.\n\n",
        crate::IMPORT_MODULE,
        crate::ABI_VERSION,
        gas::METERING_VERSION
    ));
    s.push_str(
        "Conventions: pointers and lengths are `i32` offsets into the exported memory `memory`; \
addresses, topics, hashes and storage keys are 32 bytes; amounts are 16-byte little-endian u128. \
An entry point is an exported function of type `() -> ()`; it reads its input with `input_read` \
and sets its result with `set_return`. A host error traps the guest with the code shown on the receipt.\n\n",
    );
    s.push_str("## Host functions\n\n");
    s.push_str("| id | name | signature | gas (base + per byte) | per byte of | who may call | provided by |\n");
    s.push_str("|---|---|---|---|---|---|---|\n");
    for f in HOST_FUNCTIONS {
        let params: alloc::vec::Vec<&str> = f.params.iter().map(|p| p.wat()).collect();
        let results: alloc::vec::Vec<&str> = f.results.iter().map(|p| p.wat()).collect();
        let who = match f.access {
            Access::Any => "any contract",
            Access::NotInStatic => "any contract, not in static calls",
            Access::ParachainOnly => "parachains only, not in static calls",
        };
        let provider = match f.provider {
            Provider::Host => "host",
            Provider::ChainService => "chain service (`Unsupported` until supplied)",
        };
        s.push_str(&format!(
            "| {} | `{}` | `({}) -> ({})` | {} + {} | {} | {} | {} |\n",
            f.id as u16,
            f.name,
            params.join(", "),
            results.join(", "),
            f.gas.base,
            f.gas.per_byte,
            f.per_byte_of,
            who,
            provider
        ));
    }
    s.push_str(
        "\nChain services depend on chain parameters (committee keys, field constants). The host \
calls the chain's `vmhost::ChainServices` implementation; without one these functions trap with \
`Unsupported` (405). Unsupported in a host with no provider: ",
    );
    let services: alloc::vec::Vec<&str> =
        HOST_FUNCTIONS.iter().filter(|f| f.provider == Provider::ChainService).map(|f| f.name).collect();
    s.push_str(&services.join(", "));
    s.push_str(".\n");
    s.push_str("\n### Descriptions\n\n");
    for f in HOST_FUNCTIONS {
        s.push_str(&format!("- `{}`: {}\n", f.name, f.doc));
    }
    s.push_str("\n## Gas schedule\n\n");
    s.push_str(&format!(
        "- Every function call costs {} on entry; every wasm operator costs {} gas, except: free ({}) 0; `call`/`call_indirect` {}; \
integer division/remainder {}; `memory.grow` {} + {} per requested page; \
`memory.copy`/`memory.fill`/`memory.init` add {} per byte; `table.copy`/`table.init` add {} per element.\n",
        gas::op::FUNCTION_ENTRY,
        gas::op::DEFAULT,
        gas::op::FREE.join(", "),
        gas::op::CALL,
        gas::op::DIVISION,
        gas::op::MEMORY_GROW,
        gas::op::MEMORY_GROW_PER_PAGE,
        gas::op::BULK_PER_BYTE,
        gas::op::TABLE_PER_ELEMENT
    ));
    s.push_str(
        "- Gas is charged per basic block before the block runs (injected at deploy); host \
functions charge their formula before doing any work. A call that traps (any code but `Reverted`) \
consumes its whole gas limit, like the EVM's exceptional halt; a revert pays only the gas it used.\n",
    );
    s.push_str(&format!(
        "- Intrinsic: native transfer {} (fixed); other native transactions {}; contract call {} + {} per input byte; deploy/upgrade {} + {} per code byte.\n",
        gas::NATIVE_TRANSFER_GAS,
        gas::NATIVE_SYSTEM_GAS,
        gas::CALL_BASE_GAS,
        gas::CALL_INPUT_PER_BYTE,
        gas::DEPLOY_BASE_GAS,
        gas::DEPLOY_PER_BYTE
    ));
    s.push_str(&format!(
        "- `sstore` to an empty slot adds {}. Static-call callees are capped at {} gas. No refunds.\n",
        gas::NEW_SLOT_SURCHARGE,
        gas::VIEW_GAS_CAP
    ));
    s.push_str(&format!(
        "- Limits: value {} B, event payload {} B, {} events per transaction, input {} B, return data {} B, crypto input {} B, entry name {} B, gas limit {}.\n",
        gas::MAX_VALUE_LEN,
        gas::MAX_EVENT_DATA,
        gas::MAX_EVENTS_PER_TX,
        gas::MAX_INPUT_LEN,
        gas::MAX_RETURN_LEN,
        gas::MAX_CRYPTO_INPUT,
        gas::MAX_ENTRY_LEN,
        gas::MAX_TX_GAS
    ));
    s.push_str("\n## Result codes\n\n| code | name | meaning |\n|---|---|---|\n");
    for c in ErrorCode::ALL {
        s.push_str(&format!("| {} | `{}` | {} |\n", c.as_u32(), c.name(), c.description()));
    }
    s
}
