#pragma once
// Formatting values as TOML literals: for the canonical form, for messages, and for job texts
// that gensweep writes itself (`gensweep compare` builds its job in memory).

#include <string>
#include <string_view>

namespace gensweep::config {

// Shortest text that reads back to the same double, always with a '.' or an exponent so TOML
// reads it back as a float ("2.0", "0.1", "1e+20").
std::string format_double(double value);

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string toml_quote(std::string_view text);

}  // namespace gensweep::config
