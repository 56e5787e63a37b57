//! Configuration: the runtime [`ExecConfig`] (consensus parameters, their scheduled upgrades,
//! machine-local settings) and the declarative chain file ([`ChainConfig`], TOML) a chain
//! builder writes: which backend serves which contract type, the consensus parameters, the
//! node's own settings and the store path.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

pub use crate::params::{
    ConsensusParams, GasTable, IntrinsicGas, MemoryParams, NativeParams, NodeConfig, ParamsUpgrade, TxLimits,
};

use crate::error::{Error, Result};

/// What a [`crate::Chain`] runs with: the consensus parameters at genesis, the upgrades that
/// replace them at given waves, and the machine-local settings.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ExecConfig {
    /// Consensus parameters from genesis on.
    pub consensus: ConsensusParams,
    /// Later parameter sets, in increasing `at_wave` order.
    pub upgrades: Vec<ParamsUpgrade>,
    /// Machine-local settings.
    pub node: NodeConfig,
}

impl ExecConfig {
    /// Sets the chain id.
    pub fn chain_id(&mut self, id: u64) -> &mut Self {
        self.consensus.chain_id = id;
        self
    }
    /// Sets the call-depth limit.
    pub fn max_call_depth(&mut self, depth: u32) -> &mut Self {
        self.consensus.max_call_depth = depth;
        self
    }
    /// Sets the number of executor threads (at least 1; machine-local, never consensus).
    pub fn threads(&mut self, n: usize) -> &mut Self {
        self.node.threads = n.max(1);
        self
    }
    /// Sets the module-cache capacity.
    pub fn module_cache_size(&mut self, n: usize) -> &mut Self {
        self.node.module_cache_size = n;
        self
    }
    /// Sets the per-transaction gas cap (at most [`vmhost_abi::gas::MAX_TX_GAS`]).
    pub fn max_tx_gas(&mut self, gas: u64) -> &mut Self {
        self.consensus.max_tx_gas = gas.min(vmhost_abi::gas::MAX_TX_GAS);
        self
    }
    /// Sets the whole consensus parameter set in force from genesis.
    pub fn consensus(&mut self, params: ConsensusParams) -> &mut Self {
        self.consensus = params;
        self
    }
    /// Schedules `params` to replace the parameters in force from wave `at_wave` on.
    pub fn upgrade_at(&mut self, at_wave: u64, params: ConsensusParams) -> &mut Self {
        self.upgrades.push(ParamsUpgrade { at_wave, params });
        self.upgrades.sort_by_key(|u| u.at_wave);
        self
    }

    /// Every parameter set the chain may run under: genesis, then each upgrade.
    pub fn param_sets(&self) -> impl Iterator<Item = &ConsensusParams> {
        std::iter::once(&self.consensus).chain(self.upgrades.iter().map(|u| &u.params))
    }

    /// The parameters in force for wave `wave_id`.
    pub fn params_at(&self, wave_id: u64) -> &ConsensusParams {
        self.upgrades.iter().rev().find(|u| u.at_wave <= wave_id).map_or(&self.consensus, |u| &u.params)
    }

    /// Checks every parameter set and the upgrade order.
    pub fn validate(&self) -> Result<()> {
        self.consensus.validate()?;
        let mut last = 0;
        for u in &self.upgrades {
            if u.at_wave <= last {
                return Err(Error::Config("consensus upgrades must be at increasing waves after wave 0".into()));
            }
            last = u.at_wave;
            u.params.validate()?;
        }
        Ok(())
    }
}

/// `[chain]` section.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct ChainSection {
    /// Chain id (the consensus parameter `chain_id`).
    pub chain_id: u64,
    /// Fee per gas unit used by the demo and CLI waves (supplied per block by consensus).
    pub base_fee: u128,
}

impl Default for ChainSection {
    fn default() -> Self {
        Self { chain_id: 1, base_fee: 1 }
    }
}

/// `[store]` section.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
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

/// `[node]` section: machine-local settings (never part of consensus).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct NodeSection {
    /// Resident modules.
    pub module_cache_size: usize,
    /// Wave-cache entries kept between waves.
    pub wave_cache_max_entries: usize,
    /// Wall-clock safety net per call, milliseconds. Reaching it aborts the wave (an
    /// infrastructure failure); it is never a receipt outcome.
    pub call_timeout_ms: u64,
    /// Executor threads (default: the machine's cores; at least 1).
    pub threads: usize,
    /// Gas limit cap of read-only queries (`vmhost query`, `Chain::query`).
    pub query_gas_cap: u64,
    /// States kept readable (and provable), in waves; older JMT nodes and value versions are
    /// pruned. `0`: archive node, keep everything.
    pub retain_waves: u64,
    /// Waves longer than this many transactions are committed in chunks of it (bounded
    /// memory, the same outcome). `0`: always at once.
    pub commit_chunk: usize,
}

impl Default for NodeSection {
    fn default() -> Self {
        let node = NodeConfig::default();
        Self {
            module_cache_size: node.module_cache_size,
            wave_cache_max_entries: node.wave_cache_max_entries,
            call_timeout_ms: 5_000,
            threads: node.threads,
            query_gas_cap: node.query_gas_cap,
            retain_waves: node.retain_waves,
            commit_chunk: node.commit_chunk,
        }
    }
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
/// [consensus]                # every key optional; names as ConsensusParams::entries
/// stack_limit = 32768
/// [consensus.memory]
/// max_tx_pages = 512
/// [consensus.gas.sstore]
/// base = 6000
/// [[consensus.upgrade]]      # new parameters from a given wave on
/// at_wave = 1000
/// max_tx_gas = 200000000
/// [node]                     # machine-local: never changes a receipt
/// call_timeout_ms = 5000
/// threads = 2                # default: the machine's cores
/// ```
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct ChainConfig {
    /// Chain parameters.
    pub chain: ChainSection,
    /// Store location.
    pub store: StoreSection,
    /// Contract type → backend name (`wasm = "wasmtime"`, `"plugin:<id>" = "<path to .so>"`).
    pub backends: BTreeMap<String, String>,
    /// Consensus parameter overrides (dotted names as [`ConsensusParams::entries`]), with an
    /// optional `upgrade` array.
    pub consensus: toml::Table,
    /// Machine-local settings.
    pub node: NodeSection,
}

/// Flattens a TOML table into `(dotted name, value text)` pairs.
fn flatten(prefix: &str, table: &toml::Table, out: &mut Vec<(String, String)>) -> Result<()> {
    for (k, v) in table {
        let name = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match v {
            toml::Value::Table(t) => flatten(&name, t, out)?,
            toml::Value::Integer(i) => out.push((name, i.to_string())),
            toml::Value::Boolean(b) => out.push((name, b.to_string())),
            toml::Value::String(s) => out.push((name, s.clone())),
            other => {
                return Err(Error::Config(format!("consensus.{name}: unsupported value {other}")));
            }
        }
    }
    Ok(())
}

/// Applies a `[consensus]`-shaped table onto `params`.
fn apply(params: &mut ConsensusParams, table: &toml::Table, section: &str) -> Result<()> {
    let mut pairs = Vec::new();
    flatten("", table, &mut pairs)?;
    for (name, value) in pairs {
        params.set(&name, &value).map_err(|e| match e {
            Error::Config(m) => Error::Config(format!("[{section}] {m}")),
            other => other,
        })?;
    }
    Ok(())
}

impl ChainConfig {
    /// Parses a TOML chain file (and checks it describes a usable configuration).
    pub fn from_toml(text: &str) -> Result<Self> {
        let cfg: ChainConfig = toml::from_str(text).map_err(|e| Error::Config(e.to_string()))?;
        cfg.exec_config()?;
        Ok(cfg)
    }

    /// The executor configuration this file describes.
    pub fn exec_config(&self) -> Result<ExecConfig> {
        let mut base = self.consensus.clone();
        let upgrades = base.remove("upgrade");
        let mut params = ConsensusParams { chain_id: self.chain.chain_id, ..ConsensusParams::default() };
        apply(&mut params, &base, "consensus")?;
        let mut cfg = ExecConfig { consensus: params.clone(), upgrades: Vec::new(), node: NodeConfig::default() };
        cfg.node.module_cache_size = self.node.module_cache_size;
        cfg.node.wave_cache_max_entries = self.node.wave_cache_max_entries;
        cfg.node.threads = self.node.threads.max(1);
        cfg.node.query_gas_cap = self.node.query_gas_cap;
        cfg.node.retain_waves = self.node.retain_waves;
        cfg.node.commit_chunk = self.node.commit_chunk;
        if let Some(list) = upgrades {
            let toml::Value::Array(list) = list else {
                return Err(Error::Config(
                    "consensus.upgrade must be an array of tables ([[consensus.upgrade]])".into(),
                ));
            };
            let mut current = params;
            for item in list {
                let toml::Value::Table(mut t) = item else {
                    return Err(Error::Config("each [[consensus.upgrade]] must be a table".into()));
                };
                let Some(toml::Value::Integer(at)) = t.remove("at_wave") else {
                    return Err(Error::Config("each [[consensus.upgrade]] needs an integer at_wave".into()));
                };
                let at_wave = u64::try_from(at).map_err(|_| Error::Config("at_wave must be positive".into()))?;
                apply(&mut current, &t, "consensus.upgrade")?;
                cfg.upgrades.push(ParamsUpgrade { at_wave, params: current.clone() });
            }
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// The node's wall-clock safety net per call.
    pub fn call_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.node.call_timeout_ms.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vmhost_abi::HostFn;

    #[test]
    fn chain_config_parses_overrides_and_rejects_unknown_host_functions() {
        let cfg = ChainConfig::from_toml("[chain]\nchain_id = 7\n[consensus.gas.sstore]\nbase = 6000\n").unwrap();
        let exec = cfg.exec_config().unwrap();
        assert_eq!(exec.consensus.chain_id, 7);
        assert_eq!(exec.consensus.gas.get(HostFn::Sstore).base, 6000);
        assert!(ChainConfig::from_toml("[consensus.gas.fd_write]\nbase = 1\n").is_err());
        assert!(ChainConfig::from_toml("[chain]\nbogus = 1\n").is_err());
        let err = ChainConfig::from_toml("[consensus]\nstak_limit = 3\n").unwrap_err().to_string();
        assert!(err.contains("stak_limit"), "{err}");
    }

    #[test]
    fn chain_config_upgrades_apply_on_top_of_the_previous_parameters() {
        let text = "[consensus]\nstack_limit = 1000\n[[consensus.upgrade]]\nat_wave = 10\nmax_tx_gas = 5000000\n\
                    [[consensus.upgrade]]\nat_wave = 20\n[consensus.upgrade.memory]\nmax_tx_pages = 64\n";
        let exec = ChainConfig::from_toml(text).unwrap().exec_config().unwrap();
        assert_eq!(exec.params_at(9).max_tx_gas, vmhost_abi::gas::DEFAULT_MAX_TX_GAS);
        assert_eq!(exec.params_at(10).max_tx_gas, 5_000_000);
        assert_eq!(exec.params_at(25).max_tx_gas, 5_000_000);
        assert_eq!(exec.params_at(25).memory.max_tx_pages, 64);
        assert_eq!(exec.params_at(25).stack_limit, 1000);
        assert!(ChainConfig::from_toml("[[consensus.upgrade]]\nat_wave = 0\n").is_err());
    }
}
