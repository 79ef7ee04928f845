// gensweep inspect STORE: shape, provenance, progress, failures.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "args.h"
#include "commands.h"
#include "gensweep/store/feature_store.h"

namespace gensweep::cli {

int command_inspect(const std::vector<std::string>& argv, dist::Comm& comm) {
  Args args("inspect", argv, {}, {"help", "json", "all-failures"});
  if (args.flag("help")) {
    fmt::print(
        "usage: gensweep inspect STORE.h5 [--json] [--all-failures]\n\nPrints a feature store's "
        "shape, provenance, progress (finished work units),\nvalid and failed images with their "
        "reasons, and whether statistics are present.\n");
    return 0;
  }
  args.expect_positional(1, "one store file");
  if (!comm.is_root()) return 0;
  auto st = store::FeatureStore::open_read(args.positional()[0]);
  const auto& layout = st.layout();
  auto progress = st.progress();
  auto valid = st.read_valid();
  auto failures = st.read_failures();
  const auto done = std::count(progress.begin(), progress.end(), std::uint8_t{1});
  const auto n_valid = std::count(valid.begin(), valid.end(), std::uint8_t{1});
  const bool has_stats = st.has_statistics();
  if (args.flag("json")) {
    nlohmann::json j = {
        {"path", args.positional()[0]},  {"rows", layout.rows}, {"dim", layout.dim},
        {"unit_size", layout.unit_size}, {"units_done", done},  {"units", st.num_units()},
        {"complete", st.is_complete()},  {"valid", n_valid},    {"statistics", has_stats},
        {"provenance", st.provenance()}};
    nlohmann::json fl = nlohmann::json::array();
    for (const auto& f : failures)
      fl.push_back({{"row", f.row}, {"reason", f.reason}});
    j["failures"] = fl;
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  fmt::print("store      {}\n", args.positional()[0]);
  fmt::print("features   {} x {} float32\n", layout.rows, layout.dim);
  fmt::print("progress   {}/{} units of {} images{}\n", done, st.num_units(), layout.unit_size,
             st.is_complete() ? " (complete)" : " (partial: run the job again to resume)");
  fmt::print("valid      {} of {} images, {} failed\n", n_valid, layout.rows, failures.size());
  fmt::print("statistics {}\n", has_stats ? "present (float64 count, mean, scatter)" : "absent");
  fmt::print("provenance\n");
  std::size_t width = 0;
  for (const auto& [k, v] : st.provenance())
    width = std::max(width, k.size());
  for (const auto& [k, v] : st.provenance())
    fmt::print("  {:<{}}  {}\n", k, width, v);
  if (!failures.empty()) {
    fmt::print("failures\n");
    const std::size_t shown =
        args.flag("all-failures") ? failures.size() : std::min<std::size_t>(20, failures.size());
    for (std::size_t i = 0; i < shown; ++i)
      fmt::print("  row {}: {}\n", failures[i].row, failures[i].reason);
    if (shown < failures.size())
      fmt::print("  ... {} more (--all-failures)\n", failures.size() - shown);
  }
  return 0;
}

}  // namespace gensweep::cli
