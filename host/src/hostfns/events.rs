//! Events: buffered in the current overlay frame; discarded with it on revert.

use vmhost_abi::{ErrorCode, Event, GasCost};

use super::{arg32, charge, HostCtx};
use crate::vm::{GuestMemory, HostTrap};

impl HostCtx<'_, '_> {
    pub(super) fn emit_event(
        &mut self,
        args: &[u64],
        mem: &mut dyn GuestMemory,
        gas: &mut u64,
        cost: GasCost,
    ) -> Result<u64, HostTrap> {
        let (topic_ptr, data_ptr, data_len) = (arg32(args, 0), arg32(args, 1), arg32(args, 2));
        let limits = &self.params.limits;
        if data_len > limits.max_event_data {
            return Err(HostTrap::new(ErrorCode::EventTooLarge));
        }
        if self.state.event_count() >= limits.max_events_per_tx as usize {
            return Err(HostTrap::new(ErrorCode::TooManyEvents));
        }
        charge(gas, cost.per_byte.saturating_mul(data_len as u64))?;
        let topic = mem.read32(topic_ptr)?;
        let data = mem.read(data_ptr, data_len)?.to_vec();
        let contract = self.frame()?.storage;
        self.state.emit(Event { contract, topic, data });
        Ok(0)
    }
}
