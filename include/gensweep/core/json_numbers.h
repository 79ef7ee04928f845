#pragma once
// How gensweep writes a number to JSON, the one policy for results.json, the row cache and every
// JSON it writes: JSON has no NaN or infinity, so a non-finite double becomes null and its JSON
// pointer is listed with its name ("nan", "inf", "-inf") in a "non_finite" object beside it, from
// which a reader restores the exact value class. Finite doubles are written in their shortest
// round-trip form (nlohmann::json's default), so they read back bit for bit.
//
// Header-only templates over the JSON type (nlohmann::json or nlohmann::ordered_json), so core
// itself does not link a JSON library.

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace gensweep::json_numbers {

// "nan", "inf" or "-inf".
inline std::string non_finite_name(double x) {
  return std::isnan(x) ? "nan" : x > 0 ? "inf" : "-inf";
}

// The value a non_finite name stands for; nullopt for any other text.
inline std::optional<double> non_finite_value(std::string_view name) {
  if (name == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (name == "inf") return std::numeric_limits<double>::infinity();
  if (name == "-inf") return -std::numeric_limits<double>::infinity();
  return std::nullopt;
}

// A JSON pointer token: '~' -> "~0", '/' -> "~1" (RFC 6901).
inline std::string pointer_token(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// `x` as JSON, or null when it is not finite (for values whose non-finiteness means "absent",
// recorded nowhere else).
template <typename Json>
Json finite_or_null(double x) {
  return std::isfinite(x) ? Json(x) : Json(nullptr);
}

// Replaces each non-finite number under `node` by null and records its name in `notes` under its
// JSON pointer (`pointer` is where `node` sits).
template <typename Json>
void null_non_finite(Json& node, const std::string& pointer, Json& notes) {
  if (node.is_number_float()) {
    const double x = node.template get<double>();
    if (!std::isfinite(x)) {
      notes[pointer] = non_finite_name(x);
      node = nullptr;
    }
  } else if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it)
      null_non_finite(it.value(), pointer + "/" + pointer_token(it.key()), notes);
  } else if (node.is_array()) {
    for (std::size_t i = 0; i < node.size(); ++i)
      null_non_finite(node[i], pointer + "/" + std::to_string(i), notes);
  }
}

}  // namespace gensweep::json_numbers
