//! A VM plugin for the host's own tests: a trivial VM of its own code format whose handshake
//! and behaviour the chain configuration's options choose, so the tests can load a plugin that
//! declares another interface or ABI version, or that panics in a given place.
//!
//! Options (comma-separated, from the plugin's `options`):
//! - `type=plugin:<id>`: the contract type it declares (default `plugin:faulty`);
//! - `interface=N`, `abi=N`, `metering=N`, `format=wasm`: what the handshake declares;
//! - `panic=info|new|compile|load|call|host`: where it panics (`host`: while handling the
//!   result of a host call, as import glue would).
//!
//! Its code format: any bytes; a call charges 100 gas, asks the host for `block_height` and
//! returns.

use vmhost_plugin_interface::vmhost_abi::HostFn;
use vmhost_plugin_interface::{
    export_plugin, CallArgs, CallOutcome, CodeFormat, Host, HostConfig, Plugin, PluginError, PluginInfo, PluginModule,
};

fn option<'a>(options: &'a str, key: &str) -> Option<&'a str> {
    options.split(',').filter_map(|kv| kv.split_once('=')).find(|(k, _)| k.trim() == key).map(|(_, v)| v.trim())
}

fn panics_at(options: &str, place: &str) -> bool {
    option(options, "panic") == Some(place)
}

/// The faulty VM.
pub struct Faulty {
    options: String,
}

/// Its modules.
pub struct FaultyModule {
    options: String,
}

impl Plugin for Faulty {
    type Module = FaultyModule;

    fn info(options: &str) -> PluginInfo {
        assert!(!panics_at(options, "info"), "asked to panic in info");
        let format =
            if option(options, "format") == Some("wasm") { CodeFormat::PreparedWasm } else { CodeFormat::Custom };
        let mut info = PluginInfo::current(option(options, "type").unwrap_or("plugin:faulty"), "faulty", format, 0);
        let num = |k: &str, d: u32| option(options, k).and_then(|v| v.parse().ok()).unwrap_or(d);
        info.interface_version = num("interface", info.interface_version);
        info.abi_version = num("abi", info.abi_version);
        info.metering_version = num("metering", info.metering_version);
        info
    }

    fn new(config: &HostConfig) -> Result<Self, PluginError> {
        assert!(!panics_at(&config.options, "new"), "asked to panic in new");
        Ok(Faulty { options: config.options.to_string() })
    }

    fn artifact_tag(&self) -> [u8; 32] {
        [7; 32]
    }

    fn compile(&self, code: &[u8]) -> Result<Vec<u8>, PluginError> {
        assert!(!panics_at(&self.options, "compile"), "asked to panic in compile");
        Ok(code.to_vec())
    }

    fn load(&self, _artifact: &[u8]) -> Result<FaultyModule, PluginError> {
        assert!(!panics_at(&self.options, "load"), "asked to panic in load");
        Ok(FaultyModule { options: self.options.clone() })
    }
}

impl PluginModule for FaultyModule {
    fn call(&self, call: &CallArgs<'_>, host: &mut Host<'_>) -> Result<CallOutcome, PluginError> {
        assert!(!panics_at(&self.options, "call"), "asked to panic in call");
        let mut gas = call.gas_limit.saturating_sub(100);
        let r = host.host_call(HostFn::BlockHeight as u32, &[], &mut [], None, &mut gas);
        assert!(!panics_at(&self.options, "host"), "asked to panic while handling a host call");
        Ok(match r {
            Ok(_) => CallOutcome::ok(gas),
            Err(code) => CallOutcome { trap: vmhost_plugin_interface::Trap::Code, code, ..CallOutcome::ok(gas) },
        })
    }
}

export_plugin!(Faulty);
