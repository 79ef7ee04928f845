#include "gensweep/config/toml_text.h"

#include <fmt/format.h>

namespace gensweep::config {

std::string format_double(double value) {
  std::string text = fmt::format("{}", value);  // shortest round-trip (Dragonbox)
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";  // 'n': inf, nan
  return text;
}

std::string toml_quote(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f)
          out += fmt::format("\\u{:04X}", static_cast<unsigned>(c));
        else
          out += static_cast<char>(c);  // UTF-8 passes through: TOML strings are UTF-8
    }
  }
  out += '"';
  return out;
}

}  // namespace gensweep::config
