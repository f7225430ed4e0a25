#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang) in build-fuzz/ and runs each for SECONDS (default
# 60) from its seed corpus in fuzz/corpus/. New inputs go to build-fuzz/corpus/, findings to
# build-fuzz/findings/; the tree's seeds are never changed.
#   scripts/fuzz.sh            # about a minute per target (CI)
#   scripts/fuzz.sh 14400      # four hours per target
# Inputs are limited to 8 KB, and any single allocation above 64 MB is a finding: no small
# input may make the loader ask for more than the model size limit allows (model.hpp). The seeds
# include regression inputs (regression_*: small files that once asked for gigabytes); the model
# target also uses a dictionary of its keys and of sizes near the limits (fuzz/model.dict).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
cmake -S fuzz -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Release
cmake --build build-fuzz
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
for target in model_loader csv_reader; do
  seeds="fuzz/corpus/${target%%_*}"
  corpus="build-fuzz/corpus/$target"
  findings="build-fuzz/findings/$target"
  mkdir -p "$corpus" "$findings"
  echo "fuzz_$target: $seconds s from $seeds"
  dict=()
  [[ -f "fuzz/${target%%_*}.dict" ]] && dict=(-dict="fuzz/${target%%_*}.dict")
  log="build-fuzz/$target.log"
  status=0
  "build-fuzz/fuzz_$target" "$corpus" "$seeds" "${dict[@]}" -max_total_time="$seconds" -max_len=8192 \
    -malloc_limit_mb=64 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$findings/" >"$log" 2>&1 || status=$?
  grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$log" || true
  if ((status != 0)) || compgen -G "$findings/*" >/dev/null; then
    tail -n 40 "$log" >&2
    echo "fuzz_$target: FAILED (exit $status); inputs in $findings" >&2
    exit 1
  fi
  echo "fuzz_$target: no crashes"
done
