//! The shipped example modules are exactly what their sources build to (reproducible builds),
//! and they import only ABI v1 host functions.

use std::process::Command;

#[test]
fn shipped_example_wasm_matches_a_fresh_reproducible_build() {
    let script = vmhost_tests::repo_root().join("examples/build-contracts.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg("--check")
        // The nested cargo must pick the toolchain pinned in examples/contracts, not ours.
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTC")
        .env_remove("RUSTC_WRAPPER")
        .output()
        .expect(
            "run build-contracts.sh (needs bash, clang, lld and the pinned wasm32v1-none toolchain: ./dev.sh setup)",
        );
    assert!(
        out.status.success(),
        "examples/build-contracts.sh --check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn shipped_example_wasm_imports_only_abi_functions() {
    for name in ["counter", "token", "events", "traps", "c_counter"] {
        let code = vmhost_tests::example_wasm(name);
        let info = vmhost::wasm::validate(&code, &vmhost::wasm::WasmLimits::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!info.exported_functions.is_empty(), "{name} exports entry points");
    }
}
