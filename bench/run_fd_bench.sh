#!/usr/bin/env bash
# Fréchet distance at D = 2048: gensweep (bench/fd_bench) against pytorch-fid's scipy sqrtm route
# (bench/fd_scipy_baseline.py) on the same matrices, in one go, with the same BLAS threads.
#
#   bench/run_fd_bench.sh [BUILD_DIR]        (default: build)
#   THREADS=1 ROUNDS=5 DIM=2048 KEEP=dir bench/run_fd_bench.sh build-metrics
#
# Each of ROUNDS rounds times one run per case of gensweep (default options), of gensweep without
# its diagnostics (FrechetOptions::diagnostics = false) and of scipy, so that all see the same
# machine load; the report pools the rounds (median of ROUNDS runs each) and prints ratios.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-${root}/build}"
bench="${build}/bench/fd_bench"
if [[ ! -x "${bench}" ]]; then
  echo "no ${bench}: build it first (cmake --build ${build} --target fd_bench)" >&2
  exit 2
fi

# Same BLAS threads for both programs (numpy uses the same OpenBLAS through libblas.so.3). One by
# default: on a shared machine, OpenBLAS threads that wait on a busy core slow the BLAS2-heavy
# tridiagonal reductions by several times, and the figures stop meaning anything.
export OPENBLAS_NUM_THREADS="${THREADS:-1}"
export OMP_NUM_THREADS="${OPENBLAS_NUM_THREADS}"

if [[ -n "${KEEP:-}" ]]; then
  out="${KEEP}"
  mkdir -p "${out}"
  rm -f "${out}"/gensweep*_*.json "${out}"/scipy_*.json
else
  out="$(mktemp -d "${TMPDIR:-/tmp}/fd_bench.XXXXXX")"
  trap 'rm -rf "${out}"' EXIT
fi

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"${bench}" --generate "${out}" --dim "${DIM:-2048}"
for round in $(seq "${ROUNDS:-5}"); do
  "${bench}" --in "${out}" --repeats 1 --results "${out}/gensweep_${round}.json"
  "${bench}" --in "${out}" --repeats 1 --no-diagnostics \
    --results "${out}/gensweep-nodiag_${round}.json"
  /usr/bin/python3 "${root}/bench/fd_scipy_baseline.py" --dir "${out}" --repeats 1 \
    --results "${out}/scipy_${round}.json"
done
/usr/bin/python3 "${root}/bench/fd_scipy_baseline.py" --report "${out}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
