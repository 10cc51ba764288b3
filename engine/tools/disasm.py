#!/usr/bin/python3
"""Disassembles the C2 code of one method from a HotSpot log, without an hsdis plugin.

Debian's hsdis (libhsdis0-fcml) lacks the entry point JDK 17 calls, so -XX:+PrintAssembly prints
hex; this turns that hex back into instructions with binutils' objdump. Usage:
  java -XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=print,kr.engine.backend.vector.Kernels::kernel5x2 \
       -XX:+LogVMOutput -XX:LogFile=asm.log -XX:-DisplayVMOutput ...
  python3 engine/tools/disasm.py asm.log kernel5x2 [--all]   # the last non-OSR C2 compile (or every one)
Prints the instructions, then a summary: vector stack traffic (vmov* with [rsp+...]) in the code.
"""
import re
import subprocess
import sys
import tempfile

HEX = re.compile(r"^\s*0x([0-9a-f]+):\s*((?:[0-9a-f]{2,8}\s*\|?\s*)+)$")


def blocks(lines, name):
    cur = None
    for line in lines:
        if line.startswith("Compiled method"):
            if cur:
                yield cur
            cur = {"head": line.strip(), "bytes": {}} if name in line and "(c2)" in line else None
            continue
        if cur is None:
            continue
        if line.startswith("[Exception Handler]") or line.startswith("[Stub Code]"):
            yield cur
            cur = None
            continue
        m = HEX.match(line)
        if m:
            addr = int(m.group(1), 16)
            data = bytes.fromhex(m.group(2).replace("|", "").replace(" ", ""))
            for i, b in enumerate(data):
                cur["bytes"][addr + i] = b
    if cur:
        yield cur


def disassemble(block):
    addrs = sorted(block["bytes"])
    start = addrs[0]
    code = bytes(block["bytes"].get(a, 0x90) for a in range(start, addrs[-1] + 1))
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(code)
        f.flush()
        out = subprocess.run(["objdump", "-D", "-b", "binary", "-mi386:x86-64", "-Mintel", f"--adjust-vma={start:#x}", f.name],
                             capture_output=True, text=True, check=True).stdout
    return [l for l in out.splitlines() if re.match(r"^\s+[0-9a-f]+:", l)]


def main():
    log, name = sys.argv[1], sys.argv[2]
    with open(log, errors="replace") as f:
        found = [b for b in blocks(f.read().splitlines(), name)]
    if not found:
        sys.exit(f"[disasm] no C2 compile of '{name}' in {log}")
    chosen = found if "--all" in sys.argv else [[b for b in found if " % " not in b["head"]] or found][0][-1:]
    for b in chosen:
        insns = disassemble(b)
        print(b["head"])
        print("\n".join(insns))
        stack = [l for l in insns if re.search(r"vmov\w*\s+(?:[xy]mm\d+,\s*)?\w+ PTR \[rsp", l) and "mm" in l]
        fma = [l for l in insns if "vfmadd" in l]
        print(f"# {len(insns)} instructions, {len(fma)} FMAs, {len(stack)} vector moves to or from the stack")


if __name__ == "__main__":
    main()
