#include "gensweep/metrics/gmm.h"

#include <cblas.h>

#include <Eigen/Core>
#include <Eigen/LU>
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <string_view>

#include "gensweep/core/error.h"
#include "gensweep/core/parallel.h"
#include "gensweep/metrics/blas_threads.h"
#include "gensweep/metrics/linalg.h"
#include "gmm_internal.h"

namespace gensweep::metrics {
namespace gmm_detail {

void Rows::load(std::int64_t begin, std::int64_t count, double* out) const {
  const std::int64_t n = count * cols;
  if (d != nullptr) {
    std::memcpy(out, d + begin * cols, static_cast<std::size_t>(n) * sizeof(double));
    return;
  }
  const float* src = f + begin * cols;
  for (std::int64_t t = 0; t < n; ++t)
    out[t] = static_cast<double>(src[t]);
}

void check_finite(const Rows& x, std::string_view what, std::string_view which) {
  for (std::int64_t i = 0; i < x.rows; ++i) {
    for (std::int64_t j = 0; j < x.cols; ++j) {
      const double v = x.at(i, j);
      GENSWEEP_CHECK(std::isfinite(v), NumericalError,
                     "{}: {} has a non-finite value at row {}, column {}: {}", what, which, i, j,
                     v);
    }
  }
}

}  // namespace gmm_detail

namespace {

using gmm_detail::block_count;
using gmm_detail::kBlockRows;
using gmm_detail::Rows;
using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

constexpr std::string_view kWhat = "gmm";
// sklearn adds 10 * machine epsilon to every responsibility sum, so no component has zero mass.
constexpr double kMassFloor = 10 * DBL_EPSILON;

void check_options(const GmmOptions& o) {
  GENSWEEP_CHECK(o.components >= 1, DataError, "{}: components must be at least 1, got {}", kWhat,
                 o.components);
  GENSWEEP_CHECK(std::isfinite(o.reg_covar) && o.reg_covar >= 0, DataError,
                 "{}: reg_covar must be finite and non-negative, got {}", kWhat, o.reg_covar);
  GENSWEEP_CHECK(std::isfinite(o.tol) && o.tol >= 0, DataError,
                 "{}: tol must be finite and non-negative, got {}", kWhat, o.tol);
  GENSWEEP_CHECK(o.max_iter >= 1, DataError, "{}: max_iter must be at least 1, got {}", kWhat,
                 o.max_iter);
  GENSWEEP_CHECK(o.threads >= 1, DataError, "{}: threads must be at least 1, got {}", kWhat,
                 o.threads);
}

// The upper-triangular P with P P^T = cov^-1, row-major [D x D] into `prec`: P = L^-T where
// cov = L L^T, as sklearn's _compute_precision_cholesky. False when cov is not positive definite.
bool precision_cholesky(const double* cov, std::int64_t d, double* prec) {
  Eigen::MatrixXd a = Eigen::Map<const RowMajor>(cov, d, d);
  if (!a.allFinite() || !linalg::cholesky_lower(a, kWhat)) return false;
  const Eigen::MatrixXd l_inv =
      a.triangularView<Eigen::Lower>().solve(Eigen::MatrixXd::Identity(d, d));
  // Row-major P = L^-T: P(i, j) = L^-1(j, i), zero below the diagonal. L^-1 stored column-major
  // is exactly L^-T stored row-major.
  Eigen::Map<Eigen::MatrixXd>(prec, d, d) = l_inv.triangularView<Eigen::Lower>();
  for (std::int64_t i = 0; i < d; ++i) {
    if (!(prec[i * d + i] > 0) || !std::isfinite(prec[i * d + i])) return false;
  }
  return true;
}

void compute_precisions(GaussianMixture& m, const std::vector<double>& mass) {
  const std::int64_t k = m.components, d = m.dim;
  m.precisions_cholesky.assign(static_cast<std::size_t>(k * d * d), 0.0);
  for (std::int64_t c = 0; c < k; ++c) {
    const bool ok = precision_cholesky(m.covariances.data() + c * d * d, d,
                                       m.precisions_cholesky.data() + c * d * d);
    if (mass.empty()) {
      GENSWEEP_CHECK(ok, NumericalError,
                     "{}: the covariance of component {} is not positive definite", kWhat, c);
    } else {
      GENSWEEP_CHECK(ok, NumericalError,
                     "{}: the covariance of component {} is not positive definite even with "
                     "reg_covar added: it holds {:.6g} effective rows in {} dimensions (duplicate "
                     "or degenerate rows); raise reg_covar, use fewer components, or reduce the "
                     "dimension with PCA",
                     kWhat, c, mass[c], d);
    }
  }
}

// log pi_k + log N(x_i; mu_k, Sigma_k) for every row, into out [N x K] row-major. GEMM-shaped:
// per block of rows and component, Y = (X - mu_k) P_k with one dtrmm.
void weighted_log_prob(const Rows& x, const GaussianMixture& m, int threads,
                       std::vector<double>& out) {
  const std::int64_t k = m.components, d = m.dim;
  out.resize(static_cast<std::size_t>(x.rows * k));
  std::vector<double> offset(static_cast<std::size_t>(k));
  const double log_2pi = std::log(2 * std::numbers::pi);
  for (std::int64_t c = 0; c < k; ++c) {
    double log_det = 0.0;  // log det P_k = -1/2 log det Sigma_k
    for (std::int64_t j = 0; j < d; ++j)
      log_det += std::log(m.precisions_cholesky[c * d * d + j * d + j]);
    offset[c] = log_det + std::log(m.weights[c]);
  }
  parallel_for(block_count(x.rows), threads, [&](std::int64_t b) {
    const std::int64_t begin = b * kBlockRows;
    const std::int64_t count = std::min(kBlockRows, x.rows - begin);
    std::vector<double> block(static_cast<std::size_t>(count * d));
    std::vector<double> y(static_cast<std::size_t>(count * d));
    x.load(begin, count, block.data());
    for (std::int64_t c = 0; c < k; ++c) {
      const double* mu = m.means.data() + c * d;
      for (std::int64_t i = 0; i < count; ++i) {
        for (std::int64_t j = 0; j < d; ++j)
          y[i * d + j] = block[i * d + j] - mu[j];
      }
      cblas_dtrmm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit,
                  static_cast<blasint>(count), static_cast<blasint>(d), 1.0,
                  m.precisions_cholesky.data() + c * d * d, static_cast<blasint>(d), y.data(),
                  static_cast<blasint>(d));
      for (std::int64_t i = 0; i < count; ++i) {
        double ss = 0.0;
        for (std::int64_t j = 0; j < d; ++j)
          ss += y[i * d + j] * y[i * d + j];
        out[(begin + i) * k + c] = -0.5 * (static_cast<double>(d) * log_2pi + ss) + offset[c];
      }
    }
  });
}

// log sum_k exp(v_k) of a row of K values (scipy.special.logsumexp).
double log_sum_exp(const double* v, std::int64_t k) {
  double top = -std::numeric_limits<double>::infinity();
  for (std::int64_t c = 0; c < k; ++c)
    top = std::max(top, v[c]);
  if (!std::isfinite(top)) return top;
  double s = 0.0;
  for (std::int64_t c = 0; c < k; ++c)
    s += std::exp(v[c] - top);
  return std::log(s) + top;
}

std::vector<double> score_rows(const GaussianMixture& m, const Rows& x, int threads) {
  GENSWEEP_CHECK(x.cols == m.dim, DataError,
                 "{}: the rows to score have {} columns, the mixture has dimension {}", kWhat,
                 x.cols, m.dim);
  gmm_detail::check_finite(x, kWhat, "the rows to score");
  ScopedBlasThreads blas(1);
  std::vector<double> log_prob;
  weighted_log_prob(x, m, threads, log_prob);
  std::vector<double> scores(static_cast<std::size_t>(x.rows));
  for (std::int64_t i = 0; i < x.rows; ++i)
    scores[i] = log_sum_exp(log_prob.data() + i * m.components, m.components);
  return scores;
}

// sklearn's _estimate_gaussian_parameters for 'full' from responsibilities resp [N x K]:
// nk = sum_i r_ik + 10 eps, mu_k = sum_i r_ik x_i / nk,
// Sigma_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T / nk + reg_covar I. One component per task;
// each runs over the blocks in order, so the bits do not depend on the thread count.
// Returns nk; fills weights (nk, unnormalised), means and covariances.
std::vector<double> estimate_parameters(const Rows& x, const std::vector<double>& resp,
                                        double reg_covar, int threads, GaussianMixture& m) {
  const std::int64_t k = m.components, d = m.dim, n = x.rows;
  std::vector<double> mass(static_cast<std::size_t>(k));
  m.weights.assign(static_cast<std::size_t>(k), 0.0);
  m.means.assign(static_cast<std::size_t>(k * d), 0.0);
  m.covariances.assign(static_cast<std::size_t>(k * d * d), 0.0);
  parallel_for(k, threads, [&](std::int64_t c) {
    double nk = 0.0;
    for (std::int64_t i = 0; i < n; ++i)
      nk += resp[i * k + c];
    nk += kMassFloor;
    mass[c] = nk;
    std::vector<double> block(static_cast<std::size_t>(kBlockRows * d));
    double* mu = m.means.data() + c * d;
    for (std::int64_t b = 0; b < block_count(n); ++b) {
      const std::int64_t begin = b * kBlockRows;
      const std::int64_t count = std::min(kBlockRows, n - begin);
      x.load(begin, count, block.data());
      for (std::int64_t i = 0; i < count; ++i) {
        const double r = resp[(begin + i) * k + c];
        if (r == 0.0) continue;
        for (std::int64_t j = 0; j < d; ++j)
          mu[j] += r * block[i * d + j];
      }
    }
    for (std::int64_t j = 0; j < d; ++j)
      mu[j] /= nk;
    // Scatter: W = sqrt(r_i) (x_i - mu) row by row, then cov += W^T W (dsyrk, upper triangle).
    // The row-major block [count x D] is the column-major [D x count] matrix W^T.
    double* cov = m.covariances.data() + c * d * d;
    for (std::int64_t b = 0; b < block_count(n); ++b) {
      const std::int64_t begin = b * kBlockRows;
      const std::int64_t count = std::min(kBlockRows, n - begin);
      x.load(begin, count, block.data());
      for (std::int64_t i = 0; i < count; ++i) {
        const double s = std::sqrt(resp[(begin + i) * k + c]);
        for (std::int64_t j = 0; j < d; ++j)
          block[i * d + j] = s * (block[i * d + j] - mu[j]);
      }
      cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, static_cast<blasint>(d),
                  static_cast<blasint>(count), 1.0, block.data(), static_cast<blasint>(d), 1.0, cov,
                  static_cast<blasint>(d));
    }
    // Column-major upper triangle (i <= j at cov[j * d + i]): scale, mirror, regularise.
    for (std::int64_t j = 0; j < d; ++j) {
      for (std::int64_t i = 0; i <= j; ++i) {
        const double v = cov[j * d + i] / nk;
        cov[j * d + i] = v;
        cov[i * d + j] = v;
      }
      cov[j * d + j] += reg_covar;
    }
    m.weights[c] = nk;
  });
  return mass;
}

void check_rows(const Rows& x, const GmmOptions& o) {
  GENSWEEP_CHECK(x.cols >= 1, DataError, "{}: the rows to fit have dimension 0", kWhat);
  GENSWEEP_CHECK(x.rows >= o.components, DataError,
                 "{}: {} rows to fit are fewer than the {} components; use fewer components or "
                 "more rows",
                 kWhat, x.rows, o.components);
  gmm_detail::check_finite(x, kWhat, "the rows to fit");
}

GaussianMixture fit(const Rows& x, const GmmOptions& o) {
  check_options(o);
  check_rows(x, o);
  ScopedBlasThreads blas(1);  // parallelism is ours, over fixed blocks; BLAS inside is serial
  const std::int64_t n = x.rows, k = o.components;
  GaussianMixture m;
  m.components = k;
  m.dim = x.cols;
  m.seed = o.seed;

  // Start: one-hot responsibilities from seeded k-means, weights = nk / N (sklearn _initialize).
  const gmm_detail::KMeansResult km = gmm_detail::kmeans(x, k, o.seed, o.threads);
  m.kmeans_iterations = km.iterations;
  std::vector<double> resp(static_cast<std::size_t>(n * k), 0.0);
  for (std::int64_t i = 0; i < n; ++i)
    resp[i * k + km.labels[i]] = 1.0;
  std::vector<double> mass = estimate_parameters(x, resp, o.reg_covar, o.threads, m);
  for (double& w : m.weights)
    w /= static_cast<double>(n);
  compute_precisions(m, mass);

  // EM, as sklearn's BaseMixture.fit_predict with n_init = 1.
  double lower_bound = -std::numeric_limits<double>::infinity();
  std::vector<double> log_prob;
  for (std::int64_t it = 1; it <= o.max_iter; ++it) {
    const double previous = lower_bound;
    weighted_log_prob(x, m, o.threads, log_prob);
    double total = 0.0;
    for (std::int64_t i = 0; i < n; ++i) {
      const double* v = log_prob.data() + i * k;
      const double norm = log_sum_exp(v, k);
      total += norm;
      for (std::int64_t c = 0; c < k; ++c)
        resp[i * k + c] = std::exp(v[c] - norm);
    }
    lower_bound = total / static_cast<double>(n);
    GENSWEEP_CHECK(std::isfinite(lower_bound), NumericalError,
                   "{}: the mean log-likelihood became {} at EM iteration {}", kWhat, lower_bound,
                   it);
    mass = estimate_parameters(x, resp, o.reg_covar, o.threads, m);
    double sum = 0.0;
    for (double w : m.weights)
      sum += w;
    for (double& w : m.weights)
      w /= sum;
    compute_precisions(m, mass);
    m.iterations = it;
    m.lower_bounds.push_back(lower_bound);
    if (std::abs(lower_bound - previous) < o.tol) {
      m.converged = true;
      break;
    }
  }
  m.lower_bound = lower_bound;
  return m;
}

double mean_of(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v)
    s += x;
  return s / static_cast<double>(v.size());
}

}  // namespace

GaussianMixture fit_gmm(FeatureView x, const GmmOptions& options) {
  return fit(gmm_detail::rows_of(x), options);
}

GaussianMixture fit_gmm(DoubleView x, const GmmOptions& options) {
  return fit(gmm_detail::rows_of(x), options);
}

GaussianMixture gmm_from_parameters(std::int64_t k, std::int64_t d, std::vector<double> weights,
                                    std::vector<double> means, std::vector<double> covariances) {
  GENSWEEP_CHECK(k >= 1 && d >= 1, DataError,
                 "{}: a mixture needs at least 1 component and dimension 1, got {} and {}", kWhat,
                 k, d);
  GENSWEEP_CHECK(static_cast<std::int64_t>(weights.size()) == k &&
                     static_cast<std::int64_t>(means.size()) == k * d &&
                     static_cast<std::int64_t>(covariances.size()) == k * d * d,
                 DataError,
                 "{}: parameters for K = {}, D = {} need {} weights, {} means and {} covariance "
                 "entries; got {}, {} and {}",
                 kWhat, k, d, k, k * d, k * d * d, weights.size(), means.size(),
                 covariances.size());
  for (std::int64_t c = 0; c < k; ++c) {
    GENSWEEP_CHECK(std::isfinite(weights[c]) && weights[c] > 0, NumericalError,
                   "{}: the weight of component {} must be positive and finite, got {}", kWhat, c,
                   weights[c]);
  }
  for (std::size_t t = 0; t < means.size(); ++t) {
    GENSWEEP_CHECK(std::isfinite(means[t]), NumericalError,
                   "{}: the mean of component {} has a non-finite entry {}: {}", kWhat,
                   t / static_cast<std::size_t>(d), t % static_cast<std::size_t>(d), means[t]);
  }
  GaussianMixture m;
  m.components = k;
  m.dim = d;
  m.weights = std::move(weights);
  m.means = std::move(means);
  m.covariances = std::move(covariances);
  compute_precisions(m, {});
  return m;
}

std::vector<double> gmm_score_samples(const GaussianMixture& m, FeatureView x) {
  return score_rows(m, gmm_detail::rows_of(x), 1);
}

std::vector<double> gmm_score_samples(const GaussianMixture& m, DoubleView x, int threads) {
  GENSWEEP_CHECK(threads >= 1, DataError, "{}: threads must be at least 1, got {}", kWhat, threads);
  return score_rows(m, gmm_detail::rows_of(x), threads);
}

namespace {
constexpr std::string_view kGiqa = "giqa-gmm";

void check_giqa_inputs(FeatureView reference, FeatureView evaluated, const GiqaGmmOptions& options,
                       bool diversity) {
  GENSWEEP_CHECK(reference.cols == evaluated.cols, DataError,
                 "{}: dimension mismatch: reference is {} x {}, evaluated is {} x {}", kGiqa,
                 reference.rows, reference.cols, evaluated.rows, evaluated.cols);
  GENSWEEP_CHECK(evaluated.rows >= 1, DataError, "{}: no evaluated rows to score", kGiqa);
  GENSWEEP_CHECK(!diversity || evaluated.rows >= options.gmm.components, DataError,
                 "{}: the diversity score fits {} components on the evaluated rows, but there are "
                 "only {}",
                 kGiqa, options.gmm.components, evaluated.rows);
}
}  // namespace

GiqaReference fit_giqa_reference(FeatureView reference, const GiqaGmmOptions& options) {
  GENSWEEP_CHECK(
      options.pca_fraction == 0 || (options.pca_fraction > 0 && options.pca_fraction <= 1),
      DataError, "{}: pca_fraction must be in (0, 1] (0: no PCA), got {}", kGiqa,
      options.pca_fraction);
  GiqaReference out;
  if (options.pca_fraction > 0) {
    // PCA fitted on the reference (real) rows, both sets projected (GIQA write_act.py).
    out.pca = fit_pca(reference, options.pca_fraction);
    const std::vector<double> ref = pca_transform_f64(out.pca, reference);
    out.model = fit_gmm(DoubleView{ref.data(), reference.rows, out.pca.dim_out}, options.gmm);
  } else {
    out.model = fit(gmm_detail::rows_of(reference), options.gmm);
  }
  return out;
}

GiqaGmmResult giqa_gmm(const GiqaReference& reference_fit, FeatureView reference,
                       FeatureView evaluated, const GiqaGmmOptions& options, bool diversity) {
  check_giqa_inputs(reference, evaluated, options, diversity);
  GiqaGmmResult result;
  const int threads = options.gmm.threads;
  result.pca = reference_fit.pca;
  result.pca_dim = reference_fit.pca.dim_out;
  result.reference_model = reference_fit.model;
  if (reference_fit.pca.dim_out > 0) {
    const std::vector<double> ev = pca_transform_f64(reference_fit.pca, evaluated);
    const DoubleView ev_view{ev.data(), evaluated.rows, reference_fit.pca.dim_out};
    result.scores = gmm_score_samples(reference_fit.model, ev_view, threads);
    if (diversity) {
      const std::vector<double> ref = pca_transform_f64(reference_fit.pca, reference);
      result.evaluated_model = fit_gmm(ev_view, options.gmm);
      result.diversity_score = mean_of(gmm_score_samples(
          result.evaluated_model, DoubleView{ref.data(), reference.rows, reference_fit.pca.dim_out},
          threads));
    }
  } else {
    const Rows ev = gmm_detail::rows_of(evaluated);
    result.scores = score_rows(reference_fit.model, ev, threads);
    if (diversity) {
      result.evaluated_model = fit(ev, options.gmm);
      result.diversity_score =
          mean_of(score_rows(result.evaluated_model, gmm_detail::rows_of(reference), threads));
    }
  }
  result.quality_score = mean_of(result.scores);
  return result;
}

GiqaGmmResult giqa_gmm(FeatureView reference, FeatureView evaluated, const GiqaGmmOptions& options,
                       bool diversity) {
  check_giqa_inputs(reference, evaluated, options, diversity);
  return giqa_gmm(fit_giqa_reference(reference, options), reference, evaluated, options, diversity);
}

}  // namespace gensweep::metrics
