#pragma once
// A small command-line parser: positional arguments, --flag, --key value and --key=value.
// Unknown options are UsageErrors naming the option and the command.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace gensweep::cli {

class Args {
 public:
  // value_options take a value; flag_options do not.
  Args(const std::string& command, const std::vector<std::string>& argv,
       const std::set<std::string>& value_options, const std::set<std::string>& flag_options);
  const std::vector<std::string>& positional() const { return positional_; }
  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  std::optional<std::string> value(const std::string& name) const;  // the last one given
  std::vector<std::string> values(const std::string& name) const;   // every one, in order
  // Exactly n positional arguments, else UsageError naming what is expected.
  void expect_positional(std::size_t n, const std::string& what) const;
  std::int64_t int_value(const std::string& name, std::int64_t fallback) const;

 private:
  std::string command_;
  std::vector<std::string> positional_;
  std::set<std::string> flags_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> all_values_;
};

}  // namespace gensweep::cli
