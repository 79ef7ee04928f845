#pragma once
#include "gensweep/features/backbone.h"

namespace gensweep::features {
std::unique_ptr<Backbone> make_pixels_backbone(const std::string& id, const PixelsOptions& options);
}
