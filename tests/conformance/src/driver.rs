//! The host-call drivers: contracts generated from the ABI table that call any one host
//! function with arguments the transaction chooses, so a fixture reaches every host function
//! with every argument, good and bad, and sees its result in the receipt.
//!
//! Input of entry `run` (little-endian): the function's id (u8), eight argument slots (i64
//! each; a function takes its first `params` slots, `i32` ones wrapped), then a preload
//! (`offset` u32, `len` u32, `len` bytes, written into memory first) and an output window
//! (`offset` u32, `len` u32). The return data is the function's result as i64 (0 when it has
//! none) followed by the window's bytes after the call. Memory: 3 pages; pages 0–1 are the
//! fixture's, the input lands at [`SCRATCH`].
//!
//! `hostcall` imports every function all contracts may call; `hostcall_parachain` imports
//! every function (deploy it as a parachain).

use std::fmt::Write;

use vmhost_abi::{Access, ValType, HOST_FUNCTIONS, IMPORT_MODULE};

use crate::fixture::{encode_input, Names};

/// Where the driver reads its input (page 2).
pub const SCRATCH: u32 = 2 * 65536;
/// Where it assembles its return data.
const RET: u32 = SCRATCH + 32768;
/// Argument slots.
const SLOTS: usize = 8;

fn wat_type(t: ValType) -> &'static str {
    match t {
        ValType::I32 => "i32",
        ValType::I64 => "i64",
    }
}

/// The driver's WAT (`hostcall` or `hostcall_parachain`).
pub fn wat(name: &str) -> Option<String> {
    let parachain = match name {
        "hostcall" => false,
        "hostcall_parachain" => true,
        _ => return None,
    };
    let specs: Vec<_> = HOST_FUNCTIONS.iter().filter(|s| parachain || s.access != Access::ParachainOnly).collect();
    let mut w = String::new();
    let _ = writeln!(w, ";; generated from the ABI table (vmhost-conformance driver `{name}`)\n(module");
    for s in &specs {
        let params: Vec<&str> = s.params.iter().map(|t| wat_type(*t)).collect();
        let results: Vec<&str> = s.results.iter().map(|t| wat_type(*t)).collect();
        let p = if params.is_empty() { String::new() } else { format!(" (param {})", params.join(" ")) };
        let r = if results.is_empty() { String::new() } else { format!(" (result {})", results.join(" ")) };
        let _ = writeln!(w, "  (import \"{IMPORT_MODULE}\" \"{n}\" (func ${n}{p}{r}))", n = s.name);
    }
    let _ = writeln!(w, "  (memory (export \"memory\") 3)");
    let _ = writeln!(w, "  (func (export \"run\") (local $len i32) (local $at i32) (local $plen i32) (local $r i64)");
    let _ = writeln!(w, "    (local.set $len (call $input_len))");
    let _ = writeln!(w, "    (call $input_read (i32.const {SCRATCH}) (i32.const 0) (local.get $len))");
    let pre = SCRATCH + 1 + (SLOTS as u32) * 8;
    let _ = writeln!(w, "    (local.set $at (i32.load (i32.const {pre})))");
    let _ = writeln!(w, "    (local.set $plen (i32.load (i32.const {})))", pre + 4);
    let _ = writeln!(w, "    (memory.copy (local.get $at) (i32.const {}) (local.get $plen))", pre + 8);
    // Dispatch on the id: one block per imported function, innermost first.
    let _ = writeln!(w, "    (block $done");
    for s in specs.iter().rev() {
        let _ = writeln!(w, "    (block $f{}", s.id as u32);
    }
    let targets: Vec<String> = (0..=specs.iter().map(|s| s.id as u32).max().unwrap_or(0))
        .map(|id| if specs.iter().any(|s| s.id as u32 == id) { format!("$f{id}") } else { "$done".into() })
        .collect();
    let _ = writeln!(w, "      (br_table {} $done (i32.load8_u (i32.const {SCRATCH})))", targets.join(" "));
    for s in &specs {
        let _ = writeln!(w, "    ) ;; $f{} {}", s.id as u32, s.name);
        let args: Vec<String> = s
            .params
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let at = SCRATCH + 1 + 8 * i as u32;
                match t {
                    ValType::I32 => format!("(i32.wrap_i64 (i64.load (i32.const {at})))"),
                    ValType::I64 => format!("(i64.load (i32.const {at}))"),
                }
            })
            .collect();
        let call = format!("(call ${} {})", s.name, args.join(" "));
        let _ = match s.results.first() {
            None => writeln!(w, "      {call}"),
            Some(ValType::I32) => writeln!(w, "      (local.set $r (i64.extend_i32_s {call}))"),
            Some(ValType::I64) => writeln!(w, "      (local.set $r {call})"),
        };
        let _ = writeln!(w, "      (br $done)");
    }
    let _ = writeln!(w, "    )");
    // Return data: the result, then the output window.
    let out = pre + 8;
    let _ = writeln!(w, "    (local.set $at (i32.add (i32.const {out}) (local.get $plen)))");
    let _ = writeln!(w, "    (i64.store (i32.const {RET}) (local.get $r))");
    let _ = writeln!(
        w,
        "    (memory.copy (i32.const {}) (i32.load (local.get $at)) (i32.load offset=4 (local.get $at)))",
        RET + 8
    );
    let _ = writeln!(
        w,
        "    (call $set_return (i32.const {RET}) (i32.add (i32.const 8) (i32.load offset=4 (local.get $at))))"
    );
    let _ = writeln!(w, "  )\n)");
    Some(w)
}

/// The input that makes the driver call host function `name` with `args`, after writing
/// `preload` (`"offset: tokens"`), returning the window `out` (`[offset, len]`).
pub fn input(names: &Names, name: &str, args: &[i64], preload: &str, out: &[u32]) -> Result<Vec<u8>, String> {
    let spec = HOST_FUNCTIONS.iter().find(|s| s.name == name).ok_or_else(|| format!("no host function {name}"))?;
    if args.len() != spec.params.len() {
        return Err(format!("{name} takes {} arguments, the fixture gives {}", spec.params.len(), args.len()));
    }
    let mut input = vec![spec.id as u32 as u8];
    for i in 0..SLOTS {
        input.extend_from_slice(&args.get(i).copied().unwrap_or(0).to_le_bytes());
    }
    let (at, bytes) = match preload.trim() {
        "" => (0, Vec::new()),
        p => {
            let (at, tokens) = p.split_once(':').ok_or_else(|| format!("preload {p}: \"offset: tokens\""))?;
            (at.trim().parse::<u32>().map_err(|e| format!("preload offset {at}: {e}"))?, encode_input(names, tokens)?)
        }
    };
    input.extend_from_slice(&at.to_le_bytes());
    input.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    input.extend_from_slice(&bytes);
    let (o, l) = match out {
        [] => (0, 0),
        [o, l] => (*o, *l),
        _ => return Err("out is [offset, len]".into()),
    };
    input.extend_from_slice(&o.to_le_bytes());
    input.extend_from_slice(&l.to_le_bytes());
    Ok(input)
}
