#!/usr/bin/env bash
# The command-line program on the emulated device: `cucnf logp`, `grad` (both adjoints) and
# `sample` with --device cuda agree with --device cpu (float64, the reference) on the PyTorch
# reference model: float64 to 1e-9 relative, float32 to the GPU tests' tolerances.
# Usage: test_cli_emulated.sh <cucnf> <model>
set -euo pipefail
cli=$1
model=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$model" "$work/x.csv" <<'PY'
import json, sys
x = json.load(open(sys.argv[1]))["x"]
open(sys.argv[2], "w").write("".join(",".join(repr(v) for v in row) + "\n" for row in x))
PY
"$cli" logp --model "$model" --input "$work/x.csv" --device cuda --precision float64 \
  --output "$work/logp_f64.csv" 2>"$work/logp.err"
grep -q "emulated" "$work/logp.err" || { echo "device not described as emulated:"; cat "$work/logp.err"; exit 1; }
run() {  # name, then the command's arguments for cpu / cuda float64 / cuda float32
  local name=$1
  shift
  "$cli" "$@" --device cpu --precision float64 --output "$work/${name}_cpu" 2>/dev/null
  "$cli" "$@" --device cuda --precision float64 --output "$work/${name}_f64" 2>/dev/null
  "$cli" "$@" --device cuda --precision float32 --output "$work/${name}_f32" 2>/dev/null
}
run logp logp --model "$model" --input "$work/x.csv"
run grad_c grad --model "$model" --input "$work/x.csv" --adjoint continuous
run grad_d grad --model "$model" --input "$work/x.csv" --adjoint discrete
run sample sample --model "$model" -n 40 --seed 3
python3 - "$work" <<'PY'
import csv, json, math, sys
work = sys.argv[1]
def table(path):
    out = []
    for row in csv.reader(open(path)):
        try:
            out.append([float(v) for v in row])
        except ValueError:
            pass  # the header
    return [v for row in out for v in row]
def numbers(node):
    if isinstance(node, dict):
        return [v for k in sorted(node) for v in numbers(node[k])]
    if isinstance(node, list):
        return [v for item in node for v in numbers(item)]
    return [float(node)] if isinstance(node, (int, float)) and not isinstance(node, bool) else []
def grad(path):
    d = json.load(open(path))
    return numbers(d["grad"]) + [d["loss"]]
def max_rel(a, b):
    assert len(a) == len(b) and a, (len(a), len(b))
    return max(abs(x - y) / max(abs(y), 1e-6) for x, y in zip(a, b))
def rel_l2(a, b):
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)) / sum(y * y for y in b))
failures = []
for name, read, f64_tol, f32_check, f32_tol in [
        ("logp", table, 1e-9, max_rel, 1e-4),
        ("sample", table, 1e-9, max_rel, 1e-3),
        ("grad_c", grad, 1e-9, rel_l2, 2e-2),
        ("grad_d", grad, 1e-9, rel_l2, 2e-2)]:
    cpu = read(f"{work}/{name}_cpu")
    e64 = max_rel(read(f"{work}/{name}_f64"), cpu)
    e32 = f32_check(read(f"{work}/{name}_f32"), cpu)
    print(f"{name}: float64 {e64:.2e} (limit {f64_tol:g}), float32 {e32:.2e} (limit {f32_tol:g})")
    if not (e64 <= f64_tol and e32 <= f32_tol):
        failures.append(name)
sys.exit(1 if failures else 0)
PY
echo "emulated CLI test passed"
