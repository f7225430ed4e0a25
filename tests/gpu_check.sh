#!/usr/bin/env bash
# Everything a GPU session should run, in one go: the test suites (GPU tests included), the
# GPU tests again under compute-sanitizer memcheck, and cucnf-bench. Run it on a machine with a
# GPU from the repository root, after building (for example for sm_90):
#   cmake -S . -B build-gpu -G Ninja -DCMAKE_CUDA_ARCHITECTURES=90 && cmake --build build-gpu
#   tests/gpu_check.sh build-gpu [out-dir]
# Logs go to out-dir (default: build-gpu/gpu_check).
set -uo pipefail
build=${1:-build-gpu}
out=${2:-$build/gpu_check}
mkdir -p "$out"
status=0
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.txt"

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
run racecheck compute-sanitizer --tool racecheck --error-exitcode 1 \
  "$build/tests/cucnf_api_tests" --gtest_filter='*GpuVsCpu.*D2K64H32N33*'
run bench "$build/bench/cucnf-bench" --json "$out/bench.json"
exit $status
