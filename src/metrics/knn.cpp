#include "gensweep/metrics/knn.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "gensweep/core/error.h"
#include "gensweep/core/parallel.h"

namespace gensweep::metrics {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Relative slack between a screened bound and a radius before the screen decides alone: covers
// the float64 rounding of r^2 and of sqrt (a few ulps) with a wide margin.
constexpr double kRadiusSlack = 1e-12;
// Added to the error bound, times |q|^2 + |r|^2: float64 rounding of a and of the exact d^2.
constexpr double kFloat64Slack = 1e-14;
// Query rows per parallel_for task inside a tile.
constexpr std::int64_t kRowsPerTask = 16;

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// 2 gamma_D with a safety factor 1.25: |a - d^2| <= two_gamma |q| |r| (+ kFloat64Slack term).
double two_gamma(std::int64_t dim) {
  const double du = static_cast<double>(dim) * 0x1p-24;
  GENSWEEP_CHECK(du < 0.5, DataError, "knn: dimension {} is too large for float32 screening", dim);
  return 2.0 * 1.25 * du / (1.0 - du);
}

// out[nq x nr] = Q R^T in float32.
void gemm_tile(const float* q, std::int64_t nq, const float* r, std::int64_t nr, std::int64_t dim,
               float* out) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(nq),
              static_cast<blasint>(nr), static_cast<blasint>(dim), 1.0f, q,
              static_cast<blasint>(dim), r, static_cast<blasint>(dim), 0.0f, out,
              static_cast<blasint>(nr));
}

std::vector<double> norms2_of(FeatureView v, int threads) {
  std::vector<double> out(static_cast<std::size_t>(v.rows));
  parallel_for((v.rows + 255) / 256, threads, [&](std::int64_t t) {
    for (std::int64_t i = t * 256; i < std::min(v.rows, (t + 1) * 256); ++i)
      out[i] = squared_norm(v.row(i), v.cols);
  });
  return out;
}

using State = KnnAccumulator::State;

double threshold(const State& s, int kk) {
  return static_cast<int>(s.heap.size()) < kk ? kInf : s.heap.front();
}

// Offers one screened pair to a query's k-NN state; returns the updated threshold.
inline double offer(State& s, int kk, double lo, double hi, std::int64_t index, double t) {
  if (lo > t) return t;
  s.candidates.emplace_back(lo, index);
  if (static_cast<int>(s.heap.size()) < kk) {
    s.heap.push_back(hi);
    std::push_heap(s.heap.begin(), s.heap.end());
  } else if (hi < s.heap.front()) {
    std::pop_heap(s.heap.begin(), s.heap.end());
    s.heap.back() = hi;
    std::push_heap(s.heap.begin(), s.heap.end());
  }
  return threshold(s, kk);
}

// Drops candidates above the threshold; the next prune waits until the list doubled (amortised
// O(1) per pair even when many candidates sit within the error bound of the threshold).
void prune(State& s, int kk) {
  const double t = threshold(s, kk);
  std::erase_if(s.candidates, [t](const auto& c) { return c.first > t; });
  s.prune_at =
      std::max<std::size_t>(4 * static_cast<std::size_t>(kk) + 64, 2 * s.candidates.size());
}

// After a block was screened: exact d^2 for its surviving candidates (its rows are still at hand;
// streamed rows are never seen again), then the heap is rebuilt from the candidates' exact values,
// which all are exact now, and candidates above the new threshold are dropped. Returns the number
// of exact distances computed.
std::int64_t settle(State& s, int kk, std::size_t first_new, const float* query, FeatureView block,
                    std::int64_t first_index) {
  const double t = threshold(s, kk);
  std::int64_t exact = 0;
  for (std::size_t c = first_new; c < s.candidates.size(); ++c) {
    auto& cand = s.candidates[c];
    if (cand.first > t) {
      cand.first = kInf;
      continue;
    }
    cand.first = exact_squared_distance(query, block.row(cand.second - first_index), block.cols);
    ++exact;
  }
  std::erase_if(s.candidates, [](const auto& c) { return c.first == kInf; });
  s.heap.clear();
  for (const auto& c : s.candidates) {
    if (static_cast<int>(s.heap.size()) < kk) {
      s.heap.push_back(c.first);
      std::push_heap(s.heap.begin(), s.heap.end());
    } else if (c.first < s.heap.front()) {
      std::pop_heap(s.heap.begin(), s.heap.end());
      s.heap.back() = c.first;
      std::push_heap(s.heap.begin(), s.heap.end());
    }
  }
  prune(s, kk);
  return exact;
}

// Screens one tile row (query q against a block) into a k-NN state.
inline void screen_row(State& s, int kk, const float* g, std::int64_t nr, double q2, double qn,
                       const double* r_norm2, const double* r_norm, double g2,
                       std::int64_t first_index, std::int64_t skip_index = -1) {
  double t = threshold(s, kk);
  for (std::int64_t j = 0; j < nr; ++j) {
    if (first_index + j == skip_index) continue;
    const double a = q2 + r_norm2[j] - 2.0 * static_cast<double>(g[j]);
    const double e = g2 * qn * r_norm[j] + kFloat64Slack * (q2 + r_norm2[j]);
    t = offer(s, kk, a - e, a + e, first_index + j, t);
    if (s.candidates.size() > s.prune_at) prune(s, kk);
  }
}

}  // namespace

double exact_squared_distance(const float* a, const float* b, std::int64_t dim) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  std::int64_t d = 0;
  for (; d + 4 <= dim; d += 4) {
    const double t0 = static_cast<double>(a[d]) - static_cast<double>(b[d]);
    const double t1 = static_cast<double>(a[d + 1]) - static_cast<double>(b[d + 1]);
    const double t2 = static_cast<double>(a[d + 2]) - static_cast<double>(b[d + 2]);
    const double t3 = static_cast<double>(a[d + 3]) - static_cast<double>(b[d + 3]);
    s0 += t0 * t0;
    s1 += t1 * t1;
    s2 += t2 * t2;
    s3 += t3 * t3;
  }
  for (; d < dim; ++d) {
    const double t = static_cast<double>(a[d]) - static_cast<double>(b[d]);
    s0 += t * t;
  }
  return (s0 + s1) + (s2 + s3);
}

double squared_norm(const float* a, std::int64_t dim) {
  double s = 0;
  for (std::int64_t d = 0; d < dim; ++d)
    s += static_cast<double>(a[d]) * static_cast<double>(a[d]);
  return s;
}

double l1_distance(const float* query, const float* reference, std::int64_t dim, double eps) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  std::int64_t d = 0;
  for (; d + 4 <= dim; d += 4) {
    s0 += std::abs(static_cast<double>(query[d]) - static_cast<double>(reference[d]) + eps);
    s1 += std::abs(static_cast<double>(query[d + 1]) - static_cast<double>(reference[d + 1]) + eps);
    s2 += std::abs(static_cast<double>(query[d + 2]) - static_cast<double>(reference[d + 2]) + eps);
    s3 += std::abs(static_cast<double>(query[d + 3]) - static_cast<double>(reference[d + 3]) + eps);
  }
  for (; d < dim; ++d)
    s0 += std::abs(static_cast<double>(query[d]) - static_cast<double>(reference[d]) + eps);
  return (s0 + s1) + (s2 + s3);
}

KnnCounters& KnnCounters::operator+=(const KnnCounters& o) {
  pairs += o.pairs;
  exact_distances += o.exact_distances;
  gemm_seconds += o.gemm_seconds;
  screen_seconds += o.screen_seconds;
  exact_seconds += o.exact_seconds;
  return *this;
}

// ---------------------------------------------------------------------------------------------
// KnnAccumulator

KnnAccumulator::KnnAccumulator(FeatureView queries, int kk, TileOptions tiles)
    : queries_(queries), kk_(kk), tiles_(tiles) {
  GENSWEEP_CHECK(kk >= 1, DataError, "knn: k + 1 must be at least 1, got {}", kk);
  tiles_.query_tile = std::max<std::int64_t>(1, tiles_.query_tile);
  query_norm2_ = norms2_of(queries, tiles_.threads);
  states_.resize(static_cast<std::size_t>(queries.rows));
}

KnnAccumulator::~KnnAccumulator() = default;

void KnnAccumulator::add_block(FeatureView block, std::int64_t first_index) {
  GENSWEEP_CHECK(block.cols == queries_.cols, DataError,
                 "knn: reference block has dimension {}, queries have {}", block.cols,
                 queries_.cols);
  if (block.rows == 0 || queries_.rows == 0) return;
  const auto r_norm2 = norms2_of(block, tiles_.threads);
  std::vector<double> r_norm(r_norm2.size());
  for (std::size_t i = 0; i < r_norm2.size(); ++i)
    r_norm[i] = std::sqrt(r_norm2[i]);
  const double g2 = two_gamma(queries_.cols);
  const std::int64_t nr = block.rows;
  std::vector<float> tile(
      static_cast<std::size_t>(std::min(tiles_.query_tile, queries_.rows) * nr));
  std::vector<std::int64_t> exact_count(static_cast<std::size_t>(queries_.rows), 0);
  for (std::int64_t q0 = 0; q0 < queries_.rows; q0 += tiles_.query_tile) {
    const std::int64_t nq = std::min(tiles_.query_tile, queries_.rows - q0);
    auto t0 = Clock::now();
    gemm_tile(queries_.row(q0), nq, block.data, nr, block.cols, tile.data());
    counters_.gemm_seconds += seconds_since(t0);
    t0 = Clock::now();
    parallel_for((nq + kRowsPerTask - 1) / kRowsPerTask, tiles_.threads, [&](std::int64_t task) {
      for (std::int64_t q = q0 + task * kRowsPerTask;
           q < std::min(q0 + nq, q0 + (task + 1) * kRowsPerTask); ++q) {
        State& s = states_[q];
        const std::size_t first_new = s.candidates.size();
        screen_row(s, kk_, tile.data() + (q - q0) * nr, nr, query_norm2_[q],
                   std::sqrt(query_norm2_[q]), r_norm2.data(), r_norm.data(), g2, first_index);
        exact_count[q] += settle(s, kk_, first_new, queries_.row(q), block, first_index);
      }
    });
    counters_.screen_seconds += seconds_since(t0);
  }
  counters_.pairs += queries_.rows * nr;
  for (auto c : exact_count)
    counters_.exact_distances += c;
}

KnnAccumulator::Neighbours KnnAccumulator::finish() {
  Neighbours out;
  out.kk = kk_;
  out.distance.assign(static_cast<std::size_t>(queries_.rows * kk_), kInf);
  out.index.assign(static_cast<std::size_t>(queries_.rows * kk_), -1);
  parallel_for(queries_.rows, tiles_.threads, [&](std::int64_t q) {
    State& s = states_[q];
    const double t = threshold(s, kk_);
    std::vector<std::pair<double, std::int64_t>> exact;
    for (const auto& c : s.candidates)
      if (c.first <= t) exact.push_back(c);
    const auto keep = std::min<std::int64_t>(kk_, static_cast<std::int64_t>(exact.size()));
    std::partial_sort(exact.begin(), exact.begin() + keep, exact.end());
    for (std::int64_t j = 0; j < keep; ++j) {
      out.distance[q * kk_ + j] = std::sqrt(exact[j].first);
      out.index[q * kk_ + j] = exact[j].second;
    }
    s = State{};
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// BallAccumulator

namespace {

// The decision "exact distance d (</<=) r" from the screened bounds lo <= d^2 <= hi, computing d
// only when the bounds straddle r^2.
struct PairDistance {
  double lo, hi;
  const float* q;
  const float* r;
  std::int64_t dim;
  double d = -1;
  std::int64_t* exact_count;

  double exact() {
    if (d < 0) {
      d = std::sqrt(exact_squared_distance(q, r, dim));
      ++*exact_count;
    }
    return d;
  }
  bool inside(double radius, bool inclusive) {
    const double r2 = radius * radius;
    if (hi < r2 * (1 - kRadiusSlack)) return true;
    if (lo > r2 * (1 + kRadiusSlack)) return false;
    const double dd = exact();
    return inclusive ? dd <= radius : dd < radius;
  }
};

}  // namespace

BallAccumulator::BallAccumulator(FeatureView queries, std::int64_t reference_rows,
                                 BallOptions options, std::span<const double> radius_pr,
                                 std::span<const double> radius_dc,
                                 std::span<const double> radius_rarity,
                                 std::span<const double> eval_radius_pr, TileOptions tiles)
    : queries_(queries),
      options_(options),
      radius_pr_(radius_pr),
      radius_dc_(radius_dc),
      radius_rarity_(radius_rarity),
      eval_radius_pr_(eval_radius_pr),
      tiles_(tiles) {
  tiles_.query_tile = std::max<std::int64_t>(1, tiles_.query_tile);
  const auto n = static_cast<std::size_t>(reference_rows);
  const auto m = static_cast<std::size_t>(queries.rows);
  GENSWEEP_ASSERT(
      !(options.precision || options.realism || options.recall) || radius_pr.size() == n,
      "ball: {} P/R radii for {} references", radius_pr.size(), n);
  GENSWEEP_ASSERT(!options.density_coverage || radius_dc.size() == n,
                  "ball: {} D/C radii for {} references", radius_dc.size(), n);
  GENSWEEP_ASSERT(!options.rarity || radius_rarity.size() == n,
                  "ball: {} rarity radii for {} references", radius_rarity.size(), n);
  GENSWEEP_ASSERT(!options.recall || eval_radius_pr.size() == m,
                  "ball: {} evaluated radii for {} queries", eval_radius_pr.size(), m);
  GENSWEEP_ASSERT(options.query_self_index.empty() || options.query_self_index.size() == m,
                  "ball: {} self indices for {} queries", options.query_self_index.size(), m);
  query_norm2_ = norms2_of(queries, tiles_.threads);
  in_precision_ball.assign(m, 0);
  density_count.assign(m, 0);
  rarity.assign(m, kInf);
  realism.assign(m, 0.0);
  nn_index.assign(m, -1);
  nn_distance.assign(m, kInf);
  covered.assign(n, 0);
  recalled.assign(n, 0);
  nearest_.resize(m);
}

BallAccumulator::~BallAccumulator() = default;

void BallAccumulator::add_block(FeatureView block, std::int64_t first_index) {
  GENSWEEP_CHECK(block.cols == queries_.cols, DataError,
                 "ball: reference block has dimension {}, queries have {}", block.cols,
                 queries_.cols);
  if (block.rows == 0 || queries_.rows == 0) return;
  const auto r_norm2 = norms2_of(block, tiles_.threads);
  const std::int64_t nr = block.rows;
  std::vector<double> r_norm(static_cast<std::size_t>(nr));
  // Largest squared radius of any reference ball test, per reference (cheap skip of far pairs).
  std::vector<double> r_test2(static_cast<std::size_t>(nr), -1.0);
  // Realism: squared radius of kept balls (0 for dropped ones: they never raise the max).
  std::vector<double> r_real2(static_cast<std::size_t>(nr), 0.0);
  for (std::int64_t j = 0; j < nr; ++j) {
    r_norm[j] = std::sqrt(r_norm2[j]);
    const std::int64_t i = first_index + j;
    double m = -1;
    if (options_.precision) m = std::max(m, radius_pr_[i]);
    if (options_.density_coverage) m = std::max(m, radius_dc_[i]);
    if (options_.rarity) m = std::max(m, radius_rarity_[i]);
    r_test2[j] = m < 0 ? -1.0 : m * m * (1 + kRadiusSlack);
    if (options_.realism && radius_pr_[i] <= options_.realism_max_radius)
      r_real2[j] = radius_pr_[i] * radius_pr_[i];
  }
  const double g2 = two_gamma(queries_.cols);
  const std::int64_t dim = queries_.cols;
  std::vector<float> tile(
      static_cast<std::size_t>(std::min(tiles_.query_tile, queries_.rows) * nr));
  std::vector<std::int64_t> exact_count(static_cast<std::size_t>(queries_.rows), 0);
  std::vector<std::int64_t> ref_exact(static_cast<std::size_t>((nr + 63) / 64), 0);
  for (std::int64_t q0 = 0; q0 < queries_.rows; q0 += tiles_.query_tile) {
    const std::int64_t nq = std::min(tiles_.query_tile, queries_.rows - q0);
    auto t0 = Clock::now();
    gemm_tile(queries_.row(q0), nq, block.data, nr, dim, tile.data());
    counters_.gemm_seconds += seconds_since(t0);
    t0 = Clock::now();
    // Per evaluated sample: precision, density, rarity, realism, nearest reference.
    parallel_for((nq + kRowsPerTask - 1) / kRowsPerTask, tiles_.threads, [&](std::int64_t task) {
      for (std::int64_t q = q0 + task * kRowsPerTask;
           q < std::min(q0 + nq, q0 + (task + 1) * kRowsPerTask); ++q) {
        const float* g = tile.data() + (q - q0) * nr;
        const float* qrow = queries_.row(q);
        const double q2 = query_norm2_[q];
        const double qn = std::sqrt(q2);
        // Leave-one-out: the query's own row of the reference set takes part in nothing.
        const std::int64_t self =
            options_.query_self_index.empty() ? -1 : options_.query_self_index[q];
        State& s = nearest_[q];
        const std::size_t first_new = s.candidates.size();
        screen_row(s, 1, g, nr, q2, qn, r_norm2.data(), r_norm.data(), g2, first_index, self);
        exact_count[q] += settle(s, 1, first_new, qrow, block, first_index);
        std::int64_t& exact = exact_count[q];
        double best_real = realism[q];
        if (options_.realism) {
          // Seed the running max with the most promising kept ball of this block, so that few
          // other pairs need an exact look.
          std::int64_t seed = -1;
          double seed_ratio2 = 0;
          for (std::int64_t j = 0; j < nr; ++j) {
            if (r_real2[j] <= 0 || first_index + j == self) continue;
            const double a = q2 + r_norm2[j] - 2.0 * static_cast<double>(g[j]);
            const double hi = a + g2 * qn * r_norm[j] + kFloat64Slack * (q2 + r_norm2[j]);
            const double lower_ratio2 = r_real2[j] / hi;
            if (lower_ratio2 > seed_ratio2) {
              seed_ratio2 = lower_ratio2;
              seed = j;
            }
          }
          if (seed >= 0) {
            const double d = std::sqrt(exact_squared_distance(qrow, block.row(seed), dim));
            ++exact;
            const double ratio = radius_pr_[first_index + seed] / d;  // +inf at d = 0
            best_real = std::max(best_real, ratio);
          }
        }
        bool in_pr = in_precision_ball[q] != 0;
        std::int64_t dens = density_count[q];
        double rar = rarity[q];
        for (std::int64_t j = 0; j < nr; ++j) {
          if (first_index + j == self) continue;
          const double a = q2 + r_norm2[j] - 2.0 * static_cast<double>(g[j]);
          const double e = g2 * qn * r_norm[j] + kFloat64Slack * (q2 + r_norm2[j]);
          const double lo = a - e;
          const bool ball_tests = lo <= r_test2[j];
          const bool realism_test =
              r_real2[j] > 0 && !(r_real2[j] <= best_real * best_real * std::max(lo, 0.0));
          if (!ball_tests && !realism_test) continue;
          const std::int64_t i = first_index + j;
          PairDistance pd{lo, a + e, qrow, block.row(j), dim, -1.0, &exact};
          if (ball_tests) {
            if (options_.precision && !in_pr && pd.inside(radius_pr_[i], options_.pr_inclusive))
              in_pr = true;
            if (options_.density_coverage && pd.inside(radius_dc_[i], options_.dc_inclusive))
              ++dens;
            if (options_.rarity && radius_rarity_[i] < rar && pd.inside(radius_rarity_[i], false))
              rar = radius_rarity_[i];
          }
          if (realism_test) {
            const double ratio = radius_pr_[i] / pd.exact();
            best_real = std::max(best_real, ratio);
          }
        }
        in_precision_ball[q] = in_pr ? 1 : 0;
        density_count[q] = dens;
        rarity[q] = rar;
        realism[q] = best_real;
      }
    });
    // Per reference: coverage (some query inside its D/C ball) and recall (inside some query's
    // P/R ball), in groups of 64 contiguous references.
    if (options_.density_coverage || options_.recall) {
      parallel_for((nr + 63) / 64, tiles_.threads, [&](std::int64_t group) {
        const std::int64_t j0 = group * 64, j1 = std::min(nr, j0 + 64);
        std::int64_t exact = 0;
        for (std::int64_t q = q0; q < q0 + nq; ++q) {
          const float* g = tile.data() + (q - q0) * nr;
          const double q2 = query_norm2_[q];
          const double qn = std::sqrt(q2);
          const double eval_r = options_.recall ? eval_radius_pr_[q] : -1.0;
          const double eval_r2 = eval_r * eval_r * (1 + kRadiusSlack);
          const std::int64_t self =
              options_.query_self_index.empty() ? -1 : options_.query_self_index[q];
          for (std::int64_t j = j0; j < j1; ++j) {
            const std::int64_t i = first_index + j;
            if (i == self) continue;
            const bool need_cov = options_.density_coverage && covered[i] == 0;
            const bool need_rec = options_.recall && recalled[i] == 0;
            if (!need_cov && !need_rec) continue;
            const double a = q2 + r_norm2[j] - 2.0 * static_cast<double>(g[j]);
            const double e = g2 * qn * r_norm[j] + kFloat64Slack * (q2 + r_norm2[j]);
            const double lo = a - e;
            const double cov_r2 =
                need_cov ? radius_dc_[i] * radius_dc_[i] * (1 + kRadiusSlack) : -1.0;
            if (lo > cov_r2 && (!need_rec || lo > eval_r2)) continue;
            PairDistance pd{lo, a + e, queries_.row(q), block.row(j), dim, -1.0, &exact};
            if (need_cov && pd.inside(radius_dc_[i], options_.dc_inclusive)) covered[i] = 1;
            if (need_rec && pd.inside(eval_r, options_.pr_inclusive)) recalled[i] = 1;
          }
        }
        ref_exact[group] += exact;
      });
    }
    counters_.screen_seconds += seconds_since(t0);
  }
  counters_.pairs += queries_.rows * nr;
  for (auto c : exact_count)
    counters_.exact_distances += c;
  for (auto c : ref_exact)
    counters_.exact_distances += c;
}

void BallAccumulator::finish() {
  for (std::int64_t q = 0; q < queries_.rows; ++q) {
    State& s = nearest_[q];
    const auto best = std::min_element(s.candidates.begin(), s.candidates.end());
    if (best != s.candidates.end()) {
      nn_distance[q] = std::sqrt(best->first);
      nn_index[q] = best->second;
    }
    if (rarity[q] == kInf) rarity[q] = 0.0;
  }
  nearest_.clear();
}

// ---------------------------------------------------------------------------------------------
// KNN-GIQA

float l1_distance_float32(const float* query, const float* reference, std::int64_t dim, float eps) {
  float s = 0;
  for (std::int64_t d = 0; d < dim; ++d)
    s += std::abs(query[d] - reference[d] + eps);
  return s;
}

GiqaKnnAccumulator::GiqaKnnAccumulator(FeatureView queries, int k, double eps, int threads,
                                       bool float32_reference_arithmetic,
                                       std::span<const std::int64_t> query_self_index)
    : queries_(queries),
      k_(k),
      eps_(eps),
      threads_(threads),
      float32_(float32_reference_arithmetic),
      query_self_index_(query_self_index) {
  GENSWEEP_ASSERT(query_self_index.empty() ||
                      static_cast<std::int64_t>(query_self_index.size()) == queries.rows,
                  "giqa_knn: {} self indices for {} queries", query_self_index.size(),
                  queries.rows);
  GENSWEEP_CHECK(k >= 1, DataError, "giqa_knn: K must be at least 1, got {}", k);
  smallest_.assign(static_cast<std::size_t>(queries.rows * k), kInf);
}

void GiqaKnnAccumulator::add_block(FeatureView block, std::int64_t first_index) {
  GENSWEEP_CHECK(block.cols == queries_.cols, DataError,
                 "giqa_knn: reference block has dimension {}, queries have {}", block.cols,
                 queries_.cols);
  parallel_for(queries_.rows, threads_, [&](std::int64_t q) {
    double* best = smallest_.data() + q * k_;
    const std::int64_t self = query_self_index_.empty() ? -1 : query_self_index_[q];
    for (std::int64_t j = 0; j < block.rows; ++j) {
      if (first_index + j == self) continue;
      const double d =
          float32_ ? static_cast<double>(l1_distance_float32(queries_.row(q), block.row(j),
                                                             block.cols, static_cast<float>(eps_)))
                   : l1_distance(queries_.row(q), block.row(j), block.cols, eps_);
      if (!(d < best[k_ - 1])) continue;
      int p = k_ - 1;
      while (p > 0 && best[p - 1] > d) {
        best[p] = best[p - 1];
        --p;
      }
      best[p] = d;
    }
  });
}

std::vector<double> GiqaKnnAccumulator::finish() const {
  std::vector<double> out(static_cast<std::size_t>(queries_.rows), 0.0);
  for (std::int64_t q = 0; q < queries_.rows; ++q) {
    double s = 0;
    for (int j = 0; j < k_; ++j)
      s += 1.0 / smallest_[q * k_ + j];
    out[q] = s;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Summaries

double quantile_linear(std::vector<double> values, double q) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const double pos = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  // numpy's _lerp: a + (b - a) t, switched to b - (b - a)(1 - t) for t >= 0.5.
  const double a = values[lo], b = values[hi], diff = b - a;
  return frac >= 0.5 ? b - diff * (1 - frac) : a + diff * frac;
}

RaritySummary summarize_rarity(std::span<const double> scores) {
  RaritySummary out;
  std::vector<double> kept;
  double sum = 0;
  for (double s : scores) {
    if (s > 0) {
      kept.push_back(s);
      sum += s;
    }
  }
  out.in_manifold = static_cast<std::int64_t>(kept.size());
  out.discarded = static_cast<std::int64_t>(scores.size()) - out.in_manifold;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  out.mean = kept.empty() ? nan : sum / static_cast<double>(kept.size());
  for (double level : kRarityQuantileLevels)
    out.quantiles.push_back(quantile_linear(kept, level));
  if (kept.empty()) return out;
  // numpy.histogram(kept, bins=20): equal bins over [min, max] (+-0.5 when min == max), the last
  // bin closed.
  double lo = *std::min_element(kept.begin(), kept.end());
  double hi = *std::max_element(kept.begin(), kept.end());
  if (lo == hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  constexpr int kBins = 20;
  for (int b = 0; b <= kBins; ++b)
    out.histogram_edges.push_back(lo + (hi - lo) * b / kBins);
  out.histogram_edges.back() = hi;
  out.histogram_counts.assign(kBins, 0);
  for (double v : kept) {
    auto bin = static_cast<std::int64_t>((v - lo) / (hi - lo) * kBins);
    bin = std::clamp<std::int64_t>(bin, 0, kBins - 1);
    // Keep the count consistent with the published edges (v in [edge[b], edge[b+1])).
    while (bin > 0 && v < out.histogram_edges[bin])
      --bin;
    while (bin < kBins - 1 && v >= out.histogram_edges[bin + 1])
      ++bin;
    ++out.histogram_counts[bin];
  }
  return out;
}

}  // namespace gensweep::metrics
