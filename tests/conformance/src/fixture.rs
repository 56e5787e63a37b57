//! The fixture format (TOML) and how a fixture becomes transactions.
//!
//! ```toml
//! description = "what the fixture shows"
//! skip = [{ config = "wasmtime-fuel", why = "..." }]   # optional
//!
//! [[contract]]                  # code, by name; deployed by a `deploy` transaction
//! name = "relay"
//! wat = "tests/corpus/relay.wat"       # or wasm = "examples/wasm/token.wasm",
//!                                      # or text = "(module ...)", or driver = "hostcall"
//!
//! [[wave]]                      # one committed wave
//! [[wave.tx]]
//! deploy = "relay"              # from account 1 unless `from` says otherwise
//! [[wave.tx]]
//! call = "relay"                # a contract by name (or `address = "@N"`)
//! entry = "write"
//! input = "@relay u8:1"         # see `encode_input`
//! from = 2                      # sender account index (default 1)
//! gas = 1000000                 # gas limit (default 10M)
//! [[wave.tx]]
//! hostcall = "sload"            # the generated host-call driver (contract "hostcall")
//! args = [0, 64, 8]
//! preload = "0: 01 02"          # bytes written into guest memory first: "offset: input tokens"
//! out = [64, 8]                 # guest memory window appended to the return data
//! ```
//!
//! Every address token is resolved when the wave's transactions are built: `@name` is the
//! contract `name` deployed (its first deploy), `@N` account N.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use vmhost_abi::{keys, AccessList, Address, ContractType, NativeTx, StateKey, Transaction, TxKind};

/// A fixture as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// What the fixture shows.
    pub description: String,
    /// Backend configurations the fixture does not apply to, with the reason.
    #[serde(default)]
    pub skip: Vec<Skip>,
    /// The codes it deploys, by name.
    #[serde(default, rename = "contract")]
    pub contracts: Vec<Contract>,
    /// The waves, in order.
    #[serde(rename = "wave")]
    pub waves: Vec<Wave>,
    /// The fixture's name (its file stem).
    #[serde(skip)]
    pub name: String,
}

/// A configuration a fixture skips.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Skip {
    /// The configuration's name.
    pub config: String,
    /// Why it does not apply.
    pub why: String,
}

/// A named code.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    /// Name, for `deploy`, `call` and `@name`.
    pub name: String,
    /// A `.wat` file (relative to the repository root).
    pub wat: Option<String>,
    /// A `.wasm` file.
    pub wasm: Option<String>,
    /// Inline WAT.
    pub text: Option<String>,
    /// A generated driver: `hostcall` (every host function all contracts may call) or
    /// `hostcall_parachain` (every host function, for parachains).
    pub driver: Option<String>,
    /// Inline hex bytes (for malformed modules).
    pub hex: Option<String>,
}

/// One wave.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wave {
    /// Its transactions, in order.
    #[serde(rename = "tx")]
    pub txs: Vec<Tx>,
    /// Waves to skip before this one (wave ids advance by `1 + gap`): for grace periods.
    #[serde(default)]
    pub gap: u64,
}

/// One transaction, in one of its forms (exactly one of `deploy`, `call`, `address`,
/// `hostcall`, `native`, `upgrade`, `cancel_upgrade`, `renounce_upgrades`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tx {
    /// Deploy this contract.
    pub deploy: Option<String>,
    /// The name the deployed contract goes by (default: the code's name), for deploying one
    /// code twice.
    #[serde(rename = "as")]
    pub alias: Option<String>,
    /// Deploy as a parachain / call as a parachain call.
    #[serde(default)]
    pub parachain: bool,
    /// Deploy as non-reentrant.
    #[serde(default)]
    pub non_reentrant: bool,
    /// Deposit of a deploy.
    #[serde(default)]
    pub deposit: u128,
    /// The deploy's contract type: `wasm` (default), `native`, or a plugin id.
    pub vm: Option<String>,
    /// Call this contract (by name).
    pub call: Option<String>,
    /// Call this address (an input token, `@N` or hex).
    pub address: Option<String>,
    /// Entry point (default `run`).
    pub entry: Option<String>,
    /// Input (see [`encode_input`]).
    #[serde(default)]
    pub input: String,
    /// Value attached.
    #[serde(default)]
    pub value: u128,
    /// A host function, through the generated driver.
    pub hostcall: Option<String>,
    /// The host function's raw arguments.
    #[serde(default)]
    pub args: Vec<i64>,
    /// Guest memory written before the host call: `"offset: tokens"`.
    #[serde(default)]
    pub preload: String,
    /// Guest memory appended to the return data after the host call: `[offset, len]`.
    #[serde(default)]
    pub out: Vec<u32>,
    /// A native transaction: `transfer`, `validator_register`, `validator_unbond`,
    /// `validator_rotate_key`, `validator_unjail`, `multisig_create` (named with `as`),
    /// `multisig_spend`, `slashing`.
    pub native: Option<String>,
    /// Native `to` (an address token).
    pub to: Option<String>,
    /// Native amount or stake.
    #[serde(default)]
    pub amount: u128,
    /// Native key bytes (input tokens).
    #[serde(default)]
    pub key: String,
    /// Multisig signers / approvals (address tokens).
    #[serde(default)]
    pub signers: Vec<String>,
    /// Multisig threshold.
    #[serde(default)]
    pub threshold: u8,
    /// Multisig address (an address token).
    pub multisig: Option<String>,
    /// Slashing: the validator (an address token).
    pub validator: Option<String>,
    /// Slashing: the evidence hash (input tokens, 32 bytes).
    #[serde(default)]
    pub evidence: String,
    /// Slashing: the fraction, basis points.
    #[serde(default)]
    pub fraction_bps: u16,
    /// Sent by the system address (slashing evidence) instead of an account.
    #[serde(default)]
    pub system: bool,
    /// Propose an upgrade of this contract (by name) to `code`.
    pub upgrade: Option<String>,
    /// The upgrade's code (a contract name).
    pub code: Option<String>,
    /// Cancel this contract's pending upgrade.
    pub cancel_upgrade: Option<String>,
    /// Renounce this contract's upgrades.
    pub renounce_upgrades: Option<String>,
    /// Sender account index (default 1).
    pub from: Option<u64>,
    /// Gas limit (default 10M; `max` for the chain's maximum).
    pub gas: Option<toml::Value>,
    /// Added to the sender's next nonce (to make a bad nonce).
    #[serde(default)]
    pub nonce_offset: i64,
    /// Chain id (default the chain's).
    pub chain_id: Option<u64>,
    /// Declared keys read (key tokens: `account:@X`, `contract:@X`, `code:@X`,
    /// `storage:@X:<hex slot>`).
    pub reads: Option<Vec<String>>,
    /// Declared keys written. A transaction with `reads` or `writes` carries an access list.
    pub writes: Option<Vec<String>>,
}

/// A fixture could not be read or built.
#[derive(Debug, thiserror::Error)]
#[error("fixture {fixture}: {message}")]
pub struct FixtureError {
    /// The fixture.
    pub fixture: String,
    /// What is wrong.
    pub message: String,
}

impl Fixture {
    /// Parses a fixture file's text.
    pub fn parse(name: &str, text: &str) -> Result<Fixture, FixtureError> {
        let mut f: Fixture =
            toml::from_str(text).map_err(|e| FixtureError { fixture: name.into(), message: e.to_string() })?;
        f.name = name.to_string();
        Ok(f)
    }

    /// Whether the fixture applies to configuration `config`.
    pub fn skips(&self, config: &str) -> Option<&str> {
        self.skip.iter().find(|s| s.config == config).map(|s| s.why.as_str())
    }

    pub(crate) fn err(&self, message: impl Into<String>) -> FixtureError {
        FixtureError { fixture: self.name.clone(), message: message.into() }
    }

    /// The bytes of every contract, by name (files relative to `root`).
    pub fn codes(&self, root: &Path) -> Result<BTreeMap<String, Vec<u8>>, FixtureError> {
        let mut out = BTreeMap::new();
        for c in &self.contracts {
            let bytes = match (&c.wat, &c.wasm, &c.text, &c.driver, &c.hex) {
                (Some(p), None, None, None, None) => {
                    wat::parse_file(root.join(p)).map_err(|e| self.err(format!("{p}: {e}")))?
                }
                (None, Some(p), None, None, None) => {
                    std::fs::read(root.join(p)).map_err(|e| self.err(format!("{p}: {e}")))?
                }
                (None, None, Some(t), None, None) => {
                    wat::parse_str(t).map_err(|e| self.err(format!("contract {}: {e}", c.name)))?
                }
                (None, None, None, Some(d), None) => {
                    let text = crate::driver::wat(d).ok_or_else(|| self.err(format!("unknown driver {d}")))?;
                    wat::parse_str(text).map_err(|e| self.err(format!("driver {d}: {e}")))?
                }
                (None, None, None, None, Some(h)) => hex::decode(h.split_whitespace().collect::<String>())
                    .map_err(|e| self.err(format!("{}: {e}", c.name)))?,
                _ => {
                    return Err(
                        self.err(format!("contract {} needs exactly one of wat, wasm, text, driver, hex", c.name))
                    )
                }
            };
            out.insert(c.name.clone(), bytes);
        }
        Ok(out)
    }
}

/// What transaction building needs to know about the chain so far.
#[derive(Debug, Default)]
pub struct Names {
    /// Deployed contracts by name.
    pub contracts: BTreeMap<String, Address>,
}

/// Resolves an address token: `@name` (a deployed contract), `@N` (account N), `@system`,
/// `@transfer` / `@multisig` / `@validators` (system contracts), or 64 hex digits.
pub fn address(names: &Names, token: &str) -> Result<Address, String> {
    let Some(name) = token.strip_prefix('@') else {
        let bytes = hex::decode(token.trim_start_matches("0x")).map_err(|e| format!("address {token}: {e}"))?;
        return bytes.try_into().map(Address).map_err(|_| format!("address {token}: not 32 bytes"));
    };
    if let Ok(n) = name.parse::<u64>() {
        return Ok(Address::from_index(n));
    }
    match name {
        "system" => return Ok(Address::SYSTEM),
        "transfer" => return Ok(Address::NATIVE_TRANSFER),
        "multisig" => return Ok(Address::NATIVE_MULTISIG),
        "validators" => return Ok(Address::NATIVE_VALIDATORS),
        _ => {}
    }
    names.contracts.get(name).copied().ok_or_else(|| format!("no contract named {name} deployed yet"))
}

/// Encodes an input: whitespace-separated tokens, concatenated. A token is hex bytes (optional
/// `0x`), an address token (`@…`, 32 bytes), `u8:N`, `u16:N`, `u32:N`, `u64:N`, `u128:N`
/// (little-endian), `str:TEXT` (UTF-8, no spaces), `zeros:N` or `fill:N:BYTE` (N bytes).
pub fn encode_input(names: &Names, text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for tok in text.split_whitespace() {
        if tok.starts_with('@') {
            out.extend_from_slice(&address(names, tok)?.0);
            continue;
        }
        let num = |t: &str| -> Result<u128, String> {
            match t.strip_prefix("0x") {
                Some(h) => u128::from_str_radix(h, 16),
                None => t.parse::<u128>(),
            }
            .map_err(|e| format!("{tok}: {e}"))
        };
        let fits = |v: u128, bits: u32| -> Result<u128, String> {
            if bits < 128 && v >> bits != 0 {
                return Err(format!("{tok}: does not fit {bits} bits"));
            }
            Ok(v)
        };
        match tok.split_once(':') {
            Some(("u8", v)) => out.push(fits(num(v)?, 8)? as u8),
            Some(("u16", v)) => out.extend_from_slice(&(fits(num(v)?, 16)? as u16).to_le_bytes()),
            Some(("u32", v)) => out.extend_from_slice(&(fits(num(v)?, 32)? as u32).to_le_bytes()),
            Some(("u64", v)) => out.extend_from_slice(&(fits(num(v)?, 64)? as u64).to_le_bytes()),
            Some(("u128", v)) => out.extend_from_slice(&num(v)?.to_le_bytes()),
            Some(("str", v)) => out.extend_from_slice(v.as_bytes()),
            Some(("zeros", v)) => out.resize(out.len() + num(v)? as usize, 0),
            Some(("fill", v)) => {
                let (n, b) = v.split_once(':').ok_or_else(|| format!("{tok}: fill:N:BYTE"))?;
                out.resize(out.len() + num(n)? as usize, fits(num(b)?, 8)? as u8);
            }
            Some(_) => return Err(format!("unknown token {tok}")),
            None => out.extend(hex::decode(tok.trim_start_matches("0x")).map_err(|e| format!("{tok}: {e}"))?),
        }
    }
    Ok(out)
}

/// Resolves a key token: `account:@X`, `contract:@X`, `code:NAME` (the code of contract
/// NAME), `storage:@X:<hex slot>`.
pub fn state_key(names: &Names, codes: &BTreeMap<String, Vec<u8>>, token: &str) -> Result<StateKey, String> {
    let (kind, rest) = token.split_once(':').ok_or_else(|| format!("key {token}: kind:what"))?;
    Ok(match kind {
        "account" => keys::account(&address(names, rest)?),
        "contract" => keys::contract(&address(names, rest)?),
        "code" => {
            let code = codes.get(rest).ok_or_else(|| format!("key {token}: no contract {rest}"))?;
            keys::code(blake3::hash(code).as_bytes())
        }
        "storage" => {
            let (who, slot) = rest.split_once(':').ok_or_else(|| format!("key {token}: storage:@X:slot"))?;
            let slot: [u8; 32] =
                encode_input(names, slot)?.try_into().map_err(|_| format!("key {token}: the slot must be 32 bytes"))?;
            keys::storage(&address(names, who)?, &slot)
        }
        _ => return Err(format!("key {token}: unknown kind {kind}")),
    })
}

/// What a built transaction deploys (to record its address once it succeeded).
#[derive(Debug, Clone)]
pub struct Built {
    /// The transaction.
    pub tx: Transaction,
    /// `Some(name)` for a deploy of contract `name` (or a multisig created under a name).
    pub deploys: Option<String>,
    /// The named address when it is not a deploy's (a multisig's).
    pub at: Option<Address>,
}

impl Tx {
    /// The sender.
    pub fn sender(&self) -> Address {
        if self.system {
            return Address::SYSTEM;
        }
        Address::from_index(self.from.unwrap_or(1))
    }

    /// Builds the transaction with `nonce` (the sender's next one) on chain `chain_id`.
    pub fn build(
        &self,
        names: &Names,
        codes: &BTreeMap<String, Vec<u8>>,
        nonce: u64,
        chain_id: u64,
        max_gas: u64,
    ) -> Result<Built, String> {
        let code_of = |name: &str| codes.get(name).cloned().ok_or_else(|| format!("no contract named {name}"));
        let contract_of = |name: &str| address(names, &format!("@{name}"));
        let entry = self.entry.clone().unwrap_or_else(|| "run".into());
        let mut deploys = None;
        let mut multisig = None;
        let kind = if let Some(name) = &self.deploy {
            deploys = Some(self.alias.clone().unwrap_or_else(|| name.clone()));
            TxKind::ContractDeploy {
                vm: match self.vm.as_deref() {
                    None | Some("wasm") => ContractType::Wasm,
                    Some("native") => ContractType::Native,
                    Some(other) => ContractType::Plugin(other.into()),
                },
                code: code_of(name)?,
                deposit: self.deposit,
                parachain: self.parachain,
                non_reentrant: self.non_reentrant,
            }
        } else if let Some(f) = &self.hostcall {
            let driver = if self.parachain { "hostcall_parachain" } else { "hostcall" };
            let input = crate::driver::input(names, f, &self.args, &self.preload, &self.out)?;
            let contract = contract_of(driver)?;
            call_kind(self.parachain, contract, "run".into(), input, self.value)
        } else if let Some(name) = self.call.as_ref().or(self.address.as_ref()) {
            let contract = if self.call.is_some() { contract_of(name)? } else { address(names, name)? };
            call_kind(self.parachain, contract, entry, encode_input(names, &self.input)?, self.value)
        } else if let Some(n) = &self.native {
            let native = self.native_tx(names, n)?;
            if let (NativeTx::MultisigCreate { signers, threshold }, Some(alias)) = (&native, &self.alias) {
                deploys = Some(alias.clone());
                multisig = Some(vmhost_native::multisig_address(signers, *threshold));
            }
            TxKind::Native(native)
        } else if let Some(name) = &self.upgrade {
            let code = self.code.as_deref().ok_or("an upgrade needs `code`")?;
            TxKind::ContractUpgrade { contract: contract_of(name)?, code: code_of(code)? }
        } else if let Some(name) = &self.cancel_upgrade {
            TxKind::ContractUpgradeCancel { contract: contract_of(name)? }
        } else if let Some(name) = &self.renounce_upgrades {
            TxKind::ContractRenounceUpgrades { contract: contract_of(name)? }
        } else {
            return Err("a transaction needs one of deploy, call, address, hostcall, native, upgrade, \
                        cancel_upgrade, renounce_upgrades"
                .into());
        };
        let gas_limit = match &self.gas {
            None => 10_000_000,
            Some(toml::Value::Integer(g)) => u64::try_from(*g).map_err(|_| "gas must be positive")?,
            Some(toml::Value::String(s)) if s == "max" => max_gas,
            Some(other) => return Err(format!("gas {other}: a number or \"max\"")),
        };
        let access_list = match (&self.reads, &self.writes) {
            (None, None) => None,
            (r, w) => {
                let mut list = AccessList::new();
                for t in r.iter().flatten() {
                    list = list.read(state_key(names, codes, t)?);
                }
                for t in w.iter().flatten() {
                    list = list.write(state_key(names, codes, t)?);
                }
                Some(list)
            }
        };
        let nonce = nonce.checked_add_signed(self.nonce_offset).ok_or("nonce_offset out of range")?;
        Ok(Built {
            at: multisig,
            tx: Transaction {
                sender: self.sender(),
                nonce,
                gas_limit,
                chain_id: self.chain_id.unwrap_or(chain_id),
                access_list,
                kind,
            },
            deploys,
        })
    }

    fn native_tx(&self, names: &Names, which: &str) -> Result<NativeTx, String> {
        let addr =
            |t: &Option<String>, what: &str| address(names, t.as_deref().ok_or(format!("{which} needs `{what}`"))?);
        let addrs = |ts: &[String]| ts.iter().map(|t| address(names, t)).collect::<Result<Vec<_>, _>>();
        Ok(match which {
            "transfer" => NativeTx::Transfer { to: addr(&self.to, "to")?, amount: self.amount },
            "validator_register" => {
                NativeTx::ValidatorRegister { stake: self.amount, consensus_key: encode_input(names, &self.key)? }
            }
            "validator_unbond" => NativeTx::ValidatorUnbond { amount: self.amount },
            "validator_rotate_key" => NativeTx::ValidatorRotateKey { new_key: encode_input(names, &self.key)? },
            "validator_unjail" => NativeTx::ValidatorUnjail,
            "multisig_create" => NativeTx::MultisigCreate { signers: addrs(&self.signers)?, threshold: self.threshold },
            "slashing" => {
                let evidence: [u8; 32] = encode_input(names, &self.evidence)?
                    .try_into()
                    .map_err(|_| "slashing evidence must be 32 bytes".to_string())?;
                NativeTx::Slashing {
                    validator: addr(&self.validator, "validator")?,
                    evidence,
                    fraction_bps: self.fraction_bps,
                }
            }
            "multisig_spend" => NativeTx::MultisigSpend {
                multisig: addr(&self.multisig, "multisig")?,
                to: addr(&self.to, "to")?,
                amount: self.amount,
                approvals: addrs(&self.signers)?,
            },
            other => return Err(format!("unknown native transaction {other}")),
        })
    }
}

fn call_kind(parachain: bool, contract: Address, entry: String, input: Vec<u8>, value: u128) -> TxKind {
    if parachain {
        TxKind::ParachainCall { contract, entry, input, value }
    } else {
        TxKind::ContractCall { contract, entry, input, value }
    }
}
