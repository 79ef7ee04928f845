#!/usr/bin/python3
"""Validates a results.json written by gensweep against results_schema/results.schema.json.

Without --negative: the file must be valid (and the schema itself valid draft 2020-12).
With --negative: each mutation below applied to a copy of the file must be REJECTED; a schema that
accepts any of them is too loose. Exits 77 (ctest: skipped) when python3-jsonschema is missing.
"""

import argparse
import copy
import json
import sys

try:
    import jsonschema
except ImportError:
    print("SKIP: needs Debian's python3-jsonschema (apt-get install -y python3-jsonschema)")
    sys.exit(77)


# Each mutation returns the path of the object it changed, so the test can check that the schema
# rejects the document THERE and not because of some unrelated problem.
def delete(path):
    def mutate(doc):
        *parents, last = path
        node = doc
        for key in parents:
            node = node[key]
        del node[last]
        return list(parents)
    return mutate


def assign(path, value):
    def mutate(doc):
        *parents, last = path
        node = doc
        for key in parents:
            node = node[key]
        node[last] = value
        return list(parents)
    return mutate


# (what the mutation breaks, mutation). Paths index the sample written by write_sample_results.
MUTATIONS = [
    ("missing top-level field", delete(["config_hash"])),
    ("missing entries", delete(["entries"])),
    ("extra top-level field", assign(["extra"], 1)),
    ("wrong schema name", assign(["schema"], "something-else")),
    ("newer schema_version", assign(["schema_version"], 2)),
    ("schema_version as string", assign(["schema_version"], "1")),
    ("ranks as string", assign(["ranks"], "2")),
    ("ranks zero", assign(["ranks"], 0)),
    ("ranks fractional", assign(["ranks"], 1.5)),
    ("negative seconds", assign(["seconds"], -1)),
    ("created_utc not ISO 8601 UTC", assign(["created_utc"], "31/01/2026 12:00")),
    ("config_hash not sha256 hex", assign(["config_hash"], "ABC")),
    ("warnings not strings", assign(["warnings", 0], 7)),
    ("dataset missing id", delete(["datasets", 0, "id"])),
    ("dataset extra field", assign(["datasets", 0, "colour"], "red")),
    ("dataset negative failed", assign(["datasets", 0, "failed"], -1)),
    ("dataset images as float", assign(["datasets", 0, "images"], 100.5)),
    ("dataset empty id", assign(["datasets", 0, "id"], "")),
    ("backbone missing dim", delete(["backbones", 0, "dim"])),
    ("backbone identity not sha256", assign(["backbones", 0, "identity"], "weights.pt")),
    ("backbone dim negative", assign(["backbones", 0, "dim"], -1)),
    ("backbone identity uppercase hex", assign(["backbones", 0, "identity"], "A" * 64)),
    ("store reused as string", assign(["stores", 0, "reused"], "yes")),
    ("store extra field", assign(["stores", 0, "size"], 3)),
    ("entry missing value", delete(["entries", 0, "value"])),
    ("entry missing diagnostics", delete(["entries", 0, "diagnostics"])),
    ("entry value as string", assign(["entries", 0, "value"], "12.3")),
    ("entry extra field", assign(["entries", 0, "unit"], "none")),
    ("entry metric not a string", assign(["entries", 0, "metric"], 3)),
    ("null value without non_finite note", assign(["entries", 0, "value"], None)),
    ("diagnostics n_reference negative", assign(["entries", 0, "diagnostics", "n_reference"], -5)),
    ("diagnostics dim as string", assign(["entries", 0, "diagnostics", "dim"], "2048")),
    ("diagnostics notes not strings", assign(["entries", 0, "diagnostics", "notes"], [1])),
    ("diagnostics regularization negative",
     assign(["entries", 2, "diagnostics", "regularization"], -1e-6)),
    ("diagnostics route not string", assign(["entries", 0, "diagnostics", "route"], 1)),
    ("non_finite kind unknown", assign(["entries", 4, "diagnostics", "non_finite", "/value"], "NaN")),
    ("non_finite pointer outside the entry",
     assign(["entries", 4, "diagnostics", "non_finite", "/seconds"], "nan")),
    ("non_finite note dropped for a null value", delete(["entries", 4, "diagnostics", "non_finite"])),
    ("fallback empty", assign(["entries", 2, "diagnostics", "fallback"], "")),
    ("study without values", delete(["studies", 0, "values"])),
    ("study kind unknown", assign(["studies", 0, "kind"], "sweeps")),
    ("study value level negative", assign(["studies", 0, "values", 0, "level"], -1)),
    ("study value unknown key", assign(["studies", 0, "values", 0, "colour"], "red")),
    ("study tau not a number", assign(["studies", 0, "agreements", 0, "kendall_tau", 0], "1")),
    ("study non_finite kind unknown",
     assign(["studies", 0, "non_finite", "/values/13/value"], "NaN")),
    ("study ranking score null", assign(["studies", 0, "rankings", 0, "scores", 0], None)),
    ("study value draws zero", assign(["studies", 0, "values", 0, "draws"], 0)),
    ("study value std missing", delete(["studies", 0, "values", 0, "std"])),
    ("both-ways direction unknown", assign(["both_ways", 0, "rows", 0, "direction"], "sideways")),
    ("both-ways row missing", delete(["both_ways", 0, "rows", 3])),
    ("both-ways value as string", assign(["both_ways", 0, "rows", 0, "values", "fd"], "0.5")),
    ("both-ways leave_one_out as string",
     assign(["both_ways", 0, "rows", 2, "leave_one_out"], "yes")),
    ("both-ways extra field", assign(["both_ways", 0, "figure"], "x.png")),
    ("rarest overlap jaccard above 1", assign(["rarest_overlap", 0, "jaccard"], 1.5)),
    ("rarest overlap k negative", assign(["rarest_overlap", 0, "k"], -1)),
    ("rarest overlap missing backbone", delete(["rarest_overlap", 0, "backbone_b"])),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--results", required=True)
    parser.add_argument("--negative", action="store_true")
    args = parser.parse_args()

    with open(args.schema, encoding="utf-8") as f:
        schema = json.load(f)
    with open(args.results, encoding="utf-8") as f:
        document = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if not args.negative:
        for e in errors:
            print(f"INVALID at /{'/'.join(map(str, e.absolute_path))}: {e.message}")
        if errors:
            return 1
        print(f"OK: {args.results} is valid")
        return 0

    if errors:
        print("the unmutated sample is already invalid; run the positive test first")
        return 1
    accepted = []
    for name, mutate in MUTATIONS:
        mutated = copy.deepcopy(document)
        where = mutate(mutated)
        here = [e for e in validator.iter_errors(mutated)
                if list(e.absolute_path)[:len(where)] == where]
        if not here:
            accepted.append(name)
            print(f"ACCEPTED (schema too loose): {name}")
        else:
            print(f"rejected as expected: {name}: {here[0].message}")
    if accepted:
        return 1
    print(f"OK: all {len(MUTATIONS)} mutations rejected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
