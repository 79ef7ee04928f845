#pragma once
// `fid-inception`: pytorch-fid's FID Inception-v3 (METRICS.md §1.2) built natively in LibTorch and
// loaded from pytorch-fid's weights file through gensweep's own checkpoint reader. Torch-free
// header: the table and the tests see only this.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gensweep/features/backbone.h"
#include "gensweep/features/checkpoint.h"

namespace gensweep::features {

// One tensor the network needs from the state dict, by its torchvision name.
struct FidInceptionTensor {
  std::string name;  // e.g. "Mixed_7c.branch_pool.conv.weight"
  std::vector<std::int64_t> shape;
};
// Every tensor pytorch-fid's pt_inception-2015-12-05-6726825d.pth holds except the
// `*.bn.num_batches_tracked` counters (which are accepted and ignored), in torchvision's
// state-dict order: 94 BasicConv2d (conv.weight, bn.weight, bn.bias, bn.running_mean,
// bn.running_var), then fc.weight [1008 x 2048] and fc.bias [1008].
const std::vector<FidInceptionTensor>& fid_inception_tensors();

// Reads options.weights, checks its sha256 against options.expected_sha256 when one is given,
// and builds the network. BackboneError for a missing or mismatching file, a missing, misshapen or
// unexpected key, an unknown layer.
std::unique_ptr<Backbone> make_fid_inception_backbone(const std::string& id,
                                                      const FidInceptionOptions& options,
                                                      const DeviceOptions& device);

// The same from weights already in memory: options.layer and options.resize choose the network's
// output and input, options.weights only names the weights in error messages (expected_sha256 is
// not used), and `weights_sha256` (the file's digest) goes into the identity.
std::unique_ptr<Backbone> make_fid_inception_backbone(const std::string& id,
                                                      const StateDict& weights,
                                                      const std::string& weights_sha256,
                                                      const FidInceptionOptions& options,
                                                      const DeviceOptions& device);

}  // namespace gensweep::features
