#!/usr/bin/env bash
# Installs the Debian packages the build, the tests, the sanitizer job and the fuzz targets need,
# and only those that are missing (it says which). Idempotent; needs root (or sudo) only when
# something is missing. The CUDA toolkit is not a Debian package here: it must be present.
#   scripts/install-deps.sh
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ pkg-config
  # libraries
  nlohmann-json3-dev libcli11-dev libgtest-dev libcairo2-dev libgif-dev fonts-dejavu-core
  libhwy-dev libeigen3-dev
  # the CPU execution layer that runs the CUDA backend in the tests (fibers)
  libboost-context-dev
  # fuzz targets (libFuzzer) and the sanitizer job
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} Debian packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${missing[*]}"
