#pragma once
// A backbone is a feature space: an exact preprocessing of decoded RGB8 images plus a network (or a
// fixed transform) producing a D-dimensional float32 vector per image. This header is torch-free so
// the pipeline can use backbones without compiling LibTorch headers.
//
// Contract:
// - preprocess() is const and thread-safe: decode threads call it concurrently.
// - forward() is const and thread-safe: on the CPU the extract stage runs several batches at once,
//   each forward on its own thread with one intra-op thread (set_intra_op_threads_of_this_thread),
//   so that features do not depend on the number of threads. A backbone keeps no state that a
//   forward pass changes (weights are read-only; LibTorch's ops on shared read-only tensors are
//   safe from several threads under InferenceMode).
// - A backbone's identity (a sha256 over its kind, parameters and weights) and its preprocessing
//   spec go into every store it writes; changing either makes a new store.

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "gensweep/io/image.h"

namespace gensweep::features {

struct BackboneInfo {
  std::string id;               // the job's name for it (column header)
  std::string kind;             // "pixels", "random-cnn", ...
  std::int64_t dim = 0;         // output dimension D
  std::int64_t input_size = 0;  // floats per preprocessed image
  std::string identity;         // sha256 hex over kind, parameters, architecture version, weights
  std::string preprocessing;    // canonical preprocessing spec, human-readable
  std::string device;           // "cpu", "cuda:0"
  // Whether a row's last bits can depend on the other images of its forward batch and on the batch
  // size (LibTorch picks convolution kernels and blockings by batch size), so that the batch size
  // must be part of a store's provenance. False only where a row is a function of its image alone.
  bool depends_on_batch = true;
};

class Backbone {
 public:
  virtual ~Backbone() = default;
  virtual const BackboneInfo& info() const = 0;
  // out: info().input_size floats.
  virtual void preprocess(const io::Image& image, float* out) const = 0;
  // inputs: [n x input_size] row-major; out: [n x dim] row-major.
  virtual void forward(const float* inputs, std::int64_t n, float* out) const = 0;
};

// Typed parameters of each kind (defaults and bounds are validated by the config module).
struct PixelsOptions {
  int size = 32;  // area-downsampled to size x size
};
struct RandomCnnOptions {
  std::int64_t dim = 512;  // output dimension
  std::uint64_t seed = 0;  // weights come from gensweep's own generator seeded with this
  int input_size = 64;     // bilinear resize to input_size x input_size
  int width = 32;          // channels of the first conv; doubles at each stride-2 stage
};
// `fid-inception`: pytorch-fid's FID Inception-v3 from its state-dict file.
struct FidInceptionOptions {
  // kPytorchBilinear: pytorch-fid's input (v/255, F.interpolate bilinear, 2x-1);
  // kTf1Bilinear: torch-fidelity's (0..255, TF1 bilinear, (x-128)/128).
  enum class Resize { kPytorchBilinear, kTf1Bilinear };
  std::filesystem::path weights;  // pytorch-fid's pt_inception-2015-12-05-6726825d.pth (or alike)
  std::string expected_sha256;    // lowercase hex; "" = not pinned (the digest is still recorded)
  std::string layer = "2048";     // "64", "192", "768", "2048", "logits", "logits_unbiased"
  Resize resize = Resize::kPytorchBilinear;
};
// `torchscript`: any exported network with its preprocessing declared. The steps, in order:
//   crop   kNone: whole image | kCenter: central square, CMMD's floor offsets, before resizing |
//          kShorterSide: torchvision Resize(input_size) on the shorter side with `resize`, then
//          CenterCrop(input_size) (CLIP, dgm-eval)
//   resize to input_size x input_size with `resize`; kNone feeds the image at its own size, which
//          must then be input_size x input_size (the NVIDIA Inception resizes internally)
//   range  kUnit: v / 255 (ToTensor) | kByte: v; float filters run in this range (pytorch-fid
//          resizes [0, 1] values, clean-fid and torch-fidelity 0..255 ones), PIL float bicubic is
//          then clipped to the range (clean-fid's clip, not quantized)
//   (x - mean) / std per channel, float32, in the range's units -> CHW float32.
struct TorchscriptOptions {
  enum class Resize { kNone, kPytorchBilinear, kTf1Bilinear, kPilBicubic, kPilBicubicU8, kArea };
  enum class Crop { kNone, kCenter, kShorterSide };
  enum class Range { kUnit, kByte };
  // An extra argument of forward() after the image batch: positional when name is empty, else by
  // keyword (NVIDIA's inception-2015-12-05.pt needs return_features=True).
  struct Arg {
    std::string name;
    std::variant<bool, std::int64_t, double> value;
  };
  std::filesystem::path weights;  // a TorchScript file (torch.jit.save)
  std::string expected_sha256;    // lowercase hex; "" = not pinned (the digest is still recorded)
  std::string output;             // "" = forward() returns the tensor; a dict key or tuple index
  std::int64_t dim = 0;           // expected output dimension; 0 = found by one forward pass
  int input_size = 224;
  Resize resize = Resize::kPilBicubic;
  Crop crop = Crop::kNone;
  Range input_range = Range::kUnit;
  std::array<double, 3> mean = {0.0, 0.0, 0.0};
  std::array<double, 3> std = {1.0, 1.0, 1.0};
  std::vector<Arg> forward_args;
};
using BackboneOptions =
    std::variant<PixelsOptions, RandomCnnOptions, FidInceptionOptions, TorchscriptOptions>;

struct DeviceOptions {
  std::string device = "cpu";  // "cpu" | "auto" | "cuda" | "cuda:N"
  int local_rank = 0;          // "auto" and "cuda" take cuda:<local_rank % visible GPUs>
  int threads = 1;             // intra-op threads for this process
};

// LibTorch's intra-op threads for the forward passes the calling thread runs from now on. Needed in
// every thread that runs forward passes: LibTorch's CPU kernels (oneDNN, ATen's OpenMP loops) take
// the calling thread's OpenMP thread count, and a new std::thread starts with OpenMP's default (all
// cores), not with the count set on the main thread. With one thread, a CPU convolution sums in the
// same order whatever the machine's layout.
void set_intra_op_threads_of_this_thread(int threads);

std::unique_ptr<Backbone> make_backbone(const std::string& id, const BackboneOptions& options,
                                        const DeviceOptions& device);

// One row of the backbone table: the names users write in job files.
struct BackboneKind {
  const char* name;
  const char* description;
};
// Every kind this build knows (including ones handled outside make_backbone, e.g. "external").
const std::vector<BackboneKind>& backbone_kinds();

}  // namespace gensweep::features
