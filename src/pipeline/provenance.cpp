#include "gensweep/pipeline/provenance.h"

#include <ctime>

#include "gensweep/core/version.h"

namespace gensweep::pipeline {

store::Attributes expected_provenance(const Plan& plan, const DatasetPlan& dataset,
                                      const std::string& fingerprint,
                                      const features::BackboneInfo& backbone,
                                      const store::StoreLayout& layout) {
  store::Attributes attributes = {
      {"dataset", dataset.id},
      {"dataset_source", dataset.images ? dataset.images->description() : dataset.description},
      {"dataset_fingerprint", fingerprint},
      {"backbone", backbone.id},
      {"backbone_kind", backbone.kind},
      {"backbone_identity", backbone.identity},
      {"preprocessing", backbone.preprocessing},
      {"rows", std::to_string(layout.rows)},
      {"feature_dim", std::to_string(layout.dim)},
      {"unit_size", std::to_string(layout.unit_size)},
  };
  // Batches are cut inside units, so unit_size and batch_size together fix every forward batch; a
  // network's features change in their last bits with the batch (LibTorch's CPU convolutions pick
  // kernels by batch size). Stores written before this key existed are reported as mismatching.
  if (backbone.depends_on_batch) attributes["batch_size"] = std::to_string(plan.compute.batch_size);
  return attributes;
}

store::Attributes with_volatile_provenance(store::Attributes attributes, const Plan& plan) {
  attributes["created_utc"] = utc_now_iso8601();
  attributes["tool_version"] = tool_version();
  attributes["git_commit"] = git_commit();
  attributes["job_config_hash"] = plan.config_hash;
  attributes["job_file"] = plan.job_file;
  return attributes;
}

std::string utc_now_iso8601() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace gensweep::pipeline
