#!/usr/bin/env bash
# Everything a GPU session should run, in one command from any directory:
#   tests/gpu_check.sh [--build-only] [--jobs N] [BUILD_DIR [OUT_DIR]]
# 1. configures and builds the CUDA build in BUILD_DIR (default build-gpu; CUDA architectures from
#    CUDAARCHS or CMAKE_CUDA_ARCHITECTURES when set, else the GPUs present, else sm_90), only the
#    targets it runs;
# 2. without a GPU (nvidia-smi missing, failing or listing none), or with --build-only, says so
#    and exits 0 after the build;
# 3. with one: the test suites (GPU tests included), the GPU tests under compute-sanitizer
#    memcheck and racecheck, the rings demo on the GPU, cucnf-bench (with the demo's trained model
#    for the late-training rows), and prints the README's GPU results table (bench/gpu_table.py).
# Logs, bench.json, the demo's results and results_table.md go to OUT_DIR (default
# BUILD_DIR/gpu_check). Exit status: 0 when everything that ran passed, 1 otherwise.
set -uo pipefail

build_only=0
jobs=$(nproc 2>/dev/null || echo 2)
positional=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-only) build_only=1 ;;
    --jobs) jobs=$2; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "gpu_check.sh: unknown option $1" >&2; exit 2 ;;
    *) positional+=("$1") ;;
  esac
  shift
done
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${positional[0]:-build-gpu}")
out=$(realpath -m "${positional[1]:-$build/gpu_check}")
cd "$root"

# The toolkit: nvcc on the PATH, else the default install.
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
targets=(cucnf_unit_tests cucnf_gpu_unit_tests cucnf_api_tests cucnf_cli_tests cucnf_plot_tests
         cucnf_cli cucnf_bench)

echo "== configure $build"
if ! cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
     -DCUCNF_EMULATE_GPU=OFF; then
  echo "gpu_check.sh: configuring failed" >&2
  exit 1
fi
echo "== build (${targets[*]}, $jobs jobs)"
if ! cmake --build "$build" --target "${targets[@]}" -j "$jobs"; then
  echo "gpu_check.sh: the build failed" >&2
  exit 1
fi
echo "   built: $(grep -m1 '^CMAKE_CUDA_ARCHITECTURES:' "$build/CMakeCache.txt" || true)"

if [ "$build_only" = 1 ]; then
  echo "gpu_check.sh: --build-only: built, nothing run."
  exit 0
fi
if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "gpu_check.sh: NO GPU: nvidia-smi is not installed. The build above succeeded; no GPU" \
       "test, sanitizer or benchmark ran." >&2
  exit 0
fi
if ! gpus=$(nvidia-smi -L 2>&1) || ! grep -q '^GPU ' <<<"$gpus"; then
  echo "gpu_check.sh: NO GPU: nvidia-smi -L failed or listed none (${gpus:-no output})." \
       "The build above succeeded; no GPU test, sanitizer or benchmark ran." >&2
  exit 0
fi

mkdir -p "$out"
status=0
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv | tee "$out/gpu.txt"

run() {  # name, command...
  local name=$1; shift
  echo "== $name"
  if "$@" >"$out/$name.log" 2>&1; then echo "   ok"; else echo "   FAILED (see $out/$name.log)"; status=1; fi
  tail -n 3 "$out/$name.log"
}

run unit_tests "$build/tests/cucnf_unit_tests"
run gpu_unit_tests "$build/tests/cucnf_gpu_unit_tests"
run api_tests "$build/tests/cucnf_api_tests"
run cli_tests "$build/tests/cucnf_cli_tests"
run plot_tests "$build/tests/cucnf_plot_tests"
# memcheck on the GPU tests (the large batch excluded: memcheck is ~100x slower); the
# parameterised ones are named AwkwardSizes/GpuVsCpu.*, hence the leading '*'.
run memcheck compute-sanitizer --tool memcheck --error-exitcode 1 \
  "$build/tests/cucnf_api_tests" --gtest_filter='*Gpu*:-*N100003*'
run memcheck_kernels compute-sanitizer --tool memcheck --error-exitcode 1 \
  "$build/tests/cucnf_gpu_unit_tests"
# racecheck (shared-memory hazards): the kernels' own tests, and one backend shape end to end.
run racecheck_kernels compute-sanitizer --tool racecheck --error-exitcode 1 \
  "$build/tests/cucnf_gpu_unit_tests"
run racecheck compute-sanitizer --tool racecheck --error-exitcode 1 \
  "$build/tests/cucnf_api_tests" --gtest_filter='*GpuVsCpu.*D2K64H32N33*'
# The demo on the GPU (its trained model feeds the late-training benchmark rows).
run rings "$build/apps/cucnf" rings --device cuda --out "$out/rings"
model=()
metrics=()
if [ -f "$out/rings/model.json" ]; then model=(--model "$out/rings/model.json"); fi
if [ -f "$out/rings/metrics.json" ]; then metrics=(--metrics "$out/rings/metrics.json"); fi
run bench "$build/bench/cucnf-bench" --json "$out/bench.json" "${model[@]}"

echo "== results table (README, \"Benchmarks\")"
if [ ! -f "$out/bench.json" ]; then
  echo "   no bench.json: cucnf-bench failed"
  status=1
elif ! command -v python3 >/dev/null 2>&1; then
  echo "   python3 is missing: run bench/gpu_table.py $out/bench.json on a machine with it"
  status=1
elif python3 bench/gpu_table.py "$out/bench.json" "${metrics[@]}" \
     --command "tests/gpu_check.sh" >"$out/results_table.md"; then
  cat "$out/results_table.md"
else
  echo "   FAILED: bench/gpu_table.py"
  status=1
fi
exit $status
