//! Hashing and the crypto services a chain supplies.
//!
//! Keccak-256 and BLAKE3 are built in. Poseidon2, FALCON-512 verification and threshold
//! encryption depend on the chain's parameters (field and round constants, committee keys), so
//! the chain supplies them through [`ChainServices`]; without a provider the host function
//! traps with `Unsupported` (listed as such in `docs/abi-v1.md`).

use sha3::Digest;
use vmhost_abi::{ErrorCode, GasCost, HostFn};

use super::{arg32, charge, ret_i32, HostCtx};
use crate::vm::{GuestMemory, HostTrap};

/// Cryptographic services supplied by the chain. Every method must be deterministic across
/// validators. The defaults return `Unsupported`.
pub trait ChainServices: Send + Sync {
    /// Poseidon2 hash of `input`.
    fn poseidon2(&self, _input: &[u8]) -> Result<[u8; 32], ErrorCode> {
        Err(ErrorCode::Unsupported)
    }
    /// FALCON-512 verification.
    fn falcon512_verify(&self, _pk: &[u8], _msg: &[u8], _sig: &[u8]) -> Result<bool, ErrorCode> {
        Err(ErrorCode::Unsupported)
    }
    /// Encrypts under the current committee's threshold key.
    fn threshold_encrypt(&self, _plaintext: &[u8]) -> Result<Vec<u8>, ErrorCode> {
        Err(ErrorCode::Unsupported)
    }
    /// Combines the pre-collected committee shares and decrypts.
    fn threshold_decrypt(&self, _ciphertext: &[u8]) -> Result<Vec<u8>, ErrorCode> {
        Err(ErrorCode::Unsupported)
    }
}

/// No services: every service host function traps with `Unsupported`.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoServices;

impl ChainServices for NoServices {}

impl HostCtx<'_, '_> {
    pub(super) fn crypto_fn(
        &mut self,
        f: HostFn,
        args: &[u64],
        mem: &mut dyn GuestMemory,
        gas: &mut u64,
        cost: GasCost,
    ) -> Result<u64, HostTrap> {
        let services = &*self.env.services;
        let max_input = self.params.limits.max_crypto_input;
        match f {
            HostFn::HashKeccak256 | HostFn::HashBlake3 | HostFn::HashPoseidon2 => {
                let (in_ptr, in_len, out_ptr) = (arg32(args, 0), arg32(args, 1), arg32(args, 2));
                if in_len > max_input {
                    return Err(HostTrap::new(ErrorCode::InputTooLarge));
                }
                charge(gas, cost.per_byte.saturating_mul(in_len as u64))?;
                let input = mem.read(in_ptr, in_len)?;
                let out: [u8; 32] = match f {
                    HostFn::HashKeccak256 => sha3::Keccak256::digest(input).into(),
                    HostFn::HashBlake3 => *blake3::hash(input).as_bytes(),
                    _ => services.poseidon2(input).map_err(HostTrap::new)?,
                };
                mem.write(out_ptr, &out)?;
                Ok(0)
            }
            HostFn::FalconVerify => {
                let lens = [arg32(args, 1), arg32(args, 3), arg32(args, 5)];
                if lens.iter().any(|l| *l > max_input) {
                    return Err(HostTrap::new(ErrorCode::InputTooLarge));
                }
                // Key, message and signature bytes all pass through the verifier.
                let bytes: u64 = lens.iter().map(|l| u64::from(*l)).sum();
                charge(gas, cost.per_byte.saturating_mul(bytes))?;
                let pk = mem.read(arg32(args, 0), lens[0])?;
                let msg = mem.read(arg32(args, 2), lens[1])?;
                let sig = mem.read(arg32(args, 4), lens[2])?;
                let ok = services.falcon512_verify(pk, msg, sig).map_err(HostTrap::new)?;
                Ok(ok as u64)
            }
            HostFn::ThresholdEncrypt | HostFn::ThresholdDecrypt => {
                let (in_ptr, in_len, out_ptr, out_cap) =
                    (arg32(args, 0), arg32(args, 1), arg32(args, 2), arg32(args, 3));
                if in_len > max_input {
                    return Err(HostTrap::new(ErrorCode::InputTooLarge));
                }
                charge(gas, cost.per_byte.saturating_mul(in_len as u64))?;
                let input = mem.read(in_ptr, in_len)?;
                let out = if f == HostFn::ThresholdEncrypt {
                    services.threshold_encrypt(input)
                } else {
                    services.threshold_decrypt(input)
                }
                .map_err(HostTrap::new)?;
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
