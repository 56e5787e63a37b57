//! Configuration: the runtime [`ExecConfig`] and the declarative chain file ([`ChainConfig`],
//! TOML) a chain builder writes: which backend serves which contract type, gas-table overrides,
//! limits and the store path.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use vmhost_abi::{GasCost, HostFn, HOST_FUNCTIONS};

use crate::error::{Error, Result};

/// The host-function gas table in force: ABI v1 defaults plus chain overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GasTable {
    costs: Vec<GasCost>,
}

impl Default for GasTable {
    fn default() -> Self {
        Self { costs: HOST_FUNCTIONS.iter().map(|f| f.gas).collect() }
    }
}

impl GasTable {
    /// The cost of `f`.
    #[inline]
    pub fn get(&self, f: HostFn) -> GasCost {
        self.costs.get(f as usize).copied().unwrap_or(GasCost { base: u64::MAX, per_byte: 0 })
    }

    /// Overrides one function's cost by import name.
    pub fn set(&mut self, name: &str, cost: GasCost) -> Result<&mut Self> {
        let f = HostFn::by_name(name)
            .ok_or_else(|| Error::Config(format!("gas override for unknown host function `{name}`")))?;
        self.costs[f as usize] = cost;
        Ok(self)
    }
}

/// Runtime configuration of the executor. Consensus-relevant: every validator of a chain must
/// use the same values.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExecConfig {
    /// The chain id transactions must carry.
    pub chain_id: u64,
    /// Deepest nesting of cross calls (the top-level call is depth 1).
    pub max_call_depth: u32,
    /// Largest gas limit a transaction may carry.
    pub max_tx_gas: u64,
    /// Contracts whose modules stay resident.
    pub module_cache_size: usize,
    /// Wave-cache entries kept between waves before it is emptied.
    pub wave_cache_max_entries: usize,
    /// Host-function gas table.
    pub gas: GasTable,
}

impl Default for ExecConfig {
    fn default() -> Self {
        Self {
            chain_id: 1,
            max_call_depth: 64,
            max_tx_gas: vmhost_abi::gas::MAX_TX_GAS,
            module_cache_size: 256,
            wave_cache_max_entries: 4_000_000,
            gas: GasTable::default(),
        }
    }
}

impl ExecConfig {
    /// Sets the chain id.
    pub fn chain_id(&mut self, id: u64) -> &mut Self {
        self.chain_id = id;
        self
    }
    /// Sets the call-depth limit.
    pub fn max_call_depth(&mut self, depth: u32) -> &mut Self {
        self.max_call_depth = depth;
        self
    }
    /// Sets the module-cache capacity.
    pub fn module_cache_size(&mut self, n: usize) -> &mut Self {
        self.module_cache_size = n;
        self
    }
    /// Sets the per-transaction gas cap (at most [`vmhost_abi::gas::MAX_TX_GAS`]).
    pub fn max_tx_gas(&mut self, gas: u64) -> &mut Self {
        self.max_tx_gas = gas.min(vmhost_abi::gas::MAX_TX_GAS);
        self
    }
}

/// `[chain]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct ChainSection {
    /// Chain id.
    pub chain_id: u64,
    /// Fee per gas unit used by the demo and CLI waves.
    pub base_fee: u128,
}

impl Default for ChainSection {
    fn default() -> Self {
        Self { chain_id: 1, base_fee: 1 }
    }
}

/// `[store]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct StoreSection {
    /// RocksDB directory.
    pub path: PathBuf,
    /// fsync every commit.
    pub sync: bool,
}

impl Default for StoreSection {
    fn default() -> Self {
        Self { path: PathBuf::from("vmhost-data"), sync: true }
    }
}

/// `[limits]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct LimitsSection {
    /// Linear-memory cap per instance, MiB.
    pub memory_mib: u32,
    /// Wall-clock budget per call, milliseconds (epoch interruption).
    pub call_timeout_ms: u64,
    /// Cross-call depth limit.
    pub max_call_depth: u32,
    /// Largest gas limit per transaction.
    pub max_tx_gas: u64,
    /// Resident modules.
    pub module_cache_size: usize,
}

impl Default for LimitsSection {
    fn default() -> Self {
        Self { memory_mib: 64, call_timeout_ms: 1_000, max_call_depth: 64, max_tx_gas: 1 << 32, module_cache_size: 256 }
    }
}

/// A gas override in the chain file.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GasOverride {
    /// Base cost.
    pub base: u64,
    /// Per-byte cost.
    #[serde(default)]
    pub per_byte: u64,
}

/// The declarative chain configuration (TOML).
///
/// ```toml
/// [chain]
/// chain_id = 7
/// [store]
/// path = "vmhost-data"
/// [backends]
/// wasm = "wasmtime"          # which backend serves ContractType::Wasm
/// [limits]
/// memory_mib = 64
/// [gas.sstore]
/// base = 6000
/// per_byte = 10
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct ChainConfig {
    /// Chain parameters.
    pub chain: ChainSection,
    /// Store location.
    pub store: StoreSection,
    /// Contract type → backend name (`wasm = "wasmtime"`, `"plugin:<id>" = "<path to .so>"`).
    pub backends: BTreeMap<String, String>,
    /// Limits.
    pub limits: LimitsSection,
    /// Host-function gas overrides by import name.
    pub gas: BTreeMap<String, GasOverride>,
}

impl ChainConfig {
    /// Parses a TOML chain file.
    pub fn from_toml(text: &str) -> Result<Self> {
        let cfg: ChainConfig = toml::from_str(text).map_err(|e| Error::Config(e.to_string()))?;
        cfg.exec_config()?;
        Ok(cfg)
    }

    /// The executor configuration this file describes.
    pub fn exec_config(&self) -> Result<ExecConfig> {
        let mut cfg = ExecConfig::default();
        cfg.chain_id(self.chain.chain_id)
            .max_call_depth(self.limits.max_call_depth)
            .module_cache_size(self.limits.module_cache_size)
            .max_tx_gas(self.limits.max_tx_gas);
        if self.limits.max_call_depth == 0 {
            return Err(Error::Config("limits.max_call_depth must be at least 1".into()));
        }
        for (name, o) in &self.gas {
            cfg.gas.set(name, GasCost { base: o.base, per_byte: o.per_byte })?;
        }
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_config_parses_overrides_and_rejects_unknown_host_functions() {
        let cfg = ChainConfig::from_toml("[chain]\nchain_id = 7\n[gas.sstore]\nbase = 6000\n").unwrap();
        let exec = cfg.exec_config().unwrap();
        assert_eq!(exec.chain_id, 7);
        assert_eq!(exec.gas.get(HostFn::Sstore).base, 6000);
        assert!(ChainConfig::from_toml("[gas.fd_write]\nbase = 1\n").is_err());
        assert!(ChainConfig::from_toml("[chain]\nbogus = 1\n").is_err());
    }
}
