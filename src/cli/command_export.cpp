// gensweep export STORE: a store's statistics and features in the files other tools read.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "args.h"
#include "commands.h"
#include "gensweep/core/error.h"
#include "gensweep/pipeline/store_statistics.h"
#include "gensweep/report/atomic_file.h"
#include "gensweep/store/feature_store.h"
#include "gensweep/store/numpy_writer.h"
#include "statistics_export.h"

namespace gensweep::cli {
namespace {

constexpr const char* kExportHelp =
    R"(usage: gensweep export STORE.h5 [--stats OUT.npz] [--features OUT.npy] [--stored]

Writes a complete store's statistics and features in the formats other tools read:
  --stats OUT.npz     pytorch-fid's statistics file: mu (float64 mean) and sigma (float64
                      covariance, denominator N-1) of the valid rows, deflated as pytorch-fid
                      writes it (--stored: uncompressed); `python -m pytorch_fid OUT.npz DIR`,
                      EDM and clean-fid read it. Provenance (store, backbone, rows, gensweep
                      version) goes to OUT.npz.json beside it, not into the archive.
  --features OUT.npy  the valid rows, float32 N x D, C order; their image ids, one per line, go
                      to OUT.ids.txt beside it
Existing files are never replaced.
)";

void export_features(const store::FeatureStore& st, const std::filesystem::path& out) {
  FeatureMatrix rows = pipeline::read_valid_features(st);
  std::filesystem::path ids_path = out;
  ids_path.replace_extension(".ids.txt");
  GENSWEEP_CHECK(!std::filesystem::exists(out), IoError,
                 "{}: exists already; gensweep does not overwrite it", out.string());
  GENSWEEP_CHECK(!std::filesystem::exists(ids_path), IoError,
                 "{}: exists already; gensweep does not overwrite it", ids_path.string());
  store::NpyArray array{"features", {rows.rows, rows.cols}, {}, std::move(rows.values), true};
  store::write_npy(out, array);
  const auto ids = st.read_ids();
  const auto valid = st.read_valid();
  std::string text;
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (valid[i]) text += ids[i] + "\n";
  report::write_file_atomically(ids_path, text);
}

}  // namespace

int command_export(const std::vector<std::string>& argv, dist::Comm& comm) {
  Args args("export", argv, {"stats", "features"}, {"help", "stored"});
  if (args.flag("help")) {
    if (comm.is_root()) fmt::print("{}", kExportHelp);
    return 0;
  }
  args.expect_positional(1, "one store file");
  GENSWEEP_CHECK(args.value("stats") || args.value("features"), UsageError,
                 "gensweep export: nothing to write; give --stats OUT.npz and/or --features "
                 "OUT.npy");
  if (!comm.is_root()) return 0;
  const std::filesystem::path path = args.positional()[0];
  const auto st = store::FeatureStore::open_read(path);
  GENSWEEP_CHECK(st.is_complete(), StoreError,
                 "{}: the store is incomplete (extraction did not finish; run the job again to "
                 "resume it)",
                 path.string());
  if (auto stats = args.value("stats"))
    export_statistics(path, st, std::filesystem::absolute(*stats), !args.flag("stored"));
  if (auto features = args.value("features"))
    export_features(st, std::filesystem::absolute(*features));
  return 0;
}

}  // namespace gensweep::cli
