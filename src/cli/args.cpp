#include "args.h"

#include <charconv>

#include "gensweep/core/error.h"

namespace gensweep::cli {

Args::Args(const std::string& command, const std::vector<std::string>& argv,
           const std::set<std::string>& value_options, const std::set<std::string>& flag_options)
    : command_(command) {
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.rfind("--", 0) != 0 || a == "--") {
      positional_.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (flag_options.count(name)) {
      GENSWEEP_CHECK(!inline_value, UsageError, "gensweep {}: option --{} takes no value", command_,
                     name);
      flags_.insert(name);
    } else if (value_options.count(name)) {
      if (!inline_value) {
        GENSWEEP_CHECK(i + 1 < argv.size(), UsageError, "gensweep {}: option --{} needs a value",
                       command_, name);
        inline_value = argv[++i];
      }
      values_[name] = *inline_value;
      all_values_[name].push_back(*inline_value);
    } else {
      throw UsageError(fmt::format("gensweep {}: unknown option '{}' (see gensweep {} --help)",
                                   command_, a, command_));
    }
  }
}

std::optional<std::string> Args::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Args::values(const std::string& name) const {
  auto it = all_values_.find(name);
  return it == all_values_.end() ? std::vector<std::string>{} : it->second;
}

void Args::expect_positional(std::size_t n, const std::string& what) const {
  GENSWEEP_CHECK(positional_.size() == n, UsageError,
                 "gensweep {}: expected {}, got {} argument{} (see gensweep {} --help)", command_,
                 what, positional_.size(), positional_.size() == 1 ? "" : "s", command_);
}

std::int64_t Args::int_value(const std::string& name, std::int64_t fallback) const {
  auto v = value(name);
  if (!v) return fallback;
  std::int64_t out = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  GENSWEEP_CHECK(ec == std::errc() && ptr == v->data() + v->size(), UsageError,
                 "gensweep {}: --{} expects an integer, got '{}'", command_, name, *v);
  return out;
}

}  // namespace gensweep::cli
