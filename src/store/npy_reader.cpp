#include "npy_reader.h"

#include "gensweep/core/error.h"
#include "gensweep/store/npz_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <variant>

namespace gensweep::store::detail {
namespace {

// .npy data is read straight into memory; a big-endian host would need byte swapping.
static_assert(std::endian::native == std::endian::little,
              "npy reader assumes a little-endian host");

using Value = std::variant<std::string, bool, std::vector<std::int64_t>>;

// Recursive-descent parser for the small subset of Python literals numpy writes in the header.
class DictParser {
 public:
  DictParser(std::string_view text, const std::string& context) : text_(text), context_(context) {}

  std::vector<std::pair<std::string, Value>> parse() {
    std::vector<std::pair<std::string, Value>> entries;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') {
        ++pos_;
        break;
      }
      std::string key = parse_string();
      expect(':');
      entries.emplace_back(std::move(key), parse_value());
      skip_space();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != '}') {
        fail("expected ',' or '}'");
      }
    }
    return entries;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw IoError(fmt::format("{}: malformed .npy header at character {}: {} (header: {})",
                              context_, pos_, what, text_));
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])))
      ++pos_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) fail(fmt::format("expected '{}'", c));
    ++pos_;
  }
  bool consume_word(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  std::string parse_string() {
    skip_space();
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string");
    const std::size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string value(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return value;
  }

  std::int64_t parse_int() {
    skip_space();
    const std::size_t start = pos_;
    while (std::isdigit(static_cast<unsigned char>(peek())))
      ++pos_;
    if (pos_ == start) fail("expected a non-negative integer");
    const std::string_view digits = text_.substr(start, pos_ - start);
    if (digits.size() > 18) fail("dimension too large");
    if (peek() == 'L') ++pos_;  // Python 2 long suffix in old files
    std::int64_t value = 0;
    for (char c : digits)
      value = value * 10 + (c - '0');
    return value;
  }

  Value parse_value() {
    skip_space();
    const char c = peek();
    if (c == '\'' || c == '"') return parse_string();
    if (consume_word("True")) return true;
    if (consume_word("False")) return false;
    if (c == '(') {
      ++pos_;
      std::vector<std::int64_t> shape;
      while (true) {
        skip_space();
        if (peek() == ')') {
          ++pos_;
          break;
        }
        shape.push_back(parse_int());
        skip_space();
        if (peek() == ',') {
          ++pos_;
        } else if (peek() != ')') {
          fail("expected ',' or ')' in shape");
        }
      }
      return shape;
    }
    if (c == '[') {
      // A structured dtype (a list of fields): keep the text so the caller can name it.
      const std::size_t start = pos_;
      int depth = 0;
      do {
        if (peek() == '[') ++depth;
        if (peek() == ']') --depth;
        if (peek() == '\0') fail("unterminated list");
        ++pos_;
      } while (depth > 0);
      return std::string(text_.substr(start, pos_ - start));
    }
    fail("unsupported value");
  }

  std::string_view text_;
  const std::string& context_;
  std::size_t pos_ = 0;
};

}  // namespace

NpyHeader parse_npy_header_dict(std::string_view text, const std::string& context) {
  NpyHeader header;
  bool have_descr = false;
  bool have_order = false;
  bool have_shape = false;
  for (auto& [key, value] : DictParser(text, context).parse()) {
    if (key == "descr") {
      if (!std::holds_alternative<std::string>(value))
        throw IoError(fmt::format("{}: .npy header 'descr' is not a string", context));
      header.descr = std::get<std::string>(value);
      have_descr = true;
    } else if (key == "fortran_order") {
      if (!std::holds_alternative<bool>(value))
        throw IoError(fmt::format("{}: .npy header 'fortran_order' is not True/False", context));
      header.fortran_order = std::get<bool>(value);
      have_order = true;
    } else if (key == "shape") {
      if (!std::holds_alternative<std::vector<std::int64_t>>(value))
        throw IoError(fmt::format("{}: .npy header 'shape' is not a tuple", context));
      header.shape = std::get<std::vector<std::int64_t>>(value);
      have_shape = true;
    }
  }
  if (!have_descr || !have_order || !have_shape)
    throw IoError(fmt::format(
        "{}: .npy header lacks {} (needs 'descr', 'fortran_order' and 'shape'): {}", context,
        !have_descr   ? "'descr'"
        : !have_order ? "'fortran_order'"
                      : "'shape'",
        text));
  return header;
}

FeatureMatrix read_npy_features(const std::filesystem::path& path) {
  const std::string context = fmt::format("external features '{}'", path.string());
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("{}: cannot open the file", context));
  std::error_code ec;
  const std::uintmax_t file_size = std::filesystem::file_size(path, ec);
  if (ec) throw IoError(fmt::format("{}: cannot read the file size: {}", context, ec.message()));

  // The header is parsed by the one .npy header parser (npz_reader.h). numpy keeps headers far
  // below 1 MiB; a longer one is reported as truncated there.
  constexpr std::uintmax_t kMaxHeaderBytes = (1 << 20) + 12;
  std::vector<std::uint8_t> head(static_cast<std::size_t>(std::min(file_size, kMaxHeaderBytes)));
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  if (head.size() >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4)
    throw IoError(fmt::format(
        "{}: a .npz archive, not a .npy file (features are read from .npy or HDF5 files; "
        "extract the array with numpy first)",
        context));
  const NpyArrayHeader parsed = parse_npy_header(head, context);
  NpyHeader header;
  header.major = parsed.major;
  header.minor = parsed.minor;
  header.descr = parsed.descr;
  header.fortran_order = parsed.fortran_order;
  header.shape = parsed.shape;
  header.data_offset = parsed.data_offset;

  std::size_t item_size = 0;
  if (header.descr == "<f4" || header.descr == "=f4") item_size = 4;
  if (header.descr == "<f8" || header.descr == "=f8") item_size = 8;
  if (item_size == 0) {
    std::string hint;
    if (!header.descr.empty() && header.descr[0] == '>')
      hint = " (big-endian; convert with arr.astype(arr.dtype.newbyteorder('<')))";
    throw IoError(
        fmt::format("{}: unsupported dtype '{}'{}: expected float32 '<f4' or float64 '<f8' "
                    "(convert with arr.astype(numpy.float32))",
                    context, header.descr, hint));
  }
  if (header.fortran_order && header.shape.size() > 1)
    throw IoError(
        fmt::format("{}: array is stored in Fortran (column-major) order; save it in C order "
                    "(numpy.save(path, numpy.ascontiguousarray(arr)))",
                    context));
  if (header.shape.size() != 2) {
    std::string shape = "(";
    for (std::size_t i = 0; i < header.shape.size(); ++i)
      shape += (i ? ", " : "") + std::to_string(header.shape[i]);
    shape += header.shape.size() == 1 ? ",)" : ")";
    throw IoError(fmt::format("{}: array has shape {} ({}-D); expected a 2-D (N, D) array", context,
                              shape, header.shape.size()));
  }
  const std::int64_t rows = header.shape[0];
  const std::int64_t cols = header.shape[1];
  if (cols > 0 && rows > std::numeric_limits<std::int64_t>::max() / cols / 8)
    throw IoError(fmt::format("{}: shape ({}, {}) is too large", context, rows, cols));
  const std::uintmax_t data_bytes = static_cast<std::uintmax_t>(rows * cols) * item_size;
  const std::uintmax_t available = file_size - static_cast<std::uintmax_t>(header.data_offset);
  if (available < data_bytes)
    throw IoError(fmt::format(
        "{}: truncated .npy file: shape ({}, {}) {} needs {} bytes of data, the file holds {}",
        context, rows, cols, item_size == 4 ? "float32" : "float64", data_bytes, available));

  FeatureMatrix matrix(rows, cols);
  in.seekg(header.data_offset);
  if (item_size == 4) {
    in.read(reinterpret_cast<char*>(matrix.values.data()),
            static_cast<std::streamsize>(data_bytes));
    if (static_cast<std::uintmax_t>(in.gcount()) != data_bytes)
      throw IoError(
          fmt::format("{}: read error after {} of {} bytes", context, in.gcount(), data_bytes));
    return matrix;
  }
  // float64: convert block by block (round to nearest) to bound the extra memory.
  constexpr std::size_t kBlock = 1 << 16;
  std::vector<double> block(kBlock);
  const std::size_t total = static_cast<std::size_t>(rows * cols);
  for (std::size_t done = 0; done < total;) {
    const std::size_t n = std::min(kBlock, total - done);
    in.read(reinterpret_cast<char*>(block.data()), static_cast<std::streamsize>(n * 8));
    if (static_cast<std::size_t>(in.gcount()) != n * 8)
      throw IoError(fmt::format("{}: read error at element {} of {}", context, done, total));
    for (std::size_t i = 0; i < n; ++i)
      matrix.values[done + i] = static_cast<float>(block[i]);
    done += n;
  }
  return matrix;
}

}  // namespace gensweep::store::detail
