// `random-cnn`: a small convolutional network with seeded random weights, a random-embedding
// feature space (cf. "random network features" baselines in the evaluation literature) that needs
// no download, and the proof that the LibTorch path works end to end.
//
// Architecture v1 (changing it bumps the version in the identity string):
//   input: RGB8/255 -> PyTorch bilinear (align_corners=False) to S x S -> 2x - 1
//   conv3x3(3 -> w, stride 1) ReLU, conv3x3(w -> 2w, s2) ReLU, conv3x3(2w -> 4w, s2) ReLU,
//   conv3x3(4w -> 8w, s2) ReLU, global average pool (8w), linear(8w -> dim), no activation.
// Weights: He-normal N(0, 2/fan_in) for convolutions, N(0, 1/fan_in) for the projection, zero
// biases, all drawn from gensweep's own Rng (stream = layer index) in double and rounded to
// float32, so every machine and LibTorch version builds bit-identical weights.
#include "random_cnn_backbone.h"

#include <torch/torch.h>

#include <cstring>

#include "gensweep/core/error.h"
#include "gensweep/core/random.h"
#include "gensweep/core/sha256.h"
#include "gensweep/io/resize.h"
#include "torch_device.h"

namespace gensweep::features {
namespace {

torch::Tensor seeded_normal(std::vector<std::int64_t> shape, double stddev, std::uint64_t seed,
                            std::uint64_t stream) {
  std::int64_t count = 1;
  for (auto s : shape)
    count *= s;
  std::vector<float> values(static_cast<std::size_t>(count));
  Rng rng(seed, stream);
  for (auto& v : values)
    v = static_cast<float>(rng.normal() * stddev);
  return torch::from_blob(values.data(), shape, torch::kFloat32).clone();
}

class RandomCnnBackbone final : public Backbone {
 public:
  RandomCnnBackbone(const std::string& id, const RandomCnnOptions& o, const DeviceOptions& d)
      : options_(o), device_(resolve_device(d)) {
    info_.id = id;
    info_.kind = "random-cnn";
    info_.dim = o.dim;
    info_.input_size = 3LL * o.input_size * o.input_size;
    info_.preprocessing = fmt::format(
        "rgb8/255 -> bilinear(torch, align_corners=False) {0}x{0} -> 2x-1 -> chw", o.input_size);
    info_.identity = sha256_hex(fmt::format("random-cnn/v1;dim={};seed={};input_size={};width={}",
                                            o.dim, o.seed, o.input_size, o.width));
    info_.device = device_.str();
    build_weights();
  }
  const BackboneInfo& info() const override { return info_; }

  void preprocess(const io::Image& image, float* out) const override {
    io::FloatImage resized = io::resize_bilinear_torch(io::to_float_chw(image), options_.input_size,
                                                       options_.input_size);
    const std::size_t n = resized.data.size();
    for (std::size_t i = 0; i < n; ++i)
      out[i] = resized.data[i] * 2.0f - 1.0f;
  }

  void forward(const float* inputs, std::int64_t n, float* out) const override {
    torch::InferenceMode guard;
    const int s = options_.input_size;
    torch::Tensor x =
        torch::from_blob(const_cast<float*>(inputs), {n, 3, s, s}, torch::kFloat32).to(device_);
    for (std::size_t layer = 0; layer < conv_weights_.size(); ++layer) {
      const int stride = layer == 0 ? 1 : 2;
      x = torch::relu(torch::conv2d(x, conv_weights_[layer], conv_biases_[layer], stride, 1));
    }
    x = x.mean({2, 3});
    x = torch::linear(x, fc_weight_, fc_bias_).to(torch::kCPU).contiguous();
    std::memcpy(out, x.data_ptr<float>(), sizeof(float) * static_cast<std::size_t>(n * info_.dim));
  }

 private:
  void build_weights() {
    const std::int64_t w = options_.width;
    const std::int64_t channels[] = {3, w, 2 * w, 4 * w, 8 * w};
    for (int layer = 0; layer < 4; ++layer) {
      const std::int64_t in = channels[layer], out = channels[layer + 1];
      const double fan_in = static_cast<double>(in * 9);
      conv_weights_.push_back(
          seeded_normal({out, in, 3, 3}, std::sqrt(2.0 / fan_in), options_.seed, layer)
              .to(device_));
      conv_biases_.push_back(torch::zeros({out}).to(device_));
    }
    fc_weight_ = seeded_normal({options_.dim, 8 * w}, std::sqrt(1.0 / (8.0 * w)), options_.seed, 4)
                     .to(device_);
    fc_bias_ = torch::zeros({options_.dim}).to(device_);
  }

  RandomCnnOptions options_;
  torch::Device device_;
  BackboneInfo info_;
  std::vector<torch::Tensor> conv_weights_, conv_biases_;
  torch::Tensor fc_weight_, fc_bias_;
};

}  // namespace

std::unique_ptr<Backbone> make_random_cnn_backbone(const std::string& id,
                                                   const RandomCnnOptions& options,
                                                   const DeviceOptions& device) {
  return std::make_unique<RandomCnnBackbone>(id, options, device);
}

}  // namespace gensweep::features
