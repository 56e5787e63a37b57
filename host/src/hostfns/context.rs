//! Call context: input, return data, revert, identities, block values, explicit gas.

use vmhost_abi::{ErrorCode, GasCost, HostFn};

use super::{arg32, charge, ret_i32, HostCtx};
use crate::vm::{GuestMemory, HostTrap};

/// Copies `src[offset..offset+len]` to guest `dst` after charging per byte.
fn copy_out(
    src: &[u8],
    args: &[u64],
    mem: &mut dyn GuestMemory,
    gas: &mut u64,
    cost: GasCost,
) -> Result<u64, HostTrap> {
    let (dst, offset, len) = (arg32(args, 0), arg32(args, 1) as usize, arg32(args, 2) as usize);
    charge(gas, cost.per_byte.saturating_mul(len as u64))?;
    let end = offset.checked_add(len).ok_or(HostTrap::new(ErrorCode::InvalidArgument))?;
    let bytes = src.get(offset..end).ok_or(HostTrap::new(ErrorCode::InvalidArgument))?;
    mem.write(dst, bytes)?;
    Ok(0)
}

impl HostCtx<'_, '_> {
    pub(super) fn context_fn(
        &mut self,
        f: HostFn,
        args: &[u64],
        mem: &mut dyn GuestMemory,
        gas: &mut u64,
        cost: GasCost,
    ) -> Result<u64, HostTrap> {
        let block = self.block;
        match f {
            HostFn::InputLen => Ok(ret_i32(self.frame()?.input.len() as i32)),
            HostFn::InputRead => copy_out(&self.frame()?.input, args, mem, gas, cost),
            HostFn::ReturnDataLen => Ok(ret_i32(self.frame()?.last_call.len() as i32)),
            HostFn::ReturnDataRead => copy_out(&self.frame()?.last_call, args, mem, gas, cost),
            HostFn::SetReturn | HostFn::Revert => {
                let (ptr, len) = (arg32(args, 0), arg32(args, 1));
                if len > self.params.limits.max_return_len {
                    return Err(HostTrap::new(ErrorCode::ReturnDataTooLarge));
                }
                charge(gas, cost.per_byte.saturating_mul(len as u64))?;
                let data = mem.read(ptr, len)?.to_vec();
                let frame = self.frame_mut()?;
                if f == HostFn::SetReturn {
                    frame.return_data = data;
                    Ok(0)
                } else {
                    frame.revert_data = data;
                    Err(HostTrap::new(ErrorCode::Reverted))
                }
            }
            HostFn::Caller => {
                let a = self.frame()?.caller;
                mem.write(arg32(args, 0), &a.0).map(|_| 0)
            }
            HostFn::Origin => mem.write(arg32(args, 0), &self.origin.0).map(|_| 0),
            HostFn::SelfAddress => {
                let a = self.frame()?.storage;
                mem.write(arg32(args, 0), &a.0).map(|_| 0)
            }
            HostFn::BlockHeight => Ok(block.height),
            HostFn::WaveId => Ok(block.wave_id),
            HostFn::BlockTimestamp => Ok(block.timestamp_ms),
            HostFn::ChainId => Ok(self.params.chain_id),
            HostFn::BeaconGet => mem.write(arg32(args, 0), &block.beacon).map(|_| 0),
            HostFn::ConsumeGas => {
                charge(gas, args.first().copied().unwrap_or(0))?;
                Ok(0)
            }
            HostFn::GasLeft => Ok(*gas),
            HostFn::CallValue => {
                let v = self.frame()?.value;
                mem.write(arg32(args, 0), &v.to_le_bytes()).map(|_| 0)
            }
            _ => Err(HostTrap::new(ErrorCode::UnknownHostFunction)),
        }
    }
}
