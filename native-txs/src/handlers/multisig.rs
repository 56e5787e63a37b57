//! k-of-n multisig accounts: `MultisigCreate` and `MultisigSpend`.
//!
//! A multisig account is an ordinary account (its balance lives under `keys::account`) at a
//! deterministic address derived from its signer set and threshold ([`multisig_address`]),
//! plus a [`MultisigRecord`] under `keys::multisig(addr)`. Anyone can fund it with a transfer.

use vmhost::{NativeContext, NativeResult};
use vmhost_abi::{keys, Address, ErrorCode, MultisigRecord};

use super::{emit, ensure, tri, DONE};
use crate::events::{MultisigCreated, MultisigSpent};
use vmhost::NativeParams;

/// Domain separator of multisig addresses.
const DOMAIN: &[u8] = b"vmhost/v1/multisig";

/// The address of the multisig account with `signers` and `threshold`:
/// `BLAKE3("vmhost/v1/multisig" || sorted signers || threshold)`.
///
/// The signers are sorted internally, so their order does not matter. `MultisigCreate` rejects
/// signer lists with duplicates, so a list with duplicates never names a created account.
///
/// ```
/// use vmhost_abi::Address;
/// use vmhost_native::multisig_address;
/// let (a, b) = (Address::from_index(1), Address::from_index(2));
/// assert_eq!(multisig_address(&[a, b], 2), multisig_address(&[b, a], 2));
/// assert_ne!(multisig_address(&[a, b], 2), multisig_address(&[a, b], 1));
/// ```
pub fn multisig_address(signers: &[Address], threshold: u8) -> Address {
    let mut sorted = signers.to_vec();
    sorted.sort_unstable();
    address_of_sorted(&sorted, threshold)
}

fn address_of_sorted(sorted: &[Address], threshold: u8) -> Address {
    let mut h = blake3::Hasher::new();
    h.update(DOMAIN);
    for s in sorted {
        h.update(&s.0);
    }
    h.update(&[threshold]);
    Address(*h.finalize().as_bytes())
}

/// `MultisigCreate`: stores a k-of-n multisig record at [`multisig_address`].
///
/// Errors, in the order checked: `BadMultisigConfig` (no signers, more than `max_signers`,
/// duplicate signers, threshold 0 or above the signer count); `NotASigner` (the sender is not
/// among the signers); `MultisigExists`.
pub(crate) fn create(
    ctx: &mut NativeContext<'_, '_>,
    params: &NativeParams,
    signers: &[Address],
    threshold: u8,
) -> vmhost::Result<NativeResult> {
    let n = signers.len();
    ensure!(n != 0 && n <= params.max_signers as usize, ErrorCode::BadMultisigConfig);
    ensure!(threshold != 0 && usize::from(threshold) <= n, ErrorCode::BadMultisigConfig);
    let mut sorted = signers.to_vec();
    sorted.sort_unstable();
    ensure!(sorted.windows(2).all(|w| w[0] != w[1]), ErrorCode::BadMultisigConfig);
    ensure!(sorted.binary_search(&ctx.sender).is_ok(), ErrorCode::NotASigner);
    let addr = address_of_sorted(&sorted, threshold);
    let key = keys::multisig(&addr);
    ensure!(ctx.get(&key)?.is_none(), ErrorCode::MultisigExists);
    let record = MultisigRecord { signers: sorted, threshold, spends: 0 };
    ctx.put_record(key, &record)?;
    emit(ctx, &MultisigCreated { multisig: addr, threshold, signers: record.signers })?;
    DONE
}

/// `MultisigSpend`: moves `amount` from the multisig account to `to` when enough distinct
/// signers approve. The sender must be a signer and counts as an approval; `approvals` lists
/// signers whose signatures the chain verified on this transaction (duplicates, and the sender
/// listed again, count once).
///
/// Errors, in the order checked: `BadMultisigConfig` (more approvals listed than a multisig may
/// have signers: the list's length is bounded before any work); `UnknownMultisig`;
/// `NotASigner` (the sender or any approval is not a signer); `ThresholdNotMet`;
/// `InvalidAmount` (0); `InsufficientBalance` / `BalanceOverflow` (the move itself).
pub(crate) fn spend(
    ctx: &mut NativeContext<'_, '_>,
    params: &NativeParams,
    multisig: &Address,
    to: &Address,
    amount: u128,
    approvals: &[Address],
) -> vmhost::Result<NativeResult> {
    ensure!(approvals.len() <= params.max_signers as usize, ErrorCode::BadMultisigConfig);
    let key = keys::multisig(multisig);
    let Some(mut record) = ctx.get_record::<MultisigRecord>(&key)? else {
        return Ok(Err(ErrorCode::UnknownMultisig));
    };
    // One flag per signer (the record's signers are sorted and distinct): O(m log n), no
    // allocation that depends on the length of `approvals`.
    let mut approved = vec![false; record.signers.len()];
    let Ok(i) = record.signers.binary_search(&ctx.sender) else {
        return Ok(Err(ErrorCode::NotASigner));
    };
    approved[i] = true;
    for a in approvals {
        let Ok(i) = record.signers.binary_search(a) else {
            return Ok(Err(ErrorCode::NotASigner));
        };
        approved[i] = true;
    }
    let distinct = approved.iter().filter(|b| **b).count();
    ensure!(distinct >= usize::from(record.threshold), ErrorCode::ThresholdNotMet);
    ensure!(amount != 0, ErrorCode::InvalidAmount);
    tri!(ctx.transfer(multisig, to, amount)?);
    // A counter: saturating is deterministic and 2^64 spends are out of reach anyway.
    record.spends = record.spends.saturating_add(1);
    ctx.put_record(key, &record)?;
    emit(ctx, &MultisigSpent { multisig: *multisig, to: *to, amount, spends: record.spends })?;
    DONE
}
