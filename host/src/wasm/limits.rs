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
//!   holds the units left. The function's entry charges its cost (trapping when fewer units are
//!   left: the global is set to -1 and the function hits `unreachable`, which the backend
//!   reports as `StackOverflow`), and every exit gives it back: the body is wrapped in a block
//!   with the function's results, so a branch to the function's own label, and falling off its
//!   end, reach one epilogue; each `return` gets the epilogue in front of it. A trap needs no
//!   give-back: it ends the instance's call. The host sets the global before a call to what the
//!   transaction has left — the caller's remaining units for a nested call — so one budget covers
//!   the whole transaction whatever the engine's frame sizes.
//! - **Memory.** An appended mutable `i32` global, exported as [`MEMORY_LIMIT_EXPORT`], holds the
//!   most pages this instance's memory may reach (set by the host before a call: the
//!   transaction's cap minus what the frames below hold). Every `memory.grow` first checks
//!   `memory.size + delta` against it (as 64-bit numbers) and traps past it (the global is set to
//!   -1, reported as `MemoryLimit`). A grow within it behaves as wasm specifies (it may still
//!   return -1 past the memory's declared maximum).
//!
//! Gas is not this pass's business: it adds no charges (the metering pass after it meters these
//! instructions too). Nothing derived from the input can make it panic.

use vmhost_abi::gas::stack::FRAME_COST;
use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, ExportKind, ExportSection, Function, GlobalSection, GlobalType, Instruction,
    Module, SectionId, TypeSection, ValType,
};
use wasmparser::{FunctionBody, Operator, Parser, Payload, TypeRef, ValidPayload, Validator};

use super::gate::deterministic_features;
use super::metering::{body_locals, is_past, read_ops, section_error};
use super::DeployError;

/// Export of the stack units left (mutable `i32`; -1 after a `StackOverflow` trap).
pub const STACK_EXPORT: &str = "__vmhost_stack_left";
/// Export of the pages this instance's memory may reach (mutable `i32`; -1 after a
/// `MemoryLimit` trap).
pub const MEMORY_LIMIT_EXPORT: &str = "__vmhost_memory_limit";

/// What the pass learned about one defined function.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FuncInfo {
    /// Frame cost in stack units.
    cost: u32,
    /// Parameter count.
    params: u32,
    /// Result types (the wrapper block's).
    results: Vec<wasmparser::ValType>,
}

/// The frame cost of every defined function, in code-section order:
/// `FRAME_COST + parameters + locals + maximum operand-stack height`.
pub fn frame_costs(code: &[u8]) -> Result<Vec<u32>, DeployError> {
    Ok(analyse(code)?.0.into_iter().map(|f| f.cost).collect())
}

/// Every defined function's info, and the number of entries in the type section.
fn analyse(code: &[u8]) -> Result<(Vec<FuncInfo>, u32), DeployError> {
    let mut validator = Validator::new_with_features(deterministic_features());
    let mut types: Vec<(u32, Vec<wasmparser::ValType>)> = Vec::new();
    let mut func_types: Vec<u32> = Vec::new();
    let mut imported_funcs = 0usize;
    let mut infos = Vec::new();
    for payload in Parser::new(0).parse_all(code) {
        let payload = payload?;
        match &payload {
            Payload::TypeSection(reader) => {
                for ty in reader.clone().into_iter_err_on_gc_types() {
                    let ty = ty?;
                    let params = u32::try_from(ty.params().len()).map_err(|_| too_big("parameters"))?;
                    types.push((params, ty.results().to_vec()));
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.clone().into_imports() {
                    if let TypeRef::Func(t) | TypeRef::FuncExact(t) = import?.ty {
                        func_types.push(t);
                        imported_funcs += 1;
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for t in reader.clone() {
                    func_types.push(t?);
                }
            }
            _ => {}
        }
        if let ValidPayload::Func(to_validate, body) = validator.payload(&payload)? {
            let index = imported_funcs + infos.len();
            let type_index = *func_types.get(index).ok_or_else(|| too_big("function index"))?;
            let (params, results) = types.get(type_index as usize).cloned().ok_or_else(|| too_big("type index"))?;
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
            if cost > (i32::MAX as u32) / 2 {
                return Err(too_big("frame"));
            }
            infos.push(FuncInfo { cost, params, results });
        }
    }
    let type_count = u32::try_from(types.len()).map_err(|_| too_big("types"))?;
    Ok((infos, type_count))
}

fn too_big(what: &str) -> DeployError {
    DeployError::Instrumentation(format!("limits pass: {what} out of range"))
}

/// Adds the stack-height and memory-cap checks to a module that passed the gate.
///
/// The output is checked to be valid under the deterministic feature set.
pub fn instrument_limits(code: &[u8]) -> Result<Vec<u8>, DeployError> {
    let (funcs, type_count) = analyse(code)?;
    let mut globals = 0u32;
    for payload in Parser::new(0).parse_all(code) {
        match payload? {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    if let TypeRef::Global(_) = import?.ty {
                        globals = globals.saturating_add(1);
                    }
                }
            }
            Payload::GlobalSection(reader) => globals = globals.saturating_add(reader.count()),
            _ => {}
        }
    }
    if globals > u32::MAX - 8 {
        return Err(too_big("globals"));
    }
    // Wrapper block types of multi-result functions need `[] -> results` types of their own.
    let mut extra_types: Vec<Vec<wasmparser::ValType>> = Vec::new();
    for f in &funcs {
        if f.results.len() > 1 && !extra_types.contains(&f.results) {
            extra_types.push(f.results.clone());
        }
    }
    let mut pass = LimitsPass {
        funcs,
        extra_types,
        type_count,
        stack: globals,
        memory: globals + 1,
        next_body: 0,
        types_done: false,
        globals_done: false,
        exports_done: false,
    };
    let mut module = Module::new();
    pass.parse_core_module(&mut module, Parser::new(0), code).map_err(section_error)?;
    if !pass.extra_types.is_empty() && !pass.types_done {
        return Err(DeployError::Instrumentation("limits pass: multi-value functions without a type section".into()));
    }
    let output = module.finish();
    if let Err(err) = Validator::new_with_features(deterministic_features()).validate_all(&output) {
        return Err(DeployError::Instrumentation(format!("stack-limited module is invalid: {err}")));
    }
    Ok(output)
}

struct LimitsPass {
    funcs: Vec<FuncInfo>,
    extra_types: Vec<Vec<wasmparser::ValType>>,
    type_count: u32,
    /// Index of the stack global.
    stack: u32,
    /// Index of the memory-limit global.
    memory: u32,
    next_body: usize,
    types_done: bool,
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

    fn block_type(&mut self, results: &[wasmparser::ValType]) -> Result<BlockType, DeployError> {
        Ok(match results {
            [] => BlockType::Empty,
            [one] => BlockType::Result(val_type(*one)?),
            many => {
                let at = self.extra_types.iter().position(|t| t == many).ok_or_else(|| too_big("block type"))?;
                BlockType::FunctionType(self.type_count + at as u32)
            }
        })
    }

    /// `if stack < cost { stack = -1; unreachable }  stack -= cost`.
    fn prologue(&self, f: &mut Function, cost: u32) {
        let cost = cost as i32;
        f.instruction(&Instruction::GlobalGet(self.stack))
            .instruction(&Instruction::I32Const(cost))
            .instruction(&Instruction::I32LtU)
            .instruction(&Instruction::If(BlockType::Empty))
            .instruction(&Instruction::I32Const(-1))
            .instruction(&Instruction::GlobalSet(self.stack))
            .instruction(&Instruction::Unreachable)
            .instruction(&Instruction::End)
            .instruction(&Instruction::GlobalGet(self.stack))
            .instruction(&Instruction::I32Const(cost))
            .instruction(&Instruction::I32Sub)
            .instruction(&Instruction::GlobalSet(self.stack));
    }

    /// `stack += cost`.
    fn epilogue(&self, f: &mut Function, cost: u32) {
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

    fn rewrite(&mut self, body: &FunctionBody<'_>) -> Result<Function, DeployError> {
        let info = self.funcs.get(self.next_body).cloned().ok_or_else(|| too_big("function bodies"))?;
        self.next_body += 1;
        let (mut locals, declared) = body_locals(body, info.params)?;
        let ops = read_ops(body)?;
        let scratch = if ops.iter().any(|o| matches!(o.op, Operator::MemoryGrow { .. })) {
            let index = u32::try_from(declared).map_err(|_| too_big("locals"))?;
            locals.push((1, ValType::I32));
            Some(index)
        } else {
            None
        };
        let block = self.block_type(&info.results)?;
        let mut f = Function::new(locals);
        self.prologue(&mut f, info.cost);
        f.instruction(&Instruction::Block(block));
        for o in &ops {
            match &o.op {
                Operator::Return => self.epilogue(&mut f, info.cost),
                Operator::MemoryGrow { mem } => {
                    let scratch = scratch.ok_or_else(|| too_big("scratch local"))?;
                    self.memory_guard(&mut f, scratch, *mem);
                }
                _ => {}
            }
            // The body's own final `end` now closes the wrapper block.
            f.raw(o.bytes.iter().copied());
        }
        self.epilogue(&mut f, info.cost);
        f.instruction(&Instruction::End);
        Ok(f)
    }
}

fn val_type(t: wasmparser::ValType) -> Result<ValType, DeployError> {
    reencode::RoundtripReencoder.val_type(t).map_err(|e| DeployError::Instrumentation(e.to_string()))
}

impl Reencode for LimitsPass {
    type Error = DeployError;

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

    fn parse_type_section(
        &mut self,
        types: &mut TypeSection,
        section: wasmparser::TypeSectionReader<'_>,
    ) -> Result<(), reencode::Error<DeployError>> {
        reencode::utils::parse_type_section(self, types, section)?;
        for results in self.extra_types.clone() {
            let results: Vec<ValType> =
                results.into_iter().map(val_type).collect::<Result<_, _>>().map_err(reencode::Error::UserError)?;
            types.ty().function([], results);
        }
        self.types_done = true;
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
