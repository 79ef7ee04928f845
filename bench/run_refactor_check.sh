#!/bin/bash
# Checks a refactor against a gensweep binary built before it, on jobs/demo.toml and
# jobs/leaderboard.toml, and times `gensweep reduce` on the leaderboard job.
#
#   bench/run_refactor_check.sh BUILD_DIR BASELINE_BINARY   # ROUNDS=5 WORK=dir
#
# 1. Identity: each job runs from scratch with each binary into the same output path (the job's
#    config hash records it), and bench/compare_outputs.py compares the two outputs: results,
#    per-sample files, stores, reference side files and row-cache values must be identical except
#    for timestamps, durations and the build's commit.
# 2. Reduce time: ROUNDS rounds; in each, `gensweep reduce` of the complete leaderboard job with
#    each binary, alternating, with the row cache and the reference side files removed first so
#    that every item is computed. Reports the median wall time of each binary.
set -euo pipefail

build=$(realpath "${1:?usage: $0 BUILD_DIR BASELINE_BINARY}")
baseline=$(realpath "${2:?usage: $0 BUILD_DIR BASELINE_BINARY}")
rounds=${ROUNDS:-5}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${WORK:-$(mktemp -d /tmp/gensweep-refactor.XXXXXX)}
mkdir -p "$work"
command -v h5diff >/dev/null || { echo "needs h5diff and h5ls (apt-get install hdf5-tools)" >&2; exit 2; }
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

status=0
for job in demo leaderboard; do
  for side in before after; do
    binary=$([ "$side" = before ] && echo "$baseline" || echo "$build/gensweep")
    rm -rf "$work/out" "$work/$job.$side"
    "$binary" run "$repo/jobs/$job.toml" --output "$work/out" --quiet >"$work/$job.$side.log" 2>&1
    mv "$work/out" "$work/$job.$side"
  done
  echo "== $job: identity"
  "$repo/bench/compare_outputs.py" "$work/$job.before" "$work/$job.after" || status=1
done

echo "== leaderboard: gensweep reduce, every item computed ($rounds rounds, alternating)"
mv "$work/leaderboard.after" "$work/out"
times_before=() times_after=()
for ((r = 0; r < rounds; r++)); do
  for side in before after; do
    binary=$([ "$side" = before ] && echo "$baseline" || echo "$build/gensweep")
    rm -rf "$work/out/cache/rows"
    find "$work/out" -name '*.refcache.h5' -delete
    start=$(date +%s.%N)
    "$binary" reduce "$repo/jobs/leaderboard.toml" --output "$work/out" --quiet >/dev/null 2>&1
    end=$(date +%s.%N)
    t=$(awk "BEGIN { printf \"%.2f\", $end - $start }")
    if [ "$side" = before ]; then times_before+=("$t"); else times_after+=("$t"); fi
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "baseline: median $(median "${times_before[@]}") s   (${times_before[*]})"
echo "this build: median $(median "${times_after[@]}") s   (${times_after[*]})"
exit $status
