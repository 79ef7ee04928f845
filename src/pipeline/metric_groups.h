#pragma once
// The computations behind the metric table's groups (metric_table.h), one function per group.
// Private to the pipeline module.

#include <memory>

#include <nlohmann/json.hpp>

#include "gensweep/pipeline/metric_table.h"
#include "gensweep/pipeline/reference_cache.h"

namespace gensweep::pipeline {

void compute_fd_group(const GroupRequest& request, GroupResult& result);
void compute_kid_group(const GroupRequest& request, GroupResult& result);
void compute_is_group(const GroupRequest& request, GroupResult& result);
void compute_manifold_group(const GroupRequest& request, GroupResult& result);
void compute_gmm_group(const GroupRequest& request, GroupResult& result);
void compute_fd_inf_group(const GroupRequest& request, GroupResult& result);
void compute_cmmd_group(const GroupRequest& request, GroupResult& result);
void compute_vendi_group(const GroupRequest& request, GroupResult& result);

// The GMM group's reference fit (PCA when pca > 0, then the mixture) for the parameters `p` of
// giqa_gmm / qs / ds: from `cache` when it holds one, else fitted and added to it (cache may be
// null). The same bits as metrics::giqa_gmm's reference fit.
std::shared_ptr<const GmmFit> gmm_reference_fit(const FeatureSet& reference,
                                                const MetricParameters& p, int threads,
                                                ReferenceCache* cache);
// The fit parameters that key it in the reference cache: components, reg_covar, tol, max_iter,
// seed, pca.
nlohmann::json gmm_fit_parameters(const MetricParameters& p);

}  // namespace gensweep::pipeline
