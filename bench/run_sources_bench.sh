#!/bin/bash
# Image sources: `gensweep extract` of the same 846 CIFAR-10 images (data/cifar10-846) read from a
# folder, a stored zip, a deflated zip, a WebDataset tar and an ADM .npz batch, with one backbone,
# alternating one run of each source per round so all see the same machine load. Reports the
# median wall time and images/s of each, and its ratio to the folder's (> 1: faster).
#
#   bench/run_sources_bench.sh BUILD_DIR   # ROUNDS=3 BACKBONE=pixels THREADS=2 REPEAT=20 KEEP=dir
#
# 846 images of 32x32 take a fraction of a second to extract, less than the noise of process
# start-up, so each container holds the 846 images REPEAT times over (distinct names, the same
# bytes): 16,920 images by default.
#
# Each run extracts into a fresh output directory, so it includes listing the source, hashing
# every image for the dataset fingerprint (no input manifest: a folder's first run too) and
# decoding. Process start-up (LibTorch, MPI, HDF5: seconds, the same for every source) is measured
# by a run of the same job that extracts two single-image windows instead, and subtracted:
# images/s = (count - 1) / (full run - start-up run), both medians (the full run extracts count + 1). BACKBONE=pixels (raw 32x32 pixels, the default) makes reading and decoding the whole
# cost; BACKBONE=random-cnn adds a small network. The npz holds PIL's convert('RGB') pixels, as
# guided-diffusion writes them: no PNG decoding at all.
set -euo pipefail

build=$(realpath "${1:?usage: $0 BUILD_DIR}")
rounds=${ROUNDS:-3}
backbone=${BACKBONE:-pixels}
threads=${THREADS:-2}
repeat=${REPEAT:-20}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${KEEP:-$(mktemp -d /tmp/gensweep-sources-bench.XXXXXX)}
mkdir -p "$work"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

if [ "$(cat "$work/.complete" 2>/dev/null)" != "$repeat" ]; then
  rm -rf "$work/folder"
  /usr/bin/python3 - "$repo/data/cifar10-846" "$work" "$repeat" <<'PY'
import os, shutil, sys, tarfile, zipfile
import numpy as np
from PIL import Image
src, dst, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
names = sorted(f for f in os.listdir(src) if f.endswith(".png")) * repeat
os.makedirs(f"{dst}/folder", exist_ok=True)
for i, n in enumerate(names):
    shutil.copyfile(f"{src}/{n}", f"{dst}/folder/{i:06d}.png")
for method, name in ((zipfile.ZIP_STORED, "stored.zip"), (zipfile.ZIP_DEFLATED, "deflated.zip")):
    with zipfile.ZipFile(f"{dst}/{name}", "w", method) as z:
        for i, n in enumerate(names):
            z.write(f"{src}/{n}", f"{i // 1000:05d}/img{i:08d}.png")
with tarfile.open(f"{dst}/shard-000000.tar", "w") as t:
    for i, n in enumerate(names):
        t.add(f"{src}/{n}", f"s/{i:06d}.png")
x = np.stack([np.array(Image.open(f"{src}/{n}").convert("RGB")) for n in names])
np.savez(f"{dst}/samples.npz", x, np.arange(len(names)) % 10)
PY
  echo "$repeat" >"$work/.complete"
fi
count=$((846 * repeat))

if [ "$backbone" = pixels ]; then
  backbone_lines=$'kind = "pixels"\nsize = 32'
else
  backbone_lines=$'kind = "random-cnn"\ndim = 512\ninput_size = 32\nseed = 1'
fi

declare -A source_lines=(
  [folder]="source = \"folder\"
path = \"$work/folder\""
  [zip-stored]="source = \"zip\"
path = \"$work/stored.zip\""
  [zip-deflated]="source = \"zip\"
path = \"$work/deflated.zip\""
  [tar]="source = \"tar\"
shards = [\"$work/shard-000000.tar\"]"
  [npz]="source = \"npz\"
files = [\"$work/samples.npz\"]"
)
order=(folder zip-stored zip-deflated tar npz)

for s in "${order[@]}"; do
  for kind in full startup; do
    reference=images
    [ $kind = startup ] && reference=second
    cat >"$work/$s-$kind.toml" <<EOF
[job]
name = "sources-bench"
output = "$work/out"

[compute]
threads = $threads

[[datasets]]
id = "images"
${source_lines[$s]}

[[datasets]]
id = "window"
${source_lines[$s]}
limit = 1

[[datasets]]
id = "second"
${source_lines[$s]}
offset = 1
limit = 1

[[backbones]]
id = "b"
$backbone_lines

[[comparisons]]
reference = "$reference"
evaluated = ["window"]
metrics = ["fd"]
EOF
  done
done

declare -A times
for ((r = 1; r <= rounds; r++)); do
  for s in "${order[@]}"; do
    for kind in full startup; do
      rm -rf "$work/out"
      start=$(date +%s.%N)
      "$build/gensweep" extract "$work/$s-$kind.toml" --quiet >/dev/null 2>"$work/$s.log" ||
        { cat "$work/$s.log" >&2; exit 1; }
      end=$(date +%s.%N)
      times[$s-$kind]+="$(echo "$end - $start" | bc) "
    done
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
extraction() {  # median full run minus median one-image run, seconds
  echo "$(echo "${times[$1-full]}" | median) - $(echo "${times[$1-startup]}" | median)" | bc -l
}
folder_s=$(extraction folder)
printf "%-13s %8s %9s %9s %10s   (%d images, backbone %s, %d threads, median of %d; load %s)\n" \
  source run_s startup_s images/s vs_folder "$count" "$backbone" "$threads" "$rounds" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
for s in "${order[@]}"; do
  e=$(extraction "$s")
  printf "%-13s %8.3f %9.3f %9.0f %10.2f\n" "$s" "$(echo "${times[$s-full]}" | median)" \
    "$(echo "${times[$s-startup]}" | median)" "$(echo "($count - 1) / $e" | bc -l)" \
    "$(echo "$folder_s / $e" | bc -l)"
done
[ -n "${KEEP:-}" ] || rm -rf "$work"
