#pragma once
// GMM-GIQA (Gu et al., ECCV 2020, "GIQA: Generated Image Quality Assessment"; cientgu/GIQA) and
// the Quality Score / Diversity Score built on it (METRICS.md §8.2, §8.4).
//
// Reference behaviour (cientgu/GIQA get_gmm.py + gmm_score.py, scikit-learn 1.2):
// - fit sklearn.mixture.GaussianMixture(n_components=K, covariance_type='full') on the real
//   features (float64), sklearn defaults otherwise: tol = 1e-3 on the change of the mean
//   log-likelihood, reg_covar = 1e-6 added to every covariance diagonal, max_iter = 100,
//   n_init = 1, k-means initialisation, random_state = None (so the reference fit is not
//   reproducible). K defaults to 5 (the CLI default); K = 7 with PCA 0.95 is the paper-like choice
//   for LSUN-cat (the released `act95_7` model).
// - score of an image = score_samples(x) = log p(x) = logsumexp_k [log pi_k + log N(x; mu_k,
//   Sigma_k)], natural log, computed through the upper-triangular Cholesky factor of each
//   precision (precisions_cholesky, P_k with P_k P_k^T = Sigma_k^-1):
//   log N = -D/2 log(2 pi) + sum(log diag P_k) - |(x - mu_k)^T P_k|^2 / 2. Higher = better.
// - optional PCA (write_act.py --pca_rate 0.95): sklearn PCA(fraction) fitted on the real
//   features, centred, not whitened; both real and evaluated features are projected.
// - QS (not in the GIQA repository; [M] in METRICS.md §8.4): mean score of the evaluated
//   (generated) rows under the GMM fitted on the reference (real) rows. DS: mean score of the
//   reference rows under a GMM fitted, with the same recipe and seed, on the evaluated rows.
//   Raw mean log-likelihoods, no min-max scaling (pymdma's own choice, not followed).
//
// Where gensweep differs, and why:
// - The fit is seeded (GmmOptions::seed through gensweep::Rng): k-means++ start (greedy, with
//   2 + floor(ln K) local trials as sklearn), then Lloyd iterations (at most 300, sklearn's
//   tolerance 1e-4 x mean per-feature variance on the total squared centre shift, or labels
//   unchanged), then EM exactly as sklearn's (the one-hot k-means labels give the initial
//   parameters, 10 * DBL_EPSILON added to each responsibility sum). The same seed gives a bitwise
//   identical model for any thread count: rows are processed in fixed blocks, every reduction
//   runs in a fixed order, BLAS runs single-threaded inside. Fits are not comparable bit for bit
//   with sklearn's (a different random stream), only in quality.
// - Scoring centres first, (x - mu_k)^T P_k, where sklearn computes x^T P_k - mu_k^T P_k; the
//   same quantity, with less cancellation.
// - PCA from the eigenvectors of the covariance (LAPACK dsyevd on the D x D covariance) instead
//   of an SVD of the centred N x D data: the same components up to sign and round-off in the
//   discarded directions, much faster for N >> D. Component signs: the entry of largest magnitude
//   of each component is positive (sklearn flips by the left singular vectors); log-densities do
//   not depend on the signs. The kept count is sklearn's: the smallest k whose cumulative
//   explained variance ratio is strictly greater than the fraction (numpy searchsorted 'right'
//   + 1), capped at the number of components; fraction 1 keeps every component.
// - Projected features stay float64 inside giqa_gmm (pca_transform, for callers that want
//   features, returns float32; pca_transform_f64 the float64 values).
// - Errors instead of sklearn's warnings/exceptions: fewer rows than components, dimension
//   mismatch, non-finite input, a fraction outside (0, 1], a covariance that is not positive
//   definite even with reg_covar (naming the component).

#include <cmath>
#include <cstdint>
#include <vector>

#include "gensweep/core/matrix_view.h"

namespace gensweep::metrics {

// Row-major float64 rows (PCA projections, or callers that already hold float64).
using DoubleView = MatrixView<const double>;

struct GaussianMixture {  // full covariance, float64, row-major
  std::int64_t components = 0, dim = 0;
  std::vector<double> weights;              // [K]
  std::vector<double> means;                // [K * D]
  std::vector<double> covariances;          // [K * D * D], reg_covar included
  std::vector<double> precisions_cholesky;  // [K * D * D], as sklearn stores it (upper triangular)
  // Fit facts: iterations, converged, final lower bound (mean log-likelihood), seed.
  // As in sklearn, lower_bound is the mean log-likelihood computed in the E-step of the last
  // iteration, i.e. of the parameters before that iteration's M-step.
  std::int64_t iterations = 0;
  bool converged = false;
  double lower_bound = 0;
  std::uint64_t seed = 0;
  // Added: the mean log-likelihood of every EM iteration (lower_bound is the last entry), and the
  // number of Lloyd iterations of the k-means start.
  std::vector<double> lower_bounds;
  std::int64_t kmeans_iterations = 0;
};

struct GmmOptions {
  std::int64_t components = 5;  // GIQA CLI default (METRICS.md §8.2; 7 with PCA 0.95 is paper-like)
  double reg_covar = 1e-6, tol = 1e-3;
  std::int64_t max_iter = 100;
  std::uint64_t seed = 0;  // k-means++ start through core/random.h
  // Added: worker threads (>= 1). The result is bitwise the same for every value.
  int threads = 1;
};

// Fits on the rows of x [N x D]. Cost per EM iteration about 2 N K D^2 flops (one dtrmm and one
// dsyrk per block and component); measured N = 50,000, K = 7: 0.5 s per iteration at D = 64 and
// 2.7 s at D = 256 with 2 threads on a shared, loaded 2-core machine. Throws DataError for bad
// options or N < components, and NumericalError for a non-finite value or a covariance that is not
// positive definite.
GaussianMixture fit_gmm(FeatureView x, const GmmOptions&);
GaussianMixture fit_gmm(DoubleView x, const GmmOptions&);

// From saved parameters (weights, means, covariances): computes precisions_cholesky (or checks it).
// Computed as sklearn's _compute_precision_cholesky (covariances taken as given: a saved sklearn
// model's already include reg_covar); on the golden cases the result matches sklearn's saved
// precisions_cholesky to 1e-9 relative. Throws DataError for inconsistent sizes, NumericalError
// for a non-positive or non-finite weight, a non-finite mean, or a covariance that is not
// positive definite (naming the component).
GaussianMixture gmm_from_parameters(std::int64_t k, std::int64_t d, std::vector<double> weights,
                                    std::vector<double> means, std::vector<double> covariances);

std::vector<double> gmm_score_samples(const GaussianMixture&, FeatureView x);  // log p(x) per row
std::vector<double> gmm_score_samples(const GaussianMixture&, DoubleView x, int threads = 1);

struct Pca {
  std::int64_t dim_in = 0, dim_out = 0;
  std::vector<double> mean;                      // [dim_in]
  std::vector<double> components;                // [dim_out * dim_in], row c = component c
  std::vector<double> explained_variance_ratio;  // [dim_out]
};
// variance_fraction in (0, 1].
Pca fit_pca(FeatureView x, double variance_fraction);
// (x - mean) components^T, computed in float64 and rounded to float32 ([N x dim_out]).
FeatureMatrix pca_transform(const Pca&, FeatureView x);
// The same in float64, row-major [N x dim_out].
std::vector<double> pca_transform_f64(const Pca&, FeatureView x);

struct GiqaGmmOptions {
  GmmOptions gmm;
  double pca_fraction = 0; /* 0 = no PCA */
};
struct GiqaGmmResult {
  std::vector<double> scores;  // per evaluated row: log-density under the GMM fitted on reference
  double quality_score = 0;    // QS: mean of scores (fakes under the real GMM)
  double diversity_score =
      NAN;  // DS: mean log-density of reference rows under a GMM fitted on evaluated (when asked)
  GaussianMixture reference_model;  // for caching and per-sample output
  std::int64_t pca_dim = 0;         // 0 when no PCA
  // Added: the PCA fitted on the reference rows (empty when none) and, with diversity, the GMM
  // fitted on the evaluated rows.
  Pca pca;
  GaussianMixture evaluated_model;
};
GiqaGmmResult giqa_gmm(FeatureView reference, FeatureView evaluated, const GiqaGmmOptions&,
                       bool diversity);

// GMM-GIQA in two stages, for callers that score many evaluated sets against one reference set
// (pipeline/metric groups keep the reference fit in the reference cache): giqa_gmm above is
// exactly these two calls, so a cached fit gives the same bits.
// The reference side: the PCA fitted on the reference rows (dim_out = 0 when pca_fraction is 0)
// and the mixture fitted on the (projected) reference rows.
struct GiqaReference {
  Pca pca;
  GaussianMixture model;
};
GiqaReference fit_giqa_reference(FeatureView reference, const GiqaGmmOptions&);
// The evaluated side, given the reference fit made with the same options from `reference`.
GiqaGmmResult giqa_gmm(const GiqaReference& fit, FeatureView reference, FeatureView evaluated,
                       const GiqaGmmOptions&, bool diversity);

}  // namespace gensweep::metrics
