// The canonical form is a job file in a fixed shape: sections and keys in a fixed order, one
// spelling per value, every default written out, presets replaced by their resolved parameters,
// paths absolute. Two jobs that mean the same thing print the same text (and hash); any change
// that can change what runs or where results go changes it. Source locations and preset names do
// not appear: they do not change what runs.

#include "gensweep/config/canonical.h"

#include <fmt/format.h>

#include <algorithm>

#include "gensweep/config/toml_text.h"
#include "gensweep/core/sha256.h"

namespace gensweep::config {
namespace {

std::string quote_path(const std::filesystem::path& path) {
  return toml_quote(path.string());
}

std::string string_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += toml_quote(items[i]);
  }
  return out + "]";
}

template <typename T, std::size_t N>
std::string number_array(const std::array<T, N>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < N; ++i) {
    if (i) out += ", ";
    if constexpr (std::is_floating_point_v<T>)
      out += format_double(items[i]);
    else
      out += fmt::format("{}", items[i]);
  }
  return out + "]";
}

// [true, { return_features = true }]: positional values, then named ones as one-key tables.
std::string forward_args_array(const std::vector<ForwardArg>& args) {
  std::string out = "[";
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i) out += ", ";
    const std::string value = std::visit(
        [](const auto& v) -> std::string {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, bool>)
            return v ? "true" : "false";
          else if constexpr (std::is_same_v<T, double>)
            return format_double(v);
          else
            return fmt::format("{}", v);
        },
        args[i].value);
    // Names are Python identifiers, bare keys in TOML.
    out += args[i].name.empty() ? value : fmt::format("{{ {} = {} }}", args[i].name, value);
  }
  return out + "]";
}

struct Writer {
  std::string out;
  void line(std::string_view key, std::string_view value) {
    out += fmt::format("{} = {}\n", key, value);
  }
  void line(std::string_view key, std::int64_t value) {
    out += fmt::format("{} = {}\n", key, value);
  }
};

std::string distortion_table(const Distortion& distortion) {
  struct Visitor {
    std::string operator()(const GaussianBlur& d) const {
      return fmt::format("sigma = {}", format_double(d.sigma));
    }
    std::string operator()(const GaussianNoise& d) const {
      return fmt::format("sigma = {}", format_double(d.sigma));
    }
    std::string operator()(const Jpeg& d) const { return fmt::format("quality = {}", d.quality); }
    std::string operator()(const ColorShift& d) const {
      return fmt::format("shift = {}", number_array(d.shift));
    }
    std::string operator()(const Corruption& d) const {
      return fmt::format(
          "name = {}, severity = {}, parameters = {}, seeding = {}", toml_quote(d.name), d.severity,
          toml_quote(Corruption::kParameterSets[static_cast<std::size_t>(d.parameters)]),
          toml_quote(Corruption::kSeedings[static_cast<std::size_t>(d.seeding)]));
    }
  };
  return fmt::format("{{ kind = {}, {} }}", toml_quote(distortion_kind(distortion)),
                     std::visit(Visitor{}, distortion));
}

void write_window(Writer& w, std::int64_t offset, const std::optional<std::int64_t>& limit) {
  w.line("offset", offset);
  if (limit) w.line("limit", *limit);
}

std::string path_array(const std::vector<std::filesystem::path>& paths) {
  std::string out = "[";
  for (std::size_t i = 0; i < paths.size(); ++i)
    out += (i ? ", " : "") + quote_path(paths[i]);
  return out + "]";
}

void write_dataset(Writer& w, const DatasetConfig& dataset) {
  w.out += "\n[[datasets]]\n";
  w.line("id", toml_quote(dataset.id));
  w.line("source", toml_quote(source_name(dataset.source)));
  if (const auto* folder = std::get_if<FolderSource>(&dataset.source)) {
    w.line("path", quote_path(folder->path));
    w.line("offset", folder->offset);
    if (folder->limit) w.line("limit", *folder->limit);
  } else if (const auto* derived = std::get_if<DerivedSource>(&dataset.source)) {
    w.line("base", toml_quote(derived->base));
    w.line("distortion", distortion_table(derived->distortion));
    w.line("seed", static_cast<std::int64_t>(derived->seed));
    // Written only when there is one, so the hash of every job without regions stays as it was.
    // Values are a set: sorted, so [2, 1] and [1, 2] are one job.
    if (derived->region) {
      std::vector<int> sorted = derived->region->values;
      std::sort(sorted.begin(), sorted.end());
      std::string values;
      for (std::size_t i = 0; i < sorted.size(); ++i)
        values += fmt::format("{}{}", i ? ", " : "", sorted[i]);
      w.line("region", fmt::format("{{ mask = {}, values = [{}] }}",
                                   toml_quote(derived->region->mask), values));
    }
  } else if (const auto* mixture = std::get_if<MixtureSource>(&dataset.source)) {
    w.line("base", toml_quote(mixture->base));
    w.line("counterfactual", toml_quote(mixture->counterfactual));
    w.line("proportion", format_double(mixture->proportion));
    w.line("size", mixture->size);
    w.line("seed", static_cast<std::int64_t>(mixture->seed));
  } else if (const auto* features = std::get_if<FeaturesSource>(&dataset.source)) {
    std::string path = features->file.string();
    if (features->format == FeaturesFormat::kHdf5) path += ":" + features->hdf5_dataset;
    w.line("path", toml_quote(path));
    w.line("backbone", toml_quote(features->backbone));
  } else if (const auto* statistics = std::get_if<StatisticsSource>(&dataset.source)) {
    w.line("path", quote_path(statistics->file));
    w.line("backbone", toml_quote(statistics->backbone));
    w.line("entry", toml_quote(statistics->entry));
  } else if (const auto* zip = std::get_if<ZipSource>(&dataset.source)) {
    w.line("path", quote_path(zip->path));
    write_window(w, zip->offset, zip->limit);
  } else if (const auto* tar = std::get_if<TarSource>(&dataset.source)) {
    w.line("shards", path_array(tar->shards));
    if (!tar->field.empty()) w.line("field", toml_quote(tar->field));
    write_window(w, tar->offset, tar->limit);
  } else if (const auto* npz = std::get_if<NpzSource>(&dataset.source)) {
    w.line("files", path_array(npz->files));
    write_window(w, npz->offset, npz->limit);
  } else if (const auto* h = std::get_if<Hdf5ImagesSource>(&dataset.source)) {
    w.line("file", quote_path(h->file));
    w.line("dataset", toml_quote(h->dataset));
    w.line("layout", toml_quote(pixel_layout_name(h->layout)));
    write_window(w, h->offset, h->limit);
  }
}

void write_weights(Writer& w, const std::filesystem::path& weights,
                   const std::optional<std::string>& sha256) {
  w.line("weights", quote_path(weights));
  if (sha256) w.line("sha256", toml_quote(*sha256));
}

void write_backbone(Writer& w, const BackboneConfig& backbone) {
  w.out += "\n[[backbones]]\n";
  w.line("id", toml_quote(backbone.id));
  w.line("kind", toml_quote(backbone.kind()));
  if (const auto* p = std::get_if<PixelsParams>(&backbone.params)) {
    w.line("size", p->size);
  } else if (const auto* p = std::get_if<RandomCnnParams>(&backbone.params)) {
    w.line("dim", p->dim);
    w.line("seed", static_cast<std::int64_t>(p->seed));
    w.line("input_size", p->input_size);
    w.line("width", p->width);
  } else if (const auto* p = std::get_if<ExternalParams>(&backbone.params)) {
    if (p->dim) w.line("dim", *p->dim);
  } else if (const auto* p = std::get_if<FidInceptionParams>(&backbone.params)) {
    write_weights(w, p->weights, p->sha256);
    w.line("layer", toml_quote(p->layer));
    w.line("resize", toml_quote(resize_filter_name(p->resize)));
  } else if (const auto* p = std::get_if<TorchscriptParams>(&backbone.params)) {
    write_weights(w, p->weights, p->sha256);
    w.line("output", toml_quote(p->output));
    if (p->dim) w.line("dim", *p->dim);
    w.line("input_size", p->input_size);
    w.line("resize", toml_quote(resize_filter_name(p->resize)));
    w.line("crop", toml_quote(crop_policy_name(p->crop)));
    w.line("input_range", toml_quote(input_range_name(p->input_range)));
    w.line("mean", number_array(p->mean));
    w.line("std", number_array(p->std));
    w.line("forward_args", forward_args_array(p->forward_args));
  }
}

std::string level_array(const std::vector<double>& levels) {
  std::string out = "[";
  for (std::size_t i = 0; i < levels.size(); ++i)
    out += fmt::format("{}{}", i ? ", " : "", level_text(levels[i]));
  return out + "]";
}

void write_study(Writer& w, const StudyConfig& study) {
  w.out += "\n[[studies]]\n";
  w.line("id", toml_quote(study.id));
  w.line("kind", toml_quote(StudyConfig::kKinds[static_cast<std::size_t>(study.kind)]));
  w.line("reference", toml_quote(study.reference));
  w.line("base", toml_quote(study.base));
  switch (study.kind) {
    case StudyConfig::Kind::kCorruptions:
      w.line("corruptions", string_array(study.factors));
      w.line("severities", level_array(study.levels));
      w.line(
          "corruption_parameters",
          toml_quote(
              Corruption::kParameterSets[static_cast<std::size_t>(study.corruption_parameters)]));
      w.line("seeding", toml_quote(Corruption::kSeedings[static_cast<std::size_t>(study.seeding)]));
      break;
    case StudyConfig::Kind::kMixtures:
      w.line("counterfactuals", string_array(study.factors));
      // Shortest round-trip text: a proportion reads back to the same double.
      w.line("proportions", level_array(study.levels));
      w.line("size", study.size);
      w.line("draws", study.draws);
      break;
    case StudyConfig::Kind::kRegions: {
      w.line("mask", toml_quote(study.mask));
      w.line("distortion", distortion_table(study.distortion));
      std::string regions = "{ ";
      for (std::size_t r = 0; r < study.region_values.size(); ++r) {
        std::string values = "[";
        for (std::size_t i = 0; i < study.region_values[r].size(); ++i)
          values += fmt::format("{}{}", i ? ", " : "", study.region_values[r][i]);
        regions += fmt::format("{}{} = {}]", r ? ", " : "", study.factors[r], values);
      }
      w.line("regions", regions + " }");
      break;
    }
  }
  w.line("seed", static_cast<std::int64_t>(study.seed));
  w.line("backbones", string_array(study.backbones));
  w.line("metrics", string_array(study.metrics));
  if (study.normalise_by && study.kind != StudyConfig::Kind::kRegions)
    w.line("normalise_by", fmt::format("{{ {} = {}, {} = {} }}", study.factor_name(),
                                       toml_quote(study.normalise_by->factor), study.level_name(),
                                       level_text(study.normalise_by->level)));
  for (const auto& [metric, values] : study.parameters_of_metrics) {
    for (const auto& [name, value] : values)
      w.line(fmt::format("parameters.{}.{}", metric, name), parameter_text(value));
  }
}

}  // namespace

std::string canonical_form(const Job& job) {
  Writer w;
  w.out = "# gensweep canonical job, format 1: presets applied, defaults filled, paths absolute\n";
  w.out += "\n[job]\n";
  w.line("name", toml_quote(job.name));
  w.line("output", quote_path(job.output_dir));

  const ComputeConfig& c = job.compute;
  w.out += "\n[compute]\n";
  w.line("batch_size", c.batch_size);
  w.line("threads", c.threads);
  w.line("thread_layout",
         toml_quote(std::string(kThreadLayoutNames[static_cast<std::size_t>(c.thread_layout)])));
  w.line("device", toml_quote(c.device.str()));
  w.line("unit_size", c.unit_size);
  w.line("max_failed_images", c.max_failed_images);
  w.line("max_image_pixels", c.max_image_pixels);

  // What studies generated is written as the studies themselves, so that the text, read again,
  // expands to the same job.
  for (const auto& dataset : job.datasets)
    if (dataset.study.empty()) write_dataset(w, dataset);
  for (const auto& backbone : job.backbones)
    write_backbone(w, backbone);
  for (const auto& comparison : job.comparisons) {
    if (!comparison.study.empty()) continue;
    w.out += "\n[[comparisons]]\n";
    w.line("reference", toml_quote(comparison.reference));
    w.line("evaluated", string_array(comparison.evaluated));
    w.line("backbones", string_array(comparison.backbones));
    w.line("metrics", string_array(comparison.metrics));
    for (const auto& [metric, values] : comparison.parameters) {
      for (const auto& [name, value] : values)
        w.line(fmt::format("parameters.{}.{}", metric, name), parameter_text(value));
    }
    // Written only when not the default, so that the hashes of jobs written before the key
    // existed (and of jobs that say "one") do not change.
    if (comparison.directions == Directions::kBoth) {
      w.line("directions", toml_quote("both"));
      w.line("rarest_fraction", format_double(comparison.rarest_fraction));
    }
  }
  for (const auto& study : job.studies)
    write_study(w, study);
  return w.out;
}

std::string config_hash(const Job& job) {
  return sha256_hex(canonical_form(job));
}

}  // namespace gensweep::config
