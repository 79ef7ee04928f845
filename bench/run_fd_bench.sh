#!/usr/bin/env bash
# Fréchet distance at D = 2048: gensweep (bench/fd_bench) against pytorch-fid's scipy sqrtm route
# (bench/fd_scipy_baseline.py) on the same matrices, in one go, with the same BLAS threads.
#
#   bench/run_fd_bench.sh [BUILD_DIR]        (default: build)
#   THREADS=1 REPEATS=5 SCIPY_REPEATS=5 DIM=2048 KEEP=dir bench/run_fd_bench.sh build-metrics
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-${root}/build}"
bench="${build}/bench/fd_bench"
if [[ ! -x "${bench}" ]]; then
  echo "no ${bench}: build it first (cmake --build ${build} --target fd_bench)" >&2
  exit 2
fi

# Same BLAS threads for both programs (numpy uses the same OpenBLAS through libblas.so.3). One by
# default: on a shared machine, OpenBLAS threads that wait on a busy core slow BLAS2-heavy code
# (the tridiagonal reductions here) by several times and make the figures meaningless.
export OPENBLAS_NUM_THREADS="${THREADS:-1}"
export OMP_NUM_THREADS="${OPENBLAS_NUM_THREADS}"

if [[ -n "${KEEP:-}" ]]; then
  out="${KEEP}"
  mkdir -p "${out}"
else
  out="$(mktemp -d "${TMPDIR:-/tmp}/fd_bench.XXXXXX")"
  trap 'rm -rf "${out}"' EXIT
fi

# Shared machines: the load average says how much the absolute times are worth; the ratio is
# the figure to quote.
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"${bench}" --dim "${DIM:-2048}" --repeats "${REPEATS:-5}" --out "${out}"
echo
/usr/bin/python3 "${root}/bench/fd_scipy_baseline.py" --dir "${out}" --repeats "${SCIPY_REPEATS:-5}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
