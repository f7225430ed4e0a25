#!/usr/bin/env bash
# The CPU test suite under AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer
# included), in build-asan/. Any report fails the run. GPU tests skip themselves without a GPU;
# the install test (a second build) and the benchmark are left out.
#   scripts/sanitize.sh            # configure, build, test
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/cuda/bin:$PATH"
export CUDAARCHS="${CUDAARCHS:-90}"

# -O1 -g1: quick to build, with line numbers in reports. "Sanitize" is a build type with no
# flags of its own.
flags="-O1 -g1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Sanitize -DCUCNF_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined"

# protect_shadow_gap=0: the CUDA runtime maps memory where ASan would otherwise reserve it.
# allocator_may_return_null=1: the tests ask for impossible allocations on purpose and expect
# std::bad_alloc. No leak suppressions: the plots release cairo's and fontconfig's font caches
# at exit (apps/cucnf/plot/font_cache.cpp).
export ASAN_OPTIONS="protect_shadow_gap=0:allocator_may_return_null=1:detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cmake --build build-asan
ctest --test-dir build-asan --output-on-failure -E 'install_and_build_host_example|exported_symbols'
