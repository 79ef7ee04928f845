#include "gensweep/report/tables.h"

#include "gensweep/report/study_tables.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace gensweep::report {
namespace {

// Position of each id: listed ids first (job order), then unlisted ones as the entries meet them.
class Order {
 public:
  void add(const std::string& id) { rank_.try_emplace(id, rank_.size()); }
  std::size_t rank(const std::string& id) const { return rank_.at(id); }
  void sort(std::vector<std::string>& ids) const {
    std::sort(ids.begin(), ids.end(),
              [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
  }

 private:
  std::unordered_map<std::string, std::size_t> rank_;
};

void add_unique(std::vector<std::string>& ids, const std::string& id) {
  if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
}

}  // namespace

int TableOptions::decimals_for(std::string_view metric) const {
  auto it = decimals.find(metric);
  return it == decimals.end() ? default_decimals : it->second;
}

Better TableOptions::better_for(std::string_view metric) const {
  auto it = better.find(metric);
  return it == better.end() ? Better::kNeither : it->second;
}

std::vector<ResultTable> build_tables(const RunResults& results) {
  Order datasets, backbones, metrics;
  for (const auto& d : results.datasets)
    datasets.add(d.id);
  for (const auto& b : results.backbones)
    backbones.add(b.id);
  for (const auto& e : results.entries) {
    datasets.add(e.reference);
    datasets.add(e.evaluated);
    backbones.add(e.backbone);
    metrics.add(e.metric);
  }

  // A study's cells have tables of their own (study_tables.h); its base stays in the plain table.
  const auto study_cells = study_cell_pairs(results);

  // Group entries by (reference, metric), keeping the tables in display order.
  std::vector<ResultTable> tables;
  std::vector<std::vector<const MetricEntry*>> members;
  for (const auto& e : results.entries) {
    if (study_cells.contains({e.reference, e.evaluated})) continue;
    auto it = std::find_if(tables.begin(), tables.end(), [&](const ResultTable& t) {
      return t.reference == e.reference && t.metric == e.metric;
    });
    if (it == tables.end()) {
      tables.push_back({e.reference, e.metric, {}, {}, {}});
      members.emplace_back();
      it = tables.end() - 1;
    }
    add_unique(it->rows, e.evaluated);
    add_unique(it->columns, e.backbone);
    members[it - tables.begin()].push_back(&e);
  }

  for (std::size_t t = 0; t < tables.size(); ++t) {
    ResultTable& table = tables[t];
    datasets.sort(table.rows);
    backbones.sort(table.columns);
    table.cells.assign(table.rows.size() * table.columns.size(), nullptr);
    for (const MetricEntry* e : members[t]) {
      auto r = std::find(table.rows.begin(), table.rows.end(), e->evaluated) - table.rows.begin();
      auto c = std::find(table.columns.begin(), table.columns.end(), e->backbone) -
               table.columns.begin();
      auto& cell = table.cells[r * table.columns.size() + c];
      if (!cell) cell = e;
    }
  }

  std::vector<std::size_t> order(tables.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    auto key = [&](std::size_t i) {
      return std::pair(datasets.rank(tables[i].reference), metrics.rank(tables[i].metric));
    };
    return key(a) < key(b);
  });
  std::vector<ResultTable> sorted;
  sorted.reserve(tables.size());
  for (std::size_t i : order)
    sorted.push_back(std::move(tables[i]));
  return sorted;
}

std::string format_fixed(double value, int decimals) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  std::string text = fmt::format("{:.{}f}", value, std::max(decimals, 0));
  // "-0.0000" says "negative" about a value that is zero at this precision (FD round-off).
  if (text[0] == '-' && text.find_first_not_of("-0.") == std::string::npos) text.erase(0, 1);
  return text;
}

std::string fallback_note(const MetricEntry& entry) {
  const auto& d = entry.diagnostics;
  if (!d.is_object()) return "";
  if (auto it = d.find("fallback"); it != d.end() && it->is_string() && !it->empty())
    return it->get<std::string>();
  // A positive eps changed the number (pytorch-fid's retry path adds one when the square root
  // fails): a reader comparing against other papers must see that.
  if (auto it = d.find("regularization"); it != d.end() && it->is_number()) {
    double eps = it->get<double>();
    if (eps > 0) return fmt::format("eps={} added to the covariance diagonals", eps);
  }
  return "";
}

std::size_t display_width(std::string_view text) {
  // Continuation bytes (10xxxxxx) belong to the code point before them.
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

std::string_view direction_words(Better better) {
  switch (better) {
    case Better::kLower:
      return "lower is better";
    case Better::kHigher:
      return "higher is better";
    case Better::kNeither:
      break;
  }
  return "no better direction";
}

}  // namespace gensweep::report
