#pragma once
// Per-image scores ranked: OUTPUT/rankings/<evaluated>__vs__<reference>__<backbone>__<score>.csv
// lists every image of an evaluated set with its score and rank, for rarity and the GIQA scores.
// The name follows the per-sample file it comes from (per_sample/<evaluated>__vs__<reference>__
// <backbone>.h5) with the score appended, so that ids containing "_" cannot make two names equal.
//
// CSV columns: rank, id, row, score. rank 1 is the largest score: the rarest image by rarity, the
// best by GIQA (both GIQA scores grow with quality). row is the image's index in its dataset
// (what ImageSource::load takes). score is the shortest round-trip double; "nan" sorts last.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gensweep::report {

// The per-sample arrays that rank images (docs/METRICS.md, "Per-sample results").
inline constexpr std::array<std::string_view, 3> kRankedScores = {"rarity", "giqa_knn", "giqa_gmm"};

// One per-image score array of one comparison.
struct SampleScores {
  std::string reference{};
  std::string evaluated{};
  std::string backbone{};
  std::string score{};               // one of kRankedScores
  std::vector<double> values{};      // one per image with features, in the store's valid-row order
  std::vector<std::string> ids{};    // the id of each value's image
  std::vector<std::int64_t> rows{};  // the index of each value's image in its dataset
  bool has_images = false;           // the evaluated set has images to show (not a features file)
};

struct RankedImage {
  std::int64_t rank = 0;  // 1 = largest score
  std::string id{};
  std::int64_t row = 0;
  double score = 0;
  bool operator==(const RankedImage&) const = default;
};

// Every image, largest score first; equal scores keep their row order; NaN last.
std::vector<RankedImage> rank_by_score(const SampleScores& scores);

// "<evaluated>__vs__<reference>__<backbone>__<score>": the stem of the ranking and contact sheets.
std::string scores_stem(const SampleScores& scores);

// The CSV text (header and one line per image).
std::string rankings_csv(std::span<const RankedImage> ranked);

}  // namespace gensweep::report
