#!/usr/bin/env python3
"""Checks the hot kernels' resources in ptxas's report of the nvcc build.

Usage: check_hot_kernels.py HOT_LIST REPORT_DIR

HOT_LIST (kernels/hot_kernels.txt) names the hot kernels by patterns, with their launch block
size and dynamic shared memory. REPORT_DIR holds ptxas's reports (nvcc --resource-usage), one
file per compiled source, written by record_ptxas.py while the library builds. For every kernel
that matches a pattern, on every architecture compiled, prints registers, stack, spills, shared
memory and the theoretical occupancy on an H100, and fails (exit status 1) when a hot kernel
has a stack frame, spills, an occupancy below 50%, or when a pattern matches no kernel.

Occupancy on the H100 (sm_90), as CUDA's occupancy calculator computes it: per SM 64 warps, 32
blocks, 65536 registers in 4 sub-partitions of 16384 allocated per warp in units of 256 (at most
255 per thread), 228 KB of shared memory allocated per block in units of 128 bytes with 1 KB
reserved per block.
"""
import glob
import os
import re
import shutil
import subprocess
import sys

WARPS_PER_SM = 64
BLOCKS_PER_SM = 32
REGISTERS_PER_SM = 65536
SUB_PARTITIONS = 4
REGISTER_UNIT = 256
MAX_REGISTERS = 255
SHARED_PER_SM = 228 * 1024
MAX_SHARED_PER_BLOCK = 227 * 1024
SHARED_RESERVED = 1024
SHARED_UNIT = 128
MIN_OCCUPANCY = 0.5


def round_up(value, unit):
    return (value + unit - 1) // unit * unit


def occupancy(registers, shared_bytes, threads):
    """(fraction of the SM's warps, blocks per SM, what limits them) for one kernel launch."""
    warps = (threads + 31) // 32
    per_warp = round_up(max(registers, 1) * 32, REGISTER_UNIT)
    limits = {"warps": WARPS_PER_SM // warps, "blocks": BLOCKS_PER_SM}
    if registers > MAX_REGISTERS or per_warp * round_up(warps, SUB_PARTITIONS) > REGISTERS_PER_SM:
        limits["registers"] = 0
    else:
        warps_per_partition = REGISTERS_PER_SM // SUB_PARTITIONS // per_warp
        limits["registers"] = warps_per_partition * SUB_PARTITIONS // warps
    if shared_bytes > MAX_SHARED_PER_BLOCK:
        limits["shared"] = 0
    else:
        limits["shared"] = SHARED_PER_SM // round_up(shared_bytes + SHARED_RESERVED, SHARED_UNIT)
    blocks = min(limits.values())
    limiter = min(limits, key=lambda k: (limits[k], k != "registers"))
    return blocks * warps / WARPS_PER_SM, blocks, limiter


def read_hot_list(path):
    hot = []
    for number, raw in enumerate(open(path), 1):
        line = raw.split("#", 1)[0].split()
        if not line:
            continue
        if len(line) != 3:
            sys.exit(f"{path}:{number}: expected 'pattern block dynamic', got {raw.strip()!r}")
        hot.append((line[0], int(line[1]), int(line[2])))
    return hot


ENTRY = re.compile(r"ptxas info\s*: Compiling entry function '([^']+)' for '([^']+)'")
PROPERTIES = re.compile(r"ptxas info\s*: Function properties for (\S+)")
FRAME = re.compile(r"\s*(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
USED = re.compile(r"ptxas info\s*: Used (\d+) registers")
CUMULATIVE = re.compile(r"(\d+) bytes cumulative stack size")
SMEM = re.compile(r"(\d+) bytes smem")


def read_reports(directory):
    """The entry functions ptxas compiled: dicts of name, arch, registers, stack, spills, smem."""
    kernels = []
    for path in sorted(glob.glob(os.path.join(directory, "*.txt"))):
        entry, properties_of = None, None
        for line in open(path):
            if m := ENTRY.match(line):
                entry = {"name": m[1], "arch": m[2], "registers": 0, "stack": 0,
                         "spill_stores": 0, "spill_loads": 0, "smem": 0}
                kernels.append(entry)
            elif m := PROPERTIES.match(line):
                properties_of = m[1]
            elif (m := FRAME.match(line)) and entry and properties_of == entry["name"]:
                entry["stack"] = max(entry["stack"], int(m[1]))
                entry["spill_stores"], entry["spill_loads"] = int(m[2]), int(m[3])
            elif (m := USED.match(line)) and entry:
                entry["registers"] = int(m[1])
                if c := CUMULATIVE.search(line):  # the frames of the functions it calls too
                    entry["stack"] = max(entry["stack"], int(c[1]))
                if s := SMEM.search(line):
                    entry["smem"] = int(s[1])
    return kernels


def demangle(names):
    if not names or not shutil.which("c++filt"):
        return list(names)
    out = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True)
    lines = out.stdout.splitlines()
    return lines if len(lines) == len(names) else list(names)


def short_name(demangled):
    """stage_kernel<float, false> for void cucnf::detail::(anonymous namespace)::stage_kernel<...>(...)."""
    name = demangled.replace("(anonymous namespace)::", "")
    depth, cut = 0, len(name)
    for i, ch in enumerate(name):
        depth += ch == "<"
        depth -= ch == ">"
        if ch == "(" and depth == 0:
            cut = i
            break
    name = name[:cut]
    if name.startswith("void "):
        name = name[5:]
    depth, start = 0, 0
    for i, ch in enumerate(name):
        depth += ch == "<"
        depth -= ch == ">"
        if depth == 0 and name.startswith("::", i):
            start = i + 2
    return name[start:]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    hot = read_hot_list(sys.argv[1])
    kernels = read_reports(sys.argv[2])
    if not kernels:
        sys.exit(f"no ptxas reports in {sys.argv[2]}: build the library first (the nvcc build "
                 "writes them when it compiles the kernels)")
    for kernel, demangled in zip(kernels, demangle([k["name"] for k in kernels])):
        kernel["demangled"] = demangled
        kernel["plain"] = "".join(demangled.split())

    header = ("kernel", "arch", "block", "regs", "stack", "spills st/ld", "shared st+dyn",
              "occupancy", "verdict")
    rows, failures = [], 0
    for pattern, block, dynamic in hot:
        matches = [k for k in kernels if pattern in k["plain"]]
        if not matches:
            failures += 1
            rows.append((pattern, "-", str(block), "-", "-", "-", "-", "-",
                         "FAIL: no kernel matches the pattern"))
            continue
        for k in matches:
            fraction, blocks, limiter = occupancy(k["registers"], k["smem"] + dynamic, block)
            problems = []
            if k["stack"]:
                problems.append(f"stack frame {k['stack']} B")
            if k["spill_stores"] or k["spill_loads"]:
                problems.append(f"spills {k['spill_stores']}/{k['spill_loads']} B")
            if fraction < MIN_OCCUPANCY:
                problems.append(f"occupancy {fraction:.1%} < {MIN_OCCUPANCY:.0%} ({limiter})")
            failures += bool(problems)
            rows.append((short_name(k["demangled"]), k["arch"], str(block), str(k["registers"]),
                         f"{k['stack']} B", f"{k['spill_stores']}/{k['spill_loads']} B",
                         f"{k['smem']}+{dynamic} B",
                         f"{fraction:.1%} ({blocks} blocks, {limiter})",
                         "FAIL: " + ", ".join(problems) if problems else "ok"))
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    for r in [header] + rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
    print(f"\n{len(rows)} hot kernel(s) checked against ptxas's report, {failures} failing "
          f"(no stack frame, no spills, at least {MIN_OCCUPANCY:.0%} occupancy on an H100)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
