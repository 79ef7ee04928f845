#pragma once
#include "gensweep/features/backbone.h"

namespace gensweep::features {
std::unique_ptr<Backbone> make_random_cnn_backbone(const std::string& id,
                                                   const RandomCnnOptions& options,
                                                   const DeviceOptions& device);
}
