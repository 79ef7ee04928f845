#include "gensweep/pipeline/result_cache.h"

#include <cmath>
#include <set>

#include "cache_encoding.h"
#include "gensweep/core/error.h"
#include "gensweep/core/json_numbers.h"
#include "gensweep/core/sha256.h"
#include "gensweep/core/version.h"

namespace gensweep::pipeline {
namespace {

using cache_detail::bits_hex;
using cache_detail::from_bits_hex;

// A non_finite note read back: its value, or an IoError.
double non_finite_value(const std::string& name) {
  if (const auto v = json_numbers::non_finite_value(name)) return *v;
  throw IoError(fmt::format("non_finite names '{}', not nan, inf or -inf", name));
}

std::string shorten(const std::string& text) {
  return text.size() <= 80 ? text : text.substr(0, 77) + "...";
}

nlohmann::json parameters_material(const std::vector<std::string>& metrics,
                                   const std::map<std::string, MetricParameters>& parameters) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& m : metrics) {
    const auto& p = parameters.at(m);
    nlohmann::json values = p.to_json();
    nlohmann::json set = nlohmann::json::array();
    for (const auto& [name, value] : values.items()) {
      if (p.is_set(name)) set.push_back(name);
    }
    out[m] = {{"values", std::move(values)}, {"set", std::move(set)}};
  }
  return out;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

}  // namespace

ItemKey make_item_key(const std::string& group, const std::vector<std::string>& metrics,
                      const std::map<std::string, MetricParameters>& parameters,
                      const store::Attributes& reference, const store::Attributes& evaluated) {
  const auto members = sorted(metrics);
  ItemKey key;
  key.material = {{"cache_format", kResultCacheVersion},
                  {"group", group},
                  {"metrics", members},
                  {"parameters", parameters_material(members, parameters)},
                  {"reference", reference},
                  {"evaluated", evaluated},
                  {"tool_version", tool_version()},
                  {"git_commit", git_commit()}};
  // Object keys are sorted (std::map): the text, and so the hash, is canonical.
  key.hex = sha256_hex(key.material.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return key;
}

std::string encode_cached_item(const CachedItem& item) {
  nlohmann::json values = nlohmann::json::object();
  for (const auto& [metric, v] : item.values) {
    nlohmann::json diagnostics = v.diagnostics;
    nlohmann::json notes = nlohmann::json::object();
    json_numbers::null_non_finite(diagnostics, "", notes);
    // The bits carry the exact value; the readable one is null when it is not finite.
    values[metric] = {{"value", json_numbers::finite_or_null<nlohmann::json>(v.value)},
                      {"bits", bits_hex(v.value)},
                      {"diagnostics", std::move(diagnostics)},
                      {"non_finite", std::move(notes)}};
  }
  const nlohmann::json doc = {{"format", kResultCacheFormat},
                              {"format_version", kResultCacheVersion},
                              {"key", item.key},
                              {"material", item.material},
                              {"computed_utc", item.computed_utc},
                              {"values", std::move(values)},
                              {"per_sample", {{"reals", item.reals}, {"integers", item.integers}}}};
  return doc.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

CachedItem decode_cached_item(std::string_view text) {
  try {
    const auto doc = nlohmann::json::parse(text.begin(), text.end());
    GENSWEEP_CHECK(doc.is_object() && doc.value("format", "") == kResultCacheFormat, IoError,
                   "not a {} file", kResultCacheFormat);
    const int version = doc.at("format_version").get<int>();
    GENSWEEP_CHECK(version == kResultCacheVersion, IoError, "format_version {} is not {}", version,
                   kResultCacheVersion);
    CachedItem item;
    item.key = doc.at("key").get<std::string>();
    item.material = doc.at("material");
    item.computed_utc = doc.at("computed_utc").get<std::string>();
    for (const auto& [metric, v] : doc.at("values").items()) {
      const auto bits = from_bits_hex(v.at("bits").get<std::string>());
      GENSWEEP_CHECK(bits.has_value(), IoError, "values.{}.bits is not 16 hex digits", metric);
      // The readable value must say the same as the bits (a hand-edited or damaged entry).
      const auto& readable = v.at("value");
      GENSWEEP_CHECK(readable.is_null() ? !std::isfinite(*bits)
                                        : readable.is_number() && readable.get<double>() == *bits,
                     IoError, "values.{}: value and bits disagree", metric);
      MetricValue value;
      value.value = *bits;
      value.diagnostics = v.at("diagnostics");
      GENSWEEP_CHECK(value.diagnostics.is_object(), IoError,
                     "values.{}.diagnostics is not an object", metric);
      for (const auto& [pointer, name] : v.at("non_finite").items())
        value.diagnostics[nlohmann::json::json_pointer(pointer)] =
            non_finite_value(name.get<std::string>());
      item.values[metric] = std::move(value);
    }
    const auto& per_sample = doc.at("per_sample");
    item.reals = per_sample.at("reals").get<std::map<std::string, std::int64_t>>();
    item.integers = per_sample.at("integers").get<std::map<std::string, std::int64_t>>();
    return item;
  } catch (const nlohmann::json::exception& e) {
    throw IoError(fmt::format("malformed {} file: {}", kResultCacheFormat, e.what()));
  }
}

std::filesystem::path result_cache_dir(const Plan& plan) {
  return plan.output_dir / "cache" / "rows";
}

std::filesystem::path result_cache_path(const Plan& plan, const ReductionTask& task,
                                        const std::string& group,
                                        const std::vector<std::string>& metrics,
                                        const std::map<std::string, MetricParameters>& parameters) {
  const auto members = sorted(metrics);
  const nlohmann::json variant = {{"metrics", members},
                                  {"parameters", parameters_material(members, parameters)}};
  return result_cache_dir(plan) / fmt::format("{}__vs__{}__{}__{}__{}.json", task.evaluated,
                                              task.reference, task.backbone, group,
                                              sha256_hex(variant.dump()).substr(0, 8));
}

std::string per_sample_key_attribute(const std::string& group) {
  return "cache_key_" + group;
}

std::string describe_key_change(const nlohmann::json& cached, const nlohmann::json& now) {
  if (!cached.is_object() || !now.is_object()) return "the key differs";
  std::set<std::string> keys;
  for (const auto& [k, v] : cached.items())
    keys.insert(k);
  for (const auto& [k, v] : now.items())
    keys.insert(k);
  for (const auto& k : keys) {
    const auto a = cached.contains(k) ? cached.at(k) : nlohmann::json();
    const auto b = now.contains(k) ? now.at(k) : nlohmann::json();
    if (a == b) continue;
    if (a.is_object() && b.is_object()) {
      std::set<std::string> inner;
      for (const auto& [ik, v] : a.items())
        inner.insert(ik);
      for (const auto& [ik, v] : b.items())
        inner.insert(ik);
      for (const auto& ik : inner) {
        const auto x = a.contains(ik) ? a.at(ik) : nlohmann::json();
        const auto y = b.contains(ik) ? b.at(ik) : nlohmann::json();
        if (x != y)
          return fmt::format("{}.{} was {}, now {}", k, ik, shorten(x.dump()), shorten(y.dump()));
      }
    }
    return fmt::format("{} was {}, now {}", k, shorten(a.dump()), shorten(b.dump()));
  }
  return "the key differs";
}

}  // namespace gensweep::pipeline
