//! Storage and balances. Contract slots are namespaced by the host
//! (`keys::storage(self_address, slot)`), so no contract can touch another's storage.

use vmhost_abi::{keys, Address, ErrorCode, GasCost, HostFn};

use super::{arg32, charge, ret_i32, HostCtx};
use crate::accounts;
use crate::vm::{GuestMemory, HostTrap};

impl HostCtx<'_, '_> {
    pub(super) fn storage_fn(
        &mut self,
        f: HostFn,
        args: &[u64],
        mem: &mut dyn GuestMemory,
        gas: &mut u64,
        cost: GasCost,
    ) -> Result<u64, HostTrap> {
        match f {
            HostFn::Sload => {
                let (key_ptr, out_ptr, out_cap) = (arg32(args, 0), arg32(args, 1), arg32(args, 2));
                let slot = mem.read32(key_ptr)?;
                let key = self.storage_key(&slot)?;
                self.check_read(&key)?;
                let value = self.state.get(&key).map_err(|e| self.fatal(e))?;
                let Some(value) = value else { return Ok(ret_i32(-1)) };
                charge(gas, cost.per_byte.saturating_mul(value.len() as u64))?;
                let n = value.len().min(out_cap as usize);
                mem.write(out_ptr, &value[..n])?;
                Ok(ret_i32(value.len() as i32))
            }
            HostFn::Sstore => {
                let (key_ptr, val_ptr, val_len) = (arg32(args, 0), arg32(args, 1), arg32(args, 2));
                if val_len > self.params.limits.max_value_len {
                    return Err(HostTrap::new(ErrorCode::ValueTooLarge));
                }
                charge(gas, cost.per_byte.saturating_mul(val_len as u64))?;
                let slot = mem.read32(key_ptr)?;
                let value = mem.read(val_ptr, val_len)?;
                let key = self.storage_key(&slot)?;
                self.check_write(&key)?;
                let current = self.state.get(&key).map_err(|e| self.fatal(e))?;
                match current {
                    None => {
                        charge(gas, self.params.intrinsic.new_slot_surcharge)?;
                        let owner = self.frame()?.storage;
                        self.state.note_created_slot(owner, slot);
                    }
                    // Writing the value the slot holds changes nothing: no write, so no new state
                    // version (the gas is the same either way).
                    Some(v) if v[..] == *value => return Ok(0),
                    Some(_) => {}
                }
                self.state.put(key, value.to_vec());
                Ok(0)
            }
            HostFn::Sdelete => {
                let slot = mem.read32(arg32(args, 0))?;
                let key = self.storage_key(&slot)?;
                self.check_write(&key)?;
                // Deleting an empty slot changes nothing: no write, so no new state version.
                if self.state.get(&key).map_err(|e| self.fatal(e))?.is_some() {
                    self.state.delete(key);
                }
                Ok(0)
            }
            HostFn::Balance => {
                let addr = Address(mem.read32(arg32(args, 0))?);
                let key = keys::account(&addr);
                self.check_read(&key)?;
                let acct = accounts::read_key(&self.state, &key).map_err(|e| self.fatal(e))?;
                mem.write(arg32(args, 1), &acct.balance.to_le_bytes())?;
                Ok(0)
            }
            HostFn::Transfer => {
                let to = Address(mem.read32(arg32(args, 0))?);
                let mut amount = [0u8; 16];
                amount.copy_from_slice(mem.read(arg32(args, 1), 16)?);
                let amount = u128::from_le_bytes(amount);
                let from = self.frame()?.storage;
                let (from_key, to_key) = (keys::account(&from), keys::account(&to));
                self.check_write(&from_key)?;
                self.check_write(&to_key)?;
                match accounts::transfer_keys(&mut self.state, (&from, from_key), (&to, to_key), amount) {
                    Ok(Ok(())) => Ok(0),
                    Ok(Err(code)) => Err(HostTrap::new(code)),
                    Err(e) => Err(self.fatal(e)),
                }
            }
            _ => Err(HostTrap::new(ErrorCode::UnknownHostFunction)),
        }
    }
}
