#pragma once
// [[backbones]] entries: feature spaces. Each kind has a typed parameter struct; defaults and
// bounds sit next to each field and the loader enforces exactly these. Building the networks is the
// features module's job: config only says what was asked for.

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gensweep/config/source_location.h"

namespace gensweep::config {

// How an image is brought to a network's input size (see shared/spec/METRICS.md section 1.5).
enum class ResizeFilter {
  kPytorchBilinear,  // "pytorch-bilinear": F.interpolate(bilinear, align_corners=False), no
                     // antialias
  kTf1Bilinear,      // "tf1-bilinear": TF1 resize_bilinear (src = dst * in/out), edge clamped
  kPilBicubic,       // "pil-bicubic": PIL bicubic in float (clean-fid "clean"), antialiased
  kArea,             // "area": box average over the covered source pixels
  // torchscript only:
  kPilBicubicU8,  // "pil-bicubic-u8": PIL bicubic on the 8-bit image (CLIP, CMMD, dgm-eval)
  kNone,          // "none": no resize; images must already be input_size x input_size
};
std::string_view resize_filter_name(ResizeFilter filter);

// kind = "pixels": the image itself as a feature (no download, no network).
struct PixelsParams {
  static constexpr std::string_view kKind = "pixels";
  static constexpr int kMinSize = 1;
  static constexpr int kMaxSize = 1024;
  int size = 32;  // 1..1024: area-resize to size x size, RGB in [0,1], flattened
  int dim() const { return 3 * size * size; }
};

// kind = "random-cnn": a seeded random convolutional embedding (random features are a feature
// space too, and need no download).
struct RandomCnnParams {
  static constexpr std::string_view kKind = "random-cnn";
  static constexpr int kMinDim = 1, kMaxDim = 65536;
  static constexpr int kMinInputSize = 16, kMaxInputSize = 1024;
  static constexpr int kMinWidth = 1, kMaxWidth = 1024;
  int dim = 512;           // 1..65536: output dimension
  std::uint64_t seed = 0;  // 0..2^63-1: weight initialisation seed
  int input_size = 64;     // 16..1024: images are area-resized to input_size x input_size
  int width = 32;          // 1..1024: channels of the first convolution
};

// kind = "external": a feature space gensweep cannot compute; its features come only from
// `features` datasets.
struct ExternalParams {
  static constexpr std::string_view kKind = "external";
  static constexpr int kMinDim = 1, kMaxDim = 1 << 20;
  std::optional<int> dim;  // 1..1048576: when given, feature files must have this many columns
};

// kind = "fid-inception": the FID Inception-v3 of pytorch-fid, loaded from its weights file.
struct FidInceptionParams {
  static constexpr std::string_view kKind = "fid-inception";
  // torch-fidelity's names: pytorch-fid's --dims blocks, and the 1008-way logits with and without
  // the output bias (Inception Score uses logits_unbiased).
  static constexpr std::array<std::string_view, 6> kLayers = {"64",   "192",    "768",
                                                              "2048", "logits", "logits_unbiased"};
  std::filesystem::path weights;      // required; absolute; an existing file
  std::optional<std::string> sha256;  // 64 hex digits (stored lowercase); checked when loading
  std::string layer = "2048";         // one of kLayers
  ResizeFilter resize = ResizeFilter::kPytorchBilinear;  // to 299 x 299; pytorch-fid's is default
  int dim() const;                                       // 64, 192, 768, 2048 or 1008
};

// kind = "torchscript": any exported network, with its preprocessing declared here.
enum class CropPolicy {
  kNone,         // "none": resize the whole image (aspect ratio not kept)
  kCenter,       // "center": crop the central square first
  kShorterSide,  // "shorter-side": torchvision Resize(input_size) on the shorter side, then
                 // CenterCrop(input_size) (CLIP's and dgm-eval's preprocessing)
};
enum class InputRange {
  kUnit,  // "unit": values in [0, 1] before mean/std
  kByte,  // "byte": values in [0, 255] before mean/std
};
std::string_view crop_policy_name(CropPolicy crop);
std::string_view input_range_name(InputRange range);

// An extra argument of forward() after the image batch: positional when name is empty, else by
// keyword. TOML: `forward_args = [true, { return_features = true }]`.
struct ForwardArg {
  std::string name;
  std::variant<bool, std::int64_t, double> value;
  bool operator==(const ForwardArg&) const = default;
};

struct TorchscriptParams {
  static constexpr std::string_view kKind = "torchscript";
  static constexpr int kMinInputSize = 1, kMaxInputSize = 4096;
  static constexpr int kMinDim = 1, kMaxDim = 1 << 20;
  std::filesystem::path weights;      // required; absolute; an existing TorchScript file
  std::optional<std::string> sha256;  // 64 hex digits (stored lowercase); checked when loading
  std::string output;      // "" = forward()'s tensor; else a dict output's key or a tuple's index
  std::optional<int> dim;  // 1..1048576: expected output dimension, when known
  int input_size = 224;    // 1..4096: square network input
  ResizeFilter resize = ResizeFilter::kPilBicubic;
  CropPolicy crop = CropPolicy::kNone;
  InputRange input_range = InputRange::kUnit;
  std::array<double, 3> mean = {0.0, 0.0, 0.0};  // finite: subtracted per channel
  std::array<double, 3> std = {1.0, 1.0, 1.0};   // finite, > 0: divides per channel
  std::vector<ForwardArg> forward_args;          // positional ones first; names unique
};

using BackboneParams = std::variant<PixelsParams, RandomCnnParams, ExternalParams,
                                    FidInceptionParams, TorchscriptParams>;

struct BackboneConfig {
  std::string id;  // a valid name, unique among backbones
  // The preset this backbone was built from ("" when inline). Informative only: the resolved
  // params are what count, so it is not part of the canonical form.
  std::string preset;
  BackboneParams params;
  SourceLocation where;  // the [[backbones]] header

  std::string_view kind() const;
  bool is_external() const { return std::holds_alternative<ExternalParams>(params); }
  // The feature dimension when it is known without loading anything.
  std::optional<int> dim() const;
};

// Every backbone kind the job format knows, in documentation order.
struct BackboneKind {
  std::string_view name;
  std::string_view description;
};
std::span<const BackboneKind> backbone_kinds();

}  // namespace gensweep::config
