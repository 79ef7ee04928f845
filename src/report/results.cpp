#include "gensweep/report/results.h"

#include <fmt/format.h>

#include <ctime>
#include <set>
#include <tuple>

namespace gensweep::report {

std::string utc_timestamp(std::chrono::system_clock::time_point time) {
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);  // the thread-safe variant: ranks may log from several threads
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::vector<std::string> find_problems(const RunResults& results) {
  std::vector<std::string> problems;
  std::set<std::string> datasets;
  for (const auto& d : results.datasets)
    if (!datasets.insert(d.id).second)
      problems.push_back(fmt::format("dataset '{}' listed twice", d.id));
  std::set<std::string> backbones;
  for (const auto& b : results.backbones)
    if (!backbones.insert(b.id).second)
      problems.push_back(fmt::format("backbone '{}' listed twice", b.id));

  std::set<std::tuple<std::string, std::string, std::string, std::string>> keys;
  for (std::size_t i = 0; i < results.entries.size(); ++i) {
    const auto& e = results.entries[i];
    for (const auto* id : {&e.reference, &e.evaluated})
      if (!datasets.contains(*id))
        problems.push_back(
            fmt::format("entry {} ({}): dataset '{}' is not listed", i, e.metric, *id));
    if (!backbones.contains(e.backbone))
      problems.push_back(
          fmt::format("entry {} ({}): backbone '{}' is not listed", i, e.metric, e.backbone));
    if (!keys.emplace(e.reference, e.evaluated, e.backbone, e.metric).second)
      problems.push_back(fmt::format("entry {}: {} of '{}' against '{}' in '{}' appears twice", i,
                                     e.metric, e.evaluated, e.reference, e.backbone));
  }
  for (const auto& s : results.stores) {
    if (!datasets.contains(s.dataset))
      problems.push_back(fmt::format("store {}: dataset '{}' is not listed", s.path, s.dataset));
    if (!backbones.contains(s.backbone))
      problems.push_back(fmt::format("store {}: backbone '{}' is not listed", s.path, s.backbone));
  }
  return problems;
}

}  // namespace gensweep::report
