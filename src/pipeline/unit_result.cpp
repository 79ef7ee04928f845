#include "unit_result.h"

#include "gensweep/core/archive.h"
#include "gensweep/core/error.h"

namespace gensweep::pipeline {

std::vector<std::uint8_t> encode_unit_result(const UnitResult& r) {
  ByteWriter w;
  w.put(r.unit);
  w.put(r.row_begin);
  w.put(r.rows);
  w.put_vector(r.valid);
  w.put(static_cast<std::int64_t>(r.failures.size()));
  for (const auto& f : r.failures) {
    w.put(f.row);
    w.put_string(f.reason);
  }
  w.put(static_cast<std::int64_t>(r.backbones.size()));
  for (std::size_t k = 0; k < r.backbones.size(); ++k) {
    w.put(r.backbones[k]);
    w.put_vector(r.features[k]);
  }
  return w.take();
}

UnitResult decode_unit_result(std::span<const std::uint8_t> bytes) {
  ByteReader rd(bytes, "unit result");
  UnitResult r;
  r.unit = rd.get<std::int64_t>();
  r.row_begin = rd.get<std::int64_t>();
  r.rows = rd.get<std::int64_t>();
  r.valid = rd.get_vector<std::uint8_t>();
  GENSWEEP_ASSERT(static_cast<std::int64_t>(r.valid.size()) == r.rows,
                  "unit result: {} validity flags for {} rows", r.valid.size(), r.rows);
  const auto failures = rd.get<std::int64_t>();
  for (std::int64_t i = 0; i < failures; ++i) {
    store::Failure f;
    f.row = rd.get<decltype(f.row)>();
    f.reason = rd.get_string();
    r.failures.push_back(std::move(f));
  }
  const auto count = rd.get<std::int64_t>();
  for (std::int64_t k = 0; k < count; ++k) {
    r.backbones.push_back(rd.get<std::int32_t>());
    r.features.push_back(rd.get_vector<float>());
  }
  rd.expect_end();
  return r;
}

}  // namespace gensweep::pipeline
