#include "gensweep/report/json.h"

#include "gensweep/core/error.h"
#include "gensweep/core/files.h"
#include "gensweep/core/json_numbers.h"
#include "gensweep/report/atomic_file.h"
#include "study_json.h"

#include <cmath>
#include <limits>
#include <optional>

namespace gensweep::report {
namespace {

using Ordered = nlohmann::ordered_json;

// A non_finite note read back: its value, or an IoError naming where it stands.
double non_finite_value(const std::string& name, const std::string& where) {
  if (const auto v = json_numbers::non_finite_value(name)) return *v;
  throw IoError(fmt::format("{}: non_finite value '{}' is not nan, inf or -inf", where, name));
}

Ordered entry_document(const MetricEntry& e) {
  // "non_finite" is reserved for the writer: a stale one from the caller would lie.
  Ordered diagnostics = e.diagnostics.is_object() ? Ordered(e.diagnostics) : Ordered::object();
  diagnostics.erase("non_finite");
  Ordered notes = Ordered::object();
  json_numbers::null_non_finite(diagnostics, "/diagnostics", notes);
  Ordered value = e.value;
  json_numbers::null_non_finite(value, "/value", notes);
  if (!notes.empty()) diagnostics["non_finite"] = std::move(notes);
  return Ordered{{"reference", e.reference}, {"evaluated", e.evaluated},
                 {"backbone", e.backbone},   {"metric", e.metric},
                 {"value", value},           {"diagnostics", std::move(diagnostics)}};
}

// A both-ways table: values keyed by metric in the table's column order, null where a direction
// has no finite value (not computed for a set against itself, or not a number).
Ordered both_ways_document(const BothWaysTable& t) {
  Ordered rows = Ordered::array();
  for (const auto& row : t.rows) {
    Ordered values = Ordered::object();
    for (std::size_t m = 0; m < t.metrics.size(); ++m) {
      const auto& v = m < row.values.size() ? row.values[m] : std::nullopt;
      values[t.metrics[m]] = v && std::isfinite(*v) ? Ordered(*v) : Ordered(nullptr);
    }
    rows.push_back({{"direction", row.direction},
                    {"reference", row.reference},
                    {"evaluated", row.evaluated},
                    {"leave_one_out", row.leave_one_out},
                    {"values", std::move(values)},
                    {"by_definition", row.by_definition}});
  }
  return Ordered{{"reference", t.reference},
                 {"evaluated", t.evaluated},
                 {"backbone", t.backbone},
                 {"metrics", t.metrics},
                 {"rows", std::move(rows)}};
}

BothWaysTable both_ways_from_json(const nlohmann::json& j) {
  BothWaysTable t;
  t.reference = j.at("reference").get<std::string>();
  t.evaluated = j.at("evaluated").get<std::string>();
  t.backbone = j.at("backbone").get<std::string>();
  t.metrics = j.at("metrics").get<std::vector<std::string>>();
  for (const auto& r : j.at("rows")) {
    BothWaysRow row;
    row.direction = r.at("direction").get<std::string>();
    row.reference = r.at("reference").get<std::string>();
    row.evaluated = r.at("evaluated").get<std::string>();
    row.leave_one_out = r.at("leave_one_out").get<bool>();
    const auto& values = r.at("values");
    for (const auto& metric : t.metrics) {
      const auto& v = values.at(metric);
      row.values.push_back(v.is_null() ? std::nullopt : std::optional<double>(v.get<double>()));
    }
    row.by_definition = r.at("by_definition").get<std::vector<std::string>>();
    t.rows.push_back(std::move(row));
  }
  return t;
}

// Keys in schema order so that a person reading results.json sees provenance first.
Ordered document(const RunResults& r) {
  Ordered doc = Ordered::object();
  doc["schema"] = kSchemaName;
  doc["schema_version"] = kSchemaVersion;
  doc["job_name"] = r.job_name;
  doc["job_file"] = r.job_file;
  doc["config_hash"] = r.config_hash;
  doc["tool_version"] = r.tool_version;
  doc["git_commit"] = r.git_commit;
  doc["created_utc"] = r.created_utc;
  doc["ranks"] = r.ranks;
  doc["seconds"] = json_numbers::finite_or_null<Ordered>(r.seconds);
  doc["datasets"] = Ordered::array();
  for (const auto& d : r.datasets)
    doc["datasets"].push_back({{"id", d.id},
                               {"source", d.source},
                               {"images", d.images},
                               {"valid", d.valid},
                               {"failed", d.failed},
                               {"fingerprint", d.fingerprint}});
  doc["backbones"] = Ordered::array();
  for (const auto& b : r.backbones)
    doc["backbones"].push_back({{"id", b.id},
                                {"kind", b.kind},
                                {"dim", b.dim},
                                {"identity", b.identity},
                                {"preprocessing", b.preprocessing}});
  doc["stores"] = Ordered::array();
  for (const auto& s : r.stores)
    doc["stores"].push_back(
        {{"dataset", s.dataset}, {"backbone", s.backbone}, {"path", s.path}, {"reused", s.reused}});
  doc["entries"] = Ordered::array();
  for (const auto& e : r.entries)
    doc["entries"].push_back(entry_document(e));
  doc["per_sample"] = Ordered::array();
  for (const auto& p : r.per_sample)
    doc["per_sample"].push_back({{"reference", p.reference},
                                 {"evaluated", p.evaluated},
                                 {"backbone", p.backbone},
                                 {"path", p.path},
                                 {"datasets", p.datasets}});
  if (r.cache) {
    doc["cache"] = {{"directory", r.cache->directory},
                    {"items", r.cache->items},
                    {"reused", r.cache->reused},
                    {"computed", r.cache->computed},
                    {"reference_loaded", r.cache->reference_loaded},
                    {"reference_computed", r.cache->reference_computed}};
  }
  // Only runs with studies carry the key, so that documents of other runs stay as they were.
  if (!r.studies.empty()) {
    doc["studies"] = Ordered::array();
    for (const auto& study : r.studies)
      doc["studies"].push_back(detail::study_document(study));
  }
  // Only runs with a both-ways comparison have these keys (older readers and documents agree).
  if (!r.both_ways.empty()) {
    doc["both_ways"] = Ordered::array();
    for (const auto& t : r.both_ways)
      doc["both_ways"].push_back(both_ways_document(t));
  }
  if (!r.rarest_overlap.empty()) {
    doc["rarest_overlap"] = Ordered::array();
    for (const auto& o : r.rarest_overlap)
      doc["rarest_overlap"].push_back({{"reference", o.reference},
                                       {"evaluated", o.evaluated},
                                       {"direction", o.direction},
                                       {"backbone_a", o.backbone_a},
                                       {"backbone_b", o.backbone_b},
                                       {"k", o.k},
                                       {"jaccard", o.jaccard}});
  }
  doc["warnings"] = r.warnings;
  return doc;
}

MetricEntry entry_from_json(const nlohmann::json& j, std::size_t index) {
  MetricEntry e;
  e.reference = j.at("reference").get<std::string>();
  e.evaluated = j.at("evaluated").get<std::string>();
  e.backbone = j.at("backbone").get<std::string>();
  e.metric = j.at("metric").get<std::string>();
  e.diagnostics = j.at("diagnostics");
  const auto& value = j.at("value");
  e.value = value.is_null() ? std::numeric_limits<double>::quiet_NaN() : value.get<double>();
  if (auto it = e.diagnostics.find("non_finite"); it != e.diagnostics.end()) {
    nlohmann::json notes = *it;
    e.diagnostics.erase(it);
    std::string where = fmt::format("entries[{}].diagnostics.non_finite", index);
    for (const auto& [pointer, name] : notes.items()) {
      double v = non_finite_value(name.get<std::string>(), where);
      if (pointer == "/value") {
        e.value = v;
      } else {
        constexpr std::string_view kPrefix = "/diagnostics/";
        if (pointer.rfind(kPrefix, 0) != 0)
          throw IoError(
              fmt::format("{}: pointer '{}' is not /value or /diagnostics/...", where, pointer));
        e.diagnostics[nlohmann::json::json_pointer(pointer.substr(kPrefix.size() - 1))] = v;
      }
    }
  }
  return e;
}

}  // namespace

nlohmann::json to_json(const RunResults& results) {
  return nlohmann::json(document(results));
}

std::string to_json_text(const RunResults& results) {
  // replace: a file name with bytes that are not UTF-8 must not cost the run its results.
  return document(results).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void write_json(const RunResults& results, const std::filesystem::path& path) {
  write_file_atomically(path, to_json_text(results));
}

RunResults results_from_json(const nlohmann::json& doc) {
  try {
    GENSWEEP_CHECK(doc.is_object() && doc.value("schema", "") == kSchemaName, IoError,
                   "not a {} document (\"schema\" is missing or different)", kSchemaName);
    int version = doc.at("schema_version").get<int>();
    GENSWEEP_CHECK(version >= 1 && version <= kSchemaVersion, IoError,
                   "schema_version {} is not one this gensweep reads (1 to {})", version,
                   kSchemaVersion);
    RunResults r;
    r.job_name = doc.at("job_name").get<std::string>();
    r.job_file = doc.at("job_file").get<std::string>();
    r.config_hash = doc.at("config_hash").get<std::string>();
    r.tool_version = doc.at("tool_version").get<std::string>();
    r.git_commit = doc.at("git_commit").get<std::string>();
    r.created_utc = doc.at("created_utc").get<std::string>();
    r.ranks = doc.at("ranks").get<int>();
    const auto& seconds = doc.at("seconds");
    r.seconds =
        seconds.is_null() ? std::numeric_limits<double>::quiet_NaN() : seconds.get<double>();
    for (const auto& d : doc.at("datasets"))
      r.datasets.push_back({d.at("id").get<std::string>(), d.at("source").get<std::string>(),
                            d.at("images").get<std::int64_t>(), d.at("valid").get<std::int64_t>(),
                            d.at("failed").get<std::int64_t>(),
                            d.at("fingerprint").get<std::string>()});
    for (const auto& b : doc.at("backbones"))
      r.backbones.push_back({b.at("id").get<std::string>(), b.at("kind").get<std::string>(),
                             b.at("dim").get<std::int64_t>(), b.at("identity").get<std::string>(),
                             b.at("preprocessing").get<std::string>()});
    for (const auto& s : doc.at("stores"))
      r.stores.push_back({s.at("dataset").get<std::string>(), s.at("backbone").get<std::string>(),
                          s.at("path").get<std::string>(), s.at("reused").get<bool>()});
    const auto& entries = doc.at("entries");
    for (std::size_t i = 0; i < entries.size(); ++i)
      r.entries.push_back(entry_from_json(entries[i], i));
    // Optional: documents written before per-sample results existed have no such key.
    if (doc.contains("per_sample")) {
      for (const auto& p : doc.at("per_sample"))
        r.per_sample.push_back(
            {p.at("reference").get<std::string>(), p.at("evaluated").get<std::string>(),
             p.at("backbone").get<std::string>(), p.at("path").get<std::string>(),
             p.at("datasets").get<std::vector<std::string>>()});
    }
    // Optional: documents of runs without a reduce stage, or written before the caches existed.
    if (doc.contains("cache")) {
      const auto& c = doc.at("cache");
      r.cache = CacheSummary{c.at("directory").get<std::string>(),
                             c.at("items").get<std::int64_t>(),
                             c.at("reused").get<std::int64_t>(),
                             c.at("computed").get<std::int64_t>(),
                             c.at("reference_loaded").get<std::int64_t>(),
                             c.at("reference_computed").get<std::int64_t>()};
    }
    if (doc.contains("studies")) {
      const auto& studies = doc.at("studies");
      for (std::size_t i = 0; i < studies.size(); ++i)
        r.studies.push_back(detail::study_from_json(studies[i], i));
    }
    // Optional: runs without a both-ways comparison.
    if (doc.contains("both_ways")) {
      for (const auto& t : doc.at("both_ways"))
        r.both_ways.push_back(both_ways_from_json(t));
    }
    if (doc.contains("rarest_overlap")) {
      for (const auto& o : doc.at("rarest_overlap"))
        r.rarest_overlap.push_back(
            {o.at("reference").get<std::string>(), o.at("evaluated").get<std::string>(),
             o.at("direction").get<std::string>(), o.at("backbone_a").get<std::string>(),
             o.at("backbone_b").get<std::string>(), o.at("k").get<std::int64_t>(),
             o.at("jaccard").get<double>()});
    }
    r.warnings = doc.at("warnings").get<std::vector<std::string>>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    // nlohmann's messages name the missing key or the wrong type ("type must be string, but is
    // number"); prefix them so the user knows which file format was being read.
    throw IoError(fmt::format("{} document: {}", kSchemaName, e.what()));
  }
}

RunResults read_json(const std::filesystem::path& path) {
  const std::string text = read_file(path, "results file");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw IoError(fmt::format("'{}': not valid JSON: {}", path.string(), e.what()));
  }
  try {
    return results_from_json(doc);
  } catch (const IoError& e) {
    throw IoError(fmt::format("'{}': {}", path.string(), e.what()));
  }
}

}  // namespace gensweep::report
