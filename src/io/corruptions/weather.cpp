// fog (CORRUPTIONS.md 3.10): the reference's plasma fractal (diamond-square) over numpy's uniform
// draws. frost (3.11): a random crop of one of the frost pictures (data/frost) blended in. snow
// (3.12) and spatter (3.13); spatter's water mode calls OpenCV through spatter_water.cpp.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "gensweep/core/error.h"
#include "gensweep/io/decode.h"
#include "internal.h"

namespace gensweep::io::corruptions {
namespace {

// plasma_fractal(mapsize=n, wibbledecay): an n x n map in [0, 1], row-major.
std::vector<double> plasma_fractal(int n, double wibbledecay, NumpyRandomState& rng) {
  std::vector<double> map(static_cast<std::size_t>(n) * n, 0.0);
  auto at = [&](int r, int c) -> double& { return map[static_cast<std::size_t>(r) * n + c]; };
  double wibble = 100;
  // array / 4 + wibble * uniform(-wibble, wibble, shape), drawn in C order over the k x k grid.
  auto wibbled_mean = [&](std::vector<double>& t) {
    for (double& v : t)
      v = v / 4 + wibble * rng.uniform(-wibble, wibble);
  };
  for (int s = n; s >= 2; s /= 2) {
    const int k = n / s, half = s / 2;
    auto wrap = [k](int i) { return ((i % k) + k) % k; };
    auto corner = [&](int i, int j) { return at(wrap(i) * s, wrap(j) * s); };
    std::vector<double> t(static_cast<std::size_t>(k) * k);
    // Squares: (A[i,j] + A[i+1,j]) + (A[i,j+1] + A[i+1,j+1]).
    for (int i = 0; i < k; ++i)
      for (int j = 0; j < k; ++j)
        t[static_cast<std::size_t>(i) * k + j] =
            (corner(i, j) + corner(i + 1, j)) + (corner(i, j + 1) + corner(i + 1, j + 1));
    wibbled_mean(t);
    for (int i = 0; i < k; ++i)
      for (int j = 0; j < k; ++j)
        at(i * s + half, j * s + half) = t[static_cast<std::size_t>(i) * k + j];
    auto centre = [&](int i, int j) { return at(wrap(i) * s + half, wrap(j) * s + half); };
    // Diamonds on the top edges: (D[i,j] + D[i-1,j]) + (A[i,j] + A[i,j+1]).
    for (int i = 0; i < k; ++i)
      for (int j = 0; j < k; ++j)
        t[static_cast<std::size_t>(i) * k + j] =
            (centre(i, j) + centre(i - 1, j)) + (corner(i, j) + corner(i, j + 1));
    wibbled_mean(t);
    for (int i = 0; i < k; ++i)
      for (int j = 0; j < k; ++j)
        at(i * s, j * s + half) = t[static_cast<std::size_t>(i) * k + j];
    // Diamonds on the left edges: (D[i,j] + D[i,j-1]) + (A[i,j] + A[i+1,j]).
    for (int i = 0; i < k; ++i)
      for (int j = 0; j < k; ++j)
        t[static_cast<std::size_t>(i) * k + j] =
            (centre(i, j) + centre(i, j - 1)) + (corner(i, j) + corner(i + 1, j));
    wibbled_mean(t);
    for (int i = 0; i < k; ++i)
      for (int j = 0; j < k; ++j)
        at(i * s + half, j * s) = t[static_cast<std::size_t>(i) * k + j];
    wibble /= wibbledecay;
  }
  const double lo = *std::min_element(map.begin(), map.end());
  for (double& v : map)
    v -= lo;
  const double hi = *std::max_element(map.begin(), map.end());
  for (double& v : map)
    v = v / hi;
  return map;
}

// The decoded frost picture (RGB; the PNGs' alpha is 255 everywhere), decoded once per process.
std::shared_ptr<const Image> frost_picture(const std::filesystem::path& file) {
  static std::mutex mutex;
  static std::map<std::filesystem::path, std::shared_ptr<const Image>> cache;
  const std::lock_guard lock(mutex);
  auto& slot = cache[file];
  if (!slot) {
    GENSWEEP_CHECK(std::filesystem::exists(file), ConfigError,
                   "frost corruption: {} not found (the frost pictures are shipped in data/frost; "
                   "set GENSWEEP_FROST_DIR to their folder)",
                   file.string());
    DecodeOutcome decoded = decode_image(read_file_bytes(file));
    GENSWEEP_CHECK(decoded.ok, IoError, "frost corruption: cannot decode {}: {}", file.string(),
                   decoded.reason);
    slot = std::make_shared<const Image>(std::move(decoded.image));
  }
  return slot;
}

// Spatter's water (CORRUPTIONS.md 3.13, mode 0) from the thresholded liquid layer L (float64).
CorruptionResult spatter_water(const Image& image, const std::vector<double>& liquid,
                               double intensity) {
  // L8 = (L*255).astype(np.uint8): numpy truncates toward zero and, on x86-64, keeps the low 8
  // bits of the integer, so values of 256 and more wrap (CIFAR severity 3 has them). L is 0 or at
  // least the threshold here, so L*255 is non-negative and small; the conversion to uint8 is
  // modulo 256 by definition.
  std::vector<std::uint8_t> l8(liquid.size());
  for (std::size_t i = 0; i < liquid.size(); ++i)
    l8[i] = static_cast<std::uint8_t>(static_cast<std::int64_t>(liquid[i] * 255));
  const std::vector<float> edges = spatter_water_edges(l8, image.width, image.height);
  // m = L8 * dist in float32 (exact: both are integers up to 255), then m /= max(m); m *= c[4],
  // both in float32 (numpy casts the Python float to float32 for a float32 array).
  std::vector<float> m(l8.size());
  float m_max = 0.0f;
  for (std::size_t p = 0; p < m.size(); ++p) {
    m[p] = static_cast<float>(l8[p]) * edges[p];
    m_max = std::max(m_max, m[p]);
  }
  const float scale = static_cast<float>(intensity);
  // The reference's colour is (175, 238, 238)/255 in float32, built as a "BGR" array whose first
  // channel is 175; the image is RGB, and the BGR2BGRA / BGRA2BGR conversions around the sum only
  // add and drop an alpha channel, so 175 lands on red: pale turquoise.
  const float colour[3] = {static_cast<float>(175 / 255.), static_cast<float>(238 / 255.),
                           static_cast<float>(238 / 255.)};
  CorruptionResult r{image.width, image.height, std::vector<double>(image.rgb.size())};
  for (std::size_t p = 0; p < m.size(); ++p) {
    // An all-zero m (in practice a dry layer: no pixel reached the threshold) makes the reference
    // divide 0 by 0 and return NaN everywhere (np.uint8 then gives black); gensweep puts no water
    // there and returns the image itself.
    const float mc = m_max > 0.0f ? (m[p] / m_max) * scale : 0.0f;
    for (int ch = 0; ch < 3; ++ch) {
      const float x = static_cast<float>(image.rgb[p * 3 + ch]) / 255.0f;
      const float v = x + mc * colour[ch];
      r.values[p * 3 + ch] = std::clamp(v, 0.0f, 1.0f) * 255.0f;
    }
  }
  return r;
}

}  // namespace

CorruptionResult weather_corruption(const Image& image, CorruptionName name, int severity,
                                    CorruptionParameters parameters, NumpyRandomState& rng,
                                    const CorruptionData& data) {
  switch (name) {
    case CorruptionName::kFog: {
      struct Fog {
        double c, wibbledecay;
      };
      static constexpr Fog kCifar[5] = {{.2, 3}, {.5, 3}, {.75, 2.5}, {1, 2}, {1.5, 1.75}};
      static constexpr Fog kImagenet[5] = {{1.5, 2}, {2., 2}, {2.5, 1.7}, {2.5, 1.5}, {3., 1.4}};
      const Fog c = pick(kCifar, kImagenet, parameters, severity);
      const int n = parameters == CorruptionParameters::kCifar ? 32 : 256;
      GENSWEEP_CHECK(image.width <= n && image.height <= n, ConfigError,
                     "fog with the {} parameters needs images of at most {} x {} pixels, got {} x "
                     "{}",
                     parameters == CorruptionParameters::kCifar ? "cifar" : "imagenet", n, n,
                     image.width, image.height);
      Array3 x = to_unit(image);
      const double m = *std::max_element(x.v.begin(), x.v.end());
      const std::vector<double> plasma = plasma_fractal(n, c.wibbledecay, rng);
      for (int r = 0; r < x.h; ++r)
        for (int col = 0; col < x.w; ++col)
          for (int ch = 0; ch < 3; ++ch)
            x.at(r, col, ch) += c.c * plasma[static_cast<std::size_t>(r) * n + col];
      for (double& v : x.v)
        v = (v * m) / (m + c.c);
      return clip01_times_255(x);
    }
    case CorruptionName::kFrost: {
      struct Frost {
        double image, frost;
      };
      static constexpr Frost kCifar[5] = {
          {1, 0.2}, {1, 0.3}, {0.9, 0.4}, {0.85, 0.4}, {0.75, 0.45}};
      static constexpr Frost kImagenet[5] = {
          {1, 0.4}, {0.8, 0.6}, {0.7, 0.7}, {0.65, 0.7}, {0.6, 0.75}};
      const Frost c = pick(kCifar, kImagenet, parameters, severity);
      static constexpr const char* kFiles[5] = {"frost1.png", "frost2.png", "frost3.png",
                                                "frost4.jpg", "frost5.jpg"};
      const std::filesystem::path dir =
          data.frost_dir.empty() ? default_frost_dir() : data.frost_dir;
      const auto index = static_cast<std::size_t>(rng.randint(0, 5));
      const std::shared_ptr<const Image> picture = frost_picture(dir / kFiles[index]);
      // CIFAR: cv2.resize(fx=fy=0.2), which for a factor of 5 samples rows and columns 5k + 2.
      const int step = parameters == CorruptionParameters::kCifar ? 5 : 1;
      const int offset = parameters == CorruptionParameters::kCifar ? 2 : 0;
      const int rows = (picture->height - offset + step - 1) / step;
      const int cols = (picture->width - offset + step - 1) / step;
      GENSWEEP_CHECK(rows > image.height && cols > image.width, ConfigError,
                     "frost corruption: images of {} x {} pixels do not fit in the {} x {} frost "
                     "picture {}",
                     image.width, image.height, cols, rows, kFiles[index]);
      const auto top = static_cast<int>(rng.randint(0, rows - image.height));
      const auto left = static_cast<int>(rng.randint(0, cols - image.width));
      CorruptionResult r{image.width, image.height, std::vector<double>(image.rgb.size())};
      for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x)
          for (int ch = 0; ch < 3; ++ch) {
            const std::size_t py = static_cast<std::size_t>((top + y) * step + offset);
            const std::size_t px = static_cast<std::size_t>((left + x) * step + offset);
            const double f = picture->rgb[(py * picture->width + px) * 3 + ch];
            const std::size_t i = (static_cast<std::size_t>(y) * image.width + x) * 3 + ch;
            r.values[i] = std::clamp(c.image * image.rgb[i] + c.frost * f, 0.0, 255.0);
          }
      return r;
    }
    case CorruptionName::kSnow: {
      struct Snow {
        double loc, scale, zoom, threshold, radius, sigma, mix;
      };
      static constexpr Snow kCifar[5] = {{.1, .2, 1, .6, 8, 3, .95},
                                         {.1, .2, 1, .5, 10, 4, .9},
                                         {.15, .3, 1.75, .55, 10, 4, .9},
                                         {.25, .3, 2.25, .6, 12, 6, .85},
                                         {.3, .3, 1.25, .65, 14, 12, .8}};
      static constexpr Snow kImagenet[5] = {{.1, .3, 3, .5, 10, 4, .8},
                                            {.2, .3, 2, .5, 12, 4, .7},
                                            {.55, .3, 4, .9, 12, 8, .7},
                                            {.55, .3, 4.5, .85, 12, 8, .65},
                                            {.55, .3, 2.5, .85, 12, 12, .55}};
      const Snow c = pick(kCifar, kImagenet, parameters, severity);
      const int h = image.height, w = image.width;
      // The snow layer: normal(loc, scale) over H x W (float64), clipped_zoom, threshold.
      Array3 layer{h, w, 1, std::vector<double>(static_cast<std::size_t>(h) * w)};
      for (double& v : layer.v)
        v = rng.normal(c.loc, c.scale);
      std::vector<double> zoomed = clipped_zoom(layer, c.zoom, false);
      std::vector<std::uint8_t> grey(zoomed.size());
      for (std::size_t i = 0; i < zoomed.size(); ++i) {
        const double v = zoomed[i] < c.threshold ? 0.0 : zoomed[i];
        grey[i] = static_cast<std::uint8_t>(static_cast<int>(std::clamp(v, 0.0, 1.0) * 255));
      }
      // A mode-L PNG through ImageMagick's motion blur, at an angle drawn after the layer.
      const double angle = rng.uniform(-135, -45);
      const std::vector<std::uint8_t> blurred =
          imagemagick_motion_blur(grey.data(), w, h, 1, c.radius, c.sigma, angle);
      const float mix = static_cast<float>(c.mix);
      const float rest = static_cast<float>(1 - c.mix);
      CorruptionResult r{w, h, std::vector<double>(image.rgb.size())};
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
          const std::size_t p = static_cast<std::size_t>(y) * w + x;
          float v[3];
          for (int ch = 0; ch < 3; ++ch)
            v[ch] = static_cast<float>(image.rgb[p * 3 + ch]) / 255.0f;
          // cv2.cvtColor(RGB2GRAY) on float32 as OpenCV's FMA code path computes it.
          const float gray = std::fmaf(v[2], 0.114f, std::fmaf(v[1], 0.587f, v[0] * 0.299f));
          const float bright = gray * 1.5f + 0.5f;
          const double s = blurred[p] / 255.;
          const double s_rot =
              blurred[static_cast<std::size_t>(h - 1 - y) * w + (w - 1 - x)] / 255.;
          for (int ch = 0; ch < 3; ++ch) {
            const float mixed = mix * v[ch] + rest * std::max(v[ch], bright);
            r.values[p * 3 + ch] =
                std::clamp(static_cast<double>(mixed) + s + s_rot, 0.0, 1.0) * 255;
          }
        }
      return r;
    }
    case CorruptionName::kSpatter: {
      struct Spatter {
        double loc, scale, sigma, threshold, intensity;
        int mode;  // 0 water, 1 mud
      };
      static constexpr Spatter kCifar[5] = {{.62, .1, .7, .7, .5, 0},
                                            {.65, .1, .8, .7, .5, 0},
                                            {.65, .3, 1, .69, .5, 0},
                                            {.65, .1, .7, .69, .6, 1},
                                            {.65, .1, .5, .68, .6, 1}};
      static constexpr Spatter kImagenet[5] = {{.65, .3, 4, .69, .6, 0},
                                               {.65, .3, 3, .68, .6, 0},
                                               {.65, .3, 2, .68, .5, 0},
                                               {.65, .3, 1, .65, 1.5, 1},
                                               {.67, .4, 1, .65, 1.5, 1}};
      const Spatter c = pick(kCifar, kImagenet, parameters, severity);
      const int h = image.height, w = image.width;
      Array3 liquid{h, w, 1, std::vector<double>(static_cast<std::size_t>(h) * w)};
      for (double& v : liquid.v)
        v = rng.normal(c.loc, c.scale);
      scipy_gaussian_filter(liquid, c.sigma, Border::kNearest, 4.0, false);
      for (double& v : liquid.v)
        if (v < c.threshold) v = 0;
      if (c.mode == 0) return spatter_water(image, liquid.v, c.intensity);
      // Mud: M = gaussian(float32(L > threshold), intensity) in float32, zero below 0.8 (compared
      // in float32, as numpy does with a Python scalar).
      Array3 m{h, w, 1, std::vector<double>(liquid.v.size())};
      for (std::size_t i = 0; i < m.v.size(); ++i)
        m.v[i] = liquid.v[i] > c.threshold ? 1.0 : 0.0;
      scipy_gaussian_filter(m, c.intensity, Border::kNearest, 4.0, true);
      static const float kColor[3] = {static_cast<float>(63 / 255.), static_cast<float>(42 / 255.),
                                      static_cast<float>(20 / 255.)};
      CorruptionResult r{w, h, std::vector<double>(image.rgb.size())};
      for (std::size_t p = 0; p < m.v.size(); ++p) {
        float mp = static_cast<float>(m.v[p]);
        if (mp < 0.8f) mp = 0.0f;
        for (int ch = 0; ch < 3; ++ch) {
          const float x = static_cast<float>(image.rgb[p * 3 + ch]) / 255.0f;
          const float v = x * (1.0f - mp) + kColor[ch] * mp;
          r.values[p * 3 + ch] = std::clamp(v, 0.0f, 1.0f) * 255.0f;
        }
      }
      return r;
    }
    default:
      break;
  }
  GENSWEEP_ASSERT(false, "not an implemented weather corruption: {}", corruption_name(name));
  return {};
}

}  // namespace gensweep::io::corruptions
