//! Numeric result codes carried on receipts and returned to guests.
//!
//! Codes live in numbered ranges; the `is_*` helpers classify a code by its range. The ranges
//! and every existing number are part of ABI v1: **append only, never renumber**.
//!
//! | range   | class                                                                  |
//! |---------|------------------------------------------------------------------------|
//! | 0       | success                                                                |
//! | 100-199 | ingress: the transaction is invalid and was not executed (no fee)      |
//! | 200-299 | deploy: the contract code was rejected by the deploy gate              |
//! | 300-399 | VM trap raised by the engine (out of gas, memory fault, ...)           |
//! | 400-499 | host error: a host function refused the call and trapped the guest     |
//! | 500-599 | revert: the contract asked to revert                                   |
//! | 600-699 | native transaction failure                                             |

use borsh::{BorshDeserialize, BorshSerialize};

macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $name:ident = $num:literal,)*) => {
        /// Every result code of ABI v1.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u32)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $name = $num,)*
        }

        impl ErrorCode {
            /// All codes, in numeric order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name,)*];

            /// The code's number.
            pub const fn as_u32(self) -> u32 {
                self as u32
            }

            /// Decodes a number; `None` for a number ABI v1 does not define.
            pub const fn from_u32(n: u32) -> Option<ErrorCode> {
                match n {
                    $($num => Some(ErrorCode::$name),)*
                    _ => None,
                }
            }

            /// The code's name as written in the ABI reference.
            pub const fn name(self) -> &'static str {
                match self {
                    $(ErrorCode::$name => stringify!($name),)*
                }
            }

            /// One-line description (the doc comment of the variant).
            pub const fn description(self) -> &'static str {
                match self {
                    $(ErrorCode::$name => concat!($($doc),*),)*
                }
            }
        }
    };
}

error_codes! {
    /// The call or transaction succeeded.
    Ok = 0,

    // ---- 100-199 ingress -------------------------------------------------------------
    /// The transaction bytes do not decode as a transaction.
    MalformedTransaction = 100,
    /// The nonce is not the sender's next nonce.
    BadNonce = 101,
    /// The sender cannot cover gas_limit x base_fee (plus any value sent).
    InsufficientFeeBalance = 102,
    /// The gas limit is below the transaction's intrinsic cost.
    GasLimitTooLow = 103,
    /// The gas limit exceeds the chain's per-transaction maximum.
    GasLimitTooHigh = 104,
    /// No backend is registered for the contract type.
    UnknownContractType = 105,
    /// No contract exists at the target address.
    UnknownContract = 106,
    /// Call data exceeds the chain's limit.
    CalldataTooLarge = 107,
    /// The entry-point name is empty, too long or not valid UTF-8.
    BadEntryPoint = 108,
    /// A parachain call targets a contract that is not a parachain (or vice versa).
    WrongContractKind = 109,
    /// The transaction's chain id does not match this chain.
    WrongChainId = 110,
    /// The access list has more entries than the chain allows, or omits a key ingress reads:
    /// the sender's account (always written: fee and nonce), the call target's contract record,
    /// or a deploy's contract record and code.
    BadAccessList = 111,

    // ---- 200-299 deploy --------------------------------------------------------------
    /// The code is not valid WebAssembly.
    InvalidWasm = 200,
    /// The module imports something outside the ABI allowlist (or with the wrong signature).
    ForbiddenImport = 201,
    /// The module uses a WebAssembly feature the deterministic profile disables.
    DisabledFeature = 202,
    /// The module exceeds a static deploy limit (size, functions, locals, memory, ...).
    LimitExceeded = 203,
    /// The module lacks a required export or exports something malformed.
    BadExports = 204,
    /// The engine failed to compile the module.
    CompileFailed = 205,
    /// A contract already exists at the derived address.
    ContractExists = 206,
    /// Only the owner may upgrade the contract.
    NotOwner = 207,
    /// The module has a start function, which contracts may not have.
    StartFunctionForbidden = 208,
    /// The owner renounced upgrades of this contract: its code can never change again.
    UpgradesRenounced = 209,
    /// There is no pending upgrade to cancel (none was proposed, or it already took effect).
    NoPendingUpgrade = 210,
    /// A parachain's code changes only through the chain's governance hook, which refused (the
    /// default hook refuses every upgrade).
    GovernanceRefused = 211,

    // ---- 300-399 VM traps ------------------------------------------------------------
    /// The gas budget ran out.
    OutOfGas = 300,
    /// A load or store touched memory outside the linear memory.
    MemoryOutOfBounds = 301,
    /// Integer overflow (for example i32.div_s of MIN by -1 or a trapping float->int conversion).
    IntegerOverflow = 302,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero = 303,
    /// The transaction's deterministic stack budget ran out: every function entry charges its
    /// frame's size (locals, parameters, operand stack, a frame constant) against one counter
    /// shared by all nested calls (the host's stack-height pass, identical on every engine).
    StackOverflow = 304,
    /// The `unreachable` instruction executed (Rust panics lower to it).
    Unreachable = 305,
    /// Reserved, never on a receipt: a wall-clock timeout depends on the validator's machine and
    /// load, so reaching it is an infrastructure failure of the node (the wave aborts and commits
    /// nothing). Gas alone bounds execution. (The number is kept: codes are append only.)
    Timeout = 306,
    /// The call's linear memory would exceed what the transaction may still use: the sum over
    /// every frame alive at once is capped by the consensus parameters (`memory.grow` past it, or
    /// a callee whose initial memory does not fit).
    MemoryLimit = 307,
    /// Nested cross-contract calls exceeded the depth limit.
    CallDepthExceeded = 308,
    /// call_indirect hit a signature mismatch or a null/out-of-range table entry.
    IndirectCallFault = 309,
    /// The requested entry point is not exported as a `() -> ()` function.
    UnknownEntryPoint = 310,
    /// An engine trap with no more specific code.
    OtherTrap = 399,

    // ---- 400-499 host errors ---------------------------------------------------------
    /// transfer (or a value-carrying call) exceeds the payer's balance.
    InsufficientBalance = 400,
    /// The call touched a state key outside the transaction's declared access list.
    AccessListViolation = 401,
    /// A guest pointer/length pair lies outside linear memory.
    GuestMemoryOutOfBounds = 402,
    /// A storage value exceeds the maximum value size.
    ValueTooLarge = 403,
    /// A host-function input exceeds its size limit.
    InputTooLarge = 404,
    /// The host function is declared in ABI v1 but not provided by this host.
    Unsupported = 405,
    /// Only parachain contracts may call this host function.
    ParachainOnly = 406,
    /// A state-changing host function was called inside a static (view-only) call.
    StaticCallViolation = 407,
    /// An arithmetic overflow in a balance.
    BalanceOverflow = 408,
    /// The event payload exceeds the maximum event size.
    EventTooLarge = 409,
    /// The transaction emitted more events than allowed.
    TooManyEvents = 410,
    /// A host-function argument is malformed.
    InvalidArgument = 411,
    /// set_return / revert data exceeds the maximum return size.
    ReturnDataTooLarge = 412,
    /// A cross-call target does not exist or has no code.
    CallTargetMissing = 413,
    /// The host function is not defined by ABI v1 (an unknown host function id).
    UnknownHostFunction = 414,
    /// The callee declared at deploy that it must not be re-entered, and it is already executing
    /// in this transaction's call stack.
    Reentrancy = 415,

    // ---- 500-599 revert --------------------------------------------------------------
    /// The contract reverted (return data carries its reason).
    Reverted = 500,

    // ---- 600-699 native transactions --------------------------------------------------
    /// The validator is already registered.
    ValidatorExists = 600,
    /// No validator is registered at this address.
    UnknownValidator = 601,
    /// The stake is below the chain's minimum.
    StakeTooLow = 602,
    /// The validator does not have that much bonded stake.
    InsufficientStake = 603,
    /// The validator is not jailed.
    NotJailed = 604,
    /// The validator's jail period has not ended.
    StillJailed = 605,
    /// The key is malformed or already used.
    BadKey = 606,
    /// The multisig threshold or signer set is invalid.
    BadMultisigConfig = 607,
    /// The multisig account does not exist.
    UnknownMultisig = 608,
    /// Fewer distinct authorised approvals than the threshold.
    ThresholdNotMet = 609,
    /// An approver is not one of the multisig's signers.
    NotASigner = 610,
    /// The sender is not allowed to submit this system transaction.
    Unauthorized = 611,
    /// The slashing evidence was already processed.
    DuplicateEvidence = 612,
    /// The amount is zero or otherwise invalid.
    InvalidAmount = 613,
    /// The multisig account already exists.
    MultisigExists = 614,
    /// The validator is jailed and cannot do this.
    ValidatorJailed = 615,
}

impl ErrorCode {
    /// 0: success.
    pub const fn is_ok(self) -> bool {
        self as u32 == 0
    }
    /// 100-199: the transaction was rejected at ingress.
    pub const fn is_ingress(self) -> bool {
        matches!(self as u32, 100..=199)
    }
    /// 200-299: the deploy gate rejected the code.
    pub const fn is_deploy(self) -> bool {
        matches!(self as u32, 200..=299)
    }
    /// 300-399: an engine trap.
    pub const fn is_vm_trap(self) -> bool {
        matches!(self as u32, 300..=399)
    }
    /// 400-499: a host function trapped the guest.
    pub const fn is_host_error(self) -> bool {
        matches!(self as u32, 400..=499)
    }
    /// 500-599: the contract reverted.
    pub const fn is_revert(self) -> bool {
        matches!(self as u32, 500..=599)
    }
    /// 600-699: a native transaction failed.
    pub const fn is_native(self) -> bool {
        matches!(self as u32, 600..=699)
    }
}

impl core::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} ({})", self.name(), self.as_u32())
    }
}

impl BorshSerialize for ErrorCode {
    fn serialize<W: borsh::io::Write>(&self, writer: &mut W) -> borsh::io::Result<()> {
        self.as_u32().serialize(writer)
    }
}

impl BorshDeserialize for ErrorCode {
    fn deserialize_reader<R: borsh::io::Read>(reader: &mut R) -> borsh::io::Result<Self> {
        let n = u32::deserialize_reader(reader)?;
        ErrorCode::from_u32(n)
            .ok_or_else(|| borsh::io::Error::new(borsh::io::ErrorKind::InvalidData, "unknown error code"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sorted_unique_and_classified() {
        let mut last = None;
        for c in ErrorCode::ALL {
            if let Some(prev) = last {
                assert!(c.as_u32() > prev, "{c} out of order");
            }
            last = Some(c.as_u32());
            assert_eq!(ErrorCode::from_u32(c.as_u32()), Some(*c));
            let classes = [
                c.is_ok(),
                c.is_ingress(),
                c.is_deploy(),
                c.is_vm_trap(),
                c.is_host_error(),
                c.is_revert(),
                c.is_native(),
            ];
            assert_eq!(classes.iter().filter(|b| **b).count(), 1, "{c} in no single range");
            assert!(!c.description().is_empty());
        }
    }

    #[test]
    fn from_u32_rejects_undefined_numbers() {
        assert_eq!(ErrorCode::from_u32(1), None);
        assert_eq!(ErrorCode::from_u32(u32::MAX), None);
    }
}
