//! `Slashing`: a system transaction that burns a fraction of a validator's bonded stake for a
//! piece of evidence, and (by default) jails it.

use vmhost::{NativeContext, NativeResult};
use vmhost_abi::{keys, Address, ErrorCode, ValidatorRecord};

use super::{emit, ensure, tri, DONE};
use crate::events::ValidatorSlashed;
use vmhost::NativeParams;

/// Basis points in a whole.
pub const BPS_DENOMINATOR: u16 = 10_000;

/// `floor(amount * bps / 10_000)` without overflow for any `amount` (`bps <= 10_000`).
pub(crate) fn fraction(amount: u128, bps: u16) -> Option<u128> {
    let d = u128::from(BPS_DENOMINATOR);
    let b = u128::from(bps);
    // amount = q*d + r  =>  amount*b/d = q*b + r*b/d, with r*b < d*d: no intermediate overflow.
    let q = amount / d;
    let r = amount % d;
    q.checked_mul(b)?.checked_add(r.checked_mul(b)? / d)
}

/// `Slashing`: burns `fraction_bps / 10_000` of the validator's bonded stake and of each of its
/// pending unbonding entries (they were bonded when the offence happened). Entries that have
/// already matured (`release_height <= height`) are the validator's to claim and are not
/// touched, so the result does not depend on when the validator last sent a transaction.
/// The evidence is marked as used; with `slash_jail` the validator is jailed until at least
/// `height + jail_period`.
///
/// Errors, in the order checked: `Unauthorized` (sender is not `Address::SYSTEM`);
/// `InvalidAmount` (`fraction_bps` 0 or above 10 000); `UnknownValidator`; `DuplicateEvidence`;
/// `BalanceOverflow` (the slashed total would overflow, unreachable with real supplies).
pub(crate) fn slash(
    ctx: &mut NativeContext<'_, '_>,
    params: &NativeParams,
    validator: &Address,
    evidence: &[u8; 32],
    fraction_bps: u16,
) -> vmhost::Result<NativeResult> {
    ensure!(ctx.sender == Address::SYSTEM, ErrorCode::Unauthorized);
    ensure!(fraction_bps != 0 && fraction_bps <= BPS_DENOMINATOR, ErrorCode::InvalidAmount);
    let vkey = keys::validator(validator);
    let Some(mut record) = ctx.get_record::<ValidatorRecord>(&vkey)? else {
        return Ok(Err(ErrorCode::UnknownValidator));
    };
    let ekey = keys::evidence(evidence);
    ensure!(ctx.get(&ekey)?.is_none(), ErrorCode::DuplicateEvidence);

    let height = ctx.block.height;
    let mut burned = tri!(fraction(record.stake, fraction_bps).ok_or(ErrorCode::BalanceOverflow));
    // burned <= stake by construction.
    record.stake = tri!(record.stake.checked_sub(burned).ok_or(ErrorCode::BalanceOverflow));
    for entry in record.unbonding.iter_mut().filter(|e| e.release_height > height) {
        let cut = tri!(fraction(entry.amount, fraction_bps).ok_or(ErrorCode::BalanceOverflow));
        entry.amount = tri!(entry.amount.checked_sub(cut).ok_or(ErrorCode::BalanceOverflow));
        burned = tri!(burned.checked_add(cut).ok_or(ErrorCode::BalanceOverflow));
    }
    record.unbonding.retain(|e| e.amount != 0);
    record.slashed_total = tri!(record.slashed_total.checked_add(burned).ok_or(ErrorCode::BalanceOverflow));
    if params.slash_jail {
        record.jailed = true;
        record.jailed_until = record.jailed_until.max(height.saturating_add(params.jail_period));
    }
    ctx.put_record(vkey, &record)?;
    ctx.put_record(ekey, &(*validator, height))?;
    emit(
        ctx,
        &ValidatorSlashed {
            validator: *validator,
            evidence: *evidence,
            amount: burned,
            jailed: record.jailed,
            jailed_until: record.jailed_until,
        },
    )?;
    DONE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fraction_exact_floor_without_overflow() {
        assert_eq!(fraction(1_000, 2_500), Some(250));
        assert_eq!(fraction(999, 1), Some(0));
        assert_eq!(fraction(10_001, 5_000), Some(5_000));
        assert_eq!(fraction(u128::MAX, 10_000), Some(u128::MAX));
        assert_eq!(fraction(u128::MAX, 5_000), Some(u128::MAX / 2));
        assert_eq!(fraction(0, 10_000), Some(0));
    }
}
