//! Events emitted by the native handlers.
//!
//! Every event is emitted from [`vmhost_abi::Address::SYSTEM`] with topic
//! `BLAKE3(<name>)` (see [`topic`]) and a borsh payload: the struct of the same name below.
//! A struct's borsh encoding equals the borsh encoding of the tuple of its fields, so
//! `ValidatorRegistered` data is `borsh((address, stake))`.
//!
//! Native transfers emit no event (the hot path stays allocation-light); the receipt and the
//! state diff record them.

use borsh::{BorshDeserialize, BorshSerialize};
use vmhost_abi::Address;

/// The topic of the event called `name`: `BLAKE3(name)`.
pub fn topic(name: &str) -> [u8; 32] {
    *blake3::hash(name.as_bytes()).as_bytes()
}

/// A native event payload with its canonical name.
pub trait NativeEvent: BorshSerialize {
    /// The event's name; its topic is [`topic`]`(NAME)`.
    const NAME: &'static str;

    /// The event's topic.
    fn topic() -> [u8; 32] {
        topic(Self::NAME)
    }
}

macro_rules! native_event {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
        pub struct $name {
            $($(#[$fdoc])* pub $field: $ty,)*
        }

        impl NativeEvent for $name {
            const NAME: &'static str = stringify!($name);
        }
    };
}

native_event!(
    /// A validator registered (`ValidatorRegister`).
    ValidatorRegistered {
        /// The validator (the sender).
        validator: Address,
        /// Stake bonded.
        stake: u128,
    }
);

native_event!(
    /// A validator started unbonding (`ValidatorUnbond`).
    ValidatorUnbonded {
        /// The validator.
        validator: Address,
        /// Amount moved from the stake into unbonding.
        amount: u128,
        /// Height at which the amount becomes releasable.
        release_height: u64,
    }
);

native_event!(
    /// Matured unbonding entries were credited back to the validator's balance.
    UnbondingReleased {
        /// The validator.
        validator: Address,
        /// Total amount credited.
        amount: u128,
    }
);

native_event!(
    /// A validator replaced its consensus key (`ValidatorRotateKey`).
    ValidatorKeyRotated {
        /// The validator.
        validator: Address,
        /// BLAKE3 of the new key (the key itself is in the validator record).
        key_hash: [u8; 32],
    }
);

native_event!(
    /// A validator left jail (`ValidatorUnjail`).
    ValidatorUnjailed {
        /// The validator.
        validator: Address,
    }
);

native_event!(
    /// A multisig account was created (`MultisigCreate`).
    MultisigCreated {
        /// The multisig account's address (see [`crate::multisig_address`]).
        multisig: Address,
        /// Approvals required.
        threshold: u8,
        /// Signers, sorted.
        signers: Vec<Address>,
    }
);

native_event!(
    /// A multisig account spent (`MultisigSpend`).
    MultisigSpent {
        /// The multisig account.
        multisig: Address,
        /// Recipient.
        to: Address,
        /// Amount moved.
        amount: u128,
        /// The account's spend counter after this spend.
        spends: u64,
    }
);

native_event!(
    /// A validator was slashed (`Slashing`).
    ValidatorSlashed {
        /// The validator.
        validator: Address,
        /// The evidence hash (now marked as used).
        evidence: [u8; 32],
        /// Total burned: bonded stake plus pending unbonding entries.
        amount: u128,
        /// Whether the validator is jailed after the slash.
        jailed: bool,
        /// Height before which an unjail is refused.
        jailed_until: u64,
    }
);
