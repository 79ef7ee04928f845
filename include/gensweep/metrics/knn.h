#pragma once
// The exact, blocked k-nearest-neighbour engine behind the manifold metrics (precision / recall,
// density / coverage, rarity, realism, KNN-GIQA; pipeline/manifold.h drives it over ranks).
//
// Queries are held in memory; references arrive in blocks (any number, any order, any size), so
// memory is O(queries x D + block x D + tile) and never O(N^2).
//
// Numerics. A float32 GEMM per tile (cblas_sgemm) gives approximate squared distances
//   a = |q|^2 + |r|^2 - 2 fl32(q . r)
// with the norms computed once in float64. Every float32 dot product of length D obeys
//   |fl32(q . r) - q . r| <= gamma_D |q| |r|,   gamma_D = D u / (1 - D u), u = 2^-24
// (any summation order, FMA or not), so |a - d^2| <= e = 2 gamma_D |q| |r| (times a safety factor
// 1.25, plus 1e-14 (|q|^2 + |r|^2) for the float64 rounding of a and of the exact distance).
// The screen never decides a pair whose decision (top-k membership, inside a ball of radius r) is
// within e: those pairs are re-checked with the exact distance
//   d = sqrt(sum_d (double(q_d) - double(r_d))^2)
// (float64, bitwise symmetric in q and r). Every published radius and distance is such an exact
// distance, and every decision is taken on exact distances, so results do not depend on the tile
// size, the block order, the number of threads or of ranks. The references compute in float64 as
// well (prdc through sklearn, rarity through |x|^2 - 2xy + |y|^2): their distances differ from
// these by about 1e-15 relative, far below the closest decision in the golden cases (4.6e-9).
//
// k-NN: per query, a max-heap of the kk smallest upper bounds a + e gives a threshold T that is
// >= the kk-th smallest exact d^2; every reference whose lower bound a - e exceeds T is dropped,
// the rest are candidates. At the end the candidates' exact distances are sorted (ties by index)
// and the kk smallest kept. The exact kk nearest are always among the candidates (no fallback is
// needed). Self-exclusion as the references: a sample's k-NN radius within its own set is the
// (k+1)-th smallest distance including itself (kk = k + 1); duplicates are neighbours at 0.

#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "gensweep/core/matrix_view.h"

namespace gensweep::metrics {

// Exact float64 distances of float32 rows (see above).
double exact_squared_distance(const float* a, const float* b, std::int64_t dim);
double squared_norm(const float* a, std::int64_t dim);
// GIQA's L1 distance: sum_d |double(q_d) - double(r_d) + eps| (torch pairwise_distance adds eps
// to each signed difference of x1 = query, x2 = reference; eps = 0 for the plain L1 distance).
double l1_distance(const float* query, const float* reference, std::int64_t dim, double eps);

// Work counters, summed over blocks (diagnostics).
struct KnnCounters {
  std::int64_t pairs = 0;            // pairs screened by GEMM tiles
  std::int64_t exact_distances = 0;  // exact float64 distances computed (re-checks)
  double gemm_seconds = 0, screen_seconds = 0, exact_seconds = 0;
  KnnCounters& operator+=(const KnnCounters& o);
};

// Threads for the per-pair work (the GEMM uses BLAS's own threads) and the tile shape.
struct TileOptions {
  int threads = 1;
  std::int64_t query_tile = 1024;  // query rows per GEMM tile
};

// The kk nearest references of each query, exactly (see the header comment).
class KnnAccumulator {
 public:
  // `queries` must outlive the accumulator. kk >= 1.
  KnnAccumulator(FeatureView queries, int kk, TileOptions tiles);
  ~KnnAccumulator();
  KnnAccumulator(const KnnAccumulator&) = delete;
  KnnAccumulator& operator=(const KnnAccumulator&) = delete;

  // References first_index .. first_index + block.rows - 1 (global indices, reported back).
  void add_block(FeatureView block, std::int64_t first_index);

  struct Neighbours {
    std::int64_t kk = 0;
    std::vector<double> distance;     // [queries x kk] exact, ascending; +inf when fewer seen
    std::vector<std::int64_t> index;  // [queries x kk], -1 when fewer seen
  };
  // Exact distances of the remaining candidates; the accumulator is spent afterwards.
  Neighbours finish();
  const KnnCounters& counters() const { return counters_; }

  // Per query: a max-heap of the kk smallest upper bounds and the candidates (lower bound, index).
  struct State {
    std::vector<double> heap;
    std::vector<std::pair<double, std::int64_t>> candidates;
    std::size_t prune_at = 0;  // candidates are pruned when there are more than this
  };

 private:
  FeatureView queries_;
  int kk_;
  TileOptions tiles_;
  std::vector<double> query_norm2_;
  std::vector<State> states_;
  KnnCounters counters_;
};

// Ball tests of evaluated samples (queries, in memory) against reference balls (streamed), with
// the reference radii known in advance. One GEMM tile serves every test and the nearest
// reference. A test whose option is off needs no radii (an empty span).
struct BallOptions {
  bool precision = false;  // ball radius: radius_pr of the reference; inclusive: pr_inclusive
  bool recall = false;     // evaluated balls: eval_radius_pr (per query); pr_inclusive
  bool pr_inclusive = true;
  bool density_coverage = false;  // radius_dc; dc_inclusive
  bool dc_inclusive = false;
  bool rarity = false;   // radius_rarity, strict
  bool realism = false;  // radius_pr of references with radius_pr <= realism_max_radius
  double realism_max_radius = 0;
  // Leave-one-out, when the queries are rows of the reference set itself: the reference index of
  // each query (length = queries.rows). The pair (query, that reference) takes part in no test
  // (its own ball, its own ball in recall and coverage, realism) and is not its nearest
  // reference. Empty: every pair counts.
  std::span<const std::int64_t> query_self_index{};
};

class BallAccumulator {
 public:
  // Per-reference radii are indexed by the global reference index (length = reference_rows);
  // eval_radius_pr by query (length = queries.rows, used by recall). All must outlive this.
  BallAccumulator(FeatureView queries, std::int64_t reference_rows, BallOptions options,
                  std::span<const double> radius_pr, std::span<const double> radius_dc,
                  std::span<const double> radius_rarity, std::span<const double> eval_radius_pr,
                  TileOptions tiles);
  ~BallAccumulator();
  BallAccumulator(const BallAccumulator&) = delete;
  BallAccumulator& operator=(const BallAccumulator&) = delete;

  void add_block(FeatureView block, std::int64_t first_index);

  // Per query (after every block was added; finish() computes the nearest reference exactly).
  void finish();
  std::vector<std::uint8_t> in_precision_ball;  // inside some reference P/R ball
  std::vector<std::int64_t> density_count;      // reference D/C balls containing it
  std::vector<double> rarity;                   // smallest containing rarity radius, 0 if none
  std::vector<double> realism;                  // max radius / distance over kept balls
  std::vector<std::int64_t> nn_index;
  std::vector<double> nn_distance;
  // Per reference (global index): 1 when some query is inside its D/C ball (coverage) / when it
  // is inside some query's P/R ball (recall). Length = reference_rows.
  std::vector<std::int64_t> covered, recalled;
  const KnnCounters& counters() const { return counters_; }

 private:
  FeatureView queries_;
  BallOptions options_;
  std::span<const double> radius_pr_, radius_dc_, radius_rarity_, eval_radius_pr_;
  TileOptions tiles_;
  std::vector<double> query_norm2_;
  std::vector<KnnAccumulator::State> nearest_;
  KnnCounters counters_;
};

// KNN-GIQA (Gu et al. 2020): per query, the sum over the K references nearest in L1 of 1 / L1
// distance (exact float64 L1 over every pair: O(N M D), no GEMM screen). With
// float32_reference_arithmetic, each distance is computed as the reference does on the CPU
// (torch pairwise_distance in float32: |fl32(fl32(q - r) + eps)| summed in float32 in column
// order), which reproduces cientgu/GIQA's scores bit for bit on the golden cases; the float64
// default differs from them by up to 2.4e-6 relative at D = 2048 (the reference's round-off).
float l1_distance_float32(const float* query, const float* reference, std::int64_t dim, float eps);

class GiqaKnnAccumulator {
 public:
  // query_self_index: as BallOptions::query_self_index (leave-one-out), or empty.
  GiqaKnnAccumulator(FeatureView queries, int k, double eps, int threads,
                     bool float32_reference_arithmetic = false,
                     std::span<const std::int64_t> query_self_index = {});
  void add_block(FeatureView block, std::int64_t first_index);
  std::vector<double> finish() const;  // scores per query

 private:
  FeatureView queries_;
  int k_;
  double eps_;
  int threads_;
  bool float32_;
  std::span<const std::int64_t> query_self_index_;
  std::vector<double> smallest_;  // [queries x k], ascending, +inf initially
};

// Summaries of the in-manifold rarity scores (Han et al. report histograms).
struct RaritySummary {
  double mean = 0;
  std::int64_t in_manifold = 0, discarded = 0;
  std::vector<double> quantiles;        // at kRarityQuantileLevels, linear (numpy default)
  std::vector<double> histogram_edges;  // 21 edges, min..max (numpy.histogram(bins=20))
  std::vector<std::int64_t> histogram_counts;
};
inline constexpr double kRarityQuantileLevels[] = {0, 0.05, 0.25, 0.5, 0.75, 0.95, 1};
// scores: 0 marks a discarded sample (the reference's convention: a ball of radius 0 contains
// nothing under the strict test, so kept scores are > 0). NaN mean and quantiles and no histogram
// when none is kept.
RaritySummary summarize_rarity(std::span<const double> scores);

// numpy.percentile(values, 100 q) with linear interpolation (values need not be sorted).
double quantile_linear(std::vector<double> values, double q);

}  // namespace gensweep::metrics
