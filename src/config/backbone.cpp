#include "gensweep/config/backbone.h"

#include <array>

namespace gensweep::config {

std::string_view resize_filter_name(ResizeFilter filter) {
  switch (filter) {
    case ResizeFilter::kPytorchBilinear:
      return "pytorch-bilinear";
    case ResizeFilter::kTf1Bilinear:
      return "tf1-bilinear";
    case ResizeFilter::kPilBicubic:
      return "pil-bicubic";
    case ResizeFilter::kArea:
      return "area";
    case ResizeFilter::kPilBicubicU8:
      return "pil-bicubic-u8";
    case ResizeFilter::kNone:
      return "none";
  }
  return "?";
}

std::string_view crop_policy_name(CropPolicy crop) {
  switch (crop) {
    case CropPolicy::kCenter:
      return "center";
    case CropPolicy::kShorterSide:
      return "shorter-side";
    case CropPolicy::kNone:
      break;
  }
  return "none";
}

std::string_view input_range_name(InputRange range) {
  return range == InputRange::kByte ? "byte" : "unit";
}

int FidInceptionParams::dim() const {
  if (layer == "64") return 64;
  if (layer == "192") return 192;
  if (layer == "768") return 768;
  if (layer == "2048") return 2048;
  return 1008;  // logits, logits_unbiased: the TF graph's 1008 classes
}

std::string_view BackboneConfig::kind() const {
  return std::visit([](const auto& p) { return p.kKind; }, params);
}

std::optional<int> BackboneConfig::dim() const {
  struct Visitor {
    std::optional<int> operator()(const PixelsParams& p) const { return p.dim(); }
    std::optional<int> operator()(const RandomCnnParams& p) const { return p.dim; }
    std::optional<int> operator()(const ExternalParams& p) const { return p.dim; }
    std::optional<int> operator()(const FidInceptionParams& p) const { return p.dim(); }
    std::optional<int> operator()(const TorchscriptParams& p) const { return p.dim; }
  };
  return std::visit(Visitor{}, params);
}

std::span<const BackboneKind> backbone_kinds() {
  // In the order of the BackboneParams alternatives.
  static constexpr std::array<BackboneKind, 5> kKinds = {{
      {PixelsParams::kKind, "raw pixels, area-resized to size x size, RGB in [0,1], flattened"},
      {RandomCnnParams::kKind, "a seeded random convolutional embedding (no weights needed)"},
      {ExternalParams::kKind, "features computed elsewhere, read from features datasets only"},
      {FidInceptionParams::kKind, "pytorch-fid's FID Inception-v3, from its weights file"},
      {TorchscriptParams::kKind, "an exported TorchScript network with declared preprocessing"},
  }};
  return kKinds;
}

}  // namespace gensweep::config
