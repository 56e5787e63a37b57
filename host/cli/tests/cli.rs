//! The `vmhost` binary end to end: the README's main job, deploy/call/inspect, and bad input.

use std::process::{Command, Output};

fn vmhost(store: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vmhost")).arg("--store").arg(store).args(args).output().expect("run vmhost")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn demo_runs_and_resumes_on_the_same_store() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = vmhost(dir.path(), &["demo", "--transfers", "300"]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    let text = stdout(&out);
    for needle in ["counter (C)", "counter (WAT)", "token.transfer", "Reverted", "state root", "final state root"] {
        assert!(text.contains(needle), "demo output lacks {needle:?}:\n{text}");
    }
    assert!(!text.contains("Trapped"), "{text}");
    // Running again continues from the committed head (new wave ids, new contracts).
    let again = vmhost(dir.path(), &["demo", "--transfers", "10"]);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    let head = stdout(&vmhost(dir.path(), &["inspect", "head"]));
    assert!(head.contains("last wave    6\n"), "{head}");
    assert!(!head.contains("Some(") && !head.contains("None"), "values, not Rust options: {head}");
    // The demo says which build it is, and a piped progress line is one line per wave.
    assert!(text.contains("build: "), "{text}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains('\r'), "no carriage returns when stderr is not a terminal: {err:?}");
}

#[test]
fn a_closed_pipe_ends_the_process_quietly() {
    let dir = tempfile::tempdir().expect("tmp");
    let bin = env!("CARGO_BIN_EXE_vmhost");
    // `head -1` closes the pipe after the first line; the demo then keeps printing.
    let script = format!(
        "'{bin}' --store '{}' demo --transfers 3000 2>'{}/err' | head -1 >/dev/null; cat '{}/err'",
        dir.path().display(),
        dir.path().display(),
        dir.path().display()
    );
    let out = Command::new("sh").arg("-c").arg(&script).output().expect("sh");
    let err = String::from_utf8_lossy(&out.stdout);
    assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{err}");
}

#[test]
fn deploy_call_and_inspect_a_contract() {
    let dir = tempfile::tempdir().expect("tmp");
    let wasm = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/wasm/counter.wasm");
    let out = vmhost(dir.path(), &["deploy", wasm]);
    let text = stdout(&out);
    assert!(out.status.success() && text.contains("Success"), "{text}");
    let addr = text.split("address ").nth(1).and_then(|s| s.split_whitespace().next()).expect("address").to_string();
    let out = vmhost(dir.path(), &["call", &addr, "increment"]);
    assert!(stdout(&out).contains("return 0100000000000000"), "{}", stdout(&out));
    let rec = stdout(&vmhost(dir.path(), &["inspect", "contract", &addr]));
    assert!(rec.contains("type wasm"), "{rec}");
    let acct = stdout(&vmhost(dir.path(), &["inspect", "account", "1"]));
    assert!(acct.contains("nonce   2"), "{acct}");
    let modules = stdout(&vmhost(dir.path(), &["inspect", "modules"]));
    assert!(modules.contains("1 stored artifacts"), "{modules}");
}

#[test]
fn bad_input_is_a_clear_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("tmp");
    for args in [
        vec!["call", "not-hex", "get"],
        vec!["call", "00", "get"],
        vec!["deploy", "/nonexistent.wasm"],
        vec!["inspect", "wave", "99"],
    ] {
        let out = vmhost(dir.path(), &args);
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("Error") && !err.contains("panicked"), "{args:?}: {err}");
    }
    // Garbage code is a failed deploy receipt (the gate), not an error.
    let junk = dir.path().join("junk.wasm");
    std::fs::write(&junk, b"\0asm\x01\0\0\0\xff").expect("write");
    let out = vmhost(dir.path(), &["deploy", junk.to_str().expect("path")]);
    assert!(out.status.success() && stdout(&out).contains("InvalidWasm"), "{}", stdout(&out));
}

#[test]
fn a_vm_plugin_from_the_chain_file_serves_deploys_and_calls_and_passes_the_kit() {
    let dir = tempfile::tempdir().expect("tmp");
    let plugin = vmhost_tests::plugin_path("vmhost_wasmi_plugin");
    let cfg = dir.path().join("chain.toml");
    std::fs::write(&cfg, format!("[backends]\n\"plugin:wasmi\" = \"{}\"\n", plugin.display())).expect("config");
    let store = dir.path().join("store");
    let run = |args: &[&str]| {
        let mut all = vec!["--config", cfg.to_str().expect("utf-8")];
        all.extend_from_slice(args);
        vmhost(&store, &all)
    };
    let counter = vmhost_tests::repo_root().join("examples/wat/counter.wat");
    let out = run(&["deploy", "--type", "plugin:wasmi", counter.to_str().expect("utf-8")]);
    let text = stdout(&out);
    assert!(out.status.success() && text.contains("Success"), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    let addr = text.split("address ").nth(1).and_then(|s| s.split_whitespace().next()).expect("address").to_string();
    assert!(run(&["call", &addr, "increment"]).status.success());
    let got = stdout(&run(&["call", &addr, "get"]));
    assert!(got.contains("return 0100000000000000"), "{got}");
    // A type no backend serves is refused at ingress (no plugin `nope` in the chain file).
    let nope = stdout(&run(&["deploy", "--type", "plugin:nope", counter.to_str().expect("utf-8")]));
    assert!(nope.contains("UnknownContractType"), "{nope}");
    // The conformance kit on the plugin, from the CLI.
    let kit = vmhost(&store, &["conformance", "--plugin", plugin.to_str().expect("utf-8"), "--filter", "examples"]);
    let table = stdout(&kit);
    assert!(kit.status.success() && table.contains("plugin wasmi 2.0") && table.contains("pass"), "{table}");
}
