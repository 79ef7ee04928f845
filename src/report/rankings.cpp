#include "gensweep/report/rankings.h"

#include "gensweep/report/csv.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace gensweep::report {

std::vector<RankedImage> rank_by_score(const SampleScores& scores) {
  std::vector<std::size_t> order(scores.values.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  auto larger = [&](std::size_t a, std::size_t b) {
    const double x = scores.values[a], y = scores.values[b];
    if (std::isnan(x) || std::isnan(y)) return !std::isnan(x) && std::isnan(y);
    return x > y;
  };
  std::stable_sort(order.begin(), order.end(), larger);
  std::vector<RankedImage> ranked;
  ranked.reserve(order.size());
  for (std::size_t i : order) {
    RankedImage image;
    image.rank = static_cast<std::int64_t>(ranked.size()) + 1;
    image.id = i < scores.ids.size() ? scores.ids[i] : std::to_string(i);
    image.row = i < scores.rows.size() ? scores.rows[i] : static_cast<std::int64_t>(i);
    image.score = scores.values[i];
    ranked.push_back(std::move(image));
  }
  return ranked;
}

std::string scores_stem(const SampleScores& scores) {
  return fmt::format("{}__vs__{}__{}__{}", scores.evaluated, scores.reference, scores.backbone,
                     scores.score);
}

std::string rankings_csv(std::span<const RankedImage> ranked) {
  std::string out = "rank,id,row,score\n";
  for (const auto& image : ranked) {
    out += fmt::format("{},{},{},{}\n", image.rank, csv_field(image.id), image.row,
                       csv_number(image.score));
  }
  return out;
}

}  // namespace gensweep::report
