//! `Transfer`: the hot path. Moves value from the sender to `to` through the host's one
//! balance-move implementation ([`NativeContext::transfer`]); no event, no extra records.

use vmhost::{NativeContext, NativeResult};
use vmhost_abi::{Address, ErrorCode};

use super::{ensure, tri, DONE};

/// Executes a native transfer.
///
/// Errors: `InvalidAmount` (amount 0), `InsufficientBalance` (the sender cannot pay `amount`;
/// the executor also discards a transfer that leaves too little for the fee),
/// `BalanceOverflow` (the recipient would exceed `u128::MAX`).
#[inline]
pub(crate) fn transfer(ctx: &mut NativeContext<'_, '_>, to: &Address, amount: u128) -> vmhost::Result<NativeResult> {
    ensure!(amount != 0, ErrorCode::InvalidAmount);
    let sender = ctx.sender;
    // The executor discards the transfer if it leaves the sender unable to pay the fee.
    tri!(ctx.transfer(&sender, to, amount)?);
    DONE
}
