//! Consensus parameters: every number that can change a receipt, gas or a root, in one struct
//! whose hash the chain commits ([`ConsensusParams`]), and the machine-local settings that
//! cannot ([`NodeConfig`]).
//!
//! A validator that runs with other consensus parameters than the chain computes other
//! receipts, so the parameters travel one path: `ChainConfig` (TOML) or code builds an
//! [`ExecConfig`](crate::ExecConfig), [`Chain::open`](crate::Chain::open) checks them against
//! what the store recorded (refusing a difference with an error naming the parameter), and from
//! there every transaction, host function and backend reads them. Their hash is written into
//! the state at genesis (so the state root commits to them) and into every wave record. An
//! intended change is a [`ParamsUpgrade`]: new parameters from a given wave on, recorded in the
//! store and in the state when it takes effect.

use borsh::{BorshDeserialize, BorshSerialize};
use vmhost_abi::gas::{self, stack, OpWeights};
use vmhost_abi::{GasCost, HostFn, HOST_FUNCTIONS};

use crate::error::{Error, Result};
use crate::wasm::WasmLimits;

/// The host-function gas table in force: ABI v1 defaults plus chain overrides.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
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
        if let Some(slot) = self.costs.get_mut(f as usize) {
            *slot = cost;
        }
        Ok(self)
    }
}

/// Linear memory: what it costs and how much a transaction may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[non_exhaustive]
pub struct MemoryParams {
    /// Cap on the linear memory of all frames of a transaction alive at once, in 64 KiB pages.
    /// A `memory.grow` past it, or a callee whose initial memory does not fit, traps
    /// `MemoryLimit`. The price of a page is [`OpWeights::memory_page`].
    pub max_tx_pages: u32,
}

impl Default for MemoryParams {
    fn default() -> Self {
        Self { max_tx_pages: gas::DEFAULT_MAX_TX_MEMORY_PAGES }
    }
}

/// Intrinsic gas: what a transaction pays before anything executes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[non_exhaustive]
pub struct IntrinsicGas {
    /// A contract call.
    pub call_base: u64,
    /// Per byte of call input.
    pub call_input_per_byte: u64,
    /// A deploy or upgrade.
    pub deploy_base: u64,
    /// Per byte of deployed code.
    pub deploy_per_byte: u64,
    /// Per access-list entry.
    pub access_list_key: u64,
    /// Surcharge of an `sstore` that creates a slot.
    pub new_slot_surcharge: u64,
}

impl Default for IntrinsicGas {
    fn default() -> Self {
        Self {
            call_base: gas::CALL_BASE_GAS,
            call_input_per_byte: gas::CALL_INPUT_PER_BYTE,
            deploy_base: gas::DEPLOY_BASE_GAS,
            deploy_per_byte: gas::DEPLOY_PER_BYTE,
            access_list_key: gas::ACCESS_LIST_KEY_GAS,
            new_slot_surcharge: gas::NEW_SLOT_SURCHARGE,
        }
    }
}

/// Size limits of what a transaction and its calls may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[non_exhaustive]
pub struct TxLimits {
    /// Largest storage value in bytes.
    pub max_value_len: u32,
    /// Largest event payload in bytes.
    pub max_event_data: u32,
    /// Most events one transaction may emit.
    pub max_events_per_tx: u32,
    /// Largest call input in bytes (top-level and cross calls).
    pub max_input_len: u32,
    /// Largest return or revert payload in bytes.
    pub max_return_len: u32,
    /// Largest hash or crypto input in bytes.
    pub max_crypto_input: u32,
    /// Longest entry-point name.
    pub max_entry_len: u32,
    /// Most access-list entries (reads and writes together).
    pub max_access_list_keys: u32,
}

impl Default for TxLimits {
    fn default() -> Self {
        Self {
            max_value_len: gas::MAX_VALUE_LEN,
            max_event_data: gas::MAX_EVENT_DATA,
            max_events_per_tx: gas::MAX_EVENTS_PER_TX,
            max_input_len: gas::MAX_INPUT_LEN,
            max_return_len: gas::MAX_RETURN_LEN,
            max_crypto_input: gas::MAX_CRYPTO_INPUT,
            max_entry_len: gas::MAX_ENTRY_LEN,
            max_access_list_keys: gas::MAX_ACCESS_LIST_KEYS,
        }
    }
}

/// Parameters of the native transaction handlers.
///
/// ```
/// use vmhost::NativeParams;
/// let mut params = NativeParams::default();
/// params.min_stake(10_000).unbonding_period(1_000).slash_jail(false);
/// assert_eq!(params.min_stake, 10_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[non_exhaustive]
pub struct NativeParams {
    /// Intrinsic gas of a `Transfer` (default 21 000).
    pub transfer_gas: u64,
    /// Intrinsic gas of every other native transaction (default 50 000).
    pub system_gas: u64,
    /// Smallest stake a validator may register with or keep bonded (default 1 000).
    pub min_stake: u128,
    /// Blocks between an unbond and the release of its stake to the balance (default 100).
    pub unbonding_period: u64,
    /// Blocks a slashed validator stays jailed before it may unjail (default 50).
    pub jail_period: u64,
    /// Shortest accepted consensus key in bytes (default 32).
    pub min_key_len: u32,
    /// Longest accepted consensus key in bytes (default 2 048; FALCON-512 keys are 897).
    pub max_key_len: u32,
    /// Most signers a multisig account may have (default 32). Keep it at most 250 so the
    /// `MultisigCreated` event (which lists the signers) stays within the event size limit.
    pub max_signers: u32,
    /// Whether slashing also jails the validator until `height + jail_period` (default true).
    pub slash_jail: bool,
    /// Gas of a query through a native system address (the validator query), on top of
    /// `query_per_byte` per byte it returns (default 1 000).
    pub query_gas: u64,
    /// Gas per byte a native query returns (default 3, as `sload`).
    pub query_per_byte: u64,
}

impl Default for NativeParams {
    fn default() -> Self {
        Self {
            transfer_gas: gas::NATIVE_TRANSFER_GAS,
            system_gas: gas::NATIVE_SYSTEM_GAS,
            min_stake: 1_000,
            unbonding_period: 100,
            jail_period: 50,
            min_key_len: 32,
            max_key_len: 2048,
            max_signers: 32,
            slash_jail: true,
            query_gas: 1_000,
            query_per_byte: 3,
        }
    }
}

impl NativeParams {
    /// Sets [`NativeParams::min_stake`].
    pub fn min_stake(&mut self, v: u128) -> &mut Self {
        self.min_stake = v;
        self
    }
    /// Sets [`NativeParams::unbonding_period`].
    pub fn unbonding_period(&mut self, v: u64) -> &mut Self {
        self.unbonding_period = v;
        self
    }
    /// Sets [`NativeParams::jail_period`].
    pub fn jail_period(&mut self, v: u64) -> &mut Self {
        self.jail_period = v;
        self
    }
    /// Sets the accepted consensus-key length range, in bytes (inclusive).
    pub fn key_len(&mut self, min: u32, max: u32) -> &mut Self {
        self.min_key_len = min;
        self.max_key_len = max;
        self
    }
    /// Sets [`NativeParams::max_signers`].
    pub fn max_signers(&mut self, v: u32) -> &mut Self {
        self.max_signers = v;
        self
    }
    /// Sets [`NativeParams::slash_jail`].
    pub fn slash_jail(&mut self, v: bool) -> &mut Self {
        self.slash_jail = v;
        self
    }
}

/// The committee key of the devnet committee every default chain encrypts under: the 2-of-3
/// committee `vmhost_crypto::threshold::Committee::generate(2, 3, DEVNET_COMMITTEE_SEED)`
/// (a test derives it again). Public knowledge, like its shares: for devnets and tests only.
pub const DEVNET_COMMITTEE_KEY: [u8; 32] = [
    0x28, 0x14, 0x21, 0xdf, 0xcb, 0xbd, 0x4b, 0xf8, 0xfa, 0x1f, 0xa2, 0xfc, 0x91, 0x96, 0xd5, 0x7c, 0x31, 0xa7, 0x25,
    0xcb, 0x3e, 0x92, 0x55, 0x34, 0x92, 0xa0, 0x6c, 0x5f, 0xfa, 0x5a, 0xeb, 0x71,
];

/// The seed the devnet committee is dealt from (32 ASCII bytes). Anyone who knows it knows the
/// committee secret: a devnet committee hides nothing.
pub const DEVNET_COMMITTEE_SEED: [u8; 32] = *b"vmhost devnet committee seed v1.";

/// Threshold size and membership of the devnet committee (`t`-of-`n`).
pub const DEVNET_COMMITTEE: (usize, usize) = (2, 3);

/// Parameters of the crypto host functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[non_exhaustive]
pub struct CryptoParams {
    /// Units `falcon_verify` charges per message byte (`gas.falcon_verify.per_byte` each); key
    /// and signature bytes are one unit each. Verification hashes the message with SHAKE256
    /// (~5 ns a byte, `docs/benchmarks.md`) while the key and signature are decoded once.
    pub falcon_message_weight: u64,
    /// The threshold committee's public key (a ristretto255 point): what `threshold_encrypt`
    /// encrypts under. It decides every ciphertext, so it is consensus; the chain's provider
    /// must serve this key (`Chain::open` checks it). Default: [`DEVNET_COMMITTEE_KEY`].
    pub threshold_committee_key: [u8; 32],
}

impl Default for CryptoParams {
    fn default() -> Self {
        Self { falcon_message_weight: 5, threshold_committee_key: DEVNET_COMMITTEE_KEY }
    }
}

/// The contract lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[non_exhaustive]
pub struct ContractParams {
    /// Waves between an owner's `ContractUpgrade` and the wave its code takes effect in: the
    /// pending code is public in the contract record meanwhile and the owner may cancel it
    /// (default 100; 0 switches from the next transaction on).
    pub upgrade_grace_waves: u64,
}

impl Default for ContractParams {
    fn default() -> Self {
        Self { upgrade_grace_waves: 100 }
    }
}

/// Everything that can change a receipt, gas or a root. Every validator of a chain runs the
/// same values; the chain commits their [`hash`](ConsensusParams::hash).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[non_exhaustive]
pub struct ConsensusParams {
    /// The chain id transactions must carry.
    pub chain_id: u64,
    /// Largest gas limit a transaction may carry (at most [`gas::MAX_TX_GAS`]).
    pub max_tx_gas: u64,
    /// Deepest nesting of calls (the top-level call is depth 1).
    pub max_call_depth: u32,
    /// Gas cap of a `cross_call_static` callee.
    pub view_gas_cap: u64,
    /// Stack units per transaction, shared by all nested calls ([`vmhost_abi::gas::stack`]).
    pub stack_limit: u32,
    /// Linear memory cap per transaction.
    pub memory: MemoryParams,
    /// Per-operator gas weights.
    pub ops: OpWeights,
    /// Host-function gas table.
    pub gas: GasTable,
    /// Intrinsic gas.
    pub intrinsic: IntrinsicGas,
    /// Size limits.
    pub limits: TxLimits,
    /// Static deploy limits of the wasm gate.
    pub wasm: WasmLimits,
    /// Native transaction handlers.
    pub native: NativeParams,
    /// Crypto host functions.
    pub crypto: CryptoParams,
    /// Contract lifecycle (upgrades).
    pub contracts: ContractParams,
}

impl Default for ConsensusParams {
    fn default() -> Self {
        Self {
            chain_id: 1,
            max_tx_gas: gas::DEFAULT_MAX_TX_GAS,
            max_call_depth: 64,
            view_gas_cap: gas::VIEW_GAS_CAP,
            stack_limit: stack::DEFAULT_LIMIT,
            memory: MemoryParams::default(),
            ops: OpWeights::default(),
            gas: GasTable::default(),
            intrinsic: IntrinsicGas::default(),
            limits: TxLimits::default(),
            wasm: WasmLimits::default(),
            native: NativeParams::default(),
            crypto: CryptoParams::default(),
            contracts: ContractParams::default(),
        }
    }
}

/// Domain of [`ConsensusParams::hash`].
const PARAMS_DOMAIN: &[u8] = b"vmhost/v1/consensus-params";

impl ConsensusParams {
    /// `BLAKE3("vmhost/v1/consensus-params" ‖ borsh(self))`.
    pub fn hash(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(PARAMS_DOMAIN);
        h.update(&borsh::to_vec(self).unwrap_or_default());
        *h.finalize().as_bytes()
    }

    /// Every parameter as `(name, value)`, in a fixed order: the names the TOML file, the
    /// mismatch errors and the generated docs use.
    pub fn entries(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut put = |name: &str, value: String| out.push((name.to_string(), value));
        put("chain_id", self.chain_id.to_string());
        put("max_tx_gas", self.max_tx_gas.to_string());
        put("max_call_depth", self.max_call_depth.to_string());
        put("view_gas_cap", self.view_gas_cap.to_string());
        put("stack_limit", self.stack_limit.to_string());
        put("memory.max_tx_pages", self.memory.max_tx_pages.to_string());
        let o = &self.ops;
        for (name, v) in [
            ("default", o.default),
            ("function_entry", o.function_entry),
            ("call", o.call),
            ("division", o.division),
            ("memory_grow", o.memory_grow),
            ("memory_page", o.memory_page),
            ("bulk_per_byte", o.bulk_per_byte),
            ("table_per_element", o.table_per_element),
        ] {
            put(&format!("ops.{name}"), v.to_string());
        }
        for f in HOST_FUNCTIONS {
            let c = self.gas.get(f.id);
            put(&format!("gas.{}.base", f.name), c.base.to_string());
            put(&format!("gas.{}.per_byte", f.name), c.per_byte.to_string());
        }
        let i = &self.intrinsic;
        for (name, v) in [
            ("call_base", i.call_base),
            ("call_input_per_byte", i.call_input_per_byte),
            ("deploy_base", i.deploy_base),
            ("deploy_per_byte", i.deploy_per_byte),
            ("access_list_key", i.access_list_key),
            ("new_slot_surcharge", i.new_slot_surcharge),
        ] {
            put(&format!("intrinsic.{name}"), v.to_string());
        }
        let l = &self.limits;
        for (name, v) in [
            ("max_value_len", l.max_value_len),
            ("max_event_data", l.max_event_data),
            ("max_events_per_tx", l.max_events_per_tx),
            ("max_input_len", l.max_input_len),
            ("max_return_len", l.max_return_len),
            ("max_crypto_input", l.max_crypto_input),
            ("max_entry_len", l.max_entry_len),
            ("max_access_list_keys", l.max_access_list_keys),
        ] {
            put(&format!("limits.{name}"), v.to_string());
        }
        for (name, v) in self.wasm.entries() {
            put(&format!("wasm.{name}"), v);
        }
        let n = &self.native;
        put("native.transfer_gas", n.transfer_gas.to_string());
        put("native.system_gas", n.system_gas.to_string());
        put("native.min_stake", n.min_stake.to_string());
        put("native.unbonding_period", n.unbonding_period.to_string());
        put("native.jail_period", n.jail_period.to_string());
        put("native.min_key_len", n.min_key_len.to_string());
        put("native.max_key_len", n.max_key_len.to_string());
        put("native.max_signers", n.max_signers.to_string());
        put("native.slash_jail", n.slash_jail.to_string());
        put("native.query_gas", n.query_gas.to_string());
        put("native.query_per_byte", n.query_per_byte.to_string());
        put("crypto.falcon_message_weight", self.crypto.falcon_message_weight.to_string());
        put("crypto.threshold_committee_key", hex::encode(self.crypto.threshold_committee_key));
        put("contracts.upgrade_grace_waves", self.contracts.upgrade_grace_waves.to_string());
        out
    }

    /// Sets the parameter `name` (as [`entries`](Self::entries) names it) from its text.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        fn num<T: std::str::FromStr>(name: &str, value: &str) -> Result<T> {
            value
                .trim()
                .replace('_', "")
                .parse()
                .map_err(|_| Error::Config(format!("consensus parameter `{name}`: `{value}` is not a valid number")))
        }
        let unknown = || Err(Error::Config(format!("unknown consensus parameter `{name}`")));
        if let Some(rest) = name.strip_prefix("gas.") {
            let Some((f, part)) = rest.rsplit_once('.') else { return unknown() };
            let Some(id) = HostFn::by_name(f) else {
                return Err(Error::Config(format!("gas override for unknown host function `{f}`")));
            };
            let mut cost = self.gas.get(id);
            match part {
                "base" => cost.base = num(name, value)?,
                "per_byte" => cost.per_byte = num(name, value)?,
                _ => return unknown(),
            }
            self.gas.set(f, cost)?;
            return Ok(());
        }
        if let Some(field) = name.strip_prefix("wasm.") {
            return self
                .wasm
                .set(field, value)
                .map_err(|e| Error::Config(format!("consensus parameter `{name}`: {e}")));
        }
        let (o, i, l, n) = (&mut self.ops, &mut self.intrinsic, &mut self.limits, &mut self.native);
        match name {
            "chain_id" => self.chain_id = num(name, value)?,
            "max_tx_gas" => self.max_tx_gas = num(name, value)?,
            "max_call_depth" => self.max_call_depth = num(name, value)?,
            "view_gas_cap" => self.view_gas_cap = num(name, value)?,
            "stack_limit" => self.stack_limit = num(name, value)?,
            "memory.max_tx_pages" => self.memory.max_tx_pages = num(name, value)?,
            "ops.default" => o.default = num(name, value)?,
            "ops.function_entry" => o.function_entry = num(name, value)?,
            "ops.call" => o.call = num(name, value)?,
            "ops.division" => o.division = num(name, value)?,
            "ops.memory_grow" => o.memory_grow = num(name, value)?,
            "ops.memory_page" => o.memory_page = num(name, value)?,
            "ops.bulk_per_byte" => o.bulk_per_byte = num(name, value)?,
            "ops.table_per_element" => o.table_per_element = num(name, value)?,
            "intrinsic.call_base" => i.call_base = num(name, value)?,
            "intrinsic.call_input_per_byte" => i.call_input_per_byte = num(name, value)?,
            "intrinsic.deploy_base" => i.deploy_base = num(name, value)?,
            "intrinsic.deploy_per_byte" => i.deploy_per_byte = num(name, value)?,
            "intrinsic.access_list_key" => i.access_list_key = num(name, value)?,
            "intrinsic.new_slot_surcharge" => i.new_slot_surcharge = num(name, value)?,
            "limits.max_value_len" => l.max_value_len = num(name, value)?,
            "limits.max_event_data" => l.max_event_data = num(name, value)?,
            "limits.max_events_per_tx" => l.max_events_per_tx = num(name, value)?,
            "limits.max_input_len" => l.max_input_len = num(name, value)?,
            "limits.max_return_len" => l.max_return_len = num(name, value)?,
            "limits.max_crypto_input" => l.max_crypto_input = num(name, value)?,
            "limits.max_entry_len" => l.max_entry_len = num(name, value)?,
            "limits.max_access_list_keys" => l.max_access_list_keys = num(name, value)?,
            "native.transfer_gas" => n.transfer_gas = num(name, value)?,
            "native.system_gas" => n.system_gas = num(name, value)?,
            "native.min_stake" => n.min_stake = num(name, value)?,
            "native.unbonding_period" => n.unbonding_period = num(name, value)?,
            "native.jail_period" => n.jail_period = num(name, value)?,
            "native.min_key_len" => n.min_key_len = num(name, value)?,
            "native.max_key_len" => n.max_key_len = num(name, value)?,
            "native.max_signers" => n.max_signers = num(name, value)?,
            "native.query_gas" => n.query_gas = num(name, value)?,
            "native.query_per_byte" => n.query_per_byte = num(name, value)?,
            "crypto.falcon_message_weight" => self.crypto.falcon_message_weight = num(name, value)?,
            "crypto.threshold_committee_key" => {
                let bytes = hex::decode(value.trim().trim_start_matches("0x")).ok();
                self.crypto.threshold_committee_key =
                    bytes.and_then(|b| <[u8; 32]>::try_from(b).ok()).ok_or_else(|| {
                        Error::Config(format!("consensus parameter `{name}`: `{value}` is not 32 bytes of hex"))
                    })?;
            }
            "contracts.upgrade_grace_waves" => self.contracts.upgrade_grace_waves = num(name, value)?,
            "native.slash_jail" => {
                n.slash_jail = value.trim().parse().map_err(|_| {
                    Error::Config(format!("consensus parameter `{name}`: `{value}` is not true or false"))
                })?
            }
            _ => return unknown(),
        }
        Ok(())
    }

    /// The parameters that differ between `self` and `other`: `(name, self's value, other's)`.
    pub fn diff(&self, other: &ConsensusParams) -> Vec<(String, String, String)> {
        let (a, b) = (self.entries(), other.entries());
        a.into_iter().zip(b).filter(|(x, y)| x.1 != y.1).map(|(x, y)| (x.0, x.1, y.1)).collect()
    }

    /// Checks the values are usable (a chain file may set anything).
    pub fn validate(&self) -> Result<()> {
        let bad = |what: &str| Err(Error::Config(what.to_string()));
        if self.max_call_depth == 0 {
            return bad("consensus.max_call_depth must be at least 1");
        }
        if self.max_call_depth > 1024 {
            return bad("consensus.max_call_depth must be at most 1024");
        }
        if self.max_tx_gas == 0 || self.max_tx_gas > gas::MAX_TX_GAS {
            return Err(Error::Config(format!("consensus.max_tx_gas must be in 1..={}", gas::MAX_TX_GAS)));
        }
        if self.stack_limit == 0 || self.stack_limit > (1 << 30) {
            return bad("consensus.stack_limit must be in 1..=2^30");
        }
        if self.memory.max_tx_pages == 0 || self.memory.max_tx_pages > 65_536 {
            return bad("consensus.memory.max_tx_pages must be in 1..=65536");
        }
        if self.wasm.max_memory_pages > u64::from(self.memory.max_tx_pages) {
            return bad("consensus.wasm.max_memory_pages must not exceed consensus.memory.max_tx_pages");
        }
        if self.native.max_signers > 250 {
            return bad("consensus.native.max_signers must be at most 250");
        }
        Ok(())
    }
}

/// Consensus parameters that replace the ones in force from wave `at_wave` on.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ParamsUpgrade {
    /// First wave executed under `params`.
    pub at_wave: u64,
    /// The new parameters.
    pub params: ConsensusParams,
}

/// Machine-local settings: a validator may choose them freely, none can change a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NodeConfig {
    /// Contracts whose modules stay resident.
    pub module_cache_size: usize,
    /// Wave-cache entries kept between waves before it is emptied.
    pub wave_cache_max_entries: usize,
    /// Executor threads (default: the machine's cores). With more than one, a wave's
    /// transactions that declare non-conflicting access lists run side by side; the
    /// receipts, gas and roots are those of running the wave in order on one thread.
    pub threads: usize,
    /// Gas limit above which [`crate::Chain::query`] lowers a query's (queries are free, so
    /// the node bounds what one may cost it).
    pub query_gas_cap: u64,
    /// States kept readable, in waves: a pruning node deletes the JMT nodes and value versions
    /// a wave made obsolete once the wave is `retain_waves` behind the head, so reads and
    /// proofs work for the last `retain_waves` waves ([`crate::Chain::prove`]) and older ones
    /// are refused ([`crate::Error::Pruned`]). `0`: an archive node, which keeps every state
    /// (and writes no stale index). Pruning only covers waves committed while it was on.
    pub retain_waves: u64,
    /// Waves longer than this are committed in chunks of this many transactions
    /// ([`crate::Chain::execute_wave_streamed`]): the same receipts and roots, and the memory a
    /// commit holds (its JMT update and write batch, ~5 KB per transaction) bounded by the
    /// chunk instead of the wave. Small chunks cost throughput (each rewrites the upper JMT
    /// levels and records what it added; a 200K-transfer wave end to end in chunks of 25K:
    /// 0.61–0.69× at once; in two chunks of 100K: 0.76–1.09×, `docs/benchmarks.md`). `0`:
    /// always at once.
    pub commit_chunk: usize,
    /// A check of the scheduler, for tests: run each level's transactions one at a time in
    /// reverse wave order instead of side by side. Any order within a level must give the
    /// receipts of the sequential run, so this turns a scheduling mistake, which timing would
    /// only sometimes expose, into a deterministic difference.
    #[doc(hidden)]
    pub reverse_levels: bool,
}

/// The machine's cores (1 when the platform cannot say).
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            module_cache_size: 256,
            wave_cache_max_entries: 4_000_000,
            threads: default_threads(),
            query_gas_cap: 100_000_000,
            retain_waves: 1_000,
            commit_chunk: 100_000,
            reverse_levels: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_hash_and_diff_name_every_changed_parameter() {
        let a = ConsensusParams::default();
        let mut b = a.clone();
        assert_eq!(a.hash(), b.hash());
        assert!(a.diff(&b).is_empty());
        b.stack_limit += 1;
        b.gas.set("sstore", GasCost { base: 6000, per_byte: 10 }).unwrap();
        b.native.min_stake = 7;
        assert_ne!(a.hash(), b.hash());
        let names: Vec<String> = a.diff(&b).into_iter().map(|d| d.0).collect();
        assert_eq!(names, ["stack_limit", "gas.sstore.base", "native.min_stake"]);
    }

    #[test]
    fn set_accepts_every_entry_name_and_round_trips_its_value() {
        let base = ConsensusParams::default();
        for (name, value) in base.entries() {
            let mut p = ConsensusParams::default();
            p.set(&name, &value).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(p, base, "{name}");
        }
        let mut p = ConsensusParams::default();
        assert!(p.set("stack_limit", "x").is_err());
        assert!(p.set("bogus", "1").is_err());
        assert!(p.set("gas.fd_write.base", "1").is_err());
        p.set("wasm.max_code_size", "1000").unwrap();
        assert_eq!(p.wasm.max_code_size, 1000);
    }

    #[test]
    fn the_committee_key_parameter_takes_32_bytes_of_hex_and_nothing_else() {
        let mut p = ConsensusParams::default();
        let key = "0x".to_string() + &"ab".repeat(32);
        p.set("crypto.threshold_committee_key", &key).unwrap();
        assert_eq!(p.crypto.threshold_committee_key, [0xab; 32]);
        for bad in ["ab".repeat(31), "ab".repeat(33), "zz".repeat(32), String::new()] {
            let e = p.set("crypto.threshold_committee_key", &bad).unwrap_err().to_string();
            assert!(e.contains("32 bytes of hex"), "{bad}: {e}");
        }
        assert_eq!(p.crypto.threshold_committee_key, [0xab; 32], "a refused value changes nothing");
        assert_ne!(p.hash(), ConsensusParams::default().hash(), "the committee key is consensus");
    }

    #[test]
    fn every_entry_name_is_unique() {
        let e = ConsensusParams::default().entries();
        let mut names: Vec<&String> = e.iter().map(|x| &x.0).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), e.len());
    }
}
