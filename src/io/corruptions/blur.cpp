// The blurs (CORRUPTIONS.md 3.5-3.9).

#include "gensweep/core/error.h"
#include "internal.h"

namespace gensweep::io::corruptions {

CorruptionResult blur_corruption(const Image& image, CorruptionName name, int severity,
                                 CorruptionParameters parameters, NumpyRandomState& /*rng*/) {
  Array3 x = to_unit(image);
  switch (name) {
    case CorruptionName::kGaussianBlur: {
      static constexpr double kCifar[5] = {0.4, 0.6, 0.7, 0.8, 1};
      static constexpr double kImagenet[5] = {1, 2, 3, 4, 6};
      // skimage.filters.gaussian(x, sigma, multichannel=True): mode 'nearest', truncate 4.
      scipy_gaussian_filter(x, pick(kCifar, kImagenet, parameters, severity), Border::kNearest, 4.0,
                            false);
      return clip01_times_255(x);
    }
    default:
      break;
  }
  GENSWEEP_ASSERT(false, "not an implemented blur: {}", corruption_name(name));
  return {};
}

}  // namespace gensweep::io::corruptions
