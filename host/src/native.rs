//! The seam for the built-in native-transaction plugin (`vmhost-native`).
//!
//! Native transactions bypass every VM: a [`NativeHandler`] is registered in the
//! [`crate::VmRegistry`] under `ContractType::Native` and executes directly against the
//! transaction's overlay through a [`NativeContext`]. Fees, nonces and the
//! checkpoint/commit/revert discipline are the executor's, exactly as for contract calls.

use vmhost_abi::{AccessList, AccountRecord, Address, BlockContext, ErrorCode, Event, NativeTx, StateKey};

use crate::error::{Error, Result};
use crate::params::NativeParams;
use crate::state::OverlayStack;

/// Outcome of a native transaction: `Err(code)` is a consensus failure (state discarded,
/// intrinsic gas charged); infrastructure errors travel separately as [`Error`].
pub type NativeResult = core::result::Result<(), ErrorCode>;

/// Executes native transactions.
pub trait NativeHandler: Send + Sync {
    /// Fixed gas of `tx` (charged whether it succeeds or fails), under the chain's `params`.
    fn intrinsic_gas(&self, tx: &NativeTx, params: &NativeParams) -> u64;

    /// Every state key `tx` sent by `sender` may read or write, derived from the transaction
    /// alone (the sender's account need not be listed: the executor adds it). A declared access
    /// list must cover it; the parallel scheduler uses it as the transaction's conflict set. It
    /// must be exact: a handler that touches a key outside it is a bug.
    fn access_list(&self, tx: &NativeTx, sender: &Address, params: &NativeParams) -> AccessList;

    /// Executes `tx` against `ctx` (whose [`NativeContext::params`] are the chain's). Must check
    /// everything it relies on and return a typed code on bad input; must never panic.
    fn execute(&self, tx: &NativeTx, ctx: &mut NativeContext<'_, '_>) -> Result<NativeResult>;
}

/// State access for a native handler: the transaction's overlay plus the context.
pub struct NativeContext<'s, 'c> {
    /// The transaction's sender (signature already checked by the chain).
    pub sender: Address,
    /// The wave's block context.
    pub block: &'s BlockContext,
    /// The chain's native parameters.
    pub params: &'s NativeParams,
    state: &'s mut OverlayStack<'c>,
    sender_key: StateKey,
    events: u32,
}

impl std::fmt::Debug for NativeContext<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeContext").field("sender", &self.sender).finish()
    }
}

impl<'s, 'c> NativeContext<'s, 'c> {
    /// A context over `state` (used by the executor and by tests).
    pub fn new(
        sender: Address,
        block: &'s BlockContext,
        params: &'s NativeParams,
        state: &'s mut OverlayStack<'c>,
    ) -> Self {
        Self::with_sender_key(sender, vmhost_abi::keys::account(&sender), block, params, state)
    }

    /// [`NativeContext::new`] with the sender's account key already derived (the executor's).
    pub fn with_sender_key(
        sender: Address,
        sender_key: StateKey,
        block: &'s BlockContext,
        params: &'s NativeParams,
        state: &'s mut OverlayStack<'c>,
    ) -> Self {
        Self { sender, block, params, state, sender_key, events: 0 }
    }

    /// Reads raw state.
    pub fn get(&self, key: &StateKey) -> Result<Option<crate::state::StateBytes>> {
        self.state.get(key)
    }

    /// Reads and borsh-decodes a record; a record that does not decode is corruption.
    pub fn get_record<T: borsh::BorshDeserialize>(&self, key: &StateKey) -> Result<Option<T>> {
        match self.state.get(key)? {
            Some(bytes) => {
                borsh::from_slice(&bytes).map(Some).map_err(|e| Error::Corrupt(format!("record at {key:?}: {e}")))
            }
            None => Ok(None),
        }
    }

    /// Writes a borsh-encoded record.
    pub fn put_record<T: borsh::BorshSerialize>(&mut self, key: StateKey, record: &T) -> Result<()> {
        let bytes = borsh::to_vec(record).map_err(|e| Error::Internal(e.to_string()))?;
        self.state.put(key, bytes);
        Ok(())
    }

    /// Deletes a key.
    pub fn delete(&mut self, key: StateKey) {
        self.state.delete(key);
    }

    /// An account (default if absent).
    pub fn account(&self, addr: &Address) -> Result<AccountRecord> {
        crate::accounts::read(self.state, addr)
    }

    /// Writes an account.
    pub fn set_account(&mut self, addr: &Address, acct: &AccountRecord) {
        crate::accounts::write(self.state, addr, acct)
    }

    /// Moves `amount` between accounts: `InsufficientBalance` / `BalanceOverflow` on failure,
    /// in which case nothing changes.
    pub fn transfer(&mut self, from: &Address, to: &Address, amount: u128) -> Result<NativeResult> {
        let from_key = if *from == self.sender { self.sender_key } else { vmhost_abi::keys::account(from) };
        crate::accounts::transfer_keys(self.state, (from, from_key), (to, vmhost_abi::keys::account(to)), amount)
    }

    /// Emits an event from the system address.
    pub fn emit(&mut self, topic: [u8; 32], data: Vec<u8>) {
        self.events += 1;
        self.state.emit(Event { contract: Address::SYSTEM, topic, data });
    }
}
