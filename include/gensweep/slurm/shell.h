#pragma once
// Putting values into bash scripts safely. Every value gensweep writes into a script is one
// single-quoted shell word: inside '...' bash interprets nothing ($, `, \, " and spaces are
// literal), and a single quote is written as '\'' (end quote, escaped quote, reopen). A value can
// therefore neither break the script nor inject commands, whatever it holds.

#include <filesystem>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace gensweep::slurm {

// One shell word that bash reads back as exactly `value`. Throws ConfigError for a NUL byte, which
// no shell word can hold (no command-line argument holds one: it comes from a job file's value).
std::string shell_quote(std::string_view value);

// Words joined by spaces, each quoted (for printing a command a user can paste).
std::string shell_command(const std::vector<std::string>& words);

// A variable of a template's values block: a string, or a bash array.
struct ScriptValue {
  std::string name;  // a bash identifier
  std::variant<std::string, std::vector<std::string>> value;
  std::string comment;  // printed after the assignment; must be one line
};

// Replaces the lines strictly between the "# @values" and "# @end-values" marker lines of
// `template_text` with one assignment per value ("name='...'  # comment" or "name=('a' 'b')").
// Everything else of the template is kept byte for byte. Throws ConfigError naming `template_file`
// when the markers are missing, repeated or out of order.
std::string fill_values_block(std::string_view template_text,
                              const std::filesystem::path& template_file,
                              const std::vector<ScriptValue>& values);

}  // namespace gensweep::slurm
