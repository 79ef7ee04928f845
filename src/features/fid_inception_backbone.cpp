// `fid-inception`: pytorch-fid's FIDInceptionA/C/E_1/E_2 patches of torchvision's Inception3
// (METRICS.md §1.2), written out op by op so that pytorch-fid's weights load from its state dict
// by name. Architecture v1 (changing it bumps the version in the identity string):
//   input, resize = pytorch-bilinear (pytorch-fid): RGB8/255 -> PyTorch bilinear
//          (align_corners=False) to 299x299, even at 299 -> 2x - 1
//   input, resize = tf1-bilinear (torch-fidelity): RGB8 as 0..255 floats -> TF1 bilinear
//          (torch-fidelity's emulation) to 299x299 -> (x - 128) / 128
//   BasicConv2d = conv (no bias) -> batch norm (eps 1e-3, running statistics) -> ReLU
//   Conv2d_1a_3x3 (s2), 2a, 2b (pad 1), max pool 3/2          -> "64" (global average)
//   Conv2d_3b_1x1, 4a_3x3, max pool 3/2                        -> "192"
//   Mixed_5b/5c/5d (A), 6a (B), 6b-6e (C)                      -> "768"
//   Mixed_7a (D), 7b (E_1), 7c (E_2), adaptive average pool    -> "2048" (pool3)
//   fc 2048 -> 1008                                            -> "logits", "logits_unbiased"
// The FID patches: A, C and E_1 average-pool their pool branch over 3x3 with stride 1, padding 1,
// excluding the padding from the average (count_include_pad=False, as TF did); E_2 (Mixed_7c)
// max-pools it instead (a quirk of the TF graph).
//
// Batch norm stays a separate op, as in pytorch-fid: folding it into the convolutions would round
// differently, and the point of this backbone is to reproduce pytorch-fid's features.
#include "fid_inception_backbone.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "gensweep/core/error.h"
#include "gensweep/core/sha256.h"
#include "gensweep/io/resize.h"
#include "torch_device.h"

namespace gensweep::features {
namespace {

constexpr int kInputSize = 299;
constexpr std::int64_t kClasses = 1008;
constexpr const char* kStandardFile = "pt_inception-2015-12-05-6726825d.pth";
constexpr const char* kStandardUrl =
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
    "pt_inception-2015-12-05-6726825d.pth";

// A BasicConv2d's geometry.
struct ConvSpec {
  std::string name;  // module path, e.g. "Mixed_5b.branch1x1"
  std::int64_t in, out, kh, kw, stride, ph, pw;
};

// Every BasicConv2d in torchvision's registration order (which is the state dict's order).
const std::vector<ConvSpec>& conv_specs() {
  static const std::vector<ConvSpec> specs = [] {
    std::vector<ConvSpec> s;
    auto add = [&s](const std::string& name, std::int64_t in, std::int64_t out, std::int64_t kh,
                    std::int64_t kw, std::int64_t stride = 1, std::int64_t ph = 0,
                    std::int64_t pw = 0) {
      s.push_back({name, in, out, kh, kw, stride, ph, pw});
    };
    auto inception_a = [&](const std::string& m, std::int64_t in, std::int64_t pool_features) {
      add(m + ".branch1x1", in, 64, 1, 1);
      add(m + ".branch5x5_1", in, 48, 1, 1);
      add(m + ".branch5x5_2", 48, 64, 5, 5, 1, 2, 2);
      add(m + ".branch3x3dbl_1", in, 64, 1, 1);
      add(m + ".branch3x3dbl_2", 64, 96, 3, 3, 1, 1, 1);
      add(m + ".branch3x3dbl_3", 96, 96, 3, 3, 1, 1, 1);
      add(m + ".branch_pool", in, pool_features, 1, 1);
    };
    auto inception_c = [&](const std::string& m, std::int64_t c7) {
      add(m + ".branch1x1", 768, 192, 1, 1);
      add(m + ".branch7x7_1", 768, c7, 1, 1);
      add(m + ".branch7x7_2", c7, c7, 1, 7, 1, 0, 3);
      add(m + ".branch7x7_3", c7, 192, 7, 1, 1, 3, 0);
      add(m + ".branch7x7dbl_1", 768, c7, 1, 1);
      add(m + ".branch7x7dbl_2", c7, c7, 7, 1, 1, 3, 0);
      add(m + ".branch7x7dbl_3", c7, c7, 1, 7, 1, 0, 3);
      add(m + ".branch7x7dbl_4", c7, c7, 7, 1, 1, 3, 0);
      add(m + ".branch7x7dbl_5", c7, 192, 1, 7, 1, 0, 3);
      add(m + ".branch_pool", 768, 192, 1, 1);
    };
    auto inception_e = [&](const std::string& m, std::int64_t in) {
      add(m + ".branch1x1", in, 320, 1, 1);
      add(m + ".branch3x3_1", in, 384, 1, 1);
      add(m + ".branch3x3_2a", 384, 384, 1, 3, 1, 0, 1);
      add(m + ".branch3x3_2b", 384, 384, 3, 1, 1, 1, 0);
      add(m + ".branch3x3dbl_1", in, 448, 1, 1);
      add(m + ".branch3x3dbl_2", 448, 384, 3, 3, 1, 1, 1);
      add(m + ".branch3x3dbl_3a", 384, 384, 1, 3, 1, 0, 1);
      add(m + ".branch3x3dbl_3b", 384, 384, 3, 1, 1, 1, 0);
      add(m + ".branch_pool", in, 192, 1, 1);
    };
    add("Conv2d_1a_3x3", 3, 32, 3, 3, 2);
    add("Conv2d_2a_3x3", 32, 32, 3, 3);
    add("Conv2d_2b_3x3", 32, 64, 3, 3, 1, 1, 1);
    add("Conv2d_3b_1x1", 64, 80, 1, 1);
    add("Conv2d_4a_3x3", 80, 192, 3, 3);
    inception_a("Mixed_5b", 192, 32);
    inception_a("Mixed_5c", 256, 64);
    inception_a("Mixed_5d", 288, 64);
    add("Mixed_6a.branch3x3", 288, 384, 3, 3, 2);  // InceptionB
    add("Mixed_6a.branch3x3dbl_1", 288, 64, 1, 1);
    add("Mixed_6a.branch3x3dbl_2", 64, 96, 3, 3, 1, 1, 1);
    add("Mixed_6a.branch3x3dbl_3", 96, 96, 3, 3, 2);
    inception_c("Mixed_6b", 128);
    inception_c("Mixed_6c", 160);
    inception_c("Mixed_6d", 160);
    inception_c("Mixed_6e", 192);
    add("Mixed_7a.branch3x3_1", 768, 192, 1, 1);  // InceptionD
    add("Mixed_7a.branch3x3_2", 192, 320, 3, 3, 2);
    add("Mixed_7a.branch7x7x3_1", 768, 192, 1, 1);
    add("Mixed_7a.branch7x7x3_2", 192, 192, 1, 7, 1, 0, 3);
    add("Mixed_7a.branch7x7x3_3", 192, 192, 7, 1, 1, 3, 0);
    add("Mixed_7a.branch7x7x3_4", 192, 192, 3, 3, 2);
    inception_e("Mixed_7b", 1280);
    inception_e("Mixed_7c", 2048);
    return s;
  }();
  return specs;
}

// Output dimension and the last stage a layer needs (0: stem to first max pool, 1: to second max
// pool, 2: to Mixed_6e, 3: to pool3, 4: fc).
struct LayerSpec {
  const char* name;
  std::int64_t dim;
  int stage;
};
constexpr LayerSpec kLayers[] = {{"64", 64, 0},           {"192", 192, 1},
                                 {"768", 768, 2},         {"2048", 2048, 3},
                                 {"logits", kClasses, 4}, {"logits_unbiased", kClasses, 4}};

const LayerSpec& layer_spec(const std::string& layer) {
  for (const auto& l : kLayers) {
    if (layer == l.name) return l;
  }
  throw BackboneError(fmt::format(
      "fid-inception: unknown layer '{}' (one of 64, 192, 768, 2048, logits, logits_unbiased)",
      layer));
}

std::string shape_str(const std::vector<std::int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

bool is_floating(TensorDType d) {
  return d == TensorDType::kFloat32 || d == TensorDType::kFloat64 || d == TensorDType::kFloat16;
}

struct BasicConv {
  torch::Tensor weight;  // [out, in, kh, kw]
  torch::Tensor gamma, beta, mean, var;
  std::int64_t stride = 1, ph = 0, pw = 0;
};

class FidInceptionBackbone final : public Backbone {
 public:
  FidInceptionBackbone(const std::string& id, const StateDict& weights,
                       const std::string& weights_sha256, const FidInceptionOptions& o,
                       const DeviceOptions& d)
      : layer_(layer_spec(o.layer)),
        resize_(o.resize),
        memory_format_(torch::MemoryFormat::ChannelsLast),
        device_(resolve_device(d)) {
    info_.id = id;
    info_.kind = "fid-inception";
    info_.dim = layer_.dim;
    info_.input_size = 3LL * kInputSize * kInputSize;
    const bool tf1 = resize_ == FidInceptionOptions::Resize::kTf1Bilinear;
    info_.preprocessing =
        tf1 ? "rgb8 as 0..255 -> bilinear(tf1, torch-fidelity) 299x299 -> (x-128)/128 -> chw"
            : "rgb8/255 -> bilinear(torch, align_corners=False) 299x299 (also at 299) -> 2x-1 -> "
              "chw";
    info_.identity =
        sha256_hex(fmt::format("fid-inception/v1;layer={};resize={};weights={}", layer_.name,
                               tf1 ? "tf1-bilinear" : "pytorch-bilinear", weights_sha256));
    info_.device = device_.str();
    load(weights, o.weights.string());
  }

  const BackboneInfo& info() const override { return info_; }

  void preprocess(const io::Image& image, float* out) const override {
    if (resize_ == FidInceptionOptions::Resize::kTf1Bilinear) {
      const io::FloatImage resized = io::resize_bilinear_tf1(
          io::to_float_chw(image, /*scale=*/1.0f, /*offset=*/0.0f), kInputSize, kInputSize);
      const std::size_t n = resized.data.size();
      // torch-fidelity's (x - 128) / 128: dividing by a power of two is exact either way.
      for (std::size_t i = 0; i < n; ++i)
        out[i] = (resized.data[i] - 128.0f) / 128.0f;
      return;
    }
    const io::FloatImage resized =
        io::resize_bilinear_torch(io::to_float_chw(image), kInputSize, kInputSize);
    const std::size_t n = resized.data.size();
    // 2x is exact, so this is pytorch-fid's `2 * x - 1` to the bit, fused or not.
    for (std::size_t i = 0; i < n; ++i)
      out[i] = resized.data[i] * 2.0f - 1.0f;
  }

  void forward(const float* inputs, std::int64_t n, float* out) const override {
    if (n == 0) return;
    torch::InferenceMode guard;
    torch::Tensor x = torch::from_blob(const_cast<float*>(inputs), {n, 3, kInputSize, kInputSize},
                                       torch::kFloat32)
                          .to(device_)
                          .contiguous(memory_format_);
    x = run(x);
    x = x.to(torch::kCPU).contiguous();
    GENSWEEP_ASSERT(x.numel() == n * info_.dim, "fid-inception: output has {} values, expected {}",
                    x.numel(), n * info_.dim);
    std::memcpy(out, x.data_ptr<float>(), sizeof(float) * static_cast<std::size_t>(x.numel()));
  }

 private:
  // Checks every key against the expected names and shapes before converting anything, so a
  // wrong file fails with the first problem named rather than deep inside a forward pass.
  void load(const StateDict& weights, const std::string& source) {
    std::map<std::string, const CheckpointTensor*> by_name;
    for (const auto& [name, tensor] : weights)
      by_name.emplace(name, &tensor);
    std::set<std::string> expected;
    for (const auto& t : fid_inception_tensors()) {
      expected.insert(t.name);
      auto it = by_name.find(t.name);
      if (it == by_name.end()) {
        throw BackboneError(fmt::format(
            "fid-inception weights {}: key '{}' is missing (expected shape {}); is this "
            "pytorch-fid's {}?",
            source, t.name, shape_str(t.shape), kStandardFile));
      }
      const CheckpointTensor& found = *it->second;
      if (found.shape != t.shape) {
        throw BackboneError(
            fmt::format("fid-inception weights {}: key '{}' has shape {}, expected {}", source,
                        t.name, shape_str(found.shape), shape_str(t.shape)));
      }
      if (!is_floating(found.dtype)) {
        throw BackboneError(
            fmt::format("fid-inception weights {}: key '{}' has dtype {}, expected a float type",
                        source, t.name, dtype_name(found.dtype)));
      }
    }
    for (const auto& [name, tensor] : weights) {
      if (expected.count(name)) continue;
      // Batch-norm step counters (torch >= 0.4.1) carry nothing inference needs.
      const std::string suffix = ".bn.num_batches_tracked";
      if (name.size() > suffix.size() && name.ends_with(suffix) &&
          expected.count(name.substr(0, name.size() - suffix.size()) + ".bn.weight")) {
        continue;
      }
      throw BackboneError(fmt::format(
          "fid-inception weights {}: unexpected key '{}' (shape {}); the FID Inception state dict "
          "has exactly the keys of pytorch-fid's {}",
          source, name, shape_str(tensor.shape), kStandardFile));
    }

    auto tensor = [&](const std::string& name) {
      const CheckpointTensor& t = *by_name.at(name);
      std::vector<float> values = t.to_float();
      for (float v : values) {
        if (!std::isfinite(v)) {
          throw BackboneError(fmt::format(
              "fid-inception weights {}: key '{}' holds a non-finite value ({})", source, name, v));
        }
      }
      return torch::from_blob(values.data(), t.shape, torch::kFloat32).clone().to(device_);
    };
    for (const auto& s : conv_specs()) {
      BasicConv c;
      // Channels-last (NHWC) activations and weights: oneDNN's convolutions then run on them
      // directly instead of reordering every input and output to their blocked layout and back
      // (torchvision's Inception-v3 on Debian's LibTorch 1.13: a forward pass 1.7x faster at
      // batch 50 on 2 threads, 2.6x at batch 10 on 1). Every op of the network has a channels-last
      // kernel; the sums are the same convolutions, blocked differently, so features agree with
      // pytorch-fid's to float32 round-off as before (the golden tests).
      c.weight = tensor(s.name + ".conv.weight").contiguous(memory_format_);
      c.gamma = tensor(s.name + ".bn.weight");
      c.beta = tensor(s.name + ".bn.bias");
      c.mean = tensor(s.name + ".bn.running_mean");
      c.var = tensor(s.name + ".bn.running_var");
      c.stride = s.stride;
      c.ph = s.ph;
      c.pw = s.pw;
      convs_.emplace(s.name, std::move(c));
    }
    fc_weight_ = tensor("fc.weight");
    fc_bias_ = tensor("fc.bias");
  }

  torch::Tensor basic(const std::string& name, const torch::Tensor& x) const {
    const BasicConv& c = convs_.at(name);
    torch::Tensor y = torch::conv2d(x, c.weight, {}, c.stride, {c.ph, c.pw});
    y = torch::batch_norm(y, c.gamma, c.beta, c.mean, c.var, /*training=*/false, /*momentum=*/0.0,
                          /*eps=*/1e-3, /*cudnn_enabled=*/true);
    return y.relu_();
  }
  torch::Tensor chain(const std::string& m, std::initializer_list<const char*> branch,
                      torch::Tensor x) const {
    for (const char* b : branch)
      x = basic(m + "." + b, x);
    return x;
  }
  static torch::Tensor avg_pool_3x3(const torch::Tensor& x) {
    return torch::avg_pool2d(x, 3, 1, 1, /*ceil_mode=*/false, /*count_include_pad=*/false);
  }
  static torch::Tensor max_pool_3x3_s2(const torch::Tensor& x) {
    return torch::max_pool2d(x, 3, 2);
  }

  torch::Tensor inception_a(const std::string& m, const torch::Tensor& x) const {
    return torch::cat({basic(m + ".branch1x1", x), chain(m, {"branch5x5_1", "branch5x5_2"}, x),
                       chain(m, {"branch3x3dbl_1", "branch3x3dbl_2", "branch3x3dbl_3"}, x),
                       basic(m + ".branch_pool", avg_pool_3x3(x))},
                      1);
  }
  torch::Tensor inception_b(const std::string& m, const torch::Tensor& x) const {
    return torch::cat(
        {basic(m + ".branch3x3", x),
         chain(m, {"branch3x3dbl_1", "branch3x3dbl_2", "branch3x3dbl_3"}, x), max_pool_3x3_s2(x)},
        1);
  }
  torch::Tensor inception_c(const std::string& m, const torch::Tensor& x) const {
    return torch::cat(
        {basic(m + ".branch1x1", x), chain(m, {"branch7x7_1", "branch7x7_2", "branch7x7_3"}, x),
         chain(m,
               {"branch7x7dbl_1", "branch7x7dbl_2", "branch7x7dbl_3", "branch7x7dbl_4",
                "branch7x7dbl_5"},
               x),
         basic(m + ".branch_pool", avg_pool_3x3(x))},
        1);
  }
  torch::Tensor inception_d(const std::string& m, const torch::Tensor& x) const {
    return torch::cat(
        {chain(m, {"branch3x3_1", "branch3x3_2"}, x),
         chain(m, {"branch7x7x3_1", "branch7x7x3_2", "branch7x7x3_3", "branch7x7x3_4"}, x),
         max_pool_3x3_s2(x)},
        1);
  }
  // E_1 (Mixed_7b) average-pools its pool branch, E_2 (Mixed_7c) max-pools it.
  torch::Tensor inception_e(const std::string& m, const torch::Tensor& x, bool max_pool) const {
    const torch::Tensor b3 = basic(m + ".branch3x3_1", x);
    const torch::Tensor bd = chain(m, {"branch3x3dbl_1", "branch3x3dbl_2"}, x);
    const torch::Tensor pooled = max_pool ? torch::max_pool2d(x, 3, 1, 1) : avg_pool_3x3(x);
    return torch::cat(
        {basic(m + ".branch1x1", x),
         torch::cat({basic(m + ".branch3x3_2a", b3), basic(m + ".branch3x3_2b", b3)}, 1),
         torch::cat({basic(m + ".branch3x3dbl_3a", bd), basic(m + ".branch3x3dbl_3b", bd)}, 1),
         basic(m + ".branch_pool", pooled)},
        1);
  }

  // Runs only the stages the layer needs; returns [n x dim].
  torch::Tensor run(torch::Tensor x) const {
    // pytorch-fid pools the intermediate blocks with adaptive_avg_pool2d (get_activations), and
    // pool3 is an AdaptiveAvgPool2d: the same op for every layer.
    auto pooled = [](const torch::Tensor& t) {
      return torch::adaptive_avg_pool2d(t, {1, 1}).flatten(1);
    };
    x = max_pool_3x3_s2(basic("Conv2d_2b_3x3", basic("Conv2d_2a_3x3", basic("Conv2d_1a_3x3", x))));
    if (layer_.stage == 0) return pooled(x);
    x = max_pool_3x3_s2(basic("Conv2d_4a_3x3", basic("Conv2d_3b_1x1", x)));
    if (layer_.stage == 1) return pooled(x);
    for (const char* m : {"Mixed_5b", "Mixed_5c", "Mixed_5d"})
      x = inception_a(m, x);
    x = inception_b("Mixed_6a", x);
    for (const char* m : {"Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"})
      x = inception_c(m, x);
    if (layer_.stage == 2) return pooled(x);
    x = inception_d("Mixed_7a", x);
    x = inception_e("Mixed_7b", x, /*max_pool=*/false);
    x = inception_e("Mixed_7c", x, /*max_pool=*/true);
    x = pooled(x);
    if (layer_.stage == 3) return x;
    // torch-fidelity: logits = linear(pool3, W, b); logits_unbiased = pool3 W^T.
    if (std::string_view(layer_.name) == "logits") return torch::linear(x, fc_weight_, fc_bias_);
    return torch::linear(x, fc_weight_);
  }

  const LayerSpec& layer_;
  FidInceptionOptions::Resize resize_;
  torch::MemoryFormat memory_format_;
  torch::Device device_;
  BackboneInfo info_;
  std::map<std::string, BasicConv> convs_;
  torch::Tensor fc_weight_, fc_bias_;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

const std::vector<FidInceptionTensor>& fid_inception_tensors() {
  static const std::vector<FidInceptionTensor> tensors = [] {
    std::vector<FidInceptionTensor> t;
    for (const auto& s : conv_specs()) {
      t.push_back({s.name + ".conv.weight", {s.out, s.in, s.kh, s.kw}});
      for (const char* bn : {".bn.weight", ".bn.bias", ".bn.running_mean", ".bn.running_var"})
        t.push_back({s.name + bn, {s.out}});
    }
    t.push_back({"fc.weight", {kClasses, 2048}});
    t.push_back({"fc.bias", {kClasses}});
    return t;
  }();
  return tensors;
}

std::unique_ptr<Backbone> make_fid_inception_backbone(const std::string& id,
                                                      const StateDict& weights,
                                                      const std::string& weights_sha256,
                                                      const FidInceptionOptions& options,
                                                      const DeviceOptions& device) {
  return std::make_unique<FidInceptionBackbone>(id, weights, weights_sha256, options, device);
}

std::unique_ptr<Backbone> make_fid_inception_backbone(const std::string& id,
                                                      const FidInceptionOptions& options,
                                                      const DeviceOptions& device) {
  layer_spec(options.layer);  // an unknown layer fails before 95 MB are read
  std::error_code ec;
  if (!std::filesystem::is_regular_file(options.weights, ec)) {
    throw BackboneError(fmt::format(
        "fid-inception weights {}: no such file (the standard one is pytorch-fid's {}, from its "
        "GitHub releases: {})",
        options.weights.string(), kStandardFile, kStandardUrl));
  }
  std::string digest;
  try {
    digest = sha256_file_hex(options.weights);
  } catch (const Error& e) {
    throw BackboneError(e.what());
  }
  if (!options.expected_sha256.empty() && lower(options.expected_sha256) != digest) {
    throw BackboneError(fmt::format(
        "fid-inception weights {}: sha256 is {}, expected {}. The standard file is pytorch-fid's "
        "{}, published with its GitHub releases: {}",
        options.weights.string(), digest, lower(options.expected_sha256), kStandardFile,
        kStandardUrl));
  }
  return make_fid_inception_backbone(id, read_checkpoint(options.weights), digest, options, device);
}

}  // namespace gensweep::features
