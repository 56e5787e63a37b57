//! An ABI-level tracer: one hook that sees every VM alike.
//!
//! Every backend reaches the host only through [`crate::vm::Host::host_call`], and every call
//! frame — at any depth, on any backend, native system contracts included — starts and ends in
//! the host's call path. A [`Tracer`] attached to a transaction ([`crate::Chain::trace_call`])
//! is told of each frame's start and end and of each host call with its arguments, result,
//! gas and what it read or wrote, whatever engine runs the code. It is in the spirit of revm's
//! `Inspector`, but it is backend-neutral and cannot change anything: a tracer gets shared
//! references only, and the host reads guest memory for it without charging gas, so a traced
//! run's receipts are those of an untraced one (tested on every example contract).
//!
//! [`CallTracer`] is the built-in tracer: it builds the call tree ([`TraceFrame`]) and renders
//! it as text ([`TraceFrame::render`]) or JSON (`serde`).
//!
//! With no tracer attached, the host pays one predictable branch per host call and per frame
//! (`docs/benchmarks.md`: the token bench with tracing compiled in and off, and on).

use serde::Serialize;
use vmhost_abi::{Address, ErrorCode};

use crate::hostfns::CallKind;

/// A frame starting.
#[derive(Debug, Clone)]
pub struct FrameStart<'a> {
    /// 1 for the transaction's call, 2 for a call it makes, ...
    pub depth: u32,
    /// `caller()` of the frame.
    pub caller: Address,
    /// The contract whose code runs.
    pub contract: Address,
    /// The entry point.
    pub entry: &'a str,
    /// Call, static call or delegate call.
    pub kind: CallKind,
    /// Value attached.
    pub value: u128,
    /// Gas the frame may use.
    pub gas_limit: u64,
    /// Its input.
    pub input: &'a [u8],
}

/// A frame ending.
#[derive(Debug, Clone)]
pub struct FrameEnd<'a> {
    /// As in [`FrameStart::depth`].
    pub depth: u32,
    /// The backend that ran the code (`None` when the call failed before any code ran, or for
    /// a native system contract: `native`).
    pub backend: Option<&'a str>,
    /// `Ok` or the failure code.
    pub code: ErrorCode,
    /// Gas the frame used.
    pub gas_used: u64,
    /// Return data (revert data on `Reverted`).
    pub output: &'a [u8],
}

/// What a host call read or wrote, for the calls whose arguments point into guest memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Effect {
    /// `sload`: the slot and the value found (`None`: empty).
    #[serde(rename = "storage_read")]
    StorageRead {
        /// The 32-byte guest slot (hex).
        #[serde(with = "hex_bytes")]
        slot: Vec<u8>,
        /// The value (hex), absent for an empty slot.
        #[serde(with = "hex_opt")]
        value: Option<Vec<u8>>,
    },
    /// `sstore`.
    #[serde(rename = "storage_write")]
    StorageWrite {
        /// The slot (hex).
        #[serde(with = "hex_bytes")]
        slot: Vec<u8>,
        /// The value written (hex).
        #[serde(with = "hex_bytes")]
        value: Vec<u8>,
    },
    /// `sdelete`.
    #[serde(rename = "storage_delete")]
    StorageDelete {
        /// The slot (hex).
        #[serde(with = "hex_bytes")]
        slot: Vec<u8>,
    },
    /// `emit_event`.
    Event {
        /// The topic (hex).
        #[serde(with = "hex_bytes")]
        topic: Vec<u8>,
        /// The data (hex).
        #[serde(with = "hex_bytes")]
        data: Vec<u8>,
    },
    /// `set_return`.
    Return {
        /// The data (hex).
        #[serde(with = "hex_bytes")]
        data: Vec<u8>,
    },
    /// `revert`.
    Revert {
        /// The revert data (hex).
        #[serde(with = "hex_bytes")]
        data: Vec<u8>,
    },
    /// `transfer`.
    Transfer {
        /// The recipient.
        to: String,
        /// The amount.
        amount: u128,
    },
}

/// A host call that returned or trapped.
#[derive(Debug, Clone)]
pub struct HostCallEvent<'a> {
    /// The frame's depth.
    pub depth: u32,
    /// The host function's ABI name.
    pub name: &'static str,
    /// Its raw arguments (i32s zero-extended, i64s as is).
    pub args: &'a [u64],
    /// The raw result, or the trap code.
    pub result: Result<u64, ErrorCode>,
    /// Gas left before the call and after it.
    pub gas_before: u64,
    /// Gas left after the call (0 after an out-of-gas trap).
    pub gas_after: u64,
    /// What it read or wrote, when that is more than its arguments say.
    pub effect: Option<Effect>,
}

/// Told of every frame and host call of a traced transaction. Every method has an empty
/// default: implement what you need.
pub trait Tracer: Send {
    /// A frame starts (before any of its checks: it may end without running code).
    fn enter(&mut self, _frame: &FrameStart<'_>) {}
    /// A host call returned (or trapped).
    fn host_call(&mut self, _call: &HostCallEvent<'_>) {}
    /// A frame ended.
    fn exit(&mut self, _frame: &FrameEnd<'_>) {}
}

/// One step of a frame: a host call, or a host call that made a nested call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceStep {
    /// The host function.
    pub host_fn: &'static str,
    /// Its arguments.
    pub args: Vec<u64>,
    /// Its raw result (`None` when it trapped).
    pub result: Option<u64>,
    /// The trap code's name, when it trapped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trap: Option<String>,
    /// Gas the call took (its base and per-byte cost, and a nested call's gas).
    pub gas: u64,
    /// What it read or wrote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<Effect>,
    /// The frame a `cross_call`, `cross_call_static` or `delegate_call` ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call: Option<Box<TraceFrame>>,
}

/// A call frame and everything it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceFrame {
    /// Depth (1 = the transaction's call).
    pub depth: u32,
    /// `call`, `static` or `delegate`.
    pub kind: &'static str,
    /// The caller.
    pub caller: String,
    /// The contract.
    pub contract: String,
    /// The backend that ran it (absent when no code ran).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// The entry point.
    pub entry: String,
    /// The value attached.
    pub value: u128,
    /// Input (hex).
    #[serde(with = "hex_bytes")]
    pub input: Vec<u8>,
    /// Gas the frame could use.
    pub gas_limit: u64,
    /// Gas it used.
    pub gas_used: u64,
    /// The outcome code's name.
    pub code: String,
    /// Return or revert data (hex).
    #[serde(with = "hex_bytes")]
    pub output: Vec<u8>,
    /// Its host calls in order.
    pub steps: Vec<TraceStep>,
}

/// The built-in tracer: builds the call tree of a transaction.
#[derive(Debug, Default)]
pub struct CallTracer {
    /// The frames running, each with the nested frame that just ended (until the host call
    /// that made it returns).
    open: Vec<(TraceFrame, Option<Box<TraceFrame>>)>,
    done: Option<TraceFrame>,
}

impl CallTracer {
    /// A tracer with nothing recorded.
    pub fn new() -> Self {
        Self::default()
    }

    /// The transaction's call tree (`None` if no call ran: a deploy, a native transaction, or a
    /// transaction refused at ingress).
    pub fn into_tree(self) -> Option<TraceFrame> {
        self.done
    }
}

fn kind_name(kind: CallKind) -> &'static str {
    match kind {
        CallKind::Call => "call",
        CallKind::Static => "static",
        CallKind::Delegate => "delegate",
    }
}

impl Tracer for CallTracer {
    fn enter(&mut self, f: &FrameStart<'_>) {
        let frame = TraceFrame {
            depth: f.depth,
            kind: kind_name(f.kind),
            caller: f.caller.to_string(),
            contract: f.contract.to_string(),
            backend: None,
            entry: f.entry.to_string(),
            value: f.value,
            input: f.input.to_vec(),
            gas_limit: f.gas_limit,
            gas_used: 0,
            code: String::new(),
            output: Vec::new(),
            steps: Vec::new(),
        };
        self.open.push((frame, None));
    }

    fn host_call(&mut self, c: &HostCallEvent<'_>) {
        let Some((frame, ended)) = self.open.last_mut() else { return };
        let nested = matches!(c.name, "cross_call" | "cross_call_static" | "delegate_call");
        let call = if nested { ended.take() } else { None };
        frame.steps.push(TraceStep {
            host_fn: c.name,
            args: c.args.to_vec(),
            result: c.result.ok(),
            trap: c.result.err().map(|code| code.name().to_string()),
            gas: c.gas_before.saturating_sub(c.gas_after),
            effect: c.effect.clone(),
            call,
        });
    }

    fn exit(&mut self, f: &FrameEnd<'_>) {
        let Some((mut frame, _)) = self.open.pop() else { return };
        frame.backend = f.backend.map(str::to_string);
        frame.code = f.code.name().to_string();
        frame.gas_used = f.gas_used;
        frame.output = f.output.to_vec();
        match self.open.last_mut() {
            Some((_, ended)) => *ended = Some(Box::new(frame)),
            None => self.done = Some(frame),
        }
    }
}

fn printable(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(t) if !t.is_empty() && !t.chars().any(char::is_control) => format!("{t:?}"),
        _ if bytes.is_empty() => "-".to_string(),
        _ => format!("0x{}", hex::encode(bytes)),
    }
}

fn short_hex(bytes: &[u8]) -> String {
    if bytes.len() > 40 {
        format!("0x{}..({} bytes)", hex::encode(&bytes[..32]), bytes.len())
    } else {
        format!("0x{}", hex::encode(bytes))
    }
}

impl TraceFrame {
    /// The call tree as indented text: a line per frame (kind, contract, backend, entry, gas
    /// in and out, outcome), a line per host call (arguments, result, gas, what it read or
    /// wrote), nested frames under the host call that made them.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out, 0);
        out
    }

    fn render_into(&self, out: &mut String, indent: usize) {
        use std::fmt::Write;
        let pad = "  ".repeat(indent);
        let _ = writeln!(
            out,
            "{pad}{} {} [{}] {}({}) value {} gas {} -> used {} {}{}",
            self.kind,
            self.contract,
            self.backend.as_deref().unwrap_or("-"),
            self.entry,
            if self.input.is_empty() { String::new() } else { short_hex(&self.input) },
            self.value,
            self.gas_limit,
            self.gas_used,
            self.code,
            if self.output.is_empty() { String::new() } else { format!(" output {}", printable(&self.output)) },
        );
        for step in &self.steps {
            let args: Vec<String> = step.args.iter().map(u64::to_string).collect();
            let result = match (&step.trap, step.result) {
                (Some(t), _) => format!("trap {t}"),
                (None, Some(r)) => r.to_string(),
                (None, None) => "-".into(),
            };
            let effect = match &step.effect {
                None => String::new(),
                Some(Effect::StorageRead { slot, value }) => format!(
                    "  read slot {} = {}",
                    short_hex(slot),
                    value.as_deref().map_or_else(|| "(empty)".to_string(), short_hex)
                ),
                Some(Effect::StorageWrite { slot, value }) => {
                    format!("  write slot {} = {}", short_hex(slot), short_hex(value))
                }
                Some(Effect::StorageDelete { slot }) => format!("  delete slot {}", short_hex(slot)),
                Some(Effect::Event { topic, data }) => format!("  event {} {}", short_hex(topic), short_hex(data)),
                Some(Effect::Return { data }) => format!("  return {}", printable(data)),
                Some(Effect::Revert { data }) => format!("  revert {}", printable(data)),
                Some(Effect::Transfer { to, amount }) => format!("  transfer {amount} to {to}"),
            };
            let _ = writeln!(out, "{pad}  {}({}) -> {result} gas {}{effect}", step.host_fn, args.join(", "), step.gas);
            if let Some(call) = &step.call {
                call.render_into(out, indent + 2);
            }
        }
    }
}

mod hex_bytes {
    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }
}

mod hex_opt {
    #[allow(clippy::ref_option)]
    pub fn serialize<S: serde::Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_str(&hex::encode(b)),
            None => s.serialize_none(),
        }
    }
}
