//! `Transfer`: the hot path. Moves value from the sender to `to` through the host's one
//! balance-move implementation ([`NativeContext::transfer`]); no event, no extra records.

use vmhost::{NativeContext, NativeResult};
use vmhost_abi::gas::NATIVE_TRANSFER_GAS;
use vmhost_abi::{Address, ErrorCode};

use super::{ensure, fee_reserve, tri, DONE};

/// Executes a native transfer.
///
/// Errors: `InvalidAmount` (amount 0), `InsufficientBalance` (the sender cannot pay `amount`
/// and still keep the transaction's fee), `BalanceOverflow` (the recipient would exceed
/// `u128::MAX`).
#[inline]
pub(crate) fn transfer(
    ctx: &mut NativeContext<'_, '_>,
    to: &Address,
    amount: u128,
) -> vmhost::Result<NativeResult> {
    ensure!(amount != 0, ErrorCode::InvalidAmount);
    let sender = ctx.sender;
    tri!(ctx.transfer(&sender, to, amount)?);
    // Keep the fee the executor debits after dispatch (it only checked the fee at ingress,
    // not fee + amount). The sender's record is in the transaction's overlay by now, so this
    // read does not reach the wave cache. A self-transfer changes nothing and needs no check.
    let reserve = tri!(fee_reserve(ctx, NATIVE_TRANSFER_GAS));
    if reserve != 0 && sender != *to {
        ensure!(
            ctx.account(&sender)?.balance >= reserve,
            ErrorCode::InsufficientBalance
        );
    }
    DONE
}
