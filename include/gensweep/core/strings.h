#pragma once
// Small string helpers shared across modules.

#include <string>
#include <string_view>
#include <vector>

namespace gensweep {

std::vector<std::string> split(std::string_view text, char separator);
std::string to_lower(std::string_view text);
bool ends_with_ci(std::string_view text, std::string_view suffix);
// Lowercase names used verbatim in paths and result columns: [a-z0-9][a-z0-9_.-]*.
bool is_valid_name(std::string_view name);
std::string join(const std::vector<std::string>& parts, std::string_view separator);

}  // namespace gensweep
