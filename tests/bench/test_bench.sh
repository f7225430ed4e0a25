#!/usr/bin/env bash
# cucnf-bench without a GPU refuses with one clear line and exit status 2; with --device cpu
# it runs and writes its JSON. Usage: test_bench.sh <cucnf-bench>
set -euo pipefail
bench=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! (command -v nvidia-smi >/dev/null && nvidia-smi >/dev/null 2>&1); then
  set +e
  # SIMT_DEVICE_COUNT=0: the emulated device (CUCNF_EMULATE_GPU builds) is absent too.
  SIMT_DEVICE_COUNT=0 "$bench" >"$work/out" 2>&1
  status=$?
  set -e
  [ "$status" -eq 2 ] || { echo "expected exit status 2, got $status"; cat "$work/out"; exit 1; }
  [ "$(wc -l <"$work/out")" -eq 1 ] || { echo "expected one line:"; cat "$work/out"; exit 1; }
  grep -q "no CUDA device found" "$work/out"
fi
"$bench" --device cpu --skip-train --sizes 200 --warmup 0 --repeats 2 --json "$work/b.json" \
  >"$work/table" 2>/dev/null
grep -q "log p of 200 points" "$work/table"
python3 - "$work/b.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["results"][0]
assert r["points"] == 200 and r["median_ms"] > 0 and r["nfe_forward"] > 0, r
PY
echo "bench test passed"
