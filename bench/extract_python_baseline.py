#!/usr/bin/python3
"""The Python baseline of bench/run_extract_python_bench.sh: FID Inception features of image files
with PyTorch eager, as users of pytorch-fid run it.

  extract_python_baseline.py --images DIR --count N --batch B --threads T --out FEATURES.npy

torchvision's Inception-v3 (the network pytorch-fid patches: the same layers, shapes and cost;
random initialisation, since only the time is compared), eval mode, run up to pool3 (fc replaced
by the identity, as pytorch-fid takes the 2048-d pool3 output), under torch.no_grad(). Inputs as
pytorch-fid's get_activations makes them: PIL decoding with convert('RGB'), ToTensor, batches of B
images stacked by a DataLoader (in-process: decoding 32 x 32 PNGs is a fraction of a per cent of
the time), F.interpolate bilinear (align_corners=False) to 299 x 299, then 2x - 1. Features are
written to FEATURES.npy, as pytorch-fid's `--save-stats` path writes its arrays.

Prints one JSON line: images, seconds of the feature loop and of the whole script after imports.
The allocator is whatever the environment gives the interpreter (the runner sets MALLOC_* or
nothing); torch.set_num_threads(T) and one inter-op thread, as gensweep runs.
"""
import argparse
import json
import pathlib
import time

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
import torchvision.transforms.functional as TF
from PIL import Image


class ImageFiles(torch.utils.data.Dataset):
    def __init__(self, paths):
        self.paths = paths

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return TF.to_tensor(Image.open(self.paths[i]).convert("RGB"))


def main():
    start = time.perf_counter()
    p = argparse.ArgumentParser()
    p.add_argument("--images", required=True, type=pathlib.Path)
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--batch", type=int, default=50)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", required=True, type=pathlib.Path)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)

    paths = sorted(a.images.glob("*.png"))[: a.count]
    assert len(paths) == a.count, f"{a.images}: {len(paths)} PNG files, {a.count} wanted"
    model = torchvision.models.inception_v3(
        weights=None, aux_logits=False, init_weights=False, transform_input=False
    )
    model.fc = torch.nn.Identity()
    model.eval()
    loader = torch.utils.data.DataLoader(
        ImageFiles(paths), batch_size=a.batch, shuffle=False, drop_last=False, num_workers=0
    )

    features = np.empty((len(paths), 2048), dtype=np.float32)
    loop_start = time.perf_counter()
    row = 0
    with torch.no_grad():
        for batch in loader:
            x = F.interpolate(batch, size=(299, 299), mode="bilinear", align_corners=False)
            x = 2 * x - 1
            y = model(x)
            features[row : row + y.shape[0]] = y.numpy()
            row += y.shape[0]
    loop_seconds = time.perf_counter() - loop_start
    np.save(a.out, features)
    print(
        json.dumps(
            {
                "images": row,
                "loop_seconds": round(loop_seconds, 3),
                "script_seconds": round(time.perf_counter() - start, 3),
                "torch": torch.__version__,
                "torchvision": torchvision.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
