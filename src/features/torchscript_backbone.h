#pragma once
// `torchscript`: any network exported with torch.jit.save (scripts/export_backbones.py writes the
// common ones), loaded with torch::jit::load, which runs the same graph as Python. The
// preprocessing is declared in TorchscriptOptions (backbone.h) and built from the io kernels, each
// bit-exact against its reference, so a declared pipeline reproduces the Python one. Torch-free
// header: the table and the tests see only this.

#include <memory>
#include <string>

#include "gensweep/features/backbone.h"
#include "gensweep/io/float_image.h"

namespace gensweep::features {

// The declared preprocessing of one image: CHW float32, 3 x input_size x input_size. With
// resize kNone the image must already be input_size x input_size (BackboneError otherwise: a batch
// is one tensor, so every image of it needs the same size).
io::FloatImage torchscript_preprocess(const TorchscriptOptions& options, const io::Image& image);

// Human-readable preprocessing spec (goes into BackboneInfo and every store).
std::string torchscript_preprocessing_spec(const TorchscriptOptions& options);

// Checks the options, the file (exists, sha256 when pinned, loadable), and runs one forward pass
// on a zero image to find (or check) the output dimension. BackboneError names the file and what
// was wrong.
std::unique_ptr<Backbone> make_torchscript_backbone(const std::string& id,
                                                    const TorchscriptOptions& options,
                                                    const DeviceOptions& device);

}  // namespace gensweep::features
