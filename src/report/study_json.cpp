#include "study_json.h"

#include <fmt/format.h>

#include "gensweep/core/error.h"
#include "gensweep/core/json_numbers.h"

namespace gensweep::report::detail {

using Ordered = nlohmann::ordered_json;

Ordered study_document(const StudyResults& s) {
  Ordered values = Ordered::array();
  for (const auto& v : s.values) {
    Ordered normalised = v.normalised ? Ordered(*v.normalised) : Ordered(nullptr);
    values.push_back({{"factor", v.factor},
                      {"level", v.level},
                      {"backbone", v.backbone},
                      {"metric", v.metric},
                      {"dataset", v.dataset},
                      {"value", v.value},
                      {"draws", v.draws},
                      {"std", v.std ? Ordered(*v.std) : Ordered(nullptr)},
                      {"normalised", normalised}});
  }
  Ordered rankings = Ordered::array();
  for (const auto& r : s.rankings)
    rankings.push_back({{"backbone", r.backbone},
                        {"metric", r.metric},
                        {"factors", r.factors},
                        {"scores", r.scores}});
  Ordered agreements = Ordered::array();
  for (const auto& a : s.agreements)
    agreements.push_back({{"metric", a.metric},
                          {"backbones", a.backbones},
                          {"kendall_tau", a.kendall_tau},
                          {"spearman_rho", a.spearman_rho}});
  Ordered normalised_by = nullptr;
  if (!s.normalised_by_factor.empty())
    normalised_by = {{s.factor_name, s.normalised_by_factor},
                     {s.level_name, s.normalised_by_level}};
  Ordered doc = {{"id", s.id},
                 {"kind", s.kind},
                 {"reference", s.reference},
                 {"base", s.base},
                 {"factor_name", s.factor_name},
                 {"level_name", s.level_name},
                 {"factors", s.factors},
                 {"levels", s.levels},
                 {"backbones", s.backbones},
                 {"metrics", s.metrics},
                 {"normalised_by", normalised_by},
                 {"values", std::move(values)},
                 {"rankings", std::move(rankings)},
                 {"agreements", std::move(agreements)}};
  Ordered notes = Ordered::object();
  json_numbers::null_non_finite(doc, "", notes);
  if (!notes.empty()) doc["non_finite"] = std::move(notes);
  return doc;
}

namespace {

std::vector<double> doubles(const nlohmann::json& array) {
  std::vector<double> out;
  for (const auto& x : array)
    out.push_back(x.is_null() ? std::numeric_limits<double>::quiet_NaN() : x.get<double>());
  return out;
}

}  // namespace

StudyResults study_from_json(const nlohmann::json& stored, std::size_t index) {
  nlohmann::json doc = stored;
  // Put the non-finite numbers back where the writer nulled them.
  if (auto it = doc.find("non_finite"); it != doc.end()) {
    const nlohmann::json notes = *it;
    doc.erase("non_finite");
    for (const auto& [pointer, name] : notes.items()) {
      const auto value = json_numbers::non_finite_value(name.get<std::string>());
      if (!value)
        throw IoError(fmt::format("studies[{}].non_finite: value '{}' is not nan, inf or -inf",
                                  index, name.dump()));
      doc[nlohmann::json::json_pointer(pointer)] = *value;
    }
  }
  StudyResults s;
  s.id = doc.at("id").get<std::string>();
  s.kind = doc.at("kind").get<std::string>();
  s.reference = doc.at("reference").get<std::string>();
  s.base = doc.at("base").get<std::string>();
  s.factor_name = doc.at("factor_name").get<std::string>();
  s.level_name = doc.at("level_name").get<std::string>();
  s.factors = doc.at("factors").get<std::vector<std::string>>();
  s.levels = doc.at("levels").get<std::vector<double>>();
  s.backbones = doc.at("backbones").get<std::vector<std::string>>();
  s.metrics = doc.at("metrics").get<std::vector<std::string>>();
  if (const auto& n = doc.at("normalised_by"); !n.is_null()) {
    s.normalised_by_factor = n.at(s.factor_name).get<std::string>();
    s.normalised_by_level = n.at(s.level_name).get<double>();
  }
  for (const auto& v : doc.at("values")) {
    StudyValue value;
    value.factor = v.at("factor").get<std::string>();
    value.level = v.at("level").get<double>();
    value.backbone = v.at("backbone").get<std::string>();
    value.metric = v.at("metric").get<std::string>();
    value.dataset = v.at("dataset").get<std::string>();
    const auto& x = v.at("value");
    value.value = x.is_null() ? std::numeric_limits<double>::quiet_NaN() : x.get<double>();
    value.draws = v.at("draws").get<int>();
    if (const auto& x = v.at("std"); !x.is_null()) value.std = x.get<double>();
    if (const auto& n = v.at("normalised"); !n.is_null()) value.normalised = n.get<double>();
    s.values.push_back(std::move(value));
  }
  for (const auto& r : doc.at("rankings"))
    s.rankings.push_back({r.at("backbone").get<std::string>(), r.at("metric").get<std::string>(),
                          r.at("factors").get<std::vector<std::string>>(),
                          doubles(r.at("scores"))});
  for (const auto& a : doc.at("agreements"))
    s.agreements.push_back({a.at("metric").get<std::string>(),
                            a.at("backbones").get<std::vector<std::string>>(),
                            doubles(a.at("kendall_tau")), doubles(a.at("spearman_rho"))});
  return s;
}

}  // namespace gensweep::report::detail
