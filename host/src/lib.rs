//! # vmhost — the host core of a multi-VM execution layer
//!
//! vmhost is the execution layer of a blockchain node, packaged so a chain builder picks VM
//! backends, third parties add new ones, and anyone can compare backends on the same
//! contracts. This crate is the stable core every backend plugs into:
//!
//! - [`vm`]: the backend traits — [`Vm`] (prepare once → artifact; load) and [`Module`] (call
//!   many times) — and the narrow [`GuestMemory`] / [`Host`] seam. Backends only marshal memory
//!   and arguments; the ABI functions are implemented once, in [`hostfns`].
//! - [`registry`]: [`VmRegistry`], routing every transaction by [`vmhost_abi::ContractType`].
//! - [`state`]: per-transaction overlays → DashMap wave cache → RocksDB (or in-memory) store,
//!   committed with a Jellyfish Merkle Tree.
//! - [`executor`]: [`Chain`], the staged transaction pipeline, fees and atomic wave commit.
//! - [`cache`]: the LRU, content-addressed module cache with artifact versioning.
//! - [`wasm`]: the deploy gate (validation, import allowlist, static limits) and the
//!   deterministic gas-metering pass shared by every wasm backend.
//! - [`native`]: the seam for the built-in native-transaction plugin (also reachable from
//!   contracts at the reserved system addresses, `docs/abi-v1.md`).
//! - [`services`]: what the chain supplies — the threshold-encryption provider and the
//!   parachain governance hook — with [`ReferenceServices`] (the devnet committee) as the
//!   default; Poseidon2 and FALCON-512 are built in (`vmhost-crypto`).
//! - [`testing`]: mocks and helpers other crates' tests use.
//!
//! ```no_run
//! use std::sync::Arc;
//! use vmhost::{Chain, ExecConfig, VmRegistry, state::RocksStore};
//! use vmhost_abi::{Address, BlockContext};
//!
//! let store = Arc::new(RocksStore::open("vmhost-data")?);
//! let registry = VmRegistry::new(); // register backends here
//! let mut chain = Chain::open(store, registry, ExecConfig::default())?;
//! let block = BlockContext { height: 1, wave_id: 1, timestamp_ms: 0, beacon: [0; 32], base_fee: 1 };
//! let out = chain.execute_wave(&block, &[])?;
//! println!("state root {}", hex::encode(out.record.state_root));
//! # Ok::<(), vmhost::Error>(())
//! ```
//!
//! Determinism is the first property: the same wave gives bit-identical receipts, gas and
//! roots on every run and every backend. Consensus outcomes (success, revert, trap, failed,
//! invalid) are receipt statuses; infrastructure failures are [`Error`]s that stop the wave and
//! commit nothing.

pub mod accounts;
pub mod cache;
pub mod config;
pub mod docs;
pub mod error;
pub mod executor;
pub mod hostfns;
pub mod native;
pub mod params;
pub mod plugin;
pub mod registry;
pub mod services;
pub mod state;
pub mod testing;
pub mod trace;
pub mod vm;
pub mod wasm;

pub use config::{ChainConfig, ExecConfig};
pub use error::{Error, RegistryError, Result};
pub use executor::{
    executor_stack_size, Chain, ChainHead, Env, Query, QueryOutcome, StateProofAt, WaveOutput, HOST_FRAME_RESERVE,
};
pub use hostfns::HostCtx;
pub use native::{NativeContext, NativeHandler, NativeResult};
pub use params::{ConsensusParams, GasTable, NativeParams, NodeConfig, ParamsUpgrade};
pub use registry::{Backend, VmRegistry};
pub use services::{ChainServices, NoServices, ParachainGovernance, ReferenceServices, UpgradeProposal};
pub use vm::{
    frame_artifact, unframe_artifact, CallOutcome, CallParams, CodeFormat, GuestMemory, Host, HostTrap, Module,
    PrepareError, SliceMemory, Vm, VmError,
};
