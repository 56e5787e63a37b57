//! Hashing, signatures and threshold encryption.
//!
//! Keccak-256, BLAKE3, Poseidon2 (`vmhost/poseidon2/v1`) and FALCON-512 verification are built
//! in (`vmhost-crypto` for the last two). Threshold encryption goes through the chain's
//! provider ([`crate::ChainServices`]); the host derives every encryption's seed from public
//! transaction data ([`encryption_seed`]) so all validators make the same ciphertext.
//!
//! Costs: every function charges its row's base first (the dispatcher), then its per-unit
//! part from the declared lengths before reading anything: input bytes for the two byte hashes,
//! absorbed 62-byte blocks for Poseidon2, key + signature + `crypto.falcon_message_weight` ×
//! message bytes for FALCON, plaintext or ciphertext bytes for the threshold functions.

use sha3::Digest;
use vmhost_abi::{ErrorCode, GasCost, HostFn};
use vmhost_crypto::{falcon, poseidon2};

use super::{arg32, charge, ret_i32, HostCtx};
use crate::vm::{GuestMemory, HostTrap};

/// Domain of [`HostCtx::encryption_seed`] (a BLAKE3 key-derivation context).
pub const SEED_CONTEXT: &str = "vmhost/v1/threshold-encrypt-seed";

/// The seed of one `threshold_encrypt`: BLAKE3 in key-derivation mode with context
/// [`SEED_CONTEXT`] over `tx_hash (32) ‖ contract (32) ‖ depth (u32 LE) ‖ counter (u32 LE)`,
/// where `contract` is the calling frame's own address (its storage context), `depth` the
/// frame's call depth (1 for the top-level call) and `counter` the number of
/// `threshold_encrypt` calls the transaction made before this one, at any depth (calls in
/// frames that later failed count too).
pub fn encryption_seed(tx_hash: &[u8; 32], contract: &[u8; 32], depth: u32, counter: u32) -> [u8; 32] {
    let mut h = blake3::Hasher::new_derive_key(SEED_CONTEXT);
    h.update(tx_hash);
    h.update(contract);
    h.update(&depth.to_le_bytes());
    h.update(&counter.to_le_bytes());
    *h.finalize().as_bytes()
}

impl HostCtx<'_, '_> {
    /// The next encryption seed of this transaction (see [`encryption_seed`]).
    fn next_encryption_seed(&mut self) -> Result<[u8; 32], HostTrap> {
        let contract = self.frame()?.storage;
        let depth = u32::try_from(self.frames.len()).unwrap_or(u32::MAX);
        let counter = self.encryptions;
        self.encryptions = self.encryptions.saturating_add(1);
        Ok(encryption_seed(&self.tx_hash, &contract.0, depth, counter))
    }

    pub(super) fn crypto_fn(
        &mut self,
        f: HostFn,
        args: &[u64],
        mem: &mut dyn GuestMemory,
        gas: &mut u64,
        cost: GasCost,
    ) -> Result<u64, HostTrap> {
        let max_input = self.params.limits.max_crypto_input;
        match f {
            HostFn::HashKeccak256 | HostFn::HashBlake3 | HostFn::HashPoseidon2 => {
                let (in_ptr, in_len, out_ptr) = (arg32(args, 0), arg32(args, 1), arg32(args, 2));
                if in_len > max_input {
                    return Err(HostTrap::new(ErrorCode::InputTooLarge));
                }
                // Poseidon2 is priced per absorbed block (one permutation each), the byte
                // hashes per byte.
                let units = match f {
                    HostFn::HashPoseidon2 => poseidon2::blocks(in_len as usize),
                    _ => u64::from(in_len),
                };
                charge(gas, cost.per_byte.saturating_mul(units))?;
                let input = mem.read(in_ptr, in_len)?;
                let out: [u8; 32] = match f {
                    HostFn::HashKeccak256 => sha3::Keccak256::digest(input).into(),
                    HostFn::HashBlake3 => *blake3::hash(input).as_bytes(),
                    _ => poseidon2::hash(input),
                };
                mem.write(out_ptr, &out)?;
                Ok(0)
            }
            HostFn::FalconVerify => {
                let [pk_len, msg_len, sig_len] = [arg32(args, 1), arg32(args, 3), arg32(args, 5)];
                if [pk_len, msg_len, sig_len].iter().any(|l| *l > max_input) {
                    return Err(HostTrap::new(ErrorCode::InputTooLarge));
                }
                let weight = self.params.crypto.falcon_message_weight;
                let units = u64::from(pk_len)
                    .saturating_add(u64::from(sig_len))
                    .saturating_add(weight.saturating_mul(u64::from(msg_len)));
                charge(gas, cost.per_byte.saturating_mul(units))?;
                let pk = mem.read(arg32(args, 0), pk_len)?;
                let msg = mem.read(arg32(args, 2), msg_len)?;
                let sig = mem.read(arg32(args, 4), sig_len)?;
                // Malformed keys and signatures are not valid signatures: 0, never a trap.
                Ok(u64::from(falcon::verify512(pk, msg, sig) == Ok(true)))
            }
            HostFn::ThresholdEncrypt | HostFn::ThresholdDecrypt => {
                let (in_ptr, in_len, out_ptr, out_cap) =
                    (arg32(args, 0), arg32(args, 1), arg32(args, 2), arg32(args, 3));
                if in_len > max_input {
                    return Err(HostTrap::new(ErrorCode::InputTooLarge));
                }
                charge(gas, cost.per_byte.saturating_mul(in_len as u64))?;
                let env = self.env;
                let services = &*env.services;
                let out = if f == HostFn::ThresholdEncrypt {
                    let seed = self.next_encryption_seed()?;
                    let input = mem.read(in_ptr, in_len)?;
                    services.threshold_encrypt(input, &seed).map_err(HostTrap::new)?
                } else {
                    let input = mem.read(in_ptr, in_len)?;
                    match services.threshold_decrypt(input).map_err(HostTrap::new)? {
                        Some(plaintext) => plaintext,
                        None => return Ok(ret_i32(-1)),
                    }
                };
                // A provider's output is bounded like return data before it is measured in an
                // i32 (a provider is chain code, but the guest sees only what the ABI allows).
                if out.len() > self.params.limits.max_return_len as usize {
                    return Err(HostTrap::new(ErrorCode::ReturnDataTooLarge));
                }
                if out.len() <= out_cap as usize {
                    mem.write(out_ptr, &out)?;
                }
                Ok(ret_i32(i32::try_from(out.len()).unwrap_or(i32::MAX)))
            }
            _ => Err(HostTrap::new(ErrorCode::UnknownHostFunction)),
        }
    }
}
