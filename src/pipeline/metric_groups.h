#pragma once
// The computations behind the metric table's groups (metric_table.h), one function per group.
// Private to the pipeline module.

#include "gensweep/pipeline/metric_table.h"

namespace gensweep::pipeline {

void compute_fd_group(const GroupRequest& request, GroupResult& result);
void compute_kid_group(const GroupRequest& request, GroupResult& result);
void compute_is_group(const GroupRequest& request, GroupResult& result);
void compute_manifold_group(const GroupRequest& request, GroupResult& result);
void compute_gmm_group(const GroupRequest& request, GroupResult& result);
void compute_fd_inf_group(const GroupRequest& request, GroupResult& result);
void compute_cmmd_group(const GroupRequest& request, GroupResult& result);
void compute_vendi_group(const GroupRequest& request, GroupResult& result);

}  // namespace gensweep::pipeline
