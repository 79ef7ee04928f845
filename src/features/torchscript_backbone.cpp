// `torchscript`: see torchscript_backbone.h. The network is opaque; everything gensweep promises
// about it is the declared preprocessing, the pinned file digest and the output shape checks.
#include "torchscript_backbone.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <cfenv>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "gensweep/core/error.h"
#include "gensweep/core/sha256.h"
#include "gensweep/io/geometry.h"
#include "gensweep/io/normalize.h"
#include "gensweep/io/pil_resize.h"
#include "gensweep/io/resize.h"
#include "torch_device.h"

namespace gensweep::features {
namespace {

using Resize = TorchscriptOptions::Resize;
using Crop = TorchscriptOptions::Crop;
using Range = TorchscriptOptions::Range;

const char* resize_name(Resize r) {
  switch (r) {
    case Resize::kNone:
      return "none";
    case Resize::kPytorchBilinear:
      return "pytorch-bilinear";
    case Resize::kTf1Bilinear:
      return "tf1-bilinear";
    case Resize::kPilBicubic:
      return "pil-bicubic";
    case Resize::kPilBicubicU8:
      return "pil-bicubic-u8";
    case Resize::kArea:
      return "area";
  }
  return "?";
}

const char* crop_name(Crop c) {
  switch (c) {
    case Crop::kNone:
      return "none";
    case Crop::kCenter:
      return "center";
    case Crop::kShorterSide:
      return "shorter-side";
  }
  return "?";
}

std::string arg_text(const TorchscriptOptions::Arg& arg) {
  std::string value = std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>)
          return v ? "True" : "False";
        else
          return fmt::format("{}", v);
      },
      arg.value);
  return arg.name.empty() ? value : arg.name + "=" + value;
}

std::string args_text(const TorchscriptOptions& o) {
  std::string out;
  for (const auto& a : o.forward_args)
    out += (out.empty() ? "" : ", ") + arg_text(a);
  return out;
}

// Every float kernel, on values already in the declared range.
io::FloatImage resize_float(const TorchscriptOptions& o, const io::FloatImage& in, int h, int w) {
  switch (o.resize) {
    case Resize::kPytorchBilinear:
      return io::resize_bilinear_torch(in, h, w);
    case Resize::kTf1Bilinear:
      return io::resize_bilinear_tf1(in, h, w);
    case Resize::kArea:
      return io::resize_area(in, h, w);
    case Resize::kPilBicubic: {
      // Bicubic overshoots; clean-fid clips to the value range and does not quantize.
      io::FloatImage out = io::resize_bicubic_pil_float(in, h, w);
      io::clip_in_place(out, 0.0f, o.input_range == Range::kByte ? 255.0f : 1.0f);
      return out;
    }
    case Resize::kNone:
    case Resize::kPilBicubicU8:
      break;
  }
  GENSWEEP_ASSERT(false, "resize_float called with resize {}", resize_name(o.resize));
}

// torchvision's CenterCrop on a tensor: offsets int(round((size - crop) / 2.0)), Python's round
// (halves to even). Only used after a shorter-side resize, so the crop always fits.
io::FloatImage center_crop_float(const io::FloatImage& in, int out_h, int out_w) {
  GENSWEEP_ASSERT(out_h <= in.height && out_w <= in.width, "crop larger than image");
  const int saved = std::fegetround();
  std::fesetround(FE_TONEAREST);
  const int top = static_cast<int>(std::nearbyint((in.height - out_h) / 2.0));
  const int left = static_cast<int>(std::nearbyint((in.width - out_w) / 2.0));
  std::fesetround(saved);
  io::FloatImage out;
  out.channels = in.channels;
  out.height = out_h;
  out.width = out_w;
  out.data.resize(static_cast<std::size_t>(in.channels) * out_h * out_w);
  for (int c = 0; c < in.channels; ++c)
    for (int y = 0; y < out_h; ++y) {
      const float* src = &in.data[(static_cast<std::size_t>(c) * in.height + top + y) * in.width +
                                  static_cast<std::size_t>(left)];
      std::memcpy(&out.data[(static_cast<std::size_t>(c) * out_h + y) * out_w], src,
                  sizeof(float) * static_cast<std::size_t>(out_w));
    }
  return out;
}

void check_options(const TorchscriptOptions& o) {
  GENSWEEP_CHECK(o.input_size >= 1, BackboneError, "{}: input_size must be >= 1, got {}",
                 o.weights.string(), o.input_size);
  GENSWEEP_CHECK(!(o.resize == Resize::kNone && o.crop == Crop::kShorterSide), BackboneError,
                 "{}: crop \"shorter-side\" resizes, so it needs a resize filter, not \"none\"",
                 o.weights.string());
  for (int c = 0; c < 3; ++c)
    GENSWEEP_CHECK(std::isfinite(o.mean[c]) && std::isfinite(o.std[c]) && o.std[c] > 0,
                   BackboneError, "{}: mean must be finite and std finite and > 0",
                   o.weights.string());
  bool named = false;
  for (const auto& a : o.forward_args) {
    GENSWEEP_CHECK(!named || !a.name.empty(), BackboneError,
                   "{}: forward_args: positional argument {} after a named one", o.weights.string(),
                   arg_text(a));
    named |= !a.name.empty();
  }
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

class TorchscriptBackbone final : public Backbone {
 public:
  TorchscriptBackbone(const std::string& id, const TorchscriptOptions& o, const DeviceOptions& d)
      : options_(o), device_(resolve_device(d)) {
    check_options(o);
    const std::string file = o.weights.string();
    std::error_code ec;
    GENSWEEP_CHECK(std::filesystem::is_regular_file(o.weights, ec), BackboneError,
                   "backbone '{}': TorchScript file {} does not exist (or is not a file)", id,
                   file);
    const std::string digest = sha256_file_hex(o.weights);
    GENSWEEP_CHECK(o.expected_sha256.empty() || digest == o.expected_sha256, BackboneError,
                   "backbone '{}': {} has sha256 {}, but the job pins sha256 {}", id, file, digest,
                   o.expected_sha256);
    try {
      module_ = torch::jit::load(file, device_);
    } catch (const c10::Error& e) {
      throw BackboneError(fmt::format(
          "backbone '{}': {} is not a TorchScript file torch::jit::load can read (a torch.jit.save "
          "archive is expected; export with scripts/export_backbones.py): {}",
          id, file, first_line(e.what_without_backtrace())));
    } catch (const std::exception& e) {
      throw BackboneError(fmt::format("backbone '{}': {} could not be loaded as TorchScript: {}",
                                      id, file, first_line(e.what())));
    }
    module_.eval();
    GENSWEEP_CHECK(module_.find_method("forward").has_value(), BackboneError,
                   "backbone '{}': {} has no forward() method", id, file);
    for (const auto& a : o.forward_args) {
      c10::IValue v = std::visit([](const auto& x) { return c10::IValue(x); }, a.value);
      if (a.name.empty())
        positional_.push_back(std::move(v));
      else
        kwargs_[a.name] = std::move(v);
    }

    info_.id = id;
    info_.kind = "torchscript";
    info_.input_size = 3LL * o.input_size * o.input_size;
    info_.preprocessing = torchscript_preprocessing_spec(o);
    info_.device = device_.str();
    // One forward pass on a zero image: finds the dimension when not declared, and otherwise
    // reports a wrong output (key, rank, size) now rather than after the first decoded batch.
    std::vector<float> zeros(static_cast<std::size_t>(info_.input_size), 0.0f);
    torch::Tensor probe = run(zeros.data(), 1);
    GENSWEEP_CHECK(o.dim == 0 || probe.size(1) == o.dim, BackboneError,
                   "backbone '{}': {} returns {}-dimensional features, but dim = {} was declared",
                   id, file, probe.size(1), o.dim);
    info_.dim = probe.size(1);
    info_.identity = sha256_hex(fmt::format(
        "torchscript/v1;weights_sha256={};output={};dim={};input_size={};resize={};crop={};"
        "input_range={};mean={},{},{};std={},{},{};forward_args={}",
        digest, o.output, info_.dim, o.input_size, resize_name(o.resize), crop_name(o.crop),
        o.input_range == Range::kByte ? "byte" : "unit", o.mean[0], o.mean[1], o.mean[2], o.std[0],
        o.std[1], o.std[2], args_text(o)));
  }

  const BackboneInfo& info() const override { return info_; }

  void preprocess(const io::Image& image, float* out) const override {
    io::FloatImage x = torchscript_preprocess(options_, image);
    std::memcpy(out, x.data.data(), sizeof(float) * x.data.size());
  }

  void forward(const float* inputs, std::int64_t n, float* out) const override {
    torch::Tensor y = run(inputs, n);
    GENSWEEP_CHECK(y.size(1) == info_.dim, BackboneError,
                   "backbone '{}': {} returned {}-dimensional features, {} before", info_.id,
                   options_.weights.string(), y.size(1), info_.dim);
    std::memcpy(out, y.data_ptr<float>(), sizeof(float) * static_cast<std::size_t>(y.numel()));
  }

 private:
  // forward() on [n, 3, s, s]; returns the selected output as contiguous CPU float32 [n, D].
  torch::Tensor run(const float* inputs, std::int64_t n) const {
    torch::InferenceMode guard;
    const int s = options_.input_size;
    torch::Tensor x =
        torch::from_blob(const_cast<float*>(inputs), {n, 3, s, s}, torch::kFloat32).to(device_);
    std::vector<c10::IValue> stack = {x};
    stack.insert(stack.end(), positional_.begin(), positional_.end());
    c10::IValue result;
    const auto failed = [&](const std::string& what) {
      const std::string args = args_text(options_);
      return BackboneError(fmt::format("backbone '{}': forward({}) of {} failed: {}", info_.id,
                                       args.empty() ? "x" : "x, " + args, options_.weights.string(),
                                       first_line(what)));
    };
    try {
      // Several threads may run this at once (backbone.h): a TorchScript method call is safe
      // to share between threads (the graph executor locks its own plan cache); the module's
      // state is read, not changed, by an exported inference network.
      result = module_.get_method("forward")(std::move(stack), kwargs_);
    } catch (const c10::Error& e) {
      throw failed(e.what_without_backtrace());
    } catch (const std::exception& e) {
      // Argument mismatches against the schema come as std::runtime_error.
      throw failed(e.what());
    }
    torch::Tensor y = select(result);
    GENSWEEP_CHECK(y.dim() >= 2 && y.size(0) == n, BackboneError,
                   "backbone '{}': {} returned a tensor of shape {} for a batch of {}; expected "
                   "[{}, dim] (trailing dimensions are flattened)",
                   info_.id, options_.weights.string(), shape_text(y), n, n);
    GENSWEEP_CHECK(y.is_floating_point(), BackboneError,
                   "backbone '{}': {} returned {} features; expected floating point", info_.id,
                   options_.weights.string(), std::string(c10::toString(y.scalar_type())));
    return y.flatten(1).to(torch::kCPU, torch::kFloat32).contiguous();
  }

  static std::string shape_text(const torch::Tensor& t) {
    std::string out = "[";
    for (std::int64_t i = 0; i < t.dim(); ++i)
      out += (i ? ", " : "") + std::to_string(t.size(i));
    return out + "]";
  }

  torch::Tensor select(const c10::IValue& result) const {
    const std::string& key = options_.output;
    const std::string file = options_.weights.string();
    if (result.isTensor()) {
      GENSWEEP_CHECK(key.empty(), BackboneError,
                     "backbone '{}': output = \"{}\" was declared, but {} returns a single tensor",
                     info_.id, key, file);
      return result.toTensor();
    }
    if (result.isGenericDict()) {
      std::string keys;
      for (const auto& entry : result.toGenericDict()) {
        const std::string name =
            entry.key().isString() ? entry.key().toStringRef() : entry.key().tagKind();
        if (entry.key().isString() && name == key) return tensor_at(entry.value(), key);
        keys += (keys.empty() ? "\"" : ", \"") + name + "\"";
      }
      throw BackboneError(fmt::format(
          "backbone '{}': {} returns a dict with keys {}; {} (set `output` to one of them)",
          info_.id, file, keys,
          key.empty() ? "no output key was declared" : "it has no \"" + key + "\""));
    }
    if (result.isTuple() || result.isList()) {
      const std::vector<c10::IValue> items =
          result.isTuple() ? result.toTupleRef().elements().vec() : result.toListRef().vec();
      std::size_t used = 0;
      int index = -1;
      try {
        index = std::stoi(key, &used);
      } catch (const std::exception&) {
      }
      GENSWEEP_CHECK(!key.empty() && used == key.size() && index >= 0 &&
                         static_cast<std::size_t>(index) < items.size(),
                     BackboneError,
                     "backbone '{}': {} returns a {} of {} values; output must be an index 0..{}, "
                     "got \"{}\"",
                     info_.id, file, result.isTuple() ? "tuple" : "list", items.size(),
                     items.empty() ? 0 : items.size() - 1, key);
      return tensor_at(items[static_cast<std::size_t>(index)], key);
    }
    throw BackboneError(
        fmt::format("backbone '{}': {} returns a {}; expected a tensor, a dict or "
                    "a tuple of tensors",
                    info_.id, file, result.tagKind()));
  }

  torch::Tensor tensor_at(const c10::IValue& value, const std::string& key) const {
    GENSWEEP_CHECK(value.isTensor(), BackboneError,
                   "backbone '{}': {}: output \"{}\" is a {}, not a tensor", info_.id,
                   options_.weights.string(), key, value.tagKind());
    return value.toTensor();
  }

  TorchscriptOptions options_;
  torch::Device device_;
  BackboneInfo info_;
  torch::jit::Module module_;
  std::vector<c10::IValue> positional_;
  torch::jit::Kwargs kwargs_;
};

}  // namespace

io::FloatImage torchscript_preprocess(const TorchscriptOptions& o, const io::Image& image) {
  const int s = o.input_size;
  const float scale = o.input_range == Range::kByte ? 1.0f : 1.0f / 255.0f;
  io::Image cropped;
  const io::Image* src = &image;
  if (o.crop == Crop::kCenter) {
    cropped = io::square_center_crop(image);
    src = &cropped;
  }
  io::FloatImage out;
  if (o.crop == Crop::kShorterSide) {
    GENSWEEP_CHECK(o.resize != Resize::kNone, BackboneError,
                   "crop \"shorter-side\" needs a resize filter, not \"none\"");
    const auto [h, w] = io::shorter_side_size(src->height, src->width, s);
    if (o.resize == Resize::kPilBicubicU8) {
      // torchvision on a PIL image: Resize then CenterCrop, both in 8 bits (CLIP, dgm-eval).
      out = io::to_float_chw(io::center_crop(io::resize_bicubic_pil_u8(*src, h, w), s, s), scale);
    } else {
      out = center_crop_float(resize_float(o, io::to_float_chw(*src, scale), h, w), s, s);
    }
  } else if (o.resize == Resize::kNone) {
    GENSWEEP_CHECK(src->height == s && src->width == s, BackboneError,
                   "resize = \"none\" feeds images at their own size, which must be input_size x "
                   "input_size = {0}x{0}; got a {1}x{2} (width x height) image",
                   s, src->width, src->height);
    out = io::to_float_chw(*src, scale);
  } else if (o.resize == Resize::kPilBicubicU8) {
    out = io::to_float_chw(io::resize_bicubic_pil_u8(*src, s, s), scale);
  } else {
    out = resize_float(o, io::to_float_chw(*src, scale), s, s);
  }
  const bool identity =
      o.mean == std::array<double, 3>{0, 0, 0} && o.std == std::array<double, 3>{1, 1, 1};
  if (!identity) {
    io::normalize_in_place(
        out,
        {static_cast<float>(o.mean[0]), static_cast<float>(o.mean[1]),
         static_cast<float>(o.mean[2])},
        {static_cast<float>(o.std[0]), static_cast<float>(o.std[1]), static_cast<float>(o.std[2])});
  }
  return out;
}

std::string torchscript_preprocessing_spec(const TorchscriptOptions& o) {
  // 8-bit steps (crops, PIL 8-bit bicubic, no resize) come before the range scaling; float filters
  // run after it, in the declared range.
  const bool u8 = o.resize == Resize::kPilBicubicU8 || o.resize == Resize::kNone;
  const std::string range = o.input_range == Range::kByte ? " -> float 0..255" : " -> /255";
  std::string spec = "rgb8";
  if (o.crop == Crop::kCenter) spec += " -> center square crop (floor offsets)";
  if (!u8) spec += range;
  if (o.crop == Crop::kShorterSide) {
    spec += fmt::format(" -> {} shorter side to {} -> center crop {}x{}", resize_name(o.resize),
                        o.input_size, o.input_size, o.input_size);
  } else if (o.resize == Resize::kNone) {
    spec += fmt::format(" -> no resize (must be {}x{})", o.input_size, o.input_size);
  } else {
    spec += fmt::format(" -> {} {}x{}", resize_name(o.resize), o.input_size, o.input_size);
  }
  if (o.resize == Resize::kPilBicubic) spec += " -> clip";
  if (u8) spec += range;
  spec += fmt::format(" -> (x - [{}, {}, {}]) / [{}, {}, {}] -> chw", o.mean[0], o.mean[1],
                      o.mean[2], o.std[0], o.std[1], o.std[2]);
  if (!o.forward_args.empty()) spec += " | forward(x, " + args_text(o) + ")";
  return spec;
}

std::unique_ptr<Backbone> make_torchscript_backbone(const std::string& id,
                                                    const TorchscriptOptions& options,
                                                    const DeviceOptions& device) {
  return std::make_unique<TorchscriptBackbone>(id, options, device);
}

}  // namespace gensweep::features
