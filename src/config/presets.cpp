// configs/backbones.toml: [presets.<name>] tables, each a backbone table without id.

#include "gensweep/config/presets.h"

#include <algorithm>
#include <array>
#include <system_error>

#include <fmt/format.h>

#include "gensweep/core/strings.h"
#include "parsers.h"
#include "suggest.h"

namespace gensweep::config::detail {

const toml::table& PresetLibrary::presets_table() {
  static const toml::table kNoPresets;
  if (presets_) return *presets_;
  const toml::table* presets = &kNoPresets;
  if (!text_.empty()) {
    doc_ = parse_document(text_, file_);
    TableReader root(doc_->root, *doc_, "");
    static constexpr std::array<std::string_view, 1> kRootKeys = {"presets"};
    root.check_keys(kRootKeys);
    if (auto value = root.get("presets")) {
      if (!value->node().is_table()) value->fail_type("a table");
      presets = value->node().as_table();
    }
  }
  presets_ = presets;  // only once the file is known to be good
  return *presets_;
}

std::vector<std::string> PresetLibrary::names() {
  const toml::table& table = presets_table();
  std::vector<const toml::key*> keys;
  for (auto&& [key, value] : table)
    keys.push_back(&key);
  std::sort(keys.begin(), keys.end(), [](const toml::key* a, const toml::key* b) {
    const auto& pa = a->source().begin;
    const auto& pb = b->source().begin;
    return std::tie(pa.line, pa.column) < std::tie(pb.line, pb.column);
  });
  std::vector<std::string> names;
  for (const toml::key* key : keys) {
    const std::string path = child_path("presets", key->str());
    if (!is_valid_name(key->str()))
      fail_at(location_of(*doc_, key->source()), path,
              fmt::format("invalid name \"{}\" (expected [a-z0-9][a-z0-9_.-]*)", key->str()));
    Value value(*table.get(key->str()), *doc_, path);
    if (!value.node().is_table()) value.fail_type("a table");
    names.emplace_back(key->str());
  }
  return names;
}

PresetLibrary::Preset PresetLibrary::find(const Value& name_value) {
  const std::string name = name_value.as_string();
  if (file_.empty())
    name_value.fail(fmt::format(
        "unknown preset \"{}\" (no presets file: set [job] presets or pass a presets directory)",
        name));
  std::error_code ec;
  if (text_.empty() && check_paths_ && !std::filesystem::exists(file_, ec))
    name_value.fail(fmt::format("unknown preset \"{}\" (presets file \"{}\" does not exist)", name,
                                file_.string()));
  const std::vector<std::string> known = names();
  if (std::find(known.begin(), known.end(), name) == known.end())
    name_value.fail(
        fmt::format("unknown preset \"{}\"{}", name, suggestion_suffix(name, known, "presets")));

  return *lookup(name);
}

std::optional<PresetLibrary::Preset> PresetLibrary::lookup(std::string_view name) {
  const std::vector<std::string> known = names();
  if (std::find(known.begin(), known.end(), name) == known.end()) return std::nullopt;
  Preset preset;
  preset.table = presets_table().get(name)->as_table();
  preset.doc = doc_.get();
  preset.path = child_path("presets", name);
  TableReader reader(*preset.table, *doc_, preset.path);
  note_backbone_keys(reader);
  preset.kind = backbone_kinds()[parse_backbone_kind(reader.require("kind"))].name;
  return preset;
}

}  // namespace gensweep::config::detail

namespace gensweep::config {

std::vector<std::string> list_presets(std::string_view presets_text,
                                      const std::filesystem::path& presets_file) {
  LoadOptions options;
  options.check_paths = false;
  detail::PresetLibrary library(presets_text, presets_file, options);
  return library.names();
}

std::optional<PresetSummary> describe_preset(std::string_view presets_text,
                                             const std::filesystem::path& presets_file,
                                             std::string_view name) {
  LoadOptions options;
  options.check_paths = false;
  detail::PresetLibrary library(presets_text, presets_file, options);
  const auto preset = library.lookup(name);
  if (!preset) return std::nullopt;
  PresetSummary out;
  out.kind = preset->kind;
  out.takes_weights = out.kind == FidInceptionParams::kKind || out.kind == TorchscriptParams::kKind;
  out.has_weights = preset->table->contains("weights");
  return out;
}

}  // namespace gensweep::config
