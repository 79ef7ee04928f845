// parse_job: the job file, section by section, then the cross-references between sections.
//
// Errors come in a fixed order, so a file with several problems always reports the same one
// first: TOML syntax; top-level keys; [job]; [compute]; each [[datasets]] table; each
// [[backbones]] table; dataset references (bases, cycles, features backbones); each
// [[comparisons]] table with its references; [slurm]; [report].

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <system_error>

#include <fmt/format.h>

#include "gensweep/config/loader.h"
#include "gensweep/core/error.h"
#include "gensweep/core/files.h"
#include "gensweep/core/strings.h"
#include "parsers.h"
#include "suggest.h"

namespace gensweep::config {
namespace detail {

void check_directory(const Value& value, const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    value.fail(fmt::format("\"{}\" does not exist", path.string()));
  if (!std::filesystem::is_directory(path, ec))
    value.fail(fmt::format("\"{}\" is not a directory", path.string()));
}

void check_file(const Value& value, const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    value.fail(fmt::format("\"{}\" does not exist", path.string()));
  if (!std::filesystem::is_regular_file(path, ec))
    value.fail(fmt::format("\"{}\" is not a file", path.string()));
}

std::filesystem::path presets_file_in(const std::filesystem::path& presets) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(presets, ec)) return presets;
  return presets / kPresetsFileName;
}

namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// Reads a whole file, or throws a ConfigError: "file: <what> ..." for a missing file or a
// directory (there is no line to point at), core's "cannot read" message otherwise. A job or
// presets file that cannot be read is a configuration problem (exit code 3), not an I/O one.
std::string read_config_file(const std::filesystem::path& path, const std::string& what) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw ConfigError(fmt::format("{}: {} does not exist", path.string(), what));
  if (std::filesystem::is_directory(path, ec))
    throw ConfigError(fmt::format("{}: {} is a directory", path.string(), what));
  try {
    return gensweep::read_file(path, what);
  } catch (const IoError& e) {
    throw ConfigError(e.what());
  }
}

void parse_job_table(TableReader table, Job& job, const LoadOptions& options) {
  static constexpr std::array<std::string_view, 3> kKeys = {"name", "output", "presets"};
  table.check_keys(kKeys);
  job.where = table.where();
  job.name = table.require("name").as_name();
  const Value output = table.require("output");
  job.output_dir = output.as_path();
  std::error_code ec;
  if (options.check_paths && std::filesystem::exists(job.output_dir, ec) &&
      !std::filesystem::is_directory(job.output_dir, ec))
    output.fail(fmt::format("\"{}\" exists and is not a directory", job.output_dir.string()));
  if (auto presets = table.get("presets")) {
    const std::filesystem::path path = presets->as_path();
    if (options.check_paths) {
      if (!std::filesystem::exists(path, ec))
        presets->fail(fmt::format("\"{}\" does not exist", path.string()));
      if (!std::filesystem::exists(presets_file_in(path), ec))
        presets->fail(fmt::format("\"{}\" holds no {}", path.string(), kPresetsFileName));
    }
  }
}

Device parse_device(const Value& value) {
  const std::string text = value.as_string();
  if (text == "cpu") return Device{DeviceKind::kCpu, -1};
  if (text == "auto") return Device{DeviceKind::kAuto, -1};
  if (text == "cuda") return Device{DeviceKind::kCuda, -1};
  if (text.starts_with("cuda:")) {
    const std::string digits = text.substr(5);
    const bool numeric =
        !digits.empty() && digits.size() <= 4 &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numeric && std::stoi(digits) <= Device::kMaxIndex)
      return Device{DeviceKind::kCuda, std::stoi(digits)};
  }
  value.fail(
      fmt::format("expected \"cpu\", \"auto\", \"cuda\" or \"cuda:N\" with N in 0..{}, got \"{}\"",
                  Device::kMaxIndex, text));
}

ComputeConfig parse_compute(TableReader table) {
  static constexpr std::array<std::string_view, 7> kKeys = {
      "batch_size", "threads",           "thread_layout",   "device",
      "unit_size",  "max_failed_images", "max_image_pixels"};
  table.check_keys(kKeys);
  ComputeConfig c;
  c.where = table.where();
  if (auto v = table.get("batch_size"))
    c.batch_size =
        static_cast<int>(v->as_int(ComputeConfig::kMinBatchSize, ComputeConfig::kMaxBatchSize));
  if (auto v = table.get("threads"))
    c.threads = static_cast<int>(v->as_int(0, ComputeConfig::kMaxThreads));
  if (auto v = table.get("thread_layout"))
    c.thread_layout = static_cast<ThreadLayout>(
        v->as_choice(kThreadLayoutNames, "thread layout", "thread layouts"));
  if (auto v = table.get("device")) c.device = parse_device(*v);
  if (auto v = table.get("unit_size"))
    c.unit_size =
        static_cast<int>(v->as_int(ComputeConfig::kMinUnitSize, ComputeConfig::kMaxUnitSize));
  if (auto v = table.get("max_failed_images")) c.max_failed_images = v->as_int(0, kInt64Max);
  if (auto v = table.get("max_image_pixels")) c.max_image_pixels = v->as_int(1, kInt64Max);
  return c;
}

ReportConfig parse_report(TableReader table) {
  static constexpr std::array<std::string_view, 1> kKeys = {"contact_sheet_images"};
  table.check_keys(kKeys);
  ReportConfig r;
  r.where = table.where();
  if (auto v = table.get("contact_sheet_images"))
    r.contact_sheet_images = static_cast<int>(
        v->as_int(ReportConfig::kMinContactSheetImages, ReportConfig::kMaxContactSheetImages));
  return r;
}

// The [[name]] tables at the top level: present, an array of tables, not empty.
std::vector<TableReader> array_of_tables(TableReader& root, std::string_view key) {
  auto value = root.get(key);
  if (!value)
    fail_at(root.where(), "", fmt::format("missing required array of tables [[{}]]", key));
  std::vector<TableReader> tables;
  for (const Value& element : value->as_array("an array of tables"))
    tables.push_back(element.as_table());
  if (tables.empty()) value->fail(fmt::format("expected at least one [[{}]] table", key));
  return tables;
}

std::vector<std::string> ids_of(const auto& items) {
  std::vector<std::string> ids;
  for (const auto& item : items)
    ids.push_back(item.id);
  return ids;
}

// Fails unless `id` names one of `items`; returns its index.
template <typename Item>
std::size_t resolve(const std::vector<Item>& items, const Value& value, std::string_view what,
                    std::string_view plural) {
  const std::string id = value.as_string();
  for (std::size_t i = 0; i < items.size(); ++i)
    if (items[i].id == id) return i;
  value.fail(
      fmt::format("unknown {} \"{}\"{}", what, id, suggestion_suffix(id, ids_of(items), plural)));
}

// Why `backbone` cannot produce features for `dataset`, or "" when it can.
std::string why_not_applicable(const DatasetConfig& dataset, const BackboneConfig& backbone) {
  if (backbone_applies(dataset, backbone)) return "";
  if (const auto* features = std::get_if<FeaturesSource>(&dataset.source))
    return fmt::format("its features belong to backbone \"{}\"", features->backbone);
  if (const auto* statistics = std::get_if<StatisticsSource>(&dataset.source))
    return fmt::format("its statistics are declared for backbone \"{}\"", statistics->backbone);
  return "an external backbone applies only to features datasets";
}

class JobParser {
 public:
  JobParser(std::string_view presets_text, const std::filesystem::path& presets_file,
            const LoadOptions& options)
      : options_(options), presets_(presets_text, presets_file, options) {}

  Job parse(std::string_view job_text, const std::filesystem::path& job_file,
            const std::filesystem::path& presets_file) {
    doc_ = parse_document(job_text, job_file);
    TableReader root(doc_->root, *doc_, "");
    static constexpr std::array<std::string_view, 7> kRootKeys = {
        "job", "compute", "datasets", "backbones", "comparisons", "slurm", "report"};
    root.check_keys(kRootKeys);

    job_.job_file = std::filesystem::absolute(job_file).lexically_normal();
    if (!presets_file.empty())
      job_.presets_file = std::filesystem::absolute(presets_file).lexically_normal();
    auto job_table = root.get("job");
    if (!job_table) fail_at(root.where(), "", "missing required table [job]");
    parse_job_table(job_table->as_table(), job_, options_);
    if (auto compute = root.get("compute"))
      job_.compute = parse_compute(compute->as_table());
    else
      job_.compute.where = SourceLocation{doc_->file, 0, 0};

    parse_datasets(root);
    parse_backbones(root);
    check_dataset_references();
    for (TableReader& table : array_of_tables(root, "comparisons"))
      parse_comparison(table);
    if (auto slurm = root.get("slurm"))
      job_.slurm = parse_slurm_section(slurm->as_table());
    else
      job_.slurm.where = SourceLocation{doc_->file, 0, 0};
    if (auto report = root.get("report"))
      job_.report = parse_report(report->as_table());
    else
      job_.report.where = SourceLocation{doc_->file, 0, 0};
    return std::move(job_);
  }

 private:
  void parse_datasets(TableReader& root) {
    std::map<std::string, SourceLocation> first;
    for (TableReader& table : array_of_tables(root, "datasets")) {
      DatasetRefs refs;
      DatasetConfig dataset = parse_dataset(table, options_, refs);
      if (auto it = first.find(dataset.id); it != first.end())
        fail_at(refs.id_where, child_path(table.path(), "id"),
                fmt::format("duplicate dataset id \"{}\" (first defined at {})", dataset.id,
                            it->second.str()));
      first.emplace(dataset.id, refs.id_where);
      job_.datasets.push_back(std::move(dataset));
      refs_.push_back(std::move(refs));
    }
  }

  void parse_backbones(TableReader& root) {
    std::map<std::string, SourceLocation> first;
    for (TableReader& table : array_of_tables(root, "backbones")) {
      const SourceLocation id_where = table.has("id") ? table.get("id")->where() : table.where();
      BackboneConfig backbone = parse_backbone(table, presets_, options_);
      if (auto it = first.find(backbone.id); it != first.end())
        fail_at(id_where, child_path(table.path(), "id"),
                fmt::format("duplicate backbone id \"{}\" (first defined at {})", backbone.id,
                            it->second.str()));
      first.emplace(backbone.id, id_where);
      job_.backbones.push_back(std::move(backbone));
    }
  }

  void check_dataset_references() {
    const auto& datasets = job_.datasets;
    for (std::size_t i = 0; i < datasets.size(); ++i) {
      const DatasetRefs& refs = refs_[i];
      if (const auto* derived = std::get_if<DerivedSource>(&datasets[i].source)) {
        const DatasetConfig* base = find(datasets, derived->base);
        if (!base)
          fail_ref(refs,
                   fmt::format("unknown dataset \"{}\"{}", derived->base,
                               suggestion_suffix(derived->base, ids_of(datasets), "datasets")));
        if (!base->has_images())
          fail_ref(refs, fmt::format("dataset \"{}\" is a features dataset; a derived dataset "
                                     "needs an image dataset as "
                                     "its base",
                                     base->id));
      } else if (const auto* features = std::get_if<FeaturesSource>(&datasets[i].source)) {
        const BackboneConfig* backbone = find(job_.backbones, features->backbone);
        if (!backbone)
          fail_ref(refs, fmt::format("unknown backbone \"{}\"{}", features->backbone,
                                     suggestion_suffix(features->backbone, ids_of(job_.backbones),
                                                       "backbones")));
        if (!backbone->is_external())
          fail_ref(
              refs,
              fmt::format(
                  "backbone \"{}\" has kind \"{}\"; a features dataset needs a backbone of kind "
                  "\"external\"",
                  backbone->id, backbone->kind()));
      } else if (const auto* statistics = std::get_if<StatisticsSource>(&datasets[i].source)) {
        if (!find(job_.backbones, statistics->backbone))
          fail_ref(refs, fmt::format("unknown backbone \"{}\"{}", statistics->backbone,
                                     suggestion_suffix(statistics->backbone, ids_of(job_.backbones),
                                                       "backbones")));
      }
    }
    // Every base exists now; follow each chain. A chain that comes back to where it started is a
    // cycle, reported at the first of its datasets in file order.
    for (std::size_t i = 0; i < datasets.size(); ++i) {
      std::vector<std::string> chain = {datasets[i].id};
      const DatasetConfig* current = &datasets[i];
      while (const auto* derived = std::get_if<DerivedSource>(&current->source)) {
        chain.push_back(derived->base);
        if (derived->base == datasets[i].id) {
          std::vector<std::string> quoted;
          for (const auto& id : chain)
            quoted.push_back(fmt::format("\"{}\"", id));
          fail_at(refs_[i].ref_where, refs_[i].ref_path,
                  fmt::format("derived datasets form a cycle: {}", join(quoted, " -> ")));
        }
        if (chain.size() > datasets.size() + 1) break;  // a cycle further down: reported there
        current = find(datasets, derived->base);
      }
    }
  }

  void parse_comparison(TableReader& table) {
    static constexpr std::array<std::string_view, 7> kKeys = {
        "reference",  "evaluated",  "backbones",      "metrics",
        "parameters", "directions", "rarest_fraction"};
    table.check_keys(kKeys);
    ComparisonConfig comparison;
    comparison.where = table.where();
    const Value reference = table.require("reference");
    const DatasetConfig& reference_dataset =
        job_.datasets[resolve(job_.datasets, reference, "dataset", "datasets")];
    comparison.reference = reference_dataset.id;
    std::vector<const DatasetConfig*> members = {&reference_dataset};

    const Value evaluated = table.require("evaluated");
    const std::vector<Value> evaluated_items = evaluated.as_array();
    if (evaluated_items.empty()) evaluated.fail("expected at least one dataset id");
    for (const Value& item : evaluated_items) {
      const DatasetConfig& dataset =
          job_.datasets[resolve(job_.datasets, item, "dataset", "datasets")];
      if (dataset.id == comparison.reference)
        item.fail(fmt::format("dataset \"{}\" is the reference", dataset.id));
      check_not_listed(comparison.evaluated, item, "dataset");
      comparison.evaluated.push_back(dataset.id);
      members.push_back(&dataset);
    }

    if (auto backbones = table.get("backbones")) {
      const std::vector<Value> items = backbones->as_array();
      if (items.empty()) backbones->fail("expected at least one backbone id");
      for (const Value& item : items) {
        const BackboneConfig& backbone =
            job_.backbones[resolve(job_.backbones, item, "backbone", "backbones")];
        check_not_listed(comparison.backbones, item, "backbone");
        for (const DatasetConfig* dataset : members) {
          const std::string why = why_not_applicable(*dataset, backbone);
          if (!why.empty())
            item.fail(fmt::format("backbone \"{}\" does not apply to dataset \"{}\" ({})",
                                  backbone.id, dataset->id, why));
        }
        comparison.backbones.push_back(backbone.id);
      }
    } else {
      for (const BackboneConfig& backbone : job_.backbones) {
        const bool applies = std::all_of(members.begin(), members.end(), [&](const auto* dataset) {
          return backbone_applies(*dataset, backbone);
        });
        if (applies) comparison.backbones.push_back(backbone.id);
      }
      if (comparison.backbones.empty())
        table.fail("no backbone applies to every dataset of this comparison");
    }

    if (auto metrics = table.get("metrics")) {
      const std::vector<Value> items = metrics->as_array();
      if (items.empty()) metrics->fail("expected at least one metric name");
      for (const Value& item : items) {
        const std::string name = item.as_string();
        const auto& known = options_.known_metrics;
        if (std::find(known.begin(), known.end(), name) == known.end())
          item.fail(fmt::format("unknown metric \"{}\"{}", name,
                                suggestion_suffix(name, known, "metrics")));
        check_not_listed(comparison.metrics, item, "metric");
        comparison.metrics.push_back(name);
      }
    } else {
      comparison.metrics = {"fd"};
    }
    if (auto parameters = table.get("parameters"))
      comparison.parameters = parse_parameters(*parameters, comparison.metrics);
    if (auto directions = table.get("directions"))
      comparison.directions = static_cast<Directions>(
          directions->as_choice(kDirectionsNames, "directions value", "directions values"));
    if (auto rarest = table.get("rarest_fraction")) {
      if (comparison.directions != Directions::kBoth)
        rarest->fail("applies only to comparisons with directions = \"both\"");
      const double fraction = rarest->as_positive();
      if (fraction > 1)
        rarest->fail(fmt::format("expected a fraction in (0, 1], got {}", fraction));
      comparison.rarest_fraction = fraction;
    }
    job_.comparisons.push_back(std::move(comparison));
  }

  // [comparisons.parameters]: one table per metric of the comparison, holding that metric's
  // parameters (e.g. kid = { subsets = 50, seed = 1 }), typed and range-checked by its spec.
  MetricParameterValues parse_parameters(const Value& value,
                                         const std::vector<std::string>& metrics) const {
    TableReader table = value.as_table();
    std::vector<std::string_view> keys(metrics.begin(), metrics.end());
    for (const auto& spec : options_.metric_parameters) {
      if (std::find(metrics.begin(), metrics.end(), spec.metric) != metrics.end()) continue;
      if (auto stray = table.get(spec.metric)) {
        stray->fail(fmt::format(
            "metric \"{}\" is not among this comparison's metrics: add it to \"metrics\" or "
            "remove its parameters",
            spec.metric));
      }
    }
    table.check_keys(keys);
    MetricParameterValues out;
    for (const auto& metric : metrics) {
      auto sub = table.get(metric);
      if (!sub) continue;
      TableReader params = sub->as_table();
      std::vector<std::string_view> names;
      for (const auto& spec : options_.metric_parameters) {
        if (spec.metric == metric) names.push_back(spec.name);
      }
      params.check_keys(names, fmt::format("metric \"{}\"", metric));
      for (const auto& spec : options_.metric_parameters) {
        if (spec.metric != metric) continue;
        auto v = params.get(spec.name);
        if (!v) continue;
        out[metric][spec.name] = parameter_value(*v, spec);
      }
    }
    return out;
  }

  static ParameterValue parameter_value(const Value& v, const ParameterSpec& spec) {
    switch (spec.type) {
      case ParameterType::kBoolean:
        if (!v.node().is_boolean()) v.fail_type("a boolean");
        return v.node().as_boolean()->get();
      case ParameterType::kInteger:
        return v.as_int(static_cast<std::int64_t>(spec.min),
                        spec.max >= 9.2e18 ? std::numeric_limits<std::int64_t>::max()
                                           : static_cast<std::int64_t>(spec.max));
      case ParameterType::kNumber: {
        const double x = v.as_finite();
        if (x < spec.min || x > spec.max) {
          v.fail(std::isinf(spec.max)
                     ? fmt::format("expected a number >= {}", spec.min)
                     : fmt::format("expected a number in [{}, {}]", spec.min, spec.max));
        }
        return x;
      }
    }
    return std::int64_t{0};
  }

  [[noreturn]] static void fail_ref(const DatasetRefs& refs, const std::string& message) {
    fail_at(refs.ref_where, refs.ref_path, message);
  }

  static void check_not_listed(const std::vector<std::string>& listed, const Value& item,
                               std::string_view what) {
    const std::string id = item.as_string();
    if (std::find(listed.begin(), listed.end(), id) != listed.end())
      item.fail(fmt::format("{} \"{}\" is listed twice", what, id));
  }

  template <typename Item>
  static const Item* find(const std::vector<Item>& items, std::string_view id) {
    for (const Item& item : items)
      if (item.id == id) return &item;
    return nullptr;
  }

  const LoadOptions& options_;
  PresetLibrary presets_;
  std::unique_ptr<Document> doc_;
  Job job_;
  std::vector<DatasetRefs> refs_;  // parallel to job_.datasets
};

}  // namespace
}  // namespace detail

JobTexts read_job_texts(const std::filesystem::path& job_file, const LoadOptions& options) {
  JobTexts texts;
  texts.job_text = detail::read_config_file(job_file, "job file");
  // Only [job] presets matters here; parse_job reports everything else, including its type.
  auto doc = detail::parse_document(texts.job_text, job_file);
  std::filesystem::path presets;
  if (const auto* text = doc->root["job"]["presets"].as_string(); text && !text->get().empty())
    presets = detail::presets_file_in(doc->base_dir / text->get());
  else if (!options.presets_dir.empty())
    presets = detail::presets_file_in(options.presets_dir);
  if (!presets.empty()) {
    texts.presets_file = std::filesystem::absolute(presets).lexically_normal();
    std::error_code ec;
    if (std::filesystem::exists(texts.presets_file, ec))
      texts.presets_text = detail::read_config_file(texts.presets_file, "presets file");
  }
  return texts;
}

Job load_job(const std::filesystem::path& job_file, const LoadOptions& options) {
  const JobTexts texts = read_job_texts(job_file, options);
  return parse_job(texts.job_text, job_file, texts.presets_text, texts.presets_file, options);
}

Job parse_job(std::string_view job_text, const std::filesystem::path& job_file,
              std::string_view presets_text, const std::filesystem::path& presets_file,
              const LoadOptions& options) {
  detail::JobParser parser(presets_text, presets_file, options);
  return parser.parse(job_text, job_file, presets_file);
}

}  // namespace gensweep::config
