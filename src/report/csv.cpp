#include "gensweep/report/csv.h"

#include "gensweep/report/atomic_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace gensweep::report {
namespace {

constexpr std::array<std::string_view, 5> kFixedColumns = {"reference", "evaluated", "backbone",
                                                           "metric", "value"};

std::string diagnostics_cell(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      return "";
    case nlohmann::json::value_t::string:
      return v.get<std::string>();
    case nlohmann::json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case nlohmann::json::value_t::number_integer:
      return std::to_string(v.get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      return std::to_string(v.get<std::uint64_t>());
    case nlohmann::json::value_t::number_float:
      return csv_number(v.get<double>());
    default:
      return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

}  // namespace

std::string csv_number(double v) {
  // One spelling for each non-finite kind (fmt would write "-nan" for a NaN with the sign bit set).
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string to_csv(const RunResults& results) {
  std::vector<std::string> keys;
  for (const auto& e : results.entries) {
    if (!e.diagnostics.is_object()) continue;
    for (const auto& item : e.diagnostics.items())
      if (std::find(keys.begin(), keys.end(), item.key()) == keys.end()) keys.push_back(item.key());
  }

  std::string out;
  auto end_record = [&] { out.back() = '\n'; };
  for (auto column : kFixedColumns)
    out += std::string(column) + ",";
  for (const auto& key : keys) {
    bool clash = std::find(kFixedColumns.begin(), kFixedColumns.end(), key) != kFixedColumns.end();
    out += csv_field(clash ? "diagnostics." + key : key) + ",";
  }
  end_record();

  for (const auto& e : results.entries) {
    for (const auto* field : {&e.reference, &e.evaluated, &e.backbone, &e.metric})
      out += csv_field(*field) + ",";
    out += csv_number(e.value) + ",";
    for (const auto& key : keys) {
      std::string cell;
      if (e.diagnostics.is_object()) {
        auto it = e.diagnostics.find(key);
        if (it != e.diagnostics.end()) cell = diagnostics_cell(*it);
      }
      out += csv_field(cell) + ",";
    }
    end_record();
  }
  return out;
}

void write_csv(const RunResults& results, const std::filesystem::path& path) {
  write_file_atomically(path, to_csv(results));
}

}  // namespace gensweep::report
