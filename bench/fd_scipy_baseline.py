#!/usr/bin/python3
"""pytorch-fid's Fréchet distance (scipy.linalg.sqrtm of Sigma1 Sigma2, eps retry, real part),
timed on the matrices that bench/fd_bench --generate wrote, and the comparison report.

  fd_scipy_baseline.py --dir DIR [--repeats R] [--results FILE]   time scipy on DIR's cases
  fd_scipy_baseline.py --report DIR     pool every gensweep_*.json and scipy_*.json in DIR and
                                        print medians, errors against the closed forms, and ratios

The algorithm is pytorch-fid 0.3's calculate_frechet_distance (METRICS.md §2.3), restated here so
the baseline needs only numpy and scipy. bench/run_fd_bench.sh runs everything with the same
OPENBLAS_NUM_THREADS for both programs (numpy uses the same OpenBLAS through libblas.so.3).
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
    fd = diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)
    return float(fd), retried


def load_case(path: pathlib.Path, d: int):
    raw = np.fromfile(path, dtype="<f8")
    assert raw.size == 2 * d * d + 2 * d, f"{path}: {raw.size} values, expected {2 * d * d + 2 * d}"
    # Written column-major; the matrices are exactly symmetric, so the order does not matter.
    sigma1 = raw[: d * d].reshape(d, d)
    sigma2 = raw[d * d : 2 * d * d].reshape(d, d)
    assert np.array_equal(sigma1, sigma1.T) and np.array_equal(sigma2, sigma2.T)
    return raw[2 * d * d : 2 * d * d + d], sigma1, raw[2 * d * d + d :], sigma2


def time_scipy(directory: pathlib.Path, repeats: int, results: pathlib.Path) -> None:
    spec = json.loads((directory / "cases.json").read_text())
    d = spec["dim"]
    out = {"impl": "scipy", "dim": d, "numpy": np.__version__, "scipy": scipy.__version__,
           "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS", ""), "cases": []}
    for case in spec["cases"]:
        mu1, sigma1, mu2, sigma2 = load_case(directory / case["file"], d)
        times, cpu_times = [], []
        for _ in range(repeats):
            cpu_start = time.process_time()
            start = time.perf_counter()
            value, retried = pytorch_fid_frechet_distance(mu1, sigma1, mu2, sigma2)
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
        error = abs(value - case["closed_form"])
        print(f"scipy    {case['name']:<13} {repeats} runs, min {min(times):.3f} s, FD {value:.15g}, "
              f"error vs closed form {error:.2e} ({error / abs(case['closed_form']):.2e} relative)"
              + (" [eps retry]" if retried else ""))
        out["cases"].append({"name": case["name"], "value": value, "times_s": times,
                             "cpu_s": cpu_times, "eps_retry": retried})
    results.write_text(json.dumps(out, indent=1) + "\n")


def report(directory: pathlib.Path) -> None:
    spec = json.loads((directory / "cases.json").read_text())
    impls = [i for i in ("gensweep", "gensweep-nodiag", "scipy") if any(directory.glob(f"{i}_*.json"))]
    runs = {impl: {} for impl in impls}
    cpu = {impl: {} for impl in impls}
    values = {impl: {} for impl in impls}
    threads = set()
    for impl in runs:
        for path in sorted(directory.glob(f"{impl}_*.json")):
            result = json.loads(path.read_text())
            threads.add(result["openblas_num_threads"])
            for case in result["cases"]:
                runs[impl].setdefault(case["name"], []).extend(case["times_s"])
                cpu[impl].setdefault(case["name"], []).extend(case["cpu_s"])
                values[impl][case["name"]] = case["value"]
    if "scipy" not in impls or len(impls) < 2:
        sys.exit(f"{directory}: needs gensweep and scipy results")
    if len(threads) != 1:
        sys.exit(f"the runs used different OPENBLAS_NUM_THREADS: {sorted(threads)}")
    print(f"\nFréchet distance, D = {spec['dim']}, OPENBLAS_NUM_THREADS = {threads.pop() or '(unset)'}, "
          f"numpy {np.__version__}, scipy {scipy.__version__}; runs alternate between the two")
    print(f"{'case':<13} {'impl':<15} {'runs':>4} {'median s':>9} {'min s':>9} {'cpu s':>9} "
          f"{'FD':>22} {'abs err':>9} {'rel err':>9}")
    summary = []
    for case in spec["cases"]:
        name, closed = case["name"], case["closed_form"]
        row = {"case": name, "closed_form": closed}
        for impl in impls:
            times = runs[impl].get(name, [])
            if not times:
                sys.exit(f"no {impl} runs for {name}")
            value = values[impl][name]
            row[impl] = {"runs": len(times), "median_s": statistics.median(times),
                         "min_s": min(times), "median_cpu_s": statistics.median(cpu[impl][name]),
                         "value": value, "abs_err": abs(value - closed),
                         "rel_err": abs(value - closed) / abs(closed)}
            x = row[impl]
            print(f"{name:<13} {impl:<15} {x['runs']:>4} {x['median_s']:>9.3f} {x['min_s']:>9.3f} "
                  f"{x['median_cpu_s']:>9.3f} {value:>22.15g} {x['abs_err']:>9.2e} "
                  f"{x['rel_err']:>9.2e}")
        for impl in impls[:-1]:
            row[impl]["speedup_median"] = row["scipy"]["median_s"] / row[impl]["median_s"]
            row[impl]["speedup_median_cpu"] = row["scipy"]["median_cpu_s"] / row[impl]["median_cpu_s"]
        summary.append(row)
    print()
    for row in summary:
        for impl in impls[:-1]:
            x, y = row[impl], row["scipy"]
            print(f"{row['case']}: {impl} {x['speedup_median']:.1f}x faster than pytorch-fid's "
                  f"sqrtm route (median {x['median_s']:.3f} s vs {y['median_s']:.3f} s); by CPU "
                  f"time {x['speedup_median_cpu']:.1f}x ({x['median_cpu_s']:.3f} s vs "
                  f"{y['median_cpu_s']:.3f} s)")
    (directory / "comparison.json").write_text(json.dumps(summary, indent=1) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=pathlib.Path, help="time scipy on the cases in DIR")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--results", type=pathlib.Path, help="default DIR/scipy_fd.json")
    parser.add_argument("--report", type=pathlib.Path, metavar="DIR")
    args = parser.parse_args()
    if (args.dir is None) == (args.report is None):
        parser.error("give exactly one of --dir and --report")
    if args.report is not None:
        report(args.report)
    else:
        time_scipy(args.dir, args.repeats, args.results or args.dir / "scipy_fd.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
