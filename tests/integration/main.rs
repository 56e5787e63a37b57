//! vmhost integration tests: one binary, one module per topic.
#![allow(clippy::unwrap_used)]

mod abi_doc;
mod access_lists;
mod call_value;
mod conformance;
mod consensus_params;
mod contracts_build;
mod crash;
mod crypto;
mod differential;
mod host_state;
mod hostile;
mod mock_calls;
mod parallel;
mod pipeline;
mod plugins;
mod pricing;
mod pruning;
mod queries;
mod reentrancy;
mod streamed;
mod system_calls;
mod threshold;
mod tracing;
mod upgrades;
mod wasm_cache;
mod wasm_calls;
mod wasm_deploy;
mod wasm_examples;
mod wasm_gas;
mod wasm_reuse;
mod wasm_stores;
mod wasm_traps;
mod wasmer_backend;
