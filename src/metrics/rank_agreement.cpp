#include "gensweep/metrics/rank_agreement.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

#include "gensweep/core/error.h"

namespace gensweep::metrics {
namespace {

void check_pair(const std::vector<double>& x, const std::vector<double>& y, const char* what) {
  GENSWEEP_CHECK(x.size() == y.size(), NumericalError,
                 "{}: the rankings have {} and {} items; they must rank the same items", what,
                 x.size(), y.size());
  GENSWEEP_CHECK(x.size() >= 2, NumericalError, "{}: needs at least 2 items, got {}", what,
                 x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    GENSWEEP_CHECK(std::isfinite(x[i]) && std::isfinite(y[i]), NumericalError,
                   "{}: item {} has a non-finite score ({}, {})", what, i, x[i], y[i]);
  }
}

int sign(double v) {
  return (v > 0) - (v < 0);
}

}  // namespace

std::vector<double> average_ranks(const std::vector<double>& values) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]])
      ++j;
    // Positions i..j (0-based) hold ranks i+1..j+1: their mean.
    const double mean = 0.5 * static_cast<double>(i + j) + 1.0;
    for (std::size_t k = i; k <= j; ++k)
      ranks[order[k]] = mean;
    i = j + 1;
  }
  return ranks;
}

double kendall_tau(const std::vector<double>& x, const std::vector<double>& y) {
  check_pair(x, y, "kendall_tau");
  // Integer pair counts: exact, so the same data always gives the same bits.
  long long concordant_minus_discordant = 0, tied_x = 0, tied_y = 0;
  const std::size_t n = x.size();
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      const int sx = sign(x[i] - x[j]), sy = sign(y[i] - y[j]);
      concordant_minus_discordant += sx * sy;
      tied_x += sx == 0;
      tied_y += sy == 0;
    }
  }
  const long long pairs = static_cast<long long>(n * (n - 1) / 2);
  const double denominator =
      std::sqrt(static_cast<double>(pairs - tied_x) * static_cast<double>(pairs - tied_y));
  if (denominator == 0) return std::numeric_limits<double>::quiet_NaN();
  return static_cast<double>(concordant_minus_discordant) / denominator;
}

double spearman_rho(const std::vector<double>& x, const std::vector<double>& y) {
  check_pair(x, y, "spearman_rho");
  const auto rx = average_ranks(x), ry = average_ranks(y);
  const double n = static_cast<double>(x.size());
  const double mean = (n + 1) / 2;  // the mean of any average ranking of n items
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < rx.size(); ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
    syy += (ry[i] - mean) * (ry[i] - mean);
  }
  if (sxx == 0 || syy == 0) return std::numeric_limits<double>::quiet_NaN();
  return sxy / std::sqrt(sxx * syy);
}

double jaccard(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const std::set<std::string> sa(a.begin(), a.end()), sb(b.begin(), b.end());
  if (sa.empty() && sb.empty()) return 1.0;
  std::size_t common = 0;
  for (const auto& id : sa)
    common += sb.count(id);
  return static_cast<double>(common) / static_cast<double>(sa.size() + sb.size() - common);
}

}  // namespace gensweep::metrics
