#include "gensweep/slurm/shell.h"

#include <fmt/format.h>

#include "gensweep/core/error.h"

namespace gensweep::slurm {

std::string shell_quote(std::string_view value) {
  GENSWEEP_CHECK(value.find('\0') == std::string_view::npos, ConfigError,
                 "cannot put a value holding a NUL byte into a shell script");
  std::string out = "'";
  for (char c : value) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += '\'';
  return out;
}

std::string shell_command(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    // Plain words stay readable; anything else is quoted.
    const bool plain = !w.empty() && w.find_first_not_of(
                                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
                                         "OPQRSTUVWXYZ0123456789_-.,/:=%@+") == std::string::npos;
    out += plain ? w : shell_quote(w);
  }
  return out;
}

namespace {

bool is_identifier(std::string_view name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
    return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

std::string assignment(const ScriptValue& v) {
  GENSWEEP_CHECK(is_identifier(v.name), InternalError, "not a shell variable name: '{}'", v.name);
  std::string line = v.name + "=";
  if (const auto* text = std::get_if<std::string>(&v.value)) {
    line += shell_quote(*text);
  } else {
    line += "(";
    const auto& words = std::get<std::vector<std::string>>(v.value);
    for (std::size_t i = 0; i < words.size(); ++i) {
      if (i > 0) line += ' ';
      line += shell_quote(words[i]);
    }
    line += ")";
  }
  if (!v.comment.empty()) {
    GENSWEEP_CHECK(v.comment.find_first_of("\n\r") == std::string::npos, InternalError,
                   "a script comment must be one line");
    line += "  # " + v.comment;
  }
  return line + "\n";
}

}  // namespace

std::string fill_values_block(std::string_view template_text,
                              const std::filesystem::path& template_file,
                              const std::vector<ScriptValue>& values) {
  static constexpr std::string_view kBegin = "# @values", kEnd = "# @end-values";
  std::string out;
  std::size_t pos = 0;
  int state = 0;  // 0 before the block, 1 inside, 2 after
  int line_number = 0;
  while (pos < template_text.size()) {
    std::size_t end = template_text.find('\n', pos);
    const std::size_t next = end == std::string_view::npos ? template_text.size() : end + 1;
    std::string_view line = template_text.substr(pos, next - pos);
    ++line_number;
    std::string_view bare = line;
    while (!bare.empty() && (bare.back() == '\n' || bare.back() == '\r' || bare.back() == ' '))
      bare.remove_suffix(1);
    const bool begin = bare == kBegin || bare.starts_with(std::string(kBegin) + " ");
    const bool finish = bare == kEnd;
    if (begin) {
      GENSWEEP_CHECK(state == 0, ConfigError, "{}:{}: a second \"{}\" marker line",
                     template_file.string(), line_number, kBegin);
      out += line;
      for (const auto& v : values)
        out += assignment(v);
      state = 1;
    } else if (finish) {
      GENSWEEP_CHECK(state == 1, ConfigError, "{}:{}: \"{}\" without \"{}\" before it",
                     template_file.string(), line_number, kEnd, kBegin);
      out += line;
      state = 2;
    } else if (state != 1) {
      out += line;
    }
    pos = next;
  }
  GENSWEEP_CHECK(state == 2, ConfigError,
                 "{}: not a gensweep sbatch template: expected a values block between a line "
                 "\"{}\" and a line \"{}\"",
                 template_file.string(), kBegin, kEnd);
  return out;
}

}  // namespace gensweep::slurm
