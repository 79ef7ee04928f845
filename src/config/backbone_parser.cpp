// [[backbones]] tables (with their presets) to BackboneConfig.

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <optional>
#include <span>

#include <fmt/format.h>

#include "parsers.h"

namespace gensweep::config::detail {
namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// Every key a backbone table may hold, whatever its kind.
constexpr std::array<std::string_view, 18> kAllBackboneKeys = {
    "id",         "preset", "kind",        "size",   "dim",   "seed",
    "input_size", "width",  "weights",     "sha256", "layer", "resize",
    "output",     "crop",   "input_range", "mean",   "std",   "forward_args"};

// In the order of the BackboneParams alternatives.
constexpr std::array<std::string_view, 5> kKinds = {
    PixelsParams::kKind, RandomCnnParams::kKind, ExternalParams::kKind, FidInceptionParams::kKind,
    TorchscriptParams::kKind};

// In the order of ResizeFilter; fid-inception takes the first four (it always resizes, in float).
constexpr std::array<std::string_view, 6> kResizeFilters = {
    "pytorch-bilinear", "tf1-bilinear", "pil-bicubic", "area", "pil-bicubic-u8", "none"};
constexpr std::span<const std::string_view> kFidResizeFilters =
    std::span<const std::string_view>(kResizeFilters).first(4);
constexpr std::array<std::string_view, 3> kCropPolicies = {"none", "center", "shorter-side"};
constexpr std::array<std::string_view, 2> kInputRanges = {"unit", "byte"};

int read_int(TableReader& table, std::string_view key, int lo, int hi, int fallback) {
  if (auto value = table.get(key)) return static_cast<int>(value->as_int(lo, hi));
  return fallback;
}

std::filesystem::path read_weights(TableReader& table, const LoadOptions& options) {
  const Value weights = table.require("weights");
  std::filesystem::path path = weights.as_path();
  if (options.check_paths) check_file(weights, path);
  return path;
}

std::optional<std::string> read_sha256(TableReader& table) {
  auto value = table.get("sha256");
  if (!value) return std::nullopt;
  std::string text = value->as_string();
  const bool hex = text.size() == 64 && std::all_of(text.begin(), text.end(), [](unsigned char c) {
                     return std::isxdigit(c) != 0;
                   });
  if (!hex) value->fail(fmt::format("expected 64 hexadecimal digits, got \"{}\"", text));
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::array<double, 3> read_triple(const Value& value, bool positive) {
  const std::vector<Value> items = value.as_array();
  if (items.size() != 3)
    value.fail(fmt::format("expected 3 numbers [r, g, b], got {} values", items.size()));
  std::array<double, 3> out{};
  for (std::size_t c = 0; c < 3; ++c)
    out[c] = positive ? items[c].as_positive() : items[c].as_finite();
  return out;
}

PixelsParams parse_pixels(TableReader& table, const LoadOptions&) {
  PixelsParams p;
  p.size = read_int(table, "size", PixelsParams::kMinSize, PixelsParams::kMaxSize, p.size);
  return p;
}

RandomCnnParams parse_random_cnn(TableReader& table, const LoadOptions&) {
  RandomCnnParams p;
  p.dim = read_int(table, "dim", RandomCnnParams::kMinDim, RandomCnnParams::kMaxDim, p.dim);
  if (auto seed = table.get("seed"))
    p.seed = static_cast<std::uint64_t>(seed->as_int(0, kInt64Max));
  p.input_size = read_int(table, "input_size", RandomCnnParams::kMinInputSize,
                          RandomCnnParams::kMaxInputSize, p.input_size);
  p.width =
      read_int(table, "width", RandomCnnParams::kMinWidth, RandomCnnParams::kMaxWidth, p.width);
  return p;
}

ExternalParams parse_external(TableReader& table, const LoadOptions&) {
  ExternalParams p;
  if (auto dim = table.get("dim"))
    p.dim = static_cast<int>(dim->as_int(ExternalParams::kMinDim, ExternalParams::kMaxDim));
  return p;
}

FidInceptionParams parse_fid_inception(TableReader& table, const LoadOptions& options) {
  FidInceptionParams p;
  p.weights = read_weights(table, options);
  p.sha256 = read_sha256(table);
  if (auto layer = table.get("layer"))
    p.layer = FidInceptionParams::kLayers[layer->as_choice(FidInceptionParams::kLayers, "layer",
                                                           "layers")];
  if (auto resize = table.get("resize"))
    p.resize = static_cast<ResizeFilter>(
        resize->as_choice(kFidResizeFilters, "resize filter", "resize filters"));
  return p;
}

// One forward_args element: a bool, integer or float (positional), or a one-key inline table
// { name = value } (by keyword).
ForwardArg read_forward_arg(const Value& item) {
  ForwardArg arg;
  const Value* scalar = &item;
  std::optional<Value> inner;
  if (const auto* table = item.node().as_table()) {
    if (table->size() != 1)
      item.fail(fmt::format("expected one {{ name = value }} pair, got {} keys", table->size()));
    // toml++'s iterator owns the proxy pair it dereferences to: keep it alive while reading.
    const auto entry = table->begin();
    const toml::key& key = entry->first;
    const toml::node& node = entry->second;
    arg.name = std::string(key.str());
    const bool identifier =
        !arg.name.empty() &&
        (std::isalpha(static_cast<unsigned char>(arg.name[0])) || arg.name[0] == '_') &&
        std::all_of(arg.name.begin(), arg.name.end(),
                    [](unsigned char c) { return std::isalnum(c) || c == '_'; });
    if (!identifier) item.fail(fmt::format("\"{}\" is not a Python argument name", arg.name));
    inner.emplace(node, item.document(), child_path(item.path(), arg.name));
    scalar = &*inner;
  }
  const toml::node& node = scalar->node();
  if (node.is_boolean())
    arg.value = node.as_boolean()->get();
  else if (node.is_integer())
    arg.value = node.as_integer()->get();
  else if (node.is_floating_point())
    arg.value = scalar->as_finite();
  else
    scalar->fail_type(arg.name.empty() ? "a boolean, an integer, a float or { name = value }"
                                       : "a boolean, an integer or a float");
  return arg;
}

std::vector<ForwardArg> read_forward_args(const Value& value) {
  std::vector<ForwardArg> args;
  for (const Value& item : value.as_array()) {
    ForwardArg arg = read_forward_arg(item);
    if (arg.name.empty() && !args.empty() && !args.back().name.empty())
      item.fail("positional arguments must come before named ones");
    for (const auto& earlier : args) {
      if (!arg.name.empty() && earlier.name == arg.name)
        item.fail(fmt::format("argument \"{}\" given twice", arg.name));
    }
    args.push_back(std::move(arg));
  }
  return args;
}

TorchscriptParams parse_torchscript(TableReader& table, const LoadOptions& options) {
  TorchscriptParams p;
  p.weights = read_weights(table, options);
  p.sha256 = read_sha256(table);
  if (auto output = table.get("output")) p.output = output->as_string();
  if (auto dim = table.get("dim"))
    p.dim = static_cast<int>(dim->as_int(TorchscriptParams::kMinDim, TorchscriptParams::kMaxDim));
  p.input_size = read_int(table, "input_size", TorchscriptParams::kMinInputSize,
                          TorchscriptParams::kMaxInputSize, p.input_size);
  if (auto resize = table.get("resize"))
    p.resize = static_cast<ResizeFilter>(
        resize->as_choice(kResizeFilters, "resize filter", "resize filters"));
  if (auto crop = table.get("crop"))
    p.crop =
        static_cast<CropPolicy>(crop->as_choice(kCropPolicies, "crop policy", "crop policies"));
  if (auto range = table.get("input_range"))
    p.input_range =
        static_cast<InputRange>(range->as_choice(kInputRanges, "input range", "input ranges"));
  if (auto mean = table.get("mean")) p.mean = read_triple(*mean, false);
  if (auto std = table.get("std")) p.std = read_triple(*std, true);
  if (auto args = table.get("forward_args")) p.forward_args = read_forward_args(*args);
  if (p.resize == ResizeFilter::kNone && p.crop == CropPolicy::kShorterSide)
    table.get("crop")->fail(
        "\"shorter-side\" resizes the image, so it needs a resize filter, "
        "not resize = \"none\"");
  return p;
}

// One row per kind, in the order of kKinds: its own keys and its parser.
struct KindParser {
  std::vector<std::string_view> keys;
  BackboneParams (*parse)(TableReader&, const LoadOptions&);
};

const std::array<KindParser, 5>& kind_parsers() {
  static const std::array<KindParser, 5> parsers = {
      KindParser{{"size"},
                 [](TableReader& t, const LoadOptions& o) -> BackboneParams {
                   return parse_pixels(t, o);
                 }},
      KindParser{{"dim", "seed", "input_size", "width"},
                 [](TableReader& t, const LoadOptions& o) -> BackboneParams {
                   return parse_random_cnn(t, o);
                 }},
      KindParser{{"dim"},
                 [](TableReader& t, const LoadOptions& o) -> BackboneParams {
                   return parse_external(t, o);
                 }},
      KindParser{{"weights", "sha256", "layer", "resize"},
                 [](TableReader& t, const LoadOptions& o) -> BackboneParams {
                   return parse_fid_inception(t, o);
                 }},
      KindParser{{"weights", "sha256", "output", "dim", "input_size", "resize", "crop",
                  "input_range", "mean", "std", "forward_args"},
                 [](TableReader& t, const LoadOptions& o) -> BackboneParams {
                   return parse_torchscript(t, o);
                 }},
  };
  return parsers;
}

}  // namespace

std::size_t parse_backbone_kind(const Value& value) {
  return value.as_choice(kKinds, "backbone kind", "backbone kinds");
}

void note_backbone_keys(TableReader& table) {
  table.note_known(kAllBackboneKeys);
}

BackboneConfig parse_backbone(TableReader& table, PresetLibrary& presets,
                              const LoadOptions& options) {
  BackboneConfig backbone;
  backbone.where = table.where();
  table.note_known(kAllBackboneKeys);
  backbone.id = table.require("id").as_name();

  std::optional<PresetLibrary::Preset> preset;
  if (auto name = table.get("preset")) {
    preset = presets.find(*name);
    backbone.preset = name->as_string();
    // The backbone's own keys override the preset's.
    table.add_defaults(*preset->table, *preset->doc, preset->path, {"id", "preset"},
                       "not allowed in a preset");
  }

  const Value kind_value = table.require("kind");
  const std::size_t kind = parse_backbone_kind(kind_value);
  if (preset && &kind_value.document() != preset->doc && kKinds[kind] != preset->kind)
    kind_value.fail(fmt::format("\"{}\" conflicts with preset \"{}\" (kind \"{}\")", kKinds[kind],
                                backbone.preset, preset->kind));

  const KindParser& parser = kind_parsers()[kind];
  std::vector<std::string_view> keys = {"id", "preset", "kind"};
  keys.insert(keys.end(), parser.keys.begin(), parser.keys.end());
  table.check_keys(keys, fmt::format("kind \"{}\"", kKinds[kind]));
  backbone.params = parser.parse(table, options);
  return backbone;
}

}  // namespace gensweep::config::detail
