//! Deploy and upgrade: prepare (the host's wasm pipeline, or the backend's own format) and
//! compile through the contract type's backend, store the code in state (content addressed),
//! cache the module (its artifact is written with the wave's commit), write the contract record
//! (code hash, owner, deposit).

use vmhost_abi::{keys, Address, ContractRecord, ContractType, ErrorCode, Transaction};

use super::WaveCtx;
use crate::accounts;
use crate::cache::build_artifact;
use crate::error::{Error, Result};
use crate::state::OverlayStack;
use crate::vm::Vm;

pub(super) struct DeployOutcome {
    pub code: ErrorCode,
    pub address: Option<Address>,
}

fn prepare(wave: &WaveCtx<'_>, vm: &dyn Vm, code: &[u8]) -> Result<core::result::Result<Vec<u8>, ErrorCode>> {
    match build_artifact(vm, code, wave.params)? {
        Ok(artifact) => Ok(Ok(artifact)),
        Err(r) => {
            tracing::info!(backend = vm.name(), code = %r.code, message = %r.message, "deploy rejected");
            Ok(Err(r.code))
        }
    }
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

pub(super) fn deploy(
    wave: &WaveCtx<'_>,
    state: &mut OverlayStack<'_>,
    tx: &Transaction,
    ty: &ContractType,
    code: &[u8],
    deposit: u128,
    parachain: bool,
) -> Result<DeployOutcome> {
    let fail = |code| Ok(DeployOutcome { code, address: None });
    let env = wave.env;
    let vm = env.registry.vm(ty)?.clone();
    let address = Address::contract(&tx.sender, tx.nonce);
    if read_record(state, &address)?.is_some() {
        return fail(ErrorCode::ContractExists);
    }
    let artifact = match prepare(wave, &*vm, code)? {
        Ok(a) => a,
        Err(c) => return fail(c),
    };
    let code_hash = *blake3::hash(code).as_bytes();
    let mut sender = accounts::read(state, &tx.sender)?;
    let Some(left) = sender.balance.checked_sub(deposit) else {
        return fail(ErrorCode::InsufficientBalance);
    };
    sender.balance = left;
    accounts::write(state, &tx.sender, &sender);
    let code_key = keys::code(&code_hash);
    if state.get(&code_key)?.is_none() {
        state.put(code_key, code.to_vec());
    }
    let record = ContractRecord { vm: ty.clone(), code_hash, owner: tx.sender, deposit, parachain, code_version: 0 };
    state.put(keys::contract(&address), encode(&record)?);
    env.modules.install(&address, code_hash, &*vm, wave.tag(ty, &*vm), artifact)?;
    tracing::info!(%address, backend = vm.name(), code_len = code.len(), "contract deployed");
    Ok(DeployOutcome { code: ErrorCode::Ok, address: Some(address) })
}

pub(super) fn upgrade(
    wave: &WaveCtx<'_>,
    state: &mut OverlayStack<'_>,
    tx: &Transaction,
    contract: &Address,
    code: &[u8],
) -> Result<ErrorCode> {
    let Some(mut record) = read_record(state, contract)? else {
        return Ok(ErrorCode::UnknownContract);
    };
    if record.owner != tx.sender {
        return Ok(ErrorCode::NotOwner);
    }
    let env = wave.env;
    let vm = env.registry.vm(&record.vm)?.clone();
    let artifact = match prepare(wave, &*vm, code)? {
        Ok(a) => a,
        Err(c) => return Ok(c),
    };
    let code_hash = *blake3::hash(code).as_bytes();
    let code_key = keys::code(&code_hash);
    if state.get(&code_key)?.is_none() {
        state.put(code_key, code.to_vec());
    }
    record.code_hash = code_hash;
    record.code_version = record.code_version.saturating_add(1);
    state.put(keys::contract(contract), encode(&record)?);
    env.modules.invalidate(contract);
    env.modules.install(contract, code_hash, &*vm, wave.tag(&record.vm, &*vm), artifact)?;
    tracing::info!(%contract, version = record.code_version, "contract upgraded");
    Ok(ErrorCode::Ok)
}
