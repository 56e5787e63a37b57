//! # vmhost-conformance — the conformance kit every backend must pass
//!
//! A fixture is a data file (`fixtures/<name>.toml`, format in [`fixture`]): the codes it
//! deploys (WAT, a built example, inline bytes, or a generated host-call driver) and a sequence
//! of waves of transactions. Its expected outcome (`fixtures/<name>.expected.toml`) holds every
//! receipt's consensus fields — status, code, gas used, return data, events, contract address —
//! and every wave's state root, events root and gas. The kit runs every fixture on every
//! backend configuration it is given, each on a fresh chain, and reports any field of any
//! receipt or wave that differs from the expectation, naming the fixture, the configuration,
//! the wave, the transaction and the field.
//!
//! ```no_run
//! use std::sync::Arc;
//! use vmhost::VmRegistry;
//! use vmhost_conformance::{Backend, Kit};
//!
//! // A third-party backend runs the whole kit with one call:
//! let mine = Backend::new("my-vm", || {
//!     let mut r = VmRegistry::new();
//!     // r.register_native(...); r.register_vm(ContractType::Wasm, Arc::new(MyVm::new()))?;
//!     r
//! });
//! let report = Kit::bundled()?.run(&[mine]);
//! print!("{}", report.table());
//! assert!(report.passed(), "{}", report.failures());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Expectations are produced by running the kit ("blessing": `VMHOST_BLESS=1` in the kit's
//! own test) and reviewed like code: a change of any receipt is a visible diff. Blessing
//! refuses to write when the configurations disagree.
//!
//! Every fixture runs on a fresh in-memory chain with accounts 1–16 funded with 10^15, chain
//! id 1, base fee 1, default consensus parameters; wave `k` (0-based) has id `k + 1` plus the
//! gaps the fixture asks for.

#[cfg(feature = "differential")]
pub mod differential;
pub mod driver;
pub mod expect;
pub mod fixture;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use vmhost::state::MemStore;
use vmhost::{Chain, ExecConfig, VmRegistry};
use vmhost_abi::{Address, Transaction};

pub use expect::{compare, Mismatch, Outcome};
pub use fixture::{Fixture, FixtureError};

/// Accounts funded at genesis: 1..=FUNDED.
pub const FUNDED: u64 = 16;
/// Their balance.
pub const BALANCE: u128 = 1_000_000_000_000_000;

/// A backend configuration under test: a name and how to build its registry (a fresh one per
/// fixture, so no fixture sees another's warm instances or caches).
pub struct Backend<'a> {
    /// Its name in the report (and in fixtures' `skip` lists).
    pub name: String,
    make: Box<dyn Fn() -> VmRegistry + 'a>,
}

impl std::fmt::Debug for Backend<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend").field("name", &self.name).finish()
    }
}

impl<'a> Backend<'a> {
    /// A configuration named `name` whose registry `make` builds.
    pub fn new(name: impl Into<String>, make: impl Fn() -> VmRegistry + 'a) -> Self {
        Backend { name: name.into(), make: Box::new(make) }
    }

    /// A registry of this configuration.
    pub fn registry(&self) -> VmRegistry {
        (self.make)()
    }
}

/// The block context of wave `wave_id` (the host's test helper: height = wave id, base fee 1).
pub use vmhost::testing::block;

/// Runs `fixture` (its codes `codes`) on a fresh chain with `registry`.
pub fn run_fixture(
    fixture: &Fixture,
    codes: &BTreeMap<String, Vec<u8>>,
    registry: VmRegistry,
) -> Result<Outcome, String> {
    run_fixture_with(fixture, codes, registry, ExecConfig::default())
}

/// [`run_fixture`] on a chain opened with `exec`.
pub fn run_fixture_with(
    fixture: &Fixture,
    codes: &BTreeMap<String, Vec<u8>>,
    registry: VmRegistry,
    exec: ExecConfig,
) -> Result<Outcome, String> {
    Ok(run_waves(fixture, codes, registry, exec)?.0)
}

/// [`run_fixture_with`], then the same transactions again on a fresh chain through
/// [`Chain::execute_waves`] (each wave's store write overlapping the next wave's execution):
/// returns the pipelined run's outcome, which must be the same. (The transactions are built
/// by the first run, as their nonces and contract addresses depend on the waves before.)
pub fn run_fixture_pipelined(
    fixture: &Fixture,
    codes: &BTreeMap<String, Vec<u8>>,
    registry: VmRegistry,
    exec: ExecConfig,
) -> Result<Outcome, String> {
    let (_, waves) = run_waves(fixture, codes, registry.clone(), exec.clone())?;
    let mut chain = open_funded(registry, exec)?;
    let mut outcome = Outcome { waves: Vec::new() };
    chain
        .execute_waves(waves, |out| outcome.waves.push(expect::WaveOutcome::of(&out.record, &out.receipts)))
        .map_err(|e| format!("pipelined, after {} waves: {e}", outcome.waves.len()))?;
    Ok(outcome)
}

fn open_funded(registry: VmRegistry, exec: ExecConfig) -> Result<Chain, String> {
    let mut chain = Chain::open(Arc::new(MemStore::new()), registry, exec).map_err(|e| e.to_string())?;
    let alloc: Vec<(Address, u128)> = (1..=FUNDED).map(|i| (Address::from_index(i), BALANCE)).collect();
    chain.genesis(&alloc).map_err(|e| e.to_string())?;
    Ok(chain)
}

/// Runs the fixture wave by wave; returns its outcome and the waves it ran.
#[allow(clippy::type_complexity)]
fn run_waves(
    fixture: &Fixture,
    codes: &BTreeMap<String, Vec<u8>>,
    registry: VmRegistry,
    exec: ExecConfig,
) -> Result<(Outcome, Vec<(vmhost_abi::BlockContext, Vec<Transaction>)>), String> {
    let mut chain = open_funded(registry, exec)?;
    let mut names = fixture::Names::default();
    let mut waves = Vec::new();
    let mut ran = Vec::new();
    let mut wave_id = 0u64;
    for (w, wave) in fixture.waves.iter().enumerate() {
        wave_id += 1 + wave.gap;
        let params = chain.params_at(wave_id).clone();
        let mut next_nonce: BTreeMap<Address, u64> = BTreeMap::new();
        let mut txs = Vec::with_capacity(wave.txs.len());
        for (t, tx) in wave.txs.iter().enumerate() {
            let sender = tx.sender();
            let nonce = match next_nonce.get(&sender) {
                Some(n) => *n,
                None => chain.account(&sender).map_err(|e| e.to_string())?.nonce,
            };
            next_nonce.insert(sender, nonce + 1);
            let built = tx
                .build(&names, codes, nonce, params.chain_id, params.max_tx_gas)
                .map_err(|e| format!("wave {w} tx {t}: {e}"))?;
            if let Some(name) = built.deploys {
                let at = built.at.unwrap_or_else(|| Address::contract(&sender, built.tx.nonce));
                names.contracts.entry(name).or_insert(at);
            }
            txs.push(built.tx);
        }
        let out = chain.execute_wave(&block(wave_id), &txs).map_err(|e| format!("wave {w}: {e}"))?;
        waves.push(expect::WaveOutcome::of(&out.record, &out.receipts));
        ran.push((block(wave_id), txs));
    }
    Ok((Outcome { waves }, ran))
}

/// How one fixture fared on one configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every field as expected.
    Pass,
    /// The fixture does not apply to the configuration (the reason).
    Skipped(String),
    /// Fields that differ from the expectation.
    Fail(Vec<Mismatch>),
    /// The fixture has no expectation yet (bless it).
    Unblessed,
    /// The run itself failed (an infrastructure error, a bad fixture).
    Error(String),
}

/// The kit's results: fixture × configuration.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Configuration names, in order.
    pub configs: Vec<String>,
    /// Per fixture (in name order): its verdict on each configuration, and the outcome each
    /// produced (for blessing).
    pub rows: Vec<(String, Vec<Verdict>, Vec<Option<Outcome>>)>,
}

impl Report {
    /// Whether every fixture passed (or was skipped) on every configuration.
    pub fn passed(&self) -> bool {
        self.rows.iter().all(|(_, v, _)| v.iter().all(|v| matches!(v, Verdict::Pass | Verdict::Skipped(_))))
    }

    /// A table: one row per fixture, one column per configuration.
    pub fn table(&self) -> String {
        let width = self.rows.iter().map(|(n, _, _)| n.len()).max().unwrap_or(7).max(7);
        let mut s = format!("{:<width$}", "fixture");
        for c in &self.configs {
            s.push_str(&format!("  {c:>18}"));
        }
        s.push('\n');
        let mut totals = vec![0usize; self.configs.len()];
        for (name, verdicts, _) in &self.rows {
            s.push_str(&format!("{name:<width$}"));
            for (i, v) in verdicts.iter().enumerate() {
                let cell = match v {
                    Verdict::Pass => {
                        totals[i] += 1;
                        "pass".to_string()
                    }
                    Verdict::Skipped(_) => "skip".to_string(),
                    Verdict::Fail(m) => format!("FAIL ({})", m.len()),
                    Verdict::Unblessed => "UNBLESSED".to_string(),
                    Verdict::Error(_) => "ERROR".to_string(),
                };
                s.push_str(&format!("  {cell:>18}"));
            }
            s.push('\n');
        }
        s.push_str(&format!("{:<width$}", "passed"));
        for t in totals {
            s.push_str(&format!("  {:>18}", format!("{t}/{}", self.rows.len())));
        }
        s.push('\n');
        s
    }

    /// Every failure, one per line: fixture, configuration, wave, transaction, field.
    pub fn failures(&self) -> String {
        let mut s = String::new();
        for (name, verdicts, _) in &self.rows {
            for (config, v) in self.configs.iter().zip(verdicts) {
                match v {
                    Verdict::Fail(ms) => {
                        for m in ms {
                            s.push_str(&format!("{name} on {config}: {m}\n"));
                        }
                    }
                    Verdict::Error(e) => s.push_str(&format!("{name} on {config}: error: {e}\n")),
                    Verdict::Unblessed => s.push_str(&format!("{name} on {config}: no expected outcome\n")),
                    _ => {}
                }
            }
        }
        s
    }
}

/// A set of fixtures and their expectations.
#[derive(Debug, Clone)]
pub struct Kit {
    /// Where contract paths are resolved (the repository root).
    pub root: PathBuf,
    /// The fixtures' directory.
    pub dir: PathBuf,
    /// The fixtures, by name.
    pub fixtures: Vec<Fixture>,
    /// The executor configuration every fixture's chain opens with (default: the defaults).
    /// Node-local settings must not change an outcome, so the expectations hold for any.
    pub exec: ExecConfig,
    /// Run every fixture's waves pipelined ([`run_fixture_pipelined`]) instead of one by one.
    pub pipelined: bool,
}

/// Errors loading a kit.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KitError {
    /// A file could not be read or written.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// A fixture is malformed.
    #[error(transparent)]
    Fixture(#[from] FixtureError),
    /// Blessing refused.
    #[error("cannot bless: {0}")]
    Bless(String),
}

impl Kit {
    /// The kit shipped with vmhost (`tests/conformance/fixtures`, contracts resolved from the
    /// repository root).
    pub fn bundled() -> Result<Kit, KitError> {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = here.parent().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_default();
        Kit::load(&root, &here.join("fixtures"))
    }

    /// The fixtures in `dir` (`*.toml` but `*.expected.toml`), contracts resolved from `root`.
    pub fn load(root: &Path, dir: &Path) -> Result<Kit, KitError> {
        let entries = std::fs::read_dir(dir).map_err(|e| KitError::Io(dir.into(), e))?;
        let mut fixtures = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| KitError::Io(dir.into(), e))?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
            let Some(stem) = name.strip_suffix(".toml") else { continue };
            if stem.ends_with(".expected") {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|e| KitError::Io(path.clone(), e))?;
            fixtures.push(Fixture::parse(stem, &text)?);
        }
        fixtures.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Kit { root: root.into(), dir: dir.into(), fixtures, exec: ExecConfig::default(), pipelined: false })
    }

    /// Keeps only the fixtures whose name contains `filter`.
    pub fn filter(mut self, filter: &str) -> Kit {
        self.fixtures.retain(|f| f.name.contains(filter));
        self
    }

    fn expected_path(&self, f: &Fixture) -> PathBuf {
        self.dir.join(format!("{}.expected.toml", f.name))
    }

    /// The expected outcome of `f`, if blessed.
    pub fn expected(&self, f: &Fixture) -> Result<Option<Outcome>, KitError> {
        let path = self.expected_path(f);
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text)
                .map(Some)
                .map_err(|e| KitError::Fixture(f.err(format!("{}: {e}", path.display())))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(KitError::Io(path, e)),
        }
    }

    /// Runs every fixture on every configuration.
    pub fn run(&self, backends: &[Backend<'_>]) -> Report {
        let mut report = Report { configs: backends.iter().map(|b| b.name.clone()).collect(), rows: Vec::new() };
        for f in &self.fixtures {
            let codes = f.codes(&self.root);
            let expected = self.expected(f);
            let mut verdicts = Vec::new();
            let mut outcomes = Vec::new();
            for b in backends {
                if let Some(why) = f.skips(&b.name) {
                    verdicts.push(Verdict::Skipped(why.to_string()));
                    outcomes.push(None);
                    continue;
                }
                let (codes, expected) = match (&codes, &expected) {
                    (Ok(c), Ok(e)) => (c, e),
                    (Err(e), _) => {
                        verdicts.push(Verdict::Error(e.to_string()));
                        outcomes.push(None);
                        continue;
                    }
                    (_, Err(e)) => {
                        verdicts.push(Verdict::Error(e.to_string()));
                        outcomes.push(None);
                        continue;
                    }
                };
                let run = if self.pipelined { run_fixture_pipelined } else { run_fixture_with };
                match run(f, codes, b.registry(), self.exec.clone()) {
                    Ok(actual) => {
                        verdicts.push(match expected {
                            None => Verdict::Unblessed,
                            Some(e) => match compare(e, &actual) {
                                m if m.is_empty() => Verdict::Pass,
                                m => Verdict::Fail(m),
                            },
                        });
                        outcomes.push(Some(actual));
                    }
                    Err(e) => {
                        verdicts.push(Verdict::Error(e));
                        outcomes.push(None);
                    }
                }
            }
            report.rows.push((f.name.clone(), verdicts, outcomes));
        }
        report
    }

    /// Writes each fixture's expected outcome from `report`, when every configuration that ran
    /// it produced the same outcome (a disagreement is an error, never blessed).
    pub fn bless(&self, report: &Report) -> Result<Vec<String>, KitError> {
        let mut written = Vec::new();
        for (f, (name, verdicts, outcomes)) in self.fixtures.iter().zip(&report.rows) {
            if let Some(e) = verdicts.iter().find_map(|v| match v {
                Verdict::Error(e) => Some(e),
                _ => None,
            }) {
                return Err(KitError::Bless(format!("{name}: {e}")));
            }
            let ran: Vec<&Outcome> = outcomes.iter().flatten().collect();
            let Some(first) = ran.first() else { continue };
            for (config, o) in report.configs.iter().zip(outcomes) {
                if let Some(o) = o {
                    if let Some(m) = compare(first, o).first() {
                        return Err(KitError::Bless(format!(
                            "{name}: {config} disagrees with {}: {m}",
                            report.configs[0]
                        )));
                    }
                }
            }
            let text = toml::to_string(first).map_err(|e| KitError::Bless(e.to_string()))?;
            let header = format!(
                "# Expected outcome of fixture `{name}`: written by the kit (VMHOST_BLESS=1), reviewed like code.\n"
            );
            let path = self.expected_path(f);
            let old = std::fs::read_to_string(&path).unwrap_or_default();
            let new = header + &text;
            if old != new {
                std::fs::write(&path, new).map_err(|e| KitError::Io(path.clone(), e))?;
                written.push(name.clone());
            }
        }
        Ok(written)
    }
}
