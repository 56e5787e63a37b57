//! Renders the ABI reference (`docs/abi-v1.md`) from the table, so the document cannot drift.

use alloc::format;
use alloc::string::String;

use crate::codes::ErrorCode;
use crate::gas;
use crate::hostfns::{Access, Provider, HOST_FUNCTIONS};

/// `num / den` as a short decimal.
fn fraction(num: u64, den: u64) -> String {
    let thousandths = num.saturating_mul(1000) / den.max(1);
    format!("{}.{:03}", thousandths / 1000, thousandths % 1000)
}

/// The ABI part of `docs/abi-v1.md` (the host appends the table of consensus parameters:
/// `vmhost::docs::abi_reference`).
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
            Provider::ChainService => "provider (reference built in; the chain may replace it)",
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
        "\nEvery function is provided in every vmhost build: none traps `Unsupported` (405) in a default \
host. The threshold functions go through the chain's provider (`vmhost::ChainServices`); a default chain uses the \
built-in reference provider with the devnet committee (see Threshold encryption), and a chain supplies its own with \
`Chain::open_with_services`. Provider functions: ",
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
`memory.copy`/`memory.fill`/`memory.init` add {} per byte; `table.copy`/`table.init` add {} per element. \
These are the defaults of the chain's consensus parameters (`ops.*`, table below).\n",
        gas::op::FUNCTION_ENTRY,
        gas::op::DEFAULT,
        gas::op::FREE.join(", "),
        gas::op::CALL,
        gas::op::DIVISION,
        gas::op::MEMORY_GROW,
        gas::op::MEMORY_PAGE,
        gas::op::BULK_PER_BYTE,
        gas::op::TABLE_PER_ELEMENT
    ));
    s.push_str(
        "- Gas is charged per basic block before the block runs (injected at deploy); host \
functions charge their formula before doing any work. A call that traps (any code but `Reverted`) \
consumes its whole gas limit, like the EVM's exceptional halt; a revert pays only the gas it used.\n",
    );
    s.push_str(&format!(
        "- Intrinsic: native transfer {} (fixed); other native transactions {}; contract call {} + {} per input byte; deploy/upgrade {} + {} per code byte; upgrade cancel or renounce the contract call's base.\n",
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
        "- Access lists: each declared entry (read or write) costs {} intrinsic gas; at most {} entries.\n",
        gas::ACCESS_LIST_KEY_GAS,
        gas::MAX_ACCESS_LIST_KEYS
    ));
    s.push_str("\n## Memory\n\n");
    s.push_str(&format!(
        "A 64 KiB page of linear memory costs {} gas ({} gas per byte): per page requested by `memory.grow` \
(charged before the grow, even if it fails), and per page a module's memory starts with, charged out of the callee's \
gas when a call instantiates it, before any of its code runs. For comparison: event data costs {} gas per byte and \
storage {} gas per byte plus {} per slot write ({} more for a new slot); memory lives only for the call. The memory of \
all frames of a transaction alive at once is capped (default {} pages, {} MiB; consensus parameter \
`memory.max_tx_pages`): a `memory.grow` past what the transaction has left, or a callee whose initial memory does not \
fit beside its callers', traps `MemoryLimit` (307). A module's initial memory is at most {} pages (`wasm.max_memory_pages`); \
its declared maximum is not limited.\n",
        gas::op::MEMORY_PAGE,
        fraction(gas::op::MEMORY_PAGE, 65_536),
        8,
        10,
        5_000,
        gas::NEW_SLOT_SURCHARGE,
        gas::DEFAULT_MAX_TX_MEMORY_PAGES,
        gas::DEFAULT_MAX_TX_MEMORY_PAGES / 16,
        gas::DEFAULT_MAX_INITIAL_PAGES
    ));
    s.push_str("\n## Stack height\n\n");
    s.push_str(&format!(
        "The host's limits pass gives every function a frame cost of `{} + parameters + locals + maximum operand-stack \
height` units (each value one unit, whatever its type), computed from the module as deployed. Entering a function \
charges its cost against one counter the whole transaction shares: a callee (of `cross_call`, `cross_call_static`, \
`delegate_call`) starts with what its caller has left. Leaving a function gives the cost back. A charge beyond what is \
left traps `StackOverflow` (304). The budget is a consensus parameter (`stack_limit`, default {} units), so a recursion \
stops at the same depth on every engine, architecture and engine version: a function of cost `c` called from an entry \
point of cost `e` recurses at most `floor(({} - e) / c)` levels deep. Engines' own stack limits are backstops sized so a \
prepared module never reaches them. Stack-pass version {}.\n",
        gas::stack::FRAME_COST,
        gas::stack::DEFAULT_LIMIT,
        gas::stack::DEFAULT_LIMIT,
        gas::stack::VERSION
    ));
    s.push_str("\n## Time\n\n");
    s.push_str(
        "Time is not a consensus input: gas alone bounds execution. A node's wall-clock timeout is a safety net; \
reaching it (or any other machine-dependent limit: an exhausted instance pool, a failed allocation, an engine backstop) \
is an infrastructure failure of the node: the wave aborts and nothing of it is committed. No receipt carries code 306 \
`Timeout`. The default `max_tx_gas` is calibrated so the slowest operator mix measured runs far below the default \
safety net (`docs/benchmarks.md`).\n",
    );
    s.push_str("\n## Result codes\n\n| code | name | meaning |\n|---|---|---|\n");
    for c in ErrorCode::ALL {
        s.push_str(&format!("| {} | `{}` | {} |\n", c.as_u32(), c.name(), c.description()));
    }
    s
}
