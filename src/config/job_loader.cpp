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
#include <tuple>

#include <fmt/format.h>

#include "gensweep/config/loader.h"
#include "gensweep/config/study.h"
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
    static constexpr std::array<std::string_view, 8> kRootKeys = {
        "job", "compute", "datasets", "backbones", "comparisons", "studies", "slurm", "report"};
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
    // A job needs something to compute: comparisons, studies (which bring their own), or both.
    if (root.has("comparisons") || !root.has("studies")) {
      for (TableReader& table : array_of_tables(root, "comparisons"))
        parse_comparison(table);
    }
    if (root.has("studies")) {
      for (TableReader& table : array_of_tables(root, "studies"))
        parse_study(table);
    }
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
      for (const auto& ref : refs.datasets) {
        const DatasetConfig* ingredient = find(datasets, ref.id);
        if (!ingredient)
          fail_at(ref.where, ref.path,
                  fmt::format("unknown dataset \"{}\"{}", ref.id,
                              suggestion_suffix(ref.id, ids_of(datasets), "datasets")));
        if (!ingredient->has_images())
          fail_at(ref.where, ref.path,
                  fmt::format("dataset \"{}\" is a {} dataset; {}", ingredient->id,
                              source_name(ingredient->source),
                              needs_images_text(datasets[i], ref.path)));
      }
      if (const auto* features = std::get_if<FeaturesSource>(&datasets[i].source)) {
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
    // Every ingredient exists now; follow every path of ingredients from each dataset. A path that
    // comes back to where it started is a cycle, reported at the first of its datasets in file
    // order, at the key that starts it.
    for (std::size_t i = 0; i < datasets.size(); ++i) {
      std::vector<std::string> chain = {datasets[i].id};
      std::vector<std::string> visited;
      for (const auto& key : refs_[i].datasets) {
        if (!find_way_back(datasets[i].id, key.id, chain, visited)) continue;
        std::vector<std::string> quoted;
        // "derived datasets form a cycle" when every step is a derived dataset's base, as before
        // mixtures and regions existed.
        bool all_derived = true;
        for (std::size_t c = 0; c < chain.size(); ++c) {
          quoted.push_back(fmt::format("\"{}\"", chain[c]));
          if (c + 1 == chain.size()) break;
          const auto* derived = std::get_if<DerivedSource>(&find(datasets, chain[c])->source);
          all_derived = all_derived && derived && derived->base == chain[c + 1];
        }
        fail_at(key.where, key.path,
                fmt::format("{}datasets form a cycle: {}", all_derived ? "derived " : "",
                            join(quoted, " -> ")));
      }
    }
  }

  // Whether `target` is reachable from `from` through ingredients; when it is, `chain` ends with
  // the path taken (from ... target). `visited` keeps datasets already explored without success.
  bool find_way_back(const std::string& target, const std::string& from,
                     std::vector<std::string>& chain, std::vector<std::string>& visited) const {
    chain.push_back(from);
    if (from == target) return true;
    if (std::find(visited.begin(), visited.end(), from) == visited.end()) {
      visited.push_back(from);
      for (const auto& next : find(job_.datasets, from)->ingredients())
        if (find_way_back(target, next, chain, visited)) return true;
    }
    chain.pop_back();
    return false;
  }

  // What a key naming an image dataset needs, for "dataset "x" is a features dataset; ...".
  static std::string needs_images_text(const DatasetConfig& dataset, const std::string& key_path) {
    if (key_path.ends_with(".region.mask"))
      return "a region's mask needs an image dataset of label images";
    if (std::holds_alternative<MixtureSource>(dataset.source))
      return "a mixture needs image datasets as its base and counterfactual";
    return "a derived dataset needs an image dataset as its base";
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

    comparison.backbones = parse_backbones_key(table, members, "comparison");
    comparison.metrics = parse_metrics_key(table);
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

  // [[studies]]: checked like a comparison, then expanded into the datasets of its grid (marked
  // with the study's id) and one comparison of them all against the reference (docs/STUDIES.md).
  // A generated id that the job already uses is an error at the study's id.
  void parse_study(TableReader& table) {
    static constexpr std::array<std::string_view, 21> kAllKeys = {
        "id",           "kind",
        "reference",    "base",
        "backbones",    "metrics",
        "parameters",   "seed",
        "normalise_by", "corruptions",
        "severities",   "corruption_parameters",
        "seeding",      "counterfactuals",
        "proportions",  "size",
        "draws",        "mask",
        "distortion",   "regions",
        "region_values"};
    table.note_known(kAllKeys);
    StudyConfig study;
    study.where = table.where();
    const Value id = table.require("id");
    study.id = id.as_name();
    for (const StudyConfig& other : job_.studies)
      if (other.id == study.id)
        id.fail(fmt::format("duplicate study id \"{}\" (first defined at {})", study.id,
                            other.where.str()));
    const Value kind = table.require("kind");
    study.kind = static_cast<StudyConfig::Kind>(
        kind.as_choice(StudyConfig::kKinds, "study kind", "study kinds"));
    const std::string variant =
        fmt::format("study kind \"{}\"", StudyConfig::kKinds[static_cast<std::size_t>(study.kind)]);
    switch (study.kind) {
      case StudyConfig::Kind::kCorruptions: {
        static constexpr std::array<std::string_view, 13> kKeys = {
            "id",           "kind",        "reference",  "base",
            "backbones",    "metrics",     "parameters", "seed",
            "normalise_by", "corruptions", "severities", "corruption_parameters",
            "seeding"};
        table.check_keys(kKeys, variant);
        break;
      }
      case StudyConfig::Kind::kMixtures: {
        static constexpr std::array<std::string_view, 13> kKeys = {
            "id",          "kind",       "reference", "base",         "backbones",
            "metrics",     "parameters", "seed",      "normalise_by", "counterfactuals",
            "proportions", "size",       "draws"};
        table.check_keys(kKeys, variant);
        break;
      }
      case StudyConfig::Kind::kRegions: {
        static constexpr std::array<std::string_view, 11> kKeys = {
            "id",         "kind", "reference", "base",       "backbones", "metrics",
            "parameters", "seed", "mask",      "distortion", "regions"};
        table.check_keys(kKeys, variant);
        break;
      }
    }

    const Value reference = table.require("reference");
    const DatasetConfig& reference_dataset =
        job_.datasets[resolve(job_.datasets, reference, "dataset", "datasets")];
    study.reference = reference_dataset.id;
    const Value base = table.require("base");
    const DatasetConfig& base_dataset = image_dataset(base, "base");
    if (base_dataset.id == study.reference)
      base.fail(
          fmt::format("dataset \"{}\" is the reference; the base is what the study changes "
                      "and compares with the reference",
                      base_dataset.id));
    study.base = base_dataset.id;
    if (auto seed = table.get("seed"))
      study.seed =
          static_cast<std::uint64_t>(seed->as_int(0, std::numeric_limits<std::int64_t>::max()));

    switch (study.kind) {
      case StudyConfig::Kind::kCorruptions:
        parse_corruptions_grid(table, study);
        break;
      case StudyConfig::Kind::kMixtures:
        parse_mixtures_grid(table, study);
        break;
      case StudyConfig::Kind::kRegions:
        parse_regions_grid(table, study);
        break;
    }

    const std::vector<const DatasetConfig*> members = {&reference_dataset, &base_dataset};
    study.backbones = parse_backbones_key(table, members, "study");
    study.metrics = parse_metrics_key(table);
    if (auto parameters = table.get("parameters"))
      study.parameters_of_metrics = parse_parameters(*parameters, study.metrics);
    if (auto normalise = table.get("normalise_by")) parse_normalise_by(*normalise, study);
    if (study.kind == StudyConfig::Kind::kRegions)
      study.normalise_by = StudyReferenceCell{std::string(StudyConfig::kWholeImage), 1};

    ComparisonConfig comparison;
    comparison.reference = study.reference;
    comparison.backbones = study.backbones;
    comparison.metrics = study.metrics;
    comparison.parameters = study.parameters_of_metrics;
    comparison.where = study.where;
    comparison.study = study.id;
    for (DatasetConfig& dataset : generate_datasets(study)) {
      if (const DatasetConfig* taken = find(job_.datasets, dataset.id))
        id.fail(fmt::format("study \"{}\" would define dataset \"{}\", which {} already defines",
                            study.id, dataset.id, taken->where.str()));
      job_.datasets.push_back(std::move(dataset));
    }
    for (const StudyCell& cell : study.cells)
      comparison.evaluated.push_back(cell.dataset);
    job_.comparisons.push_back(std::move(comparison));
    job_.studies.push_back(std::move(study));
  }

  // The dataset `value` names, which must hold images (`role` says what it is for).
  const DatasetConfig& image_dataset(const Value& value, std::string_view role) const {
    const DatasetConfig& dataset =
        job_.datasets[resolve(job_.datasets, value, "dataset", "datasets")];
    if (!dataset.has_images())
      value.fail(
          fmt::format("dataset \"{}\" holds no images; a study's {} must", dataset.id, role));
    return dataset;
  }

  void parse_corruptions_grid(TableReader& table, StudyConfig& study) {
    study.factors = parse_all_or_list(table, "corruptions", [](const Value& item) {
      return std::string(
          Corruption::kNames[item.as_choice(Corruption::kNames, "corruption", "corruptions")]);
    });
    if (study.factors.empty())
      study.factors.assign(Corruption::kNames.begin(), Corruption::kNames.end());
    for (const auto& text : parse_all_or_list(table, "severities", [](const Value& item) {
           return std::to_string(item.as_int(StudyConfig::kMinSeverity, StudyConfig::kMaxSeverity));
         }))
      study.levels.push_back(std::stoi(text));
    if (study.levels.empty())
      for (int s = StudyConfig::kMinSeverity; s <= StudyConfig::kMaxSeverity; ++s)
        study.levels.push_back(s);
    std::sort(study.levels.begin(), study.levels.end());
    study.corruption_parameters = static_cast<Corruption::Parameters>(
        table.require("corruption_parameters")
            .as_choice(Corruption::kParameterSets, "corruption parameter set", "parameter sets"));
    if (auto seeding = table.get("seeding"))
      study.seeding = static_cast<Corruption::Seeding>(
          seeding->as_choice(Corruption::kSeedings, "corruption seeding", "seedings"));
    study.cells.push_back({std::string(StudyCell::kBaseFactor), 0, 0, study.base});
  }

  void parse_mixtures_grid(TableReader& table, StudyConfig& study) {
    const Value counterfactuals = table.require("counterfactuals");
    const std::vector<Value> items = counterfactuals.as_array();
    if (items.empty()) counterfactuals.fail("expected at least one dataset id");
    for (const Value& item : items) {
      const DatasetConfig& dataset = image_dataset(item, "counterfactuals");
      if (dataset.id == study.base)
        item.fail(
            fmt::format("dataset \"{}\" is the base; counterfactuals are other images of "
                        "the base's ids",
                        dataset.id));
      check_not_listed(study.factors, item, "dataset");
      study.factors.push_back(dataset.id);
    }
    const Value proportions = table.require("proportions");
    const std::vector<Value> levels = proportions.as_array();
    if (levels.empty()) proportions.fail("expected at least one proportion");
    for (const Value& item : levels) {
      const double p = item.as_number_in(0.0, 1.0);
      if (std::find(study.levels.begin(), study.levels.end(), p) != study.levels.end())
        item.fail(fmt::format("proportion {} is listed twice", level_text(p)));
      study.levels.push_back(p);
    }
    std::sort(study.levels.begin(), study.levels.end());
    study.size = table.require("size").as_int(1, std::numeric_limits<std::int64_t>::max());
    if (auto draws = table.get("draws"))
      study.draws = static_cast<int>(draws->as_int(1, StudyConfig::kMaxDraws));
  }

  void parse_regions_grid(TableReader& table, StudyConfig& study) {
    const Value mask = table.require("mask");
    study.mask = image_dataset(mask, "mask").id;
    if (study.mask == study.base) mask.fail("the mask is the base; it must hold label images");
    study.distortion = parse_distortion(table.require("distortion"));
    const Value regions = table.require("regions");
    TableReader reader = regions.as_table();
    // toml++ keeps a table's keys sorted; the tables keep the file's order.
    std::vector<std::pair<std::string, Value>> named;
    for (auto&& [key, node] : *regions.node().as_table())
      named.emplace_back(std::string(key.str()), *reader.get(key.str()));
    std::sort(named.begin(), named.end(), [](const auto& a, const auto& b) {
      const SourceLocation x = a.second.where(), y = b.second.where();
      return std::tie(x.line, x.column) < std::tie(y.line, y.column);
    });
    if (named.empty()) regions.fail("expected at least one region: name = [label values]");
    for (auto& [name, value] : named) {
      if (!is_valid_name(name) || name == StudyConfig::kWholeImage)
        value.fail(
            fmt::format("\"{}\" cannot name a region: lowercase letters, digits, '_', '.', '-', "
                        "starting with a "
                        "letter or digit, and not \"{}\" (the whole image)",
                        name, StudyConfig::kWholeImage));
      const std::vector<Value> labels = value.as_array();
      if (labels.empty()) value.fail("expected at least one label value");
      std::vector<int> values;
      for (const Value& label : labels) {
        const int v = static_cast<int>(label.as_int(0, 255));
        if (std::find(values.begin(), values.end(), v) != values.end())
          label.fail(fmt::format("label {} is listed twice", v));
        values.push_back(v);
      }
      study.factors.push_back(name);
      study.region_values.push_back(std::move(values));
    }
    study.factors.emplace_back(StudyConfig::kWholeImage);
    study.levels = {1};
  }

  // normalise_by = { <factor name> = "...", <level name> = x }: a cell of the grid.
  void parse_normalise_by(const Value& value, StudyConfig& study) {
    TableReader cell = value.as_table();
    const std::array<std::string_view, 2> keys = {study.factor_name(), study.level_name()};
    cell.check_keys(keys);
    const Value factor = cell.require(study.factor_name());
    const std::string name = factor.as_string();
    if (std::find(study.factors.begin(), study.factors.end(), name) == study.factors.end())
      factor.fail(fmt::format("{} \"{}\" is not among the study's {}s{}", study.factor_name(), name,
                              study.factor_name(),
                              suggestion_suffix(name, study.factors, "factors")));
    const Value level = cell.require(study.level_name());
    const double x = study.kind == StudyConfig::Kind::kCorruptions
                         ? static_cast<double>(
                               level.as_int(StudyConfig::kMinSeverity, StudyConfig::kMaxSeverity))
                         : level.as_number_in(0.0, 1.0);
    if (std::find(study.levels.begin(), study.levels.end(), x) == study.levels.end())
      level.fail(fmt::format(
          "{} {} is not among the study's {}", study.level_name(), level_text(x),
          study.kind == StudyConfig::Kind::kCorruptions ? "severities" : "proportions"));
    study.normalise_by = StudyReferenceCell{name, x};
  }

  // The datasets of the study's grid, and its cells (after any the grid parser put first).
  static std::vector<DatasetConfig> generate_datasets(StudyConfig& study) {
    std::vector<DatasetConfig> out;
    auto add = [&](const std::string& factor, double level, int draw, DatasetSource source) {
      DatasetConfig dataset;
      dataset.id = study_dataset_id(study, factor, level, draw);
      dataset.source = std::move(source);
      dataset.where = study.where;
      dataset.study = study.id;
      study.cells.push_back({factor, level, draw, dataset.id});
      out.push_back(std::move(dataset));
    };
    switch (study.kind) {
      case StudyConfig::Kind::kCorruptions:
        for (const std::string& name : study.factors) {
          for (double severity : study.levels) {
            Corruption corruption;
            corruption.name = name;
            corruption.severity = static_cast<int>(severity);
            corruption.parameters = study.corruption_parameters;
            corruption.seeding = study.seeding;
            add(name, severity, 0, DerivedSource{study.base, corruption, study.seed, std::nullopt});
          }
        }
        break;
      case StudyConfig::Kind::kMixtures:
        for (const std::string& counterfactual : study.factors)
          for (double proportion : study.levels)
            for (int draw = 0; draw < study.draws; ++draw)
              add(counterfactual, proportion, draw,
                  MixtureSource{study.base, counterfactual, proportion, study.size,
                                study.seed + static_cast<std::uint64_t>(draw)});
        break;
      case StudyConfig::Kind::kRegions:
        for (std::size_t r = 0; r < study.factors.size(); ++r) {
          std::optional<Region> region;
          if (r < study.region_values.size()) region = Region{study.mask, study.region_values[r]};
          add(study.factors[r], 1, 0,
              DerivedSource{study.base, study.distortion, study.seed, std::move(region)});
        }
        break;
    }
    return out;
  }

  // `key = "all"` (returns nothing: the caller fills in everything) or a non-empty list without
  // repeats, each item converted by `convert` (which fails at the item when it is wrong).
  template <typename Convert>
  static std::vector<std::string> parse_all_or_list(TableReader& table, std::string_view key,
                                                    Convert convert) {
    auto value = table.get(key);
    if (!value) return {};
    if (value->node().is_string()) {
      if (value->as_string() != "all")
        value->fail(fmt::format("expected \"all\" or a list, got \"{}\"", value->as_string()));
      return {};
    }
    if (!value->node().is_array()) value->fail_type("\"all\" or an array");
    const std::vector<Value> items = value->as_array();
    if (items.empty()) value->fail("expected \"all\" or at least one item");
    std::vector<std::string> out;
    for (const Value& item : items) {
      std::string converted = convert(item);
      if (std::find(out.begin(), out.end(), converted) != out.end())
        item.fail(fmt::format("\"{}\" is listed twice", converted));
      out.push_back(std::move(converted));
    }
    return out;
  }

  // `backbones`: the listed ids, each applicable to every member; when absent, every backbone that
  // applies to all members, in job order (`what` names the table in the error when none does).
  std::vector<std::string> parse_backbones_key(TableReader& table,
                                               const std::vector<const DatasetConfig*>& members,
                                               std::string_view what) const {
    std::vector<std::string> ids;
    if (auto backbones = table.get("backbones")) {
      const std::vector<Value> items = backbones->as_array();
      if (items.empty()) backbones->fail("expected at least one backbone id");
      for (const Value& item : items) {
        const BackboneConfig& backbone =
            job_.backbones[resolve(job_.backbones, item, "backbone", "backbones")];
        check_not_listed(ids, item, "backbone");
        for (const DatasetConfig* dataset : members) {
          const std::string why = why_not_applicable(*dataset, backbone);
          if (!why.empty())
            item.fail(fmt::format("backbone \"{}\" does not apply to dataset \"{}\" ({})",
                                  backbone.id, dataset->id, why));
        }
        ids.push_back(backbone.id);
      }
      return ids;
    }
    for (const BackboneConfig& backbone : job_.backbones) {
      const bool applies = std::all_of(members.begin(), members.end(), [&](const auto* dataset) {
        return backbone_applies(*dataset, backbone);
      });
      if (applies) ids.push_back(backbone.id);
    }
    if (ids.empty())
      table.fail(fmt::format("no backbone applies to every dataset of this {}", what));
    return ids;
  }

  // `metrics`: known metric names, no repeats; ["fd"] when absent.
  std::vector<std::string> parse_metrics_key(TableReader& table) const {
    auto metrics = table.get("metrics");
    if (!metrics) return {"fd"};
    std::vector<std::string> names;
    const std::vector<Value> items = metrics->as_array();
    if (items.empty()) metrics->fail("expected at least one metric name");
    for (const Value& item : items) {
      const std::string name = item.as_string();
      const auto& known = options_.known_metrics;
      if (std::find(known.begin(), known.end(), name) == known.end())
        item.fail(fmt::format("unknown metric \"{}\"{}", name,
                              suggestion_suffix(name, known, "metrics")));
      check_not_listed(names, item, "metric");
      names.push_back(name);
    }
    return names;
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
