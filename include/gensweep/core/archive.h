#pragma once
// The one binary format for everything that crosses ranks (unit results, statistics blocks, metric
// group results, reference states): values appended in order, read back in the same order. Fixed
// width little-endian-of-this-machine bytes, so a double keeps its exact bits (NaN payloads,
// signed zeros); all ranks of a job run the same binary on the same architecture. Not a file
// format: nothing written here outlives the run.
//
//   ByteWriter w;  w.put(rows);  w.put_string(name);  w.put_vector(values);
//   ByteReader r(bytes, "unit result");  rows = r.get<std::int64_t>();  ...  r.expect_end();

#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace gensweep {

class ByteWriter {
 public:
  template <typename T>
  requires std::is_trivially_copyable_v<T>
  void put(const T& value) { append(&value, sizeof(T)); }
  void put_string(std::string_view text) {
    put(static_cast<std::int64_t>(text.size()));
    append(text.data(), text.size());
  }
  template <typename T>
  requires std::is_trivially_copyable_v<T>
  void put_vector(std::span<const T> values) {
    put(static_cast<std::int64_t>(values.size()));
    append(values.data(), values.size() * sizeof(T));
  }
  template <typename T>
  requires std::is_trivially_copyable_v<T>
  void put_vector(const std::vector<T>& values) { put_vector(std::span<const T>(values)); }
  // Raw bytes, no length: the reader must know the size.
  void append(const void* data, std::size_t size) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    bytes_.insert(bytes_.end(), p, p + size);
  }
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }
  std::vector<std::uint8_t> take() { return std::move(bytes_); }

 private:
  std::vector<std::uint8_t> bytes_;
};

class ByteReader {
 public:
  // `what` names the payload in the InternalError a truncated or overlong buffer raises.
  ByteReader(std::span<const std::uint8_t> bytes, std::string what)
      : bytes_(bytes), what_(std::move(what)) {}

  template <typename T>
  requires std::is_trivially_copyable_v<T> T get() {
    T value;
    copy(&value, sizeof(T));
    return value;
  }
  std::string get_string() {
    std::string text(length(1), '\0');
    copy(text.data(), text.size());
    return text;
  }
  template <typename T>
  requires std::is_trivially_copyable_v<T> std::vector<T> get_vector() {
    std::vector<T> values(length(sizeof(T)));
    copy(values.data(), values.size() * sizeof(T));
    return values;
  }
  void copy(void* out, std::size_t size);
  bool at_end() const { return pos_ == bytes_.size(); }
  // InternalError unless every byte was read.
  void expect_end() const;

 private:
  // A length prefix, checked against what is left (element size `unit`).
  std::size_t length(std::size_t unit);
  std::span<const std::uint8_t> bytes_;
  std::string what_;
  std::size_t pos_ = 0;
};

}  // namespace gensweep
