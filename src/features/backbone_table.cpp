// The backbone table: every kind a job file may name, with its factory. Plain table, no
// self-registration (see STYLE.md).
#include "fid_inception_backbone.h"
#include "gensweep/core/error.h"
#include "gensweep/features/backbone.h"
#include "pixels_backbone.h"
#include "random_cnn_backbone.h"
#include "torch_runtime.h"
#include "torchscript_backbone.h"

namespace gensweep::features {

const std::vector<BackboneKind>& backbone_kinds() {
  static const std::vector<BackboneKind> kinds = {
      {"pixels", "raw pixels, area-downsampled to size x size, RGB in [0,1]"},
      {"random-cnn", "seeded random convolutional network (LibTorch); random-embedding features"},
      {"fid-inception", "pytorch-fid's FID Inception-v3 (LibTorch), from its weights file"},
      {"torchscript", "an exported TorchScript network (LibTorch) with declared preprocessing"},
      {"external", "features computed elsewhere, given by `features` datasets"},
  };
  return kinds;
}

std::unique_ptr<Backbone> make_backbone(const std::string& id, const BackboneOptions& options,
                                        const DeviceOptions& device) {
  configure_torch_threads(device.threads);
  if (const auto* p = std::get_if<PixelsOptions>(&options)) return make_pixels_backbone(id, *p);
  if (const auto* r = std::get_if<RandomCnnOptions>(&options)) {
    return make_random_cnn_backbone(id, *r, device);
  }
  if (const auto* f = std::get_if<FidInceptionOptions>(&options)) {
    return make_fid_inception_backbone(id, *f, device);
  }
  if (const auto* t = std::get_if<TorchscriptOptions>(&options)) {
    return make_torchscript_backbone(id, *t, device);
  }
  GENSWEEP_ASSERT(false, "unhandled backbone options for '{}'", id);
}

}  // namespace gensweep::features
