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
