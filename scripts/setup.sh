#!/usr/bin/env bash
# Installs what gensweep needs on Debian 12 (bookworm) and builds it. Idempotent and quiet when
# everything is already there. Usage: scripts/setup.sh [build-dir]   (default: build)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${1:-$here/build}"

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  openmpi-bin libopenmpi-dev libhdf5-openmpi-dev hdf5-tools
  libtorch-dev libeigen3-dev libopenblas-dev liblapacke-dev
  libtomlplusplus-dev libfmt-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libturbojpeg0-dev libspng-dev libpng-dev
  # used only by tests and benchmarks
  python3-numpy python3-scipy python3-h5py python3-jsonschema
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} missing packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Configure once; rebuilds are incremental (ccache makes fresh clones cheap too).
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S "$here" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
# LibTorch translation units need ~1.5 GB each: cap parallel jobs by memory as well as cores.
jobs=$(nproc)
mem_gb=$(awk '/MemAvailable/ {print int($2 / 1048576)}' /proc/meminfo)
(( mem_gb / 2 < jobs )) && jobs=$(( mem_gb / 2 > 0 ? mem_gb / 2 : 1 ))
cmake --build "$build_dir" -j "$jobs" | grep -Ev '^\[[0-9]+/[0-9]+\] ' || true
test -x "$build_dir/gensweep" || { echo "setup: build failed" >&2; exit 1; }
