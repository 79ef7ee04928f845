#include "toml_reader.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "gensweep/config/toml_text.h"
#include "gensweep/core/error.h"
#include "gensweep/core/strings.h"
#include "suggest.h"

namespace gensweep::config::detail {

std::unique_ptr<Document> parse_document(std::string_view text, const std::filesystem::path& file) {
  auto doc = std::make_unique<Document>();
  doc->file = file.string();
  doc->base_dir = std::filesystem::absolute(file).lexically_normal().parent_path();
  try {
    doc->root = toml::parse(text, std::string_view(doc->file));
  } catch (const toml::parse_error& e) {
    fail_at(location_of(*doc, e.source()), "",
            fmt::format("TOML syntax error: {}", e.description()));
  }
  return doc;
}

SourceLocation location_of(const Document& doc, const toml::source_region& region) {
  return SourceLocation{doc.file, static_cast<int>(region.begin.line),
                        static_cast<int>(region.begin.column)};
}

void fail_at(const SourceLocation& where, std::string_view path, std::string_view message) {
  if (path.empty()) throw ConfigError(fmt::format("{}: {}", where.str(), message));
  throw ConfigError(fmt::format("{}: {}: {}", where.str(), path, message));
}

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::array:
      return "array";
    case toml::node_type::table:
      return "table";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::string child_path(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
}

// ---- Value ----------------------------------------------------------------------------------

SourceLocation Value::where() const {
  return location_of(*doc_, node_->source());
}

void Value::fail(std::string_view message) const {
  fail_at(where(), path_, message);
}

void Value::fail_type(std::string_view expected) const {
  fail(fmt::format("expected {}, got {}", expected, type_name(*node_)));
}

std::string Value::got_text() const {
  if (auto i = node_->as_integer()) return fmt::format("{}", i->get());
  if (auto f = node_->as_floating_point()) return format_double(f->get());
  if (auto s = node_->as_string()) return fmt::format("\"{}\"", s->get());
  return std::string(type_name(*node_));
}

std::string Value::as_string() const {
  if (auto s = node_->as_string()) return s->get();
  fail_type("a string");
}

std::string Value::as_name() const {
  std::string name = as_string();
  if (!is_valid_name(name))
    fail(fmt::format("invalid name \"{}\" (expected [a-z0-9][a-z0-9_.-]*)", name));
  return name;
}

std::int64_t Value::as_int(std::int64_t lo, std::int64_t hi) const {
  auto i = node_->as_integer();
  if (!i) fail_type("an integer");
  const std::int64_t v = i->get();
  if (v < lo || v > hi) {
    if (hi == std::numeric_limits<std::int64_t>::max())
      fail(fmt::format("expected an integer >= {}, got {}", lo, v));
    fail(fmt::format("expected an integer in {}..{}, got {}", lo, hi, v));
  }
  return v;
}

double Value::as_finite() const {
  double v = 0;
  if (auto i = node_->as_integer())
    v = static_cast<double>(i->get());
  else if (auto f = node_->as_floating_point())
    v = f->get();
  else
    fail_type("a number");
  if (!std::isfinite(v)) fail(fmt::format("expected a finite number, got {}", got_text()));
  return v;
}

double Value::as_positive() const {
  if (!node_->is_number()) fail_type("a number");
  const double v = node_->is_integer() ? static_cast<double>(node_->as_integer()->get())
                                       : node_->as_floating_point()->get();
  // Written so NaN fails too.
  if (!(v > 0 && std::isfinite(v))) fail(fmt::format("expected a number > 0, got {}", got_text()));
  return v;
}

double Value::as_number_in(double lo, double hi) const {
  if (!node_->is_number()) fail_type("a number");
  const double v = node_->is_integer() ? static_cast<double>(node_->as_integer()->get())
                                       : node_->as_floating_point()->get();
  // Written so NaN fails too.
  if (!(v >= lo && v <= hi))
    fail(fmt::format("expected a number in {}..{}, got {}", lo, hi, got_text()));
  return v;
}

std::filesystem::path resolve_path(const std::filesystem::path& base_dir, std::string_view text) {
  std::filesystem::path path(text);
  if (path.is_relative()) path = base_dir / path;
  path = path.lexically_normal();
  if (!path.has_filename() && path.has_relative_path()) path = path.parent_path();  // "a/b/"
  return path;
}

std::filesystem::path Value::as_path() const {
  const std::string text = as_string();
  if (text.empty()) fail("expected a non-empty path");
  return resolve_path(doc_->base_dir, text);
}

std::size_t Value::as_choice(std::span<const std::string_view> choices, std::string_view what,
                             std::string_view plural) const {
  const std::string text = as_string();
  for (std::size_t i = 0; i < choices.size(); ++i)
    if (choices[i] == text) return i;
  const std::vector<std::string> names(choices.begin(), choices.end());
  fail(fmt::format("unknown {} \"{}\"{}", what, text, suggestion_suffix(text, names, plural)));
}

std::vector<Value> Value::as_array(std::string_view expected) const {
  auto array = node_->as_array();
  if (!array) fail_type(expected);
  std::vector<Value> out;
  out.reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i)
    out.emplace_back(*array->get(i), *doc_, fmt::format("{}[{}]", path_, i));
  return out;
}

TableReader Value::as_table() const {
  auto table = node_->as_table();
  if (!table) fail_type("a table");
  return TableReader(*table, *doc_, path_);
}

// ---- TableReader ----------------------------------------------------------------------------

TableReader::TableReader(const toml::table& table, const Document& doc, std::string path) {
  layers_.push_back(Layer{&table, &doc, std::move(path), {}, {}});
}

void TableReader::add_defaults(const toml::table& table, const Document& doc, std::string path,
                               std::vector<std::string> excluded, std::string why) {
  layers_.push_back(Layer{&table, &doc, std::move(path), std::move(excluded), std::move(why)});
}

SourceLocation TableReader::where() const {
  const Layer& own = layers_.front();
  SourceLocation where = location_of(*own.doc, own.table->source());
  if (where.line == 0) where = SourceLocation{own.doc->file, 1, 1};  // the root table
  return where;
}

void TableReader::fail(std::string_view message) const {
  fail_at(where(), path(), message);
}

bool TableReader::has(std::string_view key) const {
  for (const Layer& layer : layers_) {
    if (std::find(layer.excluded.begin(), layer.excluded.end(), key) != layer.excluded.end())
      continue;
    if (layer.table->contains(key)) return true;
  }
  return false;
}

std::vector<TableReader::Entry> TableReader::entries_in_order() const {
  std::vector<Entry> entries;
  for (const Layer& layer : layers_) {
    const std::size_t first = entries.size();
    for (auto&& [key, value] : *layer.table)
      entries.push_back(Entry{&layer, &key});
    // toml::table iterates in key order; messages should follow the file.
    std::sort(entries.begin() + static_cast<std::ptrdiff_t>(first), entries.end(),
              [](const Entry& a, const Entry& b) {
                const auto& pa = a.key->source().begin;
                const auto& pb = b.key->source().begin;
                return std::tie(pa.line, pa.column) < std::tie(pb.line, pb.column);
              });
  }
  return entries;
}

bool TableReader::is_known(std::string_view key) const {
  return std::find(known_.begin(), known_.end(), key) != known_.end();
}

void TableReader::note_known(std::span<const std::string_view> keys) {
  for (std::string_view key : keys)
    if (!is_known(key)) known_.emplace_back(key);
}

void TableReader::check_keys(std::span<const std::string_view> known, std::string_view variant) {
  const std::vector<std::string> names(known.begin(), known.end());
  auto listed = [](const std::vector<std::string>& list, std::string_view key) {
    return std::find(list.begin(), list.end(), key) != list.end();
  };
  for (const Entry& entry : entries_in_order()) {
    const std::string_view key = entry.key->str();
    const Layer& layer = *entry.layer;
    const SourceLocation where = location_of(*layer.doc, entry.key->source());
    const std::string path = child_path(layer.path, key);
    std::vector<std::string> candidates;
    for (const auto& name : names)
      if (!listed(layer.excluded, name)) candidates.push_back(name);
    if (listed(layer.excluded, key))
      fail_at(where, path,
              fmt::format("{} (known keys: {})", layer.why_excluded, join(candidates, ", ")));
    if (listed(names, key)) continue;
    if (!variant.empty() && is_known(key))
      fail_at(where, path,
              fmt::format("unknown key for {} (known keys: {})", variant, join(candidates, ", ")));
    fail_at(where, path, fmt::format("unknown key{}", suggestion_suffix(key, candidates, "keys")));
  }
  note_known(known);
}

std::optional<Value> TableReader::get(std::string_view key) {
  note_known(std::span<const std::string_view>(&key, 1));
  for (const Layer& layer : layers_) {
    if (std::find(layer.excluded.begin(), layer.excluded.end(), key) != layer.excluded.end())
      continue;
    if (const toml::node* node = layer.table->get(key))
      return Value(*node, *layer.doc, child_path(layer.path, key));
  }
  return std::nullopt;
}

Value TableReader::require(std::string_view key) {
  if (auto value = get(key)) return *value;
  for (const Entry& entry : entries_in_order()) {
    const std::string_view present = entry.key->str();
    if (is_known(present) || edit_distance(present, key) > 2) continue;
    fail_at(location_of(*entry.layer->doc, entry.key->source()),
            child_path(entry.layer->path, present),
            fmt::format("unknown key (did you mean \"{}\"?)", key));
  }
  fail(fmt::format("missing required key \"{}\"", key));
}

}  // namespace gensweep::config::detail
