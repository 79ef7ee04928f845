#!/usr/bin/python3
"""Copies the small golden cases of ../shared/golden into tests/data/golden so that the metrics
tests need neither HDF5 nor ../shared for them.

For each case it writes
  <case>/real.f32, <case>/fake.f32  the `real` and `fake` datasets of data.h5, raw little-endian
                                    float32, row-major (C order), no header;
  <case>/expected_fd.json           the shapes, the sha256 of those raw bytes as inputs.json records
                                    them (the tests re-check them), and the `fd` section of
                                    expected.json verbatim (values and the reference calls).

Nothing here is computed by gensweep: the values are the reference tools' own output.
Usage: /usr/bin/python3 tests/data/golden/convert_golden.py [path/to/shared/golden]
"""
import hashlib
import json
import pathlib
import sys

import h5py
import numpy as np

CASES = ["gauss_d64", "mixture_d32", "tiny_d4", "identical_d16"]


def main() -> None:
    here = pathlib.Path(__file__).resolve().parent
    src_root = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else here.parents[3] / "shared" / "golden"
    for case in CASES:
        src = src_root / case
        dst = here / case
        dst.mkdir(exist_ok=True)
        expected = json.loads((src / "expected.json").read_text())
        inputs = json.loads((src / "inputs.json").read_text())
        out = {"case": case, "source": f"shared/golden/{case}", "arrays": {}, "fd": expected["fd"]}
        with h5py.File(src / "data.h5", "r") as h5:
            for name in ("real", "fake"):
                array = np.ascontiguousarray(h5[name][...], dtype="<f4")
                raw = array.tobytes(order="C")
                digest = hashlib.sha256(raw).hexdigest()
                recorded = inputs["files"][f"{name}.npy"]["sha256_of_raw_array_bytes_C_order"]
                if digest != recorded:
                    sys.exit(f"{case}/{name}: sha256 {digest} != inputs.json {recorded}")
                (dst / f"{name}.f32").write_bytes(raw)
                out["arrays"][name] = {"file": f"{name}.f32", "dtype": "float32 little-endian",
                                       "shape": list(array.shape), "sha256": digest}
        (dst / "expected_fd.json").write_text(json.dumps(out, indent=1) + "\n")
        print(f"{case}: real {out['arrays']['real']['shape']} fake {out['arrays']['fake']['shape']}")


if __name__ == "__main__":
    main()
