#pragma once
// Helpers shared by the corruption families (corruption.h): the reference's numpy / scipy steps,
// reproduced operation for operation.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gensweep/io/corruption.h"

namespace gensweep::io::corruptions {

// An H x W x C array of doubles in C order (what numpy holds).
struct Array3 {
  int h = 0, w = 0, c = 0;
  std::vector<double> v;
  double& at(int y, int x, int ch) { return v[(static_cast<std::size_t>(y) * w + x) * c + ch]; }
  double at(int y, int x, int ch) const {
    return v[(static_cast<std::size_t>(y) * w + x) * c + ch];
  }
};

// np.array(image) / 255. (float64).
Array3 to_unit(const Image& image);
// np.clip(a, 0, 1) * 255 as a result.
CorruptionResult clip01_times_255(const Array3& a);
// The uint8 image as a result (values 0..255).
CorruptionResult from_image(const Image& image);

// numpy's pairwise summation of a contiguous float64 array (np.sum).
double numpy_pairwise_sum(const double* a, std::size_t n);

// np.exp as the goldens' numpy computed it (SVML on AVX512 CPUs) for the Gaussian-kernel
// arguments listed in numpy_exp_table.inc (scripts/numpy_exp_table.py); glibc's exp elsewhere.
double numpy_exp(double x);

enum class Border { kNearest, kReflect };
// scipy.ndimage.gaussian_filter over axes 0 and 1 (sigma 0 on the channel axis), in place: the
// kernel exp((-0.5 / sigma^2) * x^2) normalised by its numpy sum, radius int(truncate*sigma + 0.5),
// scipy's symmetric accumulation order; with `float32`, each pass's output is rounded to float32.
void scipy_gaussian_filter(Array3& a, double sigma, Border border, double truncate, bool float32);

// ImageMagick 6.9.11 Q16 MotionBlurImage on 8-bit pixels (channels 1 or 3, interleaved), written
// back as an 8-bit PNG (CORRUPTIONS.md 2.4).
std::vector<std::uint8_t> imagemagick_motion_blur(const std::uint8_t* pixels, int w, int h,
                                                  int channels, double radius, double sigma,
                                                  double angle);
// clipped_zoom(x, z) with scipy's order-1 zoom (CORRUPTIONS.md 2.3); the result is rounded to
// float32 when the input array is float32.
std::vector<double> clipped_zoom(const Array3& x, double z, bool float32);

// Spatter's water mode (CORRUPTIONS.md 3.13, mode 0), steps 2-8: from the h x w layer
// L8 = (L*255).astype(uint8), row-major, the reference's OpenCV chain (255 - Canny(L8, 50, 150),
// distanceTransform(DIST_L2, 5), truncation at 20, 3x3 box blur, astype(uint8), equalizeHist,
// filter2D to CV_8U, 3x3 box blur) computed by OpenCV's own imgproc; the result's values are
// integers 0..255, as the reference's final astype(np.float32) holds them. Safe to call from
// several threads at once.
std::vector<float> spatter_water_edges(const std::vector<std::uint8_t>& l8, int w, int h);

// The families, each implementing its corruptions (severity already checked to be 1..5).
CorruptionResult noise_corruption(const Image& image, CorruptionName name, int severity,
                                  CorruptionParameters parameters, NumpyRandomState& rng);
CorruptionResult color_corruption(const Image& image, CorruptionName name, int severity,
                                  CorruptionParameters parameters);
CorruptionResult digital_corruption(const Image& image, CorruptionName name, int severity,
                                    CorruptionParameters parameters);
CorruptionResult blur_corruption(const Image& image, CorruptionName name, int severity,
                                 CorruptionParameters parameters, NumpyRandomState& rng);

CorruptionResult weather_corruption(const Image& image, CorruptionName name, int severity,
                                    CorruptionParameters parameters, NumpyRandomState& rng,
                                    const CorruptionData& data);

CorruptionResult geometric_corruption(const Image& image, CorruptionName name, int severity,
                                      CorruptionParameters parameters, NumpyRandomState& rng);

// Picks a severity's parameter from the CIFAR or ImageNet table.
template <typename T>
const T& pick(const T (&cifar)[5], const T (&imagenet)[5], CorruptionParameters p, int severity) {
  return p == CorruptionParameters::kCifar ? cifar[severity - 1] : imagenet[severity - 1];
}

}  // namespace gensweep::io::corruptions
