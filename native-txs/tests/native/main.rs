//! End-to-end tests of the native plugin through `vmhost::Chain` over an in-memory store:
//! receipts (status, code, gas, fee, events) and committed state. One module per topic.

mod access;
mod harness;
mod multisig;
mod params;
mod slashing;
mod transfer;
mod unbonding;
mod validator;
