#include "suggest.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "gensweep/core/strings.h"

namespace gensweep::config::detail {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  // d[i][j]: distance between the first i characters of a and the first j of b.
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1, 0));
  for (std::size_t i = 0; i <= n; ++i)
    d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j)
    d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

std::optional<std::string> closest(std::string_view name, std::span<const std::string> candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = 3;  // suggest only within 2 edits: further away is a guess
  for (const auto& candidate : candidates) {
    const std::size_t distance = edit_distance(name, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::string suggestion_suffix(std::string_view name, std::span<const std::string> candidates,
                              std::string_view plural) {
  if (auto best = closest(name, candidates)) return fmt::format(" (did you mean \"{}\"?)", *best);
  if (candidates.empty()) return fmt::format(" (known {}: none)", plural);
  return fmt::format(" (known {}: {})", plural,
                     join(std::vector<std::string>(candidates.begin(), candidates.end()), ", "));
}

}  // namespace gensweep::config::detail
