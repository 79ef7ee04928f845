#!/bin/bash
# FID Inception extraction on the CPU, end to end from image files: `gensweep extract` against the
# same network run by PyTorch eager from Python as users run it (bench/extract_python_baseline.py:
# Debian's python3-torch and python3-torchvision, PIL decoding), on the same images with the same
# batch size and thread count, alternating one run of each variant per round so all see the same
# machine load. Reports wall, user and system time and peak RSS of each whole process (medians).
#
#   bench/run_extract_python_bench.sh BUILD_DIR
#     ROUNDS=3 COUNT=200 BATCH=50 THREADS=2 IMAGES=dir WEIGHTS=file KEEP=dir to change
#     VARIANTS="gensweep python python-malloc" (default) picks and orders the variants; also
#       gensweep-fast       the same job with compute.thread_layout = "fast"
#       gensweep-jemalloc   gensweep with Debian's jemalloc preloaded (libjemalloc2)
#       gensweep-mimalloc   gensweep with Debian's mimalloc preloaded (libmimalloc2.0)
#       before              BEFORE=path/to/an/older/gensweep, the same job
#       before-malloc       the same with gensweep's malloc settings given by environment
#
# Variants:
#   gensweep        `gensweep extract JOB` as shipped: nothing set in the environment
#   python          the Python baseline in the default environment
#   python-malloc   the Python baseline given, through glibc's environment variables, the malloc
#                   settings gensweep makes at start (core/allocator.cpp)
set -euo pipefail

build=$(realpath "${1:?usage: $0 BUILD_DIR}")
rounds=${ROUNDS:-3}
count=${COUNT:-200}
batch=${BATCH:-50}
threads=${THREADS:-2}
repo=$(cd "$(dirname "$0")/.." && pwd)
images=${IMAGES:-$repo/../shared/data/cifar10-test-846}
weights=${WEIGHTS:-$repo/../shared/weights/surrogate-fid-inception.pth}
variants=(${VARIANTS:-gensweep python python-malloc})
work=${KEEP:-$(mktemp -d /tmp/gensweep-extract-python-bench.XXXXXX)}
mkdir -p "$work"
[ -f "$weights" ] || { echo "no weights file $weights (set WEIGHTS)" >&2; exit 2; }
/usr/bin/python3 -c "import torch, torchvision, PIL" 2>/dev/null ||
  { echo "needs python3-torch python3-torchvision python3-pil (scripts/setup.sh)" >&2; exit 2; }

# The same COUNT images for everyone, in one folder of their own.
rm -rf "$work/images" && mkdir -p "$work/images"
find "$images" -maxdepth 1 -name '*.png' | sort | head -n "$count" | xargs cp -t "$work/images"
[ "$(ls "$work/images" | wc -l)" -eq "$count" ] || { echo "fewer than $count PNGs in $images" >&2; exit 2; }

job() {  # job [thread_layout]: the default layout when not given
  cat <<EOF
[job]
name = "extract-python-bench"
output = "out"

[compute]
batch_size = $batch
threads = $threads
${1:+thread_layout = \"$1\"}

[[datasets]]
id = "images"
source = "folder"
path = "$work/images"

# A job needs a comparison: its evaluated set is the last image again (one more forward pass of
# one image, 0.5% of the work at 200 images, which the Python baseline does not do).
[[datasets]]
id = "last"
source = "folder"
path = "$work/images"
offset = $((count - 1))

[[backbones]]
id = "inception"
kind = "fid-inception"
weights = "$weights"
layer = "2048"

[[comparisons]]
reference = "images"
evaluated = ["last"]
EOF
}
job >"$work/job.toml"
job fast >"$work/job-fast.toml"

# What gensweep's mallopt calls set (core/allocator.cpp), as glibc's environment variables.
malloc_env=(MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=18446744073709551615 MALLOC_ARENA_MAX=1)

run_variant() {  # run_variant <variant> <round>: "wall user sys rss_kb"
  local v=$1 r=$2 out="$work/out.$1.$2"
  rm -rf "$out"
  local cmd=()
  case $v in
    gensweep) cmd=("$build/gensweep" extract job.toml --quiet --output "$out") ;;
    gensweep-fast) cmd=("$build/gensweep" extract job-fast.toml --quiet --output "$out") ;;
    gensweep-jemalloc)
      cmd=(env LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 "$build/gensweep" extract job.toml
        --quiet --output "$out") ;;
    gensweep-mimalloc)
      cmd=(env LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libmimalloc.so.2 "$build/gensweep" extract job.toml
        --quiet --output "$out") ;;
    before) cmd=("${BEFORE:?set BEFORE=path/to/gensweep}" extract job.toml --quiet --output "$out") ;;
    before-malloc)
      cmd=(env "${malloc_env[@]}" "${BEFORE:?set BEFORE=path/to/gensweep}" extract job.toml --quiet
        --output "$out") ;;
    python | python-malloc)
      mkdir -p "$out"
      cmd=(/usr/bin/python3 "$repo/bench/extract_python_baseline.py" --images "$work/images"
        --count "$count" --batch "$batch" --threads "$threads" --out "$out/features.npy")
      [ "$v" = python-malloc ] && cmd=(env "${malloc_env[@]}" "${cmd[@]}") ;;
    *) echo "unknown variant $v" >&2; exit 2 ;;
  esac
  /usr/bin/time -f "%e %U %S %M" -o "$work/$v.$r.time" "${cmd[@]}" >"$work/$v.$r.log" 2>&1 ||
    { echo "$v failed, see $work/$v.$r.log" >&2; cat "$work/$v.$r.log" >&2; exit 1; }
  cat "$work/$v.$r.time"
}

cd "$work"
echo "work dir: $work; $count images, batch $batch, $threads threads, $rounds rounds;" \
  "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A wall user sys rss
for r in $(seq 1 "$rounds"); do
  line="round $r:"
  for v in "${variants[@]}"; do
    read -r w u s m <<<"$(run_variant "$v" "$r")"
    [ -n "$m" ] || exit 1  # run_variant printed why
    wall[$v]+="$w " user[$v]+="$u " sys[$v]+="$s " rss[$v]+="$m "
    line+=" $v ${w}s (sys ${s}s)"
  done
  echo "$line"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

median() { printf '%s\n' $@ | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
printf '\n| variant | wall s | user s | sys s | peak RSS MiB | images/s | wall / gensweep |\n'
printf '| --- | --- | --- | --- | --- | --- | --- |\n'
base=$(median ${wall[${variants[0]}]})
for v in "${variants[@]}"; do
  mw=$(median ${wall[$v]}) mu=$(median ${user[$v]}) ms=$(median ${sys[$v]}) mm=$(median ${rss[$v]})
  printf '| %s | %s | %s | %s | %d | %.2f | %.2f |\n' "$v" "$mw" "$mu" "$ms" "$((mm / 1024))" \
    "$(echo "$count / $mw" | bc -l)" "$(echo "$mw / $base" | bc -l)"
done
echo "(medians of $rounds rounds; each round runs the variants in the order listed; wall / gensweep" \
  "is relative to the first variant)"
