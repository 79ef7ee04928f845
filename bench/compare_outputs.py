#!/usr/bin/python3
"""Compares two gensweep output directories of the same job for a refactor: everything must be
identical except what changes from run to run (timestamps, durations, the build's commit, and the
row-cache keys and per-sample key attributes, which hash the build's commit).

  bench/compare_outputs.py BEFORE_DIR AFTER_DIR

Checked: results.json / .csv / .md as text with those values masked; every per-sample file, store
and reference side file with h5diff (datasets bit for bit: h5diff -d 0 compares exact values; NaN
equal to NaN); every row-cache entry's values (their exact bits) and per-sample lengths. Prints one
line per difference and exits 1 when there is any."""
import json
import os
import re
import subprocess
import sys

VOLATILE_JSON = re.compile(
    r'("(?:created_utc|cached_utc|computed_utc|git_commit|seconds|[a-z_]*_seconds[a-z0-9_]*)": )'
    r'(?:"[^"]*"|-?[0-9.eE+-]+|null)')
VOLATILE_CSV = re.compile(r'(""(?:[a-z_]*seconds[a-z0-9_]*)"":)-?[0-9.eE+-]+')
VOLATILE_MD = re.compile(r'^- gensweep .*$', re.M)


def mask(name, text):
    if name.endswith('.json'):
        return VOLATILE_JSON.sub(r'\1"*"', text)
    if name.endswith('.csv'):
        return VOLATILE_CSV.sub(r'\1*', text)
    return VOLATILE_MD.sub('- gensweep *', text)


def files_under(root, suffix):
    out = set()
    for d, _, names in os.walk(root):
        for n in names:
            if n.endswith(suffix):
                out.add(os.path.relpath(os.path.join(d, n), root))
    return out


def datasets(path):
    r = subprocess.run(['h5ls', '-r', path], capture_output=True, text=True, check=True)
    return {line.split()[0] for line in r.stdout.splitlines() if ' Dataset ' in line}


def main(before, after):
    problems = []
    for name in ('results.json', 'results.csv', 'results.md'):
        a = mask(name, open(os.path.join(before, name), encoding='utf-8').read())
        b = mask(name, open(os.path.join(after, name), encoding='utf-8').read())
        if a != b:
            line = next(i for i, (x, y) in enumerate(zip(a.splitlines(), b.splitlines()), 1)
                        if x != y) if a.splitlines() != b.splitlines() else 0
            problems.append(f'{name}: differs (first at line {line})')
    h5 = files_under(before, '.h5')
    if h5 != files_under(after, '.h5'):
        problems.append(f'HDF5 files differ: {sorted(h5 ^ files_under(after, ".h5"))}')
    for rel in sorted(h5 & files_under(after, '.h5')):
        a, b = os.path.join(before, rel), os.path.join(after, rel)
        sets_a, sets_b = datasets(a), datasets(b)
        if sets_a != sets_b:
            problems.append(f'{rel}: datasets differ: {sorted(sets_a ^ sets_b)}')
        # Dataset by dataset: the root attributes hold the build's commit and creation time.
        for path in sorted(sets_a & sets_b):
            r = subprocess.run(['h5diff', '-d', '0', a, b, path, path], capture_output=True,
                               text=True)
            if r.returncode != 0:
                problems.append(f'{rel}:{path}: h5diff: {(r.stdout + r.stderr).strip()[:300]}')
    rows_a = files_under(os.path.join(before, 'cache', 'rows'), '.json')
    rows_b = files_under(os.path.join(after, 'cache', 'rows'), '.json')
    if rows_a != rows_b:
        problems.append(f'row cache entries differ: {sorted(rows_a ^ rows_b)}')
    for rel in sorted(rows_a & rows_b):
        a = json.load(open(os.path.join(before, 'cache', 'rows', rel)))
        b = json.load(open(os.path.join(after, 'cache', 'rows', rel)))
        bits = lambda d: {m: v['bits'] for m, v in d['values'].items()}
        if bits(a) != bits(b) or a['per_sample'] != b['per_sample']:
            problems.append(f'cache/rows/{rel}: values or per-sample lengths differ')
    for p in problems:
        print(p)
    print(f'{len(h5)} HDF5 files, {len(rows_a)} row-cache entries, 3 result files compared: '
          f'{"identical" if not problems else f"{len(problems)} differences"}')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2]))
