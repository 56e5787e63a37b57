//! Account records (balance, nonce) over an overlay: the one implementation of balance moves
//! that native transfers, the `transfer` host function and fee debits share.

use vmhost_abi::{keys, AccountRecord, Address, ErrorCode, StateKey};

use crate::error::{Error, Result};
use crate::state::{OverlayStack, Value};

/// Reads an account (the default, empty account if absent).
pub fn read(state: &OverlayStack<'_>, addr: &Address) -> Result<AccountRecord> {
    read_key(state, &keys::account(addr))
}

/// Reads an account by its precomputed state key.
pub fn read_key(state: &OverlayStack<'_>, key: &StateKey) -> Result<AccountRecord> {
    from_value(&state.get(key)?)
}

/// The account a state value holds (the default, empty account if absent).
pub fn from_value(value: &Value) -> Result<AccountRecord> {
    match value {
        Some(bytes) => decode(bytes),
        None => Ok(AccountRecord::default()),
    }
}

/// Decodes an account record (fixed 24 bytes: balance u128 LE, nonce u64 LE, its borsh
/// encoding); any other length is corruption.
pub fn decode(bytes: &[u8]) -> Result<AccountRecord> {
    let Ok(fixed) = <[u8; 24]>::try_from(bytes) else {
        return Err(Error::Corrupt(format!("account record of {} bytes (expected 24)", bytes.len())));
    };
    let (mut balance, mut nonce) = ([0u8; 16], [0u8; 8]);
    balance.copy_from_slice(&fixed[..16]);
    nonce.copy_from_slice(&fixed[16..]);
    Ok(AccountRecord { balance: u128::from_le_bytes(balance), nonce: u64::from_le_bytes(nonce) })
}

/// Encodes an account record.
pub fn encode(acct: &AccountRecord) -> [u8; 24] {
    let mut out = [0u8; 24];
    out[..16].copy_from_slice(&acct.balance.to_le_bytes());
    out[16..].copy_from_slice(&acct.nonce.to_le_bytes());
    out
}

/// Writes an account.
pub fn write(state: &mut OverlayStack<'_>, addr: &Address, acct: &AccountRecord) {
    write_key(state, keys::account(addr), acct);
}

/// Writes an account by its precomputed state key.
pub fn write_key(state: &mut OverlayStack<'_>, key: StateKey, acct: &AccountRecord) {
    state.put(key, &encode(acct)[..]);
}

/// Moves `amount` from `from` to `to`; on failure nothing is written.
pub fn transfer(
    state: &mut OverlayStack<'_>,
    from: &Address,
    to: &Address,
    amount: u128,
) -> Result<Result<(), ErrorCode>> {
    transfer_keys(state, (from, keys::account(from)), (to, keys::account(to)), amount)
}

/// [`transfer`] with both account keys already derived.
pub fn transfer_keys(
    state: &mut OverlayStack<'_>,
    (from, from_key): (&Address, StateKey),
    (to, to_key): (&Address, StateKey),
    amount: u128,
) -> Result<Result<(), ErrorCode>> {
    let mut src = read_key(state, &from_key)?;
    let Some(new_src) = src.balance.checked_sub(amount) else {
        return Ok(Err(ErrorCode::InsufficientBalance));
    };
    if from == to {
        return Ok(Ok(()));
    }
    let mut dst = read_key(state, &to_key)?;
    let Some(new_dst) = dst.balance.checked_add(amount) else {
        return Ok(Err(ErrorCode::BalanceOverflow));
    };
    src.balance = new_src;
    dst.balance = new_dst;
    write_key(state, from_key, &src);
    write_key(state, to_key, &dst);
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_encoding_matches_borsh() {
        let a = AccountRecord { balance: 123_456_789_000, nonce: 42 };
        assert_eq!(borsh::to_vec(&a).ok().as_deref(), Some(&encode(&a)[..]));
        assert_eq!(decode(&encode(&a)).ok(), Some(a));
    }
}
