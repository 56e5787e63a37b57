//! `vmhost conformance`: the conformance kit (`tests/conformance`) against the wasm backends
//! this build has, as a table.

use anyhow::{bail, Result};
use vmhost::ChainConfig;
use vmhost_conformance::{Backend, Kit};

use crate::chain::{wasm_backend, WASM_BACKENDS};

pub fn run(
    cfg: &ChainConfig,
    backends: &[String],
    plugin: Option<&std::path::Path>,
    filter: Option<&str>,
    verbose: bool,
) -> Result<()> {
    let names: Vec<String> = match backends {
        [] if plugin.is_some() => Vec::new(),
        [] => vec![crate::chain::configured_wasm(cfg).to_string()],
        [one] if one == "all" => WASM_BACKENDS.iter().filter(|b| **b != "wasmer").map(|b| b.to_string()).collect(),
        list => list.to_vec(),
    };
    for n in &names {
        if !WASM_BACKENDS.contains(&n.as_str()) {
            bail!("unknown wasm backend `{n}` (available: {}, or all)", WASM_BACKENDS.join(", "));
        }
    }
    let mut kit = Kit::bundled()?;
    if let Some(f) = filter {
        kit = kit.filter(f);
    }
    let mut backends: Vec<Backend<'_>> = names
        .iter()
        .map(|n| {
            Backend::new(n.clone(), move || {
                let mut r = vmhost::VmRegistry::new();
                // The registry the chain file describes, with this wasm backend.
                let built = (|| -> Result<vmhost::VmRegistry> {
                    r.register_native(std::sync::Arc::new(vmhost_native::NativePlugin))?;
                    r.register_vm(vmhost_abi::ContractType::Wasm, wasm_backend(cfg, n)?)?;
                    Ok(r)
                })();
                built.unwrap_or_else(|e| {
                    eprintln!("backend {n}: {e:#}");
                    vmhost::VmRegistry::new()
                })
            })
        })
        .collect();
    if let Some(path) = plugin {
        // Loaded once (a library is never unloaded); a fresh VM of it per fixture.
        let exec = cfg.exec_config()?;
        let name = vmhost::plugin::load_plugin(path, &exec, "")?.info.name.to_string();
        backends.push(Backend::new(format!("plugin {name}"), move || {
            let mut r = vmhost::VmRegistry::new();
            let built = (|| -> Result<vmhost::VmRegistry> {
                r.register_native(std::sync::Arc::new(vmhost_native::NativePlugin))?;
                let loaded = vmhost::plugin::load_plugin(path, &exec, "")?;
                r.register_vm(vmhost_abi::ContractType::Wasm, loaded.vm)?;
                Ok(r)
            })();
            built.unwrap_or_else(|e| {
                eprintln!("plugin {}: {e:#}", path.display());
                vmhost::VmRegistry::new()
            })
        }));
    }
    anyhow::ensure!(!backends.is_empty(), "no backend to run");
    println!("{} fixtures from {}", kit.fixtures.len(), kit.dir.display());
    let report = kit.run(&backends);
    print!("{}", report.table());
    if !report.passed() {
        let failures = report.failures();
        if verbose {
            print!("{failures}");
        } else {
            for line in failures.lines().take(20) {
                println!("{line}");
            }
            println!("(--verbose for every failing field)");
        }
        bail!("conformance failures");
    }
    Ok(())
}
