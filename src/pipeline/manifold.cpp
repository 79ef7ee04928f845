#include "gensweep/pipeline/manifold.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>

#include "gensweep/core/error.h"
#include "gensweep/dist/phase.h"
#include "gensweep/metrics/blas_threads.h"
#include "gensweep/metrics/knn.h"
#include "gensweep/pipeline/store_rows.h"
#include "gensweep/store/feature_store.h"

// Distribution: the queries of every pass are dealt to ranks in chunks of tile_rows rows, chunk c
// going to rank c % size (a rank may get none). Each rank holds its queries in memory and streams
// every row of the other set in blocks of tile_rows rows. Per-query results (radii, per-sample
// scores) are disjoint between ranks and combined with an element-wise allreduce min (entries a
// rank does not own are +inf); per-reference flags with an allreduce sum. Every decision is exact
// (metrics/knn.h), so the results are identical for any number of ranks, threads or tile size.
//
// Passes (each one GEMM sweep over the pairs it needs):
//   1. reference x reference: the reference radii for k_precision_recall, k_density_coverage and
//      k_rarity (one k-NN with kk = max k + 1); skipped when the caller gives them
//      (ManifoldOptions::reference_radii, from the reference-structure cache);
//   2. evaluated x evaluated (only for recall): the evaluated radii for k_precision_recall;
//   3. evaluated x reference: precision, density, rarity, realism and the nearest reference per
//      evaluated sample, coverage and recall per reference; KNN-GIQA in the same sweep (exact L1
//      distances of every pair, float64).

namespace gensweep::pipeline {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::int64_t kDefaultTileRows = 2048;

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// This rank's chunks [begin, end) of `rows`, chunks of `tile` rows dealt round-robin.
struct Share {
  std::vector<std::pair<std::int64_t, std::int64_t>> chunks;
  std::int64_t rows = 0;
};

Share share_of(std::int64_t rows, std::int64_t tile, int rank, int size) {
  Share s;
  const std::int64_t chunks = (rows + tile - 1) / tile;
  for (std::int64_t c = rank; c < chunks; c += size) {
    const std::int64_t b = c * tile, e = std::min(rows, b + tile);
    s.chunks.emplace_back(b, e);
    s.rows += e - b;
  }
  return s;
}

void check_finite(const float* data, std::int64_t rows, std::int64_t dim, std::int64_t first_row,
                  const char* set) {
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t d = 0; d < dim; ++d) {
      GENSWEEP_CHECK(std::isfinite(data[i * dim + d]), NumericalError,
                     "manifold: {} feature row {} has a non-finite value ({}) in column {}", set,
                     first_row + i, data[i * dim + d], d);
    }
  }
}

FeatureMatrix load_share(const metrics::RowSource& source, const Share& share, const char* set) {
  FeatureMatrix m(share.rows, source.dim());
  std::int64_t at = 0;
  for (const auto& [b, e] : share.chunks) {
    source.read(b, e - b, m.row(at));
    check_finite(m.row(at), e - b, source.dim(), b, set);
    at += e - b;
  }
  return m;
}

// Streams every row of `source` in blocks of `tile` rows.
void stream(const metrics::RowSource& source, std::int64_t tile, const char* set,
            const std::function<void(FeatureView, std::int64_t)>& fn) {
  std::vector<float> buffer;
  for (std::int64_t b = 0; b < source.rows(); b += tile) {
    const std::int64_t n = std::min(tile, source.rows() - b);
    buffer.resize(static_cast<std::size_t>(n * source.dim()));
    source.read(b, n, buffer.data());
    check_finite(buffer.data(), n, source.dim(), b, set);
    fn(FeatureView{buffer.data(), n, source.dim()}, b);
  }
}

nlohmann::json counters_json(const metrics::KnnCounters& c, const dist::Comm& comm) {
  return {{"pairs", comm.sum(c.pairs)},
          {"exact_distances", comm.sum(c.exact_distances)},
          {"gemm_seconds_rank0", c.gemm_seconds},
          {"screen_seconds_rank0", c.screen_seconds}};
}

// Full-length per-row values from this rank's share (other entries +inf), combined over ranks.
std::vector<double> assemble(const Share& share, std::int64_t rows,
                             const std::function<double(std::int64_t)>& local_value,
                             const dist::Comm& comm) {
  std::vector<double> out(static_cast<std::size_t>(rows), kInf);
  std::int64_t at = 0;
  for (const auto& [b, e] : share.chunks)
    for (std::int64_t i = b; i < e; ++i)
      out[i] = local_value(at++);
  comm.allreduce_min(out);
  return out;
}

void check_k(int k, const char* metric, std::int64_t rows, const char* set) {
  GENSWEEP_CHECK(k >= 1, DataError, "{}: k must be at least 1, got {}", metric, k);
  GENSWEEP_CHECK(rows >= static_cast<std::int64_t>(k) + 1, DataError,
                 "{}: k = {} needs at least {} {} features, got {}", metric, k, k + 1, set, rows);
}

}  // namespace

ManifoldResult compute_manifold(const metrics::RowSource& reference,
                                const metrics::RowSource& evaluated, const ManifoldOptions& options,
                                const dist::Comm& comm) {
  const auto t_start = Clock::now();
  const std::int64_t n = reference.rows(), m = evaluated.rows(), dim = reference.dim();
  const bool pr = options.want_precision_recall, dc = options.want_density_coverage,
             rar = options.want_rarity, giqa = options.want_giqa_knn;
  // Validation (identical on every rank: no collective is entered before it).
  GENSWEEP_CHECK(evaluated.dim() == dim, DataError,
                 "manifold: reference features have dimension {}, evaluated features {}", dim,
                 evaluated.dim());
  GENSWEEP_CHECK(dim >= 1, DataError, "manifold: features have dimension 0");
  GENSWEEP_CHECK(options.tile_rows >= 0, DataError,
                 "manifold: tile_rows must be 0 (automatic) or positive, got {}",
                 options.tile_rows);
  GENSWEEP_CHECK(options.threads >= 0, DataError,
                 "manifold: threads must be 0 (BLAS's count) or positive, got {}", options.threads);
  if (pr) {
    check_k(options.k_precision_recall, "precision", n, "reference");
    check_k(options.k_precision_recall, "recall", m, "evaluated");
  }
  if (dc) check_k(options.k_density_coverage, "density/coverage", n, "reference");
  if (rar) check_k(options.k_rarity, "rarity", n, "reference");
  if (giqa) {
    GENSWEEP_CHECK(options.giqa_knn_k >= 1, DataError, "giqa_knn: K must be at least 1, got {}",
                   options.giqa_knn_k);
    GENSWEEP_CHECK(n >= options.giqa_knn_k, DataError,
                   "giqa_knn: K = {} needs at least {} reference features, got {}",
                   options.giqa_knn_k, options.giqa_knn_k, n);
  }
  GENSWEEP_CHECK(!options.leave_one_out || n == m, DataError,
                 "manifold: leave-one-out compares a set with itself, but the reference has {} "
                 "rows and the evaluated set {}",
                 n, m);
  const bool any_ball = pr || dc || rar;
  if (any_ball || giqa) GENSWEEP_CHECK(m >= 1, DataError, "manifold: no evaluated features");
  std::vector<int> ks;  // the radii pass 1 computes
  if (pr) ks.push_back(options.k_precision_recall);
  if (dc) ks.push_back(options.k_density_coverage);
  if (rar) ks.push_back(options.k_rarity);
  bool precomputed = any_ball && options.reference_radii != nullptr;
  for (int k : ks) {
    if (!precomputed) break;
    auto it = options.reference_radii->find(k);
    if (it == options.reference_radii->end()) {
      precomputed = false;
      break;
    }
    GENSWEEP_CHECK(static_cast<std::int64_t>(it->second.size()) == n, DataError,
                   "manifold: the precomputed reference radii for k = {} have {} values, the "
                   "reference has {} rows",
                   k, it->second.size(), n);
    for (std::size_t i = 0; i < it->second.size(); ++i) {
      GENSWEEP_CHECK(std::isfinite(it->second[i]) && it->second[i] >= 0, NumericalError,
                     "manifold: the precomputed reference radius for k = {} of row {} is {}", k, i,
                     it->second[i]);
    }
  }

  const std::int64_t tile = options.tile_rows > 0 ? options.tile_rows : kDefaultTileRows;
  const int threads = options.threads > 0 ? options.threads : std::max(1, metrics::blas_threads());
  const metrics::TileOptions tiles{threads, tile};

  ManifoldResult result;
  result.precision = result.recall = result.density = result.coverage = kNaN;
  result.rarity_mean = result.giqa_knn_mean = kNaN;
  auto& diag = result.diagnostics;
  diag["ranks"] = comm.size();
  diag["threads"] = threads;
  diag["tile_rows"] = tile;
  diag["reference_rows"] = n;
  diag["evaluated_rows"] = m;
  diag["dim"] = dim;
  if (options.leave_one_out) diag["leave_one_out"] = true;

  // 1. Reference radii (or the precomputed ones: copies of exact distances, the same bits).
  const Share ref_share = share_of(n, tile, comm.rank(), comm.size());
  if (precomputed) {
    const auto& given = *options.reference_radii;
    if (pr) result.radius_precision_recall = given.at(options.k_precision_recall);
    if (dc) result.radius_density_coverage = given.at(options.k_density_coverage);
    if (rar) result.radius_rarity = given.at(options.k_rarity);
    result.reference_radii_precomputed = true;
    diag["reference_knn"] = {{"precomputed", true}, {"k", ks}};
  } else if (any_ball) {
    const auto t0 = Clock::now();
    int kmax = 0;
    if (pr) kmax = std::max(kmax, options.k_precision_recall);
    if (dc) kmax = std::max(kmax, options.k_density_coverage);
    if (rar) kmax = std::max(kmax, options.k_rarity);
    const int kk = kmax + 1;
    metrics::KnnAccumulator::Neighbours nb;
    metrics::KnnCounters counters;
    dist::run_phase(comm, [&] {
      const FeatureMatrix queries = load_share(reference, ref_share, "reference");
      metrics::KnnAccumulator acc(queries.view(), kk, tiles);
      stream(reference, tile, "reference",
             [&](FeatureView block, std::int64_t first) { acc.add_block(block, first); });
      counters = acc.counters();
      nb = acc.finish();
    });
    // The radius for k is the (k+1)-th smallest distance including self: index k.
    auto radius = [&](int k) {
      return assemble(
          ref_share, n, [&](std::int64_t q) { return nb.distance[q * kk + k]; }, comm);
    };
    if (pr) result.radius_precision_recall = radius(options.k_precision_recall);
    if (dc) result.radius_density_coverage = radius(options.k_density_coverage);
    if (rar) result.radius_rarity = radius(options.k_rarity);
    diag["reference_knn"] = counters_json(counters, comm);
    diag["reference_knn"]["seconds"] = seconds_since(t0);
  }

  // 2. Evaluated radii (recall), only for this rank's evaluated samples.
  const Share eval_share = share_of(m, tile, comm.rank(), comm.size());
  std::vector<double> eval_radius;
  if (pr) {
    const auto t0 = Clock::now();
    const int kk = options.k_precision_recall + 1;
    metrics::KnnCounters counters;
    dist::run_phase(comm, [&] {
      const FeatureMatrix queries = load_share(evaluated, eval_share, "evaluated");
      metrics::KnnAccumulator acc(queries.view(), kk, tiles);
      stream(evaluated, tile, "evaluated",
             [&](FeatureView block, std::int64_t first) { acc.add_block(block, first); });
      counters = acc.counters();
      const auto nb = acc.finish();
      eval_radius.resize(static_cast<std::size_t>(eval_share.rows));
      for (std::int64_t q = 0; q < eval_share.rows; ++q)
        eval_radius[q] = nb.distance[q * kk + options.k_precision_recall];
    });
    diag["evaluated_knn"] = counters_json(counters, comm);
    diag["evaluated_knn"]["seconds"] = seconds_since(t0);
  }

  // 3. Evaluated x reference.
  if (!any_ball && !giqa) {
    diag["seconds"] = seconds_since(t_start);
    return result;
  }
  const auto t3 = Clock::now();
  // Leave-one-out: each query's own index in the reference set (the same set).
  std::vector<std::int64_t> self_index;
  if (options.leave_one_out) {
    for (const auto& [cb, ce] : eval_share.chunks)
      for (std::int64_t i = cb; i < ce; ++i)
        self_index.push_back(i);
  }
  metrics::BallOptions ball;
  ball.query_self_index = self_index;
  ball.precision = pr;
  ball.recall = pr;
  ball.pr_inclusive = options.precision_recall_inclusive;
  ball.density_coverage = dc;
  ball.dc_inclusive = options.density_coverage_inclusive;
  ball.rarity = rar;
  ball.realism = pr;
  double realism_median = kNaN;
  if (pr) {
    realism_median = metrics::quantile_linear(result.radius_precision_recall, 0.5);
    ball.realism_max_radius = realism_median;
  }
  std::unique_ptr<metrics::BallAccumulator> balls;
  std::unique_ptr<metrics::GiqaKnnAccumulator> giqa_acc;
  metrics::KnnCounters counters;
  double giqa_seconds = 0;
  FeatureMatrix queries;
  dist::run_phase(comm, [&] {
    queries = load_share(evaluated, eval_share, "evaluated");
    if (any_ball)
      balls = std::make_unique<metrics::BallAccumulator>(
          queries.view(), n, ball, result.radius_precision_recall, result.radius_density_coverage,
          result.radius_rarity, eval_radius, tiles);
    if (giqa)
      giqa_acc = std::make_unique<metrics::GiqaKnnAccumulator>(
          queries.view(), options.giqa_knn_k, options.giqa_reference_eps ? 1e-6 : 0.0, threads,
          options.giqa_float32_reference_arithmetic, self_index);
    stream(reference, tile, "reference", [&](FeatureView block, std::int64_t first) {
      if (balls) balls->add_block(block, first);
      if (giqa_acc) {
        const auto tg = Clock::now();
        giqa_acc->add_block(block, first);
        giqa_seconds += seconds_since(tg);
      }
    });
    if (balls) {
      balls->finish();
      counters = balls->counters();
    }
  });
  queries = FeatureMatrix();

  if (any_ball) {
    auto& b = *balls;
    std::vector<std::int64_t> counts = {0, 0};
    for (std::int64_t q = 0; q < eval_share.rows; ++q) {
      counts[0] += b.in_precision_ball[q];
      counts[1] += b.density_count[q];
    }
    comm.allreduce_sum(counts);
    comm.allreduce_sum(b.covered);
    comm.allreduce_sum(b.recalled);
    const auto md = static_cast<double>(m), nd = static_cast<double>(n);
    if (pr) {
      result.precision = static_cast<double>(counts[0]) / md;
      std::int64_t recalled = 0;
      for (auto v : b.recalled)
        recalled += v > 0 ? 1 : 0;
      result.recall = static_cast<double>(recalled) / nd;
      result.realism = assemble(
          eval_share, m, [&](std::int64_t q) { return b.realism[q]; }, comm);
    }
    if (dc) {
      result.density =
          static_cast<double>(counts[1]) / (static_cast<double>(options.k_density_coverage) * md);
      std::int64_t covered = 0;
      for (auto v : b.covered)
        covered += v > 0 ? 1 : 0;
      result.coverage = static_cast<double>(covered) / nd;
    }
    if (rar) {
      result.rarity = assemble(
          eval_share, m, [&](std::int64_t q) { return b.rarity[q]; }, comm);
      const auto summary = metrics::summarize_rarity(result.rarity);
      result.rarity_mean = summary.mean;
      result.rarity_in_manifold = summary.in_manifold;
      result.rarity_discarded = summary.discarded;
      result.rarity_quantiles = summary.quantiles;
      result.rarity_histogram_edges = summary.histogram_edges;
      result.rarity_histogram_counts = summary.histogram_counts;
    }
    result.nn_distance = assemble(
        eval_share, m, [&](std::int64_t q) { return b.nn_distance[q]; }, comm);
    result.nn_index.assign(static_cast<std::size_t>(m), std::numeric_limits<std::int64_t>::max());
    std::int64_t at = 0;
    for (const auto& [cb, ce] : eval_share.chunks)
      for (std::int64_t i = cb; i < ce; ++i)
        result.nn_index[i] = b.nn_index[at++];
    comm.allreduce_min(result.nn_index);
    diag["ball_pass"] = counters_json(counters, comm);
    if (pr) {
      diag["realism"] = {{"median_radius", realism_median},
                         {"variant",
                          "max over references with radius <= median radius of "
                          "radius / distance (non-squared, no eps)"}};
    }
  }
  if (giqa) {
    const auto scores = giqa_acc->finish();
    result.giqa_knn = assemble(
        eval_share, m, [&](std::int64_t q) { return scores[q]; }, comm);
    double sum = 0;
    for (double v : result.giqa_knn)
      sum += v;
    result.giqa_knn_mean = sum / static_cast<double>(m);
    diag["giqa_knn"] = {{"k", options.giqa_knn_k},
                        {"eps", options.giqa_reference_eps ? 1e-6 : 0.0},
                        {"float32_reference_arithmetic", options.giqa_float32_reference_arithmetic},
                        {"seconds_rank0", giqa_seconds}};
  }
  diag["cross_pass_seconds"] = seconds_since(t3);
  diag["seconds"] = seconds_since(t_start);
  return result;
}

// ---------------------------------------------------------------------------------------------

namespace {}  // namespace

std::unique_ptr<metrics::RowSource> open_store_rows(const std::filesystem::path& store) {
  auto rows = std::make_unique<StoreRows>(store);
  GENSWEEP_CHECK(rows->store().is_complete(), StoreError,
                 "{}: the feature store is not complete (extraction unfinished)", store.string());
  return rows;
}

}  // namespace gensweep::pipeline
