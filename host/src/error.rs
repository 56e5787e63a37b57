//! Infrastructure errors of the host core.
//!
//! These are *not* consensus outcomes: a guest fault (trap, revert, out of gas, a failed native
//! transaction) is a [`vmhost_abi::Receipt`] status with gas. An [`Error`] means the node could
//! not execute or commit faithfully (I/O, corruption, a misconfigured registry, a host bug); it
//! stops the wave and nothing of that wave is committed.

use vmhost_abi::ContractType;

/// Host-core infrastructure error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The persistent store failed.
    #[error("storage error: {0}")]
    Storage(String),
    /// Data read from the store does not decode.
    #[error("corrupt data in store: {0}")]
    Corrupt(String),
    /// The state commitment (JMT) failed.
    #[error("state commitment failed: {0}")]
    Commitment(String),
    /// A backend failed in a way that is not the guest's fault.
    #[error("backend {backend} failed: {message}")]
    Backend {
        /// Backend name.
        backend: String,
        /// What happened.
        message: String,
    },
    /// Registry misuse.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// Invalid configuration.
    #[error("configuration error: {0}")]
    Config(String),
    /// Waves must be executed in increasing id order.
    #[error("wave {got} does not follow the last committed wave {last}")]
    WaveOrder {
        /// Last committed wave id.
        last: u64,
        /// Wave id offered.
        got: u64,
    },
    /// Genesis can only be applied to an empty store.
    #[error("genesis already applied")]
    GenesisApplied,
    /// A call ran past the node's wall-clock safety net. Gas bounds every call long before it
    /// on any sane machine, so this is the node's problem (overload, a stuck disk), never a
    /// receipt outcome: the wave aborts and nothing of it is committed.
    #[error("a {backend} call exceeded the node's wall-clock safety net; the wave is not committed")]
    Timeout {
        /// Backend name.
        backend: String,
    },
    /// The executor thread has too little native stack left for another nested call: the
    /// host's sizing does not fit this machine (never a receipt outcome).
    #[error("native stack exhausted at call depth {depth}: {remaining} bytes left, {needed} needed")]
    NativeStack {
        /// Depth of the call that could not start.
        depth: u32,
        /// Bytes of stack left on the thread.
        remaining: usize,
        /// Bytes a nested call reserves.
        needed: usize,
    },
    /// The consensus parameters differ from the ones the chain's store records.
    #[error(
        "consensus parameter `{name}` is {configured} in this configuration but {stored} in the store \
         (a change of consensus parameters is an upgrade at a given wave)"
    )]
    ParamsMismatch {
        /// The parameter's name, as in `[consensus]` of the chain file.
        name: String,
        /// The value the store records.
        stored: String,
        /// The value configured.
        configured: String,
    },
    /// An invariant of the host itself was broken (a bug).
    #[error("internal host error: {0}")]
    Internal(String),
    /// A read of a state this node has pruned ([`crate::NodeConfig::retain_waves`]).
    #[error("the state at wave {wave} is pruned: this node keeps the states from wave {oldest} on")]
    Pruned {
        /// The wave asked for.
        wave: u64,
        /// The oldest wave whose state is still readable.
        oldest: u64,
    },
    /// A wave this node never committed.
    #[error("wave {0} is not committed")]
    UnknownWave(u64),
}

/// Registry errors: duplicate or missing backends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// A backend is already registered for this contract type.
    #[error("a backend is already registered for contract type `{0}`")]
    Duplicate(ContractType),
    /// No backend is registered for this contract type.
    #[error("no backend registered for contract type `{0}`")]
    Unregistered(ContractType),
    /// Native handlers register under `ContractType::Native`, VMs under any other type.
    #[error("contract type `{0}` cannot take this kind of backend")]
    WrongKind(ContractType),
}

/// Result alias of the host core.
pub type Result<T, E = Error> = core::result::Result<T, E>;
