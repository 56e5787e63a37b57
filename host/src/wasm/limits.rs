//! The limits pass (Wasm → Wasm): a deterministic stack height and the per-transaction memory
//! cap, enforced by the module itself so that every engine stops at the same point.
//!
//! Runs first, on the module as deployed (the metering pass then meters its code like any
//! other, so injected metering and an engine's own fuel agree).
//!
//! - **Stack height.** Every defined function's frame costs
//!   `FRAME_COST + parameters + locals + maximum operand-stack height` units
//!   ([`vmhost_abi::gas::stack`]; [`frame_costs`]), computed from the deployed code with
//!   wasmparser's validator. An appended mutable `i32` global, exported as [`STACK_EXPORT`],
//!   holds the units left. The cost is charged where a frame is made and given back where it
//!   ends, so function bodies stay as their authors wrote them (and so does the machine code an
//!   engine makes of a loop):
//!   - every `call f` of a defined function is preceded by `stack -= cost(f)` (trapping, with
//!     the counter left negative, when it goes below zero: the backend reports `StackOverflow`)
//!     and followed by `stack += cost(f)`;
//!   - a function placed in a table is reached through `call_indirect`, whose callee is known
//!     only at run time, so its table entries are replaced by a *thunk* of the same type that
//!     charges `cost(f) + cost(thunk)`, calls `f` and gives both back (`cost(thunk)` is
//!     `FRAME_COST + parameters + 1 local + max(parameters, results + 2, 2)`);
//!   - the entry point's own cost is charged by the host before the call
//!     ([`ModuleMeta::entry_cost`](super::ModuleMeta::entry_cost)).
//!
//!   A trap needs no give-back: it ends the instance's call. The host sets the counter before a
//!   call to what the transaction has left — for a nested call, the caller's remaining units —
//!   so one budget covers the whole transaction whatever the engine's frame sizes.
//! - **Memory.** An appended mutable `i32` global, exported as [`MEMORY_LIMIT_EXPORT`], holds the
//!   most pages this instance's memory may reach (set by the host before a call: the
//!   transaction's cap minus what the frames below hold). Every `memory.grow` first checks
//!   `memory.size + delta` against it (as 64-bit numbers) and traps past it (the global is set to
//!   -1, reported as `MemoryLimit`). A grow within it behaves as wasm specifies (it may still
//!   return -1 past the memory's declared maximum).
//!
//! Gas is not this pass's business: it adds no charges (the metering pass after it meters these
//! instructions too). Nothing derived from the input can make it panic.

use std::collections::BTreeMap;

use vmhost_abi::gas::stack::FRAME_COST;
use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, ExportKind, ExportSection, Function, FunctionSection, GlobalSection, GlobalType,
    Instruction, Module, SectionId, ValType,
};
use wasmparser::{
    ElementItems, ExternalKind, FunctionBody, Operator, Parser, Payload, TypeRef, ValidPayload, Validator,
};

use super::gate::deterministic_features;
use super::metering::{body_locals, is_past, read_ops, section_error};
use super::DeployError;

/// Export of the stack units left (mutable `i32`; negative after a `StackOverflow` trap).
pub const STACK_EXPORT: &str = "__vmhost_stack_left";
/// Export of the pages this instance's memory may reach (mutable `i32`; -1 after a
/// `MemoryLimit` trap).
pub const MEMORY_LIMIT_EXPORT: &str = "__vmhost_memory_limit";

/// What the pass knows about a module before rewriting it.
struct Analysis {
    /// Frame cost of every defined function, in code-section order.
    costs: Vec<u32>,
    /// Type index of every function (imports first).
    func_types: Vec<u32>,
    /// Parameter and result counts of every type.
    types: Vec<(u32, u32)>,
    /// Imported functions (they come first in the function index space and cost nothing: they
    /// are the host's).
    imported: u32,
    /// Defined functions some element segment names, in order of first appearance.
    in_tables: Vec<u32>,
    /// The callable entry points (exported `() -> ()` functions) and their frame costs.
    entries: Vec<(String, u32)>,
    /// Imported + defined globals: the index of the first appended one.
    globals: u32,
}

/// The frame cost of every defined function, in code-section order:
/// `FRAME_COST + parameters + locals + maximum operand-stack height`.
pub fn frame_costs(code: &[u8]) -> Result<Vec<u32>, DeployError> {
    Ok(analyse(code)?.costs)
}

fn too_big(what: &str) -> DeployError {
    DeployError::Instrumentation(format!("limits pass: {what} out of range"))
}

fn analyse(code: &[u8]) -> Result<Analysis, DeployError> {
    let mut validator = Validator::new_with_features(deterministic_features());
    let mut a = Analysis {
        costs: Vec::new(),
        func_types: Vec::new(),
        types: Vec::new(),
        imported: 0,
        in_tables: Vec::new(),
        entries: Vec::new(),
        globals: 0,
    };
    let mut exports: Vec<(String, u32)> = Vec::new();
    for payload in Parser::new(0).parse_all(code) {
        let payload = payload?;
        match &payload {
            Payload::TypeSection(reader) => {
                for ty in reader.clone().into_iter_err_on_gc_types() {
                    let ty = ty?;
                    let params = u32::try_from(ty.params().len()).map_err(|_| too_big("parameters"))?;
                    let results = u32::try_from(ty.results().len()).map_err(|_| too_big("results"))?;
                    a.types.push((params, results));
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.clone().into_imports() {
                    match import?.ty {
                        TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                            a.func_types.push(t);
                            a.imported = a.imported.saturating_add(1);
                        }
                        TypeRef::Global(_) => a.globals = a.globals.saturating_add(1),
                        _ => {}
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for t in reader.clone() {
                    a.func_types.push(t?);
                }
            }
            Payload::GlobalSection(reader) => a.globals = a.globals.saturating_add(reader.count()),
            Payload::ExportSection(reader) => {
                for e in reader.clone() {
                    let e = e?;
                    if matches!(e.kind, ExternalKind::Func | ExternalKind::FuncExact) {
                        exports.push((e.name.to_string(), e.index));
                    }
                }
            }
            Payload::ElementSection(reader) => {
                for element in reader.clone() {
                    let mut note = |f: u32| {
                        if f >= a.imported && !a.in_tables.contains(&f) {
                            a.in_tables.push(f);
                        }
                    };
                    match element?.items {
                        ElementItems::Functions(funcs) => {
                            for f in funcs {
                                note(f?);
                            }
                        }
                        ElementItems::Expressions(_, exprs) => {
                            for expr in exprs {
                                let mut ops = expr?.get_operators_reader();
                                while !ops.eof() {
                                    if let Operator::RefFunc { function_index } = ops.read()? {
                                        note(function_index);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        if let ValidPayload::Func(to_validate, body) = validator.payload(&payload)? {
            let mut v = to_validate.into_validator(Default::default());
            let mut reader = body.get_binary_reader();
            v.read_locals(&mut reader)?;
            let locals = v.len_locals();
            let mut ops = body.get_operators_reader()?;
            let mut height = 0u32;
            while !ops.eof() {
                let offset = ops.original_position();
                let op = ops.read()?;
                v.op(offset, &op)?;
                height = height.max(v.operand_stack_height());
            }
            let cost = FRAME_COST.saturating_add(locals).saturating_add(height);
            if cost > (i32::MAX as u32) / 4 {
                return Err(too_big("frame"));
            }
            a.costs.push(cost);
        }
    }
    if a.globals > u32::MAX - 8 {
        return Err(too_big("globals"));
    }
    for (name, f) in exports {
        let Some(ty) = a.func_types.get(f as usize).and_then(|t| a.types.get(*t as usize)) else { continue };
        if *ty != (0, 0) {
            continue;
        }
        // An exported import would be the host's own function: not an entry point.
        let Some(cost) = f.checked_sub(a.imported).and_then(|i| a.costs.get(i as usize)) else { continue };
        a.entries.push((name, *cost));
    }
    a.entries.sort();
    a.entries.dedup_by(|x, y| x.0 == y.0);
    Ok(a)
}

impl Analysis {
    /// Frame cost of function `f` (0 for an import: the host's frames are reserved separately).
    fn cost_of(&self, f: u32) -> u32 {
        f.checked_sub(self.imported).and_then(|i| self.costs.get(i as usize)).copied().unwrap_or(0)
    }

    /// Parameter and result counts of function `f`.
    fn arity(&self, f: u32) -> Result<(u32, u32), DeployError> {
        self.func_types
            .get(f as usize)
            .and_then(|t| self.types.get(*t as usize))
            .copied()
            .ok_or_else(|| too_big("type"))
    }

    /// The frame cost of the thunk of function `f`.
    fn thunk_cost(&self, f: u32) -> Result<u32, DeployError> {
        let (params, results) = self.arity(f)?;
        let height = params.max(results.saturating_add(2)).max(2);
        Ok(FRAME_COST.saturating_add(params).saturating_add(1).saturating_add(height))
    }
}

/// A module with the stack-height and memory-cap checks, and what the host needs to call it.
#[derive(Debug, Clone)]
pub struct Limited {
    /// The instrumented module.
    pub code: Vec<u8>,
    /// Callable entry points (exported `() -> ()` functions), sorted, with the frame cost the
    /// host charges before calling each.
    pub entries: Vec<(String, u32)>,
}

/// Adds the stack-height and memory-cap checks to a module that passed the gate.
///
/// The output is checked to be valid under the deterministic feature set.
pub fn instrument_limits(code: &[u8]) -> Result<Limited, DeployError> {
    let a = analyse(code)?;
    let defined = u32::try_from(a.costs.len()).map_err(|_| too_big("functions"))?;
    let first_thunk = a.imported.checked_add(defined).ok_or_else(|| too_big("functions"))?;
    let mut thunks = BTreeMap::new();
    for (k, f) in a.in_tables.iter().enumerate() {
        let k = u32::try_from(k).map_err(|_| too_big("thunks"))?;
        thunks.insert(*f, first_thunk.checked_add(k).ok_or_else(|| too_big("thunks"))?);
    }
    let mut pass = LimitsPass {
        stack: a.globals,
        memory: a.globals + 1,
        a,
        thunks,
        in_elements: false,
        next_body: 0,
        functions_done: false,
        code_done: false,
        globals_done: false,
        exports_done: false,
    };
    let mut module = Module::new();
    pass.parse_core_module(&mut module, Parser::new(0), code).map_err(section_error)?;
    let complete = pass.functions_done && pass.code_done;
    if !pass.thunks.is_empty() && !complete {
        return Err(DeployError::Instrumentation("limits pass: tables of functions without a code section".into()));
    }
    let output = module.finish();
    if let Err(err) = Validator::new_with_features(deterministic_features()).validate_all(&output) {
        return Err(DeployError::Instrumentation(format!("stack-limited module is invalid: {err}")));
    }
    Ok(Limited { code: output, entries: pass.a.entries })
}

struct LimitsPass {
    a: Analysis,
    /// Defined function → its thunk (functions some table holds).
    thunks: BTreeMap<u32, u32>,
    /// Function indices being re-encoded belong to an element segment (map to thunks).
    in_elements: bool,
    /// Index of the stack global.
    stack: u32,
    /// Index of the memory-limit global.
    memory: u32,
    next_body: usize,
    functions_done: bool,
    code_done: bool,
    globals_done: bool,
    exports_done: bool,
}

fn i32_global() -> GlobalType {
    GlobalType { val_type: ValType::I32, mutable: true, shared: false }
}

impl LimitsPass {
    fn add_globals(&self, globals: &mut GlobalSection) {
        globals.global(i32_global(), &ConstExpr::i32_const(0));
        globals.global(i32_global(), &ConstExpr::i32_const(0));
    }

    fn add_exports(&self, exports: &mut ExportSection) {
        exports.export(STACK_EXPORT, ExportKind::Global, self.stack);
        exports.export(MEMORY_LIMIT_EXPORT, ExportKind::Global, self.memory);
    }

    /// `stack -= cost; if stack < 0 { unreachable }` (the counter never exceeds 2^30 and a cost
    /// never 2^29, so the subtraction cannot wrap; a negative counter tells the backend the trap
    /// is a stack overflow). One read of the global, the new value kept in `scratch`.
    fn charge(&self, f: &mut Function, cost: u32, scratch: u32) {
        f.instruction(&Instruction::GlobalGet(self.stack))
            .instruction(&Instruction::I32Const(cost as i32))
            .instruction(&Instruction::I32Sub)
            .instruction(&Instruction::LocalTee(scratch))
            .instruction(&Instruction::GlobalSet(self.stack))
            .instruction(&Instruction::LocalGet(scratch))
            .instruction(&Instruction::I32Const(0))
            .instruction(&Instruction::I32LtS)
            .instruction(&Instruction::If(BlockType::Empty))
            .instruction(&Instruction::Unreachable)
            .instruction(&Instruction::End);
    }

    /// `stack += cost`.
    fn give_back(&self, f: &mut Function, cost: u32) {
        f.instruction(&Instruction::GlobalGet(self.stack))
            .instruction(&Instruction::I32Const(cost as i32))
            .instruction(&Instruction::I32Add)
            .instruction(&Instruction::GlobalSet(self.stack));
    }

    /// With the page delta on the stack (left in place): trap if `size + delta > limit`.
    fn memory_guard(&self, f: &mut Function, scratch: u32, mem: u32) {
        f.instruction(&Instruction::LocalTee(scratch))
            .instruction(&Instruction::I64ExtendI32U)
            .instruction(&Instruction::MemorySize(mem))
            .instruction(&Instruction::I64ExtendI32U)
            .instruction(&Instruction::I64Add)
            .instruction(&Instruction::GlobalGet(self.memory))
            .instruction(&Instruction::I64ExtendI32U)
            .instruction(&Instruction::I64GtU)
            .instruction(&Instruction::If(BlockType::Empty))
            .instruction(&Instruction::I32Const(-1))
            .instruction(&Instruction::GlobalSet(self.memory))
            .instruction(&Instruction::Unreachable)
            .instruction(&Instruction::End)
            .instruction(&Instruction::LocalGet(scratch));
    }

    /// Rewrites one body: charges around calls of defined functions, guards before grows.
    fn rewrite(&mut self, body: &FunctionBody<'_>) -> Result<Function, DeployError> {
        let index = self.a.imported.saturating_add(u32::try_from(self.next_body).map_err(|_| too_big("bodies"))?);
        self.next_body += 1;
        let (params, _) = self.a.arity(index)?;
        let (mut locals, declared) = body_locals(body, params)?;
        let ops = read_ops(body)?;
        let needs_scratch = ops.iter().any(|o| match o.op {
            Operator::MemoryGrow { .. } => true,
            Operator::Call { function_index } => function_index >= self.a.imported,
            _ => false,
        });
        if !needs_scratch {
            // Untouched: the body is copied as it is.
            let mut f = Function::new(locals);
            for o in &ops {
                f.raw(o.bytes.iter().copied());
            }
            return Ok(f);
        }
        let scratch = u32::try_from(declared).map_err(|_| too_big("locals"))?;
        locals.push((1, ValType::I32));
        let mut f = Function::new(locals);
        for o in &ops {
            match o.op {
                Operator::Call { function_index } if function_index >= self.a.imported => {
                    let cost = self.a.cost_of(function_index);
                    self.charge(&mut f, cost, scratch);
                    f.raw(o.bytes.iter().copied());
                    self.give_back(&mut f, cost);
                }
                Operator::MemoryGrow { mem } => {
                    self.memory_guard(&mut f, scratch, mem);
                    f.raw(o.bytes.iter().copied());
                }
                _ => {
                    f.raw(o.bytes.iter().copied());
                }
            }
        }
        Ok(f)
    }

    /// The thunk of defined function `target`: charges its and the target's frames, calls it.
    fn thunk(&self, target: u32) -> Result<Function, DeployError> {
        let (params, _) = self.a.arity(target)?;
        let cost = self.a.cost_of(target).saturating_add(self.a.thunk_cost(target)?);
        let mut f = Function::new([(1, ValType::I32)]);
        self.charge(&mut f, cost, params);
        for p in 0..params {
            f.instruction(&Instruction::LocalGet(p));
        }
        f.instruction(&Instruction::Call(target));
        self.give_back(&mut f, cost);
        f.instruction(&Instruction::End);
        Ok(f)
    }
}

impl Reencode for LimitsPass {
    type Error = DeployError;

    fn function_index(&mut self, func: u32) -> Result<u32, reencode::Error<DeployError>> {
        // Only table entries move to thunks; exports, calls and everything else keep theirs.
        Ok(if self.in_elements { self.thunks.get(&func).copied().unwrap_or(func) } else { func })
    }

    fn element_items<'a>(
        &mut self,
        items: wasmparser::ElementItems<'a>,
    ) -> Result<wasm_encoder::Elements<'a>, reencode::Error<DeployError>> {
        self.in_elements = true;
        let out = reencode::utils::element_items(self, items);
        self.in_elements = false;
        out
    }

    fn intersperse_section_hook(
        &mut self,
        module: &mut Module,
        _after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), reencode::Error<DeployError>> {
        if !self.globals_done && is_past(before, SectionId::Global) {
            let mut globals = GlobalSection::new();
            self.add_globals(&mut globals);
            module.section(&globals);
            self.globals_done = true;
        }
        if !self.exports_done && is_past(before, SectionId::Export) {
            let mut exports = ExportSection::new();
            self.add_exports(&mut exports);
            module.section(&exports);
            self.exports_done = true;
        }
        Ok(())
    }

    fn parse_function_section(
        &mut self,
        functions: &mut FunctionSection,
        section: wasmparser::FunctionSectionReader<'_>,
    ) -> Result<(), reencode::Error<DeployError>> {
        reencode::utils::parse_function_section(self, functions, section)?;
        for target in self.a.in_tables.clone() {
            let ty = self
                .a
                .func_types
                .get(target as usize)
                .copied()
                .ok_or_else(|| reencode::Error::UserError(too_big("type")))?;
            functions.function(ty);
        }
        self.functions_done = true;
        Ok(())
    }

    fn parse_code_section(
        &mut self,
        code: &mut CodeSection,
        section: wasmparser::CodeSectionReader<'_>,
    ) -> Result<(), reencode::Error<DeployError>> {
        reencode::utils::parse_code_section(self, code, section)?;
        for target in self.a.in_tables.clone() {
            let f = self.thunk(target).map_err(reencode::Error::UserError)?;
            code.function(&f);
        }
        self.code_done = true;
        Ok(())
    }

    fn parse_global_section(
        &mut self,
        globals: &mut GlobalSection,
        section: wasmparser::GlobalSectionReader<'_>,
    ) -> Result<(), reencode::Error<DeployError>> {
        reencode::utils::parse_global_section(self, globals, section)?;
        self.add_globals(globals);
        self.globals_done = true;
        Ok(())
    }

    fn parse_export_section(
        &mut self,
        exports: &mut ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> Result<(), reencode::Error<DeployError>> {
        reencode::utils::parse_export_section(self, exports, section)?;
        self.add_exports(exports);
        self.exports_done = true;
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: FunctionBody<'_>,
    ) -> Result<(), reencode::Error<DeployError>> {
        let f = self.rewrite(&func).map_err(reencode::Error::UserError)?;
        code.function(&f);
        Ok(())
    }

    fn parse_custom_section(
        &mut self,
        _module: &mut Module,
        _section: wasmparser::CustomSectionReader<'_>,
    ) -> Result<(), reencode::Error<DeployError>> {
        Ok(())
    }
}

#[cfg(test)]
#[path = "limits_tests.rs"]
mod tests;
