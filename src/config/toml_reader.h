#pragma once
// Reading TOML tables into typed values with exact, located messages. Private to the config module:
// nothing outside src/config sees toml++.
//
// Every failure throws ConfigError "file:line:column: key.path: what was expected". Values point
// at the value, unknown keys at the key, missing keys at the table that should hold them.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "gensweep/config/source_location.h"

namespace gensweep::config::detail {

// One parsed file. Held by unique_ptr: readers keep pointers into it.
struct Document {
  std::string file;                // display name used in messages
  std::filesystem::path base_dir;  // absolute: relative paths in this file resolve against it
  toml::table root;
};

// Parses `text`; a syntax error throws "file:line:column: TOML syntax error: <toml++ message>".
std::unique_ptr<Document> parse_document(std::string_view text, const std::filesystem::path& file);

SourceLocation location_of(const Document& doc, const toml::source_region& region);

// Throws ConfigError "<where>: <path>: <message>" ("<where>: <message>" when path is empty).
[[noreturn]] void fail_at(const SourceLocation& where, std::string_view path,
                          std::string_view message);

// "string", "integer", "float", "boolean", "date", "time", "date-time", "array", "table".
std::string_view type_name(const toml::node& node);

class TableReader;

// A value found under a key path, with what is needed to report on it.
class Value {
 public:
  Value(const toml::node& node, const Document& doc, std::string path)
      : node_(&node), doc_(&doc), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  const toml::node& node() const { return *node_; }
  const Document& document() const { return *doc_; }
  SourceLocation where() const;

  [[noreturn]] void fail(std::string_view message) const;
  // "expected <expected>, got <type>"
  [[noreturn]] void fail_type(std::string_view expected) const;

  std::string as_string() const;
  // A valid name ([a-z0-9][a-z0-9_.-]*): ids and names end up in paths and result columns.
  std::string as_name() const;
  // An integer in lo..hi ("expected an integer in lo..hi" / ">= lo" when hi is the int64 maximum).
  std::int64_t as_int(std::int64_t lo, std::int64_t hi) const;
  // An integer or float; NaN and infinities are refused.
  double as_finite() const;
  // An integer or float > 0; NaN and infinities are refused.
  double as_positive() const;
  // An integer or float in lo..hi (bounds included); NaN is refused.
  double as_number_in(double lo, double hi) const;
  // A non-empty string, made absolute against the directory of the file it came from.
  std::filesystem::path as_path() const;
  // One of `choices`, returned as its index; otherwise "unknown <what> ..." with a suggestion.
  std::size_t as_choice(std::span<const std::string_view> choices, std::string_view what,
                        std::string_view plural) const;
  // Elements with paths "<path>[i]"; `expected` names the type in the message when it is not an
  // array ("an array", "an array of tables").
  std::vector<Value> as_array(std::string_view expected = "an array") const;
  TableReader as_table() const;

 private:
  std::string got_text() const;  // the value as written, for "got ..." in messages

  const toml::node* node_;
  const Document* doc_;
  std::string path_;
};

// A table being read. Keys may come from layers: a backbone's own table first, then its preset's.
class TableReader {
 public:
  TableReader(const toml::table& table, const Document& doc, std::string path);

  // Adds a layer of defaults: keys the earlier layers do not set are read from `table`. Keys in
  // `excluded` are not allowed in that layer (a preset cannot set a backbone's id); `why` says so
  // in the message ("not allowed in a preset").
  void add_defaults(const toml::table& table, const Document& doc, std::string path,
                    std::vector<std::string> excluded, std::string why);

  const std::string& path() const { return layers_.front().path; }
  SourceLocation where() const;
  [[noreturn]] void fail(std::string_view message) const;
  bool has(std::string_view key) const;

  // Declares every key this table may hold and reports the first other one (in file order, own
  // layer first) as "unknown key", suggesting the closest known one. `variant` names what chose
  // these keys (`kind "pixels"`): a key that note_known declared for another variant is reported
  // as "unknown key for <variant>", since suggesting a spelling would mislead.
  void check_keys(std::span<const std::string_view> known, std::string_view variant = "");
  // Declares keys as known without checking: keys that belong to the table whatever its kind, so a
  // missing discriminator is not blamed on them.
  void note_known(std::span<const std::string_view> keys);

  std::optional<Value> get(std::string_view key);
  // Missing: "missing required key \"key\"" at the table, unless a key that is not known is within
  // two edits of it; then that key is reported as unknown, with `key` suggested.
  Value require(std::string_view key);

 private:
  struct Layer {
    const toml::table* table;
    const Document* doc;
    std::string path;
    std::vector<std::string> excluded;
    std::string why_excluded;
  };
  struct Entry {
    const Layer* layer;
    const toml::key* key;
  };
  std::vector<Entry> entries_in_order() const;
  bool is_known(std::string_view key) const;

  std::vector<Layer> layers_;
  std::vector<std::string> known_;
};

std::string child_path(std::string_view parent, std::string_view key);

// `text` as a path made absolute against `base_dir`, with "." and ".." folded and no trailing
// separator, so one location has one spelling (it goes into the canonical form).
std::filesystem::path resolve_path(const std::filesystem::path& base_dir, std::string_view text);

}  // namespace gensweep::config::detail
