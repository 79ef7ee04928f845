#include "sample_results.h"

#include <limits>
#include <string>

namespace gensweep::testing {

report::RunResults sample_results() {
  report::RunResults r;
  r.job_name = "blur-sweep";
  r.job_file = "/jobs/blur_sweep.toml";
  r.config_hash = std::string(64, 'a');
  r.tool_version = "0.1.0";
  r.git_commit = "0123456789ab";
  r.created_utc = "2026-01-31T12:00:00Z";
  r.ranks = 2;
  r.seconds = 12.25;
  r.datasets = {
      {"clean", "folder: /data/clean", 100, 99, 1, std::string(64, 'c')},
      {"blur2", "derived: gaussian_blur(sigma=2) of clean", 100, 100, 0, std::string(64, 'd')},
      {"noise", "features: noise.npy", 50, 50, 0, std::string(64, 'e')},
  };
  r.backbones = {
      {"inception", "fid-inception", 2048, std::string(64, '1'), "resize(299, bilinear)"},
      {"clip", "torchscript", 512, std::string(64, '2'), "resize(224, bicubic) | normalize"},
  };
  r.stores = {
      {"clean", "inception", "/stores/clean.inception.h5", true},
      {"blur2", "inception", "/stores/blur2.inception.h5", false},
  };
  r.entries = {
      {"clean",
       "blur2",
       "inception",
       "fd",
       12.345649,
       {{"route", "symmetric-eigen"},
        {"n_reference", 99},
        {"n_evaluated", 100},
        {"dim", 2048},
        {"min_eigenvalue", -1.5e-12},
        {"notes", nlohmann::json::array()}}},
      {"clean",
       "blur2",
       "clip",
       "fd",
       0.5,
       {{"route", "symmetric-eigen"}, {"n_reference", 99}, {"n_evaluated", 100}}},
      {"clean",
       "noise",
       "clip",
       "fd",
       1.0,
       {{"route", "symmetric-eigen"},
        {"regularization", 1e-6},
        {"notes", {"eigensolver did not converge; retried with eps=1e-06"}}}},
      {"clean", "blur2", "inception", "kid", 0.00123456789, {{"subsets", 100}}},
      {"clean",
       "noise",
       "inception",
       "kid",
       std::numeric_limits<double>::quiet_NaN(),
       {{"subsets", 100}, {"std", std::numeric_limits<double>::infinity()}}},
  };
  r.warnings = {"clean: 1 image failed to decode (see the store's /errors)"};
  return r;
}

report::RunResults sample_results_with_both_ways() {
  report::RunResults r = sample_results();
  report::BothWaysTable t;
  t.reference = "clean";
  t.evaluated = "blur2";
  t.backbone = "clip";
  t.metrics = {"fd", "kid", "rarity"};
  t.rows = {
      {"forward", "clean", "blur2", false, {0.5, 0.25, 1.5}, {}},
      {"backward", "blur2", "clean", false, {0.75, std::nullopt, 2.5}, {}},
      {"self-reference", "clean", "clean", true, {0.0, 0.0, 3.25}, {"fd", "kid"}},
      {"self-evaluated", "blur2", "blur2", true, {0.0, 0.0, std::nullopt}, {"fd", "kid"}},
  };
  r.both_ways = {t};
  r.rarest_overlap = {{"clean", "blur2", "forward", "clip", "inception", 10, 0.25},
                      {"clean", "blur2", "self-evaluated", "clip", "inception", 10, 1.0}};
  return r;
}

}  // namespace gensweep::testing
