//! Consensus parameters of the native transaction handlers.

/// Parameters of the native plugin. Consensus-relevant: every validator of a chain must run
/// the plugin with the same values.
///
/// Fields are public; construct with [`NativeParams::default`] and adjust fields or use the
/// builder methods:
///
/// ```
/// use vmhost_native::NativeParams;
/// let mut params = NativeParams::default();
/// params.min_stake(10_000).unbonding_period(1_000).slash_jail(false);
/// assert_eq!(params.min_stake, 10_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NativeParams {
    /// Smallest stake a validator may register with or keep bonded (default 1 000).
    pub min_stake: u128,
    /// Blocks between an unbond and the release of its stake to the balance (default 100).
    pub unbonding_period: u64,
    /// Blocks a slashed validator stays jailed before it may unjail (default 50).
    pub jail_period: u64,
    /// Shortest accepted consensus key in bytes (default 32).
    pub min_key_len: usize,
    /// Longest accepted consensus key in bytes (default 2 048; FALCON-512 keys are 897).
    pub max_key_len: usize,
    /// Most signers a multisig account may have (default 32). Keep it at most 250 so the
    /// `MultisigCreated` event (which lists the signers) stays within `MAX_EVENT_DATA`.
    pub max_signers: usize,
    /// Whether slashing also jails the validator until `height + jail_period` (default true).
    pub slash_jail: bool,
}

impl Default for NativeParams {
    fn default() -> Self {
        Self {
            min_stake: 1_000,
            unbonding_period: 100,
            jail_period: 50,
            min_key_len: 32,
            max_key_len: 2048,
            max_signers: 32,
            slash_jail: true,
        }
    }
}

impl NativeParams {
    /// Sets [`NativeParams::min_stake`].
    pub fn min_stake(&mut self, v: u128) -> &mut Self {
        self.min_stake = v;
        self
    }
    /// Sets [`NativeParams::unbonding_period`].
    pub fn unbonding_period(&mut self, v: u64) -> &mut Self {
        self.unbonding_period = v;
        self
    }
    /// Sets [`NativeParams::jail_period`].
    pub fn jail_period(&mut self, v: u64) -> &mut Self {
        self.jail_period = v;
        self
    }
    /// Sets the accepted consensus-key length range, in bytes (inclusive).
    pub fn key_len(&mut self, min: usize, max: usize) -> &mut Self {
        self.min_key_len = min;
        self.max_key_len = max;
        self
    }
    /// Sets [`NativeParams::max_signers`].
    pub fn max_signers(&mut self, v: usize) -> &mut Self {
        self.max_signers = v;
        self
    }
    /// Sets [`NativeParams::slash_jail`].
    pub fn slash_jail(&mut self, v: bool) -> &mut Self {
        self.slash_jail = v;
        self
    }
}
