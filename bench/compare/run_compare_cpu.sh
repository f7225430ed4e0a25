#!/usr/bin/env bash
# Side by side on one CPU machine, in one run: cucnf's CPU backend, torchdiffeq running the
# seed's code on the CPU, and diffrax (jax on the CPU, jit, exact trace) on the same work; then
# the medians and ratios (compare_cpu.py). A script for people, not a test.
#
# The peers need Python packages that nothing else needs (torch is large; jax's CPU build small):
#   python3 -m venv .venv-compare
#   .venv-compare/bin/pip install torch torchdiffeq jax diffrax equinox optax scikit-learn
#   bench/compare/run_compare_cpu.sh --python .venv-compare/bin/python
#
#   run_compare_cpu.sh [--build build] [--peers DIR] [--python python3] [--out DIR]
#                      [--torch-seconds 1200] [--diffrax-seconds 1200] [--peers-only | --cucnf-only]
#                      [--threads N]
#
# --peers: the folder with torchdiffeq_rings.py and diffrax_rings.py (default: ../shared/peers
# beside the checkout, else bench/compare/peers). The *-seconds options cap each peer's
# training (torchdiffeq needs about 13 min for the 1000 iterations on 2 quiet cores);
# --threads N: threads of every contender (cucnf's CUCNF_CPU_THREADS, torch's OMP/MKL threads,
# XLA's Eigen pool off for 1); default: each library's own choice (all cores). On a machine
# shared with other work, 1 keeps the peers' thread pools from stalling on busy cores.
# --peers-only reruns the peers into an --out that already holds cucnf's results; --cucnf-only
# reruns cucnf's part.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build"
peers=""
python=python3
out="$root/results/compare_cpu"
torch_seconds=1200
diffrax_seconds=1200
peers_only=0
cucnf_only=0
threads=""
while (($#)); do
  case $1 in
    --build) build=$2; shift 2 ;;
    --peers) peers=$2; shift 2 ;;
    --python) python=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --torch-seconds) torch_seconds=$2; shift 2 ;;
    --diffrax-seconds) diffrax_seconds=$2; shift 2 ;;
    --peers-only) peers_only=1; shift ;;
    --cucnf-only) cucnf_only=1; shift ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$peers" ]; then
  for candidate in "$root/../shared/peers" "$root/bench/compare/peers"; do
    [ -f "$candidate/torchdiffeq_rings.py" ] && peers=$candidate && break
  done
fi
[ -n "$peers" ] || { echo "no peer scripts found; pass --peers DIR" >&2; exit 2; }
"$python" -c "import torch, torchdiffeq, jax, diffrax, equinox, optax, sklearn" ||
  { echo "the peers' packages are missing: see the pip command at the top of $0" >&2; exit 2; }
mkdir -p "$out"
export PYTHONUNBUFFERED=1
export JAX_PLATFORMS=cpu CUDA_VISIBLE_DEVICES=""  # the peers on the CPU even where a GPU is
if [ -n "$threads" ]; then
  export CUCNF_CPU_THREADS=$threads OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads
  if [ "$threads" = 1 ]; then
    export XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
  fi
fi

{
  echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc --all) cores"
  echo "simd: $(grep -o -m1 'avx512f' /proc/cpuinfo || grep -o -m1 'avx2' /proc/cpuinfo || echo none)"
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "threads: ${threads:-the libraries defaults}"
  "$python" -c "import torch, torchdiffeq, jax, diffrax; print('torch', torch.__version__, \
'torchdiffeq', torchdiffeq.__version__, 'jax', jax.__version__, 'diffrax', diffrax.__version__)"
} | tee "$out/machine.txt"

if ((!peers_only)); then
echo "== cucnf: the demo's 1000-iteration training (fehlberg2), evaluation and animation"
/usr/bin/time -f "%e" -o "$out/cucnf_rings.wall" "$build/apps/cucnf" rings --device cpu \
  --out "$out/cucnf_rings" 2>&1 | tee "$out/cucnf_rings.log"
echo "== cucnf: the same training with dopri5 (diffrax's method)"
"$build/apps/cucnf" rings --device cpu --method dopri5 --frames 2 --grid 20 \
  --out "$out/cucnf_rings_dopri5" 2>&1 | tee "$out/cucnf_rings_dopri5.log"
# "Late in training, same method": each method's iteration at the model the demo trained with it.
for method in fehlberg2 dopri5; do
  trained="$out/cucnf_rings/model.json"
  [ "$method" = dopri5 ] && trained="$out/cucnf_rings_dopri5/model.json"
  # The iterations over 51 repeats (a millisecond each: 15 would time a 20 ms window, which a
  # noisy neighbour on a shared machine can fill), log p over the default 15.
  echo "== cucnf-bench: training iterations ($method, at $trained)"
  "$build/bench/cucnf-bench" --device cpu --train-method "$method" --model "$trained" \
    --skip-logp --skip-kernel --repeats 51 --json "$out/cucnf_bench_$method.json" |
    tee "$out/cucnf_bench_$method.txt"
done
echo "== cucnf-bench: log p"
"$build/bench/cucnf-bench" --device cpu --skip-train --skip-kernel --sizes 10000,100000 \
  --model "$out/cucnf_rings/model.json" --json "$out/cucnf_bench_logp.json" |
  tee "$out/cucnf_bench_logp.txt"
fi

if ((!cucnf_only)); then
echo "== torchdiffeq (the seed's code, CPU), fehlberg2, up to $torch_seconds s"
# log p of 1e4 points only: the seed's code keeps every evaluation's autograd graph, and at 1e5
# points it grew past 20 GB on the second repeat (killed for memory on a 23 GB machine).
"$python" "$peers/torchdiffeq_rings.py" --method fehlberg2 --seconds "$torch_seconds" \
  --eval_sizes 10000 --out "$out" 2>&1 | tee "$out/torchdiffeq.log" || echo "torchdiffeq failed"
echo "== diffrax (jax CPU, jit), dopri5, backsolve adjoint, up to $diffrax_seconds s"
"$python" "$peers/diffrax_rings.py" --adjoint backsolve --solver dopri5 \
  --seconds "$diffrax_seconds" --eval_sizes 10000,100000 --out "$out" 2>&1 |
  tee "$out/diffrax.log" || echo "diffrax failed"
fi

"$python" "$root/bench/compare/compare_cpu.py" "$out" | tee "$out/summary.txt"
