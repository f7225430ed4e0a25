#!/usr/bin/env bash
# Side by side on one GPU machine: cucnf, torchdiffeq (the seed) and diffrax on the same work,
# then the ratios. Needs a built cucnf (build dir), python3 with torch, torchdiffeq, jax,
# diffrax, optax and scikit-learn.
#
#   bench/compare/run_compare.sh [--build build] [--peers DIR] [--seconds 120] [--out DIR]
#
# --peers: the folder with torchdiffeq_rings.py and diffrax_rings.py (default: ../shared/peers
# beside the checkout, else bench/compare/peers). --seconds caps each peer's training time.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build"
peers=""
seconds=120
out="$root/results/compare"
while (($#)); do
  case $1 in
    --build) build=$2; shift 2 ;;
    --peers) peers=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$peers" ]; then
  for candidate in "$root/../shared/peers" "$root/bench/compare/peers"; do
    [ -f "$candidate/torchdiffeq_rings.py" ] && peers=$candidate && break
  done
fi
[ -n "$peers" ] || { echo "no peer scripts found; pass --peers DIR" >&2; exit 2; }
mkdir -p "$out"
export PYTHONUNBUFFERED=1

echo "== cucnf: benchmarks"
"$build/bench/cucnf-bench" --json "$out/cucnf_bench.json" | tee "$out/cucnf_bench.txt"
echo "== cucnf: the full rings training (seed settings)"
"$build/apps/cucnf" rings --out "$out/cucnf_rings" 2>&1 | tee "$out/cucnf_rings.log"
"$build/bench/cucnf-bench" --skip-kernel --model "$out/cucnf_rings/model.json" \
  --sizes 100000,1000000 --json "$out/cucnf_bench_trained.json" | tee "$out/cucnf_bench_trained.txt"

echo "== torchdiffeq (the seed's code), fehlberg2, up to $seconds s"
python3 "$peers/torchdiffeq_rings.py" --method fehlberg2 --seconds "$seconds" --out "$out" \
  2>&1 | tee "$out/torchdiffeq.log"
echo "== diffrax, backsolve adjoint, up to $seconds s"
python3 "$peers/diffrax_rings.py" --adjoint backsolve --seconds "$seconds" --out "$out" \
  2>&1 | tee "$out/diffrax.log"

python3 "$root/bench/compare/compare.py" "$out"
