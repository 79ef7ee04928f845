#!/usr/bin/python3
"""Writes the checkpoint reader's test fixtures (tests/features/checkpoint_test.cpp).

Run once, by hand, with Debian's PyTorch (apt-get install python3-torch; 1.13 when this was
written), from anywhere:

    /usr/bin/python3 tests/data/features/checkpoints/make_fixtures.py [path/to/shared]

The outputs are committed, so the C++ tests never need Python or torch:

  small_zip.pth, small_legacy.pth   the same small state dict in both torch.save formats (float32,
                                    float64, float16, int64 num_batches_tracked, int32, uint8, int8,
                                    bool, views sharing one storage, non-contiguous views, empty
                                    tensors, a 0-d scalar, the _metadata attribute of state_dict())
  small_proto4_zip.pth              the same, saved with pickle_protocol=4 (STACK_GLOBAL, MEMOIZE,
                                    FRAME, SHORT_BINUNICODE)
  small_expected.json               every tensor of that dict as torch.load reads it
  nested_checkpoint.pth             {'state_dict': ..., 'epoch': 3, 'optimizer': {...}}
  full_model.pth                    torch.save(nn.Linear) (a whole pickled module)
  posix_system_zip.pth              a pickle whose __reduce__ is os.system (GLOBAL posix.system)
  builtins_eval_legacy.pth          a legacy file whose object pickle calls builtins.eval
  bfloat16.pth                      a bfloat16 tensor (a real storage type, unsupported)
  compressed_zip.pth                small_zip.pth re-zipped with deflate
  short_record_zip.pth              small_zip.pth with its largest float32 record cut by 4 bytes
  no_data_pkl.zip                   a zip archive without data.pkl
  torchscript.pt                    torch.jit.save of a tiny scripted module
  surrogate_inception_expected.json key names, dtypes, shapes and sampled values of
                                    ../shared/weights/surrogate-fid-inception.pth as torch.load
                                    reads it (an independent read for the golden test)

Nothing here is random: values are formulas, so the files are reproducible byte for byte apart from
the storage keys legacy files take from memory addresses.
"""

import collections
import hashlib
import json
import os
import pathlib
import sys
import zipfile

import torch
from torch import nn

HERE = pathlib.Path(__file__).resolve().parent


def dump(obj):
    """JSON with one line per top-level key and per list item: reviewable diffs, small files."""
    lines = []
    for i, (key, value) in enumerate(obj.items()):
        sep = "," if i + 1 < len(obj) else ""
        if isinstance(value, list):
            items = [" " * 2 + json.dumps(v) for v in value]
            lines.append(f" {json.dumps(key)}: [\n" + ",\n".join(items) + f"\n ]{sep}")
        elif isinstance(value, dict):
            items = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in value.items()]
            lines.append(f" {json.dumps(key)}: {{\n" + ",\n".join(items) + f"\n }}{sep}")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value)}{sep}")
    return "{\n" + "\n".join(lines) + "\n}\n"


def small_state_dict():
    model = nn.Sequential(collections.OrderedDict(conv=nn.Conv2d(3, 2, 1), bn=nn.BatchNorm2d(2)))
    with torch.no_grad():
        model.conv.weight.copy_((torch.arange(6.0) * 0.25 - 0.5).reshape(2, 3, 1, 1))
        model.conv.bias.copy_(torch.tensor([0.125, -3.0]))
        model.bn.weight.copy_(torch.tensor([1.5, 0.75]))
        model.bn.bias.copy_(torch.tensor([-0.1, 0.2]))
        model.bn.running_mean.copy_(torch.tensor([0.3, -0.4]))
        model.bn.running_var.copy_(torch.tensor([2.0, 0.5]))
        model.bn.num_batches_tracked.fill_(7)
    sd = model.state_dict()  # an OrderedDict with a _metadata attribute
    assert hasattr(sd, "_metadata")
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4) + 0.5
    sd["view.base"] = base
    sd["view.t"] = base.t()  # shares base's storage, strides (1, 4)
    sd["view.col"] = base[:, 1]  # offset 1, stride 4
    sd["view.row"] = base[2]  # offset 8, contiguous
    sd["view.strided"] = base[::2, ::3]  # strides (8, 3)
    sd["f64"] = torch.tensor([[1.5, -2.25, 1e-300], [3.0, 4.0, -0.0]], dtype=torch.float64)
    sd["f64.t"] = sd["f64"].t()
    sd["empty"] = torch.zeros(0)
    sd["empty2d"] = torch.zeros(0, 5)
    sd["scalar"] = torch.tensor(3.5)
    sd["half"] = torch.tensor([1.0, -2.5, 65504.0, 6e-8], dtype=torch.float16)
    sd["int32"] = torch.tensor([-1, 2, 2**31 - 1], dtype=torch.int32)
    sd["uint8"] = torch.tensor([0, 255, 7], dtype=torch.uint8)
    sd["int8"] = torch.tensor([-128, 127], dtype=torch.int8)
    sd["bool"] = torch.tensor([True, False, True])
    sd["int64"] = torch.tensor([-(2**40), 2**62], dtype=torch.int64)
    return sd


def describe(sd):
    tensors = []
    for name, t in sd.items():
        tensors.append({
            "name": name,
            "dtype": str(t.dtype).replace("torch.", ""),
            "shape": list(t.shape),
            "values": t.reshape(-1).tolist(),
        })
    return {"tensors": tensors}


class Evil:
    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg

    def __reduce__(self):
        return (self.fn, (self.arg,))


def rezip(src, dst, transform):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            name, data, method = transform(info.filename, zin.read(info.filename))
            zout.writestr(zipfile.ZipInfo(name), data, compress_type=method)


def golden(shared):
    path = shared / "weights" / "surrogate-fid-inception.pth"
    if not path.exists():
        print(f"skipping surrogate_inception_expected.json: {path} not found")
        return
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    sd = torch.load(path, map_location="cpu")
    samples = {}
    for name in ["Conv2d_1a_3x3.conv.weight", "Conv2d_1a_3x3.bn.running_var", "fc.weight", "fc.bias",
                 "Mixed_7c.branch_pool.conv.weight", "Mixed_7c.branch_pool.bn.running_mean"]:
        flat = sd[name].reshape(-1)
        n = flat.numel()
        idx = sorted({0, 1, n // 3, n // 2, n - 1, (n * 7919) // 10007})
        samples[name] = {
            "values": [[i, flat[i].item()] for i in idx],
            "sum": flat.double().sum().item(),
        }
    out = {
        "file": "weights/surrogate-fid-inception.pth",
        "sha256": sha,
        "torch_version": torch.__version__,
        "count": len(sd),
        "tensors": [[k, str(v.dtype).replace("torch.", ""), list(v.shape)] for k, v in sd.items()],
        "samples": samples,
    }
    (HERE / "surrogate_inception_expected.json").write_text(dump(out))


def main():
    shared = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[4] / "shared"
    sd = small_state_dict()
    torch.save(sd, HERE / "small_zip.pth")
    torch.save(sd, HERE / "small_legacy.pth", _use_new_zipfile_serialization=False)
    torch.save(sd, HERE / "small_proto4_zip.pth", pickle_protocol=4)
    (HERE / "small_expected.json").write_text(dump(describe(sd)))

    torch.save({"state_dict": sd, "epoch": 3, "optimizer": {"lr": 0.1}},
               HERE / "nested_checkpoint.pth")
    torch.save(nn.Linear(2, 2), HERE / "full_model.pth")
    torch.save({"w": torch.ones(2), "x": Evil(os.system, "true")}, HERE / "posix_system_zip.pth")
    torch.save({"w": torch.ones(2), "x": Evil(eval, "1+1")}, HERE / "builtins_eval_legacy.pth",
               _use_new_zipfile_serialization=False)
    torch.save({"w": torch.ones(2, dtype=torch.bfloat16)}, HERE / "bfloat16.pth")

    rezip(HERE / "small_zip.pth", HERE / "compressed_zip.pth",
          lambda name, data: (name, data, zipfile.ZIP_DEFLATED))
    with zipfile.ZipFile(HERE / "small_zip.pth") as z:
        records = [i for i in z.infolist() if "/data/" in i.filename]
        largest = max(records, key=lambda i: i.file_size).filename
    rezip(HERE / "small_zip.pth", HERE / "short_record_zip.pth",
          lambda name, data: (name, data[:-4] if name == largest else data, zipfile.ZIP_STORED))
    with zipfile.ZipFile(HERE / "no_data_pkl.zip", "w") as z:
        z.writestr("archive/readme.txt", "not a checkpoint\n")
        z.writestr("archive/version", "3\n")
    torch.jit.save(torch.jit.script(nn.Linear(2, 2)), HERE / "torchscript.pt")

    golden(shared)
    print(f"wrote fixtures to {HERE} with torch {torch.__version__}")


if __name__ == "__main__":
    main()
