// `pixels`: the raw-pixel feature space. Area downsampling (PyTorch's mode='area') to size x size,
// RGB scaled to [0, 1], flattened channel-major (C, H, W) as torch tensors are.
#include "pixels_backbone.h"

#include <fmt/format.h>

#include <cstring>

#include "gensweep/core/sha256.h"
#include "gensweep/io/resize.h"

namespace gensweep::features {
namespace {

class PixelsBackbone final : public Backbone {
 public:
  PixelsBackbone(const std::string& id, const PixelsOptions& options) : size_(options.size) {
    info_.id = id;
    info_.kind = "pixels";
    info_.dim = 3LL * size_ * size_;
    info_.input_size = info_.dim;
    info_.preprocessing = fmt::format("rgb8/255 -> area {}x{} -> chw", size_, size_);
    info_.identity = sha256_hex(fmt::format("pixels/v1;size={}", size_));
    info_.device = "cpu";
    info_.depends_on_batch = false;  // the preprocessed image is the feature vector
  }
  const BackboneInfo& info() const override { return info_; }

  void preprocess(const io::Image& image, float* out) const override {
    io::FloatImage resized = io::resize_area(io::to_float_chw(image), size_, size_);
    std::memcpy(out, resized.data.data(), sizeof(float) * resized.data.size());
  }

  // The preprocessed image is the feature vector.
  void forward(const float* inputs, std::int64_t n, float* out) const override {
    std::memcpy(out, inputs, sizeof(float) * static_cast<std::size_t>(n * info_.dim));
  }

 private:
  int size_;
  BackboneInfo info_;
};

}  // namespace

std::unique_ptr<Backbone> make_pixels_backbone(const std::string& id,
                                               const PixelsOptions& options) {
  return std::make_unique<PixelsBackbone>(id, options);
}

}  // namespace gensweep::features
