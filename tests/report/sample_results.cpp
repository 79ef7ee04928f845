#include "sample_results.h"

#include <fmt/format.h>

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

report::RunResults sample_results_with_study() {
  report::RunResults r = sample_results();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  report::StudyResults s;
  s.id = "sweep";
  s.kind = "corruptions";
  s.reference = "clean";
  s.base = "blur2";
  s.factor_name = "corruption";
  s.level_name = "severity";
  s.factors = {"fog", "frost", "snow"};
  s.levels = {1, 2};
  s.backbones = {"clip", "inception"};
  s.metrics = {"fd"};
  s.normalised_by_factor = "frost";
  s.normalised_by_level = 2;
  // clip: fog 1, 3; frost 2, 4; snow 5, 7 (divisor 4). inception: snow's severity 2 is missing.
  auto add = [&](const std::string& factor, int level, const std::string& backbone, double value,
                 std::optional<double> normalised) {
    report::StudyValue v;
    v.factor = factor;
    v.level = level;
    v.backbone = backbone;
    v.metric = "fd";
    v.dataset = level == 0 ? "blur2" : fmt::format("sweep.{}.s{}", factor, level);
    v.value = value;
    v.normalised = normalised;
    s.values.push_back(std::move(v));
  };
  add("none", 0, "clip", 0.5, 0.125);
  add("none", 0, "inception", 10, 1);
  add("fog", 1, "clip", 1, 0.25);
  add("fog", 1, "inception", 30, 3);
  add("fog", 2, "clip", 3, 0.75);
  add("fog", 2, "inception", 50, 5);
  add("frost", 1, "clip", 2, 0.5);
  add("frost", 1, "inception", 20, 2);
  add("frost", 2, "clip", 4, 1);
  add("frost", 2, "inception", 10, 1);
  add("snow", 1, "clip", 5, 1.25);
  add("snow", 1, "inception", 40, 4);
  add("snow", 2, "clip", 7, 1.75);
  add("snow", 2, "inception", nan, std::nullopt);
  s.rankings = {{"clip", "fd", {"snow", "frost", "fog"}, {6, 3, 2}},
                {"inception", "fd", {"fog", "frost"}, {40, 15}}};
  s.agreements = {{"fd", {"clip", "inception"}, {1, -1, -1, nan}, {1, -1, -1, nan}}};
  r.studies.push_back(std::move(s));
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
