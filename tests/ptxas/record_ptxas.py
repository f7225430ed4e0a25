#!/usr/bin/env python3
"""Compiler launcher of the nvcc build: keeps ptxas's resource report of each compiled file.

Usage: record_ptxas.py LOG_DIR COMPILER ARGS...

Runs the compile command (nvcc with --resource-usage), writes the "ptxas info" lines it prints
(registers, stack frame, spills, shared memory per kernel) to LOG_DIR/<object file name>.txt for
check_hot_kernels.py, and passes everything else the compiler prints through. A failed compile
leaves no report. Exits with the compiler's status.
"""
import os
import subprocess
import sys


def is_report(line):
    # "ptxas info    : ..." and the indented "N bytes stack frame, ..." lines under them.
    return line.startswith("ptxas info") or line.strip().endswith("bytes spill loads")


def main():
    log_dir, command = sys.argv[1], sys.argv[2:]
    result = subprocess.run(command, stderr=subprocess.PIPE, text=True)
    lines = result.stderr.splitlines(keepends=True)
    sys.stderr.write("".join(line for line in lines if not is_report(line)))
    output = command[command.index("-o") + 1] if "-o" in command else None
    if output is None:
        return result.returncode
    os.makedirs(log_dir, exist_ok=True)
    log = os.path.join(log_dir, os.path.basename(output) + ".txt")
    if result.returncode != 0:
        if os.path.exists(log):
            os.remove(log)
        return result.returncode
    partial = log + ".partial"
    with open(partial, "w") as f:
        f.write("".join(line for line in lines if is_report(line)))
    os.replace(partial, log)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
