#include "unit_result.h"

#include <cstring>

#include "gensweep/core/error.h"

namespace gensweep::pipeline {
namespace {

class Writer {
 public:
  template <typename T>
  void put(const T& value) {
    append(&value, sizeof(T));
  }
  void append(const void* data, std::size_t size) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    bytes_.insert(bytes_.end(), p, p + size);
  }
  std::vector<std::uint8_t> take() { return std::move(bytes_); }

 private:
  std::vector<std::uint8_t> bytes_;
};

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  template <typename T>
  T get() {
    T value;
    copy(&value, sizeof(T));
    return value;
  }
  void copy(void* out, std::size_t size) {
    GENSWEEP_ASSERT(pos_ + size <= bytes_.size(), "unit result truncated at byte {}", pos_);
    std::memcpy(out, bytes_.data() + pos_, size);
    pos_ += size;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

}  // namespace

std::vector<std::uint8_t> encode_unit_result(const UnitResult& r) {
  Writer w;
  w.put(r.unit);
  w.put(r.row_begin);
  w.put(r.rows);
  w.append(r.valid.data(), r.valid.size());
  w.put(static_cast<std::int64_t>(r.failures.size()));
  for (const auto& f : r.failures) {
    w.put(f.row);
    w.put(static_cast<std::int64_t>(f.reason.size()));
    w.append(f.reason.data(), f.reason.size());
  }
  w.put(static_cast<std::int64_t>(r.backbones.size()));
  for (std::size_t k = 0; k < r.backbones.size(); ++k) {
    w.put(r.backbones[k]);
    w.put(static_cast<std::int64_t>(r.features[k].size()));
    w.append(r.features[k].data(), r.features[k].size() * sizeof(float));
  }
  return w.take();
}

UnitResult decode_unit_result(std::span<const std::uint8_t> bytes) {
  Reader rd(bytes);
  UnitResult r;
  r.unit = rd.get<std::int64_t>();
  r.row_begin = rd.get<std::int64_t>();
  r.rows = rd.get<std::int64_t>();
  r.valid.resize(static_cast<std::size_t>(r.rows));
  rd.copy(r.valid.data(), r.valid.size());
  auto failures = rd.get<std::int64_t>();
  for (std::int64_t i = 0; i < failures; ++i) {
    store::Failure f;
    f.row = rd.get<std::int64_t>();
    f.reason.resize(static_cast<std::size_t>(rd.get<std::int64_t>()));
    rd.copy(f.reason.data(), f.reason.size());
    r.failures.push_back(std::move(f));
  }
  auto count = rd.get<std::int64_t>();
  for (std::int64_t k = 0; k < count; ++k) {
    r.backbones.push_back(rd.get<std::int32_t>());
    std::vector<float> values(static_cast<std::size_t>(rd.get<std::int64_t>()));
    rd.copy(values.data(), values.size() * sizeof(float));
    r.features.push_back(std::move(values));
  }
  return r;
}

}  // namespace gensweep::pipeline
