#!/usr/bin/env bash
# The GPU check of issue 10, part 5, for a machine with an NVIDIA GPU and a CUDA LibTorch (README,
# "Building against a CUDA LibTorch"). From the repository root:
#
#   scripts/gpu-check.sh [--torch-prefix DIR] [--weights FILE] [--images DIR] [--count N]
#                        [--batch B] [--rounds R] [--threads T] [--work DIR] [--dry-run]
#
# 1. configures and builds gensweep against the CUDA LibTorch into build-cuda/ (the LibTorch of
#    the installed PyTorch, or --torch-prefix: an unpacked libtorch archive), and stops if that
#    LibTorch has no CUDA;
# 2. runs the device tests on the GPU (torch_device_tests, features_tests);
# 3. runs jobs/demo.toml with device = "cuda" and prints its tables;
# 4. measures fid-inception on N images, GPU and CPU in the same run: extract_bench's forward-only
#    and end-to-end images/s (medians of R rounds), then `gensweep extract` on each device, timed
#    end to end, and the largest absolute difference between the CPU and GPU stores' features.
#
# --dry-run prints the commands instead of running them (the LibTorch checks still run and say
# what would fail). Needs cmake, ninja and the Debian packages of scripts/setup.sh; step 4 needs
# python3 with numpy and h5py (PYTHON=... to choose the interpreter).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
torch_prefix=""
weights="$repo/../shared/weights/surrogate-fid-inception.pth"
images="$repo/data/cifar10-846"
count=846
batch=50
rounds=3
threads="$(nproc)"
work="$repo/out/gpu-check"
dry_run=0

die() {
  echo "gpu-check: $*" >&2
  exit 1
}
usage() {
  sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

while (($#)); do
  case "$1" in
    --torch-prefix) torch_prefix="${2:?}"; shift 2 ;;
    --weights) weights="${2:?}"; shift 2 ;;
    --images) images="${2:?}"; shift 2 ;;
    --count) count="${2:?}"; shift 2 ;;
    --batch) batch="${2:?}"; shift 2 ;;
    --rounds) rounds="${2:?}"; shift 2 ;;
    --threads) threads="${2:?}"; shift 2 ;;
    --work) work="${2:?}"; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) usage 0 ;;
    *) echo "gpu-check: unknown option '$1'" >&2; usage 2 ;;
  esac
done

# Jobs written under $work name their paths absolutely.
[[ -e "$weights" ]] && weights="$(realpath "$weights")"
[[ -e "$images" ]] && images="$(realpath "$images")"

# Seconds since a `date +%s.%N` time (bc is not always installed).
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }

# Runs a command, or prints it under --dry-run.
run() {
  if ((dry_run)); then
    printf '+'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}
# A check that fails the real run but only warns under --dry-run, so the plan can be read on any
# machine.
fail_or_warn() {
  if ((dry_run)); then
    echo "gpu-check: (dry run) would stop here: $*" >&2
  else
    die "$*"
  fi
}

# ---- 1. the CUDA LibTorch -------------------------------------------------------------------
if [[ -z "$torch_prefix" ]]; then
  # The LibTorch inside the installed PyTorch: its CMake config, its CUDA version and its ABI.
  info="$("$python" -c 'import torch
print(torch.utils.cmake_prefix_path)
print(torch.version.cuda or "")
print(int(torch._C._GLIBCXX_USE_CXX11_ABI))
print(torch.__version__)' 2>/dev/null)" ||
    die "no PyTorch for '$python' (pip install torch, or pass --torch-prefix /path/to/libtorch)"
  {
    read -r torch_prefix
    read -r torch_cuda
    read -r torch_abi
    read -r torch_version
  } <<<"$info"
  echo "gpu-check: PyTorch $torch_version, CMake prefix $torch_prefix"
  [[ -n "$torch_cuda" ]] ||
    fail_or_warn "PyTorch $torch_version at $torch_prefix has no CUDA (torch.version.cuda is None): install a CUDA build of PyTorch, or pass --torch-prefix with a CUDA libtorch"
  [[ "$torch_abi" == 1 ]] ||
    fail_or_warn "PyTorch $torch_version uses the pre-C++11 ABI (torch._C._GLIBCXX_USE_CXX11_ABI is False); gensweep's Debian dependencies need the C++11 ABI: use a newer PyTorch or the cxx11-ABI libtorch archive (--torch-prefix)"
else
  [[ -d "$torch_prefix" ]] || die "--torch-prefix $torch_prefix: no such directory"
  torch_prefix="$(cd "$torch_prefix" && pwd)"
  # A CUDA LibTorch ships libtorch_cuda.so next to libtorch.so (archive: lib/; wheel: torch/lib/).
  if ! find "$torch_prefix" -maxdepth 4 -name 'libtorch_cuda.so' -print -quit | grep -q .; then
    fail_or_warn "LibTorch at $torch_prefix has no CUDA (no libtorch_cuda.so under it): pass the prefix of a CUDA libtorch"
  fi
fi

if command -v nvidia-smi >/dev/null; then
  nvidia-smi -L || fail_or_warn "nvidia-smi sees no GPU"
else
  fail_or_warn "no nvidia-smi: this machine has no NVIDIA driver"
fi

build="$repo/build-cuda"
run mkdir -p "$work"
if ((dry_run)); then
  run cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    "-DCMAKE_PREFIX_PATH=$torch_prefix"
else
  # The configure log's "LibTorch ... : CUDA x.y" line (cmake/GensweepDependencies.cmake) is the
  # proof of which LibTorch the build uses.
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    "-DCMAKE_PREFIX_PATH=$torch_prefix" >"$work/configure.log" ||
    die "configuring build-cuda/ failed (see $work/configure.log)"
  grep -E -- '^-- (LibTorch|Caffe2: CUDA)' "$work/configure.log" || true
  grep -q -- '^-- LibTorch .*: CUDA [0-9]' "$work/configure.log" ||
    die "build-cuda/ was configured against a LibTorch without CUDA (see $work/configure.log)"
fi
run cmake --build "$build" --target gensweep extract_bench torch_device_tests features_tests

# ---- 2. device tests on the GPU ---------------------------------------------------------------
run "$build/tests/features/torch_device_tests"
run "$build/tests/features/features_tests" --gtest_filter='Device.*'

# ---- 3. the demo on the GPU -------------------------------------------------------------------
# device = "cuda" is an error without a usable GPU, so a run that succeeds ran there.
demo="$work/demo-cuda.toml"
if ((dry_run)); then
  echo "+ (jobs/demo.toml with device = \"cuda\" and output = $work/demo-cuda) > $demo"
else
  # The demo's paths are relative to jobs/: make them absolute, since this copy lives elsewhere.
  sed -e 's|^device = "cpu"|device = "cuda"|' \
    -e "s|^output = \"../out/demo\"|output = \"$work/demo-cuda\"|" \
    -e "s|\"\\.\\./|\"$repo/|g" "$repo/jobs/demo.toml" >"$demo"
  grep -q '^device = "cuda"' "$demo" || die "could not set device = \"cuda\" in $demo"
  rm -rf "$work/demo-cuda"
fi
start=$(date +%s.%N)
run "$build/gensweep" run "$demo"
((dry_run)) || echo "gpu-check: demo on cuda: $(since "$start") s end to end"

# ---- 4. fid-inception, GPU against CPU --------------------------------------------------------
[[ -f "$weights" ]] || fail_or_warn "no weights file $weights (--weights pt_inception-2015-12-05-6726825d.pth)"
[[ -d "$images" ]] || fail_or_warn "no image folder $images"

for device in cuda cpu; do
  run "$build/bench/extract_bench" --images "$images" --backbone fid-inception --count "$count" \
    --batch "$batch" --rounds "$rounds" --threads "$threads" --device "$device" \
    --presets "$repo/configs" --set "weights = \"$weights\""
done

# A job extracting fid-inception features of the first N images on DEVICE. A job compares
# datasets, so the images are two halves, each the other's reference.
fid_job() {
  cat <<EOF
[job]
name = "gpu-check-fid-$1"
output = "$work/fid-$1"
presets = "$repo/configs"

[compute]
device = "$1"
threads = $threads
batch_size = $batch

[[datasets]]
id = "first"
source = "folder"
path = "$images"
limit = $((count / 2))

[[datasets]]
id = "second"
source = "folder"
path = "$images"
offset = $((count / 2))
limit = $((count - count / 2))

[[backbones]]
id = "inception"
preset = "fid-inception"
weights = "$weights"

[[comparisons]]
reference = "first"
evaluated = ["second"]
metrics = ["fd"]
EOF
}

declare -A seconds
for device in cuda cpu; do
  if ((dry_run)); then
    echo "+ (fid-inception job on $device, $count images) > $work/fid-$device.toml"
  else
    rm -rf "$work/fid-$device"
    fid_job "$device" >"$work/fid-$device.toml"
  fi
  start=$(date +%s.%N)
  run "$build/gensweep" extract "$work/fid-$device.toml"
  seconds[$device]=$(since "$start")
done
((dry_run)) && exit 0

for device in cuda cpu; do
  echo "gpu-check: gensweep extract, fid-inception on $device: $count images in ${seconds[$device]} s, $(awk -v n="$count" -v s="${seconds[$device]}" 'BEGIN { printf "%.1f", n / s }') images/s end to end"
done
"$python" - "$work/fid-cpu/stores" "$work/fid-cuda/stores" <<'EOF'
import sys

import h5py
import numpy as np

def features(stores):
    rows, valid = [], []
    for half in ("first", "second"):
        with h5py.File(f"{stores}/{half}/inception.h5", "r") as f:
            rows.append(f["features"][()])
            valid.append(f["valid"][()] == 1)
    return np.concatenate(rows).astype(np.float64), np.concatenate(valid)

cpu, cpu_valid = features(sys.argv[1])
gpu, gpu_valid = features(sys.argv[2])
valid = cpu_valid & gpu_valid
cpu, gpu = cpu[valid], gpu[valid]
diff = np.abs(cpu - gpu)
row_rel = np.linalg.norm(cpu - gpu, axis=1) / np.linalg.norm(cpu, axis=1)
print(f"gpu-check: CPU vs GPU fid-inception features, {cpu.shape[0]} images x {cpu.shape[1]}:")
print(f"  max abs difference {diff.max():.3g} (largest |feature| {np.abs(cpu).max():.3g})")
print(f"  max row-wise relative L2 difference {row_rel.max():.3g}")
print(f"  identical bits: {np.array_equal(cpu, gpu)}")
EOF
