// Seeded k-means (k-means++ start, Lloyd iterations) for the GMM fit's initial responsibilities.

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "gensweep/core/error.h"
#include "gensweep/core/parallel.h"
#include "gensweep/core/random.h"
#include "gmm_internal.h"

namespace gensweep::metrics::gmm_detail {
namespace {

constexpr std::int64_t kMaxLloydIterations = 300;  // sklearn KMeans max_iter
constexpr double kRelativeTol = 1e-4;              // sklearn KMeans tol, times mean variance

double squared_distance(const double* a, const double* b, std::int64_t d) {
  double s = 0.0;
  for (std::int64_t j = 0; j < d; ++j) {
    const double t = a[j] - b[j];
    s += t * t;
  }
  return s;
}

// Squared distance of every row to `centre` [D], into out [N].
void distances_to(const Rows& x, const double* centre, int threads, std::vector<double>& out) {
  const std::int64_t d = x.cols;
  out.resize(static_cast<std::size_t>(x.rows));
  parallel_for(block_count(x.rows), threads, [&](std::int64_t b) {
    const std::int64_t begin = b * kBlockRows;
    const std::int64_t count = std::min(kBlockRows, x.rows - begin);
    std::vector<double> block(static_cast<std::size_t>(count * d));
    x.load(begin, count, block.data());
    for (std::int64_t i = 0; i < count; ++i)
      out[begin + i] = squared_distance(block.data() + i * d, centre, d);
  });
}

void copy_row(const Rows& x, std::int64_t i, double* out) {
  x.load(i, 1, out);
}

// sklearn's greedy k-means++: each new centre is the best (lowest potential) of n_local candidates
// drawn with probability proportional to the squared distance to the nearest chosen centre.
std::vector<double> kmeans_plus_plus(const Rows& x, std::int64_t k, Rng& rng, int threads) {
  const std::int64_t n = x.rows, d = x.cols;
  const auto n_local = 2 + static_cast<std::int64_t>(std::log(static_cast<double>(k)));
  std::vector<double> centres(static_cast<std::size_t>(k * d));
  copy_row(x, static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(n))), centres.data());
  std::vector<double> closest;
  distances_to(x, centres.data(), threads, closest);
  double potential = 0.0;
  for (double v : closest)
    potential += v;

  std::vector<double> cumulative(static_cast<std::size_t>(n));
  std::vector<double> candidate(static_cast<std::size_t>(d));
  std::vector<double> trial, best_distances;
  for (std::int64_t c = 1; c < k; ++c) {
    double running = 0.0;
    for (std::int64_t i = 0; i < n; ++i) {
      running += closest[i];
      cumulative[i] = running;
    }
    double best_potential = std::numeric_limits<double>::infinity();
    std::int64_t best_id = -1;
    for (std::int64_t t = 0; t < n_local; ++t) {
      const double r = rng.uniform() * potential;
      // numpy searchsorted 'left': the first index whose cumulative sum is >= r.
      auto id = static_cast<std::int64_t>(
          std::lower_bound(cumulative.begin(), cumulative.end(), r) - cumulative.begin());
      id = std::min(id, n - 1);
      copy_row(x, id, candidate.data());
      distances_to(x, candidate.data(), threads, trial);
      double pot = 0.0;
      for (std::int64_t i = 0; i < n; ++i) {
        trial[i] = std::min(trial[i], closest[i]);
        pot += trial[i];
      }
      if (pot < best_potential) {  // first of equal potentials wins, as numpy argmin
        best_potential = pot;
        best_id = id;
        best_distances.swap(trial);
      }
    }
    copy_row(x, best_id, centres.data() + c * d);
    closest.swap(best_distances);
    potential = best_potential;
  }
  return centres;
}

// Nearest centre of each row (the first of equal distances) and the squared distance to it.
void assign(const Rows& x, const std::vector<double>& centres, std::int64_t k, int threads,
            std::vector<std::int64_t>& labels, std::vector<double>& distance) {
  const std::int64_t d = x.cols;
  labels.resize(static_cast<std::size_t>(x.rows));
  distance.resize(static_cast<std::size_t>(x.rows));
  parallel_for(block_count(x.rows), threads, [&](std::int64_t b) {
    const std::int64_t begin = b * kBlockRows;
    const std::int64_t count = std::min(kBlockRows, x.rows - begin);
    std::vector<double> block(static_cast<std::size_t>(count * d));
    x.load(begin, count, block.data());
    for (std::int64_t i = 0; i < count; ++i) {
      double best = std::numeric_limits<double>::infinity();
      std::int64_t arg = 0;
      for (std::int64_t c = 0; c < k; ++c) {
        const double s = squared_distance(block.data() + i * d, centres.data() + c * d, d);
        if (s < best) {
          best = s;
          arg = c;
        }
      }
      labels[begin + i] = arg;
      distance[begin + i] = best;
    }
  });
}

// Means of the labelled rows: per-block partial sums, added in block order.
std::vector<double> update_centres(const Rows& x, const std::vector<std::int64_t>& labels,
                                   std::int64_t k, int threads, std::vector<std::int64_t>& counts) {
  const std::int64_t d = x.cols, blocks = block_count(x.rows);
  std::vector<double> partial(static_cast<std::size_t>(blocks * k * d), 0.0);
  parallel_for(blocks, threads, [&](std::int64_t b) {
    const std::int64_t begin = b * kBlockRows;
    const std::int64_t count = std::min(kBlockRows, x.rows - begin);
    std::vector<double> block(static_cast<std::size_t>(count * d));
    x.load(begin, count, block.data());
    double* sums = partial.data() + b * k * d;
    for (std::int64_t i = 0; i < count; ++i) {
      double* s = sums + labels[begin + i] * d;
      const double* row = block.data() + i * d;
      for (std::int64_t j = 0; j < d; ++j)
        s[j] += row[j];
    }
  });
  std::vector<double> centres(static_cast<std::size_t>(k * d), 0.0);
  for (std::int64_t b = 0; b < blocks; ++b) {
    for (std::int64_t t = 0; t < k * d; ++t)
      centres[t] += partial[b * k * d + t];
  }
  counts.assign(static_cast<std::size_t>(k), 0);
  for (std::int64_t label : labels)
    ++counts[label];
  for (std::int64_t c = 0; c < k; ++c) {
    if (counts[c] == 0) continue;
    for (std::int64_t j = 0; j < d; ++j)
      centres[c * d + j] /= static_cast<double>(counts[c]);
  }
  return centres;
}

// 1e-4 x the mean over features of the population variance (numpy var), as sklearn's _tolerance.
double lloyd_tolerance(const Rows& x) {
  const std::int64_t n = x.rows, d = x.cols;
  std::vector<double> mean(static_cast<std::size_t>(d), 0.0), var(static_cast<std::size_t>(d), 0.0);
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < d; ++j)
      mean[j] += x.at(i, j);
  }
  for (double& m : mean)
    m /= static_cast<double>(n);
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < d; ++j) {
      const double t = x.at(i, j) - mean[j];
      var[j] += t * t;
    }
  }
  double total = 0.0;
  for (double v : var)
    total += v / static_cast<double>(n);
  return kRelativeTol * total / static_cast<double>(d);
}

}  // namespace

KMeansResult kmeans(const Rows& x, std::int64_t k, std::uint64_t seed, int threads) {
  GENSWEEP_ASSERT(x.rows >= k && k >= 1, "kmeans: {} rows for {} clusters", x.rows, k);
  const std::int64_t d = x.cols;
  Rng rng(seed);
  KMeansResult result;
  result.centres = kmeans_plus_plus(x, k, rng, threads);
  const double tol = lloyd_tolerance(x);

  std::vector<double> distance;
  std::vector<std::int64_t> previous, counts;
  assign(x, result.centres, k, threads, result.labels, distance);
  for (std::int64_t it = 1; it <= kMaxLloydIterations; ++it) {
    result.iterations = it;
    std::vector<double> centres = update_centres(x, result.labels, k, threads, counts);
    // Empty clusters take the rows farthest from their centres (sklearn's relocation), the
    // farthest first, ties to the lower row index.
    std::vector<std::int64_t> empty;
    for (std::int64_t c = 0; c < k; ++c) {
      if (counts[c] == 0) empty.push_back(c);
    }
    if (!empty.empty()) {
      std::vector<std::int64_t> order(static_cast<std::size_t>(x.rows));
      for (std::int64_t i = 0; i < x.rows; ++i)
        order[i] = i;
      std::stable_sort(order.begin(), order.end(),
                       [&](std::int64_t a, std::int64_t b) { return distance[a] > distance[b]; });
      for (std::size_t e = 0; e < empty.size(); ++e)
        copy_row(x, order[e], centres.data() + empty[e] * d);
    }
    double shift = 0.0;
    for (std::int64_t t = 0; t < k * d; ++t) {
      const double s = centres[t] - result.centres[t];
      shift += s * s;
    }
    result.centres.swap(centres);
    previous.swap(result.labels);
    assign(x, result.centres, k, threads, result.labels, distance);
    if (result.labels == previous || shift <= tol) break;
  }
  return result;
}

}  // namespace gensweep::metrics::gmm_detail
