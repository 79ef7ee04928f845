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
  libturbojpeg0-dev libspng-dev libpng-dev libarchive-dev libzip-dev zlib1g-dev
  # OpenCV's imgproc (brings libopencv-core-dev): the reference's own OpenCV calls in spatter's
  # water mode (src/io/corruptions/spatter_water.cpp)
  libopencv-imgproc-dev
  # figures and contact sheets: cairo (PDF, SVG, PNG from one drawing code) and the labels' font
  libcairo2-dev fonts-dejavu-core
  # used only by tests and benchmarks (python3-torch, -torchvision and -pil: the PyTorch baseline
  # of bench/run_extract_python_bench.sh)
  python3-numpy python3-scipy python3-h5py python3-jsonschema
  python3-torch python3-torchvision python3-pil
  # pdflatex and booktabs: the test that compiles results.tex
  texlive-latex-base texlive-latex-recommended
  # headless Chromium: the test that opens report.html, dumps its DOM and takes a screenshot
  chromium
  # a private single-node Slurm cluster for the slurm tests (scripts/slurm-local.sh); it runs its
  # own munged and Slurm daemons, never the system services these packages install
  slurm-wlm slurmctld slurmd slurm-client munge
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
  # The munge, slurmctld and slurmd packages start their system services on installation where
  # an init system runs. Nothing here needs them (slurm-local.sh starts private daemons), so keep
  # them from starting, the Debian way: a policy-rc.d that says "no" (101), only while installing
  # and only where there is none already (container images usually ship one).
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    trap '"${sudo_cmd[@]}" rm -f "$policy"' EXIT
    printf '#!/bin/sh\n# scripts/setup.sh: no service starts while it installs packages\nexit 101\n' |
      "${sudo_cmd[@]}" tee "$policy" >/dev/null
    "${sudo_cmd[@]}" chmod 0755 "$policy"
  fi
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ -e "$policy" ] && grep -q '^# scripts/setup.sh' "$policy"; then
    "${sudo_cmd[@]}" rm -f "$policy"
    trap - EXIT
  fi
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
