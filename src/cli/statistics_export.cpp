#include "statistics_export.h"

#include <fmt/format.h>

#include "gensweep/core/error.h"
#include "gensweep/core/version.h"
#include "gensweep/report/atomic_file.h"
#include "gensweep/store/numpy_writer.h"

namespace gensweep::cli {

// The store's provenance and facts, for the sidecar file.
nlohmann::json provenance_of(const std::filesystem::path& path, const store::FeatureStore& st,
                             std::int64_t rows) {
  nlohmann::json provenance = nlohmann::json::object();
  for (const auto& [key, value] : st.provenance())
    provenance[key] = value;
  return {{"store", std::filesystem::absolute(path).string()},
          {"rows", rows},
          {"dim", st.layout().dim},
          {"store_provenance", provenance},
          {"tool", "gensweep"},
          {"tool_version", tool_version()},
          {"git_commit", git_commit()}};
}

void export_statistics(const std::filesystem::path& store_path, const store::FeatureStore& st,
                       const std::filesystem::path& out, bool compress) {
  const auto stored = st.read_statistics();
  GENSWEEP_CHECK(stored.has_value(), StoreError,
                 "{}: the store has no statistics (its extraction did not finish)",
                 store_path.string());
  const std::int64_t n = stored->count, d = st.layout().dim;
  GENSWEEP_CHECK(n >= 2, DataError,
                 "{}: {} valid rows; a covariance (denominator N-1) needs at least 2",
                 store_path.string(), n);
  store::NpyArray mu{"mu", {d}, stored->mean, {}, false};
  store::NpyArray sigma{"sigma", {d, d}, stored->scatter, {}, false};
  for (double& x : sigma.f64)
    x /= static_cast<double>(n - 1);
  GENSWEEP_CHECK(!std::filesystem::exists(out), IoError,
                 "{}: exists already; gensweep does not overwrite it", out.string());
  const std::filesystem::path sidecar = out.string() + ".json";
  GENSWEEP_CHECK(!std::filesystem::exists(sidecar), IoError,
                 "{}: exists already; gensweep does not overwrite it", sidecar.string());
  store::write_npz(out, {mu, sigma}, compress);
  nlohmann::json facts = provenance_of(store_path, st, n);
  facts["format"] = "pytorch-fid statistics: mu = mean, sigma = covariance with denominator N-1";
  report::write_file_atomically(sidecar, facts.dump(2) + "\n");
}

void check_statistics_target(const std::filesystem::path& out, const std::string& flag) {
  GENSWEEP_CHECK(out.extension() == ".npz", UsageError,
                 "{} {}: expected a file name ending in .npz (pytorch-fid reads a statistics file "
                 "by that suffix)",
                 flag, out.string());
  for (const auto& path : {out, std::filesystem::path(out.string() + ".json")}) {
    GENSWEEP_CHECK(!std::filesystem::exists(path), IoError,
                   "{} {}: {} exists already; gensweep does not overwrite it", flag, out.string(),
                   path.string());
  }
}

}  // namespace gensweep::cli
