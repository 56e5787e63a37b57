//! `vmhost`: run a demo chain, deploy and call contracts, inspect state, benchmark backends.

mod bench;
mod bench_parallel;
mod bench_scale;
mod calibrate;
mod chain;
mod chart;
mod conformance;
mod demo;
mod inspect;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// mimalloc instead of glibc malloc for every Rust allocation of the node. The JMT update,
/// wave-cache and receipt paths allocate many small short-lived objects: measured +12% end to
/// end and +7% wasm token transfers (`docs/benchmarks.md`). RocksDB's C++ side keeps the
/// system allocator (no `override`), so memory never crosses allocators, which matters once
/// VM plugins are loaded from shared libraries.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its enum position in mimalloc v2's `mimalloc.h`).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Return freed memory to the OS after 1 s idle instead of 10 ms: a wave frees and allocates
/// again within milliseconds, and with the default each one faulted its pages back in (the
/// kernel's page zeroing was 6–11% of a parallel wave's profile; measured +10% on the token
/// waves, docs/benchmarks.md). Machine-local tuning: no receipt depends on it.
fn tune_allocator() {
    // SAFETY: sets an option of the allocator this binary links; any value is valid.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1_000);
    }
}

#[derive(Parser, Debug)]
#[command(name = "vmhost", version, about = "vmhost multi-VM execution layer")]
struct Cli {
    /// Chain configuration (TOML). Defaults apply when omitted.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Store directory (overrides the config's `store.path`).
    #[arg(long, global = true)]
    store: Option<PathBuf>,
    /// Executor threads (machine-local; overrides the config's `node.threads`; default: the
    /// machine's cores). Receipts and roots never depend on it.
    #[arg(long, global = true)]
    threads: Option<usize>,
    /// Log filter (e.g. `info`, `vmhost=debug`); default warn. Receipts and the reasons of
    /// failures print whatever the level.
    #[arg(long, global = true, default_value = "warn")]
    log: String,
    /// Print whole event topics and data (default: a topic's first 6 bytes, data up to 32).
    #[arg(long, global = true)]
    full: bool,
    /// Exit with status 3 when the transaction of `deploy`, `call`, `query` or `trace` did
    /// not succeed. Without it those commands exit 0 whenever a receipt was produced; any
    /// error of the command itself is status 1, a usage error 2.
    #[arg(long, global = true)]
    exit_code: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Deploy the example contracts, run a wave of calls and native transfers, print receipts,
    /// events and roots.
    Demo {
        /// Native transfers to run after the contract calls.
        #[arg(long, default_value_t = 2_000)]
        transfers: u64,
        /// Start from an empty store (deletes the store directory first).
        #[arg(long)]
        fresh: bool,
    },
    /// Deploy a wasm contract.
    Deploy {
        /// Path to the .wasm (or .wat) file.
        code: PathBuf,
        /// Sender: a test-account index (1–10000, funded at genesis) or an address (hex).
        #[arg(long, default_value = "1")]
        sender: String,
        /// Deploy as a parachain.
        #[arg(long)]
        parachain: bool,
        /// The contract type: `wasm`, or `plugin:<id>` for a VM plugin the config loads.
        #[arg(long = "type", default_value = "wasm")]
        vm: String,
    },
    /// Call a contract entry point (a transaction: the sender pays gas and uses a nonce).
    Call {
        #[command(flatten)]
        call: CallOpts,
        /// Gas limit.
        #[arg(long, default_value_t = 10_000_000)]
        gas: u64,
    },
    /// Run an entry point read-only against the committed head (like `eth_call`): prints the
    /// return data, the events it would emit and the gas a transaction would use. No nonce,
    /// no fee, nothing written.
    Query {
        #[command(flatten)]
        call: CallOpts,
        /// Gas limit (capped by the config's `node.query_gas_cap` and the chain's max_tx_gas).
        #[arg(long, default_value_t = 10_000_000)]
        gas: u64,
    },
    /// Trace a call at the ABI level as a dry run against the head (nothing committed): the
    /// call tree with each frame's contract, backend, entry and gas, every host call with its
    /// arguments, result and gas, storage reads and writes, events, reverts and traps.
    Trace {
        #[command(flatten)]
        call: CallOpts,
        /// Gas limit.
        #[arg(long, default_value_t = 10_000_000)]
        gas: u64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Inspect committed state.
    Inspect {
        #[command(subcommand)]
        what: inspect::What,
    },
    /// Print the ABI reference generated from the table (docs/abi-v1.md).
    AbiDoc,
    /// Run the conformance kit (tests/conformance/fixtures) on wasm backends and print a
    /// table: every receipt, gas figure and root must be the expected one.
    Conformance {
        /// Backends to run (wasmtime, wasmer-cranelift, wasmer-singlepass, or all); default
        /// the chain config's `backends.wasm`.
        #[arg(long = "backend")]
        backends: Vec<String>,
        /// Also run a VM plugin (a shared library) that takes prepared wasm, as the wasm type.
        #[arg(long)]
        plugin: Option<PathBuf>,
        /// Only fixtures whose name contains this.
        #[arg(long)]
        filter: Option<String>,
        /// Print every failing field.
        #[arg(long)]
        verbose: bool,
    },
    /// The same workloads on every wasm backend and in native Rust, side by side (per-call
    /// overhead, compute, store loop, token transfer, compile, cache-miss load), with ratios
    /// and an optional SVG chart; with `--threads N`, waves on 1 and on N executor threads.
    Bench {
        /// Transactions per wave (default 2,000; 10,000 with `--threads`).
        #[arg(long)]
        txs: Option<u64>,
        /// Backends to compare (default: every wasm backend of this build).
        #[arg(long = "backend")]
        backends: Vec<String>,
        /// Write an SVG chart of the comparison here.
        #[arg(long)]
        chart: Option<PathBuf>,
        /// Also measure a VM plugin (a shared library that takes prepared wasm).
        #[arg(long)]
        plugin: Option<PathBuf>,
        /// Instead: gas per second of every operator and host-function mix, and how long the
        /// largest transaction can run against the node's timeout.
        #[arg(long)]
        calibrate: bool,
        /// Instead: dry-run waves of growing size (`--sizes`) and report µs and memory per
        /// transaction, over a state sized to each wave and over one fixed state.
        #[arg(long)]
        scale: bool,
        /// Wave sizes of `--scale`.
        #[arg(long, value_delimiter = ',', default_value = "2000,20000,200000")]
        sizes: Vec<u64>,
        /// Instead: commit `--waves` waves of `--txs` native transfers (default 10,000) to a
        /// temporary RocksDB store, as an archive and as a pruning node: tx/s end to end and
        /// disk per million transfers.
        #[arg(long)]
        commit: bool,
        /// Waves of `--commit`.
        #[arg(long, default_value_t = 100)]
        waves: u64,
        /// The pruning node's window of `--commit`, in waves.
        #[arg(long, default_value_t = 10)]
        retain: u64,
    },
}

/// A call's target, input, sender and value (`call` and `query`).
#[derive(clap::Args, Debug)]
struct CallOpts {
    /// Contract address (hex, 64 digits, optional 0x).
    contract: String,
    /// Entry point.
    entry: String,
    /// Input bytes as hex (optional 0x).
    #[arg(long, default_value = "")]
    input: String,
    /// Input bytes from a file, raw (for inputs too long for a command line).
    #[arg(long)]
    input_file: Option<PathBuf>,
    /// Sender: a test-account index (1–10000, funded at genesis) or an address (hex).
    #[arg(long, default_value = "1")]
    sender: String,
    /// Value to attach (moved to the contract before it runs; `call_value` reads it).
    #[arg(long, default_value_t = 0)]
    value: u128,
}

impl CallOpts {
    fn args(&self, gas: u64) -> Result<chain::CallArgs<'_>> {
        Ok(chain::CallArgs {
            contract: &self.contract,
            entry: &self.entry,
            input: chain::read_input(&self.input, self.input_file.as_deref())?,
            sender: &self.sender,
            gas,
            value: self.value,
        })
    }
}

fn main() -> Result<()> {
    // Like any Unix filter: a closed pipe (`vmhost inspect wave 5 | head`) ends the process
    // quietly. Rust ignores SIGPIPE by default, so every later print would panic instead.
    // SAFETY: restoring a signal's default disposition before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    tune_allocator();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&cli.log).unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let mut cfg = chain::load_config(cli.config.as_deref(), cli.store.as_deref())?;
    if let Some(t) = cli.threads {
        anyhow::ensure!(t >= 1, "--threads must be at least 1");
        cfg.node.threads = t;
    }
    chain::set_full_output(cli.full);
    let sent = |succeeded: Result<chain::Succeeded>| -> Result<()> {
        if !succeeded? && cli.exit_code {
            std::process::exit(3);
        }
        Ok(())
    };
    match cli.cmd {
        Cmd::Demo { transfers, fresh } => demo::run(&cfg, transfers, fresh),
        Cmd::Deploy { code, sender, parachain, vm } => sent(chain::deploy_cmd(&cfg, &code, &sender, parachain, &vm)),
        Cmd::Call { call, gas } => sent(chain::call_cmd(&cfg, call.args(gas)?)),
        Cmd::Query { call, gas } => sent(chain::query_cmd(&cfg, call.args(gas)?)),
        Cmd::Trace { call, gas, json } => sent(chain::trace_cmd(&cfg, call.args(gas)?, json)),
        Cmd::Inspect { what } => inspect::run(&cfg, what),
        Cmd::Bench { calibrate: true, .. } => calibrate::run(&cfg),
        Cmd::Bench { scale: true, sizes, .. } => bench_scale::run_scale(&cfg, &sizes),
        Cmd::Bench { commit: true, txs, waves, retain, .. } => {
            bench_scale::run_commit(&cfg, txs.unwrap_or(10_000), waves, retain)
        }
        Cmd::Bench { txs, .. } if cli.threads.is_some() => bench_parallel::run(&cfg, txs.unwrap_or(10_000)),
        Cmd::Bench { txs, backends, chart, plugin, .. } => {
            bench::run(&cfg, txs.unwrap_or(2_000), &backends, chart.as_deref(), plugin.as_deref())
        }
        Cmd::Conformance { backends, plugin, filter, verbose } => {
            conformance::run(&cfg, &backends, plugin.as_deref(), filter.as_deref(), verbose)
        }
        Cmd::AbiDoc => {
            print!("{}", vmhost::docs::abi_reference());
            Ok(())
        }
    }
}
