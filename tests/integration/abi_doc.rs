//! The committed ABI reference must be exactly what the table generates.

#[test]
fn abi_doc_matches_the_table() {
    let path = vmhost_tests::repo_root().join("docs/abi-v1.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = vmhost::docs::abi_reference();
    assert!(
        committed == generated,
        "docs/abi-v1.md is out of date: run `cargo run -p vmhost-cli -- abi-doc > docs/abi-v1.md`"
    );
}

#[test]
fn abi_doc_lists_every_host_function_and_code() {
    let doc = vmhost::docs::abi_reference();
    for (name, _) in vmhost::ConsensusParams::default().entries() {
        assert!(doc.contains(&format!("`{name}`")), "parameter {name} missing");
    }
    for f in vmhost_abi::HOST_FUNCTIONS {
        assert!(doc.contains(&format!("`{}`", f.name)), "{} missing", f.name);
    }
    for c in vmhost_abi::ErrorCode::ALL {
        assert!(doc.contains(c.name()), "{} missing", c.name());
    }
}

/// `docs/config.md` names every key of the chain file with its default, and its example parses.
#[test]
fn config_doc_lists_every_key_with_its_default_and_its_example_parses() {
    let doc = std::fs::read_to_string(vmhost_tests::repo_root().join("docs/config.md")).unwrap();
    let defaults = serde_json::to_value(vmhost::ChainConfig::default()).unwrap();
    let sections = defaults.as_object().unwrap();
    let mut keys = 0;
    for (section, table) in sections {
        for (key, value) in table.as_object().unwrap() {
            let row = doc
                .lines()
                .find(|l| l.starts_with(&format!("| `[{section}]` `{key}` |")))
                .unwrap_or_else(|| panic!("docs/config.md has no row for [{section}] {key}"));
            if key != "threads" {
                let shown = match value {
                    serde_json::Value::String(s) => format!("`\"{s}\"`"),
                    other => format!("`{other}`"),
                };
                assert!(row.contains(&shown), "[{section}] {key}: default {shown} not in {row:?}");
            }
            keys += 1;
        }
        // Sections whose keys are open (backends, consensus) have rows of their own.
        assert!(doc.contains(&format!("| `[{section}]`")) || doc.contains(&format!("| `[[{section}")), "{section}");
    }
    assert!(keys >= 9, "{keys}");
    let example = doc.split("```toml\n").nth(1).and_then(|s| s.split("```").next()).expect("a toml example");
    let cfg = vmhost::ChainConfig::from_toml(example).unwrap_or_else(|e| panic!("the example does not parse: {e}"));
    let exec = cfg.exec_config().unwrap();
    assert_eq!(exec.params_at(999), &vmhost::ConsensusParams::default(), "its consensus values are the defaults");
    assert_eq!(exec.params_at(1000).max_tx_gas, 200_000_000);
    assert_eq!((cfg.node.threads, cfg.node.query_gas_cap), (2, 100_000_000));
}
