#include "gensweep/pipeline/metric_group.h"

#include <algorithm>

namespace gensweep::pipeline {

bool GroupRequest::wants(const std::string& metric) const {
  return std::find(metrics.begin(), metrics.end(), metric) != metrics.end();
}

std::shared_ptr<const ReferenceState> MetricGroup::reference(const GroupRequest&) const {
  return nullptr;
}

}  // namespace gensweep::pipeline
