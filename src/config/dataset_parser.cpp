// [[datasets]] tables to DatasetConfig. Cross-references (bases, backbones) are checked later in
// job_loader.cpp, once every dataset and backbone is known.

#include <algorithm>
#include <array>
#include <limits>

#include <fmt/format.h>

#include "gensweep/core/strings.h"
#include "parsers.h"

namespace gensweep::config::detail {
namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

constexpr std::array<std::string_view, 9> kSources = {
    FolderSource::kName,     DerivedSource::kName,    FeaturesSource::kName,
    StatisticsSource::kName, ZipSource::kName,        TarSource::kName,
    NpzSource::kName,        Hdf5ImagesSource::kName, MixtureSource::kName};
// Every key a dataset table may hold, whatever its source.
constexpr std::array<std::string_view, 20> kAllDatasetKeys = {
    "id",      "source",   "path",   "offset",         "limit",      "base",  "distortion",
    "seed",    "backbone", "entry",  "shards",         "field",      "files", "file",
    "dataset", "layout",   "region", "counterfactual", "proportion", "size"};
constexpr std::array<std::string_view, 2> kLayouts = {"NHWC", "NCHW"};
constexpr std::array<std::string_view, 5> kDistortionKinds = {
    GaussianBlur::kKind, GaussianNoise::kKind, Jpeg::kKind, ColorShift::kKind, Corruption::kKind};

}  // namespace

Distortion parse_distortion(const Value& value) {
  TableReader table = value.as_table();
  static constexpr std::array<std::string_view, 8> kAllKeys = {
      "kind", "sigma", "quality", "shift", "name", "severity", "parameters", "seeding"};
  table.note_known(kAllKeys);
  const std::size_t kind =
      table.require("kind").as_choice(kDistortionKinds, "distortion kind", "distortion kinds");
  switch (kind) {
    case 0: {
      static constexpr std::array<std::string_view, 2> kKeys = {"kind", "sigma"};
      table.check_keys(kKeys, "distortion kind \"gaussian_blur\"");
      return GaussianBlur{table.require("sigma").as_positive()};
    }
    case 1: {
      static constexpr std::array<std::string_view, 2> kKeys = {"kind", "sigma"};
      table.check_keys(kKeys, "distortion kind \"gaussian_noise\"");
      return GaussianNoise{table.require("sigma").as_positive()};
    }
    case 2: {
      static constexpr std::array<std::string_view, 2> kKeys = {"kind", "quality"};
      table.check_keys(kKeys, "distortion kind \"jpeg\"");
      return Jpeg{
          static_cast<int>(table.require("quality").as_int(Jpeg::kMinQuality, Jpeg::kMaxQuality))};
    }
    case 4: {
      static constexpr std::array<std::string_view, 5> kKeys = {"kind", "name", "severity",
                                                                "parameters", "seeding"};
      table.check_keys(kKeys, "distortion kind \"corruption\"");
      Corruption out;
      const std::size_t name =
          table.require("name").as_choice(Corruption::kNames, "corruption", "corruptions");
      out.name = std::string(Corruption::kNames[name]);
      out.severity = static_cast<int>(table.require("severity").as_int(1, 5));
      out.parameters = static_cast<Corruption::Parameters>(
          table.require("parameters")
              .as_choice(Corruption::kParameterSets, "corruption parameter set", "parameter sets"));
      if (auto seeding = table.get("seeding"))
        out.seeding = static_cast<Corruption::Seeding>(
            seeding->as_choice(Corruption::kSeedings, "corruption seeding", "seedings"));
      return out;
    }
    default: {
      static constexpr std::array<std::string_view, 2> kKeys = {"kind", "shift"};
      table.check_keys(kKeys, "distortion kind \"color_shift\"");
      const Value shift = table.require("shift");
      const std::vector<Value> channels = shift.as_array();
      if (channels.size() != 3)
        shift.fail(fmt::format("expected 3 integers [r, g, b], got {} values", channels.size()));
      ColorShift out;
      for (std::size_t c = 0; c < 3; ++c)
        out.shift[c] =
            static_cast<int>(channels[c].as_int(ColorShift::kMinShift, ColorShift::kMaxShift));
      return out;
    }
  }
}

namespace {

FolderSource parse_folder(TableReader& table, const LoadOptions& options) {
  static constexpr std::array<std::string_view, 5> kKeys = {"id", "source", "path", "offset",
                                                            "limit"};
  table.check_keys(kKeys, "source \"folder\"");
  FolderSource folder;
  const Value path = table.require("path");
  folder.path = path.as_path();
  if (options.check_paths) check_directory(path, folder.path);
  if (auto offset = table.get("offset")) folder.offset = offset->as_int(0, kInt64Max);
  if (auto limit = table.get("limit")) folder.limit = limit->as_int(1, kInt64Max);
  return folder;
}

// A key naming another dataset: remembered where it was written, for the cross-checks.
std::string dataset_reference(const Value& value, DatasetRefs& refs) {
  std::string id = value.as_string();
  if (refs.ref_path.empty()) {
    refs.ref_path = value.path();
    refs.ref_where = value.where();
  }
  refs.datasets.push_back({id, value.path(), value.where()});
  return id;
}

// region = { mask = "labels", values = [1, 2] }
Region parse_region(const Value& value, DatasetRefs& refs) {
  TableReader table = value.as_table();
  static constexpr std::array<std::string_view, 2> kKeys = {"mask", "values"};
  table.check_keys(kKeys);
  Region region;
  region.mask = dataset_reference(table.require("mask"), refs);
  const Value values = table.require("values");
  const std::vector<Value> items = values.as_array("an array of label values");
  if (items.empty()) values.fail("expected at least one label value, got an empty array");
  for (const Value& item : items) {
    const int label = static_cast<int>(item.as_int(0, 255));
    if (std::find(region.values.begin(), region.values.end(), label) != region.values.end())
      item.fail(fmt::format("label value {} is listed twice", label));
    region.values.push_back(label);
  }
  return region;
}

DerivedSource parse_derived(TableReader& table, DatasetRefs& refs) {
  static constexpr std::array<std::string_view, 6> kKeys = {"id",         "source", "base",
                                                            "distortion", "seed",   "region"};
  table.check_keys(kKeys, "source \"derived\"");
  DerivedSource derived;
  derived.base = dataset_reference(table.require("base"), refs);
  derived.distortion = parse_distortion(table.require("distortion"));
  if (auto seed = table.get("seed"))
    derived.seed = static_cast<std::uint64_t>(seed->as_int(0, kInt64Max));
  if (auto region = table.get("region")) derived.region = parse_region(*region, refs);
  return derived;
}

// The draw itself (which ids, which from where) is made when the job is planned, where the
// datasets' images are listed (pipeline/mixture_draw.h); here only the keys are read.
MixtureSource parse_mixture(TableReader& table, DatasetRefs& refs) {
  static constexpr std::array<std::string_view, 7> kKeys = {
      "id", "source", "base", "counterfactual", "proportion", "size", "seed"};
  table.check_keys(kKeys, "source \"mixture\"");
  MixtureSource mixture;
  mixture.base = dataset_reference(table.require("base"), refs);
  mixture.counterfactual = dataset_reference(table.require("counterfactual"), refs);
  mixture.proportion = table.require("proportion").as_number_in(0.0, 1.0);
  mixture.size = table.require("size").as_int(1, kInt64Max);
  if (auto seed = table.get("seed"))
    mixture.seed = static_cast<std::uint64_t>(seed->as_int(0, kInt64Max));
  return mixture;
}

FeaturesSource parse_features(TableReader& table, const LoadOptions& options, DatasetRefs& refs) {
  static constexpr std::array<std::string_view, 4> kKeys = {"id", "source", "path", "backbone"};
  table.check_keys(kKeys, "source \"features\"");
  FeaturesSource features;
  const Value path = table.require("path");
  const std::string text = path.as_string();
  // "feats.h5:/group/dataset": the part after the last ':' names an HDF5 dataset when the part
  // before it is an HDF5 file.
  std::string file_text = text;
  const std::size_t colon = text.rfind(':');
  if (colon != std::string::npos) {
    const std::string before = text.substr(0, colon);
    if (ends_with_ci(before, ".h5") || ends_with_ci(before, ".hdf5")) {
      file_text = before;
      features.hdf5_dataset = text.substr(colon + 1);
      if (features.hdf5_dataset.size() < 2 || features.hdf5_dataset[0] != '/')
        path.fail(
            fmt::format("expected an absolute HDF5 dataset path after ':' (\"{}:/group/name\"), "
                        "got \"{}\"",
                        before, text));
    }
  }
  if (ends_with_ci(file_text, ".npy")) {
    features.format = FeaturesFormat::kNpy;
  } else if (ends_with_ci(file_text, ".h5") || ends_with_ci(file_text, ".hdf5")) {
    features.format = FeaturesFormat::kHdf5;
    if (features.hdf5_dataset.empty())
      features.hdf5_dataset = std::string(FeaturesSource::kDefaultHdf5Dataset);
  } else {
    path.fail(fmt::format(
        "expected a .npy file, or an .h5/.hdf5 file with an optional \":/dataset\" suffix, got "
        "\"{}\"",
        text));
  }
  features.file = resolve_path(path.document().base_dir, file_text);
  if (options.check_paths) check_file(path, features.file);
  const Value backbone = table.require("backbone");
  features.backbone = backbone.as_string();
  refs.ref_path = backbone.path();
  refs.ref_where = backbone.where();
  return features;
}

// Which file holds the statistics is decided by its content when it is read (a .npz, a pickle or
// a torch.save file), not by its name: pytorch-fid's own rule (".npz" suffix) misses the others.
StatisticsSource parse_statistics(TableReader& table, const LoadOptions& options,
                                  DatasetRefs& refs) {
  static constexpr std::array<std::string_view, 5> kKeys = {"id", "source", "path", "backbone",
                                                            "entry"};
  table.check_keys(kKeys, "source \"statistics\"");
  StatisticsSource statistics;
  const Value path = table.require("path");
  statistics.file = path.as_path();
  if (options.check_paths) check_file(path, statistics.file);
  if (auto entry = table.get("entry")) statistics.entry = entry->as_string();
  const Value backbone = table.require("backbone");
  statistics.backbone = backbone.as_string();
  refs.ref_path = backbone.path();
  refs.ref_where = backbone.where();
  return statistics;
}

// offset and limit, shared by every source that lists images.
void parse_window(TableReader& table, std::int64_t& offset, std::optional<std::int64_t>& limit) {
  if (auto o = table.get("offset")) offset = o->as_int(0, kInt64Max);
  if (auto l = table.get("limit")) limit = l->as_int(1, kInt64Max);
}

ZipSource parse_zip(TableReader& table, const LoadOptions& options) {
  static constexpr std::array<std::string_view, 5> kKeys = {"id", "source", "path", "offset",
                                                            "limit"};
  table.check_keys(kKeys, "source \"zip\"");
  ZipSource zip;
  const Value path = table.require("path");
  zip.path = path.as_path();
  if (options.check_paths) check_file(path, zip.path);
  parse_window(table, zip.offset, zip.limit);
  return zip;
}

// A non-empty array of non-empty strings.
std::vector<Value> require_string_array(TableReader& table, std::string_view key) {
  const Value value = table.require(key);
  std::vector<Value> items = value.as_array("an array of file names");
  if (items.empty()) value.fail("expected at least one file name, got an empty array");
  return items;
}

TarSource parse_tar(TableReader& table, const LoadOptions& options) {
  static constexpr std::array<std::string_view, 6> kKeys = {"id",    "source", "shards",
                                                            "field", "offset", "limit"};
  table.check_keys(kKeys, "source \"tar\"");
  TarSource tar;
  for (const Value& item : require_string_array(table, "shards")) {
    const auto expanded = expand_shard_pattern(item.as_path(), !options.check_paths);
    if (expanded.empty()) item.fail(fmt::format("no file matches \"{}\"", item.as_path().string()));
    for (const auto& shard : expanded) {
      if (options.check_paths) check_file(item, shard);
      tar.shards.push_back(shard);
    }
  }
  if (auto field = table.get("field")) {
    tar.field = field->as_string();
    const bool valid =
        !tar.field.empty() &&
        tar.field.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-") == std::string::npos;
    if (!valid)
      field->fail(fmt::format(
          "expected a lower-case WebDataset field name such as \"png\" or \"jpg\", got \"{}\"",
          tar.field));
  }
  parse_window(table, tar.offset, tar.limit);
  return tar;
}

NpzSource parse_npz(TableReader& table, const LoadOptions& options) {
  static constexpr std::array<std::string_view, 5> kKeys = {"id", "source", "files", "offset",
                                                            "limit"};
  table.check_keys(kKeys, "source \"npz\"");
  NpzSource npz;
  for (const Value& item : require_string_array(table, "files")) {
    const auto file = item.as_path();
    if (!ends_with_ci(file.string(), ".npz"))
      item.fail(fmt::format("expected an .npz sample batch, got \"{}\"", file.string()));
    if (options.check_paths) check_file(item, file);
    npz.files.push_back(file);
  }
  parse_window(table, npz.offset, npz.limit);
  return npz;
}

Hdf5ImagesSource parse_hdf5_images(TableReader& table, const LoadOptions& options) {
  static constexpr std::array<std::string_view, 7> kKeys = {"id",     "source", "file", "dataset",
                                                            "layout", "offset", "limit"};
  table.check_keys(kKeys, "source \"hdf5\"");
  Hdf5ImagesSource h;
  const Value file = table.require("file");
  h.file = file.as_path();
  if (options.check_paths) check_file(file, h.file);
  const Value dataset = table.require("dataset");
  h.dataset = dataset.as_string();
  if (h.dataset.size() < 2 || h.dataset[0] != '/')
    dataset.fail(fmt::format(
        "expected an absolute HDF5 dataset path such as \"/images\", got \"{}\"", h.dataset));
  // Required: (N, 3, H, W) with H = 3 and (N, H, W, 3) with W = 3 cannot be told apart.
  h.layout = table.require("layout").as_choice(kLayouts, "layout", "layouts") == 0
                 ? PixelLayout::kNhwc
                 : PixelLayout::kNchw;
  parse_window(table, h.offset, h.limit);
  return h;
}

}  // namespace

DatasetConfig parse_dataset(TableReader& table, const LoadOptions& options, DatasetRefs& refs) {
  DatasetConfig dataset;
  dataset.where = table.where();
  table.note_known(kAllDatasetKeys);
  const Value id = table.require("id");
  dataset.id = id.as_name();
  refs.id_where = id.where();
  switch (table.require("source").as_choice(kSources, "source", "sources")) {
    case 0:
      dataset.source = parse_folder(table, options);
      break;
    case 1:
      dataset.source = parse_derived(table, refs);
      break;
    case 2:
      dataset.source = parse_features(table, options, refs);
      break;
    case 3:
      dataset.source = parse_statistics(table, options, refs);
      break;
    case 4:
      dataset.source = parse_zip(table, options);
      break;
    case 5:
      dataset.source = parse_tar(table, options);
      break;
    case 6:
      dataset.source = parse_npz(table, options);
      break;
    case 7:
      dataset.source = parse_hdf5_images(table, options);
      break;
    default:
      dataset.source = parse_mixture(table, refs);
      break;
  }
  return dataset;
}

}  // namespace gensweep::config::detail
