//! The handlers, one file per transaction family, and the helpers they share.
//!
//! Every handler returns `vmhost::Result<NativeResult>`: the outer `Err` is an infrastructure
//! failure propagated from the context, the inner `Err(code)` a consensus failure whose state
//! the executor discards.

pub(crate) mod multisig;
pub(crate) mod slashing;
pub(crate) mod transfer;
pub(crate) mod validator;

use vmhost::{NativeContext, NativeResult};
use vmhost_abi::{Address, ErrorCode};

use crate::events::NativeEvent;

/// A handler step's outcome: infrastructure error outside, consensus code inside.
pub(crate) type Step<T> = vmhost::Result<Result<T, ErrorCode>>;

/// Unwraps a consensus result, returning `Ok(Err(code))` from the enclosing handler on failure.
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(code) => return Ok(Err(code)),
        }
    };
}

/// Returns `Ok(Err(code))` from the enclosing handler unless `cond` holds.
macro_rules! ensure {
    ($cond:expr, $code:expr) => {
        if !($cond) {
            return Ok(Err($code));
        }
    };
}

pub(crate) use {ensure, tri};

/// The success value of a handler.
pub(crate) const DONE: vmhost::Result<NativeResult> = Ok(Ok(()));

/// Borsh-encodes `event` and emits it under its topic.
pub(crate) fn emit<E: NativeEvent>(ctx: &mut NativeContext<'_, '_>, event: &E) -> vmhost::Result<()> {
    let data = borsh::to_vec(event).map_err(|e| vmhost::Error::Internal(format!("event encoding: {e}")))?;
    ctx.emit(E::topic(), data);
    Ok(())
}

/// Debits `amount` from `who`'s balance: `InsufficientBalance` if it is not there.
pub(crate) fn debit(ctx: &mut NativeContext<'_, '_>, who: &Address, amount: u128) -> Step<()> {
    let mut acct = ctx.account(who)?;
    let Some(left) = acct.balance.checked_sub(amount) else {
        return Ok(Err(ErrorCode::InsufficientBalance));
    };
    acct.balance = left;
    ctx.set_account(who, &acct);
    Ok(Ok(()))
}

/// Credits `amount` to `who`'s balance: `BalanceOverflow` if it would exceed `u128::MAX`.
pub(crate) fn credit(ctx: &mut NativeContext<'_, '_>, who: &Address, amount: u128) -> Step<()> {
    let mut acct = ctx.account(who)?;
    let Some(balance) = acct.balance.checked_add(amount) else {
        return Ok(Err(ErrorCode::BalanceOverflow));
    };
    acct.balance = balance;
    ctx.set_account(who, &acct);
    Ok(Ok(()))
}
