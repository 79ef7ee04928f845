#!/usr/bin/env python3
"""Export real feature networks as TorchScript files and write gensweep presets for them.

gensweep never downloads weights and runs no Python: its `torchscript` backbone kind loads a file
written by torch.jit.save with LibTorch's torch::jit::load, which runs the same graph as Python.
This script is the one place with network access and PyTorch: run it once on a machine that has
both, copy the files where your jobs can read them, and use the presets it writes.

    python3 scripts/export_backbones.py --out /data/weights                 # everything
    python3 scripts/export_backbones.py --out /data/weights --only clip-vit-b32 dinov2-vit-l14
    python3 scripts/export_backbones.py --out /tmp/w --random-init 1 --only vgg16-fc2

--random-init SEED exports the torchvision networks (vgg16-fc2, inception-v3, vit-b16) with seeded
random weights instead of downloaded ones, through the same code paths: the tests use it to check,
offline, that gensweep runs each exported network with its preset's preprocessing as PyTorch does.

Needs: torch, torchvision; `clip` (github.com/openai/CLIP) or `open_clip_torch` for CLIP;
torch.hub access to facebookresearch/dinov2 for DINOv2. Each exporter is skipped, with the reason,
when its package is missing. Nothing here runs in tests or CI.

Every exported module's forward() takes the batch exactly as gensweep preprocesses it (NCHW
float32, the preprocessing written into its preset, mirroring the reference pipeline in
shared/spec/METRICS.md section 1) and returns the [n, D] embedding. The presets go to
configs/backbones.local.toml (or --presets): point a job's `[job] presets` at that file, or copy
its tables into your configs/backbones.toml. Each preset pins the file's sha256.
"""

import argparse
import hashlib
import os
import sys
import textwrap
import urllib.request

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
NVIDIA_INCEPTION_URL = (
    "https://nvlabs-fi-cdn.nvidia.com/stylegan2-ada-pytorch/pretrained/metrics/"
    "inception-2015-12-05.pt"
)


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save(module, example, path, trace):
    """Scripts (or traces: ViTs with Python-side shape logic) and saves; checks the reload."""
    import torch

    module = module.eval()
    with torch.no_grad():
        scripted = torch.jit.trace(module, example) if trace else torch.jit.script(module)
        scripted.save(path)
        expected = module(example)
        again = torch.jit.load(path)(example)
    if not torch.allclose(expected, again, rtol=1e-5, atol=1e-5):
        raise RuntimeError(f"{path}: the saved module does not reproduce the Python one")
    return expected.shape[1]


# --- CLIP (METRICS.md 1.7) ---------------------------------------------------------------------


def load_clip(name):
    """OpenAI's `clip` package when installed (clean-fid uses it), else open_clip's OpenAI weights."""
    try:
        import clip

        # jit=False: OpenAI's own TorchScript build is fp16 on CUDA; export the float32 eager model.
        model, _ = clip.load(name, device="cpu", jit=False)
    except ImportError:
        import open_clip

        names = {"ViT-B/32": "ViT-B-32", "ViT-L/14": "ViT-L-14", "ViT-L/14@336px": "ViT-L-14-336"}
        model, _, _ = open_clip.create_model_and_transforms(names[name], pretrained="openai")
    return model.float()


def clip_module(name, l2_normalize):
    import torch

    class ClipImage(torch.nn.Module):
        def __init__(self, model, normalize):
            super().__init__()
            self.model = model
            self.normalize = normalize

        def forward(self, x):
            f = self.model.encode_image(x).float()
            if self.normalize:
                f = f / f.norm(dim=-1, keepdim=True)
            return f

    return ClipImage(load_clip(name), l2_normalize)


def clip_exporter(name, size, l2_normalize, crop, about):
    def export(out_dir, file_name):
        import torch

        path = os.path.join(out_dir, file_name)
        dim = save(clip_module(name, l2_normalize), torch.zeros(2, 3, size, size), path, True)
        return path, {
            "about": about,
            "dim": dim,
            "input_size": size,
            "resize": "pil-bicubic-u8",
            "crop": crop,
            "input_range": "unit",
            "mean": CLIP_MEAN,
            "std": CLIP_STD,
        }

    return export


# --- DINOv2 (METRICS.md 1.8) -------------------------------------------------------------------


def export_dinov2(out_dir, file_name):
    import torch

    # forward() is the final-LayerNorm CLS token, dgm-eval's feature.
    model = torch.hub.load("facebookresearch/dinov2", "dinov2_vitl14")
    path = os.path.join(out_dir, file_name)
    dim = save(model, torch.zeros(2, 3, 224, 224), path, True)
    return path, {
        "about": "dgm-eval's DINOv2 ViT-L/14: Resize((224, 224), BICUBIC) on the PIL image (aspect "
        "ratio not kept), ToTensor, ImageNet mean/std; CLS token after the final LayerNorm",
        "dim": dim,
        "input_size": 224,
        "resize": "pil-bicubic-u8",
        "crop": "none",
        "input_range": "unit",
        "mean": IMAGENET_MEAN,
        "std": IMAGENET_STD,
    }


# --- torchvision networks: VGG16 fc2 (METRICS.md 1.6), Inception-v3, ViT-B/16 ----------------

# Set by --random-init: the seed of the random weights the torchvision exporters use instead of
# downloading the published ones (None: the published weights).
RANDOM_INIT_SEED = None


def torchvision_weights(published):
    """The published weights enum, or None (random init, seeded) under --random-init."""
    if RANDOM_INIT_SEED is None:
        return published
    import torch

    torch.manual_seed(RANDOM_INIT_SEED)
    return None


def export_vgg16(out_dir, file_name):
    import torch
    import torchvision

    class Vgg16Fc2(torch.nn.Module):
        def __init__(self):
            super().__init__()
            vgg = torchvision.models.vgg16(
                weights=torchvision_weights(torchvision.models.VGG16_Weights.IMAGENET1K_V1)
            )
            self.features = vgg.features
            self.avgpool = vgg.avgpool
            # fc1, ReLU, Dropout (identity in eval), fc2, ReLU: the 4096-d fc2 after ReLU.
            self.fc = vgg.classifier[:5]

        def forward(self, x):
            return self.fc(torch.flatten(self.avgpool(self.features(x)), 1))

    path = os.path.join(out_dir, file_name)
    dim = save(Vgg16Fc2(), torch.zeros(2, 3, 224, 224), path, False)
    return path, {
        "about": "torchvision VGG16 (IMAGENET1K_V1) fc2 after ReLU, as the Rarity-score / IPR "
        "code computes it: PIL bicubic to 224 x 224, ToTensor, ImageNet mean/std",
        "dim": dim,
        "input_size": 224,
        "resize": "pil-bicubic-u8",
        "crop": "none",
        "input_range": "unit",
        "mean": IMAGENET_MEAN,
        "std": IMAGENET_STD,
    }


def export_inception_v3(out_dir, file_name):
    import torch
    import torchvision

    # The 2048-d average-pooled features before the classifier; the published weights expect
    # transform_input=False inputs normalized with ImageNet's mean and std.
    model = torchvision.models.inception_v3(
        weights=torchvision_weights(torchvision.models.Inception_V3_Weights.IMAGENET1K_V1),
        aux_logits=True,
        init_weights=RANDOM_INIT_SEED is not None,
    )
    model.transform_input = False
    model.fc = torch.nn.Identity()
    path = os.path.join(out_dir, file_name)
    dim = save(model, torch.zeros(2, 3, 299, 299), path, True)
    return path, {
        "about": "torchvision Inception-v3 (IMAGENET1K_V1) pool features (2048-d, before fc): PIL "
        "bicubic to 299 x 299, ToTensor, ImageNet mean/std",
        "dim": dim,
        "input_size": 299,
        "resize": "pil-bicubic-u8",
        "crop": "none",
        "input_range": "unit",
        "mean": IMAGENET_MEAN,
        "std": IMAGENET_STD,
    }


def export_vit_b16(out_dir, file_name):
    import torch
    import torchvision

    # The class token after the final LayerNorm (768-d): the classification head removed.
    model = torchvision.models.vit_b_16(
        weights=torchvision_weights(torchvision.models.ViT_B_16_Weights.IMAGENET1K_V1)
    )
    model.heads = torch.nn.Identity()
    path = os.path.join(out_dir, file_name)
    dim = save(model, torch.zeros(2, 3, 224, 224), path, True)
    return path, {
        "about": "torchvision ViT-B/16 (IMAGENET1K_V1) class token after the final LayerNorm "
        "(768-d): PIL bicubic to 224 x 224, ToTensor, ImageNet mean/std",
        "dim": dim,
        "input_size": 224,
        "resize": "pil-bicubic-u8",
        "crop": "none",
        "input_range": "unit",
        "mean": IMAGENET_MEAN,
        "std": IMAGENET_STD,
    }


# --- NVIDIA's TorchScript Inception (METRICS.md 1.3, 1.5) --------------------------------------


def fetch_nvidia_inception(out_dir):
    path = os.path.join(out_dir, "inception-2015-12-05.pt")
    if not os.path.exists(path):
        print(f"downloading {NVIDIA_INCEPTION_URL}", file=sys.stderr)
        urllib.request.urlretrieve(NVIDIA_INCEPTION_URL, path + ".part")
        os.replace(path + ".part", path)
    return path


def export_nvidia_legacy(out_dir, file_name):
    # Already TorchScript: used as published, so its sha256 is NVIDIA's file's.
    del file_name
    path = fetch_nvidia_inception(out_dir)
    return path, {
        "about": "NVIDIA's inception-2015-12-05.pt as StyleGAN2-ADA / clean-fid legacy_tensorflow "
        "run it: raw 0..255 values at the images' own size, the network's TF1-bilinear resize to "
        "299 and (x - 128) / 128 inside, pool3 with return_features=True. Images must all be "
        "input_size x input_size: set input_size to your datasets' resolution.",
        "dim": 2048,
        "input_size": 256,
        "resize": "none",
        "crop": "none",
        "input_range": "byte",
        "mean": [0.0, 0.0, 0.0],
        "std": [1.0, 1.0, 1.0],
        "forward_args": [("return_features", True)],
    }


def export_nvidia_clean(out_dir, file_name):
    import torch

    base = torch.jit.load(fetch_nvidia_inception(out_dir)).eval()

    class CleanFidInception(torch.nn.Module):
        # clean-fid's "clean" extractor: the image arrives already resized (PIL float bicubic to
        # 299, clipped, not quantized); (x - 128) / 128, then the conv trunk only, bypassing the
        # network's own resize.
        def __init__(self):
            super().__init__()
            self.layers = base.layers

        def forward(self, x):
            x = (x - 128) / 128
            return self.layers(x).view(x.shape[0], 2048)

    path = os.path.join(out_dir, file_name)
    dim = save(CleanFidInception(), torch.full((2, 3, 299, 299), 128.0), path, False)
    return path, {
        "about": "clean-fid's default \"clean\" mode: PIL bicubic in float (mode 'F') on 0..255 "
        "values to 299 x 299, clipped, not quantized; NVIDIA's Inception trunk, pool3",
        "dim": dim,
        "input_size": 299,
        "resize": "pil-bicubic",
        "crop": "none",
        "input_range": "byte",
        "mean": [0.0, 0.0, 0.0],
        "std": [1.0, 1.0, 1.0],
    }


# name: (file name, exporter)
EXPORTERS = {
    "clip-vit-b32": (
        "clip-vit-b32.pt",
        clip_exporter(
            "ViT-B/32",
            224,
            False,
            "shorter-side",
            "clean-fid's CLIP-FID: OpenAI CLIP ViT-B/32 encode_image (512-d, projected, not "
            "normalized); Resize(224, BICUBIC) on the shorter side, CenterCrop(224), CLIP mean/std",
        ),
    ),
    "clip-vit-l14": (
        "clip-vit-l14.pt",
        clip_exporter(
            "ViT-L/14",
            224,
            False,
            "shorter-side",
            "OpenAI CLIP ViT-L/14 encode_image (768-d, projected, not normalized); Resize(224, "
            "BICUBIC) on the shorter side, CenterCrop(224), CLIP mean/std",
        ),
    ),
    "clip-vit-l14-336": (
        "clip-vit-l14-336.pt",
        clip_exporter(
            "ViT-L/14@336px",
            336,
            True,
            "center",
            "CMMD's CLIP ViT-L/14@336px: central square crop, PIL bicubic (8-bit) to 336 x 336, "
            "/255, CLIP mean/std; the 768-d embedding L2-normalized",
        ),
    ),
    "dinov2-vit-l14": ("dinov2-vit-l14.pt", export_dinov2),
    "vgg16-fc2": ("vgg16-fc2.pt", export_vgg16),
    "inception-v3": ("inception-v3.pt", export_inception_v3),
    "vit-b16": ("vit-b16.pt", export_vit_b16),
    "nvidia-inception-legacy": ("inception-2015-12-05.pt", export_nvidia_legacy),
    "nvidia-inception-clean": ("nvidia-inception-clean.pt", export_nvidia_clean),
}


# The exporters whose networks torchvision builds, so that --random-init can stand in for weights.
RANDOM_INIT_EXPORTERS = ["vgg16-fc2", "inception-v3", "vit-b16"]


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(v)


def preset_text(name, path, digest, p):
    lines = [f"[presets.{name}]"]
    lines += ["# " + line for line in textwrap.wrap(p["about"], 96)]
    lines += [
        'kind = "torchscript"',
        f"weights = {toml_value(os.path.abspath(path))}",
        f'sha256 = "{digest}"',
        'output = ""',
        f"dim = {p['dim']}",
        f"input_size = {p['input_size']}",
        f'resize = "{p["resize"]}"',
        f'crop = "{p["crop"]}"',
        f'input_range = "{p["input_range"]}"',
        "mean = [" + ", ".join(toml_value(float(m)) for m in p["mean"]) + "]",
        "std = [" + ", ".join(toml_value(float(s)) for s in p["std"]) + "]",
    ]
    args = p.get("forward_args", [])
    if args:
        items = [f"{{ {k} = {toml_value(v)} }}" if k else toml_value(v) for k, v in args]
        lines.append("forward_args = [" + ", ".join(items) + "]")
    return "\n".join(lines) + "\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="directory for the TorchScript files")
    parser.add_argument(
        "--presets",
        default=os.path.join(here, "..", "configs", "backbones.local.toml"),
        help="presets file to write (default: configs/backbones.local.toml)",
    )
    parser.add_argument("--only", nargs="+", choices=sorted(EXPORTERS), help="export only these")
    parser.add_argument(
        "--random-init",
        type=int,
        metavar="SEED",
        help="torchvision networks with seeded random weights (no download; for tests)",
    )
    args = parser.parse_args()
    global RANDOM_INIT_SEED
    RANDOM_INIT_SEED = args.random_init
    if RANDOM_INIT_SEED is not None:
        unsupported = [n for n in args.only or EXPORTERS if n not in RANDOM_INIT_EXPORTERS]
        if unsupported:
            parser.error(
                "--random-init applies to " + ", ".join(RANDOM_INIT_EXPORTERS) + "; not to "
                + ", ".join(unsupported) + " (give --only)"
            )

    os.makedirs(args.out, exist_ok=True)
    blocks, failed = [], []
    for name in args.only or EXPORTERS:
        file_name, export = EXPORTERS[name]
        try:
            path, preset = export(args.out, file_name)
        except ImportError as e:
            print(f"{name}: skipped ({e})", file=sys.stderr)
            failed.append(name)
            continue
        digest = sha256_of(path)
        print(f"{name}: {path} sha256 {digest} dim {preset['dim']}", file=sys.stderr)
        blocks.append(preset_text(name, path, digest, preset))

    header = (
        "# Written by scripts/export_backbones.py: presets for the exported TorchScript files.\n"
        "# Use it as a job's presets file (`[job] presets = \"<this file>\"`), or copy the tables\n"
        "# into configs/backbones.toml. Each pins its file's sha256.\n\n"
    )
    with open(args.presets, "w") as f:
        f.write(header + "\n".join(blocks))
    print(f"wrote {len(blocks)} presets to {os.path.abspath(args.presets)}", file=sys.stderr)
    return 1 if failed and not blocks else 0


if __name__ == "__main__":
    sys.exit(main())
