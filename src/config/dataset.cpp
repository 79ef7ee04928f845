#include "gensweep/config/dataset.h"

#include <glob.h>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "gensweep/config/distortion.h"
#include "gensweep/core/error.h"
#include "gensweep/core/strings.h"

namespace gensweep::config {
namespace {

bool has_glob_characters(std::string_view text) {
  return text.find_first_of("*?[") != std::string_view::npos;
}

// The first "{A..B}" of `text` with A and B decimal, or nullopt.
struct BraceRange {
  std::size_t open = 0, close = 0;  // positions of '{' and '}'
  std::string first, last;          // the bounds as written
};
std::optional<BraceRange> find_brace_range(const std::string& text) {
  for (std::size_t open = text.find('{'); open != std::string::npos;
       open = text.find('{', open + 1)) {
    const std::size_t close = text.find('}', open);
    if (close == std::string::npos) return std::nullopt;
    const std::string inside = text.substr(open + 1, close - open - 1);
    const std::size_t dots = inside.find("..");
    if (dots == std::string::npos) continue;
    BraceRange range{open, close, inside.substr(0, dots), inside.substr(dots + 2)};
    auto all_digits = [](const std::string& s) {
      return !s.empty() && s.size() <= 18 &&
             std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (all_digits(range.first) && all_digits(range.last)) return range;
  }
  return std::nullopt;
}

void expand_braces(const std::string& text, std::vector<std::string>& out) {
  const auto range = find_brace_range(text);
  if (!range) {
    out.push_back(text);
    return;
  }
  std::int64_t first = 0, last = 0;
  std::from_chars(range->first.data(), range->first.data() + range->first.size(), first);
  std::from_chars(range->last.data(), range->last.data() + range->last.size(), last);
  // "{000000..000012}": zero-padded bounds keep their width (webdataset's braceexpand does too).
  const bool padded = (range->first.size() > 1 && range->first[0] == '0') ||
                      (range->last.size() > 1 && range->last[0] == '0');
  const std::size_t width = padded ? std::max(range->first.size(), range->last.size()) : 0;
  const std::int64_t step = first <= last ? 1 : -1;
  for (std::int64_t i = first;; i += step) {
    std::string number = std::to_string(i);
    if (number.size() < width) number.insert(0, width - number.size(), '0');
    expand_braces(text.substr(0, range->open) + number + text.substr(range->close + 1), out);
    if (i == last) break;
  }
}

}  // namespace

std::string_view distortion_kind(const Distortion& distortion) {
  return std::visit([](const auto& d) { return d.kKind; }, distortion);
}

const std::string* DatasetConfig::given_backbone() const {
  if (const auto* f = std::get_if<FeaturesSource>(&source)) return &f->backbone;
  if (const auto* s = std::get_if<StatisticsSource>(&source)) return &s->backbone;
  return nullptr;
}

std::vector<std::string> DatasetConfig::ingredients() const {
  if (const auto* d = std::get_if<DerivedSource>(&source)) {
    if (d->region) return {d->base, d->region->mask};
    return {d->base};
  }
  if (const auto* m = std::get_if<MixtureSource>(&source)) return {m->base, m->counterfactual};
  return {};
}

std::string_view source_name(const DatasetSource& source) {
  return std::visit([](const auto& s) { return s.kName; }, source);
}

std::string_view pixel_layout_name(PixelLayout layout) {
  return layout == PixelLayout::kNhwc ? "NHWC" : "NCHW";
}

std::vector<std::filesystem::path> expand_shard_pattern(const std::filesystem::path& pattern,
                                                        bool keep_unmatched) {
  std::vector<std::string> expanded;
  expand_braces(pattern.string(), expanded);
  std::vector<std::filesystem::path> out;
  for (const std::string& text : expanded) {
    if (!has_glob_characters(text)) {
      out.emplace_back(text);
      continue;
    }
    glob_t matches{};
    const int rc = ::glob(text.c_str(), GLOB_ERR, nullptr, &matches);
    std::vector<std::string> found;
    if (rc == 0)
      for (std::size_t i = 0; i < matches.gl_pathc; ++i)
        found.emplace_back(matches.gl_pathv[i]);
    globfree(&matches);
    // glob sorts by the locale's collation; shard order must not depend on the locale.
    std::sort(found.begin(), found.end());
    if (found.empty() && keep_unmatched) out.emplace_back(text);
    for (auto& f : found)
      out.emplace_back(std::move(f));
  }
  return out;
}

DatasetSource dataset_source_for_path(const std::string& text,
                                      const std::filesystem::path& base_dir) {
  GENSWEEP_CHECK(!text.empty(), UsageError, "empty dataset path");
  auto absolute = [&](const std::string& t) {
    std::filesystem::path p(t);
    return (p.is_relative() ? base_dir / p : p).lexically_normal();
  };
  // "x.h5:/images": the part after the last ':' is the dataset inside an HDF5 file.
  if (const std::size_t colon = text.rfind(':'); colon != std::string::npos) {
    const std::string file = text.substr(0, colon);
    if (ends_with_ci(file, ".h5") || ends_with_ci(file, ".hdf5")) {
      Hdf5ImagesSource h;
      h.file = absolute(file);
      h.dataset = text.substr(colon + 1);
      GENSWEEP_CHECK(h.dataset.size() >= 2 && h.dataset[0] == '/', UsageError,
                     "'{}': expected an absolute dataset path after ':' (\"{}:/images\")", text,
                     file);
      return h;
    }
  }
  if (ends_with_ci(text, ".h5") || ends_with_ci(text, ".hdf5"))
    throw UsageError(fmt::format(
        "'{}': name the image dataset inside the HDF5 file, as '{}:/images' (uint8 NHWC)", text,
        text));
  if (ends_with_ci(text, ".zip")) return ZipSource{absolute(text), 0, std::nullopt};
  if (ends_with_ci(text, ".npz")) return NpzSource{{absolute(text)}, 0, std::nullopt};
  if (ends_with_ci(text, ".tar")) {
    TarSource t;
    t.shards = expand_shard_pattern(absolute(text), false);
    GENSWEEP_CHECK(!t.shards.empty(), UsageError, "'{}': no tar shard matches", text);
    return t;
  }
  std::error_code ec;
  if (std::filesystem::is_directory(absolute(text), ec))
    return FolderSource{absolute(text), 0, std::nullopt};
  throw UsageError(fmt::format(
      "'{}' is not an image folder, .zip, .tar (or brace pattern of them), .npz sample batch or "
      "'file.h5:/dataset'",
      text));
}

}  // namespace gensweep::config
