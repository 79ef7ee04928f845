#!/bin/bash
# No-op reruns: `gensweep run` of a complete job over IMAGES small image files (default 100,000),
# with this build against a BASELINE build (another gensweep binary, e.g. one built before the
# input manifest), alternating one rerun of each per round so both see the same machine load.
# Reports the median wall and CPU time of the reruns and how many image files each rerun opened
# (strace, on one extra rerun of each, so tracing does not slow the timed ones).
#
#   bench/run_rerun_bench.sh BUILD_DIR [BASELINE_BINARY]   # ROUNDS=5 IMAGES=100000 KEEP=dir
#
# The images are the 846 CIFAR-10 PNGs of data/cifar10-846 copied under IMAGES distinct names
# (about 2.2 KB each), aged by a minute; the job compares the first half with the second half in
# raw pixels at 8 x 8 (fd).
set -euo pipefail

build=$(realpath "${1:?usage: $0 BUILD_DIR [BASELINE_BINARY]}")
baseline=${2:-}
rounds=${ROUNDS:-5}
images=${IMAGES:-100000}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${KEEP:-$(mktemp -d /tmp/gensweep-rerun-bench.XXXXXX)}
mkdir -p "$work"
command -v strace >/dev/null || { echo "needs strace (apt-get install strace)" >&2; exit 2; }
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

if [ ! -f "$work/images/.complete" ]; then
  echo "making $images images in $work/images ..."
  rm -rf "$work/images"
  mkdir -p "$work/images"
  /usr/bin/python3 - "$repo/data/cifar10-846" "$work/images" "$images" <<'PY'
import os, shutil, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
names = sorted(f for f in os.listdir(src) if f.endswith(".png"))
for i in range(n):
    shutil.copyfile(os.path.join(src, names[i % len(names)]), os.path.join(dst, "%06d.png" % i))
PY
  find "$work/images" -name '*.png' -print0 | xargs -0 touch -d '1 minute ago'
  touch "$work/images/.complete"
fi
half=$((images / 2))

job() {  # job <output>
  cat <<EOF
[job]
name = "rerun-bench"
output = "$1"
presets = "$repo/configs"

[compute]
threads = 0

[[datasets]]
id = "first"
source = "folder"
path = "$work/images"
limit = $half

[[datasets]]
id = "second"
source = "folder"
path = "$work/images"
offset = $half

[[backbones]]
id = "pix"
kind = "pixels"
size = 8

[[comparisons]]
reference = "first"
evaluated = ["second"]
metrics = ["fd"]
EOF
}

declare -A binaries=([gensweep]="$build/gensweep")
[ -n "$baseline" ] && binaries[baseline]=$(realpath "$baseline")
for name in "${!binaries[@]}"; do
  job "$work/out-$name" >"$work/job-$name.toml"
  if [ ! -f "$work/out-$name/results.json" ]; then
    echo "$name: first run (extracts every store) ..."
    /usr/bin/time -f "$name first run: %e s wall, %U s user, %S s system" \
      "${binaries[$name]}" run "$work/job-$name.toml" --quiet >/dev/null 2>"$work/first-$name.log" ||
      { cat "$work/first-$name.log"; exit 1; }
    tail -1 "$work/first-$name.log"
  fi
done

# Files under the image folder opened by one rerun (directories excluded: listing is expected).
opened() {  # opened <name>
  strace -f -qq -e trace=open,openat -o "$work/strace-$1.log" \
    "${binaries[$1]}" run "$work/job-$1.toml" --quiet >/dev/null 2>&1
  grep -F "$work/images/" "$work/strace-$1.log" | grep -v O_DIRECTORY | grep -c '\.png"' || true
}

declare -A wall cpu
for ((r = 1; r <= rounds; r++)); do
  for name in $(printf '%s\n' "${!binaries[@]}" | sort); do
    /usr/bin/time -f "%e %U %S" -o "$work/time" \
      "${binaries[$name]}" run "$work/job-$name.toml" --quiet >/dev/null 2>"$work/rerun-$name.log"
    read -r w u s <"$work/time"
    wall[$name]+="$w "
    cpu[$name]+="$(echo "$u + $s" | bc) "
    echo "round $r $name: $w s wall, $u s user, $s s system"
  done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo
echo "no-op rerun of a complete job over $images images, median of $rounds (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '| %-9s | %8s | %8s | %18s |\n' binary "wall s" "CPU s" "image files opened"
printf '| %-9s | %8s | %8s | %18s |\n' --- ---: ---: ---:
for name in $(printf '%s\n' "${!binaries[@]}" | sort); do
  printf '| %-9s | %8s | %8s | %18s |\n' "$name" "$(echo "${wall[$name]}" | median)" \
    "$(echo "${cpu[$name]}" | median)" "$(opened "$name")"
done
[ -n "${KEEP:-}" ] || rm -rf "$work"
