//! The deterministic gas-metering pass (Wasm → Wasm).
//!
//! See the [module docs](super) for the metering model. Implementation notes:
//!
//! - The gas global is appended after the module's own globals, so no existing global index
//!   shifts; its index is `imported globals + defined globals`. If the module has no global or
//!   export section, one is inserted at the right place in the section order.
//! - Function bodies are rewritten operator by operator; original operators are copied byte for
//!   byte, only the charge code is newly encoded.
//! - A scratch `i32` local (for the dynamic charges) is appended to the locals of the functions
//!   that contain a dynamically-charged operator, and only to those.
//! - Every function's first segment also charges [`FUNCTION_ENTRY_GAS`](super::FUNCTION_ENTRY_GAS)
//!   (the chain's `function_entry` weight): wasmtime's fuel starts
//!   each function at 1 consumed, and that is not configurable there.
//! - Custom sections (names, producers, debug info) are dropped.

use vmhost_abi::gas::{op as weights, OpWeights};
use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, ExportKind, ExportSection, Function, GlobalSection, GlobalType, Instruction,
    Module, SectionId, ValType,
};
use wasmparser::{FunctionBody, Operator, Parser, Payload, TypeRef, Validator};

use super::gate::{check_features, deterministic_features};
use super::{DeployError, GAS_GLOBAL_EXPORT};

/// Gas weight of one operator under the ABI schedule ([`vmhost_abi::gas::op`]).
///
/// Operators named in [`FREE`](vmhost_abi::gas::op::FREE) cost 0, those in
/// [`CALL_OPS`](vmhost_abi::gas::op::CALL_OPS) cost [`CALL`](vmhost_abi::gas::op::CALL), those in
/// [`DIVISION_OPS`](vmhost_abi::gas::op::DIVISION_OPS) cost
/// [`DIVISION`](vmhost_abi::gas::op::DIVISION), `MemoryGrow` costs
/// [`MEMORY_GROW`](vmhost_abi::gas::op::MEMORY_GROW), every other operator
/// [`DEFAULT`](vmhost_abi::gas::op::DEFAULT). The lookup goes through the operator's wasmparser
/// variant name, so it agrees with the ABI's name lists by construction. This is the flat part
/// only; the per-byte / per-element / per-page part of bulk operators is charged at run time.
pub fn operator_cost(op: &Operator<'_>) -> u64 {
    operator_cost_with(op, &OpWeights::default())
}

/// [`operator_cost`] under the chain's weights (the classes are the ABI's name lists).
pub fn operator_cost_with(op: &Operator<'_>, w: &OpWeights) -> u64 {
    weight_of_name(operator_name(op), w)
}

/// The weight the ABI name lists give an operator name, under the ABI defaults.
#[cfg(test)]
fn cost_of_name(name: &str) -> u64 {
    weight_of_name(name, &OpWeights::default())
}

/// The weight the ABI name lists give an operator name under weights `w`.
fn weight_of_name(name: &str, w: &OpWeights) -> u64 {
    if weights::FREE.contains(&name) {
        0
    } else if weights::CALL_OPS.contains(&name) {
        w.call
    } else if weights::DIVISION_OPS.contains(&name) {
        w.division
    } else if name == "MemoryGrow" {
        w.memory_grow
    } else {
        w.default
    }
}

macro_rules! define_operator_name {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        /// The wasmparser variant name of an operator (`"I32Add"`, `"MemoryGrow"`, ...), the
        /// spelling the ABI gas schedule uses.
        pub(crate) fn operator_name(op: &Operator<'_>) -> &'static str {
            #[allow(unreachable_patterns)]
            match op {
                $( Operator::$op { .. } => stringify!($op), )*
                _ => "<unknown operator>",
            }
        }

        /// Every operator name wasmparser knows (for checking the ABI's name lists).
        #[cfg(test)]
        pub(crate) const ALL_OPERATOR_NAMES: &[&str] = &[$(stringify!($op)),*];
    };
}
wasmparser::for_each_operator!(define_operator_name);

/// Weight per unit of the run-time operand of an operator, if it has one (and it is non-zero).
fn dynamic_weight(op: &Operator<'_>, w: &OpWeights) -> Option<u64> {
    let weight = match op {
        Operator::MemoryCopy { .. } | Operator::MemoryFill { .. } | Operator::MemoryInit { .. } => w.bulk_per_byte,
        Operator::TableCopy { .. } | Operator::TableInit { .. } => w.table_per_element,
        Operator::MemoryGrow { .. } => w.memory_page,
        _ => return None,
    };
    (weight > 0).then_some(weight)
}

/// Whether an operator ends a metered segment (the next operator starts a new one).
fn ends_segment(op: &Operator<'_>) -> bool {
    matches!(
        op,
        Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Else
            | Operator::End
            | Operator::Br { .. }
            | Operator::BrIf { .. }
            | Operator::BrTable { .. }
            | Operator::Return
            | Operator::Unreachable
            | Operator::Call { .. }
            | Operator::CallIndirect { .. }
    )
}

/// Injects gas metering into `code`.
///
/// `code` must already have passed [`validate`](super::validate); as a safeguard it is checked
/// again against the deterministic feature set (not the limits or the allowlist), so arbitrary
/// bytes give a [`DeployError`], never a panic. The output is checked to be valid under the
/// deterministic feature set before it is returned.
pub fn instrument(code: &[u8]) -> Result<Vec<u8>, DeployError> {
    instrument_with(code, &OpWeights::default())
}

/// [`instrument`] under the chain's operator weights.
pub fn instrument_with(code: &[u8], weights: &OpWeights) -> Result<Vec<u8>, DeployError> {
    check_features(code)?;
    instrument_validated(code, weights)
}

/// [`instrument_with`] without the input check, for input that has just passed
/// [`validate`](super::validate).
pub(crate) fn instrument_validated(code: &[u8], weights: &OpWeights) -> Result<Vec<u8>, DeployError> {
    let mut pass = MeteringPass::scan(code, *weights)?;
    let mut module = Module::new();
    pass.parse_core_module(&mut module, Parser::new(0), code).map_err(section_error)?;
    let output = module.finish();
    if let Err(err) = Validator::new_with_features(deterministic_features()).validate_all(&output) {
        return Err(DeployError::Instrumentation(format!("metered module is invalid: {err}")));
    }
    Ok(output)
}

pub(crate) fn section_error(err: reencode::Error<DeployError>) -> DeployError {
    match err {
        reencode::Error::UserError(err) => err,
        reencode::Error::ParseError(err) => DeployError::InvalidWasm(err.to_string()),
        other => DeployError::Instrumentation(other.to_string()),
    }
}

fn instrumentation(what: &str) -> DeployError {
    DeployError::Instrumentation(what.to_owned())
}

/// The re-encoder: everything is copied except globals, exports, code and custom sections.
struct MeteringPass {
    /// The operator weights charged.
    weights: OpWeights,
    /// Index of the gas global.
    gas_global: u32,
    /// Parameter count of each defined function, in code-section order.
    param_counts: Vec<u32>,
    /// Next defined function to rewrite.
    next_body: usize,
    /// The gas global has been emitted.
    global_done: bool,
    /// The gas export has been emitted.
    export_done: bool,
}

impl MeteringPass {
    /// Collects what the rewrite needs: the gas global's index and the parameter counts.
    fn scan(code: &[u8], weights: OpWeights) -> Result<Self, DeployError> {
        let param_counts = param_counts(code)?;
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
                Payload::GlobalSection(reader) => {
                    globals = globals.saturating_add(reader.count());
                }
                Payload::ExportSection(reader) => {
                    for export in reader {
                        if export?.name == GAS_GLOBAL_EXPORT {
                            return Err(DeployError::ReservedExport(GAS_GLOBAL_EXPORT.to_owned()));
                        }
                    }
                }
                _ => {}
            }
        }
        if globals == u32::MAX {
            return Err(instrumentation("too many globals"));
        }
        Ok(MeteringPass {
            weights,
            gas_global: globals,
            param_counts,
            next_body: 0,
            global_done: false,
            export_done: false,
        })
    }

    fn gas_global_type() -> GlobalType {
        GlobalType { val_type: ValType::I64, mutable: true, shared: false }
    }
}

/// Parameter count of each defined function, in code-section order.
pub(crate) fn param_counts(code: &[u8]) -> Result<Vec<u32>, DeployError> {
    let mut type_params: Vec<u32> = Vec::new();
    let mut param_counts = Vec::new();
    for payload in Parser::new(0).parse_all(code) {
        match payload? {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    let params =
                        u32::try_from(ty?.params().len()).map_err(|_| instrumentation("too many parameters"))?;
                    type_params.push(params);
                }
            }
            Payload::FunctionSection(reader) => {
                for type_index in reader {
                    let params = type_params
                        .get(type_index? as usize)
                        .ok_or_else(|| instrumentation("type index out of bounds"))?;
                    param_counts.push(*params);
                }
            }
            _ => {}
        }
    }
    Ok(param_counts)
}

/// The parameter count of the next body in code-section order (for a pass's
/// `parse_function_body`), advancing `next`.
pub(crate) fn next_params(param_counts: &[u32], next: &mut usize) -> Result<u32, reencode::Error<DeployError>> {
    let params = param_counts
        .get(*next)
        .copied()
        .ok_or_else(|| reencode::Error::UserError(instrumentation("more bodies than functions")))?;
    *next += 1;
    Ok(params)
}

/// A body's local declarations, re-encoded, and how many locals (parameters included) it has.
pub(crate) fn body_locals(body: &FunctionBody<'_>, params: u32) -> Result<(Vec<(u32, ValType)>, u64), DeployError> {
    let mut locals = Vec::new();
    let mut declared = u64::from(params);
    for decl in body.get_locals_reader()? {
        let (count, ty) = decl?;
        declared = declared.saturating_add(count.into());
        let ty =
            reencode::RoundtripReencoder.val_type(ty).map_err(|err| DeployError::Instrumentation(err.to_string()))?;
        locals.push((count, ty));
    }
    Ok((locals, declared))
}

/// Position of a section in the module's section order (tags sit between memory and global,
/// data count between element and code).
fn section_rank(id: SectionId) -> u8 {
    match id {
        SectionId::Custom => 0,
        SectionId::Type => 1,
        SectionId::Import => 2,
        SectionId::Function => 3,
        SectionId::Table => 4,
        SectionId::Memory => 5,
        SectionId::Tag => 6,
        SectionId::Global => 7,
        SectionId::Export => 8,
        SectionId::Start => 9,
        SectionId::Element => 10,
        SectionId::DataCount => 11,
        SectionId::Code => 12,
        SectionId::Data => 13,
    }
}

/// Whether the section about to be emitted (`None`: the end of the module) comes after `target`.
pub(crate) fn is_past(before: Option<SectionId>, target: SectionId) -> bool {
    before.is_none_or(|next| section_rank(next) > section_rank(target))
}

impl Reencode for MeteringPass {
    type Error = DeployError;

    fn intersperse_section_hook(
        &mut self,
        module: &mut Module,
        _after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), reencode::Error<DeployError>> {
        if !self.global_done && is_past(before, SectionId::Global) {
            let mut globals = GlobalSection::new();
            globals.global(Self::gas_global_type(), &ConstExpr::i64_const(0));
            module.section(&globals);
            self.global_done = true;
        }
        if !self.export_done && is_past(before, SectionId::Export) {
            let mut exports = ExportSection::new();
            exports.export(GAS_GLOBAL_EXPORT, ExportKind::Global, self.gas_global);
            module.section(&exports);
            self.export_done = true;
        }
        Ok(())
    }

    fn parse_global_section(
        &mut self,
        globals: &mut GlobalSection,
        section: wasmparser::GlobalSectionReader<'_>,
    ) -> Result<(), reencode::Error<DeployError>> {
        reencode::utils::parse_global_section(self, globals, section)?;
        globals.global(Self::gas_global_type(), &ConstExpr::i64_const(0));
        self.global_done = true;
        Ok(())
    }

    fn parse_export_section(
        &mut self,
        exports: &mut ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> Result<(), reencode::Error<DeployError>> {
        reencode::utils::parse_export_section(self, exports, section)?;
        exports.export(GAS_GLOBAL_EXPORT, ExportKind::Global, self.gas_global);
        self.export_done = true;
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: FunctionBody<'_>,
    ) -> Result<(), reencode::Error<DeployError>> {
        let params = next_params(&self.param_counts, &mut self.next_body)?;
        let function = meter_body(&func, params, self.gas_global, &self.weights).map_err(reencode::Error::UserError)?;
        code.function(&function);
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

/// One operator of a body being rewritten: the parsed operator and its bytes.
pub(crate) struct BodyOp<'a> {
    pub(crate) op: Operator<'a>,
    pub(crate) bytes: &'a [u8],
}

/// Rewrites one function body with segment charges and dynamic charges.
fn meter_body(body: &FunctionBody<'_>, params: u32, gas: u32, w: &OpWeights) -> Result<Function, DeployError> {
    let (mut locals, declared) = body_locals(body, params)?;
    let ops = read_ops(body)?;

    // The gas counter lives in a local while the function runs (like wasmtime's own fuel): read
    // from the global at entry and after every call, written back before every call, before the
    // function exits (return, final end, a branch out of the function body), before a genuine
    // `unreachable`, and before an out-of-gas trap. Charges are unchanged: a completed call
    // pays exactly the same, and the host sees the exact counter at every host call.
    let counter = u32::try_from(declared).map_err(|_| instrumentation("too many locals"))?;
    locals.push((1, ValType::I64));
    let scratch = if ops.iter().any(|o| dynamic_weight(&o.op, w).is_some()) {
        let index = u32::try_from(declared + 1).map_err(|_| instrumentation("too many locals"))?;
        locals.push((1, ValType::I32));
        Some(index)
    } else {
        None
    };

    let mut function = Function::new(locals);
    sync_in(&mut function, gas, counter);
    let mut depth: i64 = 0;
    let mut start = 0;
    while start < ops.len() {
        let end = ops[start..].iter().position(|o| ends_segment(&o.op)).map_or(ops.len(), |offset| start + offset + 1);
        let segment = &ops[start..end];
        // The function's first segment also pays the per-invocation charge.
        let entry = if start == 0 { w.function_entry } else { 0 };
        let cost = segment.iter().fold(entry, |sum, o| sum.saturating_add(operator_cost_with(&o.op, w)));
        if cost > 0 {
            emit_segment_charge(&mut function, gas, counter, cost)?;
        }
        for o in segment {
            if let Some(weight) = dynamic_weight(&o.op, w) {
                let scratch = scratch.ok_or_else(|| instrumentation("missing scratch local"))?;
                emit_dynamic_charge(&mut function, gas, counter, scratch, weight)?;
            }
            if leaves_frame(&o.op, depth)? {
                sync_out(&mut function, gas, counter);
            }
            function.raw(o.bytes.iter().copied());
            match &o.op {
                Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => depth += 1,
                Operator::End => depth -= 1,
                Operator::Call { .. } | Operator::CallIndirect { .. } => sync_in(&mut function, gas, counter),
                _ => {}
            }
        }
        start = end;
    }
    Ok(function)
}

/// Whether the operator hands control (and the counter) to someone else: a call, a return, a
/// trap, or a branch/end that leaves the function body (`depth` = blocks open inside it).
fn leaves_frame(op: &Operator<'_>, depth: i64) -> Result<bool, DeployError> {
    Ok(match op {
        Operator::Call { .. } | Operator::CallIndirect { .. } | Operator::Return | Operator::Unreachable => true,
        Operator::End => depth == 0,
        Operator::Br { relative_depth } | Operator::BrIf { relative_depth } => i64::from(*relative_depth) == depth,
        Operator::BrTable { targets } => {
            let mut out = i64::from(targets.default()) == depth;
            for t in targets.targets() {
                out |= i64::from(t?) == depth;
            }
            out
        }
        _ => false,
    })
}

/// `local = global`.
fn sync_in(function: &mut Function, gas: u32, counter: u32) {
    function.instruction(&Instruction::GlobalGet(gas)).instruction(&Instruction::LocalSet(counter));
}

/// `global = local`.
fn sync_out(function: &mut Function, gas: u32, counter: u32) {
    function.instruction(&Instruction::LocalGet(counter)).instruction(&Instruction::GlobalSet(gas));
}

/// Parses the operators of a body, keeping each operator's original bytes.
pub(crate) fn read_ops<'a>(body: &FunctionBody<'a>) -> Result<Vec<BodyOp<'a>>, DeployError> {
    let bytes = body.as_bytes();
    let base = body.range().start;
    let slice = |from: usize, to: usize| {
        from.checked_sub(base)
            .zip(to.checked_sub(base))
            .and_then(|(from, to)| bytes.get(from..to))
            .ok_or_else(|| instrumentation("operator outside its function body"))
    };
    let mut reader = body.get_operators_reader()?;
    let mut ops = Vec::new();
    while !reader.eof() {
        let from = reader.original_position();
        let op = reader.read()?;
        let to = reader.original_position();
        ops.push(BodyOp { op, bytes: slice(from, to)? });
    }
    Ok(ops)
}

fn to_i64(value: u64) -> Result<i64, DeployError> {
    i64::try_from(value).map_err(|_| instrumentation("charge does not fit an i64"))
}

/// With the new counter on the stack: store it, and `if counter < 0 { global = counter;
/// unreachable }` (the negative global tells the host the trap was out of gas).
fn emit_out_of_gas_check(function: &mut Function, gas: u32, counter: u32) {
    function
        .instruction(&Instruction::LocalTee(counter))
        .instruction(&Instruction::I64Const(0))
        .instruction(&Instruction::I64LtS)
        .instruction(&Instruction::If(BlockType::Empty));
    sync_out(function, gas, counter);
    function.instruction(&Instruction::Unreachable).instruction(&Instruction::End);
}

/// `counter -= cost`, then the out-of-gas check.
fn emit_segment_charge(function: &mut Function, gas: u32, counter: u32, cost: u64) -> Result<(), DeployError> {
    function
        .instruction(&Instruction::LocalGet(counter))
        .instruction(&Instruction::I64Const(to_i64(cost)?))
        .instruction(&Instruction::I64Sub);
    emit_out_of_gas_check(function, gas, counter);
    Ok(())
}

/// `counter -= u64(count) * weight` with `count` the i32 on top of the stack (left in place).
fn emit_dynamic_charge(
    function: &mut Function,
    gas: u32,
    counter: u32,
    scratch: u32,
    weight: u64,
) -> Result<(), DeployError> {
    function
        .instruction(&Instruction::LocalTee(scratch))
        .instruction(&Instruction::LocalGet(counter))
        .instruction(&Instruction::LocalGet(scratch))
        .instruction(&Instruction::I64ExtendI32U)
        .instruction(&Instruction::I64Const(to_i64(weight)?))
        .instruction(&Instruction::I64Mul)
        .instruction(&Instruction::I64Sub);
    emit_out_of_gas_check(function, gas, counter);
    Ok(())
}

#[cfg(test)]
#[path = "metering_tests.rs"]
mod tests;
