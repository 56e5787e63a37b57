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

/// The contract address a deploy printed.
fn deployed_address(text: &str) -> String {
    text.split("address ").nth(1).and_then(|s| s.split_whitespace().next()).expect("address").to_string()
}

#[test]
fn every_deploy_rejection_prints_its_reason_at_the_default_log_level() {
    let dir = tempfile::tempdir().expect("tmp");
    let mem = r#"(memory (export "memory") 1)"#;
    let entry = r#"(func (export "go"))"#;
    // (module body, code printed, reason printed) — one per kind of rejection the host makes.
    let cases: Vec<(String, &str, &str)> = vec![
        ("(module (func".into(), "", "expected"), // a WAT syntax error: the CLI's own error
        (
            format!(r#"(module (import "env" "f" (func)) {mem} {entry})"#),
            "ForbiddenImport",
            "forbidden import `env`.`f`",
        ),
        (
            format!(r#"(module (import "vmhost" "sload" (func (param i32 i32 i32))) {mem} {entry})"#),
            "ForbiddenImport",
            "import `vmhost`.`sload` has signature (i32, i32, i32) -> (), but ABI v1 declares (i32, i32, i32) -> (i32)",
        ),
        (format!(r#"(module (import "vmhost" "m" (memory 1)) {entry})"#), "ForbiddenImport", "is not a function"),
        (
            format!(r#"(module {mem} (func (export "go") (drop (v128.const i64x2 0 0))))"#),
            "DisabledFeature",
            "disabled",
        ),
        (format!(r#"(module (memory (export "memory") 5000) {entry})"#), "LimitExceeded", "max_memory_pages"),
        (format!("(module {entry})"), "BadExports", "must export its linear memory as `memory`"),
        (
            format!(r#"(module {mem} (func (export "add") (param i32 i32) (result i32) local.get 0))"#),
            "BadExports",
            "exported function `add` has signature (i32, i32) -> (i32), but entry points are () -> ()",
        ),
        (format!("(module {mem})"), "BadExports", "exports no function"),
        (
            format!(r#"(module {mem} {entry} (func (export "__vmhost_gas")))"#),
            "BadExports",
            "`__vmhost_gas` is reserved",
        ),
        (format!("(module {mem} (func $s) (start $s) {entry})"), "StartFunctionForbidden", "start function"),
        (
            format!(r#"(module {mem} (data (i32.const 65535) "ab") {entry})"#),
            "CompileFailed",
            "data segment 0 ends at 65537, beyond the initial memory (bytes) of 65536",
        ),
        (
            format!(
                r#"(module (import "vmhost" "threshold_encrypt" (func (param i32 i32 i32 i32) (result i32))) {mem} {entry})"#
            ),
            "ParachainOnly",
            "deploy it as a parachain",
        ),
    ];
    for (i, (wat, code, reason)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("case{i}.wat"));
        std::fs::write(&path, wat).expect("write");
        let out = vmhost(&dir.path().join("store"), &["deploy", path.to_str().expect("utf-8")]);
        let (text, err) = (stdout(&out), String::from_utf8_lossy(&out.stderr).into_owned());
        if code.is_empty() {
            // The CLI's own error names the file, line and column.
            assert!(!out.status.success() && err.contains(&format!("case{i}.wat:1:")), "{err}");
            continue;
        }
        assert!(out.status.success(), "case {i}: {err}");
        assert!(text.contains(code), "case {i}: {text}");
        assert!(text.contains(&format!("reason: {reason}")) || text.contains(reason), "case {i}: {text}");
        assert!(text.contains("\n      reason: "), "case {i}: the reason has its own line:\n{text}");
    }
    // Garbage bytes: the reason names what is wrong.
    let junk = dir.path().join("junk.wasm");
    std::fs::write(&junk, b"\0asm\x01\0\0\0\xff").expect("write");
    let text = stdout(&vmhost(&dir.path().join("store"), &["deploy", junk.to_str().expect("utf-8")]));
    assert!(text.contains("InvalidWasm") && text.contains("reason: invalid wasm"), "{text}");
}

#[test]
fn calls_and_queries_take_hex_files_and_addresses_and_explain_failures() {
    let dir = tempfile::tempdir().expect("tmp");
    let token = vmhost_tests::repo_root().join("examples/wasm/token.wasm");
    let out = vmhost(dir.path(), &["deploy", token.to_str().expect("utf-8")]);
    let token = deployed_address(&stdout(&out));
    let supply = 1_000_000u128.to_le_bytes();
    let out = vmhost(dir.path(), &["call", &token, "init", "--input", &format!("0x{}", hex::encode(supply))]);
    assert!(stdout(&out).contains("Success"), "{}", stdout(&out));
    // The sender as an index or as an address: the same account.
    let acct = stdout(&vmhost(dir.path(), &["inspect", "account", "1"]));
    let user1 = acct.lines().next().expect("address line").to_string();
    assert_eq!(stdout(&vmhost(dir.path(), &["inspect", "account", &user1])), acct);
    // A query reads the balance: no nonce used, no fee paid.
    let input_file = dir.path().join("input.bin");
    std::fs::write(&input_file, vmhost_abi::Address(parse32(&user1)).0).expect("write");
    let q =
        stdout(&vmhost(dir.path(), &["query", &token, "balance_of", "--input-file", input_file.to_str().expect("p")]));
    assert!(q.contains("Success") && q.contains(&format!("return {}", hex::encode(supply))), "{q}");
    assert_eq!(stdout(&vmhost(dir.path(), &["inspect", "account", "1"])), acct, "a query charges no one");
    // A revert prints its text, and --exit-code makes it exit status 3.
    let mut input = parse32(&user1).to_vec();
    input.extend_from_slice(&1u128.to_le_bytes());
    let out = vmhost(
        dir.path(),
        &["--exit-code", "call", &token, "transfer", "--sender", "9", "--input", &hex::encode(&input)],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains("return \"insufficient balance\""), "{text}");
    // Without --exit-code a failed receipt is still exit 0; a success is 0 either way.
    let ok = vmhost(dir.path(), &["--exit-code", "query", &token, "total_supply"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    // A misspelled entry point names the ones the contract has, and uses intrinsic gas only.
    let out = vmhost(dir.path(), &["call", &token, "balanceOf", "--sender", &format!("0x{}", &user1[2..])]);
    let text = stdout(&out);
    assert!(
        text.contains("UnknownEntryPoint") && text.contains("its entry points: allowance, approve, balance_of"),
        "{text}"
    );
    // The wave keeps the reasons: `inspect wave` prints them too.
    let wave = stdout(&vmhost(dir.path(), &["inspect", "wave", "3"]));
    assert!(wave.contains("reason: reverted: insufficient balance"), "{wave}");
    // Storage: by mapping key (the host's derivation) and listed whole.
    let slot = stdout(&vmhost(dir.path(), &["inspect", "storage", &token, "--key", "total_supply", "--disc", "2"]));
    assert!(slot.contains("(u128 LE 1000000)"), "{slot}");
    let bal = stdout(&vmhost(dir.path(), &["inspect", "storage", &token, "--key-hex", &user1, "--disc", "0"]));
    assert!(bal.contains("(u128 LE 1000000)"), "{bal}");
    let all = stdout(&vmhost(dir.path(), &["inspect", "storage", &token, "--all"]));
    assert!(all.starts_with("2 slots of") && all.matches(&hex::encode(supply)).count() == 2, "{all}");
    // Events: abbreviated by default, whole with --full.
    let mut input = vmhost_abi::Address::from_index(2).0.to_vec();
    input.extend_from_slice(&5u128.to_le_bytes());
    let short = stdout(&vmhost(dir.path(), &["query", &token, "transfer", "--input", &hex::encode(&input)]));
    let full = stdout(&vmhost(dir.path(), &["--full", "query", &token, "transfer", "--input", &hex::encode(&input)]));
    let topic_len = |t: &str| t.split("topic ").nth(1).and_then(|s| s.split_whitespace().next()).map(str::len);
    assert_eq!((topic_len(&short), topic_len(&full)), (Some(14), Some(64)), "{short}\n{full}");
}

fn parse32(s: &str) -> [u8; 32] {
    hex::decode(s.trim_start_matches("0x")).expect("hex").try_into().expect("32 bytes")
}

/// The vault scenario of `examples/vault.sh` (deposit with a value, balance by query, a
/// withdraw whose revert reason prints as text, a withdraw that succeeds), on this build.
#[test]
fn the_vault_scenario_script_runs() {
    let script = vmhost_tests::repo_root().join("examples/vault.sh");
    let out = Command::new("bash").arg(&script).arg(env!("CARGO_BIN_EXE_vmhost")).output().expect("bash");
    let (text, err) = (stdout(&out), String::from_utf8_lossy(&out.stderr).into_owned());
    assert!(out.status.success(), "{text}\n{err}");
    assert!(text.ends_with("vault scenario: ok\n"), "{text}");
}

#[test]
fn inspect_account_proof_prints_a_proof_that_verifies_against_the_head_root() {
    let dir = tempfile::tempdir().expect("tmp");
    assert!(vmhost(dir.path(), &["demo", "--transfers", "20"]).status.success());
    let head = stdout(&vmhost(dir.path(), &["inspect", "head"]));
    let root = head.lines().find_map(|l| l.strip_prefix("state root   ")).expect("root").to_string();
    for who in ["1", &format!("0x{}", "ee".repeat(32))] {
        let out = vmhost(dir.path(), &["inspect", "account", who, "--proof"]);
        let text = stdout(&out);
        assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
        assert!(text.contains(&format!("state root  {root}")), "{text}");
        assert!(text.contains("verified against the state root"), "{text}");
    }
    let absent = stdout(&vmhost(dir.path(), &["inspect", "account", &"ee".repeat(32), "--proof"]));
    assert!(absent.contains("no account (the proof shows the key absent)"), "{absent}");
    let past = stdout(&vmhost(dir.path(), &["inspect", "account", "1", "--proof", "--wave", "1"]));
    assert!(past.contains("at wave 1") && past.contains("verified"), "{past}");
    let future = vmhost(dir.path(), &["inspect", "account", "1", "--proof", "--wave", "99"]);
    assert!(!future.status.success());
    assert!(String::from_utf8_lossy(&future.stderr).contains("wave 99 is not committed"));
}

#[test]
fn bench_scale_and_commit_run_and_print_their_tables() {
    let dir = tempfile::tempdir().expect("tmp");
    let scale = vmhost(dir.path(), &["bench", "--scale", "--sizes", "20,40"]);
    let text = stdout(&scale);
    assert!(scale.status.success(), "{text}{}", String::from_utf8_lossy(&scale.stderr));
    assert!(text.contains("fixed, new accounts each run") && text.lines().count() >= 5, "{text}");
    let commit = vmhost(dir.path(), &["bench", "--commit", "--txs", "50", "--waves", "4", "--retain", "1"]);
    let text = stdout(&commit);
    assert!(commit.status.success(), "{text}{}", String::from_utf8_lossy(&commit.stderr));
    assert!(text.contains("archive (retain_waves 0)") && text.contains("pruning (retain_waves 1)"), "{text}");
}
