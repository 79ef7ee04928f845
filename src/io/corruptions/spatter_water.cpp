// Spatter's water mode (CORRUPTIONS.md 3.13, mode 0), the steps the reference does with OpenCV:
// Canny, the 5x5 chamfer distance transform, equalizeHist and OpenCV's fixed-point box and
// filter2D kernels are not ported, they are called, in Debian 12's OpenCV 4.6 imgproc (the library
// and version the goldens were made with), with the same argument types the Python binding passes.
// This is the only file of gensweep that includes OpenCV.

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "gensweep/core/error.h"
#include "internal.h"

namespace gensweep::io::corruptions {
namespace {

// OpenCV parallelises some of these calls (Canny over row stripes) on its own thread pool (TBB in
// Debian's build), sized by the machine. gensweep already runs corrupt() on every decode thread
// at once, so OpenCV's threads would only oversubscribe the cores, and a result that depends on how
// rows were split between threads (or on OpenCV's process-wide "already inside a parallel region"
// flag, which other decode threads set) would depend on the machine and on timing. With 0 threads,
// every OpenCV call runs sequentially on the thread that calls it. The setting is process-wide
// (there is no per-call form), so it is made once, before this file's first OpenCV call, and no
// other part of gensweep uses OpenCV.
void run_opencv_sequentially() {
  static std::once_flag once;
  std::call_once(once, [] { cv::setNumThreads(0); });
}

}  // namespace

std::vector<float> spatter_water_edges(const std::vector<std::uint8_t>& l8, int w, int h) {
  GENSWEEP_ASSERT(w > 0 && h > 0 && l8.size() == static_cast<std::size_t>(w) * h,
                  "spatter layer {}x{} has {} values", w, h, l8.size());
  run_opencv_sequentially();
  // Every Mat here is local to the call and is a Mat, not a UMat, so OpenCV takes its CPU code
  // paths (its OpenCL ones only run for UMat outputs) and concurrent calls share nothing.
  cv::Mat layer(h, w, CV_8U);
  std::copy(l8.begin(), l8.end(), layer.ptr<std::uint8_t>());
  // cv2.Canny(L8, 50, 150): aperture 3 and the L1 gradient are the defaults.
  cv::Mat edges;
  cv::Canny(layer, edges, 50, 150);
  // 255 - edges in numpy's uint8 arithmetic: Canny's output is 0 or 255, so nothing wraps.
  cv::Mat not_edges(h, w, CV_8U);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      not_edges.at<std::uint8_t>(y, x) =
          static_cast<std::uint8_t>(255 - edges.at<std::uint8_t>(y, x));
  cv::Mat dist;
  cv::distanceTransform(not_edges, dist, cv::DIST_L2, 5);  // float32 (CV_32F, the default)
  cv::threshold(dist, dist, 20, 20, cv::THRESH_TRUNC);
  cv::Mat blurred;
  cv::blur(dist, blurred, cv::Size(3, 3));  // BORDER_REFLECT_101, the default
  // .astype(np.uint8) truncates toward zero, where Mat::convertTo would round; the values are in
  // [0, 20] here, so the conversion is in range.
  cv::Mat truncated(h, w, CV_8U);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      truncated.at<std::uint8_t>(y, x) = static_cast<std::uint8_t>(blurred.at<float>(y, x));
  cv::Mat equalized;
  cv::equalizeHist(truncated, equalized);
  // The reference's kernel is an int64 numpy array, which the Python binding hands to OpenCV as
  // CV_32S; an integer kernel makes filter2D's 8-bit path exact integer arithmetic, rounded and
  // saturated to CV_8U.
  const cv::Mat kernel = (cv::Mat_<int>(3, 3) << -2, -1, 0, -1, 1, 1, 0, 1, 2);
  cv::Mat filtered;
  cv::filter2D(equalized, filtered, CV_8U, kernel);
  cv::Mat smoothed;
  cv::blur(filtered, smoothed, cv::Size(3, 3));
  std::vector<float> out(l8.size());
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      out[static_cast<std::size_t>(y) * w + x] = smoothed.at<std::uint8_t>(y, x);
  return out;
}

}  // namespace gensweep::io::corruptions
