//! The write-tracking pass (Wasm → Wasm): lets a backend reuse one instance for many calls.
//!
//! A fresh instance per call costs instantiation plus the engine's reset of the memory the call
//! dirtied; for a small contract that is over a third of the call. A backend that keeps an
//! instance for the next call must put it back *exactly* into its just-instantiated state, or a
//! call could see what an earlier one left (and whether an instance was reused depends on
//! thread scheduling, so that would break determinism). This pass makes that reset cheap and
//! exact, without a syscall:
//!
//! - Every guest write to linear memory — the nine `*.store*` operators, `memory.fill`,
//!   `memory.copy` and `memory.init` — first widens a dirty range `[lo, hi)` held in two
//!   appended mutable `i32` globals, exported as [`DIRTY_LO_EXPORT`] and [`DIRTY_HI_EXPORT`]
//!   (initially `lo = u32::MAX`, `hi = 0`: empty). The guest's own code cannot name these
//!   globals (they are appended after every index it was validated against), so it cannot hide
//!   a write. Writes by the host go through the backend, which records them itself.
//! - The hull of the active data segments is exported as two immutable `i32` globals,
//!   [`DATA_LO_EXPORT`] and [`DATA_HI_EXPORT`]: a just-instantiated memory holds the segments'
//!   bytes there and zeros everywhere else (contracts have no start function).
//! - Every mutable global the module defines, except the host's own (gas, stack units, memory
//!   limit: set before every call), is exported as
//!   `__vmhost_global_<index>` ([`GLOBAL_EXPORT_PREFIX`]), so the backend can restore it.
//!
//! The reset of a reused instance is then: copy the data hull's pristine bytes back over the
//! part of `[lo, hi)` it covers, zero the rest of `[lo, hi)` (and of the host's write range),
//! restore the globals, clear `[lo, hi)`. Tables cannot change: the pass declines modules
//! that contain `table.init`, `table.copy`, `elem.drop` or `data.drop` (the other table writes
//! need reference types, which the gate rejects), and the backend never reuses an instance
//! whose memory grew, or whose call trapped (a trap can stop between widening the range and
//! the write, or leave the range wrapped around).
//!
//! The added code charges no gas: gas is computed from the original operators by the metering
//! pass that runs before this one, so a reused instance and a fresh one charge the same, and
//! so does a backend that does not use this pass. The range is an over-approximation: a write
//! that then traps out of bounds may widen it, and so may a bulk operation of length 0.

use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, ExportKind, ExportSection, Function, GlobalSection, GlobalType, Instruction,
    Module, ValType,
};
use wasmparser::{ExternalKind, FunctionBody, Operator, Parser, Payload, TypeRef, Validator};

use super::gate::deterministic_features;
use super::metering::{body_locals, next_params, param_counts, read_ops, section_error};
use super::{DeployError, HOST_GLOBAL_EXPORTS, RESERVED_EXPORT_PREFIX};

/// Export of the low end of the dirty range (mutable `i32`; `u32::MAX` when nothing was written).
pub const DIRTY_LO_EXPORT: &str = "__vmhost_dirty_lo";
/// Export of the high end (exclusive) of the dirty range (mutable `i32`; 0 when nothing was
/// written).
pub const DIRTY_HI_EXPORT: &str = "__vmhost_dirty_hi";
/// Export of the start of the active data segments' hull (immutable `i32`).
pub const DATA_LO_EXPORT: &str = "__vmhost_data_lo";
/// Export of the end (exclusive) of the active data segments' hull (immutable `i32`).
pub const DATA_HI_EXPORT: &str = "__vmhost_data_hi";
/// Prefix of the exports of the module's own mutable globals (followed by the global index).
pub const GLOBAL_EXPORT_PREFIX: &str = "__vmhost_global_";

/// Why [`track_writes`] declined a module (the module itself is fine; it is just run on a
/// fresh instance per call).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Untrackable {
    /// It contains an operator whose effect a reset cannot undo (`data.drop`, `elem.drop`,
    /// `table.init`, `table.copy`).
    Operator(&'static str),
    /// An active data segment's offset is not a constant, or is past 4 GiB.
    DataOffset,
    /// It already exports a name of the reserved `__vmhost_` family other than the host's
    /// globals.
    ReservedName(String),
    /// It defines or imports no memory, or more than one.
    Memory,
}

/// Adds write tracking to a module that went through the metering pass.
///
/// Returns `Ok(Err(reason))` when the module is not eligible for instance reuse, and a
/// [`DeployError`] only for input that does not parse (it is meant to be the metering pass's
/// output). The output is checked to be valid under the deterministic feature set.
pub fn track_writes(metered: &[u8]) -> Result<Result<Vec<u8>, Untrackable>, DeployError> {
    let scan = match Scan::run(metered)? {
        Ok(scan) => scan,
        Err(why) => return Ok(Err(why)),
    };
    let mut pass = TrackingPass { scan, next_body: 0, globals_done: false, exports_done: false };
    let mut module = Module::new();
    pass.parse_core_module(&mut module, Parser::new(0), metered).map_err(section_error)?;
    if !pass.globals_done || !pass.exports_done {
        return Err(DeployError::Instrumentation(
            "tracking needs the metered module's global and export sections".into(),
        ));
    }
    let output = module.finish();
    if let Err(err) = Validator::new_with_features(deterministic_features()).validate_all(&output) {
        return Err(DeployError::Instrumentation(format!("write-tracked module is invalid: {err}")));
    }
    Ok(Ok(output))
}

/// What the rewrite needs to know about the module before it starts.
struct Scan {
    /// Parameter count of each defined function, in code-section order.
    param_counts: Vec<u32>,
    /// Imported + defined globals: the index of the first appended one.
    globals: u32,
    /// Indices of the defined mutable globals other than the host's.
    mutable: Vec<u32>,
    /// Hull of the active data segments, `(lo, hi)`; `(0, 0)` when there are none.
    data: (u32, u32),
}

impl Scan {
    fn run(code: &[u8]) -> Result<Result<Scan, Untrackable>, DeployError> {
        let param_counts = param_counts(code)?;
        let mut globals = 0u32;
        let mut mutable = Vec::new();
        let mut memories = 0u32;
        let mut host_globals: Vec<u32> = Vec::new();
        let mut data: Option<(u64, u64)> = None;
        for payload in Parser::new(0).parse_all(code) {
            match payload? {
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        match import?.ty {
                            TypeRef::Global(_) => globals = globals.saturating_add(1),
                            TypeRef::Memory(_) => memories = memories.saturating_add(1),
                            _ => {}
                        }
                    }
                }
                Payload::MemorySection(reader) => memories = memories.saturating_add(reader.count()),
                Payload::GlobalSection(reader) => {
                    for global in reader {
                        if global?.ty.mutable {
                            mutable.push(globals);
                        }
                        globals = globals.saturating_add(1);
                    }
                }
                Payload::ExportSection(reader) => {
                    for export in reader {
                        let export = export?;
                        if HOST_GLOBAL_EXPORTS.contains(&export.name) && export.kind == ExternalKind::Global {
                            host_globals.push(export.index);
                        } else if export.name.starts_with(RESERVED_EXPORT_PREFIX) {
                            return Ok(Err(Untrackable::ReservedName(export.name.to_owned())));
                        }
                    }
                }
                Payload::DataSection(reader) => {
                    for segment in reader {
                        let segment = segment?;
                        let len = segment.data.len() as u64;
                        let wasmparser::DataKind::Active { offset_expr, .. } = segment.kind else { continue };
                        let Some(offset) = const_offset(&offset_expr)? else {
                            return Ok(Err(Untrackable::DataOffset));
                        };
                        let (lo, hi) = data.unwrap_or((u64::MAX, 0));
                        data = Some((lo.min(offset), hi.max(offset + len)));
                    }
                }
                Payload::CodeSectionEntry(body) => {
                    let mut reader = body.get_operators_reader()?;
                    while !reader.eof() {
                        let name = match reader.read()? {
                            Operator::DataDrop { .. } => "data.drop",
                            Operator::ElemDrop { .. } => "elem.drop",
                            Operator::TableInit { .. } => "table.init",
                            Operator::TableCopy { .. } => "table.copy",
                            _ => continue,
                        };
                        return Ok(Err(Untrackable::Operator(name)));
                    }
                }
                _ => {}
            }
        }
        if memories != 1 {
            return Ok(Err(Untrackable::Memory));
        }
        if globals > u32::MAX - 4 {
            return Err(DeployError::Instrumentation("too many globals".into()));
        }
        // The host sets its own globals (gas, stack, memory limit) before every call.
        mutable.retain(|g| !host_globals.contains(g));
        let data = match data {
            None => (0, 0),
            Some((lo, hi)) => match (u32::try_from(lo), u32::try_from(hi)) {
                (Ok(lo), Ok(hi)) => (lo, hi),
                _ => return Ok(Err(Untrackable::DataOffset)),
            },
        };
        Ok(Ok(Scan { param_counts, globals, mutable, data }))
    }
}

/// The offset of an active data segment when it is a plain `i32.const`.
fn const_offset(expr: &wasmparser::ConstExpr<'_>) -> Result<Option<u64>, DeployError> {
    let mut reader = expr.get_operators_reader();
    let first = reader.read()?;
    let second = reader.read()?;
    Ok(match (first, second) {
        (Operator::I32Const { value }, Operator::End) => Some(u64::from(value as u32)),
        _ => None,
    })
}

/// The re-encoder: copies everything, appends the tracking globals and exports, and rewrites
/// every body that writes memory.
struct TrackingPass {
    scan: Scan,
    next_body: usize,
    globals_done: bool,
    exports_done: bool,
}

impl TrackingPass {
    fn lo(&self) -> u32 {
        self.scan.globals
    }
    fn hi(&self) -> u32 {
        self.scan.globals + 1
    }
}

impl Reencode for TrackingPass {
    type Error = DeployError;

    fn parse_global_section(
        &mut self,
        globals: &mut GlobalSection,
        section: wasmparser::GlobalSectionReader<'_>,
    ) -> Result<(), reencode::Error<DeployError>> {
        reencode::utils::parse_global_section(self, globals, section)?;
        let mutable = GlobalType { val_type: ValType::I32, mutable: true, shared: false };
        let constant = GlobalType { mutable: false, ..mutable };
        globals.global(mutable, &ConstExpr::i32_const(-1));
        globals.global(mutable, &ConstExpr::i32_const(0));
        globals.global(constant, &ConstExpr::i32_const(self.scan.data.0 as i32));
        globals.global(constant, &ConstExpr::i32_const(self.scan.data.1 as i32));
        self.globals_done = true;
        Ok(())
    }

    fn parse_export_section(
        &mut self,
        exports: &mut ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> Result<(), reencode::Error<DeployError>> {
        reencode::utils::parse_export_section(self, exports, section)?;
        let base = self.scan.globals;
        for (i, name) in [DIRTY_LO_EXPORT, DIRTY_HI_EXPORT, DATA_LO_EXPORT, DATA_HI_EXPORT].into_iter().enumerate() {
            exports.export(name, ExportKind::Global, base + i as u32);
        }
        for g in &self.scan.mutable {
            exports.export(&format!("{GLOBAL_EXPORT_PREFIX}{g}"), ExportKind::Global, *g);
        }
        self.exports_done = true;
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: FunctionBody<'_>,
    ) -> Result<(), reencode::Error<DeployError>> {
        let params = next_params(&self.scan.param_counts, &mut self.next_body)?;
        let function = track_body(&func, params, self.lo(), self.hi()).map_err(reencode::Error::UserError)?;
        code.function(&function);
        Ok(())
    }
}

/// The scratch locals a rewritten body gets (appended after its own).
struct Scratch {
    /// Address operand (`i32`).
    addr: u32,
    /// Start, then end, of the written range (`i32`).
    edge: u32,
    /// Length operand of a bulk operation (`i32`).
    len: u32,
    /// An `i32` value operand, or the middle operand of a bulk operation.
    i32v: u32,
    i64v: u32,
    f32v: u32,
    f64v: u32,
}

/// How an operator writes memory: a store of `size` bytes at `addr + offset` with a value of
/// type `value`, or a bulk write of `[dst, dst + len)`.
enum Write {
    Store { offset: u64, size: u32, value: ValType },
    Bulk,
}

fn write_of(op: &Operator<'_>) -> Option<Write> {
    let store = |memarg: &wasmparser::MemArg, size: u32, value: ValType| {
        Some(Write::Store { offset: memarg.offset, size, value })
    };
    match op {
        Operator::I32Store { memarg } => store(memarg, 4, ValType::I32),
        Operator::I64Store { memarg } => store(memarg, 8, ValType::I64),
        Operator::F32Store { memarg } => store(memarg, 4, ValType::F32),
        Operator::F64Store { memarg } => store(memarg, 8, ValType::F64),
        Operator::I32Store8 { memarg } => store(memarg, 1, ValType::I32),
        Operator::I32Store16 { memarg } => store(memarg, 2, ValType::I32),
        Operator::I64Store8 { memarg } => store(memarg, 1, ValType::I64),
        Operator::I64Store16 { memarg } => store(memarg, 2, ValType::I64),
        Operator::I64Store32 { memarg } => store(memarg, 4, ValType::I64),
        Operator::MemoryFill { .. } | Operator::MemoryCopy { .. } | Operator::MemoryInit { .. } => Some(Write::Bulk),
        _ => None,
    }
}

/// Rewrites one body: tracking code before every memory write, original bytes otherwise.
fn track_body(body: &FunctionBody<'_>, params: u32, lo: u32, hi: u32) -> Result<Function, DeployError> {
    let (mut locals, declared) = body_locals(body, params)?;
    let ops = read_ops(body)?;
    if !ops.iter().any(|o| write_of(&o.op).is_some()) {
        let mut function = Function::new(locals);
        for o in &ops {
            function.raw(o.bytes.iter().copied());
        }
        return Ok(function);
    }
    let base = u32::try_from(declared)
        .ok()
        .filter(|b| b.checked_add(7).is_some())
        .ok_or_else(|| DeployError::Instrumentation("too many locals".into()))?;
    locals.extend([(4, ValType::I32), (1, ValType::I64), (1, ValType::F32), (1, ValType::F64)]);
    let s = Scratch {
        addr: base,
        edge: base + 1,
        len: base + 2,
        i32v: base + 3,
        i64v: base + 4,
        f32v: base + 5,
        f64v: base + 6,
    };
    let mut function = Function::new(locals);
    for o in &ops {
        match write_of(&o.op) {
            Some(Write::Store { offset, size, value }) => {
                let v = match value {
                    ValType::I64 => s.i64v,
                    ValType::F32 => s.f32v,
                    ValType::F64 => s.f64v,
                    _ => s.i32v,
                };
                // [addr value] -> [] : start = addr + offset; lo = min(lo, start);
                // end = start + size; hi = max(hi, end); then [addr value] again.
                function.instruction(&Instruction::LocalSet(v)).instruction(&Instruction::LocalTee(s.addr));
                if offset != 0 {
                    // A memory32 offset fits a u32; wrapping is harmless (the store traps).
                    function
                        .instruction(&Instruction::I32Const(offset as u32 as i32))
                        .instruction(&Instruction::I32Add);
                }
                function.instruction(&Instruction::LocalTee(s.edge));
                widen(&mut function, lo, s.edge, Instruction::I32LtU);
                function
                    .instruction(&Instruction::LocalGet(s.edge))
                    .instruction(&Instruction::I32Const(size as i32))
                    .instruction(&Instruction::I32Add)
                    .instruction(&Instruction::LocalTee(s.edge));
                widen(&mut function, hi, s.edge, Instruction::I32GtU);
                function.instruction(&Instruction::LocalGet(s.addr)).instruction(&Instruction::LocalGet(v));
            }
            Some(Write::Bulk) => {
                // [dst x len] -> [] : lo = min(lo, dst); hi = max(hi, dst + len); then back.
                function
                    .instruction(&Instruction::LocalSet(s.len))
                    .instruction(&Instruction::LocalSet(s.i32v))
                    .instruction(&Instruction::LocalTee(s.addr));
                widen(&mut function, lo, s.addr, Instruction::I32LtU);
                function
                    .instruction(&Instruction::LocalGet(s.addr))
                    .instruction(&Instruction::LocalGet(s.len))
                    .instruction(&Instruction::I32Add)
                    .instruction(&Instruction::LocalTee(s.edge));
                widen(&mut function, hi, s.edge, Instruction::I32GtU);
                function
                    .instruction(&Instruction::LocalGet(s.addr))
                    .instruction(&Instruction::LocalGet(s.i32v))
                    .instruction(&Instruction::LocalGet(s.len));
            }
            None => {}
        }
        function.raw(o.bytes.iter().copied());
    }
    Ok(function)
}

/// With `value` (also in local `value`) on the stack: `if value <cmp> global { global = value }`
/// — `i32.lt_u` makes it a minimum, `i32.gt_u` a maximum. A branch, not a `select`: inside a
/// loop the range stops growing after the first iterations, the branch is predicted, and the
/// global is not rewritten on every write (a store loop ran 1.45 ms against 1.58–1.65 ms with
/// `select`, and against 1.65 ms with the range kept in locals).
fn widen(function: &mut Function, global: u32, value: u32, cmp: Instruction<'static>) {
    function
        .instruction(&Instruction::GlobalGet(global))
        .instruction(&cmp)
        .instruction(&Instruction::If(BlockType::Empty))
        .instruction(&Instruction::LocalGet(value))
        .instruction(&Instruction::GlobalSet(global))
        .instruction(&Instruction::End);
}

#[cfg(test)]
#[path = "tracking_tests.rs"]
mod tests;
