#pragma once
// How much two rankings of the same items agree: the numbers behind "feature spaces rank the
// corruptions differently" (Jung & Keuper, "Internalized Biases in FID") and "feature spaces find
// different images rare" (the Rarity Score paper). Conventions of scipy.stats, the implementation
// users compare with:
//
// - kendall_tau: tau-b, which corrects for ties in either ranking (scipy.stats.kendalltau's
//   default): (C - D) / sqrt((n0 - n1) (n0 - n2)), n0 = n (n - 1) / 2, n1 and n2 the pairs tied
//   in x and in y, C and D the concordant and discordant pairs. NaN when either ranking is
//   constant (scipy returns nan too).
// - spearman_rho: Pearson's correlation of the ranks, tied values taking the mean of the ranks
//   they span (scipy.stats.spearmanr). NaN when either ranking is constant.
// - jaccard: |A intersect B| / |A union B| of two sets of ids (1 for two empty sets).
//
// Exact O(n^2) pair counting: the rankings compared here have tens of items (corruptions x
// severities) or the k rarest of a set, never millions.

#include <string>
#include <vector>

namespace gensweep::metrics {

// x and y: the scores the two rankings come from, item by item (same length >= 2; NumericalError
// otherwise, or for a non-finite score). Higher or lower first does not matter as long as both
// use the same direction.
double kendall_tau(const std::vector<double>& x, const std::vector<double>& y);
double spearman_rho(const std::vector<double>& x, const std::vector<double>& y);

// Ranks 1..n with ties sharing the mean of the ranks they span (scipy.stats.rankdata "average").
std::vector<double> average_ranks(const std::vector<double>& values);

double jaccard(const std::vector<std::string>& a, const std::vector<std::string>& b);

}  // namespace gensweep::metrics
