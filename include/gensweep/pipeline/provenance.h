#pragma once
// What a store must record to be reused: everything that determines its bytes (dataset content,
// backbone identity and preprocessing, layout). Volatile facts (time, tool version, git commit,
// the job's config hash) are recorded too but never compared: rebuilding gensweep or adding a
// model to a job must not invalidate finished stores.

#include <string>

#include "gensweep/features/backbone.h"
#include "gensweep/pipeline/plan.h"
#include "gensweep/store/feature_store.h"

namespace gensweep::pipeline {

store::Attributes expected_provenance(const Plan& plan, const DatasetPlan& dataset,
                                      const std::string& fingerprint,
                                      const features::BackboneInfo& backbone,
                                      const store::StoreLayout& layout);
store::Attributes with_volatile_provenance(store::Attributes attributes, const Plan& plan);

std::string utc_now_iso8601();

}  // namespace gensweep::pipeline
