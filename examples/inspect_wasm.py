#!/usr/bin/env python3
"""Inspect vmhost contract modules (.wasm) with the Python standard library only.

Lists sections, imports, exports, memory and the WebAssembly features the code uses, and
with --check verifies what the host's deploy gate will demand:

  * every import is a function of module "vmhost", named in the ABI table
    (abi/src/hostfns.rs, parsed from source) with exactly the table's signature;
  * the module exports its linear memory as "memory" and every exported function has type
    () -> () (an entry point); --exports NAME,... also requires those entry points;
  * no start section, no imported memory/table/global;
  * only the features of the host's deterministic profile (docs/abi-v1.md, "Deterministic
    feature profile"): the MVP with floats, mutable globals, sign-extension, saturating
    float-to-int, multi-value and bulk memory. Anything else (SIMD, threads, reference types,
    exceptions, tail calls, multi-memory, memory64, extended-const, ...) is a problem.

--mvp adds the examples' own convention (examples/README.md): no post-MVP feature at all
(float instructions are MVP and allowed), and no exported table or mutable global
(rustc's immutable __data_end and __heap_base are allowed).

Usage:
  inspect_wasm.py [--check] [--mvp] [--abi PATH] [--exports a,b] [--quiet] FILE.wasm...

Exit status: 0 if every file passes (or without --check), 1 otherwise.
"""

import argparse
import os
import re
import sys

SECTION_NAMES = {
    0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory", 6: "global",
    7: "export", 8: "start", 9: "element", 10: "code", 11: "data", 12: "datacount",
}
VALTYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128",
            0x70: "funcref", 0x6F: "externref"}
EXTERN_KINDS = {0: "func", 1: "table", 2: "memory", 3: "global"}

# Opcodes whose only immediate is one LEB128 u32.
U32_IMM = {0x0C, 0x0D, 0x10, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0xD2, 0x12}
FLOAT_OPS = ({0x2A, 0x2B, 0x38, 0x39, 0x43, 0x44} | set(range(0x5B, 0x67))
             | set(range(0x8B, 0xA7)) | set(range(0xA8, 0xAC)) | set(range(0xAE, 0xC0)))


class Reader:
    def __init__(self, data, pos=0, end=None):
        self.data, self.pos = data, pos
        self.end = len(data) if end is None else end

    def byte(self):
        if self.pos >= self.end:
            raise ValueError("unexpected end of data")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def bytes(self, n):
        if self.pos + n > self.end:
            raise ValueError("unexpected end of data")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u32(self):
        result, shift = 0, 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if b & 0x80 == 0:
                return result

    def sleb(self):
        result, shift = 0, 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if b & 0x80 == 0:
                if b & 0x40:
                    result -= 1 << shift
                return result

    def name(self):
        return self.bytes(self.u32()).decode("utf-8")

    def valtype(self):
        b = self.byte()
        return VALTYPES.get(b, "0x%02x" % b)

    def limits(self):
        flags = self.byte()
        lo = self.u32()
        hi = self.u32() if flags & 1 else None
        return flags, lo, hi

    def at_end(self):
        return self.pos >= self.end


class Module:
    """The parts of a module the checks need."""

    def __init__(self, data):
        if data[:4] != b"\0asm" or data[4:8] != b"\x01\0\0\0":
            raise ValueError("not a WebAssembly 1.0 binary")
        self.sections = []   # (id, name, size)
        self.customs = []    # custom section names
        self.types = []      # (params, results)
        self.imports = []    # (module, name, kind, detail)
        self.func_types = []  # type index of each defined function
        self.tables, self.memories, self.globals = [], [], []
        self.exports = []    # (name, kind, index)
        self.start = None
        self.features = {}   # feature -> count
        self.data_segments = 0
        r = Reader(data, 8)
        while not r.at_end():
            sid = r.byte()
            size = r.u32()
            body = Reader(data, r.pos, r.pos + size)
            r.pos += size
            name = SECTION_NAMES.get(sid, "unknown(%d)" % sid)
            if sid == 0:
                cname = body.name()
                self.customs.append(cname)
                name = "custom:" + cname
            self.sections.append((sid, name, size))
            getattr(self, "_sec_" + SECTION_NAMES.get(sid, "unknown"), lambda _b: None)(body)

    def feature(self, name, n=1):
        self.features[name] = self.features.get(name, 0) + n

    def _sec_type(self, r):
        for _ in range(r.u32()):
            form = r.byte()
            if form != 0x60:
                self.feature("non-function type (GC)")
                return
            params = [r.valtype() for _ in range(r.u32())]
            results = [r.valtype() for _ in range(r.u32())]
            if len(results) > 1:
                self.feature("multi-value (function type)")
            for t in params + results:
                if t in ("v128",):
                    self.feature("simd (v128 in signature)")
                if t in ("funcref", "externref"):
                    self.feature("reference types (ref in signature)")
            self.types.append((params, results))

    def _sec_import(self, r):
        for _ in range(r.u32()):
            mod, name, kind = r.name(), r.name(), r.byte()
            if kind == 0:
                detail = r.u32()
            elif kind == 1:
                detail = (r.valtype(), r.limits())
            elif kind == 2:
                detail = r.limits()
            elif kind == 3:
                detail = (r.valtype(), r.byte())
                if detail[1]:
                    self.feature("mutable-globals (imported mutable global)")
            else:
                detail = None
            self.imports.append((mod, name, EXTERN_KINDS.get(kind, str(kind)), detail))

    def _sec_function(self, r):
        self.func_types = [r.u32() for _ in range(r.u32())]

    def _sec_table(self, r):
        for _ in range(r.u32()):
            self.tables.append((r.valtype(), r.limits()))
        if len(self.tables) + self.imported("table") > 1:
            self.feature("reference types (multiple tables)")

    def _sec_memory(self, r):
        for _ in range(r.u32()):
            flags, lo, hi = r.limits()
            if flags & 2:
                self.feature("threads (shared memory)")
            if flags & 4:
                self.feature("memory64")
            self.memories.append((lo, hi))
        if len(self.memories) + self.imported("memory") > 1:
            self.feature("multi-memory")

    def _sec_global(self, r):
        for _ in range(r.u32()):
            vt, mut = r.valtype(), r.byte()
            self.globals.append((vt, mut))
            self._const_expr(r)

    def _sec_export(self, r):
        for _ in range(r.u32()):
            name, kind, idx = r.name(), r.byte(), r.u32()
            self.exports.append((name, EXTERN_KINDS.get(kind, str(kind)), idx))

    def _sec_start(self, r):
        self.start = r.u32()

    def _sec_element(self, r):
        for _ in range(r.u32()):
            flags = r.u32()
            if flags == 1:
                # Passive, function indices: bulk memory's `elem` without a table.
                self.feature("bulk-memory (passive element segment)")
                return
            if flags != 0:
                self.feature("reference types (element segment form %d)" % flags)
                return
            self._const_expr(r)
            for _ in range(r.u32()):
                r.u32()

    def _sec_data(self, r):
        for _ in range(r.u32()):
            flags = r.u32()
            self.data_segments += 1
            if flags == 1:
                self.feature("bulk-memory (passive data segment)")
            elif flags == 2:
                self.feature("multi-memory (data segment with memory index)")
                r.u32()
            if flags != 1:
                self._const_expr(r)
            r.bytes(r.u32())

    def _sec_datacount(self, r):
        self.feature("bulk-memory (datacount section)")

    def _sec_code(self, r):
        for _ in range(r.u32()):
            size = r.u32()
            body = Reader(r.data, r.pos, r.pos + size)
            r.pos += size
            for _ in range(body.u32()):
                body.u32()
                t = body.valtype()
                if t == "v128":
                    self.feature("simd (v128 local)")
                elif t in ("funcref", "externref"):
                    self.feature("reference types (ref local)")
            self._code(body)

    def _const_expr(self, r):
        while True:
            op = r.byte()
            if op == 0x0B:
                return
            if op in (0x41, 0x42):
                r.sleb()
            elif op == 0x43:
                r.bytes(4)
            elif op == 0x44:
                r.bytes(8)
            elif op in (0x23, 0xD2):
                r.u32()
            elif op == 0xD0:
                r.byte()
            else:
                self.feature("extended const expression (0x%02x)" % op)

    def _blocktype(self, r):
        b = r.data[r.pos]
        if b == 0x40 or b in VALTYPES:
            r.byte()
            if b in (0x70, 0x6F):
                self.feature("reference types (ref block type)")
            elif b == 0x7B:
                self.feature("simd (v128 block type)")
        else:
            r.sleb()
            self.feature("multi-value (block type index)")

    def _memarg(self, r):
        align = r.u32()
        if align & 0x40:
            r.u32()
            self.feature("multi-memory (memory index)")
        r.u32()

    def _code(self, r):
        while not r.at_end():
            op = r.byte()
            if op in (0x02, 0x03, 0x04):
                self._blocktype(r)
            elif op in U32_IMM:
                r.u32()
                if op in (0x25, 0x26, 0xD2):
                    self.feature("reference types (table.get/set, ref.func)")
                elif op == 0x12:
                    self.feature("tail calls")
            elif op == 0x0E:
                for _ in range(r.u32() + 1):
                    r.u32()
            elif op in (0x11, 0x13):
                r.u32()
                if r.u32() != 0:
                    self.feature("reference types (call_indirect on table > 0)")
                if op == 0x13:
                    self.feature("tail calls")
            elif op == 0x1C:
                for _ in range(r.u32()):
                    r.valtype()
                self.feature("reference types (typed select)")
            elif 0x28 <= op <= 0x3E:
                self._memarg(r)
            elif op in (0x3F, 0x40):
                if r.byte() != 0:
                    self.feature("multi-memory (memory.size/grow index)")
            elif op == 0x41 or op == 0x42:
                r.sleb()
            elif op == 0x43:
                r.bytes(4)
            elif op == 0x44:
                r.bytes(8)
            elif 0xC0 <= op <= 0xC4:
                self.feature("sign-extension")
            elif op in (0xD0,):
                r.byte()
                self.feature("reference types (ref.null)")
            elif op == 0xD1:
                self.feature("reference types (ref.is_null)")
            elif op == 0xFC:
                sub = r.u32()
                if sub <= 7:
                    self.feature("saturating float-to-int")
                elif sub == 8:
                    r.u32(); r.byte()
                    self.feature("bulk-memory (memory.init)")
                elif sub in (9, 13):
                    r.u32()
                    self.feature("bulk-memory (data.drop/elem.drop)")
                elif sub == 10:
                    r.byte(); r.byte()
                    self.feature("bulk-memory (memory.copy)")
                elif sub == 11:
                    r.byte()
                    self.feature("bulk-memory (memory.fill)")
                elif sub in (12, 14):
                    r.u32(); r.u32()
                    self.feature("bulk-memory (table.init/copy)")
                elif sub in (15, 16, 17):
                    r.u32()
                    self.feature("reference types (table.grow/size/fill)")
                else:
                    self.feature("unknown 0xFC instruction %d" % sub)
                    return
            elif op == 0xFD:
                self.feature("simd")
                return  # not decoded further
            elif op == 0xFE:
                self.feature("threads (atomics)")
                return
            elif op in (0x06, 0x07, 0x08, 0x09, 0x18, 0x19, 0x1F, 0x0A):
                self.feature("exception handling")
                return
            elif op in (0x00, 0x01, 0x05, 0x0B, 0x0F, 0x1A, 0x1B) or 0x45 <= op <= 0xBF:
                pass
            else:
                self.feature("unknown opcode 0x%02x" % op)
                return
            if op in FLOAT_OPS:
                self.feature("float instructions (MVP)")

    def imported(self, kind):
        return sum(1 for i in self.imports if i[2] == kind)

    def func_type(self, index):
        """Signature of function `index` in the function index space (imports first)."""
        funcs = [i[3] for i in self.imports if i[2] == "func"]
        tidx = funcs[index] if index < len(funcs) else self.func_types[index - len(funcs)]
        return self.types[tidx]


def sig(t):
    return "(%s) -> (%s)" % (", ".join(t[0]), ", ".join(t[1]))


# The deterministic profile (host/src/wasm/gate.rs `deterministic_features`), by the prefix of
# the names this script reports. A test (tests/integration/wasm_deploy.rs) checks this script
# and the gate accept and refuse the same modules.
PROFILE_FEATURES = ("float instructions (MVP)", "bulk-memory (", "sign-extension", "saturating float-to-int",
                    "multi-value", "mutable-globals")
MVP_FEATURES = ("float instructions (MVP)",)


def load_abi(path):
    """{name: (params, results)} parsed from the host_fns! table in abi/src/hostfns.rs."""
    rows = {}
    src = open(path, encoding="utf-8").read()
    pat = re.compile(r'=\s*\d+,\s*"(\w+)",\s*\[([^\]]*)\]\s*->\s*\[([^\]]*)\]')
    for m in pat.finditer(src[src.index("host_fns! {"):]):
        split = lambda s: [t.strip().lower() for t in s.split(",") if t.strip()]
        rows[m.group(1)] = (split(m.group(2)), split(m.group(3)))
    if not rows:
        raise ValueError("no host functions found in %s" % path)
    return rows


def inspect(path, args, abi):
    data = open(path, "rb").read()
    m = Module(data)
    problems = []
    out = []
    out.append("%s: %d bytes" % (path, len(data)))
    out.append("  sections: " + ", ".join("%s(%d)" % (n, s) for _, n, s in m.sections))
    for mod, name, kind, detail in m.imports:
        desc = sig(m.types[detail]) if kind == "func" else str(detail)
        out.append("  import %s.%s %s %s" % (mod, name, kind, desc))
        if kind != "func":
            problems.append("imports a %s (%s.%s)" % (kind, mod, name))
        elif mod != "vmhost":
            problems.append("import from module %r: %s" % (mod, name))
        elif abi is not None:
            want = abi.get(name)
            got = m.types[detail]
            if want is None:
                problems.append("import vmhost.%s is not in the ABI table" % name)
            elif (want[0], want[1]) != (got[0], got[1]):
                problems.append("import vmhost.%s has %s, the table says %s"
                                % (name, sig(got), sig(want)))
    for name, kind, idx in m.exports:
        if kind == "func":
            t = m.func_type(idx)
            out.append("  export %s func %s" % (name, sig(t)))
            if t != ([], []):
                problems.append("exported function %s is %s, not () -> ()" % (name, sig(t)))
        else:
            out.append("  export %s %s %d" % (name, kind, idx))
            if kind == "memory" and name != "memory":
                problems.append("memory exported as %r" % name)
            elif kind == "table" and args.mvp:
                problems.append("exports a table (%s)" % name)
            elif kind == "global" and args.mvp:
                # rustc always exports the immutable i32 globals __data_end and __heap_base
                # from wasm32v1-none cdylibs; immutable exported globals are MVP and harmless.
                gi = idx - m.imported("global")
                if gi < 0 or gi >= len(m.globals) or m.globals[gi][1] != 0:
                    problems.append("exports a mutable or imported global (%s)" % name)
    for lo, hi in m.memories:
        out.append("  memory: %d pages initial (%d KiB), max %s" % (lo, lo * 64, hi))
    out.append("  globals: %s; tables: %s; data segments: %d; defined functions: %d"
               % (m.globals or "none", m.tables or "none", m.data_segments, len(m.func_types)))
    out.append("  features: %s" % (", ".join("%s x%d" % kv for kv in sorted(m.features.items()))
                                   or "MVP only"))
    if not any(n == "memory" and k == "memory" for n, k, _ in m.exports):
        problems.append('no memory exported as "memory"')
    if m.start is not None:
        problems.append("has a start section (function %d)" % m.start)
    for f in m.features:
        if not f.startswith(PROFILE_FEATURES):
            problems.append("uses a feature outside the deterministic profile: %s" % f)
        elif args.mvp and not f.startswith(MVP_FEATURES):
            problems.append("uses post-MVP feature: %s (--mvp)" % f)
    for want in args.exports or []:
        if not any(n == want and k == "func" for n, k, _ in m.exports):
            problems.append("missing entry point %r" % want)
    if not args.quiet or problems:
        print("\n".join(out))
    for p in problems:
        print("  PROBLEM: %s" % p)
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--check", action="store_true", help="exit 1 if any file has a problem")
    ap.add_argument("--mvp", action="store_true",
                    help="also require the examples' convention: MVP only, no exported table or mutable global")
    ap.add_argument("--abi", help="path to abi/src/hostfns.rs (default: found from this script)")
    ap.add_argument("--exports", type=lambda s: [x for x in s.split(",") if x],
                    help="comma-separated entry points that must be exported")
    ap.add_argument("--quiet", action="store_true", help="print only files with problems")
    args = ap.parse_args()
    abi_path = args.abi or os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                        "..", "abi", "src", "hostfns.rs")
    abi = load_abi(abi_path) if os.path.exists(abi_path) else None
    if abi is None:
        print("note: %s not found, import signatures not checked" % abi_path)
    bad = 0
    for f in args.files:
        try:
            if inspect(f, args, abi):
                bad += 1
        except (ValueError, IndexError, UnicodeDecodeError) as e:
            print("%s: PROBLEM: cannot parse: %s" % (f, e))
            bad += 1
    if args.check and bad:
        print("%d of %d module(s) failed the checks" % (bad, len(args.files)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
