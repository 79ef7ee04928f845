#!/bin/bash
# Incremental reductions: the reduce stage of a job that gained one evaluated dataset, with the
# caches of the job before (row cache + reference side files), against the same reduce stage with
# the caches deleted (a full recomputation). Both on the same stores (extraction excluded: it is
# the same for both), alternating one run of each per round so both see the same machine load.
#
#   bench/run_incremental_bench.sh BUILD_DIR     # ROUNDS=3 N=7 THREADS=1 KEEP=dir to change
#
# The job is jobs/demo.toml's datasets (423 CIFAR-10 reference images, 423 per evaluated set) and
# backbones (pixels-32, random-cnn-512) with fd, kid, precision, recall, density, coverage,
# rarity and giqa_gmm (5 components, PCA 0.95); N evaluated datasets before, N + 1 after.
set -euo pipefail

build=$(realpath "${1:?usage: $0 BUILD_DIR}")
rounds=${ROUNDS:-3}
n=${N:-7}
threads=${THREADS:-1}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${KEEP:-$(mktemp -d /tmp/gensweep-incremental-bench.XXXXXX)}
mkdir -p "$work"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
all=(clean blur1 blur2 noise8 noise24 jpeg30 jpeg10 shift)
((n >= 1 && n < ${#all[@]})) || { echo "N must be 1..$((${#all[@]} - 1))" >&2; exit 2; }

job() {  # job <evaluated count>
  local list
  list=$(printf '"%s", ' "${all[@]:0:$1}")
  cat <<EOF
[job]
name = "incremental-bench"
output = "out"
presets = "$repo/configs"

[compute]
threads = $threads

[[datasets]]
id = "real"
source = "folder"
path = "$repo/data/cifar10-846"
limit = 423

[[datasets]]
id = "clean"
source = "folder"
path = "$repo/data/cifar10-846"
offset = 423

$(for d in blur1:gaussian_blur:sigma:1.0 blur2:gaussian_blur:sigma:2.0 noise8:gaussian_noise:sigma:8.0 \
           noise24:gaussian_noise:sigma:24.0 jpeg30:jpeg:quality:30 jpeg10:jpeg:quality:10; do
    IFS=: read -r id kind key value <<<"$d"
    printf '[[datasets]]\nid = "%s"\nsource = "derived"\nbase = "clean"\ndistortion = { kind = "%s", %s = %s }\n' \
      "$id" "$kind" "$key" "$value"
    [[ $kind == gaussian_noise ]] && printf 'seed = 1\n'
    printf '\n'
  done)
[[datasets]]
id = "shift"
source = "derived"
base = "clean"
distortion = { kind = "color_shift", shift = [24, 0, -24] }

[[backbones]]
id = "pixels32"
preset = "pixels-32"

[[backbones]]
id = "rcnn512"
preset = "random-cnn-512"

[[comparisons]]
reference = "real"
evaluated = [${list%, }]
backbones = ["pixels32", "rcnn512"]
metrics = ["fd", "kid", "precision", "recall", "density", "coverage", "rarity", "giqa_gmm"]

[comparisons.parameters]
giqa_gmm = { components = 5, pca = 0.95 }
EOF
}

cd "$work"
job "$n" >before.toml
job "$((n + 1))" >after.toml
echo "work dir: $work ($n evaluated datasets, then $((n + 1)))"
"$build/gensweep" extract after.toml --quiet >/dev/null 2>extract.log
# The state after a run of the N-dataset job: its row cache, per-sample files (the row cache
# reuses per-sample arrays from them) and reference side files.
rm -rf out/cache out/per_sample out/stores/real/*.refcache.h5  # a KEEP dir's earlier rounds
"$build/gensweep" reduce before.toml --quiet >/dev/null 2>before.log
rm -rf snapshot && mkdir snapshot && cp -a out/cache out/per_sample snapshot/
cp -a out/stores/real snapshot/

restore() {
  rm -rf out/cache out/per_sample && cp -a snapshot/cache snapshot/per_sample out/
  cp -a snapshot/real/. out/stores/real/
}
clear_caches() {
  rm -rf out/cache out/stores/real/*.refcache.h5
}
timed() {  # timed <name> : "wall cpu" seconds of `gensweep reduce after.toml` (cpu = user + sys)
  /usr/bin/time -f "%e %U %S" -o "$1.time" "$build/gensweep" reduce after.toml --quiet \
    >/dev/null 2>"$1.log"
  awk '{printf "%s %.2f\n", $1, $2 + $3}' "$1.time"
}

inc=() full=() inc_cpu=() full_cpu=()
for r in $(seq 1 "$rounds"); do
  restore
  read -r wall cpu <<<"$(timed "incremental.$r")"
  inc+=("$wall") inc_cpu+=("$cpu")
  grep -h "items:" "incremental.$r.log" | sed 's/^/  incremental: /'
  clear_caches
  read -r wall cpu <<<"$(timed "full.$r")"
  full+=("$wall") full_cpu+=("$cpu")
  grep -h "items:" "full.$r.log" | sed 's/^/  full:        /'
  echo "round $r: incremental ${inc[-1]} s (cpu ${inc_cpu[-1]} s), full ${full[-1]} s (cpu ${full_cpu[-1]} s)"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
mi=$(median "${inc[@]}") mf=$(median "${full[@]}")
ci=$(median "${inc_cpu[@]}") cf=$(median "${full_cpu[@]}")
echo "median of $rounds: incremental $mi s (cpu $ci s), full recomputation $mf s (cpu $cf s)," \
  "ratio $(echo "scale=2; $mf / $mi" | bc)x wall, $(echo "scale=2; $cf / $ci" | bc)x cpu"
