#!/usr/bin/env python3
"""The ptxas checker can fail: on a report of kernels with known problems (testdata/, made by
nvcc from fixture_kernels.cu) it flags a stack frame, spills, low occupancy from registers and
from shared memory, and a pattern that matches nothing; it passes a clean kernel; it refuses a
directory without reports. The compiler launcher that keeps the reports keeps all of ptxas's
lines and passes the compiler's other output through."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "testdata")


def check(hot_list, report_dir):
    run = subprocess.run([sys.executable, os.path.join(HERE, "check_hot_kernels.py"),
                          os.path.join(DATA, hot_list), report_dir],
                         capture_output=True, text=True)
    return run.returncode, run.stdout + run.stderr


def main():
    failures = []

    def expect(condition, what, output):
        if not condition:
            failures.append(f"{what}\n{output}")

    report = os.path.join(DATA, "report")
    status, out = check("hot_fail.txt", report)
    print(out)
    expect(status == 1, "hot_fail.txt must fail", out)
    rows = out.splitlines()
    expected = [
        ("clean_kernel ", "0+0 B", "ok"),
        ("clean_kernel ", "0+60000 B", "FAIL: occupancy 37.5% < 50% (shared)"),
        ("stack_kernel<64>", "", "FAIL: stack frame 256 B"),
        ("spill_kernel", "", "FAIL: stack frame 3984 B, spills 4016/7588 B"),
        ("register_heavy_kernel", "", "FAIL: occupancy 25.0% < 50% (registers)"),
        ("missing_kernel", "", "FAIL: no kernel matches the pattern"),
    ]
    for name, shared, verdict in expected:
        hit = [r for r in rows if r.startswith(name) and shared in r and r.endswith(verdict)]
        expect(len(hit) == 1, f"one row for {name.strip()} {shared} ending '{verdict}'", out)
    expect("6 hot kernel(s) checked against ptxas's report, 5 failing" in out, "summary", out)

    status, out = check("hot_pass.txt", report)
    print(out)
    expect(status == 0 and out.splitlines()[1].endswith("ok"), "hot_pass.txt must pass", out)

    with tempfile.TemporaryDirectory() as empty:
        status, out = check("hot_pass.txt", empty)
        expect(status != 0 and "no ptxas reports" in out, "an empty report directory fails", out)

    # A stand-in compiler that prints the fixture's report and a warning on standard error.
    fixture = os.path.join(report, "fixture_kernels.cu.o.txt")
    compiler = [sys.executable, "-c",
                f"import sys; sys.stderr.write(open({fixture!r}).read() + 'warning: kept\\n')"]
    with tempfile.TemporaryDirectory() as logs:
        run = subprocess.run([sys.executable, os.path.join(HERE, "record_ptxas.py"), logs]
                             + compiler + ["-o", "objects/fixture.o"],
                             capture_output=True, text=True)
        kept = open(os.path.join(logs, "fixture.o.txt")).read()
        expect(run.returncode == 0 and kept == open(fixture).read(),
               "the launcher keeps every line of ptxas's report", kept)
        expect(run.stderr == "warning: kept\n", "the launcher passes other output through",
               run.stderr)

    for f in failures:
        print("FAILED:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
