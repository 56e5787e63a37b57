//! Deploy and the contract lifecycle: prepare (the host's wasm pipeline, or the backend's own
//! format) and compile through the contract type's backend, store the code in state (content
//! addressed), cache the module (its artifact is written with the wave's commit), write the
//! contract record (code hash, owner, deposit, flags).
//!
//! Upgrades (seed §3.10) never switch code at once: the owner's `ContractUpgrade` checks and
//! stores the new code and records it as the contract's pending upgrade, public in its record;
//! it takes effect `contracts.upgrade_grace_waves` waves later, from the first transaction of
//! that wave on (calls read [`ContractRecord::code_at`], so no transaction has to run at the
//! switch). Until then the owner may cancel it (`ContractUpgradeCancel`); an owner may also
//! renounce upgrades for good (`ContractRenounceUpgrades`). A parachain's code changes only
//! with the approval of the chain's governance hook (`ChainServices::parachain_governance`;
//! without one, every parachain upgrade is refused with `GovernanceRefused`).

use vmhost_abi::{keys, Address, ContractRecord, ContractType, ErrorCode, PendingUpgrade, Transaction};

use super::WaveCtx;
use crate::accounts;
use crate::cache::{artifact_meta, build_artifact};
use crate::error::{Error, Result};
use crate::services::UpgradeProposal;
use crate::state::OverlayStack;
use crate::vm::Vm;

pub(super) struct DeployOutcome {
    pub code: ErrorCode,
    pub address: Option<Address>,
    /// Why the deploy failed, for its author.
    pub reason: Option<String>,
}

/// What a deploy asks for beyond the code.
pub(super) struct DeployRequest<'a> {
    pub ty: &'a ContractType,
    pub code: &'a [u8],
    pub deposit: u128,
    pub parachain: bool,
    pub non_reentrant: bool,
}

/// Builds the artifact of `code`; refuses code that imports a parachain-only host function
/// unless it is for a parachain. A refusal comes with its reason.
fn prepare(
    wave: &WaveCtx<'_>,
    vm: &dyn Vm,
    code: &[u8],
    parachain: bool,
) -> Result<core::result::Result<Vec<u8>, (ErrorCode, String)>> {
    let artifact = match build_artifact(vm, code, wave.params)? {
        Ok(artifact) => artifact,
        Err(r) => {
            tracing::info!(backend = vm.name(), code = %r.code, message = %r.message, "deploy rejected");
            return Ok(Err((r.code, r.message)));
        }
    };
    let meta = artifact_meta(&artifact).map_err(|e| Error::Internal(format!("fresh artifact: {e}")))?;
    if meta.parachain_imports && !parachain {
        let reason = "the code imports a parachain-only host function (threshold_encrypt, threshold_decrypt): \
                      deploy it as a parachain";
        tracing::info!(backend = vm.name(), reason, "deploy rejected");
        return Ok(Err((ErrorCode::ParachainOnly, reason.to_string())));
    }
    Ok(Ok(artifact))
}

fn encode<T: borsh::BorshSerialize>(v: &T) -> Result<Vec<u8>> {
    borsh::to_vec(v).map_err(|e| Error::Internal(e.to_string()))
}

fn read_record(state: &OverlayStack<'_>, addr: &Address) -> Result<Option<ContractRecord>> {
    match state.get(&keys::contract(addr))? {
        Some(b) => borsh::from_slice(&b).map(Some).map_err(|e| Error::Corrupt(format!("contract record: {e}"))),
        None => Ok(None),
    }
}

fn store_code(state: &mut OverlayStack<'_>, code: &[u8]) -> Result<[u8; 32]> {
    let code_hash = *blake3::hash(code).as_bytes();
    let code_key = keys::code(&code_hash);
    if state.get(&code_key)?.is_none() {
        state.put(code_key, code.to_vec());
    }
    Ok(code_hash)
}

pub(super) fn deploy(
    wave: &WaveCtx<'_>,
    state: &mut OverlayStack<'_>,
    tx: &Transaction,
    req: DeployRequest<'_>,
) -> Result<DeployOutcome> {
    let fail = |code, reason: String| Ok(DeployOutcome { code, address: None, reason: Some(reason) });
    let env = wave.env;
    let vm = env.registry.vm(req.ty)?.clone();
    let address = Address::contract(&tx.sender, tx.nonce);
    if read_record(state, &address)?.is_some() {
        return fail(ErrorCode::ContractExists, format!("a contract already exists at {address}"));
    }
    let artifact = match prepare(wave, &*vm, req.code, req.parachain)? {
        Ok(a) => a,
        Err((c, reason)) => return fail(c, reason),
    };
    let mut sender = accounts::read(state, &tx.sender)?;
    let Some(left) = sender.balance.checked_sub(req.deposit) else {
        return fail(
            ErrorCode::InsufficientBalance,
            format!("the deposit {} exceeds the balance {}", req.deposit, sender.balance),
        );
    };
    sender.balance = left;
    accounts::write(state, &tx.sender, &sender);
    let code_hash = store_code(state, req.code)?;
    let record = ContractRecord {
        vm: req.ty.clone(),
        code_hash,
        owner: tx.sender,
        deposit: req.deposit,
        parachain: req.parachain,
        code_version: 0,
        pending_upgrade: None,
        upgrades_renounced: false,
        non_reentrant: req.non_reentrant,
    };
    state.put(keys::contract(&address), encode(&record)?);
    env.modules.install(&address, code_hash, &*vm, wave.tag(req.ty, &*vm), artifact)?;
    tracing::info!(%address, backend = vm.name(), code_len = req.code.len(), "contract deployed");
    Ok(DeployOutcome { code: ErrorCode::Ok, address: Some(address), reason: None })
}

/// The owner's record of `contract`, settled at the current wave: `Err(code)` if there is no
/// such contract or the sender does not own it.
fn owned_record(
    wave: &WaveCtx<'_>,
    state: &OverlayStack<'_>,
    tx: &Transaction,
    contract: &Address,
) -> Result<core::result::Result<ContractRecord, ErrorCode>> {
    let Some(mut record) = read_record(state, contract)? else {
        return Ok(Err(ErrorCode::UnknownContract));
    };
    if record.owner != tx.sender {
        return Ok(Err(ErrorCode::NotOwner));
    }
    record.settle(wave.block.wave_id);
    Ok(Ok(record))
}

/// `ContractUpgrade`: checks and stores the new code and makes it the pending upgrade.
pub(super) fn upgrade(
    wave: &WaveCtx<'_>,
    state: &mut OverlayStack<'_>,
    tx: &Transaction,
    contract: &Address,
    code: &[u8],
) -> Result<(ErrorCode, Option<String>)> {
    let mut record = match owned_record(wave, state, tx, contract)? {
        Ok(r) => r,
        Err(code) => return Ok((code, None)),
    };
    if record.upgrades_renounced {
        return Ok((ErrorCode::UpgradesRenounced, None));
    }
    let code_hash = *blake3::hash(code).as_bytes();
    let wave_id = wave.block.wave_id;
    if record.parachain {
        let proposal = UpgradeProposal {
            parachain: *contract,
            record: &record,
            new_code_hash: code_hash,
            proposer: tx.sender,
            wave_id,
        };
        let approved = wave.env.services.parachain_governance().is_some_and(|g| g.approve_upgrade(&proposal));
        if !approved {
            tracing::info!(%contract, "parachain upgrade refused by governance");
            return Ok((ErrorCode::GovernanceRefused, None));
        }
    }
    let env = wave.env;
    let vm = env.registry.vm(&record.vm)?.clone();
    let artifact = match prepare(wave, &*vm, code, record.parachain)? {
        Ok(a) => a,
        Err((c, reason)) => return Ok((c, Some(reason))),
    };
    store_code(state, code)?;
    let activates_at_wave = wave_id.saturating_add(wave.params.contracts.upgrade_grace_waves);
    record.pending_upgrade = Some(PendingUpgrade { code_hash, proposed_at_wave: wave_id, activates_at_wave });
    state.put(keys::contract(contract), encode(&record)?);
    // The artifact waits for the switch under its code hash; the resident module of the
    // contract stays the running code's (the cache compares code hashes on every call).
    env.modules.stage(code_hash, wave.tag(&record.vm, &*vm), artifact);
    tracing::info!(%contract, activates_at_wave, "contract upgrade pending");
    Ok((ErrorCode::Ok, None))
}

/// `ContractUpgradeCancel`: drops a pending upgrade that has not taken effect.
pub(super) fn cancel_upgrade(
    wave: &WaveCtx<'_>,
    state: &mut OverlayStack<'_>,
    tx: &Transaction,
    contract: &Address,
) -> Result<ErrorCode> {
    let mut record = match owned_record(wave, state, tx, contract)? {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    if record.pending_upgrade.take().is_none() {
        return Ok(ErrorCode::NoPendingUpgrade);
    }
    state.put(keys::contract(contract), encode(&record)?);
    tracing::info!(%contract, "contract upgrade cancelled");
    Ok(ErrorCode::Ok)
}

/// `ContractRenounceUpgrades`: no upgrade ever again (a pending one is dropped).
pub(super) fn renounce_upgrades(
    wave: &WaveCtx<'_>,
    state: &mut OverlayStack<'_>,
    tx: &Transaction,
    contract: &Address,
) -> Result<ErrorCode> {
    let mut record = match owned_record(wave, state, tx, contract)? {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    if record.upgrades_renounced {
        return Ok(ErrorCode::UpgradesRenounced);
    }
    record.pending_upgrade = None;
    record.upgrades_renounced = true;
    state.put(keys::contract(contract), encode(&record)?);
    tracing::info!(%contract, "contract upgrades renounced");
    Ok(ErrorCode::Ok)
}
