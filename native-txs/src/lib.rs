//! # vmhost-native — the built-in plugin of native transaction handlers
//!
//! Native transactions (seed §3.9b) bypass every VM: they are plain Rust executed directly
//! against the transaction's overlay. This crate provides [`NativePlugin`], the
//! [`vmhost::NativeHandler`] a chain registers under `ContractType::Native`:
//!
//! | transaction          | intrinsic gas           | effect |
//! |----------------------|-------------------------|--------|
//! | `Transfer`           | [`NATIVE_TRANSFER_GAS`] | move value sender → `to` |
//! | `ValidatorRegister`  | [`NATIVE_SYSTEM_GAS`]   | bond stake, bind the consensus key |
//! | `ValidatorUnbond`    | system                  | stake → unbonding entry, released after `unbonding_period` |
//! | `ValidatorRotateKey` | system                  | bind a new consensus key (the old one stays retired) |
//! | `ValidatorUnjail`    | system                  | leave jail after `jail_period` |
//! | `MultisigCreate`     | system                  | create a k-of-n account at [`multisig_address`] |
//! | `MultisigSpend`      | system                  | spend from it with enough distinct approvals |
//! | `Slashing`           | system                  | burn a fraction of a validator's stake (system sender only) |
//!
//! ```
//! use std::sync::Arc;
//! use vmhost::{state::MemStore, Chain, ExecConfig, VmRegistry};
//! use vmhost_abi::{Address, ReceiptStatus};
//! use vmhost_native::NativePlugin;
//!
//! let mut registry = VmRegistry::new();
//! registry.register_native(Arc::new(NativePlugin))?;
//! let mut chain = Chain::open(Arc::new(MemStore::new()), registry, ExecConfig::default())?;
//! let (alice, bob) = (Address::from_index(1), Address::from_index(2));
//! chain.genesis(&[(alice, 1_000_000)])?;
//!
//! let tx = vmhost::testing::transfer(alice, 0, bob, 500);
//! let out = chain.execute_wave(&vmhost::testing::block(1), &[tx])?;
//! assert_eq!(out.receipts[0].status, ReceiptStatus::Success);
//! assert_eq!(chain.account(&bob)?.balance, 500);
//! // base fee 1: the sender paid the transfer's fixed 21 000 gas.
//! assert_eq!(chain.account(&alice)?.balance, 1_000_000 - 500 - 21_000);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Concepts
//!
//! - **Trust boundary.** Signature checks of the transaction envelope belong to the chain: the
//!   plugin trusts `ctx.sender`, and for `MultisigSpend` it trusts that every address in
//!   `approvals` is a signer whose signature the chain verified on this transaction. The
//!   plugin checks that those addresses are signers of the multisig and counts them once each.
//! - **Outcomes.** A handler returns `Ok(Err(code))` for a consensus failure (a 600-699 native
//!   code, or `InsufficientBalance` / `BalanceOverflow` from a balance move): the executor
//!   discards the transaction's state and events and still charges the intrinsic gas and bumps
//!   the nonce. `Err(vmhost::Error)` is an infrastructure failure (I/O, a record that does not
//!   decode) and stops the wave. Handlers never panic and use checked arithmetic throughout.
//! - **Fees.** Fees and nonces are the executor's. It debits `gas_used × base_fee` after
//!   dispatch and discards a transaction whose effects leave the sender unable to pay it
//!   (`InsufficientBalance`), so handlers need not reserve the fee. `Slashing` from
//!   `Address::SYSTEM` is fee-exempt (the system account holds no balance).
//! - **State.** All records are borsh in state under [`vmhost_abi::keys`]:
//!   [`ValidatorRecord`](vmhost_abi::ValidatorRecord) under `keys::validator(addr)`, the
//!   validator's address under `keys::consensus_key(key)` for its bound key (a key is bound to
//!   at most one validator), [`MultisigRecord`](vmhost_abi::MultisigRecord) under
//!   `keys::multisig(addr)` with the account's balance in its ordinary account record, and
//!   `(validator, height)` under `keys::evidence(hash)` for processed slashing evidence.
//! - **Unbonding release.** `ValidatorUnbond` moves stake into an unbonding entry with
//!   `release_height = height + unbonding_period`. Release is lazy: at the start of every
//!   `ValidatorUnbond`, `ValidatorRotateKey` and `ValidatorUnjail` by a validator, its entries
//!   with `release_height <= height` are credited to its balance (event `UnbondingReleased`).
//!   `ValidatorRegister` does not release (it requires that no record exists). If the
//!   transaction then fails, the release is discarded with the rest of its state. A validator
//!   whose stake reaches 0 keeps its record (and key binding); it cannot register again.
//! - **Slashing.** Only [`Address::SYSTEM`](vmhost_abi::Address::SYSTEM) may submit
//!   `Slashing`. It burns `floor(stake × bps / 10 000)` of the bonded stake and the same
//!   fraction of each *pending* unbonding entry (matured but unreleased entries are the
//!   validator's and are not touched), records the evidence so it slashes once, and with
//!   [`NativeParams::slash_jail`] jails the validator until `height + jail_period`.
//! - **Events.** Every handler but `Transfer` emits an event from the system address; topics
//!   and payloads are in [`events`].
//!
//! - **Access lists.** [`NativePlugin::access_list`](vmhost::NativeHandler::access_list) derives
//!   every key a transaction touches from the transaction alone (a test checks it against the
//!   keys each handler actually touched). That is why a rotated-out consensus key stays bound
//!   to its validator: freeing it would touch a key named only in state. A retired key can never
//!   be registered again, and evidence signed with it still names its validator.
//!
//! ## Features
//!
//! None: the crate always builds the full handler set. Consensus parameters are the chain's
//! [`NativeParams`] (`ConsensusParams::native`), handed to every call through the context.

mod handlers;

pub mod events;

pub use handlers::multisig::multisig_address;
pub use handlers::slashing::BPS_DENOMINATOR;
pub use vmhost::NativeParams;

use vmhost::{NativeContext, NativeHandler, NativeResult};
use vmhost_abi::{keys, AccessList, Address, NativeTx};

/// The built-in native transaction handler: register it with
/// [`vmhost::VmRegistry::register_native`]. It holds no state: its parameters are the chain's
/// (`ConsensusParams::native`), handed to every call.
#[derive(Debug, Clone, Copy, Default)]
pub struct NativePlugin;

impl NativeHandler for NativePlugin {
    #[inline]
    fn intrinsic_gas(&self, tx: &NativeTx, params: &NativeParams) -> u64 {
        match tx {
            NativeTx::Transfer { .. } => params.transfer_gas,
            _ => params.system_gas,
        }
    }

    fn access_list(&self, tx: &NativeTx, sender: &Address, _params: &NativeParams) -> AccessList {
        let list = AccessList::new();
        match tx {
            NativeTx::Transfer { to, .. } => list.write(keys::account(to)),
            NativeTx::ValidatorRegister { consensus_key, .. } => {
                list.write(keys::validator(sender)).write(keys::consensus_key(consensus_key))
            }
            NativeTx::ValidatorRotateKey { new_key } => {
                list.write(keys::validator(sender)).write(keys::consensus_key(new_key))
            }
            NativeTx::ValidatorUnbond { .. } | NativeTx::ValidatorUnjail => list.write(keys::validator(sender)),
            NativeTx::MultisigCreate { signers, threshold } => {
                list.write(keys::multisig(&multisig_address(signers, *threshold)))
            }
            NativeTx::MultisigSpend { multisig, to, .. } => {
                list.write(keys::multisig(multisig)).write(keys::account(multisig)).write(keys::account(to))
            }
            NativeTx::Slashing { validator, evidence, .. } => {
                list.write(keys::validator(validator)).write(keys::evidence(evidence))
            }
        }
    }

    fn execute(&self, tx: &NativeTx, ctx: &mut NativeContext<'_, '_>) -> vmhost::Result<NativeResult> {
        use handlers::{multisig, slashing, transfer, validator};
        let p = ctx.params;
        match tx {
            NativeTx::Transfer { to, amount } => transfer::transfer(ctx, to, *amount),
            NativeTx::ValidatorRegister { stake, consensus_key } => validator::register(ctx, p, *stake, consensus_key),
            NativeTx::ValidatorUnbond { amount } => validator::unbond(ctx, p, *amount),
            NativeTx::ValidatorRotateKey { new_key } => validator::rotate_key(ctx, p, new_key),
            NativeTx::ValidatorUnjail => validator::unjail(ctx, p),
            NativeTx::MultisigCreate { signers, threshold } => multisig::create(ctx, p, signers, *threshold),
            NativeTx::MultisigSpend { multisig, to, amount, approvals } => {
                multisig::spend(ctx, p, multisig, to, *amount, approvals)
            }
            NativeTx::Slashing { validator, evidence, fraction_bps } => {
                slashing::slash(ctx, p, validator, evidence, *fraction_bps)
            }
        }
    }
}
