#pragma once
// k-NN manifold metrics between a reference (real) and an evaluated (generated) feature set,
// computed by the exact blocked k-NN engine (metrics/knn.h), distributed over ranks:
//
// - improved precision / recall (Kynkäänniemi et al. 2019, "Improved Precision and Recall Metric
//   for Assessing Generative Models"), k = 3, inclusive membership d <= r as the original code,
//   StyleGAN and torch-fidelity's prc; realism score per evaluated sample;
// - density / coverage (Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for
//   Generative Models"), k = 5, strict membership d < r as the prdc package;
// - rarity score (Han et al. 2023, "Rarity Score: A New Metric to Evaluate the Uncommonness of
//   Synthesized Images"), k = 3, strict d < r: per evaluated sample the smallest radius among the
//   reference balls containing it; 0 (the reference's convention) and counted as discarded when
//   no ball contains it;
// - KNN-GIQA (Gu et al. 2020, "GIQA: Generated Image Quality Assessment", cientgu/GIQA): per
//   evaluated sample the sum over its K nearest references in L1 distance of 1 / L1 distance
//   (not averaged), with the reference's convention (torch pairwise_distance: +1e-6 added to each
//   signed component difference) available (giqa_reference_eps); exact L1 distances in float64.
//
// k-NN radii: the radius of a sample is the distance to its k-th nearest neighbour in its own
// set, self excluded, i.e. the (k+1)-th smallest distance including itself (as prdc and
// torch-fidelity do). Duplicates of a sample count as neighbours at distance 0 (METRICS.md §5.4).
//
// Realism score (Kynkäänniemi et al. §4, METRICS.md §5.3): per evaluated sample x,
//   max over reference samples r with radius_k(r) <= median radius of radius_k(r) / ||x - r||,
// with k = k_precision_recall. The kept balls are those of the original code (clamp_to_percentile
// = 50: radii above np.percentile(radii, 50) are dropped); the ratio is the paper's non-squared
// one, without eps (the original code uses r^2 / (d^2 + 1e-5), dgm-eval keeps radii strictly below
// the median). A sample at distance 0 from a kept reference with a positive radius scores +inf.
// Realism >= 1 (exactly, with the inclusive test) iff x lies in at least one kept ball.
//
// Nearest reference (nn_index, nn_distance): in Euclidean distance, ties to the lowest index;
// computed with the ball tests (empty when only KNN-GIQA is asked for). The KNN-GIQA pass computes
// the exact L1 distance of every pair (O(N M D), no GEMM screen); the reference scores only the
// first floor(M / 50) * 50 fakes (batch size 50), gensweep scores all of them.
// Distribution: queries are dealt to ranks in chunks of tile_rows rows (chunk c to rank c % size,
// a rank may get none); per-sample vectors are complete on every rank after the call.
//
// Exactness: every distance that takes part in a decision is an exact float64 Euclidean distance
// of the float32 inputs; float32 GEMM tiles only screen candidates (knn.h). Results are identical
// for any number of ranks, threads and any tile size.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "gensweep/dist/comm.h"
#include "gensweep/metrics/row_source.h"

namespace gensweep::pipeline {

struct ManifoldOptions {
  int k_precision_recall = 3;  // Kynkäänniemi et al.; radii for precision, recall, realism
  bool precision_recall_inclusive = true;   // d <= r (original, StyleGAN, torch-fidelity)
  int k_density_coverage = 5;               // Naeem et al. (prdc)
  bool density_coverage_inclusive = false;  // d < r (prdc)
  int k_rarity = 3;                         // Han et al.; strict d < r as the reference
  int giqa_knn_k = 1;                       // GIQA: K nearest references
  bool giqa_reference_eps = true;  // L1 with +1e-6 added to each signed component difference
  // The reference's float32 arithmetic for the L1 distances (bit for bit with cientgu/GIQA on
  // the CPU); default: exact float64 (differs from it by up to ~2.4e-6 relative at D = 2048).
  bool giqa_float32_reference_arithmetic = false;
  // Which parts to compute (skip work nobody asked for):
  bool want_precision_recall = true, want_density_coverage = true, want_rarity = true,
       want_giqa_knn = true;
  std::int64_t tile_rows = 0;  // 0 = automatic (bounded memory)
  // Threads of this rank for the per-pair work (the GEMM uses BLAS's threads); 0 = BLAS's count.
  int threads = 0;
  // Precomputed k-NN radii of the reference rows by k (pipeline/reference_cache.h), or null. When
  // it holds every k the requested metrics need, pass 1 (reference x reference) is skipped and
  // the results are bit for bit those of computing them: the radii are exact float64 distances.
  // Must hold the same on every rank; each vector has one value per reference row (checked).
  const std::map<int, std::vector<double>>* reference_radii = nullptr;
  // The evaluated source is the reference source itself (same rows, same order): pass 3 skips
  // every pair of a sample with itself, so no sample lies in its own ball, counts itself as its
  // own neighbour for recall, coverage or KNN-GIQA, or is its own nearest reference. The radii
  // (passes 1 and 2) are the usual ones: the k-th neighbour other than the sample itself.
  bool leave_one_out = false;
};

struct ManifoldResult {
  // Summary values (NaN when not computed).
  double precision, recall, density, coverage;
  double rarity_mean;  // over in-manifold evaluated samples
  std::int64_t rarity_in_manifold = 0, rarity_discarded = 0;
  std::vector<double> rarity_quantiles;        // at 0, 0.05, 0.25, 0.5, 0.75, 0.95, 1 (in-manifold)
  std::vector<double> rarity_histogram_edges;  // 21 edges, fixed: min..max of in-manifold scores
  std::vector<std::int64_t> rarity_histogram_counts;  // 20 bins
  double giqa_knn_mean;
  // Per evaluated sample (length = evaluated rows), complete on rank 0 (may be empty elsewhere).
  std::vector<double> rarity;   // 0 = outside every reference ball (reference convention)
  std::vector<double> realism;  // Kynkäänniemi realism score (see above)
  std::vector<double> giqa_knn;
  std::vector<std::int64_t> nn_index;  // nearest reference row
  std::vector<double> nn_distance;     // exact Euclidean distance to it
  // Per reference sample (length = reference rows), rank 0: k-NN radii.
  std::vector<double> radius_precision_recall, radius_density_coverage, radius_rarity;
  bool reference_radii_precomputed = false;  // pass 1 was skipped (ManifoldOptions)
  // Diagnostics: counts of float64 re-checks, fallbacks, tile sizes, seconds per phase...
  nlohmann::json diagnostics = nlohmann::json::object();
};

// Collective: every rank calls it with the same sources and options.
ManifoldResult compute_manifold(const metrics::RowSource& reference,
                                const metrics::RowSource& evaluated, const ManifoldOptions& options,
                                const dist::Comm& comm);

// A RowSource over the valid rows of a complete feature store, read in blocks.
std::unique_ptr<metrics::RowSource> open_store_rows(const std::filesystem::path& store);

}  // namespace gensweep::pipeline
