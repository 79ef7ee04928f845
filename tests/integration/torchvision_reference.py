#!/usr/bin/env python3
"""Exports torchvision networks with seeded random weights through scripts/export_backbones.py's
own exporters (its --random-init path), writes their presets, and computes PyTorch's features of
the first COUNT images of a folder with each preset's preprocessing done as the reference code
does it (PIL bicubic resize of the 8-bit RGB image, ToTensor, mean/std), one .npy per network.

    torchvision_reference.py OUT_DIR IMAGES_DIR COUNT NAME...

Used by torchvision_backbones_test.cpp; needs Debian's python3-torch, -torchvision, -pil.
"""

import importlib.util
import os
import sys

import numpy as np
import torch
from PIL import Image


def load_exporters(repo):
    path = os.path.join(repo, "scripts", "export_backbones.py")
    spec = importlib.util.spec_from_file_location("export_backbones", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def preprocess(path, preset):
    size = preset["input_size"]
    assert preset["resize"] == "pil-bicubic-u8" and preset["crop"] == "none"
    image = Image.open(path).convert("RGB").resize((size, size), Image.BICUBIC)
    x = np.asarray(image, dtype=np.float32) / 255.0  # ToTensor's scaling, HWC
    x = (x - np.array(preset["mean"], dtype=np.float32)) / np.array(preset["std"], dtype=np.float32)
    return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))


def main():
    out_dir, images_dir, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    names = sys.argv[4:]
    torch.set_num_threads(2)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    eb = load_exporters(repo)
    eb.RANDOM_INIT_SEED = 1
    files = sorted(f for f in os.listdir(images_dir) if f.endswith(".png"))[:count]
    blocks = []
    for name in names:
        file_name, export = eb.EXPORTERS[name]
        path, preset = export(out_dir, file_name)
        blocks.append(eb.preset_text(name, path, eb.sha256_of(path), preset))
        module = torch.jit.load(path).eval()
        batch = torch.stack([preprocess(os.path.join(images_dir, f), preset) for f in files])
        with torch.no_grad():
            features = torch.cat([module(batch[i : i + 16]) for i in range(0, len(files), 16)])
        np.save(os.path.join(out_dir, name + ".python.npy"), features.numpy().astype(np.float32))
    with open(os.path.join(out_dir, "presets.toml"), "w") as f:
        f.write("\n".join(blocks))


if __name__ == "__main__":
    main()
