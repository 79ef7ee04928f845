#!/usr/bin/python3
"""pytorch-fid's Fréchet distance (scipy.linalg.sqrtm of Sigma1 Sigma2, eps retry, real part) on
the matrices bench/fd_bench wrote, timed the same way (median of runs), and compared with
gensweep's figures from the same run (gensweep_fd.json in the same folder).

The algorithm is pytorch-fid 0.3's calculate_frechet_distance (METRICS.md §2.3), restated here so
the baseline needs only numpy and scipy. Run it through bench/run_fd_bench.sh, which sets
OPENBLAS_NUM_THREADS to the same value for both programs.

Usage: fd_scipy_baseline.py --dir DIR [--repeats R]
"""
import argparse
import json
import os
import pathlib
import statistics
import sys
import time

import numpy as np
import scipy
from scipy import linalg


def pytorch_fid_frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    mu1 = np.atleast_1d(mu1)
    mu2 = np.atleast_1d(mu2)
    sigma1 = np.atleast_2d(sigma1)
    sigma2 = np.atleast_2d(sigma2)
    assert mu1.shape == mu2.shape and sigma1.shape == sigma2.shape
    diff = mu1 - mu2
    # The product is not symmetric: a general (Schur) square root.
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    retried = False
    if not np.isfinite(covmean).all():
        # pytorch-fid's retry: regularise inside the square root only.
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
        retried = True
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f"Imaginary component {np.max(np.abs(covmean.imag))}")
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)), retried


def load_case(path: pathlib.Path, d: int):
    raw = np.fromfile(path, dtype="<f8")
    assert raw.size == 2 * d * d + 2 * d, f"{path}: {raw.size} values, expected {2 * d * d + 2 * d}"
    # Written column-major; the matrices are exactly symmetric, so the order does not matter.
    sigma1 = raw[: d * d].reshape(d, d)
    sigma2 = raw[d * d : 2 * d * d].reshape(d, d)
    mu1 = raw[2 * d * d : 2 * d * d + d]
    mu2 = raw[2 * d * d + d :]
    assert np.array_equal(sigma1, sigma1.T) and np.array_equal(sigma2, sigma2.T)
    return mu1, sigma1, mu2, sigma2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True, type=pathlib.Path)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    summary = json.loads((args.dir / "gensweep_fd.json").read_text())
    d = summary["dim"]
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "(unset)")
    if threads != summary["openblas_num_threads"]:
        print(f"warning: OPENBLAS_NUM_THREADS {threads} here, {summary['openblas_num_threads']} for gensweep",
              file=sys.stderr)
    print(f"scipy baseline: numpy {np.__version__}, scipy {scipy.__version__}, D = {d}, "
          f"{args.repeats} runs per case, OPENBLAS_NUM_THREADS = {threads}")
    rows = []
    for case in summary["cases"]:
        mu1, sigma1, mu2, sigma2 = load_case(args.dir / case["file"], d)
        times = []
        value = retried = None
        for _ in range(args.repeats):
            start = time.perf_counter()
            value, retried = pytorch_fid_frechet_distance(mu1, sigma1, mu2, sigma2)
            times.append(time.perf_counter() - start)
        closed = case["closed_form"]
        g = case["gensweep"]
        rows.append({
            "case": case["name"],
            "closed_form": closed,
            "scipy": {"value": value, "median_s": statistics.median(times), "min_s": min(times),
                      "abs_err": abs(value - closed), "rel_err": abs(value - closed) / abs(closed),
                      "eps_retry": retried},
            "gensweep": {**g, "abs_err": abs(g["value"] - closed),
                         "rel_err": abs(g["value"] - closed) / abs(closed)},
        })

    print()
    print(f"{'case':<13} {'impl':<9} {'median s':>9} {'min s':>9} {'FD':>22} {'abs err':>9} {'rel err':>9}")
    for r in rows:
        for impl in ("gensweep", "scipy"):
            x = r[impl]
            print(f"{r['case']:<13} {impl:<9} {x['median_s']:>9.3f} {x['min_s']:>9.3f} "
                  f"{x['value']:>22.15g} {x['abs_err']:>9.2e} {x['rel_err']:>9.2e}")
    print()
    for r in rows:
        ratio = r["scipy"]["median_s"] / r["gensweep"]["median_s"]
        r["speedup"] = ratio
        print(f"{r['case']}: gensweep is {ratio:.1f}x faster than pytorch-fid's sqrtm route "
              f"(median {r['gensweep']['median_s']:.3f} s vs {r['scipy']['median_s']:.3f} s); "
              f"closed-form relative error {r['gensweep']['rel_err']:.1e} vs {r['scipy']['rel_err']:.1e}")
    (args.dir / "comparison.json").write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
