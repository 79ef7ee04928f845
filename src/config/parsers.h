#pragma once
// The per-section parsers behind parse_job (job_loader.cpp). Private to the config module.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gensweep/config/backbone.h"
#include "gensweep/config/dataset.h"
#include "gensweep/config/loader.h"
#include "gensweep/config/slurm.h"
#include "toml_reader.h"

namespace gensweep::config::detail {

// Where a dataset's references were written, for the cross-checks that run once every dataset and
// backbone is known.
struct DatasetRefs {
  SourceLocation id_where;
  // The first reference: "datasets[i].base" or "datasets[i].backbone"; empty for folders.
  std::string ref_path;
  SourceLocation ref_where;
  // Every key naming another dataset (base, region.mask, counterfactual), in file order.
  struct DatasetReference {
    std::string id;
    std::string path;  // "datasets[i].region.mask"
    SourceLocation where;
  };
  std::vector<DatasetReference> datasets;
};

// A `distortion = { kind = ... }` table (derived datasets, regions studies).
Distortion parse_distortion(const Value& value);

DatasetConfig parse_dataset(TableReader& table, const LoadOptions& options, DatasetRefs& refs);

// The presets file, parsed on first use (a job that names no preset never reads it).
class PresetLibrary {
 public:
  PresetLibrary(std::string_view text, std::filesystem::path file, const LoadOptions& options)
      : text_(text), file_(std::move(file)), check_paths_(options.check_paths) {}

  struct Preset {
    const toml::table* table;
    const Document* doc;
    std::string path;  // "presets.<name>"
    std::string kind;  // validated
  };
  // The preset named by `name` (the value of a backbone's `preset` key), or fails there.
  Preset find(const Value& name);
  // Every preset name, in file order (validated).
  std::vector<std::string> names();
  // The preset `name`, or nullopt when the file has none of that name.
  std::optional<Preset> lookup(std::string_view name);

 private:
  const toml::table& presets_table();

  std::string_view text_;
  std::filesystem::path file_;
  bool check_paths_;
  std::unique_ptr<Document> doc_;
  const toml::table* presets_ = nullptr;
};

// A backbone's `kind` value as the index of its BackboneParams alternative, or fails there.
std::size_t parse_backbone_kind(const Value& value);
// Declares every key some backbone kind accepts (see TableReader::note_known).
void note_backbone_keys(TableReader& table);

BackboneConfig parse_backbone(TableReader& table, PresetLibrary& presets,
                              const LoadOptions& options);

// Fails at `value` unless `path` is an existing directory (or an existing regular file).
void check_directory(const Value& value, const std::filesystem::path& path);
void check_file(const Value& value, const std::filesystem::path& path);

// A preset directory holds backbones.toml; a path to a file names the presets file itself.
std::filesystem::path presets_file_in(const std::filesystem::path& presets);

// A job's [slurm] table, and the option keys it shares with [sites.<name>] presets
// (slurm_settings.cpp).
SlurmSection parse_slurm_section(TableReader table);
SlurmOptions parse_slurm_options(TableReader& table);

}  // namespace gensweep::config::detail
