#include "gensweep/pipeline/both_ways.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>

#include "gensweep/core/log.h"
#include "gensweep/metrics/rank_agreement.h"

namespace gensweep::pipeline {
namespace {

const report::MetricEntry* find_entry(std::span<const report::MetricEntry> entries,
                                      const ReductionTask& task, const std::string& metric) {
  for (const auto& e : entries) {
    if (e.reference == task.reference && e.evaluated == task.evaluated &&
        e.backbone == task.backbone && e.metric == metric)
      return &e;
  }
  return nullptr;
}

report::BothWaysRow make_row(const Plan& plan, const BothWaysPlan& both, Direction direction,
                             std::span<const report::MetricEntry> entries) {
  report::BothWaysRow row;
  row.direction = direction_name(direction);
  switch (direction) {
    case Direction::kForward:
      row.reference = both.reference, row.evaluated = both.evaluated;
      break;
    case Direction::kBackward:
      row.reference = both.evaluated, row.evaluated = both.reference;
      break;
    case Direction::kSelfReference:
      row.reference = row.evaluated = both.reference;
      break;
    case Direction::kSelfEvaluated:
      row.reference = row.evaluated = both.evaluated;
      break;
  }
  const bool self =
      direction == Direction::kSelfReference || direction == Direction::kSelfEvaluated;
  row.leave_one_out = self;
  const std::size_t t = both.tasks[static_cast<std::size_t>(direction)];
  for (const auto& metric : both.metrics) {
    if (self && zero_against_itself(metric)) {
      row.values.emplace_back(0.0);
      row.by_definition.push_back(metric);
      continue;
    }
    const report::MetricEntry* e =
        t == BothWaysPlan::kNoTask ? nullptr : find_entry(entries, plan.reduction[t], metric);
    row.values.push_back(e != nullptr && std::isfinite(e->value) ? std::optional(e->value)
                                                                 : std::nullopt);
  }
  return row;
}

// The evaluated set's rarity scores of each direction of `both`, or null.
const std::vector<double>* rarity_of(const BothWaysPlan& both, Direction direction,
                                     std::span<const PerSampleArrays> per_task) {
  const std::size_t t = both.tasks[static_cast<std::size_t>(direction)];
  if (t == BothWaysPlan::kNoTask || t >= per_task.size()) return nullptr;
  auto it = per_task[t].reals.find("rarity");
  return it == per_task[t].reals.end() ? nullptr : &it->second;
}

std::vector<std::string> as_ids(const std::vector<std::int64_t>& rows) {
  std::vector<std::string> ids;
  for (auto r : rows)
    ids.push_back(std::to_string(r));
  return ids;
}

// Every backbone pair of every pair (A, B) and direction, backbones in plan order.
void add_overlaps(const std::vector<const BothWaysPlan*>& pair,
                  std::span<const PerSampleArrays> per_task,
                  std::vector<report::RarestOverlap>& out) {
  for (std::size_t d = 0; d < kDirections; ++d) {
    const auto direction = static_cast<Direction>(d);
    for (std::size_t a = 0; a < pair.size(); ++a) {
      for (std::size_t b = a + 1; b < pair.size(); ++b) {
        const auto* ra = rarity_of(*pair[a], direction, per_task);
        const auto* rb = rarity_of(*pair[b], direction, per_task);
        if (ra == nullptr || rb == nullptr) continue;
        if (ra->size() != rb->size()) {
          // Rows are matched by position: stores with different valid rows cannot be.
          log::info("rarest overlap of {} vs {} ({}): {} holds {} rows, {} holds {}; left out",
                    pair[a]->evaluated, pair[a]->reference, direction_name(direction),
                    pair[a]->backbone, ra->size(), pair[b]->backbone, rb->size());
          continue;
        }
        const std::int64_t k =
            rarest_count(pair[a]->rarest_fraction, static_cast<std::int64_t>(ra->size()));
        report::RarestOverlap o;
        o.reference = pair[a]->reference;
        o.evaluated = pair[a]->evaluated;
        o.direction = direction_name(direction);
        o.backbone_a = pair[a]->backbone;
        o.backbone_b = pair[b]->backbone;
        o.k = k;
        o.jaccard = metrics::jaccard(as_ids(rarest_rows(*ra, k)), as_ids(rarest_rows(*rb, k)));
        out.push_back(std::move(o));
      }
    }
  }
}

}  // namespace

bool zero_against_itself(const std::string& metric) {
  return metric == "fd" || metric == "kid" || metric == "fd_inf" || metric == "cmmd";
}

std::int64_t rarest_count(double fraction, std::int64_t rows) {
  const auto k = static_cast<std::int64_t>(std::llround(fraction * static_cast<double>(rows)));
  return std::clamp<std::int64_t>(k, 1, std::max<std::int64_t>(rows, 1));
}

std::vector<std::int64_t> rarest_rows(std::span<const double> rarity, std::int64_t k) {
  std::vector<std::int64_t> rows;
  for (std::size_t i = 0; i < rarity.size(); ++i)
    if (rarity[i] > 0) rows.push_back(static_cast<std::int64_t>(i));
  const auto keep = std::min<std::int64_t>(k, static_cast<std::int64_t>(rows.size()));
  std::partial_sort(rows.begin(), rows.begin() + keep, rows.end(),
                    [&](std::int64_t a, std::int64_t b) {
                      return rarity[a] != rarity[b] ? rarity[a] > rarity[b] : a < b;
                    });
  rows.resize(static_cast<std::size_t>(keep));
  return rows;
}

BothWaysOutput make_both_ways(const Plan& plan, std::span<const report::MetricEntry> entries,
                              std::span<const PerSampleArrays> per_task) {
  BothWaysOutput out;
  // (A, B) -> its backbones, in plan order.
  std::vector<std::pair<std::pair<std::string, std::string>, std::vector<const BothWaysPlan*>>>
      pairs;
  for (const auto& both : plan.both_ways) {
    report::BothWaysTable table;
    table.reference = both.reference;
    table.evaluated = both.evaluated;
    table.backbone = both.backbone;
    table.metrics = both.metrics;
    for (std::size_t d = 0; d < kDirections; ++d)
      table.rows.push_back(make_row(plan, both, static_cast<Direction>(d), entries));
    out.tables.push_back(std::move(table));
    const std::pair<std::string, std::string> key{both.reference, both.evaluated};
    auto it =
        std::find_if(pairs.begin(), pairs.end(), [&](const auto& p) { return p.first == key; });
    if (it == pairs.end()) it = pairs.insert(pairs.end(), {key, {}});
    it->second.push_back(&both);
  }
  for (const auto& [key, backbones] : pairs)
    add_overlaps(backbones, per_task, out.rarest_overlap);
  return out;
}

}  // namespace gensweep::pipeline
