//! Contract upgrades (seed §3.10): an owner's upgrade takes effect after the grace period,
//! public meanwhile (the record and `Chain::pending_upgrade`); the owner may cancel it or
//! renounce upgrades for good; a parachain's code changes only through the governance hook;
//! the cached module is never stale across the switch.

use std::sync::Arc;

use vmhost::{ChainServices, ExecConfig, ParachainGovernance, ReferenceServices, UpgradeProposal};
use vmhost_abi::{Address, ContractType, ErrorCode, Receipt, ReceiptStatus, TxKind};
use vmhost_tests::{example_wasm, example_wat, user};
use vmhost_wasmtime::WasmtimeConfig;

use crate::wasm_examples::Env;

const GRACE: u64 = 3;

fn env() -> Env {
    let mut exec = ExecConfig::default();
    exec.consensus.set("contracts.upgrade_grace_waves", &GRACE.to_string()).unwrap();
    Env::with_exec(WasmtimeConfig::default(), exec)
}

fn lifecycle(env: &mut Env, from: u64, kind: TxKind) -> Receipt {
    let n = env.nonce(from);
    env.run(vec![vmhost::testing::tx(user(from), n, kind)]).remove(0)
}

fn propose(env: &mut Env, from: u64, contract: Address, code: Vec<u8>) -> Receipt {
    lifecycle(env, from, TxKind::ContractUpgrade { contract, code })
}

#[test]
fn an_upgrade_switches_code_after_the_grace_period_and_the_cached_module_is_never_stale() {
    let mut env = env();
    let c = env.deploy(example_wasm("counter"));
    assert!(env.call(2, c, "increment", vec![]).is_success(), "the module is resident from here on");
    let traps = example_wat("traps");
    let r = propose(&mut env, 1, c, traps.clone());
    assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");
    let proposed_at = env.wave;
    // Public from now on: the record and the code.
    let (pending, code) = env.chain.pending_upgrade(&c).unwrap().expect("pending");
    assert_eq!(code, traps);
    assert_eq!(pending.code_hash, *blake3::hash(&traps).as_bytes());
    assert_eq!((pending.proposed_at_wave, pending.activates_at_wave), (proposed_at, proposed_at + GRACE));
    // The old code runs up to the last wave before the switch...
    while env.wave + 1 < pending.activates_at_wave {
        let r = env.call(2, c, "increment", vec![]);
        assert!(r.is_success(), "wave {}: {r:?}", env.wave);
    }
    // ...and the new code from the first wave after it, with no transaction at the switch.
    let r = env.call(2, c, "increment", vec![]);
    assert_eq!(env.wave, pending.activates_at_wave);
    assert_eq!(r.code, ErrorCode::UnknownEntryPoint, "the old module is not run: {r:?}");
    assert_eq!(env.call(2, c, "unreachable", vec![]).code, ErrorCode::Unreachable, "the new code runs");
    let record = env.chain.contract(&c).unwrap().unwrap();
    assert_eq!((record.code_at(env.wave), record.version_at(env.wave)), (pending.code_hash, 1));
}

#[test]
fn the_last_wave_before_the_switch_still_runs_the_old_code() {
    let mut env = env();
    let c = env.deploy(example_wasm("counter"));
    propose(&mut env, 1, c, example_wat("traps"));
    let activates = env.chain.pending_upgrade(&c).unwrap().unwrap().0.activates_at_wave;
    env.wave = activates - 2;
    let before = env.call(2, c, "increment", vec![]);
    assert_eq!((env.wave, before.code), (activates - 1, ErrorCode::Ok), "last wave before: {before:?}");
    let after = env.call(2, c, "increment", vec![]);
    assert_eq!((env.wave, after.code), (activates, ErrorCode::UnknownEntryPoint), "first wave after: {after:?}");
}

#[test]
fn the_owner_cancels_a_pending_upgrade_and_the_old_code_keeps_running() {
    let mut env = env();
    let c = env.deploy(example_wasm("counter"));
    propose(&mut env, 1, c, example_wat("traps"));
    let hostile = lifecycle(&mut env, 2, TxKind::ContractUpgradeCancel { contract: c });
    assert_eq!((hostile.status, hostile.code), (ReceiptStatus::Failed, ErrorCode::NotOwner));
    let r = lifecycle(&mut env, 1, TxKind::ContractUpgradeCancel { contract: c });
    assert!(r.is_success(), "{r:?}");
    assert!(env.chain.pending_upgrade(&c).unwrap().is_none());
    env.wave += GRACE;
    assert!(env.call(2, c, "increment", vec![]).is_success(), "the cancelled code never runs");
    let again = lifecycle(&mut env, 1, TxKind::ContractUpgradeCancel { contract: c });
    assert_eq!(again.code, ErrorCode::NoPendingUpgrade);
    // An upgrade that took effect cannot be cancelled any more.
    propose(&mut env, 1, c, example_wat("traps"));
    env.wave += GRACE;
    let late = lifecycle(&mut env, 1, TxKind::ContractUpgradeCancel { contract: c });
    assert_eq!(late.code, ErrorCode::NoPendingUpgrade);
    let record = env.chain.contract(&c).unwrap().unwrap();
    assert_eq!((record.code_version, record.version_at(env.wave)), (0, 1), "in effect, settled at the next write");
}

#[test]
fn renounced_upgrades_are_refused_for_good_and_drop_the_pending_one() {
    let mut env = env();
    let c = env.deploy(example_wasm("counter"));
    propose(&mut env, 1, c, example_wat("traps"));
    let hostile = lifecycle(&mut env, 2, TxKind::ContractRenounceUpgrades { contract: c });
    assert_eq!(hostile.code, ErrorCode::NotOwner);
    assert!(lifecycle(&mut env, 1, TxKind::ContractRenounceUpgrades { contract: c }).is_success());
    let record = env.chain.contract(&c).unwrap().unwrap();
    assert!(record.upgrades_renounced && record.pending_upgrade.is_none(), "{record:?}");
    let r = propose(&mut env, 1, c, example_wat("traps"));
    assert_eq!((r.status, r.code), (ReceiptStatus::Failed, ErrorCode::UpgradesRenounced));
    let r = lifecycle(&mut env, 1, TxKind::ContractRenounceUpgrades { contract: c });
    assert_eq!(r.code, ErrorCode::UpgradesRenounced);
    env.wave += GRACE;
    assert!(env.call(2, c, "increment", vec![]).is_success(), "the original code runs for good");
}

#[test]
fn only_the_owner_proposes_and_bad_code_is_refused_when_proposed() {
    let mut env = env();
    let c = env.deploy(example_wasm("counter"));
    assert_eq!(propose(&mut env, 2, c, example_wasm("counter")).code, ErrorCode::NotOwner);
    assert_eq!(propose(&mut env, 1, c, b"not wasm".to_vec()).code, ErrorCode::InvalidWasm);
    assert_eq!(propose(&mut env, 1, Address::from_index(77), example_wasm("counter")).code, ErrorCode::UnknownContract);
    assert!(env.chain.pending_upgrade(&c).unwrap().is_none());
    // Code a plain contract may not import is refused for it at the proposal.
    let r = propose(&mut env, 1, c, vmhost_tests::corpus("sealer"));
    assert_eq!((r.status, r.code), (ReceiptStatus::Failed, ErrorCode::ParachainOnly));
}

#[test]
fn a_newer_proposal_replaces_the_pending_one_and_restarts_the_grace_period() {
    let mut env = env();
    let c = env.deploy(example_wasm("counter"));
    propose(&mut env, 1, c, example_wat("traps"));
    let first = env.chain.pending_upgrade(&c).unwrap().unwrap().0;
    propose(&mut env, 1, c, example_wat("counter"));
    let (second, code) = env.chain.pending_upgrade(&c).unwrap().unwrap();
    assert_eq!(code, example_wat("counter"));
    assert_eq!(second.activates_at_wave, first.activates_at_wave + 1);
    env.wave = first.activates_at_wave - 1;
    let r = env.call(2, c, "increment", vec![]);
    assert!(r.is_success(), "the replaced proposal never takes effect: {r:?}");
}

/// Approves the upgrade of any parachain to one code hash, and serves the devnet committee.
struct Governance {
    approved: [u8; 32],
    devnet: ReferenceServices,
}

impl ParachainGovernance for Governance {
    fn approve_upgrade(&self, proposal: &UpgradeProposal<'_>) -> bool {
        proposal.new_code_hash == self.approved && proposal.record.parachain
    }
}

impl ChainServices for Governance {
    fn threshold_committee_key(&self) -> Option<[u8; 32]> {
        self.devnet.threshold_committee_key()
    }
    fn parachain_governance(&self) -> Option<&dyn ParachainGovernance> {
        Some(self)
    }
}

fn deploy_parachain(chain: &mut vmhost::Chain, code: Vec<u8>) -> Address {
    let kind =
        TxKind::ContractDeploy { vm: ContractType::Wasm, code, deposit: 0, parachain: true, non_reentrant: false };
    let out = chain.execute_wave(&vmhost::testing::block(1), &[vmhost::testing::tx(user(1), 0, kind)]).unwrap();
    out.receipts[0].contract_address.expect("parachain")
}

fn upgrade_at(chain: &mut vmhost::Chain, wave: u64, contract: Address, code: Vec<u8>) -> Receipt {
    let n = chain.account(&user(1)).unwrap().nonce;
    let t = vmhost::testing::tx(user(1), n, TxKind::ContractUpgrade { contract, code });
    chain.execute_wave(&vmhost::testing::block(wave), &[t]).unwrap().receipts.remove(0)
}

#[test]
fn a_parachains_code_changes_only_through_the_governance_hook() {
    // The default services have no governance: every parachain upgrade is refused.
    let mut chain = vmhost_tests::mem_chain(WasmtimeConfig::default());
    let p = deploy_parachain(&mut chain, vmhost_tests::corpus("sealer"));
    let r = upgrade_at(&mut chain, 2, p, example_wasm("counter"));
    assert_eq!((r.status, r.code), (ReceiptStatus::Failed, ErrorCode::GovernanceRefused));
    assert!(chain.pending_upgrade(&p).unwrap().is_none());
    // A chain's hook decides.
    let approved = example_wasm("counter");
    let services =
        Arc::new(Governance { approved: *blake3::hash(&approved).as_bytes(), devnet: ReferenceServices::devnet() });
    let store = Arc::new(vmhost::state::MemStore::new());
    let reg = vmhost_tests::registry(WasmtimeConfig::default());
    let mut chain = vmhost::Chain::open_with_services(store, reg, ExecConfig::default(), services).unwrap();
    chain.genesis(&[(user(1), 1 << 50)]).unwrap();
    let p = deploy_parachain(&mut chain, vmhost_tests::corpus("sealer"));
    assert_eq!(upgrade_at(&mut chain, 2, p, example_wat("counter")).code, ErrorCode::GovernanceRefused);
    let r = upgrade_at(&mut chain, 3, p, approved.clone());
    assert!(r.is_success(), "{r:?}");
    let (pending, code) = chain.pending_upgrade(&p).unwrap().expect("pending");
    assert_eq!(code, approved);
    let grace = vmhost::ConsensusParams::default().contracts.upgrade_grace_waves;
    assert_eq!(pending.activates_at_wave, 3 + grace, "governance does not skip the grace period");
}
