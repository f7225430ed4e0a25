#!/usr/bin/env bash
# Installs the build into a temporary prefix, builds examples/host against it with
# find_package(cucnf), runs it (on the CPU where there is no GPU), and builds a program with the
# pkg-config file. Usage: test_install.sh <build-dir> <source-dir>
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/include/cucnf/cucnf.hpp"
test -f "$work/prefix/include/cucnf/version.hpp"
test -x "$work/prefix/bin/cucnf"
ls "$work"/prefix/lib*/libcucnf.so* >/dev/null
ls "$work"/prefix/lib*/cmake/cucnf/cucnfConfigVersion.cmake >/dev/null

# find_package(cucnf CONFIG), a CXX-only project with no CUDA toolkit in sight: nvcc is not on
# its PATH and CMake may not find a CUDA toolkit (the package must not ask for one).
no_cuda_path=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v cuda | paste -sd: -)
PATH="$no_cuda_path" cmake -S "$source/examples/host" -B "$work/example" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_DISABLE_FIND_PACKAGE_CUDAToolkit=ON >/dev/null
PATH="$no_cuda_path" cmake --build "$work/example" >/dev/null
device=cpu
if command -v nvidia-smi >/dev/null && nvidia-smi >/dev/null 2>&1; then device=auto; fi
"$work/example/host_example" "$source/tests/data/torch_rings_d2_k64.json" --device "$device" \
  | tee "$work/example.log"
grep -q "log p(0.5, -0.25)" "$work/example.log"
grep -q "device arrays: built without the CUDA toolkit, skipped" "$work/example.log"
grep -q "iteration 3: loss" "$work/example.log"

# Where the CUDA toolkit is installed, the example's device-array part (which allocates its
# arrays with the CUDA runtime) is built too, and runs on the GPU or says there is none.
if command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ]; then
  cmake -S "$source/examples/host" -B "$work/example-cuda" -DCMAKE_PREFIX_PATH="$work/prefix" \
    -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$work/example-cuda" >/dev/null
  "$work/example-cuda/host_example" "$source/tests/data/torch_rings_d2_k64.json" --device "$device" \
    | tee "$work/example-cuda.log"
  grep -q -E "device arrays: (log p\(0.5, -0.25\)|no CUDA device, skipped)" "$work/example-cuda.log"
fi

# The installed program runs from the prefix.
"$work/prefix/bin/cucnf" --version

# pkg-config: compile and run against the installed library.
export PKG_CONFIG_PATH=$(dirname "$(ls "$work"/prefix/lib*/pkgconfig/cucnf.pc)")
cat > "$work/pc.cpp" <<'CPP'
#include <cucnf/cucnf.hpp>
#include <cstdio>
int main() { std::printf("%s\n", cucnf::version()); return cucnf::ModelShape{}.parameter_count() == 15904 ? 0 : 1; }
CPP
c++ -std=c++17 "$work/pc.cpp" -o "$work/pc" $(pkg-config --cflags --libs cucnf) \
  -Wl,-rpath,"$(pkg-config --variable=libdir cucnf)"
"$work/pc"
echo "install test passed"
