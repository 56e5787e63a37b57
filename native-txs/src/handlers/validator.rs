//! Validator lifecycle: `ValidatorRegister`, `ValidatorUnbond`, `ValidatorRotateKey`,
//! `ValidatorUnjail`, and the lazy release of matured unbonding entries.
//!
//! State: the [`ValidatorRecord`] under `keys::validator(addr)`, and for the bound consensus
//! key the validator's address (borsh) under `keys::consensus_key(key)`, so a key is bound to
//! at most one validator.

use vmhost::{NativeContext, NativeResult};
use vmhost_abi::{keys, Address, ErrorCode, UnbondingEntry, ValidatorRecord};

use super::{credit, debit, emit, ensure, tri, Step, DONE};
use crate::events::{
    UnbondingReleased, ValidatorKeyRotated, ValidatorRegistered, ValidatorUnbonded, ValidatorUnjailed,
};
use vmhost::NativeParams;

/// Checks a consensus key: length within the configured range and not bound to any validator.
fn check_new_key(ctx: &NativeContext<'_, '_>, params: &NativeParams, key: &[u8]) -> Step<()> {
    let len = u32::try_from(key.len()).unwrap_or(u32::MAX);
    ensure!((params.min_key_len..=params.max_key_len).contains(&len), ErrorCode::BadKey);
    ensure!(ctx.get(&keys::consensus_key(key))?.is_none(), ErrorCode::BadKey);
    Ok(Ok(()))
}

/// Binds `key` to `validator`.
fn bind_key(ctx: &mut NativeContext<'_, '_>, key: &[u8], validator: &Address) -> vmhost::Result<()> {
    ctx.put_record(keys::consensus_key(key), validator)
}

/// Loads the sender's validator record (`UnknownValidator` if absent) and releases its matured
/// unbonding entries into its balance. The caller must write the record back on success.
fn load_and_release(ctx: &mut NativeContext<'_, '_>) -> Step<ValidatorRecord> {
    let addr = ctx.sender;
    let Some(mut record) = ctx.get_record::<ValidatorRecord>(&keys::validator(&addr))? else {
        return Ok(Err(ErrorCode::UnknownValidator));
    };
    tri!(release_matured(ctx, &addr, &mut record)?);
    Ok(Ok(record))
}

/// Credits every unbonding entry with `release_height <= height` to `addr`'s balance, removes
/// those entries from `record` and emits `UnbondingReleased` (if anything was credited).
fn release_matured(ctx: &mut NativeContext<'_, '_>, addr: &Address, record: &mut ValidatorRecord) -> Step<()> {
    let height = ctx.block.height;
    let mut total: u128 = 0;
    let mut matured = false;
    for entry in record.unbonding.iter().filter(|e| e.release_height <= height) {
        matured = true;
        let Some(t) = total.checked_add(entry.amount) else {
            return Ok(Err(ErrorCode::BalanceOverflow));
        };
        total = t;
    }
    if !matured {
        return Ok(Ok(()));
    }
    record.unbonding.retain(|e| e.release_height > height);
    if total != 0 {
        tri!(credit(ctx, addr, total)?);
        emit(ctx, &UnbondingReleased { validator: *addr, amount: total })?;
    }
    Ok(Ok(()))
}

/// `ValidatorRegister`: bonds `stake` from the sender's balance and binds `consensus_key`.
///
/// Errors, in the order checked: `ValidatorExists`, `StakeTooLow`, `BadKey` (length outside
/// `[min_key_len, max_key_len]` or key already bound), `InsufficientBalance` (the balance
/// cannot cover `stake` plus this transaction's fee).
pub(crate) fn register(
    ctx: &mut NativeContext<'_, '_>,
    params: &NativeParams,
    stake: u128,
    consensus_key: &[u8],
) -> vmhost::Result<NativeResult> {
    let addr = ctx.sender;
    let vkey = keys::validator(&addr);
    ensure!(ctx.get(&vkey)?.is_none(), ErrorCode::ValidatorExists);
    ensure!(stake >= params.min_stake, ErrorCode::StakeTooLow);
    tri!(check_new_key(ctx, params, consensus_key)?);
    tri!(debit(ctx, &addr, stake)?);
    let record = ValidatorRecord {
        stake,
        consensus_key: consensus_key.to_vec(),
        jailed: false,
        jailed_until: 0,
        unbonding: Vec::new(),
        slashed_total: 0,
    };
    ctx.put_record(vkey, &record)?;
    bind_key(ctx, consensus_key, &addr)?;
    emit(ctx, &ValidatorRegistered { validator: addr, stake })?;
    DONE
}

/// `ValidatorUnbond`: moves `amount` from the stake into an unbonding entry released at
/// `height + unbonding_period`.
///
/// Errors: `UnknownValidator`; `BalanceOverflow` (releasing matured entries); `InvalidAmount`
/// (0); `InsufficientStake` (more than the stake); `StakeTooLow` (the remaining stake would be
/// neither 0 nor at least `min_stake`).
pub(crate) fn unbond(
    ctx: &mut NativeContext<'_, '_>,
    params: &NativeParams,
    amount: u128,
) -> vmhost::Result<NativeResult> {
    let addr = ctx.sender;
    let mut record = tri!(load_and_release(ctx)?);
    ensure!(amount != 0, ErrorCode::InvalidAmount);
    let Some(remaining) = record.stake.checked_sub(amount) else {
        return Ok(Err(ErrorCode::InsufficientStake));
    };
    ensure!(remaining == 0 || remaining >= params.min_stake, ErrorCode::StakeTooLow);
    // Saturating: a chain this close to u64::MAX heights simply never releases.
    let release_height = ctx.block.height.saturating_add(params.unbonding_period);
    record.stake = remaining;
    // Unbonds in the same block share one entry, which bounds the entry list by the period.
    match record.unbonding.last_mut() {
        Some(last) if last.release_height == release_height => {
            let Some(sum) = last.amount.checked_add(amount) else {
                return Ok(Err(ErrorCode::BalanceOverflow));
            };
            last.amount = sum;
        }
        _ => record.unbonding.push(UnbondingEntry { amount, release_height }),
    }
    ctx.put_record(keys::validator(&addr), &record)?;
    emit(ctx, &ValidatorUnbonded { validator: addr, amount, release_height })?;
    DONE
}

/// `ValidatorRotateKey`: unbinds the current key and binds `new_key`.
///
/// Errors: `UnknownValidator`; `BalanceOverflow` (releasing matured entries); `BadKey` (length
/// outside the range, or the key is bound to any validator, this one included).
pub(crate) fn rotate_key(
    ctx: &mut NativeContext<'_, '_>,
    params: &NativeParams,
    new_key: &[u8],
) -> vmhost::Result<NativeResult> {
    let addr = ctx.sender;
    let mut record = tri!(load_and_release(ctx)?);
    tri!(check_new_key(ctx, params, new_key)?);
    // The old key stays bound to this validator, retired for good: freeing it would touch a
    // key the transaction does not name (so its access list could not be derived from it), and
    // evidence signed with it keeps naming its validator.
    bind_key(ctx, new_key, &addr)?;
    record.consensus_key = new_key.to_vec();
    ctx.put_record(keys::validator(&addr), &record)?;
    emit(ctx, &ValidatorKeyRotated { validator: addr, key_hash: *blake3::hash(new_key).as_bytes() })?;
    DONE
}

/// `ValidatorUnjail`: clears the jailed flag once the jail period is over.
///
/// Errors: `UnknownValidator`; `BalanceOverflow` (releasing matured entries); `NotJailed`;
/// `StillJailed` (`height < jailed_until`); `StakeTooLow` (the remaining stake, after slashing,
/// is below `min_stake`).
pub(crate) fn unjail(ctx: &mut NativeContext<'_, '_>, params: &NativeParams) -> vmhost::Result<NativeResult> {
    let addr = ctx.sender;
    let mut record = tri!(load_and_release(ctx)?);
    ensure!(record.jailed, ErrorCode::NotJailed);
    ensure!(ctx.block.height >= record.jailed_until, ErrorCode::StillJailed);
    ensure!(record.stake >= params.min_stake, ErrorCode::StakeTooLow);
    record.jailed = false;
    ctx.put_record(keys::validator(&addr), &record)?;
    emit(ctx, &ValidatorUnjailed { validator: addr })?;
    DONE
}
