#include "group_result_codec.h"

namespace gensweep::pipeline {

void encode_group_result(const GroupResult& result, ByteWriter& out) {
  out.put(static_cast<std::int64_t>(result.values.size()));
  for (const auto& [metric, v] : result.values) {
    out.put_string(metric);
    out.put(v.value);
    out.put_vector(nlohmann::json::to_cbor(v.diagnostics));
  }
  out.put(static_cast<std::int64_t>(result.per_sample.reals.size()));
  for (const auto& [name, values] : result.per_sample.reals) {
    out.put_string(name);
    out.put_vector(values);
  }
  out.put(static_cast<std::int64_t>(result.per_sample.integers.size()));
  for (const auto& [name, values] : result.per_sample.integers) {
    out.put_string(name);
    out.put_vector(values);
  }
}

GroupResult decode_group_result(ByteReader& in) {
  GroupResult result;
  const auto values = in.get<std::int64_t>();
  for (std::int64_t i = 0; i < values; ++i) {
    std::string metric = in.get_string();
    MetricValue& v = result.values[metric];
    v.value = in.get<double>();
    v.diagnostics = nlohmann::json::from_cbor(in.get_vector<std::uint8_t>());
  }
  const auto reals = in.get<std::int64_t>();
  for (std::int64_t i = 0; i < reals; ++i) {
    std::string name = in.get_string();
    result.per_sample.reals[name] = in.get_vector<double>();
  }
  const auto integers = in.get<std::int64_t>();
  for (std::int64_t i = 0; i < integers; ++i) {
    std::string name = in.get_string();
    result.per_sample.integers[name] = in.get_vector<std::int64_t>();
  }
  return result;
}

}  // namespace gensweep::pipeline
