// Slurm settings: the [slurm] table of a job, [sites.<name>] presets in configs/sites.toml, the
// checks of single values and the layering of all of them (slurm.h).

#include "gensweep/config/slurm.h"

#include <algorithm>
#include <array>
#include <regex>

#include <fmt/format.h>

#include "gensweep/core/error.h"
#include "gensweep/core/strings.h"
#include "parsers.h"
#include "suggest.h"

namespace gensweep::config {

std::string check_slurm_name(std::string_view value) {
  static const std::regex kName("[A-Za-z0-9_.:+,-]*");
  if (!std::regex_match(value.begin(), value.end(), kName) || value.starts_with("-"))
    return "a Slurm name (letters, digits and _ . : + , -, not starting with -)";
  return "";
}

std::string check_slurm_time(std::string_view value) {
  // sbatch --time: "minutes", "minutes:seconds", "hours:minutes:seconds", "days-hours",
  // "days-hours:minutes" and "days-hours:minutes:seconds".
  static const std::regex kTime(
      R"(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d{1,2}|\d+-\d{1,2}:\d{1,2}|\d+-\d{1,2}:\d{1,2}:\d{1,2})");
  if (!std::regex_match(value.begin(), value.end(), kTime) || value.size() > 16)
    return "a Slurm time limit (\"MM\", \"MM:SS\", \"HH:MM:SS\", \"D-HH\", \"D-HH:MM\" or "
           "\"D-HH:MM:SS\")";
  if (slurm_time_seconds(value) <= 0) return "a time limit above zero";
  return "";
}

long slurm_time_seconds(std::string_view value) {
  std::string text(value);
  long days = 0;
  if (auto dash = text.find('-'); dash != std::string::npos) {
    days = std::stol(text.substr(0, dash));
    text = text.substr(dash + 1);
    // After a day count the fields are hours[:minutes[:seconds]].
    std::vector<long> fields;
    for (const auto& part : split(text, ':'))
      fields.push_back(std::stol(part));
    long seconds = days * 86400 + fields[0] * 3600;
    if (fields.size() > 1) seconds += fields[1] * 60;
    if (fields.size() > 2) seconds += fields[2];
    return seconds;
  }
  std::vector<long> fields;
  for (const auto& part : split(text, ':'))
    fields.push_back(std::stol(part));
  if (fields.size() == 1) return fields[0] * 60;              // minutes
  if (fields.size() == 2) return fields[0] * 60 + fields[1];  // minutes:seconds
  return fields[0] * 3600 + fields[1] * 60 + fields[2];       // hours:minutes:seconds
}

std::string check_sbatch_option(std::string_view value) {
  // gensweep sets these itself; letting a user set them would detach logs, tasks or dependencies
  // from what `gensweep status` looks at.
  static constexpr std::array<std::string_view, 12> kReserved = {
      "--array",    "--dependency", "--output", "--error",  "--chdir",
      "--job-name", "--parsable",   "--wrap",   "--export", "--kill-on-invalid-dep",
      "--input",    "--wait"};
  static const std::regex kOption(R"(--[a-z][a-z0-9-]*(=[^\n\r]*)?)");
  if (!std::regex_match(value.begin(), value.end(), kOption))
    return "an sbatch long option \"--name\" or \"--name=value\" (one line)";
  const std::string_view name = value.substr(0, value.find('='));
  for (auto reserved : kReserved)
    if (name == reserved)
      return fmt::format("an sbatch option other than {} (gensweep submit sets it)", reserved);
  return "";
}

std::string check_launcher(std::string_view value) {
  if (value == "srun" || value == "mpirun") return "";
  return "\"srun\" (srun --mpi=pmix) or \"mpirun\"";
}

namespace detail {
namespace {

constexpr std::array<std::string_view, 15> kOptionKeys = {"partition",
                                                          "account",
                                                          "qos",
                                                          "time",
                                                          "reduce_time",
                                                          "nodes",
                                                          "tasks_per_node",
                                                          "cpus_per_task",
                                                          "gpus_per_task",
                                                          "reduce_tasks",
                                                          "reduce_cpus_per_task",
                                                          "array_throttle",
                                                          "signal_seconds",
                                                          "requeue",
                                                          "launcher"};

std::string checked(const Value& value, std::string (*check)(std::string_view)) {
  std::string text = value.as_string();
  if (std::string expected = check(text); !expected.empty())
    value.fail(fmt::format("expected {}, got \"{}\"", expected, text));
  return text;
}

}  // namespace

// Reads the option keys of `table` (a job's [slurm] or a [sites.<name>] table); other keys must
// have been declared by the caller.
SlurmOptions parse_slurm_options(TableReader& table) {
  SlurmOptions o;
  if (auto v = table.get("partition")) o.partition = checked(*v, check_slurm_name);
  if (auto v = table.get("account")) o.account = checked(*v, check_slurm_name);
  if (auto v = table.get("qos")) o.qos = checked(*v, check_slurm_name);
  if (auto v = table.get("time")) o.time = checked(*v, check_slurm_time);
  if (auto v = table.get("reduce_time")) o.reduce_time = checked(*v, check_slurm_time);
  if (auto v = table.get("nodes")) o.nodes = static_cast<int>(v->as_int(1, 100000));
  if (auto v = table.get("tasks_per_node"))
    o.tasks_per_node = static_cast<int>(v->as_int(1, 100000));
  if (auto v = table.get("cpus_per_task")) o.cpus_per_task = static_cast<int>(v->as_int(0, 100000));
  if (auto v = table.get("gpus_per_task")) o.gpus_per_task = static_cast<int>(v->as_int(0, 1024));
  if (auto v = table.get("reduce_tasks")) o.reduce_tasks = static_cast<int>(v->as_int(1, 100000));
  if (auto v = table.get("reduce_cpus_per_task"))
    o.reduce_cpus_per_task = static_cast<int>(v->as_int(0, 100000));
  if (auto v = table.get("array_throttle"))
    o.array_throttle = static_cast<int>(v->as_int(0, 1000000));
  if (auto v = table.get("signal_seconds"))
    o.signal_seconds = static_cast<int>(v->as_int(0, 65535));
  if (auto v = table.get("requeue")) {
    if (!v->node().is_boolean()) v->fail_type("a boolean");
    o.requeue = v->node().as_boolean()->get();
  }
  if (auto v = table.get("launcher")) o.launcher = checked(*v, check_launcher);
  if (auto v = table.get("sbatch_options")) {
    std::vector<std::string> options;
    for (const Value& element : v->as_array("an array of strings"))
      options.push_back(checked(element, check_sbatch_option));
    o.sbatch_options = std::move(options);
  }
  return o;
}

SlurmSection parse_slurm_section(TableReader table) {
  std::vector<std::string_view> keys(kOptionKeys.begin(), kOptionKeys.end());
  keys.push_back("sbatch_options");
  keys.push_back("site");
  table.check_keys(keys);
  SlurmSection section;
  section.where = table.where();
  if (auto v = table.get("site")) section.site = v->as_name();
  section.options = parse_slurm_options(table);
  return section;
}

}  // namespace detail

namespace {

struct SitesFile {
  std::unique_ptr<detail::Document> doc;
  const toml::table* sites = nullptr;
  std::vector<std::string> names;
};

SitesFile read_sites(std::string_view text, const std::filesystem::path& file) {
  SitesFile out;
  out.doc = detail::parse_document(text, file);
  detail::TableReader root(out.doc->root, *out.doc, "");
  static constexpr std::array<std::string_view, 1> kRootKeys = {"sites"};
  root.check_keys(kRootKeys);
  static const toml::table kNone;
  out.sites = &kNone;
  if (auto value = root.get("sites")) {
    if (!value->node().is_table()) value->fail_type("a table");
    out.sites = value->node().as_table();
  }
  for (auto&& [key, value] : *out.sites) {
    const std::string path = detail::child_path("sites", key.str());
    if (!is_valid_name(key.str()))
      detail::fail_at(
          detail::location_of(*out.doc, key.source()), path,
          fmt::format("invalid name \"{}\" (expected [a-z0-9][a-z0-9_.-]*)", key.str()));
    if (!value.is_table()) detail::Value(value, *out.doc, path).fail_type("a table");
    out.names.emplace_back(key.str());
  }
  return out;
}

}  // namespace

std::vector<std::string> list_sites(std::string_view sites_text,
                                    const std::filesystem::path& sites_file) {
  return read_sites(sites_text, sites_file).names;
}

SlurmOptions load_site(std::string_view sites_text, const std::filesystem::path& sites_file,
                       std::string_view site) {
  SitesFile sites = read_sites(sites_text, sites_file);
  if (std::find(sites.names.begin(), sites.names.end(), site) == sites.names.end())
    throw ConfigError(fmt::format("{}: unknown site \"{}\"{}", sites_file.string(), site,
                                  detail::suggestion_suffix(site, sites.names, "sites")));
  const std::string path = detail::child_path("sites", site);
  detail::TableReader table(*sites.sites->get(site)->as_table(), *sites.doc, path);
  std::vector<std::string_view> keys(detail::kOptionKeys.begin(), detail::kOptionKeys.end());
  keys.push_back("sbatch_options");
  keys.push_back("description");
  table.check_keys(keys);
  if (auto v = table.get("description")) v->as_string();
  return detail::parse_slurm_options(table);
}

SlurmSettings resolve_slurm_settings(std::string site, const std::vector<SlurmOptions>& layers) {
  SlurmSettings s;
  s.site = std::move(site);
  for (const SlurmOptions& o : layers) {
    auto take = [](auto& into, const auto& from) {
      if (from) into = *from;
    };
    take(s.partition, o.partition);
    take(s.account, o.account);
    take(s.qos, o.qos);
    take(s.time, o.time);
    take(s.reduce_time, o.reduce_time);
    take(s.nodes, o.nodes);
    take(s.tasks_per_node, o.tasks_per_node);
    take(s.cpus_per_task, o.cpus_per_task);
    take(s.gpus_per_task, o.gpus_per_task);
    take(s.reduce_tasks, o.reduce_tasks);
    take(s.reduce_cpus_per_task, o.reduce_cpus_per_task);
    take(s.array_throttle, o.array_throttle);
    take(s.signal_seconds, o.signal_seconds);
    take(s.requeue, o.requeue);
    take(s.launcher, o.launcher);
    take(s.sbatch_options, o.sbatch_options);
  }
  if (s.signal_seconds >= slurm_time_seconds(s.time))
    throw ConfigError(fmt::format(
        "slurm: signal_seconds = {} is not shorter than the time limit \"{}\" ({} s): the "
        "stop signal would come before the job starts",
        s.signal_seconds, s.time, slurm_time_seconds(s.time)));
  return s;
}

}  // namespace gensweep::config
