#include "metric_groups.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>

#include "gensweep/core/error.h"
#include "gensweep/metrics/blas_threads.h"
#include "gensweep/metrics/bootstrap.h"
#include "gensweep/metrics/cmmd.h"
#include "gensweep/metrics/fd_infinity.h"
#include "gensweep/metrics/frechet.h"
#include "gensweep/metrics/gmm.h"
#include "gensweep/metrics/inception_score.h"
#include "gensweep/metrics/kid.h"
#include "gensweep/metrics/vendi.h"
#include "gensweep/pipeline/manifold.h"
#include "gensweep/pipeline/reference_cache.h"

namespace gensweep::pipeline {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool wants(const GroupRequest& request, const char* metric) {
  return std::find(request.metrics.begin(), request.metrics.end(), metric) != request.metrics.end();
}

const MetricParameters& params(const GroupRequest& request, const std::string& metric) {
  return request.parameters.at(metric);
}

// The parameters of the first requested member: members of a group agree on shared parameters
// (check_comparison_parameters), so any one of them speaks for the group.
const MetricParameters& group_params(const GroupRequest& request) {
  return request.parameters.at(request.metrics.front());
}

void check_same_dimension(const GroupRequest& request, const char* metric) {
  GENSWEEP_CHECK(request.reference.dim() == request.evaluated.dim(), NumericalError,
                 "{}: the reference features have dimension {} but the evaluated ones {}", metric,
                 request.reference.dim(), request.evaluated.dim());
}

// JSON has no NaN or infinity: such values become null (the schema allows it for these keys).
nlohmann::json finite_or_null(double x) {
  return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr);
}

}  // namespace

// Fréchet distance (Heusel et al. 2017). When either set has no more rows than dimensions the
// covariances are singular and every covariance-based route loses precision in their null space,
// so the exact nuclear-norm route on the raw features is used (see metrics/frechet.h).
void compute_fd_group(const GroupRequest& request, GroupResult& result) {
  check_same_dimension(request, "fd");
  const auto& a = request.reference;
  const auto& b = request.evaluated;
  const bool singular = std::min(a.count(), b.count()) <= a.dim();
  metrics::FrechetResult r =
      singular ? metrics::frechet_distance(a.features().view(), b.features().view())
               : metrics::frechet_distance(a.stats(), b.stats());
  MetricValue& v = result.values["fd"];
  v.value = r.value;
  v.diagnostics = {
      {"route", r.route},
      {"n_reference", r.n1},
      {"n_evaluated", r.n2},
      {"dim", r.dim},
      {"rank_reference", r.rank1},
      {"rank_evaluated", r.rank2},
      {"min_eigenvalue", r.min_eigenvalue},
      // NaN there means "not computed" (Sigma1 positive definite), not a failed number: null.
      {"min_eigenvalue_sigma1", finite_or_null(r.min_eigenvalue_sigma1)},
      {"clipped_eigenvalues", r.clipped_eigenvalues},
      {"regularization", r.regularization},
      {"mean_term", r.mean_term},
      {"trace_reference", r.trace1},
      {"trace_evaluated", r.trace2},
      {"trace_sqrt", r.trace_sqrt},
      {"notes", r.notes},
  };
  const auto& p = params(request, "fd");
  if (p.integer("bootstrap") > 0) {
    const auto ci = metrics::bootstrap_fd(a.features().view(), b.features().view(),
                                          p.integer("bootstrap"), p.number("confidence"),
                                          static_cast<std::uint64_t>(p.integer("seed")));
    // The basic (reverse percentile) interval: resampled sets hold ~63% distinct rows, so their FD
    // is biased upward and the plain percentile interval lies entirely above the estimate
    // (metrics/bootstrap.h); the basic interval corrects that bias. Both are recorded.
    v.diagnostics["ci_method"] = "basic bootstrap";
    v.diagnostics["ci_low"] = finite_or_null(ci.basic_low);
    v.diagnostics["ci_high"] = finite_or_null(ci.basic_high);
    v.diagnostics["ci_percentile"] = {finite_or_null(ci.low), finite_or_null(ci.high)};
    v.diagnostics["bootstrap_mean"] = finite_or_null(ci.resampled_mean);
    v.diagnostics["ci_level"] = ci.level;
    v.diagnostics["bootstrap_resamples"] = ci.resamples;
    v.diagnostics["bootstrap_seed"] = ci.seed;
  }
}

// Kernel Inception Distance (Bińkowski et al. 2018), metrics/kid.h. When the job leaves
// subset_size at its default and a set is smaller, subsets shrink to the smaller set (clean-fid's
// and StyleGAN's rule; torch-fidelity refuses) and a note says so; an explicit subset_size larger
// than a set is an error.
void compute_kid_group(const GroupRequest& request, GroupResult& result) {
  check_same_dimension(request, "kid");
  const auto& p = params(request, "kid");
  metrics::KidOptions o;
  o.subsets = p.integer("subsets");
  o.subset_size = p.integer("subset_size");
  o.seed = static_cast<std::uint64_t>(p.integer("seed"));
  o.full = p.boolean("full");
  o.degree = static_cast<int>(p.integer("degree"));
  o.gamma = p.number("gamma");
  o.coef0 = p.number("coef0");
  o.bootstrap = p.integer("bootstrap");
  o.confidence = p.number("confidence");
  std::vector<std::string> notes;
  const std::int64_t smaller = std::min(request.reference.count(), request.evaluated.count());
  if (!o.full && !p.is_set("subset_size") && smaller < o.subset_size) {
    notes.push_back(fmt::format("subset_size reduced from {} to {}, the size of the smaller set",
                                o.subset_size, smaller));
    o.subset_size = smaller;
    // Subsets drawn without replacement that hold a whole set are that set, and MMD^2_u does not
    // depend on row order: every subset estimate is the full-set value. Compute it once.
    if (request.reference.count() == request.evaluated.count()) {
      notes.push_back(
          "both sets have that size, so every subset is the whole set: computed "
          "once on all pairs (std 0)");
      o.full = true;
    }
  }
  const auto r = metrics::kernel_inception_distance(request.reference.features().view(),
                                                    request.evaluated.features().view(), o);
  MetricValue& v = result.values["kid"];
  v.value = r.mean;
  v.diagnostics = {{"std", r.std},   {"subsets", r.subsets},      {"subset_size", r.subset_size},
                   {"full", r.full}, {"parameters", p.to_json()}, {"notes", notes}};
  if (o.bootstrap > 0) {
    v.diagnostics["ci_method"] = "percentile bootstrap";
    v.diagnostics["ci_low"] = finite_or_null(r.ci_low);
    v.diagnostics["ci_high"] = finite_or_null(r.ci_high);
    v.diagnostics["ci_level"] = o.confidence;
    v.diagnostics["bootstrap_resamples"] = o.bootstrap;
  }
}

// Inception Score (Salimans et al. 2016), metrics/inception_score.h, of the evaluated set; the
// features must be class logits (fid-inception with layer = "logits_unbiased"). The reference
// set's own score is recorded beside it.
void compute_is_group(const GroupRequest& request, GroupResult& result) {
  const auto& p = params(request, "is");
  metrics::InceptionScoreOptions o;
  o.splits = p.integer("splits");
  if (p.boolean("shuffle")) o.shuffle_seed = static_cast<std::uint64_t>(p.integer("seed"));
  const auto r = metrics::inception_score(request.evaluated.features().view(), o);
  std::vector<std::string> notes;
  if (request.evaluated.dim() != 1008) {
    notes.push_back(fmt::format(
        "features have {} dimensions, not the 1008 logits of FID Inception: this is a score over "
        "{} classes, not comparable with published Inception Scores",
        request.evaluated.dim(), request.evaluated.dim()));
  }
  nlohmann::json reference_score = nullptr;
  try {
    const auto ref = metrics::inception_score(request.reference.features().view(), o);
    reference_score = {{"mean", ref.mean}, {"std", ref.std}};
  } catch (const UsageError& e) {
    notes.push_back(fmt::format("no score for the reference set: {}", e.what()));
  }
  MetricValue& v = result.values["is"];
  v.value = r.mean;
  v.diagnostics = {{"std", r.std},
                   {"splits", o.splits},
                   {"per_split", r.per_split},
                   {"reference", reference_score},
                   {"parameters", p.to_json()},
                   {"notes", notes}};
}

// Precision/recall, density/coverage, rarity, KNN-GIQA: one collective k-NN pass
// (pipeline/manifold.h) over both sets, streamed block by block.
void compute_manifold_group(const GroupRequest& request, GroupResult& result) {
  check_same_dimension(request, "precision/recall/density/coverage/rarity/giqa_knn");
  ManifoldOptions o;
  o.want_precision_recall = wants(request, "precision") || wants(request, "recall");
  o.want_density_coverage = wants(request, "density") || wants(request, "coverage");
  o.want_rarity = wants(request, "rarity");
  o.want_giqa_knn = wants(request, "giqa_knn");
  if (o.want_precision_recall) {
    const auto& p = params(request, wants(request, "precision") ? "precision" : "recall");
    o.k_precision_recall = static_cast<int>(p.integer("k"));
    o.precision_recall_inclusive = p.boolean("inclusive");
  }
  if (o.want_density_coverage) {
    const auto& p = params(request, wants(request, "density") ? "density" : "coverage");
    o.k_density_coverage = static_cast<int>(p.integer("k"));
    o.density_coverage_inclusive = p.boolean("inclusive");
  }
  if (o.want_rarity) o.k_rarity = static_cast<int>(params(request, "rarity").integer("k"));
  if (o.want_giqa_knn) {
    o.giqa_knn_k = static_cast<int>(params(request, "giqa_knn").integer("k"));
    o.giqa_reference_eps = params(request, "giqa_knn").boolean("reference_eps");
  }
  const auto reference = request.reference.row_source();
  const auto evaluated = request.evaluated.row_source();
  // The reference radii from the reference-structure cache (collective: every rank gets the same
  // answer), or computed in pass 1 and added to it.
  std::vector<int> ks;
  if (o.want_precision_recall) ks.push_back(o.k_precision_recall);
  if (o.want_density_coverage) ks.push_back(o.k_density_coverage);
  if (o.want_rarity) ks.push_back(o.k_rarity);
  std::optional<Radii> cached;
  if (request.reference_cache != nullptr && !ks.empty())
    cached = request.reference_cache->radii(ks, request.reference.count(), request.comm);
  if (cached) o.reference_radii = &*cached;
  // Decisions are exact (float64 re-checks), so BLAS threads cannot change a count or radius.
  metrics::ScopedBlasThreads threads(request.threads);
  ManifoldResult r = compute_manifold(*reference, *evaluated, o, request.comm);
  if (request.reference_cache != nullptr && !ks.empty() && !r.reference_radii_precomputed) {
    // Complete on every rank (compute_manifold assembles them everywhere).
    Radii computed;
    if (o.want_precision_recall) computed[o.k_precision_recall] = r.radius_precision_recall;
    if (o.want_density_coverage) computed[o.k_density_coverage] = r.radius_density_coverage;
    if (o.want_rarity) computed[o.k_rarity] = r.radius_rarity;
    request.reference_cache->put_radii(computed, request.comm);
  }
  if (!request.comm.is_root()) return;

  auto put = [&](const char* metric, double value, nlohmann::json diagnostics) {
    if (!wants(request, metric)) return;
    diagnostics["parameters"] = params(request, metric).to_json();
    diagnostics["n_reference"] = request.reference.count();
    diagnostics["n_evaluated"] = request.evaluated.count();
    diagnostics["engine"] = r.diagnostics;
    result.values[metric] = {value, std::move(diagnostics)};
  };
  put("precision", r.precision, nlohmann::json::object());
  put("recall", r.recall, nlohmann::json::object());
  put("density", r.density, nlohmann::json::object());
  put("coverage", r.coverage, nlohmann::json::object());
  put("rarity", r.rarity_mean,
      {{"in_manifold", r.rarity_in_manifold},
       {"discarded", r.rarity_discarded},
       {"quantile_levels", {0, 0.05, 0.25, 0.5, 0.75, 0.95, 1}},
       {"quantiles", r.rarity_quantiles},
       {"histogram_edges", r.rarity_histogram_edges},
       {"histogram_counts", r.rarity_histogram_counts}});
  put("giqa_knn", r.giqa_knn_mean, nlohmann::json::object());

  auto& out = result.per_sample;
  if (!r.nn_index.empty()) {
    out.integers["nn_index"] = std::move(r.nn_index);
    out.reals["nn_distance"] = std::move(r.nn_distance);
  }
  if (o.want_rarity) {
    out.reals["rarity"] = std::move(r.rarity);
    out.reals[fmt::format("reference_radius_k{}", o.k_rarity)] = std::move(r.radius_rarity);
  }
  if (o.want_precision_recall) {
    out.reals["realism"] = std::move(r.realism);
    out.reals[fmt::format("reference_radius_k{}", o.k_precision_recall)] =
        std::move(r.radius_precision_recall);
  }
  if (o.want_density_coverage) {
    out.reals[fmt::format("reference_radius_k{}", o.k_density_coverage)] =
        std::move(r.radius_density_coverage);
  }
  if (o.want_giqa_knn) out.reals["giqa_knn"] = std::move(r.giqa_knn);
}

namespace {

// Rows as float64: projected by the reference PCA when there is one, else widened (exactly).
std::vector<double> gmm_rows(const metrics::Pca& pca, FeatureView x) {
  if (pca.dim_out > 0) return metrics::pca_transform_f64(pca, x);
  return std::vector<double>(x.data, x.data + x.rows * x.cols);
}

double mean_of(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v)
    s += x;
  return s / static_cast<double>(v.size());
}

// The reference side of metrics::giqa_gmm (the same calls in the same order, so the same bits):
// the PCA on the reference rows when asked for, then the mixture on the (projected) rows.
GmmFit fit_reference(FeatureView reference, const metrics::GmmOptions& options, double pca) {
  GmmFit fit;
  if (pca > 0) {
    fit.pca = metrics::fit_pca(reference, pca);
    const auto rows = metrics::pca_transform_f64(fit.pca, reference);
    fit.model = metrics::fit_gmm(metrics::DoubleView{rows.data(), reference.rows, fit.pca.dim_out},
                                 options);
  } else {
    fit.model = metrics::fit_gmm(reference, options);
  }
  return fit;
}

metrics::GmmOptions gmm_options(const MetricParameters& p, int threads) {
  metrics::GmmOptions g;
  g.components = p.integer("components");
  g.reg_covar = p.number("reg_covar");
  g.tol = p.number("tol");
  g.max_iter = p.integer("max_iter");
  g.seed = static_cast<std::uint64_t>(p.integer("seed"));
  g.threads = threads;
  return g;
}

}  // namespace

nlohmann::json gmm_fit_parameters(const MetricParameters& p) {
  const auto g = gmm_options(p, 1);
  return {{"components", g.components}, {"reg_covar", g.reg_covar}, {"tol", g.tol},
          {"max_iter", g.max_iter},     {"seed", g.seed},           {"pca", p.number("pca")}};
}

std::shared_ptr<const GmmFit> gmm_reference_fit(const FeatureSet& reference,
                                                const MetricParameters& p, int threads,
                                                ReferenceCache* cache) {
  const nlohmann::json key = gmm_fit_parameters(p);
  std::shared_ptr<const GmmFit> fit;
  if (cache != nullptr) fit = cache->gmm(key);
  if (fit) return fit;
  fit = std::make_shared<const GmmFit>(
      fit_reference(reference.features().view(), gmm_options(p, threads), p.number("pca")));
  if (cache != nullptr) cache->put_gmm(key, fit);
  return fit;
}

// GMM-GIQA (Gu et al. 2020), quality score and diversity score, metrics/gmm.h. giqa_gmm reports
// the median of the per-sample log-densities (the per-sample scores are what GIQA is for; they go
// to the per-sample file); qs their mean. The reference fit (PCA and mixture) depends on the
// reference rows and the fit parameters only: it comes from the reference-structure cache when
// present. Computed as metrics::giqa_gmm does, bit for bit (tests/pipeline: reference_cache_test).
void compute_gmm_group(const GroupRequest& request, GroupResult& result) {
  check_same_dimension(request, "giqa_gmm/qs/ds");
  const auto& p = group_params(request);
  const metrics::GmmOptions g = gmm_options(p, request.threads);
  const double pca = p.number("pca");
  const bool diversity = wants(request, "ds");
  const FeatureView evaluated = request.evaluated.features().view();
  // metrics::giqa_gmm's checks, with its messages.
  GENSWEEP_CHECK(evaluated.rows >= 1, UsageError, "giqa-gmm: no evaluated rows to score");
  GENSWEEP_CHECK(pca == 0 || (pca > 0 && pca <= 1), UsageError,
                 "giqa-gmm: pca_fraction must be in (0, 1] (0: no PCA), got {}", pca);
  GENSWEEP_CHECK(!diversity || evaluated.rows >= g.components, UsageError,
                 "giqa-gmm: the diversity score fits {} components on the evaluated rows, but "
                 "there are only {}",
                 g.components, evaluated.rows);
  const std::shared_ptr<const GmmFit> fit =
      gmm_reference_fit(request.reference, p, request.threads, request.reference_cache);
  const std::int64_t dim = fit->model.dim;
  const std::vector<double> ev = gmm_rows(fit->pca, evaluated);
  const metrics::DoubleView ev_view{ev.data(), evaluated.rows, dim};
  std::vector<double> scores = metrics::gmm_score_samples(fit->model, ev_view, g.threads);
  const nlohmann::json facts = {
      {"components", fit->model.components},   {"pca_dim", fit->pca.dim_out},
      {"iterations", fit->model.iterations},   {"converged", fit->model.converged},
      {"lower_bound", fit->model.lower_bound}, {"parameters", p.to_json()},
  };
  if (wants(request, "giqa_gmm")) {
    std::vector<double> sorted = scores;
    std::sort(sorted.begin(), sorted.end());
    const std::size_t n = sorted.size();
    const double median = n == 0  ? kNaN
                          : n % 2 ? sorted[n / 2]
                                  : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    result.values["giqa_gmm"] = {median, facts};
  }
  if (wants(request, "qs")) result.values["qs"] = {mean_of(scores), facts};
  if (diversity) {
    // The mixture fitted on the evaluated rows (projected by the reference PCA) scores the
    // reference rows.
    const FeatureView reference = request.reference.features().view();
    const metrics::GaussianMixture evaluated_model =
        fit->pca.dim_out > 0 ? metrics::fit_gmm(ev_view, g) : metrics::fit_gmm(evaluated, g);
    const std::vector<double> ref = gmm_rows(fit->pca, reference);
    const double ds = mean_of(metrics::gmm_score_samples(
        evaluated_model, metrics::DoubleView{ref.data(), reference.rows, dim}, g.threads));
    nlohmann::json d = facts;
    d["evaluated_fit"] = {{"iterations", evaluated_model.iterations},
                          {"converged", evaluated_model.converged},
                          {"lower_bound", evaluated_model.lower_bound}};
    result.values["ds"] = {ds, d};
  }
  result.per_sample.reals["giqa_gmm"] = std::move(scores);
}

// FD-infinity (Chong & Forsyth 2020), metrics/fd_infinity.h.
void compute_fd_inf_group(const GroupRequest& request, GroupResult& result) {
  check_same_dimension(request, "fd_inf");
  const auto& p = params(request, "fd_inf");
  metrics::FdInfinityOptions o;
  o.points = static_cast<int>(p.integer("points"));
  o.min_n = p.integer("min_n");
  o.seed = static_cast<std::uint64_t>(p.integer("seed"));
  const auto r =
      metrics::fd_infinity(request.reference.stats(), request.evaluated.features().view(), o);
  result.values["fd_inf"] = {r.value,
                             {{"slope", r.slope},
                              {"sizes", r.sizes},
                              {"fd_at_sizes", r.fds},
                              {"parameters", p.to_json()}}};
}

// CMMD (Jayasumana et al. 2024), metrics/cmmd.h.
void compute_cmmd_group(const GroupRequest& request, GroupResult& result) {
  check_same_dimension(request, "cmmd");
  const auto& p = params(request, "cmmd");
  metrics::CmmdOptions o;
  o.sigma = p.number("sigma");
  o.normalize = p.boolean("normalize");
  const double value =
      metrics::cmmd(request.reference.features().view(), request.evaluated.features().view(), o);
  result.values["cmmd"] = {value, {{"scale", o.scale}, {"parameters", p.to_json()}}};
}

// Vendi score (Friedman & Dieng 2023), metrics/vendi.h, of the evaluated set; the reference
// set's score is recorded beside it.
void compute_vendi_group(const GroupRequest& request, GroupResult& result) {
  const auto& p = params(request, "vendi");
  metrics::VendiOptions o;
  o.q = p.number("q");
  o.normalize = p.boolean("normalize");
  const auto r = metrics::vendi_score(request.evaluated.features().view(), o);
  const auto ref = metrics::vendi_score(request.reference.features().view(), o);
  result.values["vendi"] = {
      r.value, {{"form", r.form}, {"reference", ref.value}, {"parameters", p.to_json()}}};
}

}  // namespace gensweep::pipeline
